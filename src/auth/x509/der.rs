//! A small, zero-copy, strict DER walker (X.690 section 10) and the
//! key walkers built on it: P-256 SubjectPublicKeyInfo, the key inside an
//! X.509 certificate (pinning), SEC1 / PKCS#8 private keys.
//!
//! Strict DER only: single-byte tags (tag numbers 0..30, all X.509
//! needs), definite lengths in the shortest form (no indefinite length
//! `0x80`, no long form below 128, no leading zero length octet), at most
//! four length octets, and a value never longer than its input. Nothing
//! is copied: every value is a sub-slice of the input, and nothing here
//! allocates, recurses or panics.
//!
//! Why hand-written rather than the `der` crate: X.509 path validation
//! needs a dozen element types walked once, front to back; a cursor over a
//! byte slice does that in a few hundred bytes of Cortex-M4 code (see
//! the measurements in `auth/x509/mod.rs`).

use zeroize::Zeroize;

use crate::crypto::ecc::{valid_scalar, validate_point, SCALAR_LEN, SPKI_LEN, SPKI_PREFIX};
use crate::error::Error;

/// BOOLEAN
pub const BOOLEAN: u8 = 0x01;
/// INTEGER
pub const INTEGER: u8 = 0x02;
/// BIT STRING
pub const BIT_STRING: u8 = 0x03;
/// OCTET STRING
pub const OCTET_STRING: u8 = 0x04;
/// NULL
pub const NULL: u8 = 0x05;
/// OBJECT IDENTIFIER
pub const OID: u8 = 0x06;
/// UTF8String
pub const UTF8_STRING: u8 = 0x0c;
/// PrintableString
pub const PRINTABLE_STRING: u8 = 0x13;
/// IA5String
pub const IA5_STRING: u8 = 0x16;
/// UTCTime
pub const UTC_TIME: u8 = 0x17;
/// GeneralizedTime
pub const GENERALIZED_TIME: u8 = 0x18;
/// SEQUENCE (constructed)
pub const SEQUENCE: u8 = 0x30;
/// SET (constructed)
pub const SET: u8 = 0x31;

/// The tag of a constructed context-specific element `[n]` (explicit tagging).
pub const fn explicit(n: u8) -> u8 {
    0xa0 | (n & 0x1f)
}

/// The tag of a primitive context-specific element `[n]` (implicit tagging).
pub const fn implicit(n: u8) -> u8 {
    0x80 | (n & 0x1f)
}

/// Why DER input was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DerError {
    /// The input ends inside a tag, a length or a value.
    Truncated,
    /// An indefinite length (`0x80`, BER only).
    Indefinite,
    /// A length not in its shortest form (long form below 128, or a leading
    /// zero length octet).
    NonMinimalLength,
    /// More than four length octets (or a length beyond `usize`).
    LengthOverflow,
    /// A multi-byte (high tag number) tag; X.509 never uses one.
    HighTagNumber,
    /// An element with another tag than the structure requires.
    UnexpectedTag,
    /// Bytes after the last element of a structure.
    Trailing,
    /// A value that breaks its type's DER rules: an OID, INTEGER, BOOLEAN,
    /// BIT STRING or time that is empty, not minimal, out of range or
    /// overflows.
    Invalid,
}

impl From<DerError> for Error {
    fn from(_: DerError) -> Error {
        Error::Decode
    }
}

/// One element: its tag, its value (contents octets) and its whole
/// encoding (tag, length and value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The contents octets.
    pub value: &'a [u8],
    /// The whole element as encoded.
    pub raw: &'a [u8],
}

