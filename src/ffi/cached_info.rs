//! C API of cached_info (feature `cached-info`, RFC 7924,
//! docs/cached_info.md): the client lends the server Certificate it kept
//! and receives the one to keep, the same for the server's
//! CertificateRequest (type cert_req); a server (context or endpoint) can
//! turn its answer off. The functions exist in every build; without the
//! feature they return NANODTLS_E_UNSUPPORTED.

use core::ffi::{c_int, c_void};

use zerocopy::FromZeros;

use super::ctx::with_ctx;
use super::endpoint::with_ep;
use super::*;

/// Hook that receives the server's Certificate message body (the X.509
/// certificate_list with its 3-byte length) after the client validated it
/// in a full handshake: copy it (the pointer is valid for the call only)
/// and keep it once the handshake completes (nanodtls_state reports
/// connected), to lend it back next time with
/// nanodtls_set_cached_server_certificate. Not called when the server
/// sent the hash form. Called from inside nanodtls_feed.
pub type nanodtls_server_certificate_fn = Option<unsafe extern "C" fn(user: *mut c_void, body: *const u8, len: usize)>;

/// Hook that receives the server's CertificateRequest message body (RFC
/// 5246 7.4.4: certificate types, signature algorithms, CA names) after a
/// full handshake's request was accepted: copy it (the pointer is valid
/// for the call only) and keep it once the handshake completes, to lend it
/// back next time with nanodtls_set_cached_certificate_request. Not
/// called when the server sent the hash form. Called from inside
/// nanodtls_feed.
pub type nanodtls_certificate_request_fn = Option<unsafe extern "C" fn(user: *mut c_void, body: *const u8, len: usize)>;

/// cached_info's part of the callbacks.
#[derive(Clone, Copy, FromZeros)]
#[repr(C)]
pub(crate) struct CachedInfoCallbacks {
    #[cfg(feature = "cached-info")]
    body: *const u8,
    #[cfg(feature = "cached-info")]
    body_len: usize,
    #[cfg(feature = "cached-info")]
    hook: nanodtls_server_certificate_fn,
    #[cfg(feature = "cached-info")]
    hook_user: *mut c_void,
    /// The kept CertificateRequest body and its hook.
    #[cfg(feature = "cached-info")]
    req: *const u8,
    #[cfg(feature = "cached-info")]
    req_len: usize,
    #[cfg(feature = "cached-info")]
    req_hook: nanodtls_certificate_request_fn,
    #[cfg(feature = "cached-info")]
    req_hook_user: *mut c_void,
    /// Server: do not answer cached_info (non-zero; zero, the default,
    /// answers). Word-sized: no padding.
    #[cfg(feature = "cached-info")]
    off: usize,
}

#[cfg(feature = "cached-info")]
impl CachedInfoCallbacks {
    /// Env::cached_server_certificate.
    pub(crate) fn cached(&self) -> Option<&[u8]> {
        if self.body.is_null() || self.body_len == 0 {
            return None;
        }
        // SAFETY: registered by nanodtls_set_cached_server_certificate,
        // whose contract is that the bytes stay valid and unchanged while
        // registered; ptr/len were checked there.
        Some(unsafe { core::slice::from_raw_parts(self.body, self.body_len) })
    }

    /// Env::store_server_certificate.
    pub(crate) fn store(&self, body: &[u8]) {
        if let Some(f) = self.hook {
            // SAFETY: the application registered this hook with its user
            // pointer; body is valid for the call.
            unsafe { f(self.hook_user, body.as_ptr(), body.len()) }
        }
    }

    /// Env::cached_certificate_request.
    pub(crate) fn cached_request(&self) -> Option<&[u8]> {
        if self.req.is_null() || self.req_len == 0 {
            return None;
        }
        // SAFETY: registered by nanodtls_set_cached_certificate_request,
        // whose contract is that the bytes stay valid and unchanged while
        // registered; ptr/len were checked there.
        Some(unsafe { core::slice::from_raw_parts(self.req, self.req_len) })
    }

    /// Env::store_certificate_request.
    pub(crate) fn store_request(&self, body: &[u8]) {
        if let Some(f) = self.req_hook {
            // SAFETY: the application registered this hook with its user
            // pointer; body is valid for the call.
            unsafe { f(self.req_hook_user, body.as_ptr(), body.len()) }
        }
    }

    /// Env::cached_info_server.
    pub(crate) fn serve(&self) -> bool {
        self.off == 0
    }
}

