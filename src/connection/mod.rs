//! One DTLS connection: the sans-IO engine behind both roles.
//!
//! A [`Connection`] never touches a socket, a clock or an RNG. The caller
//! feeds datagrams in ([`Connection::feed`], `incoming.rs`: records are
//! decrypted in place, application data is left where it arrived), polls
//! datagrams out ([`Connection::poll_datagram`], `outgoing.rs`: our flight
//! is written from the handshake state straight into the caller's buffer),
//! writes application data straight into the caller's datagram buffer
//! (`appdata.rs`), reports the time, and passes an [`Env`] for randomness,
//! PSK lookup, key verdicts and the session cache. No datagram, record or
//! flight is stored: the struct holds only the state, and is valid when
//! all-zero so C can place it in `static` storage.
//!
//! The association's state and transitions are in `crate::association`;
//! the handshake state machines in `crate::client` and `crate::server`,
//! which `incoming.rs` calls for each complete handshake message.
//!
//! Why ~820 lines: the engine's public API (one documented method per
//! operation the C API and the endpoint call) and ~100 lines of unit
//! tests; the receive path, the send path, application data and CID
//! handling are already in the child files.

mod appdata;
#[cfg(feature = "cid")]
mod cid;
mod incoming;
mod outgoing;

pub use incoming::Fed;

use zerocopy::FromZeros;

use crate::alert::{self, AlertInfo};
pub use crate::association::heartbeat::HeartbeatStatus;
use crate::association::Association;
pub use crate::association::{State, Stats};
use crate::auth::Credentials;
use crate::config::{Config, Role};
use crate::env::Env;
use crate::error::Error;
#[cfg(feature = "log")]
use crate::handshake::msg;
use crate::handshake::reassembly::Reassembly;
use crate::session::SessionData;
use crate::sizes::NANODTLS_MAX_SERVER_NAME;

/// The engine of one peer: everything of a connection but its
/// credentials, which the calls that need them get from the owner (a
/// [`Connection`] has its own; an endpoint's peers share the endpoint's).
/// The read-only API of a connection is here (a `Connection` derefs to
/// its engine).
#[derive(FromZeros)]
#[repr(C)]
pub struct Engine {
    pub(crate) assoc: Association,
    pub(crate) reasm: Reassembly,
}

impl Engine {
    /// Reset `self` (which may hold anything, e.g. a previous connection) to
    /// a fresh connection with `cfg`. Secrets of the previous use are wiped
    /// by zeroing the whole structure first.
    pub fn init(&mut self, cfg: &Config) -> Result<(), Error> {
        cfg.validate()?;
        #[cfg(feature = "log")]
        let sink = self.assoc.log;
        #[cfg(feature = "keylog")]
        let keylog = self.assoc.keylog;
        let engine = self.assoc.rl.engine;
        self.zero();
        #[cfg(feature = "log")]
        {
            self.assoc.log = sink;
        }
        #[cfg(feature = "keylog")]
        {
            self.assoc.keylog = keylog;
        }
        self.assoc.rl.engine = engine;
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
        self.assoc.cfg = *cfg;
        self.assoc.state = match cfg.role {
            Role::Client => State::Idle,
            Role::Server => State::ServerWaitClientHello,
        };
        self.assoc.flight.clear();
        self.assoc.flight.interval_ms = cfg.retransmit_initial_ms;
        self.assoc.hs.transcript.reset();
        Ok(())
    }

    /// SHA-256 of the peer's SubjectPublicKeyInfo, once accepted.
    pub fn peer_key_hash(&self) -> Option<[u8; 32]> {
        #[cfg(feature = "ecc")]
        return self.assoc.hs.ecc.has_peer.then_some(self.assoc.hs.ecc.peer_hash);
        #[cfg(not(feature = "ecc"))]
        None
    }

