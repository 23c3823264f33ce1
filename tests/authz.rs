//! AuthorizedPublicKey (AuthzCert, docs/ttp.md) in whole handshakes: our
//! client with a MacCert from its trust anchor, its own key and the pinned
//! key of the resource server, against a server that holds only trust
//! anchors and its own key, in a single connection and in the endpoint.
//! The wire (certificate types, the empty server certificate_list, the
//! MacCert as the client's Certificate), every refusal (replayed, left of
//! the window, revoked, reset, forged, truncated, off-curve key, wrong
//! pinned key, missing or foreign CertificateVerify, wrong codepoint),
//! export/import across a restart and concurrent use across endpoint slots.
#![cfg(feature = "authz-cert")]

mod common;

use common::*;
use nanodtls::alert;
use nanodtls::auth::authz_cert::{encode, mac, MAC_LEN};
use nanodtls::auth::ta::TtpStats;
use nanodtls::auth::TTP_AUTHZ_CERT;
use nanodtls::{Config, Connection, Endpoint, PeerSlot, State};
use zerocopy::FromZeros;

const TA: &[u8] = b"ta1";
const TA_KEY: [u8; 32] = [0x3c; 32];
/// The resource server's key (test_key(RS)).
const RS: u8 = 2;
/// The client's key.
const CLIENT: u8 = 5;

fn maccert(ta_key: &[u8], seq: u32, key: u8) -> Vec<u8> {
    let mut out = [0u8; 400];
    let n = encode(ta_key, TA, seq, &test_spki(key), &mut out).unwrap();
    out[..n].to_vec()
}

/// Our client: own key CLIENT, the RS key pinned (test key `pinned`),
/// MacCert `cert` (lent by the environment: see [`env_of`]).
fn az_client(pinned: u8, cert: &[u8]) -> Peer {
    let mut c = new_conn(&client_config());
    c.set_own_key(&test_key(CLIENT)).unwrap();
    c.set_authz_server_key(&test_spki(pinned)).unwrap();
    c.authz_cert = Some(cert.to_vec());
    c
}

/// A client environment lending `c`'s MacCert.
fn env_of(c: &Peer, seed: u64) -> TestEnv {
    let mut e = TestEnv::new(seed);
    e.authz_cert = c.authz_cert.clone();
    e
}

fn server_cfg() -> Config {
    let mut cfg = server_config();
    cfg.handshake_timeout_ms = 20_000;
    cfg
}

/// A server with key RS and trust anchor ta1 (no trusted client keys).
fn az_server() -> Peer {
    let mut s = new_conn(&server_cfg());
    s.set_own_key(&test_key(RS)).unwrap();
    s.trust_anchors_mut().add(TA, &TA_KEY, 16).unwrap();
    s
}

fn stats(s: &Connection) -> TtpStats {
    s.credentials().ta.stats()
}

/// Run a handshake with `cert` as the client's MacCert; on refusal, run on
/// to the deadlines. Returns both connections and whether it completed.
fn run(client: Peer, server: Peer, seed: u64) -> (Peer, Peer, bool) {
    let mut sim = Sim::new(client, server, Link { latency_ms: 5, ..Link::default() }, seed);
    sim.cenv.authz_cert = sim.client.authz_cert.clone();
    let ok = sim.handshake(60_000);
    if !ok {
        sim.run_for(60_000);
    }
    (sim.client, sim.server, ok)
}

/// The server refused the client's certificate with bad_certificate and
/// nothing was marked used.
fn assert_refused(s: &Connection, what: &str) {
    assert_eq!(s.state(), State::Failed, "{what}");
    let a = s.last_alert();
    assert!(a.sent && a.description == alert::BAD_CERTIFICATE, "{what}: {a:?}");
    assert!(s.trust_anchor_peer().is_none(), "{what}");
    assert_eq!(stats(s).accepted, 0, "{what}");
}

fn sha256(d: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(d).into()
}

