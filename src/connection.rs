//! One DTLS association: the sans-IO engine behind both roles.
//!
//! A [`Connection`] never touches a socket, a clock or an RNG. The caller
//! feeds datagrams in, polls datagrams out, reports the time, and passes an
//! [`Env`] for randomness and (server) PSK lookup. All memory is inside the
//! struct, which is valid when all-zero so C can place it in `static` storage.

use zerocopy::FromZeros;
use zeroize::Zeroize;

use crate::alert::{self, AlertInfo, PendingAlert, NO_ALERT};
use crate::codec::{Reader, Writer};
use crate::config::{Config, Env, Role};
use crate::cookie::CookieKeys;
use crate::crypto::aead::TagLen;
use crate::crypto::sha256::Sha256;
use crate::error::Error;
use crate::flight::{Flight, Item};
use crate::handshake::reassembly::{Insert, Reassembly};
use crate::handshake::{self, msg, FragmentHeader};
use crate::keys::MASTER_LEN;
use crate::record::{self, content, DirectionKeys, ReplayWindow};
use crate::session::SessionData;
use crate::sizes::{
    NANODTLS_MAX_COOKIE, NANODTLS_MAX_PSK_IDENTITY, NANODTLS_MAX_PSK_KEY, NANODTLS_MAX_SERVER_NAME, NANODTLS_TX_BUF,
};

/// Handshake and connection states. Each handshake state names what we
/// wait for next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromZeros)]
#[repr(u8)]
pub enum State {
    /// Client: initialised, connect() not called yet.
    Idle = 0,
    /// Client: ClientHello sent; waiting for HelloVerifyRequest or ServerHello.
    ClientWaitServerHello,
    /// Client: ServerHello received (ECDHE_ECDSA); waiting for the server's Certificate.
    ClientWaitCertificate,
    /// Client: waiting for the ECDHE ServerKeyExchange.
    ClientWaitServerKeyExchange,
    /// Client: waiting for [ServerKeyExchange (PSK hint) / CertificateRequest] and ServerHelloDone.
    ClientWaitServerHelloDone,
    /// Client: waiting for the server's ChangeCipherSpec.
    ClientWaitCcs,
    /// Client: waiting for the server's Finished.
    ClientWaitFinished,
    /// Server: waiting for a ClientHello (with a valid cookie).
    ServerWaitClientHello,
    /// Server: flight 4 sent with a CertificateRequest; waiting for the client's Certificate.
    ServerWaitClientCertificate,
    /// Server: flight 4 sent; waiting for ClientKeyExchange.
    ServerWaitClientKeyExchange,
    /// Server: waiting for the client's CertificateVerify.
    ServerWaitCertificateVerify,
    /// Server: waiting for the client's ChangeCipherSpec.
    ServerWaitCcs,
    /// Server: waiting for the client's Finished.
    ServerWaitFinished,
    /// Handshake complete; application data flows.
    Connected,
    /// close_notify sent or received.
    Closed,
    /// A fatal error ended the connection (sticky).
    Failed,
}

impl State {
    /// True while a handshake is under way (including a server waiting for
    /// its first ClientHello).
    pub fn handshaking(self) -> bool {
        !matches!(self, State::Idle | State::Connected | State::Closed | State::Failed)
    }
}

/// Counters of what happened on a connection. Every dropped record is
/// counted in exactly one `dropped_*` field.
#[derive(Clone, Copy, Debug, Default, FromZeros, PartialEq, Eq)]
#[repr(C)]
pub struct Stats {
    /// Datagrams fed in.
    pub rx_datagrams: u32,
    /// Bytes fed in.
    pub rx_bytes: u32,
    /// Records parsed from fed datagrams.
    pub rx_records: u32,
    /// Datagrams produced by poll.
    pub tx_datagrams: u32,
    /// Bytes produced by poll.
    pub tx_bytes: u32,
    /// Records produced.
    pub tx_records: u32,
    /// Application records delivered to read.
    pub app_records_rx: u32,
    /// Application records written.
    pub app_records_tx: u32,
    /// Malformed or truncated records, fragments or messages dropped.
    pub dropped_malformed: u32,
    /// Records that failed authentication (bad tag) dropped.
    pub dropped_auth: u32,
    /// Replayed or duplicated records dropped.
    pub dropped_replay: u32,
    /// Records of an epoch we cannot read (future or stale) dropped.
    pub dropped_epoch: u32,
    /// Records or messages not allowed in the current state dropped.
    pub dropped_unexpected: u32,
    /// Records too large for the receive buffer dropped.
    pub dropped_oversize: u32,
    /// Handshake fragments of future messages dropped (they are retransmitted).
    pub dropped_future: u32,
    /// Epoch-0 handshake messages refused by the handshake layer (a bad
    /// parameter, an untrusted key, an unknown PSK identity, ...): nothing is
    /// authenticated in epoch 0, so they are discarded without changing any
    /// state, and the reason is reported if the handshake reaches its deadline.
    pub dropped_rejected: u32,
    /// Flights we retransmitted (timer or peer retransmission).
    pub retransmits: u32,
    /// Retransmissions of the peer's flights we detected.
    pub peer_retransmits: u32,
    /// HelloVerifyRequests sent (server) or received (client).
    pub hello_verify_requests: u32,
    /// Abbreviated (resumed) handshakes accepted (server).
    pub resumptions: u32,
}

/// A fatal handshake error: the alert to send and the status to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fatal {
    pub alert: u8,
    pub err: Error,
}

impl Fatal {
    /// Our verdict on something the peer sent (answered with `alert`).
    pub(crate) const fn alert(alert: u8) -> Fatal {
        Fatal { alert, err: Error::AlertSent }
    }
    pub(crate) const fn decode() -> Fatal {
        Fatal::alert(alert::DECODE_ERROR)
    }
    pub(crate) const fn unexpected() -> Fatal {
        Fatal::alert(alert::UNEXPECTED_MESSAGE)
    }
    pub(crate) const fn internal(err: Error) -> Fatal {
        Fatal { alert: alert::INTERNAL_ERROR, err }
    }
    /// Fail without sending any alert (nothing was sent to the peer yet,
    /// or the peer is gone).
    pub(crate) const fn silent(err: Error) -> Fatal {
        Fatal { alert: NO_ALERT, err }
    }
    /// True if this is a verdict on the peer's message ([`Fatal::alert`]),
    /// as opposed to a failure of our own (RNG, buffers, a bug). In epoch 0
    /// a verdict rejects the message without ending the handshake (see
    /// `Core::reject`); a failure of our own always ends it.
    pub(crate) fn is_rejection(&self) -> bool {
        self.err == Error::AlertSent
    }
}

impl From<Error> for Fatal {
    fn from(e: Error) -> Fatal {
        match e {
            Error::Decode => Fatal::decode(),
            other => Fatal::internal(other),
        }
    }
}

/// Record-layer state: epochs, sequence numbers, replay window, keys.
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct RecordState {
    pub write_seq: [u64; 2],
    /// Replay window of epoch 1. Epoch 0 has none: RFC 6347 4.1.2.6 updates
    /// a window only after MAC verification, and nothing in epoch 0 is
    /// verified, so a plaintext record can never move it (duplicates there
    /// are recognised by the handshake layer's message_seq).
    pub window: ReplayWindow,
    pub client: DirectionKeys,
    pub server: DirectionKeys,
    pub read_epoch: u16,
    pub write_epoch: u16,
    pub tag16: bool,
    pub keys_ready: bool,
}

impl RecordState {
    pub fn tag(&self) -> TagLen {
        if self.tag16 {
            TagLen::Sixteen
        } else {
            TagLen::Eight
        }
    }

    fn write_keys(&self, role: Role) -> &DirectionKeys {
        match role {
            Role::Client => &self.client,
            Role::Server => &self.server,
        }
    }

    fn read_keys(&self, role: Role) -> &DirectionKeys {
        match role {
            Role::Client => &self.server,
            Role::Server => &self.client,
        }
    }

    /// Take the next write sequence number of `epoch`.
    pub fn next_seq(&mut self, epoch: u16) -> Result<u64, Error> {
        let s = self.write_seq.get_mut(usize::from(epoch)).ok_or(Error::Internal)?;
        if *s > record::MAX_SEQ {
            return Err(Error::Internal);
        }
        let v = *s;
        *s += 1;
        Ok(v)
    }

    /// Write one record in `epoch` (protected when epoch is 1).
    pub fn emit(
        &mut self,
        role: Role,
        w: &mut Writer<'_>,
        ctype: u8,
        epoch: u16,
        parts: &[&[u8]],
    ) -> Result<(), Error> {
        let plain: usize = parts.iter().map(|p| p.len()).sum();
        let need =
            record::HEADER_LEN + plain + if epoch > 0 { record::EXPLICIT_NONCE_LEN + self.tag().bytes() } else { 0 };
        if w.remaining() < need {
            return Err(Error::BufferTooSmall);
        }
        let seq = self.next_seq(epoch)?;
        if epoch == 0 {
            record::write_record(w, None, ctype, 0, seq, parts)
        } else {
            if !self.keys_ready {
                return Err(Error::Internal);
            }
            let tag = self.tag();
            record::write_record(w, Some((self.write_keys(role), tag)), ctype, epoch, seq, parts)
        }
    }

    pub fn wipe(&mut self) {
        self.client.zeroize();
        self.server.zeroize();
        self.keys_ready = false;
    }
}

