//! Client certificate URLs (RFC 6066 5): the CertificateURL parser
//! (src/handshake/msg/certificate_url.rs).
//!
//! Input: one byte (the entry limit, 1 + b % 16), then the message body.
//! An accepted body has between 1 and the limit entries, each with a
//! non-empty URL and a 20-byte hash inside the input, and is canonical:
//! re-encoding the entries gives back the input exactly. A refusal is one
//! of the alerts the module names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nanodtls::alert;
use nanodtls::handshake::msg::certificate_url::{parse, INDIVIDUAL_CERTS, PADDING};

fuzz_target!(|data: &[u8]| {
    let Some((&b, body)) = data.split_first() else { return };
    let max = 1 + usize::from(b % 16);
    match parse(body, max) {
        Ok(list) => {
            assert!(!list.is_empty() && list.len() <= max);
            let mut again = vec![INDIVIDUAL_CERTS, 0, 0];
            let mut n = 0;
            for e in list.iter() {
                assert!(!e.url.is_empty());
                again.extend_from_slice(&(e.url.len() as u16).to_be_bytes());
                again.extend_from_slice(e.url);
                again.push(PADDING);
                again.extend_from_slice(e.hash);
                n += 1;
            }
            assert_eq!(n, list.len());
            let l = (again.len() - 3) as u16;
            again[1..3].copy_from_slice(&l.to_be_bytes());
            assert_eq!(again, body, "not canonical");
            assert!(list.get(n).is_none());
        }
        Err(a) => assert!(
            [alert::DECODE_ERROR, alert::UNSUPPORTED_CERTIFICATE, alert::ILLEGAL_PARAMETER, alert::UNKNOWN_CA]
                .contains(&a),
            "alert {a}"
        ),
    }
});
