//! The one-layer transformer of Nanda et al. (2023), scaled down to train live.
//!
//! Inputs are the three tokens [a, b, =] (token p is "="), residual width d:
//! x_i = W_E[token_i] + W_pos[i]; H heads of width d/H attend causally with scores
//! scaled by 1/√(d/H); the heads' outputs, concatenated, go through W_O into the
//! residual stream; then an MLP (W_in with bias, ReLU, W_out with bias) adds to it, and
//! W_U reads the logits at the "=" position. No LayerNorm, no biases in attention.
//! Initialisation: every matrix N(0, 1/d) except W_out, N(0, 1/m).
//!
//! What the loss needs, and only that. With a causal mask and one layer only the "="
//! position's residual reaches the logits, so only its query is computed: positions 0
//! and 1's attention outputs and MLP never reach the loss. The inputs are one-hot, so a
//! key or value at position 0 depends on the token a alone and one at position 1 on b
//! alone, and the "=" position is the same for every pair: per step we build tables of
//! keys and values for the 2p + 1 (token, position) inputs and one query (small
//! products), and from them a table of attention scores per head. A pair's attention
//! is then three table look-ups per head and a softmax — no products per pair — and its
//! backward pass adds into the tables' gradients, unfolded once per step. What remains
//! per pair is the residual at "=": z·W_O, the MLP and the read-out, all products over a
//! block of pairs on [`crate::kernels`] (the MLP's two and the unembedding are most of
//! a step).
//!
//! Like [`super::mlp`], a pass takes its pairs in blocks of [`kernels::KC`] so a block's
//! buffers stay in cache between the products that write and read them; every sum runs
//! in a fixed order, so the results are deterministic and the same on one thread or two.
//!
//! For figures and the analysis, [`Transformer::attention`] gives the full causal
//! attention pattern of a pair and [`Transformer::input_gradients`] the gradient of one
//! logit with respect to the two operands' token embeddings (naive f64 passes, off the
//! hot path).

use crate::kernels::{self, with_avx, Gemm, Init};
use crate::model::loss::cross_entropy_rows;
use crate::model::BatchStats;
use crate::params::{Layout, Params};
use crate::rng::Rng;
use crate::task::Pair;
use ndarray::{s, Array2, Array3, ArrayView1, ArrayView2};
use std::sync::Arc;

mod attention;
mod naive;
use attention::{attend, attend_backward, unfold_tables, AttentionBlock, Tables};
use naive::{softmax, Naive};

/// The sizes that fix the transformer's parameter shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The modulus p: tokens 0..p are numbers, token p is "=", classes are 0..p.
    pub p: usize,
    /// Residual stream width d.
    pub d: usize,
    /// Attention heads H; each has width d / H (H must divide d).
    pub heads: usize,
    /// Width m of the MLP's hidden layer.
    pub mlp: usize,
}

impl Shape {
    /// Width of one head, d / H.
    pub fn head_width(&self) -> usize {
        self.d / self.heads
    }
}

/// Positions in the context: a, b, "=".
pub const CONTEXT: usize = 3;

/// The transformer of DESIGN.md: its shape and the layout of its parameters.
///
/// Every matrix is stored input × output (x·W), row-major. Blocks, in this order:
/// `embed` W_E ((p + 1) × d; row p is "="), `pos` W_pos (3 × d), `wq`, `wk`, `wv` (d × d
/// each: columns h·d/H..(h + 1)·d/H are head h's d × d/H matrix), `wo` W_O (d × d: rows
/// h·d/H.. read head h's output), `w_in` (d × m), `b_in` (m), `w_out` (m × d), `b_out`
/// (d), `unembed` W_U (d × p). Weight decay applies to the matrices, not the biases.
#[derive(Clone, Debug, PartialEq)]
pub struct Transformer {
    shape: Shape,
    layout: Arc<Layout>,
}

