//! HelloVerifyRequest (RFC 6347 4.2.1): the stateless cookie exchange.

use crate::codec::{Reader, Writer};
use crate::error::Error;
use crate::handshake::{write_header, FragmentHeader, HEADER_LEN};
use crate::record::{content, write_record_with, DTLS10, DTLS12};

/// Parse a HelloVerifyRequest body; returns the cookie.
pub fn parse(body: &[u8]) -> Result<&[u8], Error> {
    let mut r = Reader::new(body);
    let version = r.u16()?;
    if version != DTLS10 && version != DTLS12 {
        return Err(Error::Decode);
    }
    let cookie = r.vec8()?;
    r.finish()?;
    if cookie.is_empty() {
        return Err(Error::Decode);
    }
    Ok(cookie)
}

/// Write a HelloVerifyRequest record. RFC 6347 4.2.1: the record sequence
/// number and message_seq mirror the ClientHello's, and the version is
/// DTLS 1.0 whatever will be negotiated.
pub(crate) fn write_record_to(w: &mut Writer<'_>, rec_seq: u64, msg_seq: u16, cookie: &[u8]) -> Result<(), Error> {
    let blen = 3 + cookie.len();
    let h = FragmentHeader {
        msg_type: super::HELLO_VERIFY_REQUEST,
        length: blen as u32,
        seq: msg_seq,
        frag_off: 0,
        frag_len: blen as u32,
    };
    write_record_with(w, None, content::HANDSHAKE, 0, rec_seq, HEADER_LEN + blen, &mut |dst| {
        let mut bw = Writer::new(dst);
        write_header(&mut bw, &h)?;
        bw.u16(DTLS10)?;
        bw.vec8(cookie)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_verify_request_rules() {
        assert_eq!(parse(&[0xfe, 0xff, 2, 9, 9]).unwrap(), &[9, 9]);
        assert!(parse(&[0xfe, 0xff, 0]).is_err(), "empty cookie");
        assert!(parse(&[0x03, 0x03, 1, 9]).is_err(), "TLS version");
        assert!(parse(&[0xfe, 0xff, 3, 9]).is_err(), "overrun");
    }
}
