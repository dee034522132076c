//! The transformer of DESIGN.md ("The transformer of the papers"): its gradients against
//! finite differences of a naive f64 forward pass written out here, its attention
//! pattern, determinism, validation, and the grokking run of the live preset.
//!
//! The real runs take seconds each in release mode:
//! `cargo test --release --test transformer`.
#![cfg(not(target_arch = "wasm32"))]
// The reference pass is written with index loops on purpose: it reads like the maths and
// shares nothing with the fast pass's iterator code.
#![allow(clippy::needless_range_loop)]

use grokking::config::ConfigError;
use grokking::engine::{to_query, Link, Run, RunSpec};
use grokking::mechanism::Verdict;
use grokking::model::transformer::{self, Shape, Transformer};
use grokking::params::Params;
use grokking::task::{Dataset, Op, Pair};
use grokking::{Config, Trainer};

/// The whole network in f64, as the papers write it: residual inputs at all three
/// positions, queries, keys and values at every position, causal attention, the MLP at
/// every position, logits read at "=". Independent of the fast pass's shortcuts (the
/// tables, the "=" query alone).
fn naive_logits(params: &Params, shape: Shape, a: usize, b: usize) -> Vec<f64> {
    let Shape { p, d, heads, mlp } = shape;
    let dh = d / heads;
    let m = |name: &str| params.matrix(name).mapv(f64::from);
    let (embed, pos) = (m("embed"), m("pos"));
    let (wq, wk, wv, wo) = (m("wq"), m("wk"), m("wv"), m("wo"));
    let (w_in, w_out, unembed) = (m("w_in"), m("w_out"), m("unembed"));
    let b_in: Vec<f64> = params.block("b_in").iter().map(|&x| x as f64).collect();
    let b_out: Vec<f64> = params.block("b_out").iter().map(|&x| x as f64).collect();
    let tokens = [a, b, p];
    let mut x = vec![vec![0.0f64; d]; 3];
    for (i, &t) in tokens.iter().enumerate() {
        for c in 0..d {
            x[i][c] = embed[[t, c]] + pos[[i, c]];
        }
    }
    let project = |w: &ndarray::Array2<f64>, v: &[f64]| -> Vec<f64> {
        (0..w.ncols())
            .map(|o| (0..v.len()).map(|i| v[i] * w[[i, o]]).sum())
            .collect()
    };
    let q: Vec<Vec<f64>> = x.iter().map(|x| project(&wq, x)).collect();
    let k: Vec<Vec<f64>> = x.iter().map(|x| project(&wk, x)).collect();
    let v: Vec<Vec<f64>> = x.iter().map(|x| project(&wv, x)).collect();
    let mut resid = x.clone();
    for i in 0..3 {
        let mut z = vec![0.0; d];
        for h in 0..heads {
            let cols = h * dh..(h + 1) * dh;
            // Causal: position i attends to 0..=i.
            let scores: Vec<f64> = (0..=i)
                .map(|j| cols.clone().map(|c| q[i][c] * k[j][c]).sum::<f64>() / (dh as f64).sqrt())
                .collect();
            let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
            let sum: f64 = e.iter().sum();
            for j in 0..=i {
                for c in cols.clone() {
                    z[c] += e[j] / sum * v[j][c];
                }
            }
        }
        let out = project(&wo, &z);
        for c in 0..d {
            resid[i][c] += out[c];
        }
        let hidden: Vec<f64> = project(&w_in, &resid[i])
            .iter()
            .zip(&b_in)
            .map(|(u, b)| (u + b).max(0.0))
            .collect();
        assert_eq!(hidden.len(), mlp);
        let out = project(&w_out, &hidden);
        for c in 0..d {
            resid[i][c] += out[c] + b_out[c];
        }
    }
    project(&unembed, &resid[2])
}

/// Mean cross-entropy over `pairs`, naively in f64.
fn naive_loss(params: &Params, shape: Shape, pairs: &[Pair]) -> f64 {
    let mut total = 0.0;
    for pair in pairs {
        let logits = naive_logits(params, shape, pair.a as usize, pair.b as usize);
        let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = logits.iter().map(|z| (z - max).exp()).sum::<f64>().ln() + max;
        total += lse - logits[pair.label as usize];
    }
    total / pairs.len() as f64
}

