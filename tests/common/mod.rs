//! Shared test harness: a seeded RNG environment, a virtual clock and a
//! simulated lossy network between a client and a server (a single
//! server connection or an endpoint with peer slots).
#![allow(dead_code)]

use std::collections::VecDeque;

use nanodtls::{Config, Connection, Endpoint, Env, Error, PeerSlot, Role, State};
use zerocopy::FromZeros;

pub const PSK_ID: &[u8] = b"client1";
pub const PSK: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// xorshift64* - deterministic, good enough for tests.
#[derive(Clone)]
pub struct XorShift(pub u64);
impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0.max(1);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545F4914F6CDD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    /// True with probability per_mille / 1000.
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < u64::from(per_mille)
    }
}

/// Test environment: seeded RNG, optional failure, a PSK table for servers.
pub struct TestEnv {
    pub rng: XorShift,
    pub fail_rng: bool,
    pub table: Vec<(Vec<u8>, Vec<u8>)>,
    pub lookups: u32,
    /// Answer of the raw-public-key verifier callback (None: no callback).
    pub key_verifier: Option<bool>,
    pub keys_seen: Vec<Vec<u8>>,
    /// Server session cache (empty: none).
    pub cache: Vec<nanodtls::session::CacheEntry>,
    /// SNI callback answer (None: no callback) and the names seen.
    pub sni_answer: Option<bool>,
    pub sni_seen: Vec<Vec<u8>>,
    /// Our X.509 certificate (DER), if any.
    pub own_cert: Option<Vec<u8>>,
    /// Client: our AuthzCert (MacCert), if any.
    pub authz_cert: Option<Vec<u8>>,
    /// Server ticket keys (RFC 5077; None: no tickets).
    #[cfg(feature = "tickets")]
    pub tickets: Option<Box<nanodtls::session_ticket::TicketKeys>>,
}

impl TestEnv {
    pub fn new(seed: u64) -> Self {
        TestEnv {
            rng: XorShift(seed.wrapping_mul(0x9E3779B97F4A7C15) | 1),
            fail_rng: false,
            table: Vec::new(),
            lookups: 0,
            key_verifier: None,
            keys_seen: Vec::new(),
            cache: Vec::new(),
            sni_answer: None,
            sni_seen: Vec::new(),
            own_cert: None,
            authz_cert: None,
            #[cfg(feature = "tickets")]
            tickets: None,
        }
    }
}

impl Env for TestEnv {
    fn random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        if self.fail_rng {
            return Err(Error::Rng);
        }
        for b in buf {
            *b = self.rng.next() as u8;
        }
        Ok(())
    }
    fn psk_for_identity(&mut self, identity: &[u8], key: &mut [u8]) -> Option<usize> {
        self.lookups += 1;
        let (_, k) = self.table.iter().find(|(i, _)| i == identity)?;
        key.get_mut(..k.len())?.copy_from_slice(k);
        Some(k.len())
    }
    fn has_psk_lookup(&self) -> bool {
        !self.table.is_empty()
    }
    fn verify_peer_key(&mut self, spki: &[u8]) -> Option<bool> {
        self.keys_seen.push(spki.to_vec());
        self.key_verifier
    }
    fn has_peer_key_verifier(&self) -> bool {
        self.key_verifier.is_some()
    }
    fn session_cache(&mut self) -> Option<&mut [nanodtls::session::CacheEntry]> {
        if self.cache.is_empty() {
            None
        } else {
            Some(&mut self.cache)
        }
    }
    fn server_name(&mut self, name: &[u8]) -> Option<bool> {
        self.sni_seen.push(name.to_vec());
        self.sni_answer
    }
    fn own_certificate(&self) -> Option<&[u8]> {
        self.own_cert.as_deref()
    }
    #[cfg(feature = "authz-cert")]
    fn authz_cert(&self) -> Option<&[u8]> {
        self.authz_cert.as_deref()
    }
    #[cfg(feature = "tickets")]
    fn ticket_keys(&mut self) -> Option<&mut nanodtls::session_ticket::TicketKeys> {
        self.tickets.as_deref_mut()
    }
}

