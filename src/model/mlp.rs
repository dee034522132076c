//! The network: a shared embedding, one ReLU hidden layer, a linear read-out.
//!
//! For a pair (a, b): x = [E_a, E_b] (2d values), h = ReLU(W1 x + b1) (H units),
//! logits = W2 h + b2 (p classes), trained with softmax cross-entropy.
//!
//! The inputs are one-hot tokens, so the first layer never needs the concatenated vector:
//! W1 x = W1a E_a + W1b E_b, where W1a and W1b are the halves of W1 that see the first and
//! the second operand. Per step we build two p × H tables, Ta = E W1aᵀ and Tb = E W1bᵀ, and
//! a hidden pre-activation is one row of each added together. That turns the first layer
//! from N·H·2d multiply-adds into p·H·2d, and leaves three (N × H)·(H × p)-sized products —
//! the read-out and its two backward products — as almost all of the work. Those three
//! run on the register-blocked kernels of [`crate::kernels`], and so do the small
//! products that fold and unfold the first layer.
//!
//! Everything here is plain f32 arithmetic on buffers that live in a [`Workspace`], so a
//! training step allocates nothing.

use crate::kernels::with_avx;
use crate::kernels::{self, Gemm, Init};
use crate::model::loss::cross_entropy_rows;
use crate::model::BatchStats;
use crate::params::{Layout, Params};
use crate::rng::Rng;
use crate::task::Pair;
use ndarray::{s, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};
use std::sync::Arc;

/// The sizes that fix the MLP's parameter shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Vocabulary and number of classes: the modulus p.
    pub p: usize,
    /// Embedding width d.
    pub d: usize,
    /// Hidden width H.
    pub hidden: usize,
}

/// The MLP of DESIGN.md: its shape and the layout of its parameters.
///
/// Blocks, in this order (PyTorch's `Linear` layout, out × in): `embed` E (p × d), `w1`
/// (H × 2d: columns 0..d see E_a, d..2d see E_b), `b1` (H), `w2` (p × H), `b2` (p).
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    shape: Shape,
    layout: Arc<Layout>,
}

impl Mlp {
    /// The MLP of `shape`.
    pub fn new(shape: Shape) -> Mlp {
        let Shape { p, d, hidden } = shape;
        Mlp {
            shape,
            layout: Layout::new(&[
                ("embed", p, d, true),
                ("w1", hidden, 2 * d, true),
                ("b1", 1, hidden, false),
                ("w2", p, hidden, true),
                ("b2", 1, p, false),
            ]),
        }
    }

    /// The shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The parameter layout.
    pub fn layout(&self) -> &Arc<Layout> {
        &self.layout
    }

    /// The default initialisation, times `scale` on the matrices: E ~ N(0, scale²),
    /// W ~ N(0, scale²/fan_in), biases 0. Draws E, then W1, then W2 from the seed's
    /// initialisation stream.
    pub fn init(&self, seed: u32, scale: f64) -> Params {
        let mut rng = Rng::new(seed as u64, 2);
        let mut params = Params::zeros(&self.layout);
        let Shape { d, hidden, .. } = self.shape;
        for (name, std) in [
            ("embed", 1.0),
            ("w1", (1.0 / (2 * d) as f64).sqrt()),
            ("w2", (1.0 / hidden as f64).sqrt()),
        ] {
            let std = std * scale;
            params
                .matrix_mut(name)
                .iter_mut()
                .for_each(|w| *w = (rng.normal() * std) as f32);
        }
        params
    }

    /// A workspace for batches of at most `rows` pairs.
    pub fn workspace(&self, rows: usize) -> Workspace {
        Workspace::new(self.shape, rows)
    }

