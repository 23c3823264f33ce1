//! One DTLS association (RFC 6347 section 4.2.8): its state, shared by the
//! record pipeline (`connection/`) and the role state machines
//! (`client/`, `server/`), and the transitions both use: keys, flights,
//! Finished, connected, failed, closed, the handshake deadline.
//!
//! Layering: `connection/` calls the roles, the roles and `connection/`
//! call this module, and this module calls only the protocol parts below
//! it (handshake, record, flight, keys, alert); never up.

pub mod heartbeat;

use zerocopy::FromZeros;

use crate::alert::{self, AlertInfo, PendingAlert, NO_ALERT};
use crate::auth::Credentials;
use crate::codec::Writer;
use crate::config::{Config, Role};
use crate::cookie::CookieKeys;
use crate::crypto::aead::TagLen;
use crate::env::Env;
use crate::error::{Error, Fatal};
use crate::flight::{self, Flight, Item};
use crate::handshake::msg;
use crate::handshake::state::Handshake;
use crate::record::{self, RecordState};
use crate::session::SessionData;
use crate::sizes::NANODTLS_MAX_SERVER_NAME;

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
    /// Records whose connection ID does not fit the association (RFC
    /// 9146): a protected record without CID where the peer must send
    /// ours, a tls12_cid record with another CID, or one where no CID was
    /// negotiated.
    pub dropped_cid: u32,
}

/// A HelloVerifyRequest waiting to be polled (single-connection server;
/// the endpoint keeps its own queue). Stateless: the record number and
/// message_seq mirror the ClientHello's (RFC 6347 4.2.1).
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct PendingHvr {
    pub cookie: [u8; crate::cookie::COOKIE_LEN],
    pub record_seq: u64,
    pub message_seq: u16,
    pub pending: bool,
}

/// Writes the body of one of our handshake messages from [`Sources`]:
/// `client::write_body` or `server::write_body`.
pub(crate) type BodyFn = fn(&Sources<'_>, u8, &mut Writer<'_>) -> Result<(), Error>;

/// What our handshake messages are written from: the handshake state, the
/// configuration, the credentials and what the environment lends (our
/// certificate). The same sources give the same bytes, so a flight is
/// written again for each retransmission rather than stored.
pub(crate) struct Sources<'a> {
    pub hs: &'a Handshake,
    pub cfg: &'a Config,
    /// Client: the server_name we send; server: the one received.
    pub sni: &'a [u8],
    /// Client: the session offered for resumption.
    pub session: &'a SessionData,
    /// Client: the ticket offered; server: the ticket being sent.
    #[cfg(feature = "tickets")]
    pub ticket: &'a crate::session_ticket::ClientTicket,
    /// Negotiated: we answer the peer's heartbeat requests.
    pub hb_answer: bool,
    /// The connection IDs (ours is offered or answered).
    #[cfg(feature = "cid")]
    pub cid: &'a crate::record::cid::CidState,
    pub creds: &'a Credentials,
    /// Lends our X.509 certificate (ECDHE_ECDSA only).
    #[cfg_attr(not(feature = "ecc"), allow(dead_code))]
    pub env: &'a dyn Env,
}

/// One association's state (RFC 6347 4.2.8): everything but the receive
/// side's two big buffers (reassembly, received application data), so the
/// engine can borrow a reassembled message and change its own state at once.
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct Association {
    pub hs: Handshake,
    pub rl: RecordState,
    pub flight: Flight,
    pub hvr: PendingHvr,
    pub cookies: CookieKeys,
    /// Client: the session to offer / the one just established.
    pub session: SessionData,
    /// Client: the ticket of `session` (RFC 5077); server: the ticket
    /// being sent in NewSessionTicket.
    #[cfg(feature = "tickets")]
    pub ticket: crate::session_ticket::ClientTicket,
    /// Client: the server_name to send; server: the one received.
    pub sni: [u8; NANODTLS_MAX_SERVER_NAME],
    pub hb: heartbeat::Heartbeat,
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
    /// Where this connection's NSS key log lines go (feature `keylog`).
    #[cfg(feature = "keylog")]
    pub keylog: crate::keylog::KeyLogSink,
    /// Set once a close_notify has been queued by us.
    pub close_sent: bool,
    /// Certificate mode: why the peer's chain was refused, or who it is.
    #[cfg(feature = "x509")]
    pub x509_peer: crate::auth::x509::trust::PeerX509,
    pub sni_len: u8,
}

