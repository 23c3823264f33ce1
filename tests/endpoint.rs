//! The server endpoint at its limits: stateless cookies that expire (RFC
//! 6347 4.2.1), ClientHellos larger than the reassembly buffer, a failing
//! RNG, and what the counters and the per-peer bookkeeping say about the
//! slots (RFC 6347 4.2.8: one association per address).

mod common;

use common::*;
use nanodtls::handshake::{self, msg};
use nanodtls::record::{self, content};
use nanodtls::{Endpoint, Event, PeerCounts, PeerSlot, State};

/// An endpoint with `n` slots and its own RNG environment.
struct Ep {
    ep: Box<Endpoint>,
    slots: Vec<PeerSlot>,
    env: TestEnv,
}

impl Ep {
    fn new(n: usize) -> Ep {
        let p = EndpointParty::new(&server_config(), n);
        Ep { ep: p.ep, slots: p.slots, env: TestEnv::new(99) }
    }

    fn feed(&mut self, now: u64, addr: &[u8], d: &[u8]) -> Result<(), nanodtls::Error> {
        let (ep, slots, env) = (&mut self.ep, &mut self.slots, &mut self.env);
        feed_all(d, |b| ep.feed(slots, env, now, addr, b)).map(|_| ())
    }

    /// Everything the endpoint sends to `addr` (the rest is dropped).
    fn poll_for(&mut self, now: u64, addr: &[u8]) -> Vec<Vec<u8>> {
        let mut out = vec![];
        let (mut buf, mut a) = ([0u8; 2048], [0u8; 64]);
        while let Some((n, al)) = self.ep.poll_datagram(&mut self.slots, &CertEnv(None), now, &mut buf, &mut a).unwrap()
        {
            if &a[..al] == addr {
                out.push(buf[..n].to_vec());
            }
        }
        out
    }
}

/// A client at `addr` that did the cookie exchange at `now`: the client and
/// its second ClientHello (with the cookie), not delivered yet.
fn second_hello(e: &mut Ep, now: u64, addr: &[u8], seed: u64) -> (Peer, TestEnv, Vec<u8>) {
    let mut c = psk_client(&client_config());
    let mut env = TestEnv::new(seed);
    c.connect(&mut env, now).unwrap();
    let mut buf = [0u8; 2048];
    let n = c.poll_datagram(now, &mut buf).unwrap().unwrap();
    e.feed(now, addr, &buf[..n]).unwrap();
    let hvr = e.poll_for(now, addr);
    assert_eq!(hvr.len(), 1);
    c.feed(&mut env, now, &hvr[0]).unwrap();
    let n = c.poll_datagram(now, &mut buf).unwrap().unwrap();
    (c, env, buf[..n].to_vec())
}

/// Message type of the first handshake message in a datagram, if any.
fn first_handshake_type(d: &[u8]) -> Option<u8> {
    (d.first() == Some(&content::HANDSHAKE)).then(|| d[record::HEADER_LEN])
}

#[test]
fn a_cookie_from_before_a_long_silence_is_refused() {
    // Reported: one cookie was accepted after 30 days of clock time. The
    // secret rotated only when a ClientHello came, so the first one after
    // the silence made the stale secret the "previous" one.
    let lifetime = u64::from(server_config().cookie_lifetime_ms);
    for (delay, accepted) in
        [(lifetime, true), (2 * lifetime - 1, true), (2 * lifetime, false), (30 * 86_400_000, false)]
    {
        let mut e = Ep::new(1);
        let (_, _, ch2) = second_hello(&mut e, 0, b"client-a", 1);
        e.feed(delay, b"client-a", &ch2).unwrap();
        let out = e.poll_for(delay, b"client-a");
        assert_eq!(e.ep.stats().slots_allocated, u32::from(accepted), "cookie {delay} ms old");
        if accepted {
            assert_eq!(first_handshake_type(&out[0]), Some(msg::SERVER_HELLO));
        } else {
            // A fresh cookie exchange instead.
            assert_eq!(e.ep.stats().hello_verify_requests, 2);
            assert_eq!(out.len(), 1);
            assert_eq!(first_handshake_type(&out[0]), Some(msg::HELLO_VERIFY_REQUEST));
        }
    }
}

