//! DER walkers for the keys and certificates we are handed: P-256
//! SubjectPublicKeyInfo, the key inside an X.509 certificate (pinning),
//! SEC1 / PKCS#8 private keys (moved here from `crypto/ecc.rs`).

use zeroize::Zeroize;

use crate::codec::Reader;
use crate::crypto::ecc::{valid_scalar, validate_point, SCALAR_LEN, SPKI_LEN, SPKI_PREFIX};
use crate::error::Error;

/// DER of AlgorithmIdentifier { id-ecPublicKey, prime256v1 }.
const EC_ALGORITHM: [u8; 21] = [
    0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
    0x01, 0x07,
];

/// The uncompressed point inside a P-256 SubjectPublicKeyInfo, validated.
pub fn parse_spki(der: &[u8]) -> Result<&[u8], Error> {
    if der.len() != SPKI_LEN || der.get(..SPKI_PREFIX.len()) != Some(&SPKI_PREFIX[..]) {
        return Err(Error::Decode);
    }
    let point = der.get(SPKI_PREFIX.len()..).ok_or(Error::Decode)?;
    validate_point(point)?;
    Ok(point)
}

/// Read one DER TLV (definite length up to 2 length bytes).
fn der_tlv<'a>(r: &mut Reader<'a>) -> Result<(u8, &'a [u8]), Error> {
    let tag = r.u8()?;
    let first = r.u8()?;
    let len = match first {
        0..=0x7f => usize::from(first),
        0x81 => usize::from(r.u8()?),
        0x82 => usize::from(r.u16()?),
        0x83 => r.u24()? as usize,
        _ => return Err(Error::Decode),
    };
    Ok((tag, r.take(len)?))
}

/// The SubjectPublicKeyInfo (its whole DER encoding) inside an X.509
/// certificate. The structure is walked, nothing is validated: this serves
/// pinning the certificate's key, not path validation.
pub fn x509_spki(cert: &[u8]) -> Result<&[u8], Error> {
    let mut r = Reader::new(cert);
    let (t, c) = der_tlv(&mut r)?;
    if t != 0x30 || !r.is_empty() {
        return Err(Error::Decode);
    }
    let (t, tbs) = der_tlv(&mut Reader::new(c))?;
    if t != 0x30 {
        return Err(Error::Decode);
    }
    let mut tr = Reader::new(tbs);
    if tbs.first() == Some(&0xa0) {
        der_tlv(&mut tr)?; // [0] version
    }
    // serialNumber, signature, issuer, validity, subject
    for want in [0x02u8, 0x30, 0x30, 0x30, 0x30] {
        let (t, _) = der_tlv(&mut tr)?;
        if t != want {
            return Err(Error::Decode);
        }
    }
    let start = tr.position();
    let (t, _) = der_tlv(&mut tr)?;
    if t != 0x30 {
        return Err(Error::Decode);
    }
    tbs.get(start..tr.position()).ok_or(Error::Decode)
}

/// Extract the private scalar from a key as users commonly hold it: 32 raw
/// bytes, SEC1 `ECPrivateKey` DER (`openssl ecparam -genkey -outform DER`)
/// or PKCS#8 `PrivateKeyInfo` DER (`openssl pkey -outform DER`). Only
/// P-256 keys are accepted.
pub fn parse_private_key(input: &[u8], out: &mut [u8; SCALAR_LEN]) -> Result<(), Error> {
    if input.len() == SCALAR_LEN {
        out.copy_from_slice(input);
    } else {
        let mut r = Reader::new(input);
        let (tag, seq) = der_tlv(&mut r)?;
        if tag != 0x30 || !r.is_empty() {
            return Err(Error::Decode);
        }
        let mut s = Reader::new(seq);
        let (t, version) = der_tlv(&mut s)?;
        if t != 0x02 {
            return Err(Error::Decode);
        }
        match version {
            [1] => sec1_scalar(seq, out)?,
            [0] => {
                // PKCS#8: AlgorithmIdentifier must be id-ecPublicKey/prime256v1.
                let start = s.position();
                let (t, _) = der_tlv(&mut s)?;
                let alg = seq.get(start..s.position()).ok_or(Error::Decode)?;
                if t != 0x30 || alg != EC_ALGORITHM {
                    return Err(Error::Decode);
                }
                let (t, inner) = der_tlv(&mut s)?;
                if t != 0x04 {
                    return Err(Error::Decode);
                }
                let mut ir = Reader::new(inner);
                let (t, ec) = der_tlv(&mut ir)?;
                if t != 0x30 || !ir.is_empty() {
                    return Err(Error::Decode);
                }
                sec1_scalar(ec, out)?;
            }
            _ => return Err(Error::Decode),
        }
    }
    if valid_scalar(out) {
        Ok(())
    } else {
        out.zeroize();
        Err(Error::InvalidArgument)
    }
}

/// SEC1 ECPrivateKey body: version 1, privateKey OCTET STRING (32),
/// optional [0] parameters (must be prime256v1 if present), optional [1].
fn sec1_scalar(seq: &[u8], out: &mut [u8; SCALAR_LEN]) -> Result<(), Error> {
    let mut s = Reader::new(seq);
    let (t, version) = der_tlv(&mut s)?;
    if t != 0x02 || version != [1] {
        return Err(Error::Decode);
    }
    let (t, key) = der_tlv(&mut s)?;
    if t != 0x04 || key.len() != SCALAR_LEN {
        return Err(Error::Decode);
    }
    while !s.is_empty() {
        let (t, v) = der_tlv(&mut s)?;
        if t == 0xa0 && v != [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07] {
            return Err(Error::Unsupported);
        }
    }
    out.copy_from_slice(key);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::ecc::{public_point, spki};

    #[test]
    fn spki_round_trip_and_private_key_formats() {
        let d = [0x33u8; 32];
        let mut q = [0u8; 65];
        public_point(&d, &mut q).unwrap();
        let mut s = [0u8; 91];
        spki(&q, &mut s);
        assert_eq!(parse_spki(&s).unwrap(), &q[..]);
        let mut bad = s;
        bad[5] ^= 1;
        assert!(parse_spki(&bad).is_err());
        // SEC1 with parameters and public key; PKCS#8 wrapping it.
        let mut sec1 = vec![0x02, 0x01, 0x01, 0x04, 0x20];
        sec1.extend_from_slice(&d);
        sec1.extend_from_slice(&[0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);
        sec1.extend_from_slice(&[0xa1, 0x44, 0x03, 0x42, 0x00]);
        sec1.extend_from_slice(&q);
        let mut sec1_der = vec![0x30, sec1.len() as u8];
        sec1_der.extend_from_slice(&sec1);
        let mut out = [0u8; 32];
        parse_private_key(&sec1_der, &mut out).unwrap();
        assert_eq!(out, d);
        let mut p8 = vec![0x02, 0x01, 0x00];
        p8.extend_from_slice(&EC_ALGORITHM);
        p8.extend_from_slice(&[0x04, sec1_der.len() as u8]);
        p8.extend_from_slice(&sec1_der);
        let mut p8_der = vec![0x30, 0x81, p8.len() as u8];
        p8_der.extend_from_slice(&p8);
        let mut out = [0u8; 32];
        parse_private_key(&p8_der, &mut out).unwrap();
        assert_eq!(out, d);
        parse_private_key(&d, &mut out).unwrap();
        for cut in 0..p8_der.len() {
            if cut == 32 {
                continue;
            }
            assert!(parse_private_key(&p8_der[..cut], &mut out).is_err(), "cut {cut}");
        }
        assert!(parse_private_key(&[0u8; 32], &mut out).is_err());
    }
}
