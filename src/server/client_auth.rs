//! The client's credential on the server: its certificate chain (RFC 5280
//! path validation as RFC 7925 4.4 profiles it, or a pinned raw public key,
//! RFC 7250), a CertificateURL whose certificates the application fetched
//! (RFC 6066 5) and an AuthzCert MacCert (docs/ttp.md).

use crate::association::Association;

impl Association {
    /// Certificate mode (RFC 7925 4.4.2): the client's X.509 chain,
    /// validated to our trust anchors, must name an EUI-64 (unless
    /// configured otherwise) that the application accepts. The outcome is
    /// kept for the application ([`Association::x509_peer`]).
    #[cfg(feature = "x509")]
    pub(super) fn accept_client_chain(
        &mut self,
        env: &mut dyn crate::env::Env,
        creds: &crate::auth::Credentials,
        body: &[u8],
    ) -> Result<crate::auth::rpk::PeerKey, crate::error::Fatal> {
        use crate::auth::x509::trust::{self, Peer, PeerX509};
        crate::handshake::msg::certificate::parse_x509(body).map_err(|_| crate::error::Fatal::decode())?;
        match trust::validate_peer(env, &creds.x509, body, Peer::Client) {
            Ok((key, peer)) => {
                self.x509_peer = peer;
                nd_log!(self.log => Info, "server: client certificate chain validated ({} below the anchor)", peer.depth);
                Ok(key)
            }
            Err(r) => {
                self.x509_peer = PeerX509 { reason: r as u8, ..PeerX509::default() };
                nd_log!(self.log => Warn, "server: client certificate refused: {}", r.as_cstr().to_str().unwrap_or("?"));
                // An empty list: client_auth is required when we ask.
                Err(crate::error::Fatal::alert(if r == crate::auth::x509::Reason::Empty {
                    crate::alert::HANDSHAKE_FAILURE
                } else {
                    r.alert()
                }))
            }
        }
    }

    #[cfg(all(feature = "ecc", not(feature = "x509")))]
    pub(super) fn accept_client_chain(
        &mut self,
        _env: &mut dyn crate::env::Env,
        _creds: &crate::auth::Credentials,
        _body: &[u8],
    ) -> Result<crate::auth::rpk::PeerKey, crate::error::Fatal> {
        Err(crate::error::Fatal::alert(crate::alert::UNSUPPORTED_CERTIFICATE))
    }

    /// Client certificate URLs: the application provides the fetched
    /// certificates (`Some`, DER back to back in URL order) or refuses
    /// (`None`, certificate_unobtainable) for a paused handshake. Not
    /// paused: WrongState, nothing changes. A failed check fails the
    /// connection with its alert (114, or that of path validation).
    #[cfg(feature = "cert-url")]
    pub(crate) fn cert_url_resume(
        &mut self,
        env: &dyn crate::env::Env,
        creds: &crate::auth::Credentials,
        der: Option<&[u8]>,
    ) -> Result<(), crate::error::Error> {
        if !(self.hs.cert_url_paused && self.state == crate::association::State::ServerWaitClientCertificate) {
            return Err(crate::error::Error::WrongState);
        }
        self.hs.cert_url_paused = false;
        let hashes = self.hs.cert_url_hashes;
        let n = usize::from(self.hs.cert_url_count);
        match crate::auth::cert_url::check_fetched(env, creds, hashes.iter().take(n), der, &mut self.x509_peer) {
            Ok(key) => {
                nd_log!(self.log => Info, "server: fetched client certificates accepted; waiting for the client's retransmission");
                self.hs.ecc.set_peer(&key);
                self.state = crate::association::State::ServerWaitClientKeyExchange;
                Ok(())
            }
            Err(f) => Err(self.fail(f)),
        }
    }

    /// AuthzCert: the client's Certificate carries its MacCert, checked
    /// against the trust anchors (docs/ttp.md: ta_id, seq, SPKI, MAC, in
    /// that order); any refusal is bad_certificate. The seq is committed
    /// only when the handshake succeeds.
    #[cfg(feature = "authz-cert")]
    pub(super) fn on_authz_certificate(
        &mut self,
        creds: &crate::auth::Credentials,
        origin: &crate::handshake::MsgOrigin,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), crate::error::Fatal> {
        let refuse = |_why: &'static str| {
            nd_log!(self.log => Warn, "server: {}: answering bad_certificate", _why);
            crate::error::Fatal::alert(crate::alert::BAD_CERTIFICATE)
        };
        let malformed = crate::auth::ta::Refusal::Malformed;
        let cert = crate::auth::authz_cert::parse_certificate_message(body)
            .map_err(|_| refuse(crate::auth::authz_cert::reason(creds.ta.refuse(malformed))))?;
        let a = creds.ta.check_authz_cert(cert).map_err(|r| refuse(crate::auth::authz_cert::reason(r)))?;
        let parsed = crate::auth::authz_cert::parse(cert)
            .map_err(|_| crate::error::Fatal::internal(crate::error::Error::Internal))?;
        // Accepted: from here on only state changes.
        let key = crate::auth::rpk::PeerKey { point: a.point, hash: crate::crypto::sha256::sha256(&[parsed.spki]) };
        self.hs.ecc.set_peer(&key);
        // The trust anchor id, for the application (no PSK identity here).
        self.hs.set_peer_identity(parsed.ta_id);
        self.hs.ttp = a.pending;
        self.hs.peer_flight_first = origin.message_seq;
        self.hs.transcript.update(message);
        self.state = crate::association::State::ServerWaitClientKeyExchange;
        Ok(())
    }
}
