//! The tls12_cid record of RFC 9146 (feature `cid`): content type 25, the
//! connection ID in the header after the sequence number, the
//! DTLSInnerPlaintext (content, real type, zero padding) inside the AEAD,
//! and the additional data of RFC 9146 section 5 (AEAD ciphers):
//!
//! ```text
//! seq_num_placeholder (8 x 0xff) || tls12_cid (25) || cid_length ||
//! tls12_cid (25) || version || epoch || sequence_number || cid ||
//! length_of_DTLSInnerPlaintext
//! ```
//!
//! The nonce is that of every CCM record (the implicit salt and the
//! explicit epoch || sequence number carried in the fragment).
//! [`CidState`] holds both connection IDs of an association: the one the
//! peer puts in the records it sends us (`rx`, ours, from our RNG) and the
//! one we put in ours (`tx`, the peer's). An empty one means that
//! direction uses the ordinary record format (RFC 9146 section 3).

use zerocopy::FromZeros;

use super::{protect::DirectionKeys, DTLS10, DTLS12, EXPLICIT_NONCE_LEN, MAX_SEQ};
use crate::codec::{Reader, Writer};
use crate::crypto::aead::{self, TagLen};
use crate::error::Error;
use crate::sizes::NANODTLS_MAX_CID;

/// tls12_cid content type (RFC 9146 section 10.2).
pub const TLS12_CID: u8 = 25;
/// Fixed part of a tls12_cid record header (the CID comes on top).
pub const FIXED_HEADER_LEN: usize = 13;
/// Longest additional data: 8 + 1 + 1 + 1 + 2 + 2 + 6 + CID + 2.
const MAX_AAD: usize = 23 + NANODTLS_MAX_CID;

/// The connection IDs of one association.
#[derive(Clone, FromZeros)]
#[repr(C)]
pub struct CidState {
    /// Ours: the peer sends it in every protected record to us.
    pub rx: [u8; NANODTLS_MAX_CID],
    /// The peer's: we send it in every protected record to the peer.
    pub tx: [u8; NANODTLS_MAX_CID],
    /// Authenticated tls12_cid records newer than every record before them
    /// (wrapping): what may move a peer's address (RFC 9146 section 6).
    pub advanced: u32,
    /// Length of `rx` (0: the peer sends ordinary records).
    pub rx_len: u8,
    /// Length of `tx` (0: we send ordinary records).
    pub tx_len: u8,
    /// The extension was negotiated (both sides sent it).
    pub negotiated: bool,
}

impl CidState {
    /// Our connection ID (what the peer sends).
    pub fn rx(&self) -> &[u8] {
        self.rx.get(..usize::from(self.rx_len)).unwrap_or(&[])
    }

    /// The peer's connection ID (what we send).
    pub fn tx(&self) -> &[u8] {
        self.tx.get(..usize::from(self.tx_len)).unwrap_or(&[])
    }

    /// Take the peer's connection ID (from its extension). `TooLarge` if
    /// it does not fit `NANODTLS_MAX_CID`; nothing changes then.
    pub fn set_tx(&mut self, cid: &[u8]) -> Result<(), Error> {
        let dst = self.tx.get_mut(..cid.len()).ok_or(Error::TooLarge)?;
        dst.copy_from_slice(cid);
        self.tx_len = cid.len() as u8;
        Ok(())
    }

    /// Draw our connection ID of `len` bytes from the RNG (0: we want
    /// none). Nothing changes on error.
    pub fn new_rx(&mut self, len: usize, rng: &mut dyn FnMut(&mut [u8]) -> Result<(), Error>) -> Result<(), Error> {
        let mut fresh = [0u8; NANODTLS_MAX_CID];
        let dst = fresh.get_mut(..len).ok_or(Error::InvalidArgument)?;
        rng(dst)?;
        self.rx = fresh;
        self.rx_len = len as u8;
        Ok(())
    }