/// The self-signed test certificate for test_key(n) (tests/vectors).
pub fn test_cert(n: u8) -> Vec<u8> {
    std::fs::read(format!("{}/tests/vectors/test{n}.crt.der", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

impl TestEnv {
    /// Give this (server) environment ticket keys (RFC 5077) with this
    /// ticket lifetime (0: the default), drawn from the RNG when needed.
    #[cfg(feature = "tickets")]
    pub fn with_tickets(mut self, lifetime_ms: u32) -> Self {
        let mut k = nanodtls::session_ticket::TicketKeys::new_box_zeroed().unwrap();
        k.init(lifetime_ms);
        self.tickets = Some(k);
        self
    }

    /// Give this (server) environment a session cache of `n` entries.
    pub fn with_cache(mut self, n: usize) -> Self {
        self.cache = (0..n).map(|_| *nanodtls::session::CacheEntry::new_box_zeroed().unwrap()).collect();
        self
    }
}

/// An environment for the calls that only borrow from it (poll: our
/// X.509 certificate, if any).
pub struct CertEnv(pub Option<Vec<u8>>);

impl Env for CertEnv {
    fn random(&mut self, _: &mut [u8]) -> Result<(), Error> {
        Err(Error::Rng)
    }
    fn own_certificate(&self) -> Option<&[u8]> {
        self.0.as_deref()
    }
}

/// A connection driven the way an application does it: each fed datagram
/// is copied (the library decrypts it in place) and fed in pieces until
/// every record is processed, the application data it yields queued for
/// [`Peer::read`]; each [`Peer::write`] seals a datagram straight away,
/// queued for [`Peer::poll_datagram`], which hands those out first. The
/// tests keep their feed / read / write / poll shape on top of the
/// library's zero-copy calls.
pub struct Peer {
    pub c: Box<Connection>,
    pub rx: VecDeque<Vec<u8>>,
    pub tx: VecDeque<Vec<u8>>,
    /// What poll lends from the environment (our X.509 certificate).
    pub cert: Option<Vec<u8>>,
    /// ... and our AuthzCert (MacCert).
    pub authz_cert: Option<Vec<u8>>,
}

/// What [`Peer::poll_datagram`] lends: our X.509 certificate and AuthzCert.
struct LendEnv<'a>(&'a Option<Vec<u8>>, &'a Option<Vec<u8>>);

impl Env for LendEnv<'_> {
    fn random(&mut self, _: &mut [u8]) -> Result<(), Error> {
        Err(Error::Rng)
    }
    fn own_certificate(&self) -> Option<&[u8]> {
        self.0.as_deref()
    }
    #[cfg(feature = "authz-cert")]
    fn authz_cert(&self) -> Option<&[u8]> {
        self.1.as_deref()
    }
}

impl std::ops::Deref for Peer {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.c
    }
}

impl std::ops::DerefMut for Peer {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.c
    }
}

/// Feed `d` (a copy: it is decrypted in place) to `feed` piece by piece
/// until all of it is processed; the application records it yields.
pub fn feed_all(
    d: &[u8],
    mut feed: impl FnMut(&mut [u8]) -> Result<nanodtls::Fed, Error>,
) -> Result<Vec<Vec<u8>>, Error> {
    let mut buf = d.to_vec();
    let mut at = 0;
    let mut apps = Vec::new();
    loop {
        let fed = feed(&mut buf[at..])?;
        assert!(fed.consumed > 0 || at == buf.len(), "feed made no progress");
        if let Some(r) = fed.app {
            apps.push(buf[at + r.start..at + r.end].to_vec());
        }
        at += fed.consumed;
        if at >= buf.len() {
            return Ok(apps);
        }
    }
}

impl Peer {
    pub fn new(c: Box<Connection>) -> Self {
        Peer { c, rx: VecDeque::new(), tx: VecDeque::new(), cert: None, authz_cert: None }
    }

    /// Feed one datagram; its application data waits for [`Peer::read`].
    pub fn feed(&mut self, env: &mut dyn Env, now: u64, d: &[u8]) -> Result<(), Error> {
        let c = &mut self.c;
        let apps = feed_all(d, |b| c.feed(env, now, b))?;
        self.rx.extend(apps);
        Ok(())
    }

