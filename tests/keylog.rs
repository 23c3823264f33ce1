//! The NSS key log (cargo feature `keylog`): the line format, one line per
//! handshake in both roles (full, resumed, through an endpoint), and that
//! its master secret really is the connection's: an independent TLS 1.2
//! PRF (HMAC-SHA-256 from the sha2 crate) and the ccm crate decrypt a
//! record with the keys derived from the line alone, as Wireshark does.
//! The sinks are global functions, so the tests run one at a time (SERIAL).
#![cfg(feature = "keylog")]

mod common;

use std::sync::{Mutex, MutexGuard};

use common::*;
use nanodtls::keylog::{KeyLogLine, LINE_LEN};
use nanodtls::{Config, State};

static SERIAL: Mutex<()> = Mutex::new(());
/// Lines seen: (by the client sink?, line).
static LINES: Mutex<Vec<(bool, String)>> = Mutex::new(Vec::new());

fn serial() -> MutexGuard<'static, ()> {
    let g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    LINES.lock().unwrap().clear();
    g
}
fn client_sink(l: KeyLogLine) {
    LINES.lock().unwrap().push((true, l.as_str().to_string()));
}
fn server_sink(l: KeyLogLine) {
    LINES.lock().unwrap().push((false, l.as_str().to_string()));
}
fn take() -> Vec<(bool, String)> {
    std::mem::take(&mut *LINES.lock().unwrap())
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// (client random, master secret) of a line, checking its exact format.
fn parse(line: &str) -> ([u8; 32], [u8; 48]) {
    assert_eq!(line.len(), LINE_LEN);
    let f: Vec<&str> = line.split(' ').collect();
    assert_eq!(f.len(), 3, "{line}");
    assert_eq!(f[0], "CLIENT_RANDOM");
    assert_eq!((f[1].len(), f[2].len()), (64, 96));
    assert!(f[1..].iter().all(|h| h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))), "{line}");
    (unhex(f[1]).try_into().unwrap(), unhex(f[2]).try_into().unwrap())
}

/// Run both connections until nothing moves; every datagram, (to_server, bytes).
fn pump(c: &mut Peer, s: &mut Peer, ce: &mut TestEnv, se: &mut TestEnv) -> Vec<(bool, Vec<u8>)> {
    let mut wire = Vec::new();
    let mut buf = [0u8; 2048];
    for _ in 0..20 {
        let mut any = false;
        while let Some(n) = c.poll_datagram(0, &mut buf).unwrap() {
            wire.push((true, buf[..n].to_vec()));
            s.feed(se, 0, &buf[..n]).unwrap();
            any = true;
        }
        while let Some(n) = s.poll_datagram(0, &mut buf).unwrap() {
            wire.push((false, buf[..n].to_vec()));
            c.feed(ce, 0, &buf[..n]).unwrap();
            any = true;
        }
        if !any {
            break;
        }
    }
    wire
}

