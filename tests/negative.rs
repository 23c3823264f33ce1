//! Negative tests: every datagram format and state transition fed what an
//! attacker or a broken network produces - truncated, duplicated,
//! reordered, replayed, forged, early, late or out of place.

mod common;
use std::collections::VecDeque;

use common::*;
use nanodtls::alert;
use nanodtls::codec::{Reader, Writer};
use nanodtls::handshake::{self, msg, FragmentHeader};
use nanodtls::record::{self, content};
use nanodtls::{Config, Error, State};

/// Lock-step driver: every datagram goes into a FIFO and is delivered one
/// at a time, so a test can stop at any point of the handshake.
struct Lock {
    c: Peer,
    s: Peer,
    ce: TestEnv,
    se: TestEnv,
    queue: VecDeque<(bool, Vec<u8>)>,
    log: Vec<(bool, Vec<u8>)>,
    now: u64,
}

impl Lock {
    fn with(c: Peer, s: Peer, seed: u64) -> Lock {
        let mut l = Lock {
            c,
            s,
            ce: TestEnv::new(seed),
            se: TestEnv::new(seed + 1000),
            queue: VecDeque::new(),
            log: vec![],
            now: 0,
        };
        l.c.connect(&mut l.ce, 0).unwrap();
        l.pump();
        l
    }

    fn new(seed: u64) -> Lock {
        Lock::with(psk_client(&client_config()), psk_server(&server_config()), seed)
    }

    fn pump(&mut self) {
        let mut buf = [0u8; 2048];
        while let Some(n) = self.c.poll_datagram(self.now, &mut buf).unwrap() {
            self.queue.push_back((true, buf[..n].to_vec()));
            self.log.push((true, buf[..n].to_vec()));
        }
        while let Some(n) = self.s.poll_datagram(self.now, &mut buf).unwrap() {
            self.queue.push_back((false, buf[..n].to_vec()));
            self.log.push((false, buf[..n].to_vec()));
        }
    }

    /// Feed `d` to the server (to_server) or the client.
    fn feed(&mut self, to_server: bool, d: &[u8]) -> Result<(), Error> {
        if to_server {
            self.s.feed(&mut self.se, self.now, d)
        } else {
            self.c.feed(&mut self.ce, self.now, d)
        }
    }

    /// Deliver the next queued datagram; false when none is left.
    fn step(&mut self) -> bool {
        let Some((to_server, d)) = self.queue.pop_front() else { return false };
        let _ = self.feed(to_server, &d);
        self.pump();
        true
    }

    fn run(&mut self) {
        while self.step() {}
    }

    fn connected(&self) -> bool {
        self.c.state() == State::Connected && self.s.state() == State::Connected
    }
}

/// Split a datagram into its records (raw bytes of each).
fn records(d: &[u8]) -> Vec<Vec<u8>> {
    let mut r = Reader::new(d);
    let mut out = vec![];
    while !r.is_empty() {
        let start = r.position();
        let rec = record::parse(&mut r).unwrap();
        let _ = rec;
        out.push(d[start..r.position()].to_vec());
    }
    out
}

/// Content type of a raw record.
fn ctype(rec: &[u8]) -> u8 {
    rec[0]
}

/// A plaintext (epoch 0) handshake record carrying one whole message.
fn hs_record(rec_seq: u64, msg_type: u8, msg_seq: u16, body: &[u8]) -> Vec<u8> {
    let mut hdr = [0u8; 12];
    let h =
        FragmentHeader { msg_type, length: body.len() as u32, seq: msg_seq, frag_off: 0, frag_len: body.len() as u32 };
    handshake::write_header(&mut Writer::new(&mut hdr), &h).unwrap();
    let mut buf = vec![0u8; 13 + 12 + body.len()];
    let mut w = Writer::new(&mut buf);
    record::write_record(&mut w, None, content::HANDSHAKE, 0, rec_seq, &[&hdr, body]).unwrap();
    buf
}

fn hs_message(msg_type: u8, msg_seq: u16, body: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; 12];
    let h =
        FragmentHeader { msg_type, length: body.len() as u32, seq: msg_seq, frag_off: 0, frag_len: body.len() as u32 };
    handshake::write_header(&mut Writer::new(&mut m), &h).unwrap();
    m.extend_from_slice(body);
    m
}

fn connected_pair(seed: u64) -> Lock {
    let mut l = Lock::new(seed);
    l.run();
    assert!(l.connected());
    l
}

fn app_datagram(l: &mut Lock, from_client: bool, text: &[u8]) -> Vec<u8> {
    let mut buf = [0u8; 2048];
    if from_client {
        l.c.write(text).unwrap();
        let n = l.c.poll_datagram(l.now, &mut buf).unwrap().unwrap();
        buf[..n].to_vec()
    } else {
        l.s.write(text).unwrap();
        let n = l.s.poll_datagram(l.now, &mut buf).unwrap().unwrap();
        buf[..n].to_vec()
    }
}

fn read_all(c: &mut Peer) -> Vec<Vec<u8>> {
    let mut out = vec![];
    let mut buf = [0u8; 2048];
    while let Ok(Some(n)) = c.read(&mut buf) {
        out.push(buf[..n].to_vec());
    }
    out
}

// ---------------------------------------------------------------- truncation

#[test]
fn every_truncation_of_every_handshake_datagram_is_dropped_and_the_handshake_survives() {
    let reference = connected_pair(1).log;
    assert_eq!(reference.len(), 6);
    for (i, (to_server, d)) in reference.iter().enumerate() {
        for cut in 0..d.len() {
            let mut l = Lock::new(1);
            for _ in 0..i {
                l.step();
            }
            let (dir, next) = l.queue.front().unwrap().clone();
            assert_eq!((dir, &next), (*to_server, d), "deterministic replay");
            let before = if dir { l.s.state() } else { l.c.state() };
            let r = l.feed(dir, &d[..cut]);
            assert!(r.is_ok(), "datagram {i} cut at {cut}: {r:?}");
            let after = if dir { l.s.state() } else { l.c.state() };
            // A cut on a record boundary is a shorter valid datagram; any
            // other cut drops the damaged record. Either way nothing fails.
            assert_ne!(after, State::Failed, "datagram {i} cut at {cut}");
            let _ = before;
            l.run();
            assert!(l.connected(), "datagram {i} cut at {cut}: handshake did not recover");
        }
    }
}

#[test]
fn every_truncation_of_an_application_record_is_dropped() {
    let mut l = connected_pair(2);
    let d = app_datagram(&mut l, true, b"hello");
    for cut in 0..d.len() {
        l.s.feed(&mut l.se, 0, &d[..cut]).unwrap();
        assert!(read_all(&mut l.s).is_empty());
    }
    assert_eq!(l.s.state(), State::Connected);
    l.s.feed(&mut l.se, 0, &d).unwrap();
    assert_eq!(read_all(&mut l.s), vec![b"hello".to_vec()]);
}

// ----------------------------------------------------- duplication, replay

#[test]
fn duplicated_handshake_datagrams_are_dropped_as_replays() {
    let mut l = Lock::new(3);
    while let Some((to_server, d)) = l.queue.pop_front() {
        let _ = l.feed(to_server, &d);
        let _ = l.feed(to_server, &d);
        l.pump();
    }
    assert!(l.connected());
    assert!(l.s.stats().dropped_replay >= 2, "{:?}", l.s.stats());
    assert!(l.c.stats().dropped_replay >= 2, "{:?}", l.c.stats());
    assert_eq!(l.c.stats().retransmits, 0, "exact duplicates must not trigger retransmissions");
}

#[test]
fn replayed_application_record_is_delivered_once() {
    let mut l = connected_pair(4);
    let d = app_datagram(&mut l, true, b"once");
    let mut got = vec![];
    for _ in 0..5 {
        l.s.feed(&mut l.se, 0, &d).unwrap();
        got.extend(read_all(&mut l.s));
    }
    assert_eq!(got, vec![b"once".to_vec()]);
    assert_eq!(l.s.stats().dropped_replay, 4);
    // Old records (more than 64 behind) are refused too.
    let first = app_datagram(&mut l, false, b"a");
    for i in 0..70 {
        let d = app_datagram(&mut l, false, format!("{i}").as_bytes());
        l.c.feed(&mut l.ce, 0, &d).unwrap();
        read_all(&mut l.c);
    }
    l.c.feed(&mut l.ce, 0, &first).unwrap();
    assert!(read_all(&mut l.c).is_empty(), "a record older than the window must be dropped");
}

