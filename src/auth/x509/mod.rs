//! X.509 certificates (RFC 5280) as RFC 7925 section 4.4 profiles them,
//! without a heap.
//!
//! - [`der`]: a strict, zero-copy DER walker and the key walkers (always
//!   built with `ecc`: raw public keys, pinned certificate keys and private
//!   keys need them);
//! - [`cert`] (feature `x509`): one certificate, parsed in place;
//! - [`path`] (feature `x509`): RFC 5280 section 6 path validation of the
//!   peer's chain to borrowed trust anchors, the peer's identity (RFC 7925
//!   4.4.1 server name, 4.4.2 client EUI-64), and [`Reason`], why a chain was
//!   refused and the alert that says so.
//!
//! Nothing is copied or allocated: a certificate is a set of sub-slices of
//! its DER, and validation holds two parsed certificates at a time.

#[cfg(feature = "x509")]
pub mod cert;
pub mod der;
#[cfg(feature = "x509")]
pub mod path;
#[cfg(feature = "x509")]
pub mod trust;

#[cfg(feature = "x509")]
pub use path::{validate, Anchor, Expect, Identity, Policy, Purpose, Validated};

#[cfg(feature = "x509")]
use crate::alert;

/// Why a certificate chain was refused. Each reason maps to the alert the
/// handshake sends ([`Reason::alert`]).
#[cfg(feature = "x509")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Reason {
    /// The peer sent no certificate. (bad_certificate)
    Empty = 1,
    /// A certificate is not DER or not an X.509 certificate: bad lengths,
    /// missing or extra fields, an empty issuer name, an empty dNSName, a
    /// duplicate extension, an outer and inner signature algorithm that
    /// differ. (bad_certificate)
    Malformed = 2,
    /// A signature does not verify with its issuer's key. (bad_certificate)
    BadSignature = 3,
    /// The server certificate's dNSName is not the name we expected, or it
    /// has none. (bad_certificate)
    NameMismatch = 4,
    /// The server certificate carries more than one dNSName (RFC 7925
    /// 4.4.1 wants a single one). (bad_certificate)
    MultipleNames = 5,
    /// The server certificate's dNSName is a wildcard (RFC 7925 4.4.1: no
    /// wildcards). (bad_certificate)
    Wildcard = 6,
    /// A certificate of the chain is not version 3. (unsupported_certificate)
    UnsupportedVersion = 7,
    /// A signature algorithm other than ecdsa-with-SHA256.
    /// (unsupported_certificate)
    UnsupportedAlgorithm = 8,
    /// A public key that is not an uncompressed P-256 point.
    /// (unsupported_certificate)
    UnsupportedKey = 9,
    /// An extension marked critical that we do not process (RFC 5280
    /// 4.2). (unsupported_certificate)
    UnknownCriticalExtension = 10,
    /// The leaf's keyUsage lacks digitalSignature. (unsupported_certificate)
    KeyUsage = 11,
    /// The leaf's extendedKeyUsage lacks serverAuth / clientAuth.
    /// (unsupported_certificate)
    ExtendedKeyUsage = 12,
    /// A certificate's notAfter has passed. (certificate_expired)
    Expired = 13,
    /// A certificate's notBefore is still to come. (certificate_expired:
    /// "expired or not currently valid", RFC 5246 7.2.2)
    NotYetValid = 14,
    /// No trust anchor issued the chain: the issuer of the last certificate
    /// is unknown, or the chain breaks (a certificate is not followed by its
    /// issuer). (unknown_ca)
    UnknownIssuer = 15,
    /// An issuing certificate is not a CA (no basicConstraints cA). (unknown_ca)
    NotCa = 16,
    /// An issuing certificate's keyUsage lacks keyCertSign. (unknown_ca)
    CaKeyUsage = 17,
    /// A CA's pathLenConstraint is exceeded. (unknown_ca)
    PathLenExceeded = 18,
    /// More certificates below the trust anchor than the policy allows.
    /// (unknown_ca)
    ChainTooLong = 19,
    /// The client certificate names no EUI-64 (SAN dNSName or leftmost CN
    /// `HH-HH-HH-HH-HH-HH-HH-HH`). (certificate_unknown)
    NoIdentity = 20,
    /// The chain validated, but the application refused the identity it
    /// proved (its accept hook). (certificate_unknown)
    Refused = 21,
}

