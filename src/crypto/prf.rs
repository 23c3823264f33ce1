//! TLS 1.2 PRF with HMAC-SHA256 (RFC 5246 section 5) and HMAC (RFC 2104).
//!
//! Built on the crate's plain-data [`Sha256`]: the keyed inner and outer
//! states are computed once per key and copied for each HMAC, which keeps
//! the stack small (a few hundred bytes) on microcontrollers.

use zeroize::Zeroize;

use super::sha256::Sha256;

const BLOCK: usize = 64;

/// HMAC-SHA256 with the key pads already absorbed.
#[derive(Clone)]
pub struct HmacSha256 {
    inner: Sha256,
    outer: Sha256,
}

impl HmacSha256 {
    /// Key the MAC (keys longer than a block are hashed first, RFC 2104).
    pub fn new(key: &[u8]) -> Self {
        let mut hashed = [0u8; 32];
        let key = if key.len() > BLOCK {
            hashed = super::sha256::sha256(&[key]);
            &hashed[..]
        } else {
            key
        };
        let mut pad = [0x36u8; BLOCK];
        for (p, k) in pad.iter_mut().zip(key) {
            *p ^= k;
        }
        let mut inner = Sha256::new();
        inner.update(&pad);
        for p in pad.iter_mut() {
            *p ^= 0x36 ^ 0x5c;
        }
        let mut outer = Sha256::new();
        outer.update(&pad);
        pad.zeroize();
        hashed.zeroize();
        HmacSha256 { inner, outer }
    }

    /// MAC of the concatenation of `parts`.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut h = self.inner.clone();
        for p in parts {
            h.update(p);
        }
        let mut inner = h.finish();
        let mut o = self.outer.clone();
        o.update(&inner);
        inner.zeroize();
        o.finish()
    }
}

impl Drop for HmacSha256 {
    fn drop(&mut self) {
        self.inner.wipe();
        self.outer.wipe();
    }
}

/// HMAC-SHA256 over the concatenation of `parts`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    HmacSha256::new(key).mac(parts)
}

/// `PRF(secret, label, seed)` = `P_SHA256(secret, label || seed)`, filling `out`.
/// The seed may be given in pieces (e.g. client_random, server_random).
pub fn prf(secret: &[u8], label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    let mac = HmacSha256::new(secret);
    // A(1) = HMAC(secret, label || seed); seeds have at most 3 pieces here.
    let mut a = mac.mac(&with_label(label, seed, None));
    let mut chunks = out.chunks_mut(32).peekable();
    while let Some(chunk) = chunks.next() {
        let mut block = mac.mac(&with_label(label, seed, Some(&a)));
        chunk.copy_from_slice(block.get(..chunk.len()).unwrap_or(&[]));
        block.zeroize();
        // A(i+1) only when another block follows (saves one HMAC, two
        // SHA-256 compressions, per PRF call).
        if chunks.peek().is_some() {
            let next = mac.mac(&[&a]);
            a.zeroize();
            a = next;
        }
    }
    a.zeroize();
}

/// `[prefix] || label || seed...` as a parts list (seed at most 3 pieces).
fn with_label<'a>(label: &'a [u8], seed: &[&'a [u8]], prefix: Option<&'a [u8; 32]>) -> PartList<'a> {
    let mut p = PartList { parts: [&[]; 5], n: 0 };
    if let Some(a) = prefix {
        p.push(a);
    }
    p.push(label);
    for s in seed.iter().take(3) {
        p.push(s);
    }
    p
}

/// A fixed-capacity list of byte slices.
struct PartList<'a> {
    parts: [&'a [u8]; 5],
    n: usize,
}

impl<'a> PartList<'a> {
    fn push(&mut self, s: &'a [u8]) {
        if let Some(slot) = self.parts.get_mut(self.n) {
            *slot = s;
            self.n += 1;
        }
    }
}

impl<'a> core::ops::Deref for PartList<'a> {
    type Target = [&'a [u8]];
    fn deref(&self) -> &Self::Target {
        self.parts.get(..self.n).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> std::vec::Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// The widely used TLS 1.2 PRF-SHA256 test vector (published on the
    /// IETF TLS list by Joseph Birr-Pixton, used by many TLS test suites).
    #[test]
    fn prf_sha256_known_answer() {
        let secret = hex("9bbe436ba940f017b17652849a71db35");
        let seed = hex("a0ba9f936cda311827a6f796ffd5198c");
        let mut out = [0u8; 100];
        prf(&secret, b"test label", &[&seed], &mut out);
        let want = hex(concat!(
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a",
            "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab",
            "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701",
            "87347b66"
        ));
        assert_eq!(&out[..], &want[..]);
        // Split seeds give the same answer.
        let mut out2 = [0u8; 100];
        prf(&secret, b"test label", &[&seed[..5], &seed[5..]], &mut out2);
        assert_eq!(out, out2);
    }

    /// RFC 4231 test case 2.
    #[test]
    fn hmac_known_answer() {
        let tag = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(tag.to_vec(), hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    }
}
