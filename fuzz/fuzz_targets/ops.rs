//! Operation sequences over a client and a server connected through two
//! queues: deliver / drop / duplicate / reorder / corrupt datagrams,
//! advance the clock, write, read, close, heartbeat, export the session and
//! reconnect (resumption). Both sides are genuine; only the network is
//! hostile.
//!
//! Input: setup bits and MTU byte (see `nanodtls_fuzz::Setup`), then ops.
//!
//! Invariants (panic):
//! - no call returns or fails with `Internal`; polls respect the MTU and
//!   drains end; handshaking states keep a timer;
//! - Closed and Failed are terminal; a Connected side only becomes Closed
//!   after a close() on either side, and only becomes Failed after its
//!   peer failed and sent a fatal alert;
//! - feed, write and poll keep the invariants of the harness's wrappers
//!   (`feed_all`, `feed_conn`: consumed advances within the datagram, the
//!   application range is one record's plaintext, a replayed datagram
//!   yields nothing; `write_conn`: one record within the MTU, a refused
//!   small buffer uses no sequence number; `Outbox::sent`: polls emit no
//!   application data and record numbers never repeat);
//! - application data a feed reports is the plaintext of a genuine
//!   application record the peer sealed in this session (so a record that
//!   fails authentication, e.g. corrupted, reports none) and carries that
//!   record's payload; it is intact, was written by the peer and is read
//!   at most once; a record written while both sides were Connected and
//!   delivered intact (not dropped or corrupted, fresh for the replay
//!   window) to a Connected peer is read exactly once;
//! - at the end, a lossless network and the timers settle every handshake
//!   (connected or failed, no endless retransmission ping-pong), and two
//!   Connected sides can exchange data both ways.
#![no_main]

use std::collections::{HashMap, HashSet, VecDeque};

use libfuzzer_sys::fuzz_target;
use nanodtls::codec::Reader;
use nanodtls::record::{self, content};
use nanodtls::{Connection, State};
use nanodtls_fuzz::*;

mod o {
    pub const DELIVER: u8 = 0;
    pub const DROP: u8 = 1;
    pub const DUP: u8 = 2;
    pub const SWAP: u8 = 3;
    pub const CORRUPT: u8 = 4;
    pub const TIME: u8 = 5;
    pub const WRITE: u8 = 6;
    pub const READ: u8 = 7;
    pub const CLOSE: u8 = 8;
    pub const HEARTBEAT: u8 = 9;
    pub const RECONNECT: u8 = 10;
    pub const DELIVER_ALL: u8 = 11;
    pub const COUNT: u8 = 12;
}

/// A genuine record as it left its sender.
struct RecInfo {
    from_client: bool,
    gen: u32,
    epoch: u16,
    seq: u64,
    app_id: Option<u32>,
}

struct Peer {
    conn: Box<Connection>,
    env: FuzzEnv,
    is_client: bool,
    /// What it sent: written datagrams waiting for the next poll_all, and
    /// its record numbers.
    out: Outbox,
    /// Application data its feeds delivered, not yet read.
    rx: VecDeque<Vec<u8>>,
    closed_op: bool,
    terminal: Option<State>,
    was_connected: bool,
    /// Model of our replay window over the other side's epoch-1 records
    /// (over-approximates what the engine marked: safe for expectations).
    seen: HashSet<u64>,
    max_seen: Option<u64>,
}

struct Net {
    setup: Setup,
    now: u64,
    gen: u32,
    c: Peer,
    s: Peer,
    c2s: VecDeque<Vec<u8>>,
    s2c: VecDeque<Vec<u8>>,
    records: HashMap<Vec<u8>, RecInfo>,
    next_id: u32,
    written_by_client: HashMap<u32, bool>,
    eligible: HashSet<u32>,
    expected: HashSet<u32>,
    read: HashSet<u32>,
}

impl Net {
    fn side(&mut self, client: bool) -> (&mut Peer, &mut Peer) {
        if client {
            (&mut self.c, &mut self.s)
        } else {
            (&mut self.s, &mut self.c)
        }
    }

