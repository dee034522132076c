//! Clock or pizza? The two measures by which Zhong et al. (2023, "The Clock and the
//! Pizza: Two Stories in Mechanistic Explanation of Neural Networks") tell apart the two
//! algorithms networks learn for modular addition.
//!
//! Both algorithms place the numbers on circles. The *clock* (Nanda et al. 2023) adds
//! the angles of a and b — a multiplication of rotations, which attention can do — so
//! the answer's logit does not care how far apart a and b are. The *pizza* averages the
//! two embeddings (the midpoint lies inside the circle, at distance |cos(w(a − b)/2)|
//! from its centre) and reads the sum off the midpoint's direction with a nonlinearity:
//! its logits are a function of E_a + E_b, and the answer's logit shrinks as a and b
//! move apart.
//!
//! - **Gradient symmetricity** (their Definition 4.1): over sampled triples (a, b, c),
//!   the mean cosine similarity between ∂Q_c/∂E_a and ∂Q_c/∂E_b, the gradients of the
//!   logit of class c with respect to the two operands' input embeddings. A function of
//!   E_a + E_b has equal gradients (1); a clock does not. The paper's pizza (uniform
//!   attention) measures 0.9937, its clock 0.3336.
//! - **Distance irrelevance** (Definition 4.2): the correct logit as a matrix over
//!   (a + b, a − b); for each difference a − b, the standard deviation over the sums;
//!   their mean, over the standard deviation of the whole matrix. Near 1 when the
//!   difference does not matter (clock: 0.85 in the paper), near 0 when it explains the
//!   correct logit (pizza: 0.17).
//!
//! The measures need only a network's logits and its gradients with respect to its
//! input embeddings ([`Model::input_gradients`]): they apply to the MLP (E_a, E_b in the
//! concatenated input) and the transformer (W_E[a] at position 0, W_E[b] at 1) alike.
//! [`verdict`] turns the two numbers into a word, with thresholds from the paper's two
//! archetypes (see there). Defined for addition only: "distance" is a − b of a sum.

use crate::model::{Model, Workspace};
use crate::params::Params;
use crate::rng::Rng;
use crate::task::{Dataset, Op, Pair};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Gradient symmetricity of the paper's pizza (its Model A, uniform attention).
pub const PIZZA_SYMMETRICITY: f64 = 0.9937;
/// Gradient symmetricity of the paper's clock (its Model B, learned attention).
pub const CLOCK_SYMMETRICITY: f64 = 0.3336;
/// Distance irrelevance of the paper's pizza.
pub const PIZZA_IRRELEVANCE: f64 = 0.17;
/// Distance irrelevance of the paper's clock.
pub const CLOCK_IRRELEVANCE: f64 = 0.85;

/// How many (a, b, c) triples [`measure`] samples for the gradient symmetricity (the
/// paper: 100; more here, as a triple costs microseconds, so the mean is steadier).
pub const TRIPLES: usize = 1000;

/// The random stream of the sampled triples (fixed: a network gets one number).
const TRIPLE_STREAM: u64 = 0x636c_6f63_6b70_697a;

/// Mean cosine similarity of the two input gradients over `triples` triples (a, b, c)
/// drawn uniformly from 0..p by `seed`. `gradients(a, b, c)` returns d(logit c)/d(E_a)
/// and d(logit c)/d(E_b). Triples where either gradient is zero (no direction to
/// compare) are left out; `None` if every one was.
pub fn gradient_symmetricity(
    p: u32,
    triples: usize,
    seed: u64,
    mut gradients: impl FnMut(u32, u32, u32) -> [Vec<f64>; 2],
) -> Option<f64> {
    let mut rng = Rng::new(seed, TRIPLE_STREAM);
    let mut total = 0.0;
    let mut counted = 0usize;
    for _ in 0..triples {
        let mut draw = || rng.below(p as u64) as u32;
        let (a, b, c) = (draw(), draw(), draw());
        let [ga, gb] = gradients(a, b, c);
        if let Some(cos) = cosine(&ga, &gb) {
            total += cos;
            counted += 1;
        }
    }
    (counted > 0).then(|| total / counted as f64)
}

/// Cosine similarity of two vectors, `None` if either is zero.
fn cosine(x: &[f64], y: &[f64]) -> Option<f64> {
    let dot: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
    let nx = x.iter().map(|a| a * a).sum::<f64>().sqrt();
    let ny = y.iter().map(|a| a * a).sum::<f64>().sqrt();
    (nx > 0.0 && ny > 0.0).then(|| dot / (nx * ny))
}

