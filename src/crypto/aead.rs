//! AES-128-CCM with 8- or 16-byte tags (RFC 6655, on RFC 3610 / NIST SP
//! 800-38C) for DTLS records, with a 12-byte nonce (L = 3).
//!
//! CCM is CBC-MAC plus CTR. The CBC-MAC chain is sequential, but the CTR
//! keystream blocks are independent, so each AES call here computes one MAC
//! block and one keystream block together ([`Aes128::encrypt2`], which the
//! bitsliced AES computes for the price of one block): a 64-byte
//! DTLS record takes 6 AES calls instead of the 9 a MAC-then-CTR
//! implementation makes. Sealing and opening share one schedule: the
//! keystream block for data block i is computed one call before the MAC
//! absorbs block i, because opening must decrypt it first. The `ccm` crate
//! is the reference this implementation is tested against
//! (`matches_the_ccm_crate`).

use zeroize::Zeroize;

use super::aes::{Aes128, BLOCK};
use super::xor_into;
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

/// The AES-CCM that protects records and session tickets: the built-in
/// AES ([`BUILT_IN`]) or, with the cargo feature `aes-hook`, a registered
/// engine ([`super::hook::AesHook`]).
#[cfg(feature = "aes-hook")]
pub type Engine = Option<&'static super::hook::AesHook>;
/// The AES-CCM that protects records and session tickets (always the
/// built-in AES: the feature `aes-hook` is off; zero-sized).
#[cfg(not(feature = "aes-hook"))]
#[derive(Clone, Copy, Debug, zerocopy::FromZeros)]
pub struct Engine;

/// The built-in AES (also what an all-zero [`Engine`] is).
#[cfg(feature = "aes-hook")]
pub const BUILT_IN: Engine = None;
/// The built-in AES.
#[cfg(not(feature = "aes-hook"))]
pub const BUILT_IN: Engine = Engine;

/// Encrypt `buf` in place and write the tag to `tag_out` (at least `tag.bytes()` long).
///
/// Not inlined: the 176-byte key schedule lives in this frame only while
/// the AES runs, never in the (deep) frames of the callers.
#[inline(never)]
pub fn seal(
    tag: TagLen,
    key: &[u8; 16],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag_out: &mut [u8],
) -> Result<(), Error> {
    let mut aes = Aes128::unkeyed();
    aes.set_key(key);
    seal_blocks(&aes, tag, nonce, aad, buf, tag_out)
}

/// Verify and decrypt `buf` in place. The tag comparison is constant-time;
/// on failure `buf` is zeroed (no unauthenticated plaintext is left behind).
/// Not inlined (see [`seal`]).
#[inline(never)]
pub fn open(
    tag: TagLen,
    key: &[u8; 16],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag_in: &[u8],
) -> Result<(), Error> {
    let mut aes = Aes128::unkeyed();
    aes.set_key(key);
    open_blocks(&aes, tag, nonce, aad, buf, tag_in)
}

/// [`seal`] with `engine`. `Crypto` if a hook failed (`buf` is then
/// zeroed: whatever the hook left there is not sent).
pub fn seal_with(
    engine: Engine,
    tag: TagLen,
    key: &[u8; 16],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag_out: &mut [u8],
) -> Result<(), Error> {
    #[cfg(feature = "aes-hook")]
    if let Some(hook) = engine {
        check_lengths(aad, buf)?;
        let dst = tag_out.get_mut(..tag.bytes()).ok_or(Error::BufferTooSmall)?;
        return hook.0.seal(tag, key, nonce, aad, buf, dst).map_err(|_| {
            buf.zeroize();
            dst.zeroize();
            Error::Crypto
        });
    }
    let _ = engine;
    seal(tag, key, nonce, aad, buf, tag_out)
}

/// [`open`] with `engine`: `Decode` if the record is not authentic, `Crypto`
/// if a hook failed; `buf` is zeroed on either.
pub fn open_with(
    engine: Engine,
    tag: TagLen,
    key: &[u8; 16],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag_in: &[u8],
) -> Result<(), Error> {
    #[cfg(feature = "aes-hook")]
    if let Some(hook) = engine {
        if tag_in.len() != tag.bytes() {
            return Err(Error::Decode);
        }
        check_lengths(aad, buf)?;
        let r = match hook.0.open(tag, key, nonce, aad, buf, tag_in) {
            Ok(true) => return Ok(()),
            Ok(false) => Error::Decode,
            Err(_) => Error::Crypto,
        };
        buf.zeroize();
        return Err(r);
    }
    let _ = engine;
    open(tag, key, nonce, aad, buf, tag_in)
}

#[cfg(feature = "aes-hook")]
fn check_lengths(aad: &[u8], buf: &[u8]) -> Result<(), Error> {
    if buf.len() > MAX_MSG || aad.len() > MAX_AAD {
        return Err(Error::InvalidArgument);
    }
    Ok(())
}

