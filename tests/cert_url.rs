#![cfg(all(
    feature = "cert-url",
    any(all(feature = "client", feature = "server"), not(any(feature = "client", feature = "server")))
))]
// (Both roles: single-role builds have no peer to run the handshake against.)
//! Client certificate URLs (RFC 6066 section 5): the CertificateURL codec
//! (every malformed form refused with its alert), our SHA-1 and writer
//! against the independent known answers of tests/vectors/cert_url_vectors.py;
//! and the handshake: our client sends CertificateURL when our server
//! echoes client_certificate_url, the server's application fetches the
//! certificates, a hash mismatch is 114, a refusal 111, a server that
//! does not accept URLs gets a Certificate, an echo without an offer is
//! unsupported_extension.

mod common;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use common::*;
use nanodtls::alert;
use nanodtls::auth::x509::trust::PEER_EUI64;
use nanodtls::crypto::sha1;
use nanodtls::env::CertUrlFetch;
use nanodtls::handshake::msg::certificate_url::{self as cu, UrlAndHash};
use nanodtls::{suite, Env, Error, State};

fn pki(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/pki/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run tests/pki/gen.sh)"))
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// The `key = value` lines of the vector file.
fn vectors() -> Vec<(String, String)> {
    include_str!("vectors/cert_url_vectors.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = ").map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

#[test]
fn sha1_and_message_match_the_independent_vectors() {
    let v = vectors();
    let get = |k: &str| v.iter().find(|(key, _)| key == k).map(|(_, x)| x.clone()).unwrap();
    let leaf = pki("client-eui.der");
    let int = pki("int.der");
    assert_eq!(sha1::sha1(&leaf).to_vec(), unhex(&get("sha1 client-eui.der")));
    assert_eq!(sha1::sha1(&int).to_vec(), unhex(&get("sha1 int.der")));
    let urls: Vec<Vec<u8>> = v.iter().filter(|(k, _)| k == "url").map(|(_, u)| u.as_bytes().to_vec()).collect();
    assert_eq!(urls.len(), 2);
    let chain: Vec<u8> = [leaf.clone(), int].concat();
    let mut buf = [0u8; 256];
    let mut w = nanodtls::codec::Writer::new(&mut buf);
    cu::write(&mut w, &chain, &|i| urls.get(i).map(|u| u.as_slice())).unwrap();
    let want = unhex(&get("certificate_url"));
    assert_eq!(w.written(), &want[..]);
    let p = cu::parse(&want, 3).unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(p.get(0).unwrap(), UrlAndHash { url: &urls[0], hash: &sha1::sha1(&leaf) });
}

fn entry(url: &[u8], pad: u8) -> Vec<u8> {
    let mut v = (url.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(url);
    v.push(pad);
    v.extend_from_slice(&[0x5a; 20]);
    v
}

fn message(t: u8, entries: &[Vec<u8>]) -> Vec<u8> {
    let list = entries.concat();
    let mut v = vec![t];
    v.extend_from_slice(&(list.len() as u16).to_be_bytes());
    v.extend_from_slice(&list);
    v
}

fn refused(body: &[u8], max: usize) -> u8 {
    cu::parse(body, max).expect_err("must be refused")
}

#[test]
fn malformed_certificate_url_is_refused_with_its_alert() {
    let good = message(0, &[entry(b"http://h/leaf", 1), entry(b"http://h/int", 1)]);
    assert_eq!(cu::parse(&good, 3).unwrap().len(), 2);
    // Truncated anywhere.
    for n in 0..good.len() {
        assert_eq!(refused(&good[..n], 3), alert::DECODE_ERROR, "cut at {n}");
    }
    // Trailing bytes.
    let mut t = good.clone();
    t.push(1);
    assert_eq!(refused(&t, 3), alert::DECODE_ERROR);
    // List length overlong and short.
    let mut t = good.clone();
    t[2] += 1;
    assert_eq!(refused(&t, 3), alert::DECODE_ERROR);
    t[2] -= 2;
    assert_eq!(refused(&t, 3), alert::DECODE_ERROR);
    // URL length overlong and short.
    let mut t = message(0, &[entry(b"abc", 1)]);
    t[4] = 4;
    assert_eq!(refused(&t, 3), alert::DECODE_ERROR);
    t[4] = 2;
    assert_eq!(refused(&t, 3), alert::DECODE_ERROR);
    t[3] = 0xff;
    assert_eq!(refused(&t, 3), alert::DECODE_ERROR);
    // Padding must be 0x01.
    for pad in [0u8, 2, 0x80, 0xff] {
        assert_eq!(refused(&message(0, &[entry(b"u", pad)]), 3), alert::DECODE_ERROR, "pad {pad}");
    }
    // Empty list; zero-length URL.
    assert_eq!(refused(&[0, 0, 0], 3), alert::DECODE_ERROR);
    assert_eq!(refused(&message(0, &[entry(b"", 1)]), 3), alert::DECODE_ERROR);
    // More URLs than the knob (NANODTLS_MAX_CERT_CHAIN in the engine).
    let many: Vec<Vec<u8>> = (0..4).map(|i| entry(&[b'a' + i], 1)).collect();
    assert_eq!(refused(&message(0, &many), 3), alert::UNKNOWN_CA);
    assert_eq!(cu::parse(&message(0, &many), 4).unwrap().len(), 4);
    // pkipath is refused as a certificate form we do not handle; other types.
    assert_eq!(refused(&message(1, &[entry(b"u", 1)]), 3), alert::UNSUPPORTED_CERTIFICATE);
    assert_eq!(refused(&message(7, &[entry(b"u", 1)]), 3), alert::ILLEGAL_PARAMETER);
}

const CCM8: u16 = suite::ECDHE_ECDSA_AES_128_CCM_8;
/// 2026-12-01T00:00:00Z: inside every positive certificate's validity.
const NOW: u64 = 1_796_083_200;

fn chain(names: &[&str]) -> Vec<u8> {
    names.iter().flat_map(|n| pki(&format!("{n}.der"))).collect()
}

/// One CertificateURL as the application saw it: (url, SHA-1) pairs.
type Asked = Vec<(Vec<u8>, [u8; 20])>;

/// An environment for either side: anchors, our chain with its URLs
/// (client), the "web" the server's application fetches from.
struct UEnv {
    rng: XorShift,
    anchor: Vec<u8>,
    own: Option<Vec<u8>>,
    urls: Vec<Vec<u8>>,
    accept_urls: bool,
    /// Answer Pending (the handshake pauses).
    pause: bool,
    web: HashMap<Vec<u8>, Vec<u8>>,
    fetched: Option<Vec<u8>>,
    /// What the server's application was asked for: (url, hash) lists.
    asked: RefCell<Vec<Asked>>,
}

impl UEnv {
    fn new(seed: u64, own: Option<&[&str]>) -> UEnv {
        UEnv {
            rng: XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            anchor: pki("root.der"),
            own: own.map(chain),
            urls: Vec::new(),
            accept_urls: false,
            pause: false,
            web: HashMap::new(),
            fetched: None,
            asked: RefCell::new(Vec::new()),
        }
    }
}

impl Env for UEnv {
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
        (i == 0).then_some((&self.anchor[..], false))
    }
    fn wall_clock(&self) -> Option<u64> {
        Some(NOW)
    }
    fn own_certificate_url(&self, i: usize) -> Option<&[u8]> {
        self.urls.get(i).map(|u| u.as_slice())
    }
    fn cert_url_server(&self) -> bool {
        self.accept_urls
    }
    fn fetch_client_certificates(&mut self, urls: &mut dyn Iterator<Item = (&[u8], &[u8; 20])>) -> CertUrlFetch {
        let urls: Asked = urls.map(|(u, h)| (u.to_vec(), *h)).collect();
        self.asked.borrow_mut().push(urls.clone());
        if self.pause {
            return CertUrlFetch::Pending;
        }
        let mut out = Vec::new();
        for (u, _) in &urls {
            match self.web.get(u) {
                Some(der) => out.extend_from_slice(der),
                None => return CertUrlFetch::Refused,
            }
        }
        self.fetched = Some(out);
        CertUrlFetch::Fetched
    }
    fn fetched_client_certificates(&self) -> Option<&[u8]> {
        self.fetched.as_deref()
    }
}

/// Our client (certificate mode, key of `leaf`) and our server (client_auth).
struct Pair {
    c: Peer,
    s: Peer,
    ce: UEnv,
    se: UEnv,
    queue: VecDeque<(bool, Vec<u8>)>,
    /// Handshake message types the client sent in epoch 0.
    client_types: Vec<u8>,
    /// Rewrite the server's first datagram (a forged ServerHello).
    tamper_server_hello: bool,
}

/// Handshake types in a datagram of plaintext (epoch 0) records.
fn epoch0_types(d: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut r = d;
    while r.len() >= 13 {
        let len = u16::from_be_bytes([r[11], r[12]]) as usize;
        let epoch = u16::from_be_bytes([r[3], r[4]]);
        if r[0] == 22 && epoch == 0 && r.len() >= 13 + len && len >= 12 {
            out.push(r[13]);
        }
        r = &r[(13 + len).min(r.len())..];
    }
    out
}

/// Append an empty client_certificate_url to the ServerHello in the first
/// record of `d` (lengths fixed up).
fn add_echo(d: &[u8]) -> Vec<u8> {
    assert_eq!((d[0], d[13]), (22, 2), "a ServerHello first");
    let rec_len = u16::from_be_bytes([d[11], d[12]]) as usize;
    let body = &d[25..13 + rec_len];
    let sid = body[34] as usize;
    let ext_at = 35 + sid + 3;
    let mut nb = body[..ext_at].to_vec();
    let ext_len = u16::from_be_bytes([body[ext_at], body[ext_at + 1]]) as usize;
    nb.extend_from_slice(&((ext_len + 4) as u16).to_be_bytes());
    nb.extend_from_slice(&body[ext_at + 2..]);
    nb.extend_from_slice(&[0, 2, 0, 0]);
    let n = nb.len() as u32;
    let mut out = d[..13].to_vec();
    out[11..13].copy_from_slice(&((n + 12) as u16).to_be_bytes());
    out.extend_from_slice(&d[13..14]);
    out.extend_from_slice(&n.to_be_bytes()[1..]);
    out.extend_from_slice(&d[17..22]);
    out.extend_from_slice(&n.to_be_bytes()[1..]);
    out.extend_from_slice(&nb);
    out.extend_from_slice(&d[13 + rec_len..]);
    out
}

const LEAF_URL: &[u8] = b"http://certs.example/client-eui.der";
const INT_URL: &[u8] = b"file:///certs/int.der";

impl Pair {
    /// The client offers URLs for client-eui + int; the server accepts
    /// them (`accept`) and serves `web` (url -> DER).
    fn new(seed: u64, urls: bool, accept: bool, web: &[(&[u8], &str)]) -> Pair {
        let mut cfg = client_config();
        cfg.suites = [CCM8, 0, 0, 0];
        let mut c = new_conn(&cfg);
        c.set_own_key(&pki("client-eui.key.der")).unwrap();
        c.set_server_name(b"server.example").unwrap();
        let mut cfg = server_config();
        cfg.suites = [CCM8, 0, 0, 0];
        cfg.client_auth = true;
        let mut s = new_conn(&cfg);
        s.set_own_key(&pki("server.key.der")).unwrap();
        let mut ce = UEnv::new(seed, Some(&["client-eui", "int"]));
        if urls {
            ce.urls = vec![LEAF_URL.to_vec(), INT_URL.to_vec()];
        }
        let mut se = UEnv::new(seed + 1, Some(&["server", "int"]));
        se.accept_urls = accept;
        for (u, f) in web {
            se.web.insert(u.to_vec(), pki(&format!("{f}.der")));
        }
        Pair { c, s, ce, se, queue: VecDeque::new(), client_types: Vec::new(), tamper_server_hello: false }
    }
    fn start(&mut self) {
        self.c.connect(&mut self.ce, 0).unwrap();
        self.pump(0);
    }
    fn pump(&mut self, now: u64) {
        let mut buf = [0u8; 4096];
        while let Some(n) = self.c.poll_with(&self.ce, now, &mut buf).unwrap() {
            self.client_types.extend(epoch0_types(&buf[..n]));
            self.queue.push_back((true, buf[..n].to_vec()));
        }
        while let Some(n) = self.s.poll_with(&self.se, now, &mut buf).unwrap() {
            let mut d = buf[..n].to_vec();
            if self.tamper_server_hello && d[0] == 22 && d[13] == 2 {
                d = add_echo(&d);
            }
            self.queue.push_back((false, d));
        }
    }
    fn run(&mut self, now: u64) {
        while let Some((to_server, d)) = self.queue.pop_front() {
            let _ = if to_server { self.s.feed(&mut self.se, now, &d) } else { self.c.feed(&mut self.ce, now, &d) };
            self.pump(now);
        }
    }
    fn connected(&self) -> bool {
        self.c.state() == State::Connected && self.s.state() == State::Connected
    }
    /// The side that refused (epoch 0: it dropped the message) sends its
    /// alert at its deadline; the other receives it.
    fn refused(&mut self, server_refuses: bool, want: u8) {
        let t = u64::from(client_config().handshake_timeout_ms);
        let (me, peer) = if server_refuses { (&self.s, &self.c) } else { (&self.c, &self.s) };
        assert!(me.state() != State::Connected, "accepted");
        if me.state().handshaking() {
            assert!(me.stats().dropped_rejected > 0, "{:?}", me.stats());
            assert!(peer.state().handshaking());
            let r = if server_refuses { self.s.handle_timeout(t) } else { self.c.handle_timeout(t) };
            assert_eq!(r, Err(Error::Timeout));
            self.pump(t);
            self.run(t);
        }
        let (me, peer) = if server_refuses { (&self.s, &self.c) } else { (&self.c, &self.s) };
        assert_eq!(me.last_alert(), nanodtls::AlertInfo { level: alert::FATAL, description: want, sent: true });
        assert_eq!(peer.last_alert().description, want);
    }
}

fn web_ok() -> Vec<(&'static [u8], &'static str)> {
    vec![(LEAF_URL, "client-eui"), (INT_URL, "int")]
}

#[test]
fn client_sends_urls_and_the_server_fetches_and_validates_them() {
    let mut p = Pair::new(1, true, true, &web_ok());
    p.start();
    p.run(0);
    assert!(p.connected(), "{:?} {:?}", p.c.last_alert(), p.s.last_alert());
    // CertificateURL (21) instead of Certificate (11), then
    // ClientKeyExchange and CertificateVerify.
    assert!(p.client_types.contains(&21), "{:?}", p.client_types);
    assert!(!p.client_types.contains(&11), "{:?}", p.client_types);
    assert!(p.client_types.contains(&15));
    let asked = p.se.asked.borrow().clone();
    assert_eq!(asked.len(), 1, "fetched once");
    assert_eq!(
        asked[0],
        vec![(LEAF_URL.to_vec(), sha1::sha1(&pki("client-eui.der"))), (INT_URL.to_vec(), sha1::sha1(&pki("int.der")))]
    );
    let peer = p.s.x509_peer();
    assert_eq!((peer.kind, peer.eui64, peer.reason), (PEER_EUI64, [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77], 0));
    let mut buf = [0u8; 16];
    p.c.write(b"ping").unwrap();
    p.pump(0);
    p.run(0);
    assert_eq!(p.s.read(&mut buf).unwrap(), Some(4));
}

#[test]
fn a_certificate_that_does_not_hash_to_its_url_is_bad_certificate_hash_value() {
    // The intermediate URL serves another (valid) certificate.
    let mut p = Pair::new(2, true, true, &[(LEAF_URL, "client-eui"), (INT_URL, "int1")]);
    p.start();
    p.run(0);
    p.refused(true, alert::BAD_CERTIFICATE_HASH_VALUE);
    // The leaf swapped for another client's certificate.
    let mut p = Pair::new(3, true, true, &[(LEAF_URL, "client-cn"), (INT_URL, "int")]);
    p.start();
    p.run(0);
    p.refused(true, alert::BAD_CERTIFICATE_HASH_VALUE);
}

#[test]
fn a_refused_fetch_is_certificate_unobtainable() {
    // The intermediate is not there: the application refuses.
    let mut p = Pair::new(4, true, true, &[(LEAF_URL, "client-eui")]);
    p.start();
    p.run(0);
    p.refused(true, alert::CERTIFICATE_UNOBTAINABLE);
    assert_eq!(p.se.asked.borrow().len(), 1);
}

#[test]
fn a_server_that_does_not_accept_urls_does_not_echo_and_gets_a_certificate() {
    let mut p = Pair::new(5, true, false, &web_ok());
    p.start();
    p.run(0);
    assert!(p.connected(), "{:?} {:?}", p.c.last_alert(), p.s.last_alert());
    assert!(p.client_types.contains(&11) && !p.client_types.contains(&21), "{:?}", p.client_types);
    assert!(p.se.asked.borrow().is_empty());
    assert_eq!(p.s.x509_peer().kind, PEER_EUI64);
}

#[test]
fn a_client_without_urls_does_not_offer_and_sends_its_certificate() {
    let mut p = Pair::new(6, false, true, &web_ok());
    p.start();
    p.run(0);
    assert!(p.connected());
    assert!(p.client_types.contains(&11) && !p.client_types.contains(&21));
    assert!(p.se.asked.borrow().is_empty());
}

#[test]
fn an_echo_without_our_offer_is_unsupported_extension() {
    let mut p = Pair::new(7, false, false, &web_ok());
    p.tamper_server_hello = true;
    p.start();
    p.run(0);
    p.refused(false, alert::UNSUPPORTED_EXTENSION);
    assert!(!p.client_types.contains(&11) && !p.client_types.contains(&21));
}

#[test]
fn an_endpoint_peer_fetches_the_urls_too() {
    use nanodtls::{Endpoint, PeerSlot};
    use zerocopy::FromZeros;
    let mut p = Pair::new(8, true, true, &web_ok());
    let mut cfg = server_config();
    cfg.suites = [CCM8, 0, 0, 0];
    cfg.client_auth = true;
    let mut ep = Endpoint::new_box_zeroed().unwrap();
    ep.init(&cfg, 0, 10_000).unwrap();
    ep.set_own_key(&pki("server.key.der")).unwrap();
    let mut slots: Vec<PeerSlot> = (0..2).map(|_| *PeerSlot::new_box_zeroed().unwrap()).collect();
    let addr = b"10.0.0.9:5684";
    p.c.connect(&mut p.ce, 0).unwrap();
    let mut buf = [0u8; 4096];
    let mut a = [0u8; 64];
    for _ in 0..20 {
        while let Some(n) = p.c.poll_with(&p.ce, 0, &mut buf).unwrap() {
            p.client_types.extend(epoch0_types(&buf[..n]));
            let d = buf[..n].to_vec();
            let _ = feed_all(&d, |b| ep.feed(&mut slots, &mut p.se, 0, addr, b));
        }
        let mut any = false;
        while let Some((n, _)) = ep.poll_datagram(&mut slots, &p.se, 0, &mut buf, &mut a).unwrap() {
            any = true;
            let d = buf[..n].to_vec();
            let _ = p.c.feed(&mut p.ce, 0, &d);
        }
        if !any {
            break;
        }
    }
    assert_eq!(p.c.state(), State::Connected, "{:?}", p.c.last_alert());
    assert!(p.client_types.contains(&21) && !p.client_types.contains(&11), "{:?}", p.client_types);
    assert_eq!(p.se.asked.borrow().len(), 1);
    let peer = ep.peer(&slots, addr).unwrap();
    assert_eq!(peer.x509_peer().kind, PEER_EUI64);
}

#[test]
fn more_or_fewer_certificates_than_urls_is_bad_certificate_hash_value() {
    // The intermediate's URL gives two certificates; then none.
    let extra = [pki("int.der"), pki("int1.der")].concat();
    for (seed, int) in [(9u64, extra), (10, Vec::new())] {
        let mut p = Pair::new(seed, true, true, &web_ok());
        p.se.web.insert(INT_URL.to_vec(), int);
        p.start();
        p.run(0);
        p.refused(true, alert::BAD_CERTIFICATE_HASH_VALUE);
    }
}

impl Pair {
    /// The client's retransmission timer fires at `t`.
    fn client_retransmits(&mut self, t: u64) {
        let _ = self.c.handle_timeout(t);
        self.pump(t);
        self.run(t);
    }
    /// The DER chain the server's application fetched for the URLs.
    fn web_chain(&self) -> Vec<u8> {
        [self.se.web[LEAF_URL].clone(), self.se.web[INT_URL].clone()].concat()
    }
}

fn paused_pair(seed: u64, web: &[(&[u8], &str)]) -> Pair {
    let mut p = Pair::new(seed, true, true, web);
    p.se.pause = true;
    p.start();
    p.run(0);
    assert!(p.s.cert_url_paused(), "{:?}", p.s.state());
    assert!(!p.c.cert_url_paused());
    assert!(p.c.state().handshaking() && p.s.state().handshaking());
    // The rest of the client's flight was dropped unaccepted.
    assert!(p.s.stats().dropped_rejected > 0, "{:?}", p.s.stats());
    p
}

#[test]
fn paused_handshake_resumes_with_the_provided_chain_and_a_retransmission_is_no_second_fetch() {
    let mut p = paused_pair(20, &web_ok());
    // The client retransmits while we are paused: the CertificateURL is a
    // duplicate (no second fetch), the rest is dropped again.
    p.client_retransmits(1_000);
    assert!(p.s.cert_url_paused());
    assert_eq!(p.se.asked.borrow().len(), 1, "a duplicate CertificateURL is not processed twice");
    let chain = p.web_chain();
    p.s.provide_client_certificates(&p.se, 1_500, &chain).unwrap();
    assert!(!p.s.cert_url_paused());
    // Misuse: a second provide, a refuse after it.
    assert_eq!(p.s.provide_client_certificates(&p.se, 1_500, &chain), Err(Error::WrongState));
    assert_eq!(p.s.refuse_client_certificates(&p.se, 1_500), Err(Error::WrongState));
    assert!(!p.connected());
    // The client's next retransmission completes the handshake.
    p.client_retransmits(3_000);
    assert!(p.connected(), "{:?} {:?}", p.c.last_alert(), p.s.last_alert());
    assert_eq!(p.se.asked.borrow().len(), 1);
    assert_eq!(p.s.x509_peer().kind, PEER_EUI64);
    let mut buf = [0u8; 16];
    p.c.write(b"ping").unwrap();
    p.pump(3_000);
    p.run(3_000);
    assert_eq!(p.s.read(&mut buf).unwrap(), Some(4));
}

#[test]
fn provide_of_a_wrong_certificate_is_114_and_refuse_is_111() {
    let mut p = paused_pair(21, &[(LEAF_URL, "client-eui"), (INT_URL, "int1")]);
    let chain = p.web_chain();
    assert_eq!(p.s.provide_client_certificates(&p.se, 10, &chain), Err(Error::AlertSent));
    p.pump(10);
    p.run(10);
    assert_eq!(
        p.s.last_alert(),
        nanodtls::AlertInfo { level: alert::FATAL, description: alert::BAD_CERTIFICATE_HASH_VALUE, sent: true }
    );
    assert_eq!(p.c.last_alert().description, alert::BAD_CERTIFICATE_HASH_VALUE);
    assert_eq!(p.c.failure(), Some(Error::AlertReceived));

    let mut p = paused_pair(22, &web_ok());
    assert_eq!(p.s.refuse_client_certificates(&p.se, 10), Err(Error::AlertSent));
    p.pump(10);
    p.run(10);
    assert_eq!(p.s.last_alert().description, alert::CERTIFICATE_UNOBTAINABLE);
    assert!(p.s.last_alert().sent);
    assert_eq!(p.c.last_alert().description, alert::CERTIFICATE_UNOBTAINABLE);
    // After the failure nothing resumes.
    let chain = p.web_chain();
    assert!(p.s.provide_client_certificates(&p.se, 10, &chain).is_err());
}

#[test]
fn provide_or_refuse_when_not_paused_is_wrong_state() {
    // Before any handshake message, and on a server that got a Certificate.
    let mut p = Pair::new(23, true, false, &web_ok());
    assert_eq!(p.s.provide_client_certificates(&p.se, 0, b"\x30\x00"), Err(Error::WrongState));
    p.start();
    p.run(0);
    assert!(p.connected());
    let chain = p.web_chain();
    assert_eq!(p.s.provide_client_certificates(&p.se, 0, &chain), Err(Error::WrongState));
    assert_eq!(p.s.refuse_client_certificates(&p.se, 0), Err(Error::WrongState));
    assert!(p.connected());
}

#[test]
fn a_pause_past_the_handshake_deadline_fails_the_handshake() {
    let mut p = paused_pair(24, &web_ok());
    let t = u64::from(server_config().handshake_timeout_ms);
    assert_eq!(p.s.handle_timeout(t), Err(Error::Timeout));
    p.pump(t);
    p.run(t);
    assert_eq!(p.s.state(), State::Failed);
    // The flight it dropped while paused: certificate_unobtainable.
    assert_eq!(p.s.last_alert().description, alert::CERTIFICATE_UNOBTAINABLE);
    let chain = p.web_chain();
    assert!(p.s.provide_client_certificates(&p.se, t, &chain).is_err());
    // A provide that comes too late fails too (without handle_timeout).
    let mut p = paused_pair(25, &web_ok());
    let chain = p.web_chain();
    assert_eq!(p.s.provide_client_certificates(&p.se, t, &chain), Err(Error::Timeout));
    assert_eq!(p.s.state(), State::Failed);
}

#[test]
fn forged_datagrams_while_paused_change_nothing() {
    let mut p = paused_pair(26, &web_ok());
    let before = *p.s.stats();
    // Garbage, a forged handshake record, a forged CertificateURL (new seq).
    let forged_cu = {
        let mut d = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0x40];
        let body = [0u8, 0, 3 + 20, 0, 1, b'x', 1];
        let mut b = body.to_vec();
        b.extend_from_slice(&[0u8; 20]);
        let mut hs = vec![21, 0, 0, b.len() as u8, 0, 9, 0, 0, 0, 0, 0, b.len() as u8];
        hs.extend_from_slice(&b);
        d.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        d.extend_from_slice(&hs);
        d
    };
    for d in [vec![0u8; 40], vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0x50, 0, 2, 1, 2], forged_cu] {
        let _ = p.s.feed(&mut p.se, 5, &d);
    }
    assert!(p.s.cert_url_paused());
    assert_eq!(p.se.asked.borrow().len(), 1);
    assert_eq!(p.s.state(), State::ServerWaitClientCertificate);
    let dropped =
        |s: &nanodtls::Stats| s.dropped_malformed + s.dropped_unexpected + s.dropped_rejected + s.dropped_epoch;
    assert!(dropped(p.s.stats()) > dropped(&before), "{:?}", p.s.stats());
    // And the genuine resume still completes.
    let chain = p.web_chain();
    p.s.provide_client_certificates(&p.se, 10, &chain).unwrap();
    p.client_retransmits(1_000);
    assert!(p.connected(), "{:?} {:?}", p.c.last_alert(), p.s.last_alert());
}

