//! client_certificate_url (RFC 6066 section 5, extension 2; feature
//! `cert-url`): empty in both hellos. A client that offers it may send
//! CertificateURL (handshake type 21, msg/certificate_url.rs) instead of
//! its Certificate when the server echoes it.

use super::CLIENT_CERTIFICATE_URL;
use crate::codec::Writer;
use crate::error::{Error, Fatal};

/// The extension, offer and echo alike (type 2, empty).
pub(crate) fn write(w: &mut Writer<'_>) -> Result<(), Error> {
    w.u16(CLIENT_CERTIFICATE_URL)?;
    w.u16(0)
}

/// Either side: its data must be empty ("extension_data" is empty,
/// RFC 6066 section 5); anything else is decode_error.
pub(crate) fn read(data: &[u8]) -> Result<(), Fatal> {
    if data.is_empty() {
        Ok(())
    } else {
        Err(Fatal::decode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_both_ways() {
        let mut buf = [0u8; 8];
        let mut w = Writer::new(&mut buf);
        write(&mut w).unwrap();
        assert_eq!(w.written(), &[0, 2, 0, 0]);
        assert!(read(&[]).is_ok());
        assert!(read(&[0]).is_err());
    }
}
