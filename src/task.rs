//! The task: modular arithmetic on pairs of residues.
//!
//! Every pair (a, b) with a, b in 0..p gets the label (a ∘ b) mod p for one of the
//! operations below. A seeded shuffle puts a fraction of the pairs in the training set and
//! the rest in the test set. Division is a / b = a · b^(p−2) (Fermat's little theorem), so it
//! needs a prime modulus and excludes b = 0.

use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A binary operation modulo p.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// a + b
    #[default]
    Add,
    /// a − b
    Sub,
    /// a · b
    Mul,
    /// a / b = a · b⁻¹ (b ≠ 0, p prime)
    Div,
    /// a² + b²
    X2y2,
    /// a² + ab + b²
    X2xyy2,
}

impl Op {
    /// Every operation, in the order the page lists them.
    pub const ALL: [Op; 6] = [Op::Add, Op::Sub, Op::Mul, Op::Div, Op::X2y2, Op::X2xyy2];

    /// The short name used in URLs, the CLI and JSON (`add`, `sub`, …).
    pub fn name(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Sub => "sub",
            Op::Mul => "mul",
            Op::Div => "div",
            Op::X2y2 => "x2y2",
            Op::X2xyy2 => "x2xyy2",
        }
    }

    /// The formula as a reader sees it, e.g. `a + b`.
    pub fn formula(self) -> &'static str {
        match self {
            Op::Add => "a + b",
            Op::Sub => "a − b",
            Op::Mul => "a · b",
            Op::Div => "a ÷ b",
            Op::X2y2 => "a² + b²",
            Op::X2xyy2 => "a² + ab + b²",
        }
    }

    /// Whether the operation is only defined for a prime modulus.
    pub fn needs_prime(self) -> bool {
        self == Op::Div
    }

    /// Whether the pair (a, b) belongs to the task (division excludes b = 0).
    pub fn admits(self, _a: u32, b: u32) -> bool {
        !(self == Op::Div && b == 0)
    }

    /// (a ∘ b) mod p. For division p must be prime and b ≠ 0.
    pub fn apply(self, a: u32, b: u32, p: u32) -> u32 {
        let (a, b, p) = (a as u64 % p as u64, b as u64 % p as u64, p as u64);
        let r = match self {
            Op::Add => a + b,
            Op::Sub => a + p - b,
            Op::Mul => a * b,
            Op::Div => a * pow_mod(b, p - 2, p),
            Op::X2y2 => a * a + b * b,
            Op::X2xyy2 => a * a + a * b + b * b,
        };
        (r % p) as u32
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Op {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Op::ALL
            .into_iter()
            .find(|op| op.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Op::ALL.iter().map(|op| op.name()).collect();
                format!(
                    "unknown operation '{s}' (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

/// base^exp mod m by repeated squaring (m < 2³², so products fit in u64).
pub fn pow_mod(mut base: u64, mut exp: u64, m: u64) -> u64 {
    let mut acc = 1 % m;
    base %= m;
    while exp > 0 {
        if exp & 1 == 1 {
            acc = acc * base % m;
        }
        base = base * base % m;
        exp >>= 1;
    }
    acc
}

/// Trial-division primality test (p is at most a few hundred here).
pub fn is_prime(p: u32) -> bool {
    if p < 2 {
        return false;
    }
    let mut i = 2u32;
    while i * i <= p {
        if p.is_multiple_of(i) {
            return false;
        }
        i += 1;
    }
    true
}

/// The primes in `lo..=hi`, for menus.
pub fn primes_between(lo: u32, hi: u32) -> Vec<u32> {
    (lo..=hi).filter(|&n| is_prime(n)).collect()
}

/// One example: the two operands and the label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    /// Left operand, in 0..p.
    pub a: u32,
    /// Right operand, in 0..p.
    pub b: u32,
    /// (a ∘ b) mod p.
    pub label: u32,
}

/// All pairs of a task, split into training and test sets.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// The modulus.
    pub p: u32,
    /// The operation.
    pub op: Op,
    /// Training pairs, in shuffled order.
    pub train: Vec<Pair>,
    /// Test pairs, in shuffled order.
    pub test: Vec<Pair>,
    /// Pairs taken out of the training set mid-run (see [`Dataset::shrink_train`]):
    /// neither trained on nor tested.
    pub dropped: Vec<Pair>,
}

impl Dataset {
    /// Every admissible pair of (p, op) in row-major order (a outer, b inner).
    pub fn all_pairs(p: u32, op: Op) -> Vec<Pair> {
        let mut pairs = Vec::with_capacity((p * p) as usize);
        for a in 0..p {
            for b in 0..p {
                if op.admits(a, b) {
                    pairs.push(Pair {
                        a,
                        b,
                        label: op.apply(a, b, p),
                    });
                }
            }
        }
        pairs
    }

    /// Number of training pairs for a split of `n` pairs at fraction `frac`.
    pub fn train_size(n: usize, frac: f64) -> usize {
        ((n as f64 * frac).round() as usize).min(n)
    }

    /// The seeded split: shuffle all pairs with `seed` and take the first
    /// round(frac · n) for training. The caller validates p, op and frac (see
    /// [`crate::train::Config::validate`]); this only builds.
    pub fn new(p: u32, op: Op, frac: f64, seed: u32) -> Self {
        let mut pairs = Self::all_pairs(p, op);
        let mut rng = Rng::new(seed as u64, 1);
        rng.shuffle(&mut pairs);
        let n_train = Self::train_size(pairs.len(), frac);
        let test = pairs.split_off(n_train);
        Dataset {
            p,
            op,
            train: pairs,
            test,
            dropped: Vec::new(),
        }
    }

    /// Keeps only the first `kept` training pairs — a prefix of the seeded shuffle, so a
    /// replay of the run cuts the same pairs, and a second cut keeps a subset of the
    /// first — and sets the rest aside (see [`Dataset::dropped`]).
    pub fn shrink_train(&mut self, kept: usize) {
        let dropped = self.train.split_off(kept.min(self.train.len()));
        self.dropped.extend(dropped);
    }

    /// A p × p mask (row a, column b): true where (a, b) is in the training set.
    pub fn train_mask(&self) -> Vec<bool> {
        let p = self.p as usize;
        let mut mask = vec![false; p * p];
        for pair in &self.train {
            mask[pair.a as usize * p + pair.b as usize] = true;
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_spot_checks() {
        let p = 97;
        assert_eq!(Op::Add.apply(90, 10, p), 3);
        assert_eq!(Op::Sub.apply(3, 10, p), 90);
        assert_eq!(Op::Mul.apply(50, 2, p), 3);
        // 5 / 3 mod 97: 3 · 65 = 195 = 2·97 + 1, so 3⁻¹ = 65 and 5 · 65 = 325 = 3·97 + 34.
        assert_eq!(Op::Div.apply(5, 3, p), 34);
        assert_eq!(Op::X2y2.apply(10, 5, p), 125 % 97);
        assert_eq!(Op::X2xyy2.apply(10, 5, p), 175 % 97);
        assert_eq!(Op::Sub.apply(0, 96, p), 1);
    }

    #[test]
    fn division_inverts_multiplication() {
        let p = 13;
        for a in 0..p {
            for b in 1..p {
                let q = Op::Div.apply(a, b, p);
                assert_eq!(Op::Mul.apply(q, b, p), a, "{a}/{b}");
            }
        }
    }

    #[test]
    fn primes() {
        assert_eq!(
            primes_between(2, 30),
            vec![2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
        );
        assert!(is_prime(97) && is_prime(257) && !is_prime(91) && !is_prime(1));
    }

    #[test]
    fn op_names_round_trip() {
        for op in Op::ALL {
            assert_eq!(op.name().parse::<Op>(), Ok(op));
        }
        assert!("pow"
            .parse::<Op>()
            .unwrap_err()
            .contains("unknown operation"));
    }

    #[test]
    fn split_is_disjoint_and_covers() {
        let d = Dataset::new(23, Op::Add, 0.3, 5);
        assert_eq!(d.train.len(), Dataset::train_size(23 * 23, 0.3));
        assert_eq!(d.train.len() + d.test.len(), 23 * 23);
        let mut seen = vec![0u8; 23 * 23];
        for pair in d.train.iter().chain(&d.test) {
            seen[(pair.a * 23 + pair.b) as usize] += 1;
            assert_eq!(pair.label, (pair.a + pair.b) % 23);
        }
        assert!(seen.iter().all(|&c| c == 1), "every pair exactly once");
    }

    #[test]
    fn split_depends_on_seed_only() {
        let a = Dataset::new(31, Op::Mul, 0.5, 1);
        let b = Dataset::new(31, Op::Mul, 0.5, 1);
        let c = Dataset::new(31, Op::Mul, 0.5, 2);
        assert_eq!(a.train, b.train);
        assert_ne!(a.train, c.train);
    }

    #[test]
    fn division_excludes_zero_divisor() {
        let d = Dataset::new(11, Op::Div, 0.5, 0);
        assert_eq!(d.train.len() + d.test.len(), 11 * 10);
        assert!(d.train.iter().chain(&d.test).all(|pair| pair.b != 0));
    }
}
