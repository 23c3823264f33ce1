//! P-256 (secp256r1) for ECDHE and ECDSA with SHA-256 (RFC 8422, RFC 7251),
//! the SubjectPublicKeyInfo writer and the DER signature codec (the
//! SPKI, certificate and private-key walkers are in `auth::x509::der`).
//!
//! Built on RustCrypto's `p256` (constant-time field and scalar
//! arithmetic) with deterministic RFC 6979 signatures, so signing never
//! depends on the RNG callback. Every private scalar handled here is
//! zeroized by its owner.

use ecdsa::hazmat::{bits2field, SignPrimitive, VerifyPrimitive};
use p256::elliptic_curve::ff::Field;
use p256::elliptic_curve::point::AffineCoordinates;
use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use p256::elliptic_curve::PrimeField;
use p256::{AffinePoint, EncodedPoint, FieldBytes, NistP256, ProjectivePoint, Scalar};
use zeroize::Zeroize;

use crate::codec::{Reader, Writer};
use crate::error::Error;

/// Length of an uncompressed SEC1 point (0x04 || X || Y).
pub const POINT_LEN: usize = 65;
/// Length of a P-256 private scalar.
pub const SCALAR_LEN: usize = 32;
/// Length of a P-256 SubjectPublicKeyInfo with an uncompressed point.
pub const SPKI_LEN: usize = 91;
/// Longest DER ECDSA-P256 signature.
pub const MAX_SIG_LEN: usize = 72;

/// DER prefix of a P-256 SubjectPublicKeyInfo (id-ecPublicKey, prime256v1,
/// BIT STRING of 66 bytes holding an uncompressed point).
pub const SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
fn scalar_from(bytes: &[u8; SCALAR_LEN]) -> Option<Scalar> {
    let s: Option<Scalar> = Scalar::from_repr(FieldBytes::clone_from_slice(bytes)).into();
    s.filter(|s| !bool::from(s.is_zero()))
}

fn point_from(point: &[u8]) -> Result<AffinePoint, Error> {
    if point.len() != POINT_LEN || point.first() != Some(&0x04) {
        return Err(Error::Decode);
    }
    let ep = EncodedPoint::from_bytes(point).map_err(|_| Error::Decode)?;
    // Rejects coordinates that are not on the curve.
    Option::<AffinePoint>::from(AffinePoint::from_encoded_point(&ep)).ok_or(Error::Decode)
}

fn encode_point(p: &AffinePoint, out: &mut [u8; POINT_LEN]) -> Result<(), Error> {
    let ep = p.to_encoded_point(false);
    let b = ep.as_bytes();
    if b.len() != POINT_LEN {
        return Err(Error::Internal);
    }
    out.copy_from_slice(b);
    Ok(())
}

/// True if `scalar` is a valid private key (1 <= d < n).
pub fn valid_scalar(scalar: &[u8; SCALAR_LEN]) -> bool {
    scalar_from(scalar).is_some()
}

/// The public point of a private scalar.
pub fn public_point(scalar: &[u8; SCALAR_LEN], out: &mut [u8; POINT_LEN]) -> Result<(), Error> {
    let d = scalar_from(scalar).ok_or(Error::InvalidArgument)?;
    encode_point(&(ProjectivePoint::GENERATOR * d).to_affine(), out)
}

/// Generate an ephemeral key pair from `rng` (rejection sampling).
pub fn generate(
    rng: &mut dyn FnMut(&mut [u8]) -> Result<(), Error>,
    scalar: &mut [u8; SCALAR_LEN],
    point: &mut [u8; POINT_LEN],
) -> Result<(), Error> {
    for _ in 0..8 {
        rng(scalar)?;
        if valid_scalar(scalar) {
            return public_point(scalar, point);
        }
    }
    scalar.zeroize();
    Err(Error::Rng)
}

/// Check that `point` is an uncompressed point on P-256.
pub fn validate_point(point: &[u8]) -> Result<(), Error> {
    point_from(point).map(|_| ())
}

