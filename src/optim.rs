//! The optimisers: AdamW (Loshchilov & Hutter 2019) as PyTorch implements it, Adam with
//! coupled L2, and the Grokfast gradient filter (Lee et al. 2024).
//!
//! AdamW first shrinks the decayed weights, w ← w · (1 − lr · wd) — decoupled from the
//! gradient, so the decay is not rescaled by Adam's per-weight step size — then applies
//! the bias-corrected Adam update. Adam with L2 instead adds wd · w to the gradient before
//! the moments see it, as `torch.optim.Adam(weight_decay=wd)` does, so the decay is divided
//! by the same running scale as the gradient. Either way decay applies to the matrices
//! (the blocks whose [`BlockSpec::decay`](crate::params::BlockSpec) is set), not the biases.

use crate::params::{Layout, Params};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Adam's constants; the defaults are the ones grokking papers use (β₂ = 0.98).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamWConfig {
    /// First-moment decay β₁ (default 0.9).
    pub beta1: f64,
    /// Second-moment decay β₂ (default 0.98).
    pub beta2: f64,
    /// Denominator guard ε (default 1e-8).
    pub eps: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            beta1: 0.9,
            beta2: 0.98,
            eps: 1e-8,
        }
    }
}

/// How weight decay enters the update (the `optimizer` field of a config).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decay {
    /// AdamW: w ← w(1 − lr·wd) before the Adam step (the default).
    #[default]
    #[serde(rename = "adamw")]
    Decoupled,
    /// Adam with L2: g ← g + wd·w before the moments.
    #[serde(rename = "adam-l2")]
    Coupled,
}

impl Decay {
    /// Both, in menu order.
    pub const ALL: [Decay; 2] = [Decay::Decoupled, Decay::Coupled];

    /// The name used in configs, links and the CLI (`adamw`, `adam-l2`).
    pub fn name(self) -> &'static str {
        match self {
            Decay::Decoupled => "adamw",
            Decay::Coupled => "adam-l2",
        }
    }
}

impl std::str::FromStr for Decay {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Decay::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| format!("unknown optimizer '{s}' (use adamw or adam-l2)"))
    }
}

/// Optimiser state: moment estimates with the parameters' layout, and the step count.
#[derive(Clone, Debug)]
pub struct AdamW {
    /// The constants.
    pub config: AdamWConfig,
    /// How the decay enters the update.
    pub decay: Decay,
    m: Params,
    v: Params,
    t: u64,
}

impl AdamW {
    /// Fresh state (zero moments) for parameters of `layout`, with decoupled decay.
    pub fn new(layout: &Arc<Layout>, config: AdamWConfig) -> Self {
        AdamW {
            config,
            decay: Decay::Decoupled,
            m: Params::zeros(layout),
            v: Params::zeros(layout),
            t: 0,
        }
    }

    /// The same with decay entering as `decay` says.
    pub fn with_decay(mut self, decay: Decay) -> Self {
        self.decay = decay;
        self
    }

    /// Updates taken so far.
    pub fn steps(&self) -> u64 {
        self.t
    }

    /// One update of `params` along `grads` with learning rate `lr` and weight decay `wd`.
    /// With coupled decay the decay term is added to `grads` first (so `grads` is changed).
    pub fn step(&mut self, params: &mut Params, grads: &mut Params, lr: f64, wd: f64) {
        self.t += 1;
        let AdamWConfig { beta1, beta2, eps } = self.config;
        // Bias corrections in f64, folded into one step size and one denominator scale.
        let step_size = (lr / (1.0 - beta1.powi(self.t as i32))) as f32;
        let inv_sqrt_bc2 = (1.0 / (1.0 - beta2.powi(self.t as i32)).sqrt()) as f32;
        let (b1, b2, eps) = (beta1 as f32, beta2 as f32, eps as f32);
        let (shrink, l2) = match self.decay {
            Decay::Decoupled => ((1.0 - lr * wd) as f32, 0.0f32),
            Decay::Coupled => (1.0, wd as f32),
        };
        let blocks = params
            .blocks_mut()
            .into_iter()
            .zip(grads.blocks_mut())
            .zip(self.m.blocks_mut().into_iter().zip(self.v.blocks_mut()));
        for ((w, g), (m, v)) in blocks {
            let decay = if w.decay { shrink } else { 1.0 };
            if w.decay && l2 != 0.0 {
                for (g, &w) in g.values.iter_mut().zip(w.values.iter()) {
                    *g += l2 * w;
                }
            }
            for (((w, &g), m), v) in w
                .values
                .iter_mut()
                .zip(g.values.iter())
                .zip(m.values.iter_mut())
                .zip(v.values.iter_mut())
            {
                *m = flush_subnormal(b1 * *m + (1.0 - b1) * g);
                *v = flush_subnormal(b2 * *v + (1.0 - b2) * g * g);
                let denom = v.sqrt() * inv_sqrt_bc2 + eps;
                *w = flush_negligible_weight(*w * decay - step_size * *m / denom);
            }
        }
    }
}

