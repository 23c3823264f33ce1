//! renegotiation_info (RFC 5746): sent with an empty renegotiated_connection
//! in every initial (and resumed) handshake; nanodtls never renegotiates
//! (RFC 7925), so it is only ever empty. A client may signal it with
//! TLS_EMPTY_RENEGOTIATION_INFO_SCSV instead.

use super::RENEGOTIATION_INFO;
use crate::alert;
use crate::codec::Writer;
use crate::error::{Error, Fatal};

/// The extension with an empty renegotiated_connection.
const ENCODED: [u8; 5] = [(RENEGOTIATION_INFO >> 8) as u8, RENEGOTIATION_INFO as u8, 0, 1, 0];

/// Client offer and server answer.
pub(crate) fn write(w: &mut Writer<'_>) -> Result<(), Error> {
    w.put(&ENCODED)
}

/// The extension's data in either hello: an empty renegotiated_connection,
/// else handshake_failure (RFC 5746 3.4, 3.6).
pub(crate) fn read(data: &[u8]) -> Result<(), Fatal> {
    if data == [0] {
        Ok(())
    } else {
        Err(Fatal::alert(alert::HANDSHAKE_FAILURE))
    }
}
