//! A server `Connection`, or an `Endpoint` with a few `PeerSlot`s, driven by
//! a real handshake with an in-process client to a chosen step, then fed
//! the rest of the input as an op script.
//!
//! Input: setup bits (see `nanodtls_fuzz::Setup`), step (datagrams the
//! server receives first), MTU byte (bit 7: an Endpoint), then the ops.
//! Single connection: `nanodtls_fuzz::run_conn_script`. Endpoint: the ops
//! below, where datagrams come from one of four addresses (the first is the
//! genuine client's). The endpoint's feed, write and poll go through the
//! harness's checked wrappers (`Srv::feed`, `write_endpoint`,
//! `drain_endpoint`); application data is checked when a feed reports it
//! (READ only lets the application take it).
#![no_main]

use std::collections::{HashMap, HashSet, VecDeque};

use libfuzzer_sys::fuzz_target;
use nanodtls::record::content;
use nanodtls::{Error, State};
use nanodtls_fuzz::*;

mod eop {
    pub const FEED_RAW: u8 = 0;
    pub const FEED_RECORD: u8 = 1;
    pub const FEED_FRAGMENT: u8 = 2;
    pub const DELIVER: u8 = 3;
    pub const PUMP: u8 = 4;
    pub const READ: u8 = 5;
    pub const WRITE: u8 = 6;
    pub const PEER_WRITE: u8 = 7;
    pub const TIME: u8 = 8;
    pub const HEARTBEAT: u8 = 9;
    pub const CLOSE: u8 = 10;
    pub const FEED_AUTH: u8 = 11;
    pub const POLL_SMALL: u8 = 12;
    pub const MULTI: u8 = 13;
    pub const EVENTS: u8 = 14;
    pub const COUNT: u8 = 15;
}

struct Ep {
    connected_locked: bool,
    closed_by_us: bool,
    crafted: bool,
    client_writes: u32,
    client_written: HashSet<u32>,
    read_ids: HashSet<u32>,
    allocated: u32,
    /// Application records the genuine client sealed (whole record) and their payload ids.
    client_sealed: HashMap<Vec<u8>, u32>,
    /// Records the client protected with fuzzer content (FEED_AUTH).
    crafted_records: HashSet<Vec<u8>>,
    /// Application data delivered to the endpoint and not yet taken (READ).
    rx: VecDeque<Vec<u8>>,
    my_writes: u32,
    /// Our payload ids the genuine client received.
    client_read_ids: HashSet<u32>,
}

/// Bug id: without require_cookie, an Endpoint replaces a Connected
/// association on any ClientHello with a new random from its address.
const BUG_ENDPOINT_HELLO: &str = "endpoint-hello-replaces-association";

fn addr(sel: u8) -> &'static [u8] {
    ADDRS[usize::from(sel & 3)]
}

fn ep_feed(w: &mut World, a: &[u8], d: &[u8], t: &mut Ep) {
    let now = w.now;
    if tracing() {
        eprintln!("   feed from {:?}: {} bytes {:02x?}", String::from_utf8_lossy(a), d.len(), &d[..d.len().min(64)]);
    }
    let tag = w.setup.tag_len();
    let fed = w.srv.feed(&mut w.senv, now, a, d, tag);
    for app in fed.apps {
        let rec = &d[app.record.clone()];
        if t.crafted_records.contains(rec) {
            // The fuzzer chose this content (a misbehaving client).
            t.rx.push_back(app.data);
            continue;
        }
        let n = app.data.len();
        assert_eq!(a, ADDR_A, "application data from {a:02x?}: only the genuine client can authenticate");
        let Some(&sealed) = t.client_sealed.get(rec) else {
            panic!("endpoint feed reported {n} bytes from a record the client never sealed: an unauthentic record was accepted");
        };
        let Some(id) = check_app_payload(true, &app.data) else {
            panic!("endpoint feed reported {n} bytes the client never wrote");
        };
        assert_eq!(id, sealed, "endpoint feed reported payload #{id} from the record that sealed #{sealed}");
        assert!(t.client_written.contains(&id), "payload #{id} never written");
        assert!(t.read_ids.insert(id), "payload #{id} delivered twice");
        t.rx.push_back(app.data);
    }
}

/// The application takes what the feeds delivered (checked in [`ep_feed`]).
fn ep_read(t: &mut Ep) {
    t.rx.clear();
}