/// Magnitudes below which a weight is set to zero: 2^-63, the square root of
/// `f32::MIN_POSITIVE`, so that the product of two surviving weights is never subnormal.
pub const NEGLIGIBLE_WEIGHT: f32 = 1.0842022e-19;

/// `x`, or zero when `x` is subnormal (smaller in magnitude than `f32::MIN_POSITIVE`).
/// Applied to Adam's moments after each update.
///
/// Why: under strong weight decay (wd 10 shrinks every weight by 10 % a step) whole layers
/// that no gradient holds up shrink geometrically towards zero — at wd 10 the embedding
/// and the first layer pass 1e-19 within 500 steps — and so do their moments. x86 handles
/// subnormal floats in microcode, 10–100× slower, and every product of two such weights,
/// or of one with a small gradient, is subnormal: a 2,000-step run at wd 10 took minutes
/// instead of seconds, natively and in wasm alike (wasm cannot switch on flush-to-zero).
#[inline(always)]
pub fn flush_subnormal(x: f32) -> f32 {
    if x.abs() < f32::MIN_POSITIVE {
        0.0
    } else {
        x
    }
}

/// `w`, or zero when `|w|` < [`NEGLIGIBLE_WEIGHT`]. Applied to each weight after its
/// update, for the reason given at [`flush_subnormal`]. It changes no result: next to any
/// weight above 1e-12 such a value is below f32's resolution, and a layer whose weights
/// are all that small is already in the linear regime where Adam's step is lr·g/eps and
/// the decay wins at every scale, so it was collapsing anyway; zero is where it was going.
#[inline(always)]
pub fn flush_negligible_weight(w: f32) -> f32 {
    if w.abs() < NEGLIGIBLE_WEIGHT {
        0.0
    } else {
        w
    }
}

/// Grokfast's EMA filter (Lee et al. 2024): before each update, g ← g + λ·ē with ē the
/// exponential moving average of the raw gradients, ē ← α·ē + (1 − α)·g (ē starts at the
/// first gradient). It amplifies the slow components of the gradient, which the authors
/// credit for grokking up to 50× sooner on their transformer.
#[derive(Clone, Debug)]
pub struct Grokfast {
    /// Momentum of the average (0 < α < 1; the paper's 0.98).
    pub alpha: f32,
    /// Amplification of the average (the paper's 2).
    pub lambda: f32,
    ema: Option<Vec<f32>>,
}

impl Grokfast {
    /// A filter that has seen no gradient yet.
    pub fn new(alpha: f64, lambda: f64) -> Grokfast {
        Grokfast {
            alpha: alpha as f32,
            lambda: lambda as f32,
            ema: None,
        }
    }

    /// Updates the average with `grads` and adds λ times it to `grads`.
    pub fn filter(&mut self, grads: &mut [f32]) {
        let (alpha, lambda) = (self.alpha, self.lambda);
        match &mut self.ema {
            None => {
                self.ema = Some(grads.to_vec());
                let ema = self.ema.as_ref().expect("just set");
                for (g, &e) in grads.iter_mut().zip(ema) {
                    *g += lambda * e;
                }
            }
            Some(ema) => {
                for (g, e) in grads.iter_mut().zip(ema.iter_mut()) {
                    *e = alpha * *e + (1.0 - alpha) * *g;
                    *g += lambda * *e;
                }
            }
        }
    }

