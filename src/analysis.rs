//! What the network has learned, read off its embedding.
//!
//! The general solution to modular addition places the numbers on circles: E_a has
//! components along cos(2πka/p) and sin(2πka/p) for a few "key" frequencies k (Nanda et
//! al. 2023). Projecting the embedding onto the Fourier basis over the token axis shows
//! this directly: before grokking the energy is spread over all frequencies, after it
//! concentrates on a few.
//!
//! Conventions: frequencies k = 0..=p/2; k = 0 is the constant direction. Each basis
//! vector over the tokens is normalised to unit length (1/√p for the constant).

use ndarray::Array2;
use serde::{Deserialize, Serialize};
use std::f64::consts::TAU;

/// The embedding's energy per frequency and the frequencies that carry it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spectrum {
    /// Energy (squared norm of the projection) at k = 0..=p/2; index 0 is the constant.
    pub energy: Vec<f64>,
    /// The smallest set of frequencies (k ≥ 1) holding at least [`KEY_SHARE`] of the
    /// non-constant energy, strongest first.
    pub keys: Vec<usize>,
    /// Gini coefficient of the per-frequency norms √energy over k ≥ 1: near 0 when spread
    /// evenly, near 1 when concentrated on few frequencies.
    pub gini: f64,
    /// Share of the non-constant energy held by `keys`.
    pub key_share: f64,
}

/// Share of the non-constant energy that the key frequencies must hold together.
pub const KEY_SHARE: f64 = 0.9;

/// Unit-length cosine and sine vectors over tokens 0..p at frequency k (the sine is all
/// zeros for k = 0 and, for even p, k = p/2).
pub fn fourier_pair(p: usize, k: usize) -> (Vec<f64>, Vec<f64>) {
    let w = TAU * k as f64 / p as f64;
    let mut cos: Vec<f64> = (0..p).map(|a| (w * a as f64).cos()).collect();
    let mut sin: Vec<f64> = (0..p).map(|a| (w * a as f64).sin()).collect();
    for v in [&mut cos, &mut sin] {
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 1e-9 {
            v.iter_mut().for_each(|x| *x /= norm);
        } else {
            v.iter_mut().for_each(|x| *x = 0.0);
        }
    }
    (cos, sin)
}

/// Σ_a coef[a] · E_a: a d-vector.
fn combine(embed: &Array2<f32>, coef: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; embed.ncols()];
    for (row, &c) in embed.rows().into_iter().zip(coef) {
        for (o, &e) in out.iter_mut().zip(row.iter()) {
            *o += c * e as f64;
        }
    }
    out
}

fn sq_norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum()
}

/// The Fourier spectrum of an embedding (rows are tokens 0..p), its key frequencies and
/// their concentration.
pub fn spectrum(embed: &Array2<f32>) -> Spectrum {
    let p = embed.nrows();
    let energy: Vec<f64> = (0..=p / 2)
        .map(|k| {
            let (cos, sin) = fourier_pair(p, k);
            sq_norm(&combine(embed, &cos)) + sq_norm(&combine(embed, &sin))
        })
        .collect();
    let keys = key_frequencies(&energy);
    let total: f64 = energy[1..].iter().sum();
    let key_share = if total > 0.0 {
        keys.iter().map(|&k| energy[k]).sum::<f64>() / total
    } else {
        0.0
    };
    let norms: Vec<f64> = energy[1..].iter().map(|e| e.sqrt()).collect();
    Spectrum {
        gini: gini(&norms),
        energy,
        keys,
        key_share,
    }
}

/// The smallest set of non-constant frequencies whose energies add up to at least
/// [`KEY_SHARE`] of the non-constant total, strongest first. `energy[0]` (the constant)
/// is ignored.
pub fn key_frequencies(energy: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (1..energy.len()).collect();
    // Stable sort with the index as tie-break keeps the result deterministic.
    order.sort_by(|&i, &j| energy[j].total_cmp(&energy[i]).then(i.cmp(&j)));
    let total: f64 = energy.iter().skip(1).sum();
    let mut keys = Vec::new();
    let mut acc = 0.0;
    for k in order {
        if acc >= KEY_SHARE * total && !keys.is_empty() {
            break;
        }
        acc += energy[k];
        keys.push(k);
    }
    keys
}

/// Gini coefficient of non-negative values: 0 when all are equal, approaching 1 when one
/// value holds everything. 0 for an empty or all-zero input.
pub fn gini(values: &[f64]) -> f64 {
    let n = values.len();
    let total: f64 = values.iter().sum();
    if n == 0 || total <= 0.0 {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, x)| (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * x)
        .sum();
    weighted / (n as f64 * total)
}

