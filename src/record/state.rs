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
    /// The connection IDs (RFC 9146), if negotiated.
    #[cfg(feature = "cid")]
    pub cid: super::cid::CidState,
    /// Who does the AES-CCM (feature `aes-hook`: a registered engine; the
    /// built-in AES when all-zero, and always without the feature).
    pub engine: crate::crypto::aead::Engine,
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

    /// What a protected record we send costs beyond its plaintext and
    /// the 13-byte header: the explicit nonce, the tag, and with a
    /// connection ID (RFC 9146) the CID and the inner content type.
    pub fn seal_overhead(&self) -> usize {
        EXPLICIT_NONCE_LEN + self.tag().bytes() + self.cid_overhead()
    }

    /// The CID and inner content type of a tls12_cid record we send (0
    /// when we send ordinary records).
    pub fn cid_overhead(&self) -> usize {
        #[cfg(feature = "cid")]
        return self.cid.tx_overhead();
        #[cfg(not(feature = "cid"))]
        0
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
        self.emit_with(role, w, ctype, epoch, plain, &mut |dst| {
            let mut at = 0;
            for p in parts {
                dst.get_mut(at..at + p.len()).ok_or(Error::Internal)?.copy_from_slice(p);
                at += p.len();
            }
            Ok(())
        })
    }

    /// Write one record in `epoch` of `plain_len` plaintext bytes that
    /// `fill` writes in place (see [`protect::write_record_with`]).
    pub fn emit_with(
        &mut self,
        role: Role,
        w: &mut Writer<'_>,
        ctype: u8,
        epoch: u16,
        plain_len: usize,
        fill: &mut dyn FnMut(&mut [u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let need = HEADER_LEN + plain_len + if epoch > 0 { self.seal_overhead() } else { 0 };
        if w.remaining() < need {
            return Err(Error::BufferTooSmall);
        }
        if epoch > 0 && !self.keys_ready {
            return Err(Error::Internal);
        }
        let seq = self.next_seq(epoch)?;
        #[cfg(feature = "cid")]
        if epoch > 0 && self.cid.tx_overhead() > 0 {
            let cid = self.cid.tx();
            return super::cid::seal_record_with(
                w,
                self.engine,
                self.write_keys(role),
                self.tag(),
                cid,
                ctype,
                epoch,
                seq,
                plain_len,
                fill,
            );
        }
        let keys = (epoch > 0).then(|| (self.write_keys(role), self.tag()));
        protect::seal_record_with(w, self.engine, keys, ctype, epoch, seq, plain_len, fill)
    }

    /// Wipe the traffic keys.
    pub fn wipe(&mut self) {
        self.client.zeroize();
        self.server.zeroize();
        self.keys_ready = false;
    }
}
