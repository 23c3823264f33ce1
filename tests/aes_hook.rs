//! The AES/CCM hook (feature `aes-hook`, src/crypto/hook.rs): engines
//! built on independent implementations (the RustCrypto `ccm` crate as a
//! whole-CCM engine, the `aes` crate as a block engine) give handshakes,
//! records and session tickets byte-identical to the built-in AES, and do
//! all of the AES (their calls are counted); an engine that fails, at any
//! point of a handshake, records or tickets, fails the connection closed
//! with `Error::Crypto` (internal_error), never falls back to the built-in
//! AES and never delivers data.
#![cfg(all(feature = "aes-hook", feature = "tickets"))]

mod common;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};

use common::*;
use nanodtls::crypto::aead::TagLen;
use nanodtls::crypto::hook::{AesEngine, AesHook, HookFailed};
use nanodtls::{Error, State};

/// How an engine does its work.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    /// Whole CCM on the `ccm` crate.
    Ccm,
    /// Blocks on the `aes` crate (the crate's CCM around them).
    Block,
}

/// An engine on independent AES code that counts its operations and
/// fails every operation from the `fail_at`-th on (0: never).
struct Engine {
    kind: Kind,
    ops: AtomicU32,
    fail_at: AtomicU32,
}

impl Engine {
    fn step(&self) -> Result<(), HookFailed> {
        let n = self.ops.fetch_add(1, Ordering::SeqCst) + 1;
        let f = self.fail_at.load(Ordering::SeqCst);
        if f != 0 && n >= f {
            return Err(HookFailed);
        }
        Ok(())
    }
}

fn ccm_seal(tag: TagLen, key: &[u8; 16], nonce: &[u8; 12], aad: &[u8], buf: &mut [u8]) -> Vec<u8> {
    use ccm::aead::consts::{U12, U16, U8};
    use ccm::aead::{AeadInPlace, KeyInit};
    match tag {
        TagLen::Eight => ccm::Ccm::<aes::Aes128, U8, U12>::new(key.into())
            .encrypt_in_place_detached(nonce.into(), aad, buf)
            .unwrap()
            .to_vec(),
        TagLen::Sixteen => ccm::Ccm::<aes::Aes128, U16, U12>::new(key.into())
            .encrypt_in_place_detached(nonce.into(), aad, buf)
            .unwrap()
            .to_vec(),
    }
}

fn ccm_open(tag: TagLen, key: &[u8; 16], nonce: &[u8; 12], aad: &[u8], buf: &mut [u8], t: &[u8]) -> bool {
    use ccm::aead::consts::{U12, U16, U8};
    use ccm::aead::{AeadInPlace, KeyInit};
    match tag {
        TagLen::Eight => ccm::Ccm::<aes::Aes128, U8, U12>::new(key.into())
            .decrypt_in_place_detached(nonce.into(), aad, buf, t.into())
            .is_ok(),
        TagLen::Sixteen => ccm::Ccm::<aes::Aes128, U16, U12>::new(key.into())
            .decrypt_in_place_detached(nonce.into(), aad, buf, t.into())
            .is_ok(),
    }
}

impl AesEngine for Engine {
    fn encrypt_block(&self, key: &[u8; 16], block: &mut [u8; 16]) -> Result<(), HookFailed> {
        use aes::cipher::{BlockEncrypt, KeyInit};
        self.step()?;
        let mut b = aes::Block::from(*block);
        aes::Aes128::new(key.into()).encrypt_block(&mut b);
        block.copy_from_slice(&b);
        Ok(())
    }
    fn seal(
        &self,
        tag: TagLen,
        key: &[u8; 16],
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
        tag_out: &mut [u8],
    ) -> Result<(), HookFailed> {
        if self.kind == Kind::Block {
            return nanodtls::crypto::hook::seal_on_blocks(self, tag, key, nonce, aad, buf, tag_out);
        }
        self.step()?;
        assert_eq!(tag_out.len(), tag.bytes());
        tag_out.copy_from_slice(&ccm_seal(tag, key, nonce, aad, buf));
        Ok(())
    }
    fn open(
        &self,
        tag: TagLen,
        key: &[u8; 16],
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
        tag_in: &[u8],
    ) -> Result<bool, HookFailed> {
        if self.kind == Kind::Block {
            return nanodtls::crypto::hook::open_on_blocks(self, tag, key, nonce, aad, buf, tag_in);
        }
        self.step()?;
        Ok(ccm_open(tag, key, nonce, aad, buf, tag_in))
    }
}

