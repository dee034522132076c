//! The trainer's contract: determinism, validation, divergence, bounded history.
#![cfg(not(target_arch = "wasm32"))]

use grokking::train::{ConfigError, TrainError};
use grokking::{Config, Op, Trainer};

fn small() -> Config {
    Config {
        p: 23,
        ..Config::default()
    }
}

#[test]
fn same_config_gives_bit_identical_history() {
    let run = |config: Config| {
        let mut t = Trainer::new(config).unwrap();
        t.run(150).unwrap();
        (t.history().clone(), t.params().clone())
    };
    let (h1, p1) = run(small());
    let (h2, p2) = run(small());
    assert_eq!(h1, h2);
    assert_eq!(p1, p2);
    let bits = |h: &grokking::History| {
        h.points
            .iter()
            .map(|pt| pt.train_loss.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&h1), bits(&h2));
    let (h3, _) = run(Config { seed: 1, ..small() });
    assert_ne!(h1, h3, "a different seed gives a different run");
}

#[test]
fn two_threads_give_the_same_bits_as_one() {
    let run = |parallel: bool| {
        let mut t = Trainer::new(small()).unwrap();
        t.set_parallel(parallel);
        t.run(120).unwrap();
        (t.history().clone(), t.params().clone())
    };
    assert_eq!(run(false), run(true));
}

/// Steps a leader and a follower the way the page's two workers do: each computes its own
/// shard, they swap flat halves and stats, and both update.
fn split_step(lead: &mut Trainer, follow: &mut Trainer) -> Result<(), TrainError> {
    let n = lead.partial_len();
    let (mut g0, mut g1) = (vec![0.0; n], vec![0.0; n]);
    lead.begin_split_step();
    follow.begin_split_step();
    let half = grokking::train::SHARDS / 2;
    let mut stats = lead.subtree(0..half, &mut g0);
    stats.extend(follow.subtree(half..2 * half, &mut g1));
    // On recorded steps each measures half of the test set too; on steps with progress
    // measures the follower measures all of it while the leader takes the measures.
    let parts = grokking::train::TEST_PARTS;
    let test = if lead.progress_due() {
        lead.prepare_progress();
        Some(follow.evaluate_test())
    } else {
        lead.records_now().then(|| {
            let stats: Vec<_> = (0..parts)
                .map(|i| {
                    if i < parts / 2 {
                        lead.evaluate_test_part(i)
                    } else {
                        follow.evaluate_test_part(i)
                    }
                })
                .collect();
            grokking::train::merge_all(&stats)
        })
    };
    let subtrees = [&g0[..], &g1[..]];
    let r1 = follow.step_with_subtrees(&subtrees, &stats, None, false);
    let r0 = lead.step_with_subtrees(&subtrees, &stats, test, true);
    assert_eq!(r0.is_ok(), r1.is_ok(), "both halves agree on divergence");
    r0
}

#[test]
fn two_workers_exchanging_halves_match_one_trainer_bit_for_bit() {
    let mut one = Trainer::new(small()).unwrap();
    let mut lead = Trainer::new(small()).unwrap();
    let mut follow = Trainer::new(small()).unwrap();
    // As on the page: the history has the progress measures (the leader's).
    one.set_track_progress(true);
    lead.set_track_progress(true);
    for step in 0..120 {
        if step == 60 {
            for t in [&mut one, &mut lead, &mut follow] {
                t.set_hyper(0.005, 2.0).unwrap();
            }
        }
        one.step().unwrap();
        split_step(&mut lead, &mut follow).unwrap();
    }
    assert_eq!(one.params(), lead.params());
    assert_eq!(one.params(), follow.params());
    assert!(one.history().progress.len() >= 10);
    assert_eq!(one.history(), lead.history());
    assert!(
        follow.history().points.is_empty(),
        "the follower skips evaluation"
    );
    assert_eq!(one.memorised_at(), follow.memorised_at());
    // A different partner (another seed) would not match: the check above can fail.
    let mut other = Trainer::new(Config { seed: 5, ..small() }).unwrap();
    let mut lead = Trainer::new(small()).unwrap();
    split_step(&mut lead, &mut other).unwrap();
    let mut one = Trainer::new(small()).unwrap();
    one.step().unwrap();
    assert_ne!(one.params(), lead.params());
}

