//! Client certificate URLs (RFC 6066 section 5, feature `cert-url`): the
//! peer-identity side. A client names its chain by URL and SHA-1; a
//! server that accepts URLs pauses while the application fetches the
//! certificates, then checks each one against its hash before the usual
//! path validation (docs/cert_url.md).

use crate::alert;
use crate::crypto::{ct_eq, sha1};
use crate::env::Env;
use crate::error::Fatal;
use crate::handshake::msg::certificate::chain_entries;
use crate::handshake::msg::certificate_url;
use crate::sizes::NANODTLS_MAX_CERT_CHAIN;

/// Client: true if [`Env::own_certificate_url`] gives a (non-empty) URL
/// for each certificate of [`Env::own_certificate`] and none past the
/// last (only then is client_certificate_url offered).
pub(crate) fn urls_cover_chain(env: &dyn Env) -> bool {
    let Some(chain) = env.own_certificate() else {
        return false;
    };
    let mut n = 0usize;
    for c in chain_entries(chain) {
        if c.is_err() || !env.own_certificate_url(n).is_some_and(|u| !u.is_empty() && u.len() <= 0xffff) {
            return false;
        }
        n += 1;
    }
    n > 0 && env.own_certificate_url(n).is_none()
}

/// Server: the client's CertificateURL `body`. The application fetches
/// the certificates ([`Env::fetch_client_certificates`]); each must hash
/// to its URL's SHA-1 (compared in constant time; a mismatch, or a count
/// that differs from the list, is bad_certificate_hash_value), then the
/// chain is validated exactly as a Certificate message's. A refusal or
/// nothing fetched is certificate_unobtainable. The outcome goes to
/// `x509_peer` (also the refusal reason), as for a Certificate.
pub(crate) fn accept_client_urls(
    env: &mut dyn Env,
    creds: &crate::auth::Credentials,
    body: &[u8],
    x509_peer: &mut crate::auth::x509::trust::PeerX509,
) -> Result<crate::auth::rpk::PeerKey, Fatal> {
    use crate::auth::x509::trust::{self, Peer, PeerX509};
    let list = certificate_url::parse_fatal(body, NANODTLS_MAX_CERT_CHAIN)?;
    if !env.fetch_client_certificates(&list) {
        return Err(Fatal::alert(alert::CERTIFICATE_UNOBTAINABLE));
    }
    let env: &dyn Env = env;
    let der = env.fetched_client_certificates().ok_or(Fatal::alert(alert::CERTIFICATE_UNOBTAINABLE))?;
    let mut certs = chain_entries(der);
    let mut all_match = true;
    for want in list.iter() {
        match certs.next() {
            Some(Ok(cert)) => all_match &= ct_eq(&sha1::sha1(cert), want.hash),
            _ => all_match = false,
        }
    }
    if !all_match || certs.next().is_some() {
        return Err(Fatal::alert(alert::BAD_CERTIFICATE_HASH_VALUE));
    }
    let chain = Certs(crate::auth::x509::der::Der::new(der));
    match trust::validate_certs(env, &creds.x509, chain, Peer::Client) {
        Ok((key, peer)) => {
            *x509_peer = peer;
            Ok(key)
        }
        Err(r) => {
            *x509_peer = PeerX509 { reason: r as u8, ..PeerX509::default() };
            Err(Fatal::alert(r.alert()))
        }
    }
}

/// The DER certificates of a fetched chain (checked whole before).
#[derive(Clone)]
struct Certs<'a>(crate::auth::x509::der::Der<'a>);

impl<'a> Iterator for Certs<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.0.is_empty() {
            return None;
        }
        self.0.next_tlv().ok().map(|t| t.raw)
    }
}
