//! Server side of the handshake (RFC 6347 flights 2, 4 and 6).

use zerocopy::FromZeros;
use zeroize::Zeroizing;

use crate::alert;
use crate::association::{Association, State};
use crate::codec::Writer;
use crate::env::Env;
use crate::error::Error;
use crate::error::Fatal;
use crate::handshake::hello::ClientHello;
use crate::handshake::MsgOrigin;
use crate::handshake::{ext, msg, psk, FragmentHeader};
use crate::record::{content, DTLS10, DTLS12};
use crate::sizes::{NANODTLS_MAX_PSK_IDENTITY, NANODTLS_MAX_PSK_KEY};
use crate::suite::{self, KeyExchange};

#[cfg(feature = "ecc")]
use crate::handshake::ecc as hecc;

/// Write a Certificate body: an X.509 certificate list with `cert` if
/// given, else our raw public key (RFC 7250).
#[cfg(feature = "ecc")]
pub(crate) fn write_certificate(w: &mut Writer<'_>, spki: &[u8], cert: Option<&[u8]>) -> Result<(), Error> {
    let l = w.begin_len(3)?;
    match cert {
        Some(c) => {
            let one = w.begin_len(3)?;
            w.put(c)?;
            w.end_len(one)?;
        }
        None => w.put(spki)?,
    }
    w.end_len(l)
}

/// Parse a server_name extension: the host_name, if any (RFC 6066 3).
fn parse_server_name(data: &[u8]) -> Result<Option<&[u8]>, Error> {
    let mut r = crate::codec::Reader::new(data);
    let list = r.vec16()?;
    r.finish()?;
    let mut l = crate::codec::Reader::new(list);
    let mut host = None;
    while !l.is_empty() {
        let kind = l.u8()?;
        let name = l.vec16()?;
        if kind == 0 {
            // One host_name of printable ASCII (RFC 6066 3: no other form).
            if host.is_some() || name.is_empty() || !name.iter().all(|b| b.is_ascii_graphic()) {
                return Err(Error::Decode);
            }
            host = Some(name);
        }
    }
    Ok(host)
}

/// ServerHello extensions that answer the client's requests.
#[derive(Clone, Copy)]
struct HelloExtras {
    sni: bool,
    mfl: u8,
    heartbeat: bool,
}

impl HelloExtras {
    fn any(&self) -> bool {
        self.sni || self.mfl != 0 || self.heartbeat
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        if self.sni {
            w.u16(ext::SERVER_NAME)?;
            w.u16(0)?;
        }
        if self.mfl != 0 {
            w.u16(ext::MAX_FRAGMENT_LENGTH)?;
            w.vec16(&[self.mfl])?;
        }
        if self.heartbeat {
            w.u16(ext::HEARTBEAT)?;
            w.vec16(&[1])?; // peer_allowed_to_send
        }
        Ok(())
    }
}

/// ServerHello extensions of an ECDHE_ECDSA handshake.
#[derive(Clone, Copy)]
struct CertTypeAnswer {
    /// Answer ec_point_formats (the client sent it).
    point_formats: bool,
    /// server_certificate_type to answer (0 X.509, 2 raw public key).
    server: Option<u8>,
    /// client_certificate_type to answer.
    client: Option<u8>,
}

impl CertTypeAnswer {
    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        if self.point_formats {
            w.u16(ext::EC_POINT_FORMATS)?;
            w.vec16(&[1, 0])?;
        }
        // RFC 7250: answer the type extensions the client sent.
        if let Some(t) = self.server {
            w.u16(ext::SERVER_CERTIFICATE_TYPE)?;
            w.vec16(&[t])?;
        }
        if let Some(t) = self.client {
            w.u16(ext::CLIENT_CERTIFICATE_TYPE)?;
            w.vec16(&[t])?;
        }
        Ok(())
    }
}

