//! AES-128 encryption with a lookup table (cargo feature `aes-tables`):
//! one 1 KiB round table (SubBytes and MixColumns of one byte; the other
//! three rows are rotations of it, free on Arm) and the 256-byte S-box for
//! the last round and the key schedule, both computed at compile time from
//! the S-box definition. About 3x fewer instructions per block than the
//! bitsliced default on a Cortex-M4.
//!
//! **Not constant-time in general:** which table entry is read depends on
//! key and data. That is safe only where every load takes the same time:
//! cores without a data cache (Cortex-M0/M0+/M3/M4, most M23/M33 parts)
//! with the tables in zero-wait-state SRAM. It is NOT safe on parts with a
//! data cache (Cortex-M7, A-class, hosts) or a flash cache / prefetch
//! accelerator when the tables stay in flash (STM32 ART, nRF52 I-cache for
//! flash data, ...): by default the tables are in `.rodata` (flash), so
//! such a part must place `.rodata.*nanodtls*aes_tables*` in SRAM in its
//! linker script, or not use this feature. The default build keeps the
//! constant-time bitsliced AES (`super::aes`).

use zeroize::Zeroize;

use super::aes::BLOCK;

const fn xtime(x: u8) -> u8 {
    (x << 1) ^ (((x >> 7) & 1) * 0x1b)
}

const fn gmul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        a = xtime(a);
        b >>= 1;
    }
    p
}

/// The S-box from its definition (multiplicative inverse, affine map).
/// Evaluated at compile time only (an out-of-range index would be a build
/// error, never a run-time panic).
#[allow(clippy::indexing_slicing)]
const fn build_sbox() -> [u8; 256] {
    let mut s = [0u8; 256];
    let mut x = 0usize;
    while x < 256 {
        let mut inv = 0u8;
        let mut y = 1usize;
        while y < 256 {
            if gmul(x as u8, y as u8) == 1 {
                inv = y as u8;
            }
            y += 1;
        }
        s[x] = inv ^ inv.rotate_left(1) ^ inv.rotate_left(2) ^ inv.rotate_left(3) ^ inv.rotate_left(4) ^ 0x63;
        x += 1;
    }
    s
}

static SBOX: [u8; 256] = build_sbox();

/// Round table: for input byte x, the column (2s, s, s, 3s) (s = S(x))
/// as a little-endian word (byte r = row r). Computed at compile time.
#[allow(clippy::indexing_slicing)]
static TE: [u32; 256] = {
    let s = build_sbox();
    let mut t = [0u32; 256];
    let mut x = 0usize;
    while x < 256 {
        let v = s[x];
        t[x] = u32::from_le_bytes([xtime(v), v, v, xtime(v) ^ v]);
        x += 1;
    }
    t
};

#[inline(always)]
fn te(x: u32) -> u32 {
    TE.get((x & 0xff) as usize).copied().unwrap_or(0)
}

#[inline(always)]
fn sb(x: u32) -> u32 {
    u32::from(SBOX.get((x & 0xff) as usize).copied().unwrap_or(0))
}

/// AES-128 with its expanded key (table-based: see the module doc).
pub struct Aes128 {
    /// The 44 words of FIPS 197 section 5.2, little-endian.
    rk: [u32; 44],
}

impl Aes128 {
    /// Expand `key` (FIPS 197 section 5.2).
    pub fn new(key: &[u8; BLOCK]) -> Self {
        let mut aes = Aes128::unkeyed();
        aes.set_key(key);
        aes
    }

    /// A cipher without a key yet (all-zero round keys); see
    /// [`Aes128::set_key`].
    pub const fn unkeyed() -> Self {
        Aes128 { rk: [0; 44] }
    }

    /// Expand `key` into this cipher's round keys.
    pub fn set_key(&mut self, key: &[u8; BLOCK]) {
        for (w, k) in self.rk.iter_mut().zip(key.chunks_exact(4)) {
            if let &[a, b, c, d] = k {
                *w = u32::from_le_bytes([a, b, c, d]);
            }
        }
        let mut rcon = 1u8;
        let mut prev = self.rk.get(3).copied().unwrap_or(0);
        for i in 4..44 {
            let mut t = prev;
            if i % 4 == 0 {
                // SubWord(RotWord(t)) ^ Rcon.
                let r = t.rotate_right(8);
                t = (sb(r) | (sb(r >> 8) << 8) | (sb(r >> 16) << 16) | (sb(r >> 24) << 24)) ^ u32::from(rcon);
                rcon = xtime(rcon);
            }
            let w = self.rk.get(i - 4).copied().unwrap_or(0) ^ t;
            if let Some(dst) = self.rk.get_mut(i) {
                *dst = w;
            }
            prev = w;
        }
    }

    /// Encrypt one block in place.
    pub fn encrypt1(&self, block: &mut [u8; BLOCK]) {
        let mut s = [0u32; 4];
        for (w, b) in s.iter_mut().zip(block.chunks_exact(4)) {
            if let &[a, b, c, d] = b {
                *w = u32::from_le_bytes([a, b, c, d]);
            }
        }
        let mut keys = self.rk.chunks_exact(4);
        if let Some(&[k0, k1, k2, k3]) = keys.next() {
            s = [s[0] ^ k0, s[1] ^ k1, s[2] ^ k2, s[3] ^ k3];
        }
        for (round, k) in keys.enumerate() {
            let [s0, s1, s2, s3] = s;
            let &[k0, k1, k2, k3] = k else { continue };
            s = if round < 9 {
                let col = |a: u32, b: u32, c: u32, d: u32| {
                    te(a) ^ te(b >> 8).rotate_left(8) ^ te(c >> 16).rotate_left(16) ^ te(d >> 24).rotate_left(24)
                };
                [col(s0, s1, s2, s3) ^ k0, col(s1, s2, s3, s0) ^ k1, col(s2, s3, s0, s1) ^ k2, col(s3, s0, s1, s2) ^ k3]
            } else {
                let col = |a: u32, b: u32, c: u32, d: u32| {
                    sb(a) | (sb(b >> 8) << 8) | (sb(c >> 16) << 16) | (sb(d >> 24) << 24)
                };
                [col(s0, s1, s2, s3) ^ k0, col(s1, s2, s3, s0) ^ k1, col(s2, s3, s0, s1) ^ k2, col(s3, s0, s1, s2) ^ k3]
            };
        }
        for (b, w) in block.chunks_exact_mut(4).zip(s) {
            b.copy_from_slice(&w.to_le_bytes());
        }
        s.zeroize();
    }

    /// Encrypt two blocks in place (two single-block encryptions: the API
    /// of the bitsliced AES, which does two for the price of one).
    pub fn encrypt2(&self, a: &mut [u8; BLOCK], b: &mut [u8; BLOCK]) {
        self.encrypt1(a);
        self.encrypt1(b);
    }
}

impl Drop for Aes128 {
    fn drop(&mut self) {
        self.rk.zeroize();
    }
}
