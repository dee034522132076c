//! The transformer's attention, through tables of the 2p + 1 (token, position) cases.
//!
//! With one-hot inputs, a causal mask and the loss read at "=" only, every key and
//! value a pair's attention reads belongs to one of 2p + 1 cases (a at position 0, b at
//! position 1, "=" at 2), and the "=" query is the same for every pair. So once per pass
//! [`build_tables`] computes the cases' inputs, keys, values, the query, the score table
//! and each case's exponential weight; [`attend`] then gives a pair's attention by
//! look-ups and a three-way softmax, [`attend_backward`] adds each pair's gradient into
//! the tables' gradients, and [`unfold_tables`] turns those into the parameters'
//! gradients once per pass. The dense per-pair products (W_O, the MLP, the read-out)
//! are in the parent module.

use super::{flat, flat_mut, GradMut, Shape, View, Workspace, CONTEXT};
use crate::kernels::{with_avx, Gemm, Init};
use crate::model::loss::exp_nonpos;
use crate::task::Pair;
use ndarray::{ArrayView2, ArrayViewMut2};

/// The cases' inputs, keys and values, the "=" query, the score table and each case's
/// exponential weight (see the module header). Expects the padded copies of W_K and W_V
/// in `ws.wkv` to be current.
pub(super) fn build_tables(params: &View, ws: &mut Workspace) {
    let Shape { p, d, heads, .. } = ws.shape;
    let dh = d / heads;
    let dp = ws.x.ncols();
    // The inputs of the 2p + 1 cases.
    for t in 0..p {
        for (pos, row) in [(0, t), (1, p + t)] {
            let mut x = ws.x.row_mut(row);
            for ((x, &e), &w) in x
                .iter_mut()
                .zip(params.embed.row(t))
                .zip(params.pos.row(pos))
            {
                *x = e + w;
            }
        }
    }
    {
        let mut x = ws.x.row_mut(2 * p);
        for ((x, &e), &w) in x.iter_mut().zip(params.embed.row(p)).zip(params.pos.row(2)) {
            *x = e + w;
        }
    }
    ws.x2[..d].copy_from_slice(&ws.x.row(2 * p).as_slice().expect("contiguous")[..d]);

    // Keys and values of every case (K = X W_K, V = X W_V).
    let cases = 2 * p + 1;
    let kvp = ws.kv.ncols();
    for half in [0, dp] {
        Gemm {
            m: cases,
            n: d,
            k: d,
            a: flat(&ws.x),
            a_rs: dp,
            a_cs: 1,
            b: &flat(&ws.wkv)[half..],
            b_rs: kvp,
            c: &mut flat_mut(&mut ws.kv)[half..],
            ldc: kvp,
            init: Init::Zero,
        }
        .run();
    }

    // The "=" query, scaled by 1/√(d/H) so a score is one dot product.
    let scale = 1.0 / (dh as f32).sqrt();
    for (j, q) in ws.q.iter_mut().enumerate() {
        let mut acc = 0.0f32;
        for (i, &x) in ws.x2[..d].iter().enumerate() {
            acc += x * params.wq[[i, j]];
        }
        *q = acc * scale;
    }

    // Scores of every case's key, per head.
    for (t, mut row) in ws.scores.rows_mut().into_iter().enumerate() {
        let k = &ws.kv.row(t).to_slice().expect("contiguous")[..d];
        for (h, s) in row.iter_mut().enumerate() {
            let cols = h * dh..(h + 1) * dh;
            *s = k[cols.clone()]
                .iter()
                .zip(&ws.q[cols])
                .map(|(&k, &q)| k * q)
                .sum();
        }
    }

    // exp(score − max) per case: a pair's three keys are cases of their own, so the
    // exponentials of its softmax are the same for every pair that shares a case, and
    // are taken here once instead of 3H times per pair (they were a tenth of a step).
    // Shifted by each head's largest score, so every factor is at most 1.
    for h in 0..heads {
        let col = ws.scores.column(h);
        let max = col
            .iter()
            .fold(f32::NEG_INFINITY, |m, &s| if s > m { s } else { m });
        for (w, &s) in ws.weights.column_mut(h).iter_mut().zip(col) {
            *w = exp_nonpos(s - max);
        }
    }
}

/// The per-case tables a block's attention reads (see [`Workspace`]).
#[derive(Clone, Copy)]
pub(super) struct Tables<'a> {
    pub(super) scores: ArrayView2<'a, f32>,
    pub(super) weights: ArrayView2<'a, f32>,
    pub(super) kv: ArrayView2<'a, f32>,
}

/// Below this, a pair's three softmax factors (each exp(score − the head's largest
/// over all cases)) have lost precision to underflow; the pair's softmax is then taken
/// from its own scores. Far from any trained network's scores (it needs all three of a
/// pair's scores ~69 below the head's largest).
pub(super) const MIN_WEIGHT_SUM: f32 = 1e-30;