/// The handshake messages (type, body) of the epoch-0 records of a datagram.
fn handshake_messages(d: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 13 <= d.len() {
        let len = usize::from(u16::from_be_bytes([d[at + 11], d[at + 12]]));
        let rec = &d[at + 13..at + 13 + len];
        if d[at] == 22 && d[at + 3..at + 5] == [0, 0] && rec.len() >= 12 {
            out.push((rec[0], rec[12..].to_vec()));
        }
        at += 13 + len;
    }
    out
}

/// Split a datagram into its records.
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

#[test]
fn a_maccert_gets_in_and_the_peer_is_known() {
    let cert = maccert(&TA_KEY, 7, CLIENT);
    let (c, s, ok) = run(az_client(RS, &cert), az_server(), 1);
    assert!(ok);
    let p = s.trust_anchor_peer().unwrap();
    let hash = sha256(&test_spki(CLIENT));
    assert_eq!((p.mode, p.ta_id, p.client_id, p.seq), (TTP_AUTHZ_CERT, TA, &hash[..], 7));
    assert_eq!(s.peer_key_hash(), Some(hash));
    assert_eq!(s.psk_identity(), b"", "no PSK identity in this mode");
    assert_eq!(c.peer_key_hash(), Some(sha256(&test_spki(RS))), "the client used the pinned key");
    let st = stats(&s);
    assert_eq!((st.authz_checked, st.accepted), (1, 1));
    assert_eq!(s.credentials().ta.is_fresh(TA, 7), Some(false), "the seq is used now");
    assert_eq!(s.credentials().ta.is_fresh(TA, 8), Some(true));
}

/// The wire of figure 4 (with CertificateVerify): certificate types, an
/// empty server certificate_list, CertificateRequest, the MacCert as the
/// client's Certificate, CertificateVerify.
#[test]
fn the_wire_follows_the_documented_flow() {
    let cert = maccert(&TA_KEY, 1, CLIENT);
    let c = az_client(RS, &cert);
    let ce = env_of(&c, 10);
    let mut w = Wire::parts(c, az_server(), ce, TestEnv::new(11), Box::new(|_, _| {}));
    w.run();
    assert!(w.connected());
    let msgs = |to_server: bool| -> Vec<(u8, Vec<u8>)> {
        w.log.iter().filter(|(t, _)| *t == to_server).flat_map(|(_, d)| handshake_messages(d)).collect()
    };
    let (cm, sm) = (msgs(true), msgs(false));
    // ClientHello: client_certificate_type {3}, server_certificate_type {RPK, X.509}.
    let ch = &cm.iter().find(|(t, _)| *t == 1).unwrap().1;
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|x| x == needle);
    assert!(find(ch, &[0, 19, 0, 2, 1, 3]), "client_certificate_type {{AuthzCert}}");
    assert!(find(ch, &[0, 20, 0, 3, 2, 2, 0]), "server_certificate_type {{RPK, X.509}}");
    // ServerHello: AuthzCert for the client, X.509 for the server.
    let sh = &sm.iter().find(|(t, _)| *t == 2).unwrap().1;
    assert!(find(sh, &[0, 19, 0, 1, 3]) && find(sh, &[0, 20, 0, 1, 0]));
    let types: Vec<u8> = sm.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        types,
        [3, 2, 11, 12, 13, 14],
        "HelloVerifyRequest, ServerHello, Certificate, ServerKeyExchange, CertificateRequest, Done"
    );
    assert_eq!(sm[2].1, [0, 0, 0], "an empty certificate_list");
    let types: Vec<u8> = cm.iter().map(|(t, _)| *t).collect();
    assert_eq!(types, [1, 1, 11, 16, 15], "ClientHello (twice), Certificate, ClientKeyExchange, CertificateVerify");
    let mut framed = vec![0, (cert.len() >> 8) as u8, cert.len() as u8];
    framed.extend_from_slice(&cert);
    assert_eq!(cm[2].1, framed, "the MacCert as opaque authz_cert<1..2^24-1>");
}

