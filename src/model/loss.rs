//! Softmax cross-entropy over rows of logits, shared by every model.
//!
//! The loss of a pair is computed stably in f64 from f32 logits (see
//! [`cross_entropy_rows`]), with a branch-free exponential and arg-max so the loops
//! vectorise, each stage taken over sixteen rows at once so their latencies overlap:
//! together they are the second-largest cost of a training step after the matrix
//! products.

use crate::kernels::with_avx;
use crate::task::Pair;
use ndarray::{s, ArrayViewMut2, Axis};

/// exp(x) for x ≤ 0, accurate to a few ulp, written branch-free so loops over it
/// vectorise (libm's `expf` is a function call per element and dominated the profile).
#[inline(always)]
pub fn exp_nonpos(x: f32) -> f32 {
    // exp(x) = 2^n · exp(r), n = round(x / ln 2), |r| ≤ ln2 / 2.
    // Clamp by compare-and-select (see the ReLU in `hidden_layer`); NaN passes through.
    let x = if x < -87.0 { -87.0 } else { x };
    // Round to nearest by the 1.5·2²³ trick: plain arithmetic, so it vectorises on every
    // target (`f32::round` is a libm call on baseline x86-64 and wasm).
    const SHIFT: f32 = 12_582_912.0;
    let t = x * std::f32::consts::LOG2_E + SHIFT;
    let n = t - SHIFT;
    // n is also the difference of the bit patterns of t and SHIFT (t lies in [2²³, 2²⁴),
    // where floats are consecutive integers): an integer op, unlike the saturating
    // `n as i32`, which compiles to scalar compares and blocks vectorisation.
    let n_int = (t.to_bits() as i32).wrapping_sub(SHIFT.to_bits() as i32);
    // r = x − n·ln 2, with ln 2 split in two so the product is exact enough.
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    // Polynomial for exp on [-ln2/2, ln2/2] (the Cephes expf coefficients).
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    // Scale by 2^n through the exponent bits; n ≥ -126 because x ≥ -87.
    e * f32::from_bits(((n_int + 127) as u32) << 23)
}

/// Lanes of the arg-max scan: independent running maxima, so the loop is a few vector
/// compares and selects per chunk instead of a serial chain of compares. One AVX-512
/// vector natively; two f32x4 on wasm32, where more would not fit V8's sixteen
/// registers with the indices beside them.
const ARG_LANES: usize = if cfg!(target_arch = "wasm32") { 8 } else { 16 };

/// Maximum of a slice and the first index where it occurs (NaNs never win, as in a
/// serial scan with `>`), computed in [`ARG_LANES`] independent lanes so the loop
/// vectorises. The maximum of a set does not depend on the order it is scanned in, and
/// ties go to the smaller index, so the result is exactly a serial scan's.
#[inline(always)]
fn lane_argmax(xs: &[f32]) -> (f32, usize) {
    let mut best = [f32::NEG_INFINITY; ARG_LANES];
    let mut at = [0u32; ARG_LANES];
    // The lanes' current indices, advanced by a vector add (computing c·lanes + lane
    // afresh each chunk became lane inserts and permutes).
    let mut index: [u32; ARG_LANES] = std::array::from_fn(|lane| lane as u32);
    let chunks = xs.chunks_exact(ARG_LANES);
    let tail_start = xs.len() - chunks.remainder().len();
    for chunk in chunks {
        for lane in 0..ARG_LANES {
            let x = chunk[lane];
            let better = x > best[lane];
            best[lane] = if better { x } else { best[lane] };
            at[lane] = if better { index[lane] } else { at[lane] };
        }
        for i in index.iter_mut() {
            *i += ARG_LANES as u32;
        }
    }
    // Combine lanes and the tail without branches: the maximum first, then the smallest
    // index holding it — the first maximum, as a serial scan would give. (A lane that
    // never saw a value above −∞ holds index 0, as does a serial scan that never finds
    // one.)
    //
    // The lanes' maximum by a tree of neighbours, the left one kept on a tie (lanes never
    // hold a NaN), so it is the first maximum a serial scan of the lanes would keep, in
    // four levels instead of a chain of sixteen dependent compares; then the tail.
    let tail = &xs[tail_start..];
    let mut tree = best;
    let mut width = ARG_LANES;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            let (left, right) = (tree[2 * l], tree[2 * l + 1]);
            tree[l] = if right > left { right } else { left };
        }
    }
    let mut max = tree[0];
    for &x in tail {
        max = if x > max { x } else { max };
    }
    // The smallest index holding it: a minimum, the same in any order, which the
    // compiler is free to take as a vector reduction.
    let mut arg = u32::MAX;
    for (&x, &i) in best.iter().zip(&at) {
        arg = arg.min(if x == max { i } else { u32::MAX });
    }
    let mut arg = arg as usize;
    for (i, &x) in (tail_start..).zip(tail) {
        arg = if x == max && i < arg { i } else { arg };
    }
    let arg = if arg == u32::MAX as usize { 0 } else { arg };
    // The value from the row itself: where the maximum is a zero, the lanes may hold the
    // other sign of it than the first one the serial scan keeps (+0 > −0 is false).
    let max = if max == f32::NEG_INFINITY {
        max
    } else {
        xs[arg]
    };
    (max, arg)
}