/// Parameters with non-zero biases and sharpened queries and keys, so the attention is
/// far from uniform and every block's gradient is exercised.
fn setup(shape: Shape, seed: u32) -> Params {
    let mut params = Transformer::new(shape).init(seed, 1.0);
    for name in ["wq", "wk"] {
        params.matrix_mut(name).iter_mut().for_each(|w| *w *= 3.0);
    }
    for (name, step) in [("b_in", 0.1f32), ("b_out", -0.07)] {
        params
            .vector_mut(name)
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = step * (i as f32 - 2.0));
    }
    params
}

/// The analytic gradient of the mean loss over all p² pairs of `shape` against central
/// differences of the naive f64 loss, block by block.
fn check_gradients(shape: Shape) {
    let params = setup(shape, 3);
    let pairs = Dataset::all_pairs(shape.p as u32, Op::Add);
    let model = Transformer::new(shape);
    let mut ws = model.workspace(pairs.len());
    let mut grads = Params::zeros(params.layout());
    let stats = transformer::loss_and_grad(&params, &pairs, pairs.len(), &mut grads, &mut ws);
    let naive = naive_loss(&params, shape, &pairs);
    assert!(
        (stats.loss - naive).abs() < 1e-5 * naive.max(1.0),
        "loss {} vs naive {naive}",
        stats.loss
    );
    let names: Vec<&str> = params.layout().blocks().iter().map(|b| b.name).collect();
    assert_eq!(names.len(), 11);
    for name in names {
        let range = params.layout().block(name).range();
        let mut worst = 0.0f64;
        for i in range {
            let g = grads.as_slice()[i] as f64;
            let (mut plus, mut minus) = (params.clone(), params.clone());
            // Small, so no ReLU of any pair crosses its kink (a step of 1e-3 on the "="
            // embedding, which every pair reads, did: 3% off).
            plus.as_mut_slice()[i] += 1e-4;
            minus.as_mut_slice()[i] -= 1e-4;
            // The step actually taken in f32.
            let h = (plus.as_slice()[i] - minus.as_slice()[i]) as f64;
            let fd = (naive_loss(&plus, shape, &pairs) - naive_loss(&minus, shape, &pairs)) / h;
            let err = (fd - g).abs() / (fd.abs() + g.abs()).max(1e-3);
            if err > 1e-2 {
                eprintln!("{name}[{i}]: finite difference {fd}, analytic {g}");
            }
            worst = worst.max(err);
        }
        assert!(worst < 1e-2, "{name}: worst relative error {worst}");
    }
}

#[test]
fn gradients_of_every_block_match_finite_differences() {
    check_gradients(Shape {
        p: 7,
        d: 8,
        heads: 2,
        mlp: 12,
    });
}

/// The same on a batch of three blocks (256 + 256 + 17 pairs), with widths that are
/// not multiples of the vector width, so every sum must carry from block to block and
/// the padded buffers must keep their padding out of the results.
#[test]
fn gradients_of_a_batch_of_several_blocks_match_finite_differences() {
    check_gradients(Shape {
        p: 23,
        d: 6,
        heads: 3,
        mlp: 5,
    });
}

#[test]
fn the_gradients_of_parts_of_a_batch_add_up_to_the_whole() {
    let shape = Shape {
        p: 11,
        d: 8,
        heads: 4,
        mlp: 16,
    };
    let params = setup(shape, 1);
    let pairs = Dataset::all_pairs(11, Op::Add);
    let mut ws = Transformer::new(shape).workspace(pairs.len());
    let mut whole = Params::zeros(params.layout());
    transformer::loss_and_grad(&params, &pairs, pairs.len(), &mut whole, &mut ws);
    let (first, second) = pairs.split_at(50);
    let mut sum = Params::zeros(params.layout());
    transformer::loss_and_grad(&params, first, pairs.len(), &mut sum, &mut ws);
    let mut part = Params::zeros(params.layout());
    transformer::loss_and_grad(&params, second, pairs.len(), &mut part, &mut ws);
    sum.add_assign(&part);
    for (x, y) in sum.as_slice().iter().zip(whole.as_slice()) {
        assert!((x - y).abs() <= 1e-6 + 1e-4 * y.abs(), "{x} vs {y}");
    }
}

