//! RFC 7925 profile features: session resumption (and across deep sleep),
//! max_fragment_length, server_name (SNI) and heartbeat.

mod common;
use std::collections::VecDeque;

use common::*;
use nanodtls::alert;
use nanodtls::connection::HeartbeatStatus;
use nanodtls::record::content;
#[cfg(feature = "ecc")]
use nanodtls::suite;
use nanodtls::{Config, Error, State};

struct Lock {
    c: Peer,
    s: Peer,
    ce: TestEnv,
    se: TestEnv,
    queue: VecDeque<(bool, Vec<u8>)>,
    datagrams: usize,
    bytes: usize,
    now: u64,
}

impl Lock {
    fn new(c: Peer, s: Peer, ce: TestEnv, se: TestEnv) -> Lock {
        let mut l = Lock { c, s, ce, se, queue: VecDeque::new(), datagrams: 0, bytes: 0, now: 0 };
        l.c.connect(&mut l.ce, 0).unwrap();
        l.pump();
        l
    }
    fn pump(&mut self) {
        let mut buf = [0u8; 2048];
        while let Some(n) = self.c.poll_datagram(self.now, &mut buf).unwrap() {
            self.queue.push_back((true, buf[..n].to_vec()));
        }
        while let Some(n) = self.s.poll_datagram(self.now, &mut buf).unwrap() {
            self.queue.push_back((false, buf[..n].to_vec()));
        }
    }
    fn step(&mut self) -> Option<(bool, Vec<u8>)> {
        let (to_server, d) = self.queue.pop_front()?;
        self.datagrams += 1;
        self.bytes += d.len();
        let _ =
            if to_server { self.s.feed(&mut self.se, self.now, &d) } else { self.c.feed(&mut self.ce, self.now, &d) };
        self.pump();
        Some((to_server, d))
    }
    fn run(&mut self) {
        while self.step().is_some() {}
    }
    fn connected(&self) -> bool {
        self.c.state() == State::Connected && self.s.state() == State::Connected
    }
    fn read(&mut self, server: bool) -> Vec<Vec<u8>> {
        let mut out = vec![];
        let mut buf = [0u8; 5000];
        let conn = if server { &mut self.s } else { &mut self.c };
        while let Ok(Some(n)) = conn.read(&mut buf) {
            out.push(buf[..n].to_vec());
        }
        out
    }
}

/// A full PSK handshake against a server with a cache; returns the
/// client's exported session and the server environment (holding the cache).
fn first_handshake(ccfg: &Config, scfg: &Config) -> (Vec<u8>, TestEnv, usize, usize) {
    let mut l = Lock::new(psk_client(ccfg), psk_server(scfg), TestEnv::new(1), TestEnv::new(2).with_cache(4));
    l.run();
    assert!(l.connected());
    assert!(!l.c.resumed());
    assert!(l.c.has_session());
    let mut blob = vec![0u8; 512];
    let n = l.c.export_session(&mut blob).unwrap();
    blob.truncate(n);
    (blob, std::mem::replace(&mut l.se, TestEnv::new(0)), l.datagrams, l.bytes)
}

#[test]
fn psk_session_resumption_across_a_reboot() {
    let (c, s) = (client_config(), server_config());
    let (blob, se, full_dgrams, full_bytes) = first_handshake(&c, &s);
    // "Reboot": a brand-new client context imports the blob.
    let mut client = new_conn(&c);
    client.set_psk(PSK_ID, &PSK).unwrap();
    client.import_session(&blob).unwrap();
    let mut l = Lock::new(client, psk_server(&s), TestEnv::new(3), se);
    l.run();
    assert!(l.connected());
    assert!(l.c.resumed() && l.s.resumed());
    assert_eq!(l.s.psk_identity(), PSK_ID, "the server knows who resumed");
    assert_eq!(l.s.stats().resumptions, 1);
    // Cookie exchange still happens: CH, HVR, CH, SH+CCS+Fin, CCS+Fin.
    assert_eq!(l.datagrams, 5);
    // One round trip fewer; about the same bytes for PSK (the session ID
    // rides in both ClientHellos instead of ClientKeyExchange/ServerHelloDone).
    assert_eq!(full_dgrams, 6);
    eprintln!(
        "PSK full: {full_dgrams} datagrams {full_bytes} bytes; resumed: {} datagrams {} bytes",
        l.datagrams, l.bytes
    );
    l.c.write(b"after resumption").unwrap();
    l.pump();
    l.run();
    assert_eq!(l.read(true), vec![b"after resumption".to_vec()]);
    // The resumed connection keeps the session for next time.
    assert!(l.c.has_session());
}

