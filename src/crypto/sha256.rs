//! Incremental SHA-256 (FIPS 180-4) whose state is plain data.
//!
//! The handshake transcript hash lives inside the connection context, which
//! must be valid when all-zero (C declares it as `static`), so the state is
//! a plain `#[repr(C)]` struct: chaining value, byte count, partial block.
//!
//! The compression function is written for small code on 32-bit
//! microcontrollers (about 0.9 KB of Thumb-2 plus the 256-byte K table,
//! against 2.3 KB for RustCrypto's `sha2` soft backend, at the same speed
//! on Cortex-M4): a 16-word circular message schedule expanded in place
//! between groups of 16 rounds, and one 8-round straight-line body called
//! 8 times per block (the working variables rotate through its 8 rounds,
//! so there are no register moves between rounds). No branch and no memory
//! index depends on the data.

use zerocopy::FromZeros;

/// The SHA-256 initial hash value (FIPS 180-4 section 5.3.3).
pub const IV: [u32; 8] =
    [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// Round constants: the first 32 bits of the fractional parts of the cube
/// roots of the first 64 primes (FIPS 180-4 section 4.2.2).
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, //
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, //
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, //
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, //
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, //
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, //
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, //
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2, //
];

/// SHA-256 block size in bytes.
pub const BLOCK_LEN: usize = 64;

/// One SHA-256 round on the working variables `a..h` (FIPS 180-4 6.2.2
/// step 3): `d` and `h` are updated and the caller renames the variables
/// for the next round. `bc` carries `b ^ c` from round to round, so Maj
/// costs three operations: Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn round(a: u32, b: u32, bc: &mut u32, d: &mut u32, e: u32, f: u32, g: u32, h: &mut u32, kw: u32) {
    let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
    let ch = g ^ (e & (f ^ g));
    let t1 = h.wrapping_add(s1).wrapping_add(ch).wrapping_add(kw);
    let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
    let ab = a ^ b;
    let maj = b ^ (ab & *bc);
    *bc = ab;
    *d = d.wrapping_add(t1);
    *h = t1.wrapping_add(s0).wrapping_add(maj);
}

/// Rounds on `s` with the round inputs K\[t\] + W\[t\] in `kw` (16 of
/// them), in a loop over an 8-round straight-line body. Not inlined, so
/// the working variables stay in registers.
#[inline(never)]
fn rounds(s: &mut [u32; 8], kw: &[u32]) {
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *s;
    let mut bc = b ^ c;
    for kw in kw.chunks_exact(8) {
        if let &[x0, x1, x2, x3, x4, x5, x6, x7] = kw {
            round(a, b, &mut bc, &mut d, e, f, g, &mut h, x0);
            round(h, a, &mut bc, &mut c, d, e, f, &mut g, x1);
            round(g, h, &mut bc, &mut b, c, d, e, &mut f, x2);
            round(f, g, &mut bc, &mut a, b, c, d, &mut e, x3);
            round(e, f, &mut bc, &mut h, a, b, c, &mut d, x4);
            round(d, e, &mut bc, &mut g, h, a, b, &mut c, x5);
            round(c, d, &mut bc, &mut f, g, h, a, &mut b, x6);
            round(b, c, &mut bc, &mut e, f, g, h, &mut a, x7);
        }
    }
    *s = [a, b, c, d, e, f, g, h];
}

/// The next 16 words of the message schedule (FIPS 180-4 6.2.2 step 1),
/// in place, and K + W for them in `kw`.
///
/// `w` is the 16-word circular schedule stored twice (`w[i + 16]` mirrors
/// `w[i]`), so W\[t-15\], W\[t-7\], W\[t-2\] are `w[i + 1]`, `w[i + 9]`,
/// `w[i + 14]` without index wrapping: every mirror word read in this pass
/// was written earlier in the same pass.
#[inline(never)]
fn schedule(w: &mut [u32; 32], kw: &mut [u32; 16], k16: &[u32]) {
    for i in 0..16 {
        let at = |j: usize| w.get(j).copied().unwrap_or(0);
        let (w16, w15, w7, w2) = (at(i), at(i + 1), at(i + 9), at(i + 14));
        let s0 = w15.rotate_right(7) ^ w15.rotate_right(18) ^ (w15 >> 3);
        let s1 = w2.rotate_right(17) ^ w2.rotate_right(19) ^ (w2 >> 10);
        let x = w16.wrapping_add(s0).wrapping_add(w7).wrapping_add(s1);
        if let Some(y) = w.get_mut(i) {
            *y = x;
        }
        if let Some(y) = w.get_mut(i + 16) {
            *y = x;
        }
        if let (Some(o), Some(k)) = (kw.get_mut(i), k16.get(i)) {
            *o = x.wrapping_add(*k);
        }
    }
}

