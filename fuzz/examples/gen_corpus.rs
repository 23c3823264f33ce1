//! Seed corpora for every fuzz target, from real handshakes.
//!
//! - Our own client <-> server handshakes (the harness's deterministic
//!   worlds): PSK and ECDHE_ECDSA, with and without cookies, client keys,
//!   X.509, heartbeat, max_fragment_length, resumption, at several MTUs.
//! - Datagrams of real interop peers captured by tools/capture_interop.py
//!   into fuzz/interop/*.txt (OpenSSL, Mbed TLS, tinydtls).
//!
//! Each capture becomes inputs in the format of each target: raw
//! datagrams (record), handshake messages and their parts (handshake_msgs),
//! op scripts that feed the genuine datagrams to a client or server stopped
//! at the matching step (client, server), and op sequences (ops).
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example gen_corpus [--release] [-- OUT_DIR]
//!
//! OUT_DIR defaults to fuzz/corpus. Files are named `<tag>-<hash>`; the
//! generator only removes files whose name starts with `g-` or `i-` (its
//! own), so hand-made seeds may live beside them.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use nanodtls::codec::{Reader, Writer};
use nanodtls::crypto::aead::TagLen;
use nanodtls::handshake::{self, msg};
use nanodtls::record::{self, content, DirectionKeys};
use nanodtls_fuzz::*;

struct Out {
    dir: PathBuf,
    files: BTreeMap<String, Vec<(String, Vec<u8>)>>,
    seen: HashSet<(String, u64)>,
}

fn fnv(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

impl Out {
    fn add(&mut self, target: &str, tag: &str, data: Vec<u8>) {
        let h = fnv(&data);
        if data.is_empty() || !self.seen.insert((target.to_string(), h)) {
            return;
        }
        let name = format!("{tag}-{h:016x}");
        self.files.entry(target.to_string()).or_default().push((name, data));
    }

    fn write(&self) {
        for (target, files) in &self.files {
            let d = self.dir.join(target);
            fs::create_dir_all(&d).unwrap();
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                let n = p.file_name().unwrap().to_string_lossy().to_string();
                if n.starts_with("g-") || n.starts_with("i-") {
                    fs::remove_file(p).unwrap();
                }
            }
            let mut bytes = 0;
            for (name, data) in files {
                fs::write(d.join(name), data).unwrap();
                bytes += data.len();
            }
            println!("{target}: {} files, {bytes} bytes", files.len());
        }
    }
}

/// A lossless handshake of `setup` (after the first one, for resumption):
/// the datagrams delivered to the client and to the server, in order.
fn transcript(setup: Setup) -> (Vec<Vec<u8>>, Vec<Vec<u8>>, Vec<u8>) {
    let mut w = World::at(setup, Side::Client, 0);
    let (mut to_c, mut to_s) = (Vec::new(), Vec::new());
    for _ in 0..200 {
        w.pump();
        if let Some(d) = w.to_server.pop_front() {
            let _ = w.feed_server(&d);
            to_s.push(d);
        } else if let Some(d) = w.to_client.pop_front() {
            let _ = w.feed_client(&d);
            to_c.push(d);
        } else {
            break;
        }
    }
    let mut blob = [0u8; 512];
    let session = w.client.export_session(&mut blob).map(|n| blob[..n].to_vec()).unwrap_or_default();
    (to_c, to_s, session)
}

/// Records of a datagram: (ctype, epoch, seq, whole record bytes, fragment).
fn records(d: &[u8]) -> Vec<(u8, u16, u64, Vec<u8>, Vec<u8>)> {
    let mut r = Reader::new(d);
    let mut at = 0;
    let mut v = Vec::new();
    while let Ok(rec) = record::parse(&mut r) {
        let end = at + record::HEADER_LEN + rec.fragment.len();
        v.push((rec.ctype, rec.epoch, rec.seq, d[at..end].to_vec(), rec.fragment.to_vec()));
        at = end;
    }
    v
}

/// Unfragmented epoch-0 handshake messages of a datagram: (type, body).
fn messages(d: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut v = Vec::new();
    for (ct, ep, _, _, frag) in records(d) {
        if ct != content::HANDSHAKE || ep != 0 {
            continue;
        }
        let mut r = Reader::new(&frag);
        while let Ok((h, data)) = handshake::parse_fragment(&mut r) {
            if h.frag_off == 0 && h.frag_len == h.length {
                v.push((h.msg_type, data.to_vec()));
            }
        }
    }
    v
}