/// Handshake state.
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct Handshake {
    pub transcript: Sha256,
    pub deadline: u64,
    pub client_random: [u8; 32],
    pub server_random: [u8; 32],
    pub session_id: [u8; 32],
    pub master: [u8; MASTER_LEN],
    pub cookie: [u8; NANODTLS_MAX_COOKIE],
    pub suite: u16,
    /// Next message_seq we send.
    pub send_seq: u16,
    /// Next message_seq we expect.
    pub recv_seq: u16,
    /// message_seq of the first message of the peer flight being received.
    pub peer_flight_first: u16,
    pub session_id_len: u8,
    pub cookie_len: u8,
    /// Suites offered (client) in ClientHello, fixed at connect.
    pub offered: [u16; crate::config::MAX_SUITES],
    pub hello_verify_count: u8,
    /// The alert our last epoch-0 rejection (or a protected Finished record
    /// that failed authentication) would have sent: the likely cause,
    /// reported at the deadline (valid when `rejected` is set).
    pub rejected_alert: u8,
    pub rejected: bool,
    /// Server: the ClientHello being processed carried a valid cookie (its
    /// sender receives at the peer's address): refusing it is answered with
    /// the alert at once (RFC 7925), not discarded.
    pub cookie_verified: bool,
    /// Server: ClientCaps of the accepted ClientHello (bit set).
    pub client_caps: u16,
    /// The peer's Certificate is X.509 (leaf key pinned) rather than a raw public key.
    pub peer_cert_x509: bool,
    /// Our Certificate is X.509 rather than a raw public key.
    pub own_cert_x509: bool,
    /// Client: an X.509 certificate of ours is available (fixed at connect).
    pub have_own_cert: bool,
    /// Client (tests only): behave like a stack without RFC 7250.
    pub no_rpk_offer: bool,
    /// Server: the client's PSK identity is known (ClientKeyExchange or resumption).
    pub peer_identity_known: bool,
    /// Negotiated max_fragment_length code (RFC 6066; 0 = none).
    pub mfl_code: u8,
    pub ems: bool,
    pub resumed: bool,
    pub seen_server_key_exchange: bool,
    pub peer_secure_renegotiation: bool,
}

impl Handshake {
    pub fn wipe(&mut self) {
        self.master.zeroize();
    }

    /// Remember the alert a refused peer message would have caused (the
    /// latest wins): the likely cause if the handshake reaches its deadline.
    pub fn note_rejection(&mut self, alert: u8) {
        self.rejected_alert = alert;
        self.rejected = true;
    }
}

/// Pre-shared key material: the client's identity and key, or the server's
/// single key (and, after a handshake, the identity the client used).
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct PskSlot {
    pub identity: [u8; NANODTLS_MAX_PSK_IDENTITY],
    pub key: [u8; NANODTLS_MAX_PSK_KEY],
    pub hint: [u8; 32],
    pub identity_len: u16,
    pub key_len: u16,
    pub hint_len: u8,
}

impl PskSlot {
    pub fn identity(&self) -> &[u8] {
        self.identity.get(..usize::from(self.identity_len)).unwrap_or(&[])
    }
    pub fn key(&self) -> &[u8] {
        self.key.get(..usize::from(self.key_len)).unwrap_or(&[])
    }
    pub fn hint(&self) -> &[u8] {
        self.hint.get(..usize::from(self.hint_len)).unwrap_or(&[])
    }
    pub fn has_key(&self) -> bool {
        self.key_len > 0
    }
    pub fn set(&mut self, identity: &[u8], key: &[u8]) -> Result<(), Error> {
        if identity.is_empty()
            || identity.len() > NANODTLS_MAX_PSK_IDENTITY
            || key.is_empty()
            || key.len() > NANODTLS_MAX_PSK_KEY
        {
            return Err(Error::InvalidArgument);
        }
        self.wipe_key();
        self.identity.get_mut(..identity.len()).ok_or(Error::Internal)?.copy_from_slice(identity);
        self.identity_len = identity.len() as u16;
        self.key.get_mut(..key.len()).ok_or(Error::Internal)?.copy_from_slice(key);
        self.key_len = key.len() as u16;
        Ok(())
    }
    pub fn wipe_key(&mut self) {
        self.key.zeroize();
        self.key_len = 0;
    }
    pub fn set_hint(&mut self, hint: &[u8]) -> Result<(), Error> {
        if hint.len() > self.hint.len() {
            return Err(Error::InvalidArgument);
        }
        self.hint.get_mut(..hint.len()).ok_or(Error::Internal)?.copy_from_slice(hint);
        self.hint_len = hint.len() as u8;
        Ok(())
    }
}

/// Protected records (application data) waiting to be polled.
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct TxBuf {
    pub buf: [u8; NANODTLS_TX_BUF],
    pub len: u16,
}

/// Received application data waiting for read(): a sequence of
/// `[u16 length][data]` items; the free space behind them is the scratch
/// area where incoming records are decrypted.
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct RxBuf {
    pub buf: [u8; crate::sizes::NANODTLS_RX_BUF],
    pub len: u16,
    pub off: u16,
}

impl RxBuf {
    pub fn pending(&self) -> bool {
        self.off < self.len
    }
    fn clear(&mut self) {
        self.len = 0;
        self.off = 0;
    }
}

/// Heartbeat (RFC 6520) state.
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct Heartbeat {
    /// Payload and padding of our outstanding request.
    pub payload: [u8; HB_PAYLOAD],
    pub padding: [u8; HB_PADDING],
    pub sent_at: u64,
    pub next_at: u64,
    pub rtt_ms: u32,
    pub interval_ms: u32,
    pub counter: u32,
    pub retries: u8,
    pub status: HeartbeatStatus,
    /// Negotiated: we answer the peer's requests.
    pub answer: bool,
    /// Negotiated: we may send requests.
    pub may_send: bool,
    /// A request must go out with the next poll.
    pub send_now: bool,
}

/// Heartbeat payload length we use.
pub(crate) const HB_PAYLOAD: usize = 16;
/// Heartbeat padding length (the RFC 6520 minimum).
pub(crate) const HB_PADDING: usize = 16;
/// Retransmissions of a heartbeat request before it counts as lost.
const HB_RETRIES: u8 = 3;

/// Outcome of the last heartbeat request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromZeros)]
#[repr(u8)]
pub enum HeartbeatStatus {
    /// No request sent yet.
    Idle = 0,
    /// A request is waiting for its response.
    Pending = 1,
    /// The response arrived (see the round-trip time).
    Ok = 2,
    /// No response after the retransmissions: the peer or path is gone.
    Failed = 3,
}

/// Everything but the two big receive-side buffers, so the engine can
/// borrow a reassembled message and mutate its own state at once.
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct Core {
    pub hs: Handshake,
    pub rl: RecordState,
    pub flight: Flight,
    pub tx: TxBuf,
    pub psk: PskSlot,
    #[cfg(feature = "ecc")]
    pub ecc: crate::credentials::EccCreds,
    pub cookies: CookieKeys,
    /// Client: the session to offer / the one just established.
    pub session: SessionData,
    /// Client: the server_name to send; server: the one received.
    pub sni: [u8; NANODTLS_MAX_SERVER_NAME],
    pub hb: Heartbeat,
    pub stats: Stats,
    pub cfg: Config,
    pub last_alert: AlertInfo,
    pub alert_out: PendingAlert,
    /// Sticky status of a failed or closed connection (0 while usable).
    pub status: i32,
    pub state: State,
    /// Authenticated records and accepted epoch-0 messages so far: what
    /// counts as the peer's activity (junk from its address does not).
    pub accepted: u32,
    /// Where this connection's debug log goes (feature `log`).
    #[cfg(feature = "log")]
    pub log: crate::log::LogSink,
    /// Set once a close_notify has been queued by us.
    pub close_sent: bool,
    pub sni_len: u8,
}

/// A DTLS 1.2 connection (one peer, either role).
#[derive(FromZeros)]
#[repr(C)]
pub struct Connection {
    pub(crate) core: Core,
    pub(crate) reasm: Reassembly,
    pub(crate) rx: RxBuf,
}

/// What one processed message asks the record loop to do.
pub(crate) struct MsgCtx {
    /// Record sequence number of the record that completed the message.
    pub rec_seq: u64,
    /// message_seq of the message.
    pub seq: u16,
    /// Epoch of that record: 0 is unauthenticated (a refused message is
    /// discarded), 1 authenticated (a refused message ends the handshake).
    pub epoch: u16,
}

/// Payload location of a record being processed.
enum Payload<'d> {
    /// Plaintext record: the fragment inside the caller's datagram.
    Datagram(&'d [u8]),
    /// Decrypted into the receive buffer at this range.
    Rx(core::ops::Range<usize>),
}

impl Connection {
    /// Reset `self` (which may hold anything, e.g. a previous connection) to
    /// a fresh connection with `cfg`. Secrets of the previous use are wiped
    /// by zeroing the whole structure first.
    pub fn init(&mut self, cfg: &Config) -> Result<(), Error> {
        cfg.validate()?;
        #[cfg(feature = "log")]
        let sink = self.core.log;
        self.zero();
        #[cfg(feature = "log")]
        {
            self.core.log = sink;
        }
        self.init_zeroed(cfg)
    }

    /// [`Connection::init`] for a connection that is already all-zero (the
    /// C API zeroes the caller's storage first; zeroing 6 KB twice costs
    /// ~6,000 instructions on a Cortex-M4).
    pub(crate) fn init_zeroed(&mut self, cfg: &Config) -> Result<(), Error> {
        cfg.validate()?;
        if !crate::config::role_built(cfg.role) {
            return Err(Error::Unsupported);
        }
        self.core.cfg = *cfg;
        self.core.state = match cfg.role {
            Role::Client => State::Idle,
            Role::Server => State::ServerWaitClientHello,
        };
        self.core.flight.clear();
        self.core.flight.interval_ms = cfg.retransmit_initial_ms;
        self.core.hs.transcript.reset();
        Ok(())
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.core.state
    }