#[test]
fn reordered_application_records_within_the_window_are_accepted() {
    let mut l = connected_pair(5);
    let ds: Vec<_> = (0..10).map(|i| app_datagram(&mut l, true, format!("m{i}").as_bytes())).collect();
    let mut got = vec![];
    for d in ds.iter().rev() {
        l.s.feed(&mut l.se, 0, d).unwrap();
        got.extend(read_all(&mut l.s));
    }
    assert_eq!(got.len(), 10);
    assert_eq!(got[0], b"m9");
}

// ---------------------------------------------------------------- forgery

#[test]
fn every_bit_flip_of_an_application_record_is_rejected() {
    let mut l = connected_pair(6);
    let d = app_datagram(&mut l, true, b"authentic");
    for i in 0..d.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = d.clone();
            bad[i] ^= bit;
            l.s.feed(&mut l.se, 0, &bad).unwrap();
            assert!(read_all(&mut l.s).is_empty(), "flip at byte {i}");
        }
    }
    assert_eq!(l.s.state(), State::Connected);
    let st = l.s.stats();
    assert_eq!(st.app_records_rx, 0);
    assert!(st.dropped_auth > 0 && st.dropped_malformed + st.dropped_epoch + st.dropped_unexpected > 0, "{st:?}");
    l.s.feed(&mut l.se, 0, &d).unwrap();
    assert_eq!(read_all(&mut l.s), vec![b"authentic".to_vec()]);
}

#[test]
fn records_of_a_wrong_epoch_are_dropped() {
    let mut l = connected_pair(7);
    let d = app_datagram(&mut l, true, b"x");
    for epoch in [0u16, 2, 0xffff] {
        let mut bad = d.clone();
        bad[3..5].copy_from_slice(&epoch.to_be_bytes());
        l.s.feed(&mut l.se, 0, &bad).unwrap();
    }
    assert!(read_all(&mut l.s).is_empty());
    // 2 and 0xffff are unknown epochs; epoch 0 is readable (plaintext) but
    // never carries application data.
    assert_eq!(l.s.stats().dropped_epoch, 2);
    assert_eq!(l.s.stats().dropped_unexpected, 1);
    assert_eq!(l.s.state(), State::Connected);
}

#[test]
fn plaintext_alerts_cannot_end_a_protected_connection() {
    let mut l = connected_pair(8);
    let mut buf = vec![0u8; 64];
    let mut w = Writer::new(&mut buf);
    record::write_record(&mut w, None, content::ALERT, 0, 500, &[&[2, 40]]).unwrap();
    let n = w.len();
    l.c.feed(&mut l.ce, 0, &buf[..n]).unwrap();
    assert_eq!(l.c.state(), State::Connected);
}

// ------------------------------------------------- state machine attacks

/// Run until the client has produced flight 5 (CKE, CCS, Finished) and
/// return its records without delivering them.
fn stop_at_flight5(seed: u64) -> (Lock, Vec<Vec<u8>>) {
    let mut l = Lock::new(seed);
    loop {
        let (to_server, d) = l.queue.front().unwrap().clone();
        let recs = records(&d);
        if to_server && recs.iter().any(|r| ctype(r) == content::CCS) {
            l.queue.pop_front();
            return (l, recs);
        }
        l.step();
    }
}

/// Feed `d` to the server and check it was discarded as out of place:
/// counted, no state change, no alert.
fn server_discards(l: &mut Lock, d: &[u8]) {
    let (state, before) = (l.s.state(), *l.s.stats());
    assert_eq!(l.s.feed(&mut l.se, 0, d), Ok(()));
    assert_eq!(l.s.state(), state);
    assert_eq!(l.s.stats().dropped_unexpected, before.dropped_unexpected + 1, "{:?}", l.s.stats());
    assert_eq!(l.s.last_alert().level, 0, "no alert");
    let mut buf = [0u8; 2048];
    assert_eq!(l.s.poll_datagram(0, &mut buf), Ok(None), "nothing sent");
}

#[test]
fn finished_before_change_cipher_spec_is_discarded() {
    let (mut l, recs) = stop_at_flight5(10);
    assert_eq!(ctype(&recs[0]), content::HANDSHAKE);
    l.s.feed(&mut l.se, 0, &recs[0]).unwrap(); // ClientKeyExchange only
    assert_eq!(l.s.state(), State::ServerWaitCcs);
    // A plaintext Finished with the next message_seq, before any CCS: out
    // of place, and unauthenticated (anyone can send it), so discarded.
    server_discards(&mut l, &hs_record(100, msg::FINISHED, 3, &[0u8; 12]));
    // The genuine CCS and Finished still complete the handshake.
    l.s.feed(&mut l.se, 0, &recs[1]).unwrap();
    l.s.feed(&mut l.se, 0, &recs[2]).unwrap();
    assert_eq!(l.s.state(), State::Connected);
}

#[test]
fn change_cipher_spec_before_client_key_exchange_is_ignored() {
    let (mut l, recs) = stop_at_flight5(11);
    l.s.feed(&mut l.se, 0, &recs[1]).unwrap(); // CCS alone
    assert_eq!(l.s.state(), State::ServerWaitClientKeyExchange);
    assert_eq!(l.s.stats().dropped_unexpected, 1);
    // The whole flight still works (the early CCS record number is now
    // seen, so the client's retransmission is what completes it).
    let all: Vec<u8> = recs.concat();
    l.s.feed(&mut l.se, 0, &all).unwrap();
    l.pump();
    if l.s.state() != State::Connected {
        l.c.handle_timeout(1000).unwrap();
        l.now = 1000;
        l.pump();
    }
    l.run();
    assert!(l.connected());
}

#[test]
fn duplicate_and_protected_change_cipher_spec_are_rejected() {
    let (mut l, recs) = stop_at_flight5(12);
    l.s.feed(&mut l.se, 0, &recs[0]).unwrap();
    l.s.feed(&mut l.se, 0, &recs[1]).unwrap();
    assert_eq!(l.s.state(), State::ServerWaitFinished);
    // A second plaintext CCS (fresh record number): old epoch, dropped.
    let ccs = l.c.test_record(content::CCS, 0, &[1]).unwrap();
    l.s.feed(&mut l.se, 0, &ccs).unwrap();
    assert_eq!(l.s.state(), State::ServerWaitFinished);
    // A CCS inside the protected epoch is a protocol violation.
    let ccs1 = l.c.test_record(content::CCS, 1, &[1]).unwrap();
    assert_eq!(l.s.feed(&mut l.se, 0, &ccs1), Err(Error::AlertSent));
    assert_eq!(l.s.last_alert().description, alert::UNEXPECTED_MESSAGE);
}

#[test]
fn application_data_before_finished_is_never_delivered() {
    let (mut l, recs) = stop_at_flight5(13);
    // Plaintext application data at any time, and protected application
    // data before the client's Finished: dropped.
    let early0 = l.c.test_record(content::APPLICATION_DATA, 0, b"early0").unwrap();
    l.s.feed(&mut l.se, 0, &early0).unwrap();
    l.s.feed(&mut l.se, 0, &recs[0]).unwrap();
    l.s.feed(&mut l.se, 0, &recs[1]).unwrap();
    let early1 = l.c.test_record(content::APPLICATION_DATA, 1, b"early1").unwrap();
    l.s.feed(&mut l.se, 0, &early1).unwrap();
    assert_eq!(l.s.stats().dropped_unexpected, 2);
    l.s.feed(&mut l.se, 0, &recs[2]).unwrap();
    assert_eq!(l.s.state(), State::Connected);
    assert!(read_all(&mut l.s).is_empty());
    // Client side: no write before connected.
    assert_eq!(l.c.write(b"x"), Err(Error::WrongState));
}

