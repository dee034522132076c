//! `KernelBench`: the matrix products of one default training step, for
//! `bench/wasm-step.mjs` to time (see [`crate::kernels::bench`]). JS keeps the clock.

use crate::config::Config;
use crate::kernels::bench::{StepProducts, NAMES};
use wasm_bindgen::prelude::*;

/// The products of a default step on buffers of their own.
#[wasm_bindgen]
pub struct KernelBench(StepProducts);

#[wasm_bindgen]
impl KernelBench {
    /// The products of a full-batch step of the default config.
    #[wasm_bindgen(constructor)]
    pub fn new() -> KernelBench {
        KernelBench(StepProducts::new(&Config::default()))
    }

    /// How many products there are.
    pub fn count() -> usize {
        NAMES.len()
    }

    /// Product `i`'s name.
    pub fn name(i: usize) -> String {
        NAMES.get(i).copied().unwrap_or_default().to_string()
    }

    /// Product `i`'s floating-point operations per step.
    pub fn flop(&self, i: usize) -> f64 {
        self.0.flop(i)
    }

    /// Runs product `i` as one step does, `times` times over.
    pub fn run(&mut self, i: usize, times: u32) {
        for _ in 0..times {
            self.0.run(i);
        }
    }
}

impl Default for KernelBench {
    fn default() -> Self {
        Self::new()
    }
}
