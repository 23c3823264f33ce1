//! Hello extensions (RFC 5246 7.4.1.4): the identifiers, a checked
//! iterator, and the negotiation in one place. A client writes its offer
//! (`write_offer`) and checks the server's answer (`read_answer`); a
//! server reads the offer (`read_offer`) and writes its answer
//! (`write_answer`). Each extension has its file: its encoding and its
//! rule, both sides.

#[cfg(feature = "cached-info")]
pub mod cached_info;
#[cfg(feature = "ecc")]
pub mod cert_type;
#[cfg(feature = "cert-url")]
pub mod client_certificate_url;
#[cfg(feature = "cid")]
pub mod connection_id;
#[cfg(feature = "ecc")]
pub mod ec;
pub mod extended_master_secret;
pub mod heartbeat;
pub mod max_fragment_length;
pub mod record_size_limit;
pub mod renegotiation_info;
pub mod server_name;
#[cfg(feature = "tickets")]
pub mod session_ticket;

pub use server_name::valid_host_name;

use crate::alert;
use crate::codec::{Reader, Writer};
use crate::error::{Error, Fatal};

/// server_name (RFC 6066)
pub const SERVER_NAME: u16 = 0;
/// max_fragment_length (RFC 6066)
pub const MAX_FRAGMENT_LENGTH: u16 = 1;
/// client_certificate_url (RFC 6066)
pub const CLIENT_CERTIFICATE_URL: u16 = 2;
/// supported_groups (RFC 8422)
pub const SUPPORTED_GROUPS: u16 = 10;
/// ec_point_formats (RFC 8422)
pub const EC_POINT_FORMATS: u16 = 11;
/// signature_algorithms (RFC 5246)
pub const SIGNATURE_ALGORITHMS: u16 = 13;
/// heartbeat (RFC 6520)
pub const HEARTBEAT: u16 = 15;
/// client_certificate_type (RFC 7250)
pub const CLIENT_CERTIFICATE_TYPE: u16 = 19;
/// server_certificate_type (RFC 7250)
pub const SERVER_CERTIFICATE_TYPE: u16 = 20;
/// extended_master_secret (RFC 7627)
pub const EXTENDED_MASTER_SECRET: u16 = 23;
/// cached_info (RFC 7924)
pub const CACHED_INFO: u16 = 25;
/// record_size_limit (RFC 8449)
pub const RECORD_SIZE_LIMIT: u16 = 28;
/// SessionTicket (RFC 5077)
pub const SESSION_TICKET: u16 = 35;
/// connection_id (RFC 9146)
pub const CONNECTION_ID: u16 = 54;
/// renegotiation_info (RFC 5746)
pub const RENEGOTIATION_INFO: u16 = 0xff01;

/// Most extensions we accept in one hello (more is treated as malformed).
pub const MAX_EXTENSIONS: usize = 64;

/// Iterate over an extensions block (the content of the outer vector).
#[derive(Clone)]
pub struct Extensions<'a> {
    r: Reader<'a>,
}

impl<'a> Extensions<'a> {
    /// Validate the block: well-formed entries, no duplicates, bounded count.
    pub fn parse(block: &'a [u8]) -> Result<Self, Error> {
        let e = Extensions { r: Reader::new(block) };
        let mut seen = [0u16; MAX_EXTENSIONS];
        let mut n = 0usize;
        let mut it = e.clone();
        while let Some(item) = it.next_ext() {
            let (t, _) = item?;
            let prior = seen.get(..n).ok_or(Error::Decode)?;
            if prior.contains(&t) {
                return Err(Error::Decode);
            }
            *seen.get_mut(n).ok_or(Error::Decode)? = t;
            n += 1;
        }
        Ok(e)
    }

    /// The next (type, data) pair.
    pub fn next_ext(&mut self) -> Option<Result<(u16, &'a [u8]), Error>> {
        if self.r.is_empty() {
            return None;
        }
        Some((|| {
            let t = self.r.u16()?;
            let d = self.r.vec16()?;
            Ok((t, d))
        })())
    }

    /// Find one extension's data.
    pub fn find(&self, ext_type: u16) -> Option<&'a [u8]> {
        let mut it = self.clone();
        while let Some(Ok((t, d))) = it.next_ext() {
            if t == ext_type {
                return Some(d);
            }
        }
        None
    }
}

impl<'a> Iterator for Extensions<'a> {
    type Item = (u16, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        match self.next_ext() {
            Some(Ok(x)) => Some(x),
            _ => None,
        }
    }
}

