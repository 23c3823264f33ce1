//! The trusted-third-party modes in whole handshakes (docs/ttp.md):
//! DerivedKey clients (ordinary PSK clients with a nonce and a derived key)
//! against a server that holds only trust anchors, in a single connection
//! and in the endpoint: fresh, replayed, left of the window, revoked,
//! reset, export/import across a restart, concurrent handshakes with one
//! nonce, unknown trust anchors and malformed nonces.
#![cfg(feature = "derived-key")]

mod common;

use common::*;
use nanodtls::alert;
use nanodtls::auth::derived_key::{derive, write_nonce};
use nanodtls::auth::ta::TtpStats;
use nanodtls::auth::TTP_DERIVED_KEY;
use nanodtls::{Config, Connection, Endpoint, PeerSlot, State};
use zerocopy::FromZeros;

const TA: &[u8] = b"ta1";
const TA_KEY: [u8; 32] = [0x5a; 32];

fn nonce(client: &[u8], seq: u32) -> Vec<u8> {
    let mut buf = [0u8; 256];
    let n = write_nonce(TA, client, seq, &mut buf).unwrap();
    buf[..n].to_vec()
}

/// An ordinary PSK client with the TA's nonce and derived key (16 bytes).
fn dk_client(client: &[u8], seq: u32, ta_key: &[u8]) -> Peer {
    let n = nonce(client, seq);
    let k = derive(ta_key, &n);
    let mut c = new_conn(&client_config());
    c.set_psk(&n, &k[..16]).unwrap();
    c
}

fn server_cfg() -> Config {
    let mut cfg = server_config();
    cfg.handshake_timeout_ms = 20_000;
    cfg
}

/// A server that holds trust anchor ta1 and no PSK.
fn ta_server() -> Peer {
    let mut s = new_conn(&server_cfg());
    s.trust_anchors_mut().add(TA, &TA_KEY, 16).unwrap();
    s
}

fn stats(s: &Connection) -> TtpStats {
    s.credentials().ta.stats()
}

/// Run a handshake; on refusal, run on to the server's deadline. Returns
/// the server connection and whether the handshake completed.
fn run(client: Peer, server: Peer, seed: u64) -> (Peer, bool) {
    let mut sim = Sim::new(client, server, Link { latency_ms: 5, ..Link::default() }, seed);
    let ok = sim.handshake(60_000);
    if !ok {
        sim.run_for(60_000);
    }
    (sim.server, ok)
}

/// A refused DerivedKey client: the server ends with decrypt_error (the
/// alert of an unknown PSK identity) at its deadline.
fn assert_refused(s: &Connection, what: &str) {
    assert_eq!(s.state(), State::Failed, "{what}");
    let a = s.last_alert();
    assert!(a.sent && a.description == alert::DECRYPT_ERROR, "{what}: {a:?}");
    assert!(s.trust_anchor_peer().is_none(), "{what}");
}

#[test]
fn fresh_nonce_gets_in_with_16_and_32_byte_keys_and_the_peer_is_known() {
    let (s, ok) = run(dk_client(b"sensor-42", 7, &TA_KEY), ta_server(), 1);
    assert!(ok);
    let p = s.trust_anchor_peer().unwrap();
    assert_eq!((p.mode, p.ta_id, p.client_id, p.seq), (TTP_DERIVED_KEY, TA, &b"sensor-42"[..], 7));
    assert_eq!(s.psk_identity(), &nonce(b"sensor-42", 7)[..]);
    let st = stats(&s);
    assert_eq!((st.derived, st.accepted), (1, 1));
    // A 32-byte key anchor; a client id with '.' and binary bytes.
    let mut srv = new_conn(&server_cfg());
    srv.trust_anchors_mut().add(b"big", &[3; 16], 32).unwrap();
    let mut buf = [0u8; 64];
    let id = b"\x00a.b\xff";
    let n = write_nonce(b"big", id, 0, &mut buf).unwrap();
    let mut c = new_conn(&client_config());
    c.set_psk(&buf[..n], &derive(&[3; 16], &buf[..n])[..]).unwrap();
    let (s, ok) = run(c, srv, 2);
    assert!(ok);
    let p = s.trust_anchor_peer().unwrap();
    assert_eq!((p.ta_id, p.client_id, p.seq), (&b"big"[..], &id[..], 0));
}

