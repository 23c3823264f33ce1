//! The C ABI. This module (and its children) is the only place with
//! `unsafe` code; every block states why it is sound.
//!
//! This file holds what every C object shares: the status codes, the
//! platform, configuration and stats structs and their conversions, the
//! buffer helpers. It is ~800 lines because each constant and field
//! carries its C documentation (a quarter of the file is doc comments) and
//! ~50 lines are unit tests; the objects themselves are in the child files.
//!
//! Conventions (see include/nanodtls.h):
//! - Every function returns a status (`NANODTLS_OK` = 0, `NANODTLS_DONE` = 1
//!   for "nothing more", negative for errors) unless documented otherwise.
//! - Object first, then inputs, then outputs; a length follows each buffer;
//!   `(NULL, 0)` is an empty input. Outputs are written only on success.
//! - Misuse (NULL, bad length, wrong state, uninitialised context, wrong
//!   context size, re-entrant call from a callback) returns an error and
//!   changes nothing.
//! - A context is not thread-safe: use it from one thread (or task) at a time.

#![allow(unsafe_code)]
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

mod aes_hook;
mod cached_info;
mod cert_url;
mod cid;
mod ctx;
mod ctx_credentials;
mod ctx_extensions;
mod endpoint;
mod endpoint_credentials;
mod endpoint_peers;
mod guard;
#[cfg(any(feature = "log", feature = "keylog"))]
mod hook_slot;
mod keylog;
mod log;
mod panic;
mod tickets;
mod ttp;
mod ttp_device;
mod x509;

#[cfg(feature = "aes-hook")]
pub(crate) use aes_hook::ENGINE as AES_ENGINE;
pub use aes_hook::{nanodtls_aes_hook, nanodtls_set_aes_hook, NANODTLS_AES_HOOK_AUTH_FAILED};
pub use cached_info::*;
pub use cert_url::*;
pub use cid::*;
pub use ctx::*;
pub use ctx_credentials::*;
pub use ctx_extensions::*;
pub use endpoint::*;
pub use endpoint_credentials::*;
pub use endpoint_peers::*;
#[cfg(feature = "keylog")]
pub(crate) use keylog::SINK as KEYLOG_SINK;
pub use keylog::{nanodtls_keylog_fn, nanodtls_set_keylog_hook, NANODTLS_KEYLOG_LINE_LEN};
#[cfg(all(feature = "std", feature = "log"))]
#[doc(hidden)]
pub use log::test_capture;
#[cfg(feature = "log")]
pub(crate) use log::SINK as LOG_SINK;
pub use log::{
    nanodtls_log_fn, nanodtls_set_log_hook, NANODTLS_LOG_DEBUG, NANODTLS_LOG_ERROR, NANODTLS_LOG_INFO,
    NANODTLS_LOG_WARN,
};
pub use panic::*;
pub use tickets::*;
pub use ttp::*;
pub use ttp_device::*;
pub use x509::*;

use core::ffi::{c_char, c_int, c_void, CStr};

use crate::error::Error;

/// Status code returned by (almost) every function: 0 OK, 1 DONE,
/// negative = error (see the NANODTLS_E_* values).
pub type nanodtls_status = i32;