impl Association {
    /// Forget the session (and its ticket), wiping the secrets.
    pub(crate) fn forget_session(&mut self) {
        self.session.clear();
        #[cfg(feature = "tickets")]
        self.ticket.clear();
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

    pub(crate) fn result(&self) -> Result<(), Error> {
        match self.state {
            State::Failed => Err(self.sticky()),
            _ => Ok(()),
        }
    }

    pub(crate) fn check_deadline(&mut self, now: u64) -> Result<(), Error> {
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
            self.forget_session();
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
        self.enter_terminal(State::Failed, Error::Timeout);
        Err(Error::Timeout)
    }

    /// End the association: `state` is Failed or Closed, `status` the
    /// sticky error every later call reports (kept as its code: an `Error`
    /// is not valid all-zero). Nothing is sent or awaited any more; the
    /// secrets are wiped now, or once the pending alert has been polled out
    /// (it needs the keys).
    pub(crate) fn enter_terminal(&mut self, state: State, status: Error) {
        self.state = state;
        self.status = status.code();
        self.flight.stop();
        if !self.alert_out.pending {
            self.wipe_secrets();
        }
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
            self.forget_session();
        }
        self.enter_terminal(State::Failed, f.err);
        f.err
    }

    /// The AES/CCM hook failed while sealing (feature `aes-hook`): fail
    /// closed with `Crypto` and queue internal_error. If it failed sealing
    /// that very alert (or any other while already failed), the alert is
    /// given up: nothing can be sealed any more.
    #[cfg(feature = "aes-hook")]
    pub(crate) fn crypto_failed(&mut self) -> Error {
        if matches!(self.state, State::Failed | State::Closed) {
            self.alert_out.pending = false;
            self.wipe_secrets();
            if self.state == State::Failed {
                return self.sticky();
            }
        }
        self.fail(Fatal::internal(Error::Crypto))
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
    }

    pub(crate) fn max_app_payload(&self) -> usize {
        let overhead = record::protected_overhead(self.rl.tag()) + self.rl.cid_overhead();
        usize::from(self.cfg.mtu).saturating_sub(overhead).min(self.record_limit())
    }

    /// Largest record plaintext we may send: 2^14, the peer's
    /// record_size_limit (RFC 8449) or the negotiated max_fragment_length
    /// (RFC 6066). The peer's record_size_limit binds only protected
    /// records; we keep our epoch-0 records within it too (stricter is
    /// harmless).
    pub(crate) fn record_limit(&self) -> usize {
        if self.hs.rsl_peer != 0 {
            return crate::handshake::ext::record_size_limit::send_limit(self.hs.rsl_peer);
        }
        crate::handshake::ext::max_fragment_length::record_limit(self.hs.mfl_code)
    }

    /// Largest record plaintext we accept in `epoch`: with a negotiated
    /// record_size_limit our own value for protected records (unprotected
    /// ones are not subject to it, RFC 8449 section 4: 2^14), otherwise
    /// the same as what we send.
    pub(crate) fn receive_limit(&self, epoch: u16) -> usize {
        if self.hs.rsl_peer != 0 {
            return if epoch > 0 { usize::from(self.hs.rsl_own) } else { 1 << 14 };
        }
        self.record_limit()
    }

    /// Derive master secret and traffic keys from the premaster secret.
    /// The transcript must already include ClientKeyExchange.
    pub(crate) fn derive_keys(&mut self, pms: &[u8]) {
        // Two calls one after the other, not one inside the other: the
        // session hash's frame is gone before the key block's PRF runs.
        self.derive_master(pms);
        self.install_keys();
    }

    #[inline(never)]
    fn derive_master(&mut self, pms: &[u8]) {
        let session_hash = self.hs.ems.then(|| self.transcript_hash());
        crate::keys::master_secret(
            pms,
            &self.hs.client_random,
            &self.hs.server_random,
            session_hash.as_ref(),
            &mut self.hs.master,
        );
    }

    /// Expand the master secret into the key block (a full handshake's
    /// new one or a resumed session's), and hand the key log line to the
    /// key log sink (feature `keylog`).
    pub(crate) fn install_keys(&mut self) {
        #[cfg(feature = "keylog")]
        crate::keylog::emit(self.keylog, &self.hs.client_random, &self.hs.master);
        crate::keys::key_block_into(
            &self.hs.master,
            &self.hs.client_random,
            &self.hs.server_random,
            &mut self.rl.client,
            &mut self.rl.server,
        );
        self.rl.tag16 = crate::suite::info(self.hs.suite).is_some_and(|(_, t)| t == TagLen::Sixteen);
        self.rl.keys_ready = true;
    }

