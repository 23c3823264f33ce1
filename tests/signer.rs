#![cfg(feature = "ecc")]
//! Our ECDSA key kept outside the library (a secure element): the public
//! key is set with `set_own_public_key`, every signature comes from
//! `Env::sign_hash`. Both roles (ServerKeyExchange, CertificateVerify),
//! one call per signature; a signer that fails or returns junk fails the
//! handshake closed (internal_error, Error::Signer) at once; a
//! signature by another key is refused by the peer; no signer at all is
//! NoCredentials; the configuration calls check their input and state.

mod common;

use common::*;
use nanodtls::alert;
use nanodtls::crypto::ecc;
use nanodtls::{suite, AlertInfo, Env, Error, State};

const CCM8: u16 = suite::ECDHE_ECDSA_AES_128_CCM_8;

/// What the test signer does.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    /// Sign with test_key(n) (the key whose SPKI was configured, or not).
    Key(u8),
    /// Report an error.
    Fail,
    /// Return this many bytes of a good signature (truncated DER).
    Truncate(usize),
    /// Return a DER signature with r = 0.
    ZeroR,
    /// Claim a length larger than the buffer.
    TooLong,
    /// No signer (the default of Env).
    None,
}

/// TestEnv with a signer standing in for a secure element.
struct SeEnv {
    env: TestEnv,
    mode: Mode,
    calls: u32,
}

impl Env for SeEnv {
    fn random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        self.env.random(buf)
    }
    fn verify_peer_key(&mut self, spki: &[u8]) -> Option<bool> {
        self.env.verify_peer_key(spki)
    }
    fn sign_hash(&mut self, hash: &[u8; 32], out: &mut [u8]) -> Result<usize, Error> {
        self.calls += 1;
        match self.mode {
            Mode::Key(k) => ecc::sign(&test_key(k), hash, out),
            Mode::Fail => Err(Error::Internal),
            Mode::Truncate(m) => {
                let mut sig = [0u8; 72];
                ecc::sign(&test_key(3), hash, &mut sig).unwrap();
                out[..m].copy_from_slice(&sig[..m]);
                Ok(m)
            }
            Mode::ZeroR => {
                let z = [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01];
                out[..z.len()].copy_from_slice(&z);
                Ok(z.len())
            }
            Mode::TooLong => Ok(out.len() + 1),
            Mode::None => Err(Error::NoCredentials),
        }
    }
}

fn se(seed: u64, mode: Mode) -> SeEnv {
    SeEnv { env: TestEnv::new(seed), mode, calls: 0 }
}

/// Run a lossless exchange between a client and a server until nothing
/// moves; returns the first error each side's feed reported.
fn run(c: &mut Peer, s: &mut Peer, ce: &mut SeEnv, sv: &mut SeEnv) -> (Option<Error>, Option<Error>) {
    let mut buf = [0u8; 2048];
    let (mut ec, mut es) = (None, None);
    c.connect(ce, 0).unwrap();
    for _ in 0..20 {
        let mut any = false;
        while let Ok(Some(n)) = c.poll_with(&CertEnv(None), 0, &mut buf) {
            if let Err(e) = s.feed(sv, 0, &buf[..n]) {
                es.get_or_insert(e);
            }
            any = true;
        }
        while let Ok(Some(n)) = s.poll_with(&CertEnv(None), 0, &mut buf) {
            if let Err(e) = c.feed(ce, 0, &buf[..n]) {
                ec.get_or_insert(e);
            }
            any = true;
        }
        if !any {
            break;
        }
    }
    (ec, es)
}

/// A server whose key 3 is in the "secure element", and a client trusting it.
fn server_pair(client_auth: bool) -> (Peer, Peer) {
    let mut s = ecc_server(1, &[2], client_auth);
    s.set_own_public_key(&test_spki(3)).unwrap();
    let c = ecc_client(if client_auth { Some(2) } else { None }, &[3], CCM8);
    (c, s)
}

#[test]
fn server_signs_server_key_exchange_through_the_signer() {
    let (mut c, mut s) = server_pair(false);
    assert_eq!(s.own_spki().unwrap().to_vec(), test_spki(3), "the configured public key is ours");
    let (mut ce, mut sv) = (se(1, Mode::None), se(2, Mode::Key(3)));
    assert_eq!(run(&mut c, &mut s, &mut ce, &mut sv), (None, None));
    assert_eq!((c.state(), s.state()), (State::Connected, State::Connected));
    assert_eq!(sv.calls, 1, "one signature: ServerKeyExchange");
    assert_eq!(ce.calls, 0);
    assert_eq!(c.peer_key_hash().unwrap(), nanodtls::crypto::sha256::sha256(&[&test_spki(3)]));
}

