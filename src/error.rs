//! Error values of the Rust core and their C status codes.

/// Everything that can go wrong. The discriminant is the C status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Error {
    /// A required pointer was NULL (C API only).
    Null = -1,
    /// An argument is out of range (length, enum value, configuration).
    InvalidArgument = -2,
    /// The output buffer cannot hold the result; nothing was written.
    BufferTooSmall = -3,
    /// The call is not allowed in the connection's current state.
    WrongState = -4,
    /// The context was never initialised, or was deinitialised.
    NotInitialized = -5,
    /// The size passed for the context does not match the library's.
    ContextSize = -6,
    /// A callback called back into the same context.
    Reentrant = -7,
    /// Busy: the operation cannot start now (e.g. a heartbeat request is
    /// still outstanding); retry later.
    WouldBlock = -9,
    /// The RNG callback failed; the handshake is abandoned.
    Rng = -10,
    /// The handshake deadline passed.
    Timeout = -11,
    /// The peer sent a fatal alert; see last_alert.
    AlertReceived = -12,
    /// We aborted the handshake or connection and sent a fatal alert; see last_alert.
    AlertSent = -13,
    /// The connection was closed with close_notify.
    Closed = -14,
    /// No credentials configured for the requested handshake.
    NoCredentials = -15,
    /// Application data larger than one record allows.
    TooLarge = -16,
    /// Malformed input (internal; surfaces as a dropped record or a decode_error alert).
    Decode = -17,
    /// An internal invariant failed (a bug; reported, never a panic).
    Internal = -18,
    /// The feature is not compiled into this build.
    Unsupported = -19,
    /// A server endpoint has no free peer slot.
    NoSlot = -20,
    /// The peer address is unknown to the endpoint.
    UnknownPeer = -21,
    /// The AES/CCM hook (feature `aes-hook`) reported a failure: the
    /// connection failed closed (internal_error alert where one could still
    /// be sent); nothing fell back to the built-in AES.
    Crypto = -22,
}

impl Error {
    /// The C status code.
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// A short static description as a C string (the text of `nanodtls_status_str`).
    pub const fn as_cstr(self) -> &'static core::ffi::CStr {
        match self {
            Error::Null => c"NULL pointer argument",
            Error::InvalidArgument => c"invalid argument",
            Error::BufferTooSmall => c"output buffer too small",
            Error::WrongState => c"not allowed in the current state",
            Error::NotInitialized => c"context not initialised",
            Error::ContextSize => c"context size mismatch (header and library disagree)",
            Error::Reentrant => c"re-entrant call from a callback",
            Error::WouldBlock => c"busy: retry later (e.g. a heartbeat is outstanding)",
            Error::Rng => c"random number generator failed",
            Error::Timeout => c"handshake timed out",
            Error::AlertReceived => c"fatal alert received from peer",
            Error::AlertSent => c"handshake failed: fatal alert sent",
            Error::Closed => c"connection closed",
            Error::NoCredentials => c"no credentials configured",
            Error::TooLarge => c"data too large for one record",
            Error::Decode => c"malformed message",
            Error::Internal => c"internal error",
            Error::Unsupported => c"not supported by this build",
            Error::NoSlot => c"no free peer slot",
            Error::UnknownPeer => c"unknown peer",
            Error::Crypto => c"AES/CCM hook failed",
        }
    }

    /// A short static description.
    pub fn as_str(self) -> &'static str {
        self.as_cstr().to_str().unwrap_or("")
    }

    /// Map a C status code back to an error (None for OK/DONE or unknown codes).
    pub const fn from_code(code: i32) -> Option<Error> {
        Some(match code {
            -1 => Error::Null,
            -2 => Error::InvalidArgument,
            -3 => Error::BufferTooSmall,
            -4 => Error::WrongState,
            -5 => Error::NotInitialized,
            -6 => Error::ContextSize,
            -7 => Error::Reentrant,
            -9 => Error::WouldBlock,
            -10 => Error::Rng,
            -11 => Error::Timeout,
            -12 => Error::AlertReceived,
            -13 => Error::AlertSent,
            -14 => Error::Closed,
            -15 => Error::NoCredentials,
            -16 => Error::TooLarge,
            -17 => Error::Decode,
            -18 => Error::Internal,
            -19 => Error::Unsupported,
            -20 => Error::NoSlot,
            -21 => Error::UnknownPeer,
            -22 => Error::Crypto,
            _ => return None,
        })
    }
}

/// A fatal handshake error: the alert to send and the status to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fatal {
    /// The alert to send (crate::alert::NO_ALERT for none).
    pub alert: u8,
    /// The status to report.
    pub err: Error,
}

impl Fatal {
    /// Our verdict on something the peer sent (answered with `alert`).
    pub(crate) const fn alert(alert: u8) -> Fatal {
        Fatal { alert, err: Error::AlertSent }
    }
    pub(crate) const fn decode() -> Fatal {
        Fatal::alert(crate::alert::DECODE_ERROR)
    }
    pub(crate) const fn unexpected() -> Fatal {
        Fatal::alert(crate::alert::UNEXPECTED_MESSAGE)
    }
    pub(crate) const fn internal(err: Error) -> Fatal {
        Fatal { alert: crate::alert::INTERNAL_ERROR, err }
    }
    /// Fail without sending any alert (nothing was sent to the peer yet,
    /// or the peer is gone).
    pub(crate) const fn silent(err: Error) -> Fatal {
        Fatal { alert: crate::alert::NO_ALERT, err }
    }
    /// True if this is a verdict on the peer's message ([`Fatal::alert`]),
    /// as opposed to a failure of our own (RNG, buffers, a bug). In epoch 0
    /// a verdict rejects the message without ending the handshake (see
    /// `Core::reject`); a failure of our own always ends it.
    pub(crate) fn is_rejection(&self) -> bool {
        self.err == Error::AlertSent
    }
}

impl From<Error> for Fatal {
    fn from(e: Error) -> Fatal {
        match e {
            Error::Decode => Fatal::decode(),
            other => Fatal::internal(other),
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in (-22..=-1).filter(|&c| c != -8) {
            let e = Error::from_code(c).unwrap();
            assert_eq!(e.code(), c);
            assert!(!e.as_str().is_empty());
        }
        assert_eq!(Error::from_code(0), None);
        // -8 was NANODTLS_E_READ_PENDING (no receive queue any more): never reused.
        assert_eq!(Error::from_code(-8), None);
        assert_eq!(Error::from_code(-23), None);
    }
}