#[test]
fn input_gradients_are_the_logits_derivatives_along_each_operand() {
    let shape = Shape {
        p: 11,
        d: 8,
        heads: 2,
        mlp: 16,
    };
    let params = setup(shape, 4);
    let model = Transformer::new(shape);
    // a ≠ b, so moving W_E[a] moves position 0's input only, and W_E[b] position 1's.
    for (a, b, c) in [(2u32, 7u32, 9u32), (10, 0, 10)] {
        let grads = model.input_gradients(&params, a, b, c);
        for (slot, token) in [(0, a), (1, b)] {
            for k in 0..shape.d {
                let (mut plus, mut minus) = (params.clone(), params.clone());
                plus.matrix_mut("embed")[[token as usize, k]] += 1e-3;
                minus.matrix_mut("embed")[[token as usize, k]] -= 1e-3;
                let h = (plus.matrix("embed")[[token as usize, k]]
                    - minus.matrix("embed")[[token as usize, k]]) as f64;
                let logit = |p: &Params| naive_logits(p, shape, a as usize, b as usize)[c as usize];
                let fd = (logit(&plus) - logit(&minus)) / h;
                let g = grads[slot][k];
                assert!(
                    (fd - g).abs() < 1e-4 * (1.0 + g.abs()),
                    "({a}, {b}) → {c}, operand {slot}[{k}]: {fd} vs {g}"
                );
            }
        }
    }
}

#[test]
fn attention_rows_sum_to_one_under_the_causal_mask() {
    let shape = Shape {
        p: 13,
        d: 16,
        heads: 4,
        mlp: 32,
    };
    let model = Transformer::new(shape);
    let params = setup(shape, 2);
    for (a, b) in [(0, 0), (3, 9), (12, 1), (7, 7)] {
        let att = model.attention(&params, a, b);
        assert_eq!(att.dim(), (4, 3, 3));
        for h in 0..4 {
            for q in 0..3 {
                let row: f64 = (0..3).map(|k| att[[h, q, k]]).sum();
                assert!(
                    (row - 1.0).abs() < 1e-12,
                    "head {h} query {q} sums to {row}"
                );
                for k in q + 1..3 {
                    assert_eq!(att[[h, q, k]], 0.0, "query {q} must not see key {k}");
                }
            }
            // Position 0 sees only itself; positions 1 and 2 spread their attention.
            assert_eq!(att[[h, 0, 0]], 1.0);
            assert!(att[[h, 1, 0]] > 0.0 && att[[h, 1, 1]] > 0.0);
            assert!((0..3).all(|k| att[[h, 2, k]] > 0.0));
        }
    }
}

/// The live preset of DESIGN.md: p 97, d 32, 4 heads, MLP 128, lr 3e-3, wd 1, frac 0.4.
fn preset(seed: u32) -> Config {
    Config {
        seed,
        ..Config::transformer_preset()
    }
}

/// Every bit of a trainer's state that a run depends on.
fn bits(t: &Trainer) -> Vec<u32> {
    t.params().as_slice().iter().map(|x| x.to_bits()).collect()
}

#[test]
fn the_same_seed_gives_the_same_bits() {
    let small = |seed| Config {
        p: 23,
        ..preset(seed)
    };
    let run = |config: Config| {
        let mut t = Trainer::new(config).unwrap();
        t.run(40).unwrap();
        t
    };
    let (a, b) = (run(small(0)), run(small(0)));
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(a.history(), b.history());
    assert_ne!(bits(&a), bits(&run(small(1))), "another seed, another run");
    // And two threads computing the gradient's parts give the same bits as one.
    let mut parallel = Trainer::new(small(0)).unwrap();
    parallel.set_parallel(true);
    parallel.run(40).unwrap();
    assert_eq!(bits(&parallel), bits(&a));
}

#[test]
fn configs_with_bad_shapes_are_rejected_with_a_reason() {
    let bad = |c: Config| c.validate().unwrap_err();
    assert_eq!(
        bad(Config {
            heads: 3,
            ..preset(0)
        }),
        ConfigError::Heads { heads: 3, d: 32 }
    );
    let zero = bad(Config {
        heads: 0,
        ..preset(0)
    });
    assert!(
        zero.to_string().contains("at least one attention head"),
        "{zero}"
    );
    assert!(matches!(
        bad(Config {
            hidden: 0,
            ..preset(0)
        }),
        ConfigError::Width {
            field: "hidden",
            ..
        }
    ));
    assert!(matches!(
        bad(Config { d: 0, ..preset(0) }),
        ConfigError::Width { field: "d", .. }
    ));
    let big = bad(Config {
        p: 127,
        ..preset(0)
    });
    assert_eq!(
        big,
        ConfigError::TransformerModulus {
            p: 127,
            max: Config::MAX_TRANSFORMER_P
        }
    );
    assert!(
        big.to_string().contains("too large for the transformer"),
        "{big}"
    );
    // The MLP ignores the heads and takes larger moduli.
    assert!(Config {
        heads: 3,
        p: 127,
        ..Config::default()
    }
    .validate()
    .is_ok());
    assert!(Config {
        p: Config::MAX_TRANSFORMER_P,
        ..preset(0)
    }
    .validate()
    .is_ok());
}

