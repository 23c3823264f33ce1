//! C API of a single connection context (`nanodtls_ctx`): its life cycle,
//! callbacks and I/O (init, feed, poll, write, timers, state getters).
//! Credentials and extensions are in `ctx_credentials.rs` and
//! `ctx_extensions.rs`. Why this file is ~800 lines: one function per C
//! entry point, each with its contract (ownership, errors) in its doc
//! comment, and ~45 lines of unit tests; cutting it further would split
//! the context's I/O loop across files.

use core::ffi::c_void;

use zerocopy::FromZeros;

use super::guard::{destroy, enter, initialise, Guarded};
use super::*;
use crate::env::Env;
use crate::error::Error;
use crate::sizes::{NANODTLS_CTX_SIZE, NANODTLS_CTX_WORDS};
use crate::Connection;

/// Opaque connection context. Its size is a compile-time constant, so it
/// can live in static storage: `static nanodtls_ctx ctx;`. Initialise it
/// with nanodtls_init(&ctx, sizeof ctx, ...).
///
/// Never copy an initialised context (memcpy, struct assignment, saving it
/// to flash and restoring it after deep sleep or a reset): AES-CCM's nonce
/// is the record's epoch and sequence number, so a copy that is used (or
/// restored) sends new records under sequence numbers the original already
/// used, with the same key: two plaintexts under one CCM nonce reveal
/// their XOR and weaken the records' authentication (and the peer drops
/// repeated sequence numbers as replays anyway). To reconnect cheaply after sleep, keep the session
/// (nanodtls_session_export / nanodtls_session_import): a resumed handshake
/// derives fresh keys.
#[repr(C)]
pub struct nanodtls_ctx {
    _opaque: [u64; NANODTLS_CTX_WORDS],
}

/// Marks an initialised context ("nanodtls" in ASCII, plus a version byte).
pub(crate) const MAGIC: u64 = 0x6e61_6e6f_6474_6c01;

/// The callbacks a context (or endpoint) calls.
#[derive(Clone, Copy, FromZeros)]
#[repr(C)]
pub(crate) struct Callbacks {
    pub rng: nanodtls_rng_fn,
    pub now_ms: nanodtls_now_fn,
    pub user: *mut c_void,
    pub psk_lookup: nanodtls_psk_lookup_fn,
    pub psk_user: *mut c_void,
    pub verify_key: nanodtls_verify_key_fn,
    pub verify_user: *mut c_void,
    pub sni: nanodtls_sni_fn,
    pub sni_user: *mut c_void,
    pub cache: *mut crate::session::CacheEntry,
    pub cache_len: usize,
    pub own_cert: *const u8,
    pub own_cert_len: usize,
    /// The signer of our key kept outside the library
    /// (nanodtls_set_own_key_signer) and its output format (feature `ecc`).
    #[cfg(feature = "ecc")]
    pub sign: nanodtls_sign_fn,
    #[cfg(feature = "ecc")]
    pub sign_user: *mut c_void,
    /// NANODTLS_SIG_DER or NANODTLS_SIG_RAW, word-sized so the struct has
    /// no padding (a context is compared byte by byte in the tests and
    /// under valgrind).
    #[cfg(feature = "ecc")]
    pub sign_format: usize,
    /// Client: our AuthzCert (MacCert), registered by nanodtls_set_authz_cert.
    #[cfg(feature = "authz-cert")]
    pub authz_cert: *const u8,
    #[cfg(feature = "authz-cert")]
    pub authz_cert_len: usize,
    /// Server: ticket keys registered by nanodtls_set_ticket_keys.
    #[cfg(feature = "tickets")]
    pub tickets: *mut crate::session_ticket::TicketKeys,
    /// The clock callback's last value, and the time the library made of
    /// it (see [`Callbacks::now`]).
    pub clock_raw: u64,
    pub clock_ms: u64,
    /// Certificate mode: trust anchors, wall clock, identity hook.
    pub x509: super::x509::X509Callbacks,
    /// cached_info: the kept server Certificate and CertificateRequest,
    /// their hooks, the server switch.
    pub cached: super::cached_info::CachedInfoCallbacks,
    /// Client certificate URLs: our URLs, the server's hook.
    pub cert_url: super::cert_url::CertUrlCallbacks,
}

