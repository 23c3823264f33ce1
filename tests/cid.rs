//! Connection ID (RFC 9146, feature `cid`): the extension (section 3), the
//! tls12_cid record and its inner plaintext (sections 4, 5), and the
//! endpoint's address update rules (section 6): a peer is found by its CID
//! whatever its source address, and its address moves only for an
//! authenticated record newer than any before it.
#![cfg(feature = "cid")]

mod common;

use common::*;
use nanodtls::record::content;
use nanodtls::{Config, Event, State};

const CID: u8 = content::TLS12_CID;

fn cid_cfg(mut c: Config, len: u8) -> Config {
    c.connection_id = true;
    c.cid_len = len;
    c
}

/// A client and a server (single connections) and their environments.
struct Two {
    c: Peer,
    s: Peer,
    ce: TestEnv,
    se: TestEnv,
    now: u64,
    /// Every datagram, (to_server, bytes), in order.
    wire: Vec<(bool, Vec<u8>)>,
}

impl Two {
    fn new(ccfg: &Config, scfg: &Config) -> Two {
        Two::with(psk_client(ccfg), psk_server(scfg), TestEnv::new(1), TestEnv::new(2))
    }

    fn with(c: Peer, s: Peer, ce: TestEnv, se: TestEnv) -> Two {
        Two { c, s, ce, se, now: 0, wire: vec![] }
    }

    /// Deliver everything both sides send until nothing moves.
    fn pump(&mut self) {
        let mut buf = [0u8; 2048];
        for _ in 0..50 {
            let mut any = false;
            while let Some(n) = self.c.poll_datagram(self.now, &mut buf).unwrap() {
                self.wire.push((true, buf[..n].to_vec()));
                let _ = self.s.feed(&mut self.se, self.now, &buf[..n]);
                any = true;
            }
            while let Some(n) = self.s.poll_datagram(self.now, &mut buf).unwrap() {
                self.wire.push((false, buf[..n].to_vec()));
                let _ = self.c.feed(&mut self.ce, self.now, &buf[..n]);
                any = true;
            }
            if !any {
                return;
            }
        }
    }

    fn handshake(&mut self) {
        self.c.connect(&mut self.ce, self.now).unwrap();
        self.pump();
        assert_eq!(self.c.state(), State::Connected);
        assert_eq!(self.s.state(), State::Connected);
    }

    /// A record from the client delivered to the server: what the server read.
    fn deliver(&mut self, d: &[u8]) -> Vec<Vec<u8>> {
        self.s.feed(&mut self.se, self.now, d).unwrap();
        let mut got = vec![];
        let mut buf = [0u8; 2048];
        while let Some(n) = self.s.read(&mut buf).unwrap() {
            got.push(buf[..n].to_vec());
        }
        got
    }

    fn client_record(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = [0u8; 2048];
        let n = self.c.c.write(data, &mut out).unwrap();
        out[..n].to_vec()
    }

    fn server_record(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = [0u8; 2048];
        let n = self.s.c.write(data, &mut out).unwrap();
        out[..n].to_vec()
    }
}

fn connected(ccid: Option<u8>, scid: Option<u8>) -> Two {
    let c = ccid.map_or(client_config(), |l| cid_cfg(client_config(), l));
    let s = scid.map_or(server_config(), |l| cid_cfg(server_config(), l));
    let mut t = Two::new(&c, &s);
    t.handshake();
    t
}