#[test]
fn finished_with_wrong_verify_data_is_fatal() {
    let (mut l, recs) = stop_at_flight5(14);
    l.s.feed(&mut l.se, 0, &recs[0]).unwrap();
    l.s.feed(&mut l.se, 0, &recs[1]).unwrap();
    let seq = l.c.test_next_send_seq() - 1;
    let bad = l.c.test_record(content::HANDSHAKE, 1, &hs_message(msg::FINISHED, seq, &[0x55; 12])).unwrap();
    // Authenticated (it decrypted under the handshake's keys) but wrong:
    // evidence from the peer, so fatal at once.
    assert_eq!(l.s.feed(&mut l.se, 0, &bad), Err(Error::AlertSent));
    assert_eq!(l.s.last_alert().description, alert::DECRYPT_ERROR);
    // Continuing after the fatal alert is impossible.
    assert_eq!(l.s.feed(&mut l.se, 0, &recs[2]), Err(Error::AlertSent));
    assert_eq!(l.s.write(b"x"), Err(Error::AlertSent));
}

#[test]
fn handshake_messages_with_wrong_message_seq_are_ignored() {
    let mut l = Lock::new(15);
    l.step(); // CH -> server (HVR queued)
    l.step(); // HVR -> client
              // The server now expects message_seq 1 from the cookie ClientHello. A
              // ServerHelloDone with a future seq at the client is dropped, not fatal.
    let future = hs_record(50, msg::SERVER_HELLO_DONE, 9, &[]);
    l.c.feed(&mut l.ce, 0, &future).unwrap();
    assert_eq!(l.c.stats().dropped_future, 1);
    l.run();
    assert!(l.connected());
}

#[test]
fn inconsistent_overlapping_fragments_are_dropped() {
    let mut s = psk_server(&{
        let mut c = server_config();
        c.require_cookie = false;
        c
    });
    let mut env = TestEnv::new(16);
    let mut c = psk_client(&client_config());
    let mut cenv = TestEnv::new(17);
    c.connect(&mut cenv, 0).unwrap();
    let mut buf = [0u8; 2048];
    let n = c.poll_datagram(0, &mut buf).unwrap().unwrap();
    let ch = &buf[13 + 12..n];
    let total = ch.len() as u32;
    let frag = |off: u32, data: &[u8], rec_seq: u64| {
        let mut hdr = [0u8; 12];
        let h = FragmentHeader {
            msg_type: msg::CLIENT_HELLO,
            length: total,
            seq: 0,
            frag_off: off,
            frag_len: data.len() as u32,
        };
        handshake::write_header(&mut Writer::new(&mut hdr), &h).unwrap();
        let mut out = vec![0u8; 13 + 12 + data.len()];
        record::write_record(&mut Writer::new(&mut out), None, content::HANDSHAKE, 0, rec_seq, &[&hdr, data]).unwrap();
        out
    };
    s.feed(&mut env, 0, &frag(0, &ch[..30], 1)).unwrap();
    let mut tampered = ch[20..40].to_vec();
    tampered[0] ^= 0xff;
    // The tampered fragment disagrees with what we hold. Either may be the
    // forgery (nothing is authenticated), so reassembly restarts with the
    // newer one: a forged fragment can never block the genuine message.
    s.feed(&mut env, 0, &frag(20, &tampered, 2)).unwrap();
    assert_eq!(s.stats().dropped_malformed, 1);
    s.feed(&mut env, 0, &frag(30, &ch[30..], 3)).unwrap();
    assert_eq!(s.state(), State::ServerWaitClientHello, "bytes 0..20 are missing now");
    // The client's retransmission replaces the tampered bytes and completes it.
    s.feed(&mut env, 0, &frag(0, &ch[..30], 4)).unwrap();
    assert_eq!(s.stats().dropped_malformed, 2);
    s.feed(&mut env, 0, &frag(30, &ch[30..], 5)).unwrap();
    assert_eq!(s.state(), State::ServerWaitClientKeyExchange);
}

#[test]
fn fragment_lengths_that_overflow_are_dropped() {
    let mut s = psk_server(&server_config());
    let mut env = TestEnv::new(18);
    for (rec_seq, (len, off, flen)) in
        [(0xffffffu32, 0u32, 10u32), (100, 95, 10), (10, 0xfffff0, 0x20)].into_iter().enumerate()
    {
        let mut hdr = vec![msg::CLIENT_HELLO];
        hdr.extend_from_slice(&len.to_be_bytes()[1..]);
        hdr.extend_from_slice(&[0, 0]);
        hdr.extend_from_slice(&off.to_be_bytes()[1..]);
        hdr.extend_from_slice(&flen.to_be_bytes()[1..]);
        hdr.extend_from_slice(&[0u8; 10]);
        let mut out = vec![0u8; 13 + hdr.len()];
        record::write_record(&mut Writer::new(&mut out), None, content::HANDSHAKE, 0, rec_seq as u64, &[&hdr]).unwrap();
        s.feed(&mut env, 0, &out).unwrap();
        assert_ne!(s.state(), State::Failed);
    }
    // 16 MB announced: dropped as oversize before any state exists; the
    // others are malformed (fragment beyond the message length, offset overflow).
    assert_eq!(s.stats().dropped_oversize, 1);
    assert_eq!(s.stats().dropped_malformed, 2);
}

/// Let the handshake deadline of `c` pass: Timeout, and the alert it
/// decided on for what it refused (None: nothing was refused, no alert).
fn expire(c: &mut Peer) -> Option<u8> {
    let t = u64::from(c.config().handshake_timeout_ms) + 1_000_000;
    assert_eq!(c.handle_timeout(t), Err(Error::Timeout));
    assert_eq!(c.failure(), Some(Error::Timeout));
    let mut buf = [0u8; 2048];
    let mut alerts = vec![];
    while let Some(n) = c.poll_datagram(t, &mut buf).unwrap() {
        alerts.extend(records(&buf[..n]).into_iter().filter(|r| ctype(r) == content::ALERT));
    }
    let a = c.last_alert();
    if alerts.is_empty() {
        return None;
    }
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0][13..], [alert::FATAL, a.description], "the alert on the wire");
    assert!(a.sent && a.level == alert::FATAL);
    Some(a.description)
}

#[test]
fn oversized_message_is_dropped_and_reported_at_the_deadline() {
    let mut c = psk_client(&client_config());
    let mut env = TestEnv::new(19);
    c.connect(&mut env, 0).unwrap();
    let mut buf = [0u8; 2048];
    c.poll_datagram(0, &mut buf).unwrap();
    // A ServerHello announcing 60000 bytes: more than we can reassemble.
    // Unauthenticated, so no reason to end the handshake at once.
    let mut hdr = vec![msg::SERVER_HELLO, 0, 0xea, 0x60, 0, 0, 0, 0, 0, 0, 0, 10];
    hdr.extend_from_slice(&[0u8; 10]);
    let mut out = vec![0u8; 13 + hdr.len()];
    record::write_record(&mut Writer::new(&mut out), None, content::HANDSHAKE, 0, 1, &[&hdr]).unwrap();
    assert_eq!(c.feed(&mut env, 0, &out), Ok(()));
    assert_eq!(c.state(), State::ClientWaitServerHello);
    assert_eq!(c.stats().dropped_oversize, 1);
    assert_eq!(expire(&mut c), Some(alert::INTERNAL_ERROR));
}

#[test]
fn client_hello_restart_mid_handshake_does_not_reset_the_server() {
    let (mut l, recs) = stop_at_flight5(20);
    // A fresh ClientHello (new random, message_seq 0) while the server waits
    // for ClientKeyExchange: an old message_seq, so it is ignored.
    let mut other = psk_client(&client_config());
    let mut oenv = TestEnv::new(999);
    other.connect(&mut oenv, 0).unwrap();
    let mut buf = [0u8; 2048];
    let n = other.poll_datagram(0, &mut buf).unwrap().unwrap();
    l.s.feed(&mut l.se, 0, &buf[..n]).unwrap();
    assert_eq!(l.s.state(), State::ServerWaitClientKeyExchange);
    let all: Vec<u8> = recs.concat();
    l.s.feed(&mut l.se, 0, &all).unwrap();
    assert_eq!(l.s.state(), State::Connected);
}

// ----------------------------------------------------- ServerHello checks

fn server_hello_body(version: u16, suite: u16, exts: Option<&[u8]>) -> Vec<u8> {
    let mut b = version.to_be_bytes().to_vec();
    b.extend_from_slice(&[9u8; 32]);
    b.push(0);
    b.extend_from_slice(&suite.to_be_bytes());
    b.push(0);
    if let Some(e) = exts {
        b.extend_from_slice(&(e.len() as u16).to_be_bytes());
        b.extend_from_slice(e);
    }
    b
}

