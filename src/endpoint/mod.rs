//! A server endpoint for many peers in caller-provided memory.
//!
//! Datagrams come in with an opaque peer address (bytes, e.g. a `struct
//! sockaddr_in6`) and go out with one. A new peer must first complete the
//! stateless cookie exchange (HelloVerifyRequest) before it gets a slot, so
//! spoofed ClientHellos cost no memory. When all slots are taken, a slot
//! is reclaimed in this order: a closed or failed connection; a half-open
//! handshake with no traffic for `half_open_timeout_ms`; a connected peer
//! idle for longer than `idle_timeout_ms` (if that is not 0). Otherwise the
//! ClientHello is dropped and counted. A ClientHello longer than
//! `NANODTLS_MAX_HANDSHAKE_MSG` (what a slot can reassemble) never takes a
//! slot: once its cookie is verified it is refused with a stateless fatal
//! internal_error alert. A slot whose peer has an application value
//! ([`Endpoint::set_peer_user`]) is reused only once its [`Event::Released`]
//! (which hands the value back) can be queued.
//!
//! A ClientHello with a *new* client random from the address of a connected
//! peer (the device rebooted, RFC 6347 4.2.8) always goes through the cookie
//! exchange, even when `require_cookie` is off; only with a valid cookie is
//! the old association replaced, so a spoofed ClientHello cannot end it.

mod slots;
mod stateless;

use zerocopy::FromZeros;

use crate::alert;
use crate::auth::Credentials;
use crate::config::{Config, Role};
use crate::connection::{Fed, State};
use crate::cookie::CookieKeys;
use crate::env::Env;
use crate::error::Error;
use crate::handshake::msg::client_hello::ClientHello;
use crate::record::{self, content};
use crate::sizes::{NANODTLS_MAX_HANDSHAKE_MSG, NANODTLS_MAX_PEER_ADDR};

use slots::Released;
pub use slots::{PeerCounts, PeerSlot, RELEASE_QUEUE};
pub use stateless::HVR_QUEUE;
use stateless::{initial_client_hello, PendingHvr};

/// Endpoint events, reported once each by [`Endpoint::poll_event`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Event {
    /// A handshake completed.
    Connected = 1,
    /// A connection was closed (close_notify).
    Closed = 2,
    /// A connection failed (alert, timeout).
    Failed = 3,
    /// The slot of a peer with an application value
    /// ([`Endpoint::set_peer_user`]) went to another peer or a new
    /// handshake: the endpoint forgot it; the value comes with the event.
    Released = 4,
    /// The peer's address changed (RFC 9146 section 6, feature `cid`): an
    /// authenticated record with its connection ID, newer than any before,
    /// came from another address. The event carries the new address; the
    /// old one no longer finds the peer.
    AddressChanged = 5,
}

const EV_CONNECTED: u8 = 1;
const EV_CLOSED: u8 = 2;
const EV_FAILED: u8 = 4;
#[cfg(feature = "cid")]
const EV_MOVED: u8 = 8;

/// Counters of the endpoint itself (per-connection counters live in each
/// connection's [`crate::Stats`]).
#[derive(Clone, Copy, Debug, Default, FromZeros, PartialEq, Eq)]
#[repr(C)]
pub struct EndpointStats {
    /// HelloVerifyRequests sent.
    pub hello_verify_requests: u32,
    /// Slots given to peers that proved their address.
    pub slots_allocated: u32,
    /// Slots taken back from closed, failed, half-open or idle peers.
    pub slots_reclaimed: u32,
    /// ClientHellos dropped because no slot was free.
    pub dropped_no_slot: u32,
    /// Datagrams from unknown addresses that were not a usable ClientHello.
    pub dropped_unknown_peer: u32,
    /// HelloVerifyRequests not sent because the queue of unpolled ones was full.
    pub dropped_hvr_busy: u32,
    /// ClientHellos longer than `NANODTLS_MAX_HANDSHAKE_MSG` (what a peer
    /// can reassemble) refused before they took a slot, with a fatal
    /// internal_error alert (their cookie proved the address).
    pub refused_too_large: u32,
    /// ClientHellos dropped because the RNG failed to refresh the cookie
    /// secret ([`Endpoint::feed`] returned `Error::Rng`).
    pub rng_failures: u32,
}