#[test]
fn cid_negotiated_both_ways_and_data_flows() {
    let mut t = connected(Some(4), Some(6));
    assert!(t.c.cid_negotiated() && t.s.cid_negotiated());
    assert_eq!(t.c.rx_cid().len(), 4);
    assert_eq!(t.s.rx_cid().len(), 6);
    assert_eq!(t.c.tx_cid(), t.s.rx_cid());
    assert_eq!(t.s.tx_cid(), t.c.rx_cid());
    // The Finished records already carry the CIDs (epoch 1).
    let fin_c = t.wire.iter().rfind(|(to_s, d)| *to_s && d.windows(3).any(|w| w == [20, 0xfe, 0xfd]));
    let fin = fin_c.unwrap().1.clone();
    let at = fin.iter().position(|&b| b == CID).expect("the client's Finished is a tls12_cid record");
    assert_eq!(&fin[at + 11..at + 17], t.s.rx_cid());
    let up = t.client_record(b"up");
    assert_eq!(up[0], CID);
    assert_eq!(&up[11..17], t.s.rx_cid());
    assert_eq!(t.deliver(&up), vec![b"up".to_vec()]);
    let down = t.server_record(b"down");
    assert_eq!(down[0], CID);
    assert_eq!(&down[11..15], t.c.rx_cid());
    t.c.feed(&mut t.ce, 0, &down).unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(t.c.read(&mut buf).unwrap(), Some(4));
    assert_eq!(&buf[..4], b"down");
    // max_write accounts for the CID and inner type: the record fits the MTU.
    let big = vec![7u8; t.c.max_write()];
    let r = t.client_record(&big);
    assert!(r.len() <= usize::from(t.c.config().mtu));
    assert_eq!(t.deliver(&r), vec![big]);
}

#[test]
fn zero_length_cid_means_ordinary_records_towards_us() {
    // The client supports CID but wants none: the server sends ordinary
    // records, the client still sends the server's CID.
    let mut t = connected(Some(0), Some(5));
    assert!(t.c.cid_negotiated() && t.s.cid_negotiated());
    assert_eq!((t.c.rx_cid().len(), t.c.tx_cid().len()), (0, 5));
    let up = t.client_record(b"up");
    assert_eq!(up[0], CID);
    assert_eq!(t.deliver(&up), vec![b"up".to_vec()]);
    let down = t.server_record(b"down");
    assert_eq!(down[0], content::APPLICATION_DATA);
    t.c.feed(&mut t.ce, 0, &down).unwrap();
    assert!(t.c.has_unread());
    // And the other way round.
    let mut t = connected(Some(3), Some(0));
    assert_eq!(t.client_record(b"x")[0], content::APPLICATION_DATA);
    assert_eq!(t.server_record(b"y")[0], CID);
    assert_eq!(t.s.stats().dropped_cid, 0);
}

#[test]
fn no_cid_unless_both_sides_want_it() {
    for (c, s) in [(Some(4), None), (None, Some(4)), (None, None)] {
        let mut t = connected(c, s);
        assert!(!t.c.cid_negotiated() && !t.s.cid_negotiated(), "{c:?} {s:?}");
        assert!(t.c.tx_cid().is_empty() && t.c.rx_cid().is_empty());
        assert!(t.wire.iter().all(|(_, d)| d[0] != CID), "no tls12_cid record anywhere");
        // The ServerHello carries no connection_id unless asked for.
        let up = t.client_record(b"plain");
        assert_eq!(up[0], content::APPLICATION_DATA);
        assert_eq!(t.deliver(&up).len(), 1);
    }
}

#[test]
fn record_without_cid_on_a_cid_association_is_dropped_and_counted() {
    let mut t = connected(Some(4), Some(4));
    let plain = t.c.test_record_without_cid(content::APPLICATION_DATA, b"no cid").unwrap();
    assert_eq!(plain[0], content::APPLICATION_DATA);
    assert!(t.deliver(&plain).is_empty());
    assert_eq!(t.s.stats().dropped_cid, 1);
    // The window did not move: the genuine record after it is fine.
    let ok = t.client_record(b"ok");
    assert_eq!(t.deliver(&ok), vec![b"ok".to_vec()]);
    assert_eq!(t.s.state(), State::Connected);
}

#[test]
fn cid_record_without_negotiated_cid_is_dropped() {
    let mut with = connected(Some(4), Some(4));
    let rec = with.client_record(b"cid");
    let mut without = connected(None, None);
    assert!(without.deliver(&rec).is_empty());
    assert_eq!(without.s.stats().dropped_cid, 1);
    // One that wants no CID (length 0) takes none either.
    let mut zero = connected(Some(4), Some(0));
    let before = zero.s.stats().dropped_cid;
    assert!(zero.deliver(&rec).is_empty());
    assert_eq!(zero.s.stats().dropped_cid, before + 1);
    assert_eq!(zero.s.state(), State::Connected);
}