/// `datagram` (one record with an unfragmented ClientHello) with a padding
/// extension (RFC 7685) that makes the message `extra + 4` bytes longer.
/// The cookie does not cover extensions, so it stays valid.
fn pad_client_hello(datagram: &[u8], extra: usize) -> Vec<u8> {
    let h = record::HEADER_LEN;
    let b = h + handshake::HEADER_LEN;
    assert_eq!(datagram[h], msg::CLIENT_HELLO);
    let body = &datagram[b..];
    let mut at = 2 + 32;
    at += 1 + usize::from(body[at]); // session_id
    at += 1 + usize::from(body[at]); // cookie
    at += 2 + usize::from(u16::from_be_bytes([body[at], body[at + 1]])); // suites
    at += 1 + usize::from(body[at]); // compression methods
    let mut out = datagram[..b].to_vec();
    out.extend_from_slice(&body[..at]);
    let exts_len = if at < body.len() { usize::from(u16::from_be_bytes([body[at], body[at + 1]])) } else { 0 };
    out.extend_from_slice(&((exts_len + 4 + extra) as u16).to_be_bytes());
    if at < body.len() {
        out.extend_from_slice(&body[at + 2..]);
    }
    out.extend_from_slice(&[0, 21]);
    out.extend_from_slice(&(extra as u16).to_be_bytes());
    out.resize(out.len() + extra, 0);
    let body_len = (out.len() - b) as u32;
    out[h + 1..h + 4].copy_from_slice(&body_len.to_be_bytes()[1..]);
    out[h + 9..h + 12].copy_from_slice(&body_len.to_be_bytes()[1..]);
    let rec_len = (out.len() - h) as u16;
    out[11..13].copy_from_slice(&rec_len.to_be_bytes());
    out
}

#[test]
fn a_client_hello_too_large_to_reassemble_is_refused_before_it_takes_a_slot() {
    // Reported: a ClientHello over NANODTLS_MAX_HANDSHAKE_MSG with a valid
    // cookie got no answer and held a slot for the half-open timeout.
    let max = nanodtls::sizes::NANODTLS_MAX_HANDSHAKE_MSG;
    let mut e = Ep::new(1);
    let (mut c, mut env, ch2) = second_hello(&mut e, 0, b"client-a", 1);
    let message_len = ch2.len() - record::HEADER_LEN;
    // Exactly the limit still fits (and is served).
    let mut fits = Ep::new(1);
    let (_, _, ch2_fits) = second_hello(&mut fits, 0, b"client-a", 1);
    let at_limit = pad_client_hello(&ch2_fits, max - message_len - 4);
    assert_eq!(at_limit.len() - record::HEADER_LEN, max);
    fits.feed(0, b"client-a", &at_limit).unwrap();
    assert_eq!(fits.ep.stats().slots_allocated, 1);
    assert_eq!(fits.ep.stats().refused_too_large, 0);
    assert_eq!(first_handshake_type(&fits.poll_for(0, b"client-a")[0]), Some(msg::SERVER_HELLO));
    // One byte more: refused, no slot, a fatal internal_error at once.
    let over = pad_client_hello(&ch2, max - message_len - 3);
    e.feed(0, b"client-a", &over).unwrap();
    assert_eq!(e.ep.stats().slots_allocated, 0);
    assert_eq!(e.ep.stats().refused_too_large, 1);
    assert_eq!(e.ep.peers_in_use(&e.slots), 0);
    let out = e.poll_for(0, b"client-a");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0][0], content::ALERT);
    assert_eq!(&out[0][3..5], &[0, 0], "epoch 0");
    assert_eq!(&out[0][5..11], &over[5..11], "the ClientHello's record sequence number");
    assert_eq!(&out[0][record::HEADER_LEN..], &[2, 80]);
    // The client learns it at once instead of waiting for its deadline.
    assert_eq!(c.feed(&mut env, 0, &out[0]), Err(nanodtls::Error::AlertReceived));
    assert_eq!(c.last_alert().description, 80);
    // The slot stays free for the next client.
    let (_, _, other) = second_hello(&mut e, 5, b"client-b", 2);
    e.feed(5, b"client-b", &other).unwrap();
    assert_eq!(e.ep.stats().slots_allocated, 1);
    // Without a valid cookie the oversized ClientHello is only answered with
    // a HelloVerifyRequest (nothing is said to an unproven address).
    let mut fresh = psk_client(&client_config());
    let mut fenv = TestEnv::new(3);
    fresh.connect(&mut fenv, 10).unwrap();
    let mut buf = [0u8; 2048];
    let n = fresh.poll_datagram(10, &mut buf).unwrap().unwrap();
    e.feed(10, b"client-c", &pad_client_hello(&buf[..n], max)).unwrap();
    let out = e.poll_for(10, b"client-c");
    assert_eq!(out.len(), 1);
    assert_eq!(first_handshake_type(&out[0]), Some(msg::HELLO_VERIFY_REQUEST));
    assert_eq!(e.ep.stats().refused_too_large, 1);
}