with_avx! {
    /// The "=" query's attention for each pair, kept in `att`, and the heads' outputs
    /// z = Σ_j α_j V_j into the first d columns of `z`'s rows. Key 0 is case a, key 1
    /// case p + b, key 2 case 2p; α_j = w_j / (w_0 + w_1 + w_2) with the cases'
    /// exponential weights.
    pub(super) fn attend(
        pairs: &[Pair],
        shape: Shape,
        tables: Tables,
        att: &mut [f32],
        z: ArrayViewMut2<f32>
    ) = attend_generic;
}

#[inline(always)]
fn attend_generic(
    pairs: &[Pair],
    shape: Shape,
    tables: Tables,
    att: &mut [f32],
    mut z: ArrayViewMut2<f32>,
) {
    let Shape { p, d, heads, .. } = shape;
    let dh = d / heads;
    let Tables {
        scores,
        weights,
        kv,
    } = tables;
    let dp = kv.ncols() / 2;
    for ((pair, mut z), att) in pairs
        .iter()
        .zip(z.rows_mut())
        .zip(att.chunks_exact_mut(heads * CONTEXT))
    {
        let cases = [pair.a as usize, p + pair.b as usize, 2 * p];
        let w = cases.map(|t| weights.row(t).to_slice().expect("contiguous"));
        let v = cases.map(|t| &kv.row(t).to_slice().expect("contiguous")[dp..dp + d]);
        let z = &mut z.as_slice_mut().expect("contiguous")[..d];
        for (h, ((((att, z), v0), v1), v2)) in att
            .chunks_exact_mut(CONTEXT)
            .zip(z.chunks_exact_mut(dh))
            .zip(v[0].chunks_exact(dh))
            .zip(v[1].chunks_exact(dh))
            .zip(v[2].chunks_exact(dh))
            .enumerate()
        {
            let mut e = [w[0][h], w[1][h], w[2][h]];
            let mut sum = e[0] + e[1] + e[2];
            // Written so that a NaN sum takes the fallback too.
            let usable = sum > MIN_WEIGHT_SUM;
            if !usable {
                // Underflow (or a NaN, which this passes on): the pair's own softmax,
                // shifted by its largest score.
                let s = cases.map(|t| scores[[t, h]]);
                let max = if s[0] > s[1] { s[0] } else { s[1] };
                let max = if max > s[2] { max } else { s[2] };
                e = s.map(|s| exp_nonpos(s - max));
                sum = e[0] + e[1] + e[2];
            }
            let inv = 1.0 / sum;
            let a = e.map(|e| e * inv);
            att.copy_from_slice(&a);
            for (((z, &v0), &v1), &v2) in z.iter_mut().zip(v0).zip(v1).zip(v2) {
                *z = a[0] * v0 + a[1] * v1 + a[2] * v2;
            }
        }
    }
}

/// What the backward pass through the attention reads for a block.
#[derive(Clone, Copy)]
pub(super) struct AttentionBlock<'a> {
    pub(super) pairs: &'a [Pair],
    pub(super) shape: Shape,
    /// The key and value tables.
    pub(super) kv: ArrayView2<'a, f32>,
    /// The block's attention weights (block × H × 3).
    pub(super) att: &'a [f32],
    /// d(loss)/dz for the block's pairs.
    pub(super) dz: ArrayView2<'a, f32>,
}

with_avx! {
    /// Back through the "=" query's attention for each pair of `block`: from dz to the
    /// value table's gradient (`dkv`, columns dp..dp + d) and the score table's
    /// (`dscores`), both summed over the pairs in order.
    pub(super) fn attend_backward(
        block: AttentionBlock,
        dkv: ArrayViewMut2<f32>,
        dscores: ArrayViewMut2<f32>
    ) = attend_backward_generic;
}

#[inline(always)]
fn attend_backward_generic(
    block: AttentionBlock,
    mut dkv: ArrayViewMut2<f32>,
    mut dscores: ArrayViewMut2<f32>,
) {
    let AttentionBlock {
        pairs,
        shape,
        kv,
        att,
        dz,
    } = block;
    let Shape { p, d, heads, .. } = shape;
    let dh = d / heads;
    let dp = kv.ncols() / 2;
    for ((pair, dz), att) in pairs
        .iter()
        .zip(dz.rows())
        .zip(att.chunks_exact(heads * CONTEXT))
    {
        let cases = [pair.a as usize, p + pair.b as usize, 2 * p];
        let dz = &dz.to_slice().expect("contiguous")[..d];
        let v = cases.map(|t| &kv.row(t).to_slice().expect("contiguous")[dp..dp + d]);
        // d(loss)/dα_j = dz_h · V_j,h, then back through the softmax:
        // ds_j = α_j (dα_j − Σ_k α_k dα_k).
        for (h, (att, dz)) in att
            .chunks_exact(CONTEXT)
            .zip(dz.chunks_exact(dh))
            .enumerate()
        {
            let cols = h * dh..(h + 1) * dh;
            let datt = v.map(|v| {
                v[cols.clone()]
                    .iter()
                    .zip(dz)
                    .map(|(&v, &g)| v * g)
                    .sum::<f32>()
            });
            let mean = att[0] * datt[0] + att[1] * datt[1] + att[2] * datt[2];
            for (j, &t) in cases.iter().enumerate() {
                dscores[[t, h]] += att[j] * (datt[j] - mean);
                // dV_j += α_j dz, head by head.
                let mut row = dkv.row_mut(t);
                let dv =
                    &mut row.as_slice_mut().expect("contiguous")[dp + cols.start..dp + cols.end];
                for (dv, &g) in dv.iter_mut().zip(dz) {
                    *dv += att[j] * g;
                }
            }
        }
    }
}

