//! C API of an endpoint's credentials, shared by all its peers: PSK (ours,
//! the hint, the lookup), our ECDSA key and certificate, the raw public
//! keys we trust, the verify callback, the session cache and the SNI
//! callback.

use super::endpoint::with_ep;
use super::*;

/// The PSK identity and key every peer may use (copied; zeroized at
/// deinit). Add nanodtls_endpoint_set_psk_lookup for per-device keys.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_psk(
    ep: *mut nanodtls_endpoint,
    identity: *const u8,
    identity_len: usize,
    key: *const u8,
    key_len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pairs from the caller.
    let (id, k) = match unsafe { (in_slice(identity, identity_len), in_slice(key, key_len)) } {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e.code(),
    };
    // SAFETY: see with_ep.
    unsafe { with_ep(ep, |e, _, _| status(e.set_psk(id, k))) }
}

/// The PSK identity hint sent to every peer (0 to 32 bytes).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_psk_hint(
    ep: *mut nanodtls_endpoint,
    hint: *const u8,
    hint_len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let h = match unsafe { in_slice(hint, hint_len) } {
        Ok(h) => h,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ep.
    unsafe { with_ep(ep, |e, _, _| status(e.set_psk_hint(h))) }
}

/// PSK lookup callback for identities other than the one set with
/// nanodtls_endpoint_set_psk (NULL removes it). Unknown identities are
/// answered with decrypt_error (RFC 7925).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_psk_lookup(
    ep: *mut nanodtls_endpoint,
    lookup: nanodtls_psk_lookup_fn,
    user: *mut c_void,
) -> nanodtls_status {
    // SAFETY: see with_ep.
    unsafe {
        with_ep(ep, |_, _, cb| {
            cb.psk_lookup = lookup;
            cb.psk_user = user;
            NANODTLS_OK
        })
    }
}

/// Our P-256 private key for ECDHE_ECDSA with every peer (raw 32 bytes,
/// SEC1 DER or PKCS#8 DER). Copied; zeroized at deinit.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_own_key(
    ep: *mut nanodtls_endpoint,
    key: *const u8,
    key_len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let k = match unsafe { in_slice(key, key_len) } {
        Ok(k) => k,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ep.
    unsafe { with_ep(ep, |e, _, _| status(e.set_own_key(k))) }
}

/// nanodtls_set_own_key_signer for an endpoint: every peer's
/// ServerKeyExchange is signed through `sign` (see nanodtls_sign_fn; a
/// failure ends that peer's handshake with internal_error and
/// NANODTLS_E_SIGNER, the other peers go on). The same contract:
/// the private key never enters the library, `spki` is copied, `sign` and
/// `user` must stay valid until deinit or another key is set.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_own_key_signer(
    ep: *mut nanodtls_endpoint,
    spki: *const u8,
    spki_len: usize,
    sign: nanodtls_sign_fn,
    user: *mut c_void,
    format: u8,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let k = match unsafe { super::ctx_credentials::signer_args(spki, spki_len, sign, format) } {
        Ok(k) => k,
        Err(st) => return st,
    };
    // SAFETY: see with_ep.
    unsafe {
        with_ep(ep, |e, _, cb| {
            #[cfg(feature = "ecc")]
            {
                cb.keep_signer(status(e.set_own_public_key(k)), sign, user, format)
            }
            #[cfg(not(feature = "ecc"))]
            {
                let _ = (e, cb, k, user);
                NANODTLS_E_UNSUPPORTED
            }
        })
    }
}