    /// The current average (None before the first gradient).
    pub fn average(&self) -> Option<&[f32]> {
        self.ema.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Arc<Layout> {
        Layout::new(&[("w", 2, 2, true), ("b", 1, 2, false)])
    }

    #[test]
    fn first_step_moves_each_weight_by_lr_against_its_gradient_sign() {
        // With bias correction, Adam's first step is lr · g/|g| (up to ε).
        let layout = layout();
        let mut params = Params::zeros(&layout);
        params.as_mut_slice().fill(1.0);
        let mut grads = Params::zeros(&layout);
        grads
            .as_mut_slice()
            .copy_from_slice(&[0.5, 0.5, 0.5, 0.5, -2.0, -2.0]);
        let mut opt = AdamW::new(&layout, AdamWConfig::default());
        opt.step(&mut params, &mut grads, 0.01, 0.0);
        assert!(params.block("w").iter().all(|&w| (w - 0.99).abs() < 1e-6));
        assert!(params.block("b").iter().all(|&w| (w - 1.01).abs() < 1e-6));
    }

    #[test]
    fn decay_is_decoupled_and_skips_biases() {
        let layout = layout();
        let mut params = Params::zeros(&layout);
        params.as_mut_slice().fill(2.0);
        let mut grads = Params::zeros(&layout); // zero gradient: only decay acts
        let mut opt = AdamW::new(&layout, AdamWConfig::default());
        opt.step(&mut params, &mut grads, 0.1, 1.0);
        assert!(params.block("w").iter().all(|&w| (w - 1.8).abs() < 1e-6));
        assert!(params.block("b").iter().all(|&w| w == 2.0));
    }

    #[test]
    fn strong_decay_never_leaves_a_subnormal_weight_or_moment() {
        // wd 10 at lr 0.01 shrinks a weight by 10 % a step; with a gradient far below Adam's
        // eps nothing holds it up, so it passes 2^-63 after ~420 steps and, unflushed, would
        // sit in the subnormal range (slow on x86) from ~830 steps on, its moments sooner.
        let layout = layout();
        let mut params = Params::zeros(&layout);
        params.as_mut_slice().fill(1.0);
        let mut opt = AdamW::new(&layout, AdamWConfig::default());
        let mut reached_zero = false;
        for step in 0..1500 {
            let mut grads = Params::zeros(&layout);
            grads.as_mut_slice().fill(1e-30);
            opt.step(&mut params, &mut grads, 0.01, 10.0);
            for &w in params.block("w") {
                assert!(
                    w == 0.0 || w.abs() >= NEGLIGIBLE_WEIGHT,
                    "step {step}: weight {w:e} kept"
                );
                reached_zero |= w == 0.0;
            }
            for &x in opt.m.as_slice().iter().chain(opt.v.as_slice()) {
                assert!(!x.is_subnormal(), "step {step}: moment {x:e} is subnormal");
            }
        }
        assert!(reached_zero, "the decayed weights were flushed to zero");
        assert!(
            params.block("b").iter().all(|&b| b > 0.5),
            "biases are not decayed"
        );
    }

    #[test]
    fn coupled_l2_goes_through_the_moments() {
        // Zero gradient, w = 2, wd = 1: the decay term is the whole gradient (2), so the
        // first Adam step moves w by lr against its sign — not by lr · wd · w as AdamW.
        let layout = layout();
        let mut params = Params::zeros(&layout);
        params.as_mut_slice().fill(2.0);
        let mut grads = Params::zeros(&layout);
        let mut opt = AdamW::new(&layout, AdamWConfig::default()).with_decay(Decay::Coupled);
        opt.step(&mut params, &mut grads, 0.1, 1.0);
        assert!(params.block("w").iter().all(|&w| (w - 1.9).abs() < 1e-6));
        assert!(params.block("b").iter().all(|&w| w == 2.0));
        assert_eq!(
            grads.block("w"),
            &[2.0; 4],
            "the decay was added to the gradient"
        );
    }

    #[test]
    fn grokfast_matches_a_hand_computed_average() {
        let (alpha, lambda) = (0.5f32, 2.0f32);
        let mut filter = Grokfast::new(alpha as f64, lambda as f64);
        let raw = [[1.0f32, -2.0], [3.0, 0.0], [-1.0, 4.0]];
        // By hand: ē₁ = g₁, ē₂ = ½ē₁ + ½g₂, ē₃ = ½ē₂ + ½g₃; output g + 2ē.
        let e1 = raw[0];
        let e2 = [0.5 * e1[0] + 0.5 * raw[1][0], 0.5 * e1[1] + 0.5 * raw[1][1]];
        let e3 = [0.5 * e2[0] + 0.5 * raw[2][0], 0.5 * e2[1] + 0.5 * raw[2][1]];
        for (g, e) in raw.iter().zip([e1, e2, e3]) {
            let mut out = *g;
            filter.filter(&mut out);
            assert_eq!(out, [g[0] + 2.0 * e[0], g[1] + 2.0 * e[1]]);
            assert_eq!(filter.average().unwrap(), &e);
        }
    }
}