/// A client at `addr` that completes its handshake with the endpoint at `now`.
fn connect(e: &mut Ep, now: u64, addr: &[u8], seed: u64) -> (Peer, TestEnv) {
    let mut c = psk_client(&client_config());
    let mut env = TestEnv::new(seed);
    c.connect(&mut env, now).unwrap();
    let mut buf = [0u8; 2048];
    for _ in 0..10 {
        while let Some(n) = c.poll_datagram(now, &mut buf).unwrap() {
            e.feed(now, addr, &buf[..n]).unwrap();
        }
        for d in e.poll_for(now, addr) {
            c.feed(&mut env, now, &d).unwrap();
        }
    }
    assert_eq!(c.state(), State::Connected);
    (c, env)
}

#[test]
fn the_slot_counts_tell_handshaking_connected_and_ended_peers_apart() {
    // Reported: peers_in_use counted closed peers until their slot was
    // reclaimed, so a server whose clients had all gone looked busy.
    let mut e = Ep::new(3);
    let counts = |e: &Ep| e.ep.peer_counts(&e.slots);
    assert_eq!(counts(&e), PeerCounts::default());
    let (mut a, mut aenv) = connect(&mut e, 0, b"client-a", 1);
    let (_, _, ch2) = second_hello(&mut e, 0, b"client-b", 2);
    e.feed(0, b"client-b", &ch2).unwrap();
    e.poll_for(0, b"client-b");
    assert_eq!(counts(&e), PeerCounts { handshaking: 1, connected: 1, ended: 0 });
    assert_eq!(e.ep.peers_in_use(&e.slots), 2);
    // A closes: its slot stays (until a new peer needs it) but it is not busy.
    a.close().unwrap();
    let mut buf = [0u8; 2048];
    let n = a.poll_datagram(0, &mut buf).unwrap().unwrap();
    e.feed(1, b"client-a", &buf[..n]).unwrap();
    for d in e.poll_for(1, b"client-a") {
        let _ = a.feed(&mut aenv, 1, &d);
    }
    assert_eq!(counts(&e), PeerCounts { handshaking: 1, connected: 0, ended: 1 });
    assert_eq!(e.ep.peers_in_use(&e.slots), 2);
    // B's handshake fails at its deadline: ended too.
    let t = u64::from(server_config().handshake_timeout_ms);
    e.ep.handle_timeout(&mut e.slots, t);
    assert_eq!(counts(&e), PeerCounts { handshaking: 0, connected: 0, ended: 2 });
    // A new client takes the free slot, then one of the ended ones.
    connect(&mut e, t + 1, b"client-c", 3);
    connect(&mut e, t + 2, b"client-d", 4);
    connect(&mut e, t + 3, b"client-e", 5);
    assert_eq!(counts(&e), PeerCounts { handshaking: 0, connected: 3, ended: 0 });
    assert_eq!(e.ep.stats().slots_reclaimed, 2);
}

