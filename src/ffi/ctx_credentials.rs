//! C API of a context's credentials: PSK (ours, the server's hint and
//! lookup, the peer's identity), our ECDSA key and certificate, the raw
//! public keys we trust and the verify callback (RFC 4279, RFC 7250).

use super::ctx::with_ctx;
use super::*;

/// Set the PSK. Client: the identity and key to use. Server: the single
/// identity and key this context accepts (add nanodtls_set_psk_lookup for
/// more). Both are copied in and zeroized at deinit. Identity: 1 to
/// NANODTLS_MAX_PSK_IDENTITY bytes; key: 1 to NANODTLS_MAX_PSK_KEY bytes.
/// Only before the handshake starts.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_psk(
    ctx: *mut nanodtls_ctx,
    identity: *const u8,
    identity_len: usize,
    key: *const u8,
    key_len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pairs come from the caller per the API contract.
    let (id, k) = match unsafe { (in_slice(identity, identity_len), in_slice(key, key_len)) } {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e.code(),
    };
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |conn, _| status(conn.set_psk(id, k))) }
}

/// Server: set the PSK identity hint sent in ServerKeyExchange (0 to 32
/// bytes; empty = no ServerKeyExchange). Clients ignore hints (RFC 7925).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_psk_hint(
    ctx: *mut nanodtls_ctx,
    hint: *const u8,
    hint_len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let h = match unsafe { in_slice(hint, hint_len) } {
        Ok(h) => h,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |conn, _| status(conn.set_psk_hint(h))) }
}

/// Server: register a PSK lookup callback, consulted for identities that
/// do not match the PSK set with nanodtls_set_psk. `user` is passed back.
/// An unknown identity makes the server answer decrypt_error (RFC 7925).
/// NULL `lookup` removes the callback.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_psk_lookup(
    ctx: *mut nanodtls_ctx,
    lookup: nanodtls_psk_lookup_fn,
    user: *mut c_void,
) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |conn, cb| {
            if conn.role() != crate::Role::Server {
                return NANODTLS_E_STATE;
            }
            cb.psk_lookup = lookup;
            cb.psk_user = user;
            NANODTLS_OK
        })
    }
}

/// Copy the PSK identity in use (client: ours; server: the client's, once
/// received). NANODTLS_E_STATE if there is none yet.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_get_psk_identity(
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
    // SAFETY: see with_ctx; out_len non-NULL and writable.
    unsafe {
        with_ctx(ctx, |conn, _| {
            let id = conn.psk_identity();
            if id.is_empty() {
                return NANODTLS_E_STATE;
            }
            copy_out(id, o, out_len)
        })
    }
}

/// Set our P-256 private key for ECDHE_ECDSA suites: 32 raw bytes, SEC1
/// `ECPrivateKey` DER or PKCS#8 `PrivateKeyInfo` DER (PEM must be decoded
/// by the caller). Copied in and zeroized at deinit. Only before the
/// handshake. NANODTLS_E_DECODE for an unparseable key,
/// NANODTLS_E_INVALID_ARG for an invalid scalar.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_own_key(
    ctx: *mut nanodtls_ctx,
    key: *const u8,
    key_len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let k = match unsafe { in_slice(key, key_len) } {
        Ok(k) => k,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |conn, _| status(conn.set_own_key(k))) }
}

