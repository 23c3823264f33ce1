//! AuthorizedPublicKey (feature `authz-cert`, docs/ttp.md): a client's
//! P-256 key with an authorisation certificate from its trust anchor. This
//! module is the certificate's codec, the server's checks and the client's
//! pinned server key; the negotiation is in handshake/ext/cert_type.rs,
//! the messages in client/ and server/ (`server/client_auth.rs`).
//!
//! In the handshake the Certificate message carries one MacCert the way
//! RFC 7250 carries a raw public key: `opaque authz_cert<1..2^24-1>`
//! ([`parse_certificate_message`]). The server's own Certificate is an
//! X.509 message with an empty certificate_list: the client verifies the
//! ServerKeyExchange with the server key it pinned ([`ClientAuthz`]).
//!
//! Wire encoding (ours; the seed leaves it open):
//! ```text
//! struct {
//!     opaque spki<1..2^24-1>;          /* DER SubjectPublicKeyInfo, P-256 */
//!     opaque trust_anchor_id<1..2^8-1>;
//!     uint32 sequence_number;
//!     uint8  mac_algorithm;            /* RFC 5246 MACAlgorithm: hmac_sha256 = 3 */
//!     uint8  mac_length;               /* 32 */
//!     opaque mac[mac_length];
//! } MacCert;
//! ```
//! mac = HMAC-SHA256(K_RS-TA, the same encoding with mac_length = 0 and no
//! mac bytes). The server's checks, in this order: the structure (nothing
//! after the MAC, mac_algorithm 3, mac_length 32), the trust anchor is
//! known, the seq is fresh in its window, the SPKI is a valid P-256 key
//! (point on the curve), the MAC (constant time). Then the caller verifies
//! CertificateVerify with the key and commits the seq when the handshake
//! succeeds. Every refusal is answered with bad_certificate.

use super::ta::{Refusal, TrustAnchors};
use super::x509::der;
use super::TtpPending;
use crate::codec::{Reader, Writer};
use crate::crypto::ecc::POINT_LEN;
use crate::crypto::prf::HmacSha256;
use crate::error::Error;
use zerocopy::FromZeros;

/// MACAlgorithm hmac_sha256 (RFC 5246 A.6).
pub const MAC_HMAC_SHA256: u8 = 3;
/// Length of an HMAC-SHA256 MAC.
pub const MAC_LEN: usize = 32;

/// A parsed MacCert (structure only: nothing is verified).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MacCert<'a> {
    /// The client's SubjectPublicKeyInfo (DER).
    pub spki: &'a [u8],
    /// The trust anchor's id.
    pub ta_id: &'a [u8],
    /// The sequence number.
    pub seq: u32,
    /// The MAC.
    pub mac: &'a [u8; MAC_LEN],
}

/// Bytes of a MacCert for an SPKI and an id of these lengths.
pub const fn encoded_len(spki_len: usize, ta_id_len: usize) -> usize {
    3 + spki_len + 1 + ta_id_len + 4 + 1 + 1 + MAC_LEN
}

/// Parse a MacCert: `Decode` unless it is exactly one well-formed MacCert
/// with mac_algorithm hmac_sha256 and a 32-byte MAC.
pub fn parse(data: &[u8]) -> Result<MacCert<'_>, Error> {
    let mut r = Reader::new(data);
    let spki = r.vec24()?;
    let ta_id = r.vec8()?;
    let seq = u32::from_be_bytes(r.array::<4>()?);
    let alg = r.u8()?;
    let mac = r.vec8()?;
    r.finish()?;
    if spki.is_empty() || ta_id.is_empty() || alg != MAC_HMAC_SHA256 {
        return Err(Error::Decode);
    }
    let mac = <&[u8; MAC_LEN]>::try_from(mac).map_err(|_| Error::Decode)?;
    Ok(MacCert { spki, ta_id, seq, mac })
}

/// The MAC of a MacCert: HMAC-SHA256 with the trust anchor's key over the
/// encoding with mac_length 0 and no MAC bytes.
pub fn mac(ta_key: &[u8], spki: &[u8], ta_id: &[u8], seq: u32) -> Result<[u8; MAC_LEN], Error> {
    let spki_len =
        u32::try_from(spki.len()).ok().filter(|&n| (1..1 << 24).contains(&n)).ok_or(Error::InvalidArgument)?;
    let id_len = u8::try_from(ta_id.len()).ok().filter(|&n| n > 0).ok_or(Error::InvalidArgument)?;
    let l = spki_len.to_be_bytes();
    let m = HmacSha256::new(ta_key);
    Ok(m.mac(&[l.get(1..).ok_or(Error::Internal)?, spki, &[id_len], ta_id, &seq.to_be_bytes(), &[MAC_HMAC_SHA256, 0]]))
}