/// The SHA-256 compression function on one 64-byte block.
pub fn compress(state: &mut [u32; 8], block: &[u8; BLOCK_LEN]) {
    // Built element by element (no memset of the buffers first): the
    // message words, mirrored, and K + W for the first 16 rounds.
    let mut w: [u32; 32] = core::array::from_fn(|i| match block.get(4 * (i & 15)..) {
        Some(&[b0, b1, b2, b3, ..]) => u32::from_be_bytes([b0, b1, b2, b3]),
        _ => 0,
    });
    let mut kw: [u32; 16] =
        core::array::from_fn(|i| w.get(i).copied().unwrap_or(0).wrapping_add(K.get(i).copied().unwrap_or(0)));
    let mut s = *state;
    for (n, k16) in K.chunks_exact(16).enumerate() {
        if n > 0 {
            schedule(&mut w, &mut kw, k16);
        }
        rounds(&mut s, &kw);
    }
    for (x, v) in state.iter_mut().zip(s.iter()) {
        *x = x.wrapping_add(*v);
    }
}

/// SHA-256 state. Call [`Sha256::reset`] before first use.
#[derive(Clone, FromZeros)]
#[repr(C)]
pub struct Sha256 {
    state: [u32; 8],
    total: u64,
    block: [u8; BLOCK_LEN],
}

impl Sha256 {
    /// A fresh hasher.
    pub fn new() -> Self {
        Sha256 { state: IV, total: 0, block: [0; BLOCK_LEN] }
    }

    /// A hasher that continues from `state` after `blocks` whole blocks
    /// (e.g. an HMAC state after its key pad).
    pub fn resume(state: &[u32; 8], blocks: u32) -> Self {
        Sha256 { state: *state, total: u64::from(blocks) * BLOCK_LEN as u64, block: [0; BLOCK_LEN] }
    }

    /// Continue from `state` after `blocks` whole blocks, like
    /// [`Sha256::resume`] in place (the partial-block buffer is not
    /// cleared: it is empty at a block boundary).
    pub fn restart_from(&mut self, state: &[u32; 8], blocks: u32) {
        self.state = *state;
        self.total = u64::from(blocks) * BLOCK_LEN as u64;
    }

    /// Restart from the empty message.
    pub fn reset(&mut self) {
        self.state = IV;
        self.total = 0;
        self.block = [0; BLOCK_LEN];
    }

    /// Absorb `data`.
    pub fn update(&mut self, mut data: &[u8]) {
        let fill = (self.total % BLOCK_LEN as u64) as usize;
        self.total = self.total.wrapping_add(data.len() as u64);
        if fill > 0 {
            let take = core::cmp::min(BLOCK_LEN - fill, data.len());
            let (head, tail) = data.split_at(take);
            if let Some(dst) = self.block.get_mut(fill..fill + take) {
                dst.copy_from_slice(head);
            }
            data = tail;
            if fill + take < BLOCK_LEN {
                return;
            }
            compress(&mut self.state, &self.block);
        }
        // Whole blocks straight from the input (borrowed, not copied), the
        // rest into the buffer.
        let mut blocks = data.chunks_exact(BLOCK_LEN);
        for b in &mut blocks {
            if let Ok(b) = b.try_into() {
                compress(&mut self.state, b);
            }
        }
        let rest = blocks.remainder();
        if let Some(dst) = self.block.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
    }

    /// Zeroize the state (it may hold keyed material, e.g. HMAC pads).
    pub fn wipe(&mut self) {
        use zeroize::Zeroize;
        self.state.zeroize();
        self.block.zeroize();
        self.total = 0;
    }

    /// The digest of everything absorbed so far (the state is not consumed).
    pub fn digest(&self) -> [u8; 32] {
        self.clone().finish()
    }

