//! Shared harness of the nanodtls fuzz targets (and of
//! `examples/gen_corpus.rs`).
//!
//! - [`FuzzEnv`]: a seeded [`Env`] (xorshift RNG, a small server session
//!   cache, an optional X.509 certificate of our own).
//! - [`Setup`]: which handshake to run (suite, client auth, cookies,
//!   heartbeat, max_fragment_length, resumption, X.509 / SNI / PSK hint,
//!   MTU, single server connection or [`Endpoint`]), decoded from input bytes.
//! - [`World`]: a real client <-> server handshake, run lossless and step by
//!   step up to a chosen number of datagrams delivered to one side; the
//!   undelivered genuine datagrams stay queued. Worlds are cached per
//!   (setup, side, step) and duplicated bytewise, so the expensive part
//!   (P-256) runs once per distinct prefix, not once per execution.
//! - [`Input`]: a cursor over the fuzzer's bytes.
//! - [`feed_all`], [`feed_conn`], [`write_conn`], [`drain_conn`],
//!   [`drain_endpoint`], [`Outbox`]: the library's zero-copy calls (feed
//!   decrypts in place and stops after each application record; write
//!   seals one record straight into a buffer) wrapped so the harness keeps
//!   a feed / write / poll shape, each with its invariants.
//! - [`run_conn_script`]: the op interpreter of the `client` and `server`
//!   targets (one fuzzed connection, its genuine peer in-process).
//! - Invariant checks (they panic, so libFuzzer reports them).
//!
//! Everything is deterministic: the same input always runs the same way.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Range;

use nanodtls::codec::Reader;
use nanodtls::record::{self, content, EXPLICIT_NONCE_LEN, HEADER_LEN};
use nanodtls::session::CacheEntry;
use nanodtls::{suite, Config, Connection, Endpoint, Engine, Env, Error, Fed, PeerSlot, Role, State};
use zerocopy::FromZeros;

/// PSK identity and key of every PSK setup.
pub const PSK_ID: &[u8] = b"client1";
/// See [`PSK_ID`].
pub const PSK: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
/// Address of the genuine client at a server endpoint.
pub const ADDR_A: &[u8] = b"10.0.0.1:5684";
/// Addresses the `server` target may send from (the first is the genuine client's).
pub const ADDRS: [&[u8]; 4] = [ADDR_A, b"10.0.0.2:5684", b"[fe80::1%eth0]:5684", b"z"];
/// MTUs a setup can choose (the engine's minimum is 128).
pub const MTUS: [u16; 8] = [128, 150, 200, 256, 300, 576, 1280, 1400];
/// Start of the virtual clock (ms).
pub const START_MS: u64 = 1_000;
/// Most datagrams one drain of poll_datagram may produce before we call it
/// a runaway (a flight at MTU 128 is about a dozen).
pub const MAX_POLLS: usize = 256;
/// Smallest protected application record: header, explicit nonce, an
/// 8-byte tag and no data (bounds the feed calls one datagram needs).
pub const MIN_APP_RECORD: usize = HEADER_LEN + EXPLICIT_NONCE_LEN + 8;
/// Largest step (datagrams delivered during the setup handshake) a setup
/// can stop at; a handshake never needs more.
pub const MAX_STEP: u8 = 15;

/// The self-signed test certificates of test_key(1) and test_key(2).
pub const CERT1: &[u8] = include_bytes!("../../tests/vectors/test1.crt.der");
/// See [`CERT1`].
pub const CERT2: &[u8] = include_bytes!("../../tests/vectors/test2.crt.der");

/// A fixed P-256 private key (scalar n), as in tests/common.
pub fn test_key(n: u8) -> [u8; 32] {
    let mut k = [n; 32];
    k[0] = 0x10;
    k
}