/// True if a u16 list (vec16 content) contains `v`.
pub fn list16_contains(list: &[u8], v: u16) -> bool {
    crate::codec::u16s(list).any(|x| x == v)
}

/// Content of a supported_groups or signature_algorithms extension (a
/// vec16 of u16), validated.
pub fn list16(data: &[u8]) -> Result<&[u8], Error> {
    let mut r = Reader::new(data);
    let l = r.vec16()?;
    r.finish()?;
    if l.is_empty() || l.len() % 2 != 0 {
        return Err(Error::Decode);
    }
    Ok(l)
}

/// Content of an ec_point_formats or client-side certificate type
/// extension (a vec8 of u8), validated.
pub fn list8(data: &[u8]) -> Result<&[u8], Error> {
    let mut r = Reader::new(data);
    let l = r.vec8()?;
    r.finish()?;
    if l.is_empty() {
        return Err(Error::Decode);
    }
    Ok(l)
}

/// What a client offers in its ClientHello (fixed at connect; also what it
/// accepts back in the ServerHello).
pub(crate) struct Offer<'a> {
    /// server_name to ask for (empty: none).
    pub server_name: &'a [u8],
    /// max_fragment_length code (0: none).
    pub mfl_code: u8,
    /// record_size_limit to offer (0: none).
    pub rsl: u16,
    /// Offer heartbeat.
    pub heartbeat: bool,
    /// Offer connection_id with this CID (ours, possibly empty).
    #[cfg(feature = "cid")]
    pub cid: Option<&'a [u8]>,
    /// An ECDHE_ECDSA suite is offered: the ECC and certificate type extensions.
    #[cfg(feature = "ecc")]
    pub ecc: Option<cert_type::ClientOffer>,
    /// SessionTicket (RFC 5077): the ticket held, empty for none.
    #[cfg(feature = "tickets")]
    pub ticket: Option<&'a [u8]>,
    /// cached_info (RFC 7924): the hash of the server Certificate we kept.
    #[cfg(feature = "cached-info")]
    pub cached_cert: Option<&'a [u8; cached_info::HASH_LEN]>,
    /// cached_info: the hash of the server CertificateRequest we kept.
    #[cfg(feature = "cached-info")]
    pub cached_req: Option<&'a [u8; cached_info::HASH_LEN]>,
    /// client_certificate_url (RFC 6066 5): offered.
    #[cfg(feature = "cert-url")]
    pub cert_url: bool,
}

/// The extensions of a ClientHello: extended_master_secret,
/// renegotiation_info, then those the offer asks for.
pub(crate) fn write_offer(w: &mut Writer<'_>, o: &Offer<'_>) -> Result<(), Error> {
    extended_master_secret::write(w)?;
    renegotiation_info::write(w)?;
    if !o.server_name.is_empty() {
        server_name::write_offer(w, o.server_name)?;
    }
    if o.mfl_code != 0 {
        max_fragment_length::write(w, o.mfl_code)?;
    }
    if o.rsl != 0 {
        record_size_limit::write(w, o.rsl)?;
    }
    if o.heartbeat {
        heartbeat::write(w)?;
    }
    #[cfg(feature = "cid")]
    if let Some(cid) = o.cid {
        connection_id::write(w, cid)?;
    }
    #[cfg(feature = "ecc")]
    if let Some(e) = &o.ecc {
        ec::write_offer(w)?;
        cert_type::write_offer(w, e)?;
    }
    #[cfg(feature = "tickets")]
    if let Some(t) = o.ticket {
        session_ticket::write_offer(w, t)?;
    }
    #[cfg(feature = "cached-info")]
    if o.cached_cert.is_some() || o.cached_req.is_some() {
        cached_info::write_offer(w, o.cached_cert, o.cached_req)?;
    }
    #[cfg(feature = "cert-url")]
    if o.cert_url {
        client_certificate_url::write(w)?;
    }
    Ok(())
}

