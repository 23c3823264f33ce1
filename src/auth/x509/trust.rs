//! Certificate mode in the handshake (RFC 7925 4.4): a peer's X.509 chain
//! validated to the trust anchors the application gave ([`Env::x509_anchor`]),
//! at the wall-clock time it knows ([`Env::wall_clock`]), for the identity
//! we expect: a server's name (4.4.1: the name configured with
//! [`X509Settings::set_verify_name`], else the SNI we sent), a client's
//! EUI-64 (4.4.2). The application may still refuse the identity
//! ([`Env::accept_peer_identity`]).
//!
//! Without a trust anchor nothing here runs: a peer's X.509 leaf key is
//! pinned like a raw public key (src/auth/rpk.rs).

use zerocopy::FromZeros;

use super::path::{self, Anchor, Expect, Identity, Policy};
use super::Reason;
use crate::auth::rpk::PeerKey;
use crate::codec::Reader;
use crate::crypto::ecc::POINT_LEN;
use crate::crypto::sha256::sha256;
use crate::env::Env;
use crate::error::Error;
use crate::sizes::{NANODTLS_MAX_CERT_CHAIN, NANODTLS_MAX_SERVER_NAME, NANODTLS_MAX_X509_ANCHORS};

/// [`PeerX509::kind`]: no validated identity.
pub const PEER_NONE: u8 = 0;
/// [`PeerX509::kind`]: a server's dNSName (the name we expected).
pub const PEER_NAME: u8 = 1;
/// [`PeerX509::kind`]: a client's EUI-64.
pub const PEER_EUI64: u8 = 2;
/// [`PeerX509::kind`]: a chain validated without an identity check (a
/// server configured with [`X509Settings::any_client_identity`] and a
/// client certificate that names no EUI-64).
pub const PEER_UNCHECKED: u8 = 3;

/// Certificate-mode settings, part of the shared credentials.
#[derive(FromZeros)]
#[repr(C)]
pub struct X509Settings {
    verify_name: [u8; NANODTLS_MAX_SERVER_NAME],
    verify_name_len: u8,
    /// Server: accept a client certificate that names no EUI-64 (its
    /// chain still validates; the identity is then "unchecked" and the
    /// application's hook decides). Off by default: RFC 7925 4.4.2 wants
    /// the EUI-64 in the client certificate.
    pub any_client_identity: bool,
}

impl X509Settings {
    /// Client: the name the server's certificate must carry (RFC 7925
    /// 4.4.1), instead of the SNI; empty clears it.
    pub fn set_verify_name(&mut self, name: &[u8]) -> Result<(), Error> {
        if name.len() > NANODTLS_MAX_SERVER_NAME || name.len() > usize::from(u8::MAX) {
            return Err(Error::TooLarge);
        }
        if name.iter().any(|&b| b == 0 || b == b'*') {
            return Err(Error::InvalidArgument);
        }
        let dst = self.verify_name.get_mut(..name.len()).ok_or(Error::TooLarge)?;
        dst.copy_from_slice(name);
        self.verify_name_len = name.len() as u8;
        Ok(())
    }

    /// The configured verify name (empty if none).
    pub fn verify_name(&self) -> &[u8] {
        self.verify_name.get(..usize::from(self.verify_name_len)).unwrap_or(&[])
    }
}

/// What certificate mode found out about the peer: why its chain was
/// refused, or the identity it proved. Kept by the connection after the
/// handshake (success or failure) for the application.
#[derive(Clone, Copy, Debug, Default, FromZeros, PartialEq, Eq)]
#[repr(C)]
pub struct PeerX509 {
    /// The client's EUI-64 ([`PEER_EUI64`]).
    pub eui64: [u8; 8],
    /// [`PEER_NONE`], [`PEER_NAME`], [`PEER_EUI64`] or [`PEER_UNCHECKED`].
    pub kind: u8,
    /// The [`Reason`] (as u8) the peer's chain was refused for; 0: none.
    pub reason: u8,
    /// Certificates of the validated path below the trust anchor.
    pub depth: u8,
}

impl PeerX509 {
    /// The reason the peer's chain was refused, if it was.
    pub fn refused(&self) -> Option<Reason> {
        Reason::from_u8(self.reason)
    }

    /// What a session keeps of a validated peer (session::PeerKind::X509):
    /// the SHA-256 of its key, then kind, depth and EUI-64. None when no
    /// chain was validated.
    pub fn to_session(&self, key_hash: &[u8; 32]) -> Option<[u8; 42]> {
        if !matches!(self.kind, PEER_NAME | PEER_EUI64 | PEER_UNCHECKED) {
            return None;
        }
        let mut out = [0u8; 42];
        let (hash, rest) = out.split_at_mut(32);
        hash.copy_from_slice(key_hash);
        let (head, eui) = rest.split_at_mut(2);
        head.copy_from_slice(&[self.kind, self.depth]);
        eui.copy_from_slice(&self.eui64);
        Some(out)
    }

