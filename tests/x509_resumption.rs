//! Certificate mode across resumption: the identity the peer's X.509
//! chain proved in the full handshake (the client's EUI-64 on the server,
//! the server's name on the client, the depth below the anchor) is kept in
//! the session (session::PeerKind::X509: the key hash, then kind, depth and
//! EUI-64), so that after an abbreviated handshake (from the server's
//! session cache, from a session ticket, with the client woken from deep
//! sleep by importing its exported blob) the getters report what they
//! reported after the full handshake. A tampered blob, or one whose X.509
//! identity is malformed, is refused.
//!
//! The chains are tests/pki/ (tests/pki/gen.sh).
#![cfg(all(feature = "x509", feature = "tickets"))]

mod common;
use std::collections::VecDeque;

use common::*;
use nanodtls::auth::x509::trust::{PEER_EUI64, PEER_NAME};
use nanodtls::{suite, Env, Error, State};

const CCM8: u16 = suite::ECDHE_ECDSA_AES_128_CCM_8;
/// 2026-12-01T00:00:00Z: inside every positive certificate's validity.
const NOW: u64 = 1_796_083_200;
const EUI: [u8; 8] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77];

fn pki(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/pki/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run tests/pki/gen.sh)"))
}

fn chain(names: &[&str]) -> Vec<u8> {
    names.iter().flat_map(|n| pki(&format!("{n}.der"))).collect()
}

/// TestEnv (RNG, session cache, ticket keys) with X.509 anchors, our
/// chain and a clock.
struct XEnv {
    t: TestEnv,
    anchors: Vec<Vec<u8>>,
    own: Vec<u8>,
}

impl XEnv {
    fn new(t: TestEnv, own: &[&str]) -> XEnv {
        XEnv { t, anchors: vec![pki("root.der")], own: chain(own) }
    }
}

impl Env for XEnv {
    fn random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        self.t.random(buf)
    }
    fn own_certificate(&self) -> Option<&[u8]> {
        Some(&self.own)
    }
    fn x509_anchor(&self, i: usize) -> Option<(&[u8], bool)> {
        Some((self.anchors.get(i)?, false))
    }
    fn wall_clock(&self) -> Option<u64> {
        Some(NOW)
    }
    fn session_cache(&mut self) -> Option<&mut [nanodtls::session::CacheEntry]> {
        self.t.session_cache()
    }
    fn ticket_keys(&mut self) -> Option<&mut nanodtls::session_ticket::TicketKeys> {
        self.t.ticket_keys()
    }
}

fn client(tickets: bool, blob: Option<&[u8]>) -> Peer {
    let mut cfg = client_config();
    cfg.suites = [CCM8, 0, 0, 0];
    cfg.tickets = tickets;
    let mut c = new_conn(&cfg);
    c.set_server_name(b"server.example").unwrap();
    c.set_own_key(&pki("client-eui.key.der")).unwrap();
    if let Some(b) = blob {
        c.import_session(b).unwrap();
    }
    c
}

fn server(tickets: bool) -> Peer {
    let mut cfg = server_config();
    cfg.suites = [CCM8, 0, 0, 0];
    cfg.client_auth = true;
    cfg.tickets = tickets;
    let mut s = new_conn(&cfg);
    s.set_own_key(&pki("server.key.der")).unwrap();
    s
}

/// Run a handshake between `c` and `s` to the end (no loss).
fn handshake(c: &mut Peer, ce: &mut XEnv, s: &mut Peer, se: &mut XEnv) {
    c.connect(ce, 0).unwrap();
    let mut q: VecDeque<(bool, Vec<u8>)> = VecDeque::new();
    let mut buf = [0u8; 4096];
    for _ in 0..50 {
        while let Some(n) = c.poll_with(ce, 0, &mut buf).unwrap() {
            q.push_back((true, buf[..n].to_vec()));
        }
        while let Some(n) = s.poll_with(se, 0, &mut buf).unwrap() {
            q.push_back((false, buf[..n].to_vec()));
        }
        let Some((to_server, d)) = q.pop_front() else { break };
        let _ = if to_server { s.feed(se, 0, &d) } else { c.feed(ce, 0, &d) };
    }
    assert_eq!(c.state(), State::Connected, "client: {:?}", c.last_alert());
    assert_eq!(s.state(), State::Connected, "server: {:?}", s.last_alert());
}

fn blob_of(c: &Peer) -> Vec<u8> {
    let mut blob = vec![0u8; nanodtls::session::MAX_BLOB];
    let n = c.export_session(&mut blob).unwrap();
    blob.truncate(n);
    blob
}

