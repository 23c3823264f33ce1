//! ECDHE_PSK known answers (tests/vectors/ecdhe_psk_vectors.txt, computed
//! by tests/vectors/ecdhe_psk_vectors.py with Python's `cryptography`,
//! independently of this library): a handshake with fixed randomness
//! reproduces the script's handshake messages, and the library's ECDH,
//! premaster secret (RFC 5489 2), extended master secret, key block and
//! the first protected record on the wire (the client Finished) are the
//! script's. `NANODTLS_DUMP_ECDHE_PSK=FILE` writes the inputs for the
//! script (`--inputs FILE`) after a deliberate change of the handshake.
#![cfg(feature = "ecdhe-psk")]

use std::collections::BTreeMap;

use nanodtls::handshake::msg;
use nanodtls::record::content;
use nanodtls::{suite, Config, Connection, Env, Error, Role, State};
use zerocopy::FromZeros;

const PSK: [u8; 16] = *b"ecdhe-psk-vector";
const IDENTITY: &[u8] = b"device-0001";

/// Every request is filled with `base, base + 1, ...`: each scalar equals
/// that side's Hello random.
struct Fixed(u8);
impl Env for Fixed {
    fn random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        for (j, b) in buf.iter_mut().enumerate() {
            *b = self.0.wrapping_add(j as u8);
        }
        Ok(())
    }
}

fn pattern(base: u8) -> [u8; 32] {
    let mut p = [0u8; 32];
    Fixed(base).random(&mut p).unwrap();
    p
}

