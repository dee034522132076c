//! The grokking facts of DESIGN.md, checked on the default model, and its phase diagram.
//!
//! These train real networks (seconds each in release mode; run with
//! `cargo test --release --test grokking`). The numbers come from a PyTorch run of the same
//! model: memorise by step ~75, generalise at ~1250; nothing without weight decay; sooner
//! with more data; no fit at all with far too much decay. Our RNG differs from PyTorch's,
//! so the tests check the phenomenon and its time scale, not exact steps.
//!
//! Every run is trained as a phase cell is (`sweep::cell_spec`: until it generalises,
//! stopping right after that step, or until its budget), once, whichever test asks for it
//! first: the facts and the phase diagram share their runs.
#![cfg(not(target_arch = "wasm32"))]

use grokking::engine::Run;
use grokking::sweep::{cell_of, cell_spec, Cell, Phase};
use grokking::{Config, Trainer};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// `config` trained until it generalises or `budget` steps pass (as `sweep::run_cell`
/// trains a cell); trained once per process, shared by the tests that ask for it (a test
/// asking while another trains it waits for that run).
fn train(config: Config, budget: u64) -> Arc<Trainer> {
    type Slot = Arc<OnceLock<Arc<Trainer>>>;
    static RUNS: OnceLock<Mutex<HashMap<String, Slot>>> = OnceLock::new();
    let slot: Slot = RUNS
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry(format!("{config:?} for {budget}"))
        .or_default()
        .clone();
    slot.get_or_init(|| {
        let mut run = Run::new(cell_spec(config, budget)).expect("valid config");
        while run.advance(1000).stop.is_none() {}
        assert!(
            run.trainer().diverged_at().is_none(),
            "default-scale runs do not diverge"
        );
        Arc::new(run.trainer().clone())
    })
    .clone()
}

/// Trains the configs on threads of their own (they are independent runs).
fn train_all(configs: &[(Config, u64)]) -> Vec<Arc<Trainer>> {
    std::thread::scope(|scope| {
        let runs: Vec<_> = configs
            .iter()
            .map(|(config, budget)| scope.spawn(move || train(config.clone(), *budget)))
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    })
}

