//! P-256 group arithmetic with small stack frames, on `p256`'s field
//! element (constant-time Montgomery arithmetic).
//!
//! `p256` 0.13's own scalar multiplication keeps a 16-point projective
//! table on the stack (a 2.1 KB frame on Cortex-M4). Here:
//!
//! - [`mul`]: variable base, constant time. Signed 3-bit windows (digits in
//!   -4..=3 plus a top carry digit): a 4-point table (P..4P, 384 B), 86
//!   additions and 258 doublings (p256's unsigned 4-bit window: 16 points,
//!   1,536 B, 64 and 256). `W = 4` (8 points, 768 B, 65 additions) measured
//!   368 B more stack for 0.45 M fewer instructions per client handshake on
//!   the M4 (embedded/README.md "ECC stack"). Every table entry is read for
//!   each lookup and the negation is a conditional select, so neither
//!   memory access nor branches depend on the scalar.
//! - [`mul_gen`]: the generator, constant time: a comb over a precomputed
//!   table in flash (`ec_gtable`), see there.
//!
//! Points are projective (X:Y:Z), identity (0:1:0); additions and
//! doublings are the complete formulas of Renes, Costello and Batina 2015
//! (Algorithms 4 and 6 for a = -3, as in `primeorder`; an affine point is
//! added as (x:y:1)), so there are no exceptional cases (P + P, P + -P,
//! identity) to branch on.

use p256::elliptic_curve::subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use p256::{FieldBytes, FieldElement, NistP256};
use primeorder::PrimeCurveParams;
use zeroize::Zeroize;

use super::ec_gtable::COMB;

const B: FieldElement = <NistP256 as PrimeCurveParams>::EQUATION_B;

/// A field element from little-endian 64-bit limbs (< p), at compile time
/// (the generator table).
pub(crate) const fn fe(l: [u64; 4]) -> FieldElement {
    let r32 = FieldElement::from_u64(1 << 32);
    let r64 = r32.multiply(&r32);
    let mut acc = FieldElement::from_u64(l[3]);
    acc = acc.multiply(&r64).add(&FieldElement::from_u64(l[2]));
    acc = acc.multiply(&r64).add(&FieldElement::from_u64(l[1]));
    acc.multiply(&r64).add(&FieldElement::from_u64(l[0]))
}

/// A projective point.
#[derive(Clone, Copy)]
pub(crate) struct Point {
    x: FieldElement,
    y: FieldElement,
    z: FieldElement,
}

/// An affine point (never the identity).
#[derive(Clone, Copy, Default)]
pub(crate) struct Affine {
    pub(crate) x: FieldElement,
    pub(crate) y: FieldElement,
}

impl Zeroize for Point {
    fn zeroize(&mut self) {
        self.x.zeroize();
        self.y.zeroize();
        self.z.zeroize();
    }
}

impl ConditionallySelectable for Point {
    fn conditional_select(a: &Self, b: &Self, c: Choice) -> Self {
        Point {
            x: FieldElement::conditional_select(&a.x, &b.x, c),
            y: FieldElement::conditional_select(&a.y, &b.y, c),
            z: FieldElement::conditional_select(&a.z, &b.z, c),
        }
    }
}

impl ConditionallySelectable for Affine {
    fn conditional_select(a: &Self, b: &Self, c: Choice) -> Self {
        Affine {
            x: FieldElement::conditional_select(&a.x, &b.x, c),
            y: FieldElement::conditional_select(&a.y, &b.y, c),
        }
    }
}

impl Affine {
    /// The generator.
    pub(crate) const GENERATOR: Affine =
        Affine { x: <NistP256 as PrimeCurveParams>::GENERATOR.0, y: <NistP256 as PrimeCurveParams>::GENERATOR.1 };

