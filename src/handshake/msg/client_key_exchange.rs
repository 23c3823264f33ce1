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
}
