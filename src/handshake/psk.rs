//! PSK key exchange messages and premaster secret (RFC 4279 section 2).

use crate::codec::{Reader, Writer};
use crate::error::Error;

/// Parse ServerKeyExchange for plain PSK: returns the identity hint.
pub fn parse_server_key_exchange(body: &[u8]) -> Result<&[u8], Error> {
    let mut r = Reader::new(body);
    let hint = r.vec16()?;
    r.finish()?;
    Ok(hint)
}

/// Parse ClientKeyExchange for plain PSK: returns the identity.
pub fn parse_client_key_exchange(body: &[u8]) -> Result<&[u8], Error> {
    let mut r = Reader::new(body);
    let id = r.vec16()?;
    r.finish()?;
    if id.is_empty() {
        return Err(Error::Decode);
    }
    Ok(id)
}

/// Write the plain-PSK premaster secret `uint16 N, N zero bytes, uint16 N, psk`
/// into `out`; returns its length.
pub fn premaster(psk: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let mut w = Writer::new(out);
    let n = u16::try_from(psk.len()).map_err(|_| Error::InvalidArgument)?;
    w.u16(n)?;
    w.reserve(psk.len())?.fill(0);
    w.u16(n)?;
    w.put(psk)?;
    Ok(w.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn premaster_layout() {
        let mut out = [0xaau8; 16];
        let n = premaster(&[1, 2, 3], &mut out).unwrap();
        assert_eq!(&out[..n], &[0, 3, 0, 0, 0, 0, 3, 1, 2, 3]);
        assert!(premaster(&[0; 8], &mut out).is_err());
    }

    #[test]
    fn key_exchange_parsing() {
        assert_eq!(parse_client_key_exchange(&[0, 2, b'i', b'd']).unwrap(), b"id");
        assert!(parse_client_key_exchange(&[0, 0]).is_err());
        assert!(parse_client_key_exchange(&[0, 3, b'i', b'd']).is_err());
        assert!(parse_client_key_exchange(&[0, 1, b'i', b'd']).is_err());
        assert_eq!(parse_server_key_exchange(&[0, 0]).unwrap(), b"");
        assert!(parse_server_key_exchange(&[0]).is_err());
    }
}
