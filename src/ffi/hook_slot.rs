//! A global (hook, user pointer) pair that a reader always sees whole,
//! shared by the debug log hook (ffi/log.rs) and the key log hook
//! (ffi/keylog.rs).
//!
//! The pair is kept in two atomics guarded by a sequence counter (a
//! seqlock with plain loads and stores: thumbv6m has no compare-and-swap),
//! so a message is never passed to one hook with the user pointer of
//! another, even when the hook is changed while another thread calls it.
//! Setting is for one thread at a time (the C functions say so).

use core::ffi::c_void;
use core::sync::atomic::{fence, AtomicPtr, AtomicUsize, Ordering};

pub(crate) struct HookSlot {
    hook: AtomicPtr<()>,
    user: AtomicPtr<c_void>,
    /// Odd while `set` is changing `hook` and `user`.
    seq: AtomicUsize,
}

impl HookSlot {
    pub(crate) const fn new() -> Self {
        HookSlot {
            hook: AtomicPtr::new(core::ptr::null_mut()),
            user: AtomicPtr::new(core::ptr::null_mut()),
            seq: AtomicUsize::new(0),
        }
    }

    /// Store a new pair (hook NULL: none).
    pub(crate) fn set(&self, hook: *mut (), user: *mut c_void) {
        let s = self.seq.load(Ordering::Relaxed);
        self.seq.store(s.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        self.hook.store(hook, Ordering::Relaxed);
        self.user.store(user, Ordering::Relaxed);
        self.seq.store(s.wrapping_add(2), Ordering::Release);
    }

    /// A consistent (hook, user) pair, or None when no hook is set (or it
    /// is being changed right now: the caller then drops its message
    /// rather than waiting, which could dead-lock a single-core system).
    pub(crate) fn get(&self) -> Option<(*mut (), *mut c_void)> {
        for _ in 0..4 {
            let s1 = self.seq.load(Ordering::Acquire);
            if s1 % 2 == 1 {
                continue;
            }
            let p = self.hook.load(Ordering::Relaxed);
            let user = self.user.load(Ordering::Relaxed);
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) == s1 {
                return (!p.is_null()).then_some((p, user));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::HookSlot;

    #[test]
    fn pair_is_set_read_and_cleared() {
        let slot = HookSlot::new();
        assert!(slot.get().is_none());
        let (h, u) = (8usize as *mut (), 16usize as *mut core::ffi::c_void);
        slot.set(h, u);
        assert_eq!(slot.get(), Some((h, u)));
        slot.set(core::ptr::null_mut(), core::ptr::null_mut());
        assert!(slot.get().is_none());
    }
}