impl Transformer {
    /// The transformer of `shape` (`heads` must divide `d`; [`crate::Config::validate`]
    /// checks it for configs).
    pub fn new(shape: Shape) -> Transformer {
        let Shape { p, d, heads, mlp } = shape;
        assert!(
            heads > 0 && d.is_multiple_of(heads),
            "{heads} heads do not divide d = {d}"
        );
        Transformer {
            shape,
            layout: Layout::new(&[
                ("embed", p + 1, d, true),
                ("pos", CONTEXT, d, true),
                ("wq", d, d, true),
                ("wk", d, d, true),
                ("wv", d, d, true),
                ("wo", d, d, true),
                ("w_in", d, mlp, true),
                ("b_in", 1, mlp, false),
                ("w_out", mlp, d, true),
                ("b_out", 1, d, false),
                ("unembed", d, p, true),
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

    /// The initialisation of DESIGN.md, times `scale` on every matrix: N(0, scale²/d)
    /// for all but W_out, N(0, scale²/m) for W_out; biases 0. Draws the matrices in
    /// layout order from the seed's initialisation stream.
    pub fn init(&self, seed: u32, scale: f64) -> Params {
        let mut rng = Rng::new(seed as u64, 2);
        let mut params = Params::zeros(&self.layout);
        let Shape { d, mlp, .. } = self.shape;
        let by_d = (1.0 / d as f64).sqrt();
        let by_m = (1.0 / mlp as f64).sqrt();
        for (name, std) in [
            ("embed", by_d),
            ("pos", by_d),
            ("wq", by_d),
            ("wk", by_d),
            ("wv", by_d),
            ("wo", by_d),
            ("w_in", by_d),
            ("w_out", by_m),
            ("unembed", by_d),
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

    /// The token embedding of the numbers 0..p (p × d: W_E without the "=" row), which
    /// the Fourier analysis reads.
    pub fn embedding<'a>(&self, params: &'a Params) -> ArrayView2<'a, f32> {
        params.matrix("embed").slice_move(s![..self.shape.p, ..])
    }

    /// The attention pattern of (a, b): `[head][query][key]` for the three positions,
    /// causal (a query sees its own position and the ones before), every row summing to
    /// one. Computed in f64 from the parameters, for figures and tests (the training
    /// passes compute only the "=" query's row).
    pub fn attention(&self, params: &Params, a: u32, b: u32) -> Array3<f64> {
        let f = Naive::of(self.shape, params);
        let x = f.inputs(&f.token(a as usize), &f.token(b as usize));
        f.attention_all(&x)
    }

    /// The gradient of logit `c` of (a, b) with respect to the token embeddings of the
    /// two operands (W_E[a] as it enters position 0, W_E[b] as it enters position 1),
    /// in f64: what the clock-or-pizza measures compare (see [`crate::mechanism`]).
    pub fn input_gradients(&self, params: &Params, a: u32, b: u32, c: u32) -> [Vec<f64>; 2] {
        self.input_gradient_fn(params)(a, b, c)
    }

    /// [`Transformer::input_gradients`] for many triples: the parameters are converted
    /// to f64 once.
    pub fn input_gradient_fn<'a>(
        &self,
        params: &'a Params,
    ) -> impl Fn(u32, u32, u32) -> [Vec<f64>; 2] + 'a {
        let f = Naive::of(self.shape, params);
        move |a, b, c| f.input_gradients(&f.token(a as usize), &f.token(b as usize), c as usize)
    }

    /// The "=" query's attention to a, b and "=", per head, averaged over all p² pairs
    /// (`[head] = [to a, to b, to "="]`, each row summing to one): what the attention
    /// figure follows over a run. From tables of the 2p + 1 (token, position) cases, as
    /// the training pass does, in f64: O(p·d² + p²·H).
    pub fn mean_attention(&self, params: &Params) -> Vec<[f64; 3]> {
        let Shape { p, d, heads, .. } = self.shape;
        let dh = self.shape.head_width();
        let f = Naive::of(self.shape, params);
        let x = |t: usize, pos: usize| -> Vec<f64> {
            (0..d).map(|i| f.embed[[t, i]] + f.pos[[pos, i]]).collect()
        };
        let eq = x(p, 2);
        let q = ArrayView1::from(&eq).dot(&f.wq);
        // Score of each case's key against the "=" query, per head.
        let score = |x: &[f64]| -> Vec<f64> {
            let k = ArrayView1::from(x).dot(&f.wk);
            (0..heads)
                .map(|h| {
                    (h * dh..(h + 1) * dh).map(|i| k[i] * q[i]).sum::<f64>() / (dh as f64).sqrt()
                })
                .collect()
        };
        let sa: Vec<Vec<f64>> = (0..p).map(|t| score(&x(t, 0))).collect();
        let sb: Vec<Vec<f64>> = (0..p).map(|t| score(&x(t, 1))).collect();
        let se = score(&eq);
        let mut out = vec![[0.0f64; 3]; heads];
        for (h, out) in out.iter_mut().enumerate() {
            for sa in &sa {
                for sb in &sb {
                    let att = softmax(&[sa[h], sb[h], se[h]]);
                    for (o, a) in out.iter_mut().zip(att) {
                        *o += a;
                    }
                }
            }
            out.iter_mut().for_each(|o| *o /= (p * p) as f64);
        }
        out
    }

    /// Each MLP neuron's input weights over the tokens 0..p (m × p, f64): how much token
    /// t moves neuron j's pre-activation through the attention's value-output path,
    /// W_E[t] W_V W_O W_in[:, j] (all heads, each counted with full attention; the
    /// position embeddings and the "=" residual add a constant per neuron, which the
    /// Fourier analysis ignores). What the neuron-frequency figure analyses. One matrix,
    /// as both operands reach the MLP through the same path.
    pub fn neuron_inputs(&self, params: &Params) -> Vec<Array2<f64>> {
        let p = self.shape.p;
        let f = Naive::of(self.shape, params);
        let through = f.wv.dot(&f.wo).dot(&f.w_in); // d × m
        vec![f.embed.slice(s![..p, ..]).dot(&through).reversed_axes()]
    }
}

/// The parameter blocks as views (what the passes read).
struct View<'a> {
    embed: ArrayView2<'a, f32>,
    pos: ArrayView2<'a, f32>,
    wq: ArrayView2<'a, f32>,
    wk: ArrayView2<'a, f32>,
    wv: ArrayView2<'a, f32>,
    wo: ArrayView2<'a, f32>,
    w_in: ArrayView2<'a, f32>,
    b_in: ArrayView1<'a, f32>,
    w_out: ArrayView2<'a, f32>,
    b_out: ArrayView1<'a, f32>,
    unembed: ArrayView2<'a, f32>,
}

impl<'a> View<'a> {
    fn of(params: &'a Params) -> View<'a> {
        View {
            embed: params.matrix("embed"),
            pos: params.matrix("pos"),
            wq: params.matrix("wq"),
            wk: params.matrix("wk"),
            wv: params.matrix("wv"),
            wo: params.matrix("wo"),
            w_in: params.matrix("w_in"),
            b_in: params.vector("b_in"),
            w_out: params.matrix("w_out"),
            b_out: params.vector("b_out"),
            unembed: params.matrix("unembed"),
        }
    }
}

/// The gradient's blocks (what the backward pass writes), in layout order.
struct GradMut<'a> {
    embed: &'a mut [f32],
    pos: &'a mut [f32],
    wq: &'a mut [f32],
    wk: &'a mut [f32],
    wv: &'a mut [f32],
    wo: &'a mut [f32],
    w_in: &'a mut [f32],
    b_in: &'a mut [f32],
    w_out: &'a mut [f32],
    b_out: &'a mut [f32],
    unembed: &'a mut [f32],
}

impl<'a> GradMut<'a> {
    fn of(grads: &'a mut Params) -> GradMut<'a> {
        let mut blocks = grads.blocks_mut().into_iter().map(|b| b.values);
        let mut next = || blocks.next().expect("eleven transformer blocks");
        GradMut {
            embed: next(),
            pos: next(),
            wq: next(),
            wk: next(),
            wv: next(),
            wo: next(),
            w_in: next(),
            b_in: next(),
            w_out: next(),
            b_out: next(),
            unembed: next(),
        }
    }
}

/// Scratch buffers for passes over up to `rows` pairs.
///
/// Buffers the kernels read as their B operand (or add as a bias) have rows padded to a
/// multiple of [`kernels::lanes()`] (written `dp`, `mp`, `pp` for d, m, p): the padding
/// columns stay zero and are never part of a result. The per-block buffers hold
/// min(rows, [`kernels::KC`]) pairs.
#[derive(Clone, Debug)]
pub struct Workspace {
    shape: Shape,
    /// The largest batch.
    rows: usize,
    /// The residual inputs of the 2p + 1 (token, position) cases, (2p + 1) × dp: row t
    /// is W_E[t] + W_pos[0] (a = t), row p + t is W_E[t] + W_pos[1] (b = t), row 2p
    /// W_E[p] + W_pos[2] (the "=" position, the same for every pair).
    x: Array2<f32>,
    /// Keys (columns 0..d) and values (columns dp..dp + d) of those cases, (2p + 1) × 2dp.
    kv: Array2<f32>,
    /// The "=" query times 1/√(d/H) (d).
    q: Vec<f32>,
    /// Attention scores of each case's key against the query, (2p + 1) × H.
    scores: Array2<f32>,
    /// exp(score − the head's largest score over the cases), (2p + 1) × H: a pair's
    /// softmax over its three keys is then three look-ups and a division (see
    /// [`attend`]).
    weights: Array2<f32>,
    /// W_K (columns 0..d) and W_V (columns dp..dp + d), d × 2dp: B of the key and value
    /// tables.
    wkv: Array2<f32>,
    /// W_O, W_in, W_out, W_U in padded rows (B operands).
    wo: Array2<f32>,
    w_in: Array2<f32>,
    w_out: Array2<f32>,
    wu: Array2<f32>,
    /// The "=" position's residual input, b_in and b_out, zero-padded (biases).
    x2: Vec<f32>,
    b_in: Vec<f32>,
    b_out: Vec<f32>,
    /// Transposes for the backward products: W_Uᵀ (p × dp), W_outᵀ (d × mp), W_inᵀ
    /// (m × dp), W_Oᵀ (d × dp), W_Kᵀ and W_Vᵀ (d × dp each, stacked: 2d × dp).
    wut: Array2<f32>,
    w_outt: Array2<f32>,
    w_int: Array2<f32>,
    wot: Array2<f32>,
    wkvt: Array2<f32>,
    /// Per block: the "=" query's attention, block × H × 3.
    att: Vec<f32>,
    /// Per block: concatenated head outputs (block × dp), residual after attention
    /// (block × dp), hidden layer after ReLU (block × mp), residual after the MLP
    /// (block × dp), logits turned into their gradient (block × pp).
    z: Array2<f32>,
    r2: Array2<f32>,
    h: Array2<f32>,
    rf: Array2<f32>,
    logits: Array2<f32>,
    /// Per block: d(loss)/d(residual after the MLP), then after attention (block × dp);
    /// d(loss)/d(hidden) (block × mp); d(loss)/dz (block × dp).
    dres: Array2<f32>,
    dh: Array2<f32>,
    dz: Array2<f32>,
    /// Gradients of the tables, summed over the batch: keys and values ((2p + 1) × 2dp),
    /// scores ((2p + 1) × H); then of the inputs ((2p + 1) × d), and of the scaled query
    /// and the "=" input (d each).
    dkv: Array2<f32>,
    dscores: Array2<f32>,
    dx: Array2<f32>,
    dq: Vec<f32>,
    dx2: Vec<f32>,
}

impl Workspace {
    /// Buffers for batches of at most `rows` pairs.
    pub fn new(shape: Shape, rows: usize) -> Self {
        let Shape { p, d, heads, mlp } = shape;
        let rows = rows.max(1);
        let block = rows.min(kernels::KC);
        let (dp, mp, pp) = (kernels::pad(d), kernels::pad(mlp), kernels::pad(p));
        let cases = 2 * p + 1;
        Workspace {
            shape,
            rows,
            x: Array2::zeros((cases, dp)),
            kv: Array2::zeros((cases, 2 * dp)),
            q: vec![0.0; d],
            scores: Array2::zeros((cases, heads)),
            weights: Array2::zeros((cases, heads)),
            wkv: Array2::zeros((d, 2 * dp)),
            wo: Array2::zeros((d, dp)),
            w_in: Array2::zeros((d, mp)),
            w_out: Array2::zeros((mlp, dp)),
            wu: Array2::zeros((d, pp)),
            x2: vec![0.0; dp],
            b_in: vec![0.0; mp],
            b_out: vec![0.0; dp],
            wut: Array2::zeros((p, dp)),
            w_outt: Array2::zeros((d, mp)),
            w_int: Array2::zeros((mlp, dp)),
            wot: Array2::zeros((d, dp)),
            wkvt: Array2::zeros((2 * d, dp)),
            att: vec![0.0; block * heads * CONTEXT],
            z: Array2::zeros((block, dp)),
            r2: Array2::zeros((block, dp)),
            h: Array2::zeros((block, mp)),
            rf: Array2::zeros((block, dp)),
            logits: Array2::zeros((block, pp)),
            dres: Array2::zeros((block, dp)),
            dh: Array2::zeros((block, mp)),
            dz: Array2::zeros((block, dp)),
            dkv: Array2::zeros((cases, 2 * dp)),
            dscores: Array2::zeros((cases, heads)),
            dx: Array2::zeros((cases, d)),
            dq: vec![0.0; d],
            dx2: vec![0.0; d],
        }
    }