#[test]
fn an_endpoint_peer_pauses_and_resumes_by_address() {
    use nanodtls::{Endpoint, PeerSlot};
    use zerocopy::FromZeros;
    let mut p = Pair::new(27, true, true, &web_ok());
    p.se.pause = true;
    let mut cfg = server_config();
    cfg.suites = [CCM8, 0, 0, 0];
    cfg.client_auth = true;
    let mut ep = Endpoint::new_box_zeroed().unwrap();
    ep.init(&cfg, 0, 10_000).unwrap();
    ep.set_own_key(&pki("server.key.der")).unwrap();
    let mut slots: Vec<PeerSlot> = (0..2).map(|_| *PeerSlot::new_box_zeroed().unwrap()).collect();
    let addr = b"10.0.0.9:5684";
    let mut buf = [0u8; 4096];
    let mut a = [0u8; 64];
    let mut exchange = |p: &mut Pair, ep: &mut Endpoint, slots: &mut Vec<PeerSlot>, now: u64| {
        for _ in 0..20 {
            let mut any = false;
            while let Some(n) = p.c.poll_with(&p.ce, now, &mut buf).unwrap() {
                any = true;
                let d = buf[..n].to_vec();
                let _ = feed_all(&d, |b| ep.feed(slots, &mut p.se, now, addr, b));
            }
            while let Some((n, _)) = ep.poll_datagram(slots, &p.se, now, &mut buf, &mut a).unwrap() {
                any = true;
                let d = buf[..n].to_vec();
                let _ = p.c.feed(&mut p.ce, now, &d);
            }
            if !any {
                break;
            }
        }
    };
    p.c.connect(&mut p.ce, 0).unwrap();
    exchange(&mut p, &mut ep, &mut slots, 0);
    assert!(ep.peer(&slots, addr).unwrap().cert_url_paused());
    assert_eq!(p.se.asked.borrow().len(), 1);
    let chain = p.web_chain();
    assert_eq!(
        ep.provide_client_certificates(&mut slots, &p.se, 10, b"10.0.0.8:1", Some(&chain)),
        Err(Error::UnknownPeer)
    );
    ep.provide_client_certificates(&mut slots, &p.se, 10, addr, Some(&chain)).unwrap();
    assert_eq!(ep.provide_client_certificates(&mut slots, &p.se, 10, addr, Some(&chain)), Err(Error::WrongState));
    let _ = p.c.handle_timeout(1_000);
    exchange(&mut p, &mut ep, &mut slots, 1_000);
    assert_eq!(p.c.state(), State::Connected, "{:?}", p.c.last_alert());
    assert_eq!(ep.peer(&slots, addr).unwrap().state(), State::Connected);
    assert_eq!(ep.peer(&slots, addr).unwrap().x509_peer().kind, PEER_EUI64);
    assert_eq!(p.se.asked.borrow().len(), 1);
}

#[test]
fn a_certificate_url_the_server_did_not_agree_to_is_unexpected() {
    // The client offered and sees a (forged) echo; our server, which does
    // not accept URLs, never echoed: the CertificateURL is unexpected.
    let mut p = Pair::new(28, true, false, &web_ok());
    p.tamper_server_hello = true;
    p.start();
    p.run(0);
    assert!(p.client_types.contains(&21), "{:?}", p.client_types);
    assert!(p.s.state().handshaking());
    assert!(p.s.stats().dropped_unexpected > 0, "{:?}", p.s.stats());
    assert!(p.se.asked.borrow().is_empty());
    let t = u64::from(server_config().handshake_timeout_ms);
    assert_eq!(p.s.handle_timeout(t), Err(Error::Timeout));
    assert_eq!(p.s.last_alert().description, alert::UNEXPECTED_MESSAGE);
}
