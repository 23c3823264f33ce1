//! DerivedKey (feature `derived-key`, docs/ttp.md): a client's PSK derived
//! from its trust anchor's key and a nonce, which is its PSK identity.
//!
//! - nonce = `"DK." || ta_id || "." || client_id || "." || seq`: `ta_id`
//!   has no '.', `client_id` is any bytes (what lies between the second
//!   '.' and the last '.', so it may contain '.'), `seq` is a 32-bit
//!   number in decimal ASCII without leading zeros ("0" is zero).
//! - K_RS-C = the first 16 bytes (or all 32, per trust anchor) of one
//!   iteration of the TLS 1.2 P_SHA256 expansion with secret K_RS-TA and
//!   seed = nonce: `HMAC-SHA256(K, HMAC-SHA256(K, nonce) || nonce)`.
//!
//! On the server, when at least one trust anchor is configured, an
//! identity that starts with "DK." is handled by this mode alone (the
//! configured PSK and the application's lookup are not asked). The checks,
//! in this order: the nonce's format, the trust anchor is known, the seq
//! is fresh in its window; only then is the key derived, and the handshake
//! goes on as PSK. The window moves when the handshake succeeds
//! (`super::ta::TrustAnchors::commit`). Every refusal is answered like
//! an unknown PSK identity (decrypt_error, RFC 7925) and counted under its
//! reason.

use zeroize::{Zeroize, Zeroizing};

use super::ta::{Refusal, TrustAnchors};
use super::TtpPending;
use crate::crypto::prf::HmacSha256;
use crate::error::Error;
use crate::sizes::NANODTLS_MAX_PSK_IDENTITY;

/// The prefix that selects DerivedKey.
pub const PREFIX: &[u8] = b"DK.";
/// Longest nonce [`write_nonce`] writes (a PSK identity is at most 2^16-1
/// bytes on the wire).
pub const MAX_NONCE: usize = 65_535;

/// A parsed nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nonce<'a> {
    /// The trust anchor's id.
    pub ta_id: &'a [u8],
    /// The client's id (any bytes, possibly empty).
    pub client_id: &'a [u8],
    /// The sequence number.
    pub seq: u32,
}

/// True if `identity` selects DerivedKey (starts with "DK.").
pub fn is_derived_key_identity(identity: &[u8]) -> bool {
    identity.starts_with(PREFIX)
}

/// Decimal ASCII, no sign, no leading zero (except "0"), at most u32::MAX.
fn parse_seq(d: &[u8]) -> Option<u32> {
    match d {
        [] => None,
        [b'0'] => Some(0),
        [b'0', ..] => None,
        _ => d.iter().try_fold(0u32, |acc, &c| {
            if !c.is_ascii_digit() {
                return None;
            }
            acc.checked_mul(10)?.checked_add(u32::from(c - b'0'))
        }),
    }
}

/// Parse a nonce; `Decode` if it does not follow the format.
pub fn parse_nonce(nonce: &[u8]) -> Result<Nonce<'_>, Error> {
    let rest = nonce.strip_prefix(PREFIX).ok_or(Error::Decode)?;
    let dot = rest.iter().position(|&c| c == b'.').ok_or(Error::Decode)?;
    let (ta_id, after) = rest.split_at(dot);
    let after = after.get(1..).ok_or(Error::Decode)?;
    let last = after.iter().rposition(|&c| c == b'.').ok_or(Error::Decode)?;
    let (client_id, seq) = after.split_at(last);
    let seq = parse_seq(seq.get(1..).ok_or(Error::Decode)?).ok_or(Error::Decode)?;
    if ta_id.is_empty() {
        return Err(Error::Decode);
    }
    Ok(Nonce { ta_id, client_id, seq })
}

