//! The client's ClientKeyExchange on the server: the premaster secret of
//! each key exchange (RFC 4279 PSK, RFC 8422 ECDHE, RFC 5489 ECDHE_PSK).

use crate::association::Association;
#[cfg(feature = "ecc")]
use zeroize::Zeroize;

impl Association {
    /// ECDH ClientKeyExchange: validate the point, compute the premaster
    /// secret, drop our ephemeral key.
    #[cfg(feature = "ecc")]
    pub(super) fn on_ecdh_client_key_exchange(
        &mut self,
        origin: &crate::handshake::MsgOrigin,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), crate::error::Fatal> {
        let point =
            crate::handshake::msg::client_key_exchange::parse_ecdh(body).map_err(|_| crate::error::Fatal::decode())?;
        let mut shared = zeroize::Zeroizing::new([0u8; crate::keyex::ecdhe::PREMASTER_LEN]);
        // A refused point keeps our ephemeral key: the genuine
        // ClientKeyExchange may still come (epoch 0 is unauthenticated).
        crate::keyex::ecdhe::server_shared(&self.hs.ecc.eph_scalar, point, &mut shared)?;
        // Accepted: our ephemeral key has done its job.
        self.hs.ecc.eph_scalar.zeroize();
        if !self.hs.ecc.cert_requested {
            self.hs.peer_flight_first = origin.message_seq;
        }
        self.hs.transcript.update(message);
        self.derive_keys(&shared[..]);
        self.state = if self.hs.ecc.cert_requested {
            crate::association::State::ServerWaitCertificateVerify
        } else {
            crate::association::State::ServerWaitCcs
        };
        Ok(())
    }

    /// ECDHE_PSK ClientKeyExchange: the identity and its key, then the
    /// client's point; both are checked before anything changes.
    #[cfg(feature = "ecdhe-psk")]
    pub(super) fn on_ecdhe_psk_client_key_exchange(
        &mut self,
        env: &mut dyn crate::env::Env,
        creds: &crate::auth::Credentials,
        origin: &crate::handshake::MsgOrigin,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), crate::error::Fatal> {
        let (identity, point) = crate::handshake::msg::client_key_exchange::parse_ecdhe_psk(body)
            .map_err(|_| crate::error::Fatal::decode())?;
        let mut key = zeroize::Zeroizing::new([0u8; crate::sizes::NANODTLS_MAX_PSK_KEY]);
        let found = creds.server_psk(env, identity, &mut key).map_err(|(f, _why)| {
            nd_log!(self.log => Warn, "server: {} ({} bytes): answering decrypt_error", _why, identity.len());
            f
        })?;
        let mut z = zeroize::Zeroizing::new([0u8; crate::keyex::ecdhe_psk::ECDH_LEN]);
        // A refused point keeps our ephemeral key (epoch 0 is unauthenticated).
        crate::keyex::ecdhe::server_shared(&self.hs.ecc.eph_scalar, point, &mut z)?;
        // Accepted.
        self.hs.ecc.eph_scalar.zeroize();
        self.hs.set_peer_identity(identity);
        #[cfg(nanodtls_ttp)]
        {
            self.hs.ttp = found.ttp;
        }
        self.hs.peer_flight_first = origin.message_seq;
        self.hs.transcript.update(message);
        let mut pms =
            zeroize::Zeroizing::new([0u8; 4 + crate::keyex::ecdhe_psk::ECDH_LEN + crate::sizes::NANODTLS_MAX_PSK_KEY]);
        let n = crate::keyex::ecdhe_psk::premaster(&z, key.get(..found.len).unwrap_or(&[]), &mut pms[..])?;
        self.derive_keys(pms.get(..n).unwrap_or(&[]));
        self.state = crate::association::State::ServerWaitCcs;
        Ok(())
    }

    pub(super) fn on_client_key_exchange(
        &mut self,
        env: &mut dyn crate::env::Env,
        creds: &crate::auth::Credentials,
        origin: &crate::handshake::MsgOrigin,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), crate::error::Fatal> {
        let identity =
            crate::handshake::msg::client_key_exchange::parse_psk(body).map_err(|_| crate::error::Fatal::decode())?;
        let mut key = zeroize::Zeroizing::new([0u8; crate::sizes::NANODTLS_MAX_PSK_KEY]);
        let found = creds.server_psk(env, identity, &mut key).map_err(|(f, _why)| {
            nd_log!(self.log => Warn, "server: {} ({} bytes): answering decrypt_error", _why, identity.len());
            f
        })?;
        let key_len = found.len;
        // Accepted: remember who the client is (readable by the application).
        self.hs.set_peer_identity(identity);
        #[cfg(nanodtls_ttp)]
        {
            self.hs.ttp = found.ttp;
        }
        self.hs.peer_flight_first = origin.message_seq;
        self.hs.transcript.update(message);
        let mut pms = zeroize::Zeroizing::new([0u8; 4 + 2 * crate::sizes::NANODTLS_MAX_PSK_KEY]);
        let n = crate::keyex::psk::premaster(key.get(..key_len).unwrap_or(&[]), &mut pms[..])?;
        self.derive_keys(pms.get(..n).unwrap_or(&[]));
        self.state = crate::association::State::ServerWaitCcs;
        Ok(())
    }
}