#[test]
fn a_nonce_gets_in_once_and_never_twice() {
    let (s, ok) = run(dk_client(b"c", 5, &TA_KEY), ta_server(), 3);
    assert!(ok);
    // A connection serves one handshake: the next client meets a new
    // server connection that carries the first one's window over.
    let mut blob = [0u8; 256];
    let n = s.credentials().ta.export(TA, &mut blob).unwrap();
    let mut again = ta_server();
    again.trust_anchors_mut().import(&blob[..n]).unwrap();
    let (s2, ok) = run(dk_client(b"c", 5, &TA_KEY), again, 4);
    assert!(!ok, "the same nonce again");
    assert_refused(&s2, "replayed nonce");
    let st = stats(&s2);
    // Counted per refused ClientKeyExchange (the client retransmits its flight).
    assert!(st.refused_replayed >= 1, "{st:?}");
    assert_eq!((st.derived, st.accepted), (0, 0), "refused before any key is derived");
    assert!(s2.stats().dropped_rejected >= 1, "the ClientKeyExchange was discarded in epoch 0");
    // The same seq with another client id is the same seq: refused too.
    let mut third = ta_server();
    third.trust_anchors_mut().import(&blob[..n]).unwrap();
    let (s3, ok) = run(dk_client(b"other", 5, &TA_KEY), third, 5);
    assert!(!ok);
    assert_refused(&s3, "same seq, other client id");
    // A new seq is fine.
    let mut fourth = ta_server();
    fourth.trust_anchors_mut().import(&blob[..n]).unwrap();
    let (s4, ok) = run(dk_client(b"c", 6, &TA_KEY), fourth, 6);
    assert!(ok);
    assert_eq!(s4.trust_anchor_peer().unwrap().seq, 6);
}

#[test]
fn left_of_the_window_revoked_and_reset() {
    let w = nanodtls::sizes::NANODTLS_TA_WINDOW as u32;
    // Left of the window.
    let mut s = ta_server();
    s.trust_anchors_mut().revoke(TA, 1000).unwrap();
    let (s, ok) = run(dk_client(b"c", 1000 - w, &TA_KEY), s, 10);
    assert!(!ok);
    assert_refused(&s, "left of the window");
    assert!(stats(&s).refused_too_old >= 1);
    assert_eq!(stats(&s).refused_replayed, 0);
    // Inside the window and unused: fine.
    let mut s = ta_server();
    s.trust_anchors_mut().revoke(TA, 1000).unwrap();
    let (_, ok) = run(dk_client(b"c", 1000 - w + 1, &TA_KEY), s, 11);
    assert!(ok);
    // Revoked.
    let mut s = ta_server();
    s.trust_anchors_mut().revoke(TA, 42).unwrap();
    let (s, ok) = run(dk_client(b"c", 42, &TA_KEY), s, 12);
    assert!(!ok);
    assert_refused(&s, "revoked");
    assert!(stats(&s).refused_replayed >= 1);
    assert_eq!(stats(&s).refused_too_old, 0);
    // Reset: a new key, the window empty: seq 42 with the new key gets in,
    // with the old key it does not.
    let mut s = ta_server();
    s.trust_anchors_mut().revoke(TA, 42).unwrap();
    s.trust_anchors_mut().reset(TA, &[0x77; 32]).unwrap();
    let (_, ok) = run(dk_client(b"c", 42, &[0x77; 32]), s, 13);
    assert!(ok, "new key after reset");
    let mut s = ta_server();
    s.trust_anchors_mut().reset(TA, &[0x77; 32]).unwrap();
    let (s, ok) = run(dk_client(b"c", 43, &TA_KEY), s, 14);
    assert!(!ok, "old key after reset");
    // A wrong key shows as a Finished that does not verify; the window
    // does not move.
    assert_eq!(s.state(), State::Failed);
    assert_eq!(s.credentials().ta.is_fresh(TA, 43), Some(true));
    assert_eq!(stats(&s).accepted, 0);
}

