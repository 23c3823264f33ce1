//! record_size_limit (RFC 8449): each side says how large a protected
//! record's plaintext it is willing to receive (in TLS/DTLS 1.2 the value
//! counts the plaintext only: no padding, no content type). The client
//! offers its limit, a server that supports the extension answers with its
//! own; both then keep what they send within the peer's value. When a
//! ClientHello carries both this and max_fragment_length the server
//! ignores the latter (RFC 8449 section 5) and never answers both; a
//! client that receives both fails with illegal_parameter.

use super::RECORD_SIZE_LIMIT;
use crate::alert;
use crate::codec::Writer;
use crate::error::{Error, Fatal};

/// Smallest legal value (RFC 8449 section 4).
pub const MIN: u16 = 64;
/// Largest record plaintext of DTLS 1.2 (2^14): larger values are
/// legal on the wire but change nothing.
pub const MAX: u16 = 1 << 14;

/// Write the extension with `limit` (offer and answer look the same).
pub(crate) fn write(w: &mut Writer<'_>, limit: u16) -> Result<(), Error> {
    let [hi, lo] = limit.to_be_bytes();
    w.put(&[(RECORD_SIZE_LIMIT >> 8) as u8, RECORD_SIZE_LIMIT as u8, 0, 2, hi, lo])
}

/// Read the peer's value: exactly two bytes, at least 64 (else
/// illegal_parameter, RFC 8449 section 4; a malformed body is decode_error).
pub(crate) fn read(data: &[u8]) -> Result<u16, Fatal> {
    let v = match data {
        [hi, lo] => u16::from_be_bytes([*hi, *lo]),
        _ => return Err(Fatal::decode()),
    };
    if v < MIN {
        return Err(Fatal::alert(alert::ILLEGAL_PARAMETER));
    }
    Ok(v)
}

/// Largest plaintext we may put into one protected record toward a peer
/// that announced `peer` (capped at 2^14).
pub(crate) fn send_limit(peer: u16) -> usize {
    usize::from(peer.min(MAX))
}

/// Smallest value we announce on our own (configured 0): GnuTLS clients
/// refuse a server's value below 512 with illegal_parameter (RFC 8449
/// allows 64), and 512 is the smallest max_fragment_length anyway.
pub const AUTO_MIN: u16 = 512;

/// Our own value: the configured one, or (0) the largest plaintext that
/// keeps a protected record (CCM, 16-byte tag) within our MTU, what our
/// datagram buffers are sized for, but not below [`AUTO_MIN`]. Always
/// within MIN..=MAX.
pub(crate) fn own_limit(configured: u16, mtu: u16) -> u16 {
    if configured != 0 {
        return configured.clamp(MIN, MAX);
    }
    let overhead = crate::record::protected_overhead(crate::crypto::aead::TagLen::Sixteen);
    u16::try_from(usize::from(mtu).saturating_sub(overhead)).unwrap_or(MAX).clamp(AUTO_MIN, MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_and_rules() {
        let mut buf = [0u8; 8];
        let mut w = Writer::new(&mut buf);
        write(&mut w, 512).unwrap();
        assert_eq!(w.len(), 6);
        assert_eq!(&buf[..6], &[0, 28, 0, 2, 2, 0]);
        assert_eq!(read(&[2, 0]), Ok(512));
        assert_eq!(read(&[0, 64]), Ok(64));
        assert_eq!(read(&[0, 63]), Err(Fatal::alert(alert::ILLEGAL_PARAMETER)));
        assert_eq!(read(&[0, 0]), Err(Fatal::alert(alert::ILLEGAL_PARAMETER)));
        assert!(read(&[2]).is_err() && read(&[]).is_err() && read(&[0, 2, 0]).is_err());
        assert_eq!(send_limit(0xffff), 16384);
        assert_eq!(send_limit(100), 100);
        assert_eq!(own_limit(0, 1280), 1280 - 37);
        assert_eq!(own_limit(0, 800), 800 - 37);
        assert_eq!(own_limit(0, 549), 512);
        assert_eq!(own_limit(0, 128), 512);
        assert_eq!(own_limit(100, 1280), 100);
        assert_eq!(own_limit(700, 1280), 700);
        assert_eq!(own_limit(20000, 1280), 16384);
    }
}
