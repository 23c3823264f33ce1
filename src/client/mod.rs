//! Client side of the handshake (RFC 6347 flights 1, 3 and 5): what to
//! do with each message the server sends, in each state. The messages'
//! formats are in handshake::msg, the extensions' rules in handshake::ext.

mod key_exchange;
mod server_auth;
mod session;

use crate::alert;
use crate::association::{Association, Sources, State};
use crate::auth::Credentials;
use crate::codec::Writer;
use crate::config::Config;
use crate::env::Env;
use crate::error::{Error, Fatal};
use crate::handshake::msg::{
    self, client_hello, client_key_exchange, hello_verify_request, server_hello::ServerHello, server_hello_done,
    server_key_exchange,
};
use crate::handshake::state::Handshake;
use crate::handshake::{ext, MsgOrigin};
use crate::record::DTLS12;
use crate::sizes::NANODTLS_MAX_COOKIE;
use crate::suite::{self, KeyExchange};

/// True if an ECDHE_ECDSA suite is among those offered.
#[cfg(feature = "ecc")]
fn offers_ecc(hs: &Handshake) -> bool {
    hs.offered.iter().take_while(|&&s| s != 0).any(|&s| matches!(suite::info(s), Some((KeyExchange::EcdheEcdsa, _))))
}

/// True if an ECDHE_PSK suite is among those offered (RFC 8442).
#[cfg(feature = "ecdhe-psk")]
fn offers_ecdhe_psk(hs: &Handshake) -> bool {
    hs.offered.iter().take_while(|&&s| s != 0).any(|&s| matches!(suite::info(s), Some((KeyExchange::EcdhePsk, _))))
}

/// Most HelloVerifyRequests we answer in one handshake.
const MAX_HELLO_VERIFY: u8 = 4;

impl Association {
    /// Fix the list of suites to offer (those with credentials, in
    /// configured order); false if there is none.
    pub(crate) fn choose_offered_suites(&mut self, env: &dyn Env, creds: &Credentials) -> bool {
        self.hs.have_own_cert = env.own_certificate().is_some();
        self.hs.authz_type = creds.authz_offer(env);
        // Certificate mode alone (trust anchors, no pinned key): the
        // server must present an X.509 chain.
        #[cfg(feature = "ecc")]
        {
            self.hs.server_x509_only =
                creds.x509_anchored(env) && !(creds.keys.any_trusted() || env.has_peer_key_verifier());
        }
        // cached_info (RFC 7924): offered with a kept server Certificate in
        // certificate mode (the kept chain is validated to our anchors).
        #[cfg(feature = "cached-info")]
        {
            let cached = env.cached_server_certificate().filter(|_| creds.x509_anchored(env));
            self.hs.cached_offer = cached.is_some();
            self.hs.cached_used = false;
            if let Some(c) = cached {
                self.hs.cached_hash = ext::cached_info::certificate_hash(c);
                nd_log!(self.log => Info, "client: cached_info: offering the hash of a kept server Certificate ({} bytes)", c.len());
            }
            // The server's CertificateRequest (type cert_req), kept alone
            // or with the certificate.
            let req = env.cached_certificate_request();
            self.hs.cached_req_offer = req.is_some();
            self.hs.cached_req_used = false;
            if let Some(r) = req {
                self.hs.cached_req_hash = ext::cached_info::request_hash(r);
                nd_log!(self.log => Info, "client: cached_info: offering the hash of a kept CertificateRequest ({} bytes)", r.len());
            }
        }
        // Client certificate URLs (RFC 6066 5): offered with a URL for
        // each certificate of our chain.
        #[cfg(feature = "cert-url")]
        {
            self.hs.cert_url_offer = crate::auth::cert_url::urls_cover_chain(env);
            self.hs.cert_url_used = false;
        }
        let mut n = 0;
        let mut offered = [0u16; crate::config::MAX_SUITES];
        for s in self.cfg.suite_list() {
            let usable = match suite::info(s) {
                Some((KeyExchange::Psk, _)) => creds.psk.has_key(),
                #[cfg(feature = "ecdhe-psk")]
                Some((KeyExchange::EcdhePsk, _)) => creds.psk.has_key(),
                #[cfg(feature = "ecc")]
                Some((KeyExchange::EcdheEcdsa, _)) => creds.can_verify_peer(env) || self.hs.authz_type != 0,
                _ => false,
            };
            if usable {
                if let Some(slot) = offered.get_mut(n) {
                    *slot = s;
                    n += 1;
                }
            }
        }
        self.hs.offered = offered;
        n > 0
    }