impl Callbacks {
    /// nanodtls_set_own_key_signer and its endpoint twin: keep the signer
    /// once the engine took its public key (`st` is that call's status).
    #[cfg(feature = "ecc")]
    pub(crate) fn keep_signer(
        &mut self,
        st: nanodtls_status,
        sign: nanodtls_sign_fn,
        user: *mut c_void,
        format: u8,
    ) -> nanodtls_status {
        if st == NANODTLS_OK {
            self.sign = sign;
            self.sign_user = user;
            self.sign_format = usize::from(format);
        }
        st
    }

    pub(crate) fn from_platform(p: &nanodtls_platform) -> Result<Callbacks, Error> {
        if p.rng.is_none() || p.now_ms.is_none() {
            return Err(Error::Null);
        }
        Ok(Callbacks {
            rng: p.rng,
            now_ms: p.now_ms,
            user: p.user,
            psk_lookup: None,
            psk_user: core::ptr::null_mut(),
            verify_key: None,
            verify_user: core::ptr::null_mut(),
            sni: None,
            sni_user: core::ptr::null_mut(),
            cache: core::ptr::null_mut(),
            cache_len: 0,
            own_cert: core::ptr::null(),
            own_cert_len: 0,
            #[cfg(feature = "ecc")]
            sign: None,
            #[cfg(feature = "ecc")]
            sign_user: core::ptr::null_mut(),
            #[cfg(feature = "ecc")]
            sign_format: NANODTLS_SIG_DER as usize,
            #[cfg(feature = "authz-cert")]
            authz_cert: core::ptr::null(),
            #[cfg(feature = "authz-cert")]
            authz_cert_len: 0,
            #[cfg(feature = "tickets")]
            tickets: core::ptr::null_mut(),
            clock_raw: 0,
            clock_ms: 0,
            x509: FromZeros::new_zeroed(),
            cached: FromZeros::new_zeroed(),
            cert_url: FromZeros::new_zeroed(),
        })
    }

    /// The time in ms for the engine: the clock callback's value, except
    /// that a step back (a clock that restarted at 0, a wrapped 32-bit tick
    /// count, a corrected wall clock) counts as no time elapsed, and the
    /// time goes on from where it was at the callback's pace. The engine's
    /// timers are absolute times; taken as they come, a step back would
    /// stall them for as long as the step.
    pub(crate) fn now(&mut self) -> u64 {
        let raw = match self.now_ms {
            // SAFETY: the application registered this callback with its user
            // pointer through nanodtls_platform and promised it is callable.
            Some(f) => unsafe { f(self.user) },
            None => 0,
        };
        // A step back (raw < clock_raw) adds nothing.
        let elapsed = raw.saturating_sub(self.clock_raw);
        self.clock_raw = raw;
        self.clock_ms = self.clock_ms.saturating_add(elapsed);
        self.clock_ms
    }
}

