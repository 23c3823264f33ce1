//! Heartbeat (RFC 6520) on an established association: answering the
//! peer's requests, our own keep-alive requests with their retransmission,
//! and the round-trip time.

use zerocopy::FromZeros;

use super::{Association, State};
use crate::codec::{Reader, Writer};
use crate::env::Env;
use crate::error::Error;
use crate::record::content;
use crate::sizes::NANODTLS_MAX_HEARTBEAT_PAYLOAD;

/// Heartbeat (RFC 6520) state.
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct Heartbeat {
    /// Payload and padding of our outstanding request.
    pub payload: [u8; HB_PAYLOAD],
    pub padding: [u8; HB_PADDING],
    /// The response to the peer's last request, waiting to be polled:
    /// its payload (`echo_len` bytes), then our fresh padding.
    pub echo: [u8; NANODTLS_MAX_HEARTBEAT_PAYLOAD + HB_PADDING],
    pub echo_len: u16,
    /// A response must go out with the next poll.
    pub respond: bool,
    pub sent_at: u64,
    pub next_at: u64,
    pub rtt_ms: u32,
    pub interval_ms: u32,
    pub counter: u32,
    pub retries: u8,
    pub status: HeartbeatStatus,
    /// Negotiated: we answer the peer's requests.
    pub answer: bool,
    /// Negotiated: we may send requests.
    pub may_send: bool,
    /// A request must go out with the next poll.
    pub send_now: bool,
}

/// Heartbeat payload length we use.
pub(crate) const HB_PAYLOAD: usize = 16;
/// Heartbeat padding length (the RFC 6520 minimum).
pub(crate) const HB_PADDING: usize = 16;
/// Retransmissions of a heartbeat request before it counts as lost.
const HB_RETRIES: u8 = 3;

/// Outcome of the last heartbeat request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromZeros)]
#[repr(u8)]
pub enum HeartbeatStatus {
    /// No request sent yet.
    Idle = 0,
    /// A request is waiting for its response.
    Pending = 1,
    /// The response arrived (see the round-trip time).
    Ok = 2,
    /// No response after the retransmissions: the peer or path is gone.
    Failed = 3,
}

impl Association {
    /// Start a heartbeat request: see `Connection::heartbeat`.
    pub(crate) fn start_heartbeat(&mut self, env: &mut dyn Env, now: u64) -> Result<(), Error> {
        if self.state != State::Connected {
            return Err(Error::WrongState);
        }
        if !self.hb.may_send {
            return Err(Error::Unsupported);
        }
        if self.hb.status == HeartbeatStatus::Pending {
            return Err(Error::WouldBlock);
        }
        self.hb.counter = self.hb.counter.wrapping_add(1);
        let mut payload = [0u8; HB_PAYLOAD];
        let mut padding = [0u8; HB_PADDING];
        env.random(&mut payload)?;
        env.random(&mut padding)?;
        if let Some(p) = payload.get_mut(..4) {
            p.copy_from_slice(&self.hb.counter.to_be_bytes());
        }
        self.hb.payload = payload;
        self.hb.padding = padding;
        self.hb.status = HeartbeatStatus::Pending;
        self.hb.sent_at = now;
        self.hb.retries = 0;
        self.hb.interval_ms = self.cfg.retransmit_initial_ms;
        self.hb.next_at = now.saturating_add(u64::from(self.hb.interval_ms));
        self.hb.send_now = true;
        Ok(())
    }

    /// When our outstanding request must be retransmitted (or given up).
    pub(crate) fn heartbeat_deadline(&self) -> Option<u64> {
        (self.state == State::Connected && self.hb.status == HeartbeatStatus::Pending).then_some(self.hb.next_at)
    }