    /// Remember the genuine records of a datagram `client` (or the server)
    /// sent; its application records were noted when they were written.
    fn note(&mut self, client: bool, d: &[u8]) {
        let mut r = Reader::new(d);
        let mut at = 0usize;
        while let Ok(rec) = record::parse(&mut r) {
            let end = at + record::HEADER_LEN + rec.fragment.len();
            let bytes = &d[at..end];
            if rec.ctype == content::APPLICATION_DATA {
                assert!(
                    self.records.get(bytes).is_some_and(|i| i.app_id.is_some() && i.gen == self.gen),
                    "an application record nobody wrote"
                );
            } else {
                self.records.insert(
                    bytes.to_vec(),
                    RecInfo { from_client: client, gen: self.gen, epoch: rec.epoch, seq: rec.seq, app_id: None },
                );
            }
            at = end;
        }
        assert_eq!(at, d.len(), "a polled datagram is not a sequence of whole records");
    }

    /// Poll both sides into the queues (written datagrams first), noting
    /// every genuine record.
    fn poll_all(&mut self) {
        for client in [true, false] {
            let now = self.now;
            let mut out = VecDeque::new();
            let p = if client { &mut self.c } else { &mut self.s };
            drain_conn(
                &mut p.conn,
                &p.env,
                now,
                &mut p.out,
                &mut out,
                if client { "client poll" } else { "server poll" },
            );
            for d in out {
                self.note(client, &d);
                if client { &mut self.c2s } else { &mut self.s2c }.push_back(d);
            }
        }
        for q in [&mut self.c2s, &mut self.s2c] {
            while q.len() > 128 {
                q.pop_front();
            }
        }
    }

    /// The application reads what the feeds delivered to one side.
    fn read_side(&mut self, client: bool) {
        let (me, _) = self.side(client);
        let got: Vec<_> = me.rx.drain(..).collect();
        for d in got {
            let Some(id) = check_app_payload(!client, &d) else {
                panic!("read returned {} bytes the peer never wrote: {:02x?}", d.len(), &d[..d.len().min(32)]);
            };
            assert_eq!(self.written_by_client.get(&id), Some(&!client), "payload #{id} was not written by the peer");
            assert!(self.read.insert(id), "payload #{id} read twice");
        }
    }

    /// Feed `d` to one side, tracking which application records must arrive.
    fn deliver(&mut self, to_client: bool, d: &[u8]) {
        let gen = self.gen;
        let mut candidates = Vec::new();
        {
            let y = if to_client { &mut self.c } else { &mut self.s };
            let mut r = Reader::new(d);
            let mut at = 0usize;
            while let Ok(rec) = record::parse(&mut r) {
                let end = at + record::HEADER_LEN + rec.fragment.len();
                if let Some(info) = self.records.get(&d[at..end]) {
                    if info.gen == gen && info.from_client != to_client && info.epoch == 1 {
                        let fresh = !y.seen.contains(&info.seq) && y.max_seen.is_none_or(|m| info.seq + 64 > m);
                        if let (true, Some(id)) = (fresh, info.app_id) {
                            if self.eligible.contains(&id) {
                                candidates.push(id);
                            }
                        }
                        y.seen.insert(info.seq);
                        y.max_seen = Some(y.max_seen.map_or(info.seq, |m| m.max(info.seq)));
                    }
                }
                at = end;
            }
        }
        let now = self.now;
        let tag = self.setup.tag_len();
        let connected_before = self.side(to_client).0.conn.state() == State::Connected;
        let y = if to_client { &mut self.c } else { &mut self.s };
        let fed = feed_conn(&mut y.conn, &mut y.env, now, d, tag, "feed");
        for a in fed.apps {
            // Only a genuine application record of the peer, of this
            // session, authenticates; its plaintext is what was sealed.
            let info = self.records.get(&d[a.record.clone()]);
            let Some(&RecInfo { from_client, gen: g, app_id: Some(sealed), .. }) = info else {
                panic!(
                    "feed reported {} bytes of application data from a record that is no genuine application record (bytes {:?} of the datagram): an unauthentic record was accepted",
                    a.data.len(),
                    a.record
                );
            };
            assert!(
                from_client != to_client && g == gen,
                "feed reported application data of another session or direction"
            );
            assert_eq!(
                check_app_payload(!to_client, &a.data),
                Some(sealed),
                "feed reported other bytes than record #{sealed} sealed"
            );
            y.rx.push_back(a.data);
        }
        let connected_after = self.side(to_client).0.conn.state() == State::Connected;
        if connected_before && connected_after {
            self.expected.extend(candidates);
        }
    }