    /// Certificate mode (feature `x509`): the identity the peer's X.509
    /// chain proved (a server's name, a client's EUI-64), or why it was
    /// refused ([`crate::auth::x509::trust::PeerX509::refused`]); empty
    /// before the peer's Certificate, and when no trust anchor is
    /// configured (pinning). After a resumption: what the chain proved in
    /// the full handshake (kept in the session, docs/x509.md).
    #[cfg(feature = "x509")]
    pub fn x509_peer(&self) -> crate::auth::x509::trust::PeerX509 {
        self.assoc.x509_peer
    }

    /// Server, client certificate URLs (feature `cert-url`): true while
    /// the handshake is paused on a CertificateURL for which
    /// `Env::fetch_client_certificates` answered `Pending`.
    #[cfg(feature = "cert-url")]
    pub fn cert_url_paused(&self) -> bool {
        self.assoc.hs.cert_url_paused
    }

    /// Server, client certificate URLs: resume a paused handshake with the
    /// fetched certificates (`Some`: DER back to back, in the order of
    /// the URLs, borrowed for the call) or refuse (`None`: fatal
    /// certificate_unobtainable). Each certificate is checked against its
    /// SHA-1 (bad_certificate_hash_value on a mismatch), then validated as
    /// a Certificate message's; a failure fails the connection with the
    /// alert (polled next) and returns the sticky error. Not paused:
    /// `WrongState` (nothing changes); past the handshake deadline:
    /// `Timeout`. After a successful resume the handshake continues with
    /// the client's next retransmission of its flight.
    #[cfg(all(feature = "cert-url", nanodtls_server))]
    pub fn provide_client_certificates(
        &mut self,
        creds: &Credentials,
        env: &dyn Env,
        now: u64,
        der: Option<&[u8]>,
    ) -> Result<(), Error> {
        let c = &mut self.assoc;
        c.check_alive()?;
        if !c.hs.cert_url_paused {
            return Err(Error::WrongState);
        }
        c.check_deadline(now)?;
        c.cert_url_resume(env, creds, der)
    }

    /// Server: the PSK identity the client used (once its ClientKeyExchange
    /// or resumed session told us; empty before, and on a client).
    pub fn peer_psk_identity(&self) -> &[u8] {
        // AuthzCert keeps the trust anchor id there (no PSK identity).
        #[cfg(feature = "authz-cert")]
        if self.assoc.hs.ttp.mode == crate::auth::TTP_AUTHZ_CERT {
            return &[];
        }
        self.assoc.hs.peer_identity()
    }