/// ECDH: the x coordinate of `scalar * peer` (the premaster secret).
pub fn ecdh(scalar: &[u8; SCALAR_LEN], peer: &[u8], out: &mut [u8; 32]) -> Result<(), Error> {
    let d = scalar_from(scalar).ok_or(Error::Internal)?;
    let p = point_from(peer)?;
    let shared = (ProjectivePoint::from(p) * d).to_affine();
    if bool::from(shared.is_identity()) {
        return Err(Error::Decode);
    }
    out.copy_from_slice(&shared.x());
    Ok(())
}

/// Deterministic (RFC 6979) ECDSA over a SHA-256 `hash`; writes the DER
/// signature to `out` and returns its length.
pub fn sign(scalar: &[u8; SCALAR_LEN], hash: &[u8; 32], out: &mut [u8]) -> Result<usize, Error> {
    let d = scalar_from(scalar).ok_or(Error::InvalidArgument)?;
    let z = bits2field::<NistP256>(hash).map_err(|_| Error::Internal)?;
    let (sig, _) = d.try_sign_prehashed_rfc6979::<sha2::Sha256>(&z, &[]).map_err(|_| Error::Internal)?;
    let (r, s) = sig.split_bytes();
    der_signature(&r.into(), &s.into(), out)
}

/// Verify a DER ECDSA signature over a SHA-256 `hash` with the public `point`.
pub fn verify(point: &[u8], hash: &[u8; 32], der: &[u8]) -> Result<(), Error> {
    let p = point_from(point)?;
    let (r, s) = parse_der_signature(der)?;
    let sig = ecdsa::Signature::<NistP256>::from_scalars(r, s).map_err(|_| Error::Decode)?;
    let z = bits2field::<NistP256>(hash).map_err(|_| Error::Internal)?;
    p.verify_prehashed(&z, &sig).map_err(|_| Error::Decode)
}

fn der_integer(w: &mut Writer<'_>, v: &[u8; 32]) -> Result<(), Error> {
    let first = v.iter().position(|&b| b != 0).unwrap_or(31);
    let body = v.get(first..).ok_or(Error::Internal)?;
    let pad = body.first().is_some_and(|b| b & 0x80 != 0);
    w.u8(0x02)?;
    w.u8((body.len() + usize::from(pad)) as u8)?;
    if pad {
        w.u8(0)?;
    }
    w.put(body)
}

fn der_signature(r: &[u8; 32], s: &[u8; 32], out: &mut [u8]) -> Result<usize, Error> {
    let mut w = Writer::new(out);
    w.u8(0x30)?;
    let m = w.begin_len(1)?;
    der_integer(&mut w, r)?;
    der_integer(&mut w, s)?;
    w.end_len(m)?;
    Ok(w.len())
}

fn parse_der_integer(r: &mut Reader<'_>) -> Result<[u8; 32], Error> {
    if r.u8()? != 0x02 {
        return Err(Error::Decode);
    }
    let body = r.vec8()?;
    let (&first, rest) = body.split_first().ok_or(Error::Decode)?;
    // Positive and minimally encoded.
    if first & 0x80 != 0 || (first == 0 && rest.first().is_none_or(|b| b & 0x80 == 0)) {
        return Err(Error::Decode);
    }
    let digits = if first == 0 { rest } else { body };
    if digits.len() > 32 {
        return Err(Error::Decode);
    }
    let mut out = [0u8; 32];
    out.get_mut(32 - digits.len()..).ok_or(Error::Decode)?.copy_from_slice(digits);
    Ok(out)
}

/// A signature made elsewhere (a secure element), given as DER or as raw
/// `r || s` (64 bytes, big-endian), checked for form (strict DER, both
/// scalars in 1..n-1) and written as canonical DER to `out`; returns its
/// length. Whether it verifies under our key is for the peer to find.
pub fn external_signature(sig: &[u8], raw: bool, out: &mut [u8]) -> Result<usize, Error> {
    let (r, s) = if raw {
        let (r, s) = sig.split_at_checked(32).ok_or(Error::Decode)?;
        (<[u8; 32]>::try_from(r).map_err(|_| Error::Decode)?, <[u8; 32]>::try_from(s).map_err(|_| Error::Decode)?)
    } else {
        parse_der_signature(sig)?
    };
    if scalar_from(&r).is_none() || scalar_from(&s).is_none() {
        return Err(Error::Decode);
    }
    der_signature(&r, &s, out)
}

