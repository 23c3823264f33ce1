//! record_size_limit (RFC 8449), both roles: negotiation, precedence over
//! max_fragment_length, the rules for its value, and the limits it puts on
//! what we send and what we accept.

mod common;
use common::*;
use nanodtls::alert;
use nanodtls::record::content;
use nanodtls::{Config, Error, State};

const RSL: u16 = 28;
const MFL: u16 = 1;

impl Wire {
    fn new(ccfg: &Config, scfg: &Config) -> Wire {
        Self::with(ccfg, scfg, Box::new(|_, _| {}))
    }
    fn with(ccfg: &Config, scfg: &Config, tamper: Tamper) -> Wire {
        Self::parts(psk_client(ccfg), psk_server(scfg), TestEnv::new(81), TestEnv::new(82), tamper)
    }
    /// The extensions of the first ClientHello / ServerHello delivered.
    fn hello_exts(&self, to_server: bool) -> Vec<(u16, Vec<u8>)> {
        self.log.iter().filter(|(t, _)| *t == to_server).find_map(|(_, d)| hello_extensions(d)).expect("a hello")
    }
}

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?])))
}

/// Extensions of a ClientHello or ServerHello that starts a datagram (epoch
/// 0, unfragmented), else None.
fn hello_extensions(d: &[u8]) -> Option<Vec<(u16, Vec<u8>)>> {
    if d.len() < 25 || d[0] != content::HANDSHAKE || d[3..5] != [0, 0] {
        return None;
    }
    let msg_type = d[13];
    let body = &d[25..];
    let mut at = 2 + 32;
    let vec8 = |at: usize| Some(1 + usize::from(*body.get(at)?));
    match msg_type {
        1 => {
            at += vec8(at)?; // session_id
            at += vec8(at)?; // cookie
            at += 2 + be16(body, at)?; // suites
            at += vec8(at)?; // compression
        }
        2 => at += vec8(at)? + 3,
        _ => return None,
    }
    let end = at + 2 + be16(body, at)?;
    at += 2;
    let mut out = vec![];
    while at < end {
        let t = be16(body, at)? as u16;
        let n = be16(body, at + 2)?;
        out.push((t, body.get(at + 4..at + 4 + n)?.to_vec()));
        at += 4 + n;
    }
    Some(out)
}

/// Run the handshake deadline out; the fatal alert sent then.
fn alert_at_deadline(c: &mut Peer) -> u8 {
    let t = u64::from(c.config().handshake_timeout_ms) + 1_000_000;
    assert_eq!(c.handle_timeout(t), Err(Error::Timeout));
    let a = c.last_alert();
    assert!(a.sent && a.level == alert::FATAL);
    a.description
}

fn find(exts: &[(u16, Vec<u8>)], t: u16) -> Option<Vec<u8>> {
    exts.iter().find(|(x, _)| *x == t).map(|(_, d)| d.clone())
}

/// Replace the record_size_limit value `from` by `to` in an epoch-0 datagram.
fn patch_rsl(d: &mut [u8], from: u16, to: u16) -> bool {
    let [a, b] = from.to_be_bytes();
    let pat = [0, 28, 0, 2, a, b];
    if let Some(i) = d.windows(6).position(|w| w == pat) {
        d[i + 4..i + 6].copy_from_slice(&to.to_be_bytes());
        return true;
    }
    false
}

fn rsl_client(limit: u16) -> Config {
    let mut c = client_config();
    c.record_size_limit = limit;
    c
}

fn nocookie_server() -> Config {
    let mut s = server_config();
    s.require_cookie = false;
    s
}

