//! Our outgoing flight (RFC 6347 section 4.2.4): the list of its messages
//! (type, message_seq, epoch, length), not their bytes. Each
//! (re)transmission writes them again from the handshake state, fragment
//! by fragment straight into the datagram, cut into records that fit the
//! datagram and the peer's record limit, with fresh record sequence
//! numbers (section 4.2.3); and the retransmission timer with doubling
//! back-off (section 4.2.4.1).

use zerocopy::FromZeros;

use crate::codec::Writer;
use crate::config::Role;
use crate::error::Error;
use crate::handshake::{self, FragmentHeader};
use crate::record::{self, content, RecordState};

/// [`Item::msg_type`] of a ChangeCipherSpec (no handshake message has it).
pub const CCS: u8 = 0xFF;
/// Most items in one flight (ECDHE_ECDSA with a client certificate:
/// Certificate, ClientKeyExchange, CertificateVerify, ChangeCipherSpec,
/// Finished; the server's Certificate ... ServerHelloDone).
pub const MAX_ITEMS: usize = 6;

/// One item of our flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromZeros)]
#[repr(C)]
pub struct Item {
    /// Body length of the handshake message (0 for a ChangeCipherSpec).
    pub len: u32,
    /// message_seq of the handshake message.
    pub seq: u16,
    /// Handshake message type, or [`CCS`].
    pub msg_type: u8,
    /// Epoch it is sent in.
    pub epoch: u8,
}

