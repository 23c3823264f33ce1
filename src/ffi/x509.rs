//! C API of certificate mode (feature `x509`, RFC 7925 4.4, docs/x509.md):
//! trust anchors (borrowed), the verify name, the wall clock, the
//! application's identity hook, and what the peer's chain proved. The
//! functions exist in every build; without the `x509` feature they return
//! NANODTLS_E_UNSUPPORTED (the getters NANODTLS_E_STATE).

use core::ffi::{c_char, c_int, c_void};

use zerocopy::FromZeros;

use super::ctx::{with_ctx, Callbacks};
use super::endpoint::with_ep;
use super::*;
#[cfg(feature = "x509")]
use crate::sizes::NANODTLS_MAX_X509_ANCHORS;

/// Wall-clock callback for the validity periods of X.509 certificates:
/// write the current time in seconds since 1970-01-01 UTC to `*secs` and
/// return 0, or return non-zero when no trustworthy time is known (before
/// an NTP/GNSS fix, after a reset without an RTC): validity periods are
/// then not checked (RFC 7925 Table 1, RFC 7252 9.1.3.3).
pub type nanodtls_wall_clock_fn = Option<unsafe extern "C" fn(user: *mut c_void, secs: *mut u64) -> c_int>;

/// Identity hook: the peer's X.509 chain validated to a trust anchor and
/// proved an identity of `kind` (NANODTLS_X509_PEER_NAME: `id` is the
/// server name we expected; NANODTLS_X509_PEER_EUI64: `id` is the client's
/// 8-byte EUI-64; NANODTLS_X509_PEER_UNCHECKED: no identity, `id_len` 0).
/// `leaf` is the peer's DER certificate. Return 0 to accept the peer,
/// non-zero to refuse it (certificate_unknown). The pointers are valid for
/// the call only. Called from inside nanodtls_feed / nanodtls_endpoint_feed.
pub type nanodtls_peer_identity_fn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        kind: u8,
        id: *const u8,
        id_len: usize,
        leaf: *const u8,
        leaf_len: usize,
    ) -> c_int,
>;

/// nanodtls_x509_peer.kind: no validated identity (no chain validated yet,
/// no trust anchor configured, or the chain was refused: see `reason`).
pub const NANODTLS_X509_PEER_NONE: u8 = 0;
/// nanodtls_x509_peer.kind: the server proved the name we expected.
pub const NANODTLS_X509_PEER_NAME: u8 = 1;
/// nanodtls_x509_peer.kind: the client proved the EUI-64 in `eui64`.
pub const NANODTLS_X509_PEER_EUI64: u8 = 2;
/// nanodtls_x509_peer.kind: the client's chain validated but names no
/// EUI-64 (accepted by nanodtls_set_any_client_identity).
pub const NANODTLS_X509_PEER_UNCHECKED: u8 = 3;

/// What certificate mode found out about the peer (nanodtls_peer_x509,
/// nanodtls_endpoint_peer_x509).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromZeros)]
pub struct nanodtls_x509_peer {
    /// NANODTLS_X509_PEER_*.
    pub kind: u8,
    /// Why the peer's chain was refused (1..=21, see
    /// nanodtls_x509_reason_str); 0 if it was not.
    pub reason: u8,
    /// The alert the refusal sent (bad_certificate 42,
    /// unsupported_certificate 43, certificate_expired 45,
    /// certificate_unknown 46, unknown_ca 48); 0 if none.
    pub alert: u8,
    /// Certificates of the validated path below the trust anchor.
    pub depth: u8,
    /// The client's EUI-64 (kind NANODTLS_X509_PEER_EUI64).
    pub eui64: [u8; 8],
}

/// One borrowed trust anchor: DER certificate (`spki` false) or P-256
/// SubjectPublicKeyInfo.
#[cfg(feature = "x509")]
#[derive(Clone, Copy, FromZeros)]
#[repr(C)]
pub(crate) struct AnchorRef {
    ptr: *const u8,
    len: usize,
    spki: bool,
}

/// Certificate mode's part of the callbacks: the anchors, the wall clock
/// and the identity hook.
#[derive(Clone, Copy, FromZeros)]
#[repr(C)]
pub(crate) struct X509Callbacks {
    #[cfg(feature = "x509")]
    anchors: [AnchorRef; NANODTLS_MAX_X509_ANCHORS],
    #[cfg(feature = "x509")]
    n_anchors: usize,
    #[cfg(feature = "x509")]
    clock: nanodtls_wall_clock_fn,
    #[cfg(feature = "x509")]
    clock_user: *mut c_void,
    #[cfg(feature = "x509")]
    hook: nanodtls_peer_identity_fn,
    #[cfg(feature = "x509")]
    hook_user: *mut c_void,
}

