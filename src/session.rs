//! Session resumption with session IDs (RFC 5246 7.3): the session state,
//! a bounded server-side cache over caller-provided entries, and the
//! export format that lets a client keep its session across deep sleep.
//!
//! A session holds the master secret. Every copy the library owns is
//! zeroized when it is replaced, evicted or the context is deinitialised;
//! an exported blob is a secret too, and is the caller's to protect.

use zerocopy::FromZeros;
use zeroize::Zeroize;

use crate::codec::{Reader, Writer};
use crate::crypto::{ct_eq, sha256::sha256};
use crate::error::Error;
use crate::keys::MASTER_LEN;
use crate::sizes::NANODTLS_MAX_PSK_IDENTITY;

/// Largest peer identity kept with a session: a PSK identity, the
/// SHA-256 of a raw public key, or that hash with the validated X.509
/// identity ([`PeerKind::X509`], [`X509_PEER_LEN`] bytes).
pub const MAX_PEER_ID: usize =
    if NANODTLS_MAX_PSK_IDENTITY > X509_PEER_LEN { NANODTLS_MAX_PSK_IDENTITY } else { X509_PEER_LEN };

/// Length of a [`PeerKind::X509`] identity: the SHA-256 of the peer's
/// SubjectPublicKeyInfo, then what its chain proved (the kind of identity,
/// `auth::x509::trust::PEER_*`, the depth below the anchor, the EUI-64).
pub const X509_PEER_LEN: usize = 32 + 1 + 1 + 8;

/// What the peer authenticated with (kept so the application knows who a
/// resumed session belongs to).
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromZeros)]
#[repr(u8)]
pub enum PeerKind {
    /// No peer identity recorded.
    None = 0,
    /// A PSK identity.
    PskIdentity = 1,
    /// The SHA-256 of the peer's SubjectPublicKeyInfo.
    KeyHash = 2,
    /// Certificate mode: the key hash and the identity the peer's X.509
    /// chain proved in the full handshake (name / EUI-64, depth), so that a
    /// resumed session reports the same identity.
    X509 = 3,
}

impl PeerKind {
    /// Decode a stored kind with its identity bytes (blob, ticket): an
    /// unknown kind, or an X.509 identity of another length or with a
    /// kind of identity outside 1..=3, is refused.
    pub fn decode(kind: u8, peer: &[u8]) -> Option<PeerKind> {
        match kind {
            0 => Some(PeerKind::None),
            1 => Some(PeerKind::PskIdentity),
            2 => Some(PeerKind::KeyHash),
            3 if peer.len() == X509_PEER_LEN && matches!(peer.get(32), Some(1..=3)) => Some(PeerKind::X509),
            _ => None,
        }
    }
}

/// A resumable session.
#[derive(Clone, FromZeros)]
#[repr(C)]
pub struct SessionData {
    /// The master secret.
    pub master: [u8; MASTER_LEN],
    /// Session ID (1..=32 bytes).
    pub id: [u8; 32],
    /// Peer identity bytes (see `peer_kind`).
    pub peer: [u8; MAX_PEER_ID],
    /// Cipher suite of the session.
    pub suite: u16,
    /// Length of `peer`.
    pub peer_len: u16,
    /// Length of `id`.
    pub id_len: u8,
    /// The session used the extended master secret.
    pub ems: bool,
    /// What `peer` holds.
    pub peer_kind: PeerKind,
    /// Holds a session.
    pub valid: bool,
}

impl SessionData {
    /// The session ID.
    pub fn id(&self) -> &[u8] {
        self.id.get(..usize::from(self.id_len)).unwrap_or(&[])
    }

    /// The peer identity bytes.
    pub fn peer(&self) -> &[u8] {
        self.peer.get(..usize::from(self.peer_len)).unwrap_or(&[])
    }

    /// Record the peer identity.
    pub fn set_peer(&mut self, kind: PeerKind, id: &[u8]) {
        let n = core::cmp::min(id.len(), self.peer.len());
        if let (Some(dst), Some(src)) = (self.peer.get_mut(..n), id.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.peer_len = n as u16;
        self.peer_kind = kind;
    }

    /// Forget the session, wiping the master secret.
    pub fn clear(&mut self) {
        self.master.zeroize();
        self.zero();
    }
}

/// One entry of a server's session cache.
#[derive(FromZeros)]
#[repr(C)]
pub struct CacheEntry {
    data: SessionData,
    last_used: u64,
}

/// Find the cached session with `id` and mark it used.
pub fn cache_lookup<'a>(cache: &'a mut [CacheEntry], id: &[u8], now: u64) -> Option<&'a SessionData> {
    if id.is_empty() {
        return None;
    }
    let e = cache.iter_mut().find(|e| e.data.valid && ct_eq(e.data.id(), id))?;
    e.last_used = now;
    Some(&e.data)
}

