//! Cryptographic building blocks: transcript hash, TLS 1.2 PRF, AEAD.
//!
//! The primitives come from RustCrypto (`sha2`'s compression function,
//! `aes`, `p256`/`ecdsa`); this module adds the TLS-specific constructions
//! (HMAC/PRF, CCM with interleaved MAC and keystream blocks) and keeps
//! every secret temporary in a zeroizing wrapper.

pub mod aead;
#[cfg(feature = "ecc")]
pub mod ecc;
pub mod prf;
pub mod sha256;

use subtle::ConstantTimeEq;

/// Constant-time equality of two byte strings (lengths are public).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
