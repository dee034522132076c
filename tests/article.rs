#![cfg(not(target_arch = "wasm32"))]
//! The Rust behind the article's new figures that is not drawing: the bounded history of
//! embedding frames for the scrubber, the screen-reader summaries, the JSON export.

use grokking::analysis::{self, frame_cap, thin_index, Frames};
use grokking::prose::{comparison_summary, RunOutline};
use grokking::prose::{frame_summary, percent};
use grokking::train::{history_json, Point};
use grokking::{Config, Trainer};
use ndarray::Array2;

fn embedding(p: usize, d: usize, seed: u64) -> Array2<f32> {
    Array2::from_shape_fn((p, d), |(a, j)| {
        ((a as u64 * 31 + j as u64 * 7 + seed) % 17) as f32 - 8.0
    })
}

#[test]
fn frames_are_thinned_over_log_step_keeping_first_and_latest() {
    let mut frames = Frames::with_cap(40);
    // Snapshots about 8 a second: every few steps early, sparser later (as the page sees).
    let mut steps: Vec<u64> = (0..300).map(|i| i * 3).collect();
    steps.extend((0..400).map(|i| 900 + i * 25));
    for &s in &steps {
        frames.push(s, embedding(7, 3, s), None);
        assert!(frames.len() <= 40, "never more than the cap");
        assert_eq!(frames.get(0).unwrap().step, 0, "the first frame stays");
        assert_eq!(frames.last().unwrap().step, s, "the latest frame is there");
    }
    assert_eq!(frames.len(), 40);
    let kept: Vec<u64> = frames.as_slice().iter().map(|f| f.step).collect();
    assert!(kept.windows(2).all(|w| w[0] < w[1]), "increasing: {kept:?}");
    // Spread over log-step: every decade from 10 on is represented, and no later gap in
    // ln(1 + step) is more than a few times the mean gap.
    for decade in [10u64, 100, 1000] {
        assert!(
            kept.iter().any(|&s| s >= decade && s < decade * 10),
            "decade {decade}: {kept:?}"
        );
    }
    let x: Vec<f64> = kept.iter().map(|&s| (s as f64).ln_1p()).collect();
    let mean = (x[x.len() - 1] - x[0]) / (x.len() - 1) as f64;
    // (The first gap, from step 0 to the first snapshot, is what it is.)
    let widest = x[1..].windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max);
    assert!(widest < 4.0 * mean, "gap {widest} vs mean {mean}: {kept:?}");

    // Lookups.
    assert_eq!(frames.index_at_or_before(-5.0), 0);
    assert_eq!(frames.index_at_or_before(0.0), 0);
    assert_eq!(frames.index_at_or_before(1e12), frames.len() - 1);
    let i = frames.index_at_or_before(1000.0);
    assert!(frames.get(i).unwrap().step <= 1000 && frames.get(i + 1).unwrap().step > 1000);

    // The same step again adds nothing; an earlier one starts over (a new run).
    let n = frames.len();
    frames.push(*steps.last().unwrap(), embedding(7, 3, 1), None);
    assert_eq!(frames.len(), n);
    frames.push(5, embedding(7, 3, 1), None);
    assert_eq!(frames.len(), 1);
    // Another shape starts over too.
    frames.push(10, embedding(5, 3, 1), None);
    assert_eq!(
        (frames.len(), frames.last().unwrap().embedding.dim()),
        (1, (5, 3))
    );
}

#[test]
fn thin_index_drops_the_densest_interior_frame() {
    assert_eq!(thin_index(&[]), None);
    assert_eq!(thin_index(&[0, 5]), None);
    assert_eq!(thin_index(&[0, 5, 9]), Some(1));
    // 100 and 101 are much closer in log-step than 1 and 10 or 1000 and 10000.
    assert_eq!(thin_index(&[0, 1, 10, 100, 101, 1000, 10_000]), Some(3));
    // Ties go to the earliest.
    assert_eq!(thin_index(&[0, 0, 0, 0]), Some(1));
}

#[test]
fn default_cap_depends_on_the_embedding_size() {
    assert_eq!(frame_cap(97, 32), analysis::MAX_FRAMES);
    assert_eq!(
        frame_cap(257, 512),
        analysis::MIN_FRAMES.max(4_000_000 / (257 * 512))
    );
    assert!(frame_cap(257, 512) < analysis::MAX_FRAMES);
    let mut frames = Frames::default();
    for s in 0..300 {
        frames.push(s, embedding(5, 2, s), None);
    }
    assert_eq!(frames.len(), analysis::MAX_FRAMES);
    assert_eq!(frames.cap(), analysis::MAX_FRAMES);
}

