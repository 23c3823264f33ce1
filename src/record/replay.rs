//! Anti-replay window (RFC 6347 section 4.1.2.6).

use zerocopy::FromZeros;

/// Sliding anti-replay window of 64 records (RFC 6347 section 4.1.2.6).
#[derive(Clone, Copy, Debug, Default, FromZeros)]
#[repr(C)]
pub struct ReplayWindow {
    /// Highest sequence number accepted so far.
    top: u64,
    /// Bit i set = sequence `top - i` seen.
    bits: u64,
    /// False until the first record was accepted.
    any: bool,
}

impl ReplayWindow {
    /// True if `seq` has not been seen and is not too old.
    pub fn is_fresh(&self, seq: u64) -> bool {
        if !self.any || seq > self.top {
            return true;
        }
        let age = self.top - seq;
        age < 64 && self.bits & (1u64 << age) == 0
    }

    /// True if `seq` is above every sequence number accepted so far (RFC
    /// 9146 section 6: only such a record may move the peer's address).
    pub fn is_newest(&self, seq: u64) -> bool {
        !self.any || seq > self.top
    }

    /// Mark `seq` as seen. Call only after the record authenticated.
    pub fn mark(&mut self, seq: u64) {
        if !self.any {
            self.any = true;
            self.top = seq;
            self.bits = 1;
        } else if seq > self.top {
            let shift = seq - self.top;
            self.bits = if shift >= 64 { 0 } else { self.bits << shift };
            self.bits |= 1;
            self.top = seq;
        } else {
            let age = self.top - seq;
            if age < 64 {
                self.bits |= 1u64 << age;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_window_basics() {
        let mut w = ReplayWindow::default();
        assert!(w.is_fresh(5));
        w.mark(5);
        assert!(!w.is_fresh(5));
        assert!(w.is_fresh(4));
        w.mark(100);
        assert!(!w.is_fresh(5), "too old");
        assert!(w.is_fresh(99));
        assert!(w.is_fresh(37));
        assert!(!w.is_fresh(36), "exactly 64 behind is outside the window");
        w.mark(99);
        assert!(!w.is_fresh(99));
        w.mark(100 + 200);
        assert!(!w.is_fresh(100));
        assert!(w.is_fresh(299));
    }
}