#[test]
fn refused_resumption_falls_back_to_a_full_handshake() {
    let (c, s) = (client_config(), server_config());
    let (blob, _se, _, _) = first_handshake(&c, &s);
    // A server that lost its cache (restarted).
    let mut client = new_conn(&c);
    client.set_psk(PSK_ID, &PSK).unwrap();
    client.import_session(&blob).unwrap();
    let mut l = Lock::new(client, psk_server(&s), TestEnv::new(4), TestEnv::new(5).with_cache(2));
    l.run();
    assert!(l.connected());
    assert!(!l.c.resumed() && !l.s.resumed());
    assert!(l.c.has_session(), "the new full handshake gives a new session");
    let mut b2 = vec![0u8; 512];
    let n = l.c.export_session(&mut b2).unwrap();
    assert_ne!(&b2[..n], &blob[..], "a new session ID");
}

#[test]
fn resumption_requires_the_same_extended_master_secret_use() {
    let (c, s) = (client_config(), server_config());
    let (blob, mut se, _, _) = first_handshake(&c, &s);
    // Forge the cached session into a non-EMS one by resuming against a
    // server whose cache says so: import the blob with EMS cleared.
    let mut sd = <nanodtls::session::SessionData as zerocopy::FromZeros>::new_zeroed();
    nanodtls::session::import(&blob, &mut sd).unwrap();
    sd.ems = false;
    se.cache.iter_mut().for_each(|e| *e = <nanodtls::session::CacheEntry as zerocopy::FromZeros>::new_zeroed());
    nanodtls::session::cache_insert(&mut se.cache, &sd, 0);
    let mut client = new_conn(&c);
    client.set_psk(PSK_ID, &PSK).unwrap();
    client.import_session(&blob).unwrap();
    let mut l = Lock::new(client, psk_server(&s), TestEnv::new(6), se);
    l.run();
    assert!(l.connected());
    assert!(!l.s.resumed(), "RFC 7627 5.3: no resumption across EMS change");
}

#[test]
fn corrupted_or_foreign_session_blobs_are_refused() {
    let (c, s) = (client_config(), server_config());
    let (blob, _, _, _) = first_handshake(&c, &s);
    let mut client = new_conn(&c);
    client.set_psk(PSK_ID, &PSK).unwrap();
    for i in 0..blob.len() {
        let mut bad = blob.clone();
        bad[i] ^= 0x01;
        assert_eq!(client.import_session(&bad), Err(Error::InvalidArgument), "byte {i}");
    }
    assert_eq!(client.import_session(&blob[..blob.len() - 1]), Err(Error::InvalidArgument));
    assert_eq!(client.import_session(b"not a session at all, certainly"), Err(Error::InvalidArgument));
    assert!(!client.has_session(), "refused blobs change nothing");
    client.import_session(&blob).unwrap();
    assert!(client.has_session());
    // Servers have no client session to import or export.
    let mut server = psk_server(&s);
    assert_eq!(server.import_session(&blob), Err(Error::WrongState));
}