/// Success.
pub const NANODTLS_OK: nanodtls_status = 0;
/// Nothing (more) to do: no datagram to send, no event, no timer.
pub const NANODTLS_DONE: nanodtls_status = 1;
/// nanodtls_feed / nanodtls_endpoint_feed stopped after an
/// application-data record and the datagram holds more records: handle
/// the data, then feed the rest (from `consumed` on) again.
pub const NANODTLS_MORE: nanodtls_status = 2;
/// A required pointer was NULL.
pub const NANODTLS_E_NULL: nanodtls_status = -1;
/// An argument is out of range (length, enum value, configuration field).
pub const NANODTLS_E_INVALID_ARG: nanodtls_status = -2;
/// The output buffer is too small; nothing was written or consumed.
pub const NANODTLS_E_BUFFER_TOO_SMALL: nanodtls_status = -3;
/// The call is not allowed in the current state.
pub const NANODTLS_E_STATE: nanodtls_status = -4;
/// The context was never initialised or was deinitialised.
pub const NANODTLS_E_NOT_INITIALIZED: nanodtls_status = -5;
/// The size passed to init does not match NANODTLS_CTX_SIZE of this library.
pub const NANODTLS_E_CTX_SIZE: nanodtls_status = -6;
/// Called from inside one of this context's callbacks.
pub const NANODTLS_E_REENTRANT: nanodtls_status = -7;
/// The transmit buffer is full: poll datagrams, then write again.
pub const NANODTLS_E_WOULD_BLOCK: nanodtls_status = -9;
/// The RNG callback failed; the handshake was abandoned.
pub const NANODTLS_E_RNG: nanodtls_status = -10;
/// The handshake deadline passed.
pub const NANODTLS_E_TIMEOUT: nanodtls_status = -11;
/// The peer sent a fatal alert (nanodtls_last_alert tells which).
pub const NANODTLS_E_ALERT_RECEIVED: nanodtls_status = -12;
/// We ended the connection with a fatal alert (nanodtls_last_alert tells which).
pub const NANODTLS_E_ALERT_SENT: nanodtls_status = -13;
/// The connection is closed (close_notify sent or received).
pub const NANODTLS_E_CLOSED: nanodtls_status = -14;
/// No credentials for any configured cipher suite.
pub const NANODTLS_E_NO_CREDENTIALS: nanodtls_status = -15;
/// The data does not fit in one record.
pub const NANODTLS_E_TOO_LARGE: nanodtls_status = -16;
/// Malformed input.
pub const NANODTLS_E_DECODE: nanodtls_status = -17;
/// Internal error (a bug: please report it).
pub const NANODTLS_E_INTERNAL: nanodtls_status = -18;
/// Not supported by this build (feature compiled out).
pub const NANODTLS_E_UNSUPPORTED: nanodtls_status = -19;
/// The endpoint has no free peer slot.
pub const NANODTLS_E_NO_SLOT: nanodtls_status = -20;
/// No peer with that address.
pub const NANODTLS_E_UNKNOWN_PEER: nanodtls_status = -21;
/// The AES/CCM hook (nanodtls_set_aes_hook) reported a failure: the
/// connection failed closed (fatal internal_error alert where one could still
/// be sealed; no fallback to the built-in AES).
pub const NANODTLS_E_CRYPTO: nanodtls_status = -22;
/// The signing callback failed: the signer registered with
/// nanodtls_set_own_key_signer returned non-zero, a length out of range or
/// a malformed signature. The handshake ended with internal_error.
pub const NANODTLS_E_SIGNER: nanodtls_status = -23;

/// Smallest nanodtls_config.mtu accepted.
pub const NANODTLS_MIN_MTU: u16 = 128;
/// Largest nanodtls_config.mtu accepted. Peers with smaller receive
/// buffers drop larger datagrams: negotiate max_fragment_length or keep
/// the MTU within the peer's buffer.
pub const NANODTLS_MAX_MTU: u16 = 16384;

/// Role value for nanodtls_config.role: client.
pub const NANODTLS_ROLE_CLIENT: u8 = 0;
/// Role value for nanodtls_config.role: server.
pub const NANODTLS_ROLE_SERVER: u8 = 1;

/// nanodtls_state(): initialised, handshake not started (client).
pub const NANODTLS_STATE_IDLE: i32 = 0;
/// nanodtls_state(): handshake in progress (a server waiting for a ClientHello counts).
pub const NANODTLS_STATE_HANDSHAKING: i32 = 1;
/// nanodtls_state(): handshake complete, application data can flow.
pub const NANODTLS_STATE_CONNECTED: i32 = 2;
/// nanodtls_state(): closed with close_notify.
pub const NANODTLS_STATE_CLOSED: i32 = 3;
/// nanodtls_state(): failed (see nanodtls_error and nanodtls_last_alert).
pub const NANODTLS_STATE_FAILED: i32 = 4;

/// TLS_PSK_WITH_AES_128_CCM_8.
pub const NANODTLS_SUITE_PSK_AES_128_CCM_8: u16 = 0xC0A8;
/// TLS_PSK_WITH_AES_128_CCM.
pub const NANODTLS_SUITE_PSK_AES_128_CCM: u16 = 0xC0A4;
/// TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8.
pub const NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8: u16 = 0xC0AE;
/// TLS_ECDHE_ECDSA_WITH_AES_128_CCM.
pub const NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM: u16 = 0xC0AC;
/// TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256 (RFC 8442; cargo feature
/// ecdhe-psk, in the default build): PSK with forward secrecy. Not in
/// the default suite list: put it into nanodtls_config.suites. An
/// unsupported suite makes nanodtls_init return NANODTLS_E_INVALID_ARG.
pub const NANODTLS_SUITE_ECDHE_PSK_AES_128_CCM_8: u16 = 0xD003;
/// TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256 (RFC 8442; as above).
pub const NANODTLS_SUITE_ECDHE_PSK_AES_128_CCM: u16 = 0xD005;
/// Length of a P-256 SubjectPublicKeyInfo (nanodtls_get_own_spki).
pub const NANODTLS_SPKI_LEN: usize = 91;

/// nanodtls_heartbeat_status: no request sent yet.
pub const NANODTLS_HEARTBEAT_IDLE: u8 = 0;
/// nanodtls_heartbeat_status: a request waits for its response.
pub const NANODTLS_HEARTBEAT_PENDING: u8 = 1;
/// nanodtls_heartbeat_status: the response arrived.
pub const NANODTLS_HEARTBEAT_OK: u8 = 2;
/// nanodtls_heartbeat_status: no response after the retransmissions.
pub const NANODTLS_HEARTBEAT_FAILED: u8 = 3;