    /// The token embedding E (p × d).
    pub fn embedding<'a>(&self, params: &'a Params) -> ArrayView2<'a, f32> {
        params.matrix("embed")
    }

    /// The gradient of logit `c` of (a, b) with respect to E_a and E_b as they enter the
    /// concatenated input [E_a, E_b], in f64 (for the clock-or-pizza measures of
    /// [`crate::mechanism`]; a naive pass, off the hot path).
    pub fn input_gradients(&self, params: &Params, a: u32, b: u32, c: u32) -> [Vec<f64>; 2] {
        let v = View::of(params);
        let d = self.shape.d;
        let x: Vec<f64> = v
            .embed
            .row(a as usize)
            .iter()
            .chain(v.embed.row(b as usize).iter())
            .map(|&e| e as f64)
            .collect();
        // d(logit c)/dh_j = W2[c, j] where unit j is active; then back through W1.
        let mut dx = vec![0.0f64; 2 * d];
        for (j, w1) in v.w1.rows().into_iter().enumerate() {
            let pre: f64 =
                w1.iter().zip(&x).map(|(&w, &x)| w as f64 * x).sum::<f64>() + v.b1[j] as f64;
            if pre > 0.0 {
                let g = v.w2[[c as usize, j]] as f64;
                dx.iter_mut()
                    .zip(w1.iter())
                    .for_each(|(dx, &w)| *dx += g * w as f64);
            }
        }
        let gb = dx.split_off(d);
        [dx, gb]
    }

    /// Each hidden unit's input weights over the tokens 0..p, one matrix (H × p, f64)
    /// per operand: E_t · W1[j, ..d] for a, E_t · W1[j, d..] for b. What the
    /// neuron-frequency figure analyses (see [`crate::analysis::neuron_frequencies`]).
    pub fn neuron_inputs(&self, params: &Params) -> Vec<ndarray::Array2<f64>> {
        let v = View::of(params);
        let d = self.shape.d;
        let embed = v.embed.mapv(f64::from);
        let w1 = v.w1.mapv(f64::from);
        [w1.slice(s![.., ..d]), w1.slice(s![.., d..])]
            .into_iter()
            .map(|half| half.dot(&embed.t()))
            .collect()
    }
}

/// The parameter blocks as views (what the passes below read).
struct View<'a> {
    embed: ArrayView2<'a, f32>,
    w1: ArrayView2<'a, f32>,
    b1: ArrayView1<'a, f32>,
    w2: ArrayView2<'a, f32>,
    b2: ArrayView1<'a, f32>,
}

impl<'a> View<'a> {
    fn of(params: &'a Params) -> View<'a> {
        View {
            embed: params.matrix("embed"),
            w1: params.matrix("w1"),
            b1: params.vector("b1"),
            w2: params.matrix("w2"),
            b2: params.vector("b2"),
        }
    }

    fn shape(&self) -> Shape {
        Shape {
            p: self.embed.nrows(),
            d: self.embed.ncols(),
            hidden: self.b1.len(),
        }
    }
}

/// The gradient's blocks as mutable views (what the backward pass writes).
struct GradMut<'a> {
    embed: &'a mut [f32],
    w1: &'a mut [f32],
    b1: ArrayViewMut1<'a, f32>,
    w2: &'a mut [f32],
    b2: ArrayViewMut1<'a, f32>,
}

