//! RFC 5077 session tickets (feature `tickets`), both roles: resumption
//! without a server cache, tampered / expired / foreign tickets and key
//! rotation (always a full handshake that succeeds, never a failure),
//! NewSessionTicket out of place or malformed, the empty ticket, the
//! deep-sleep export with a ticket, the endpoint, and the key wipe.
#![cfg(feature = "tickets")]

mod common;
use std::collections::VecDeque;

use common::*;
use nanodtls::session_ticket::TicketKeys;
use nanodtls::{Config, Endpoint, Env, Error, PeerSlot, State};
use zerocopy::FromZeros;

/// Sees every datagram: (to_server, bytes) -> copies to deliver.
type Tap = Box<dyn FnMut(bool, &[u8]) -> Vec<Vec<u8>>>;
/// One way to edit a ticket.
type Edit = Box<dyn Fn(&mut Vec<u8>)>;

struct Lock {
    c: Peer,
    s: Peer,
    ce: TestEnv,
    se: TestEnv,
    queue: VecDeque<(bool, Vec<u8>)>,
    tap: Option<Tap>,
    now: u64,
}

impl Lock {
    fn new(c: Peer, s: Peer, ce: TestEnv, se: TestEnv, now: u64) -> Lock {
        let mut l = Lock { c, s, ce, se, queue: VecDeque::new(), tap: None, now };
        l.c.connect(&mut l.ce, now).unwrap();
        l
    }
    fn pump(&mut self) {
        let mut buf = [0u8; 2048];
        let mut out = vec![];
        while let Some(n) = self.c.poll_datagram(self.now, &mut buf).unwrap() {
            out.push((true, buf[..n].to_vec()));
        }
        while let Some(n) = self.s.poll_datagram(self.now, &mut buf).unwrap() {
            out.push((false, buf[..n].to_vec()));
        }
        for (to_server, d) in out {
            match self.tap.as_mut() {
                Some(t) => {
                    for x in t(to_server, &d) {
                        self.queue.push_back((to_server, x));
                    }
                }
                None => self.queue.push_back((to_server, d)),
            }
        }
    }
    /// Deliver until quiet; then let timers fire, up to `rounds` times.
    fn run(&mut self) {
        for _ in 0..20 {
            self.pump();
            while let Some((to_server, d)) = self.queue.pop_front() {
                let _ = if to_server {
                    self.s.feed(&mut self.se, self.now, &d)
                } else {
                    self.c.feed(&mut self.ce, self.now, &d)
                };
                self.pump();
            }
            if self.connected() {
                return;
            }
            self.now += 1_000;
            let _ = self.c.handle_timeout(self.now);
            let _ = self.s.handle_timeout(self.now);
        }
    }
    fn connected(&self) -> bool {
        self.c.state() == State::Connected && self.s.state() == State::Connected
    }
}

fn ticket_client() -> Peer {
    let mut c = client_config();
    c.tickets = true;
    psk_client(&c)
}

fn ticket_server_cfg() -> Config {
    let mut s = server_config();
    s.tickets = true;
    s
}

/// A full handshake with a ticket-issuing server without a session cache;
/// returns the client's blob and the server environment (its keys).
fn first_handshake(se: TestEnv) -> (Vec<u8>, TestEnv, usize) {
    let mut l = Lock::new(ticket_client(), psk_server(&ticket_server_cfg()), TestEnv::new(1), se, 0);
    l.run();
    assert!(l.connected());
    assert!(!l.c.resumed() && !l.c.resumed_by_ticket());
    let tlen = l.c.ticket_len();
    assert!(tlen > 100, "the client kept the ticket ({tlen} bytes)");
    assert!(l.c.has_session(), "a ticket-only session is a session");
    let mut blob = vec![0u8; nanodtls::session::MAX_BLOB];
    let n = l.c.export_session(&mut blob).unwrap();
    blob.truncate(n);
    (blob, std::mem::replace(&mut l.se, TestEnv::new(0)), tlen)
}

/// A new client context (a device after deep sleep) importing `blob`.
fn woken_client(blob: &[u8]) -> Peer {
    let mut c = ticket_client();
    c.import_session(blob).unwrap();
    c
}

