#![cfg(feature = "cached-info")]
//! cached_info (RFC 7924), the server certificate: our client keeps the
//! server's Certificate message (Env::store_server_certificate) and offers
//! its SHA-256 next time (Env::cached_server_certificate); our server,
//! finding the hash equal to that of its own Certificate message, answers
//! with the extension and sends the hash form (RFC 7924 section 4.1); the
//! client validates the chain it kept as if it had arrived. A stale hash
//! gets the full chain, a server without the support ignores the offer,
//! and a hash form nobody negotiated, or with another hash, is refused.
//! Both Finished messages verify in every accepted case (the transcript
//! has the hash form as sent).
//!
//! The chains are tests/pki/ (tests/pki/gen.sh).

mod common;
use std::collections::VecDeque;

use common::*;
use nanodtls::handshake::ext::cached_info;
use nanodtls::{alert, suite, Env, Error, State};

const CCM8: u16 = suite::ECDHE_ECDSA_AES_128_CCM_8;
/// 2026-12-01T00:00:00Z: inside every positive certificate's validity.
const NOW: u64 = 1_796_083_200;

fn pki(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/pki/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run tests/pki/gen.sh)"))
}

/// DER certificates back to back, leaf first (what Env::own_certificate lends).
fn chain(names: &[&str]) -> Vec<u8> {
    names.iter().flat_map(|n| pki(&format!("{n}.der"))).collect()
}

/// The body of the Certificate message that carries `names`.
fn cert_body(names: &[&str]) -> Vec<u8> {
    let mut list = Vec::new();
    for n in names {
        let c = pki(&format!("{n}.der"));
        list.extend_from_slice(&(c.len() as u32).to_be_bytes()[1..]);
        list.extend_from_slice(&c);
    }
    let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
    body.extend_from_slice(&list);
    body
}

struct CEnv {
    rng: XorShift,
    anchors: Vec<Vec<u8>>,
    own: Option<Vec<u8>>,
    /// Client: the Certificate body kept from an earlier handshake.
    cached: Option<Vec<u8>>,
    /// Client: what store_server_certificate was handed.
    stored: Vec<Vec<u8>>,
    /// Server: answer cached_info.
    serve_cached: bool,
}

impl CEnv {
    fn new(seed: u64, own: Option<&[&str]>) -> CEnv {
        CEnv {
            rng: XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            anchors: vec![pki("root.der")],
            own: own.map(chain),
            cached: None,
            stored: Vec::new(),
            serve_cached: true,
        }
    }
}

impl Env for CEnv {
    fn random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        for b in buf {
            *b = self.rng.next() as u8;
        }
        Ok(())
    }
    fn own_certificate(&self) -> Option<&[u8]> {
        self.own.as_deref()
    }
    fn x509_anchor(&self, i: usize) -> Option<(&[u8], bool)> {
        Some((self.anchors.get(i)?, false))
    }
    fn wall_clock(&self) -> Option<u64> {
        Some(NOW)
    }
    fn cached_server_certificate(&self) -> Option<&[u8]> {
        self.cached.as_deref()
    }
    fn store_server_certificate(&mut self, body: &[u8]) {
        self.stored.push(body.to_vec());
    }
    fn cached_info_server(&self) -> bool {
        self.serve_cached
    }
}

type Tamper = Box<dyn FnMut(&mut Vec<u8>)>;

struct Lock {
    c: Peer,
    s: Peer,
    ce: CEnv,
    se: CEnv,
    queue: VecDeque<(bool, Vec<u8>)>,
    /// Bytes of every datagram the server sent, and the client.
    s_bytes: usize,
    c_bytes: usize,
    /// Applied to each server datagram before the client sees it.
    tamper: Option<Tamper>,
}

