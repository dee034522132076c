//! Native training speed of the default config.
//!
//! `cargo bench --bench step` prints steps/s (median of 5 windows of 200 steps, after a
//! warm-up) on one thread and on two, then the GFLOP/s of each matrix product of a step
//! (`grokking::kernels::bench`: the step's own shapes, layouts and blocks), per second of
//! the thread's CPU time (steady on a shared machine) and of wall time. The full step is
//! ≈ 215 MFLOP (three 2823×128·128×97-sized products plus small ones).

use grokking::kernels::bench::{StepProducts, NAMES};
use grokking::{Config, Trainer};
use std::time::Instant;
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// CPU time this thread has run (Linux: clock_gettime(CLOCK_THREAD_CPUTIME_ID), to the
/// nanosecond), or None elsewhere. On a shared, busy machine wall-clock rates swing with
/// other processes' load; the rate per CPU-second of the thread is far steadier.
#[cfg(target_os = "linux")]
fn thread_cpu_seconds() -> Option<f64> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid pointer to a timespec, which the call fills in.
    let ok = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    ok.then_some(t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9)
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu_seconds() -> Option<f64> {
    None
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

fn main() {
    let (one, rates, one_cpu) = steps_per_second(false);
    let (two, _, _) = steps_per_second(true);

    let mut products = StepProducts::new(&Config::default());

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
    // Interleaved: every round runs each product (as one step does) 10 times, so load
    // from other processes on a shared machine hits all of them alike.
    let rounds = 9;
    let mut cpu = vec![Vec::new(); NAMES.len()];
    let mut wall = vec![Vec::new(); NAMES.len()];
    for _ in 0..rounds {
        for (i, (cpu, wall)) in cpu.iter_mut().zip(wall.iter_mut()).enumerate() {
            let flop = 10.0 * products.flop(i);
            let before = thread_cpu_seconds();
            let start = Instant::now();
            for _ in 0..10 {
                products.run(i);
            }
            wall.push(flop / start.elapsed().as_secs_f64() / 1e9);
            if let (Some(b), Some(a)) = (before, thread_cpu_seconds()) {
                cpu.push(flop / (a - b) / 1e9);
            }
        }
    }
    println!("matrix products of one step (GFLOP/s, median of {rounds} rounds; per CPU-second of the thread, and of wall time):");
    for (i, name) in NAMES.iter().enumerate() {
        let per_cpu = if cpu[i].is_empty() {
            f64::NAN
        } else {
            median(cpu[i].clone())
        };
        println!(
            "  {name:<24} {per_cpu:6.1} cpu {:6.1} wall  ({:.1} MFLOP a step)",
            median(wall[i].clone()),
            products.flop(i) / 1e6
        );
    }
}
