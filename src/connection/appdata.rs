//! Application data (RFC 6347 section 4.1): the queue of received records
//! waiting for [`Connection::read`], and [`Connection::write`].

use zerocopy::FromZeros;

use super::Engine;
use crate::association::State;
use crate::codec::Writer;
use crate::error::Error;
use crate::record::content;

/// Received application data waiting for read(): a sequence of
/// `[u16 length][data]` items; the free space behind them is the scratch
/// area where incoming records are decrypted.
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct RxBuf {
    pub buf: [u8; crate::sizes::NANODTLS_RX_BUF],
    pub len: u16,
    pub off: u16,
}

impl RxBuf {
    pub fn pending(&self) -> bool {
        self.off < self.len
    }
    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.off = 0;
    }
}

impl Engine {
    /// Queue application data as one record. `TooLarge` if it cannot fit
    /// one record within the MTU; `WouldBlock` if the transmit buffer is
    /// full (poll, then retry).
    pub fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        let c = &mut self.assoc;
        c.check_alive()?;
        if c.state != State::Connected {
            return Err(Error::WrongState);
        }
        let max = c.max_app_payload();
        if data.len() > max {
            return Err(Error::TooLarge);
        }
        let start = usize::from(c.tx.len);
        let role = c.cfg.role;
        let region = c.tx.buf.get_mut(start..).ok_or(Error::WouldBlock)?;
        let mut w = Writer::new(region);
        match c.rl.emit(role, &mut w, content::APPLICATION_DATA, 1, &[data]) {
            Ok(()) => {}
            Err(Error::BufferTooSmall) => return Err(Error::WouldBlock),
            Err(e) => return Err(e),
        }
        c.tx.len = (start + w.len()) as u16;
        c.stats.app_records_tx = c.stats.app_records_tx.saturating_add(1);
        Ok(())
    }

    /// Largest application payload one write() accepts right now.
    pub fn max_write(&self) -> usize {
        self.assoc.max_app_payload()
    }

    /// Take the next received application record into `out`.
    /// `Ok(Some(n))`: a record of n bytes; `Ok(None)`: nothing pending.
    /// `BufferTooSmall`: the record is larger than `out` and stays queued.
    pub fn read(&mut self, out: &mut [u8]) -> Result<Option<usize>, Error> {
        let rx = &mut self.rx;
        if rx.pending() {
            let off = usize::from(rx.off);
            let len_bytes = rx.buf.get(off..off + 2).ok_or(Error::Internal)?;
            let n = usize::from(crate::codec::be16(len_bytes));
            let data = rx.buf.get(off + 2..off + 2 + n).ok_or(Error::Internal)?;
            let dst = out.get_mut(..n).ok_or(Error::BufferTooSmall)?;
            dst.copy_from_slice(data);
            rx.off = (off + 2 + n) as u16;
            if !rx.pending() {
                rx.clear();
            }
            return Ok(Some(n));
        }
        match self.assoc.state {
            State::Failed | State::Closed => Err(self.assoc.sticky()),
            _ => Ok(None),
        }
    }
}