    /// From big-endian coordinates; `None` unless both are below p and
    /// the point is on the curve (y^2 = x^3 - 3x + b).
    pub(crate) fn from_coordinates(x: &[u8; 32], y: &[u8; 32]) -> Option<Affine> {
        let x: FieldElement = Option::from(FieldElement::from_bytes(FieldBytes::from_slice(x)))?;
        let y: FieldElement = Option::from(FieldElement::from_bytes(FieldBytes::from_slice(y)))?;
        let three = FieldElement::from_u64(3);
        let rhs = (x.square() - three) * x + B;
        bool::from(y.square().ct_eq(&rhs)).then_some(Affine { x, y })
    }
}

impl Point {
    pub(crate) const IDENTITY: Point = Point { x: FieldElement::ZERO, y: FieldElement::ONE, z: FieldElement::ZERO };

    pub(crate) fn from_affine(p: &Affine) -> Point {
        Point { x: p.x, y: p.y, z: FieldElement::ONE }
    }

    #[cfg(test)]
    pub(crate) fn is_identity(&self) -> Choice {
        self.z.is_zero()
    }

    /// The affine form, `None` for the identity.
    pub(crate) fn affine(&self) -> Option<Affine> {
        let zinv: FieldElement = Option::from(self.z.invert())?;
        Some(Affine { x: self.x * zinv, y: self.y * zinv })
    }

    /// -self where `c` is set.
    fn conditional_negate(&mut self, c: Choice) {
        let n = self.y.neg();
        self.y.conditional_assign(&n, c);
    }

    /// self + other (RCB15 Algorithm 4, a = -3), step by step as in the
    /// paper. An affine point is added as (x:y:1): one multiplication more
    /// than Algorithm 5, one function less.
    #[inline(never)]
    pub(crate) fn add(&self, other: &Point) -> Point {
        let (x1, y1, z1) = (&self.x, &self.y, &self.z);
        let (x2, y2, z2) = (&other.x, &other.y, &other.z);
        let mut t0 = *x1 * x2; // 1
        let mut t1 = *y1 * y2; // 2
        let mut t2 = *z1 * z2; // 3
        let mut t3 = (*x1 + *y1) * (*x2 + y2) - (t0 + t1); // 4..8
        let t4 = (*y1 + z1) * (*y2 + z2) - (t1 + t2); // 9..13
        let mut y3 = (*x1 + z1) * (*x2 + z2) - (t0 + t2); // 14..18
        let mut x3 = y3 - B * t2; // 19, 20
        let mut z3 = x3.double(); // 21
        x3 += z3; // 22
        z3 = t1 - x3; // 23
        x3 += t1; // 24
        y3 = B * y3; // 25
        t1 = t2.double(); // 26
        t2 += t1; // 27
        y3 = y3 - t2 - t0; // 28, 29
        t1 = y3.double(); // 30
        y3 += t1; // 31
        t1 = t0.double(); // 32
        t0 = t1 + t0 - t2; // 33, 34
        t1 = t4 * y3; // 35
        t2 = t0 * y3; // 36
        y3 = x3 * z3 + t2; // 37, 38
        x3 = x3 * t3 - t1; // 39, 40
        z3 *= t4; // 41
        t3 *= t0; // 42
        z3 += t3; // 43
        Point { x: x3, y: y3, z: z3 }
    }