#[test]
fn lost_final_flight_of_an_abbreviated_handshake_is_recovered() {
    let (c, s) = (client_config(), server_config());
    let (blob, se, _, _) = first_handshake(&c, &s);
    let mut client = new_conn(&c);
    client.set_psk(PSK_ID, &PSK).unwrap();
    client.import_session(&blob).unwrap();
    let mut l = Lock::new(client, psk_server(&s), TestEnv::new(7), se);
    // Deliver until the client is connected, then drop its final flight.
    while l.c.state() != State::Connected {
        l.step().unwrap();
    }
    let dropped = l.queue.pop_back().unwrap();
    assert!(dropped.0, "the client's CCS+Finished");
    assert_eq!(l.s.state(), State::ServerWaitCcs);
    // The server's timer retransmits its flight; the client answers again.
    l.now = 1000;
    l.s.handle_timeout(1000).unwrap();
    l.pump();
    l.run();
    assert!(l.connected());
    assert!(l.c.stats().peer_retransmits >= 1);
}

#[test]
#[cfg(feature = "ecc")]
fn ecc_session_resumption_keeps_the_peer_key() {
    let c = ecc_client(Some(1), &[2], suite::ECDHE_ECDSA_AES_128_CCM_8);
    let s = ecc_server(2, &[1], true);
    let mut l = Lock::new(c, s, TestEnv::new(8), TestEnv::new(9).with_cache(2));
    l.run();
    assert!(l.connected());
    let (full_dgrams, full_bytes) = (l.datagrams, l.bytes);
    let mut blob = vec![0u8; 512];
    let n = l.c.export_session(&mut blob).unwrap();
    let se = std::mem::replace(&mut l.se, TestEnv::new(0));
    let mut c2 = ecc_client(Some(1), &[2], suite::ECDHE_ECDSA_AES_128_CCM_8);
    c2.import_session(&blob[..n]).unwrap();
    let mut l = Lock::new(c2, ecc_server(2, &[1], true), TestEnv::new(10), se);
    l.run();
    assert!(l.connected() && l.c.resumed() && l.s.resumed());
    let hash = nanodtls::crypto::sha256::sha256(&[&test_spki(2)]);
    assert_eq!(l.c.peer_key_hash(), Some(hash));
    assert_eq!(l.s.peer_key_hash(), Some(nanodtls::crypto::sha256::sha256(&[&test_spki(1)])));
    eprintln!(
        "ECDHE full: {full_dgrams} datagrams {full_bytes} bytes; resumed: {} datagrams {} bytes",
        l.datagrams, l.bytes
    );
}

#[test]
fn endpoint_resumes_sessions() {
    let cfg = server_config();
    let (blob, _, _, _) = first_handshake(&client_config(), &cfg);
    let _ = blob;
    // Full handshake through an endpoint, then resumption through it.
    let mut ep = EndpointParty::new(&cfg, 2);
    let mut sim = Sim::new(psk_client(&client_config()), ep, Link { latency_ms: 5, ..Link::default() }, 40);
    sim.senv = TestEnv::new(41).with_cache(4);
    assert!(sim.handshake(5_000));
    let mut blob = vec![0u8; 512];
    let n = sim.client.export_session(&mut blob).unwrap();
    ep = sim.server;
    let senv = std::mem::replace(&mut sim.senv, TestEnv::new(0));
    let mut c2 = psk_client(&client_config());
    c2.import_session(&blob[..n]).unwrap();
    ep.addr = b"10.0.0.2:5684".to_vec();
    let mut sim = Sim::new(c2, ep, Link { latency_ms: 5, ..Link::default() }, 42);
    sim.senv = senv;
    assert!(sim.handshake(5_000));
    assert!(sim.client.resumed());
}

// --------------------------------------------------- max_fragment_length