/// What a client configured with `cfg` does with one ServerHello (or
/// HelloVerifyRequest) body: None if it takes it, or the alert it decided
/// on. A refused one is discarded without changing anything (RFC 6347
/// 4.1.2.7: it is unauthenticated), and that alert is sent at the deadline.
fn client_refuses_with(cfg: &Config, msg_type: u8, body: &[u8]) -> Option<u8> {
    let mut c = psk_client(cfg);
    let mut env = TestEnv::new(21);
    c.connect(&mut env, 0).unwrap();
    let mut buf = [0u8; 2048];
    c.poll_datagram(0, &mut buf).unwrap();
    let before = *c.stats();
    assert_eq!(c.feed(&mut env, 0, &hs_record(0, msg_type, 0, body)), Ok(()));
    if c.state() != State::ClientWaitServerHello || c.stats().hello_verify_requests > 0 {
        return None;
    }
    let st = c.stats();
    let dropped = |s: &nanodtls::Stats| s.dropped_malformed + s.dropped_unexpected + s.dropped_rejected;
    assert_eq!(dropped(st), dropped(&before) + 1, "counted once: {st:?}");
    assert_eq!(c.last_alert().level, 0, "nothing sent yet");
    assert_eq!(c.poll_datagram(0, &mut buf), Ok(None), "nothing sent yet");
    let a = expire(&mut c);
    assert!(a.is_some(), "a refusal is reported at the deadline");
    a
}

fn client_refuses(sh: &[u8]) -> Option<u8> {
    client_refuses_with(&client_config(), msg::SERVER_HELLO, sh)
}

#[test]
fn malicious_server_hellos_are_refused_with_the_right_alert() {
    let ok_ext: &[u8] = &[0x00, 0x17, 0x00, 0x00];
    assert_eq!(client_refuses(&server_hello_body(0xfefd, 0xC0A8, Some(ok_ext))), None);
    assert_eq!(client_refuses(&server_hello_body(0xfeff, 0xC0A8, None)), Some(alert::PROTOCOL_VERSION));
    assert_eq!(client_refuses(&server_hello_body(0xfefd, 0xC0AE, None)), Some(alert::ILLEGAL_PARAMETER));
    assert_eq!(client_refuses(&server_hello_body(0xfefd, 0x002F, None)), Some(alert::ILLEGAL_PARAMETER));
    assert_eq!(
        client_refuses(&server_hello_body(0xfefd, 0xC0A8, Some(&[0x00, 0x05, 0x00, 0x00]))),
        Some(alert::UNSUPPORTED_EXTENSION)
    );
    assert_eq!(
        client_refuses(&server_hello_body(0xfefd, 0xC0A8, Some(&[0xff, 0x01, 0x00, 0x02, 0x01, 0x00]))),
        Some(alert::HANDSHAKE_FAILURE)
    );
    let full = server_hello_body(0xfefd, 0xC0A8, Some(ok_ext));
    for cut in 0..full.len() - ok_ext.len() - 2 {
        assert_eq!(client_refuses(&full[..cut]), Some(alert::DECODE_ERROR), "cut {cut}");
    }
    // Compression other than null.
    let mut comp = server_hello_body(0xfefd, 0xC0A8, None);
    let at = comp.len() - 1;
    comp[at] = 1;
    assert_eq!(client_refuses(&comp), Some(alert::ILLEGAL_PARAMETER));
}

#[test]
fn a_refused_server_hello_changes_nothing_and_the_genuine_one_completes() {
    // A forged ServerHello (a suite we never offered) first, then the
    // real handshake: the forgery must leave no trace.
    let mut l = Lock::new(60);
    l.step(); // ClientHello -> server
    l.step(); // HelloVerifyRequest -> client
    l.step(); // ClientHello with cookie -> server
    let forged = hs_record(1, msg::SERVER_HELLO, 1, &server_hello_body(0xfefd, 0xC0AE, None));
    l.c.feed(&mut l.ce, 0, &forged).unwrap();
    assert_eq!(l.c.state(), State::ClientWaitServerHello);
    assert_eq!(l.c.stats().dropped_rejected, 1);
    l.run();
    assert!(l.connected());
}

#[test]
fn require_ems_refuses_a_server_without_it() {
    let mut cfg = client_config();
    cfg.require_ems = true;
    let sh = server_hello_body(0xfefd, 0xC0A8, None);
    assert_eq!(client_refuses_with(&cfg, msg::SERVER_HELLO, &sh), Some(alert::HANDSHAKE_FAILURE));
}

#[test]
fn hello_verify_request_with_a_cookie_too_large_is_refused_clearly() {
    let mut body = vec![0xfe, 0xff, 200];
    body.extend_from_slice(&[7u8; 200]);
    let r = client_refuses_with(&client_config(), msg::HELLO_VERIFY_REQUEST, &body);
    assert_eq!(r, Some(alert::INTERNAL_ERROR), "NANODTLS_MAX_COOKIE is smaller: our limit, named at the deadline");
}

// ------------------------------------------------------------ credentials

#[test]
fn unknown_psk_identity_gets_decrypt_error() {
    let mut server = new_conn(&server_config());
    server.set_psk(b"someone-else", &PSK).unwrap();
    let mut l = Lock::with(psk_client(&client_config()), server, 24);
    l.run();
    // The ClientKeyExchange is unauthenticated (anyone can send one with
    // any identity): refused and discarded, the handshake waits ...
    assert_eq!(l.s.state(), State::ServerWaitClientKeyExchange);
    assert_eq!(l.s.stats().dropped_rejected, 1);
    // ... and at the deadline says decrypt_error (RFC 7925: it does not
    // reveal whether the identity exists), which ends the client's too.
    let t = 200_000;
    assert_eq!(l.s.handle_timeout(t), Err(Error::Timeout));
    l.now = t;
    l.pump();
    l.run();
    assert_eq!(l.s.state(), State::Failed);
    assert_eq!(l.s.last_alert(), nanodtls::AlertInfo { level: 2, description: alert::DECRYPT_ERROR, sent: true });
    assert_eq!(l.c.state(), State::Failed);
    assert_eq!(l.c.failure(), Some(Error::AlertReceived));
    assert_eq!(l.c.last_alert(), nanodtls::AlertInfo { level: 2, description: alert::DECRYPT_ERROR, sent: false });
}

#[test]
fn wrong_key_is_reported_with_bad_record_mac_at_the_deadline() {
    let mut server = new_conn(&server_config());
    server.set_psk(PSK_ID, &[0xEE; 16]).unwrap();
    let mut l = Lock::with(psk_client(&client_config()), server, 25);
    l.run();
    // The client's Finished fails authentication under the server's keys.
    // That is no evidence (anyone can send such a record, RFC 6347
    // 4.1.2.7), so the handshake goes on, through the retransmissions too.
    assert_eq!(l.s.state(), State::ServerWaitFinished);
    assert_eq!(l.s.stats().dropped_auth, 1);
    for t in [1000, 3000, 7000] {
        l.now = t;
        l.c.handle_timeout(t).unwrap();
        l.pump();
        l.run();
    }
    assert_eq!(l.s.state(), State::ServerWaitFinished);
    assert_eq!(l.s.stats().dropped_auth, 4);
    // At the deadline the server names the likely cause.
    let t = 120_000;
    assert_eq!(l.s.handle_timeout(t), Err(Error::Timeout));
    l.now = t;
    l.pump();
    l.run();
    assert_eq!(l.s.last_alert(), nanodtls::AlertInfo { level: 2, description: alert::BAD_RECORD_MAC, sent: true });
    assert_eq!(l.c.failure(), Some(Error::AlertReceived));
    assert_eq!(l.c.last_alert().description, alert::BAD_RECORD_MAC);
}

#[test]
fn psk_lookup_callback_serves_many_identities() {
    let mut server = new_conn(&server_config());
    let mut client = new_conn(&client_config());
    client.set_psk(b"device-42", &[0x42; 32]).unwrap();
    let mut l = Lock::with(client, server_with_table(&mut server), 26);
    l.se.table = vec![(b"device-41".to_vec(), vec![0x41; 16]), (b"device-42".to_vec(), vec![0x42; 32])];
    l.run();
    assert!(l.connected());
    assert_eq!(l.s.psk_identity(), b"device-42");
    assert_eq!(l.se.lookups, 1);
}