    /// 2 * self (RCB15 Algorithm 6, a = -3), step by step as in the
    /// paper: eight live field elements, a small frame.
    #[inline(never)]
    pub(crate) fn double(&self) -> Point {
        let (x, y, z) = (&self.x, &self.y, &self.z);
        let mut t0 = x.square(); // 1
        let t1 = y.square(); // 2
        let mut t2 = z.square(); // 3
        let mut t3 = (*x * *y).double(); // 4, 5
        let mut z3 = (*x * *z).double(); // 6, 7
        let mut y3 = B * t2 - z3; // 8, 9
        let mut x3 = y3.double(); // 10
        y3 += x3; // 11
        x3 = t1 - y3; // 12
        y3 = t1 + y3; // 13
        y3 *= x3; // 14
        x3 *= t3; // 15
        t3 = t2.double(); // 16
        t2 += t3; // 17
        z3 = B * z3 - t2 - t0; // 18, 19, 20
        t3 = z3.double(); // 21
        z3 += t3; // 22
        t3 = t0.double(); // 23
        t0 = t3 + t0 - t2; // 24, 25
        t0 *= z3; // 26
        y3 += t0; // 27
        t0 = (*y * *z).double(); // 28, 29
        z3 *= t0; // 30
        x3 -= z3; // 31
        z3 = (t0 * t1).double().double(); // 32, 33, 34
        Point { x: x3, y: y3, z: z3 }
    }
}

/// Window width of the variable-base multiplication (3 and 4 measured,
/// see the module comment).
const W: usize = 3;
/// Digits of a 256-bit scalar in that window (plus the top carry).
const ND: usize = 256usize.div_ceil(W) + 1;
/// Table entries: P .. 2^(W-1) P.
const NT: usize = 1 << (W - 1);

/// Signed base-2^W digits of a big-endian 256-bit scalar: d[..ND - 1] in
/// -2^(W-1)..2^(W-1), d[ND - 1] in 0..=1, k = sum d[i] 2^(W i).
/// Branch-free in `k` (the bit positions are public).
pub(crate) fn signed_digits(k: &[u8; 32], d: &mut [i8; ND]) {
    let mut carry = 0u8;
    for (i, di) in d.iter_mut().take(ND - 1).enumerate() {
        let mut nib = 0u8;
        for j in 0..W {
            let bit = i * W + j;
            let byte = if bit < 256 { k.get(31 - bit / 8).copied().unwrap_or(0) } else { 0 };
            nib |= ((byte >> (bit % 8)) & 1) << j;
        }
        let v = nib + carry;
        carry = (v + (NT as u8)) >> W;
        *di = (v as i8).wrapping_sub((carry << W) as i8);
    }
    if let Some(top) = d.get_mut(ND - 1) {
        *top = carry as i8;
    }
}

/// digit * P from table[j] = (j+1) P, |digit| <= NT, constant time.
/// Not inlined: its temporaries stay out of `mul`'s frame.
#[inline(never)]
fn lookup(table: &[Point; NT], digit: i8) -> Point {
    let neg = (digit as u8) >> 7;
    let mask = 0u8.wrapping_sub(neg);
    let abs = ((digit as u8) ^ mask).wrapping_add(neg);
    let mut r = Point::IDENTITY;
    for (j, t) in table.iter().enumerate() {
        r.conditional_assign(t, abs.ct_eq(&(j as u8 + 1)));
    }
    r.conditional_negate(Choice::from(neg));
    let out = r;
    r.zeroize();
    out
}

/// k * P for a big-endian scalar `k` (any 256-bit value), constant time
/// in `k`.
#[inline(never)]
pub(crate) fn mul(p: &Affine, k: &[u8; 32]) -> Point {
    let mut d = [0i8; ND];
    signed_digits(k, &mut d);
    // table[j] = (j + 1) P, each entry the previous one plus P, written
    // in place (no temporaries beside the table).
    let mut table = [Point::from_affine(p); NT];
    for j in 1..NT {
        let (done, rest) = table.split_at_mut(j);
        if let (Some(prev), Some(first), Some(slot)) = (done.last(), done.first(), rest.first_mut()) {
            *slot = prev.add(first);
        }
    }
    let mut q = lookup(&table, d.get(ND - 1).copied().unwrap_or(0));
    for i in (0..ND - 1).rev() {
        for _ in 0..W {
            q = q.double();
        }
        q = q.add(&lookup(&table, d.get(i).copied().unwrap_or(0)));
    }
    d.zeroize();
    for t in table.iter_mut() {
        t.zeroize();
    }
    q
}