/// SubjectPublicKeyInfo of [`test_key`]`(n)`.
pub fn test_spki(n: u8) -> [u8; 91] {
    thread_local! {
        static SPKI: RefCell<HashMap<u8, [u8; 91]>> = RefCell::new(HashMap::new());
    }
    SPKI.with(|m| {
        *m.borrow_mut().entry(n).or_insert_with(|| {
            let mut c = Connection::new_box_zeroed().expect("alloc");
            c.init(&Config::new(Role::Client)).expect("init");
            c.set_own_key(&test_key(n)).expect("key");
            c.own_spki().expect("spki")
        })
    })
}

/// xorshift64*: deterministic and cheap.
#[derive(Clone, Debug)]
pub struct XorShift(pub u64);

impl XorShift {
    /// Next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0.max(1);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Bytewise copy of one of the engine's plain-data structures
/// ([`Connection`], [`Endpoint`], [`PeerSlot`], [`CacheEntry`]).
///
/// They are `#[repr(C)]`, valid when all-zero (C keeps them in static
/// storage), own no heap memory and hold no references, so a memcpy is a
/// faithful snapshot (the same thing C code does with `memcpy`).
pub fn dup_box<T: FromZeros>(x: &T) -> Box<T> {
    let mut b = T::new_box_zeroed().expect("alloc");
    // SAFETY: see above; source and destination are distinct, valid and aligned.
    unsafe { core::ptr::copy_nonoverlapping(x as *const T, &mut *b as *mut T, 1) };
    b
}

fn dup_val<T: FromZeros>(x: &T) -> T {
    // SAFETY: as for dup_box.
    unsafe { core::ptr::read(x as *const T) }
}

/// A seeded environment.
pub struct FuzzEnv {
    /// The RNG.
    pub rng: XorShift,
    /// Session cache (servers; empty: none).
    pub cache: Vec<CacheEntry>,
    /// Our X.509 certificate, if any.
    pub own_cert: Option<&'static [u8]>,
    /// Make the RNG fail.
    pub fail_rng: bool,
}

impl FuzzEnv {
    /// An environment seeded with `seed`, with `cache` session cache entries.
    pub fn new(seed: u64, cache: usize) -> Self {
        FuzzEnv {
            rng: XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            cache: (0..cache).map(|_| CacheEntry::new_zeroed()).collect(),
            own_cert: None,
            fail_rng: false,
        }
    }

    /// A snapshot.
    pub fn dup(&self) -> Self {
        FuzzEnv {
            rng: self.rng.clone(),
            cache: self.cache.iter().map(dup_val).collect(),
            own_cert: self.own_cert,
            fail_rng: self.fail_rng,
        }
    }
}

impl Env for FuzzEnv {
    fn random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        if self.fail_rng {
            return Err(Error::Rng);
        }
        for b in buf {
            *b = self.rng.next_u64() as u8;
        }
        Ok(())
    }
    fn session_cache(&mut self) -> Option<&mut [CacheEntry]> {
        if self.cache.is_empty() {
            None
        } else {
            Some(&mut self.cache)
        }
    }
    fn own_certificate(&self) -> Option<&[u8]> {
        self.own_cert
    }
}

/// Which handshake a world runs. `bits`:
/// - 0..1: suite (PSK_CCM_8, PSK_CCM, ECDHE_ECDSA_CCM_8, ECDHE_ECDSA_CCM)
/// - 2: ECDHE: the server requires a client key; PSK: the server sends an identity hint
/// - 3: the server demands a cookie (HelloVerifyRequest)
/// - 4: heartbeat negotiated
/// - 5: the client asks for max_fragment_length 512
/// - 6: a full handshake first, then a resumed one (the one stopped in)
/// - 7: ECDHE: X.509 certificates both ways (client without RFC 7250); PSK: SNI
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Setup {
    /// See the type's documentation.
    pub bits: u8,
    /// MTU of both sides.
    pub mtu: u16,
    /// The server is an [`Endpoint`] with [`ENDPOINT_SLOTS`] slots.
    pub endpoint: bool,
}

/// Peer slots of an endpoint setup.
pub const ENDPOINT_SLOTS: usize = 3;

