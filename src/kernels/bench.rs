//! The matrix products of one training step of a config, in the shapes, layouts and
//! blocks the step uses them (src/model/mlp.rs), on buffers of their own: what
//! `cargo bench --bench step` and, through the wasm binding `KernelBench`,
//! `bench/wasm-step.mjs` time to give GFLOP/s per product, and beside them the
//! kernels' ceiling on this machine ([`super::peak`]). The caller keeps the clock.

use super::{pad, Gemm, Init, KC};
use crate::config::Config;
use crate::task::Dataset;
use crate::train::{part_range, SHARDS};

/// The products timed, in the order of [`StepProducts::run`]'s index.
pub const NAMES: [&str; 5] = [
    "logits = H·W2ᵀ",
    "dW2 = Gᵀ·H",
    "dH = G·W2",
    "fold + unfold (6 small)",
    "peak: madds in registers",
];

/// Rounds of [`super::peak`] in the last entry: about 80 MFLOP with 16-lane vectors,
/// the size of one of the step's products.
const PEAK_ROUNDS: usize = 200_000;

/// Buffers for the products of one step (an MLP config's).
#[derive(Clone, Debug)]
pub struct StepProducts {
    p: usize,
    d: usize,
    hidden: usize,
    /// Rows of each block a step goes through: every shard in blocks of at most KC.
    blocks: Vec<usize>,
    h: Vec<f32>,
    w2t: Vec<f32>,
    b2: Vec<f32>,
    logits: Vec<f32>,
    dw2: Vec<f32>,
    w2: Vec<f32>,
    dh: Vec<f32>,
    e: Vec<f32>,
    w1t: Vec<f32>,
    t: Vec<f32>,
    w1p: Vec<f32>,
    ep: Vec<f32>,
    de: Vec<f32>,
    dw1: Vec<f32>,
}

/// Small, normal (never subnormal) values, different from element to element.
fn filled(len: usize, scale: f32) -> Vec<f32> {
    (0..len)
        .map(|i| scale * (0.5 + ((i * 37) % 101) as f32 / 101.0))
        .collect()
}

impl StepProducts {
    /// The products of a full-batch step of `config` (its MLP shape and training set).
    pub fn new(config: &Config) -> StepProducts {
        let (p, d, hidden) = (config.p as usize, config.d as usize, config.hidden as usize);
        let n = Dataset::new(config.p, config.op, config.frac, config.seed)
            .train
            .len();
        let blocks = (0..SHARDS)
            .flat_map(|s| {
                let len = part_range(s, n, SHARDS).len();
                (0..len.div_ceil(KC)).map(move |b| (len - b * KC).min(KC))
            })
            .collect();
        let (pp, hp, dp) = (pad(p), pad(hidden), pad(d));
        StepProducts {
            p,
            d,
            hidden,
            blocks,
            h: filled(KC * hp, 0.5),
            w2t: filled(hidden * pp, 0.1),
            b2: filled(pp, 0.1),
            logits: filled(KC * pp, 0.01),
            dw2: vec![0.0; p * hidden],
            w2: filled(p * hp, 0.1),
            dh: vec![0.0; KC * hp],
            e: filled(p * d, 1.0),
            w1t: filled(2 * d * hp, 0.1),
            t: filled(p * hidden, 0.01),
            w1p: filled(hidden * 2 * dp, 0.1),
            ep: filled(p * dp, 1.0),
            de: vec![0.0; p * d],
            dw1: vec![0.0; hidden * 2 * d],
        }
    }

    /// Floating-point operations of product `i` in one step.
    pub fn flop(&self, i: usize) -> f64 {
        let (p, d, h) = (self.p as f64, self.d as f64, self.hidden as f64);
        let rows: usize = self.blocks.iter().sum();
        match i {
            0..=2 => 2.0 * rows as f64 * h * p,
            // Two folding products (p × H × d) and four unfolding ones (p × d × H, H × d × p).
            3 => 2.0 * 6.0 * p * h * d,
            4 => super::peak_flop(PEAK_ROUNDS),
            _ => panic!("no product {i}"),
        }
    }

    /// Runs product `i` once for every block of a step, as the step does (the last
    /// entry: the register-only multiply-adds of [`super::peak`]).
    pub fn run(&mut self, i: usize) {
        let (p, d, hidden) = (self.p, self.d, self.hidden);
        let (pp, hp, dp) = (pad(p), pad(hidden), pad(d));
        match i {
            0 => {
                for &rows in &self.blocks {
                    Gemm {
                        m: rows,
                        n: p,
                        k: hidden,
                        a: &self.h,
                        a_rs: hp,
                        a_cs: 1,
                        b: &self.w2t,
                        b_rs: pp,
                        c: &mut self.logits,
                        ldc: pp,
                        init: Init::Bias(&self.b2),
                    }
                    .run();
                }
            }
            1 => {
                for (index, &rows) in self.blocks.iter().enumerate() {
                    Gemm {
                        m: p,
                        n: hidden,
                        k: rows,
                        a: &self.logits,
                        a_rs: 1,
                        a_cs: pp,
                        b: &self.h,
                        b_rs: hp,
                        c: &mut self.dw2,
                        ldc: hidden,
                        init: if index == 0 { Init::Zero } else { Init::Add },
                    }
                    .run();
                }
            }
            2 => {
                for &rows in &self.blocks {
                    Gemm {
                        m: rows,
                        n: hidden,
                        k: p,
                        a: &self.logits,
                        a_rs: pp,
                        a_cs: 1,
                        b: &self.w2,
                        b_rs: hp,
                        c: &mut self.dh,
                        ldc: hp,
                        init: Init::Zero,
                    }
                    .run();
                }
            }
            3 => {
                for half in 0..2 {
                    Gemm {
                        m: p,
                        n: hidden,
                        k: d,
                        a: &self.e,
                        a_rs: d,
                        a_cs: 1,
                        b: &self.w1t[half * d * hp..],
                        b_rs: hp,
                        c: &mut self.t,
                        ldc: hidden,
                        init: Init::Zero,
                    }
                    .run();
                }
                for half in 0..2 {
                    Gemm {
                        m: p,
                        n: d,
                        k: hidden,
                        a: &self.t,
                        a_rs: hidden,
                        a_cs: 1,
                        b: &self.w1p[half * dp..],
                        b_rs: 2 * dp,
                        c: &mut self.de,
                        ldc: d,
                        init: if half == 0 { Init::Zero } else { Init::Add },
                    }
                    .run();
                    Gemm {
                        m: hidden,
                        n: d,
                        k: p,
                        a: &self.t,
                        a_rs: 1,
                        a_cs: hidden,
                        b: &self.ep,
                        b_rs: dp,
                        c: &mut self.dw1[half * d..],
                        ldc: 2 * d,
                        init: Init::Zero,
                    }
                    .run();
                }
            }
            4 => {
                std::hint::black_box(super::peak(PEAK_ROUNDS));
            }
            _ => panic!("no product {i}"),
        }
    }
}