/// A cursor over a sequence of DER elements (the contents of a SEQUENCE,
/// a SET, or a whole input).
#[derive(Clone, Copy, Debug)]
pub struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    /// A cursor at the start of `input`.
    pub const fn new(input: &'a [u8]) -> Self {
        Der { rest: input }
    }

    /// True when every element has been read.
    pub const fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// What is left to read.
    pub const fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// The tag of the next element, if any (not checked further).
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Read the next element, whatever its tag.
    pub fn next_tlv(&mut self) -> Result<Tlv<'a>, DerError> {
        let input = self.rest;
        let (&tag, after) = input.split_first().ok_or(DerError::Truncated)?;
        if tag & 0x1f == 0x1f {
            return Err(DerError::HighTagNumber);
        }
        let (&first, after) = after.split_first().ok_or(DerError::Truncated)?;
        let (len, after) = if first < 0x80 {
            (usize::from(first), after)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 {
                return Err(DerError::Indefinite);
            }
            if n > 4 {
                return Err(DerError::LengthOverflow);
            }
            let (octets, after) = after.split_at_checked(n).ok_or(DerError::Truncated)?;
            if octets.first() == Some(&0) {
                return Err(DerError::NonMinimalLength);
            }
            // n <= 4, so the shifts stay within a u32.
            let v = octets.iter().fold(0u32, |v, &b| (v << 8) | u32::from(b));
            if v < 0x80 {
                return Err(DerError::NonMinimalLength);
            }
            (usize::try_from(v).map_err(|_| DerError::LengthOverflow)?, after)
        };
        let (value, rest) = after.split_at_checked(len).ok_or(DerError::Truncated)?;
        let raw = input.get(..input.len() - rest.len()).ok_or(DerError::Truncated)?;
        self.rest = rest;
        Ok(Tlv { tag, value, raw })
    }

    /// Read the next element, which must have tag `tag`.
    pub fn expect_tlv(&mut self, tag: u8) -> Result<Tlv<'a>, DerError> {
        let mut probe = *self;
        let tlv = probe.next_tlv()?;
        if tlv.tag != tag {
            return Err(DerError::UnexpectedTag);
        }
        *self = probe;
        Ok(tlv)
    }

    /// The value of the next element, which must have tag `tag`.
    pub fn expect(&mut self, tag: u8) -> Result<&'a [u8], DerError> {
        self.expect_tlv(tag).map(|t| t.value)
    }

    /// The value of the next element if it has tag `tag` (an OPTIONAL or
    /// DEFAULT field); nothing is consumed otherwise.
    pub fn optional(&mut self, tag: u8) -> Result<Option<&'a [u8]>, DerError> {
        if self.peek_tag() == Some(tag) {
            self.expect(tag).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Fail unless every element has been read.
    pub fn finish(&self) -> Result<(), DerError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DerError::Trailing)
        }
    }
}

/// The value of the single element with tag `tag` that `input` is made of
/// (no trailing bytes).
pub fn single(input: &[u8], tag: u8) -> Result<&[u8], DerError> {
    let mut d = Der::new(input);
    let v = d.expect(tag)?;
    d.finish()?;
    Ok(v)
}

/// A DER BOOLEAN value (`0x00` or `0xff`, one octet).
pub fn boolean(value: &[u8]) -> Result<bool, DerError> {
    match value {
        [0x00] => Ok(false),
        [0xff] => Ok(true),
        _ => Err(DerError::Invalid),
    }
}

/// A DER INTEGER value: non-empty and minimally encoded. Returns the
/// contents unchanged (two's complement).
pub fn integer(value: &[u8]) -> Result<&[u8], DerError> {
    match value {
        [] => Err(DerError::Invalid),
        [0x00, b, ..] if b & 0x80 == 0 => Err(DerError::Invalid),
        [0xff, b, ..] if b & 0x80 != 0 => Err(DerError::Invalid),
        _ => Ok(value),
    }
}

/// A non-negative DER INTEGER that fits in a `u32`.
pub fn uint(value: &[u8]) -> Result<u32, DerError> {
    let v = integer(value)?;
    let (&first, _) = v.split_first().ok_or(DerError::Invalid)?;
    if first & 0x80 != 0 {
        return Err(DerError::Invalid);
    }
    let digits = if first == 0 { v.get(1..).unwrap_or_default() } else { v };
    if digits.len() > 4 {
        return Err(DerError::Invalid);
    }
    Ok(digits.iter().fold(0u32, |n, &b| (n << 8) | u32::from(b)))
}