#[test]
fn export_import_across_a_restart_never_reopens() {
    let mut s = ta_server();
    let (s0, ok) = run(dk_client(b"c", 100, &TA_KEY), std::mem::replace(&mut s, ta_server()), 20);
    assert!(ok);
    let mut blob = [0u8; nanodtls::sizes::NANODTLS_TA_STATE_MAX];
    let n = s0.credentials().ta.export(TA, &mut blob).unwrap();
    drop(s0);
    // "Reboot": a fresh server with the same anchor, then the saved window.
    let mut r = ta_server();
    r.trust_anchors_mut().import(&blob[..n]).unwrap();
    let (r, ok) = run(dk_client(b"c", 100, &TA_KEY), r, 21);
    assert!(!ok, "used before the restart");
    assert_refused(&r, "replay across a restart");
    let mut r = ta_server();
    r.trust_anchors_mut().import(&blob[..n]).unwrap();
    let (_, ok) = run(dk_client(b"c", 99, &TA_KEY), r, 22);
    assert!(ok, "an unused seq below the top, inside the window");
    // Without the import, the replay would have got in: the window is the
    // only memory of the nonce.
    let (_, ok) = run(dk_client(b"c", 100, &TA_KEY), ta_server(), 23);
    assert!(ok);
}

#[test]
fn unknown_anchor_and_malformed_nonces_answer_decrypt_error_with_distinct_counters() {
    for (seed, identity, counter) in [
        (30u64, &b"DK.ta9.c.1"[..], "unknown_ta"),
        (31, b"DK.ta1.c.01", "malformed"),
        (32, b"DK.ta1.c", "malformed"),
        (33, b"DK.ta1.c.4294967296", "malformed"),
    ] {
        let mut c = new_conn(&client_config());
        c.set_psk(identity, &[1; 16]).unwrap();
        let (s, ok) = run(c, ta_server(), seed);
        assert!(!ok);
        assert_refused(&s, counter);
        let st = stats(&s);
        let got = match counter {
            "unknown_ta" => st.refused_unknown_ta,
            _ => st.refused_malformed,
        };
        // Once per refused ClientKeyExchange (the client retransmits).
        assert!(got >= 1, "{:?}: {st:?}", String::from_utf8_lossy(identity));
        assert_eq!(st.refused_unknown_ta + st.refused_malformed, got, "{st:?}");
        assert_eq!((st.derived, st.refused_replayed, st.refused_too_old), (0, 0, 0));
    }
    // The same alert as a plain unknown PSK identity.
    let mut s = ta_server();
    s.set_psk(b"client1", &PSK).unwrap();
    let mut c = new_conn(&client_config());
    c.set_psk(b"nobody", &PSK).unwrap();
    let (s, ok) = run(c, s, 34);
    assert!(!ok);
    assert_refused(&s, "plain unknown identity");
}

#[test]
fn plain_psk_still_works_beside_trust_anchors_and_dk_identities_without_anchors_are_plain() {
    let mut s = ta_server();
    s.set_psk(PSK_ID, &PSK).unwrap();
    let (s, ok) = run(psk_client(&client_config()), s, 40);
    assert!(ok);
    assert!(s.trust_anchor_peer().is_none());
    // No trust anchor configured: "DK." identities are ordinary PSK
    // identities (configured PSK or lookup).
    let mut s = new_conn(&server_cfg());
    s.set_psk(b"DK.ta1.c.1", &PSK).unwrap();
    let mut c = new_conn(&client_config());
    c.set_psk(b"DK.ta1.c.1", &PSK).unwrap();
    let (s, ok) = run(c, s, 41);
    assert!(ok);
    assert!(s.trust_anchor_peer().is_none());
    // With an anchor, a "DK." identity is DerivedKey's alone: the
    // configured PSK of the same identity is not used.
    let mut s = ta_server();
    s.set_psk(b"DK.ta1.c.1", &PSK).unwrap();
    let mut c = new_conn(&client_config());
    c.set_psk(b"DK.ta1.c.1", &PSK).unwrap();
    let (_, ok) = run(c, s, 42);
    assert!(!ok);
}