/// Distance irrelevance of the correct logits `correct(a, b)` (the logit of the class
/// (a + b) mod p) over all p² pairs: the matrix L[(a + b) mod p][(a − b) mod p]; for
/// each column (a difference) the standard deviation down it (over the sums); their mean
/// over the standard deviation of all of L (population deviations, as numpy's default).
/// `None` when L is constant (nothing to explain).
pub fn distance_irrelevance(p: u32, mut correct: impl FnMut(u32, u32) -> f64) -> Option<f64> {
    let n = p as usize;
    let mut grid = vec![0.0f64; n * n];
    for a in 0..p {
        for b in 0..p {
            let (sum, diff) = ((a + b) % p, (a + p - b) % p);
            grid[sum as usize * n + diff as usize] = correct(a, b);
        }
    }
    let std = |xs: &mut dyn Iterator<Item = f64>| {
        let v: Vec<f64> = xs.collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / v.len() as f64).sqrt()
    };
    let all = std(&mut grid.iter().copied());
    let per_difference = (0..n)
        .map(|diff| std(&mut (0..n).map(|sum| grid[sum * n + diff])))
        .sum::<f64>()
        / n as f64;
    (all > 0.0).then(|| per_difference / all)
}

/// Distance irrelevance from a network's logits for `pairs` (every pair (a, b) of
/// addition mod p, each once, in any order; labels (a + b) mod p). `None` if `pairs` is
/// not that grid or the correct logits are constant.
pub fn distance_irrelevance_of_logits(
    logits: ArrayView2<f32>,
    pairs: &[Pair],
    p: u32,
) -> Option<f64> {
    let n = p as usize;
    if pairs.len() != n * n || logits.nrows() != pairs.len() || logits.ncols() != n {
        return None;
    }
    let mut at = vec![usize::MAX; n * n];
    for (i, pair) in pairs.iter().enumerate() {
        if pair.label != (pair.a + pair.b) % p {
            return None;
        }
        at[pair.a as usize * n + pair.b as usize] = i;
    }
    if at.contains(&usize::MAX) {
        return None;
    }
    distance_irrelevance(p, |a, b| {
        let row = at[a as usize * n + b as usize];
        logits[[row, ((a + b) % p) as usize]] as f64
    })
}

/// Which algorithm the measures point to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Asymmetric gradients and a correct logit that ignores a − b.
    Clock,
    /// Symmetric gradients and a correct logit explained by a − b.
    Pizza,
    /// The two measures disagree (or one is undefined).
    Unclear,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Clock => "clock",
            Verdict::Pizza => "pizza",
            Verdict::Unclear => "unclear",
        })
    }
}

/// Symmetricity above this is nearer the paper's pizza than its clock (their midpoint,
/// ≈ 0.66).
pub const SYMMETRICITY_THRESHOLD: f64 = (PIZZA_SYMMETRICITY + CLOCK_SYMMETRICITY) / 2.0;
/// Distance irrelevance below this is nearer the paper's pizza than its clock (their
/// midpoint, 0.51).
pub const IRRELEVANCE_THRESHOLD: f64 = (PIZZA_IRRELEVANCE + CLOCK_IRRELEVANCE) / 2.0;

/// The verdict of the two measures: each sides with the archetype of the paper it is
/// nearer to (its Model A pizza, symmetricity 0.9937 and irrelevance 0.17; its Model B
/// clock, 0.3336 and 0.85 — the thresholds are the midpoints); "clock" or "pizza" when
/// both side alike, "unclear" when they disagree or one is undefined. The paper itself
/// reads the two measures side by side and finds mixtures between the archetypes, so
/// "unclear" is a finding, not a failure.
pub fn verdict(symmetricity: Option<f64>, irrelevance: Option<f64>) -> Verdict {
    match (symmetricity, irrelevance) {
        (Some(s), Some(q)) if s.is_finite() && q.is_finite() => {
            match (s >= SYMMETRICITY_THRESHOLD, q <= IRRELEVANCE_THRESHOLD) {
                (true, true) => Verdict::Pizza,
                (false, false) => Verdict::Clock,
                _ => Verdict::Unclear,
            }
        }
        _ => Verdict::Unclear,
    }
}