impl<'a> GradMut<'a> {
    fn of(grads: &'a mut Params) -> GradMut<'a> {
        let mut blocks = grads.blocks_mut().into_iter().map(|b| b.values);
        let mut next = || blocks.next().expect("five MLP blocks");
        GradMut {
            embed: next(),
            w1: next(),
            b1: ArrayViewMut1::from(next()),
            w2: next(),
            b2: ArrayViewMut1::from(next()),
        }
    }
}

/// Scratch buffers for forward and backward passes over up to `rows` pairs.
///
/// The buffers that the matrix kernels read as their B operand (or write whole vectors
/// of) have their rows padded to a multiple of [`kernels::lanes()`]; the padding columns
/// are never part of a result.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// The largest batch: what [`evaluate`] chunks by and [`loss_and_grad`] accepts.
    rows: usize,
    /// Ta = E W1aᵀ, p × H.
    ta: Array2<f32>,
    /// Tb = E W1bᵀ, p × H.
    tb: Array2<f32>,
    /// Hidden activations after ReLU, block × pad(H), where block = min(rows,
    /// [`kernels::KC`]): passes go through their pairs a block at a time.
    h: Array2<f32>,
    /// Logits, turned in place into d(loss)/d(logits); block × pad(p).
    logits: Array2<f32>,
    /// d(loss)/dh, block × pad(H).
    dh: Array2<f32>,
    /// W2ᵀ, H × pad(p) (zero padding): the read-out's B operand, refreshed every pass.
    w2t: Array2<f32>,
    /// b2, zero-padded to pad(p) values.
    b2: Vec<f32>,
    /// W2 with rows padded to pad(H), for dH = G·W2 when H is not a multiple of the
    /// vector width (otherwise W2 is read in place and this stays empty).
    w2p: Array2<f32>,
    /// Scratch for a partial gradient when [`loss_and_grad`] is called whole.
    partial: Vec<f32>,
    /// W1ᵀ, 2d × pad(H): B of the folding products (rows 0..d give Ta, d..2d give Tb).
    w1t: Array2<f32>,
    /// W1 with each half padded to pad(d) columns, H × 2·pad(d): B of dE = dT W1.
    w1p: Array2<f32>,
    /// E, p × pad(d): B of dW1 = dTᵀ E.
    ep: Array2<f32>,
}

impl Workspace {
    /// Buffers for batches of at most `rows` pairs.
    pub fn new(shape: Shape, rows: usize) -> Self {
        let Shape { p, d, hidden } = shape;
        let rows = rows.max(1);
        let block = rows.min(kernels::KC);
        let (pp, hp) = (kernels::pad(p), kernels::pad(hidden));
        Workspace {
            rows,
            ta: Array2::zeros((p, hidden)),
            tb: Array2::zeros((p, hidden)),
            h: Array2::zeros((block, hp)),
            logits: Array2::zeros((block, pp)),
            dh: Array2::zeros((block, hp)),
            w2t: Array2::zeros((hidden, pp)),
            b2: vec![0.0; pp],
            w2p: if hp == hidden {
                Array2::zeros((0, 0))
            } else {
                Array2::zeros((p, hp))
            },
            partial: Vec::new(),
            w1t: Array2::zeros((2 * d, hp)),
            w1p: Array2::zeros((hidden, 2 * kernels::pad(d))),
            ep: Array2::zeros((p, kernels::pad(d))),
        }
    }

    /// The largest batch these buffers hold.
    pub fn rows(&self) -> usize {
        self.rows
    }
}

/// Build the folded first-layer tables Ta = E W1aᵀ and Tb = E W1bᵀ.
fn fold_first_layer(params: &View, ws: &mut Workspace) {
    let Shape { p, d, hidden } = params.shape();
    ws.w1t.slice_mut(s![.., ..hidden]).assign(&params.w1.t());
    let hp = ws.w1t.ncols();
    let w1t = flat(&ws.w1t);
    for (half, t) in [(0, &mut ws.ta), (d, &mut ws.tb)] {
        Gemm {
            m: p,
            n: hidden,
            k: d,
            a: params.embed.as_slice().expect("contiguous"),
            a_rs: d,
            a_cs: 1,
            b: &w1t[half * hp..],
            b_rs: hp,
            c: flat_mut(t),
            ldc: hidden,
            init: Init::Zero,
        }
        .run();
    }
}

/// W2ᵀ and b2 copied into padded rows for the read-out's kernel (small: p × H), once
/// per pass over a batch.
fn prepare_readout(params: &View, ws: &mut Workspace) {
    let p = params.b2.len();
    ws.w2t.slice_mut(s![.., ..p]).assign(&params.w2.t());
    ws.b2[..p].copy_from_slice(params.b2.as_slice().expect("contiguous"));
}

