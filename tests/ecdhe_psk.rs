//! ECDHE_PSK with AES-128-CCM(-8) (RFC 8442; key exchange of RFC 5489),
//! our client against our server: handshakes with both suites, and the
//! refusals (wrong PSK, unknown or oversized identity, invalid points,
//! truncated key exchange messages). Known-answer vectors from an
//! independent script are checked in tests/ecdhe_psk_vectors.rs.
#![cfg(feature = "ecdhe-psk")]

mod common;
use common::*;
use nanodtls::handshake::msg;
use nanodtls::record::content;
use nanodtls::{alert, suite, Config, Error, State};

impl Wire {
    fn new(c: Peer, s: Peer, tamper: Tamper) -> Wire {
        Wire::parts(c, s, TestEnv::new(31), TestEnv::new(32), tamper)
    }
}

fn cfg(role_client: bool, s: u16) -> Config {
    let mut c = if role_client { client_config() } else { server_config() };
    c.suites = [s, 0, 0, 0];
    c
}

fn pair(s: u16) -> (Peer, Peer) {
    (psk_client(&cfg(true, s)), psk_server(&cfg(false, s)))
}

fn nothing() -> Tamper {
    Box::new(|_, _| {})
}

/// Rewrite the body of every unfragmented epoch-0 handshake message of
/// type `msg_type` in datagram `d` (record and handshake lengths follow).
fn rewrite(d: &mut Vec<u8>, msg_type: u8, f: &dyn Fn(&[u8]) -> Vec<u8>) -> bool {
    let mut out = vec![];
    let mut at = 0;
    let mut hit = false;
    while at + 13 <= d.len() {
        let len = usize::from(u16::from_be_bytes([d[at + 11], d[at + 12]]));
        let (hdr, frag) = (&d[at..at + 13], &d[at + 13..at + 13 + len]);
        let mut new_frag = frag.to_vec();
        if hdr[0] == content::HANDSHAKE && hdr[3..5] == [0, 0] {
            new_frag.clear();
            let mut p = 0;
            while p + 12 <= frag.len() {
                let mlen = u32::from_be_bytes([0, frag[p + 1], frag[p + 2], frag[p + 3]]) as usize;
                let flen = u32::from_be_bytes([0, frag[p + 9], frag[p + 10], frag[p + 11]]) as usize;
                let body = &frag[p + 12..p + 12 + flen];
                if frag[p] == msg_type && mlen == flen {
                    let nb = f(body);
                    let l = (nb.len() as u32).to_be_bytes();
                    // type, length, message_seq + fragment_offset (0), fragment_length.
                    new_frag.push(msg_type);
                    new_frag.extend_from_slice(&l[1..]);
                    new_frag.extend_from_slice(&frag[p + 4..p + 9]);
                    new_frag.extend_from_slice(&l[1..]);
                    new_frag.extend_from_slice(&nb);
                    hit = true;
                } else {
                    new_frag.extend_from_slice(&frag[p..p + 12 + flen]);
                }
                p += 12 + flen;
            }
        }
        out.extend_from_slice(&hdr[..11]);
        out.extend_from_slice(&(new_frag.len() as u16).to_be_bytes());
        out.extend_from_slice(&new_frag);
        at += 13 + len;
    }
    *d = out;
    hit
}

/// Run the handshake deadline out on `p`; the fatal alert it sends then.
fn alert_at_deadline(p: &mut Peer) -> u8 {
    let t = u64::from(p.config().handshake_timeout_ms) + 1_000_000;
    assert_eq!(p.handle_timeout(t), Err(Error::Timeout));
    let a = p.last_alert();
    assert!(a.sent && a.level == alert::FATAL, "{a:?}");
    a.description
}

/// An off-curve point: the generator's x with y + 1.
fn bad_point(good: &[u8]) -> Vec<u8> {
    let mut p = good.to_vec();
    let last = p.len() - 1;
    p[last] ^= 1;
    p
}

#[test]
fn both_suites_connect_and_carry_data() {
    for s in [suite::ECDHE_PSK_AES_128_CCM_8, suite::ECDHE_PSK_AES_128_CCM] {
        let (c, sv) = pair(s);
        let mut w = Wire::new(c, sv, nothing());
        w.run();
        assert!(w.connected(), "{}", suite::name(s));
        assert_eq!((w.c.suite(), w.s.suite()), (s, s));
        assert_eq!(w.s.psk_identity(), PSK_ID);
        w.c.write(b"ping").unwrap();
        w.s.write(b"pong").unwrap();
        w.pump();
        w.run();
        assert_eq!(w.s.rx.pop_front(), Some(b"ping".to_vec()));
        assert_eq!(w.c.rx.pop_front(), Some(b"pong".to_vec()));
        // The server sent a ServerKeyExchange (hint + params) and the
        // client's key exchange carries identity and point.
        let ske =
            w.log.iter().any(|(to_s, d)| !to_s && rewrite(&mut d.clone(), msg::SERVER_KEY_EXCHANGE, &|b| b.to_vec()));
        assert!(ske);
    }
}

