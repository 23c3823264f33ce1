//! AES-128-CCM with 8- or 16-byte tags (RFC 6655) for DTLS records.

use aes::Aes128;
use ccm::aead::consts::{U12, U16, U8};
use ccm::aead::{AeadInPlace, KeyInit};
use ccm::Ccm;

use crate::error::Error;

/// Authentication tag length of the negotiated CCM variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagLen {
    /// AES-128-CCM-8.
    Eight,
    /// AES-128-CCM (16-byte tag).
    Sixteen,
}

impl TagLen {
    /// Tag length in bytes.
    pub const fn bytes(self) -> usize {
        match self {
            TagLen::Eight => 8,
            TagLen::Sixteen => 16,
        }
    }
}

/// Encrypt `buf` in place and write the tag to `tag_out` (at least `tag.bytes()` long).
pub fn seal(
    tag: TagLen,
    key: &[u8; 16],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag_out: &mut [u8],
) -> Result<(), Error> {
    let dst = tag_out.get_mut(..tag.bytes()).ok_or(Error::BufferTooSmall)?;
    match tag {
        TagLen::Eight => {
            let c = Ccm::<Aes128, U8, U12>::new(key.into());
            let t = c.encrypt_in_place_detached(nonce.into(), aad, buf).map_err(|_| Error::Internal)?;
            dst.copy_from_slice(&t);
        }
        TagLen::Sixteen => {
            let c = Ccm::<Aes128, U16, U12>::new(key.into());
            let t = c.encrypt_in_place_detached(nonce.into(), aad, buf).map_err(|_| Error::Internal)?;
            dst.copy_from_slice(&t);
        }
    }
    Ok(())
}

/// Verify and decrypt `buf` in place. On failure `buf` content is unspecified
/// and must be discarded. The tag comparison is constant-time (in `ccm`).
pub fn open(
    tag: TagLen,
    key: &[u8; 16],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag_in: &[u8],
) -> Result<(), Error> {
    match tag {
        TagLen::Eight => {
            let t: [u8; 8] = tag_in.try_into().map_err(|_| Error::Decode)?;
            Ccm::<Aes128, U8, U12>::new(key.into())
                .decrypt_in_place_detached(nonce.into(), aad, buf, (&t).into())
                .map_err(|_| Error::Decode)
        }
        TagLen::Sixteen => {
            let t: [u8; 16] = tag_in.try_into().map_err(|_| Error::Decode)?;
            Ccm::<Aes128, U16, U12>::new(key.into())
                .decrypt_in_place_detached(nonce.into(), aad, buf, (&t).into())
                .map_err(|_| Error::Decode)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> std::vec::Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// NIST SP 800-38C / RFC 3610-style vector for AES-128-CCM with
    /// a 12-byte nonce and 8-byte tag: CAVS "VNT" set, 12-byte nonce
    /// example from NIST SP 800-38C Appendix C, Example 3 (tag 8 bytes).
    #[test]
    fn ccm8_nist_example3() {
        let key: [u8; 16] = hex("404142434445464748494a4b4c4d4e4f").try_into().unwrap();
        let nonce: [u8; 12] = hex("101112131415161718191a1b").try_into().unwrap();
        let aad = hex("000102030405060708090a0b0c0d0e0f10111213");
        let mut pt = hex("202122232425262728292a2b2c2d2e2f3031323334353637");
        let mut tag = [0u8; 8];
        seal(TagLen::Eight, &key, &nonce, &aad, &mut pt, &mut tag).unwrap();
        assert_eq!(pt, hex("e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5"));
        assert_eq!(tag.to_vec(), hex("484392fbc1b09951"));
        open(TagLen::Eight, &key, &nonce, &aad, &mut pt, &tag).unwrap();
        assert_eq!(pt, hex("202122232425262728292a2b2c2d2e2f3031323334353637"));
    }

    #[test]
    fn forged_tag_or_aad_rejected() {
        let key = [7u8; 16];
        let nonce = [1u8; 12];
        for tl in [TagLen::Eight, TagLen::Sixteen] {
            let mut buf = *b"hello, constrained world";
            let mut tag = [0u8; 16];
            seal(tl, &key, &nonce, b"aad", &mut buf, &mut tag).unwrap();
            let ct = buf;
            let t = &tag[..tl.bytes()];
            let mut bad = t.to_vec();
            bad[0] ^= 1;
            let mut b = ct;
            assert_eq!(open(tl, &key, &nonce, b"aad", &mut b, &bad), Err(Error::Decode));
            let mut b = ct;
            assert_eq!(open(tl, &key, &nonce, b"aaD", &mut b, t), Err(Error::Decode));
            let mut b = ct;
            assert_eq!(open(tl, &key, &nonce, b"aad", &mut b, &t[1..]), Err(Error::Decode));
            let mut b = ct;
            open(tl, &key, &nonce, b"aad", &mut b, t).unwrap();
            assert_eq!(&b, b"hello, constrained world");
        }
    }
}