/// Parse a DER ECDSA signature (strict DER) into (r, s).
pub fn parse_der_signature(der: &[u8]) -> Result<([u8; 32], [u8; 32]), Error> {
    let mut r = Reader::new(der);
    if r.u8()? != 0x30 {
        return Err(Error::Decode);
    }
    let body = r.vec8()?;
    r.finish()?;
    if body.len() >= 0x80 {
        return Err(Error::Decode);
    }
    let mut b = Reader::new(body);
    let rr = parse_der_integer(&mut b)?;
    let ss = parse_der_integer(&mut b)?;
    b.finish()?;
    Ok((rr, ss))
}

/// Write the SubjectPublicKeyInfo of `point` (91 bytes).
pub fn spki(point: &[u8; POINT_LEN], out: &mut [u8; SPKI_LEN]) {
    let (a, b) = out.split_at_mut(SPKI_PREFIX.len());
    a.copy_from_slice(&SPKI_PREFIX);
    b.copy_from_slice(point);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> std::vec::Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn public_key_and_rfc6979_known_answer() {
        // RFC 6979 A.2.5, P-256 with SHA-256, message "sample".
        let d: [u8; 32] = hex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721").try_into().unwrap();
        let mut q = [0u8; 65];
        public_point(&d, &mut q).unwrap();
        assert_eq!(&q[1..33], &hex("60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6")[..]);
        let h = crate::crypto::sha256::sha256(&[b"sample"]);
        let mut sig = [0u8; 72];
        let n = sign(&d, &h, &mut sig).unwrap();
        let (r, s) = parse_der_signature(&sig[..n]).unwrap();
        assert_eq!(r.to_vec(), hex("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"));
        assert_eq!(s.to_vec(), hex("F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"));
        verify(&q, &h, &sig[..n]).unwrap();
        let h2 = crate::crypto::sha256::sha256(&[b"other"]);
        assert!(verify(&q, &h2, &sig[..n]).is_err());
    }

    #[test]
    fn ecdh_agrees_and_bad_points_fail() {
        let a = [0x11u8; 32];
        let b = [0x22u8; 32];
        let (mut pa, mut pb) = ([0u8; 65], [0u8; 65]);
        public_point(&a, &mut pa).unwrap();
        public_point(&b, &mut pb).unwrap();
        let (mut s1, mut s2) = ([0u8; 32], [0u8; 32]);
        ecdh(&a, &pb, &mut s1).unwrap();
        ecdh(&b, &pa, &mut s2).unwrap();
        assert_eq!(s1, s2);
        let mut off = pb;
        off[64] ^= 1; // not on the curve
        assert!(ecdh(&a, &off, &mut s1).is_err());
        assert!(ecdh(&a, &pb[..64], &mut s1).is_err());
        let mut compressed = pb;
        compressed[0] = 0x02;
        assert!(ecdh(&a, &compressed, &mut s1).is_err());
        assert!(ecdh(&a, &[0u8; 65], &mut s1).is_err());
        assert!(!valid_scalar(&[0u8; 32]));
        assert!(!valid_scalar(&[0xffu8; 32]));
    }

    #[test]
    fn der_signatures_are_strict() {
        assert!(parse_der_signature(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]).is_ok());
        assert!(parse_der_signature(&[0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01]).is_err(), "negative");
        assert!(parse_der_signature(&[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01]).is_err(), "non-minimal");
        assert!(parse_der_signature(&[0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00]).is_err(), "length");
        assert!(parse_der_signature(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00]).is_err(), "trailing");
        assert!(parse_der_signature(&[]).is_err());
    }
}
