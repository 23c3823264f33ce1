//! The ECC extensions of RFC 8422 section 5.1 (supported_groups,
//! ec_point_formats) and signature_algorithms (RFC 5246 7.4.1.4.1): a
//! client offering ECDHE_ECDSA asks for secp256r1, uncompressed points and
//! ecdsa_secp256r1_sha256; a server records what the client can do in
//! `EccCaps` (together with the certificate types, cert_type.rs).

use super::{list16, list16_contains, list8, EC_POINT_FORMATS, SIGNATURE_ALGORITHMS, SUPPORTED_GROUPS};
use crate::alert;
use crate::codec::Writer;
use crate::error::{Error, Fatal};
use crate::handshake::msg::certificate::{CERT_TYPE_RAW_PUBLIC_KEY, CERT_TYPE_X509};

/// NamedCurve secp256r1 (RFC 8422).
pub const SECP256R1: u16 = 23;
/// SignatureAndHashAlgorithm ecdsa_secp256r1_sha256 (sha256 = 4, ecdsa = 3).
pub const ECDSA_SHA256: u16 = 0x0403;
/// ECPointFormat uncompressed.
pub const POINT_FORMAT_UNCOMPRESSED: u8 = 0;

/// The client's offer: supported_groups {secp256r1}, ec_point_formats
/// {uncompressed}, signature_algorithms {ecdsa_secp256r1_sha256}.
const OFFER: [u8; 22] = [
    (SUPPORTED_GROUPS >> 8) as u8,
    SUPPORTED_GROUPS as u8,
    0,
    4,
    0,
    2,
    (SECP256R1 >> 8) as u8,
    SECP256R1 as u8,
    (EC_POINT_FORMATS >> 8) as u8,
    EC_POINT_FORMATS as u8,
    0,
    2,
    1,
    POINT_FORMAT_UNCOMPRESSED,
    (SIGNATURE_ALGORITHMS >> 8) as u8,
    SIGNATURE_ALGORITHMS as u8,
    0,
    4,
    0,
    2,
    (ECDSA_SHA256 >> 8) as u8,
    ECDSA_SHA256 as u8,
];

/// Client offer.
pub(crate) fn write_offer(w: &mut Writer<'_>) -> Result<(), Error> {
    w.put(&OFFER)
}

/// Server answer to an ec_point_formats offer: {uncompressed}.
pub(crate) fn write_point_formats_answer(w: &mut Writer<'_>) -> Result<(), Error> {
    w.put(&[(EC_POINT_FORMATS >> 8) as u8, EC_POINT_FORMATS as u8, 0, 2, 1, POINT_FORMAT_UNCOMPRESSED])
}

/// Client: the server's ec_point_formats must include uncompressed.
pub(crate) fn read_point_formats_answer(data: &[u8]) -> Result<(), Fatal> {
    let formats = list8(data).map_err(|_| Fatal::decode())?;
    if formats.contains(&POINT_FORMAT_UNCOMPRESSED) {
        Ok(())
    } else {
        Err(Fatal::alert(alert::ILLEGAL_PARAMETER))
    }
}

/// What a ClientHello says the client can do with ECC.
#[derive(Clone, Copy)]
pub(crate) struct EccCaps {
    pub p256: bool,
    pub uncompressed: bool,
    pub sent_point_formats: bool,
    pub ecdsa_sha256: bool,
    /// server_certificate_type offered RawPublicKey.
    pub server_rpk: bool,
    /// The client accepts an X.509 server certificate (no extension, or X.509 listed).
    pub server_x509: bool,
    pub sent_server_cert_type: bool,
    /// client_certificate_type offered RawPublicKey.
    pub client_rpk: bool,
    /// The client can send X.509 (no extension, or X.509 listed).
    pub client_x509: bool,
    pub sent_client_cert_type: bool,
    /// client_certificate_type offered AuthzCert (set by the server from
    /// the list [`EccCaps::read_client_cert_types`] returns, feature
    /// `authz-cert`).
    pub client_authz: bool,
}

