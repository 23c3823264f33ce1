//! client_certificate_type and server_certificate_type (RFC 7250): raw
//! public keys are preferred; a peer that cannot use them gets X.509 (our
//! certificate, and its leaf key pinned). A server's reading of the
//! client's lists is in `super::ec::EccCaps`.
//!
//! AuthzCert (feature `authz-cert`, docs/ttp.md): a client with a MacCert
//! offers client_certificate_type {AuthzCert} (a configurable codepoint,
//! 3 by default) and server_certificate_type {RPK, X.509}; a server with
//! trust anchors answers AuthzCert for the client and X.509 for itself
//! (then sends an empty certificate_list: the client pins its key).

use super::{CLIENT_CERTIFICATE_TYPE, SERVER_CERTIFICATE_TYPE};
use crate::alert;
use crate::codec::Writer;
use crate::error::{Error, Fatal};
use crate::handshake::msg::certificate::{CERT_TYPE_RAW_PUBLIC_KEY, CERT_TYPE_X509};

/// Raw public key first, X.509 accepted.
const BOTH: [u8; 3] = [2, CERT_TYPE_RAW_PUBLIC_KEY, CERT_TYPE_X509];

/// What a client offers (an ECDHE_ECDSA suite is among its suites).
#[derive(Clone, Copy)]
pub(crate) struct ClientOffer {
    /// Send the two extensions at all (tests emulate a stack without RFC 7250).
    pub types: bool,
    /// We have a key (for client authentication).
    pub own_key: bool,
    /// We also have an X.509 certificate for it.
    pub own_cert: bool,
    /// AuthzCert: offer only this client certificate type (its codepoint;
    /// 0: not offered).
    pub authz: u8,
    /// Offer only X.509 for the server's certificate (certificate mode
    /// without pinned keys: a raw public key could not be verified).
    pub server_x509_only: bool,
}

/// Client offer: server_certificate_type {RPK, X.509} ({X.509} in
/// certificate mode without pinned keys); with a key,
/// client_certificate_type {RPK, X.509} (with a certificate) or {RPK}.
pub(crate) fn write_offer(w: &mut Writer<'_>, o: &ClientOffer) -> Result<(), Error> {
    if !o.types {
        return Ok(());
    }
    w.u16(SERVER_CERTIFICATE_TYPE)?;
    if o.server_x509_only {
        w.vec16(&[1, CERT_TYPE_X509])?;
    } else {
        w.vec16(&BOTH)?;
    }
    if o.authz != 0 {
        w.u16(CLIENT_CERTIFICATE_TYPE)?;
        w.vec16(&[1, o.authz])?;
    } else if o.own_key && o.own_cert {
        w.u16(CLIENT_CERTIFICATE_TYPE)?;
        w.vec16(&BOTH)?;
    } else if o.own_key {
        w.u16(CLIENT_CERTIFICATE_TYPE)?;
        w.vec16(&[1, CERT_TYPE_RAW_PUBLIC_KEY])?;
    }
    Ok(())
}

/// A server's answer: the type chosen for each extension the client sent.
#[derive(Clone, Copy)]
pub(crate) struct Answer {
    /// Answer ec_point_formats (the client sent it).
    pub point_formats: bool,
    /// server_certificate_type to answer (0 X.509, 2 raw public key).
    pub server: Option<u8>,
    /// client_certificate_type to answer.
    pub client: Option<u8>,
}

/// Server answer (with ec_point_formats, which answers RFC 8422's offer).
pub(crate) fn write_answer(w: &mut Writer<'_>, a: &Answer) -> Result<(), Error> {
    if a.point_formats {
        super::ec::write_point_formats_answer(w)?;
    }
    // RFC 7250: answer the type extensions the client sent.
    if let Some(t) = a.server {
        w.u16(SERVER_CERTIFICATE_TYPE)?;
        w.vec16(&[t])?;
    }
    if let Some(t) = a.client {
        w.u16(CLIENT_CERTIFICATE_TYPE)?;
        w.vec16(&[t])?;
    }
    Ok(())
}

/// Client: the server's server_certificate_type; true for X.509.
pub(crate) fn read_server_answer(data: &[u8]) -> Result<bool, Fatal> {
    match data {
        [CERT_TYPE_RAW_PUBLIC_KEY] => Ok(false),
        [CERT_TYPE_X509] => Ok(true),
        _ => Err(Fatal::alert(alert::UNSUPPORTED_CERTIFICATE)),
    }
}

/// Client: the server's client_certificate_type when we offered AuthzCert
/// (codepoint `authz`): it must be that codepoint.
pub(crate) fn read_authz_answer(data: &[u8], authz: u8) -> Result<(), Fatal> {
    match data {
        [t] if *t == authz => Ok(()),
        _ => Err(Fatal::alert(alert::UNSUPPORTED_CERTIFICATE)),
    }
}

/// Client: the server's client_certificate_type (X.509 only if we have a
/// certificate); true for X.509.
pub(crate) fn read_client_answer(data: &[u8], have_cert: bool) -> Result<bool, Fatal> {
    match data {
        [CERT_TYPE_RAW_PUBLIC_KEY] => Ok(false),
        [CERT_TYPE_X509] if have_cert => Ok(true),
        _ => Err(Fatal::alert(alert::UNSUPPORTED_CERTIFICATE)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(o: &ClientOffer) -> std::vec::Vec<u8> {
        let mut buf = [0u8; 32];
        let mut w = Writer::new(&mut buf);
        write_offer(&mut w, o).unwrap();
        w.written().to_vec()
    }

    #[test]
    fn authz_offer_and_answer() {
        let o = ClientOffer { types: true, own_key: true, own_cert: true, authz: 3, server_x509_only: false };
        // server_certificate_type {RPK, X.509}; client_certificate_type {3} only.
        assert_eq!(offer(&o), [0, 20, 0, 3, 2, 2, 0, 0, 19, 0, 2, 1, 3]);
        let o = ClientOffer { authz: 224, ..o };
        assert_eq!(&offer(&o)[7..], [0, 19, 0, 2, 1, 224]);
        assert_eq!(read_authz_answer(&[224], 224), Ok(()));
        for bad in [&[3u8][..], &[2], &[0], &[], &[224, 224]] {
            assert_eq!(read_authz_answer(bad, 224), Err(Fatal::alert(alert::UNSUPPORTED_CERTIFICATE)), "{bad:?}");
        }
        // Without AuthzCert the offer is unchanged.
        let o = ClientOffer { types: true, own_key: true, own_cert: false, authz: 0, server_x509_only: false };
        assert_eq!(&offer(&o)[7..], [0, 19, 0, 2, 1, 2]);
    }
}
