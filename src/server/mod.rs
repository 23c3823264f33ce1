//! Server side of the handshake (RFC 6347 flights 2, 4 and 6): what to do
//! with each message the client sends, in each state. The messages'
//! formats are in handshake::msg, the extensions' rules in handshake::ext.

mod client_auth;
mod key_exchange;
mod resume;

#[cfg(feature = "cid")]
use zerocopy::FromZeros;

use crate::alert;
use crate::association::{Association, Sources, State};
use crate::auth::Credentials;
use crate::codec::Writer;
use crate::env::Env;
use crate::error::{Error, Fatal};
#[cfg(feature = "ecc")]
use crate::handshake::ext::ec::EccCaps;
use crate::handshake::msg::{self, client_hello::ClientHello, server_hello, server_key_exchange};
use crate::handshake::{ext, MsgOrigin};
use crate::suite::{self, KeyExchange};

impl Association {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn server_message(
        &mut self,
        env: &mut dyn Env,
        creds: &Credentials,
        now: u64,
        origin: &MsgOrigin,
        msg_type: u8,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), Fatal> {
        match (self.state, msg_type) {
            (State::ServerWaitClientHello, msg::CLIENT_HELLO) => {
                self.on_client_hello(env, creds, now, origin, message, body, &[])
            }
            #[cfg(feature = "authz-cert")]
            (State::ServerWaitClientCertificate, msg::CERTIFICATE) if self.hs.authz => {
                self.on_authz_certificate(creds, origin, message, body)
            }
            #[cfg(feature = "ecc")]
            (State::ServerWaitClientCertificate, msg::CERTIFICATE) => {
                let key = if self.hs.peer_cert_x509 && creds.x509_anchored(env) {
                    self.accept_client_chain(env, creds, body)?
                } else {
                    let spki = msg::certificate::peer_spki(body, self.hs.peer_cert_x509)?;
                    // client_auth is required when we ask: no key, no handshake.
                    let spki = spki.ok_or(Fatal::alert(alert::HANDSHAKE_FAILURE))?;
                    creds.keys.accept_peer_key(env, spki)?
                };
                self.hs.ecc.set_peer(&key);
                self.hs.peer_flight_first = origin.message_seq;
                self.hs.transcript.update(message);
                self.state = State::ServerWaitClientKeyExchange;
                Ok(())
            }
            // Paused on a CertificateURL: the rest of the client's flight is
            // dropped unaccepted (its retransmission after the resume is
            // processed); at the deadline certificate_unobtainable goes out.
            #[cfg(feature = "cert-url")]
            (State::ServerWaitClientCertificate, _) if self.hs.cert_url_paused => {
                Err(Fatal::alert(alert::CERTIFICATE_UNOBTAINABLE))
            }
            // RFC 6066 5: the client's chain by URL, when we echoed the extension.
            #[cfg(feature = "cert-url")]
            (State::ServerWaitClientCertificate, msg::CERTIFICATE_URL) if self.hs.cert_url_used => {
                use crate::env::CertUrlFetch;
                let list = msg::certificate_url::parse_fatal(body, crate::sizes::NANODTLS_MAX_CERT_CHAIN)?;
                let hashes = list.iter().map(|u| u.hash);
                let key = match env.fetch_client_certificates(&mut list.iter().map(|u| (u.url, u.hash))) {
                    CertUrlFetch::Refused => {
                        nd_log!(self.log => Warn, "server: the application could not fetch the client's certificates");
                        return Err(Fatal::alert(alert::CERTIFICATE_UNOBTAINABLE));
                    }
                    CertUrlFetch::Fetched => {
                        let fetched = env.fetched_client_certificates();
                        crate::auth::cert_url::check_fetched(env, creds, hashes, fetched, &mut self.x509_peer)?
                    }
                    CertUrlFetch::Pending => {
                        // Accepted: pause until provide/refuse (docs/cert_url.md).
                        self.hs.cert_url_hashes = [[0; 20]; crate::sizes::NANODTLS_MAX_CERT_CHAIN];
                        for (slot, h) in self.hs.cert_url_hashes.iter_mut().zip(hashes) {
                            *slot = *h;
                        }
                        self.hs.cert_url_count = list.len() as u8;
                        self.hs.cert_url_paused = true;
                        self.hs.peer_flight_first = origin.message_seq;
                        self.hs.transcript.update(message);
                        nd_log!(self.log => Info, "server: CertificateURL with {} URLs: paused for the application", list.len());
                        return Ok(());
                    }
                };
                self.hs.ecc.set_peer(&key);
                self.hs.peer_flight_first = origin.message_seq;
                self.hs.transcript.update(message);
                self.state = State::ServerWaitClientKeyExchange;
                Ok(())
            }
            (State::ServerWaitClientKeyExchange, msg::CLIENT_KEY_EXCHANGE) => {
                match crate::suite::info(self.hs.suite).map(|(k, _)| k) {
                    #[cfg(feature = "ecc")]
                    Some(KeyExchange::EcdheEcdsa) => self.on_ecdh_client_key_exchange(origin, message, body),
                    #[cfg(feature = "ecdhe-psk")]
                    Some(KeyExchange::EcdhePsk) => {
                        self.on_ecdhe_psk_client_key_exchange(env, creds, origin, message, body)
                    }
                    _ => self.on_client_key_exchange(env, creds, origin, message, body),
                }
            }
            #[cfg(feature = "ecc")]
            (State::ServerWaitCertificateVerify, msg::CERTIFICATE_VERIFY) => {
                let (alg, sig) = msg::certificate_verify::parse(body).map_err(|_| Fatal::decode())?;
                if alg != ext::ec::ECDSA_SHA256 {
                    return Err(Fatal::alert(alert::ILLEGAL_PARAMETER));
                }
                let hash = self.hs.transcript.digest();
                // AuthzCert: the last of the certificate's checks (docs/ttp.md).
                let refused = if self.hs.authz { alert::BAD_CERTIFICATE } else { alert::DECRYPT_ERROR };
                crate::crypto::ecc::verify(&self.hs.ecc.peer_point, &hash, sig).map_err(|_| {
                    nd_log!(self.log => Warn, "server: CertificateVerify does not verify with the client's key");
                    Fatal::alert(refused)
                })?;
                self.hs.transcript.update(message);
                self.state = State::ServerWaitCcs;
                Ok(())
            }
            (State::ServerWaitFinished, msg::FINISHED) if self.hs.resumed => {
                self.verify_peer_finished(message, body)?;
                self.established();
                Ok(())
            }
            (State::ServerWaitFinished, msg::FINISHED) => {
                self.verify_peer_finished(message, body)?;
                // Trust anchor modes: the seq is checked again and marked
                // used only now (docs/ttp.md).
                #[cfg(nanodtls_ttp)]
                if creds.commit_trust_anchor(&mut self.hs.ttp).map_err(|(f, _why)| {
                    nd_log!(self.log => Warn, "server: {} (seq {}): refused at the end of the handshake", _why, self.hs.ttp.seq);
                    f
                })? {
                    nd_log!(self.log => Info, "server: trust anchor {} seq {} accepted and marked used", self.hs.ttp.ta, self.hs.ttp.seq);
                }
                self.cache_session(env, now);
                // Flight 6: [NewSessionTicket], ChangeCipherSpec, Finished.
                // It is the last flight: no timer, but it is resent if the
                // client retransmits its flight 5.
                self.flight.clear();
                #[cfg(feature = "tickets")]
                self.push_new_session_ticket(env, creds, now)?;
                self.push_ccs()?;
                self.push_finished(creds, env, write_body)?;
                self.send_flight(false);
                self.established();
                Ok(())
            }
            _ => Err(Fatal::unexpected()),
        }
    }