/// What the ClientHello says the client can do with ECC.
#[derive(Clone, Copy, Default)]
pub(crate) struct ClientCaps {
    pub p256: bool,
    pub uncompressed: bool,
    pub sent_point_formats: bool,
    pub ecdsa_sha256: bool,
    /// server_certificate_type offered RawPublicKey.
    pub server_rpk: bool,
    /// The client accepts an X.509 server certificate (no extension, or X.509 listed).
    pub server_x509: bool,
    pub sent_server_cert_type: bool,
    /// client_certificate_type offered RawPublicKey.
    pub client_rpk: bool,
    /// The client can send X.509 (no extension, or X.509 listed).
    pub client_x509: bool,
    pub sent_client_cert_type: bool,
}

impl ClientCaps {
    const FIELDS: usize = 10;

    fn flags(&self) -> [bool; Self::FIELDS] {
        [
            self.p256,
            self.uncompressed,
            self.sent_point_formats,
            self.ecdsa_sha256,
            self.server_rpk,
            self.server_x509,
            self.sent_server_cert_type,
            self.client_rpk,
            self.client_x509,
            self.sent_client_cert_type,
        ]
    }

    fn bits(&self) -> u16 {
        self.flags().iter().enumerate().fold(0, |acc, (i, &f)| acc | (u16::from(f) << i))
    }

    fn from_bits(b: u16) -> Self {
        let f = |i: u16| b & (1 << i) != 0;
        ClientCaps {
            p256: f(0),
            uncompressed: f(1),
            sent_point_formats: f(2),
            ecdsa_sha256: f(3),
            server_rpk: f(4),
            server_x509: f(5),
            sent_server_cert_type: f(6),
            client_rpk: f(7),
            client_x509: f(8),
            sent_client_cert_type: f(9),
        }
    }
}

impl Association {
    pub(crate) fn server_message(
        &mut self,
        env: &mut dyn Env,
        now: u64,
        origin: &MsgOrigin,
        msg_type: u8,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), Fatal> {
        match (self.state, msg_type) {
            (State::ServerWaitClientHello, msg::CLIENT_HELLO) => {
                self.on_client_hello(env, now, origin, message, body, &[])
            }
            #[cfg(feature = "ecc")]
            (State::ServerWaitClientCertificate, msg::CERTIFICATE) => {
                let spki = self.peer_certificate_key(body)?;
                // client_auth is required when we ask: no key, no handshake.
                let spki = spki.ok_or(Fatal::alert(alert::HANDSHAKE_FAILURE))?;
                self.accept_peer_key(env, spki)?;
                self.hs.peer_flight_first = origin.message_seq;
                self.hs.transcript.update(message);
                self.state = State::ServerWaitClientKeyExchange;
                Ok(())
            }
            (State::ServerWaitClientKeyExchange, msg::CLIENT_KEY_EXCHANGE) => {
                match crate::suite::info(self.hs.suite).map(|(k, _)| k) {
                    #[cfg(feature = "ecc")]
                    Some(KeyExchange::EcdheEcdsa) => self.on_ecdh_client_key_exchange(origin, message, body),
                    _ => self.on_client_key_exchange(env, origin, message, body),
                }
            }
            #[cfg(feature = "ecc")]
            (State::ServerWaitCertificateVerify, msg::CERTIFICATE_VERIFY) => {
                let (alg, sig) = crate::handshake::ecc::parse_certificate_verify(body).map_err(|_| Fatal::decode())?;
                if alg != crate::handshake::ecc::ECDSA_SHA256 {
                    return Err(Fatal::alert(alert::ILLEGAL_PARAMETER));
                }
                let hash = self.hs.transcript.digest();
                crate::crypto::ecc::verify(&self.ecc.peer_point, &hash, sig)
                    .map_err(|_| Fatal::alert(alert::DECRYPT_ERROR))?;
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
                self.cache_session(env, now);
                // Flight 6: ChangeCipherSpec, Finished. It is the last
                // flight: no timer, but it is resent if the client
                // retransmits its flight 5.
                self.flight.clear();
                self.flight.push_ccs(0)?;
                self.rl.write_epoch = 1;
                self.push_finished()?;
                self.send_flight(false);
                self.established();
                Ok(())
            }
            _ => Err(Fatal::unexpected()),
        }
    }

