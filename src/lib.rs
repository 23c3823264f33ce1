//! nanodtls: a heap-free, sans-IO DTLS 1.2 engine for the IoT profile
//! (RFC 7925), with a C ABI.
//!
//! # The sans-IO loop
//!
//! ```
//! use nanodtls::{Config, Connection, Env, Error, Role};
//! use zerocopy::FromZeros;
//!
//! struct Rng(u64);
//! impl Env for Rng {
//!     fn random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
//!         for b in buf { self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1); *b = (self.0 >> 56) as u8; }
//!         Ok(())
//!     }
//! }
//! # fn main() -> Result<(), Error> {
//! let mut client = Connection::new_box_zeroed().unwrap();
//! let mut server = Connection::new_box_zeroed().unwrap();
//! client.init(&Config::new(Role::Client))?;
//! server.init(&Config::new(Role::Server))?;
//! client.set_psk(b"client1", &[7; 16])?;
//! server.set_psk(b"client1", &[7; 16])?;
//! let (mut rc, mut rs) = (Rng(1), Rng(2));
//! client.connect(&mut rc, 0)?;
//! // The only buffer: a datagram. Nothing is copied into the connections.
//! let mut buf = [0u8; 1500];
//! for _ in 0..10 {
//!     while let Some(n) = client.poll_datagram(&rc, 0, &mut buf)? { server.feed(&mut rs, 0, &mut buf[..n])?; }
//!     while let Some(n) = server.poll_datagram(&rs, 0, &mut buf)? { client.feed(&mut rc, 0, &mut buf[..n])?; }
//! }
//! assert_eq!(client.state(), nanodtls::State::Connected);
//! // Application data is sealed straight into the datagram to send ...
//! let n = client.write(b"hello", &mut buf)?;
//! // ... and opened in place: `fed.app` says where the plaintext is.
//! let fed = server.feed(&mut rs, 0, &mut buf[..n])?;
//! assert_eq!(&buf[fed.app.unwrap()], b"hello");
//! # Ok(()) }
//! ```
//!
//! Every `now` is the time in milliseconds from a monotonic clock; timers
//! are absolute times, so a `now` that goes back stalls them for as long as
//! the step. Pass a clock that never goes back (the C API guards against
//! steps back itself: see `nanodtls_now_fn` in the header).
//!
//! # Module map
//! Calls go down: `client/` / `server/` (what to do in each state) ->
//! [`connection`] (the engine: records in and out, application data,
//! alerts, timers) -> `association` / [`handshake`] / [`auth`] / [`keyex`]
//! -> [`record`] / [`crypto`] / [`codec`]. `ffi` (the C ABI, the only
//! `unsafe` code) is a leaf that nothing imports; the log hook is reached
//! through [`log`]'s own sink.
//!
//! # Where each RFC section lives
//! | RFC section | file |
//! |---|---|
//! | RFC 6347 4.1 record header, epochs, sequence numbers | `record/mod.rs`, `record/state.rs` |
//! | RFC 6347 4.1.2.6 replay window | `record/replay.rs` |
//! | RFC 6655 / RFC 7251 AES-CCM(-8) record protection | `record/protect.rs`, `crypto/aead.rs` |
//! | RFC 6347 4.2.1 HelloVerifyRequest, stateless cookies | `handshake/msg/hello_verify_request.rs`, `cookie.rs` |
//! | RFC 6347 4.2.3 fragmentation and reassembly | `handshake/reassembly.rs` (in), `flight.rs` (out) |
//! | RFC 6347 4.2.4 timeout and retransmission | `flight.rs`, `connection/mod.rs` |
//! | RFC 5246 7.4 handshake messages, one per file | `handshake/msg/*.rs` |
//! | RFC 5246 7.4.9 Finished, RFC 5246 5 PRF, key block | `handshake/msg/finished.rs`, `crypto/prf.rs`, `keys.rs` |
//! | RFC 7627 extended master secret | `handshake/ext/extended_master_secret.rs`, `keys.rs` |
//! | RFC 5746 renegotiation_info (and refusing renegotiation) | `handshake/ext/renegotiation_info.rs`, `connection/incoming.rs` |
//! | RFC 6066 3 server_name, 4 max_fragment_length | `handshake/ext/server_name.rs`, `handshake/ext/max_fragment_length.rs` |
//! | RFC 8449 record_size_limit (send and receive limits) | `handshake/ext/record_size_limit.rs`, `association/mod.rs` |
//! | RFC 6520 heartbeat | `handshake/ext/heartbeat.rs`, `association/heartbeat.rs` |
//! | RFC 8422 / RFC 4492 curves and point formats | `handshake/ext/ec.rs` |
//! | RFC 7250 raw public keys, certificate types | `handshake/ext/cert_type.rs`, `auth/rpk.rs` |
//! | RFC 4279 PSK | `auth/psk.rs`, `keyex/psk.rs` |
//! | RFC 8422 ECDHE-ECDSA on P-256 | `keyex/ecdhe.rs`, `crypto/ecc.rs` |
//! | RFC 8442 / RFC 5489 ECDHE_PSK (feature `ecdhe-psk`) | `keyex/ecdhe_psk.rs`, `handshake/msg/{server,client}_key_exchange.rs` |
//! | RFC 5280 6 / RFC 7925 4.4 X.509 path validation (feature `x509`) | `auth/x509/{der,cert,path}.rs` |
//! | RFC 5246 7.4.1.2 session-ID resumption, the deep-sleep session export | `session.rs`, `client/session.rs`, `server/resume.rs` |
//! | the handshake flights of each role (RFC 6347 4.2.4, RFC 5246 7.3) | `client/mod.rs`, `server/mod.rs`; key exchange messages in `client/key_exchange.rs`, `server/key_exchange.rs` |
//! | the peer's credential in the handshake (RFC 7925 4.4.1, 4.4.2; RFC 7250) | `client/server_auth.rs`, `server/client_auth.rs` |
//! | RFC 5077 session tickets (feature `tickets`): keys, sealed format, client store | `session_ticket.rs`, `handshake/ext/session_ticket.rs`, `handshake/msg/new_session_ticket.rs` |
//! | RFC 7925 alerts and profile rules | `alert.rs`, `config.rs` |
//! | trusted-third-party modes (DerivedKey, AuthzCert) | `auth/ta.rs`, `auth/derived_key.rs`, `auth/authz_cert.rs` |
//! | many peers: demultiplexing (RFC 6347 4.2.8) | `endpoint/mod.rs` |
//! | the endpoint's stateless cookie exchange before a slot (RFC 6347 4.2.1) | `endpoint/stateless.rs`, `cookie.rs` |
//! | peer slots: allocation, reclamation, per-peer value, events | `endpoint/slots.rs` |
//! | RFC 9146 3 connection_id extension (feature `cid`) | `handshake/ext/connection_id.rs` |
//! | RFC 9146 4, 5 tls12_cid record, DTLSInnerPlaintext, additional data | `record/cid.rs`, `connection/cid.rs` |
//! | RFC 9146 6 peer address updates | `endpoint/mod.rs` (`feed_by_cid`) |

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(unsafe_code)]
#![forbid(unsafe_op_in_unsafe_fn)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]
// A single-role build (feature `client` or `server` alone) cuts the path to
// the other role's handshake code; what is left unreferenced is exactly
// that code, which the linker then drops.
#![cfg_attr(not(all(nanodtls_client, nanodtls_server)), allow(dead_code, unused_imports))]

