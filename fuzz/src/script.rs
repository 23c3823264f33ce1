//! The op interpreter of the client and server targets (run_conn_script).

use nanodtls::record::content;
use nanodtls::{Connection, Error, State};
use std::collections::{HashMap, HashSet, VecDeque};

use crate::*;

/// Op codes of [`run_conn_script`].
pub mod op {
    /// u16 length, bytes: feed a raw datagram.
    pub const FEED_RAW: u8 = 0;
    /// type, epoch, seq u16, len u8, payload: feed one record.
    pub const FEED_RECORD: u8 = 1;
    /// msg_type, msg_seq, length u16, frag_off u16, frag_len u8, data: feed one epoch-0 handshake fragment.
    pub const FEED_FRAGMENT: u8 = 2;
    /// index, flags (bit0 keep it queued, bit1 mutate: pos u16, xor): deliver a genuine peer datagram.
    pub const DELIVER: u8 = 3;
    /// flags (bit0 drop ours instead of delivering them to the peer): poll us, deliver to the peer, poll the peer.
    pub const PUMP: u8 = 4;
    /// The application takes the application data the feeds delivered.
    pub const READ: u8 = 5;
    /// len: we write.
    pub const WRITE: u8 = 6;
    /// len: the peer writes.
    pub const PEER_WRITE: u8 = 7;
    /// ms u16, scale: advance the clock, handle our timers (and the peer's).
    pub const TIME: u8 = 8;
    /// Send a heartbeat request.
    pub const HEARTBEAT: u8 = 9;
    /// Close our side.
    pub const CLOSE: u8 = 10;
    /// type, len u8, payload: the peer protects a crafted record with its keys (an authenticated misbehaving peer).
    pub const FEED_AUTH: u8 = 11;
    /// size: poll one datagram into a buffer of that size.
    pub const POLL_SMALL: u8 = 12;
    /// count: concatenate the next genuine datagrams into one and feed it.
    pub const MULTI: u8 = 13;
    /// Number of op codes.
    pub const COUNT: u8 = 14;
}

/// What a script run observed (for the checks at the end).
#[derive(Default)]
struct Tracker {
    /// We are (or were) Connected and nothing allowed us to leave.
    connected_locked: bool,
    closed_by_us: bool,
    crafted: bool,
    terminal: Option<State>,
    peer_writes: u32,
    peer_written: HashSet<u32>,
    read_ids: HashSet<u32>,
    /// Application records the peer sealed (whole record bytes) and their payload ids.
    peer_sealed: HashMap<Vec<u8>, u32>,
    /// Records the peer protected with fuzzer content ([`op::FEED_AUTH`]).
    crafted_records: HashSet<Vec<u8>>,
    /// Application data delivered to us and not yet taken ([`op::READ`]).
    rx: VecDeque<Vec<u8>>,
    my_writes: u32,
    /// Our payload ids the peer received.
    peer_read_ids: HashSet<u32>,
}

