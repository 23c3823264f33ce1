//! The receive side (RFC 6347 sections 4.1.2.6, 4.1.2.7, 4.2.2-4.2.4):
//! records in, through the epoch and replay checks and decryption, to
//! reassembly, the role state machines, ChangeCipherSpec and alerts.
//!
//! What nothing in epoch 0 authenticates never changes state before the
//! handshake layer accepted it (see the README, "Forged datagrams").
//!
//! Why one file of ~740 lines: every check that decides whether a datagram
//! may change state (record header, epoch, replay window, decryption,
//! message_seq, reassembly or the datagram itself, the role's verdict)
//! sits here in the order it runs, so the whole acceptance path reads top
//! to bottom in one place; what it calls (the role state machines, the
//! record layer, reassembly) is in other files.

use super::Engine;
use crate::alert::{self, AlertInfo};
use crate::association::{Association, State};
use crate::auth::Credentials;
use crate::codec::Reader;
use crate::config::Role;
use crate::env::Env;
use crate::error::{Error, Fatal};
use crate::handshake::reassembly::{Insert, Reassembly};
use crate::handshake::{self, msg, FragmentHeader, MsgOrigin};
use crate::record::{self, content, RecordHeader};

/// What one `Engine::feed` call did with a datagram.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fed {
    /// Bytes of the datagram processed. Less than its length when the call
    /// stopped after an application-data record: feed the rest again.
    pub consumed: usize,
    /// Where the plaintext of that application-data record is, decrypted
    /// in place inside the datagram (None: the call met none).
    pub app: Option<core::ops::Range<usize>>,
}