#[test]
fn fresh_ephemeral_keys_each_handshake() {
    // Two handshakes with the same PSK and different randomness end with
    // different keys (forward secrecy needs fresh ECDH shares).
    let mut records = vec![];
    for seed in [1u64, 2] {
        let (c, s) = pair(suite::ECDHE_PSK_AES_128_CCM_8);
        let mut w = Wire::new(c, s, nothing());
        w.ce = TestEnv::new(seed);
        w.run();
        assert!(w.connected());
        let mut out = [0u8; 128];
        let n = w.c.c.write(b"same plaintext", &mut out).unwrap();
        records.push(out[..n].to_vec());
    }
    assert_ne!(records[0][13..], records[1][13..]);
}

#[test]
fn resumption_works() {
    let ccfg = cfg(true, suite::ECDHE_PSK_AES_128_CCM_8);
    let scfg = cfg(false, suite::ECDHE_PSK_AES_128_CCM_8);
    let mut w = Wire::new(psk_client(&ccfg), psk_server(&scfg), nothing());
    w.se = TestEnv::new(32).with_cache(4);
    w.run();
    assert!(w.connected());
    let mut blob = [0u8; 512];
    let n = w.c.export_session(&mut blob).unwrap();
    let mut c2 = psk_client(&ccfg);
    c2.import_session(&blob[..n]).unwrap();
    let mut w2 = Wire::new(c2, psk_server(&scfg), nothing());
    w2.se = w.se;
    w2.run();
    assert!(w2.connected());
    assert!(w2.c.resumed());
    assert_eq!(w2.s.psk_identity(), PSK_ID);
}

#[test]
fn wrong_psk_is_bad_record_mac_at_the_deadline() {
    let ccfg = cfg(true, suite::ECDHE_PSK_AES_128_CCM_8);
    let mut s = new_conn(&cfg(false, suite::ECDHE_PSK_AES_128_CCM_8));
    s.set_psk(PSK_ID, &[0xEE; 16]).unwrap();
    let mut w = Wire::new(psk_client(&ccfg), s, nothing());
    w.run();
    // The client's Finished fails authentication: no evidence on its own.
    assert_eq!(w.s.state(), State::ServerWaitFinished);
    assert_eq!(w.s.stats().dropped_auth, 1);
    assert_eq!(alert_at_deadline(&mut w.s), alert::BAD_RECORD_MAC);
}

#[test]
fn unknown_identity_is_decrypt_error() {
    let ccfg = cfg(true, suite::ECDHE_PSK_AES_128_CCM_8);
    let mut s = new_conn(&cfg(false, suite::ECDHE_PSK_AES_128_CCM_8));
    s.set_psk(b"somebody else", &PSK).unwrap();
    let mut w = Wire::new(psk_client(&ccfg), s, nothing());
    w.run();
    assert_eq!(w.s.state(), State::ServerWaitClientKeyExchange);
    assert_eq!(w.s.psk_identity(), b"");
    // RFC 7925 4.2: unknown identity -> decrypt_error.
    assert_eq!(alert_at_deadline(&mut w.s), alert::DECRYPT_ERROR);
}

#[test]
fn oversized_identity_is_refused() {
    // A ClientKeyExchange whose identity exceeds NANODTLS_MAX_PSK_IDENTITY.
    let tamper: Tamper = Box::new(|to_server, d| {
        if to_server {
            rewrite(d, msg::CLIENT_KEY_EXCHANGE, &|b| {
                let id_len = usize::from(u16::from_be_bytes([b[0], b[1]]));
                let point = &b[2 + id_len..];
                let mut nb = 300u16.to_be_bytes().to_vec();
                nb.extend_from_slice(&[b'x'; 300]);
                nb.extend_from_slice(point);
                nb
            });
        }
    });
    let (c, s) = pair(suite::ECDHE_PSK_AES_128_CCM_8);
    let mut w = Wire::new(c, s, tamper);
    w.run();
    assert_eq!(w.s.state(), State::ServerWaitClientKeyExchange);
    assert_eq!(w.s.psk_identity(), b"");
    assert_eq!(alert_at_deadline(&mut w.s), alert::DECRYPT_ERROR);
}