#[test]
fn negotiated_both_ways_with_each_sides_own_value() {
    let mut s = server_config();
    s.record_size_limit = 900;
    let mut w = Wire::new(&rsl_client(600), &s);
    w.run();
    assert!(w.connected());
    assert_eq!(find(&w.hello_exts(true), RSL), Some(600u16.to_be_bytes().to_vec()));
    assert_eq!(find(&w.hello_exts(false), RSL), Some(900u16.to_be_bytes().to_vec()));
    assert_eq!(w.c.record_size_limits(), Some((600, 900)));
    assert_eq!(w.s.record_size_limits(), Some((900, 600)));
    // Each side sends within the other's value.
    assert_eq!((w.c.record_limit(), w.s.record_limit()), (900, 600));
    assert_eq!((w.c.max_write(), w.s.max_write()), (900, 600));
    assert_eq!(w.s.write(&[0u8; 601]), Err(Error::TooLarge));
    assert_eq!(w.c.write(&[0u8; 901]), Err(Error::TooLarge));
    // Asymmetric: the client sends records larger than its own limit.
    w.s.write(&[5u8; 600]).unwrap();
    w.c.write(&[6u8; 900]).unwrap();
    w.pump();
    w.run();
    assert_eq!(w.c.rx.pop_front(), Some(vec![5u8; 600]));
    assert_eq!(w.s.rx.pop_front(), Some(vec![6u8; 900]));
}

#[test]
fn not_offered_not_answered() {
    // No offer (the default): no extension either way, limits as before.
    let mut w = Wire::new(&client_config(), &server_config());
    w.run();
    assert!(w.connected());
    assert_eq!(find(&w.hello_exts(true), RSL), None);
    assert_eq!(find(&w.hello_exts(false), RSL), None);
    assert_eq!(w.c.record_size_limits(), None);
    assert_eq!((w.c.record_limit(), w.s.record_limit()), (16384, 16384));
}

#[test]
fn server_value_follows_its_mtu_by_default() {
    // Server record_size_limit 0: the largest plaintext whose CCM record
    // fits its MTU, but not below 512 (GnuTLS clients refuse less).
    for mtu in [1280u16, 800, 549] {
        let mut s = server_config();
        s.mtu = mtu;
        let mut w = Wire::new(&rsl_client(1000), &s);
        w.run();
        assert!(w.connected(), "mtu {mtu}");
        let want = mtu - 37;
        assert_eq!(w.c.record_size_limits(), Some((1000, want)));
        assert_eq!(w.c.record_limit(), usize::from(want));
        // A full record of the client fits the server's MTU exactly.
        w.c.write(&vec![1u8; usize::from(want).min(w.c.max_write())]).unwrap();
        let mut buf = [0u8; 2048];
        let n = w.c.poll_datagram(0, &mut buf).unwrap().unwrap();
        assert!(n <= usize::from(mtu), "{n} > {mtu}");
    }
    for mtu in [548u16, 200, 128] {
        let mut s = server_config();
        s.mtu = mtu;
        let mut w = Wire::new(&rsl_client(1000), &s);
        w.run();
        assert!(w.connected(), "mtu {mtu}");
        assert_eq!(w.c.record_size_limits(), Some((1000, 512)), "mtu {mtu}");
    }
    // A configured value below 512 is announced as it is.
    let mut s = server_config();
    s.record_size_limit = 64;
    let mut w = Wire::new(&rsl_client(1000), &s);
    w.run();
    assert!(w.connected());
    assert_eq!(w.c.record_limit(), 64);
}

#[test]
fn preferred_over_max_fragment_length_and_never_both() {
    let mut c = rsl_client(1000);
    c.max_fragment_length = 512;
    let mut w = Wire::new(&c, &server_config());
    w.run();
    assert!(w.connected());
    let ch = w.hello_exts(true);
    assert!(find(&ch, RSL).is_some() && find(&ch, MFL).is_some(), "the client offers both");
    let sh = w.hello_exts(false);
    assert!(find(&sh, RSL).is_some(), "server answers record_size_limit");
    assert_eq!(find(&sh, MFL), None, "a server never answers both (RFC 8449 section 5)");
    assert_eq!(w.s.record_limit(), 1000, "max_fragment_length 512 is ignored");
    assert_eq!(w.c.record_limit(), 1243);
    // Without record_size_limit the same client still gets max_fragment_length.
    let mut c = client_config();
    c.max_fragment_length = 512;
    let mut w = Wire::new(&c, &server_config());
    w.run();
    assert!(w.connected());
    assert_eq!(find(&w.hello_exts(false), MFL), Some(vec![1]));
    assert_eq!((w.c.record_limit(), w.s.record_limit(), w.c.record_size_limits()), (512, 512, None));
}

