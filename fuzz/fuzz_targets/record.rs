//! Record layer: `record::parse` in a loop over a datagram (and
//! `parse_header`, which `feed` frames records with, agreeing with it),
//! `open_in_place` with a fixed key, a seal/open round trip of every parsed
//! fragment, and the anti-replay window checked against a model.
//!
//! Input: one selector byte (bit 0: 16-byte tag instead of 8; bit 1: the
//! fixed key of the other direction), then the datagram.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use nanodtls::codec::{Reader, Writer};
use nanodtls::crypto::aead::TagLen;
use nanodtls::record::{self, DirectionKeys, ReplayWindow, DTLS10, DTLS12, HEADER_LEN};

/// The keys the corpus generator seals its records with.
fn keys(sel: u8) -> DirectionKeys {
    if sel & 2 == 0 {
        DirectionKeys { key: [0x42; 16], salt: [1, 2, 3, 4] }
    } else {
        DirectionKeys { key: [0x24; 16], salt: [4, 3, 2, 1] }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, datagram)) = data.split_first() else { return };
    let tag = if sel & 1 != 0 { TagLen::Sixteen } else { TagLen::Eight };
    let k = keys(sel);
    let mut window = ReplayWindow::default();
    let mut marked: HashSet<u64> = HashSet::new();
    let mut top: Option<u64> = None;
    let mut r = Reader::new(datagram);
    let mut records = 0usize;
    while !r.is_empty() {
        let before = r.remaining();
        let head = record::parse_header(r.peek());
        let parsed = record::parse(&mut r);
        // feed frames with parse_header: it must accept exactly what parse
        // accepts, with the same fields, and never a fragment past the end.
        assert_eq!(
            head.as_ref().ok(),
            parsed.as_ref().ok().map(|rec| rec.head()).as_ref(),
            "parse_header and parse disagree"
        );
        if let Ok(h) = &head {
            assert!(HEADER_LEN + h.len <= before, "parse_header accepted a fragment past the end");
        }
        let Ok(rec) = parsed else { break };
        records += 1;
        // Framing: exactly header + fragment consumed, header echoes the fields.
        assert_eq!(before - r.remaining(), HEADER_LEN + rec.fragment.len());
        assert!(matches!(rec.ctype, 20..=24));
        assert!(rec.version == DTLS12 || rec.version == DTLS10);
        assert_eq!(rec.header[0], rec.ctype);
        assert_eq!(u16::from_be_bytes([rec.header[3], rec.header[4]]), rec.epoch);
        assert!(rec.seq <= record::MAX_SEQ);
        assert_eq!(usize::from(u16::from_be_bytes([rec.header[11], rec.header[12]])), rec.fragment.len());

        // Decrypt with the fixed key.
        let mut buf = rec.fragment.to_vec();
        if let Ok(range) = record::open_in_place(&rec.head(), &k, tag, &mut buf) {
            assert!(range.start == record::EXPLICIT_NONCE_LEN && range.end + tag.bytes() == buf.len());
            // An authentic record re-seals to the same bytes when it was
            // written the way we write records (DTLS 1.2, explicit nonce =
            // epoch || seq).
            let mut explicit = [0u8; 8];
            explicit[..2].copy_from_slice(&rec.epoch.to_be_bytes());
            explicit[2..].copy_from_slice(&rec.seq.to_be_bytes()[2..]);
            if rec.version == DTLS12 && rec.fragment[..8] == explicit {
                let plain = buf[range].to_vec();
                let mut out = vec![0u8; HEADER_LEN + rec.fragment.len()];
                let mut w = Writer::new(&mut out);
                record::write_record(&mut w, Some((&k, tag)), rec.ctype, rec.epoch, rec.seq, &[&plain]).unwrap();
                assert_eq!(&out[HEADER_LEN..], rec.fragment, "re-sealing an authentic record changed it");
            }
        }

        // Seal the fragment as plaintext, then parse and open it again.
        let plain = rec.fragment;
        if plain.len() + record::EXPLICIT_NONCE_LEN + tag.bytes() <= usize::from(u16::MAX) {
            let mut out = vec![0u8; HEADER_LEN + plain.len() + 8 + tag.bytes()];
            let mut w = Writer::new(&mut out);
            let split = plain.len() / 2;
            record::write_record(
                &mut w,
                Some((&k, tag)),
                rec.ctype,
                rec.epoch,
                rec.seq,
                &[&plain[..split], &plain[split..]],
            )
            .unwrap();
            assert_eq!(w.len(), out.len());
            let mut rr = Reader::new(&out);
            let back = record::parse(&mut rr).unwrap();
            assert!(rr.is_empty());
            let mut b = back.fragment.to_vec();
            let range = record::open_in_place(&back.head(), &k, tag, &mut b).expect("round trip must authenticate");
            assert_eq!(&b[range], plain);
            // Any single flipped bit must fail authentication.
            let flip = (rec.seq as usize) % b.len().max(1);
            let mut bad = back.fragment.to_vec();
            if !bad.is_empty() {
                bad[flip] ^= 0x80;
                assert!(record::open_in_place(&back.head(), &k, tag, &mut bad).is_err(), "forgery accepted");
            }
            // Plaintext records round trip too.
            let mut out = vec![0u8; HEADER_LEN + plain.len()];
            let mut w = Writer::new(&mut out);
            record::write_record(&mut w, None, rec.ctype, rec.epoch, rec.seq, &[plain]).unwrap();
            let back = record::parse(&mut Reader::new(&out)).unwrap();
            assert_eq!((back.ctype, back.epoch, back.seq, back.fragment), (rec.ctype, rec.epoch, rec.seq, plain));
        }

        // Anti-replay window against a model: a marked number is never
        // fresh again; anything above the highest is fresh.
        let fresh = window.is_fresh(rec.seq);
        if marked.contains(&rec.seq) {
            assert!(!fresh, "replay of {} accepted", rec.seq);
        }
        if top.is_none_or(|t| rec.seq > t) {
            assert!(fresh, "{} above the window top refused", rec.seq);
        }
        if let Some(t) = top {
            if rec.seq + 64 <= t {
                assert!(!fresh, "{} is too old for the window (top {t}) but was accepted", rec.seq);
            }
        }
        if fresh {
            window.mark(rec.seq);
            marked.insert(rec.seq);
            top = Some(top.map_or(rec.seq, |t| t.max(rec.seq)));
        }
    }
    let _ = records;
});
