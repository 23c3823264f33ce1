//! AES-128-CCM with 8- or 16-byte tags (RFC 6655, on RFC 3610 / NIST SP
//! 800-38C) for DTLS records, with a 12-byte nonce (L = 3).
//!
//! CCM is CBC-MAC plus CTR. The CBC-MAC chain is sequential, but the CTR
//! keystream blocks are independent, so each AES call here computes one MAC
//! block and one keystream block together. RustCrypto's constant-time
//! (fixsliced) software AES encrypts two blocks for the price of one on
//! 32-bit CPUs, so a 64-byte DTLS record takes 6 AES calls instead of the 9
//! a MAC-then-CTR implementation makes (measured on Cortex-M4 in QEMU:
//! embedded/README.md). The AES itself is the `aes` crate; the `ccm` crate
//! is the reference this implementation is tested against
//! (`matches_the_ccm_crate`).

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::{Aes128, Block};
use zeroize::Zeroize;

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

const NONCE_LEN: usize = 12;
/// Length field size L = 15 - nonce length.
const L: usize = 3;
/// Largest message with L = 3.
const MAX_MSG: usize = (1 << (8 * L)) - 1;
/// Largest AAD with the two-byte length encoding (RFC 3610 2.2).
const MAX_AAD: usize = 0xFEFF;

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
    let mut t = ccm(tag, key, nonce, aad, buf, Direction::Seal)?;
    dst.copy_from_slice(t.get(..dst.len()).ok_or(Error::Internal)?);
    t.zeroize();
    Ok(())
}

/// Verify and decrypt `buf` in place. The tag comparison is constant-time;
/// on failure `buf` is zeroed (no unauthenticated plaintext is left behind).
pub fn open(
    tag: TagLen,
    key: &[u8; 16],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag_in: &[u8],
) -> Result<(), Error> {
    if tag_in.len() != tag.bytes() {
        return Err(Error::Decode);
    }
    let mut t = ccm(tag, key, nonce, aad, buf, Direction::Open)?;
    let ok = super::ct_eq(t.get(..tag.bytes()).ok_or(Error::Internal)?, tag_in);
    t.zeroize();
    if ok {
        Ok(())
    } else {
        buf.zeroize();
        Err(Error::Decode)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Seal,
    Open,
}

/// Counter block A_i: flags (L - 1) || nonce || i (RFC 3610 2.3).
fn counter(nonce: &[u8; NONCE_LEN], i: usize) -> Block {
    let mut a = [0u8; 16];
    a[0] = (L - 1) as u8;
    a[1..1 + NONCE_LEN].copy_from_slice(nonce);
    let be = (i as u32).to_be_bytes();
    a[1 + NONCE_LEN..].copy_from_slice(&be[1..]);
    Block::from(a)
}

/// XOR `src` into the front of `dst`.
fn xor_into(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= *s;
    }
}

/// One AES call on [MAC input, counter block] (the second is optional).
fn step(aes: &Aes128, mac: &mut Block, ctr: Option<Block>) -> Option<Block> {
    match ctr {
        Some(c) => {
            let mut pair = [*mac, c];
            aes.encrypt_blocks(&mut pair);
            let [m, k] = pair;
            *mac = m;
            Some(k)
        }
        None => {
            aes.encrypt_block(mac);
            None
        }
    }
}