impl Lock {
    fn new(ce: CEnv, se: CEnv) -> Lock {
        Lock::with(ce, se, "server", true)
    }
    /// The server with the key `key` (of its chain's leaf), with or
    /// without a cookie exchange.
    fn with(ce: CEnv, se: CEnv, key: &str, cookie: bool) -> Lock {
        let mut cfg = client_config();
        cfg.suites = [CCM8, 0, 0, 0];
        let mut c = new_conn(&cfg);
        c.set_server_name(b"server.example").unwrap();
        let mut cfg = server_config();
        cfg.suites = [CCM8, 0, 0, 0];
        cfg.require_cookie = cookie;
        let mut s = new_conn(&cfg);
        s.set_own_key(&pki(&format!("{key}.key.der"))).unwrap();
        let mut l = Lock { c, s, ce, se, queue: VecDeque::new(), s_bytes: 0, c_bytes: 0, tamper: None };
        l.c.connect(&mut l.ce, 0).unwrap();
        l.pump();
        l
    }
    fn pump(&mut self) {
        let mut buf = [0u8; 4096];
        while let Some(n) = self.c.poll_with(&self.ce, 0, &mut buf).unwrap() {
            self.c_bytes += n;
            self.queue.push_back((true, buf[..n].to_vec()));
        }
        while let Some(n) = self.s.poll_with(&self.se, 0, &mut buf).unwrap() {
            self.s_bytes += n;
            let mut d = buf[..n].to_vec();
            if let Some(t) = self.tamper.as_mut() {
                t(&mut d);
            }
            self.queue.push_back((false, d));
        }
    }
    fn run(&mut self) {
        while let Some((to_server, d)) = self.queue.pop_front() {
            let _ = if to_server { self.s.feed(&mut self.se, 0, &d) } else { self.c.feed(&mut self.ce, 0, &d) };
            self.pump();
        }
    }
    fn connected(&self) -> bool {
        self.c.state() == State::Connected && self.s.state() == State::Connected
    }
    fn exchange(&mut self) {
        let mut buf = [0u8; 64];
        self.c.write(b"ping").unwrap();
        self.pump();
        self.run();
        assert_eq!(self.s.read(&mut buf).unwrap(), Some(4));
    }
    /// The client dropped the server's flight (epoch 0: not fatal at
    /// once); at its deadline it sends the alert it decided on.
    fn client_refused(&mut self, want: u8) {
        assert!(self.c.state() != State::Connected, "accepted");
        if self.c.state().handshaking() {
            // Refused (or, for decode_error, counted as malformed).
            let st = self.c.stats();
            assert!(st.dropped_rejected + st.dropped_malformed > 0, "{st:?}");
            let t = u64::from(client_config().handshake_timeout_ms);
            assert_eq!(self.c.handle_timeout(t), Err(Error::Timeout));
            self.pump();
            self.run();
        }
        assert_eq!(self.c.last_alert(), nanodtls::AlertInfo { level: alert::FATAL, description: want, sent: true });
        assert_eq!(self.s.last_alert().description, want);
    }
}

const SERVER: &[&str] = &["server", "int"];

/// A full handshake, then one with the kept chain: the second carries the
/// hash instead of the chain, both Finished verify, the peer is the same.
#[test]
fn second_handshake_carries_the_hash_instead_of_the_chain() {
    for (i, server) in [SERVER, &["server3", "int2", "int1"][..]].into_iter().enumerate() {
        let seed = 10 * i as u64;
        let mut l = Lock::with(CEnv::new(seed + 1, None), CEnv::new(seed + 2, Some(server)), server[0], true);
        l.run();
        assert!(l.connected(), "{:?} {:?}", l.c.last_alert(), l.s.last_alert());
        l.exchange();
        // What the client was handed to keep is the Certificate body as sent.
        assert_eq!(l.ce.stored, vec![cert_body(server)]);
        let full = l.s_bytes;
        let depth = l.c.x509_peer().depth;
        let key = l.c.peer_key_hash();

        let mut ce = CEnv::new(seed + 3, None);
        ce.cached = Some(l.ce.stored[0].clone());
        let mut l = Lock::with(ce, CEnv::new(seed + 4, Some(server)), server[0], true);
        l.run();
        assert!(l.connected(), "{:?} {:?}", l.c.last_alert(), l.s.last_alert());
        l.exchange();
        // The hash form: nothing new to keep, the same validated peer.
        assert!(l.ce.stored.is_empty());
        assert_eq!(l.c.x509_peer().depth, depth);
        assert_eq!(l.c.peer_key_hash(), key);
        let cached = l.s_bytes;
        let chain_len = cert_body(server).len();
        // Saved: the certificate_list (3 + the entries) less the hash and
        // its length byte, and the 7 bytes of the answer on top.
        println!(
            "cached_info, chain of {} certificates: server sent {full} bytes in the full handshake, \
             {cached} with the hash ({} saved; Certificate body {chain_len} -> 33)",
            server.len(),
            full - cached
        );
        // (The ServerKeyExchange signatures differ by a byte or two, and
        // the full flight has more fragments.)
        let saved = full - cached;
        assert!(
            saved + 2 >= chain_len - 33 - 7 && saved <= chain_len - 33 - 7 + 2 + 25 * 3,
            "bytes on air saved: {saved}"
        );
    }
}

