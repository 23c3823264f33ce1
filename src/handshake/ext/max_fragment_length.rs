//! max_fragment_length (RFC 6066 section 4): the client asks for a smaller
//! record size (512, 1024, 2048 or 4096 bytes, codes 1..=4); a server that
//! agrees echoes the code, and both sides then keep every record's
//! plaintext within it.

use super::MAX_FRAGMENT_LENGTH;
use crate::alert;
use crate::codec::Writer;
use crate::error::{Error, Fatal};

/// The code for a max_fragment_length in bytes (0 = none or not a valid length).
pub(crate) fn code(len: u16) -> u8 {
    match len {
        512 => 1,
        1024 => 2,
        2048 => 3,
        4096 => 4,
        _ => 0,
    }
}

/// Largest record plaintext with `code` negotiated: 2^14 without one.
pub(crate) fn record_limit(code: u8) -> usize {
    match code {
        1..=4 => 1usize << (8 + u32::from(code)),
        _ => 1 << 14,
    }
}

/// Client offer (with a code 1..=4) and server answer (the same code).
pub(crate) fn write(w: &mut Writer<'_>, code: u8) -> Result<(), Error> {
    w.put(&[(MAX_FRAGMENT_LENGTH >> 8) as u8, MAX_FRAGMENT_LENGTH as u8, 0, 1, code])
}

/// Server: the code the client asks for; anything but 1..=4 is
/// illegal_parameter.
pub(crate) fn read_offer(data: &[u8]) -> Result<u8, Fatal> {
    match data {
        [c @ 1..=4] => Ok(*c),
        _ => Err(Fatal::alert(alert::ILLEGAL_PARAMETER)),
    }
}

/// Client: the server must echo exactly the code we asked for.
pub(crate) fn read_answer(data: &[u8], offered: u8) -> Result<u8, Fatal> {
    if data == [offered] {
        Ok(offered)
    } else {
        Err(Fatal::alert(alert::ILLEGAL_PARAMETER))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_limits() {
        for (len, c) in [(512u16, 1u8), (1024, 2), (2048, 3), (4096, 4), (700, 0), (0, 0)] {
            assert_eq!(code(len), c);
        }
        assert_eq!(record_limit(1), 512);
        assert_eq!(record_limit(4), 4096);
        assert_eq!(record_limit(0), 16384);
        assert_eq!(record_limit(9), 16384);
        assert!(read_offer(&[5]).is_err() && read_offer(&[]).is_err() && read_offer(&[1, 1]).is_err());
        assert_eq!(read_answer(&[2], 2), Ok(2));
        assert!(read_answer(&[3], 2).is_err());
    }
}
