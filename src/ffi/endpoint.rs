//! C API of the server endpoint (`nanodtls_endpoint`): many peers in
//! caller-provided slots, addressed by opaque address bytes.

use core::ffi::c_void;

use zerocopy::FromZeros;

use super::ctx::Callbacks;
use super::guard::{destroy, enter, initialise, Guarded};
use super::*;
use crate::connection::Engine;
use crate::endpoint::{Endpoint, Event, PeerSlot};
use crate::env::Env;
use crate::sizes::{NANODTLS_ENDPOINT_SIZE, NANODTLS_ENDPOINT_WORDS, NANODTLS_PEER_SIZE, NANODTLS_PEER_WORDS};

/// Opaque server endpoint: cookie secrets, configuration and the PSK
/// shared by all peers. Size is a compile-time constant.
#[repr(C)]
pub struct nanodtls_endpoint {
    _opaque: [u64; NANODTLS_ENDPOINT_WORDS],
}

/// Opaque per-peer slot. Give the endpoint an array of these
/// (`static nanodtls_peer peers[8];`); it must stay valid until deinit.
#[repr(C)]
pub struct nanodtls_peer {
    _opaque: [u64; NANODTLS_PEER_WORDS],
}

const EP_MAGIC: u64 = 0x6e61_6e6f_6570_7401;
/// Default half-open timeout of an endpoint (ms): when every slot is
/// taken, a handshake that accepted nothing from its peer for this long may
/// lose its slot to a new client.
pub const NANODTLS_DEFAULT_HALF_OPEN_MS: u32 = 10_000;
/// Default idle timeout of an endpoint (ms): when every slot is taken, the
/// connected peer that has been silent longest (no authenticated record
/// from it), if silent for at least this long, loses its slot to a new
/// client. A device that crashed or rebooted without close_notify thus
/// never locks others out for good.
pub const NANODTLS_DEFAULT_IDLE_MS: u32 = 60_000;

#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct EpBody {
    cb: Callbacks,
    peers: *mut PeerSlot,
    n_peers: usize,
    ep: Endpoint,
}

type EpInner = Guarded<EpBody>;

const _: () = assert!(core::mem::size_of::<EpInner>() <= NANODTLS_ENDPOINT_SIZE, "raise ENDPOINT_BYTES in build.rs");
const _: () = assert!(core::mem::size_of::<nanodtls_endpoint>() == NANODTLS_ENDPOINT_SIZE);
const _: () = assert!(core::mem::align_of::<EpInner>() <= core::mem::align_of::<nanodtls_endpoint>());
const _: () = assert!(core::mem::size_of::<PeerSlot>() <= NANODTLS_PEER_SIZE, "raise PEER_WRAPPER_BYTES in build.rs");
const _: () = assert!(core::mem::size_of::<nanodtls_peer>() == NANODTLS_PEER_SIZE);
const _: () = assert!(core::mem::align_of::<PeerSlot>() <= core::mem::align_of::<nanodtls_peer>());

#[cfg(test)]
pub(crate) const EP_INNER_SIZE: usize = core::mem::size_of::<EpInner>();
#[cfg(test)]
pub(crate) const PEER_SLOT_SIZE: usize = core::mem::size_of::<PeerSlot>();

/// One endpoint event.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct nanodtls_event {
    /// NANODTLS_EVENT_CONNECTED, _CLOSED or _FAILED.
    pub kind: u8,
    /// The peer's alert state at the time of the event.
    pub alert: nanodtls_alert,
    /// Negotiated suite (0 if none).
    pub suite: u16,
    /// The peer's sticky status (NANODTLS_OK for CONNECTED).
    pub status: nanodtls_status,
    /// The peer's pointer set with nanodtls_endpoint_set_peer_user (NULL if
    /// none). For NANODTLS_EVENT_RELEASED the pointer the released peer
    /// had (alert, suite and status are then zero).
    pub user: *mut c_void,
}

impl Default for nanodtls_event {
    fn default() -> Self {
        nanodtls_event {
            kind: 0,
            alert: nanodtls_alert::default(),
            suite: 0,
            status: NANODTLS_OK,
            user: core::ptr::null_mut(),
        }
    }
}

