//! Every handshake message and extension parser, the DER/X.509/key parsers,
//! reassembly (checked against a model), session import (checked by a
//! round trip) and cookies. The first input byte selects the parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nanodtls::auth::x509::der;
use nanodtls::codec::Reader;
use nanodtls::cookie::CookieKeys;
use nanodtls::crypto::ecc;
use nanodtls::handshake::ext::{self, Extensions};
use nanodtls::handshake::msg::client_hello::ClientHello;
use nanodtls::handshake::msg::server_hello::ServerHello;
use nanodtls::handshake::msg::{
    certificate, certificate_request, certificate_verify, client_key_exchange, finished, hello_verify_request,
    server_key_exchange,
};
use nanodtls::handshake::reassembly::{Insert, Reassembly};
use nanodtls::handshake::{self, FragmentHeader};
use nanodtls::keyex::psk;
use nanodtls::session::{self, SessionData};
use nanodtls::sizes::NANODTLS_MAX_HANDSHAKE_MSG;
use nanodtls::Error;
use nanodtls_fuzz::{test_key, Input};
use zerocopy::FromZeros;

/// Parser selectors (first input byte modulo COUNT).
mod sel {
    pub const FRAGMENTS: u8 = 0;
    pub const CLIENT_HELLO: u8 = 1;
    pub const SERVER_HELLO: u8 = 2;
    pub const HELLO_VERIFY: u8 = 3;
    pub const PSK_SKE: u8 = 4;
    pub const PSK_CKE: u8 = 5;
    pub const CERT_RPK: u8 = 6;
    pub const CERT_X509: u8 = 7;
    pub const ECDHE_SKE: u8 = 8;
    pub const ECDH_CKE: u8 = 9;
    pub const CERT_REQUEST: u8 = 10;
    pub const CERT_VERIFY: u8 = 11;
    pub const EXTENSIONS: u8 = 12;
    pub const REASSEMBLY: u8 = 13;
    pub const DER_SIGNATURE: u8 = 14;
    pub const SPKI: u8 = 15;
    pub const X509_SPKI: u8 = 16;
    pub const PRIVATE_KEY: u8 = 17;
    pub const SESSION_IMPORT: u8 = 18;
    pub const COOKIE: u8 = 19;
    pub const FINISHED_PREMASTER: u8 = 20;
    pub const COUNT: u8 = 21;
}

/// Strict DER of an INTEGER holding the unsigned big-endian `v`.
fn der_int(v: &[u8; 32]) -> Vec<u8> {
    let first = v.iter().position(|&b| b != 0).unwrap_or(31);
    let body = &v[first..];
    let pad = body[0] & 0x80 != 0;
    let mut out = vec![0x02, (body.len() + usize::from(pad)) as u8];
    if pad {
        out.push(0);
    }
    out.extend_from_slice(body);
    out
}

fn fixed_point(n: u8) -> [u8; 65] {
    let spki = nanodtls_fuzz::test_spki(n);
    let mut p = [0u8; 65];
    p.copy_from_slice(&spki[26..]);
    p
}

fn extensions(block: &[u8]) {
    let Ok(e) = Extensions::parse(block) else { return };
    let mut seen = Vec::new();
    let mut total = 0usize;
    for (t, d) in e.clone() {
        assert!(!seen.contains(&t), "duplicate extension {t} accepted");
        seen.push(t);
        total += 4 + d.len();
        assert_eq!(e.find(t), Some(d));
        let _ = ext::list16(d);
        let _ = ext::list8(d);
    }
    assert_eq!(total, block.len(), "validated extensions do not cover the block");
    assert!(seen.len() <= ext::MAX_EXTENSIONS);
}

fn client_hello(body: &[u8]) {
    let Ok(ch) = ClientHello::parse(body) else { return };
    assert!(ch.session_id.len() <= 32);
    assert!(!ch.suites.is_empty() && ch.suites.len() % 2 == 0);
    assert!(!ch.compressions.is_empty());
    // before_cookie || cookie vec8 || after_cookie is the whole body.
    assert_eq!(ch.before_cookie.len() + 1 + ch.cookie.len() + ch.after_cookie.len(), body.len());
    let _ = (ch.offers(0xC0A8), ch.offers_null_compression(), ch.supports_dtls12());
    for _ in ch.extensions.clone() {}
    // Cookies: what we issue for an address verifies for it and not for another.
    let mut k = CookieKeys::new_zeroed();
    let mut rng = |b: &mut [u8]| {
        b.fill(0x5a);
        Ok(())
    };
    k.refresh(0, 1000, &mut rng).unwrap();
    let cookie = k.issue(b"addr-1", &ch).unwrap();
    let mut with = ch.before_cookie.to_vec();
    with.push(cookie.len() as u8);
    with.extend_from_slice(&cookie);
    with.extend_from_slice(ch.after_cookie);
    let ch2 = ClientHello::parse(&with).expect("re-parse with a cookie");
    assert!(k.verify(b"addr-1", &ch2), "own cookie refused");
    assert!(!k.verify(b"addr-2", &ch2), "cookie accepted for another address");
    // The cookie binds version, random, session id, suites, compressions.
    let mut tampered = with.clone();
    tampered[2] ^= 1; // random
    if let Ok(ch3) = ClientHello::parse(&tampered) {
        assert!(!k.verify(b"addr-1", &ch3), "cookie accepted for another random");
    }
}