/// A DerivedKey credential is good for one handshake: its session is not
/// put into the server's cache, so it cannot be resumed either.
#[test]
fn derived_key_sessions_are_not_cached_for_resumption() {
    let link = Link { latency_ms: 5, ..Link::default() };
    let mut sim = Sim::new(dk_client(b"c", 1, &TA_KEY), ta_server(), link, 50);
    sim.senv = TestEnv::new(51).with_cache(4);
    assert!(sim.handshake(10_000));
    assert!(sim.client.has_session(), "the server issued a session ID");
    let mut blob = [0u8; nanodtls::sizes::NANODTLS_SESSION_BLOB_MAX];
    let n = sim.client.export_session(&mut blob).unwrap();
    let mut w = [0u8; 256];
    let wl = sim.server.credentials().ta.export(TA, &mut w).unwrap();
    // The client comes back with the session to a server with the same
    // cache (the environment) and window: a full handshake with the used
    // nonce follows, refused.
    let mut c = dk_client(b"c", 1, &TA_KEY);
    c.import_session(&blob[..n]).unwrap();
    let mut s = ta_server();
    s.trust_anchors_mut().import(&w[..wl]).unwrap();
    let mut sim2 = Sim::new(c, s, link, 52);
    sim2.senv = std::mem::replace(&mut sim.senv, TestEnv::new(0));
    assert!(!sim2.handshake(60_000));
    assert_eq!(sim2.server.stats().resumptions, 0);
    // A plain PSK session in the same setup is resumed (the cache works).
    let mut s = ta_server();
    s.set_psk(PSK_ID, &PSK).unwrap();
    let mut sim3 = Sim::new(psk_client(&client_config()), s, link, 53);
    sim3.senv = TestEnv::new(54).with_cache(4);
    assert!(sim3.handshake(10_000));
    let n = sim3.client.export_session(&mut blob).unwrap();
    let mut c = psk_client(&client_config());
    c.import_session(&blob[..n]).unwrap();
    let mut s = ta_server();
    s.set_psk(PSK_ID, &PSK).unwrap();
    let mut sim4 = Sim::new(c, s, link, 55);
    sim4.senv = std::mem::replace(&mut sim3.senv, TestEnv::new(0));
    assert!(sim4.handshake(10_000));
    assert_eq!(sim4.server.stats().resumptions, 1);
}

/// Split a datagram into its records (each becomes a datagram of its own).
fn records(d: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 13 <= d.len() {
        let len = usize::from(u16::from_be_bytes([d[at + 11], d[at + 12]]));
        out.push(d[at..at + 13 + len].to_vec());
        at += 13 + len;
    }
    out
}

/// Feed one datagram from `addr` to the endpoint (records opened in place
/// in a copy), all of it.
fn ep_feed(
    ep: &mut Endpoint,
    slots: &mut [PeerSlot],
    env: &mut TestEnv,
    addr: &[u8],
    d: &[u8],
) -> Result<(), nanodtls::Error> {
    feed_all(d, |b| ep.feed(slots, env, 0, addr, b)).map(|_| ())
}

