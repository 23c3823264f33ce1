//! Stateless session tickets (RFC 5077), feature `tickets`: the server's
//! ticket keys (current and grace), the sealed ticket format, and the
//! client's store for the ticket it received.
//!
//! # Ticket format (ours; opaque to clients)
//!
//! ```text
//! key_name[16] || nonce[12] || AES-128-CCM(state) || tag[16]
//! ```
//!
//! sealed with the 16-byte key named `key_name`, the additional data being
//! `key_name || nonce` (RFC 5077 4 recommends the same layout). The nonce
//! comes from the RNG for every ticket. `state`, version 1:
//!
//! ```text
//! u8 version (1) | u16 suite | u8 flags (bit 0: extended master secret)
//! | u8 peer kind (0 none, 1 PSK identity, 2 SHA-256 of the peer's key)
//! | u64 created (the server's clock, ms) | master secret[48]
//! | vec16 peer identity
//! ```
//!
//! A ticket is accepted only if its key name is the current or the grace
//! key's, the tag verifies (constant time), it parses whole, and it is not
//! older than the lifetime (nor created in the future). Anything else is a
//! ticket we do not know: the server goes on with a full handshake.
//!
//! # Keys
//!
//! [`TicketKeys`] holds two keys. Drawn from the RNG (the default), the
//! current key is used for `rotate_ms`, then becomes the grace key (still
//! accepted, never used to seal) while a new current key is drawn; a ticket
//! under a key older than the grace key falls back to a full handshake. The
//! application may supply the keys instead ([`TicketKeys::set_key`], e.g. a
//! key shared by a server fleet): each call makes the previous current key
//! the grace key, and nothing rotates automatically. The keys are secrets:
//! [`TicketKeys::wipe`] (also run on drop) zeroizes them.

use zerocopy::FromZeros;
use zeroize::Zeroize;

use crate::codec::{Reader, Writer};
use crate::crypto::aead::{self, TagLen};
use crate::crypto::ct_eq;
use crate::error::Error;
use crate::keys::MASTER_LEN;
use crate::session::{PeerKind, SessionData, MAX_PEER_ID};
use crate::sizes::NANODTLS_MAX_TICKET;

/// Length of a ticket key name.
pub const KEY_NAME_LEN: usize = 16;
/// Length of a ticket key.
pub const KEY_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const STATE_VERSION: u8 = 1;
/// Largest plaintext state.
pub const MAX_STATE: usize = 1 + 2 + 1 + 1 + 8 + MASTER_LEN + 2 + MAX_PEER_ID;
/// Largest ticket we seal.
pub const MAX_SEALED: usize = KEY_NAME_LEN + NONCE_LEN + MAX_STATE + TAG_LEN;
/// Default ticket lifetime: 2 hours.
pub const DEFAULT_LIFETIME_MS: u32 = 7_200_000;

/// One ticket key.
#[derive(FromZeros)]
#[repr(C)]
pub struct TicketKey {
    name: [u8; KEY_NAME_LEN],
    key: [u8; KEY_LEN],
    born_ms: u64,
    valid: bool,
}

impl TicketKey {
    fn wipe(&mut self) {
        self.key.zeroize();
        self.name.zeroize();
        self.born_ms = 0;
        self.valid = false;
    }
}

/// A server's ticket keys: one set per context or per endpoint (shared by
/// all its peers), or shared by several servers.
#[derive(FromZeros)]
#[repr(C)]
pub struct TicketKeys {
    current: TicketKey,
    grace: TicketKey,
    /// Lifetime of a ticket (ms), also sent as the lifetime hint (in s).
    pub lifetime_ms: u32,
    /// Period after which an RNG-drawn current key becomes the grace key
    /// (0: the lifetime).
    pub rotate_ms: u32,
    /// The application supplies the keys (no automatic rotation).
    app_keys: bool,
}

impl TicketKeys {
    /// Empty key set with the default lifetime; a key is drawn from the
    /// RNG at the first ticket unless [`TicketKeys::set_key`] supplies one.
    pub fn init(&mut self, lifetime_ms: u32) {
        self.wipe();
        self.lifetime_ms = if lifetime_ms == 0 { DEFAULT_LIFETIME_MS } else { lifetime_ms };
        self.rotate_ms = 0;
    }

    /// Install an application key: the current key becomes the grace key
    /// (the previous grace key is wiped), and from now on keys only change
    /// through this call.
    pub fn set_key(&mut self, name: &[u8; KEY_NAME_LEN], key: &[u8; KEY_LEN], now: u64) {
        self.grace.wipe();
        if self.current.valid {
            core::mem::swap(&mut self.grace, &mut self.current);
        }
        self.current.name = *name;
        self.current.key = *key;
        self.current.born_ms = now;
        self.current.valid = true;
        self.app_keys = true;
    }

