//! CertificateURL (RFC 6066 section 5, handshake type 21; feature
//! `cert-url`): a client names its certificates by URL and SHA-1 instead
//! of sending them.
//!
//! ```text
//! enum { individual_certs(0), pkipath(1), (255) } CertChainType;
//! struct {
//!     CertChainType type;
//!     URLAndHash url_and_hash_list<1..2^16-1>;
//! } CertificateURL;
//! struct {
//!     opaque url<1..2^16-1>;
//!     unint8 padding;          /* MUST be 0x01 */
//!     opaque SHA1Hash[20];
//! } URLAndHash;
//! ```
//!
//! Only individual_certs (each URL one DER certificate, leaf first) is
//! supported. pkipath (one URL for a DER `SEQUENCE OF Certificate`,
//! root first) is refused with unsupported_certificate: the message is
//! well-formed, the chain is of a form we do not handle (RFC 5246 7.2.2:
//! "a certificate was of an unsupported type"). Another CertChainType is
//! illegal_parameter. A malformed list (truncated, a length that does
//! not match, an empty list or URL, padding other than 0x01, trailing
//! bytes) is decode_error. More entries than NANODTLS_MAX_CERT_CHAIN is
//! unknown_ca, as for a Certificate with a chain that long.

use crate::alert;
use crate::codec::{Reader, Writer};
use crate::crypto::sha1::{self, LEN as SHA1_LEN};
use crate::error::{Error, Fatal};

/// CertChainType individual_certs.
pub const INDIVIDUAL_CERTS: u8 = 0;
/// CertChainType pkipath.
pub const PKIPATH: u8 = 1;
/// The padding byte of each URLAndHash.
pub const PADDING: u8 = 1;

/// One URLAndHash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UrlAndHash<'a> {
    /// The URL (not interpreted by the library).
    pub url: &'a [u8],
    /// SHA-1 of the DER certificate at that URL.
    pub hash: &'a [u8; SHA1_LEN],
}

/// A parsed CertificateURL body: the url_and_hash_list, checked.
#[derive(Clone, Copy, Debug)]
pub struct CertificateUrl<'a> {
    list: &'a [u8],
    count: usize,
}

fn entry<'a>(r: &mut Reader<'a>) -> Result<UrlAndHash<'a>, Error> {
    let url = r.vec16()?;
    if url.is_empty() {
        return Err(Error::Decode);
    }
    if r.u8()? != PADDING {
        return Err(Error::Decode);
    }
    let hash = r.take(SHA1_LEN)?.first_chunk::<SHA1_LEN>().ok_or(Error::Decode)?;
    Ok(UrlAndHash { url, hash })
}

/// Parse a CertificateURL body with at most `max` entries; a refusal is
/// the alert description to answer with (see the module text).
pub fn parse(body: &[u8], max: usize) -> Result<CertificateUrl<'_>, u8> {
    let decode = |_| alert::DECODE_ERROR;
    let mut r = Reader::new(body);
    let t = r.u8().map_err(decode)?;
    let list = r.vec16().map_err(decode)?;
    r.finish().map_err(decode)?;
    match t {
        INDIVIDUAL_CERTS => {}
        PKIPATH => return Err(alert::UNSUPPORTED_CERTIFICATE),
        _ => return Err(alert::ILLEGAL_PARAMETER),
    }
    if list.is_empty() {
        return Err(alert::DECODE_ERROR);
    }
    let mut l = Reader::new(list);
    let mut count = 0usize;
    while !l.is_empty() {
        entry(&mut l).map_err(decode)?;
        count += 1;
    }
    if count > max {
        return Err(alert::UNKNOWN_CA);
    }
    Ok(CertificateUrl { list, count })
}

/// [`parse`] for the engine: the refusal as a fatal alert.
pub(crate) fn parse_fatal(body: &[u8], max: usize) -> Result<CertificateUrl<'_>, Fatal> {
    parse(body, max).map_err(Fatal::alert)
}

impl<'a> CertificateUrl<'a> {
    /// Number of entries (at least 1).
    pub fn len(&self) -> usize {
        self.count
    }

    /// Never true for a parsed message (the list has at least one entry).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The entries in order (leaf first).
    pub fn iter(&self) -> impl Iterator<Item = UrlAndHash<'a>> + 'a {
        let mut l = Reader::new(self.list);
        core::iter::from_fn(move || if l.is_empty() { None } else { entry(&mut l).ok() })
    }

    /// Entry `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<UrlAndHash<'a>> {
        self.iter().nth(i)
    }
}