fn engine(kind: Kind, fail_at: u32) -> (&'static Engine, &'static AesHook) {
    let e: &'static Engine =
        Box::leak(Box::new(Engine { kind, ops: AtomicU32::new(0), fail_at: AtomicU32::new(fail_at) }));
    (e, Box::leak(Box::new(AesHook(e))))
}

/// A client and a server (PSK-CCM-8, or PSK-CCM with 16-byte tags; the
/// server issues a ticket), both with `hook` (None: built-in AES), the same
/// seeds every run.
struct Run {
    c: Peer,
    s: Peer,
    ce: TestEnv,
    se: TestEnv,
    queue: VecDeque<(bool, Vec<u8>)>,
    /// Every datagram, in order: (to_server, bytes).
    log: Vec<(bool, Vec<u8>)>,
    /// Errors the calls returned: (client?, error).
    errors: Vec<(bool, Error)>,
}

impl Run {
    fn new(hook: Option<&'static AesHook>, tag16: bool) -> Run {
        let mut cc = client_config();
        let mut sc = server_config();
        cc.tickets = true;
        sc.tickets = true;
        if tag16 {
            cc.suites = [0; nanodtls::config::MAX_SUITES];
            cc.suites[0] = nanodtls::suite::PSK_AES_128_CCM;
        }
        let mut c = psk_client(&cc);
        let mut s = psk_server(&sc);
        c.set_aes_hook(hook);
        s.set_aes_hook(hook);
        let mut r = Run {
            c,
            s,
            ce: TestEnv::new(11),
            se: TestEnv::new(22).with_tickets(0),
            queue: VecDeque::new(),
            log: vec![],
            errors: vec![],
        };
        if let Err(e) = r.c.connect(&mut r.ce, 0) {
            r.errors.push((true, e));
        }
        r.run();
        r
    }
    fn pump(&mut self) {
        let mut buf = [0u8; 2048];
        for client in [true, false] {
            loop {
                let p = if client { &mut self.c } else { &mut self.s };
                match p.poll_datagram(0, &mut buf) {
                    Ok(Some(n)) => self.queue.push_back((client, buf[..n].to_vec())),
                    Ok(None) => break,
                    Err(e) => {
                        self.errors.push((client, e));
                        break;
                    }
                }
            }
        }
    }
    fn run(&mut self) {
        self.pump();
        while let Some((to_server, d)) = self.queue.pop_front() {
            self.log.push((to_server, d.clone()));
            let r = if to_server { self.s.feed(&mut self.se, 0, &d) } else { self.c.feed(&mut self.ce, 0, &d) };
            if let Err(e) = r {
                self.errors.push((!to_server, e));
            }
            self.pump();
        }
    }
    /// Each side writes one 64-byte record to the other, which reads it.
    fn records(&mut self) -> Vec<Vec<u8>> {
        let mut got = vec![];
        for client in [true, false] {
            let p = if client { &mut self.c } else { &mut self.s };
            if let Err(e) = p.write(&[0x5a ^ u8::from(client); 64]) {
                self.errors.push((client, e));
            }
            self.run_tx(client);
            let q = if client { &mut self.s } else { &mut self.c };
            let mut out = [0u8; 128];
            while let Ok(Some(n)) = q.read(&mut out) {
                got.push(out[..n].to_vec());
            }
        }
        got
    }
    fn run_tx(&mut self, client: bool) {
        let p = if client { &mut self.c } else { &mut self.s };
        while let Some(d) = p.tx.pop_front() {
            self.queue.push_back((client, d));
        }
        self.run();
    }
}

#[test]
fn hooked_records_and_tickets_are_byte_identical_to_the_built_in_aes() {
    for tag16 in [false, true] {
        let mut plain = Run::new(None, tag16);
        assert!(plain.c.state() == State::Connected && plain.s.state() == State::Connected);
        assert!(plain.c.ticket_len() > 0, "the server issued a ticket");
        let plain_apps = plain.records();
        assert_eq!(plain_apps.len(), 2);
        for kind in [Kind::Ccm, Kind::Block] {
            let (e, hook) = engine(kind, 0);
            let mut hooked = Run::new(Some(hook), tag16);
            let handshake_ops = e.ops.load(Ordering::SeqCst);
            let apps = hooked.records();
            assert!(hooked.errors.is_empty(), "{kind:?}: {:?}", hooked.errors);
            assert_eq!(apps, plain_apps, "{kind:?}");
            assert_eq!(hooked.log, plain.log, "{kind:?} tag16 {tag16}: datagrams differ");
            // The engine did the AES: Finished both ways (sealed and
            // opened), the ticket, and two records sealed and opened. The
            // crate's CCM on blocks: a call per block.
            let (min_hs, min_rec) = match kind {
                Kind::Ccm => (5, 4),
                Kind::Block => (5 * 4, 4 * 8),
            };
            assert!(handshake_ops >= min_hs, "{kind:?}: {handshake_ops} operations in the handshake");
            assert!(e.ops.load(Ordering::SeqCst) - handshake_ops >= min_rec, "{kind:?}: records not hooked");
        }
    }
}

