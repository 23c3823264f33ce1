//! RFC 5077 session tickets (feature `tickets`): the NewSessionTicket
//! parser, ticket unsealing and the version 2 session blob. The first
//! input byte selects the mode:
//!
//! - 0: `NewSessionTicket::parse`; what parses writes back to the input;
//! - 1: a genuine ticket (fixed keys and session) edited by the input
//!   (XOR mask, then truncation or extension): it opens only if the edit
//!   changed nothing, and then gives the sealed session back;
//! - 2: the input as a ticket under the fixed keys (current and grace):
//!   never opens (no tag forgery), never panics, expired or not;
//! - 3: `session::import_with_ticket`; import then export is the identity.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nanodtls::codec::Writer;
use nanodtls::handshake::msg::new_session_ticket::{self, NewSessionTicket};
use nanodtls::session::{self, PeerKind, SessionData};
use nanodtls::session_ticket::{TicketKeys, MAX_SEALED};
use zerocopy::FromZeros;

fn keys() -> Box<TicketKeys> {
    let mut k = TicketKeys::new_box_zeroed().unwrap();
    k.init(60_000);
    k.set_key(&[1; 16], &[2; 16], 0);
    k.set_key(&[3; 16], &[4; 16], 0);
    k
}

fn session() -> SessionData {
    let mut s = SessionData::new_zeroed();
    s.master = [7; 48];
    s.suite = nanodtls::suite::PSK_AES_128_CCM_8;
    s.ems = true;
    s.set_peer(PeerKind::PskIdentity, b"client1");
    s.valid = true;
    s
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    match sel % 4 {
        0 => {
            if let Ok(t) = NewSessionTicket::parse(rest) {
                let mut out = vec![0u8; rest.len()];
                let mut w = Writer::new(&mut out);
                new_session_ticket::write(&mut w, t.lifetime_hint, t.ticket).unwrap();
                assert_eq!(w.len(), rest.len());
                assert_eq!(out, rest);
            }
        }
        1 => {
            let k = keys();
            let mut genuine = [0u8; MAX_SEALED];
            let n = k.seal(&session(), 1_000, &[9; 12], &mut genuine).unwrap();
            let genuine = &genuine[..n];
            let (&len_op, mask) = rest.split_first().unwrap_or((&0, &[]));
            let mut t = genuine.to_vec();
            for (b, m) in t.iter_mut().zip(mask.iter()) {
                *b ^= m;
            }
            match len_op % 3 {
                1 => t.truncate(usize::from(len_op) % (n + 1)),
                2 => t.extend_from_slice(mask.get(n..).unwrap_or(&[])),
                _ => {}
            }
            let now = 1_000 + u64::from(len_op) * 100;
            let opened = k.unseal(&mut t.clone(), now);
            if t.as_slice() == genuine {
                let s = opened.expect("the genuine ticket opens within its lifetime");
                assert_eq!((s.master, s.suite, s.ems, s.peer()), ([7; 48], session().suite, true, &b"client1"[..]));
            } else {
                assert!(opened.is_none(), "an edited ticket opened");
            }
        }
        2 => {
            let k = keys();
            let mut t = rest.to_vec();
            assert!(k.unseal(&mut t, 5_000).is_none());
            let mut t = rest.to_vec();
            assert!(k.unseal(&mut t, u64::MAX).is_none());
        }
        _ => {
            let mut s = SessionData::new_zeroed();
            if let Ok((ticket, hint)) = session::import_with_ticket(rest, &mut s) {
                assert!(s.valid);
                let mut out = vec![0u8; session::MAX_BLOB];
                let n = session::export_with_ticket(&s, ticket, hint, &mut out).unwrap();
                assert_eq!(&out[..n], rest);
            } else {
                assert!(!s.valid);
            }
        }
    }
});