#[test]
fn max_fragment_length_is_negotiated_and_honoured() {
    let mut c = client_config();
    c.max_fragment_length = 512;
    let s = server_config();
    let mut l = Lock::new(psk_client(&c), psk_server(&s), TestEnv::new(11), TestEnv::new(12));
    l.run();
    assert!(l.connected());
    assert_eq!(l.c.record_limit(), 512);
    assert_eq!(l.s.record_limit(), 512);
    assert_eq!(l.c.max_write(), 512);
    assert_eq!(l.s.max_write(), 512);
    assert_eq!(l.s.write(&[0u8; 513]), Err(Error::TooLarge));
    l.s.write(&[7u8; 512]).unwrap();
    l.pump();
    l.run();
    assert_eq!(l.read(false), vec![vec![7u8; 512]]);
    // A peer that ignores the limit is stopped with record_overflow.
    let big = l.s.test_record(content::APPLICATION_DATA, 1, &[1u8; 600]).unwrap();
    assert_eq!(l.c.feed(&mut l.ce, 0, &big), Err(Error::AlertSent));
    assert_eq!(l.c.last_alert().description, alert::RECORD_OVERFLOW);
}

#[test]
#[cfg(feature = "ecc")]
fn max_fragment_length_limits_handshake_records_too() {
    // ECC flights are bigger; with MFL 512 and a large MTU every record's
    // plaintext must still be <= 512.
    let mut cfg = client_config();
    cfg.suites = [suite::ECDHE_ECDSA_AES_128_CCM_8, 0, 0, 0];
    cfg.max_fragment_length = 512;
    let mut c = new_conn(&cfg);
    c.set_own_key(&test_key(1)).unwrap();
    c.add_trusted_key(&test_spki(2)).unwrap();
    let mut l = Lock::new(c, ecc_server(2, &[1], true), TestEnv::new(13), TestEnv::new(14));
    let mut all = vec![];
    while let Some((_, d)) = l.step() {
        all.push(d);
    }
    assert!(l.connected());
    for d in &all {
        let mut r = nanodtls::codec::Reader::new(d);
        while !r.is_empty() {
            let rec = nanodtls::record::parse(&mut r).unwrap();
            assert!(rec.fragment.len() <= 512 + 16, "record of {} bytes", rec.fragment.len());
        }
    }
}

#[test]
fn invalid_max_fragment_length_values() {
    let mut c = client_config();
    c.max_fragment_length = 700;
    assert_eq!(c.validate(), Err(Error::InvalidArgument));
    // A ClientHello asking for code 5, with the given cookie.
    let hello = |cookie: &[u8], msg_seq: u8, rec_seq: u8| {
        let mut body = vec![0xfe, 0xfd];
        body.extend_from_slice(&[3u8; 32]);
        body.push(0);
        body.push(cookie.len() as u8);
        body.extend_from_slice(cookie);
        body.extend_from_slice(&[0, 2, 0xc0, 0xa8, 1, 0, 0, 5, 0x00, 0x01, 0x00, 0x01, 0x05]);
        let mut rec = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, rec_seq];
        let mut hs = vec![1, 0, 0, body.len() as u8, 0, msg_seq, 0, 0, 0, 0, 0, body.len() as u8];
        hs.extend_from_slice(&body);
        rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    };
    // Without cookies nothing proves where a ClientHello comes from: the
    // server discards it (a spoofed one must not end a waiting server).
    let mut s = psk_server(&{
        let mut c = server_config();
        c.require_cookie = false;
        c
    });
    let mut env = TestEnv::new(15);
    assert_eq!(s.feed(&mut env, 0, &hello(&[], 0, 1)), Ok(()));
    assert_eq!(s.state(), State::ServerWaitClientHello);
    assert_eq!(s.stats().dropped_rejected, 1);
    assert_eq!(s.last_alert().level, 0);
    // With a valid cookie (the sender receives at its address) the server
    // answers illegal_parameter at once.
    let mut s = psk_server(&server_config());
    s.feed(&mut env, 0, &hello(&[], 0, 1)).unwrap();
    let mut buf = [0u8; 512];
    let n = s.poll_datagram(0, &mut buf).unwrap().unwrap();
    assert_eq!(buf[13], 3, "HelloVerifyRequest");
    let cookie = buf[13 + 12 + 3..n].to_vec();
    assert_eq!(s.feed(&mut env, 0, &hello(&cookie, 1, 2)), Err(Error::AlertSent));
    assert_eq!(s.last_alert().description, alert::ILLEGAL_PARAMETER);
}