#[test]
fn frames_of_a_real_run_give_keys_circles_and_summaries() {
    let mut trainer = Trainer::new(Config {
        p: 23,
        frac: 0.5,
        ..Config::default()
    })
    .unwrap();
    let mut frames = Frames::default();
    for _ in 0..20 {
        trainer.run(10).unwrap();
        frames.push(
            trainer.step_count(),
            trainer.embedding().to_owned(),
            Some(trainer.spectrum()),
        );
    }
    assert_eq!(frames.len(), 20);
    let last = frames.last().unwrap();
    assert_eq!(last.spectrum, trainer.spectrum());
    assert_eq!(frames.final_keys(), trainer.spectrum().keys);
    // A spectrum not given is computed.
    let mut other = Frames::default();
    other.push(1, trainer.embedding().to_owned(), None);
    assert_eq!(other.last().unwrap().spectrum, trainer.spectrum());
    // Circles of any frequency at any frame.
    let c = analysis::circle(&frames.get(3).unwrap().embedding, 5);
    assert_eq!(c.len(), 23);

    let s = frame_summary(last.step, &last.spectrum);
    assert!(
        s.starts_with("Step 200: the strongest frequencies are "),
        "{s}"
    );
    assert!(
        s.contains("% of the energy") && s.contains("Gini coefficient 0."),
        "{s}"
    );
    assert!(s.contains(" key frequenc"), "{s}");
    let k = analysis::ranked_frequencies(&last.spectrum.energy)[0];
    assert!(s.contains(&format!("are {k} (")), "{s}");
    let zero = analysis::spectrum(&Array2::zeros((23, 4)));
    assert_eq!(
        frame_summary(0, &zero),
        "Step 0: the embedding has no non-constant energy yet."
    );
}

#[test]
fn percentages_never_round_to_a_misleading_0_or_100() {
    assert_eq!(percent(0.0), "0%");
    assert_eq!(percent(1.0), "100%");
    assert_eq!(percent(0.03), "3%");
    assert_eq!(percent(0.004), "0.4%");
    assert_eq!(percent(0.9996), "99.9%");
    assert_eq!(percent(0.995), "99.5%");
    assert_eq!(percent(0.00001), "less than 0.1%");
    assert_eq!(percent(f64::NAN), "–");
}

fn point(step: u64, train_acc: f64, test_acc: f64) -> Point {
    Point {
        step,
        train_loss: 0.1,
        train_acc,
        test_loss: 3.0,
        test_acc,
        weight_norm: 50.0,
    }
}