#[test]
fn replay_left_of_the_window_revoke_and_reset() {
    let w = nanodtls::sizes::NANODTLS_TA_WINDOW as u32;
    // Replay of the same seq: a new server connection with the first one's window.
    let cert = maccert(&TA_KEY, 5, CLIENT);
    let (_, s, ok) = run(az_client(RS, &cert), az_server(), 20);
    assert!(ok);
    let mut blob = [0u8; 256];
    let n = s.credentials().ta.export(TA, &mut blob).unwrap();
    let mut again = az_server();
    again.trust_anchors_mut().import(&blob[..n]).unwrap();
    let (_, s2, ok) = run(az_client(RS, &cert), again, 21);
    assert!(!ok, "the same MacCert again");
    assert_refused(&s2, "replayed seq");
    assert!(stats(&s2).refused_replayed >= 1);
    assert_eq!(stats(&s2).authz_checked, 0, "refused before the key and MAC are looked at");
    // Left of the window.
    let mut s = az_server();
    s.trust_anchors_mut().revoke(TA, 1000).unwrap();
    let (_, s, ok) = run(az_client(RS, &maccert(&TA_KEY, 1000 - w, CLIENT)), s, 22);
    assert!(!ok);
    assert_refused(&s, "left of the window");
    assert!(stats(&s).refused_too_old >= 1);
    // Inside the window and unused: fine.
    let mut s = az_server();
    s.trust_anchors_mut().revoke(TA, 1000).unwrap();
    let (_, s, ok) = run(az_client(RS, &maccert(&TA_KEY, 1000 - (w - 1), CLIENT)), s, 23);
    assert!(ok);
    assert_eq!(s.trust_anchor_peer().unwrap().seq, 1000 - (w - 1));
    // Revoked.
    let mut s = az_server();
    s.trust_anchors_mut().revoke(TA, 42).unwrap();
    let (_, s, ok) = run(az_client(RS, &maccert(&TA_KEY, 42, CLIENT)), s, 24);
    assert!(!ok);
    assert_refused(&s, "revoked");
    // Reset: a new key; the old MacCert no longer verifies, a new one (same seq) does.
    let mut s = az_server();
    s.trust_anchors_mut().revoke(TA, 9).unwrap();
    s.trust_anchors_mut().reset(TA, &[0x77; 16]).unwrap();
    let (_, s, ok) = run(az_client(RS, &maccert(&TA_KEY, 9, CLIENT)), s, 25);
    assert!(!ok);
    assert_refused(&s, "a MacCert of the old key");
    assert!(stats(&s).refused_bad_mac >= 1);
    let mut s = az_server();
    s.trust_anchors_mut().revoke(TA, 9).unwrap();
    s.trust_anchors_mut().reset(TA, &[0x77; 16]).unwrap();
    let (_, s, ok) = run(az_client(RS, &maccert(&[0x77; 16], 9, CLIENT)), s, 26);
    assert!(ok, "the window was emptied with the reset");
    assert_eq!(s.trust_anchor_peer().unwrap().seq, 9);
}

#[test]
fn the_window_survives_a_restart() {
    let cert = maccert(&TA_KEY, 100, CLIENT);
    let (_, s, ok) = run(az_client(RS, &cert), az_server(), 30);
    assert!(ok);
    let mut blob = [0u8; 256];
    let n = s.credentials().ta.export(TA, &mut blob).unwrap();
    drop(s);
    // "Reboot": a new server, the TA added again, the window imported.
    let mut r = az_server();
    r.trust_anchors_mut().import(&blob[..n]).unwrap();
    let (_, r, ok) = run(az_client(RS, &cert), r, 31);
    assert!(!ok);
    assert_refused(&r, "replayed after the restart");
    // Without the import, the restart would have re-opened it (the test can fail).
    let (_, _, ok) = run(az_client(RS, &cert), az_server(), 32);
    assert!(ok);
}

