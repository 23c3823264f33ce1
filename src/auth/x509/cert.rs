//! One X.509 certificate (RFC 5280 section 4.1), parsed in place.
//!
//! [`Cert::parse`] walks the whole structure once and keeps sub-slices:
//! the signed TBSCertificate bytes, the issuer and subject names (raw, for
//! chaining by exact bytes), the validity period in unix seconds, the P-256
//! public key, and the extensions path validation needs (basicConstraints,
//! keyUsage, extendedKeyUsage, subjectAltName). Everything RFC 7925 does
//! not use is refused with a typed [`Reason`]: a signature algorithm other
//! than ecdsa-with-SHA256, a key other than an uncompressed P-256 point,
//! an unknown extension marked critical.

use super::der::{self, explicit, implicit, Der, Tlv, BIT_STRING, BOOLEAN, INTEGER, OCTET_STRING, OID, SEQUENCE, SET};
use super::Reason;
use crate::crypto::ecc::POINT_LEN;

/// DER of AlgorithmIdentifier { ecdsa-with-SHA256 } (no parameters, RFC 5758 3.2).
pub const ECDSA_WITH_SHA256: [u8; 12] = [0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];

/// id-ce-basicConstraints (2.5.29.19)
pub const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
/// id-ce-keyUsage (2.5.29.15)
pub const OID_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
/// id-ce-extKeyUsage (2.5.29.37)
pub const OID_EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
/// id-ce-subjectAltName (2.5.29.17)
pub const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
/// id-kp-serverAuth (1.3.6.1.5.5.7.3.1)
pub const OID_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
/// id-kp-clientAuth (1.3.6.1.5.5.7.3.2)
pub const OID_CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
/// id-at-commonName (2.5.4.3)
pub const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];

/// keyUsage digitalSignature (bit 0).
pub const KU_DIGITAL_SIGNATURE: u16 = 1 << 0;
/// keyUsage keyCertSign (bit 5).
pub const KU_KEY_CERT_SIGN: u16 = 1 << 5;

/// GeneralName dNSName ([2] IA5String, implicit).
const DNS_NAME: u8 = implicit(2);

/// The basicConstraints extension (RFC 5280 4.2.1.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BasicConstraints {
    /// cA: the key may sign certificates.
    pub ca: bool,
    /// pathLenConstraint: how many non-self-issued intermediate
    /// certificates may follow this one (toward the leaf).
    pub path_len: Option<u32>,
}

/// A parsed certificate: sub-slices of its DER and a few decoded fields.
#[derive(Clone, Copy, Debug)]
pub struct Cert<'a> {
    /// The whole certificate.
    pub der: &'a [u8],
    /// The TBSCertificate element (tag and length included): the signed bytes.
    pub tbs: &'a [u8],
    /// 1, 2 or 3.
    pub version: u8,
    /// The serialNumber contents.
    pub serial: &'a [u8],
    /// The signatureValue: a DER Ecdsa-Sig-Value.
    pub signature: &'a [u8],
    /// The issuer Name element (tag and length included).
    pub issuer: &'a [u8],
    /// The subject Name element (tag and length included).
    pub subject: &'a [u8],
    /// notBefore, seconds since the epoch.
    pub not_before: i64,
    /// notAfter, seconds since the epoch.
    pub not_after: i64,
    /// The SubjectPublicKeyInfo element (91 bytes, `crypto::ecc::SPKI_LEN`).
    pub spki: &'a [u8],
    /// The uncompressed P-256 point inside it (65 bytes; whether it is on
    /// the curve is checked when the key is used).
    pub public_key: &'a [u8],
    /// basicConstraints, if present.
    pub basic_constraints: Option<BasicConstraints>,
    /// keyUsage bits (bit n = `1 << n`, RFC 5280 4.2.1.3), if present.
    pub key_usage: Option<u16>,
    /// extendedKeyUsage: the contents of its SEQUENCE OF KeyPurposeId, if present.
    pub extended_key_usage: Option<&'a [u8]>,
    /// subjectAltName: the contents of its GeneralNames, if present.
    pub subject_alt_name: Option<&'a [u8]>,
}

