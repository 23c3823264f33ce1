//! Peer slots (RFC 6347 4.2.8: one association per peer): what a slot
//! holds, how a new peer gets one and which slot is reclaimed when all are
//! taken, the application's value per peer and the events of each slot.

use zerocopy::FromZeros;

use super::{Endpoint, Event, EV_CLOSED, EV_CONNECTED, EV_FAILED};
use crate::connection::{Engine, State};
use crate::error::Error;
use crate::sizes::NANODTLS_MAX_PEER_ADDR;

/// One peer slot. The caller provides an array of these.
#[derive(FromZeros)]
#[repr(C)]
pub struct PeerSlot {
    pub(super) conn: Engine,
    pub(super) last_active: u64,
    /// The application's value for this peer (0: none).
    pub(super) user: usize,
    pub(super) addr: [u8; NANODTLS_MAX_PEER_ADDR],
    pub(super) addr_len: u8,
    pub(super) in_use: bool,
    pub(super) events: u8,
    pub(super) reported: State,
}

impl PeerSlot {
    pub(super) fn addr(&self) -> &[u8] {
        self.addr.get(..usize::from(self.addr_len)).unwrap_or(&[])
    }

    pub(super) fn matches(&self, addr: &[u8]) -> bool {
        self.in_use && self.addr() == addr
    }

    /// The connection of this slot.
    pub fn connection(&self) -> &Engine {
        &self.conn
    }

    /// Record state transitions as events.
    pub(super) fn note_state(&mut self) {
        let s = self.conn.state();
        if s != self.reported {
            match s {
                State::Connected => self.events |= EV_CONNECTED,
                State::Closed => self.events |= EV_CLOSED,
                State::Failed => self.events |= EV_FAILED,
                _ => {}
            }
            self.reported = s;
        }
    }

    /// Wipe the slot's connection and forget the peer.
    pub(crate) fn wipe(&mut self) {
        self.release();
    }

    pub(super) fn release(&mut self) {
        self.conn.wipe();
        self.user = 0;
        self.in_use = false;
        self.addr_len = 0;
        self.events = 0;
        self.reported = State::Idle;
    }
}

/// The slots in use by the state of their connection
/// ([`Endpoint::peer_counts`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeerCounts {
    /// Handshakes under way.
    pub handshaking: usize,
    /// Connected peers.
    pub connected: usize,
    /// Connections that ended (closed or failed) whose slot was not
    /// reclaimed yet.
    pub ended: usize,
}

/// Peers with an application value whose slot went to someone else, that
/// can wait for [`Endpoint::poll_event`] at once. While all are taken,
/// slots with an application value are not reclaimed.
pub const RELEASE_QUEUE: usize = 4;

/// A peer whose slot was reused, waiting to be reported.
#[derive(FromZeros)]
#[repr(C)]
pub(super) struct Released {
    pub(super) user: usize,
    pub(super) addr: [u8; NANODTLS_MAX_PEER_ADDR],
    /// 0: the entry is free.
    pub(super) addr_len: u8,
}

