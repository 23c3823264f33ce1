//! Hello extensions: identifiers and a checked iterator.

use crate::codec::Reader;
use crate::error::Error;

/// server_name (RFC 6066)
pub const SERVER_NAME: u16 = 0;
/// max_fragment_length (RFC 6066)
pub const MAX_FRAGMENT_LENGTH: u16 = 1;
/// client_certificate_url (RFC 6066)
pub const CLIENT_CERTIFICATE_URL: u16 = 2;
/// supported_groups (RFC 8422)
pub const SUPPORTED_GROUPS: u16 = 10;
/// ec_point_formats (RFC 8422)
pub const EC_POINT_FORMATS: u16 = 11;
/// signature_algorithms (RFC 5246)
pub const SIGNATURE_ALGORITHMS: u16 = 13;
/// heartbeat (RFC 6520)
pub const HEARTBEAT: u16 = 15;
/// client_certificate_type (RFC 7250)
pub const CLIENT_CERTIFICATE_TYPE: u16 = 19;
/// server_certificate_type (RFC 7250)
pub const SERVER_CERTIFICATE_TYPE: u16 = 20;
/// extended_master_secret (RFC 7627)
pub const EXTENDED_MASTER_SECRET: u16 = 23;
/// cached_info (RFC 7924)
pub const CACHED_INFO: u16 = 25;
/// renegotiation_info (RFC 5746)
pub const RENEGOTIATION_INFO: u16 = 0xff01;

/// A plausible DNS host name for SNI: letters, digits, '-' and '.', no
/// empty labels, and not an IPv4 literal (RFC 6066 forbids addresses).
pub fn valid_host_name(name: &[u8]) -> bool {
    if name.is_empty() || name.first() == Some(&b'.') || name.last() == Some(&b'.') {
        return false;
    }
    let chars_ok = name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    let labels_ok = !name.windows(2).any(|w| w == b"..");
    let ipv4 = name.iter().all(|&b| b.is_ascii_digit() || b == b'.');
    chars_ok && labels_ok && !ipv4
}

/// Most extensions we accept in one hello (more is treated as malformed).
pub const MAX_EXTENSIONS: usize = 64;

/// Iterate over an extensions block (the content of the outer vector).
#[derive(Clone)]
pub struct Extensions<'a> {
    r: Reader<'a>,
}

impl<'a> Extensions<'a> {
    /// Validate the block: well-formed entries, no duplicates, bounded count.
    pub fn parse(block: &'a [u8]) -> Result<Self, Error> {
        let e = Extensions { r: Reader::new(block) };
        let mut seen = [0u16; MAX_EXTENSIONS];
        let mut n = 0usize;
        let mut it = e.clone();
        while let Some(item) = it.next_ext() {
            let (t, _) = item?;
            let prior = seen.get(..n).ok_or(Error::Decode)?;
            if prior.contains(&t) {
                return Err(Error::Decode);
            }
            *seen.get_mut(n).ok_or(Error::Decode)? = t;
            n += 1;
        }
        Ok(e)
    }

    /// The next (type, data) pair.
    pub fn next_ext(&mut self) -> Option<Result<(u16, &'a [u8]), Error>> {
        if self.r.is_empty() {
            return None;
        }
        Some((|| {
            let t = self.r.u16()?;
            let d = self.r.vec16()?;
            Ok((t, d))
        })())
    }

    /// Find one extension's data.
    pub fn find(&self, ext_type: u16) -> Option<&'a [u8]> {
        let mut it = self.clone();
        while let Some(Ok((t, d))) = it.next_ext() {
            if t == ext_type {
                return Some(d);
            }
        }
        None
    }
}

impl<'a> Iterator for Extensions<'a> {
    type Item = (u16, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        match self.next_ext() {
            Some(Ok(x)) => Some(x),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_overruns_rejected() {
        let ok = [0x00, 0x17, 0x00, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00];
        let e = Extensions::parse(&ok).unwrap();
        assert_eq!(e.find(EXTENDED_MASTER_SECRET), Some(&[][..]));
        assert_eq!(e.find(RENEGOTIATION_INFO), Some(&[0u8][..]));
        assert_eq!(e.clone().count(), 2);
        let dup = [0x00, 0x17, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00];
        assert!(Extensions::parse(&dup).is_err());
        let overrun = [0x00, 0x17, 0x00, 0x05, 0x00];
        assert!(Extensions::parse(&overrun).is_err());
        let trailing = [0x00, 0x17, 0x00];
        assert!(Extensions::parse(&trailing).is_err());
    }
}
