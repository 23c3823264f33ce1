#![cfg(feature = "cert-url")]
//! Client certificate URLs (RFC 6066 section 5): the CertificateURL codec
//! (every malformed form refused with its alert), our SHA-1 and writer
//! against the independent known answers of tests/vectors/cert_url_vectors.py.

use nanodtls::alert;
use nanodtls::crypto::sha1;
use nanodtls::handshake::msg::certificate_url::{self as cu, UrlAndHash};

fn pki(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/pki/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run tests/pki/gen.sh)"))
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// The `key = value` lines of the vector file.
fn vectors() -> Vec<(String, String)> {
    include_str!("vectors/cert_url_vectors.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = ").map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

#[test]
fn sha1_and_message_match_the_independent_vectors() {
    let v = vectors();
    let get = |k: &str| v.iter().find(|(key, _)| key == k).map(|(_, x)| x.clone()).unwrap();
    let leaf = pki("client-eui.der");
    let int = pki("int.der");
    assert_eq!(sha1::sha1(&leaf).to_vec(), unhex(&get("sha1 client-eui.der")));
    assert_eq!(sha1::sha1(&int).to_vec(), unhex(&get("sha1 int.der")));
    let urls: Vec<Vec<u8>> = v.iter().filter(|(k, _)| k == "url").map(|(_, u)| u.as_bytes().to_vec()).collect();
    assert_eq!(urls.len(), 2);
    let chain: Vec<u8> = [leaf.clone(), int].concat();
    let mut buf = [0u8; 256];
    let mut w = nanodtls::codec::Writer::new(&mut buf);
    cu::write(&mut w, &chain, &|i| urls.get(i).map(|u| u.as_slice())).unwrap();
    let want = unhex(&get("certificate_url"));
    assert_eq!(w.written(), &want[..]);
    let p = cu::parse(&want, 3).unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(p.get(0).unwrap(), UrlAndHash { url: &urls[0], hash: &sha1::sha1(&leaf) });
}

fn entry(url: &[u8], pad: u8) -> Vec<u8> {
    let mut v = (url.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(url);
    v.push(pad);
    v.extend_from_slice(&[0x5a; 20]);
    v
}

fn message(t: u8, entries: &[Vec<u8>]) -> Vec<u8> {
    let list = entries.concat();
    let mut v = vec![t];
    v.extend_from_slice(&(list.len() as u16).to_be_bytes());
    v.extend_from_slice(&list);
    v
}

fn refused(body: &[u8], max: usize) -> u8 {
    cu::parse(body, max).err().expect("must be refused")
}

#[test]
fn malformed_certificate_url_is_refused_with_its_alert() {
    let good = message(0, &[entry(b"http://h/leaf", 1), entry(b"http://h/int", 1)]);
    assert_eq!(cu::parse(&good, 3).unwrap().len(), 2);
    // Truncated anywhere.
    for n in 0..good.len() {
        assert_eq!(refused(&good[..n], 3), alert::DECODE_ERROR, "cut at {n}");
    }
    // Trailing bytes.
    let mut t = good.clone();
    t.push(1);
    assert_eq!(refused(&t, 3), alert::DECODE_ERROR);
    // List length overlong and short.
    let mut t = good.clone();
    t[2] += 1;
    assert_eq!(refused(&t, 3), alert::DECODE_ERROR);
    t[2] -= 2;
    assert_eq!(refused(&t, 3), alert::DECODE_ERROR);
    // URL length overlong and short.
    let mut t = message(0, &[entry(b"abc", 1)]);
    t[4] = 4;
    assert_eq!(refused(&t, 3), alert::DECODE_ERROR);
    t[4] = 2;
    assert_eq!(refused(&t, 3), alert::DECODE_ERROR);
    t[3] = 0xff;
    assert_eq!(refused(&t, 3), alert::DECODE_ERROR);
    // Padding must be 0x01.
    for pad in [0u8, 2, 0x80, 0xff] {
        assert_eq!(refused(&message(0, &[entry(b"u", pad)]), 3), alert::DECODE_ERROR, "pad {pad}");
    }
    // Empty list; zero-length URL.
    assert_eq!(refused(&[0, 0, 0], 3), alert::DECODE_ERROR);
    assert_eq!(refused(&message(0, &[entry(b"", 1)]), 3), alert::DECODE_ERROR);
    // More URLs than the knob (NANODTLS_MAX_CERT_CHAIN in the engine).
    let many: Vec<Vec<u8>> = (0..4).map(|i| entry(&[b'a' + i], 1)).collect();
    assert_eq!(refused(&message(0, &many), 3), alert::UNKNOWN_CA);
    assert_eq!(cu::parse(&message(0, &many), 4).unwrap().len(), 4);
    // pkipath is refused as a certificate form we do not handle; other types.
    assert_eq!(refused(&message(1, &[entry(b"u", 1)]), 3), alert::UNSUPPORTED_CERTIFICATE);
    assert_eq!(refused(&message(7, &[entry(b"u", 1)]), 3), alert::ILLEGAL_PARAMETER);
}
