//! heartbeat (RFC 6520 section 2): each side says whether the other may
//! send requests (1 peer_allowed_to_send, 2 peer_not_allowed_to_send).
//! We always send 1: we answer the peer's requests.

use super::HEARTBEAT;
use crate::alert;
use crate::codec::Writer;
use crate::error::{Error, Fatal};

/// peer_allowed_to_send.
pub const PEER_ALLOWED_TO_SEND: u8 = 1;

const ENCODED: [u8; 5] = [(HEARTBEAT >> 8) as u8, HEARTBEAT as u8, 0, 1, PEER_ALLOWED_TO_SEND];

/// Client offer and server answer: peer_allowed_to_send.
pub(crate) fn write(w: &mut Writer<'_>) -> Result<(), Error> {
    w.put(&ENCODED)
}

/// The peer's mode (1 or 2); anything else is illegal_parameter.
pub(crate) fn read(data: &[u8]) -> Result<u8, Fatal> {
    match data {
        [m @ (1 | 2)] => Ok(*m),
        _ => Err(Fatal::alert(alert::ILLEGAL_PARAMETER)),
    }
}