#[test]
fn other_or_wrong_length_cid_is_dropped() {
    let mut t = connected(Some(4), Some(6));
    let mut rec = t.client_record(b"x");
    rec[12] ^= 0x55;
    assert!(t.deliver(&rec).is_empty());
    assert_eq!(t.s.stats().dropped_cid, 1);
    // A record with a 5-byte CID where ours has 6: the header is read with
    // our length, so it never authenticates (or does not even parse).
    let mut other = connected(Some(4), Some(5));
    let rec5 = other.client_record(b"five");
    let st = *t.s.stats();
    assert!(t.deliver(&rec5).is_empty());
    let after = t.s.stats();
    let dropped = |s: &nanodtls::Stats| s.dropped_cid + s.dropped_auth + s.dropped_malformed;
    assert_eq!(dropped(after), dropped(&st) + 1);
    assert_eq!(t.s.state(), State::Connected);
    let ok = t.client_record(b"ok");
    assert_eq!(t.deliver(&ok), vec![b"ok".to_vec()]);
}

#[test]
fn inner_plaintext_padding() {
    let mut t = connected(Some(4), Some(4));
    // Zero padding after the real type is stripped.
    for pad in [0usize, 1, 16, 100] {
        let mut inner = b"padded".to_vec();
        inner.push(content::APPLICATION_DATA);
        inner.extend(std::iter::repeat_n(0u8, pad));
        let rec = t.c.test_cid_record_inner(&inner).unwrap();
        assert_eq!(t.deliver(&rec), vec![b"padded".to_vec()], "pad {pad}");
    }
    // A non-zero byte after the type makes that byte the type: unknown,
    // dropped.
    let before = t.s.stats().dropped_unexpected;
    let rec = t.c.test_cid_record_inner(&[b'h', b'i', content::APPLICATION_DATA, 0, 7, 0]).unwrap();
    assert!(t.deliver(&rec).is_empty());
    assert_eq!(t.s.stats().dropped_unexpected, before + 1);
    // No content type at all (all zero): dropped as malformed.
    let before = t.s.stats().dropped_malformed;
    let rec = t.c.test_cid_record_inner(&[0, 0, 0, 0]).unwrap();
    assert!(t.deliver(&rec).is_empty());
    assert_eq!(t.s.stats().dropped_malformed, before + 1);
    // A tls12_cid inside a tls12_cid: unknown content type.
    let rec = t.c.test_cid_record_inner(&[1, CID]).unwrap();
    assert!(t.deliver(&rec).is_empty());
    assert_eq!(t.s.state(), State::Connected);
    let ok = t.client_record(b"ok");
    assert_eq!(t.deliver(&ok), vec![b"ok".to_vec()]);
}

#[test]
fn replayed_truncated_and_forged_cid_records_are_dropped() {
    let mut t = connected(Some(4), Some(4));
    let rec = t.client_record(b"once");
    assert_eq!(t.deliver(&rec).len(), 1);
    assert!(t.deliver(&rec).is_empty(), "replay");
    assert_eq!(t.s.stats().dropped_replay, 1, "{:?}", t.s.stats());
    let rec = t.client_record(b"cut");
    for cut in 1..rec.len() {
        assert!(t.deliver(&rec[..cut]).is_empty(), "cut {cut}");
    }
    let mut forged = rec.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let before = t.s.stats().dropped_auth;
    assert!(t.deliver(&forged).is_empty());
    assert_eq!(t.s.stats().dropped_auth, before + 1);
    assert_eq!(t.deliver(&rec), vec![b"cut".to_vec()], "the genuine record still opens");
    // Two records in one datagram, the second after a CID one.
    let a = t.client_record(b"a");
    let b = t.client_record(b"b");
    assert_eq!(t.deliver(&[a, b].concat()), vec![b"a".to_vec(), b"b".to_vec()]);
}