    /// Role.
    pub fn role(&self) -> Role {
        self.core.cfg.role
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.core.cfg
    }

    /// Statistics.
    pub fn stats(&self) -> &Stats {
        &self.core.stats
    }

    /// The last alert sent or received (level 0 if none).
    pub fn last_alert(&self) -> AlertInfo {
        self.core.last_alert
    }

    /// The negotiated cipher suite (0 before ServerHello).
    pub fn suite(&self) -> u16 {
        self.core.hs.suite
    }

    /// True if the extended master secret was negotiated.
    pub fn extended_master_secret(&self) -> bool {
        self.core.hs.ems
    }

    /// Sticky failure status, if the connection failed or closed.
    pub fn failure(&self) -> Option<Error> {
        Error::from_code(self.core.status)
    }

    /// The PSK identity in use: ours (client) or the client's (server, once
    /// its ClientKeyExchange or resumed session told us; empty before).
    pub fn psk_identity(&self) -> &[u8] {
        match self.core.cfg.role {
            Role::Server if !self.core.hs.peer_identity_known => &[],
            _ => self.core.psk.identity(),
        }
    }

    /// Set the PSK: client identity and key, or the single key a server
    /// accepts (with the identity it expects). Copied in; wiped at deinit.
    pub fn set_psk(&mut self, identity: &[u8], key: &[u8]) -> Result<(), Error> {
        if !matches!(self.core.state, State::Idle | State::ServerWaitClientHello) {
            return Err(Error::WrongState);
        }
        self.core.psk.set(identity, key)
    }

    /// Server: the PSK identity hint sent in ServerKeyExchange (empty: no
    /// ServerKeyExchange is sent). At most 32 bytes.
    pub fn set_psk_hint(&mut self, hint: &[u8]) -> Result<(), Error> {
        if self.core.cfg.role != Role::Server || self.core.state != State::ServerWaitClientHello {
            return Err(Error::WrongState);
        }
        self.core.psk.set_hint(hint)
    }

    /// Our private key for ECDHE_ECDSA: a raw 32-byte P-256 scalar, SEC1
    /// `ECPrivateKey` DER or PKCS#8 DER. Copied in; wiped at deinit.
    /// `Unsupported` in builds without the `ecc` feature.
    pub fn set_own_key(&mut self, key: &[u8]) -> Result<(), Error> {
        if !matches!(self.core.state, State::Idle | State::ServerWaitClientHello) {
            return Err(Error::WrongState);
        }
        #[cfg(feature = "ecc")]
        return self.core.ecc.set_own_key(key);
        #[cfg(not(feature = "ecc"))]
        {
            let _ = key;
            Err(Error::Unsupported)
        }
    }

    /// Our SubjectPublicKeyInfo (DER, 91 bytes), if a key is set.
    pub fn own_spki(&self) -> Option<[u8; 91]> {
        #[cfg(feature = "ecc")]
        return self.core.ecc.has_own.then(|| self.core.ecc.own_spki());
        #[cfg(not(feature = "ecc"))]
        None
    }

    /// Trust a peer raw public key given as SubjectPublicKeyInfo DER.
    pub fn add_trusted_key(&mut self, spki: &[u8]) -> Result<(), Error> {
        #[cfg(feature = "ecc")]
        return self.core.ecc.add_trusted_spki(spki);
        #[cfg(not(feature = "ecc"))]
        {
            let _ = spki;
            Err(Error::Unsupported)
        }
    }

    /// Trust a peer raw public key given as the SHA-256 of its SubjectPublicKeyInfo.
    pub fn add_trusted_key_hash(&mut self, hash: &[u8; 32]) -> Result<(), Error> {
        #[cfg(feature = "ecc")]
        return self.core.ecc.add_trusted_hash(hash);
        #[cfg(not(feature = "ecc"))]
        {
            let _ = hash;
            Err(Error::Unsupported)
        }
    }

    /// True if the X.509 certificate `der` carries our public key (so it
    /// can be presented to peers that cannot use raw public keys).
    pub fn certificate_matches_own_key(&self, der: &[u8]) -> bool {
        #[cfg(feature = "ecc")]
        return self.core.ecc.has_own
            && crate::crypto::ecc::x509_spki(der).is_ok_and(|spki| spki == self.core.ecc.own_spki());
        #[cfg(not(feature = "ecc"))]
        {
            let _ = der;
            false
        }
    }

    /// SHA-256 of the peer's SubjectPublicKeyInfo, once accepted.
    pub fn peer_key_hash(&self) -> Option<[u8; 32]> {
        #[cfg(feature = "ecc")]
        return self.core.ecc.has_peer.then_some(self.core.ecc.peer_hash);
        #[cfg(not(feature = "ecc"))]
        None
    }

    /// Client: start the handshake (sends flight 1 on the next poll).
    pub fn connect(&mut self, env: &mut dyn Env, now: u64) -> Result<(), Error> {
        if self.core.cfg.role != Role::Client || self.core.state != State::Idle {
            return Err(Error::WrongState);
        }
        #[cfg(nanodtls_client)]
        {
            let c = &mut self.core;
            if !c.choose_offered_suites(env) {
                nd_log!(c.log => Error, "client: connect: no credentials for any configured cipher suite");
                return Err(Error::NoCredentials);
            }
            match c.start_client(env, now) {
                Ok(()) => {
                    nd_log!(c.log =>
                        Info,
                        "client: connect: {} suites offered, session resumption {}, server_name {} bytes, mtu {}",
                        c.hs.offered.iter().take_while(|&&s| s != 0).count(),
                        crate::log::yes(c.session.valid),
                        c.sni_len,
                        c.cfg.mtu
                    );
                    Ok(())
                }
                Err(f) => Err(c.fail(f)),
            }
        }
        #[cfg(not(nanodtls_client))]
        {
            let _ = (env, now);
            Err(Error::Unsupported)
        }
    }

    /// Feed one received datagram. Records that are malformed, replayed,
    /// unauthenticated or unexpected are dropped and counted; the call then
    /// still succeeds. An error means the connection ended (see
    /// [`Connection::failure`] and [`Connection::last_alert`]), or a misuse
    /// (`ReadPending`: read the queued application data first; nothing was
    /// consumed).
    pub fn feed(&mut self, env: &mut dyn Env, now: u64, datagram: &[u8]) -> Result<(), Error> {
        self.core.check_alive()?;
        if self.core.state == State::Idle {
            return Err(Error::WrongState);
        }
        if self.rx.pending() {
            return Err(Error::ReadPending);
        }
        self.rx.clear();
        let c = &mut self.core;
        c.stats.rx_datagrams = c.stats.rx_datagrams.saturating_add(1);
        c.stats.rx_bytes = c.stats.rx_bytes.saturating_add(datagram.len() as u32);
        let mut r = Reader::new(datagram);
        let mut resend = false;
        while !r.is_empty() && c.state != State::Failed {
            let rec = match record::parse(&mut r) {
                Ok(rec) => rec,
                Err(_) => {
                    nd_drop!(c, dropped_malformed, "unparsable record in a {}-byte datagram", datagram.len());
                    break;
                }
            };
            c.stats.rx_records = c.stats.rx_records.saturating_add(1);
            if let Err(f) = process_record(c, &mut self.reasm, &mut self.rx, env, now, &rec, &mut resend) {
                return Err(c.fail(f));
            }
        }
        if resend && c.state != State::Failed && !c.flight.is_empty() {
            nd_log!(c.log =>
                Info,
                "{}: the peer retransmitted its last flight: sending ours again",
                crate::log::role(c.cfg.role)
            );
            c.stats.retransmits = c.stats.retransmits.saturating_add(1);
            c.flight.start_sending();
        }
        c.check_deadline(now)?;
        c.result()
    }

    /// Produce the next datagram to send into `out` (at most the configured
    /// MTU). Returns `Ok(Some(len))`, or `Ok(None)` when there is nothing to
    /// send. `BufferTooSmall` if `out` cannot hold the next record (nothing
    /// is lost; retry with a bigger buffer).
    pub fn poll_datagram(&mut self, now: u64, out: &mut [u8]) -> Result<Option<usize>, Error> {
        let c = &mut self.core;
        let mut limit = core::cmp::min(out.len(), usize::from(c.cfg.mtu));
        if c.hs.mfl_code != 0 {
            // A peer that negotiated max_fragment_length may size its receive
            // buffer for one record: keep datagrams within one record's worth.
            limit = limit.min(c.record_limit() + record::protected_overhead(TagLen::Sixteen));
        }
        let role = c.cfg.role;
        let mut w = Writer::new(out.get_mut(..limit).ok_or(Error::Internal)?);
        // Order: our flight, then application data written before any
        // close, then the pending alert (so close_notify follows the data).
        if c.flight.sending {
            c.write_flight_datagram(&mut w)?;
            #[cfg(feature = "log")]
            if !w.is_empty() {
                c.flight.datagrams = c.flight.datagrams.saturating_add(1);
            }
            if !c.flight.sending {
                c.flight.sent(now);
                nd_log!(c.log =>
                    Debug,
                    "{}: flight sent: {} handshake message(s) in {} datagram(s){}",
                    crate::log::role(role),
                    c.flight.messages().count(),
                    c.flight.datagrams,
                    if c.flight.armed { " (timer armed)" } else { "" }
                );
            }
        } else if c.tx.len > 0 {
            let n = c.take_tx_records(&mut w)?;
            if n == 0 {
                return Err(Error::BufferTooSmall);
            }
        } else if c.hb.send_now && c.state == State::Connected {
            let n = HB_PAYLOAD as u16;
            let head = [1u8, (n >> 8) as u8, n as u8];
            let (payload, padding) = (c.hb.payload, c.hb.padding);
            c.rl.emit(role, &mut w, content::HEARTBEAT, 1, &[&head, &payload, &padding])?;
            c.hb.send_now = false;
            c.stats.tx_records = c.stats.tx_records.saturating_add(1);
        } else if c.alert_out.pending {
            let epoch = if c.rl.keys_ready { c.rl.write_epoch } else { 0 };
            let body = [c.alert_out.level, c.alert_out.description];
            c.rl.emit(role, &mut w, content::ALERT, epoch, &[&body])?;
            c.alert_out.pending = false;
            c.stats.tx_records = c.stats.tx_records.saturating_add(1);
            if matches!(c.state, State::Failed | State::Closed) {
                c.wipe_secrets();
            }
        }
        let n = w.len();
        if n == 0 {
            return Ok(None);
        }
        c.stats.tx_datagrams = c.stats.tx_datagrams.saturating_add(1);
        c.stats.tx_bytes = c.stats.tx_bytes.saturating_add(n as u32);
        Ok(Some(n))
    }