    fn observe(&mut self) {
        for client in [true, false] {
            let (me, peer) = self.side(client);
            let who = if client { "client" } else { "server" };
            check_conn(&me.conn, who);
            let s = me.conn.state();
            if let Some(t) = me.terminal {
                assert_eq!(s, t, "{who} left the terminal state {t:?}");
            }
            if matches!(s, State::Closed | State::Failed) {
                me.terminal = Some(s);
            }
            if me.was_connected && s != State::Connected {
                match s {
                    State::Closed => assert!(
                        me.closed_op || peer.closed_op,
                        "{who}: Connected -> Closed without any close() (last alert {:?})",
                        me.conn.last_alert()
                    ),
                    State::Failed => {
                        let pa = peer.conn.last_alert();
                        assert!(
                            peer.conn.state() == State::Failed && pa.sent && pa.level == 2,
                            "{who}: Connected -> Failed ({:?}, last alert {:?}) although the peer did not fail (peer {:?}, {:?})",
                            me.conn.failure(),
                            me.conn.last_alert(),
                            peer.conn.state(),
                            pa
                        )
                    }
                    other => panic!("{who}: Connected -> {other:?}"),
                }
            }
            me.was_connected = s == State::Connected;
        }
    }

    fn time(&mut self, step: u64) {
        self.now = self.now.saturating_add(step);
        let now = self.now;
        for p in [&mut self.c, &mut self.s] {
            let r = p.conn.handle_timeout(now);
            check_result(&r, "handle_timeout");
        }
        self.poll_all();
        for p in [&self.c, &self.s] {
            if let Some(0) = p.conn.timeout_ms(now) {
                panic!("timer still due right after handle_timeout + poll ({:?})", p.conn.state());
            }
        }
    }

    fn write(&mut self, client: bool, len: usize) -> bool {
        let both = self.c.conn.state() == State::Connected && self.s.conn.state() == State::Connected;
        self.next_id += 1;
        let id = self.next_id;
        let p = app_payload(client, id, len);
        let (mtu, tag, gen) = (self.setup.mtu, self.setup.tag_len(), self.gen);
        let (me, _) = self.side(client);
        let r = write_conn(&mut me.conn, &p, mtu, tag, "write");
        let Ok(d) = r else { return false };
        let rec = record::parse(&mut Reader::new(&d)).expect("write_conn checked the record");
        let info = RecInfo { from_client: client, gen, epoch: rec.epoch, seq: rec.seq, app_id: Some(id) };
        me.out.written("write", b"", d.clone());
        self.records.insert(d, info);
        self.written_by_client.insert(id, client);
        if both {
            self.eligible.insert(id);
        }
        true
    }

    fn reconnect(&mut self) {
        // What was already delivered is the application's: read it first.
        self.read_side(true);
        self.read_side(false);
        let mut blob = [0u8; 512];
        let exported = self.c.conn.export_session(&mut blob);
        check_result(&exported, "export_session");
        let mut c = self.setup.new_client(&mut self.c.env);
        if let Ok(n) = exported {
            c.import_session(&blob[..n]).expect("import of a fresh export");
            assert!(c.has_session());
        }
        c.connect(&mut self.c.env, self.now).expect("connect");
        self.c.conn = c;
        self.s.conn = self.setup.new_server(&mut self.s.env);
        self.gen += 1;
        for p in [&mut self.c, &mut self.s] {
            p.out.reset();
            p.rx.clear();
            p.closed_op = false;
            p.terminal = None;
            p.was_connected = false;
            p.seen.clear();
            p.max_seen = None;
        }
    }

