//! The plain-PSK premaster secret (RFC 4279 section 2).

use crate::codec::Writer;
use crate::error::Error;

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
}