    /// Milliseconds until [`Connection::handle_timeout`] must be called, or
    /// None if no timer runs.
    pub fn timeout_ms(&self, now: u64) -> Option<u64> {
        let c = &self.core;
        let mut at: Option<u64> = None;
        if c.flight.armed && c.state != State::Failed && c.state != State::Closed {
            at = Some(c.flight.next_at);
        }
        if c.state.handshaking() && c.hs.deadline != 0 {
            at = Some(at.map_or(c.hs.deadline, |a| a.min(c.hs.deadline)));
        }
        if c.state == State::Connected && c.hb.status == HeartbeatStatus::Pending {
            at = Some(at.map_or(c.hb.next_at, |a| a.min(c.hb.next_at)));
        }
        at.map(|t| t.saturating_sub(now))
    }

    /// Handle expired timers: retransmit the current flight (doubling the
    /// interval up to the cap) or fail the handshake at its deadline.
    pub fn handle_timeout(&mut self, now: u64) -> Result<(), Error> {
        let c = &mut self.core;
        c.check_alive()?;
        c.check_deadline(now)?;
        if c.flight.armed && now >= c.flight.next_at {
            let next = c.flight.interval_ms.saturating_mul(2);
            c.flight.interval_ms = core::cmp::min(next, c.cfg.retransmit_max_ms);
            c.flight.retransmits = c.flight.retransmits.saturating_add(1);
            c.stats.retransmits = c.stats.retransmits.saturating_add(1);
            c.flight.start_sending();
            nd_log!(c.log =>
                Info,
                "{}: timeout in {:?}: retransmitting flight (retransmission {}), next timeout {} ms",
                crate::log::role(c.cfg.role),
                c.state,
                c.flight.retransmits,
                c.flight.interval_ms
            );
        }
        if c.state == State::Connected && c.hb.status == HeartbeatStatus::Pending && now >= c.hb.next_at {
            if c.hb.retries >= HB_RETRIES {
                nd_log!(c.log =>
                    Warn,
                    "{}: heartbeat: no response after {} retransmissions",
                    crate::log::role(c.cfg.role),
                    HB_RETRIES
                );
                c.hb.status = HeartbeatStatus::Failed;
            } else {
                c.hb.retries += 1;
                c.hb.interval_ms = c.hb.interval_ms.saturating_mul(2).min(c.cfg.retransmit_max_ms);
                c.hb.next_at = now.saturating_add(u64::from(c.hb.interval_ms));
                c.hb.send_now = true;
            }
        }
        Ok(())
    }

    /// Send a heartbeat request (RFC 6520) as a keep-alive. Only when
    /// connected and heartbeat was negotiated (`Unsupported` otherwise);
    /// `WouldBlock` while a request is still waiting for its response.
    /// The request is retransmitted on the retransmission timer; after
    /// three retransmissions without response the status becomes Failed.
    pub fn heartbeat(&mut self, env: &mut dyn Env, now: u64) -> Result<(), Error> {
        let c = &mut self.core;
        c.check_alive()?;
        if c.state != State::Connected {
            return Err(Error::WrongState);
        }
        if !c.hb.may_send {
            return Err(Error::Unsupported);
        }
        if c.hb.status == HeartbeatStatus::Pending {
            return Err(Error::WouldBlock);
        }
        c.hb.counter = c.hb.counter.wrapping_add(1);
        let mut payload = [0u8; HB_PAYLOAD];
        let mut padding = [0u8; HB_PADDING];
        env.random(&mut payload)?;
        env.random(&mut padding)?;
        if let Some(p) = payload.get_mut(..4) {
            p.copy_from_slice(&c.hb.counter.to_be_bytes());
        }
        c.hb.payload = payload;
        c.hb.padding = padding;
        c.hb.status = HeartbeatStatus::Pending;
        c.hb.sent_at = now;
        c.hb.retries = 0;
        c.hb.interval_ms = c.cfg.retransmit_initial_ms;
        c.hb.next_at = now.saturating_add(u64::from(c.hb.interval_ms));
        c.hb.send_now = true;
        Ok(())
    }

    /// Outcome of the last heartbeat request and its round-trip time in ms
    /// (valid when Ok).
    pub fn heartbeat_status(&self) -> (HeartbeatStatus, u32) {
        (self.core.hb.status, self.core.hb.rtt_ms)
    }

    /// True if heartbeat was negotiated and we may send requests.
    pub fn heartbeat_negotiated(&self) -> bool {
        self.core.hb.may_send
    }

    /// Client: the server_name (SNI, RFC 6066) to send: a DNS host name,
    /// 1..=NANODTLS_MAX_SERVER_NAME bytes, not an IP address literal.
    pub fn set_server_name(&mut self, name: &[u8]) -> Result<(), Error> {
        if self.core.cfg.role != Role::Client || self.core.state != State::Idle {
            return Err(Error::WrongState);
        }
        if !valid_host_name(name) || name.len() > NANODTLS_MAX_SERVER_NAME {
            return Err(Error::InvalidArgument);
        }
        self.core.sni.get_mut(..name.len()).ok_or(Error::Internal)?.copy_from_slice(name);
        self.core.sni_len = name.len() as u8;
        Ok(())
    }

    /// The server_name: the one we send (client) or the one the client
    /// asked for (server; empty if none).
    pub fn server_name(&self) -> &[u8] {
        self.core.sni.get(..usize::from(self.core.sni_len)).unwrap_or(&[])
    }

    /// The negotiated record size limit (max_fragment_length, RFC 6066),
    /// 16384 when none was negotiated.
    pub fn record_limit(&self) -> usize {
        self.core.record_limit()
    }

    /// True if this handshake resumed a session (abbreviated handshake).
    pub fn resumed(&self) -> bool {
        self.core.hs.resumed
    }

    /// Client: true if a resumable session is held (after a full handshake
    /// with a server that issued a session ID, or after an import).
    pub fn has_session(&self) -> bool {
        self.core.session.valid
    }

    /// Client: serialise the resumable session (for flash or retained RAM
    /// across deep sleep). THE BLOB CONTAINS THE MASTER SECRET: store it
    /// where only this device can read it. At most
    /// [`crate::session::MAX_BLOB`] bytes.
    pub fn export_session(&self, out: &mut [u8]) -> Result<usize, Error> {
        if self.core.cfg.role != Role::Client {
            return Err(Error::WrongState);
        }
        crate::session::export(&self.core.session, out)
    }

    /// Client: load a session exported earlier, to be offered by connect().
    /// A corrupted, truncated or foreign blob is refused with
    /// `InvalidArgument` and changes nothing.
    pub fn import_session(&mut self, blob: &[u8]) -> Result<(), Error> {
        if self.core.cfg.role != Role::Client || self.core.state != State::Idle {
            return Err(Error::WrongState);
        }
        let mut tmp = SessionData::new_zeroed();
        let r = crate::session::import(blob, &mut tmp);
        if r.is_ok() {
            self.core.session.clear();
            self.core.session = tmp.clone();
        }
        tmp.clear();
        r
    }

