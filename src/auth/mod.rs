//! Who the peer is, and who we are (RFC 4279 PSK, RFC 7250 raw public keys,
//! X.509 leaf keys pinned): one [`Credentials`] type, owned by a single
//! connection or by an endpoint and shared by all its peers.

pub mod psk;
#[cfg(feature = "ecc")]
pub mod rpk;
#[cfg(feature = "ecc")]
pub mod x509;

use zerocopy::FromZeros;

use crate::error::Error;

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

    /// Wipe every secret.
    pub fn wipe(&mut self) {
        self.psk.wipe_key();
        #[cfg(feature = "ecc")]
        self.keys.wipe();
    }
}