/// Server endpoint state (the template for new peers, cookie secrets and
/// the pending HelloVerifyRequest).
#[derive(FromZeros)]
#[repr(C)]
pub struct Endpoint {
    cfg: Config,
    /// The credentials every peer uses (one copy, not one per slot).
    creds: Credentials,
    cookies: CookieKeys,
    stats: EndpointStats,
    hvr: [PendingHvr; HVR_QUEUE],
    released: [Released; RELEASE_QUEUE],
    idle_timeout_ms: u32,
    half_open_timeout_ms: u32,
    poll_cursor: u16,
    event_cursor: u16,
    /// Where the endpoint's and its peers' debug log goes (feature `log`).
    #[cfg(feature = "log")]
    log: crate::log::LogSink,
    /// Where its peers' NSS key log lines go (feature `keylog`).
    #[cfg(feature = "keylog")]
    keylog: crate::keylog::KeyLogSink,
    /// Who does the AES-CCM of the peers' records (feature `aes-hook`).
    engine: crate::crypto::aead::Engine,
}

impl Endpoint {
    /// Initialise with a server configuration. `idle_timeout_ms` (0 = never)
    /// and `half_open_timeout_ms` control slot reclamation.
    pub fn init(&mut self, cfg: &Config, idle_timeout_ms: u32, half_open_timeout_ms: u32) -> Result<(), Error> {
        if cfg.role != Role::Server || half_open_timeout_ms == 0 {
            return Err(Error::InvalidArgument);
        }
        cfg.validate()?;
        if !crate::config::role_built(Role::Server) {
            return Err(Error::Unsupported);
        }
        #[cfg(feature = "log")]
        let sink = self.log;
        #[cfg(feature = "keylog")]
        let keylog = self.keylog;
        let engine = self.engine;
        self.zero();
        #[cfg(feature = "log")]
        {
            self.log = sink;
        }
        #[cfg(feature = "keylog")]
        {
            self.keylog = keylog;
        }
        self.engine = engine;
        self.cfg = *cfg;
        self.idle_timeout_ms = idle_timeout_ms;
        self.half_open_timeout_ms = half_open_timeout_ms;
        Ok(())
    }

    /// The credentials every peer uses (see [`Credentials`]). Changes apply
    /// to the next message each peer's handshake processes.
    pub fn credentials_mut(&mut self) -> &mut Credentials {
        &mut self.creds
    }