    /// Server: the client authenticated through a trust anchor (DerivedKey
    /// or AuthzCert), once its handshake succeeded: trust anchor id, client
    /// id and seq.
    #[cfg(nanodtls_ttp)]
    pub fn trust_anchor_peer(&self) -> Option<crate::auth::TtpPeer<'_>> {
        #[cfg(feature = "ecc")]
        let hash = &self.assoc.hs.ecc.peer_hash[..];
        #[cfg(not(feature = "ecc"))]
        let hash = &[][..];
        self.assoc.hs.ttp.peer(self.assoc.hs.peer_identity(), hash)
    }

    /// True while the credentials may change (before the handshake starts).
    fn configurable(&self) -> bool {
        matches!(self.assoc.state, State::Idle | State::ServerWaitClientHello)
    }

    /// Client: start the handshake with `creds` (sends flight 1 on the next poll).
    pub(crate) fn connect(&mut self, creds: &Credentials, env: &mut dyn Env, now: u64) -> Result<(), Error> {
        if self.assoc.cfg.role != Role::Client || self.assoc.state != State::Idle {
            return Err(Error::WrongState);
        }
        #[cfg(nanodtls_client)]
        {
            let c = &mut self.assoc;
            if !c.choose_offered_suites(env, creds) {
                nd_log!(c.log => Error, "client: connect: no credentials for any configured cipher suite");
                return Err(Error::NoCredentials);
            }
            match c.start_client(env, now, creds) {
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
            let _ = (creds, env, now);
            Err(Error::Unsupported)
        }
    }

    /// Wipe every secret and reset to all-zero (the state of a never
    /// initialised engine).
    pub fn wipe(&mut self) {
        // Secrets first with zeroize (volatile writes), then everything with
        // one memset: through `&mut self` the stores cannot be elided, and
        // plaintext in the buffers goes too.
        self.assoc.wipe_secrets();
        self.assoc.forget_session();
        self.assoc.cookies.wipe();
        self.zero();
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.assoc.state
    }

    /// Role.
    pub fn role(&self) -> Role {
        self.assoc.cfg.role
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.assoc.cfg
    }

    /// Statistics.
    pub fn stats(&self) -> &Stats {
        &self.assoc.stats
    }

    /// The last alert sent or received (level 0 if none).
    pub fn last_alert(&self) -> AlertInfo {
        self.assoc.last_alert
    }

    /// The negotiated cipher suite (0 before ServerHello).
    pub fn suite(&self) -> u16 {
        self.assoc.hs.suite
    }

    /// True if the extended master secret was negotiated.
    pub fn extended_master_secret(&self) -> bool {
        self.assoc.hs.ems
    }

    /// Sticky failure status, if the connection failed or closed.
    pub fn failure(&self) -> Option<Error> {
        Error::from_code(self.assoc.status)
    }

    /// Milliseconds until [`Self::handle_timeout`] must be called, or
    /// None if no timer runs.
    pub fn timeout_ms(&self, now: u64) -> Option<u64> {
        let c = &self.assoc;
        let mut at: Option<u64> = None;
        if let Some(t) = c.flight.deadline() {
            at = Some(t);
        }
        if c.state.handshaking() && c.hs.deadline != 0 {
            at = Some(at.map_or(c.hs.deadline, |a| a.min(c.hs.deadline)));
        }
        if let Some(hb) = c.heartbeat_deadline() {
            at = Some(at.map_or(hb, |a| a.min(hb)));
        }
        at.map(|t| t.saturating_sub(now))
    }

    /// Handle expired timers: retransmit the current flight (doubling the
    /// interval up to the cap) or fail the handshake at its deadline.
    pub fn handle_timeout(&mut self, now: u64) -> Result<(), Error> {
        let c = &mut self.assoc;
        c.check_alive()?;
        c.check_deadline(now)?;
        if c.flight.on_timeout(now, c.cfg.retransmit_max_ms) {
            c.stats.retransmits = c.stats.retransmits.saturating_add(1);
            nd_log!(c.log =>
                Info,
                "{}: timeout in {:?}: retransmitting flight (retransmission {}), next timeout {} ms",
                crate::log::role(c.cfg.role),
                c.state,
                c.flight.retransmits,
                c.flight.interval_ms
            );
            // A peer whose PSK differs cannot decrypt our Finished; some
            // (OpenSSL, GnuTLS) drop it without an alert. Once its first
            // retransmission went unanswered too, name the likely cause.
            #[cfg(feature = "log")]
            if c.flight.retransmits == 2 && c.flight.has_message(msg::FINISHED) {
                nd_log!(c.log =>
                    Warn,
                    "{}: no answer to our Finished, sent twice: wrong PSK? (the peer may drop it silently)",
                    crate::log::role(c.cfg.role)
                );
            }
        }
        c.heartbeat_timeout(now);
        Ok(())
    }

    /// Send a heartbeat request (RFC 6520) as a keep-alive. Only when
    /// connected and heartbeat was negotiated (`Unsupported` otherwise);
    /// `WouldBlock` while a request is still waiting for its response.
    /// The request is retransmitted on the retransmission timer; after
    /// three retransmissions without response the status becomes Failed.
    pub fn heartbeat(&mut self, env: &mut dyn Env, now: u64) -> Result<(), Error> {
        self.assoc.check_alive()?;
        self.assoc.start_heartbeat(env, now)
    }

    /// Outcome of the last heartbeat request and its round-trip time in ms
    /// (valid when Ok).
    pub fn heartbeat_status(&self) -> (HeartbeatStatus, u32) {
        (self.assoc.hb.status, self.assoc.hb.rtt_ms)
    }

    /// True if heartbeat was negotiated and we may send requests.
    pub fn heartbeat_negotiated(&self) -> bool {
        self.assoc.hb.may_send
    }

    /// Client: the server_name (SNI, RFC 6066) to send: a DNS host name,
    /// 1..=NANODTLS_MAX_SERVER_NAME bytes, not an IP address literal.
    pub fn set_server_name(&mut self, name: &[u8]) -> Result<(), Error> {
        if self.assoc.cfg.role != Role::Client || self.assoc.state != State::Idle {
            return Err(Error::WrongState);
        }
        if !crate::handshake::ext::valid_host_name(name) || name.len() > NANODTLS_MAX_SERVER_NAME {
            return Err(Error::InvalidArgument);
        }
        self.assoc.sni.get_mut(..name.len()).ok_or(Error::Internal)?.copy_from_slice(name);
        self.assoc.sni_len = name.len() as u8;
        Ok(())
    }

    /// The server_name: the one we send (client) or the one the client
    /// asked for (server; empty if none).
    pub fn server_name(&self) -> &[u8] {
        self.assoc.sni.get(..usize::from(self.assoc.sni_len)).unwrap_or(&[])
    }

    /// The largest record plaintext we may send: the peer's
    /// record_size_limit (RFC 8449), else the negotiated
    /// max_fragment_length (RFC 6066), else 16384.
    pub fn record_limit(&self) -> usize {
        self.assoc.record_limit()
    }

    /// record_size_limit (RFC 8449) if negotiated: (ours, the peer's).
    /// Our protected records stay within the peer's value; a protected
    /// record above ours is answered with record_overflow.
    pub fn record_size_limits(&self) -> Option<(u16, u16)> {
        let hs = &self.assoc.hs;
        (hs.rsl_peer != 0).then_some((hs.rsl_own, hs.rsl_peer))
    }

    /// True if this handshake resumed a session (abbreviated handshake).
    pub fn resumed(&self) -> bool {
        self.assoc.hs.resumed
    }

    /// Client: true if a resumable session is held (after a full handshake
    /// with a server that issued a session ID, or after an import).
    pub fn has_session(&self) -> bool {
        self.assoc.session.valid
    }

    /// Client: serialise the resumable session (for flash or retained RAM
    /// across deep sleep). THE BLOB CONTAINS THE MASTER SECRET: store it
    /// where only this device can read it. At most
    /// [`crate::session::MAX_BLOB`] bytes.
    pub fn export_session(&self, out: &mut [u8]) -> Result<usize, Error> {
        if self.assoc.cfg.role != Role::Client {
            return Err(Error::WrongState);
        }
        #[cfg(feature = "tickets")]
        let (t, hint) = (self.assoc.ticket.ticket(), self.assoc.ticket.lifetime_hint);
        #[cfg(not(feature = "tickets"))]
        let (t, hint): (&[u8], u32) = (&[], 0);
        crate::session::export_with_ticket(&self.assoc.session, t, hint, out)
    }

    /// Session tickets (RFC 5077) on or off (`Config::tickets`): before
    /// connect (client) or the first ClientHello (server).
    #[cfg(feature = "tickets")]
    pub fn set_tickets(&mut self, on: bool) -> Result<(), Error> {
        if !matches!(self.assoc.state, State::Idle | State::ServerWaitClientHello) || self.assoc.hs.send_seq != 0 {
            return Err(Error::WrongState);
        }
        self.assoc.cfg.tickets = on;
        Ok(())
    }

    /// True if the last handshake resumed a session from an RFC 5077
    /// ticket (feature `tickets`; see [`Engine::resumed`]).
    #[cfg(feature = "tickets")]
    pub fn resumed_by_ticket(&self) -> bool {
        self.assoc.hs.resumed && self.assoc.hs.ticket_used
    }

    /// Client: the length of the session ticket held (0: none).
    #[cfg(feature = "tickets")]
    pub fn ticket_len(&self) -> usize {
        self.assoc.ticket.ticket().len()
    }

    /// Client: load a session exported earlier, to be offered by connect().
    /// A corrupted, truncated or foreign blob is refused with
    /// `InvalidArgument` and changes nothing. A blob with a ticket (version
    /// 2, feature `tickets`) is refused with `Unsupported` by builds
    /// without that feature; version 1 blobs (no ticket) import everywhere.
    pub fn import_session(&mut self, blob: &[u8]) -> Result<(), Error> {
        if self.assoc.cfg.role != Role::Client || self.assoc.state != State::Idle {
            return Err(Error::WrongState);
        }
        let mut tmp = SessionData::new_zeroed();
        let r = crate::session::import_with_ticket(blob, &mut tmp);
        if let Ok((_t, _hint)) = r {
            self.assoc.forget_session();
            self.assoc.session = tmp.clone();
            #[cfg(feature = "tickets")]
            if !_t.is_empty() {
                self.assoc.ticket.set(_t, _hint);
            }
        }
        tmp.clear();
        r.map(|_| ())
    }

    /// Send close_notify and close. Idempotent.
    pub fn close(&mut self) -> Result<(), Error> {
        let c = &mut self.assoc;
        match c.state {
            State::Closed | State::Failed => return Ok(()),
            State::Idle | State::ServerWaitClientHello => {}
            _ => c.queue_alert(alert::WARNING, alert::CLOSE_NOTIFY),
        }
        c.close_sent = true;
        c.enter_terminal(State::Closed, Error::Closed);
        Ok(())
    }

    /// Authenticated records and accepted epoch-0 handshake messages so far
    /// (wrapping): the endpoint counts only these as a peer's activity.
    pub(crate) fn accepted_input(&self) -> u32 {
        self.assoc.accepted
    }

    /// The client random of the current (or last) handshake.
    pub(crate) fn client_random(&self) -> &[u8; 32] {
        &self.assoc.hs.client_random
    }

    /// Send this connection's debug log to `sink` (feature `log`; `None`:
    /// not logged, the default). What is logged is set for all
    /// connections by [`crate::log::set_max_level`].
    #[cfg(feature = "log")]
    pub fn set_log_sink(&mut self, sink: crate::log::LogSink) {
        self.assoc.log = sink;
    }

    /// Hand this connection's NSS key log lines to `sink` (feature
    /// `keylog`; `None`: no key log, the default): one line per handshake,
    /// full or resumed, when its traffic keys are installed. Kept across
    /// [`Engine::init`].
    #[cfg(feature = "keylog")]
    pub fn set_keylog_sink(&mut self, sink: crate::keylog::KeyLogSink) {
        self.assoc.keylog = sink;
    }

    /// Do this connection's AES-CCM (records, and a server's session
    /// tickets) with `hook` (feature `aes-hook`; `None`: the built-in AES,
    /// the default). Kept across [`Engine::init`]. A failing hook fails the
    /// connection closed with [`Error::Crypto`] (see
    /// [`crate::crypto::hook`]).
    #[cfg(feature = "aes-hook")]
    pub fn set_aes_hook(&mut self, hook: Option<&'static crate::crypto::hook::AesHook>) {
        self.assoc.rl.engine = hook;
    }

    /// Endpoint: the ClientHello about to be fed came with a valid cookie
    /// (the endpoint did the exchange), so refusing it is answered at once.
    pub(crate) fn mark_cookie_verified(&mut self) {
        self.assoc.hs.cookie_verified = true;
    }

    /// Test support (only with the `std` feature, which firmware builds never
    /// enable): protect `payload` as one record of `ctype` in `epoch` with
    /// this connection's write keys and sequence numbers, as a misbehaving
    /// peer would. Returns the record.
    #[cfg(feature = "std")]
    #[doc(hidden)]
    pub fn test_record(&mut self, ctype: u8, epoch: u16, payload: &[u8]) -> Result<std::vec::Vec<u8>, Error> {
        let mut buf = [0u8; 2048];
        let mut w = crate::codec::Writer::new(&mut buf);
        let role = self.assoc.cfg.role;
        self.assoc.rl.emit(role, &mut w, ctype, epoch, &[payload])?;
        Ok(w.written().to_vec())
    }

    /// Test support: make a client behave like a stack without RFC 7250
    /// (no certificate type extensions: X.509 certificates both ways).
    #[cfg(feature = "std")]
    #[doc(hidden)]
    pub fn test_without_raw_public_keys(&mut self) {
        self.assoc.hs.no_rpk_offer = true;
    }

    /// Test support: next handshake message_seq this side will send.
    #[cfg(feature = "std")]
    #[doc(hidden)]
    pub fn test_next_send_seq(&self) -> u16 {
        self.assoc.hs.send_seq
    }
}