    /// True if we can serve suite `s` to a client with `caps`.
    fn server_can_use(&self, s: u16, env: &dyn Env, creds: &Credentials, offered: &ext::Offered<'_>) -> bool {
        let _ = offered;
        match suite::info(s) {
            Some((KeyExchange::Psk, _)) => creds.psk.has_key() || env.has_psk_lookup() || creds.has_trust_anchors(),
            #[cfg(feature = "ecdhe-psk")]
            Some((KeyExchange::EcdhePsk, _)) => {
                (creds.psk.has_key() || env.has_psk_lookup() || creds.has_trust_anchors())
                    && offered.ecc.p256
                    && offered.ecc.uncompressed
            }
            #[cfg(feature = "ecc")]
            Some((KeyExchange::EcdheEcdsa, _)) if offered.ecc.client_authz => {
                // AuthzCert: our Certificate is an empty X.509 list (the
                // client pinned our key); the client's comes from a TA.
                let caps = &offered.ecc;
                creds.keys.has_own() && caps.p256 && caps.uncompressed && caps.ecdsa_sha256 && caps.server_x509
            }
            #[cfg(feature = "ecc")]
            Some((KeyExchange::EcdheEcdsa, _)) => {
                let caps = &offered.ecc;
                let can_present = caps.server_rpk || (caps.server_x509 && env.own_certificate().is_some());
                // A client key: pinned (or the verifier's), either type; or
                // an X.509 chain validated to our trust anchors.
                let pins = creds.keys.any_trusted() || env.has_peer_key_verifier();
                let can_verify =
                    ((caps.client_rpk || caps.client_x509) && pins) || (caps.client_x509 && creds.x509_anchored(env));
                creds.keys.has_own()
                    && caps.p256
                    && caps.uncompressed
                    && caps.ecdsa_sha256
                    && can_present
                    && (!self.cfg.client_auth || can_verify)
            }
            _ => false,
        }
    }