fn tls_keys() -> [DirectionKeys; 2] {
    [DirectionKeys { key: [0x42; 16], salt: [1, 2, 3, 4] }, DirectionKeys { key: [0x24; 16], salt: [4, 3, 2, 1] }]
}

/// The `record` inputs of a datagram: as is, and with every record
/// re-sealed with the target's fixed key (so decryption succeeds).
fn record_inputs(o: &mut Out, tag: &str, d: &[u8]) {
    let mut plain = vec![0u8];
    plain.extend_from_slice(d);
    o.add("record", tag, plain);
    for sel in [0u8, 1, 3] {
        let tag_len = if sel & 1 != 0 { TagLen::Sixteen } else { TagLen::Eight };
        let k = &tls_keys()[usize::from(sel >> 1 & 1)];
        let mut out = vec![sel];
        for (ct, ep, seq, _, frag) in records(d) {
            let mut buf = vec![0u8; 13 + frag.len() + 24];
            let mut w = Writer::new(&mut buf);
            record::write_record(&mut w, Some((k, tag_len)), ct, ep.max(1), seq, &[&frag]).unwrap();
            let n = w.len();
            out.extend_from_slice(&buf[..n]);
        }
        o.add("record", tag, out);
    }
    // The same records as tls12_cid (RFC 9146): selector bits 2-4 give
    // the CID length (4 and 8 bytes here).
    for sel in [0x0cu8, 0x1d] {
        let tag_len = if sel & 1 != 0 { TagLen::Sixteen } else { TagLen::Eight };
        let k = &tls_keys()[0];
        let cid: Vec<u8> = (0..1 + usize::from(sel >> 2 & 7)).map(|i| 0xc0 + i as u8).collect();
        let mut out = vec![sel];
        for (ct, ep, seq, _, frag) in records(d) {
            let mut buf = vec![0u8; 13 + cid.len() + frag.len() + 25];
            let mut w = Writer::new(&mut buf);
            record::cid::write_record_with(&mut w, k, tag_len, &cid, ct, ep.max(1), seq, frag.len(), &mut |dst| {
                dst.copy_from_slice(&frag);
                Ok(())
            })
            .unwrap();
            let n = w.len();
            out.extend_from_slice(&buf[..n]);
        }
        o.add("record", tag, out);
    }
}

fn vec16_rest(body: &[u8]) -> Option<Vec<u8>> {
    let mut r = Reader::new(body);
    let b = r.vec16().ok()?;
    Some(b.to_vec())
}

/// The extension block at the end of a hello (after `skip` fixed bytes and the vectors read by `f`).
fn hello_extensions(body: &[u8], client: bool) -> Option<Vec<u8>> {
    let mut r = Reader::new(body);
    r.take(34).ok()?;
    r.vec8().ok()?; // session id
    if client {
        r.vec8().ok()?; // cookie
        r.vec16().ok()?; // suites
        r.vec8().ok()?; // compressions
    } else {
        r.take(3).ok()?; // suite, compression
    }
    vec16_rest(r.rest())
}

fn hs_input(sel: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![sel];
    v.extend_from_slice(body);
    v
}