fn reassembly(data: &[u8]) {
    let mut r = Reassembly::new_box_zeroed().unwrap();
    let mut inp = Input::new(data);
    // Model of the current message: (seq, type, length, bytes).
    let mut model: Option<(u16, u8, u32, Vec<Option<u8>>)> = None;
    for _ in 0..64 {
        let (Some(mt), Some(seq), Some(len), Some(off), Some(n)) = (inp.u8(), inp.u8(), inp.u16(), inp.u16(), inp.u8())
        else {
            return;
        };
        let (mt, seq, len, off) = (mt & 3, u16::from(seq & 1), u32::from(len) % 1100, u32::from(off) % 1100);
        let frag = inp.bytes(usize::from(n) * 4).to_vec();
        let h = FragmentHeader { msg_type: mt, length: len, seq, frag_off: off, frag_len: frag.len() as u32 };
        let res = r.insert(&h, &frag);
        if len as usize + handshake::HEADER_LEN > NANODTLS_MAX_HANDSHAKE_MSG {
            assert_eq!(res, Insert::TooLarge);
            continue;
        }
        let fresh = model.as_ref().is_none_or(|m| m.0 != seq);
        if fresh {
            model = Some((seq, mt, len, vec![None; len as usize]));
        }
        let m = model.as_mut().unwrap();
        let end = off as usize + frag.len();
        let expect_inconsistent = (!fresh && (m.1 != mt || m.2 != len))
            || end > len as usize
            || frag.iter().enumerate().any(|(i, &b)| m.3[off as usize + i].is_some_and(|x| x != b));
        if expect_inconsistent {
            assert_eq!(res, Insert::Inconsistent, "model says inconsistent");
            continue;
        }
        for (i, &b) in frag.iter().enumerate() {
            m.3[off as usize + i] = Some(b);
        }
        if m.3.iter().all(Option::is_some) {
            assert_eq!(res, Insert::Complete);
            let body: Vec<u8> = m.3.iter().map(|b| b.unwrap()).collect();
            assert_eq!(r.body(), &body[..]);
            let msg = r.message();
            assert_eq!(msg.len(), handshake::HEADER_LEN + body.len());
            let (hh, hb) = handshake::parse_fragment(&mut Reader::new(msg)).expect("normalised header");
            assert_eq!((hh.msg_type, hh.length, hh.seq, hh.frag_off, hh.frag_len), (mt, len, seq, 0, len));
            assert_eq!(hb, &body[..]);
            r.reset();
            model = None;
        } else {
            assert_eq!(res, Insert::Incomplete);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&s, body)) = data.split_first() else { return };
    match s % sel::COUNT {
        sel::FRAGMENTS => {
            let mut r = Reader::new(body);
            while !r.is_empty() {
                let before = r.remaining();
                let Ok((h, d)) = handshake::parse_fragment(&mut r) else { break };
                assert_eq!(d.len() as u32, h.frag_len);
                assert!(h.frag_off + h.frag_len <= h.length);
                assert_eq!(before - r.remaining(), handshake::HEADER_LEN + d.len());
            }
        }
        sel::CLIENT_HELLO => client_hello(body),
        sel::SERVER_HELLO => {
            if let Ok(sh) = ServerHello::parse(body) {
                assert!(sh.session_id.len() <= 32);
                for _ in sh.extensions.clone() {}
            }
        }
        sel::HELLO_VERIFY => {
            if let Ok(c) = hello_verify_request::parse(body) {
                assert!(!c.is_empty() && c.len() + 3 == body.len());
            }
        }
        sel::PSK_SKE => {
            if let Ok(h) = server_key_exchange::parse_psk(body) {
                assert_eq!(h.len() + 2, body.len());
            }
        }
        sel::PSK_CKE => {
            if let Ok(id) = client_key_exchange::parse_psk(body) {
                assert!(!id.is_empty() && id.len() + 2 == body.len());
            }
        }
        sel::CERT_RPK => {
            if let Ok(Some(spki)) = certificate::parse_raw_public_key(body) {
                let _ = der::parse_spki(spki);
            }
        }
        sel::CERT_X509 => {
            if let Ok(Some(cert)) = certificate::parse_x509(body) {
                assert!(!cert.is_empty());
                if let Ok(spki) = der::x509_spki(cert) {
                    let _ = der::parse_spki(spki);
                }
            }
        }
        sel::ECDHE_SKE => {
            if let Ok(ske) = server_key_exchange::parse_ecdhe(body) {
                assert_eq!(ske.params.len(), 4 + ske.point.len());
                if ecc::validate_point(ske.point).is_ok() {
                    let _ = ecc::verify(&fixed_point(2), &[7; 32], ske.signature);
                }
            }
        }
        sel::ECDH_CKE => {
            if let Ok(p) = client_key_exchange::parse_ecdh(body) {
                if ecc::validate_point(p).is_ok() {
                    let mut out = [0u8; 32];
                    ecc::ecdh(&test_key(3), p, &mut out).expect("ECDH with a valid point");
                }
            }
        }
        sel::CERT_REQUEST => {
            let _ = certificate_request::parse(body);
        }
        sel::CERT_VERIFY => {
            if let Ok((_alg, sig)) = certificate_verify::parse(body) {
                if ecc::parse_der_signature(sig).is_ok() {
                    let _ = ecc::verify(&fixed_point(1), &[9; 32], sig);
                }
            }
        }
        sel::EXTENSIONS => extensions(body),
        sel::REASSEMBLY => reassembly(body),
        sel::DER_SIGNATURE => {
            if let Ok((r, s)) = ecc::parse_der_signature(body) {
                // Strict DER: the parse is canonical, re-encoding gives the input back.
                let mut inner = der_int(&r);
                inner.extend_from_slice(&der_int(&s));
                let mut der = vec![0x30, inner.len() as u8];
                der.extend_from_slice(&inner);
                assert_eq!(der, body, "non-canonical DER signature accepted");
            }
        }
        sel::SPKI => {
            if let Ok(p) = der::parse_spki(body) {
                assert_eq!(p.len(), 65);
                ecc::validate_point(p).expect("parse_spki returned an invalid point");
            }
        }
        sel::X509_SPKI => {
            if let Ok(spki) = der::x509_spki(body) {
                assert!(spki.len() <= body.len());
                let _ = der::parse_spki(spki);
            }
        }
        sel::PRIVATE_KEY => {
            let mut out = [0u8; 32];
            match der::parse_private_key(body, &mut out) {
                Ok(()) => assert!(ecc::valid_scalar(&out)),
                Err(_) => {}
            }
        }
        sel::SESSION_IMPORT => {
            let mut s = SessionData::new_zeroed();
            match session::import(body, &mut s) {
                Ok(()) => {
                    assert!(s.valid);
                    let mut out = [0u8; 1024];
                    let n = session::export(&s, &mut out).expect("export of an imported session");
                    assert_eq!(&out[..n], body, "import/export is not a round trip");
                }
                Err(e) => {
                    assert!(!s.valid, "failed import left a valid session");
                    assert!(matches!(e, Error::InvalidArgument | Error::Unsupported), "import error {e:?}");
                }
            }
        }
        sel::COOKIE => {
            // Rotation: a cookie stays valid across one rotation only.
            let Ok(ch) = ClientHello::parse(body) else { return };
            let mut k = CookieKeys::new_zeroed();
            let mut ctr = 0u8;
            let mut rng = |b: &mut [u8]| {
                ctr = ctr.wrapping_add(1);
                b.fill(ctr);
                Ok(())
            };
            k.refresh(0, 100, &mut rng).unwrap();
            let c = k.issue(b"a", &ch).unwrap();
            let mut with = ch.before_cookie.to_vec();
            with.push(16);
            with.extend_from_slice(&c);
            with.extend_from_slice(ch.after_cookie);
            let ch2 = ClientHello::parse(&with).unwrap();
            assert!(k.verify(b"a", &ch2));
            k.refresh(150, 100, &mut rng).unwrap();
            assert!(k.verify(b"a", &ch2), "cookie invalid after one rotation");
            k.refresh(300, 100, &mut rng).unwrap();
            assert!(!k.verify(b"a", &ch2), "cookie valid after two rotations");
        }
        sel::FINISHED_PREMASTER => {
            let f = finished::parse(body);
            assert_eq!(f.is_ok(), body.len() == nanodtls::keys::VERIFY_DATA_LEN);
            let mut out = [0u8; 600];
            if let Ok(n) = psk::premaster(body, &mut out) {
                assert_eq!(n, 4 + 2 * body.len());
                assert_eq!(&out[n - body.len()..n], body);
            }
        }
        _ => unreachable!(),
    }
});
