//! Optional debug log for handshakes (cargo feature `log`).
//!
//! Log points in the engine use the crate-internal macro `nd_log!`, which
//! names the [`LogSink`] of the connection or endpoint that logs:
//!
//! ```ignore
//! nd_log!(self.log => Debug, "{}: rx {} seq {}", crate::log::role(self.cfg.role), crate::handshake::msg::name(t), seq);
//! nd_drop!(c, dropped_replay, "epoch {} seq {}", epoch, seq); // count + log a dropped record (c.log)
//! ```
//!
//! Each connection and endpoint carries its sink (a plain function of the
//! application, set with `Connection::set_log_sink` / `Endpoint::set_log_sink`;
//! the C boundary sets one on every context that calls the hook of
//! `nanodtls_set_log_hook`), so the engine never depends on the C ABI and
//! needs no global function pointer. The level is global
//! ([`set_max_level`]).
//!
//! Helpers used only in log arguments (`role`, `msg_name`, ...) exist only
//! with the feature: arguments of a compiled-out log point are discarded
//! unexpanded, so they may name them, and a value computed only for a log
//! point belongs inside its arguments (never in a `let` before it, which
//! would be an unused variable without the feature).
//!
//! With the `log` feature the macro first compares the level with the
//! global maximum (one atomic load; 0 = off, the default) and checks that a
//! sink is set, and only then formats the message into a [`LINE_MAX`]-byte
//! [`LogLine`] on the stack (longer messages are cut and end in "...") and
//! hands it to the sink.
//! Without the feature the macro expands to `()`: its arguments are not
//! evaluated (so they must not have side effects the engine relies on) and
//! no `core::fmt` code is linked.
//!
//! Rules for log points: never log secrets (keys, PSKs, premaster and
//! master secrets, key blocks, Finished verify_data, cookie secrets);
//! PSK identities and server names only by their length. Prefix the
//! message with the role ("client: ..." / "server: ...") when it is known.

/// Severity of a log message (the `level` argument of the C log hook).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum LogLevel {
    /// The connection failed.
    Error = 1,
    /// A fatal alert was sent or received, or something the peer did is
    /// likely to make the handshake fail.
    Warn = 2,
    /// Milestones: connect, handshake complete, retransmissions, close_notify.
    Info = 3,
    /// Every handshake message, flight and dropped record.
    Debug = 4,
}

/// Longest message handed to the hook, in bytes.
pub const LINE_MAX: usize = 120;

/// Log a message at a level to a sink: `nd_log!(self.log => Info, "client:
/// connect, {} suites", n)`, or at a level computed at run time:
/// `nd_log!(self.log => level = expr, "...", ...)`. Compiles to nothing
/// without the `log` feature.
#[cfg(feature = "log")]
macro_rules! nd_log {
    ($sink:expr => level = $level:expr, $($arg:tt)+) => {{
        let level: $crate::log::LogLevel = $level;
        if let Some(sink) = $crate::log::active($sink, level) {
            $crate::log::emit(sink, level, format_args!($($arg)+))
        }
    }};
    ($sink:expr => $level:ident, $($arg:tt)+) => {
        if let Some(sink) = $crate::log::active($sink, $crate::log::LogLevel::$level) {
            $crate::log::emit(sink, $crate::log::LogLevel::$level, format_args!($($arg)+))
        }
    };
}

/// Log a message at a level (compiled out: the `log` feature is off; the
/// arguments are not evaluated).
#[cfg(not(feature = "log"))]
macro_rules! nd_log {
    ($($arg:tt)+) => {
        ()
    };
}

/// Count a dropped record, fragment or message in `$core.stats.$counter`
/// (a `dropped_*` field of [`crate::Stats`]) and log why at Debug level to
/// `$core.log`: `nd_drop!(c, dropped_replay, "epoch {} seq {}", epoch, seq)`.
macro_rules! nd_drop {
    ($core:expr, $counter:ident, $($arg:tt)+) => {{
        $core.stats.$counter = $core.stats.$counter.saturating_add(1);
        nd_log!(
            $core.log => Debug,
            "{}: drop [{}] {}",
            $crate::log::role($core.cfg.role),
            stringify!($counter),
            format_args!($($arg)+)
        )
    }};
}