    /// The key hash and identity a session kept ([`PeerX509::to_session`]).
    pub fn from_session(bytes: &[u8]) -> Option<([u8; 32], PeerX509)> {
        let (hash, rest) = bytes.split_first_chunk::<32>()?;
        let ([kind, depth], eui) = rest.split_first_chunk::<2>().map(|(h, e)| (*h, e))?;
        let eui64 = <[u8; 8]>::try_from(eui).ok()?;
        if !matches!(kind, PEER_NAME | PEER_EUI64 | PEER_UNCHECKED) {
            return None;
        }
        Some((*hash, PeerX509 { eui64, kind, reason: 0, depth }))
    }
}

/// True if the application gave at least one trust anchor.
pub fn has_anchors(env: &dyn Env) -> bool {
    env.x509_anchor(0).is_some()
}

/// The certificates of a Certificate message's list, leaf first (the
/// framing was checked before).
#[derive(Clone)]
struct Chain<'a>(Reader<'a>);

impl<'a> Iterator for Chain<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.0.is_empty() {
            return None;
        }
        self.0.vec24().ok()
    }
}

/// Whose chain is validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer<'n> {
    /// The server's (we are the client): the name it must prove (None:
    /// neither a verify name nor an SNI is configured).
    Server(Option<&'n [u8]>),
    /// A client's (we are the server).
    Client,
}

/// Validate the X.509 `body` of a peer's Certificate message (RFC 5246
/// 7.4.2: a vec24 list of vec24 DER certificates, leaf first) to the
/// anchors of `env`. On success: the leaf key and what the peer proved.
pub(crate) fn validate_peer(
    env: &dyn Env,
    settings: &X509Settings,
    body: &[u8],
    peer: Peer<'_>,
) -> Result<(PeerKey, PeerX509), Reason> {
    let mut r = Reader::new(body);
    let list = r.vec24().map_err(|_| Reason::Malformed)?;
    if !r.is_empty() {
        return Err(Reason::Malformed);
    }
    if list.is_empty() {
        return Err(Reason::Empty);
    }
    validate_certs(env, settings, Chain(Reader::new(list)), peer)
}

/// [`validate_peer`] for a chain given as its DER certificates, leaf
/// first (also the certificates fetched for client certificate URLs).
pub(crate) fn validate_certs<'a, I>(
    env: &dyn Env,
    settings: &X509Settings,
    chain: I,
    peer: Peer<'_>,
) -> Result<(PeerKey, PeerX509), Reason>
where
    I: Iterator<Item = &'a [u8]> + Clone,
{
    let mut anchors = [Anchor::Spki(&[]); NANODTLS_MAX_X509_ANCHORS];
    let mut n = 0;
    for (i, slot) in anchors.iter_mut().enumerate() {
        match env.x509_anchor(i) {
            Some((der, spki)) => {
                *slot = if spki { Anchor::Spki(der) } else { Anchor::Cert(der) };
                n += 1;
            }
            None => break,
        }
    }
    let anchors = anchors.get(..n).unwrap_or(&[]);
    let now = env.wall_clock();
    let mut policy = match peer {
        Peer::Server(Some(name)) => Policy::server(name, now),
        // RFC 7925 4.4.1: the client checks the server's name; with no name
        // to check there is nothing to accept.
        Peer::Server(None) => return Err(Reason::NameMismatch),
        Peer::Client => Policy::client(now),
    };
    policy.max_chain = NANODTLS_MAX_CERT_CHAIN as u8;
    let v = match path::validate(chain.clone(), anchors, &policy) {
        Err(Reason::NoIdentity) if peer == Peer::Client && settings.any_client_identity => {
            policy.identity = Expect::Any;
            path::validate(chain, anchors, &policy)?
        }
        other => other?,
    };
    let (kind, eui64, id): (u8, [u8; 8], &[u8]) = match v.identity {
        Identity::DnsName(n) => (PEER_NAME, [0; 8], n),
        Identity::Eui64(e) => (PEER_EUI64, e, &[]),
        Identity::Unchecked => (PEER_UNCHECKED, [0; 8], &[]),
    };
    let id = if kind == PEER_EUI64 { &eui64[..] } else { id };
    if env.accept_peer_identity(kind, id, v.leaf.der) == Some(false) {
        return Err(Reason::Refused);
    }
    let mut point = [0u8; POINT_LEN];
    if v.public_key.len() != POINT_LEN {
        return Err(Reason::UnsupportedKey);
    }
    point.copy_from_slice(v.public_key);
    let key = PeerKey { point, hash: sha256(&[v.spki]) };
    Ok((key, PeerX509 { eui64, kind, reason: 0, depth: v.depth }))
}