#[test]
fn a_stale_hash_gets_the_full_chain() {
    // The client kept another server's chain: the server sends its own.
    let mut ce = CEnv::new(21, None);
    ce.cached = Some(cert_body(&["server3", "int2", "int1"]));
    let mut l = Lock::new(ce, CEnv::new(22, Some(SERVER)));
    l.run();
    assert!(l.connected(), "{:?} {:?}", l.c.last_alert(), l.s.last_alert());
    l.exchange();
    // The new chain is handed out to replace the stale one.
    assert_eq!(l.ce.stored, vec![cert_body(SERVER)]);
}

#[test]
fn a_server_without_cached_info_ignores_the_offer() {
    let mut ce = CEnv::new(31, None);
    ce.cached = Some(cert_body(SERVER));
    let mut se = CEnv::new(32, Some(SERVER));
    se.serve_cached = false;
    let mut l = Lock::new(ce, se);
    l.run();
    assert!(l.connected(), "{:?} {:?}", l.c.last_alert(), l.s.last_alert());
    l.exchange();
    assert_eq!(l.ce.stored, vec![cert_body(SERVER)]);
}

/// The offset of the handshake message `msg_type` in a datagram (its
/// 12-byte DTLS header), walking epoch-0 records.
fn find_message(d: &[u8], msg_type: u8) -> Option<(usize, usize)> {
    let mut at = 0;
    while at + 13 <= d.len() {
        let len = usize::from(u16::from_be_bytes([d[at + 11], d[at + 12]]));
        if d[at] == 22 && d.get(at + 13) == Some(&msg_type) {
            return Some((at, at + 13));
        }
        at += 13 + len;
    }
    None
}

/// Remove `n` bytes at `pos` from the handshake message whose record
/// starts at `rec` and header at `hdr` (a whole, unfragmented message),
/// fixing the record, message and fragment lengths.
fn cut(d: &mut Vec<u8>, rec: usize, hdr: usize, pos: usize, n: usize) {
    d.drain(pos..pos + n);
    let rl = u16::from_be_bytes([d[rec + 11], d[rec + 12]]) - n as u16;
    d[rec + 11..rec + 13].copy_from_slice(&rl.to_be_bytes());
    for off in [hdr + 1, hdr + 9] {
        let l = u32::from_be_bytes([0, d[off], d[off + 1], d[off + 2]]) - n as u32;
        d[off..off + 3].copy_from_slice(&l.to_be_bytes()[1..]);
    }
}

/// The ServerHello's extensions block: (offset of its 2-byte length).
fn server_hello_extensions(d: &[u8], hdr: usize) -> usize {
    let body = hdr + 12;
    let sid = usize::from(d[body + 34]);
    body + 35 + sid + 3
}

