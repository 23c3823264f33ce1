//! server_name (RFC 6066 section 3): the client names the host it wants
//! (one host_name, never an address literal); the server hands it to the
//! application and, when it took it, answers with an empty extension.

use super::SERVER_NAME;
use crate::codec::{Reader, Writer};
use crate::error::{Error, Fatal};

/// NameType host_name.
const HOST_NAME: u8 = 0;

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

/// Client offer: one host_name.
pub(crate) fn write_offer(w: &mut Writer<'_>, name: &[u8]) -> Result<(), Error> {
    w.u16(SERVER_NAME)?;
    let outer = w.begin_len(2)?;
    let list = w.begin_len(2)?;
    w.u8(HOST_NAME)?;
    w.vec16(name)?;
    w.end_len(list)?;
    w.end_len(outer)
}

/// Server answer: empty (RFC 6066 3).
pub(crate) fn write_answer(w: &mut Writer<'_>) -> Result<(), Error> {
    w.put(&[(SERVER_NAME >> 8) as u8, SERVER_NAME as u8, 0, 0])
}

/// Server: the host_name the client asks for, if any. Any printable name
/// goes to the application, which decides (RFC 6066 forbids clients to
/// send IP literals, but does not make servers abort on them).
pub(crate) fn read_offer(data: &[u8]) -> Result<Option<&[u8]>, Fatal> {
    parse(data).map_err(|_| Fatal::decode())
}

fn parse(data: &[u8]) -> Result<Option<&[u8]>, Error> {
    let mut r = Reader::new(data);
    let list = r.vec16()?;
    r.finish()?;
    let mut l = Reader::new(list);
    let mut host = None;
    while !l.is_empty() {
        let kind = l.u8()?;
        let name = l.vec16()?;
        if kind == HOST_NAME {
            // One host_name of printable ASCII (RFC 6066 3: no other form).
            if host.is_some() || name.is_empty() || !name.iter().all(|b| b.is_ascii_graphic()) {
                return Err(Error::Decode);
            }
            host = Some(name);
        }
    }
    Ok(host)
}

/// Client: the server's answer must be empty.
pub(crate) fn read_answer(data: &[u8]) -> Result<(), Fatal> {
    if data.is_empty() {
        Ok(())
    } else {
        Err(Fatal::decode())
    }
}