/// A DER BIT STRING value: the bytes and the number of unused bits in the
/// last one (0..7, 0 when empty; the unused bits must be zero).
pub fn bit_string(value: &[u8]) -> Result<(&[u8], u8), DerError> {
    let (&unused, bits) = value.split_first().ok_or(DerError::Invalid)?;
    if unused > 7 || (bits.is_empty() && unused != 0) {
        return Err(DerError::Invalid);
    }
    if let Some(&last) = bits.last() {
        if last & ((1u8 << unused) - 1) != 0 {
            return Err(DerError::Invalid);
        }
    }
    Ok((bits, unused))
}

/// A BIT STRING holding whole octets (no unused bits): keys, signatures.
pub fn octet_aligned_bits(value: &[u8]) -> Result<&[u8], DerError> {
    match bit_string(value)? {
        (bits, 0) => Ok(bits),
        _ => Err(DerError::Invalid),
    }
}

/// Check an OBJECT IDENTIFIER value: non-empty, every subidentifier
/// minimal (no leading `0x80`), terminated, and no arc beyond `u32`.
/// Returns the value; OIDs are then compared byte for byte.
pub fn oid(value: &[u8]) -> Result<&[u8], DerError> {
    let mut arcs = OidArcs::new(value)?;
    for a in &mut arcs {
        a?;
    }
    Ok(value)
}

/// The arcs of an OBJECT IDENTIFIER value, each checked for overflow
/// (the first two are decoded from the first subidentifier, X.690 8.19.4).
/// After an error the iterator ends.
#[derive(Clone, Debug)]
pub struct OidArcs<'a> {
    rest: &'a [u8],
    start: bool,
    second: Option<u32>,
}

impl<'a> OidArcs<'a> {
    /// Arcs of `value` (which must not be empty).
    pub fn new(value: &'a [u8]) -> Result<Self, DerError> {
        if value.is_empty() {
            return Err(DerError::Invalid);
        }
        Ok(OidArcs { rest: value, start: true, second: None })
    }

    fn subidentifier(&mut self) -> Result<u32, DerError> {
        if self.rest.first() == Some(&0x80) {
            return Err(DerError::Invalid);
        }
        let mut v: u32 = 0;
        while let Some((&b, rest)) = self.rest.split_first() {
            self.rest = rest;
            if v > (u32::MAX >> 7) {
                return Err(DerError::Invalid);
            }
            v = (v << 7) | u32::from(b & 0x7f);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DerError::Invalid)
    }
}

impl Iterator for OidArcs<'_> {
    type Item = Result<u32, DerError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(s) = self.second.take() {
            return Some(Ok(s));
        }
        if self.rest.is_empty() {
            return None;
        }
        let r = self.subidentifier();
        if r.is_err() {
            self.rest = &[];
        }
        if !core::mem::take(&mut self.start) {
            return Some(r);
        }
        Some(r.map(|v| {
            let (a, b) = match v {
                0..=39 => (0, v),
                40..=79 => (1, v - 40),
                _ => (2, v - 80),
            };
            self.second = Some(b);
            a
        }))
    }
}