/// A full handshake, then one more resumed with the exported blob from a
/// fresh client (deep sleep), against a fresh server sharing the first
/// one's cache or ticket keys: the same identities on both sides.
fn resumed_keeps_identities(tickets: bool) {
    let mut se = XEnv::new(
        if tickets { TestEnv::new(2).with_tickets(0) } else { TestEnv::new(2).with_cache(4) },
        &["server", "int"],
    );
    let mut ce = XEnv::new(TestEnv::new(1), &["client-eui", "int"]);
    let (mut c, mut s) = (client(tickets, None), server(tickets));
    handshake(&mut c, &mut ce, &mut s, &mut se);
    assert!(!s.resumed());
    let (s_full, c_full) = (s.x509_peer(), c.x509_peer());
    assert_eq!((s_full.kind, s_full.eui64), (PEER_EUI64, EUI));
    assert_eq!(c_full.kind, PEER_NAME);
    let (s_key, c_key) = (s.peer_key_hash(), c.peer_key_hash());
    let blob = blob_of(&c);

    let mut ce = XEnv::new(TestEnv::new(3), &["client-eui", "int"]);
    let (mut c, mut s) = (client(tickets, Some(&blob)), server(tickets));
    handshake(&mut c, &mut ce, &mut s, &mut se);
    assert!(c.resumed() && s.resumed(), "resumed");
    assert_eq!(s.resumed_by_ticket(), tickets);
    assert_eq!(s.x509_peer(), s_full, "the server reports the client's EUI-64 as after the full handshake");
    assert_eq!(c.x509_peer(), c_full, "the client reports the server's name as after the full handshake");
    assert_eq!((s.peer_key_hash(), c.peer_key_hash()), (s_key, c_key));

    // And once more from the resumed session's own export.
    let blob = blob_of(&c);
    let mut ce = XEnv::new(TestEnv::new(5), &["client-eui", "int"]);
    let (mut c, mut s) = (client(tickets, Some(&blob)), server(tickets));
    handshake(&mut c, &mut ce, &mut s, &mut se);
    assert!(c.resumed() && s.resumed());
    assert_eq!((s.x509_peer(), c.x509_peer()), (s_full, c_full));
}

#[test]
fn a_session_from_the_cache_keeps_the_identities() {
    resumed_keeps_identities(false);
}

#[test]
fn a_session_from_a_ticket_keeps_the_identities() {
    resumed_keeps_identities(true);
}

/// The blob's check: the first 16 bytes of the SHA-256 of the rest.
fn reseal(body: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let mut b = body.to_vec();
    b.extend_from_slice(&sha2::Sha256::digest(body)[..16]);
    b
}

#[test]
fn a_tampered_or_malformed_identity_in_a_blob_is_refused() {
    let mut se = XEnv::new(TestEnv::new(12).with_cache(4), &["server", "int"]);
    let mut ce = XEnv::new(TestEnv::new(11), &["client-eui", "int"]);
    let (mut c, mut s) = (client(false, None), server(false));
    handshake(&mut c, &mut ce, &mut s, &mut se);
    let blob = blob_of(&c);
    // Version 1 (no ticket), kind 3 (X.509) after the suite and EMS flag.
    assert_eq!(&blob[..4], b"NDS1");
    assert_eq!(blob[4], 1, "no version bump: older blobs keep their format");
    assert_eq!(blob[8], 3, "kind X.509");
    let body = &blob[..blob.len() - 16];
    // The identity is the body's last 42 bytes: hash, kind, depth, EUI-64.
    let id = body.len() - 42;
    assert_eq!(body[id + 32], PEER_NAME);
    assert!(client(false, Some(&blob)).has_session());
    // Every byte flipped: refused (the check).
    for i in 0..blob.len() {
        let mut bad = blob.clone();
        bad[i] ^= 0x20;
        assert!(client(false, None).import_session(&bad).is_err(), "byte {i}");
    }
    // Resealed with a malformed identity: an unknown identity kind, a
    // kind of none, a short identity, an unknown PeerKind.
    let mut cases = Vec::new();
    for k in [0u8, 4, 0xff] {
        let mut b = body.to_vec();
        b[id + 32] = k;
        cases.push(b);
    }
    let mut short = body.to_vec();
    short.pop();
    let n = u16::from_be_bytes([short[id - 2], short[id - 1]]) - 1;
    short[id - 2..id].copy_from_slice(&n.to_be_bytes());
    cases.push(short);
    let mut kind = body.to_vec();
    kind[8] = 4;
    cases.push(kind);
    for b in cases {
        let mut c = client(false, None);
        assert_eq!(c.import_session(&reseal(&b)), Err(Error::InvalidArgument));
        assert!(!c.has_session());
    }
    // The unmodified body resealed imports (the cases above fail for
    // their edit, not for the resealing).
    assert!(client(false, None).import_session(&reseal(body)).is_ok());
}