    /// Queue application data as one record. `TooLarge` if it cannot fit
    /// one record within the MTU; `WouldBlock` if the transmit buffer is
    /// full (poll, then retry).
    pub fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        let c = &mut self.core;
        c.check_alive()?;
        if c.state != State::Connected {
            return Err(Error::WrongState);
        }
        let max = c.max_app_payload();
        if data.len() > max {
            return Err(Error::TooLarge);
        }
        let start = usize::from(c.tx.len);
        let role = c.cfg.role;
        let region = c.tx.buf.get_mut(start..).ok_or(Error::WouldBlock)?;
        let mut w = Writer::new(region);
        match c.rl.emit(role, &mut w, content::APPLICATION_DATA, 1, &[data]) {
            Ok(()) => {}
            Err(Error::BufferTooSmall) => return Err(Error::WouldBlock),
            Err(e) => return Err(e),
        }
        c.tx.len = (start + w.len()) as u16;
        c.stats.app_records_tx = c.stats.app_records_tx.saturating_add(1);
        Ok(())
    }

    /// Largest application payload one write() accepts right now.
    pub fn max_write(&self) -> usize {
        self.core.max_app_payload()
    }

    /// Take the next received application record into `out`.
    /// `Ok(Some(n))`: a record of n bytes; `Ok(None)`: nothing pending.
    /// `BufferTooSmall`: the record is larger than `out` and stays queued.
    pub fn read(&mut self, out: &mut [u8]) -> Result<Option<usize>, Error> {
        let rx = &mut self.rx;
        if rx.pending() {
            let off = usize::from(rx.off);
            let len_bytes = rx.buf.get(off..off + 2).ok_or(Error::Internal)?;
            let n = usize::from(crate::codec::be16(len_bytes));
            let data = rx.buf.get(off + 2..off + 2 + n).ok_or(Error::Internal)?;
            let dst = out.get_mut(..n).ok_or(Error::BufferTooSmall)?;
            dst.copy_from_slice(data);
            rx.off = (off + 2 + n) as u16;
            if !rx.pending() {
                rx.clear();
            }
            return Ok(Some(n));
        }
        match self.core.state {
            State::Failed | State::Closed => Err(self.core.sticky()),
            _ => Ok(None),
        }
    }

    /// Send close_notify and close. Idempotent.
    pub fn close(&mut self) -> Result<(), Error> {
        let c = &mut self.core;
        match c.state {
            State::Closed | State::Failed => return Ok(()),
            State::Idle | State::ServerWaitClientHello => {}
            _ => c.queue_alert(alert::WARNING, alert::CLOSE_NOTIFY),
        }
        c.close_sent = true;
        c.state = State::Closed;
        c.status = Error::Closed.code();
        c.flight.sending = false;
        c.flight.armed = false;
        if !c.alert_out.pending {
            c.wipe_secrets();
        }
        Ok(())
    }

    /// Authenticated records and accepted epoch-0 handshake messages so far
    /// (wrapping): the endpoint counts only these as a peer's activity.
    pub(crate) fn accepted_input(&self) -> u32 {
        self.core.accepted
    }

    /// True while received application data waits for [`Connection::read`].
    pub fn has_unread(&self) -> bool {
        self.rx.pending()
    }

    /// Endpoint: take the key pair and trusted keys of the endpoint's template.
    #[cfg(feature = "ecc")]
    pub(crate) fn copy_ecc_configuration(&mut self, template: &crate::credentials::EccCreds) {
        self.core.ecc.copy_configuration(template);
    }

    /// The client random of the current (or last) handshake.
    pub(crate) fn client_random(&self) -> &[u8; 32] {
        &self.core.hs.client_random
    }

    /// Send this connection's debug log to `sink` (feature `log`; `None`:
    /// not logged, the default). What is logged is set for all
    /// connections by [`crate::log::set_max_level`].
    #[cfg(feature = "log")]
    pub fn set_log_sink(&mut self, sink: crate::log::LogSink) {
        self.core.log = sink;
    }

    /// Endpoint: the ClientHello about to be fed came with a valid cookie
    /// (the endpoint did the exchange), so refusing it is answered at once.
    pub(crate) fn mark_cookie_verified(&mut self) {
        self.core.hs.cookie_verified = true;
    }

    /// Test support (only with the `std` feature, which firmware builds never
    /// enable): protect `payload` as one record of `ctype` in `epoch` with
    /// this connection's write keys and sequence numbers, as a misbehaving
    /// peer would. Returns the record.
    #[cfg(feature = "std")]
    #[doc(hidden)]
    pub fn test_record(&mut self, ctype: u8, epoch: u16, payload: &[u8]) -> Result<std::vec::Vec<u8>, Error> {
        let mut buf = [0u8; 2048];
        let mut w = Writer::new(&mut buf);
        let role = self.core.cfg.role;
        self.core.rl.emit(role, &mut w, ctype, epoch, &[payload])?;
        Ok(w.written().to_vec())
    }

    /// Test support: make a client behave like a stack without RFC 7250
    /// (no certificate type extensions: X.509 certificates both ways).
    #[cfg(feature = "std")]
    #[doc(hidden)]
    pub fn test_without_raw_public_keys(&mut self) {
        self.core.hs.no_rpk_offer = true;
    }

    /// Test support: next handshake message_seq this side will send.
    #[cfg(feature = "std")]
    #[doc(hidden)]
    pub fn test_next_send_seq(&self) -> u16 {
        self.core.hs.send_seq
    }

    /// Wipe every secret and reset to all-zero (the state of a never
    /// initialised context).
    pub fn wipe(&mut self) {
        // Secrets first with zeroize (volatile writes), then everything with
        // one memset: through `&mut self` the stores cannot be elided, and
        // plaintext in the buffers goes too.
        self.core.wipe_secrets();
        self.core.session.clear();
        self.core.psk.wipe_key();
        #[cfg(feature = "ecc")]
        self.core.ecc.wipe();
        self.core.cookies.wipe();
        self.zero();
    }
}

/// A plausible DNS host name for SNI: letters, digits, '-' and '.', no
/// empty labels, and not an IPv4 literal (RFC 6066 forbids addresses).
pub(crate) fn valid_host_name(name: &[u8]) -> bool {
    if name.is_empty() || name.first() == Some(&b'.') || name.last() == Some(&b'.') {
        return false;
    }
    let chars_ok = name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    let labels_ok = !name.windows(2).any(|w| w == b"..");
    let ipv4 = name.iter().all(|&b| b.is_ascii_digit() || b == b'.');
    chars_ok && labels_ok && !ipv4
}

/// Process one record of a datagram.
fn process_record(
    c: &mut Core,
    reasm: &mut Reassembly,
    rx: &mut RxBuf,
    env: &mut dyn Env,
    now: u64,
    rec: &record::Record<'_>,
    resend: &mut bool,
) -> Result<(), Fatal> {
    let epoch = rec.epoch;
    let current = c.rl.read_epoch;
    if epoch > current || epoch > 1 {
        nd_drop!(
            c,
            dropped_epoch,
            "{} record in epoch {} (reading epoch {})",
            crate::log::content_name(rec.ctype),
            epoch,
            current
        );
        return Ok(());
    }
    if epoch == 1 && !c.rl.window.is_fresh(rec.seq) {
        nd_drop!(c, dropped_replay, "replayed or too old record: epoch {} seq {}", epoch, rec.seq);
        return Ok(());
    }
    let payload = if epoch == 0 {
        if rec.version != record::DTLS12 && rec.version != record::DTLS10 {
            nd_drop!(c, dropped_malformed, "record version {:#06x} is not DTLS 1.0/1.2", rec.version);
            return Ok(());
        }
        Payload::Datagram(rec.fragment)
    } else {
        // Decrypt behind the queued application data, leaving room for the
        // 2-byte length prefix of a queue item.
        let start = usize::from(rx.len) + 2;
        let end = start + rec.fragment.len();
        let Some(dst) = rx.buf.get_mut(start..end) else {
            nd_drop!(c, dropped_oversize, "protected record of {} bytes does not fit the receive buffer", end - start);
            return Ok(());
        };
        dst.copy_from_slice(rec.fragment);
        let role = c.cfg.role;
        let tag = c.rl.tag();
        match record::open_in_place(rec, c.rl.read_keys(role), tag, dst) {
            Ok(r) => Payload::Rx(start + r.start..start + r.end),
            Err(_) => {
                nd_drop!(
                    c,
                    dropped_auth,
                    "{} record failed authentication: epoch {} seq {}",
                    crate::log::content_name(rec.ctype),
                    epoch,
                    rec.seq
                );
                // Invalid records are dropped (RFC 6347 4.1.2.7). While we
                // wait for the peer's Finished, one that fails is the usual
                // sign of a wrong PSK, but it is no evidence: anybody can
                // send a record that fails authentication. So it never ends
                // the handshake; it is remembered as the likely cause and
                // reported (bad_record_mac) if the deadline passes.
                if matches!(c.state, State::ServerWaitFinished | State::ClientWaitFinished)
                    && rec.ctype == content::HANDSHAKE
                {
                    if !c.hs.rejected {
                        nd_log!(c.log =>
                            Warn,
                            "{}: a Finished record failed authentication: wrong PSK? (or a forgery); waiting until the deadline",
                            crate::log::role(c.cfg.role)
                        );
                    }
                    c.hs.note_rejection(alert::BAD_RECORD_MAC);
                }
                return Ok(());
            }
        }
    };
    if epoch == 1 {
        c.rl.window.mark(rec.seq);
        c.accepted = c.accepted.wrapping_add(1);
    }
    let old_epoch = epoch < current;
    let plain_len = match &payload {
        Payload::Datagram(d) => d.len(),
        Payload::Rx(r) => r.len(),
    };
    if plain_len > c.record_limit() {
        // Authenticated but over the negotiated limit: a protocol violation.
        if epoch > 0 {
            nd_log!(c.log =>
                Warn,
                "{}: protected record of {} bytes exceeds the record limit {}",
                crate::log::role(c.cfg.role),
                plain_len,
                c.record_limit()
            );
            return Err(Fatal::alert(alert::RECORD_OVERFLOW));
        }
        nd_drop!(c, dropped_oversize, "record of {} bytes exceeds the record limit {}", plain_len, c.record_limit());
        return Ok(());
    }
    let data: &[u8] = match &payload {
        Payload::Datagram(d) => d,
        Payload::Rx(r) => rx.buf.get(r.clone()).unwrap_or(&[]),
    };
    match rec.ctype {
        content::HANDSHAKE => {
            let mut r = Reader::new(data);
            while !r.is_empty() {
                let Ok((h, frag)) = handshake::parse_fragment(&mut r) else {
                    nd_drop!(c, dropped_malformed, "malformed handshake fragment in record seq {}", rec.seq);
                    break;
                };
                let ctx = MsgCtx { rec_seq: rec.seq, seq: h.seq, epoch };
                if old_epoch {
                    // Only a retransmission of the peer's previous flight can
                    // legitimately arrive in an older epoch.
                    c.note_old_fragment(&h, true, now, resend);
                    continue;
                }
                c.on_fragment(reasm, env, now, &ctx, &h, frag, resend)?;
                if c.state == State::Failed {
                    break;
                }
            }
            Ok(())
        }
        content::CCS => {
            if old_epoch {
                nd_drop!(c, dropped_epoch, "ChangeCipherSpec in old epoch {}", epoch);
                return Ok(());
            }
            c.on_ccs(data, epoch)
        }
        content::ALERT => {
            if old_epoch {
                // Unauthenticated alerts cannot end a protected connection.
                nd_drop!(c, dropped_epoch, "alert in old epoch {}", epoch);
                return Ok(());
            }
            c.on_alert(data)
        }
        content::APPLICATION_DATA => {
            if c.state != State::Connected || epoch != 1 {
                nd_drop!(c, dropped_unexpected, "application data in {:?}, epoch {}", c.state, epoch);
                return Ok(());
            }
            if let Payload::Rx(range) = payload {
                // Move the plaintext down to sit right after its length prefix.
                let at = usize::from(rx.len);
                let n = range.len();
                rx.buf.copy_within(range, at + 2);
                if let Some(p) = rx.buf.get_mut(at..at + 2) {
                    p.copy_from_slice(&(n as u16).to_be_bytes());
                }
                rx.len = (at + 2 + n) as u16;
                c.stats.app_records_rx = c.stats.app_records_rx.saturating_add(1);
            }
            Ok(())
        }
        content::HEARTBEAT => {
            if c.state != State::Connected || epoch != 1 {
                nd_drop!(c, dropped_unexpected, "heartbeat in {:?}, epoch {}", c.state, epoch);
                return Ok(());
            }
            c.on_heartbeat(env, now, data);
            Ok(())
        }
        _ => {
            nd_drop!(c, dropped_unexpected, "record of unknown content type {}", rec.ctype);
            Ok(())
        }
    }
}