    /// Lossless network and timers until nothing moves.
    fn settle(&mut self) {
        let mut rounds = 0;
        let mut busy_without_time = 0;
        loop {
            rounds += 1;
            if rounds > 4980 && std::env::var_os("OPS_DEBUG").is_some() {
                eprintln!(
                    "settle {rounds}: now {} c {:?} s {:?} c2s {} s2c {} timers {:?} {:?} cstats {:?} sstats {:?}",
                    self.now,
                    self.c.conn.state(),
                    self.s.conn.state(),
                    self.c2s.len(),
                    self.s2c.len(),
                    self.c.conn.timeout_ms(self.now),
                    self.s.conn.timeout_ms(self.now),
                    (
                        self.c.conn.stats().retransmits,
                        self.c.conn.stats().peer_retransmits,
                        self.c.conn.stats().tx_datagrams
                    ),
                    (
                        self.s.conn.stats().retransmits,
                        self.s.conn.stats().peer_retransmits,
                        self.s.conn.stats().tx_datagrams
                    ),
                );
            }
            assert!(rounds < 5000, "the network never settles");
            self.poll_all();
            if let Some(d) = self.c2s.pop_front() {
                self.deliver(false, &d);
            } else if let Some(d) = self.s2c.pop_front() {
                self.deliver(true, &d);
            } else {
                // With the re-arm bug tolerated, a Connected side's endless
                // retransmission timer does not keep the network busy.
                let rearm_ok = allowed(BUG_REARM_CONNECTED);
                let timer = |c: &Connection| {
                    let idle = c.state() == State::Connected
                        && c.heartbeat_status().0 != nanodtls::connection::HeartbeatStatus::Pending;
                    if rearm_ok && idle {
                        None
                    } else {
                        c.timeout_ms(self.now)
                    }
                };
                let next = [timer(&self.c.conn), timer(&self.s.conn)].into_iter().flatten().min();
                let Some(dt) = next else { break };
                self.time(dt.max(1));
                busy_without_time = 0;
                self.observe();
                continue;
            }
            busy_without_time += 1;
            assert!(busy_without_time < 1000, "endless datagram ping-pong without any timer firing");
            self.observe();
        }
        self.read_side(true);
        self.read_side(false);
        self.observe();
    }
}

