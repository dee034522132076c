//! `grok`: the training core from the command line, for researchers and for benchmarks.
//!
//! ```text
//! grok train [--p 97] [--op add] [--frac 0.3] [--wd 1] [--lr 0.01] [--d 32] [--hidden 128]
//!            [--seed 0] [--steps 10000] [--stop-when-grokked] [--eval-every N] [--csv FILE]
//! grok sweep --wd 0,0.1,1 --frac 0.3,0.5 [--seeds 2] [--steps 3000] [--threads N]
//!            [--csv FILE] [the model flags of train]
//! ```
//!
//! Progress goes to stderr; the last line on stdout is one JSON object summarising the
//! run or the sweep, so scripts can read it with `tail -n 1`.

use grokking::sweep::{self, Cell, Phase};
use grokking::{Config, Op, Trainer};
use serde::Serialize;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: grok train [options]
       grok sweep --wd LIST --frac LIST [options]

train: trains the modular-arithmetic network and prints a JSON summary as the last
stdout line.
sweep: trains every (wd, frac, seed) of a grid, stopping each run once it generalises,
classifies it (confusion, memorisation, grokking, comprehension) and writes one CSV row
per run: wd,frac,seed,steps_to_train_99,steps_to_test_95,phase.

model options, for both (defaults in brackets):
  --p N                modulus, 3..=257 [97]
  --op NAME            add, sub, mul, div, x2y2 (a²+b²), x2xyy2 (a²+ab+b²) [add]
  --frac F             fraction of pairs used for training, 0 < F < 1 [0.3]
  --wd F               AdamW weight decay [1]
  --lr F               learning rate [0.01]
  --d N                embedding width [32]
  --hidden N           hidden width [128]
  --seed N             seed of the split and the initialisation [0]

train options:
  --steps N            number of training steps [10000]
  --stop-when-grokked  stop at the first step with test accuracy >= 0.95
  --eval-every N       also evaluate the test set every N steps (finer grokking step)
  --csv FILE           write the recorded history as CSV
  --threads N          1, or 2 to compute the two halves of each gradient in
                       parallel (same results either way) [1]
  --progress           also track the hidden-progress measures (Gini, key frequencies,
                       restricted and excluded loss; ~30 a decade) into the CSV
  --quiet              no progress on stderr

sweep options:
  --wd LIST            comma-separated weight decays, e.g. 0,0.1,1 (required)
  --frac LIST          comma-separated training fractions, e.g. 0.3,0.5 (required)
  --seeds N            runs per cell, seeds seed..seed+N [1]
  --steps N            step budget per run [3000]
  --threads N          parallel runs [all cores]
  --csv FILE           write the rows there (else to stdout, before the summary)";

/// Options of `grok train` beyond the model's Config.
struct TrainArgs {
    config: Config,
    steps: u64,
    stop_when_grokked: bool,
    eval_every: Option<u64>,
    csv: Option<String>,
    progress: bool,
    parallel: bool,
    quiet: bool,
}

/// The JSON summary printed last.
#[derive(Serialize)]
struct Summary {
    config: Config,
    steps: u64,
    train_acc: f64,
    test_acc: f64,
    train_loss: f64,
    test_loss: f64,
    weight_norm: f64,
    steps_to_train_99: Option<u64>,
    steps_to_test_95: Option<u64>,
    steps_per_second: f64,
    seconds: f64,
    diverged_at: Option<u64>,
}

fn parse_value<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a value"))?;
    value
        .parse()
        .map_err(|_| format!("{flag}: '{value}' is not a valid value"))
}

