//! The levers of the research, on real runs of the default model (p = 97, frac 0.3, seed 0):
//! each moves the run the way DESIGN.md says a PyTorch implementation of this network
//! moves. The numbers in comments were measured with `grok train --eval-every 10`, seed 0
//! (2026-11-30; scripts/facts writes them into www/facts.json, `levers`, and the README's
//! "Levers" table lists the commands); the assertions leave room for another machine's
//! rounding, not for a different phenomenon.
#![cfg(not(target_arch = "wasm32"))]

use grokking::config::GrokfastConfig;
use grokking::engine::{Run, RunSpec};
use grokking::optim::Decay;
use grokking::{Config, Trainer};

/// Trains `config` until it generalises or `budget` steps pass, recording every 10 steps
/// (so the grokking step is known to 10); returns (memorised at, grokked at).
fn milestones(config: Config, budget: u64) -> (Option<u64>, Option<u64>) {
    let mut spec = RunSpec::new(config);
    spec.until = Some(budget);
    spec.stop_when_grokked = true;
    let mut run = Run::new(spec).unwrap();
    run.trainer_mut().set_eval_every(Some(10));
    while run.advance(500).stop.is_none() {}
    (run.trainer().memorised_at(), run.trainer().grokked_at())
}

/// The default run's milestones within 3000 steps (1160 grokked): trained once, for the
/// tests that compare with it.
fn default_milestones() -> (Option<u64>, Option<u64>) {
    static DEFAULT: std::sync::OnceLock<(Option<u64>, Option<u64>)> = std::sync::OnceLock::new();
    *DEFAULT.get_or_init(|| milestones(Config::default(), 3000))
}

fn fixed_norm(norm: f64) -> Config {
    Config {
        wd: 0.0,
        fix_norm: Some(norm),
        ..Config::default()
    }
}

/// Omnigrok (Liu, Michaud & Tegmark 2023): with no weight decay at all, holding the
/// weight norm at a suitable radius generalises — sooner than the default run with decay;
/// a larger radius much later; a radius far too small cannot even fit.
#[test]
fn the_weight_norm_not_the_decay_decides() {
    let (_, default_gen) = default_milestones(); // 1090
    let default_gen = default_gen.expect("the default run groks");
    let (fit50, gen50) = milestones(fixed_norm(50.0), 3000); // 365, 520
    let gen50 = gen50.expect("norm 50 without decay generalises");
    assert!(fit50.is_some_and(|f| f < gen50), "it memorises first");
    assert!(
        gen50 < default_gen,
        "norm 50 groks at {gen50}, before the default's {default_gen}"
    );
    let (_, gen80) = milestones(fixed_norm(80.0), 3000); // 1930
    let gen80 = gen80.expect("norm 80 generalises too, later");
    assert!(
        gen80 > 2 * gen50,
        "norm 80 groks at {gen80}, norm 50 at {gen50}"
    );
    let (fit20, gen20) = milestones(fixed_norm(20.0), 1500); // never fits (nor does 30)
    assert_eq!((fit20, gen20), (None, None), "norm 20 is too small to fit");
}

/// A larger initialisation memorises later (from a larger norm that decay pulls down).
#[test]
fn a_larger_initialisation_memorises_later() {
    let fit = |scale| {
        let mut t = Trainer::new(Config {
            init_scale: scale,
            ..Config::default()
        })
        .unwrap();
        while t.memorised_at().is_none() && t.step_count() < 1000 {
            t.step().unwrap();
        }
        (
            t.memorised_at().expect("memorises"),
            t.history().points[0].weight_norm,
        )
    };
    let (fit1, norm1) = fit(1.0); // 75, 57
    let (fit3, norm3) = fit(3.0); // 273, 170 (scale 2: 172)
    assert!(
        fit3 as f64 >= 2.5 * fit1 as f64,
        "α 3 memorises at {fit3}, α 1 at {fit1}"
    );
    assert!(
        (norm3 / norm1 - 3.0).abs() < 0.01,
        "the matrices start 3× larger"
    );
}