/// The comb column `i` of `k`: bit j of the result is bit i + 64 j of k.
fn comb_column(k: &[u8; 32], i: usize) -> u8 {
    let mut b = 0u8;
    for j in 0..4 {
        let bit = i + 64 * j;
        let byte = k.get(31 - bit / 8).copied().unwrap_or(0);
        b |= ((byte >> (bit % 8)) & 1) << j;
    }
    b
}

/// Entry b of the comb (b = 1..15; anything for 0), constant time: every
/// entry is read.
#[inline(never)]
fn comb_lookup(b: u8) -> Point {
    let mut r = Affine::GENERATOR;
    for (j, t) in COMB.iter().enumerate() {
        r.conditional_assign(t, b.ct_eq(&(j as u8 + 1)));
    }
    let out = Point::from_affine(&r);
    r.x.zeroize();
    r.y.zeroize();
    out
}

/// k * G, constant time in `k`: a comb with 4 teeth 64 bits apart over
/// the 15 points of `ec_gtable::COMB` (flash): 63 doublings and 64
/// additions (p256's generic multiplication: 256 and 64); a column of
/// zeros adds G and the sum is discarded by a select.
#[inline(never)]
pub(crate) fn mul_gen(k: &[u8; 32]) -> Point {
    let mut q = Point::IDENTITY;
    for i in (0..64).rev() {
        if i != 63 {
            q = q.double();
        }
        let mut b = comb_column(k, i);
        let mut sum = q.add(&comb_lookup(b));
        q.conditional_assign(&sum, !b.ct_eq(&0));
        b.zeroize();
        sum.zeroize();
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::point::AffineCoordinates;
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::elliptic_curve::PrimeField;
    use p256::{ProjectivePoint, Scalar};

    fn reference(k: &[u8; 32]) -> Option<[u8; 64]> {
        let s: Option<Scalar> = Scalar::from_repr(*FieldBytes::from_slice(k)).into();
        let p = (ProjectivePoint::GENERATOR * s?).to_affine();
        let ep = p.to_encoded_point(false);
        let b = ep.as_bytes();
        if b.len() != 65 {
            return None;
        }
        let _ = p.x();
        b[1..].try_into().ok()
    }

    fn ours(q: &Point) -> Option<[u8; 64]> {
        let a = q.affine()?;
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&a.x.to_bytes());
        out[32..].copy_from_slice(&a.y.to_bytes());
        Some(out)
    }

    /// The group order n.
    pub(crate) const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6,
        0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
    ];

    fn n_minus(v: u8) -> [u8; 32] {
        let mut k = N;
        k[31] = k[31].wrapping_sub(v);
        k
    }

    #[test]
    fn signed_digits_reconstruct_the_scalar() {
        let mut ks = std::vec![[0u8; 32], [0xff; 32], [0x88; 32], [0x77; 32], [0x92; 32], [0x49; 32], n_minus(1), N];
        for i in 0..32u8 {
            ks.push(core::array::from_fn(|j| (j as u8).wrapping_mul(37).wrapping_add(i.wrapping_mul(101))));
        }
        for k in ks {
            let mut d = [0i8; ND];
            signed_digits(&k, &mut d);
            let half = 1i32 << (W - 1);
            assert!(d[..ND - 1].iter().all(|&x| (-half..half).contains(&i32::from(x))), "{d:?}");
            assert!((0..=1).contains(&d[ND - 1]));
            // Rebuild the bits from the digits (little-endian base 2^W).
            let mut acc = [0i32; ND + 1];
            for (i, &di) in d.iter().enumerate() {
                acc[i] += i32::from(di);
            }
            for i in 0..ND {
                let c = acc[i].div_euclid(1 << W);
                acc[i] -= c << W;
                acc[i + 1] += c;
            }
            assert_eq!(acc[ND], 0);
            let mut back = [0u8; 32];
            for (i, &a) in acc.iter().enumerate().take(ND) {
                for j in 0..W {
                    let bit = i * W + j;
                    if (a >> j) & 1 == 1 {
                        assert!(bit < 256, "digit beyond the scalar");
                        back[31 - bit / 8] |= 1 << (bit % 8);
                    }
                }
            }
            assert_eq!(back, k);
        }
    }

    #[test]
    fn small_and_edge_scalars_match_p256() {
        let mut cases: std::vec::Vec<[u8; 32]> = std::vec::Vec::new();
        for v in 1..=40u8 {
            let mut k = [0u8; 32];
            k[31] = v;
            cases.push(k);
            cases.push(n_minus(v));
        }
        cases.push([0x88; 32]);
        cases.push([0x77; 32]);
        cases.push([0x7f; 32]);
        for k in &cases {
            assert_eq!(ours(&mul_gen(k)), reference(k), "k = {k:02x?}");
        }
        // k = 0 and k = n give the identity.
        assert!(bool::from(mul_gen(&[0u8; 32]).is_identity()));
        assert!(bool::from(mul_gen(&N).is_identity()));
    }

    #[test]
    fn additions_are_complete() {
        let g = Point::from_affine(&Affine::GENERATOR);
        let id = Point::IDENTITY;
        assert!(bool::from(g.add(&g.neg_for_test()).is_identity()));
        assert_eq!(ours(&g.add(&g)), ours(&g.double()));
        assert_eq!(ours(&g.add(&id)), ours(&g));
        assert_eq!(ours(&id.add(&g)), ours(&g));
        assert!(bool::from(id.add(&id).is_identity()));
        assert!(bool::from(id.double().is_identity()));
        // The generic multiplication against the comb.
        for k in [[0x01u8; 32], [0xfe; 32], N] {
            assert_eq!(ours(&mul(&Affine::GENERATOR, &k)), ours(&mul_gen(&k)));
        }
    }

    #[test]
    fn the_comb_table_is_what_p256_computes() {
        // COMB[b - 1] = sum of bit_j(b) 2^(64 j) G, by p256's arithmetic.
        for b in 1..16u8 {
            let mut k = [0u8; 32];
            for j in 0..4 {
                if b >> j & 1 == 1 {
                    k[31 - 8 * j] = 1;
                }
            }
            let t = &COMB[usize::from(b) - 1];
            let mut got = [0u8; 64];
            got[..32].copy_from_slice(&t.x.to_bytes());
            got[32..].copy_from_slice(&t.y.to_bytes());
            assert_eq!(Some(got), reference(&k), "entry {b}");
        }
    }

    impl Point {
        fn neg_for_test(&self) -> Point {
            let mut p = *self;
            p.conditional_negate(Choice::from(1));
            p
        }
    }

    proptest::proptest! {
        #[test]
        fn random_scalars_match_p256(k in proptest::array::uniform32(proptest::num::u8::ANY)) {
            let want = reference(&k);
            if want.is_some() {
                proptest::prop_assert_eq!(ours(&mul_gen(&k)), want);
            }
        }

        #[test]
        fn random_bases_match_p256(a in proptest::array::uniform32(proptest::num::u8::ANY),
                                   b in proptest::array::uniform32(proptest::num::u8::ANY)) {
            // (a * G) * b against p256's (a * b) * G.
            let (Some(sa), Some(sb)) = (
                Option::<Scalar>::from(Scalar::from_repr(*FieldBytes::from_slice(&a))),
                Option::<Scalar>::from(Scalar::from_repr(*FieldBytes::from_slice(&b))),
            ) else { return Ok(()); };
            let Some(pa) = mul_gen(&a).affine() else { return Ok(()); };
            let ab: [u8; 32] = (sa * sb).to_repr().into();
            proptest::prop_assert_eq!(ours(&mul(&pa, &b)), reference(&ab));
            let _ = sb;
        }
    }
}
