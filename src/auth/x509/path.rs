//! Certification path validation (RFC 5280 section 6) as RFC 7925
//! section 4.4 and its Table 1 scope it, without a heap.
//!
//! The input is what a TLS Certificate message carries: the peer's chain,
//! leaf first, each certificate certifying the one before it (RFC 5246
//! 7.4.2), as borrowed DER. The chain is walked from the leaf toward a
//! trust anchor holding two parsed certificates at a time; nothing is
//! copied.
//!
//! What is checked, for every certificate of the path:
//! - it parses ([`Cert::parse`]): strict DER, version 3,
//!   ecdsa-with-SHA256 signatures, P-256 keys, no unknown critical
//!   extension;
//! - its signature verifies with its issuer's key, the issuer being the
//!   next certificate when its subject is exactly the child's issuer name
//!   (bytewise), or a trust anchor;
//! - its validity period contains the current time, when the platform
//!   knows it ([`Policy::now`]; `None` skips every validity check, as RFC
//!   7925 Table 1 and RFC 7252 9.1.3.3 allow for devices without a clock);
//! - an issuing certificate is a CA: basicConstraints cA, keyUsage (if
//!   present) with keyCertSign, and its pathLenConstraint (if any) not
//!   exceeded by the non-self-issued intermediates below it;
//! - at most [`Policy::max_chain`] certificates below the anchor (never
//!   fewer than 3 allowed, RFC 7925 4.4.4).
//!
//! And for the leaf: keyUsage (if present) with digitalSignature,
//! extendedKeyUsage (if present) with the required purpose, and the
//! expected identity ([`Expect`]): a server's single dNSName equal to the
//! name we want (ASCII case-insensitive, no wildcards, RFC 7925 4.4.1), or
//! a client's EUI-64 (RFC 7925 4.4.2) from a subjectAltName dNSName
//! `HH-HH-HH-HH-HH-HH-HH-HH` (upper-case hex) or the leftmost CN.
//!
//! Trust anchors ([`Anchor`]) are DER certificates (name, key, and also
//! their validity and pathLenConstraint) or bare SubjectPublicKeyInfos (a
//! CA key trusted without a name). A chain is trusted when one of its
//! certificates is signed by an anchor, when it contains an anchor's
//! certificate or key, or when the leaf itself is an anchor (direct trust,
//! as for a self-signed server certificate given as the anchor). Anything
//! the chain carries past the point where an anchor is found (typically
//! the root itself) is not looked at.
//!
//! Not done (outside RFC 7925's profile): revocation (CRL, OCSP), name
//! constraints and certificate policies (refused when critical), EKU
//! chaining through the CAs, re-ordering or de-duplicating a chain sent
//! out of order.

use super::cert::{Cert, KU_DIGITAL_SIGNATURE, KU_KEY_CERT_SIGN, OID_CLIENT_AUTH, OID_SERVER_AUTH};
use super::der;
use super::Reason;
use crate::crypto::ecc;
use crate::crypto::sha256::sha256;

/// Default for [`Policy::max_chain`]: certificates below the trust anchor.
pub const DEFAULT_MAX_CHAIN: u8 = 4;
/// The smallest chain limit honoured: RFC 7925 4.4.4 wants chains of at
/// least 3 certificates below the anchor accepted.
pub const MIN_MAX_CHAIN: u8 = 3;

/// A trust anchor, borrowed (typically from flash).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor<'a> {
    /// A DER certificate: its subject name and key anchor the path; its
    /// validity (when the time is known) and pathLenConstraint apply.
    Cert(&'a [u8]),
    /// A DER P-256 SubjectPublicKeyInfo (91 bytes): a CA key trusted
    /// without a name. Found by key when the chain carries a certificate
    /// with it, else by trying its signature on the last certificate.
    Spki(&'a [u8]),
}

/// The extendedKeyUsage purpose the leaf must allow (when it has the extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// id-kp-serverAuth: a server's certificate.
    ServerAuth,
    /// id-kp-clientAuth: a client's certificate.
    ClientAuth,
}

impl Purpose {
    fn oid(self) -> &'static [u8] {
        match self {
            Purpose::ServerAuth => OID_SERVER_AUTH,
            Purpose::ClientAuth => OID_CLIENT_AUTH,
        }
    }
}

