//! TLS 1.2 PRF with HMAC-SHA256 (RFC 5246 section 5) and HMAC helpers.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 over the concatenation of `parts`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // new_from_slice accepts any key length for HMAC; the error arm is unreachable
    // in practice but handled without a panic.
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        return [0; 32];
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// `PRF(secret, label, seed)` = `P_SHA256(secret, label || seed)`, filling `out`.
/// The seed may be given in pieces (e.g. client_random, server_random).
pub fn prf(secret: &[u8], label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    let Ok(base) = HmacSha256::new_from_slice(secret) else {
        out.fill(0);
        return;
    };
    // A(1) = HMAC(secret, label || seed)
    let mut mac = base.clone();
    mac.update(label);
    for s in seed {
        mac.update(s);
    }
    let mut a: [u8; 32] = mac.finalize().into_bytes().into();
    for chunk in out.chunks_mut(32) {
        let mut m = base.clone();
        m.update(&a);
        m.update(label);
        for s in seed {
            m.update(s);
        }
        let mut block: [u8; 32] = m.finalize().into_bytes().into();
        chunk.copy_from_slice(block.get(..chunk.len()).unwrap_or(&[]));
        block.zeroize();
        let mut m = base.clone();
        m.update(&a);
        a = m.finalize().into_bytes().into();
    }
    a.zeroize();
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