impl Setup {
    /// Decode from a setup byte and an MTU byte (bit 7: endpoint).
    pub fn decode(bits: u8, mtu: u8, endpoint_allowed: bool) -> Self {
        Setup { bits, mtu: MTUS[usize::from(mtu & 7)], endpoint: endpoint_allowed && mtu & 0x80 != 0 }
    }
    /// Inverse of [`Setup::decode`]: (bits byte, mtu byte).
    pub fn encode(&self) -> (u8, u8) {
        let m = MTUS.iter().position(|&m| m == self.mtu).unwrap_or(6) as u8;
        (self.bits, m | if self.endpoint { 0x80 } else { 0 })
    }
    /// The cipher suite.
    pub fn suite(&self) -> u16 {
        [
            suite::PSK_AES_128_CCM_8,
            suite::PSK_AES_128_CCM,
            suite::ECDHE_ECDSA_AES_128_CCM_8,
            suite::ECDHE_ECDSA_AES_128_CCM,
        ][usize::from(self.bits & 3)]
    }
    /// ECDHE_ECDSA rather than PSK.
    pub fn ecc(&self) -> bool {
        self.bits & 2 != 0
    }
    /// The server requests a client certificate.
    pub fn client_auth(&self) -> bool {
        self.ecc() && self.bits & 4 != 0
    }
    /// The PSK server sends an identity hint.
    pub fn psk_hint(&self) -> bool {
        !self.ecc() && self.bits & 4 != 0
    }
    /// HelloVerifyRequest round trip.
    pub fn cookie(&self) -> bool {
        self.bits & 8 != 0
    }
    /// Heartbeat.
    pub fn heartbeat(&self) -> bool {
        self.bits & 16 != 0
    }
    /// max_fragment_length 512.
    pub fn mfl(&self) -> bool {
        self.bits & 32 != 0
    }
    /// Resumed handshake after a full one.
    pub fn resume(&self) -> bool {
        self.bits & 64 != 0
    }
    /// X.509 certificates (ECDHE).
    pub fn x509(&self) -> bool {
        self.ecc() && self.bits & 128 != 0
    }
    /// Server name indication (PSK).
    pub fn sni(&self) -> bool {
        !self.ecc() && self.bits & 128 != 0
    }
    /// AEAD tag length of the suite (CCM_8: 8, CCM: 16).
    pub fn tag_len(&self) -> usize {
        if self.bits & 1 != 0 {
            16
        } else {
            8
        }
    }

    /// Client configuration.
    pub fn client_config(&self) -> Config {
        let mut c = Config::new(Role::Client);
        c.suites = [self.suite(), 0, 0, 0];
        c.mtu = self.mtu;
        c.heartbeat = self.heartbeat();
        c.max_fragment_length = if self.mfl() { 512 } else { 0 };
        c
    }

    /// Server configuration.
    pub fn server_config(&self) -> Config {
        let mut c = Config::new(Role::Server);
        c.mtu = self.mtu;
        c.require_cookie = self.cookie();
        c.client_auth = self.client_auth();
        c.heartbeat = self.heartbeat();
        c
    }

    /// A fresh client with its credentials (not connected).
    pub fn new_client(&self, env: &mut FuzzEnv) -> Box<Connection> {
        let mut c = Connection::new_box_zeroed().expect("alloc");
        c.init(&self.client_config()).expect("client init");
        if self.ecc() {
            if self.client_auth() || self.x509() {
                c.set_own_key(&test_key(1)).expect("key");
            }
            c.add_trusted_key(&test_spki(2)).expect("trust");
            if self.x509() {
                c.test_without_raw_public_keys();
                env.own_cert = Some(CERT1);
            }
        } else {
            c.set_psk(PSK_ID, &PSK).expect("psk");
            if self.sni() {
                c.set_server_name(b"coap.example.com").expect("sni");
            }
        }
        c
    }

