//! Our outgoing flight (RFC 6347 section 4.2.4): kept as plaintext
//! messages, cut into records that fit the datagram and the peer's record
//! limit on every (re)transmission with fresh record sequence numbers
//! (section 4.2.3), and its retransmission timer with doubling back-off
//! (section 4.2.4.1).

use zerocopy::FromZeros;

use crate::codec::{Reader, Writer};
use crate::config::Role;
use crate::error::Error;
use crate::handshake::{self, FragmentHeader};
use crate::record::{self, content, RecordState};
use crate::sizes::NANODTLS_FLIGHT_BUF as CAP;

const KIND_HANDSHAKE: u8 = 1;
const KIND_CCS: u8 = 2;
const ENTRY_HEADER: usize = 4;

/// One item of a flight, as the sender sees it.
#[derive(Clone, Copy, Debug)]
pub enum Item<'a> {
    /// A handshake message: full 12-byte header (unfragmented form) and body.
    Handshake {
        /// Epoch to send it in.
        epoch: u16,
        /// Header plus body.
        message: &'a [u8],
    },
    /// ChangeCipherSpec, sent in `epoch`.
    Ccs {
        /// Epoch to send it in.
        epoch: u16,
    },
}

/// The retransmission timer of our flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromZeros)]
#[repr(u8)]
pub enum Timer {
    /// No timer: nothing awaited (no flight, our final flight, or the
    /// handshake ended).
    Off = 0,
    /// A reply is awaited; the timer starts when the current transmission
    /// has been polled out.
    Pending = 1,
    /// Running: fires at `next_at`.
    Armed = 2,
}

/// The flight store and its timer.
#[derive(FromZeros)]
#[repr(C)]
pub struct Flight {
    buf: [u8; CAP],
    /// Next absolute time (ms) the timer fires, valid when Armed.
    pub next_at: u64,
    /// When the last (re)transmission of this flight was polled out.
    pub last_sent_at: u64,
    /// Current retransmission interval.
    pub interval_ms: u32,
    /// Offset in the current message body of the next fragment to send.
    frag: u32,
    len: u16,
    /// Offset of the entry being sent.
    cursor: u16,
    /// Peer message_seq range [lo, hi) this flight answers: a retransmission
    /// of any of those messages makes us send this flight again.
    pub resp_lo: u16,
    /// See `resp_lo`.
    pub resp_hi: u16,
    /// Retransmissions of this flight so far.
    pub retransmits: u16,
    /// Datagrams produced by the current (re)transmission (for the log).
    #[cfg(feature = "log")]
    pub datagrams: u16,
    /// A (re)transmission is in progress: poll will produce datagrams.
    pub sending: bool,
    /// The retransmission timer.
    pub timer: Timer,
}

impl Flight {
    /// Start a new, empty flight.
    pub fn clear(&mut self) {
        self.len = 0;
        self.cursor = 0;
        self.frag = 0;
        self.sending = false;
        self.timer = Timer::Off;
        self.resp_lo = 0;
        self.resp_hi = 0;
        self.retransmits = 0;
    }

    /// True when the flight holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True if a message with `seq` belongs to the peer flight we answered.
    pub fn answers(&self, seq: u16) -> bool {
        !self.is_empty() && self.resp_lo <= seq && seq < self.resp_hi
    }

    /// Append a handshake message. `body` writes the body; the header is
    /// filled in here. Returns the whole message (header + body) so the
    /// caller can add it to the transcript.
    pub fn push_message(
        &mut self,
        epoch: u16,
        msg_type: u8,
        seq: u16,
        body: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>,
    ) -> Result<&[u8], Error> {
        let start = self.len as usize;
        let region = self.buf.get_mut(start..).ok_or(Error::BufferTooSmall)?;
        let mut w = Writer::new(region);
        w.u8(KIND_HANDSHAKE)?;
        w.u8(epoch as u8)?;
        let entry_len = w.begin_len(2)?;
        let hdr_at = w.len();
        handshake::write_header(&mut w, &FragmentHeader { msg_type, length: 0, seq, frag_off: 0, frag_len: 0 })?;
        body(&mut w)?;
        let body_len = w.len() - hdr_at - handshake::HEADER_LEN;
        w.end_len(entry_len)?;
        let total = w.len();
        // Patch length and fragment length in the handshake header.
        let hdr = FragmentHeader { msg_type, length: body_len as u32, seq, frag_off: 0, frag_len: body_len as u32 };
        let hdr_slot = w.written_mut().get_mut(hdr_at..hdr_at + handshake::HEADER_LEN).ok_or(Error::Internal)?;
        handshake::write_header(&mut Writer::new(hdr_slot), &hdr)?;
        let new_len = start + total;
        self.len = u16::try_from(new_len).map_err(|_| Error::BufferTooSmall)?;
        self.buf.get(start + ENTRY_HEADER..new_len).ok_or(Error::Internal)
    }