#[test]
fn default_model_memorises_then_groks_for_three_seeds() {
    let seeds: Vec<_> = (0..3)
        .map(|seed| {
            let config = Config {
                seed,
                ..Config::default()
            };
            (config, 3000)
        })
        .collect();
    for (seed, t) in train_all(&seeds).into_iter().enumerate() {
        let memorised = t.memorised_at().expect("train accuracy reaches 99%");
        let grokked = t
            .grokked_at()
            .expect("test accuracy reaches 95% within 3000 steps");
        assert!(memorised <= 300, "seed {seed}: memorised at {memorised}");
        assert!(
            grokked >= 5 * memorised,
            "seed {seed}: grokked at {grokked}, memorised at {memorised}"
        );
        assert!(
            (600..=2500).contains(&grokked),
            "seed {seed}: grokked at {grokked}, expected ~1250"
        );

        // The plateau: between memorising and the jump, test accuracy sits below chance.
        let chance = 1.0 / 97.0;
        let plateau: Vec<f64> = t
            .history()
            .points
            .iter()
            .filter(|pt| pt.step >= 2 * memorised && pt.step <= grokked / 2)
            .map(|pt| pt.test_acc)
            .collect();
        assert!(plateau.len() > 10);
        let mut sorted = plateau.clone();
        sorted.sort_by(f64::total_cmp);
        assert!(
            sorted[sorted.len() / 2] < chance,
            "seed {seed}: median plateau test acc {}",
            sorted[sorted.len() / 2]
        );

        // The weight norm rises while memorising, then falls as the network generalises.
        let norms: Vec<(u64, f64)> = t
            .history()
            .points
            .iter()
            .map(|pt| (pt.step, pt.weight_norm))
            .collect();
        let (peak_step, peak) = norms
            .iter()
            .cloned()
            .fold((0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
        let start = norms[0].1;
        let end = norms.last().unwrap().1;
        assert!(
            peak > 1.2 * start,
            "seed {seed}: norm {start} → peak {peak}"
        );
        assert!(
            peak_step > memorised && peak_step < grokked,
            "seed {seed}: norm peaks at {peak_step}"
        );
        assert!(
            end < 0.95 * peak,
            "seed {seed}: norm {peak} at peak, {end} after grokking"
        );
    }
}

#[test]
fn without_weight_decay_it_memorises_but_never_generalises() {
    let t = train(
        Config {
            wd: 0.0,
            ..Config::default()
        },
        3000,
    );
    assert!(
        t.memorised_at().is_some_and(|s| s <= 300),
        "memorised at {:?}",
        t.memorised_at()
    );
    assert_eq!(t.step_count(), 3000);
    let best = t
        .history()
        .points
        .iter()
        .map(|pt| pt.test_acc)
        .fold(0.0, f64::max);
    assert!(
        best < 0.5,
        "test accuracy reached {best} without weight decay"
    );
}

#[test]
fn more_data_groks_sooner() {
    let default = train(Config::default(), 3000)
        .grokked_at()
        .expect("default groks");
    let more = train(
        Config {
            frac: 0.5,
            ..Config::default()
        },
        3000,
    )
    .grokked_at()
    .expect("frac 0.5 groks");
    assert!(more <= 700, "frac 0.5 grokked at {more}, expected ~300");
    assert!(
        2 * more < default,
        "frac 0.5 at {more}, frac 0.3 at {default}"
    );
}

#[test]
fn far_too_much_decay_cannot_fit_the_training_set() {
    let t = train(
        Config {
            wd: 10.0,
            ..Config::default()
        },
        2000,
    );
    assert_eq!(t.memorised_at(), None);
    let best = t
        .history()
        .points
        .iter()
        .map(|pt| pt.train_acc)
        .fold(0.0, f64::max);
    assert!(best < 0.5, "train accuracy reached {best} with wd = 10");
}

/// The learning-rate slider's hint: at 0.1 the default run still learns (it groks within
/// 300 steps here), from 0.3 it stays at chance, and at 3 the loss overflows within a few
/// dozen steps (measured: 0.3 — train accuracy 1.4% after 300 steps; 3 — diverged at 38).
#[test]
fn too_large_a_learning_rate_stops_learning_then_diverges() {
    let run = |lr: f64| {
        let mut t = Trainer::new(Config {
            lr,
            ..Config::default()
        })
        .expect("valid config");
        let mut diverged = false;
        while t.step_count() < 300 && !diverged {
            diverged = t.step().is_err();
        }
        (t, diverged)
    };
    let (t, diverged) = run(0.1);
    assert!(!diverged && t.memorised_at().is_some(), "lr 0.1 learns");
    let (t, diverged) = run(0.3);
    let best = t
        .history()
        .points
        .iter()
        .map(|pt| pt.train_acc)
        .fold(0.0, f64::max);
    assert!(
        !diverged && best < 0.05,
        "lr 0.3: train accuracy reached {best}"
    );
    let (_, diverged) = run(3.0);
    assert!(diverged, "lr 3 diverges within 300 steps");
}

/// The phase diagram agrees with the facts: no generalisation without weight decay (with
/// more data too), earlier generalisation with more data or (up to a point) more decay,
/// and no fit at all with far too much decay. Cells are classified by the same rule as
/// `grok sweep` and the page (`sweep::cell_of`, `Phase::classify`); their budgets are
/// those of the facts above, whose runs they share (2000 steps for wd 0 at frac 0.5).
#[test]
fn default_model_phase_diagram_agrees_with_the_known_facts() {
    let cells = [
        (0.0, 0.3, 3000),
        (0.0, 0.5, 2000),
        (1.0, 0.3, 3000),
        (1.0, 0.5, 3000),
        (3.0, 0.3, 3000),
        (10.0, 0.3, 2000),
    ];
    let configs: Vec<_> = cells
        .iter()
        .map(|&(wd, frac, budget)| {
            let config = Config {
                wd,
                frac,
                ..Config::default()
            };
            (config, budget)
        })
        .collect();
    let results: Vec<Cell> = train_all(&configs).iter().map(|t| cell_of(t)).collect();
    let cell = |wd: f64, frac: f64| {
        results
            .iter()
            .find(|c| c.wd == wd && c.frac == frac)
            .unwrap()
    };
    for c in &results {
        eprintln!(
            "wd {:<4} frac {}: {:?} (fit {:?}, generalise {:?})",
            c.wd, c.frac, c.phase, c.steps_to_train_99, c.steps_to_test_95
        );
    }

    assert_eq!(cell(0.0, 0.3).phase, Phase::Memorisation);
    assert_eq!(cell(0.0, 0.5).phase, Phase::Memorisation);
    assert_eq!(cell(1.0, 0.3).phase, Phase::Grokking);
    let gen = |wd, frac| cell(wd, frac).steps_to_test_95.expect("generalises");
    assert!(
        gen(1.0, 0.5) < gen(1.0, 0.3),
        "more data generalises sooner"
    );
    assert!(
        gen(3.0, 0.3) < gen(1.0, 0.3),
        "more decay generalises sooner (up to a point)"
    );
    assert_eq!(cell(10.0, 0.3).phase, Phase::Confusion);
}