    /// The next application record received.
    pub fn read(&mut self, out: &mut [u8]) -> Result<Option<usize>, Error> {
        match self.rx.front() {
            Some(a) => {
                let n = a.len();
                out.get_mut(..n).ok_or(Error::BufferTooSmall)?.copy_from_slice(a);
                self.rx.pop_front();
                Ok(Some(n))
            }
            None => match self.c.state() {
                State::Failed | State::Closed => Err(self.c.failure().unwrap_or(Error::Closed)),
                _ => Ok(None),
            },
        }
    }

    /// True while received application data waits for [`Peer::read`].
    pub fn has_unread(&self) -> bool {
        !self.rx.is_empty()
    }

    /// Seal `d` as one record (the datagram waits for the next poll).
    pub fn write(&mut self, d: &[u8]) -> Result<(), Error> {
        let mut out = vec![0u8; d.len() + 64];
        let n = self.c.write(d, &mut out)?;
        out.truncate(n);
        self.tx.push_back(out);
        Ok(())
    }

    /// The next datagram: written application data first, then the library's.
    pub fn poll_datagram(&mut self, now: u64, out: &mut [u8]) -> Result<Option<usize>, Error> {
        let (cert, authz) = (self.cert.clone(), self.authz_cert.clone());
        self.poll_with(&LendEnv(&cert, &authz), now, out)
    }

    /// [`Peer::poll_datagram`] lending `env` (e.g. our X.509 certificate).
    pub fn poll_with(&mut self, env: &dyn Env, now: u64, out: &mut [u8]) -> Result<Option<usize>, Error> {
        if let Some(d) = self.tx.pop_front() {
            out.get_mut(..d.len()).ok_or(Error::BufferTooSmall)?.copy_from_slice(&d);
            return Ok(Some(d.len()));
        }
        self.c.poll_datagram(env, now, out)
    }
}

/// A fixed P-256 private key for tests (scalar n).
pub fn test_key(n: u8) -> [u8; 32] {
    let mut k = [n; 32];
    k[0] = 0x10; // well below the group order
    k
}

/// SubjectPublicKeyInfo of test_key(n).
pub fn test_spki(n: u8) -> Vec<u8> {
    let mut c = new_conn(&client_config());
    c.set_own_key(&test_key(n)).unwrap();
    c.own_spki().unwrap().to_vec()
}

/// An ECDHE_ECDSA-only client with key `own` (if any) trusting `trust`.
pub fn ecc_client(own: Option<u8>, trust: &[u8], suite: u16) -> Peer {
    let mut cfg = client_config();
    cfg.suites = [suite, 0, 0, 0];
    let mut c = new_conn(&cfg);
    if let Some(k) = own {
        c.set_own_key(&test_key(k)).unwrap();
    }
    for &t in trust {
        c.add_trusted_key(&test_spki(t)).unwrap();
    }
    c
}

/// A server with key `own`, trusting `trust`, optionally requiring client keys.
pub fn ecc_server(own: u8, trust: &[u8], client_auth: bool) -> Peer {
    let mut cfg = server_config();
    cfg.client_auth = client_auth;
    let mut s = new_conn(&cfg);
    s.set_own_key(&test_key(own)).unwrap();
    for &t in trust {
        s.add_trusted_key(&test_spki(t)).unwrap();
    }
    s
}

pub fn client_config() -> Config {
    Config::new(Role::Client)
}

pub fn server_config() -> Config {
    Config::new(Role::Server)
}

pub fn new_conn(cfg: &Config) -> Peer {
    let mut c = Connection::new_box_zeroed().unwrap();
    c.init(cfg).unwrap();
    Peer::new(c)
}

pub fn psk_client(cfg: &Config) -> Peer {
    let mut c = new_conn(cfg);
    c.set_psk(PSK_ID, &PSK).unwrap();
    c
}

pub fn psk_server(cfg: &Config) -> Peer {
    let mut s = new_conn(cfg);
    s.set_psk(PSK_ID, &PSK).unwrap();
    s
}