/// RNG callback: fill `buf` with `len` cryptographically secure random
/// bytes; return 0 on success, anything else on failure.
pub type nanodtls_rng_fn = Option<unsafe extern "C" fn(user: *mut c_void, buf: *mut u8, len: usize) -> c_int>;
/// Clock callback: a monotonic millisecond counter, 64 bits wide (e.g.
/// milliseconds since boot). Widen a 32-bit tick counter as
/// c-examples/freertos/dtls_task.c does (now_ms: count its wrap-arounds
/// into the high 32 bits), so it never wraps. Should the value still go
/// back (a clock that restarts at 0, a corrected wall clock), the library
/// takes the step as no time elapsed and its own time goes on from where
/// it was, so retransmissions and deadlines keep their schedule; a clock
/// that stands still stops every timer. Not a wall clock: nothing is
/// compared with dates.
pub type nanodtls_now_fn = Option<unsafe extern "C" fn(user: *mut c_void) -> u64>;
/// Server PSK lookup: write the key for `identity` into `key` (capacity
/// `key_cap`), set `*key_len`, return 0; return non-zero if the identity
/// is unknown. Called during the handshake, from inside nanodtls_feed.
pub type nanodtls_psk_lookup_fn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        identity: *const u8,
        identity_len: usize,
        key: *mut u8,
        key_cap: usize,
        key_len: *mut usize,
    ) -> c_int,
>;

/// ECDSA signer for our key when it is kept outside the library (a secure
/// element, a PSA opaque key, an HSM): sign the 32-byte SHA-256 `hash`
/// with our P-256 private key (ECDSA over the hash as given: do not hash
/// it again) and write the signature to `sig` (at most `sig_cap` = 72
/// bytes), its length to `*sig_len`; return 0. The format is the one given
/// to nanodtls_set_own_key_signer: NANODTLS_SIG_DER (an ASN.1
/// Ecdsa-Sig-Value, as OpenSSL's EVP_PKEY_sign and most secure elements'
/// DER output) or NANODTLS_SIG_RAW (r || s, 32 bytes each, big-endian, as
/// PSA psa_sign_hash and the ATECC608 give it). `user` is the pointer
/// given at registration; `hash` and `sig` are valid only during the call.
/// Called from inside nanodtls_feed (or nanodtls_endpoint_feed) once per
/// handshake that needs our signature. It may block for as long as the
/// hardware takes (the call that runs it waits); it must not call back
/// into the library for the same context (NANODTLS_E_REENTRANT).
/// Non-zero, a length of 0 or above `sig_cap`, or a signature that is not
/// well formed fails the handshake closed: internal_error is sent and the
/// status is NANODTLS_E_SIGNER; nothing falls back to another key.
pub type nanodtls_sign_fn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        hash: *const u8,
        sig: *mut u8,
        sig_cap: usize,
        sig_len: *mut usize,
    ) -> c_int,
>;

/// nanodtls_sign_fn output format: a DER Ecdsa-Sig-Value (SEQUENCE of two INTEGERs).
pub const NANODTLS_SIG_DER: u8 = 0;
/// nanodtls_sign_fn output format: raw r || s, 64 bytes.
pub const NANODTLS_SIG_RAW: u8 = 1;

/// Raw public key verifier: return 0 to accept the peer's key (DER
/// SubjectPublicKeyInfo, `spki_len` bytes), non-zero to reject it. Called
/// from inside nanodtls_feed for keys not in the trusted-key list.
pub type nanodtls_verify_key_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, spki: *const u8, spki_len: usize) -> c_int>;

/// Server name (SNI) callback: return 0 to accept the name the client
/// asked for (`len` bytes, not NUL-terminated), non-zero to refuse it
/// (unrecognized_name). Called before credentials are chosen.
pub type nanodtls_sni_fn = Option<unsafe extern "C" fn(user: *mut c_void, name: *const u8, len: usize) -> c_int>;

/// Platform services: RNG and clock callbacks with a user pointer passed
/// back to both. Both callbacks are required.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct nanodtls_platform {
    /// Random bytes (required).
    pub rng: nanodtls_rng_fn,
    /// Monotonic milliseconds (required; see nanodtls_now_fn).
    pub now_ms: nanodtls_now_fn,
    /// Passed to the callbacks.
    pub user: *mut c_void,
}

