#![cfg(feature = "ecc")]
//! TLS_ECDHE_ECDSA_WITH_AES_128_CCM(_8) with raw public keys (RFC 7250,
//! RFC 7251): both roles, mutual authentication, pinning, and the bug
//! classes state-machine fuzzing found in other stacks.

mod common;
use std::collections::VecDeque;

use common::*;
use nanodtls::alert;
use nanodtls::codec::Reader;
use nanodtls::crypto::sha256::sha256;
use nanodtls::handshake::msg;
use nanodtls::record::{self, content};
use nanodtls::{suite, Error, State};

const CCM8: u16 = suite::ECDHE_ECDSA_AES_128_CCM_8;
const CCM: u16 = suite::ECDHE_ECDSA_AES_128_CCM;

struct Lock {
    c: Peer,
    s: Peer,
    ce: TestEnv,
    se: TestEnv,
    queue: VecDeque<(bool, Vec<u8>)>,
}

impl Lock {
    fn new(c: Peer, s: Peer, seed: u64) -> Lock {
        let mut l = Lock { c, s, ce: TestEnv::new(seed), se: TestEnv::new(seed + 7), queue: VecDeque::new() };
        l.c.connect(&mut l.ce, 0).unwrap();
        l.pump();
        l
    }
    fn pump(&mut self) {
        let mut buf = [0u8; 2048];
        while let Some(n) = self.c.poll_with(&self.ce, 0, &mut buf).unwrap() {
            self.queue.push_back((true, buf[..n].to_vec()));
        }
        while let Some(n) = self.s.poll_with(&self.se, 0, &mut buf).unwrap() {
            self.queue.push_back((false, buf[..n].to_vec()));
        }
    }
    fn deliver(&mut self, to_server: bool, d: &[u8]) -> Result<(), Error> {
        let r = if to_server { self.s.feed(&mut self.se, 0, d) } else { self.c.feed(&mut self.ce, 0, d) };
        self.pump();
        r
    }
    fn step(&mut self) -> bool {
        let Some((to_server, d)) = self.queue.pop_front() else { return false };
        let _ = self.deliver(to_server, &d);
        true
    }
    fn run(&mut self) {
        while self.step() {}
    }
    fn connected(&self) -> bool {
        self.c.state() == State::Connected && self.s.state() == State::Connected
    }
    /// Let the handshake deadline pass on one side (the client or the
    /// server) and deliver what it sends then (the alert it decided on).
    fn expire(&mut self, client: bool) -> Result<(), Error> {
        let t = u64::from(client_config().handshake_timeout_ms);
        let r = if client { self.c.handle_timeout(t) } else { self.s.handle_timeout(t) };
        self.pump();
        self.run();
        r
    }
    /// Deliver until the next queued datagram contains a handshake message
    /// of `msg_type` (returns it, not delivered).
    fn until_message(&mut self, msg_type: u8) -> (bool, Vec<u8>) {
        loop {
            let (to_server, d) = self.queue.front().cloned().expect("message never sent");
            if handshake_types(&d).contains(&msg_type) {
                self.queue.pop_front();
                return (to_server, d);
            }
            self.step();
        }
    }
}

/// (content type, raw record) for each record of a datagram.
fn records(d: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut r = Reader::new(d);
    let mut out = vec![];
    while !r.is_empty() {
        let start = r.position();
        let rec = record::parse(&mut r).unwrap();
        out.push((rec.ctype, d[start..r.position()].to_vec()));
    }
    out
}

