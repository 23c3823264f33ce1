//! connection_id (RFC 9146 section 3, extension 54, feature `cid`): each
//! side sends the CID it wants to receive in the peer's records
//! (`opaque cid<0..2^8-1>`); an empty one says "supported, but send me
//! ordinary records". A server answers only a client that offered it.

use super::CONNECTION_ID;
use crate::alert;
use crate::codec::{Reader, Writer};
use crate::error::{Error, Fatal};

/// Client offer and server answer: the CID we want to receive.
pub(crate) fn write(w: &mut Writer<'_>, cid: &[u8]) -> Result<(), Error> {
    w.u16(CONNECTION_ID)?;
    let m = w.begin_len(2)?;
    w.vec8(cid)?;
    w.end_len(m)
}

/// The peer's CID (possibly empty); a malformed extension (an overrun,
/// trailing bytes) is decode_error.
pub(crate) fn read(data: &[u8]) -> Result<&[u8], Fatal> {
    let mut r = Reader::new(data);
    let cid = r.vec8().map_err(|_| Fatal::decode())?;
    r.finish().map_err(|_| Fatal::decode())?;
    Ok(cid)
}

/// Client: the server's CID must fit `NANODTLS_MAX_CID`; a longer one
/// cannot be sent and ends the handshake with an alert (illegal_parameter
/// for a CID beyond what we said we can do: the server chose it freely).
pub(crate) fn read_answer(data: &[u8]) -> Result<&[u8], Fatal> {
    let cid = read(data)?;
    if cid.len() > crate::sizes::NANODTLS_MAX_CID {
        return Err(Fatal::alert(alert::ILLEGAL_PARAMETER));
    }
    Ok(cid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_and_malformed() {
        let mut buf = [0u8; 16];
        let mut w = Writer::new(&mut buf);
        write(&mut w, &[1, 2, 3]).unwrap();
        assert_eq!(w.written(), &[0, 54, 0, 4, 3, 1, 2, 3]);
        assert_eq!(read(&[3, 1, 2, 3]).ok(), Some(&[1u8, 2, 3][..]));
        assert_eq!(read(&[0]).ok(), Some(&[][..]));
        assert!(read(&[]).is_err());
        assert!(read(&[4, 1, 2, 3]).is_err());
        assert!(read(&[1, 1, 2]).is_err());
        let long = [9u8; 1 + crate::sizes::NANODTLS_MAX_CID + 1];
        let mut long = long;
        long[0] = (crate::sizes::NANODTLS_MAX_CID + 1) as u8;
        assert!(read(&long).is_ok());
        assert!(read_answer(&long).is_err());
    }
}
