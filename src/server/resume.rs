//! Session resumption on the server (RFC 5246 7.3 session IDs and the
//! cache, RFC 5077 session tickets): whether a ClientHello can resume,
//! the abbreviated handshake, what a session keeps and the ticket issued.

use zerocopy::FromZeros;

use crate::association::Association;

impl Association {
    /// True if the ClientHello offers a session the cache has and that is
    /// still acceptable (nothing changes but the entry's last use).
    pub(super) fn can_resume(
        &self,
        env: &mut dyn crate::env::Env,
        now: u64,
        ch: &crate::handshake::msg::client_hello::ClientHello<'_>,
        ems: bool,
    ) -> bool {
        if ch.session_id.is_empty() {
            return false;
        }
        let configured = |s: u16| self.cfg.suite_list().any(|x| x == s);
        let Some(cache) = env.session_cache() else { return false };
        let Some(found) = crate::session::cache_lookup(cache, ch.session_id, now) else {
            return false;
        };
        // Same suite still offered and allowed; RFC 7627 5.3: never resume
        // across a change in extended master secret use.
        ch.offers(found.suite) && configured(found.suite) && found.ems == ems
    }

    /// The session in the ticket the ClientHello offers (RFC 5077 3.4), if
    /// it is ours, intact, not expired and still acceptable; `None` means a
    /// full handshake. Nothing changes. Fails only if the AES/CCM hook
    /// failed (feature `aes-hook`: no silent full handshake then).
    #[cfg(feature = "tickets")]
    pub(super) fn ticket_session(
        &self,
        env: &mut dyn crate::env::Env,
        now: u64,
        ch: &crate::handshake::msg::client_hello::ClientHello<'_>,
        ticket: Option<&[u8]>,
        ems: bool,
    ) -> Result<Option<crate::session::SessionData>, crate::error::Fatal> {
        let Some(ticket) = ticket.filter(|t| !t.is_empty() && self.cfg.tickets) else { return Ok(None) };
        if ch.session_id.is_empty() {
            nd_log!(self.log => Info, "server: a ticket without a session ID: full handshake");
            return Ok(None);
        }
        let mut buf = zeroize::Zeroizing::new([0u8; crate::session_ticket::MAX_SEALED]);
        let copy = buf.get_mut(..ticket.len());
        let Some(copy) = copy else {
            nd_log!(self.log => Info, "server: ticket of {} bytes is not one of ours: full handshake", ticket.len());
            return Ok(None);
        };
        copy.copy_from_slice(ticket);
        let Some(keys) = env.ticket_keys() else { return Ok(None) };
        let Some(mut s) = keys.unseal_with(self.rl.engine, copy, now).map_err(crate::error::Fatal::internal)? else {
            nd_log!(self.log => Info, "server: ticket of {} bytes refused (unknown key, tampered or expired): full handshake", ticket.len());
            return Ok(None);
        };
        let configured = self.cfg.suite_list().any(|x| x == s.suite);
        if !(ch.offers(s.suite) && configured && s.ems == ems) {
            nd_log!(self.log => Info, "server: ticket's suite or extended master secret use does not match: full handshake");
            s.clear();
            return Ok(None);
        }
        let Some(id) = s.id.get_mut(..ch.session_id.len()) else { return Ok(None) };
        id.copy_from_slice(ch.session_id);
        s.id_len = ch.session_id.len() as u8;
        nd_log!(self.log => Info, "server: resuming from a ticket ({})", crate::suite::name(s.suite));
        Ok(Some(s))
    }

