//! AES/CCM engines (cargo feature `aes-hook`): hardware (or any other)
//! AES that replaces the built-in one for everything that uses AES: record
//! protection (`crate::record`, also tls12_cid records) and session tickets
//! (`crate::session_ticket`).
//!
//! An engine is a whole-CCM accelerator ([`AesEngine::seal`] /
//! [`AesEngine::open`]: one call per record, for CCM engines and PSA
//! `psa_aead_encrypt`/`psa_aead_decrypt`), or a block accelerator: then
//! only [`AesEngine::encrypt_block`] is implemented and the crate's CCM
//! (`super::aead`) runs on it (for ECB-only peripherals). The engine gets
//! the raw 16-byte key with every call, borrowed for the call only: it
//! keeps no reference (it may cache a schedule or a key slot, and must then
//! wipe it itself).
//!
//! A failure ([`HookFailed`]) is never answered with the built-in AES: the
//! caller gets [`crate::Error::Crypto`], and a connection fails closed
//! (fatal internal_error alert if one can still be sealed).

use super::aead::{self, Blocks, TagLen};
use super::aes::BLOCK;
use crate::error::Error;

/// An engine could not do what it was asked (busy hardware, a key slot it
/// could not load, a bus error ...). Not an authentication failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HookFailed;

/// An AES-128 / AES-128-CCM implementation (nonce 12 bytes, L = 3, tags of 8
/// or 16 bytes: RFC 6655). Called synchronously on the caller's thread; the
/// library waits for the result, so an engine may block (e.g. on a DMA
/// transfer) but nothing in nanodtls runs meanwhile.
pub trait AesEngine: Sync {
    /// Encrypt one block in place with `key` (AES-128, FIPS 197).
    fn encrypt_block(&self, key: &[u8; BLOCK], block: &mut [u8; BLOCK]) -> Result<(), HookFailed>;

    /// CCM-encrypt `buf` in place and write the `tag.bytes()`-byte tag to
    /// `tag_out` (exactly that long). The default runs the crate's CCM on
    /// [`AesEngine::encrypt_block`].
    fn seal(
        &self,
        tag: TagLen,
        key: &[u8; BLOCK],
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
        tag_out: &mut [u8],
    ) -> Result<(), HookFailed> {
        seal_on_blocks(self, tag, key, nonce, aad, buf, tag_out)
    }

    /// Verify `tag_in` (`tag.bytes()` long) and CCM-decrypt `buf` in place:
    /// `Ok(true)` if authentic, `Ok(false)` if not (then `buf` is zeroed by
    /// the caller whatever it holds), `Err` if the engine failed. The
    /// default runs the crate's CCM on [`AesEngine::encrypt_block`].
    fn open(
        &self,
        tag: TagLen,
        key: &[u8; BLOCK],
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
        tag_in: &[u8],
    ) -> Result<bool, HookFailed> {
        open_on_blocks(self, tag, key, nonce, aad, buf, tag_in)
    }
}

/// The crate's CCM seal on `engine`'s [`AesEngine::encrypt_block`] (what
/// [`AesEngine::seal`] does unless an engine overrides it).
pub fn seal_on_blocks<E: AesEngine + ?Sized>(
    engine: &E,
    tag: TagLen,
    key: &[u8; BLOCK],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag_out: &mut [u8],
) -> Result<(), HookFailed> {
    aead::seal_blocks(&WithKey { engine, key }, tag, nonce, aad, buf, tag_out).map_err(|_| HookFailed)
}

/// The crate's CCM open on `engine`'s [`AesEngine::encrypt_block`] (what
/// [`AesEngine::open`] does unless an engine overrides it).
pub fn open_on_blocks<E: AesEngine + ?Sized>(
    engine: &E,
    tag: TagLen,
    key: &[u8; BLOCK],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag_in: &[u8],
) -> Result<bool, HookFailed> {
    match aead::open_blocks(&WithKey { engine, key }, tag, nonce, aad, buf, tag_in) {
        Ok(()) => Ok(true),
        Err(Error::Decode) => Ok(false),
        Err(_) => Err(HookFailed),
    }
}

/// A registered engine: what [`crate::Engine::set_aes_hook`] (of a connection) and
/// [`crate::Endpoint::set_aes_hook`] take (a thin `'static` reference, so
/// a connection stores one pointer):
///
/// ```ignore
/// static HW: nanodtls::crypto::hook::AesHook = nanodtls::crypto::hook::AesHook(&MyAes);
/// conn.set_aes_hook(Some(&HW));
/// ```
pub struct AesHook(pub &'static dyn AesEngine);

/// An engine's block function with one key: what the crate's CCM runs on.
struct WithKey<'a, E: AesEngine + ?Sized> {
    engine: &'a E,
    key: &'a [u8; BLOCK],
}

impl<E: AesEngine + ?Sized> Blocks for WithKey<'_, E> {
    fn enc2(&self, a: &mut [u8; BLOCK], b: &mut [u8; BLOCK]) -> Result<(), Error> {
        self.enc1(a)?;
        self.enc1(b)
    }
    fn enc1(&self, a: &mut [u8; BLOCK]) -> Result<(), Error> {
        self.engine.encrypt_block(self.key, a).map_err(|_| Error::Crypto)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::aes::Aes128;
    use core::sync::atomic::{AtomicU32, Ordering};

    /// A block engine on the built-in AES that fails from its `fail_at`-th call.
    struct Blockwise {
        calls: AtomicU32,
        fail_at: u32,
    }
    impl AesEngine for Blockwise {
        fn encrypt_block(&self, key: &[u8; 16], block: &mut [u8; 16]) -> Result<(), HookFailed> {
            if self.calls.fetch_add(1, Ordering::Relaxed) + 1 >= self.fail_at {
                return Err(HookFailed);
            }
            Aes128::new(key).encrypt1(block);
            Ok(())
        }
    }

    /// The block path of an engine gives the built-in CCM's bytes for every
    /// length and both tags; a failing block call fails the whole
    /// operation and leaves no plaintext or partial ciphertext behind.
    #[test]
    fn block_engine_matches_built_in_and_fails_closed() {
        let ok = Blockwise { calls: AtomicU32::new(0), fail_at: u32::MAX };
        let key = [0x42u8; 16];
        let nonce = [7u8; 12];
        for len in 0..70usize {
            for tl in [TagLen::Eight, TagLen::Sixteen] {
                let pt: std::vec::Vec<u8> = (0..len as u8).collect();
                let (mut a, mut b) = (pt.clone(), pt.clone());
                let (mut ta, mut tb) = ([0u8; 16], [0u8; 16]);
                aead::seal(tl, &key, &nonce, b"aad", &mut a, &mut ta).unwrap();
                ok.seal(tl, &key, &nonce, b"aad", &mut b, &mut tb[..tl.bytes()]).unwrap();
                assert_eq!((&a, ta), (&b, tb), "len {len} {tl:?}");
                assert_eq!(ok.open(tl, &key, &nonce, b"aad", &mut b, &ta[..tl.bytes()]), Ok(true));
                assert_eq!(b, pt);
                let mut bad = ta;
                bad[0] ^= 1;
                assert_eq!(ok.open(tl, &key, &nonce, b"aad", &mut a, &bad[..tl.bytes()]), Ok(false));
            }
        }
        for fail_at in 1..=7 {
            let failing = Blockwise { calls: AtomicU32::new(0), fail_at };
            let mut buf = [0x55u8; 40];
            let mut tag = [0u8; 8];
            assert_eq!(failing.seal(TagLen::Eight, &key, &nonce, b"", &mut buf, &mut tag), Err(HookFailed));
        }
    }
}
