//! # Grokking, live
//!
//! A tiny network learns modular arithmetic — (a ∘ b) mod p — from a fraction of all pairs.
//! It memorises its training pairs within a few dozen steps, then, long after, suddenly
//! generalises to the pairs it never saw: *grokking* (Power et al. 2022). This crate is the
//! whole computation behind the interactive article: the same code trains natively (the
//! `grok` CLI, the tests, the benchmarks) and in the browser (compiled to WebAssembly).
//!
//! Modules, from the bottom up (docs/ARCHITECTURE.md draws the layers and the data flow):
//! - [`rng`]: a seeded generator, so a seed fixes a run on every platform;
//! - [`task`]: the operations, the pair set and its seeded train/test split;
//! - [`params`]: parameters as one flat vector with a layout of named blocks;
//! - [`kernels`]: the matrix products, register-blocked for wasm SIMD, AVX2 and AVX-512;
//! - [`model`]: the networks (the MLP, the one-layer transformer) and their passes;
//! - [`optim`]: AdamW, Adam with L2, and the Grokfast filter;
//! - [`config`]: `Config` (defaults, limits, validation) — every setting of a run;
//! - [`history`]: what a run records;
//! - [`train`]: `Trainer`, which takes one step at a time with the levers in force;
//! - [`engine`]: the run engine — `RunSpec` (a run's one description and its link form),
//!   `Run` (schedule, stop rule, snapshots), the split between workers, the pacer;
//! - [`analysis`], [`geometry`]: what the network learned — Fourier spectrum, circles,
//!   progress measures; the path through weight space, effective dimension;
//! - [`mechanism`]: clock or pizza? Zhong et al.'s gradient symmetricity and distance
//!   irrelevance, for either model;
//! - [`sweep`]: phase diagrams — grids of runs, classified into four phases;
//! - [`plots`]: the figures, drawn with plotters on any backend (SVG, canvas);
//! - [`prose`]: the sentences the page shows about runs, the task and the embedding;
//! - `web` (wasm32 only): bindings of all this for the page and its workers.

pub mod analysis;
pub mod config;
pub mod engine;
pub mod geometry;
pub mod history;
pub mod kernels;
pub mod mechanism;
pub mod model;
pub mod optim;
pub mod params;
pub mod plots;
pub mod prose;
pub mod rng;
pub mod sweep;
pub mod task;
pub mod train;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use config::{Config, ConfigError};
pub use history::{History, Metrics, Point};
pub use task::Op;
pub use train::{TrainError, Trainer};
