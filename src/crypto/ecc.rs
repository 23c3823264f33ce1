//! P-256 (secp256r1) for ECDHE and ECDSA with SHA-256 (RFC 8422, RFC 7251),
//! the SubjectPublicKeyInfo writer and the DER signature codec (the
//! SPKI, certificate and private-key walkers are in `auth::x509::der`).
//!
//! Field and scalar arithmetic are RustCrypto's `p256` (constant-time);
//! the group operations and scalar multiplications are ours
//! (`super::ec_point`: small stack frames, a generator table in flash).
//! Signatures are deterministic (RFC 6979, with the crate's HMAC-SHA256),
//! so signing never depends on the RNG callback. Every private scalar
//! handled here is zeroized by its owner; temporaries derived from one
//! (nonce, its inverse, intermediate points) are zeroized here.

use p256::elliptic_curve::ff::Field;
use p256::elliptic_curve::ops::{Invert, Reduce};
use p256::elliptic_curve::PrimeField;
use p256::{FieldBytes, Scalar, U256};
use zeroize::{Zeroize, Zeroizing};

use crate::codec::{Reader, Writer};
use crate::crypto::ec_point::{self, Affine, Point};
use crate::crypto::prf::HmacSha256;
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

/// A 32-byte string reduced mod n (bits2int then mod n for SHA-256 and
/// P-256, SEC 1 4.1.3 step 5 / RFC 6979 2.3.2).
fn reduce(bytes: &[u8; 32]) -> Scalar {
    <Scalar as Reduce<U256>>::reduce_bytes(FieldBytes::from_slice(bytes))
}

#[inline(never)]
fn point_from(point: &[u8]) -> Result<Affine, Error> {
    let (Some((&0x04, xy)), POINT_LEN) = (point.split_first(), point.len()) else {
        return Err(Error::Decode);
    };
    let (x, y) = xy.split_at_checked(32).ok_or(Error::Decode)?;
    let (x, y): (&[u8; 32], &[u8; 32]) =
        (x.try_into().map_err(|_| Error::Decode)?, y.try_into().map_err(|_| Error::Decode)?);
    // Rejects coordinates >= p and points that are not on the curve.
    Affine::from_coordinates(x, y).ok_or(Error::Decode)
}

fn encode_point(p: &Point, out: &mut [u8; POINT_LEN]) -> Result<(), Error> {
    let a = p.affine().ok_or(Error::Internal)?;
    let (head, xy) = out.split_at_mut(1);
    let (x, y) = xy.split_at_mut(32);
    head.copy_from_slice(&[0x04]);
    x.copy_from_slice(&a.x.to_bytes());
    y.copy_from_slice(&a.y.to_bytes());
    Ok(())
}

/// True if `scalar` is a valid private key (1 <= d < n).
pub fn valid_scalar(scalar: &[u8; SCALAR_LEN]) -> bool {
    scalar_from(scalar).is_some()
}

/// The public point of a private scalar.
pub fn public_point(scalar: &[u8; SCALAR_LEN], out: &mut [u8; POINT_LEN]) -> Result<(), Error> {
    scalar_from(scalar).ok_or(Error::InvalidArgument)?;
    let mut q = ec_point::mul_gen(scalar);
    let r = encode_point(&q, out);
    q.zeroize();
    r
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
    scalar_from(scalar).ok_or(Error::Internal)?;
    let p = point_from(peer)?;
    let mut q = ec_point::mul(&p, scalar);
    // The identity cannot come out of a point of prime order and 0 < d < n.
    let r = match q.affine() {
        Some(mut a) => {
            out.copy_from_slice(&a.x.to_bytes());
            a.x.zeroize();
            a.y.zeroize();
            Ok(())
        }
        None => Err(Error::Decode),
    };
    q.zeroize();
    r
}

/// The RFC 6979 (section 3.2) nonce for the private key `x` and the
/// reduced hash `h` (both 32 bytes, big-endian), with HMAC-SHA256: the
/// first candidate in 1..n-1.
fn rfc6979_nonce(x: &[u8; 32], h: &[u8; 32], k: &mut [u8; 32]) -> Result<(), Error> {
    let mut v = Zeroizing::new([0x01u8; 32]);
    let mut key = Zeroizing::new([0x00u8; 32]);
    for sep in [0x00u8, 0x01] {
        *key = HmacSha256::new(&key[..]).mac(&[&v[..], &[sep], x, h]);
        *v = HmacSha256::new(&key[..]).mac(&[&v[..]]);
    }
    for _ in 0..16 {
        let mac = HmacSha256::new(&key[..]);
        *v = mac.mac(&[&v[..]]);
        if valid_scalar(&v) {
            k.copy_from_slice(&v[..]);
            return Ok(());
        }
        *key = mac.mac(&[&v[..], &[0x00]]);
        *v = HmacSha256::new(&key[..]).mac(&[&v[..]]);
    }
    Err(Error::Internal)
}