/// Stateless replies (HelloVerifyRequests, refusals of ClientHellos that
/// are too large) an endpoint holds until they are polled; see
/// nanodtls_endpoint_feed.
pub const NANODTLS_ENDPOINT_REPLY_QUEUE: usize = 4;
const _: () = assert!(NANODTLS_ENDPOINT_REPLY_QUEUE == crate::endpoint::HVR_QUEUE);

/// nanodtls_event.kind: a handshake completed.
pub const NANODTLS_EVENT_CONNECTED: u8 = 1;
/// nanodtls_event.kind: a connection closed (close_notify).
pub const NANODTLS_EVENT_CLOSED: u8 = 2;
/// nanodtls_event.kind: a connection failed (alert or timeout).
pub const NANODTLS_EVENT_FAILED: u8 = 3;
/// nanodtls_event.kind: the slot of a peer that had a user pointer
/// (nanodtls_endpoint_set_peer_user) went to another peer or to a new
/// handshake from the same address; the endpoint forgot the peer, and
/// nanodtls_event.user hands the pointer back (once): free what it points
/// to now.
pub const NANODTLS_EVENT_RELEASED: u8 = 4;
/// nanodtls_event.kind: the peer's address changed (connection ID, RFC
/// 9146 section 6): an authenticated record with its CID, newer than any
/// before, came from another address. The address returned with the event
/// is the new one; send to it from now on (the old one no longer finds
/// the peer).
pub const NANODTLS_EVENT_ADDRESS_CHANGED: u8 = 5;
/// Released peers (NANODTLS_EVENT_RELEASED) an endpoint holds until they
/// are polled. While that many wait, slots holding a user pointer are not
/// reclaimed: poll events regularly.
pub const NANODTLS_ENDPOINT_RELEASE_QUEUE: usize = 4;
const _: () = assert!(NANODTLS_ENDPOINT_RELEASE_QUEUE == crate::endpoint::RELEASE_QUEUE);

/// Endpoint counters.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct nanodtls_endpoint_stats {
    /// HelloVerifyRequests sent.
    pub hello_verify_requests: u32,
    /// Slots given to peers that proved their address.
    pub slots_allocated: u32,
    /// Slots reclaimed from closed, failed, half-open or idle peers.
    pub slots_reclaimed: u32,
    /// ClientHellos dropped because no slot was free.
    pub dropped_no_slot: u32,
    /// Datagrams from unknown addresses that were not a usable ClientHello.
    pub dropped_unknown_peer: u32,
    /// HelloVerifyRequests not sent because the queue of unpolled ones was full.
    pub dropped_hvr_busy: u32,
    /// ClientHellos longer than NANODTLS_MAX_HANDSHAKE_MSG (what a peer can
    /// reassemble) refused before they took a slot; their valid cookie
    /// proved the address, so each was answered with a fatal internal_error
    /// alert at once (raise the knob, or make the client's hello smaller).
    pub refused_too_large: u32,
    /// ClientHellos dropped because the RNG callback failed while refreshing
    /// the cookie secret (nanodtls_endpoint_feed returned NANODTLS_E_RNG).
    /// An RNG failure inside a peer's handshake ends that handshake
    /// instead (NANODTLS_EVENT_FAILED with status NANODTLS_E_RNG).
    pub rng_failures: u32,
    /// Peer slots holding a peer now, in any state: peers_handshaking +
    /// peers_connected + peers_ended. A connection that ended keeps its
    /// slot (its stats and info stay readable) until a new peer takes it.
    pub peers_in_use: u32,
    /// Slots whose handshake is under way now (after the cookie exchange).
    pub peers_handshaking: u32,
    /// Connected peers now.
    pub peers_connected: u32,
    /// Slots of connections that ended (closed or failed) and were not
    /// reclaimed yet; a new peer takes them first.
    pub peers_ended: u32,
}

