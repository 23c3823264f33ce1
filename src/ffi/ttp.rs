//! C API of the trusted-third-party modes (docs/ttp.md) on the server: the
//! trust anchor table (single context and endpoint) and the authenticated
//! peer; the constants of both modes. The device side (the trust anchor's
//! own operations, the AuthzCert client) is in `ttp_device.rs`. Every function exists in every build;
//! without the cargo features `derived-key` / `authz-cert` it returns
//! NANODTLS_E_UNSUPPORTED.

use super::ctx::{nanodtls_ctx, with_ctx};
use super::endpoint::{nanodtls_endpoint, with_ep};
use super::*;
use crate::connection::Engine;
use crate::sizes::{NANODTLS_MAX_PSK_IDENTITY, NANODTLS_MAX_TA_ID};
use crate::Connection;

/// nanodtls_ta_peer.mode: the client used DerivedKey (a PSK derived from
/// the trust anchor's key; its identity is the nonce).
pub const NANODTLS_TTP_DERIVED_KEY: u8 = 1;
/// nanodtls_ta_peer.mode: the client used an AuthzCert (MacCert).
pub const NANODTLS_TTP_AUTHZ_CERT: u8 = 2;
/// The certificate type codepoint of AuthzCert by default (the seed's
/// choice; IANA has since assigned 3 to 1609Dot2, RFC 8902).
pub const NANODTLS_AUTHZ_CERT_TYPE_DEFAULT: u8 = 3;
/// Largest MacCert nanodtls_authz_cert_encode writes (a P-256
/// SubjectPublicKeyInfo and a 255-byte trust anchor id).
pub const NANODTLS_AUTHZ_CERT_MAX: usize = 388;
/// Shortest trust anchor key (K_RS-TA) in bytes.
pub const NANODTLS_TA_KEY_MIN: usize = 16;
/// Longest trust anchor key (K_RS-TA) in bytes.
pub const NANODTLS_TA_KEY_MAX: usize = 32;

const _: () = assert!(NANODTLS_TTP_DERIVED_KEY == crate::auth::TTP_DERIVED_KEY);
const _: () = assert!(NANODTLS_TTP_AUTHZ_CERT == crate::auth::TTP_AUTHZ_CERT);
const _: () = assert!(NANODTLS_AUTHZ_CERT_TYPE_DEFAULT == crate::auth::DEFAULT_AUTHZ_CERT_TYPE);
#[cfg(nanodtls_ttp)]
const _: () =
    assert!(NANODTLS_TA_KEY_MIN == crate::auth::ta::MIN_KEY_LEN && NANODTLS_TA_KEY_MAX == crate::auth::ta::MAX_KEY_LEN);
#[cfg(feature = "authz-cert")]
const _: () = assert!(NANODTLS_AUTHZ_CERT_MAX == crate::auth::authz_cert::encoded_len(NANODTLS_SPKI_LEN, 255));

/// Counters of the trust anchor modes (all trust anchors together). Each
/// refusal is counted once per refused message, under its reason (a client
/// that retransmits a refused flight is counted again).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct nanodtls_ta_stats {
    /// DerivedKey: identities that passed every check (a key was derived).
    pub derived: u32,
    /// AuthzCert: certificates that passed every check.
    pub authz_checked: u32,
    /// Handshakes that completed and marked their seq used.
    pub accepted: u32,
    /// Malformed nonces (identities starting with "DK.") or MacCerts.
    pub refused_malformed: u32,
    /// Unknown trust anchor id.
    pub refused_unknown_ta: u32,
    /// Seq already used, or revoked.
    pub refused_replayed: u32,
    /// Seq left of the window (more than NANODTLS_TA_WINDOW below the
    /// highest seq used).
    pub refused_too_old: u32,
    /// AuthzCert: the key is not a valid P-256 SubjectPublicKeyInfo.
    pub refused_bad_spki: u32,
    /// AuthzCert: the MAC does not verify.
    pub refused_bad_mac: u32,
    /// Refused when the handshake was about to complete: the seq was used
    /// meanwhile (a concurrent handshake with the same nonce), revoked, or
    /// the trust anchor was reset or removed.
    pub refused_at_commit: u32,
}

