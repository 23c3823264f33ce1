//! The AES/CCM hook (cargo feature `aes-hook`, src/crypto/hook.rs): a C
//! accelerator registered with nanodtls_set_aes_hook does the AES of every
//! context and endpoint (records, tls12_cid records, session tickets).
//!
//! The registration is global to the library, like the log hook: one
//! pointer to the application's `nanodtls_aes_hook` (an atomic load and
//! store, so thumbv6m without compare-and-swap works). Every C context and
//! endpoint gets the engine [`ENGINE`] at init; it reads the registration
//! at each call (contexts initialised before the hook was set use it too)
//! and runs the built-in AES while none is registered.

use core::ffi::{c_int, c_void};
#[cfg(feature = "aes-hook")]
use core::sync::atomic::{AtomicPtr, Ordering};

use super::nanodtls_status;
#[cfg(feature = "aes-hook")]
use crate::crypto::aead::TagLen;
#[cfg(feature = "aes-hook")]
use crate::crypto::hook::{AesEngine, AesHook, HookFailed};

/// What nanodtls_aes_hook.ccm_open returns for a record (or ticket) that is
/// not authentic: it is dropped like any forgery (the connection goes on).
/// Any other non-zero value is a failure of the hook.
pub const NANODTLS_AES_HOOK_AUTH_FAILED: c_int = 1;

/// An AES-128 / AES-128-CCM accelerator (hardware AES, a CCM engine, PSA
/// Crypto ...), registered with nanodtls_set_aes_hook. Either a block
/// function (then nanodtls runs its own CCM on it: 6 + 5 calls for a
/// 64-byte record) or a whole-CCM pair (one call per record), or all three
/// (the CCM pair is used).
///
/// Key material: nanodtls owns it. Every call gets the raw 16-byte key,
/// valid for that call only: the hook keeps no pointer to it (it may load
/// it into a key slot or cache a schedule, and must wipe those itself).
/// Buffers are valid only during the call and never overlap, except that
/// seal and open work on `buf` in place.
///
/// Calls are synchronous, on the thread of the library call that needs
/// them (nanodtls_write, nanodtls_feed, nanodtls_poll_datagram and the
/// endpoint counterparts): a hook may block (wait for its DMA or a
/// hardware mutex); nothing in nanodtls runs meanwhile. Calls for
/// different contexts may come from different threads at once if the
/// application uses contexts from several threads. A hook must not call
/// into nanodtls for the context being served (NANODTLS_E_REENTRANT).
///
/// Failure: any non-zero return (except ccm_open's
/// NANODTLS_AES_HOOK_AUTH_FAILED) fails the context closed: the call
/// returns NANODTLS_E_CRYPTO (also every later call: it is the sticky
/// status), the state becomes NANODTLS_STATE_FAILED, the secrets are
/// wiped, and a fatal internal_error alert is queued (sent if the hook
/// can still seal it). nanodtls never falls back to its own AES. What the
/// hook left in `buf` or `tag` is zeroed and never sent or delivered.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct nanodtls_aes_hook {
    /// Passed to every call.
    pub user: *mut c_void,
    /// Encrypt the 16 bytes at `block` in place with AES-128 under the 16
    /// bytes at `key`. 0 on success. NULL if ccm_seal and ccm_open are set.
    pub encrypt_block: Option<unsafe extern "C" fn(user: *mut c_void, key: *const u8, block: *mut u8) -> c_int>,
    /// AES-128-CCM (RFC 6655: 12-byte nonce, L = 3): encrypt the `len`
    /// bytes at `buf` in place and write the `tag_len`-byte tag (8 or 16)
    /// to `tag`, authenticating the `aad_len` bytes at `aad` (`aad` may be
    /// NULL when `aad_len` is 0, and `buf` when `len` is 0). 0 on success.
    pub ccm_seal: Option<
        unsafe extern "C" fn(
            user: *mut c_void,
            key: *const u8,
            nonce: *const u8,
            aad: *const u8,
            aad_len: usize,
            buf: *mut u8,
            len: usize,
            tag: *mut u8,
            tag_len: usize,
        ) -> c_int,
    >,
    /// AES-128-CCM decryption: verify the `tag_len`-byte tag at `tag` and
    /// decrypt the `len` bytes at `buf` in place. 0 if authentic,
    /// NANODTLS_AES_HOOK_AUTH_FAILED if not (nanodtls zeroes `buf`), any
    /// other value on failure. Set together with ccm_seal, or neither.
    pub ccm_open: Option<
        unsafe extern "C" fn(
            user: *mut c_void,
            key: *const u8,
            nonce: *const u8,
            aad: *const u8,
            aad_len: usize,
            buf: *mut u8,
            len: usize,
            tag: *const u8,
            tag_len: usize,
        ) -> c_int,
    >,
}