#[cfg(feature = "x509")]
impl Reason {
    /// The reason with code `v` (1..=21), None for any other value.
    pub fn from_u8(v: u8) -> Option<Reason> {
        use Reason::*;
        const ALL: [Reason; 21] = [
            Empty,
            Malformed,
            BadSignature,
            NameMismatch,
            MultipleNames,
            Wildcard,
            UnsupportedVersion,
            UnsupportedAlgorithm,
            UnsupportedKey,
            UnknownCriticalExtension,
            KeyUsage,
            ExtendedKeyUsage,
            Expired,
            NotYetValid,
            UnknownIssuer,
            NotCa,
            CaKeyUsage,
            PathLenExceeded,
            ChainTooLong,
            NoIdentity,
            Refused,
        ];
        ALL.get(usize::from(v).checked_sub(1)?).copied()
    }

    /// The alert description to send (RFC 5246 7.2.2): bad_certificate (42),
    /// unsupported_certificate (43), certificate_expired (45),
    /// certificate_unknown (46) or unknown_ca (48).
    pub const fn alert(self) -> u8 {
        match self {
            Reason::Empty
            | Reason::Malformed
            | Reason::BadSignature
            | Reason::NameMismatch
            | Reason::MultipleNames
            | Reason::Wildcard => alert::BAD_CERTIFICATE,
            Reason::UnsupportedVersion
            | Reason::UnsupportedAlgorithm
            | Reason::UnsupportedKey
            | Reason::UnknownCriticalExtension
            | Reason::KeyUsage
            | Reason::ExtendedKeyUsage => alert::UNSUPPORTED_CERTIFICATE,
            Reason::Expired | Reason::NotYetValid => alert::CERTIFICATE_EXPIRED,
            Reason::UnknownIssuer
            | Reason::NotCa
            | Reason::CaKeyUsage
            | Reason::PathLenExceeded
            | Reason::ChainTooLong => alert::UNKNOWN_CA,
            Reason::NoIdentity | Reason::Refused => alert::CERTIFICATE_UNKNOWN,
        }
    }

    /// A short static description, for the application and the log.
    pub const fn as_cstr(self) -> &'static core::ffi::CStr {
        match self {
            Reason::Empty => c"no certificate",
            Reason::Malformed => c"malformed certificate",
            Reason::BadSignature => c"certificate signature does not verify",
            Reason::NameMismatch => c"server name does not match the certificate",
            Reason::MultipleNames => c"certificate has more than one dNSName",
            Reason::Wildcard => c"wildcard dNSName refused",
            Reason::UnsupportedVersion => c"certificate is not version 3",
            Reason::UnsupportedAlgorithm => c"signature algorithm is not ecdsa-with-SHA256",
            Reason::UnsupportedKey => c"public key is not P-256",
            Reason::UnknownCriticalExtension => c"unknown critical extension",
            Reason::KeyUsage => c"keyUsage lacks digitalSignature",
            Reason::ExtendedKeyUsage => c"extendedKeyUsage lacks the required purpose",
            Reason::Expired => c"certificate expired",
            Reason::NotYetValid => c"certificate not yet valid",
            Reason::UnknownIssuer => c"no trusted issuer (unknown CA or broken chain)",
            Reason::NotCa => c"issuer is not a CA",
            Reason::CaKeyUsage => c"issuer keyUsage lacks keyCertSign",
            Reason::PathLenExceeded => c"pathLenConstraint exceeded",
            Reason::ChainTooLong => c"certificate chain too long",
            Reason::NoIdentity => c"client certificate names no EUI-64",
            Reason::Refused => c"the application refused the peer's identity",
        }
    }
}

#[cfg(feature = "x509")]
impl From<der::DerError> for Reason {
    fn from(_: der::DerError) -> Reason {
        Reason::Malformed
    }
}
