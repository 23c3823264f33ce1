//! cached_info (RFC 7924, extension 25), the server certificate (type
//! cert, 1) only. A client that kept the server's Certificate message from
//! an earlier handshake offers its SHA-256; a server whose own Certificate
//! message hashes to the same value answers with the extension and sends
//! the Certificate in the hash form of RFC 7924 section 4.1 (the hash
//! instead of the certificate_list). The client then validates the chain
//! it kept, exactly as if it had arrived.
//!
//! The hash is over the TLS form of the message: msg_type (11) and the
//! 3-byte length, then the body (RFC 7924 section 3.1 hashes the
//! "handshake message"; in DTLS the message_seq and fragment fields of
//! the 12-byte header change with a cookie exchange and fragmentation, so
//! they are left out, as TLS 1.2's header has none of them).

use super::CACHED_INFO;
use crate::alert;
use crate::codec::{Reader, Writer};
use crate::crypto::sha256::Sha256;
use crate::error::{Error, Fatal};

/// CachedInformationType cert (RFC 7924 section 3).
pub const TYPE_CERT: u8 = 1;
/// Length of the hash we offer and accept (SHA-256).
pub const HASH_LEN: usize = 32;
/// msg_type of Certificate (RFC 5246 7.4).
const CERTIFICATE: u8 = 11;

/// SHA-256 of the Certificate message whose body is `body`, TLS header.
pub fn certificate_hash(body: &[u8]) -> [u8; HASH_LEN] {
    let mut h = Sha256::new();
    let n = body.len() as u32;
    h.update(&[CERTIFICATE, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
    h.update(body);
    h.finish()
}

/// SHA-256 of the Certificate message we send with the X.509 `chain`
/// (DER certificates back to back, leaf first; what Env::own_certificate
/// lends), computed without building the message.
pub fn chain_hash(chain: &[u8]) -> Result<[u8; HASH_LEN], Error> {
    let mut list = 0usize;
    for c in super::super::msg::certificate::chain_entries(chain) {
        list = list.checked_add(3 + c?.len()).ok_or(Error::InvalidArgument)?;
    }
    if list > 0xff_ffff - 3 {
        return Err(Error::InvalidArgument);
    }
    let body = list + 3;
    let mut h = Sha256::new();
    h.update(&[CERTIFICATE, (body >> 16) as u8, (body >> 8) as u8, body as u8]);
    h.update(&[(list >> 16) as u8, (list >> 8) as u8, list as u8]);
    for c in super::super::msg::certificate::chain_entries(chain) {
        let c = c?;
        let n = c.len();
        h.update(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
        h.update(c);
    }
    Ok(h.finish())
}

/// Client offer: one CachedObject {cert, hash}.
pub(crate) fn write_offer(w: &mut Writer<'_>, hash: &[u8; HASH_LEN]) -> Result<(), Error> {
    w.u16(CACHED_INFO)?;
    let outer = w.begin_len(2)?;
    let list = w.begin_len(2)?;
    w.u8(TYPE_CERT)?;
    let h = w.begin_len(1)?;
    w.put(hash)?;
    w.end_len(h)?;
    w.end_len(list)?;
    w.end_len(outer)
}

/// Server: the cert hash a client offers, if it offers one of SHA-256's
/// length (other types and lengths are ignored; a malformed list is
/// decode_error).
pub(crate) fn read_offer(data: &[u8]) -> Result<Option<[u8; HASH_LEN]>, Fatal> {
    let mut r = Reader::new(data);
    let list = r.vec16().map_err(|_| Fatal::decode())?;
    r.finish().map_err(|_| Fatal::decode())?;
    if list.is_empty() {
        return Err(Fatal::decode());
    }
    let mut l = Reader::new(list);
    let mut found = None;
    while !l.is_empty() {
        let t = l.u8().map_err(|_| Fatal::decode())?;
        let hash = l.vec8().map_err(|_| Fatal::decode())?;
        if hash.is_empty() {
            return Err(Fatal::decode());
        }
        if t == TYPE_CERT && found.is_none() {
            found = <[u8; HASH_LEN]>::try_from(hash).ok();
        }
    }
    Ok(found)
}

/// Server answer: the types it honours (only cert).
pub(crate) fn write_answer(w: &mut Writer<'_>) -> Result<(), Error> {
    w.put(&[(CACHED_INFO >> 8) as u8, CACHED_INFO as u8, 0, 3, 0, 1, TYPE_CERT])
}

/// Client: the server's answer must list exactly the cert type we offered
/// (anything else, or an empty list, is illegal_parameter).
pub(crate) fn read_answer(data: &[u8]) -> Result<(), Fatal> {
    match data {
        [0, 1, TYPE_CERT] => Ok(()),
        _ => Err(Fatal::alert(alert::ILLEGAL_PARAMETER)),
    }
}

/// The hash form of the Certificate message (RFC 7924 section 4.1).
pub(crate) fn write_certificate(w: &mut Writer<'_>, hash: &[u8; HASH_LEN]) -> Result<(), Error> {
    let n = w.begin_len(1)?;
    w.put(hash)?;
    w.end_len(n)
}

/// The hash in a Certificate message of the hash form.
pub(crate) fn parse_certificate(body: &[u8]) -> Result<&[u8], Error> {
    let mut r = Reader::new(body);
    let h = r.vec8()?;
    r.finish()?;
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_answer_and_hash_form() {
        let hash = [7u8; HASH_LEN];
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        write_offer(&mut w, &hash).unwrap();
        let out = w.written().to_vec();
        assert_eq!(&out[..7], &[0, 25, 0, 36, 0, 34, 1]);
        assert_eq!(out[7], 32);
        assert_eq!(read_offer(&out[4..]).unwrap(), Some(hash));
        // Another type, a shorter hash: ignored; truncated, empty: decode_error.
        assert_eq!(read_offer(&[0, 4, 2, 2, 1, 2]).unwrap(), None);
        assert_eq!(read_offer(&[0, 3, 1, 1, 9]).unwrap(), None);
        assert!(read_offer(&[0, 3, 1, 2, 9]).is_err());
        assert!(read_offer(&[0, 0]).is_err());
        assert!(read_offer(&[0, 2, 1, 0]).is_err());
        assert!(read_offer(&out[4..out.len() - 1]).is_err());
        // Answers.
        let mut w = Writer::new(&mut buf);
        write_answer(&mut w).unwrap();
        assert_eq!(w.written(), &[0, 25, 0, 3, 0, 1, 1]);
        assert!(read_answer(&[0, 1, 1]).is_ok());
        for bad in [&[][..], &[0, 0], &[0, 1, 2], &[0, 2, 1, 2], &[0, 1, 1, 0]] {
            assert!(read_answer(bad).is_err(), "{bad:?}");
        }
        // Hash form.
        let mut w = Writer::new(&mut buf);
        write_certificate(&mut w, &hash).unwrap();
        let n = w.len();
        assert_eq!(parse_certificate(&buf[..n]).unwrap(), &hash);
        assert!(parse_certificate(&buf[..n - 1]).is_err());
        assert!(parse_certificate(&[]).is_err());
    }

    #[test]
    fn chain_hash_is_the_hash_of_the_message_we_send() {
        let chain = [0x30, 1, 7, 0x30, 0];
        let mut buf = [0u8; 32];
        let mut w = Writer::new(&mut buf);
        crate::handshake::msg::certificate::write(&mut w, &[], Some(&chain)).unwrap();
        let n = w.len();
        assert_eq!(chain_hash(&chain).unwrap(), certificate_hash(&buf[..n]));
        assert!(chain_hash(&[0x30, 5]).is_err());
    }
}
