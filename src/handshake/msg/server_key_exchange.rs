//! ServerKeyExchange (RFC 5246 7.4.3): for PSK the identity hint (RFC
//! 4279 section 2), for ECDHE_ECDSA the signed ephemeral parameters (RFC
//! 8422 section 5.4).

use crate::codec::{Reader, Writer};
use crate::error::Error;
#[cfg(feature = "ecc")]
use crate::handshake::ext::ec::{ECDSA_SHA256, SECP256R1};

/// Parse ServerKeyExchange for plain PSK: returns the identity hint.
pub fn parse_psk(body: &[u8]) -> Result<&[u8], Error> {
    let mut r = Reader::new(body);
    let hint = r.vec16()?;
    r.finish()?;
    Ok(hint)
}

/// Write a PSK ServerKeyExchange: the identity hint.
pub(crate) fn write_psk(w: &mut Writer<'_>, hint: &[u8]) -> Result<(), Error> {
    w.vec16(hint)
}

/// ECCurveType named_curve.
#[cfg(feature = "ecc")]
pub const NAMED_CURVE: u8 = 3;

#[cfg(feature = "ecc")]
/// A parsed ECDHE ServerKeyExchange.
pub struct EcdheParams<'a> {
    /// The ServerECDHParams bytes (covered by the signature).
    pub params: &'a [u8],
    /// The server's ephemeral point.
    pub point: &'a [u8],
    /// SignatureAndHashAlgorithm.
    pub sig_alg: u16,
    /// DER signature.
    pub signature: &'a [u8],
}

#[cfg(feature = "ecc")]
/// Parse an ECDHE ServerKeyExchange (named curve only).
pub fn parse_ecdhe(body: &[u8]) -> Result<EcdheParams<'_>, Error> {
    let mut r = Reader::new(body);
    if r.u8()? != NAMED_CURVE {
        return Err(Error::Decode);
    }
    let curve = r.u16()?;
    let point = r.vec8()?;
    let params = body.get(..r.position()).ok_or(Error::Decode)?;
    let sig_alg = r.u16()?;
    let signature = r.vec16()?;
    r.finish()?;
    if curve != SECP256R1 {
        return Err(Error::Unsupported);
    }
    Ok(EcdheParams { params, point, sig_alg, signature })
}

/// The ServerECDHParams of our P-256 point: named_curve secp256r1, point.
#[cfg(feature = "ecc")]
pub fn ecdhe_params(point: &[u8; crate::crypto::ecc::POINT_LEN]) -> [u8; 4 + crate::crypto::ecc::POINT_LEN] {
    let mut params = [0u8; 4 + crate::crypto::ecc::POINT_LEN];
    params[0] = NAMED_CURVE;
    params[1..3].copy_from_slice(&SECP256R1.to_be_bytes());
    params[3] = crate::crypto::ecc::POINT_LEN as u8;
    params[4..].copy_from_slice(point);
    params
}

/// Write an ECDHE ServerKeyExchange: the parameters and their ECDSA
/// (SHA-256) signature.
#[cfg(feature = "ecc")]
pub(crate) fn write_ecdhe(w: &mut Writer<'_>, params: &[u8], signature: &[u8]) -> Result<(), Error> {
    w.put(params)?;
    w.u16(ECDSA_SHA256)?;
    w.vec16(signature)
}

/// Parse an ECDHE_PSK ServerKeyExchange (RFC 5489 section 2): the
/// identity hint, then the (unsigned) ServerECDHParams on a named curve.
/// Returns (hint, point).
#[cfg(feature = "ecdhe-psk")]
pub fn parse_ecdhe_psk(body: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let mut r = Reader::new(body);
    let hint = r.vec16()?;
    if r.u8()? != NAMED_CURVE {
        return Err(Error::Decode);
    }
    let curve = r.u16()?;
    let point = r.vec8()?;
    r.finish()?;
    if curve != SECP256R1 {
        return Err(Error::Unsupported);
    }
    Ok((hint, point))
}

/// Write an ECDHE_PSK ServerKeyExchange: hint, ServerECDHParams.
#[cfg(feature = "ecdhe-psk")]
pub(crate) fn write_ecdhe_psk(w: &mut Writer<'_>, hint: &[u8], params: &[u8]) -> Result<(), Error> {
    w.vec16(hint)?;
    w.put(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psk_hint() {
        assert_eq!(parse_psk(&[0, 0]).unwrap(), b"");
        assert!(parse_psk(&[0]).is_err());
    }

    #[cfg(feature = "ecc")]
    #[test]
    fn ecdhe_parameters() {
        let ske = [3, 0, 23, 2, 4, 9, 4, 3, 0, 1, 0x55];
        let p = parse_ecdhe(&ske).unwrap();
        assert_eq!((p.params, p.point, p.sig_alg, p.signature), (&ske[..6], &[4u8, 9][..], 0x0403, &[0x55u8][..]));
        assert!(parse_ecdhe(&[1, 0, 23, 0, 4, 3, 0, 0]).is_err(), "explicit curve");
        assert_eq!(parse_ecdhe(&[3, 0, 24, 0, 4, 3, 0, 0]).err(), Some(Error::Unsupported));
        for cut in 0..ske.len() {
            assert!(parse_ecdhe(&ske[..cut]).is_err());
        }
    }

    #[cfg(feature = "ecdhe-psk")]
    #[test]
    fn ecdhe_psk_parameters() {
        let ske = [0, 2, b'h', b'i', 3, 0, 23, 2, 4, 9];
        assert_eq!(parse_ecdhe_psk(&ske).unwrap(), (&b"hi"[..], &[4u8, 9][..]));
        assert_eq!(parse_ecdhe_psk(&[0, 0, 3, 0, 24, 1, 4]).err(), Some(Error::Unsupported));
        assert!(parse_ecdhe_psk(&[0, 0, 1, 0, 23, 1, 4]).is_err(), "explicit curve");
        for cut in 0..ske.len() {
            assert!(parse_ecdhe_psk(&ske[..cut]).is_err(), "cut {cut}");
        }
        let mut long = ske.to_vec();
        long.push(0);
        assert!(parse_ecdhe_psk(&long).is_err(), "trailing byte");
    }
}
