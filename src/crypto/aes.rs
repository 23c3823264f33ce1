//! AES-128 encryption (FIPS 197), the only direction CCM needs.
//!
//! Constant-time and bitsliced, two blocks per call ([`Aes128`]: `new`,
//! `encrypt2`, `encrypt1`). The two 16-byte blocks are transposed into
//! eight 32-bit bit planes (plane k holds bit k of all 32 bytes), the S-box
//! is a Boolean circuit (Boyar, Peralta and Calik's 113-gate
//! `SLP_AES_113`), ShiftRows and MixColumns are shifts, masks and rotations
//! of the planes. No table, no branch and no memory index depends on the
//! key or the data, so it is safe on cores with data or flash caches
//! (Cortex-M7, M33/M55 with caches, flash accelerators, hosts). The
//! expanded key is kept in a compressed form (the two blocks share the
//! key, so each plane of a round key needs only 16 bits): 176 bytes.
//!
//! CCM (`super::aead`) pairs each CBC-MAC block with a CTR keystream block
//! in one `encrypt2` call, which the bitsliced code computes for the price
//! of one block.

#[cfg(any(not(feature = "aes-tables"), test))]
use zeroize::Zeroize;

/// AES block length.
pub const BLOCK: usize = 16;

/// With the cargo feature `aes-tables`: the table-based AES (not
/// constant-time on cores with a data or flash cache: see its module).
#[cfg(feature = "aes-tables")]
pub use super::aes_tables::Aes128;
#[cfg(not(feature = "aes-tables"))]
pub use imp::Aes128;

/// `x * 2` in GF(2^8) mod x^8 + x^4 + x^3 + x + 1 (public data only: the
/// round constants, and the reference S-box of the tests).
#[cfg(any(not(feature = "aes-tables"), test))]
const fn xtime(x: u8) -> u8 {
    (x << 1) ^ (((x >> 7) & 1) * 0x1b)
}

#[cfg(any(not(feature = "aes-tables"), test))]
#[cfg_attr(all(feature = "aes-tables", test), allow(dead_code))]
mod imp {
    use super::{xtime, Zeroize, BLOCK};

    /// Eight bit planes of two blocks: bit `8 * r + 2 * c + j` of plane `k`
    /// is bit `k` of the byte at row `r`, column `c` of block `j`.
    type Planes = [u32; 8];

    /// Exchange bits `i + s` of `x` and `i` of `y` for the bits `i` in `m`.
    #[inline(always)]
    fn swap(x: &mut u32, y: &mut u32, m: u32, s: u32) {
        let t = ((*x >> s) ^ *y) & m;
        *y ^= t;
        *x ^= t << s;
    }

    /// Transpose the 8x8 bit matrix in each byte lane of the eight words
    /// (word i, bit j <-> word j, bit i). Its own inverse.
    #[inline(never)]
    fn transpose(q: &mut Planes) {
        let [mut q0, mut q1, mut q2, mut q3, mut q4, mut q5, mut q6, mut q7] = *q;
        swap(&mut q0, &mut q1, 0x5555_5555, 1);
        swap(&mut q2, &mut q3, 0x5555_5555, 1);
        swap(&mut q4, &mut q5, 0x5555_5555, 1);
        swap(&mut q6, &mut q7, 0x5555_5555, 1);
        swap(&mut q0, &mut q2, 0x3333_3333, 2);
        swap(&mut q1, &mut q3, 0x3333_3333, 2);
        swap(&mut q4, &mut q6, 0x3333_3333, 2);
        swap(&mut q5, &mut q7, 0x3333_3333, 2);
        swap(&mut q0, &mut q4, 0x0f0f_0f0f, 4);
        swap(&mut q1, &mut q5, 0x0f0f_0f0f, 4);
        swap(&mut q2, &mut q6, 0x0f0f_0f0f, 4);
        swap(&mut q3, &mut q7, 0x0f0f_0f0f, 4);
        *q = [q0, q1, q2, q3, q4, q5, q6, q7];
    }

