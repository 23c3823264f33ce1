//! Client certificate URLs (RFC 6066 section 5, feature `cert-url`): the
//! peer-identity side. A client names its chain by URL and SHA-1; a
//! server that accepts URLs pauses while the application fetches the
//! certificates, then checks each one against its hash before the usual
//! path validation (docs/cert_url.md).

use crate::alert;
use crate::auth::x509::der::Der;
use crate::crypto::{ct_eq, sha1};
use crate::env::Env;
use crate::error::Fatal;

/// Client: true if [`Env::own_certificate_url`] gives a (non-empty) URL
/// for each certificate of [`Env::own_certificate`] and none past the
/// last (only then is client_certificate_url offered).
pub(crate) fn urls_cover_chain(env: &dyn Env) -> bool {
    let Some(chain) = env.own_certificate() else {
        return false;
    };
    let mut certs = Certs(Der::new(chain));
    let mut n = 0usize;
    for _ in &mut certs {
        if !env.own_certificate_url(n).is_some_and(|u| !u.is_empty() && u.len() <= 0xffff) {
            return false;
        }
        n += 1;
    }
    n > 0 && certs.0.is_empty() && env.own_certificate_url(n).is_none()
}

/// Server: after the application fetched the certificates of a
/// CertificateURL whose SHA-1s are `hashes` (leaf first): each
/// certificate of `fetched` (DER back to back) must hash to its
/// entry (compared in constant time; a mismatch, or a count that differs
/// from the list, is bad_certificate_hash_value), then the chain is
/// validated exactly as a Certificate message's. Nothing fetched is
/// certificate_unobtainable. The outcome goes to `x509_peer` (also the
/// refusal reason), as for a Certificate.
pub(crate) fn check_fetched<'h>(
    env: &dyn Env,
    creds: &crate::auth::Credentials,
    hashes: impl Iterator<Item = &'h [u8; sha1::LEN]>,
    fetched: Option<&[u8]>,
    x509_peer: &mut crate::auth::x509::trust::PeerX509,
) -> Result<crate::auth::rpk::PeerKey, Fatal> {
    use crate::auth::x509::trust::{self, Peer, PeerX509};
    let der = fetched.ok_or(Fatal::alert(alert::CERTIFICATE_UNOBTAINABLE))?;
    let mut certs = Certs(Der::new(der));
    let mut all_match = true;
    for want in hashes {
        match certs.next() {
            Some(cert) => all_match &= ct_eq(&sha1::sha1(cert), want),
            None => all_match = false,
        }
    }
    // Left over, or trailing bytes that are no DER element.
    if !all_match || !certs.0.is_empty() {
        return Err(Fatal::alert(alert::BAD_CERTIFICATE_HASH_VALUE));
    }
    match trust::validate_certs(env, &creds.x509, Certs(Der::new(der)), Peer::Client) {
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

/// The DER elements of `der` (certificates back to back); stops at the
/// first that does not parse (then `.0` is not empty).
#[derive(Clone)]
struct Certs<'a>(crate::auth::x509::der::Der<'a>);

impl<'a> Iterator for Certs<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.0.is_empty() {
            return None;
        }
        let mut d = self.0;
        let t = d.next_tlv().ok()?;
        self.0 = d;
        Some(t.raw)
    }
}