/// Everything a party can do, so the simulation can drive a single server
/// connection or an endpoint the same way.
pub trait Party {
    fn p_feed(&mut self, env: &mut TestEnv, now: u64, d: &[u8]) -> Result<(), Error>;
    fn p_poll(&mut self, now: u64, out: &mut [u8]) -> Result<Option<usize>, Error>;
    fn p_read(&mut self, out: &mut [u8]) -> Result<Option<usize>, Error>;
    fn p_write(&mut self, now: u64, d: &[u8]) -> Result<(), Error>;
    fn p_timeout(&self, now: u64) -> Option<u64>;
    fn p_on_timeout(&mut self, now: u64) -> Result<(), Error>;
    fn p_state(&self) -> State;
}

impl Party for Peer {
    fn p_feed(&mut self, env: &mut TestEnv, now: u64, d: &[u8]) -> Result<(), Error> {
        self.feed(env, now, d)
    }
    fn p_poll(&mut self, now: u64, out: &mut [u8]) -> Result<Option<usize>, Error> {
        self.poll_datagram(now, out)
    }
    fn p_read(&mut self, out: &mut [u8]) -> Result<Option<usize>, Error> {
        self.read(out)
    }
    fn p_write(&mut self, _now: u64, d: &[u8]) -> Result<(), Error> {
        self.write(d)
    }
    fn p_timeout(&self, now: u64) -> Option<u64> {
        self.timeout_ms(now)
    }
    fn p_on_timeout(&mut self, now: u64) -> Result<(), Error> {
        self.handle_timeout(now)
    }
    fn p_state(&self) -> State {
        nanodtls::Engine::state(self)
    }
}

/// A server endpoint with its slots, seen from one client address; the
/// application data it received and the datagrams written, with their
/// peer addresses, queued as [`Peer`] does.
pub struct EndpointParty {
    pub ep: Box<Endpoint>,
    pub slots: Vec<PeerSlot>,
    pub addr: Vec<u8>,
    pub rx: VecDeque<(Vec<u8>, Vec<u8>)>,
    pub tx: VecDeque<(Vec<u8>, Vec<u8>)>,
}

impl EndpointParty {
    pub fn new(cfg: &Config, n: usize) -> Self {
        let mut ep = Endpoint::new_box_zeroed().unwrap();
        ep.init(cfg, 0, 10_000).unwrap();
        ep.set_psk(PSK_ID, &PSK).unwrap();
        let mut slots = Vec::new();
        for _ in 0..n {
            slots.push(*PeerSlot::new_box_zeroed().unwrap());
        }
        EndpointParty { ep, slots, addr: b"10.0.0.1:5684".to_vec(), rx: VecDeque::new(), tx: VecDeque::new() }
    }

    /// Feed a datagram from `addr`; its application data is queued.
    pub fn feed_from(&mut self, env: &mut dyn Env, now: u64, addr: &[u8], d: &[u8]) -> Result<(), Error> {
        let (ep, slots) = (&mut self.ep, &mut self.slots);
        let apps = feed_all(d, |b| ep.feed(slots, env, now, addr, b))?;
        self.rx.extend(apps.into_iter().map(|a| (addr.to_vec(), a)));
        Ok(())
    }

    /// The next datagram to send and its address length (written data first).
    pub fn poll_to(&mut self, now: u64, out: &mut [u8], addr_out: &mut [u8]) -> Result<Option<(usize, usize)>, Error> {
        if let Some((a, d)) = self.tx.pop_front() {
            out[..d.len()].copy_from_slice(&d);
            addr_out[..a.len()].copy_from_slice(&a);
            return Ok(Some((d.len(), a.len())));
        }
        self.ep.poll_datagram(&mut self.slots, &CertEnv(None), now, out, addr_out)
    }

    /// The next application record from any peer and its address length.
    pub fn read_any(&mut self, out: &mut [u8], addr_out: &mut [u8]) -> Result<Option<(usize, usize)>, Error> {
        Ok(self.rx.pop_front().map(|(a, d)| {
            out[..d.len()].copy_from_slice(&d);
            addr_out[..a.len()].copy_from_slice(&a);
            (d.len(), a.len())
        }))
    }

