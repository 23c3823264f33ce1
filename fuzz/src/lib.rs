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

mod checks;
mod env;
mod script;
mod setup;
mod wire;
mod world;

pub use checks::*;
pub use env::*;
pub use script::*;
pub use setup::*;
pub use wire::*;

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