/// Whose identity the leaf must prove.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect<'p> {
    /// A server's: its single subjectAltName dNSName must be this name
    /// (ASCII case-insensitive; wildcards refused; RFC 7925 4.4.1).
    ServerName(&'p [u8]),
    /// A client's: its EUI-64 is extracted and returned (RFC 7925 4.4.2).
    ClientEui64,
    /// No identity check: the application looks at [`Validated::leaf`].
    Any,
}

/// What a chain must satisfy besides chaining to an anchor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy<'p> {
    /// The current time in seconds since the epoch, or None when the
    /// platform has no trustworthy clock: then no validity period is
    /// checked (RFC 7925 Table 1).
    pub now: Option<u64>,
    /// The identity to check.
    pub identity: Expect<'p>,
    /// The extendedKeyUsage purpose required when the leaf has the extension.
    pub purpose: Option<Purpose>,
    /// The most certificates allowed below the trust anchor (leaf
    /// included); values below [`MIN_MAX_CHAIN`] count as it.
    pub max_chain: u8,
}

impl<'p> Policy<'p> {
    /// Validating a server's certificate (we are the client): `name` is
    /// the name we connect to (the SNI we sent, or a configured name).
    pub const fn server(name: &'p [u8], now: Option<u64>) -> Self {
        Policy {
            now,
            identity: Expect::ServerName(name),
            purpose: Some(Purpose::ServerAuth),
            max_chain: DEFAULT_MAX_CHAIN,
        }
    }

    /// Validating a client's certificate (we are the server): the client's
    /// EUI-64 is returned.
    pub const fn client(now: Option<u64>) -> Self {
        Policy { now, identity: Expect::ClientEui64, purpose: Some(Purpose::ClientAuth), max_chain: DEFAULT_MAX_CHAIN }
    }
}

/// The identity a validated leaf proved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity<'a> {
    /// The server's dNSName (as in the certificate).
    DnsName(&'a [u8]),
    /// The client's EUI-64.
    Eui64([u8; 8]),
    /// No identity was asked for ([`Expect::Any`]).
    Unchecked,
}

/// A chain that validated.
#[derive(Clone, Copy, Debug)]
pub struct Validated<'a> {
    /// The leaf certificate.
    pub leaf: Cert<'a>,
    /// The leaf's SubjectPublicKeyInfo (91 bytes DER), for the
    /// ServerKeyExchange / CertificateVerify signature.
    pub spki: &'a [u8],
    /// The leaf's public key: an uncompressed P-256 point, on the curve.
    pub public_key: &'a [u8],
    /// The identity the leaf proved.
    pub identity: Identity<'a>,
    /// Certificates of the path below the trust anchor (0: the leaf itself
    /// is an anchor).
    pub depth: u8,
}

/// Validate `chain` (leaf first, DER) against `anchors` under `policy`.
///
/// Cost: one SHA-256 and one ECDSA verification per certificate of the
/// path; certificates are parsed (cheap) before any signature is checked,
/// and the leaf's policy checks come first, so a wrong name or purpose is
/// refused without public-key work. A bare-key anchor that is not found in
/// the chain costs one verification per such anchor.
pub fn validate<'a, I>(chain: I, anchors: &[Anchor<'_>], policy: &Policy<'_>) -> Result<Validated<'a>, Reason>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut certs = chain.into_iter();
    let leaf = Cert::parse(certs.next().ok_or(Reason::Empty)?)?;
    if leaf.version != 3 {
        return Err(Reason::UnsupportedVersion);
    }
    let identity = match policy.identity {
        Expect::ServerName(name) => Identity::DnsName(server_name(&leaf, name)?),
        Expect::ClientEui64 => Identity::Eui64(client_eui64(&leaf)?),
        Expect::Any => Identity::Unchecked,
    };
    if let Some(p) = policy.purpose {
        if !leaf.extended_key_usage_allows(p.oid()) {
            return Err(Reason::ExtendedKeyUsage);
        }
    }
    if !leaf.key_usage_allows(KU_DIGITAL_SIGNATURE) {
        return Err(Reason::KeyUsage);
    }
    check_time(&leaf, policy.now)?;
    ecc::validate_point(leaf.public_key).map_err(|_| Reason::Malformed)?;
    let depth = if anchors.iter().any(|a| is_anchor(&leaf, a)) { 0 } else { walk(leaf, certs, anchors, policy)? };
    Ok(Validated { leaf, spki: leaf.spki, public_key: leaf.public_key, identity, depth })
}