#[test]
fn forged_truncated_and_off_curve_maccerts_are_refused() {
    let good = maccert(&TA_KEY, 3, CLIENT);
    // Another TA key's MAC; a flipped MAC bit; a changed seq.
    let mut flipped = good.clone();
    *flipped.last_mut().unwrap() ^= 1;
    let mut seq = good.clone();
    let at = good.len() - MAC_LEN - 3;
    seq[at] ^= 1;
    for (i, bad) in [maccert(&[9; 32], 3, CLIENT), flipped, seq].iter().enumerate() {
        let (_, s, ok) = run(az_client(RS, bad), az_server(), 40 + i as u64);
        assert!(!ok, "forged {i}");
        assert_refused(&s, "forged");
        assert!(stats(&s).refused_bad_mac >= 1, "forged {i}");
        assert_eq!(s.credentials().ta.is_fresh(TA, 3), Some(true));
    }
    // Truncated and extended.
    let mut longer = good.clone();
    longer.push(0);
    for (i, bad) in [good[..good.len() - 1].to_vec(), good[..10].to_vec(), longer].iter().enumerate() {
        let (_, s, ok) = run(az_client(RS, bad), az_server(), 50 + i as u64);
        assert!(!ok, "malformed {i}");
        assert_refused(&s, "malformed");
        assert!(stats(&s).refused_malformed >= 1, "malformed {i}");
    }
    // An unknown trust anchor.
    let mut out = [0u8; 400];
    let n = encode(&TA_KEY, b"ta2", 3, &test_spki(CLIENT), &mut out).unwrap();
    let (_, s, ok) = run(az_client(RS, &out[..n]), az_server(), 55);
    assert!(!ok);
    assert_refused(&s, "unknown TA");
    assert!(stats(&s).refused_unknown_ta >= 1);
    // A key off the curve, with a valid MAC over it.
    let mut off = test_spki(CLIENT);
    off[90] ^= 1;
    let tag = mac(&TA_KEY, &off, TA, 3).unwrap();
    let mut bad = good.clone();
    bad[3..3 + off.len()].copy_from_slice(&off);
    let l = bad.len();
    bad[l - MAC_LEN..].copy_from_slice(&tag);
    let (_, s, ok) = run(az_client(RS, &bad), az_server(), 56);
    assert!(!ok);
    assert_refused(&s, "off-curve key");
    assert!(stats(&s).refused_bad_spki >= 1);
    assert_eq!(stats(&s).refused_bad_mac, 0, "refused for the key, before the MAC");
}

#[test]
fn wrong_pinned_key_is_refused_by_the_client() {
    let (c, s, ok) = run(az_client(9, &maccert(&TA_KEY, 3, CLIENT)), az_server(), 60);
    assert!(!ok);
    assert_eq!(c.state(), State::Failed);
    let a = c.last_alert();
    assert!(a.sent && a.description == alert::DECRYPT_ERROR, "ServerKeyExchange signature: {a:?}");
    assert_eq!(stats(&s).authz_checked, 0, "the client never sent its MacCert");
    assert_eq!(s.credentials().ta.is_fresh(TA, 3), Some(true));
}

#[test]
fn certificate_verify_is_required_and_must_match_the_maccert_key() {
    // A client whose own key is not the MacCert's: CertificateVerify fails.
    let (_, s, ok) = run(az_client(RS, &maccert(&TA_KEY, 3, 6)), az_server(), 70);
    assert!(!ok);
    assert_refused(&s, "CertificateVerify by another key");
    assert_eq!(stats(&s).authz_checked, 1, "the MacCert itself passed");
    assert_eq!(s.credentials().ta.is_fresh(TA, 3), Some(true), "nothing was marked");
    // CertificateVerify removed from the client's flight: never connected.
    let c = az_client(RS, &maccert(&TA_KEY, 3, CLIENT));
    let ce = env_of(&c, 71);
    let tamper: Tamper = Box::new(|to_server, d| {
        if to_server {
            let kept: Vec<u8> = records(d)
                .into_iter()
                .filter(|r| !(r[0] == 22 && r[3..5] == [0, 0] && r.get(13) == Some(&15)))
                .flatten()
                .collect();
            *d = kept;
        }
    });
    let mut w = Wire::parts(c, az_server(), ce, TestEnv::new(72), tamper);
    w.run();
    assert!(!w.connected());
    assert_eq!(w.s.state(), State::ServerWaitCertificateVerify, "the CCS and Finished cannot stand in for it");
    assert!(w.s.trust_anchor_peer().is_none());
    assert_eq!(w.s.credentials().ta.is_fresh(TA, 3), Some(true), "nothing was marked");
    assert_eq!(stats(&w.s).accepted, 0);
}

