//! Finished (RFC 5246 7.4.9): verify_data over the transcript; computed
//! by keys::verify_data, checked in constant time by the association.

use crate::codec::Writer;
use crate::error::Error;
use crate::keys::VERIFY_DATA_LEN;

/// Parse a Finished body: exactly verify_data.
pub fn parse(body: &[u8]) -> Result<[u8; VERIFY_DATA_LEN], Error> {
    body.try_into().map_err(|_| Error::Decode)
}

/// Write one.
pub(crate) fn write(w: &mut Writer<'_>, verify_data: &[u8; VERIFY_DATA_LEN]) -> Result<(), Error> {
    w.put(verify_data)
}