/// From the leaf up to a trust anchor; returns the certificates below it.
fn walk<'a>(
    leaf: Cert<'a>,
    mut certs: impl Iterator<Item = &'a [u8]>,
    anchors: &[Anchor<'_>],
    policy: &Policy<'_>,
) -> Result<u8, Reason> {
    let max = if policy.max_chain < MIN_MAX_CHAIN { MIN_MAX_CHAIN } else { policy.max_chain };
    let mut child = leaf;
    // Certificates of the path so far (child included), and the
    // non-self-issued intermediates below child's issuer.
    let mut depth: u8 = 1;
    let mut below: u32 = 0;
    loop {
        // 1. A trust anchor certificate named as child's issuer.
        let mut fail = None;
        for a in anchors {
            if let Anchor::Cert(der) = a {
                match signed_by_anchor(&child, der, below, policy.now) {
                    Ok(true) => return Ok(depth),
                    Ok(false) => {}
                    Err(r) => {
                        fail.get_or_insert(r);
                    }
                }
            }
        }
        // 2. The next certificate of the chain, if it is child's issuer
        //    (or carries an anchor's key).
        if let Some(der) = certs.next() {
            let issuer = Cert::parse(der)?;
            if anchors.iter().any(|a| matches!(a, Anchor::Spki(s) if *s == issuer.spki)) {
                verify(&child, issuer.public_key)?;
                return Ok(depth);
            }
            if issuer.subject == child.issuer {
                if depth >= max {
                    return Err(Reason::ChainTooLong);
                }
                check_ca(&issuer, below)?;
                check_time(&issuer, policy.now)?;
                verify(&child, issuer.public_key)?;
                if !issuer.is_self_issued() {
                    below += 1;
                }
                depth += 1;
                child = issuer;
                continue;
            }
        }
        // 3. A bare-key anchor whose signature child carries.
        for a in anchors {
            if let Anchor::Spki(spki) = a {
                if der::parse_spki(spki).is_ok_and(|point| verify(&child, point).is_ok()) {
                    return Ok(depth);
                }
            }
        }
        return Err(fail.unwrap_or(Reason::UnknownIssuer));
    }
}

/// True if `cert` is the anchor itself (the same certificate or key).
fn is_anchor(cert: &Cert<'_>, anchor: &Anchor<'_>) -> bool {
    match anchor {
        Anchor::Cert(der) => *der == cert.der,
        Anchor::Spki(spki) => *spki == cert.spki,
    }
}

/// Whether the anchor certificate `der` issued `child`: Ok(false) if it is
/// unusable or not named as child's issuer; an error if it is but its
/// signature, validity or pathLenConstraint refuses the path.
fn signed_by_anchor(child: &Cert<'_>, der: &[u8], below: u32, now: Option<u64>) -> Result<bool, Reason> {
    let Ok(anchor) = Cert::parse(der) else { return Ok(false) };
    if anchor.subject != child.issuer {
        return Ok(false);
    }
    verify(child, anchor.public_key)?;
    check_time(&anchor, now)?;
    if anchor.basic_constraints.and_then(|b| b.path_len).is_some_and(|p| below > p) {
        return Err(Reason::PathLenExceeded);
    }
    Ok(true)
}

/// An issuing certificate of the chain (RFC 5280 6.1.4 (k)-(n)).
fn check_ca(issuer: &Cert<'_>, below: u32) -> Result<(), Reason> {
    if issuer.version != 3 {
        return Err(Reason::UnsupportedVersion);
    }
    if !issuer.is_ca() {
        return Err(Reason::NotCa);
    }
    if !issuer.key_usage_allows(KU_KEY_CERT_SIGN) {
        return Err(Reason::CaKeyUsage);
    }
    if issuer.basic_constraints.and_then(|b| b.path_len).is_some_and(|p| below > p) {
        return Err(Reason::PathLenExceeded);
    }
    Ok(())
}