fn vectors() -> BTreeMap<String, Vec<u8>> {
    let text = include_str!("vectors/ecdhe_psk_vectors.txt");
    let mut v = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let (k, h) = line.split_once(" = ").unwrap();
        let bytes = (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect();
        v.insert(k.trim().to_string(), bytes);
    }
    v
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Records of a datagram: (content type, epoch, whole record bytes, fragment).
fn records(d: &[u8]) -> Vec<(u8, u16, Vec<u8>, Vec<u8>)> {
    let mut out = vec![];
    let mut at = 0;
    while at + 13 <= d.len() {
        let len = usize::from(u16::from_be_bytes([d[at + 11], d[at + 12]]));
        let epoch = u16::from_be_bytes([d[at + 3], d[at + 4]]);
        out.push((d[at], epoch, d[at..at + 13 + len].to_vec(), d[at + 13..at + 13 + len].to_vec()));
        at += 13 + len;
    }
    out
}

/// The fixed-randomness handshake: the epoch-0 handshake messages in
/// order (whole, with their DTLS headers) and the client's epoch-1 record.
fn run() -> (Vec<(u8, Vec<u8>)>, Vec<u8>) {
    let mut ccfg = Config::new(Role::Client);
    ccfg.suites = [suite::ECDHE_PSK_AES_128_CCM_8, 0, 0, 0];
    let mut scfg = Config::new(Role::Server);
    scfg.suites = ccfg.suites;
    scfg.require_cookie = false;
    let mut c = Connection::new_box_zeroed().unwrap();
    let mut s = Connection::new_box_zeroed().unwrap();
    c.init(&ccfg).unwrap();
    s.init(&scfg).unwrap();
    c.set_psk(IDENTITY, &PSK).unwrap();
    s.set_psk(IDENTITY, &PSK).unwrap();
    let (mut ce, mut se) = (Fixed(0xC0), Fixed(0x40));
    c.connect(&mut ce, 0).unwrap();
    let mut msgs = vec![];
    let mut finished = None;
    let mut buf = [0u8; 2048];
    for _ in 0..10 {
        while let Some(n) = c.poll_datagram(&ce, 0, &mut buf).unwrap() {
            for (ct, epoch, whole, frag) in records(&buf[..n]) {
                if ct == content::HANDSHAKE && epoch == 0 {
                    msgs.push((frag[0], frag));
                } else if ct == content::HANDSHAKE && finished.is_none() {
                    finished = Some(whole);
                }
            }
            let mut d = buf[..n].to_vec();
            let mut at = 0;
            while at < d.len() {
                at += s.feed(&mut se, 0, &mut d[at..]).unwrap().consumed;
            }
        }
        while let Some(n) = s.poll_datagram(&se, 0, &mut buf).unwrap() {
            for (ct, epoch, _, frag) in records(&buf[..n]) {
                if ct == content::HANDSHAKE && epoch == 0 {
                    // One record may hold several messages.
                    let mut p = 0;
                    while p + 12 <= frag.len() {
                        let l = u32::from_be_bytes([0, frag[p + 9], frag[p + 10], frag[p + 11]]) as usize;
                        msgs.push((frag[p], frag[p..p + 12 + l].to_vec()));
                        p += 12 + l;
                    }
                }
            }
            let mut d = buf[..n].to_vec();
            let mut at = 0;
            while at < d.len() {
                at += c.feed(&mut ce, 0, &mut d[at..]).unwrap().consumed;
            }
        }
    }
    assert_eq!(c.state(), State::Connected);
    assert_eq!(s.state(), State::Connected);
    (msgs, finished.expect("the client's Finished"))
}

#[test]
fn fixed_randomness_handshake_matches_the_independent_vectors() {
    let (msgs, finished) = run();
    let names = [
        (msg::CLIENT_HELLO, "in_msg_client_hello"),
        (msg::SERVER_HELLO, "in_msg_server_hello"),
        (msg::SERVER_KEY_EXCHANGE, "in_msg_server_key_exchange"),
        (msg::SERVER_HELLO_DONE, "in_msg_server_hello_done"),
        (msg::CLIENT_KEY_EXCHANGE, "in_msg_client_key_exchange"),
    ];
    let got: Vec<u8> = msgs.iter().map(|(t, _)| *t).collect();
    assert_eq!(got, names.iter().map(|(t, _)| *t).collect::<Vec<_>>(), "message sequence");
    if let Ok(path) = std::env::var("NANODTLS_DUMP_ECDHE_PSK") {
        let mut text = format!(
            "in_psk = {}\nin_identity = {}\nin_client_scalar = {}\nin_server_scalar = {}\n",
            hex(&PSK),
            hex(IDENTITY),
            hex(&pattern(0xC0)),
            hex(&pattern(0x40))
        );
        for ((_, m), (_, name)) in msgs.iter().zip(names.iter()) {
            text += &format!("{name} = {}\n", hex(m));
        }
        std::fs::write(&path, text).unwrap();
    }
    let v = vectors();
    assert_eq!(v["in_psk"], PSK);
    assert_eq!(v["in_identity"], IDENTITY);
    assert_eq!(v["in_client_scalar"], pattern(0xC0));
    assert_eq!(v["in_server_scalar"], pattern(0x40));
    for ((_, m), (_, name)) in msgs.iter().zip(names.iter()) {
        assert_eq!(hex(m), hex(&v[*name]), "{name}: the handshake changed (regenerate the vectors?)");
    }
    // The library's primitives on the same inputs.
    use nanodtls::crypto::ecc;
    let (dc, ds) = (pattern(0xC0), pattern(0x40));
    let (mut pc, mut ps) = ([0u8; 65], [0u8; 65]);
    ecc::public_point(&dc, &mut pc).unwrap();
    ecc::public_point(&ds, &mut ps).unwrap();
    assert_eq!(hex(&pc), hex(&v["client_point"]));
    assert_eq!(hex(&ps), hex(&v["server_point"]));
    let mut z = [0u8; 32];
    ecc::ecdh(&dc, &ps, &mut z).unwrap();
    assert_eq!(hex(&z), hex(&v["ecdh"]));
    let mut z2 = [0u8; 32];
    ecc::ecdh(&ds, &pc, &mut z2).unwrap();
    assert_eq!(z, z2);
    let mut pms = [0u8; 128];
    let n = nanodtls::keyex::ecdhe_psk::premaster(&z, &PSK, &mut pms).unwrap();
    assert_eq!(hex(&pms[..n]), hex(&v["premaster"]));
    let session_hash: [u8; 32] = v["session_hash"].clone().try_into().unwrap();
    let mut master = [0u8; 48];
    nanodtls::keys::master_secret(&pms[..n], &dc, &ds, Some(&session_hash), &mut master);
    assert_eq!(hex(&master), hex(&v["master"]));
    let (ck, sk) = nanodtls::keys::key_block(&master, &dc, &ds);
    let kb = [&ck.key[..], &sk.key[..], &ck.salt[..], &sk.salt[..]].concat();
    assert_eq!(hex(&kb), hex(&v["key_block"]));
    assert_eq!(hex(&nanodtls::keys::verify_data(&master, true, &session_hash)), hex(&v["verify_data"]));
    // End to end: the first protected record our client sent.
    assert_eq!(hex(&finished), hex(&v["finished_record"]));
}