fn second_handshake(blob: &[u8], se: TestEnv, now: u64) -> Lock {
    let mut l = Lock::new(woken_client(blob), psk_server(&ticket_server_cfg()), TestEnv::new(3), se, now);
    l.run();
    assert!(l.connected(), "a ticket never makes a handshake fail");
    l
}

#[test]
fn resume_by_ticket_without_a_server_cache() {
    let (blob, se, _) = first_handshake(TestEnv::new(2).with_tickets(0));
    assert!(se.cache.is_empty());
    let mut l = second_handshake(&blob, se, 10_000);
    assert!(l.c.resumed() && l.s.resumed());
    assert!(l.c.resumed_by_ticket() && l.s.resumed_by_ticket());
    assert_eq!(l.s.psk_identity(), PSK_ID, "the ticket carries who the client is");
    assert_eq!(l.s.stats().resumptions, 1);
    assert!(l.c.ticket_len() > 0, "the resumed handshake renews the ticket");
    l.c.write(b"after ticket resumption").unwrap();
    l.run();
    let mut buf = [0u8; 100];
    let n = l.s.read(&mut buf).unwrap().unwrap();
    assert_eq!(&buf[..n], b"after ticket resumption");
}

/// Rewrite the ticket inside an exported blob (its check bytes recomputed,
/// as a device that stored a tampered ticket would).
fn with_ticket(blob: &[u8], tlen: usize, f: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let body = &blob[..blob.len() - 16];
    let start = body.len() - tlen;
    let mut ticket = body[start..].to_vec();
    f(&mut ticket);
    let mut out = body[..start - 2].to_vec();
    out.extend_from_slice(&(ticket.len() as u16).to_be_bytes());
    out.extend_from_slice(&ticket);
    let check = Sha256::digest(&out);
    out.extend_from_slice(&check[..16]);
    out
}

#[test]
fn tampered_tickets_fall_back_to_a_full_handshake() {
    let (blob, mut se, tlen) = first_handshake(TestEnv::new(2).with_tickets(0));
    // Unchanged: resumes (the rewrite itself is faithful).
    let same = with_ticket(&blob, tlen, |_| {});
    assert_eq!(same, blob);
    let classes: Vec<(&str, Edit)> = vec![
        ("key name", Box::new(|t: &mut Vec<u8>| t[0] ^= 1)),
        ("key name end", Box::new(|t: &mut Vec<u8>| t[15] ^= 0x80)),
        ("nonce", Box::new(|t: &mut Vec<u8>| t[16] ^= 1)),
        ("nonce end", Box::new(|t: &mut Vec<u8>| t[27] ^= 1)),
        ("ciphertext", Box::new(|t: &mut Vec<u8>| t[40] ^= 1)),
        ("ciphertext first", Box::new(|t: &mut Vec<u8>| t[28] ^= 1)),
        ("tag", Box::new(|t: &mut Vec<u8>| *t.last_mut().unwrap() ^= 1)),
        ("truncated", Box::new(|t: &mut Vec<u8>| t.truncate(t.len() - 1))),
        ("extended", Box::new(|t: &mut Vec<u8>| t.push(0))),
        ("only the header", Box::new(|t: &mut Vec<u8>| t.truncate(28))),
        ("too large to be ours", Box::new(|t: &mut Vec<u8>| t.resize(400, 7))),
    ];
    for (what, f) in classes {
        let bad = with_ticket(&blob, tlen, f);
        let l = second_handshake(&bad, std::mem::replace(&mut se, TestEnv::new(0)), 10_000);
        assert!(!l.c.resumed() && !l.s.resumed(), "{what}: full handshake");
        assert!(l.c.ticket_len() > 0, "{what}: a fresh ticket is issued");
        se = l.se;
    }
    // The keys survived all of it: the genuine ticket still resumes.
    let l = second_handshake(&blob, se, 10_000);
    assert!(l.c.resumed_by_ticket());
}

