//! Setup (which handshake to run, decoded from input bytes), Srv, Side and World.

use nanodtls::{suite, Config, Connection, Endpoint, PeerSlot, Role, State};
use std::collections::VecDeque;
use zerocopy::FromZeros;

use crate::*;

/// Which handshake a world runs. `bits`:
/// - 0..1: suite (PSK_CCM_8, PSK_CCM, ECDHE_ECDSA_CCM_8, ECDHE_ECDSA_CCM)
/// - 2: ECDHE: the server requires a client key; PSK: the server sends an identity hint
/// - 3: the server demands a cookie (HelloVerifyRequest)
/// - 4: heartbeat negotiated
/// - 5: the client asks for max_fragment_length 512
/// - 6: a full handshake first, then a resumed one (the one stopped in)
/// - 7: ECDHE: X.509 certificates both ways (client without RFC 7250); PSK: SNI
///
/// The MTU byte: bits 0..2 the MTU index, bit 6 certificate mode with
/// path validation ([`Setup::x509_chain`], with bit 7 of `bits`), bit 7 an
/// endpoint server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Setup {
    /// See the type's documentation.
    pub bits: u8,
    /// MTU of both sides.
    pub mtu: u16,
    /// The server is an [`Endpoint`] with [`ENDPOINT_SLOTS`] slots.
    pub endpoint: bool,
    /// With [`Setup::x509`]: certificate mode with path validation
    /// (RFC 7925 4.4): tests/pki's chains 3 below the root (server3,
    /// client-cn), the root as the trust anchor on both sides, the wall
    /// clock set, the server name checked; see [`Setup::x509_chain`].
    pub chain: bool,
}

/// Peer slots of an endpoint setup.
pub const ENDPOINT_SLOTS: usize = 3;

impl Setup {
    /// Decode from a setup byte and an MTU byte (bit 7: endpoint).
    pub fn decode(bits: u8, mtu: u8, endpoint_allowed: bool) -> Self {
        Setup {
            bits,
            mtu: MTUS[usize::from(mtu & 7)],
            endpoint: endpoint_allowed && mtu & 0x80 != 0,
            chain: mtu & 0x40 != 0,
        }
    }
    /// Inverse of [`Setup::decode`]: (bits byte, mtu byte).
    pub fn encode(&self) -> (u8, u8) {
        let m = MTUS.iter().position(|&m| m == self.mtu).unwrap_or(6) as u8;
        (self.bits, m | if self.endpoint { 0x80 } else { 0 } | if self.chain { 0x40 } else { 0 })
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
    /// Certificate mode with path validation: X.509 both ways, each side's
    /// chain validated to tests/pki's root (the peer's mutated
    /// certificates reach the path builder).
    pub fn x509_chain(&self) -> bool {
        self.x509() && self.chain
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
        if self.x509_chain() {
            c.set_own_key(PKI_CLIENT_KEY).expect("key");
            c.test_without_raw_public_keys();
            c.x509_settings_mut().set_verify_name(PKI_SERVER_NAME).expect("verify name");
            env.own_cert = Some(pki_client_chain());
            env.anchor = Some(pki::ROOT);
            env.clock = Some(PKI_NOW);
        } else if self.ecc() {
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
        if self.x509_chain() {
            s.set_own_key(PKI_SERVER_KEY).expect("key");
            self.chain_server_env(env);
        } else if self.ecc() {
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
        if self.x509_chain() {
            ep.set_own_key(PKI_SERVER_KEY).expect("key");
            self.chain_server_env(env);
        } else if self.ecc() {
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

impl Setup {
    /// The server's environment in certificate mode with path validation.
    fn chain_server_env(&self, env: &mut FuzzEnv) {
        env.own_cert = Some(pki_server_chain());
        env.anchor = Some(pki::ROOT);
        env.clock = Some(PKI_NOW);
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

#[cfg(test)]
mod tests {
    use super::*;
    use nanodtls::auth::x509::trust::{PEER_EUI64, PEER_NAME};

    /// The certificate-mode setups really validate both chains (3 below the
    /// root) in a genuine handshake, at every MTU and with an endpoint: the
    /// client/server targets then start their scripts from inside path
    /// validation. Without the MTU byte's bit 6 the old pinned-leaf mode
    /// runs (no chain validated).
    #[test]
    fn chain_setups_validate_both_chains() {
        for mtu in 0..8u8 {
            for endpoint in [0u8, 0x80] {
                // ECDHE_ECDSA_CCM_8, client auth, cookie, X.509.
                let setup = Setup::decode(0x8e, mtu | 0x40 | endpoint, true);
                assert!(setup.x509_chain());
                let mut w = World::at(setup, Side::Client, 40);
                w.run_to(Side::Server, 40);
                assert_eq!(w.client.state(), State::Connected, "{setup:?}");
                assert_eq!(w.srv.state(), State::Connected, "{setup:?}");
                let p = w.client.x509_peer();
                assert_eq!((p.kind, p.depth, p.reason), (PEER_NAME, 3, 0), "{setup:?}");
                if let Srv::Conn(s) = &w.srv {
                    let p = s.x509_peer();
                    assert_eq!((p.kind, p.depth, p.reason), (PEER_EUI64, 3, 0), "{setup:?}");
                    assert_eq!(p.eui64, [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF]);
                }
            }
        }
        let old = Setup::decode(0x8e, 6, false);
        assert!(old.x509() && !old.x509_chain());
        let w = World::at(old, Side::Client, 40);
        assert_eq!(w.client.state(), State::Connected);
        assert_eq!(w.client.x509_peer().depth, 0, "pinning: no path validated");
        let (b, m) = Setup::decode(0x8e, 0x43, false).encode();
        assert_eq!((b, m), (0x8e, 0x43));
    }

    /// A world stopped before the server's Certificate flight runs path
    /// validation on what it is then fed: one flipped byte inside an
    /// intermediate makes the client refuse the chain, as a fuzzed
    /// delivery would.
    #[test]
    fn a_flipped_intermediate_reaches_the_path_builder() {
        for mtu in [0x46u8, 0x43] {
            let setup = Setup::decode(0x8e, mtu, false);
            let mut w = World::at(setup, Side::Client, 1); // the HelloVerifyRequest
            while let Some(d) = w.to_server.pop_front() {
                w.feed_server(&d);
            }
            w.pump();
            let probe = &pki::INT2[100..116];
            let mut hit = false;
            while let Some(mut d) = w.to_client.pop_front() {
                if let Some(at) = d.windows(probe.len()).position(|x| x == probe) {
                    d[at + 8] ^= 0x01;
                    hit = true;
                }
                w.feed_client(&d);
                w.pump_client();
            }
            assert!(hit, "int2 not found in the server's flight ({setup:?})");
            assert_ne!(w.client.state(), State::Connected);
            // (The byte is in int2's subject name: the chain no longer links.)
            assert!(w.client.x509_peer().refused().is_some(), "chain accepted ({setup:?})");
        }
    }
}