impl<'a> Cert<'a> {
    /// Parse the DER certificate `der` (nothing may follow it).
    pub fn parse(der: &'a [u8]) -> Result<Cert<'a>, Reason> {
        let mut c = Der::new(der::single(der, SEQUENCE)?);
        let tbs = c.expect_tlv(SEQUENCE)?;
        let outer_alg = c.expect_tlv(SEQUENCE)?;
        let signature = der::octet_aligned_bits(c.expect(BIT_STRING)?)?;
        c.finish()?;

        let mut t = Der::new(tbs.value);
        let version = match t.optional(explicit(0))? {
            // DER omits the DEFAULT v1.
            Some(v) => match der::uint(der::single(v, INTEGER)?)? {
                1 => 2,
                2 => 3,
                _ => return Err(Reason::Malformed),
            },
            None => 1,
        };
        let serial = der::integer(t.expect(INTEGER)?)?;
        // RFC 5280 4.1.2.2: at most 20 octets (plus the sign octet a
        // positive 20-octet value needs).
        if serial.len() > 21 || (serial.len() == 21 && serial.first() != Some(&0)) {
            return Err(Reason::Malformed);
        }
        // RFC 5280 4.1.1.2: the same algorithm inside and outside.
        if t.expect_tlv(SEQUENCE)?.raw != outer_alg.raw {
            return Err(Reason::Malformed);
        }
        let issuer = t.expect_tlv(SEQUENCE)?;
        check_name(issuer.value)?;
        if issuer.value.is_empty() {
            // RFC 5280 4.1.2.4: the issuer is a non-empty name.
            return Err(Reason::Malformed);
        }
        let mut validity = Der::new(t.expect(SEQUENCE)?);
        let not_before = der::time(validity.next_tlv()?)?;
        let not_after = der::time(validity.next_tlv()?)?;
        validity.finish()?;
        let subject = t.expect_tlv(SEQUENCE)?;
        check_name(subject.value)?;
        let spki = t.expect_tlv(SEQUENCE)?;
        let public_key = p256_point(spki)?;
        if version >= 2 {
            t.optional(implicit(1))?; // issuerUniqueID
            t.optional(implicit(2))?; // subjectUniqueID
        }
        let mut cert = Cert {
            der,
            tbs: tbs.raw,
            version,
            serial,
            signature,
            issuer: issuer.raw,
            subject: subject.raw,
            not_before,
            not_after,
            spki: spki.raw,
            public_key,
            basic_constraints: None,
            key_usage: None,
            extended_key_usage: None,
            subject_alt_name: None,
        };
        if version == 3 {
            if let Some(exts) = t.optional(explicit(3))? {
                cert.parse_extensions(der::single(exts, SEQUENCE)?)?;
            }
        }
        t.finish()?;
        if outer_alg.raw != ECDSA_WITH_SHA256 {
            return Err(Reason::UnsupportedAlgorithm);
        }
        Ok(cert)
    }

    fn parse_extensions(&mut self, list: &'a [u8]) -> Result<(), Reason> {
        if list.is_empty() {
            return Err(Reason::Malformed); // SIZE (1..MAX)
        }
        let mut l = Der::new(list);
        while !l.is_empty() {
            let mut e = Der::new(l.expect(SEQUENCE)?);
            let id = der::oid(e.expect(OID)?)?;
            let critical = match e.optional(BOOLEAN)? {
                // DER omits the DEFAULT FALSE.
                Some(b) if der::boolean(b)? => true,
                Some(_) => return Err(Reason::Malformed),
                None => false,
            };
            let value = e.expect(OCTET_STRING)?;
            e.finish()?;
            // RFC 5280 4.2: at most one instance of an extension.
            let fresh = match id {
                OID_BASIC_CONSTRAINTS => self.basic_constraints.replace(basic_constraints(value)?).is_none(),
                OID_KEY_USAGE => self.key_usage.replace(key_usage(value)?).is_none(),
                OID_EXT_KEY_USAGE => self.extended_key_usage.replace(extended_key_usage(value)?).is_none(),
                OID_SUBJECT_ALT_NAME => self.subject_alt_name.replace(general_names(value)?).is_none(),
                _ if critical => return Err(Reason::UnknownCriticalExtension),
                _ => true,
            };
            if !fresh {
                return Err(Reason::Malformed);
            }
        }
        Ok(())
    }

    /// True if the issuer and subject names are the same bytes (RFC 5280 6.1:
    /// a self-issued certificate).
    pub fn is_self_issued(&self) -> bool {
        self.issuer == self.subject
    }

    /// True if basicConstraints says cA.
    pub fn is_ca(&self) -> bool {
        self.basic_constraints.is_some_and(|b| b.ca)
    }

    /// True unless keyUsage is present without all of `bits`.
    pub fn key_usage_allows(&self, bits: u16) -> bool {
        self.key_usage.is_none_or(|k| k & bits == bits)
    }

    /// True unless extendedKeyUsage is present without `purpose` (an OID
    /// value such as [`OID_SERVER_AUTH`]).
    pub fn extended_key_usage_allows(&self, purpose: &[u8]) -> bool {
        let Some(list) = self.extended_key_usage else { return true };
        let mut l = Der::new(list);
        while let Ok(id) = l.expect(OID) {
            if id == purpose {
                return true;
            }
        }
        false
    }

    /// The dNSName entries of subjectAltName (IA5String contents; each
    /// checked non-empty and ASCII at parse time).
    pub fn dns_names(&self) -> DnsNames<'a> {
        DnsNames { names: Der::new(self.subject_alt_name.unwrap_or_default()) }
    }

