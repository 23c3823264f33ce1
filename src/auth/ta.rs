//! The trust anchor table of the trusted-third-party modes (docs/ttp.md):
//! DerivedKey (feature `derived-key`, [`super::derived_key`]) and
//! AuthorizedPublicKey (feature `authz-cert`, [`super::authz_cert`]).
//!
//! A resource server holds one symmetric key per trust anchor (TA). A TA
//! hands each client it authorises either a derived PSK or a MAC-protected
//! public key, each bound to a 32-bit sequence number that the TA never
//! reuses. The server keeps, per TA, a sliding window of the sequence
//! numbers used (RFC 6347 4.1.2.6 style, [`NANODTLS_TA_WINDOW`] wide): a
//! seq is fresh if it is above the highest one used, or within the window
//! and not marked. The table lives in the [`super::Credentials`], so every
//! peer slot of an endpoint shares it.
//!
//! A handshake only *checks* its seq when the client's credential arrives
//! (before any key is derived or MAC computed); the window moves only when
//! the handshake succeeds (the server verified the client's Finished),
//! where the seq is checked again (`TrustAnchors::commit`). So two
//! handshakes with one nonce may run at once, but only the first to finish
//! gets in. The windows sit in `Cell`s: the handshake sees the credentials
//! read-only (they are shared), and a context or endpoint is used from one
//! thread at a time.
//!
//! Window state survives a reboot through [`TrustAnchors::export`] /
//! [`TrustAnchors::import`] (format below); an import merges, so it never
//! re-opens a seq that was used before the export, nor one used since.
//!
//! # Window state format (version 1)
//! ```text
//! offset      size  field
//! 0           4     magic "NDTW"
//! 4           1     version = 1
//! 5           1     L: length of the trust anchor id (1..=255)
//! 6           L     the trust anchor id
//! 6+L         2     W: window size in bits, big-endian (a multiple of 8, 8..=8192)
//! 8+L         1     flags: bit 0 set = some seq was used (`top` is valid); other bits 0
//! 9+L         4     top: the highest seq used, big-endian (0 when flags bit 0 is clear)
//! 13+L        W/8   bitmap: bit b of byte k (LSB first) set = seq top-(8k+b) used
//! 13+L+W/8    4     check: the first 4 bytes of SHA-256 of all bytes before
//! ```
//! Every seq at or below `top - W` counts as used. Without flag bit 0 the
//! bitmap must be all zero. A blob that does not follow this exactly (wrong
//! magic, version, length, check bytes, reserved bits) is refused and
//! changes nothing.
//!
//! Why ~800 lines: ~215 of them are unit tests of the window rules and
//! the export/import format; the table itself is ~585.

use core::cell::Cell;

use zerocopy::FromZeros;
use zeroize::Zeroize;

use super::TtpPending;
use crate::codec::{Reader, Writer};
use crate::crypto::sha256::sha256;
use crate::error::Error;
use crate::sizes::{
    NANODTLS_MAX_PSK_KEY, NANODTLS_MAX_TA_ID, NANODTLS_MAX_TRUST_ANCHORS, NANODTLS_TA_STATE_MAX, NANODTLS_TA_WINDOW,
};

const _: () = assert!(NANODTLS_TA_WINDOW % 32 == 0 && NANODTLS_TA_WINDOW >= 32, "NANODTLS_TA_WINDOW");
const WORDS: usize = NANODTLS_TA_WINDOW / 32;
const _: () = assert!(NANODTLS_TA_STATE_MAX == STATE_FIXED + NANODTLS_MAX_TA_ID + NANODTLS_TA_WINDOW / 8);

/// Shortest trust anchor key (K_RS-TA) in bytes.
pub const MIN_KEY_LEN: usize = 16;
/// Longest trust anchor key in bytes.
pub const MAX_KEY_LEN: usize = 32;
/// Magic of an exported window state.
pub const STATE_MAGIC: [u8; 4] = *b"NDTW";
/// Version of the window state format written by [`TrustAnchors::export`].
pub const STATE_VERSION: u8 = 1;
/// Bytes of a window state besides the id and the bitmap.
const STATE_FIXED: usize = 4 + 1 + 1 + 2 + 1 + 4 + 4;
/// Largest window size in an imported state (bits).
const STATE_MAX_WINDOW: usize = 8192;