/// `handshake_msgs` inputs from the messages of a datagram.
fn message_inputs(o: &mut Out, tag: &str, d: &[u8], ecc: bool, x509: bool) {
    for (ct, ep, _, _, frag) in records(d) {
        if ct == content::HANDSHAKE && ep == 0 {
            o.add("handshake_msgs", tag, hs_input(0, &frag));
        }
    }
    let t = "handshake_msgs";
    for (mt, body) in messages(d) {
        match mt {
            msg::CLIENT_HELLO => {
                o.add(t, tag, hs_input(1, &body));
                o.add(t, tag, hs_input(19, &body));
                if let Some(e) = hello_extensions(&body, true) {
                    o.add(t, tag, hs_input(12, &e));
                }
            }
            msg::SERVER_HELLO => {
                o.add(t, tag, hs_input(2, &body));
                if let Some(e) = hello_extensions(&body, false) {
                    o.add(t, tag, hs_input(12, &e));
                }
            }
            msg::HELLO_VERIFY_REQUEST => o.add(t, tag, hs_input(3, &body)),
            msg::CERTIFICATE => {
                o.add(t, tag, hs_input(6, &body));
                o.add(t, tag, hs_input(7, &body));
                // The first certificate / key inside.
                let mut r = Reader::new(&body);
                if let Ok(list) = r.vec24() {
                    if x509 {
                        if let Ok(cert) = Reader::new(list).vec24() {
                            o.add(t, tag, hs_input(16, cert));
                        }
                    } else {
                        o.add(t, tag, hs_input(15, list));
                    }
                }
            }
            msg::SERVER_KEY_EXCHANGE => {
                o.add(t, tag, hs_input(if ecc { 8 } else { 4 }, &body));
                if ecc && body.len() > 70 {
                    // curve type, curve, point vec8, sig alg, signature vec16
                    let mut r = Reader::new(&body);
                    let _ = r.take(3);
                    let _ = r.vec8();
                    let _ = r.u16();
                    if let Ok(sig) = r.vec16() {
                        o.add(t, tag, hs_input(14, sig));
                    }
                }
            }
            msg::CERTIFICATE_REQUEST => o.add(t, tag, hs_input(10, &body)),
            msg::CERTIFICATE_VERIFY => {
                o.add(t, tag, hs_input(11, &body));
                if body.len() > 4 {
                    o.add(t, tag, hs_input(14, &body[4..]));
                }
            }
            msg::CLIENT_KEY_EXCHANGE => o.add(t, tag, hs_input(if ecc { 9 } else { 5 }, &body)),
            _ => {}
        }
        // Reassembly: the message in three out-of-order, overlapping pieces.
        if body.len() >= 12 && body.len() <= 1000 {
            let l = body.len();
            let mut v = vec![13u8];
            for (off, end) in [(l / 2, l), (0, l / 3 + 4), (l / 3, l / 2 + 1)] {
                let piece = &body[off..end];
                let n = piece.len().div_ceil(4);
                let mut p = piece.to_vec();
                p.resize(n * 4, 0);
                // The reassembly op reads n*4 bytes; make the piece exactly that long.
                let (pe, pl) = if off + n * 4 <= l { (off, n * 4) } else { (l - n * 4, n * 4) };
                v.extend_from_slice(&[mt, 0]);
                v.extend_from_slice(&(l as u16).to_be_bytes());
                v.extend_from_slice(&(pe as u16).to_be_bytes());
                v.push(n as u8);
                v.extend_from_slice(&body[pe..pe + pl]);
            }
            o.add(t, tag, v);
        }
    }
}

fn blob16(v: &mut Vec<u8>, d: &[u8]) {
    v.extend_from_slice(&(d.len() as u16).to_be_bytes());
    v.extend_from_slice(d);
}

/// Ops after a connection is up: traffic both ways, heartbeat, timers,
/// a crafted authenticated heartbeat request, a close.
fn connected_tail(v: &mut Vec<u8>) {
    use nanodtls_fuzz::op::*;
    v.extend_from_slice(&[PUMP, 0, PEER_WRITE, 5, PUMP, 0, DELIVER, 0, 0, READ, WRITE, 3, PUMP, 0]);
    v.extend_from_slice(&[HEARTBEAT, PUMP, 0, DELIVER, 0, 0, TIME, 0x03, 0xe8, 0, READ]);
    let mut hb = vec![1u8, 0, 16];
    hb.extend_from_slice(&[0x77; 32]);
    v.extend_from_slice(&[FEED_AUTH, 24 - 20, hb.len() as u8]);
    v.extend_from_slice(&hb);
    v.extend_from_slice(&[POLL_SMALL, 60, TIME, 0x27, 0x10, 3, CLOSE, PUMP, 0]);
}

/// Endpoint-op prefix for a raw datagram from the genuine client's address.
fn ep_feed(v: &mut Vec<u8>, d: &[u8]) {
    v.extend_from_slice(&[0, 0]);
    blob16(v, d);
}

