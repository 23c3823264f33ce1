//! CertificateRequest (RFC 5246 7.4.4): we ask for, and accept, only an
//! ECDSA key with SHA-256.

use crate::codec::{Reader, Writer};
use crate::error::Error;
use crate::handshake::ext::{ec::ECDSA_SHA256, list16_contains};

/// ClientCertificateType ecdsa_sign.
pub const ECDSA_SIGN: u8 = 64;

/// Parse CertificateRequest; returns true if it allows an ECDSA key with SHA-256.
pub fn parse(body: &[u8]) -> Result<bool, Error> {
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

/// Write ours: ecdsa_sign, ecdsa_secp256r1_sha256, no certificate_authorities.
pub(crate) fn write(w: &mut Writer<'_>) -> Result<(), Error> {
    w.vec8(&[ECDSA_SIGN])?;
    w.vec16(&ECDSA_SHA256.to_be_bytes())?;
    w.vec16(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ecdsa_sha256_is_usable() {
        assert!(parse(&[1, 64, 0, 2, 4, 3, 0, 0]).unwrap());
        assert!(!parse(&[1, 1, 0, 2, 4, 3, 0, 0]).unwrap());
        assert!(!parse(&[1, 64, 0, 2, 4, 1, 0, 0]).unwrap());
        assert!(parse(&[0, 0, 2, 4, 3, 0, 0]).is_err());
    }
}