/// Why a trust anchor mode refused a client (each has its own counter in
/// [`TtpStats`]; the alert is the same for all: decrypt_error for
/// DerivedKey, bad_certificate for AuthzCert).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The nonce or the MacCert does not follow its format.
    Malformed,
    /// No trust anchor with that id.
    UnknownTa,
    /// The seq was used (or revoked) already.
    Replayed,
    /// The seq is left of the window (too old to tell).
    TooOld,
    /// At the end of the handshake: the trust anchor was reset or removed
    /// since the credential was checked.
    Changed,
    /// AuthzCert: the SubjectPublicKeyInfo is not a valid P-256 key.
    BadSpki,
    /// AuthzCert: the MAC does not verify.
    BadMac,
}

impl Refusal {
    /// A short English description (for the debug log).
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Malformed => "malformed",
            Refusal::UnknownTa => "unknown trust anchor",
            Refusal::Replayed => "seq already used or revoked",
            Refusal::TooOld => "seq left of the window",
            Refusal::Changed => "trust anchor reset or removed during the handshake",
            Refusal::BadSpki => "not a valid P-256 SubjectPublicKeyInfo",
            Refusal::BadMac => "MAC does not verify",
        }
    }
}

/// Counters of the trust anchor modes (all trust anchors together). Each
/// refusal is counted once, under its reason.
#[derive(Clone, Copy, Debug, Default, FromZeros, PartialEq, Eq)]
#[repr(C)]
pub struct TtpStats {
    /// DerivedKey: identities that passed every check, so a key was derived.
    pub derived: u32,
    /// AuthzCert: certificates that passed every check.
    pub authz_checked: u32,
    /// Handshakes that completed and marked their seq used.
    pub accepted: u32,
    /// Malformed nonces (an identity starting with "DK.") or MacCerts.
    pub refused_malformed: u32,
    /// Unknown trust anchor id.
    pub refused_unknown_ta: u32,
    /// Seq already used, or revoked.
    pub refused_replayed: u32,
    /// Seq left of the window.
    pub refused_too_old: u32,
    /// AuthzCert: the key is not a valid P-256 SubjectPublicKeyInfo.
    pub refused_bad_spki: u32,
    /// AuthzCert: the MAC does not verify.
    pub refused_bad_mac: u32,
    /// Refused when the handshake completed: the seq was used meanwhile
    /// (e.g. by a concurrent handshake with the same nonce), revoked, or
    /// the trust anchor was reset or removed.
    pub refused_at_commit: u32,
}

/// The sliding window of one trust anchor: bit i of `bits` = seq `top - i`
/// is used.
#[derive(Clone, Copy, FromZeros)]
#[repr(C)]
pub(crate) struct Window {
    bits: [u32; WORDS],
    top: u32,
    /// Some seq was used (`top` is valid).
    used: bool,
}

impl Window {
    fn bit(&self, i: usize) -> bool {
        self.bits.get(i / 32).is_some_and(|w| (w >> (i % 32)) & 1 == 1)
    }

    fn set_bit(&mut self, i: usize, v: bool) {
        if let Some(w) = self.bits.get_mut(i / 32) {
            let m = 1u32 << (i % 32);
            if v {
                *w |= m;
            } else {
                *w &= !m;
            }
        }
    }

    /// Distance of `seq` below the top (None: above the top).
    fn below_top(&self, seq: u32) -> Option<usize> {
        let d = self.top.checked_sub(seq)?;
        Some(usize::try_from(d).unwrap_or(usize::MAX))
    }

    /// Ok if `seq` is fresh: above the highest seq used, or in the window
    /// and not used.
    pub(crate) fn check(&self, seq: u32) -> Result<(), Refusal> {
        if !self.used {
            return Ok(());
        }
        match self.below_top(seq) {
            None => Ok(()),
            Some(d) if d >= NANODTLS_TA_WINDOW => Err(Refusal::TooOld),
            Some(d) if self.bit(d) => Err(Refusal::Replayed),
            Some(_) => Ok(()),
        }
    }

    /// Mark `seq` used. Above the top it becomes the new top (the window
    /// slides; seqs that fall out of it are refused from now on); left of
    /// the window it is refused already.
    pub(crate) fn mark(&mut self, seq: u32) {
        if !self.used {
            self.bits = [0; WORDS];
            self.top = seq;
            self.used = true;
            self.set_bit(0, true);
            return;
        }
        match self.below_top(seq) {
            Some(d) => self.set_bit(d, true),
            None => {
                let shift = usize::try_from(seq - self.top).unwrap_or(usize::MAX);
                if shift >= NANODTLS_TA_WINDOW {
                    self.bits = [0; WORDS];
                } else {
                    for i in (shift..NANODTLS_TA_WINDOW).rev() {
                        let b = self.bit(i - shift);
                        self.set_bit(i, b);
                    }
                    for i in 0..shift {
                        self.set_bit(i, false);
                    }
                }
                self.top = seq;
                self.set_bit(0, true);
            }
        }
    }

