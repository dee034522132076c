//! Clock or pizza (Zhong et al. 2023) on real runs: the default MLP, trained until it
//! groks, measured by `grokking::mechanism` (the transformer's grokked run is measured
//! in `tests/transformer.rs`, on its preset).
//!
//! `cargo test --release --test mechanism` (a few seconds: ~1100 MLP steps).
#![cfg(not(target_arch = "wasm32"))]

use grokking::mechanism::Verdict;
use grokking::{Config, Trainer};

/// The default MLP (p 97), seed 0, until it groks (measured with `grok train --seed 0
/// --stop-when-grokked --clock-pizza`: grokked at 1100, gradient symmetricity 0.08,
/// distance irrelevance 0.96; seed 1: 1450, 0.04, 0.97). Its first layer reads
/// [E_a, E_b] through two independent halves of W1, so the two operands' gradients need
/// not agree, and the correct logit does not depend on a − b: a clock, like the
/// transformer — not the pizza of Zhong et al.'s uniform-attention models, whose layer
/// sees E_a + E_b.
#[test]
fn the_grokked_default_mlp_is_a_clock() {
    let mut t = Trainer::new(Config::default()).unwrap();
    // Before training: random gradients and logits. The measures are defined, but the
    // verdict of a network that has learned nothing means nothing; record it only.
    let before = t.clock_pizza().expect("addition");
    eprintln!("at init: {}", before.summary());
    while t.grokked_at().is_none() && t.step_count() < 2500 {
        t.step().unwrap();
    }
    let grokked = t.grokked_at().expect("the default groks by 2500");
    let cp = t.clock_pizza().expect("addition");
    eprintln!("grokked at {grokked}: {}", cp.summary());
    assert_eq!(cp.verdict, Verdict::Clock, "{}", cp.summary());
    assert!(cp.gradient_symmetricity.unwrap().abs() < 0.4);
    assert!(cp.distance_irrelevance.unwrap() > 0.8);

    // Not defined for other operations.
    let mut mul = Trainer::new(Config {
        op: grokking::task::Op::Mul,
        ..Config::default()
    })
    .unwrap();
    assert!(mul.clock_pizza().is_none());
}