/// A DTLS 1.2 connection (one peer, either role): an [`Engine`] and its
/// own [`Credentials`]. The engine's read-only API (state, stats, poll,
/// read, write, timers ...) is reached through `Deref`; what needs the
/// credentials (connect, feed, the credential setters) is here.
#[derive(FromZeros)]
#[repr(C)]
pub struct Connection {
    pub(crate) engine: Engine,
    pub(crate) creds: Credentials,
}

impl core::ops::Deref for Connection {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        &self.engine
    }
}

impl core::ops::DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }
}

impl Connection {
    /// Reset `self` (which may hold anything, e.g. a previous connection) to
    /// a fresh connection with `cfg` and no credentials. Secrets of the
    /// previous use are wiped by zeroing the whole structure first.
    pub fn init(&mut self, cfg: &Config) -> Result<(), Error> {
        cfg.validate()?;
        self.creds.wipe();
        self.creds.zero();
        self.engine.init(cfg)
    }

    /// [`Connection::init`] for a connection that is already all-zero.
    pub(crate) fn init_zeroed(&mut self, cfg: &Config) -> Result<(), Error> {
        self.engine.init_zeroed(cfg)
    }

    /// The credentials (read-only).
    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }

    /// The PSK identity in use: ours (client) or the client's (server, once
    /// its ClientKeyExchange or resumed session told us; empty before).
    pub fn psk_identity(&self) -> &[u8] {
        match self.engine.role() {
            Role::Server => self.engine.peer_psk_identity(),
            Role::Client => self.creds.psk.identity(),
        }
    }

    /// Set the PSK: client identity and key, or the single key a server
    /// accepts (with the identity it expects). Copied in; wiped at deinit.
    pub fn set_psk(&mut self, identity: &[u8], key: &[u8]) -> Result<(), Error> {
        if !self.engine.configurable() {
            return Err(Error::WrongState);
        }
        self.creds.psk.set(identity, key)
    }

    /// Server: the PSK identity hint sent in ServerKeyExchange (empty: no
    /// ServerKeyExchange is sent). At most 32 bytes.
    pub fn set_psk_hint(&mut self, hint: &[u8]) -> Result<(), Error> {
        if self.engine.role() != Role::Server || self.engine.state() != State::ServerWaitClientHello {
            return Err(Error::WrongState);
        }
        self.creds.psk.set_hint(hint)
    }

    /// Our private key for ECDHE_ECDSA: a raw 32-byte P-256 scalar, SEC1
    /// `ECPrivateKey` DER or PKCS#8 DER. Copied in; wiped at deinit.
    /// `Unsupported` in builds without the `ecc` feature.
    pub fn set_own_key(&mut self, key: &[u8]) -> Result<(), Error> {
        if !self.engine.configurable() {
            return Err(Error::WrongState);
        }
        self.creds.set_own_key(key)
    }

    /// Our public key (SubjectPublicKeyInfo DER) for ECDHE_ECDSA whose
    /// private key stays outside the library, e.g. in a secure element:
    /// the [`Env`] given to the calls that run the handshake signs with it
    /// ([`Env::sign_hash`]). Replaces (and wipes) a key set with
    /// [`Connection::set_own_key`]. `InvalidArgument` for anything but a
    /// P-256 SPKI; `Unsupported` without the `ecc` feature.
    pub fn set_own_public_key(&mut self, spki: &[u8]) -> Result<(), Error> {
        if !self.engine.configurable() {
            return Err(Error::WrongState);
        }
        self.creds.set_own_public_key(spki)
    }

    /// Our SubjectPublicKeyInfo (DER, 91 bytes), if a key is set.
    pub fn own_spki(&self) -> Option<[u8; 91]> {
        self.creds.own_spki()
    }

    /// Server: the trust anchor table (DerivedKey, AuthzCert; docs/ttp.md).
    /// Anchors may be added, reset, revoked or removed at any time: a
    /// handshake in progress is checked again when it completes.
    #[cfg(nanodtls_ttp)]
    pub fn trust_anchors_mut(&mut self) -> &mut crate::auth::ta::TrustAnchors {
        &mut self.creds.ta
    }

    /// Trust a peer raw public key given as SubjectPublicKeyInfo DER.
    pub fn add_trusted_key(&mut self, spki: &[u8]) -> Result<(), Error> {
        self.creds.add_trusted_key(spki)
    }

    /// Client, AuthzCert (docs/ttp.md): pin the resource server's key (a
    /// P-256 SubjectPublicKeyInfo DER or an X.509 certificate DER; only the
    /// point is kept). With it, our key and a MacCert from the environment
    /// (`Env::authz_cert`), the client offers AuthzCert.
    #[cfg(feature = "authz-cert")]
    pub fn set_authz_server_key(&mut self, spki_or_cert: &[u8]) -> Result<(), Error> {
        if !self.engine.configurable() {
            return Err(Error::WrongState);
        }
        self.creds.authz.set_server_key(spki_or_cert)
    }

    /// The AuthzCert certificate type codepoint (both roles; default 3,
    /// see docs/ttp.md). `InvalidArgument` for 0 (X.509) or 2 (RawPublicKey).
    #[cfg(feature = "authz-cert")]
    pub fn set_authz_cert_type(&mut self, t: u8) -> Result<(), Error> {
        if !self.engine.configurable() {
            return Err(Error::WrongState);
        }
        self.creds.ta.set_authz_cert_type(t)
    }

    /// Certificate-mode settings (feature `x509`): the name a server's
    /// certificate must carry, the client identity rule. The trust anchors
    /// themselves are lent by [`Env::x509_anchor`].
    #[cfg(feature = "x509")]
    pub fn x509_settings_mut(&mut self) -> &mut crate::auth::x509::trust::X509Settings {
        &mut self.creds.x509
    }

    /// Trust a peer raw public key given as the SHA-256 of its SubjectPublicKeyInfo.
    pub fn add_trusted_key_hash(&mut self, hash: &[u8; 32]) -> Result<(), Error> {
        self.creds.add_trusted_key_hash(hash)
    }

    /// True if the X.509 certificate `der` carries our public key (so it
    /// can be presented to peers that cannot use raw public keys).
    pub fn certificate_matches_own_key(&self, der: &[u8]) -> bool {
        self.creds.certificate_matches_own_key(der)
    }

    /// Client: start the handshake (sends flight 1 on the next poll).
    pub fn connect(&mut self, env: &mut dyn Env, now: u64) -> Result<(), Error> {
        self.engine.connect(&self.creds, env, now)
    }

    /// Server, client certificate URLs: hand in the certificates of a
    /// paused handshake (see `Engine::provide_client_certificates`).
    #[cfg(all(feature = "cert-url", nanodtls_server))]
    pub fn provide_client_certificates(&mut self, env: &dyn Env, now: u64, der: &[u8]) -> Result<(), Error> {
        self.engine.provide_client_certificates(&self.creds, env, now, Some(der))
    }

    /// Server, client certificate URLs: refuse a paused handshake (fatal
    /// certificate_unobtainable; `WrongState` when not paused).
    #[cfg(all(feature = "cert-url", nanodtls_server))]
    pub fn refuse_client_certificates(&mut self, env: &dyn Env, now: u64) -> Result<(), Error> {
        self.engine.provide_client_certificates(&self.creds, env, now, None)
    }

    /// Feed one received datagram, decrypted in place (see `Engine::feed`).
    pub fn feed(&mut self, env: &mut dyn Env, now: u64, datagram: &mut [u8]) -> Result<Fed, Error> {
        self.engine.feed(&self.creds, env, now, datagram)
    }

    /// Produce the next datagram to send (see `Engine::poll_datagram`).
    pub fn poll_datagram(&mut self, env: &dyn Env, now: u64, out: &mut [u8]) -> Result<Option<usize>, Error> {
        self.engine.poll_datagram(&self.creds, env, now, out)
    }

    /// Wipe every secret and reset to all-zero (the state of a never
    /// initialised context).
    pub fn wipe(&mut self) {
        self.creds.wipe();
        self.engine.wipe();
        self.zero();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_knobs() {
        for (what, size, budget, knob) in [
            ("Engine", core::mem::size_of::<Engine>(), crate::sizes::ENGINE_BYTES, "ENGINE_STATE_BYTES"),
            ("Credentials", core::mem::size_of::<Credentials>(), crate::sizes::CREDS_BYTES, "CREDS_BYTES"),
            ("Connection", core::mem::size_of::<Connection>(), crate::sizes::CONN_BYTES, "ENGINE_STATE_BYTES"),
        ] {
            assert!(
                size <= budget && budget - size < 64,
                "{what} is {size} bytes, the budget {budget}: adjust {knob} in build.rs"
            );
        }
    }

    /// Where the bytes of an engine go, for embedded/README.md's RAM table
    /// (`cargo test --lib --no-default-features --features psk,small
    /// ram_breakdown -- --nocapture`); the parts add up to the whole.
    #[test]
    fn ram_breakdown() {
        use core::mem::size_of_val;
        let e = Engine::new_box_zeroed().unwrap();
        let a = &e.assoc;
        #[cfg(feature = "cid")]
        let cid = size_of_val(&a.rl.cid);
        #[cfg(not(feature = "cid"))]
        let cid = 0;
        let parts = [
            ("reassembly (message + fragment bitmap)", size_of_val(&e.reasm)),
            ("handshake (randoms, transcript, cookie, PSK identity, keys in progress)", size_of_val(&a.hs)),
            ("record state (keys, IVs, record numbers, replay window)", size_of_val(&a.rl) - cid),
            ("connection IDs (RFC 9146, feature cid: both CIDs, lengths, move counter)", cid),
            ("flight (items, timer)", size_of_val(&a.flight)),
            ("pending HelloVerifyRequest", size_of_val(&a.hvr)),
            ("cookie secrets", size_of_val(&a.cookies)),
            ("session (master secret, id, peer identity)", size_of_val(&a.session)),
            #[cfg(feature = "tickets")]
            ("session ticket (RFC 5077, NANODTLS_MAX_TICKET + hint, length)", size_of_val(&a.ticket)),
            ("server name", size_of_val(&a.sni)),
            ("heartbeat (echo store)", size_of_val(&a.hb)),
            ("statistics", size_of_val(&a.stats)),
            ("config", size_of_val(&a.cfg)),
        ];
        let mut sum = 0;
        for (what, n) in parts {
            std::println!("{n:6}  {what}");
            sum += n;
        }
        let total = core::mem::size_of::<Engine>();
        std::println!("{:6}  rest (alerts, state, flags, padding)\n{total:6}  Engine", total - sum);
        assert!(sum <= total && total - sum < 128, "a field is missing from the breakdown");
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
        struct NoEnv;
        impl Env for NoEnv {
            fn random(&mut self, _: &mut [u8]) -> Result<(), Error> {
                Err(Error::Rng)
            }
        }
        let mut out = [0u8; 64];
        assert_eq!(c.poll_datagram(&NoEnv, 0, &mut out), Ok(None));
        assert_eq!(c.feed(&mut NoEnv, 0, &mut out), Err(Error::WrongState));
        assert_eq!(c.write(b"x", &mut out), Err(Error::WrongState));
        assert_eq!(c.timeout_ms(0), None);
    }
}
