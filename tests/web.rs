//! The wasm-bindgen surface (src/web.rs), tested in headless Chromium through the same JS
//! values the page and the worker pass: configs as plain objects, snapshots as plain
//! objects, errors as JS `Error`s, and drawing onto a real `<canvas>`.
//!
//! Run with `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown
//! --test web` (the runner, wasm-bindgen-test-runner, is set in .cargo/config.toml; the
//! browser's flags are in webdriver.json). p = 23 keeps every run to a fraction of a second.
#![cfg(target_arch = "wasm32")]

use grokking::engine::snapshot::CIRCLES;
use grokking::engine::{Ablation, Advance, Snapshot, Stop};
use grokking::sweep::{self, Cell, Phase};
use grokking::train::{Prediction, TOP_GUESSES};
use grokking::web::phase::{CellRun, PhaseFigure};
use grokking::web::{check_config, Figures, Session};
use grokking::Config;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsError, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

wasm_bindgen_test_configure!(run_in_browser);

/// A config object as the page sends it (only the fields given; the rest default).
fn config(fields: &[(&str, JsValue)]) -> JsValue {
    let obj = js_sys::Object::new();
    for (key, value) in fields {
        js_sys::Reflect::set(&obj, &JsValue::from_str(key), value).unwrap();
    }
    obj.into()
}

/// The small, quick task used throughout.
fn small() -> JsValue {
    config(&[("p", 23.into()), ("frac", 0.5.into())])
}

/// A run spec object (`{config}`) as the worker sends it.
fn spec(config: JsValue) -> JsValue {
    let obj = js_sys::Object::new();
    js_sys::Reflect::set(&obj, &JsValue::from_str("config"), &config).unwrap();
    obj.into()
}

/// A session of `config`.
fn session_of(config: JsValue) -> Result<Session, JsError> {
    Session::new(spec(config))
}

/// Takes up to `n` steps; the number taken, or the divergence message.
fn run(session: &mut Session, n: u32) -> Result<u32, String> {
    let a: Advance = serde_wasm_bindgen::from_value(session.advance(n).unwrap()).unwrap();
    match a.stop {
        Some(Stop::Diverged { message, .. }) => Err(message),
        _ => Ok(a.taken),
    }
}

/// The message of an error thrown across the boundary.
fn message(err: JsError) -> String {
    let value = JsValue::from(err);
    value
        .dyn_into::<js_sys::Error>()
        .expect("a JS Error")
        .message()
        .into()
}

/// Reads a snapshot object back (the page passes it on to `Figures::ingest` unchanged).
fn read(snapshot: JsValue) -> Snapshot {
    serde_wasm_bindgen::from_value(snapshot).expect("snapshot has the documented shape")
}

#[wasm_bindgen_test]
fn trains_and_reports_metrics() {
    let mut session = session_of(small()).expect("valid config");
    assert_eq!(session.step(), 0.0);
    assert_eq!(run(&mut session, 10).expect("no divergence"), 10);
    assert_eq!(session.step(), 10.0);

    let snap = read(session.snapshot(true).unwrap());
    assert_eq!(snap.step, 10);
    assert_eq!(
        snap.metrics.step, 10,
        "an exact snapshot measures the current step"
    );
    for acc in [snap.metrics.train_acc, snap.metrics.test_acc] {
        assert!((0.0..=1.0).contains(&acc), "accuracy {acc}");
    }
    assert!(snap.metrics.train_loss.is_finite() && snap.metrics.weight_norm > 0.0);
    // Steps 0..9 are all recorded (every step below 100 is).
    let steps: Vec<u64> = snap.points.iter().map(|pt| pt.step).collect();
    assert_eq!(steps, (0..10).collect::<Vec<_>>());
    assert_eq!((snap.lr, snap.wd), (0.01, 1.0));
    let spectrum = snap.spectrum.expect("a spectrum while finite");
    assert_eq!(spectrum.energy.len(), 23 / 2 + 1);
    assert_eq!(snap.circles.len(), CIRCLES);
    assert!(snap.circles.iter().all(|c| c.coords.len() == 23));

    // The non-exact snapshot reports the latest recorded point instead of measuring.
    run(&mut session, 1).unwrap();
    let quick = read(session.snapshot(false).unwrap());
    assert_eq!((quick.step, quick.metrics.step), (11, 10));

    // Keep training: the small task is memorised within a few dozen steps.
    run(&mut session, 60).unwrap();
    let later = read(session.snapshot(true).unwrap());
    assert_eq!(later.step, 71);
    assert!(
        later.metrics.train_acc > 0.99,
        "train acc {}",
        later.metrics.train_acc
    );
    assert!(later.memorised_at.is_some_and(|s| s <= 71));
    assert!(session
        .history_csv()
        .starts_with("step,train_loss,train_acc"));
}