    /// NewSessionTicket (RFC 5077 3.3) if our ServerHello announced one:
    /// the session sealed under the current ticket key, or an empty ticket
    /// when none can be sealed (no key, RNG failure, trust anchor mode).
    #[cfg(feature = "tickets")]
    pub(super) fn push_new_session_ticket(
        &mut self,
        env: &mut dyn crate::env::Env,
        creds: &crate::auth::Credentials,
        now: u64,
    ) -> Result<(), crate::error::Fatal> {
        if !self.hs.ticket_expected {
            return Ok(());
        }
        self.ticket.clear();
        let mut s = if self.hs.resumed { self.session.clone() } else { self.session_state() };
        #[cfg(nanodtls_ttp)]
        if self.hs.ttp.mode != crate::auth::TTP_NONE {
            s.valid = false;
        }
        let mut fresh = zeroize::Zeroizing::new([0u8; 12 + 32]);
        if s.valid && env.random(&mut fresh[..]).is_ok() {
            let (nonce, key) = fresh.split_at(12);
            let nonce: [u8; 12] = nonce.try_into().unwrap_or([0; 12]);
            if let Some(keys) = env.ticket_keys() {
                let mut off = 0usize;
                let mut rng = |b: &mut [u8]| {
                    let src =
                        off.checked_add(b.len()).and_then(|end| key.get(off..end)).ok_or(crate::error::Error::Rng)?;
                    b.copy_from_slice(src);
                    off += b.len();
                    Ok(())
                };
                let engine = self.rl.engine;
                let sealed = keys
                    .refresh(now, &mut rng)
                    .and_then(|_| keys.seal_with(engine, &s, now, &nonce, &mut self.ticket.data));
                match sealed {
                    Ok(n) => {
                        self.ticket.len = n as u16;
                        self.ticket.lifetime_hint = keys.lifetime_ms / 1000;
                    }
                    // The AES/CCM hook failed: fail closed (no empty ticket).
                    Err(crate::error::Error::Crypto) => {
                        s.clear();
                        self.ticket.clear();
                        return Err(crate::error::Fatal::internal(crate::error::Error::Crypto));
                    }
                    Err(_e) => {
                        nd_log!(self.log => Warn, "server: no ticket sealed ({}): sending an empty NewSessionTicket", _e.as_str())
                    }
                }
            }
        }
        s.clear();
        self.push_message(creds, env, 0, crate::handshake::msg::NEW_SESSION_TICKET, super::write_body)
    }