/// Use a P-256 key whose private key never enters the library (a secure
/// element such as the ATECC608, a PSA opaque key, a CryptoCell KMU slot,
/// an HSM): `spki` is its public key as SubjectPublicKeyInfo DER
/// (NANODTLS_SPKI_LEN bytes, `openssl pkey -pubout -outform DER`), copied
/// in; `sign` makes every ECDSA signature of our key (ServerKeyExchange as
/// a server, CertificateVerify as a client), in `format`
/// (NANODTLS_SIG_DER or NANODTLS_SIG_RAW), called with `user`; see
/// nanodtls_sign_fn for what it must do and how a failure ends the
/// handshake (internal_error, NANODTLS_E_SIGNER). The key (and
/// whatever `user` points to) stays the application's: the library keeps
/// only the public key and the two pointers, which must stay valid until
/// deinit or until another key is set. Replaces a key set with
/// nanodtls_set_own_key (its scalar is wiped); nanodtls_set_own_key
/// replaces this one. A certificate (nanodtls_set_own_certificate) for
/// this key may follow. Only before the handshake.
/// NANODTLS_E_NULL for a NULL `sign`; NANODTLS_E_INVALID_ARG for an SPKI
/// that is not a P-256 point on the curve or an unknown format;
/// NANODTLS_E_UNSUPPORTED without the `ecc` feature.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_own_key_signer(
    ctx: *mut nanodtls_ctx,
    spki: *const u8,
    spki_len: usize,
    sign: nanodtls_sign_fn,
    user: *mut c_void,
    format: u8,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let k = match unsafe { signer_args(spki, spki_len, sign, format) } {
        Ok(k) => k,
        Err(st) => return st,
    };
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |conn, cb| {
            #[cfg(feature = "ecc")]
            {
                cb.keep_signer(status(conn.set_own_public_key(k)), sign, user, format)
            }
            #[cfg(not(feature = "ecc"))]
            {
                let _ = (conn, cb, k, user);
                NANODTLS_E_UNSUPPORTED
            }
        })
    }
}

/// The argument checks nanodtls_set_own_key_signer and
/// nanodtls_endpoint_set_own_key_signer share: the SPKI as a slice, or the
/// status to return (E_NULL for a NULL `sign`, E_INVALID_ARG for an unknown
/// format).
///
/// # Safety
/// As [`in_slice`] for `spki`/`spki_len`.
pub(super) unsafe fn signer_args<'a>(
    spki: *const u8,
    spki_len: usize,
    sign: nanodtls_sign_fn,
    format: u8,
) -> Result<&'a [u8], nanodtls_status> {
    // SAFETY: forwarded from the caller's contract.
    let k = unsafe { in_slice(spki, spki_len) }.map_err(|e| e.code())?;
    if sign.is_none() {
        return Err(NANODTLS_E_NULL);
    }
    if format != NANODTLS_SIG_DER && format != NANODTLS_SIG_RAW {
        return Err(NANODTLS_E_INVALID_ARG);
    }
    Ok(k)
}

/// Copy our SubjectPublicKeyInfo (DER, NANODTLS_SPKI_LEN bytes) - what the
/// peer must trust. NANODTLS_E_STATE if no key is set.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_get_own_spki(
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
    // SAFETY: see with_ctx; out_len non-NULL and writable.
    unsafe {
        with_ctx(ctx, |conn, _| {
            if !cfg!(feature = "ecc") {
                return NANODTLS_E_UNSUPPORTED;
            }
            let Some(spki) = conn.own_spki() else { return NANODTLS_E_STATE };
            copy_out(&spki, o, out_len)
        })
    }
}

/// Our X.509 certificate (DER), presented to peers that do not support
/// raw public keys (RFC 7250), e.g. OpenSSL or Mbed TLS; optionally
/// followed by its intermediate CA certificates (DER back to back, leaf
/// first, as read from a PEM chain file): each is sent as one entry of
/// the Certificate message, fragmented to the MTU. The leaf's public key
/// must be the one set with nanodtls_set_own_key (call that first;
/// NANODTLS_E_INVALID_ARG otherwise, or if what follows the leaf is not
/// DER). The certificates are BORROWED, not copied: they must stay valid
/// and unchanged (e.g. in flash) for the life of the context. (NULL, 0)
/// removes them. Peers' X.509 certificates are accepted by pinning their
/// key (nanodtls_add_trusted_key with the certificate's
/// SubjectPublicKeyInfo), or, once a trust anchor is added
/// (nanodtls_add_ca), by validating their chain.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_own_certificate(
    ctx: *mut nanodtls_ctx,
    der: *const u8,
    len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller, valid for the call; the
    // registration itself relies on the documented borrowing contract.
    let c = match unsafe { in_slice(der, len) } {
        Ok(c) => c,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |conn, cb| {
            let usable = c.is_empty() || (conn.certificate_matches_own_key(c) && chain_is_der(c));
            if !usable {
                return if cfg!(feature = "ecc") { NANODTLS_E_INVALID_ARG } else { NANODTLS_E_UNSUPPORTED };
            }
            cb.own_cert = if c.is_empty() { core::ptr::null() } else { der };
            cb.own_cert_len = c.len();
            NANODTLS_OK
        })
    }
}