#[cfg(feature = "aes-hook")]
static HOOK: AtomicPtr<nanodtls_aes_hook> = AtomicPtr::new(core::ptr::null_mut());

/// Register the AES/CCM accelerator of every context and endpoint (global
/// to the library, like nanodtls_set_log_hook), or with NULL go back to
/// the built-in constant-time AES (the default). `*hook` is read at every
/// AES operation: it must stay valid and unchanged while registered (a
/// `static const` struct), and until calls that may still use it have
/// returned after it is replaced. Takes effect for records sealed or opened
/// from then on, in existing contexts too (both AES implementations give
/// the same bytes). See nanodtls_aes_hook for the contract of the calls
/// (key ownership, blocking, failure: the context fails closed with
/// NANODTLS_E_CRYPTO, no fallback).
///
/// Returns NANODTLS_OK; NANODTLS_E_INVALID_ARG if the hook has neither
/// encrypt_block nor the pair ccm_seal and ccm_open (or only one of the
/// pair; nothing changes then); NANODTLS_E_UNSUPPORTED if the library was
/// built without the `aes-hook` cargo feature (nothing is registered).
///
/// # Safety
/// `hook` is NULL or points to a valid nanodtls_aes_hook that outlives its
/// registration (see above).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_aes_hook(hook: *const nanodtls_aes_hook) -> nanodtls_status {
    // SAFETY: a non-NULL hook points to a nanodtls_aes_hook (the contract);
    // it is only read (copied).
    let h = unsafe { hook.as_ref() }.copied();
    if let Some(h) = h {
        let pair = h.ccm_seal.is_some() && h.ccm_open.is_some();
        if h.ccm_seal.is_some() != h.ccm_open.is_some() || !(pair || h.encrypt_block.is_some()) {
            return super::NANODTLS_E_INVALID_ARG;
        }
    }
    #[cfg(feature = "aes-hook")]
    {
        HOOK.store(hook.cast_mut(), Ordering::Release);
        super::NANODTLS_OK
    }
    #[cfg(not(feature = "aes-hook"))]
    {
        super::NANODTLS_E_UNSUPPORTED
    }
}

/// The engine of every C context and endpoint.
#[cfg(feature = "aes-hook")]
pub(crate) static ENGINE: AesHook = AesHook(&CHook);

/// The registered C hook, or the built-in AES when none is.
#[cfg(feature = "aes-hook")]
struct CHook;

#[cfg(feature = "aes-hook")]
fn registered() -> Option<nanodtls_aes_hook> {
    let p = HOOK.load(Ordering::Acquire);
    // SAFETY: the only non-NULL values stored in HOOK are pointers the
    // application registered, which must stay valid and unchanged while
    // registered (nanodtls_set_aes_hook's contract); the struct is copied
    // so that one operation sees one consistent hook.
    unsafe { p.as_ref().copied() }
}

#[cfg(feature = "aes-hook")]
fn rc(r: c_int) -> Result<(), HookFailed> {
    if r == 0 {
        Ok(())
    } else {
        Err(HookFailed)
    }
}