/// The ServerHello's connection_id extension replaced by `ext` (its data).
fn rewrite_server_hello_cid(d: &[u8], ext: &[u8]) -> Vec<u8> {
    // Record header (13), handshake header (12), then the ServerHello body.
    let rec_len = u16::from_be_bytes([d[11], d[12]]) as usize;
    let hs = &d[13..13 + rec_len];
    assert_eq!(hs[0], 2, "ServerHello");
    let body = &hs[12..];
    let sid_len = body[34] as usize;
    let fixed = 35 + sid_len + 3;
    let exts = &body[fixed + 2..];
    let mut out_exts = vec![];
    let mut i = 0;
    while i < exts.len() {
        let t = u16::from_be_bytes([exts[i], exts[i + 1]]);
        let l = u16::from_be_bytes([exts[i + 2], exts[i + 3]]) as usize;
        if t == 54 {
            out_exts.extend_from_slice(&[0, 54]);
            out_exts.extend_from_slice(&(ext.len() as u16).to_be_bytes());
            out_exts.extend_from_slice(ext);
        } else {
            out_exts.extend_from_slice(&exts[i..i + 4 + l]);
        }
        i += 4 + l;
    }
    let mut nb = body[..fixed].to_vec();
    nb.extend_from_slice(&(out_exts.len() as u16).to_be_bytes());
    nb.extend_from_slice(&out_exts);
    let mut nh = vec![2];
    nh.extend_from_slice(&(nb.len() as u32).to_be_bytes()[1..]);
    nh.extend_from_slice(&hs[4..6]);
    nh.extend_from_slice(&[0, 0, 0]);
    nh.extend_from_slice(&(nb.len() as u32).to_be_bytes()[1..]);
    nh.extend_from_slice(&nb);
    let mut out = d[..11].to_vec();
    out.extend_from_slice(&(nh.len() as u16).to_be_bytes());
    out.extend_from_slice(&nh);
    out.extend_from_slice(&d[13 + rec_len..]);
    out
}

/// The client's view of a ServerHello with `ext` as its connection_id.
fn client_gets_server_cid(ext: &[u8]) -> Two {
    let mut t = Two::new(&cid_cfg(client_config(), 4), &cid_cfg(server_config(), 4));
    t.c.connect(&mut t.ce, 0).unwrap();
    let mut buf = [0u8; 2048];
    // ClientHello, HelloVerifyRequest, ClientHello with the cookie.
    for _ in 0..2 {
        let n = t.c.poll_datagram(0, &mut buf).unwrap().unwrap();
        t.s.feed(&mut t.se, 0, &buf[..n]).unwrap();
        let n = t.s.poll_datagram(0, &mut buf).unwrap().unwrap();
        if buf[13] == 2 {
            let d = rewrite_server_hello_cid(&buf[..n], ext);
            t.c.feed(&mut t.ce, 0, &d).unwrap();
            return t;
        }
        t.c.feed(&mut t.ce, 0, &buf[..n]).unwrap();
    }
    panic!("no ServerHello");
}

#[test]
fn malformed_or_oversized_server_cid_is_refused_with_an_alert() {
    let max = nanodtls::sizes::NANODTLS_MAX_CID;
    let too_long: Vec<u8> = std::iter::once((max + 1) as u8).chain(std::iter::repeat_n(1, max + 1)).collect();
    for (ext, alert) in [
        (vec![5u8, 1, 2, 3], nanodtls::alert::DECODE_ERROR),
        (vec![1u8, 1, 2], nanodtls::alert::DECODE_ERROR),
        (vec![], nanodtls::alert::DECODE_ERROR),
        (too_long, nanodtls::alert::ILLEGAL_PARAMETER),
    ] {
        let mut t = client_gets_server_cid(&ext);
        // Epoch 0 is unauthenticated: refused and discarded (counted as
        // malformed for a decode_error, else as rejected), reported with
        // its alert at the deadline (see tests/negative.rs).
        assert_eq!(t.c.state(), State::ClientWaitServerHello, "{ext:?}");
        let st = t.c.stats();
        assert_eq!(st.dropped_rejected + st.dropped_malformed, 1, "{st:?}");
        assert!(!t.c.cid_negotiated());
        let deadline = u64::from(t.c.config().handshake_timeout_ms);
        let _ = t.c.handle_timeout(deadline + 1);
        assert_eq!(t.c.state(), State::Failed);
        let a = t.c.last_alert();
        assert_eq!((a.description, a.sent), (alert, true), "{ext:?}");
    }
    // The genuine answer with a CID of exactly NANODTLS_MAX_CID is taken.
    let mut ok = vec![max as u8];
    ok.extend(std::iter::repeat_n(9u8, max));
    let t = client_gets_server_cid(&ok);
    assert_eq!(t.c.stats().dropped_rejected + t.c.stats().dropped_malformed, 0);
    assert_eq!(t.c.tx_cid(), &ok[1..]);
}

