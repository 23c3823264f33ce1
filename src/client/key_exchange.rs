//! The client's flight 5: ClientKeyExchange for each key exchange (RFC
//! 4279 PSK, RFC 8422 ECDHE, RFC 5489 ECDHE_PSK), our Certificate (or
//! CertificateURL, RFC 6066 5) and CertificateVerify.

use crate::association::Association;

impl Association {
    /// Flight 5: [Certificate], ClientKeyExchange, [CertificateVerify],
    /// ChangeCipherSpec, Finished.
    pub(super) fn send_client_key_exchange_flight(
        &mut self,
        env: &mut dyn crate::env::Env,
        creds: &crate::auth::Credentials,
    ) -> Result<(), crate::error::Fatal> {
        self.flight.clear();
        // The ClientHello that offered a session is answered: a full
        // handshake replaces the session.
        self.forget_session();
        let kx = crate::suite::info(self.hs.suite).map(|(k, _)| k);
        // Premaster secret: large enough for PSK (2 + N + 2 + N), ECDH (32)
        // and ECDHE_PSK (2 + 32 + 2 + N).
        let mut pms = zeroize::Zeroizing::new([0u8; 4 + 2 * crate::sizes::NANODTLS_MAX_PSK_KEY + 32]);
        let pms_len = match kx {
            Some(crate::suite::KeyExchange::Psk) => {
                self.push_message(creds, env, 0, crate::handshake::msg::CLIENT_KEY_EXCHANGE, super::write_body)?;
                crate::keyex::psk::premaster(creds.psk.key(), &mut pms[..])?
            }
            #[cfg(feature = "ecc")]
            Some(crate::suite::KeyExchange::EcdheEcdsa) => self.ecdhe_client_messages(env, creds, &mut pms[..])?,
            #[cfg(feature = "ecdhe-psk")]
            Some(crate::suite::KeyExchange::EcdhePsk) => {
                let mut z = zeroize::Zeroizing::new([0u8; crate::keyex::ecdhe_psk::ECDH_LEN]);
                let mut rng = |b: &mut [u8]| env.random(b);
                let point = crate::keyex::ecdhe::client_share(&mut rng, &self.hs.ecc.eph_point, &mut z[..])?;
                self.hs.ecc.eph_point = point;
                self.push_message(creds, env, 0, crate::handshake::msg::CLIENT_KEY_EXCHANGE, super::write_body)?;
                crate::keyex::ecdhe_psk::premaster(&z, creds.psk.key(), &mut pms[..])?
            }
            #[allow(unreachable_patterns)]
            _ => return Err(crate::error::Fatal::internal(crate::error::Error::Internal)),
        };
        self.derive_keys(pms.get(..pms_len).unwrap_or(&[]));
        #[cfg(feature = "ecc")]
        if kx == Some(crate::suite::KeyExchange::EcdheEcdsa)
            && self.hs.ecc.cert_requested
            && self.hs.ecc.sent_certificate
        {
            self.push_certificate_verify(env, creds)?;
        }
        self.push_ccs()?;
        self.push_finished(creds, env, super::write_body)?;
        self.send_flight(true);
        self.state = crate::association::State::ClientWaitCcs;
        Ok(())
    }

    /// Certificate (if requested) and ClientKeyExchange; returns the
    /// premaster secret length written to `pms`.
    #[cfg(feature = "ecc")]
    pub(super) fn ecdhe_client_messages(
        &mut self,
        env: &mut dyn crate::env::Env,
        creds: &crate::auth::Credentials,
        pms: &mut [u8],
    ) -> Result<usize, crate::error::Fatal> {
        if self.hs.ecc.cert_requested {
            let cert = if self.hs.own_cert_x509 { env.own_certificate() } else { None };
            // Something to prove with CertificateVerify: our raw key, our
            // X.509 certificate or our AuthzCert; otherwise an empty Certificate.
            self.hs.ecc.sent_certificate =
                creds.keys.has_own() && (self.hs.authz || !self.hs.own_cert_x509 || cert.is_some());
            // RFC 6066 5: CertificateURL instead of Certificate when the
            // server echoed client_certificate_url (in the transcript the
            // same way; CertificateVerify follows as usual).
            #[cfg(feature = "cert-url")]
            if self.hs.cert_url_used && self.hs.ecc.sent_certificate && cert.is_some() {
                nd_log!(self.log => Info, "client: sending CertificateURL instead of our chain");
                self.push_message(creds, env, 0, crate::handshake::msg::CERTIFICATE_URL, super::write_body)?;
            } else {
                self.push_message(creds, env, 0, crate::handshake::msg::CERTIFICATE, super::write_body)?;
            }
            #[cfg(not(feature = "cert-url"))]
            self.push_message(creds, env, 0, crate::handshake::msg::CERTIFICATE, super::write_body)?;
        }
        let mut rng = |b: &mut [u8]| env.random(b);
        let point = crate::keyex::ecdhe::client_share(&mut rng, &self.hs.ecc.eph_point, pms)?;
        // The server's point has served; ours goes into ClientKeyExchange.
        self.hs.ecc.eph_point = point;
        self.push_message(creds, env, 0, crate::handshake::msg::CLIENT_KEY_EXCHANGE, super::write_body)?;
        Ok(crate::keyex::ecdhe::PREMASTER_LEN)
    }

    /// CertificateVerify: our signature over the transcript so far.
    #[cfg(feature = "ecc")]
    pub(super) fn push_certificate_verify(
        &mut self,
        env: &mut dyn crate::env::Env,
        creds: &crate::auth::Credentials,
    ) -> Result<(), crate::error::Fatal> {
        let hash = self.hs.transcript.digest();
        let n = creds.keys.sign(env, &hash, &mut self.hs.ecc.sig)?;
        self.hs.ecc.sig_len = n as u8;
        self.push_message(creds, env, 0, crate::handshake::msg::CERTIFICATE_VERIFY, super::write_body)
    }
}
