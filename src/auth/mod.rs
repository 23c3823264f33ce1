//! Who the peer is, and who we are (RFC 4279 PSK, RFC 7250 raw public keys,
//! X.509 leaf keys pinned or X.509 chains validated to trust anchors
//! (certificate mode, RFC 7925 4.4), and the trusted-third-party modes of
//! docs/ttp.md): one [`Credentials`] type, owned by a single connection or
//! by an endpoint and shared by all its peers.

#[cfg(feature = "authz-cert")]
pub mod authz_cert;
#[cfg(feature = "cert-url")]
pub mod cert_url;
#[cfg(feature = "derived-key")]
pub mod derived_key;
pub mod psk;
#[cfg(feature = "ecc")]
pub mod rpk;
#[cfg(nanodtls_ttp)]
pub mod ta;
#[cfg(feature = "ecc")]
pub mod x509;

use zerocopy::FromZeros;
use zeroize::Zeroizing;

use crate::error::{Error, Fatal};
use crate::sizes::NANODTLS_MAX_PSK_KEY;

/// [`TtpPending::mode`]: no trust anchor mode.
pub const TTP_NONE: u8 = 0;
/// [`TtpPending::mode`]: DerivedKey.
pub const TTP_DERIVED_KEY: u8 = 1;
/// [`TtpPending::mode`]: AuthzCert.
pub const TTP_AUTHZ_CERT: u8 = 2;
/// The AuthzCert certificate type codepoint by default (the seed's; IANA
/// has since assigned 3 to 1609Dot2 in RFC 8902: see docs/ttp.md).
pub const DEFAULT_AUTHZ_CERT_TYPE: u8 = 3;

/// What a handshake that a trust anchor mode accepted will commit when it
/// succeeds: which anchor (index and generation) and which seq. Kept in
/// the handshake state; mode [`TTP_NONE`] otherwise.
#[derive(Clone, Copy, Debug, Default, FromZeros, PartialEq, Eq)]
#[repr(C)]
pub struct TtpPending {
    /// The anchor's generation when the credential was checked.
    pub generation: u32,
    /// The credential's sequence number.
    pub seq: u32,
    /// The anchor's index in the table.
    pub ta: u8,
    /// [`TTP_NONE`], [`TTP_DERIVED_KEY`] or [`TTP_AUTHZ_CERT`].
    pub mode: u8,
    /// The handshake succeeded and the seq was marked used.
    pub committed: bool,
}

/// A client authenticated through a trust anchor: who it is, as the
/// application needs it to authorise per client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TtpPeer<'a> {
    /// [`TTP_DERIVED_KEY`] or [`TTP_AUTHZ_CERT`].
    pub mode: u8,
    /// The trust anchor's id.
    pub ta_id: &'a [u8],
    /// The client's id (DerivedKey: from the nonce; AuthzCert: the SHA-256
    /// of the client's SubjectPublicKeyInfo, 32 bytes).
    pub client_id: &'a [u8],
    /// The credential's sequence number.
    pub seq: u32,
}

impl TtpPending {
    /// The authenticated peer, once committed: DerivedKey reads it back
    /// from the client's PSK `identity` (the nonce); AuthzCert keeps the
    /// trust anchor id in that buffer (`identity`) and names the client by
    /// `key_hash`, the SHA-256 of its SubjectPublicKeyInfo.
    pub fn peer<'a>(&self, identity: &'a [u8], key_hash: &'a [u8]) -> Option<TtpPeer<'a>> {
        if !self.committed {
            return None;
        }
        match self.mode {
            #[cfg(feature = "derived-key")]
            TTP_DERIVED_KEY => {
                let n = derived_key::parse_nonce(identity).ok()?;
                Some(TtpPeer { mode: self.mode, ta_id: n.ta_id, client_id: n.client_id, seq: n.seq })
            }
            #[cfg(feature = "authz-cert")]
            TTP_AUTHZ_CERT => Some(TtpPeer { mode: self.mode, ta_id: identity, client_id: key_hash, seq: self.seq }),
            _ => {
                let _ = (identity, key_hash);
                None
            }
        }
    }
}

/// A server's PSK for a client's identity.
pub(crate) struct PskFound {
    /// Its length (in the caller's buffer).
    pub len: usize,
    /// What to commit when the handshake succeeds (DerivedKey).
    #[cfg(nanodtls_ttp)]
    pub ttp: TtpPending,
}

