//! The transformer written out naively in f64, one pair at a time, as the papers draw it:
//! keys and values at every position, the full causal attention pattern. Off the hot
//! path: it serves the figures and the analysis ([`super::Transformer::attention`],
//! [`super::Transformer::input_gradients`], the neurons' input weights) and is the
//! reference the fast passes of the parent module are tested against.

use super::{Shape, CONTEXT};
use crate::params::Params;
use ndarray::{Array2, Array3, ArrayView1};

/// A naive f64 pass over one pair (for figures, tests and the analysis): the whole
/// network written out as the papers do, keys and values at every position.
pub(super) struct Naive {
    pub(super) shape: Shape,
    /// Every block, as f64 matrices in layout order.
    pub(super) embed: Array2<f64>,
    pub(super) pos: Array2<f64>,
    pub(super) wq: Array2<f64>,
    pub(super) wk: Array2<f64>,
    pub(super) wv: Array2<f64>,
    pub(super) wo: Array2<f64>,
    pub(super) w_in: Array2<f64>,
    pub(super) b_in: Vec<f64>,
    pub(super) w_out: Array2<f64>,
    pub(super) b_out: Vec<f64>,
    pub(super) unembed: Array2<f64>,
}

/// What the naive forward pass at "=" keeps for its backward pass.
pub(super) struct NaiveForward {
    /// Values at the three positions (3 × d), the "=" query (d).
    pub(super) v: Array2<f64>,
    pub(super) q: Vec<f64>,
    /// Attention of the "=" query, `[head][key]`.
    pub(super) att: Array2<f64>,
    /// The hidden layer at "=" after ReLU (m).
    pub(super) h: Vec<f64>,
    /// The logits (p; the unit tests compare them with the fast pass's).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) logits: Vec<f64>,
}

impl Naive {
    pub(super) fn of(shape: Shape, params: &Params) -> Naive {
        let m = |name: &str| params.matrix(name).mapv(f64::from);
        let v = |name: &str| params.vector(name).iter().map(|&x| x as f64).collect();
        Naive {
            shape,
            embed: m("embed"),
            pos: m("pos"),
            wq: m("wq"),
            wk: m("wk"),
            wv: m("wv"),
            wo: m("wo"),
            w_in: m("w_in"),
            b_in: v("b_in"),
            w_out: m("w_out"),
            b_out: v("b_out"),
            unembed: m("unembed"),
        }
    }

    /// W_E's row for `token`.
    pub(super) fn token(&self, token: usize) -> Vec<f64> {
        self.embed.row(token).to_vec()
    }

    /// The three residual inputs for operand embeddings `ea`, `eb` (3 × d).
    pub(super) fn inputs(&self, ea: &[f64], eb: &[f64]) -> Array2<f64> {
        let mut x = self.pos.clone();
        let eq = self.token(self.shape.p);
        for (i, e) in [ea, eb, &eq[..]].into_iter().enumerate() {
            x.row_mut(i).iter_mut().zip(e).for_each(|(x, e)| *x += e);
        }
        x
    }

    /// The full causal attention pattern, `[head][query][key]`.
    pub(super) fn attention_all(&self, x: &Array2<f64>) -> Array3<f64> {
        let (hn, dh) = (self.shape.heads, self.shape.head_width());
        let (q, k) = (x.dot(&self.wq), x.dot(&self.wk));
        let mut out = Array3::zeros((hn, CONTEXT, CONTEXT));
        for h in 0..hn {
            for i in 0..CONTEXT {
                // The causal mask: query i sees keys 0..=i only.
                let scores: Vec<f64> = (0..=i)
                    .map(|j| {
                        (h * dh..(h + 1) * dh)
                            .map(|c| q[[i, c]] * k[[j, c]])
                            .sum::<f64>()
                            / (dh as f64).sqrt()
                    })
                    .collect();
                for (j, pr) in softmax(&scores).into_iter().enumerate() {
                    out[[h, i, j]] = pr;
                }
            }
        }
        out
    }

