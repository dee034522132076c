//! The command line itself (native only: see main.rs).

use clap::{Args, Parser, Subcommand};
use grokking::config::GrokfastConfig;
use grokking::engine::{Change, ChangeKind, Link, Run, RunSpec, Stop};
use grokking::model::ModelKind;
use grokking::optim::Decay;
use grokking::sweep::{self, Axis, Cell, Grid, Phase};
use grokking::{Config, Op};
use serde::Serialize;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "grok",
    version,
    about = "Grokking, live: train the modular-arithmetic network from the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one run and print a JSON summary as the last stdout line.
    Train(TrainArgs),
    /// Train every cell of a grid of two settings (and seeds), stopping each run once it
    /// generalises; classify each (confusion, memorisation, grokking, comprehension) and
    /// write one CSV row per run.
    Sweep(SweepArgs),
}

/// The settings of one run that are single values in both commands.
#[derive(Args, Clone)]
struct ModelArgs {
    /// Modulus, 3..=257.
    #[arg(long, default_value_t = 97)]
    p: u32,
    /// Operation: add, sub, mul, div, x2y2 (a²+b²), x2xyy2 (a²+ab+b²).
    #[arg(long, default_value = "add", value_parser = parse_op)]
    op: Op,
    /// Network: mlp or transformer.
    #[arg(long, default_value = "mlp", value_parser = parse_model)]
    model: ModelKind,
    /// Embedding (residual) width.
    #[arg(long, default_value_t = 32)]
    d: u32,
    /// Hidden width: the MLP's H, or the transformer's MLP width.
    #[arg(long, visible_alias = "mlp", default_value_t = 128)]
    hidden: u32,
    /// Attention heads of the transformer (must divide d).
    #[arg(long, default_value_t = 4)]
    heads: u32,
    /// Seed of the split, the initialisation and the minibatches.
    #[arg(long, default_value_t = 0)]
    seed: u32,
    /// adamw (decoupled weight decay) or adam-l2 (decay added to the gradient).
    #[arg(long, default_value = "adamw", value_parser = parse_decay)]
    optimizer: Decay,
    /// Pairs per step, drawn with replacement by the seed (0: the full training set).
    #[arg(long, default_value_t = 0)]
    batch: u32,
    /// Grokfast's EMA filter, as ALPHA,LAMBDA (e.g. 0.98,2).
    #[arg(long, value_parser = parse_grokfast, allow_hyphen_values = true)]
    grokfast: Option<GrokfastConfig>,
}

/// Options of `grok train`.
#[derive(Args)]
struct TrainArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Fraction of all pairs used for training, 0 < F < 1.
    #[arg(long, default_value_t = 0.3, allow_negative_numbers = true)]
    frac: f64,
    /// Weight decay.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    wd: f64,
    /// Learning rate.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    lr: f64,
    /// Initialisation scale α: every matrix starts α times its default size.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    init_scale: f64,
    /// Hold the matrices' total norm at R after every update (Omnigrok).
    #[arg(long, value_name = "R", allow_negative_numbers = true)]
    fix_norm: Option<f64>,
    /// At this step keep only part of the training set (ungrokking; see --shrink-to).
    #[arg(long, value_name = "STEP", requires = "shrink_to")]
    shrink_at: Option<u64>,
    /// The fraction of the training pairs kept at --shrink-at.
    #[arg(
        long,
        value_name = "FRACTION",
        requires = "shrink_at",
        allow_negative_numbers = true
    )]
    shrink_to: Option<f64>,
    /// Replay a share link copied from the page (a URL or its query string): same
    /// settings, same mid-run changes, to the same step. Excludes the settings flags.
    #[arg(long, value_name = "URL", conflicts_with_all = [
        "p", "op", "model", "d", "hidden", "heads", "seed", "optimizer", "batch", "grokfast",
        "frac", "wd", "lr", "init_scale", "fix_norm", "shrink_at", "shrink_to",
    ])]
    link: Option<String>,
    /// Number of training steps (a link's `until` takes precedence).
    #[arg(long, default_value_t = 10_000)]
    steps: u64,
    /// Stop right after the first step with test accuracy ≥ 0.95.
    #[arg(long)]
    stop_when_grokked: bool,
    /// Also evaluate the test set every N steps (a finer grokking step).
    #[arg(long, value_name = "N")]
    eval_every: Option<u64>,
    /// Write the recorded history as CSV.
    #[arg(long, value_name = "FILE")]
    csv: Option<String>,
    /// 1, or 2 to compute the parts of each gradient on two threads (same results).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=2))]
    threads: u32,
    /// Also track the hidden-progress measures (Gini, key frequencies, restricted and
    /// excluded loss; about 30 a decade) into the CSV.
    #[arg(long)]
    progress: bool,
    /// No progress on stderr.
    #[arg(long)]
    quiet: bool,
}