/// A ClientHello's offer as the server reads it.
pub(crate) struct Offered<'a> {
    /// extended_master_secret.
    pub ems: bool,
    /// renegotiation_info (or TLS_EMPTY_RENEGOTIATION_INFO_SCSV).
    pub reneg: bool,
    /// The host_name of server_name, if any.
    pub server_name: Option<&'a [u8]>,
    /// max_fragment_length code (0: none).
    pub mfl_code: u8,
    /// The client's record_size_limit (0: not offered).
    pub rsl: u16,
    /// heartbeat mode (0: not offered).
    pub heartbeat: u8,
    /// The client's CID (connection_id offered; possibly empty).
    #[cfg(feature = "cid")]
    pub cid: Option<&'a [u8]>,
    /// What the client can do with ECC.
    #[cfg(feature = "ecc")]
    pub ecc: ec::EccCaps,
    /// The client_certificate_type list (empty: not sent).
    #[cfg(feature = "ecc")]
    pub client_cert_types: &'a [u8],
    /// SessionTicket (RFC 5077): offered, with this ticket (maybe empty).
    #[cfg(feature = "tickets")]
    pub ticket: Option<&'a [u8]>,
    /// cached_info (RFC 7924): the cert hash offered (SHA-256 length).
    #[cfg(feature = "cached-info")]
    pub cached_cert: Option<[u8; cached_info::HASH_LEN]>,
    /// cached_info: the cert_req hash offered (SHA-256 length).
    #[cfg(feature = "cached-info")]
    pub cached_req: Option<[u8; cached_info::HASH_LEN]>,
    /// client_certificate_url (RFC 6066 5) offered.
    #[cfg(feature = "cert-url")]
    pub cert_url: bool,
}

/// Server: read a ClientHello's extensions (validated by [`Extensions::parse`]);
/// `scsv` is TLS_EMPTY_RENEGOTIATION_INFO_SCSV among its suites. Unknown
/// extensions are ignored (RFC 5246 7.4.1.4).
pub(crate) fn read_offer<'a>(exts: Extensions<'a>, scsv: bool) -> Result<Offered<'a>, Fatal> {
    let mut o = Offered {
        ems: false,
        reneg: scsv,
        server_name: None,
        mfl_code: 0,
        rsl: 0,
        heartbeat: 0,
        #[cfg(feature = "cid")]
        cid: None,
        #[cfg(feature = "ecc")]
        ecc: ec::EccCaps::default(),
        #[cfg(feature = "ecc")]
        client_cert_types: &[],
        #[cfg(feature = "tickets")]
        ticket: None,
        #[cfg(feature = "cached-info")]
        cached_cert: None,
        #[cfg(feature = "cached-info")]
        cached_req: None,
        #[cfg(feature = "cert-url")]
        cert_url: false,
    };
    for (t, data) in exts {
        match t {
            #[cfg(feature = "ecc")]
            SUPPORTED_GROUPS => o.ecc.read_groups(data)?,
            #[cfg(feature = "ecc")]
            EC_POINT_FORMATS => o.ecc.read_point_formats(data)?,
            #[cfg(feature = "ecc")]
            SIGNATURE_ALGORITHMS => o.ecc.read_signature_algorithms(data)?,
            #[cfg(feature = "ecc")]
            SERVER_CERTIFICATE_TYPE => o.ecc.read_server_cert_types(data)?,
            #[cfg(feature = "ecc")]
            CLIENT_CERTIFICATE_TYPE => o.client_cert_types = o.ecc.read_client_cert_types(data)?,
            EXTENDED_MASTER_SECRET => {
                extended_master_secret::read(data)?;
                o.ems = true;
            }
            RENEGOTIATION_INFO => {
                renegotiation_info::read(data)?;
                o.reneg = true;
            }
            SERVER_NAME => {
                if let Some(name) = server_name::read_offer(data)? {
                    o.server_name = Some(name);
                }
            }
            MAX_FRAGMENT_LENGTH => o.mfl_code = max_fragment_length::read_offer(data)?,
            RECORD_SIZE_LIMIT => o.rsl = record_size_limit::read(data)?,
            HEARTBEAT => o.heartbeat = heartbeat::read(data)?,
            #[cfg(feature = "tickets")]
            SESSION_TICKET => o.ticket = Some(session_ticket::read_offer(data)),
            #[cfg(feature = "cid")]
            CONNECTION_ID => o.cid = Some(connection_id::read(data)?),
            #[cfg(feature = "cached-info")]
            CACHED_INFO => {
                let c = cached_info::read_offer(data)?;
                o.cached_cert = c.cert;
                o.cached_req = c.req;
            }
            #[cfg(feature = "cert-url")]
            CLIENT_CERTIFICATE_URL => {
                client_certificate_url::read(data)?;
                o.cert_url = true;
            }
            _ => {}
        }
    }
    // RFC 8449 section 5: with both offered, max_fragment_length is ignored.
    if o.rsl != 0 {
        o.mfl_code = 0;
    }
    Ok(o)
}