    /// Pad in place and return the digest (the state is left padded: call
    /// [`Sha256::reset`] or [`Sha256::wipe`] before reuse).
    pub fn finish(&mut self) -> [u8; 32] {
        let fill = (self.total % BLOCK_LEN as u64) as usize;
        // 0x80 after the message, zeros to the end of the block.
        if let Some((first, rest)) = self.block.get_mut(fill..).and_then(|t| t.split_first_mut()) {
            *first = 0x80;
            rest.fill(0);
        }
        if fill >= BLOCK_LEN - 8 {
            compress(&mut self.state, &self.block);
            self.block = [0; BLOCK_LEN];
        }
        if let Some(len) = self.block.last_chunk_mut::<8>() {
            *len = self.total.wrapping_mul(8).to_be_bytes();
        }
        compress(&mut self.state, &self.block);
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.state.iter()) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

impl Default for Sha256 {
    fn default() -> Self {
        Sha256::new()
    }
}

/// One-shot SHA-256.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    fn hex(s: &str) -> std::vec::Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn matches_reference_for_all_split_points() {
        let data: [u8; 200] = core::array::from_fn(|i| (i * 7 + 3) as u8);
        for len in [0usize, 1, 55, 56, 63, 64, 65, 119, 120, 128, 200] {
            let want = sha2::Sha256::digest(&data[..len]);
            for split in [0, len / 3, len / 2, len] {
                let mut h = Sha256::new();
                h.update(&data[..split]);
                h.update(&data[split..len]);
                assert_eq!(h.digest().as_slice(), want.as_slice(), "len {len} split {split}");
            }
        }
    }

    /// FIPS 180-2 appendix B: "abc", the 448-bit two-block message, and
    /// one million times 'a' (fed in uneven pieces).
    #[test]
    fn fips_180_2_vectors() {
        assert_eq!(sha256(&[b"abc"]).to_vec(), hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        assert_eq!(
            sha256(&[b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"]).to_vec(),
            hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        );
        let mut h = Sha256::new();
        let chunk = [b'a'; 997];
        let mut left = 1_000_000usize;
        while left > 0 {
            let n = left.min(chunk.len());
            h.update(&chunk[..n]);
            left -= n;
        }
        assert_eq!(h.finish().to_vec(), hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
        // The empty message.
        assert_eq!(sha256(&[]).to_vec(), hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    }

    /// Every length from 0 to 300 (all padding cases: 55/56/63/64 and the
    /// multi-block boundaries), byte-at-a-time and in one piece, against
    /// the `sha2` crate.
    #[test]
    fn every_length_matches_the_sha2_crate() {
        let data: std::vec::Vec<u8> = (0..300u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        for len in 0..=data.len() {
            let want = sha2::Sha256::digest(&data[..len]);
            assert_eq!(sha256(&[&data[..len]]).as_slice(), want.as_slice(), "len {len}");
            let mut h = Sha256::new();
            for b in &data[..len] {
                h.update(core::slice::from_ref(b));
            }
            assert_eq!(h.digest().as_slice(), want.as_slice(), "bytewise, len {len}");
            // digest() does not consume: more input continues the hash.
            h.update(b"x");
            let mut all = data[..len].to_vec();
            all.push(b'x');
            assert_eq!(h.digest().as_slice(), sha2::Sha256::digest(&all).as_slice());
        }
    }

    #[test]
    fn resume_after_whole_blocks() {
        let data = [0x5au8; 200];
        let mut h = Sha256::new();
        h.update(&data[..128]);
        let mut r = Sha256::resume(&h.state, 2);
        r.update(&data[128..]);
        assert_eq!(r.finish(), sha256(&[&data]));
    }

    #[test]
    fn reset_and_wipe() {
        let mut h = Sha256::new();
        h.update(b"something else entirely, longer than nothing");
        h.reset();
        h.update(b"abc");
        assert_eq!(h.digest(), sha256(&[b"abc"]));
        h.wipe();
        assert!(h.state.iter().all(|&w| w == 0) && h.block.iter().all(|&b| b == 0) && h.total == 0);
        let zeroed = Sha256::new_zeroed();
        let mut z = zeroed.clone();
        z.reset();
        z.update(b"abc");
        assert_eq!(z.finish(), sha256(&[b"abc"]));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 256, failure_persistence: None, ..proptest::prelude::ProptestConfig::default()
        })]
        /// Random messages cut into random pieces hash like the `sha2` crate.
        #[test]
        fn random_pieces_match_the_sha2_crate(
            data in proptest::collection::vec(0u8.., 0..1000),
            cuts in proptest::collection::vec(0usize..1000, 0..6),
        ) {
            let mut cuts: std::vec::Vec<usize> = cuts.into_iter().map(|c| c % (data.len() + 1)).collect();
            cuts.sort_unstable();
            let mut h = Sha256::new();
            let mut at = 0;
            for c in cuts {
                h.update(&data[at..c]);
                at = c;
            }
            h.update(&data[at..]);
            let want = sha2::Sha256::digest(&data);
            proptest::prop_assert_eq!(&h.finish()[..], &want[..]);
        }
    }
}