    /// A fresh server connection with its credentials.
    pub fn new_server(&self, env: &mut FuzzEnv) -> Box<Connection> {
        let mut s = Connection::new_box_zeroed().expect("alloc");
        s.init(&self.server_config()).expect("server init");
        if self.ecc() {
            s.set_own_key(&test_key(2)).expect("key");
            if self.client_auth() {
                s.add_trusted_key(&test_spki(1)).expect("trust");
            }
            if self.x509() {
                env.own_cert = Some(CERT2);
            }
        } else {
            s.set_psk(PSK_ID, &PSK).expect("psk");
            if self.psk_hint() {
                s.set_psk_hint(b"hint").expect("hint");
            }
        }
        s
    }

    /// A fresh endpoint (and its slots) with the server credentials.
    pub fn new_endpoint(&self, env: &mut FuzzEnv) -> (Box<Endpoint>, Vec<PeerSlot>) {
        let mut ep = Endpoint::new_box_zeroed().expect("alloc");
        ep.init(&self.server_config(), 30_000, 10_000).expect("endpoint init");
        if self.ecc() {
            ep.set_own_key(&test_key(2)).expect("key");
            if self.client_auth() {
                ep.add_trusted_key(&test_spki(1)).expect("trust");
            }
            if self.x509() {
                env.own_cert = Some(CERT2);
            }
        } else {
            ep.set_psk(PSK_ID, &PSK).expect("psk");
            if self.psk_hint() {
                ep.set_psk_hint(b"hint").expect("hint");
            }
        }
        let slots = (0..ENDPOINT_SLOTS).map(|_| *PeerSlot::new_box_zeroed().expect("alloc")).collect();
        (ep, slots)
    }
}

/// The server side of a world.
pub enum Srv {
    /// A single server connection.
    Conn(Box<Connection>),
    /// An endpoint and its slots.
    Ep {
        /// The endpoint.
        ep: Box<Endpoint>,
        /// Its slots.
        slots: Vec<PeerSlot>,
    },
}

impl Srv {
    /// A snapshot.
    pub fn dup(&self) -> Srv {
        match self {
            Srv::Conn(c) => Srv::Conn(dup_box(&**c)),
            Srv::Ep { ep, slots } => Srv::Ep { ep: dup_box(&**ep), slots: slots.iter().map(dup_val).collect() },
        }
    }

    /// State of the server connection of the genuine client (endpoint: its slot).
    pub fn state(&self) -> State {
        match self {
            Srv::Conn(c) => c.state(),
            Srv::Ep { ep, slots } => ep.peer(slots, ADDR_A).map_or(State::ServerWaitClientHello, |c| c.state()),
        }
    }

    /// Feed a whole datagram from `addr` (see [`feed_all`]); if it yielded
    /// application data, feeding it again (to a snapshot) must yield none.
    pub fn feed(&mut self, env: &mut FuzzEnv, now: u64, addr: &[u8], d: &[u8], tag: usize) -> FedAll {
        match self {
            Srv::Conn(c) => feed_conn(c, env, now, d, tag, "server feed"),
            Srv::Ep { ep, slots } => {
                let fed = feed_all("endpoint feed", d, tag, |b| ep.feed(slots, env, now, addr, b));
                if !fed.apps.is_empty() {
                    let (mut ep2, mut slots2, mut env2) =
                        (dup_box(&**ep), slots.iter().map(dup_val).collect::<Vec<_>>(), env.dup());
                    let again = feed_all("endpoint feed (replayed)", d, tag, |b| {
                        ep2.feed(&mut slots2, &mut env2, now, addr, b)
                    });
                    assert!(
                        again.apps.is_empty(),
                        "endpoint: the same datagram fed twice yielded {} application record(s) again (replay)",
                        again.apps.len()
                    );
                }
                fed
            }
        }
    }
}

/// Which side a step count refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Datagrams delivered to the client.
    Client,
    /// Datagrams delivered to the server.
    Server,
}

