//! The debug log hook (cargo feature `log`, see src/log.rs).
//!
//! The hook and its user pointer are global to the library, like the panic
//! hook, in a HookSlot (ffi/hook_slot.rs: a seqlock), so a message is
//! never passed to one hook with the user pointer of another, even when
//! the hook is changed while another thread logs.

use super::{nanodtls_status, NANODTLS_E_INVALID_ARG};
use core::ffi::{c_char, c_void};

/// Log level: errors (the connection failed).
pub const NANODTLS_LOG_ERROR: u8 = 1;
/// Log level: warnings (fatal alerts sent or received, likely failures).
pub const NANODTLS_LOG_WARN: u8 = 2;
/// Log level: milestones (connect, handshake complete, retransmission timeouts, close_notify).
pub const NANODTLS_LOG_INFO: u8 = 3;
/// Log level: every handshake message, flight and dropped record, and why.
pub const NANODTLS_LOG_DEBUG: u8 = 4;

/// Log hook: receives one message of `level` (NANODTLS_LOG_ERROR ..
/// NANODTLS_LOG_DEBUG) as `len` bytes of text at `msg`, NOT NUL-terminated
/// (print it with `printf("%.*s", (int)len, msg)`), at most 120 bytes (a
/// longer message is cut and ends in "..."), valid only during the call.
/// `user` is the pointer given to nanodtls_set_log_hook.
pub type nanodtls_log_fn = Option<unsafe extern "C" fn(user: *mut c_void, level: u8, msg: *const c_char, len: usize)>;

#[cfg(feature = "log")]
static HOOK: super::hook_slot::HookSlot = super::hook_slot::HookSlot::new();

/// Register the debug log hook, global to the library (like
/// nanodtls_set_panic_hook), and the most verbose level passed to it:
/// NANODTLS_LOG_ERROR (1) .. NANODTLS_LOG_DEBUG (4). A NULL hook or
/// max_level 0 turns logging off (the default).
///
/// The hook runs synchronously inside library calls (nanodtls_connect,
/// nanodtls_feed, nanodtls_poll_datagram, nanodtls_handle_timeout, the
/// endpoint functions ...) on the caller's thread and stack: keep it short,
/// and do not call back into the library for the context (or endpoint)
/// whose call is logging (such calls return NANODTLS_E_REENTRANT). Messages
/// are English text for people, not a stable format; they never contain
/// key material (keys, PSKs, master secrets, Finished data, cookie
/// secrets), and PSK identities and server names only as lengths.
///
/// Threads: do not call it from two threads at once. Other threads may
/// be inside the library meanwhile: each message goes to one registered
/// (hook, user) pair, never a mix of two, but calls already running may
/// still deliver messages to the previous hook, so keep its user data
/// valid until they return. The level is checked before anything is
/// formatted: a log point below the level costs one comparison.
///
/// Returns NANODTLS_OK; NANODTLS_E_INVALID_ARG if max_level > 4;
/// NANODTLS_E_UNSUPPORTED if the library was built without the `log`
/// cargo feature (firmware profiles; nothing is then ever logged).
#[no_mangle]
pub extern "C" fn nanodtls_set_log_hook(hook: nanodtls_log_fn, user: *mut c_void, max_level: u8) -> nanodtls_status {
    if max_level > NANODTLS_LOG_DEBUG {
        return NANODTLS_E_INVALID_ARG;
    }
    #[cfg(feature = "log")]
    {
        let (p, user, level) = match hook {
            Some(f) if max_level > 0 => (f as *mut (), user, max_level),
            _ => (core::ptr::null_mut(), core::ptr::null_mut(), 0),
        };
        // Stop new messages, swap hook and user under the sequence
        // counter, then enable the new level.
        crate::log::set_max_level(0);
        HOOK.set(p, user);
        crate::log::set_max_level(level);
        super::NANODTLS_OK
    }
    #[cfg(not(feature = "log"))]
    {
        let _ = (hook, user);
        super::NANODTLS_E_UNSUPPORTED
    }
}

/// The log sink of every C context and endpoint: passes each message to
/// the hook registered with nanodtls_set_log_hook (read at each message, so
/// contexts initialised before the hook was set log too).
#[cfg(feature = "log")]
pub(crate) const SINK: crate::log::LogSink = Some(sink);

