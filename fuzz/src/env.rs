//! Constants of every setup, the test keys, the seeded RNG and FuzzEnv.

use nanodtls::record::{EXPLICIT_NONCE_LEN, HEADER_LEN};
use nanodtls::session::CacheEntry;
use nanodtls::{Config, Connection, Env, Error, Role};
use std::cell::RefCell;
use std::collections::HashMap;
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

/// Certificate mode with path validation ([`crate::Setup::x509_chain`]):
/// the server's key (SEC1 DER) for its chain root -> int1 -> int2 ->
/// server3 (tests/pki, [`crate::pki`]; the root is both sides' anchor).
pub const PKI_SERVER_KEY: &[u8] = include_bytes!("../../tests/pki/server3.key.der");
/// The client's key for its chain root -> int1 -> int2 -> client-cn (EUI-64 in the CN).
pub const PKI_CLIENT_KEY: &[u8] = include_bytes!("../../tests/pki/client-cn.key.der");
/// The name server3 carries (its single dNSName).
pub const PKI_SERVER_NAME: &[u8] = b"server.example";
/// 2026-12-01, inside every validity period of those chains.
pub const PKI_NOW: u64 = 1_796_083_200;

fn pki_chain(cell: &'static std::sync::OnceLock<Vec<u8>>, leaf: &[u8]) -> &'static [u8] {
    cell.get_or_init(|| [leaf, crate::pki::INT2, crate::pki::INT1].concat())
}

/// The server's chain, leaf first (what its Certificate message carries).
pub fn pki_server_chain() -> &'static [u8] {
    static C: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    pki_chain(&C, crate::pki::SERVER3)
}

/// The client's chain, leaf first.
pub fn pki_client_chain() -> &'static [u8] {
    static C: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    pki_chain(&C, crate::pki::CLIENT_CN)
}

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

pub(crate) fn dup_val<T: FromZeros>(x: &T) -> T {
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
    /// The X.509 trust anchor (a DER certificate), if any.
    pub anchor: Option<&'static [u8]>,
    /// Wall-clock time (s since 1970), if known.
    pub clock: Option<u64>,
}

impl FuzzEnv {
    /// An environment seeded with `seed`, with `cache` session cache entries.
    pub fn new(seed: u64, cache: usize) -> Self {
        FuzzEnv {
            rng: XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            cache: (0..cache).map(|_| CacheEntry::new_zeroed()).collect(),
            own_cert: None,
            fail_rng: false,
            anchor: None,
            clock: None,
        }
    }

    /// A snapshot.
    pub fn dup(&self) -> Self {
        FuzzEnv {
            rng: self.rng.clone(),
            cache: self.cache.iter().map(dup_val).collect(),
            own_cert: self.own_cert,
            fail_rng: self.fail_rng,
            anchor: self.anchor,
            clock: self.clock,
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
    fn x509_anchor(&self, i: usize) -> Option<(&[u8], bool)> {
        if i == 0 {
            self.anchor.map(|a| (a, false))
        } else {
            None
        }
    }
    fn wall_clock(&self) -> Option<u64> {
        self.clock
    }
}