/// Where each token sits on the circle of frequency k: token a at
/// (⟨E_a, C_k⟩/‖C_k‖, ⟨E_a, S_k⟩/‖S_k‖) with C_k = Σ_a cos(2πka/p) E_a and
/// S_k = Σ_a sin(2πka/p) E_a. After grokking the points form a ring, token a at angle
/// ≈ 2πka/p (up to a rotation and reflection); before, a shapeless cloud.
pub fn circle(embed: &Array2<f32>, k: usize) -> Vec<[f64; 2]> {
    let p = embed.nrows();
    let w = TAU * k as f64 / p as f64;
    let cos: Vec<f64> = (0..p).map(|a| (w * a as f64).cos()).collect();
    let sin: Vec<f64> = (0..p).map(|a| (w * a as f64).sin()).collect();
    let axis = |coef: &[f64]| {
        let mut v = combine(embed, coef);
        let norm = sq_norm(&v).sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    };
    let (cx, sx) = (axis(&cos), axis(&sin));
    embed
        .rows()
        .into_iter()
        .map(|row| {
            let dot = |u: &[f64]| row.iter().zip(u).map(|(&e, &x)| e as f64 * x).sum::<f64>();
            [dot(&cx), dot(&sx)]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An embedding that is exactly a circle at frequency k (plus an optional weaker one).
    fn circle_embedding(p: usize, d: usize, k: usize, k2: Option<usize>) -> Array2<f32> {
        Array2::from_shape_fn((p, d), |(a, j)| {
            let w = TAU * k as f64 * a as f64 / p as f64;
            let main = match j {
                0 => w.cos(),
                1 => w.sin(),
                _ => 0.0,
            };
            let extra = match (k2, j) {
                (Some(k2), 2) => 0.2 * (TAU * (k2 * a) as f64 / p as f64).cos(),
                _ => 0.0,
            };
            (main * 3.0 + extra) as f32
        })
    }

    #[test]
    fn finds_the_frequency_of_a_circle() {
        let e = circle_embedding(31, 6, 7, Some(3));
        let s = spectrum(&e);
        assert_eq!(s.energy.len(), 16);
        assert_eq!(s.keys, vec![7], "7 holds ≥90% of the energy alone");
        let argmax = (0..s.energy.len())
            .max_by(|&i, &j| s.energy[i].total_cmp(&s.energy[j]))
            .unwrap();
        assert_eq!(argmax, 7);
        assert!(s.gini > 0.9, "gini {}", s.gini);
        // Parseval: the spectrum holds all of the embedding's energy.
        let total: f64 = e.iter().map(|&x| (x as f64).powi(2)).sum();
        assert!((s.energy.iter().sum::<f64>() - total).abs() < 1e-6 * total);
    }

    #[test]
    fn puts_tokens_on_a_circle_in_order() {
        let (p, k) = (31, 7);
        let pts = circle(&circle_embedding(p, 5, k, None), k);
        let r0 = (pts[0][0].powi(2) + pts[0][1].powi(2)).sqrt();
        for (a, pt) in pts.iter().enumerate() {
            let r = (pt[0].powi(2) + pt[1].powi(2)).sqrt();
            assert!((r - r0).abs() < 1e-6 * r0, "radius of {a}");
            let angle = pt[1].atan2(pt[0]).rem_euclid(TAU);
            let expect = (TAU * (k * a) as f64 / p as f64).rem_euclid(TAU);
            let diff = (angle - expect).abs().min(TAU - (angle - expect).abs());
            assert!(diff < 1e-6, "token {a} at angle {angle}, expected {expect}");
        }
    }

    #[test]
    fn noise_spreads_energy() {
        let mut rng = crate::rng::Rng::new(1, 0);
        let e = Array2::from_shape_fn((97, 32), |_| rng.normal() as f32);
        let s = spectrum(&e);
        assert!(
            s.keys.len() > 30,
            "random embedding needs many frequencies: {}",
            s.keys.len()
        );
        assert!(s.gini < 0.3, "gini {}", s.gini);
    }

    #[test]
    fn gini_extremes() {
        assert_eq!(gini(&[1.0, 1.0, 1.0, 1.0]), 0.0);
        assert!((gini(&[0.0, 0.0, 0.0, 1.0]) - 0.75).abs() < 1e-12);
        assert_eq!(gini(&[]), 0.0);
    }
}
