//! C API of a context's session and extension features: the session cache
//! and the deep-sleep session export (RFC 5246 7.4.1.2), server_name (RFC
//! 6066 3) and heartbeat (RFC 6520).

use super::ctx::with_ctx;
use super::*;

/// Server: use `n` entries at `entries` (each `entry_size` =
/// sizeof(nanodtls_session_entry)) as the session cache, so clients can
/// resume with an abbreviated handshake. The entries are zeroed here and
/// must stay valid until deinit (which wipes them) or until replaced.
/// (NULL, 0) removes the cache. The same array may be shared by several
/// server contexts used from one thread.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_session_cache(
    ctx: *mut nanodtls_ctx,
    entries: *mut nanodtls_session_entry,
    entry_size: usize,
    n: usize,
) -> nanodtls_status {
    // SAFETY: see with_ctx and register_cache (caller contract on entries).
    unsafe {
        with_ctx(ctx, |conn, cb| {
            if conn.role() != crate::Role::Server {
                return NANODTLS_E_STATE;
            }
            register_cache(cb, entries, entry_size, n)
        })
    }
}

/// Client: the server_name (SNI, RFC 6066) to send, a DNS host name of 1
/// to NANODTLS_MAX_SERVER_NAME bytes (not an IP address). Before connect.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_server_name(
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
    unsafe { with_ctx(ctx, |conn, _| status(conn.set_server_name(n))) }
}

/// Copy the server_name: ours (client) or the one the client asked for
/// (server). NANODTLS_DONE if there is none.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_get_server_name(
    ctx: *mut nanodtls_ctx,
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
    // SAFETY: see with_ctx; out_len non-NULL and writable.
    unsafe {
        with_ctx(ctx, |conn, _| {
            let name = conn.server_name();
            if name.is_empty() {
                return NANODTLS_DONE;
            }
            copy_out(name, o, out_len)
        })
    }
}

/// Server: callback deciding whether to serve the server_name a client
/// asks for (NULL removes it; without it every name is accepted).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_sni_callback(
    ctx: *mut nanodtls_ctx,
    cb_fn: nanodtls_sni_fn,
    user: *mut c_void,
) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |_, cb| {
            cb.sni = cb_fn;
            cb.sni_user = user;
            NANODTLS_OK
        })
    }
}

/// Send a heartbeat request (RFC 6520 keep-alive; poll to transmit it).
/// NANODTLS_E_UNSUPPORTED if heartbeat was not negotiated (set
/// cfg.heartbeat = 1 on both sides), NANODTLS_E_WOULD_BLOCK while the
/// previous request still waits for its response.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_heartbeat(ctx: *mut nanodtls_ctx) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |conn, cb| {
            let now = cb.now();
            status(conn.heartbeat(cb, now))
        })
    }
}

/// The state of the last heartbeat request (NANODTLS_HEARTBEAT_*) and,
/// when OK, its round-trip time in ms. A request without a response after
/// three retransmissions becomes NANODTLS_HEARTBEAT_FAILED: the peer or
/// the path is gone.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_heartbeat_status(
    ctx: *mut nanodtls_ctx,
    hb_status: *mut u8,
    rtt_ms: *mut u32,
) -> nanodtls_status {
    if hb_status.is_null() || rtt_ms.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: see with_ctx; outputs non-NULL and writable.
    unsafe {
        with_ctx(ctx, |conn, _| {
            let (st, rtt) = conn.heartbeat_status();
            hb_status.write(st as u8);
            rtt_ms.write(rtt);
            NANODTLS_OK
        })
    }
}

/// Client: serialise the resumable session into `out` (at most
/// NANODTLS_SESSION_BLOB_MAX bytes) to keep it across deep sleep or a
/// reboot. THE BLOB CONTAINS THE SESSION'S MASTER SECRET: keep it where
/// only this device can read it, and wipe it when done. NANODTLS_E_STATE
/// if there is no resumable session. Keep this blob, never a copy of the
/// context (see nanodtls_ctx: a restored context reuses CCM nonces).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_session_export(
    ctx: *mut nanodtls_ctx,
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
    // SAFETY: see with_ctx; out_len non-NULL and writable.
    unsafe {
        with_ctx(ctx, |conn, _| match conn.export_session(o) {
            Ok(n) => {
                out_len.write(n);
                NANODTLS_OK
            }
            Err(e) => e.code(),
        })
    }
}

/// Client: load a session blob written by nanodtls_session_export into a
/// freshly initialised context, before nanodtls_connect, which then offers
/// it. A corrupted, truncated or foreign blob gives NANODTLS_E_INVALID_ARG
/// and changes nothing. If the server does not resume it, a full handshake
/// follows. A session with an RFC 5077 ticket (nanodtls_enable_tickets)
/// exports as a version 2 blob carrying the ticket, which builds without
/// the `tickets` feature refuse with NANODTLS_E_UNSUPPORTED; version 1
/// blobs (no ticket, as older releases wrote) import everywhere.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_session_import(
    ctx: *mut nanodtls_ctx,
    blob: *const u8,
    len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let b = match unsafe { in_slice(blob, len) } {
        Ok(b) => b,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |conn, _| status(conn.import_session(b))) }
}
