//! Reassembly of one fragmented handshake message at a time (RFC 6347
//! section 4.2.3), in a fixed buffer with a per-byte bitmap.
//!
//! Fragments may arrive out of order, overlap or repeat. Bytes already
//! received are never overwritten; a fragment whose overlapping bytes
//! disagree with what we have, or whose message type or length disagree
//! with the first fragment, is rejected as inconsistent.

use zerocopy::FromZeros;

use super::{FragmentHeader, HEADER_LEN};
use crate::sizes::NANODTLS_MAX_HANDSHAKE_MSG as MAX;

const BITMAP: usize = MAX.div_ceil(8);

/// Outcome of adding a fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Insert {
    /// Stored; more fragments needed.
    Incomplete,
    /// The message is complete: see [`Reassembly::message`].
    Complete,
    /// Conflicts with earlier fragments of the same message; dropped.
    Inconsistent,
    /// The message does not fit the reassembly buffer.
    TooLarge,
}

/// Reassembly buffer for the next expected message.
#[derive(FromZeros)]
#[repr(C)]
pub struct Reassembly {
    /// Header (normalised to an unfragmented header) followed by the body.
    buf: [u8; MAX],
    bits: [u8; BITMAP],
    length: u32,
    have: u32,
    seq: u16,
    msg_type: u8,
    active: bool,
}

impl Reassembly {
    /// Forget any partial message.
    pub fn reset(&mut self) {
        self.active = false;
        self.have = 0;
    }

    /// True while a message is partially received.
    pub fn in_progress(&self) -> bool {
        self.active
    }

    /// Add a fragment of message `h.seq` (the caller checked it is the next expected one).
    pub fn insert(&mut self, h: &FragmentHeader, data: &[u8]) -> Insert {
        let length = h.length as usize;
        if length.saturating_add(HEADER_LEN) > MAX {
            return Insert::TooLarge;
        }
        if !self.active || self.seq != h.seq {
            self.active = true;
            self.msg_type = h.msg_type;
            self.length = h.length;
            self.seq = h.seq;
            self.have = 0;
            let words = length.div_ceil(8);
            if let Some(b) = self.bits.get_mut(..words) {
                b.fill(0);
            }
            let hdr = FragmentHeader { frag_off: 0, frag_len: h.length, ..*h };
            let mut w = crate::codec::Writer::new(&mut self.buf);
            if super::write_header(&mut w, &hdr).is_err() {
                return Insert::TooLarge;
            }
        } else if self.msg_type != h.msg_type || self.length != h.length {
            return Insert::Inconsistent;
        }
        let off = h.frag_off as usize;
        let Some(end) = off.checked_add(data.len()) else {
            return Insert::Inconsistent;
        };
        if end > length {
            return Insert::Inconsistent;
        }
        // Pass 1: bytes we already hold must match.
        for (i, &b) in data.iter().enumerate() {
            let pos = off + i;
            if self.is_set(pos) && self.buf.get(HEADER_LEN + pos) != Some(&b) {
                return Insert::Inconsistent;
            }
        }
        // Pass 2: take the new bytes.
        for (i, &b) in data.iter().enumerate() {
            let pos = off + i;
            if !self.is_set(pos) {
                if let Some(slot) = self.buf.get_mut(HEADER_LEN + pos) {
                    *slot = b;
                }
                if let Some(bit) = self.bits.get_mut(pos / 8) {
                    *bit |= 1 << (pos % 8);
                }
                self.have += 1;
            }
        }
        if self.have == self.length {
            Insert::Complete
        } else {
            Insert::Incomplete
        }
    }

    /// True when a partial message of `h.seq` is held that `data`, the
    /// bytes of `h` at `h.frag_off`, disagrees with: another type or
    /// length, or other bytes where both have them ([`Reassembly::insert`]
    /// would say [`Insert::Inconsistent`]). Changes nothing.
    pub fn disagrees(&self, h: &FragmentHeader, data: &[u8]) -> bool {
        if !self.active || self.seq != h.seq {
            return false;
        }
        if self.msg_type != h.msg_type || self.length != h.length {
            return true;
        }
        let off = h.frag_off as usize;
        data.iter().enumerate().any(|(i, &b)| self.is_set(off + i) && self.buf.get(HEADER_LEN + off + i) != Some(&b))
    }

    fn is_set(&self, pos: usize) -> bool {
        self.bits.get(pos / 8).is_some_and(|b| b & (1 << (pos % 8)) != 0)
    }