impl Env for Callbacks {
    fn random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        if buf.is_empty() {
            return Ok(());
        }
        let Some(f) = self.rng else { return Err(Error::Rng) };
        // SAFETY: buf is a valid, exclusively borrowed region of buf.len()
        // bytes; the callback contract is to write at most len bytes.
        let rc = unsafe { f(self.user, buf.as_mut_ptr(), buf.len()) };
        if rc == 0 {
            Ok(())
        } else {
            buf.fill(0);
            Err(Error::Rng)
        }
    }

    fn psk_for_identity(&mut self, identity: &[u8], key: &mut [u8]) -> Option<usize> {
        let f = self.psk_lookup?;
        let mut len: usize = 0;
        // SAFETY: identity and key are valid slices for the duration of the
        // call; len is a valid out-pointer on our stack.
        let rc = unsafe { f(self.psk_user, identity.as_ptr(), identity.len(), key.as_mut_ptr(), key.len(), &mut len) };
        if rc != 0 || len == 0 || len > key.len() {
            key.fill(0);
            return None;
        }
        Some(len)
    }

    fn has_psk_lookup(&self) -> bool {
        self.psk_lookup.is_some()
    }

    fn verify_peer_key(&mut self, spki: &[u8]) -> Option<bool> {
        let f = self.verify_key?;
        // SAFETY: spki is a valid slice for the duration of the call.
        let rc = unsafe { f(self.verify_user, spki.as_ptr(), spki.len()) };
        Some(rc == 0)
    }

    fn has_peer_key_verifier(&self) -> bool {
        self.verify_key.is_some()
    }

    fn session_cache(&mut self) -> Option<&mut [crate::session::CacheEntry]> {
        if self.cache.is_null() || self.cache_len == 0 {
            return None;
        }
        // SAFETY: cache/cache_len were registered by
        // nanodtls_set_session_cache / nanodtls_endpoint_set_session_cache,
        // which zeroed the entries (valid CacheEntry values, FromZeros); the
        // application keeps that memory valid and untouched while
        // registered. The returned borrow is tied to &mut self, and the
        // engine never holds it across a callback.
        Some(unsafe { core::slice::from_raw_parts_mut(self.cache, self.cache_len) })
    }

    #[cfg(feature = "tickets")]
    fn ticket_keys(&mut self) -> Option<&mut crate::session_ticket::TicketKeys> {
        if self.tickets.is_null() {
            return None;
        }
        // SAFETY: registered by nanodtls_set_ticket_keys /
        // nanodtls_endpoint_set_ticket_keys, whose contract is a
        // nanodtls_ticket_keys set up by nanodtls_ticket_keys_init that
        // stays valid while registered; the borrow is tied to &mut self.
        Some(unsafe { &mut *self.tickets })
    }

    fn own_certificate(&self) -> Option<&[u8]> {
        if self.own_cert.is_null() || self.own_cert_len == 0 {
            return None;
        }
        // SAFETY: registered by nanodtls_set_own_certificate, whose contract
        // is that the certificate stays valid and unchanged (e.g. in flash)
        // while registered.
        Some(unsafe { core::slice::from_raw_parts(self.own_cert, self.own_cert_len) })
    }

    #[cfg(feature = "ecc")]
    fn sign_hash(&mut self, hash: &[u8; 32], out: &mut [u8]) -> Result<usize, Error> {
        let Some(f) = self.sign else { return Err(Error::NoCredentials) };
        let mut sig = [0u8; crate::crypto::ecc::MAX_SIG_LEN];
        let mut len: usize = 0;
        // SAFETY: hash is 32 readable bytes and sig MAX_SIG_LEN writable
        // bytes, both valid for the call; len is a valid out-pointer on our
        // stack. The application registered the callback with this user
        // pointer through nanodtls_set_own_key_signer.
        let rc = unsafe { f(self.sign_user, hash.as_ptr(), sig.as_mut_ptr(), sig.len(), &mut len) };
        if rc != 0 || len == 0 {
            return Err(Error::Signer);
        }
        let got = sig.get(..len).ok_or(Error::Signer)?;
        crate::crypto::ecc::external_signature(got, self.sign_format == usize::from(NANODTLS_SIG_RAW), out)
            .map_err(|_| Error::Signer)
    }

    #[cfg(feature = "authz-cert")]
    fn authz_cert(&self) -> Option<&[u8]> {
        if self.authz_cert.is_null() || self.authz_cert_len == 0 {
            return None;
        }
        // SAFETY: registered by nanodtls_set_authz_cert, whose contract is
        // that the MacCert stays valid and unchanged while registered.
        Some(unsafe { core::slice::from_raw_parts(self.authz_cert, self.authz_cert_len) })
    }

    #[cfg(feature = "x509")]
    fn x509_anchor(&self, i: usize) -> Option<(&[u8], bool)> {
        self.x509.anchor(i)
    }

    #[cfg(feature = "x509")]
    fn wall_clock(&self) -> Option<u64> {
        self.x509.wall_clock()
    }

    #[cfg(feature = "cached-info")]
    fn cached_server_certificate(&self) -> Option<&[u8]> {
        self.cached.cached()
    }

    #[cfg(feature = "cached-info")]
    fn store_server_certificate(&mut self, body: &[u8]) {
        self.cached.store(body)
    }

    #[cfg(feature = "cached-info")]
    fn cached_certificate_request(&self) -> Option<&[u8]> {
        self.cached.cached_request()
    }
    #[cfg(feature = "cached-info")]
    fn store_certificate_request(&mut self, body: &[u8]) {
        self.cached.store_request(body)
    }
    #[cfg(feature = "cached-info")]
    fn cached_info_server(&self) -> bool {
        self.cached.serve()
    }

    #[cfg(feature = "cert-url")]
    fn own_certificate_url(&self, i: usize) -> Option<&[u8]> {
        self.cert_url.url(i)
    }

    #[cfg(feature = "cert-url")]
    fn cert_url_server(&self) -> bool {
        self.cert_url.serve()
    }

    #[cfg(feature = "cert-url")]
    fn fetch_client_certificates(
        &mut self,
        urls: &mut dyn Iterator<Item = (&[u8], &[u8; 20])>,
    ) -> crate::env::CertUrlFetch {
        self.cert_url.fetch(urls)
    }

    #[cfg(feature = "x509")]
    fn accept_peer_identity(&self, kind: u8, id: &[u8], leaf: &[u8]) -> Option<bool> {
        self.x509.accept(kind, id, leaf)
    }

    fn server_name(&mut self, name: &[u8]) -> Option<bool> {
        let f = self.sni?;
        // SAFETY: name is a valid slice for the duration of the call.
        let rc = unsafe { f(self.sni_user, name.as_ptr(), name.len()) };
        Some(rc == 0)
    }
}