#[test]
fn client_offer_below_64_is_illegal_parameter() {
    // Unauthenticated: the ClientHello is refused (illegal_parameter, RFC
    // 8449 section 4) without any state change or answer: a spoofed one
    // must not end anything, and a good one still works afterwards.
    let tamper = Box::new(|to_server: bool, d: &mut Vec<u8>| {
        if to_server {
            patch_rsl(d, 1000, 63);
        }
    });
    let mut w = Wire::with(&rsl_client(1000), &nocookie_server(), tamper);
    w.run();
    assert_eq!(w.s.state(), State::ServerWaitClientHello);
    assert_eq!(w.s.stats().dropped_rejected, 1);
    assert_eq!(w.s.record_size_limits(), None);
    assert!(w.log.iter().all(|(to_server, _)| *to_server), "nothing answered");
    let nothing = Box::new(|_: bool, _: &mut Vec<u8>| {});
    let mut w = Wire::parts(psk_client(&rsl_client(1000)), w.s, TestEnv::new(83), w.se, nothing);
    w.run();
    assert!(w.connected());
    assert_eq!(w.s.record_size_limits(), Some((1243, 1000)));
    // 64 itself is legal: the server takes it (the handshake then fails at
    // Finished, the transcripts differing, but not on the value).
    let tamper = Box::new(|to_server: bool, d: &mut Vec<u8>| {
        if to_server {
            patch_rsl(d, 1000, 64);
        }
    });
    let mut w = Wire::with(&rsl_client(1000), &nocookie_server(), tamper);
    w.run();
    assert_ne!(w.s.state(), State::ServerWaitClientHello);
    assert_eq!(w.s.record_size_limits().map(|l| l.1), Some(64));
}

#[test]
fn server_answer_below_64_is_illegal_parameter() {
    let mut s = server_config();
    s.record_size_limit = 700;
    let tamper = Box::new(|to_server: bool, d: &mut Vec<u8>| {
        if !to_server {
            patch_rsl(d, 700, 10);
        }
    });
    let mut w = Wire::with(&rsl_client(1000), &s, tamper);
    w.run();
    // Refused without a state change, reported at the deadline.
    assert_eq!(w.c.state(), State::ClientWaitServerHello);
    assert_eq!(w.c.record_size_limits(), None);
    assert_eq!(alert_at_deadline(&mut w.c), alert::ILLEGAL_PARAMETER);
}

#[test]
fn an_offer_the_server_cannot_see_is_not_answered() {
    // The offer's type renamed on the wire (an unknown extension, ignored):
    // the server answers nothing and applies no limit.
    let tamper = Box::new(|to_server: bool, d: &mut Vec<u8>| {
        if to_server {
            let pat = [0u8, 28, 0, 2, 0x03, 0xe8];
            if let Some(i) = d.windows(6).position(|w| w == pat) {
                d[i..i + 2].copy_from_slice(&[0x7f, 0x7f]);
            }
        }
    });
    let mut w = Wire::with(&rsl_client(1000), &nocookie_server(), tamper);
    w.run();
    assert_eq!(w.s.record_size_limits(), None);
    assert_eq!(find(&w.hello_exts(false), RSL), None);
}

#[test]
fn records_we_send_stay_within_the_peers_limit() {
    // Server limit 200: every record the client sends after the
    // ServerHello has at most 200 bytes of plaintext, and its datagrams
    // hold one record's worth.
    let mut s = server_config();
    s.record_size_limit = 200;
    let mut w = Wire::new(&rsl_client(300), &s);
    w.run();
    assert!(w.connected());
    assert_eq!(w.c.max_write(), 200);
    for _ in 0..3 {
        w.c.write(&[3u8; 200]).unwrap();
        w.s.write(&[4u8; 300]).unwrap();
    }
    w.pump();
    w.run();
    assert_eq!(w.s.rx.len(), 3);
    assert_eq!(w.c.rx.len(), 3);
    let mut client_records = 0;
    for (to_server, d) in &w.log {
        let limit = if *to_server { 200 } else { 300 };
        let mut r = nanodtls::codec::Reader::new(d);
        let mut in_dgram = 0;
        while !r.is_empty() {
            let rec = nanodtls::record::parse(&mut r).unwrap();
            let plain = if rec.epoch > 0 { rec.fragment.len() - 8 - 8 } else { rec.fragment.len() };
            assert!(
                plain <= limit,
                "{} record of {plain} bytes > {limit}",
                if *to_server { "client" } else { "server" }
            );
            if rec.epoch > 0 && rec.ctype == content::APPLICATION_DATA {
                in_dgram += 1;
                client_records += usize::from(*to_server);
            }
        }
        assert!(in_dgram <= 1);
    }
    assert_eq!(client_records, 3);
}

