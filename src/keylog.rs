//! The NSS key log (cargo feature `keylog`): for each handshake, full or
//! resumed, one line `CLIENT_RANDOM <client random hex> <master secret
//! hex>` handed to the application, which writes it to a file that
//! Wireshark / tshark read (`-o tls.keylog_file:FILE`) to decrypt a
//! capture. The format is NSS's (and OpenSSL's `SSL_CTX_set_keylog_callback`,
//! GnuTLS's `SSLKEYLOGFILE`): lowercase hex, one space between the fields,
//! no line terminator in the line itself.
//!
//! A connection or endpoint carries its sink (a plain function, set with
//! `Connection::set_keylog_sink` / `Endpoint::set_keylog_sink`; the C
//! boundary sets one on every context that calls the hook of
//! `nanodtls_set_keylog_hook`). The line is built on the stack when the
//! traffic keys are installed (after ClientKeyExchange in a full
//! handshake, after ServerHello in a resumed one), handed to the sink and
//! wiped.
//!
//! The line holds the master secret: whoever has it reads every record
//! of that connection (and of its resumptions). Firmware profiles leave
//! the feature out; a debug build only.

use zeroize::Zeroize;

use crate::keys::MASTER_LEN;

/// `CLIENT_RANDOM`, one space.
const LABEL: &[u8] = b"CLIENT_RANDOM ";

/// Length of a key log line: the label, 64 hex digits of the client
/// random, a space, 96 hex digits of the master secret (no newline).
pub const LINE_LEN: usize = LABEL.len() + 2 * 32 + 1 + 2 * MASTER_LEN;

/// Where a connection's key log lines go: a function of the application
/// (`None`: no key log, the default), given each line by value. A plain
/// function pointer, so it can
/// live in caller-provided zeroed memory (`None` is all zeroes).
pub type KeyLogSink = Option<fn(KeyLogLine)>;

/// One key log line: [`LINE_LEN`] bytes of ASCII, given to the sink by
/// value and wiped when dropped (it holds the master secret).
pub struct KeyLogLine {
    bytes: [u8; LINE_LEN],
}

impl KeyLogLine {
    /// The line for a connection with this client random and master secret.
    pub fn new(client_random: &[u8; 32], master: &[u8; MASTER_LEN]) -> KeyLogLine {
        let mut bytes = [b' '; LINE_LEN];
        let (label, rest) = bytes.split_at_mut(LABEL.len());
        label.copy_from_slice(LABEL);
        let (random, rest) = rest.split_at_mut(64);
        hex(client_random, random);
        // rest[0] stays the space.
        hex(master, rest.get_mut(1..).unwrap_or(&mut []));
        KeyLogLine { bytes }
    }

    /// The line's bytes (ASCII, no newline).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The line as text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes).unwrap_or("")
    }
}

impl Drop for KeyLogLine {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

/// The lowercase hex digit of `n` (0..16), without a branch or table
/// lookup on the (secret) value.
fn digit(n: u8) -> u8 {
    b'0' + n + (9u8.wrapping_sub(n) >> 7) * 39
}

/// Lowercase hex of `src` into `dst` (2 digits per byte, as far as `dst` goes).
fn hex(src: &[u8], dst: &mut [u8]) {
    for (b, pair) in src.iter().zip(dst.chunks_exact_mut(2)) {
        if let [hi, lo] = pair {
            *hi = digit(b >> 4);
            *lo = digit(b & 15);
        }
    }
}

/// Hand the line of these secrets to `sink`, if one is set.
pub(crate) fn emit(sink: KeyLogSink, client_random: &[u8; 32], master: &[u8; MASTER_LEN]) {
    if let Some(f) = sink {
        f(KeyLogLine::new(client_random, master));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_format() {
        let mut cr = [0u8; 32];
        for (i, b) in cr.iter_mut().enumerate() {
            *b = i as u8 * 8;
        }
        let ms = [0xA5; MASTER_LEN];
        let line = KeyLogLine::new(&cr, &ms);
        let want = std::format!(
            "CLIENT_RANDOM {} {}",
            cr.iter().map(|b| std::format!("{b:02x}")).collect::<std::string::String>(),
            "a5".repeat(MASTER_LEN)
        );
        assert_eq!(line.as_str(), want);
        assert_eq!(line.as_bytes().len(), 175);
    }
}
