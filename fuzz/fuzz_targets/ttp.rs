//! The trusted-third-party parsers (docs/ttp.md; features `derived-key`,
//! `authz-cert`): the DerivedKey nonce and the AuthzCert MacCert, and the
//! server's checks behind them with a fixed trust anchor table (ta1, key
//! [0x5a; 32], seq 100 used). The first input byte selects the mode:
//!
//! - even: a PSK identity: `parse_nonce`; what parses writes back to the
//!   input with `write_nonce` (ta_id without '.', canonical decimal seq);
//!   `TrustAnchors::derived_psk` never panics, and passes only for a fresh
//!   seq of ta1 (with the key `derive` computes);
//! - odd: a Certificate message body: `parse_certificate_message` and
//!   `parse`; what parses re-encodes to the input (and `encode` writes the
//!   same bytes when the MAC is genuine); `check_authz_cert` never panics,
//!   and passes only for a fresh seq of ta1, a key on the curve and the
//!   genuine MAC. Bit 1 of the selector: the input is the bare MacCert.
//!
//! Nothing is committed (the window never moves), so every run sees the
//! same table.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nanodtls::auth::authz_cert::{self, MAC_HMAC_SHA256};
use nanodtls::auth::derived_key::{self, derive, parse_nonce, write_nonce};
use nanodtls::auth::ta::TrustAnchors;
use nanodtls::crypto::ecc;
use zerocopy::FromZeros;

const TA: &[u8] = b"ta1";
const KEY: [u8; 32] = [0x5a; 32];
const USED: u32 = 100;

fn table() -> Box<TrustAnchors> {
    let mut t = TrustAnchors::new_box_zeroed().unwrap();
    t.add(TA, &KEY, 16).unwrap();
    t.revoke(TA, USED).unwrap();
    t
}

fn nonce(t: &TrustAnchors, data: &[u8]) {
    if let Ok(n) = parse_nonce(data) {
        assert!(!n.ta_id.is_empty() && !n.ta_id.contains(&b'.'));
        let mut out = vec![0u8; data.len() + 16];
        let len = write_nonce(n.ta_id, n.client_id, n.seq, &mut out).expect("a parsed nonce writes back");
        assert_eq!(&out[..len], data, "parse_nonce accepted a non-canonical nonce");
        assert!(derived_key::is_derived_key_identity(data));
    }
    let mut key = [0u8; 32];
    let r = t.derived_psk(data, &mut key);
    if let Ok((len, p)) = r {
        let n = parse_nonce(data).expect("derived_psk passed a malformed nonce");
        assert_eq!(n.ta_id, TA);
        assert_ne!(n.seq, USED, "a used seq passed");
        assert!(n.seq > USED || USED - n.seq < nanodtls::sizes::NANODTLS_TA_WINDOW as u32);
        assert_eq!((len, p.seq), (16, n.seq));
        assert_eq!(&key[..16], &derive(&KEY, data)[..16]);
    }
}

fn maccert(t: &TrustAnchors, data: &[u8], bare: bool) {
    let cert = if bare {
        data
    } else {
        match authz_cert::parse_certificate_message(data) {
            Ok(c) => {
                assert_eq!(c.len() + 3, data.len());
                c
            }
            Err(_) => return,
        }
    };
    let parsed = authz_cert::parse(cert);
    if let Ok(c) = parsed {
        let mut re = Vec::new();
        re.extend_from_slice(&(c.spki.len() as u32).to_be_bytes()[1..]);
        re.extend_from_slice(c.spki);
        re.push(c.ta_id.len() as u8);
        re.extend_from_slice(c.ta_id);
        re.extend_from_slice(&c.seq.to_be_bytes());
        re.extend_from_slice(&[MAC_HMAC_SHA256, 32]);
        re.extend_from_slice(c.mac);
        assert_eq!(re, cert, "a parsed MacCert does not re-encode to the input");
    }
    let r = t.check_authz_cert(cert);
    if let Ok(a) = r {
        let c = parsed.expect("check_authz_cert passed a malformed MacCert");
        assert_eq!(c.ta_id, TA);
        assert_ne!(c.seq, USED, "a used seq passed");
        ecc::validate_point(&a.point).expect("an accepted key is on the curve");
        assert_eq!(&authz_cert::mac(&KEY, c.spki, c.ta_id, c.seq).unwrap(), c.mac, "a forged MAC passed");
        let mut out = vec![0u8; cert.len()];
        let n = authz_cert::encode(&KEY, c.ta_id, c.seq, c.spki, &mut out).expect("a genuine MacCert re-encodes");
        assert_eq!(&out[..n], cert);
        assert_eq!(a.pending.seq, c.seq);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let t = table();
    if sel & 1 == 0 {
        nonce(&t, rest);
    } else {
        maccert(&t, rest, sel & 2 != 0);
    }
    assert_eq!(t.stats().accepted, 0);
});
