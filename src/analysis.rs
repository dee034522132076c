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

use crate::task::{Op, Pair};
use ndarray::{Array2, ArrayView2};
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
fn combine(embed: &ArrayView2<f32>, coef: &[f64]) -> Vec<f64> {
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
pub fn spectrum<'a>(embed: impl Into<ArrayView2<'a, f32>>) -> Spectrum {
    let embed = &embed.into();
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
    let order = ranked_frequencies(energy);
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

/// The non-constant frequencies k ≥ 1, strongest first; ties go to the smaller k, so the
/// order is deterministic.
pub fn ranked_frequencies(energy: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (1..energy.len()).collect();
    order.sort_by(|&i, &j| energy[j].total_cmp(&energy[i]).then(i.cmp(&j)));
    order
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
pub fn circle<'a>(embed: impl Into<ArrayView2<'a, f32>>, k: usize) -> Vec<[f64; 2]> {
    let embed = &embed.into();
    // C_k and S_k up to scale: the axes are normalised below, so the unit-length basis
    // vectors give the same directions.
    let (cos, sin) = fourier_pair(embed.nrows(), k);
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

/// Progress measures of Nanda et al. (2023), adapted to this model, and the accuracies of
/// the two ablated networks they are computed from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The frequencies treated as the circuit's (from the embedding's spectrum).
    pub keys: Vec<usize>,
    /// Cross-entropy on all pairs of the logits restricted to the key frequencies.
    pub restricted_loss: f64,
    /// Cross-entropy on the training pairs of the logits with the key frequencies removed.
    pub excluded_loss: f64,
    /// Train / test accuracy keeping only the key frequencies.
    pub restricted_train_acc: f64,
    /// Test accuracy keeping only the key frequencies.
    pub restricted_test_acc: f64,
    /// Train accuracy with the key frequencies removed.
    pub excluded_train_acc: f64,
    /// Test accuracy with the key frequencies removed.
    pub excluded_test_acc: f64,
}

/// The input-grid variable whose Fourier directions carry the answer: s = a + b for
/// addition, s = a − b for subtraction. Other operations have no such single variable
/// (multiplication works through discrete logarithms), so the measures are not defined.
pub fn answer_variable(op: Op) -> Option<fn(u32, u32, u32) -> u32> {
    match op {
        Op::Add => Some(|a, b, p| (a + b) % p),
        Op::Sub => Some(|a, b, p| (a + p - b) % p),
        _ => None,
    }
}

/// Restricted and excluded logits, losses and accuracies.
///
/// `logits` holds the model's logits for every pair of the task in
/// [`crate::task::Dataset::all_pairs`] order (a outer, b inner), `is_train[i]` says
/// whether pair i is a training pair. Over the p² input grid the directions
/// cos(w_k s) and sin(w_k s), w_k = 2πk/p, s = a ± b, are orthogonal; P is the part of
/// each output column along the key frequencies' directions. Restricted logits are
/// P + the per-class mean of L − P (the mean of P is 0, so that is the mean of L);
/// excluded logits are L − P. Because the directions depend on s alone, P is computed
/// from the p × p table of sums of L over each anti-diagonal s: O(p²·(keys + p)) work on
/// top of the forward pass, cheap enough to run live.
pub fn progress(
    logits: &Array2<f32>,
    pairs: &[Pair],
    is_train: &[bool],
    p: usize,
    op: Op,
    keys: &[usize],
) -> Option<Progress> {
    let var = answer_variable(op)?;
    let n = pairs.len();
    assert_eq!(logits.nrows(), n);
    assert_eq!(is_train.len(), n);
    let classes = logits.ncols();
    let s_of: Vec<usize> = pairs
        .iter()
        .map(|pr| var(pr.a, pr.b, p as u32) as usize)
        .collect();

    // Per-s sums of the logits (S) and their count, and the per-class mean over pairs.
    let mut sums = Array2::<f64>::zeros((p, classes));
    let mut count = vec![0usize; p];
    let mut mean = vec![0.0f64; classes];
    for (i, row) in logits.rows().into_iter().enumerate() {
        count[s_of[i]] += 1;
        for (c, &z) in row.iter().enumerate() {
            sums[[s_of[i], c]] += z as f64;
            mean[c] += z as f64 / n as f64;
        }
    }
    // P_s = Σ_k [cos(w_k s)·α_k + sin(w_k s)·β_k] / ‖direction‖², α_k = Σ_pairs cos(w_k s) L.
    let mut proj = Array2::<f64>::zeros((p, classes));
    for &k in keys {
        let w = TAU * k as f64 / p as f64;
        let (cos, sin): (Vec<f64>, Vec<f64>) = (0..p)
            .map(|s| ((w * s as f64).cos(), (w * s as f64).sin()))
            .unzip();
        for basis in [&cos, &sin] {
            let norm2: f64 = (0..p).map(|s| count[s] as f64 * basis[s] * basis[s]).sum();
            if norm2 < 1e-9 {
                continue; // the sine at k = p/2 for even p
            }
            let mut coef = vec![0.0f64; classes];
            for s in 0..p {
                for (c, co) in coef.iter_mut().enumerate() {
                    *co += basis[s] * sums[[s, c]];
                }
            }
            for s in 0..p {
                for (c, co) in coef.iter().enumerate() {
                    proj[[s, c]] += basis[s] * co / norm2;
                }
            }
        }
    }

    // Restricted logits depend on s alone, so their log-sum-exp and arg-max are taken
    // once per s (p rows, not p² pairs). Excluded logits differ per pair; their loss is
    // needed on training pairs only, their accuracy (an arg-max, no exp) on all pairs.
    let restricted_rows: Vec<(f64, usize, Vec<f64>)> = (0..p)
        .map(|s| {
            let row: Vec<f64> = (0..classes).map(|c| proj[[s, c]] + mean[c]).collect();
            let (arg, max) = arg_max(&row);
            (log_sum_exp(&row, max), arg, row)
        })
        .collect();
    let mut restricted = CrossEntropy::default();
    let mut restricted_acc = [AccCount::default(); 2];
    let mut excluded = CrossEntropy::default();
    let mut excluded_acc = [AccCount::default(); 2];
    let mut row_e = vec![0.0f64; classes];
    for (i, row) in logits.rows().into_iter().enumerate() {
        let s = s_of[i];
        let label = pairs[i].label as usize;
        let split = usize::from(!is_train[i]);
        let (lse_r, arg_r, row_r) = &restricted_rows[s];
        restricted.add(lse_r - row_r[label]);
        restricted_acc[split].add(*arg_r == label);
        for c in 0..classes {
            row_e[c] = row[c] as f64 - proj[[s, c]];
        }
        let (arg_e, max_e) = arg_max(&row_e);
        if is_train[i] {
            excluded.add(log_sum_exp(&row_e, max_e) - row_e[label]);
        }
        excluded_acc[split].add(arg_e == label);
    }
    Some(Progress {
        keys: keys.to_vec(),
        restricted_loss: restricted.mean(),
        excluded_loss: excluded.mean(),
        restricted_train_acc: restricted_acc[0].rate(),
        restricted_test_acc: restricted_acc[1].rate(),
        excluded_train_acc: excluded_acc[0].rate(),
        excluded_test_acc: excluded_acc[1].rate(),
    })
}

/// Running mean of per-row losses.
#[derive(Default)]
struct CrossEntropy {
    total: f64,
    n: usize,
}

impl CrossEntropy {
    fn add(&mut self, loss: f64) {
        self.total += loss;
        self.n += 1;
    }
    fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.total / self.n as f64
        }
    }
}