/// A client, a server and the datagrams between them.
pub struct World {
    /// The handshake being run.
    pub setup: Setup,
    /// Virtual clock (ms).
    pub now: u64,
    /// The client.
    pub client: Box<Connection>,
    /// Its environment.
    pub cenv: FuzzEnv,
    /// What the client sent (written datagrams not yet drained; sequence numbers).
    pub cout: Outbox,
    /// The server.
    pub srv: Srv,
    /// Its environment.
    pub senv: FuzzEnv,
    /// What the server sent (endpoint: the datagrams written to [`ADDR_A`]).
    pub sout: Outbox,
    /// Genuine datagrams from the server not yet delivered to the client.
    pub to_client: VecDeque<Vec<u8>>,
    /// Genuine datagrams from the client not yet delivered to the server.
    pub to_server: VecDeque<Vec<u8>>,
    /// Datagrams delivered to the client in the current handshake.
    pub delivered_to_client: u8,
    /// Datagrams delivered to the server in the current handshake.
    pub delivered_to_server: u8,
    /// Session blob exported after the first handshake of a resume setup.
    pub session_blob: Vec<u8>,
}

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
        if let Some(size) = size {
            assert!(n > size, "{what}: poll said BufferTooSmall to {size} bytes, but the next datagram has {n}");
        }
    }
}

impl World {
    /// A new world: client connected (its ClientHello not yet polled).
    pub fn new(setup: Setup) -> World {
        let mut cenv = FuzzEnv::new(0xC11E, 0);
        let mut senv = FuzzEnv::new(0x5E4E, 2);
        let client = setup.new_client(&mut cenv);
        let srv = if setup.endpoint {
            let (ep, slots) = setup.new_endpoint(&mut senv);
            Srv::Ep { ep, slots }
        } else {
            Srv::Conn(setup.new_server(&mut senv))
        };
        let mut w = World {
            setup,
            now: START_MS,
            client,
            cenv,
            cout: Outbox::default(),
            srv,
            senv,
            sout: Outbox::default(),
            to_client: VecDeque::new(),
            to_server: VecDeque::new(),
            delivered_to_client: 0,
            delivered_to_server: 0,
            session_blob: Vec::new(),
        };
        w.client.connect(&mut w.cenv, w.now).expect("connect");
        w
    }

    /// A snapshot of the whole world.
    pub fn dup(&self) -> World {
        World {
            setup: self.setup,
            now: self.now,
            client: dup_box(&*self.client),
            cenv: self.cenv.dup(),
            cout: self.cout.clone(),
            srv: self.srv.dup(),
            senv: self.senv.dup(),
            sout: self.sout.clone(),
            to_client: self.to_client.clone(),
            to_server: self.to_server.clone(),
            delivered_to_client: self.delivered_to_client,
            delivered_to_server: self.delivered_to_server,
            session_blob: self.session_blob.clone(),
        }
    }

    /// The server connection (None for an endpoint).
    pub fn server_conn(&mut self) -> Option<&mut Connection> {
        match &mut self.srv {
            Srv::Conn(c) => Some(c),
            Srv::Ep { .. } => None,
        }
    }

    /// The server connection (panics for an endpoint).
    pub fn server_conn_ref(&self) -> &Connection {
        match &self.srv {
            Srv::Conn(c) => c,
            Srv::Ep { .. } => panic!("not a single server connection"),
        }
    }

    /// Poll the client into `to_server` (written datagrams first).
    pub fn pump_client(&mut self) {
        drain_conn(&mut self.client, &self.cenv, self.now, &mut self.cout, &mut self.to_server, "client poll");
    }

    /// Poll the server into `to_client` (written datagrams first; an
    /// endpoint's datagrams to other addresses are dropped).
    pub fn pump_server(&mut self) {
        let now = self.now;
        match &mut self.srv {
            Srv::Conn(s) => drain_conn(s, &self.senv, now, &mut self.sout, &mut self.to_client, "server poll"),
            Srv::Ep { ep, slots } => {
                drain_endpoint(ep, slots, &self.senv, now, self.setup.mtu, &mut self.sout, &mut self.to_client)
            }
        }
    }

    /// Poll both sides into the queues.
    pub fn pump(&mut self) {
        self.pump_client();
        self.pump_server();
    }