// ---------------------------------------------------------------- SNI

#[test]
fn server_name_reaches_the_server_before_credentials() {
    let mut client = psk_client(&client_config());
    client.set_server_name(b"coap.example.org").unwrap();
    let mut se = TestEnv::new(17);
    se.sni_answer = Some(true);
    let mut l = Lock::new(client, psk_server(&server_config()), TestEnv::new(16), se);
    l.run();
    assert!(l.connected());
    assert_eq!(l.s.server_name(), b"coap.example.org");
    assert_eq!(l.se.sni_seen, vec![b"coap.example.org".to_vec()]);
    // Refused name: unrecognized_name.
    let mut client = psk_client(&client_config());
    client.set_server_name(b"other.example.org").unwrap();
    let mut se = TestEnv::new(18);
    se.sni_answer = Some(false);
    let mut l = Lock::new(client, psk_server(&server_config()), TestEnv::new(19), se);
    l.run();
    assert_eq!(l.s.last_alert().description, alert::UNRECOGNIZED_NAME);
    assert_eq!(l.c.failure(), Some(Error::AlertReceived));
}

#[test]
fn server_name_validation() {
    let mut c = psk_client(&client_config());
    for bad in [&b""[..], b"192.168.1.1", b"a..b", b".lead", b"trail.", b"sp ace", &[b'a'; 65][..]] {
        assert_eq!(c.set_server_name(bad), Err(Error::InvalidArgument), "{:?}", String::from_utf8_lossy(bad));
    }
    c.set_server_name(b"xn--bcher-kva.example").unwrap();
    let mut s = psk_server(&server_config());
    assert_eq!(s.set_server_name(b"a.example"), Err(Error::WrongState), "clients only");
}

// ------------------------------------------------------------ heartbeat

fn hb_pair(client_hb: bool, server_hb: bool) -> Lock {
    let mut c = client_config();
    c.heartbeat = client_hb;
    let mut s = server_config();
    s.heartbeat = server_hb;
    let mut l = Lock::new(psk_client(&c), psk_server(&s), TestEnv::new(20), TestEnv::new(21));
    l.run();
    assert!(l.connected());
    l
}

#[test]
fn heartbeat_both_directions() {
    let mut l = hb_pair(true, true);
    assert!(l.c.heartbeat_negotiated() && l.s.heartbeat_negotiated());
    l.now = 100;
    l.c.heartbeat(&mut l.ce, 100).unwrap();
    assert_eq!(l.c.heartbeat(&mut l.ce, 100), Err(Error::WouldBlock), "one at a time");
    l.pump();
    l.now = 130;
    l.run();
    assert_eq!(l.c.heartbeat_status(), (HeartbeatStatus::Ok, 30));
    // Server-initiated (the RFC 7925 keep-alive pattern).
    l.s.heartbeat(&mut l.se, 200).unwrap();
    l.pump();
    l.now = 220;
    l.run();
    assert_eq!(l.s.heartbeat_status().0, HeartbeatStatus::Ok);
    assert!(l.read(true).is_empty() && l.read(false).is_empty(), "heartbeats are not application data");
}

#[test]
fn missing_heartbeat_response_is_reported() {
    let mut l = hb_pair(true, true);
    l.c.heartbeat(&mut l.ce, 0).unwrap();
    let mut buf = [0u8; 256];
    let mut sent = 0;
    let mut now = 0;
    // Never deliver anything: 1 request + 3 retransmissions, then Failed.
    loop {
        while l.c.poll_datagram(now, &mut buf).unwrap().is_some() {
            sent += 1;
        }
        let Some(t) = l.c.timeout_ms(now) else { break };
        now += t;
        l.c.handle_timeout(now).unwrap();
        if l.c.heartbeat_status().0 == HeartbeatStatus::Failed {
            break;
        }
    }
    assert_eq!(sent, 4);
    assert_eq!(l.c.heartbeat_status().0, HeartbeatStatus::Failed);
    assert_eq!(l.c.state(), State::Connected, "the application decides what to do");
}