/// Hidden activations and logits for `pairs` (one block: at most [`kernels::KC`] and
/// `ws.rows()`), into the workspace's first rows. Expects the folded tables and the
/// read-out's copies ([`prepare_readout`]) to be current.
fn forward_block(params: &View, pairs: &[Pair], ws: &mut Workspace) {
    assert!(pairs.len() <= ws.h.nrows(), "more pairs than a block");
    let Shape { p, hidden, .. } = params.shape();
    let b1 = params.b1.as_slice().expect("contiguous");
    hidden_layer(ws.h.view_mut(), ws.ta.view(), ws.tb.view(), b1, pairs);
    let (hp, pp) = (ws.h.ncols(), ws.logits.ncols());
    Gemm {
        m: pairs.len(),
        n: p,
        k: hidden,
        a: flat(&ws.h),
        a_rs: hp,
        a_cs: 1,
        b: flat(&ws.w2t),
        b_rs: pp,
        c: flat_mut(&mut ws.logits),
        ldc: pp,
        init: Init::Bias(&ws.b2),
    }
    .run();
}

with_avx! {
    /// h = ReLU(Ta[a] + Tb[b] + b1) for each pair, into the first H columns of `h`'s rows.
    fn hidden_layer(
        h: ArrayViewMut2<f32>,
        ta: ArrayView2<f32>,
        tb: ArrayView2<f32>,
        b1: &[f32],
        pairs: &[Pair]
    ) = hidden_layer_generic;
}

#[inline(always)]
fn hidden_layer_generic(
    mut h: ArrayViewMut2<f32>,
    ta: ArrayView2<f32>,
    tb: ArrayView2<f32>,
    b1: &[f32],
    pairs: &[Pair],
) {
    let hidden = b1.len();
    for (pair, mut row) in pairs.iter().zip(h.rows_mut()) {
        let ta = ta.row(pair.a as usize);
        let tb = tb.row(pair.b as usize);
        let (ta, tb) = (
            ta.as_slice().expect("contiguous"),
            tb.as_slice().expect("contiguous"),
        );
        let row = &mut row.as_slice_mut().expect("contiguous")[..hidden];
        for (((h, &a), &b), &c) in row.iter_mut().zip(ta).zip(tb).zip(b1) {
            // ReLU as a compare-and-select, not `f32::max`: on wasm32 `max` is a call to
            // libm's fmaxf per element (wasm's f32.max has other NaN rules), which was a
            // fifth of the step. Written this way round, a NaN passes through, so a
            // diverging run still shows up in the loss.
            let z = a + b + c;
            *h = if z < 0.0 { 0.0 } else { z };
        }
    }
}

/// A standard-layout matrix as one slice.
fn flat(a: &Array2<f32>) -> &[f32] {
    a.as_slice().expect("workspace matrices are contiguous")
}

/// A standard-layout matrix as one mutable slice.
fn flat_mut(a: &mut Array2<f32>) -> &mut [f32] {
    a.as_slice_mut().expect("workspace matrices are contiguous")
}

with_avx! {
    /// Back through the ReLU (dh taken as 0 where h is not positive) and scattered onto
    /// the folded tables' rows: dTa[a] += dh, dTb[b] += dh for each pair (dTa and dTb
    /// must start at zero).
    fn relu_scatter(
        dh: ArrayView2<f32>,
        h: ArrayView2<f32>,
        pairs: &[Pair],
        dta: ArrayViewMut2<f32>,
        dtb: ArrayViewMut2<f32>
    ) = relu_scatter_generic;
}

#[inline(always)]
fn relu_scatter_generic(
    dh: ArrayView2<f32>,
    h: ArrayView2<f32>,
    pairs: &[Pair],
    mut dta: ArrayViewMut2<f32>,
    mut dtb: ArrayViewMut2<f32>,
) {
    for ((pair, dh_row), h_row) in pairs.iter().zip(dh.rows()).zip(h.rows()) {
        let dh_row = dh_row.as_slice().expect("contiguous");
        let h_row = h_row.as_slice().expect("contiguous");
        let mut dta = dta.row_mut(pair.a as usize);
        let dta = dta.as_slice_mut().expect("contiguous");
        let mut dtb = dtb.row_mut(pair.b as usize);
        let dtb = dtb.as_slice_mut().expect("contiguous");
        // One pass: the masked gradient goes straight into both rows (dh itself is not
        // needed afterwards, so it is not written back).
        for (((ta, tb), &g), &h) in dta.iter_mut().zip(dtb.iter_mut()).zip(dh_row).zip(h_row) {
            // A select, not a branch, so the loop vectorises.
            let g = if h > 0.0 { g } else { 0.0 };
            *ta += g;
            *tb += g;
        }
    }
}

