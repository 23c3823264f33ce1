//! CertificateVerify (RFC 5246 7.4.8): the client's signature over the
//! handshake transcript.

use crate::codec::{Reader, Writer};
use crate::error::Error;
use crate::handshake::ext::ec::ECDSA_SHA256;

/// Parse CertificateVerify: (algorithm, DER signature).
pub fn parse(body: &[u8]) -> Result<(u16, &[u8]), Error> {
    let mut r = Reader::new(body);
    let alg = r.u16()?;
    let sig = r.vec16()?;
    r.finish()?;
    Ok((alg, sig))
}

/// Write ours: ecdsa_secp256r1_sha256 and the DER signature.
pub(crate) fn write(w: &mut Writer<'_>, signature: &[u8]) -> Result<(), Error> {
    w.u16(ECDSA_SHA256)?;
    w.vec16(signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_algorithm_and_signature() {
        assert_eq!(parse(&[4, 3, 0, 1, 7]).unwrap(), (0x0403, &[7u8][..]));
        assert!(parse(&[4, 3, 0, 2, 7]).is_err());
    }
}
