//! ServerHello (RFC 5246 7.4.1.3).

use crate::codec::{Reader, Writer};
use crate::error::Error;
use crate::handshake::ext::{self, Extensions};
use crate::record::DTLS12;

/// A parsed ServerHello.
#[derive(Clone)]
pub struct ServerHello<'a> {
    /// server_version.
    pub version: u16,
    /// Server random.
    pub random: [u8; 32],
    /// Session ID.
    pub session_id: &'a [u8],
    /// Chosen cipher suite.
    pub suite: u16,
    /// Chosen compression method.
    pub compression: u8,
    /// Extensions (validated).
    pub extensions: Extensions<'a>,
}

impl<'a> ServerHello<'a> {
    /// Parse a ServerHello body.
    pub fn parse(body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let version = r.u16()?;
        let random = r.array()?;
        let session_id = r.vec8()?;
        if session_id.len() > 32 {
            return Err(Error::Decode);
        }
        let suite = r.u16()?;
        let compression = r.u8()?;
        let ext_block = if r.is_empty() { &[][..] } else { r.vec16()? };
        r.finish()?;
        Ok(ServerHello { version, random, session_id, suite, compression, extensions: Extensions::parse(ext_block)? })
    }
}

/// Write a ServerHello body: DTLS 1.2, `random`, `session_id`, `suite`,
/// null compression, and the extensions of `answer` (no extensions block
/// when there is nothing to answer).
pub(crate) fn write(
    w: &mut Writer<'_>,
    random: &[u8; 32],
    session_id: &[u8],
    suite: u16,
    answer: &ext::Answer,
) -> Result<(), Error> {
    w.u16(DTLS12)?;
    w.put(random)?;
    w.vec8(session_id)?;
    w.u16(suite)?;
    w.u8(0)?;
    if !answer.any() {
        return Ok(());
    }
    let l = w.begin_len(2)?;
    ext::write_answer(w, answer)?;
    w.end_len(l)
}