/// A server's answer in its ServerHello.
pub(crate) struct Answer {
    /// extended_master_secret.
    pub ems: bool,
    /// renegotiation_info.
    pub reneg: bool,
    /// An empty server_name: the name was taken (full handshakes only).
    pub server_name: bool,
    /// max_fragment_length code (0: none).
    pub mfl_code: u8,
    /// Our record_size_limit (0: none; never with a max_fragment_length).
    pub rsl: u16,
    /// heartbeat (peer_allowed_to_send).
    pub heartbeat: bool,
    /// connection_id with our CID (its bytes and length), if negotiated.
    #[cfg(feature = "cid")]
    pub cid: Option<([u8; crate::sizes::NANODTLS_MAX_CID], u8)>,
    /// ECDHE_ECDSA: point formats and certificate types.
    #[cfg(feature = "ecc")]
    pub ecc: Option<cert_type::Answer>,
    /// An empty SessionTicket: a NewSessionTicket follows (RFC 5077 3.2).
    #[cfg(feature = "tickets")]
    pub ticket: bool,
    /// cached_info: the Certificate comes in the hash form (RFC 7924 4.1).
    #[cfg(feature = "cached-info")]
    pub cached_cert: bool,
    /// cached_info: the CertificateRequest comes in the hash form (4.2).
    #[cfg(feature = "cached-info")]
    pub cached_req: bool,
    /// client_certificate_url echoed (RFC 6066 5).
    #[cfg(feature = "cert-url")]
    pub cert_url: bool,
}

impl Answer {
    /// True if the ServerHello needs an extensions block at all.
    pub fn any(&self) -> bool {
        #[cfg(feature = "ecc")]
        let ecc = self.ecc.is_some();
        #[cfg(not(feature = "ecc"))]
        let ecc = false;
        #[cfg(feature = "tickets")]
        let ecc = ecc || self.ticket;
        #[cfg(feature = "cached-info")]
        let ecc = ecc || self.cached_cert || self.cached_req;
        #[cfg(feature = "cert-url")]
        let ecc = ecc || self.cert_url;
        #[cfg(feature = "cid")]
        let cid = self.cid.is_some();
        #[cfg(not(feature = "cid"))]
        let cid = false;
        self.ems
            || self.reneg
            || self.server_name
            || self.mfl_code != 0
            || self.rsl != 0
            || self.heartbeat
            || ecc
            || cid
    }
}

/// The extensions of a ServerHello.
pub(crate) fn write_answer(w: &mut Writer<'_>, a: &Answer) -> Result<(), Error> {
    if a.ems {
        extended_master_secret::write(w)?;
    }
    if a.reneg {
        renegotiation_info::write(w)?;
    }
    if a.server_name {
        server_name::write_answer(w)?;
    }
    // RFC 8449 section 5: never both.
    if a.rsl != 0 {
        record_size_limit::write(w, a.rsl)?;
    } else if a.mfl_code != 0 {
        max_fragment_length::write(w, a.mfl_code)?;
    }
    if a.heartbeat {
        heartbeat::write(w)?;
    }
    #[cfg(feature = "cid")]
    if let Some((cid, n)) = &a.cid {
        connection_id::write(w, cid.get(..usize::from(*n)).ok_or(Error::Internal)?)?;
    }
    #[cfg(feature = "ecc")]
    if let Some(e) = &a.ecc {
        cert_type::write_answer(w, e)?;
    }
    #[cfg(feature = "tickets")]
    if a.ticket {
        session_ticket::write_answer(w)?;
    }
    #[cfg(feature = "cached-info")]
    if a.cached_cert || a.cached_req {
        cached_info::write_answer(w, a.cached_cert, a.cached_req)?;
    }
    #[cfg(feature = "cert-url")]
    if a.cert_url {
        client_certificate_url::write(w)?;
    }
    Ok(())
}