    /// Columns of `a` and `b` (little-endian words: byte r = row r),
    /// interleaved, then transposed into bit planes.
    fn load(a: &[u8; BLOCK], b: &[u8; BLOCK]) -> Planes {
        let mut q = [0u32; 8];
        for (pair, (ca, cb)) in q.chunks_exact_mut(2).zip(a.chunks_exact(4).zip(b.chunks_exact(4))) {
            if let ([x, y], &[a0, a1, a2, a3], &[b0, b1, b2, b3]) = (pair, ca, cb) {
                *x = u32::from_le_bytes([a0, a1, a2, a3]);
                *y = u32::from_le_bytes([b0, b1, b2, b3]);
            }
        }
        transpose(&mut q);
        q
    }

    /// The inverse of [`load`] (consumes the planes: they are transposed in place).
    fn store(q: &mut Planes, a: &mut [u8; BLOCK], b: &mut [u8; BLOCK]) {
        transpose(q);
        for (pair, (ca, cb)) in q.chunks_exact(2).zip(a.chunks_exact_mut(4).zip(b.chunks_exact_mut(4))) {
            if let &[x, y] = pair {
                ca.copy_from_slice(&x.to_le_bytes());
                cb.copy_from_slice(&y.to_le_bytes());
            }
        }
    }

    /// SubBytes without its four NOT gates (see [`sbox`]).
    #[inline(never)]
    fn sub_bytes(q: &mut Planes) {
        let [u7, u6, u5, u4, u3, u2, u1, u0] = *q;
        *q = sbox([u7, u6, u5, u4, u3, u2, u1, u0]);
    }