#[test]
fn an_rng_failure_refreshing_the_cookie_secret_is_reported() {
    // Reported: the ClientHello was dropped and counted as a datagram from
    // an unknown peer; nothing said the RNG had failed.
    let mut e = Ep::new(1);
    let mut c = psk_client(&client_config());
    let mut cenv = TestEnv::new(1);
    c.connect(&mut cenv, 0).unwrap();
    let mut buf = [0u8; 2048];
    let n = c.poll_datagram(0, &mut buf).unwrap().unwrap();
    e.env.fail_rng = true;
    assert_eq!(e.feed(0, b"client-a", &buf[..n]), Err(nanodtls::Error::Rng));
    assert_eq!(e.ep.stats().rng_failures, 1);
    assert_eq!(e.ep.stats().dropped_unknown_peer, 0);
    assert_eq!(e.ep.stats().hello_verify_requests, 0);
    assert!(e.poll_for(0, b"client-a").is_empty());
    // Nothing changed: once the RNG works again the client gets through.
    e.env.fail_rng = false;
    assert_eq!(e.feed(1, b"client-a", &buf[..n]), Ok(()));
    assert_eq!(e.ep.stats().hello_verify_requests, 1);
    assert_eq!(e.ep.stats().rng_failures, 1);
}

#[test]
fn an_endpoint_poll_buffer_below_the_minimum_mtu_is_refused() {
    // As for a connection (tests/negative.rs): BufferTooSmall whenever a
    // datagram waits, for a HelloVerifyRequest and for a peer's flight.
    let min = usize::from(nanodtls::config::MIN_MTU);
    let mut e = Ep::new(1);
    let mut c = psk_client(&client_config());
    let mut env = TestEnv::new(1);
    c.connect(&mut env, 0).unwrap();
    let mut buf = [0u8; 2048];
    let mut a = [0u8; 64];
    let n = c.poll_datagram(0, &mut buf).unwrap().unwrap();
    e.feed(0, b"client-a", &buf[..n]).unwrap();
    let small = e.ep.poll_datagram(&mut e.slots, &CertEnv(None), 0, &mut buf[..min - 1], &mut a);
    assert_eq!(small, Err(nanodtls::Error::BufferTooSmall), "HelloVerifyRequest (44 bytes) waits");
    let hvr = e.poll_for(0, b"client-a");
    assert_eq!(hvr.len(), 1);
    c.feed(&mut env, 0, &hvr[0]).unwrap();
    let n = c.poll_datagram(0, &mut buf).unwrap().unwrap();
    e.feed(0, b"client-a", &buf[..n]).unwrap();
    let small = e.ep.poll_datagram(&mut e.slots, &CertEnv(None), 0, &mut buf[..60], &mut a);
    assert_eq!(small, Err(nanodtls::Error::BufferTooSmall), "the ServerHello flight waits");
    assert_eq!(first_handshake_type(&e.poll_for(0, b"client-a")[0]), Some(msg::SERVER_HELLO));
    assert_eq!(e.ep.poll_datagram(&mut e.slots, &CertEnv(None), 0, &mut buf[..60], &mut a), Ok(None));
}

/// Every pending event: (event, address, user value).
fn events(e: &mut Ep) -> Vec<(Event, Vec<u8>, usize)> {
    let mut out = vec![];
    let mut a = [0u8; 64];
    while let Some((ev, n, user)) = e.ep.poll_event_with_user(&mut e.slots, &mut a).unwrap() {
        out.push((ev, a[..n].to_vec(), user));
    }
    out
}

/// The client `c` closes; its close_notify reaches the endpoint.
fn close(e: &mut Ep, now: u64, addr: &[u8], c: &mut Peer) {
    c.close().unwrap();
    let mut buf = [0u8; 2048];
    let n = c.poll_datagram(now, &mut buf).unwrap().unwrap();
    e.feed(now, addr, &buf[..n]).unwrap();
    e.poll_for(now, addr);
}