    /// Handle a ClientHello. `peer_addr` binds the cookie (empty for a
    /// single-peer context, whose caller owns the socket).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_client_hello(
        &mut self,
        env: &mut dyn Env,
        creds: &Credentials,
        now: u64,
        origin: &MsgOrigin,
        message: &[u8],
        body: &[u8],
        peer_addr: &[u8],
    ) -> Result<(), Fatal> {
        let Ok(ch) = ClientHello::parse(body) else {
            // Nothing is established yet and the source is unverified: drop.
            nd_drop!(self, dropped_malformed, "malformed ClientHello of {} bytes", body.len());
            return Ok(());
        };
        if self.cfg.require_cookie {
            let mut rng = |b: &mut [u8]| env.random(b);
            if self.cookies.refresh(now, self.cfg.cookie_lifetime_ms, &mut rng).is_err() {
                // Our own failure, like one for the ServerHello random: the
                // handshake cannot go on (no alert: nothing was sent yet).
                nd_log!(self.log => Error, "server: the RNG failed to refresh the cookie secret");
                return Err(Fatal::silent(Error::Rng));
            }
            if !self.cookies.verify(peer_addr, &ch) {
                self.send_hello_verify_request(origin, peer_addr, &ch);
                return Ok(());
            }
            self.hs.cookie_verified = true;
        }
        // Everything is decided before anything changes: a refused
        // ClientHello leaves the context as it was.
        if !ch.supports_dtls12() {
            return Err(Fatal::alert(alert::PROTOCOL_VERSION));
        }
        if !ch.offers_null_compression() {
            return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
        }
        #[allow(unused_mut)]
        let mut offered = ext::read_offer(ch.extensions.clone(), ch.offers(suite::EMPTY_RENEGOTIATION_INFO_SCSV))?;
        // AuthzCert (docs/ttp.md): offered with the codepoint we accept.
        #[cfg(feature = "ecc")]
        {
            let t = creds.authz_accepted();
            offered.ecc.client_authz = t != 0 && offered.client_cert_types.contains(&t);
        }
        let (ems, reneg, mfl, hb_mode, sni) =
            (offered.ems, offered.reneg, offered.mfl_code, offered.heartbeat, offered.server_name);
        if let Some(name) = sni {
            if env.server_name(name) == Some(false) {
                nd_log!(self.log => Warn, "server: server_name ({} bytes) refused by the application", name.len());
                return Err(Fatal::alert(alert::UNRECOGNIZED_NAME));
            }
        }
        if self.cfg.require_ems && !ems {
            return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
        }
        let resume = self.can_resume(env, now, &ch, ems);
        #[cfg(feature = "tickets")]
        let (from_ticket, issue_ticket) = {
            let issue = self.cfg.tickets && offered.ticket.is_some() && env.ticket_keys().is_some();
            let t = if resume { None } else { self.ticket_session(env, now, &ch, offered.ticket, ems)? };
            (t, issue)
        };
        #[cfg(feature = "tickets")]
        let resume = resume || from_ticket.is_some();
        let chosen = self.cfg.suite_list().find(|&s| ch.offers(s) && self.server_can_use(s, env, creds, &offered));
        if !resume && chosen.is_none() {
            nd_log!(self.log =>
                Warn,
                "server: no usable cipher suite among the {} the client offers (credentials? suites?)",
                ch.suites.len() / 2
            );
            return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
        }
        // RFC 9146: a client that offers connection_id gets our CID (from
        // the RNG) in the ServerHello. One longer than NANODTLS_MAX_CID
        // cannot be sent: then CID is not negotiated (ordinary records).
        #[cfg(feature = "cid")]
        let cid = match offered.cid {
            Some(peer) if self.cfg.connection_id && peer.len() <= crate::sizes::NANODTLS_MAX_CID => {
                let mut ours = crate::record::cid::CidState::new_zeroed();
                ours.new_rx(usize::from(self.cfg.cid_len), &mut |b| env.random(b))
                    .map_err(|_| Fatal::silent(Error::Rng))?;
                ours.set_tx(peer).map_err(|_| Fatal::internal(Error::Internal))?;
                ours.negotiated = true;
                Some(ours)
            }
            Some(peer) if self.cfg.connection_id => {
                let _ = peer; // (only the log uses it)
                nd_log!(self.log =>
                    Info,
                    "server: the client's connection ID of {} bytes exceeds NANODTLS_MAX_CID ({}): not negotiated",
                    peer.len(),
                    crate::sizes::NANODTLS_MAX_CID
                );
                None
            }
            _ => None,
        };
        // Accepted: from here on only state changes.
        #[cfg(feature = "cert-url")]
        {
            self.hs.cert_url_offer = offered.cert_url;
            self.hs.cert_url_used = false;
        }
        #[cfg(feature = "cached-info")]
        {
            self.hs.cached_offer = offered.cached_cert.is_some();
            self.hs.cached_hash = offered.cached_cert.unwrap_or([0; 32]);
            self.hs.cached_used = false;
            self.hs.cached_req_offer = offered.cached_req.is_some();
            self.hs.cached_req_hash = offered.cached_req.unwrap_or([0; 32]);
            self.hs.cached_req_used = false;
        }
        #[cfg(feature = "cid")]
        if let Some(c) = cid {
            self.rl.cid = c;
        }
        // Our record numbers continue from the client's (RFC 6347 4.2.1), so
        // anything we send now - even an alert - is above the number a
        // HelloVerifyRequest used and passes the client's replay window.
        if let Some(s) = self.rl.write_seq.get_mut(0) {
            *s = (*s).max(origin.record_seq);
        }
        if let Some(name) = sni {
            if let Some(d) = self.sni.get_mut(..name.len()) {
                d.copy_from_slice(name);
                self.sni_len = name.len() as u8;
            }
        }
        // record_size_limit (RFC 8449): answered whenever offered; then
        // read_offer has already dropped a max_fragment_length beside it.
        self.hs.mfl_code = mfl;
        self.hs.rsl_peer = offered.rsl;
        self.hs.rsl_own = if offered.rsl != 0 {
            ext::record_size_limit::own_limit(self.cfg.record_size_limit, self.cfg.mtu)
        } else {
            0
        };
        if self.cfg.heartbeat && hb_mode != 0 {
            // We reply peer_allowed_to_send: we answer the client's requests;
            // the client's mode says whether we may send our own.
            self.hb.answer = true;
            self.hb.may_send = hb_mode == 1;
        }
        // RFC 5746 3.6: answered in every ServerHello, resumed ones included.
        self.hs.peer_secure_renegotiation = reneg;
        #[cfg(feature = "tickets")]
        {
            self.hs.ticket_expected = issue_ticket;
            if let Some(found) = from_ticket {
                self.hs.ticket_used = true;
                return self.resume_session(env, creds, now, origin, message, &ch, ems, found);
            }
        }
        if resume {
            return self.resume(env, creds, now, origin, message, &ch, ems);
        }
        let Some(chosen) = chosen else { return Err(Fatal::internal(Error::Internal)) };
        nd_log!(self.log =>
            Debug,
            "server: ClientHello: {} suites, chose {} (0x{:04X}), ems {}, server_name {} bytes",
            ch.suites.len() / 2,
            suite::name(chosen),
            chosen,
            crate::log::yes(ems),
            self.sni_len
        );
        #[cfg(feature = "ecc")]
        {
            self.hs.client_caps = offered.ecc.bits();
        }
        env.random(&mut self.hs.server_random).map_err(|_| Fatal::internal(Error::Rng))?;
        self.hs.client_random = ch.random;
        self.hs.suite = chosen;
        self.hs.ems = ems;
        self.hs.peer_secure_renegotiation = reneg;
        // A fresh session ID only if there is a cache to resume it from.
        self.hs.session_id_len = 0;
        if env.session_cache().is_some_and(|c| !c.is_empty()) {
            env.random(&mut self.hs.session_id).map_err(|_| Fatal::internal(Error::Rng))?;
            self.hs.session_id_len = 32;
        }
        self.hs.deadline = now.saturating_add(u64::from(self.cfg.handshake_timeout_ms));
        self.hs.send_seq = origin.message_seq;
        self.hs.peer_flight_first = origin.message_seq;
        self.hs.transcript.reset();
        self.hs.transcript.update(message);
        self.send_server_hello_flight(env, creds)
    }

    /// Stateless HelloVerifyRequest: polled next (replacing an older one
    /// that was not polled yet). Nothing of ours moves: the record number
    /// mirrors the ClientHello's (RFC 6347 4.2.1), so a spoofed ClientHello
    /// cannot push our sequence numbers anywhere.
    fn send_hello_verify_request(&mut self, origin: &MsgOrigin, peer_addr: &[u8], ch: &ClientHello<'_>) {
        let Some(cookie) = self.cookies.issue(peer_addr, ch) else {
            return;
        };
        self.hvr = crate::association::PendingHvr {
            cookie,
            record_seq: origin.record_seq,
            message_seq: origin.message_seq,
            pending: true,
        };
        self.stats.hello_verify_requests = self.stats.hello_verify_requests.saturating_add(1);
        nd_log!(self.log =>
            Info,
            "server: ClientHello without a valid cookie ({} bytes): HelloVerifyRequest sent",
            ch.cookie.len()
        );
    }

    /// Flight 4: ServerHello, then for PSK [ServerKeyExchange with hint],
    /// for ECDHE_ECDSA Certificate, ServerKeyExchange, [CertificateRequest];
    /// then ServerHelloDone.
    fn send_server_hello_flight(&mut self, env: &mut dyn Env, creds: &Credentials) -> Result<(), Fatal> {
        let kx = suite::info(self.hs.suite).map(|(k, _)| k);
        let ecc = kx == Some(KeyExchange::EcdheEcdsa);
        #[cfg(feature = "ecc")]
        let authz = ecc && EccCaps::from_bits(self.hs.client_caps).client_authz;
        #[cfg(not(feature = "ecc"))]
        let authz = false;
        // AuthzCert always authenticates the client.
        let client_auth = ecc && (self.cfg.client_auth || authz);
        self.flight.clear();
        #[cfg(feature = "ecc")]
        {
            let caps = EccCaps::from_bits(self.hs.client_caps);
            // Raw public keys whenever the client can take them; X.509 (our
            // certificate, and pinning the client's leaf key) otherwise.
            // AuthzCert: X.509 for us (an empty list), AuthzCert for it.
            self.hs.authz = authz;
            self.hs.authz_type = if authz { creds.authz_accepted() } else { 0 };
            self.hs.own_cert_x509 = ecc && (authz || !caps.server_rpk);
            // The client's X.509 chain when we validate chains and pin no
            // key (certificate mode), too.
            let chains_only = creds.x509_anchored(env) && !(creds.keys.any_trusted() || env.has_peer_key_verifier());
            self.hs.peer_cert_x509 = client_auth && !authz && (!caps.client_rpk || (chains_only && caps.client_x509));
            self.hs.ecc.cert_requested = client_auth;
        }
        // cached_info (RFC 7924): the client kept our Certificate message
        // (its hash is that of the one we would send): the hash form.
        #[cfg(feature = "cached-info")]
        {
            use subtle::ConstantTimeEq;
            let ours = env.own_certificate().and_then(|c| ext::cached_info::chain_hash(c).ok());
            self.hs.cached_used = self.hs.cached_offer
                && ecc
                && !authz
                && self.hs.own_cert_x509
                && env.cached_info_server()
                && ours.is_some_and(|h| bool::from(h.ct_eq(&self.hs.cached_hash)));
            if self.hs.cached_offer {
                nd_log!(self.log => Info, "server: cached_info offered: {}", if self.hs.cached_used { "hash form" } else { "not matched, full chain" });
            }
            // The CertificateRequest (type cert_req, RFC 7924 4.2): ours is
            // always the same message; the hash form when we ask for a
            // certificate and the client kept this request.
            let mut req = [0u8; 16];
            let mut w = Writer::new(&mut req);
            let ours =
                msg::certificate_request::write(&mut w).ok().map(|()| ext::cached_info::request_hash(w.written()));
            self.hs.cached_req_used = self.hs.cached_req_offer
                && ecc
                && self.hs.ecc.cert_requested
                && env.cached_info_server()
                && ours.is_some_and(|h| bool::from(h.ct_eq(&self.hs.cached_req_hash)));
            if self.hs.cached_req_offer {
                nd_log!(self.log => Info, "server: cached_info offered for the CertificateRequest: {}", if self.hs.cached_req_used { "hash form" } else { "not used, full request" });
            }
        }
        // Client certificate URLs (RFC 6066 5): echoed when the application
        // accepts them and we validate an X.509 client chain.
        #[cfg(feature = "cert-url")]
        {
            self.hs.cert_url_used =
                self.hs.cert_url_offer && env.cert_url_server() && self.hs.peer_cert_x509 && creds.x509_anchored(env);
        }
        self.push_message(creds, env, 0, msg::SERVER_HELLO, write_body)?;
        #[cfg(feature = "ecc")]
        if ecc {
            self.push_ecdhe_server_messages(env, creds)?;
        }
        if kx == Some(KeyExchange::Psk) && !creds.psk.hint().is_empty() {
            self.push_message(creds, env, 0, msg::SERVER_KEY_EXCHANGE, write_body)?;
        }
        // ECDHE_PSK (RFC 5489 2): always a ServerKeyExchange, our fresh point.
        #[cfg(feature = "ecdhe-psk")]
        if kx == Some(KeyExchange::EcdhePsk) {
            let mut rng = |b: &mut [u8]| env.random(b);
            crate::crypto::ecc::generate(&mut rng, &mut self.hs.ecc.eph_scalar, &mut self.hs.ecc.eph_point)
                .map_err(|_| Fatal::internal(Error::Rng))?;
            self.push_message(creds, env, 0, msg::SERVER_KEY_EXCHANGE, write_body)?;
        }
        self.push_message(creds, env, 0, msg::SERVER_HELLO_DONE, write_body)?;
        self.send_flight(true);
        self.state = if client_auth { State::ServerWaitClientCertificate } else { State::ServerWaitClientKeyExchange };
        Ok(())
    }

    /// Certificate (our raw public key), ServerKeyExchange (fresh ECDHE key,
    /// signed), and CertificateRequest when the client must authenticate.
    #[cfg(feature = "ecc")]
    fn push_ecdhe_server_messages(&mut self, env: &mut dyn Env, creds: &Credentials) -> Result<(), Fatal> {
        use crate::crypto::ecc;
        self.push_message(creds, env, 0, msg::CERTIFICATE, write_body)?;
        let mut rng = |b: &mut [u8]| env.random(b);
        ecc::generate(&mut rng, &mut self.hs.ecc.eph_scalar, &mut self.hs.ecc.eph_point)
            .map_err(|_| Fatal::internal(Error::Rng))?;
        let params = server_key_exchange::ecdhe_params(&self.hs.ecc.eph_point);
        let hash = crate::keyex::ecdhe::signed_params_hash(&self.hs.client_random, &self.hs.server_random, &params);
        let n = creds.keys.sign(env, &hash, &mut self.hs.ecc.sig)?;
        self.hs.ecc.sig_len = n as u8;
        self.push_message(creds, env, 0, msg::SERVER_KEY_EXCHANGE, write_body)?;
        if self.hs.ecc.cert_requested {
            self.push_message(creds, env, 0, msg::CERTIFICATE_REQUEST, write_body)?;
        }
        Ok(())
    }
}