    /// Seal application data for the peer at `addr` (queued for poll).
    pub fn write_to(&mut self, now: u64, addr: &[u8], d: &[u8]) -> Result<(), Error> {
        let mut out = vec![0u8; d.len() + 64];
        let n = self.ep.write(&mut self.slots, now, addr, d, &mut out)?;
        out.truncate(n);
        self.tx.push_back((addr.to_vec(), out));
        Ok(())
    }
}

impl Party for EndpointParty {
    fn p_feed(&mut self, env: &mut TestEnv, now: u64, d: &[u8]) -> Result<(), Error> {
        let addr = self.addr.clone();
        self.feed_from(env, now, &addr, d)
    }
    fn p_poll(&mut self, now: u64, out: &mut [u8]) -> Result<Option<usize>, Error> {
        let mut a = [0u8; 64];
        Ok(match self.poll_to(now, out, &mut a)? {
            Some((n, al)) => {
                assert_eq!(&a[..al], &self.addr[..]);
                Some(n)
            }
            None => None,
        })
    }
    fn p_read(&mut self, out: &mut [u8]) -> Result<Option<usize>, Error> {
        let mut a = [0u8; 64];
        Ok(self.read_any(out, &mut a)?.map(|(n, _)| n))
    }
    fn p_write(&mut self, now: u64, d: &[u8]) -> Result<(), Error> {
        let addr = self.addr.clone();
        self.write_to(now, &addr, d)
    }
    fn p_timeout(&self, now: u64) -> Option<u64> {
        self.ep.timeout_ms(&self.slots, now)
    }
    fn p_on_timeout(&mut self, now: u64) -> Result<(), Error> {
        self.ep.handle_timeout(&mut self.slots, now);
        Ok(())
    }
    fn p_state(&self) -> State {
        self.ep.peer(&self.slots, &self.addr).map_or(State::ServerWaitClientHello, |c| c.state())
    }
}

/// Impairments of the simulated link (per mille).
#[derive(Clone, Copy, Debug, Default)]
pub struct Link {
    pub loss: u32,
    pub dup: u32,
    pub reorder: u32,
    pub corrupt: u32,
    pub latency_ms: u64,
}

pub struct Packet {
    pub at: u64,
    pub seq: u64,
    pub to_server: bool,
    pub data: Vec<u8>,
}

/// Outcome of a simulated run.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub connected: bool,
    pub client_state: Option<State>,
    pub server_state: Option<State>,
    pub client_error: Option<Error>,
    pub server_error: Option<Error>,
    pub time_ms: u64,
    pub datagrams: u64,
    pub bytes: u64,
    pub app_delivered_to_server: Vec<Vec<u8>>,
    pub app_delivered_to_client: Vec<Vec<u8>>,
}

/// Sees every datagram sent: (to_server, index in that direction, bytes) -> deliver?
pub type Filter = Box<dyn FnMut(bool, u64, &[u8]) -> bool>;

/// Datagrams sent (to the server, to the client).
pub type Log = (Vec<Vec<u8>>, Vec<Vec<u8>>);

pub struct Sim<S: Party> {
    pub now: u64,
    pub rng: XorShift,
    pub link: Link,
    pub client: Peer,
    pub server: S,
    pub cenv: TestEnv,
    pub senv: TestEnv,
    pub inflight: Vec<Packet>,
    pub pkt_seq: u64,
    pub out: Outcome,
    /// Hook to look at / drop datagrams: (to_server, index of datagram in that direction, bytes) -> keep?
    pub filter: Option<Filter>,
    pub sent_to_server: u64,
    pub sent_to_client: u64,
}

impl<S: Party> Sim<S> {
    pub fn new(client: Peer, server: S, link: Link, seed: u64) -> Self {
        Sim {
            now: 0,
            rng: XorShift(seed.wrapping_add(0x1234_5678_9abc_def1)),
            link,
            client,
            server,
            cenv: TestEnv::new(seed.wrapping_add(1)),
            senv: TestEnv::new(seed.wrapping_add(2)),
            inflight: Vec::new(),
            pkt_seq: 0,
            out: Outcome::default(),
            filter: None,
            sent_to_server: 0,
            sent_to_client: 0,
        }
    }

