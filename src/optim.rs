//! AdamW (Loshchilov & Hutter 2019), as PyTorch implements it.
//!
//! Each step first shrinks the decayed weights, w ← w · (1 − lr · wd) — decoupled from the
//! gradient, so the decay is not rescaled by Adam's per-weight step size — then applies the
//! bias-corrected Adam update. Decay applies to E, W1 and W2, not to the biases.

use crate::model::{Params, Shape};

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

/// Optimiser state: moment estimates with the parameters' shapes, and the step count.
#[derive(Clone, Debug)]
pub struct AdamW {
    /// The constants.
    pub config: AdamWConfig,
    m: Params,
    v: Params,
    t: u64,
}

impl AdamW {
    /// Fresh state (zero moments) for parameters of `shape`.
    pub fn new(shape: Shape, config: AdamWConfig) -> Self {
        AdamW {
            config,
            m: Params::zeros(shape),
            v: Params::zeros(shape),
            t: 0,
        }
    }

    /// Updates taken so far.
    pub fn steps(&self) -> u64 {
        self.t
    }

    /// One update of `params` along `grads` with learning rate `lr` and weight decay `wd`.
    pub fn step(&mut self, params: &mut Params, grads: &mut Params, lr: f64, wd: f64) {
        self.t += 1;
        let AdamWConfig { beta1, beta2, eps } = self.config;
        // Bias corrections in f64, folded into one step size and one denominator scale.
        let step_size = (lr / (1.0 - beta1.powi(self.t as i32))) as f32;
        let inv_sqrt_bc2 = (1.0 / (1.0 - beta2.powi(self.t as i32)).sqrt()) as f32;
        let (b1, b2, eps) = (beta1 as f32, beta2 as f32, eps as f32);
        let shrink = (1.0 - lr * wd) as f32;
        let blocks = params
            .blocks_mut()
            .into_iter()
            .zip(grads.blocks_mut())
            .zip(self.m.blocks_mut().into_iter().zip(self.v.blocks_mut()));
        for ((w, g), (m, v)) in blocks {
            let decay = if w.decay { shrink } else { 1.0 };
            for (((w, &g), m), v) in w
                .values
                .iter_mut()
                .zip(g.values.iter())
                .zip(m.values.iter_mut())
                .zip(v.values.iter_mut())
            {
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * g * g;
                let denom = v.sqrt() * inv_sqrt_bc2 + eps;
                *w = *w * decay - step_size * *m / denom;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: Shape = Shape {
        p: 3,
        d: 2,
        hidden: 2,
    };

    #[test]
    fn first_step_moves_each_weight_by_lr_against_its_gradient_sign() {
        // With bias correction, Adam's first step is lr · g/|g| (up to ε).
        let mut params = Params::zeros(SHAPE);
        params.embed.fill(1.0);
        params.b1.fill(1.0);
        let mut grads = Params::zeros(SHAPE);
        grads.embed.fill(0.5);
        grads.b1.fill(-2.0);
        let mut opt = AdamW::new(SHAPE, AdamWConfig::default());
        opt.step(&mut params, &mut grads, 0.01, 0.0);
        assert!(params.embed.iter().all(|&w| (w - 0.99).abs() < 1e-6));
        assert!(params.b1.iter().all(|&w| (w - 1.01).abs() < 1e-6));
    }

    #[test]
    fn decay_is_decoupled_and_skips_biases() {
        let mut params = Params::zeros(SHAPE);
        params.embed.fill(2.0);
        params.w1.fill(2.0);
        params.w2.fill(2.0);
        params.b1.fill(2.0);
        params.b2.fill(2.0);
        let mut grads = Params::zeros(SHAPE); // zero gradient: only decay acts
        let mut opt = AdamW::new(SHAPE, AdamWConfig::default());
        opt.step(&mut params, &mut grads, 0.1, 1.0);
        assert!(params
            .embed
            .iter()
            .chain(params.w1.iter())
            .chain(params.w2.iter())
            .all(|&w| (w - 1.8).abs() < 1e-6));
        assert!(params.b1.iter().chain(params.b2.iter()).all(|&w| w == 2.0));
    }
}
