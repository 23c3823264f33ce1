//! What the C API adds over the Rust core, exercised from Rust through the
//! exported functions: a clock that goes back counts as no time elapsed
//! (the retransmission timers of RFC 6347 4.2.4.1 keep their schedule).

use std::cell::Cell;
use std::ffi::c_void;

use nanodtls::ffi::*;
use nanodtls::sizes::NANODTLS_CTX_WORDS;

/// One side's platform: its own clock and a deterministic RNG.
struct Plat {
    clock: Cell<u64>,
    rng: Cell<u64>,
}

unsafe extern "C" fn now(user: *mut c_void) -> u64 {
    // SAFETY: `user` is the address of a live Plat (see Ctx::new).
    unsafe { (*user.cast::<Plat>()).clock.get() }
}

unsafe extern "C" fn rng(user: *mut c_void, buf: *mut u8, len: usize) -> core::ffi::c_int {
    // SAFETY: `user` is a live Plat; the library passes `len` writable bytes.
    let (p, out) = unsafe { (&*user.cast::<Plat>(), std::slice::from_raw_parts_mut(buf, len)) };
    for b in out {
        let x = p.rng.get().wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        p.rng.set(x);
        *b = (x >> 56) as u8;
    }
    0
}

/// A context in zeroed, 8-aligned heap memory, with its platform.
struct Ctx {
    mem: Box<[u64; NANODTLS_CTX_WORDS]>,
    plat: Box<Plat>,
}

impl Ctx {
    fn new(role: u8, t0: u64, seed: u64) -> Ctx {
        let mut c =
            Ctx { mem: Box::new([0; NANODTLS_CTX_WORDS]), plat: Box::new(Plat { clock: t0.into(), rng: seed.into() }) };
        let mut cfg = std::mem::MaybeUninit::<nanodtls_config>::uninit();
        let p =
            nanodtls_platform { rng: Some(rng), now_ms: Some(now), user: (&*c.plat as *const Plat).cast_mut().cast() };
        // SAFETY: valid pointers; the context memory is NANODTLS_CTX_SIZE bytes, 8-aligned.
        unsafe {
            assert_eq!(nanodtls_config_default(cfg.as_mut_ptr(), role), NANODTLS_OK);
            let cfg = cfg.assume_init();
            assert_eq!(nanodtls_init(c.ptr(), nanodtls_ctx_size(), &cfg, &p), NANODTLS_OK);
            assert_eq!(nanodtls_set_psk(c.ptr(), b"client1".as_ptr(), 7, [7u8; 16].as_ptr(), 16), NANODTLS_OK);
        }
        c
    }

    fn ptr(&mut self) -> *mut nanodtls_ctx {
        self.mem.as_mut_ptr().cast()
    }

    /// Every datagram waiting.
    fn poll(&mut self) -> Vec<Vec<u8>> {
        let mut out = vec![];
        let mut buf = [0u8; 1500];
        let mut n = 0usize;
        // SAFETY: a live context, a buffer of buf.len() bytes, a valid out pointer.
        while unsafe { nanodtls_poll_datagram(self.ptr(), buf.as_mut_ptr(), buf.len(), &mut n) } == NANODTLS_OK {
            out.push(buf[..n].to_vec());
        }
        out
    }

    fn feed(&mut self, datagrams: &[Vec<u8>]) {
        for d in datagrams {
            // Decrypted in place: feed a copy, all of it (handshake records
            // only here, so one call takes the whole datagram).
            let mut d = d.clone();
            let mut input = std::mem::MaybeUninit::<nanodtls_input>::uninit();
            // SAFETY: a live context, a writable datagram of d.len() bytes, a writable nanodtls_input.
            assert_eq!(unsafe { nanodtls_feed(self.ptr(), d.as_mut_ptr(), d.len(), input.as_mut_ptr()) }, NANODTLS_OK);
            // SAFETY: written by the successful call.
            assert_eq!(unsafe { input.assume_init() }.consumed, d.len());
        }
    }

    fn state(&mut self) -> i32 {
        // SAFETY: a live context.
        unsafe { nanodtls_state(self.ptr()) }
    }

    fn timeout(&mut self) -> Option<u32> {
        let mut ms = 0u32;
        // SAFETY: a live context and a valid out pointer.
        (unsafe { nanodtls_timeout_ms(self.ptr(), &mut ms) } == NANODTLS_OK).then_some(ms)
    }

    fn retransmits(&mut self) -> u32 {
        let mut st = std::mem::MaybeUninit::<nanodtls_stats>::uninit();
        // SAFETY: a live context and a writable nanodtls_stats.
        unsafe {
            assert_eq!(nanodtls_get_stats(self.ptr(), st.as_mut_ptr()), NANODTLS_OK);
            st.assume_init().retransmits
        }
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: a live context.
        unsafe { nanodtls_deinit(self.ptr()) };
    }
}

#[test]
fn a_clock_that_jumps_back_to_zero_mid_handshake_keeps_the_retransmission_schedule() {
    // Reported: a clock that went back (or restarted at 0) stalled the
    // handshake for as long as the step (up to 83 minutes seen). The step
    // now counts as no time elapsed.
    let t0 = 5_000_000;
    let mut c = Ctx::new(NANODTLS_ROLE_CLIENT, t0, 1);
    let mut s = Ctx::new(NANODTLS_ROLE_SERVER, t0, 2);
    // SAFETY: a live context.
    assert_eq!(unsafe { nanodtls_connect(c.ptr()) }, NANODTLS_OK);
    let hello = c.poll();
    s.feed(&hello);
    let hvr = s.poll();
    c.feed(&hvr);
    let hello2 = c.poll();
    s.feed(&hello2);
    let flight4 = s.poll();
    c.feed(&flight4);
    let _lost_flight5 = c.poll();
    assert_eq!(c.timeout(), Some(1000), "the initial retransmission timeout");
    // The client's clock restarts at 0: no time has elapsed for the timers.
    c.plat.clock.set(0);
    assert_eq!(c.timeout(), Some(1000));
    c.plat.clock.set(999);
    assert_eq!(c.timeout(), Some(1));
    // SAFETY: a live context.
    assert_eq!(unsafe { nanodtls_handle_timeout(c.ptr()) }, NANODTLS_OK);
    assert_eq!(c.retransmits(), 0, "not early");
    c.plat.clock.set(1000);
    assert_eq!(c.timeout(), Some(0));
    // SAFETY: a live context.
    assert_eq!(unsafe { nanodtls_handle_timeout(c.ptr()) }, NANODTLS_OK);
    assert_eq!(c.retransmits(), 1, "on schedule");
    let flight5 = c.poll();
    s.feed(&flight5);
    let flight6 = s.poll();
    c.feed(&flight6);
    assert_eq!(c.state(), NANODTLS_STATE_CONNECTED);
    assert_eq!(s.state(), NANODTLS_STATE_CONNECTED);
    assert_eq!(c.timeout(), None, "nothing waits after the handshake");
}
