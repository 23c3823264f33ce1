//! Premaster secrets (RFC 5246 8.1): plain PSK (RFC 4279) in [`psk`],
//! ECDHE on P-256 (RFC 8422) in `ecdhe`, ECDHE_PSK (RFC 5489) in `ecdhe_psk`; their messages are in
//! handshake::msg.

#[cfg(feature = "ecc")]
pub mod ecdhe;
#[cfg(feature = "ecdhe-psk")]
pub mod ecdhe_psk;
pub mod psk;