/// Seconds since 1970-01-01T00:00:00Z of a validity time: UTCTime
/// `YYMMDDHHMMSSZ` (years 1950..2049, RFC 5280 4.1.2.5.1) or
/// GeneralizedTime `YYYYMMDDHHMMSSZ` (RFC 5280 4.1.2.5.2): seconds
/// present, `Z`, no fraction; every field in range.
pub fn time(tlv: Tlv<'_>) -> Result<i64, DerError> {
    let v = tlv.value;
    let (year, rest) = match (tlv.tag, v.len()) {
        (UTC_TIME, 13) => {
            let yy = i64::from(two_digits(v, 0)?);
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, v.get(2..).unwrap_or_default())
        }
        (GENERALIZED_TIME, 15) => {
            (i64::from(two_digits(v, 0)?) * 100 + i64::from(two_digits(v, 2)?), v.get(4..).unwrap_or_default())
        }
        (UTC_TIME | GENERALIZED_TIME, _) => return Err(DerError::Invalid),
        _ => return Err(DerError::UnexpectedTag),
    };
    if rest.get(10) != Some(&b'Z') {
        return Err(DerError::Invalid);
    }
    let month = two_digits(rest, 0)?;
    let day = two_digits(rest, 2)?;
    let hour = two_digits(rest, 4)?;
    let minute = two_digits(rest, 6)?;
    let second = two_digits(rest, 8)?;
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(DerError::Invalid),
    };
    if day == 0 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return Err(DerError::Invalid);
    }
    let days = days_from_civil(year, i64::from(month), i64::from(day));
    Ok(days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))
}