/// Connection configuration. Fill with nanodtls_config_default(), then
/// change fields.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct nanodtls_config {
    /// NANODTLS_ROLE_CLIENT or NANODTLS_ROLE_SERVER.
    pub role: u8,
    /// Server: 1 = send a HelloVerifyRequest cookie before keeping any state (default 1).
    pub require_cookie: u8,
    /// 1 = fail the handshake if the peer lacks extended master secret (default 0).
    pub require_ems: u8,
    /// Server, ECDHE_ECDSA: 1 = request and require the client's raw public key (default 0).
    pub client_auth: u8,
    /// Largest datagram sent; flights are fragmented to fit (default 1280, minimum 128).
    pub mtu: u16,
    /// Client: max_fragment_length to request (RFC 6066): 0 = none (default), 512, 1024, 2048, 4096.
    pub max_fragment_length: u16,
    /// Cipher suites in preference order, 0-terminated (default: PSK CCM-8,
    /// ECDHE_ECDSA CCM-8, PSK CCM, ECDHE_ECDSA CCM; a client offers only
    /// those it has credentials for).
    pub suites: [u16; 4],
    /// Initial retransmission timeout in ms, doubled on every
    /// retransmission up to retransmit_max_ms (default 1000: RFC 6347
    /// 4.2.4.1's value, right for round trips well below a second). RFC
    /// 7925 section 11 recommends 9000 on constrained links (6LoWPAN,
    /// NB-IoT), where 1 s causes spurious retransmissions; raise
    /// handshake_timeout_ms with it.
    pub retransmit_initial_ms: u32,
    /// Cap of the doubling retransmission timeout in ms (default 60000).
    pub retransmit_max_ms: u32,
    /// Handshake deadline in ms (default 120000). A peer that silently
    /// drops our Finished (a wrong PSK, against OpenSSL or GnuTLS) shows up
    /// only here, as NANODTLS_E_TIMEOUT; the debug log warns early.
    pub handshake_timeout_ms: u32,
    /// Server: cookie secret lifetime in ms (default 300000). A
    /// HelloVerifyRequest cookie is accepted for at least this long after it
    /// was issued and never once its secret is twice this old, also when no
    /// ClientHello came in between (secrets rotate every lifetime).
    pub cookie_lifetime_ms: u32,
    /// 1 = negotiate heartbeat (RFC 6520): answer requests, allow nanodtls_heartbeat (default 0).
    pub heartbeat: u8,
    /// record_size_limit (RFC 8449): the largest record plaintext we accept,
    /// 64..16384, or 0 (default). Client: offered when non-zero; a server
    /// that knows it prefers it to max_fragment_length. Server: a client's
    /// offer is always answered, with this value or (0) mtu - 37, the
    /// largest plaintext whose record fits our MTU, but at least 512
    /// (GnuTLS clients refuse a smaller answer; RFC 8449 allows 64). Our records keep
    /// within the peer's value. Other values: NANODTLS_E_INVALID_ARG.
    pub record_size_limit: u16,
    /// 1 = negotiate a connection ID (RFC 9146; default 0): the association
    /// survives the peer's address change (NAT rebinding). A library built
    /// without the `cid` feature refuses 1 with NANODTLS_E_UNSUPPORTED.
    pub connection_id: u8,
    /// With connection_id: length of the CID we ask the peer to send us,
    /// 0..NANODTLS_MAX_CID (default 0: we send the peer's CID but want none).
    pub cid_len: u8,
}

/// The last alert sent or received.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct nanodtls_alert {
    /// 0 none, 1 warning, 2 fatal.
    pub level: u8,
    /// Alert description (RFC 5246 7.2, e.g. 51 decrypt_error).
    pub description: u8,
    /// 1 if we sent it, 0 if we received it.
    pub sent: u8,
}

/// Connection statistics. Every dropped record is counted in exactly one dropped_* field.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct nanodtls_stats {
    /// Datagrams fed in.
    pub rx_datagrams: u32,
    /// Bytes fed in.
    pub rx_bytes: u32,
    /// Records parsed.
    pub rx_records: u32,
    /// Datagrams produced by poll.
    pub tx_datagrams: u32,
    /// Bytes produced by poll.
    pub tx_bytes: u32,
    /// Records produced.
    pub tx_records: u32,
    /// Application records received.
    pub app_records_rx: u32,
    /// Application records written.
    pub app_records_tx: u32,
    /// Malformed or truncated input dropped.
    pub dropped_malformed: u32,
    /// Records failing authentication dropped.
    pub dropped_auth: u32,
    /// Replayed or duplicated records dropped.
    pub dropped_replay: u32,
    /// Records of an unreadable epoch dropped.
    pub dropped_epoch: u32,
    /// Records or messages not allowed in the current state dropped.
    pub dropped_unexpected: u32,
    /// Records too large for the receive buffer dropped.
    pub dropped_oversize: u32,
    /// Fragments of future handshake messages dropped.
    pub dropped_future: u32,
    /// Epoch-0 handshake messages refused and discarded (unauthenticated:
    /// never fatal before the deadline, which then reports the reason).
    pub dropped_rejected: u32,
    /// Flights retransmitted.
    pub retransmits: u32,
    /// Peer flight retransmissions detected.
    pub peer_retransmits: u32,
    /// HelloVerifyRequests sent (server) or received (client).
    pub hello_verify_requests: u32,
    /// Abbreviated (resumed) handshakes accepted (server).
    pub resumptions: u32,
    /// Records whose connection ID does not fit the association (RFC
    /// 9146): a protected record without CID where the peer must send
    /// ours, a tls12_cid record with another CID or where no CID was
    /// negotiated.
    pub dropped_cid: u32,
}