    /// The S-box circuit on eight planes, without its four NOT gates: the
    /// AES S-box xor 0x63 on every byte of both blocks. The constant is
    /// folded into the round keys (it passes through ShiftRows and
    /// MixColumns unchanged: each MixColumns row sums 2 + 3 + 1 + 1 = 1
    /// times it).
    ///
    /// The circuit is `SLP_AES_113` (J. Boyar, R. Peralta, C. Calik: 32 AND,
    /// 77 XOR, 4 XNOR; here the XNORs are XORs), whose inputs U0..U7 and
    /// outputs S0..S7 are numbered from the most significant bit.
    #[inline(always)]
    fn sbox(x: Planes) -> Planes {
        let [u7, u6, u5, u4, u3, u2, u1, u0] = x;
        // The gates in an order that keeps few values live at a time (the
        // circuit's dependency order; a Cortex-M register schedule).
        let y14 = u3 ^ u5;
        let y13 = u0 ^ u6;
        let y12 = y13 ^ y14;
        let t1 = u4 ^ y12;
        let y15 = t1 ^ u5;
        let t2 = y12 & y15;
        let y6 = y15 ^ u7;
        let y20 = t1 ^ u1;
        let y9 = u0 ^ u3;
        let y11 = y20 ^ y9;
        let t12 = y9 & y11;
        let y7 = u7 ^ y11;
        let y8 = u0 ^ u5;
        let t0 = u1 ^ u2;
        let y10 = y15 ^ t0;
        let y17 = y10 ^ y11;
        let t13 = y14 & y17;
        let t14 = t13 ^ t12;
        let y19 = y10 ^ y8;
        let t15 = y8 & y10;
        let t16 = t15 ^ t12;
        let y16 = t0 ^ y11;
        let y21 = y13 ^ y16;
        let t7 = y13 & y16;
        let y18 = u0 ^ y16;
        let y1 = t0 ^ u7;
        let y4 = y1 ^ u3;
        let t5 = y4 & u7;
        let t6 = t5 ^ t2;
        let t18 = t6 ^ t16;
        let t22 = t18 ^ y19;
        let y2 = y1 ^ u0;
        let t10 = y2 & y7;
        let t11 = t10 ^ t7;
        let t20 = t11 ^ t16;
        let t24 = t20 ^ y18;
        let y5 = y1 ^ u6;
        let t8 = y5 & y1;
        let t9 = t8 ^ t7;
        let t19 = t9 ^ t14;
        let t23 = t19 ^ y21;
        let y3 = y5 ^ y8;
        let t3 = y3 & y6;
        let t4 = t3 ^ t2;
        let t17 = t4 ^ y20;
        let t21 = t17 ^ t14;
        let t26 = t21 & t23;
        let t27 = t24 ^ t26;
        let t31 = t22 ^ t26;
        let t25 = t21 ^ t22;
        let t28 = t25 & t27;
        let t29 = t28 ^ t22;
        let z14 = t29 & y2;
        let z5 = t29 & y7;
        let t30 = t23 ^ t24;
        let t32 = t31 & t30;
        let t33 = t32 ^ t24;
        let t35 = t27 ^ t33;
        let t36 = t24 & t35;
        let t38 = t27 ^ t36;
        let t39 = t29 & t38;
        let t40 = t25 ^ t39;
        let t43 = t29 ^ t40;
        let z3 = t43 & y16;
        let tc12 = z3 ^ z5;
        let z12 = t43 & y13;
        let z13 = t40 & y5;
        let z4 = t40 & y1;
        let tc6 = z3 ^ z4;
        let t34 = t23 ^ t33;
        let t37 = t36 ^ t34;
        let t41 = t40 ^ t37;
        let z8 = t41 & y10;
        let z17 = t41 & y8;
        let t44 = t33 ^ t37;
        let z0 = t44 & y15;
        let z9 = t44 & y12;
        let z10 = t37 & y3;
        let z1 = t37 & y6;
        let tc5 = z1 ^ z0;
        let tc11 = tc6 ^ tc5;
        let z11 = t33 & y4;
        let t42 = t29 ^ t33;
        let t45 = t42 ^ t41;
        let z7 = t45 & y17;
        let tc8 = z7 ^ tc6;
        let z16 = t45 & y14;
        let z6 = t42 & y11;
        let tc16 = z6 ^ tc8;
        let z15 = t42 & y9;
        let tc20 = z15 ^ tc16;
        let tc1 = z15 ^ z16;
        let tc2 = z10 ^ tc1;
        let tc21 = tc2 ^ z11;
        let tc3 = z9 ^ tc2;
        let s0 = tc3 ^ tc16;
        let s3 = tc3 ^ tc11;
        let s1 = s3 ^ tc16;
        let tc13 = z13 ^ tc1;
        let z2 = t33 & u7;
        let tc4 = z0 ^ z2;
        let tc7 = z12 ^ tc4;
        let tc9 = z8 ^ tc7;
        let tc10 = tc8 ^ tc9;
        let tc17 = z14 ^ tc10;
        let s5 = tc21 ^ tc17;
        let tc26 = tc17 ^ tc20;
        let s2 = tc26 ^ z17;
        let tc14 = tc4 ^ tc12;
        let tc18 = tc13 ^ tc14;
        let s6 = tc10 ^ tc18;
        let s7 = z12 ^ tc18;
        let s4 = tc14 ^ s3;
        [s7, s6, s5, s4, s3, s2, s1, s0]
    }

    /// ShiftRows on one plane: row r (byte r) rotates left by r columns,
    /// i.e. its byte rotates right by 2r bits. Done as rows 1 and 3 by 2
    /// bits, then rows 2 and 3 by 4 bits (a nibble swap).
    #[inline(always)]
    fn shift_row_bits(v: u32) -> u32 {
        let v = (v & 0x00ff_00ff) | ((v >> 2) & 0x3f00_3f00) | ((v << 6) & 0xc000_c000);
        let t = (v ^ (v >> 4)) & 0x0f0f_0000;
        v ^ t ^ (t << 4)
    }

    /// ShiftRows, MixColumns (unless `last`) and AddRoundKey (`rk`,
    /// compressed): the rest of a round after SubBytes, in one pass with
    /// the planes in registers.
    #[inline(never)]
    fn shift_mix_ark(q: &mut Planes, rk: &[u32], last: bool) {
        // (The final round's ShiftRows and AddRoundKey share this body: one
        // copy of the code, a branch on the public round number.)
        let [q0, q1, q2, q3, q4, q5, q6, q7] = *q;
        let mut x = [
            shift_row_bits(q0),
            shift_row_bits(q1),
            shift_row_bits(q2),
            shift_row_bits(q3),
            shift_row_bits(q4),
            shift_row_bits(q5),
            shift_row_bits(q6),
            shift_row_bits(q7),
        ];
        if !last {
            mix_columns(&mut x);
        }
        add_round_key(&mut x, rk);
        *q = x;
    }