    /// Append a ChangeCipherSpec sent in `epoch`.
    pub fn push_ccs(&mut self, epoch: u16) -> Result<(), Error> {
        let start = self.len as usize;
        let region = self.buf.get_mut(start..).ok_or(Error::BufferTooSmall)?;
        let mut w = Writer::new(region);
        w.u8(KIND_CCS)?;
        w.u8(epoch as u8)?;
        w.u16(0)?;
        self.len = u16::try_from(start + w.len()).map_err(|_| Error::BufferTooSmall)?;
        Ok(())
    }

    /// Send this freshly built flight, which answers the peer's messages
    /// `resp_lo..resp_hi` (a retransmission of any of them makes us send it
    /// again). With `expects_reply` the timer runs once it went out (not
    /// for a final flight). RFC 6347 4.2.4.1: a backed-off timer is kept
    /// until a flight goes through without loss, then returns to
    /// `initial_ms`.
    pub fn send(&mut self, resp_lo: u16, resp_hi: u16, expects_reply: bool, initial_ms: u32) {
        self.resp_lo = resp_lo;
        self.resp_hi = resp_hi;
        if self.retransmits == 0 {
            self.interval_ms = initial_ms;
        }
        self.retransmits = 0;
        self.timer = if expects_reply { Timer::Pending } else { Timer::Off };
        self.start_sending();
    }

    /// Begin (re)sending from the first item.
    pub fn start_sending(&mut self) {
        self.cursor = 0;
        self.frag = 0;
        #[cfg(feature = "log")]
        {
            self.datagrams = 0;
        }
        self.sending = !self.is_empty();
        if self.timer == Timer::Armed {
            self.timer = Timer::Pending;
        }
    }

    /// When the timer fires, if it runs.
    pub fn deadline(&self) -> Option<u64> {
        (self.timer == Timer::Armed).then_some(self.next_at)
    }

    /// The timer at `now`: true if it fired, and the flight is being
    /// retransmitted with the interval doubled (at most `max_ms`).
    pub fn on_timeout(&mut self, now: u64, max_ms: u32) -> bool {
        if self.deadline().is_none_or(|at| now < at) {
            return false;
        }
        self.interval_ms = self.interval_ms.saturating_mul(2).min(max_ms);
        self.retransmits = self.retransmits.saturating_add(1);
        self.start_sending();
        true
    }

    /// Nothing is awaited any more (the handshake completed): keep the
    /// flight for resending when the peer retransmits, never arm a timer.
    pub fn finish(&mut self) {
        self.timer = Timer::Off;
    }

    /// Stop sending and the timer (the connection ended).
    pub fn stop(&mut self) {
        self.sending = false;
        self.timer = Timer::Off;
    }

    /// The item at the cursor and the body offset of its next fragment.
    pub fn current(&self) -> Option<(Item<'_>, u32)> {
        if !self.sending || self.cursor >= self.len {
            return None;
        }
        let entry = self.buf.get(self.cursor as usize..self.len as usize)?;
        let mut r = Reader::new(entry);
        let kind = r.u8().ok()?;
        let epoch = u16::from(r.u8().ok()?);
        let data = r.vec16().ok()?;
        match kind {
            KIND_HANDSHAKE => Some((Item::Handshake { epoch, message: data }, self.frag)),
            KIND_CCS => Some((Item::Ccs { epoch }, 0)),
            _ => None,
        }
    }

    /// Record that the fragment up to body offset `frag` was sent; moves to
    /// the next item when `done`.
    pub fn advance(&mut self, frag: u32, done: bool) {
        if !done {
            self.frag = frag;
            return;
        }
        self.frag = 0;
        let at = self.cursor as usize;
        let len = self.buf.get(at + 2..at + 4).map(|b| usize::from(crate::codec::be16(b))).unwrap_or(0);
        let next = at + ENTRY_HEADER + len;
        self.cursor = next as u16;
        if next >= self.len as usize {
            self.sending = false;
        }
    }

    /// Called when the last datagram of a transmission went out.
    pub fn sent(&mut self, now: u64) {
        self.last_sent_at = now;
        if self.timer == Timer::Pending {
            self.timer = Timer::Armed;
            self.next_at = now.saturating_add(u64::from(self.interval_ms));
        }
    }