/// Options of `grok sweep`.
#[derive(Args)]
struct SweepArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Weight decays, comma-separated (an axis when a list is given).
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    wd: Option<String>,
    /// Training fractions, comma-separated.
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    frac: Option<String>,
    /// Initialisation scales, comma-separated.
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    init_scale: Option<String>,
    /// Fixed weight norms, comma-separated.
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    fix_norm: Option<String>,
    /// Learning rates, comma-separated.
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    lr: Option<String>,
    /// Runs per cell: seeds seed..seed+N.
    #[arg(long, default_value_t = 1)]
    seeds: u32,
    /// Step budget per run.
    #[arg(long, default_value_t = 3000)]
    steps: u64,
    /// Parallel runs (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Write the rows there (else to stdout, before the summary).
    #[arg(long, value_name = "FILE")]
    csv: Option<String>,
    /// Also write the whole sweep (grid, shared settings, every run) as JSON, the form
    /// the page reads (see `scripts/phase-data`).
    #[arg(long, value_name = "FILE")]
    json: Option<String>,
}

fn parse_op(s: &str) -> Result<Op, String> {
    s.parse()
}

fn parse_model(s: &str) -> Result<ModelKind, String> {
    s.parse()
}

fn parse_decay(s: &str) -> Result<Decay, String> {
    s.parse()
}

fn parse_grokfast(s: &str) -> Result<GrokfastConfig, String> {
    let parts: Vec<&str> = s.split(',').collect();
    let num = |t: &str| {
        t.trim()
            .parse::<f64>()
            .map_err(|_| format!("'{t}' is not a number"))
    };
    match parts.as_slice() {
        [a, l] => Ok(GrokfastConfig {
            alpha: num(a)?,
            lambda: num(l)?,
        }),
        _ => Err("use ALPHA,LAMBDA, e.g. 0.98,2".into()),
    }
}

impl ModelArgs {
    /// A config with these settings and the defaults elsewhere.
    fn config(&self) -> Config {
        Config {
            p: self.p,
            op: self.op,
            model: self.model,
            d: self.d,
            hidden: self.hidden,
            heads: self.heads,
            seed: self.seed,
            optimizer: self.optimizer,
            batch: self.batch,
            grokfast: self.grokfast,
            ..Config::default()
        }
    }
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
    /// The run's description (a link reads back to this).
    spec: RunSpec,
}

/// The run `grok train` was asked for.
fn train_spec(args: &TrainArgs) -> Result<RunSpec, String> {
    if let Some(url) = &args.link {
        let link = Link::parse(url);
        if !link.has_run {
            return Err(format!(
                "--link: '{url}' has no run settings (p=, op=, frac=, …)"
            ));
        }
        for notice in &link.notices {
            eprintln!("grok: the link's settings were changed as the page changes them: {notice}");
        }
        let mut spec = link.spec;
        spec.stop_when_grokked |= args.stop_when_grokked;
        if spec.until.is_none() {
            spec.until = Some(args.steps);
        }
        spec.validate().map_err(|e| e.to_string())?;
        return Ok(spec);
    }
    let mut config = args.model.config();
    config.frac = args.frac;
    config.wd = args.wd;
    config.lr = args.lr;
    config.init_scale = args.init_scale;
    config.fix_norm = args.fix_norm;
    let mut spec = RunSpec {
        config,
        until: Some(args.steps),
        stop_when_grokked: args.stop_when_grokked,
        ..RunSpec::default()
    };
    if let (Some(step), Some(keep)) = (args.shrink_at, args.shrink_to) {
        spec.schedule_change(Change {
            step,
            what: ChangeKind::Shrink { keep },
        });
    }
    spec.validate().map_err(|e| e.to_string())?;
    Ok(spec)
}

