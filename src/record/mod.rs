//! DTLS 1.2 record layer (RFC 6347 section 4.1): the record header and
//! content types here; record protection with AES-CCM in [`protect`], the
//! replay window in [`replay`], an association's epochs, sequence numbers
//! and keys in [`state`].

#[cfg(feature = "cid")]
pub mod cid;
pub mod protect;
pub mod replay;
pub mod state;

pub use protect::{
    open_in_place, open_in_place_with, protected_overhead, seal_record_with, write_record, write_record_with,
    DirectionKeys,
};
pub use replay::ReplayWindow;
pub use state::RecordState;

use crate::codec::{Reader, Writer};
use crate::error::Error;

/// DTLS 1.2 on the wire.
pub const DTLS12: u16 = 0xFEFD;
/// DTLS 1.0 on the wire (seen in ClientHello records and HelloVerifyRequest).
pub const DTLS10: u16 = 0xFEFF;
/// Record header length.
pub const HEADER_LEN: usize = 13;
/// Explicit nonce carried in every protected record (epoch || sequence).
pub const EXPLICIT_NONCE_LEN: usize = 8;
/// Largest sequence number in one epoch.
pub const MAX_SEQ: u64 = 0xFFFF_FFFF_FFFF;

/// Record content types.
pub mod content {
    /// change_cipher_spec
    pub const CCS: u8 = 20;
    /// alert
    pub const ALERT: u8 = 21;
    /// handshake
    pub const HANDSHAKE: u8 = 22;
    /// application_data
    pub const APPLICATION_DATA: u8 = 23;
    /// heartbeat (RFC 6520)
    pub const HEARTBEAT: u8 = 24;
    /// tls12_cid (RFC 9146): a protected record with a connection ID.
    pub const TLS12_CID: u8 = 25;

    /// Name of a content type (for the debug log).
    #[cfg(feature = "log")]
    pub fn name(t: u8) -> &'static str {
        match t {
            CCS => "change_cipher_spec",
            ALERT => "alert",
            HANDSHAKE => "handshake",
            APPLICATION_DATA => "application_data",
            HEARTBEAT => "heartbeat",
            TLS12_CID => "tls12_cid",
            _ => "unknown",
        }
    }
}

/// A parsed record header plus its fragment.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Content type.
    pub ctype: u8,
    /// Version field.
    pub version: u16,
    /// Epoch.
    pub epoch: u16,
    /// 48-bit sequence number.
    pub seq: u64,
    /// The header bytes as received (the first 11 bytes form the AEAD sequence and type/version).
    pub header: [u8; HEADER_LEN],
    /// Fragment (ciphertext for protected epochs).
    pub fragment: &'a [u8],
}

impl Record<'_> {
    /// The header fields.
    pub fn head(&self) -> RecordHeader {
        RecordHeader {
            ctype: self.ctype,
            version: self.version,
            epoch: self.epoch,
            seq: self.seq,
            len: self.fragment.len(),
        }
    }
}

/// The fields of a record header; the fragment of `len` bytes follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// Content type.
    pub ctype: u8,
    /// Version field.
    pub version: u16,
    /// Epoch.
    pub epoch: u16,
    /// 48-bit sequence number.
    pub seq: u64,
    /// Fragment length.
    pub len: usize,
}

/// Parse the record header at the start of `bytes` and check that its
/// fragment is there. On `Err` the rest of the datagram must be discarded
/// (the length field cannot be trusted).
pub fn parse_header(bytes: &[u8]) -> Result<RecordHeader, Error> {
    let mut h = Reader::new(bytes);
    let ctype = h.u8()?;
    let version = h.u16()?;
    let epoch = h.u16()?;
    let seq = h.u48()?;
    let len = h.u16()? as usize;
    if !matches!(ctype, 20..=24) {
        return Err(Error::Decode);
    }
    if version != DTLS12 && version != DTLS10 {
        return Err(Error::Decode);
    }
    if h.remaining() < len {
        return Err(Error::Decode);
    }
    Ok(RecordHeader { ctype, version, epoch, seq, len })
}

/// Parse the next record from a datagram. On `Err` the rest of the datagram
/// must be discarded (the length field cannot be trusted).
pub fn parse<'a>(r: &mut Reader<'a>) -> Result<Record<'a>, Error> {
    let h = parse_header(r.peek())?;
    let header: [u8; HEADER_LEN] = r.array()?;
    let fragment = r.take(h.len)?;
    Ok(Record { ctype: h.ctype, version: h.version, epoch: h.epoch, seq: h.seq, header, fragment })
}

/// Write a record header.
pub fn write_header(w: &mut Writer<'_>, ctype: u8, epoch: u16, seq: u64, len: usize) -> Result<(), Error> {
    w.u8(ctype)?;
    w.u16(DTLS12)?;
    w.u16(epoch)?;
    w.u48(seq)?;
    w.u16(u16::try_from(len).map_err(|_| Error::TooLarge)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_records_rejected() {
        let wire = [22u8, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 10, 1, 2, 3];
        for cut in 0..wire.len() {
            let mut r = Reader::new(&wire[..cut]);
            assert!(parse(&mut r).is_err());
        }
        let mut bad = wire;
        bad[0] = 99;
        assert!(parse(&mut Reader::new(&bad)).is_err());
    }
}