#[test]
fn split_steps_diverge_together() {
    // lr 5 diverges at step 20, a step with progress measures.
    let config = Config { lr: 5.0, ..small() };
    let mut one = Trainer::new(config.clone()).unwrap();
    let mut lead = Trainer::new(config.clone()).unwrap();
    let mut follow = Trainer::new(config).unwrap();
    one.set_track_progress(true);
    lead.set_track_progress(true);
    let mut failed = None;
    for _ in 0..500 {
        if let Err(e) = split_step(&mut lead, &mut follow) {
            failed = Some(e);
            break;
        }
    }
    let Some(TrainError::Diverged { step }) = failed else {
        panic!("lr 5 should diverge within 500 steps");
    };
    assert!(
        grokking::History::records_progress(step),
        "diverged at step {step}, not a step with progress measures: pick another lr"
    );
    assert_eq!(lead.diverged_at(), Some(step));
    assert_eq!(follow.diverged_at(), Some(step));
    // The same history as one trainer: in particular no progress point is recorded at
    // the step that diverged, even when the leader took its measures ahead.
    while one.step().is_ok() {}
    assert_eq!(one.diverged_at(), Some(step));
    assert_eq!(one.history(), lead.history());
}

#[test]
fn tiny_training_sets_still_train() {
    // 9 pairs at 12%: one training pair, so the second half of the batch is empty.
    let mut t = Trainer::new(Config {
        p: 3,
        frac: 0.12,
        ..Config::default()
    })
    .unwrap();
    assert_eq!(t.data().train.len(), 1);
    t.run(50).unwrap();
    assert!(
        t.memorised_at().is_some(),
        "one pair is memorised within 50 steps"
    );
}

#[test]
fn validation_rejects_each_bad_case_with_its_own_error() {
    let bad = |f: fn(&mut Config)| {
        let mut c = Config::default();
        f(&mut c);
        c.validate().unwrap_err()
    };
    assert!(Config::default().validate().is_ok());
    assert_eq!(bad(|c| c.p = 2), ConfigError::ModulusOutOfRange { p: 2 });
    assert_eq!(
        bad(|c| c.p = 258),
        ConfigError::ModulusOutOfRange { p: 258 }
    );
    assert_eq!(
        bad(|c| (c.p, c.op) = (91, Op::Div)),
        ConfigError::CompositeModulus { p: 91, op: Op::Div }
    );
    assert!(matches!(
        bad(|c| c.frac = 0.0),
        ConfigError::FracOutOfRange { .. }
    ));
    assert!(matches!(
        bad(|c| c.frac = 1.5),
        ConfigError::FracOutOfRange { .. }
    ));
    assert!(matches!(
        bad(|c| c.frac = 1e-6),
        ConfigError::EmptyTrainSet { pairs: 9409, .. }
    ));
    assert!(matches!(
        bad(|c| c.frac = 0.99999),
        ConfigError::EmptyTestSet { pairs: 9409, .. }
    ));
    assert_eq!(bad(|c| c.lr = 0.0), ConfigError::LearningRate { lr: 0.0 });
    assert_eq!(bad(|c| c.lr = -1.0), ConfigError::LearningRate { lr: -1.0 });
    assert_eq!(bad(|c| c.wd = -0.1), ConfigError::WeightDecay { wd: -0.1 });
    assert_eq!(
        bad(|c| c.d = 0),
        ConfigError::Width {
            field: "d",
            value: 0,
            max: Config::MAX_D
        }
    );
    assert_eq!(
        bad(|c| c.hidden = 0),
        ConfigError::Width {
            field: "hidden",
            value: 0,
            max: Config::MAX_HIDDEN
        }
    );
    assert_eq!(
        bad(|c| c.lr = f64::NAN),
        ConfigError::NotFinite { field: "lr" }
    );
    assert_eq!(
        bad(|c| c.frac = f64::NAN),
        ConfigError::NotFinite { field: "frac" }
    );
    assert_eq!(
        bad(|c| c.wd = f64::INFINITY),
        ConfigError::NotFinite { field: "wd" }
    );
    // Composite moduli are fine for the other operations.
    assert!(Config {
        p: 91,
        op: Op::Mul,
        ..Config::default()
    }
    .validate()
    .is_ok());
    // Messages say what is wrong and what to do.
    let msg = bad(|c| (c.p, c.op) = (91, Op::Div)).to_string();
    assert!(msg.contains("prime") && msg.contains("7 × 13"), "{msg}");
    assert!(Trainer::new(Config {
        p: 1,
        ..Config::default()
    })
    .is_err());
}