    /// The credentials every peer uses.
    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }

    /// The PSK identity and key accepted by every peer (see
    /// [`crate::Connection::set_psk`]).
    pub fn set_psk(&mut self, identity: &[u8], key: &[u8]) -> Result<(), Error> {
        self.creds.psk.set(identity, key)
    }

    /// The PSK identity hint (see [`crate::Connection::set_psk_hint`]).
    pub fn set_psk_hint(&mut self, hint: &[u8]) -> Result<(), Error> {
        self.creds.psk.set_hint(hint)
    }

    /// Our private key for every peer (see [`crate::Connection::set_own_key`]).
    pub fn set_own_key(&mut self, key: &[u8]) -> Result<(), Error> {
        self.creds.set_own_key(key)
    }

    /// Our public key (SubjectPublicKeyInfo DER) whose private key stays
    /// outside the library: the [`Env`] given to the feed and poll calls
    /// signs with it ([`Env::sign_hash`]); see
    /// [`crate::Connection::set_own_public_key`].
    pub fn set_own_public_key(&mut self, spki: &[u8]) -> Result<(), Error> {
        self.creds.set_own_public_key(spki)
    }

    /// Our SubjectPublicKeyInfo, if a key is set.
    pub fn own_spki(&self) -> Option<[u8; 91]> {
        self.creds.own_spki()
    }

    /// True if the X.509 certificate `der` carries our public key.
    pub fn certificate_matches_own_key(&self, der: &[u8]) -> bool {
        self.creds.certificate_matches_own_key(der)
    }

    /// Trust a client raw public key (SubjectPublicKeyInfo DER).
    pub fn add_trusted_key(&mut self, spki: &[u8]) -> Result<(), Error> {
        self.creds.add_trusted_key(spki)
    }

    /// Trust a client raw public key given as the SHA-256 of its SubjectPublicKeyInfo.
    pub fn add_trusted_key_hash(&mut self, hash: &[u8; 32]) -> Result<(), Error> {
        self.creds.add_trusted_key_hash(hash)
    }

    /// Send the endpoint's debug log, and that of every peer it starts from
    /// now on, to `sink` (feature `log`; see [`crate::connection::Engine::set_log_sink`]).
    #[cfg(feature = "log")]
    pub fn set_log_sink(&mut self, sink: crate::log::LogSink) {
        self.log = sink;
    }

    /// Hand the NSS key log lines of every peer it starts from now on to
    /// `sink` (feature `keylog`; see [`crate::connection::Engine::set_keylog_sink`]).
    #[cfg(feature = "keylog")]
    pub fn set_keylog_sink(&mut self, sink: crate::keylog::KeyLogSink) {
        self.keylog = sink;
    }

    /// Do the AES-CCM of every peer started from now on with `hook`
    /// (feature `aes-hook`; see [`crate::connection::Engine::set_aes_hook`]). Kept across
    /// [`Endpoint::init`].
    #[cfg(feature = "aes-hook")]
    pub fn set_aes_hook(&mut self, hook: Option<&'static crate::crypto::hook::AesHook>) {
        self.engine = hook;
    }

    /// Change the slot reclamation timeouts (see [`Endpoint::init`]).
    pub fn set_timeouts(&mut self, idle_timeout_ms: u32, half_open_timeout_ms: u32) {
        self.idle_timeout_ms = idle_timeout_ms;
        self.half_open_timeout_ms = half_open_timeout_ms.max(1);
    }

    /// Endpoint counters.
    pub fn stats(&self) -> &EndpointStats {
        &self.stats
    }

    fn check_addr(addr: &[u8]) -> Result<(), Error> {
        if addr.is_empty() || addr.len() > NANODTLS_MAX_PEER_ADDR {
            return Err(Error::InvalidArgument);
        }
        Ok(())
    }

    /// Feed a datagram received from `addr`, decrypted in place: as
    /// `Engine::feed`, the call stops after the first application-data
    /// record (from the peer at `addr`), whose plaintext [`Fed::app`]
    /// locates in `datagram`; feed the rest again. `Err(Error::Rng)`: the
    /// RNG failed to refresh the cookie secret; the datagram was dropped and
    /// nothing changed. Other errors are those of the peer's connection.
    pub fn feed(
        &mut self,
        slots: &mut [PeerSlot],
        env: &mut dyn Env,
        now: u64,
        addr: &[u8],
        datagram: &mut [u8],
    ) -> Result<Fed, Error> {
        let done = Fed { consumed: datagram.len(), app: None };
        Self::check_addr(addr)?;
        #[cfg(feature = "cid")]
        if let Some(i) = self.cid_slot(slots, datagram) {
            return self.feed_by_cid(slots, i, env, now, addr, datagram);
        }
        let existing = slots.iter().position(|s| s.matches(addr));
        let hello = initial_client_hello(datagram).map(|(rs, ms, m, b)| (rs, ms, m.len(), b.len()));
        if let Some(i) = existing {
            let slot = slots.get_mut(i).ok_or(Error::Internal)?;
            // A new handshake needs a ClientHello with a new client random:
            // the one of a failed or closed handshake (a retransmission, or a
            // replay) does not restart the slot.
            let fresh = || {
                initial_client_hello(datagram)
                    .and_then(|(_, _, _, body)| ClientHello::parse(body).ok())
                    .is_some_and(|ch| &ch.random != slot.conn.client_random())
            };
            let new_handshake = match (&hello, slot.conn.state()) {
                (Some(_), State::Closed | State::Failed | State::Connected) => fresh(),
                _ => false,
            };
            if !new_handshake {
                if hello.is_some() && matches!(slot.conn.state(), State::Closed | State::Failed) {
                    self.stats.dropped_unknown_peer = self.stats.dropped_unknown_peer.saturating_add(1);
                    nd_log!(self.log =>
                        Debug,
                        "server: endpoint: drop [dropped_unknown_peer] the ClientHello of slot {}'s ended handshake again",
                        i
                    );
                    return Ok(done);
                }
                // Only what the connection accepted counts as the peer's
                // activity: junk from its address cannot keep a slot alive.
                let before = slot.conn.accepted_input();
                let r = slot.conn.feed(&self.creds, env, now, datagram);
                if slot.conn.accepted_input() != before {
                    slot.last_active = now;
                }
                slot.note_state();
                return r;
            }
        }
        // A (possibly) new peer: only a ClientHello with a valid cookie gets a slot.
        let Some((rec_seq, msg_seq, message_len, _)) = hello else {
            self.stats.dropped_unknown_peer = self.stats.dropped_unknown_peer.saturating_add(1);
            nd_log!(self.log =>
                Debug,
                "server: endpoint: drop [dropped_unknown_peer] {}-byte datagram from an unknown peer: not a ClientHello",
                datagram.len()
            );
            return Ok(done);
        };
        let parsed = initial_client_hello(datagram).and_then(|(_, _, _, body)| ClientHello::parse(body).ok());
        let Some(ch) = parsed else {
            self.stats.dropped_unknown_peer = self.stats.dropped_unknown_peer.saturating_add(1);
            nd_log!(self.log => Debug, "server: endpoint: drop [dropped_unknown_peer] malformed ClientHello from an unknown peer");
            return Ok(done);
        };
        // RFC 6347 4.2.8: a live association is replaced only after the
        // new client proved it can receive at this address (a cookie
        // exchange), whatever require_cookie says for unknown addresses.
        let replaces_live = existing.and_then(|i| slots.get(i)).is_some_and(|s| s.conn.state() == State::Connected);
        let verify = self.cfg.require_cookie || replaces_live;
        if verify {
            let lifetime = self.cfg.cookie_lifetime_ms;
            let mut rng = |b: &mut [u8]| env.random(b);
            if self.cookies.refresh(now, lifetime, &mut rng).is_err() {
                // Our own failure, not the peer's: say so (the ClientHello is
                // dropped, nothing changed; the client will retransmit).
                self.stats.rng_failures = self.stats.rng_failures.saturating_add(1);
                nd_log!(self.log =>
                    Warn,
                    "server: endpoint: the RNG failed to refresh the cookie secret: ClientHello dropped [rng_failures]"
                );
                return Err(Error::Rng);
            }
            if !self.cookies.verify(addr, &ch) {
                if replaces_live {
                    nd_log!(self.log =>
                        Info,
                        "server: endpoint: new ClientHello from the address of a connected peer: cookie exchange first"
                    );
                }
                self.queue_hello_verify(addr, rec_seq, msg_seq, &ch);
                return Ok(done);
            }
        }
        // A ClientHello the peer's reassembly buffer cannot hold would take
        // a slot, get no answer and keep it until it is reclaimed: refuse it
        // before. The address is proven (or cookies are off), so say why at
        // once: internal_error (RFC 5246 7.2.2: a failure "unrelated to the
        // peer or the correctness of the protocol (such as a memory
        // allocation failure)"; the ClientHello is legal, our buffer is too
        // small). handshake_failure would claim the offered parameters were
        // unacceptable, which we never got to decide.
        if message_len > NANODTLS_MAX_HANDSHAKE_MSG {
            self.stats.refused_too_large = self.stats.refused_too_large.saturating_add(1);
            nd_log!(self.log =>
                Warn,
                "server: endpoint: refused a {}-byte ClientHello: over NANODTLS_MAX_HANDSHAKE_MSG ({}), answered internal_error",
                message_len,
                NANODTLS_MAX_HANDSHAKE_MSG
            );
            self.queue_reply(addr, |w| {
                let body = [alert::FATAL, alert::INTERNAL_ERROR];
                record::write_record(w, None, content::ALERT, 0, rec_seq, &[&body])
            });
            return Ok(done);
        }
        if let Some(old) = existing.and_then(|i| slots.get(i)) {
            if old.user != 0 && !self.release_room() {
                // Its application value could not be handed back.
                self.stats.dropped_no_slot = self.stats.dropped_no_slot.saturating_add(1);
                nd_log!(self.log =>
                    Warn,
                    "server: endpoint: drop [dropped_no_slot] ClientHello: {} released peers wait for poll_event",
                    RELEASE_QUEUE
                );
                return Ok(done);
            }
        }
        let i = match existing {
            Some(i) => i,
            None => match self.allocate(slots, now) {
                Some(i) => i,
                None => {
                    self.stats.dropped_no_slot = self.stats.dropped_no_slot.saturating_add(1);
                    nd_log!(self.log =>
                        Warn,
                        "server: endpoint: drop [dropped_no_slot] ClientHello: all {} peer slots are busy",
                        slots.len()
                    );
                    return Ok(done);
                }
            },
        };
        let slot = slots.get_mut(i).ok_or(Error::Internal)?;
        self.start_slot(slot, addr, now)?;
        if verify {
            slot.conn.mark_cookie_verified();
        }
        self.stats.slots_allocated = self.stats.slots_allocated.saturating_add(1);
        nd_log!(self.log =>
            Info,
            "server: endpoint: peer slot {} {} ({}-byte address)",
            i,
            if existing.is_some() { "restarted for a new handshake" } else { "allocated" },
            addr.len()
        );
        let r = slot.conn.feed(&self.creds, env, now, datagram);
        slot.note_state();
        r
    }

    /// The slot whose connection ID starts `datagram` (a tls12_cid
    /// record with a CID of our configured length), wherever it came from.
    #[cfg(feature = "cid")]
    fn cid_slot(&self, slots: &[PeerSlot], datagram: &[u8]) -> Option<usize> {
        if !self.cfg.connection_id {
            return None;
        }
        let cid = record::cid::peek_cid(datagram, usize::from(self.cfg.cid_len))?;
        slots.iter().position(|s| s.in_use && s.conn.cid_negotiated() && s.conn.rx_cid() == cid)
    }

    /// Feed a datagram to the peer its CID found (RFC 9146 section 6): the
    /// peer's address moves to `addr` only if a record of it authenticated
    /// and was newer than every record before (a forgery, a replay or a
    /// late copy from another address moves nothing).
    #[cfg(feature = "cid")]
    fn feed_by_cid(
        &mut self,
        slots: &mut [PeerSlot],
        i: usize,
        env: &mut dyn Env,
        now: u64,
        addr: &[u8],
        datagram: &mut [u8],
    ) -> Result<Fed, Error> {
        let slot = slots.get_mut(i).ok_or(Error::Internal)?;
        let (before, advanced) = (slot.conn.accepted_input(), slot.conn.cid_advanced());
        let r = slot.conn.feed(&self.creds, env, now, datagram);
        if slot.conn.accepted_input() != before {
            slot.last_active = now;
        }
        if slot.conn.cid_advanced() != advanced && slot.addr() != addr {
            let dst = slot.addr.get_mut(..addr.len()).ok_or(Error::InvalidArgument)?;
            dst.copy_from_slice(addr);
            slot.addr_len = addr.len() as u8;
            slot.events |= EV_MOVED;
            nd_log!(self.log =>
                Info,
                "server: endpoint: peer slot {} moved to a new {}-byte address (connection ID, RFC 9146)",
                i,
                addr.len()
            );
        }
        slot.note_state();
        r
    }

    /// Next datagram to send: `Ok(Some((len, addr_len)))` with the datagram
    /// in `out` and the destination in `addr_out`, or `Ok(None)`.
    /// `BufferTooSmall` (nothing taken) if `out` or `addr_out` cannot hold
    /// it, or `out` is smaller than [`crate::config::MIN_MTU`].
    pub fn poll_datagram(
        &mut self,
        slots: &mut [PeerSlot],
        env: &dyn Env,
        now: u64,
        out: &mut [u8],
        addr_out: &mut [u8],
    ) -> Result<Option<(usize, usize)>, Error> {
        // As for a connection: below the smallest MTU, BufferTooSmall
        // whenever a datagram waits (nothing is taken).
        let out = if out.len() < usize::from(crate::config::MIN_MTU) {
            out.get_mut(..0).ok_or(Error::Internal)?
        } else {
            out
        };
        if let Some(h) = self.hvr.iter_mut().find(|h| h.len > 0) {
            let n = usize::from(h.len);
            let a = usize::from(h.addr_len);
            let dst = out.get_mut(..n).ok_or(Error::BufferTooSmall)?;
            let adst = addr_out.get_mut(..a).ok_or(Error::BufferTooSmall)?;
            dst.copy_from_slice(h.datagram.get(..n).ok_or(Error::Internal)?);
            adst.copy_from_slice(h.addr.get(..a).ok_or(Error::Internal)?);
            h.len = 0;
            return Ok(Some((n, a)));
        }
        let count = slots.len();
        for k in 0..count {
            let i = (usize::from(self.poll_cursor) + k) % count;
            let slot = slots.get_mut(i).ok_or(Error::Internal)?;
            if !slot.in_use {
                continue;
            }
            let a = usize::from(slot.addr_len);
            if addr_out.len() < a {
                return Err(Error::BufferTooSmall);
            }
            if let Some(n) = slot.conn.poll_datagram(&self.creds, env, now, out)? {
                addr_out.get_mut(..a).ok_or(Error::Internal)?.copy_from_slice(slot.addr());
                slot.note_state();
                self.poll_cursor = ((i + 1) % count) as u16;
                return Ok(Some((n, a)));
            }
        }
        Ok(None)
    }

    /// Seal application data for the peer at `addr` as one record straight
    /// into `out` (see [`crate::connection::Engine::write`]); returns the datagram's length.
    pub fn write(
        &mut self,
        slots: &mut [PeerSlot],
        now: u64,
        addr: &[u8],
        data: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        Self::check_addr(addr)?;
        let slot = slots.iter_mut().find(|s| s.matches(addr)).ok_or(Error::UnknownPeer)?;
        let n = slot.conn.write(data, out)?;
        slot.last_active = now;
        Ok(n)
    }

    /// Send a heartbeat request to the peer at `addr` (see [`crate::connection::Engine::heartbeat`]).
    pub fn heartbeat(&mut self, slots: &mut [PeerSlot], env: &mut dyn Env, now: u64, addr: &[u8]) -> Result<(), Error> {
        Self::check_addr(addr)?;
        let slot = slots.iter_mut().find(|s| s.matches(addr)).ok_or(Error::UnknownPeer)?;
        slot.conn.heartbeat(env, now)
    }

    /// Server, client certificate URLs: resume the paused handshake of the
    /// peer at `addr` with the fetched certificates (`Some`, DER back to
    /// back in URL order) or refuse it (`None`); see
    /// [`crate::connection::Engine::provide_client_certificates`].
    /// `UnknownPeer` for an address without a slot.
    #[cfg(all(feature = "cert-url", nanodtls_server))]
    pub fn provide_client_certificates(
        &mut self,
        slots: &mut [PeerSlot],
        env: &dyn Env,
        now: u64,
        addr: &[u8],
        der: Option<&[u8]>,
    ) -> Result<(), Error> {
        Self::check_addr(addr)?;
        let slot = slots.iter_mut().find(|s| s.matches(addr)).ok_or(Error::UnknownPeer)?;
        let r = slot.conn.provide_client_certificates(&self.creds, env, now, der);
        slot.note_state();
        r
    }

    /// Close the connection to `addr` (close_notify is polled next).
    pub fn close_peer(&mut self, slots: &mut [PeerSlot], addr: &[u8]) -> Result<(), Error> {
        Self::check_addr(addr)?;
        let slot = slots.iter_mut().find(|s| s.matches(addr)).ok_or(Error::UnknownPeer)?;
        slot.conn.close()?;
        slot.note_state();
        Ok(())
    }

    /// Milliseconds until [`Endpoint::handle_timeout`] is due, or None.
    pub fn timeout_ms(&self, slots: &[PeerSlot], now: u64) -> Option<u64> {
        slots.iter().filter(|s| s.in_use).filter_map(|s| s.conn.timeout_ms(now)).min()
    }

    /// Run every peer's timers.
    pub fn handle_timeout(&mut self, slots: &mut [PeerSlot], now: u64) {
        for s in slots.iter_mut().filter(|s| s.in_use) {
            // A failing peer reports through its event; others are unaffected.
            let _ = s.conn.handle_timeout(now);
            s.note_state();
        }
    }

    /// Session tickets (RFC 5077) on or off for peers accepted from now on
    /// (`Config::tickets`; the keys come from `Env::ticket_keys`, one set
    /// for all peers).
    #[cfg(feature = "tickets")]
    pub fn set_tickets(&mut self, on: bool) {
        self.cfg.tickets = on;
    }

    /// Wipe the endpoint's own secrets (template PSK, cookie secrets).
    pub fn wipe(&mut self) {
        self.creds.wipe();
        self.cookies.wipe();
        self.zero();
    }
}