/// Both measures of a network and their verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockPizza {
    /// Mean cosine of the two input gradients over [`TRIPLES`] sampled triples.
    pub gradient_symmetricity: Option<f64>,
    /// Distance irrelevance of the correct logits over all p² pairs.
    pub distance_irrelevance: Option<f64>,
    /// What the two say together.
    pub verdict: Verdict,
}

impl ClockPizza {
    /// One line for people: the verdict and both numbers beside the paper's.
    pub fn summary(&self) -> String {
        let num = |x: Option<f64>| x.map_or("undefined".to_string(), |x| format!("{x:.3}"));
        format!(
            "{}: gradient symmetricity {} (paper: pizza {PIZZA_SYMMETRICITY}, clock {CLOCK_SYMMETRICITY}), distance irrelevance {} (pizza {PIZZA_IRRELEVANCE}, clock {CLOCK_IRRELEVANCE})",
            self.verdict,
            num(self.gradient_symmetricity),
            num(self.distance_irrelevance)
        )
    }
}

/// Both measures for `model` at `params`, trained on addition mod `p` (`None` for other
/// operations, where "distance" has no meaning). Takes the logits of all p² pairs (in
/// `ws`, which must hold a block of pairs) and [`TRIPLES`] input gradients.
pub fn measure(
    model: &Model,
    params: &Params,
    op: Op,
    p: u32,
    ws: &mut Workspace,
) -> Option<ClockPizza> {
    if op != Op::Add {
        return None;
    }
    let pairs = Dataset::all_pairs(p, op);
    let logits = model.logits(params, &pairs, ws);
    let irrelevance = distance_irrelevance_of_logits(logits.view(), &pairs, p);
    let gradients = model.input_gradient_fn(params);
    let symmetricity = gradient_symmetricity(p, TRIPLES, 0, gradients);
    Some(ClockPizza {
        gradient_symmetricity: symmetricity,
        distance_irrelevance: irrelevance,
        verdict: verdict(symmetricity, irrelevance),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::TAU;

    const P: u32 = 31;

    fn angle(k: u32, x: f64) -> f64 {
        TAU * k as f64 * x / P as f64
    }

    /// Radii that vary irregularly with the token, as a trained clock's do (a perfect
    /// clock's correct logit is one constant, which no measure can read).
    fn radius(a: u32) -> f64 {
        1.0 + 0.4 * ((a * 7919 % 13) as f64 / 13.0)
    }

    /// An idealised clock: E_a = r_a (cos wa, sin wa), Q_c = r_a r_b cos(w(a + b − c)),
    /// the real part of the product of the rotations, with its exact input gradients.
    fn clock_logit(a: u32, b: u32, c: u32) -> f64 {
        radius(a) * radius(b) * angle(3, a as f64 + b as f64 - c as f64).cos()
    }

    fn clock_gradients(a: u32, b: u32, c: u32) -> [Vec<f64>; 2] {
        // Q = Re(z_a z_b conj(u_c)) with z = r e^{iθ}: dQ/dz_a = conj(z_b) u_c in the
        // (x, y) components, and likewise for b.
        let z = |t: u32| {
            (
                radius(t) * angle(3, t as f64).cos(),
                radius(t) * angle(3, t as f64).sin(),
            )
        };
        let u = (angle(3, c as f64).cos(), angle(3, c as f64).sin());
        let grad = |other: (f64, f64)| {
            // Q = (xa xb − ya yb) uc_x + (ya xb + xa yb) uc_y.
            vec![
                other.0 * u.0 + other.1 * u.1,
                -other.1 * u.0 + other.0 * u.1,
            ]
        };
        [grad(z(b)), grad(z(a))]
    }

    /// An idealised pizza: E_a = (cos wa, sin wa); the logit of c is |v · n_c| with
    /// v = E_a + E_b and n_c the direction of angle w c / 2 — a function of the sum of
    /// the embeddings (|x| is what a pair of ReLUs computes). The correct logit is
    /// 2 |cos(w(a − b)/2)|.
    fn pizza_dot(a: u32, b: u32, c: u32) -> (f64, (f64, f64)) {
        let e = |t: u32| (angle(3, t as f64).cos(), angle(3, t as f64).sin());
        let v = (e(a).0 + e(b).0, e(a).1 + e(b).1);
        let n = (
            angle(3, c as f64 / 2.0).cos(),
            angle(3, c as f64 / 2.0).sin(),
        );
        (v.0 * n.0 + v.1 * n.1, n)
    }

    fn pizza_logit(a: u32, b: u32, c: u32) -> f64 {
        pizza_dot(a, b, c).0.abs()
    }

    fn pizza_gradients(a: u32, b: u32, c: u32) -> [Vec<f64>; 2] {
        let (dot, n) = pizza_dot(a, b, c);
        let g = vec![dot.signum() * n.0, dot.signum() * n.1];
        [g.clone(), g]
    }

    #[test]
    fn an_idealised_pizza_is_a_pizza() {
        let s = gradient_symmetricity(P, 500, 1, pizza_gradients).unwrap();
        // The correct class's n_c: c = (a + b) mod P, so its half-angle is (a + b)/2 or
        // that plus π·3 — the sign flips, the absolute value does not.
        let q = distance_irrelevance(P, |a, b| pizza_logit(a, b, (a + b) % P)).unwrap();
        assert!((s - 1.0).abs() < 1e-12, "symmetricity {s}");
        assert!(q < 1e-9, "distance irrelevance {q}");
        assert_eq!(verdict(Some(s), Some(q)), Verdict::Pizza);
    }

    #[test]
    fn an_idealised_clock_is_a_clock() {
        let s = gradient_symmetricity(P, 2000, 1, clock_gradients).unwrap();
        let q = distance_irrelevance(P, |a, b| clock_logit(a, b, (a + b) % P)).unwrap();
        // Rotations by the other operand: the gradients' angle is w(b − a) up to the
        // radii, which averages to ~0 over uniform pairs.
        assert!(s.abs() < 0.1, "symmetricity {s}");
        assert!(q > 0.85, "distance irrelevance {q}");
        assert_eq!(verdict(Some(s), Some(q)), Verdict::Clock);
    }

    #[test]
    fn the_clocks_gradients_are_its_logits_derivatives() {
        // Central differences of the clock's logit along each component of E_a, E_b.
        let (a, b, c) = (4, 9, 17);
        let [ga, gb] = clock_gradients(a, b, c);
        let z = |t: u32| {
            (
                radius(t) * angle(3, t as f64).cos(),
                radius(t) * angle(3, t as f64).sin(),
            )
        };
        let u = (angle(3, c as f64).cos(), angle(3, c as f64).sin());
        let q = |za: (f64, f64), zb: (f64, f64)| {
            (za.0 * zb.0 - za.1 * zb.1) * u.0 + (za.1 * zb.0 + za.0 * zb.1) * u.1
        };
        assert!((q(z(a), z(b)) - clock_logit(a, b, c)).abs() < 1e-12);
        let h = 1e-6;
        let fd = |f: &dyn Fn(f64) -> f64| (f(h) - f(-h)) / (2.0 * h);
        let (za, zb) = (z(a), z(b));
        let expect = [
            fd(&|e| q((za.0 + e, za.1), zb)),
            fd(&|e| q((za.0, za.1 + e), zb)),
            fd(&|e| q(za, (zb.0 + e, zb.1))),
            fd(&|e| q(za, (zb.0, zb.1 + e))),
        ];
        for (x, y) in [ga[0], ga[1], gb[0], gb[1]].iter().zip(expect) {
            assert!((x - y).abs() < 1e-6, "{x} vs {y}");
        }
    }

    #[test]
    fn verdicts_follow_the_papers_archetypes() {
        assert_eq!(verdict(Some(0.9937), Some(0.17)), Verdict::Pizza);
        assert_eq!(verdict(Some(0.3336), Some(0.85)), Verdict::Clock);
        assert_eq!(verdict(Some(0.95), Some(0.8)), Verdict::Unclear);
        assert_eq!(verdict(Some(0.2), Some(0.1)), Verdict::Unclear);
        assert_eq!(verdict(None, Some(0.1)), Verdict::Unclear);
        assert_eq!(verdict(Some(f64::NAN), Some(0.1)), Verdict::Unclear);
        assert_eq!(Verdict::Clock.to_string(), "clock");
    }

    #[test]
    fn distance_irrelevance_needs_the_whole_grid_and_a_varying_logit() {
        assert_eq!(distance_irrelevance(P, |_, _| 2.0), None);
        let pairs = Dataset::all_pairs(5, Op::Add);
        let logits = ndarray::Array2::<f32>::zeros((pairs.len() - 1, 5));
        assert_eq!(
            distance_irrelevance_of_logits(logits.view(), &pairs[1..], 5),
            None
        );
    }
}