fn peer(conn: Box<Connection>, env: FuzzEnv, out: Outbox, is_client: bool) -> Peer {
    Peer {
        conn,
        env,
        is_client,
        out,
        rx: VecDeque::new(),
        closed_op: false,
        terminal: None,
        was_connected: false,
        seen: HashSet::new(),
        max_seen: None,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input::new(data);
    let (Some(bits), Some(mtu)) = (inp.u8(), inp.u8()) else { return };
    let setup = Setup::decode(bits, mtu, false);
    let w = World::at(setup, Side::Client, 0);
    let (to_s, to_c) = (w.to_server.clone(), w.to_client.clone());
    let Srv::Conn(server) = w.srv else { unreachable!() };
    let mut n = Net {
        setup,
        now: w.now,
        gen: 0,
        c: peer(w.client, w.cenv, w.cout, true),
        s: peer(server, w.senv, w.sout, false),
        c2s: VecDeque::new(),
        s2c: VecDeque::new(),
        records: HashMap::new(),
        next_id: 0,
        written_by_client: HashMap::new(),
        eligible: HashSet::new(),
        expected: HashSet::new(),
        read: HashSet::new(),
    };
    debug_assert!(n.c.is_client && !n.s.is_client);
    // The setup already polled the client's first flight.
    for (from_client, q) in [(true, to_s), (false, to_c)] {
        for d in q {
            n.note(from_client, &d);
            if from_client { &mut n.c2s } else { &mut n.s2c }.push_back(d);
        }
    }
    n.poll_all();
    let mut ops = 0;
    while let Some(code) = inp.u8() {
        ops += 1;
        if ops > 2048 {
            break;
        }
        if tracing() {
            eprintln!(
                "op {:2} now {} c {:?} {:?} | s {:?} {:?} | c2s {} s2c {}",
                code % o::COUNT,
                n.now,
                n.c.conn.state(),
                n.c.conn.timeout_ms(n.now),
                n.s.conn.state(),
                n.s.conn.timeout_ms(n.now),
                n.c2s.len(),
                n.s2c.len()
            );
        }
        match code % o::COUNT {
            o::DELIVER | o::DROP | o::DUP | o::SWAP | o::CORRUPT | o::DELIVER_ALL => {
                let Some(dir) = inp.u8() else { break };
                let to_client = dir & 1 != 0;
                let q = if to_client { &mut n.s2c } else { &mut n.c2s };
                match code % o::COUNT {
                    o::DELIVER => {
                        if let Some(d) = q.pop_front() {
                            n.deliver(to_client, &d);
                        }
                    }
                    o::DROP => {
                        q.pop_front();
                    }
                    o::DUP => {
                        if let Some(d) = q.front().cloned() {
                            q.push_front(d);
                        }
                    }
                    o::SWAP => {
                        let k = usize::from(dir >> 1);
                        if q.len() > 1 {
                            let j = 1 + k % (q.len() - 1);
                            q.swap(0, j);
                        }
                    }
                    o::CORRUPT => {
                        let (Some(pos), Some(x)) = (inp.u16(), inp.u8()) else { break };
                        if let Some(d) = q.front_mut() {
                            if !d.is_empty() {
                                let p = usize::from(pos) % d.len();
                                d[p] ^= x.max(1);
                            }
                        }
                    }
                    _ => {
                        let all: Vec<_> = q.drain(..).collect();
                        for d in all {
                            n.deliver(to_client, &d);
                        }
                    }
                }
            }
            o::TIME => {
                let (Some(ms), Some(scale)) = (inp.u16(), inp.u8()) else { break };
                n.time(u64::from(ms) * if scale & 1 != 0 { 100 } else { 1 });
            }
            o::WRITE => {
                let (Some(side), Some(len)) = (inp.u8(), inp.u8()) else { break };
                n.write(side & 1 == 0, usize::from(len) * 4);
            }
            o::READ => {
                let Some(side) = inp.u8() else { break };
                n.read_side(side & 1 == 0);
            }
            o::CLOSE => {
                let Some(side) = inp.u8() else { break };
                let (me, _) = n.side(side & 1 == 0);
                let r = me.conn.close();
                check_result(&r, "close");
                me.closed_op = true;
            }
            o::HEARTBEAT => {
                let Some(side) = inp.u8() else { break };
                let now = n.now;
                let (me, _) = n.side(side & 1 == 0);
                let r = me.conn.heartbeat(&mut me.env, now);
                check_result(&r, "heartbeat");
            }
            o::RECONNECT => n.reconnect(),
            _ => unreachable!(),
        }
        n.poll_all();
        n.observe();
    }
    // Let everything settle on a perfect network.
    n.settle();
    for client in [true, false] {
        let (me, _) = n.side(client);
        let s = me.conn.state();
        assert!(
            !s.handshaking() || s == State::ServerWaitClientHello,
            "{} still handshaking ({s:?}) after the network settled",
            if client { "client" } else { "server" }
        );
    }
    // Both Connected: they must be able to talk.
    if n.c.conn.state() == State::Connected && n.s.conn.state() == State::Connected {
        let before = n.read.len();
        assert!(n.write(true, 8), "client cannot write after settling");
        assert!(n.write(false, 8), "server cannot write after settling");
        n.settle();
        assert_eq!(n.read.len(), before + 2, "two Connected sides cannot exchange data (keys disagree?)");
    }
    // Exactly once.
    for id in &n.expected {
        assert!(n.read.contains(id), "payload #{id} was delivered intact to a Connected peer but never read");
    }
});
