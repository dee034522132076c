//! Native training speed of the default config.
//!
//! `cargo bench --bench step` prints steps/s (median of 5 windows of 200 steps, after a
//! warm-up) on one thread and on two, and, for scale, the GFLOP/s of the three
//! read-out-sized matrix products. The full
//! step is ≈ 215 MFLOP (three 2823×128·128×97-sized products plus small ones).

use grokking::{Config, Trainer};
use ndarray::linalg::general_mat_mul;
use ndarray::Array2;
use std::time::Instant;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Steps/s of the default config, median of 5 windows of 200 steps after 50 warm-up
/// steps, with the two halves of each gradient on one thread or two.
fn steps_per_second(parallel: bool) -> (f64, Vec<f64>) {
    let mut trainer = Trainer::new(Config::default()).expect("default config is valid");
    trainer.set_parallel(parallel);
    trainer.run(50).expect("no divergence");
    let rates: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            trainer.run(200).expect("no divergence");
            200.0 / start.elapsed().as_secs_f64()
        })
        .collect();
    (median(rates.clone()), rates)
}

fn main() {
    let (one, rates) = steps_per_second(false);
    let (two, _) = steps_per_second(true);

    // The three read-out-sized products of a step, in the layouts the step uses.
    let (n, h, p) = (2823, 128, 97);
    let hid = Array2::<f32>::from_elem((n, h), 0.5);
    let w2 = Array2::<f32>::from_elem((p, h), 0.25);
    let g = Array2::<f32>::from_elem((n, p), 0.1);
    let mut logits = Array2::<f32>::zeros((n, p));
    let mut dw2 = Array2::<f32>::zeros((p, h));
    let mut dh = Array2::<f32>::zeros((n, h));
    let flop = 2.0 * (n * h * p) as f64;
    let time = |f: &mut dyn FnMut()| {
        let runs: Vec<f64> = (0..5)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..40 {
                    f();
                }
                40.0 * flop / start.elapsed().as_secs_f64() / 1e9
            })
            .collect();
        median(runs)
    };
    let gemm = [
        (
            "logits = H·W2ᵀ",
            time(&mut || general_mat_mul(1.0, &hid, &w2.t(), 0.0, &mut logits)),
        ),
        (
            "dW2 = Gᵀ·H",
            time(&mut || general_mat_mul(1.0, &g.t(), &hid, 0.0, &mut dw2)),
        ),
        (
            "dH = G·W2",
            time(&mut || general_mat_mul(1.0, &g, &w2, 0.0, &mut dh)),
        ),
    ];

    println!("default config, one thread:");
    println!("  steps/s (median of 5 × 200 steps): {one:.1}");
    println!(
        "  all windows: {:?}",
        rates.iter().map(|r| r.round()).collect::<Vec<_>>()
    );
    println!("default config, two threads (one half of each gradient each): {two:.1} steps/s");
    for (name, gflops) in gemm {
        println!("  {name:<16} {gflops:5.1} GFLOP/s ({n}×{h}×{p}, median of 5)");
    }
}
