//! Client side of the handshake (RFC 6347 flights 1, 3 and 5).

use zeroize::Zeroizing;

use crate::config::Env;
use crate::connection::{alert, Core, Fatal, MsgCtx, State};
use crate::error::Error;
use crate::handshake::hello::{parse_hello_verify_request, ServerHello};
use crate::handshake::{ext, msg, psk};
use crate::record::DTLS12;
use crate::sizes::{NANODTLS_MAX_COOKIE, NANODTLS_MAX_PSK_KEY};
use crate::suite::{self, KeyExchange};

/// Most HelloVerifyRequests we answer in one handshake.
const MAX_HELLO_VERIFY: u8 = 4;

impl Core {
    /// True if we hold credentials for `s`.
    fn client_can_offer(&self, s: u16) -> bool {
        match suite::info(s) {
            Some((KeyExchange::Psk, _)) => self.psk.has_key(),
            Some((KeyExchange::EcdheEcdsa, _)) => false,
            None => false,
        }
    }

    /// True if some configured suite has credentials.
    pub(crate) fn has_client_credentials(&self) -> bool {
        self.offered_suites().next().is_some()
    }

    /// Suites we offer, in preference order.
    fn offered_suites(&self) -> impl Iterator<Item = u16> + '_ {
        self.cfg.suite_list().filter(|&s| self.client_can_offer(s))
    }

    /// Check credentials, pick the random and send flight 1.
    pub(crate) fn start_client(&mut self, env: &mut dyn Env, now: u64) -> Result<(), Fatal> {
        // RFC 7925: the whole random comes from the RNG (no gmt_unix_time).
        env.random(&mut self.hs.client_random).map_err(|_| Fatal::silent(Error::Rng))?;
        self.hs.deadline = now.saturating_add(u64::from(self.cfg.handshake_timeout_ms));
        self.flight.clear();
        self.flight.interval_ms = self.cfg.retransmit_initial_ms;
        self.write_client_hello()?;
        self.send_flight(true);
        self.state = State::ClientWaitServerHello;
        Ok(())
    }

    /// Build ClientHello (with the stored cookie, if any) as a new flight.
    /// The transcript restarts with it (RFC 6347 4.2.1: the HelloVerifyRequest
    /// exchange is not part of the handshake transcript).
    fn write_client_hello(&mut self) -> Result<(), Fatal> {
        self.flight.clear();
        self.hs.transcript.reset();
        let seq = self.next_send_seq()?;
        let random = self.hs.client_random;
        let cookie = self.hs.cookie.get(..usize::from(self.hs.cookie_len)).unwrap_or(&[]);
        let session_id = self.hs.session_id.get(..usize::from(self.hs.session_id_len)).unwrap_or(&[]);
        let mut suites = [0u16; crate::config::MAX_SUITES];
        let mut n = 0;
        for s in self.offered_suites() {
            if let Some(slot) = suites.get_mut(n) {
                *slot = s;
                n += 1;
            }
        }
        let offered = suites.get(..n).unwrap_or(&[]);
        let m = self.flight.push_message(0, msg::CLIENT_HELLO, seq, |w| {
            w.u16(DTLS12)?;
            w.put(&random)?;
            w.vec8(session_id)?;
            w.vec8(cookie)?;
            let l = w.begin_len(2)?;
            for &s in offered {
                w.u16(s)?;
            }
            w.end_len(l)?;
            w.vec8(&[0])?; // null compression only (RFC 7925)
            let l = w.begin_len(2)?;
            w.u16(ext::EXTENDED_MASTER_SECRET)?;
            w.u16(0)?;
            w.u16(ext::RENEGOTIATION_INFO)?;
            w.vec16(&[0])?; // empty renegotiated_connection
            w.end_len(l)
        })?;
        self.hs.transcript.update(m);
        Ok(())
    }

    pub(crate) fn client_message(
        &mut self,
        env: &mut dyn Env,
        now: u64,
        ctx: &MsgCtx,
        msg_type: u8,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), Fatal> {
        let _ = (env, now);
        match (self.state, msg_type) {
            (State::ClientWaitServerHello, msg::HELLO_VERIFY_REQUEST) => {
                let cookie = parse_hello_verify_request(body).map_err(|_| Fatal::decode())?;
                if cookie.len() > NANODTLS_MAX_COOKIE {
                    return Err(Fatal::internal(Error::TooLarge));
                }
                self.hs.hello_verify_count = self.hs.hello_verify_count.saturating_add(1);
                if self.hs.hello_verify_count > MAX_HELLO_VERIFY {
                    return Err(Fatal::unexpected());
                }
                self.stats.hello_verify_requests = self.stats.hello_verify_requests.saturating_add(1);
                self.hs.cookie.get_mut(..cookie.len()).ok_or(Fatal::internal(Error::Internal))?.copy_from_slice(cookie);
                self.hs.cookie_len = cookie.len() as u8;
                self.hs.peer_flight_first = ctx.seq;
                self.write_client_hello()?;
                self.flight.resp_lo = ctx.seq;
                self.flight.resp_hi = self.hs.recv_seq;
                self.send_flight(true);
                Ok(())
            }
            (State::ClientWaitServerHello, msg::SERVER_HELLO) => {
                self.on_server_hello(ctx, message, body)
            }
            (State::ClientWaitServerHelloDone, msg::SERVER_KEY_EXCHANGE) => {
                if self.hs.seen_server_key_exchange
                    || !matches!(suite::info(self.hs.suite), Some((KeyExchange::Psk, _)))
                {
                    return Err(Fatal::unexpected());
                }
                // The identity hint is parsed for validity and ignored (RFC 7925 4.2).
                psk::parse_server_key_exchange(body).map_err(|_| Fatal::decode())?;
                self.hs.seen_server_key_exchange = true;
                self.hs.transcript.update(message);
                Ok(())
            }
            (State::ClientWaitServerHelloDone, msg::SERVER_HELLO_DONE) => {
                if !body.is_empty() {
                    return Err(Fatal::decode());
                }
                self.hs.transcript.update(message);
                self.send_client_key_exchange_flight()
            }
            (State::ClientWaitFinished, msg::FINISHED) => {
                self.verify_peer_finished(message, body)?;
                self.established();
                Ok(())
            }
            _ => Err(Fatal::unexpected()),
        }
    }

    fn on_server_hello(&mut self, ctx: &MsgCtx, message: &[u8], body: &[u8]) -> Result<(), Fatal> {
        let sh = ServerHello::parse(body).map_err(|_| Fatal::decode())?;
        if sh.version != DTLS12 {
            return Err(Fatal::alert(alert::PROTOCOL_VERSION));
        }
        if !self.offered_suites().any(|s| s == sh.suite) || sh.compression != 0 {
            return Err(Fatal::alert(alert::ILLEGAL_PARAMETER));
        }
        let mut ems = false;
        let mut reneg = false;
        for (t, data) in sh.extensions.clone() {
            match t {
                ext::EXTENDED_MASTER_SECRET => {
                    if !data.is_empty() {
                        return Err(Fatal::decode());
                    }
                    ems = true;
                }
                ext::RENEGOTIATION_INFO => {
                    // Initial handshake: renegotiated_connection must be empty.
                    if data != [0] {
                        return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
                    }
                    reneg = true;
                }
                // Anything we did not offer must not come back (RFC 5246 7.4.1.4).
                _ => return Err(Fatal::alert(alert::UNSUPPORTED_EXTENSION)),
            }
        }
        if self.cfg.require_ems && !ems {
            return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
        }
        self.hs.ems = ems;
        self.hs.peer_secure_renegotiation = reneg;
        self.hs.suite = sh.suite;
        self.hs.server_random = sh.random;
        let sid = sh.session_id;
        self.hs.session_id.get_mut(..sid.len()).ok_or(Fatal::decode())?.copy_from_slice(sid);
        self.hs.session_id_len = sid.len() as u8;
        self.hs.transcript.update(message);
        self.hs.peer_flight_first = ctx.seq;
        self.state = State::ClientWaitServerHelloDone;
        Ok(())
    }

    /// Flight 5: ClientKeyExchange, ChangeCipherSpec, Finished.
    fn send_client_key_exchange_flight(&mut self) -> Result<(), Fatal> {
        self.flight.clear();
        let seq = self.next_send_seq()?;
        let identity = self.psk.identity();
        let m = self.flight.push_message(0, msg::CLIENT_KEY_EXCHANGE, seq, |w| w.vec16(identity))?;
        self.hs.transcript.update(m);
        let mut pms = Zeroizing::new([0u8; 4 + 2 * NANODTLS_MAX_PSK_KEY]);
        let n = psk::premaster(self.psk.key(), &mut pms[..])?;
        self.derive_keys(pms.get(..n).unwrap_or(&[]));
        self.flight.push_ccs(0)?;
        self.rl.write_epoch = 1;
        self.push_finished()?;
        self.flight.resp_lo = self.hs.peer_flight_first;
        self.flight.resp_hi = self.hs.recv_seq;
        self.send_flight(true);
        self.state = State::ClientWaitCcs;
        Ok(())
    }
}