    fn transmit(&mut self, to_server: bool, data: Vec<u8>) {
        self.out.datagrams += 1;
        self.out.bytes += data.len() as u64;
        let idx = if to_server {
            self.sent_to_server += 1;
            self.sent_to_server - 1
        } else {
            self.sent_to_client += 1;
            self.sent_to_client - 1
        };
        if let Some(f) = self.filter.as_mut() {
            if !f(to_server, idx, &data) {
                return;
            }
        }
        if self.rng.chance(self.link.loss) {
            return;
        }
        let copies = if self.rng.chance(self.link.dup) { 2 } else { 1 };
        for _ in 0..copies {
            let mut d = data.clone();
            if self.rng.chance(self.link.corrupt) && !d.is_empty() {
                let i = self.rng.below(d.len() as u64) as usize;
                d[i] ^= 1 << self.rng.below(8);
            }
            let mut at = self.now + self.link.latency_ms;
            if self.rng.chance(self.link.reorder) {
                at += 1 + self.rng.below(3 * self.link.latency_ms.max(5));
            }
            self.pkt_seq += 1;
            self.inflight.push(Packet { at, seq: self.pkt_seq, to_server, data: d });
        }
    }

    /// Send everything both sides have queued.
    pub fn pump(&mut self) {
        let mut buf = [0u8; 2048];
        loop {
            let mut any = false;
            while let Ok(Some(n)) = self.client.poll_datagram(self.now, &mut buf) {
                self.transmit(true, buf[..n].to_vec());
                any = true;
            }
            while let Ok(Some(n)) = self.server.p_poll(self.now, &mut buf) {
                self.transmit(false, buf[..n].to_vec());
                any = true;
            }
            if !any {
                break;
            }
        }
    }

    fn drain_reads(&mut self) {
        let mut buf = [0u8; 2048];
        while let Ok(Some(n)) = self.client.read(&mut buf) {
            self.out.app_delivered_to_client.push(buf[..n].to_vec());
        }
        while let Ok(Some(n)) = self.server.p_read(&mut buf) {
            self.out.app_delivered_to_server.push(buf[..n].to_vec());
        }
    }

    fn deliver(&mut self, p: Packet) {
        if p.to_server {
            let r = self.server.p_feed(&mut self.senv, self.now, &p.data);
            if let Err(e) = r {
                self.out.server_error.get_or_insert(e);
            }
        } else {
            let r = self.client.feed(&mut self.cenv, self.now, &p.data);
            if let Err(e) = r {
                self.out.client_error.get_or_insert(e);
            }
        }
        self.drain_reads();
    }