    /// The lowest seq still inside the window (None: nothing used yet).
    fn lowest(&self) -> Option<u32> {
        self.used.then(|| self.top.saturating_sub(NANODTLS_TA_WINDOW as u32 - 1))
    }
}

/// One trust anchor.
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct Anchor {
    key: [u8; MAX_KEY_LEN],
    window: Cell<Window>,
    /// Changes with every add and reset (unique in the table): a handshake
    /// checked against an older key is refused at commit.
    generation: u32,
    id: [u8; NANODTLS_MAX_TA_ID],
    id_len: u8,
    key_len: u8,
    /// Length of a DerivedKey PSK: 16 or 32.
    derived_len: u8,
    in_use: bool,
}

impl Anchor {
    pub(crate) fn id(&self) -> &[u8] {
        self.id.get(..usize::from(self.id_len)).unwrap_or(&[])
    }

    pub(crate) fn key(&self) -> &[u8] {
        self.key.get(..usize::from(self.key_len)).unwrap_or(&[])
    }

    #[cfg(feature = "derived-key")]
    pub(crate) fn derived_len(&self) -> usize {
        usize::from(self.derived_len)
    }

    fn wipe(&mut self) {
        self.key.zeroize();
        self.zero();
    }
}

/// The trust anchors of a server (the access-control list of the
/// trusted-third-party modes): ids, keys (copied in, wiped by
/// [`TrustAnchors::wipe`] and on removal), windows, statistics.
#[derive(FromZeros)]
#[repr(C)]
pub struct TrustAnchors {
    anchors: [Anchor; NANODTLS_MAX_TRUST_ANCHORS],
    stats: Cell<TtpStats>,
    next_generation: u32,
    /// AuthzCert certificate type codepoint (0: the default, 3).
    authz_cert_type: u8,
}

fn valid_id(id: &[u8]) -> Result<(), Error> {
    if id.is_empty() || id.len() > NANODTLS_MAX_TA_ID || id.contains(&b'.') {
        return Err(Error::InvalidArgument);
    }
    Ok(())
}

fn valid_key(key: &[u8]) -> Result<(), Error> {
    if !(MIN_KEY_LEN..=MAX_KEY_LEN).contains(&key.len()) {
        return Err(Error::InvalidArgument);
    }
    Ok(())
}

impl TrustAnchors {
    /// Number of trust anchors configured.
    pub fn len(&self) -> usize {
        self.anchors.iter().filter(|a| a.in_use).count()
    }

    /// True if no trust anchor is configured (the modes are then off).
    pub fn is_empty(&self) -> bool {
        !self.anchors.iter().any(|a| a.in_use)
    }

    /// Add a trust anchor: `id` (1..=NANODTLS_MAX_TA_ID bytes, no '.'),
    /// its key K_RS-TA (16..=32 bytes, copied in), and the length of the
    /// PSKs DerivedKey derives from it (16 or 32, at most
    /// NANODTLS_MAX_PSK_KEY). Its window starts empty. `InvalidArgument`
    /// for a bad argument or an id already present, `NoSlot` when the
    /// table (NANODTLS_MAX_TRUST_ANCHORS) is full.
    pub fn add(&mut self, id: &[u8], key: &[u8], derived_len: usize) -> Result<(), Error> {
        valid_id(id)?;
        valid_key(key)?;
        if !(derived_len == 16 || derived_len == 32) || derived_len > NANODTLS_MAX_PSK_KEY {
            return Err(Error::InvalidArgument);
        }
        if self.find(id).is_some() {
            return Err(Error::InvalidArgument);
        }
        let generation = self.next_generation.wrapping_add(1);
        let a = self.anchors.iter_mut().find(|a| !a.in_use).ok_or(Error::NoSlot)?;
        a.wipe();
        a.id.get_mut(..id.len()).ok_or(Error::Internal)?.copy_from_slice(id);
        a.key.get_mut(..key.len()).ok_or(Error::Internal)?.copy_from_slice(key);
        a.id_len = id.len() as u8;
        a.key_len = key.len() as u8;
        a.derived_len = derived_len as u8;
        a.generation = generation;
        a.in_use = true;
        self.next_generation = generation;
        Ok(())
    }

