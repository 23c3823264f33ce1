//! ClientKeyExchange (RFC 5246 7.4.7): for PSK the identity (RFC 4279
//! section 2), for ECDHE the client's ephemeral point (RFC 8422 5.7).

use crate::codec::{Reader, Writer};
use crate::error::Error;

/// Parse ClientKeyExchange for plain PSK: returns the identity.
pub fn parse_psk(body: &[u8]) -> Result<&[u8], Error> {
    let mut r = Reader::new(body);
    let id = r.vec16()?;
    r.finish()?;
    if id.is_empty() {
        return Err(Error::Decode);
    }
    Ok(id)
}

/// Write a PSK ClientKeyExchange: the identity.
pub(crate) fn write_psk(w: &mut Writer<'_>, identity: &[u8]) -> Result<(), Error> {
    w.vec16(identity)
}

#[cfg(feature = "ecc")]
/// Parse an ECDH ClientKeyExchange: the client's ephemeral point.
pub fn parse_ecdh(body: &[u8]) -> Result<&[u8], Error> {
    let mut r = Reader::new(body);
    let point = r.vec8()?;
    r.finish()?;
    Ok(point)
}

/// Write an ECDH ClientKeyExchange: our ephemeral point.
#[cfg(feature = "ecc")]
pub(crate) fn write_ecdh(w: &mut Writer<'_>, point: &[u8]) -> Result<(), Error> {
    w.vec8(point)
}

/// Parse an ECDHE_PSK ClientKeyExchange (RFC 5489 section 2): the
/// identity (not empty), then the client's point. Returns (identity, point).
#[cfg(feature = "ecdhe-psk")]
pub fn parse_ecdhe_psk(body: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let mut r = Reader::new(body);
    let id = r.vec16()?;
    let point = r.vec8()?;
    r.finish()?;
    if id.is_empty() {
        return Err(Error::Decode);
    }
    Ok((id, point))
}

/// Write an ECDHE_PSK ClientKeyExchange: identity, our point.
#[cfg(feature = "ecdhe-psk")]
pub(crate) fn write_ecdhe_psk(w: &mut Writer<'_>, identity: &[u8], point: &[u8]) -> Result<(), Error> {
    w.vec16(identity)?;
    w.vec8(point)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psk_identity() {
        assert_eq!(parse_psk(&[0, 2, b'i', b'd']).unwrap(), b"id");
        assert!(parse_psk(&[0, 0]).is_err());
        assert!(parse_psk(&[0, 3, b'i', b'd']).is_err());
        assert!(parse_psk(&[0, 1, b'i', b'd']).is_err());
    }

    #[cfg(feature = "ecdhe-psk")]
    #[test]
    fn ecdhe_psk_identity_and_point() {
        let cke = [0, 2, b'i', b'd', 2, 4, 7];
        assert_eq!(parse_ecdhe_psk(&cke).unwrap(), (&b"id"[..], &[4u8, 7][..]));
        for cut in 0..cke.len() {
            assert!(parse_ecdhe_psk(&cke[..cut]).is_err(), "cut {cut}");
        }
        assert!(parse_ecdhe_psk(&[0, 0, 1, 4]).is_err(), "empty identity");
        assert!(parse_ecdhe_psk(&[0, 2, b'i', b'd', 2, 4, 7, 0]).is_err(), "trailing byte");
    }
}