impl From<&crate::Stats> for nanodtls_stats {
    fn from(s: &crate::Stats) -> Self {
        nanodtls_stats {
            rx_datagrams: s.rx_datagrams,
            rx_bytes: s.rx_bytes,
            rx_records: s.rx_records,
            tx_datagrams: s.tx_datagrams,
            tx_bytes: s.tx_bytes,
            tx_records: s.tx_records,
            app_records_rx: s.app_records_rx,
            app_records_tx: s.app_records_tx,
            dropped_malformed: s.dropped_malformed,
            dropped_auth: s.dropped_auth,
            dropped_replay: s.dropped_replay,
            dropped_epoch: s.dropped_epoch,
            dropped_unexpected: s.dropped_unexpected,
            dropped_oversize: s.dropped_oversize,
            dropped_future: s.dropped_future,
            dropped_rejected: s.dropped_rejected,
            retransmits: s.retransmits,
            peer_retransmits: s.peer_retransmits,
            hello_verify_requests: s.hello_verify_requests,
            resumptions: s.resumptions,
            dropped_cid: s.dropped_cid,
        }
    }
}

pub(crate) fn status(r: Result<(), Error>) -> nanodtls_status {
    match r {
        Ok(()) => NANODTLS_OK,
        Err(e) => e.code(),
    }
}

/// What one nanodtls_feed (or nanodtls_endpoint_feed) call did with the
/// datagram: how much of it was processed and where its application data
/// is. The data is decrypted in place: `app_data` points into the
/// caller's datagram buffer (valid until that buffer is reused).
#[repr(C)]
pub struct nanodtls_input {
    /// Bytes of the datagram processed by this call (all of it unless the
    /// call returned NANODTLS_MORE).
    pub consumed: usize,
    /// The plaintext of the application-data record the call stopped
    /// after, inside the datagram buffer; NULL when there is none.
    pub app_data: *const u8,
    /// Length of that plaintext (0 when there is none; a record may also
    /// carry 0 bytes).
    pub app_len: usize,
}

/// Report a feed's outcome through `input`: NANODTLS_OK when the whole
/// datagram was processed, NANODTLS_MORE when records are left.
///
/// # Safety
/// `input` non-NULL and writable; `datagram` the buffer `fed` refers to.
pub(crate) unsafe fn report_fed(
    r: Result<crate::Fed, Error>,
    datagram: &[u8],
    input: *mut nanodtls_input,
) -> nanodtls_status {
    let fed = match r {
        Ok(f) => f,
        Err(e) => return e.code(),
    };
    let app = fed.app.and_then(|r| datagram.get(r));
    let v = nanodtls_input {
        consumed: fed.consumed,
        app_data: app.map_or(core::ptr::null(), |a| a.as_ptr()),
        app_len: app.map_or(0, |a| a.len()),
    };
    // SAFETY: caller contract.
    unsafe { input.write(v) };
    if fed.consumed < datagram.len() {
        NANODTLS_MORE
    } else {
        NANODTLS_OK
    }
}

pub(crate) fn state_code(s: crate::State) -> i32 {
    use crate::State;
    match s {
        State::Idle => NANODTLS_STATE_IDLE,
        State::Connected => NANODTLS_STATE_CONNECTED,
        State::Closed => NANODTLS_STATE_CLOSED,
        State::Failed => NANODTLS_STATE_FAILED,
        _ => NANODTLS_STATE_HANDSHAKING,
    }
}

