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
//! let mut buf = [0u8; 1500];
//! for _ in 0..10 {
//!     while let Some(n) = client.poll_datagram(0, &mut buf)? { server.feed(&mut rs, 0, &buf[..n])?; }
//!     while let Some(n) = server.poll_datagram(0, &mut buf)? { client.feed(&mut rc, 0, &buf[..n])?; }
//! }
//! assert_eq!(client.state(), nanodtls::State::Connected);
//! client.write(b"hello")?;
//! let n = client.poll_datagram(0, &mut buf)?.unwrap();
//! server.feed(&mut rs, 0, &buf[..n])?;
//! let mut app = [0u8; 64];
//! assert_eq!(server.read(&mut app)?, Some(5));
//! # Ok(()) }
//! ```
//!
//! Every `now` is the time in milliseconds from a monotonic clock; timers
//! are absolute times, so a `now` that goes back stalls them for as long as
//! the step. Pass a clock that never goes back (the C API guards against
//! steps back itself: see `nanodtls_now_fn` in the header).
//!
//! # Module map
//! - [`codec`]: bounded reader/writer; [`record`]: record layer and replay window
//! - [`handshake`]: messages, extensions, reassembly; [`flight`]: our flight and its timer
//! - [`crypto`], [`keys`]: PRF, AEAD, key schedule; [`cookie`]: stateless cookies
//! - [`connection`] (with `client.rs` / `server.rs`): the engine; [`endpoint`]: many peers
//! - `ffi`: the C ABI (the only `unsafe` code)
//! - [`log`]: the optional debug log (cargo feature `log`) behind `nanodtls_set_log_hook`

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
pub mod keys;
pub mod record;
mod server;
pub mod session;
pub mod sizes;
pub mod suite;

pub mod ffi;

pub use alert::AlertInfo;
pub use auth::Credentials;
pub use config::{Config, Role};
pub use connection::{Connection, Engine, State, Stats};
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