    /// Remove a trust anchor (its key is wiped). Handshakes checked against
    /// it are refused when they complete. `InvalidArgument` if unknown.
    pub fn remove(&mut self, id: &[u8]) -> Result<(), Error> {
        let i = self.find(id).ok_or(Error::InvalidArgument)?;
        self.anchors.get_mut(i).ok_or(Error::Internal)?.wipe();
        Ok(())
    }

    /// Reset a trust anchor: a new key (16..=32 bytes), its window back to
    /// empty (every seq is fresh again: the TA starts a new sequence with
    /// the new key). Handshakes checked against the old key are refused
    /// when they complete. `InvalidArgument` if unknown.
    pub fn reset(&mut self, id: &[u8], key: &[u8]) -> Result<(), Error> {
        valid_key(key)?;
        let i = self.find(id).ok_or(Error::InvalidArgument)?;
        let generation = self.next_generation.wrapping_add(1);
        let a = self.anchors.get_mut(i).ok_or(Error::Internal)?;
        a.key.zeroize();
        a.key.get_mut(..key.len()).ok_or(Error::Internal)?.copy_from_slice(key);
        a.key_len = key.len() as u8;
        a.window.set(Window::new_zeroed());
        a.generation = generation;
        self.next_generation = generation;
        Ok(())
    }

    /// Mark `seq` of trust anchor `id` used (revoked): it is refused from
    /// now on. A seq above the highest one used slides the window to it,
    /// so the seqs more than NANODTLS_TA_WINDOW below it are refused too.
    /// `InvalidArgument` if the trust anchor is unknown.
    pub fn revoke(&mut self, id: &[u8], seq: u32) -> Result<(), Error> {
        let a = self.anchor(id).ok_or(Error::InvalidArgument)?;
        let mut w = a.window.get();
        w.mark(seq);
        a.window.set(w);
        Ok(())
    }

    /// True if `seq` of trust anchor `id` would be accepted now (`None`:
    /// no such trust anchor).
    pub fn is_fresh(&self, id: &[u8], seq: u32) -> Option<bool> {
        self.anchor(id).map(|a| a.window.get().check(seq).is_ok())
    }

    /// The highest seq used with trust anchor `id` (`Some(None)`: none yet;
    /// `None`: no such trust anchor).
    pub fn highest_seq(&self, id: &[u8]) -> Option<Option<u32>> {
        self.anchor(id).map(|a| {
            let w = a.window.get();
            w.used.then_some(w.top)
        })
    }

    /// Write the window state of trust anchor `id` into `out` (at most
    /// NANODTLS_TA_STATE_MAX bytes; the format is in the module
    /// documentation). The key is not in it. Returns the length.
    pub fn export(&self, id: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        let a = self.anchor(id).ok_or(Error::InvalidArgument)?;
        let w = a.window.get();
        let id = a.id();
        let n = STATE_FIXED + id.len() + NANODTLS_TA_WINDOW / 8;
        let dst = out.get_mut(..n).ok_or(Error::BufferTooSmall)?;
        let mut wr = Writer::new(dst);
        wr.put(&STATE_MAGIC)?;
        wr.u8(STATE_VERSION)?;
        wr.vec8(id)?;
        wr.u16(NANODTLS_TA_WINDOW as u16)?;
        wr.u8(u8::from(w.used))?;
        wr.put(&(if w.used { w.top } else { 0 }).to_be_bytes())?;
        let bitmap = wr.reserve(NANODTLS_TA_WINDOW / 8)?;
        for (k, byte) in bitmap.iter_mut().enumerate() {
            *byte = (0..8).fold(0u8, |acc, b| acc | (u8::from(w.bit(8 * k + b)) << b));
        }
        let check = sha256(&[wr.written()]);
        wr.put(check.get(..4).ok_or(Error::Internal)?)?;
        Ok(wr.len())
    }