    /// The heartbeat timer: retransmit the request with a doubled interval,
    /// or after [`HB_RETRIES`] retransmissions mark it Failed.
    pub(crate) fn heartbeat_timeout(&mut self, now: u64) {
        if self.heartbeat_deadline().is_none_or(|at| now < at) {
            return;
        }
        if self.hb.retries >= HB_RETRIES {
            nd_log!(self.log =>
                Warn,
                "{}: heartbeat: no response after {} retransmissions",
                crate::log::role(self.cfg.role),
                HB_RETRIES
            );
            self.hb.status = HeartbeatStatus::Failed;
        } else {
            self.hb.retries += 1;
            self.hb.interval_ms = self.hb.interval_ms.saturating_mul(2).min(self.cfg.retransmit_max_ms);
            self.hb.next_at = now.saturating_add(u64::from(self.hb.interval_ms));
            self.hb.send_now = true;
        }
    }

    /// True if a request must go out with this poll.
    pub(crate) fn heartbeat_due(&self) -> bool {
        self.hb.send_now && self.state == State::Connected
    }

    /// Write our request (type 1, payload, padding) as one protected record.
    pub(crate) fn write_heartbeat_request(&mut self, w: &mut Writer<'_>) -> Result<(), Error> {
        let n = HB_PAYLOAD as u16;
        let head = [1u8, (n >> 8) as u8, n as u8];
        let (payload, padding) = (self.hb.payload, self.hb.padding);
        self.rl.emit(self.cfg.role, w, content::HEARTBEAT, 1, &[&head, &payload, &padding])?;
        self.hb.send_now = false;
        self.stats.tx_records = self.stats.tx_records.saturating_add(1);
        Ok(())
    }

    /// Write the response to the peer's request (type 2, its payload, our
    /// padding) as one protected record.
    pub(crate) fn write_heartbeat_response(&mut self, w: &mut Writer<'_>) -> Result<(), Error> {
        let n = self.hb.echo_len;
        let head = [2u8, (n >> 8) as u8, n as u8];
        let body = self.hb.echo.get(..usize::from(n) + HB_PADDING).ok_or(Error::Internal)?;
        self.rl.emit(self.cfg.role, w, content::HEARTBEAT, 1, &[&head, body])?;
        self.hb.respond = false;
        self.stats.tx_records = self.stats.tx_records.saturating_add(1);
        Ok(())
    }

    /// A heartbeat message (RFC 6520 section 4): answer requests, match
    /// responses, silently drop anything malformed (the Heartbleed class).
    pub(crate) fn on_heartbeat(&mut self, env: &mut dyn Env, now: u64, data: &[u8]) {
        let mut r = Reader::new(data);
        let parsed = (|| -> Result<(u8, &[u8]), Error> {
            let t = r.u8()?;
            let n = usize::from(r.u16()?);
            let payload = r.take(n)?;
            if r.remaining() < HB_PADDING {
                return Err(Error::Decode);
            }
            Ok((t, payload))
        })();
        let Ok((kind, payload)) = parsed else {
            nd_drop!(self, dropped_malformed, "malformed heartbeat message of {} bytes", data.len());
            return;
        };
        match kind {
            1 if self.hb.answer => {
                // Response: same payload, fresh random padding; kept until
                // polled (a newer request replaces it).
                let n = payload.len();
                let Some(dst) = self.hb.echo.get_mut(..n + HB_PADDING) else {
                    nd_drop!(
                        self,
                        dropped_oversize,
                        "heartbeat request with a {}-byte payload (NANODTLS_MAX_HEARTBEAT_PAYLOAD)",
                        n
                    );
                    return;
                };
                let (p, pad) = dst.split_at_mut(n);
                if env.random(pad).is_err() {
                    return;
                }
                p.copy_from_slice(payload);
                self.hb.echo_len = n as u16;
                self.hb.respond = true;
            }
            2 if self.hb.status == HeartbeatStatus::Pending && crate::crypto::ct_eq(payload, &self.hb.payload) => {
                self.hb.status = HeartbeatStatus::Ok;
                self.hb.rtt_ms = u32::try_from(now.saturating_sub(self.hb.sent_at)).unwrap_or(u32::MAX);
                self.hb.send_now = false;
            }
            _ => nd_drop!(self, dropped_unexpected, "unexpected heartbeat message type {}", kind),
        }
    }
}