/// Trust anchor side: write the MacCert for the client key `spki_or_cert`
/// (a P-256 SubjectPublicKeyInfo DER, or an X.509 certificate DER whose
/// key is taken) with trust anchor `ta_id`, its key and `seq` into `out`;
/// its length. `InvalidArgument` if the key is not a valid P-256 key or
/// the id is empty or longer than 255 bytes; `BufferTooSmall`.
pub fn encode(ta_key: &[u8], ta_id: &[u8], seq: u32, spki_or_cert: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let spki = if der::parse_spki(spki_or_cert).is_ok() {
        spki_or_cert
    } else {
        let inner = der::x509_spki(spki_or_cert).map_err(|_| Error::InvalidArgument)?;
        der::parse_spki(inner).map_err(|_| Error::InvalidArgument)?;
        inner
    };
    let tag = mac(ta_key, spki, ta_id, seq)?;
    let n = encoded_len(spki.len(), ta_id.len());
    let dst = out.get_mut(..n).ok_or(Error::BufferTooSmall)?;
    let mut w = Writer::new(dst);
    w.u24(spki.len() as u32)?;
    w.put(spki)?;
    w.vec8(ta_id)?;
    w.put(&seq.to_be_bytes())?;
    w.u8(MAC_HMAC_SHA256)?;
    w.vec8(&tag)?;
    Ok(w.len())
}

/// The MacCert in a Certificate message (`opaque authz_cert<1..2^24-1>`).
pub fn parse_certificate_message(body: &[u8]) -> Result<&[u8], Error> {
    let mut r = Reader::new(body);
    let cert = r.vec24()?;
    r.finish()?;
    if cert.is_empty() {
        return Err(Error::Decode);
    }
    Ok(cert)
}

/// Write a Certificate message body carrying `cert` (a MacCert).
pub(crate) fn write_certificate_message(w: &mut Writer<'_>, cert: &[u8]) -> Result<(), Error> {
    let l = w.begin_len(3)?;
    w.put(cert)?;
    w.end_len(l)
}

/// Client: the resource server's public key, pinned (the TA gave it to the
/// client; the server sends no key in AuthzCert mode).
#[derive(FromZeros)]
#[repr(C)]
pub struct ClientAuthz {
    rs_point: [u8; POINT_LEN],
    has_rs: bool,
}

impl ClientAuthz {
    /// Pin the server's key: a P-256 SubjectPublicKeyInfo DER, or an X.509
    /// certificate DER whose key is taken. `InvalidArgument` otherwise.
    pub fn set_server_key(&mut self, spki_or_cert: &[u8]) -> Result<(), Error> {
        let point = match der::parse_spki(spki_or_cert) {
            Ok(p) => p,
            Err(_) => {
                let inner = der::x509_spki(spki_or_cert).map_err(|_| Error::InvalidArgument)?;
                der::parse_spki(inner).map_err(|_| Error::InvalidArgument)?
            }
        };
        self.rs_point.copy_from_slice(point);
        self.has_rs = true;
        Ok(())
    }

    /// The pinned server key (uncompressed point) and the SHA-256 of its
    /// SubjectPublicKeyInfo, if set.
    pub(crate) fn server_key(&self) -> Option<super::rpk::PeerKey> {
        if !self.has_rs {
            return None;
        }
        let mut spki = [0u8; crate::crypto::ecc::SPKI_LEN];
        crate::crypto::ecc::spki(&self.rs_point, &mut spki);
        Some(super::rpk::PeerKey { point: self.rs_point, hash: crate::crypto::sha256::sha256(&[&spki]) })
    }

    /// True once a server key is pinned.
    pub fn has_server_key(&self) -> bool {
        self.has_rs
    }

    /// Forget the pinned key.
    pub fn clear(&mut self) {
        self.zero();
    }
}

/// A MacCert that passed every check.
#[derive(Clone, Copy, Debug)]
pub struct Authorized {
    /// The client's public key (uncompressed point), for CertificateVerify.
    pub point: [u8; POINT_LEN],
    /// What to commit when the handshake succeeds.
    pub pending: TtpPending,
}

/// The debug log's words for an AuthzCert refusal.
pub(crate) fn reason(r: Refusal) -> &'static str {
    match r {
        Refusal::Malformed => "AuthzCert: malformed MacCert",
        Refusal::UnknownTa => "AuthzCert: unknown trust anchor",
        Refusal::Replayed => "AuthzCert: seq already used or revoked",
        Refusal::TooOld => "AuthzCert: seq left of the window",
        Refusal::Changed => "AuthzCert: trust anchor reset or removed during the handshake",
        Refusal::BadSpki => "AuthzCert: not a valid P-256 SubjectPublicKeyInfo",
        Refusal::BadMac => "AuthzCert: MAC does not verify",
    }
}