#[test]
fn the_codepoint_is_configurable_and_must_match() {
    let cert = maccert(&TA_KEY, 3, CLIENT);
    // Client 224, server 3: AuthzCert is not negotiated, no handshake.
    let mut c = az_client(RS, &cert);
    c.set_authz_cert_type(224).unwrap();
    let (c, s, ok) = run(c, az_server(), 80);
    assert!(!ok);
    assert_eq!(c.state(), State::Failed);
    let a = c.last_alert();
    assert!(a.sent && a.description == alert::UNSUPPORTED_CERTIFICATE, "{a:?}");
    assert_eq!(stats(&s).authz_checked, 0);
    // Both 224: fine.
    let mut c = az_client(RS, &cert);
    c.set_authz_cert_type(224).unwrap();
    let mut s = az_server();
    s.set_authz_cert_type(224).unwrap();
    let (_, s, ok) = run(c, s, 81);
    assert!(ok);
    assert_eq!(s.trust_anchor_peer().unwrap().seq, 3);
    // 0 and 2 are X.509 and RawPublicKey.
    assert!(az_client(RS, &cert).set_authz_cert_type(0).is_err());
    assert!(az_client(RS, &cert).set_authz_cert_type(2).is_err());
}

#[test]
fn without_trust_anchors_or_pieces_there_is_no_authz_cert() {
    let cert = maccert(&TA_KEY, 3, CLIENT);
    // A server without trust anchors cannot serve an AuthzCert-only client.
    let mut s = new_conn(&server_cfg());
    s.set_own_key(&test_key(RS)).unwrap();
    let (c, s, ok) = run(az_client(RS, &cert), s, 90);
    assert!(!ok);
    assert_ne!(c.state(), State::Connected);
    assert_ne!(s.state(), State::Connected);
    // A client without the pinned key (or without a MacCert) offers nothing
    // it could use: connect reports no credentials.
    let mut c = new_conn(&client_config());
    c.set_own_key(&test_key(CLIENT)).unwrap();
    let mut e = TestEnv::new(91);
    e.authz_cert = Some(cert);
    assert!(c.connect(&mut e, 0).is_err());
    let mut c = az_client(RS, &[]);
    assert!(c.connect(&mut TestEnv::new(92), 0).is_err());
    // The server with trust anchors still serves ordinary raw-public-key
    // clients it trusts.
    let mut s = az_server();
    s.add_trusted_key(&test_spki(CLIENT)).unwrap();
    let c = ecc_client(Some(CLIENT), &[RS], nanodtls::suite::ECDHE_ECDSA_AES_128_CCM_8);
    let mut sim = Sim::new(c, s, Link { latency_ms: 5, ..Link::default() }, 93);
    assert!(sim.handshake(10_000));
    assert!(sim.server.trust_anchor_peer().is_none());
}