/// Zero and register a session cache in caller memory.
///
/// # Safety
/// `entries` must point to `n` writable entries of NANODTLS_SESSION_ENTRY_SIZE bytes.
pub(crate) unsafe fn register_cache(
    cb: &mut Callbacks,
    entries: *mut nanodtls_session_entry,
    entry_size: usize,
    n: usize,
) -> nanodtls_status {
    if entries.is_null() {
        if n != 0 {
            return NANODTLS_E_NULL;
        }
        cb.cache = core::ptr::null_mut();
        cb.cache_len = 0;
        return NANODTLS_OK;
    }
    if entry_size != crate::sizes::NANODTLS_SESSION_ENTRY_SIZE {
        return NANODTLS_E_CTX_SIZE;
    }
    if n == 0 || n > 65_535 || (entries as usize) % core::mem::align_of::<nanodtls_session_entry>() != 0 {
        return NANODTLS_E_INVALID_ARG;
    }
    // SAFETY: caller contract: n entries of entry_size writable bytes.
    // Zeroed memory is a valid (empty) CacheEntry.
    unsafe { core::ptr::write_bytes(entries.cast::<u8>(), 0, n * entry_size) };
    cb.cache = entries.cast();
    cb.cache_len = n;
    NANODTLS_OK
}

/// One entry of a server session cache (RFC 5246 session IDs). Give
/// nanodtls_set_session_cache / nanodtls_endpoint_set_session_cache an
/// array of these: `static nanodtls_session_entry cache[16];`. Entries hold
/// master secrets; they are wiped on eviction and by deinit.
#[repr(C)]
pub struct nanodtls_session_entry {
    _opaque: [u64; crate::sizes::NANODTLS_SESSION_ENTRY_WORDS],
}

/// What lives inside `nanodtls_ctx` after the guard header.
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct CtxBody {
    cb: Callbacks,
    conn: Connection,
}

type CtxInner = Guarded<CtxBody>;

const _: () = assert!(core::mem::size_of::<CtxInner>() <= NANODTLS_CTX_SIZE, "raise CONN_STATE_BYTES in build.rs");
const _: () = assert!(core::mem::size_of::<nanodtls_ctx>() == NANODTLS_CTX_SIZE);
const _: () = assert!(core::mem::align_of::<CtxInner>() <= core::mem::align_of::<nanodtls_ctx>());