    /// True if a key can seal now (without drawing one).
    pub fn has_key(&self) -> bool {
        self.current.valid
    }

    fn rotate_period(&self) -> u64 {
        u64::from(if self.rotate_ms == 0 { self.lifetime_ms.max(1) } else { self.rotate_ms })
    }

    /// Make sure a current key exists and (RNG-drawn keys) is younger
    /// than the rotation period, rotating it into the grace slot when it is
    /// not. On an RNG failure nothing changes.
    pub fn refresh(&mut self, now: u64, rng: &mut dyn FnMut(&mut [u8]) -> Result<(), Error>) -> Result<(), Error> {
        if self.app_keys {
            return if self.current.valid { Ok(()) } else { Err(Error::WrongState) };
        }
        let period = self.rotate_period();
        let age = now.saturating_sub(self.current.born_ms);
        if self.current.valid && age < period {
            return Ok(());
        }
        let mut fresh = TicketKey::new_zeroed();
        if let Err(e) = rng(&mut fresh.name).and_then(|_| rng(&mut fresh.key)) {
            fresh.wipe();
            return Err(e);
        }
        fresh.born_ms = now;
        fresh.valid = true;
        self.grace.wipe();
        // A current key idle for two periods has nothing left to honour.
        if self.current.valid && age < period.saturating_mul(2) {
            core::mem::swap(&mut self.grace, &mut self.current);
        }
        self.current.wipe();
        core::mem::swap(&mut self.current, &mut fresh);
        Ok(())
    }

    /// Zeroize both keys.
    pub fn wipe(&mut self) {
        self.current.wipe();
        self.grace.wipe();
        self.app_keys = false;
    }

    /// Seal `s` (a session established at `now`) into `out` under the
    /// current key; returns the ticket length.
    pub fn seal(&self, s: &SessionData, now: u64, nonce: &[u8; NONCE_LEN], out: &mut [u8]) -> Result<usize, Error> {
        self.seal_with(aead::BUILT_IN, s, now, nonce, out)
    }

    /// [`TicketKeys::seal`] with `engine` (`Crypto` if its hook failed).
    pub fn seal_with(
        &self,
        engine: aead::Engine,
        s: &SessionData,
        now: u64,
        nonce: &[u8; NONCE_LEN],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if !self.current.valid || !s.valid {
            return Err(Error::WrongState);
        }
        let mut w = Writer::new(out);
        w.put(&self.current.name)?;
        w.put(nonce)?;
        let start = w.len();
        w.u8(STATE_VERSION)?;
        w.u16(s.suite)?;
        w.u8(u8::from(s.ems))?;
        w.u8(s.peer_kind as u8)?;
        w.put(&now.to_be_bytes())?;
        w.put(&s.master)?;
        w.vec16(s.peer())?;
        let end = w.len();
        w.put(&[0u8; TAG_LEN])?;
        let n = w.len();
        let buf = w.written_mut();
        let (head, rest) = buf.split_at_mut(start);
        let (body, tag) = rest.split_at_mut(end - start);
        aead::seal_with(engine, TagLen::Sixteen, &self.current.key, nonce, head, body, tag)?;
        Ok(n)
    }

    /// Open a ticket in place (`ticket` is overwritten). Returns the session
    /// (without an ID) if the ticket is ours, intact and not expired.
    pub fn unseal(&self, ticket: &mut [u8], now: u64) -> Option<SessionData> {
        self.unseal_with(aead::BUILT_IN, ticket, now).ok().flatten()
    }

    /// [`TicketKeys::unseal`] with `engine`: `Err(Crypto)` if its hook
    /// failed (not a refused ticket: the caller fails closed).
    pub fn unseal_with(&self, engine: aead::Engine, ticket: &mut [u8], now: u64) -> Result<Option<SessionData>, Error> {
        let min = KEY_NAME_LEN + NONCE_LEN + TAG_LEN;
        if ticket.len() < min || ticket.len() > MAX_SEALED {
            return Ok(None);
        }
        let (head, rest) = ticket.split_at_mut(KEY_NAME_LEN + NONCE_LEN);
        let body_len = rest.len() - TAG_LEN;
        let (body, tag) = rest.split_at_mut(body_len);
        let (Some(name), Some(nonce)) = (head.get(..KEY_NAME_LEN), head.get(KEY_NAME_LEN..)) else { return Ok(None) };
        let Ok(nonce) = <[u8; NONCE_LEN]>::try_from(nonce) else { return Ok(None) };
        let Some(key) = [&self.current, &self.grace].into_iter().find(|k| k.valid && ct_eq(&k.name, name)) else {
            return Ok(None);
        };
        match aead::open_with(engine, TagLen::Sixteen, &key.key, &nonce, head, body, tag) {
            Ok(()) => {}
            Err(Error::Crypto) => return Err(Error::Crypto),
            Err(_) => return Ok(None),
        }
        let s = parse_state(body, now, u64::from(self.lifetime_ms));
        body.zeroize();
        Ok(s)
    }
}

