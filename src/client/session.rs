//! Session resumption on the client (RFC 5246 7.3 session IDs, RFC 5077
//! session tickets): the ticket offered, the session remembered after a
//! full handshake, NewSessionTicket.

use crate::association::Association;

impl Association {
    /// The ticket offered with the stored session (empty: none).
    #[cfg(feature = "tickets")]
    pub(super) fn offered_ticket(&self) -> &[u8] {
        if self.session.valid {
            self.ticket.ticket()
        } else {
            &[]
        }
    }

    /// After a full handshake: keep the session if the server issued an ID
    /// (or a ticket, which is kept beside it).
    pub(super) fn remember_session(&mut self) {
        self.session.clear();
        #[cfg(feature = "tickets")]
        let ticket = self.ticket.len != 0;
        #[cfg(not(feature = "tickets"))]
        let ticket = false;
        if self.hs.session_id_len == 0 && !ticket {
            return;
        }
        let s = &mut self.session;
        s.master = self.hs.master;
        s.id = self.hs.session_id;
        s.id_len = self.hs.session_id_len;
        s.suite = self.hs.suite;
        s.ems = self.hs.ems;
        #[cfg(feature = "ecc")]
        if self.hs.ecc.has_peer {
            s.set_peer(crate::session::PeerKind::KeyHash, &self.hs.ecc.peer_hash);
            #[cfg(feature = "x509")]
            if let Some(id) = self.x509_peer.to_session(&self.hs.ecc.peer_hash) {
                s.set_peer(crate::session::PeerKind::X509, &id);
            }
        }
        s.valid = true;
    }

    /// NewSessionTicket (RFC 5077 3.3), announced by the ServerHello.
    #[cfg(feature = "tickets")]
    pub(super) fn on_new_session_ticket(
        &mut self,
        origin: &crate::handshake::MsgOrigin,
        message: &[u8],
        body: &[u8],
    ) -> Result<(), crate::error::Fatal> {
        let nst = crate::handshake::msg::new_session_ticket::NewSessionTicket::parse(body)
            .map_err(|_| crate::error::Fatal::decode())?;
        // Accepted: from here on only state changes.
        self.hs.ticket_received = true;
        if !self.hs.resumed {
            self.hs.peer_flight_first = origin.message_seq;
        }
        self.hs.transcript.update(message);
        // An empty ticket (RFC 5077 3.3: the server decided not to issue
        // one after all) or one larger than the knob: none is kept.
        let _kept = self.ticket.set(nst.ticket, nst.lifetime_hint);
        #[cfg(feature = "log")]
        if nst.ticket.is_empty() {
            nd_log!(self.log => Info, "client: empty NewSessionTicket: no ticket kept");
        } else if _kept {
            nd_log!(self.log => Info, "client: NewSessionTicket of {} bytes kept (lifetime hint {} s)", nst.ticket.len(), nst.lifetime_hint);
        } else {
            nd_log!(self.log =>
                Warn,
                "client: NewSessionTicket of {} bytes exceeds NANODTLS_MAX_TICKET ({}): not kept",
                nst.ticket.len(),
                crate::sizes::NANODTLS_MAX_TICKET
            );
        }
        Ok(())
    }
}
