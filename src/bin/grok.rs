//! `grok`: the training core from the command line, for researchers and for benchmarks.
//!
//! ```text
//! grok train [--p 97] [--op add] [--frac 0.3] [--wd 1] [--lr 0.01] [--d 32] [--hidden 128]
//!            [--seed 0] [--steps 10000] [--stop-when-grokked] [--eval-every N] [--csv FILE]
//! ```
//!
//! Progress goes to stderr; the last line on stdout is one JSON object summarising the
//! run (steps, final accuracies, steps to memorise and to grok, speed), so scripts can
//! read it with `tail -n 1`.

use grokking::{Config, Op, Trainer};
use serde::Serialize;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: grok train [options]

Trains the modular-arithmetic network and prints a JSON summary as the last stdout line.

options (defaults in brackets):
  --p N                modulus, 3..=257 [97]
  --op NAME            add, sub, mul, div, x2y2 (a²+b²), x2xyy2 (a²+ab+b²) [add]
  --frac F             fraction of pairs used for training, 0 < F < 1 [0.3]
  --wd F               AdamW weight decay [1]
  --lr F               learning rate [0.01]
  --d N                embedding width [32]
  --hidden N           hidden width [128]
  --seed N             seed of the split and the initialisation [0]
  --steps N            number of training steps [10000]
  --stop-when-grokked  stop at the first step with test accuracy >= 0.95
  --eval-every N       also evaluate the test set every N steps (finer grokking step)
  --csv FILE           write the recorded history as CSV
  --progress           also track the hidden-progress measures (Gini, key frequencies,
                       restricted and excluded loss; ~30 a decade) into the CSV
  --quiet              no progress on stderr";

/// Options of `grok train` beyond the model's Config.
struct TrainArgs {
    config: Config,
    steps: u64,
    stop_when_grokked: bool,
    eval_every: Option<u64>,
    csv: Option<String>,
    progress: bool,
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

fn parse_train(args: impl IntoIterator<Item = String>) -> Result<TrainArgs, String> {
    let mut out = TrainArgs {
        config: Config::default(),
        steps: 10_000,
        stop_when_grokked: false,
        eval_every: None,
        csv: None,
        progress: false,
        quiet: false,
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let c = &mut out.config;
        match flag.as_str() {
            "--p" => c.p = parse_value(&flag, args.next())?,
            "--op" => c.op = args.next().ok_or("--op needs a value")?.parse::<Op>()?,
            "--frac" => c.frac = parse_value(&flag, args.next())?,
            "--wd" => c.wd = parse_value(&flag, args.next())?,
            "--lr" => c.lr = parse_value(&flag, args.next())?,
            "--d" => c.d = parse_value(&flag, args.next())?,
            "--hidden" => c.hidden = parse_value(&flag, args.next())?,
            "--seed" => c.seed = parse_value(&flag, args.next())?,
            "--steps" => out.steps = parse_value(&flag, args.next())?,
            "--eval-every" => out.eval_every = Some(parse_value(&flag, args.next())?),
            "--csv" => out.csv = Some(args.next().ok_or("--csv needs a file name")?),
            "--stop-when-grokked" => out.stop_when_grokked = true,
            "--quiet" => out.quiet = true,
            "--progress" => out.progress = true,
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

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let result = match args.next().as_deref() {
        Some("train") => parse_train(args).and_then(train),
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
