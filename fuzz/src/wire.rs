//! Input (a cursor over the fuzzer's bytes) and hand-made records, fragments and application payloads.

/// A cursor over the fuzzer's bytes; reads past the end give `None`.
pub struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    /// Wrap `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data, pos: 0 }
    }
    /// True when everything was consumed.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }
    /// One byte.
    pub fn u8(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }
    /// Big-endian u16.
    pub fn u16(&mut self) -> Option<u16> {
        Some(u16::from(self.u8()?) << 8 | u16::from(self.u8()?))
    }
    /// Up to `n` bytes (fewer at the end of the input).
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let end = self.pos.saturating_add(n).min(self.data.len());
        let s = &self.data[self.pos..end];
        self.pos = end;
        s
    }
    /// A u16-length-prefixed byte string.
    pub fn blob16(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(self.u16()?);
        Some(self.bytes(n))
    }
    /// The rest.
    pub fn rest(&mut self) -> &'a [u8] {
        self.bytes(usize::MAX)
    }
}

/// A record with a DTLS 1.2 header around `payload`.
pub fn make_record(ctype: u8, epoch: u16, seq: u64, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(13 + payload.len());
    v.push(ctype);
    v.extend_from_slice(&[0xfe, 0xfd]);
    v.extend_from_slice(&epoch.to_be_bytes());
    v.extend_from_slice(&seq.to_be_bytes()[2..]);
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// A handshake fragment (header + data).
pub fn make_fragment(msg_type: u8, length: u32, seq: u16, off: u32, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(12 + data.len());
    v.push(msg_type);
    v.extend_from_slice(&length.to_be_bytes()[1..]);
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&off.to_be_bytes()[1..]);
    v.extend_from_slice(&(data.len() as u32).to_be_bytes()[1..]);
    v.extend_from_slice(data);
    v
}

/// Application payload number `id` of `len` bytes (>= 4): tagged so a
/// reader can tell which write it came from and that it is intact.
pub fn app_payload(from_client: bool, id: u32, len: usize) -> Vec<u8> {
    let len = len.max(6);
    let mut v = Vec::with_capacity(len);
    v.push(if from_client { 0xC1 } else { 0x5E });
    v.extend_from_slice(&id.to_be_bytes()[1..]);
    v.extend_from_slice(&(len as u16).to_be_bytes());
    let mut x = id.wrapping_mul(2_654_435_761) | 1;
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.push(x as u8);
    }
    v
}

/// Decode and verify an [`app_payload`]: its id if intact.
pub fn check_app_payload(from_client: bool, data: &[u8]) -> Option<u32> {
    if data.len() < 6 || data[0] != if from_client { 0xC1 } else { 0x5E } {
        return None;
    }
    let id = u32::from_be_bytes([0, data[1], data[2], data[3]]);
    (app_payload(from_client, id, data.len()) == data).then_some(id)
}
