//! Bounded reader and writer over byte slices.
//!
//! Every read and write is checked: running off the end of a buffer is an
//! error value, never a panic. All multi-byte integers are big-endian
//! (network order), as in every TLS structure.

use crate::error::Error;

/// Big-endian u16 from the first two bytes of `b` (0 if shorter).
pub fn be16(b: &[u8]) -> u16 {
    match b {
        [x, y, ..] => u16::from_be_bytes([*x, *y]),
        _ => 0,
    }
}

/// Iterate over a list of big-endian u16 values (an odd trailing byte is ignored).
pub fn u16s(list: &[u8]) -> impl Iterator<Item = u16> + '_ {
    list.chunks_exact(2).map(be16)
}

/// Cursor over an input slice.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader positioned at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// True when everything has been consumed.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Take `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).ok_or(Error::Decode)?;
        let s = self.buf.get(self.pos..end).ok_or(Error::Decode)?;
        self.pos = end;
        Ok(s)
    }

    /// Take exactly `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// Everything not yet consumed, without consuming it.
    pub fn peek(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    /// Everything not yet consumed.
    pub fn rest(&mut self) -> &'a [u8] {
        let s = self.buf.get(self.pos..).unwrap_or(&[]);
        self.pos = self.buf.len();
        s
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.array::<1>()?[0])
    }

    /// Big-endian u16.
    pub fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// Big-endian 24-bit integer.
    pub fn u24(&mut self) -> Result<u32, Error> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// Big-endian 48-bit integer.
    pub fn u48(&mut self) -> Result<u64, Error> {
        let [a, b, c, d, e, f] = self.array()?;
        Ok(u64::from_be_bytes([0, 0, a, b, c, d, e, f]))
    }

    /// A vector with a one-byte length prefix.
    pub fn vec8(&mut self) -> Result<&'a [u8], Error> {
        let n = self.u8()? as usize;
        self.take(n)
    }

    /// A vector with a two-byte length prefix.
    pub fn vec16(&mut self) -> Result<&'a [u8], Error> {
        let n = self.u16()? as usize;
        self.take(n)
    }

    /// A vector with a three-byte length prefix.
    pub fn vec24(&mut self) -> Result<&'a [u8], Error> {
        let n = self.u24()? as usize;
        self.take(n)
    }

    /// Fail unless everything was consumed.
    pub fn finish(&self) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Decode)
        }
    }
}

/// Cursor over an output slice.
///
/// Normally every byte must fit: writing past the end is
/// `BufferTooSmall`. A *window* writer ([`Writer::window`]) instead
/// produces a byte range of a longer virtual output: it counts every byte
/// written (its [`Writer::len`] is the whole output's length), keeps those
/// at virtual offsets `skip..skip + buf.len()` and drops the rest. Our
/// flight is rebuilt that way, one fragment at a time, from the handshake
/// state instead of being stored (length prefixes that fall inside the
/// window are patched as usual).
#[derive(Debug)]
pub struct Writer<'a> {
    buf: &'a mut [u8],
    /// Virtual position: bytes written so far.
    pos: usize,
    /// Window writer: virtual offset of `buf[0]`.
    skip: usize,
    window: bool,
}

