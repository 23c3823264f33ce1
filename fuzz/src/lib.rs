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
//! - [`run_conn_script`]: the op interpreter of the `client` and `server`
//!   targets (one fuzzed connection, its genuine peer in-process).
//! - Invariant checks (they panic, so libFuzzer reports them).
//!
//! Everything is deterministic: the same input always runs the same way.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};

use nanodtls::record::content;
use nanodtls::session::CacheEntry;
use nanodtls::{suite, Config, Connection, Endpoint, Engine, Env, Error, PeerSlot, Role, State};
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
/// a runaway (a flight at MTU 128 is about a dozen; the transmit buffer
/// holds at most ~50 tiny records).
pub const MAX_POLLS: usize = 256;
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
    fn dup(&self) -> Srv {
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

    /// Feed a datagram from `addr`.
    pub fn feed(&mut self, env: &mut FuzzEnv, now: u64, addr: &[u8], d: &[u8]) -> Result<(), Error> {
        match self {
            Srv::Conn(c) => c.feed(env, now, d),
            Srv::Ep { ep, slots } => ep.feed(slots, env, now, addr, d),
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
    /// The server.
    pub srv: Srv,
    /// Its environment.
    pub senv: FuzzEnv,
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

/// Poll every datagram `c` has into `out`, checking the MTU and that the
/// drain ends.
pub fn drain_conn(c: &mut Connection, now: u64, out: &mut VecDeque<Vec<u8>>, what: &str) {
    let mtu = usize::from(c.config().mtu);
    let mut buf = vec![0u8; 17_000];
    for _ in 0..MAX_POLLS {
        let r = c.poll_datagram(now, &mut buf);
        check_result(&r, what);
        match r {
            Ok(Some(n)) => {
                assert!(n > 0 && n <= mtu, "{what}: poll_datagram returned {n} bytes with MTU {mtu}");
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

/// Poll every datagram of an endpoint; those for [`ADDR_A`] go to `out`.
pub fn drain_endpoint(ep: &mut Endpoint, slots: &mut [PeerSlot], now: u64, mtu: u16, out: &mut VecDeque<Vec<u8>>) {
    let mut buf = vec![0u8; 17_000];
    let mut addr = [0u8; 64];
    for _ in 0..MAX_POLLS * 4 {
        let r = ep.poll_datagram(slots, now, &mut buf, &mut addr);
        check_result(&r, "endpoint poll");
        match r {
            Ok(Some((n, a))) => {
                assert!(n > 0 && n <= usize::from(mtu), "endpoint poll returned {n} bytes with MTU {mtu}");
                assert!(a > 0 && a <= 32, "endpoint poll returned address length {a}");
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

/// Read (and discard) everything queued on `c`.
fn discard_reads(c: &mut Connection) {
    let mut buf = vec![0u8; 17_000];
    for _ in 0..4096 {
        match c.read(&mut buf) {
            Ok(Some(_)) => {}
            _ => return,
        }
    }
    panic!("read never reported the end of the queued data");
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
            srv,
            senv,
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
            srv: self.srv.dup(),
            senv: self.senv.dup(),
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

    /// Poll both sides into the queues.
    pub fn pump(&mut self) {
        let now = self.now;
        drain_conn(&mut self.client, now, &mut self.to_server, "client poll");
        match &mut self.srv {
            Srv::Conn(s) => drain_conn(s, now, &mut self.to_client, "server poll"),
            Srv::Ep { ep, slots } => drain_endpoint(ep, slots, now, self.setup.mtu, &mut self.to_client),
        }
    }

    /// Deliver one datagram to the client (reading queued data if needed).
    pub fn feed_client(&mut self, d: &[u8]) -> Result<(), Error> {
        let mut r = self.client.feed(&mut self.cenv, self.now, d);
        if r == Err(Error::ReadPending) {
            discard_reads(&mut self.client);
            r = self.client.feed(&mut self.cenv, self.now, d);
        }
        check_result(&r, "client feed");
        r
    }

    /// Deliver one datagram to the server from [`ADDR_A`].
    pub fn feed_server(&mut self, d: &[u8]) -> Result<(), Error> {
        let now = self.now;
        let mut r = self.srv.feed(&mut self.senv, now, ADDR_A, d);
        if r == Err(Error::ReadPending) {
            match &mut self.srv {
                Srv::Conn(c) => discard_reads(c),
                Srv::Ep { ep, slots } => {
                    let mut buf = vec![0u8; 17_000];
                    let mut a = [0u8; 64];
                    while let Ok(Some(_)) = ep.read(slots, &mut buf, &mut a) {}
                }
            }
            r = self.srv.feed(&mut self.senv, now, ADDR_A, d);
        }
        check_result(&r, "server feed");
        r
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
                let _ = self.feed_server(&d);
                self.delivered_to_server += 1;
            } else if let Some(d) = self.to_client.pop_front() {
                let _ = self.feed_client(&d);
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
        if let Srv::Conn(_) = self.srv {
            self.srv = Srv::Conn(self.setup.new_server(&mut self.senv));
        }
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
    /// Read everything queued.
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
}

/// Op interpreter of the `client` and `server` targets: `me` is the fuzzed
/// connection (the client if `me_client`), the other is its genuine peer.
/// The world's server must be a single connection.
///
/// Invariants (panics): no call returns or fails with `Internal`; a
/// Connected connection stays Connected unless we closed it or the input
/// delivered a crafted authenticated record (the fuzzer has no keys);
/// Closed and Failed are terminal; poll_datagram respects the MTU and its
/// drains end; after handle_timeout and a drain at the same time no timer
/// is already due; handshaking states have a timer; application data read
/// is intact, was written by the peer and is read at most once.
pub fn run_conn_script(w: &mut World, me_client: bool, data: &[u8]) {
    let mut inp = Input::new(data);
    let mut t = Tracker::default();
    let mut me_out: VecDeque<Vec<u8>> = VecDeque::new();
    let mut fake_seq: u64 = 0x100;
    let mut buf = vec![0u8; 17_000];
    let mut ops = 0u32;
    let mut my_writes = 0u32;
    let mtu = w.setup.mtu;
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
                        feed_peer(w, me_client, &d);
                    }
                } else {
                    me_out.clear();
                }
                pump_peer(w, me_client);
            }
            op::READ => read_me(w, me_client, &mut t),
            op::WRITE => {
                let Some(n) = inp.u8() else { break };
                my_writes += 1;
                let p = app_payload(me_client, my_writes, usize::from(n) * 4);
                let me = me_conn(w, me_client);
                let max = me.max_write();
                let r = me.write(&p);
                check_result(&r, "write");
                if p.len() <= max && me.state() == State::Connected {
                    assert!(
                        !matches!(r, Err(Error::TooLarge)),
                        "write of {} bytes refused as TooLarge although max_write() said {max}",
                        p.len()
                    );
                }
            }
            op::PEER_WRITE => {
                let Some(n) = inp.u8() else { break };
                let id = t.peer_writes + 1;
                let p = app_payload(!me_client, id, usize::from(n) * 4);
                let peer = peer_conn(w, me_client);
                if peer.write(&p).is_ok() {
                    t.peer_writes = id;
                    t.peer_written.insert(id);
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
                drain_conn(me, now, &mut me_out, "poll after timeout");
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
                    feed_me(w, me_client, &rec, &mut t);
                }
            }
            op::POLL_SMALL => {
                let Some(size) = inp.u8() else { break };
                let size = usize::from(size);
                let now = w.now;
                let me = me_conn(w, me_client);
                let r = me.poll_datagram(now, &mut buf[..size]);
                check_result(&r, "poll (small buffer)");
                if let Ok(Some(n)) = r {
                    assert!(n <= size && n <= usize::from(mtu), "poll returned {n} bytes into a {size}-byte buffer");
                    me_out.push_back(buf[..n].to_vec());
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
    // Final: poll and read what is left.
    pump_me(w, me_client, &mut me_out);
    pump_peer(w, me_client);
    read_me(w, me_client, &mut t);
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

fn feed_me(w: &mut World, me_client: bool, d: &[u8], t: &mut Tracker) {
    let now = w.now;
    let (me, env) = me_conn_env(w, me_client);
    let mut r = me.feed(env, now, d);
    if r == Err(Error::ReadPending) {
        read_me(w, me_client, t);
        let (me, env) = me_conn_env(w, me_client);
        r = me.feed(env, now, d);
        assert_ne!(r, Err(Error::ReadPending), "feed still ReadPending after reading everything");
    }
    check_result(&r, "feed");
}

fn feed_peer(w: &mut World, me_client: bool, d: &[u8]) {
    let r = if me_client { w.feed_server(d) } else { w.feed_client(d) };
    check_result(&r, "peer feed");
}

fn pump_me(w: &mut World, me_client: bool, out: &mut VecDeque<Vec<u8>>) {
    let now = w.now;
    drain_conn(me_conn(w, me_client), now, out, "poll");
}

fn pump_peer(w: &mut World, me_client: bool) {
    let now = w.now;
    if me_client {
        match &mut w.srv {
            Srv::Conn(s) => drain_conn(s, now, &mut w.to_client, "peer poll"),
            Srv::Ep { .. } => unreachable!(),
        }
    } else {
        drain_conn(&mut w.client, now, &mut w.to_server, "peer poll");
    }
    // Keep the queues bounded.
    for q in [&mut w.to_client, &mut w.to_server] {
        while q.len() > 64 {
            q.pop_front();
        }
    }
}

fn read_me(w: &mut World, me_client: bool, t: &mut Tracker) {
    let mut buf = vec![0u8; 17_000];
    let me = me_conn(w, me_client);
    for _ in 0..4096 {
        let r = me.read(&mut buf);
        check_result(&r, "read");
        match r {
            Ok(Some(n)) => {
                if t.crafted {
                    continue;
                }
                let d = &buf[..n];
                let Some(id) = check_app_payload(!me_client, d) else {
                    panic!("read returned {n} bytes the peer never wrote: {:02x?}", &d[..n.min(32)]);
                };
                assert!(t.peer_written.contains(&id), "read returned payload #{id}, never written by the peer");
                assert!(t.read_ids.insert(id), "payload #{id} was read twice");
            }
            _ => return,
        }
    }
    panic!("read never reported the end of the queued data");
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