fn conn_inputs(o: &mut Out, tag: &str, setup: Setup, to_c: &[Vec<u8>], to_s: &[Vec<u8>]) {
    let (bits, mtu) = setup.encode();
    // Client: stopped after k datagrams, then fed the rest raw.
    for k in 0..=to_c.len() {
        let mut v = vec![bits, k as u8, mtu];
        for d in &to_c[k..] {
            v.push(op::FEED_RAW);
            blob16(&mut v, d);
            v.extend_from_slice(&[op::PUMP, 0]);
        }
        connected_tail(&mut v);
        o.add("client", tag, v);
    }
    // Client: the genuine way (deliver/pump), with loss and mutation.
    o.add(
        "client",
        tag,
        vec![
            bits,
            0,
            mtu,
            op::PUMP,
            0,
            op::DELIVER,
            0,
            0,
            op::PUMP,
            0,
            op::DELIVER,
            0,
            0,
            op::PUMP,
            0,
            op::DELIVER,
            0,
            2,
            0,
            40,
            0x10,
            op::TIME,
            0x04,
            0,
            0,
        ],
    );
    // Server (single connection and endpoint).
    for ep in [false, true] {
        let mtu_b = mtu & 0x7f | if ep { 0x80 } else { 0 };
        for k in 0..=to_s.len() {
            let mut v = vec![bits, k as u8, mtu_b];
            for d in &to_s[k..] {
                if ep {
                    ep_feed(&mut v, d);
                } else {
                    v.push(op::FEED_RAW);
                    blob16(&mut v, d);
                }
                v.extend_from_slice(&[op::PUMP, 0]);
            }
            if !ep {
                connected_tail(&mut v);
            } else {
                // read, write, heartbeat, events, another address, close
                v.extend_from_slice(&[5, 7, 9, 4, 0, 3, 0, 0, 0, 6, 9, 4, 0, 14, 8, 0x03, 0xe8, 3]);
                if let Some(first) = to_s.first() {
                    v.extend_from_slice(&[0, 1]);
                    blob16(&mut v, first);
                }
                v.extend_from_slice(&[4, 0, 10, 0, 14]);
            }
            o.add("server", tag, v);
        }
    }
}

fn ops_inputs(o: &mut Out, tag: &str, setup: Setup) {
    use std::iter::repeat_n;
    let (bits, mtu) = setup.encode();
    let hs: Vec<u8> = repeat_n([11u8, 0, 11, 1], 8).flatten().collect();
    // Lossless handshake, data both ways, heartbeat, close.
    let mut v = vec![bits, mtu];
    v.extend_from_slice(&hs);
    v.extend_from_slice(&[
        6, 0, 10, 6, 1, 20, 11, 0, 11, 1, 7, 0, 7, 1, 9, 0, 11, 0, 11, 1, 5, 0x03, 0xe8, 0, 8, 0, 11, 0, 11, 1,
    ]);
    o.add("ops", tag, v.clone());
    // The same with reconnect (resumption) in the middle.
    let mut r = vec![bits, mtu];
    r.extend_from_slice(&hs);
    r.extend_from_slice(&[6, 0, 5, 11, 0, 10]);
    r.extend_from_slice(&hs);
    r.extend_from_slice(&[6, 1, 7, 11, 1, 7, 0]);
    o.add("ops", tag, r);
    // Loss, duplication, reordering, corruption and timers during the handshake.
    let mut l = vec![
        bits, mtu, 0, 0, 2, 1, 0, 1, 1, 1, 5, 0x03, 0xe8, 0, 3, 2, 0, 0, 4, 1, 0, 30, 0x80, 11, 1, 5, 0x07, 0xd0, 0,
    ];
    l.extend_from_slice(&hs);
    l.extend_from_slice(&[6, 0, 40, 6, 0, 41, 2, 0, 3, 2, 11, 0, 1, 1, 6, 1, 9, 5, 0x03, 0xe8, 1, 11, 1]);
    o.add("ops", tag, l);
}

