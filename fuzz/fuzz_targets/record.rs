//! Record layer: `record::parse` in a loop over a datagram (and
//! `parse_header`, which `feed` frames records with, agreeing with it),
//! `open_in_place` with a fixed key, a seal/open round trip of every parsed
//! fragment, and the anti-replay window checked against a model.
//!
//! tls12_cid records (RFC 9146, content type 25) are framed with
//! `record::cid::parse_header` and a CID length from the selector, opened
//! with the CID additional data, and round-tripped with zero padding; a
//! flipped bit (in the header's CID too) fails authentication.
//!
//! Input: one selector byte (bit 0: 16-byte tag instead of 8; bit 1: the
//! fixed key of the other direction; bits 2-4: the CID length of
//! tls12_cid records, 1..=8), then the datagram.
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

/// One tls12_cid record at the start of `bytes` (false: it does not parse).
fn cid_record(bytes: &[u8], cid_len: usize, k: &DirectionKeys, tag: TagLen) -> bool {
    use record::cid;
    let Ok(h) = cid::parse_header(bytes, cid_len) else {
        // Anything shorter than the header and fragment is refused.
        return false;
    };
    assert_eq!(h.header_len, cid::FIXED_HEADER_LEN + cid_len);
    assert!(h.header_len + h.len <= bytes.len(), "a fragment past the end");
    assert_eq!(cid::peek_cid(bytes, cid_len), bytes.get(11..11 + cid_len));
    let the_cid = &bytes[11..11 + cid_len];
    let fragment = &bytes[h.header_len..h.header_len + h.len];
    let mut buf = fragment.to_vec();
    if let Ok(Some((ctype, range))) = cid::open_in_place(&h, the_cid, k, tag, &mut buf) {
        // The real type is the last non-zero byte; only zeros follow it.
        assert!(ctype != 0 && range.start == record::EXPLICIT_NONCE_LEN);
        assert_eq!(buf[range.end], ctype);
        assert!(buf[range.end + 1..buf.len() - tag.bytes()].iter().all(|&b| b == 0));
    }
    // Seal the fragment as content of type 23, then parse and open it.
    let plain = fragment;
    if plain.len() + 1 + record::EXPLICIT_NONCE_LEN + tag.bytes() <= usize::from(u16::MAX) {
        let mut out = vec![0u8; h.header_len + plain.len() + 1 + 8 + tag.bytes()];
        let mut w = Writer::new(&mut out);
        cid::write_record_with(&mut w, k, tag, the_cid, 23, h.epoch, h.seq & record::MAX_SEQ, plain.len(), &mut |d| {
            d.copy_from_slice(plain);
            Ok(())
        })
        .unwrap();
        assert_eq!(w.len(), out.len());
        let back = cid::parse_header(&out, cid_len).unwrap();
        assert_eq!(back.header_len + back.len, out.len());
        let mut b = out[back.header_len..].to_vec();
        let (t, range) = cid::open_in_place(&back, the_cid, k, tag, &mut b).unwrap().expect("a content type");
        assert_eq!((t, &b[range]), (23, plain));
        // A flipped bit anywhere (the CID in the header included) fails.
        let flip = (h.seq as usize) % out.len();
        let mut bad = out.clone();
        bad[flip] ^= 0x01;
        if let Ok(bh) = cid::parse_header(&bad, cid_len) {
            if bh.header_len + bh.len == bad.len() {
                let c = bad[11..11 + cid_len].to_vec();
                let mut bb = bad[bh.header_len..].to_vec();
                assert!(cid::open_in_place(&bh, &c, k, tag, &mut bb).is_err(), "forgery accepted");
            }
        }
    }
    true
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
        if r.peek().first() == Some(&record::content::TLS12_CID) {
            let cid_len = 1 + usize::from((sel >> 2) & 7);
            if !cid_record(r.peek(), cid_len, &k, tag) {
                break;
            }
            let h = record::cid::parse_header(r.peek(), cid_len).unwrap();
            let _ = r.take(h.header_len + h.len);
            records += 1;
            continue;
        }
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