/// Write the nonce for (`ta_id`, `client_id`, `seq`) into `out`; its
/// length. `InvalidArgument` if `ta_id` is empty or contains '.', or the
/// nonce would be longer than [`MAX_NONCE`]; `BufferTooSmall`.
pub fn write_nonce(ta_id: &[u8], client_id: &[u8], seq: u32, out: &mut [u8]) -> Result<usize, Error> {
    if ta_id.is_empty() || ta_id.contains(&b'.') {
        return Err(Error::InvalidArgument);
    }
    let mut digits = [0u8; 10];
    let mut n = 0;
    let mut v = seq;
    loop {
        let slot = digits.get_mut(n).ok_or(Error::Internal)?;
        *slot = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let digits = digits.get_mut(..n).ok_or(Error::Internal)?;
    digits.reverse();
    let len = PREFIX.len() + ta_id.len() + 1 + client_id.len() + 1 + n;
    if len > MAX_NONCE {
        return Err(Error::InvalidArgument);
    }
    let dst = out.get_mut(..len).ok_or(Error::BufferTooSmall)?;
    let mut at = 0;
    for part in [PREFIX, ta_id, &b"."[..], client_id, &b"."[..], &digits[..]] {
        dst.get_mut(at..at + part.len()).ok_or(Error::Internal)?.copy_from_slice(part);
        at += part.len();
    }
    Ok(len)
}

/// K_RS-C (all 32 bytes; DerivedKey uses the first 16 or all 32):
/// `HMAC-SHA256(K, HMAC-SHA256(K, nonce) || nonce)`, the first block of
/// P_SHA256(K, nonce) (RFC 5246 section 5).
pub fn derive(ta_key: &[u8], nonce: &[u8]) -> Zeroizing<[u8; 32]> {
    let mac = HmacSha256::new(ta_key);
    let mut a1 = mac.mac(&[nonce]);
    let out = Zeroizing::new(mac.mac(&[&a1, nonce]));
    a1.zeroize();
    out
}

/// The debug log's words for a DerivedKey refusal.
pub(crate) fn reason(r: Refusal) -> &'static str {
    match r {
        Refusal::Malformed => "DerivedKey: malformed nonce",
        Refusal::UnknownTa => "DerivedKey: unknown trust anchor",
        Refusal::Replayed => "DerivedKey: seq already used or revoked",
        Refusal::TooOld => "DerivedKey: seq left of the window",
        Refusal::Changed => "DerivedKey: trust anchor reset or removed during the handshake",
        Refusal::BadSpki | Refusal::BadMac => "DerivedKey: refused",
    }
}

