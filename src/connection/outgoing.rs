//! The send side: what one poll produces, in order: our flight (cut into
//! records that fit the MTU and the peer's record limit, RFC 6347 4.2.3),
//! queued application data and heartbeat, then the pending alert.

use super::Engine;
use crate::association::{Association, BodyFn, Sources, State};
use crate::auth::Credentials;
use crate::codec::Writer;
use crate::config::Role;
use crate::crypto::aead::TagLen;
use crate::env::Env;
use crate::error::Error;
use crate::record::{self, content};

impl Engine {
    /// Produce the next datagram to send into `out` (at most the configured
    /// MTU). Returns `Ok(Some(len))`, or `Ok(None)` when there is nothing to
    /// send. `BufferTooSmall` if `out` cannot hold the next record, or is
    /// smaller than [`crate::config::MIN_MTU`] while anything waits (nothing
    /// is lost; retry with a buffer of at least the MTU).
    pub(crate) fn poll_datagram(
        &mut self,
        creds: &Credentials,
        env: &dyn Env,
        now: u64,
        out: &mut [u8],
    ) -> Result<Option<usize>, Error> {
        let r = self.poll_inner(creds, env, now, out);
        // The AES/CCM hook failed: whatever is in `out` is not sent.
        #[cfg(feature = "aes-hook")]
        if r == Err(Error::Crypto) {
            return Err(self.assoc.crypto_failed());
        }
        r
    }

    fn poll_inner(
        &mut self,
        creds: &Credentials,
        env: &dyn Env,
        now: u64,
        out: &mut [u8],
    ) -> Result<Option<usize>, Error> {
        // A buffer below the smallest MTU holds no datagram we would send:
        // refuse it whenever something waits (instead of cutting a flight
        // into tiny fragments); an empty buffer makes every branch below
        // say BufferTooSmall without consuming anything.
        let out = if out.len() < usize::from(crate::config::MIN_MTU) {
            out.get_mut(..0).ok_or(Error::Internal)?
        } else {
            out
        };
        let c = &mut self.assoc;
        let mut limit = core::cmp::min(out.len(), usize::from(c.cfg.mtu));
        if c.hs.mfl_code != 0 || (c.hs.rsl_peer != 0 && c.record_limit() < 1 << 14) {
            // A peer that negotiated max_fragment_length (or announced a
            // record_size_limit below 2^14) may size its receive buffer for
            // one record: keep datagrams within one record's worth.
            limit = limit.min(c.record_limit() + record::protected_overhead(TagLen::Sixteen) + c.rl.cid_overhead());
        }
        let role = c.cfg.role;
        let mut w = Writer::new(out.get_mut(..limit).ok_or(Error::Internal)?);
        // Order: a HelloVerifyRequest (stateless), our flight, heartbeat
        // messages, then the pending alert.
        if c.hvr.pending {
            let h = &c.hvr;
            crate::handshake::msg::hello_verify_request::write_record_to(
                &mut w,
                h.record_seq,
                h.message_seq,
                &h.cookie,
            )?;
            c.hvr.pending = false;
        } else if c.flight.sending {
            let limit = c.record_limit();
            // Our messages are written again from the state: split the
            // association into the flight and record layer being advanced
            // and the sources the bodies come from.
            #[cfg(feature = "tickets")]
            let Association { flight, rl, hs, cfg, sni, sni_len, session, hb, ticket, .. } = c;
            #[cfg(not(feature = "tickets"))]
            let Association { flight, rl, hs, cfg, sni, sni_len, session, hb, .. } = c;
            // The record layer advances while the bodies are written: the
            // CIDs the hellos carry come from a copy (a few bytes).
            #[cfg(feature = "cid")]
            let cid = rl.cid.clone();
            let src = Sources {
                hs,
                cfg,
                sni: sni.get(..usize::from(*sni_len)).unwrap_or(&[]),
                session,
                #[cfg(feature = "tickets")]
                ticket,
                hb_answer: hb.answer,
                #[cfg(feature = "cid")]
                cid: &cid,
                creds,
                env,
            };
            let write: BodyFn = match role {
                #[cfg(nanodtls_client)]
                Role::Client => crate::client::write_body,
                #[cfg(nanodtls_server)]
                Role::Server => crate::server::write_body,
                #[allow(unreachable_patterns)]
                _ => return Err(Error::Unsupported),
            };
            let records = flight.write_datagram(rl, role, limit, &mut w, &mut |t, bw| write(&src, t, bw))?;
            c.stats.tx_records = c.stats.tx_records.saturating_add(records);
            #[cfg(feature = "log")]
            if !w.is_empty() {
                c.flight.datagrams = c.flight.datagrams.saturating_add(1);
            }
            if !c.flight.sending {
                c.flight.sent(now);
                nd_log!(c.log =>
                    Debug,
                    "{}: flight sent: {} handshake message(s) in {} datagram(s){}",
                    crate::log::role(role),
                    c.flight.message_count(),
                    c.flight.datagrams,
                    if c.flight.deadline().is_some() { " (timer armed)" } else { "" }
                );
            }
        } else if c.hb.respond && c.state == State::Connected {
            c.write_heartbeat_response(&mut w)?;
        } else if c.heartbeat_due() {
            c.write_heartbeat_request(&mut w)?;
        } else if c.alert_out.pending {
            let epoch = if c.rl.keys_ready { c.rl.write_epoch } else { 0 };
            let body = [c.alert_out.level, c.alert_out.description];
            c.rl.emit(role, &mut w, content::ALERT, epoch, &[&body])?;
            c.alert_out.pending = false;
            c.stats.tx_records = c.stats.tx_records.saturating_add(1);
            if matches!(c.state, State::Failed | State::Closed) {
                c.wipe_secrets();
            }
        }
        let n = w.len();
        if n == 0 {
            return Ok(None);
        }
        c.stats.tx_datagrams = c.stats.tx_datagrams.saturating_add(1);
        c.stats.tx_bytes = c.stats.tx_bytes.saturating_add(n as u32);
        Ok(Some(n))
    }
}