/// Our ServerHello's extensions, answering the client's (EMS,
/// renegotiation_info, SNI, max_fragment_length, heartbeat, and for
/// ECDHE_ECDSA point formats and certificate types).
fn server_hello_answer(src: &Sources<'_>) -> ext::Answer {
    let hs = src.hs;
    ext::Answer {
        ems: hs.ems,
        reneg: hs.peer_secure_renegotiation,
        server_name: !src.sni.is_empty() && !hs.resumed,
        mfl_code: hs.mfl_code,
        rsl: hs.rsl_own,
        heartbeat: src.hb_answer,
        #[cfg(feature = "tickets")]
        ticket: hs.ticket_expected,
        #[cfg(feature = "cid")]
        cid: src.cid.negotiated.then_some((src.cid.rx, src.cid.rx_len)),
        #[cfg(feature = "cached-info")]
        cached_cert: hs.cached_used && !hs.resumed,
        #[cfg(feature = "cached-info")]
        cached_req: hs.cached_req_used && !hs.resumed,
        #[cfg(feature = "cert-url")]
        cert_url: hs.cert_url_used && !hs.resumed,
        #[cfg(feature = "ecc")]
        ecc: (!hs.resumed && matches!(suite::info(hs.suite), Some((KeyExchange::EcdheEcdsa, _))))
            .then(|| {
                use crate::handshake::msg::certificate::{CERT_TYPE_RAW_PUBLIC_KEY as RPK, CERT_TYPE_X509 as X509};
                let caps = EccCaps::from_bits(hs.client_caps);
                let client_auth = hs.ecc.cert_requested;
                ext::cert_type::Answer {
                    point_formats: caps.sent_point_formats,
                    server: caps.sent_server_cert_type.then_some(if hs.own_cert_x509 { X509 } else { RPK }),
                    client: (client_auth && caps.sent_client_cert_type).then_some(if hs.authz {
                        hs.authz_type
                    } else if hs.peer_cert_x509 {
                        X509
                    } else {
                        RPK
                    }),
                }
            })
            .or_else(|| ecdhe_psk_answer(hs)),
    }
}