    /// Fill one datagram (`w`, sized to the MTU) from the cursor: each
    /// handshake message as one or more fragments, each in a record of
    /// `epoch` sealed by `rl`, whose plaintext stays within `record_limit`
    /// (the peer's max_fragment_length). A message that would fit whole
    /// into a datagram of its own is not cut to fill this one. Returns the
    /// number of records written; `BufferTooSmall` if not even one fits.
    pub fn write_datagram(
        &mut self,
        rl: &mut RecordState,
        role: Role,
        record_limit: usize,
        w: &mut Writer<'_>,
    ) -> Result<u32, Error> {
        let limit = w.remaining();
        let tag_overhead = record::EXPLICIT_NONCE_LEN + rl.tag().bytes();
        let mut records = 0;
        while let Some((item, off)) = self.current() {
            match item {
                Item::Ccs { epoch } => {
                    let need = record::HEADER_LEN + 1 + if epoch > 0 { tag_overhead } else { 0 };
                    if w.remaining() < need {
                        if w.is_empty() {
                            return Err(Error::BufferTooSmall);
                        }
                        break;
                    }
                    rl.emit(role, w, content::CCS, epoch, &[&[1]])?;
                    records += 1;
                    self.advance(0, true);
                }
                Item::Handshake { epoch, message } => {
                    let body = message.get(handshake::HEADER_LEN..).ok_or(Error::Internal)?;
                    let total = body.len();
                    let off_us = off as usize;
                    let left = total.saturating_sub(off_us);
                    let overhead =
                        record::HEADER_LEN + handshake::HEADER_LEN + if epoch > 0 { tag_overhead } else { 0 };
                    // A record's plaintext (handshake header + fragment)
                    // stays within the negotiated max_fragment_length.
                    let limit_room = record_limit.saturating_sub(handshake::HEADER_LEN);
                    // Room for the headers and at least one body byte (or
                    // just the headers for an empty message).
                    if w.remaining() < overhead + usize::from(left > 0) {
                        if w.is_empty() {
                            return Err(Error::BufferTooSmall);
                        }
                        break;
                    }
                    let room = (w.remaining() - overhead).min(limit_room);
                    // Prefer starting a new datagram over cutting a message
                    // that would fit whole in one.
                    if left > room && !w.is_empty() && left + overhead <= limit && left <= limit_room {
                        break;
                    }
                    let n = core::cmp::min(left, room);
                    let mut hb = [0u8; handshake::HEADER_LEN];
                    let h = FragmentHeader {
                        msg_type: message.first().copied().unwrap_or(0),
                        length: total as u32,
                        seq: message.get(4..6).map(crate::codec::be16).unwrap_or(0),
                        frag_off: off,
                        frag_len: n as u32,
                    };
                    handshake::write_header(&mut Writer::new(&mut hb), &h)?;
                    let piece = body.get(off_us..off_us + n).ok_or(Error::Internal)?;
                    rl.emit(role, w, content::HANDSHAKE, epoch, &[&hb, piece])?;
                    records += 1;
                    let done = off_us + n >= total;
                    self.advance((off_us + n) as u32, done);
                    if !done {
                        break;
                    }
                }
            }
        }
        Ok(records)
    }

    /// Iterate over the handshake messages (for tests and transcript checks).
    pub fn messages(&self) -> impl Iterator<Item = &[u8]> {
        let mut r = Reader::new(self.buf.get(..self.len as usize).unwrap_or(&[]));
        core::iter::from_fn(move || loop {
            let kind = r.u8().ok()?;
            let _epoch = r.u8().ok()?;
            let data = r.vec16().ok()?;
            if kind == KIND_HANDSHAKE {
                return Some(data);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_and_walk() {
        let mut f = Flight::new_box_zeroed().unwrap();
        f.clear();
        let m = f.push_message(0, 14, 5, |w| w.put(&[1, 2, 3])).unwrap().to_vec();
        assert_eq!(m, [14, 0, 0, 3, 0, 5, 0, 0, 0, 0, 0, 3, 1, 2, 3]);
        f.push_ccs(0).unwrap();
        f.push_message(1, 20, 6, |w| w.put(&[9; 12])).unwrap();
        assert_eq!(f.messages().count(), 2);
        f.start_sending();
        let (it, off) = f.current().unwrap();
        assert!(matches!(it, Item::Handshake { epoch: 0, .. }) && off == 0);
        f.advance(2, false);
        assert_eq!(f.current().unwrap().1, 2);
        f.advance(3, true);
        assert!(matches!(f.current().unwrap().0, Item::Ccs { epoch: 0 }));
        f.advance(0, true);
        assert!(matches!(f.current().unwrap().0, Item::Handshake { epoch: 1, .. }));
        f.advance(12, true);
        assert!(!f.sending && f.current().is_none());
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let mut f = Flight::new_box_zeroed().unwrap();
        f.clear();
        let big = [0u8; CAP];
        assert!(f.push_message(0, 1, 0, |w| w.put(&big)).is_err());
        assert!(f.is_empty());
    }
}
