#![cfg(feature = "x509")]
//! Certificate mode in the handshake (RFC 7925 4.4): each side validates
//! the peer's X.509 chain to its trust anchors (RFC 5280 section 6, in
//! src/auth/x509/), with the identity RFC 7925 asks for (4.4.1 the
//! server's name, 4.4.2 the client's EUI-64), and sends its own chain
//! (leaf and intermediates). Every refusal ends the handshake with the
//! alert of its reason, in both roles, and the reason is readable.
//!
//! The chains are tests/pki/ (tests/pki/gen.sh).

mod common;
use std::cell::RefCell;
use std::collections::VecDeque;

use common::*;
use nanodtls::alert;
use nanodtls::auth::x509::trust::{PEER_EUI64, PEER_NAME, PEER_UNCHECKED};
use nanodtls::auth::x509::Reason;
use nanodtls::{suite, Env, Error, State};

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

/// What the identity hook saw: an EUI-64 or a name (neither: unchecked).
type Seen = (Option<[u8; 8]>, Option<Vec<u8>>);

/// An environment with trust anchors, a wall clock and an identity hook.
struct XEnv {
    rng: XorShift,
    anchors: Vec<Vec<u8>>,
    /// The anchors are SubjectPublicKeyInfos rather than certificates.
    spki: bool,
    now: Option<u64>,
    own: Option<Vec<u8>>,
    accept: Option<bool>,
    seen: RefCell<Vec<Seen>>,
}

impl XEnv {
    fn new(seed: u64, anchors: &[&str], own: Option<&[&str]>) -> XEnv {
        XEnv {
            rng: XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            anchors: anchors.iter().map(|a| pki(&format!("{a}.der"))).collect(),
            spki: false,
            now: Some(NOW),
            own: own.map(chain),
            accept: None,
            seen: RefCell::new(Vec::new()),
        }
    }
}

impl Env for XEnv {
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
        Some((self.anchors.get(i)?, self.spki))
    }
    fn wall_clock(&self) -> Option<u64> {
        self.now
    }
    fn accept_peer_identity(&self, kind: u8, id: &[u8], leaf: &[u8]) -> Option<bool> {
        assert_eq!(leaf[0], 0x30);
        self.seen.borrow_mut().push(match kind {
            PEER_EUI64 => (Some(id.try_into().unwrap()), None),
            PEER_NAME => (None, Some(id.to_vec())),
            _ => {
                assert_eq!(kind, PEER_UNCHECKED);
                assert!(id.is_empty());
                (None, None)
            }
        });
        self.accept
    }
}

struct Lock {
    c: Peer,
    s: Peer,
    ce: XEnv,
    se: XEnv,
    queue: VecDeque<(bool, Vec<u8>)>,
    mtu_seen: usize,
}