    /// MixColumns: row r of a column becomes 2a_r + 3a_(r+1) + a_(r+2) +
    /// a_(r+3) = 2(a_r + a_(r+1)) + a_(r+1) + (a_(r+2) + a_(r+3)); rotating a
    /// plane right by 8 bits moves row r+1 to row r.
    #[inline(always)]
    fn mix_columns(q: &mut Planes) {
        let [q0, q1, q2, q3, q4, q5, q6, q7] = *q;
        let r = |x: u32| x.rotate_right(8);
        let (s0, s1, s2, s3) = (q0 ^ r(q0), q1 ^ r(q1), q2 ^ r(q2), q3 ^ r(q3));
        let (s4, s5, s6, s7) = (q4 ^ r(q4), q5 ^ r(q5), q6 ^ r(q6), q7 ^ r(q7));
        let h = |s: u32| s.rotate_right(16);
        // 2 * s: bit 0 <- s7; bits 1, 3, 4 take s7 too (0x1b).
        *q = [
            s7 ^ r(q0) ^ h(s0),
            s0 ^ s7 ^ r(q1) ^ h(s1),
            s1 ^ r(q2) ^ h(s2),
            s2 ^ s7 ^ r(q3) ^ h(s3),
            s3 ^ s7 ^ r(q4) ^ h(s4),
            s4 ^ r(q5) ^ h(s5),
            s5 ^ r(q6) ^ h(s6),
            s6 ^ r(q7) ^ h(s7),
        ];
    }

    /// Both blocks use the same key, so each round-key plane has equal
    /// bits 2i and 2i+1 and is stored as its even bits: word m holds plane
    /// 2m in its even bits and plane 2m+1 in its odd bits.
    const EVEN: u32 = 0x5555_5555;

    /// AddRoundKey with a compressed round key.
    #[inline(always)]
    fn add_round_key(q: &mut Planes, rk: &[u32]) {
        if let (&[c0, c1, c2, c3], [q0, q1, q2, q3, q4, q5, q6, q7]) = (rk, q) {
            let dup = |x: u32| (x & EVEN) | ((x & EVEN) << 1);
            *q0 ^= dup(c0);
            *q1 ^= dup(c0 >> 1);
            *q2 ^= dup(c1);
            *q3 ^= dup(c1 >> 1);
            *q4 ^= dup(c2);
            *q5 ^= dup(c2 >> 1);
            *q6 ^= dup(c3);
            *q7 ^= dup(c3 >> 1);
        }
    }

    /// An all-ones mask for the bits of 0x63 (the S-box's affine constant):
    /// planes 0, 1, 5 and 6.
    fn affine_mask(plane: usize) -> u32 {
        0u32.wrapping_sub((0x63u32 >> plane) & 1)
    }

    /// Which bits of a compressed round key hold planes 0, 1, 5, 6 (the
    /// bits of the S-box constant 0x63).
    const FOLD: [u32; 4] = [!0, 0, 0xaaaa_aaaa, 0x5555_5555];

    /// Store the planes `k` of a round key compressed into `out` (4
    /// words), with the S-box constant folded in where `fold` is all-ones.
    fn compress_key(k: &Planes, out: &mut [u32], fold: u32) {
        for ((pair, o), f) in k.chunks_exact(2).zip(out).zip(FOLD) {
            if let &[a, b] = pair {
                *o = ((a & EVEN) | ((b & EVEN) << 1)) ^ (f & fold);
            }
        }
    }