/// A client authenticated through a trust anchor (see nanodtls_get_ta_peer).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct nanodtls_ta_peer {
    /// NANODTLS_TTP_DERIVED_KEY or NANODTLS_TTP_AUTHZ_CERT.
    pub mode: u8,
    /// The credential's sequence number.
    pub seq: u32,
    /// Bytes of `ta_id` used.
    pub ta_id_len: usize,
    /// The trust anchor's id.
    pub ta_id: [u8; NANODTLS_MAX_TA_ID],
    /// Bytes of `client_id` used (may be 0).
    pub client_id_len: usize,
    /// DerivedKey: the client's id from the nonce (any bytes; not
    /// NUL-terminated). AuthzCert: the SHA-256 of the client's
    /// SubjectPublicKeyInfo (32 bytes).
    pub client_id: [u8; NANODTLS_MAX_PSK_IDENTITY],
}

#[cfg(nanodtls_ttp)]
use crate::auth::ta::TrustAnchors;

/// Stand-in without the trust anchor table: never constructed, so the
/// functions below type-check and return NANODTLS_E_UNSUPPORTED.
#[cfg(not(nanodtls_ttp))]
enum TrustAnchors {}

#[cfg(not(nanodtls_ttp))]
impl TrustAnchors {
    fn add(&mut self, _: &[u8], _: &[u8], _: usize) -> Result<(), Error> {
        match *self {}
    }
    fn remove(&mut self, _: &[u8]) -> Result<(), Error> {
        match *self {}
    }
    fn reset(&mut self, _: &[u8], _: &[u8]) -> Result<(), Error> {
        match *self {}
    }
    fn revoke(&mut self, _: &[u8], _: u32) -> Result<(), Error> {
        match *self {}
    }
    fn export(&self, _: &[u8], _: &mut [u8]) -> Result<usize, Error> {
        match *self {}
    }
    fn import(&mut self, _: &[u8]) -> Result<(), Error> {
        match *self {}
    }
}

fn stats_of(ta: &TrustAnchors) -> nanodtls_ta_stats {
    #[cfg(nanodtls_ttp)]
    {
        let s = ta.stats();
        nanodtls_ta_stats {
            derived: s.derived,
            authz_checked: s.authz_checked,
            accepted: s.accepted,
            refused_malformed: s.refused_malformed,
            refused_unknown_ta: s.refused_unknown_ta,
            refused_replayed: s.refused_replayed,
            refused_too_old: s.refused_too_old,
            refused_bad_spki: s.refused_bad_spki,
            refused_bad_mac: s.refused_bad_mac,
            refused_at_commit: s.refused_at_commit,
        }
    }
    #[cfg(not(nanodtls_ttp))]
    match *ta {}
}

/// The trust anchor peer of a connection, as C sees it; Err(status) if there is none.
fn peer_of(e: &Engine) -> Result<nanodtls_ta_peer, nanodtls_status> {
    #[cfg(nanodtls_ttp)]
    {
        let p = e.trust_anchor_peer().ok_or(NANODTLS_E_STATE)?;
        let mut out = nanodtls_ta_peer {
            mode: p.mode,
            seq: p.seq,
            ta_id_len: p.ta_id.len(),
            ta_id: [0; NANODTLS_MAX_TA_ID],
            client_id_len: p.client_id.len(),
            client_id: [0; NANODTLS_MAX_PSK_IDENTITY],
        };
        out.ta_id.get_mut(..p.ta_id.len()).ok_or(NANODTLS_E_INTERNAL)?.copy_from_slice(p.ta_id);
        out.client_id.get_mut(..p.client_id.len()).ok_or(NANODTLS_E_INTERNAL)?.copy_from_slice(p.client_id);
        Ok(out)
    }
    #[cfg(not(nanodtls_ttp))]
    {
        let _ = e;
        Err(NANODTLS_E_UNSUPPORTED)
    }
}