/// What a client takes from the ServerHello's extensions.
pub(crate) struct Answered<'a> {
    /// extended_master_secret.
    pub ems: bool,
    /// renegotiation_info.
    pub reneg: bool,
    /// max_fragment_length code (0: none).
    pub mfl_code: u8,
    /// The server's record_size_limit (0: none).
    pub rsl: u16,
    /// The server's heartbeat mode (0: not negotiated).
    pub heartbeat: u8,
    /// The server's certificate is X.509 (without the extension: X.509).
    pub server_x509: bool,
    /// Ours is X.509.
    pub client_x509: bool,
    /// Ours is AuthzCert (we offered it and the server chose it).
    pub client_authz: bool,
    /// The server will send a NewSessionTicket (RFC 5077 3.2).
    #[cfg(feature = "tickets")]
    pub ticket: bool,
    /// cached_info answered: the Certificate comes in the hash form.
    #[cfg(feature = "cached-info")]
    pub cached_cert: bool,
    /// cached_info answered: the CertificateRequest comes in the hash form.
    #[cfg(feature = "cached-info")]
    pub cached_req: bool,
    /// client_certificate_url echoed: we send CertificateURL.
    #[cfg(feature = "cert-url")]
    pub cert_url: bool,
    /// The server's CID (connection_id answered; possibly empty).
    #[cfg(feature = "cid")]
    pub cid: Option<&'a [u8]>,
    /// (Without `cid` nothing borrows from the ServerHello.)
    #[cfg(not(feature = "cid"))]
    pub _borrows: core::marker::PhantomData<&'a [u8]>,
}

