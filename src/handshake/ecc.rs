//! Messages of the ECDHE_ECDSA key exchange with raw public keys:
//! Certificate (RFC 7250), ServerKeyExchange / ClientKeyExchange (RFC 8422),
//! CertificateRequest and CertificateVerify (RFC 5246).

use crate::codec::Reader;
use crate::error::Error;

/// NamedCurve secp256r1 (RFC 8422).
pub const SECP256R1: u16 = 23;
/// ECCurveType named_curve.
pub const NAMED_CURVE: u8 = 3;
/// SignatureAndHashAlgorithm ecdsa_secp256r1_sha256 (sha256 = 4, ecdsa = 3).
pub const ECDSA_SHA256: u16 = 0x0403;
/// ClientCertificateType ecdsa_sign.
pub const ECDSA_SIGN: u8 = 64;
/// Certificate type X.509 (RFC 7250).
pub const CERT_TYPE_X509: u8 = 0;
/// Certificate type RawPublicKey (RFC 7250).
pub const CERT_TYPE_RAW_PUBLIC_KEY: u8 = 2;
/// ECPointFormat uncompressed.
pub const POINT_FORMAT_UNCOMPRESSED: u8 = 0;

/// A Certificate message with a raw public key: the SubjectPublicKeyInfo,
/// or None for an empty certificate (a client without a key).
pub fn parse_certificate(body: &[u8]) -> Result<Option<&[u8]>, Error> {
    let mut r = Reader::new(body);
    let spki = r.vec24()?;
    r.finish()?;
    Ok(if spki.is_empty() { None } else { Some(spki) })
}

/// A Certificate message of type X.509: the first (leaf) certificate, or
/// None for an empty list. The rest of the chain is checked for framing only.
pub fn parse_certificate_x509(body: &[u8]) -> Result<Option<&[u8]>, Error> {
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

/// A parsed ECDHE ServerKeyExchange.
pub struct ServerKeyExchange<'a> {
    /// The ServerECDHParams bytes (covered by the signature).
    pub params: &'a [u8],
    /// The server's ephemeral point.
    pub point: &'a [u8],
    /// SignatureAndHashAlgorithm.
    pub sig_alg: u16,
    /// DER signature.
    pub signature: &'a [u8],
}

/// Parse an ECDHE ServerKeyExchange (named curve only).
pub fn parse_server_key_exchange(body: &[u8]) -> Result<ServerKeyExchange<'_>, Error> {
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
    Ok(ServerKeyExchange { params, point, sig_alg, signature })
}

/// Parse an ECDH ClientKeyExchange: the client's ephemeral point.
pub fn parse_client_key_exchange(body: &[u8]) -> Result<&[u8], Error> {
    let mut r = Reader::new(body);
    let point = r.vec8()?;
    r.finish()?;
    Ok(point)
}

/// Parse CertificateRequest; returns true if it allows an ECDSA key with SHA-256.
pub fn parse_certificate_request(body: &[u8]) -> Result<bool, Error> {
    let mut r = Reader::new(body);
    let types = r.vec8()?;
    let algs = r.vec16()?;
    let _authorities = r.vec16()?;
    r.finish()?;
    if types.is_empty() || algs.is_empty() || algs.len() % 2 != 0 {
        return Err(Error::Decode);
    }
    let ecdsa = types.contains(&ECDSA_SIGN);
    let sha256 = list16_contains(algs, ECDSA_SHA256);
    Ok(ecdsa && sha256)
}

/// Parse CertificateVerify: (algorithm, DER signature).
pub fn parse_certificate_verify(body: &[u8]) -> Result<(u16, &[u8]), Error> {
    let mut r = Reader::new(body);
    let alg = r.u16()?;
    let sig = r.vec16()?;
    r.finish()?;
    Ok((alg, sig))
}

/// True if a u16 list (vec16 content) contains `v`.
pub fn list16_contains(list: &[u8], v: u16) -> bool {
    crate::codec::u16s(list).any(|x| x == v)
}

/// Content of a supported_groups or signature_algorithms extension (a
/// vec16 of u16), validated.
pub fn ext_list16(data: &[u8]) -> Result<&[u8], Error> {
    let mut r = Reader::new(data);
    let l = r.vec16()?;
    r.finish()?;
    if l.is_empty() || l.len() % 2 != 0 {
        return Err(Error::Decode);
    }
    Ok(l)
}

/// Content of an ec_point_formats or client-side certificate type
/// extension (a vec8 of u8), validated.
pub fn ext_list8(data: &[u8]) -> Result<&[u8], Error> {
    let mut r = Reader::new(data);
    let l = r.vec8()?;
    r.finish()?;
    if l.is_empty() {
        return Err(Error::Decode);
    }
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_and_key_exchange_parsing() {
        assert_eq!(parse_certificate(&[0, 0, 0]).unwrap(), None);
        assert_eq!(parse_certificate(&[0, 0, 2, 1, 2]).unwrap(), Some(&[1u8, 2][..]));
        assert!(parse_certificate(&[0, 0, 3, 1, 2]).is_err());
        assert!(parse_certificate(&[0, 0, 1, 1, 2]).is_err());
        let ske = [3, 0, 23, 2, 4, 9, 4, 3, 0, 1, 0x55];
        let p = parse_server_key_exchange(&ske).unwrap();
        assert_eq!((p.params, p.point, p.sig_alg, p.signature), (&ske[..6], &[4u8, 9][..], 0x0403, &[0x55u8][..]));
        assert!(parse_server_key_exchange(&[1, 0, 23, 0, 4, 3, 0, 0]).is_err(), "explicit curve");
        assert_eq!(parse_server_key_exchange(&[3, 0, 24, 0, 4, 3, 0, 0]).err(), Some(Error::Unsupported));
        for cut in 0..ske.len() {
            assert!(parse_server_key_exchange(&ske[..cut]).is_err());
        }
        assert!(parse_certificate_request(&[1, 64, 0, 2, 4, 3, 0, 0]).unwrap());
        assert!(!parse_certificate_request(&[1, 1, 0, 2, 4, 3, 0, 0]).unwrap());
        assert!(!parse_certificate_request(&[1, 64, 0, 2, 4, 1, 0, 0]).unwrap());
        assert!(parse_certificate_request(&[0, 0, 2, 4, 3, 0, 0]).is_err());
        assert_eq!(parse_certificate_verify(&[4, 3, 0, 1, 7]).unwrap(), (0x0403, &[7u8][..]));
        assert!(ext_list16(&[0, 3, 0, 23, 0]).is_err());
        assert!(ext_list8(&[0]).is_err());
    }
}