#[test]
fn a_peer_user_value_lives_until_the_slot_is_released_and_comes_back_once() {
    let mut e = Ep::new(1);
    let (mut a, _) = connect(&mut e, 0, b"client-a", 1);
    assert_eq!(events(&mut e), vec![(Event::Connected, b"client-a".to_vec(), 0)]);
    assert_eq!(e.ep.set_peer_user(&mut e.slots, b"client-x", 7), Err(nanodtls::Error::UnknownPeer));
    e.ep.set_peer_user(&mut e.slots, b"client-a", 0xa1).unwrap();
    assert_eq!(e.ep.peer_user(&e.slots, b"client-a"), Some(0xa1));
    // Closed: the slot (and the value) stay until someone needs the slot.
    close(&mut e, 1, b"client-a", &mut a);
    assert_eq!(events(&mut e), vec![(Event::Closed, b"client-a".to_vec(), 0xa1)]);
    assert_eq!(e.ep.peer_user(&e.slots, b"client-a"), Some(0xa1));
    // B takes the slot: A is released, its value handed back once.
    connect(&mut e, 2, b"client-b", 2);
    assert_eq!(
        events(&mut e),
        vec![(Event::Released, b"client-a".to_vec(), 0xa1), (Event::Connected, b"client-b".to_vec(), 0)]
    );
    assert_eq!(e.ep.peer_user(&e.slots, b"client-a"), None);
    assert_eq!(e.ep.peer_user(&e.slots, b"client-b"), Some(0));
    // A connected peer that goes silent loses its slot to a new client
    // without any other event: Released says so.
    e.ep.set_timeouts(1000, 10_000);
    e.ep.set_peer_user(&mut e.slots, b"client-b", 0xb2).unwrap();
    connect(&mut e, 1002, b"client-c", 3);
    assert_eq!(
        events(&mut e),
        vec![(Event::Released, b"client-b".to_vec(), 0xb2), (Event::Connected, b"client-c".to_vec(), 0)]
    );
    assert_eq!(e.ep.stats().slots_reclaimed, 2);
    // The same address starting over (a rebooted device): the old
    // association's value comes back before the new one connects.
    e.ep.set_peer_user(&mut e.slots, b"client-c", 0xc3).unwrap();
    connect(&mut e, 1003, b"client-c", 4);
    assert_eq!(
        events(&mut e),
        vec![(Event::Released, b"client-c".to_vec(), 0xc3), (Event::Connected, b"client-c".to_vec(), 0)]
    );
    // A peer without a value is released silently, as before.
    connect(&mut e, 3000, b"client-d", 5);
    assert_eq!(events(&mut e), vec![(Event::Connected, b"client-d".to_vec(), 0)]);
}

#[test]
fn a_slot_with_a_user_value_is_not_reclaimed_while_its_release_cannot_be_reported() {
    use nanodtls::endpoint::RELEASE_QUEUE;
    let mut e = Ep::new(1);
    let addr = |i: usize| format!("client-{i}").into_bytes();
    let (mut c, _) = connect(&mut e, 0, &addr(0), 10);
    // RELEASE_QUEUE peers with values are released, nobody polls events.
    for i in 0..RELEASE_QUEUE {
        e.ep.set_peer_user(&mut e.slots, &addr(i), 100 + i).unwrap();
        close(&mut e, 0, &addr(i), &mut c);
        c = connect(&mut e, 0, &addr(i + 1), 11 + i as u64).0;
    }
    // The next one cannot be reported: its slot is not taken.
    let n = RELEASE_QUEUE;
    e.ep.set_peer_user(&mut e.slots, &addr(n), 100 + n).unwrap();
    close(&mut e, 0, &addr(n), &mut c);
    let before = e.ep.stats().dropped_no_slot;
    let mut late = psk_client(&client_config());
    let mut lenv = TestEnv::new(50);
    late.connect(&mut lenv, 0).unwrap();
    let mut buf = [0u8; 2048];
    for _ in 0..3 {
        while let Some(n) = late.poll_datagram(0, &mut buf).unwrap() {
            e.feed(0, b"late", &buf[..n]).unwrap();
        }
        for d in e.poll_for(0, b"late") {
            late.feed(&mut lenv, 0, &d).unwrap();
        }
    }
    assert_eq!(late.state(), State::ClientWaitServerHello);
    assert_eq!(e.ep.stats().dropped_no_slot, before + 1);
    assert_eq!(e.ep.peer_user(&e.slots, &addr(n)), Some(100 + n));
    // Once the events are polled the slot goes, and its release is reported.
    let ev = events(&mut e);
    let released: Vec<usize> = ev.iter().filter(|(k, _, _)| *k == Event::Released).map(|(_, _, u)| *u).collect();
    assert_eq!(released, (100..100 + RELEASE_QUEUE).collect::<Vec<_>>());
    connect(&mut e, 1, b"late2", 60);
    assert_eq!(events(&mut e)[0], (Event::Released, addr(n), 100 + n));
}
