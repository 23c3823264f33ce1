//! C API of client certificate URLs (feature `cert-url`, RFC 6066
//! section 5, docs/cert_url.md). Client: lend the URL of each certificate
//! of our chain. Server (context or endpoint): register the hook that
//! receives the client's URLs; the handshake then pauses until the
//! application hands the fetched certificates in or refuses. The
//! functions exist in every build; without the feature they return
//! NANODTLS_E_UNSUPPORTED.

use core::ffi::c_void;

use zerocopy::FromZeros;

use super::ctx::with_ctx;
use super::endpoint::with_ep;
use super::*;

/// Server hook: the client sent CertificateURL; called once per entry,
/// leaf first (`index` 0, 1, ...), with the URL and the SHA-1 (20 bytes)
/// its DER certificate must have; both pointers are valid for the call
/// only (copy what you need). Called from inside nanodtls_feed /
/// nanodtls_endpoint_feed (for the peer being fed). After the last entry
/// the handshake is paused (nanodtls_cert_url_paused): fetch the
/// certificates and call nanodtls_provide_client_certificates (or
/// nanodtls_endpoint_provide_client_certificates), or refuse with
/// nanodtls_refuse_client_certificates, before the handshake deadline.
pub type nanodtls_cert_url_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, index: usize, url: *const u8, url_len: usize, sha1: *const u8)>;

/// The client certificate URL part of the callbacks (word-sized fields:
/// no padding).
#[derive(Clone, Copy, FromZeros)]
#[repr(C)]
pub(crate) struct CertUrlCallbacks {
    #[cfg(feature = "cert-url")]
    urls: *const *const u8,
    #[cfg(feature = "cert-url")]
    lens: *const usize,
    #[cfg(feature = "cert-url")]
    count: usize,
    #[cfg(feature = "cert-url")]
    hook: nanodtls_cert_url_fn,
    #[cfg(feature = "cert-url")]
    hook_user: *mut c_void,
}

#[cfg(feature = "cert-url")]
impl CertUrlCallbacks {
    /// Env::own_certificate_url.
    pub(crate) fn url(&self, i: usize) -> Option<&[u8]> {
        if i >= self.count || self.urls.is_null() || self.lens.is_null() {
            return None;
        }
        // SAFETY: registered by nanodtls_set_own_certificate_urls, whose
        // contract is that both arrays (count entries) and every URL stay
        // valid and unchanged while registered; i < count; each entry was
        // checked non-NULL and non-empty there.
        unsafe {
            let p = *self.urls.add(i);
            let n = *self.lens.add(i);
            Some(core::slice::from_raw_parts(p, n))
        }
    }

    /// Env::cert_url_server.
    pub(crate) fn serve(&self) -> bool {
        self.hook.is_some()
    }

    /// Env::fetch_client_certificates: hand each URL to the hook; pause.
    pub(crate) fn fetch(&self, urls: &mut dyn Iterator<Item = (&[u8], &[u8; 20])>) -> crate::env::CertUrlFetch {
        let Some(f) = self.hook else {
            return crate::env::CertUrlFetch::Refused;
        };
        for (i, (url, hash)) in urls.enumerate() {
            // SAFETY: the application registered this hook with its user
            // pointer; url and hash are valid for the call.
            unsafe { f(self.hook_user, i, url.as_ptr(), url.len(), hash.as_ptr()) }
        }
        crate::env::CertUrlFetch::Pending
    }
}

/// Client: lend the URL of each certificate of our chain
/// (nanodtls_set_own_certificate), leaf first: `urls[i]` with `lens[i]`
/// bytes, `count` entries. With a URL for every certificate the client
/// offers client_certificate_url and sends CertificateURL (the library
/// computes each SHA-1) when the server echoes it. BORROWED: both arrays
/// and the URLs must stay valid and unchanged while registered. Set
/// before nanodtls_connect (NANODTLS_E_STATE otherwise); count 0 removes
/// them. NANODTLS_E_NULL for NULL arrays with count > 0,
/// NANODTLS_E_INVALID_ARG for a NULL or empty URL or one over 65535 bytes.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_own_certificate_urls(
    ctx: *mut nanodtls_ctx,
    urls: *const *const u8,
    lens: *const usize,
    count: usize,
) -> nanodtls_status {
    if count > 0 && (urls.is_null() || lens.is_null()) {
        return NANODTLS_E_NULL;
    }
    if count > crate::sizes::NANODTLS_MAX_CERT_CHAIN {
        return NANODTLS_E_INVALID_ARG;
    }
    for i in 0..count {
        // SAFETY: the caller passes arrays of `count` entries (checked
        // non-NULL above); i < count.
        let (p, n) = unsafe { (*urls.add(i), *lens.add(i)) };
        if p.is_null() || n == 0 || n > 0xffff {
            return NANODTLS_E_INVALID_ARG;
        }
    }
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |conn, cb| {
            #[cfg(feature = "cert-url")]
            {
                if conn.state() != crate::State::Idle {
                    return NANODTLS_E_STATE;
                }
                cb.cert_url.urls = if count == 0 { core::ptr::null() } else { urls };
                cb.cert_url.lens = if count == 0 { core::ptr::null() } else { lens };
                cb.cert_url.count = count;
                NANODTLS_OK
            }
            #[cfg(not(feature = "cert-url"))]
            {
                let _ = (conn, cb);
                NANODTLS_E_UNSUPPORTED
            }
        })
    }
}