/// Adam with a small coupled L2 term still memorises first and generalises later —
/// sooner than AdamW with decay 1 in this network.
#[test]
fn adam_with_coupled_l2_groks_too() {
    let (fit, gen) = milestones(
        Config {
            optimizer: Decay::Coupled,
            wd: 1e-3,
            ..Config::default()
        },
        2000,
    ); // 72, 380
    let (fit, gen) = (fit.expect("memorises"), gen.expect("generalises"));
    assert!(
        gen >= 3 * fit && gen - fit >= 100,
        "memorised {fit}, generalised {gen}"
    );
}

/// Grokfast (Lee et al. 2024) does not speed grokking up in this MLP with AdamW: the
/// filtered run groks no sooner than the plain one (measured: step 3410 against 1090; a
/// run that has not grokked within the budget counts as later).
#[test]
fn grokfast_does_not_speed_up_this_network() {
    let (_, plain) = default_milestones();
    let plain = plain.expect("the default run groks");
    let (_, fast) = milestones(
        Config {
            grokfast: Some(GrokfastConfig {
                alpha: 0.98,
                lambda: 2.0,
            }),
            ..Config::default()
        },
        2 * plain,
    );
    assert!(
        fast.is_none_or(|f| f >= plain),
        "Grokfast {fast:?}, plain {plain}"
    );
}

/// Ungrokking (Varma et al. 2023): cut a grokked network's training set and train on.
/// Keeping 60% of it (18% of all pairs) keeps the general solution; keeping 20% (6% of
/// all pairs) loses it — test accuracy falls a long way within 1000 steps. Measured with
/// the cut at step 1500 (test accuracy 100% there), 1000 steps later: keep 0.8 → 100%,
/// 0.6 → 99.8%, 0.5 → 98.5%, 0.4 → 93.4%, 0.3 → 72%, 0.2 → 24%, train accuracy 100%
/// throughout: it turns between 0.5 and 0.4 (15–12% of all pairs) and falls steeply below.
#[test]
fn a_grokked_network_shrunk_far_enough_ungroks() {
    let mut base = Run::new(RunSpec::new(Config::default())).unwrap();
    base.advance(1500);
    assert!(
        base.trainer().grokked_at().is_some(),
        "grokked before the cut"
    );
    let after = |keep: f64| {
        let mut run = base.clone();
        run.shrink_now(keep).unwrap();
        run.advance(1000);
        run.measure()
    };
    let mild = after(0.6);
    let far = after(0.2);
    assert!(mild.test_acc > 0.95, "keep 60%: test {}", mild.test_acc);
    assert!(far.test_acc < 0.5, "keep 20%: test {}", far.test_acc);
    assert!(far.train_acc > 0.99, "it still fits what it keeps");
}

/// Minibatches of 512 at the default learning rate: memorising is far slower than with
/// the full batch (step 1200 against 75), and generalising follows close behind (1460):
/// the plateau between them nearly vanishes.
#[test]
fn minibatches_memorise_late_and_generalise_soon_after() {
    let (fit, gen) = milestones(
        Config {
            batch: 512,
            ..Config::default()
        },
        3000,
    ); // 1200, 1460
    let (fit, gen) = (fit.expect("memorises"), gen.expect("generalises"));
    assert!(fit >= 500, "memorised at {fit}");
    assert!(gen - fit <= 500, "memorised {fit}, generalised {gen}");
}

/// Minibatches are drawn by the run's seed: the same seed, the same bits.
#[test]
fn minibatch_runs_are_deterministic() {
    let run = |seed| {
        let mut t = Trainer::new(Config {
            p: 31,
            batch: 64,
            seed,
            ..Config::default()
        })
        .unwrap();
        t.run(120).unwrap();
        t.params().clone()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}
