//! C API of one peer of an endpoint, found by its address: its state and
//! identity, statistics, heartbeat, the application's user value.

use super::ctx::{connection_info, nanodtls_info};
use super::endpoint::{peer_getter, peer_getter_slot, with_ep};
use super::*;

/// Copy the SHA-256 of the SubjectPublicKeyInfo of the peer at `addr`
/// (32 bytes); NANODTLS_E_STATE if it did not present one.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_peer_key_hash(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    out: *mut u8,
    out_cap: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pairs from the caller.
    let (a, o) = match unsafe { (in_slice(addr, addr_len), out_slice(out, out_cap)) } {
        (Ok(a), Ok(o)) => (a, o),
        (Err(e), _) | (_, Err(e)) => return e.code(),
    };
    // SAFETY: see with_ep.
    unsafe {
        with_ep(ep, |e, slots, _| {
            let Some(c) = e.peer(slots, a) else { return NANODTLS_E_UNKNOWN_PEER };
            let Some(h) = c.peer_key_hash() else { return NANODTLS_E_STATE };
            let Some(dst) = o.get_mut(..32) else { return NANODTLS_E_BUFFER_TOO_SMALL };
            dst.copy_from_slice(&h);
            NANODTLS_OK
        })
    }
}

/// Send a heartbeat request to the peer at `addr` (server-initiated
/// keep-alive, RFC 6520; poll to transmit). See nanodtls_heartbeat.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_heartbeat(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let a = match unsafe { in_slice(addr, addr_len) } {
        Ok(a) => a,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ep.
    unsafe {
        with_ep(ep, |e, slots, cb| {
            let now = cb.now();
            status(e.heartbeat(slots, cb, now, a))
        })
    }
}

/// Facts about the connection to `addr` (state, suite, resumed, heartbeat ...).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_peer_info(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    info: *mut nanodtls_info,
) -> nanodtls_status {
    // SAFETY: the caller's pointers, as peer_getter requires.
    unsafe { peer_getter(ep, addr, addr_len, info, connection_info) }
}

/// Heartbeat state of the peer at `addr` (see nanodtls_heartbeat_status).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_heartbeat_status(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    hb_status: *mut u8,
    rtt_ms: *mut u32,
) -> nanodtls_status {
    if hb_status.is_null() || rtt_ms.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/length pair from the caller.
    let a = match unsafe { in_slice(addr, addr_len) } {
        Ok(a) => a,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ep; outputs non-NULL and writable.
    unsafe {
        with_ep(ep, |e, slots, _| match e.peer(slots, a) {
            Some(c) => {
                let (st, rtt) = c.heartbeat_status();
                hb_status.write(st as u8);
                rtt_ms.write(rtt);
                NANODTLS_OK
            }
            None => NANODTLS_E_UNKNOWN_PEER,
        })
    }
}

/// Attach an application pointer to the peer at `addr` (e.g. its entry in
/// your own table of clients); NULL detaches it. The library never
/// dereferences it. Lifetime: it stays with the peer, and comes with its
/// events (nanodtls_event.user) and nanodtls_endpoint_get_peer_user, also
/// after CLOSED or FAILED (the slot, its stats and info stay until
/// reused), until the peer's slot goes to another peer or to a new
/// handshake from the same address (see the slot policy at
/// nanodtls_endpoint_init; a silent connected peer can lose its slot
/// without any other event). Then the endpoint forgets the peer and
/// reports NANODTLS_EVENT_RELEASED with its address and this pointer,
/// once: free what it points to then. At most
/// NANODTLS_ENDPOINT_RELEASE_QUEUE such reports wait to be polled; while
/// the queue is full, slots with a pointer are not reclaimed (new clients
/// are dropped, dropped_no_slot). nanodtls_endpoint_deinit releases every
/// peer without reporting. NANODTLS_E_UNKNOWN_PEER if no slot holds `addr`.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_peer_user(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    user: *mut c_void,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let a = match unsafe { in_slice(addr, addr_len) } {
        Ok(a) => a,
        Err(e) => return e.code(),
    };
    // The pointer is kept as an integer and only ever handed back.
    let value = user.expose_provenance();
    // SAFETY: see with_ep.
    unsafe { with_ep(ep, |e, slots, _| status(e.set_peer_user(slots, a, value))) }
}

/// The pointer attached to the peer at `addr` with
/// nanodtls_endpoint_set_peer_user (NULL if none) into `*user`.
/// NANODTLS_E_UNKNOWN_PEER if no slot holds `addr` (its slot was reused:
/// see NANODTLS_EVENT_RELEASED).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_get_peer_user(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    user: *mut *mut c_void,
) -> nanodtls_status {
    // SAFETY: the caller's pointers, as peer_getter requires.
    unsafe {
        peer_getter_slot(ep, addr, addr_len, user, |e, slots, a| {
            e.peer_user(slots, a).map(core::ptr::with_exposed_provenance_mut::<c_void>)
        })
    }
}

/// Copy the PSK identity the peer at `addr` used.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_peer_identity(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> nanodtls_status {
    if out_len.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/length pairs from the caller.
    let (a, o) = match unsafe { (in_slice(addr, addr_len), out_slice(out, out_cap)) } {
        (Ok(a), Ok(o)) => (a, o),
        (Err(e), _) | (_, Err(e)) => return e.code(),
    };
    // SAFETY: see with_ep; out_len non-NULL and writable.
    unsafe {
        with_ep(ep, |e, slots, _| {
            let Some(c) = e.peer(slots, a) else { return NANODTLS_E_UNKNOWN_PEER };
            let id = c.peer_psk_identity();
            if id.is_empty() {
                return NANODTLS_E_STATE;
            }
            copy_out(id, o, out_len)
        })
    }
}

/// Statistics of the connection to `addr`.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_peer_stats(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    stats: *mut nanodtls_stats,
) -> nanodtls_status {
    // SAFETY: the caller's pointers, as peer_getter requires.
    unsafe { peer_getter(ep, addr, addr_len, stats, |c| nanodtls_stats::from(c.stats())) }
}
