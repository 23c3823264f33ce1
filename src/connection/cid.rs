//! The receive side of tls12_cid records (RFC 9146 sections 4-6, feature
//! `cid`): the CID must be ours, the record fresh and authentic; then it
//! goes on as the record of its real content type. An authenticated
//! record newer than every record before it is counted in
//! `CidState::advanced`: only such a record may move the peer's address
//! (RFC 9146 section 6; the endpoint does the move).

use super::incoming::dispatch;
use crate::alert;
use crate::association::{Association, State};
use crate::auth::Credentials;
use crate::env::Env;
use crate::error::Fatal;
use crate::handshake::reassembly::Reassembly;
use crate::record::{cid, RecordHeader};

/// What became of one record: `Some(range)` is application data at
/// `range`; `Err` ends the connection.
type Outcome = Result<Option<core::ops::Range<usize>>, Fatal>;

/// Process the tls12_cid record at `at` of `datagram`. `None`: it cannot
/// be parsed (or no CID was negotiated, so its header length is unknown):
/// the rest of the datagram is dropped. Else the end of the record in the
/// datagram and what became of it (`Some(range)`: application data at
/// `range` of the datagram).
#[allow(clippy::too_many_arguments)]
pub(super) fn cid_record(
    c: &mut Association,
    reasm: &mut Reassembly,
    creds: &Credentials,
    env: &mut dyn Env,
    now: u64,
    datagram: &mut [u8],
    at: usize,
    resend: &mut bool,
) -> Option<(usize, Outcome)> {
    if !c.rl.cid.expects_cid() {
        nd_drop!(c, dropped_cid, "tls12_cid record, but we asked for no connection ID: rest of the datagram dropped");
        return None;
    }
    let cid_len = usize::from(c.rl.cid.rx_len);
    let Ok(h) = cid::parse_header(datagram.get(at..).unwrap_or(&[]), cid_len) else {
        nd_drop!(c, dropped_malformed, "unparsable tls12_cid record in a {}-byte datagram", datagram.len());
        return None;
    };
    let start = at + h.header_len;
    let end = start + h.len;
    let same = datagram.get(at + 11..at + 11 + cid_len).is_some_and(|got| got == c.rl.cid.rx());
    if !same {
        nd_drop!(c, dropped_cid, "tls12_cid record with another connection ID: seq {}", h.seq);
        return Some((end, Ok(None)));
    }
    if h.epoch != 1 || c.rl.read_epoch != 1 {
        nd_drop!(c, dropped_epoch, "tls12_cid record in epoch {} (reading epoch {})", h.epoch, c.rl.read_epoch);
        return Some((end, Ok(None)));
    }
    if !c.rl.window.is_fresh(h.seq) {
        nd_drop!(c, dropped_replay, "replayed or too old tls12_cid record: seq {}", h.seq);
        return Some((end, Ok(None)));
    }
    let role = c.cfg.role;
    let tag = c.rl.tag();
    let mut rx = [0u8; crate::sizes::NANODTLS_MAX_CID];
    let ours = rx.get_mut(..cid_len)?;
    ours.copy_from_slice(c.rl.cid.rx());
    let fragment = datagram.get_mut(start..end)?;
    let (ctype, plain) = match cid::open_in_place_with(c.rl.engine, &h, ours, c.rl.read_keys(role), tag, fragment) {
        Ok(Some(x)) => x,
        Ok(None) => {
            // Authentic, but no content type in the inner plaintext: the
            // peer broke RFC 9146 section 4; dropped like any bad record.
            // (It authenticated: the window moves, nobody can replay it.)
            c.rl.window.mark(h.seq);
            nd_drop!(c, dropped_malformed, "tls12_cid record seq {} without a content type (all zero)", h.seq);
            return Some((end, Ok(None)));
        }
        #[cfg(feature = "aes-hook")]
        Err(crate::error::Error::Crypto) => return Some((end, Err(Fatal::internal(crate::error::Error::Crypto)))),
        Err(_) => {
            nd_drop!(c, dropped_auth, "tls12_cid record failed authentication: seq {}", h.seq);
            if matches!(c.state, State::ServerWaitFinished | State::ClientWaitFinished) {
                c.hs.note_rejection(alert::BAD_RECORD_MAC);
            }
            return Some((end, Ok(None)));
        }
    };
    if c.rl.window.is_newest(h.seq) {
        c.rl.cid.advanced = c.rl.cid.advanced.wrapping_add(1);
    }
    c.rl.window.mark(h.seq);
    c.accepted = c.accepted.wrapping_add(1);
    let rec = RecordHeader { ctype, version: h.version, epoch: h.epoch, seq: h.seq, len: plain.len() };
    let r = dispatch(c, reasm, creds, env, now, &rec, fragment, plain, resend);
    Some((end, r.map(|app| app.map(|a| start + a.start..start + a.end))))
}

impl super::Engine {
    /// True if a connection ID was negotiated (RFC 9146; both sides sent
    /// the extension). Either CID may still be empty.
    pub fn cid_negotiated(&self) -> bool {
        self.assoc.rl.cid.negotiated
    }

    /// The CID we put in the records we send (the peer's; empty: none).
    pub fn tx_cid(&self) -> &[u8] {
        if self.assoc.rl.cid.negotiated {
            self.assoc.rl.cid.tx()
        } else {
            &[]
        }
    }

    /// The CID the peer puts in the records it sends us (ours; empty:
    /// none).
    pub fn rx_cid(&self) -> &[u8] {
        if self.assoc.rl.cid.negotiated {
            self.assoc.rl.cid.rx()
        } else {
            &[]
        }
    }

    /// Authenticated tls12_cid records so far that were newer than every
    /// record before them (wrapping): the endpoint moves a peer's address
    /// only when this advanced during a datagram from the new address.
    pub(crate) fn cid_advanced(&self) -> u32 {
        self.assoc.rl.cid.advanced
    }
}

#[cfg(feature = "std")]
impl super::Engine {
    /// Test support: protect `payload` as one epoch-1 record of `ctype`
    /// in the ordinary format (no CID) although a CID was negotiated, as
    /// a broken or hostile peer would.
    #[doc(hidden)]
    pub fn test_record_without_cid(&mut self, ctype: u8, payload: &[u8]) -> Result<std::vec::Vec<u8>, crate::Error> {
        let was = self.assoc.rl.cid.negotiated;
        self.assoc.rl.cid.negotiated = false;
        let r = self.test_record(ctype, 1, payload);
        self.assoc.rl.cid.negotiated = was;
        r
    }

    /// Test support: a tls12_cid record whose DTLSInnerPlaintext is
    /// exactly `inner` (content, real type, padding: as given, even if
    /// invalid), sealed with our write keys and the peer's CID.
    #[doc(hidden)]
    pub fn test_cid_record_inner(&mut self, inner: &[u8]) -> Result<std::vec::Vec<u8>, crate::Error> {
        let (last, content) = inner.split_last().ok_or(crate::Error::InvalidArgument)?;
        let mut buf = [0u8; 2048];
        let mut w = crate::codec::Writer::new(&mut buf);
        let role = self.assoc.cfg.role;
        let rl = &mut self.assoc.rl;
        let seq = rl.next_seq(1)?;
        let tag = rl.tag();
        cid::write_record_with(
            &mut w,
            rl.write_keys(role),
            tag,
            rl.cid.tx(),
            *last,
            1,
            seq,
            content.len(),
            &mut |d| {
                d.copy_from_slice(content);
                Ok(())
            },
        )?;
        Ok(w.written().to_vec())
    }
}