#[test]
fn a_hash_form_certificate_nobody_negotiated_is_refused() {
    // The server answers the offer; the answer is cut from the ServerHello:
    // the client, which then expects a certificate_list, gets the hash form.
    let mut ce = CEnv::new(41, None);
    ce.cached = Some(cert_body(SERVER));
    let mut l = Lock::new(ce, CEnv::new(42, Some(SERVER)));
    l.tamper = Some(Box::new(|d: &mut Vec<u8>| {
        let Some((rec, hdr)) = find_message(d, 2) else { return };
        let answer = [0, 25, 0, 3, 0, 1, 1];
        let ext = server_hello_extensions(d, hdr);
        let pos = (ext..d.len() - 6).find(|&i| d[i..i + 7] == answer).expect("cached_info answered");
        cut(d, rec, hdr, pos, 7);
        let el = u16::from_be_bytes([d[ext], d[ext + 1]]) - 7;
        d[ext..ext + 2].copy_from_slice(&el.to_be_bytes());
    }));
    l.run();
    l.client_refused(alert::DECODE_ERROR);
}

#[test]
fn an_answer_to_no_offer_is_refused() {
    // The flight of a server that answered an offer, fed to a client that
    // made none: cached_info in its ServerHello is unsupported_extension.
    let mut ce = CEnv::new(51, None);
    ce.cached = Some(cert_body(SERVER));
    // (No cookie exchange: the flight's message_seq is what a fresh client expects.)
    let mut l = Lock::with(ce, CEnv::new(52, Some(SERVER)), "server", false);
    let flight = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let f = flight.clone();
    l.tamper = Some(Box::new(move |d: &mut Vec<u8>| {
        if find_message(d, 2).is_some() {
            f.borrow_mut().push(d.clone());
        }
    }));
    l.run();
    assert!(l.connected());
    let flight = flight.borrow().clone();
    assert_eq!(flight.len(), 1, "the hash-form flight is one datagram");
    let mut cfg = client_config();
    cfg.suites = [CCM8, 0, 0, 0];
    let mut c = new_conn(&cfg);
    c.set_server_name(b"server.example").unwrap();
    let mut env = CEnv::new(53, None);
    c.connect(&mut env, 0).unwrap();
    let mut buf = [0u8; 4096];
    while c.poll_with(&env, 0, &mut buf).unwrap().is_some() {}
    let _ = c.feed(&mut env, 0, &flight[0]);
    assert!(c.state().handshaking());
    assert!(c.stats().dropped_rejected > 0, "{:?}", c.stats());
    let t = u64::from(client_config().handshake_timeout_ms);
    assert_eq!(c.handle_timeout(t), Err(Error::Timeout));
    assert_eq!(c.last_alert().description, alert::UNSUPPORTED_EXTENSION);
}

#[test]
fn a_hash_form_with_another_hash_is_refused() {
    let mut ce = CEnv::new(61, None);
    ce.cached = Some(cert_body(SERVER));
    let mut l = Lock::new(ce, CEnv::new(62, Some(SERVER)));
    l.tamper = Some(Box::new(|d: &mut Vec<u8>| {
        let Some((_, hdr)) = find_message(d, 11) else { return };
        // Body: the hash's length byte (32), then the hash.
        assert_eq!(d[hdr + 12], 32, "hash form");
        d[hdr + 12 + 32] ^= 1;
    }));
    l.run();
    l.client_refused(alert::ILLEGAL_PARAMETER);
}

#[test]
fn a_truncated_hash_form_is_refused() {
    let mut ce = CEnv::new(71, None);
    ce.cached = Some(cert_body(SERVER));
    let mut l = Lock::new(ce, CEnv::new(72, Some(SERVER)));
    l.tamper = Some(Box::new(|d: &mut Vec<u8>| {
        let Some((rec, hdr)) = find_message(d, 11) else { return };
        cut(d, rec, hdr, hdr + 12 + 33 - 1, 1);
    }));
    l.run();
    l.client_refused(alert::DECODE_ERROR);
}

/// The hash is over the TLS form of the message (msg_type, 3-byte length,
/// body), independent of the DTLS header; the server's own computation
/// from its chain agrees.
#[test]
fn the_hash_reading() {
    let body = cert_body(SERVER);
    let mut msg = vec![11];
    msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    msg.extend_from_slice(&body);
    use sha2::Digest;
    let want: [u8; 32] = sha2::Sha256::digest(&msg).into();
    assert_eq!(cached_info::certificate_hash(&body), want);
    assert_eq!(cached_info::chain_hash(&chain(SERVER)).unwrap(), want);
}