#[test]
fn a_diverging_run_stops_and_says_so() {
    let mut t = Trainer::new(Config {
        lr: 10.0,
        ..small()
    })
    .unwrap();
    let err = t.run(1000).unwrap_err();
    let TrainError::Diverged { step } = err;
    assert!(step < 1000);
    assert_eq!(t.diverged_at(), Some(step));
    assert_eq!(
        t.step_count(),
        step,
        "no update after the loss became non-finite"
    );
    assert_eq!(
        t.step(),
        Err(TrainError::Diverged { step }),
        "a diverged run stays stopped"
    );
    assert!(err.to_string().contains("diverged"));
}

#[test]
fn hyperparameters_change_mid_run_and_are_recorded() {
    let mut t = Trainer::new(small()).unwrap();
    t.run(10).unwrap();
    t.set_hyper(0.003, 0.0).unwrap();
    t.run(5).unwrap();
    assert_eq!(t.config().lr, 0.003);
    let ev = t.history().events.last().copied().unwrap();
    assert_eq!((ev.step, ev.lr, ev.wd), (10, 0.003, 0.0));
    assert!(t.set_hyper(f64::NAN, 1.0).is_err());
    assert!(t.set_hyper(0.01, -1.0).is_err());
    assert_eq!(
        t.config().lr,
        0.003,
        "a rejected change leaves the run as it was"
    );
}

#[test]
fn history_stays_small_for_long_runs() {
    // Recording is log-spaced: 100 steps, 90 to 1000, then 180 per decade.
    let recorded = (0..1_000_000u64)
        .filter(|&s| grokking::History::records(s))
        .count();
    assert_eq!(recorded, 100 + 90 + 3 * 180);
    let mut t = Trainer::new(Config {
        p: 5,
        d: 2,
        hidden: 4,
        frac: 0.5,
        ..Config::default()
    })
    .unwrap();
    t.run(20_000).unwrap();
    assert_eq!(
        t.history().points.len(),
        100 + 90 + 180 + 20,
        "10 000..20 000 every 500"
    );
}

#[test]
fn metrics_agree_between_latest_and_evaluate() {
    let mut t = Trainer::new(small()).unwrap();
    t.run(30).unwrap();
    // Measured now, at step 30, without an update …
    let m = t.evaluate();
    assert_eq!(m.step, 30);
    // … and as the next step sees them: its forward pass over the training set, and the
    // test set at the point recorded at step 30 (every step below 100 is).
    t.step().unwrap();
    let latest = t.latest().unwrap();
    assert_eq!(latest.step, 30);
    assert_eq!(latest.test_acc, m.test_acc);
    assert_eq!(latest.test_loss.to_bits(), m.test_loss.to_bits());
    assert_eq!(latest.weight_norm.to_bits(), m.weight_norm.to_bits());
    assert_eq!(latest.train_acc, m.train_acc);
    // The training loss is summed in another grouping (the batch's parts), so it agrees
    // to f64 rounding, not to the bit.
    assert!(
        (latest.train_loss - m.train_loss).abs() <= 1e-12 * m.train_loss,
        "{} vs {}",
        latest.train_loss,
        m.train_loss
    );
    assert!(
        m.train_loss > 0.0 && m.train_acc > 0.5,
        "it has learned something"
    );
}

#[test]
fn predict_answers_with_probabilities_and_says_whether_the_pair_was_seen() {
    let mut t = Trainer::new(Config {
        p: 23,
        frac: 0.5,
        ..Config::default()
    })
    .unwrap();
    t.run(30).unwrap();
    let pr = t.predict(5, 7).unwrap();
    assert_eq!((pr.a, pr.b, pr.truth, pr.step), (5, 7, 12, 30));
    assert_eq!(pr.probs.len(), 23);
    assert!((pr.probs.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert_eq!(pr.top.len(), grokking::train::TOP_GUESSES);
    assert!(pr.top.windows(2).all(|w| w[0].prob >= w[1].prob));
    assert_eq!(
        pr.in_train,
        t.data().train.iter().any(|q| (q.a, q.b) == (5, 7))
    );
    assert!(t.predict(23, 0).unwrap_err().contains("0 to 22"));
    let mut div = Trainer::new(Config {
        p: 23,
        op: Op::Div,
        ..Config::default()
    })
    .unwrap();
    assert!(div.predict(3, 0).unwrap_err().contains("b = 0"));
}