#[wasm_bindgen_test]
fn snapshots_carry_only_what_is_new() {
    let mut session = session_of(small()).unwrap();
    let mut figures = Figures::new();

    run(&mut session, 10).unwrap();
    let first = session.snapshot(true).unwrap();
    figures.ingest(first).unwrap();
    assert_eq!(figures.point_count(), 10);

    run(&mut session, 5).unwrap();
    let second = read(session.snapshot(true).unwrap());
    assert_eq!(second.points_from, 10);
    let steps: Vec<u64> = second.points.iter().map(|pt| pt.step).collect();
    assert_eq!(steps, vec![10, 11, 12, 13, 14], "only the new points");
    figures.add(second);
    assert_eq!(figures.point_count(), 15);

    let idle = read(session.snapshot(true).unwrap());
    assert!(idle.points.is_empty() && idle.events.is_empty());

    // A change of weight decay is handed out once; a second change at the same step
    // replaces it, and the snapshot says so by pointing back at it.
    session.set_hyper(0.01, 0.0).unwrap();
    let changed = read(session.snapshot(true).unwrap());
    assert_eq!((changed.events_from, changed.events.len()), (0, 1));
    assert_eq!((changed.events[0].step, changed.events[0].wd), (15, 0.0));
    figures.add(changed);
    session.set_hyper(0.02, 0.5).unwrap();
    let replaced = read(session.snapshot(true).unwrap());
    assert_eq!((replaced.events_from, replaced.events.len()), (0, 1));
    assert_eq!((replaced.lr, replaced.wd), (0.02, 0.5));
    figures.add(replaced);
    assert_eq!(figures.view().events().len(), 1);
    assert_eq!(figures.view().events()[0].lr, 0.02);

    run(&mut session, 3).unwrap();
    let after = read(session.snapshot(true).unwrap());
    assert!(after.events.is_empty());
    figures.add(after);
    assert_eq!(figures.point_count(), 18);
    let all: Vec<u64> = figures.view().points().iter().map(|pt| pt.step).collect();
    assert_eq!(
        all,
        (0..18).collect::<Vec<_>>(),
        "no point lost or repeated"
    );

    figures.reset();
    assert_eq!(figures.point_count(), 0);
}

#[wasm_bindgen_test]
fn rejects_bad_configs_with_a_readable_message() {
    let composite = config(&[("p", 91.into()), ("op", "div".into())]);
    let msg = message(session_of(composite).expect_err("91 is not prime"));
    assert!(
        msg.contains("prime") && msg.contains("91 = 7 × 13"),
        "{msg}"
    );

    let frac = config(&[("frac", 1.5.into())]);
    let msg = message(check_config(frac).expect_err("frac 1.5 is out of range"));
    assert!(msg.contains("training fraction 1.5"), "{msg}");

    let op = config(&[("op", "pow".into())]);
    let msg = message(session_of(op).expect_err("no such operation"));
    assert!(msg.contains("pow"), "{msg}");

    // A good config comes back normalised: every field present, defaults filled in.
    #[derive(Serialize)]
    struct Partial {
        p: u32,
    }
    let normalised =
        check_config(serde_wasm_bindgen::to_value(&Partial { p: 31 }).unwrap()).expect("valid");
    let back: grokking::Config = serde_wasm_bindgen::from_value(normalised).unwrap();
    assert_eq!(
        back,
        grokking::Config {
            p: 31,
            ..Default::default()
        }
    );
}