/// Handshake message types of the plaintext records of a datagram.
fn handshake_types(d: &[u8]) -> Vec<u8> {
    records(d).into_iter().filter(|(t, r)| *t == content::HANDSHAKE && r[3..5] == [0, 0]).map(|(_, r)| r[13]).collect()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn exchange(l: &mut Lock) {
    let mut buf = [0u8; 2048];
    l.c.write(b"ping").unwrap();
    l.pump();
    l.run();
    assert_eq!(l.s.read(&mut buf).unwrap(), Some(4));
    l.s.write(b"pong").unwrap();
    l.pump();
    l.run();
    assert_eq!(l.c.read(&mut buf).unwrap(), Some(4));
    assert_eq!(&buf[..4], b"pong");
}

#[test]
fn mutual_authentication_both_suites() {
    for s in [CCM8, CCM] {
        let mut l = Lock::new(ecc_client(Some(1), &[2], s), ecc_server(2, &[1], true), 1);
        l.run();
        assert!(l.connected(), "suite {s:04x}: {:?} / {:?}", l.c.state(), l.s.state());
        assert_eq!(l.c.suite(), s);
        assert_eq!(l.c.peer_key_hash(), Some(sha256(&[&test_spki(2)])));
        assert_eq!(l.s.peer_key_hash(), Some(sha256(&[&test_spki(1)])));
        assert!(l.c.extended_master_secret());
        exchange(&mut l);
    }
}

#[test]
fn server_authentication_only() {
    // The client has no key and the server does not ask for one.
    let mut l = Lock::new(ecc_client(None, &[2], CCM8), ecc_server(2, &[], false), 2);
    l.run();
    assert!(l.connected());
    assert_eq!(l.s.peer_key_hash(), None);
    exchange(&mut l);
}

#[test]
fn pinning_by_hash_and_by_verify_callback() {
    let mut c = ecc_client(Some(1), &[], CCM8);
    c.add_trusted_key_hash(&sha256(&[&test_spki(2)])).unwrap();
    let mut l = Lock::new(c, ecc_server(2, &[1], true), 3);
    l.run();
    assert!(l.connected());
    // A verify callback instead of a list.
    let c = ecc_client(Some(1), &[], CCM8);
    let s = ecc_server(2, &[], true);
    let mut l = Lock { c, s, ce: TestEnv::new(4), se: TestEnv::new(5), queue: VecDeque::new() };
    l.ce.key_verifier = Some(true);
    l.se.key_verifier = Some(true);
    l.c.connect(&mut l.ce, 0).unwrap();
    l.pump();
    l.run();
    assert!(l.connected());
    assert_eq!(l.ce.keys_seen, vec![test_spki(2)]);
    assert_eq!(l.se.keys_seen, vec![test_spki(1)]);
}

/// The refusal of an epoch-0 message (RFC 6347 4.1.2.7: nothing there is
/// authenticated, so it is discarded, not fatal), then the deadline: the
/// refusing side gives up with Timeout and sends the alert it decided on,
/// which ends the peer's handshake too.
fn refused_until_the_deadline(l: &mut Lock, client_refuses: bool, want: u8) {
    let (me, peer) = if client_refuses { (&l.c, &l.s) } else { (&l.s, &l.c) };
    assert!(me.state().handshaking(), "{:?}", me.state());
    assert!(me.stats().dropped_rejected > 0, "{:?}", me.stats());
    assert!(peer.state().handshaking(), "{:?}", peer.state());
    assert_eq!(l.expire(client_refuses), Err(Error::Timeout));
    let (me, peer) = if client_refuses { (&l.c, &l.s) } else { (&l.s, &l.c) };
    assert_eq!(me.failure(), Some(Error::Timeout));
    assert_eq!(me.last_alert(), nanodtls::AlertInfo { level: alert::FATAL, description: want, sent: true });
    assert_eq!(peer.failure(), Some(Error::AlertReceived));
    assert_eq!(peer.last_alert().description, want);
}

#[test]
fn unknown_server_key_is_refused() {
    let mut l = Lock::new(ecc_client(Some(1), &[3], CCM8), ecc_server(2, &[1], true), 6);
    l.run();
    refused_until_the_deadline(&mut l, true, alert::CERTIFICATE_UNKNOWN);
}

#[test]
fn unknown_client_key_is_refused() {
    let mut l = Lock::new(ecc_client(Some(1), &[2], CCM8), ecc_server(2, &[3], true), 7);
    l.run();
    refused_until_the_deadline(&mut l, false, alert::CERTIFICATE_UNKNOWN);
    // A verifier that says no is a refusal too.
    let c = ecc_client(Some(1), &[2], CCM8);
    let s = ecc_server(2, &[], true);
    let mut l = Lock { c, s, ce: TestEnv::new(8), se: TestEnv::new(9), queue: VecDeque::new() };
    l.se.key_verifier = Some(false);
    l.c.connect(&mut l.ce, 0).unwrap();
    l.pump();
    l.run();
    refused_until_the_deadline(&mut l, false, alert::CERTIFICATE_UNKNOWN);
}

#[test]
fn client_without_key_is_refused_when_the_server_requires_one() {
    let mut l = Lock::new(ecc_client(None, &[2], CCM8), ecc_server(2, &[1], true), 10);
    l.run();
    // The client has no key to present: its empty Certificate is refused.
    assert_eq!(l.s.state(), State::ServerWaitClientCertificate);
    refused_until_the_deadline(&mut l, false, alert::HANDSHAKE_FAILURE);
}

#[test]
fn client_offers_both_families_in_configured_order() {
    for (order, want) in [
        ([suite::PSK_AES_128_CCM_8, CCM8, 0, 0], suite::PSK_AES_128_CCM_8),
        ([CCM8, suite::PSK_AES_128_CCM_8, 0, 0], CCM8),
    ] {
        let mut cfg = client_config();
        cfg.suites = order;
        let mut c = new_conn(&cfg);
        c.set_psk(PSK_ID, &PSK).unwrap();
        c.set_own_key(&test_key(1)).unwrap();
        c.add_trusted_key(&test_spki(2)).unwrap();
        // The server prefers whatever the client lists first here.
        let mut scfg = server_config();
        scfg.suites = order;
        let mut s = new_conn(&scfg);
        s.set_psk(PSK_ID, &PSK).unwrap();
        s.set_own_key(&test_key(2)).unwrap();
        let mut l = Lock::new(c, s, 11);
        l.run();
        assert!(l.connected());
        assert_eq!(l.s.suite(), want);
    }
    // A server with only PSK credentials picks PSK from a client offering both.
    let mut cfg = client_config();
    cfg.suites = [CCM8, suite::PSK_AES_128_CCM_8, 0, 0];
    let mut c = new_conn(&cfg);
    c.set_psk(PSK_ID, &PSK).unwrap();
    c.add_trusted_key(&test_spki(2)).unwrap();
    let mut l = Lock::new(c, psk_server(&server_config()), 12);
    l.run();
    assert!(l.connected());
    assert_eq!(l.s.suite(), suite::PSK_AES_128_CCM_8);
}

#[test]
fn ephemeral_keys_are_fresh_for_every_handshake() {
    let mut points = vec![];
    for seed in [20, 21] {
        let mut l = Lock::new(ecc_client(None, &[2], CCM8), ecc_server(2, &[], false), seed);
        let (_, d) = l.until_message(msg::SERVER_KEY_EXCHANGE);
        let rec = records(&d)
            .into_iter()
            .find(|(t, r)| *t == content::HANDSHAKE && r[13] == msg::SERVER_KEY_EXCHANGE)
            .unwrap()
            .1;
        points.push(rec[13 + 12 + 4..13 + 12 + 4 + 65].to_vec());
    }
    assert_ne!(points[0], points[1]);
}

#[test]
fn server_key_exchange_signed_by_another_key_is_refused() {
    // The server holds key 3 but the client pins key 2: swap the SPKI in
    // the plaintext Certificate for key 2's, as an attacker who knows the
    // pinned public key would. The ServerKeyExchange signature (by key 3)
    // then fails under the pinned key.
    let mut l = Lock::new(ecc_client(None, &[2], CCM8), ecc_server(3, &[], false), 13);
    let (_, mut d) = l.until_message(msg::CERTIFICATE);
    let real = test_spki(3);
    let at = find(&d, &real).unwrap();
    d[at..at + real.len()].copy_from_slice(&test_spki(2));
    assert_eq!(l.deliver(false, &d), Ok(()));
    // The Certificate was taken (key 2 is pinned), the ServerKeyExchange
    // refused: the handshake cannot complete, and at the deadline the
    // client says why.
    assert_eq!(l.c.state(), State::ClientWaitServerKeyExchange);
    l.run();
    refused_until_the_deadline(&mut l, true, alert::DECRYPT_ERROR);
}

#[test]
fn tampered_server_key_exchange_is_refused() {
    let mut l = Lock::new(ecc_client(None, &[2], CCM8), ecc_server(2, &[], false), 14);
    let (_, d) = l.until_message(msg::SERVER_KEY_EXCHANGE);
    // Flip a byte of the ephemeral point's x coordinate: either the point
    // is off the curve (illegal_parameter) or the signature fails.
    let recs = records(&d);
    let mut out = vec![];
    for (t, mut r) in recs {
        if t == content::HANDSHAKE && r[13] == msg::SERVER_KEY_EXCHANGE {
            r[13 + 12 + 4 + 10] ^= 0x40;
        }
        out.extend_from_slice(&r);
    }
    // Refused and discarded without changing anything: the genuine
    // datagram after it still completes the handshake.
    assert_eq!(l.deliver(false, &out), Ok(()));
    assert_eq!(l.c.state(), State::ClientWaitServerKeyExchange);
    assert_eq!(l.c.stats().dropped_rejected, 1, "{:?}", l.c.stats());
    l.deliver(false, &d).unwrap();
    l.run();
    assert!(l.connected(), "{:?} / {:?}", l.c.state(), l.s.state());
    // Had the tampered one been all there was, the deadline says why.
    let mut l = Lock::new(ecc_client(None, &[2], CCM8), ecc_server(2, &[], false), 14);
    let _ = l.until_message(msg::SERVER_KEY_EXCHANGE);
    l.deliver(false, &out).unwrap();
    l.expire(true).unwrap_err();
    let a = l.c.last_alert().description;
    assert!(a == alert::ILLEGAL_PARAMETER || a == alert::DECRYPT_ERROR, "alert {a}");
    assert_eq!(l.s.failure(), Some(Error::AlertReceived));
}

/// Run to the client's flight 5 and return its records.
fn client_flight5(l: &mut Lock) -> Vec<(u8, Vec<u8>)> {
    let (to_server, d) = l.until_message(msg::CLIENT_KEY_EXCHANGE);
    assert!(to_server);
    let mut recs = records(&d);
    // The CCS and Finished may be in the same datagram or the next one.
    while !recs.iter().any(|(t, _)| *t == content::CCS) {
        let (_, more) = l.queue.pop_front().unwrap();
        recs.extend(records(&more));
    }
    recs
}

#[test]
fn client_certificate_without_certificate_verify_is_never_accepted() {
    let mut l = Lock::new(ecc_client(Some(1), &[2], CCM8), ecc_server(2, &[1], true), 15);
    let recs = client_flight5(&mut l);
    for (t, r) in &recs {
        if *t == content::HANDSHAKE && r[3..5] == [0, 0] && r[13] == msg::CERTIFICATE_VERIFY {
            continue;
        }
        let _ = l.s.feed(&mut l.se, 0, r);
    }
    assert_eq!(l.s.state(), State::ServerWaitCertificateVerify);
    assert_ne!(l.s.state(), State::Connected);
    // Application data cannot get in either.
    let ad = l.c.test_record(content::APPLICATION_DATA, 1, b"sneaky").unwrap();
    let _ = l.s.feed(&mut l.se, 0, &ad);
    let mut buf = [0u8; 64];
    assert_eq!(l.s.read(&mut buf), Ok(None));
}

#[test]
fn certificate_verify_over_the_wrong_transcript_is_refused() {
    let mut l = Lock::new(ecc_client(Some(1), &[2], CCM8), ecc_server(2, &[1], true), 16);
    let recs = client_flight5(&mut l);
    for (t, r) in &recs {
        if *t == content::HANDSHAKE && r[3..5] == [0, 0] && r[13] == msg::CERTIFICATE_VERIFY {
            // Same message, signature over a different hash (with the right key).
            let mut sig = [0u8; 72];
            let n = nanodtls::crypto::ecc::sign(&test_key(1), &sha256(&[b"another transcript"]), &mut sig).unwrap();
            let mut body = vec![4, 3];
            body.extend_from_slice(&(n as u16).to_be_bytes());
            body.extend_from_slice(&sig[..n]);
            let seq = u16::from_be_bytes([r[13 + 4], r[13 + 5]]);
            let mut m = vec![
                msg::CERTIFICATE_VERIFY,
                0,
                0,
                body.len() as u8,
                (seq >> 8) as u8,
                seq as u8,
                0,
                0,
                0,
                0,
                0,
                body.len() as u8,
            ];
            m.extend_from_slice(&body);
            let forged = l.c.test_record(content::HANDSHAKE, 0, &m).unwrap();
            // Refused without a trace: the genuine CertificateVerify
            // right after it is taken and the handshake completes.
            assert_eq!(l.s.feed(&mut l.se, 0, &forged), Ok(()));
            assert_eq!(l.s.state(), State::ServerWaitCertificateVerify);
            assert_eq!(l.s.stats().dropped_rejected, 1);
            assert_eq!(l.s.last_alert().level, 0, "nothing sent");
        }
        l.s.feed(&mut l.se, 0, r).unwrap();
    }
    l.pump();
    l.run();
    assert!(l.connected(), "{:?} / {:?}", l.c.state(), l.s.state());
}

#[test]
fn invalid_client_key_exchange_points_are_refused() {
    for corruption in ["off-curve", "compressed", "short"] {
        let mut l = Lock::new(ecc_client(None, &[2], CCM8), ecc_server(2, &[], false), 17);
        let recs = client_flight5(&mut l);
        let (_, cke) =
            recs.iter().find(|(t, r)| *t == content::HANDSHAKE && r[13] == msg::CLIENT_KEY_EXCHANGE).unwrap().clone();
        let mut body = cke[13 + 12..].to_vec();
        match corruption {
            "off-curve" => body[40] ^= 1,
            "compressed" => body[1] = 0x02,
            _ => {
                body.truncate(33);
                body[0] = 32;
            }
        }
        let seq = u16::from_be_bytes([cke[13 + 4], cke[13 + 5]]);
        let mut m = vec![
            msg::CLIENT_KEY_EXCHANGE,
            0,
            0,
            body.len() as u8,
            (seq >> 8) as u8,
            seq as u8,
            0,
            0,
            0,
            0,
            0,
            body.len() as u8,
        ];
        m.extend_from_slice(&body);
        let forged = l.c.test_record(content::HANDSHAKE, 0, &m).unwrap();
        assert_eq!(l.s.feed(&mut l.se, 0, &forged), Ok(()), "{corruption}");
        assert_eq!(l.s.state(), State::ServerWaitClientKeyExchange, "{corruption}");
        // Our ephemeral key survived the refused point: the genuine
        // flight 5 completes the handshake.
        for (_, r) in &recs {
            l.s.feed(&mut l.se, 0, r).unwrap();
        }
        l.pump();
        l.run();
        assert!(l.connected(), "{corruption}: {:?} / {:?}", l.c.state(), l.s.state());
        // Only the forged point, and the deadline names the reason.
        let mut l = Lock::new(ecc_client(None, &[2], CCM8), ecc_server(2, &[], false), 17);
        let _ = client_flight5(&mut l);
        l.s.feed(&mut l.se, 0, &forged).unwrap();
        refused_until_the_deadline(&mut l, false, alert::ILLEGAL_PARAMETER);
    }
}

#[test]
fn ecc_over_a_lossy_network_with_small_mtu() {
    for seed in 0..6 {
        let mut c = ecc_client(Some(1), &[2], CCM8);
        let mut s = ecc_server(2, &[1], true);
        let mut cc = *c.config();
        cc.mtu = 200;
        let mut sc = *s.config();
        sc.mtu = 200;
        // Re-initialise with the small MTU and the same credentials.
        c.init(&cc).unwrap();
        c.set_own_key(&test_key(1)).unwrap();
        c.add_trusted_key(&test_spki(2)).unwrap();
        s.init(&sc).unwrap();
        s.set_own_key(&test_key(2)).unwrap();
        s.add_trusted_key(&test_spki(1)).unwrap();
        let mut sim = Sim::new(c, s, Link { loss: 100, dup: 50, reorder: 100, corrupt: 0, latency_ms: 20 }, seed);
        assert!(sim.handshake(100_000), "seed {seed}: {:?}", sim.out);
    }
}

#[test]
fn endpoint_serves_ecc_clients() {
    let mut cfg = server_config();
    cfg.client_auth = true;
    let mut ep = EndpointParty::new(&cfg, 2);
    ep.ep.set_own_key(&test_key(2)).unwrap();
    ep.ep.add_trusted_key(&test_spki(1)).unwrap();
    let mut sim = Sim::new(ecc_client(Some(1), &[2], CCM8), ep, Link { latency_ms: 5, ..Link::default() }, 30);
    assert!(sim.handshake(10_000), "{:?}", sim.out);
    let peer = sim.server.ep.peer(&sim.server.slots, &sim.server.addr).unwrap();
    assert_eq!(peer.peer_key_hash(), Some(sha256(&[&test_spki(1)])));
    assert_eq!(peer.suite(), CCM8);
}

#[test]
fn key_configuration_errors() {
    let mut c = new_conn(&client_config());
    assert_eq!(c.set_own_key(&[0u8; 32]), Err(Error::InvalidArgument));
    assert_eq!(c.set_own_key(&[0xffu8; 32]), Err(Error::InvalidArgument));
    assert_eq!(c.set_own_key(&[1, 2, 3]), Err(Error::Decode));
    assert_eq!(c.add_trusted_key(&[0x30, 0x59]), Err(Error::InvalidArgument));
    let mut spki = test_spki(1);
    spki[90] ^= 1; // point off the curve
    assert_eq!(c.add_trusted_key(&spki), Err(Error::InvalidArgument));
    for i in 0..4 {
        c.add_trusted_key_hash(&[i; 32]).unwrap();
    }
    c.add_trusted_key_hash(&[0; 32]).unwrap(); // duplicate: no new slot
    assert_eq!(c.add_trusted_key_hash(&[9; 32]), Err(Error::NoSlot));
    // ECC-only client with neither trust anchors nor verifier: no credentials.
    let mut c = ecc_client(Some(1), &[], CCM8);
    let mut env = TestEnv::new(1);
    assert_eq!(c.connect(&mut env, 0), Err(Error::NoCredentials));
}

#[test]
fn x509_certificates_are_accepted_by_pinning_their_key() {
    // A client without RFC 7250 (like OpenSSL 3.0): the server presents its
    // X.509 certificate, the client sends one for client authentication.
    for client_auth in [false, true] {
        let mut c = ecc_client(Some(1), &[2], CCM8);
        c.test_without_raw_public_keys();
        assert!(c.certificate_matches_own_key(&test_cert(1)));
        assert!(!c.certificate_matches_own_key(&test_cert(2)));
        let s = ecc_server(2, &[1], client_auth);
        let mut l = Lock { c, s, ce: TestEnv::new(50), se: TestEnv::new(51), queue: VecDeque::new() };
        l.ce.own_cert = Some(test_cert(1));
        l.se.own_cert = Some(test_cert(2));
        l.c.connect(&mut l.ce, 0).unwrap();
        l.pump();
        let (_, d) = l.until_message(msg::CERTIFICATE);
        assert!(find(&d, &test_cert(2)).is_some(), "the server sent its X.509 certificate");
        let _ = l.deliver(false, &d);
        l.run();
        assert!(l.connected(), "client_auth {client_auth}: {:?} {:?}", l.c.last_alert(), l.s.last_alert());
        assert_eq!(l.c.peer_key_hash(), Some(sha256(&[&test_spki(2)])));
        if client_auth {
            assert_eq!(l.s.peer_key_hash(), Some(sha256(&[&test_spki(1)])));
        }
        exchange(&mut l);
    }
}

#[test]
fn x509_certificate_with_an_unpinned_key_is_refused() {
    let mut c = ecc_client(None, &[1], CCM8); // pins key 1, server has key 2
    c.test_without_raw_public_keys();
    let s = ecc_server(2, &[], false);
    let mut l = Lock { c, s, ce: TestEnv::new(52), se: TestEnv::new(53), queue: VecDeque::new() };
    l.se.own_cert = Some(test_cert(2));
    l.c.connect(&mut l.ce, 0).unwrap();
    l.pump();
    l.run();
    refused_until_the_deadline(&mut l, true, alert::CERTIFICATE_UNKNOWN);
    // A server with no certificate cannot serve such a client at all.
    let mut c = ecc_client(None, &[2], CCM8);
    c.test_without_raw_public_keys();
    let mut l = Lock::new(c, ecc_server(2, &[], false), 54);
    l.run();
    // Refusing a ClientHello with a valid cookie is answered at once.
    assert_eq!(l.s.state(), State::Failed);
    assert_eq!(l.s.last_alert().description, alert::HANDSHAKE_FAILURE);
}

#[test]
fn x509_leaf_key_extraction_is_strict() {
    use nanodtls::auth::x509::der::x509_spki;
    let cert = test_cert(2);
    assert_eq!(x509_spki(&cert).unwrap(), &test_spki(2)[..]);
    for cut in 0..cert.len() {
        assert!(x509_spki(&cert[..cut]).is_err(), "cut {cut}");
    }
    let mut trailing = cert.clone();
    trailing.push(0);
    assert!(x509_spki(&trailing).is_err());
    // Pinning by certificate is pinning its key: the second call is a
    // duplicate and takes no slot (4 slots: 1 + 3 more fit, then none).
    let mut c = new_conn(&client_config());
    c.add_trusted_key(&cert).unwrap();
    c.add_trusted_key(&test_spki(2)).unwrap();
    for i in 0..3 {
        c.add_trusted_key_hash(&[i; 32]).unwrap();
    }
    assert_eq!(c.add_trusted_key_hash(&[9; 32]), Err(Error::NoSlot));
    assert_eq!(c.add_trusted_key(&cert[..100]), Err(Error::InvalidArgument));
}