impl TrustAnchors {
    /// Server: check a client's MacCert (the checks and their order are in
    /// the module documentation). Refusals are counted; the caller answers
    /// them with bad_certificate.
    pub fn check_authz_cert(&self, cert: &[u8]) -> Result<Authorized, Refusal> {
        let c = parse(cert).map_err(|_| self.refuse(Refusal::Malformed))?;
        let (i, a) = self.check_fresh(c.ta_id, c.seq)?;
        let point = der::parse_spki(c.spki).map_err(|_| self.refuse(Refusal::BadSpki))?;
        let want = mac(a.key(), c.spki, c.ta_id, c.seq).map_err(|_| self.refuse(Refusal::Malformed))?;
        if !crate::crypto::ct_eq(&want, c.mac) {
            return Err(self.refuse(Refusal::BadMac));
        }
        let mut p = [0u8; POINT_LEN];
        p.copy_from_slice(point);
        self.count(|s| &mut s.authz_checked);
        Ok(Authorized { point: p, pending: self.pending(i, c.seq, super::TTP_AUTHZ_CERT) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::ecc;

    fn spki(n: u8) -> [u8; ecc::SPKI_LEN] {
        let mut k = [n; 32];
        k[0] = 0x10;
        let mut p = [0u8; POINT_LEN];
        ecc::public_point(&k, &mut p).unwrap();
        let mut s = [0u8; ecc::SPKI_LEN];
        ecc::spki(&p, &mut s);
        s
    }

    fn cert(key: &[u8], id: &[u8], seq: u32, n: u8) -> std::vec::Vec<u8> {
        let mut out = [0u8; 256];
        let len = encode(key, id, seq, &spki(n), &mut out).unwrap();
        out[..len].to_vec()
    }

    #[allow(dead_code)]
    mod kat {
        include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/ttp_vectors.rs"));
    }

    /// tests/vectors/ttp_vectors.py: MacCerts from Python's hmac and a
    /// textbook P-256.
    #[test]
    fn known_answers_from_an_independent_script() {
        assert!(!kat::MACCERT.is_empty());
        for &(name, ta_key, ta_id, seq, n, want_spki, want_mac, want_cert) in kat::MACCERT {
            assert_eq!(&spki(n)[..], want_spki, "{name}: test key SPKI");
            assert_eq!(&mac(ta_key, want_spki, ta_id, seq).unwrap()[..], want_mac, "{name}: MAC");
            let mut out = [0u8; 256];
            let len = encode(ta_key, ta_id, seq, want_spki, &mut out).unwrap();
            assert_eq!(&out[..len], want_cert, "{name}: encoding");
            let mut t = TrustAnchors::new_box_zeroed().unwrap();
            t.add(ta_id, ta_key, 16).unwrap();
            assert_eq!(t.check_authz_cert(want_cert).unwrap().pending.seq, seq, "{name}: accepted");
        }
    }

    #[test]
    fn encode_parse_round_trip() {
        let c = cert(&[5; 32], b"ta1", 9, 1);
        assert_eq!(c.len(), encoded_len(ecc::SPKI_LEN, 3));
        let p = parse(&c).unwrap();
        assert_eq!((p.spki, p.ta_id, p.seq), (&spki(1)[..], &b"ta1"[..], 9));
        assert_eq!(p.mac, &mac(&[5; 32], &spki(1), b"ta1", 9).unwrap());
        // The MAC covers the encoding with mac_length 0.
        let mut unmac = c[..c.len() - MAC_LEN].to_vec();
        *unmac.last_mut().unwrap() = 0;
        assert_eq!(p.mac, &crate::crypto::prf::hmac_sha256(&[5; 32], &[&unmac]));
        // Every truncation and an extra byte are malformed.
        for n in 0..c.len() {
            assert!(parse(&c[..n]).is_err(), "{n}");
        }
        let mut longer = c.clone();
        longer.push(0);
        assert!(parse(&longer).is_err());
        let mut other_alg = c.clone();
        other_alg[3 + ecc::SPKI_LEN + 1 + 3 + 4] = 4;
        assert!(parse(&other_alg).is_err());
        // encode refuses keys that are not P-256 and bad ids.
        let mut out = [0u8; 256];
        let mut off = spki(1);
        off[90] ^= 1;
        assert_eq!(encode(&[5; 32], b"t", 1, &off, &mut out), Err(Error::InvalidArgument));
        assert_eq!(encode(&[5; 32], b"", 1, &spki(1), &mut out), Err(Error::InvalidArgument));
        assert_eq!(encode(&[5; 32], &[b'x'; 256], 1, &spki(1), &mut out), Err(Error::InvalidArgument));
        assert_eq!(encode(&[5; 32], b"t", 1, &spki(1), &mut out[..100]), Err(Error::BufferTooSmall));
    }

    #[test]
    fn certificates_from_x509_use_the_leaf_key() {
        let der = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/test1.crt.der")).unwrap();
        let mut a = [0u8; 256];
        let mut b = [0u8; 256];
        let n = encode(&[5; 32], b"t", 1, &der, &mut a).unwrap();
        let m = encode(&[5; 32], b"t", 1, &spki(1), &mut b).unwrap();
        assert_eq!(&a[..n], &b[..m]);
    }

    #[test]
    fn certificate_message_framing_and_pinned_key() {
        let c = cert(&[5; 32], b"ta1", 9, 1);
        let mut buf = [0u8; 512];
        let mut w = Writer::new(&mut buf);
        write_certificate_message(&mut w, &c).unwrap();
        let msg = w.written().to_vec();
        assert_eq!(msg.len(), c.len() + 3);
        assert_eq!(parse_certificate_message(&msg).unwrap(), &c[..]);
        for n in 0..msg.len() {
            assert!(parse_certificate_message(&msg[..n]).is_err(), "{n}");
        }
        assert!(parse_certificate_message(&[0, 0, 0]).is_err(), "empty");
        let mut longer = msg.clone();
        longer.push(0);
        assert!(parse_certificate_message(&longer).is_err());
        let mut k = ClientAuthz::new_zeroed();
        assert!(k.server_key().is_none());
        let mut off = spki(2);
        off[90] ^= 1;
        assert_eq!(k.set_server_key(&off), Err(Error::InvalidArgument));
        assert!(!k.has_server_key());
        k.set_server_key(&spki(2)).unwrap();
        let pk = k.server_key().unwrap();
        assert_eq!(&pk.point[..], &spki(2)[26..]);
        assert_eq!(pk.hash, crate::crypto::sha256::sha256(&[&spki(2)]));
        let der = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/test1.crt.der")).unwrap();
        k.set_server_key(&der).unwrap();
        assert_eq!(&k.server_key().unwrap().point[..], &spki(1)[26..], "test1.crt carries test key 1");
        k.clear();
        assert!(!k.has_server_key());
    }

    #[test]
    fn server_checks_in_order() {
        let mut t = TrustAnchors::new_box_zeroed().unwrap();
        t.add(b"ta1", &[5; 32], 16).unwrap();
        let ok = cert(&[5; 32], b"ta1", 9, 1);
        let a = t.check_authz_cert(&ok).unwrap();
        assert_eq!(&a.point[..], &spki(1)[26..]);
        assert_eq!((a.pending.seq, a.pending.mode), (9, super::super::TTP_AUTHZ_CERT));
        // Forged: another key's MAC, a changed seq, a changed SPKI.
        assert_eq!(t.check_authz_cert(&cert(&[6; 32], b"ta1", 9, 1)).unwrap_err(), Refusal::BadMac);
        let mut seq = ok.clone();
        seq[3 + ecc::SPKI_LEN + 1 + 3 + 3] ^= 1;
        assert_eq!(t.check_authz_cert(&seq).unwrap_err(), Refusal::BadMac);
        let mut other = ok.clone();
        other[3..3 + ecc::SPKI_LEN].copy_from_slice(&spki(2));
        assert_eq!(t.check_authz_cert(&other).unwrap_err(), Refusal::BadMac);
        // Off-curve key, with a valid MAC over it: refused for the key.
        let mut off = spki(1);
        off[90] ^= 1;
        let tag = mac(&[5; 32], &off, b"ta1", 9).unwrap();
        let mut bad = ok.clone();
        bad[3..3 + ecc::SPKI_LEN].copy_from_slice(&off);
        let l = bad.len();
        bad[l - MAC_LEN..].copy_from_slice(&tag);
        assert_eq!(t.check_authz_cert(&bad).unwrap_err(), Refusal::BadSpki);
        // Unknown TA comes before the key, the window before the key.
        assert_eq!(t.check_authz_cert(&cert(&[5; 32], b"ta2", 9, 1)).unwrap_err(), Refusal::UnknownTa);
        t.revoke(b"ta1", 9).unwrap();
        assert_eq!(t.check_authz_cert(&bad).unwrap_err(), Refusal::Replayed, "seq checked before the key");
        assert_eq!(t.check_authz_cert(&ok[..ok.len() - 1]).unwrap_err(), Refusal::Malformed);
        let s = t.stats();
        assert_eq!(
            (s.authz_checked, s.refused_bad_mac, s.refused_bad_spki, s.refused_unknown_ta, s.refused_replayed),
            (1, 3, 1, 1, 1)
        );
        assert_eq!(s.refused_malformed, 1);
    }
}
