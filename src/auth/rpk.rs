//! Our key pair and the peer keys we trust, for ECDHE_ECDSA with raw
//! public keys (RFC 7250) or X.509 certificates whose leaf key is pinned:
//! trust is by the SHA-256 of the peer's SubjectPublicKeyInfo, or the
//! application's verdict (Env::verify_peer_key).

use zerocopy::FromZeros;
use zeroize::Zeroize;

use super::x509::der;
use crate::alert;
use crate::crypto::ecc::{self, POINT_LEN, SCALAR_LEN, SPKI_LEN};
use crate::crypto::sha256::sha256;
use crate::env::Env;
use crate::error::{Error, Fatal};
use crate::sizes::NANODTLS_MAX_TRUSTED_KEYS;

/// Our key pair and the trusted peer keys.
#[derive(FromZeros)]
#[repr(C)]
pub struct KeyCredentials {
    own_scalar: [u8; SCALAR_LEN],
    own_point: [u8; POINT_LEN],
    trusted: [[u8; 32]; NANODTLS_MAX_TRUSTED_KEYS],
    n_trusted: u8,
    has_own: bool,
}

/// A peer key we accepted: its point and the SHA-256 of its
/// SubjectPublicKeyInfo.
pub(crate) struct PeerKey {
    pub point: [u8; POINT_LEN],
    pub hash: [u8; 32],
}

impl KeyCredentials {
    /// Our private key (raw scalar, SEC1 DER or PKCS#8 DER).
    pub fn set_own_key(&mut self, key: &[u8]) -> Result<(), Error> {
        let mut scalar = [0u8; SCALAR_LEN];
        let r = der::parse_private_key(key, &mut scalar).and_then(|()| {
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

    /// True once our key is set.
    pub fn has_own(&self) -> bool {
        self.has_own
    }

    /// Our private scalar (for signing).
    pub(crate) fn own_scalar(&self) -> &[u8; SCALAR_LEN] {
        &self.own_scalar
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
        let spki = if der::parse_spki(der).is_ok() {
            der
        } else {
            let inner = der::x509_spki(der).map_err(|_| Error::InvalidArgument)?;
            der::parse_spki(inner).map_err(|_| Error::InvalidArgument)?;
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

    /// True if some peer key is trusted by hash.
    pub fn any_trusted(&self) -> bool {
        self.n_trusted > 0
    }

    /// True if `hash` is one of the trusted key hashes.
    pub fn is_trusted(&self, hash: &[u8; 32]) -> bool {
        let n = usize::from(self.n_trusted);
        self.trusted.get(..n).is_some_and(|t| t.iter().any(|h| crate::crypto::ct_eq(h, hash)))
    }

    /// Accept the peer's key (DER SubjectPublicKeyInfo) if it is trusted
    /// (hash list) or the application's verifier accepts it.
    pub(crate) fn accept_peer_key(&self, env: &mut dyn Env, spki: &[u8]) -> Result<PeerKey, Fatal> {
        let point = der::parse_spki(spki).map_err(|_| Fatal::alert(alert::BAD_CERTIFICATE))?;
        let hash = sha256(&[spki]);
        if !(self.is_trusted(&hash) || env.verify_peer_key(spki) == Some(true)) {
            return Err(Fatal::alert(alert::CERTIFICATE_UNKNOWN));
        }
        let mut p = [0u8; POINT_LEN];
        p.copy_from_slice(point);
        Ok(PeerKey { point: p, hash })
    }

    /// True if the X.509 certificate `der` (or the first of several DER
    /// certificates back to back, a leaf and its intermediates) carries our
    /// public key.
    pub fn certificate_matches_own_key(&self, der: &[u8]) -> bool {
        let leaf = der::Der::new(der).next_tlv().map(|t| t.raw).unwrap_or(der);
        self.has_own && der::x509_spki(leaf).is_ok_and(|spki| spki == self.own_spki())
    }

    /// Wipe our private key.
    pub fn wipe(&mut self) {
        self.own_scalar.zeroize();
        self.has_own = false;
    }
}