/// The random of the first handshake message of `msg_type` in an
/// unfragmented epoch-0 record on the wire (ClientHello 1, ServerHello 2),
/// the last one seen (the ClientHello with the cookie).
fn hello_random(wire: &[(bool, Vec<u8>)], msg_type: u8) -> [u8; 32] {
    let mut found = None;
    for (_, d) in wire {
        let mut at = 0;
        while at + 13 <= d.len() {
            let len = usize::from(u16::from_be_bytes([d[at + 11], d[at + 12]]));
            let rec = &d[at + 13..at + 13 + len];
            if d[at] == 22 && d[at + 3..at + 5] == [0, 0] && rec[0] == msg_type {
                found = Some(rec[12 + 2..12 + 2 + 32].try_into().unwrap());
            }
            at += 13 + len;
        }
    }
    found.expect("hello on the wire")
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut k = [0u8; 64];
    k[..key.len()].copy_from_slice(key);
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    for p in parts {
        inner.update(p);
    }
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// TLS 1.2 P_SHA256 (RFC 5246 section 5).
fn prf(secret: &[u8], label: &[u8], seed: &[u8], n: usize) -> Vec<u8> {
    let s = [label, seed].concat();
    let mut a = hmac(secret, &[&s]);
    let mut out = Vec::new();
    while out.len() < n {
        out.extend_from_slice(&hmac(secret, &[&a, &s]));
        a = hmac(secret, &[&a]);
    }
    out.truncate(n);
    out
}

/// Open the client's AES-128-CCM-8 application record `d` (epoch 1) with
/// the client write key and IV derived from the key log line's master
/// secret and the randoms alone.
fn open_with_line(master: &[u8; 48], cr: &[u8; 32], sr: &[u8; 32], d: &[u8]) -> Option<Vec<u8>> {
    use ccm::aead::{generic_array::GenericArray, AeadInPlace, KeyInit};
    use ccm::consts::{U12, U8};
    let kb = prf(master, b"key expansion", &[&sr[..], &cr[..]].concat(), 40);
    let (key, iv) = (&kb[0..16], &kb[32..36]);
    assert_eq!(d[0], 23, "an application_data record");
    let len = usize::from(u16::from_be_bytes([d[11], d[12]]));
    let body = &d[13..13 + len];
    let mut nonce = iv.to_vec();
    nonce.extend_from_slice(&body[..8]);
    let mut ct = body[8..len - 8].to_vec();
    let tag = &body[len - 8..];
    let mut aad = d[3..11].to_vec(); // epoch and sequence number
    aad.extend_from_slice(&[23, 0xfe, 0xfd]);
    aad.extend_from_slice(&(ct.len() as u16).to_be_bytes());
    let cipher = ccm::Ccm::<aes::Aes128, U8, U12>::new(GenericArray::from_slice(key));
    cipher
        .decrypt_in_place_detached(GenericArray::from_slice(&nonce), &aad, &mut ct, GenericArray::from_slice(tag))
        .ok()?;
    Some(ct)
}

fn psk_pair(scfg: &Config, se: TestEnv) -> (Peer, Peer, TestEnv, TestEnv) {
    let mut c = psk_client(&client_config());
    let mut s = psk_server(scfg);
    c.set_keylog_sink(Some(client_sink));
    s.set_keylog_sink(Some(server_sink));
    (c, s, TestEnv::new(1), se)
}

#[test]
fn one_line_per_handshake_in_both_roles_and_it_opens_the_records() {
    let _g = serial();
    let (mut c, mut s, mut ce, mut se) = psk_pair(&server_config(), TestEnv::new(2).with_cache(4));
    c.connect(&mut ce, 0).unwrap();
    let wire = pump(&mut c, &mut s, &mut ce, &mut se);
    assert_eq!((c.state(), s.state()), (State::Connected, State::Connected));
    let lines = take();
    assert_eq!(lines.len(), 2, "one line per role: {lines:?}");
    assert_eq!(lines.iter().filter(|(client, _)| *client).count(), 1);
    assert_eq!(lines[0].1, lines[1].1, "both roles log the same secrets");
    let (cr, master) = parse(&lines[0].1);
    assert_eq!(cr, hello_random(&wire, 1), "the random of the ClientHello on the wire");
    let sr = hello_random(&wire, 2);
    let mut out = [0u8; 256];
    let n = c.c.write(b"plaintext of record 1", &mut out).unwrap();
    assert_eq!(open_with_line(&master, &cr, &sr, &out[..n]).as_deref(), Some(&b"plaintext of record 1"[..]));
    // A wrong master secret does not open it (the check above can fail).
    let mut wrong = master;
    wrong[47] ^= 1;
    assert_eq!(open_with_line(&wrong, &cr, &sr, &out[..n]), None);
    assert!(take().is_empty(), "nothing more after the handshake");

    // Resumption (session ID): one new line per role, the same master
    // secret with the new client random.
    let mut blob = vec![0u8; 512];
    let len = c.export_session(&mut blob).unwrap();
    let (mut c2, mut s2, mut ce2, _) = psk_pair(&server_config(), TestEnv::new(0));
    c2.import_session(&blob[..len]).unwrap();
    ce2.rng = XorShift(99);
    c2.connect(&mut ce2, 0).unwrap();
    let wire = pump(&mut c2, &mut s2, &mut ce2, &mut se);
    assert!(c2.resumed() && s2.resumed());
    let lines = take();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0].1, lines[1].1);
    let (cr2, master2) = parse(&lines[0].1);
    assert_eq!(master2, master, "a resumed session keeps its master secret");
    assert_ne!(cr2, cr);
    assert_eq!(cr2, hello_random(&wire, 1));
    let n = c2.c.write(b"resumed", &mut out).unwrap();
    assert_eq!(open_with_line(&master2, &cr2, &hello_random(&wire, 2), &out[..n]).as_deref(), Some(&b"resumed"[..]));
}

