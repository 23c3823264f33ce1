//! The server endpoint at its limits: stateless cookies that expire (RFC
//! 6347 4.2.1), ClientHellos larger than the reassembly buffer, a failing
//! RNG, and what the counters and the per-peer bookkeeping say about the
//! slots (RFC 6347 4.2.8: one association per address).

mod common;

use common::*;
use nanodtls::handshake::msg;
use nanodtls::record::{self, content};
use nanodtls::{Connection, Endpoint, PeerSlot};

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
        self.ep.feed(&mut self.slots, &mut self.env, now, addr, d)
    }

    /// Everything the endpoint sends to `addr` (the rest is dropped).
    fn poll_for(&mut self, now: u64, addr: &[u8]) -> Vec<Vec<u8>> {
        let mut out = vec![];
        let (mut buf, mut a) = ([0u8; 2048], [0u8; 64]);
        while let Some((n, al)) = self.ep.poll_datagram(&mut self.slots, now, &mut buf, &mut a).unwrap() {
            if &a[..al] == addr {
                out.push(buf[..n].to_vec());
            }
        }
        out
    }
}

/// A client at `addr` that did the cookie exchange at `now`: the client and
/// its second ClientHello (with the cookie), not delivered yet.
fn second_hello(e: &mut Ep, now: u64, addr: &[u8], seed: u64) -> (Box<Connection>, TestEnv, Vec<u8>) {
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