#[test]
fn expired_ticket_falls_back() {
    let (blob, se, _) = first_handshake(TestEnv::new(2).with_tickets(60_000));
    let l = second_handshake(&blob, se, 59_000);
    assert!(l.c.resumed_by_ticket(), "within the lifetime");
    let (blob, se, _) = first_handshake(TestEnv::new(2).with_tickets(60_000));
    let l = second_handshake(&blob, se, 61_000);
    assert!(!l.c.resumed() && !l.s.resumed(), "expired");
    assert!(l.c.ticket_len() > 0);
}

#[test]
fn key_rotation_keeps_one_grace_key() {
    // Application keys: each set_key moves the current one to grace.
    let mut se = TestEnv::new(2).with_tickets(0);
    se.tickets.as_mut().unwrap().set_key(&[1; 16], &[11; 16], 0);
    let (blob, mut se, _) = first_handshake(se);
    se.tickets.as_mut().unwrap().set_key(&[2; 16], &[22; 16], 1_000);
    let l = second_handshake(&blob, se, 2_000);
    assert!(l.c.resumed_by_ticket(), "a ticket under the grace key resumes");
    let mut se = l.se;
    se.tickets.as_mut().unwrap().set_key(&[3; 16], &[33; 16], 3_000);
    se.tickets.as_mut().unwrap().set_key(&[4; 16], &[44; 16], 4_000);
    let l = second_handshake(&blob, se, 5_000);
    assert!(!l.c.resumed(), "a key older than the grace key: full handshake");
    // RNG-drawn keys rotate by themselves.
    let mut se = TestEnv::new(2).with_tickets(1_000_000);
    se.tickets.as_mut().unwrap().rotate_ms = 10_000;
    let (blob, se, _) = first_handshake(se);
    let l = second_handshake(&blob, se, 15_000);
    assert!(l.c.resumed_by_ticket(), "one rotation: the grace key");
    let (blob, se, _) = first_handshake({
        let mut se = TestEnv::new(2).with_tickets(1_000_000);
        se.tickets.as_mut().unwrap().rotate_ms = 10_000;
        se
    });
    let mut se = se;
    let mut rng = TestEnv::new(9);
    se.tickets.as_mut().unwrap().refresh(15_000, &mut |b| rng.random(b)).unwrap();
    se.tickets.as_mut().unwrap().refresh(25_000, &mut |b| rng.random(b)).unwrap();
    let l = second_handshake(&blob, se, 26_000);
    assert!(!l.c.resumed(), "two rotations: the key is gone");
}

#[test]
fn foreign_key_falls_back() {
    let (blob, _, _) = first_handshake(TestEnv::new(2).with_tickets(0));
    let l = second_handshake(&blob, TestEnv::new(77).with_tickets(0), 1_000);
    assert!(!l.c.resumed() && !l.s.resumed());
    assert!(l.c.ticket_len() > 0);
}

#[test]
fn server_without_tickets_gives_a_full_handshake() {
    let (blob, _, _) = first_handshake(TestEnv::new(2).with_tickets(0));
    // No keys in the environment.
    let mut l = Lock::new(woken_client(&blob), psk_server(&ticket_server_cfg()), TestEnv::new(3), TestEnv::new(4), 0);
    l.run();
    assert!(l.connected() && !l.c.resumed());
    assert_eq!(l.c.ticket_len(), 0, "no NewSessionTicket: the old ticket is gone");
    assert!(!l.c.has_session(), "nothing to resume (no ID, no ticket)");
    // Tickets not enabled in the server's configuration.
    let (blob, _, _) = first_handshake(TestEnv::new(2).with_tickets(0));
    let mut l = Lock::new(
        woken_client(&blob),
        psk_server(&server_config()),
        TestEnv::new(3),
        TestEnv::new(5).with_tickets(0),
        0,
    );
    l.run();
    assert!(l.connected() && !l.c.resumed());
    // And a client that does not offer tickets gets none.
    let mut l = Lock::new(
        psk_client(&client_config()),
        psk_server(&ticket_server_cfg()),
        TestEnv::new(3),
        TestEnv::new(6).with_tickets(0),
        0,
    );
    l.run();
    assert!(l.connected() && l.c.ticket_len() == 0 && !l.c.has_session());
}

