//! Server side of the handshake (RFC 6347 flights 2, 4 and 6).

use zeroize::Zeroizing;

use crate::codec::Writer;
use crate::config::Env;
use crate::connection::{alert, Core, Fatal, MsgCtx, State};
use crate::error::Error;
use crate::handshake::hello::ClientHello;
use crate::handshake::{ext, msg, psk, FragmentHeader};
use crate::record::{content, DTLS10, DTLS12};
use crate::sizes::{NANODTLS_MAX_PSK_IDENTITY, NANODTLS_MAX_PSK_KEY};
use crate::suite::{self, KeyExchange};

impl Core {
    pub(crate) fn server_message(
        &mut self,
        env: &mut dyn Env,
        now: u64,
        ctx: &MsgCtx,
        msg_type: u8,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), Fatal> {
        match (self.state, msg_type) {
            (State::ServerWaitClientHello, msg::CLIENT_HELLO) => {
                self.on_client_hello(env, now, ctx, message, body, &[])
            }
            (State::ServerWaitClientKeyExchange, msg::CLIENT_KEY_EXCHANGE) => {
                self.on_client_key_exchange(env, ctx, message, body)
            }
            (State::ServerWaitFinished, msg::FINISHED) => {
                self.verify_peer_finished(message, body)?;
                // Flight 6: ChangeCipherSpec, Finished. It is the last
                // flight: no timer, but it is resent if the client
                // retransmits its flight 5.
                self.flight.clear();
                self.flight.push_ccs(0)?;
                self.rl.write_epoch = 1;
                self.push_finished()?;
                self.flight.resp_lo = self.hs.peer_flight_first;
                self.flight.resp_hi = self.hs.recv_seq;
                self.send_flight(false);
                self.established();
                Ok(())
            }
            _ => Err(Fatal::unexpected()),
        }
    }

    /// True if we can serve suite `s` at all.
    fn server_can_use(&self, s: u16, env: &dyn Env) -> bool {
        match suite::info(s) {
            Some((KeyExchange::Psk, _)) => self.psk.has_key() || env.has_psk_lookup(),
            _ => false,
        }
    }

    /// Handle a ClientHello. `peer_addr` binds the cookie (empty for a
    /// single-peer context, whose caller owns the socket).
    pub(crate) fn on_client_hello(
        &mut self,
        env: &mut dyn Env,
        now: u64,
        ctx: &MsgCtx,
        message: &[u8],
        body: &[u8],
        peer_addr: &[u8],
    ) -> Result<(), Fatal> {
        let Ok(ch) = ClientHello::parse(body) else {
            // Nothing is established yet and the source is unverified: drop.
            self.stats.dropped_malformed = self.stats.dropped_malformed.saturating_add(1);
            return Ok(());
        };
        if self.cfg.require_cookie {
            let mut rng = |b: &mut [u8]| env.random(b);
            if self.cookies.refresh(now, self.cfg.cookie_lifetime_ms, &mut rng).is_err() {
                self.stats.dropped_unexpected = self.stats.dropped_unexpected.saturating_add(1);
                return Ok(());
            }
            if !self.cookies.verify(peer_addr, &ch) {
                self.send_hello_verify_request(ctx, peer_addr, &ch);
                return Ok(());
            }
        }
        if !ch.supports_dtls12() {
            return Err(Fatal::alert(alert::PROTOCOL_VERSION));
        }
        if !ch.offers_null_compression() {
            return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
        }
        let chosen = self
            .cfg
            .suite_list()
            .find(|&s| ch.offers(s) && self.server_can_use(s, env));
        let Some(chosen) = chosen else {
            return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
        };
        let mut ems = false;
        let mut reneg = ch.offers(suite::EMPTY_RENEGOTIATION_INFO_SCSV);
        for (t, data) in ch.extensions.clone() {
            match t {
                ext::EXTENDED_MASTER_SECRET => {
                    if !data.is_empty() {
                        return Err(Fatal::decode());
                    }
                    ems = true;
                }
                ext::RENEGOTIATION_INFO => {
                    if data != [0] {
                        return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
                    }
                    reneg = true;
                }
                _ => {}
            }
        }
        if self.cfg.require_ems && !ems {
            return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
        }
        env.random(&mut self.hs.server_random).map_err(|_| Fatal::internal(Error::Rng))?;
        self.hs.client_random = ch.random;
        self.hs.suite = chosen;
        self.hs.ems = ems;
        self.hs.peer_secure_renegotiation = reneg;
        self.hs.session_id_len = 0;
        self.hs.deadline = now.saturating_add(u64::from(self.cfg.handshake_timeout_ms));
        // Our record numbers continue from the client's (RFC 6347 4.2.1),
        // so they are above the one we used for a HelloVerifyRequest.
        if let Some(s) = self.rl.write_seq.get_mut(0) {
            *s = (*s).max(ctx.rec_seq);
        }
        self.hs.send_seq = ctx.seq;
        self.hs.peer_flight_first = ctx.seq;
        self.hs.transcript.reset();
        self.hs.transcript.update(message);
        self.send_server_hello_flight()
    }