/// Everything we authenticate with and the peers we trust. Secrets are
/// copied in and wiped by [`Credentials::wipe`].
#[derive(FromZeros)]
#[repr(C)]
pub struct Credentials {
    /// The pre-shared key.
    pub psk: psk::PskCredentials,
    /// Our key pair and the trusted peer keys.
    #[cfg(feature = "ecc")]
    pub keys: rpk::KeyCredentials,
    /// The trust anchors of the trusted-third-party modes.
    #[cfg(nanodtls_ttp)]
    pub ta: ta::TrustAnchors,
    /// Client, AuthzCert: the pinned key of the resource server.
    #[cfg(feature = "authz-cert")]
    pub authz: authz_cert::ClientAuthz,
    /// Certificate mode (X.509 path validation): the verify name and the
    /// client identity rule; the anchors themselves are borrowed through
    /// [`crate::env::Env::x509_anchor`].
    #[cfg(feature = "x509")]
    pub x509: x509::trust::X509Settings,
}

impl Credentials {
    /// Our private key for ECDHE_ECDSA (raw scalar, SEC1 or PKCS#8 DER);
    /// `Unsupported` in builds without the `ecc` feature.
    pub fn set_own_key(&mut self, key: &[u8]) -> Result<(), Error> {
        #[cfg(feature = "ecc")]
        return self.keys.set_own_key(key);
        #[cfg(not(feature = "ecc"))]
        {
            let _ = key;
            Err(Error::Unsupported)
        }
    }

    /// Our public key (SubjectPublicKeyInfo DER, 91 bytes) whose private
    /// key stays outside the library (a secure element): ECDSA signatures
    /// come from [`crate::Env::sign_hash`]. `InvalidArgument` for anything
    /// but a P-256 SPKI; `Unsupported` without the `ecc` feature.
    pub fn set_own_public_key(&mut self, spki: &[u8]) -> Result<(), Error> {
        #[cfg(feature = "ecc")]
        return self.keys.set_own_public_key(spki);
        #[cfg(not(feature = "ecc"))]
        {
            let _ = spki;
            Err(Error::Unsupported)
        }
    }

    /// Our SubjectPublicKeyInfo (DER, 91 bytes), if a key is set.
    pub fn own_spki(&self) -> Option<[u8; 91]> {
        #[cfg(feature = "ecc")]
        return self.keys.has_own().then(|| self.keys.own_spki());
        #[cfg(not(feature = "ecc"))]
        None
    }

    /// Trust a peer key given as SubjectPublicKeyInfo DER (or an X.509
    /// certificate whose key is pinned).
    pub fn add_trusted_key(&mut self, spki: &[u8]) -> Result<(), Error> {
        #[cfg(feature = "ecc")]
        return self.keys.add_trusted_spki(spki);
        #[cfg(not(feature = "ecc"))]
        {
            let _ = spki;
            Err(Error::Unsupported)
        }
    }

    /// Trust a peer key given as the SHA-256 of its SubjectPublicKeyInfo.
    pub fn add_trusted_key_hash(&mut self, hash: &[u8; 32]) -> Result<(), Error> {
        #[cfg(feature = "ecc")]
        return self.keys.add_trusted_hash(hash);
        #[cfg(not(feature = "ecc"))]
        {
            let _ = hash;
            Err(Error::Unsupported)
        }
    }

    /// True if the X.509 certificate `der` carries our public key.
    pub fn certificate_matches_own_key(&self, der: &[u8]) -> bool {
        #[cfg(feature = "ecc")]
        return self.keys.certificate_matches_own_key(der);
        #[cfg(not(feature = "ecc"))]
        {
            let _ = der;
            false
        }
    }

    /// True if the peer's key can be checked at all: a pinned key, the
    /// application's verifier, or (feature `x509`) an X.509 trust anchor.
    #[cfg(feature = "ecc")]
    pub(crate) fn can_verify_peer(&self, env: &dyn crate::env::Env) -> bool {
        self.keys.any_trusted() || env.has_peer_key_verifier() || self.x509_anchored(env)
    }

