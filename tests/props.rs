//! Property tests: random and mutated datagrams fed to client, server and
//! endpoint in every state of a handshake never panic, and never harm an
//! established connection.

mod common;
use common::*;
use nanodtls::State;
use proptest::prelude::*;

/// Drive a clean lock-step handshake, stopping after `steps` deliveries.
/// Returns the parties and every datagram sent so far.
fn handshake_until(steps: usize, seed: u64, mtu: u16) -> (Peer, Peer, TestEnv, TestEnv, Vec<Vec<u8>>) {
    let mut cc = client_config();
    let mut sc = server_config();
    cc.mtu = mtu;
    sc.mtu = mtu;
    let mut c = psk_client(&cc);
    let mut s = psk_server(&sc);
    let mut ce = TestEnv::new(seed);
    let mut se = TestEnv::new(seed + 1);
    c.connect(&mut ce, 0).unwrap();
    let mut queue: std::collections::VecDeque<(bool, Vec<u8>)> = Default::default();
    let mut seen = vec![];
    let mut buf = [0u8; 2048];
    let mut delivered = 0;
    loop {
        while let Some(n) = c.poll_datagram(0, &mut buf).unwrap() {
            queue.push_back((true, buf[..n].to_vec()));
            seen.push(buf[..n].to_vec());
        }
        while let Some(n) = s.poll_datagram(0, &mut buf).unwrap() {
            queue.push_back((false, buf[..n].to_vec()));
            seen.push(buf[..n].to_vec());
        }
        if delivered >= steps {
            break;
        }
        let Some((to_server, d)) = queue.pop_front() else { break };
        if to_server {
            let _ = s.feed(&mut se, 0, &d);
        } else {
            let _ = c.feed(&mut ce, 0, &d);
        }
        delivered += 1;
    }
    (c, s, ce, se, seen)
}

fn feed_junk(conn: &mut Peer, env: &mut TestEnv, junk: &[Vec<u8>]) {
    let mut buf = [0u8; 2048];
    for d in junk {
        let _ = conn.feed(env, 0, d);
        while let Ok(Some(_)) = conn.read(&mut buf) {}
        while let Ok(Some(_)) = conn.poll_datagram(0, &mut buf) {}
        let _ = conn.handle_timeout(500);
        let _ = conn.timeout_ms(0);
    }
}

/// A datagram: random bytes, or a real one with mutations.
fn datagram_strategy() -> impl Strategy<Value = Spec> {
    (
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..400),
        prop::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        any::<usize>(),
    )
}

/// (mutate a real datagram?, random bytes, byte flips, which real datagram)
type Spec = (bool, Vec<u8>, Vec<(usize, u8)>, usize);

fn build_junk(seen: &[Vec<u8>], specs: &[Spec]) -> Vec<Vec<u8>> {
    specs
        .iter()
        .map(|(mutate_real, random, flips, pick)| {
            if *mutate_real && !seen.is_empty() {
                let mut d = seen[pick % seen.len()].clone();
                for (at, x) in flips {
                    if !d.is_empty() {
                        let i = at % d.len();
                        d[i] ^= x;
                    }
                }
                if let Some((cut, _)) = flips.first() {
                    if cut % 4 == 0 && !d.is_empty() {
                        let keep = cut % d.len();
                        d.truncate(keep);
                    }
                }
                d
            } else {
                // Random bytes behind a plausible DTLS record header.
                let mut d = random.clone();
                if d.len() > 13 && random[0] % 2 == 0 {
                    d[0] = 20 + random[1] % 5;
                    d[1] = 0xfe;
                    d[2] = 0xfd;
                    d[3] = 0;
                    d[4] = random[2] % 2;
                    let len = (d.len() - 13) as u16;
                    d[11..13].copy_from_slice(&len.to_be_bytes());
                }
                d
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn junk_in_any_state_never_panics(
        steps in 0usize..8,
        mtu in prop::sample::select(vec![128u16, 300, 1280]),
        seed in 0u64..4,
        specs in prop::collection::vec(datagram_strategy(), 1..12),
    ) {
        let (mut c, mut s, mut ce, mut se, seen) = handshake_until(steps, seed, mtu);
        let c_connected = c.state() == State::Connected;
        let s_connected = s.state() == State::Connected;
        let junk = build_junk(&seen, &specs);
        feed_junk(&mut c, &mut ce, &junk);
        feed_junk(&mut s, &mut se, &junk);
        // Established connections survive any junk (replays, forgeries,
        // plaintext alerts, renegotiation attempts only get warnings).
        if c_connected {
            prop_assert_eq!(c.state(), State::Connected);
        }
        if s_connected {
            prop_assert_eq!(s.state(), State::Connected);
        }
    }

    #[test]
    fn junk_to_an_endpoint_never_panics(
        specs in prop::collection::vec(datagram_strategy(), 1..16),
        addrs in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..4),
    ) {
        let (_, _, _, _, seen) = handshake_until(6, 1, 1280);
        let junk = build_junk(&seen, &specs);
        let mut ep = EndpointParty::new(&server_config(), 2);
        let mut env = TestEnv::new(5);
        let mut buf = [0u8; 2048];
        let mut abuf = [0u8; 64];
        for (i, d) in junk.iter().enumerate() {
            let addr = &addrs[i % addrs.len()];
            let _ = ep.feed_from(&mut env, i as u64, addr, d);
            while let Ok(Some(_)) = ep.poll_to(i as u64, &mut buf, &mut abuf) {}
            while let Ok(Some(_)) = ep.read_any(&mut buf, &mut abuf) {}
            while let Ok(Some(_)) = ep.ep.poll_event(&mut ep.slots, &mut abuf) {}
            ep.ep.handle_timeout(&mut ep.slots, i as u64 * 1000);
        }
    }

    #[test]
    fn parsers_never_panic(data in prop::collection::vec(any::<u8>(), 0..600)) {
        use nanodtls::codec::Reader;
        use nanodtls::handshake::{self, ext, msg};
        let _ = nanodtls::record::parse(&mut Reader::new(&data));
        let _ = handshake::parse_fragment(&mut Reader::new(&data));
        let _ = msg::client_hello::ClientHello::parse(&data);
        let _ = msg::server_hello::ServerHello::parse(&data);
        let _ = msg::hello_verify_request::parse(&data);
        let _ = msg::client_key_exchange::parse_psk(&data);
        let _ = msg::server_key_exchange::parse_psk(&data);
        let _ = ext::Extensions::parse(&data);
        let _ = ext::list8(&data);
        let _ = ext::list16(&data);
        let _ = msg::finished::parse(&data);
        #[cfg(feature = "ecc")]
        {
            let _ = msg::certificate::parse_raw_public_key(&data);
            let _ = msg::certificate::parse_x509(&data);
            let _ = msg::server_key_exchange::parse_ecdhe(&data);
            let _ = msg::client_key_exchange::parse_ecdh(&data);
            let _ = msg::certificate_request::parse(&data);
            let _ = msg::certificate_verify::parse(&data);
        }
    }
}

#[test]
fn junk_before_connect_on_a_client_is_misuse() {
    let mut c = psk_client(&client_config());
    let mut env = TestEnv::new(1);
    assert_eq!(c.feed(&mut env, 0, &[22, 0xfe, 0xfd]), Err(nanodtls::Error::WrongState));
    assert_eq!(c.state(), State::Idle);
}