/// Loss and accuracy of `params` on `pairs` (any number: evaluated in workspace-sized
/// chunks).
pub fn evaluate(params: &Params, pairs: &[Pair], ws: &mut Workspace) -> BatchStats {
    let params = &View::of(params);
    fold_first_layer(params, ws);
    prepare_readout(params, ws);
    let p = params.b2.len();
    // In blocks, as in `loss_and_grad` (the same rows, the loss summed in the same
    // order, so the blocks change nothing but where the matrices are).
    BatchStats::in_blocks(pairs, ws.rows, |block, loss| {
        forward_block(params, block, ws);
        cross_entropy_rows(
            ws.logits.slice_mut(s![..block.len(), ..p]),
            block,
            None,
            loss,
        )
    })
}

/// Logits of `params` for `pairs`, as a pairs × p matrix (for analysis, not the hot path).
pub fn logits(params: &Params, pairs: &[Pair], ws: &mut Workspace) -> Array2<f32> {
    let params = &View::of(params);
    fold_first_layer(params, ws);
    prepare_readout(params, ws);
    let p = params.b2.len();
    let mut out = Array2::zeros((pairs.len(), p));
    let rows = ws.h.nrows();
    for (i, block) in pairs.chunks(rows).enumerate() {
        forward_block(params, block, ws);
        let start = i * rows;
        out.slice_mut(s![start..start + block.len(), ..])
            .assign(&ws.logits.slice(s![..block.len(), ..p]));
    }
    out
}

/// Values in a partial gradient (see [`partial`]): dTa, dTb and dW2 (p × H each) and
/// db2 (p).
pub fn partial_len(shape: Shape) -> usize {
    3 * shape.p * shape.hidden + shape.p
}

/// Makes the workspace ready for [`partial`] at `params`: the folded first-layer tables
/// and the read-out's padded copies. Once per step per workspace, however many parts of
/// the batch it then computes.
pub fn prepare(params: &Params, ws: &mut Workspace) {
    let params = &View::of(params);
    fold_first_layer(params, ws);
    prepare_readout(params, ws);
    let hidden = params.b1.len();
    if ws.h.ncols() != hidden {
        // W2 in padded rows for dH = G·W2.
        ws.w2p.slice_mut(s![.., ..hidden]).assign(&params.w2);
    }
}