    /// The largest batch these buffers hold.
    pub fn rows(&self) -> usize {
        self.rows
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

/// Everything a pass needs before its first block: the weights in padded rows, the
/// inputs of every (token, position) case, their keys and values, the "=" query and
/// the score table. Small (a few products of 2p + 1 rows), once per pass.
fn prepare_tables(params: &View, ws: &mut Workspace) {
    let Shape { p, d, .. } = ws.shape;
    let dp = ws.x.ncols();
    ws.wkv.slice_mut(s![.., ..d]).assign(&params.wk);
    ws.wkv.slice_mut(s![.., dp..dp + d]).assign(&params.wv);
    ws.wo.slice_mut(s![.., ..d]).assign(&params.wo);
    ws.w_in
        .slice_mut(s![.., ..params.b_in.len()])
        .assign(&params.w_in);
    ws.w_out.slice_mut(s![.., ..d]).assign(&params.w_out);
    ws.wu.slice_mut(s![.., ..p]).assign(&params.unembed);
    ws.b_in[..params.b_in.len()].copy_from_slice(params.b_in.as_slice().expect("contiguous"));
    ws.b_out[..d].copy_from_slice(params.b_out.as_slice().expect("contiguous"));

    attention::build_tables(params, ws);
}

/// The transposes the backward products read (small, once per pass).
fn prepare_backward(params: &View, ws: &mut Workspace) {
    let d = ws.shape.d;
    ws.wut.slice_mut(s![.., ..d]).assign(&params.unembed.t());
    ws.w_outt
        .slice_mut(s![.., ..params.b_in.len()])
        .assign(&params.w_out.t());
    ws.w_int.slice_mut(s![.., ..d]).assign(&params.w_in.t());
    ws.wot.slice_mut(s![.., ..d]).assign(&params.wo.t());
    ws.wkvt.slice_mut(s![..d, ..d]).assign(&params.wk.t());
    ws.wkvt.slice_mut(s![d.., ..d]).assign(&params.wv.t());
}

/// The forward pass of one block of pairs (at most [`kernels::KC`]), into the
/// workspace's first rows: attention at "=", the residual, the MLP and the logits.
/// Expects [`prepare_tables`] to be current.
fn forward_block(pairs: &[Pair], ws: &mut Workspace) {
    let Shape { p, d, mlp, .. } = ws.shape;
    let rows = pairs.len();
    assert!(rows <= ws.z.nrows(), "more pairs than a block");
    let (dp, mp, pp) = (ws.z.ncols(), ws.h.ncols(), ws.logits.ncols());
    attend(
        pairs,
        ws.shape,
        Tables {
            scores: ws.scores.view(),
            weights: ws.weights.view(),
            kv: ws.kv.view(),
        },
        &mut ws.att,
        ws.z.view_mut(),
    );
    // Residual after attention: r2 = x2 + z W_O.
    Gemm {
        m: rows,
        n: d,
        k: d,
        a: flat(&ws.z),
        a_rs: dp,
        a_cs: 1,
        b: flat(&ws.wo),
        b_rs: dp,
        c: flat_mut(&mut ws.r2),
        ldc: dp,
        init: Init::Bias(&ws.x2),
    }
    .run();
    // Hidden layer: h = ReLU(r2 W_in + b_in).
    Gemm {
        m: rows,
        n: mlp,
        k: d,
        a: flat(&ws.r2),
        a_rs: dp,
        a_cs: 1,
        b: flat(&ws.w_in),
        b_rs: mp,
        c: flat_mut(&mut ws.h),
        ldc: mp,
        init: Init::Bias(&ws.b_in),
    }
    .run();
    relu(&mut flat_mut(&mut ws.h)[..rows * mp]);
    // Residual after the MLP: rf = h W_out + b_out + r2.
    Gemm {
        m: rows,
        n: d,
        k: mlp,
        a: flat(&ws.h),
        a_rs: mp,
        a_cs: 1,
        b: flat(&ws.w_out),
        b_rs: dp,
        c: flat_mut(&mut ws.rf),
        ldc: dp,
        init: Init::Bias(&ws.b_out),
    }
    .run();
    add_into(
        &mut flat_mut(&mut ws.rf)[..rows * dp],
        &flat(&ws.r2)[..rows * dp],
    );
    // Logits: rf W_U.
    Gemm {
        m: rows,
        n: p,
        k: d,
        a: flat(&ws.rf),
        a_rs: dp,
        a_cs: 1,
        b: flat(&ws.wu),
        b_rs: pp,
        c: flat_mut(&mut ws.logits),
        ldc: pp,
        init: Init::Zero,
    }
    .run();
}

with_avx! {
    /// ReLU in place (padding columns are zero and stay zero).
    fn relu(xs: &mut [f32]) = relu_generic;
}

#[inline(always)]
fn relu_generic(xs: &mut [f32]) {
    // A compare-and-select, as in the MLP: `max` is a libm call on wasm, and a NaN
    // passes through so a diverging run shows in the loss.
    xs.iter_mut()
        .for_each(|x| *x = if *x < 0.0 { 0.0 } else { *x });
}

with_avx! {
    /// acc += x, element-wise.
    fn add_into(acc: &mut [f32], x: &[f32]) = add_into_generic;
}

#[inline(always)]
fn add_into_generic(acc: &mut [f32], x: &[f32]) {
    acc.iter_mut().zip(x).for_each(|(a, &x)| *a += x);
}

/// Loss and accuracy of `params` on `pairs` (any number: evaluated in workspace-sized
/// chunks, each in blocks).
pub fn evaluate(params: &Params, pairs: &[Pair], ws: &mut Workspace) -> BatchStats {
    let view = &View::of(params);
    prepare_tables(view, ws);
    let p = ws.shape.p;
    BatchStats::in_blocks(pairs, ws.rows, |block, loss| {
        forward_block(block, ws);
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
    let view = &View::of(params);
    prepare_tables(view, ws);
    let p = ws.shape.p;
    let mut out = Array2::zeros((pairs.len(), p));
    let rows = ws.z.nrows();
    for (i, block) in pairs.chunks(rows).enumerate() {
        forward_block(block, ws);
        let start = i * rows;
        out.slice_mut(s![start..start + block.len(), ..])
            .assign(&ws.logits.slice(s![..block.len(), ..p]));
    }
    out
}

/// Values in a partial gradient of `shape` (see [`partial`]).
pub fn partial_len(shape: Shape) -> usize {
    PartialMut::lens(shape).iter().sum()
}

/// Makes the workspace ready for [`partial`] and [`finish`] at `params`: the weights in
/// padded rows and their transposes, the inputs, keys and values of the 2p + 1
/// (token, position) cases, the "=" query and the score table. Once per step per
/// workspace, however many parts of the batch it then computes.
pub fn prepare(params: &Params, ws: &mut Workspace) {
    let view = &View::of(params);
    prepare_tables(view, ws);
    prepare_backward(view, ws);
}

/// The gradient of a part of a batch in table space: writes into `out` ([`partial_len`]
/// values) the gradient of (sum of the losses over `pairs`) / `total` with respect to
/// the value table, the score table and the "=" input along the residual, then W_O,
/// W_in, b_in, W_out, b_out and W_U; returns the loss and accuracy over `pairs`. The
/// parts of a batch add up (in that space) to the batch's; [`finish`] unfolds the tables
/// into W_E, W_pos, W_Q, W_K, W_V once per step. Expects [`prepare`] at these
/// parameters; `pairs.len()` must be between 1 and `ws.rows()`.
///
/// Per block of [`kernels::KC`] pairs: the forward pass, the cross-entropy, then back
/// through the read-out, the MLP and W_O (each weight's gradient summed over the blocks
/// by its product), and through the attention into the tables' gradients.
pub fn partial(
    params: &Params,
    pairs: &[Pair],
    total: usize,
    out: &mut [f32],
    ws: &mut Workspace,
) -> BatchStats {
    // The parameters reach this pass through the workspace's copies (see `prepare`).
    let _ = params;
    let g = &mut PartialMut::of(ws.shape, out);
    let n = pairs.len();
    assert!(
        n > 0 && n <= ws.rows && n <= total,
        "batch of {n} pairs (of {total}) does not fit a workspace of {}",
        ws.rows
    );
    let Shape { p, d, mlp, .. } = ws.shape;
    let (dp, mp, pp) = (ws.z.ncols(), ws.h.ncols(), ws.logits.ncols());
    ws.dkv.fill(0.0);
    ws.dscores.fill(0.0);
    ws.dx2.fill(0.0);
    g.b_in.fill(0.0);
    g.b_out.fill(0.0);
    let mut loss = 0.0f64;
    let mut correct = 0;
    for (index, block) in pairs.chunks(kernels::KC).enumerate() {
        let rows = block.len();
        let init = if index == 0 { Init::Zero } else { Init::Add };
        forward_block(block, ws);
        correct += cross_entropy_rows(
            ws.logits.slice_mut(s![..rows, ..p]),
            block,
            Some(1.0 / total as f32),
            &mut loss,
        );

        // Read-out: dW_U += rfᵀ G, d(rf) = G W_Uᵀ.
        Gemm {
            m: d,
            n: p,
            k: rows,
            a: flat(&ws.rf),
            a_rs: 1,
            a_cs: dp,
            b: flat(&ws.logits),
            b_rs: pp,
            c: &mut g.unembed[..],
            ldc: p,
            init,
        }
        .run();
        Gemm {
            m: rows,
            n: d,
            k: p,
            a: flat(&ws.logits),
            a_rs: pp,
            a_cs: 1,
            b: flat(&ws.wut),
            b_rs: dp,
            c: flat_mut(&mut ws.dres),
            ldc: dp,
            init: Init::Zero,
        }
        .run();

        // MLP out: db_out += Σ d(rf), dW_out += hᵀ d(rf), dh = d(rf) W_outᵀ masked by
        // the ReLU (h > 0 exactly where the pre-activation was positive).
        for row in ws.dres.slice(s![..rows, ..d]).rows() {
            add_into(g.b_out, row.to_slice().expect("contiguous"));
        }
        Gemm {
            m: mlp,
            n: d,
            k: rows,
            a: flat(&ws.h),
            a_rs: 1,
            a_cs: mp,
            b: flat(&ws.dres),
            b_rs: dp,
            c: &mut g.w_out[..],
            ldc: d,
            init,
        }
        .run();
        Gemm {
            m: rows,
            n: mlp,
            k: d,
            a: flat(&ws.dres),
            a_rs: dp,
            a_cs: 1,
            b: flat(&ws.w_outt),
            b_rs: mp,
            c: flat_mut(&mut ws.dh),
            ldc: mp,
            init: Init::Zero,
        }
        .run();
        relu_mask(
            &mut flat_mut(&mut ws.dh)[..rows * mp],
            &flat(&ws.h)[..rows * mp],
        );

        // MLP in: db_in += Σ dh, dW_in += r2ᵀ dh, and the residual's gradient after
        // attention: d(r2) = d(rf) + dh W_inᵀ (added in place).
        for row in ws.dh.slice(s![..rows, ..mlp]).rows() {
            add_into(g.b_in, row.to_slice().expect("contiguous"));
        }
        Gemm {
            m: d,
            n: mlp,
            k: rows,
            a: flat(&ws.r2),
            a_rs: 1,
            a_cs: dp,
            b: flat(&ws.dh),
            b_rs: mp,
            c: &mut g.w_in[..],
            ldc: mlp,
            init,
        }
        .run();
        Gemm {
            m: rows,
            n: d,
            k: mlp,
            a: flat(&ws.dh),
            a_rs: mp,
            a_cs: 1,
            b: flat(&ws.w_int),
            b_rs: dp,
            c: flat_mut(&mut ws.dres),
            ldc: dp,
            init: Init::Add,
        }
        .run();

        // Attention out: the "=" input's gradient along the residual, dW_O += zᵀ d(r2),
        // dz = d(r2) W_Oᵀ.
        for row in ws.dres.slice(s![..rows, ..d]).rows() {
            add_into(&mut ws.dx2, row.to_slice().expect("contiguous"));
        }
        Gemm {
            m: d,
            n: d,
            k: rows,
            a: flat(&ws.z),
            a_rs: 1,
            a_cs: dp,
            b: flat(&ws.dres),
            b_rs: dp,
            c: &mut g.wo[..],
            ldc: d,
            init,
        }
        .run();
        Gemm {
            m: rows,
            n: d,
            k: d,
            a: flat(&ws.dres),
            a_rs: dp,
            a_cs: 1,
            b: flat(&ws.wot),
            b_rs: dp,
            c: flat_mut(&mut ws.dz),
            ldc: dp,
            init: Init::Zero,
        }
        .run();

        // Through the attention, into the tables' gradients.
        attend_backward(
            AttentionBlock {
                pairs: block,
                shape: ws.shape,
                kv: ws.kv.view(),
                att: &ws.att,
                dz: ws.dz.view(),
            },
            ws.dkv.view_mut(),
            ws.dscores.view_mut(),
        );
    }

    // The tables' gradients into the partial: the values' (the keys' follow from the
    // scores' in `finish`), the scores', the "=" input's along the residual.
    let cases = 2 * p + 1;
    for (t, dv) in g.dv.chunks_exact_mut(d).enumerate().take(cases) {
        dv.copy_from_slice(&ws.dkv.row(t).to_slice().expect("contiguous")[dp..dp + d]);
    }
    g.dscores.copy_from_slice(flat(&ws.dscores));
    g.dx2.copy_from_slice(&ws.dx2);

    BatchStats {
        loss: loss / n as f64,
        correct,
        count: n,
    }
}

/// The parameters' gradient from the sum of a batch's partial gradients: the weights'
/// after the attention copied, the tables' unfolded into W_Q, W_K, W_V, W_E and W_pos.
/// Expects [`prepare`] at these parameters on `ws`.
pub fn finish(params: &Params, partial: &[f32], grads: &mut Params, ws: &mut Workspace) {
    let view = &View::of(params);
    let g = &mut GradMut::of(grads);
    let shape = ws.shape;
    let d = shape.d;
    let dp = ws.x.ncols();
    let part = Partial::of(shape, partial);
    g.wo.copy_from_slice(part.wo);
    g.w_in.copy_from_slice(part.w_in);
    g.b_in.copy_from_slice(part.b_in);
    g.w_out.copy_from_slice(part.w_out);
    g.b_out.copy_from_slice(part.b_out);
    g.unembed.copy_from_slice(part.unembed);
    for (t, dv) in part.dv.chunks_exact(d).enumerate() {
        ws.dkv.row_mut(t).as_slice_mut().expect("contiguous")[dp..dp + d].copy_from_slice(dv);
    }
    flat_mut(&mut ws.dscores).copy_from_slice(part.dscores);
    ws.dx2.copy_from_slice(part.dx2);
    unfold_tables(view, g, ws);
}

/// Forward and backward pass over `pairs`, a part of a batch of `total` pairs: writes
/// the gradient of (sum of the losses over `pairs`) / `total` into `grads` (overwriting
/// it). [`prepare`], [`partial`] and [`finish`] in one call, for tests and one-off
/// gradients (training goes through the partial API, see [`crate::train::SHARDS`]).
pub fn loss_and_grad(
    params: &Params,
    pairs: &[Pair],
    total: usize,
    grads: &mut Params,
    ws: &mut Workspace,
) -> BatchStats {
    prepare(params, ws);
    let mut out = vec![0.0; partial_len(ws.shape)];
    let stats = partial(params, pairs, total, &mut out, ws);
    finish(params, &out, grads, ws);
    stats
}

/// A partial gradient's parts, in order (see [`partial`]).
struct PartialMut<'a> {
    /// The value table's gradient, (2p + 1) × d.
    dv: &'a mut [f32],
    /// The score table's, (2p + 1) × H.
    dscores: &'a mut [f32],
    /// The "=" input's along the residual (d).
    dx2: &'a mut [f32],
    wo: &'a mut [f32],
    w_in: &'a mut [f32],
    b_in: &'a mut [f32],
    w_out: &'a mut [f32],
    b_out: &'a mut [f32],
    unembed: &'a mut [f32],
}

impl<'a> PartialMut<'a> {
    /// The parts' lengths, in order.
    fn lens(shape: Shape) -> [usize; 9] {
        let Shape { p, d, heads, mlp } = shape;
        let cases = 2 * p + 1;
        [
            cases * d,
            cases * heads,
            d,
            d * d,
            d * mlp,
            mlp,
            mlp * d,
            d,
            d * p,
        ]
    }

    fn of(shape: Shape, mut out: &'a mut [f32]) -> PartialMut<'a> {
        assert_eq!(out.len(), partial_len(shape), "a partial gradient's length");
        let mut next = |len: usize| {
            let (head, tail) = std::mem::take(&mut out).split_at_mut(len);
            out = tail;
            head
        };
        let lens = Self::lens(shape);
        PartialMut {
            dv: next(lens[0]),
            dscores: next(lens[1]),
            dx2: next(lens[2]),
            wo: next(lens[3]),
            w_in: next(lens[4]),
            b_in: next(lens[5]),
            w_out: next(lens[6]),
            b_out: next(lens[7]),
            unembed: next(lens[8]),
        }
    }
}

/// A partial gradient's parts, read-only (see [`PartialMut`]).
struct Partial<'a> {
    dv: &'a [f32],
    dscores: &'a [f32],
    dx2: &'a [f32],
    wo: &'a [f32],
    w_in: &'a [f32],
    b_in: &'a [f32],
    w_out: &'a [f32],
    b_out: &'a [f32],
    unembed: &'a [f32],
}

impl<'a> Partial<'a> {
    fn of(shape: Shape, mut out: &'a [f32]) -> Partial<'a> {
        assert_eq!(out.len(), partial_len(shape), "a partial gradient's length");
        let mut next = |len: usize| {
            let (head, tail) = out.split_at(len);
            out = tail;
            head
        };
        let lens = PartialMut::lens(shape);
        Partial {
            dv: next(lens[0]),
            dscores: next(lens[1]),
            dx2: next(lens[2]),
            wo: next(lens[3]),
            w_in: next(lens[4]),
            b_in: next(lens[5]),
            w_out: next(lens[6]),
            b_out: next(lens[7]),
            unembed: next(lens[8]),
        }
    }
}

with_avx! {
    /// dh = 0 where h is not positive (a select, so the loop vectorises).
    fn relu_mask(dh: &mut [f32], h: &[f32]) = relu_mask_generic;
}

#[inline(always)]
fn relu_mask_generic(dh: &mut [f32], h: &[f32]) {
    dh.iter_mut()
        .zip(h)
        .for_each(|(g, &h)| *g = if h > 0.0 { *g } else { 0.0 });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::{Dataset, Op};

    const SHAPE: Shape = Shape {
        p: 7,
        d: 8,
        heads: 2,
        mlp: 12,
    };

    /// Parameters of `shape` with non-zero biases and scores large enough that the
    /// attention is far from uniform (so its gradient is exercised).
    fn setup(shape: Shape) -> Params {
        let mut params = Transformer::new(shape).init(5, 1.0);
        for (name, scale) in [("wq", 3.0), ("wk", 3.0)] {
            params.matrix_mut(name).iter_mut().for_each(|w| *w *= scale);
        }
        params
            .vector_mut("b_in")
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = 0.1 * (i as f32 - 5.0));
        params
            .vector_mut("b_out")
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = 0.05 * i as f32);
        params
    }

    /// The "=" query's attention from the tables against the naive pattern's last row,
    /// with the queries and keys scaled by `sharpen`; returns how many (pair, head)
    /// softmaxes fell back to the pair's own scores.
    fn compare_attention(sharpen: f32) -> usize {
        let model = Transformer::new(SHAPE);
        let mut params = setup(SHAPE);
        for name in ["wq", "wk"] {
            params
                .matrix_mut(name)
                .iter_mut()
                .for_each(|w| *w *= sharpen);
        }
        let pairs = Dataset::all_pairs(SHAPE.p as u32, Op::Add);
        let mut ws = model.workspace(pairs.len());
        prepare_tables(&View::of(&params), &mut ws);
        forward_block(&pairs, &mut ws);
        let mut worst = 0.0f64;
        let mut fallbacks = 0;
        for (r, pair) in pairs.iter().enumerate() {
            let naive = model.attention(&params, pair.a, pair.b);
            for h in 0..SHAPE.heads {
                let cases = [pair.a as usize, SHAPE.p + pair.b as usize, 2 * SHAPE.p];
                let sum: f32 = cases.iter().map(|&t| ws.weights[[t, h]]).sum();
                let usable = sum > attention::MIN_WEIGHT_SUM;
                fallbacks += usize::from(!usable);
                for j in 0..CONTEXT {
                    let fast = ws.att[r * SHAPE.heads * CONTEXT + h * CONTEXT + j] as f64;
                    worst = worst.max((fast - naive[[h, 2, j]]).abs());
                }
            }
        }
        assert!(
            worst < 1e-5,
            "sharpened {sharpen}: worst difference {worst}"
        );
        fallbacks
    }

    #[test]
    fn the_fast_attention_at_equals_matches_the_naive_pattern() {
        assert_eq!(compare_attention(1.0), 0);
        // Scores so spread that some pairs' three factors underflow: those take the
        // softmax of their own scores, and still match.
        assert!(compare_attention(12.0) > 0);
    }

    #[test]
    fn logits_match_the_naive_forward_pass() {
        let model = Transformer::new(SHAPE);
        let params = setup(SHAPE);
        let pairs = Dataset::all_pairs(SHAPE.p as u32, Op::Add);
        let mut ws = model.workspace(10); // smaller than the batch: chunks
        let fast = logits(&params, &pairs, &mut ws);
        let naive = Naive::of(SHAPE, &params);
        for (r, pair) in pairs.iter().enumerate() {
            let f = naive.forward(&naive.token(pair.a as usize), &naive.token(pair.b as usize));
            for c in 0..SHAPE.p {
                let (x, y) = (fast[[r, c]] as f64, f.logits[c]);
                assert!((x - y).abs() < 1e-4 * (1.0 + y.abs()), "{x} vs {y}");
            }
        }
    }

    #[test]
    fn the_embedding_is_the_numbers_rows_of_w_e() {
        let model = Transformer::new(SHAPE);
        let params = setup(SHAPE);
        let e = model.embedding(&params);
        assert_eq!(e.dim(), (SHAPE.p, SHAPE.d));
        assert_eq!(e.row(3), params.matrix("embed").row(3));
    }
}