/// Run `f` with the endpoint and its slots.
///
/// # Safety
/// `ep` must be NULL or point to a nanodtls_endpoint; if initialised, the
/// slot array given to init must still be valid (API contract).
pub(super) unsafe fn with_ep(
    ep: *mut nanodtls_endpoint,
    f: impl FnOnce(&mut Endpoint, &mut [PeerSlot], &mut Callbacks) -> nanodtls_status,
) -> nanodtls_status {
    // SAFETY: nanodtls_endpoint is large and aligned enough for EpInner
    // (asserted above). When initialised, peers/n_peers describe the array
    // the caller gave to init, zeroed and initialised there, which the
    // caller keeps valid and does not touch until deinit; the slice is the
    // only reference to it while the guard is held.
    unsafe {
        enter(ep.cast::<EpInner>(), EP_MAGIC, |b| {
            let slots = core::slice::from_raw_parts_mut(b.peers, b.n_peers);
            f(&mut b.ep, slots, &mut b.cb)
        })
    }
}

/// Look up the connection to the peer at `addr` and write `get(connection)`
/// to `out`: NANODTLS_E_NULL if `out` is NULL, the address errors of
/// `in_slice`, NANODTLS_E_UNKNOWN_PEER if no slot holds that peer.
///
/// # Safety
/// As [`with_ep`]; `addr`/`addr_len` a pointer/length pair from the
/// caller; `out` NULL or valid for a write of `T`.
pub(super) unsafe fn peer_getter<T>(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    out: *mut T,
    get: impl FnOnce(&Engine) -> T,
) -> nanodtls_status {
    if out.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/length pair from the caller.
    let a = match unsafe { in_slice(addr, addr_len) } {
        Ok(a) => a,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ep; out is non-NULL and writable (caller contract).
    unsafe {
        with_ep(ep, |e, slots, _| match e.peer(slots, a) {
            Some(c) => {
                out.write(get(c));
                NANODTLS_OK
            }
            None => NANODTLS_E_UNKNOWN_PEER,
        })
    }
}

/// As [`peer_getter`], with the endpoint and its slots: `get` returns
/// None for an unknown peer.
///
/// # Safety
/// As [`peer_getter`].
pub(super) unsafe fn peer_getter_slot<T>(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    out: *mut T,
    get: impl FnOnce(&Endpoint, &[PeerSlot], &[u8]) -> Option<T>,
) -> nanodtls_status {
    if out.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/length pair from the caller.
    let a = match unsafe { in_slice(addr, addr_len) } {
        Ok(a) => a,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ep; out is non-NULL and writable (caller contract).
    unsafe {
        with_ep(ep, |e, slots, _| match get(e, slots, a) {
            Some(v) => {
                out.write(v);
                NANODTLS_OK
            }
            None => NANODTLS_E_UNKNOWN_PEER,
        })
    }
}

/// Size in bytes of nanodtls_endpoint expected by this library.
#[no_mangle]
pub extern "C" fn nanodtls_endpoint_size() -> usize {
    NANODTLS_ENDPOINT_SIZE
}

/// Largest application payload one nanodtls_endpoint_write to `addr`
/// accepts (depends on MTU, suite and negotiated max_fragment_length).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_max_write(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    max_len: *mut usize,
) -> nanodtls_status {
    // SAFETY: the caller's pointers, as peer_getter requires.
    unsafe { peer_getter(ep, addr, addr_len, max_len, |c| c.max_write()) }
}

/// Size in bytes of one nanodtls_peer expected by this library.
#[no_mangle]
pub extern "C" fn nanodtls_peer_size() -> usize {
    NANODTLS_PEER_SIZE
}

/// Initialise a server endpoint over `n_peers` slots at `peers` (each
/// `peer_size` = sizeof(nanodtls_peer) bytes). `cfg` must have role
/// NANODTLS_ROLE_SERVER; its require_cookie decides whether new peers go
/// through the HelloVerifyRequest exchange (strongly recommended). The
/// slots are zeroed here and must stay valid until nanodtls_endpoint_deinit.
///
/// Slot policy: a new client (after its cookie exchange) takes a free slot;
/// when every slot is taken it takes, in this order, the slot of a closed
/// or failed connection, of the handshake that accepted nothing for longest
/// (at least NANODTLS_DEFAULT_HALF_OPEN_MS), or of the connected peer
/// silent for longest (at least NANODTLS_DEFAULT_IDLE_MS); otherwise it is
/// dropped (counted in dropped_no_slot) and retries. A slot holding a user
/// pointer (nanodtls_endpoint_set_peer_user) is taken only if its
/// NANODTLS_EVENT_RELEASED can be queued. Only records that
/// authenticate (or, during a handshake, accepted messages) count as a
/// peer's activity. Change the two timeouts with
/// nanodtls_endpoint_set_timeouts.
/// NANODTLS_E_UNSUPPORTED from a client-only library (cargo feature
/// `client` alone).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_init(
    ep: *mut nanodtls_endpoint,
    ep_size: usize,
    cfg: *const nanodtls_config,
    platform: *const nanodtls_platform,
    peers: *mut nanodtls_peer,
    peer_size: usize,
    n_peers: usize,
) -> nanodtls_status {
    if ep.is_null() || cfg.is_null() || platform.is_null() || peers.is_null() {
        return NANODTLS_E_NULL;
    }
    if ep_size != NANODTLS_ENDPOINT_SIZE || peer_size != NANODTLS_PEER_SIZE {
        return NANODTLS_E_CTX_SIZE;
    }
    if n_peers == 0 || n_peers > usize::from(u16::MAX) {
        return NANODTLS_E_INVALID_ARG;
    }
    if (peers as usize) % core::mem::align_of::<nanodtls_peer>() != 0 {
        return NANODTLS_E_INVALID_ARG;
    }
    // SAFETY: non-NULL pointers to initialised structs (caller contract).
    let (cfg, plat) = unsafe { (cfg.read(), platform.read()) };
    let cfg = match config_from_c(&cfg) {
        Ok(c) if c.role == crate::Role::Server => c,
        Ok(_) => return NANODTLS_E_INVALID_ARG,
        Err(e) => return e.code(),
    };
    let cb = match Callbacks::from_platform(&plat) {
        Ok(cb) => cb,
        Err(e) => return e.code(),
    };
    // The same object re-initialised from inside its own callback would
    // have its slots wiped under the running call: refuse before touching them.
    // SAFETY: ep is non-NULL and aligned per the header; reading the guard
    // header of an arbitrary (possibly uninitialised) object is how the
    // guard works (see guard::enter).
    if unsafe { super::guard::is_busy(ep.cast::<EpInner>(), EP_MAGIC) } {
        return NANODTLS_E_REENTRANT;
    }
    let slots = peers.cast::<PeerSlot>();
    // SAFETY: peers points to n_peers * NANODTLS_PEER_SIZE writable bytes
    // (caller contract; size checked above). Zeroed memory is a valid
    // PeerSlot (FromZeros). ep is a nanodtls_endpoint of the right size.
    unsafe {
        for i in 0..n_peers {
            core::ptr::write_bytes(peers.add(i).cast::<u8>(), 0, NANODTLS_PEER_SIZE);
        }
        initialise(ep.cast::<EpInner>(), NANODTLS_ENDPOINT_SIZE, EP_MAGIC, |b| {
            b.cb = cb;
            b.peers = slots;
            b.n_peers = n_peers;
            #[cfg(feature = "log")]
            b.ep.set_log_sink(super::LOG_SINK);
            #[cfg(feature = "aes-hook")]
            b.ep.set_aes_hook(Some(&super::AES_ENGINE));
            status(b.ep.init(&cfg, NANODTLS_DEFAULT_IDLE_MS, NANODTLS_DEFAULT_HALF_OPEN_MS))
        })
    }
}