/// The gradient of a part of a batch with respect to the folded tables and the read-out:
/// writes into `out` ([`partial_len`] values: dTa, dTb, dW2, db2) the gradient of (sum of
/// the losses over `pairs`) / `total`, and returns the loss and accuracy over `pairs`.
/// The parts of a batch add up (in table space) to the batch's; [`finish`] then unfolds
/// the first layer once. Expects [`prepare`] at these parameters; `pairs.len()` must be
/// between 1 and `ws.rows()`.
///
/// The pairs go through in blocks of [`kernels::KC`] (256): each block's hidden layer,
/// logits, cross-entropy, dH and scatter, and its share of dW2, before the next block's.
/// A block's matrices (~100 KB each) then stay in L2 from the product that writes them to
/// the ones that read them, instead of the whole part's streaming from L3 for each.
pub fn partial(
    params: &Params,
    pairs: &[Pair],
    total: usize,
    out: &mut [f32],
    ws: &mut Workspace,
) -> BatchStats {
    let params = &View::of(params);
    let n = pairs.len();
    assert!(
        n > 0 && n <= ws.rows && n <= total,
        "batch of {n} pairs (of {total}) does not fit a workspace of {}",
        ws.rows
    );
    let Shape { p, hidden, .. } = params.shape();
    assert_eq!(out.len(), 3 * p * hidden + p, "a partial gradient's length");
    let (pp, hp) = (ws.logits.ncols(), ws.h.ncols());
    let (dta, rest) = out.split_at_mut(p * hidden);
    let (dtb, rest) = rest.split_at_mut(p * hidden);
    let (dw2, db2) = rest.split_at_mut(p * hidden);
    let mut dta = ArrayViewMut2::from_shape((p, hidden), dta).expect("p × H");
    let mut dtb = ArrayViewMut2::from_shape((p, hidden), dtb).expect("p × H");
    let mut db2 = ArrayViewMut1::from(db2);
    dta.fill(0.0);
    dtb.fill(0.0);
    db2.fill(0.0);
    let mut loss = 0.0f64;
    let mut correct = 0;
    for (index, block) in pairs.chunks(kernels::KC).enumerate() {
        let rows = block.len();
        forward_block(params, block, ws);

        // d(mean loss)/d(logits), in place.
        correct += cross_entropy_rows(
            ws.logits.slice_mut(s![..rows, ..p]),
            block,
            Some(1.0 / total as f32),
            &mut loss,
        );

        // Read-out: dW2 = Gᵀ H (A = G read transposed through its strides) summed over
        // the blocks, db2 = Σ_rows G, dH = G W2.
        Gemm {
            m: p,
            n: hidden,
            k: rows,
            a: flat(&ws.logits),
            a_rs: 1,
            a_cs: pp,
            b: flat(&ws.h),
            b_rs: hp,
            c: &mut dw2[..],
            ldc: hidden,
            init: if index == 0 { Init::Zero } else { Init::Add },
        }
        .run();
        for row in ws.logits.slice(s![..rows, ..p]).rows() {
            db2 += &row;
        }
        let w2 = if hp == hidden {
            params.w2.as_slice().expect("contiguous")
        } else {
            flat(&ws.w2p)
        };
        Gemm {
            m: rows,
            n: hidden,
            k: p,
            a: flat(&ws.logits),
            a_rs: pp,
            a_cs: 1,
            b: w2,
            b_rs: hp,
            c: flat_mut(&mut ws.dh),
            ldc: hp,
            init: Init::Zero,
        }
        .run();

        // Through the ReLU (h > 0 exactly where the pre-activation was positive), then
        // scattered back onto the folded tables' rows.
        relu_scatter(
            ws.dh.slice(s![..rows, ..hidden]),
            ws.h.slice(s![..rows, ..hidden]),
            block,
            dta.view_mut(),
            dtb.view_mut(),
        );
    }
    BatchStats {
        loss: loss / n as f64,
        correct,
        count: n,
    }
}

