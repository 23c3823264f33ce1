//! Connection configuration (runtime), and which roles this build has.

use zerocopy::{FromZeros, Immutable, IntoBytes};

use crate::error::Error;
use crate::suite;

/// Which side of the handshake a context plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromZeros, IntoBytes, Immutable)]
#[repr(u8)]
pub enum Role {
    /// Sends the ClientHello.
    Client = 0,
    /// Answers ClientHellos.
    Server = 1,
}

/// Smallest MTU we can fragment a flight into.
pub const MIN_MTU: u16 = 128;
/// Largest datagram we ever produce.
pub const MAX_MTU: u16 = 16_384;
/// Number of entries in the suite preference list.
pub const MAX_SUITES: usize = 4;

/// Runtime configuration of a connection.
///
/// The layout has no padding (checked at compile time by `IntoBytes`), so
/// copying a configuration into a context never carries stack garbage along.
#[derive(Clone, Copy, Debug, FromZeros, IntoBytes, Immutable)]
#[repr(C)]
pub struct Config {
    /// Initial retransmission timeout (RFC 6347: 1 s; RFC 7925 suggests 9 s on slow links).
    pub retransmit_initial_ms: u32,
    /// Cap of the doubling retransmission timer (RFC 6347: at least 60 s).
    pub retransmit_max_ms: u32,
    /// Overall handshake deadline from connect() / the first verified ClientHello.
    pub handshake_timeout_ms: u32,
    /// Server: lifetime of a cookie secret before it rotates; a cookie is
    /// refused once its secret is two lifetimes old, traffic or not.
    pub cookie_lifetime_ms: u32,
    /// Cipher suites in order of preference; 0 ends the list.
    pub suites: [u16; MAX_SUITES],
    /// Largest datagram we send (handshake flights are fragmented to fit).
    pub mtu: u16,
    /// Client: max_fragment_length to request (RFC 6066): 0 (none), 512,
    /// 1024, 2048 or 4096. Servers accept what clients request.
    pub max_fragment_length: u16,
    /// record_size_limit (RFC 8449): the largest record plaintext we accept
    /// from the peer, 64..=16384, or 0. Client: offered when non-zero
    /// (preferred to max_fragment_length by servers that know both).
    /// Server: always answers a client's offer, with this value or (0) the
    /// largest plaintext whose CCM record fits `mtu` (mtu - 37), at least 512
    /// (GnuTLS clients refuse less; RFC 8449 allows 64).
    pub record_size_limit: u16,
    /// Must be zero (keeps the layout free of padding).
    pub reserved_rsl: u16,
    /// Client or server.
    pub role: Role,
    /// Server: demand a HelloVerifyRequest cookie round trip before any state is kept.
    pub require_cookie: bool,
    /// Abort when the peer does not support extended master secret (RFC 7627).
    pub require_ems: bool,
    /// Server, ECDHE_ECDSA: request and require the client's raw public key.
    pub client_auth: bool,
    /// Negotiate heartbeat (RFC 6520): answer requests and allow sending them.
    pub heartbeat: bool,
    /// Negotiate a connection ID (RFC 9146, feature `cid`): records then
    /// carry a CID, so a peer whose address changes (NAT rebinding) keeps
    /// its association.
    pub connection_id: bool,
    /// With `connection_id`: the length of the CID we ask the peer to put
    /// in its records (drawn from the RNG), 0..=NANODTLS_MAX_CID; 0 = we
    /// support CID and send the peer's, but want none in what we receive.
    pub cid_len: u8,
    /// Session tickets (RFC 5077, feature `tickets`). Client: offer the
    /// SessionTicket extension, keep the ticket and resume with it.
    /// Server: issue tickets (needs ticket keys from the environment:
    /// `Env::ticket_keys`, in C nanodtls_set_ticket_keys).
    /// (It took the last byte of the former `reserved` padding: the
    /// layout is 36 bytes without padding, checked by `IntoBytes`.)
    pub tickets: bool,
}

