//! Asymmetric credentials for ECDHE_ECDSA with raw public keys (RFC 7250):
//! our key pair, the trusted peer keys (SHA-256 hashes of their
//! SubjectPublicKeyInfo) and what we learnt about the peer.

use zerocopy::FromZeros;
use zeroize::Zeroize;

use crate::crypto::ecc::{self, POINT_LEN, SCALAR_LEN, SPKI_LEN};
use crate::crypto::sha256::sha256;
use crate::error::Error;
use crate::sizes::NANODTLS_MAX_TRUSTED_KEYS;

/// Raw-public-key credentials and per-handshake ECC state.
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct EccCreds {
    pub own_scalar: [u8; SCALAR_LEN],
    pub own_point: [u8; POINT_LEN],
    /// The peer's static key, once its Certificate was accepted.
    pub peer_point: [u8; POINT_LEN],
    /// Server: our ephemeral public key; client: the server's.
    pub eph_point: [u8; POINT_LEN],
    /// Server: our ephemeral private key, from ServerKeyExchange to ClientKeyExchange.
    pub eph_scalar: [u8; SCALAR_LEN],
    pub trusted: [[u8; 32]; NANODTLS_MAX_TRUSTED_KEYS],
    /// SHA-256 of the peer's SubjectPublicKeyInfo.
    pub peer_hash: [u8; 32],
    pub n_trusted: u8,
    pub has_own: bool,
    pub has_peer: bool,
    /// Client: the server sent CertificateRequest. Server: we sent one.
    pub cert_requested: bool,
    /// Client: we answered a CertificateRequest with a key or certificate.
    pub sent_certificate: bool,
}

impl EccCreds {
    /// Our private key (raw scalar, SEC1 DER or PKCS#8 DER).
    pub fn set_own_key(&mut self, key: &[u8]) -> Result<(), Error> {
        let mut scalar = [0u8; SCALAR_LEN];
        let r = ecc::parse_private_key(key, &mut scalar).and_then(|()| {
            let mut point = [0u8; POINT_LEN];
            ecc::public_point(&scalar, &mut point)?;
            self.own_scalar = scalar;
            self.own_point = point;
            self.has_own = true;
            Ok(())
        });
        scalar.zeroize();
        r
    }

    /// Our SubjectPublicKeyInfo.
    pub fn own_spki(&self) -> [u8; SPKI_LEN] {
        let mut s = [0u8; SPKI_LEN];
        ecc::spki(&self.own_point, &mut s);
        s
    }

    /// Trust a peer key given as its SubjectPublicKeyInfo (DER), or as an
    /// X.509 certificate (DER) whose key is pinned.
    pub fn add_trusted_spki(&mut self, der: &[u8]) -> Result<(), Error> {
        let spki = if ecc::parse_spki(der).is_ok() {
            der
        } else {
            let inner = ecc::x509_spki(der).map_err(|_| Error::InvalidArgument)?;
            ecc::parse_spki(inner).map_err(|_| Error::InvalidArgument)?;
            inner
        };
        self.add_trusted_hash(&sha256(&[spki]))
    }

    /// Trust a peer key given as the SHA-256 of its SubjectPublicKeyInfo.
    pub fn add_trusted_hash(&mut self, hash: &[u8; 32]) -> Result<(), Error> {
        let n = usize::from(self.n_trusted);
        if self.trusted.get(..n).is_some_and(|t| t.contains(hash)) {
            return Ok(());
        }
        let slot = self.trusted.get_mut(n).ok_or(Error::NoSlot)?;
        *slot = *hash;
        self.n_trusted += 1;
        Ok(())
    }

    /// True if `hash` is one of the trusted key hashes.
    pub fn is_trusted(&self, hash: &[u8; 32]) -> bool {
        let n = usize::from(self.n_trusted);
        self.trusted.get(..n).is_some_and(|t| t.iter().any(|h| crate::crypto::ct_eq(h, hash)))
    }

    /// Copy our key pair and the trusted keys of `template` (an endpoint's
    /// configuration) into a fresh connection.
    pub fn copy_configuration(&mut self, template: &EccCreds) {
        self.own_scalar = template.own_scalar;
        self.own_point = template.own_point;
        self.has_own = template.has_own;
        self.trusted = template.trusted;
        self.n_trusted = template.n_trusted;
    }

    /// Forget the ephemeral secret.
    pub fn wipe_ephemeral(&mut self) {
        self.eph_scalar.zeroize();
    }

    /// Wipe every secret (own key included).
    pub fn wipe(&mut self) {
        self.own_scalar.zeroize();
        self.eph_scalar.zeroize();
        self.has_own = false;
    }
}