/// Offset of the first handshake message of type `t` in a plaintext
/// (epoch 0) datagram: (record start, message start).
fn find_msg(d: &[u8], t: u8) -> Option<(usize, usize)> {
    let mut off = 0;
    while off + 13 <= d.len() {
        let len = u16::from_be_bytes([d[off + 11], d[off + 12]]) as usize;
        let epoch = u16::from_be_bytes([d[off + 3], d[off + 4]]);
        if d[off] == 22 && epoch == 0 && d.get(off + 13) == Some(&t) {
            return Some((off, off + 13));
        }
        off += 13 + len;
    }
    None
}

#[test]
fn malformed_new_session_ticket_is_dropped_and_the_genuine_one_taken() {
    for how in ["ticket length beyond the body", "lifetime only"] {
        let mut l = Lock::new(
            ticket_client(),
            psk_server(&ticket_server_cfg()),
            TestEnv::new(1),
            TestEnv::new(2).with_tickets(0),
            0,
        );
        let mut spoiled = false;
        l.tap = Some(Box::new(move |to_server, d| {
            let mut d = d.to_vec();
            if !to_server && !spoiled {
                if let Some((_, m)) = find_msg(&d, 4) {
                    spoiled = true;
                    let body = m + 12;
                    if how == "lifetime only" {
                        // Body length says 4: lifetime hint, no ticket vector.
                        // (Fragment length too; the record keeps its bytes.)
                        d[m + 1..m + 4].copy_from_slice(&[0, 0, 4]);
                        d[m + 9..m + 12].copy_from_slice(&[0, 0, 4]);
                    } else {
                        d[body + 4] = 0xff;
                    }
                }
            }
            vec![d]
        }));
        l.run();
        assert!(l.connected(), "{how}: the genuine NewSessionTicket comes with the retransmission");
        assert!(l.c.ticket_len() > 0, "{how}");
        assert!(l.c.stats().dropped_malformed > 0, "{how}: counted");
    }
}

#[test]
fn duplicated_new_session_ticket_changes_nothing() {
    let mut l = Lock::new(
        ticket_client(),
        psk_server(&ticket_server_cfg()),
        TestEnv::new(1),
        TestEnv::new(2).with_tickets(0),
        0,
    );
    l.tap = Some(Box::new(|_, d| vec![d.to_vec(), d.to_vec()]));
    l.run();
    assert!(l.connected());
    assert!(l.c.ticket_len() > 0);
    assert!(l.c.stats().dropped_replay > 0 || l.c.stats().peer_retransmits > 0);
}

/// A NewSessionTicket record (epoch 0, record number `rseq`, message_seq `mseq`).
fn forged_nst(rseq: u64, mseq: u16) -> Vec<u8> {
    let body = [0u8, 0, 0x1c, 0x20, 0, 4, 1, 2, 3, 4];
    let mut hs = vec![4u8, 0, 0, body.len() as u8];
    hs.extend_from_slice(&mseq.to_be_bytes());
    hs.extend_from_slice(&[0, 0, 0, 0, 0, body.len() as u8]);
    hs.extend_from_slice(&body);
    let mut d = vec![22u8, 0xfe, 0xfd, 0, 0];
    d.extend_from_slice(&rseq.to_be_bytes()[2..]);
    d.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    d.extend_from_slice(&hs);
    d
}

#[test]
fn new_session_ticket_in_the_wrong_state_is_dropped() {
    // The server did not announce a ticket: a NewSessionTicket at any
    // message_seq is refused (unexpected), never kept, and the handshake
    // completes.
    let mut l = Lock::new(ticket_client(), psk_server(&server_config()), TestEnv::new(1), TestEnv::new(2), 0);
    let mut n = 0u64;
    l.tap = Some(Box::new(move |to_server, d| {
        let mut out = vec![];
        if !to_server {
            for mseq in 0..8 {
                n += 1;
                out.push(forged_nst(1000 + n, mseq));
            }
        }
        out.push(d.to_vec());
        out
    }));
    l.run();
    assert!(l.connected());
    assert_eq!(l.c.ticket_len(), 0, "a forged ticket is never kept");
    assert!(l.c.stats().dropped_unexpected > 0);
    // Before the ServerHello, too (the client waits for a ServerHello).
    let mut c = ticket_client();
    let mut ce = TestEnv::new(5);
    c.connect(&mut ce, 0).unwrap();
    for mseq in 0..3 {
        let _ = c.feed(&mut ce, 0, &forged_nst(7 + mseq as u64, mseq));
    }
    assert_eq!(c.state(), State::ClientWaitServerHello);
    assert_eq!(c.ticket_len(), 0);
}

