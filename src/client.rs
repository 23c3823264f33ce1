//! Client side of the handshake (RFC 6347 flights 1, 3 and 5).

use zeroize::Zeroizing;

use crate::alert;
use crate::association::{Association, State};
use crate::env::Env;
use crate::error::Error;
use crate::error::Fatal;
use crate::handshake::hello::{parse_hello_verify_request, ServerHello};
use crate::handshake::MsgOrigin;
use crate::handshake::{ext, msg, psk};
use crate::record::DTLS12;
use crate::sizes::{NANODTLS_MAX_COOKIE, NANODTLS_MAX_PSK_KEY};
use crate::suite::{self, KeyExchange};

#[cfg(feature = "ecc")]
use crate::handshake::ecc as hecc;

/// The RFC 6066 code of a max_fragment_length (0 = none).
pub(crate) fn mfl_code(len: u16) -> u8 {
    match len {
        512 => 1,
        1024 => 2,
        2048 => 3,
        4096 => 4,
        _ => 0,
    }
}

/// Most HelloVerifyRequests we answer in one handshake.
const MAX_HELLO_VERIFY: u8 = 4;

impl Association {
    /// Fix the list of suites to offer (those with credentials, in
    /// configured order); false if there is none.
    pub(crate) fn choose_offered_suites(&mut self, env: &dyn Env) -> bool {
        self.hs.have_own_cert = env.own_certificate().is_some();
        let mut n = 0;
        let mut offered = [0u16; crate::config::MAX_SUITES];
        for s in self.cfg.suite_list() {
            let usable = match suite::info(s) {
                Some((KeyExchange::Psk, _)) => self.psk.has_key(),
                #[cfg(feature = "ecc")]
                Some((KeyExchange::EcdheEcdsa, _)) => self.ecc.n_trusted > 0 || env.has_peer_key_verifier(),
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

    /// True if an ECDHE_ECDSA suite is offered.
    #[cfg(feature = "ecc")]
    fn offers_ecc(&self) -> bool {
        self.offered_suites().any(|s| matches!(suite::info(s), Some((KeyExchange::EcdheEcdsa, _))))
    }

    /// Pick the random and send flight 1 (credentials were checked by connect).
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
        let seq = self.hs.next_send_seq()?;
        let random = self.hs.client_random;
        let cookie = self.hs.cookie.get(..usize::from(self.hs.cookie_len)).unwrap_or(&[]);
        // Offer the stored session for resumption (RFC 5246 7.4.1.2).
        let session_id = if self.session.valid { self.session.id() } else { &[] };
        let sni = self.sni.get(..usize::from(self.sni_len)).unwrap_or(&[]);
        let mfl_code = mfl_code(self.cfg.max_fragment_length);
        let heartbeat = self.cfg.heartbeat;
        let offered = self.hs.offered;
        #[cfg(feature = "ecc")]
        let (ecc, own_key, own_cert, types) =
            (self.offers_ecc(), self.ecc.has_own, self.hs.have_own_cert, !self.hs.no_rpk_offer);
        let m = self.flight.push_message(0, msg::CLIENT_HELLO, seq, |w| {
            w.u16(DTLS12)?;
            w.put(&random)?;
            w.vec8(session_id)?;
            w.vec8(cookie)?;
            let l = w.begin_len(2)?;
            for s in offered.iter().copied().take_while(|&s| s != 0) {
                w.u16(s)?;
            }
            w.end_len(l)?;
            w.vec8(&[0])?; // null compression only (RFC 7925)
            let l = w.begin_len(2)?;
            w.u16(ext::EXTENDED_MASTER_SECRET)?;
            w.u16(0)?;
            w.u16(ext::RENEGOTIATION_INFO)?;
            w.vec16(&[0])?; // empty renegotiated_connection
            if !sni.is_empty() {
                w.u16(ext::SERVER_NAME)?;
                let outer = w.begin_len(2)?;
                let list = w.begin_len(2)?;
                w.u8(0)?; // host_name
                w.vec16(sni)?;
                w.end_len(list)?;
                w.end_len(outer)?;
            }
            if mfl_code != 0 {
                w.u16(ext::MAX_FRAGMENT_LENGTH)?;
                w.vec16(&[mfl_code])?;
            }
            if heartbeat {
                w.u16(ext::HEARTBEAT)?;
                w.vec16(&[1])?; // peer_allowed_to_send
            }
            #[cfg(feature = "ecc")]
            if ecc {
                w.u16(ext::SUPPORTED_GROUPS)?;
                w.vec16(&[0, 2, 0, 23])?; // secp256r1
                w.u16(ext::EC_POINT_FORMATS)?;
                w.vec16(&[1, hecc::POINT_FORMAT_UNCOMPRESSED])?;
                w.u16(ext::SIGNATURE_ALGORITHMS)?;
                w.vec16(&[0, 2, 4, 3])?; // ecdsa_secp256r1_sha256
                                         // Raw public keys preferred; an X.509 server certificate is
                                         // accepted by pinning its key.
                if types {
                    w.u16(ext::SERVER_CERTIFICATE_TYPE)?;
                    w.vec16(&[2, hecc::CERT_TYPE_RAW_PUBLIC_KEY, hecc::CERT_TYPE_X509])?;
                }
                if types && own_key && own_cert {
                    w.u16(ext::CLIENT_CERTIFICATE_TYPE)?;
                    w.vec16(&[2, hecc::CERT_TYPE_RAW_PUBLIC_KEY, hecc::CERT_TYPE_X509])?;
                } else if types && own_key {
                    w.u16(ext::CLIENT_CERTIFICATE_TYPE)?;
                    w.vec16(&[1, hecc::CERT_TYPE_RAW_PUBLIC_KEY])?;
                }
            }
            w.end_len(l)
        })?;
        self.hs.transcript.update(m);
        Ok(())
    }

    pub(crate) fn client_message(
        &mut self,
        env: &mut dyn Env,
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
                let cookie = parse_hello_verify_request(body).map_err(|_| Fatal::decode())?;
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
                self.write_client_hello()?;
                self.send_flight(true);
                Ok(())
            }
            (State::ClientWaitServerHello, msg::SERVER_HELLO) => self.on_server_hello(origin, message, body),
            #[cfg(feature = "ecc")]
            (State::ClientWaitCertificate, msg::CERTIFICATE) => {
                let spki = self.peer_certificate_key(body)?;
                let spki = spki.ok_or(Fatal::alert(alert::BAD_CERTIFICATE))?;
                self.accept_peer_key(env, spki)?;
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
                psk::parse_server_key_exchange(body).map_err(|_| Fatal::decode())?;
                self.hs.seen_server_key_exchange = true;
                self.hs.transcript.update(message);
                Ok(())
            }
            #[cfg(feature = "ecc")]
            (State::ClientWaitServerHelloDone, msg::CERTIFICATE_REQUEST)
                if kx == Some(KeyExchange::EcdheEcdsa) && !self.ecc.cert_requested =>
            {
                let usable = hecc::parse_certificate_request(body).map_err(|_| Fatal::decode())?;
                if !usable && self.ecc.has_own {
                    // We cannot sign anything the server accepts.
                    return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
                }
                self.ecc.cert_requested = true;
                self.hs.transcript.update(message);
                Ok(())
            }
            (State::ClientWaitServerHelloDone, msg::SERVER_HELLO_DONE) => {
                if !body.is_empty() {
                    return Err(Fatal::decode());
                }
                self.hs.transcript.update(message);
                self.send_client_key_exchange_flight(env)
            }
            (State::ClientWaitFinished, msg::FINISHED) => {
                self.verify_peer_finished(message, body)?;
                if self.hs.resumed {
                    // Abbreviated handshake: our CCS and Finished are the
                    // last flight (no timer; resent if the server resends).
                    self.flight.clear();
                    self.flight.push_ccs(0)?;
                    self.rl.write_epoch = 1;
                    self.push_finished()?;
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

    fn on_server_hello(&mut self, origin: &MsgOrigin, message: &[u8], body: &[u8]) -> Result<(), Fatal> {
        let sh = ServerHello::parse(body).map_err(|_| Fatal::decode())?;
        if sh.version != DTLS12 {
            return Err(Fatal::alert(alert::PROTOCOL_VERSION));
        }
        if !self.offered_suites().any(|s| s == sh.suite) || sh.compression != 0 {
            return Err(Fatal::alert(alert::ILLEGAL_PARAMETER));
        }
        let kx = suite::info(sh.suite).map(|(k, _)| k);
        let mut ems = false;
        let mut reneg = false;
        // Without the extensions both certificates are X.509 (RFC 7250).
        #[cfg_attr(not(feature = "ecc"), allow(unused_mut))]
        let mut server_x509 = true;
        #[cfg_attr(not(feature = "ecc"), allow(unused_mut))]
        let mut client_x509 = true;
        let mut mfl = 0u8;
        let mut hb_mode = 0u8;
        for (t, data) in sh.extensions.clone() {
            match t {
                ext::SERVER_NAME if self.sni_len > 0 => {
                    if !data.is_empty() {
                        return Err(Fatal::decode());
                    }
                }
                ext::MAX_FRAGMENT_LENGTH if self.cfg.max_fragment_length != 0 => {
                    // RFC 6066: the server echoes exactly what was asked.
                    if data != [mfl_code(self.cfg.max_fragment_length)] {
                        return Err(Fatal::alert(alert::ILLEGAL_PARAMETER));
                    }
                    mfl = data.first().copied().unwrap_or(0);
                }
                ext::HEARTBEAT if self.cfg.heartbeat => {
                    hb_mode = match data {
                        [m @ (1 | 2)] => *m,
                        _ => return Err(Fatal::alert(alert::ILLEGAL_PARAMETER)),
                    };
                }
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
                #[cfg(feature = "ecc")]
                ext::EC_POINT_FORMATS if self.offers_ecc() => {
                    let formats = hecc::ext_list8(data).map_err(|_| Fatal::decode())?;
                    if !formats.contains(&hecc::POINT_FORMAT_UNCOMPRESSED) {
                        return Err(Fatal::alert(alert::ILLEGAL_PARAMETER));
                    }
                }
                #[cfg(feature = "ecc")]
                ext::SERVER_CERTIFICATE_TYPE if self.offers_ecc() => {
                    server_x509 = match data {
                        [hecc::CERT_TYPE_RAW_PUBLIC_KEY] => false,
                        [hecc::CERT_TYPE_X509] => true,
                        _ => return Err(Fatal::alert(alert::UNSUPPORTED_CERTIFICATE)),
                    };
                }
                #[cfg(feature = "ecc")]
                ext::CLIENT_CERTIFICATE_TYPE if self.offers_ecc() && self.ecc.has_own => {
                    client_x509 = match data {
                        [hecc::CERT_TYPE_RAW_PUBLIC_KEY] => false,
                        [hecc::CERT_TYPE_X509] if self.hs.have_own_cert => true,
                        _ => return Err(Fatal::alert(alert::UNSUPPORTED_CERTIFICATE)),
                    };
                }
                // Anything we did not offer must not come back (RFC 5246 7.4.1.4).
                _ => return Err(Fatal::alert(alert::UNSUPPORTED_EXTENSION)),
            }
        }
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
        if self.cfg.require_ems && !ems {
            return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
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
        self.hs.ems = ems;
        self.hs.peer_secure_renegotiation = reneg;
        self.hs.suite = sh.suite;
        self.hs.server_random = sh.random;
        self.hs.mfl_code = mfl;
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
                    self.ecc.peer_hash = h;
                    self.ecc.has_peer = true;
                }
            }
            self.state = State::ClientWaitCcs;
            return Ok(());
        }
        // The server did not resume: the offered session is gone.
        self.session.clear();
        self.state = match kx {
            Some(KeyExchange::EcdheEcdsa) => State::ClientWaitCertificate,
            _ => State::ClientWaitServerHelloDone,
        };
        Ok(())
    }

    /// After a full handshake: keep the session if the server issued an ID.
    fn remember_session(&mut self) {
        self.session.clear();
        if self.hs.session_id_len == 0 {
            return;
        }
        let s = &mut self.session;
        s.master = self.hs.master;
        s.id = self.hs.session_id;
        s.id_len = self.hs.session_id_len;
        s.suite = self.hs.suite;
        s.ems = self.hs.ems;
        #[cfg(feature = "ecc")]
        if self.ecc.has_peer {
            s.set_peer(crate::session::PeerKind::KeyHash, &self.ecc.peer_hash);
        }
        s.valid = true;
    }

    /// Verify the server's signed ECDHE parameters and keep its point.
    #[cfg(feature = "ecc")]
    fn on_ecdhe_server_key_exchange(&mut self, body: &[u8]) -> Result<(), Fatal> {
        use crate::crypto::{ecc, sha256::Sha256};
        let ske = hecc::parse_server_key_exchange(body).map_err(|e| match e {
            Error::Unsupported => Fatal::alert(alert::ILLEGAL_PARAMETER),
            _ => Fatal::decode(),
        })?;
        if ske.sig_alg != hecc::ECDSA_SHA256 {
            return Err(Fatal::alert(alert::ILLEGAL_PARAMETER));
        }
        ecc::validate_point(ske.point).map_err(|_| Fatal::alert(alert::ILLEGAL_PARAMETER))?;
        let mut h = Sha256::new();
        h.update(&self.hs.client_random);
        h.update(&self.hs.server_random);
        h.update(ske.params);
        ecc::verify(&self.ecc.peer_point, &h.digest(), ske.signature)
            .map_err(|_| Fatal::alert(alert::DECRYPT_ERROR))?;
        self.ecc.eph_point.copy_from_slice(ske.point);
        Ok(())
    }

    /// Flight 5: [Certificate], ClientKeyExchange, [CertificateVerify],
    /// ChangeCipherSpec, Finished.
    fn send_client_key_exchange_flight(&mut self, env: &mut dyn Env) -> Result<(), Fatal> {
        let _ = &env;
        self.flight.clear();
        let kx = suite::info(self.hs.suite).map(|(k, _)| k);
        // Premaster secret: large enough for PSK (2 + N + 2 + N) and ECDH (32).
        let mut pms = Zeroizing::new([0u8; 4 + 2 * NANODTLS_MAX_PSK_KEY]);
        let pms_len = match kx {
            Some(KeyExchange::Psk) => {
                let seq = self.hs.next_send_seq()?;
                let identity = self.psk.identity();
                let m = self.flight.push_message(0, msg::CLIENT_KEY_EXCHANGE, seq, |w| w.vec16(identity))?;
                self.hs.transcript.update(m);
                psk::premaster(self.psk.key(), &mut pms[..])?
            }
            #[cfg(feature = "ecc")]
            Some(KeyExchange::EcdheEcdsa) => self.ecdhe_client_messages(env, &mut pms[..])?,
            #[allow(unreachable_patterns)]
            _ => return Err(Fatal::internal(Error::Internal)),
        };
        self.derive_keys(pms.get(..pms_len).unwrap_or(&[]));
        #[cfg(feature = "ecc")]
        if kx == Some(KeyExchange::EcdheEcdsa) && self.ecc.cert_requested && self.ecc.sent_certificate {
            self.push_certificate_verify()?;
        }
        self.flight.push_ccs(0)?;
        self.rl.write_epoch = 1;
        self.push_finished()?;
        self.send_flight(true);
        self.state = State::ClientWaitCcs;
        Ok(())
    }

    /// Certificate (if requested) and ClientKeyExchange; returns the
    /// premaster secret length written to `pms`.
    #[cfg(feature = "ecc")]
    fn ecdhe_client_messages(&mut self, env: &mut dyn Env, pms: &mut [u8]) -> Result<usize, Fatal> {
        use crate::crypto::ecc;
        if self.ecc.cert_requested {
            let seq = self.hs.next_send_seq()?;
            let spki = self.ecc.own_spki();
            let cert = if self.hs.own_cert_x509 { env.own_certificate() } else { None };
            // Something to prove with CertificateVerify: our raw key, or our
            // X.509 certificate; otherwise an empty Certificate.
            let present = self.ecc.has_own && (!self.hs.own_cert_x509 || cert.is_some());
            let m = self.flight.push_message(0, msg::CERTIFICATE, seq, |w| {
                if present {
                    crate::server::write_certificate(w, &spki, cert)
                } else {
                    w.u24(0)
                }
            })?;
            self.hs.transcript.update(m);
            self.ecc.sent_certificate = present;
        }
        let mut eph = Zeroizing::new([0u8; ecc::SCALAR_LEN]);
        let mut point = [0u8; ecc::POINT_LEN];
        let mut rng = |b: &mut [u8]| env.random(b);
        ecc::generate(&mut rng, &mut eph, &mut point).map_err(|_| Fatal::internal(Error::Rng))?;
        let mut shared = Zeroizing::new([0u8; 32]);
        // The server's point was validated with its ServerKeyExchange: a
        // failure here is ours (this runs after ServerHelloDone was accepted).
        ecc::ecdh(&eph, &self.ecc.eph_point, &mut shared).map_err(|_| Fatal::internal(Error::Internal))?;
        let seq = self.hs.next_send_seq()?;
        let m = self.flight.push_message(0, msg::CLIENT_KEY_EXCHANGE, seq, |w| w.vec8(&point))?;
        self.hs.transcript.update(m);
        let dst = pms.get_mut(..32).ok_or(Fatal::internal(Error::Internal))?;
        dst.copy_from_slice(&shared[..]);
        Ok(32)
    }

    /// CertificateVerify: our signature over the transcript so far.
    #[cfg(feature = "ecc")]
    fn push_certificate_verify(&mut self) -> Result<(), Fatal> {
        use crate::crypto::ecc;
        let hash = self.hs.transcript.digest();
        let mut sig = [0u8; ecc::MAX_SIG_LEN];
        let n = ecc::sign(&self.ecc.own_scalar, &hash, &mut sig).map_err(Fatal::internal)?;
        let seq = self.hs.next_send_seq()?;
        let m = self.flight.push_message(0, msg::CERTIFICATE_VERIFY, seq, |w| {
            w.u16(hecc::ECDSA_SHA256)?;
            w.vec16(sig.get(..n).unwrap_or(&[]))
        })?;
        self.hs.transcript.update(m);
        Ok(())
    }

    /// The SubjectPublicKeyInfo in a peer Certificate message, raw public
    /// key or X.509 (whose leaf key is pinned), or None for an empty one.
    #[cfg(feature = "ecc")]
    pub(crate) fn peer_certificate_key<'b>(&self, body: &'b [u8]) -> Result<Option<&'b [u8]>, Fatal> {
        use crate::crypto::ecc;
        if self.hs.peer_cert_x509 {
            match hecc::parse_certificate_x509(body).map_err(|_| Fatal::decode())? {
                Some(cert) => ecc::x509_spki(cert).map(Some).map_err(|_| Fatal::alert(alert::BAD_CERTIFICATE)),
                None => Ok(None),
            }
        } else {
            hecc::parse_certificate(body).map_err(|_| Fatal::decode())
        }
    }

    /// Accept the peer's raw public key if it is trusted (hash list) or the
    /// application's verifier accepts it; remember it.
    #[cfg(feature = "ecc")]
    pub(crate) fn accept_peer_key(&mut self, env: &mut dyn Env, spki: &[u8]) -> Result<(), Fatal> {
        use crate::crypto::{ecc, sha256::sha256};
        let point = ecc::parse_spki(spki).map_err(|_| Fatal::alert(alert::BAD_CERTIFICATE))?;
        let hash = sha256(&[spki]);
        let trusted = self.ecc.is_trusted(&hash) || env.verify_peer_key(spki) == Some(true);
        if !trusted {
            return Err(Fatal::alert(alert::CERTIFICATE_UNKNOWN));
        }
        self.ecc.peer_point.copy_from_slice(point);
        self.ecc.peer_hash = hash;
        self.ecc.has_peer = true;
        Ok(())
    }
}