impl Default for EccCaps {
    /// A client that sends none of the extensions: uncompressed points and
    /// X.509 certificates (RFC 8422, RFC 7250), nothing else.
    fn default() -> Self {
        EccCaps {
            p256: false,
            uncompressed: true,
            sent_point_formats: false,
            ecdsa_sha256: false,
            server_rpk: false,
            server_x509: true,
            sent_server_cert_type: false,
            client_rpk: false,
            client_x509: true,
            sent_client_cert_type: false,
            client_authz: false,
        }
    }
}

impl EccCaps {
    const FIELDS: usize = 11;

    fn flags(&self) -> [bool; Self::FIELDS] {
        [
            self.p256,
            self.uncompressed,
            self.sent_point_formats,
            self.ecdsa_sha256,
            self.server_rpk,
            self.server_x509,
            self.sent_server_cert_type,
            self.client_rpk,
            self.client_x509,
            self.sent_client_cert_type,
            self.client_authz,
        ]
    }

    /// Packed into a u16 (kept in the handshake state between ClientHello
    /// and ServerHello).
    pub fn bits(&self) -> u16 {
        self.flags().iter().enumerate().fold(0, |acc, (i, &f)| acc | (u16::from(f) << i))
    }

    /// Unpacked from [`EccCaps::bits`].
    pub fn from_bits(b: u16) -> Self {
        let f = |i: u16| b & (1 << i) != 0;
        EccCaps {
            p256: f(0),
            uncompressed: f(1),
            sent_point_formats: f(2),
            ecdsa_sha256: f(3),
            server_rpk: f(4),
            server_x509: f(5),
            sent_server_cert_type: f(6),
            client_rpk: f(7),
            client_x509: f(8),
            sent_client_cert_type: f(9),
            client_authz: f(10),
        }
    }

    /// Server: supported_groups.
    pub fn read_groups(&mut self, data: &[u8]) -> Result<(), Fatal> {
        let l = list16(data).map_err(|_| Fatal::decode())?;
        self.p256 = list16_contains(l, SECP256R1);
        Ok(())
    }

    /// Server: ec_point_formats.
    pub fn read_point_formats(&mut self, data: &[u8]) -> Result<(), Fatal> {
        let l = list8(data).map_err(|_| Fatal::decode())?;
        self.uncompressed = l.contains(&POINT_FORMAT_UNCOMPRESSED);
        self.sent_point_formats = true;
        Ok(())
    }

    /// Server: signature_algorithms.
    pub fn read_signature_algorithms(&mut self, data: &[u8]) -> Result<(), Fatal> {
        let l = list16(data).map_err(|_| Fatal::decode())?;
        self.ecdsa_sha256 = list16_contains(l, ECDSA_SHA256);
        Ok(())
    }

    /// Server: server_certificate_type (RFC 7250).
    pub fn read_server_cert_types(&mut self, data: &[u8]) -> Result<(), Fatal> {
        let l = list8(data).map_err(|_| Fatal::decode())?;
        self.server_rpk = l.contains(&CERT_TYPE_RAW_PUBLIC_KEY);
        self.server_x509 = l.contains(&CERT_TYPE_X509);
        self.sent_server_cert_type = true;
        Ok(())
    }

    /// Server: client_certificate_type (RFC 7250); the list, for codepoints
    /// configured elsewhere (AuthzCert).
    pub fn read_client_cert_types<'a>(&mut self, data: &'a [u8]) -> Result<&'a [u8], Fatal> {
        let l = list8(data).map_err(|_| Fatal::decode())?;
        self.client_rpk = l.contains(&CERT_TYPE_RAW_PUBLIC_KEY);
        self.client_x509 = l.contains(&CERT_TYPE_X509);
        self.sent_client_cert_type = true;
        Ok(l)
    }
}
