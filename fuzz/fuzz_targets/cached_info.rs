//! cached_info (RFC 7924, src/handshake/ext/cached_info.rs): the
//! extension's parsers, fed arbitrary bytes.
//!
//! Input: a selector byte, then by `sel & 3`:
//! - 0: a ClientHello's extension_data (`parse_offer`): an accepted offer
//!   names only hashes of SHA-256's length found in the input after their
//!   type and length, and the canonical encoding of what was found parses
//!   back to the same;
//! - 1: a ServerHello's extension_data (`parse_answer`, `sel` bit 2: cert
//!   offered, bit 3: cert_req offered): an accepted answer lists only
//!   offered types, at least one, each once, and is exactly their list;
//! - 2, 3: a Certificate or CertificateRequest in the hash form
//!   (`parse_certificate`): accepted only as its 1-byte length and the
//!   hash, the whole input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nanodtls::handshake::ext::cached_info::{
    self, parse_answer, parse_certificate, parse_offer, HASH_LEN, TYPE_CERT, TYPE_CERT_REQ,
};

/// Our encoding of an offer (what write_offer sends), extension_data only.
fn encode_offer(o: &cached_info::Offered) -> Vec<u8> {
    let mut list = Vec::new();
    for (t, h) in [(TYPE_CERT, o.cert), (TYPE_CERT_REQ, o.req)] {
        if let Some(h) = h {
            list.push(t);
            list.push(HASH_LEN as u8);
            list.extend_from_slice(&h);
        }
    }
    let mut out = (list.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&list);
    out
}

/// `t`, 32, `hash` occurs in `data`.
fn carries(data: &[u8], t: u8, hash: &[u8; HASH_LEN]) -> bool {
    data.windows(2 + HASH_LEN).any(|w| w[0] == t && usize::from(w[1]) == HASH_LEN && &w[2..] == hash)
}

fuzz_target!(|input: &[u8]| {
    let Some((&sel, data)) = input.split_first() else { return };
    match sel & 3 {
        0 => {
            if let Ok(o) = parse_offer(data) {
                assert!(data.len() >= 2 + 2, "an empty list was accepted");
                for (t, h) in [(TYPE_CERT, &o.cert), (TYPE_CERT_REQ, &o.req)] {
                    if let Some(h) = h {
                        assert!(carries(data, t, h), "type {t}: a hash not in the input");
                    }
                }
                if o.cert.is_some() || o.req.is_some() {
                    assert_eq!(parse_offer(&encode_offer(&o)).ok(), Some(o), "canonical offer does not round-trip");
                }
            }
        }
        1 => {
            let (cert, req) = (sel & 4 != 0, sel & 8 != 0);
            if let Ok((c, r)) = parse_answer(data, cert, req) {
                assert!(c || r, "an empty answer was accepted");
                assert!((!c || cert) && (!r || req), "a type not offered was accepted");
                let mut want = vec![0, u8::from(c) + u8::from(r)];
                if c && r {
                    // Either order.
                    want.extend_from_slice(&data[2..]);
                    assert!(data[2..] == [1, 2] || data[2..] == [2, 1], "{data:?}");
                } else {
                    want.push(if c { TYPE_CERT } else { TYPE_CERT_REQ });
                }
                assert_eq!(data, &want[..]);
            }
        }
        _ => {
            if let Ok(h) = parse_certificate(data) {
                assert_eq!(data.first().map(|&n| usize::from(n)), Some(h.len()));
                assert_eq!(&data[1..], h);
            }
        }
    }
});
