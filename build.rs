//! Build script: the single source of truth for the size knobs.
//!
//! Every buffer size that shapes the context lives in the table below. The
//! script writes them as Rust constants (`$OUT_DIR/sizes.rs`, included by
//! `src/sizes.rs`) and as `#define`s in the generated C header, so the Rust
//! structs and `sizeof(nanodtls_ctx)` in C can never disagree.
//!
//! A knob can be overridden at build time with an environment variable of
//! the same name, e.g. `NANODTLS_MAX_HANDSHAKE_MSG=600 cargo build`. The header is then
//! regenerated; point `NANODTLS_HEADER_OUT` at a file to receive a copy (the
//! CMake glue does this so firmware builds always include a matching header).
//! The committed `include/nanodtls.h` is the one for the default knobs and
//! default features; a unit test fails when it is stale. Regenerate it with
//! `scripts/gen-header.sh`.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

struct Knob {
    name: &'static str,
    default: usize,
    /// Default when the `small` feature is on (RFC 6066 max_fragment_length 512 profile).
    small: usize,
    min: usize,
    max: usize,
    doc: &'static str,
}

const KNOBS: &[Knob] = &[
    Knob {
        name: "NANODTLS_MTU",
        default: 1280,
        small: 560,
        min: 128,
        max: 16_384,
        doc: "Default MTU (nanodtls_config.mtu): the largest datagram we send. No datagram is stored: the buffers you feed and poll with are the only ones; size them for your MTU and the peer's.",
    },
    Knob {
        name: "NANODTLS_MAX_HANDSHAKE_MSG",
        default: 1024,
        small: 256,
        min: 256,
        max: 16_384,
        doc: "Largest handshake message (body plus 12-byte header) that can be reassembled from the peer's fragments (2048 by default with the x509 feature, 1536 with x509 and small: a peer's X.509 chain must fit). An unfragmented message is read where it lies in the datagram and may be larger (up to the record limit); an endpoint still refuses a ClientHello over this size before it takes a slot.",
    },
    Knob {
        name: "NANODTLS_MAX_PSK_IDENTITY",
        default: 128,
        small: 64,
        min: 16,
        max: 1024,
        doc: "Longest PSK identity that can be configured or received.",
    },
    Knob {
        name: "NANODTLS_MAX_PSK_KEY",
        default: 64,
        small: 32,
        min: 16,
        max: 256,
        doc: "Longest pre-shared key in bytes.",
    },
    Knob {
        name: "NANODTLS_MAX_COOKIE",
        default: 64,
        small: 32,
        min: 16,
        max: 255,
        doc: "Longest HelloVerifyRequest cookie a client stores and echoes.",
    },
    Knob {
        name: "NANODTLS_MAX_SERVER_NAME",
        default: 64,
        small: 32,
        min: 8,
        max: 255,
        doc: "Longest server_name (SNI, RFC 6066) a client sends or a server keeps.",
    },
    Knob {
        name: "NANODTLS_MAX_TRUSTED_KEYS",
        default: 4,
        small: 2,
        min: 1,
        max: 64,
        doc: "Raw public keys (SHA-256 of their SubjectPublicKeyInfo) a context can trust.",
    },
    Knob {
        name: "NANODTLS_MAX_HEARTBEAT_PAYLOAD",
        default: 493,
        small: 32,
        min: 16,
        max: 16_384,
        doc: "Largest payload of a peer's heartbeat request that is answered (kept in the context until the response is polled; larger requests are dropped and counted as oversize). The default answers any request that fits a 512-byte record (max_fragment_length 512; GnuTLS pings with 284 bytes); RFC 6520 asks every request to be answered, so lower it only for peers that ping small.",
    },
    Knob {
        name: "NANODTLS_MAX_TRUST_ANCHORS",
        default: 4,
        small: 2,
        min: 1,
        max: 32,
        doc: "Trust anchors (id, key, sliding window of used sequence numbers) a server can hold for the DerivedKey and AuthzCert modes (features derived-key, authz-cert).",
    },
    Knob {
        name: "NANODTLS_MAX_TA_ID",
        default: 32,
        small: 16,
        min: 1,
        max: 255,
        doc: "Longest trust anchor id in bytes.",
    },
    Knob {
        name: "NANODTLS_TA_WINDOW",
        default: 64,
        small: 32,
        min: 32,
        max: 1024,
        doc: "Sequence numbers per trust anchor window (a multiple of 32; RFC 6347 4.1.2.6 style): a seq more than this far below the highest one used is refused.",
    },
    Knob {
        name: "NANODTLS_MAX_CID",
        default: 8,
        small: 4,
        min: 1,
        max: 255,
        doc: "Longest connection ID (RFC 9146, feature cid) in either direction: the one we ask for (nanodtls_config.cid_len) and the one the peer asks for (a client refuses a longer one with an alert, a server does not negotiate CID then).",
    },
    Knob {
        name: "NANODTLS_MAX_X509_ANCHORS",
        default: 4,
        small: 2,
        min: 1,
        max: 32,
        doc: "X.509 trust anchors (DER certificates or P-256 SubjectPublicKeyInfos, borrowed: only a pointer and a length are kept) a context or endpoint can hold for path validation (feature x509, RFC 7925 4.4).",
    },
    Knob {
        name: "NANODTLS_MAX_CERT_CHAIN",
        default: 3,
        small: 3,
        min: 3,
        max: 16,
        doc: "Most certificates below the trust anchor (leaf included) a peer's X.509 chain may have (feature x509; RFC 7925 4.4.4 wants at least 3 accepted). A longer chain is refused with unknown_ca. The chain's Certificate message must fit NANODTLS_MAX_HANDSHAKE_MSG (about 450 bytes a P-256 certificate): raise both together.",
    },
    Knob {
        name: "NANODTLS_MAX_PEER_ADDR",
        default: 32,
        small: 32,
        min: 4,
        max: 128,
        doc: "Longest opaque peer address (e.g. a struct sockaddr_in6) a server endpoint stores per peer.",
    },
    Knob {
        name: "NANODTLS_MAX_TICKET",
        default: 512,
        small: 256,
        min: 64,
        max: 16_384,
        doc: "Largest RFC 5077 session ticket a client keeps (feature tickets; GnuTLS issues about 390 bytes, OpenSSL about 180 (about 600 for a session with our X.509 client certificate, which its ticket holds), Mbed TLS about 150; a larger one is not kept and the next handshake is a full one). A server seals its tickets in the same buffer (about 110 bytes plus the peer identity): below that it issues none.",
    },
];