#[wasm_bindgen_test]
fn divergence_is_an_error_with_a_message() {
    let mut session = session_of(config(&[("p", 23.into()), ("lr", 10.0.into())])).unwrap();
    let msg = run(&mut session, 500).expect_err("lr 10 with wd 1 blows up");
    assert!(msg.contains("diverged at step"), "{msg}");
    let snap = read(session.snapshot(true).unwrap());
    assert!(snap.diverged_at.is_some());
    assert!(snap.spectrum.is_none() && snap.circles.is_empty());
    assert!(
        run(&mut session, 1).is_err(),
        "a diverged run stays stopped until reset"
    );
}

/// A canvas attached to the test document.
fn canvas(width: u32, height: u32) -> HtmlCanvasElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let canvas: HtmlCanvasElement = document
        .create_element("canvas")
        .unwrap()
        .dyn_into()
        .unwrap();
    canvas.set_width(width);
    canvas.set_height(height);
    document.body().unwrap().append_child(&canvas).unwrap();
    canvas
}

/// Pixels that differ from the background colour of the top-left corner.
fn ink(canvas: &HtmlCanvasElement) -> usize {
    let ctx: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    let (w, h) = (canvas.width(), canvas.height());
    let data = ctx
        .get_image_data(0.0, 0.0, w as f64, h as f64)
        .unwrap()
        .data();
    let background = [data[0], data[1], data[2], data[3]];
    data.chunks_exact(4)
        .filter(|px| px.iter().zip(background).any(|(&a, b)| a.abs_diff(b) > 24))
        .count()
}

#[wasm_bindgen_test]
fn draws_non_blank_figures() {
    let mut session = session_of(small()).unwrap();
    let mut figures = Figures::new();
    run(&mut session, 30).unwrap();
    figures.ingest(session.snapshot(true).unwrap()).unwrap();

    let (w, h) = (480, 300);
    let total = (w * h) as usize;
    let check = |name: &str, canvas: &HtmlCanvasElement| {
        let n = ink(canvas);
        // Axes, ticks, labels and curves: clearly more than nothing, clearly not a fill.
        assert!(
            n > total / 200 && n < total / 2,
            "{name}: {n} of {total} pixels drawn"
        );
    };

    let c = canvas(w, h);
    figures.draw_accuracy(c.clone(), 1.0, false).unwrap();
    check("accuracy", &c);
    let c = canvas(w, h);
    figures.draw_loss(c.clone(), 1.0, false).unwrap();
    check("loss", &c);
    let c = canvas(w, h);
    figures.draw_norm(c.clone(), 1.0, true).unwrap();
    check("weight norm (dark)", &c);
    let c = canvas(w, h);
    assert!(figures.draw_spectrum(c.clone(), 1.0, false).unwrap());
    check("spectrum", &c);
    for i in 0..CIRCLES {
        let c = canvas(h, h);
        assert!(figures.draw_circle(c.clone(), i, 2.0, false).unwrap());
        let n = ink(&c);
        assert!(n > (h * h) as usize / 200, "circle {i}: {n} pixels drawn");
    }
    // No fourth circle: nothing drawn, no error.
    assert!(!figures
        .draw_circle(canvas(50, 50), CIRCLES, 1.0, false)
        .unwrap());
}

// ---------------------------------------------------------------------------------------
// Hidden progress, ablations, "ask the network", phase-diagram cells