/// Client: check a ServerHello's extensions against what we offered.
/// Anything we did not offer must not come back (RFC 5246 7.4.1.4).
pub(crate) fn read_answer<'a>(exts: Extensions<'a>, o: &Offer<'_>) -> Result<Answered<'a>, Fatal> {
    let mut a = Answered {
        ems: false,
        reneg: false,
        mfl_code: 0,
        rsl: 0,
        heartbeat: 0,
        server_x509: true,
        client_x509: true,
        client_authz: false,
        #[cfg(feature = "tickets")]
        ticket: false,
        #[cfg(feature = "cached-info")]
        cached_cert: false,
        #[cfg(feature = "cached-info")]
        cached_req: false,
        #[cfg(feature = "cert-url")]
        cert_url: false,
        #[cfg(feature = "cid")]
        cid: None,
        #[cfg(not(feature = "cid"))]
        _borrows: core::marker::PhantomData,
    };
    for (t, data) in exts {
        match t {
            SERVER_NAME if !o.server_name.is_empty() => server_name::read_answer(data)?,
            MAX_FRAGMENT_LENGTH if o.mfl_code != 0 => a.mfl_code = max_fragment_length::read_answer(data, o.mfl_code)?,
            RECORD_SIZE_LIMIT if o.rsl != 0 => a.rsl = record_size_limit::read(data)?,
            HEARTBEAT if o.heartbeat => a.heartbeat = heartbeat::read(data)?,
            #[cfg(feature = "tickets")]
            SESSION_TICKET if o.ticket.is_some() => {
                session_ticket::read_answer(data)?;
                a.ticket = true;
            }
            #[cfg(feature = "cid")]
            CONNECTION_ID if o.cid.is_some() => a.cid = Some(connection_id::read_answer(data)?),
            #[cfg(feature = "cached-info")]
            CACHED_INFO if o.cached_cert.is_some() || o.cached_req.is_some() => {
                (a.cached_cert, a.cached_req) =
                    cached_info::read_answer(data, o.cached_cert.is_some(), o.cached_req.is_some())?;
            }
            #[cfg(feature = "cert-url")]
            CLIENT_CERTIFICATE_URL if o.cert_url => {
                client_certificate_url::read(data)?;
                a.cert_url = true;
            }
            EXTENDED_MASTER_SECRET => {
                extended_master_secret::read(data)?;
                a.ems = true;
            }
            RENEGOTIATION_INFO => {
                // Initial handshake: renegotiated_connection must be empty.
                renegotiation_info::read(data)?;
                a.reneg = true;
            }
            #[cfg(feature = "ecc")]
            EC_POINT_FORMATS if o.ecc.is_some() => ec::read_point_formats_answer(data)?,
            #[cfg(feature = "ecc")]
            SERVER_CERTIFICATE_TYPE if o.ecc.is_some() => a.server_x509 = cert_type::read_server_answer(data)?,
            #[cfg(feature = "ecc")]
            CLIENT_CERTIFICATE_TYPE if o.ecc.is_some_and(|e| e.authz != 0) => {
                cert_type::read_authz_answer(data, o.ecc.map_or(0, |e| e.authz))?;
                a.client_authz = true;
                a.client_x509 = false;
            }
            #[cfg(feature = "ecc")]
            CLIENT_CERTIFICATE_TYPE if o.ecc.is_some_and(|e| e.own_key) => {
                a.client_x509 = cert_type::read_client_answer(data, o.ecc.is_some_and(|e| e.own_cert))?
            }
            _ => return Err(Fatal::alert(alert::UNSUPPORTED_EXTENSION)),
        }
    }
    // RFC 8449 section 5: a server answering both is a fatal error.
    if a.rsl != 0 && a.mfl_code != 0 {
        return Err(Fatal::alert(alert::ILLEGAL_PARAMETER));
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_overruns_rejected() {
        let ok = [0x00, 0x17, 0x00, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00];
        let e = Extensions::parse(&ok).unwrap();
        assert_eq!(e.find(EXTENDED_MASTER_SECRET), Some(&[][..]));
        assert_eq!(e.find(RENEGOTIATION_INFO), Some(&[0u8][..]));
        assert_eq!(e.clone().count(), 2);
        let dup = [0x00, 0x17, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00];
        assert!(Extensions::parse(&dup).is_err());
        let overrun = [0x00, 0x17, 0x00, 0x05, 0x00];
        assert!(Extensions::parse(&overrun).is_err());
        let trailing = [0x00, 0x17, 0x00];
        assert!(Extensions::parse(&trailing).is_err());
    }

    fn offer(mfl_code: u8, rsl: u16) -> Offer<'static> {
        Offer {
            server_name: &[],
            mfl_code,
            rsl,
            heartbeat: false,
            #[cfg(feature = "cid")]
            cid: None,
            #[cfg(feature = "tickets")]
            ticket: None,
            #[cfg(feature = "ecc")]
            ecc: None,
            #[cfg(feature = "cached-info")]
            cached_cert: None,
            #[cfg(feature = "cached-info")]
            cached_req: None,
            #[cfg(feature = "cert-url")]
            cert_url: false,
        }
    }

    #[test]
    fn record_size_limit_answers() {
        let rsl = [0x00, 0x1c, 0x00, 0x02, 0x03, 0xe8];
        let both = [0x00, 0x01, 0x00, 0x01, 0x01, 0x00, 0x1c, 0x00, 0x02, 0x03, 0xe8];
        // Offered: taken.
        let a = read_answer(Extensions::parse(&rsl).unwrap(), &offer(0, 500)).unwrap();
        assert_eq!((a.rsl, a.mfl_code), (1000, 0));
        // Not offered: unsupported_extension.
        let e = read_answer(Extensions::parse(&rsl).unwrap(), &offer(1, 0)).err();
        assert_eq!(e, Some(Fatal::alert(alert::UNSUPPORTED_EXTENSION)));
        // RFC 8449 section 5: a server answering both is illegal_parameter.
        let e = read_answer(Extensions::parse(&both).unwrap(), &offer(1, 500)).err();
        assert_eq!(e, Some(Fatal::alert(alert::ILLEGAL_PARAMETER)));
        // Below 64: illegal_parameter.
        let low = [0x00, 0x1c, 0x00, 0x02, 0x00, 0x3f];
        let e = read_answer(Extensions::parse(&low).unwrap(), &offer(0, 500)).err();
        assert_eq!(e, Some(Fatal::alert(alert::ILLEGAL_PARAMETER)));
        // Server side: with both offered, max_fragment_length is ignored.
        let o = read_offer(Extensions::parse(&both).unwrap(), false).unwrap();
        assert_eq!((o.rsl, o.mfl_code), (1000, 0));
        let o = read_offer(Extensions::parse(&both[..5]).unwrap(), false).unwrap();
        assert_eq!((o.rsl, o.mfl_code), (0, 1));
        assert!(read_offer(Extensions::parse(&low).unwrap(), false).is_err());
        // Our answer never has both.
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        let answer = Answer {
            ems: false,
            reneg: false,
            server_name: false,
            mfl_code: 1,
            rsl: 700,
            heartbeat: false,
            #[cfg(feature = "cid")]
            cid: None,
            #[cfg(feature = "tickets")]
            ticket: false,
            #[cfg(feature = "ecc")]
            ecc: None,
            #[cfg(feature = "cached-info")]
            cached_cert: false,
            #[cfg(feature = "cached-info")]
            cached_req: false,
            #[cfg(feature = "cert-url")]
            cert_url: false,
        };
        write_answer(&mut w, &answer).unwrap();
        let n = w.len();
        let e = Extensions::parse(&buf[..n]).unwrap();
        assert_eq!(e.find(RECORD_SIZE_LIMIT), Some(&[0x02u8, 0xbc][..]));
        assert_eq!(e.find(MAX_FRAGMENT_LENGTH), None);
    }
}
