//! The run engine's contract: snapshots add up to the history, frames come at fixed
//! steps, a schedule is the same as changing by hand, the stop rules stop where they say,
//! a link replays its run bit for bit, and workers splitting each step match one worker.
#![cfg(not(target_arch = "wasm32"))]

use grokking::engine::split::{LocalShared, SplitLayout, Worker};
use grokking::engine::{to_query, Change, ChangeKind, Link, Run, RunSpec, Stop};
use grokking::{Config, History};

fn small() -> Config {
    Config {
        p: 23,
        ..Config::default()
    }
}

/// Everything about a run that must match bit for bit.
fn fingerprint(run: &Run) -> (Vec<u32>, History, Option<u64>, Option<u64>) {
    let t = run.trainer();
    let bits = t.params().as_slice().iter().map(|x| x.to_bits()).collect();
    (bits, t.history().clone(), t.memorised_at(), t.grokked_at())
}

#[test]
fn snapshot_increments_add_up_to_the_history() {
    let mut run = Run::new(RunSpec::new(small())).unwrap();
    run.set_track_progress(true);
    let mut points = Vec::new();
    let mut events = Vec::new();
    let mut progress = Vec::new();
    for (i, batch) in [7u32, 1, 40, 13, 200, 3].into_iter().enumerate() {
        if i == 3 {
            run.set_hyper(0.02, 0.5).unwrap();
            run.set_hyper(0.02, 0.7).unwrap(); // replaces the event at the same step
        }
        run.advance(batch);
        let s = run.snapshot(i % 2 == 0);
        points.truncate(s.points_from);
        points.extend(s.points);
        events.truncate(s.events_from);
        events.extend(s.events);
        progress.truncate(s.progress_from);
        progress.extend(s.progress);
        assert_eq!(s.step, run.step());
    }
    let h = run.trainer().history();
    assert_eq!(points, h.points);
    assert_eq!(events, h.events);
    assert_eq!(events.last().unwrap().wd, 0.7);
    assert_eq!(progress, h.progress);
    assert!(h.points.len() > 100 && h.progress.len() > 10);
}

#[test]
fn frames_are_taken_at_fixed_steps_whatever_the_batches() {
    let frames_of = |batches: &[u32]| {
        let mut run = Run::new(RunSpec::new(small())).unwrap();
        let mut steps = Vec::new();
        for &b in batches {
            run.advance(b);
            steps.extend(run.snapshot(false).frames.iter().map(|f| f.step));
        }
        steps
    };
    let a = frames_of(&[300]);
    let b = frames_of(&[1, 2, 3, 50, 77, 167]);
    assert_eq!(a, b);
    let expect: Vec<u64> = (0..=300)
        .filter(|&s| s == 0 || History::records_progress(s))
        .collect();
    assert_eq!(a, expect);
}

#[test]
fn a_schedule_is_the_same_as_changing_by_hand_at_those_steps() {
    let mut spec = RunSpec::new(small());
    spec.schedule_change(Change {
        step: 40,
        what: ChangeKind::Hyper { lr: 0.02, wd: 0.1 },
    });
    spec.schedule_change(Change {
        step: 90,
        what: ChangeKind::Shrink { keep: 0.6 },
    });
    spec.schedule_change(Change {
        step: 120,
        what: ChangeKind::Hyper { lr: 0.005, wd: 2.0 },
    });
    let mut scheduled = Run::new(spec.clone()).unwrap();
    assert_eq!(scheduled.advance(200).taken, 200);

    let mut by_hand = Run::new(RunSpec::new(small())).unwrap();
    by_hand.advance(40);
    by_hand.set_hyper(0.02, 0.1).unwrap();
    by_hand.advance(50);
    by_hand.shrink_now(0.6).unwrap();
    by_hand.advance(30);
    by_hand.set_hyper(0.005, 2.0).unwrap();
    by_hand.advance(80);
    assert_eq!(fingerprint(&scheduled), fingerprint(&by_hand));
    assert_eq!(
        by_hand.spec().schedule,
        spec.schedule,
        "changes by hand are recorded"
    );
    let kept = (scheduled.trainer().config().train_pairs() as f64 * 0.6).round() as usize;
    assert_eq!(scheduled.trainer().data().train.len(), kept);
    // And a run without the changes differs, so the comparison can fail.
    let mut plain = Run::new(RunSpec::new(small())).unwrap();
    plain.advance(200);
    assert_ne!(fingerprint(&plain).0, fingerprint(&scheduled).0);
}

#[test]
fn until_pauses_exactly_and_play_goes_on() {
    let mut spec = RunSpec::new(small());
    spec.until = Some(123);
    let mut run = Run::new(spec).unwrap();
    let a = run.advance(100);
    assert_eq!((a.taken, a.stop), (100, None));
    let a = run.advance(100);
    assert_eq!((a.taken, a.stop), (23, Some(Stop::Until)));
    assert_eq!(run.advance(5).taken, 0, "stays paused");
    run.resume();
    assert_eq!(run.advance(5).taken, 5);
}

/// A small run that memorises, then groks (at step 250), in a fraction of a second.
fn groks_soon() -> Config {
    Config {
        p: 23,
        frac: 0.9,
        ..Config::default()
    }
}

