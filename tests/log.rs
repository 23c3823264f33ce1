//! The debug log (cargo feature `log`) as an application sees it: messages
//! captured through nanodtls_set_log_hook (the C entry point) during
//! in-process handshakes. The hook is global to the library, so the tests
//! of this file run one at a time (SERIAL).

mod common;

#[cfg(feature = "log")]
mod with_log {
    use std::sync::{Mutex, MutexGuard};

    use super::common::*;
    use nanodtls::ffi::{
        nanodtls_set_log_hook, test_capture as cap, NANODTLS_E_INVALID_ARG, NANODTLS_LOG_DEBUG, NANODTLS_LOG_ERROR,
        NANODTLS_LOG_WARN, NANODTLS_OK,
    };
    use nanodtls::log::{LogLevel, LINE_MAX};
    use nanodtls::{Error, State, Stats};

    static SERIAL: Mutex<()> = Mutex::new(());

    /// Hold this for the whole test; logging is off again when it ends.
    struct Serial(#[allow(dead_code)] MutexGuard<'static, ()>);
    impl Drop for Serial {
        fn drop(&mut self) {
            nanodtls_set_log_hook(None, std::ptr::null_mut(), 0);
        }
    }
    fn serial() -> Serial {
        Serial(SERIAL.lock().unwrap_or_else(|e| e.into_inner()))
    }

    const ID: &[u8] = b"log-test-identity";
    /// A recognisable PSK: neither its bytes nor its hex may ever be logged.
    const KEY: &[u8] = b"LOGTEST-PSK-do-not-print!";

    /// A client and a server (single connection or endpoint) in lock step.
    struct Pair<S: Party> {
        c: Peer,
        s: S,
        ce: TestEnv,
        se: TestEnv,
        now: u64,
    }

    fn psk_pair(server_key: &[u8]) -> Pair<Peer> {
        let mut c = new_conn(&client_config());
        c.set_psk(ID, KEY).unwrap();
        let mut s = new_conn(&server_config());
        s.set_psk(ID, server_key).unwrap();
        Pair { c, s, ce: TestEnv::new(1), se: TestEnv::new(2), now: 1000 }
    }

    /// Parties whose debug log goes to the C hook, as a C context's does.
    trait Hooked {
        fn log_to_hook(&mut self);
    }
    impl Hooked for Peer {
        fn log_to_hook(&mut self) {
            self.set_log_sink(cap::sink());
        }
    }
    impl Hooked for EndpointParty {
        fn log_to_hook(&mut self) {
            self.ep.set_log_sink(cap::sink());
        }
    }

    impl<S: Party + Hooked> Pair<S> {
        /// Exchange datagrams until nothing moves; returns how many moved.
        fn pump(&mut self) -> usize {
            let mut moved = 0;
            let mut buf = [0u8; 2048];
            for _ in 0..20 {
                let mut n = 0;
                while let Ok(Some(len)) = self.c.poll_datagram(self.now, &mut buf) {
                    let _ = self.s.p_feed(&mut self.se, self.now, &buf[..len]);
                    n += 1;
                }
                while let Ok(Some(len)) = self.s.p_poll(self.now, &mut buf) {
                    let _ = self.c.feed(&mut self.ce, self.now, &buf[..len]);
                    n += 1;
                }
                moved += n;
                if n == 0 {
                    break;
                }
            }
            moved
        }

        /// One exchange: the client's datagrams to the server, the server's back.
        fn pump_once(&mut self, buf: &mut [u8]) {
            while let Ok(Some(len)) = self.c.poll_datagram(self.now, buf) {
                let _ = self.s.p_feed(&mut self.se, self.now, &buf[..len]);
            }
            while let Ok(Some(len)) = self.s.p_poll(self.now, buf) {
                let _ = self.c.feed(&mut self.ce, self.now, &buf[..len]);
            }
        }

        /// Connect and run; with timers until both sides are done.
        fn handshake(&mut self) {
            self.c.log_to_hook();
            self.s.log_to_hook();
            self.c.connect(&mut self.ce, self.now).unwrap();
            for _ in 0..20 {
                self.pump();
                let done = |st: State| matches!(st, State::Connected | State::Failed | State::Closed);
                if done(self.c.state()) && done(self.s.p_state()) {
                    break;
                }
                let t = [self.c.timeout_ms(self.now), self.s.p_timeout(self.now)].into_iter().flatten().min();
                let Some(t) = t else { break };
                self.now += t;
                let _ = self.c.handle_timeout(self.now);
                let _ = self.s.p_on_timeout(self.now);
            }
        }
    }

    fn dropped_total(s: &Stats) -> u32 {
        s.dropped_malformed
            + s.dropped_auth
            + s.dropped_replay
            + s.dropped_epoch
            + s.dropped_unexpected
            + s.dropped_oversize
            + s.dropped_future
            + s.dropped_rejected
    }

    fn hex(b: &[u8], upper: bool) -> String {
        b.iter().map(|x| if upper { format!("{x:02X}") } else { format!("{x:02x}") }).collect()
    }

    /// Every message: a valid level, at most LINE_MAX bytes, no secret.
    fn check_all(log: &[(u8, String)]) {
        assert!(cap::bad_calls().is_empty(), "{:?}", cap::bad_calls());
        let key_text = std::str::from_utf8(KEY).unwrap();
        let id_text = std::str::from_utf8(ID).unwrap();
        for (level, m) in log {
            assert!((1..=4).contains(level), "level {level}: {m}");
            assert!(!m.is_empty() && m.len() <= LINE_MAX, "{m}");
            for secret in [key_text, &key_text[..8], &hex(KEY, false), &hex(KEY, true), &hex(&KEY[..8], false)] {
                assert!(!m.contains(secret), "the PSK leaks into the log: {m}");
            }
            assert!(!m.contains(id_text), "the PSK identity is logged (only its length may be): {m}");
        }
    }

    /// No message of the engine needs cutting (check_all, plus this).
    fn none_cut(log: &[(u8, String)]) {
        for (_, m) in log {
            assert!(!m.ends_with("..."), "message cut at {LINE_MAX} bytes: {m}");
        }
    }

    fn has(log: &[(u8, String)], level: u8, prefix: &str) -> bool {
        log.iter().any(|(l, m)| *l == level && m.starts_with(prefix))
    }

    fn count(log: &[(u8, String)], prefix: &str) -> usize {
        log.iter().filter(|(_, m)| m.starts_with(prefix)).count()
    }

    #[test]
    fn handshake_log_has_the_milestones_every_drop_and_never_the_psk() {
        let _g = serial();
        assert_eq!(cap::start(NANODTLS_LOG_DEBUG), NANODTLS_OK);
        let mut p = psk_pair(KEY);
        p.handshake();
        assert_eq!((p.c.state(), p.s.state()), (State::Connected, State::Connected));

        // Application data, then a forged copy, a replay and a truncated datagram.
        let mut buf = [0u8; 2048];
        p.c.write(b"hello").unwrap();
        let n = p.c.poll_datagram(p.now, &mut buf).unwrap().unwrap();
        let good = buf[..n].to_vec();
        let mut forged = good.clone();
        *forged.last_mut().unwrap() ^= 0x40;
        p.s.feed(&mut p.se, p.now, &forged).unwrap();
        p.s.feed(&mut p.se, p.now, &good).unwrap();
        assert_eq!(p.s.read(&mut buf).unwrap(), Some(5));
        p.s.feed(&mut p.se, p.now, &good).unwrap();
        p.s.feed(&mut p.se, p.now, &good[..7]).unwrap();
        p.c.close().unwrap();
        p.pump();
        let log = cap::take();
        check_all(&log);
        let text: Vec<String> = log.iter().map(|(l, m)| format!("[{l}] {m}")).collect();
        let all = text.join("\n");

        assert!(
            has(&log, 3, "client: connect: 2 suites offered, session resumption no, server_name 0 bytes, mtu 1280"),
            "{all}"
        );
        assert!(has(&log, 3, "server: ClientHello without a valid cookie (0 bytes): HelloVerifyRequest sent"), "{all}");
        assert!(has(&log, 3, "client: HelloVerifyRequest received (cookie "), "{all}");
        for m in [
            "server: rx ClientHello seq 1 len ",
            "client: rx ServerHello seq 1 len ",
            "client: rx ServerHelloDone seq 2 len 0",
            "server: rx ClientKeyExchange seq 2 len ",
            "server: rx Finished seq 3 len 12",
            "client: rx Finished seq 3 len 12",
            "server: ClientHello: 2 suites, chose TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8), ems yes, server_name 0 bytes",
            "client: ServerHello: TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8), resuming no, ems yes, max_fragment_length code 0",
            "client: flight sent: 1 handshake message(s) in 1 datagram(s) (timer armed)",
            "client: flight sent: 2 handshake message(s) in 1 datagram(s) (timer armed)",
            "server: flight sent: 2 handshake message(s) in 1 datagram(s) (timer armed)",
            "server: flight sent: 1 handshake message(s) in 1 datagram(s)",
        ] {
            assert!(has(&log, 4, m), "missing {m:?} in\n{all}");
        }
        for side in ["client", "server"] {
            let done = format!(
                "{side}: handshake complete: TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8), resumed no, extended master secret yes"
            );
            assert_eq!(log.iter().filter(|(l, m)| *l == 3 && *m == done).count(), 1, "{all}");
        }
        assert!(
            has(&log, 4, "server: drop [dropped_auth] application_data record failed authentication: epoch 1 seq "),
            "{all}"
        );
        assert!(has(&log, 4, "server: drop [dropped_replay] replayed or too old record: epoch 1 seq "), "{all}");
        assert!(has(&log, 4, "server: drop [dropped_malformed] unparsable record in a 7-byte datagram"), "{all}");
        assert!(has(&log, 3, "client: alert sent: warning close_notify (0)"), "{all}");
        assert!(has(&log, 3, "server: alert received: warning close_notify (0)"), "{all}");
        // Every dropped record is logged, once, with its counter.
        assert_eq!(count(&log, "client: drop [") as u32, dropped_total(p.c.stats()), "{all}");
        assert_eq!(count(&log, "server: drop [") as u32, dropped_total(p.s.stats()), "{all}");
        assert!(dropped_total(p.s.stats()) >= 3);
        // A clean run has nothing to warn about.
        assert!(log.iter().all(|(l, _)| *l >= 3), "{all}");
        none_cut(&log);
    }

    /// The longest suite names, a server cache and a resumed handshake.
    #[test]
    #[cfg(feature = "ecc")]
    fn ecdhe_and_resumed_handshakes_are_logged_in_full() {
        use nanodtls::suite;
        let _g = serial();
        assert_eq!(cap::start(NANODTLS_LOG_DEBUG), NANODTLS_OK);
        let mk = |c, s, se| Pair { c, s, ce: TestEnv::new(5), se, now: 0 };
        let mut p = mk(
            ecc_client(Some(1), &[2], suite::ECDHE_ECDSA_AES_128_CCM_8),
            ecc_server(2, &[1], true),
            TestEnv::new(6).with_cache(2),
        );
        p.handshake();
        assert_eq!(p.c.state(), State::Connected);
        let mut blob = vec![0u8; 512];
        let n = p.c.export_session(&mut blob).unwrap();
        let mut c2 = ecc_client(Some(1), &[2], suite::ECDHE_ECDSA_AES_128_CCM_8);
        c2.import_session(&blob[..n]).unwrap();
        let mut q = mk(c2, ecc_server(2, &[1], true), p.se);
        q.handshake();
        assert!(q.c.resumed() && q.s.resumed());
        let log = cap::take();
        check_all(&log);
        none_cut(&log);
        let all = format!("{log:#?}");
        for m in [
            "server: rx Certificate seq 2 len ",
            "server: rx CertificateVerify seq 4 len ",
            "client: rx ServerKeyExchange seq 3 len ",
            "client: rx CertificateRequest seq 4 len ",
        ] {
            assert!(has(&log, 4, m), "missing {m:?} in {all}");
        }
        let full =
            "handshake complete: TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (0xC0AE), resumed no, extended master secret yes";
        let resumed = full.replace("resumed no", "resumed yes");
        for side in ["client", "server"] {
            assert!(has(&log, 3, &format!("{side}: {full}")), "{all}");
            assert!(has(&log, 3, &format!("{side}: {resumed}")), "{all}");
        }
        assert!(has(&log, 3, "client: connect: 1 suites offered, session resumption yes"), "{all}");
        assert!(has(&log, 3, "server: resuming a cached session (TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8)"), "{all}");
    }

    /// A handshake with different keys on both sides: the client's
    /// Finished cannot be authenticated by the server. That is no evidence
    /// (anyone can send such a record), so both sides wait for the deadline;
    /// the server then names the likely cause with bad_record_mac.
    fn wrong_key_run() -> Vec<(u8, String)> {
        let mut p = psk_pair(b"another-key-entirely....");
        p.handshake();
        assert_eq!(p.s.state(), State::Failed);
        assert_eq!(p.s.failure(), Some(Error::Timeout));
        assert_eq!(p.s.last_alert(), nanodtls::AlertInfo { level: 2, description: 20, sent: true });
        assert_eq!(p.c.state(), State::Failed);
        cap::take()
    }

    #[test]
    fn the_level_filter_applies_before_anything_reaches_the_hook() {
        let _g = serial();
        // Warn: a clean handshake with a forged record logs nothing.
        assert_eq!(cap::start(NANODTLS_LOG_WARN), NANODTLS_OK);
        let mut p = psk_pair(KEY);
        p.handshake();
        assert_eq!(p.c.state(), State::Connected);
        let mut buf = [0u8; 2048];
        p.c.write(b"x").unwrap();
        let n = p.c.poll_datagram(p.now, &mut buf).unwrap().unwrap();
        buf[n - 1] ^= 1;
        p.s.feed(&mut p.se, p.now, &buf[..n]).unwrap();
        assert_eq!(p.s.stats().dropped_auth, 1);
        let log = cap::take();
        assert!(log.is_empty(), "{log:?}");

        // Warn: a failing handshake logs its warnings and errors only.
        let log = wrong_key_run();
        check_all(&log);
        let all = format!("{log:#?}");
        assert!(log.iter().all(|(l, _)| *l <= NANODTLS_LOG_WARN), "{all}");
        assert!(has(&log, 2, "server: a Finished record failed authentication: wrong PSK? (or a forgery)"), "{all}");
        assert_eq!(count(&log, "server: a Finished record failed authentication"), 1, "said once: {all}");
        assert!(
            has(
                &log,
                1,
                "server: handshake deadline (120000 ms) passed in ServerWaitFinished; refused: bad_record_mac"
            ),
            "{all}"
        );
        assert!(has(&log, 2, "server: alert sent: fatal bad_record_mac (20)"), "{all}");
        assert!(has(&log, 1, "client: handshake deadline (120000 ms) passed in ClientWaitCcs: giving up"), "{all}");

        // Error: only the failures.
        assert_eq!(cap::start(NANODTLS_LOG_ERROR), NANODTLS_OK);
        let log = wrong_key_run();
        check_all(&log);
        assert!(!log.is_empty() && log.iter().all(|(l, _)| *l == NANODTLS_LOG_ERROR), "{log:#?}");

        // Debug: the same run shows the dropped records and the retransmission.
        assert_eq!(cap::start(NANODTLS_LOG_DEBUG), NANODTLS_OK);
        let log = wrong_key_run();
        check_all(&log);
        let all = format!("{log:#?}");
        assert!(has(&log, 4, "server: drop [dropped_auth] handshake record failed authentication: epoch 1"), "{all}");
        assert!(
            has(&log, 3, "client: timeout in ClientWaitCcs: retransmitting flight (retransmission 1), next"),
            "{all}"
        );
    }

    #[test]
    fn a_peer_that_silently_drops_our_finished_gets_a_wrong_psk_hint() {
        // Reported: against OpenSSL with a wrong PSK (it drops the Finished
        // it cannot decrypt, without an alert) the client waited for its
        // deadline with no hint. Our server behaves the same way here.
        let _g = serial();
        assert_eq!(cap::start(NANODTLS_LOG_WARN), NANODTLS_OK);
        let log = wrong_key_run();
        check_all(&log);
        let all = format!("{log:#?}");
        let hint = "client: no answer to our Finished, sent twice: wrong PSK? (the peer may drop it silently)";
        assert_eq!(log.iter().filter(|(l, m)| *l == NANODTLS_LOG_WARN && m == hint).count(), 1, "once: {all}");
        // Right after the first retransmission went unanswered (1 s + 2 s),
        // long before the deadline.
        assert_eq!(cap::start(NANODTLS_LOG_DEBUG), NANODTLS_OK);
        let log = wrong_key_run();
        let at = log.iter().position(|(_, m)| m == hint).unwrap();
        assert!(log[..at].iter().any(|(_, m)| m.contains("retransmitting flight (retransmission 2)")), "{log:#?}");
        assert!(!log[..at].iter().any(|(_, m)| m.contains("retransmission 3")), "{log:#?}");
        // One lost Finished flight that the retransmission repairs: no hint.
        assert_eq!(cap::start(NANODTLS_LOG_WARN), NANODTLS_OK);
        let mut p = psk_pair(KEY);
        p.c.log_to_hook();
        p.s.log_to_hook();
        p.c.connect(&mut p.ce, p.now).unwrap();
        let mut buf = [0u8; 2048];
        for _ in 0..2 {
            p.pump_once(&mut buf);
        }
        while p.c.poll_datagram(p.now, &mut buf).unwrap().is_some() {} // flight 5 lost
        p.now += p.c.timeout_ms(p.now).unwrap();
        p.c.handle_timeout(p.now).unwrap();
        p.pump();
        assert_eq!((p.c.state(), p.s.state()), (State::Connected, State::Connected));
        assert_eq!(p.c.stats().retransmits, 1);
        let log = cap::take();
        assert!(log.is_empty(), "{log:#?}");
    }

    #[test]
    fn a_null_hook_or_level_zero_turns_logging_off_and_bad_levels_change_nothing() {
        let _g = serial();
        let run = || {
            let mut p = psk_pair(KEY);
            p.handshake();
            assert_eq!(p.c.state(), State::Connected);
        };
        assert_eq!(cap::start(NANODTLS_LOG_DEBUG), NANODTLS_OK);
        assert_eq!(nanodtls_set_log_hook(None, std::ptr::null_mut(), NANODTLS_LOG_DEBUG), NANODTLS_OK);
        run();
        assert!(cap::take().is_empty());

        assert_eq!(cap::start(0), NANODTLS_OK);
        run();
        assert!(cap::take().is_empty());

        // Out-of-range levels are refused and leave the hook as it was.
        assert_eq!(cap::start(NANODTLS_LOG_DEBUG), NANODTLS_OK);
        assert_eq!(cap::start(5), NANODTLS_E_INVALID_ARG);
        assert_eq!(nanodtls_set_log_hook(None, std::ptr::null_mut(), 255), NANODTLS_E_INVALID_ARG);
        run();
        let log = cap::take();
        check_all(&log);
        assert!(has(&log, 3, "client: handshake complete"), "{log:#?}");
    }

    #[test]
    fn long_messages_are_cut_and_never_panic() {
        let _g = serial();
        assert_eq!(cap::start(NANODTLS_LOG_DEBUG), NANODTLS_OK);
        cap::emit(LogLevel::Info, &"z".repeat(10_000));
        cap::emit(LogLevel::Debug, &"\u{e9}".repeat(500));
        cap::emit(LogLevel::Error, "");
        cap::emit(LogLevel::Warn, &"w".repeat(LINE_MAX));
        let log = cap::take();
        assert!(cap::bad_calls().is_empty(), "{:?}", cap::bad_calls());
        assert_eq!(log.len(), 4);
        assert_eq!(log[0].0, 3);
        assert_eq!(log[0].1, format!("{}...", "z".repeat(LINE_MAX - 3)));
        assert!(log[1].1.len() <= LINE_MAX && log[1].1.len() > LINE_MAX - 4 && log[1].1.ends_with("..."));
        assert_eq!(log[2], (1, String::new()));
        assert_eq!(log[3], (2, "w".repeat(LINE_MAX)));

        assert_eq!(cap::start(NANODTLS_LOG_WARN), NANODTLS_OK);
        cap::emit(LogLevel::Debug, "hidden");
        cap::emit(LogLevel::Info, "hidden");
        cap::emit(LogLevel::Warn, "shown");
        assert_eq!(cap::take(), vec![(2, "shown".to_string())]);
    }

    #[test]
    fn endpoint_logs_cookie_exchange_slots_and_reclaiming() {
        let _g = serial();
        assert_eq!(cap::start(NANODTLS_LOG_DEBUG), NANODTLS_OK);
        let client = |seed| {
            let mut c = new_conn(&client_config());
            c.set_psk(PSK_ID, &PSK).unwrap();
            (c, TestEnv::new(seed))
        };
        let (c, ce) = client(10);
        let mut p = Pair { c, s: EndpointParty::new(&server_config(), 1), ce, se: TestEnv::new(11), now: 0 };
        p.handshake();
        assert_eq!(p.c.state(), State::Connected);
        // A second client while the only slot is busy: dropped.
        let (c2, ce2) = client(12);
        let ep = p.s;
        let mut q =
            Pair { c: c2, s: EndpointParty { addr: b"10.0.0.2:5684".to_vec(), ..ep }, ce: ce2, se: p.se, now: 0 };
        q.c.log_to_hook();
        q.c.connect(&mut q.ce, 0).unwrap();
        q.pump();
        // The first peer closes; the second one's retransmission gets its slot.
        q.s.ep.close_peer(&mut q.s.slots, b"10.0.0.1:5684").unwrap();
        q.s.poll_to(0, &mut [0u8; 2048], &mut [0u8; 64]).unwrap();
        q.now += 1000;
        q.c.handle_timeout(q.now).unwrap();
        q.pump();
        assert_eq!(q.c.state(), State::Connected);

        let log = cap::take();
        check_all(&log);
        let all = format!("{log:#?}");
        assert!(
            has(&log, 4, "server: endpoint: ClientHello without a valid cookie (0 bytes) from a 13-byte address: "),
            "{all}"
        );
        assert!(has(&log, 3, "server: endpoint: peer slot 0 allocated (13-byte address)"), "{all}");
        assert!(
            has(&log, 2, "server: endpoint: drop [dropped_no_slot] ClientHello: all 1 peer slots are busy"),
            "{all}"
        );
        assert!(has(&log, 3, "server: endpoint: reclaiming peer slot 0 (closed or failed)"), "{all}");
        assert_eq!(count(&log, "server: handshake complete"), 2, "{all}");
        assert_eq!(count(&log, "client: handshake complete"), 2, "{all}");
    }
}

#[cfg(not(feature = "log"))]
#[test]
fn set_log_hook_is_unsupported_without_the_log_feature() {
    use nanodtls::ffi::{nanodtls_set_log_hook, NANODTLS_E_INVALID_ARG, NANODTLS_E_UNSUPPORTED};
    assert_eq!(nanodtls_set_log_hook(None, std::ptr::null_mut(), 4), NANODTLS_E_UNSUPPORTED);
    assert_eq!(nanodtls_set_log_hook(None, std::ptr::null_mut(), 0), NANODTLS_E_UNSUPPORTED);
    assert_eq!(nanodtls_set_log_hook(None, std::ptr::null_mut(), 5), NANODTLS_E_INVALID_ARG);
}
