//! Record protection with AES-CCM (RFC 6347 section 4.1.2.1, RFC 6655
//! section 3): the nonce from the implicit salt and the explicit
//! epoch||sequence, the additional data, seal and open.

use zerocopy::FromZeros;

use super::{write_header, RecordHeader, DTLS12, EXPLICIT_NONCE_LEN, HEADER_LEN, MAX_SEQ};
use crate::codec::Writer;
use crate::crypto::aead::{self, TagLen};
use crate::error::Error;

/// Traffic keys of one direction.
#[derive(Clone, FromZeros)]
#[repr(C)]
pub struct DirectionKeys {
    /// AES-128 key.
    pub key: [u8; 16],
    /// Implicit 4-byte salt (client_write_IV / server_write_IV).
    pub salt: [u8; 4],
}

impl zeroize::Zeroize for DirectionKeys {
    fn zeroize(&mut self) {
        self.key.zeroize();
        self.salt.zeroize();
    }
}

fn nonce(keys: &DirectionKeys, explicit: &[u8; 8]) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..4].copy_from_slice(&keys.salt);
    n[4..].copy_from_slice(explicit);
    n
}

fn aad(epoch: u16, seq: u64, ctype: u8, version: u16, len: usize) -> Result<[u8; 13], Error> {
    let mut a = [0u8; 13];
    let mut w = Writer::new(&mut a);
    w.u16(epoch)?;
    w.u48(seq)?;
    w.u8(ctype)?;
    w.u16(version)?;
    w.u16(u16::try_from(len).map_err(|_| Error::TooLarge)?)?;
    Ok(a)
}

/// Overhead of a protected record beyond its plaintext.
pub const fn protected_overhead(tag: TagLen) -> usize {
    HEADER_LEN + EXPLICIT_NONCE_LEN + tag.bytes()
}

/// Append one record whose plaintext is the concatenation of `parts`.
/// With `keys` the record is protected (explicit nonce, AES-CCM, tag);
/// without, it is a plaintext epoch-0 record. Nothing is written on error.
pub fn write_record(
    w: &mut Writer<'_>,
    keys: Option<(&DirectionKeys, TagLen)>,
    ctype: u8,
    epoch: u16,
    seq: u64,
    parts: &[&[u8]],
) -> Result<(), Error> {
    let plain_len: usize = parts.iter().map(|p| p.len()).sum();
    write_record_with(w, keys, ctype, epoch, seq, plain_len, &mut |dst| {
        let mut at = 0;
        for p in parts {
            dst.get_mut(at..at + p.len()).ok_or(Error::Internal)?.copy_from_slice(p);
            at += p.len();
        }
        Ok(())
    })
}