#[cfg(feature = "log")]
pub(crate) use enabled_impl::*;
#[cfg(feature = "log")]
pub use enabled_impl::{set_max_level, LogLine, LogSink};

#[cfg(feature = "log")]
mod enabled_impl {
    use core::fmt::{self, Write};
    use core::sync::atomic::{AtomicU8, Ordering};

    use super::{LogLevel, LINE_MAX};
    use crate::config::Role;

    /// Most verbose level passed to the hook; 0 = logging off. Only
    /// load/store are used (thumbv6m has no compare-and-swap).
    static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);

    /// Where the messages of one connection or endpoint go: a function
    /// of the application that gets the level and the formatted message
    /// (`None`: not logged). A plain function pointer, so it can live in
    /// caller-provided zeroed memory (`None` is all zeroes).
    pub type LogSink = Option<fn(LogLevel, LogLine)>;

    /// Set the most verbose level that is logged, for every connection
    /// and endpoint (0 = off, the default; 1 Error .. 4 Debug).
    pub fn set_max_level(level: u8) {
        MAX_LEVEL.store(level, Ordering::Release);
    }

    /// True if messages of `level` are logged (checked before formatting).
    #[inline]
    pub(crate) fn enabled(level: LogLevel) -> bool {
        level as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
    }

    /// The sink to format a message of `level` for, if it is logged.
    #[inline]
    pub(crate) fn active(sink: LogSink, level: LogLevel) -> LogSink {
        if enabled(level) {
            sink
        } else {
            None
        }
    }

    /// One formatted message: at most [`LINE_MAX`] bytes of UTF-8 text kept
    /// in a fixed buffer ([`LogLine::as_bytes`], [`LogLine::as_str`]).
    #[derive(Clone, Copy)]
    pub struct LogLine {
        buf: [u8; LINE_MAX],
        len: usize,
        truncated: bool,
    }

    impl LogLine {
        pub(crate) const fn new() -> LogLine {
            LogLine { buf: [0; LINE_MAX], len: 0, truncated: false }
        }

        /// The message: valid UTF-8, at most LINE_MAX bytes; a cut message
        /// ends in "...".
        pub fn as_bytes(&self) -> &[u8] {
            self.buf.get(..self.len).unwrap_or(&[])
        }

        /// The message as text.
        pub fn as_str(&self) -> &str {
            core::str::from_utf8(self.as_bytes()).unwrap_or("")
        }

        /// Replace the end of a cut message with "..." (on a character
        /// boundary, so the result stays valid UTF-8).
        fn mark_truncated(&mut self) {
            const DOTS: &[u8] = b"...";
            let Ok(text) = core::str::from_utf8(self.as_bytes()) else { return };
            let mut at = self.len.saturating_sub(DOTS.len());
            while at > 0 && !text.is_char_boundary(at) {
                at -= 1;
            }
            if let Some(dst) = self.buf.get_mut(at..at + DOTS.len()) {
                dst.copy_from_slice(DOTS);
                self.len = at + DOTS.len();
            }
        }
    }

    impl Write for LogLine {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            if self.truncated {
                return Err(fmt::Error);
            }
            let room = LINE_MAX.saturating_sub(self.len);
            let mut n = s.len().min(room);
            while n > 0 && !s.is_char_boundary(n) {
                n -= 1;
            }
            if let (Some(dst), Some(src)) = (self.buf.get_mut(self.len..self.len + n), s.as_bytes().get(..n)) {
                dst.copy_from_slice(src);
                self.len += n;
            }
            if n < s.len() {
                // Stop formatting: the rest would not fit either.
                self.truncated = true;
                self.mark_truncated();
                return Err(fmt::Error);
            }
            Ok(())
        }
    }

    /// Format `args` on the stack and pass the message to `sink`.
    /// Never panics: a message that does not fit is cut.
    #[cold]
    #[inline(never)]
    pub(crate) fn emit(sink: fn(LogLevel, LogLine), level: LogLevel, args: fmt::Arguments<'_>) {
        let mut line = LogLine::new();
        // An error only means the message was cut.
        let _ = line.write_fmt(args);
        sink(level, line);
    }

    /// "client" or "server".
    pub(crate) fn role(r: Role) -> &'static str {
        match r {
            Role::Client => "client",
            Role::Server => "server",
        }
    }

    /// "yes" or "no".
    pub(crate) fn yes(b: bool) -> &'static str {
        if b {
            "yes"
        } else {
            "no"
        }
    }

    /// Name of an alert description ("decrypt_error").
    pub(crate) fn alert_name(description: u8) -> &'static str {
        crate::alert::name(description).to_str().unwrap_or("unknown_alert")
    }

    /// The log level of an alert sent or received: Warn for fatal alerts,
    /// Info for close_notify and other warnings.
    pub(crate) fn alert_severity(level: u8) -> LogLevel {
        if level == crate::alert::FATAL {
            LogLevel::Warn
        } else {
            LogLevel::Info
        }
    }

    /// Why a connection failed: "fatal alert decode_error sent", "random
    /// number generator failed, fatal alert internal_error sent", or the
    /// error alone when no alert is sent.
    pub(crate) struct Failure {
        pub err: crate::error::Error,
        pub alert: u8,
    }

    impl fmt::Display for Failure {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            use crate::error::Error;
            match (self.err, self.alert) {
                (err, crate::alert::NO_ALERT) => f.write_str(err.as_str()),
                (Error::AlertSent, a) => write!(f, "fatal alert {} sent", alert_name(a)),
                (err, a) => write!(f, "{}, fatal alert {} sent", err.as_str(), alert_name(a)),
            }
        }
    }

    /// "warning" / "fatal" for an alert level.
    pub(crate) fn alert_level(level: u8) -> &'static str {
        match level {
            crate::alert::WARNING => "warning",
            crate::alert::FATAL => "fatal",
            _ => "unknown-level",
        }
    }
}