/// Size of `CtxInner` (for the slack test).
#[cfg(test)]
pub(crate) const CTX_INNER_SIZE: usize = core::mem::size_of::<CtxInner>();

/// Run `f` on an initialised context, with the re-entrancy guard held.
///
/// # Safety
/// `ctx` must be NULL or point to a `nanodtls_ctx` the caller may access.
pub(super) unsafe fn with_ctx(
    ctx: *mut nanodtls_ctx,
    f: impl FnOnce(&mut Connection, &mut Callbacks) -> nanodtls_status,
) -> nanodtls_status {
    // SAFETY: nanodtls_ctx is NANODTLS_CTX_SIZE bytes, at least the size of
    // CtxInner (asserted above), with sufficient alignment.
    unsafe { enter(ctx.cast::<CtxInner>(), MAGIC, |b| f(&mut b.conn, &mut b.cb)) }
}

/// The size in bytes this library expects for `nanodtls_ctx`
/// (NANODTLS_CTX_SIZE of the header it was built with).
#[no_mangle]
pub extern "C" fn nanodtls_ctx_size() -> usize {
    NANODTLS_CTX_SIZE
}

/// Initialise `ctx` (any previous content is overwritten, not freed: call
/// nanodtls_deinit first on a live context). `ctx_size` must be
/// `sizeof(nanodtls_ctx)`. `cfg` and `platform` are copied. Both platform
/// callbacks are required. Returns NANODTLS_E_CTX_SIZE if the header and
/// library disagree about the size, NANODTLS_E_UNSUPPORTED if `cfg.role`
/// is a role this library was built without (cargo feature `client` or
/// `server` alone), and leaves `ctx` untouched on any error.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_init(
    ctx: *mut nanodtls_ctx,
    ctx_size: usize,
    cfg: *const nanodtls_config,
    platform: *const nanodtls_platform,
) -> nanodtls_status {
    if ctx.is_null() || cfg.is_null() || platform.is_null() {
        return NANODTLS_E_NULL;
    }
    if ctx_size != NANODTLS_CTX_SIZE {
        return NANODTLS_E_CTX_SIZE;
    }
    // SAFETY: cfg and platform are non-NULL and point to initialised structs
    // (caller contract); read() copies them.
    let (cfg, plat) = unsafe { (cfg.read(), platform.read()) };
    let cfg = match config_from_c(&cfg) {
        Ok(c) => c,
        Err(e) => return e.code(),
    };
    let cb = match Callbacks::from_platform(&plat) {
        Ok(cb) => cb,
        Err(e) => return e.code(),
    };
    // SAFETY: ctx is a nanodtls_ctx of the right size (checked above).
    unsafe {
        initialise(ctx.cast::<CtxInner>(), NANODTLS_CTX_SIZE, MAGIC, |b| {
            b.cb = cb;
            // initialise() has just zeroed the whole object.
            #[cfg(feature = "log")]
            b.conn.set_log_sink(super::LOG_SINK);
            #[cfg(feature = "keylog")]
            b.conn.set_keylog_sink(super::KEYLOG_SINK);
            #[cfg(feature = "aes-hook")]
            b.conn.set_aes_hook(Some(&super::AES_ENGINE));
            status(b.conn.init_zeroed(&cfg))
        })
    }
}

/// Wipe the context: every key, secret and buffer (and the session cache
/// registered with nanodtls_set_session_cache) is zeroized and the
/// context becomes uninitialised (later calls return
/// NANODTLS_E_NOT_INITIALIZED). Call nanodtls_close first for a graceful
/// close_notify. Deinit of an uninitialised context returns
/// NANODTLS_E_NOT_INITIALIZED and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_deinit(ctx: *mut nanodtls_ctx) -> nanodtls_status {
    // SAFETY: ctx is NULL or a nanodtls_ctx (checked by destroy).
    unsafe {
        destroy(ctx.cast::<CtxInner>(), NANODTLS_CTX_SIZE, MAGIC, |b| {
            b.conn.wipe();
            if let Some(cache) = b.cb.session_cache() {
                crate::session::cache_clear(cache);
            }
            #[cfg(feature = "tickets")]
            if let Some(keys) = b.cb.ticket_keys() {
                keys.wipe();
            }
        })
    }
}