/// Deterministic (RFC 6979) ECDSA over a SHA-256 `hash`; writes the DER
/// signature to `out` and returns its length.
pub fn sign(scalar: &[u8; SCALAR_LEN], hash: &[u8; 32], out: &mut [u8]) -> Result<usize, Error> {
    let d = Zeroizing::new(scalar_from(scalar).ok_or(Error::InvalidArgument)?);
    let z = reduce(hash);
    let mut k = Zeroizing::new([0u8; 32]);
    rfc6979_nonce(scalar, &z.to_repr().into(), &mut k)?;
    let kk = Zeroizing::new(scalar_from(&k).ok_or(Error::Internal)?);
    let mut big_r = ec_point::mul_gen(&k);
    let rx = big_r.affine().map(|a| a.x.to_bytes());
    big_r.zeroize();
    let r = reduce(&rx.ok_or(Error::Internal)?.into());
    let kinv = Zeroizing::new(Option::<Scalar>::from(kk.invert()).ok_or(Error::Internal)?);
    let s = *kinv * (z + r * *d);
    if bool::from(r.is_zero() | s.is_zero()) {
        return Err(Error::Internal);
    }
    der_signature(&r.to_repr().into(), &s.to_repr().into(), out)
}

/// Verify a DER ECDSA signature over a SHA-256 `hash` with the public `point`
/// (SEC 1 4.1.4; everything here is public, so the inversion is
/// variable-time).
pub fn verify(point: &[u8], hash: &[u8; 32], der: &[u8]) -> Result<(), Error> {
    let q = point_from(point)?;
    let [u1, u2, r] = verify_scalars(hash, der)?;
    if verify_points(&q, &u1, &u2, &r) {
        Ok(())
    } else {
        Err(Error::Decode)
    }
}

/// u1 = z / s, u2 = r / s and r of a DER signature, each in 1..n-1 (r and
/// s checked). Not inlined: its temporaries are gone before the points
/// are multiplied.
#[inline(never)]
fn verify_scalars(hash: &[u8; 32], der: &[u8]) -> Result<[[u8; 32]; 3], Error> {
    let (r, s) = parse_der_signature(der)?;
    let (r, s) = (scalar_from(&r).ok_or(Error::Decode)?, scalar_from(&s).ok_or(Error::Decode)?);
    let sinv = Option::<Scalar>::from(s.invert_vartime()).ok_or(Error::Decode)?;
    Ok([(reduce(hash) * sinv).to_repr().into(), (r * sinv).to_repr().into(), r.to_repr().into()])
}