/// An engine that gives wrong bytes is noticed: the hook really is what
/// protects the records (so the byte-identical test above can fail).
#[test]
fn a_wrong_engine_breaks_the_handshake() {
    struct Wrong;
    impl AesEngine for Wrong {
        fn encrypt_block(&self, key: &[u8; 16], block: &mut [u8; 16]) -> Result<(), HookFailed> {
            let mut k = *key;
            k[0] ^= 1;
            nanodtls::crypto::aes::Aes128::new(&k).encrypt1(block);
            Ok(())
        }
    }
    static WRONG: AesHook = AesHook(&Wrong);
    // Only the server uses the wrong engine: the client's Finished does
    // not authenticate there, so nobody gets to Connected.
    let mut cc = client_config();
    cc.tickets = true;
    let mut sc = server_config();
    sc.tickets = true;
    let mut run = Run {
        c: psk_client(&cc),
        s: psk_server(&sc),
        ce: TestEnv::new(11),
        se: TestEnv::new(22).with_tickets(0),
        queue: VecDeque::new(),
        log: vec![],
        errors: vec![],
    };
    run.s.set_aes_hook(Some(&WRONG));
    run.c.connect(&mut run.ce, 0).unwrap();
    run.run();
    assert_ne!(run.s.state(), State::Connected);
    assert_ne!(run.c.state(), State::Connected);
}

/// Fail the engine at every operation a handshake, its ticket and two
/// records need (both engine kinds, either side): the side whose engine
/// failed ends Failed with `Crypto` and an internal_error alert, nothing
/// fell back to the built-in AES, and no application data was delivered
/// by (or, after the failure, to) it.
#[test]
fn a_failing_engine_fails_the_connection_closed() {
    for kind in [Kind::Ccm, Kind::Block] {
        for client_fails in [true, false] {
            // How many operations a clean run takes on this side.
            let (probe, hook) = engine(kind, 0);
            let mut cc = client_config();
            cc.tickets = true;
            let mut sc = server_config();
            sc.tickets = true;
            let run_with = |hook: &'static AesHook| {
                let mut c = psk_client(&cc);
                let mut s = psk_server(&sc);
                if client_fails {
                    c.set_aes_hook(Some(hook));
                } else {
                    s.set_aes_hook(Some(hook));
                }
                let mut r = Run {
                    c,
                    s,
                    ce: TestEnv::new(11),
                    se: TestEnv::new(22).with_tickets(0),
                    queue: VecDeque::new(),
                    log: vec![],
                    errors: vec![],
                };
                r.c.connect(&mut r.ce, 0).unwrap();
                r.run();
                let apps = r.records();
                (r, apps)
            };
            let (clean, _) = run_with(hook);
            assert!(clean.errors.is_empty());
            let total = probe.ops.load(Ordering::SeqCst);
            assert!(total > 0);
            for fail_at in 1..=total {
                let (e, hook) = engine(kind, fail_at);
                let (r, apps) = run_with(hook);
                let what = format!("{kind:?} client_fails {client_fails} fail_at {fail_at}/{total}");
                let failed = if client_fails { &r.c } else { &r.s };
                assert_eq!(failed.state(), State::Failed, "{what}");
                assert_eq!(failed.failure(), Some(Error::Crypto), "{what}");
                let alert = failed.last_alert();
                assert!(alert.sent && alert.description == 80, "{what}: {alert:?}");
                assert!(
                    r.errors.iter().any(|&(c, err)| c == client_fails && err == Error::Crypto),
                    "{what}: {:?}",
                    r.errors
                );
                // Whatever was delivered came before the failure: at most
                // the records sealed and opened without the engine failing.
                assert!(e.ops.load(Ordering::SeqCst) >= fail_at, "{what}");
                assert!(apps.len() < 2, "{what}: both records went through");
            }
        }
    }
}