    /// Expand `key` into `rk` (FIPS 197 section 5.2), on the bit planes of
    /// the key loaded as both blocks: SubWord(RotWord(w3)) comes from the
    /// S-box circuit on the whole key and a rotation of column 3. Written
    /// in place: the caller's key schedule is not copied.
    #[inline(never)]
    fn expand_key(rk: &mut [u32; 44], key: &[u8; BLOCK]) {
        let mut k = load(key, key);
        let mut rcon = 1u8;
        let mut out = rk.chunks_exact_mut(4);
        if let Some(o) = out.next() {
            compress_key(&k, o, 0);
        }
        for o in out {
            let mut t = k;
            sub_bytes(&mut t);
            for (j, (kp, tp)) in k.iter_mut().zip(t).enumerate() {
                // S(row r+1, column 3) at row r, column 3: the S-box
                // constant on every row of column 3, Rcon on row 0.
                let c = (affine_mask(j) & 0xc0c0_c0c0) ^ (0u32.wrapping_sub(u32::from((rcon >> j) & 1)) & 0xc0);
                let u = (tp.rotate_right(8) & 0xc0c0_c0c0) ^ c;
                // w0 ^= u, w1 ^= w0, ...: prefix xor over the columns,
                // then u in every column.
                let mut x = *kp;
                x ^= (x << 2) & 0xfcfc_fcfc;
                x ^= (x << 4) & 0xf0f0_f0f0;
                *kp = x ^ (u >> 6).wrapping_mul(0x55);
            }
            rcon = xtime(rcon);
            compress_key(&k, o, !0);
            t.zeroize();
        }
        k.zeroize();
    }

    /// AES-128 with its expanded key (bitsliced, constant-time).
    pub struct Aes128 {
        /// Round keys 0..=10, 4 compressed words each; keys 1..=10 include
        /// the S-box constant (see [`sub_bytes`]).
        rk: [u32; 44],
    }

    impl Aes128 {
        /// Expand `key` (FIPS 197 section 5.2).
        pub fn new(key: &[u8; BLOCK]) -> Self {
            let mut aes = Aes128::unkeyed();
            aes.set_key(key);
            aes
        }

        /// A cipher without a key yet (all-zero round keys: not the
        /// schedule of any key); [`Aes128::set_key`] keys it in place, so a
        /// caller's key schedule is never moved or copied.
        pub const fn unkeyed() -> Self {
            Aes128 { rk: [0; 44] }
        }

        /// Expand `key` into this cipher's round keys.
        pub fn set_key(&mut self, key: &[u8; BLOCK]) {
            expand_key(&mut self.rk, key);
        }

        /// Encrypt two blocks in place (one call costs the same as one block).
        pub fn encrypt2(&self, a: &mut [u8; BLOCK], b: &mut [u8; BLOCK]) {
            let mut q = load(a, b);
            let mut keys = self.rk.chunks_exact(4);
            if let Some(k0) = keys.next() {
                add_round_key(&mut q, k0);
            }
            for (round, rk) in keys.enumerate() {
                sub_bytes(&mut q);
                shift_mix_ark(&mut q, rk, round == 9);
            }
            store(&mut q, a, b);
            q.zeroize();
        }

        /// Encrypt one block in place.
        pub fn encrypt1(&self, a: &mut [u8; BLOCK]) {
            let mut spare = [0u8; BLOCK];
            self.encrypt2(a, &mut spare);
            spare.zeroize();
        }
    }

    impl Drop for Aes128 {
        fn drop(&mut self) {
            self.rk.zeroize();
        }
    }