impl Lock {
    fn new(c: Peer, s: Peer, ce: XEnv, se: XEnv) -> Lock {
        let mut l = Lock { c, s, ce, se, queue: VecDeque::new(), mtu_seen: 0 };
        l.c.connect(&mut l.ce, 0).unwrap();
        l.pump();
        l
    }
    fn pump(&mut self) {
        let mut buf = [0u8; 4096];
        while let Some(n) = self.c.poll_with(&self.ce, 0, &mut buf).unwrap() {
            self.mtu_seen = self.mtu_seen.max(n);
            self.queue.push_back((true, buf[..n].to_vec()));
        }
        while let Some(n) = self.s.poll_with(&self.se, 0, &mut buf).unwrap() {
            self.mtu_seen = self.mtu_seen.max(n);
            self.queue.push_back((false, buf[..n].to_vec()));
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
    /// The refusing side dropped the peer's Certificate (epoch 0: not
    /// fatal at once); at its deadline it sends the alert it decided on.
    fn refused(&mut self, client_refuses: bool, want: u8) {
        let (me, peer) = if client_refuses { (&self.c, &self.s) } else { (&self.s, &self.c) };
        assert!(!(me.state() == State::Connected), "accepted");
        if me.state().handshaking() {
            assert!(me.stats().dropped_rejected > 0, "{:?}", me.stats());
            assert!(peer.state().handshaking(), "{:?}", peer.state());
            let t = u64::from(client_config().handshake_timeout_ms);
            let r = if client_refuses { self.c.handle_timeout(t) } else { self.s.handle_timeout(t) };
            assert_eq!(r, Err(Error::Timeout));
            self.pump();
            self.run();
        }
        let (me, peer) = if client_refuses { (&self.c, &self.s) } else { (&self.s, &self.c) };
        assert_eq!(me.last_alert(), nanodtls::AlertInfo { level: alert::FATAL, description: want, sent: true });
        assert_eq!(peer.last_alert().description, want);
        assert_eq!(peer.failure(), Some(Error::AlertReceived));
    }
}

/// A certificate-mode client (no pinned key) for `name` with `key` (for
/// client authentication).
fn client(name: Option<&str>, key: Option<&str>) -> Peer {
    client_mtu(name, key, client_config().mtu)
}

fn client_mtu(name: Option<&str>, key: Option<&str>, mtu: u16) -> Peer {
    let mut cfg = client_config();
    cfg.suites = [CCM8, 0, 0, 0];
    cfg.mtu = mtu;
    let mut c = new_conn(&cfg);
    if let Some(k) = key {
        c.set_own_key(&pki(&format!("{k}.key.der"))).unwrap();
    }
    if let Some(n) = name {
        c.set_server_name(n.as_bytes()).unwrap();
    }
    c
}

fn server(key: &str, client_auth: bool) -> Peer {
    server_mtu(key, client_auth, server_config().mtu)
}

fn server_mtu(key: &str, client_auth: bool, mtu: u16) -> Peer {
    let mut cfg = server_config();
    cfg.suites = [CCM8, 0, 0, 0];
    cfg.mtu = mtu;
    cfg.client_auth = client_auth;
    let mut s = new_conn(&cfg);
    s.set_own_key(&pki(&format!("{key}.key.der"))).unwrap();
    s
}

/// Our client against our server: the server presents `server_chain`,
/// the client (if `client_chain`) its own; both trust root.der.
fn pair(server_chain: &[&str], client_chain: Option<&[&str]>, seed: u64) -> Lock {
    let c = client(Some("server.example"), client_chain.map(|c| c[0]));
    let s = server(server_chain[0], client_chain.is_some());
    let ce = XEnv::new(seed, &["root"], client_chain);
    let se = XEnv::new(seed + 1, &["root"], Some(server_chain));
    Lock::new(c, s, ce, se)
}

#[test]
fn server_chain_of_two_and_three_levels_is_validated_by_the_client() {
    for (chain, depth) in [(&["server", "int"][..], 2), (&["server3", "int2", "int1"][..], 3)] {
        let mut l = pair(chain, None, 1);
        l.run();
        assert!(l.connected(), "{chain:?}: {:?} {:?}", l.c.last_alert(), l.s.last_alert());
        let p = l.c.x509_peer();
        assert_eq!((p.kind, p.reason, p.depth), (PEER_NAME, 0, depth));
        assert_eq!(l.ce.seen.borrow().as_slice(), &[(None, Some(b"server.example".to_vec()))]);
        assert!(l.c.peer_key_hash().is_some());
        l.exchange();
    }
}

#[test]
fn mutual_certificate_mode_both_chains_and_client_eui64() {
    for (sc, cc, eui) in [
        (&["server", "int"][..], &["client-eui", "int"][..], [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]),
        (
            &["server3", "int2", "int1"][..],
            &["client-cn", "int2", "int1"][..],
            [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF],
        ),
    ] {
        let mut l = pair(sc, Some(cc), 3);
        l.run();
        assert!(l.connected(), "{cc:?}: {:?} {:?}", l.c.last_alert(), l.s.last_alert());
        let p = l.s.x509_peer();
        assert_eq!((p.kind, p.eui64, p.reason), (PEER_EUI64, eui, 0));
        assert_eq!(l.se.seen.borrow().as_slice(), &[(Some(eui), None)]);
        assert_eq!(l.c.x509_peer().kind, PEER_NAME);
        l.exchange();
    }
}

#[test]
fn spki_anchors_and_an_anchor_among_several() {
    let mut l = pair(&["server", "int"], None, 5);
    l.ce.anchors = vec![pki("root.spki.der")];
    l.ce.spki = true;
    // connect() already sent the ClientHello; the anchors are read when the
    // server's Certificate arrives.
    l.run();
    assert!(l.connected(), "{:?}", l.c.last_alert());
    let mut l = pair(&["server", "int"], None, 6);
    l.ce.anchors = vec![pki("other-root.der"), pki("root.der")];
    l.run();
    assert!(l.connected(), "{:?}", l.c.last_alert());
}

#[test]
fn the_verify_name_replaces_the_sni() {
    // No SNI, a verify name: accepted.
    let mut c = client(None, None);
    c.x509_settings_mut().set_verify_name(b"SERVER.example").unwrap();
    let s = server("server", false);
    let mut l = Lock::new(c, s, XEnv::new(7, &["root"], None), XEnv::new(8, &["root"], Some(&["server", "int"])));
    l.run();
    assert!(l.connected(), "{:?}", l.c.last_alert());
    // The verify name wins over the SNI.
    let mut c = client(Some("server.example"), None);
    c.x509_settings_mut().set_verify_name(b"other.example").unwrap();
    let s = server("server", false);
    let mut l = Lock::new(c, s, XEnv::new(9, &["root"], None), XEnv::new(10, &["root"], Some(&["server", "int"])));
    l.run();
    l.refused(true, alert::BAD_CERTIFICATE);
    assert_eq!(l.c.x509_peer().refused(), Some(Reason::NameMismatch));
    // Neither: nothing to check the name against, refused.
    let c = client(None, None);
    let s = server("server", false);
    let mut l = Lock::new(c, s, XEnv::new(11, &["root"], None), XEnv::new(12, &["root"], Some(&["server", "int"])));
    l.run();
    l.refused(true, alert::BAD_CERTIFICATE);
    assert_eq!(l.c.x509_peer().refused(), Some(Reason::NameMismatch));
    // Wildcards and NUL bytes cannot be configured.
    let mut c = client(None, None);
    assert_eq!(c.x509_settings_mut().set_verify_name(b"*.example"), Err(Error::InvalidArgument));
    assert_eq!(c.x509_settings_mut().set_verify_name(&[b'a'; 300]), Err(Error::TooLarge));
}

/// A chain one certificate longer than NANODTLS_MAX_CERT_CHAIN (3 or 4).
fn one_too_long(leaf: &'static str) -> Vec<&'static str> {
    let n = nanodtls::sizes::NANODTLS_MAX_CERT_CHAIN;
    assert!((3..=4).contains(&n), "tests/pki has chains of 4 and 5 below the anchor");
    let leaf = match (leaf, n) {
        ("server", 3) => "server4",
        ("server", _) => "server5",
        (_, 3) => "client4",
        _ => "client5",
    };
    let mut c = vec![leaf];
    c.extend(["int4", "int3", "int2", "int1"].into_iter().skip(4 - n));
    c
}

/// The client refuses the server's chain `chain` (its leaf key signs the
/// ServerKeyExchange) with `alert` for `reason`.
fn client_refuses(chain: &[&str], reason: Reason, want: u8, seed: u64) {
    let mut l = pair(chain, None, seed);
    l.run();
    l.refused(true, want);
    assert_eq!(l.c.x509_peer().refused(), Some(reason), "{chain:?}");
    assert_eq!(reason.alert(), want);
}

fn server_refuses(chain: &[&str], reason: Reason, want: u8, seed: u64) {
    let mut l = pair(&["server", "int"], Some(chain), seed);
    l.run();
    l.refused(false, want);
    assert_eq!(l.s.x509_peer().refused(), Some(reason), "{chain:?}");
}

#[test]
fn client_refuses_bad_server_chains_with_their_alerts() {
    client_refuses(&["unknown-root", "other-int"], Reason::UnknownIssuer, alert::UNKNOWN_CA, 20);
    client_refuses(&["wildcard", "int"], Reason::Wildcard, alert::BAD_CERTIFICATE, 21);
    client_refuses(&["two-names", "int"], Reason::MultipleNames, alert::BAD_CERTIFICATE, 22);
    client_refuses(&["expired", "int"], Reason::Expired, alert::CERTIFICATE_EXPIRED, 23);
    client_refuses(&["future", "int"], Reason::NotYetValid, alert::CERTIFICATE_EXPIRED, 24);
    client_refuses(&["noca-leaf", "int-noca"], Reason::NotCa, alert::UNKNOWN_CA, 25);
    client_refuses(&["client-auth-only", "int"], Reason::ExtendedKeyUsage, alert::UNSUPPORTED_CERTIFICATE, 27);
    client_refuses(&["critical-ext", "int"], Reason::UnknownCriticalExtension, alert::UNSUPPORTED_CERTIFICATE, 28);
    client_refuses(&one_too_long("server"), Reason::ChainTooLong, alert::UNKNOWN_CA, 29);
    client_refuses(&["client-eui", "int"], Reason::NameMismatch, alert::BAD_CERTIFICATE, 30);
}

#[test]
fn client_refuses_a_bad_signature() {
    // bad-sig.der has no key of its own (server.der's, a byte flipped).
    let c = client(Some("server.example"), None);
    let s = server("server", false);
    let mut l = Lock::new(c, s, XEnv::new(31, &["root"], None), XEnv::new(32, &["root"], Some(&["bad-sig", "int"])));
    l.run();
    l.refused(true, alert::BAD_CERTIFICATE);
    assert_eq!(l.c.x509_peer().refused(), Some(Reason::BadSignature));
}

#[test]
fn server_refuses_bad_client_chains_with_their_alerts() {
    server_refuses(&["client-unknown-root", "other-int"], Reason::UnknownIssuer, alert::UNKNOWN_CA, 40);
    server_refuses(&["client-expired", "int"], Reason::Expired, alert::CERTIFICATE_EXPIRED, 41);
    server_refuses(&["client-noca", "int-noca"], Reason::NotCa, alert::UNKNOWN_CA, 42);
    server_refuses(&["client-server-eku", "int"], Reason::ExtendedKeyUsage, alert::UNSUPPORTED_CERTIFICATE, 43);
    server_refuses(&["client-critical", "int"], Reason::UnknownCriticalExtension, alert::UNSUPPORTED_CERTIFICATE, 44);
    server_refuses(&one_too_long("client"), Reason::ChainTooLong, alert::UNKNOWN_CA, 45);
    server_refuses(&["client-no-eui", "int"], Reason::NoIdentity, alert::CERTIFICATE_UNKNOWN, 46);
}

#[test]
fn server_refuses_a_bad_client_signature() {
    let c = client(Some("server.example"), Some("client-eui"));
    let s = server("server", true);
    let ce = XEnv::new(47, &["root"], Some(&["bad-sig-client", "int"]));
    let mut l = Lock::new(c, s, ce, XEnv::new(48, &["root"], Some(&["server", "int"])));
    l.run();
    l.refused(false, alert::BAD_CERTIFICATE);
    assert_eq!(l.s.x509_peer().refused(), Some(Reason::BadSignature));
}

#[test]
fn expired_chains_are_accepted_when_no_time_is_known() {
    // Client role: the server's expired certificate, no wall clock.
    let mut l = pair(&["expired", "int"], None, 50);
    l.ce.now = None;
    l.run();
    assert!(l.connected(), "{:?}", l.c.last_alert());
    // Server role.
    let mut l = pair(&["server", "int"], Some(&["client-expired", "int"]), 51);
    l.se.now = None;
    l.run();
    assert!(l.connected(), "{:?}", l.s.last_alert());
    assert_eq!(l.s.x509_peer().kind, PEER_EUI64);
}

#[test]
fn the_application_refuses_or_accepts_the_identity() {
    let mut l = pair(&["server", "int"], Some(&["client-eui", "int"]), 60);
    l.se.accept = Some(false);
    l.run();
    l.refused(false, alert::CERTIFICATE_UNKNOWN);
    assert_eq!(l.s.x509_peer().refused(), Some(Reason::Refused));
    let mut l = pair(&["server", "int"], None, 61);
    l.ce.accept = Some(false);
    l.run();
    l.refused(true, alert::CERTIFICATE_UNKNOWN);
    // A server that takes any client identity: a certificate without an
    // EUI-64 validates as "unchecked", and the hook sees it.
    let mut l = pair(&["server", "int"], Some(&["client-no-eui", "int"]), 62);
    l.s.x509_settings_mut().any_client_identity = true;
    l.se.accept = Some(true);
    l.run();
    assert!(l.connected(), "{:?}", l.s.last_alert());
    assert_eq!(l.s.x509_peer().kind, PEER_UNCHECKED);
    assert_eq!(l.se.seen.borrow().as_slice(), &[(None, None)]);
}

#[test]
fn pinning_still_works_without_anchors() {
    // No anchor: the X.509 leaf key is pinned, as before.
    let mut c = client(Some("server.example"), None);
    c.add_trusted_key(&pki("server.der")).unwrap();
    c.test_without_raw_public_keys();
    let s = server("server", false);
    let mut l = Lock::new(c, s, XEnv::new(70, &[], None), XEnv::new(71, &[], Some(&["server", "int"])));
    l.run();
    assert!(l.connected(), "{:?}", l.c.last_alert());
    assert_eq!(l.c.x509_peer(), Default::default());
    // A chain that would not validate is still pinned (no anchors: no validation).
    let mut c = client(Some("other.example"), None);
    c.add_trusted_key(&pki("expired.der")).unwrap();
    c.test_without_raw_public_keys();
    let s = server("expired", false);
    let mut l = Lock::new(c, s, XEnv::new(72, &[], None), XEnv::new(73, &[], Some(&["expired"])));
    l.run();
    assert!(l.connected(), "{:?}", l.c.last_alert());
}

#[test]
fn own_chain_is_sent_whole_and_fragmented_at_a_small_mtu() {
    for mtu in [256u16, 1280] {
        let c = client_mtu(Some("server.example"), Some("client-cn"), mtu);
        let s = server_mtu("server3", true, mtu);
        let ce = XEnv::new(80, &["root"], Some(&["client-cn", "int2", "int1"]));
        let se = XEnv::new(81, &["root"], Some(&["server3", "int2", "int1"]));
        let mut l = Lock::new(c, s, ce, se);
        l.run();
        assert!(l.connected(), "mtu {mtu}: {:?} {:?}", l.c.last_alert(), l.s.last_alert());
        assert!(l.mtu_seen <= usize::from(mtu), "mtu {mtu}: a datagram of {}", l.mtu_seen);
        assert_eq!(l.c.x509_peer().depth, 3);
        assert_eq!(l.s.x509_peer().depth, 3);
    }
}

#[test]
fn a_client_in_certificate_mode_offers_x509_only() {
    // No pinned key: a raw public key could not be verified, so the
    // server (which prefers raw keys) presents its certificate.
    let mut l = pair(&["server", "int"], None, 90);
    l.run();
    assert!(l.connected());
    assert_eq!(l.c.x509_peer().kind, PEER_NAME);
    // With a pinned key as well, both are offered; the server picks its raw key.
    let mut c = client(Some("server.example"), None);
    c.add_trusted_key(&pki("server.der")).unwrap();
    let s = server("server", false);
    let mut l = Lock::new(c, s, XEnv::new(91, &["root"], None), XEnv::new(92, &["root"], Some(&["server", "int"])));
    l.run();
    assert!(l.connected());
    assert_eq!(l.c.x509_peer().kind, 0, "raw public key: pinned, no chain");
}

#[test]
fn an_empty_client_certificate_list_is_refused_with_handshake_failure() {
    // A client with anchors but no key answers CertificateRequest with an
    // empty list: client authentication is required.
    let c = client(Some("server.example"), None);
    let s = server("server", true);
    let mut l = Lock::new(c, s, XEnv::new(100, &["root"], None), XEnv::new(101, &["root"], Some(&["server", "int"])));
    l.run();
    l.refused(false, alert::HANDSHAKE_FAILURE);
    assert_eq!(l.s.x509_peer().refused(), Some(Reason::Empty));
}

#[test]
fn a_malformed_certificate_list_is_a_decode_error() {
    // The server's Certificate with its list length one too long: the
    // framing fails before any validation (decode_error), nothing noted.
    let mut l = pair(&["server", "int"], None, 110);
    let mut forged = None;
    let mut kept = VecDeque::new();
    while let Some((to_server, d)) = l.queue.pop_front() {
        // The server's flight 4 is the first datagram that carries its Certificate.
        let cert_at = if !to_server && forged.is_none() { certificate_body(&d) } else { None };
        if let Some(at) = cert_at {
            let mut d2 = d.clone();
            // The vec24 list length's low byte.
            d2[at + 2] = d2[at + 2].wrapping_add(1);
            forged = Some(d2.clone());
            let _ = l.c.feed(&mut l.ce, 0, &d2);
            kept.extend(l.queue.drain(..));
            break;
        }
        let _ = if to_server { l.s.feed(&mut l.se, 0, &d) } else { l.c.feed(&mut l.ce, 0, &d) };
        l.pump();
    }
    assert!(forged.is_some(), "no Certificate seen");
    assert!(l.c.state().handshaking(), "{:?}", l.c.state());
    assert!(l.c.stats().dropped_rejected > 0 || l.c.stats().dropped_malformed > 0, "{:?}", l.c.stats());
    assert_eq!(l.c.x509_peer(), Default::default(), "a framing error is no chain refusal");
}

/// Where the body of a Certificate message's first fragment starts in a
/// datagram of plaintext records.
fn certificate_body(d: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i + 13 <= d.len() {
        let len = usize::from(u16::from_be_bytes([d[i + 11], d[i + 12]]));
        let body = i + 13;
        let epoch0 = d[i + 3] == 0 && d[i + 4] == 0;
        if d[i] == 22 && epoch0 && len >= 12 + 3 && d[body] == 11 && d[body + 6..body + 9] == [0, 0, 0] {
            return Some(body + 12);
        }
        i = body + len;
    }
    None
}