#[test]
fn stop_when_grokked_stops_right_after_the_grokked_step() {
    let mut spec = RunSpec::new(groks_soon());
    spec.stop_when_grokked = true;
    let mut run = Run::new(spec.clone()).unwrap();
    let mut last = None;
    for _ in 0..100 {
        let a = run.advance(37);
        if a.stop.is_some() {
            last = a.stop;
            break;
        }
    }
    assert_eq!(last, Some(Stop::Grokked));
    let grokked = run.trainer().grokked_at().expect("the run groks");
    assert!(
        grokked > 5 * run.trainer().memorised_at().unwrap(),
        "it grokked"
    );
    assert_eq!(run.step(), grokked + 1);
    let again = run.advance(10);
    assert_eq!(
        (again.taken, again.stop),
        (0, Some(Stop::Grokked)),
        "stays stopped"
    );
    run.resume();
    assert_eq!(run.advance(10).taken, 10, "Play after the stop goes on");
    assert_eq!(run.stop_due(), None);

    // A batch that ends exactly at that step reports the stop itself (a worker whose
    // slice ends there pauses there, not one slice later).
    let mut again = Run::new(spec).unwrap();
    let n = u32::try_from(grokked + 1).unwrap();
    let a = again.advance(n);
    assert_eq!((a.taken, a.stop), (n, Some(Stop::Grokked)));
}

#[test]
fn a_link_replays_its_run_bit_for_bit() {
    let mut run = Run::new(RunSpec::new(small())).unwrap();
    run.advance(60);
    run.set_hyper(0.02, 0.0).unwrap();
    run.advance(45);
    run.shrink_now(0.5).unwrap();
    run.advance(40);
    let query = to_query(&run.link_spec(true), true);
    let link = Link::parse(&format!("http://127.0.0.1:8000/{query}#playground"));
    assert!(link.notices.is_empty(), "{:?}", link.notices);
    assert_eq!(link.spec.until, Some(145));
    let mut replay = Run::new(link.spec).unwrap();
    let a = replay.advance(10_000);
    assert_eq!(a.stop, Some(Stop::Until));
    assert_eq!(fingerprint(&replay), fingerprint(&run));
    // Serialised as JSON (the form workers receive) it replays the same.
    let json = serde_json::to_string(run.spec()).unwrap();
    let mut again = Run::new(serde_json::from_str(&json).unwrap()).unwrap();
    again.set_until(Some(145));
    again.advance(10_000);
    assert_eq!(fingerprint(&again), fingerprint(&run));
}

/// Trains `spec` for `steps` with its steps split between `workers` threads through
/// shared memory, progress tracked, the leader changing hyperparameters by hand midway.
fn split_run(spec: &RunSpec, workers: usize, steps: u32) -> Run {
    let mut lead = Run::new(spec.clone()).unwrap();
    lead.set_track_progress(true);
    let layout = SplitLayout::new(workers, lead.trainer().partial_len()).unwrap();
    let mem = LocalShared::new(layout);
    std::thread::scope(|scope| {
        for w in 1..workers {
            let (mem, spec) = (&mem, spec.clone());
            scope.spawn(move || {
                let mut follower = Run::new(spec).unwrap();
                let mut me = Worker::new(mem, layout, w);
                me.follow(follower.trainer_mut())
            });
        }
        let mut me = Worker::new(&mem, layout, 0);
        let half = steps / 2;
        let first = lead.advance_with(half, |t| me.lead_step(t));
        lead.set_hyper(0.03, 0.2).unwrap();
        lead.shrink_now(0.7).unwrap();
        let second = lead.advance_with(steps - half, |t| me.lead_step(t));
        // Release the followers before checking, so a failure cannot leave them waiting.
        me.stop();
        assert_eq!(first.taken, half, "{:?}", first.stop);
        assert_eq!(second.taken, steps - half, "{:?}", second.stop);
    });
    lead
}

#[test]
fn workers_splitting_each_step_match_one_worker_bit_for_bit() {
    for config in [
        small(),
        Config {
            batch: 64,
            grokfast: Some(grokking::config::GrokfastConfig {
                alpha: 0.9,
                lambda: 1.0,
            }),
            fix_norm: Some(30.0),
            ..small()
        },
    ] {
        let spec = RunSpec::new(config);
        let one = split_run(&spec, 1, 160);
        for workers in [2, 4, 8] {
            let many = split_run(&spec, workers, 160);
            assert_eq!(fingerprint(&one), fingerprint(&many), "{workers} workers");
        }
        // And both equal the run taken without any split.
        let mut plain = Run::new(spec.clone()).unwrap();
        plain.set_track_progress(true);
        plain.advance(80);
        plain.set_hyper(0.03, 0.2).unwrap();
        plain.shrink_now(0.7).unwrap();
        plain.advance(80);
        assert_eq!(fingerprint(&plain), fingerprint(&one));
        assert!(one.trainer().history().progress.len() > 5);
    }
}

#[test]
fn transformer_runs_split_between_workers_match_one_worker_bit_for_bit() {
    let config = Config {
        p: 23,
        model: grokking::model::ModelKind::Transformer,
        d: 16,
        heads: 4,
        hidden: 32,
        lr: 0.003,
        frac: 0.4,
        ..Config::default()
    };
    let spec = RunSpec::new(config);
    let one = split_run(&spec, 1, 120);
    for workers in [2, 4, 8] {
        let many = split_run(&spec, workers, 120);
        assert_eq!(fingerprint(&one), fingerprint(&many), "{workers} workers");
    }
    let mut plain = Run::new(spec).unwrap();
    plain.set_track_progress(true);
    plain.advance(60);
    plain.set_hyper(0.03, 0.2).unwrap();
    plain.shrink_now(0.7).unwrap();
    plain.advance(60);
    assert_eq!(fingerprint(&plain), fingerprint(&one));
}