    /// The leftmost common name of the subject: in RFC 4514 string order
    /// the most specific, so the last CN attribute of the DER sequence. The
    /// string's contents if it is a UTF8String, PrintableString or IA5String.
    pub fn common_name(&self) -> Option<&'a [u8]> {
        let mut found = None;
        let mut rdns = Der::new(der::single(self.subject, SEQUENCE).ok()?);
        while let Ok(rdn) = rdns.expect(SET) {
            let mut atvs = Der::new(rdn);
            while let Ok(atv) = atvs.expect(SEQUENCE) {
                let mut a = Der::new(atv);
                if a.expect(OID).ok() == Some(OID_COMMON_NAME) {
                    found = match a.next_tlv() {
                        Ok(Tlv { tag: der::UTF8_STRING | der::PRINTABLE_STRING | der::IA5_STRING, value, .. }) => {
                            Some(value)
                        }
                        _ => None,
                    };
                }
            }
        }
        found
    }
}

/// Iterator over the dNSName entries of a subjectAltName.
#[derive(Clone, Debug)]
pub struct DnsNames<'a> {
    names: Der<'a>,
}

impl<'a> Iterator for DnsNames<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        while let Ok(n) = self.names.next_tlv() {
            if n.tag == DNS_NAME {
                return Some(n.value);
            }
        }
        None
    }
}

/// Check a Name: SEQUENCE OF RelativeDistinguishedName, each a non-empty
/// SET OF AttributeTypeAndValue { OID, one value } (contents given).
fn check_name(rdns: &[u8]) -> Result<(), Reason> {
    let mut r = Der::new(rdns);
    while !r.is_empty() {
        let set = r.expect(SET)?;
        if set.is_empty() {
            return Err(Reason::Malformed);
        }
        let mut s = Der::new(set);
        while !s.is_empty() {
            let mut atv = Der::new(s.expect(SEQUENCE)?);
            der::oid(atv.expect(OID)?)?;
            atv.next_tlv()?;
            atv.finish()?;
        }
    }
    Ok(())
}

/// The point of a P-256 SubjectPublicKeyInfo element: id-ecPublicKey with
/// the prime256v1 named curve and an uncompressed point; anything else
/// that is well-formed is an unsupported key.
fn p256_point<'a>(spki: Tlv<'a>) -> Result<&'a [u8], Reason> {
    let mut s = Der::new(spki.value);
    let alg = s.expect_tlv(SEQUENCE)?;
    let bits = s.expect(BIT_STRING)?;
    s.finish()?;
    let mut a = Der::new(alg.value);
    der::oid(a.expect(OID)?)?;
    if !a.is_empty() {
        a.next_tlv()?; // parameters
    }
    a.finish()?;
    let point = der::octet_aligned_bits(bits)?;
    if alg.raw != der::EC_ALGORITHM || point.len() != POINT_LEN || point.first() != Some(&0x04) {
        return Err(Reason::UnsupportedKey);
    }
    Ok(point)
}

fn basic_constraints(value: &[u8]) -> Result<BasicConstraints, Reason> {
    let mut b = Der::new(der::single(value, SEQUENCE)?);
    let ca = match b.optional(BOOLEAN)? {
        // DER omits the DEFAULT FALSE.
        Some(v) if der::boolean(v)? => true,
        Some(_) => return Err(Reason::Malformed),
        None => false,
    };
    let path_len = b.optional(INTEGER)?.map(der::uint).transpose()?;
    b.finish()?;
    Ok(BasicConstraints { ca, path_len })
}

