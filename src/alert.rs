//! Alerts (RFC 5246 section 7.2): levels, descriptions and their names,
//! the last alert of a connection and the one waiting to be sent.

use zerocopy::FromZeros;

/// warning
pub const WARNING: u8 = 1;
/// fatal
pub const FATAL: u8 = 2;
/// close_notify
pub const CLOSE_NOTIFY: u8 = 0;
/// unexpected_message
pub const UNEXPECTED_MESSAGE: u8 = 10;
/// bad_record_mac
pub const BAD_RECORD_MAC: u8 = 20;
/// record_overflow
pub const RECORD_OVERFLOW: u8 = 22;
/// handshake_failure
pub const HANDSHAKE_FAILURE: u8 = 40;
/// bad_certificate
pub const BAD_CERTIFICATE: u8 = 42;
/// unsupported_certificate
pub const UNSUPPORTED_CERTIFICATE: u8 = 43;
/// certificate_expired
pub const CERTIFICATE_EXPIRED: u8 = 45;
/// certificate_unknown
pub const CERTIFICATE_UNKNOWN: u8 = 46;
/// illegal_parameter
pub const ILLEGAL_PARAMETER: u8 = 47;
/// unknown_ca
pub const UNKNOWN_CA: u8 = 48;
/// access_denied
pub const ACCESS_DENIED: u8 = 49;
/// decode_error
pub const DECODE_ERROR: u8 = 50;
/// decrypt_error
pub const DECRYPT_ERROR: u8 = 51;
/// protocol_version
pub const PROTOCOL_VERSION: u8 = 70;
/// insufficient_security
pub const INSUFFICIENT_SECURITY: u8 = 71;
/// internal_error
pub const INTERNAL_ERROR: u8 = 80;
/// user_canceled
pub const USER_CANCELED: u8 = 90;
/// no_renegotiation
pub const NO_RENEGOTIATION: u8 = 100;
/// unsupported_extension
pub const UNSUPPORTED_EXTENSION: u8 = 110;
/// certificate_unobtainable (RFC 6066 section 5)
pub const CERTIFICATE_UNOBTAINABLE: u8 = 111;
/// unrecognized_name
pub const UNRECOGNIZED_NAME: u8 = 112;
/// bad_certificate_hash_value (RFC 6066 section 5)
pub const BAD_CERTIFICATE_HASH_VALUE: u8 = 114;
/// unknown_psk_identity
pub const UNKNOWN_PSK_IDENTITY: u8 = 115;

/// Short name of an alert description ("decrypt_error"), or
/// "unknown_alert" (the text of `nanodtls_alert_name`).
pub const fn name(description: u8) -> &'static core::ffi::CStr {
    match description {
        CLOSE_NOTIFY => c"close_notify",
        UNEXPECTED_MESSAGE => c"unexpected_message",
        BAD_RECORD_MAC => c"bad_record_mac",
        RECORD_OVERFLOW => c"record_overflow",
        HANDSHAKE_FAILURE => c"handshake_failure",
        BAD_CERTIFICATE => c"bad_certificate",
        UNSUPPORTED_CERTIFICATE => c"unsupported_certificate",
        CERTIFICATE_EXPIRED => c"certificate_expired",
        CERTIFICATE_UNKNOWN => c"certificate_unknown",
        ILLEGAL_PARAMETER => c"illegal_parameter",
        UNKNOWN_CA => c"unknown_ca",
        ACCESS_DENIED => c"access_denied",
        DECODE_ERROR => c"decode_error",
        DECRYPT_ERROR => c"decrypt_error",
        PROTOCOL_VERSION => c"protocol_version",
        INSUFFICIENT_SECURITY => c"insufficient_security",
        INTERNAL_ERROR => c"internal_error",
        USER_CANCELED => c"user_canceled",
        NO_RENEGOTIATION => c"no_renegotiation",
        UNSUPPORTED_EXTENSION => c"unsupported_extension",
        CERTIFICATE_UNOBTAINABLE => c"certificate_unobtainable",
        UNRECOGNIZED_NAME => c"unrecognized_name",
        BAD_CERTIFICATE_HASH_VALUE => c"bad_certificate_hash_value",
        UNKNOWN_PSK_IDENTITY => c"unknown_psk_identity",
        _ => c"unknown_alert",
    }
}

/// Marker for "fail without an alert".
pub(crate) const NO_ALERT: u8 = 0xFF;

/// The last alert sent or received.
#[derive(Clone, Copy, Debug, Default, FromZeros, PartialEq, Eq)]
#[repr(C)]
pub struct AlertInfo {
    /// 1 warning, 2 fatal, 0 none.
    pub level: u8,
    /// Alert description.
    pub description: u8,
    /// True if we sent it, false if we received it.
    pub sent: bool,
}

/// An alert waiting to be sent.
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct PendingAlert {
    pub level: u8,
    pub description: u8,
    pub pending: bool,
}