// Every C constant that mirrors a Rust one, checked at compile time.
const _: () = assert!(NANODTLS_MIN_MTU == crate::config::MIN_MTU && NANODTLS_MAX_MTU == crate::config::MAX_MTU);
const _: () = {
    use crate::Error as E;
    let pairs = [
        (NANODTLS_E_NULL, E::Null),
        (NANODTLS_E_INVALID_ARG, E::InvalidArgument),
        (NANODTLS_E_BUFFER_TOO_SMALL, E::BufferTooSmall),
        (NANODTLS_E_STATE, E::WrongState),
        (NANODTLS_E_NOT_INITIALIZED, E::NotInitialized),
        (NANODTLS_E_CTX_SIZE, E::ContextSize),
        (NANODTLS_E_REENTRANT, E::Reentrant),
        (NANODTLS_E_WOULD_BLOCK, E::WouldBlock),
        (NANODTLS_E_RNG, E::Rng),
        (NANODTLS_E_TIMEOUT, E::Timeout),
        (NANODTLS_E_ALERT_RECEIVED, E::AlertReceived),
        (NANODTLS_E_ALERT_SENT, E::AlertSent),
        (NANODTLS_E_CLOSED, E::Closed),
        (NANODTLS_E_NO_CREDENTIALS, E::NoCredentials),
        (NANODTLS_E_TOO_LARGE, E::TooLarge),
        (NANODTLS_E_DECODE, E::Decode),
        (NANODTLS_E_INTERNAL, E::Internal),
        (NANODTLS_E_UNSUPPORTED, E::Unsupported),
        (NANODTLS_E_NO_SLOT, E::NoSlot),
        (NANODTLS_E_UNKNOWN_PEER, E::UnknownPeer),
        (NANODTLS_E_CRYPTO, E::Crypto),
        (NANODTLS_E_SIGNER, E::Signer),
    ];
    let mut rest: &[(nanodtls_status, E)] = &pairs;
    while let [(c, e), tail @ ..] = rest {
        assert!(*c == e.code());
        rest = tail;
    }
};
const _: () = assert!(
    NANODTLS_SUITE_PSK_AES_128_CCM_8 == crate::suite::PSK_AES_128_CCM_8
        && NANODTLS_SUITE_PSK_AES_128_CCM == crate::suite::PSK_AES_128_CCM
        && NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8 == crate::suite::ECDHE_ECDSA_AES_128_CCM_8
        && NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM == crate::suite::ECDHE_ECDSA_AES_128_CCM
        && NANODTLS_SUITE_ECDHE_PSK_AES_128_CCM_8 == crate::suite::ECDHE_PSK_AES_128_CCM_8
        && NANODTLS_SUITE_ECDHE_PSK_AES_128_CCM == crate::suite::ECDHE_PSK_AES_128_CCM
);
const _: () = {
    use crate::connection::HeartbeatStatus as H;
    assert!(NANODTLS_HEARTBEAT_IDLE == H::Idle as u8 && NANODTLS_HEARTBEAT_PENDING == H::Pending as u8);
    assert!(NANODTLS_HEARTBEAT_OK == H::Ok as u8 && NANODTLS_HEARTBEAT_FAILED == H::Failed as u8);
};
const _: () =
    assert!(NANODTLS_ROLE_CLIENT == crate::Role::Client as u8 && NANODTLS_ROLE_SERVER == crate::Role::Server as u8);
const _: () = assert!(
    NANODTLS_EVENT_CONNECTED == crate::Event::Connected as u8
        && NANODTLS_EVENT_CLOSED == crate::Event::Closed as u8
        && NANODTLS_EVENT_FAILED == crate::Event::Failed as u8
        && NANODTLS_EVENT_RELEASED == crate::Event::Released as u8
        && NANODTLS_EVENT_ADDRESS_CHANGED == crate::Event::AddressChanged as u8
);
#[cfg(feature = "log")]
const _: () = {
    use crate::log::LogLevel as L;
    assert!(NANODTLS_LOG_ERROR == L::Error as u8 && NANODTLS_LOG_WARN == L::Warn as u8);
    assert!(NANODTLS_LOG_INFO == L::Info as u8 && NANODTLS_LOG_DEBUG == L::Debug as u8);
};
#[cfg(feature = "ecc")]
const _: () = assert!(NANODTLS_SPKI_LEN == crate::crypto::ecc::SPKI_LEN);

pub(crate) fn config_from_c(c: &nanodtls_config) -> Result<crate::Config, Error> {
    let role = match c.role {
        NANODTLS_ROLE_CLIENT => crate::Role::Client,
        NANODTLS_ROLE_SERVER => crate::Role::Server,
        _ => return Err(Error::InvalidArgument),
    };
    // A single-role library (cargo feature `client` or `server` alone).
    if !crate::config::role_built(role) {
        return Err(Error::Unsupported);
    }
    if c.require_cookie > 1 || c.require_ems > 1 || c.client_auth > 1 || c.heartbeat > 1 || c.connection_id > 1 {
        return Err(Error::InvalidArgument);
    }
    let cfg = crate::Config {
        suites: c.suites,
        retransmit_initial_ms: c.retransmit_initial_ms,
        retransmit_max_ms: c.retransmit_max_ms,
        handshake_timeout_ms: c.handshake_timeout_ms,
        cookie_lifetime_ms: c.cookie_lifetime_ms,
        mtu: c.mtu,
        role,
        require_cookie: c.require_cookie == 1,
        require_ems: c.require_ems == 1,
        client_auth: c.client_auth == 1,
        max_fragment_length: c.max_fragment_length,
        record_size_limit: c.record_size_limit,
        reserved_rsl: 0,
        heartbeat: c.heartbeat == 1,
        connection_id: c.connection_id == 1,
        cid_len: c.cid_len,
        tickets: false,
    };
    cfg.validate()?;
    Ok(cfg)
}

