//! TLS 1.2 PRF with HMAC-SHA256 (RFC 5246 section 5) and HMAC (RFC 2104).
//!
//! Built on the crate's plain-data [`Sha256`]. A keyed [`HmacSha256`] keeps
//! only the two chaining values after the key pads (64 bytes): each MAC
//! resumes the inner hash from the first and hashes the 32-byte inner
//! digest from the second, so keying costs two compressions once and no
//! state is copied per MAC. The PRF runs all its MACs through one hasher
//! on its stack and wipes it once at the end.

use zeroize::Zeroize;

use super::sha256::{compress, Sha256, BLOCK_LEN};
use super::xor_into;

/// HMAC-SHA256 with the key pads already absorbed.
pub struct HmacSha256 {
    /// SHA-256 chaining value after `key ^ ipad`.
    inner: [u32; 8],
    /// SHA-256 chaining value after `key ^ opad`.
    outer: [u32; 8],
}

/// `pad ^= SHA-256(key)`, for keys longer than a block. Its own call
/// (never inlined): the hash state is on the stack only for such keys,
/// not under every PRF.
#[inline(never)]
fn xor_hashed_key(pad: &mut [u8; BLOCK_LEN], key: &[u8]) {
    let mut hashed = super::sha256::sha256(&[key]);
    xor_into(pad, &hashed);
    hashed.zeroize();
}

impl HmacSha256 {
    /// Key the MAC (keys longer than a block are hashed first, RFC 2104).
    pub fn new(key: &[u8]) -> Self {
        let mut pad = [0x36u8; BLOCK_LEN];
        if key.len() > BLOCK_LEN {
            xor_hashed_key(&mut pad, key);
        } else {
            xor_into(&mut pad, key);
        }
        let mut mac = HmacSha256 { inner: super::sha256::IV, outer: super::sha256::IV };
        compress(&mut mac.inner, &pad);
        // key ^ opad = key ^ ipad ^ (0x36 ^ 0x5c).
        xor_into(&mut pad, &[0x36 ^ 0x5c; BLOCK_LEN]);
        compress(&mut mac.outer, &pad);
        pad.zeroize();
        mac
    }

    /// Begin a MAC in `h`: the inner hash after the key pad. Feed the
    /// message with [`Sha256::update`], then call [`HmacSha256::end`].
    pub fn start(&self, h: &mut Sha256) {
        h.restart_from(&self.inner, 1);
    }

    /// The MAC of what was fed to `h` since [`HmacSha256::start`]. `h` is
    /// left holding keyed state: wipe it ([`Sha256::wipe`]) when done.
    pub fn end(&self, h: &mut Sha256) -> [u8; 32] {
        let mut inner = h.finish();
        h.restart_from(&self.outer, 1);
        h.update(&inner);
        inner.zeroize();
        h.finish()
    }

    /// MAC of the concatenation of `parts`.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut h = Sha256::resume(&self.inner, 1);
        for p in parts {
            h.update(p);
        }
        let out = self.end(&mut h);
        h.wipe();
        out
    }
}

impl Drop for HmacSha256 {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
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
    let mut h = Sha256::resume(&mac.inner, 1);
    // A(1) = HMAC(secret, label || seed).
    absorb(&mut h, label, seed);
    let mut a = mac.end(&mut h);
    let mut chunks = out.chunks_mut(32).peekable();
    while let Some(chunk) = chunks.next() {
        // HMAC(secret, A(i) || label || seed).
        mac.start(&mut h);
        h.update(&a);
        absorb(&mut h, label, seed);
        let mut block = mac.end(&mut h);
        if let Some(b) = block.get(..chunk.len()) {
            chunk.copy_from_slice(b);
        }
        block.zeroize();
        // A(i+1) = HMAC(secret, A(i)), only when another block follows.
        if chunks.peek().is_some() {
            mac.start(&mut h);
            h.update(&a);
            a.zeroize();
            a = mac.end(&mut h);
        }
    }
    a.zeroize();
    h.wipe();
}

fn absorb(h: &mut Sha256, label: &[u8], seed: &[&[u8]]) {
    h.update(label);
    for s in seed {
        h.update(s);
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

    /// RFC 4231 test cases 1-4, 6 and 7 (6 and 7: a 131-byte key, hashed
    /// first) and the truncated case 5.
    #[test]
    fn hmac_rfc4231() {
        let cases: [(std::vec::Vec<u8>, std::vec::Vec<u8>, &str); 6] = [
            (vec![0x0b; 20], b"Hi There".to_vec(), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (vec![0xaa; 20], vec![0xdd; 50], "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            ((1..=25).collect(), vec![0xcd; 50], "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. \
                  The key needs to be hashed before being used by the HMAC algorithm."
                    .to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, data, want) in cases {
            assert_eq!(hmac_sha256(&key, &[&data]).to_vec(), hex(want), "key {key:02x?}");
            // In pieces, and through start/update/end.
            let (x, y) = data.split_at(data.len() / 3);
            assert_eq!(hmac_sha256(&key, &[x, b"", y]).to_vec(), hex(want));
            let mac = HmacSha256::new(&key);
            let mut h = Sha256::new();
            mac.start(&mut h);
            h.update(&data);
            assert_eq!(mac.end(&mut h).to_vec(), hex(want));
        }
        let t = hmac_sha256(&[0x0c; 20], &[b"Test With Truncation"]);
        assert_eq!(t[..16].to_vec(), hex("a3b6167473100ee06e0c796c2955552b"));
    }

    /// RFC 2104 HMAC and RFC 5246 P_SHA256 written directly on the `sha2`
    /// crate, as the reference for the randomized tests.
    fn ref_hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        let mut k = [0u8; 64];
        if key.len() > 64 {
            k[..32].copy_from_slice(&sha2::Sha256::digest(key));
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let ipad: std::vec::Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: std::vec::Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let inner = sha2::Sha256::digest([&ipad[..], msg].concat());
        sha2::Sha256::digest([&opad[..], &inner[..]].concat()).into()
    }

    fn ref_prf(secret: &[u8], label_seed: &[u8], len: usize) -> std::vec::Vec<u8> {
        let mut out = std::vec::Vec::new();
        let mut a = ref_hmac(secret, label_seed);
        while out.len() < len {
            out.extend_from_slice(&ref_hmac(secret, &[&a[..], label_seed].concat()));
            a = ref_hmac(secret, &a);
        }
        out.truncate(len);
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 256, failure_persistence: None, ..proptest::prelude::ProptestConfig::default()
        })]
        /// Keys of 0..200 bytes (both sides of the 64-byte block), messages
        /// of 0..300 bytes, PRF outputs of 0..130 bytes, against the
        /// reference above.
        #[test]
        fn random_hmac_and_prf_match_the_reference(
            key in proptest::collection::vec(0u8.., 0..200),
            msg in proptest::collection::vec(0u8.., 0..300),
            label in proptest::collection::vec(0u8.., 0..30),
            len in 0usize..130,
        ) {
            proptest::prop_assert_eq!(hmac_sha256(&key, &[&msg]), ref_hmac(&key, &msg));
            let mut out = vec![0u8; len];
            let (s1, s2) = msg.split_at(msg.len() / 2);
            prf(&key, &label, &[s1, s2], &mut out);
            proptest::prop_assert_eq!(out, ref_prf(&key, &[&label[..], &msg[..]].concat(), len));
        }
    }
}