/// Server environment whose RNG fails only for the ticket's nonce and key
/// (a 44-byte draw): the server sends an empty NewSessionTicket.
struct NoTicketRng(TestEnv);
impl Env for NoTicketRng {
    fn random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        if buf.len() == 44 {
            return Err(Error::Rng);
        }
        self.0.random(buf)
    }
    fn ticket_keys(&mut self) -> Option<&mut TicketKeys> {
        self.0.ticket_keys()
    }
}

#[test]
fn empty_new_session_ticket_keeps_no_ticket() {
    let mut c = ticket_client();
    let mut s = psk_server(&ticket_server_cfg());
    let (mut ce, mut se) = (TestEnv::new(1), NoTicketRng(TestEnv::new(2).with_tickets(0)));
    c.connect(&mut ce, 0).unwrap();
    let mut buf = [0u8; 2048];
    for _ in 0..10 {
        while let Some(n) = c.poll_datagram(0, &mut buf).unwrap() {
            s.feed(&mut se, 0, &buf[..n]).unwrap();
        }
        while let Some(n) = s.poll_datagram(0, &mut buf).unwrap() {
            c.feed(&mut ce, 0, &buf[..n]).unwrap();
        }
    }
    assert_eq!((c.state(), s.state()), (State::Connected, State::Connected));
    assert_eq!(c.ticket_len(), 0, "RFC 5077 3.3: an empty ticket is no ticket");
    assert!(!c.has_session());
}

#[test]
fn deep_sleep_export_import_with_a_ticket() {
    let (blob, se, tlen) = first_handshake(TestEnv::new(2).with_tickets(0));
    assert!(blob.len() > tlen, "the blob carries the ticket");
    assert_eq!(blob[4], 2, "version 2 blob");
    // Every corruption of the blob is refused, nothing imported.
    let mut c = ticket_client();
    for i in (0..blob.len()).step_by(7) {
        let mut bad = blob.clone();
        bad[i] ^= 0x04;
        assert!(c.import_session(&bad).is_err(), "byte {i}");
    }
    assert!(!c.has_session() && c.ticket_len() == 0);
    // Two sleeps in a row: each resumed handshake renews the ticket, and
    // the newest export resumes.
    let mut l = second_handshake(&blob, se, 1_000);
    assert!(l.c.resumed_by_ticket());
    let mut blob2 = vec![0u8; nanodtls::session::MAX_BLOB];
    let n = l.c.export_session(&mut blob2).unwrap();
    blob2.truncate(n);
    assert_ne!(blob2, blob);
    let se = std::mem::replace(&mut l.se, TestEnv::new(0));
    let l = second_handshake(&blob2, se, 2_000);
    assert!(l.c.resumed_by_ticket());
    // Version 1 blobs (no ticket) still import.
    let mut s = nanodtls::session::SessionData::new_zeroed();
    nanodtls::session::import(&blob, &mut s).unwrap();
    let mut v1 = vec![0u8; nanodtls::session::MAX_BLOB];
    s.id_len = 32;
    let n = nanodtls::session::export(&s, &mut v1).unwrap();
    assert_eq!(v1[4], 1);
    let mut c = ticket_client();
    c.import_session(&v1[..n]).unwrap();
    assert!(c.has_session() && c.ticket_len() == 0);
}

