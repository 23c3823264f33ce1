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
    /// Client: the CertificateRequest body kept from an earlier handshake.
    cached_req: Option<Vec<u8>>,
    /// Client: what store_certificate_request was handed.
    stored_req: Vec<Vec<u8>>,
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
            cached_req: None,
            stored_req: Vec::new(),
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
    fn cached_certificate_request(&self) -> Option<&[u8]> {
        self.cached_req.as_deref()
    }
    fn store_certificate_request(&mut self, body: &[u8]) {
        self.stored_req.push(body.to_vec());
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
        Lock::auth(ce, se, key, cookie, None)
    }
    /// With `client`: the server asks for the client's certificate, the
    /// client has the key `client` (the leaf of the chain its env lends).
    fn auth(ce: CEnv, se: CEnv, key: &str, cookie: bool, client: Option<&str>) -> Lock {
        let mut cfg = client_config();
        cfg.suites = [CCM8, 0, 0, 0];
        let mut c = new_conn(&cfg);
        c.set_server_name(b"server.example").unwrap();
        if let Some(k) = client {
            c.set_own_key(&pki(&format!("{k}.key.der"))).unwrap();
        }
        let mut cfg = server_config();
        cfg.suites = [CCM8, 0, 0, 0];
        cfg.require_cookie = cookie;
        cfg.client_auth = client.is_some();
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

// ---- The CertificateRequest (type cert_req, RFC 7924 section 4.2) ----

const CLIENT: &[&str] = &["client-eui", "int"];
/// Our server's CertificateRequest body: ecdsa_sign, ecdsa_secp256r1_sha256,
/// no certificate_authorities.
const OUR_REQUEST: &[u8] = &[1, 64, 0, 2, 4, 3, 0, 0];

/// A handshake with client authentication: the client env lends CLIENT,
/// keeps `cert` and `req` (bodies) from an earlier handshake.
fn auth_lock(seed: u64, cert: Option<Vec<u8>>, req: Option<Vec<u8>>, serve: bool) -> Lock {
    let mut ce = CEnv::new(seed, Some(CLIENT));
    ce.cached = cert;
    ce.cached_req = req;
    let mut se = CEnv::new(seed + 1, Some(SERVER));
    se.serve_cached = serve;
    let mut l = Lock::auth(ce, se, "server", true, Some("client-eui"));
    l.run();
    l
}

/// Collects the body of each CertificateRequest the server sends.
fn sent_request(l: &mut Lock) -> std::rc::Rc<std::cell::RefCell<Vec<Vec<u8>>>> {
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let s = seen.clone();
    l.tamper = Some(Box::new(move |d: &mut Vec<u8>| {
        if let Some((_, hdr)) = find_message(d, 13) {
            let n = u32::from_be_bytes([0, d[hdr + 1], d[hdr + 2], d[hdr + 3]]) as usize;
            s.borrow_mut().push(d[hdr + 12..hdr + 12 + n].to_vec());
        }
    }));
    seen
}

#[test]
fn second_handshake_carries_the_request_hash() {
    // First: the full request, handed out to keep, with the chain.
    let mut l = auth_lock(101, None, None, true);
    assert!(l.connected(), "{:?} {:?}", l.c.last_alert(), l.s.last_alert());
    l.exchange();
    assert_eq!(l.ce.stored_req, vec![OUR_REQUEST.to_vec()]);
    assert_eq!(l.ce.stored, vec![cert_body(SERVER)]);
    let full = l.s_bytes;
    let eui = l.s.x509_peer().eui64;

    // Second: both kept; both hash forms; the client still authenticates.
    let mut ce = CEnv::new(103, Some(CLIENT));
    ce.cached = Some(cert_body(SERVER));
    ce.cached_req = Some(OUR_REQUEST.to_vec());
    let mut l = Lock::auth(ce, CEnv::new(104, Some(SERVER)), "server", false, Some("client-eui"));
    let seen = sent_request(&mut l);
    l.run();
    assert!(l.connected(), "{:?} {:?}", l.c.last_alert(), l.s.last_alert());
    l.exchange();
    assert!(l.ce.stored_req.is_empty() && l.ce.stored.is_empty());
    assert_eq!(l.s.x509_peer().eui64, eui, "the client authenticated with the kept request");
    let sent = seen.borrow().clone();
    assert_eq!(sent.len(), 1);
    let mut hash_form = vec![32];
    hash_form.extend_from_slice(&cached_info::request_hash(OUR_REQUEST));
    assert_eq!(sent[0], hash_form, "the hash form of the request");

    // The request alone kept: its hash form, the chain in full.
    let l = auth_lock(105, None, Some(OUR_REQUEST.to_vec()), true);
    assert!(l.connected(), "{:?} {:?}", l.c.last_alert(), l.s.last_alert());
    assert!(l.ce.stored_req.is_empty());
    assert_eq!(l.ce.stored, vec![cert_body(SERVER)]);
    let req_only = l.s_bytes;
    // The chain alone kept: the full request, handed out to keep.
    let l = auth_lock(107, Some(cert_body(SERVER)), None, true);
    assert!(l.connected(), "{:?} {:?}", l.c.last_alert(), l.s.last_alert());
    assert_eq!(l.ce.stored_req, vec![OUR_REQUEST.to_vec()]);
    assert!(l.ce.stored.is_empty());
    let cert_only = l.s_bytes;
    // Our request is 8 bytes, its hash form 33: caching it costs
    // 25 bytes in the CertificateRequest and 1 in the answer (printed; a
    // request with certificate_authorities is where it saves).
    println!(
        "cached_info with client authentication: server sent {full} bytes (nothing kept), \
         {req_only} (request kept), {cert_only} (chain kept)"
    );
    assert!(req_only > full && req_only <= full + 25 + 7 + 4, "{full} -> {req_only}");
}

#[test]
fn a_stale_request_hash_gets_the_full_request() {
    // A request the server does not send (another algorithm): the full one.
    let l = auth_lock(111, None, Some(vec![1, 64, 0, 2, 4, 1, 0, 0]), true);
    assert!(l.connected(), "{:?} {:?}", l.c.last_alert(), l.s.last_alert());
    assert_eq!(l.ce.stored_req, vec![OUR_REQUEST.to_vec()]);
    // A server without cached_info: the same.
    let l = auth_lock(113, None, Some(OUR_REQUEST.to_vec()), false);
    assert!(l.connected(), "{:?} {:?}", l.c.last_alert(), l.s.last_alert());
    assert_eq!(l.ce.stored_req, vec![OUR_REQUEST.to_vec()]);
}

#[test]
fn a_kept_request_without_client_authentication_is_not_answered() {
    // The server does not ask for a certificate: no cert_req answer, no
    // request, the handshake completes with the chain in full.
    let mut ce = CEnv::new(121, None);
    ce.cached_req = Some(OUR_REQUEST.to_vec());
    let mut l = Lock::new(ce, CEnv::new(122, Some(SERVER)));
    l.run();
    assert!(l.connected(), "{:?} {:?}", l.c.last_alert(), l.s.last_alert());
    assert!(l.ce.stored_req.is_empty());
    assert_eq!(l.ce.stored, vec![cert_body(SERVER)]);
}

#[test]
fn the_client_uses_what_the_kept_request_asks_for() {
    // The kept request allows no ECDSA-SHA256 key; the server's hash form
    // carries its hash (the server is tampered to answer it): the client,
    // having a key, refuses with handshake_failure as for the full request.
    let other: Vec<u8> = vec![1, 64, 0, 2, 4, 1, 0, 0];
    let mut ce = CEnv::new(131, Some(CLIENT));
    ce.cached_req = Some(other.clone());
    let mut l = Lock::auth(ce, CEnv::new(132, Some(SERVER)), "server", false, Some("client-eui"));
    let theirs = cached_info::request_hash(&other);
    // Swap our request's hash for the kept one and add the answer.
    l.tamper = Some(Box::new(move |d: &mut Vec<u8>| {
        let Some((rec, hdr)) = find_message(d, 13) else { return };
        // The server sent its full request (8 bytes): replace it by the hash form.
        assert_eq!(&d[hdr + 12..hdr + 20], OUR_REQUEST);
        let mut form = vec![32];
        form.extend_from_slice(&theirs);
        grow(d, rec, hdr, hdr + 12, 8, &form);
        // The answer {cert_req}, added to the ServerHello's extensions.
        let (srec, shdr) = find_message(d, 2).expect("ServerHello in the flight");
        let ext = server_hello_extensions(d, shdr);
        let at = ext + 2;
        grow(d, srec, shdr, at, 0, &[0, 25, 0, 3, 0, 1, 2]);
        let el = u16::from_be_bytes([d[ext], d[ext + 1]]) + 7;
        d[ext..ext + 2].copy_from_slice(&el.to_be_bytes());
    }));
    l.run();
    assert!(l.c.state() != State::Connected);
    let t = u64::from(client_config().handshake_timeout_ms);
    let _ = l.c.handle_timeout(t);
    assert_eq!(l.c.last_alert().description, alert::HANDSHAKE_FAILURE);
}

/// Replace `n` bytes at `pos` of the handshake message (record `rec`,
/// header `hdr`, unfragmented) by `with`, fixing the three lengths.
fn grow(d: &mut Vec<u8>, rec: usize, hdr: usize, pos: usize, n: usize, with: &[u8]) {
    d.splice(pos..pos + n, with.iter().copied());
    let delta = with.len() as i64 - n as i64;
    let rl = (i64::from(u16::from_be_bytes([d[rec + 11], d[rec + 12]])) + delta) as u16;
    d[rec + 11..rec + 13].copy_from_slice(&rl.to_be_bytes());
    for off in [hdr + 1, hdr + 9] {
        let l = (i64::from(u32::from_be_bytes([0, d[off], d[off + 1], d[off + 2]])) + delta) as u32;
        d[off..off + 3].copy_from_slice(&l.to_be_bytes()[1..]);
    }
}

#[test]
fn a_request_hash_form_nobody_negotiated_is_refused() {
    // The client kept nothing; the server's request is replaced by a hash
    // form: parsed as a request, it is decode_error.
    let ce = CEnv::new(141, Some(CLIENT));
    let mut l = Lock::auth(ce, CEnv::new(142, Some(SERVER)), "server", false, Some("client-eui"));
    l.tamper = Some(Box::new(|d: &mut Vec<u8>| {
        let Some((rec, hdr)) = find_message(d, 13) else { return };
        let mut form = vec![32];
        form.extend_from_slice(&cached_info::request_hash(OUR_REQUEST));
        grow(d, rec, hdr, hdr + 12, 8, &form);
    }));
    l.run();
    l.client_refused(alert::DECODE_ERROR);
}

#[test]
fn a_request_hash_form_with_another_hash_or_truncated_is_refused() {
    for (seed, flip, want) in [(151u64, true, alert::ILLEGAL_PARAMETER), (153, false, alert::DECODE_ERROR)] {
        let mut l = Lock::auth(
            {
                let mut ce = CEnv::new(seed, Some(CLIENT));
                ce.cached_req = Some(OUR_REQUEST.to_vec());
                ce
            },
            CEnv::new(seed + 1, Some(SERVER)),
            "server",
            false,
            Some("client-eui"),
        );
        l.tamper = Some(Box::new(move |d: &mut Vec<u8>| {
            let Some((rec, hdr)) = find_message(d, 13) else { return };
            assert_eq!(d[hdr + 12], 32, "hash form");
            if flip {
                d[hdr + 12 + 32] ^= 1;
            } else {
                cut(d, rec, hdr, hdr + 12 + 32, 1);
            }
        }));
        l.run();
        l.client_refused(want);
    }
}

#[test]
fn an_answer_for_a_type_not_offered_is_refused() {
    // The client offered only the chain; the server's answer is changed
    // to {cert, cert_req}: illegal_parameter.
    let mut ce = CEnv::new(161, None);
    ce.cached = Some(cert_body(SERVER));
    let mut l = Lock::new(ce, CEnv::new(162, Some(SERVER)));
    l.tamper = Some(Box::new(|d: &mut Vec<u8>| {
        let Some((rec, hdr)) = find_message(d, 2) else { return };
        let answer = [0, 25, 0, 3, 0, 1, 1];
        let ext = server_hello_extensions(d, hdr);
        let pos = (ext..d.len() - 6).find(|&i| d[i..i + 7] == answer).expect("cached_info answered");
        grow(d, rec, hdr, pos, 7, &[0, 25, 0, 4, 0, 2, 1, 2]);
        let el = u16::from_be_bytes([d[ext], d[ext + 1]]) + 1;
        d[ext..ext + 2].copy_from_slice(&el.to_be_bytes());
    }));
    l.run();
    l.client_refused(alert::ILLEGAL_PARAMETER);
}

/// tests/vectors/cached_info_vectors.txt, computed by the independent
/// tests/vectors/cached_info_vectors.py (hashlib): the hashes of the
/// Certificate messages of the test chains and of two CertificateRequests
/// (ours, and one naming the test root as its CA).
#[test]
fn known_answer_vectors() {
    use sha2::Digest;
    let path = format!("{}/tests/vectors/cached_info_vectors.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let hex = |s: &str| -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    };
    let mut seen = 0;
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let (name, len, body_or_digest, want) = (f[0], f[1].parse::<usize>().unwrap(), f[2], hex(f[3]));
        match name {
            "certificate-server-int" | "certificate-server3-int2-int1" => {
                let names: &[&str] =
                    if name.ends_with("server-int") { &["server", "int"] } else { &["server3", "int2", "int1"] };
                let body = cert_body(names);
                assert_eq!(body.len(), len, "{name}");
                assert_eq!(sha2::Sha256::digest(&body).to_vec(), hex(body_or_digest), "{name}: another body");
                assert_eq!(cached_info::certificate_hash(&body).to_vec(), want, "{name}");
                assert_eq!(cached_info::chain_hash(&chain(names)).unwrap().to_vec(), want, "{name}: from the chain");
            }
            "request-ours" | "request-root-ca" => {
                let body = hex(body_or_digest);
                assert_eq!(body.len(), len, "{name}");
                assert_eq!(cached_info::request_hash(&body).to_vec(), want, "{name}");
                if name == "request-ours" {
                    assert_eq!(body, OUR_REQUEST);
                }
            }
            _ => panic!("unknown vector {name}"),
        }
        seen += 1;
    }
    assert_eq!(seen, 4);
}