    /// Extra bytes a protected record we send costs with the peer's CID
    /// (the CID in the header and the inner content type).
    pub fn tx_overhead(&self) -> usize {
        if self.negotiated && self.tx_len > 0 {
            usize::from(self.tx_len) + 1
        } else {
            0
        }
    }

    /// True if the peer must send tls12_cid records (in epoch 1).
    pub fn expects_cid(&self) -> bool {
        self.negotiated && self.rx_len > 0
    }
}

/// A parsed tls12_cid record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CidHeader {
    /// Version field.
    pub version: u16,
    /// Epoch.
    pub epoch: u16,
    /// 48-bit sequence number.
    pub seq: u64,
    /// Header length (13 plus the CID).
    pub header_len: usize,
    /// Fragment length.
    pub len: usize,
}

/// Parse a tls12_cid record header whose CID is `cid_len` bytes (the
/// receiver knows it: it chose it) and check its fragment is there. The
/// CID itself is at `11..11 + cid_len` of `bytes`.
pub fn parse_header(bytes: &[u8], cid_len: usize) -> Result<CidHeader, Error> {
    let mut h = Reader::new(bytes);
    let ctype = h.u8()?;
    let version = h.u16()?;
    let epoch = h.u16()?;
    let seq = h.u48()?;
    let _cid = h.take(cid_len)?;
    let len = h.u16()? as usize;
    if ctype != TLS12_CID || (version != DTLS12 && version != DTLS10) || h.remaining() < len {
        return Err(Error::Decode);
    }
    Ok(CidHeader { version, epoch, seq, header_len: FIXED_HEADER_LEN + cid_len, len })
}

/// The CID of a tls12_cid record that starts `datagram`, if it is one with
/// a CID of `cid_len` bytes (an endpoint's lookup key).
pub fn peek_cid(datagram: &[u8], cid_len: usize) -> Option<&[u8]> {
    if cid_len == 0 || *datagram.first()? != TLS12_CID {
        return None;
    }
    parse_header(datagram, cid_len).ok()?;
    datagram.get(11..11 + cid_len)
}

fn aad(cid: &[u8], version: u16, epoch: u16, seq: u64, inner_len: usize) -> Result<([u8; MAX_AAD], usize), Error> {
    let mut a = [0u8; MAX_AAD];
    let mut w = Writer::new(&mut a);
    w.put(&[0xff; 8])?;
    w.u8(TLS12_CID)?;
    w.u8(u8::try_from(cid.len()).map_err(|_| Error::TooLarge)?)?;
    w.u8(TLS12_CID)?;
    w.u16(version)?;
    w.u16(epoch)?;
    w.u48(seq)?;
    w.put(cid)?;
    w.u16(u16::try_from(inner_len).map_err(|_| Error::TooLarge)?)?;
    let n = w.len();
    Ok((a, n))
}

fn nonce(keys: &DirectionKeys, epoch: u16, seq: u64) -> ([u8; 8], [u8; 12]) {
    let mut explicit = [0u8; 8];
    explicit[..2].copy_from_slice(&epoch.to_be_bytes());
    explicit[2..].copy_from_slice(&seq.to_be_bytes()[2..]);
    let mut n = [0u8; 12];
    n[..4].copy_from_slice(&keys.salt);
    n[4..].copy_from_slice(&explicit);
    (explicit, n)
}