#[test]
fn endpoint_issues_and_accepts_tickets_with_one_key_set() {
    let cfg = ticket_server_cfg();
    let mut ep = Endpoint::new_box_zeroed().unwrap();
    ep.init(&cfg, 0, 10_000).unwrap();
    ep.set_psk(PSK_ID, &PSK).unwrap();
    let mut slots: Vec<PeerSlot> = (0..2).map(|_| *PeerSlot::new_box_zeroed().unwrap()).collect();
    let mut se = TestEnv::new(2).with_tickets(0);
    let mut run =
        |c: &mut Peer, ce: &mut TestEnv, addr: &[u8], slots: &mut Vec<PeerSlot>, ep: &mut Endpoint, now: u64| {
            c.connect(ce, now).unwrap();
            let mut buf = [0u8; 2048];
            let mut a = [0u8; 64];
            for _ in 0..10 {
                while let Some(n) = c.poll_datagram(now, &mut buf).unwrap() {
                    let d = buf[..n].to_vec();
                    let _ = feed_all(&d, |b| ep.feed(slots, &mut se, now, addr, b));
                }
                while let Some((n, _)) = ep.poll_datagram(slots, &CertEnv(None), now, &mut buf, &mut a).unwrap() {
                    let d = buf[..n].to_vec();
                    c.feed(ce, now, &d).unwrap();
                }
            }
            assert_eq!(c.state(), State::Connected);
        };
    let mut c1 = ticket_client();
    run(&mut c1, &mut TestEnv::new(1), b"10.0.0.1:1", &mut slots, &mut ep, 0);
    assert!(c1.ticket_len() > 0);
    let mut blob = vec![0u8; nanodtls::session::MAX_BLOB];
    let n = c1.export_session(&mut blob).unwrap();
    // The device wakes up behind another address: another slot, same keys.
    let mut c2 = woken_client(&blob[..n]);
    run(&mut c2, &mut TestEnv::new(3), b"10.0.0.2:2", &mut slots, &mut ep, 1_000);
    assert!(c2.resumed_by_ticket());
    let p = ep.peer(&slots, b"10.0.0.2:2").unwrap();
    assert!(p.resumed_by_ticket());
}

#[test]
fn ticket_keys_are_zeroized_on_wipe_and_drop() {
    let mut k = TicketKeys::new_box_zeroed().unwrap();
    k.init(0);
    k.set_key(&[0xA5; 16], &[0x5A; 16], 0);
    k.set_key(&[0xA6; 16], &[0x6A; 16], 1);
    assert!(k.has_key());
    k.wipe();
    assert!(!k.has_key(), "wiped (the unit test session_ticket::tests checks every key byte is zero)");
    // Drop wipes too (impl Drop for TicketKeys).
    drop(k);
}

/// ECDHE_ECDSA with mutual raw public keys: the ticket carries the hash of
/// the client's key (the server knows who resumed), the client keeps the
/// server's from its session; the resumed handshake needs no P-256.
#[cfg(feature = "ecc")]
#[test]
fn ecdhe_session_resumes_by_ticket_with_the_peer_keys() {
    use nanodtls::suite;
    let client = |blob: Option<&[u8]>| {
        let mut c = ecc_client(Some(1), &[2], suite::ECDHE_ECDSA_AES_128_CCM_8);
        c.set_tickets(true).unwrap();
        if let Some(b) = blob {
            c.import_session(b).unwrap();
        }
        c
    };
    let server = || {
        let mut s = ecc_server(2, &[1], true);
        s.set_tickets(true).unwrap();
        s
    };
    let mut l = Lock::new(client(None), server(), TestEnv::new(1), TestEnv::new(2).with_tickets(0), 0);
    l.run();
    assert!(l.connected() && !l.c.resumed());
    let (ck, sk) = (l.c.peer_key_hash().unwrap(), l.s.peer_key_hash().unwrap());
    let mut blob = vec![0u8; nanodtls::session::MAX_BLOB];
    let n = l.c.export_session(&mut blob).unwrap();
    let se = std::mem::replace(&mut l.se, TestEnv::new(0));
    let mut l = Lock::new(client(Some(&blob[..n])), server(), TestEnv::new(3), se, 1_000);
    l.run();
    assert!(l.connected());
    assert!(l.c.resumed_by_ticket() && l.s.resumed_by_ticket());
    assert_eq!(l.c.peer_key_hash(), Some(ck), "the client knows the server's key");
    assert_eq!(l.s.peer_key_hash(), Some(sk), "the ticket told the server the client's key");
}