/// Op interpreter of the `client` and `server` targets: `me` is the fuzzed
/// connection (the client if `me_client`), the other is its genuine peer.
/// The world's server must be a single connection.
///
/// Invariants (panics): no call returns or fails with `Internal`; a
/// Connected connection stays Connected unless we closed it or the input
/// delivered a crafted authenticated record (the fuzzer has no keys);
/// Closed and Failed are terminal; poll_datagram respects the MTU and its
/// drains end, a refusal of a small buffer loses nothing; after
/// handle_timeout and a drain at the same time no timer is already due;
/// handshaking states have a timer; the feed, write and sent-datagram
/// invariants of [`feed_all`], [`feed_conn`], [`write_conn`] and
/// [`Outbox::sent`]; application data delivered is the plaintext of a
/// record the peer sealed (so a record that fails authentication reports
/// none), is intact, was written by the peer and is delivered at most
/// once (and likewise what the peer receives from us).
pub fn run_conn_script(w: &mut World, me_client: bool, data: &[u8]) {
    let mut inp = Input::new(data);
    let mut t = Tracker::default();
    let mut me_out: VecDeque<Vec<u8>> = VecDeque::new();
    let mut fake_seq: u64 = 0x100;
    let mut buf = vec![0u8; 17_000];
    let mut ops = 0u32;
    let mtu = w.setup.mtu;
    let tag = w.setup.tag_len();
    observe(w, me_client, &mut t);
    while let Some(code) = inp.u8() {
        ops += 1;
        if ops > 4096 {
            break;
        }
        let code = code % op::COUNT;
        if tracing() {
            let (c, p): (&Connection, &Connection) =
                if me_client { (&w.client, w.server_conn_ref()) } else { (w.server_conn_ref(), &w.client) };
            eprintln!(
                "op {code:2} now {} me {:?} timer {:?} | peer {:?} timer {:?} | to_me {} me_out {}",
                w.now,
                c.state(),
                c.timeout_ms(w.now),
                p.state(),
                p.timeout_ms(w.now),
                if me_client { w.to_client.len() } else { w.to_server.len() },
                me_out.len()
            );
        }
        match code {
            op::FEED_RAW => {
                let Some(d) = inp.blob16() else { break };
                feed_me(w, me_client, d, &mut t);
            }
            op::FEED_RECORD => {
                let (Some(ty), Some(ep), Some(seq), Some(n)) = (inp.u8(), inp.u8(), inp.u16(), inp.u8()) else { break };
                let ty = if ty < 0x80 { 20 + ty % 5 } else { ty };
                let ep = if ep < 0x80 { u16::from(ep & 1) } else { u16::from(ep) };
                let rec = make_record(ty, ep, u64::from(seq), inp.bytes(usize::from(n)));
                feed_me(w, me_client, &rec, &mut t);
            }
            op::FEED_FRAGMENT => {
                let (Some(mt), Some(ms), Some(len), Some(off), Some(n)) =
                    (inp.u8(), inp.u8(), inp.u16(), inp.u16(), inp.u8())
                else {
                    break;
                };
                let mut frag = inp.bytes(usize::from(n)).to_vec();
                frag.resize(usize::from(n), 0);
                let f = make_fragment(mt, u32::from(len), u16::from(ms), u32::from(off), &frag);
                fake_seq += 1;
                let rec = make_record(content::HANDSHAKE, 0, fake_seq, &f);
                feed_me(w, me_client, &rec, &mut t);
            }
            op::DELIVER => {
                let (Some(idx), Some(flags)) = (inp.u8(), inp.u8()) else { break };
                let q = if me_client { &mut w.to_client } else { &mut w.to_server };
                if q.is_empty() {
                    continue;
                }
                let i = usize::from(idx) % q.len();
                let mut d = if flags & 1 != 0 { q[i].clone() } else { q.remove(i).unwrap_or_default() };
                if flags & 2 != 0 {
                    let (Some(pos), Some(x)) = (inp.u16(), inp.u8()) else { break };
                    if !d.is_empty() {
                        let p = usize::from(pos) % d.len();
                        d[p] ^= x.max(1);
                    }
                }
                feed_me(w, me_client, &d, &mut t);
            }
            op::PUMP => {
                let Some(flags) = inp.u8() else { break };
                pump_me(w, me_client, &mut me_out);
                if flags & 1 == 0 {
                    while let Some(d) = me_out.pop_front() {
                        feed_peer(w, me_client, &d, &mut t);
                    }
                } else {
                    me_out.clear();
                }
                pump_peer(w, me_client);
            }
            op::READ => read_me(&mut t),
            op::WRITE => {
                let Some(n) = inp.u8() else { break };
                t.my_writes += 1;
                let p = app_payload(me_client, t.my_writes, usize::from(n) * 4);
                let me = me_conn(w, me_client);
                if let Ok(d) = write_conn(me, &p, mtu, tag, "write") {
                    my_outbox(w, me_client).written("write", b"", d);
                }
            }
            op::PEER_WRITE => {
                let Some(n) = inp.u8() else { break };
                let id = t.peer_writes + 1;
                let p = app_payload(!me_client, id, usize::from(n) * 4);
                let peer = peer_conn(w, me_client);
                if let Ok(d) = write_conn(peer, &p, mtu, tag, "peer write") {
                    t.peer_writes = id;
                    t.peer_written.insert(id);
                    t.peer_sealed.insert(d.clone(), id);
                    my_outbox(w, !me_client).written("peer write", b"", d);
                }
            }
            op::TIME => {
                let (Some(ms), Some(scale)) = (inp.u16(), inp.u8()) else { break };
                let step = u64::from(ms) * if scale & 1 != 0 { 100 } else { 1 };
                w.now = w.now.saturating_add(step);
                let now = w.now;
                let me = me_conn(w, me_client);
                let r = me.handle_timeout(now);
                check_result(&r, "handle_timeout");
                pump_me(w, me_client, &mut me_out);
                let me = me_conn(w, me_client);
                if let Some(0) = me.timeout_ms(now) {
                    panic!(
                        "timer still due right after handle_timeout + poll (state {:?}): an event loop would spin",
                        me.state()
                    );
                }
                if scale & 2 != 0 {
                    let peer = peer_conn(w, me_client);
                    let _ = peer.handle_timeout(now);
                    pump_peer(w, me_client);
                }
            }
            op::HEARTBEAT => {
                let now = w.now;
                let (me, env) = me_conn_env(w, me_client);
                let r = me.heartbeat(env, now);
                check_result(&r, "heartbeat");
            }
            op::CLOSE => {
                let me = me_conn(w, me_client);
                let r = me.close();
                check_result(&r, "close");
                assert!(matches!(me.state(), State::Closed | State::Failed), "close() left state {:?}", me.state());
                t.closed_by_us = true;
            }
            op::FEED_AUTH => {
                let (Some(ty), Some(n)) = (inp.u8(), inp.u8()) else { break };
                let ty = if ty < 0x80 { 20 + ty % 5 } else { ty };
                let payload = inp.bytes(usize::from(n)).to_vec();
                let peer = peer_conn(w, me_client);
                if let Ok(rec) = peer.test_record(ty, 1, &payload) {
                    t.crafted = true;
                    t.crafted_records.insert(rec.clone());
                    feed_me(w, me_client, &rec, &mut t);
                }
            }
            op::POLL_SMALL => {
                let Some(size) = inp.u8() else { break };
                let size = usize::from(size);
                let now = w.now;
                let (me, env) = me_conn_env(w, me_client);
                let mut before = dup_box(&*me);
                let r = me.poll_datagram(&*env, now, &mut buf[..size]);
                check_result(&r, "poll (small buffer)");
                match r {
                    Ok(Some(n)) => {
                        assert!(
                            n <= size && n <= usize::from(mtu),
                            "poll returned {n} bytes into a {size}-byte buffer"
                        );
                        let d = buf[..n].to_vec();
                        my_outbox(w, me_client).sent("poll (small buffer)", b"", &d, true);
                        me_out.push_back(d);
                    }
                    Err(Error::BufferTooSmall) => {
                        let mut after = dup_box(&*me);
                        let fits = usize::from(mtu).min(size);
                        check_poll_refusal(
                            "poll (small buffer)",
                            Some(fits),
                            |&n| n,
                            |b| before.poll_datagram(&*env, now, b),
                            |b| after.poll_datagram(&*env, now, b),
                        );
                    }
                    _ => {}
                }
            }
            op::MULTI => {
                let Some(k) = inp.u8() else { break };
                let q = if me_client { &mut w.to_client } else { &mut w.to_server };
                let mut d = Vec::new();
                for _ in 0..(usize::from(k % 4) + 2) {
                    if let Some(x) = q.pop_front() {
                        d.extend_from_slice(&x);
                    }
                }
                if !d.is_empty() {
                    feed_me(w, me_client, &d, &mut t);
                }
            }
            _ => unreachable!(),
        }
        observe(w, me_client, &mut t);
    }
    // Final: poll and take what is left.
    pump_me(w, me_client, &mut me_out);
    pump_peer(w, me_client);
    read_me(&mut t);
    observe(w, me_client, &mut t);
}