/// Append one protected tls12_cid record carrying `plain_len` bytes of
/// `ctype` (written in place by `fill`), with no padding. Nothing is
/// written if it does not fit; if `fill` fails, a partial record stays.
#[allow(clippy::too_many_arguments)]
pub fn write_record_with(
    w: &mut Writer<'_>,
    keys: &DirectionKeys,
    tag: TagLen,
    cid: &[u8],
    ctype: u8,
    epoch: u16,
    seq: u64,
    plain_len: usize,
    fill: &mut dyn FnMut(&mut [u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    seal_record_with(w, aead::BUILT_IN, keys, tag, cid, ctype, epoch, seq, plain_len, fill)
}

/// [`write_record_with`] sealing with `engine` (`Crypto` if its hook failed).
#[allow(clippy::too_many_arguments)]
pub fn seal_record_with(
    w: &mut Writer<'_>,
    engine: aead::Engine,
    keys: &DirectionKeys,
    tag: TagLen,
    cid: &[u8],
    ctype: u8,
    epoch: u16,
    seq: u64,
    plain_len: usize,
    fill: &mut dyn FnMut(&mut [u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    let inner = plain_len + 1;
    let total = EXPLICIT_NONCE_LEN + inner + tag.bytes();
    if w.remaining() < FIXED_HEADER_LEN + cid.len() + total {
        return Err(Error::BufferTooSmall);
    }
    if seq > MAX_SEQ || cid.is_empty() {
        return Err(Error::Internal);
    }
    w.u8(TLS12_CID)?;
    w.u16(DTLS12)?;
    w.u16(epoch)?;
    w.u48(seq)?;
    w.put(cid)?;
    w.u16(u16::try_from(total).map_err(|_| Error::TooLarge)?)?;
    let (explicit, n) = nonce(keys, epoch, seq);
    w.put(&explicit)?;
    let (a, alen) = aad(cid, DTLS12, epoch, seq, inner)?;
    let body = w.reserve(inner + tag.bytes())?;
    let (pt, t) = body.split_at_mut(inner);
    let (content, real_type) = pt.split_at_mut(plain_len);
    fill(content)?;
    real_type.fill(ctype);
    aead::seal_with(engine, tag, &keys.key, &n, a.get(..alen).ok_or(Error::Internal)?, pt, t)
}

/// Verify and decrypt the fragment of a tls12_cid record (`buf`, in
/// place) received with `cid`; strip the zero padding. Returns the real
/// content type and the content's range within `buf`; `Ok(None)` for an
/// authentic inner plaintext that is all zeros (no content type). `Err`:
/// too short or not authentic (nothing may change then).
pub fn open_in_place(
    h: &CidHeader,
    cid: &[u8],
    keys: &DirectionKeys,
    tag: TagLen,
    buf: &mut [u8],
) -> Result<Option<(u8, core::ops::Range<usize>)>, Error> {
    open_in_place_with(aead::BUILT_IN, h, cid, keys, tag, buf)
}

/// [`open_in_place`] with `engine`: `Decode` if too short or not
/// authentic, `Crypto` if the engine's hook failed.
pub fn open_in_place_with(
    engine: aead::Engine,
    h: &CidHeader,
    cid: &[u8],
    keys: &DirectionKeys,
    tag: TagLen,
    buf: &mut [u8],
) -> Result<Option<(u8, core::ops::Range<usize>)>, Error> {
    let n = buf.len();
    if n < EXPLICIT_NONCE_LEN + tag.bytes() + 1 {
        return Err(Error::Decode);
    }
    let inner_len = n - EXPLICIT_NONCE_LEN - tag.bytes();
    let explicit: [u8; 8] = buf.get(..EXPLICIT_NONCE_LEN).and_then(|s| s.try_into().ok()).ok_or(Error::Decode)?;
    let (a, alen) = aad(cid, h.version, h.epoch, h.seq, inner_len)?;
    let mut nn = [0u8; 12];
    nn[..4].copy_from_slice(&keys.salt);
    nn[4..].copy_from_slice(&explicit);
    let (body, t) = buf.get_mut(EXPLICIT_NONCE_LEN..).ok_or(Error::Decode)?.split_at_mut(inner_len);
    aead::open_with(engine, tag, &keys.key, &nn, a.get(..alen).ok_or(Error::Internal)?, body, t)?;
    // The real type is the last non-zero byte (RFC 9146 section 4).
    let Some(at) = body.iter().rposition(|&b| b != 0) else { return Ok(None) };
    let ctype = *body.get(at).ok_or(Error::Decode)?;
    Ok(Some((ctype, EXPLICIT_NONCE_LEN..EXPLICIT_NONCE_LEN + at)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record with `pad` zero bytes after the real type 23, as a peer
    /// may send: sealed as content `plain || 23 || zeros(pad)` of type 0
    /// (whose own type byte is one more zero of padding).
    fn seal(cid: &[u8], plain: &[u8], pad: usize, keys: &DirectionKeys) -> std::vec::Vec<u8> {
        let content = [plain, &[23u8], &std::vec![0u8; pad][..]].concat();
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf);
        write_record_with(&mut w, keys, TagLen::Eight, cid, 0, 1, 9, content.len(), &mut |dst| {
            dst.copy_from_slice(&content);
            Ok(())
        })
        .unwrap();
        w.written().to_vec()
    }

    #[test]
    fn round_trip_padding_and_tamper() {
        let keys = DirectionKeys { key: [3; 16], salt: [9; 4] };
        let cid = [0xaa, 0xbb, 0xcc];
        for pad in [0, 1, 7] {
            let wire = seal(&cid, b"ping", pad, &keys);
            assert_eq!(wire[0], TLS12_CID);
            assert_eq!(peek_cid(&wire, 3), Some(&cid[..]));
            assert_eq!(peek_cid(&wire, 0), None);
            let h = parse_header(&wire, 3).unwrap();
            assert_eq!((h.epoch, h.seq, h.header_len), (1, 9, 16));
            let mut frag = wire[h.header_len..].to_vec();
            let (t, r) = open_in_place(&h, &cid, &keys, TagLen::Eight, &mut frag).unwrap().unwrap();
            assert_eq!(t, 23);
            assert_eq!(&frag[r], b"ping");
            for i in 0..wire.len() {
                let mut bad = wire.clone();
                bad[i] ^= 1;
                let Ok(h) = parse_header(&bad, 3) else { continue };
                if h.len != wire.len() - h.header_len {
                    continue;
                }
                let mut frag = bad[h.header_len..].to_vec();
                let c = &bad[11..14];
                assert!(open_in_place(&h, c, &keys, TagLen::Eight, &mut frag).is_err(), "bit {i}");
            }
        }
    }

    #[test]
    fn all_zero_inner_plaintext_refused() {
        let keys = DirectionKeys { key: [1; 16], salt: [2; 4] };
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        write_record_with(&mut w, &keys, TagLen::Eight, &[5], 0, 1, 0, 3, &mut |d| {
            d.fill(0);
            Ok(())
        })
        .unwrap();
        let wire = w.written().to_vec();
        let h = parse_header(&wire, 1).unwrap();
        let mut frag = wire[h.header_len..].to_vec();
        assert_eq!(open_in_place(&h, &[5], &keys, TagLen::Eight, &mut frag), Ok(None));
        // A forged one is an error, not "no content type".
        let mut frag = wire[h.header_len..].to_vec();
        frag[9] ^= 1;
        assert!(open_in_place(&h, &[5], &keys, TagLen::Eight, &mut frag).is_err());
    }

    #[test]
    fn truncated_headers_refused() {
        let keys = DirectionKeys { key: [1; 16], salt: [2; 4] };
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        write_record_with(&mut w, &keys, TagLen::Eight, &[5, 6], 23, 1, 0, 2, &mut |d| {
            d.fill(7);
            Ok(())
        })
        .unwrap();
        let wire = w.written().to_vec();
        for cut in 0..wire.len() {
            assert!(parse_header(&wire[..cut], 2).is_err(), "cut {cut}");
        }
        assert!(parse_header(&wire, 2).is_ok());
        let mut ordinary = wire.clone();
        ordinary[0] = 23;
        assert!(parse_header(&ordinary, 2).is_err());
    }
}