/// The parameters' gradient from a batch's summed partial gradient ([`partial`]): the
/// read-out's blocks copied, db1 and the first layer unfolded (once per step).
pub fn finish(params: &Params, partial: &[f32], grads: &mut Params, ws: &mut Workspace) {
    let params = &View::of(params);
    let grads = &mut GradMut::of(grads);
    let Shape { p, d, hidden } = params.shape();
    let (dta, rest) = partial.split_at(p * hidden);
    let (dtb, rest) = rest.split_at(p * hidden);
    let (dw2, db2) = rest.split_at(p * hidden);
    grads.w2.copy_from_slice(dw2);
    grads.b2.assign(&ArrayView1::from(db2));

    // Every pair adds its row to exactly one row of dTb, so db1 = Σ_pairs dh is the
    // column sum of dTb: p rows to add instead of one per pair.
    grads.b1.fill(0.0);
    for row in dtb.chunks_exact(hidden) {
        grads.b1 += &ArrayView1::from(row);
    }

    // Unfold: Ta = E W1aᵀ gives dE = dTa W1a + dTb W1b and dW1a = dTaᵀ E (likewise b),
    // with W1's halves and E copied into padded rows (small) for the kernels' B.
    let dp = ws.ep.ncols();
    ws.w1p
        .slice_mut(s![.., ..d])
        .assign(&params.w1.slice(s![.., ..d]));
    ws.w1p
        .slice_mut(s![.., dp..dp + d])
        .assign(&params.w1.slice(s![.., d..]));
    ws.ep.slice_mut(s![.., ..d]).assign(&params.embed);
    let (w1p, ep) = (flat(&ws.w1p), flat(&ws.ep));
    let w1 = &mut grads.w1[..];
    for (half, dt) in [(0, dta), (1, dtb)] {
        Gemm {
            m: p,
            n: d,
            k: hidden,
            a: dt,
            a_rs: hidden,
            a_cs: 1,
            b: &w1p[half * dp..],
            b_rs: 2 * dp,
            c: &mut grads.embed[..],
            ldc: d,
            init: if half == 0 { Init::Zero } else { Init::Add },
        }
        .run();
        Gemm {
            m: hidden,
            n: d,
            k: p,
            a: dt,
            a_rs: 1,
            a_cs: hidden,
            b: ep,
            b_rs: dp,
            c: &mut w1[half * d..],
            ldc: 2 * d,
            init: Init::Zero,
        }
        .run();
    }
}