    /// True if we can serve suite `s` to a client with `caps`.
    fn server_can_use(&self, s: u16, env: &dyn Env, caps: &ClientCaps) -> bool {
        let _ = caps;
        match suite::info(s) {
            Some((KeyExchange::Psk, _)) => self.psk.has_key() || env.has_psk_lookup(),
            #[cfg(feature = "ecc")]
            Some((KeyExchange::EcdheEcdsa, _)) => {
                let can_present = caps.server_rpk || (caps.server_x509 && env.own_certificate().is_some());
                let can_verify = self.ecc.n_trusted > 0 || env.has_peer_key_verifier();
                self.ecc.has_own
                    && caps.p256
                    && caps.uncompressed
                    && caps.ecdsa_sha256
                    && can_present
                    && (!self.cfg.client_auth || ((caps.client_rpk || caps.client_x509) && can_verify))
            }
            _ => false,
        }
    }

    /// Handle a ClientHello. `peer_addr` binds the cookie (empty for a
    /// single-peer context, whose caller owns the socket).
    pub(crate) fn on_client_hello(
        &mut self,
        env: &mut dyn Env,
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
                nd_drop!(self, dropped_unexpected, "ClientHello: the RNG failed to refresh the cookie secret");
                return Ok(());
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
        // Defaults when the client sends no extension: uncompressed points
        // and X.509 certificates (RFC 8422, RFC 7250).
        #[cfg_attr(not(feature = "ecc"), allow(unused_mut))]
        let mut caps = ClientCaps { uncompressed: true, server_x509: true, client_x509: true, ..ClientCaps::default() };
        let mut ems = false;
        let mut reneg = ch.offers(suite::EMPTY_RENEGOTIATION_INFO_SCSV);
        let mut mfl = 0u8;
        let mut hb_mode = 0u8;
        let mut sni: Option<&[u8]> = None;
        for (t, data) in ch.extensions.clone() {
            match t {
                #[cfg(feature = "ecc")]
                ext::SUPPORTED_GROUPS => {
                    let l = hecc::ext_list16(data).map_err(|_| Fatal::decode())?;
                    caps.p256 = hecc::list16_contains(l, hecc::SECP256R1);
                }
                #[cfg(feature = "ecc")]
                ext::EC_POINT_FORMATS => {
                    let l = hecc::ext_list8(data).map_err(|_| Fatal::decode())?;
                    caps.uncompressed = l.contains(&hecc::POINT_FORMAT_UNCOMPRESSED);
                    caps.sent_point_formats = true;
                }
                #[cfg(feature = "ecc")]
                ext::SIGNATURE_ALGORITHMS => {
                    let l = hecc::ext_list16(data).map_err(|_| Fatal::decode())?;
                    caps.ecdsa_sha256 = hecc::list16_contains(l, hecc::ECDSA_SHA256);
                }
                #[cfg(feature = "ecc")]
                ext::SERVER_CERTIFICATE_TYPE => {
                    let l = hecc::ext_list8(data).map_err(|_| Fatal::decode())?;
                    caps.server_rpk = l.contains(&hecc::CERT_TYPE_RAW_PUBLIC_KEY);
                    caps.server_x509 = l.contains(&hecc::CERT_TYPE_X509);
                    caps.sent_server_cert_type = true;
                }
                #[cfg(feature = "ecc")]
                ext::CLIENT_CERTIFICATE_TYPE => {
                    let l = hecc::ext_list8(data).map_err(|_| Fatal::decode())?;
                    caps.client_rpk = l.contains(&hecc::CERT_TYPE_RAW_PUBLIC_KEY);
                    caps.client_x509 = l.contains(&hecc::CERT_TYPE_X509);
                    caps.sent_client_cert_type = true;
                }
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
                ext::SERVER_NAME => {
                    // Any printable name goes to the application, which
                    // decides (RFC 6066 forbids clients to send IP literals,
                    // but does not make servers abort on them).
                    if let Some(name) = parse_server_name(data).map_err(|_| Fatal::decode())? {
                        if env.server_name(name) == Some(false) {
                            nd_log!(self.log => Warn, "server: server_name ({} bytes) refused by the application", name.len());
                            return Err(Fatal::alert(alert::UNRECOGNIZED_NAME));
                        }
                        sni = Some(name);
                    }
                }
                ext::MAX_FRAGMENT_LENGTH => {
                    // RFC 6066: anything but 1..=4 is illegal_parameter.
                    mfl = match data {
                        [c @ 1..=4] => *c,
                        _ => return Err(Fatal::alert(alert::ILLEGAL_PARAMETER)),
                    };
                }
                ext::HEARTBEAT => {
                    hb_mode = match data {
                        [m @ (1 | 2)] => *m,
                        _ => return Err(Fatal::alert(alert::ILLEGAL_PARAMETER)),
                    };
                }
                _ => {}
            }
        }
        if self.cfg.require_ems && !ems {
            return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
        }
        let resume = self.can_resume(env, now, &ch, ems);
        let chosen = self.cfg.suite_list().find(|&s| ch.offers(s) && self.server_can_use(s, env, &caps));
        if !resume && chosen.is_none() {
            nd_log!(self.log =>
                Warn,
                "server: no usable cipher suite among the {} the client offers (credentials? suites?)",
                ch.suites.len() / 2
            );
            return Err(Fatal::alert(alert::HANDSHAKE_FAILURE));
        }
        // Accepted: from here on only state changes.
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
        self.hs.mfl_code = mfl;
        if self.cfg.heartbeat && hb_mode != 0 {
            // We reply peer_allowed_to_send: we answer the client's requests;
            // the client's mode says whether we may send our own.
            self.hb.answer = true;
            self.hb.may_send = hb_mode == 1;
        }
        // RFC 5746 3.6: answered in every ServerHello, resumed ones included.
        self.hs.peer_secure_renegotiation = reneg;
        if resume {
            return self.resume(env, now, origin, message, &ch, ems);
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
        self.hs.client_caps = caps.bits();
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
        self.send_server_hello_flight(env)
    }

    /// Append our ServerHello: version, random, session ID, suite, null
    /// compression, and the extensions answering the client's (EMS,
    /// renegotiation_info, SNI, max_fragment_length, heartbeat, and for
    /// ECDHE_ECDSA point formats and certificate types).
    fn push_server_hello(&mut self, cert_types: Option<CertTypeAnswer>) -> Result<(), Fatal> {
        let seq = self.hs.next_send_seq()?;
        let random = self.hs.server_random;
        let sid = self.hs.session_id;
        let sid_len = usize::from(self.hs.session_id_len);
        let suite = self.hs.suite;
        let ems = self.hs.ems;
        let reneg = self.hs.peer_secure_renegotiation;
        let extras = self.server_hello_extras();
        let m = self.flight.push_message(0, msg::SERVER_HELLO, seq, |w| {
            w.u16(DTLS12)?;
            w.put(&random)?;
            w.vec8(sid.get(..sid_len).unwrap_or(&[]))?;
            w.u16(suite)?;
            w.u8(0)?;
            if !(ems || reneg || extras.any() || cert_types.is_some()) {
                return Ok(());
            }
            let l = w.begin_len(2)?;
            if ems {
                w.u16(ext::EXTENDED_MASTER_SECRET)?;
                w.u16(0)?;
            }
            if reneg {
                w.u16(ext::RENEGOTIATION_INFO)?;
                w.vec16(&[0])?;
            }
            extras.write(w)?;
            if let Some(t) = cert_types {
                t.write(w)?;
            }
            w.end_len(l)
        })?;
        self.hs.transcript.update(m);
        Ok(())
    }

    /// The ServerHello extensions answering SNI, max_fragment_length and heartbeat.
    fn server_hello_extras(&self) -> HelloExtras {
        HelloExtras { sni: self.sni_len > 0 && !self.hs.resumed, mfl: self.hs.mfl_code, heartbeat: self.hb.answer }
    }

    /// True if the ClientHello offers a session the cache has and that is
    /// still acceptable (nothing changes but the entry's last use).
    fn can_resume(&self, env: &mut dyn Env, now: u64, ch: &ClientHello<'_>, ems: bool) -> bool {
        if ch.session_id.is_empty() {
            return false;
        }
        let configured = |s: u16| self.cfg.suite_list().any(|x| x == s);
        let Some(cache) = env.session_cache() else { return false };
        let Some(found) = crate::session::cache_lookup(cache, ch.session_id, now) else {
            return false;
        };
        // Same suite still offered and allowed; RFC 7627 5.3: never resume
        // across a change in extended master secret use.
        ch.offers(found.suite) && configured(found.suite) && found.ems == ems
    }

    /// Resume the session the ClientHello offers ([`Core::can_resume`]
    /// said yes): send the abbreviated flight (ServerHello,
    /// ChangeCipherSpec, Finished).
    fn resume(
        &mut self,
        env: &mut dyn Env,
        now: u64,
        origin: &MsgOrigin,
        message: &[u8],
        ch: &ClientHello<'_>,
        ems: bool,
    ) -> Result<(), Fatal> {
        let cache = env.session_cache().ok_or(Fatal::internal(Error::Internal))?;
        let found = crate::session::cache_lookup(cache, ch.session_id, now).ok_or(Fatal::internal(Error::Internal))?;
        self.session.clear();
        self.session = found.clone();
        env.random(&mut self.hs.server_random).map_err(|_| Fatal::internal(Error::Rng))?;
        self.hs.client_random = ch.random;
        self.hs.suite = self.session.suite;
        self.hs.ems = ems;
        self.hs.resumed = true;
        self.hs.master = self.session.master;
        self.hs.session_id = self.session.id;
        self.hs.session_id_len = self.session.id_len;
        match self.session.peer_kind {
            crate::session::PeerKind::PskIdentity => {
                let id = self.session.peer();
                if let Some(dst) = self.psk.identity.get_mut(..id.len()) {
                    dst.copy_from_slice(id);
                    self.psk.identity_len = id.len() as u16;
                    self.hs.peer_identity_known = true;
                }
            }
            #[cfg(feature = "ecc")]
            crate::session::PeerKind::KeyHash => {
                if let Ok(h) = <[u8; 32]>::try_from(self.session.peer()) {
                    self.ecc.peer_hash = h;
                    self.ecc.has_peer = true;
                }
            }
            _ => {}
        }
        self.stats.resumptions = self.stats.resumptions.saturating_add(1);
        nd_log!(self.log => Info, "server: resuming a cached session ({})", suite::name(self.hs.suite));
        self.hs.deadline = now.saturating_add(u64::from(self.cfg.handshake_timeout_ms));
        self.hs.send_seq = origin.message_seq;
        self.hs.peer_flight_first = origin.message_seq;
        self.hs.transcript.reset();
        self.hs.transcript.update(message);
        // ServerHello, then CCS and Finished with keys from the cached master.
        self.flight.clear();
        self.push_server_hello(None)?;
        self.install_keys();
        self.flight.push_ccs(0)?;
        self.rl.write_epoch = 1;
        self.push_finished()?;
        self.send_flight(true);
        self.state = State::ServerWaitCcs;
        Ok(())
    }

    /// After a full handshake: put the session into the cache, if any.
    fn cache_session(&mut self, env: &mut dyn Env, now: u64) {
        if self.hs.resumed || self.hs.session_id_len == 0 {
            return;
        }
        let mut s = crate::session::SessionData::new_zeroed();
        s.master = self.hs.master;
        s.id = self.hs.session_id;
        s.id_len = self.hs.session_id_len;
        s.suite = self.hs.suite;
        s.ems = self.hs.ems;
        match suite::info(self.hs.suite).map(|(k, _)| k) {
            Some(KeyExchange::Psk) => s.set_peer(crate::session::PeerKind::PskIdentity, self.psk.identity()),
            #[cfg(feature = "ecc")]
            Some(KeyExchange::EcdheEcdsa) if self.ecc.has_peer => {
                s.set_peer(crate::session::PeerKind::KeyHash, &self.ecc.peer_hash)
            }
            _ => {}
        }
        s.valid = true;
        if let Some(cache) = env.session_cache() {
            crate::session::cache_insert(cache, &s, now);
        }
        s.clear();
    }

    /// Stateless HelloVerifyRequest, written straight to the transmit
    /// buffer (replacing an older one that was not polled yet).
    fn send_hello_verify_request(&mut self, origin: &MsgOrigin, peer_addr: &[u8], ch: &ClientHello<'_>) {
        let Some(cookie) = self.cookies.issue(peer_addr, ch) else {
            return;
        };
        let mut w = Writer::new(&mut self.tx.buf);
        // Stateless (RFC 6347 4.2.1): the record number mirrors the
        // ClientHello's and nothing of ours moves, so a spoofed ClientHello
        // cannot push our sequence numbers anywhere.
        if write_hello_verify_request(&mut w, origin.record_seq, origin.message_seq, &cookie).is_ok() {
            self.tx.len = w.len() as u16;
            self.stats.hello_verify_requests = self.stats.hello_verify_requests.saturating_add(1);
            nd_log!(self.log =>
                Info,
                "server: ClientHello without a valid cookie ({} bytes): HelloVerifyRequest sent",
                ch.cookie.len()
            );
        }
    }

    /// Flight 4: ServerHello, then for PSK [ServerKeyExchange with hint],
    /// for ECDHE_ECDSA Certificate, ServerKeyExchange, [CertificateRequest];
    /// then ServerHelloDone.
    fn send_server_hello_flight(&mut self, env: &mut dyn Env) -> Result<(), Fatal> {
        let _ = &env;
        let kx = suite::info(self.hs.suite).map(|(k, _)| k);
        let caps = ClientCaps::from_bits(self.hs.client_caps);
        let ecc = kx == Some(KeyExchange::EcdheEcdsa);
        let client_auth = ecc && self.cfg.client_auth;
        // Raw public keys whenever the client can take them; X.509 (our
        // certificate, and pinning the client's leaf key) otherwise.
        let own_x509 = ecc && !caps.server_rpk;
        let peer_x509 = client_auth && !caps.client_rpk;
        self.hs.own_cert_x509 = own_x509;
        self.hs.peer_cert_x509 = peer_x509;
        self.flight.clear();
        let cert_types = ecc.then_some(CertTypeAnswer {
            point_formats: caps.sent_point_formats,
            server: caps.sent_server_cert_type.then_some(if own_x509 { 0 } else { 2 }),
            client: (client_auth && caps.sent_client_cert_type).then_some(if peer_x509 { 0 } else { 2 }),
        });
        self.push_server_hello(cert_types)?;
        #[cfg(feature = "ecc")]
        if ecc {
            self.push_ecdhe_server_messages(env, client_auth)?;
        }
        if kx == Some(KeyExchange::Psk) && self.psk.hint_len > 0 {
            let seq = self.hs.next_send_seq()?;
            let hint = self.psk.hint();
            let m = self.flight.push_message(0, msg::SERVER_KEY_EXCHANGE, seq, |w| w.vec16(hint))?;
            self.hs.transcript.update(m);
        }
        let seq = self.hs.next_send_seq()?;
        let m = self.flight.push_message(0, msg::SERVER_HELLO_DONE, seq, |_| Ok(()))?;
        self.hs.transcript.update(m);
        self.send_flight(true);
        self.state = if client_auth { State::ServerWaitClientCertificate } else { State::ServerWaitClientKeyExchange };
        Ok(())
    }

    /// Certificate (our raw public key), ServerKeyExchange (fresh ECDHE key,
    /// signed), and CertificateRequest when the client must authenticate.
    #[cfg(feature = "ecc")]
    fn push_ecdhe_server_messages(&mut self, env: &mut dyn Env, client_auth: bool) -> Result<(), Fatal> {
        use crate::crypto::{ecc, sha256::Sha256};
        let seq = self.hs.next_send_seq()?;
        let spki = self.ecc.own_spki();
        let cert = if self.hs.own_cert_x509 { env.own_certificate() } else { None };
        let m = self.flight.push_message(0, msg::CERTIFICATE, seq, |w| write_certificate(w, &spki, cert))?;
        self.hs.transcript.update(m);
        let mut rng = |b: &mut [u8]| env.random(b);
        ecc::generate(&mut rng, &mut self.ecc.eph_scalar, &mut self.ecc.eph_point)
            .map_err(|_| Fatal::internal(Error::Rng))?;
        let mut params = [0u8; 4 + ecc::POINT_LEN];
        params[0] = hecc::NAMED_CURVE;
        params[1..3].copy_from_slice(&hecc::SECP256R1.to_be_bytes());
        params[3] = ecc::POINT_LEN as u8;
        params[4..].copy_from_slice(&self.ecc.eph_point);
        let mut h = Sha256::new();
        h.update(&self.hs.client_random);
        h.update(&self.hs.server_random);
        h.update(&params);
        let mut sig = [0u8; ecc::MAX_SIG_LEN];
        let n = ecc::sign(&self.ecc.own_scalar, &h.digest(), &mut sig).map_err(Fatal::internal)?;
        let seq = self.hs.next_send_seq()?;
        let m = self.flight.push_message(0, msg::SERVER_KEY_EXCHANGE, seq, |w| {
            w.put(&params)?;
            w.u16(hecc::ECDSA_SHA256)?;
            w.vec16(sig.get(..n).unwrap_or(&[]))
        })?;
        self.hs.transcript.update(m);
        if client_auth {
            let seq = self.hs.next_send_seq()?;
            let m = self.flight.push_message(0, msg::CERTIFICATE_REQUEST, seq, |w| {
                w.vec8(&[hecc::ECDSA_SIGN])?;
                w.vec16(&hecc::ECDSA_SHA256.to_be_bytes())?;
                w.vec16(&[]) // no certificate_authorities
            })?;
            self.hs.transcript.update(m);
            self.ecc.cert_requested = true;
        }
        Ok(())
    }

    /// ECDH ClientKeyExchange: validate the point, compute the premaster
    /// secret, drop our ephemeral key.
    #[cfg(feature = "ecc")]
    fn on_ecdh_client_key_exchange(&mut self, origin: &MsgOrigin, message: &[u8], body: &[u8]) -> Result<(), Fatal> {
        use crate::crypto::ecc;
        let point = hecc::parse_client_key_exchange(body).map_err(|_| Fatal::decode())?;
        let mut shared = Zeroizing::new([0u8; 32]);
        // A refused point keeps our ephemeral key: the genuine
        // ClientKeyExchange may still come (epoch 0 is unauthenticated).
        ecc::ecdh(&self.ecc.eph_scalar, point, &mut shared).map_err(|_| Fatal::alert(alert::ILLEGAL_PARAMETER))?;
        // Accepted: our ephemeral key has done its job.
        self.ecc.wipe_ephemeral();
        if !self.ecc.cert_requested {
            self.hs.peer_flight_first = origin.message_seq;
        }
        self.hs.transcript.update(message);
        self.derive_keys(&shared[..]);
        self.state = if self.ecc.cert_requested { State::ServerWaitCertificateVerify } else { State::ServerWaitCcs };
        Ok(())
    }

    fn on_client_key_exchange(
        &mut self,
        env: &mut dyn Env,
        origin: &MsgOrigin,
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
                _ => {
                    nd_log!(self.log => Warn, "server: unknown PSK identity ({} bytes): answering decrypt_error", identity.len());
                    return Err(Fatal::alert(alert::DECRYPT_ERROR));
                }
            }
        };
        // Remember who the client is (readable by the application).
        self.psk.set(identity, key.get(..key_len).unwrap_or(&[])).map_err(|_| Fatal::alert(alert::DECRYPT_ERROR))?;
        self.hs.peer_identity_known = true;
        self.hs.peer_flight_first = origin.message_seq;
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
