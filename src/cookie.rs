//! Stateless HelloVerifyRequest cookies (RFC 6347 section 4.2.1).
//!
//! cookie = HMAC-SHA256(secret, peer_address || ClientHello fields)[..16],
//! where the fields are everything in the ClientHello body except the
//! cookie and the extensions (version, random, session_id, cipher_suites,
//! compression_methods): RFC 6347 requires the client to repeat exactly these.
//! Two secrets are kept: the current one and the previous one, so a cookie
//! stays valid across one rotation. Secrets come from the RNG callback and
//! rotate after a configurable lifetime.

use zerocopy::FromZeros;
use zeroize::Zeroize;

use crate::codec::Reader;
use crate::crypto::{ct_eq, prf::hmac_sha256};
use crate::error::Error;
use crate::handshake::msg::client_hello::ClientHello;

/// Length of the cookies we issue.
pub const COOKIE_LEN: usize = 16;

/// Cookie secrets (server side).
#[derive(FromZeros)]
#[repr(C)]
pub struct CookieKeys {
    current: [u8; 32],
    previous: [u8; 32],
    born_ms: u64,
    have_current: bool,
    have_previous: bool,
}

fn bound_fields<'a>(ch: &ClientHello<'a>) -> (&'a [u8], &'a [u8]) {
    // after_cookie = suites vec16 || compressions vec8 || [extensions]; keep
    // suites and compressions only.
    let mut r = Reader::new(ch.after_cookie);
    let _ = r.vec16();
    let _ = r.vec8();
    let n = r.position();
    (ch.before_cookie, ch.after_cookie.get(..n).unwrap_or(&[]))
}

fn compute(secret: &[u8; 32], addr: &[u8], ch: &ClientHello<'_>) -> [u8; COOKIE_LEN] {
    let (a, b) = bound_fields(ch);
    let alen = (addr.len() as u16).to_be_bytes();
    let mut mac = hmac_sha256(secret, &[&alen, addr, a, b]);
    let mut out = [0u8; COOKIE_LEN];
    out.copy_from_slice(&mac[..COOKIE_LEN]);
    mac.zeroize();
    out
}