    /// Deliver one datagram to the client (see [`feed_conn`]).
    pub fn feed_client(&mut self, d: &[u8]) -> FedAll {
        feed_conn(&mut self.client, &mut self.cenv, self.now, d, self.setup.tag_len(), "client feed")
    }

    /// Deliver one datagram to the server from [`ADDR_A`] (see [`Srv::feed`]).
    pub fn feed_server(&mut self, d: &[u8]) -> FedAll {
        let tag = self.setup.tag_len();
        self.srv.feed(&mut self.senv, self.now, ADDR_A, d, tag)
    }

    /// Run the handshake lossless until `k` datagrams were delivered to
    /// `side` (or nothing moves any more).
    pub fn run_to(&mut self, side: Side, k: u8) {
        for _ in 0..200 {
            self.pump();
            let reached = match side {
                Side::Client => self.delivered_to_client >= k,
                Side::Server => self.delivered_to_server >= k,
            };
            if reached {
                return;
            }
            if let Some(d) = self.to_server.pop_front() {
                let fed = self.feed_server(&d);
                assert!(fed.apps.is_empty(), "application data during the setup handshake");
                self.delivered_to_server += 1;
            } else if let Some(d) = self.to_client.pop_front() {
                let fed = self.feed_client(&d);
                assert!(fed.apps.is_empty(), "application data during the setup handshake");
                self.delivered_to_client += 1;
            } else {
                return;
            }
        }
        panic!("setup handshake did not settle");
    }

    /// Resumption: export the client's session, start a new client that
    /// imports it, and a new server (an endpoint keeps its slots: the new
    /// ClientHello from the same address replaces the association).
    pub fn restart_for_resumption(&mut self) {
        let mut blob = [0u8; 512];
        let Ok(n) = self.client.export_session(&mut blob) else { return };
        self.session_blob = blob[..n].to_vec();
        let mut c = self.setup.new_client(&mut self.cenv);
        c.import_session(&blob[..n]).expect("import of a fresh export");
        self.client = c;
        self.cout.reset();
        if let Srv::Conn(_) = self.srv {
            self.srv = Srv::Conn(self.setup.new_server(&mut self.senv));
        }
        self.sout.reset();
        self.to_client.clear();
        self.to_server.clear();
        self.delivered_to_client = 0;
        self.delivered_to_server = 0;
        self.now += 5_000;
        self.client.connect(&mut self.cenv, self.now).expect("connect (resume)");
    }

    /// The world of `setup` stopped after `step` datagrams were delivered to
    /// `side` (cached).
    pub fn at(setup: Setup, side: Side, step: u8) -> World {
        thread_local! {
            static CACHE: RefCell<HashMap<(Setup, Side, u8), World>> = RefCell::new(HashMap::new());
        }
        let key = (setup, side, step);
        if let Some(w) = CACHE.with(|c| c.borrow().get(&key).map(World::dup)) {
            return w;
        }
        let mut w = World::new(setup);
        if setup.resume() {
            w.run_to(Side::Client, 100);
            w.restart_for_resumption();
        }
        w.run_to(side, step);
        CACHE.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= 1024 {
                c.clear();
            }
            c.insert(key, w.dup());
        });
        w
    }
}

/// A cursor over the fuzzer's bytes; reads past the end give `None`.
pub struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    /// Wrap `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data, pos: 0 }
    }
    /// True when everything was consumed.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }
    /// One byte.
    pub fn u8(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }
    /// Big-endian u16.
    pub fn u16(&mut self) -> Option<u16> {
        Some(u16::from(self.u8()?) << 8 | u16::from(self.u8()?))
    }
    /// Up to `n` bytes (fewer at the end of the input).
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let end = self.pos.saturating_add(n).min(self.data.len());
        let s = &self.data[self.pos..end];
        self.pos = end;
        s
    }
    /// A u16-length-prefixed byte string.
    pub fn blob16(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(self.u16()?);
        Some(self.bytes(n))
    }
    /// The rest.
    pub fn rest(&mut self) -> &'a [u8] {
        self.bytes(usize::MAX)
    }
}