/// Run `f` on the trust anchors of a server context.
fn on_conn(conn: &mut Connection, f: impl FnOnce(&mut TrustAnchors) -> nanodtls_status) -> nanodtls_status {
    #[cfg(nanodtls_ttp)]
    {
        if conn.role() != crate::Role::Server {
            return NANODTLS_E_STATE;
        }
        f(conn.trust_anchors_mut())
    }
    #[cfg(not(nanodtls_ttp))]
    {
        let _ = (conn, f);
        NANODTLS_E_UNSUPPORTED
    }
}

/// Run `f` on the trust anchors of an endpoint.
fn on_ep(ep: &mut crate::Endpoint, f: impl FnOnce(&mut TrustAnchors) -> nanodtls_status) -> nanodtls_status {
    #[cfg(nanodtls_ttp)]
    return f(&mut ep.credentials_mut().ta);
    #[cfg(not(nanodtls_ttp))]
    {
        let _ = (ep, f);
        NANODTLS_E_UNSUPPORTED
    }
}

/// `f` on the trust anchors of `ctx` (a context) or `ep` (an endpoint),
/// whichever is non-NULL.
///
/// # Safety
/// As with_ctx / with_ep.
unsafe fn on_table(
    ctx: *mut nanodtls_ctx,
    ep: *mut nanodtls_endpoint,
    f: impl FnOnce(&mut TrustAnchors) -> nanodtls_status,
) -> nanodtls_status {
    if ctx.is_null() {
        // SAFETY: forwarded contract.
        unsafe { with_ep(ep, |e, _, _| on_ep(e, f)) }
    } else {
        // SAFETY: forwarded contract.
        unsafe { with_ctx(ctx, |conn, _| on_conn(conn, f)) }
    }
}

/// Shared body of nanodtls_ta_add and nanodtls_endpoint_ta_add.
///
/// # Safety
/// Pointer/length pairs from the caller; ctx/ep as on_table.
unsafe fn ta_add(
    ctx: *mut nanodtls_ctx,
    ep: *mut nanodtls_endpoint,
    ta_id: *const u8,
    ta_id_len: usize,
    key: *const u8,
    key_len: usize,
    derived_key_len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pairs from the caller.
    let (id, k) = match unsafe { (in_slice(ta_id, ta_id_len), in_slice(key, key_len)) } {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e.code(),
    };
    // SAFETY: forwarded contract.
    unsafe { on_table(ctx, ep, |t| status(t.add(id, k, derived_key_len))) }
}

/// Shared body of the functions that take just a trust anchor id.
///
/// # Safety
/// As ta_add.
unsafe fn ta_by_id(
    ctx: *mut nanodtls_ctx,
    ep: *mut nanodtls_endpoint,
    ta_id: *const u8,
    ta_id_len: usize,
    f: impl FnOnce(&mut TrustAnchors, &[u8]) -> nanodtls_status,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let id = match unsafe { in_slice(ta_id, ta_id_len) } {
        Ok(a) => a,
        Err(e) => return e.code(),
    };
    // SAFETY: forwarded contract.
    unsafe { on_table(ctx, ep, |t| f(t, id)) }
}

/// Shared body of nanodtls_ta_reset and nanodtls_endpoint_ta_reset.
///
/// # Safety
/// As ta_add.
unsafe fn ta_reset(
    ctx: *mut nanodtls_ctx,
    ep: *mut nanodtls_endpoint,
    ta_id: *const u8,
    ta_id_len: usize,
    key: *const u8,
    key_len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let k = match unsafe { in_slice(key, key_len) } {
        Ok(k) => k,
        Err(e) => return e.code(),
    };
    // SAFETY: forwarded contract.
    unsafe { ta_by_id(ctx, ep, ta_id, ta_id_len, |t, id| status(t.reset(id, k))) }
}

