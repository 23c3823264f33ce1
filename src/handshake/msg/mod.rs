//! Handshake messages (RFC 5246 section 7.4, RFC 6347 section 4.2): one
//! file per message, with its parser and its writer side by side.

#[cfg(feature = "ecc")]
pub mod certificate;
#[cfg(feature = "ecc")]
pub mod certificate_request;
#[cfg(feature = "cert-url")]
pub mod certificate_url;
#[cfg(feature = "ecc")]
pub mod certificate_verify;
pub mod client_hello;
pub mod client_key_exchange;
pub mod finished;
pub mod hello_verify_request;
#[cfg(feature = "tickets")]
pub mod new_session_ticket;
pub mod server_hello;
pub mod server_hello_done;
pub mod server_key_exchange;

/// hello_request
pub const HELLO_REQUEST: u8 = 0;
/// client_hello
pub const CLIENT_HELLO: u8 = 1;
/// server_hello
pub const SERVER_HELLO: u8 = 2;
/// hello_verify_request
pub const HELLO_VERIFY_REQUEST: u8 = 3;
/// new_session_ticket (RFC 5077)
pub const NEW_SESSION_TICKET: u8 = 4;
/// certificate
pub const CERTIFICATE: u8 = 11;
/// server_key_exchange
pub const SERVER_KEY_EXCHANGE: u8 = 12;
/// certificate_request
pub const CERTIFICATE_REQUEST: u8 = 13;
/// server_hello_done
pub const SERVER_HELLO_DONE: u8 = 14;
/// certificate_verify
pub const CERTIFICATE_VERIFY: u8 = 15;
/// client_key_exchange
pub const CLIENT_KEY_EXCHANGE: u8 = 16;
/// finished
pub const FINISHED: u8 = 20;
/// certificate_url (RFC 6066 section 5)
pub const CERTIFICATE_URL: u8 = 21;

/// Name of a handshake message type (for the debug log).
#[cfg(feature = "log")]
pub fn name(t: u8) -> &'static str {
    match t {
        HELLO_REQUEST => "HelloRequest",
        CLIENT_HELLO => "ClientHello",
        SERVER_HELLO => "ServerHello",
        HELLO_VERIFY_REQUEST => "HelloVerifyRequest",
        NEW_SESSION_TICKET => "NewSessionTicket",
        CERTIFICATE => "Certificate",
        SERVER_KEY_EXCHANGE => "ServerKeyExchange",
        CERTIFICATE_REQUEST => "CertificateRequest",
        SERVER_HELLO_DONE => "ServerHelloDone",
        CERTIFICATE_VERIFY => "CertificateVerify",
        CLIENT_KEY_EXCHANGE => "ClientKeyExchange",
        FINISHED => "Finished",
        CERTIFICATE_URL => "CertificateURL",
        _ => "unknown",
    }
}
