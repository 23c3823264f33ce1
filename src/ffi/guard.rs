//! Opaque objects in caller memory: a header (magic, re-entrancy guard)
//! followed by the Rust state.

use core::ptr::{addr_of, addr_of_mut};

use zerocopy::FromZeros;

use super::{
    nanodtls_status, NANODTLS_E_INVALID_ARG, NANODTLS_E_NOT_INITIALIZED, NANODTLS_E_NULL, NANODTLS_E_REENTRANT,
};

/// An object living in caller-provided memory.
#[derive(FromZeros)]
#[repr(C)]
pub(crate) struct Guarded<B> {
    /// The object's magic value when initialised; anything else otherwise.
    magic: u64,
    /// Non-zero while a call on this object is running.
    busy: u32,
    _pad: u32,
    body: B,
}

/// Run `f` on the body of an initialised object with the guard held.
///
/// # Safety
/// `p` must be NULL or point to at least `size_of::<Guarded<B>>()` bytes the
/// caller may read and write (the C object the header declares).
pub(crate) unsafe fn enter<B: FromZeros>(
    p: *mut Guarded<B>,
    magic: u64,
    f: impl FnOnce(&mut B) -> nanodtls_status,
) -> nanodtls_status {
    if p.is_null() {
        return NANODTLS_E_NULL;
    }
    if (p as usize) % core::mem::align_of::<Guarded<B>>() != 0 {
        return NANODTLS_E_INVALID_ARG;
    }
    // SAFETY: p is non-NULL and aligned and covers the header; magic and
    // busy are integers (any bit pattern is valid) and are read through raw
    // pointers, so no reference overlapping a live one is created.
    let (m, busy) = unsafe { (addr_of!((*p).magic).read_volatile(), addr_of!((*p).busy).read_volatile()) };
    if m != magic {
        return NANODTLS_E_NOT_INITIALIZED;
    }
    if busy != 0 {
        return NANODTLS_E_REENTRANT;
    }
    // SAFETY: the magic value is only written by `init` after the body was
    // zeroed (valid, as B: FromZeros) and initialised, so the body is a
    // valid B. The guard is set before the one mutable reference to the
    // body is created and cleared after it is gone; a re-entrant call (from
    // a callback inside `f`) stops at the busy check above, which reads only
    // the header, disjoint from the body.
    unsafe {
        addr_of_mut!((*p).busy).write_volatile(1);
        let r = f(&mut *addr_of_mut!((*p).body));
        addr_of_mut!((*p).busy).write_volatile(0);
        r
    }
}

/// Zero the whole object (`size` bytes, its size as C declares it), let
/// `init` set up the body, then mark it initialised. On error the object is
/// left zeroed (uninitialised).
///
/// # Safety
/// As for [`enter`], with `size >= size_of::<Guarded<B>>()` writable bytes;
/// additionally no reference into the object may be live (a live object
/// being re-initialised from its own callback is refused).
pub(crate) unsafe fn initialise<B: FromZeros>(
    p: *mut Guarded<B>,
    size: usize,
    magic: u64,
    init: impl FnOnce(&mut B) -> nanodtls_status,
) -> nanodtls_status {
    if size < core::mem::size_of::<Guarded<B>>() {
        return super::NANODTLS_E_CTX_SIZE;
    }
    if p.is_null() {
        return NANODTLS_E_NULL;
    }
    if (p as usize) % core::mem::align_of::<Guarded<B>>() != 0 {
        return NANODTLS_E_INVALID_ARG;
    }
    // SAFETY: p is valid for the whole object (caller contract). After
    // write_bytes(0) it holds a valid Guarded<B> (FromZeros), so forming a
    // &mut to the body is sound; no other reference exists (we checked the
    // guard of a live object).
    unsafe {
        if addr_of!((*p).magic).read_volatile() == magic && addr_of!((*p).busy).read_volatile() != 0 {
            return NANODTLS_E_REENTRANT;
        }
        core::ptr::write_bytes(p.cast::<u8>(), 0, size);
        let r = init(&mut *addr_of_mut!((*p).body));
        if r == super::NANODTLS_OK {
            addr_of_mut!((*p).magic).write_volatile(magic);
        } else {
            core::ptr::write_bytes(p.cast::<u8>(), 0, size);
        }
        r
    }
}

/// Run `wipe` on the body and then zero the whole object (`size` bytes, as
/// C declares it), making it uninitialised.
///
/// # Safety
/// As for [`enter`], with `size >= size_of::<Guarded<B>>()` writable bytes.
pub(crate) unsafe fn destroy<B: FromZeros>(
    p: *mut Guarded<B>,
    size: usize,
    magic: u64,
    wipe: impl FnOnce(&mut B),
) -> nanodtls_status {
    // SAFETY: forwarded contract.
    let r = unsafe {
        enter(p, magic, |b| {
            wipe(b);
            super::NANODTLS_OK
        })
    };
    if r == super::NANODTLS_OK {
        // SAFETY: enter validated p and has returned, so no reference into
        // the object is live. Volatile writes so the wipe is not elided.
        unsafe {
            // Word-wise: the object is 8-aligned (checked by enter) and its
            // declared size a multiple of 8 (the header declares it in u64s).
            let words = p.cast::<u64>();
            for i in 0..size.max(core::mem::size_of::<Guarded<B>>()) / 8 {
                words.add(i).write_volatile(0);
            }
        }
    }
    r
}

/// True if `p` is a live object whose guard is held (a call is running).
///
/// # Safety
/// `p` must be non-NULL, aligned, and cover the header.
pub(crate) unsafe fn is_busy<B>(p: *mut Guarded<B>, magic: u64) -> bool {
    // SAFETY: header fields are integers read through raw pointers (see enter).
    unsafe { addr_of!((*p).magic).read_volatile() == magic && addr_of!((*p).busy).read_volatile() != 0 }
}