#[cfg(feature = "x509")]
impl X509Callbacks {
    /// Trust anchor `i` (Env::x509_anchor).
    pub(crate) fn anchor(&self, i: usize) -> Option<(&[u8], bool)> {
        if i >= self.n_anchors {
            return None;
        }
        let a = self.anchors.get(i)?;
        // SAFETY: registered by nanodtls_add_ca / nanodtls_endpoint_add_ca,
        // whose contract is that the anchor stays valid and unchanged (e.g.
        // in flash) while registered; ptr/len were checked non-NULL there.
        let der = unsafe { core::slice::from_raw_parts(a.ptr, a.len) };
        Some((der, a.spki))
    }

    /// The wall clock (Env::wall_clock).
    pub(crate) fn wall_clock(&self) -> Option<u64> {
        let f = self.clock?;
        let mut secs = 0u64;
        // SAFETY: the application registered this callback with its user
        // pointer; secs is a valid out-pointer on our stack.
        let rc = unsafe { f(self.clock_user, &mut secs) };
        (rc == 0).then_some(secs)
    }

    /// The identity hook (Env::accept_peer_identity).
    pub(crate) fn accept(&self, kind: u8, id: &[u8], leaf: &[u8]) -> Option<bool> {
        let f = self.hook?;
        // SAFETY: id and leaf are valid slices for the duration of the call.
        let rc = unsafe { f(self.hook_user, kind, id.as_ptr(), id.len(), leaf.as_ptr(), leaf.len()) };
        Some(rc == 0)
    }

    /// Register a borrowed anchor (DER certificate or SPKI), checked.
    fn add(&mut self, der: &[u8]) -> nanodtls_status {
        let spki = if crate::auth::x509::der::parse_spki(der).is_ok() {
            true
        } else if crate::auth::x509::cert::Cert::parse(der).is_ok() {
            false
        } else {
            return NANODTLS_E_INVALID_ARG;
        };
        let Some(slot) = self.anchors.get_mut(self.n_anchors) else { return NANODTLS_E_NO_SLOT };
        *slot = AnchorRef { ptr: der.as_ptr(), len: der.len(), spki };
        self.n_anchors += 1;
        NANODTLS_OK
    }
}

/// The outcome kept by a connection, for C.
fn peer_out(conn: &crate::Engine) -> Option<nanodtls_x509_peer> {
    #[cfg(feature = "x509")]
    {
        let p = conn.x509_peer();
        Some(nanodtls_x509_peer {
            kind: p.kind,
            reason: p.reason,
            alert: p.refused().map_or(0, |r| r.alert()),
            depth: p.depth,
            eui64: p.eui64,
        })
    }
    #[cfg(not(feature = "x509"))]
    {
        let _ = conn;
        None
    }
}

fn add_ca(cb: &mut Callbacks, der: &[u8]) -> nanodtls_status {
    #[cfg(feature = "x509")]
    return cb.x509.add(der);
    #[cfg(not(feature = "x509"))]
    {
        let _ = (cb, der);
        NANODTLS_E_UNSUPPORTED
    }
}

fn clear_cas(cb: &mut Callbacks) -> nanodtls_status {
    #[cfg(feature = "x509")]
    {
        cb.x509.anchors = FromZeros::new_zeroed();
        cb.x509.n_anchors = 0;
        NANODTLS_OK
    }
    #[cfg(not(feature = "x509"))]
    {
        let _ = cb;
        NANODTLS_E_UNSUPPORTED
    }
}

fn set_clock(cb: &mut Callbacks, f: nanodtls_wall_clock_fn, user: *mut c_void) -> nanodtls_status {
    #[cfg(feature = "x509")]
    {
        cb.x509.clock = f;
        cb.x509.clock_user = user;
        NANODTLS_OK
    }
    #[cfg(not(feature = "x509"))]
    {
        let _ = (cb, f, user);
        NANODTLS_E_UNSUPPORTED
    }
}

fn set_hook(cb: &mut Callbacks, f: nanodtls_peer_identity_fn, user: *mut c_void) -> nanodtls_status {
    #[cfg(feature = "x509")]
    {
        cb.x509.hook = f;
        cb.x509.hook_user = user;
        NANODTLS_OK
    }
    #[cfg(not(feature = "x509"))]
    {
        let _ = (cb, f, user);
        NANODTLS_E_UNSUPPORTED
    }
}