/// A second handshake resuming with the ticket of the first: through a
/// hook it resumes (the hook opened the ticket: one operation before any
/// record); with the hook failing on that first operation the server
/// fails closed with `Crypto` instead of quietly doing a full handshake.
#[test]
fn ticket_resumption_through_the_hook_and_a_failing_unseal() {
    for kind in [Kind::Ccm, Kind::Block] {
        for fail in [false, true] {
            let first = Run::new(None, false);
            assert!(first.c.ticket_len() > 0);
            let mut blob = vec![0u8; nanodtls::session::MAX_BLOB];
            let n = first.c.export_session(&mut blob).unwrap();
            let mut cc = client_config();
            cc.tickets = true;
            let mut sc = server_config();
            sc.tickets = true;
            let mut c = psk_client(&cc);
            c.import_session(&blob[..n]).unwrap();
            let (e, hook) = engine(kind, u32::from(fail));
            let mut s = psk_server(&sc);
            s.set_aes_hook(Some(hook));
            let mut r =
                Run { c, s, ce: TestEnv::new(33), se: first.se, queue: VecDeque::new(), log: vec![], errors: vec![] };
            r.c.connect(&mut r.ce, 0).unwrap();
            r.run();
            let what = format!("{kind:?} fail {fail}");
            if fail {
                assert_eq!(e.ops.load(Ordering::SeqCst), 1, "{what}: nothing after the failed unseal");
                assert_eq!(r.s.state(), State::Failed, "{what}");
                assert_eq!(r.s.failure(), Some(Error::Crypto), "{what}");
                assert_eq!(r.s.last_alert().description, 80, "{what}");
                assert_ne!(r.c.state(), State::Connected, "{what}");
            } else {
                assert!(r.errors.is_empty(), "{what}: {:?}", r.errors);
                assert!(r.s.resumed_by_ticket() && r.c.resumed_by_ticket(), "{what}");
                assert!(e.ops.load(Ordering::SeqCst) >= 3, "{what}");
            }
        }
    }
}

/// A server endpoint hands its engine to every peer it starts (and keeps it
/// across Endpoint::init): the peers' records go through the hook, and a
/// failing engine fails that peer closed with `Crypto`.
#[test]
fn an_endpoint_gives_its_engine_to_its_peers() {
    for fail in [false, true] {
        let (e, hook) = engine(Kind::Ccm, 0);
        let mut ep = EndpointParty::new(&server_config(), 2);
        ep.ep.set_aes_hook(Some(hook));
        // Kept across a re-init (a reset endpoint must not fall back).
        ep.ep.init(&server_config(), 0, 10_000).unwrap();
        ep.ep.set_psk(PSK_ID, &PSK).unwrap();
        let mut c = psk_client(&client_config());
        let mut ce = TestEnv::new(5);
        let mut se = TestEnv::new(6);
        let addr = ep.addr.clone();
        c.connect(&mut ce, 0).unwrap();
        let mut errors = vec![];
        let mut buf = [0u8; 2048];
        let mut a = [0u8; 64];
        let mut exchange = |c: &mut Peer, ep: &mut EndpointParty, errors: &mut Vec<Error>| {
            for _ in 0..20 {
                let mut moved = false;
                while let Ok(Some(n)) = c.poll_datagram(0, &mut buf) {
                    moved = true;
                    if let Err(x) = ep.feed_from(&mut se, 0, &addr, &buf[..n]) {
                        errors.push(x);
                    }
                }
                loop {
                    match ep.poll_to(0, &mut buf, &mut a) {
                        Ok(Some((n, _))) => {
                            moved = true;
                            let _ = c.feed(&mut ce, 0, &buf[..n]);
                        }
                        Ok(None) => break,
                        Err(x) => {
                            errors.push(x);
                            break;
                        }
                    }
                }
                if !moved {
                    break;
                }
            }
        };
        exchange(&mut c, &mut ep, &mut errors);
        assert_eq!(c.state(), State::Connected);
        let hs_ops = e.ops.load(Ordering::SeqCst);
        assert!(hs_ops >= 2, "the peer's Finished went through the hook ({hs_ops})");
        if fail {
            e.fail_at.store(hs_ops + 1, Ordering::SeqCst);
        }
        c.write(b"to the endpoint").unwrap();
        exchange(&mut c, &mut ep, &mut errors);
        let mut out = [0u8; 64];
        let got = ep.read_any(&mut out, &mut a).unwrap();
        let peer = ep.ep.peer(&ep.slots, &addr).unwrap();
        if fail {
            assert_eq!(got, None, "nothing delivered");
            assert_eq!(peer.state(), State::Failed);
            assert_eq!(peer.failure(), Some(Error::Crypto));
            assert!(errors.contains(&Error::Crypto), "{errors:?}");
        } else {
            assert_eq!(got.map(|(n, _)| n), Some(15));
            assert_eq!(&out[..15], b"to the endpoint");
            assert_eq!(peer.state(), State::Connected);
            assert!(e.ops.load(Ordering::SeqCst) > hs_ops, "the record was opened by the hook");
        }
    }
}
