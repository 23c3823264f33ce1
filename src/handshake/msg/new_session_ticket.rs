//! NewSessionTicket (RFC 5077 3.3): a lifetime hint in seconds and the
//! opaque ticket (a vec16). A zero-length ticket means the server issued
//! none after all (RFC 5077 3.3: the client then keeps no ticket).

use crate::codec::{Reader, Writer};
use crate::error::Error;

/// A parsed NewSessionTicket.
pub struct NewSessionTicket<'a> {
    /// ticket_lifetime_hint (seconds; 0: unspecified).
    pub lifetime_hint: u32,
    /// The ticket (0..=65535 bytes, opaque to the client).
    pub ticket: &'a [u8],
}

impl<'a> NewSessionTicket<'a> {
    /// Parse a body: exactly a u32 and one vec16, nothing after.
    pub fn parse(body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let hint = r.array::<4>()?;
        let ticket = r.vec16()?;
        r.finish()?;
        Ok(NewSessionTicket { lifetime_hint: u32::from_be_bytes(hint), ticket })
    }
}

/// Write a body.
pub fn write(w: &mut Writer<'_>, lifetime_hint: u32, ticket: &[u8]) -> Result<(), Error> {
    w.put(&lifetime_hint.to_be_bytes())?;
    w.vec16(ticket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_refuse() {
        let ok = [0, 0, 0x1c, 0x20, 0, 3, 1, 2, 3];
        let t = NewSessionTicket::parse(&ok).unwrap();
        assert_eq!((t.lifetime_hint, t.ticket), (7200, &[1u8, 2, 3][..]));
        for cut in 0..ok.len() {
            assert!(NewSessionTicket::parse(&ok[..cut]).is_err(), "cut {cut}");
        }
        let mut long = ok.to_vec();
        long.push(0);
        assert!(NewSessionTicket::parse(&long).is_err());
        let empty = NewSessionTicket::parse(&[0, 0, 0, 0, 0, 0]).unwrap();
        assert!(empty.ticket.is_empty());
        let mut buf = [0u8; 9];
        let mut w = Writer::new(&mut buf);
        write(&mut w, 7200, &[1, 2, 3]).unwrap();
        assert_eq!(buf, ok);
    }
}
