//! C API of the connection ID (RFC 9146, feature `cid`): the CIDs a
//! context negotiated. (The CID length we ask for is set in
//! nanodtls_config: connection_id, cid_len; the endpoint reports address
//! moves with NANODTLS_EVENT_ADDRESS_CHANGED.)

use super::ctx::with_ctx;
use super::endpoint::with_ep;
use super::*;

/// nanodtls_get_cid: the CID we put in the records we send (the peer's).
pub const NANODTLS_CID_TX: u8 = 0;
/// nanodtls_get_cid: the CID the peer puts in the records it sends us (ours).
pub const NANODTLS_CID_RX: u8 = 1;

/// The CID of `conn` (`which`) into `o`: see nanodtls_get_cid.
///
/// # Safety
/// `out_len` must be non-NULL and writable.
unsafe fn cid_out(conn: &crate::Engine, which: u8, o: &mut [u8], out_len: *mut usize) -> nanodtls_status {
    #[cfg(feature = "cid")]
    {
        if !conn.cid_negotiated() {
            return NANODTLS_DONE;
        }
        let cid = if which == NANODTLS_CID_TX { conn.tx_cid() } else { conn.rx_cid() };
        // SAFETY: the caller's contract on out_len.
        unsafe { copy_out(cid, o, out_len) }
    }
    #[cfg(not(feature = "cid"))]
    {
        let _ = (conn, which, o, out_len);
        NANODTLS_E_UNSUPPORTED
    }
}

/// Copy a negotiated connection ID (RFC 9146): `which` is NANODTLS_CID_TX
/// (the peer's, in what we send) or NANODTLS_CID_RX (ours, in what we
/// receive). NANODTLS_OK with its length in `*out_len` (0: negotiated,
/// but that direction uses ordinary records); NANODTLS_DONE if no CID was
/// negotiated (yet: both sides know after the hellos); at most
/// NANODTLS_MAX_CID bytes. NANODTLS_E_UNSUPPORTED in a library built
/// without the `cid` feature.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_get_cid(
    ctx: *mut nanodtls_ctx,
    which: u8,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> nanodtls_status {
    if out_len.is_null() {
        return NANODTLS_E_NULL;
    }
    if which > NANODTLS_CID_RX {
        return NANODTLS_E_INVALID_ARG;
    }
    // SAFETY: pointer/capacity pair from the caller.
    let o = match unsafe { out_slice(out, out_cap) } {
        Ok(o) => o,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx; out_len non-NULL and writable.
    unsafe { with_ctx(ctx, |conn, _| cid_out(conn, which, o, out_len)) }
}

/// nanodtls_get_cid for the endpoint's peer at `addr`: NANODTLS_CID_TX
/// is the CID the endpoint sends to that peer, NANODTLS_CID_RX the one
/// the peer sends (what finds the peer at any address).
/// NANODTLS_E_UNKNOWN_PEER if no slot holds that address.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_peer_cid(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    which: u8,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> nanodtls_status {
    if out_len.is_null() {
        return NANODTLS_E_NULL;
    }
    if which > NANODTLS_CID_RX {
        return NANODTLS_E_INVALID_ARG;
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
            cid_out(c, which, o, out_len)
        })
    }
}