fn me_conn(w: &mut World, me_client: bool) -> &mut Connection {
    me_conn_env(w, me_client).0
}

fn me_conn_env(w: &mut World, me_client: bool) -> (&mut Connection, &mut FuzzEnv) {
    if me_client {
        (&mut w.client, &mut w.cenv)
    } else {
        match &mut w.srv {
            Srv::Conn(c) => (c, &mut w.senv),
            Srv::Ep { .. } => panic!("run_conn_script needs a single server connection"),
        }
    }
}

fn peer_conn(w: &mut World, me_client: bool) -> &mut Connection {
    me_conn(w, !me_client)
}

/// The outbox of the client (`client`) or of the server.
fn my_outbox(w: &mut World, client: bool) -> &mut Outbox {
    if client {
        &mut w.cout
    } else {
        &mut w.sout
    }
}

fn feed_me(w: &mut World, me_client: bool, d: &[u8], t: &mut Tracker) {
    let fed = if me_client { w.feed_client(d) } else { w.feed_server(d) };
    for a in fed.apps {
        let rec = &d[a.record.clone()];
        if t.crafted_records.contains(rec) {
            // The fuzzer chose this content (a misbehaving peer).
            t.rx.push_back(a.data);
            continue;
        }
        let n = a.data.len();
        let Some(&sealed) = t.peer_sealed.get(rec) else {
            panic!(
                "feed reported {n} bytes of application data from a record the peer never sealed (bytes {:?} of the datagram): an unauthentic record was accepted",
                a.record
            );
        };
        let Some(id) = check_app_payload(!me_client, &a.data) else {
            panic!("feed reported {n} bytes the peer never wrote: {:02x?}", &a.data[..n.min(32)]);
        };
        assert_eq!(id, sealed, "feed reported payload #{id} from the record that sealed #{sealed}");
        assert!(t.peer_written.contains(&id), "feed reported payload #{id}, never written by the peer");
        assert!(t.read_ids.insert(id), "payload #{id} was delivered twice");
        t.rx.push_back(a.data);
    }
}