    /// Stateless HelloVerifyRequest, written straight to the transmit
    /// buffer (replacing an older one that was not polled yet).
    fn send_hello_verify_request(&mut self, ctx: &MsgCtx, peer_addr: &[u8], ch: &ClientHello<'_>) {
        let Some(cookie) = self.cookies.issue(peer_addr, ch) else {
            return;
        };
        let mut w = Writer::new(&mut self.tx.buf);
        if write_hello_verify_request(&mut w, ctx.rec_seq, ctx.seq, &cookie).is_ok() {
            self.tx.len = w.len() as u16;
            self.stats.hello_verify_requests = self.stats.hello_verify_requests.saturating_add(1);
        }
    }

    /// Flight 4: ServerHello, [ServerKeyExchange with hint], ServerHelloDone.
    fn send_server_hello_flight(&mut self) -> Result<(), Fatal> {
        self.flight.clear();
        let seq = self.next_send_seq()?;
        let random = self.hs.server_random;
        let sid = self.hs.session_id;
        let sid_len = usize::from(self.hs.session_id_len);
        let suite = self.hs.suite;
        let ems = self.hs.ems;
        let reneg = self.hs.peer_secure_renegotiation;
        let m = self.flight.push_message(0, msg::SERVER_HELLO, seq, |w| {
            w.u16(DTLS12)?;
            w.put(&random)?;
            w.vec8(sid.get(..sid_len).unwrap_or(&[]))?;
            w.u16(suite)?;
            w.u8(0)?;
            if ems || reneg {
                let l = w.begin_len(2)?;
                if ems {
                    w.u16(ext::EXTENDED_MASTER_SECRET)?;
                    w.u16(0)?;
                }
                if reneg {
                    w.u16(ext::RENEGOTIATION_INFO)?;
                    w.vec16(&[0])?;
                }
                w.end_len(l)?;
            }
            Ok(())
        })?;
        self.hs.transcript.update(m);
        if self.psk.hint_len > 0 {
            let seq = self.next_send_seq()?;
            let hint = self.psk.hint();
            let m = self.flight.push_message(0, msg::SERVER_KEY_EXCHANGE, seq, |w| w.vec16(hint))?;
            self.hs.transcript.update(m);
        }
        let seq = self.next_send_seq()?;
        let m = self.flight.push_message(0, msg::SERVER_HELLO_DONE, seq, |_| Ok(()))?;
        self.hs.transcript.update(m);
        self.flight.resp_lo = self.hs.peer_flight_first;
        self.flight.resp_hi = self.hs.recv_seq;
        self.send_flight(true);
        self.state = State::ServerWaitClientKeyExchange;
        Ok(())
    }

    fn on_client_key_exchange(
        &mut self,
        env: &mut dyn Env,
        ctx: &MsgCtx,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), Fatal> {
        let identity = psk::parse_client_key_exchange(body).map_err(|_| Fatal::decode())?;
        let mut key = Zeroizing::new([0u8; NANODTLS_MAX_PSK_KEY]);
        let key_len = if self.psk.has_key() && self.psk.identity() == identity {
            let k = self.psk.key();
            key.get_mut(..k.len()).ok_or(Fatal::internal(Error::Internal))?.copy_from_slice(k);
            k.len()
        } else {
            match env.psk_for_identity(identity, &mut key[..]) {
                Some(n) if n > 0 && n <= NANODTLS_MAX_PSK_KEY && identity.len() <= NANODTLS_MAX_PSK_IDENTITY => n,
                // RFC 7925 profile: an unknown identity gets decrypt_error,
                // which does not reveal whether the identity exists.
                _ => return Err(Fatal::alert(alert::DECRYPT_ERROR)),
            }
        };
        // Remember who the client is (readable by the application).
        self.psk
            .set(identity, key.get(..key_len).unwrap_or(&[]))
            .map_err(|_| Fatal::alert(alert::DECRYPT_ERROR))?;
        self.hs.peer_flight_first = ctx.seq;
        self.hs.transcript.update(message);
        let mut pms = Zeroizing::new([0u8; 4 + 2 * NANODTLS_MAX_PSK_KEY]);
        let n = psk::premaster(key.get(..key_len).unwrap_or(&[]), &mut pms[..])?;
        self.derive_keys(pms.get(..n).unwrap_or(&[]));
        self.state = State::ServerWaitCcs;
        Ok(())
    }
}

/// Write a HelloVerifyRequest record. RFC 6347 4.2.1: the record sequence
/// number and message_seq mirror the ClientHello's, and the version is
/// DTLS 1.0 whatever will be negotiated.
pub(crate) fn write_hello_verify_request(
    w: &mut Writer<'_>,
    rec_seq: u64,
    msg_seq: u16,
    cookie: &[u8],
) -> Result<(), Error> {
    let mut body = [0u8; 3 + 255];
    let mut bw = Writer::new(&mut body);
    bw.u16(DTLS10)?;
    bw.vec8(cookie)?;
    let blen = bw.len();
    let mut hdr = [0u8; crate::handshake::HEADER_LEN];
    let h = FragmentHeader {
        msg_type: msg::HELLO_VERIFY_REQUEST,
        length: blen as u32,
        seq: msg_seq,
        frag_off: 0,
        frag_len: blen as u32,
    };
    crate::handshake::write_header(&mut Writer::new(&mut hdr), &h)?;
    crate::record::write_record(w, None, content::HANDSHAKE, 0, rec_seq, &[&hdr, body.get(..blen).unwrap_or(&[])])
}