/// Client: start the handshake. The first flight is produced by
/// nanodtls_poll_datagram. Fails with NANODTLS_E_NO_CREDENTIALS if no
/// configured suite has credentials, NANODTLS_E_RNG if the RNG fails.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_connect(ctx: *mut nanodtls_ctx) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |conn, cb| {
            let now = cb.now();
            status(conn.connect(cb, now))
        })
    }
}

/// Feed one received datagram (`len` bytes in `datagram`, which the call
/// overwrites: records are decrypted in place). Records are processed in
/// order up to and including the first application-data record; `*input`
/// tells how many bytes were processed (`consumed`) and where that
/// record's plaintext is (`app_data`, `app_len`: inside `datagram`, NULL
/// if none). NANODTLS_OK: the whole datagram was processed.
/// NANODTLS_MORE: more records follow: handle the data, then feed
/// `datagram + consumed` (`len - consumed` bytes) again. Bad records are
/// dropped and counted (see nanodtls_get_stats) and the call still
/// succeeds. A negative protocol status (ALERT_SENT, ALERT_RECEIVED,
/// TIMEOUT, CLOSED, RNG) means the connection ended; NANODTLS_E_RNG: the
/// RNG callback failed (a server also when it refreshes its cookie secret
/// for a ClientHello). Every call may queue datagrams (the next flight, a
/// retransmission, an alert, close_notify): poll after it.
/// NANODTLS_E_NULL if `input` is NULL.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_feed(
    ctx: *mut nanodtls_ctx,
    datagram: *mut u8,
    len: usize,
    input: *mut nanodtls_input,
) -> nanodtls_status {
    if input.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/length pair of a writable buffer from the caller.
    let d = match unsafe { out_slice(datagram, len) } {
        Ok(d) => d,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx; input is non-NULL and writable per contract.
    unsafe {
        with_ctx(ctx, |conn, cb| {
            let now = cb.now();
            let r = conn.feed(cb, now, d);
            report_fed(r, d, input)
        })
    }
}

/// Take the next datagram to send. On NANODTLS_OK, `out[0..*out_len]`
/// holds it (at most the configured MTU). NANODTLS_DONE: nothing to send.
/// NANODTLS_E_BUFFER_TOO_SMALL: `out_cap` cannot hold the next record, or
/// is below NANODTLS_MIN_MTU while something waits (nothing is lost; use a
/// buffer of at least the MTU).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_poll_datagram(
    ctx: *mut nanodtls_ctx,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> nanodtls_status {
    if out_len.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/capacity pair from the caller.
    let o = match unsafe { out_slice(out, out_cap) } {
        Ok(o) => o,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx; out_len is non-NULL and writable per contract.
    unsafe {
        with_ctx(ctx, |conn, cb| {
            let now = cb.now();
            match conn.poll_datagram(&*cb, now, o) {
                Ok(Some(n)) => {
                    out_len.write(n);
                    NANODTLS_OK
                }
                Ok(None) => NANODTLS_DONE,
                Err(e) => e.code(),
            }
        })
    }
}

/// Seal `len` bytes of application data as one record straight into
/// `out`: on NANODTLS_OK, `out[0..*out_len]` is the datagram to send to the
/// peer. Only when connected. NANODTLS_E_TOO_LARGE if `len` cannot fit one
/// record (see nanodtls_max_write); NANODTLS_E_BUFFER_TOO_SMALL if
/// `out_cap` cannot hold the record (nothing was sealed; `len` plus 29
/// bytes always suffices). `data` and `out` must not overlap
/// (NANODTLS_E_INVALID_ARG). Zero-length writes are allowed.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_write(
    ctx: *mut nanodtls_ctx,
    data: *const u8,
    len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> nanodtls_status {
    if out_len.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/length pairs from the caller, checked not to overlap.
    let (d, o) = match unsafe { in_out_slices(data, len, out, out_cap) } {
        Ok(p) => p,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx; out_len is non-NULL and writable per contract.
    unsafe {
        with_ctx(ctx, |conn, _| match conn.write(d, o) {
            Ok(n) => {
                out_len.write(n);
                NANODTLS_OK
            }
            Err(e) => e.code(),
        })
    }
}

/// The largest payload one nanodtls_write accepts (depends on MTU and suite).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_max_write(ctx: *mut nanodtls_ctx, max_len: *mut usize) -> nanodtls_status {
    if max_len.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: see with_ctx; max_len non-NULL and writable.
    unsafe {
        with_ctx(ctx, |conn, _| {
            max_len.write(conn.max_write());
            NANODTLS_OK
        })
    }
}

/// Milliseconds until nanodtls_handle_timeout must be called. NANODTLS_OK
/// with `*ms` set, or NANODTLS_DONE when no timer runs (`*ms` untouched).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_timeout_ms(ctx: *mut nanodtls_ctx, ms: *mut u32) -> nanodtls_status {
    if ms.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: see with_ctx; ms non-NULL and writable.
    unsafe {
        with_ctx(ctx, |conn, cb| {
            let now = cb.now();
            match conn.timeout_ms(now) {
                Some(t) => {
                    ms.write(u32::try_from(t).unwrap_or(u32::MAX));
                    NANODTLS_OK
                }
                None => NANODTLS_DONE,
            }
        })
    }
}

/// Run expired timers: retransmit the current flight (then poll), or fail
/// the handshake with NANODTLS_E_TIMEOUT at its deadline. Calling it early
/// is harmless.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_handle_timeout(ctx: *mut nanodtls_ctx) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |conn, cb| {
            let now = cb.now();
            status(conn.handle_timeout(now))
        })
    }
}