/// Two clients with the same MacCert on one endpoint, interleaved so that
/// both Certificates pass the window check before either Finished arrives:
/// exactly one gets in, the other is refused when its handshake would
/// complete (bad_certificate).
#[test]
fn concurrent_use_across_endpoint_slots_only_one_succeeds() {
    let mut ep = Endpoint::new_box_zeroed().unwrap();
    ep.init(&server_cfg(), 0, 10_000).unwrap();
    ep.set_own_key(&test_key(RS)).unwrap();
    ep.credentials_mut().ta.add(TA, &TA_KEY, 16).unwrap();
    let mut slots: Vec<PeerSlot> = (0..4).map(|_| *PeerSlot::new_box_zeroed().unwrap()).collect();
    let mut senv = TestEnv::new(100);
    let addrs: [&[u8]; 2] = [b"10.0.0.1:1", b"10.0.0.2:1"];
    let cert = maccert(&TA_KEY, 9, CLIENT);
    let mut clients = [az_client(RS, &cert), az_client(RS, &cert)];
    let mut envs = [env_of(&clients[0], 101), env_of(&clients[1], 102)];
    for (c, e) in clients.iter_mut().zip(envs.iter_mut()) {
        c.connect(e, 0).unwrap();
    }
    let mut buf = [0u8; 1500];
    let mut addr = [0u8; 64];
    let feed = |ep: &mut Endpoint, slots: &mut [PeerSlot], env: &mut TestEnv, a: &[u8], d: &[u8]| {
        feed_all(d, |b| ep.feed(slots, env, 0, a, b)).map(|_| ())
    };
    // Run both up to their flight 5, holding it back.
    let mut held: [Vec<Vec<u8>>; 2] = [vec![], vec![]];
    for _ in 0..10 {
        for i in 0..2 {
            while let Some(n) = clients[i].poll_datagram(0, &mut buf).unwrap() {
                if clients[i].state() == State::ClientWaitCcs {
                    held[i].extend(records(&buf[..n]));
                } else {
                    feed(&mut ep, &mut slots, &mut senv, addrs[i], &buf[..n]).unwrap();
                }
            }
        }
        while let Some((n, al)) = ep.poll_datagram(&mut slots, &senv, 0, &mut buf, &mut addr).unwrap() {
            let i = addrs.iter().position(|a| a[..] == addr[..al]).unwrap();
            clients[i].feed(&mut envs[i], 0, &buf[..n]).unwrap();
        }
    }
    assert!(held.iter().all(|h| h.len() == 5), "Certificate, CKE, CertificateVerify, CCS, Finished: {held:?}");
    // Both Certificates, ClientKeyExchanges and CertificateVerifys first.
    for i in 0..2 {
        for r in &held[i][..3] {
            feed(&mut ep, &mut slots, &mut senv, addrs[i], r).unwrap();
        }
    }
    assert_eq!(ep.credentials().ta.stats().authz_checked, 2);
    for i in 0..2 {
        for r in &held[i][3..] {
            let _ = feed(&mut ep, &mut slots, &mut senv, addrs[i], r);
        }
    }
    let states: Vec<State> = addrs.iter().map(|a| ep.peer(&slots, a).unwrap().state()).collect();
    assert_eq!(states, [State::Connected, State::Failed]);
    let loser = ep.peer(&slots, addrs[1]).unwrap();
    assert_eq!(loser.last_alert().description, alert::BAD_CERTIFICATE);
    assert!(loser.trust_anchor_peer().is_none());
    let p = ep.peer(&slots, addrs[0]).unwrap().trust_anchor_peer().unwrap();
    assert_eq!((p.mode, p.ta_id, p.seq), (TTP_AUTHZ_CERT, TA, 9));
    let st = ep.credentials().ta.stats();
    assert_eq!((st.accepted, st.refused_at_commit), (1, 1));
}

/// Rewrite the epoch-0 handshake records of message type `t` in a
/// datagram with `f(body)` (None: drop the record); lengths are fixed up.
fn rewrite(d: &[u8], t: u8, f: &dyn Fn(&[u8]) -> Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records(d) {
        if !(r[0] == 22 && r[3..5] == [0, 0] && r.len() >= 25 && r[13] == t) {
            out.extend_from_slice(&r);
            continue;
        }
        let Some(body) = f(&r[25..]) else { continue };
        let n = body.len();
        let mut hs = vec![t, 0, (n >> 8) as u8, n as u8];
        hs.extend_from_slice(&r[17..19]); // message_seq
        hs.extend_from_slice(&[0, 0, 0, 0, (n >> 8) as u8, n as u8]);
        hs.extend_from_slice(&body);
        out.extend_from_slice(&r[..11]);
        out.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        out.extend_from_slice(&hs);
    }
    out
}

/// The server's flight reached the client without a CertificateRequest.
fn dropped_seen(w: &Wire) -> bool {
    let m: Vec<u8> =
        w.log.iter().filter(|(t, _)| !t).flat_map(|(_, d)| handshake_messages(d)).map(|(t, _)| t).collect();
    m.contains(&14) && !m.contains(&13)
}