/// Append one record of `plain_len` plaintext bytes, which `fill` writes
/// in place (then they are sealed there when `keys` are given). If `fill`
/// fails, a partial record stays in `w`: the caller drops the datagram.
pub fn write_record_with(
    w: &mut Writer<'_>,
    keys: Option<(&DirectionKeys, TagLen)>,
    ctype: u8,
    epoch: u16,
    seq: u64,
    plain_len: usize,
    fill: &mut dyn FnMut(&mut [u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    seal_record_with(w, aead::BUILT_IN, keys, ctype, epoch, seq, plain_len, fill)
}

/// [`write_record_with`] sealing with `engine` (`Crypto` if its hook
/// failed: a partial record stays in `w`, the caller drops the datagram).
#[allow(clippy::too_many_arguments)]
pub fn seal_record_with(
    w: &mut Writer<'_>,
    engine: aead::Engine,
    keys: Option<(&DirectionKeys, TagLen)>,
    ctype: u8,
    epoch: u16,
    seq: u64,
    plain_len: usize,
    fill: &mut dyn FnMut(&mut [u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    let overhead = match keys {
        Some((_, tag)) => EXPLICIT_NONCE_LEN + tag.bytes(),
        None => 0,
    };
    let total = plain_len + overhead;
    if w.remaining() < HEADER_LEN + total {
        return Err(Error::BufferTooSmall);
    }
    if seq > MAX_SEQ {
        return Err(Error::Internal);
    }
    write_header(w, ctype, epoch, seq, total)?;
    match keys {
        None => fill(w.reserve(plain_len)?),
        Some((k, tag)) => {
            let mut explicit = [0u8; 8];
            explicit[..2].copy_from_slice(&epoch.to_be_bytes());
            explicit[2..].copy_from_slice(&seq.to_be_bytes()[2..]);
            w.put(&explicit)?;
            let a = aad(epoch, seq, ctype, DTLS12, plain_len)?;
            let n = nonce(k, &explicit);
            let body = w.reserve(plain_len + tag.bytes())?;
            let (ct, t) = body.split_at_mut(plain_len);
            fill(ct)?;
            aead::seal_with(engine, tag, &k.key, &n, &a, ct, t)
        }
    }
}

/// Verify and decrypt a protected record's fragment held in `buf` (copied
/// there by the caller). Returns the plaintext range within `buf`.
pub fn open_in_place(
    rec: &RecordHeader,
    keys: &DirectionKeys,
    tag: TagLen,
    buf: &mut [u8],
) -> Result<core::ops::Range<usize>, Error> {
    open_in_place_with(aead::BUILT_IN, rec, keys, tag, buf)
}

/// [`open_in_place`] with `engine`: `Decode` if the record is not
/// authentic, `Crypto` if the engine's hook failed.
pub fn open_in_place_with(
    engine: aead::Engine,
    rec: &RecordHeader,
    keys: &DirectionKeys,
    tag: TagLen,
    buf: &mut [u8],
) -> Result<core::ops::Range<usize>, Error> {
    let n = buf.len();
    if n < EXPLICIT_NONCE_LEN + tag.bytes() {
        return Err(Error::Decode);
    }
    let plain_len = n - EXPLICIT_NONCE_LEN - tag.bytes();
    let explicit: [u8; 8] = buf.get(..EXPLICIT_NONCE_LEN).and_then(|s| s.try_into().ok()).ok_or(Error::Decode)?;
    let a = aad(rec.epoch, rec.seq, rec.ctype, rec.version, plain_len)?;
    let nn = nonce(keys, &explicit);
    let (body, t) = buf.get_mut(EXPLICIT_NONCE_LEN..).ok_or(Error::Decode)?.split_at_mut(plain_len);
    aead::open_with(engine, tag, &keys.key, &nn, &a, body, t)?;
    Ok(EXPLICIT_NONCE_LEN..EXPLICIT_NONCE_LEN + plain_len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Reader;
    use crate::record::{content, parse};

    #[test]
    fn record_round_trip_and_tamper() {
        let keys = DirectionKeys { key: [3; 16], salt: [9; 4] };
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf);
        write_record(&mut w, Some((&keys, TagLen::Eight)), content::APPLICATION_DATA, 1, 7, &[b"pi", b"ng"]).unwrap();
        let n = w.len();
        assert_eq!(n, HEADER_LEN + 8 + 4 + 8);
        let wire = buf[..n].to_vec();
        let mut r = Reader::new(&wire);
        let rec = parse(&mut r).unwrap();
        assert_eq!((rec.epoch, rec.seq, rec.ctype), (1, 7, 23));
        let mut tmp = rec.fragment.to_vec();
        let range = open_in_place(&rec.head(), &keys, TagLen::Eight, &mut tmp).unwrap();
        assert_eq!(&tmp[range], b"ping");
        // Any flipped bit in header or body fails authentication.
        for i in 0..n {
            let mut bad = wire.clone();
            bad[i] ^= 0x01;
            let mut r = Reader::new(&bad);
            let Ok(rec) = parse(&mut r) else { continue };
            if rec.fragment.len() != n - HEADER_LEN {
                continue;
            }
            let mut tmp = rec.fragment.to_vec();
            assert!(open_in_place(&rec.head(), &keys, TagLen::Eight, &mut tmp).is_err(), "bit {i}");
        }
    }
}