impl Config {
    /// Defaults for `role`: every suite of this build, CCM-8 first (PSK, then
    /// ECDHE_ECDSA; a client offers only those it has credentials for), 1 s initial
    /// timer, 60 s cap, 120 s handshake deadline, cookies on, MTU 1280
    /// (capped by the receive buffer), EMS used when the peer has it.
    pub fn new(role: Role) -> Self {
        let mut suites = [0u16; MAX_SUITES];
        let mut n = 0;
        for s in [
            suite::PSK_AES_128_CCM_8,
            suite::ECDHE_ECDSA_AES_128_CCM_8,
            suite::PSK_AES_128_CCM,
            suite::ECDHE_ECDSA_AES_128_CCM,
        ] {
            if suite::info(s).is_some() {
                if let Some(slot) = suites.get_mut(n) {
                    *slot = s;
                    n += 1;
                }
            }
        }
        Config {
            suites,
            retransmit_initial_ms: 1000,
            retransmit_max_ms: 60_000,
            handshake_timeout_ms: 120_000,
            cookie_lifetime_ms: 300_000,
            mtu: crate::sizes::NANODTLS_MTU as u16,
            role,
            require_cookie: true,
            require_ems: false,
            client_auth: false,
            max_fragment_length: 0,
            record_size_limit: 0,
            reserved_rsl: 0,
            heartbeat: false,
            connection_id: false,
            cid_len: 0,
            tickets: false,
        }
    }

    /// Check every field; returns the first problem found.
    pub fn validate(&self) -> Result<(), Error> {
        if self.mtu < MIN_MTU || self.mtu > MAX_MTU {
            return Err(Error::InvalidArgument);
        }
        if self.retransmit_initial_ms == 0
            || self.retransmit_max_ms < self.retransmit_initial_ms
            || self.handshake_timeout_ms == 0
            || self.cookie_lifetime_ms == 0
        {
            return Err(Error::InvalidArgument);
        }
        if self.tickets && !cfg!(feature = "tickets") {
            return Err(Error::Unsupported);
        }
        if self.connection_id && !cfg!(feature = "cid") {
            return Err(Error::Unsupported);
        }
        #[cfg(feature = "cid")]
        if usize::from(self.cid_len) > crate::sizes::NANODTLS_MAX_CID {
            return Err(Error::InvalidArgument);
        }
        if !matches!(self.max_fragment_length, 0 | 512 | 1024 | 2048 | 4096) {
            return Err(Error::InvalidArgument);
        }
        // RFC 8449 section 4: at least 64; 2^14 is the largest DTLS 1.2 record.
        if self.reserved_rsl != 0 || !matches!(self.record_size_limit, 0 | 64..=16384) {
            return Err(Error::InvalidArgument);
        }
        let mut any = false;
        let mut ended = false;
        for (i, &s) in self.suites.iter().enumerate() {
            if s == 0 {
                ended = true;
                continue;
            }
            if ended || suite::info(s).is_none() || self.suites.get(..i).is_some_and(|p| p.contains(&s)) {
                return Err(Error::InvalidArgument);
            }
            any = true;
        }
        if !any {
            return Err(Error::InvalidArgument);
        }
        Ok(())
    }

    /// The configured suites, in order.
    pub fn suite_list(&self) -> impl Iterator<Item = u16> + '_ {
        self.suites.iter().copied().take_while(|&s| s != 0)
    }
}

/// True if this build has the code for `role` (features `client` / `server`).
pub const fn role_built(role: Role) -> bool {
    match role {
        Role::Client => cfg!(nanodtls_client),
        Role::Server => cfg!(nanodtls_server),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_bad_values_do_not() {
        for role in [Role::Client, Role::Server] {
            let c = Config::new(role);
            c.validate().unwrap();
            assert_eq!(c.suite_list().next(), Some(suite::PSK_AES_128_CCM_8));
        }
        let base = Config::new(Role::Client);
        let mut c = base;
        c.mtu = 100;
        assert!(c.validate().is_err());
        let mut c = base;
        c.retransmit_max_ms = 10;
        assert!(c.validate().is_err());
        let mut c = base;
        c.suites = [0; 4];
        assert!(c.validate().is_err());
        let mut c = base;
        c.suites = [suite::PSK_AES_128_CCM_8, suite::PSK_AES_128_CCM_8, 0, 0];
        assert!(c.validate().is_err(), "duplicate");
        let mut c = base;
        c.suites = [0x1301, 0, 0, 0];
        assert!(c.validate().is_err(), "unknown suite");
        let mut c = base;
        c.suites = [0, suite::PSK_AES_128_CCM_8, 0, 0];
        assert!(c.validate().is_err(), "hole");
    }
}