    #[cfg(test)]
    pub(super) fn sbox_via_circuit(x: &[u8; 32]) -> [u8; 32] {
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        a.copy_from_slice(&x[..16]);
        b.copy_from_slice(&x[16..]);
        let mut q = load(&a, &b);
        sub_bytes(&mut q);
        for (j, p) in q.iter_mut().enumerate() {
            *p ^= affine_mask(j);
        }
        store(&mut q, &mut a, &mut b);
        let mut out = [0u8; 32];
        out[..16].copy_from_slice(&a);
        out[16..].copy_from_slice(&b);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex16(s: &str) -> [u8; 16] {
        let v: std::vec::Vec<u8> =
            (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect();
        v.try_into().unwrap()
    }

    /// The S-box from its definition: multiplicative inverse, affine map.
    fn reference_sbox() -> [u8; 256] {
        let mul = |mut a: u8, mut b: u8| {
            let mut p = 0u8;
            while b != 0 {
                if b & 1 != 0 {
                    p ^= a;
                }
                a = xtime(a);
                b >>= 1;
            }
            p
        };
        core::array::from_fn(|x| {
            let x = x as u8;
            let inv = (1..=255u8).find(|&y| mul(x, y) == 1).unwrap_or(0);
            inv ^ inv.rotate_left(1) ^ inv.rotate_left(2) ^ inv.rotate_left(3) ^ inv.rotate_left(4) ^ 0x63
        })
    }

    #[test]
    fn sbox_matches_its_definition() {
        let want = reference_sbox();
        assert_eq!(want[0x00], 0x63);
        assert_eq!(want[0x53], 0xed); // FIPS 197 5.1.1 example
        for base in (0..256).step_by(32) {
            let x: [u8; 32] = core::array::from_fn(|i| (base + i) as u8);
            let got = imp::sbox_via_circuit(&x);
            for i in 0..32 {
                assert_eq!(got[i], want[base + i], "S({:#04x})", base + i);
            }
        }
    }

    /// FIPS 197 appendix B and C.1.
    #[test]
    fn fips_197_vectors() {
        for (key, pt, ct) in [
            (
                "2b7e151628aed2a6abf7158809cf4f3c",
                "3243f6a8885a308d313198a2e0370734",
                "3925841d02dc09fbdc118597196a0b32",
            ),
            (
                "000102030405060708090a0b0c0d0e0f",
                "00112233445566778899aabbccddeeff",
                "69c4e0d86a7b0430d8cdb78070b4c55a",
            ),
        ] {
            let aes = Aes128::new(&hex16(key));
            let mut b = hex16(pt);
            aes.encrypt1(&mut b);
            assert_eq!(b, hex16(ct));
            // The same block in either slot of a two-block call.
            let (mut x, mut y) = (hex16(pt), [0u8; 16]);
            aes.encrypt2(&mut x, &mut y);
            assert_eq!(x, hex16(ct));
            let (mut x, mut y) = ([0u8; 16], hex16(pt));
            aes.encrypt2(&mut x, &mut y);
            assert_eq!(y, hex16(ct));
        }
        // NIST SP 800-38A F.1.1 (ECB-AES128), four blocks.
        let aes = Aes128::new(&hex16("2b7e151628aed2a6abf7158809cf4f3c"));
        for (pt, ct) in [
            ("6bc1bee22e409f96e93d7e117393172a", "3ad77bb40d7a3660a89ecaf32466ef97"),
            ("ae2d8a571e03ac9c9eb76fac45af8e51", "f5d3d58503b9699de785895a96fdbaaf"),
            ("30c81c46a35ce411e5fbc1191a0a52ef", "43b1cd7f598ece23881b00e3ed030688"),
            ("f69f2445df4f9b17ad2b417be66c3710", "7b0c785e27e8ad3f8223207104725dd4"),
        ] {
            let mut b = hex16(pt);
            aes.encrypt1(&mut b);
            assert_eq!(b, hex16(ct));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 512, failure_persistence: None, ..proptest::prelude::ProptestConfig::default()
        })]
        /// Random keys and block pairs against the `aes` crate.
        #[test]
        fn random_blocks_match_the_aes_crate(
            key in proptest::array::uniform16(0u8..),
            a in proptest::array::uniform16(0u8..),
            b in proptest::array::uniform16(0u8..),
        ) {
            use aes::cipher::{BlockEncrypt, KeyInit};
            let reference = aes::Aes128::new(&key.into());
            let (mut wa, mut wb) = (aes::Block::from(a), aes::Block::from(b));
            reference.encrypt_block(&mut wa);
            reference.encrypt_block(&mut wb);
            let ours = Aes128::new(&key);
            let (mut x, mut y) = (a, b);
            ours.encrypt2(&mut x, &mut y);
            proptest::prop_assert_eq!(&x[..], &wa[..]);
            proptest::prop_assert_eq!(&y[..], &wb[..]);
            let mut z = b;
            ours.encrypt1(&mut z);
            proptest::prop_assert_eq!(&z[..], &wb[..]);
        }
    }
}
