//! X.509 (src/auth/x509/): the strict DER walker, the certificate parser
//! and RFC 5280 section 6 path validation to the test PKI's anchors.
//!
//! Input: a selector byte, then by `sel & 3`:
//! - 0: DER: the rest is walked as nested TLVs; every element's encoding
//!   must be its tag, its minimal length and its value (strictness), and
//!   values that decode (OID, INTEGER, BOOLEAN, BIT STRING, times) must
//!   re-encode to themselves or stay in range;
//! - 1: a certificate: `Cert::parse`; a parsed certificate's slices lie
//!   inside the input and agree with `x509_spki`;
//! - 2, 3: a path: one byte of anchors (bit 0 root.der, 1 root's bare key,
//!   2 int.der, 3 other-root.der, 4 self-signed.der), then the chain as
//!   certificates with a 16-bit big-endian length (the last one takes what
//!   is left when its length overruns; at most 6). `sel` bit 2: time known
//!   (2026-12-01) or not; bits 3-4: server "server.example", client EUI-64,
//!   any, server "SERVER.EXAMPLE"; bits 5-7: max_chain. A validated chain
//!   must respect the knob, prove the identity asked for and yield a
//!   leaf key on the curve.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nanodtls::auth::x509::cert::Cert;
use nanodtls::auth::x509::der::{self, Der};
use nanodtls::auth::x509::path::{validate, Anchor, Expect, Identity, Policy, Purpose, MIN_MAX_CHAIN};
use nanodtls::crypto::ecc;
use nanodtls_fuzz::pki;

const NOW: u64 = 1_796_083_200;