fn server_with_table(s: &mut Peer) -> Peer {
    std::mem::replace(s, new_conn(&server_config()))
}

#[test]
fn no_credentials_and_rng_failure_are_clear() {
    let mut c = new_conn(&client_config());
    let mut env = TestEnv::new(27);
    assert_eq!(c.connect(&mut env, 0), Err(Error::NoCredentials));
    assert_eq!(c.state(), State::Idle, "misuse changes nothing");
    c.set_psk(PSK_ID, &PSK).unwrap();
    env.fail_rng = true;
    assert_eq!(c.connect(&mut env, 0), Err(Error::Rng));
    assert_eq!(c.state(), State::Failed);
    let mut buf = [0u8; 256];
    assert_eq!(c.poll_datagram(0, &mut buf), Ok(None), "no alert, no ClientHello with weak randomness");
    // Server whose RNG fails when it needs the ServerHello random.
    let mut cfg = server_config();
    cfg.require_cookie = false;
    let mut l = Lock::with(psk_client(&client_config()), psk_server(&cfg), 28);
    l.se.fail_rng = true;
    l.run();
    assert_eq!(l.s.failure(), Some(Error::Rng));
    assert_eq!(l.s.last_alert().description, alert::INTERNAL_ERROR);
}

#[test]
fn a_server_whose_rng_fails_for_the_cookie_secret_says_so() {
    // Reported: the ClientHello was dropped and counted as unexpected, so a
    // server with a broken RNG just looked unreachable. Like an RNG failure
    // for the ServerHello random it ends the handshake, with its own status.
    let mut c = psk_client(&client_config());
    let mut cenv = TestEnv::new(29);
    c.connect(&mut cenv, 0).unwrap();
    let mut buf = [0u8; 2048];
    let n = c.poll_datagram(0, &mut buf).unwrap().unwrap();
    let mut s = psk_server(&server_config());
    let mut senv = TestEnv::new(30);
    senv.fail_rng = true;
    assert_eq!(s.feed(&mut senv, 0, &buf[..n]), Err(Error::Rng));
    assert_eq!(s.state(), State::Failed);
    assert_eq!(s.failure(), Some(Error::Rng));
    assert_eq!(s.stats().dropped_unexpected, 0);
    assert_eq!(s.poll_datagram(0, &mut buf), Ok(None), "nothing sent");
}

#[test]
fn config_and_psk_misuse_is_rejected() {
    let mut c = new_conn(&client_config());
    assert_eq!(c.set_psk(b"", &PSK), Err(Error::InvalidArgument));
    assert_eq!(c.set_psk(PSK_ID, &[]), Err(Error::InvalidArgument));
    assert_eq!(c.set_psk(&[b'a'; 129], &PSK), Err(Error::InvalidArgument));
    assert_eq!(c.set_psk(PSK_ID, &[0; 65]), Err(Error::InvalidArgument));
    assert_eq!(c.set_psk_hint(b"hint"), Err(Error::WrongState), "hints are for servers");
    let mut bad = Config::new(nanodtls::Role::Client);
    bad.mtu = 64;
    assert_eq!(c.init(&bad), Err(Error::InvalidArgument));
}

// ------------------------------------------------ renegotiation, closing

#[test]
fn hello_request_after_the_handshake_gets_no_renegotiation() {
    let mut l = connected_pair(29);
    let seq = l.s.test_next_send_seq();
    let hr = l.s.test_record(content::HANDSHAKE, 1, &hs_message(msg::HELLO_REQUEST, seq, &[])).unwrap();
    l.c.feed(&mut l.ce, 0, &hr).unwrap();
    assert_eq!(l.c.state(), State::Connected);
    assert_eq!(l.c.last_alert(), nanodtls::AlertInfo { level: 1, description: alert::NO_RENEGOTIATION, sent: true });
    l.pump();
    l.run();
    assert_eq!(l.s.state(), State::Connected);
    assert_eq!(l.s.last_alert(), nanodtls::AlertInfo { level: 1, description: alert::NO_RENEGOTIATION, sent: false });
    // Data still flows.
    let d = app_datagram(&mut l, true, b"still here");
    l.s.feed(&mut l.se, 0, &d).unwrap();
    assert_eq!(read_all(&mut l.s), vec![b"still here".to_vec()]);
}

#[test]
fn renegotiating_client_hello_gets_no_renegotiation() {
    let mut l = connected_pair(30);
    let seq = l.c.test_next_send_seq();
    let mut body = vec![0xfe, 0xfd];
    body.extend_from_slice(&[1u8; 32]);
    body.extend_from_slice(&[0, 0, 0, 2, 0xc0, 0xa8, 1, 0]);
    let ch = l.c.test_record(content::HANDSHAKE, 1, &hs_message(msg::CLIENT_HELLO, seq, &body)).unwrap();
    l.s.feed(&mut l.se, 0, &ch).unwrap();
    assert_eq!(l.s.state(), State::Connected);
    assert_eq!(l.s.last_alert().description, alert::NO_RENEGOTIATION);
    assert_eq!(l.s.last_alert().level, alert::WARNING);
}

/// RFC 6347 4.2.2: a renegotiating handshake starts again at message_seq
/// 0 (Mbed TLS sends its HelloRequest and its renegotiating ClientHello
/// so). Inside the protected epoch that is a renegotiation attempt, not a
/// retransmission: it is refused with no_renegotiation. A late epoch-0 copy
/// of the original ClientHello (message_seq 0 too) is a retransmission.
#[test]
fn renegotiation_at_message_seq_0_gets_no_renegotiation() {
    let mut l = connected_pair(36);
    let hr = l.s.test_record(content::HANDSHAKE, 1, &hs_message(msg::HELLO_REQUEST, 0, &[])).unwrap();
    l.c.feed(&mut l.ce, 0, &hr).unwrap();
    assert_eq!(l.c.last_alert(), nanodtls::AlertInfo { level: 1, description: alert::NO_RENEGOTIATION, sent: true });
    assert_eq!(l.c.state(), State::Connected);

    let mut l = connected_pair(37);
    let mut body = vec![0xfe, 0xfd];
    body.extend_from_slice(&[1u8; 32]);
    body.extend_from_slice(&[0, 0, 0, 2, 0xc0, 0xa8, 1, 0]);
    let ch = l.c.test_record(content::HANDSHAKE, 1, &hs_message(msg::CLIENT_HELLO, 0, &body)).unwrap();
    l.s.feed(&mut l.se, 0, &ch).unwrap();
    assert_eq!(l.s.last_alert().description, alert::NO_RENEGOTIATION);
    assert_eq!(l.s.state(), State::Connected);

    // The same ClientHello in epoch 0: a late copy, no alert.
    let mut l = connected_pair(38);
    let before = l.s.last_alert();
    l.s.feed(&mut l.se, 0, &hs_record(1, msg::CLIENT_HELLO, 0, &body)).unwrap();
    assert_eq!(l.s.last_alert(), before);
    assert_eq!(l.s.state(), State::Connected);
}

#[test]
fn close_notify_both_ways() {
    for client_closes in [true, false] {
        let mut l = connected_pair(31);
        if client_closes {
            l.c.close().unwrap();
        } else {
            l.s.close().unwrap();
        }
        l.pump();
        l.run();
        assert_eq!(l.c.state(), State::Closed);
        assert_eq!(l.s.state(), State::Closed);
        let closer = if client_closes { &l.s } else { &l.c };
        assert_eq!(
            closer.last_alert(),
            nanodtls::AlertInfo { level: 1, description: alert::CLOSE_NOTIFY, sent: false }
        );
        let mut buf = [0u8; 64];
        assert_eq!(l.c.read(&mut buf), Err(Error::Closed));
        assert_eq!(l.c.write(b"x"), Err(Error::Closed));
        assert_eq!(l.c.close(), Ok(()), "idempotent");
    }
}

