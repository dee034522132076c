//! Native training speed of the default config.
//!
//! `cargo bench --bench step` prints steps/s (median of 5 windows of 200 steps, after a
//! warm-up) on one thread and on two, and, for scale, the GFLOP/s of the three
//! read-out-sized matrix products. The full
//! step is ≈ 215 MFLOP (three 2823×128·128×97-sized products plus small ones).

use grokking::kernels::{pad, Gemm, Init};
use grokking::{Config, Trainer};
use ndarray::linalg::general_mat_mul;
use ndarray::Array2;
use std::time::Instant;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// CPU time this thread has run, from Linux's /proc/thread-self/schedstat (nanoseconds
/// on the CPU), or None elsewhere. On a shared, busy machine wall-clock rates swing with
/// other processes' load; the rate per CPU-second of the thread is far steadier.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// Steps/s of the default config, median of 5 windows of 200 steps after 50 warm-up
/// steps, with the two halves of each gradient on one thread or two; also (one thread
/// only) the median steps per CPU-second of the thread.
fn steps_per_second(parallel: bool) -> (f64, Vec<f64>, Option<f64>) {
    let mut trainer = Trainer::new(Config::default()).expect("default config is valid");
    trainer.set_parallel(parallel);
    trainer.run(50).expect("no divergence");
    let mut cpu_rates = Vec::new();
    let rates: Vec<f64> = (0..5)
        .map(|_| {
            let cpu = thread_cpu_seconds();
            let start = Instant::now();
            trainer.run(200).expect("no divergence");
            let rate = 200.0 / start.elapsed().as_secs_f64();
            if let (Some(before), Some(after)) = (cpu, thread_cpu_seconds()) {
                cpu_rates.push(200.0 / (after - before));
            }
            rate
        })
        .collect();
    let cpu = (!parallel && !cpu_rates.is_empty()).then(|| median(cpu_rates));
    (median(rates.clone()), rates, cpu)
}

/// One timed matrix product.
type Product<'a> = Box<dyn FnMut() + 'a>;

fn main() {
    let (one, rates, one_cpu) = steps_per_second(false);
    let (two, _, _) = steps_per_second(true);

    // The three read-out-sized products of a step, in the layouts the step uses.
    let (n, h, p) = (2823, 128, 97);
    let hid = Array2::<f32>::from_elem((n, h), 0.5);
    let w2 = Array2::<f32>::from_elem((p, h), 0.25);
    let g = Array2::<f32>::from_elem((n, p), 0.1);
    let mut logits = Array2::<f32>::zeros((n, p));
    let mut dw2 = Array2::<f32>::zeros((p, h));
    let mut dh = Array2::<f32>::zeros((n, h));
    let flop = 2.0 * (n * h * p) as f64;
    // The same products through src/kernels.rs, in the padded layouts the step uses.
    let pp = pad(p);
    let hid_s = vec![0.5f32; n * h];
    let w2_s = vec![0.25f32; p * h];
    let w2t_s = vec![0.25f32; h * pp];
    let bias = vec![0.0f32; pp];
    let g_s = vec![0.1f32; n * pp];
    let mut logits_s = vec![0.0f32; n * pp];
    let mut dw2_s = vec![0.0f32; p * h];
    let mut dh_s = vec![0.0f32; n * h];
    let mut gemm: Vec<(&str, Product)> = vec![
        (
            "logits = H·W2ᵀ",
            Box::new(|| general_mat_mul(1.0, &hid, &w2.t(), 0.0, &mut logits)),
        ),
        (
            "dW2 = Gᵀ·H",
            Box::new(|| general_mat_mul(1.0, &g.t(), &hid, 0.0, &mut dw2)),
        ),
        (
            "dH = G·W2",
            Box::new(|| general_mat_mul(1.0, &g, &w2, 0.0, &mut dh)),
        ),
        (
            "kernels logits",
            Box::new(|| {
                Gemm {
                    m: n,
                    n: p,
                    k: h,
                    a: &hid_s,
                    a_rs: h,
                    a_cs: 1,
                    b: &w2t_s,
                    b_rs: pp,
                    c: &mut logits_s,
                    ldc: pp,
                    init: Init::Bias(&bias),
                }
                .run()
            }),
        ),
        (
            "kernels dW2",
            Box::new(|| {
                Gemm {
                    m: p,
                    n: h,
                    k: n,
                    a: &g_s,
                    a_rs: 1,
                    a_cs: pp,
                    b: &hid_s,
                    b_rs: h,
                    c: &mut dw2_s,
                    ldc: h,
                    init: Init::Zero,
                }
                .run()
            }),
        ),
        (
            "kernels dH",
            Box::new(|| {
                Gemm {
                    m: n,
                    n: h,
                    k: p,
                    a: &g_s,
                    a_rs: pp,
                    a_cs: 1,
                    b: &w2_s,
                    b_rs: h,
                    c: &mut dh_s,
                    ldc: h,
                    init: Init::Zero,
                }
                .run()
            }),
        ),
    ];

    println!("default config, one thread:");
    println!("  steps/s (median of 5 × 200 steps): {one:.1}");
    println!(
        "  all windows: {:?}",
        rates.iter().map(|r| r.round()).collect::<Vec<_>>()
    );
    if let Some(cpu) = one_cpu {
        println!("  steps per CPU-second of the thread (median): {cpu:.1}");
    }
    println!("default config, two threads (one half of each gradient each): {two:.1} steps/s");
    // Interleaved: every round runs each product 10 times, so load from other processes
    // on a shared machine hits all of them alike.
    let rounds = 9;
    let mut rates = vec![Vec::new(); gemm.len()];
    for _ in 0..rounds {
        for ((_, f), rates) in gemm.iter_mut().zip(rates.iter_mut()) {
            let start = Instant::now();
            for _ in 0..10 {
                f();
            }
            rates.push(10.0 * flop / start.elapsed().as_secs_f64() / 1e9);
        }
    }
    for ((name, _), rates) in gemm.iter().zip(rates) {
        let gflops = median(rates);
        println!("  {name:<16} {gflops:5.1} GFLOP/s ({n}×{h}×{p}, median of {rounds})");
    }
}