#[cfg(feature = "log")]
fn sink(level: crate::log::LogLevel, line: crate::log::LogLine) {
    log_dispatch(level as u8, line.as_bytes());
}

/// Pass one formatted message to the registered hook.
#[cfg(feature = "log")]
fn log_dispatch(level: u8, msg: &[u8]) {
    let Some((p, user)) = HOOK.get() else { return };
    type Hook = unsafe extern "C" fn(*mut c_void, u8, *const c_char, usize);
    // SAFETY: the only non-NULL value ever stored in HOOK (ffi/hook_slot.rs) is a `Hook`
    // cast to *mut () (nanodtls_set_log_hook); converting it back yields
    // the same function pointer.
    let f: Hook = unsafe { core::mem::transmute::<*mut (), Hook>(p) };
    // SAFETY: the application registered this hook with this user pointer
    // (read as a consistent pair from HOOK); msg points to msg.len()
    // readable bytes that stay valid for the duration of the call, which
    // is all the hook's contract promises.
    unsafe { f(user, level, msg.as_ptr().cast::<c_char>(), msg.len()) };
}

/// Test support (only with the `std` feature, which firmware builds never
/// enable): a hook that keeps every message, registered through the real
/// C entry point, so Rust tests see exactly what a C application sees.
#[cfg(all(feature = "std", feature = "log"))]
#[doc(hidden)]
pub mod test_capture {
    use core::ffi::{c_char, c_void};
    use std::string::String;
    use std::sync::Mutex;
    use std::vec::Vec;

    use crate::ffi::{nanodtls_set_log_hook, nanodtls_status};
    use crate::log::LogLevel;

    static CAPTURED: Mutex<Vec<(u8, String)>> = Mutex::new(Vec::new());
    static BAD_CALLS: Mutex<Vec<String>> = Mutex::new(Vec::new());
    /// Its address is the user pointer the hook expects.
    static MARKER: u8 = 0;

    fn marker() -> *mut c_void {
        core::ptr::addr_of!(MARKER).cast_mut().cast::<c_void>()
    }

    unsafe extern "C" fn hook(user: *mut c_void, level: u8, msg: *const c_char, len: usize) {
        let mut bad = BAD_CALLS.lock().unwrap_or_else(|e| e.into_inner());
        if user != marker() {
            bad.push(String::from("wrong user pointer"));
        }
        if msg.is_null() || len > crate::log::LINE_MAX {
            bad.push(std::format!("msg {msg:?} len {len}"));
            return;
        }
        // SAFETY: the library passes `len` readable bytes at `msg`, valid
        // during this call (the hook contract); they are copied out here.
        let bytes = unsafe { core::slice::from_raw_parts(msg.cast::<u8>(), len) };
        match core::str::from_utf8(bytes) {
            Ok(text) => CAPTURED.lock().unwrap_or_else(|e| e.into_inner()).push((level, String::from(text))),
            Err(_) => bad.push(std::format!("not UTF-8: {bytes:?}")),
        }
    }

    /// Forget earlier messages and register the capturing hook with
    /// `max_level` (through nanodtls_set_log_hook, whose status is returned).
    pub fn start(max_level: u8) -> nanodtls_status {
        CAPTURED.lock().unwrap_or_else(|e| e.into_inner()).clear();
        BAD_CALLS.lock().unwrap_or_else(|e| e.into_inner()).clear();
        nanodtls_set_log_hook(Some(hook), marker(), max_level)
    }

    /// Take the messages captured so far: (level, text).
    pub fn take() -> Vec<(u8, String)> {
        core::mem::take(&mut *CAPTURED.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Calls the hook could not accept (wrong user pointer, over-long or
    /// non-UTF-8 message); empty when all is well.
    pub fn bad_calls() -> Vec<String> {
        core::mem::take(&mut *BAD_CALLS.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The sink a C context gets: Rust tests give it to their
    /// connections (Connection::set_log_sink) to log through the hook.
    pub fn sink() -> crate::log::LogSink {
        super::SINK
    }

    /// Log `text` at `level` as a log point in the engine would.
    pub fn emit(level: LogLevel, text: &str) {
        if let Some(sink) = crate::log::active(super::SINK, level) {
            crate::log::emit(sink, level, format_args!("{text}"));
        }
    }
}