/// Train until grokked or `max_steps`.
fn train(config: Config, max_steps: u64) -> Trainer {
    let mut t = Trainer::new(config).expect("valid config");
    while t.step_count() < max_steps && t.grokked_at().is_none() {
        t.step().expect("the preset does not diverge");
    }
    t
}

/// The live preset groks like PyTorch's run of exactly this model (DESIGN.md: memorises
/// at ~260–280 steps, groks at 500, 840, 540 for seeds 0–2). Ours, measured with `grok
/// train --model transformer --d 32 --heads 4 --mlp 128 --lr 0.003 --wd 1 --frac 0.4
/// --seed S --stop-when-grokked --eval-every 10`: seed 0 memorises at 245 and groks at
/// 910; seed 1 276 / 1390; seed 2 207 / 340. Seed 0 is pinned here (±15% and ±20%): a
/// change to the model, its initialisation or the optimiser moves it. Once grokked, the
/// transformer's clock-or-pizza measures say clock (seeds 0–2: symmetricity 0.03, −0.20,
/// 0.25; distance irrelevance 0.82, 0.89, 0.80), as Nanda et al.'s transformer with
/// learned attention is a clock.
#[test]
fn the_preset_memorises_then_groks_like_pytorch() {
    let mut t = train(preset(0), 2000);
    let memorised = t.memorised_at().expect("train accuracy reaches 99%");
    let grokked = t.grokked_at().expect("test accuracy reaches 95% by 2000");
    eprintln!("seed 0: memorised at {memorised}, grokked at {grokked}");
    assert!(
        (208..=282).contains(&memorised),
        "memorised at {memorised}, measured 245"
    );
    assert!(
        (728..=1092).contains(&grokked),
        "grokked at {grokked}, measured 910"
    );
    // Generalisation lags memorisation: when train accuracy reaches 99%, test accuracy
    // is far below, and 95% comes hundreds of steps later (the transformer's test
    // accuracy then climbs steadily rather than jumping: 56% at step 350).
    let at = t
        .history()
        .points
        .iter()
        .find(|pt| pt.step >= memorised)
        .expect("recorded");
    assert!(at.test_acc < 0.5, "{at:?}");
    assert!(grokked >= memorised + 300);
    let cp = t.clock_pizza().expect("addition");
    eprintln!("grokked transformer: {}", cp.summary());
    assert_eq!(cp.verdict, Verdict::Clock, "{}", cp.summary());
    assert!(cp.gradient_symmetricity.unwrap() < 0.5);
    assert!(cp.distance_irrelevance.unwrap() > 0.7);
}

