//! Cryptographic building blocks: transcript hash, TLS 1.2 PRF, AEAD.
//!
//! SHA-256 and AES-128 are the crate's own compact implementations
//! ([`sha256`], [`aes`]: constant-time, bitsliced); P-256's field and
//! scalar arithmetic come from RustCrypto (`p256`), its group operations,
//! scalar multiplications and ECDSA are ours (`ec_point`, [`ecc`]). On top: the TLS-specific
//! constructions (HMAC/PRF, CCM with interleaved MAC and keystream blocks).
//! Secret temporaries are zeroized when done.

pub mod aead;
pub mod aes;
#[cfg(feature = "aes-tables")]
pub mod aes_tables;
#[cfg(feature = "ecc")]
mod ec_gtable;
#[cfg(feature = "ecc")]
pub(crate) mod ec_point;
#[cfg(feature = "ecc")]
pub mod ecc;
#[cfg(feature = "aes-hook")]
pub mod hook;
pub mod prf;
#[cfg(feature = "cert-url")]
pub mod sha1;
pub mod sha256;

use subtle::ConstantTimeEq;

/// XOR `src` into the front of `dst` (as far as the shorter reaches), a
/// word at a time.
pub(crate) fn xor_into(dst: &mut [u8], src: &[u8]) {
    let n = dst.len().min(src.len());
    let (Some(dst), Some(src)) = (dst.get_mut(..n), src.get(..n)) else {
        return;
    };
    let mut d = dst.chunks_exact_mut(4);
    let mut s = src.chunks_exact(4);
    for (x, y) in (&mut d).zip(&mut s) {
        if let (Some(x), Some(y)) = (x.first_chunk_mut::<4>(), y.first_chunk::<4>()) {
            *x = (u32::from_ne_bytes(*x) ^ u32::from_ne_bytes(*y)).to_ne_bytes();
        }
    }
    for (x, y) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *x ^= *y;
    }
}

/// Constant-time equality of two byte strings (lengths are public).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn xor_into_every_length_and_alignment() {
        let src: std::vec::Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37) ^ 0xa5).collect();
        for off in 0..4 {
            for dl in 0..36 {
                for sl in 0..36 {
                    let mut dst: std::vec::Vec<u8> = (0..40u8).collect();
                    let mut want = dst.clone();
                    for i in 0..dl.min(sl) {
                        want[off + i] ^= src[off + i];
                    }
                    super::xor_into(&mut dst[off..off + dl], &src[off..off + sl]);
                    assert_eq!(dst, want, "off {off} dst {dl} src {sl}");
                }
            }
        }
    }
}
