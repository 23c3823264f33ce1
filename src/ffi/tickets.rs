//! C API of RFC 5077 session tickets (feature `tickets`): turning them on,
//! a server's ticket keys in caller memory (one set per context or
//! endpoint, or shared), and whether a handshake used a ticket. The
//! functions exist in every build (the header is one for all profiles):
//! without the feature they refuse with NANODTLS_E_UNSUPPORTED (turning
//! tickets off, removing keys and asking whether a ticket was used still
//! succeed).

use super::ctx::with_ctx;
use super::endpoint::with_ep;
use super::*;
#[cfg(feature = "tickets")]
use crate::session_ticket::TicketKeys;

/// A server's ticket keys (current and grace key, lifetime): caller
/// memory, e.g. `static nanodtls_ticket_keys keys;`, set up with
/// nanodtls_ticket_keys_init and registered with nanodtls_set_ticket_keys
/// or nanodtls_endpoint_set_ticket_keys (several servers of one thread may
/// share it). Holds secrets: nanodtls_ticket_keys_wipe zeroizes it (deinit
/// of a context or endpoint it is registered with does too).
#[repr(C)]
pub struct nanodtls_ticket_keys {
    _opaque: [u64; 16],
}

#[cfg(feature = "tickets")]
const _: () = assert!(core::mem::size_of::<TicketKeys>() <= core::mem::size_of::<nanodtls_ticket_keys>());
#[cfg(feature = "tickets")]
const _: () = assert!(core::mem::align_of::<TicketKeys>() <= core::mem::align_of::<nanodtls_ticket_keys>());

/// # Safety
/// `keys` is NULL or points to a writable nanodtls_ticket_keys that
/// nanodtls_ticket_keys_init set up (or zeroed memory: a valid, empty set).
#[cfg(feature = "tickets")]
unsafe fn keys_mut<'a>(keys: *mut nanodtls_ticket_keys) -> Option<&'a mut TicketKeys> {
    if keys.is_null() {
        return None;
    }
    // SAFETY: caller contract: writable, aligned, large enough (asserted
    // above); all-zero and every state init/set leave are valid TicketKeys.
    Some(unsafe { &mut *keys.cast::<TicketKeys>() })
}

/// Set up `keys` empty, with tickets valid for `lifetime_s` seconds (0:
/// 7200, also sent as the lifetime hint). Without nanodtls_ticket_keys_set
/// a key is drawn from the server's RNG at the first ticket and rotated
/// every lifetime, the previous key staying valid as the grace key for one
/// more lifetime.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_ticket_keys_init(
    keys: *mut nanodtls_ticket_keys,
    lifetime_s: u32,
) -> nanodtls_status {
    #[cfg(feature = "tickets")]
    {
        if keys.is_null() {
            return NANODTLS_E_NULL;
        }
        if lifetime_s > u32::MAX / 1000 {
            return NANODTLS_E_INVALID_ARG;
        }
        // SAFETY: caller contract (writable nanodtls_ticket_keys); zero bytes
        // are a valid TicketKeys, then it is initialised.
        unsafe {
            core::ptr::write_bytes(keys.cast::<u8>(), 0, core::mem::size_of::<nanodtls_ticket_keys>());
            if let Some(k) = keys_mut(keys) {
                k.init(lifetime_s * 1000);
            }
        }
        NANODTLS_OK
    }
    #[cfg(not(feature = "tickets"))]
    {
        let _ = (keys, lifetime_s);
        NANODTLS_E_UNSUPPORTED
    }
}

/// Install an application ticket key (16-byte name, 16-byte AES key; e.g.
/// shared by a server fleet): the current key becomes the grace key (still
/// accepted) and the older grace key is wiped. From then on keys change
/// only through this call (call it again to rotate).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_ticket_keys_set(
    keys: *mut nanodtls_ticket_keys,
    name: *const u8,
    key: *const u8,
) -> nanodtls_status {
    #[cfg(feature = "tickets")]
    {
        if name.is_null() || key.is_null() {
            return NANODTLS_E_NULL;
        }
        // SAFETY: caller contract: name and key point to 16 readable bytes.
        let (n, k) = unsafe { (&*name.cast::<[u8; 16]>(), &*key.cast::<[u8; 16]>()) };
        // SAFETY: see keys_mut.
        match unsafe { keys_mut(keys) } {
            Some(t) => {
                t.set_key(n, k, 0);
                NANODTLS_OK
            }
            None => NANODTLS_E_NULL,
        }
    }
    #[cfg(not(feature = "tickets"))]
    {
        let _ = (keys, name, key);
        NANODTLS_E_UNSUPPORTED
    }
}

