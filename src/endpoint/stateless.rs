//! What the endpoint does before a peer has a slot (RFC 6347 4.2.1): it
//! recognises an initial ClientHello and answers with a stateless
//! HelloVerifyRequest (or a stateless alert) from a small queue, so a
//! spoofed ClientHello costs no memory.

use zerocopy::FromZeros;

use super::Endpoint;
use crate::codec::{Reader, Writer};
use crate::error::Error;
use crate::handshake::msg::client_hello::ClientHello;
use crate::handshake::{self, msg};
use crate::record::{self, content};
use crate::sizes::NANODTLS_MAX_PEER_ADDR;

/// HelloVerifyRequests (and other stateless replies) that can wait for
/// poll at once.
pub const HVR_QUEUE: usize = 4;

/// A stateless reply (HelloVerifyRequest or alert) waiting to be polled.
#[derive(FromZeros)]
#[repr(C)]
pub(super) struct PendingHvr {
    pub(super) datagram: [u8; 64],
    pub(super) addr: [u8; NANODTLS_MAX_PEER_ADDR],
    pub(super) len: u8,
    pub(super) addr_len: u8,
}

/// The first record of a datagram if it is an unfragmented epoch-0
/// ClientHello: (record seq, message, body).
pub(super) fn initial_client_hello(datagram: &[u8]) -> Option<(u64, u16, &[u8], &[u8])> {
    let mut r = Reader::new(datagram);
    let rec = record::parse(&mut r).ok()?;
    if rec.ctype != content::HANDSHAKE || rec.epoch != 0 {
        return None;
    }
    let mut hr = Reader::new(rec.fragment);
    let (h, body) = handshake::parse_fragment(&mut hr).ok()?;
    if h.msg_type != msg::CLIENT_HELLO || h.frag_off != 0 || h.frag_len != h.length {
        return None;
    }
    let message = rec.fragment.get(..handshake::HEADER_LEN + body.len())?;
    Some((rec.seq, h.seq, message, body))
}

impl Endpoint {
    /// Queue a stateless datagram for `addr`, written by `write`: false if
    /// the queue is full (counted in dropped_hvr_busy: the client will
    /// retransmit its ClientHello) or it could not be written.
    pub(super) fn queue_reply(
        &mut self,
        addr: &[u8],
        write: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>,
    ) -> bool {
        let Some(slot) = self.hvr.iter_mut().find(|h| h.len == 0) else {
            self.stats.dropped_hvr_busy = self.stats.dropped_hvr_busy.saturating_add(1);
            nd_log!(self.log => Debug, "server: endpoint: drop [dropped_hvr_busy] ClientHello: HelloVerifyRequest queue full");
            return false;
        };
        let mut w = Writer::new(&mut slot.datagram);
        if write(&mut w).is_err() {
            return false;
        }
        let n = w.len();
        let Some(dst) = slot.addr.get_mut(..addr.len()) else { return false };
        dst.copy_from_slice(addr);
        slot.addr_len = addr.len() as u8;
        slot.len = n as u8;
        true
    }

    pub(super) fn queue_hello_verify(&mut self, addr: &[u8], rec_seq: u64, msg_seq: u16, ch: &ClientHello<'_>) {
        let Some(cookie) = self.cookies.issue(addr, ch) else { return };
        let write = |w: &mut Writer<'_>| {
            crate::handshake::msg::hello_verify_request::write_record_to(w, rec_seq, msg_seq, &cookie)
        };
        if !self.queue_reply(addr, write) {
            return;
        }
        self.stats.hello_verify_requests = self.stats.hello_verify_requests.saturating_add(1);
        nd_log!(self.log =>
            Debug,
            "server: endpoint: ClientHello without a valid cookie ({} bytes) from a {}-byte address: HelloVerifyRequest queued",
            ch.cookie.len(),
            addr.len()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn initial_client_hello_detection() {
        assert!(initial_client_hello(&[]).is_none());
        assert!(initial_client_hello(&[22, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]).is_none());
    }
}