/// Wipe the endpoint and every peer slot (keys, secrets, buffers) and make
/// the endpoint uninitialised.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_deinit(ep: *mut nanodtls_endpoint) -> nanodtls_status {
    // SAFETY: see with_ep; destroy validates ep first.
    unsafe {
        destroy(ep.cast::<EpInner>(), NANODTLS_ENDPOINT_SIZE, EP_MAGIC, |b| {
            let slots = core::slice::from_raw_parts_mut(b.peers, b.n_peers);
            for s in slots.iter_mut() {
                s.wipe();
            }
            // Then every byte of every slot, as C declares it.
            let raw = b.peers.cast::<u64>();
            for i in 0..b.n_peers.saturating_mul(NANODTLS_PEER_WORDS) {
                raw.add(i).write_volatile(0);
            }
            b.ep.wipe();
            if let Some(cache) = b.cb.session_cache() {
                crate::session::cache_clear(cache);
            }
            #[cfg(feature = "tickets")]
            if let Some(keys) = b.cb.ticket_keys() {
                keys.wipe();
            }
        })
    }
}

/// Slot reclamation (see nanodtls_endpoint_init): a connected peer silent
/// for `idle_timeout_ms` (default NANODTLS_DEFAULT_IDLE_MS; 0 = never) and
/// a handshake silent for `half_open_timeout_ms` (default
/// NANODTLS_DEFAULT_HALF_OPEN_MS; must be > 0) may lose their slot to a new
/// peer when all are taken.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_timeouts(
    ep: *mut nanodtls_endpoint,
    idle_timeout_ms: u32,
    half_open_timeout_ms: u32,
) -> nanodtls_status {
    if half_open_timeout_ms == 0 {
        return NANODTLS_E_INVALID_ARG;
    }
    // SAFETY: see with_ep.
    unsafe {
        with_ep(ep, |e, _, _| {
            e.set_timeouts(idle_timeout_ms, half_open_timeout_ms);
            NANODTLS_OK
        })
    }
}

