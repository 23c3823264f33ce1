//! What the engine asks its host while it processes: randomness, PSK
//! lookup, verdicts on peer keys, the session cache, server names and our
//! certificate. The C API implements it over the platform callbacks
//! (src/ffi); tests implement it with a seeded generator.

use crate::error::Error;

/// Server, client certificate URLs: the application's answer to
/// [`Env::fetch_client_certificates`].
#[cfg(feature = "cert-url")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertUrlFetch {
    /// Fetched now: [`Env::fetched_client_certificates`] has them.
    Fetched,
    /// The handshake pauses; the application fetches and then calls
    /// `provide_client_certificates` or `refuse_client_certificates`.
    Pending,
    /// Refused: fatal certificate_unobtainable (111).
    Refused,
}

/// What the engine needs from its surroundings while processing.
///
/// The C API implements this over the platform callbacks; tests implement
/// it with a seeded generator.
pub trait Env {
    /// Fill `buf` with cryptographically secure random bytes.
    fn random(&mut self, buf: &mut [u8]) -> Result<(), Error>;

    /// Server: the PSK for `identity`, written to `key`; returns its length,
    /// or None if the identity is unknown. The default knows no identity
    /// (only the PSK set on the context is used).
    fn psk_for_identity(&mut self, identity: &[u8], key: &mut [u8]) -> Option<usize> {
        let _ = (identity, key);
        None
    }

    /// Server: true if [`Env::psk_for_identity`] can find keys at all (so
    /// PSK suites may be chosen without a PSK set on the context).
    fn has_psk_lookup(&self) -> bool {
        false
    }

    /// Decide whether to trust a peer's raw public key (DER
    /// SubjectPublicKeyInfo) that is not in the trusted-key list:
    /// `Some(true)` accepts, `Some(false)` or `None` (no verifier) rejects.
    fn verify_peer_key(&mut self, spki: &[u8]) -> Option<bool> {
        let _ = spki;
        None
    }

    /// Server: the session cache (RFC 5246 7.3), if the application gave one.
    fn session_cache(&mut self) -> Option<&mut [crate::session::CacheEntry]> {
        None
    }

    /// Server: the ticket keys (RFC 5077, feature `tickets`) that seal and
    /// open session tickets: one set per server (an endpoint's peers share
    /// it), possibly shared by a fleet. `None` (the default): no tickets
    /// are issued or accepted. Used only with `Config::tickets`.
    #[cfg(feature = "tickets")]
    fn ticket_keys(&mut self) -> Option<&mut crate::session_ticket::TicketKeys> {
        None
    }

    /// Server: the client asked for `name` (SNI, RFC 6066). `Some(false)`
    /// refuses it (unrecognized_name); `None` (no callback) or `Some(true)`
    /// accepts. Called before credentials are chosen.
    fn server_name(&mut self, name: &[u8]) -> Option<bool> {
        let _ = name;
        None
    }

    /// Our X.509 certificate (DER), for peers that cannot use raw public
    /// keys (RFC 7250), optionally followed by its intermediates (DER
    /// certificates back to back, leaf first): each is sent as one entry
    /// of the Certificate message. The leaf's key must be the one set with
    /// set_own_key.
    fn own_certificate(&self) -> Option<&[u8]> {
        None
    }

    /// Client, cached_info (RFC 7924, feature `cached-info`): the body of
    /// the server's Certificate message (the X.509 certificate_list with
    /// its 3-byte length) kept from an earlier handshake with this server,
    /// as [`Env::store_server_certificate`] handed it out, or provisioned.
    /// Its SHA-256 (over the message with the TLS header, docs/cached_info.md)
    /// is offered; a server that answers sends only the hash, and this
    /// chain is validated as if it had arrived. Borrowed for the whole
    /// handshake. `None` (the default): nothing is offered.
    fn cached_server_certificate(&self) -> Option<&[u8]> {
        None
    }

    /// Client, cached_info: the server's Certificate body (X.509) that was
    /// just validated in a full handshake, for the application to keep
    /// (copy it; the borrow ends with the call) and lend back through
    /// [`Env::cached_server_certificate`] next time. Called before the
    /// handshake completes: keep it only once the connection is
    /// established. Not called when the hash form was used.
    fn store_server_certificate(&mut self, body: &[u8]) {
        let _ = body;
    }

    /// Client, cached_info (type cert_req, RFC 7924 4.2): the body of the
    /// server's CertificateRequest message kept from an earlier handshake
    /// with this server, as [`Env::store_certificate_request`] handed it
    /// out. Its SHA-256 (TLS header, as for the certificate) is offered; a
    /// server that answers sends only the hash, and this request says what
    /// the server asks for (certificate types, signature algorithms).
    /// Borrowed for the whole handshake. `None` (the default): not offered.
    fn cached_certificate_request(&self) -> Option<&[u8]> {
        None
    }

    /// Client, cached_info: the server's CertificateRequest body that was
    /// just accepted in a full handshake, for the application to keep
    /// (copy it) and lend back through [`Env::cached_certificate_request`]
    /// next time; keep it only once the connection is established. Not
    /// called when the hash form was used.
    fn store_certificate_request(&mut self, body: &[u8]) {
        let _ = body;
    }