/// Deliver a datagram from the endpoint to the genuine client: what it
/// reports must be our intact payloads, each at most once.
fn client_feed(w: &mut World, d: &[u8], t: &mut Ep) {
    for app in w.feed_client(d).apps {
        let Some(id) = check_app_payload(false, &app.data) else {
            panic!("the genuine client got {} bytes of application data the endpoint never wrote", app.data.len());
        };
        assert!(id >= 1 && id <= t.my_writes, "the genuine client got payload #{id}, never written");
        assert!(t.client_read_ids.insert(id), "the genuine client got payload #{id} twice");
    }
}

fn ep_observe(w: &mut World, t: &mut Ep, reclaimed_before: u32) {
    let cookie = w.setup.cookie();
    let Srv::Ep { ep, slots } = &mut w.srv else { unreachable!() };
    assert!(ep.peers_in_use(slots) <= slots.len());
    for a in ADDRS {
        if let Some(c) = ep.peer(slots, a) {
            check_conn(c, "endpoint peer");
        }
    }
    let a_state = ep.peer(slots, ADDR_A).map(|c| c.state());
    let reclaimed = ep.stats().slots_reclaimed > reclaimed_before;
    // With cookies, a ClientHello with a new random and a valid cookie from
    // the same address (only the genuine client's can have one) replaces the
    // association (RFC 6347 4.2.8): a new slot allocation.
    // Without cookies the endpoint does the same for any such ClientHello,
    // spoofed or not: a known bug (see fuzz/known-bugs.txt).
    let replaced = (cookie || allowed(BUG_ENDPOINT_HELLO)) && ep.stats().slots_allocated > t.allocated;
    t.allocated = ep.stats().slots_allocated;
    if replaced {
        t.connected_locked = false;
    }
    if t.connected_locked && !t.closed_by_us && !t.crafted && !reclaimed {
        assert_eq!(
            a_state,
            Some(State::Connected),
            "the genuine client's Connected association became {a_state:?} (failure {:?}) from unauthenticated input",
            ep.peer(slots, ADDR_A).and_then(|c| c.failure())
        );
    }
    // Lock only when the genuine client is Connected too (see run_conn_script).
    if a_state == Some(State::Connected) && w.client.state() == State::Connected && !t.closed_by_us && !t.crafted {
        t.connected_locked = true;
    }
    check_conn(&w.client, "genuine client");
}

