//! The ECDHE_PSK premaster secret (RFC 5489 section 2, as RFC 8442 uses
//! it): `uint16 len, other_secret = the ECDH shared secret (the x
//! coordinate, RFC 8422 5.10), uint16 len, psk`. The ECDH half comes from
//! [`super::ecdhe`]; the messages are in handshake::msg.

use crate::codec::Writer;
use crate::error::Error;

/// Length of the ECDH part (P-256 x coordinate).
pub const ECDH_LEN: usize = super::ecdhe::PREMASTER_LEN;

/// Write the premaster secret from the ECDH shared secret `z` and `psk`
/// into `out`; returns its length.
pub fn premaster(z: &[u8; ECDH_LEN], psk: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let mut w = Writer::new(out);
    let n = u16::try_from(psk.len()).map_err(|_| Error::InvalidArgument)?;
    w.u16(ECDH_LEN as u16)?;
    w.put(z)?;
    w.u16(n)?;
    w.put(psk)?;
    Ok(w.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn premaster_layout() {
        let mut out = [0u8; 64];
        let n = premaster(&[9; 32], &[1, 2, 3], &mut out).unwrap();
        assert_eq!(n, 2 + 32 + 2 + 3);
        assert_eq!(&out[..2], &[0, 32]);
        assert_eq!(&out[2..34], &[9; 32]);
        assert_eq!(&out[34..n], &[0, 3, 1, 2, 3]);
        assert!(premaster(&[9; 32], &[0; 40], &mut out).is_err(), "too small an output");
    }
}