#[test]
fn a_server_without_certificate_request_is_refused_by_the_client() {
    let c = az_client(RS, &maccert(&TA_KEY, 3, CLIENT));
    let ce = env_of(&c, 110);
    // Drop the CertificateRequest; ServerHelloDone takes its message_seq.
    let mut dropped = false;
    let tamper: Tamper = Box::new(move |to_server, d| {
        if to_server {
            return;
        }
        let mut out = Vec::new();
        for mut r in records(d) {
            let hs = r[0] == 22 && r[3..5] == [0, 0] && r.len() >= 25;
            if hs && r[13] == 13 {
                dropped = true;
                continue;
            }
            if hs && r[13] == 14 && dropped {
                let seq = u16::from_be_bytes([r[17], r[18]]) - 1;
                r[17..19].copy_from_slice(&seq.to_be_bytes());
            }
            out.extend_from_slice(&r);
        }
        *d = out;
    });
    let mut w = Wire::parts(c, az_server(), ce, TestEnv::new(111), tamper);
    w.run();
    assert!(dropped_seen(&w), "the CertificateRequest was dropped");
    if w.c.state() != State::Failed {
        let _ = w.c.handle_timeout(200_000); // an epoch-0 refusal is reported at the deadline
    }
    assert_eq!(w.c.state(), State::Failed);
    let a = w.c.last_alert();
    assert!(a.sent && a.description == alert::HANDSHAKE_FAILURE, "{a:?}");
    assert_eq!(stats(&w.s).authz_checked, 0);
}

#[test]
fn a_badly_framed_certificate_is_refused_and_counted() {
    for (i, body) in [vec![0, 0, 0], vec![0, 0, 5, 1, 2], vec![0, 0, 1, 7, 0]].into_iter().enumerate() {
        let c = az_client(RS, &maccert(&TA_KEY, 3, CLIENT));
        let ce = env_of(&c, 120 + i as u64);
        let tamper: Tamper = Box::new(move |to_server, d| {
            if to_server {
                *d = rewrite(d, 11, &|_| Some(body.clone()));
            }
        });
        let mut w = Wire::parts(c, az_server(), ce, TestEnv::new(130), tamper);
        w.run();
        assert!(!w.connected(), "{i}");
        // Epoch 0: discarded (the genuine one may still come), nothing moved.
        assert_eq!(w.s.state(), State::ServerWaitClientCertificate, "{i}");
        let st = stats(&w.s);
        assert_eq!((st.refused_malformed, st.authz_checked, st.accepted), (1, 0, 0), "{i}");
        // At the deadline: bad_certificate.
        let _ = w.s.handle_timeout(200_000);
        assert_eq!(w.s.state(), State::Failed, "{i}");
        let a = w.s.last_alert();
        assert!(a.sent && a.description == alert::BAD_CERTIFICATE, "{i}: {a:?}");
    }
}

/// An AuthzCert credential is good for one handshake: its session is not
/// cached, so coming back with it means a full handshake, where the used
/// MacCert is refused.
#[test]
fn authz_cert_sessions_are_not_cached_for_resumption() {
    let link = Link { latency_ms: 5, ..Link::default() };
    let cert = maccert(&TA_KEY, 1, CLIENT);
    let mut sim = Sim::new(az_client(RS, &cert), az_server(), link, 140);
    sim.cenv.authz_cert = Some(cert.clone());
    sim.senv = TestEnv::new(141).with_cache(4);
    assert!(sim.handshake(10_000));
    assert!(sim.client.has_session(), "the server issued a session ID");
    let mut blob = [0u8; nanodtls::sizes::NANODTLS_SESSION_BLOB_MAX];
    let n = sim.client.export_session(&mut blob).unwrap();
    let mut w = [0u8; 256];
    let wl = sim.server.credentials().ta.export(TA, &mut w).unwrap();
    let mut c = az_client(RS, &cert);
    c.import_session(&blob[..n]).unwrap();
    let mut s = az_server();
    s.trust_anchors_mut().import(&w[..wl]).unwrap();
    let mut sim2 = Sim::new(c, s, link, 142);
    sim2.cenv.authz_cert = Some(cert);
    sim2.senv = std::mem::replace(&mut sim.senv, TestEnv::new(0));
    assert!(!sim2.handshake(60_000));
    assert_eq!(sim2.server.stats().resumptions, 0);
}
