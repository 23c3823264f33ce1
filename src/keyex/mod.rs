//! Premaster secrets (RFC 5246 8.1): plain PSK (RFC 4279) in [`psk`];
//! ECDHE (RFC 8422) in `crypto::ecc` (its messages in handshake::msg).

pub mod psk;