impl Drop for TicketKeys {
    fn drop(&mut self) {
        self.wipe();
    }
}

fn parse_state(body: &[u8], now: u64, lifetime: u64) -> Option<SessionData> {
    let mut r = Reader::new(body);
    if r.u8().ok()? != STATE_VERSION {
        return None;
    }
    let mut s = SessionData::new_zeroed();
    s.suite = r.u16().ok()?;
    s.ems = match r.u8().ok()? {
        0 => false,
        1 => true,
        _ => return None,
    };
    let kind = r.u8().ok()?;
    let created = u64::from_be_bytes(r.array().ok()?);
    s.master = r.array().ok()?;
    let peer = r.vec16().ok()?;
    if r.finish().is_err() || peer.len() > MAX_PEER_ID || created > now || now - created >= lifetime {
        s.clear();
        return None;
    }
    let Some(kind) = PeerKind::decode(kind, peer) else {
        s.clear();
        return None;
    };
    s.set_peer(kind, peer);
    s.valid = true;
    Some(s)
}

/// Client: the ticket received from the server (RFC 5077 3.3), kept with
/// the session it resumes.
#[derive(FromZeros)]
#[repr(C)]
pub struct ClientTicket {
    /// Server side: the ticket being sent; client side: the one received.
    pub data: [u8; NANODTLS_MAX_TICKET],
    /// ticket_lifetime_hint of the NewSessionTicket (s).
    pub lifetime_hint: u32,
    /// Length of `data` (0: no ticket).
    pub len: u16,
}

impl ClientTicket {
    /// The ticket held (empty: none).
    pub fn ticket(&self) -> &[u8] {
        self.data.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Keep `t`; false (and nothing kept) if it is larger than the knob.
    pub fn set(&mut self, t: &[u8], lifetime_hint: u32) -> bool {
        self.clear();
        match self.data.get_mut(..t.len()) {
            Some(d) if !t.is_empty() => {
                d.copy_from_slice(t);
                self.len = t.len() as u16;
                self.lifetime_hint = lifetime_hint;
                true
            }
            _ => false,
        }
    }

    /// Forget the ticket.
    pub fn clear(&mut self) {
        self.data.zeroize();
        self.len = 0;
        self.lifetime_hint = 0;
    }
}

const _: () = assert!(NANODTLS_MAX_TICKET <= u16::MAX as usize);

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> SessionData {
        let mut s = SessionData::new_zeroed();
        s.master = [9; 48];
        s.suite = crate::suite::PSK_AES_128_CCM_8;
        s.ems = true;
        s.set_peer(PeerKind::PskIdentity, b"client1");
        s.valid = true;
        s
    }

    fn keys(seed: u8) -> TicketKeys {
        let mut k = TicketKeys::new_zeroed();
        k.init(10_000);
        let mut n = seed;
        let mut rng = |b: &mut [u8]| {
            for x in b.iter_mut() {
                n = n.wrapping_add(1);
                *x = n;
            }
            Ok(())
        };
        k.refresh(0, &mut rng).unwrap();
        k
    }

    #[test]
    fn seal_unseal_and_every_flip_is_refused() {
        let k = keys(1);
        let mut t = [0u8; MAX_SEALED];
        let n = k.seal(&session(), 100, &[3; 12], &mut t).unwrap();
        let mut c = t;
        let s = k.unseal(&mut c[..n], 200).unwrap();
        assert_eq!((s.master, s.peer(), s.ems, s.suite), ([9; 48], &b"client1"[..], true, session().suite));
        for i in 0..n {
            let mut bad = t;
            bad[i] ^= 1;
            assert!(k.unseal(&mut bad[..n], 200).is_none(), "byte {i}");
        }
        for cut in 0..n {
            let mut c = t;
            assert!(k.unseal(&mut c[..cut], 200).is_none());
        }
        let mut c = t;
        assert!(k.unseal(&mut c[..n], 100 + 10_000).is_none(), "expired");
        let mut c = t;
        assert!(k.unseal(&mut c[..n], 99).is_none(), "from the future");
        let mut c = t;
        assert!(keys(50).unseal(&mut c[..n], 200).is_none(), "foreign key");
    }