    /// Merge a window state written by [`TrustAnchors::export`] (possibly
    /// by a build with another NANODTLS_TA_WINDOW) into the window of the
    /// trust anchor it names, which must be in the table. Every seq the
    /// state counts as used (marked, or left of its window) and every seq
    /// used here already stays refused: an import never re-opens anything.
    /// `InvalidArgument` for a malformed or corrupted state or an unknown
    /// trust anchor; nothing changes then.
    pub fn import(&mut self, blob: &[u8]) -> Result<(), Error> {
        let st = parse_state(blob).ok_or(Error::InvalidArgument)?;
        let a = self.anchor(st.id).ok_or(Error::InvalidArgument)?;
        if !st.used {
            return Ok(());
        }
        let mut w = a.window.get();
        w.mark(st.top);
        for k in 0..st.window {
            let set = st.bitmap.get(k / 8).is_some_and(|b| (b >> (k % 8)) & 1 == 1);
            if let (true, Some(seq)) = (set, st.top.checked_sub(k as u32)) {
                w.mark(seq);
            }
        }
        // Left of the state's window: used as far as it knew. Those still
        // inside our (possibly wider) window are marked.
        if let (Some(edge), Some(low)) = (st.top.checked_sub(st.window as u32), w.lowest()) {
            let mut seq = low;
            while seq <= edge {
                w.mark(seq);
                match seq.checked_add(1) {
                    Some(s) => seq = s,
                    None => break,
                }
            }
        }
        a.window.set(w);
        Ok(())
    }

    /// The statistics.
    pub fn stats(&self) -> TtpStats {
        self.stats.get()
    }

    /// The certificate type codepoint announced for AuthzCert (default 3,
    /// as the seed asks; IANA has since assigned 3 to 1609Dot2, RFC 8902).
    pub fn authz_cert_type(&self) -> u8 {
        match self.authz_cert_type {
            0 => super::DEFAULT_AUTHZ_CERT_TYPE,
            t => t,
        }
    }

    /// Set the AuthzCert certificate type codepoint (e.g. a private-use
    /// value 224..=255 where 1609Dot2 certificates may appear). 0 (X.509)
    /// and 2 (RawPublicKey) are refused with `InvalidArgument`.
    pub fn set_authz_cert_type(&mut self, t: u8) -> Result<(), Error> {
        if t == 0 || t == 2 {
            return Err(Error::InvalidArgument);
        }
        self.authz_cert_type = t;
        Ok(())
    }

    /// Wipe every key and forget every trust anchor and window.
    pub fn wipe(&mut self) {
        for a in self.anchors.iter_mut() {
            a.wipe();
        }
        self.zero();
    }

    pub(crate) fn find(&self, id: &[u8]) -> Option<usize> {
        self.anchors.iter().position(|a| a.in_use && a.id() == id)
    }

    fn anchor(&self, id: &[u8]) -> Option<&Anchor> {
        self.find(id).and_then(|i| self.anchors.get(i))
    }

    /// Count something in the statistics.
    pub(crate) fn count(&self, f: impl FnOnce(&mut TtpStats) -> &mut u32) {
        let mut s = self.stats.get();
        let c = f(&mut s);
        *c = c.saturating_add(1);
        self.stats.set(s);
    }

    /// Count a refusal under its reason; returns it.
    pub(crate) fn refuse(&self, r: Refusal) -> Refusal {
        self.count(|s| match r {
            Refusal::Malformed => &mut s.refused_malformed,
            Refusal::UnknownTa => &mut s.refused_unknown_ta,
            Refusal::Replayed => &mut s.refused_replayed,
            Refusal::TooOld => &mut s.refused_too_old,
            Refusal::BadSpki => &mut s.refused_bad_spki,
            Refusal::BadMac => &mut s.refused_bad_mac,
            Refusal::Changed => &mut s.refused_at_commit,
        });
        r
    }

    /// The first checks of both modes, in this order: the trust anchor is
    /// known, then `seq` is fresh in its window. Refusals are counted.
    /// Returns the anchor's index and the anchor.
    pub(crate) fn check_fresh(&self, id: &[u8], seq: u32) -> Result<(usize, &Anchor), Refusal> {
        let i = self.find(id).ok_or_else(|| self.refuse(Refusal::UnknownTa))?;
        let a = self.anchors.get(i).ok_or_else(|| self.refuse(Refusal::UnknownTa))?;
        a.window.get().check(seq).map_err(|r| self.refuse(r))?;
        Ok((i, a))
    }

    /// What a handshake that passed [`TrustAnchors::check_fresh`] commits.
    pub(crate) fn pending(&self, i: usize, seq: u32, mode: u8) -> TtpPending {
        let generation = self.anchors.get(i).map_or(0, |a| a.generation);
        TtpPending { generation, seq, ta: i as u8, mode, committed: false }
    }