/// Our X.509 certificate (DER) for clients without raw public key support,
/// optionally followed by its intermediates (DER back to back, leaf first;
/// see nanodtls_set_own_certificate); BORROWED: it must stay valid (e.g.
/// in flash) until deinit. The leaf's key must be the one set with
/// nanodtls_endpoint_set_own_key (call that first).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_own_certificate(
    ep: *mut nanodtls_endpoint,
    der: *const u8,
    len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let c = match unsafe { in_slice(der, len) } {
        Ok(c) => c,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ep.
    unsafe {
        with_ep(ep, |e, _, cb| {
            let usable = c.is_empty() || (e.certificate_matches_own_key(c) && super::ctx_credentials::chain_is_der(c));
            if !usable {
                return if cfg!(feature = "ecc") { NANODTLS_E_INVALID_ARG } else { NANODTLS_E_UNSUPPORTED };
            }
            cb.own_cert = if c.is_empty() { core::ptr::null() } else { der };
            cb.own_cert_len = c.len();
            NANODTLS_OK
        })
    }
}

/// Trust a client raw public key (SubjectPublicKeyInfo DER, or pin the key
/// of an X.509 certificate DER); only its SHA-256 is kept. Used when the configuration has client_auth = 1.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_add_trusted_key(
    ep: *mut nanodtls_endpoint,
    spki: *const u8,
    spki_len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let k = match unsafe { in_slice(spki, spki_len) } {
        Ok(k) => k,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ep.
    unsafe { with_ep(ep, |e, _, _| status(e.add_trusted_key(k))) }
}

/// Trust a client raw public key given as the SHA-256 of its
/// SubjectPublicKeyInfo (`hash_len` must be 32).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_add_trusted_key_hash(
    ep: *mut nanodtls_endpoint,
    hash: *const u8,
    hash_len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let h = match unsafe { in_slice(hash, hash_len) } {
        Ok(h) => h,
        Err(e) => return e.code(),
    };
    let Ok(h) = <[u8; 32]>::try_from(h) else { return NANODTLS_E_INVALID_ARG };
    // SAFETY: see with_ep.
    unsafe { with_ep(ep, |e, _, _| status(e.add_trusted_key_hash(&h))) }
}

/// Verifier for client raw public keys not in the trusted list (NULL
/// removes it); return 0 to accept.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_verify_callback(
    ep: *mut nanodtls_endpoint,
    verify: nanodtls_verify_key_fn,
    user: *mut c_void,
) -> nanodtls_status {
    // SAFETY: see with_ep.
    unsafe {
        with_ep(ep, |_, _, cb| {
            cb.verify_key = verify;
            cb.verify_user = user;
            NANODTLS_OK
        })
    }
}

/// Copy our SubjectPublicKeyInfo (NANODTLS_SPKI_LEN bytes); NANODTLS_E_STATE if no key.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_get_own_spki(
    ep: *mut nanodtls_endpoint,
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
    // SAFETY: see with_ep; out_len non-NULL and writable.
    unsafe {
        with_ep(ep, |e, _, _| {
            if !cfg!(feature = "ecc") {
                return NANODTLS_E_UNSUPPORTED;
            }
            let Some(spki) = e.own_spki() else { return NANODTLS_E_STATE };
            copy_out(&spki, o, out_len)
        })
    }
}

/// Use `n` entries at `entries` (each `entry_size` =
/// sizeof(nanodtls_session_entry)) as the session cache shared by all
/// peers, so clients can resume (abbreviated handshake). Zeroed here; must
/// stay valid until deinit, which wipes it. (NULL, 0) removes it.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_session_cache(
    ep: *mut nanodtls_endpoint,
    entries: *mut nanodtls_session_entry,
    entry_size: usize,
    n: usize,
) -> nanodtls_status {
    // SAFETY: see with_ep and register_cache (caller contract on entries).
    unsafe { with_ep(ep, |_, _, cb| register_cache(cb, entries, entry_size, n)) }
}

/// Callback deciding whether to serve the server_name (SNI) a client asks
/// for (NULL removes it; without it every name is accepted).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_sni_callback(
    ep: *mut nanodtls_endpoint,
    cb_fn: nanodtls_sni_fn,
    user: *mut c_void,
) -> nanodtls_status {
    // SAFETY: see with_ep.
    unsafe {
        with_ep(ep, |_, _, cb| {
            cb.sni = cb_fn;
            cb.sni_user = user;
            NANODTLS_OK
        })
    }
}