/// Write a CertificateURL body for our `chain` (DER certificates back to
/// back, leaf first, as Env::own_certificate lends it) with the URL of
/// each certificate from `url(i)`: the SHA-1 of each DER certificate is
/// computed here. A chain that does not parse, a missing or empty URL, or
/// a URL for a certificate that is not there: InvalidArgument.
pub fn write<'u>(w: &mut Writer<'_>, chain: &[u8], url: &dyn Fn(usize) -> Option<&'u [u8]>) -> Result<(), Error> {
    w.u8(INDIVIDUAL_CERTS)?;
    let list = w.begin_len(2)?;
    let mut n = 0usize;
    for cert in super::certificate::chain_entries(chain) {
        let cert = cert?;
        let u = url(n).ok_or(Error::InvalidArgument)?;
        if u.is_empty() {
            return Err(Error::InvalidArgument);
        }
        w.vec16(u)?;
        w.u8(PADDING)?;
        w.put(&sha1::sha1(cert))?;
        n += 1;
    }
    if n == 0 || url(n).is_some() {
        return Err(Error::InvalidArgument);
    }
    w.end_len(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(url: &[u8], pad: u8, hash: u8) -> std::vec::Vec<u8> {
        let mut v = std::vec::Vec::new();
        v.extend_from_slice(&(url.len() as u16).to_be_bytes());
        v.extend_from_slice(url);
        v.push(pad);
        v.extend_from_slice(&[hash; 20]);
        v
    }

    fn msg(t: u8, entries: &[std::vec::Vec<u8>]) -> std::vec::Vec<u8> {
        let list: std::vec::Vec<u8> = entries.concat();
        let mut v = std::vec![t];
        v.extend_from_slice(&(list.len() as u16).to_be_bytes());
        v.extend_from_slice(&list);
        v
    }

    fn alert_of(r: Result<CertificateUrl<'_>, u8>) -> u8 {
        r.expect_err("refused")
    }

    #[test]
    fn parses_and_refuses() {
        let good = msg(0, &[one(b"http://a/leaf", 1, 7), one(b"file:///i", 1, 8)]);
        let p = parse(&good, 3).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p.get(0).unwrap().url, b"http://a/leaf");
        assert_eq!(p.get(1).unwrap().hash, &[8u8; 20]);
        assert!(p.get(2).is_none());
        // Every truncation is decode_error.
        for n in 0..good.len() {
            assert_eq!(alert_of(parse(&good[..n], 3)), alert::DECODE_ERROR, "cut {n}");
        }
        // Trailing bytes after the list, in the list.
        let mut t = good.clone();
        t.push(0);
        assert_eq!(alert_of(parse(&t, 3)), alert::DECODE_ERROR);
        let bad = msg(0, &[one(b"u", 1, 7), std::vec![0]]);
        assert_eq!(alert_of(parse(&bad, 3)), alert::DECODE_ERROR);
        // Outer length too long / too short.
        let mut t = good.clone();
        t[2] += 1;
        assert_eq!(alert_of(parse(&t, 3)), alert::DECODE_ERROR);
        t[2] -= 2;
        assert_eq!(alert_of(parse(&t, 3)), alert::DECODE_ERROR);
        // URL length overlong (runs into the hash and past the end) / short.
        let mut t = msg(0, &[one(b"abc", 1, 7)]);
        t[4] = 4;
        assert_eq!(alert_of(parse(&t, 3)), alert::DECODE_ERROR);
        t[4] = 2;
        assert_eq!(alert_of(parse(&t, 3)), alert::DECODE_ERROR);
        // Padding other than 0x01.
        for pad in [0u8, 2, 0xff] {
            assert_eq!(alert_of(parse(&msg(0, &[one(b"u", pad, 7)]), 3)), alert::DECODE_ERROR);
        }
        // Empty list, zero-length URL.
        assert_eq!(alert_of(parse(&[0, 0, 0], 3)), alert::DECODE_ERROR);
        assert_eq!(alert_of(parse(&msg(0, &[one(b"", 1, 7)]), 3)), alert::DECODE_ERROR);
        // More URLs than the knob.
        let four = msg(0, &[one(b"a", 1, 1), one(b"b", 1, 2), one(b"c", 1, 3), one(b"d", 1, 4)]);
        assert_eq!(alert_of(parse(&four, 3)), alert::UNKNOWN_CA);
        assert_eq!(parse(&four, 4).unwrap().len(), 4);
        // pkipath and unknown types.
        assert_eq!(alert_of(parse(&msg(1, &[one(b"u", 1, 7)]), 3)), alert::UNSUPPORTED_CERTIFICATE);
        assert_eq!(alert_of(parse(&msg(2, &[one(b"u", 1, 7)]), 3)), alert::ILLEGAL_PARAMETER);
    }

    #[test]
    fn writes_what_it_parses() {
        let chain = [0x30, 1, 7, 0x30, 0];
        let urls: [&[u8]; 2] = [b"http://x/leaf", b"http://x/int"];
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf);
        write(&mut w, &chain, &|i| urls.get(i).copied()).unwrap();
        let n = w.len();
        let p = parse(&buf[..n], 3).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p.get(0).unwrap(), UrlAndHash { url: urls[0], hash: &sha1::sha1(&[0x30, 1, 7]) });
        assert_eq!(p.get(1).unwrap().hash, &sha1::sha1(&[0x30, 0]));
        // One URL too few, one too many, an empty one, no chain.
        let mut w = Writer::new(&mut buf);
        assert!(write(&mut w, &chain, &|i| urls.get(i).copied().filter(|_| i == 0)).is_err());
        let three: [&[u8]; 3] = [b"a", b"b", b"c"];
        let mut w = Writer::new(&mut buf);
        assert!(write(&mut w, &chain, &|i| three.get(i).copied()).is_err());
        let empty: [&[u8]; 2] = [b"a", b""];
        let mut w = Writer::new(&mut buf);
        assert!(write(&mut w, &chain, &|i| empty.get(i).copied()).is_err());
        let mut w = Writer::new(&mut buf);
        assert!(write(&mut w, &[], &|i| urls.get(i).copied()).is_err());
    }
}