/// Client: lend the server's Certificate message body kept from an earlier
/// handshake with this server (what the nanodtls_server_certificate_fn hook
/// received, or provisioned): its SHA-256 is offered in cached_info, and a
/// server that has the same Certificate sends only the hash; this chain is
/// then validated to the trust anchors as if it had arrived. Only offered
/// in certificate mode (a trust anchor added with nanodtls_add_ca).
/// BORROWED: it must stay valid and unchanged until the handshake ends.
/// Set before nanodtls_connect (NANODTLS_E_STATE otherwise); (NULL, 0)
/// removes it. NANODTLS_E_INVALID_ARG if it is not a certificate_list
/// (3-byte length, then 3-byte-length entries).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_cached_server_certificate(
    ctx: *mut nanodtls_ctx,
    body: *const u8,
    len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller, valid for the call; the
    // registration relies on the documented borrowing contract.
    let b = match unsafe { in_slice(body, len) } {
        Ok(b) => b,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |conn, cb| {
            #[cfg(feature = "cached-info")]
            {
                if conn.state() != crate::State::Idle {
                    return NANODTLS_E_STATE;
                }
                if !b.is_empty() && !matches!(crate::handshake::msg::certificate::parse_x509(b), Ok(Some(_))) {
                    return NANODTLS_E_INVALID_ARG;
                }
                cb.cached.body = if b.is_empty() { core::ptr::null() } else { body };
                cb.cached.body_len = b.len();
                NANODTLS_OK
            }
            #[cfg(not(feature = "cached-info"))]
            {
                let _ = (conn, cb, b);
                NANODTLS_E_UNSUPPORTED
            }
        })
    }
}

/// Client: register the hook that receives the server's Certificate body
/// to keep (see nanodtls_server_certificate_fn); NULL removes it.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_server_certificate_hook(
    ctx: *mut nanodtls_ctx,
    hook: nanodtls_server_certificate_fn,
    user: *mut c_void,
) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |_, cb| {
            #[cfg(feature = "cached-info")]
            {
                cb.cached.hook = hook;
                cb.cached.hook_user = user;
                NANODTLS_OK
            }
            #[cfg(not(feature = "cached-info"))]
            {
                let _ = (cb, hook, user);
                NANODTLS_E_UNSUPPORTED
            }
        })
    }
}

/// Client: lend the server's CertificateRequest message body kept from an
/// earlier handshake with this server (what the
/// nanodtls_certificate_request_fn hook received, or provisioned): its
/// SHA-256 is offered in cached_info (type cert_req, RFC 7924 4.2), and a
/// server whose request is the same sends only the hash; the client then
/// answers what this kept request asks for. Offered whenever an ECDHE_ECDSA
/// suite is offered. BORROWED: it must stay valid and unchanged until the
/// handshake ends. Set before nanodtls_connect (NANODTLS_E_STATE
/// otherwise); (NULL, 0) removes it. NANODTLS_E_INVALID_ARG if it is not a
/// CertificateRequest body.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_cached_certificate_request(
    ctx: *mut nanodtls_ctx,
    body: *const u8,
    len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller, valid for the call; the
    // registration relies on the documented borrowing contract.
    let b = match unsafe { in_slice(body, len) } {
        Ok(b) => b,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |conn, cb| {
            #[cfg(feature = "cached-info")]
            {
                if conn.state() != crate::State::Idle {
                    return NANODTLS_E_STATE;
                }
                if !b.is_empty() && crate::handshake::msg::certificate_request::parse(b).is_err() {
                    return NANODTLS_E_INVALID_ARG;
                }
                cb.cached.req = if b.is_empty() { core::ptr::null() } else { body };
                cb.cached.req_len = b.len();
                NANODTLS_OK
            }
            #[cfg(not(feature = "cached-info"))]
            {
                let _ = (conn, cb, b);
                NANODTLS_E_UNSUPPORTED
            }
        })
    }
}

/// Client: register the hook that receives the server's CertificateRequest
/// body to keep (see nanodtls_certificate_request_fn); NULL removes it.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_certificate_request_hook(
    ctx: *mut nanodtls_ctx,
    hook: nanodtls_certificate_request_fn,
    user: *mut c_void,
) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |_, cb| {
            #[cfg(feature = "cached-info")]
            {
                cb.cached.req_hook = hook;
                cb.cached.req_hook_user = user;
                NANODTLS_OK
            }
            #[cfg(not(feature = "cached-info"))]
            {
                let _ = (cb, hook, user);
                NANODTLS_E_UNSUPPORTED
            }
        })
    }
}

#[cfg_attr(not(feature = "cached-info"), allow(unused_variables))]
fn set_serve(cb: &mut super::ctx::Callbacks, on: c_int) -> nanodtls_status {
    #[cfg(feature = "cached-info")]
    {
        cb.cached.off = usize::from(on == 0);
        NANODTLS_OK
    }
    #[cfg(not(feature = "cached-info"))]
    NANODTLS_E_UNSUPPORTED
}

/// Server: answer clients' cached_info (`on` non-zero, the default) by
/// sending the hash of our Certificate instead of the chain (and of our
/// CertificateRequest instead of the request) when the client's hash
/// matches, or never (0).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_cached_info(ctx: *mut nanodtls_ctx, on: c_int) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |_, cb| set_serve(cb, on)) }
}

/// nanodtls_set_cached_info for an endpoint (all its peers).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_cached_info(ep: *mut nanodtls_endpoint, on: c_int) -> nanodtls_status {
    // SAFETY: see with_ep.
    unsafe { with_ep(ep, |_, _, cb| set_serve(cb, on)) }
}