/// RFC 5280 4.1.2.5: valid from notBefore to notAfter, both included.
fn check_time(cert: &Cert<'_>, now: Option<u64>) -> Result<(), Reason> {
    let Some(now) = now else { return Ok(()) };
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    if now < cert.not_before {
        Err(Reason::NotYetValid)
    } else if now > cert.not_after {
        Err(Reason::Expired)
    } else {
        Ok(())
    }
}

/// ecdsa-with-SHA256 over child's TBSCertificate with the issuer's point.
fn verify(child: &Cert<'_>, issuer_point: &[u8]) -> Result<(), Reason> {
    let hash = sha256(&[child.tbs]);
    ecc::verify(issuer_point, &hash, child.signature).map_err(|_| Reason::BadSignature)
}

/// RFC 7925 4.4.1: the single dNSName, equal to `expected`, no wildcard.
fn server_name<'a>(leaf: &Cert<'a>, expected: &[u8]) -> Result<&'a [u8], Reason> {
    let mut names = leaf.dns_names();
    let name = names.next().ok_or(Reason::NameMismatch)?;
    if names.next().is_some() {
        return Err(Reason::MultipleNames);
    }
    if name.contains(&b'*') {
        return Err(Reason::Wildcard);
    }
    if !name.eq_ignore_ascii_case(expected) {
        return Err(Reason::NameMismatch);
    }
    Ok(name)
}

/// RFC 7925 4.4.2: the client's EUI-64, from the first subjectAltName
/// dNSName in the upper-case form, else from the leftmost CN (either case).
fn client_eui64(leaf: &Cert<'_>) -> Result<[u8; 8], Reason> {
    if let Some(e) = leaf.dns_names().find_map(|n| parse_eui64(n, true)) {
        return Ok(e);
    }
    leaf.common_name().and_then(|cn| parse_eui64(cn, false)).ok_or(Reason::NoIdentity)
}

/// Parse `HH-HH-HH-HH-HH-HH-HH-HH` (23 characters); `upper` refuses
/// lower-case hex digits.
pub fn parse_eui64(s: &[u8], upper: bool) -> Option<[u8; 8]> {
    if s.len() != 23 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' if !upper => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 8];
    for (i, o) in out.iter_mut().enumerate() {
        let at = i * 3;
        if i > 0 && s.get(at - 1) != Some(&b'-') {
            return None;
        }
        *o = digit(*s.get(at)?)? << 4 | digit(*s.get(at + 1)?)?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eui64_form_is_exact() {
        let e = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0xAA, 0xFF];
        assert_eq!(parse_eui64(b"00-11-22-33-44-55-AA-FF", true), Some(e));
        assert_eq!(parse_eui64(b"00-11-22-33-44-55-aa-ff", true), None);
        assert_eq!(parse_eui64(b"00-11-22-33-44-55-aa-ff", false), Some(e));
        assert_eq!(parse_eui64(b"00:11:22:33:44:55:AA:FF", true), None);
        assert_eq!(parse_eui64(b"0011223344 55AAFF-----", true), None);
        assert_eq!(parse_eui64(b"00-11-22-33-44-55-AA-F", true), None);
        assert_eq!(parse_eui64(b"00-11-22-33-44-55-AA-FFF", true), None);
        assert_eq!(parse_eui64(b"00-11-22-33-44-55-AA-GG", false), None);
        assert_eq!(parse_eui64(b"", false), None);
    }

    #[test]
    fn every_reason_maps_to_a_named_certificate_alert() {
        use crate::alert;
        for code in 1..=21u8 {
            let r = all_reasons().into_iter().find(|r| *r as u8 == code).unwrap();
            let a = r.alert();
            assert!(
                [
                    alert::BAD_CERTIFICATE,
                    alert::UNSUPPORTED_CERTIFICATE,
                    alert::CERTIFICATE_EXPIRED,
                    alert::CERTIFICATE_UNKNOWN,
                    alert::UNKNOWN_CA
                ]
                .contains(&a),
                "{r:?}"
            );
            assert_ne!(alert::name(a).to_bytes(), b"unknown_alert");
            assert!(!r.as_cstr().to_bytes().is_empty());
            assert_eq!(Reason::from_u8(code), Some(r));
        }
        assert_eq!(Reason::from_u8(0), None);
        assert_eq!(Reason::from_u8(22), None);
    }

    fn all_reasons() -> [Reason; 21] {
        use Reason::*;
        [
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
        ]
    }
}