#[test]
fn server_refuses_malformed_offer_and_declines_oversized_cid() {
    // A server without the cookie exchange parses the first ClientHello.
    let mut s_cfg = cid_cfg(server_config(), 4);
    s_cfg.require_cookie = false;
    let run = |ext: &[u8]| {
        let mut t = Two::new(&cid_cfg(client_config(), 4), &s_cfg);
        t.c.connect(&mut t.ce, 0).unwrap();
        let mut buf = [0u8; 2048];
        let n = t.c.poll_datagram(0, &mut buf).unwrap().unwrap();
        let d = rewrite_client_hello_cid(&buf[..n], ext);
        t.s.feed(&mut t.se, 0, &d).unwrap();
        t
    };
    for ext in [vec![3u8, 1], vec![0u8, 0], vec![]] {
        let t = run(&ext);
        assert_eq!(t.s.state(), State::ServerWaitClientHello, "{ext:?}");
        assert_eq!(t.s.stats().dropped_malformed, 1, "{ext:?} {:?}", t.s.stats());
    }
    let max = nanodtls::sizes::NANODTLS_MAX_CID;
    let mut long = vec![(max + 1) as u8];
    long.extend(std::iter::repeat_n(1u8, max + 1));
    let mut t = run(&long);
    assert_eq!(t.s.stats().dropped_rejected + t.s.stats().dropped_malformed, 0);
    assert!(!t.s.cid_negotiated(), "a CID we cannot hold: not negotiated");
    let mut buf = [0u8; 2048];
    let n = t.s.poll_datagram(0, &mut buf).unwrap().unwrap();
    assert!(!has_cid_extension(&buf[..n]), "no connection_id in the ServerHello");
    // (The check can fail: a negotiating server's ServerHello has it.)
    let mut t = run(&[2, 7, 7]);
    let n = t.s.poll_datagram(0, &mut buf).unwrap().unwrap();
    assert!(has_cid_extension(&buf[..n]));
}

fn has_cid_extension(d: &[u8]) -> bool {
    let rec_len = u16::from_be_bytes([d[11], d[12]]) as usize;
    let body = &d[13 + 12..13 + rec_len];
    let fixed = 35 + body[34] as usize + 3;
    let exts = &body[fixed + 2..];
    let mut i = 0;
    while i + 4 <= exts.len() {
        if exts[i..i + 2] == [0, 54] {
            return true;
        }
        i += 4 + u16::from_be_bytes([exts[i + 2], exts[i + 3]]) as usize;
    }
    false
}

/// The ClientHello's connection_id extension replaced by `ext`.
fn rewrite_client_hello_cid(d: &[u8], ext: &[u8]) -> Vec<u8> {
    let rec_len = u16::from_be_bytes([d[11], d[12]]) as usize;
    let hs = &d[13..13 + rec_len];
    assert_eq!(hs[0], 1, "ClientHello");
    let body = &hs[12..];
    let mut p = 34;
    p += 1 + body[p] as usize; // session id
    p += 1 + body[p] as usize; // cookie
    p += 2 + u16::from_be_bytes([body[p], body[p + 1]]) as usize; // suites
    p += 1 + body[p] as usize; // compression
    let fixed = p;
    let exts = &body[fixed + 2..];
    let mut out_exts = vec![];
    let mut i = 0;
    let mut found = false;
    while i < exts.len() {
        let t = u16::from_be_bytes([exts[i], exts[i + 1]]);
        let l = u16::from_be_bytes([exts[i + 2], exts[i + 3]]) as usize;
        if t == 54 {
            found = true;
            out_exts.extend_from_slice(&[0, 54]);
            out_exts.extend_from_slice(&(ext.len() as u16).to_be_bytes());
            out_exts.extend_from_slice(ext);
        } else {
            out_exts.extend_from_slice(&exts[i..i + 4 + l]);
        }
        i += 4 + l;
    }
    assert!(found);
    let mut nb = body[..fixed].to_vec();
    nb.extend_from_slice(&(out_exts.len() as u16).to_be_bytes());
    nb.extend_from_slice(&out_exts);
    let mut nh = vec![1];
    nh.extend_from_slice(&(nb.len() as u32).to_be_bytes()[1..]);
    nh.extend_from_slice(&hs[4..6]);
    nh.extend_from_slice(&[0, 0, 0]);
    nh.extend_from_slice(&(nb.len() as u32).to_be_bytes()[1..]);
    nh.extend_from_slice(&nb);
    let mut out = d[..11].to_vec();
    out.extend_from_slice(&(nh.len() as u16).to_be_bytes());
    out.extend_from_slice(&nh);
    out
}