impl Core {
    /// A heartbeat message (RFC 6520 section 4): answer requests, match
    /// responses, silently drop anything malformed (the Heartbleed class).
    fn on_heartbeat(&mut self, env: &mut dyn Env, now: u64, data: &[u8]) {
        let mut r = Reader::new(data);
        let parsed = (|| -> Result<(u8, &[u8]), Error> {
            let t = r.u8()?;
            let n = usize::from(r.u16()?);
            let payload = r.take(n)?;
            if r.remaining() < HB_PADDING {
                return Err(Error::Decode);
            }
            Ok((t, payload))
        })();
        let Ok((kind, payload)) = parsed else {
            nd_drop!(self, dropped_malformed, "malformed heartbeat message of {} bytes", data.len());
            return;
        };
        match kind {
            1 if self.hb.answer => {
                // Response: same payload, fresh random padding.
                let mut pad = [0u8; HB_PADDING];
                if env.random(&mut pad).is_err() {
                    return;
                }
                let Ok(n) = u16::try_from(payload.len()) else { return };
                let head = [2u8, (n >> 8) as u8, n as u8];
                let role = self.cfg.role;
                let start = usize::from(self.tx.len);
                let Some(region) = self.tx.buf.get_mut(start..) else { return };
                let mut w = Writer::new(region);
                if self.rl.emit(role, &mut w, content::HEARTBEAT, 1, &[&head, payload, &pad]).is_ok() {
                    self.tx.len = (start + w.len()) as u16;
                }
            }
            2 if self.hb.status == HeartbeatStatus::Pending && crate::crypto::ct_eq(payload, &self.hb.payload) => {
                self.hb.status = HeartbeatStatus::Ok;
                self.hb.rtt_ms = u32::try_from(now.saturating_sub(self.hb.sent_at)).unwrap_or(u32::MAX);
                self.hb.send_now = false;
            }
            _ => nd_drop!(self, dropped_unexpected, "unexpected heartbeat message type {}", kind),
        }
    }
    /// Ok while the connection can still be used; the sticky status otherwise.
    pub(crate) fn check_alive(&self) -> Result<(), Error> {
        match self.state {
            State::Failed | State::Closed => Err(self.sticky()),
            _ => Ok(()),
        }
    }

    pub(crate) fn sticky(&self) -> Error {
        Error::from_code(self.status).unwrap_or(Error::Internal)
    }

    fn result(&self) -> Result<(), Error> {
        match self.state {
            State::Failed => Err(self.sticky()),
            _ => Ok(()),
        }
    }

    fn check_deadline(&mut self, now: u64) -> Result<(), Error> {
        if !(self.state.handshaking() && self.hs.deadline != 0 && now >= self.hs.deadline) {
            return Ok(());
        }
        if self.hs.rejected {
            // The peer is there but what it sent was refused: tell it why.
            nd_log!(self.log =>
                Error,
                "{}: handshake deadline ({} ms) passed in {:?}; refused: {}",
                crate::log::role(self.cfg.role),
                self.cfg.handshake_timeout_ms,
                self.state,
                crate::log::alert_name(self.hs.rejected_alert)
            );
            self.queue_alert(alert::FATAL, self.hs.rejected_alert);
            self.session.clear();
        } else {
            // No alert: the peer is most likely gone.
            nd_log!(self.log =>
                Error,
                "{}: handshake deadline ({} ms) passed in {:?}: giving up",
                crate::log::role(self.cfg.role),
                self.cfg.handshake_timeout_ms,
                self.state
            );
        }
        self.state = State::Failed;
        self.status = Error::Timeout.code();
        self.flight.sending = false;
        self.flight.armed = false;
        if !self.alert_out.pending {
            self.wipe_secrets();
        }
        Err(Error::Timeout)
    }

    /// End the connection with a fatal alert; returns the status to report.
    pub(crate) fn fail(&mut self, f: Fatal) -> Error {
        if self.state == State::Failed {
            return self.sticky();
        }
        nd_log!(self.log =>
            Error,
            "{}: failed in {:?}: {}",
            crate::log::role(self.cfg.role),
            self.state,
            crate::log::Failure { err: f.err, alert: f.alert }
        );
        if f.alert != NO_ALERT {
            self.queue_alert(alert::FATAL, f.alert);
            // RFC 5246 7.2.2: a fatal alert invalidates the session.
            self.session.clear();
        }
        self.state = State::Failed;
        self.status = f.err.code();
        self.flight.sending = false;
        self.flight.armed = false;
        if !self.alert_out.pending {
            self.wipe_secrets();
        }
        f.err
    }

    pub(crate) fn queue_alert(&mut self, level: u8, description: u8) {
        // A fatal alert replaces anything pending; a warning never replaces a fatal.
        if self.alert_out.pending && self.alert_out.level == alert::FATAL && level != alert::FATAL {
            return;
        }
        nd_log!(self.log =>
            level = crate::log::alert_severity(level),
            "{}: alert sent: {} {} ({})",
            crate::log::role(self.cfg.role),
            crate::log::alert_level(level),
            crate::log::alert_name(description),
            description
        );
        self.alert_out = PendingAlert { level, description, pending: true };
        self.last_alert = AlertInfo { level, description, sent: true };
    }

    pub(crate) fn wipe_secrets(&mut self) {
        self.rl.wipe();
        self.hs.wipe();
        #[cfg(feature = "ecc")]
        self.ecc.wipe_ephemeral();
    }

    fn max_app_payload(&self) -> usize {
        let overhead = record::protected_overhead(self.rl.tag());
        let mtu = usize::from(self.cfg.mtu);
        core::cmp::min(mtu, NANODTLS_TX_BUF).saturating_sub(overhead).min(self.record_limit())
    }

    /// Largest record plaintext either side may send: 2^14, or the
    /// negotiated max_fragment_length (RFC 6066).
    pub(crate) fn record_limit(&self) -> usize {
        match self.hs.mfl_code {
            1..=4 => 1usize << (8 + u32::from(self.hs.mfl_code)),
            _ => 1 << 14,
        }
    }

    fn take_tx_records(&mut self, w: &mut Writer<'_>) -> Result<usize, Error> {
        // Whole records only, as many as fit.
        let total = usize::from(self.tx.len);
        let mut at = 0usize;
        while at < total {
            let rest = self.tx.buf.get(at..total).ok_or(Error::Internal)?;
            let mut r = Reader::new(rest);
            let rec = record::parse(&mut r).map_err(|_| Error::Internal)?;
            let n = record::HEADER_LEN + rec.fragment.len();
            if n > w.remaining() {
                break;
            }
            w.put(rest.get(..n).ok_or(Error::Internal)?)?;
            self.stats.tx_records = self.stats.tx_records.saturating_add(1);
            at += n;
        }
        self.tx.buf.copy_within(at..total, 0);
        self.tx.len = (total - at) as u16;
        Ok(at)
    }

