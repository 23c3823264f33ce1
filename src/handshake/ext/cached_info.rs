//! cached_info (RFC 7924, extension 25): the server certificate (type
//! cert, 1) and the server's CertificateRequest (type cert_req, 2). A
//! client that kept the server's Certificate message from an earlier
//! handshake offers its SHA-256; a server whose own Certificate message
//! hashes to the same value answers with the extension and sends the
//! Certificate in the hash form of RFC 7924 section 4.1 (the hash instead
//! of the certificate_list). The client then validates the chain it kept,
//! exactly as if it had arrived. The same for the CertificateRequest
//! (section 4.2): the client uses the request it kept (what it asks for).
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
/// CachedInformationType cert_req (RFC 7924 section 3).
pub const TYPE_CERT_REQ: u8 = 2;
/// Length of the hash we offer and accept (SHA-256).
pub const HASH_LEN: usize = 32;
/// msg_type of Certificate (RFC 5246 7.4).
const CERTIFICATE: u8 = 11;
/// msg_type of CertificateRequest (RFC 5246 7.4).
const CERTIFICATE_REQUEST: u8 = 13;

/// SHA-256 of the handshake message `msg_type` whose body is `body`, TLS header.
fn message_hash(msg_type: u8, body: &[u8]) -> [u8; HASH_LEN] {
    let mut h = Sha256::new();
    let n = body.len() as u32;
    h.update(&[msg_type, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
    h.update(body);
    h.finish()
}

/// SHA-256 of the Certificate message whose body is `body`, TLS header.
pub fn certificate_hash(body: &[u8]) -> [u8; HASH_LEN] {
    message_hash(CERTIFICATE, body)
}

/// SHA-256 of the CertificateRequest message whose body is `body`, TLS
/// header (as for the Certificate).
pub fn request_hash(body: &[u8]) -> [u8; HASH_LEN] {
    message_hash(CERTIFICATE_REQUEST, body)
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

/// Client offer: a CachedObject {cert, hash} and/or {cert_req, hash} (at
/// least one must be given).
pub(crate) fn write_offer(
    w: &mut Writer<'_>,
    cert: Option<&[u8; HASH_LEN]>,
    req: Option<&[u8; HASH_LEN]>,
) -> Result<(), Error> {
    if cert.is_none() && req.is_none() {
        return Err(Error::Internal);
    }
    w.u16(CACHED_INFO)?;
    let outer = w.begin_len(2)?;
    let list = w.begin_len(2)?;
    for (t, hash) in [(TYPE_CERT, cert), (TYPE_CERT_REQ, req)] {
        if let Some(hash) = hash {
            w.u8(t)?;
            let h = w.begin_len(1)?;
            w.put(hash)?;
            w.end_len(h)?;
        }
    }
    w.end_len(list)?;
    w.end_len(outer)
}

/// What a client offers (SHA-256 hashes only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Offered {
    /// The hash of the server Certificate message it kept.
    pub cert: Option<[u8; HASH_LEN]>,
    /// The hash of the server CertificateRequest message it kept.
    pub req: Option<[u8; HASH_LEN]>,
}

/// Server: the cert and cert_req hashes a client offers, the first of
/// SHA-256's length of each type (other types and lengths are ignored; a
/// malformed list is decode_error).
pub(crate) fn read_offer(data: &[u8]) -> Result<Offered, Fatal> {
    let mut r = Reader::new(data);
    let list = r.vec16().map_err(|_| Fatal::decode())?;
    r.finish().map_err(|_| Fatal::decode())?;
    if list.is_empty() {
        return Err(Fatal::decode());
    }
    let mut l = Reader::new(list);
    let mut found = Offered::default();
    while !l.is_empty() {
        let t = l.u8().map_err(|_| Fatal::decode())?;
        let hash = l.vec8().map_err(|_| Fatal::decode())?;
        if hash.is_empty() {
            return Err(Fatal::decode());
        }
        let slot = match t {
            TYPE_CERT => &mut found.cert,
            TYPE_CERT_REQ => &mut found.req,
            _ => continue,
        };
        if slot.is_none() {
            *slot = <[u8; HASH_LEN]>::try_from(hash).ok();
        }
    }
    Ok(found)
}

/// Server answer: the types it honours (cert, cert_req; at least one).
pub(crate) fn write_answer(w: &mut Writer<'_>, cert: bool, req: bool) -> Result<(), Error> {
    let (n, types) = match (cert, req) {
        (true, true) => (2, [TYPE_CERT, TYPE_CERT_REQ]),
        (true, false) => (1, [TYPE_CERT, 0]),
        (false, true) => (1, [TYPE_CERT_REQ, 0]),
        (false, false) => return Err(Error::Internal),
    };
    w.put(&[(CACHED_INFO >> 8) as u8, CACHED_INFO as u8, 0, 2 + n, 0, n])?;
    w.put(types.get(..usize::from(n)).ok_or(Error::Internal)?)
}

/// Client: the server's answer lists types we offered (`cert`, `req`),
/// each once, at least one; returns (cert answered, cert_req answered).
/// Anything else (an empty list, a type not offered, a repeat, an odd
/// length) is illegal_parameter.
pub(crate) fn read_answer(data: &[u8], cert: bool, req: bool) -> Result<(bool, bool), Fatal> {
    let bad = || Fatal::alert(alert::ILLEGAL_PARAMETER);
    let mut r = Reader::new(data);
    let list = r.vec16().map_err(|_| bad())?;
    r.finish().map_err(|_| bad())?;
    if list.is_empty() {
        return Err(bad());
    }
    let (mut got_cert, mut got_req) = (false, false);
    for &t in list {
        let slot = match t {
            TYPE_CERT if cert => &mut got_cert,
            TYPE_CERT_REQ if req => &mut got_req,
            _ => return Err(bad()),
        };
        if *slot {
            return Err(bad());
        }
        *slot = true;
    }
    Ok((got_cert, got_req))
}

/// `read_offer` for callers outside the crate (the fuzz target): a
/// refusal is [`Error::Decode`].
pub fn parse_offer(data: &[u8]) -> Result<Offered, Error> {
    read_offer(data).map_err(|_| Error::Decode)
}

/// `read_answer` for callers outside the crate (the fuzz target): a
/// refusal is [`Error::Decode`].
pub fn parse_answer(data: &[u8], cert: bool, req: bool) -> Result<(bool, bool), Error> {
    read_answer(data, cert, req).map_err(|_| Error::Decode)
}

/// The hash form of the Certificate message (RFC 7924 section 4.1); the
/// CertificateRequest's (section 4.2) is the same structure.
pub(crate) fn write_certificate(w: &mut Writer<'_>, hash: &[u8; HASH_LEN]) -> Result<(), Error> {
    let n = w.begin_len(1)?;
    w.put(hash)?;
    w.end_len(n)
}

/// The hash in a Certificate (or CertificateRequest) message of the hash
/// form.
pub fn parse_certificate(body: &[u8]) -> Result<&[u8], Error> {
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
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf);
        write_offer(&mut w, Some(&hash), None).unwrap();
        let out = w.written().to_vec();
        assert_eq!(&out[..7], &[0, 25, 0, 36, 0, 34, 1]);
        assert_eq!(out[7], 32);
        assert_eq!(read_offer(&out[4..]).unwrap(), Offered { cert: Some(hash), req: None });
        // Another type, a shorter hash: ignored; truncated, empty: decode_error.
        assert_eq!(read_offer(&[0, 4, 3, 2, 1, 2]).unwrap(), Offered::default());
        assert_eq!(read_offer(&[0, 4, 2, 2, 1, 2]).unwrap(), Offered::default());
        assert_eq!(read_offer(&[0, 3, 1, 1, 9]).unwrap(), Offered::default());
        assert!(read_offer(&[0, 3, 1, 2, 9]).is_err());
        assert!(read_offer(&[0, 0]).is_err());
        assert!(read_offer(&[0, 2, 1, 0]).is_err());
        assert!(read_offer(&out[4..out.len() - 1]).is_err());
        // Both types, the request's alone.
        let req = [9u8; HASH_LEN];
        let mut w = Writer::new(&mut buf);
        write_offer(&mut w, Some(&hash), Some(&req)).unwrap();
        let out = w.written().to_vec();
        assert_eq!(&out[..6], &[0, 25, 0, 70, 0, 68]);
        assert_eq!(read_offer(&out[4..]).unwrap(), Offered { cert: Some(hash), req: Some(req) });
        let mut w = Writer::new(&mut buf);
        write_offer(&mut w, None, Some(&req)).unwrap();
        let out = w.written().to_vec();
        assert_eq!(&out[..8], &[0, 25, 0, 36, 0, 34, 2, 32]);
        assert_eq!(read_offer(&out[4..]).unwrap(), Offered { cert: None, req: Some(req) });
        assert!(write_offer(&mut Writer::new(&mut buf), None, None).is_err());
        // A repeated type: the first counts.
        let mut two = vec![0, 68];
        for h in [&hash, &req] {
            two.extend_from_slice(&[2, 32]);
            two.extend_from_slice(h);
        }
        assert_eq!(read_offer(&two).unwrap(), Offered { cert: None, req: Some(hash) });
        // Answers.
        let mut w = Writer::new(&mut buf);
        write_answer(&mut w, true, false).unwrap();
        assert_eq!(w.written(), &[0, 25, 0, 3, 0, 1, 1]);
        let mut w = Writer::new(&mut buf);
        write_answer(&mut w, false, true).unwrap();
        assert_eq!(w.written(), &[0, 25, 0, 3, 0, 1, 2]);
        let mut w = Writer::new(&mut buf);
        write_answer(&mut w, true, true).unwrap();
        assert_eq!(w.written(), &[0, 25, 0, 4, 0, 2, 1, 2]);
        assert!(write_answer(&mut Writer::new(&mut buf), false, false).is_err());
        assert_eq!(read_answer(&[0, 1, 1], true, false).unwrap(), (true, false));
        assert_eq!(read_answer(&[0, 1, 1], true, true).unwrap(), (true, false));
        assert_eq!(read_answer(&[0, 1, 2], true, true).unwrap(), (false, true));
        assert_eq!(read_answer(&[0, 2, 2, 1], true, true).unwrap(), (true, true));
        for bad in [&[][..], &[0, 0], &[0, 1, 2], &[0, 2, 1, 2], &[0, 1, 1, 0], &[0, 1, 3], &[0, 1]] {
            assert!(read_answer(bad, true, false).is_err(), "{bad:?}");
        }
        // Not offered, repeated.
        assert!(read_answer(&[0, 1, 1], false, true).is_err());
        assert!(read_answer(&[0, 2, 2, 2], true, true).is_err());
        assert!(read_answer(&[0, 2, 1, 1], true, true).is_err());
        assert!(read_answer(&[0, 3, 1, 2, 1], true, true).is_err());
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

    #[test]
    fn request_hash_has_the_request_msg_type() {
        let body = [1, 64, 0, 2, 4, 3, 0, 0];
        let mut h = Sha256::new();
        h.update(&[13, 0, 0, 8]);
        h.update(&body);
        assert_eq!(request_hash(&body), h.finish());
        assert_ne!(request_hash(&body), certificate_hash(&body));
    }
}