/// Running count of right answers.
#[derive(Default, Clone, Copy)]
struct AccCount {
    right: usize,
    n: usize,
}

impl AccCount {
    fn add(&mut self, right: bool) {
        self.right += usize::from(right);
        self.n += 1;
    }
    fn rate(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.right as f64 / self.n as f64
        }
    }
}

/// The first arg-max of a row and its value (NaNs are never the maximum).
fn arg_max(z: &[f64]) -> (usize, f64) {
    z.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(ai, am), (i, &v)| {
            if v > am {
                (i, v)
            } else {
                (ai, am)
            }
        })
}

/// log Σ exp(z), computed stably around the row's maximum `max`. A row's cross-entropy
/// against `label` is `log_sum_exp(z, max) - z[label]`.
fn log_sum_exp(z: &[f64], max: f64) -> f64 {
    z.iter().map(|v| (v - max).exp()).sum::<f64>().ln() + max
}

/// One moment of a run's embedding, for scrubbing back through the run: the whole
/// embedding (so the circle of any frequency can be drawn) and its spectrum.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// Updates taken when the embedding was copied.
    pub step: u64,
    /// The embedding E (p × d).
    pub embedding: Array2<f32>,
    /// Its Fourier spectrum.
    pub spectrum: Spectrum,
}