/// Store a session, replacing one with the same ID, else a free entry,
/// else the least recently used one (whose secret is wiped first).
pub fn cache_insert(cache: &mut [CacheEntry], s: &SessionData, now: u64) {
    if !s.valid || s.id_len == 0 {
        return;
    }
    let pos = cache
        .iter()
        .position(|e| e.data.valid && e.data.id() == s.id())
        .or_else(|| cache.iter().position(|e| !e.data.valid))
        .or_else(|| cache.iter().enumerate().min_by_key(|(_, e)| e.last_used).map(|(i, _)| i));
    if let Some(e) = pos.and_then(|i| cache.get_mut(i)) {
        e.data.clear();
        e.data = s.clone();
        e.last_used = now;
    }
}

/// Remove a session (e.g. after a fatal alert, RFC 5246 7.2.2).
pub fn cache_remove(cache: &mut [CacheEntry], id: &[u8]) {
    for e in cache.iter_mut().filter(|e| e.data.valid && e.data.id() == id) {
        e.data.clear();
    }
}

/// Wipe every entry.
pub fn cache_clear(cache: &mut [CacheEntry]) {
    for e in cache.iter_mut() {
        e.data.clear();
        e.last_used = 0;
    }
}

const BLOB_MAGIC: [u8; 4] = *b"NDS1";
const BLOB_VERSION: u8 = 1;
/// Version 2 (feature `tickets`): version 1 followed by the RFC 5077
/// ticket (u32 lifetime hint, vec16 ticket) before the check bytes.
const BLOB_VERSION_TICKET: u8 = 2;
const BLOB_CHECK: usize = 16;
#[cfg(feature = "tickets")]
const BLOB_TICKET: usize = 4 + 2 + crate::sizes::NANODTLS_MAX_TICKET;
#[cfg(not(feature = "tickets"))]
const BLOB_TICKET: usize = 0;

/// Largest exported session blob.
pub const MAX_BLOB: usize = 4 + 1 + 2 + 1 + 1 + 1 + 32 + MASTER_LEN + 2 + MAX_PEER_ID + BLOB_TICKET + BLOB_CHECK;
const _: () = assert!(MAX_BLOB == crate::sizes::NANODTLS_SESSION_BLOB_MAX);
const _: () = assert!(core::mem::size_of::<CacheEntry>() <= crate::sizes::NANODTLS_SESSION_ENTRY_SIZE);
const _: () = assert!(core::mem::align_of::<CacheEntry>() <= 8);

/// Serialise a session: magic, version, suite, flags, the ID, the master
/// secret, the peer identity, then 16 bytes of SHA-256 over all of it so
/// that a corrupted or foreign blob is refused on import.
pub fn export(s: &SessionData, out: &mut [u8]) -> Result<usize, Error> {
    export_with_ticket(s, &[], 0, out)
}

/// [`export`] with the session's ticket (RFC 5077): a non-empty ticket
/// makes a version 2 blob, which builds without the `tickets` feature
/// refuse with `Unsupported`; without a ticket the blob is version 1, as
/// before. The session ID may then be empty (a ticket-only session).
pub fn export_with_ticket(s: &SessionData, ticket: &[u8], lifetime_hint: u32, out: &mut [u8]) -> Result<usize, Error> {
    if !s.valid || (s.id_len == 0 && ticket.is_empty()) {
        return Err(Error::WrongState);
    }
    let mut w = Writer::new(out);
    w.put(&BLOB_MAGIC)?;
    w.u8(if ticket.is_empty() { BLOB_VERSION } else { BLOB_VERSION_TICKET })?;
    w.u16(s.suite)?;
    w.u8(u8::from(s.ems))?;
    w.u8(s.peer_kind as u8)?;
    w.vec8(s.id())?;
    w.put(&s.master)?;
    w.vec16(s.peer())?;
    if !ticket.is_empty() {
        w.put(&lifetime_hint.to_be_bytes())?;
        w.vec16(ticket)?;
    }
    let check = sha256(&[w.written()]);
    w.put(check.get(..BLOB_CHECK).ok_or(Error::Internal)?)?;
    Ok(w.len())
}

/// Parse and check a blob written by [`export`] (a version 2 blob's
/// ticket is dropped: use [`import_with_ticket`]).
pub fn import(blob: &[u8], out: &mut SessionData) -> Result<(), Error> {
    import_with_ticket(blob, out).map(|_| ())
}

