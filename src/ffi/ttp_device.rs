//! C API of the trusted-third-party modes on the device side (docs/ttp.md):
//! the trust anchor's own operations (derive a DerivedKey client's key,
//! issue an AuthzCert MacCert; no context needed, for tools such as
//! nanodtls-ta) and the AuthzCert client's MacCert, pinned server key and
//! certificate type codepoint. The server's trust anchor table is in
//! `ttp.rs`. Every function exists in every build; without the cargo
//! features `derived-key` / `authz-cert` it returns NANODTLS_E_UNSUPPORTED.

use super::ctx::{nanodtls_ctx, with_ctx};
use super::endpoint::{nanodtls_endpoint, with_ep};
use super::*;
/// Trust anchor side of DerivedKey (no context needed): build the nonce
/// `"DK." ta_id "." client_id "." seq` into `nonce_out` (`*nonce_len` gets
/// its length) and derive the client's PSK, `key_len` (16 or 32) bytes of
/// HMAC-SHA256(K, HMAC-SHA256(K, nonce) || nonce), into `key_out`. The
/// client then uses the nonce as its PSK identity and the key as its PSK.
/// `ta_id`: 1 to 255 bytes without '.'; `client_id`: any bytes (may be
/// empty, may contain '.'); `ta_key`: NANODTLS_TA_KEY_MIN to
/// NANODTLS_TA_KEY_MAX bytes. The caller owns the outputs: wipe the key
/// when done. A trust anchor must never issue a seq twice.
/// NANODTLS_E_INVALID_ARG, NANODTLS_E_BUFFER_TOO_SMALL (nothing written).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_ttp_derive(
    ta_id: *const u8,
    ta_id_len: usize,
    ta_key: *const u8,
    ta_key_len: usize,
    client_id: *const u8,
    client_id_len: usize,
    seq: u32,
    key_len: usize,
    nonce_out: *mut u8,
    nonce_cap: usize,
    nonce_len: *mut usize,
    key_out: *mut u8,
    key_cap: usize,
) -> nanodtls_status {
    if nonce_len.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/length pairs from the caller; the two outputs are
    // distinct buffers (API contract).
    let (id, k, cid, no, ko) = match unsafe {
        (
            in_slice(ta_id, ta_id_len),
            in_slice(ta_key, ta_key_len),
            in_slice(client_id, client_id_len),
            out_slice(nonce_out, nonce_cap),
            out_slice(key_out, key_cap),
        )
    } {
        (Ok(a), Ok(b), Ok(c), Ok(d), Ok(e)) => (a, b, c, d, e),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), ..) | (.., Err(e), _) | (.., Err(e)) => return e.code(),
    };
    #[cfg(feature = "derived-key")]
    {
        use crate::auth::derived_key;
        if !(NANODTLS_TA_KEY_MIN..=NANODTLS_TA_KEY_MAX).contains(&k.len())
            || !(key_len == 16 || key_len == 32)
            || id.len() > 255
        {
            return NANODTLS_E_INVALID_ARG;
        }
        if ko.len() < key_len {
            return NANODTLS_E_BUFFER_TOO_SMALL;
        }
        let n = match derived_key::write_nonce(id, cid, seq, no) {
            Ok(n) => n,
            Err(e) => return e.code(),
        };
        let key = derived_key::derive(k, no.get(..n).unwrap_or(&[]));
        match (ko.get_mut(..key_len), key.get(..key_len)) {
            (Some(dst), Some(src)) => dst.copy_from_slice(src),
            _ => return NANODTLS_E_INTERNAL,
        }
        // SAFETY: nonce_len is non-NULL and writable (caller contract).
        unsafe { nonce_len.write(n) };
        NANODTLS_OK
    }
    #[cfg(not(feature = "derived-key"))]
    {
        let _ = (id, k, cid, seq, key_len, no, ko);
        NANODTLS_E_UNSUPPORTED
    }
}

/// Trust anchor side of AuthzCert (no context needed): write the MacCert
/// (docs/ttp.md: spki<1..2^24-1>, trust_anchor_id<1..2^8-1>, uint32 seq,
/// mac_algorithm 3, mac_length 32, HMAC-SHA256 over the encoding with
/// mac_length 0) for the client key `spki` (a P-256 SubjectPublicKeyInfo
/// DER, or an X.509 certificate DER whose key is taken) into `out` (at
/// most NANODTLS_AUTHZ_CERT_MAX bytes; `*out_len` gets the length).
/// `ta_id`: 1 to 255 bytes; `ta_key`: NANODTLS_TA_KEY_MIN to
/// NANODTLS_TA_KEY_MAX bytes (read only; not kept). NANODTLS_E_INVALID_ARG
/// (e.g. a key that is not a valid P-256 point), NANODTLS_E_BUFFER_TOO_SMALL.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_authz_cert_encode(
    ta_id: *const u8,
    ta_id_len: usize,
    ta_key: *const u8,
    ta_key_len: usize,
    seq: u32,
    spki: *const u8,
    spki_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> nanodtls_status {
    if out_len.is_null() {
        return NANODTLS_E_NULL;
    }
    // SAFETY: pointer/length pairs from the caller.
    let (id, k, s, o) = match unsafe {
        (in_slice(ta_id, ta_id_len), in_slice(ta_key, ta_key_len), in_slice(spki, spki_len), out_slice(out, out_cap))
    } {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
        (Err(e), ..) | (_, Err(e), ..) | (.., Err(e), _) | (.., Err(e)) => return e.code(),
    };
    #[cfg(feature = "authz-cert")]
    {
        if !(NANODTLS_TA_KEY_MIN..=NANODTLS_TA_KEY_MAX).contains(&k.len()) {
            return NANODTLS_E_INVALID_ARG;
        }
        match crate::auth::authz_cert::encode(k, id, seq, s, o) {
            Ok(n) => {
                // SAFETY: out_len is non-NULL and writable (caller contract).
                unsafe { out_len.write(n) };
                NANODTLS_OK
            }
            Err(e) => e.code(),
        }
    }
    #[cfg(not(feature = "authz-cert"))]
    {
        let _ = (id, k, seq, s, o);
        NANODTLS_E_UNSUPPORTED
    }
}