#[test]
fn resumption_renegotiates_the_cid() {
    let (ccfg, scfg) = (cid_cfg(client_config(), 4), cid_cfg(server_config(), 4));
    let mut t = Two::with(psk_client(&ccfg), psk_server(&scfg), TestEnv::new(1), TestEnv::new(2).with_cache(4));
    t.handshake();
    let (first_rx, first_tx) = (t.c.rx_cid().to_vec(), t.c.tx_cid().to_vec());
    let mut blob = vec![0u8; 512];
    let n = t.c.export_session(&mut blob).unwrap();
    blob.truncate(n);
    let mut client = psk_client(&ccfg);
    client.import_session(&blob).unwrap();
    let se = std::mem::replace(&mut t.se, TestEnv::new(0));
    let mut r = Two::with(client, psk_server(&scfg), TestEnv::new(3), se);
    r.handshake();
    assert!(r.c.resumed() && r.s.resumed());
    assert!(r.c.cid_negotiated() && r.s.cid_negotiated());
    assert_eq!(r.c.tx_cid(), r.s.rx_cid());
    assert_eq!(r.s.tx_cid(), r.c.rx_cid());
    assert_ne!(r.c.rx_cid(), &first_rx[..], "a new CID for the new connection");
    assert_ne!(r.c.tx_cid(), &first_tx[..]);
    let up = r.client_record(b"resumed");
    assert_eq!(up[0], CID);
    assert_eq!(r.deliver(&up), vec![b"resumed".to_vec()]);
    // A resumed session without CID on the client: none negotiated.
    let mut client = psk_client(&client_config());
    client.import_session(&blob).unwrap();
    let se = std::mem::replace(&mut r.se, TestEnv::new(0));
    let mut r2 = Two::with(client, psk_server(&scfg), TestEnv::new(4), se);
    r2.handshake();
    assert!(r2.c.resumed() && !r2.s.cid_negotiated());
}

// ---------------------------------------------------------------------
// Endpoint: peers found by CID, address moves (RFC 9146 section 6).

struct Site {
    ep: EndpointParty,
    env: TestEnv,
}

impl Site {
    fn new(n: usize) -> Site {
        Site { ep: EndpointParty::new(&cid_cfg(server_config(), 4), n), env: TestEnv::new(77) }
    }

    fn feed(&mut self, addr: &[u8], d: &[u8]) {
        self.ep.feed_from(&mut self.env, 0, addr, d).unwrap();
    }

    /// Datagrams the endpoint sends, with their addresses.
    fn poll(&mut self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = vec![];
        let (mut buf, mut a) = ([0u8; 2048], [0u8; 64]);
        while let Some((n, al)) = self.ep.poll_to(0, &mut buf, &mut a).unwrap() {
            out.push((a[..al].to_vec(), buf[..n].to_vec()));
        }
        out
    }

    /// Connect a client from `addr`.
    fn connect(&mut self, addr: &[u8], seed: u64) -> (Peer, TestEnv) {
        let mut c = psk_client(&cid_cfg(client_config(), 4));
        let mut env = TestEnv::new(seed);
        c.connect(&mut env, 0).unwrap();
        let mut buf = [0u8; 2048];
        for _ in 0..10 {
            while let Some(n) = c.poll_datagram(0, &mut buf).unwrap() {
                self.feed(addr, &buf[..n]);
            }
            for (a, d) in self.poll() {
                assert_eq!(a, addr);
                c.feed(&mut env, 0, &d).unwrap();
            }
        }
        assert_eq!(c.state(), State::Connected);
        assert!(c.cid_negotiated());
        (c, env)
    }

