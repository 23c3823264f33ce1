//! The state of one handshake (RFC 5246 section 7.3, RFC 6347 section
//! 4.2): transcript, randoms, master secret, message sequence numbers and
//! what was negotiated.

use zerocopy::FromZeros;
use zeroize::Zeroize;

use crate::crypto::sha256::Sha256;
use crate::error::{Error, Fatal};
use crate::keys::MASTER_LEN;
use crate::sizes::{NANODTLS_MAX_COOKIE, NANODTLS_MAX_PSK_IDENTITY};

/// Handshake state.
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct Handshake {
    pub transcript: Sha256,
    /// Server: the PSK identity the client used.
    pub peer_identity: [u8; NANODTLS_MAX_PSK_IDENTITY],
    /// ECDHE_ECDSA: the peer's key and the ephemeral keys.
    #[cfg(feature = "ecc")]
    pub ecc: EcdheState,
    pub deadline: u64,
    /// Server: what a trust anchor mode commits when the handshake succeeds.
    #[cfg(nanodtls_ttp)]
    pub ttp: crate::auth::TtpPending,
    pub client_random: [u8; 32],
    pub server_random: [u8; 32],
    pub session_id: [u8; 32],
    pub master: [u8; MASTER_LEN],
    pub cookie: [u8; NANODTLS_MAX_COOKIE],
    /// The verify_data of our Finished (our flight is written again from it).
    pub own_verify_data: [u8; crate::keys::VERIFY_DATA_LEN],
    pub suite: u16,
    /// Next message_seq we send.
    pub send_seq: u16,
    /// Next message_seq we expect.
    pub recv_seq: u16,
    /// message_seq of the first message of the peer flight being received.
    pub peer_flight_first: u16,
    pub session_id_len: u8,
    pub cookie_len: u8,
    /// Suites offered (client) in ClientHello, fixed at connect.
    pub offered: [u16; crate::config::MAX_SUITES],
    pub hello_verify_count: u8,
    /// The alert our last epoch-0 rejection (or a protected Finished record
    /// that failed authentication) would have sent: the likely cause,
    /// reported at the deadline (valid when `rejected` is set).
    pub rejected_alert: u8,
    pub rejected: bool,
    /// Server: the ClientHello being processed carried a valid cookie (its
    /// sender receives at the peer's address): refusing it is answered with
    /// the alert at once (RFC 7925), not discarded.
    pub cookie_verified: bool,
    /// Server: ClientCaps of the accepted ClientHello (bit set).
    pub client_caps: u16,
    /// The peer's Certificate is X.509 (leaf key pinned) rather than a raw public key.
    pub peer_cert_x509: bool,
    /// Our Certificate is X.509 rather than a raw public key.
    pub own_cert_x509: bool,
    /// Client: an X.509 certificate of ours is available (fixed at connect).
    pub have_own_cert: bool,
    /// Client: offer only X.509 in server_certificate_type (trust anchors
    /// configured, no pinned key; fixed at connect).
    pub server_x509_only: bool,
    /// Client (tests only): behave like a stack without RFC 7250.
    pub no_rpk_offer: bool,
    /// AuthzCert (docs/ttp.md) was negotiated for the client's certificate.
    pub authz: bool,
    /// The AuthzCert codepoint: client, the one we offer (0: none; fixed at
    /// connect); server, the one we chose for the client (with `authz`).
    pub authz_type: u8,
    /// Server: length of the client's PSK identity (ClientKeyExchange or
    /// resumption; 0 before).
    pub peer_identity_len: u16,
    /// Negotiated max_fragment_length code (RFC 6066; 0 = none).
    pub mfl_code: u8,
    /// record_size_limit (RFC 8449) negotiated: the peer's value (0 = not
    /// negotiated) and ours (what we announced).
    pub rsl_peer: u16,
    pub rsl_own: u16,
    pub ems: bool,
    pub resumed: bool,
    /// Client: the server answered SessionTicket, a NewSessionTicket comes
    /// before its ChangeCipherSpec; server: we answered it and send one.
    #[cfg(feature = "tickets")]
    pub ticket_expected: bool,
    /// Client: the NewSessionTicket was received.
    #[cfg(feature = "tickets")]
    pub ticket_received: bool,
    /// This handshake resumed a session from a ticket (RFC 5077).
    #[cfg(feature = "tickets")]
    pub ticket_used: bool,
    pub seen_server_key_exchange: bool,
    pub peer_secure_renegotiation: bool,
    /// cached_info (RFC 7924): client, the hash of the server Certificate
    /// message we kept (offered with `cached_offer`); server, the one the
    /// client offered (with `cached_offer`).
    #[cfg(feature = "cached-info")]
    pub cached_hash: [u8; 32],
    #[cfg(feature = "cached-info")]
    pub cached_offer: bool,
    /// The server's Certificate is in the hash form (negotiated).
    #[cfg(feature = "cached-info")]
    pub cached_used: bool,
    /// The same for the server's CertificateRequest (type cert_req):
    /// client, the hash of the request we kept; server, the one offered.
    #[cfg(feature = "cached-info")]
    pub cached_req_hash: [u8; 32],
    #[cfg(feature = "cached-info")]
    pub cached_req_offer: bool,
    /// The server's CertificateRequest is in the hash form (negotiated).
    #[cfg(feature = "cached-info")]
    pub cached_req_used: bool,
    /// client_certificate_url (RFC 6066 5): client, we offer it (we have
    /// a URL for each certificate of our chain); server, the client did.
    #[cfg(feature = "cert-url")]
    pub cert_url_offer: bool,
    /// Negotiated: client, the server echoed it (our Certificate becomes
    /// CertificateURL); server, we echoed it.
    #[cfg(feature = "cert-url")]
    pub cert_url_used: bool,
    /// Server: paused on a CertificateURL until the application provides
    /// the certificates (or refuses); the SHA-1s to check them against.
    #[cfg(feature = "cert-url")]
    pub cert_url_paused: bool,
    #[cfg(feature = "cert-url")]
    pub cert_url_count: u8,
    #[cfg(feature = "cert-url")]
    pub cert_url_hashes: [[u8; 20]; crate::sizes::NANODTLS_MAX_CERT_CHAIN],
}