/// ECDHE_PSK: only ec_point_formats (if the client sent it), no certificate types.
#[cfg(feature = "ecc")]
fn ecdhe_psk_answer(hs: &crate::handshake::state::Handshake) -> Option<ext::cert_type::Answer> {
    let psk = matches!(suite::info(hs.suite), Some((KeyExchange::EcdhePsk, _)));
    (!hs.resumed && psk).then(|| ext::cert_type::Answer {
        point_formats: EccCaps::from_bits(hs.client_caps).sent_point_formats,
        server: None,
        client: None,
    })
}

/// The body of our handshake message `msg_type` (flights 2, 4 and 6),
/// written from the state each time it is sent (RFC 6347 4.2.4: a
/// retransmitted flight is the same flight).
pub(crate) fn write_body(src: &Sources<'_>, msg_type: u8, w: &mut Writer<'_>) -> Result<(), Error> {
    let hs = src.hs;
    match msg_type {
        msg::SERVER_HELLO => {
            let sid = hs.session_id.get(..usize::from(hs.session_id_len)).unwrap_or(&[]);
            server_hello::write(w, &hs.server_random, sid, hs.suite, &server_hello_answer(src))
        }
        // AuthzCert: an empty X.509 certificate_list (the client pinned our key).
        #[cfg(feature = "ecc")]
        msg::CERTIFICATE if hs.authz => w.u24(0),
        // cached_info: the hash form (RFC 7924 4.1), the client's hash (= ours).
        #[cfg(feature = "cached-info")]
        msg::CERTIFICATE if hs.cached_used => ext::cached_info::write_certificate(w, &hs.cached_hash),
        #[cfg(feature = "ecc")]
        msg::CERTIFICATE => {
            let cert = if hs.own_cert_x509 { src.env.own_certificate() } else { None };
            msg::certificate::write(w, &src.creds.keys.own_spki(), cert)
        }
        msg::SERVER_KEY_EXCHANGE => match suite::info(hs.suite).map(|(k, _)| k) {
            #[cfg(feature = "ecc")]
            Some(KeyExchange::EcdheEcdsa) => {
                let params = server_key_exchange::ecdhe_params(&hs.ecc.eph_point);
                server_key_exchange::write_ecdhe(
                    w,
                    &params,
                    hs.ecc.sig.get(..usize::from(hs.ecc.sig_len)).unwrap_or(&[]),
                )
            }
            #[cfg(feature = "ecdhe-psk")]
            Some(KeyExchange::EcdhePsk) => {
                let params = server_key_exchange::ecdhe_params(&hs.ecc.eph_point);
                server_key_exchange::write_ecdhe_psk(w, src.creds.psk.hint(), &params)
            }
            _ => server_key_exchange::write_psk(w, src.creds.psk.hint()),
        },
        // cached_info: the hash form of our request (RFC 7924 4.2).
        #[cfg(feature = "cached-info")]
        msg::CERTIFICATE_REQUEST if hs.cached_req_used => ext::cached_info::write_certificate(w, &hs.cached_req_hash),
        #[cfg(feature = "ecc")]
        msg::CERTIFICATE_REQUEST => msg::certificate_request::write(w),
        msg::SERVER_HELLO_DONE => Ok(()),
        #[cfg(feature = "tickets")]
        msg::NEW_SESSION_TICKET => msg::new_session_ticket::write(w, src.ticket.lifetime_hint, src.ticket.ticket()),
        msg::FINISHED => msg::finished::write(w, &hs.own_verify_data),
        _ => Err(Error::Internal),
    }
}