    fn events(&mut self) -> Vec<(Event, Vec<u8>)> {
        let mut out = vec![];
        let mut a = [0u8; 64];
        while let Some((ev, al)) = self.ep.ep.poll_event(&mut self.ep.slots, &mut a).unwrap() {
            out.push((ev, a[..al].to_vec()));
        }
        out
    }

    fn read(&mut self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.ep.rx.drain(..).collect()
    }
}

fn record(c: &mut Peer, data: &[u8]) -> Vec<u8> {
    let mut out = [0u8; 2048];
    let n = c.c.write(data, &mut out).unwrap();
    out[..n].to_vec()
}

const A1: &[u8] = b"192.0.2.1:5000";
const A2: &[u8] = b"192.0.2.1:6000";

#[test]
fn endpoint_moves_the_peer_only_for_a_new_authentic_record() {
    let mut s = Site::new(2);
    let (mut c, _env) = s.connect(A1, 5);
    assert_eq!(s.events(), vec![(Event::Connected, A1.to_vec())]);
    let r1 = record(&mut c, b"one");
    let r2 = record(&mut c, b"two");
    let r3 = record(&mut c, b"three");
    s.feed(A1, &r2);
    assert_eq!(s.read(), vec![(A1.to_vec(), b"two".to_vec())]);
    // Forged (valid CID, bad tag) from a new address: nothing moves.
    let mut forged = r3.clone();
    let last = forged.len() - 1;
    forged[last] ^= 0x80;
    s.feed(A2, &forged);
    assert!(s.read().is_empty());
    assert!(s.events().is_empty());
    assert!(s.ep.ep.peer(&s.ep.slots, A1).is_some() && s.ep.ep.peer(&s.ep.slots, A2).is_none());
    assert_eq!(s.ep.ep.peer(&s.ep.slots, A1).unwrap().stats().dropped_auth, 1);
    // Replayed from a new address: nothing moves.
    s.feed(A2, &r2);
    assert!(s.read().is_empty());
    assert!(s.events().is_empty());
    assert!(s.ep.ep.peer(&s.ep.slots, A2).is_none());
    // Older (authentic, fresh for the window, but below the newest) from
    // a new address: delivered, but the address stays.
    s.feed(A2, &r1);
    assert_eq!(s.read(), vec![(A2.to_vec(), b"one".to_vec())]);
    assert!(s.events().is_empty());
    assert!(s.ep.ep.peer(&s.ep.slots, A1).is_some());
    // The newest record from the new address: the peer moves, reported once.
    s.feed(A2, &r3);
    assert_eq!(s.read(), vec![(A2.to_vec(), b"three".to_vec())]);
    assert_eq!(s.events(), vec![(Event::AddressChanged, A2.to_vec())]);
    assert!(s.ep.ep.peer(&s.ep.slots, A1).is_none() && s.ep.ep.peer(&s.ep.slots, A2).is_some());
    // Replies go to the new address.
    s.ep.write_to(0, A2, b"back").unwrap();
    assert_eq!(s.ep.write_to(0, A1, b"old"), Err(nanodtls::Error::UnknownPeer));
    let out = s.poll();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, A2);
    c.feed(&mut TestEnv::new(0), 0, &out[0].1).unwrap();
    assert!(c.has_unread());
    // A late record from the old address still reaches the peer (by CID)
    // but does not move it back.
    let r4 = record(&mut c, b"four");
    let r5 = record(&mut c, b"five");
    s.feed(A2, &r5);
    s.feed(A1, &r4);
    assert_eq!(s.read(), vec![(A2.to_vec(), b"five".to_vec()), (A1.to_vec(), b"four".to_vec())]);
    assert!(s.events().is_empty());
    assert!(s.ep.ep.peer(&s.ep.slots, A2).is_some());
}