/// At most this many frames are kept ([`Frames`]).
pub const MAX_FRAMES: usize = 240;
/// At least this many frames are kept, however large the embedding.
pub const MIN_FRAMES: usize = 16;
/// The frames together hold at most about this many embedding numbers (16 MB of f32):
/// p = 257 with d = 512 keeps fewer frames than the default model.
pub const FRAME_BUDGET: usize = 4_000_000;

/// A run's embedding over time, bounded: at most [`Frames::cap`] frames, spread over the
/// log-step axis. When a new frame would exceed the cap, the frame in the densest stretch
/// of log-step goes (see [`thin_index`]); the first and the latest frame always stay.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frames {
    frames: Vec<Frame>,
    /// A cap set by [`Frames::with_cap`]; 0 means the default for the embedding's size.
    cap: usize,
}

/// How many frames of a `p × d` embedding are kept by default: [`MAX_FRAMES`], fewer for
/// large embeddings ([`FRAME_BUDGET`]), never fewer than [`MIN_FRAMES`].
pub fn frame_cap(p: usize, d: usize) -> usize {
    (FRAME_BUDGET / (p * d).max(1)).clamp(MIN_FRAMES, MAX_FRAMES)
}

/// Which frame to drop from frames at `steps` (increasing) to keep them spread over the
/// log-step axis: among the frames strictly between the first and the last, the one whose
/// neighbours are closest together in ln(1 + step) (the earliest on ties). `None` when
/// there are fewer than three.
pub fn thin_index(steps: &[u64]) -> Option<usize> {
    if steps.len() < 3 {
        return None;
    }
    let x = |i: usize| (steps[i] as f64).ln_1p();
    (1..steps.len() - 1)
        .map(|i| (i, x(i + 1) - x(i - 1)))
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
        .map(|(i, _)| i)
}

impl Frames {
    /// No frames, keeping at most `cap` (at least 2: the first and the latest).
    pub fn with_cap(cap: usize) -> Frames {
        Frames {
            frames: Vec::new(),
            cap: cap.max(2),
        }
    }

    /// The most frames kept (for the current embedding's size).
    pub fn cap(&self) -> usize {
        if self.cap > 0 {
            return self.cap;
        }
        self.frames.first().map_or(MAX_FRAMES, |f| {
            frame_cap(f.embedding.nrows(), f.embedding.ncols())
        })
    }