/// Bytes of one peer's engine state that are not one of the buffers above
/// (keys, sequence numbers, window, transcript hash, timers, statistics
/// ...). A compile-time assertion in src/ffi checks that the Rust struct
/// fits in the size the header announces, and a unit test checks that the
/// slack stays small, so this number cannot silently go stale.
const ENGINE_STATE_BYTES: usize = 936;
/// Connection ID state apart from the two CID buffers (feature `cid`):
/// lengths, flags, the counter of address-moving records, alignment.
const CID_FIXED_BYTES: usize = 16;
/// The debug log's sink pointer (feature `log`).
const LOG_BYTES: usize = 8;
/// The NSS key log's sink pointer (feature `keylog`), in an engine and in
/// an endpoint.
const KEYLOG_BYTES: usize = 8;
/// The AES/CCM engine pointer of a connection, and of an endpoint
/// (feature `aes-hook`).
const AES_HOOK_BYTES: usize = 8;
/// Extra per-handshake state with the `ecc` feature (the peer's key, the
/// ephemeral keys).
const ECC_HANDSHAKE_BYTES: usize = 272;
/// Credentials apart from the PSK buffers: the hint, lengths, and with
/// `ecc` our key pair (the trusted-key table comes on top).
const CREDS_BYTES: usize = 40;
const ECC_CREDS_BYTES: usize = 104;
/// The trust anchor table (features `derived-key`, `authz-cert`): per
/// anchor its key, window state, generation and flags on top of the id and
/// the window bitmap; for the table its statistics and configuration.
const TA_FIXED_BYTES: usize = 48;
const TA_TABLE_BYTES: usize = 48;
/// Certificate mode (feature `x509`): what the peer's chain proved or why
/// it was refused, kept by the connection.
const X509_PEER_BYTES: usize = 16;
/// cached_info (feature `cached-info`, RFC 7924): the hashes offered or
/// matched (Certificate, CertificateRequest) and their flags, in the
/// handshake state (the 32 bytes of the second hash and its two flags; 56
/// covers the padding of builds with x509 and cached-info but none of the
/// other handshake features, which 48 fell 8 bytes short of).
const CACHED_INFO_HANDSHAKE_BYTES: usize = 56;
/// cached_info in the C callbacks: the kept Certificate and
/// CertificateRequest (pointer, length), their hooks (function, user) and
/// the server switch.
const CACHED_INFO_CALLBACK_BYTES: usize = 72;
/// Client certificate URLs (feature `cert-url`, RFC 6066 5): the offer
/// and echo flags, the pause flag, the count, and per certificate of
/// NANODTLS_MAX_CERT_CHAIN the SHA-1 it is checked against (20 bytes).
const CERT_URL_HANDSHAKE_FIXED_BYTES: usize = 8;
/// Client certificate URLs in the C callbacks: our URL arrays (two
/// pointers, a count) and the server's hook (function, user).
const CERT_URL_CALLBACK_BYTES: usize = 40;
/// Per-handshake state of a trust anchor mode (which anchor, seq, generation).
const TTP_HANDSHAKE_BYTES: usize = 12;
/// AuthzCert client credentials: the pinned server key (a P-256 point and a flag).
const AUTHZ_CLIENT_BYTES: usize = 66;
/// AuthzCert: the borrowed MacCert (pointer and length) in the C callbacks.
const AUTHZ_CALLBACK_BYTES: usize = 16;
/// Bytes of the C context wrapper around a connection (magic, guard,
/// platform callbacks, the clock guard).
const CTX_WRAPPER_BYTES: usize = 136;
/// The signer of a key kept outside the library (feature `ecc`): its
/// function and user pointers and its format, in a context's or an
/// endpoint's callbacks.
const SIGNER_BYTES: usize = 24;
/// Bytes of the per-peer slot wrapper of a server endpoint (address,
/// bookkeeping), not counting the address buffer itself.
const PEER_WRAPPER_BYTES: usize = 32;
/// Bytes of the endpoint object itself apart from the PSK and address
/// buffers (cookie secrets, configuration, callbacks, counters, the
/// queues of stateless replies and released peers).
const ENDPOINT_BASE_BYTES: usize = 704;