#[test]
fn invalid_server_point_is_illegal_parameter() {
    let tamper: Tamper = Box::new(|to_server, d| {
        if !to_server {
            rewrite(d, msg::SERVER_KEY_EXCHANGE, &|b| {
                let hint = 2 + usize::from(u16::from_be_bytes([b[0], b[1]]));
                let mut nb = b[..hint + 4].to_vec();
                nb.extend_from_slice(&bad_point(&b[hint + 4..]));
                nb
            });
        }
    });
    let (c, s) = pair(suite::ECDHE_PSK_AES_128_CCM_8);
    let mut w = Wire::new(c, s, tamper);
    w.run();
    // Refused without a state change (a forged one must not end the handshake).
    assert_eq!(w.c.state(), State::ClientWaitServerKeyExchange);
    assert_eq!(alert_at_deadline(&mut w.c), alert::ILLEGAL_PARAMETER);
}

#[test]
fn invalid_client_point_is_illegal_parameter() {
    let tamper: Tamper = Box::new(|to_server, d| {
        if to_server {
            rewrite(d, msg::CLIENT_KEY_EXCHANGE, &|b| {
                let id = 2 + usize::from(u16::from_be_bytes([b[0], b[1]]));
                let mut nb = b[..id + 1].to_vec();
                nb.extend_from_slice(&bad_point(&b[id + 1..]));
                nb
            });
        }
    });
    let (c, s) = pair(suite::ECDHE_PSK_AES_128_CCM_8);
    let mut w = Wire::new(c, s, tamper);
    w.run();
    assert_eq!(w.s.state(), State::ServerWaitClientKeyExchange);
    assert_eq!(w.s.psk_identity(), b"");
    assert_eq!(alert_at_deadline(&mut w.s), alert::ILLEGAL_PARAMETER);
}

#[test]
fn truncated_server_key_exchange_is_decode_error() {
    for cut in [0usize, 1, 2, 3, 5, 6, 20, 68] {
        let tamper: Tamper = Box::new(move |to_server, d| {
            if !to_server {
                rewrite(d, msg::SERVER_KEY_EXCHANGE, &|b| b[..cut.min(b.len() - 1)].to_vec());
            }
        });
        let (c, s) = pair(suite::ECDHE_PSK_AES_128_CCM_8);
        let mut w = Wire::new(c, s, tamper);
        w.run();
        assert_eq!(w.c.state(), State::ClientWaitServerKeyExchange, "cut {cut}");
        assert_eq!(alert_at_deadline(&mut w.c), alert::DECODE_ERROR, "cut {cut}");
    }
}

#[test]
fn truncated_client_key_exchange_is_decode_error() {
    for cut in [0usize, 1, 2, 9, 10, 40] {
        let tamper: Tamper = Box::new(move |to_server, d| {
            if to_server {
                rewrite(d, msg::CLIENT_KEY_EXCHANGE, &|b| b[..cut.min(b.len() - 1)].to_vec());
            }
        });
        let (c, s) = pair(suite::ECDHE_PSK_AES_128_CCM_8);
        let mut w = Wire::new(c, s, tamper);
        w.run();
        assert_eq!(w.s.state(), State::ServerWaitClientKeyExchange, "cut {cut}");
        assert_eq!(alert_at_deadline(&mut w.s), alert::DECODE_ERROR, "cut {cut}");
    }
}

#[test]
fn a_server_without_the_curve_offer_does_not_choose_it() {
    // A client offering ECDHE_PSK sends supported_groups / ec_point_formats;
    // without them (here: removed on the wire) the server has no common
    // suite and refuses the ClientHello.
    let tamper: Tamper = Box::new(|to_server, d| {
        if to_server {
            // Rename supported_groups (10) to an unknown type.
            if let Some(i) = d.windows(4).position(|w| w == [0, 10, 0, 4]) {
                d[i..i + 2].copy_from_slice(&[0x7e, 0x7e]);
            }
        }
    });
    let mut s = cfg(false, suite::ECDHE_PSK_AES_128_CCM_8);
    s.require_cookie = false;
    let (c, _) = pair(suite::ECDHE_PSK_AES_128_CCM_8);
    let mut w = Wire::new(c, psk_server(&s), tamper);
    w.run();
    assert_eq!(w.s.state(), State::ServerWaitClientHello);
}