    /// The complete message with an unfragmented header (valid after `Complete`).
    pub fn message(&self) -> &[u8] {
        self.buf.get(..HEADER_LEN + self.length as usize).unwrap_or(&[])
    }

    /// The complete message body.
    pub fn body(&self) -> &[u8] {
        self.buf.get(HEADER_LEN..HEADER_LEN + self.length as usize).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(len: u32, off: u32, flen: u32) -> FragmentHeader {
        FragmentHeader { msg_type: 1, length: len, seq: 3, frag_off: off, frag_len: flen }
    }

    fn fresh() -> std::boxed::Box<Reassembly> {
        Reassembly::new_box_zeroed().unwrap()
    }

    #[test]
    fn out_of_order_overlapping_duplicate() {
        let msg: std::vec::Vec<u8> = (0..100u8).collect();
        let mut r = fresh();
        assert_eq!(r.insert(&hdr(100, 50, 30), &msg[50..80]), Insert::Incomplete);
        assert_eq!(r.insert(&hdr(100, 50, 30), &msg[50..80]), Insert::Incomplete);
        assert_eq!(r.insert(&hdr(100, 0, 60), &msg[0..60]), Insert::Incomplete);
        assert_eq!(r.insert(&hdr(100, 70, 30), &msg[70..100]), Insert::Complete);
        assert_eq!(r.body(), &msg[..]);
        assert_eq!(&r.message()[..12], &[1, 0, 0, 100, 0, 3, 0, 0, 0, 0, 0, 100]);
    }

    #[test]
    fn inconsistent_fragments_rejected() {
        let msg = [5u8; 40];
        let mut r = fresh();
        assert_eq!(r.insert(&hdr(40, 0, 20), &msg[..20]), Insert::Incomplete);
        // Overlap with different content.
        assert_eq!(r.insert(&hdr(40, 10, 20), &[6u8; 20]), Insert::Inconsistent);
        // Different total length for the same message.
        assert_eq!(r.insert(&hdr(41, 20, 20), &msg[20..]), Insert::Inconsistent);
        // Different type.
        let mut h = hdr(40, 20, 20);
        h.msg_type = 2;
        assert_eq!(r.insert(&h, &msg[20..]), Insert::Inconsistent);
        // The good remainder still completes it.
        assert_eq!(r.insert(&hdr(40, 20, 20), &msg[20..]), Insert::Complete);
        assert_eq!(r.body(), &msg[..]);
    }

    #[test]
    fn disagrees_is_what_insert_calls_inconsistent() {
        let msg: std::vec::Vec<u8> = (0..40u8).collect();
        let mut r = fresh();
        // Nothing held: nothing to disagree with.
        assert!(!r.disagrees(&hdr(40, 0, 40), &msg));
        assert_eq!(r.insert(&hdr(40, 10, 10), &msg[10..20]), Insert::Incomplete);
        // The whole message with the same bytes agrees.
        assert!(!r.disagrees(&hdr(40, 0, 40), &msg));
        // Other bytes where the partial has some, another length, another type.
        let mut other = msg.clone();
        other[15] ^= 1;
        assert!(r.disagrees(&hdr(40, 0, 40), &other));
        other[15] ^= 1;
        other[25] ^= 1; // outside what is held: no conflict
        assert!(!r.disagrees(&hdr(40, 0, 40), &other));
        assert!(r.disagrees(&hdr(41, 0, 41), &[0u8; 41]));
        let mut h = hdr(40, 0, 40);
        h.msg_type = 2;
        assert!(r.disagrees(&h, &msg));
        // Another message_seq: a new message, no conflict.
        let mut h = hdr(40, 0, 40);
        h.seq = 4;
        assert!(!r.disagrees(&h, &other));
        // It changed nothing: the rest still completes the message.
        assert_eq!(r.insert(&hdr(40, 0, 10), &msg[..10]), Insert::Incomplete);
        assert_eq!(r.insert(&hdr(40, 20, 20), &msg[20..]), Insert::Complete);
        assert_eq!(r.body(), &msg[..]);
    }

    #[test]
    fn too_large_and_empty() {
        let mut r = fresh();
        assert_eq!(r.insert(&hdr(MAX as u32, 0, 0), &[]), Insert::TooLarge);
        assert_eq!(r.insert(&hdr(0, 0, 0), &[]), Insert::Complete);
        assert!(r.body().is_empty());
    }
}