#[test]
fn client_signs_certificate_verify_through_the_signer() {
    let mut s = ecc_server(1, &[3], true);
    let mut c = ecc_client(None, &[1], CCM8);
    c.set_own_public_key(&test_spki(3)).unwrap();
    let (mut ce, mut sv) = (se(3, Mode::Key(3)), se(4, Mode::None));
    assert_eq!(run(&mut c, &mut s, &mut ce, &mut sv), (None, None));
    assert_eq!((c.state(), s.state()), (State::Connected, State::Connected));
    assert_eq!(ce.calls, 1, "one signature: CertificateVerify");
    assert_eq!(s.peer_key_hash().unwrap(), nanodtls::crypto::sha256::sha256(&[&test_spki(3)]));
}

#[test]
fn both_roles_with_signers() {
    let mut s = ecc_server(1, &[4], true);
    s.set_own_public_key(&test_spki(3)).unwrap();
    let mut c = ecc_client(None, &[3], CCM8);
    c.set_own_public_key(&test_spki(4)).unwrap();
    let (mut ce, mut sv) = (se(5, Mode::Key(4)), se(6, Mode::Key(3)));
    assert_eq!(run(&mut c, &mut s, &mut ce, &mut sv), (None, None));
    assert_eq!((c.state(), s.state()), (State::Connected, State::Connected));
    assert_eq!((ce.calls, sv.calls), (1, 1));
}

/// The server's signer misbehaves in `mode`: the server fails at once with
/// `want`, sends internal_error, and the client sees it.
fn server_signer_fails(mode: Mode, want: Error) {
    let (mut c, mut s) = server_pair(false);
    let (mut ce, mut sv) = (se(7, Mode::None), se(8, mode));
    let (_, es) = run(&mut c, &mut s, &mut ce, &mut sv);
    assert_eq!(es, Some(want), "{mode:?}");
    assert_eq!(s.state(), State::Failed);
    assert_eq!(s.failure(), Some(want));
    assert_eq!(s.last_alert(), AlertInfo { level: alert::FATAL, description: alert::INTERNAL_ERROR, sent: true });
    assert_eq!(c.last_alert().description, alert::INTERNAL_ERROR, "the client got the alert");
    assert_ne!(c.state(), State::Connected);
    assert_eq!(sv.calls, 1, "no retry, no fallback");
}

#[test]
fn a_failing_signer_fails_the_server_closed() {
    server_signer_fails(Mode::Fail, Error::Signer);
}

#[test]
fn a_malformed_signature_fails_the_server_closed() {
    server_signer_fails(Mode::Truncate(10), Error::Signer);
    server_signer_fails(Mode::Truncate(0), Error::Signer);
    server_signer_fails(Mode::ZeroR, Error::Signer);
    server_signer_fails(Mode::TooLong, Error::Signer);
}

#[test]
fn no_signer_is_no_credentials() {
    server_signer_fails(Mode::None, Error::NoCredentials);
}

#[test]
fn a_failing_client_signer_fails_the_client_closed() {
    let mut s = ecc_server(1, &[3], true);
    let mut c = ecc_client(None, &[1], CCM8);
    c.set_own_public_key(&test_spki(3)).unwrap();
    let (mut ce, mut sv) = (se(9, Mode::Fail), se(10, Mode::None));
    let (ec, _) = run(&mut c, &mut s, &mut ce, &mut sv);
    assert_eq!(ec, Some(Error::Signer));
    assert_eq!(c.state(), State::Failed);
    assert_eq!(c.last_alert(), AlertInfo { level: alert::FATAL, description: alert::INTERNAL_ERROR, sent: true });
    assert_eq!(ce.calls, 1);
    assert_ne!(s.state(), State::Connected);
}

#[test]
fn a_signature_by_another_key_is_refused_by_the_peer() {
    // The secure element holds key 4, but the SPKI of key 3 was configured.
    let (mut c, mut s) = server_pair(false);
    let (mut ce, mut sv) = (se(11, Mode::None), se(12, Mode::Key(4)));
    run(&mut c, &mut s, &mut ce, &mut sv);
    assert_ne!(c.state(), State::Connected);
    assert_ne!(s.state(), State::Connected);
    // The client: the server's signature does not verify.
    let t = u64::from(client_config().handshake_timeout_ms);
    let _ = c.handle_timeout(t);
    assert_eq!(c.last_alert().description, alert::DECRYPT_ERROR);
}

#[test]
fn configuration_is_checked() {
    let mut c = ecc_client(None, &[3], CCM8);
    assert_eq!(c.set_own_public_key(&test_spki(3)[..90]), Err(Error::InvalidArgument));
    let mut bad = test_spki(3);
    bad[90] ^= 1; // not on the curve
    assert_eq!(c.set_own_public_key(&bad), Err(Error::InvalidArgument));
    assert_eq!(c.set_own_public_key(&test_key(3)), Err(Error::InvalidArgument), "a private key is not an SPKI");
    assert_eq!(c.own_spki(), None, "nothing set");
    // A scalar set before is replaced: the SPKI is the signer's.
    c.set_own_key(&test_key(1)).unwrap();
    c.set_own_public_key(&test_spki(3)).unwrap();
    assert_eq!(c.own_spki().unwrap().to_vec(), test_spki(3));
    // ... and set_own_key replaces the signer's key again.
    c.set_own_key(&test_key(2)).unwrap();
    assert_eq!(c.own_spki().unwrap().to_vec(), test_spki(2));
    let mut ce = se(13, Mode::None);
    c.connect(&mut ce, 0).unwrap();
    assert_eq!(c.set_own_public_key(&test_spki(3)), Err(Error::WrongState));
}