fn length(n: usize, out: &mut Vec<u8>) {
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = (n as u32).to_be_bytes();
        let skip = bytes.iter().position(|&b| b != 0).unwrap_or(3);
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

fn oid_reencode(arcs: &[u32]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut put = |v: u64| {
        let mut tmp = [0u8; 10];
        let mut n = 0;
        let mut x = v;
        loop {
            tmp[n] = (x & 0x7f) as u8;
            n += 1;
            x >>= 7;
            if x == 0 {
                break;
            }
        }
        for i in (0..n).rev() {
            out.push(tmp[i] | if i > 0 { 0x80 } else { 0 });
        }
    };
    put(u64::from(arcs[0]) * 40 + u64::from(arcs[1]));
    for &a in &arcs[2..] {
        put(u64::from(a));
    }
    out
}

fn walk(input: &[u8], depth: usize) {
    let mut d = Der::new(input);
    while !d.is_empty() {
        let Ok(t) = d.next_tlv() else { return };
        let mut enc = vec![t.tag];
        length(t.value.len(), &mut enc);
        enc.extend_from_slice(t.value);
        assert_eq!(enc, t.raw, "an accepted element is not in minimal DER");
        match t.tag {
            der::OID => {
                if der::oid(t.value).is_ok() {
                    let arcs: Vec<u32> = der::OidArcs::new(t.value).unwrap().map(|a| a.unwrap()).collect();
                    assert!(arcs.len() >= 2);
                    assert_eq!(oid_reencode(&arcs), t.value, "OID arcs do not re-encode to the input");
                }
            }
            der::INTEGER => {
                if let Ok(n) = der::uint(t.value) {
                    let b = n.to_be_bytes();
                    let skip = b.iter().position(|&x| x != 0).unwrap_or(3);
                    let mut m = b[skip..].to_vec();
                    if m[0] & 0x80 != 0 {
                        m.insert(0, 0);
                    }
                    assert_eq!(m, t.value, "INTEGER not minimal");
                }
            }
            der::BOOLEAN => {
                if der::boolean(t.value).is_ok() {
                    assert!(t.value == [0] || t.value == [0xff]);
                }
            }
            der::BIT_STRING => {
                if let Ok((bits, unused)) = der::bit_string(t.value) {
                    assert!(unused < 8 && bits.len() + 1 == t.value.len());
                }
            }
            der::UTC_TIME => {
                if let Ok(s) = der::time(t) {
                    assert!((-631_152_000..2_524_608_000).contains(&s), "UTCTime {s} outside 1950..2049");
                }
            }
            der::GENERALIZED_TIME => {
                if let Ok(s) = der::time(t) {
                    assert!((-62_167_219_200..253_402_300_800).contains(&s), "GeneralizedTime {s} outside 0..9999");
                }
            }
            _ => {}
        }
        if t.tag & 0x20 != 0 && depth < 32 {
            walk(t.value, depth + 1);
        }
    }
}

fn inside(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    i >= o && i + inner.len() <= o + outer.len()
}

fn certificate(data: &[u8]) {
    let Ok(c) = Cert::parse(data) else { return };
    assert!(std::ptr::eq(c.der, data));
    for s in [c.tbs, c.serial, c.signature, c.issuer, c.subject, c.spki, c.public_key] {
        assert!(inside(data, s));
    }
    assert!(inside(c.spki, c.public_key));
    assert_eq!(c.spki.len(), 91);
    assert_eq!(c.public_key.len(), 65);
    assert!((1..=3).contains(&c.version));
    assert!(!c.issuer.is_empty());
    assert_eq!(nanodtls::auth::x509::der::x509_spki(data).ok(), Some(c.spki));
    assert_eq!(der::parse_spki(c.spki).is_ok(), ecc::validate_point(c.public_key).is_ok());
    for n in c.dns_names() {
        assert!(!n.is_empty() && n.is_ascii() && inside(data, n));
    }
    if let Some(cn) = c.common_name() {
        assert!(inside(c.subject, cn));
    }
    assert_ne!(c.key_usage, Some(0));
}

fn path(sel: u8, data: &[u8]) {
    let Some((&abits, mut rest)) = data.split_first() else { return };
    let mut anchors = Vec::new();
    for (bit, a) in [
        Anchor::Cert(pki::ROOT),
        Anchor::Spki(pki::ROOT_SPKI),
        Anchor::Cert(pki::INT),
        Anchor::Cert(pki::OTHER_ROOT),
        Anchor::Cert(pki::SELF_SIGNED),
    ]
    .into_iter()
    .enumerate()
    {
        if abits & (1 << bit) != 0 {
            anchors.push(a);
        }
    }
    let mut chain: Vec<&[u8]> = Vec::new();
    while rest.len() >= 2 && chain.len() < 6 {
        let n = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        let body = &rest[2..];
        let n = n.min(body.len());
        chain.push(&body[..n]);
        rest = &body[n..];
    }
    let now = (sel & 4 != 0).then_some(NOW);
    let base = match (sel >> 3) & 3 {
        0 => Policy::server(b"server.example", now),
        1 => Policy::client(now),
        2 => Policy { identity: Expect::Any, purpose: None, ..Policy::client(now) },
        _ => Policy::server(b"SERVER.EXAMPLE", now),
    };
    let policy = Policy { max_chain: sel >> 5, ..base };
    let Ok(v) = validate(chain.iter().copied(), &anchors, &policy) else { return };
    assert!(v.depth <= policy.max_chain.max(MIN_MAX_CHAIN), "depth {} beyond the knob", v.depth);
    assert!(usize::from(v.depth) <= chain.len());
    assert!(std::ptr::eq(v.leaf.der, chain[0]));
    assert_eq!(v.spki, v.leaf.spki);
    ecc::validate_point(v.public_key).expect("a validated leaf key is on the curve");
    match (policy.identity, v.identity) {
        (Expect::ServerName(want), Identity::DnsName(got)) => assert!(got.eq_ignore_ascii_case(want)),
        (Expect::ClientEui64, Identity::Eui64(_)) | (Expect::Any, Identity::Unchecked) => {}
        (want, got) => panic!("asked for {want:?}, got {got:?}"),
    }
    if policy.purpose == Some(Purpose::ServerAuth) {
        assert!(v.leaf.extended_key_usage_allows(nanodtls::auth::x509::cert::OID_SERVER_AUTH));
    }
    if v.depth == 0 {
        assert!(anchors.iter().any(|a| match a {
            Anchor::Cert(d) => *d == v.leaf.der,
            Anchor::Spki(s) => *s == v.leaf.spki,
        }));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    match sel & 3 {
        0 => walk(rest, 0),
        1 => certificate(rest),
        _ => path(sel, rest),
    }
});