/// A block cipher CCM runs on: the built-in AES with its expanded key, or
/// (feature `aes-hook`) an engine's block function with the key.
pub(crate) trait Blocks {
    /// Encrypt two blocks in place.
    fn enc2(&self, a: &mut [u8; BLOCK], b: &mut [u8; BLOCK]) -> Result<(), Error>;
    /// Encrypt one block in place.
    fn enc1(&self, a: &mut [u8; BLOCK]) -> Result<(), Error>;
}

impl Blocks for Aes128 {
    #[inline(always)]
    fn enc2(&self, a: &mut [u8; BLOCK], b: &mut [u8; BLOCK]) -> Result<(), Error> {
        self.encrypt2(a, b);
        Ok(())
    }
    #[inline(always)]
    fn enc1(&self, a: &mut [u8; BLOCK]) -> Result<(), Error> {
        self.encrypt1(a);
        Ok(())
    }
}

/// CCM seal over a block cipher (see [`seal`]).
pub(crate) fn seal_blocks<B: Blocks + ?Sized>(
    aes: &B,
    tag: TagLen,
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag_out: &mut [u8],
) -> Result<(), Error> {
    let dst = tag_out.get_mut(..tag.bytes()).ok_or(Error::BufferTooSmall)?;
    let mut t = ccm(aes, tag, nonce, aad, buf, false)?;
    for (d, s) in dst.iter_mut().zip(t.iter()) {
        *d = *s;
    }
    t.zeroize();
    Ok(())
}

/// CCM open over a block cipher (see [`open`]); `buf` is zeroed on any failure.
pub(crate) fn open_blocks<B: Blocks + ?Sized>(
    aes: &B,
    tag: TagLen,
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag_in: &[u8],
) -> Result<(), Error> {
    if tag_in.len() != tag.bytes() {
        return Err(Error::Decode);
    }
    let mut t = match ccm(aes, tag, nonce, aad, buf, true) {
        Ok(t) => t,
        Err(e) => {
            buf.zeroize();
            return Err(e);
        }
    };
    let ok = super::ct_eq(t.get(..tag.bytes()).ok_or(Error::Internal)?, tag_in);
    t.zeroize();
    if ok {
        Ok(())
    } else {
        buf.zeroize();
        Err(Error::Decode)
    }
}

/// Flags || nonce || 0: B_0 and the counter blocks A_i before their
/// 3-byte number (set with [`set_number`]).
fn nonce_block(flags: u8, nonce: &[u8; NONCE_LEN]) -> [u8; BLOCK] {
    let mut b = [0u8; BLOCK];
    if let Some((f, rest)) = b.split_first_mut() {
        *f = flags;
        if let Some(n) = rest.first_chunk_mut::<NONCE_LEN>() {
            *n = *nonce;
        }
    }
    b
}

/// The last L = 3 bytes of a B_0 / A_i block: `n` big-endian.
fn set_number(b: &mut [u8; BLOCK], n: usize) {
    if let (Some(dst), [_, x, y, z]) = (b.last_chunk_mut::<3>(), (n as u32).to_be_bytes()) {
        *dst = [x, y, z];
    }
}