    /// The forward pass at "=" for operand embeddings `ea`, `eb`.
    pub(super) fn forward(&self, ea: &[f64], eb: &[f64]) -> NaiveForward {
        let (hn, dh) = (self.shape.heads, self.shape.head_width());
        let x = self.inputs(ea, eb);
        let (k, v) = (x.dot(&self.wk), x.dot(&self.wv));
        let q = x.row(2).dot(&self.wq).to_vec();
        let mut att = Array2::zeros((hn, CONTEXT));
        let mut z = vec![0.0; self.shape.d];
        for h in 0..hn {
            let cols = h * dh..(h + 1) * dh;
            let scores: Vec<f64> = (0..CONTEXT)
                .map(|j| cols.clone().map(|i| q[i] * k[[j, i]]).sum::<f64>() / (dh as f64).sqrt())
                .collect();
            for (j, pr) in softmax(&scores).into_iter().enumerate() {
                att[[h, j]] = pr;
                for i in cols.clone() {
                    z[i] += pr * v[[j, i]];
                }
            }
        }
        let mut resid = x.row(2).to_owned() + ArrayView1::from(&z).dot(&self.wo);
        let h: Vec<f64> = (resid.dot(&self.w_in) + ArrayView1::from(&self.b_in))
            .iter()
            .map(|&u| u.max(0.0))
            .collect();
        resid = resid + ArrayView1::from(&h).dot(&self.w_out) + ArrayView1::from(&self.b_out);
        let logits = resid.dot(&self.unembed).to_vec();
        NaiveForward {
            v,
            q,
            att,
            h,
            logits,
        }
    }

    /// d(logit c)/d(ea), d(logit c)/d(eb).
    pub(super) fn input_gradients(&self, ea: &[f64], eb: &[f64], c: usize) -> [Vec<f64>; 2] {
        let (hn, dh) = (self.shape.heads, self.shape.head_width());
        let scale = 1.0 / (dh as f64).sqrt();
        let f = self.forward(ea, eb);
        // Back from the logit through the read-out, the MLP and W_O to z (the residual
        // at "=" itself depends on neither operand).
        let mut dres = self.unembed.column(c).to_owned();
        let dh_pre: Vec<f64> = (0..self.shape.mlp)
            .map(|j| {
                if f.h[j] > 0.0 {
                    self.w_out.row(j).dot(&dres)
                } else {
                    0.0
                }
            })
            .collect();
        dres = dres + self.w_in.dot(&ArrayView1::from(&dh_pre));
        let dz = self.wo.dot(&dres);
        // Through the attention of the "=" query to the keys and values of positions
        // 0 and 1.
        let mut dk = Array2::<f64>::zeros((2, self.shape.d));
        let mut dv = Array2::<f64>::zeros((2, self.shape.d));
        for h in 0..hn {
            let cols = h * dh..(h + 1) * dh;
            let datt: Vec<f64> = (0..CONTEXT)
                .map(|j| cols.clone().map(|i| dz[i] * f.v[[j, i]]).sum())
                .collect();
            let mean: f64 = (0..CONTEXT).map(|j| f.att[[h, j]] * datt[j]).sum();
            for j in 0..2 {
                let ds = f.att[[h, j]] * (datt[j] - mean) * scale;
                for i in cols.clone() {
                    dk[[j, i]] += ds * f.q[i];
                    dv[[j, i]] += f.att[[h, j]] * dz[i];
                }
            }
        }
        let g = |j: usize| (self.wk.dot(&dk.row(j)) + self.wv.dot(&dv.row(j))).to_vec();
        [g(0), g(1)]
    }
}

/// Softmax of a few scores in f64.
pub(super) fn softmax(scores: &[f64]) -> Vec<f64> {
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.into_iter().map(|e| e / sum).collect()
}