/// Feed a datagram received from the peer address `addr` (1 to
/// NANODTLS_MAX_PEER_ADDR opaque bytes, e.g. a struct sockaddr; compared
/// as bytes, so the same peer must always give the same bytes). The
/// datagram is decrypted in place and reported through `*input` exactly as
/// by nanodtls_feed (NANODTLS_OK, or NANODTLS_MORE: feed the rest again);
/// application data comes from the peer at `addr`. Unknown addresses
/// only get a slot after a valid cookie exchange. Errors of one peer's
/// connection are returned (and reported as an event); other peers are
/// unaffected.
///
/// Poll after each feed: call nanodtls_endpoint_poll_datagram until
/// NANODTLS_DONE before feeding the next datagram. Replies are queued, not
/// sent: a peer's flight waits in its slot, and HelloVerifyRequests (and
/// the refusals below) wait in one queue of NANODTLS_ENDPOINT_REPLY_QUEUE
/// entries shared by all new peers. While it is full, ClientHellos from
/// new peers are dropped (counted in dropped_hvr_busy) and those clients
/// wait for their retransmission timer (1 s, 2 s, 4 s ...): a burst of
/// datagrams fed without polling in between loses all but the first few
/// cookie replies.
///
/// Addresses are compared as bytes: the same peer must always come with
/// the same bytes, or it is another peer to the endpoint (e.g. zero
/// sin_zero of a struct sockaddr_in and sin6_flowinfo of a sockaddr_in6,
/// and pass the same length every time; see nd_normalize_addr in
/// c-examples/posix).
///
/// NANODTLS_E_RNG: the RNG callback failed while the endpoint refreshed
/// its cookie secret; the datagram was dropped, nothing else changed
/// (counted in rng_failures; the client retransmits).
///
/// A new peer's ClientHello must come unfragmented (a fragmented one is
/// dropped, dropped_unknown_peer). One longer than
/// NANODTLS_MAX_HANDSHAKE_MSG never takes a slot: with a valid cookie it
/// is answered with a fatal internal_error alert at once (refused_too_large).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_feed(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    datagram: *mut u8,
    len: usize,
    input: *mut nanodtls_input,
) -> nanodtls_status {
    if input.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/length pairs from the caller (the datagram writable
    // and apart from the address).
    let (a, d) = match unsafe { in_out_slices(addr, addr_len, datagram, len) } {
        Ok(p) => p,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ep; input non-NULL and writable.
    unsafe {
        with_ep(ep, |e, slots, cb| {
            let now = cb.now();
            let r = e.feed(slots, cb, now, a, d);
            report_fed(r, d, input)
        })
    }
}

/// Take the next datagram to send and its destination address.
/// NANODTLS_OK: `out[0..*out_len]` goes to `addr_out[0..*addr_len]`.
/// NANODTLS_DONE: nothing to send. Call it until DONE after every other
/// endpoint call (feed, close_peer, heartbeat, handle_timeout): each may
/// queue datagrams (nanodtls_endpoint_write queues nothing: it seals its
/// record into the caller's buffer). NANODTLS_E_BUFFER_TOO_SMALL (nothing taken):
/// `out_cap` or `addr_cap` cannot hold the next datagram or its address,
/// or `out_cap` is below NANODTLS_MIN_MTU while a datagram waits; use a
/// buffer of at least the MTU.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_poll_datagram(
    ep: *mut nanodtls_endpoint,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
    addr_out: *mut u8,
    addr_cap: usize,
    addr_len: *mut usize,
) -> nanodtls_status {
    if out_len.is_null() || addr_len.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/capacity pairs from the caller (distinct buffers).
    let (o, ao) = match unsafe { (out_slice(out, out_cap), out_slice(addr_out, addr_cap)) } {
        (Ok(o), Ok(a)) => (o, a),
        (Err(e), _) | (_, Err(e)) => return e.code(),
    };
    // SAFETY: see with_ep; out_len/addr_len non-NULL and writable.
    unsafe {
        with_ep(ep, |e, slots, cb| {
            let now = cb.now();
            match e.poll_datagram(slots, &*cb, now, o, ao) {
                Ok(Some((n, a))) => {
                    out_len.write(n);
                    addr_len.write(a);
                    NANODTLS_OK
                }
                Ok(None) => NANODTLS_DONE,
                Err(err) => err.code(),
            }
        })
    }
}

/// Seal application data for the connected peer at `addr` as one record
/// straight into `out`, as nanodtls_write does: on NANODTLS_OK
/// `out[0..*out_len]` is the datagram to send to `addr`.
/// NANODTLS_E_UNKNOWN_PEER if there is no such peer. `data` and `out`
/// must not overlap.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_write(
    ep: *mut nanodtls_endpoint,
    addr: *const u8,
    addr_len: usize,
    data: *const u8,
    len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> nanodtls_status {
    if out_len.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/length pairs from the caller; data and out checked
    // not to overlap (the address is only read).
    let (a, (d, o)) = match unsafe { (in_slice(addr, addr_len), in_out_slices(data, len, out, out_cap)) } {
        (Ok(a), Ok(p)) => (a, p),
        (Err(e), _) | (_, Err(e)) => return e.code(),
    };
    // SAFETY: see with_ep; out_len non-NULL and writable.
    unsafe {
        with_ep(ep, |e, slots, cb| {
            let now = cb.now();
            match e.write(slots, now, a, d, o) {
                Ok(n) => {
                    out_len.write(n);
                    NANODTLS_OK
                }
                Err(err) => err.code(),
            }
        })
    }
}

/// Close the connection to `addr` with close_notify (poll to send it).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_close_peer(
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
    unsafe { with_ep(ep, |e, slots, _| status(e.close_peer(slots, a))) }
}

