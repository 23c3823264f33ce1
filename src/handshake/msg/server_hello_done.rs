//! ServerHelloDone (RFC 5246 7.4.5): empty.

use crate::error::Fatal;

/// Its body must be empty.
pub(crate) fn parse(body: &[u8]) -> Result<(), Fatal> {
    if body.is_empty() {
        Ok(())
    } else {
        Err(Fatal::decode())
    }
}
