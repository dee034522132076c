//! The `grok` command line: a JSON summary last on stdout, clear errors on bad input.
#![cfg(not(target_arch = "wasm32"))]

use std::process::Command;

fn grok(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_grok"))
        .args(args)
        .output()
        .expect("grok runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn train_prints_a_json_summary_last_and_writes_csv() {
    let csv = std::env::temp_dir().join(format!("grok-cli-{}.csv", std::process::id()));
    let csv_arg = csv.to_str().unwrap();
    let (ok, stdout, stderr) = grok(&[
        "train", "--p", "23", "--op", "sub", "--frac", "0.5", "--steps", "120", "--seed", "4",
        "--csv", csv_arg,
    ]);
    assert!(ok, "{stderr}");
    let last = stdout.lines().last().expect("some output");
    let v: serde_json::Value = serde_json::from_str(last).expect("last line is JSON");
    assert_eq!(v["steps"], 120);
    assert_eq!(v["config"]["op"], "sub");
    assert_eq!(v["config"]["p"], 23);
    for key in ["train_acc", "test_acc", "steps_per_second"] {
        assert!(v[key].is_number(), "{key} in {last}");
    }
    for key in ["steps_to_train_99", "steps_to_test_95"] {
        assert!(v.get(key).is_some(), "{key} present (a number or null)");
    }
    let text = std::fs::read_to_string(&csv).unwrap();
    std::fs::remove_file(&csv).ok();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("step,train_loss,train_acc,test_loss,test_acc,weight_norm")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(
        rows.len(),
        100 + 2,
        "steps 0..100, then 100 and 110 (step 120 is not taken)"
    );
    assert!(rows[0].starts_with("0,"));
}

#[test]
fn stop_when_grokked_stops_at_the_grokking_step() {
    let (ok, stdout, stderr) = grok(&[
        "train",
        "--p",
        "31",
        "--frac",
        "0.6",
        "--steps",
        "5000",
        "--stop-when-grokked",
        "--quiet",
    ]);
    assert!(ok, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let grokked = v["steps_to_test_95"]
        .as_u64()
        .expect("p = 31 at 60% groks within 5000 steps");
    assert_eq!(
        v["steps"].as_u64(),
        Some(grokked + 1),
        "stopped right after the grokking step"
    );
    assert!(v["test_acc"].as_f64().unwrap() >= 0.9);
}

#[test]
fn bad_arguments_fail_with_a_clear_message() {
    for (args, expect) in [
        (vec!["train", "--op", "pow"], "unknown operation 'pow'"),
        (vec!["train", "--p", "91", "--op", "div"], "not prime"),
        (
            vec!["train", "--frac", "abc"],
            "invalid value 'abc' for '--frac <FRAC>'",
        ),
        (vec!["train", "--lr"], "a value is required for '--lr <LR>'"),
        (vec!["train", "--bogus"], "unexpected argument '--bogus'"),
        (vec!["train", "--frac", "0"], "training fraction"),
        (
            vec!["train", "--fix-norm", "0"],
            "fixed weight norm 0 is out of range",
        ),
        (
            vec!["train", "--init-scale", "-2"],
            "initialisation scale -2",
        ),
        (vec!["train", "--grokfast", "1.5,2"], "0 < alpha < 1"),
        (vec!["train", "--grokfast", "0.9"], "ALPHA,LAMBDA"),
        (
            vec!["train", "--batch", "5000"],
            "larger than the training set",
        ),
        (
            vec!["train", "--optimizer", "sgd"],
            "unknown optimizer 'sgd'",
        ),
        (vec!["train", "--shrink-at", "100"], "--shrink-to"),
        (
            vec!["train", "--shrink-at", "100", "--shrink-to", "0"],
            "more than 0 and at most 1",
        ),
        (
            vec!["train", "--link", "?p=23", "--wd", "0"],
            "'--link <URL>' cannot be used with '--wd <WD>'",
        ),
        (
            vec!["train", "--link", "https://example.org/"],
            "has no run settings",
        ),
        (vec!["fly"], "unrecognized subcommand 'fly'"),
        (vec![], "Usage: grok <COMMAND>"),
    ] {
        let (ok, _, stderr) = grok(&args);
        assert!(!ok, "{args:?} should fail");
        assert!(
            stderr.contains(expect),
            "{args:?}: expected '{expect}' in: {stderr}"
        );
    }
}

#[test]
fn divergence_is_reported_not_hidden() {
    let (ok, stdout, stderr) = grok(&[
        "train", "--p", "23", "--lr", "10", "--steps", "500", "--quiet",
    ]);
    assert!(ok, "a diverged run still prints its summary");
    assert!(stderr.contains("diverged"), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert!(v["diverged_at"].is_u64());
}

#[test]
fn sweep_writes_one_classified_row_per_run() {
    let csv = std::env::temp_dir().join(format!("grok-sweep-{}.csv", std::process::id()));
    let (ok, stdout, stderr) = grok(&[
        "sweep",
        "--p",
        "23",
        "--wd",
        "0,1",
        "--frac",
        "0.4,0.7",
        "--seeds",
        "2",
        "--steps",
        "1500",
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let text = std::fs::read_to_string(&csv).unwrap();
    std::fs::remove_file(&csv).ok();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("wd,frac,seed,steps_to_train_99,steps_to_test_95,phase")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2 * 2 * 2);
    let phases = ["confusion", "memorisation", "grokking", "comprehension"];
    for row in &rows {
        assert_eq!(row.len(), 6);
        assert!(phases.contains(&row[5]), "{row:?}");
        // The phase agrees with the two step columns.
        let fit: Option<u64> = row[3].parse().ok();
        let gen: Option<u64> = row[4].parse().ok();
        assert_eq!(row[5], grokking::sweep::Phase::classify(fit, gen).name());
    }
    assert_eq!((rows[0][0], rows[0][1], rows[0][2]), ("0", "0.4", "0"));
    assert_eq!(rows[1][2], "1", "seeds vary fastest");
    // No decay: memorises, does not generalise in this budget; decay 1 at 70%: generalises.
    assert!(
        rows.iter()
            .filter(|r| r[0] == "0")
            .all(|r| r[5] == "memorisation"),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .filter(|r| r[0] == "1" && r[1] == "0.7")
            .all(|r| !r[4].is_empty()),
        "{rows:?}"
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["cells"], 8);
}

#[test]
fn sweep_rejects_bad_lists_before_training() {
    for (args, expect) in [
        (
            vec!["sweep", "--wd", "0,x", "--frac", "0.3"],
            "--wd: 'x' is not a number",
        ),
        (vec!["sweep", "--wd", "0"], "sweep needs two axes"),
        (
            vec!["sweep", "--wd", "0,-1", "--frac", "0.3"],
            "weight decay -1",
        ),
        (
            vec!["sweep", "--wd", "1", "--frac", "0.3,1.2"],
            "training fraction 1.2",
        ),
        (
            vec![
                "sweep", "--wd", "0,1", "--frac", "0.3,0.5", "--lr", "0.01,0.1",
            ],
            "sweep needs two axes",
        ),
    ] {
        let (ok, _, stderr) = grok(&args);
        assert!(!ok, "{args:?} should fail");
        assert!(
            stderr.contains(expect),
            "{args:?}: expected '{expect}' in: {stderr}"
        );
    }
}

/// A link copied from the page replays its run: the same numbers as the flags that
/// describe the same run, stopping where the link says.
#[test]
fn train_link_replays_the_same_run_as_the_flags() {
    let link = "http://127.0.0.1:8000/?p=23&op=add&frac=0.5&wd=1&lr=0.01&d=32&hidden=128&seed=3&hyper=40:0.02:0.5&shrink=60:0.8&until=90#playground";
    let (ok, stdout, stderr) = grok(&["train", "--link", link, "--quiet"]);
    assert!(ok, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(v["steps"], 90, "stops at the link's until");
    assert_eq!(v["config"]["wd"], 0.5, "the scheduled change is in force");
    assert_eq!(v["spec"]["schedule"].as_array().unwrap().len(), 2);
    // The same run written as flags up to the first change, then compared by its summary.
    let (ok2, stdout2, _) = grok(&["train", "--link", link, "--quiet", "--steps", "5"]);
    assert!(ok2);
    let v2: serde_json::Value = serde_json::from_str(stdout2.lines().last().unwrap()).unwrap();
    assert_eq!(
        v2["train_acc"], v["train_acc"],
        "--steps does not override a link's until"
    );
    let (ok3, stdout3, stderr3) = grok(&[
        "train",
        "--p",
        "23",
        "--frac",
        "0.5",
        "--seed",
        "3",
        "--steps",
        "90",
        "--quiet",
        "--shrink-at",
        "60",
        "--shrink-to",
        "0.8",
    ]);
    assert!(ok3, "{stderr3}");
    let v3: serde_json::Value = serde_json::from_str(stdout3.lines().last().unwrap()).unwrap();
    assert_ne!(
        v3["train_loss"], v["train_loss"],
        "without the link's learning-rate change the run differs"
    );
}

/// A garbage link is replayed as the page would (defaults, clamps), with the page's
/// notices on stderr.
#[test]
fn train_link_reports_what_it_changed() {
    let (ok, stdout, stderr) = grok(&["train", "--link", "?p=23&frac=7&zzz=1&until=3", "--quiet"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("frac=7 is out of range"), "{stderr}");
    assert!(stderr.contains("unknown parameter \"zzz\""), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(v["config"]["frac"], 0.95);
    assert_eq!(v["steps"], 3);
}

/// Any two of the five settings can be a sweep's axes; the CSV names them.
#[test]
fn sweep_takes_other_axes() {
    let (ok, stdout, stderr) = grok(&[
        "sweep",
        "--p",
        "23",
        "--init-scale",
        "0.5,2",
        "--wd",
        "0,1",
        "--frac",
        "0.5",
        "--steps",
        "300",
        "--threads",
        "2",
    ]);
    assert!(ok, "{stderr}");
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some("wd,init_scale,seed,steps_to_train_99,steps_to_test_95,phase")
    );
    let rows: Vec<&str> = lines.take(4).collect();
    assert_eq!(rows[0].split(',').take(2).collect::<Vec<_>>(), ["0", "0.5"]);
    assert_eq!(rows[3].split(',').take(2).collect::<Vec<_>>(), ["1", "2"]);
}