    /// The handshake of `p` succeeded: check its seq again (a concurrent
    /// handshake may have used it, the application may have revoked it or
    /// reset the trust anchor) and mark it used. `Ok(false)`: no trust
    /// anchor mode was used. A refusal is counted in `refused_at_commit`.
    pub(crate) fn commit(&self, p: &mut TtpPending) -> Result<bool, Refusal> {
        if p.mode == super::TTP_NONE {
            return Ok(false);
        }
        let a = self.anchors.get(usize::from(p.ta)).filter(|a| a.in_use && a.generation == p.generation);
        let Some(a) = a else {
            self.count(|s| &mut s.refused_at_commit);
            return Err(Refusal::Changed);
        };
        let mut w = a.window.get();
        if let Err(r) = w.check(p.seq) {
            self.count(|s| &mut s.refused_at_commit);
            return Err(r);
        }
        w.mark(p.seq);
        a.window.set(w);
        p.committed = true;
        self.count(|s| &mut s.accepted);
        Ok(true)
    }
}

/// A parsed window state.
struct State<'a> {
    id: &'a [u8],
    window: usize,
    used: bool,
    top: u32,
    bitmap: &'a [u8],
}

fn parse_state(blob: &[u8]) -> Option<State<'_>> {
    let body_len = blob.len().checked_sub(4)?;
    let (body, check) = blob.split_at(body_len);
    if sha256(&[body]).get(..4)? != check {
        return None;
    }
    let mut r = Reader::new(body);
    if r.array::<4>().ok()? != STATE_MAGIC || r.u8().ok()? != STATE_VERSION {
        return None;
    }
    let id = r.vec8().ok()?;
    let window = usize::from(r.u16().ok()?);
    let flags = r.u8().ok()?;
    let top = u32::from_be_bytes(r.array::<4>().ok()?);
    if id.is_empty() || window == 0 || window % 8 != 0 || window > STATE_MAX_WINDOW || flags > 1 {
        return None;
    }
    let bitmap = r.take(window / 8).ok()?;
    r.finish().ok()?;
    let used = flags == 1;
    if !used && (top != 0 || bitmap.iter().any(|&b| b != 0)) {
        return None;
    }
    Some(State { id, window, used, top, bitmap })
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u32 = NANODTLS_TA_WINDOW as u32;

    fn table() -> Box<TrustAnchors> {
        let mut t = TrustAnchors::new_box_zeroed().unwrap();
        t.add(b"ta1", &[1; 32], 16).unwrap();
        t
    }

    #[test]
    fn window_fresh_replayed_left_of_window() {
        let mut w = Window::new_zeroed();
        assert_eq!(w.check(0), Ok(()));
        assert_eq!(w.check(u32::MAX), Ok(()));
        w.mark(100);
        assert_eq!(w.check(100), Err(Refusal::Replayed));
        assert_eq!(w.check(101), Ok(()));
        assert_eq!(w.check(99), Ok(()), "below the top but in the window and unused");
        assert_eq!(w.check(100 - (W - 1)), Ok(()), "the lowest seq in the window");
        assert_eq!(w.check(100 - W), Err(Refusal::TooOld));
        assert_eq!(w.check(0), Err(Refusal::TooOld));
        w.mark(99);
        assert_eq!(w.check(99), Err(Refusal::Replayed));
        // Sliding by less than the window keeps the marks.
        w.mark(110);
        assert_eq!(w.check(100), Err(Refusal::Replayed));
        assert_eq!(w.check(99), Err(Refusal::Replayed));
        assert_eq!(w.check(105), Ok(()));
        // Sliding by more clears them (they are left of the window now).
        w.mark(110 + 5 * W);
        assert_eq!(w.check(110), Err(Refusal::TooOld));
        assert_eq!(w.check(110 + 5 * W - 1), Ok(()));
        // The top of the number space.
        w.mark(u32::MAX);
        assert_eq!(w.check(u32::MAX), Err(Refusal::Replayed));
        assert_eq!(w.check(u32::MAX - 1), Ok(()));
    }

    #[test]
    fn window_matches_a_model() {
        // A set of used seqs and "max used": the window must refuse exactly
        // the used ones and those at or below max - W.
        let mut w = Window::new_zeroed();
        let mut used = std::collections::BTreeSet::new();
        let mut x = 12345u64;
        for _ in 0..2000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let max = used.iter().next_back().copied().unwrap_or(0u32);
            let seq = (max as u64 + (x >> 33) % (3 * W as u64)).saturating_sub(2 * W as u64) as u32;
            let model = if used.is_empty() {
                Ok(())
            } else if used.contains(&seq) && max - seq < W {
                Err(Refusal::Replayed)
            } else if seq <= max && max - seq >= W {
                Err(Refusal::TooOld)
            } else {
                Ok(())
            };
            assert_eq!(w.check(seq), model, "seq {seq} max {max}");
            if model.is_ok() && (x >> 20) % 3 != 0 {
                w.mark(seq);
                used.insert(seq);
            }
        }
    }

    #[test]
    fn add_remove_reset_and_arguments() {
        let mut t = table();
        assert_eq!(t.len(), 1);
        assert_eq!(t.add(b"ta1", &[2; 16], 16), Err(Error::InvalidArgument), "duplicate id");
        assert_eq!(t.add(b"a.b", &[2; 16], 16), Err(Error::InvalidArgument), "'.' in the id");
        assert_eq!(t.add(b"", &[2; 16], 16), Err(Error::InvalidArgument));
        assert_eq!(t.add(&[b'x'; NANODTLS_MAX_TA_ID + 1], &[2; 16], 16), Err(Error::InvalidArgument));
        assert_eq!(t.add(b"ta2", &[2; 15], 16), Err(Error::InvalidArgument), "short key");
        assert_eq!(t.add(b"ta2", &[2; 33], 16), Err(Error::InvalidArgument), "long key");
        assert_eq!(t.add(b"ta2", &[2; 16], 20), Err(Error::InvalidArgument), "derived length");
        for i in 1..NANODTLS_MAX_TRUST_ANCHORS {
            t.add(format!("t{i}").as_bytes(), &[2; 16], 32).unwrap();
        }
        assert_eq!(t.add(b"full", &[2; 16], 16), Err(Error::NoSlot));
        t.revoke(b"ta1", 5).unwrap();
        assert_eq!(t.is_fresh(b"ta1", 5), Some(false));
        t.reset(b"ta1", &[3; 16]).unwrap();
        assert_eq!(t.is_fresh(b"ta1", 5), Some(true), "reset empties the window");
        assert_eq!(t.highest_seq(b"ta1"), Some(None));
        t.remove(b"ta1").unwrap();
        assert_eq!(t.is_fresh(b"ta1", 5), None);
        assert_eq!(t.remove(b"ta1"), Err(Error::InvalidArgument));
        assert_eq!(t.revoke(b"nope", 1), Err(Error::InvalidArgument));
        t.add(b"again", &[4; 16], 16).unwrap();
        t.wipe();
        assert!(t.is_empty());
    }

    #[test]
    fn commit_rechecks_and_follows_resets() {
        let t = table();
        let (i, _) = t.check_fresh(b"ta1", 7).unwrap();
        let mut p1 = t.pending(i, 7, super::super::TTP_DERIVED_KEY);
        let mut p2 = p1;
        assert_eq!(t.commit(&mut p1), Ok(true));
        assert!(p1.committed);
        assert_eq!(t.commit(&mut p2), Err(Refusal::Replayed), "the second handshake with the same seq");
        assert!(!p2.committed);
        assert_eq!(t.check_fresh(b"ta1", 7).err(), Some(Refusal::Replayed));
        assert_eq!(t.check_fresh(b"ta9", 7).err(), Some(Refusal::UnknownTa));
        let s = t.stats();
        assert_eq!((s.accepted, s.refused_at_commit, s.refused_replayed, s.refused_unknown_ta), (1, 1, 1, 1));
        assert_eq!(t.commit(&mut TtpPending::default()), Ok(false));
        // A reset (or a removal) between the check and the commit.
        let mut t = table();
        let (i, _) = t.check_fresh(b"ta1", 8).unwrap();
        let mut p = t.pending(i, 8, super::super::TTP_DERIVED_KEY);
        t.reset(b"ta1", &[9; 16]).unwrap();
        assert_eq!(t.commit(&mut p), Err(Refusal::Changed));
        let (i, _) = t.check_fresh(b"ta1", 8).unwrap();
        let mut p = t.pending(i, 8, super::super::TTP_DERIVED_KEY);
        t.remove(b"ta1").unwrap();
        t.add(b"ta1", &[9; 16], 16).unwrap();
        assert_eq!(t.commit(&mut p), Err(Refusal::Changed), "same id, same slot, new generation");
    }

    #[test]
    fn export_import_round_trip_and_never_reopens() {
        let mut t = table();
        let mut blob = [0u8; NANODTLS_TA_STATE_MAX];
        // Empty window.
        let n = t.export(b"ta1", &mut blob).unwrap();
        assert_eq!(n, STATE_FIXED + 3 + NANODTLS_TA_WINDOW / 8);
        let mut fresh = table();
        fresh.import(&blob[..n]).unwrap();
        assert_eq!(fresh.highest_seq(b"ta1"), Some(None));
        for s in [1000, 998, 990, 1000 - (W - 1)] {
            t.revoke(b"ta1", s).unwrap();
        }
        let n = t.export(b"ta1", &mut blob).unwrap();
        // After a "reboot": a new table with the same anchor, then import.
        let mut r = table();
        r.import(&blob[..n]).unwrap();
        for s in 0..1100u32 {
            assert_eq!(r.is_fresh(b"ta1", s), t.is_fresh(b"ta1", s), "seq {s}");
        }
        // Importing into a window that moved on keeps both sides' marks.
        let mut r = table();
        r.revoke(b"ta1", 1001).unwrap();
        r.revoke(b"ta1", 995).unwrap();
        r.import(&blob[..n]).unwrap();
        for s in [1000, 998, 990, 1001, 995] {
            assert_eq!(r.is_fresh(b"ta1", s), Some(false), "seq {s}");
        }
        assert_eq!(r.is_fresh(b"ta1", 999), Some(true));
        // An old export never re-opens a seq used since.
        let mut r = table();
        r.revoke(b"ta1", 5000).unwrap();
        r.import(&blob[..n]).unwrap();
        assert_eq!(r.is_fresh(b"ta1", 5000), Some(false));
        assert_eq!(r.is_fresh(b"ta1", 1000), Some(false));
        assert_eq!(r.highest_seq(b"ta1"), Some(Some(5000)));
        // Corruption: every single-bit flip, truncation, extension is refused.
        for i in 0..n * 8 {
            let mut b = blob;
            b[i / 8] ^= 1 << (i % 8);
            assert_eq!(table().import(&b[..n]), Err(Error::InvalidArgument), "bit {i}");
        }
        for len in 0..n {
            assert_eq!(table().import(&blob[..len]), Err(Error::InvalidArgument));
        }
        // Unknown trust anchor.
        let mut other = TrustAnchors::new_box_zeroed().unwrap();
        other.add(b"ta2", &[1; 16], 16).unwrap();
        assert_eq!(other.import(&blob[..n]), Err(Error::InvalidArgument));
        assert_eq!(t.export(b"ta1", &mut blob[..n - 1]), Err(Error::BufferTooSmall));
    }

    /// A state from a build with a narrower window: everything left of it
    /// counts as used in our wider window.
    #[test]
    fn import_from_a_narrower_window() {
        let id = b"ta1";
        let top = 1000u32;
        let narrow = 8usize;
        let mut body = std::vec::Vec::new();
        body.extend_from_slice(&STATE_MAGIC);
        body.push(STATE_VERSION);
        body.push(id.len() as u8);
        body.extend_from_slice(id);
        body.extend_from_slice(&(narrow as u16).to_be_bytes());
        body.push(1);
        body.extend_from_slice(&top.to_be_bytes());
        body.push(0b0000_0101); // top and top-2 used
        let check = sha256(&[&body]);
        body.extend_from_slice(&check[..4]);
        let mut t = table();
        t.import(&body).unwrap();
        assert_eq!(t.is_fresh(id, top), Some(false));
        assert_eq!(t.is_fresh(id, top - 1), Some(true));
        assert_eq!(t.is_fresh(id, top - 2), Some(false));
        assert_eq!(t.is_fresh(id, top - 7), Some(true));
        for s in (top - W + 1)..=(top - narrow as u32) {
            assert_eq!(t.is_fresh(id, s), Some(false), "seq {s} was left of the exported window");
        }
        assert_eq!(t.is_fresh(id, top + 1), Some(true));
    }

    #[test]
    fn authz_cert_type_codepoint() {
        let mut t = table();
        assert_eq!(t.authz_cert_type(), 3);
        assert_eq!(t.set_authz_cert_type(0), Err(Error::InvalidArgument));
        assert_eq!(t.set_authz_cert_type(2), Err(Error::InvalidArgument));
        t.set_authz_cert_type(224).unwrap();
        assert_eq!(t.authz_cert_type(), 224);
    }
}