/// CCM over `buf` in place (encrypting or decrypting); returns the full
/// 16-byte tag value T = MAC xor S_0, of which the first `tag.bytes()` count.
///
/// Schedule (m = number of 16-byte data blocks):
/// - seal: [B_0, A_0], then each AAD block alone, then [X xor P_j, A_j]
///   for j = 1..m (C_j = P_j xor S_j right after the call);
/// - open: P_j is needed for the MAC, so S_j comes one call early: the last
///   call before the data computes S_1 (and B_0's call S_0 when there is
///   AAD), data call j computes S_(j+1), or S_0 for the last block when it
///   is still missing.
fn ccm(
    tag: TagLen,
    key: &[u8; 16],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    dir: Direction,
) -> Result<Block, Error> {
    if buf.len() > MAX_MSG || aad.len() > MAX_AAD {
        return Err(Error::InvalidArgument);
    }
    let aes = Aes128::new(key.into());
    let m_blocks = buf.len().div_ceil(16);

    // B_0: flags || nonce || message length (RFC 3610 2.2).
    let mut b0 = [0u8; 16];
    let adata = if aad.is_empty() { 0u8 } else { 0x40 };
    b0[0] = adata | ((((tag.bytes() - 2) / 2) as u8) << 3) | (L - 1) as u8;
    b0[1..1 + NONCE_LEN].copy_from_slice(nonce);
    let len_be = (buf.len() as u32).to_be_bytes();
    b0[1 + NONCE_LEN..].copy_from_slice(&len_be[1..]);

    // The AAD as MAC input: 2-byte length || aad, zero-padded to blocks.
    let aad_len = (aad.len() as u16).to_be_bytes();
    let aad_total = if aad.is_empty() { 0 } else { aad.len() + 2 };
    let aad_blocks = aad_total.div_ceil(16);
    let aad_byte = |i: usize| -> u8 {
        match i {
            0 | 1 => aad_len.get(i).copied().unwrap_or(0),
            _ => aad.get(i - 2).copied().unwrap_or(0),
        }
    };

    let mut mac = Block::from(b0);
    let mut s0: Option<Block> = None;
    // Keystream block for the next data block (open only).
    let mut next_ks: Option<Block> = None;

    // Call 1: B_0, with S_0 (seal, or open with AAD) or S_1 (open, no AAD).
    let first_ctr = match dir {
        Direction::Seal => Some(0),
        Direction::Open if aad_blocks > 0 => Some(0),
        Direction::Open if m_blocks > 0 => Some(1),
        Direction::Open => Some(0),
    };
    let ks = step(&aes, &mut mac, first_ctr.map(|i| counter(nonce, i)));
    match first_ctr {
        Some(0) => s0 = ks,
        _ => next_ks = ks,
    }

    for b in 0..aad_blocks {
        for (k, x) in mac.iter_mut().enumerate() {
            *x ^= aad_byte(b * 16 + k);
        }
        let last_before_data = b + 1 == aad_blocks;
        let ctr = (dir == Direction::Open && last_before_data && m_blocks > 0).then(|| counter(nonce, 1));
        if let Some(ks) = step(&aes, &mut mac, ctr) {
            next_ks = Some(ks);
        }
    }

    for (j, chunk) in buf.chunks_mut(16).enumerate() {
        let idx = j + 1;
        match dir {
            Direction::Seal => {
                xor_into(&mut mac, chunk);
                let ks = step(&aes, &mut mac, Some(counter(nonce, idx))).ok_or(Error::Internal)?;
                xor_into(chunk, &ks);
            }
            Direction::Open => {
                let mut ks = next_ks.take().ok_or(Error::Internal)?;
                xor_into(chunk, &ks);
                ks.zeroize();
                xor_into(&mut mac, chunk);
                let ctr = if idx < m_blocks {
                    Some(counter(nonce, idx + 1))
                } else if s0.is_none() {
                    Some(counter(nonce, 0))
                } else {
                    None
                };
                let want_s0 = idx == m_blocks && s0.is_none();
                let ks = step(&aes, &mut mac, ctr);
                if want_s0 {
                    s0 = ks;
                } else {
                    next_ks = ks;
                }
            }
        }
    }

    let mut s0 = s0.ok_or(Error::Internal)?;
    xor_into(&mut mac, &s0);
    s0.zeroize();
    Ok(mac)
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

    /// Differential test against the `ccm` crate (the RustCrypto reference
    /// implementation): every message length from 0 to 80 bytes and AAD
    /// lengths 0, 1, 13 (DTLS), 14 (exactly one block with its length
    /// prefix), 15 and 40 (several AAD blocks), both tag lengths.
    #[test]
    fn matches_the_ccm_crate() {
        use ccm::aead::consts::{U12, U16, U8};
        use ccm::aead::{AeadInPlace, KeyInit as _};
        let mut x = 0x1234_5678_9abc_def0u64;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        };
        for len in 0..=80usize {
            for aad_len in [0usize, 1, 13, 14, 15, 40] {
                let key: [u8; 16] = core::array::from_fn(|_| rnd());
                let nonce: [u8; 12] = core::array::from_fn(|_| rnd());
                let aad: std::vec::Vec<u8> = (0..aad_len).map(|_| rnd()).collect();
                let pt: std::vec::Vec<u8> = (0..len).map(|_| rnd()).collect();
                for tl in [TagLen::Eight, TagLen::Sixteen] {
                    let mut ours = pt.clone();
                    let mut tag = [0u8; 16];
                    seal(tl, &key, &nonce, &aad, &mut ours, &mut tag).unwrap();
                    let mut theirs = pt.clone();
                    let want: std::vec::Vec<u8> = match tl {
                        TagLen::Eight => ccm::Ccm::<Aes128, U8, U12>::new(&key.into())
                            .encrypt_in_place_detached(&nonce.into(), &aad, &mut theirs)
                            .unwrap()
                            .to_vec(),
                        TagLen::Sixteen => ccm::Ccm::<Aes128, U16, U12>::new(&key.into())
                            .encrypt_in_place_detached(&nonce.into(), &aad, &mut theirs)
                            .unwrap()
                            .to_vec(),
                    };
                    assert_eq!(ours, theirs, "ciphertext, len {len} aad {aad_len} {tl:?}");
                    assert_eq!(&tag[..tl.bytes()], &want[..], "tag, len {len} aad {aad_len} {tl:?}");
                    let mut back = ours.clone();
                    open(tl, &key, &nonce, &aad, &mut back, &tag[..tl.bytes()]).unwrap();
                    assert_eq!(back, pt);
                    // Any flipped ciphertext bit fails, and the buffer is wiped.
                    if len > 0 {
                        let mut bad = ours.clone();
                        bad[len / 2] ^= 0x20;
                        assert_eq!(open(tl, &key, &nonce, &aad, &mut bad, &tag[..tl.bytes()]), Err(Error::Decode));
                        assert!(bad.iter().all(|&b| b == 0), "unauthenticated plaintext left behind");
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 512, failure_persistence: None, ..proptest::prelude::ProptestConfig::default()
        })]
        /// Random keys, nonces, AAD up to 64 bytes and messages up to 600
        /// bytes: the same ciphertext and tag as the `ccm` crate, and a
        /// flipped bit anywhere (ciphertext, tag, AAD, nonce) is rejected.
        #[test]
        fn random_inputs_match_the_ccm_crate(
            key in proptest::array::uniform16(0u8..),
            nonce in proptest::array::uniform12(0u8..),
            aad in proptest::collection::vec(0u8.., 0..64),
            pt in proptest::collection::vec(0u8.., 0..600),
            sixteen in proptest::bool::ANY,
            flip in 0usize..10_000,
        ) {
            use ccm::aead::consts::{U12, U16, U8};
            use ccm::aead::{AeadInPlace, KeyInit as _};
            let tl = if sixteen { TagLen::Sixteen } else { TagLen::Eight };
            let mut ct = pt.clone();
            let mut tag = [0u8; 16];
            seal(tl, &key, &nonce, &aad, &mut ct, &mut tag).unwrap();
            let mut theirs = pt.clone();
            let want: std::vec::Vec<u8> = if sixteen {
                ccm::Ccm::<Aes128, U16, U12>::new(&key.into())
                    .encrypt_in_place_detached(&nonce.into(), &aad, &mut theirs).unwrap().to_vec()
            } else {
                ccm::Ccm::<Aes128, U8, U12>::new(&key.into())
                    .encrypt_in_place_detached(&nonce.into(), &aad, &mut theirs).unwrap().to_vec()
            };
            proptest::prop_assert_eq!(&ct, &theirs);
            proptest::prop_assert_eq!(&tag[..tl.bytes()], &want[..]);
            let t = &tag[..tl.bytes()];
            // Forge one bit somewhere in what is authenticated.
            let (mut c2, mut t2, mut a2, mut n2) = (ct.clone(), t.to_vec(), aad.clone(), nonce);
            let bit = 1u8 << (flip % 8);
            match flip % 4 {
                0 if !c2.is_empty() => { let i = flip % c2.len(); c2[i] ^= bit; }
                1 => { let i = flip % t2.len(); t2[i] ^= bit; }
                2 if !a2.is_empty() => { let i = flip % a2.len(); a2[i] ^= bit; }
                _ => { n2[flip % 12] ^= bit; }
            }
            proptest::prop_assert_eq!(open(tl, &key, &n2, &a2, &mut c2, &t2), Err(Error::Decode));
            let mut back = ct.clone();
            open(tl, &key, &nonce, &aad, &mut back, t).unwrap();
            proptest::prop_assert_eq!(back, pt);
        }
    }

    #[test]
    fn oversized_inputs_are_refused() {
        let key = [1u8; 16];
        let nonce = [2u8; 12];
        let big_aad = std::vec![0u8; MAX_AAD + 1];
        let mut buf = [0u8; 4];
        let mut tag = [0u8; 8];
        assert_eq!(seal(TagLen::Eight, &key, &nonce, &big_aad, &mut buf, &mut tag), Err(Error::InvalidArgument));
        assert_eq!(seal(TagLen::Eight, &key, &nonce, b"", &mut buf, &mut tag[..7]), Err(Error::BufferTooSmall));
        assert_eq!(open(TagLen::Eight, &key, &nonce, b"", &mut buf, &tag[..7]), Err(Error::Decode));
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