#[cfg(feature = "aes-hook")]
impl AesEngine for CHook {
    fn encrypt_block(&self, key: &[u8; 16], block: &mut [u8; 16]) -> Result<(), HookFailed> {
        match registered().and_then(|h| h.encrypt_block.map(|f| (f, h.user))) {
            // SAFETY: key and block point to 16 bytes each, valid (block
            // writable) for the call, as the hook's contract says.
            Some((f, user)) => rc(unsafe { f(user, key.as_ptr(), block.as_mut_ptr()) }),
            // A hook without a block function is only used through its
            // CCM pair (seal/open below); none registered: built-in AES.
            None => match registered() {
                Some(_) => Err(HookFailed),
                None => {
                    crate::crypto::aes::Aes128::new(key).encrypt1(block);
                    Ok(())
                }
            },
        }
    }

    fn seal(
        &self,
        tag: TagLen,
        key: &[u8; 16],
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
        tag_out: &mut [u8],
    ) -> Result<(), HookFailed> {
        let Some(h) = registered() else {
            return crate::crypto::aead::seal(tag, key, nonce, aad, buf, tag_out).map_err(|_| HookFailed);
        };
        match (h.ccm_seal, tag_out.len() == tag.bytes()) {
            // SAFETY: every pointer covers the length passed with it, valid
            // for the call (buf and tag writable, not overlapping anything
            // else passed), as the hook's contract says.
            (Some(f), true) => rc(unsafe {
                f(
                    h.user,
                    key.as_ptr(),
                    nonce.as_ptr(),
                    aad.as_ptr(),
                    aad.len(),
                    buf.as_mut_ptr(),
                    buf.len(),
                    tag_out.as_mut_ptr(),
                    tag_out.len(),
                )
            }),
            (Some(_), false) => Err(HookFailed),
            (None, _) => crate::crypto::aead::seal_blocks(&BlockFn(h, key), tag, nonce, aad, buf, tag_out)
                .map_err(|_| HookFailed),
        }
    }

    fn open(
        &self,
        tag: TagLen,
        key: &[u8; 16],
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
        tag_in: &[u8],
    ) -> Result<bool, HookFailed> {
        let r = match registered() {
            None => crate::crypto::aead::open(tag, key, nonce, aad, buf, tag_in),
            Some(h) => match (h.ccm_open, tag_in.len() == tag.bytes()) {
                (Some(f), true) => {
                    // SAFETY: as in seal; tag_in is only read.
                    let r = unsafe {
                        f(
                            h.user,
                            key.as_ptr(),
                            nonce.as_ptr(),
                            aad.as_ptr(),
                            aad.len(),
                            buf.as_mut_ptr(),
                            buf.len(),
                            tag_in.as_ptr(),
                            tag_in.len(),
                        )
                    };
                    return match r {
                        0 => Ok(true),
                        NANODTLS_AES_HOOK_AUTH_FAILED => Ok(false),
                        _ => Err(HookFailed),
                    };
                }
                (Some(_), false) => return Ok(false),
                (None, _) => crate::crypto::aead::open_blocks(&BlockFn(h, key), tag, nonce, aad, buf, tag_in),
            },
        };
        match r {
            Ok(()) => Ok(true),
            Err(crate::Error::Decode) => Ok(false),
            Err(_) => Err(HookFailed),
        }
    }
}

/// The block function of one registered hook with one key.
#[cfg(feature = "aes-hook")]
struct BlockFn<'a>(nanodtls_aes_hook, &'a [u8; 16]);

#[cfg(feature = "aes-hook")]
impl crate::crypto::aead::Blocks for BlockFn<'_> {
    fn enc2(&self, a: &mut [u8; 16], b: &mut [u8; 16]) -> Result<(), crate::Error> {
        self.enc1(a)?;
        self.enc1(b)
    }
    fn enc1(&self, a: &mut [u8; 16]) -> Result<(), crate::Error> {
        let Some(f) = self.0.encrypt_block else { return Err(crate::Error::Crypto) };
        // SAFETY: key and block point to 16 bytes each, valid (block
        // writable) for the call, as the hook's contract says.
        rc(unsafe { f(self.0.user, self.1.as_ptr(), a.as_mut_ptr()) }).map_err(|_| crate::Error::Crypto)
    }
}