#[cfg_attr(not(feature = "cert-url"), allow(unused_variables))]
fn set_hook(cb: &mut super::ctx::Callbacks, hook: nanodtls_cert_url_fn, user: *mut c_void) -> nanodtls_status {
    #[cfg(feature = "cert-url")]
    {
        cb.cert_url.hook = hook;
        cb.cert_url.hook_user = user;
        NANODTLS_OK
    }
    #[cfg(not(feature = "cert-url"))]
    NANODTLS_E_UNSUPPORTED
}

/// Server: accept client certificate URLs: with a hook registered the
/// server echoes client_certificate_url (in certificate mode, when it
/// asks for a client certificate) and a CertificateURL pauses the
/// handshake (see nanodtls_cert_url_fn). NULL (the default) turns it off:
/// the extension is ignored and clients send their Certificate.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_cert_url_hook(
    ctx: *mut nanodtls_ctx,
    hook: nanodtls_cert_url_fn,
    user: *mut c_void,
) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |_, cb| set_hook(cb, hook, user)) }
}

/// nanodtls_set_cert_url_hook for an endpoint (all its peers; the hook
/// is called while the peer being fed is processed).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_cert_url_hook(
    ep: *mut nanodtls_endpoint,
    hook: nanodtls_cert_url_fn,
    user: *mut c_void,
) -> nanodtls_status {
    // SAFETY: see with_ep.
    unsafe { with_ep(ep, |_, _, cb| set_hook(cb, hook, user)) }
}

/// Server: 1 while the handshake is paused on a CertificateURL, else 0
/// (also for a NULL or uninitialised context).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_cert_url_paused(ctx: *mut nanodtls_ctx) -> c_int {
    #[cfg(feature = "cert-url")]
    {
        let mut paused = 0;
        // SAFETY: see with_ctx.
        let _ = unsafe {
            with_ctx(ctx, |conn, _| {
                paused = c_int::from(conn.cert_url_paused());
                NANODTLS_OK
            })
        };
        paused
    }
    #[cfg(not(feature = "cert-url"))]
    {
        let _ = ctx;
        0
    }
}

/// Server: resume a paused handshake with the fetched DER certificates,
/// back to back in the order of the URLs (`der`, `len`: read during the
/// call only). Each must have its URL's SHA-1, else the connection fails
/// with bad_certificate_hash_value (114); then the chain is validated as
/// a Certificate message's (same alerts). A failure returns
/// NANODTLS_E_ALERT_SENT (poll to send the alert). After success the
/// handshake goes on with the client's next retransmission.
/// NANODTLS_E_STATE when not paused (nothing changes),
/// NANODTLS_E_TIMEOUT past the handshake deadline.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_provide_client_certificates(
    ctx: *mut nanodtls_ctx,
    der: *const u8,
    len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller, valid for the call.
    let d = match unsafe { in_slice(der, len) } {
        Ok(d) => d,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |conn, cb| resume_ctx(conn, cb, Some(d))) }
}

/// Server: refuse a paused handshake: fatal certificate_unobtainable
/// (111), NANODTLS_E_ALERT_SENT (poll to send it). NANODTLS_E_STATE when
/// not paused.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_refuse_client_certificates(ctx: *mut nanodtls_ctx) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |conn, cb| resume_ctx(conn, cb, None)) }
}

#[cfg_attr(not(all(feature = "cert-url", nanodtls_server)), allow(unused_variables))]
fn resume_ctx(conn: &mut crate::Connection, cb: &mut super::ctx::Callbacks, der: Option<&[u8]>) -> nanodtls_status {
    #[cfg(all(feature = "cert-url", nanodtls_server))]
    {
        let now = cb.now();
        status(match der {
            Some(d) => conn.provide_client_certificates(cb, now, d),
            None => conn.refuse_client_certificates(cb, now),
        })
    }
    #[cfg(not(all(feature = "cert-url", nanodtls_server)))]
    NANODTLS_E_UNSUPPORTED
}

/// nanodtls_provide_client_certificates for the peer at `addr` of an
/// endpoint (`der` NULL with `len` 0 refuses, as
/// nanodtls_refuse_client_certificates). NANODTLS_E_UNKNOWN_PEER for an
/// address without a peer.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_provide_client_certificates(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    der: *const u8,
    len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pairs from the caller, valid for the call.
    let (a, d) = match unsafe { (in_slice(addr, addr_len), in_slice(der, len)) } {
        (Ok(a), Ok(d)) => (a, d),
        (Err(e), _) | (_, Err(e)) => return e.code(),
    };
    // SAFETY: see with_ep.
    unsafe {
        with_ep(ep, |e, slots, cb| {
            #[cfg(all(feature = "cert-url", nanodtls_server))]
            {
                let now = cb.now();
                let der = if der.is_null() { None } else { Some(d) };
                status(e.provide_client_certificates(slots, cb, now, a, der))
            }
            #[cfg(not(all(feature = "cert-url", nanodtls_server)))]
            {
                let _ = (e, slots, cb, a, d);
                NANODTLS_E_UNSUPPORTED
            }
        })
    }
}
