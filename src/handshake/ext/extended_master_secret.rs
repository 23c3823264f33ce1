//! extended_master_secret (RFC 7627): both sides send it empty; with it the
//! master secret is bound to the session hash (see keys.rs).

use super::EXTENDED_MASTER_SECRET;
use crate::codec::Writer;
use crate::error::{Error, Fatal};

/// The extension as offered and as answered: type, empty data.
const ENCODED: [u8; 4] = [(EXTENDED_MASTER_SECRET >> 8) as u8, EXTENDED_MASTER_SECRET as u8, 0, 0];

/// Client offer and server answer.
pub(crate) fn write(w: &mut Writer<'_>) -> Result<(), Error> {
    w.put(&ENCODED)
}

/// The extension's data in either hello: must be empty.
pub(crate) fn read(data: &[u8]) -> Result<(), Fatal> {
    if data.is_empty() {
        Ok(())
    } else {
        Err(Fatal::decode())
    }
}