/// Forward and backward pass over `pairs`, a part of a batch of `total` pairs: writes
/// the gradient of (sum of the losses over `pairs`) / `total` into `grads` (overwriting
/// it), so the gradients of the parts of a batch add up to the gradient of its mean loss.
/// Returns the loss and accuracy over `pairs`. [`prepare`], [`partial`] and [`finish`]
/// in one (the trainer calls them apart, to fold and unfold once per step).
pub fn loss_and_grad(
    params: &Params,
    pairs: &[Pair],
    total: usize,
    grads: &mut Params,
    ws: &mut Workspace,
) -> BatchStats {
    prepare(params, ws);
    let mut out = std::mem::take(&mut ws.partial);
    out.resize(partial_len(View::of(params).shape()), 0.0);
    let stats = partial(params, pairs, total, &mut out, ws);
    finish(params, &out, grads, ws);
    ws.partial = out;
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::{Dataset, Op};

    const SHAPE: Shape = Shape {
        p: 7,
        d: 4,
        hidden: 8,
    };

    /// The textbook forward pass (concatenate, multiply), for comparison with the folded one.
    fn naive_loss(params: &Params, pairs: &[Pair]) -> f64 {
        let params = View::of(params);
        let Shape { p, d, hidden } = params.shape();
        let mut total = 0.0;
        for pair in pairs {
            let mut x = vec![0.0f64; 2 * d];
            for k in 0..d {
                x[k] = params.embed[[pair.a as usize, k]] as f64;
                x[d + k] = params.embed[[pair.b as usize, k]] as f64;
            }
            let h: Vec<f64> = (0..hidden)
                .map(|j| {
                    let z: f64 = (0..2 * d)
                        .map(|k| params.w1[[j, k]] as f64 * x[k])
                        .sum::<f64>()
                        + params.b1[j] as f64;
                    z.max(0.0)
                })
                .collect();
            let logits: Vec<f64> = (0..p)
                .map(|c| {
                    (0..hidden)
                        .map(|j| params.w2[[c, j]] as f64 * h[j])
                        .sum::<f64>()
                        + params.b2[c] as f64
                })
                .collect();
            let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let lse = logits.iter().map(|z| (z - max).exp()).sum::<f64>().ln() + max;
            total += lse - logits[pair.label as usize];
        }
        total / pairs.len() as f64
    }

    fn setup() -> (Params, Vec<Pair>) {
        setup_with(SHAPE)
    }

    /// Parameters of `shape` with non-zero biases, and all p² pairs of addition.
    fn setup_with(shape: Shape) -> (Params, Vec<Pair>) {
        let mut params = Mlp::new(shape).init(3, 1.0);
        // Non-zero biases so their gradients are exercised too.
        params
            .vector_mut("b1")
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = 0.1 * (i as f32 - 3.0));
        params
            .vector_mut("b2")
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = 0.05 * i as f32);
        (params, Dataset::all_pairs(shape.p as u32, Op::Add))
    }

    #[test]
    fn folded_forward_matches_naive() {
        let (params, pairs) = setup();
        let mut ws = Workspace::new(SHAPE, 16); // smaller than the batch: exercises chunking
        let stats = evaluate(&params, &pairs, &mut ws);
        let naive = naive_loss(&params, &pairs);
        assert!(
            (stats.loss - naive).abs() < 1e-5 * naive.max(1.0),
            "{} vs {naive}",
            stats.loss
        );
        assert_eq!(stats.count, 49);
    }

    #[test]
    fn gradients_match_finite_differences() {
        check_gradients(SHAPE);
    }

    #[test]
    fn input_gradients_are_the_logits_derivatives_along_each_operand() {
        let (params, _) = setup();
        let mlp = Mlp::new(SHAPE);
        let mut ws = Workspace::new(SHAPE, 4);
        let (a, b, c) = (2u32, 5u32, 3u32); // a ≠ b: moving row a moves operand 1 only
        let grads = mlp.input_gradients(&params, a, b, c);
        let mut logit = |params: &Params| {
            let pair = [Pair { a, b, label: 0 }];
            logits(params, &pair, &mut ws)[[0, c as usize]] as f64
        };
        for (slot, row) in [(0, a), (1, b)] {
            for (k, &g) in grads[slot].iter().enumerate() {
                let (mut plus, mut minus) = (params.clone(), params.clone());
                plus.matrix_mut("embed")[[row as usize, k]] += 1e-2;
                minus.matrix_mut("embed")[[row as usize, k]] -= 1e-2;
                let fd = (logit(&plus) - logit(&minus)) / 2e-2;
                assert!(
                    (fd - g).abs() < 1e-3 * (1.0 + g.abs()),
                    "slot {slot}[{k}]: {fd} vs {g}"
                );
            }
        }
    }

    /// The same check on a batch of three blocks (256 + 256 + 17 pairs), so the blocked
    /// pass must carry every sum from block to block.
    #[test]
    fn gradients_of_a_batch_of_several_blocks_match_finite_differences() {
        let shape = Shape {
            p: 23,
            d: 3,
            hidden: 6,
        };
        assert!(shape.p * shape.p > 2 * kernels::KC);
        check_gradients(shape);
    }

    /// Analytic gradients of the mean loss over all p² pairs of `shape` against central
    /// differences of the naive f64 loss.
    fn check_gradients(shape: Shape) {
        let (params, pairs) = setup_with(shape);
        let mut ws = Workspace::new(shape, pairs.len());
        let mut grads = Params::zeros(params.layout());
        loss_and_grad(&params, &pairs, pairs.len(), &mut grads, &mut ws);
        let analytic: Vec<(&str, Vec<f32>)> = grads
            .clone()
            .blocks_mut()
            .into_iter()
            .map(|b| (b.name, b.values.to_vec()))
            .collect();
        let h = 1e-4f32;
        for (block, (name, grad)) in analytic.iter().enumerate() {
            let mut worst = 0.0f64;
            for (i, &g) in grad.iter().enumerate() {
                let mut plus = params.clone();
                plus.blocks_mut()[block].values[i] += h;
                let mut minus = params.clone();
                minus.blocks_mut()[block].values[i] -= h;
                // The naive f64 pass keeps rounding noise far below the difference.
                let fd =
                    (naive_loss(&plus, &pairs) - naive_loss(&minus, &pairs)) / (2.0 * h as f64);
                let err = (fd - g as f64).abs() / (fd.abs() + (g as f64).abs()).max(1e-3);
                if err > 1e-2 {
                    eprintln!("{name}[{i}]: finite difference {fd}, analytic {g}");
                }
                worst = worst.max(err);
            }
            assert!(worst < 1e-2, "{name}: worst relative error {worst}");
        }
    }
}