#[test]
fn summaries_word_each_phase() {
    let outline = |points: &'static [Point], m, g, d| RunOutline {
        label: "run",
        points,
        memorised_at: m,
        grokked_at: g,
        diverged_at: d,
    };
    assert_eq!(
        outline(&[], None, None, None).summary(),
        "No training steps recorded yet."
    );
    static FITTING: [Point; 1] = [Point {
        step: 30,
        train_loss: 2.0,
        train_acc: 0.45,
        test_loss: 4.0,
        test_acc: 0.01,
        weight_norm: 40.0,
    }];
    assert_eq!(
        outline(&FITTING, None, None, None).summary(),
        "Step 30: train accuracy 45%, test accuracy 1%; still fitting the training set."
    );
    let plateau = [point(600, 1.0, 0.03)];
    let plateau: &'static [Point] = Box::leak(Box::new(plateau));
    assert_eq!(
        outline(plateau, Some(75), None, None).summary(),
        "Step 600: train accuracy 100%, test accuracy 3%; memorised at step 75, test \
         accuracy still 3% — on the plateau."
    );
    let rising: &'static [Point] = Box::leak(Box::new([point(1000, 1.0, 0.6)]));
    assert!(outline(rising, Some(75), None, None)
        .summary()
        .ends_with("memorised at step 75, test accuracy rising (60%), not yet grokked."));
    let grokked: &'static [Point] = Box::leak(Box::new([point(1400, 1.0, 0.98)]));
    assert_eq!(
        outline(grokked, Some(75), Some(1100), None).summary(),
        "Step 1400: train accuracy 100%, test accuracy 98%; grokked at step 1100, 1025 \
         steps after memorising at step 75."
    );
    assert!(outline(grokked, Some(90), Some(90), None)
        .summary()
        .ends_with("generalised at step 90, together with memorising."));
    assert!(outline(plateau, Some(75), None, Some(400))
        .summary()
        .contains("training diverged at step 400"));

    // Two runs.
    let off = RunOutline {
        label: "decay off",
        ..outline(plateau, Some(74), None, None)
    };
    let on = RunOutline {
        label: "decay on",
        ..outline(grokked, Some(74), Some(1100), None)
    };
    let s = comparison_summary(&off, &on);
    assert!(
        s.starts_with("decay off — step 600: train accuracy 100%"),
        "{s}"
    );
    assert!(
        s.contains(
            "decay on — step 1400: train accuracy 100%, test accuracy 98%; grokked at step 1100"
        ),
        "{s}"
    );
    assert!(s.ends_with("Only decay on has generalised."), "{s}");
    let sooner = RunOutline {
        label: "frac 0.5",
        ..outline(grokked, Some(60), Some(300), None)
    };
    let s = comparison_summary(&on, &sooner);
    assert!(
        s.ends_with("frac 0.5 generalised first, at step 300; decay on at step 1100 (3.7× later)."),
        "{s}"
    );
    assert!(comparison_summary(&off, &off).ends_with("Neither has generalised yet."));
    assert!(comparison_summary(&on, &on).ends_with("Both generalised at step 1100."));
    let empty = RunOutline {
        label: "new",
        ..outline(&[], None, None, None)
    };
    assert!(comparison_summary(&empty, &on).starts_with("new: no training steps recorded yet."));
}

#[test]
fn history_json_has_config_points_events_progress_and_milestones() {
    let mut trainer = Trainer::new(Config {
        p: 23,
        frac: 0.5,
        ..Config::default()
    })
    .unwrap();
    trainer.set_track_progress(true);
    trainer.run(30).unwrap();
    trainer.set_hyper(0.01, 0.5).unwrap();
    trainer.run(60).unwrap();
    let json = history_json(&trainer).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["config"]["p"], 23);
    assert_eq!(v["config"]["op"], "add");
    assert_eq!(v["config"]["wd"], 0.5);
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), trainer.history().points.len());
    assert_eq!(points[5]["step"], 5);
    for key in [
        "train_loss",
        "train_acc",
        "test_loss",
        "test_acc",
        "weight_norm",
    ] {
        assert!(points[5][key].is_number(), "{key}");
    }
    assert_eq!(v["events"][0]["step"], 30);
    assert_eq!(v["events"][0]["wd"], 0.5);
    let progress = v["progress"].as_array().unwrap();
    assert_eq!(progress.len(), 9);
    assert!(progress[0]["keys"].is_array() && progress[0]["measures"].is_object());
    assert_eq!(
        v["memorised_at"].as_u64(),
        trainer.memorised_at(),
        "memorised within 90 steps"
    );
    assert!(v["memorised_at"].is_u64());
    assert_eq!(v["grokked_at"].as_u64(), trainer.grokked_at());
    assert!(
        trainer.grokked_at().is_none(),
        "90 steps are too few to grok"
    );
    assert!(v["diverged_at"].is_null());
    // The points read back as they were (up to serde_json's parsing, which may be one
    // unit in the last place off; the text itself is the shortest exact representation).
    let back: Vec<Point> = serde_json::from_value(v["points"].clone()).unwrap();
    for (x, y) in back.iter().zip(&trainer.history().points) {
        assert_eq!(x.step, y.step);
        for (u, w) in [(x.train_loss, y.train_loss), (x.test_acc, y.test_acc)] {
            assert!((u - w).abs() <= 1e-15 * w.abs().max(1.0), "{u} vs {w}");
        }
    }

    // A diverged run: the milestone is there and non-finite losses become null.
    let mut bad = Trainer::new(Config {
        p: 23,
        lr: 10.0,
        ..Config::default()
    })
    .unwrap();
    assert!(bad.run(500).is_err());
    let v: serde_json::Value = serde_json::from_str(&history_json(&bad).unwrap()).unwrap();
    assert!(v["diverged_at"].is_u64());
}
