//! The server's credential on the client: its certificate chain (RFC 5280
//! path validation as RFC 7925 4.4 profiles it, or a pinned raw public
//! key, RFC 7250), the chain kept for cached_info (RFC 7924), the
//! CertificateRequest (kept or received), the AuthzCert pinned key
//! (docs/ttp.md) and the signed ECDHE parameters (RFC 8422 5.4).

use crate::association::Association;

impl Association {
    /// Certificate mode (RFC 7925 4.4.1): the server's X.509 chain,
    /// validated to our trust anchors, must name the server we expect (the
    /// verify name, else the SNI we sent). The outcome is kept for the
    /// application ([`Association::x509_peer`]).
    #[cfg(feature = "x509")]
    pub(super) fn accept_server_chain(
        &mut self,
        env: &dyn crate::env::Env,
        creds: &crate::auth::Credentials,
        body: &[u8],
    ) -> Result<crate::auth::rpk::PeerKey, crate::error::Fatal> {
        use crate::auth::x509::trust::{self, Peer, PeerX509};
        crate::handshake::msg::certificate::parse_x509(body).map_err(|_| crate::error::Fatal::decode())?;
        let name = match creds.x509.verify_name() {
            [] => self.sni.get(..usize::from(self.sni_len)).filter(|n| !n.is_empty()),
            n => Some(n),
        };
        match trust::validate_peer(env, &creds.x509, body, Peer::Server(name)) {
            Ok((key, peer)) => {
                self.x509_peer = peer;
                nd_log!(self.log => Info, "client: server certificate chain validated ({} below the anchor)", peer.depth);
                Ok(key)
            }
            Err(r) => {
                self.x509_peer = PeerX509 { reason: r as u8, ..PeerX509::default() };
                nd_log!(self.log => Warn, "client: server certificate refused: {}", r.as_cstr().to_str().unwrap_or("?"));
                Err(crate::error::Fatal::alert(r.alert()))
            }
        }
    }

    #[cfg(all(feature = "ecc", not(feature = "x509")))]
    pub(super) fn accept_server_chain(
        &mut self,
        _env: &dyn crate::env::Env,
        _creds: &crate::auth::Credentials,
        _body: &[u8],
    ) -> Result<crate::auth::rpk::PeerKey, crate::error::Fatal> {
        Err(crate::error::Fatal::alert(crate::alert::UNSUPPORTED_CERTIFICATE))
    }

    /// cached_info (RFC 7924 4.1): the server's Certificate in the hash
    /// form must carry the hash we offered; then the chain we kept is
    /// validated as if it had arrived. The transcript has the message as
    /// sent (the hash form).
    #[cfg(feature = "cached-info")]
    pub(super) fn on_cached_certificate(
        &mut self,
        env: &dyn crate::env::Env,
        creds: &crate::auth::Credentials,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), crate::error::Fatal> {
        use subtle::ConstantTimeEq;
        let hash =
            crate::handshake::ext::cached_info::parse_certificate(body).map_err(|_| crate::error::Fatal::decode())?;
        if !bool::from(hash.ct_eq(&self.hs.cached_hash)) {
            nd_log!(self.log => Warn, "client: cached_info: the server's hash is not the one we offered");
            return Err(crate::error::Fatal::alert(crate::alert::ILLEGAL_PARAMETER));
        }
        let kept = env.cached_server_certificate().ok_or(crate::error::Fatal::alert(crate::alert::INTERNAL_ERROR))?;
        if crate::handshake::ext::cached_info::certificate_hash(kept) != self.hs.cached_hash {
            // The application changed what it lends since connect.
            return Err(crate::error::Fatal::alert(crate::alert::INTERNAL_ERROR));
        }
        let key = self.accept_server_chain(env, creds, kept)?;
        nd_log!(self.log => Info, "client: cached_info: the server sent the hash of the chain we kept");
        self.hs.ecc.set_peer(&key);
        self.hs.transcript.update(message);
        self.state = crate::association::State::ClientWaitServerKeyExchange;
        Ok(())
    }

    /// The body of the server's CertificateRequest: the one it sent, or,
    /// with cached_info answered for it (RFC 7924 4.2), the one we kept,
    /// once the hash form carries the hash we offered.
    #[cfg(feature = "cached-info")]
    pub(super) fn certificate_request_body<'b>(
        &self,
        env: &'b dyn crate::env::Env,
        body: &'b [u8],
    ) -> Result<&'b [u8], crate::error::Fatal> {
        use subtle::ConstantTimeEq;
        if !self.hs.cached_req_used {
            return Ok(body);
        }
        let hash =
            crate::handshake::ext::cached_info::parse_certificate(body).map_err(|_| crate::error::Fatal::decode())?;
        if !bool::from(hash.ct_eq(&self.hs.cached_req_hash)) {
            nd_log!(self.log => Warn, "client: cached_info: the server's request hash is not the one we offered");
            return Err(crate::error::Fatal::alert(crate::alert::ILLEGAL_PARAMETER));
        }
        let kept = env.cached_certificate_request().ok_or(crate::error::Fatal::alert(crate::alert::INTERNAL_ERROR))?;
        if crate::handshake::ext::cached_info::request_hash(kept) != self.hs.cached_req_hash {
            // The application changed what it lends since connect.
            return Err(crate::error::Fatal::alert(crate::alert::INTERNAL_ERROR));
        }
        nd_log!(self.log => Info, "client: cached_info: the server sent the hash of the CertificateRequest we kept");
        Ok(kept)
    }

    /// AuthzCert: the server's empty X.509 certificate_list stands for the
    /// key we pinned (docs/ttp.md); None otherwise.
    #[cfg(feature = "ecc")]
    pub(super) fn authz_pinned_key(
        hs: &crate::handshake::state::Handshake,
        creds: &crate::auth::Credentials,
        body: &[u8],
    ) -> Option<crate::auth::rpk::PeerKey> {
        #[cfg(feature = "authz-cert")]
        if hs.authz && hs.peer_cert_x509 && matches!(crate::handshake::msg::certificate::parse_x509(body), Ok(None)) {
            return creds.authz.server_key();
        }
        let _ = (hs, creds, body);
        None
    }

    /// Verify the server's signed ECDHE parameters and keep its point.
    #[cfg(feature = "ecc")]
    pub(super) fn on_ecdhe_server_key_exchange(&mut self, body: &[u8]) -> Result<(), crate::error::Fatal> {
        use crate::crypto::ecc;
        let ske = crate::handshake::msg::server_key_exchange::parse_ecdhe(body).map_err(|e| match e {
            crate::error::Error::Unsupported => crate::error::Fatal::alert(crate::alert::ILLEGAL_PARAMETER),
            _ => crate::error::Fatal::decode(),
        })?;
        if ske.sig_alg != crate::handshake::ext::ec::ECDSA_SHA256 {
            return Err(crate::error::Fatal::alert(crate::alert::ILLEGAL_PARAMETER));
        }
        ecc::validate_point(ske.point).map_err(|_| crate::error::Fatal::alert(crate::alert::ILLEGAL_PARAMETER))?;
        let hash = crate::keyex::ecdhe::signed_params_hash(&self.hs.client_random, &self.hs.server_random, ske.params);
        ecc::verify(&self.hs.ecc.peer_point, &hash, ske.signature)
            .map_err(|_| crate::error::Fatal::alert(crate::alert::DECRYPT_ERROR))?;
        self.hs.ecc.eph_point.copy_from_slice(ske.point);
        Ok(())
    }
}