    /// Resume the session the ClientHello offers ([`Core::can_resume`]
    /// said yes): send the abbreviated flight (ServerHello,
    /// ChangeCipherSpec, Finished).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn resume(
        &mut self,
        env: &mut dyn crate::env::Env,
        creds: &crate::auth::Credentials,
        now: u64,
        origin: &crate::handshake::MsgOrigin,
        message: &[u8],
        ch: &crate::handshake::msg::client_hello::ClientHello<'_>,
        ems: bool,
    ) -> Result<(), crate::error::Fatal> {
        let cache = env.session_cache().ok_or(crate::error::Fatal::internal(crate::error::Error::Internal))?;
        let found = crate::session::cache_lookup(cache, ch.session_id, now)
            .ok_or(crate::error::Fatal::internal(crate::error::Error::Internal))?;
        let found = found.clone();
        self.resume_session(env, creds, now, origin, message, ch, ems, found)
    }

    /// The abbreviated handshake (RFC 5246 7.3) for `found`, from the cache
    /// or a ticket: ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn resume_session(
        &mut self,
        env: &mut dyn crate::env::Env,
        creds: &crate::auth::Credentials,
        now: u64,
        origin: &crate::handshake::MsgOrigin,
        message: &[u8],
        ch: &crate::handshake::msg::client_hello::ClientHello<'_>,
        ems: bool,
        found: crate::session::SessionData,
    ) -> Result<(), crate::error::Fatal> {
        self.forget_session();
        self.session = found;
        env.random(&mut self.hs.server_random).map_err(|_| crate::error::Fatal::internal(crate::error::Error::Rng))?;
        self.hs.client_random = ch.random;
        self.hs.suite = self.session.suite;
        self.hs.ems = ems;
        self.hs.resumed = true;
        self.hs.master = self.session.master;
        self.hs.session_id = self.session.id;
        self.hs.session_id_len = self.session.id_len;
        match self.session.peer_kind {
            crate::session::PeerKind::PskIdentity => {
                let id = self.session.peer();
                self.hs.set_peer_identity(id);
            }
            #[cfg(feature = "ecc")]
            crate::session::PeerKind::KeyHash => {
                if let Ok(h) = <[u8; 32]>::try_from(self.session.peer()) {
                    self.hs.ecc.peer_hash = h;
                    self.hs.ecc.has_peer = true;
                }
            }
            // Certificate mode: the identity the client's chain proved in
            // the full handshake (its EUI-64), as after that handshake.
            #[cfg(feature = "x509")]
            crate::session::PeerKind::X509 => {
                if let Some((h, peer)) = crate::auth::x509::trust::PeerX509::from_session(self.session.peer()) {
                    self.hs.ecc.peer_hash = h;
                    self.hs.ecc.has_peer = true;
                    self.x509_peer = peer;
                }
            }
            _ => {}
        }
        self.stats.resumptions = self.stats.resumptions.saturating_add(1);
        nd_log!(self.log => Info, "server: resuming a cached session ({})", crate::suite::name(self.hs.suite));
        self.hs.deadline = now.saturating_add(u64::from(self.cfg.handshake_timeout_ms));
        self.hs.send_seq = origin.message_seq;
        self.hs.peer_flight_first = origin.message_seq;
        self.hs.transcript.reset();
        self.hs.transcript.update(message);
        // ServerHello, then CCS and Finished with keys from the cached master.
        self.flight.clear();
        self.push_message(creds, env, 0, crate::handshake::msg::SERVER_HELLO, super::write_body)?;
        #[cfg(feature = "tickets")]
        self.push_new_session_ticket(env, creds, now)?;
        self.install_keys();
        self.push_ccs()?;
        self.push_finished(creds, env, super::write_body)?;
        self.send_flight(true);
        self.state = crate::association::State::ServerWaitCcs;
        Ok(())
    }

    /// After a full handshake: put the session into the cache, if any.
    pub(super) fn cache_session(&mut self, env: &mut dyn crate::env::Env, now: u64) {
        if self.hs.resumed || self.hs.session_id_len == 0 {
            return;
        }
        // A trust anchor credential is good for one handshake (docs/ttp.md).
        #[cfg(nanodtls_ttp)]
        if self.hs.ttp.mode != crate::auth::TTP_NONE {
            return;
        }
        let mut s = self.session_state();
        if let Some(cache) = env.session_cache() {
            crate::session::cache_insert(cache, &s, now);
        }
        s.clear();
    }

    /// The session this full handshake established.
    pub(super) fn session_state(&self) -> crate::session::SessionData {
        let mut s = crate::session::SessionData::new_zeroed();
        s.master = self.hs.master;
        s.id = self.hs.session_id;
        s.id_len = self.hs.session_id_len;
        s.suite = self.hs.suite;
        s.ems = self.hs.ems;
        match crate::suite::info(self.hs.suite).map(|(k, _)| k) {
            Some(crate::suite::KeyExchange::Psk) => {
                s.set_peer(crate::session::PeerKind::PskIdentity, self.hs.peer_identity())
            }
            #[cfg(feature = "ecdhe-psk")]
            Some(crate::suite::KeyExchange::EcdhePsk) => {
                s.set_peer(crate::session::PeerKind::PskIdentity, self.hs.peer_identity())
            }
            #[cfg(feature = "ecc")]
            Some(crate::suite::KeyExchange::EcdheEcdsa) if self.hs.ecc.has_peer => {
                s.set_peer(crate::session::PeerKind::KeyHash, &self.hs.ecc.peer_hash);
                // Certificate mode: the validated identity too.
                #[cfg(feature = "x509")]
                if let Some(id) = self.x509_peer.to_session(&self.hs.ecc.peer_hash) {
                    s.set_peer(crate::session::PeerKind::X509, &id);
                }
            }
            _ => {}
        }
        s.valid = true;
        s
    }
}