/// P-256 private keys in the formats set_own_key accepts.
fn key_inputs(o: &mut Out) {
    let k = test_key(1);
    let spki = test_spki(1);
    let point = &spki[26..];
    o.add("handshake_msgs", "g-key", hs_input(17, &k));
    // SEC1 ECPrivateKey with parameters and public key.
    let mut sec1 = vec![0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20];
    sec1.extend_from_slice(&k);
    sec1.extend_from_slice(&[0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);
    sec1.extend_from_slice(&[0xa1, 0x44, 0x03, 0x42, 0x00]);
    sec1.extend_from_slice(point);
    o.add("handshake_msgs", "g-key", hs_input(17, &sec1));
    // PKCS#8 PrivateKeyInfo around a SEC1 key without parameters.
    let mut inner = vec![0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20];
    inner.extend_from_slice(&k);
    inner.extend_from_slice(&[0xa1, 0x44, 0x03, 0x42, 0x00]);
    inner.extend_from_slice(point);
    let mut p8 =
        vec![0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    p8.extend_from_slice(&[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x6d]);
    p8.extend_from_slice(&inner);
    o.add("handshake_msgs", "g-key", hs_input(17, &p8));
    o.add("handshake_msgs", "g-spki", hs_input(15, &spki));
    o.add("handshake_msgs", "g-x509", hs_input(16, CERT1));
    o.add("handshake_msgs", "g-x509", hs_input(16, CERT2));
    o.add("handshake_msgs", "g-fin", hs_input(20, &[0x5a; 12]));
    o.add("handshake_msgs", "g-fin", hs_input(20, &[1, 2, 3, 4, 5, 6, 7, 8]));
}

/// `ttp` inputs (see fuzz_targets/ttp.rs): nonces (fresh, used, another
/// trust anchor) and a genuine MacCert of ta1, framed and bare.
fn ttp_inputs(o: &mut Out) {
    for n in [&b"DK.ta1.sensor-42.101"[..], b"DK.ta1.a.b.100", b"DK.ta2..4294967295"] {
        o.add("ttp", "g-nonce", hs_input(0, n));
    }
    let spki = nanodtls::auth::x509::der::x509_spki(pki::CLIENT_CN).unwrap();
    let mut mc = [0u8; 400];
    let n = nanodtls::auth::authz_cert::encode(&[0x5a; 32], b"ta1", 101, spki, &mut mc).unwrap();
    let mut framed = ((n as u32).to_be_bytes()[1..]).to_vec();
    framed.extend_from_slice(&mc[..n]);
    o.add("ttp", "g-maccert", hs_input(1, &framed));
    o.add("ttp", "g-maccert", hs_input(3, &mc[..n]));
}

/// `x509` inputs from the test PKI: DER walks, certificates, genuine
/// chains under each policy (see fuzz_targets/x509.rs for the format).
fn x509_inputs(o: &mut Out) {
    use nanodtls_fuzz::pki::*;
    for c in [ROOT, INT, INT1, INT2, OTHER_ROOT, SERVER, SERVER3, CLIENT_EUI, CLIENT_CN, SELF_SIGNED] {
        o.add("x509", "g-der", hs_input(0, c));
        o.add("x509", "g-cert", hs_input(1, c));
    }
    o.add("x509", "g-der", hs_input(0, ROOT_SPKI));
    let time = 4;
    let (server, client, any) = (0u8, 1u8 << 3, 2u8 << 3);
    let knob = |n: u8| n << 5;
    o.add("x509", "g-path", path_input(time | server | knob(4), 0x01, &[SERVER, INT]));
    o.add("x509", "g-path", path_input(server, 0x02, &[SERVER, INT, ROOT]));
    o.add("x509", "g-path", path_input(time | server | knob(3), 0x01, &[SERVER3, INT2, INT1]));
    o.add("x509", "g-path", path_input(server | knob(2), 0x02, &[SERVER3, INT2, INT1]));
    o.add("x509", "g-path", path_input(time | (3 << 3), 0x04, &[SERVER]));
    o.add("x509", "g-path", path_input(time | client | knob(4), 0x01, &[CLIENT_EUI, INT]));
    o.add("x509", "g-path", path_input(client, 0x03, &[CLIENT_CN, INT2, INT1]));
    o.add("x509", "g-path", path_input(time | any, 0x09, &[CLIENT_CN, INT2, INT1, ROOT]));
    o.add("x509", "g-path", path_input(time | server, 0x10, &[SELF_SIGNED]));
    o.add("x509", "g-path", path_input(server, 0x08, &[SERVER, INT]));
}

/// Interop captures: "c2s <hex>" / "s2c <hex>" lines.
fn interop_inputs(o: &mut Out, dir: &Path) {
    let Ok(rd) = fs::read_dir(dir) else {
        println!("no interop captures in {}", dir.display());
        return;
    };
    let mut paths: Vec<_> =
        rd.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "txt")).collect();
    paths.sort();
    for p in paths {
        let name = p.file_stem().unwrap().to_string_lossy().to_lowercase();
        let text = fs::read_to_string(&p).unwrap();
        let (mut c2s, mut s2c) = (Vec::new(), Vec::new());
        for line in text.lines() {
            let Some((dir, hex)) = line.split_once(' ') else { continue };
            let Some(bytes) = (0..hex.len())
                .step_by(2)
                .map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
                .collect::<Option<Vec<u8>>>()
            else {
                continue;
            };
            if dir == "c2s" { &mut c2s } else { &mut s2c }.push(bytes);
        }
        let ecc = name.contains("ecdhe");
        let tag = format!("i-{}", short(&name));
        for d in c2s.iter().chain(s2c.iter()) {
            record_inputs(o, &tag, d);
            message_inputs(o, &tag, d, ecc, ecc);
        }
        // Feed their datagrams to a fresh client / server of the matching suite.
        let bits = if ecc {
            0x8a
        } else if name.contains("ccm8") {
            0x08
        } else {
            0x09
        };
        let mtu = 6; // 1280
        let mut v = vec![bits, 0, mtu];
        for d in &s2c {
            v.push(op::FEED_RAW);
            blob16(&mut v, d);
            v.extend_from_slice(&[op::PUMP, 1]);
        }
        o.add("client", &tag, v);
        for ep in [0u8, 0x80] {
            let mut v = vec![bits, 0, mtu | ep];
            for d in &c2s {
                if ep != 0 {
                    ep_feed(&mut v, d);
                    v.extend_from_slice(&[4, 1]);
                } else {
                    v.push(op::FEED_RAW);
                    blob16(&mut v, d);
                    v.extend_from_slice(&[op::PUMP, 1]);
                }
            }
            o.add("server", &tag, v);
        }
    }
}