/// A small transformer (p 23) through every reading of the network the page offers:
/// the token embedding's spectrum and circles (rows 0..p of W_E, not "="), progress
/// measures on the p² grid, ablations, "ask the network", the attention and neurons of
/// the snapshots, and a phase-diagram cell.
#[test]
fn every_analysis_reads_the_transformer() {
    let config = Config {
        p: 23,
        frac: 0.5,
        d: 16,
        hidden: 32,
        ..preset(0)
    };
    let mut run = Run::new(RunSpec::new(config.clone())).unwrap();
    run.set_track_progress(true);
    run.advance(100);
    let snap = run.snapshot(true);
    let spectrum = snap.spectrum.as_ref().expect("a spectrum");
    assert_eq!(
        spectrum.energy.len(),
        23 / 2 + 1,
        "numbers 0..p, not the \"=\" row"
    );
    assert_eq!(snap.embedding_d, 16);
    assert_eq!(snap.circles.len(), 3);
    assert!(snap.circles.iter().all(|c| c.coords.len() == 23));
    assert_eq!(snap.frames.last().unwrap().embedding.len(), 23 * 16);
    assert!(!snap.progress.is_empty());
    for pt in &snap.progress {
        let m = pt.measures.as_ref().expect("addition has the measures");
        assert!(m.restricted_loss.is_finite() && m.excluded_loss.is_finite());
    }
    // Frames at 0, 10, …, 100: the attention of each, rows summing to one.
    assert_eq!(snap.attention.len(), 11);
    assert_eq!(snap.attention[5].step, 50);
    for point in &snap.attention {
        assert_eq!(point.heads.len(), 4);
        assert!(point
            .heads
            .iter()
            .all(|w| (w.iter().sum::<f64>() - 1.0).abs() < 1e-9));
    }
    let neurons = snap.neurons.as_ref().expect("neurons");
    assert_eq!(neurons.shares.len(), 32);
    let cp = snap
        .clock_pizza
        .as_ref()
        .expect("an exact snapshot of addition");
    assert!(cp.gradient_symmetricity.is_some() && cp.distance_irrelevance.is_some());

    let ablation = run.ablation();
    assert!(ablation.measures.is_some());
    assert!(!ablation.keys.is_empty());
    let answer = run.predict(3, 5).expect("a valid pair");
    assert_eq!(answer.truth, 8);
    assert!((answer.probs.iter().sum::<f64>() - 1.0).abs() < 1e-6);
    assert!(run.predict(23, 0).is_err(), "23 is not a number mod 23");

    let cell = grokking::sweep::run_cell(&config, 60).expect("a valid cell");
    assert_eq!(cell.steps, 60, "{cell:?}");
    assert!(cell.test_acc.is_finite());
}

/// The mean attention of the snapshots equals the naive pattern's "=" row averaged
/// over the grid.
#[test]
fn mean_attention_is_the_grid_average_of_the_equals_row() {
    let shape = Shape {
        p: 11,
        d: 8,
        heads: 2,
        mlp: 16,
    };
    let model = Transformer::new(shape);
    let params = setup(shape, 6);
    let mean = model.mean_attention(&params);
    let mut expect = vec![[0.0f64; 3]; 2];
    for a in 0..11 {
        for b in 0..11 {
            let att = model.attention(&params, a, b);
            for (h, e) in expect.iter_mut().enumerate() {
                for (j, e) in e.iter_mut().enumerate() {
                    *e += att[[h, 2, j]] / 121.0;
                }
            }
        }
    }
    for (m, e) in mean.iter().zip(&expect) {
        for (x, y) in m.iter().zip(e) {
            assert!((x - y).abs() < 1e-12, "{m:?} vs {e:?}");
        }
    }
    // Sharpened queries and keys: the heads no longer attend evenly.
    assert!(mean
        .iter()
        .any(|w| w.iter().any(|&x| (x - 1.0 / 3.0).abs() > 0.05)));
}

/// The causal mask: changing b (position 1) cannot change what position 0 computes, and
/// "=" is the last position, so position 0's and 1's attention rows ignore later tokens.
#[test]
fn later_tokens_do_not_change_earlier_positions() {
    let shape = Shape {
        p: 13,
        d: 16,
        heads: 4,
        mlp: 32,
    };
    let model = Transformer::new(shape);
    let params = setup(shape, 7);
    let base = model.attention(&params, 4, 9);
    for b in [0, 5, 12] {
        let other = model.attention(&params, 4, b);
        for h in 0..4 {
            // Query 0 sees only key 0 (a); query 1 sees a and b: changing b changes
            // row 1, never row 0.
            assert_eq!(other[[h, 0, 0]], base[[h, 0, 0]]);
            assert_eq!(other[[h, 0, 1]], 0.0);
            assert_eq!(other[[h, 0, 2]], 0.0);
            assert_eq!(other[[h, 1, 2]], 0.0);
        }
    }
    // And the naive full pass: position 0's residual after the layer depends on a only.
    let at0 = |a: usize, b: usize| naive_residual0(&params, shape, a, b);
    assert_eq!(at0(4, 9), at0(4, 0));
    assert_ne!(at0(4, 9), at0(5, 9));
}