    /// True if X.509 trust anchors are configured (feature `x509`): a
    /// peer's X.509 chain is then path-validated.
    #[cfg(feature = "ecc")]
    pub(crate) fn x509_anchored(&self, env: &dyn crate::env::Env) -> bool {
        #[cfg(feature = "x509")]
        return x509::trust::has_anchors(env);
        #[cfg(not(feature = "x509"))]
        {
            let _ = env;
            false
        }
    }

    /// True if a trust anchor is configured (feature `derived-key` or
    /// `authz-cert`).
    pub fn has_trust_anchors(&self) -> bool {
        #[cfg(nanodtls_ttp)]
        return !self.ta.is_empty();
        #[cfg(not(nanodtls_ttp))]
        false
    }

    /// Server: the PSK for the `identity` a client sent, into `key`. With
    /// trust anchors configured (feature `derived-key`), an identity that
    /// starts with "DK." is DerivedKey's alone; any other goes to the
    /// configured PSK, then the application's lookup
    /// ([`psk::PskCredentials::server_key`]). A refusal comes with the
    /// reason for the debug log.
    pub(crate) fn server_psk(
        &self,
        env: &mut dyn crate::env::Env,
        identity: &[u8],
        key: &mut Zeroizing<[u8; NANODTLS_MAX_PSK_KEY]>,
    ) -> Result<PskFound, (Fatal, &'static str)> {
        #[cfg(feature = "derived-key")]
        if derived_key::is_derived_key_identity(identity) && !self.ta.is_empty() {
            return match self.ta.derived_psk(identity, &mut key[..]) {
                Ok((len, ttp)) => Ok(PskFound { len, ttp }),
                Err(r) => Err((Fatal::alert(crate::alert::DECRYPT_ERROR), derived_key::reason(r))),
            };
        }
        match self.psk.server_key(env, identity, key) {
            Ok(len) => Ok(PskFound {
                len,
                #[cfg(nanodtls_ttp)]
                ttp: TtpPending::default(),
            }),
            Err(f) => Err((f, "unknown PSK identity")),
        }
    }

    /// Server: the handshake of `p` succeeded (the client's Finished
    /// verified): commit its trust anchor seq. `Ok(false)`: no trust anchor
    /// mode was used. A refusal (the seq was used meanwhile, revoked, or
    /// the anchor reset) comes with its alert and the reason for the log.
    #[cfg(nanodtls_ttp)]
    pub(crate) fn commit_trust_anchor(&self, p: &mut TtpPending) -> Result<bool, (Fatal, &'static str)> {
        let mode = p.mode;
        self.ta.commit(p).map_err(|r| match mode {
            #[cfg(feature = "authz-cert")]
            TTP_AUTHZ_CERT => (Fatal::alert(crate::alert::BAD_CERTIFICATE), authz_cert::reason(r)),
            #[cfg(feature = "derived-key")]
            _ => (Fatal::alert(crate::alert::DECRYPT_ERROR), derived_key::reason(r)),
            #[cfg(not(feature = "derived-key"))]
            _ => (Fatal::alert(crate::alert::BAD_CERTIFICATE), r.as_str()),
        })
    }

    /// Client: the AuthzCert codepoint to offer (0: none). AuthzCert is
    /// offered when the application gave a MacCert ([`Env::authz_cert`]),
    /// our key and the pinned server key.
    ///
    /// [`Env::authz_cert`]: crate::env::Env
    pub(crate) fn authz_offer(&self, env: &dyn crate::env::Env) -> u8 {
        #[cfg(feature = "authz-cert")]
        if env.authz_cert().is_some() && self.keys.has_own() && self.authz.has_server_key() {
            return self.ta.authz_cert_type();
        }
        let _ = env;
        0
    }

    /// Server: the AuthzCert codepoint we accept (0: none, i.e. no trust
    /// anchor is configured or the feature is off).
    #[cfg(feature = "ecc")]
    pub(crate) fn authz_accepted(&self) -> u8 {
        #[cfg(feature = "authz-cert")]
        if !self.ta.is_empty() {
            return self.ta.authz_cert_type();
        }
        0
    }

    /// Wipe every secret.
    pub fn wipe(&mut self) {
        self.psk.wipe_key();
        #[cfg(feature = "ecc")]
        self.keys.wipe();
        #[cfg(nanodtls_ttp)]
        self.ta.wipe();
        #[cfg(feature = "authz-cert")]
        self.authz.clear();
    }
}