#[test]
fn data_before_close_notify_in_one_datagram_is_still_readable() {
    let mut l = connected_pair(32);
    l.c.write(b"last words").unwrap();
    l.c.close().unwrap();
    let mut buf = [0u8; 2048];
    let mut dgrams = vec![];
    while let Some(n) = l.c.poll_datagram(0, &mut buf).unwrap() {
        dgrams.push(buf[..n].to_vec());
    }
    assert_eq!(dgrams.len(), 2, "data, then close_notify");
    l.s.feed(&mut l.se, 0, &dgrams[0]).unwrap();
    assert_eq!(read_all(&mut l.s), vec![b"last words".to_vec()]);
    l.s.feed(&mut l.se, 0, &dgrams[1]).unwrap();
    assert_eq!(l.s.state(), State::Closed);
    // Data and close_notify in one datagram: the data is still readable.
    let mut l = connected_pair(35);
    l.c.write(b"bye").unwrap();
    l.c.close().unwrap();
    let mut both = vec![];
    while let Some(n) = l.c.poll_datagram(0, &mut buf).unwrap() {
        both.extend_from_slice(&buf[..n]);
    }
    l.s.feed(&mut l.se, 0, &both).unwrap();
    assert_eq!(l.s.state(), State::Closed);
    assert_eq!(l.s.read(&mut buf), Ok(Some(3)));
    assert_eq!(l.s.read(&mut buf), Err(Error::Closed));
}

/// Two application records in one datagram: the library decrypts in
/// place and stops after each one, so every record comes out whole, in
/// order, with nothing lost, and the rest is fed again from `consumed`.
#[test]
fn two_app_records_in_one_datagram_come_out_one_feed_call_each() {
    let mut l = connected_pair(33);
    let a = app_datagram(&mut l, true, b"first");
    let b = app_datagram(&mut l, true, b"second");
    let mut both = [a.clone(), b.clone()].concat();
    let fed = l.s.c.feed(&mut l.se, 0, &mut both).unwrap();
    assert_eq!(fed.consumed, a.len(), "stops after the first application record");
    assert_eq!(&both[fed.app.clone().unwrap()], b"first", "decrypted in place");
    let rest = &mut both[a.len()..];
    let fed2 = l.s.c.feed(&mut l.se, 0, rest).unwrap();
    assert_eq!(fed2.consumed, b.len());
    assert_eq!(&rest[fed2.app.unwrap()], b"second");
    // Replayed: the same records again yield nothing.
    let mut again = [a, b].concat();
    let fed3 = l.s.c.feed(&mut l.se, 0, &mut again).unwrap();
    assert_eq!((fed3.consumed, fed3.app), (again.len(), None));
    assert_eq!(l.s.stats().dropped_replay, 2);
}

#[test]
fn a_poll_buffer_below_the_minimum_mtu_is_refused_not_filled_with_fragments() {
    // Reported: a 26-byte buffer cut the handshake into 26-byte datagrams
    // instead of BufferTooSmall as documented.
    let min = usize::from(nanodtls::config::MIN_MTU);
    let mut c = psk_client(&client_config());
    let mut env = TestEnv::new(35);
    c.connect(&mut env, 0).unwrap();
    let mut buf = [0u8; 2048];
    for size in [0, 1, 26, min - 1] {
        assert_eq!(c.poll_datagram(0, &mut buf[..size]), Err(Error::BufferTooSmall), "{size}-byte buffer");
    }
    assert_eq!(c.stats().tx_datagrams, 0, "nothing taken");
    // At the minimum the (whole, unfragmented) ClientHello comes out.
    let n = c.poll_datagram(0, &mut buf[..min]).unwrap().unwrap();
    assert!(n > 26 && n <= min);
    assert_eq!(&buf[14..17], &buf[22..25], "not a fragment");
    assert_eq!(c.poll_datagram(0, &mut buf), Ok(None));
    // Nothing waiting: a small buffer is no error.
    assert_eq!(c.poll_datagram(0, &mut buf[..10]), Ok(None));
    // The same for alerts. (Application data is not polled: write seals it
    // into the caller's buffer and refuses one too small, see write_limits.)
    let mut l = connected_pair(36);
    l.c.close().unwrap();
    assert_eq!(l.c.poll_datagram(0, &mut buf[..40]), Err(Error::BufferTooSmall));
    assert!(l.c.poll_datagram(0, &mut buf).unwrap().is_some());
}

#[test]
fn write_limits() {
    let mut l = connected_pair(34);
    let max = l.c.max_write();
    assert!(max > 1000 && max < 1280);
    let mut out = vec![0u8; 2048];
    assert_eq!(l.c.c.write(&vec![0u8; max + 1], &mut out), Err(Error::TooLarge));
    // Sealed straight into the caller's buffer: one too small is refused
    // and uses no sequence number.
    assert_eq!(l.c.c.write(&[0u8; 10], &mut out[..10 + 28]), Err(Error::BufferTooSmall));
    let n = l.c.c.write(&[0u8; 10], &mut out[..10 + 29]).unwrap();
    assert_eq!(n, 10 + 29, "13-byte header, 8-byte explicit nonce, 8-byte tag");
    let seq1 = u64::from_be_bytes([0, 0, out[5], out[6], out[7], out[8], out[9], out[10]]);
    let n = l.c.c.write(&vec![0u8; max], &mut out).unwrap();
    assert!(n <= 1280);
    let seq2 = u64::from_be_bytes([0, 0, out[5], out[6], out[7], out[8], out[9], out[10]]);
    assert_eq!(seq2, seq1 + 1);
    l.c.c.write(&[], &mut out).unwrap();
}

// ------------------------------------- more state-machine attacks (issue 6)

#[test]
fn early_finished_before_client_key_exchange_is_discarded() {
    let (mut l, recs) = stop_at_flight5(40);
    // The server waits for ClientKeyExchange (message_seq 2); a plaintext
    // Finished with that message_seq instead is out of order.
    assert_eq!(l.s.state(), State::ServerWaitClientKeyExchange);
    server_discards(&mut l, &hs_record(200, msg::FINISHED, 2, &[0u8; 12]));
    l.s.feed(&mut l.se, 0, &recs.concat()).unwrap();
    assert_eq!(l.s.state(), State::Connected);
}

#[test]
fn duplicate_finished_after_the_handshake_is_only_a_retransmission() {
    let (mut l, recs) = stop_at_flight5(41);
    let all: Vec<u8> = recs.concat();
    l.s.feed(&mut l.se, 0, &all).unwrap();
    assert_eq!(l.s.state(), State::Connected);
    let mut buf = [0u8; 2048];
    while l.s.poll_datagram(0, &mut buf).unwrap().is_some() {}
    // The client's flight again (fresh record numbers, as a retransmission
    // has, a timeout later): the server stays connected and resends its
    // last flight.
    let mut retransmission = |t: u64| {
        l.c.handle_timeout(t).unwrap();
        let mut again = vec![];
        while let Some(n) = l.c.poll_datagram(t, &mut buf).unwrap() {
            again.extend_from_slice(&buf[..n]);
        }
        again
    };
    let (early, late) = (retransmission(1000), retransmission(3000));
    // A copy right after our flight (a network duplicate, or a forgery) is
    // not answered: the peer cannot have timed out yet.
    l.s.feed(&mut l.se, 100, &early).unwrap();
    assert_eq!(l.s.poll_datagram(100, &mut buf).unwrap(), None);
    assert_eq!(l.s.stats().peer_retransmits, 0);
    l.s.feed(&mut l.se, 1000, &late).unwrap();
    assert_eq!(l.s.state(), State::Connected);
    assert!(l.s.poll_datagram(1000, &mut buf).unwrap().is_some(), "flight 6 resent");
    assert_eq!(l.s.stats().peer_retransmits, 1);
}

#[test]
fn unrequested_certificate_is_discarded() {
    let (mut l, recs) = stop_at_flight5(42);
    // A PSK server never asked for a Certificate.
    server_discards(&mut l, &hs_record(300, msg::CERTIFICATE, 2, &[0, 0, 0]));
    l.s.feed(&mut l.se, 0, &recs.concat()).unwrap();
    assert_eq!(l.s.state(), State::Connected);
}

#[test]
fn handshake_message_in_a_future_epoch_is_dropped() {
    let (mut l, recs) = stop_at_flight5(43);
    // ClientKeyExchange protected under epoch 1 before any CCS: the server
    // cannot read epoch 1 yet and drops it.
    let cke = &recs[0];
    let m = cke[13..].to_vec();
    let rec = l.c.test_record(content::HANDSHAKE, 1, &m).unwrap();
    l.s.feed(&mut l.se, 0, &rec).unwrap();
    assert_eq!(l.s.state(), State::ServerWaitClientKeyExchange);
    assert_eq!(l.s.stats().dropped_epoch, 1);
}