/// Zeroize both ticket keys (tickets issued so far can no longer resume).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_ticket_keys_wipe(keys: *mut nanodtls_ticket_keys) -> nanodtls_status {
    #[cfg(feature = "tickets")]
    {
        // SAFETY: see keys_mut.
        match unsafe { keys_mut(keys) } {
            Some(t) => {
                t.wipe();
                NANODTLS_OK
            }
            None => NANODTLS_E_NULL,
        }
    }
    #[cfg(not(feature = "tickets"))]
    {
        let _ = keys;
        NANODTLS_E_UNSUPPORTED
    }
}

/// Session tickets (RFC 5077) on (1) or off (0). Client: offer the
/// SessionTicket extension, keep the ticket (it goes into
/// nanodtls_session_export) and resume with it. Server: issue tickets
/// (needs nanodtls_set_ticket_keys). Before connect / the first ClientHello;
/// nanodtls_set_config turns it off again.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_enable_tickets(ctx: *mut nanodtls_ctx, on: i32) -> nanodtls_status {
    #[cfg(feature = "tickets")]
    {
        if !matches!(on, 0 | 1) {
            return NANODTLS_E_INVALID_ARG;
        }
        // SAFETY: see with_ctx.
        unsafe { with_ctx(ctx, |conn, _| status(conn.set_tickets(on == 1))) }
    }
    #[cfg(not(feature = "tickets"))]
    {
        if !matches!(on, 0 | 1) {
            return NANODTLS_E_INVALID_ARG;
        }
        if on == 1 {
            return NANODTLS_E_UNSUPPORTED;
        }
        // SAFETY: see with_ctx.
        unsafe { with_ctx(ctx, |_, _| NANODTLS_OK) }
    }
}

/// Server: seal and open tickets with `keys` (NULL removes them, at any
/// time: no tickets). Turns tickets on (nanodtls_enable_tickets: before the
/// first ClientHello). `keys` must stay valid while registered; deinit
/// wipes it (remove it first to keep it, e.g. for other servers).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_ticket_keys(
    ctx: *mut nanodtls_ctx,
    keys: *mut nanodtls_ticket_keys,
) -> nanodtls_status {
    #[cfg(feature = "tickets")]
    {
        // SAFETY: see with_ctx.
        unsafe {
            with_ctx(ctx, |conn, cb| {
                if conn.role() != crate::Role::Server {
                    return NANODTLS_E_STATE;
                }
                if keys.is_null() {
                    // Always possible: without keys nothing is sealed or opened.
                    cb.tickets = core::ptr::null_mut();
                    let _ = conn.set_tickets(false);
                    return NANODTLS_OK;
                }
                let r = conn.set_tickets(true);
                if r.is_ok() {
                    cb.tickets = keys.cast();
                }
                status(r)
            })
        }
    }
    #[cfg(not(feature = "tickets"))]
    {
        if !keys.is_null() {
            return NANODTLS_E_UNSUPPORTED;
        }
        // SAFETY: see with_ctx.
        unsafe { with_ctx(ctx, |_, _| NANODTLS_OK) }
    }
}

/// The endpoint's ticket keys, one set for all its peers (NULL removes
/// them). Turns tickets on for peers accepted from now on.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_ticket_keys(
    ep: *mut nanodtls_endpoint,
    keys: *mut nanodtls_ticket_keys,
) -> nanodtls_status {
    #[cfg(feature = "tickets")]
    {
        // SAFETY: see with_ep.
        unsafe {
            with_ep(ep, |e, _, cb| {
                e.set_tickets(!keys.is_null());
                cb.tickets = keys.cast();
                NANODTLS_OK
            })
        }
    }
    #[cfg(not(feature = "tickets"))]
    {
        if !keys.is_null() {
            return NANODTLS_E_UNSUPPORTED;
        }
        // SAFETY: see with_ep.
        unsafe { with_ep(ep, |_, _, _| NANODTLS_OK) }
    }
}

/// 1 if the last handshake resumed a session from a ticket, else 0 (also
/// for an uninitialised or NULL context).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_resumed_by_ticket(ctx: *mut nanodtls_ctx) -> i32 {
    #[cfg(feature = "tickets")]
    {
        let mut used = 0;
        // SAFETY: see with_ctx.
        unsafe {
            with_ctx(ctx, |conn, _| {
                used = i32::from(conn.resumed_by_ticket());
                NANODTLS_OK
            })
        };
        used
    }
    #[cfg(not(feature = "tickets"))]
    {
        let _ = ctx;
        0
    }
}