    /// The parts of the association our messages are written from.
    pub(crate) fn sources<'a>(&'a self, creds: &'a Credentials, env: &'a dyn Env) -> Sources<'a> {
        Sources {
            hs: &self.hs,
            cfg: &self.cfg,
            sni: self.sni.get(..usize::from(self.sni_len)).unwrap_or(&[]),
            session: &self.session,
            #[cfg(feature = "tickets")]
            ticket: &self.ticket,
            hb_answer: self.hb.answer,
            #[cfg(feature = "cid")]
            cid: &self.rl.cid,
            creds,
            env,
        }
    }

    /// Append our handshake message `msg_type`, sent in `epoch`, to the
    /// flight and the transcript. `body` writes it from the state; the
    /// flight keeps only its type, message_seq and length, and writes it
    /// again for each (re)transmission.
    pub(crate) fn push_message(
        &mut self,
        creds: &Credentials,
        env: &dyn Env,
        epoch: u8,
        msg_type: u8,
        body: BodyFn,
    ) -> Result<(), Fatal> {
        let seq = self.hs.next_send_seq()?;
        // The length: a pass that keeps nothing.
        let mut w = Writer::window(&mut [], 0);
        body(&self.sources(creds, env), msg_type, &mut w)?;
        let len = w.len();
        let length = u32::try_from(len).map_err(|_| Fatal::internal(Error::TooLarge))?;
        let mut hdr = [0u8; crate::handshake::HEADER_LEN];
        let h = crate::handshake::FragmentHeader { msg_type, length, seq, frag_off: 0, frag_len: length };
        crate::handshake::write_header(&mut Writer::new(&mut hdr), &h)?;
        self.hs.transcript.update(&hdr);
        // The transcript, a block at a time (no copy of the message is kept).
        let mut block = [0u8; 64];
        let mut off = 0;
        while off < len {
            let mut w = Writer::window(&mut block, off);
            body(&self.sources(creds, env), msg_type, &mut w)?;
            let n = (len - off).min(block.len());
            self.hs.transcript.update(block.get(..n).unwrap_or(&[]));
            off += n;
        }
        self.flight.push(Item { len: length, seq, msg_type, epoch })?;
        Ok(())
    }

    /// Append a ChangeCipherSpec (epoch 0) to the flight; what follows is
    /// sent in epoch 1.
    pub(crate) fn push_ccs(&mut self) -> Result<(), Fatal> {
        self.flight.push(Item { len: 0, seq: 0, msg_type: flight::CCS, epoch: 0 })?;
        self.rl.write_epoch = 1;
        Ok(())
    }

    /// The transcript hash so far. Its own call (never inlined): the copy
    /// of the hash state it finishes is off the stack before the PRF that
    /// uses the hash runs.
    #[inline(never)]
    fn transcript_hash(&self) -> [u8; 32] {
        self.hs.transcript.digest()
    }

    /// Append our Finished (epoch 1) to the flight and the transcript.
    pub(crate) fn push_finished(&mut self, creds: &Credentials, env: &dyn Env, body: BodyFn) -> Result<(), Fatal> {
        let hash = self.transcript_hash();
        self.hs.own_verify_data = crate::keys::verify_data(&self.hs.master, self.cfg.role == Role::Client, &hash);
        self.push_message(creds, env, 1, msg::FINISHED, body)
    }

    /// Check the peer's Finished against the transcript so far, then add it.
    pub(crate) fn verify_peer_finished(&mut self, message: &[u8], body: &[u8]) -> Result<(), Fatal> {
        let got = crate::handshake::msg::finished::parse(body).map_err(|_| Fatal::decode())?;
        let hash = self.transcript_hash();
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

    /// Start sending a freshly built flight. It answers the peer flight
    /// that began at `hs.peer_flight_first` and ended before `hs.recv_seq`
    /// (empty for our first ClientHello): a retransmission of any of those
    /// messages makes us send it again.
    pub(crate) fn send_flight(&mut self, expects_reply: bool) {
        let (lo, hi) = (self.hs.peer_flight_first, self.hs.recv_seq);
        self.flight.send(lo, hi, expects_reply, self.cfg.retransmit_initial_ms);
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
        self.flight.finish();
        self.hs.transcript.reset();
    }
}
