//! SessionTicket (RFC 5077 3.2), extension 35. The client sends it empty
//! (it wants a ticket) or with the ticket it holds; the server answers it
//! empty when it will send a NewSessionTicket.

use super::SESSION_TICKET;
use crate::codec::Writer;
use crate::error::{Error, Fatal};

/// Client offer: the ticket held (empty: none yet, but we want one).
pub(crate) fn write_offer(w: &mut Writer<'_>, ticket: &[u8]) -> Result<(), Error> {
    w.u16(SESSION_TICKET)?;
    w.vec16(ticket)
}

/// Server answer: always empty.
pub(crate) fn write_answer(w: &mut Writer<'_>) -> Result<(), Error> {
    w.u16(SESSION_TICKET)?;
    w.u16(0)
}

/// Server: the ticket the client offers (opaque; may be empty).
pub(crate) fn read_offer(data: &[u8]) -> &[u8] {
    data
}

/// Client: the server's answer must be empty (RFC 5077 3.2).
pub(crate) fn read_answer(data: &[u8]) -> Result<(), Fatal> {
    if data.is_empty() {
        Ok(())
    } else {
        Err(Fatal::decode())
    }
}
