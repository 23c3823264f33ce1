//! Record-layer state of one association (RFC 6347 section 4.1): the
//! read and write epochs, write sequence numbers, the replay window of
//! epoch 1 and the traffic keys.

use zerocopy::FromZeros;
use zeroize::Zeroize;

use super::{protect, DirectionKeys, ReplayWindow, EXPLICIT_NONCE_LEN, HEADER_LEN, MAX_SEQ};
use crate::codec::Writer;
use crate::config::Role;
use crate::crypto::aead::TagLen;
use crate::error::Error;

/// Record-layer state: epochs, sequence numbers, replay window, keys.
#[derive(FromZeros)]
#[repr(C)]
pub struct RecordState {
    /// Next record sequence number to send, per epoch (0 and 1).
    pub write_seq: [u64; 2],
    /// Replay window of epoch 1. Epoch 0 has none: RFC 6347 4.1.2.6 updates
    /// a window only after MAC verification, and nothing in epoch 0 is
    /// verified, so a plaintext record can never move it (duplicates there
    /// are recognised by the handshake layer's message_seq).
    pub window: ReplayWindow,
    /// The client's write keys (the server reads with them).
    pub client: DirectionKeys,
    /// The server's write keys.
    pub server: DirectionKeys,
    /// Epoch of the records we accept (0 until the peer's ChangeCipherSpec).
    pub read_epoch: u16,
    /// Epoch we send in (0 until our ChangeCipherSpec).
    pub write_epoch: u16,
    /// The suite uses 16-byte CCM tags (else 8).
    pub tag16: bool,
    /// The traffic keys are derived.
    pub keys_ready: bool,
}

impl RecordState {
    /// The CCM tag length of the suite.
    pub fn tag(&self) -> TagLen {
        if self.tag16 {
            TagLen::Sixteen
        } else {
            TagLen::Eight
        }
    }

    /// The keys `role` writes with.
    pub fn write_keys(&self, role: Role) -> &DirectionKeys {
        match role {
            Role::Client => &self.client,
            Role::Server => &self.server,
        }
    }

    /// The keys `role` reads with.
    pub fn read_keys(&self, role: Role) -> &DirectionKeys {
        match role {
            Role::Client => &self.server,
            Role::Server => &self.client,
        }
    }

    /// Take the next write sequence number of `epoch`.
    pub fn next_seq(&mut self, epoch: u16) -> Result<u64, Error> {
        let s = self.write_seq.get_mut(usize::from(epoch)).ok_or(Error::Internal)?;
        if *s > MAX_SEQ {
            return Err(Error::Internal);
        }
        let v = *s;
        *s += 1;
        Ok(v)
    }

    /// Write one record in `epoch` (protected when epoch is 1).
    pub fn emit(
        &mut self,
        role: Role,
        w: &mut Writer<'_>,
        ctype: u8,
        epoch: u16,
        parts: &[&[u8]],
    ) -> Result<(), Error> {
        let plain: usize = parts.iter().map(|p| p.len()).sum();
        let need = HEADER_LEN + plain + if epoch > 0 { EXPLICIT_NONCE_LEN + self.tag().bytes() } else { 0 };
        if w.remaining() < need {
            return Err(Error::BufferTooSmall);
        }
        let seq = self.next_seq(epoch)?;
        if epoch == 0 {
            protect::write_record(w, None, ctype, 0, seq, parts)
        } else {
            if !self.keys_ready {
                return Err(Error::Internal);
            }
            let tag = self.tag();
            protect::write_record(w, Some((self.write_keys(role), tag)), ctype, epoch, seq, parts)
        }
    }

    /// Wipe the traffic keys.
    pub fn wipe(&mut self) {
        self.client.zeroize();
        self.server.zeroize();
        self.keys_ready = false;
    }
}