/// x(u1 G + u2 Q) mod n == r. Not inlined: the decoding and scalar
/// temporaries of `verify` stay out of the deepest call chain.
#[inline(never)]
fn verify_points(q: &Affine, u1: &[u8; 32], u2: &[u8; 32], r: &[u8; 32]) -> bool {
    let sum = ec_point::mul_gen(u1).add(&ec_point::mul(q, u2));
    match sum.affine() {
        Some(a) => reduce(&a.x.to_bytes().into()).to_repr().as_slice() == r.as_slice(),
        None => false,
    }
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

    /// p256's own ECDSA (RustCrypto `ecdsa` 0.16, RFC 6979), the reference.
    fn reference_sign(d: &[u8; 32], h: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
        use ecdsa::hazmat::{bits2field, SignPrimitive};
        let d = scalar_from(d).unwrap();
        let z = bits2field::<p256::NistP256>(h).unwrap();
        let (sig, _) = d.try_sign_prehashed_rfc6979::<sha2::Sha256>(&z, &[]).unwrap();
        let (r, s) = sig.split_bytes();
        (r.into(), s.into())
    }

    fn reference_verify(q: &[u8], h: &[u8; 32], r: &[u8; 32], s: &[u8; 32]) -> bool {
        use ecdsa::hazmat::{bits2field, VerifyPrimitive};
        use p256::elliptic_curve::sec1::FromEncodedPoint;
        let Ok(ep) = p256::EncodedPoint::from_bytes(q) else { return false };
        let Some(p) = Option::<p256::AffinePoint>::from(p256::AffinePoint::from_encoded_point(&ep)) else {
            return false;
        };
        let Ok(sig) =
            ecdsa::Signature::<p256::NistP256>::from_scalars(*FieldBytes::from_slice(r), *FieldBytes::from_slice(s))
        else {
            return false;
        };
        p.verify_prehashed(&bits2field::<p256::NistP256>(h).unwrap(), &sig).is_ok()
    }

    fn n() -> [u8; 32] {
        hex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551").try_into().unwrap()
    }

    #[test]
    fn signatures_with_a_hash_above_n_and_edge_keys() {
        // Hashes >= n are reduced (bits2int mod n); keys 1 and n - 1. The
        // nonce's HMAC input is the reduced hash (RFC 6979 3.2 d:
        // bits2octets(h1)); ecdsa 0.16 feeds the unreduced one, so it is
        // given the reduced hash (the same z) to be the reference.
        let mut n_minus_1 = n();
        n_minus_1[31] -= 1;
        let mut one = [0u8; 32];
        one[31] = 1;
        for d in [one, n_minus_1, [0x5a; 32]] {
            for h in [[0xff; 32], n(), [0u8; 32], [0x11; 32]] {
                let mut sig = [0u8; 72];
                let len = sign(&d, &h, &mut sig).unwrap();
                let (r, s) = parse_der_signature(&sig[..len]).unwrap();
                assert_eq!((r, s), reference_sign(&d, &reduce(&h).to_repr().into()));
                let mut q = [0u8; 65];
                public_point(&d, &mut q).unwrap();
                verify(&q, &h, &sig[..len]).unwrap();
                assert!(reference_verify(&q, &h, &r, &s));
            }
        }
    }

    #[test]
    fn forged_signatures_and_keys_are_refused() {
        let d = [0x42u8; 32];
        let mut q = [0u8; 65];
        public_point(&d, &mut q).unwrap();
        let h = crate::crypto::sha256::sha256(&[b"forged"]);
        let mut sig = [0u8; 72];
        let len = sign(&d, &h, &mut sig).unwrap();
        let (r, s) = parse_der_signature(&sig[..len]).unwrap();
        let mut der = [0u8; 80];
        let mut check = |r: &[u8; 32], s: &[u8; 32], q: &[u8]| {
            let l = der_signature(r, s, &mut der).unwrap();
            let ours = verify(q, &h, &der[..l]).is_ok();
            assert_eq!(ours, reference_verify(q, &h, r, s), "r {r:02x?} s {s:02x?}");
            ours
        };
        assert!(check(&r, &s, &q));
        // r or s zero, n, n + r (not reduced), or swapped.
        let zero = [0u8; 32];
        assert!(!check(&zero, &s, &q));
        assert!(!check(&r, &zero, &q));
        assert!(!check(&n(), &s, &q));
        assert!(!check(&r, &n(), &q));
        assert!(!check(&s, &r, &q));
        // ECDSA accepts (r, n - s) too (no low-s rule in TLS); both
        // verifiers must agree.
        let neg_s: [u8; 32] = (-scalar_from(&s).unwrap()).to_repr().into();
        assert!(check(&r, &neg_s, &q));
        // Every single-bit flip of r and s fails.
        for i in 0..256 {
            let (mut r2, mut s2) = (r, s);
            r2[i / 8] ^= 1 << (i % 8);
            s2[i / 8] ^= 1 << (i % 8);
            assert!(!check(&r2, &s, &q));
            assert!(!check(&r, &s2, &q));
        }
        // Another key, a point off the curve, a coordinate >= p, the
        // truncated and compressed forms.
        let mut other = [0u8; 65];
        public_point(&[0x43u8; 32], &mut other).unwrap();
        assert!(!check(&r, &s, &other));
        let mut off = q;
        off[64] ^= 1;
        assert!(!check(&r, &s, &off));
        let mut big = q;
        big[1..33].copy_from_slice(&[0xff; 32]);
        assert!(!check(&r, &s, &big));
        assert!(verify(&q[..64], &h, &sig[..len]).is_err());
        let mut comp = q;
        comp[0] = 0x02;
        assert!(verify(&comp, &h, &sig[..len]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn random_signatures_match_p256_ecdsa(d in proptest::array::uniform32(proptest::num::u8::ANY),
                                              h in proptest::array::uniform32(proptest::num::u8::ANY)) {
            if valid_scalar(&d) {
                let mut sig = [0u8; 72];
                let len = sign(&d, &h, &mut sig).unwrap();
                let (r, s) = parse_der_signature(&sig[..len]).unwrap();
                proptest::prop_assert_eq!((r, s), reference_sign(&d, &h));
                let mut q = [0u8; 65];
                public_point(&d, &mut q).unwrap();
                proptest::prop_assert!(verify(&q, &h, &sig[..len]).is_ok());
                let mut h2 = h;
                h2[0] ^= 0x80;
                proptest::prop_assert!(verify(&q, &h2, &sig[..len]).is_err());
            }
        }

        #[test]
        fn random_ecdh_matches_p256(a in proptest::array::uniform32(proptest::num::u8::ANY),
                                    b in proptest::array::uniform32(proptest::num::u8::ANY)) {
            use p256::elliptic_curve::point::AffineCoordinates;
            if valid_scalar(&a) && valid_scalar(&b) {
                let mut pb = [0u8; 65];
                public_point(&b, &mut pb).unwrap();
                let mut s = [0u8; 32];
                ecdh(&a, &pb, &mut s).unwrap();
                let want = (p256::ProjectivePoint::GENERATOR * (scalar_from(&a).unwrap() * scalar_from(&b).unwrap()))
                    .to_affine()
                    .x();
                proptest::prop_assert_eq!(&s[..], &want[..]);
            }
        }
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