/// Position 0's residual after the whole layer, naively (what a second layer would read).
fn naive_residual0(params: &Params, shape: Shape, a: usize, _b: usize) -> Vec<u64> {
    // Position 0 attends to itself alone: z = V_0, whatever b is; the residual is
    // x_0 + V_0 W_O + MLP(…). Returned as bits, compared exactly.
    let Shape { d, .. } = shape;
    let m = |name: &str| params.matrix(name).mapv(f64::from);
    let (embed, pos, wv, wo) = (m("embed"), m("pos"), m("wv"), m("wo"));
    let x: Vec<f64> = (0..d).map(|c| embed[[a, c]] + pos[[0, c]]).collect();
    let v: Vec<f64> = (0..d)
        .map(|o| (0..d).map(|i| x[i] * wv[[i, o]]).sum())
        .collect();
    (0..d)
        .map(|o| (x[o] + (0..d).map(|i| v[i] * wo[[i, o]]).sum::<f64>()).to_bits())
        .collect()
}

fn grok(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_grok"))
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
fn the_cli_rejects_bad_transformer_shapes_with_the_reason() {
    let t = ["train", "--model", "transformer"];
    for (extra, expect) in [
        (
            vec!["--heads", "3"],
            "3 attention heads do not divide the width d = 32",
        ),
        (vec!["--heads", "0"], "at least one attention head"),
        (vec!["--mlp", "0"], "hidden = 0 is out of range"),
        (vec!["--d", "0"], "d = 0 is out of range"),
        (
            vec!["--p", "127"],
            "too large for the transformer: use at most 113",
        ),
    ] {
        let args: Vec<&str> = t.iter().copied().chain(extra.iter().copied()).collect();
        let (ok, _, stderr) = grok(&args);
        assert!(!ok, "{args:?} should fail");
        assert!(
            stderr.contains(expect),
            "{args:?}: expected '{expect}' in: {stderr}"
        );
    }
    let (ok, _, stderr) = grok(&["train", "--model", "rnn"]);
    assert!(!ok && stderr.contains("unknown model 'rnn'"), "{stderr}");
    // The sweep validates the same way.
    let (ok, _, stderr) = grok(&[
        "sweep",
        "--model",
        "transformer",
        "--heads",
        "5",
        "--wd",
        "0,1",
        "--frac",
        "0.3,0.4",
    ]);
    assert!(!ok);
    assert!(stderr.contains("do not divide"), "{stderr}");
}

#[test]
fn the_cli_trains_sweeps_and_replays_links_of_the_transformer() {
    let flags = [
        "--model",
        "transformer",
        "--p",
        "23",
        "--d",
        "16",
        "--heads",
        "2",
        "--mlp",
        "24",
        "--frac",
        "0.5",
        "--lr",
        "0.003",
        "--steps",
        "60",
        "--seed",
        "3",
    ];
    let args: Vec<&str> = ["train", "--quiet", "--clock-pizza"]
        .into_iter()
        .chain(flags)
        .collect();
    let (ok, stdout, stderr) = grok(&args);
    assert!(ok, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(v["config"]["model"], "transformer");
    assert_eq!(v["config"]["heads"], 2);
    assert_eq!(v["config"]["hidden"], 24);
    assert_eq!(v["steps"], 60);
    let verdict = v["clock_pizza"]["verdict"].as_str().expect("a verdict");
    assert!(["clock", "pizza", "unclear"].contains(&verdict));
    assert!(v["clock_pizza"]["gradient_symmetricity"].is_number());

    // Its link names the model, heads and widths, and replays to the same numbers.
    let spec: RunSpec = serde_json::from_value(v["spec"].clone()).unwrap();
    let query = to_query(&spec, false);
    for key in ["model=transformer", "heads=2", "d=16", "hidden=24"] {
        assert!(query.contains(key), "{key} in {query}");
    }
    assert_eq!(Link::parse(&query).spec.config, spec.config);
    let link = format!("{query}&until=60");
    let (ok, replay, stderr) = grok(&["train", "--quiet", "--link", &link]);
    assert!(ok, "{stderr}");
    let r: serde_json::Value = serde_json::from_str(replay.lines().last().unwrap()).unwrap();
    for key in ["train_acc", "test_acc", "train_loss", "weight_norm"] {
        assert_eq!(r[key], v[key], "{key}");
    }

    let (ok, stdout, stderr) = grok(&[
        "sweep",
        "--model",
        "transformer",
        "--p",
        "23",
        "--d",
        "16",
        "--heads",
        "2",
        "--mlp",
        "24",
        "--lr",
        "0.003",
        "--wd",
        "0,1",
        "--frac",
        "0.4,0.5",
        "--steps",
        "40",
        "--threads",
        "1",
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.lines().count() >= 5,
        "a header and four rows: {stdout}"
    );
}