pub(crate) fn config_to_c(c: &crate::Config) -> nanodtls_config {
    nanodtls_config {
        role: match c.role {
            crate::Role::Client => NANODTLS_ROLE_CLIENT,
            crate::Role::Server => NANODTLS_ROLE_SERVER,
        },
        require_cookie: u8::from(c.require_cookie),
        require_ems: u8::from(c.require_ems),
        client_auth: u8::from(c.client_auth),
        mtu: c.mtu,
        max_fragment_length: c.max_fragment_length,
        suites: c.suites,
        retransmit_initial_ms: c.retransmit_initial_ms,
        retransmit_max_ms: c.retransmit_max_ms,
        handshake_timeout_ms: c.handshake_timeout_ms,
        cookie_lifetime_ms: c.cookie_lifetime_ms,
        heartbeat: u8::from(c.heartbeat),
        record_size_limit: c.record_size_limit,
        connection_id: u8::from(c.connection_id),
        cid_len: c.cid_len,
    }
}

/// Build a byte slice from a C (pointer, length) pair; `(NULL, 0)` is empty.
///
/// # Safety
/// If `ptr` is non-NULL it must point to `len` readable bytes that stay
/// valid and unmodified for the lifetime `'a` chosen by the caller.
pub(crate) unsafe fn in_slice<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], Error> {
    if ptr.is_null() {
        return if len == 0 { Ok(&[]) } else { Err(Error::Null) };
    }
    if len > isize::MAX as usize {
        return Err(Error::InvalidArgument);
    }
    // SAFETY: non-NULL, the caller guarantees `len` readable bytes for 'a,
    // and len fits isize as slice::from_raw_parts requires.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// Build a mutable byte slice from a C (pointer, capacity) pair.
///
/// # Safety
/// `ptr` must be NULL or point to `cap` writable bytes, not aliased by any
/// other reference for `'a`.
pub(crate) unsafe fn out_slice<'a>(ptr: *mut u8, cap: usize) -> Result<&'a mut [u8], Error> {
    if ptr.is_null() {
        return if cap == 0 { Ok(&mut []) } else { Err(Error::Null) };
    }
    if cap > isize::MAX as usize {
        return Err(Error::InvalidArgument);
    }
    // SAFETY: non-NULL, the caller guarantees `cap` writable, unaliased bytes.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, cap) })
}

/// Build an input slice and an output slice from two C pairs that must not
/// overlap (`InvalidArgument` if they do).
///
/// # Safety
/// As [`in_slice`] for `data`/`len` and [`out_slice`] for `out`/`cap`
/// (apart from each other).
pub(crate) unsafe fn in_out_slices<'a>(
    data: *const u8,
    len: usize,
    out: *mut u8,
    cap: usize,
) -> Result<(&'a [u8], &'a mut [u8]), Error> {
    let (a, b) = (data as usize, out as usize);
    if len > 0 && cap > 0 && a < b.saturating_add(cap) && b < a.saturating_add(len) {
        return Err(Error::InvalidArgument);
    }
    // SAFETY: caller contract; the two ranges are disjoint (checked).
    unsafe { Ok((in_slice(data, len)?, out_slice(out, cap)?)) }
}

/// Copy `src` to the start of `out` and store its length in `*out_len`:
/// NANODTLS_OK, or NANODTLS_E_BUFFER_TOO_SMALL with nothing written.
///
/// # Safety
/// `out_len` must be non-NULL and writable.
pub(crate) unsafe fn copy_out(src: &[u8], out: &mut [u8], out_len: *mut usize) -> nanodtls_status {
    let Some(dst) = out.get_mut(..src.len()) else { return NANODTLS_E_BUFFER_TOO_SMALL };
    dst.copy_from_slice(src);
    // SAFETY: caller contract.
    unsafe { out_len.write(src.len()) };
    NANODTLS_OK
}

/// Library version as a NUL-terminated string (e.g. "0.1.0"). Never NULL.
#[no_mangle]
pub extern "C" fn nanodtls_version() -> *const c_char {
    const V: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    match CStr::from_bytes_with_nul(V.as_bytes()) {
        Ok(c) => c.as_ptr(),
        Err(_) => c"unknown".as_ptr(),
    }
}

/// A short English description of a status code. Never NULL; unknown
/// codes give "unknown status".
#[no_mangle]
pub extern "C" fn nanodtls_status_str(status: nanodtls_status) -> *const c_char {
    let s: &'static CStr = match status {
        NANODTLS_OK => c"ok",
        NANODTLS_DONE => c"done",
        NANODTLS_MORE => c"more records in the datagram: feed the rest",
        _ => match Error::from_code(status) {
            Some(e) => e.as_cstr(),
            None => c"unknown status",
        },
    };
    s.as_ptr()
}