fn train(args: TrainArgs) -> Result<(), String> {
    let spec = train_spec(&args)?;
    let mut run = Run::new(spec).map_err(|e| e.to_string())?;
    let trainer = run.trainer_mut();
    trainer.set_eval_every(args.eval_every);
    trainer.set_track_progress(args.progress);
    trainer.set_parallel(args.threads == 2);
    let start = Instant::now();
    let mut last_report = start;
    loop {
        let advance = run.advance(50);
        match advance.stop {
            Some(Stop::Diverged { message, .. }) | Some(Stop::Failed { message }) => {
                eprintln!("{message}");
                break;
            }
            Some(_) => break,
            None => {}
        }
        if !args.quiet && last_report.elapsed().as_secs_f64() > 1.0 {
            last_report = Instant::now();
            if let Some(m) = run.trainer().latest() {
                eprintln!(
                    "step {:>7}  train acc {:6.2}%  test acc {:6.2}%  train loss {:.3e}  {:.0} steps/s",
                    m.step,
                    100.0 * m.train_acc,
                    100.0 * m.test_acc,
                    m.train_loss,
                    run.step() as f64 / start.elapsed().as_secs_f64()
                );
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let m = run.measure();
    let trainer = run.trainer();
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
        diverged_at: trainer.diverged_at(),
        spec: run.spec().clone(),
    };
    println!(
        "{}",
        serde_json::to_string(&summary).expect("summary serialises")
    );
    Ok(())
}

fn parse_list(flag: &str, value: &str) -> Result<Vec<f64>, String> {
    value
        .split(',')
        .map(|v| {
            v.trim()
                .parse::<f64>()
                .map_err(|_| format!("{flag}: '{v}' is not a number"))
        })
        .collect()
}

/// The grid and the base config of a sweep: the axes are the settings given as lists
/// (the first two, in the order wd, frac, init-scale, fix-norm, lr; a setting given as
/// one value beyond those two is fixed for every cell).
fn sweep_grid(args: &SweepArgs) -> Result<(Grid, Config), String> {
    let given: Vec<(Axis, Vec<f64>)> = [
        (Axis::Wd, &args.wd),
        (Axis::Frac, &args.frac),
        (Axis::InitScale, &args.init_scale),
        (Axis::FixNorm, &args.fix_norm),
        (Axis::Lr, &args.lr),
    ]
    .into_iter()
    .filter_map(|(axis, v)| v.as_ref().map(|v| (axis, v)))
    .map(|(axis, v)| parse_list(&axis.flag(), v).map(|list| (axis, list)))
    .collect::<Result<_, _>>()?;
    let mut base = args.model.config();
    let (mut axes, fixed): (Vec<_>, Vec<_>) = if given.len() > 2 {
        given.into_iter().partition(|(_, v)| v.len() > 1)
    } else {
        (given, Vec::new())
    };
    for (axis, v) in fixed {
        axis.set(&mut base, v[0]);
    }
    if axes.len() != 2 {
        return Err(format!(
            "sweep needs two axes: give two of --wd, --frac, --init-scale, --fix-norm, --lr as comma-separated lists (got {})",
            axes.len()
        ));
    }
    let cols = axes.pop().expect("two axes");
    let rows = axes.pop().expect("two axes");
    Ok((Grid { rows, cols }, base))
}

fn run_sweep(args: SweepArgs) -> Result<(), String> {
    let (grid, base) = sweep_grid(&args)?;
    if args.seeds == 0 || args.threads == Some(0) {
        return Err("--seeds and --threads must be at least 1".into());
    }
    let configs = sweep::grid(&base, &grid, args.seeds);
    // Validate every cell before any training starts.
    for config in &configs {
        config.validate().map_err(|e| {
            format!(
                "cell {} = {}, {} = {}: {e}",
                grid.rows.0.name(),
                grid.rows.0.get(config),
                grid.cols.0.name(),
                grid.cols.0.get(config)
            )
        })?;
    }
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let start = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(vec![None::<Cell>; configs.len()]);
    // A small work queue: each thread takes the next cell until none are left.
    std::thread::scope(|scope| {
        for _ in 0..threads.min(configs.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(config) = configs.get(i) else { break };
                let cell = sweep::run_cell(config, args.steps).expect("validated before the sweep");
                eprintln!(
                    "{} {:<8} {} {:<5} seed {:<3} → {:<13} (fit {:?}, generalise {:?})",
                    grid.rows.0.name(),
                    cell.value(grid.rows.0),
                    grid.cols.0.name(),
                    cell.value(grid.cols.0),
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
    let csv = sweep::to_csv(&grid, &cells);
    match &args.csv {
        Some(path) => std::fs::write(path, csv).map_err(|e| format!("cannot write {path}: {e}"))?,
        None => print!("{csv}"),
    }
    if let Some(path) = &args.json {
        let result = sweep::SweepResult {
            grid: grid.clone(),
            base: base.clone(),
            seeds: args.seeds,
            steps: args.steps,
            cells: cells.clone(),
        };
        let text = serde_json::to_string(&result).expect("a sweep serialises");
        std::fs::write(path, text).map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    let count = |phase: Phase| cells.iter().filter(|c| c.phase == phase).count();
    let summary = serde_json::json!({
        "cells": cells.len(),
        "rows": grid.rows.0.name(),
        "cols": grid.cols.0.name(),
        "confusion": count(Phase::Confusion),
        "memorisation": count(Phase::Memorisation),
        "grokking": count(Phase::Grokking),
        "comprehension": count(Phase::Comprehension),
        "seconds": start.elapsed().as_secs_f64(),
    });
    println!("{summary}");
    Ok(())
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => train(args),
        Command::Sweep(args) => run_sweep(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("grok: {msg}");
            ExitCode::FAILURE
        }
    }
}