/// Writes the body of our handshake message `msg_type` (the same bytes
/// every time: they are in the transcript).
pub type BodyWriter<'b> = &'b mut dyn FnMut(u8, &mut Writer<'_>) -> Result<(), Error>;

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

/// The flight and its timer.
#[derive(FromZeros)]
#[repr(C)]
pub struct Flight {
    items: [Item; MAX_ITEMS],
    /// Next absolute time (ms) the timer fires, valid when Armed.
    pub next_at: u64,
    /// When the last (re)transmission of this flight was polled out.
    pub last_sent_at: u64,
    /// Current retransmission interval.
    pub interval_ms: u32,
    /// Offset in the current message body of the next fragment to send.
    frag: u32,
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
    /// Items in the flight.
    count: u8,
    /// Index of the item being sent.
    cursor: u8,
    /// A (re)transmission is in progress: poll will produce datagrams.
    pub sending: bool,
    /// The retransmission timer.
    pub timer: Timer,
}

impl Flight {
    /// Start a new, empty flight.
    pub fn clear(&mut self) {
        self.count = 0;
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
        self.count == 0
    }

    /// Number of handshake messages (the log).
    pub fn message_count(&self) -> usize {
        self.items().iter().filter(|i| i.msg_type != CCS).count()
    }

    /// True if the flight carries a handshake message of `msg_type`.
    pub fn has_message(&self, msg_type: u8) -> bool {
        self.items().iter().any(|i| i.msg_type == msg_type)
    }

    fn items(&self) -> &[Item] {
        self.items.get(..usize::from(self.count)).unwrap_or(&[])
    }

    /// True if a message with `seq` belongs to the peer flight we answered.
    pub fn answers(&self, seq: u16) -> bool {
        !self.is_empty() && self.resp_lo <= seq && seq < self.resp_hi
    }

    /// Append an item (a handshake message whose body length is known, or
    /// a ChangeCipherSpec).
    pub fn push(&mut self, item: Item) -> Result<(), Error> {
        let slot = self.items.get_mut(usize::from(self.count)).ok_or(Error::Internal)?;
        *slot = item;
        self.count += 1;
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
    fn current(&self) -> Option<(Item, u32)> {
        if !self.sending {
            return None;
        }
        self.items().get(usize::from(self.cursor)).map(|&i| (i, self.frag))
    }

    /// Record that the fragment up to body offset `frag` was sent; moves to
    /// the next item when `done`.
    fn advance(&mut self, frag: u32, done: bool) {
        if !done {
            self.frag = frag;
            return;
        }
        self.frag = 0;
        self.cursor += 1;
        if self.cursor >= self.count {
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
    /// handshake message (its body written by `body`) as one or more
    /// fragments, each in a record of its epoch sealed by `rl`, whose
    /// plaintext stays within `record_limit` (the peer's
    /// max_fragment_length). A message that would fit whole into a datagram
    /// of its own is not cut to fill this one. Returns the number of
    /// records written; `BufferTooSmall` if not even one fits.
    pub fn write_datagram(
        &mut self,
        rl: &mut RecordState,
        role: Role,
        record_limit: usize,
        w: &mut Writer<'_>,
        body: BodyWriter<'_>,
    ) -> Result<u32, Error> {
        let limit = w.remaining();
        let tag_overhead = rl.seal_overhead();
        let mut records = 0;
        while let Some((item, off)) = self.current() {
            let epoch = u16::from(item.epoch);
            let seal = if epoch > 0 { tag_overhead } else { 0 };
            if item.msg_type == CCS {
                if w.remaining() < record::HEADER_LEN + 1 + seal {
                    if w.is_empty() {
                        return Err(Error::BufferTooSmall);
                    }
                    break;
                }
                rl.emit(role, w, content::CCS, epoch, &[&[1]])?;
                records += 1;
                self.advance(0, true);
                continue;
            }
            let total = item.len as usize;
            let off_us = off as usize;
            let left = total.saturating_sub(off_us);
            let overhead = record::HEADER_LEN + handshake::HEADER_LEN + seal;
            // A record's plaintext (handshake header + fragment) stays
            // within the negotiated max_fragment_length.
            let limit_room = record_limit.saturating_sub(handshake::HEADER_LEN);
            // Room for the headers and at least one body byte (or just the
            // headers for an empty message).
            if w.remaining() < overhead + usize::from(left > 0) {
                if w.is_empty() {
                    return Err(Error::BufferTooSmall);
                }
                break;
            }
            let room = (w.remaining() - overhead).min(limit_room);
            // Prefer starting a new datagram over cutting a message that
            // would fit whole in one.
            if left > room && !w.is_empty() && left + overhead <= limit && left <= limit_room {
                break;
            }
            let n = core::cmp::min(left, room);
            let h = FragmentHeader {
                msg_type: item.msg_type,
                length: item.len,
                seq: item.seq,
                frag_off: off,
                frag_len: n as u32,
            };
            rl.emit_with(role, w, content::HANDSHAKE, epoch, handshake::HEADER_LEN + n, &mut |dst| {
                let (hdr, frag) = dst.split_at_mut(handshake::HEADER_LEN);
                handshake::write_header(&mut Writer::new(hdr), &h)?;
                let mut bw = Writer::window(frag, off_us);
                body(item.msg_type, &mut bw)?;
                // Written again from the state: it must be the message we
                // sent (and hashed) before.
                if bw.len() != total {
                    return Err(Error::Internal);
                }
                Ok(())
            })?;
            records += 1;
            let done = off_us + n >= total;
            self.advance((off_us + n) as u32, done);
            if !done {
                break;
            }
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(msg_type: u8, seq: u16, len: u32, epoch: u8) -> Item {
        Item { len, seq, msg_type, epoch }
    }

    #[test]
    fn items_are_walked_in_order() {
        let mut f = Flight::new_box_zeroed().unwrap();
        f.clear();
        f.push(item(14, 5, 3, 0)).unwrap();
        f.push(item(CCS, 0, 0, 0)).unwrap();
        f.push(item(20, 6, 12, 1)).unwrap();
        assert_eq!(f.message_count(), 2);
        f.start_sending();
        assert_eq!(f.current(), Some((item(14, 5, 3, 0), 0)));
        f.advance(2, false);
        assert_eq!(f.current().unwrap().1, 2);
        f.advance(3, true);
        assert_eq!(f.current().unwrap().0.msg_type, CCS);
        f.advance(0, true);
        assert_eq!(f.current().unwrap().0.epoch, 1);
        f.advance(12, true);
        assert!(!f.sending && f.current().is_none());
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let mut f = Flight::new_box_zeroed().unwrap();
        f.clear();
        for _ in 0..MAX_ITEMS {
            f.push(item(1, 0, 0, 0)).unwrap();
        }
        assert_eq!(f.push(item(1, 0, 0, 0)), Err(Error::Internal));
    }

    /// A message is cut into fragments that reassemble to the body its
    /// writer produces; a writer that no longer produces the length the
    /// flight was built with fails instead of sending something else.
    #[test]
    fn fragments_are_written_from_the_body_writer() {
        let mut f = Flight::new_box_zeroed().unwrap();
        let mut rl = RecordState::new_box_zeroed().unwrap();
        f.clear();
        f.push(item(11, 2, 300, 0)).unwrap();
        f.send(0, 1, true, 1000);
        let mut body = |_t: u8, w: &mut Writer<'_>| -> Result<(), Error> {
            for i in 0..300u32 {
                w.u8(i as u8)?;
            }
            Ok(())
        };
        let mut got = std::vec::Vec::new();
        let mut dgram = [0u8; 128];
        while f.sending {
            let mut w = Writer::new(&mut dgram);
            assert_eq!(f.write_datagram(&mut rl, Role::Server, 16_384, &mut w, &mut body).unwrap(), 1);
            let rec = w.written();
            // record header 13 + handshake header 12
            assert_eq!(rec[13], 11);
            got.extend_from_slice(&rec[25..]);
        }
        assert_eq!(got, (0..300u32).map(|i| i as u8).collect::<std::vec::Vec<_>>());
        f.start_sending();
        let mut short = |_t: u8, w: &mut Writer<'_>| w.put(&[0; 10]);
        let mut w = Writer::new(&mut dgram);
        assert_eq!(f.write_datagram(&mut rl, Role::Server, 16_384, &mut w, &mut short), Err(Error::Internal));
    }
}