#[test]
fn heartbeat_with_bad_length_is_dropped() {
    let mut l = hb_pair(true, true);
    // payload_length claims 1000 bytes: the Heartbleed request.
    let mut msg = vec![1u8, 0x03, 0xe8];
    msg.extend_from_slice(&[0x41; 40]);
    let rec = l.c.test_record(content::HEARTBEAT, 1, &msg).unwrap();
    l.s.feed(&mut l.se, 0, &rec).unwrap();
    let mut buf = [0u8; 256];
    assert_eq!(l.s.poll_datagram(0, &mut buf).unwrap(), None, "no response");
    assert_eq!(l.s.stats().dropped_malformed, 1);
    // Padding shorter than 16 bytes: dropped too.
    let mut msg = vec![1u8, 0, 4, 1, 2, 3, 4];
    msg.extend_from_slice(&[0; 15]);
    let rec = l.c.test_record(content::HEARTBEAT, 1, &msg).unwrap();
    l.s.feed(&mut l.se, 0, &rec).unwrap();
    assert_eq!(l.s.poll_datagram(0, &mut buf).unwrap(), None);
    // A well-formed request is answered with exactly its payload.
    let mut msg = vec![1u8, 0, 4, 9, 8, 7, 6];
    msg.extend_from_slice(&[0; 16]);
    let rec = l.c.test_record(content::HEARTBEAT, 1, &msg).unwrap();
    l.s.feed(&mut l.se, 0, &rec).unwrap();
    assert!(l.s.poll_datagram(0, &mut buf).unwrap().is_some());
    assert_eq!(l.s.state(), State::Connected);
}

/// RFC 6520 4: every request is answered with its payload. The engine keeps
/// the payload until the response is polled, up to
/// NANODTLS_MAX_HEARTBEAT_PAYLOAD bytes (by default any request that fits a
/// 512-byte record, e.g. GnuTLS's 284-byte pings); a larger one is dropped
/// and counted as oversize, never truncated.
#[test]
fn heartbeat_payload_up_to_the_knob_is_echoed_larger_is_dropped() {
    use nanodtls::sizes::NANODTLS_MAX_HEARTBEAT_PAYLOAD as MAX;
    let mut l = hb_pair(true, true);
    let mut buf = [0u8; 2048];
    for (n, answered) in [(MAX, true), (MAX + 1, false)] {
        let payload: Vec<u8> = (0..n).map(|i| i as u8 ^ 0x5a).collect();
        let mut msg = vec![1u8, (n >> 8) as u8, n as u8];
        msg.extend_from_slice(&payload);
        msg.extend_from_slice(&[0; 16]);
        let rec = l.c.test_record(content::HEARTBEAT, 1, &msg).unwrap();
        let before = l.s.stats().dropped_oversize;
        l.s.feed(&mut l.se, 0, &rec).unwrap();
        let got = l.s.poll_datagram(0, &mut buf).unwrap();
        assert_eq!(got.is_some(), answered, "payload of {n} bytes (knob {MAX})");
        assert_eq!(l.s.stats().dropped_oversize, before + u32::from(!answered));
        if let Some(len) = got {
            // Delivered to the client, the response carries exactly the
            // request's payload: 1 + 2 + n + 16 bytes of plaintext.
            let rec = buf[..len].to_vec();
            assert_eq!(rec[0], content::HEARTBEAT);
            assert_eq!(usize::from(u16::from_be_bytes([rec[11], rec[12]])), 8 + 3 + n + 16 + 8);
            l.c.feed(&mut l.ce, 0, &rec).unwrap();
            assert_eq!(l.c.stats().dropped_malformed + l.c.stats().dropped_auth, 0);
        }
        assert_eq!(l.s.state(), State::Connected);
    }
}