/// A record with a DTLS 1.2 header around `payload`.
pub fn make_record(ctype: u8, epoch: u16, seq: u64, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(13 + payload.len());
    v.push(ctype);
    v.extend_from_slice(&[0xfe, 0xfd]);
    v.extend_from_slice(&epoch.to_be_bytes());
    v.extend_from_slice(&seq.to_be_bytes()[2..]);
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// A handshake fragment (header + data).
pub fn make_fragment(msg_type: u8, length: u32, seq: u16, off: u32, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(12 + data.len());
    v.push(msg_type);
    v.extend_from_slice(&length.to_be_bytes()[1..]);
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&off.to_be_bytes()[1..]);
    v.extend_from_slice(&(data.len() as u32).to_be_bytes()[1..]);
    v.extend_from_slice(data);
    v
}

/// Application payload number `id` of `len` bytes (>= 4): tagged so a
/// reader can tell which write it came from and that it is intact.
pub fn app_payload(from_client: bool, id: u32, len: usize) -> Vec<u8> {
    let len = len.max(6);
    let mut v = Vec::with_capacity(len);
    v.push(if from_client { 0xC1 } else { 0x5E });
    v.extend_from_slice(&id.to_be_bytes()[1..]);
    v.extend_from_slice(&(len as u16).to_be_bytes());
    let mut x = id.wrapping_mul(2_654_435_761) | 1;
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.push(x as u8);
    }
    v
}

/// Decode and verify an [`app_payload`]: its id if intact.
pub fn check_app_payload(from_client: bool, data: &[u8]) -> Option<u32> {
    if data.len() < 6 || data[0] != if from_client { 0xC1 } else { 0x5E } {
        return None;
    }
    let id = u32::from_be_bytes([0, data[1], data[2], data[3]]);
    (app_payload(from_client, id, data.len()) == data).then_some(id)
}

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

/// The test PKI of tests/pki (tests/pki/gen.sh): the trust anchors the
/// `x509` target validates against, and genuine chains for its seeds.
pub mod pki {
    /// root.der: the root CA.
    pub const ROOT: &[u8] = include_bytes!("../../tests/pki/root.der");
    /// root.spki.der: the root's key alone.
    pub const ROOT_SPKI: &[u8] = include_bytes!("../../tests/pki/root.spki.der");
    /// int.der: root -> int.
    pub const INT: &[u8] = include_bytes!("../../tests/pki/int.der");
    /// int1.der: root -> int1.
    pub const INT1: &[u8] = include_bytes!("../../tests/pki/int1.der");
    /// int2.der: int1 -> int2.
    pub const INT2: &[u8] = include_bytes!("../../tests/pki/int2.der");
    /// other-root.der: an unrelated root.
    pub const OTHER_ROOT: &[u8] = include_bytes!("../../tests/pki/other-root.der");
    /// server.der: int -> server.example.
    pub const SERVER: &[u8] = include_bytes!("../../tests/pki/server.der");
    /// server3.der: int2 -> server.example.
    pub const SERVER3: &[u8] = include_bytes!("../../tests/pki/server3.der");
    /// client-eui.der: int -> SAN 00-11-22-33-44-55-66-77.
    pub const CLIENT_EUI: &[u8] = include_bytes!("../../tests/pki/client-eui.der");
    /// client-cn.der: int2 -> CN=01-23-45-67-89-AB-CD-EF.
    pub const CLIENT_CN: &[u8] = include_bytes!("../../tests/pki/client-cn.der");
    /// self-signed.der: a leaf that is its own anchor.
    pub const SELF_SIGNED: &[u8] = include_bytes!("../../tests/pki/self-signed.der");

    /// An `x509` path input: selector, anchor bits, then each certificate
    /// with a 16-bit length (see fuzz_targets/x509.rs).
    pub fn path_input(sel: u8, anchors: u8, chain: &[&[u8]]) -> Vec<u8> {
        let mut v = vec![sel | 2, anchors];
        for c in chain {
            v.extend_from_slice(&(c.len() as u16).to_be_bytes());
            v.extend_from_slice(c);
        }
        v
    }
}