#[test]
fn a_protected_record_above_our_limit_is_record_overflow() {
    let mut w = Wire::new(&rsl_client(600), &server_config());
    w.run();
    assert!(w.connected());
    // Exactly the limit is fine.
    let ok = w.s.test_record(content::APPLICATION_DATA, 1, &[1u8; 600]).unwrap();
    w.c.feed(&mut w.ce, 0, &ok).unwrap();
    assert_eq!(w.c.rx.pop_front(), Some(vec![1u8; 600]));
    // One byte more: record_overflow (fatal).
    let big = w.s.test_record(content::APPLICATION_DATA, 1, &[1u8; 601]).unwrap();
    assert_eq!(w.c.feed(&mut w.ce, 0, &big), Err(Error::AlertSent));
    assert_eq!(w.c.last_alert().description, alert::RECORD_OVERFLOW);
    assert_eq!(w.c.state(), State::Failed);

    // The server enforces its own value the same way.
    let mut s = server_config();
    s.record_size_limit = 100;
    let mut w = Wire::new(&rsl_client(600), &s);
    w.run();
    assert!(w.connected());
    let big = w.c.test_record(content::APPLICATION_DATA, 1, &[1u8; 101]).unwrap();
    assert_eq!(w.s.feed(&mut w.se, 0, &big), Err(Error::AlertSent));
    assert_eq!(w.s.last_alert().description, alert::RECORD_OVERFLOW);
}

#[test]
fn a_forged_oversized_record_changes_nothing() {
    // A record above our limit that does not authenticate is dropped:
    // only an authenticated one is record_overflow.
    let mut w = Wire::new(&rsl_client(600), &server_config());
    w.run();
    let mut big = w.s.test_record(content::APPLICATION_DATA, 1, &[1u8; 700]).unwrap();
    let last = big.len() - 1;
    big[last] ^= 1;
    assert!(w.c.feed(&mut w.ce, 0, &big).is_ok());
    assert_eq!(w.c.state(), State::Connected);
    w.s.write(b"still here").unwrap();
    w.pump();
    w.run();
    assert_eq!(w.c.rx.pop_front(), Some(b"still here".to_vec()));
}

#[test]
fn configuration_values() {
    for (v, ok) in [(0u16, true), (63, false), (64, true), (1000, true), (16384, true), (16385, false)] {
        let mut c = client_config();
        c.record_size_limit = v;
        assert_eq!(c.validate().is_ok(), ok, "{v}");
        let mut s = server_config();
        s.record_size_limit = v;
        assert_eq!(s.validate().is_ok(), ok, "{v}");
    }
    let mut c = client_config();
    c.reserved_rsl = 1;
    assert_eq!(c.validate(), Err(Error::InvalidArgument));
}

#[test]
fn resumption_negotiates_it_again() {
    let ccfg = rsl_client(700);
    let scfg = server_config();
    let nothing = || Box::new(|_: bool, _: &mut Vec<u8>| {});
    let se = TestEnv::new(82).with_cache(4);
    let mut w = Wire::parts(psk_client(&ccfg), psk_server(&scfg), TestEnv::new(81), se, nothing());
    w.run();
    assert!(w.connected());
    let mut blob = [0u8; 512];
    let n = w.c.export_session(&mut blob).unwrap();
    let mut c2 = psk_client(&ccfg);
    c2.import_session(&blob[..n]).unwrap();
    let mut w2 = Wire::parts(c2, psk_server(&scfg), TestEnv::new(91), w.se, nothing());
    w2.run();
    assert!(w2.connected());
    assert!(w2.c.resumed());
    assert_eq!(find(&w2.hello_exts(false), RSL), Some(1243u16.to_be_bytes().to_vec()));
    assert_eq!(w2.c.record_size_limits(), Some((700, 1243)));
    assert_eq!(w2.s.record_limit(), 700);
}