    #[test]
    fn rotation_keeps_one_grace_key_and_wipe_zeroizes() {
        let mut k = keys(1);
        let mut seed = 100u8;
        let mut rng = |b: &mut [u8]| {
            for x in b.iter_mut() {
                seed = seed.wrapping_add(7);
                *x = seed;
            }
            Ok(())
        };
        let mut t = [0u8; MAX_SEALED];
        let n = k.seal(&session(), 0, &[3; 12], &mut t).unwrap();
        k.lifetime_ms = 1_000_000;
        k.rotate_ms = 10_000;
        k.refresh(10_000, &mut rng).unwrap(); // first key is grace now
        let mut c = t;
        assert!(k.unseal(&mut c[..n], 15_000).is_some());
        k.refresh(20_000, &mut rng).unwrap(); // first key dropped
        let mut c = t;
        assert!(k.unseal(&mut c[..n], 25_000).is_none());
        k.wipe();
        assert!(!k.has_key() && k.current.key == [0; 16] && k.grace.key == [0; 16]);
    }

    /// The client's NewSessionTicket handling, driven directly (a server of
    /// this build never seals a ticket above the knob): a ticket larger
    /// than NANODTLS_MAX_TICKET is taken (the handshake goes on) but not
    /// kept; a truncated one is a decode error; one the ServerHello did not
    /// announce, or a second one, is unexpected.
    #[cfg(nanodtls_client)]
    #[test]
    fn client_new_session_ticket_rules() {
        use crate::association::{Association, State};
        use crate::auth::Credentials;
        use crate::handshake::{msg, MsgOrigin};
        struct NoEnv;
        impl crate::env::Env for NoEnv {
            fn random(&mut self, _: &mut [u8]) -> Result<(), Error> {
                Err(Error::Rng)
            }
        }
        let creds = Credentials::new_box_zeroed().unwrap();
        let origin = MsgOrigin { record_seq: 5, message_seq: 2, epoch: 0 };
        let body = |n: usize| {
            let mut b = std::vec![0u8, 0, 0, 60];
            b.extend_from_slice(&(n as u16).to_be_bytes());
            b.extend(core::iter::repeat_n(0xAB, n));
            b
        };
        let fresh = || {
            let mut a = Association::new_box_zeroed().unwrap();
            a.cfg = crate::config::Config::new(crate::config::Role::Client);
            a.cfg.tickets = true;
            a.state = State::ClientWaitCcs;
            a.hs.ticket_expected = true;
            a
        };
        let run = |a: &mut Association, b: &[u8]| {
            a.client_message(&mut NoEnv, &creds, 0, &origin, msg::NEW_SESSION_TICKET, b, b).map_err(|f| f.alert)
        };
        let mut a = fresh();
        assert_eq!(run(&mut a, &body(NANODTLS_MAX_TICKET + 1)), Ok(()));
        assert!(a.hs.ticket_received && a.ticket.len == 0, "too large: taken, not kept");
        assert_eq!(run(&mut a, &body(10)), Err(crate::alert::UNEXPECTED_MESSAGE), "a second one");
        let mut a = fresh();
        assert_eq!(run(&mut a, &body(NANODTLS_MAX_TICKET)), Ok(()));
        assert_eq!(usize::from(a.ticket.len), NANODTLS_MAX_TICKET);
        assert_eq!(a.ticket.lifetime_hint, 60);
        let mut a = fresh();
        let mut cut = body(10);
        cut.pop();
        assert_eq!(run(&mut a, &cut), Err(crate::alert::DECODE_ERROR));
        assert!(!a.hs.ticket_received && a.ticket.len == 0, "refused: nothing changed");
        let mut a = fresh();
        a.hs.ticket_expected = false;
        assert_eq!(run(&mut a, &body(10)), Err(crate::alert::UNEXPECTED_MESSAGE), "not announced");
        assert_eq!(a.ticket.len, 0);
    }

    #[test]
    fn client_ticket_knob() {
        let mut c = ClientTicket::new_zeroed();
        assert!(c.set(&[1; 10], 5) && c.ticket() == [1; 10]);
        assert!(!c.set(&[1; NANODTLS_MAX_TICKET + 1], 5));
        assert!(c.ticket().is_empty());
    }
}