/// A ClientHello body with the given cookie length byte and extensions.
fn client_hello_body(cookie_len_field: u8, cookie: &[u8], exts: &[u8]) -> Vec<u8> {
    let mut b = vec![0xfe, 0xfd];
    b.extend_from_slice(&[5u8; 32]);
    b.push(0);
    b.push(cookie_len_field);
    b.extend_from_slice(cookie);
    b.extend_from_slice(&[0, 2, 0xc0, 0xa8, 1, 0]);
    b.extend_from_slice(exts);
    b
}

#[test]
fn cookie_and_extension_length_overruns_are_dropped() {
    let mut cfg = server_config();
    cfg.require_cookie = false;
    let mut s = psk_server(&cfg);
    let mut env = TestEnv::new(44);
    let bodies = [
        // Cookie length says 200, only 4 bytes follow.
        client_hello_body(200, &[1, 2, 3, 4], &[]),
        // Extensions block length overruns the message.
        client_hello_body(0, &[], &[0x01, 0x00, 0x00, 0x17, 0x00, 0x00]),
        // One extension's length overruns the block.
        client_hello_body(0, &[], &[0x00, 0x06, 0x00, 0x17, 0x00, 0x09, 0x00, 0x00]),
        // Duplicate extension.
        client_hello_body(0, &[], &[0x00, 0x08, 0x00, 0x17, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00]),
        // Trailing garbage after the extensions.
        client_hello_body(0, &[], &[0x00, 0x04, 0x00, 0x17, 0x00, 0x00, 0xff]),
    ];
    for (i, b) in bodies.iter().enumerate() {
        s.feed(&mut env, 0, &hs_record(i as u64 + 1, msg::CLIENT_HELLO, 0, b)).unwrap();
        assert_eq!(s.state(), State::ServerWaitClientHello, "case {i}");
    }
    assert_eq!(s.stats().dropped_malformed, bodies.len() as u32);
    let mut buf = [0u8; 256];
    assert_eq!(s.poll_datagram(0, &mut buf).unwrap(), None, "nothing answered");
    // A well-formed one still works afterwards.
    let good = client_hello_body(0, &[], &[0x00, 0x04, 0x00, 0x17, 0x00, 0x00]);
    s.feed(&mut env, 0, &hs_record(50, msg::CLIENT_HELLO, 0, &good)).unwrap();
    assert_eq!(s.state(), State::ServerWaitClientKeyExchange);
}

// ------------------------------------------- regressions found by fuzzing

#[test]
fn late_retransmission_after_connect_is_answered_once_without_a_timer() {
    // fuzz/regressions/*/rearm-after-connected: the client is Connected when
    // a late copy of the server's flight 4 arrives. It resends flight 5 once
    // (RFC 6347 4.2.4) but must not arm a retransmission timer again.
    let mut l = Lock::new(45);
    let mut flight4 = None;
    while !l.connected() {
        let (to_server, d) = l.queue.front().unwrap().clone();
        if !to_server && flight4.is_none() && d[13] == msg::SERVER_HELLO {
            flight4 = Some(d.clone());
        }
        l.step();
    }
    let flight4 = flight4.unwrap();
    // The same flight again, as a retransmission (fresh record numbers).
    let mut retrans = vec![];
    let mut r = nanodtls::codec::Reader::new(&flight4);
    while !r.is_empty() {
        let start = r.position();
        let rec = record::parse(&mut r).unwrap();
        let mut raw = flight4[start..r.position()].to_vec();
        raw[5..11].copy_from_slice(&(rec.seq + 100).to_be_bytes()[2..]);
        retrans.extend_from_slice(&raw);
    }
    // It arrives a timeout after our flight 5 went out.
    l.c.feed(&mut l.ce, 1000, &retrans).unwrap();
    let mut buf = [0u8; 2048];
    assert!(l.c.poll_datagram(1000, &mut buf).unwrap().is_some(), "flight 5 resent once");
    while l.c.poll_datagram(1000, &mut buf).unwrap().is_some() {}
    assert_eq!(l.c.timeout_ms(1000), None, "no timer after the handshake");
    assert_eq!(l.c.state(), State::Connected);
}

#[test]
fn endpoint_without_cookies_keeps_a_connected_association_against_a_spoofed_hello() {
    // fuzz/regressions/server/endpoint-spoofed-hello-replaces-association
    let mut cfg = server_config();
    cfg.require_cookie = false;
    let ep = EndpointParty::new(&cfg, 2);
    let mut sim = Sim::new(psk_client(&client_config()), ep, Link { latency_ms: 5, ..Link::default() }, 46);
    assert!(sim.handshake(5_000));
    // A ClientHello with a new random from the same address, no cookie.
    let mut body = vec![0xfe, 0xfd];
    body.extend_from_slice(&[0x11; 32]);
    body.extend_from_slice(&[0, 0, 0, 2, 0xc0, 0xa8, 1, 0]);
    let hello = hs_record(5, msg::CLIENT_HELLO, 0, &body);
    let addr = sim.server.addr.clone();
    sim.server.feed_from(&mut sim.senv, sim.now, &addr, &hello).unwrap();
    assert_eq!(sim.server.ep.peer(&sim.server.slots, &addr).unwrap().state(), State::Connected);
    // It is answered with a HelloVerifyRequest instead.
    let mut buf = [0u8; 2048];
    let mut a = [0u8; 64];
    let (n, _) = sim.server.poll_to(sim.now, &mut buf, &mut a).unwrap().unwrap();
    assert_eq!(buf[13], msg::HELLO_VERIFY_REQUEST, "{:?}", &buf[..n]);
    // The genuine connection still carries data.
    sim.client.write(b"still mine").unwrap();
    sim.run_for(100);
    assert_eq!(sim.out.app_delivered_to_server.last().map(|v| v.as_slice()), Some(&b"still mine"[..]));
}

// Handshake messages read straight from the datagram (unfragmented) and
// from the reassembly buffer (fragmented): the same checks, the same
// transcript, the same duplicate and stale-fragment rules.

/// Run `l` until the server's datagram with the ServerHello is next and
/// take it off the queue: (record seq and body of the ServerHello, the
/// datagram's other records).
fn take_server_hello(l: &mut Lock) -> (u64, Vec<u8>, Vec<Vec<u8>>) {
    loop {
        let (to_server, d) = l.queue.front().unwrap().clone();
        let recs = records(&d);
        if !to_server && recs[0][13] == msg::SERVER_HELLO {
            l.queue.pop_front();
            let sh = &recs[0];
            let rec_seq = u64::from_be_bytes([0, 0, sh[5], sh[6], sh[7], sh[8], sh[9], sh[10]]);
            // Sent unfragmented: length == frag_len, frag_off 0.
            assert_eq!(sh[14..17], sh[22..25]);
            assert_eq!(sh[19..22], [0, 0, 0]);
            return (rec_seq, sh[25..].to_vec(), recs[1..].to_vec());
        }
        l.step();
    }
}

/// An epoch-0 record with one fragment `off..off + data.len()` of message
/// `msg_seq` (`length` bytes in all).
fn hs_fragment(rec_seq: u64, msg_type: u8, length: usize, msg_seq: u16, off: usize, data: &[u8]) -> Vec<u8> {
    let h = FragmentHeader {
        msg_type,
        length: length as u32,
        seq: msg_seq,
        frag_off: off as u32,
        frag_len: data.len() as u32,
    };
    let mut hdr = [0u8; 12];
    handshake::write_header(&mut Writer::new(&mut hdr), &h).unwrap();
    let mut buf = vec![0u8; 13 + 12 + data.len()];
    record::write_record(&mut Writer::new(&mut buf), None, content::HANDSHAKE, 0, rec_seq, &[&hdr, data]).unwrap();
    buf
}

/// Feed the client the rest of the server's flight, then finish the run.
fn finish_after_server_hello(l: &mut Lock, rest: &[Vec<u8>]) {
    for r in rest {
        l.c.feed(&mut l.ce, l.now, r).unwrap();
    }
    l.pump();
    l.run();
    assert!(l.connected(), "client {:?}, server {:?}", l.c.state(), l.s.state());
}

