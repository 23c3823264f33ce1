//! ClientHello (RFC 5246 7.4.1.2; RFC 6347 4.2.1: with the cookie of a
//! HelloVerifyRequest).

use crate::codec::{Reader, Writer};
use crate::error::Error;
use crate::handshake::ext::{self, Extensions};
use crate::record::DTLS12;

/// A parsed ClientHello, borrowing from the reassembled message.
#[derive(Clone)]
pub struct ClientHello<'a> {
    /// client_version.
    pub version: u16,
    /// Client random.
    pub random: [u8; 32],
    /// Session ID offered for resumption (0..=32 bytes).
    pub session_id: &'a [u8],
    /// Cookie (empty on the first ClientHello).
    pub cookie: &'a [u8],
    /// Cipher suites, two bytes each.
    pub suites: &'a [u8],
    /// Compression methods.
    pub compressions: &'a [u8],
    /// Extensions (validated: well-formed, no duplicates).
    pub extensions: Extensions<'a>,
    /// The body bytes before the cookie (version, random, session_id) and
    /// after it (suites, compressions, extensions): the cookie binds these.
    pub before_cookie: &'a [u8],
    /// See `before_cookie`.
    pub after_cookie: &'a [u8],
}

impl<'a> ClientHello<'a> {
    /// Parse and validate a ClientHello body.
    pub fn parse(body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let version = r.u16()?;
        let random = r.array()?;
        let session_id = r.vec8()?;
        if session_id.len() > 32 {
            return Err(Error::Decode);
        }
        let before_len = r.position();
        let cookie = r.vec8()?;
        let after_start = r.position();
        let suites = r.vec16()?;
        if suites.is_empty() || suites.len() % 2 != 0 {
            return Err(Error::Decode);
        }
        let compressions = r.vec8()?;
        if compressions.is_empty() {
            return Err(Error::Decode);
        }
        let ext_block = if r.is_empty() { &[][..] } else { r.vec16()? };
        r.finish()?;
        let extensions = Extensions::parse(ext_block)?;
        Ok(ClientHello {
            version,
            random,
            session_id,
            cookie,
            suites,
            compressions,
            extensions,
            before_cookie: body.get(..before_len).ok_or(Error::Decode)?,
            after_cookie: body.get(after_start..).ok_or(Error::Decode)?,
        })
    }

    /// True if the client offered `suite`.
    pub fn offers(&self, suite: u16) -> bool {
        crate::codec::u16s(self.suites).any(|s| s == suite)
    }

    /// True if the client offered the null compression method.
    pub fn offers_null_compression(&self) -> bool {
        self.compressions.contains(&0)
    }

    /// True if the client can speak DTLS 1.2 (client_version is the highest
    /// it supports; DTLS versions count down).
    pub fn supports_dtls12(&self) -> bool {
        self.version <= DTLS12 && self.version >= 0xFE00
    }
}

/// Write a ClientHello body: DTLS 1.2, `random`, `session_id` (to resume,
/// or empty), `cookie` (empty at first), `suites` (in preference order,
/// 0 ends the list), null compression only (RFC 7925), and the extensions
/// of `offer`.
pub(crate) fn write(
    w: &mut Writer<'_>,
    random: &[u8; 32],
    session_id: &[u8],
    cookie: &[u8],
    suites: &[u16],
    offer: &ext::Offer<'_>,
) -> Result<(), Error> {
    w.u16(DTLS12)?;
    w.put(random)?;
    w.vec8(session_id)?;
    w.vec8(cookie)?;
    let l = w.begin_len(2)?;
    for &s in suites.iter().take_while(|&&s| s != 0) {
        w.u16(s)?;
    }
    w.end_len(l)?;
    w.vec8(&[0])?;
    let l = w.begin_len(2)?;
    ext::write_offer(w, offer)?;
    w.end_len(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_ch(cookie: &[u8], exts: Option<&[u8]>) -> std::vec::Vec<u8> {
        let mut v = vec![0xfe, 0xfd];
        v.extend_from_slice(&[7u8; 32]);
        v.push(0); // session id
        v.push(cookie.len() as u8);
        v.extend_from_slice(cookie);
        v.extend_from_slice(&[0, 2, 0xc0, 0xa8, 1, 0]);
        if let Some(e) = exts {
            v.extend_from_slice(&(e.len() as u16).to_be_bytes());
            v.extend_from_slice(e);
        }
        v
    }

    #[test]
    fn client_hello_parses_and_splits_around_cookie() {
        let body = sample_ch(b"abcd", Some(&[0x00, 0x17, 0x00, 0x00]));
        let ch = ClientHello::parse(&body).unwrap();
        assert_eq!(ch.cookie, b"abcd");
        assert!(ch.offers(0xC0A8));
        assert!(!ch.offers(0xC0A4));
        assert_eq!(ch.before_cookie.len(), 2 + 32 + 1);
        assert_eq!(ch.after_cookie, &body[2 + 32 + 1 + 5..]);
        assert!(ch.extensions.find(0x17).is_some());
        // Without extensions.
        let body = sample_ch(b"", None);
        assert!(ClientHello::parse(&body).is_ok());
    }

    #[test]
    fn client_hello_truncations_all_fail() {
        let body = sample_ch(b"abcd", Some(&[0x00, 0x17, 0x00, 0x00]));
        for cut in 0..body.len() {
            // Cutting exactly before the extensions block is a valid hello without extensions.
            if cut == body.len() - 6 {
                continue;
            }
            assert!(ClientHello::parse(&body[..cut]).is_err(), "cut {cut}");
        }
        let mut trailing = body.clone();
        trailing.push(0);
        assert!(ClientHello::parse(&trailing).is_err());
    }
}