#[test]
fn external_signature_forms() {
    let mut der = [0u8; 72];
    let n = ecc::sign(&test_key(3), &[7; 32], &mut der).unwrap();
    let (r, s) = ecc::parse_der_signature(&der[..n]).unwrap();
    let mut out = [0u8; 72];
    // DER in, the same DER out; raw r || s in, the same DER out.
    assert_eq!(ecc::external_signature(&der[..n], false, &mut out), Ok(n));
    assert_eq!(&out[..n], &der[..n]);
    let raw = [r, s].concat();
    out = [0; 72];
    assert_eq!(ecc::external_signature(&raw, true, &mut out), Ok(n));
    assert_eq!(&out[..n], &der[..n]);
    // Raw of the wrong length, zero or out-of-range scalars, DER junk.
    assert!(ecc::external_signature(&raw[..63], true, &mut out).is_err());
    assert!(ecc::external_signature(&[raw.clone(), vec![0]].concat(), true, &mut out).is_err());
    assert!(ecc::external_signature(&[[0u8; 32], s].concat(), true, &mut out).is_err());
    assert!(ecc::external_signature(&[r, [0xff; 32]].concat(), true, &mut out).is_err(), "s >= n");
    assert!(ecc::external_signature(&raw, false, &mut out).is_err(), "raw is not DER");
    assert!(ecc::external_signature(&der[..n - 1], false, &mut out).is_err());
}

/// Run `c` against the endpoint peer at `addr` until nothing moves.
fn run_ep(c: &mut Peer, ce: &mut SeEnv, ep: &mut EndpointParty, sv: &mut SeEnv, addr: &[u8]) {
    let mut buf = [0u8; 2048];
    let mut a = [0u8; 64];
    c.connect(ce, 0).unwrap();
    for _ in 0..20 {
        let mut any = false;
        while let Ok(Some(n)) = c.poll_with(&CertEnv(None), 0, &mut buf) {
            let _ = ep.feed_from(sv, 0, addr, &buf[..n]);
            any = true;
        }
        while let Ok(Some((n, al))) = ep.poll_to(0, &mut buf, &mut a) {
            if &a[..al] == addr {
                let _ = c.feed(ce, 0, &buf[..n]);
            }
            any = true;
        }
        if !any {
            break;
        }
    }
}

#[test]
fn an_endpoint_signer_failure_ends_only_that_peers_handshake() {
    let mut ep = EndpointParty::new(&server_config(), 3);
    ep.ep.set_own_public_key(&test_spki(3)).unwrap();
    let mut sv = se(20, Mode::Key(3));
    let (a1, a2, a3) = (&b"10.0.0.1:1"[..], &b"10.0.0.2:2"[..], &b"10.0.0.3:3"[..]);
    let mut c1 = ecc_client(None, &[3], CCM8);
    let mut ce1 = se(21, Mode::None);
    run_ep(&mut c1, &mut ce1, &mut ep, &mut sv, a1);
    assert_eq!(c1.state(), State::Connected);
    assert_eq!(ep.ep.peer(&ep.slots, a1).map(|p| p.state()), Some(State::Connected));
    // The element fails for the second client only.
    sv.mode = Mode::Fail;
    let mut c2 = ecc_client(None, &[3], CCM8);
    let mut ce2 = se(22, Mode::None);
    run_ep(&mut c2, &mut ce2, &mut ep, &mut sv, a2);
    assert_ne!(c2.state(), State::Connected);
    assert_eq!(c2.last_alert().description, alert::INTERNAL_ERROR);
    if let Some(p) = ep.ep.peer(&ep.slots, a2) {
        assert_eq!(p.failure(), Some(Error::Signer));
    }
    // The first peer goes on; a third one connects once the element works again.
    sv.mode = Mode::Key(3);
    let mut c3 = ecc_client(None, &[3], CCM8);
    let mut ce3 = se(23, Mode::None);
    run_ep(&mut c3, &mut ce3, &mut ep, &mut sv, a3);
    assert_eq!(c3.state(), State::Connected);
    assert_eq!(sv.calls, 3);
    c1.write(b"still here").unwrap();
    let mut buf = [0u8; 256];
    let n = c1.poll_with(&CertEnv(None), 0, &mut buf).unwrap().unwrap();
    ep.feed_from(&mut sv, 0, a1, &buf[..n]).unwrap();
    let mut addr = [0u8; 64];
    let (m, _) = ep.read_any(&mut buf, &mut addr).unwrap().unwrap();
    assert_eq!(&buf[..m], b"still here");
}
