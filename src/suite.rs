//! Cipher suites of the RFC 7925 profile.

use crate::crypto::aead::TagLen;

/// TLS_PSK_WITH_AES_128_CCM_8 (RFC 6655), mandatory in RFC 7925.
pub const PSK_AES_128_CCM_8: u16 = 0xC0A8;
/// TLS_PSK_WITH_AES_128_CCM (RFC 6655).
pub const PSK_AES_128_CCM: u16 = 0xC0A4;
/// TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (RFC 7251), mandatory in RFC 7925.
pub const ECDHE_ECDSA_AES_128_CCM_8: u16 = 0xC0AE;
/// TLS_ECDHE_ECDSA_WITH_AES_128_CCM (RFC 7251).
pub const ECDHE_ECDSA_AES_128_CCM: u16 = 0xC0AC;
/// TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256 (RFC 8442).
pub const ECDHE_PSK_AES_128_CCM_8: u16 = 0xD003;
/// TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256 (RFC 8442).
pub const ECDHE_PSK_AES_128_CCM: u16 = 0xD005;
/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746).
pub const EMPTY_RENEGOTIATION_INFO_SCSV: u16 = 0x00FF;

/// Key exchange family of a suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchange {
    /// Plain PSK (RFC 4279).
    Psk,
    /// ECDHE with ECDSA signatures (RFC 8422).
    EcdheEcdsa,
    /// ECDHE authenticated by a PSK (RFC 5489, RFC 8442).
    EcdhePsk,
}

/// Properties of a supported suite, or None if this build does not know it.
pub fn info(suite: u16) -> Option<(KeyExchange, TagLen)> {
    match suite {
        PSK_AES_128_CCM_8 if cfg!(feature = "psk") => Some((KeyExchange::Psk, TagLen::Eight)),
        PSK_AES_128_CCM if cfg!(feature = "psk") => Some((KeyExchange::Psk, TagLen::Sixteen)),
        ECDHE_ECDSA_AES_128_CCM_8 if cfg!(feature = "ecc") => Some((KeyExchange::EcdheEcdsa, TagLen::Eight)),
        ECDHE_ECDSA_AES_128_CCM if cfg!(feature = "ecc") => Some((KeyExchange::EcdheEcdsa, TagLen::Sixteen)),
        ECDHE_PSK_AES_128_CCM_8 if cfg!(feature = "ecdhe-psk") => Some((KeyExchange::EcdhePsk, TagLen::Eight)),
        ECDHE_PSK_AES_128_CCM if cfg!(feature = "ecdhe-psk") => Some((KeyExchange::EcdhePsk, TagLen::Sixteen)),
        _ => None,
    }
}

/// IANA name of a suite (for logs and the example tools).
pub fn name(suite: u16) -> &'static str {
    name_cstr(suite).to_str().unwrap_or("unknown")
}

/// IANA name of a suite as a C string.
pub const fn name_cstr(suite: u16) -> &'static core::ffi::CStr {
    match suite {
        PSK_AES_128_CCM_8 => c"TLS_PSK_WITH_AES_128_CCM_8",
        PSK_AES_128_CCM => c"TLS_PSK_WITH_AES_128_CCM",
        ECDHE_ECDSA_AES_128_CCM_8 => c"TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
        ECDHE_ECDSA_AES_128_CCM => c"TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
        ECDHE_PSK_AES_128_CCM_8 => c"TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256",
        ECDHE_PSK_AES_128_CCM => c"TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256",
        _ => c"unknown",
    }
}
