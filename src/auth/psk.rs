//! Pre-shared keys (RFC 4279): the configured identity and key, the
//! server's identity hint, and the order in which a server finds the key
//! for the identity a client sends: the configured one, else the
//! application's lookup (Env::psk_for_identity).

use zerocopy::FromZeros;
use zeroize::{Zeroize, Zeroizing};

use crate::alert;
use crate::env::Env;
use crate::error::{Error, Fatal};
use crate::sizes::{NANODTLS_MAX_PSK_IDENTITY, NANODTLS_MAX_PSK_KEY};

/// The configured pre-shared key: a client's identity and key, or the one
/// identity and key a server accepts without asking the application (the
/// identity a client actually used is kept with the handshake).
#[derive(FromZeros)]
#[repr(C)]
pub struct PskCredentials {
    identity: [u8; NANODTLS_MAX_PSK_IDENTITY],
    key: [u8; NANODTLS_MAX_PSK_KEY],
    hint: [u8; 32],
    identity_len: u16,
    key_len: u16,
    hint_len: u8,
}

impl PskCredentials {
    /// The identity (empty if none is set).
    pub fn identity(&self) -> &[u8] {
        self.identity.get(..usize::from(self.identity_len)).unwrap_or(&[])
    }
    /// The key (empty if none is set).
    pub fn key(&self) -> &[u8] {
        self.key.get(..usize::from(self.key_len)).unwrap_or(&[])
    }
    /// Server: the identity hint sent in ServerKeyExchange (empty: none).
    pub fn hint(&self) -> &[u8] {
        self.hint.get(..usize::from(self.hint_len)).unwrap_or(&[])
    }
    /// True once a key is set.
    pub fn has_key(&self) -> bool {
        self.key_len > 0
    }
    /// Set identity and key (copied; both non-empty and within the knobs).
    pub fn set(&mut self, identity: &[u8], key: &[u8]) -> Result<(), Error> {
        if identity.is_empty()
            || identity.len() > NANODTLS_MAX_PSK_IDENTITY
            || key.is_empty()
            || key.len() > NANODTLS_MAX_PSK_KEY
        {
            return Err(Error::InvalidArgument);
        }
        self.wipe_key();
        self.identity.get_mut(..identity.len()).ok_or(Error::Internal)?.copy_from_slice(identity);
        self.identity_len = identity.len() as u16;
        self.key.get_mut(..key.len()).ok_or(Error::Internal)?.copy_from_slice(key);
        self.key_len = key.len() as u16;
        Ok(())
    }
    /// Wipe the key.
    pub fn wipe_key(&mut self) {
        self.key.zeroize();
        self.key_len = 0;
    }
    /// Set the identity hint (at most 32 bytes).
    pub fn set_hint(&mut self, hint: &[u8]) -> Result<(), Error> {
        if hint.len() > self.hint.len() {
            return Err(Error::InvalidArgument);
        }
        self.hint.get_mut(..hint.len()).ok_or(Error::Internal)?.copy_from_slice(hint);
        self.hint_len = hint.len() as u8;
        Ok(())
    }

    /// Server: the key for the `identity` a client sent, into `key`; its
    /// length. The configured PSK when the identity is ours, else the
    /// application's lookup. RFC 7925: an unknown identity gets
    /// decrypt_error, which does not reveal whether the identity exists.
    pub(crate) fn server_key(
        &self,
        env: &mut dyn Env,
        identity: &[u8],
        key: &mut Zeroizing<[u8; NANODTLS_MAX_PSK_KEY]>,
    ) -> Result<usize, Fatal> {
        if self.has_key() && self.identity() == identity {
            let k = self.key();
            key.get_mut(..k.len()).ok_or(Fatal::internal(Error::Internal))?.copy_from_slice(k);
            return Ok(k.len());
        }
        match env.psk_for_identity(identity, &mut key[..]) {
            Some(n) if n > 0 && n <= NANODTLS_MAX_PSK_KEY && identity.len() <= NANODTLS_MAX_PSK_IDENTITY => Ok(n),
            _ => Err(Fatal::alert(alert::DECRYPT_ERROR)),
        }
    }
}
