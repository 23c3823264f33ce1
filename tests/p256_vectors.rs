//! P-256 known answers (tests/vectors/p256_vectors.txt, computed by
//! tests/vectors/p256_vectors.py with Python's `cryptography`, i.e.
//! OpenSSL, independently of this library): public keys of edge and
//! pseudo-random scalars, ECDH shared secrets, RFC 6979 signatures (with
//! digests of n and above too) and OpenSSL signatures with random nonces
//! that must or must not verify.
#![cfg(feature = "ecc")]

use nanodtls::crypto::ecc;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn h32(s: &str) -> [u8; 32] {
    hex(s).try_into().unwrap()
}

fn lines(kind: &str) -> Vec<Vec<String>> {
    let txt = include_str!("vectors/p256_vectors.txt");
    let v: Vec<Vec<String>> = txt
        .lines()
        .filter(|l| l.split(' ').next() == Some(kind))
        .map(|l| l.split(' ').skip(1).map(str::to_owned).collect())
        .collect();
    assert!(v.len() >= 40, "{kind}: only {} vectors", v.len());
    v
}

#[test]
fn public_keys() {
    for v in lines("pub") {
        let mut q = [0u8; 65];
        ecc::public_point(&h32(&v[0]), &mut q).unwrap();
        assert_eq!(q.to_vec(), hex(&v[1]), "d = {}", v[0]);
    }
}

#[test]
fn ecdh_shared_secrets() {
    for v in lines("ecdh") {
        let mut x = [0u8; 32];
        ecc::ecdh(&h32(&v[0]), &hex(&v[1]), &mut x).unwrap();
        assert_eq!(x.to_vec(), hex(&v[2]), "d = {}", v[0]);
        // The peer point with y negated is on the curve too, and gives the
        // same x (-(dQ) = d(-Q)); with y + 1 it is not on the curve.
        let mut p = hex(&v[1]);
        p[64] ^= 1;
        assert!(ecc::ecdh(&h32(&v[0]), &p, &mut x).is_err());
    }
}

#[test]
fn rfc6979_signatures() {
    for v in lines("sign") {
        let mut sig = [0u8; ecc::MAX_SIG_LEN];
        let n = ecc::sign(&h32(&v[0]), &h32(&v[1]), &mut sig).unwrap();
        let (r, s) = ecc::parse_der_signature(&sig[..n]).unwrap();
        assert_eq!((r.to_vec(), s.to_vec()), (hex(&v[2]), hex(&v[3])), "d = {} digest {}", v[0], v[1]);
    }
}

#[test]
fn signatures_verify_as_openssl_says() {
    let (mut good, mut bad) = (0, 0);
    for v in lines("verify") {
        let raw = [hex(&v[2]), hex(&v[3])].concat();
        let mut der = [0u8; ecc::MAX_SIG_LEN];
        let n = ecc::external_signature(&raw, true, &mut der).unwrap();
        let ok = ecc::verify(&hex(&v[0]), &h32(&v[1]), &der[..n]).is_ok();
        assert_eq!(ok, v[4] == "1", "{v:?}");
        if ok {
            good += 1;
        } else {
            bad += 1;
        }
    }
    assert!(good >= 20 && bad >= 30, "{good} good, {bad} bad");
}