/// Two clients with the same nonce on one endpoint, interleaved so that
/// both ClientKeyExchanges pass the window check before either Finished
/// arrives: exactly one gets in, the other is refused when its handshake
/// would complete (decrypt_error at once: its Finished is authenticated).
#[test]
fn concurrent_handshakes_with_one_nonce_in_the_endpoint_only_one_succeeds() {
    let mut ep = Endpoint::new_box_zeroed().unwrap();
    ep.init(&server_cfg(), 0, 10_000).unwrap();
    ep.credentials_mut().ta.add(TA, &TA_KEY, 16).unwrap();
    let mut slots: Vec<PeerSlot> = (0..4).map(|_| *PeerSlot::new_box_zeroed().unwrap()).collect();
    let mut senv = TestEnv::new(60);
    let addrs: [&[u8]; 2] = [b"10.0.0.1:1", b"10.0.0.2:1"];
    let mut clients = [dk_client(b"c", 9, &TA_KEY), dk_client(b"c", 9, &TA_KEY)];
    let mut envs = [TestEnv::new(61), TestEnv::new(62)];
    for (c, e) in clients.iter_mut().zip(envs.iter_mut()) {
        c.connect(e, 0).unwrap();
    }
    let mut buf = [0u8; 1500];
    let mut addr = [0u8; 64];
    // Run both up to their flight 5 (ClientKeyExchange, CCS, Finished),
    // holding that flight back.
    let mut held: [Vec<Vec<u8>>; 2] = [vec![], vec![]];
    for _ in 0..10 {
        for i in 0..2 {
            while let Some(n) = clients[i].poll_datagram(0, &mut buf).unwrap() {
                if clients[i].state() == State::ClientWaitCcs {
                    held[i].extend(records(&buf[..n]));
                } else {
                    ep_feed(&mut ep, &mut slots, &mut senv, addrs[i], &buf[..n]).unwrap();
                }
            }
        }
        while let Some((n, al)) = ep.poll_datagram(&mut slots, &CertEnv(None), 0, &mut buf, &mut addr).unwrap() {
            let i = addrs.iter().position(|a| a[..] == addr[..al]).unwrap();
            clients[i].feed(&mut envs[i], 0, &buf[..n]).unwrap();
        }
    }
    assert!(held.iter().all(|h| h.len() == 3), "ClientKeyExchange, CCS and Finished held: {held:?}");
    // Both ClientKeyExchanges first: both pass the window check.
    for i in 0..2 {
        ep_feed(&mut ep, &mut slots, &mut senv, addrs[i], &held[i][0]).unwrap();
    }
    assert_eq!(ep.credentials().ta.stats().derived, 2);
    // Then both CCS + Finished.
    for i in 0..2 {
        for r in &held[i][1..] {
            let _ = ep_feed(&mut ep, &mut slots, &mut senv, addrs[i], r);
        }
    }
    let states: Vec<State> = addrs.iter().map(|a| ep.peer(&slots, a).unwrap().state()).collect();
    assert_eq!(states, [State::Connected, State::Failed]);
    let loser = ep.peer(&slots, addrs[1]).unwrap();
    assert_eq!(loser.last_alert().description, alert::DECRYPT_ERROR);
    assert!(loser.last_alert().sent);
    assert!(loser.trust_anchor_peer().is_none());
    assert_eq!(ep.peer(&slots, addrs[0]).unwrap().trust_anchor_peer().unwrap().seq, 9);
    let st = ep.credentials().ta.stats();
    assert_eq!((st.accepted, st.refused_at_commit), (1, 1));
    // And a third client with that nonce later is refused at once by the window.
    let mut late = dk_client(b"c", 9, &TA_KEY);
    let mut le = TestEnv::new(63);
    late.connect(&mut le, 0).unwrap();
    for _ in 0..6 {
        while let Some(n) = late.poll_datagram(0, &mut buf).unwrap() {
            ep_feed(&mut ep, &mut slots, &mut senv, b"10.0.0.3:1", &buf[..n]).unwrap();
        }
        while let Some((n, al)) = ep.poll_datagram(&mut slots, &CertEnv(None), 0, &mut buf, &mut addr).unwrap() {
            if &addr[..al] == b"10.0.0.3:1" {
                late.feed(&mut le, 0, &buf[..n]).unwrap();
            }
        }
    }
    assert_ne!(late.state(), State::Connected);
    assert_eq!(ep.credentials().ta.stats().refused_replayed, 1);
}

/// A reset of the trust anchor while a handshake is under way: the
/// handshake (checked against the old key) is refused when it completes.
#[test]
fn reset_during_a_handshake_is_refused_at_commit() {
    let mut c = dk_client(b"c", 3, &TA_KEY);
    let mut s = ta_server();
    let (mut ce, mut se) = (TestEnv::new(70), TestEnv::new(71));
    c.connect(&mut ce, 0).unwrap();
    let mut buf = [0u8; 1500];
    let mut held = vec![];
    for _ in 0..6 {
        while let Some(n) = c.poll_datagram(0, &mut buf).unwrap() {
            if c.state() == State::ClientWaitCcs {
                held.extend(records(&buf[..n]));
            } else {
                s.feed(&mut se, 0, &buf[..n]).unwrap();
            }
        }
        while let Some(n) = s.poll_datagram(0, &mut buf).unwrap() {
            c.feed(&mut ce, 0, &buf[..n]).unwrap();
        }
    }
    s.feed(&mut se, 0, &held[0]).unwrap();
    s.trust_anchors_mut().reset(TA, &TA_KEY).unwrap();
    for r in &held[1..] {
        let _ = s.feed(&mut se, 0, r);
    }
    assert_eq!(s.state(), State::Failed);
    assert_eq!(s.last_alert().description, alert::DECRYPT_ERROR);
    assert_eq!(stats(&s).refused_at_commit, 1);
    assert_eq!(s.credentials().ta.is_fresh(TA, 3), Some(true), "nothing was marked");
}