    /// Fill one datagram from the flight at its cursor.
    fn write_flight_datagram(&mut self, w: &mut Writer<'_>) -> Result<(), Error> {
        let role = self.cfg.role;
        let limit = w.remaining();
        let tag_overhead = record::EXPLICIT_NONCE_LEN + self.rl.tag().bytes();
        while let Some((item, off)) = self.flight.current() {
            match item {
                Item::Ccs { epoch } => {
                    let need = record::HEADER_LEN + 1 + if epoch > 0 { tag_overhead } else { 0 };
                    if w.remaining() < need {
                        if w.is_empty() {
                            return Err(Error::BufferTooSmall);
                        }
                        break;
                    }
                    self.rl.emit(role, w, content::CCS, epoch, &[&[1]])?;
                    self.stats.tx_records = self.stats.tx_records.saturating_add(1);
                    self.flight.advance(0, true);
                }
                Item::Handshake { epoch, message } => {
                    let body = message.get(handshake::HEADER_LEN..).ok_or(Error::Internal)?;
                    let total = body.len();
                    let off_us = off as usize;
                    let left = total.saturating_sub(off_us);
                    let overhead =
                        record::HEADER_LEN + handshake::HEADER_LEN + if epoch > 0 { tag_overhead } else { 0 };
                    // A record's plaintext (handshake header + fragment)
                    // stays within the negotiated max_fragment_length.
                    let limit_room = self.record_limit().saturating_sub(handshake::HEADER_LEN);
                    // Room for the headers and at least one body byte (or
                    // just the headers for an empty message).
                    if w.remaining() < overhead + usize::from(left > 0) {
                        if w.is_empty() {
                            return Err(Error::BufferTooSmall);
                        }
                        break;
                    }
                    let room = (w.remaining() - overhead).min(limit_room);
                    // Prefer starting a new datagram over cutting a message
                    // that would fit whole in one.
                    if left > room && !w.is_empty() && left + overhead <= limit && left <= limit_room {
                        break;
                    }
                    let n = core::cmp::min(left, room);
                    let mut hb = [0u8; handshake::HEADER_LEN];
                    let h = FragmentHeader {
                        msg_type: message.first().copied().unwrap_or(0),
                        length: total as u32,
                        seq: message.get(4..6).map(crate::codec::be16).unwrap_or(0),
                        frag_off: off,
                        frag_len: n as u32,
                    };
                    handshake::write_header(&mut Writer::new(&mut hb), &h)?;
                    let piece = body.get(off_us..off_us + n).ok_or(Error::Internal)?;
                    self.rl.emit(role, w, content::HANDSHAKE, epoch, &[&hb, piece])?;
                    self.stats.tx_records = self.stats.tx_records.saturating_add(1);
                    let done = off_us + n >= total;
                    self.flight.advance((off_us + n) as u32, done);
                    if !done {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// A fragment of a handshake message we already have (an older
    /// message_seq, or an older epoch): only useful as a sign that the peer
    /// retransmitted the flight we answered, which makes us send ours again
    /// (RFC 6347 4.2.4). Nothing authenticates it in epoch 0, so the resend
    /// it may trigger is bounded: at most once per datagram and never within
    /// [`Core::peer_resend_gap_ms`] of our last transmission (network
    /// duplicates and forged copies arrive within it; a genuine peer
    /// retransmits only after its own timer).
    fn note_old_fragment(&mut self, h: &FragmentHeader, old_epoch: bool, now: u64, resend: &mut bool) {
        if !self.flight.answers(h.seq) {
            if old_epoch {
                nd_drop!(self, dropped_epoch, "{} seq {} in an old epoch", crate::log::msg_name(h.msg_type), h.seq);
            } else {
                nd_drop!(self, dropped_replay, "{} seq {} received before", crate::log::msg_name(h.msg_type), h.seq);
            }
            return;
        }
        if *resend {
            return;
        }
        let gap = u64::from(self.peer_resend_gap_ms());
        if self.flight.sending || now < self.flight.last_sent_at.saturating_add(gap) {
            nd_drop!(
                self,
                dropped_replay,
                "{} seq {}: peer retransmission within {} ms of ours, not answered",
                crate::log::msg_name(h.msg_type),
                h.seq,
                gap
            );
            return;
        }
        self.stats.peer_retransmits = self.stats.peer_retransmits.saturating_add(1);
        *resend = true;
    }

    /// Least time between our last transmission of a flight and a resend
    /// triggered by the peer: half the initial retransmission timeout, at
    /// most 500 ms.
    pub(crate) fn peer_resend_gap_ms(&self) -> u32 {
        (self.cfg.retransmit_initial_ms / 2).min(500)
    }

    #[allow(clippy::too_many_arguments)]
    fn on_fragment(
        &mut self,
        reasm: &mut Reassembly,
        env: &mut dyn Env,
        now: u64,
        ctx: &MsgCtx,
        h: &FragmentHeader,
        data: &[u8],
        resend: &mut bool,
    ) -> Result<(), Fatal> {
        let expected = match self.state {
            State::ServerWaitClientHello => {
                if h.msg_type != msg::CLIENT_HELLO {
                    nd_drop!(self, dropped_unexpected, "{} before a ClientHello", crate::log::msg_name(h.msg_type));
                    return Ok(());
                }
                // A stateless server adopts whatever message_seq the
                // ClientHello carries (0, or 1 after a HelloVerifyRequest).
                h.seq
            }
            State::Connected => {
                if h.seq < self.hs.recv_seq {
                    self.note_old_fragment(h, false, now, resend);
                } else {
                    self.on_renegotiation_attempt(h);
                }
                return Ok(());
            }
            _ => self.hs.recv_seq,
        };
        if h.seq < expected {
            self.note_old_fragment(h, false, now, resend);
            return Ok(());
        }
        if h.seq > expected {
            nd_drop!(
                self,
                dropped_future,
                "fragment of {} seq {} (expecting seq {})",
                crate::log::msg_name(h.msg_type),
                h.seq,
                expected
            );
            return Ok(());
        }
        let outcome = match reasm.insert(h, data) {
            Insert::Inconsistent => {
                // Nothing authenticates an epoch-0 fragment, so the one that
                // disagrees with the partial message may as well be the
                // genuine one (and the partial a forgery). The newest wins:
                // reassembly restarts with it, so a forged fragment can never
                // fix a message's length or bytes for good; it costs at most
                // one retransmission of the peer's flight.
                nd_drop!(
                    self,
                    dropped_malformed,
                    "{} seq {} fragment disagrees with the partial message: restarted",
                    crate::log::msg_name(h.msg_type),
                    h.seq
                );
                reasm.reset();
                reasm.insert(h, data)
            }
            other => other,
        };
        match outcome {
            Insert::Incomplete => Ok(()),
            Insert::Inconsistent => {
                nd_drop!(
                    self,
                    dropped_malformed,
                    "inconsistent fragment of {} seq {}",
                    crate::log::msg_name(h.msg_type),
                    h.seq
                );
                Ok(())
            }
            // Unauthenticated: a forged length must not end the handshake.
            Insert::TooLarge if ctx.epoch == 0 => {
                nd_drop!(
                    self,
                    dropped_oversize,
                    "{} of {} bytes exceeds NANODTLS_MAX_HANDSHAKE_MSG",
                    crate::log::msg_name(h.msg_type),
                    h.length
                );
                if self.state != State::ServerWaitClientHello {
                    self.hs.note_rejection(alert::INTERNAL_ERROR);
                }
                Ok(())
            }
            Insert::TooLarge => {
                nd_log!(self.log =>
                    Warn,
                    "{}: {} of {} bytes exceeds NANODTLS_MAX_HANDSHAKE_MSG",
                    crate::log::role(self.cfg.role),
                    crate::log::msg_name(h.msg_type),
                    h.length
                );
                Err(Fatal::internal(Error::TooLarge))
            }
            Insert::Complete => {
                nd_log!(self.log =>
                    Debug,
                    "{}: rx {} seq {} len {}",
                    crate::log::role(self.cfg.role),
                    crate::log::msg_name(h.msg_type),
                    h.seq,
                    h.length
                );
                let prev = self.hs.recv_seq;
                let r = match h.seq.checked_add(1) {
                    Some(next) => {
                        self.hs.recv_seq = next;
                        self.on_message(env, now, ctx, h.msg_type, reasm.message(), reasm.body())
                    }
                    None => Err(Fatal::unexpected()),
                };
                reasm.reset();
                // A ClientHello with a valid cookie came from the peer's
                // address (RFC 6347 4.2.1): its refusal is answered at once.
                let evidence = self.state == State::ServerWaitClientHello && self.hs.cookie_verified;
                match r {
                    Err(f) if ctx.epoch == 0 && f.is_rejection() && !evidence => {
                        self.hs.recv_seq = prev;
                        self.reject(h, f.alert);
                        Ok(())
                    }
                    Ok(()) => {
                        self.hs.rejected = false;
                        if ctx.epoch == 0 {
                            self.accepted = self.accepted.wrapping_add(1);
                        }
                        Ok(())
                    }
                    r => r,
                }
            }
        }
    }

    /// Refuse an epoch-0 handshake message. Nothing in epoch 0 is
    /// authenticated, so a message we cannot accept is no evidence that the
    /// peer is broken: it is discarded (RFC 6347 4.1.2.7) and the handshake
    /// waits for the genuine one. The handler returned before changing any
    /// state; here the message is counted, logged with the alert it would
    /// have caused, and that alert is remembered as the likely cause, sent
    /// if the handshake reaches its deadline.
    #[cfg_attr(not(feature = "log"), allow(unused_variables))]
    fn reject(&mut self, h: &FragmentHeader, alert: u8) {
        match alert {
            alert::DECODE_ERROR => nd_drop!(self, dropped_malformed, "malformed {}", crate::log::msg_name(h.msg_type)),
            alert::UNEXPECTED_MESSAGE => {
                nd_drop!(self, dropped_unexpected, "{} in {:?}", crate::log::msg_name(h.msg_type), self.state)
            }
            _ => nd_drop!(self, dropped_rejected, "{} refused", crate::log::msg_name(h.msg_type)),
        }
        nd_log!(self.log =>
            Info,
            "{}: {} seq {} refused ({}): discarded, epoch 0 is unauthenticated",
            crate::log::role(self.cfg.role),
            crate::log::msg_name(h.msg_type),
            h.seq,
            crate::log::alert_name(alert)
        );
        if self.state != State::ServerWaitClientHello {
            self.hs.note_rejection(alert);
        }
    }

    /// A new handshake message after the handshake: renegotiation is never
    /// done; answer with a no_renegotiation warning (RFC 5746/7925).
    fn on_renegotiation_attempt(&mut self, h: &FragmentHeader) {
        let is_reneg = match self.cfg.role {
            Role::Client => h.msg_type == msg::HELLO_REQUEST,
            Role::Server => h.msg_type == msg::CLIENT_HELLO,
        };
        if is_reneg && h.frag_off == 0 {
            self.queue_alert(alert::WARNING, alert::NO_RENEGOTIATION);
        } else {
            nd_drop!(self, dropped_unexpected, "{} after the handshake", crate::log::msg_name(h.msg_type));
        }
    }

    fn on_message(
        &mut self,
        env: &mut dyn Env,
        now: u64,
        ctx: &MsgCtx,
        msg_type: u8,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), Fatal> {
        // A single-role build (feature `client` or `server` alone) has no
        // path to the other role's handshake code, so the linker drops it;
        // init() refuses that role, so the other arm is never taken.
        match self.cfg.role {
            #[cfg(nanodtls_client)]
            Role::Client => self.client_message(env, now, ctx, msg_type, message, body),
            #[cfg(nanodtls_server)]
            Role::Server => self.server_message(env, now, ctx, msg_type, message, body),
            #[allow(unreachable_patterns)]
            _ => Err(Fatal::internal(Error::Unsupported)),
        }
    }

    fn on_ccs(&mut self, data: &[u8], epoch: u16) -> Result<(), Fatal> {
        if epoch > 0 {
            // Inside the protected epoch (authenticated): the peer broke the protocol.
            return Err(if data == [1] { Fatal::unexpected() } else { Fatal::decode() });
        }
        if data != [1] {
            nd_drop!(self, dropped_malformed, "ChangeCipherSpec with a {}-byte body", data.len());
            return Ok(());
        }
        let expected = matches!(self.state, State::ClientWaitCcs | State::ServerWaitCcs);
        if !expected || !self.rl.keys_ready {
            // Early CCS (e.g. reordered ahead of ClientKeyExchange) or a
            // duplicate: never a reason to switch keys.
            nd_drop!(self, dropped_unexpected, "early or duplicate ChangeCipherSpec in {:?}", self.state);
            return Ok(());
        }
        self.rl.read_epoch = 1;
        self.accepted = self.accepted.wrapping_add(1);
        self.state = match self.state {
            State::ClientWaitCcs => State::ClientWaitFinished,
            _ => State::ServerWaitFinished,
        };
        Ok(())
    }

    fn on_alert(&mut self, data: &[u8]) -> Result<(), Fatal> {
        let [level, desc] = data else {
            nd_drop!(self, dropped_malformed, "alert of {} bytes", data.len());
            return Ok(());
        };
        nd_log!(self.log =>
            level = crate::log::alert_severity(*level),
            "{}: alert received: {} {} ({})",
            crate::log::role(self.cfg.role),
            crate::log::alert_level(*level),
            crate::log::alert_name(*desc),
            desc
        );
        self.last_alert = AlertInfo { level: *level, description: *desc, sent: false };
        if *desc == alert::CLOSE_NOTIFY {
            if !self.close_sent && self.state == State::Connected {
                self.queue_alert(alert::WARNING, alert::CLOSE_NOTIFY);
                self.last_alert = AlertInfo { level: *level, description: *desc, sent: false };
                self.close_sent = true;
            }
            self.state = State::Closed;
            self.status = Error::Closed.code();
            self.flight.sending = false;
            self.flight.armed = false;
            if !self.alert_out.pending {
                self.wipe_secrets();
            }
            return Ok(());
        }
        if *level == alert::FATAL {
            nd_log!(self.log =>
                Error,
                "{}: failed in {:?}: {}",
                crate::log::role(self.cfg.role),
                self.state,
                Error::AlertReceived.as_str()
            );
            self.session.clear();
            self.state = State::Failed;
            self.status = Error::AlertReceived.code();
            self.flight.sending = false;
            self.flight.armed = false;
            self.alert_out.pending = false;
            self.wipe_secrets();
        }
        Ok(())
    }

    /// Derive master secret and traffic keys from the premaster secret.
    /// The transcript must already include ClientKeyExchange.
    pub(crate) fn derive_keys(&mut self, pms: &[u8]) {
        let session_hash = self.hs.ems.then(|| self.hs.transcript.digest());
        crate::keys::master_secret(
            pms,
            &self.hs.client_random,
            &self.hs.server_random,
            session_hash.as_ref(),
            &mut self.hs.master,
        );
        self.install_keys();
    }

    /// Expand the master secret into the key block.
    pub(crate) fn install_keys(&mut self) {
        let (c, s) = crate::keys::key_block(&self.hs.master, &self.hs.client_random, &self.hs.server_random);
        self.rl.client = c;
        self.rl.server = s;
        self.rl.tag16 = crate::suite::info(self.hs.suite).is_some_and(|(_, t)| t == TagLen::Sixteen);
        self.rl.keys_ready = true;
    }

    /// Append our Finished (epoch 1) to the flight and the transcript.
    pub(crate) fn push_finished(&mut self) -> Result<(), Fatal> {
        let hash = self.hs.transcript.digest();
        let vd = crate::keys::verify_data(&self.hs.master, self.cfg.role == Role::Client, &hash);
        let seq = self.next_send_seq()?;
        let m = self.flight.push_message(1, msg::FINISHED, seq, |w| w.put(&vd))?;
        self.hs.transcript.update(m);
        Ok(())
    }

    /// Check the peer's Finished against the transcript so far, then add it.
    pub(crate) fn verify_peer_finished(&mut self, message: &[u8], body: &[u8]) -> Result<(), Fatal> {
        let got = handshake::parse_finished(body).map_err(|_| Fatal::decode())?;
        let hash = self.hs.transcript.digest();
        let want = crate::keys::verify_data(&self.hs.master, self.cfg.role == Role::Server, &hash);
        if !crate::crypto::ct_eq(&got, &want) {
            nd_log!(self.log =>
                Warn,
                "{}: the peer's Finished does not verify (different keys: wrong PSK?)",
                crate::log::role(self.cfg.role)
            );
            return Err(Fatal::alert(alert::DECRYPT_ERROR));
        }
        self.hs.transcript.update(message);
        Ok(())
    }

    pub(crate) fn next_send_seq(&mut self) -> Result<u16, Fatal> {
        let s = self.hs.send_seq;
        self.hs.send_seq = s.checked_add(1).ok_or(Fatal::internal(Error::Internal))?;
        Ok(s)
    }

    /// Start sending a freshly built flight. It answers the peer flight
    /// that began at `hs.peer_flight_first` and ended before `hs.recv_seq`
    /// (empty for our first ClientHello): a retransmission of any of those
    /// messages makes us send it again.
    pub(crate) fn send_flight(&mut self, expects_reply: bool) {
        self.flight.resp_lo = self.hs.peer_flight_first;
        self.flight.resp_hi = self.hs.recv_seq;
        // RFC 6347 4.2.4.1: keep a backed-off timer until a flight goes
        // through without loss, then return to the initial value.
        if self.flight.retransmits == 0 {
            self.flight.interval_ms = self.cfg.retransmit_initial_ms;
        }
        self.flight.retransmits = 0;
        self.flight.expects_reply = expects_reply;
        self.flight.start_sending();
    }

    /// Enter the connected state.
    pub(crate) fn established(&mut self) {
        nd_log!(self.log =>
            Info,
            "{}: handshake complete: {} (0x{:04X}), resumed {}, extended master secret {}",
            crate::log::role(self.cfg.role),
            crate::suite::name(self.hs.suite),
            self.hs.suite,
            crate::log::yes(self.hs.resumed),
            crate::log::yes(self.hs.ems)
        );
        self.state = State::Connected;
        self.hs.deadline = 0;
        // Our last flight stays for resending when the peer retransmits its
        // own, but nothing is awaited any more: never arm a timer again.
        self.flight.armed = false;
        self.flight.expects_reply = false;
        self.hs.transcript.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_size_matches_the_knobs() {
        let size = core::mem::size_of::<Connection>();
        let budget = crate::sizes::CONN_BYTES;
        assert!(
            size <= budget && budget - size < 64,
            "Connection is {size} bytes, CONN_BYTES {budget}: adjust CONN_STATE_BYTES in build.rs"
        );
    }

    /// Both roles in the default build; in a single-role build (run by
    /// scripts/test.sh with `--features psk,client` and `psk,server`) the
    /// other role is refused with Unsupported, by Connection and Endpoint.
    #[test]
    fn roles_of_this_build() {
        for role in [Role::Client, Role::Server] {
            let mut c = Connection::new_box_zeroed().unwrap();
            let r = c.init(&Config::new(role));
            if crate::config::role_built(role) {
                assert_eq!(r, Ok(()), "{role:?}");
            } else {
                assert_eq!(r, Err(Error::Unsupported), "{role:?}");
                assert_eq!(c.state(), State::Idle, "a refused init leaves the connection zeroed");
            }
        }
        let mut ep = crate::endpoint::Endpoint::new_box_zeroed().unwrap();
        let r = ep.init(&Config::new(Role::Server), 0, 1000);
        assert_eq!(r.is_ok(), crate::config::role_built(Role::Server));
        assert!(crate::config::role_built(Role::Client) || crate::config::role_built(Role::Server));
        assert_eq!(
            crate::config::role_built(Role::Client) && crate::config::role_built(Role::Server),
            cfg!(all(nanodtls_client, nanodtls_server))
        );
    }

    #[test]
    fn zeroed_connection_is_inert() {
        let mut c = Connection::new_box_zeroed().unwrap();
        assert_eq!(c.state(), State::Idle);
        let mut out = [0u8; 64];
        assert_eq!(c.poll_datagram(0, &mut out), Ok(None));
        assert_eq!(c.read(&mut out), Ok(None));
        assert_eq!(c.write(b"x"), Err(Error::WrongState));
        assert_eq!(c.timeout_ms(0), None);
    }
}