impl Endpoint {
    /// The connection for `addr`, if any.
    pub fn peer<'s>(&self, slots: &'s [PeerSlot], addr: &[u8]) -> Option<&'s Engine> {
        slots.iter().find(|s| s.matches(addr)).map(|s| &s.conn)
    }

    /// Number of slots in use (in any state, see [`Endpoint::peer_counts`]).
    pub fn peers_in_use(&self, slots: &[PeerSlot]) -> usize {
        slots.iter().filter(|s| s.in_use).count()
    }

    /// The slots in use by state: a connection that ended (closed or
    /// failed) keeps its slot until a new peer needs it.
    pub fn peer_counts(&self, slots: &[PeerSlot]) -> PeerCounts {
        let mut n = PeerCounts::default();
        for s in slots.iter().filter(|s| s.in_use) {
            let c = match s.conn.state() {
                State::Connected => &mut n.connected,
                State::Closed | State::Failed => &mut n.ended,
                _ => &mut n.handshaking,
            };
            *c += 1;
        }
        n
    }

    /// True if a released peer can be queued for its report.
    pub(super) fn release_room(&self) -> bool {
        self.released.iter().any(|r| r.addr_len == 0)
    }

    /// Copy the template into a slot for a new peer. A previous peer with
    /// an application value is queued for its Released event (the callers
    /// checked there is room).
    pub(super) fn start_slot(&mut self, slot: &mut PeerSlot, addr: &[u8], now: u64) -> Result<(), Error> {
        if slot.in_use && slot.user != 0 {
            let r = self.released.iter_mut().find(|r| r.addr_len == 0).ok_or(Error::Internal)?;
            r.user = slot.user;
            r.addr = slot.addr;
            r.addr_len = slot.addr_len;
        }
        slot.release();
        // The endpoint did the cookie exchange before the slot existed.
        let mut cfg = self.cfg;
        cfg.require_cookie = false;
        slot.conn.init(&cfg)?;
        #[cfg(feature = "log")]
        slot.conn.set_log_sink(self.log);
        #[cfg(feature = "keylog")]
        slot.conn.set_keylog_sink(self.keylog);
        #[cfg(feature = "aes-hook")]
        slot.conn.set_aes_hook(self.engine);
        slot.addr.get_mut(..addr.len()).ok_or(Error::InvalidArgument)?.copy_from_slice(addr);
        slot.addr_len = addr.len() as u8;
        slot.in_use = true;
        slot.last_active = now;
        slot.reported = slot.conn.state();
        Ok(())
    }

    /// Find a slot for a new peer, reclaiming one if needed.
    pub(super) fn allocate(&mut self, slots: &mut [PeerSlot], now: u64) -> Option<usize> {
        if let Some(i) = slots.iter().position(|s| !s.in_use) {
            return Some(i);
        }
        // A peer with an application value is reclaimed only if its
        // Released event can be queued.
        let room = self.release_room();
        let takeable = |s: &PeerSlot| s.user == 0 || room;
        let reclaim = |i: usize, me: &mut Self| {
            me.stats.slots_reclaimed = me.stats.slots_reclaimed.saturating_add(1);
            Some(i)
        };
        // Finished connections.
        if let Some(i) =
            slots.iter().position(|s| matches!(s.conn.state(), State::Closed | State::Failed) && takeable(s))
        {
            nd_log!(self.log => Info, "server: endpoint: reclaiming peer slot {} (closed or failed)", i);
            return reclaim(i, self);
        }
        // The oldest half-open handshake past its grace period.
        let half_open = u64::from(self.half_open_timeout_ms);
        if let Some((i, _)) = slots
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.conn.state().handshaking() && now.saturating_sub(s.last_active) >= half_open && takeable(s)
            })
            .min_by_key(|(_, s)| s.last_active)
        {
            nd_log!(self.log =>
                Info,
                "server: endpoint: reclaiming peer slot {} (half-open handshake, no traffic for {} ms)",
                i,
                half_open
            );
            return reclaim(i, self);
        }
        // The least recently active idle connection.
        if self.idle_timeout_ms > 0 {
            let idle = u64::from(self.idle_timeout_ms);
            if let Some((i, _)) = slots
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    s.conn.state() == State::Connected && now.saturating_sub(s.last_active) >= idle && takeable(s)
                })
                .min_by_key(|(_, s)| s.last_active)
            {
                nd_log!(self.log => Info, "server: endpoint: reclaiming peer slot {} (connected but idle for {} ms)", i, idle);
                return reclaim(i, self);
            }
        }
        None
    }
    /// Take the next event: `Some((event, addr_len))` with the peer address in `addr_out`.
    pub fn poll_event(&mut self, slots: &mut [PeerSlot], addr_out: &mut [u8]) -> Result<Option<(Event, usize)>, Error> {
        Ok(self.poll_event_with_user(slots, addr_out)?.map(|(ev, a, _)| (ev, a)))
    }

    /// [`Endpoint::poll_event`], with the peer's application value (0 if
    /// none; for [`Event::Released`] the value the released peer had).
    pub fn poll_event_with_user(
        &mut self,
        slots: &mut [PeerSlot],
        addr_out: &mut [u8],
    ) -> Result<Option<(Event, usize, usize)>, Error> {
        if let Some(r) = self.released.iter_mut().find(|r| r.addr_len > 0) {
            let a = usize::from(r.addr_len);
            let dst = addr_out.get_mut(..a).ok_or(Error::BufferTooSmall)?;
            dst.copy_from_slice(r.addr.get(..a).ok_or(Error::Internal)?);
            let user = r.user;
            r.zero();
            return Ok(Some((Event::Released, a, user)));
        }
        let count = slots.len();
        for k in 0..count {
            let i = (usize::from(self.event_cursor) + k) % count;
            let slot = slots.get_mut(i).ok_or(Error::Internal)?;
            if !slot.in_use || slot.events == 0 {
                continue;
            }
            let a = usize::from(slot.addr_len);
            let dst = addr_out.get_mut(..a).ok_or(Error::BufferTooSmall)?;
            dst.copy_from_slice(slot.addr());
            let ev = if slot.events & EV_CONNECTED != 0 {
                slot.events &= !EV_CONNECTED;
                Event::Connected
            } else if slot.events & EV_CLOSED != 0 {
                slot.events &= !EV_CLOSED;
                Event::Closed
            } else if cfg!(feature = "cid") && slot.events & !(EV_CONNECTED | EV_CLOSED | EV_FAILED) != 0 {
                slot.events &= EV_CONNECTED | EV_CLOSED | EV_FAILED;
                Event::AddressChanged
            } else {
                slot.events &= !EV_FAILED;
                Event::Failed
            };
            self.event_cursor = i as u16;
            return Ok(Some((ev, a, slot.user)));
        }
        Ok(None)
    }

    /// Attach the application's value `user` (0: none) to the peer at
    /// `addr`; it stays until the peer's slot goes to another peer or a
    /// new handshake, which [`Event::Released`] reports with the value.
    /// `UnknownPeer` if no slot holds that peer.
    pub fn set_peer_user(&mut self, slots: &mut [PeerSlot], addr: &[u8], user: usize) -> Result<(), Error> {
        Self::check_addr(addr)?;
        let slot = slots.iter_mut().find(|s| s.matches(addr)).ok_or(Error::UnknownPeer)?;
        slot.user = user;
        Ok(())
    }

    /// The application's value of the peer at `addr` (0 if none set).
    pub fn peer_user(&self, slots: &[PeerSlot], addr: &[u8]) -> Option<usize> {
        slots.iter().find(|s| s.matches(addr)).map(|s| s.user)
    }
}
