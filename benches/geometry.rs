//! What the weight-space figures cost the worker, against one training step.
//!
//! `cargo bench --bench geometry` prints, for the default config (p = 97, d = 32), the
//! median time of: one training step; `WeightPath::push` (a new sample's dot products
//! with the kept ones, at 47 kept); `WeightPath::project` at n = 48 samples (the most a
//! path keeps; once per snapshot that carries a path); `participation_ratio` of the
//! embedding (once per frame). The samples are a real run's parameters, every 10 steps
//! from step 0, so the Gram matrix has a real run's spectrum. Times are CPU time of this
//! thread where Linux offers it (steadier than wall time on a shared machine), measured in
//! interleaved rounds so that load from other processes hits all of them alike.

use grokking::geometry::{participation_ratio, WeightPath, MAX_SAMPLES};
use grokking::{Config, Trainer};
use std::time::Instant;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// CPU time this thread has run (Linux), else wall time, in seconds.
fn now() -> f64 {
    thread_local! { static START: Instant = Instant::now(); }
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map(|ns| ns / 1e9)
        .unwrap_or_else(|| START.with(|s| s.elapsed().as_secs_f64()))
}

/// Seconds per call of `f`, timed over `reps` calls.
fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    let start = now();
    for _ in 0..reps {
        f();
    }
    (now() - start) / reps as f64
}

fn main() {
    let mut trainer = Trainer::new(Config::default()).expect("default config is valid");
    let mut path = WeightPath::new();
    let mut samples = Vec::new();
    for i in 0..MAX_SAMPLES {
        if i > 0 {
            trainer.run(10).expect("no divergence");
        }
        samples.push(trainer.params().as_slice().to_vec());
        if i + 1 < MAX_SAMPLES {
            path.push(i as u64 * 10, &samples[i]);
        }
    }
    let mut full = path.clone();
    full.push(10 * (MAX_SAMPLES as u64 - 1), &samples[MAX_SAMPLES - 1]);
    let p = full.project();
    println!(
        "path of {} samples of {} parameters (steps 0..{} of the default run), \
         explained {:.1}% / {:.1}%",
        full.len(),
        samples[0].len(),
        10 * (MAX_SAMPLES - 1),
        100.0 * p.explained[0],
        100.0 * p.explained[1]
    );

    let rounds = 9;
    let (mut step, mut push, mut project, mut ratio) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        step.push(time(20, || trainer.step().expect("no divergence")));
        push.push(time(20, || {
            let mut p = path.clone();
            p.push(10_000, &samples[MAX_SAMPLES - 1]);
            std::hint::black_box(p);
        }));
        project.push(time(50, || {
            std::hint::black_box(full.project());
        }));
        let embed = trainer.embedding();
        ratio.push(time(200, || {
            std::hint::black_box(participation_ratio(embed));
        }));
    }
    let step = median(step);
    println!("median of {rounds} rounds, CPU time of this thread:");
    println!(
        "  one training step (default config)   {:9.1} µs",
        step * 1e6
    );
    for (name, t) in [
        ("WeightPath::push at 47 kept (+ clone)", median(push)),
        ("WeightPath::project, n = 48", median(project)),
        ("participation_ratio, 97 × 32", median(ratio)),
    ] {
        println!(
            "  {name:<37} {:9.1} µs = {:5.2}% of a step",
            t * 1e6,
            100.0 * t / step
        );
    }
}
