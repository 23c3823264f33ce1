//! Prints datagrams and bytes on the air for full and resumed PSK and
//! ECDHE_ECDSA (raw public key, mutual authentication) handshakes between
//! our client and server (cookies on, MTU 1280, lossless).
//!
//!     cargo run --release --example handshake_stats

use nanodtls::session::CacheEntry;
use nanodtls::{suite, Config, Connection, Env, Error, Role, State};
use zerocopy::FromZeros;

struct Rng(u64, Vec<CacheEntry>);
impl Env for Rng {
    fn random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        for b in buf {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *b = self.0 as u8;
        }
        Ok(())
    }
    fn session_cache(&mut self) -> Option<&mut [CacheEntry]> {
        Some(&mut self.1)
    }
}

fn key(n: u8) -> [u8; 32] {
    let mut k = [n; 32];
    k[0] = 0x10;
    k
}

fn conn(role: Role, s: u16, own: u8, peer: u8) -> Box<Connection> {
    let mut cfg = Config::new(role);
    cfg.suites = [s, 0, 0, 0];
    cfg.client_auth = true;
    let mut c = Connection::new_box_zeroed().unwrap();
    c.init(&cfg).unwrap();
    c.set_psk(b"client1", &[7; 16]).unwrap();
    c.set_own_key(&key(own)).unwrap();
    let mut p = Connection::new_box_zeroed().unwrap();
    p.init(&Config::new(Role::Client)).unwrap();
    p.set_own_key(&key(peer)).unwrap();
    c.add_trusted_key(&p.own_spki().unwrap()).unwrap();
    c
}

/// Run a handshake; returns (datagrams, bytes, resumed).
fn run(c: &mut Connection, s: &mut Connection, ce: &mut Rng, se: &mut Rng) -> (usize, usize, bool) {
    c.connect(ce, 0).unwrap();
    let (mut n, mut bytes) = (0, 0);
    let mut buf = [0u8; 1500];
    for _ in 0..20 {
        // Handshake datagrams only: no application data to look at.
        while let Some(len) = c.poll_datagram(ce, 0, &mut buf).unwrap() {
            n += 1;
            bytes += len;
            s.feed(se, 0, &mut buf[..len]).unwrap();
        }
        while let Some(len) = s.poll_datagram(se, 0, &mut buf).unwrap() {
            n += 1;
            bytes += len;
            c.feed(ce, 0, &mut buf[..len]).unwrap();
        }
    }
    assert_eq!((c.state(), s.state()), (State::Connected, State::Connected));
    (n, bytes, c.resumed())
}

fn main() {
    println!("| suite | handshake | datagrams | bytes on air |");
    println!("|---|---|---|---|");
    for s in [suite::PSK_AES_128_CCM_8, suite::ECDHE_ECDSA_AES_128_CCM_8] {
        let mut se = Rng(99, (0..4).map(|_| CacheEntry::new_zeroed()).collect());
        let mut ce = Rng(7, Vec::new());
        let mut c = conn(Role::Client, s, 1, 2);
        let mut srv = conn(Role::Server, s, 2, 1);
        let full = run(&mut c, &mut srv, &mut ce, &mut se);
        let mut blob = [0u8; 512];
        let len = c.export_session(&mut blob).unwrap();
        let mut c2 = conn(Role::Client, s, 1, 2);
        c2.import_session(&blob[..len]).unwrap();
        let mut srv2 = conn(Role::Server, s, 2, 1);
        let resumed = run(&mut c2, &mut srv2, &mut ce, &mut se);
        assert!(resumed.2);
        println!("| {} | full | {} | {} |", suite::name(s), full.0, full.1);
        println!("| {} | resumed | {} | {} |", suite::name(s), resumed.0, resumed.1);
    }
}