    /// Client, client certificate URLs (RFC 6066 5, feature `cert-url`):
    /// the URL of certificate `i` of [`Env::own_certificate`] (0 the
    /// leaf, then each intermediate), borrowed for the handshake. With a
    /// URL for every certificate (and none past the last) the client
    /// offers client_certificate_url and, when the server echoes it and
    /// asks for a certificate, sends CertificateURL (the library computes
    /// each SHA-1) instead of its chain. `None` (the default): not offered.
    #[cfg(feature = "cert-url")]
    fn own_certificate_url(&self, i: usize) -> Option<&[u8]> {
        let _ = i;
        None
    }

    /// Server, client certificate URLs (feature `cert-url`): echo a
    /// client's client_certificate_url, i.e. accept CertificateURL
    /// instead of a Certificate. The application must then fetch the
    /// certificates while the handshake pauses (docs/cert_url.md). The
    /// default: no (the extension is ignored).
    #[cfg(feature = "cert-url")]
    fn cert_url_server(&self) -> bool {
        false
    }

    /// Server, client certificate URLs (feature `cert-url`): the client
    /// sent CertificateURL (`urls`: each URL with the SHA-1 of its DER
    /// certificate, leaf first, at most NANODTLS_MAX_CERT_CHAIN; copy
    /// what you need, the borrow ends with the call). Either fetch them
    /// now, keep them for [`Env::fetched_client_certificates`] and answer
    /// `Fetched`; or answer `Pending`: the handshake pauses
    /// (`cert_url_paused()`), the application fetches and hands the
    /// certificates in with `provide_client_certificates` (or calls
    /// `refuse_client_certificates`) on the connection or endpoint
    /// (docs/cert_url.md: retransmissions and the deadline while
    /// paused). `Refused` is fatal certificate_unobtainable (111). The
    /// default refuses.
    #[cfg(feature = "cert-url")]
    fn fetch_client_certificates(&mut self, urls: &mut dyn Iterator<Item = (&[u8], &[u8; 20])>) -> CertUrlFetch {
        let _ = urls;
        CertUrlFetch::Refused
    }

    /// Server, client certificate URLs: the DER certificates fetched by
    /// the last [`Env::fetch_client_certificates`], back to back in the
    /// order of the URLs. Each must hash (SHA-1) to its URL's hash (else
    /// fatal bad_certificate_hash_value, 114); then the chain is validated
    /// as a Certificate message's (same alerts). `None`: refused (111).
    #[cfg(feature = "cert-url")]
    fn fetched_client_certificates(&self) -> Option<&[u8]> {
        None
    }

    /// Server, cached_info: answer a client's cached server certificate
    /// and CertificateRequest (send the hash instead of our chain, of our
    /// request, when it matches). The default: yes.
    fn cached_info_server(&self) -> bool {
        true
    }

    /// Sign the SHA-256 `hash` with our private key when it is kept
    /// outside the library (set with `set_own_public_key`, e.g. in a secure
    /// element): write the ECDSA P-256 signature as DER to `out` (at most
    /// 72 bytes) and return its length. Called for ServerKeyExchange
    /// (server) and CertificateVerify (client), once per handshake that
    /// needs it, and may take as long as the key's hardware does (the
    /// handshake waits). Any error, or a signature that is not strict DER
    /// with both scalars in range, fails the handshake with internal_error
    /// and [`Error::Signer`]; nothing falls back to another key.
    /// The default has no key: [`Error::NoCredentials`].
    fn sign_hash(&mut self, hash: &[u8; 32], out: &mut [u8]) -> Result<usize, Error> {
        let _ = (hash, out);
        Err(Error::NoCredentials)
    }

    /// Client: our AuthzCert (a MacCert from a trust anchor, docs/ttp.md;
    /// feature `authz-cert`), sent as our Certificate when the server
    /// chooses AuthzCert. Its key must be the one set with set_own_key.
    #[cfg(feature = "authz-cert")]
    fn authz_cert(&self) -> Option<&[u8]> {
        None
    }

    /// Trust anchor `i` (0, 1, ...) for X.509 path validation (feature
    /// `x509`, RFC 7925 4.4), borrowed: a DER certificate (`false`) or a
    /// DER P-256 SubjectPublicKeyInfo (`true`); `None` past the last one.
    /// With no anchor (the default) a peer's X.509 certificate is accepted
    /// by pinning its leaf key, as a raw public key is.
    #[cfg(feature = "x509")]
    fn x509_anchor(&self, i: usize) -> Option<(&[u8], bool)> {
        let _ = i;
        None
    }

    /// Wall-clock time in seconds since 1970-01-01 UTC, for the validity
    /// periods of X.509 certificates; `None` (the default): no time is
    /// known, and validity periods are not checked (RFC 7925 Table 1, RFC
    /// 7252 9.1.3.3).
    fn wall_clock(&self) -> Option<u64> {
        None
    }

    /// The peer's X.509 chain validated to a trust anchor and proved an
    /// identity of `kind` (auth::x509::trust::PEER_NAME: `id` is the
    /// server's name; PEER_EUI64: the client's 8-byte EUI-64;
    /// PEER_UNCHECKED: none, `id` empty); `leaf` is its DER certificate.
    /// `Some(false)` refuses the peer (certificate_unknown); `None` (no
    /// hook) or `Some(true)` accepts.
    #[cfg(feature = "x509")]
    fn accept_peer_identity(&self, kind: u8, id: &[u8], leaf: &[u8]) -> Option<bool> {
        let _ = (kind, id, leaf);
        None
    }

    /// True if [`Env::verify_peer_key`] is implemented (so ECDHE_ECDSA can
    /// be offered without a trusted-key list).
    fn has_peer_key_verifier(&self) -> bool {
        false
    }
}