/// Client, AuthzCert (docs/ttp.md): our MacCert from the trust anchor (the
/// binary encoding nanodtls_authz_cert_encode and `nanodtls-ta authz`
/// write), sent as our Certificate when the server chooses AuthzCert. The
/// MacCert is BORROWED, not copied: it must stay valid and unchanged (e.g.
/// in flash) while registered. Its key must be the one set with
/// nanodtls_set_own_key (call that first; the server checks
/// CertificateVerify with it). With it, our key and the pinned server key
/// (nanodtls_set_authz_server_key), the client offers AuthzCert, and only
/// AuthzCert, as its certificate type. (NULL, 0) removes it.
/// NANODTLS_E_INVALID_ARG if it is not one well-formed MacCert or not for
/// our key (or no key is set yet),
/// NANODTLS_E_STATE on a server context, NANODTLS_E_UNSUPPORTED without
/// the feature `authz-cert`.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_authz_cert(
    ctx: *mut nanodtls_ctx,
    cert: *const u8,
    len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller, valid for the call; the
    // registration itself relies on the documented borrowing contract.
    let c = match unsafe { in_slice(cert, len) } {
        Ok(c) => c,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |conn, cb| {
            #[cfg(feature = "authz-cert")]
            {
                if conn.role() != crate::Role::Client {
                    return NANODTLS_E_STATE;
                }
                if !c.is_empty() {
                    let Ok(m) = crate::auth::authz_cert::parse(c) else { return NANODTLS_E_INVALID_ARG };
                    if conn.own_spki().is_none_or(|own| own[..] != *m.spki) {
                        return NANODTLS_E_INVALID_ARG;
                    }
                }
                cb.authz_cert = if c.is_empty() { core::ptr::null() } else { cert };
                cb.authz_cert_len = c.len();
                NANODTLS_OK
            }
            #[cfg(not(feature = "authz-cert"))]
            {
                let _ = (conn, cb, c);
                NANODTLS_E_UNSUPPORTED
            }
        })
    }
}

/// Client, AuthzCert: pin the resource server's public key (a P-256
/// SubjectPublicKeyInfo DER, or an X.509 certificate DER whose key is
/// taken), which the trust anchor gave the client. In AuthzCert mode the
/// server sends an empty certificate_list and its ServerKeyExchange is
/// verified with this key. The key is COPIED (the buffer may be freed).
/// Call before nanodtls_connect. NANODTLS_E_INVALID_ARG if it is not a
/// valid P-256 key, NANODTLS_E_STATE on a server context or once the
/// handshake started, NANODTLS_E_UNSUPPORTED without `authz-cert`.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_authz_server_key(
    ctx: *mut nanodtls_ctx,
    key: *const u8,
    len: usize,
) -> nanodtls_status {
    // SAFETY: pointer/length pair from the caller.
    let k = match unsafe { in_slice(key, len) } {
        Ok(k) => k,
        Err(e) => return e.code(),
    };
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |conn, _| {
            #[cfg(feature = "authz-cert")]
            {
                if conn.role() != crate::Role::Client {
                    return NANODTLS_E_STATE;
                }
                status(conn.set_authz_server_key(k))
            }
            #[cfg(not(feature = "authz-cert"))]
            {
                let _ = (conn, k);
                NANODTLS_E_UNSUPPORTED
            }
        })
    }
}

/// The AuthzCert certificate type codepoint (both roles): 3 by default
/// (NANODTLS_AUTHZ_CERT_TYPE_DEFAULT, the seed's choice). IANA has since
/// assigned 3 to IEEE 1609.2 certificates (RFC 8902): where those may
/// appear, both sides choose another value, e.g. a private-use one
/// (224..=255). Client and server must agree; otherwise AuthzCert is not
/// negotiated. NANODTLS_E_INVALID_ARG for 0 (X.509) and 2 (RawPublicKey),
/// NANODTLS_E_STATE once the handshake started, NANODTLS_E_UNSUPPORTED
/// without `authz-cert`.
#[no_mangle]
pub unsafe extern "C" fn nanodtls_set_authz_cert_type(ctx: *mut nanodtls_ctx, cert_type: u8) -> nanodtls_status {
    // SAFETY: see with_ctx.
    unsafe {
        with_ctx(ctx, |conn, _| {
            #[cfg(feature = "authz-cert")]
            return status(conn.set_authz_cert_type(cert_type));
            #[cfg(not(feature = "authz-cert"))]
            {
                let _ = (conn, cert_type);
                NANODTLS_E_UNSUPPORTED
            }
        })
    }
}

/// Endpoint: the AuthzCert certificate type codepoint it accepts (see
/// nanodtls_set_authz_cert_type).
#[no_mangle]
pub unsafe extern "C" fn nanodtls_endpoint_set_authz_cert_type(
    ep: *mut nanodtls_endpoint,
    cert_type: u8,
) -> nanodtls_status {
    // SAFETY: see with_ep.
    unsafe {
        with_ep(ep, |e, _, _| {
            #[cfg(feature = "authz-cert")]
            return status(e.credentials_mut().ta.set_authz_cert_type(cert_type));
            #[cfg(not(feature = "authz-cert"))]
            {
                let _ = (e, cert_type);
                NANODTLS_E_UNSUPPORTED
            }
        })
    }
}
