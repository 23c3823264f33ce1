//! Incremental SHA-256 whose state is plain data.
//!
//! The handshake transcript hash lives inside the connection context, which
//! must be valid when all-zero (C declares it as `static`). RustCrypto's
//! hasher state is opaque, so this wrapper keeps the chaining value and the
//! partial block itself and calls `sha2::compress256` for the heavy lifting.

use sha2::digest::generic_array::GenericArray;
use zerocopy::FromZeros;

const IV: [u32; 8] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// SHA-256 state. Call [`Sha256::reset`] before first use.
#[derive(Clone, FromZeros)]
#[repr(C)]
pub struct Sha256 {
    state: [u32; 8],
    total: u64,
    block: [u8; 64],
}

impl Sha256 {
    /// A fresh hasher.
    pub fn new() -> Self {
        let mut h = Sha256::new_zeroed();
        h.reset();
        h
    }

    /// Restart from the empty message.
    pub fn reset(&mut self) {
        self.state = IV;
        self.total = 0;
        self.block = [0; 64];
    }

    /// Absorb `data`.
    pub fn update(&mut self, mut data: &[u8]) {
        let mut fill = (self.total % 64) as usize;
        self.total = self.total.wrapping_add(data.len() as u64);
        if fill > 0 {
            let take = core::cmp::min(64 - fill, data.len());
            let (head, tail) = data.split_at(take);
            if let Some(dst) = self.block.get_mut(fill..fill + take) {
                dst.copy_from_slice(head);
            }
            fill += take;
            data = tail;
            if fill < 64 {
                return;
            }
            sha2::compress256(&mut self.state, core::slice::from_ref(GenericArray::from_slice(&self.block)));
        }
        // Whole blocks straight from the input (borrowed, not copied: an
        // unaligned 64-byte copy per block cost ~7 % of SHA-256 on
        // Cortex-M4), the rest into the buffer.
        let mut blocks = data.chunks_exact(64);
        for b in &mut blocks {
            sha2::compress256(&mut self.state, core::slice::from_ref(GenericArray::from_slice(b)));
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
        const PAD: [u8; 64] = {
            let mut p = [0u8; 64];
            p[0] = 0x80;
            p
        };
        let bits = self.total.wrapping_mul(8);
        let fill = (self.total % 64) as usize;
        let pad = if fill < 56 { 56 - fill } else { 120 - fill };
        self.update(PAD.get(..pad).unwrap_or(&PAD));
        self.update(&bits.to_be_bytes());
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
    h.digest()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

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
        // FIPS 180-2 "abc".
        assert_eq!(sha256(&[b"abc"])[..4], [0xba, 0x78, 0x16, 0xbf],);
    }
}