fn short(name: &str) -> String {
    name.replace("psk-aes128-", "").replace("capture-", "").replace("_must_fail_", "").chars().take(40).collect()
}

fn main() {
    // The generator runs every MTU, including those that hit a known bug.
    std::env::set_var("NANODTLS_FUZZ_ALLOW", BUG_POLL_BUFFER);
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| here.join("corpus"));
    let mut o = Out { dir, files: BTreeMap::new(), seen: HashSet::new() };
    let setups: &[(u8, &str)] = &[
        (0x00, "psk8"),
        (0x01, "psk16"),
        (0x8c, "psk8-cookie-hint-sni"),
        (0x38, "psk8-cookie-hb-mfl"),
        (0x48, "psk8-resume"),
        (0x02, "ecc8"),
        (0x0b, "ecc16-cookie"),
        (0x0e, "ecc8-cookie-cauth"),
        (0x8e, "ecc8-x509-cauth"),
        (0x4a, "ecc8-resume"),
        (0x32, "ecc8-hb-mfl"),
    ];
    for &(bits, name) in setups {
        for mtu in [1280u16, 576, 200, 128] {
            let setup = Setup { bits, mtu, endpoint: false, chain: false };
            let (to_c, to_s, session) = transcript(setup);
            let tag = format!("g-{name}-{mtu}");
            for d in to_c.iter().chain(to_s.iter()) {
                record_inputs(&mut o, &tag, d);
                message_inputs(&mut o, &tag, d, setup.ecc(), setup.x509());
            }
            if !session.is_empty() {
                o.add("handshake_msgs", &tag, hs_input(18, &session));
            }
            if mtu == 1280 || mtu == 200 {
                conn_inputs(&mut o, &tag, setup, &to_c, &to_s);
                ops_inputs(&mut o, &tag, setup);
            }
        }
    }
    key_inputs(&mut o);
    x509_inputs(&mut o);
    ttp_inputs(&mut o);
    interop_inputs(&mut o, &here.join("interop"));
    o.write();
}