impl Handshake {
    pub fn wipe(&mut self) {
        self.master.zeroize();
        #[cfg(feature = "ecc")]
        self.ecc.eph_scalar.zeroize();
    }

    /// Server: the client's PSK identity (empty before it is known).
    pub fn peer_identity(&self) -> &[u8] {
        self.peer_identity.get(..usize::from(self.peer_identity_len)).unwrap_or(&[])
    }

    /// Server: remember the client's PSK identity (at most the knob; a
    /// longer one was refused before).
    pub fn set_peer_identity(&mut self, id: &[u8]) {
        if let Some(dst) = self.peer_identity.get_mut(..id.len()) {
            dst.copy_from_slice(id);
            self.peer_identity_len = id.len() as u16;
        }
    }

    /// Remember the alert a refused peer message would have caused (the
    /// latest wins): the likely cause if the handshake reaches its deadline.
    pub fn note_rejection(&mut self, alert: u8) {
        self.rejected_alert = alert;
        self.rejected = true;
    }

    /// Take the next message_seq we send.
    pub(crate) fn next_send_seq(&mut self) -> Result<u16, Fatal> {
        let s = self.send_seq;
        self.send_seq = s.checked_add(1).ok_or(Fatal::internal(Error::Internal))?;
        Ok(s)
    }
}

/// The ECDHE_ECDSA state of one handshake (RFC 8422).
#[cfg(feature = "ecc")]
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct EcdheState {
    /// The peer's static key, once its Certificate was accepted.
    pub peer_point: [u8; crate::crypto::ecc::POINT_LEN],
    /// Server: our ephemeral public key; client: the server's, then (from
    /// our ClientKeyExchange on) ours.
    pub eph_point: [u8; crate::crypto::ecc::POINT_LEN],
    /// Server: our ephemeral private key, from ServerKeyExchange to ClientKeyExchange.
    pub eph_scalar: [u8; crate::crypto::ecc::SCALAR_LEN],
    /// SHA-256 of the peer's SubjectPublicKeyInfo.
    pub peer_hash: [u8; 32],
    /// Our signature in the flight being sent (server: ServerKeyExchange;
    /// client: CertificateVerify): the flight is written again from it.
    pub sig: [u8; crate::crypto::ecc::MAX_SIG_LEN],
    pub sig_len: u8,
    /// The peer's key was accepted (or taken from a resumed session).
    pub has_peer: bool,
    /// Client: the server sent CertificateRequest. Server: we sent one.
    pub cert_requested: bool,
    /// Client: we answered a CertificateRequest with a key or certificate.
    pub sent_certificate: bool,
}

#[cfg(feature = "ecc")]
impl EcdheState {
    /// Keep the peer key we accepted.
    pub fn set_peer(&mut self, key: &crate::auth::rpk::PeerKey) {
        self.peer_point = key.point;
        self.peer_hash = key.hash;
        self.has_peer = true;
    }
}