impl Engine {
    /// Feed one received datagram. Its records are processed in order and
    /// decrypted in place (the datagram buffer is overwritten); the call
    /// stops after the first application-data record and says where its
    /// plaintext is ([`Fed::app`]) and how much of the datagram it
    /// processed ([`Fed::consumed`]): feed the rest again. Records that
    /// are malformed, replayed, unauthenticated or unexpected are dropped
    /// and counted; the call then still succeeds. An error means the
    /// connection ended (see [`Engine::failure`] and [`Engine::last_alert`]).
    pub(crate) fn feed(
        &mut self,
        creds: &Credentials,
        env: &mut dyn Env,
        now: u64,
        datagram: &mut [u8],
    ) -> Result<Fed, Error> {
        self.assoc.check_alive()?;
        if self.assoc.state == State::Idle {
            return Err(Error::WrongState);
        }
        let c = &mut self.assoc;
        c.stats.rx_datagrams = c.stats.rx_datagrams.saturating_add(1);
        c.stats.rx_bytes = c.stats.rx_bytes.saturating_add(datagram.len() as u32);
        let total = datagram.len();
        let mut fed = Fed::default();
        let mut resend = false;
        while fed.consumed < total && c.state != State::Failed {
            #[cfg(feature = "cid")]
            if datagram.get(fed.consumed) == Some(&content::TLS12_CID) {
                let at = fed.consumed;
                c.stats.rx_records = c.stats.rx_records.saturating_add(1);
                let Some((end, r)) =
                    super::cid::cid_record(c, &mut self.reasm, creds, env, now, datagram, at, &mut resend)
                else {
                    fed.consumed = total;
                    break;
                };
                fed.consumed = end;
                match r {
                    Ok(Some(app)) => {
                        fed.app = Some(app);
                        break;
                    }
                    Ok(None) => continue,
                    Err(f) => return Err(c.fail(f)),
                }
            }
            let head = match record::parse_header(datagram.get(fed.consumed..).unwrap_or(&[])) {
                Ok(h) => h,
                Err(_) => {
                    nd_drop!(c, dropped_malformed, "unparsable record in a {}-byte datagram", total);
                    fed.consumed = total;
                    break;
                }
            };
            let start = fed.consumed + record::HEADER_LEN;
            let end = start + head.len;
            fed.consumed = end;
            let Some(fragment) = datagram.get_mut(start..end) else { break };
            c.stats.rx_records = c.stats.rx_records.saturating_add(1);
            match process_record(c, &mut self.reasm, creds, env, now, &head, fragment, &mut resend) {
                Ok(Some(app)) => {
                    fed.app = Some(start + app.start..start + app.end);
                    break;
                }
                Ok(None) => {}
                Err(f) => return Err(c.fail(f)),
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
        c.result()?;
        Ok(fed)
    }
}

/// Process one record of a datagram; its fragment is decrypted in place.
/// `Some(range)`: an application-data record whose plaintext is at
/// `range` in the fragment.
#[allow(clippy::too_many_arguments)]
fn process_record(
    c: &mut Association,
    reasm: &mut Reassembly,
    creds: &Credentials,
    env: &mut dyn Env,
    now: u64,
    rec: &RecordHeader,
    fragment: &mut [u8],
    resend: &mut bool,
) -> Result<Option<core::ops::Range<usize>>, Fatal> {
    let epoch = rec.epoch;
    let current = c.rl.read_epoch;
    if epoch > current || epoch > 1 {
        nd_drop!(
            c,
            dropped_epoch,
            "{} record in epoch {} (reading epoch {})",
            crate::record::content::name(rec.ctype),
            epoch,
            current
        );
        return Ok(None);
    }
    #[cfg(feature = "cid")]
    if epoch == 1 && c.rl.cid.expects_cid() {
        nd_drop!(
            c,
            dropped_cid,
            "{} record without our connection ID: seq {}",
            crate::record::content::name(rec.ctype),
            rec.seq
        );
        return Ok(None);
    }
    if epoch == 1 && !c.rl.window.is_fresh(rec.seq) {
        nd_drop!(c, dropped_replay, "replayed or too old record: epoch {} seq {}", epoch, rec.seq);
        return Ok(None);
    }
    let plain = if epoch == 0 {
        if rec.version != record::DTLS12 && rec.version != record::DTLS10 {
            nd_drop!(c, dropped_malformed, "record version {:#06x} is not DTLS 1.0/1.2", rec.version);
            return Ok(None);
        }
        0..fragment.len()
    } else {
        let role = c.cfg.role;
        let tag = c.rl.tag();
        match record::open_in_place_with(c.rl.engine, rec, c.rl.read_keys(role), tag, fragment) {
            Ok(r) => r,
            // The AES/CCM hook failed: nothing is known about the record,
            // and nothing falls back to the built-in AES: fail closed.
            #[cfg(feature = "aes-hook")]
            Err(Error::Crypto) => return Err(Fatal::internal(Error::Crypto)),
            Err(_) => {
                nd_drop!(
                    c,
                    dropped_auth,
                    "{} record failed authentication: epoch {} seq {}",
                    crate::record::content::name(rec.ctype),
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
                return Ok(None);
            }
        }
    };
    if epoch == 1 {
        c.rl.window.mark(rec.seq);
        c.accepted = c.accepted.wrapping_add(1);
    }
    dispatch(c, reasm, creds, env, now, rec, fragment, plain, resend)
}

/// Act on one accepted record (epoch 0, or authenticated) whose plaintext
/// is at `plain` in `fragment`: `rec.ctype` is the real content type.
#[allow(clippy::too_many_arguments)]
pub(super) fn dispatch(
    c: &mut Association,
    reasm: &mut Reassembly,
    creds: &Credentials,
    env: &mut dyn Env,
    now: u64,
    rec: &RecordHeader,
    fragment: &mut [u8],
    plain: core::ops::Range<usize>,
    resend: &mut bool,
) -> Result<Option<core::ops::Range<usize>>, Fatal> {
    let epoch = rec.epoch;
    let current = c.rl.read_epoch;
    let old_epoch = epoch < current;
    let plain_len = plain.len();
    let receive_limit = c.receive_limit(epoch);
    if plain_len > receive_limit {
        // Authenticated but over the negotiated limit: a protocol violation.
        if epoch > 0 {
            nd_log!(c.log =>
                Warn,
                "{}: protected record of {} bytes exceeds the record limit {}",
                crate::log::role(c.cfg.role),
                plain_len,
                receive_limit
            );
            return Err(Fatal::alert(alert::RECORD_OVERFLOW));
        }
        nd_drop!(c, dropped_oversize, "record of {} bytes exceeds the record limit {}", plain_len, receive_limit);
        return Ok(None);
    }
    let data: &[u8] = fragment.get(plain.clone()).unwrap_or(&[]);
    match rec.ctype {
        content::HANDSHAKE => {
            let mut r = Reader::new(data);
            while !r.is_empty() {
                let at = r.position();
                let Ok((h, frag)) = handshake::parse_fragment(&mut r) else {
                    nd_drop!(c, dropped_malformed, "malformed handshake fragment in record seq {}", rec.seq);
                    break;
                };
                let origin = MsgOrigin { record_seq: rec.seq, message_seq: h.seq, epoch };
                if old_epoch {
                    // Only a retransmission of the peer's previous flight can
                    // legitimately arrive in an older epoch.
                    c.note_old_fragment(&h, true, now, resend);
                    continue;
                }
                // The fragment as it came, header included: for an
                // unfragmented message, the message itself.
                let wire = data.get(at..r.position()).unwrap_or(&[]);
                c.on_fragment(reasm, creds, env, now, &origin, &h, wire, frag, resend)?;
                if c.state == State::Failed {
                    break;
                }
            }
            Ok(None)
        }
        content::CCS => {
            if old_epoch {
                nd_drop!(c, dropped_epoch, "ChangeCipherSpec in old epoch {}", epoch);
                return Ok(None);
            }
            c.on_ccs(data, epoch).map(|()| None)
        }
        content::ALERT => {
            if old_epoch {
                // Unauthenticated alerts cannot end a protected connection.
                nd_drop!(c, dropped_epoch, "alert in old epoch {}", epoch);
                return Ok(None);
            }
            c.on_alert(data).map(|()| None)
        }
        content::APPLICATION_DATA => {
            if c.state != State::Connected || epoch != 1 {
                nd_drop!(c, dropped_unexpected, "application data in {:?}, epoch {}", c.state, epoch);
                return Ok(None);
            }
            c.stats.app_records_rx = c.stats.app_records_rx.saturating_add(1);
            Ok(Some(plain))
        }
        content::HEARTBEAT => {
            if c.state != State::Connected || epoch != 1 {
                nd_drop!(c, dropped_unexpected, "heartbeat in {:?}, epoch {}", c.state, epoch);
                return Ok(None);
            }
            c.on_heartbeat(env, now, data);
            Ok(None)
        }
        _ => {
            nd_drop!(c, dropped_unexpected, "record of unknown content type {}", rec.ctype);
            Ok(None)
        }
    }
}

impl Association {
    /// A fragment of a handshake message we already have (an older
    /// message_seq, or an older epoch): only useful as a sign that the peer
    /// retransmitted the flight we answered, which makes us send ours again
    /// (RFC 6347 4.2.4). Nothing authenticates it in epoch 0, so the resend
    /// it may trigger is bounded: at most once per datagram and never within
    /// [`Association::peer_resend_gap_ms`] of our last transmission (network
    /// duplicates and forged copies arrive within it; a genuine peer
    /// retransmits only after its own timer).
    fn note_old_fragment(&mut self, h: &FragmentHeader, old_epoch: bool, now: u64, resend: &mut bool) {
        if !self.flight.answers(h.seq) {
            if old_epoch {
                nd_drop!(
                    self,
                    dropped_epoch,
                    "{} seq {} in an old epoch",
                    crate::handshake::msg::name(h.msg_type),
                    h.seq
                );
            } else {
                nd_drop!(
                    self,
                    dropped_replay,
                    "{} seq {} received before",
                    crate::handshake::msg::name(h.msg_type),
                    h.seq
                );
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
                crate::handshake::msg::name(h.msg_type),
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
        creds: &Credentials,
        env: &mut dyn Env,
        now: u64,
        origin: &MsgOrigin,
        h: &FragmentHeader,
        wire: &[u8],
        data: &[u8],
        resend: &mut bool,
    ) -> Result<(), Fatal> {
        let expected = match self.state {
            State::ServerWaitClientHello => {
                if h.msg_type != msg::CLIENT_HELLO {
                    nd_drop!(
                        self,
                        dropped_unexpected,
                        "{} before a ClientHello",
                        crate::handshake::msg::name(h.msg_type)
                    );
                    return Ok(());
                }
                // A stateless server adopts whatever message_seq the
                // ClientHello carries (0, or 1 after a HelloVerifyRequest).
                h.seq
            }
            State::Connected => {
                // A renegotiation request inside the protected epoch starts
                // a new handshake with message_seq 0 (RFC 6347 4.2.2), below
                // what we expect: it is no retransmission of ours to answer.
                // In epoch 0 a low message_seq is a late copy of the
                // original handshake.
                if h.seq < self.hs.recv_seq && !(origin.epoch > 0 && self.is_renegotiation(h)) {
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
                crate::handshake::msg::name(h.msg_type),
                h.seq,
                expected
            );
            return Ok(());
        }
        if h.frag_off == 0 && h.frag_len == h.length {
            // The whole message in one fragment: handled where it lies in
            // the datagram. Its header is already the unfragmented header
            // reassembly would have written, so the handler sees the same
            // bytes (and the transcript the same message) as from the
            // reassembly buffer, after the same epoch and message_seq checks
            // above. A partial copy of it is dropped: reassembly lets the
            // newest fragment win too (see Inconsistent below). The
            // reassembly buffer then only has to hold fragmented messages:
            // an unfragmented one up to the record limit is taken whatever
            // NANODTLS_MAX_HANDSHAKE_MSG is.
            if reasm.disagrees(h, data) {
                nd_drop!(
                    self,
                    dropped_malformed,
                    "{} seq {} disagrees with the partial message: the whole message replaces it",
                    crate::handshake::msg::name(h.msg_type),
                    h.seq
                );
            }
            reasm.reset();
            return self.on_complete(env, creds, now, origin, h, wire, data);
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
                    crate::handshake::msg::name(h.msg_type),
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
                    crate::handshake::msg::name(h.msg_type),
                    h.seq
                );
                Ok(())
            }
            // Unauthenticated: a forged length must not end the handshake.
            Insert::TooLarge if origin.epoch == 0 => {
                nd_drop!(
                    self,
                    dropped_oversize,
                    "{} of {} bytes exceeds NANODTLS_MAX_HANDSHAKE_MSG",
                    crate::handshake::msg::name(h.msg_type),
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
                    crate::handshake::msg::name(h.msg_type),
                    h.length
                );
                Err(Fatal::internal(Error::TooLarge))
            }
            Insert::Complete => {
                let r = self.on_complete(env, creds, now, origin, h, reasm.message(), reasm.body());
                reasm.reset();
                r
            }
        }
    }

    /// A complete handshake message of the expected message_seq, from the
    /// reassembly buffer or straight from the datagram (`message`: with its
    /// unfragmented header; `body`: without).
    #[allow(clippy::too_many_arguments)]
    fn on_complete(
        &mut self,
        env: &mut dyn Env,
        creds: &Credentials,
        now: u64,
        origin: &MsgOrigin,
        h: &FragmentHeader,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), Fatal> {
        nd_log!(self.log =>
            Debug,
            "{}: rx {} seq {} len {}",
            crate::log::role(self.cfg.role),
            crate::handshake::msg::name(h.msg_type),
            h.seq,
            h.length
        );
        let prev = self.hs.recv_seq;
        let r = match h.seq.checked_add(1) {
            Some(next) => {
                self.hs.recv_seq = next;
                self.on_message(env, creds, now, origin, h.msg_type, message, body)
            }
            None => Err(Fatal::unexpected()),
        };
        // A ClientHello with a valid cookie came from the peer's
        // address (RFC 6347 4.2.1): its refusal is answered at once.
        let evidence = self.state == State::ServerWaitClientHello && self.hs.cookie_verified;
        match r {
            Err(f) if origin.epoch == 0 && f.is_rejection() && !evidence => {
                self.hs.recv_seq = prev;
                self.reject(h, f.alert);
                Ok(())
            }
            Ok(()) => {
                self.hs.rejected = false;
                if origin.epoch == 0 {
                    self.accepted = self.accepted.wrapping_add(1);
                }
                Ok(())
            }
            r => r,
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
            alert::DECODE_ERROR => {
                nd_drop!(self, dropped_malformed, "malformed {}", crate::handshake::msg::name(h.msg_type))
            }
            alert::UNEXPECTED_MESSAGE => {
                nd_drop!(self, dropped_unexpected, "{} in {:?}", crate::handshake::msg::name(h.msg_type), self.state)
            }
            _ => nd_drop!(self, dropped_rejected, "{} refused", crate::handshake::msg::name(h.msg_type)),
        }
        nd_log!(self.log =>
            Info,
            "{}: {} seq {} refused ({}): discarded, epoch 0 is unauthenticated",
            crate::log::role(self.cfg.role),
            crate::handshake::msg::name(h.msg_type),
            h.seq,
            crate::log::alert_name(alert)
        );
        if self.state != State::ServerWaitClientHello {
            self.hs.note_rejection(alert);
        }
    }

    /// True for the message that starts a renegotiation: HelloRequest
    /// from a server, ClientHello from a client.
    fn is_renegotiation(&self, h: &FragmentHeader) -> bool {
        match self.cfg.role {
            Role::Client => h.msg_type == msg::HELLO_REQUEST,
            Role::Server => h.msg_type == msg::CLIENT_HELLO,
        }
    }

    /// A new handshake message after the handshake: renegotiation is never
    /// done; answer with a no_renegotiation warning (RFC 5746/7925).
    fn on_renegotiation_attempt(&mut self, h: &FragmentHeader) {
        if self.is_renegotiation(h) && h.frag_off == 0 {
            self.queue_alert(alert::WARNING, alert::NO_RENEGOTIATION);
        } else {
            nd_drop!(self, dropped_unexpected, "{} after the handshake", crate::handshake::msg::name(h.msg_type));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_message(
        &mut self,
        env: &mut dyn Env,
        creds: &Credentials,
        now: u64,
        origin: &MsgOrigin,
        msg_type: u8,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), Fatal> {
        // A single-role build (feature `client` or `server` alone) has no
        // path to the other role's handshake code, so the linker drops it;
        // init() refuses that role, so the other arm is never taken.
        // Each role's dispatcher is a call of its own (never inlined here),
        // so that one role's locals are not in the other's stack frame.
        match self.cfg.role {
            #[cfg(nanodtls_client)]
            Role::Client => self.client_message_outlined(env, creds, now, origin, msg_type, message, body),
            #[cfg(nanodtls_server)]
            Role::Server => self.server_message_outlined(env, creds, now, origin, msg_type, message, body),
            #[allow(unreachable_patterns)]
            _ => Err(Fatal::internal(Error::Unsupported)),
        }
    }

    #[cfg(nanodtls_client)]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn client_message_outlined(
        &mut self,
        env: &mut dyn Env,
        creds: &Credentials,
        now: u64,
        origin: &MsgOrigin,
        msg_type: u8,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), Fatal> {
        self.client_message(env, creds, now, origin, msg_type, message, body)
    }

    #[cfg(nanodtls_server)]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn server_message_outlined(
        &mut self,
        env: &mut dyn Env,
        creds: &Credentials,
        now: u64,
        origin: &MsgOrigin,
        msg_type: u8,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), Fatal> {
        self.server_message(env, creds, now, origin, msg_type, message, body)
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
        // RFC 5077 3.3: an announced NewSessionTicket comes before the
        // ChangeCipherSpec; a CCS ahead of it (the ticket lost) would leave
        // epoch 0, where the retransmitted ticket arrives.
        #[cfg(feature = "tickets")]
        let expected =
            expected && !(self.hs.ticket_expected && !self.hs.ticket_received && self.cfg.role == Role::Client);
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
            self.enter_terminal(State::Closed, Error::Closed);
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
            self.forget_session();
            // Nothing of ours is sent after the peer's fatal alert.
            self.alert_out.pending = false;
            self.enter_terminal(State::Failed, Error::AlertReceived);
        }
        Ok(())
    }
}