/// CCM over `buf` in place (encrypting, or decrypting with `open`);
/// returns the full 16-byte tag value T = MAC xor S_0, of which the first
/// `tag.bytes()` count.
///
/// MAC inputs: step 0 is B_0, steps 1..=n the AAD blocks (2-byte length,
/// the AAD, zero padding), steps n+1..=n+m the data blocks. Step t also
/// encrypts counter block t - n + 1 when n <= t < n + m (S_i is ready one
/// step before block i is absorbed), and S_0 at step 0 when there is AAD,
/// else at the last step; other steps encrypt the MAC block alone.
fn ccm<B: Blocks + ?Sized>(
    aes: &B,
    tag: TagLen,
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    open: bool,
) -> Result<[u8; BLOCK], Error> {
    if buf.len() > MAX_MSG || aad.len() > MAX_AAD {
        return Err(Error::InvalidArgument);
    }
    let m = buf.len().div_ceil(BLOCK);
    let n = if aad.is_empty() { 0 } else { (aad.len() + 2).div_ceil(BLOCK) };

    // B_0: flags (Adata, M' = (M - 2) / 2, L' = L - 1), nonce, length.
    let flags = (if n > 0 { 0x40 } else { 0 }) | ((((tag.bytes() - 2) / 2) as u8) << 3) | (L - 1) as u8;
    let mut mac = nonce_block(flags, nonce);
    set_number(&mut mac, buf.len());
    let mut ks = [0u8; BLOCK];
    let mut s0 = [0u8; BLOCK];
    let mut data = buf.chunks_mut(BLOCK);
    let mut result = Ok(());

    for t in 0..=n + m {
        if t >= 1 && t <= n {
            // AAD block t - 1 of 2-byte length || aad.
            let (dst, from) = match mac.split_first_chunk_mut::<2>() {
                Some((len, rest)) if t == 1 => {
                    xor_into(len, &(aad.len() as u16).to_be_bytes());
                    (rest, 0)
                }
                _ => (mac.as_mut_slice(), 16 * (t - 1) - 2),
            };
            xor_into(dst, aad.get(from..).unwrap_or(&[]));
        } else if t > n {
            let Some(chunk) = data.next() else {
                result = Err(Error::Internal);
                break;
            };
            if open {
                xor_into(chunk, &ks);
            }
            xor_into(&mut mac, chunk);
            if !open {
                xor_into(chunk, &ks);
            }
        }
        let ctr = if t >= n && t < n + m {
            Some(t - n + 1)
        } else if (t == 0 && n > 0) || (n == 0 && t == m) {
            Some(0)
        } else {
            None
        };
        result = match ctr {
            Some(i) => {
                // A_i, encrypted in place into S_i.
                let s = if i == 0 { &mut s0 } else { &mut ks };
                *s = nonce_block((L - 1) as u8, nonce);
                set_number(s, i);
                aes.enc2(&mut mac, s)
            }
            None => aes.enc1(&mut mac),
        };
        if result.is_err() {
            break;
        }
    }
    xor_into(&mut mac, &s0);
    ks.zeroize();
    s0.zeroize();
    if let Err(e) = result {
        mac.zeroize();
        return Err(e);
    }
    Ok(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> std::vec::Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// AES-128-CCM-8 with a 12-byte nonce: NIST SP 800-38C appendix C,
    /// example 3 (20 bytes of AAD, 24 of payload, Tlen = 64).
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

    /// AES-128-CCM with a 12-byte nonce and a 16-byte tag: Project
    /// Wycheproof `aes_ccm_test.json` (group ivSize 96, tagSize 128; tcId
    /// 1, 2, 4, 9, 11, 25, 30: empty input, one byte, one block, a partial
    /// fifth block, AAD in one block, AAD spanning two blocks (15 bytes plus
    /// the length), 65 bytes of AAD). RFC 3610's packet vectors use a
    /// 13-byte nonce (L = 2), which DTLS (L = 3) does not.
    #[test]
    fn ccm16_wycheproof_vectors() {
        for (key, nonce, aad, msg, ct, tag) in [
            ("bedcfb5a011ebc84600fcb296c15af0d", "438a547a94ea88dce46c6c85", "", "", "", "25d1a38495a7dea45bda049705627d10"),
            ("384ea416ac3c2f51a76e7d8226346d4e", "b30c084727ad1c592ac21d12", "", "35", "d7", "6be3fd13b7065afc19e3b8a3b96b39fb"),
            (
                "ffdf4228361ea1f8165852136b3480f7",
                "0e1666f2dc652f7708fb8f0d",
                "",
                "25b12e28ac0ef6ead0226a3b2288c800",
                "aaf596fa5b00aaac27700146aec932a9",
                "848b6735d32c96e4a0532bcdfaf33582",
            ),
            (
                "42e38abef2dd7573248c5aefb3ecca54",
                "064b3cfbe04d94d4d5c19b30",
                "",
                "2c763b9ec84903bcbb8aec15e678a3a955e4870edbf62d9d3c81c4f9ed6154877875779ca33cce8f73a55ca7af1d8d817fc6baac00ef962c5a0da339ce81427a3d59",
                "4ca01b5b2a5e57bcc1a4b7f63f049dc477e3ee2e5c268efb346ff95b7dcd67f86ed0f11bb17c1dd7fb511d2f37b9684550c0d84be0f10030ccc4e0de5b74ef92ea54",
                "c5a57dd6fa16aa9de8de20e6bd321396",
            ),
            (
                "9415f925bcb41dc25e86c826dbc8bf68",
                "bdffaa763b916ff0ee3f3ce4",
                "705d676cd8a94451",
                "feb36167eafc02c8e2bd6e13817686ba",
                "08db327a88be7b48f430fd7bfccdf502",
                "b7c249f810adacf99abded1f3b9130f2",
            ),
            (
                "55e04c122780be52ed9328928039008c",
                "0c908e58cddad69dea1a32c3",
                "25591707c004f506f4b51e85e29f6a",
                "26eb70672eef03667b34cc7d0df05872",
                "89166dcd7d74a445dfd3526c5180d825",
                "8b8ed5f97a168881c3b6efe91cfe7043",
            ),
            (
                "5bf008f6f27cc21f5ae82fb7907b1d92",
                "580af48bc1108604d5551343",
                "482da24bb4fb9eaa0dbf403733597f5b3ee8338b5d09a1d6f9070bb069264abbcacc5657aa6353f179d1bb4c7fa00526789eaf08e0da258cbdb39e9877c68b4a75",
                "ca89d6ae284afb6792cd894e07aa8336",
                "1b89c6bcddefbe9233ee4093468a5f61",
                "a49c7747dad42df6d729a01f4c50cf34",
            ),
        ] {
            let key: [u8; 16] = hex(key).try_into().unwrap();
            let nonce: [u8; 12] = hex(nonce).try_into().unwrap();
            let (aad, msg, ct, tag) = (hex(aad), hex(msg), hex(ct), hex(tag));
            let mut buf = msg.clone();
            let mut t = [0u8; 16];
            seal(TagLen::Sixteen, &key, &nonce, &aad, &mut buf, &mut t).unwrap();
            assert_eq!(buf, ct);
            assert_eq!(t.to_vec(), tag);
            open(TagLen::Sixteen, &key, &nonce, &aad, &mut buf, &tag).unwrap();
            assert_eq!(buf, msg);
            // The last tag byte changed: refused, and the buffer wiped.
            let mut bad = tag.clone();
            bad[15] ^= 0x80;
            let mut buf = ct.clone();
            assert_eq!(open(TagLen::Sixteen, &key, &nonce, &aad, &mut buf, &bad), Err(Error::Decode));
            assert!(buf.iter().all(|&b| b == 0));
        }
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
                        TagLen::Eight => ccm::Ccm::<aes::Aes128, U8, U12>::new(&key.into())
                            .encrypt_in_place_detached(&nonce.into(), &aad, &mut theirs)
                            .unwrap()
                            .to_vec(),
                        TagLen::Sixteen => ccm::Ccm::<aes::Aes128, U16, U12>::new(&key.into())
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
                ccm::Ccm::<aes::Aes128, U16, U12>::new(&key.into())
                    .encrypt_in_place_detached(&nonce.into(), &aad, &mut theirs).unwrap().to_vec()
            } else {
                ccm::Ccm::<aes::Aes128, U8, U12>::new(&key.into())
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

    /// What an engine leaves behind when it fails or finds a forgery is
    /// wiped: no half-encrypted record is sent, no unauthenticated
    /// plaintext delivered; the two outcomes stay apart (Crypto / Decode).
    #[cfg(feature = "aes-hook")]
    #[test]
    fn engine_failures_and_forgeries_leave_nothing_behind() {
        use crate::crypto::hook::{AesEngine, AesHook, HookFailed};
        struct Scribbler(bool);
        impl AesEngine for Scribbler {
            fn encrypt_block(&self, _: &[u8; 16], _: &mut [u8; 16]) -> Result<(), HookFailed> {
                Err(HookFailed)
            }
            fn seal(
                &self,
                _: TagLen,
                _: &[u8; 16],
                _: &[u8; 12],
                _: &[u8],
                buf: &mut [u8],
                tag: &mut [u8],
            ) -> Result<(), HookFailed> {
                buf.fill(0xa5);
                tag.fill(0x5a);
                Err(HookFailed)
            }
            fn open(
                &self,
                _: TagLen,
                _: &[u8; 16],
                _: &[u8; 12],
                _: &[u8],
                buf: &mut [u8],
                _: &[u8],
            ) -> Result<bool, HookFailed> {
                buf.fill(0xa5);
                if self.0 {
                    Ok(false)
                } else {
                    Err(HookFailed)
                }
            }
        }
        static FAILS: AesHook = AesHook(&Scribbler(false));
        static FORGED: AesHook = AesHook(&Scribbler(true));
        let (key, nonce) = ([1u8; 16], [2u8; 12]);
        let mut buf = [7u8; 40];
        let mut tag = [0u8; 16];
        assert_eq!(seal_with(Some(&FAILS), TagLen::Eight, &key, &nonce, b"a", &mut buf, &mut tag), Err(Error::Crypto));
        assert!(buf.iter().chain(&tag).all(|&b| b == 0));
        let mut buf = [7u8; 40];
        assert_eq!(open_with(Some(&FAILS), TagLen::Eight, &key, &nonce, b"a", &mut buf, &[0; 8]), Err(Error::Crypto));
        assert!(buf.iter().all(|&b| b == 0));
        let mut buf = [7u8; 40];
        assert_eq!(open_with(Some(&FORGED), TagLen::Eight, &key, &nonce, b"a", &mut buf, &[0; 8]), Err(Error::Decode));
        assert!(buf.iter().all(|&b| b == 0));
        // A wrong tag length never reaches the engine.
        let mut buf = [7u8; 40];
        assert_eq!(open_with(Some(&FAILS), TagLen::Eight, &key, &nonce, b"a", &mut buf, &[0; 7]), Err(Error::Decode));
        assert_eq!(buf, [7u8; 40]);
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
