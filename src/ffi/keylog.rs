//! The NSS key log hook (cargo feature `keylog`, see src/keylog.rs).
//!
//! Like the log hook, the hook and its user pointer are global to the
//! library (one key log file per process, as SSLKEYLOGFILE is), kept in a
//! HookSlot (ffi/hook_slot.rs: a seqlock), so a line is never passed to
//! one hook with the user pointer of another.

use super::nanodtls_status;
use core::ffi::{c_char, c_void};

/// Length of a key log line (NANODTLS_KEYLOG_LINE_LEN): "CLIENT_RANDOM ",
/// 64 hex digits, a space, 96 hex digits.
pub const NANODTLS_KEYLOG_LINE_LEN: usize = 175;
#[cfg(feature = "keylog")]
const _: () = assert!(NANODTLS_KEYLOG_LINE_LEN == crate::keylog::LINE_LEN);

/// Key log hook: receives one NSS key log line, `CLIENT_RANDOM <client
/// random, 64 lowercase hex digits> <master secret, 96 lowercase hex
/// digits>`, as `len` (NANODTLS_KEYLOG_LINE_LEN) bytes of ASCII at `line`,
/// NOT NUL-terminated and without a newline (write it with
/// `fprintf(f, "%.*s\n", (int)len, line)`), valid only during the call.
/// `user` is the pointer given to nanodtls_set_keylog_hook.
pub type nanodtls_keylog_fn = Option<unsafe extern "C" fn(user: *mut c_void, line: *const c_char, len: usize)>;

#[cfg(feature = "keylog")]
static HOOK: super::hook_slot::HookSlot = super::hook_slot::HookSlot::new();

/// Register the NSS key log hook, global to the library (every context and
/// endpoint, including those initialised before): for each handshake, full
/// or resumed, client or server, one line `CLIENT_RANDOM <client random>
/// <master secret>` (hex) when its traffic keys are installed, the format
/// Wireshark reads (`tshark -o tls.keylog_file:FILE`) to decrypt a capture
/// of that connection. NULL turns it off (the default).
///
/// The line holds the connection's MASTER SECRET: anyone who reads it can
/// decrypt (and forge) that connection's records. Use it for debugging
/// only; write the file with restrictive permissions. The hook runs
/// synchronously inside library calls (nanodtls_feed, nanodtls_connect,
/// the endpoint functions ...) on the caller's thread; it must not block
/// for long or call back into the library for the context whose call runs
/// it (NANODTLS_E_REENTRANT). The library keeps no copy: the line is
/// wiped when the hook returns.
///
/// Threads: as nanodtls_set_log_hook (do not call it from two threads at
/// once; calls already running may still deliver a line to the previous
/// hook, so keep its user data valid until they return).
///
/// Returns NANODTLS_OK, or NANODTLS_E_UNSUPPORTED if the library was
/// built without the `keylog` cargo feature (firmware profiles: no line is
/// ever produced).
#[no_mangle]
pub extern "C" fn nanodtls_set_keylog_hook(hook: nanodtls_keylog_fn, user: *mut c_void) -> nanodtls_status {
    #[cfg(feature = "keylog")]
    {
        let (p, user) = match hook {
            Some(f) => (f as *mut (), user),
            None => (core::ptr::null_mut(), core::ptr::null_mut()),
        };
        HOOK.set(p, user);
        super::NANODTLS_OK
    }
    #[cfg(not(feature = "keylog"))]
    {
        let _ = (hook, user);
        super::NANODTLS_E_UNSUPPORTED
    }
}

/// The key log sink of every C context and endpoint: passes each line to
/// the hook registered with nanodtls_set_keylog_hook (read at each line).
#[cfg(feature = "keylog")]
pub(crate) const SINK: crate::keylog::KeyLogSink = Some(sink);

#[cfg(feature = "keylog")]
fn sink(line: crate::keylog::KeyLogLine) {
    let Some((p, user)) = HOOK.get() else { return };
    type Hook = unsafe extern "C" fn(*mut c_void, *const c_char, usize);
    // SAFETY: the only non-NULL value ever stored in HOOK (ffi/hook_slot.rs) is a `Hook`
    // cast to *mut () (nanodtls_set_keylog_hook); converting it back
    // yields the same function pointer.
    let f: Hook = unsafe { core::mem::transmute::<*mut (), Hook>(p) };
    let bytes = line.as_bytes();
    // SAFETY: the application registered this hook with this user pointer
    // (read as a consistent pair from HOOK); bytes points to bytes.len()
    // readable bytes that stay valid for the duration of the call, which
    // is all the hook's contract promises.
    unsafe { f(user, bytes.as_ptr().cast::<c_char>(), bytes.len()) };
}