#[cfg(all(test, feature = "log"))]
mod tests {
    use core::fmt::Write;

    use super::*;

    fn format(args: core::fmt::Arguments<'_>) -> std::vec::Vec<u8> {
        let mut l = LogLine::new();
        let _ = l.write_fmt(args);
        l.as_bytes().to_vec()
    }

    #[test]
    fn short_messages_are_kept_whole() {
        assert_eq!(format(format_args!("client: rx {} seq {}", "Finished", 5)), b"client: rx Finished seq 5");
        assert_eq!(format(format_args!("")), b"");
        let exact = "x".repeat(LINE_MAX);
        assert_eq!(format(format_args!("{exact}")), exact.as_bytes());
    }

    #[test]
    fn long_messages_are_cut_without_panicking() {
        let long = "y".repeat(10 * LINE_MAX);
        let got = format(format_args!("start {} {} end", long, 42));
        assert_eq!(got.len(), LINE_MAX);
        assert!(got.starts_with(b"start yyy") && got.ends_with(b"y..."));
        // Many small pieces after the buffer is full.
        let mut l = LogLine::new();
        for i in 0..1000 {
            let _ = write!(l, "{i},");
        }
        assert_eq!(l.as_bytes().len(), LINE_MAX);
        assert!(l.as_bytes().ends_with(b"..."));
        // Multi-byte characters are never split: the result stays UTF-8.
        for pad in 0..4 {
            let s = format!("{}{}", "a".repeat(pad), "\u{20ac}".repeat(LINE_MAX));
            let got = format(format_args!("{s}"));
            assert!(got.len() <= LINE_MAX && got.len() >= LINE_MAX - 5, "{}", got.len());
            let text = core::str::from_utf8(&got).unwrap();
            assert!(text.ends_with("..."));
        }
    }

    #[test]
    fn level_order() {
        assert!(LogLevel::Error < LogLevel::Warn && LogLevel::Info < LogLevel::Debug);
    }
}