/// From the tables' gradients (scores, values, the "=" input along the residual) to
/// the parameters': keys and query from the scores, then W_Q, W_K, W_V and the inputs'
/// gradient, then W_E and W_pos. Small products over the 2p + 1 cases, once per pass.
pub(super) fn unfold_tables(params: &View, g: &mut GradMut, ws: &mut Workspace) {
    let Shape { p, d, heads, .. } = ws.shape;
    let dh = d / heads;
    let dp = ws.x.ncols();
    let kvp = ws.kv.ncols();
    let cases = 2 * p + 1;
    let scale = 1.0 / (dh as f32).sqrt();

    // A score is K_t,h · q_h (q scaled): dK_t,h = dS_t,h q_h, and the scaled query's
    // gradient is Σ_t dS_t,h K_t,h.
    ws.dq.fill(0.0);
    for t in 0..cases {
        let ds = ws.dscores.row(t);
        let k = ws.kv.row(t);
        let k = &k.to_slice().expect("contiguous")[..d];
        let mut dkv = ws.dkv.row_mut(t);
        let dk = &mut dkv.as_slice_mut().expect("contiguous")[..d];
        for h in 0..heads {
            let cols = h * dh..(h + 1) * dh;
            let s = ds[h];
            for i in cols {
                dk[i] = s * ws.q[i];
                ws.dq[i] += s * k[i];
            }
        }
    }
    // Unscaled query: q = scale · x2 W_Q, so dW_Q = x2ᵀ (scale dq) and the "=" input
    // gets W_Q (scale dq).
    for q in ws.dq.iter_mut() {
        *q *= scale;
    }
    for i in 0..d {
        let x = ws.x2[i];
        let row = &mut g.wq[i * d..(i + 1) * d];
        let mut acc = 0.0f32;
        for (j, (w, &dq)) in row.iter_mut().zip(&ws.dq).enumerate() {
            *w = x * dq;
            acc += params.wq[[i, j]] * dq;
        }
        ws.dx2[i] += acc;
    }

    // K = X W_K, V = X W_V: dW_K = Xᵀ dK, dW_V = Xᵀ dV, dX = dK W_Kᵀ + dV W_Vᵀ.
    for (half, c) in [(0, &mut *g.wk), (dp, &mut *g.wv)] {
        Gemm {
            m: d,
            n: d,
            k: cases,
            a: flat(&ws.x),
            a_rs: 1,
            a_cs: dp,
            b: &flat(&ws.dkv)[half..],
            b_rs: kvp,
            c,
            ldc: d,
            init: Init::Zero,
        }
        .run();
    }
    let wkvt = flat(&ws.wkvt);
    for (i, half) in [0, dp].into_iter().enumerate() {
        Gemm {
            m: cases,
            n: d,
            k: d,
            a: &flat(&ws.dkv)[half..],
            a_rs: kvp,
            a_cs: 1,
            b: &wkvt[i * d * dp..],
            b_rs: dp,
            c: flat_mut(&mut ws.dx),
            ldc: d,
            init: if i == 0 { Init::Zero } else { Init::Add },
        }
        .run();
    }

    // X's rows are W_E[t] + W_pos[position]: W_E[t] gets its rows at positions 0 and 1,
    // W_E[p] the "=" row (with the residual's and the query's shares); W_pos[0] and [1]
    // the sums over the tokens.
    g.pos.fill(0.0);
    for t in 0..p {
        let (d0, d1) = (ws.dx.row(t), ws.dx.row(p + t));
        let e = &mut g.embed[t * d..(t + 1) * d];
        for (i, e) in e.iter_mut().enumerate() {
            *e = d0[i] + d1[i];
        }
        for (i, (a, b)) in d0.iter().zip(d1.iter()).enumerate() {
            g.pos[i] += a;
            g.pos[d + i] += b;
        }
    }
    let eq = ws.dx.row(2 * p);
    for i in 0..d {
        let v = eq[i] + ws.dx2[i];
        g.embed[p * d + i] = v;
        g.pos[2 * d + i] = v;
    }
}