#[test]
fn no_sink_no_line_and_the_sink_survives_init() {
    let _g = serial();
    let mut c = psk_client(&client_config());
    let mut s = psk_server(&server_config());
    s.set_keylog_sink(Some(server_sink));
    // Re-initialising keeps the sink (as the C API's contexts rely on).
    s.init(&server_config()).unwrap();
    s.set_psk(PSK_ID, &PSK).unwrap();
    let (mut ce, mut se) = (TestEnv::new(5), TestEnv::new(6));
    c.connect(&mut ce, 0).unwrap();
    pump(&mut c, &mut s, &mut ce, &mut se);
    assert_eq!(c.state(), State::Connected);
    let lines = take();
    assert_eq!(lines.len(), 1, "only the server has a sink: {lines:?}");
    assert!(!lines[0].0);
    parse(&lines[0].1);
}

#[test]
fn a_wrong_psk_gives_each_side_its_own_line() {
    // Each side logs when it has derived its keys, before the peer's
    // Finished shows they differ: the key log of a failing handshake is
    // what tells which side holds which key.
    let _g = serial();
    let mut c = psk_client(&client_config());
    let mut s = new_conn(&server_config());
    s.set_psk(PSK_ID, &[0x55; 16]).unwrap();
    c.set_keylog_sink(Some(client_sink));
    s.set_keylog_sink(Some(server_sink));
    let (mut ce, mut se) = (TestEnv::new(7), TestEnv::new(8));
    c.connect(&mut ce, 0).unwrap();
    let mut buf = [0u8; 2048];
    let mut fed = 0;
    for _ in 0..4 {
        while let Some(n) = c.poll_datagram(0, &mut buf).unwrap() {
            let _ = s.feed(&mut se, 0, &buf[..n]);
            fed += 1;
        }
        while let Some(n) = s.poll_datagram(0, &mut buf).unwrap() {
            let _ = c.feed(&mut ce, 0, &buf[..n]);
        }
    }
    assert!(fed >= 3);
    assert_ne!(c.state(), State::Connected);
    let lines = take();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let (cr_c, ms_c) = parse(&lines.iter().find(|l| l.0).unwrap().1);
    let (cr_s, ms_s) = parse(&lines.iter().find(|l| !l.0).unwrap().1);
    assert_eq!(cr_c, cr_s);
    assert_ne!(ms_c, ms_s, "different PSKs, different master secrets");
}

#[test]
fn endpoint_peers_log_through_the_endpoint_sink() {
    let _g = serial();
    let mut ep = EndpointParty::new(&server_config(), 2);
    ep.ep.set_keylog_sink(Some(server_sink));
    let mut c = psk_client(&client_config());
    c.set_keylog_sink(Some(client_sink));
    let mut sim = Sim::new(c, ep, Link::default(), 3);
    assert!(sim.handshake(10_000));
    let lines = take();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0].1, lines[1].1);
}