fn round8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let small = env::var_os("CARGO_FEATURE_SMALL").is_some();
    let x509 = env::var_os("CARGO_FEATURE_X509").is_some();

    let mut values = Vec::new();
    for k in KNOBS {
        println!("cargo:rerun-if-env-changed={}", k.name);
        let v = match env::var(k.name) {
            Ok(s) => {
                let v: usize =
                    s.trim().parse().unwrap_or_else(|_| panic!("{} must be a decimal number, got {s:?}", k.name));
                assert!((k.min..=k.max).contains(&v), "{} = {v} is outside {}..={}", k.name, k.min, k.max);
                v
            }
            Err(_) => {
                let d = if small { k.small } else { k.default };
                // Certificate mode: a peer's chain (3 certificates below
                // the anchor are about 1,300 bytes, 4 about 1,750) must fit
                // the reassembly buffer.
                if k.name == "NANODTLS_MAX_HANDSHAKE_MSG" && x509 {
                    d.max(if small { 1536 } else { 2048 })
                } else {
                    d
                }
            }
        };
        values.push((k, v));
    }
    let get = |name: &str| values.iter().find(|(k, _)| k.name == name).map(|(_, v)| *v).unwrap();

    let hs = get("NANODTLS_MAX_HANDSHAKE_MSG");
    let buffers = round8(hs)
        + round8(hs.div_ceil(8))
        + round8(get("NANODTLS_MAX_HEARTBEAT_PAYLOAD") + 16)
        + round8(get("NANODTLS_MAX_COOKIE"))
        + round8(get("NANODTLS_MAX_SERVER_NAME"))
        // A server's handshake keeps the client's PSK identity.
        + round8(get("NANODTLS_MAX_PSK_IDENTITY"))
        // The session keeps the peer identity (a PSK identity, a key hash,
        // or a key hash with the validated X.509 identity: 42 bytes).
        + round8(get("NANODTLS_MAX_PSK_IDENTITY").max(42));
    let ecc = env::var_os("CARGO_FEATURE_ECC").is_some();
    let derived_key = env::var_os("CARGO_FEATURE_DERIVED_KEY").is_some();
    let authz_cert = env::var_os("CARGO_FEATURE_AUTHZ_CERT").is_some();
    let ttp = derived_key || authz_cert;
    let window = get("NANODTLS_TA_WINDOW");
    assert!(window % 32 == 0, "NANODTLS_TA_WINDOW = {window} must be a multiple of 32");
    let ta_id = get("NANODTLS_MAX_TA_ID");
    let ta_bytes = (TA_FIXED_BYTES + window / 8 + ta_id).div_ceil(4) * 4;
    let ta_state_max = 17 + ta_id + window / 8;
    // One peer: an endpoint slot has an engine only; a context, an engine and credentials.
    let log = env::var_os("CARGO_FEATURE_LOG").is_some();
    let keylog = env::var_os("CARGO_FEATURE_KEYLOG").is_some();
    let tickets = env::var_os("CARGO_FEATURE_TICKETS").is_some();
    let ticket = get("NANODTLS_MAX_TICKET");
    let cid = env::var_os("CARGO_FEATURE_CID").is_some();
    let aes_hook = env::var_os("CARGO_FEATURE_AES_HOOK").is_some();
    let cached_info = env::var_os("CARGO_FEATURE_CACHED_INFO").is_some();
    let cert_url = env::var_os("CARGO_FEATURE_CERT_URL").is_some();
    let engine = round8(
        buffers
            + if tickets { round8(ticket) + 16 } else { 0 }
            + ENGINE_STATE_BYTES
            + if ecc { ECC_HANDSHAKE_BYTES } else { 0 }
            + if log { LOG_BYTES } else { 0 }
            + if keylog { KEYLOG_BYTES } else { 0 }
            + if aes_hook { AES_HOOK_BYTES } else { 0 }
            + if ttp { TTP_HANDSHAKE_BYTES } else { 0 }
            + if cid { round8(2 * get("NANODTLS_MAX_CID") + CID_FIXED_BYTES) } else { 0 }
            + if x509 { X509_PEER_BYTES } else { 0 }
            + if cached_info { CACHED_INFO_HANDSHAKE_BYTES } else { 0 }
            + if cert_url { round8(CERT_URL_HANDSHAKE_FIXED_BYTES + 20 * get("NANODTLS_MAX_CERT_CHAIN")) } else { 0 },
    );
    let creds = round8(
        get("NANODTLS_MAX_PSK_IDENTITY")
            + get("NANODTLS_MAX_PSK_KEY")
            + CREDS_BYTES
            + if ecc { ECC_CREDS_BYTES + 32 * get("NANODTLS_MAX_TRUSTED_KEYS") } else { 0 }
            + if ttp { TA_TABLE_BYTES + ta_bytes * get("NANODTLS_MAX_TRUST_ANCHORS") } else { 0 }
            + if authz_cert { AUTHZ_CLIENT_BYTES } else { 0 }
            + if x509 { get("NANODTLS_MAX_SERVER_NAME") + 2 } else { 0 },
    );
    let conn = engine + creds;
    // The ticket keys pointer of the C callbacks (feature tickets).
    // Certificate mode's callbacks (feature x509): the borrowed anchors
    // (pointer, length, kind), their count, the wall clock and the hook.
    let x509_cb = if x509 { 24 * get("NANODTLS_MAX_X509_ANCHORS") + 40 } else { 0 };
    let authz_cb = if authz_cert { AUTHZ_CALLBACK_BYTES } else { 0 };
    // cached_info's callbacks: the kept Certificate, its hook, the switch.
    let cached_cb =
        if cached_info { CACHED_INFO_CALLBACK_BYTES } else { 0 } + if cert_url { CERT_URL_CALLBACK_BYTES } else { 0 };
    let ctx = conn
        + CTX_WRAPPER_BYTES
        + if tickets { 8 } else { 0 }
        + x509_cb
        + authz_cb
        + cached_cb
        + if ecc { SIGNER_BYTES } else { 0 };
    let peer = round8(engine + PEER_WRAPPER_BYTES + get("NANODTLS_MAX_PEER_ADDR"));
    let peer_id = get("NANODTLS_MAX_PSK_IDENTITY").max(42);
    // With tickets (blob version 2): the lifetime hint and the ticket.
    let session_blob = 4 + 1 + 2 + 1 + 1 + 1 + 32 + 48 + 2 + peer_id + 16 + if tickets { 4 + 2 + ticket } else { 0 };
    let session_entry = round8(88 + peer_id) + 8;
    // Addresses: 4 queued stateless replies, 4 released peers, one more.
    let endpoint = round8(
        ENDPOINT_BASE_BYTES
            + if aes_hook { AES_HOOK_BYTES } else { 0 }
            + if keylog { KEYLOG_BYTES } else { 0 }
            + if ecc { SIGNER_BYTES } else { 0 }
            + creds
            + authz_cb
            + 9 * get("NANODTLS_MAX_PEER_ADDR")
            + x509_cb
            + cached_cb,
    );

    // Rust side.
    let mut rs = String::from("// Generated by build.rs from its knob table. Do not edit.\n");
    for (k, v) in &values {
        writeln!(rs, "#[doc = {:?}]\npub const {}: usize = {};", k.doc, k.name, v).unwrap();
    }
    writeln!(rs, "/// Bytes of one peer's engine (all buffers included).\npub const ENGINE_BYTES: usize = {engine};")
        .unwrap();
    writeln!(rs, "/// Bytes of the credentials.\npub const CREDS_BYTES: usize = {creds};").unwrap();
    writeln!(rs, "/// Bytes of one connection (engine and credentials).\npub const CONN_BYTES: usize = {conn};")
        .unwrap();
    writeln!(rs, "/// Size of `nanodtls_ctx` in bytes.\npub const NANODTLS_CTX_SIZE: usize = {ctx};").unwrap();
    writeln!(rs, "/// Size of `nanodtls_ctx` in 64-bit words.\npub const NANODTLS_CTX_WORDS: usize = {};", ctx / 8)
        .unwrap();
    writeln!(rs, "/// Size of `nanodtls_peer` in bytes.\npub const NANODTLS_PEER_SIZE: usize = {peer};").unwrap();
    writeln!(rs, "/// Size of `nanodtls_peer` in 64-bit words.\npub const NANODTLS_PEER_WORDS: usize = {};", peer / 8)
        .unwrap();
    writeln!(rs, "/// Size of `nanodtls_endpoint` in bytes.\npub const NANODTLS_ENDPOINT_SIZE: usize = {endpoint};")
        .unwrap();
    writeln!(
        rs,
        "/// Size of `nanodtls_endpoint` in 64-bit words.\npub const NANODTLS_ENDPOINT_WORDS: usize = {};",
        endpoint / 8
    )
    .unwrap();
    writeln!(rs, "/// Largest exported session blob.\npub const NANODTLS_SESSION_BLOB_MAX: usize = {session_blob};")
        .unwrap();
    writeln!(rs, "/// Largest trust anchor window state nanodtls_ta_export writes.\npub const NANODTLS_TA_STATE_MAX: usize = {ta_state_max};")
        .unwrap();
    writeln!(rs, "/// Size of one `nanodtls_session_entry` in bytes.\npub const NANODTLS_SESSION_ENTRY_SIZE: usize = {session_entry};").unwrap();
    writeln!(rs, "/// Size of one `nanodtls_session_entry` in 64-bit words.\npub const NANODTLS_SESSION_ENTRY_WORDS: usize = {};", session_entry / 8).unwrap();
    fs::write(out.join("sizes.rs"), rs).expect("write sizes.rs");

    // C side: the knobs as #defines, placed before the types that use them.
    let mut defs =
        String::from("\n/* Size knobs: generated by build.rs from its knob table (one source of truth). */\n");
    for (k, v) in &values {
        writeln!(defs, "/** {} */\n#define {} {}", k.doc, k.name, v).unwrap();
    }
    writeln!(defs, "/** Size of nanodtls_ctx in bytes (checked at init against the library's own value). */\n#define NANODTLS_CTX_SIZE {ctx}").unwrap();
    writeln!(defs, "/** Size of nanodtls_ctx in 64-bit words. */\n#define NANODTLS_CTX_WORDS {}", ctx / 8).unwrap();
    writeln!(defs, "/** Size of one nanodtls_peer slot in bytes. */\n#define NANODTLS_PEER_SIZE {peer}").unwrap();
    writeln!(defs, "/** Size of one nanodtls_peer slot in 64-bit words. */\n#define NANODTLS_PEER_WORDS {}", peer / 8)
        .unwrap();
    writeln!(defs, "/** Largest blob nanodtls_session_export writes (it contains the master secret). */\n#define NANODTLS_SESSION_BLOB_MAX {session_blob}").unwrap();
    writeln!(defs, "/** Largest trust anchor window state nanodtls_ta_export writes (see docs/ttp.md). */\n#define NANODTLS_TA_STATE_MAX {ta_state_max}").unwrap();
    writeln!(defs, "/** Size of one nanodtls_session_entry (server session cache) in bytes. */\n#define NANODTLS_SESSION_ENTRY_SIZE {session_entry}").unwrap();
    writeln!(
        defs,
        "/** Size of one nanodtls_session_entry in 64-bit words. */\n#define NANODTLS_SESSION_ENTRY_WORDS {}",
        session_entry / 8
    )
    .unwrap();
    writeln!(defs, "/** Size of nanodtls_endpoint in bytes. */\n#define NANODTLS_ENDPOINT_SIZE {endpoint}").unwrap();
    writeln!(
        defs,
        "/** Size of nanodtls_endpoint in 64-bit words. */\n#define NANODTLS_ENDPOINT_WORDS {}",
        endpoint / 8
    )
    .unwrap();

    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-env-changed=NANODTLS_HEADER_OUT");
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut after = config.after_includes.take().unwrap_or_default();
    after.push_str(&defs);
    config.after_includes = Some(after);
    let header = out.join("nanodtls.h");
    // Only the C ABI module is exported: cbindgen parses src/ffi/mod.rs and
    // follows its submodules, nothing else of the crate.
    let builder = cbindgen::Builder::new().with_config(config).with_src(crate_dir.join("src/ffi/mod.rs"));
    builder.generate().expect("cbindgen failed to generate the header").write_to_file(&header);
    if let Some(dest) = env::var_os("NANODTLS_HEADER_OUT") {
        let dest = PathBuf::from(dest);
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir).expect("create header dir");
        }
        fs::copy(&header, &dest).expect("copy header to NANODTLS_HEADER_OUT");
    }
    // Tests compare the committed header against this one only when the
    // knobs and features are the defaults.
    let default_build = !small
        && ecc
        && env::var_os("CARGO_FEATURE_PSK").is_some()
        && derived_key
        && authz_cert
        && cid
        && KNOBS.iter().all(|k| env::var_os(k.name).is_none());
    // Roles: `client` alone or `server` alone builds one role; neither or
    // both builds both.
    let want_client = env::var_os("CARGO_FEATURE_CLIENT").is_some();
    let want_server = env::var_os("CARGO_FEATURE_SERVER").is_some();
    println!("cargo:rustc-check-cfg=cfg(nanodtls_client)");
    println!("cargo:rustc-check-cfg=cfg(nanodtls_server)");
    if want_client || !want_server {
        println!("cargo:rustc-cfg=nanodtls_client");
    }
    if want_server || !want_client {
        println!("cargo:rustc-cfg=nanodtls_server");
    }
    // Either trust anchor mode: the shared table and windows (src/auth/ta.rs).
    println!("cargo:rustc-check-cfg=cfg(nanodtls_ttp)");
    if ttp {
        println!("cargo:rustc-cfg=nanodtls_ttp");
    }
    println!("cargo:rustc-check-cfg=cfg(nanodtls_default_knobs)");
    if default_build {
        println!("cargo:rustc-cfg=nanodtls_default_knobs");
    }
}