    /// Advance to the next event and process it. Returns false when nothing
    /// can happen any more.
    pub fn step(&mut self) -> bool {
        self.pump();
        let mut next: Option<u64> = self.inflight.iter().map(|p| p.at).min();
        for t in [self.client.timeout_ms(self.now), self.server.p_timeout(self.now)].into_iter().flatten() {
            let at = self.now + t;
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        let Some(at) = next else { return false };
        self.now = self.now.max(at);
        // Deliver due packets in arrival order.
        loop {
            let due = self
                .inflight
                .iter()
                .enumerate()
                .filter(|(_, p)| p.at <= self.now)
                .min_by_key(|(_, p)| (p.at, p.seq))
                .map(|(i, _)| i);
            let Some(i) = due else { break };
            let p = self.inflight.swap_remove(i);
            self.deliver(p);
            self.pump();
        }
        if self.client.timeout_ms(self.now) == Some(0) {
            if let Err(e) = self.client.handle_timeout(self.now) {
                self.out.client_error.get_or_insert(e);
            }
        }
        if self.server.p_timeout(self.now) == Some(0) {
            if let Err(e) = self.server.p_on_timeout(self.now) {
                self.out.server_error.get_or_insert(e);
            }
        }
        true
    }

    /// Run until both sides are connected (or nothing can progress, or
    /// `limit_ms` of virtual time pass).
    pub fn handshake(&mut self, limit_ms: u64) -> bool {
        if self.client.state() == State::Idle {
            self.client.connect(&mut self.cenv, self.now).unwrap();
        }
        while self.now <= limit_ms {
            if self.client.state() == State::Connected && self.server.p_state() == State::Connected {
                break;
            }
            if matches!(self.client.state(), State::Failed | State::Closed) {
                break;
            }
            if !self.step() {
                break;
            }
        }
        self.finish()
    }

    /// Run for `ms` more of virtual time (timers, in-flight packets).
    pub fn run_for(&mut self, ms: u64) {
        let end = self.now + ms;
        while self.now < end {
            if !self.step() {
                break;
            }
        }
        self.pump();
    }

    pub fn finish(&mut self) -> bool {
        let ok = self.client.state() == State::Connected && self.server.p_state() == State::Connected;
        self.out.connected = ok;
        self.out.client_state = Some(self.client.state());
        self.out.server_state = Some(self.server.p_state());
        self.out.time_ms = self.now;
        ok
    }
}

pub fn pair(cfg_c: &Config, cfg_s: &Config, link: Link, seed: u64) -> Sim<Peer> {
    Sim::new(psk_client(cfg_c), psk_server(cfg_s), link, seed)
}

/// Run a lossless handshake and return the datagrams each side sent, in order.
pub fn transcript_of_handshake(cfg_c: &Config, cfg_s: &Config, seed: u64) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    use std::cell::RefCell;
    use std::rc::Rc;
    let log: Rc<RefCell<Log>> = Rc::default();
    let l2 = log.clone();
    let mut sim = pair(cfg_c, cfg_s, Link { latency_ms: 5, ..Link::default() }, seed);
    sim.filter = Some(Box::new(move |to_server, _, d| {
        let mut l = l2.borrow_mut();
        if to_server {
            l.0.push(d.to_vec());
        } else {
            l.1.push(d.to_vec());
        }
        true
    }));
    assert!(sim.handshake(10_000));
    let l = log.borrow();
    (l.0.clone(), l.1.clone())
}

/// Rewrites (or drops: empty) a datagram on its way (true: to the server).
pub type Tamper = Box<dyn FnMut(bool, &mut Vec<u8>)>;

/// Lossless, in-order driver of two connections over in-memory datagrams; `tamper` may rewrite (or drop: empty) each datagram.
pub struct Wire {
    pub c: Peer,
    pub s: Peer,
    pub ce: TestEnv,
    pub se: TestEnv,
    pub queue: VecDeque<(bool, Vec<u8>)>,
    /// Every datagram delivered: (to_server, bytes).
    pub log: Vec<(bool, Vec<u8>)>,
    pub tamper: Tamper,
}

impl Wire {
    pub fn parts(c: Peer, s: Peer, ce: TestEnv, se: TestEnv, tamper: Tamper) -> Wire {
        let mut w = Wire { c, s, ce, se, queue: VecDeque::new(), log: vec![], tamper };
        w.c.connect(&mut w.ce, 0).unwrap();
        w.pump();
        w
    }
    pub fn pump(&mut self) {
        let mut buf = [0u8; 4096];
        while let Some(n) = self.c.poll_datagram(0, &mut buf).unwrap() {
            self.queue.push_back((true, buf[..n].to_vec()));
        }
        while let Some(n) = self.s.poll_datagram(0, &mut buf).unwrap() {
            self.queue.push_back((false, buf[..n].to_vec()));
        }
    }
    pub fn run(&mut self) {
        while let Some((to_server, mut d)) = self.queue.pop_front() {
            (self.tamper)(to_server, &mut d);
            if d.is_empty() {
                continue;
            }
            self.log.push((to_server, d.clone()));
            let _ = if to_server { self.s.feed(&mut self.se, 0, &d) } else { self.c.feed(&mut self.ce, 0, &d) };
            self.pump();
        }
    }
    pub fn connected(&self) -> bool {
        self.c.state() == State::Connected && self.s.state() == State::Connected
    }
}