/// The connection state: one of NANODTLS_STATE_* (>= 0), or a negative
/// status for misuse.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_state(ctx: *mut nanodtls_ctx) -> i32 {
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |conn, _| state_code(conn.state())) }
}

/// The sticky status of a failed or closed connection (e.g.
/// NANODTLS_E_ALERT_SENT, NANODTLS_E_TIMEOUT, NANODTLS_E_CLOSED), or
/// NANODTLS_OK while it is usable.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_error(ctx: *mut nanodtls_ctx) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |conn, _| conn.failure().map_or(NANODTLS_OK, |e| e.code())) }
}

/// The last alert sent or received (level 0 if none).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_last_alert(ctx: *mut nanodtls_ctx, alert: *mut nanodtls_alert) -> nanodtls_status {
    if alert.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: see with_ctx; alert non-NULL and writable.
    unsafe {
        with_ctx(ctx, |conn, _| {
            let a = conn.last_alert();
            alert.write(nanodtls_alert { level: a.level, description: a.description, sent: u8::from(a.sent) });
            NANODTLS_OK
        })
    }
}

/// Copy the statistics counters.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_get_stats(ctx: *mut nanodtls_ctx, stats: *mut nanodtls_stats) -> nanodtls_status {
    if stats.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: see with_ctx; stats non-NULL and writable.
    unsafe {
        with_ctx(ctx, |conn, _| {
            stats.write(nanodtls_stats::from(conn.stats()));
            NANODTLS_OK
        })
    }
}

/// The negotiated cipher suite (e.g. NANODTLS_SUITE_PSK_AES_128_CCM_8);
/// NANODTLS_E_STATE before the ServerHello.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_get_suite(ctx: *mut nanodtls_ctx, suite: *mut u16) -> nanodtls_status {
    if suite.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: see with_ctx; suite non-NULL and writable.
    unsafe {
        with_ctx(ctx, |conn, _| match conn.suite() {
            0 => NANODTLS_E_STATE,
            s => {
                suite.write(s);
                NANODTLS_OK
            }
        })
    }
}