/// True if `c` is DER elements back to back (a certificate chain).
pub(crate) fn chain_is_der(c: &[u8]) -> bool {
    #[cfg(feature = "ecc")]
    return crate::handshake::msg::certificate::chain_entries(c).all(|e| e.is_ok());
    #[cfg(not(feature = "ecc"))]
    {
        let _ = c;
        false
    }
}

/// Trust a peer raw public key given as its SubjectPublicKeyInfo DER (as
/// `openssl pkey -pubout -outform DER` writes it), or pin the key of an
/// X.509 certificate given as DER (the certificate itself is not
/// validated). Only the key's SHA-256 is stored, so the buffer may be
/// freed afterwards. At most
/// NANODTLS_MAX_TRUSTED_KEYS keys (NANODTLS_E_NO_SLOT beyond).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_add_trusted_key(
    ctx: *mut nanodtls_ctx,
    spki: *const u8,
    spki_len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let k = match unsafe { in_slice(spki, spki_len) } {
        Ok(k) => k,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |conn, _| status(conn.add_trusted_key(k))) }
}

/// Trust a peer raw public key given as the SHA-256 of its
/// SubjectPublicKeyInfo (`hash_len` must be 32).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_add_trusted_key_hash(
    ctx: *mut nanodtls_ctx,
    hash: *const u8,
    hash_len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let h = match unsafe { in_slice(hash, hash_len) } {
        Ok(h) => h,
        Err(e) => return e.code(),
    };
    let Ok(h) = <[u8; 32]>::try_from(h) else { return NANODTLS_E_INVALID_ARG };
    // SAFETY: see with_ctx.
    unsafe { with_ctx(ctx, |conn, _| status(conn.add_trusted_key_hash(&h))) }
}

/// Register a verifier for peer raw public keys that are not in the
/// trusted-key list (NULL removes it). A key is accepted if it is in the
/// list or the verifier returns 0.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_verify_callback(
    ctx: *mut nanodtls_ctx,
    verify: nanodtls_verify_key_fn,
    user: *mut c_void,
) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |_, cb| {
            cb.verify_key = verify;
            cb.verify_user = user;
            NANODTLS_OK
        })
    }
}

/// Copy the SHA-256 of the peer's SubjectPublicKeyInfo (32 bytes) once
/// its key was accepted; NANODTLS_E_STATE before (or with PSK).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_get_peer_key_hash(
    ctx: *mut nanodtls_ctx,
    out: *mut u8,
    out_cap: usize,
) -> nanodtls_status {
    // SAFETY: pointer/capacity pair from the caller.
    let o = match unsafe { out_slice(out, out_cap) } {
        Ok(o) => o,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |conn, _| match conn.peer_key_hash() {
            Some(h) => match o.get_mut(..32) {
                Some(dst) => {
                    dst.copy_from_slice(&h);
                    NANODTLS_OK
                }
                None => NANODTLS_E_BUFFER_TOO_SMALL,
            },
            None if cfg!(feature = "ecc") => NANODTLS_E_STATE,
            None => NANODTLS_E_UNSUPPORTED,
        })
    }
}