#[cfg(all(test, not(feature = "std")))]
compile_error!("tests need the std feature (enabled automatically through the self dev-dependency)");

// First: the log macros (nd_log!, nd_drop!) are used by the modules below.
#[macro_use]
pub mod log;

pub mod alert;
mod association;
pub mod auth;
mod client;
pub mod codec;
pub mod config;
pub mod connection;
pub mod cookie;
pub mod crypto;
pub mod endpoint;
pub mod env;
pub mod error;
pub mod flight;
pub mod handshake;
pub mod keyex;
#[cfg(feature = "keylog")]
pub mod keylog;
pub mod keys;
pub mod record;
mod server;
pub mod session;
#[cfg(feature = "tickets")]
pub mod session_ticket;
pub mod sizes;
pub mod suite;

pub mod ffi;

pub use alert::AlertInfo;
pub use auth::Credentials;
pub use config::{Config, Role};
pub use connection::{Connection, Engine, Fed, State, Stats};
pub use endpoint::{Endpoint, EndpointStats, Event, PeerCounts, PeerSlot};
pub use env::Env;
pub use error::Error;

#[cfg(all(test, nanodtls_default_knobs))]
mod header_is_fresh {
    /// include/nanodtls.h must be exactly what build.rs generates from the
    /// current sources (default knobs and features).
    #[test]
    fn committed_header_matches_generated() {
        let generated = include_str!(concat!(env!("OUT_DIR"), "/nanodtls.h"));
        let committed = include_str!("../include/nanodtls.h");
        assert!(generated == committed, "include/nanodtls.h is stale: run scripts/gen-header.sh and commit the result");
    }
}
