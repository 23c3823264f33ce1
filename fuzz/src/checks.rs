//! Known-bug switches, invariant checks, and the feed / write / poll wrappers with their invariants.

use nanodtls::codec::Reader;
use nanodtls::record::{self, content, EXPLICIT_NONCE_LEN, HEADER_LEN};
use nanodtls::{Connection, Endpoint, Engine, Env, Error, Fed, PeerSlot, State};
use std::collections::{HashMap, VecDeque};
use std::ops::Range;

use crate::*;

/// Known, still unfixed engine bugs the harness may be told to tolerate
/// (so fuzzing can go on past them): the `NANODTLS_FUZZ_ALLOW` environment
/// variable lists their ids, separated by commas (see `fuzz/known-bugs.txt`).
/// Strict when unset: every regression input then reproduces its bug.
pub fn allowed(bug: &str) -> bool {
    use std::sync::OnceLock;
    static ALLOW: OnceLock<Vec<String>> = OnceLock::new();
    ALLOW
        .get_or_init(|| {
            std::env::var("NANODTLS_FUZZ_ALLOW")
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .iter()
        .any(|b| b == bug)
}

/// True when `NANODTLS_FUZZ_TRACE` is set: the scripts then print every op
/// (for understanding a crash input; never set while fuzzing).
pub fn tracing() -> bool {
    use std::sync::OnceLock;
    static T: OnceLock<bool> = OnceLock::new();
    *T.get_or_init(|| std::env::var_os("NANODTLS_FUZZ_TRACE").is_some())
}

/// Bug id: poll_datagram fails with BufferTooSmall although the buffer is
/// larger than the MTU (an empty handshake message that does not fit the
/// rest of a datagram); the records already written are lost.
pub const BUG_POLL_BUFFER: &str = "poll-buffer-too-small";

/// Bug id: a Connected connection re-arms its retransmission timer when a
/// late retransmission of the peer's flight makes it resend its last
/// flight, then retransmits that flight forever.
pub const BUG_REARM_CONNECTED: &str = "rearm-after-connected";

/// Panic on results that report a bug (`Internal`).
pub fn check_result<T>(r: &Result<T, Error>, what: &str) {
    if let Err(Error::Internal) = r {
        panic!("{what} returned Error::Internal (an internal invariant failed)");
    }
}

/// Panic if a connection's sticky status is `Internal`.
pub fn check_conn(c: &Engine, what: &str) {
    if c.failure() == Some(Error::Internal) {
        panic!("{what}: connection failed with Error::Internal");
    }
    let s = c.state();
    let hs_timer_needed = s.handshaking() && s != State::ServerWaitClientHello;
    if hs_timer_needed && c.timeout_ms(0).is_none() {
        panic!("{what}: handshaking in {s:?} without any timer (the handshake could hang forever)");
    }
    // Once Connected, only a pending heartbeat request runs a timer.
    let hb_pending = c.heartbeat_status().0 == nanodtls::connection::HeartbeatStatus::Pending;
    if s == State::Connected && !hb_pending && !allowed(BUG_REARM_CONNECTED) {
        if let Some(t) = c.timeout_ms(0) {
            panic!("{what}: Connected with a retransmission timer armed (due at {t} ms): the last flight will be retransmitted forever");
        }
    }
}

/// What one side sent, for the checks on its output: the datagrams the
/// application wrote (sealed at once by `write`) that wait for the next
/// drain, which hands them out before polling the engine (as a device
/// would send them), and the highest epoch-1 record sequence number seen
/// leaving per peer address (a connection's: the empty address). A record
/// sealed twice under one key and number would reuse an AEAD nonce.
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    /// Written datagrams, oldest first (endpoint: all to [`ADDR_A`]).
    pub tx: VecDeque<Vec<u8>>,
    last_seq: HashMap<Vec<u8>, u64>,
    /// Endpoint: `slots_allocated` when `last_seq` was last valid (a new
    /// association has new keys and starts its numbers again).
    allocated: u32,
}

impl Outbox {
    /// Forget the sequence numbers (the connection was replaced).
    pub fn reset(&mut self) {
        self.tx.clear();
        self.last_seq.clear();
    }

    /// Endpoint: forget the sequence numbers when a slot was (re)allocated.
    pub fn track_allocations(&mut self, slots_allocated: u32) {
        if slots_allocated != self.allocated {
            self.allocated = slots_allocated;
            self.last_seq.clear();
        }
    }

    /// A datagram the application wrote to `addr`: check it
    /// ([`Outbox::sent`]) and queue it for the next drain.
    pub fn written(&mut self, what: &str, addr: &[u8], d: Vec<u8>) {
        self.sent(what, addr, &d, false);
        self.tx.push_back(d);
    }

    /// Check a datagram that went out to `addr` (polled, or sealed by
    /// write): a sequence of whole records of epoch 0 or 1; a polled one
    /// holds no application data (only write seals that); every epoch-1
    /// record number is above all earlier ones to that address.
    pub fn sent(&mut self, what: &str, addr: &[u8], d: &[u8], polled: bool) {
        let mut r = Reader::new(d);
        let mut at = 0usize;
        while !r.is_empty() {
            let Ok(rec) = record::parse(&mut r) else {
                panic!("{what}: a sent datagram is not a sequence of whole records (bad record at {at} of {})", d.len())
            };
            at += HEADER_LEN + rec.fragment.len();
            assert!(rec.epoch <= 1, "{what}: sent a record in epoch {}", rec.epoch);
            if polled {
                assert_ne!(
                    rec.ctype,
                    content::APPLICATION_DATA,
                    "{what}: poll_datagram emitted an application-data record (only write seals application data)"
                );
            }
            if rec.epoch == 1 {
                let last = self.last_seq.entry(addr.to_vec()).or_insert(u64::MAX);
                assert!(
                    *last == u64::MAX || rec.seq > *last,
                    "{what}: epoch-1 record number {} sent after {} (a reused number reuses the AEAD nonce)",
                    rec.seq,
                    *last
                );
                *last = rec.seq;
            }
        }
    }
}

/// One application-data record that a feed reported.
#[derive(Clone, Debug)]
pub struct AppRec {
    /// Its plaintext, copied out of the fed datagram.
    pub data: Vec<u8>,
    /// The whole record (header to tag) in the datagram as received.
    pub record: Range<usize>,
}

/// What feeding one whole datagram did.
#[derive(Debug)]
pub struct FedAll {
    /// The application records reported, in order (also those before an error).
    pub apps: Vec<AppRec>,
    /// The first error (the connection ended), if any.
    pub result: Result<(), Error>,
}

/// Feed a copy of `d` (the library decrypts in place) to `feed` piece by
/// piece until all of it is processed, as an application does: each call
/// processes records up to and including the first application-data
/// record, and the rest is fed again. `tag` is the suite's tag length.
///
/// Invariants (panics): no call returns `Internal`; `consumed` never
/// exceeds the slice and always advances (at most one call per
/// [`MIN_APP_RECORD`] bytes); a call without application data consumes
/// everything; the bytes after `consumed` are untouched; `app` lies inside
/// what was consumed and is the plaintext of the last record processed: an
/// epoch-1 application-data record whose header (as received) says so,
/// between its explicit nonce and its tag.
pub fn feed_all(what: &str, d: &[u8], tag: usize, mut feed: impl FnMut(&mut [u8]) -> Result<Fed, Error>) -> FedAll {
    let mut buf = d.to_vec();
    let mut at = 0usize;
    let mut apps = Vec::new();
    let max_calls = d.len() / MIN_APP_RECORD + 1;
    let mut calls = 0usize;
    loop {
        calls += 1;
        assert!(calls <= max_calls, "{what}: more than {max_calls} feed calls for a {}-byte datagram", d.len());
        let r = feed(&mut buf[at..]);
        check_result(&r, what);
        let fed = match r {
            Ok(f) => f,
            Err(e) => return FedAll { apps, result: Err(e) },
        };
        let rest = d.len() - at;
        let n = fed.consumed;
        assert!(n <= rest, "{what}: feed consumed {n} bytes of a {rest}-byte slice");
        assert!(n > 0 || rest == 0, "{what}: feed made no progress ({rest} bytes left)");
        assert!(buf[at + n..] == d[at + n..], "{what}: feed changed bytes after the {n} it consumed");
        match fed.app {
            None => assert_eq!(n, rest, "{what}: feed stopped after {n} of {rest} bytes without application data"),
            Some(app) => {
                assert!(
                    app.start <= app.end && app.end <= n,
                    "{what}: application data at {app:?} outside the {n} bytes consumed of a {rest}-byte slice"
                );
                assert_eq!(
                    n - app.end,
                    tag,
                    "{what}: application data at {app:?} does not end a record ({n} consumed, tag {tag})"
                );
                assert!(
                    app.start >= HEADER_LEN + EXPLICIT_NONCE_LEN,
                    "{what}: application data at {app:?} starts inside a record header"
                );
                let rs = app.start - HEADER_LEN - EXPLICIT_NONCE_LEN;
                let h = record::parse_header(&d[at + rs..at + n]);
                assert!(
                    matches!(h, Ok(h) if h.ctype == content::APPLICATION_DATA && h.epoch == 1 && h.len == n - rs - HEADER_LEN),
                    "{what}: application data at {app:?} is not the plaintext of an epoch-1 application record ending at {n} (header {h:?})"
                );
                apps.push(AppRec { data: buf[at + app.start..at + app.end].to_vec(), record: at + rs..at + n });
            }
        }
        at += n;
        if at >= d.len() {
            return FedAll { apps, result: Ok(()) };
        }
    }
}

/// Feed a whole datagram to a connection ([`feed_all`]); if it yielded
/// application data, feeding the same datagram again (to a snapshot, so
/// the run is not changed) must yield none: a replay.
pub fn feed_conn(c: &mut Connection, env: &mut FuzzEnv, now: u64, d: &[u8], tag: usize, what: &str) -> FedAll {
    let fed = feed_all(what, d, tag, |b| c.feed(env, now, b));
    if !fed.apps.is_empty() {
        let (mut c2, mut env2) = (dup_box(c), env.dup());
        let again = feed_all(what, d, tag, |b| c2.feed(&mut env2, now, b));
        assert!(
            again.apps.is_empty(),
            "{what}: the same datagram fed twice yielded {} application record(s) again (replay)",
            again.apps.len()
        );
    }
    fed
}

/// Check a datagram `write` sealed from `len` bytes of data: exactly one
/// epoch-1 application-data record of header + explicit nonce + data +
/// tag, within the MTU.
fn check_sealed(what: &str, d: &[u8], len: usize, mtu: u16, tag: usize) {
    let n = d.len();
    assert_eq!(
        n,
        HEADER_LEN + EXPLICIT_NONCE_LEN + len + tag,
        "{what}: write of {len} bytes returned a {n}-byte datagram"
    );
    assert!(n <= usize::from(mtu), "{what}: write returned {n} bytes with MTU {mtu}");
    let h = record::parse_header(d);
    assert!(
        matches!(h, Ok(h) if h.ctype == content::APPLICATION_DATA && h.epoch == 1 && h.len == n - HEADER_LEN),
        "{what}: write did not seal one epoch-1 application record (header {h:?})"
    );
}

/// `c.write` with its invariants; the sealed datagram on success.
///
/// When `c` is Connected and `data` fits [`Connection::max_write`]: a
/// buffer one byte short of the record gets `BufferTooSmall` and uses no
/// sequence number (the record sealed next is the one a snapshot taken
/// before the attempt seals), the full buffer is never refused as
/// TooLarge or BufferTooSmall, and the record is exactly one epoch-1
/// application record within the MTU. More than `max_write()` is refused.
pub fn write_conn(c: &mut Connection, data: &[u8], mtu: u16, tag: usize, what: &str) -> Result<Vec<u8>, Error> {
    let max = c.max_write();
    let need = HEADER_LEN + EXPLICIT_NONCE_LEN + data.len() + tag;
    let checked = c.state() == State::Connected && data.len() <= max;
    let mut buf = vec![0u8; 17_000];
    let snap = if checked {
        let snap = dup_box(c);
        let r = c.write(data, &mut buf[..need - 1]);
        check_result(&r, what);
        assert_eq!(
            r,
            Err(Error::BufferTooSmall),
            "{what}: write of {} bytes into {} bytes (the record needs {need})",
            data.len(),
            need - 1
        );
        Some(snap)
    } else {
        None
    };
    let r = c.write(data, &mut buf);
    check_result(&r, what);
    if checked {
        assert!(
            !matches!(r, Err(Error::TooLarge)),
            "write of {} bytes refused as TooLarge although max_write() said {max}",
            data.len()
        );
        assert_ne!(r, Err(Error::BufferTooSmall), "{what}: write refused a {}-byte buffer", buf.len());
    }
    if data.len() > max {
        assert!(r.is_err(), "{what}: write accepted {} bytes, more than max_write() {max}", data.len());
    }
    let n = r?;
    let d = buf[..n].to_vec();
    check_sealed(what, &d, data.len(), mtu, tag);
    if let Some(mut s) = snap {
        let mut b2 = vec![0u8; need];
        let r2 = s.write(data, &mut b2);
        assert_eq!(r2, Ok(n), "{what}: a snapshot could not write what the connection wrote");
        assert!(b2 == d, "{what}: a write refused with BufferTooSmall used a sequence number (or changed the record)");
    }
    Ok(d)
}

/// `Endpoint::write` to `addr` with the invariants of [`write_conn`] (the
/// snapshot is the endpoint and its slots).
#[allow(clippy::too_many_arguments)]
pub fn write_endpoint(
    ep: &mut Endpoint,
    slots: &mut [PeerSlot],
    now: u64,
    addr: &[u8],
    data: &[u8],
    mtu: u16,
    tag: usize,
) -> Result<Vec<u8>, Error> {
    let what = "endpoint write";
    let peer = ep.peer(slots, addr).map(|c| (c.state(), c.max_write()));
    let need = HEADER_LEN + EXPLICIT_NONCE_LEN + data.len() + tag;
    let checked = matches!(peer, Some((State::Connected, max)) if data.len() <= max);
    let mut buf = vec![0u8; 17_000];
    let snap = if checked {
        let snap = (dup_box(ep), slots.iter().map(dup_val).collect::<Vec<_>>());
        let r = ep.write(slots, now, addr, data, &mut buf[..need - 1]);
        check_result(&r, what);
        assert_eq!(r, Err(Error::BufferTooSmall), "{what}: write of {} bytes into {} bytes", data.len(), need - 1);
        Some(snap)
    } else {
        None
    };
    let r = ep.write(slots, now, addr, data, &mut buf);
    check_result(&r, what);
    if checked {
        assert!(
            !matches!(r, Err(Error::TooLarge | Error::BufferTooSmall)),
            "{what}: write of {} bytes refused: {r:?}",
            data.len()
        );
    }
    if let Some((_, max)) = peer {
        if data.len() > max {
            assert!(r.is_err(), "{what}: write accepted {} bytes, more than max_write() {max}", data.len());
        }
    }
    let n = r?;
    let d = buf[..n].to_vec();
    check_sealed(what, &d, data.len(), mtu, tag);
    if let Some((mut ep2, mut slots2)) = snap {
        let mut b2 = vec![0u8; need];
        let r2 = ep2.write(&mut slots2, now, addr, data, &mut b2);
        assert_eq!(r2, Ok(n), "{what}: a snapshot could not write what the endpoint wrote");
        assert!(b2 == d, "{what}: a write refused with BufferTooSmall used a sequence number (or changed the record)");
    }
    Ok(d)
}

/// Hand out what `ob` holds (written datagrams), then poll every datagram
/// `c` has into `out`, checking the MTU, each datagram ([`Outbox::sent`])
/// and that the drain ends.
pub fn drain_conn(
    c: &mut Connection,
    env: &dyn Env,
    now: u64,
    ob: &mut Outbox,
    out: &mut VecDeque<Vec<u8>>,
    what: &str,
) {
    out.extend(ob.tx.drain(..));
    let mtu = usize::from(c.config().mtu);
    let mut buf = vec![0u8; 17_000];
    for _ in 0..MAX_POLLS {
        let r = c.poll_datagram(env, now, &mut buf);
        check_result(&r, what);
        match r {
            Ok(Some(n)) => {
                assert!(n > 0 && n <= mtu, "{what}: poll_datagram returned {n} bytes with MTU {mtu}");
                ob.sent(what, b"", &buf[..n], true);
                out.push_back(buf[..n].to_vec());
            }
            Ok(None) => return,
            Err(Error::BufferTooSmall) if allowed(BUG_POLL_BUFFER) => return,
            Err(Error::BufferTooSmall) => {
                panic!("{what}: poll_datagram said BufferTooSmall with a {}-byte buffer and MTU {mtu}: the next record can never be sent", buf.len())
            }
            Err(_) => return,
        }
    }
    panic!("{what}: poll_datagram produced more than {MAX_POLLS} datagrams in one drain");
}

/// Hand out what `ob` holds (datagrams written to [`ADDR_A`]), then poll
/// every datagram of an endpoint; those for [`ADDR_A`] go to `out`.
pub fn drain_endpoint(
    ep: &mut Endpoint,
    slots: &mut [PeerSlot],
    env: &dyn Env,
    now: u64,
    mtu: u16,
    ob: &mut Outbox,
    out: &mut VecDeque<Vec<u8>>,
) {
    out.extend(ob.tx.drain(..));
    let mut buf = vec![0u8; 17_000];
    let mut addr = [0u8; 64];
    for _ in 0..MAX_POLLS * 4 {
        let r = ep.poll_datagram(slots, env, now, &mut buf, &mut addr);
        check_result(&r, "endpoint poll");
        match r {
            Ok(Some((n, a))) => {
                assert!(n > 0 && n <= usize::from(mtu), "endpoint poll returned {n} bytes with MTU {mtu}");
                assert!(a > 0 && a <= 32, "endpoint poll returned address length {a}");
                ob.track_allocations(ep.stats().slots_allocated);
                ob.sent("endpoint poll", &addr[..a], &buf[..n], true);
                if &addr[..a] == ADDR_A {
                    out.push_back(buf[..n].to_vec());
                }
            }
            Ok(None) => return,
            Err(Error::BufferTooSmall) if allowed(BUG_POLL_BUFFER) => return,
            Err(Error::BufferTooSmall) => panic!("endpoint poll: BufferTooSmall with a large buffer"),
            Err(_) => return,
        }
    }
    panic!("endpoint poll produced more than {} datagrams in one drain", MAX_POLLS * 4);
}

/// After a poll into a small buffer said `BufferTooSmall`: nothing was
/// lost. `poll_before` (on a snapshot taken before that poll) and
/// `poll_after` (on one taken after it), both into a large buffer, give
/// the same datagram (`T`: its length, with the endpoint's address), and
/// when `size` is given that datagram did not fit `size` bytes.
pub fn check_poll_refusal<T: PartialEq + std::fmt::Debug>(
    what: &str,
    size: Option<usize>,
    len: impl Fn(&T) -> usize,
    mut poll_before: impl FnMut(&mut [u8]) -> Result<Option<T>, Error>,
    mut poll_after: impl FnMut(&mut [u8]) -> Result<Option<T>, Error>,
) {
    let (mut b1, mut b2) = (vec![0u8; 17_000], vec![0u8; 17_000]);
    let r1 = poll_before(&mut b1);
    let r2 = poll_after(&mut b2);
    assert_eq!(r1, r2, "{what}: poll said BufferTooSmall and then polled differently than without that call");
    if let Ok(Some(x)) = r2 {
        let n = len(&x);
        assert!(
            b1[..n] == b2[..n],
            "{what}: poll said BufferTooSmall and changed the next datagram (something was lost)"
        );
        // The documented contract: BufferTooSmall means the next datagram
        // does not fit, or the buffer is below NANODTLS_MIN_MTU (such a
        // buffer is refused whenever anything waits).
        if let Some(size) = size {
            let min_mtu = usize::from(nanodtls::config::MIN_MTU);
            assert!(
                n > size || size < min_mtu,
                "{what}: poll said BufferTooSmall to {size} bytes (MIN_MTU {min_mtu}), but the next datagram has {n}"
            );
        }
    }
}