/// IANA name of a cipher suite (e.g. "TLS_PSK_WITH_AES_128_CCM_8"), or
/// "unknown". Never NULL.
#[no_mangle]
pub extern "C" fn nanodtls_suite_name(suite: u16) -> *const c_char {
    crate::suite::name_cstr(suite).as_ptr()
}

/// A short name of an alert description (e.g. "decrypt_error"). Never NULL.
#[no_mangle]
pub extern "C" fn nanodtls_alert_name(description: u8) -> *const c_char {
    crate::alert::name(description).as_ptr()
}

/// The name of a nanodtls_state() value: "IDLE", "HANDSHAKING",
/// "CONNECTED", "CLOSED" or "FAILED" (the NANODTLS_STATE_* suffixes). A
/// negative value (nanodtls_state's status for misuse) gives its
/// nanodtls_status_str text, anything else "unknown state". Never NULL.
#[no_mangle]
pub extern "C" fn nanodtls_state_name(state: i32) -> *const c_char {
    let s: &'static CStr = match state {
        NANODTLS_STATE_IDLE => c"IDLE",
        NANODTLS_STATE_HANDSHAKING => c"HANDSHAKING",
        NANODTLS_STATE_CONNECTED => c"CONNECTED",
        NANODTLS_STATE_CLOSED => c"CLOSED",
        NANODTLS_STATE_FAILED => c"FAILED",
        s if s < 0 => return nanodtls_status_str(s),
        _ => c"unknown state",
    };
    s.as_ptr()
}

/// Fill `cfg` with the defaults for `role` (NANODTLS_ROLE_CLIENT or
/// NANODTLS_ROLE_SERVER).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_config_default(cfg: *mut nanodtls_config, role: u8) -> nanodtls_status {
    if cfg.is_null() {
        return NANODTLS_E_NULL;
    }
    let r = match role {
        NANODTLS_ROLE_CLIENT => crate::Role::Client,
        NANODTLS_ROLE_SERVER => crate::Role::Server,
        _ => return NANODTLS_E_INVALID_ARG,
    };
    let c = config_to_c(&crate::Config::new(r));
    // SAFETY: cfg is non-NULL and the caller passes a writable nanodtls_config;
    // write() does not read the (possibly uninitialised) old value.
    unsafe { cfg.write(c) };
    NANODTLS_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_a_name() {
        // SAFETY: nanodtls_state_name returns pointers to static C strings.
        let name = |s: i32| unsafe { CStr::from_ptr(nanodtls_state_name(s)) }.to_str().unwrap();
        assert_eq!(name(NANODTLS_STATE_IDLE), "IDLE");
        assert_eq!(name(NANODTLS_STATE_HANDSHAKING), "HANDSHAKING");
        assert_eq!(name(NANODTLS_STATE_CONNECTED), "CONNECTED");
        assert_eq!(name(NANODTLS_STATE_CLOSED), "CLOSED");
        assert_eq!(name(NANODTLS_STATE_FAILED), "FAILED");
        assert_eq!(name(NANODTLS_E_NOT_INITIALIZED), Error::NotInitialized.as_str());
        assert_eq!(name(5), "unknown state");
        assert_eq!(name(i32::MIN), "unknown status");
        // Every state the engine has maps to one of the named values.
        use crate::State as S;
        for st in [S::Idle, S::ClientWaitServerHello, S::ServerWaitFinished, S::Connected, S::Closed, S::Failed] {
            assert_ne!(name(state_code(st)), "unknown state", "{st:?}");
        }
    }

    #[test]
    fn every_alert_we_send_has_a_name() {
        use crate::alert::*;
        for a in [
            CLOSE_NOTIFY,
            UNEXPECTED_MESSAGE,
            BAD_RECORD_MAC,
            RECORD_OVERFLOW,
            HANDSHAKE_FAILURE,
            BAD_CERTIFICATE,
            UNSUPPORTED_CERTIFICATE,
            CERTIFICATE_UNKNOWN,
            ILLEGAL_PARAMETER,
            UNKNOWN_CA,
            ACCESS_DENIED,
            DECODE_ERROR,
            DECRYPT_ERROR,
            PROTOCOL_VERSION,
            INSUFFICIENT_SECURITY,
            INTERNAL_ERROR,
            USER_CANCELED,
            NO_RENEGOTIATION,
            UNSUPPORTED_EXTENSION,
            UNRECOGNIZED_NAME,
            UNKNOWN_PSK_IDENTITY,
        ] {
            // SAFETY: nanodtls_alert_name returns a pointer to a static C string.
            let name = unsafe { CStr::from_ptr(nanodtls_alert_name(a)) };
            assert_ne!(name.to_bytes(), b"unknown_alert", "alert {a}");
        }
    }
}
