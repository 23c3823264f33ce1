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
    pub fn refresh(
        &mut self,
        now: u64,
        lifetime_ms: u32,
        rng: &mut dyn FnMut(&mut [u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let expired = now.saturating_sub(self.born_ms) >= u64::from(lifetime_ms.max(1));
        if self.have_current && !expired {
            return Ok(());
        }
        let mut fresh = [0u8; 32];
        rng(&mut fresh)?;
        if self.have_current {
            self.previous = self.current;
            self.have_previous = true;
        }
        self.current = fresh;
        fresh.zeroize();
        self.have_current = true;
        self.born_ms = now;
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
}