    /// Adds the embedding at `step` with its spectrum (computed if not given). A step not
    /// after the latest frame's is ignored when equal (nothing new) and starts over when
    /// earlier (a new run); so is an embedding of another shape.
    pub fn push(&mut self, step: u64, embedding: Array2<f32>, spectrum: Option<Spectrum>) {
        if let Some(last) = self.frames.last() {
            if step == last.step && embedding.dim() == last.embedding.dim() {
                return;
            }
            if step < last.step || embedding.dim() != last.embedding.dim() {
                self.frames.clear();
            }
        }
        let spectrum = spectrum.unwrap_or_else(|| spectrum_of(&embedding));
        self.frames.push(Frame {
            step,
            embedding,
            spectrum,
        });
        let cap = self.cap();
        while self.frames.len() > cap {
            let steps: Vec<u64> = self.frames.iter().map(|f| f.step).collect();
            match thin_index(&steps) {
                Some(i) => {
                    self.frames.remove(i);
                }
                None => break,
            }
        }
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Frame `i` (0 = the first).
    pub fn get(&self, i: usize) -> Option<&Frame> {
        self.frames.get(i)
    }

    /// The latest frame.
    pub fn last(&self) -> Option<&Frame> {
        self.frames.last()
    }

    /// The frames, by increasing step.
    pub fn as_slice(&self) -> &[Frame] {
        &self.frames
    }

    /// The last frame at or before `step` (0 when `step` is before the first frame, or
    /// there are no frames).
    pub fn index_at_or_before(&self, step: f64) -> usize {
        self.frames
            .partition_point(|f| (f.step as f64) <= step)
            .saturating_sub(1)
    }

    /// The key frequencies of the latest frame, strongest first (empty without frames).
    pub fn final_keys(&self) -> Vec<usize> {
        self.last()
            .map(|f| key_frequencies(&f.spectrum.energy))
            .unwrap_or_default()
    }

    /// Forgets every frame (keeps the cap).
    pub fn clear(&mut self) {
        self.frames.clear();
    }
}

/// [`spectrum`] under another name, for [`Frames::push`] (where `spectrum` is a variable).
fn spectrum_of(embedding: &Array2<f32>) -> Spectrum {
    spectrum(embedding)
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
    fn progress_splits_logits_into_key_and_other_frequencies() {
        // Logits made of frequency 3 of s = a + b plus a class-dependent constant, plus
        // a part that depends on a alone (which no s-direction can capture).
        let (p, op) = (11usize, Op::Add);
        let pairs = crate::task::Dataset::all_pairs(p as u32, op);
        let w = TAU * 3.0 / p as f64;
        let logits = Array2::from_shape_fn((pairs.len(), p), |(i, c)| {
            let s = (pairs[i].a + pairs[i].b) as f64;
            let circuit = 4.0 * (w * (s - c as f64)).cos();
            (circuit + 0.02 * c as f64 + 0.01 * (pairs[i].a as f64 * c as f64).sin()) as f32
        });
        let is_train: Vec<bool> = (0..pairs.len()).map(|i| i % 3 == 0).collect();
        let with_key = progress(&logits, &pairs, &is_train, p, op, &[3]).unwrap();
        let without = progress(&logits, &pairs, &is_train, p, op, &[1]).unwrap();
        // Keeping frequency 3 keeps the circuit: the restricted network is right everywhere.
        assert_eq!(with_key.restricted_train_acc, 1.0);
        assert_eq!(with_key.restricted_test_acc, 1.0);
        // Removing it leaves near-constant logits: near-chance accuracy, loss near ln p.
        assert!(with_key.excluded_train_acc < 0.3, "{with_key:?}");
        assert!(
            with_key.excluded_loss > 0.8 * (p as f64).ln(),
            "{with_key:?}"
        );
        // The wrong key set does the opposite.
        assert!(
            without.restricted_loss > with_key.restricted_loss + 1.0,
            "{without:?}"
        );
        assert!(without.excluded_train_acc > 0.9, "{without:?}");
        assert!(progress(&logits, &pairs, &is_train, p, Op::Mul, &[3]).is_none());
    }

    #[test]
    fn gini_extremes() {
        assert_eq!(gini(&[1.0, 1.0, 1.0, 1.0]), 0.0);
        assert!((gini(&[0.0, 0.0, 0.0, 1.0]) - 0.75).abs() < 1e-12);
        assert_eq!(gini(&[]), 0.0);
    }
}