    /// Suites we offer, in preference order.
    fn offered_suites(&self) -> impl Iterator<Item = u16> + '_ {
        self.hs.offered.iter().copied().take_while(|&s| s != 0)
    }

    /// Pick the random and send flight 1 (credentials were checked by connect).
    pub(crate) fn start_client(&mut self, env: &mut dyn Env, now: u64, creds: &Credentials) -> Result<(), Fatal> {
        // RFC 7925: the whole random comes from the RNG (no gmt_unix_time).
        env.random(&mut self.hs.client_random).map_err(|_| Fatal::silent(Error::Rng))?;
        // RFC 5077 3.4: a ticket goes with a session ID, so that the
        // server's echo tells a resumption; the server gave none: ours.
        #[cfg(feature = "tickets")]
        if self.session.valid && self.session.id_len == 0 {
            if self.ticket.len == 0 || !self.cfg.tickets {
                self.forget_session();
            } else {
                env.random(&mut self.session.id).map_err(|_| Fatal::silent(Error::Rng))?;
                self.session.id_len = 32;
            }
        }
        // RFC 9146: our CID comes from the RNG, new for every connection
        // (resumption included: it is not part of the session).
        #[cfg(feature = "cid")]
        if self.cfg.connection_id {
            self.rl
                .cid
                .new_rx(usize::from(self.cfg.cid_len), &mut |b| env.random(b))
                .map_err(|_| Fatal::silent(Error::Rng))?;
        }
        self.hs.deadline = now.saturating_add(u64::from(self.cfg.handshake_timeout_ms));
        self.flight.clear();
        self.flight.interval_ms = self.cfg.retransmit_initial_ms;
        self.write_client_hello(env, creds)?;
        self.send_flight(true);
        self.state = State::ClientWaitServerHello;
        Ok(())
    }

    /// What we offer in the ClientHello's extensions (and accept back).
    /// Built from the fields it needs, so the flight can be borrowed beside it.
    #[cfg_attr(not(feature = "ecc"), allow(unused_variables))]
    fn extension_offer<'a>(
        sni: &'a [u8],
        cfg: &Config,
        hs: &'a Handshake,
        #[cfg(feature = "cid")] cid: &'a crate::record::cid::CidState,
        #[cfg(feature = "ecc")] keys: &crate::auth::rpk::KeyCredentials,
        #[cfg(feature = "tickets")] ticket: &'a [u8],
    ) -> ext::Offer<'a> {
        ext::Offer {
            server_name: sni,
            mfl_code: ext::max_fragment_length::code(cfg.max_fragment_length),
            rsl: cfg.record_size_limit,
            heartbeat: cfg.heartbeat,
            #[cfg(feature = "cid")]
            cid: cfg.connection_id.then(|| cid.rx()),
            #[cfg(feature = "ecc")]
            ecc: offers_ecc(hs)
                .then_some(ext::cert_type::ClientOffer {
                    types: !hs.no_rpk_offer,
                    own_key: keys.has_own(),
                    own_cert: hs.have_own_cert,
                    authz: hs.authz_type,
                    server_x509_only: hs.server_x509_only,
                })
                .or_else(|| Self::ecdhe_psk_offer(hs)),
            #[cfg(feature = "tickets")]
            ticket: cfg.tickets.then_some(ticket),
            #[cfg(feature = "cached-info")]
            cached_cert: (hs.cached_offer && offers_ecc(hs)).then_some(&hs.cached_hash),
            #[cfg(feature = "cached-info")]
            cached_req: (hs.cached_req_offer && offers_ecc(hs)).then_some(&hs.cached_req_hash),
            #[cfg(feature = "cert-url")]
            cert_url: hs.cert_url_offer && offers_ecc(hs),
        }
    }

    /// ECDHE_PSK alone: the curve extensions (RFC 8422 5.1), no
    /// certificate types.
    #[cfg(feature = "ecc")]
    fn ecdhe_psk_offer(hs: &Handshake) -> Option<ext::cert_type::ClientOffer> {
        #[cfg(feature = "ecdhe-psk")]
        if offers_ecdhe_psk(hs) {
            return Some(ext::cert_type::ClientOffer {
                types: false,
                own_key: false,
                own_cert: false,
                server_x509_only: false,
                authz: 0,
            });
        }
        let _ = hs;
        None
    }

    fn offer<'a>(&'a self, creds: &'a Credentials) -> ext::Offer<'a> {
        let _ = creds;
        Self::extension_offer(
            self.sni.get(..usize::from(self.sni_len)).unwrap_or(&[]),
            &self.cfg,
            &self.hs,
            #[cfg(feature = "cid")]
            &self.rl.cid,
            #[cfg(feature = "ecc")]
            &creds.keys,
            #[cfg(feature = "tickets")]
            self.offered_ticket(),
        )
    }

    /// Build ClientHello (with the stored cookie, if any) as a new flight.
    /// The transcript restarts with it (RFC 6347 4.2.1: the HelloVerifyRequest
    /// exchange is not part of the handshake transcript).
    fn write_client_hello(&mut self, env: &dyn Env, creds: &Credentials) -> Result<(), Fatal> {
        self.flight.clear();
        self.hs.transcript.reset();
        self.push_message(creds, env, 0, msg::CLIENT_HELLO, write_body)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn client_message(
        &mut self,
        env: &mut dyn Env,
        creds: &Credentials,
        now: u64,
        origin: &MsgOrigin,
        msg_type: u8,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), Fatal> {
        let _ = now;
        let kx = suite::info(self.hs.suite).map(|(k, _)| k);
        match (self.state, msg_type) {
            (State::ClientWaitServerHello, msg::HELLO_VERIFY_REQUEST) => {
                let cookie = hello_verify_request::parse(body).map_err(|_| Fatal::decode())?;
                if cookie.len() > NANODTLS_MAX_COOKIE {
                    nd_log!(self.log =>
                        Warn,
                        "client: HelloVerifyRequest cookie of {} bytes exceeds NANODTLS_MAX_COOKIE ({})",
                        cookie.len(),
                        NANODTLS_MAX_COOKIE
                    );
                    return Err(Fatal::alert(alert::INTERNAL_ERROR));
                }
                if self.hs.hello_verify_count >= MAX_HELLO_VERIFY {
                    return Err(Fatal::unexpected());
                }
                // The first HelloVerifyRequest is taken at once. A later one
                // only once the ClientHello with the cookie went unanswered
                // for a whole retransmission timeout: until then the
                // server's ServerHello may be on its way, and a forged
                // HelloVerifyRequest racing it would make us abandon a
                // ClientHello the server accepted (an off-path stall). A
                // server that wants a new cookie (its secret rotated) sees
                // our retransmitted ClientHello and asks again.
                if self.hs.hello_verify_count > 0 && self.flight.retransmits == 0 {
                    nd_log!(self.log => Info, "client: another HelloVerifyRequest before our ClientHello timed out: not taken");
                    return Err(Fatal::unexpected());
                }
                // Accepted: from here on only state changes.
                self.hs.hello_verify_count += 1;
                self.stats.hello_verify_requests = self.stats.hello_verify_requests.saturating_add(1);
                nd_log!(self.log =>
                    Info,
                    "client: HelloVerifyRequest received (cookie {} bytes): sending ClientHello again",
                    cookie.len()
                );
                self.hs.cookie.get_mut(..cookie.len()).ok_or(Fatal::internal(Error::Internal))?.copy_from_slice(cookie);
                self.hs.cookie_len = cookie.len() as u8;
                self.hs.peer_flight_first = origin.message_seq;
                self.write_client_hello(env, creds)?;
                self.send_flight(true);
                Ok(())
            }
            (State::ClientWaitServerHello, msg::SERVER_HELLO) => self.on_server_hello(creds, origin, message, body),
            #[cfg(feature = "ecdhe-psk")]
            (State::ClientWaitServerKeyExchange, msg::SERVER_KEY_EXCHANGE) if kx == Some(KeyExchange::EcdhePsk) => {
                let (_hint, point) = server_key_exchange::parse_ecdhe_psk(body).map_err(|e| match e {
                    Error::Unsupported => Fatal::alert(alert::ILLEGAL_PARAMETER),
                    _ => Fatal::decode(),
                })?;
                // The hint is ignored (RFC 7925 4.2); the point must be on the curve.
                crate::crypto::ecc::validate_point(point).map_err(|_| Fatal::alert(alert::ILLEGAL_PARAMETER))?;
                self.hs.ecc.eph_point.copy_from_slice(point);
                self.hs.seen_server_key_exchange = true;
                self.hs.transcript.update(message);
                self.state = State::ClientWaitServerHelloDone;
                Ok(())
            }
            #[cfg(feature = "cached-info")]
            (State::ClientWaitCertificate, msg::CERTIFICATE) if self.hs.cached_used => {
                self.on_cached_certificate(env, creds, message, body)
            }
            #[cfg(feature = "ecc")]
            (State::ClientWaitCertificate, msg::CERTIFICATE) => {
                let key = if let Some(k) = Self::authz_pinned_key(&self.hs, creds, body) {
                    // AuthzCert: an empty X.509 certificate_list, the
                    // server's key is the one we pinned (docs/ttp.md).
                    k
                } else if self.hs.peer_cert_x509 && creds.x509_anchored(env) {
                    let key = self.accept_server_chain(env, creds, body)?;
                    // cached_info: the application may keep this chain.
                    #[cfg(feature = "cached-info")]
                    env.store_server_certificate(body);
                    key
                } else {
                    let spki = msg::certificate::peer_spki(body, self.hs.peer_cert_x509)?;
                    let spki = spki.ok_or(Fatal::alert(alert::BAD_CERTIFICATE))?;
                    creds.keys.accept_peer_key(env, spki)?
                };
                self.hs.ecc.set_peer(&key);
                self.hs.transcript.update(message);
                self.state = State::ClientWaitServerKeyExchange;
                Ok(())
            }
            #[cfg(feature = "ecc")]
            (State::ClientWaitServerKeyExchange, msg::SERVER_KEY_EXCHANGE) => {
                self.on_ecdhe_server_key_exchange(body)?;
                self.hs.transcript.update(message);
                self.state = State::ClientWaitServerHelloDone;
                Ok(())
            }
            (State::ClientWaitServerHelloDone, msg::SERVER_KEY_EXCHANGE) if kx == Some(KeyExchange::Psk) => {
                if self.hs.seen_server_key_exchange {
                    return Err(Fatal::unexpected());
                }
                // The identity hint is parsed for validity and ignored (RFC 7925 4.2).
                server_key_exchange::parse_psk(body).map_err(|_| Fatal::decode())?;
                self.hs.seen_server_key_exchange = true;
                self.hs.transcript.update(message);
                Ok(())
            }
            #[cfg(feature = "ecc")]
            (State::ClientWaitServerHelloDone, msg::CERTIFICATE_REQUEST)
                if kx == Some(KeyExchange::EcdheEcdsa) && !self.hs.ecc.cert_requested =>
            {
                #[cfg(feature = "cached-info")]
                let request = self.certificate_request_body(env, body)?;
                #[cfg(not(feature = "cached-info"))]
                let request = body;
                let usable = msg::certificate_request::parse(request).map_err(|_| Fatal::decode())?;
                if !usable && creds.keys.has_own() {
                    // We cannot sign anything the server accepts.
                    return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
                }
                // cached_info: the application may keep this request.
                #[cfg(feature = "cached-info")]
                if !self.hs.cached_req_used {
                    env.store_certificate_request(body);
                }
                self.hs.ecc.cert_requested = true;
                self.hs.transcript.update(message);
                Ok(())
            }
            (State::ClientWaitServerHelloDone, msg::SERVER_HELLO_DONE) => {
                server_hello_done::parse(body)?;
                // AuthzCert: the server must ask for our certificate.
                #[cfg(feature = "ecc")]
                if self.hs.authz && !self.hs.ecc.cert_requested {
                    return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
                }
                self.hs.transcript.update(message);
                self.send_client_key_exchange_flight(env, creds)
            }
            #[cfg(feature = "tickets")]
            (State::ClientWaitCcs | State::ClientWaitFinished, msg::NEW_SESSION_TICKET)
                if self.hs.ticket_expected && !self.hs.ticket_received =>
            {
                self.on_new_session_ticket(origin, message, body)
            }
            (State::ClientWaitFinished, msg::FINISHED) => {
                #[cfg(feature = "tickets")]
                if self.hs.ticket_expected && !self.hs.ticket_received {
                    return Err(Fatal::unexpected());
                }
                self.verify_peer_finished(message, body)?;
                if self.hs.resumed {
                    // Abbreviated handshake: our CCS and Finished are the
                    // last flight (no timer; resent if the server resends).
                    self.flight.clear();
                    self.push_ccs()?;
                    self.push_finished(creds, env, write_body)?;
                    self.send_flight(false);
                } else {
                    self.remember_session();
                }
                self.established();
                Ok(())
            }
            _ => Err(Fatal::unexpected()),
        }
    }

    fn on_server_hello(
        &mut self,
        creds: &Credentials,
        origin: &MsgOrigin,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), Fatal> {
        let sh = ServerHello::parse(body).map_err(|_| Fatal::decode())?;
        if sh.version != DTLS12 {
            return Err(Fatal::alert(alert::PROTOCOL_VERSION));
        }
        if !self.offered_suites().any(|s| s == sh.suite) || sh.compression != 0 {
            return Err(Fatal::alert(alert::ILLEGAL_PARAMETER));
        }
        let kx = suite::info(sh.suite).map(|(k, _)| k);
        let answered = ext::read_answer(sh.extensions.clone(), &self.offer(creds))?;
        #[cfg(feature = "tickets")]
        let ticket_expected = answered.ticket;
        #[cfg(feature = "cid")]
        let server_cid = answered.cid;
        #[cfg(feature = "cached-info")]
        let cached_answered = answered.cached_cert;
        #[cfg(feature = "cached-info")]
        let cached_req_answered = answered.cached_req;
        #[cfg(feature = "cert-url")]
        let cert_url_answered = answered.cert_url;
        let ext::Answered {
            ems,
            reneg,
            mfl_code: mfl,
            rsl,
            heartbeat: hb_mode,
            server_x509,
            client_x509,
            client_authz,
            ..
        } = answered;
        let sid = sh.session_id;
        let resuming = self.session.valid && !sid.is_empty() && crate::crypto::ct_eq(sid, self.session.id());
        nd_log!(self.log =>
            Debug,
            "client: ServerHello: {} (0x{:04X}), resuming {}, ems {}, max_fragment_length code {}",
            suite::name(sh.suite),
            sh.suite,
            crate::log::yes(resuming),
            crate::log::yes(ems),
            mfl
        );
        if rsl != 0 {
            nd_log!(self.log => Debug, "client: ServerHello: record_size_limit {}", rsl);
        }
        if self.cfg.require_ems && !ems {
            return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
        }
        // AuthzCert is all we offered as our certificate: a full ECDHE_ECDSA
        // handshake must take it (docs/ttp.md).
        #[cfg(feature = "ecc")]
        if self.hs.authz_type != 0 && kx == Some(KeyExchange::EcdheEcdsa) && !resuming && !client_authz {
            nd_log!(self.log => Warn, "client: the server did not choose AuthzCert for our certificate");
            return Err(Fatal::alert(alert::UNSUPPORTED_CERTIFICATE));
        }
        // RFC 5246 7.4.1.3 / RFC 7627 5.3: same suite, same EMS use.
        if resuming && (sh.suite != self.session.suite || ems != self.session.ems) {
            return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
        }
        let sid_dst = self.hs.session_id.get_mut(..sid.len()).ok_or(Fatal::decode())?;
        // Accepted: from here on only state changes (the ServerHello was
        // checked whole before, so a refused one changed nothing).
        sid_dst.copy_from_slice(sid);
        self.hs.session_id_len = sid.len() as u8;
        self.hs.peer_cert_x509 = server_x509;
        self.hs.own_cert_x509 = client_x509;
        self.hs.authz = client_authz;
        // cached_info answered: the Certificate comes in the hash form
        // (only in a full ECDHE_ECDSA handshake with an X.509 server).
        #[cfg(feature = "cached-info")]
        {
            self.hs.cached_used = cached_answered && server_x509 && !resuming && kx == Some(KeyExchange::EcdheEcdsa);
            self.hs.cached_req_used = cached_req_answered && !resuming && kx == Some(KeyExchange::EcdheEcdsa);
        }
        // client_certificate_url echoed: our X.509 chain goes by URL.
        #[cfg(feature = "cert-url")]
        {
            self.hs.cert_url_used = cert_url_answered && client_x509 && !resuming;
        }
        self.hs.ems = ems;
        self.hs.peer_secure_renegotiation = reneg;
        self.hs.suite = sh.suite;
        self.hs.server_random = sh.random;
        self.hs.mfl_code = mfl;
        self.hs.rsl_peer = rsl;
        self.hs.rsl_own = if rsl != 0 { self.cfg.record_size_limit } else { 0 };
        #[cfg(feature = "tickets")]
        {
            self.hs.ticket_expected = ticket_expected;
            self.hs.ticket_used = resuming && !self.ticket.ticket().is_empty();
        }
        // RFC 9146: the server's CID goes into every protected record we
        // send (none if it is empty); ours into every one it sends.
        #[cfg(feature = "cid")]
        if let Some(cid) = server_cid {
            self.rl.cid.set_tx(cid).map_err(|_| Fatal::alert(alert::ILLEGAL_PARAMETER))?;
            self.rl.cid.negotiated = true;
        }
        // Heartbeat: the server's mode says whether we may send requests;
        // having offered peer_allowed_to_send, we answer its requests.
        self.hb.may_send = hb_mode == 1;
        self.hb.answer = hb_mode != 0;
        self.hs.transcript.update(message);
        self.hs.peer_flight_first = origin.message_seq;
        if resuming {
            self.hs.resumed = true;
            self.hs.master = self.session.master;
            self.install_keys();
            #[cfg(feature = "ecc")]
            if self.session.peer_kind == crate::session::PeerKind::KeyHash {
                if let Ok(h) = <[u8; 32]>::try_from(self.session.peer()) {
                    self.hs.ecc.peer_hash = h;
                    self.hs.ecc.has_peer = true;
                }
            }
            // Certificate mode: the server's identity its chain proved in
            // the full handshake, as after that handshake.
            #[cfg(feature = "x509")]
            if self.session.peer_kind == crate::session::PeerKind::X509 {
                if let Some((h, peer)) = crate::auth::x509::trust::PeerX509::from_session(self.session.peer()) {
                    self.hs.ecc.peer_hash = h;
                    self.hs.ecc.has_peer = true;
                    self.x509_peer = peer;
                }
            }
            self.state = State::ClientWaitCcs;
            return Ok(());
        }
        // The server did not resume: the offered session is gone (it is
        // cleared with our next flight: until then the ClientHello that
        // offered it may have to be sent again, the same).
        self.state = match kx {
            #[cfg(feature = "ecc")]
            Some(KeyExchange::EcdheEcdsa) => State::ClientWaitCertificate,
            // RFC 5489 2: the ServerKeyExchange is always sent.
            #[cfg(feature = "ecdhe-psk")]
            Some(KeyExchange::EcdhePsk) => State::ClientWaitServerKeyExchange,
            _ => State::ClientWaitServerHelloDone,
        };
        Ok(())
    }
}