/// Parses one of the model flags shared by `train` and `sweep`; false if `flag` is not one.
fn model_flag(
    flag: &str,
    args: &mut impl Iterator<Item = String>,
    c: &mut Config,
) -> Result<bool, String> {
    match flag {
        "--p" => c.p = parse_value(flag, args.next())?,
        "--op" => c.op = args.next().ok_or("--op needs a value")?.parse::<Op>()?,
        "--lr" => c.lr = parse_value(flag, args.next())?,
        "--d" => c.d = parse_value(flag, args.next())?,
        "--hidden" => c.hidden = parse_value(flag, args.next())?,
        "--seed" => c.seed = parse_value(flag, args.next())?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn parse_train(args: impl IntoIterator<Item = String>) -> Result<TrainArgs, String> {
    let mut out = TrainArgs {
        config: Config::default(),
        steps: 10_000,
        stop_when_grokked: false,
        eval_every: None,
        csv: None,
        progress: false,
        parallel: false,
        quiet: false,
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        if model_flag(&flag, &mut args, &mut out.config)? {
            continue;
        }
        let c = &mut out.config;
        match flag.as_str() {
            "--frac" => c.frac = parse_value(&flag, args.next())?,
            "--wd" => c.wd = parse_value(&flag, args.next())?,
            "--steps" => out.steps = parse_value(&flag, args.next())?,
            "--eval-every" => out.eval_every = Some(parse_value(&flag, args.next())?),
            "--csv" => out.csv = Some(args.next().ok_or("--csv needs a file name")?),
            "--stop-when-grokked" => out.stop_when_grokked = true,
            "--quiet" => out.quiet = true,
            "--progress" => out.progress = true,
            "--threads" => {
                out.parallel = match parse_value::<u32>(&flag, args.next())? {
                    1 => false,
                    2 => true,
                    n => {
                        return Err(format!(
                            "--threads {n}: use 1 or 2 (a gradient has two halves)"
                        ))
                    }
                }
            }
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    out.config.validate().map_err(|e| e.to_string())?;
    Ok(out)
}

fn train(args: TrainArgs) -> Result<(), String> {
    let mut trainer = Trainer::new(args.config.clone()).map_err(|e| e.to_string())?;
    trainer.set_eval_every(args.eval_every);
    trainer.set_track_progress(args.progress);
    trainer.set_parallel(args.parallel);
    let start = Instant::now();
    let mut last_report = start;
    let mut diverged = None;
    while trainer.step_count() < args.steps {
        if let Err(e) = trainer.step() {
            eprintln!("{e}");
            diverged = trainer.diverged_at();
            break;
        }
        if args.stop_when_grokked && trainer.grokked_at().is_some() {
            break;
        }
        if !args.quiet && last_report.elapsed().as_secs_f64() > 1.0 {
            last_report = Instant::now();
            if let Some(m) = trainer.latest() {
                eprintln!(
                    "step {:>7}  train acc {:6.2}%  test acc {:6.2}%  train loss {:.3e}  {:.0} steps/s",
                    m.step,
                    100.0 * m.train_acc,
                    100.0 * m.test_acc,
                    m.train_loss,
                    trainer.step_count() as f64 / start.elapsed().as_secs_f64()
                );
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let m = trainer.evaluate();
    if let Some(path) = &args.csv {
        std::fs::write(path, trainer.history().to_csv())
            .map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    let summary = Summary {
        config: trainer.config().clone(),
        steps: trainer.step_count(),
        train_acc: m.train_acc,
        test_acc: m.test_acc,
        train_loss: m.train_loss,
        test_loss: m.test_loss,
        weight_norm: m.weight_norm,
        steps_to_train_99: trainer.memorised_at(),
        steps_to_test_95: trainer.grokked_at(),
        steps_per_second: trainer.step_count() as f64 / seconds.max(1e-9),
        seconds,
        diverged_at: diverged,
    };
    println!(
        "{}",
        serde_json::to_string(&summary).expect("summary serialises")
    );
    Ok(())
}

/// Options of `grok sweep`.
struct SweepArgs {
    base: Config,
    wds: Vec<f64>,
    fracs: Vec<f64>,
    seeds: u32,
    steps: u64,
    threads: usize,
    csv: Option<String>,
}

fn parse_list(flag: &str, value: Option<String>) -> Result<Vec<f64>, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a comma-separated list"))?;
    value
        .split(',')
        .map(|v| {
            v.trim()
                .parse::<f64>()
                .map_err(|_| format!("{flag}: '{v}' is not a number"))
        })
        .collect()
}

fn parse_sweep(args: impl IntoIterator<Item = String>) -> Result<SweepArgs, String> {
    let mut out = SweepArgs {
        base: Config::default(),
        wds: Vec::new(),
        fracs: Vec::new(),
        seeds: 1,
        steps: 3000,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        csv: None,
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        if model_flag(&flag, &mut args, &mut out.base)? {
            continue;
        }
        match flag.as_str() {
            "--wd" => out.wds = parse_list(&flag, args.next())?,
            "--frac" => out.fracs = parse_list(&flag, args.next())?,
            "--seeds" => out.seeds = parse_value(&flag, args.next())?,
            "--steps" => out.steps = parse_value(&flag, args.next())?,
            "--threads" => out.threads = parse_value(&flag, args.next())?,
            "--csv" => out.csv = Some(args.next().ok_or("--csv needs a file name")?),
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    if out.wds.is_empty() || out.fracs.is_empty() {
        return Err("sweep needs --wd and --frac lists".into());
    }
    if out.seeds == 0 || out.threads == 0 {
        return Err("--seeds and --threads must be at least 1".into());
    }
    // Validate every cell before any training starts.
    for config in sweep::grid(&out.base, &out.wds, &out.fracs, out.seeds) {
        config
            .validate()
            .map_err(|e| format!("cell wd = {}, frac = {}: {e}", config.wd, config.frac))?;
    }
    Ok(out)
}

fn run_sweep(args: SweepArgs) -> Result<(), String> {
    let configs = sweep::grid(&args.base, &args.wds, &args.fracs, args.seeds);
    let start = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(vec![None::<Cell>; configs.len()]);
    // A small work queue: each thread takes the next cell until none are left.
    std::thread::scope(|scope| {
        for _ in 0..args.threads.min(configs.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(config) = configs.get(i) else { break };
                let cell = sweep::run_cell(config, args.steps).expect("validated before the sweep");
                eprintln!(
                    "wd {:<8} frac {:<5} seed {:<3} → {:<13} (fit {:?}, generalise {:?})",
                    cell.wd,
                    cell.frac,
                    cell.seed,
                    cell.phase,
                    cell.steps_to_train_99,
                    cell.steps_to_test_95
                );
                results.lock().expect("no thread panicked")[i] = Some(cell);
            });
        }
    });
    let cells: Vec<Cell> = results
        .into_inner()
        .expect("no thread panicked")
        .into_iter()
        .flatten()
        .collect();
    let csv = sweep::to_csv(&cells);
    match &args.csv {
        Some(path) => std::fs::write(path, csv).map_err(|e| format!("cannot write {path}: {e}"))?,
        None => print!("{csv}"),
    }
    let count = |phase: Phase| cells.iter().filter(|c| c.phase == phase).count();
    let summary = serde_json::json!({
        "cells": cells.len(),
        "confusion": count(Phase::Confusion),
        "memorisation": count(Phase::Memorisation),
        "grokking": count(Phase::Grokking),
        "comprehension": count(Phase::Comprehension),
        "seconds": start.elapsed().as_secs_f64(),
    });
    println!("{summary}");
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let result = match args.next().as_deref() {
        Some("train") => parse_train(args).and_then(train),
        Some("sweep") => parse_sweep(args).and_then(run_sweep),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command '{other}'")),
        None => Err("no command given".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("grok: {msg}\n\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}