/// Milliseconds until nanodtls_endpoint_handle_timeout is due (NANODTLS_OK,
/// `*ms` set) or NANODTLS_DONE if no timer runs.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_timeout_ms(ep: *mut nanodtls_endpoint, ms: *mut u32) -> nanodtls_status {
    if ms.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: see with_ep; ms non-NULL and writable.
    unsafe {
        with_ep(ep, |e, slots, cb| {
            let now = cb.now();
            match e.timeout_ms(slots, now) {
                Some(t) => {
                    ms.write(u32::try_from(t).unwrap_or(u32::MAX));
                    NANODTLS_OK
                }
                None => NANODTLS_DONE,
            }
        })
    }
}

/// Run every peer's timers (retransmissions, handshake deadlines).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_handle_timeout(ep: *mut nanodtls_endpoint) -> nanodtls_status {
    // SAFETY: see with_ep.
    unsafe {
        with_ep(ep, |e, slots, cb| {
            let now = cb.now();
            e.handle_timeout(slots, now);
            NANODTLS_OK
        })
    }
}

/// Take the next event (a peer connected, closed or failed, or a peer with
/// a user pointer was released) and the peer's address. NANODTLS_DONE
/// when there is none.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_poll_event(
    ep: *mut nanodtls_endpoint,
    event: *mut nanodtls_event,
    addr_out: *mut u8,
    addr_cap: usize,
    addr_len: *mut usize,
) -> nanodtls_status {
    if event.is_null() || addr_len.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/capacity pair from the caller.
    let ao = match unsafe { out_slice(addr_out, addr_cap) } {
        Ok(a) => a,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ep; event/addr_len non-NULL and writable.
    unsafe {
        with_ep(ep, |e, slots, _| match e.poll_event_with_user(slots, ao) {
            Ok(Some((ev, a, user))) => {
                // A released peer's slot belongs to someone else now.
                let peer = if ev == Event::Released { None } else { ao.get(..a).and_then(|addr| e.peer(slots, addr)) };
                let (alert, suite, st) = match peer {
                    Some(c) => {
                        let al = c.last_alert();
                        (
                            nanodtls_alert { level: al.level, description: al.description, sent: u8::from(al.sent) },
                            c.suite(),
                            c.failure().map_or(NANODTLS_OK, |x| x.code()),
                        )
                    }
                    None => (nanodtls_alert::default(), 0, NANODTLS_OK),
                };
                let kind = match ev {
                    Event::Connected => NANODTLS_EVENT_CONNECTED,
                    Event::Closed => NANODTLS_EVENT_CLOSED,
                    Event::Failed => NANODTLS_EVENT_FAILED,
                    Event::Released => NANODTLS_EVENT_RELEASED,
                    Event::AddressChanged => NANODTLS_EVENT_ADDRESS_CHANGED,
                };
                let user = core::ptr::with_exposed_provenance_mut::<c_void>(user);
                event.write(nanodtls_event { kind, alert, suite, status: st, user });
                addr_len.write(a);
                NANODTLS_OK
            }
            Ok(None) => NANODTLS_DONE,
            Err(err) => err.code(),
        })
    }
}

/// Endpoint counters (cookies, slot allocation and reclamation, drops)
/// and the slots in use now, by state.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_get_stats(
    ep: *mut nanodtls_endpoint,
    stats: *mut nanodtls_endpoint_stats,
) -> nanodtls_status {
    if stats.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: see with_ep; stats non-NULL and writable.
    unsafe {
        with_ep(ep, |e, slots, _| {
            let s = e.stats();
            let n = e.peer_counts(slots);
            stats.write(nanodtls_endpoint_stats {
                hello_verify_requests: s.hello_verify_requests,
                slots_allocated: s.slots_allocated,
                slots_reclaimed: s.slots_reclaimed,
                dropped_no_slot: s.dropped_no_slot,
                dropped_unknown_peer: s.dropped_unknown_peer,
                dropped_hvr_busy: s.dropped_hvr_busy,
                refused_too_large: s.refused_too_large,
                rng_failures: s.rng_failures,
                peers_in_use: e.peers_in_use(slots) as u32,
                peers_handshaking: n.handshaking as u32,
                peers_connected: n.connected as u32,
                peers_ended: n.ended as u32,
            });
            NANODTLS_OK
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runtime (not const) on purpose: the bound holds for the host, and
    /// 32-bit targets legitimately have more slack.
    #[test]
    #[allow(clippy::assertions_on_constants)]
    fn endpoint_sizes_have_small_slack() {
        assert!(
            NANODTLS_ENDPOINT_SIZE - EP_INNER_SIZE < 256,
            "endpoint slack {}",
            NANODTLS_ENDPOINT_SIZE - EP_INNER_SIZE
        );
        assert!(NANODTLS_PEER_SIZE - PEER_SLOT_SIZE < 128, "peer slack {}", NANODTLS_PEER_SIZE - PEER_SLOT_SIZE);
    }
}
