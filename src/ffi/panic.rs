//! Panic hook for firmware builds.
//!
//! The library is written so that no input can make it panic (parsers
//! return errors, arithmetic is checked, slicing uses `get`). If a bug
//! panics anyway, the handler calls the hook the firmware registered (for
//! example one that calls `k_panic()` or `configASSERT(0)`), and otherwise
//! aborts (hosted targets) or parks the CPU (bare metal).

use core::sync::atomic::{AtomicPtr, Ordering};

/// A function the library calls if it ever panics. It should not return;
/// if it does, the library aborts or spins.
pub type nanodtls_panic_hook_fn = Option<unsafe extern "C" fn()>;

static HOOK: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

/// Register the panic hook (NULL removes it). Global to the library.
#[no_mangle]
pub extern "C" fn nanodtls_set_panic_hook(hook: nanodtls_panic_hook_fn) {
    let p = match hook {
        Some(f) => f as *mut (),
        None => core::ptr::null_mut(),
    };
    HOOK.store(p, Ordering::Release);
}

#[cfg(not(feature = "std"))]
#[panic_handler]
fn on_panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    let p = HOOK.load(Ordering::Acquire);
    if !p.is_null() {
        // SAFETY: the only non-NULL value ever stored in HOOK is an
        // `unsafe extern "C" fn()` cast to *mut (); converting it back
        // yields the same function pointer.
        let f: unsafe extern "C" fn() = unsafe { core::mem::transmute::<*mut (), unsafe extern "C" fn()>(p) };
        // SAFETY: the firmware registered this hook to be called on panic.
        unsafe { f() };
    }
    halt()
}

#[cfg(all(not(feature = "std"), not(target_os = "none")))]
fn halt() -> ! {
    extern "C" {
        fn abort() -> !;
    }
    // SAFETY: abort() from the C library takes no arguments and never returns.
    unsafe { abort() }
}

#[cfg(all(not(feature = "std"), target_os = "none"))]
fn halt() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// Hosted targets ship a `core` built for unwinding, which refers to the
/// personality routine even though this library is built with
/// panic=abort; without LTO (plain `cargo build` of the staticlib) the
/// reference would be left undefined at link time. It is never called.
#[cfg(all(not(feature = "std"), not(target_os = "none")))]
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}