#[test]
fn heartbeat_not_negotiated() {
    let mut l = hb_pair(true, false);
    assert!(!l.c.heartbeat_negotiated());
    assert_eq!(l.c.heartbeat(&mut l.ce, 0), Err(Error::Unsupported));
    // Unsolicited heartbeats are dropped, never answered.
    let mut msg = vec![1u8, 0, 1, 0x55];
    msg.extend_from_slice(&[0; 16]);
    let rec = l.c.test_record(content::HEARTBEAT, 1, &msg).unwrap();
    l.s.feed(&mut l.se, 0, &rec).unwrap();
    let mut buf = [0u8; 256];
    assert_eq!(l.s.poll_datagram(0, &mut buf).unwrap(), None);
}

#[test]
fn resumed_server_hello_keeps_renegotiation_info() {
    // RFC 5746 3.6: every ServerHello answers renegotiation_info, resumed
    // ones too (OpenSSL refuses the resumption otherwise).
    let (c, s) = (client_config(), server_config());
    let (blob, se, _, _) = first_handshake(&c, &s);
    let mut client = new_conn(&c);
    client.set_psk(PSK_ID, &PSK).unwrap();
    client.import_session(&blob).unwrap();
    let mut l = Lock::new(client, psk_server(&s), TestEnv::new(60), se);
    let mut server_hello = None;
    while let Some((to_server, d)) = l.step() {
        if !to_server && d.len() > 25 && d[13] == 2 {
            server_hello = Some(d);
        }
    }
    assert!(l.connected() && l.s.resumed());
    let sh = server_hello.unwrap();
    assert!(sh.windows(5).any(|w| w == [0xff, 0x01, 0x00, 0x01, 0x00]), "renegotiation_info missing");
}

#[test]
fn server_name_that_is_not_a_host_name_goes_to_the_application() {
    // RFC 6066 forbids clients to send IP literals, but libcoap does; a
    // server must not fail the handshake with decode_error for it.
    let mut cfg = server_config();
    cfg.require_cookie = false;
    let mut s = psk_server(&cfg);
    let mut env = TestEnv::new(61);
    env.sni_answer = Some(true);
    let name = b"127.0.0.1";
    let mut ext = vec![0x00, 0x00];
    let list_len = 3 + name.len();
    ext.extend_from_slice(&((list_len + 2) as u16).to_be_bytes());
    ext.extend_from_slice(&(list_len as u16).to_be_bytes());
    ext.push(0);
    ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
    ext.extend_from_slice(name);
    let mut body = vec![0xfe, 0xfd];
    body.extend_from_slice(&[9u8; 32]);
    body.extend_from_slice(&[0, 0, 0, 2, 0xc0, 0xa8, 1, 0]);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut rec = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1];
    let mut hs = vec![1, 0, 0, body.len() as u8, 0, 0, 0, 0, 0, 0, 0, body.len() as u8];
    hs.extend_from_slice(&body);
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    s.feed(&mut env, 0, &rec).unwrap();
    assert_eq!(s.state(), State::ServerWaitClientKeyExchange);
    assert_eq!(env.sni_seen, vec![name.to_vec()]);
    assert_eq!(s.server_name(), name);
}

#[test]
fn datagrams_stay_within_one_record_after_max_fragment_length() {
    // Peers that asked for 512-byte records may size their receive buffer
    // for one record (GnuTLS drops the rest of a larger datagram).
    let mut c = client_config();
    c.max_fragment_length = 512;
    let mut l = Lock::new(psk_client(&c), psk_server(&server_config()), TestEnv::new(62), TestEnv::new(63));
    l.run();
    assert!(l.connected());
    for _ in 0..3 {
        l.s.write(&[1u8; 400]).unwrap();
    }
    let mut buf = [0u8; 2048];
    let mut n_dgrams = 0;
    while let Some(n) = l.s.poll_datagram(0, &mut buf).unwrap() {
        assert!(n <= 512 + 13 + 8 + 16, "datagram of {n} bytes");
        n_dgrams += 1;
    }
    assert_eq!(n_dgrams, 3);
}