impl CookieKeys {
    /// Make sure a current secret exists and is younger than `lifetime_ms`,
    /// rotating (current becomes previous) when it is not.
    ///
    /// Rotation is lazy (it happens when a ClientHello needs a secret), but
    /// its outcome is that of a rotation every `lifetime_ms`: a secret is
    /// current for one lifetime and previous for the next, so a cookie is
    /// refused once its secret is two lifetimes old, however long the server
    /// saw no traffic in between. Call this before [`CookieKeys::verify`].
    /// On an RNG failure nothing changes (the caller must then not verify).
    pub fn refresh(
        &mut self,
        now: u64,
        lifetime_ms: u32,
        rng: &mut dyn FnMut(&mut [u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let lifetime = u64::from(lifetime_ms.max(1));
        let age = now.saturating_sub(self.born_ms);
        if self.have_current && age < lifetime {
            return Ok(());
        }
        let mut fresh = [0u8; 32];
        rng(&mut fresh)?;
        if self.have_current && age < lifetime.saturating_mul(2) {
            // The rotation that was due at born + lifetime: the old secret
            // stays valid as the previous one until born + 2 * lifetime.
            self.previous = self.current;
            self.have_previous = true;
            self.born_ms = self.born_ms.saturating_add(lifetime);
        } else {
            // Idle for two lifetimes or more (or the first secret): what
            // the old secrets issued has expired.
            self.previous.zeroize();
            self.have_previous = false;
            self.born_ms = now;
        }
        self.current = fresh;
        fresh.zeroize();
        self.have_current = true;
        Ok(())
    }

    /// The cookie to send to `addr` for this ClientHello.
    pub fn issue(&self, addr: &[u8], ch: &ClientHello<'_>) -> Option<[u8; COOKIE_LEN]> {
        self.have_current.then(|| compute(&self.current, addr, ch))
    }

    /// True if `ch.cookie` was issued by us (current or previous secret) for `addr`.
    pub fn verify(&self, addr: &[u8], ch: &ClientHello<'_>) -> bool {
        if ch.cookie.len() != COOKIE_LEN {
            return false;
        }
        let mut ok = false;
        if self.have_current {
            ok |= ct_eq(&compute(&self.current, addr, ch), ch.cookie);
        }
        if self.have_previous {
            ok |= ct_eq(&compute(&self.previous, addr, ch), ch.cookie);
        }
        ok
    }

    /// Wipe the secrets.
    pub fn wipe(&mut self) {
        self.current.zeroize();
        self.previous.zeroize();
        self.have_current = false;
        self.have_previous = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch_body(random: u8, cookie: &[u8]) -> std::vec::Vec<u8> {
        let mut v = vec![0xfe, 0xfd];
        v.extend_from_slice(&[random; 32]);
        v.push(0);
        v.push(cookie.len() as u8);
        v.extend_from_slice(cookie);
        v.extend_from_slice(&[0, 2, 0xc0, 0xa8, 1, 0]);
        v
    }

    #[test]
    fn cookie_binds_address_and_hello_and_rotates() {
        let mut k = CookieKeys::new_zeroed();
        let mut ctr = 0u8;
        let mut rng = |b: &mut [u8]| {
            ctr += 1;
            b.fill(ctr);
            Ok(())
        };
        k.refresh(0, 1000, &mut rng).unwrap();
        let b1 = ch_body(1, b"");
        let c = k.issue(b"addr1", &ClientHello::parse(&b1).unwrap()).unwrap();
        let with = ch_body(1, &c);
        assert!(k.verify(b"addr1", &ClientHello::parse(&with).unwrap()));
        assert!(!k.verify(b"addr2", &ClientHello::parse(&with).unwrap()));
        let other_random = ch_body(2, &c);
        assert!(!k.verify(b"addr1", &ClientHello::parse(&other_random).unwrap()));
        let mut forged = c;
        forged[0] ^= 1;
        assert!(!k.verify(b"addr1", &ClientHello::parse(&ch_body(1, &forged)).unwrap()));
        // One rotation: still valid. Two: expired.
        k.refresh(1500, 1000, &mut rng).unwrap();
        assert!(k.verify(b"addr1", &ClientHello::parse(&with).unwrap()));
        k.refresh(3000, 1000, &mut rng).unwrap();
        assert!(!k.verify(b"addr1", &ClientHello::parse(&with).unwrap()));
        // RNG failure leaves the old secret in place.
        let mut bad = |_: &mut [u8]| Err(Error::Rng);
        assert_eq!(k.refresh(9000, 1000, &mut bad), Err(Error::Rng));
    }

    #[test]
    fn cookies_expire_on_an_idle_server() {
        // Reported: rotation only happened when a ClientHello came, so the
        // first one after a long silence rotated once and the stale secret
        // became the "previous" one: a cookie was accepted after 30 days.
        const L: u32 = 300_000;
        let mut ctr = 0u8;
        let mut rng = |b: &mut [u8]| {
            ctr += 1;
            b.fill(ctr);
            Ok(())
        };
        let with_cookie = |k: &CookieKeys| {
            let c = k.issue(b"addr1", &ClientHello::parse(&ch_body(1, b"")).unwrap()).unwrap();
            ch_body(1, &c)
        };
        let valid_at = |issued: u64, at: u64, rng: &mut dyn FnMut(&mut [u8]) -> Result<(), Error>| {
            let mut k = CookieKeys::new_zeroed();
            k.refresh(0, L, rng).unwrap();
            k.refresh(issued, L, rng).unwrap();
            let ch = with_cookie(&k);
            k.refresh(at, L, rng).unwrap();
            k.verify(b"addr1", &ClientHello::parse(&ch).unwrap())
        };
        let l = u64::from(L);
        let day = 86_400_000;
        // No traffic between issue and use: valid for at least one
        // lifetime, never from a secret two lifetimes old.
        assert!(valid_at(0, l - 1, &mut rng));
        assert!(valid_at(0, l, &mut rng), "previous secret");
        assert!(valid_at(0, 2 * l - 1, &mut rng));
        assert!(!valid_at(0, 2 * l, &mut rng));
        assert!(!valid_at(0, 30 * day, &mut rng), "30 days idle");
        // Issued late in its secret's life (the secret is current from 0 to
        // L): still valid for the next lifetime, not beyond.
        assert!(valid_at(l - 1, 2 * l - 1, &mut rng));
        assert!(!valid_at(l - 1, 2 * l, &mut rng));
        // Issued after a lazy rotation at 1.5 L: that secret took over at
        // L (the rotation that was due), so it expires at 3 L.
        assert!(valid_at(l + l / 2, 3 * l - 1, &mut rng));
        assert!(!valid_at(l + l / 2, 3 * l, &mut rng));
        // The first secret after a long silence lives a full lifetime again.
        assert!(valid_at(30 * day, 30 * day + 2 * l - 1, &mut rng));
    }
}