/// Elements per step of the element-by-element loops: one AVX-512 vector, four of
/// wasm's. A plain loop over a row of 97 is vectorised 64 at a time (16 lanes unrolled
/// four times) and leaves 33 elements to scalar code; fixed chunks of this many leave
/// one.
const CHUNK: usize = 16;

/// Replaces each x by exp(x − shift), element by element, [`CHUNK`] at a time.
#[inline(always)]
fn exp_shifted(xs: &mut [f32], shift: f32) {
    let mut chunks = xs.chunks_exact_mut(CHUNK);
    for chunk in &mut chunks {
        for x in chunk.iter_mut() {
            *x = exp_nonpos(*x - shift);
        }
    }
    for x in chunks.into_remainder() {
        *x = exp_nonpos(*x - shift);
    }
}

/// The sum of a row of exponentials in eight f32 lanes (the terms are small
/// probabilities, so f32 partial sums keep their relative precision), then the lanes and
/// the tail: the fixed order the figures' bits depend on.
#[inline(always)]
fn lane_sum(xs: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = xs.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().fold(0.0, |t, &x| t + x);
    for chunk in chunks {
        for (a, &x) in acc.iter_mut().zip(chunk) {
            *a += x;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Rows taken through each stage of [`cross_entropy_rows`] together. A row's stages
/// (arg-max, exponentials, sum, loss and gradient) each wait for the one before, and one
/// row of 97 is too short a stretch of work to hide their latencies (the exponential's
/// polynomial alone is a chain of a dozen dependent operations); a stage run over
/// sixteen rows at once is a long stream of independent work. Each row's arithmetic and
/// the order the losses are added in are the same for any value (a test checks 16
/// against 1).
const ROWS_AT_ONCE: usize = 16;

/// Softmax terms (relative to the row's largest, which is 1) below this are left out of
/// the gradient: 2⁻⁶⁴ ≈ 5.4e-20. See [`cross_entropy_rows`].
pub const TINY: f32 = 5.421_011e-20;

with_avx! {
    /// Softmax cross-entropy over the rows of `logits` (one per pair). Adds the rows'
    /// losses to `loss` (f64, one after another, so a batch taken in blocks sums them in
    /// the same order as at once) and returns the number correct; if `grad_scale` is
    /// given, overwrites each row with grad_scale · (softmax − onehot).
    ///
    /// Stability: logits are shifted by their row maximum before exponentiating, so the
    /// arg-max term is exactly 1 and the row sum is 1 + s, with s the sum of the other
    /// (small) terms, kept separately. The loss is then ln_1p(s) + (max − z_y) in f64 and a
    /// confident label's gradient is −s/(1 + s) instead of e_y/sum − 1, which rounds to 0 in
    /// f32 once s < 6e-8. This keeps the loss curve smooth (no spikes) down to 1e-7 and below
    /// — the failure DESIGN.md warns about with f32 log-softmax.
    pub(crate) fn cross_entropy_rows(
        logits: ArrayViewMut2<f32>,
        pairs: &[Pair],
        grad_scale: Option<f32>,
        loss: &mut f64
    ) -> usize = cross_entropy_rows_generic;
}

#[inline(always)]
fn cross_entropy_rows_generic(
    logits: ArrayViewMut2<f32>,
    pairs: &[Pair],
    grad_scale: Option<f32>,
    loss: &mut f64,
) -> usize {
    cross_entropy_in_groups::<ROWS_AT_ONCE>(logits, pairs, grad_scale, loss)
}

/// [`cross_entropy_rows`], its stages taken over `R` rows at a time (see
/// [`ROWS_AT_ONCE`]).
#[inline(always)]
fn cross_entropy_in_groups<const R: usize>(
    mut logits: ArrayViewMut2<f32>,
    pairs: &[Pair],
    grad_scale: Option<f32>,
    loss: &mut f64,
) -> usize {
    // Groups of R rows as views of the matrix (no list of rows: a step allocates
    // nothing), each stage a pass over the group's rows.
    let n = pairs.len().min(logits.nrows());
    let mut correct = 0usize;
    for (mut group, pairs) in logits
        .slice_mut(s![..n, ..])
        .axis_chunks_iter_mut(Axis(0), R)
        .zip(pairs.chunks(R))
    {
        let (mut max, mut arg, mut zy) = ([0.0f32; R], [0usize; R], [0.0f32; R]);
        for (r, (row, pair)) in row_slices(&mut group).zip(pairs).enumerate() {
            let y = pair.label as usize;
            // The prediction is the first maximum (ties go to the smaller class).
            (max[r], arg[r]) = lane_argmax(row);
            correct += usize::from(arg[r] == y);
            zy[r] = row[y];
            // Leave the maximum out of the sum (its term is exactly 1): exp_nonpos clamps
            // at e⁻⁸⁷ ≈ 1.6e-38, which vanishes next to the other terms.
            row[arg[r]] = f32::NEG_INFINITY;
        }
        for (row, &max) in row_slices(&mut group).zip(&max) {
            exp_shifted(row, max);
        }
        let mut others = [0.0f32; R];
        for (r, row) in row_slices(&mut group).enumerate() {
            others[r] = lane_sum(row);
            row[arg[r]] = 1.0;
        }
        for (r, (row, pair)) in row_slices(&mut group).zip(pairs).enumerate() {
            let (y, others) = (pair.label as usize, others[r]);
            *loss += (others as f64).ln_1p() + (max[r] - zy[r]) as f64;
            let Some(scale) = grad_scale else {
                continue;
            };
            let inv = scale / (1.0 + others);
            // Probabilities below TINY are flushed to zero: scaled by 1/N they would be
            // subnormal floats, and every product that reads them (dW2 = Gᵀ·H, dH = G·W2)
            // then runs up to 10× slower on Intel CPUs (a microcode assist per operand),
            // natively and in the browser alike — a run without weight decay, whose logit
            // gaps keep growing, slowed to a quarter of its speed. What is dropped is below
            // 1e-19 of a row's largest term, far under f32's resolution of the sum.
            let flush = |e: &mut f32| *e = if *e < TINY { 0.0 } else { *e * inv };
            let mut chunks = row.chunks_exact_mut(CHUNK);
            for chunk in &mut chunks {
                chunk.iter_mut().for_each(flush);
            }
            chunks.into_remainder().iter_mut().for_each(flush);
            row[y] = if y == arg[r] {
                if others < TINY {
                    0.0
                } else {
                    -others * inv
                }
            } else {
                row[y] - scale
            };
        }
    }
    correct
}

/// The rows of a standard-layout block of logits, as slices.
#[inline(always)]
fn row_slices<'a>(group: &'a mut ArrayViewMut2<f32>) -> impl Iterator<Item = &'a mut [f32]> {
    group
        .rows_mut()
        .into_iter()
        .map(|row| row.into_slice().expect("contiguous"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn lane_argmax_finds_the_first_maximum() {
        for len in [1, 5, 8, 9, 97] {
            for at in 0..len {
                let mut xs: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
                xs[at] = 5.0;
                assert_eq!(lane_argmax(&xs), (5.0, at), "len {len}");
                if at + 1 < len {
                    xs[len - 1] = 5.0; // a later tie must not win
                    assert_eq!(lane_argmax(&xs).1, at);
                }
            }
        }
    }

    /// The lane scan against the serial scan it replaces (`x > max`, first index), on
    /// rows with ties, NaNs and infinities, of every length around the lane count.
    #[test]
    fn lane_argmax_is_a_serial_scan() {
        let serial = |xs: &[f32]| {
            let (mut max, mut arg) = (f32::NEG_INFINITY, 0);
            for (i, &x) in xs.iter().enumerate() {
                if x > max {
                    max = x;
                    arg = i;
                }
            }
            (max, arg)
        };
        let specials = [
            f32::NAN,
            f32::NEG_INFINITY,
            f32::INFINITY,
            1.0,
            -1.0,
            0.0,
            -0.0,
        ];
        let mut state = 12345u64;
        for len in 1..70 {
            for trial in 0..40 {
                let xs: Vec<f32> = (0..len)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        let r = (state >> 33) as usize;
                        if trial % 4 == 0 && r.is_multiple_of(7) {
                            specials[r % specials.len()]
                        } else if trial % 4 == 1 {
                            // A maximum that is often a zero of either sign: the first
                            // one must be the one returned, bit for bit.
                            [-1.0, -0.0, 0.0, f32::NAN, f32::NEG_INFINITY][r % 5]
                        } else {
                            // Few distinct values, so ties are common.
                            (r % 5) as f32 - 2.0
                        }
                    })
                    .collect();
                let (max, arg) = lane_argmax(&xs);
                let (want_max, want_arg) = serial(&xs);
                assert_eq!(
                    (max.to_bits(), arg),
                    (want_max.to_bits(), want_arg),
                    "{xs:?}"
                );
            }
        }
    }

    /// Stages over sixteen rows at a time give the bits of one row at a time: the same
    /// gradients, the same loss added in the same order, the same count — on rows of
    /// several widths, a last group cut short, ties, confident rows and fewer pairs than
    /// rows (the rest untouched).
    #[test]
    fn rows_in_groups_give_the_bits_of_one_at_a_time() {
        let mut state = 99u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as u32
        };
        for p in [3, 16, 97, 113] {
            for n in [1, 15, 16, 17, 45] {
                let logits = Array2::from_shape_fn((n + 2, p), |(i, j)| match i % 4 {
                    // Ties between a few values; a confident row (gap 40); spread values.
                    0 => (next() % 3) as f32,
                    1 if j == i % p => 40.0,
                    _ => (next() % 2000) as f32 / 100.0 - 10.0,
                });
                let pairs: Vec<Pair> = (0..n)
                    .map(|_| {
                        let (a, b) = (next() % p as u32, next() % p as u32);
                        Pair {
                            a,
                            b,
                            label: (a + b) % p as u32,
                        }
                    })
                    .collect();
                for scale in [None, Some(1.0 / n as f32)] {
                    let (mut one, mut grouped) = (logits.clone(), logits.clone());
                    let (mut loss_one, mut loss_grouped) = (0.25, 0.25);
                    let c1 =
                        cross_entropy_in_groups::<1>(one.view_mut(), &pairs, scale, &mut loss_one);
                    let c16 = cross_entropy_in_groups::<16>(
                        grouped.view_mut(),
                        &pairs,
                        scale,
                        &mut loss_grouped,
                    );
                    let at = format!("p {p}, {n} rows, {scale:?}");
                    assert_eq!(c1, c16, "{at}");
                    assert_eq!(loss_one.to_bits(), loss_grouped.to_bits(), "{at}");
                    let bits = |a: &Array2<f32>| a.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&one), bits(&grouped), "{at}");
                    // Rows past the pairs are left as they were.
                    assert_eq!(one.row(n), logits.row(n), "{at}");
                }
            }
        }
    }

    #[test]
    fn exp_is_accurate() {
        let mut worst = 0.0f32;
        let mut x = -87.0f32;
        while x <= 0.0 {
            let rel = (exp_nonpos(x) - x.exp()).abs() / x.exp();
            worst = worst.max(rel);
            x += 0.0137;
        }
        assert!(worst < 4e-7, "worst relative error {worst}");
        assert_eq!(exp_nonpos(0.0), 1.0);
        assert_eq!(exp_nonpos(-1e4), exp_nonpos(-87.0));
    }

    #[test]
    fn confident_predictions_keep_a_nonzero_loss_and_gradient() {
        // A logit gap of 20 gives a true loss of ~96·e⁻²⁰ ≈ 2e-7: f32 log-softmax would
        // round it to 0; the f64 path must not.
        let p = 97;
        let mut logits = Array2::<f32>::zeros((1, p));
        logits[[0, 5]] = 20.0;
        let pair = [Pair {
            a: 0,
            b: 5,
            label: 5,
        }];
        let mut loss = 0.0;
        let correct = cross_entropy_rows(logits.view_mut(), &pair, Some(1.0), &mut loss);
        let expect = (96.0 * (-20.0f64).exp()).ln_1p();
        assert_eq!(correct, 1);
        assert!((loss - expect).abs() < 1e-3 * expect, "{loss} vs {expect}");
        assert!(logits[[0, 5]] < 0.0, "label gradient must stay negative");
        let total: f32 = logits.iter().sum();
        assert!(
            total.abs() < 1e-9,
            "softmax gradient sums to zero, got {total}"
        );
    }
}