#[test]
fn a_server_hello_split_across_fragments_is_reassembled() {
    let mut l = Lock::new(60);
    let (seq, body, rest) = take_server_hello(&mut l);
    let n = body.len();
    // Out of order, in two records of one datagram and then a third.
    let d = [
        hs_fragment(seq, msg::SERVER_HELLO, n, 1, 30, &body[30..n - 5]),
        hs_fragment(seq, msg::SERVER_HELLO, n, 1, n - 5, &body[n - 5..]),
    ]
    .concat();
    l.c.feed(&mut l.ce, 0, &d).unwrap();
    assert_eq!(l.c.state(), State::ClientWaitServerHello, "incomplete: nothing taken yet");
    l.c.feed(&mut l.ce, 0, &hs_fragment(seq, msg::SERVER_HELLO, n, 1, 0, &body[..30])).unwrap();
    assert_ne!(l.c.state(), State::ClientWaitServerHello, "complete: taken");
    finish_after_server_hello(&mut l, &rest);
}

#[test]
fn an_unfragmented_server_hello_twice_is_taken_once() {
    let mut l = Lock::new(61);
    let (seq, body, rest) = take_server_hello(&mut l);
    let whole = hs_fragment(seq, msg::SERVER_HELLO, body.len(), 1, 0, &body);
    l.c.feed(&mut l.ce, 0, &whole).unwrap();
    let (state, before) = (l.c.state(), *l.c.stats());
    assert_ne!(state, State::ClientWaitServerHello);
    l.c.feed(&mut l.ce, 0, &whole).unwrap();
    assert_eq!(l.c.state(), state);
    assert_eq!(l.c.stats().dropped_replay, before.dropped_replay + 1, "{:?}", l.c.stats());
    // The duplicate is no part of the transcript: Finished still verifies.
    finish_after_server_hello(&mut l, &rest);
}

#[test]
fn a_fragment_then_the_whole_message_then_the_rest() {
    let mut l = Lock::new(62);
    let (seq, body, rest) = take_server_hello(&mut l);
    let n = body.len();
    l.c.feed(&mut l.ce, 0, &hs_fragment(seq, msg::SERVER_HELLO, n, 1, 0, &body[..20])).unwrap();
    assert_eq!(l.c.state(), State::ClientWaitServerHello);
    let before = *l.c.stats();
    l.c.feed(&mut l.ce, 0, &hs_fragment(seq, msg::SERVER_HELLO, n, 1, 0, &body)).unwrap();
    assert_ne!(l.c.state(), State::ClientWaitServerHello, "the whole message completes it");
    assert_eq!(l.c.stats().dropped_malformed, before.dropped_malformed, "it agreed with the partial one");
    // The rest of the first copy is now a stale fragment of an old message.
    let state = l.c.state();
    l.c.feed(&mut l.ce, 0, &hs_fragment(seq, msg::SERVER_HELLO, n, 1, 20, &body[20..])).unwrap();
    assert_eq!(l.c.state(), state);
    assert_eq!(l.c.stats().dropped_replay, before.dropped_replay + 1);
    finish_after_server_hello(&mut l, &rest);
}

#[test]
fn the_whole_message_then_a_fragment_of_it() {
    let mut l = Lock::new(63);
    let (seq, body, rest) = take_server_hello(&mut l);
    let n = body.len();
    l.c.feed(&mut l.ce, 0, &hs_fragment(seq, msg::SERVER_HELLO, n, 1, 0, &body)).unwrap();
    let (state, before) = (l.c.state(), *l.c.stats());
    assert_ne!(state, State::ClientWaitServerHello);
    // A fragment of it, even one that disagrees: an old message, dropped.
    let mut other = body[10..40].to_vec();
    other[0] ^= 0xff;
    for frag in [&body[10..40], &other[..]] {
        l.c.feed(&mut l.ce, 0, &hs_fragment(seq, msg::SERVER_HELLO, n, 1, 10, frag)).unwrap();
    }
    assert_eq!(l.c.state(), state);
    assert_eq!(l.c.stats().dropped_replay, before.dropped_replay + 2);
    finish_after_server_hello(&mut l, &rest);
}

#[test]
fn a_forged_partial_is_replaced_by_the_whole_genuine_message() {
    let mut l = Lock::new(64);
    let (seq, body, rest) = take_server_hello(&mut l);
    let n = body.len();
    // A forged first fragment with other bytes, then the genuine message:
    // the newest wins, as when a fragment disagrees (counted as malformed).
    let mut forged = body[..40].to_vec();
    forged[2] ^= 0x55;
    l.c.feed(&mut l.ce, 0, &hs_fragment(seq, msg::SERVER_HELLO, n, 1, 0, &forged)).unwrap();
    let before = *l.c.stats();
    l.c.feed(&mut l.ce, 0, &hs_fragment(seq, msg::SERVER_HELLO, n, 1, 0, &body)).unwrap();
    assert_ne!(l.c.state(), State::ClientWaitServerHello);
    assert_eq!(l.c.stats().dropped_malformed, before.dropped_malformed + 1);
    // A forged whole message of a future message_seq is still dropped.
    let state = l.c.state();
    l.c.feed(&mut l.ce, 0, &hs_fragment(seq + 5, msg::SERVER_HELLO_DONE, 0, 9, 0, &[])).unwrap();
    assert_eq!(l.c.state(), state);
    assert_eq!(l.c.stats().dropped_future, before.dropped_future + 1);
    finish_after_server_hello(&mut l, &rest);
}

/// The client's first ClientHello body with a padding extension (RFC 7685)
/// that makes the message `extra` bytes longer.
fn padded_client_hello(ch: &[u8], extra: usize) -> Vec<u8> {
    let mut r = Reader::new(ch);
    r.take(2 + 32).unwrap();
    r.vec8().unwrap(); // session id
    r.vec8().unwrap(); // cookie
    r.vec16().unwrap(); // suites
    r.vec8().unwrap(); // compression
    let at = r.position();
    let ext_len = usize::from(u16::from_be_bytes([ch[at], ch[at + 1]]));
    let mut out = ch.to_vec();
    out.extend_from_slice(&[0, 21]);
    out.extend_from_slice(&((extra - 4) as u16).to_be_bytes());
    out.resize(out.len() + extra - 4, 0);
    out[at..at + 2].copy_from_slice(&((ext_len + extra) as u16).to_be_bytes());
    out
}

#[test]
fn an_unfragmented_message_larger_than_the_reassembly_buffer_is_taken() {
    let max = nanodtls::sizes::NANODTLS_MAX_HANDSHAKE_MSG;
    let c = psk_client(&client_config());
    let mut cenv = TestEnv::new(65);
    let mut c = c;
    c.connect(&mut cenv, 0).unwrap();
    let mut buf = [0u8; 2048];
    let n = c.poll_datagram(0, &mut buf).unwrap().unwrap();
    let recs = records(&buf[..n]);
    assert_eq!(recs[0][13], msg::CLIENT_HELLO);
    let body = padded_client_hello(&recs[0][25..], max + 100 - (recs[0].len() - 25));
    assert!(body.len() + 12 > max && body.len() < 1 << 14);
    // Whole, in one record: read from the datagram, answered (HelloVerifyRequest).
    let mut s = psk_server(&server_config());
    let mut senv = TestEnv::new(66);
    s.feed(&mut senv, 0, &hs_fragment(0, msg::CLIENT_HELLO, body.len(), 0, 0, &body)).unwrap();
    assert_eq!(s.stats().dropped_oversize, 0);
    let n = s.poll_datagram(0, &mut buf).unwrap().expect("answered");
    assert_eq!(buf[13], msg::HELLO_VERIFY_REQUEST, "{:?}", &buf[..n]);
    // The same message in two fragments must be reassembled, and does not
    // fit: dropped as oversize, as before, and not answered.
    let mut s = psk_server(&server_config());
    let h = body.len() / 2;
    for (seq, off, part) in [(0u64, 0, &body[..h]), (1, h, &body[h..])] {
        s.feed(&mut senv, 0, &hs_fragment(seq, msg::CLIENT_HELLO, body.len(), 0, off, part)).unwrap();
    }
    assert_eq!(s.stats().dropped_oversize, 2);
    assert_eq!(s.poll_datagram(0, &mut buf).unwrap(), None);
}