/// The body of our handshake message `msg_type` (flights 1, 3 and 5),
/// written from the state each time it is sent (RFC 6347 4.2.4: a
/// retransmitted flight is the same flight).
pub(crate) fn write_body(src: &Sources<'_>, msg_type: u8, w: &mut Writer<'_>) -> Result<(), Error> {
    let hs = src.hs;
    match msg_type {
        msg::CLIENT_HELLO => {
            let cookie = hs.cookie.get(..usize::from(hs.cookie_len)).unwrap_or(&[]);
            // Offer the stored session for resumption (RFC 5246 7.4.1.2).
            let session_id = if src.session.valid { src.session.id() } else { &[] };
            let offer = Association::extension_offer(
                src.sni,
                src.cfg,
                hs,
                #[cfg(feature = "cid")]
                src.cid,
                #[cfg(feature = "ecc")]
                &src.creds.keys,
                #[cfg(feature = "tickets")]
                if src.session.valid { src.ticket.ticket() } else { &[] },
            );
            client_hello::write(w, &hs.client_random, session_id, cookie, &hs.offered, &offer)
        }
        msg::CLIENT_KEY_EXCHANGE => match suite::info(hs.suite).map(|(k, _)| k) {
            #[cfg(feature = "ecc")]
            Some(KeyExchange::EcdheEcdsa) => client_key_exchange::write_ecdh(w, &hs.ecc.eph_point),
            #[cfg(feature = "ecdhe-psk")]
            Some(KeyExchange::EcdhePsk) => {
                client_key_exchange::write_ecdhe_psk(w, src.creds.psk.identity(), &hs.ecc.eph_point)
            }
            _ => client_key_exchange::write_psk(w, src.creds.psk.identity()),
        },
        #[cfg(feature = "authz-cert")]
        msg::CERTIFICATE if hs.ecc.sent_certificate && hs.authz => {
            crate::auth::authz_cert::write_certificate_message(w, src.env.authz_cert().ok_or(Error::Internal)?)
        }
        #[cfg(feature = "ecc")]
        msg::CERTIFICATE if hs.ecc.sent_certificate => {
            let cert = if hs.own_cert_x509 { src.env.own_certificate() } else { None };
            msg::certificate::write(w, &src.creds.keys.own_spki(), cert)
        }
        #[cfg(feature = "ecc")]
        msg::CERTIFICATE => w.u24(0),
        #[cfg(feature = "cert-url")]
        msg::CERTIFICATE_URL => {
            let env = src.env;
            msg::certificate_url::write(w, env.own_certificate().ok_or(Error::Internal)?, &|i| {
                env.own_certificate_url(i)
            })
        }
        #[cfg(feature = "ecc")]
        msg::CERTIFICATE_VERIFY => {
            msg::certificate_verify::write(w, hs.ecc.sig.get(..usize::from(hs.ecc.sig_len)).unwrap_or(&[]))
        }
        msg::FINISHED => msg::finished::write(w, &hs.own_verify_data),
        _ => Err(Error::Internal),
    }
}