fn feed_peer(w: &mut World, me_client: bool, d: &[u8], t: &mut Tracker) {
    let fed = if me_client { w.feed_server(d) } else { w.feed_client(d) };
    for a in fed.apps {
        let Some(id) = check_app_payload(me_client, &a.data) else {
            panic!("the genuine peer got {} bytes of application data we never wrote", a.data.len());
        };
        assert!(id >= 1 && id <= t.my_writes, "the genuine peer got payload #{id}, never written");
        assert!(t.peer_read_ids.insert(id), "the genuine peer got payload #{id} twice");
    }
}

fn pump_me(w: &mut World, me_client: bool, out: &mut VecDeque<Vec<u8>>) {
    let now = w.now;
    if me_client {
        drain_conn(&mut w.client, &w.cenv, now, &mut w.cout, out, "poll");
    } else {
        match &mut w.srv {
            Srv::Conn(s) => drain_conn(s, &w.senv, now, &mut w.sout, out, "poll"),
            Srv::Ep { .. } => unreachable!(),
        }
    }
}

fn pump_peer(w: &mut World, me_client: bool) {
    let now = w.now;
    if me_client {
        match &mut w.srv {
            Srv::Conn(s) => drain_conn(s, &w.senv, now, &mut w.sout, &mut w.to_client, "peer poll"),
            Srv::Ep { .. } => unreachable!(),
        }
    } else {
        drain_conn(&mut w.client, &w.cenv, now, &mut w.cout, &mut w.to_server, "peer poll");
    }
    // Keep the queues bounded.
    for q in [&mut w.to_client, &mut w.to_server] {
        while q.len() > 64 {
            q.pop_front();
        }
    }
}

/// The application takes the data delivered so far (its checks were made
/// when it was delivered, in [`feed_me`]).
fn read_me(t: &mut Tracker) {
    t.rx.clear();
}

fn observe(w: &mut World, me_client: bool, t: &mut Tracker) {
    let me = me_conn(w, me_client);
    check_conn(me, "fuzzed connection");
    let s = me.state();
    if let Some(term) = t.terminal {
        assert_eq!(s, term, "left the terminal state {term:?}");
    }
    if matches!(s, State::Closed | State::Failed) {
        t.terminal = Some(s);
    }
    if t.connected_locked && !t.closed_by_us && !t.crafted {
        assert_eq!(
            s,
            State::Connected,
            "a Connected connection became {s:?} (failure {:?}, last alert {:?}) from unauthenticated input",
            me.failure(),
            me.last_alert()
        );
    }
    // Lock only once the live peer is Connected too: the world is seeded, so
    // the corpus may hold a recorded genuine flight of this very session
    // that makes us Connected on its own, with a transcript the live peer
    // does not share (it then aborts, rightly, with an authenticated alert).
    let peer_connected = peer_conn(w, me_client).state() == State::Connected;
    if s == State::Connected && peer_connected && !t.closed_by_us && !t.crafted {
        t.connected_locked = true;
    }
    let peer = peer_conn(w, me_client);
    check_conn(peer, "genuine peer");
}