/// Shared body of the export functions.
///
/// # Safety
/// As ta_add; `out`/`out_cap` a writable buffer, `out_len` writable.
unsafe fn ta_export(
    ctx: *mut nanodtls_ctx,
    ep: *mut nanodtls_endpoint,
    ta_id: *const u8,
    ta_id_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> nanodtls_status {
    if out_len.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/capacity pair from the caller.
    let o = match unsafe { out_slice(out, out_cap) } {
        Ok(o) => o,
        Err(e) => return e.code(),
    };
    // SAFETY: forwarded contract; out_len non-NULL and writable.
    unsafe {
        ta_by_id(ctx, ep, ta_id, ta_id_len, |t, id| match t.export(id, o) {
            Ok(n) => {
                out_len.write(n);
                NANODTLS_OK
            }
            Err(e) => e.code(),
        })
    }
}

/// Shared body of the import functions.
///
/// # Safety
/// As ta_add.
unsafe fn ta_import(
    ctx: *mut nanodtls_ctx,
    ep: *mut nanodtls_endpoint,
    blob: *const u8,
    len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let b = match unsafe { in_slice(blob, len) } {
        Ok(b) => b,
        Err(e) => return e.code(),
    };
    // SAFETY: forwarded contract.
    unsafe { on_table(ctx, ep, |t| status(t.import(b))) }
}

/// Shared body of the statistics getters.
///
/// # Safety
/// As on_table; `stats` NULL or writable.
unsafe fn ta_stats(
    ctx: *mut nanodtls_ctx,
    ep: *mut nanodtls_endpoint,
    stats: *mut nanodtls_ta_stats,
) -> nanodtls_status {
    if stats.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: forwarded contract; stats non-NULL and writable.
    unsafe {
        on_table(ctx, ep, |t| {
            stats.write(stats_of(t));
            NANODTLS_OK
        })
    }
}

/// Server: add a trust anchor to this context (DerivedKey and AuthzCert;
/// docs/ttp.md). `ta_id`: 1 to
/// NANODTLS_MAX_TA_ID bytes without '.'; `key` (K_RS-TA):
/// NANODTLS_TA_KEY_MIN to NANODTLS_TA_KEY_MAX bytes, COPIED in and
/// zeroized by nanodtls_ta_remove, nanodtls_ta_reset and nanodtls_deinit;
/// `derived_key_len`: the length of the PSKs derived from it, 16 or 32 (at
/// most NANODTLS_MAX_PSK_KEY). Its window of used sequence numbers starts
/// empty (load a saved one with nanodtls_ta_import). A server context with
/// trust anchors accepts PSK suites even without nanodtls_set_psk; a client
/// identity starting with "DK." is then handled by DerivedKey alone. With
/// its own key (nanodtls_set_own_key) it also accepts AuthzCert clients.
/// NANODTLS_E_INVALID_ARG for a bad argument or an id already present,
/// NANODTLS_E_NO_SLOT when NANODTLS_MAX_TRUST_ANCHORS are configured,
/// NANODTLS_E_STATE on a client context.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_ta_add(
    ctx: *mut nanodtls_ctx,
    ta_id: *const u8,
    ta_id_len: usize,
    key: *const u8,
    key_len: usize,
    derived_key_len: usize,
) -> nanodtls_status {
    if ctx.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: the caller's pointers, as ta_add requires.
    unsafe { ta_add(ctx, core::ptr::null_mut(), ta_id, ta_id_len, key, key_len, derived_key_len) }
}

/// Server: remove a trust anchor (its key is zeroized). A handshake that
/// was checked against it is refused when it completes.
/// NANODTLS_E_INVALID_ARG if there is no trust anchor with that id.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_ta_remove(
    ctx: *mut nanodtls_ctx,
    ta_id: *const u8,
    ta_id_len: usize,
) -> nanodtls_status {
    if ctx.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: the caller's pointers, as ta_by_id requires.
    unsafe { ta_by_id(ctx, core::ptr::null_mut(), ta_id, ta_id_len, |t, id| status(t.remove(id))) }
}

/// Server: reset a trust anchor: a new key (COPIED in; the old one is
/// zeroized), and its window back to empty, so every seq is fresh again
/// (the trust anchor starts a new sequence with the new key). Handshakes
/// checked against the old key are refused when they complete.
/// NANODTLS_E_INVALID_ARG for an unknown id or a bad key length.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_ta_reset(
    ctx: *mut nanodtls_ctx,
    ta_id: *const u8,
    ta_id_len: usize,
    key: *const u8,
    key_len: usize,
) -> nanodtls_status {
    if ctx.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: the caller's pointers, as ta_reset requires.
    unsafe { ta_reset(ctx, core::ptr::null_mut(), ta_id, ta_id_len, key, key_len) }
}