#[test]
fn endpoint_two_peers_behind_one_address_by_cid() {
    let mut s = Site::new(2);
    let (mut a, _) = s.connect(A1, 10);
    let (mut b, _) = s.connect(A2, 11);
    assert_ne!(a.tx_cid(), b.tx_cid());
    s.events();
    // B is rebound by its NAT onto A's address: both now come from A1.
    let rb = record(&mut b, b"from b");
    s.feed(A1, &rb);
    assert_eq!(s.events(), vec![(Event::AddressChanged, A1.to_vec())]);
    let ra = record(&mut a, b"from a");
    s.feed(A1, &ra);
    let rb2 = record(&mut b, b"b again");
    s.feed(A1, &rb2);
    assert_eq!(
        s.read(),
        vec![(A1.to_vec(), b"from b".to_vec()), (A1.to_vec(), b"from a".to_vec()), (A1.to_vec(), b"b again".to_vec())]
    );
    // Each slot got its own records.
    let per_slot: Vec<u32> = s.ep.slots.iter().map(|p| p.connection().stats().app_records_rx).collect();
    assert_eq!(per_slot, vec![1, 2]);
    assert!(s.events().is_empty());
}

#[test]
fn endpoint_drops_records_without_cid_and_unknown_cids() {
    let mut s = Site::new(2);
    let (mut c, _) = s.connect(A1, 20);
    s.events();
    // Without CID from the peer's own address: dropped and counted.
    let plain = c.test_record_without_cid(content::APPLICATION_DATA, b"no cid").unwrap();
    s.feed(A1, &plain);
    assert!(s.read().is_empty());
    assert_eq!(s.ep.ep.peer(&s.ep.slots, A1).unwrap().stats().dropped_cid, 1);
    // Without CID from a new address: an unknown peer (no slot is found).
    let plain = c.test_record_without_cid(content::APPLICATION_DATA, b"no cid").unwrap();
    let before = s.ep.ep.stats().dropped_unknown_peer;
    s.feed(A2, &plain);
    assert_eq!(s.ep.ep.stats().dropped_unknown_peer, before + 1);
    // An unknown CID from a new address: an unknown peer too.
    let mut rec = record(&mut c, b"x");
    rec[11] ^= 0xff;
    s.feed(A2, &rec);
    assert_eq!(s.ep.ep.stats().dropped_unknown_peer, before + 2);
    assert!(s.events().is_empty());
    assert!(s.read().is_empty());
}

#[test]
fn unsolicited_connection_id_in_the_server_hello_is_refused() {
    // A ServerHello with connection_id, fed to a client that did not offer it.
    // (No cookie exchange: the ServerHello then has message_seq 0, what the
    // other client expects.)
    let mut scfg = cid_cfg(server_config(), 4);
    scfg.require_cookie = false;
    let mut t = Two::new(&cid_cfg(client_config(), 4), &scfg);
    let mut plain = psk_client(&client_config());
    let mut penv = TestEnv::new(9);
    plain.connect(&mut penv, 0).unwrap();
    let mut buf = [0u8; 2048];
    assert!(plain.poll_datagram(0, &mut buf).unwrap().is_some());
    t.c.connect(&mut t.ce, 0).unwrap();
    for _ in 0..2 {
        let n = t.c.poll_datagram(0, &mut buf).unwrap().unwrap();
        t.s.feed(&mut t.se, 0, &buf[..n]).unwrap();
        let n = t.s.poll_datagram(0, &mut buf).unwrap().unwrap();
        if buf[13] == 2 {
            assert!(has_cid_extension(&buf[..n]));
            plain.feed(&mut penv, 0, &buf[..n]).unwrap();
            break;
        }
        t.c.feed(&mut t.ce, 0, &buf[..n]).unwrap();
    }
    assert_eq!(plain.state(), State::ClientWaitServerHello);
    assert_eq!(plain.stats().dropped_rejected, 1);
    let deadline = u64::from(plain.config().handshake_timeout_ms);
    let _ = plain.handle_timeout(deadline + 1);
    let a = plain.last_alert();
    assert_eq!((a.description, a.sent), (nanodtls::alert::UNSUPPORTED_EXTENSION, true));
}

#[test]
fn cid_record_in_epoch_zero_or_a_future_epoch_is_dropped() {
    let mut t = connected(Some(4), Some(4));
    for epoch in [0u8, 2] {
        let mut rec = t.client_record(b"epoch");
        rec[4] = epoch;
        let before = t.s.stats().dropped_epoch;
        assert!(t.deliver(&rec).is_empty());
        assert_eq!(t.s.stats().dropped_epoch, before + 1, "epoch {epoch}");
    }
    let ok = t.client_record(b"ok");
    assert_eq!(t.deliver(&ok), vec![b"ok".to_vec()]);
}
