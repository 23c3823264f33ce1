//! X.509 certificates (RFC 5280) as RFC 7925 section 4.4 profiles them.
//!
//! - [`der`]: the DER walkers (always with `ecc`: raw public keys, pinned
//!   certificate keys and private keys need them).

pub mod der;