fn run_endpoint_script(w: &mut World, data: &[u8]) {
    let mut inp = Input::new(data);
    let mut t = Ep {
        connected_locked: false,
        closed_by_us: false,
        crafted: false,
        client_writes: 0,
        client_written: HashSet::new(),
        read_ids: HashSet::new(),
        allocated: match &w.srv {
            Srv::Ep { ep, .. } => ep.stats().slots_allocated,
            _ => unreachable!(),
        },
        client_sealed: HashMap::new(),
        crafted_records: HashSet::new(),
        rx: VecDeque::new(),
        my_writes: 0,
        client_read_ids: HashSet::new(),
    };
    let mtu = w.setup.mtu;
    let tag = w.setup.tag_len();
    let mut fake_seq = 0x100u64;
    let mut buf = vec![0u8; 17_000];
    let reclaimed_before = match &w.srv {
        Srv::Ep { ep, .. } => ep.stats().slots_reclaimed,
        _ => unreachable!(),
    };
    ep_observe(w, &mut t, reclaimed_before);
    let mut ops = 0;
    while let Some(code) = inp.u8() {
        ops += 1;
        if ops > 4096 {
            break;
        }
        if tracing() {
            let Srv::Ep { ep, slots } = &w.srv else { unreachable!() };
            let peers: Vec<_> = ADDRS.iter().map(|a| ep.peer(slots, a).map(|c| (c.state(), c.last_alert()))).collect();
            eprintln!(
                "op {:2} now {} peers {:?} | client {:?} | to_server {}",
                code % eop::COUNT,
                w.now,
                peers,
                w.client.state(),
                w.to_server.len()
            );
        }
        match code % eop::COUNT {
            eop::FEED_RAW => {
                let (Some(a), Some(d)) = (inp.u8(), inp.blob16()) else { break };
                ep_feed(w, addr(a), d, &mut t);
            }
            eop::FEED_RECORD => {
                let (Some(a), Some(ty), Some(ep), Some(seq), Some(n)) =
                    (inp.u8(), inp.u8(), inp.u8(), inp.u16(), inp.u8())
                else {
                    break;
                };
                let ty = if ty < 0x80 { 20 + ty % 5 } else { ty };
                let ep = if ep < 0x80 { u16::from(ep & 1) } else { u16::from(ep) };
                let rec = make_record(ty, ep, u64::from(seq), inp.bytes(usize::from(n)));
                ep_feed(w, addr(a), &rec, &mut t);
            }
            eop::FEED_FRAGMENT => {
                let (Some(a), Some(mt), Some(ms), Some(len), Some(off), Some(n)) =
                    (inp.u8(), inp.u8(), inp.u8(), inp.u16(), inp.u16(), inp.u8())
                else {
                    break;
                };
                let mut frag = inp.bytes(usize::from(n)).to_vec();
                frag.resize(usize::from(n), 0);
                fake_seq += 1;
                let rec = make_record(
                    content::HANDSHAKE,
                    0,
                    fake_seq,
                    &make_fragment(mt, u32::from(len), u16::from(ms), u32::from(off), &frag),
                );
                ep_feed(w, addr(a), &rec, &mut t);
            }
            eop::DELIVER => {
                let (Some(a), Some(idx), Some(flags)) = (inp.u8(), inp.u8(), inp.u8()) else { break };
                if w.to_server.is_empty() {
                    continue;
                }
                let i = usize::from(idx) % w.to_server.len();
                let mut d =
                    if flags & 1 != 0 { w.to_server[i].clone() } else { w.to_server.remove(i).unwrap_or_default() };
                if flags & 2 != 0 {
                    let (Some(pos), Some(x)) = (inp.u16(), inp.u8()) else { break };
                    if !d.is_empty() {
                        let p = usize::from(pos) % d.len();
                        d[p] ^= x.max(1);
                    }
                }
                ep_feed(w, addr(a), &d, &mut t);
            }
            eop::PUMP => {
                let Some(flags) = inp.u8() else { break };
                let now = w.now;
                let mut out = VecDeque::new();
                {
                    let Srv::Ep { ep, slots } = &mut w.srv else { unreachable!() };
                    drain_endpoint(ep, slots, &w.senv, now, mtu, &mut w.sout, &mut out);
                }
                if flags & 1 == 0 {
                    for d in out {
                        client_feed(w, &d, &mut t);
                    }
                }
                w.pump_client();
                while w.to_server.len() > 64 {
                    w.to_server.pop_front();
                }
            }
            eop::READ => ep_read(&mut t),
            eop::WRITE => {
                let Some(n) = inp.u8() else { break };
                t.my_writes += 1;
                let p = app_payload(false, t.my_writes, usize::from(n) * 4);
                let now = w.now;
                let Srv::Ep { ep, slots } = &mut w.srv else { unreachable!() };
                if let Ok(d) = write_endpoint(ep, slots, now, ADDR_A, &p, mtu, tag) {
                    w.sout.track_allocations(ep.stats().slots_allocated);
                    w.sout.written("endpoint write", ADDR_A, d);
                }
            }
            eop::PEER_WRITE => {
                let Some(n) = inp.u8() else { break };
                let id = t.client_writes + 1;
                let p = app_payload(true, id, usize::from(n) * 4);
                if let Ok(d) = write_conn(&mut w.client, &p, mtu, tag, "client write") {
                    t.client_writes = id;
                    t.client_written.insert(id);
                    t.client_sealed.insert(d.clone(), id);
                    w.cout.written("client write", b"", d);
                }
            }
            eop::TIME => {
                let (Some(ms), Some(scale)) = (inp.u16(), inp.u8()) else { break };
                w.now = w.now.saturating_add(u64::from(ms) * if scale & 1 != 0 { 100 } else { 1 });
                let now = w.now;
                let Srv::Ep { ep, slots } = &mut w.srv else { unreachable!() };
                ep.handle_timeout(slots, now);
                let mut out = VecDeque::new();
                drain_endpoint(ep, slots, &w.senv, now, mtu, &mut w.sout, &mut out);
                if let Some(0) = ep.timeout_ms(slots, now) {
                    panic!("endpoint timer still due right after handle_timeout + poll");
                }
                if scale & 2 != 0 {
                    let _ = w.client.handle_timeout(now);
                    w.pump_client();
                }
            }
            eop::HEARTBEAT => {
                let now = w.now;
                let Srv::Ep { ep, slots } = &mut w.srv else { unreachable!() };
                let r = ep.heartbeat(slots, &mut w.senv, now, ADDR_A);
                check_result(&r, "endpoint heartbeat");
            }
            eop::CLOSE => {
                let Some(a) = inp.u8() else { break };
                let Srv::Ep { ep, slots } = &mut w.srv else { unreachable!() };
                let r = ep.close_peer(slots, addr(a));
                check_result(&r, "close_peer");
                if addr(a) == ADDR_A && r.is_ok() {
                    t.closed_by_us = true;
                }
            }
            eop::FEED_AUTH => {
                let (Some(ty), Some(n)) = (inp.u8(), inp.u8()) else { break };
                let ty = if ty < 0x80 { 20 + ty % 5 } else { ty };
                let payload = inp.bytes(usize::from(n)).to_vec();
                if let Ok(rec) = w.client.test_record(ty, 1, &payload) {
                    t.crafted = true;
                    t.crafted_records.insert(rec.clone());
                    ep_feed(w, ADDR_A, &rec, &mut t);
                }
            }
            eop::POLL_SMALL => {
                let (Some(size), Some(asize)) = (inp.u8(), inp.u8()) else { break };
                let now = w.now;
                let mut before = w.srv.dup();
                let Srv::Ep { ep, slots } = &mut w.srv else { unreachable!() };
                let mut a = [0u8; 64];
                let size = usize::from(size);
                let asz = usize::from(asize % 40);
                let r = ep.poll_datagram(slots, &w.senv, now, &mut buf[..size], &mut a[..asz]);
                check_result(&r, "endpoint poll (small buffers)");
                match r {
                    Ok(Some((n, al))) => {
                        assert!(n <= size && n <= usize::from(mtu) && al <= asz);
                        w.sout.track_allocations(ep.stats().slots_allocated);
                        w.sout.sent("endpoint poll (small buffers)", &a[..al], &buf[..n], true);
                        if &a[..al] == ADDR_A {
                            let d = buf[..n].to_vec();
                            client_feed(w, &d, &mut t);
                        }
                    }
                    Err(Error::BufferTooSmall) => {
                        // Nothing lost; and with room for any address (32
                        // bytes), the refusal was about the datagram.
                        let mut after = w.srv.dup();
                        let env = &w.senv;
                        let poll = |s: &mut Srv, b: &mut [u8]| {
                            let Srv::Ep { ep, slots } = s else { unreachable!() };
                            let mut a = [0u8; 64];
                            ep.poll_datagram(slots, env, now, b, &mut a).map(|o| o.map(|(n, al)| (n, a[..al].to_vec())))
                        };
                        check_poll_refusal(
                            "endpoint poll (small buffers)",
                            (asz >= 32).then_some(size.min(usize::from(mtu))),
                            |x: &(usize, Vec<u8>)| x.0,
                            |b| poll(&mut before, b),
                            |b| poll(&mut after, b),
                        );
                    }
                    _ => {}
                }
            }
            eop::MULTI => {
                let (Some(a), Some(k)) = (inp.u8(), inp.u8()) else { break };
                let mut d = Vec::new();
                for _ in 0..(usize::from(k % 4) + 2) {
                    if let Some(x) = w.to_server.pop_front() {
                        d.extend_from_slice(&x);
                    }
                }
                if !d.is_empty() {
                    ep_feed(w, addr(a), &d, &mut t);
                }
            }
            eop::EVENTS => {
                let Srv::Ep { ep, slots } = &mut w.srv else { unreachable!() };
                let mut a = [0u8; 64];
                let mut n = 0;
                loop {
                    let r = ep.poll_event(slots, &mut a);
                    check_result(&r, "poll_event");
                    match r {
                        Ok(Some(_)) => {
                            n += 1;
                            assert!(n <= 3 * ENDPOINT_SLOTS * 4, "poll_event never ends");
                        }
                        _ => break,
                    }
                }
            }
            _ => unreachable!(),
        }
        ep_observe(w, &mut t, reclaimed_before);
    }
    ep_read(&mut t);
    ep_observe(w, &mut t, reclaimed_before);
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input::new(data);
    let (Some(bits), Some(step), Some(mtu)) = (inp.u8(), inp.u8(), inp.u8()) else { return };
    let setup = Setup::decode(bits, mtu, true);
    let mut w = World::at(setup, Side::Server, step.min(40));
    if setup.endpoint {
        run_endpoint_script(&mut w, inp.rest());
    } else {
        run_conn_script(&mut w, false, inp.rest());
    }
});