fn key_usage(value: &[u8]) -> Result<u16, Reason> {
    let (bits, _) = der::bit_string(der::single(value, BIT_STRING)?)?;
    let bits = match bits {
        [a] => u16::from(*a).reverse_bits() >> 8,
        [a, b] => (u16::from(*a).reverse_bits() >> 8) | (u16::from(*b).reverse_bits() & 0xff00),
        _ => return Err(Reason::Malformed),
    };
    // RFC 5280 4.2.1.3: at least one bit set; bits past decipherOnly (8) are undefined.
    if bits == 0 || bits >> 9 != 0 {
        return Err(Reason::Malformed);
    }
    Ok(bits)
}

fn extended_key_usage(value: &[u8]) -> Result<&[u8], Reason> {
    let list = der::single(value, SEQUENCE)?;
    if list.is_empty() {
        return Err(Reason::Malformed);
    }
    let mut l = Der::new(list);
    while !l.is_empty() {
        der::oid(l.expect(OID)?)?;
    }
    Ok(list)
}

fn general_names(value: &[u8]) -> Result<&[u8], Reason> {
    let list = der::single(value, SEQUENCE)?;
    if list.is_empty() {
        return Err(Reason::Malformed);
    }
    let mut l = Der::new(list);
    while !l.is_empty() {
        let n = l.next_tlv()?;
        // RFC 5280 4.2.1.6: a dNSName is a non-empty IA5String (" " is not a name either).
        if n.tag == DNS_NAME && (n.value.is_empty() || n.value == b" " || !n.value.is_ascii()) {
            return Err(Reason::Malformed);
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_usage_bits_are_numbered_from_the_most_significant() {
        // digitalSignature only: 03 02 07 80
        assert_eq!(key_usage(&[0x03, 0x02, 0x07, 0x80]), Ok(KU_DIGITAL_SIGNATURE));
        // keyCertSign + cRLSign: 03 02 01 06
        assert_eq!(key_usage(&[0x03, 0x02, 0x01, 0x06]), Ok(KU_KEY_CERT_SIGN | (1 << 6)));
        // decipherOnly (bit 8): 03 03 07 00 80
        assert_eq!(key_usage(&[0x03, 0x03, 0x07, 0x00, 0x80]), Ok(1 << 8));
        assert_eq!(key_usage(&[0x03, 0x01, 0x00]), Err(Reason::Malformed), "no bit set");
        assert_eq!(key_usage(&[0x03, 0x02, 0x00, 0x00]), Err(Reason::Malformed), "no bit set");
        assert_eq!(key_usage(&[0x03, 0x03, 0x00, 0x00, 0x40]), Err(Reason::Malformed), "bit 9");
        assert_eq!(key_usage(&[0x03, 0x02, 0x07, 0x81]), Err(Reason::Malformed), "unused bit set");
    }

    #[test]
    fn basic_constraints_follow_der() {
        assert_eq!(basic_constraints(&[0x30, 0x00]), Ok(BasicConstraints { ca: false, path_len: None }));
        assert_eq!(
            basic_constraints(&[0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x00]),
            Ok(BasicConstraints { ca: true, path_len: Some(0) })
        );
        assert_eq!(basic_constraints(&[0x30, 0x03, 0x01, 0x01, 0x00]), Err(Reason::Malformed), "explicit FALSE");
        assert_eq!(basic_constraints(&[0x30, 0x03, 0x02, 0x01, 0x80]), Err(Reason::Malformed), "negative");
        assert_eq!(basic_constraints(&[0x30, 0x02, 0x05, 0x00]), Err(Reason::Malformed));
    }

    #[test]
    fn general_names_refuse_empty_dns_names() {
        assert!(general_names(&[0x30, 0x03, 0x82, 0x01, b'a']).is_ok());
        assert_eq!(general_names(&[0x30, 0x02, 0x82, 0x00]), Err(Reason::Malformed));
        assert_eq!(general_names(&[0x30, 0x03, 0x82, 0x01, b' ']), Err(Reason::Malformed));
        assert_eq!(general_names(&[0x30, 0x03, 0x82, 0x01, 0xc3]), Err(Reason::Malformed));
        assert_eq!(general_names(&[0x30, 0x00]), Err(Reason::Malformed));
        assert!(general_names(&[0x30, 0x06, 0x87, 0x04, 127, 0, 0, 1]).is_ok(), "other name forms are walked");
    }
}