impl TrustAnchors {
    /// Server: the PSK for a DerivedKey `identity` into `key`: its length
    /// and what to commit when the handshake succeeds. Checks, in order:
    /// the nonce's format (and length: at most NANODTLS_MAX_PSK_IDENTITY),
    /// the trust anchor, the seq's freshness; then derives. Refusals are
    /// counted.
    pub fn derived_psk(&self, identity: &[u8], key: &mut [u8]) -> Result<(usize, TtpPending), Refusal> {
        let nonce = match parse_nonce(identity) {
            Ok(n) if identity.len() <= NANODTLS_MAX_PSK_IDENTITY => n,
            _ => return Err(self.refuse(Refusal::Malformed)),
        };
        let (i, a) = self.check_fresh(nonce.ta_id, nonce.seq)?;
        let k = derive(a.key(), identity);
        let n = a.derived_len();
        let (Some(dst), Some(src)) = (key.get_mut(..n), k.get(..n)) else {
            return Err(self.refuse(Refusal::Malformed));
        };
        dst.copy_from_slice(src);
        self.count(|s| &mut s.derived);
        Ok((n, self.pending(i, nonce.seq, super::TTP_DERIVED_KEY)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::FromZeros;

    #[allow(dead_code)]
    mod kat {
        include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/ttp_vectors.rs"));
    }

    /// tests/vectors/ttp_vectors.py: nonces and keys from Python's hmac.
    #[test]
    fn known_answers_from_an_independent_script() {
        assert!(kat::DERIVED_KEY.len() >= 5);
        for &(name, ta_key, ta_id, client_id, seq, nonce, key16, key32) in kat::DERIVED_KEY {
            let mut buf = [0u8; 512];
            let n = write_nonce(ta_id, client_id, seq, &mut buf).unwrap();
            assert_eq!(&buf[..n], nonce, "{name}: nonce");
            let p = parse_nonce(nonce).unwrap();
            assert_eq!((p.ta_id, p.client_id, p.seq), (ta_id, client_id, seq), "{name}: parse");
            assert_eq!(&derive(ta_key, nonce)[..], key32, "{name}: K_RS-C");
            for (len, want) in [(16, key16), (32, key32)] {
                let mut t = TrustAnchors::new_box_zeroed().unwrap();
                t.add(ta_id, ta_key, len).unwrap();
                let mut key = [0u8; 64];
                let (n, _) = t.derived_psk(nonce, &mut key).unwrap();
                assert_eq!(&key[..n], want, "{name}: {len}-byte PSK through the table");
            }
        }
    }

    #[test]
    fn nonces() {
        let n = parse_nonce(b"DK.ta1.client.7").unwrap();
        assert_eq!((n.ta_id, n.client_id, n.seq), (&b"ta1"[..], &b"client"[..], 7));
        let n = parse_nonce(b"DK.ta1.a.b.c.0").unwrap();
        assert_eq!((n.client_id, n.seq), (&b"a.b.c"[..], 0), "'.' inside the client id");
        let n = parse_nonce(b"DK.t..4294967295").unwrap();
        assert_eq!((n.client_id, n.seq), (&b""[..], u32::MAX), "empty client id");
        let n = parse_nonce(b"DK.t.\x00\xff.\n.12").unwrap();
        assert_eq!(n.client_id, b"\x00\xff.\n");
        for bad in [
            &b""[..],
            b"DK",
            b"DK.",
            b"dk.ta.c.1",
            b"DK.ta",
            b"DK.ta.1",
            b"DK..c.1",
            b"DK.ta.c.",
            b"DK.ta.c.01",
            b"DK.ta.c.00",
            b"DK.ta.c.+1",
            b"DK.ta.c.-1",
            b"DK.ta.c.1a",
            b"DK.ta.c. 1",
            b"DK.ta.c.4294967296",
            b"DK.ta.c.99999999999",
            b"XDK.ta.c.1",
        ] {
            assert_eq!(parse_nonce(bad), Err(Error::Decode), "{:?}", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn write_then_parse() {
        let mut buf = [0u8; 64];
        for (ta, c, seq) in [(&b"ta"[..], &b"x.y"[..], 0u32), (b"T", b"", 10), (b"ta", b"\x00.", u32::MAX)] {
            let n = write_nonce(ta, c, seq, &mut buf).unwrap();
            let p = parse_nonce(&buf[..n]).unwrap();
            assert_eq!((p.ta_id, p.client_id, p.seq), (ta, c, seq));
        }
        assert_eq!(write_nonce(b"DK.ta.c.10", b"", 0, &mut buf).unwrap_err(), Error::InvalidArgument);
        assert_eq!(write_nonce(b"a.b", b"c", 1, &mut buf), Err(Error::InvalidArgument));
        assert_eq!(write_nonce(b"", b"c", 1, &mut buf), Err(Error::InvalidArgument));
        assert_eq!(write_nonce(b"ta", b"c", 1, &mut buf[..8]), Err(Error::BufferTooSmall));
        assert_eq!(write_nonce(b"ta", b"c", 1, &mut buf[..9]), Ok(9));
    }

    #[test]
    fn derived_psk_checks_in_order_and_counts() {
        let mut t = TrustAnchors::new_box_zeroed().unwrap();
        t.add(b"ta1", &[7; 32], 16).unwrap();
        t.add(b"ta2", &[8; 16], 32).unwrap();
        let mut key = [0u8; 64];
        let (n, mut p) = t.derived_psk(b"DK.ta1.c.1", &mut key).unwrap();
        assert_eq!(n, 16);
        assert_eq!(&key[..16], &derive(&[7; 32], b"DK.ta1.c.1")[..16]);
        assert_eq!((p.seq, p.mode), (1, super::super::TTP_DERIVED_KEY));
        let (n, _) = t.derived_psk(b"DK.ta2.c.1", &mut key).unwrap();
        assert_eq!(n, 32);
        assert_eq!(&key[..32], &derive(&[8; 16], b"DK.ta2.c.1")[..]);
        assert_eq!(t.derived_psk(b"DK.ta1.c.01", &mut key), Err(Refusal::Malformed));
        assert_eq!(t.derived_psk(b"DK.ta3.c.1", &mut key), Err(Refusal::UnknownTa));
        // Not committed yet: still fresh. Committed: replayed.
        assert!(t.derived_psk(b"DK.ta1.c.1", &mut key).is_ok());
        assert_eq!(t.commit(&mut p), Ok(true));
        assert_eq!(t.derived_psk(b"DK.ta1.other-client.1", &mut key), Err(Refusal::Replayed));
        t.revoke(b"ta1", 1000).unwrap();
        assert_eq!(t.derived_psk(b"DK.ta1.c.2", &mut key), Err(Refusal::TooOld));
        let mut long = b"DK.ta1.".to_vec();
        long.resize(NANODTLS_MAX_PSK_IDENTITY, b'x');
        long.extend_from_slice(b".1001");
        assert_eq!(t.derived_psk(&long, &mut key), Err(Refusal::Malformed), "longer than the identity knob");
        let s = t.stats();
        assert_eq!(
            (s.derived, s.refused_malformed, s.refused_unknown_ta, s.refused_replayed, s.refused_too_old, s.accepted),
            (3, 2, 1, 1, 1, 1)
        );
    }
}