fn two_digits(v: &[u8], at: usize) -> Result<u32, DerError> {
    match v.get(at..at + 2) {
        Some(&[a @ b'0'..=b'9', b @ b'0'..=b'9']) => Ok(u32::from(a - b'0') * 10 + u32::from(b - b'0')),
        _ => Err(DerError::Invalid),
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
/// algorithm; exact for every year 0..9999 a certificate can carry).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// DER of AlgorithmIdentifier { id-ecPublicKey, prime256v1 }.
pub const EC_ALGORITHM: [u8; 21] = [
    0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
    0x01, 0x07,
];

/// The uncompressed point inside a P-256 SubjectPublicKeyInfo, validated.
pub fn parse_spki(der: &[u8]) -> Result<&[u8], Error> {
    if der.len() != SPKI_LEN || der.get(..SPKI_PREFIX.len()) != Some(&SPKI_PREFIX[..]) {
        return Err(Error::Decode);
    }
    let point = der.get(SPKI_PREFIX.len()..).ok_or(Error::Decode)?;
    validate_point(point)?;
    Ok(point)
}

/// The SubjectPublicKeyInfo (its whole DER encoding) inside an X.509
/// certificate. The structure is walked, nothing is validated: this serves
/// pinning the certificate's key, not path validation.
pub fn x509_spki(cert: &[u8]) -> Result<&[u8], Error> {
    let mut c = Der::new(single(cert, SEQUENCE)?);
    let mut tbs = Der::new(c.expect(SEQUENCE)?);
    tbs.optional(explicit(0))?; // version
                                // serialNumber, signature, issuer, validity, subject
    for want in [INTEGER, SEQUENCE, SEQUENCE, SEQUENCE, SEQUENCE] {
        tbs.expect(want)?;
    }
    Ok(tbs.expect_tlv(SEQUENCE)?.raw)
}

/// Extract the private scalar from a key as users commonly hold it: 32 raw
/// bytes, SEC1 `ECPrivateKey` DER (`openssl ecparam -genkey -outform DER`)
/// or PKCS#8 `PrivateKeyInfo` DER (`openssl pkey -outform DER`). Only
/// P-256 keys are accepted.
pub fn parse_private_key(input: &[u8], out: &mut [u8; SCALAR_LEN]) -> Result<(), Error> {
    if input.len() == SCALAR_LEN {
        out.copy_from_slice(input);
    } else {
        let seq = single(input, SEQUENCE)?;
        let mut s = Der::new(seq);
        match s.expect(INTEGER)? {
            [1] => sec1_scalar(seq, out)?,
            [0] => {
                // PKCS#8: AlgorithmIdentifier must be id-ecPublicKey/prime256v1.
                if s.expect_tlv(SEQUENCE)?.raw != EC_ALGORITHM {
                    return Err(Error::Decode);
                }
                let inner = s.expect(OCTET_STRING)?;
                sec1_scalar(single(inner, SEQUENCE)?, out)?;
            }
            _ => return Err(Error::Decode),
        }
    }
    if valid_scalar(out) {
        Ok(())
    } else {
        out.zeroize();
        Err(Error::InvalidArgument)
    }
}

/// SEC1 ECPrivateKey body: version 1, privateKey OCTET STRING (32),
/// optional [0] parameters (must be prime256v1 if present), optional [1].
fn sec1_scalar(seq: &[u8], out: &mut [u8; SCALAR_LEN]) -> Result<(), Error> {
    let mut s = Der::new(seq);
    if s.expect(INTEGER)? != [1] {
        return Err(Error::Decode);
    }
    let key = s.expect(OCTET_STRING)?;
    if key.len() != SCALAR_LEN {
        return Err(Error::Decode);
    }
    while !s.is_empty() {
        let t = s.next_tlv()?;
        if t.tag == explicit(0) && t.value != [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07] {
            return Err(Error::Unsupported);
        }
    }
    out.copy_from_slice(key);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::ecc::{public_point, spki};

    #[test]
    fn spki_round_trip_and_private_key_formats() {
        let d = [0x33u8; 32];
        let mut q = [0u8; 65];
        public_point(&d, &mut q).unwrap();
        let mut s = [0u8; 91];
        spki(&q, &mut s);
        assert_eq!(parse_spki(&s).unwrap(), &q[..]);
        let mut bad = s;
        bad[5] ^= 1;
        assert!(parse_spki(&bad).is_err());
        // SEC1 with parameters and public key; PKCS#8 wrapping it.
        let mut sec1 = vec![0x02, 0x01, 0x01, 0x04, 0x20];
        sec1.extend_from_slice(&d);
        sec1.extend_from_slice(&[0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);
        sec1.extend_from_slice(&[0xa1, 0x44, 0x03, 0x42, 0x00]);
        sec1.extend_from_slice(&q);
        let mut sec1_der = vec![0x30, sec1.len() as u8];
        sec1_der.extend_from_slice(&sec1);
        let mut out = [0u8; 32];
        parse_private_key(&sec1_der, &mut out).unwrap();
        assert_eq!(out, d);
        let mut p8 = vec![0x02, 0x01, 0x00];
        p8.extend_from_slice(&EC_ALGORITHM);
        p8.extend_from_slice(&[0x04, sec1_der.len() as u8]);
        p8.extend_from_slice(&sec1_der);
        let mut p8_der = vec![0x30, 0x81, p8.len() as u8];
        p8_der.extend_from_slice(&p8);
        let mut out = [0u8; 32];
        parse_private_key(&p8_der, &mut out).unwrap();
        assert_eq!(out, d);
        parse_private_key(&d, &mut out).unwrap();
        for cut in 0..p8_der.len() {
            if cut == 32 {
                continue;
            }
            assert!(parse_private_key(&p8_der[..cut], &mut out).is_err(), "cut {cut}");
        }
        assert!(parse_private_key(&[0u8; 32], &mut out).is_err());
    }

    fn one(input: &[u8]) -> Result<Tlv<'_>, DerError> {
        let mut d = Der::new(input);
        let t = d.next_tlv()?;
        d.finish()?;
        Ok(t)
    }

    #[test]
    fn lengths_are_definite_minimal_and_bounded() {
        assert_eq!(one(&[0x04, 0x00]).unwrap().value, &[] as &[u8]);
        assert_eq!(one(&[0x04, 0x01, 7]).unwrap().raw, &[0x04, 0x01, 7]);
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend_from_slice(&[0; 0x80]);
        assert_eq!(one(&long).unwrap().value.len(), 0x80);
        let mut long2 = vec![0x04, 0x82, 0x01, 0x00];
        long2.extend_from_slice(&[0; 0x100]);
        assert_eq!(one(&long2).unwrap().value.len(), 0x100);
        // Truncated: no tag, no length, short long-form length, short value.
        assert_eq!(one(&[]), Err(DerError::Truncated));
        assert_eq!(one(&[0x04]), Err(DerError::Truncated));
        assert_eq!(one(&[0x04, 0x82, 0x01]), Err(DerError::Truncated));
        assert_eq!(one(&[0x04, 0x02, 0x00]), Err(DerError::Truncated));
        assert_eq!(one(&long[..long.len() - 1]), Err(DerError::Truncated));
        // Overlong: a length far beyond the input, and more than 4 length octets.
        assert_eq!(one(&[0x04, 0x84, 0x7f, 0xff, 0xff, 0xff, 0]), Err(DerError::Truncated));
        assert_eq!(one(&[0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 0]), Err(DerError::Truncated));
        assert_eq!(one(&[0x04, 0x85, 0x01, 0, 0, 0, 0]), Err(DerError::LengthOverflow));
        assert_eq!(one(&[0x04, 0xff, 0, 0]), Err(DerError::LengthOverflow));
        // Indefinite (BER), with or without an end-of-contents marker.
        assert_eq!(one(&[0x30, 0x80, 0x04, 0x00, 0x00, 0x00]), Err(DerError::Indefinite));
        assert_eq!(one(&[0x30, 0x80]), Err(DerError::Indefinite));
        // Not minimal: long form for a short length, leading zero octets.
        assert_eq!(one(&[0x04, 0x81, 0x01, 7]), Err(DerError::NonMinimalLength));
        assert_eq!(one(&[0x04, 0x81, 0x7f]), Err(DerError::NonMinimalLength));
        assert_eq!(one(&[0x04, 0x82, 0x00, 0x80]), Err(DerError::NonMinimalLength));
        assert_eq!(one(&[0x04, 0x84, 0x00, 0x00, 0x00, 0x01, 7]), Err(DerError::NonMinimalLength));
        // High tag numbers, trailing bytes, wrong tags.
        assert_eq!(one(&[0x1f, 0x22, 0x00]), Err(DerError::HighTagNumber));
        assert_eq!(one(&[0xbf, 0x01, 0x00]), Err(DerError::HighTagNumber));
        assert_eq!(one(&[0x04, 0x00, 0x00]), Err(DerError::Trailing));
        assert_eq!(single(&[0x04, 0x00], SEQUENCE), Err(DerError::UnexpectedTag));
        let mut d = Der::new(&[0x04, 0x00, 0x05, 0x00]);
        assert_eq!(d.optional(SEQUENCE), Ok(None));
        assert_eq!(d.optional(OCTET_STRING), Ok(Some(&[] as &[u8])));
        assert_eq!(d.expect(SEQUENCE), Err(DerError::UnexpectedTag));
        assert_eq!(d.expect(NULL), Ok(&[] as &[u8]), "a failed expect consumes nothing");
        assert!(d.is_empty());
    }

    #[test]
    fn primitive_values_follow_der() {
        assert_eq!(boolean(&[0xff]), Ok(true));
        assert_eq!(boolean(&[0x00]), Ok(false));
        assert!(boolean(&[0x01]).is_err() && boolean(&[]).is_err() && boolean(&[0, 0]).is_err());
        assert_eq!(uint(&[0x00]), Ok(0));
        assert_eq!(uint(&[0x7f]), Ok(127));
        assert_eq!(uint(&[0x00, 0x80]), Ok(128));
        assert_eq!(uint(&[0x00, 0xff, 0xff, 0xff, 0xff]), Ok(u32::MAX));
        assert!(uint(&[0x01, 0x00, 0x00, 0x00, 0x00]).is_err(), "beyond u32");
        assert!(uint(&[0x80]).is_err(), "negative");
        assert!(uint(&[0x00, 0x7f]).is_err(), "not minimal");
        assert!(integer(&[0xff, 0x80]).is_err(), "not minimal (negative)");
        assert!(integer(&[]).is_err());
        assert_eq!(bit_string(&[0x07, 0x80]), Ok((&[0x80u8][..], 7)));
        assert_eq!(bit_string(&[0x00]), Ok((&[][..], 0)));
        assert!(bit_string(&[0x07, 0x81]).is_err(), "unused bits set");
        assert!(bit_string(&[0x08, 0x00]).is_err());
        assert!(bit_string(&[0x01]).is_err());
        assert!(bit_string(&[]).is_err());
        assert!(octet_aligned_bits(&[0x01, 0x02]).is_err());
        assert_eq!(octet_aligned_bits(&[0x00, 0x02]), Ok(&[0x02u8][..]));
    }

    #[test]
    fn oids_are_walked_with_overflow_checks() {
        let arcs = |v: &[u8]| OidArcs::new(v).unwrap().collect::<Result<Vec<u32>, _>>();
        // 1.2.840.10045.4.3.2 (ecdsa-with-SHA256)
        assert_eq!(arcs(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]), Ok(vec![1, 2, 840, 10045, 4, 3, 2]));
        assert_eq!(arcs(&[0x55, 0x1d, 0x13]), Ok(vec![2, 5, 29, 19]));
        assert_eq!(arcs(&[0x88, 0x37]), Ok(vec![2, 999]));
        // 2.(2^32 - 1 - 80) is the largest first subidentifier that fits.
        assert_eq!(arcs(&[0x8f, 0xff, 0xff, 0xff, 0x7f]), Ok(vec![2, u32::MAX - 80]));
        assert_eq!(arcs(&[0x2a, 0x8f, 0xff, 0xff, 0xff, 0x7f]), Ok(vec![1, 2, u32::MAX]));
        assert!(oid(&[0x2a, 0x90, 0x80, 0x80, 0x80, 0x00]).is_err(), "arc of 2^32 overflows");
        assert!(oid(&[0x2a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_err(), "arc of 2^63");
        assert!(oid(&[0x90, 0x80, 0x80, 0x80, 0x00]).is_err(), "first subidentifier overflows");
        assert!(oid(&[0x2a, 0x80, 0x01]).is_err(), "leading 0x80: not minimal");
        assert!(oid(&[0x2a, 0x86]).is_err(), "last subidentifier unterminated");
        assert!(oid(&[]).is_err(), "empty");
        assert_eq!(oid(&[0x2a, 0x03]), Ok(&[0x2a, 0x03][..]));
    }

    #[test]
    fn validity_times_convert_to_unix_seconds() {
        let t = |tag: u8, s: &str| time(Tlv { tag, value: s.as_bytes(), raw: &[] });
        assert_eq!(t(UTC_TIME, "700101000000Z"), Ok(0));
        assert_eq!(t(UTC_TIME, "491231235959Z"), Ok(2_524_607_999));
        assert_eq!(t(UTC_TIME, "500101000000Z"), Ok(-631_152_000));
        assert_eq!(t(UTC_TIME, "261203134204Z"), Ok(1_796_305_324));
        assert_eq!(t(GENERALIZED_TIME, "20500101000000Z"), Ok(2_524_608_000));
        assert_eq!(t(GENERALIZED_TIME, "99991231235959Z"), Ok(253_402_300_799));
        assert_eq!(t(GENERALIZED_TIME, "20000229120000Z"), Ok(951_825_600));
        assert_eq!(t(GENERALIZED_TIME, "19700101000000Z"), Ok(0));
        for bad in ["19000229000000Z", "20010229000000Z", "20001301000000Z", "20000100000000Z", "20000101240000Z"] {
            assert!(t(GENERALIZED_TIME, bad).is_err(), "{bad}");
        }
        for bad in
            ["700101000060Z", "7001010000Z", "700101000000", "700101000000+0000", "7001010000000Z", "70010100000aZ"]
        {
            assert!(t(UTC_TIME, bad).is_err(), "{bad}");
        }
        assert!(t(GENERALIZED_TIME, "20000101000000.5Z").is_err(), "fractions");
        assert_eq!(t(OCTET_STRING, "700101000000Z"), Err(DerError::UnexpectedTag));
    }
}