/// Server: revoke sequence number `seq` of a trust anchor (mark it used):
/// a client presenting it is refused from now on, also one whose handshake
/// is under way. A seq above the highest one used slides the window to it,
/// so every seq more than NANODTLS_TA_WINDOW below it is refused too.
/// NANODTLS_E_INVALID_ARG for an unknown id.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_ta_revoke(
    ctx: *mut nanodtls_ctx,
    ta_id: *const u8,
    ta_id_len: usize,
    seq: u32,
) -> nanodtls_status {
    if ctx.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: the caller's pointers, as ta_by_id requires.
    unsafe { ta_by_id(ctx, core::ptr::null_mut(), ta_id, ta_id_len, |t, id| status(t.revoke(id, seq))) }
}

/// Server: write the window of used sequence numbers of a trust anchor to
/// `out` (at most NANODTLS_TA_STATE_MAX bytes; `*out_len` gets the length)
/// so it survives a reboot: keep it in flash and give it to
/// nanodtls_ta_import after nanodtls_ta_add at the next start. Save it
/// after every successful handshake with a trust anchor credential (the
/// `accepted` counter of nanodtls_ta_get_stats grew): a seq used after the
/// last save is usable again after a reboot. The blob holds no key
/// (format: docs/ttp.md, version 1, with a check value).
/// NANODTLS_E_INVALID_ARG for an unknown id, NANODTLS_E_BUFFER_TOO_SMALL.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_ta_export(
    ctx: *mut nanodtls_ctx,
    ta_id: *const u8,
    ta_id_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> nanodtls_status {
    if ctx.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: the caller's pointers, as ta_export requires.
    unsafe { ta_export(ctx, core::ptr::null_mut(), ta_id, ta_id_len, out, out_cap, out_len) }
}

/// Server: merge a window written by nanodtls_ta_export (or
/// nanodtls_endpoint_ta_export, possibly of a build with another
/// NANODTLS_TA_WINDOW) into the trust anchor it names, which must have been
/// added. The merge never re-opens a seq: what the blob counts as used and
/// what is used here both stay refused. NANODTLS_E_INVALID_ARG for a
/// malformed or corrupted blob or an unknown trust anchor (nothing changes).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_ta_import(ctx: *mut nanodtls_ctx, blob: *const u8, len: usize) -> nanodtls_status {
    if ctx.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: the caller's pointers, as ta_import requires.
    unsafe { ta_import(ctx, core::ptr::null_mut(), blob, len) }
}

/// Server: copy the trust anchor counters (refusals by reason, keys
/// derived, handshakes accepted).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_ta_get_stats(
    ctx: *mut nanodtls_ctx,
    stats: *mut nanodtls_ta_stats,
) -> nanodtls_status {
    if ctx.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: the caller's pointers, as ta_stats requires.
    unsafe { ta_stats(ctx, core::ptr::null_mut(), stats) }
}

/// Server: who the client is, when it authenticated through a trust anchor
/// and its handshake completed: the mode, trust anchor id, client id and
/// seq (copied into `*peer`), for the application to authorise it. For
/// AuthzCert the client id is the SHA-256 of the client's
/// SubjectPublicKeyInfo (32 bytes; nanodtls_get_peer_key_hash gives the same).
/// NANODTLS_E_STATE if the handshake has not completed or used no trust
/// anchor (an ordinary PSK or key).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_get_ta_peer(ctx: *mut nanodtls_ctx, peer: *mut nanodtls_ta_peer) -> nanodtls_status {
    if peer.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: see with_ctx; peer non-NULL and writable.
    unsafe {
        with_ctx(ctx, |conn, _| match peer_of(conn) {
            Ok(p) => {
                peer.write(p);
                NANODTLS_OK
            }
            Err(e) => e,
        })
    }
}