/// Parse and check a blob written by [`export_with_ticket`] (or
/// [`export`]); returns the ticket (empty for a version 1 blob) and its
/// lifetime hint, borrowed from `blob`. A version 2 blob is refused with
/// `Unsupported` by builds without the `tickets` feature.
pub fn import_with_ticket<'a>(blob: &'a [u8], out: &mut SessionData) -> Result<(&'a [u8], u32), Error> {
    let body_len = blob.len().checked_sub(BLOB_CHECK).ok_or(Error::InvalidArgument)?;
    let (body, check) = blob.split_at(body_len);
    if !ct_eq(sha256(&[body]).get(..BLOB_CHECK).unwrap_or(&[]), check) {
        return Err(Error::InvalidArgument);
    }
    let mut r = Reader::new(body);
    let mut ticket: (&[u8], u32) = (&[], 0);
    let parsed = (|| -> Result<SessionData, Error> {
        if r.array::<4>()? != BLOB_MAGIC {
            return Err(Error::InvalidArgument);
        }
        let version = r.u8()?;
        match version {
            BLOB_VERSION => {}
            BLOB_VERSION_TICKET if cfg!(feature = "tickets") => {}
            BLOB_VERSION_TICKET => return Err(Error::Unsupported),
            _ => return Err(Error::InvalidArgument),
        }
        let mut s = SessionData::new_zeroed();
        s.suite = r.u16()?;
        s.ems = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(Error::InvalidArgument),
        };
        let kind = r.u8()?;
        let id = r.vec8()?;
        if (id.is_empty() && version == BLOB_VERSION) || id.len() > 32 {
            return Err(Error::InvalidArgument);
        }
        s.id.get_mut(..id.len()).ok_or(Error::InvalidArgument)?.copy_from_slice(id);
        s.id_len = id.len() as u8;
        s.master = r.array()?;
        let peer = r.vec16()?;
        if peer.len() > MAX_PEER_ID {
            return Err(Error::InvalidArgument);
        }
        let kind = PeerKind::decode(kind, peer).ok_or(Error::InvalidArgument)?;
        s.set_peer(kind, peer);
        if version == BLOB_VERSION_TICKET {
            let hint = u32::from_be_bytes(r.array()?);
            let t = r.vec16()?;
            if t.is_empty() || t.len() > BLOB_TICKET.saturating_sub(6) {
                return Err(Error::InvalidArgument);
            }
            ticket = (t, hint);
        }
        r.finish()?;
        if crate::suite::info(s.suite).is_none() {
            return Err(Error::Unsupported);
        }
        s.valid = true;
        Ok(s)
    })();
    match parsed {
        Ok(s) => {
            out.clear();
            *out = s;
            Ok(ticket)
        }
        Err(Error::Decode) => Err(Error::InvalidArgument),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(id: u8) -> SessionData {
        let mut s = SessionData::new_zeroed();
        s.master = [id; 48];
        s.id = [id; 32];
        s.id_len = 32;
        s.suite = crate::suite::PSK_AES_128_CCM_8;
        s.ems = true;
        s.set_peer(PeerKind::PskIdentity, b"client1");
        s.valid = true;
        s
    }

    #[test]
    fn blob_round_trip_and_every_corruption_is_refused() {
        let s = sample(7);
        let mut buf = [0u8; MAX_BLOB];
        let n = export(&s, &mut buf).unwrap();
        let mut back = SessionData::new_zeroed();
        import(&buf[..n], &mut back).unwrap();
        assert_eq!(back.master, s.master);
        assert_eq!(back.id(), s.id());
        assert_eq!(back.peer(), b"client1");
        assert!(back.ems && back.valid);
        for i in 0..n {
            let mut bad = buf;
            bad[i] ^= 0x10;
            let mut out = SessionData::new_zeroed();
            assert!(import(&bad[..n], &mut out).is_err(), "byte {i}");
            assert!(!out.valid);
        }
        for cut in 0..n {
            let mut out = SessionData::new_zeroed();
            assert!(import(&buf[..cut], &mut out).is_err());
        }
        assert_eq!(export(&SessionData::new_zeroed(), &mut buf), Err(Error::WrongState));
    }

    #[test]
    fn cache_is_bounded_and_lru() {
        let mut cache: std::vec::Vec<CacheEntry> = (0..2).map(|_| CacheEntry::new_zeroed()).collect();
        cache_insert(&mut cache, &sample(1), 10);
        cache_insert(&mut cache, &sample(2), 20);
        assert!(cache_lookup(&mut cache, &[1; 32], 30).is_some()); // 1 now newer than 2
        cache_insert(&mut cache, &sample(3), 40); // evicts 2
        assert!(cache_lookup(&mut cache, &[2; 32], 50).is_none());
        assert!(cache_lookup(&mut cache, &[1; 32], 50).is_some());
        assert!(cache_lookup(&mut cache, &[3; 32], 50).is_some());
        cache_remove(&mut cache, &[3; 32]);
        assert!(cache_lookup(&mut cache, &[3; 32], 60).is_none());
        assert!(cache_lookup(&mut cache, &[], 60).is_none());
        cache_clear(&mut cache);
        assert!(cache.iter().all(|e| !e.data.valid && e.data.master == [0; 48]));
    }
}
