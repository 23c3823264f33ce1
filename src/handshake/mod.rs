//! The DTLS handshake (RFC 6347 section 4.2): the handshake header and
//! fragments (4.2.2) here; one file per message in [`msg`], one per
//! extension in [`ext`], reassembly of fragmented messages (4.2.3) in
//! [`reassembly`], a handshake's state in `state`.

pub mod ext;
pub mod msg;
pub mod reassembly;
pub(crate) mod state;

use crate::codec::{Reader, Writer};
use crate::error::Error;

/// Length of the DTLS handshake header.
pub const HEADER_LEN: usize = 12;

/// The DTLS handshake header of one fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FragmentHeader {
    /// Message type.
    pub msg_type: u8,
    /// Length of the whole message body.
    pub length: u32,
    /// message_seq.
    pub seq: u16,
    /// Offset of this fragment in the body.
    pub frag_off: u32,
    /// Length of this fragment.
    pub frag_len: u32,
}

/// Where a handshake message came from: the record that completed it and
/// the message's own sequence number.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MsgOrigin {
    /// Record sequence number of the record that completed the message.
    pub record_seq: u64,
    /// message_seq of the message.
    pub message_seq: u16,
    /// Epoch of that record: 0 is unauthenticated (a refused message is
    /// discarded), 1 authenticated (a refused message ends the handshake).
    pub epoch: u16,
}

/// Parse one fragment (header and data) from a handshake record.
pub fn parse_fragment<'a>(r: &mut Reader<'a>) -> Result<(FragmentHeader, &'a [u8]), Error> {
    let msg_type = r.u8()?;
    let length = r.u24()?;
    let seq = r.u16()?;
    let frag_off = r.u24()?;
    let frag_len = r.u24()?;
    let end = frag_off.checked_add(frag_len).ok_or(Error::Decode)?;
    if end > length {
        return Err(Error::Decode);
    }
    let data = r.take(frag_len as usize)?;
    Ok((FragmentHeader { msg_type, length, seq, frag_off, frag_len }, data))
}

/// Write a handshake header.
pub fn write_header(w: &mut Writer<'_>, h: &FragmentHeader) -> Result<(), Error> {
    w.u8(h.msg_type)?;
    w.u24(h.length)?;
    w.u16(h.seq)?;
    w.u24(h.frag_off)?;
    w.u24(h.frag_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_bounds() {
        // Fragment claims to extend past the message length.
        let bad = [1u8, 0, 0, 10, 0, 0, 0, 0, 0, 8, 0, 0, 4, 1, 2, 3, 4];
        assert!(parse_fragment(&mut Reader::new(&bad)).is_err());
        // Overflowing offset.
        let bad = [1u8, 0xff, 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert!(parse_fragment(&mut Reader::new(&bad)).is_err());
        // Data shorter than frag_len.
        let bad = [1u8, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2];
        assert!(parse_fragment(&mut Reader::new(&bad)).is_err());
        let good = [1u8, 0, 0, 4, 0, 7, 0, 0, 2, 0, 0, 2, 1, 2];
        let (h, d) = parse_fragment(&mut Reader::new(&good)).unwrap();
        assert_eq!((h.seq, h.frag_off, h.frag_len, d), (7, 2, 2, &[1u8, 2][..]));
    }
}
