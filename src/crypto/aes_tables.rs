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

    /// Expand `key` into this cipher's round keys (four words per round,
    /// the previous round's words kept in registers).
    pub fn set_key(&mut self, key: &[u8; BLOCK]) {
        let mut w = [0u32; 4];
        for (x, k) in w.iter_mut().zip(key.chunks_exact(4)) {
            let mut b = [0u8; 4];
            b.copy_from_slice(k);
            *x = u32::from_le_bytes(b);
        }
        let mut rounds = self.rk.chunks_exact_mut(4);
        if let Some(first) = rounds.next() {
            first.copy_from_slice(&w);
        }
        let mut rcon = 1u8;
        for out in rounds {
            // SubWord(RotWord(w3)) ^ Rcon, then the running xor.
            let r = w[3].rotate_right(8);
            let t = (sb(r) | (sb(r >> 8) << 8) | (sb(r >> 16) << 16) | (sb(r >> 24) << 24)) ^ u32::from(rcon);
            rcon = xtime(rcon);
            let w0 = w[0] ^ t;
            let w1 = w[1] ^ w0;
            let w2 = w[2] ^ w1;
            let w3 = w[3] ^ w2;
            w = [w0, w1, w2, w3];
            out.copy_from_slice(&w);
        }
        w.zeroize();
    }

    /// Encrypt one block in place.
    pub fn encrypt1(&self, block: &mut [u8; BLOCK]) {
        let word = |i: usize| {
            let mut w = [0u8; 4];
            if let Some(c) = block.get(4 * i..4 * i + 4) {
                w.copy_from_slice(c);
            }
            u32::from_le_bytes(w)
        };
        let mut keys = self.rk.chunks_exact(4);
        let Some(&[k0, k1, k2, k3]) = keys.next() else { return };
        let mut s = [word(0) ^ k0, word(1) ^ k1, word(2) ^ k2, word(3) ^ k3];
        // Rounds 1..=9: SubBytes, ShiftRows, MixColumns by the table.
        for k in keys.by_ref().take(9) {
            let [s0, s1, s2, s3] = s;
            let &[k0, k1, k2, k3] = k else { return };
            let col = |a: u32, b: u32, c: u32, d: u32| {
                te(a) ^ te(b >> 8).rotate_left(8) ^ te(c >> 16).rotate_left(16) ^ te(d >> 24).rotate_left(24)
            };
            s = [
                col(s0, s1, s2, s3) ^ k0,
                col(s1, s2, s3, s0) ^ k1,
                col(s2, s3, s0, s1) ^ k2,
                col(s3, s0, s1, s2) ^ k3,
            ];
        }
        // Round 10: SubBytes and ShiftRows only.
        let Some(&[k0, k1, k2, k3]) = keys.next() else { return };
        let [s0, s1, s2, s3] = s;
        let col =
            |a: u32, b: u32, c: u32, d: u32| sb(a) | (sb(b >> 8) << 8) | (sb(c >> 16) << 16) | (sb(d >> 24) << 24);
        // The state is now the output block (no secret beyond what the
        // caller gets): written out, not wiped. Earlier states lived in
        // registers only.
        let [a0, a1, a2, a3] = (col(s0, s1, s2, s3) ^ k0).to_le_bytes();
        let [b0, b1, b2, b3] = (col(s1, s2, s3, s0) ^ k1).to_le_bytes();
        let [c0, c1, c2, c3] = (col(s2, s3, s0, s1) ^ k2).to_le_bytes();
        let [d0, d1, d2, d3] = (col(s3, s0, s1, s2) ^ k3).to_le_bytes();
        *block = [a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3];
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