/// Add an X.509 trust anchor: a DER certificate (its subject name and key
/// anchor chains; its validity and pathLenConstraint apply) or a DER P-256
/// SubjectPublicKeyInfo (91 bytes: a CA key trusted without a name). With
/// at least one anchor, a peer's X.509 certificate chain is path-validated
/// (RFC 5280 section 6 as RFC 7925 4.4 profiles it) instead of its leaf
/// key being pinned: the server's chain on a client (its single dNSName
/// must be the verify name or the SNI), the client's chain on a server
/// with client_auth (it must name an EUI-64). A client with anchors and no
/// pinned key asks the server for X.509 only. The anchor is BORROWED, not
/// copied: it must stay valid and unchanged (e.g. in flash) until
/// nanodtls_clear_cas or deinit. NANODTLS_E_INVALID_ARG if it is neither
/// a certificate nor a P-256 key; NANODTLS_E_NO_SLOT beyond
/// NANODTLS_MAX_X509_ANCHORS; NANODTLS_E_UNSUPPORTED without the `x509`
/// feature.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_add_ca(ctx: *mut nanodtls_ctx, der: *const u8, len: usize) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller, valid for the call; the
    // registration relies on the documented borrowing contract.
    let d = match unsafe { in_slice(der, len) } {
        Ok(d) if !d.is_empty() => d,
        Ok(_) => return NANODTLS_E_INVALID_ARG,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |_, cb| add_ca(cb, d)) }
}

/// Forget every trust anchor added with nanodtls_add_ca (peers' X.509
/// keys are pinned again).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_clear_cas(ctx: *mut nanodtls_ctx) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |_, cb| clear_cas(cb)) }
}

/// nanodtls_add_ca for every peer of a server endpoint (their client
/// certificates, with client_auth).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_add_ca(
    ep: *mut nanodtls_endpoint,
    der: *const u8,
    len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller, valid for the call.
    let d = match unsafe { in_slice(der, len) } {
        Ok(d) if !d.is_empty() => d,
        Ok(_) => return NANODTLS_E_INVALID_ARG,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ep.
    unsafe { with_ep(ep, |_, _, cb| add_ca(cb, d)) }
}

/// nanodtls_clear_cas for an endpoint.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_clear_cas(ep: *mut nanodtls_endpoint) -> nanodtls_status {
    // SAFETY: see with_ep.
    unsafe { with_ep(ep, |_, _, cb| clear_cas(cb)) }
}

/// Client: the name the server's certificate must carry (its single
/// subjectAltName dNSName, compared ASCII case-insensitively, RFC 7925
/// 4.4.1) instead of the SNI set with nanodtls_set_server_name; copied.
/// (NULL, 0) clears it. Without either name a server's chain is refused
/// (bad_certificate). NANODTLS_E_TOO_LARGE beyond NANODTLS_MAX_SERVER_NAME;
/// NANODTLS_E_INVALID_ARG for a name with '*' or NUL; NANODTLS_E_STATE
/// once the handshake started.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_verify_name(
    ctx: *mut nanodtls_ctx,
    name: *const u8,
    len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let n = match unsafe { in_slice(name, len) } {
        Ok(n) => n,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |conn, _| {
            #[cfg(feature = "x509")]
            {
                if conn.state() != crate::State::Idle {
                    return NANODTLS_E_STATE;
                }
                status(conn.x509_settings_mut().set_verify_name(n))
            }
            #[cfg(not(feature = "x509"))]
            {
                let _ = (conn, n);
                NANODTLS_E_UNSUPPORTED
            }
        })
    }
}

/// Register the wall clock used for X.509 validity periods (NULL removes
/// it: no time is known and validity periods are not checked, as RFC 7925
/// Table 1 allows; see nanodtls_wall_clock_fn).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_wall_clock(
    ctx: *mut nanodtls_ctx,
    clock: nanodtls_wall_clock_fn,
    user: *mut c_void,
) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |_, cb| set_clock(cb, clock, user)) }
}

/// nanodtls_set_wall_clock for an endpoint.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_wall_clock(
    ep: *mut nanodtls_endpoint,
    clock: nanodtls_wall_clock_fn,
    user: *mut c_void,
) -> nanodtls_status {
    // SAFETY: see with_ep.
    unsafe { with_ep(ep, |_, _, cb| set_clock(cb, clock, user)) }
}

