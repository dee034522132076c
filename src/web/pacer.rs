//! `Pacer`: the workers' time slicing (see [`crate::engine::Pacer`]).

use wasm_bindgen::prelude::*;

/// How many steps to take before yielding to the worker's message queue.
#[wasm_bindgen]
pub struct Pacer(crate::engine::Pacer);

#[wasm_bindgen]
impl Pacer {
    /// Slices of about `slice_ms` milliseconds.
    #[wasm_bindgen(constructor)]
    pub fn new(slice_ms: f64) -> Pacer {
        Pacer(crate::engine::Pacer::new(slice_ms))
    }

    /// Steps for the next slice.
    pub fn steps(&self) -> u32 {
        self.0.steps()
    }

    /// `steps` steps took `ms` milliseconds (from `performance.now()`).
    pub fn record(&mut self, steps: u32, ms: f64) {
        self.0.record(steps, ms);
    }

    /// Milliseconds a step takes (this worker's compute, averaged), or undefined.
    pub fn ms_per_step(&self) -> Option<f64> {
        self.0.ms_per_step()
    }

    /// Steps per second of wall time over about the last second, the run standing at
    /// `step` at `now_ms` (`performance.now()`).
    pub fn rate(&mut self, now_ms: f64, step: f64) -> f64 {
        self.0.rate(now_ms, step.max(0.0) as u64)
    }

    /// Forgets the rate's samples (training paused).
    pub fn reset_rate(&mut self) {
        self.0.reset_rate();
    }
}