impl<'a> Writer<'a> {
    /// A writer positioned at the start of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, pos: 0, skip: 0, window: false }
    }

    /// A window writer: keeps the bytes at virtual offsets
    /// `skip..skip + buf.len()` in `buf`, counts and drops the others.
    pub fn window(buf: &'a mut [u8], skip: usize) -> Self {
        Writer { buf, pos: 0, skip, window: true }
    }

    /// Bytes written so far (for a window writer: the whole virtual output).
    pub fn len(&self) -> usize {
        self.pos
    }

    /// True when nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.pos == 0
    }

    /// Room left.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The bytes written so far.
    pub fn written(&self) -> &[u8] {
        self.buf.get(..self.pos).unwrap_or(&[])
    }

    /// Mutable access to the bytes written so far.
    pub fn written_mut(&mut self) -> &mut [u8] {
        self.buf.get_mut(..self.pos).unwrap_or(&mut [])
    }

    /// Reserve `n` bytes and return them for the caller to fill (not for a
    /// window writer: `Internal`).
    pub fn reserve(&mut self, n: usize) -> Result<&mut [u8], Error> {
        if self.window {
            return Err(Error::Internal);
        }
        let start = self.pos;
        let end = start.checked_add(n).ok_or(Error::BufferTooSmall)?;
        if end > self.buf.len() {
            return Err(Error::BufferTooSmall);
        }
        self.pos = end;
        self.buf.get_mut(start..end).ok_or(Error::BufferTooSmall)
    }

    /// Write `data` at virtual offset `at` (which must be below the
    /// position): the part inside the window, or all of it.
    fn place(&mut self, at: usize, data: &[u8]) -> Result<(), Error> {
        if !self.window {
            let dst = self.buf.get_mut(at..at + data.len()).ok_or(Error::BufferTooSmall)?;
            dst.copy_from_slice(data);
            return Ok(());
        }
        let (lo, hi) = (self.skip, self.skip.saturating_add(self.buf.len()));
        let (a, b) = (at.max(lo), (at + data.len()).min(hi));
        if a < b {
            let src = data.get(a - at..b - at).ok_or(Error::Internal)?;
            self.buf.get_mut(a - lo..b - lo).ok_or(Error::Internal)?.copy_from_slice(src);
        }
        Ok(())
    }

    /// Append bytes.
    pub fn put(&mut self, data: &[u8]) -> Result<(), Error> {
        let at = self.pos;
        let end = at.checked_add(data.len()).ok_or(Error::BufferTooSmall)?;
        if !self.window && end > self.buf.len() {
            return Err(Error::BufferTooSmall);
        }
        self.pos = end;
        self.place(at, data)
    }

    /// Append one byte.
    pub fn u8(&mut self, v: u8) -> Result<(), Error> {
        self.put(&[v])
    }

    /// Append a big-endian u16.
    pub fn u16(&mut self, v: u16) -> Result<(), Error> {
        self.put(&v.to_be_bytes())
    }

    /// Append a big-endian 24-bit integer (the top byte of `v` must be zero).
    pub fn u24(&mut self, v: u32) -> Result<(), Error> {
        if v > 0xFF_FFFF {
            return Err(Error::InvalidArgument);
        }
        let b = v.to_be_bytes();
        self.put(&b[1..])
    }

    /// Append a big-endian 48-bit integer.
    pub fn u48(&mut self, v: u64) -> Result<(), Error> {
        if v > 0xFFFF_FFFF_FFFF {
            return Err(Error::InvalidArgument);
        }
        let b = v.to_be_bytes();
        self.put(&b[2..])
    }

    /// Append a vector with a one-byte length prefix.
    pub fn vec8(&mut self, data: &[u8]) -> Result<(), Error> {
        let n = u8::try_from(data.len()).map_err(|_| Error::InvalidArgument)?;
        self.u8(n)?;
        self.put(data)
    }

    /// Append a vector with a two-byte length prefix.
    pub fn vec16(&mut self, data: &[u8]) -> Result<(), Error> {
        let n = u16::try_from(data.len()).map_err(|_| Error::InvalidArgument)?;
        self.u16(n)?;
        self.put(data)
    }

    /// Start a length-prefixed block of `width` bytes (1, 2 or 3); close it
    /// with [`Writer::end_len`].
    pub fn begin_len(&mut self, width: usize) -> Result<LenMark, Error> {
        let at = self.pos;
        self.put([0; 3].get(..width).ok_or(Error::Internal)?)?;
        Ok(LenMark { at, width })
    }

    /// Patch the length of a block opened with [`Writer::begin_len`].
    pub fn end_len(&mut self, mark: LenMark) -> Result<(), Error> {
        let body = self.pos.checked_sub(mark.at + mark.width).ok_or(Error::Internal)?;
        let max = match mark.width {
            1 => 0xFF,
            2 => 0xFFFF,
            3 => 0xFF_FFFF,
            _ => return Err(Error::Internal),
        };
        if body > max {
            return Err(Error::InvalidArgument);
        }
        let bytes = (body as u32).to_be_bytes();
        self.place(mark.at, bytes.get(4 - mark.width..).ok_or(Error::Internal)?)
    }
}

/// A length prefix waiting to be patched.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct LenMark {
    at: usize,
    width: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_rejects_overrun() {
        let mut r = Reader::new(&[0, 3, 1, 2]);
        assert_eq!(r.vec16(), Err(Error::Decode));
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u24().unwrap(), 0x010203);
        assert!(r.is_empty());
        assert_eq!(r.u8(), Err(Error::Decode));
        let mut r = Reader::new(&[0xff; 5]);
        assert_eq!(r.u48(), Err(Error::Decode));
        assert_eq!(r.take(usize::MAX), Err(Error::Decode));
    }

    #[test]
    fn writer_bounds_and_lengths() {
        let mut buf = [0u8; 8];
        let mut w = Writer::new(&mut buf);
        let m = w.begin_len(2).unwrap();
        w.put(&[9, 9, 9]).unwrap();
        w.end_len(m).unwrap();
        assert_eq!(w.written(), &[0, 3, 9, 9, 9]);
        assert_eq!(w.put(&[0; 4]), Err(Error::BufferTooSmall));
        assert_eq!(w.len(), 5);
        assert_eq!(w.u24(0x1000000), Err(Error::InvalidArgument));
    }

    /// The same output written whole and through every window, including
    /// length prefixes cut by the window's edges.
    #[test]
    fn window_writer_produces_each_range_of_the_output() {
        fn body(w: &mut Writer<'_>) -> Result<(), Error> {
            w.u8(7)?;
            let outer = w.begin_len(2)?;
            w.put(&[1, 2, 3, 4, 5])?;
            let inner = w.begin_len(3)?;
            w.put(&[0xaa; 300])?;
            w.end_len(inner)?;
            w.vec8(&[9, 9])?;
            w.end_len(outer)
        }
        let mut whole = [0u8; 400];
        let mut w = Writer::new(&mut whole);
        body(&mut w).unwrap();
        let n = w.len();
        assert_eq!(&whole[..4], &[7, 1, 55, 1]);
        for cap in [1usize, 2, 3, 7, 64, 400] {
            for skip in 0..n + 2 {
                let mut part = [0u8; 400];
                let mut w = Writer::window(&mut part[..cap], skip);
                body(&mut w).unwrap();
                assert_eq!(w.len(), n);
                let end = (skip + cap).min(n);
                if skip < end {
                    assert_eq!(&part[..end - skip], &whole[skip..end], "cap {cap} skip {skip}");
                }
            }
        }
        let mut w = Writer::window(&mut [], 0);
        assert_eq!(w.reserve(1), Err(Error::Internal));
    }
}
