//! Certificate (RFC 5246 7.4.2, 7.4.6) with a raw public key (RFC 7250)
//! or an X.509 certificate list (whose leaf key is pinned).

use crate::alert;
use crate::codec::{Reader, Writer};
use crate::error::{Error, Fatal};

/// Certificate type X.509 (RFC 7250).
pub const CERT_TYPE_X509: u8 = 0;
/// Certificate type RawPublicKey (RFC 7250).
pub const CERT_TYPE_RAW_PUBLIC_KEY: u8 = 2;

/// A Certificate message with a raw public key: the SubjectPublicKeyInfo,
/// or None for an empty certificate (a client without a key).
pub fn parse_raw_public_key(body: &[u8]) -> Result<Option<&[u8]>, Error> {
    let mut r = Reader::new(body);
    let spki = r.vec24()?;
    r.finish()?;
    Ok(if spki.is_empty() { None } else { Some(spki) })
}

/// A Certificate message of type X.509: the first (leaf) certificate, or
/// None for an empty list. The rest of the chain is checked for framing only.
pub fn parse_x509(body: &[u8]) -> Result<Option<&[u8]>, Error> {
    let mut r = Reader::new(body);
    let list = r.vec24()?;
    r.finish()?;
    let mut l = Reader::new(list);
    let mut leaf = None;
    while !l.is_empty() {
        let cert = l.vec24()?;
        if cert.is_empty() {
            return Err(Error::Decode);
        }
        leaf.get_or_insert(cert);
    }
    Ok(leaf)
}

/// The SubjectPublicKeyInfo in a peer Certificate message, raw public key
/// or X.509 (`x509`, whose leaf key is pinned), or None for an empty one.
pub(crate) fn peer_spki(body: &[u8], x509: bool) -> Result<Option<&[u8]>, Fatal> {
    if x509 {
        match parse_x509(body).map_err(|_| Fatal::decode())? {
            Some(cert) => {
                crate::auth::x509::der::x509_spki(cert).map(Some).map_err(|_| Fatal::alert(alert::BAD_CERTIFICATE))
            }
            None => Ok(None),
        }
    } else {
        parse_raw_public_key(body).map_err(|_| Fatal::decode())
    }
}

/// Write a Certificate body: an X.509 certificate list with `cert` if
/// given (one DER certificate, or the leaf followed by its intermediates,
/// DER back to back: one list entry each), else our raw public key (RFC
/// 7250).
pub(crate) fn write(w: &mut Writer<'_>, spki: &[u8], cert: Option<&[u8]>) -> Result<(), Error> {
    let l = w.begin_len(3)?;
    match cert {
        Some(c) => {
            for one in chain_entries(c) {
                let one = one?;
                let n = w.begin_len(3)?;
                w.put(one)?;
                w.end_len(n)?;
            }
        }
        None => w.put(spki)?,
    }
    w.end_len(l)
}

/// The DER elements `chain` is made of (certificates back to back), each
/// whole; an element that does not parse ends the walk with an error.
pub(crate) fn chain_entries(chain: &[u8]) -> impl Iterator<Item = Result<&[u8], Error>> {
    let mut d = crate::auth::x509::der::Der::new(chain);
    let mut failed = false;
    core::iter::from_fn(move || {
        if d.is_empty() || failed {
            return None;
        }
        match d.next_tlv() {
            Ok(t) => Some(Ok(t.raw)),
            Err(_) => {
                failed = true;
                Some(Err(Error::InvalidArgument))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_public_key_and_x509_framing() {
        assert_eq!(parse_raw_public_key(&[0, 0, 0]).unwrap(), None);
        assert_eq!(parse_raw_public_key(&[0, 0, 2, 1, 2]).unwrap(), Some(&[1u8, 2][..]));
        assert!(parse_raw_public_key(&[0, 0, 3, 1, 2]).is_err());
        assert!(parse_raw_public_key(&[0, 0, 1, 1, 2]).is_err());
        assert_eq!(parse_x509(&[0, 0, 0]).unwrap(), None);
        assert_eq!(parse_x509(&[0, 0, 5, 0, 0, 2, 7, 8]).unwrap(), Some(&[7u8, 8][..]));
        assert!(parse_x509(&[0, 0, 3, 0, 0, 0]).is_err(), "empty certificate in the list");
        let mut buf = [0u8; 16];
        let mut w = Writer::new(&mut buf);
        write(&mut w, &[1, 2, 3], None).unwrap();
        assert_eq!(w.written(), &[0, 0, 3, 1, 2, 3]);
        let mut w = Writer::new(&mut buf);
        write(&mut w, &[1, 2, 3], Some(&[0x30, 0])).unwrap();
        assert_eq!(w.written(), &[0, 0, 5, 0, 0, 2, 0x30, 0]);
        // A leaf and an intermediate back to back: two entries.
        let mut w = Writer::new(&mut buf);
        write(&mut w, &[1, 2, 3], Some(&[0x30, 1, 7, 0x30, 0])).unwrap();
        assert_eq!(w.written(), &[0, 0, 11, 0, 0, 3, 0x30, 1, 7, 0, 0, 2, 0x30, 0]);
        // Trailing bytes that are no DER element: refused.
        let mut w = Writer::new(&mut buf);
        assert!(write(&mut w, &[1, 2, 3], Some(&[0x30, 1, 7, 0x30])).is_err());
    }
}