/// Endpoint: add a trust anchor shared by every peer (see nanodtls_ta_add;
/// the key is COPIED in and zeroized by nanodtls_endpoint_ta_remove,
/// _reset and nanodtls_endpoint_deinit). One window per trust anchor
/// serves all peer slots, so a nonce used by one peer is refused for all.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_ta_add(
    ep: *mut nanodtls_endpoint,
    ta_id: *const u8,
    ta_id_len: usize,
    key: *const u8,
    key_len: usize,
    derived_key_len: usize,
) -> nanodtls_status {
    // SAFETY: the caller's pointers, as ta_add requires (ctx NULL: the endpoint).
    unsafe { ta_add(core::ptr::null_mut(), ep, ta_id, ta_id_len, key, key_len, derived_key_len) }
}

/// Endpoint: remove a trust anchor (see nanodtls_ta_remove).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_ta_remove(
    ep: *mut nanodtls_endpoint,
    ta_id: *const u8,
    ta_id_len: usize,
) -> nanodtls_status {
    // SAFETY: the caller's pointers, as ta_by_id requires.
    unsafe { ta_by_id(core::ptr::null_mut(), ep, ta_id, ta_id_len, |t, id| status(t.remove(id))) }
}

/// Endpoint: reset a trust anchor with a new key (see nanodtls_ta_reset).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_ta_reset(
    ep: *mut nanodtls_endpoint,
    ta_id: *const u8,
    ta_id_len: usize,
    key: *const u8,
    key_len: usize,
) -> nanodtls_status {
    // SAFETY: the caller's pointers, as ta_reset requires.
    unsafe { ta_reset(core::ptr::null_mut(), ep, ta_id, ta_id_len, key, key_len) }
}

/// Endpoint: revoke a sequence number (see nanodtls_ta_revoke).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_ta_revoke(
    ep: *mut nanodtls_endpoint,
    ta_id: *const u8,
    ta_id_len: usize,
    seq: u32,
) -> nanodtls_status {
    // SAFETY: the caller's pointers, as ta_by_id requires.
    unsafe { ta_by_id(core::ptr::null_mut(), ep, ta_id, ta_id_len, |t, id| status(t.revoke(id, seq))) }
}

/// Endpoint: write a trust anchor's window (see nanodtls_ta_export).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_ta_export(
    ep: *mut nanodtls_endpoint,
    ta_id: *const u8,
    ta_id_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> nanodtls_status {
    // SAFETY: the caller's pointers, as ta_export requires.
    unsafe { ta_export(core::ptr::null_mut(), ep, ta_id, ta_id_len, out, out_cap, out_len) }
}

/// Endpoint: merge a saved window (see nanodtls_ta_import).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_ta_import(
    ep: *mut nanodtls_endpoint,
    blob: *const u8,
    len: usize,
) -> nanodtls_status {
    // SAFETY: the caller's pointers, as ta_import requires.
    unsafe { ta_import(core::ptr::null_mut(), ep, blob, len) }
}

/// Endpoint: copy the trust anchor counters (all peers together).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_ta_get_stats(
    ep: *mut nanodtls_endpoint,
    stats: *mut nanodtls_ta_stats,
) -> nanodtls_status {
    // SAFETY: the caller's pointers, as ta_stats requires.
    unsafe { ta_stats(core::ptr::null_mut(), ep, stats) }
}

/// Endpoint: who the peer at `addr` is, when it authenticated through a
/// trust anchor (see nanodtls_get_ta_peer). NANODTLS_E_UNKNOWN_PEER if no
/// slot holds that peer.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_peer_ta(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    peer: *mut nanodtls_ta_peer,
) -> nanodtls_status {
    if peer.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/length pair from the caller.
    let a = match unsafe { in_slice(addr, addr_len) } {
        Ok(a) => a,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ep; peer non-NULL and writable.
    unsafe {
        with_ep(ep, |e, slots, _| {
            let Some(c) = e.peer(slots, a) else { return NANODTLS_E_UNKNOWN_PEER };
            match peer_of(c) {
                Ok(p) => {
                    peer.write(p);
                    NANODTLS_OK
                }
                Err(st) => st,
            }
        })
    }
}
