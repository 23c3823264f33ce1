//! Application data (RFC 6347 section 4.1): [`Engine::write`] seals a
//! record straight into the caller's datagram buffer; received records are
//! opened in place by `incoming.rs` and left in the caller's datagram.

use super::Engine;
use crate::association::State;
use crate::codec::Writer;
use crate::error::Error;
use crate::record::content;

impl Engine {
    /// Seal `data` as one application-data record straight into `out`,
    /// which then holds the datagram to send (its length is returned).
    /// `TooLarge` if `data` cannot fit one record within the MTU and the
    /// peer's record limit ([`Engine::max_write`]); `BufferTooSmall` if
    /// `out` cannot hold the record (nothing was sent: no sequence number
    /// is used).
    pub fn write(&mut self, data: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        let c = &mut self.assoc;
        c.check_alive()?;
        if c.state != State::Connected {
            return Err(Error::WrongState);
        }
        if data.len() > c.max_app_payload() {
            return Err(Error::TooLarge);
        }
        let role = c.cfg.role;
        let mut w = Writer::new(out);
        match c.rl.emit(role, &mut w, content::APPLICATION_DATA, 1, &[data]) {
            Ok(()) => {}
            #[cfg(feature = "aes-hook")]
            Err(Error::Crypto) => return Err(c.crypto_failed()),
            Err(e) => return Err(e),
        }
        c.stats.app_records_tx = c.stats.app_records_tx.saturating_add(1);
        c.stats.tx_records = c.stats.tx_records.saturating_add(1);
        c.stats.tx_datagrams = c.stats.tx_datagrams.saturating_add(1);
        c.stats.tx_bytes = c.stats.tx_bytes.saturating_add(w.len() as u32);
        Ok(w.len())
    }

    /// Largest application payload one write() accepts right now.
    pub fn max_write(&self) -> usize {
        self.assoc.max_app_payload()
    }
}