/// Facts about the connection, for logs and tests.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct nanodtls_info {
    /// NANODTLS_STATE_*.
    pub state: i32,
    /// Negotiated suite (0 before ServerHello).
    pub suite: u16,
    /// 1 if this handshake resumed a session.
    pub resumed: u8,
    /// 1 if the extended master secret is in use.
    pub extended_master_secret: u8,
    /// 1 if heartbeat requests may be sent (nanodtls_heartbeat).
    pub heartbeat: u8,
    /// 1 (client) if a resumable session is held (nanodtls_session_export).
    pub has_session: u8,
    /// Largest record plaintext we send: the peer's record_size_limit
    /// (RFC 8449), else the negotiated max_fragment_length, else 16384.
    pub record_limit: u16,
    /// Our record_size_limit when negotiated (the largest protected record
    /// plaintext we accept), 0 when not.
    pub record_size_limit: u16,
}

/// Fill `info` with the state, suite and negotiated options.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_get_info(ctx: *mut nanodtls_ctx, info: *mut nanodtls_info) -> nanodtls_status {
    if info.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: see with_ctx; info non-NULL and writable.
    unsafe {
        with_ctx(ctx, |conn, _| {
            info.write(connection_info(conn));
            NANODTLS_OK
        })
    }
}

pub(crate) fn connection_info(conn: &crate::connection::Engine) -> nanodtls_info {
    nanodtls_info {
        state: state_code(conn.state()),
        suite: conn.suite(),
        resumed: u8::from(conn.resumed()),
        extended_master_secret: u8::from(conn.extended_master_secret()),
        heartbeat: u8::from(conn.heartbeat_negotiated()),
        has_session: u8::from(conn.has_session()),
        record_limit: u16::try_from(conn.record_limit()).unwrap_or(u16::MAX),
        record_size_limit: conn.record_size_limits().map_or(0, |(ours, _)| ours),
    }
}

/// Close: queue close_notify (poll to send it) and stop. Idempotent.
/// Secrets are wiped once the alert has been polled; call nanodtls_deinit
/// to wipe everything.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_close(ctx: *mut nanodtls_ctx) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |conn, _| status(conn.close())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" fn test_clock(user: *mut c_void) -> u64 {
        // SAFETY: the test passes the pointer of a live Cell<u64>, not
        // borrowed during the call.
        unsafe { user.cast::<u64>().read() }
    }

    unsafe extern "C" fn test_rng(_: *mut c_void, _: *mut u8, _: usize) -> core::ffi::c_int {
        1
    }

    #[test]
    fn a_clock_that_goes_back_counts_as_no_time_elapsed() {
        let raw = core::cell::Cell::new(0u64);
        let plat = nanodtls_platform { rng: Some(test_rng), now_ms: Some(test_clock), user: raw.as_ptr().cast() };
        let mut cb = Callbacks::from_platform(&plat).unwrap();
        // (callback value, library time): monotonic values pass unchanged,
        // a step back (a restart at 0, a 32-bit wrap) adds nothing, and the
        // time goes on from there at the callback's pace.
        for (r, want) in [
            (5_000, 5_000),
            (5_000, 5_000),
            (6_000, 6_000),
            (0, 6_000),
            (400, 6_400),
            (100, 6_400),
            (u64::from(u32::MAX), 6_400 + u64::from(u32::MAX) - 100),
            (3, 6_400 + u64::from(u32::MAX) - 100),
            (u64::MAX, u64::MAX),
        ] {
            raw.set(r);
            assert_eq!(cb.now(), want, "after the callback said {r}");
        }
    }

    /// Runtime (not const) on purpose: the bound holds for the host, and
    /// 32-bit targets legitimately have more slack.
    #[test]
    #[allow(clippy::assertions_on_constants)]
    fn context_size_slack_is_small() {
        let slack = NANODTLS_CTX_SIZE - CTX_INNER_SIZE;
        assert!(slack < 256, "NANODTLS_CTX_SIZE wastes {slack} bytes: lower CONN_STATE_BYTES in build.rs");
    }
}
