//! # Grokking, live
//!
//! A tiny network learns modular arithmetic — (a ∘ b) mod p — from a fraction of all pairs.
//! It memorises its training pairs within a few dozen steps, then, long after, suddenly
//! generalises to the pairs it never saw: *grokking* (Power et al. 2022). This crate is the
//! whole computation behind the interactive article: the same code trains natively (the
//! `grok` CLI, the tests, the benchmarks) and in the browser (compiled to WebAssembly).
//!
//! Modules, from the bottom up:
//! - [`rng`]: a seeded generator, so a seed fixes a run on every platform;
//! - [`task`]: the operations, the pair set and its seeded train/test split;
//! - [`model`]: parameters and the folded full-batch forward/backward pass;
//! - [`optim`]: AdamW with decoupled weight decay;
//! - [`train`]: `Config` (defaults, validation), `Trainer`, `History`;
//! - [`analysis`]: the embedding's Fourier spectrum, key frequencies, circles, Gini,
//!   progress measures;
//! - [`sweep`]: phase diagrams — grids of runs, classified into four phases;
//! - [`plots`]: the article's figures, drawn with plotters on any backend (SVG, canvas);
//! - [`prose`]: sentences for readers and screen readers (the worked example, a pair's
//!   place in the split);
//! - `web` (wasm32 only): the wasm-bindgen surface the page and its training worker call.

pub mod analysis;
pub mod kernels;
pub mod model;
pub mod optim;
pub mod plots;
pub mod prose;
pub mod rng;
pub mod sweep;
pub mod task;
pub mod train;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use task::Op;
pub use train::{Config, ConfigError, History, Metrics, Point, TrainError, Trainer};