#[wasm_bindgen_test]
fn snapshots_carry_progress_points_when_tracked() {
    let mut session = session_of(small()).unwrap();
    let first = read(session.snapshot(false).unwrap());
    assert!(first.progress.is_empty(), "off by default");
    assert!(
        first.has_measures,
        "addition has restricted/excluded losses"
    );

    session.set_track_progress(true);
    run(&mut session, 120).unwrap();
    let snap = read(session.snapshot(false).unwrap());
    assert_eq!(snap.progress_from, 0);
    let steps: Vec<u64> = snap.progress.iter().map(|p| p.step).collect();
    assert_eq!(steps, vec![0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    for pt in &snap.progress {
        let m = pt.measures.as_ref().expect("measures for addition");
        assert!(m.restricted_loss.is_finite() && m.excluded_loss.is_finite());
        assert!((0.0..=1.0).contains(&pt.gini) && (0.0..=1.0).contains(&pt.key_share));
        assert!(!pt.keys.is_empty());
    }
    run(&mut session, 40).unwrap();
    let next = read(session.snapshot(false).unwrap());
    assert_eq!(next.progress_from, 11, "only what is new");
    assert_eq!(
        next.progress.iter().map(|p| p.step).collect::<Vec<_>>(),
        vec![150]
    );

    // The page's copy accumulates them and draws the figure.
    let mut figures = Figures::new();
    figures.add(snap);
    figures.add(next);
    assert_eq!(figures.progress_count(), 12);
    assert!(figures.has_measures());
    let c = canvas(480, 360);
    figures.draw_progress(c.clone(), 1.0, false).unwrap();
    let n = ink(&c);
    assert!(n > 480 * 360 / 200, "progress figure: {n} pixels drawn");

    // Multiplication: progress points without the losses, and the snapshot says so.
    let mut session = session_of(config(&[("p", 23.into()), ("op", "mul".into())])).unwrap();
    session.set_track_progress(true);
    run(&mut session, 20).unwrap();
    let snap = read(session.snapshot(false).unwrap());
    assert!(!snap.has_measures);
    assert_eq!(snap.progress.len(), 2);
    assert!(snap.progress.iter().all(|p| p.measures.is_none()));
}

#[wasm_bindgen_test]
fn ablation_reports_both_ablated_networks_beside_the_real_one() {
    let mut session = session_of(small()).unwrap();
    run(&mut session, 30).unwrap();
    let a: Ablation = serde_wasm_bindgen::from_value(session.ablate().unwrap()).unwrap();
    assert_eq!(a.step, 30, "exactly the current step");
    let exact = read(session.snapshot(true).unwrap()).metrics;
    assert_eq!((a.train_acc, a.test_acc), (exact.train_acc, exact.test_acc));
    let m = a.measures.expect("addition has the measures");
    assert_eq!(m.keys, a.keys);
    for acc in [
        m.restricted_train_acc,
        m.restricted_test_acc,
        m.excluded_train_acc,
        m.excluded_test_acc,
    ] {
        assert!((0.0..=1.0).contains(&acc));
    }

    let mut session = session_of(config(&[("p", 23.into()), ("op", "x2y2".into())])).unwrap();
    run(&mut session, 5).unwrap();
    let a: Ablation = serde_wasm_bindgen::from_value(session.ablate().unwrap()).unwrap();
    assert!(
        a.measures.is_none(),
        "no Fourier answer variable for a² + b²"
    );
}

#[wasm_bindgen_test]
fn predict_gives_softmax_probabilities_truth_and_the_training_flag() {
    let mut session = session_of(small()).unwrap();
    run(&mut session, 40).unwrap();
    let mask = session.run_ref().trainer().data().train_mask();
    let mut seen = [false; 2];
    for (a, b) in [(0, 0), (3, 7), (22, 22), (5, 18), (11, 2), (19, 4), (7, 7)] {
        let pr: Prediction =
            serde_wasm_bindgen::from_value(session.predict(a, b).unwrap()).unwrap();
        assert_eq!((pr.a, pr.b, pr.step), (a, b, 40));
        assert_eq!(pr.truth, (a + b) % 23);
        assert_eq!(pr.probs.len(), 23, "one probability per answer");
        let total: f64 = pr.probs.iter().sum();
        assert!((total - 1.0).abs() < 1e-9, "probabilities sum to {total}");
        assert!(pr.probs.iter().all(|&q| (0.0..=1.0).contains(&q)));
        assert_eq!(pr.top.len(), TOP_GUESSES);
        assert!(pr.top.windows(2).all(|w| w[0].prob >= w[1].prob));
        let best = pr.probs.iter().copied().fold(0.0, f64::max);
        assert_eq!(pr.top[0].prob, best);
        assert_eq!(pr.top[0].prob, pr.probs[pr.top[0].answer as usize]);
        assert_eq!(pr.in_train, mask[(a * 23 + b) as usize]);
        seen[usize::from(pr.in_train)] = true;
    }
    assert!(seen[0] && seen[1], "both training and test pairs asked");

    let err = message(session.predict(23, 1).unwrap_err());
    assert!(err.contains("0 to 22"), "{err}");
    let mut div = session_of(config(&[("p", 23.into()), ("op", "div".into())])).unwrap();
    let err = message(div.predict(4, 0).unwrap_err());
    assert!(err.contains("b = 0"), "{err}");
    assert!(div.predict(4, 2).is_ok());
}

#[wasm_bindgen_test]
fn cell_runner_matches_the_sweep_and_classifies() {
    let cfg = |wd: f64, frac: f64| Config {
        p: 23,
        wd,
        frac,
        ..Config::default()
    };
    let js = |c: &Config| serde_wasm_bindgen::to_value(c).unwrap();
    // Generalises quickly: the run stops early, classified by the sweep's rule.
    for (c, budget) in [(cfg(1.0, 0.9), 1000), (cfg(0.0, 0.5), 200)] {
        let mut run = CellRun::new(js(&c), budget).unwrap();
        let mut slices = 0;
        while !run.run(37) {
            slices += 1;
            assert!(slices < 1000, "the run ends");
        }
        assert!(run.done());
        let cell: Cell = serde_wasm_bindgen::from_value(run.cell().unwrap()).unwrap();
        // Slicing changes nothing: the same outcome as the native sweep's run_cell.
        assert_eq!(cell, sweep::run_cell(&c, u64::from(budget)).unwrap());
        assert_eq!(
            cell.phase,
            Phase::classify(cell.steps_to_train_99, cell.steps_to_test_95)
        );
        if c.wd == 0.0 {
            assert_eq!(cell.phase, Phase::Memorisation);
            assert_eq!(cell.steps, 200, "the whole budget");
        } else {
            assert!(matches!(cell.phase, Phase::Grokking | Phase::Comprehension));
            assert!(cell.steps < 1000, "stopped once generalised");
            assert_eq!(run.step(), cell.steps as f64);
        }
    }
    let err = CellRun::new(config(&[("p", 91.into()), ("op", "div".into())]), 10).unwrap_err();
    assert!(message(err).contains("prime"));

    // The page's grid: outcomes in, a drawn canvas and hit-testing out.
    let mut fig = PhaseFigure::new(vec![0.0, 1.0], vec![0.5, 0.9]);
    let mut run = CellRun::new(js(&cfg(0.0, 0.5)), 50).unwrap();
    while !run.run(50) {}
    fig.set_cell(0, run.cell().unwrap()).unwrap();
    fig.set_running(1);
    assert!(matches!(
        fig.cells()[0],
        grokking::plots::PhaseCell::Done {
            phase: Phase::Memorisation,
            gen: None
        }
    ));
    let c = canvas(480, 360);
    fig.draw(c.clone(), 1.0, false).unwrap();
    assert!(ink(&c) > 480 * 360 / 50, "cells drawn");
    // Bottom-left cell is index 0 (weight decay 0, first fraction).
    assert_eq!(fig.cell_at(480, 360, 1.0, 100.0, 300.0), Some(0));
    assert_eq!(fig.cell_at(480, 360, 1.0, 5.0, 5.0), None);
}

// ---------------------------------------------------------------------------------------
// The article: the task figures, runs side by side, the scrubber, summaries, JSON export

use grokking::plots::PairsLayout;
use grokking::web::article::{
    comparison_summary, draw_comparison, draw_task_clock, draw_task_pairs, task_pair_at,
};

#[wasm_bindgen_test]
fn task_clock_draws_and_explains_bad_input() {
    let c = canvas(420, 460);
    draw_task_clock(c.clone(), 1.0, false, 97, "add", 45, 60).unwrap();
    let n = ink(&c);
    assert!(
        n > 420 * 460 / 100 && n < 420 * 460 / 2,
        "clock: {n} pixels"
    );
    let c = canvas(600, 640);
    draw_task_clock(c.clone(), 1.5, true, 13, "div", 7, 5).unwrap();
    assert!(ink(&c) > 600 * 640 / 100);

    let err = |r: Result<(), JsError>| message(r.expect_err("rejected"));
    let e = err(draw_task_clock(canvas(10, 10), 1.0, false, 97, "div", 4, 0));
    assert!(e.contains("b = 0"), "{e}");
    let e = err(draw_task_clock(canvas(10, 10), 1.0, false, 91, "div", 4, 2));
    assert!(e.contains("91 = 7 × 13"), "{e}");
    let e = err(draw_task_clock(canvas(10, 10), 1.0, false, 97, "pow", 4, 2));
    assert!(e.contains("unknown operation 'pow'"), "{e}");
    let e = err(draw_task_clock(
        canvas(10, 10),
        1.0,
        false,
        97,
        "add",
        97,
        2,
    ));
    assert!(e.contains("0 to 96"), "{e}");
}

#[wasm_bindgen_test]
fn task_pairs_draw_the_runs_split_and_hit_test_in_canvas_pixels() {
    let c = canvas(480, 520);
    draw_task_pairs(c.clone(), 1.0, false, small(), 3, 7).unwrap();
    let n = ink(&c);
    assert!(n > 480 * 520 / 4, "the table fills much of the canvas: {n}");
    // Division with the b = 0 column, no highlight, scale 2.
    let div = config(&[("p", 31.into()), ("op", "div".into())]);
    let c = canvas(960, 1040);
    draw_task_pairs(c.clone(), 2.0, true, div, -1, -1).unwrap();
    assert!(ink(&c) > 960 * 1040 / 4);
    let bad = config(&[("p", 91.into()), ("op", "div".into())]);
    let e = message(draw_task_pairs(canvas(10, 10), 1.0, false, bad, 0, 0).unwrap_err());
    assert!(e.contains("prime"), "{e}");

    // Hit-testing in the canvas's own pixels, at scale 1 and 2: the centre of each cell
    // comes back as its pair; outside is undefined.
    for scale in [1.0, 2.0] {
        let (w, h) = ((480.0 * scale) as u32, (520.0 * scale) as u32);
        let theme = grokking::plots::Theme { scale, dark: false };
        let layout = PairsLayout::new(w, h, 23, &theme).unwrap();
        for (a, b) in [(0, 0), (3, 7), (22, 22), (11, 0), (0, 19)] {
            let (x, y) = layout.center(a, b);
            assert_eq!(
                task_pair_at(w, h, scale, 23, x, y),
                Some(vec![a, b]),
                "({a}, {b}) at scale {scale}"
            );
        }
        assert_eq!(task_pair_at(w, h, scale, 23, 1.0, 1.0), None);
    }
}

/// A session of `fields` trained `steps` steps, with every snapshot ingested into
/// figures (a snapshot every `every` steps, as the worker posts them).
fn trained(fields: &[(&str, JsValue)], steps: u32, every: u32) -> (Session, Figures) {
    let mut session = session_of(config(fields)).unwrap();
    let mut figures = Figures::new();
    figures.ingest(session.snapshot(true).unwrap()).unwrap();
    let mut done = 0;
    while done < steps {
        done += run(&mut session, every.min(steps - done)).unwrap();
        figures.ingest(session.snapshot(false).unwrap()).unwrap();
    }
    (session, figures)
}

#[wasm_bindgen_test]
fn comparison_draws_two_runs_and_summarises_them() {
    let (_, off) = trained(
        &[("p", 23.into()), ("frac", 0.5.into()), ("wd", 0.0.into())],
        150,
        50,
    );
    let (_, on) = trained(&[("p", 23.into()), ("frac", 0.5.into())], 300, 50);
    for metric in ["accuracy", "loss"] {
        let c = canvas(560, 340);
        draw_comparison(
            c.clone(),
            1.0,
            false,
            metric,
            &off,
            "decay off",
            &on,
            "decay on",
        )
        .unwrap();
        let n = ink(&c);
        assert!(n > 560 * 340 / 200 && n < 560 * 340 / 2, "{metric}: {n}");
    }
    let e = message(
        draw_comparison(canvas(10, 10), 1.0, false, "norm", &off, "a", &on, "b").unwrap_err(),
    );
    assert!(e.contains("unknown metric 'norm'"), "{e}");

    let s = comparison_summary(&off, "decay off", &on, "decay on");
    assert!(s.starts_with("decay off — step "), "{s}");
    assert!(s.contains(" decay on — step 290: "), "{s}"); // the last recorded point
    let live = on.summary();
    assert!(live.starts_with("Step 290: train accuracy "), "{live}");
    assert!(
        live.contains("memorised at step") || live.contains("generalised"),
        "{live}"
    );
    assert_eq!(Figures::new().summary(), "No training steps recorded yet.");
}

#[wasm_bindgen_test]
fn snapshots_carry_the_embedding_and_figures_keep_frames_to_scrub() {
    // Frames are taken at fixed steps (History::records_progress: every 10th step to 100,
    // every 50th to 1000), plus the current step when a snapshot is exact.
    let mut session = session_of(small()).unwrap();
    run(&mut session, 23).unwrap();
    let snap = read(session.snapshot(false).unwrap());
    assert_eq!(snap.embedding_d, 32);
    let steps: Vec<u64> = snap.frames.iter().map(|f| f.step).collect();
    assert_eq!(steps, [0, 10, 20], "the scheduled steps passed so far");
    assert_eq!(snap.frames[2].embedding.len(), 23 * 32, "row-major p × d");
    let snap = read(session.snapshot(true).unwrap());
    assert_eq!(
        snap.frames.iter().map(|f| f.step).collect::<Vec<_>>(),
        [23],
        "an exact snapshot adds the current step; nothing is sent twice"
    );
    let embed = session.run_ref().trainer().embedding().to_owned();
    assert_eq!(snap.frames[0].embedding[32 + 5], embed[[1, 5]]);

    // However the run is sliced into snapshots, the frames are the same.
    let (_, coarse) = trained(&[("p", 23.into()), ("frac", 0.5.into())], 400, 37);
    let (session, mut figures) = trained(&[("p", 23.into()), ("frac", 0.5.into())], 400, 20);
    let n = figures.frame_count();
    assert_eq!(n, 17, "steps 0, 10, …, 100, 150, …, 400");
    assert_eq!(coarse.frame_count(), n);
    for i in 0..n {
        assert_eq!(coarse.frame_step(i), figures.frame_step(i));
    }
    assert_eq!(figures.frame_step(0), Some(0.0));
    assert_eq!(figures.frame_step(n - 1), Some(400.0));
    assert_eq!(figures.frame_step(n), None);
    assert_eq!(
        figures.frame_index_at_or_before(95.0),
        9,
        "the frame at step 90"
    );
    assert_eq!(figures.frame_index_at_or_before(-1.0), 0);
    assert_eq!(figures.frame_index_at_or_before(1e9), n - 1);
    let keys = figures.final_keys();
    assert!(!keys.is_empty());
    assert_eq!(
        keys,
        session.run_ref().trainer().spectrum().keys,
        "the latest frame's keys"
    );

    for i in [0, n / 2, n - 1] {
        let c = canvas(300, 300);
        assert!(figures
            .draw_circle_frame(i, keys[0], c.clone(), 1.0, false)
            .unwrap());
        assert!(ink(&c) > 300 * 300 / 200, "circle at frame {i}");
        let c = canvas(480, 300);
        assert!(figures
            .draw_spectrum_frame(i, c.clone(), 1.0, true, keys.clone())
            .unwrap());
        assert!(ink(&c) > 480 * 300 / 200, "spectrum at frame {i}");
        let s = figures.frame_summary(i);
        assert!(
            s.starts_with("Step ") && s.contains("Gini coefficient"),
            "{s}"
        );
    }
    // Any frequency, at any frame; no such frame draws nothing.
    assert!(figures
        .draw_circle_frame(2, 11, canvas(200, 200), 1.0, false)
        .unwrap());
    assert!(!figures
        .draw_circle_frame(n, 1, canvas(200, 200), 1.0, false)
        .unwrap());
    assert!(!figures
        .draw_spectrum_frame(n, canvas(200, 200), 1.0, false, vec![])
        .unwrap());
    assert_eq!(figures.frame_summary(n), "");

    figures.reset();
    assert_eq!(figures.frame_count(), 0);
    assert!(figures.final_keys().is_empty());
}

#[wasm_bindgen_test]
fn history_json_exports_the_run() {
    let mut session = session_of(small()).unwrap();
    run(&mut session, 40).unwrap();
    session.set_hyper(0.01, 0.3).unwrap();
    run(&mut session, 10).unwrap();
    let json = session.history_json().unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["config"]["p"], 23);
    assert_eq!(v["points"].as_array().unwrap().len(), 50);
    assert_eq!(v["events"][0]["wd"], 0.3);
    assert!(v["progress"].as_array().unwrap().is_empty());
    assert!(v["memorised_at"].is_u64() && v["diverged_at"].is_null());
    assert!(v.get("grokked_at").is_some());
}
