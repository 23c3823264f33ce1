//! SHA-1 (FIPS 180-4 section 6.1), only for the hashes of RFC 6066
//! section 5 (client certificate URLs name each certificate by its SHA-1;
//! no security decision rests on SHA-1's collision resistance beyond what
//! the RFC fixes: the fetched chain is validated to a trust anchor as
//! usual). Our own small rolled implementation rather than the RustCrypto
//! `sha1` crate: one 16-word schedule on the stack, no unrolled rounds,
//! no new dependency (a few hundred bytes of flash instead of ~2 KiB).

/// Digest length.
pub const LEN: usize = 20;

/// Incremental SHA-1.
pub struct Sha1 {
    h: [u32; 5],
    block: [u8; 64],
    fill: usize,
    total: u64,
}

impl Default for Sha1 {
    fn default() -> Self {
        Self::new()
    }
}

impl Sha1 {
    /// A fresh hash.
    pub fn new() -> Self {
        Sha1 { h: [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476, 0xc3d2_e1f0], block: [0; 64], fill: 0, total: 0 }
    }

    fn compress(h: &mut [u32; 5], block: &[u8; 64]) {
        // The schedule as a 16-word window: w[0] is W_t.
        let mut w = [0u32; 16];
        for (wi, c) in w.iter_mut().zip(block.chunks_exact(4)) {
            if let Some(c) = c.first_chunk::<4>() {
                *wi = u32::from_be_bytes(*c);
            }
        }
        let [mut a, mut b, mut c, mut d, mut e] = *h;
        for t in 0..80 {
            let (f, k) = match t {
                0..=19 => ((b & c) | (!b & d), 0x5a82_7999),
                20..=39 => (b ^ c ^ d, 0x6ed9_eba1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8f1b_bcdc),
                _ => (b ^ c ^ d, 0xca62_c1d6),
            };
            let tmp = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(w[0]);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = tmp;
            let next = (w[13] ^ w[8] ^ w[2] ^ w[0]).rotate_left(1);
            w.rotate_left(1);
            w[15] = next;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }

    /// Absorb `data`.
    pub fn update(&mut self, mut data: &[u8]) {
        self.total = self.total.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            let room = 64 - self.fill;
            let n = room.min(data.len());
            let (now, later) = data.split_at(n);
            if let Some(dst) = self.block.get_mut(self.fill..self.fill + n) {
                dst.copy_from_slice(now);
            }
            self.fill += n;
            data = later;
            if self.fill == 64 {
                Self::compress(&mut self.h, &self.block);
                self.fill = 0;
            }
        }
    }

    /// The digest.
    pub fn finish(mut self) -> [u8; LEN] {
        let bits = self.total.wrapping_mul(8);
        self.update(&[0x80]);
        while self.fill != 56 {
            self.update(&[0]);
        }
        self.update(&bits.to_be_bytes());
        let mut out = [0u8; LEN];
        for (o, x) in out.chunks_exact_mut(4).zip(self.h) {
            o.copy_from_slice(&x.to_be_bytes());
        }
        out
    }
}

/// SHA-1 of `data` in one call.
pub fn sha1(data: &[u8]) -> [u8; LEN] {
    let mut h = Sha1::new();
    h.update(data);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> [u8; LEN] {
        let mut o = [0u8; LEN];
        for (i, b) in o.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        o
    }

    /// FIPS 180-4 examples (NIST CSRC "SHA1.pdf", "SHA1LongMessage"):
    /// "abc", the two-block message, the empty string, a million 'a'.
    #[test]
    fn fips_180_vectors() {
        assert_eq!(sha1(b"abc"), hex("a9993e364706816aba3e25717850c26c9cd0d89d"));
        assert_eq!(
            sha1(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            hex("84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        );
        assert_eq!(sha1(b""), hex("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
        let mut h = Sha1::new();
        for _ in 0..1000 {
            h.update(&[b'a'; 1000]);
        }
        assert_eq!(h.finish(), hex("34aa973cd4c4daa4f61eeb2bdbad27316534016f"));
    }

    /// Split points across block boundaries give the same digest.
    #[test]
    fn incremental_equals_one_shot() {
        let data: std::vec::Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        let whole = sha1(&data);
        for cut in [0, 1, 55, 56, 63, 64, 65, 128, 299, 300] {
            let mut h = Sha1::new();
            h.update(&data[..cut]);
            h.update(&data[cut..]);
            assert_eq!(h.finish(), whole, "cut {cut}");
        }
    }
}