/// Register the identity hook (NULL removes it: every validated identity
/// is accepted); see nanodtls_peer_identity_fn. On a server it is where a
/// device's EUI-64 is looked up in the application's table.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_peer_identity_hook(
    ctx: *mut nanodtls_ctx,
    hook: nanodtls_peer_identity_fn,
    user: *mut c_void,
) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |_, cb| set_hook(cb, hook, user)) }
}

/// nanodtls_set_peer_identity_hook for an endpoint (every client).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_peer_identity_hook(
    ep: *mut nanodtls_endpoint,
    hook: nanodtls_peer_identity_fn,
    user: *mut c_void,
) -> nanodtls_status {
    // SAFETY: see with_ep.
    unsafe { with_ep(ep, |_, _, cb| set_hook(cb, hook, user)) }
}

/// Server: accept (`on` non-zero) a client certificate chain that
/// validates but names no EUI-64 (RFC 7925 4.4.2 wants one: off by
/// default, such a client is refused with certificate_unknown); the
/// identity hook then sees NANODTLS_X509_PEER_UNCHECKED.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_any_client_identity(ctx: *mut nanodtls_ctx, on: c_int) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |conn, _| {
            #[cfg(feature = "x509")]
            {
                conn.x509_settings_mut().any_client_identity = on != 0;
                NANODTLS_OK
            }
            #[cfg(not(feature = "x509"))]
            {
                let _ = (conn, on);
                NANODTLS_E_UNSUPPORTED
            }
        })
    }
}

/// nanodtls_set_any_client_identity for an endpoint.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_any_client_identity(
    ep: *mut nanodtls_endpoint,
    on: c_int,
) -> nanodtls_status {
    // SAFETY: see with_ep.
    unsafe {
        with_ep(ep, |e, _, _| {
            #[cfg(feature = "x509")]
            {
                e.credentials_mut().x509.any_client_identity = on != 0;
                NANODTLS_OK
            }
            #[cfg(not(feature = "x509"))]
            {
                let _ = (e, on);
                NANODTLS_E_UNSUPPORTED
            }
        })
    }
}

/// What certificate mode found out about the peer, into `*out`: the
/// identity its chain proved (a server's name: it is the verify name or
/// SNI; a client's EUI-64), or why it was refused (`reason`, `alert`).
/// All zero before the peer's Certificate and when no trust anchor is
/// configured (pinning). After a resumption: what the full handshake's
/// chain proved (kept in the session, the ticket and the exported blob;
/// docs/x509.md). NANODTLS_E_STATE without the `x509` feature.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_peer_x509(ctx: *mut nanodtls_ctx, out: *mut nanodtls_x509_peer) -> nanodtls_status {
    if out.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: see with_ctx; out is non-NULL and, by contract, writable.
    unsafe {
        with_ctx(ctx, |conn, _| match peer_out(conn) {
            Some(p) => {
                out.write(p);
                NANODTLS_OK
            }
            None => NANODTLS_E_STATE,
        })
    }
}

/// nanodtls_peer_x509 for the endpoint's peer at `addr` (its client
/// certificate's EUI-64). NANODTLS_E_UNKNOWN_PEER if no slot holds it.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_peer_x509(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    out: *mut nanodtls_x509_peer,
) -> nanodtls_status {
    if out.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/length pair from the caller.
    let a = match unsafe { in_slice(addr, addr_len) } {
        Ok(a) => a,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ep; out is non-NULL and, by contract, writable.
    unsafe {
        with_ep(ep, |e, slots, _| {
            let Some(c) = e.peer(slots, a) else { return NANODTLS_E_UNKNOWN_PEER };
            match peer_out(c) {
                Some(p) => {
                    out.write(p);
                    NANODTLS_OK
                }
                None => NANODTLS_E_STATE,
            }
        })
    }
}

/// A short English description of a nanodtls_x509_peer.reason (e.g.
/// "certificate expired"); 0 gives "none", an unknown value "unknown
/// reason". Never NULL.
#[no_mangle]
pub extern "C" fn nanodtls_x509_reason_str(reason: u8) -> *const c_char {
    #[cfg(feature = "x509")]
    if let Some(r) = crate::auth::x509::Reason::from_u8(reason) {
        return r.as_cstr().as_ptr();
    }
    if reason == 0 {
        c"none".as_ptr()
    } else {
        c"unknown reason".as_ptr()
    }
}
