#![cfg(not(target_arch = "wasm32"))]
//! The figures of `grokking::plots`, rendered to SVG strings and checked for what a reader
//! must see: the right number of points, the markers exactly when they are due, the legend,
//! the highlight colour on key frequencies, the dark background, and never a NaN.
//!
//! Every rendering is also written to `target/plots/<name>.svg` so a person can look at it.

use grokking::analysis::{self, Spectrum};
use grokking::plots::{
    self, css_hex, draw_accuracy, draw_circle, draw_loss, draw_phase_diagram, draw_progress,
    draw_spectrum, draw_weight_norm, PhaseCell, PhaseGrid, PhaseLayout, RunCurves, Theme,
    COMPREHENSION_COLOR, CONFUSION_COLOR, DARK, EXCLUDED_COLOR, GINI_COLOR, GROKKING_COLOR,
    KEY_SHARE_COLOR, LIGHT, MARKER_COLOR, MEMORISATION_COLOR, NORM_COLOR, RESTRICTED_COLOR,
    TEST_COLOR, TRAIN_COLOR,
};
use grokking::sweep::Phase;
use grokking::train::{Event, History, Point};
use grokking::{Config, Trainer};
use ndarray::Array2;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::f64::consts::TAU;
use std::path::PathBuf;

const SIZE: (u32, u32) = (640, 360);

/// Renders one figure into an SVG string and saves a copy under target/plots.
fn render(
    name: &str,
    size: (u32, u32),
    draw: impl FnOnce(
        &DrawingArea<SVGBackend, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<std::io::Error>>,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root).expect("drawing failed");
        root.present().expect("present failed");
    }
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("plots");
    std::fs::create_dir_all(&dir).expect("create target/plots");
    std::fs::write(dir.join(format!("{name}.svg")), &svg).expect("write svg");
    svg
}

/// Checks that hold for every figure: a well-formed SVG document, no NaN anywhere (a NaN
/// coordinate or range would show up as "NaN" in an attribute), the background first.
fn check_common(svg: &str, theme: &Theme) {
    assert!(svg.starts_with("<svg"), "not an SVG document");
    assert!(svg.trim_end().ends_with("</svg>"), "SVG not closed");
    assert!(!svg.contains("NaN"), "NaN in the SVG");
    assert!(!svg.contains("inf"), "infinite value in the SVG");
    let bg = format!("fill=\"{}\"", css_hex(theme.palette().background));
    let first = elements(svg, "rect").next().expect("no background rect");
    assert!(
        first.contains(&bg),
        "first element is not the background: {first}"
    );
}

/// The tags `<name .../>` of the SVG.
fn elements<'a>(svg: &'a str, name: &str) -> std::vec::IntoIter<&'a str> {
    let open = format!("<{name} ");
    svg.match_indices(open.as_str())
        .map(|(i, _)| &svg[i..i + svg[i..].find('>').unwrap() + 1])
        .collect::<Vec<_>>()
        .into_iter()
}

/// The text contents of all `<text>` elements.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text ")
        .skip(1)
        .map(|t| {
            let body = &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()];
            body.trim().to_string()
        })
        .collect()
}

fn count_text(svg: &str, needle: &str) -> usize {
    texts(svg).iter().filter(|t| t.contains(needle)).count()
}

/// The polylines drawn in `color` with more than `min_points` vertices (curves, not grid
/// lines or short dashes).
fn curves_in(svg: &str, color: RGBColor, min_points: usize) -> usize {
    let stroke = format!("stroke=\"{}\"", css_hex(color));
    elements(svg, "polyline")
        .filter(|e| e.contains(&stroke))
        .filter(|e| {
            let pts = e.split("points=\"").nth(1).unwrap_or("");
            pts.split_whitespace().count() > min_points
        })
        .count()
}

// ---------------------------------------------------------------------------------------
// Data

/// A hand-made history shaped like the reference run (p = 97, wd = 1): train accuracy
/// rises to 1 by step 75, test accuracy sits below chance and jumps near step 1200,
/// losses fall (train loss reaches exactly 0 late, which a log axis must survive), the
/// weight norm rises then falls; weight decay is lowered to 0.3 at step 2000.
fn synthetic_history() -> History {
    let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
    let points = (0..4000u64)
        .filter(|&s| History::records(s))
        .map(|step| {
            let t = step as f64;
            let train_acc = if step >= 75 {
                1.0
            } else {
                (0.01 + sigmoid((t - 40.0) / 8.0)).min(0.985)
            };
            let test_acc = 0.004 + 0.996 * sigmoid((t - 1100.0) / 40.0);
            let train_loss = if step >= 3500 {
                0.0
            } else {
                4.6 * (-t / 12.0).exp() + 2e-7
            };
            let test_loss =
                4.6 + 6.0 * sigmoid((t - 80.0) / 30.0) - 10.5 * sigmoid((t - 1100.0) / 50.0);
            let weight_norm =
                60.0 + 40.0 * sigmoid((t - 60.0) / 30.0) - 55.0 * sigmoid((t - 1100.0) / 150.0);
            Point {
                step,
                train_loss,
                train_acc,
                test_loss: test_loss.max(1e-4),
                test_acc,
                weight_norm,
            }
        })
        .collect();
    History {
        points,
        events: vec![Event {
            step: 2000,
            lr: 0.01,
            wd: 0.3,
            shrink: None,
        }],
        ..History::default()
    }
}

/// The same task without weight decay: memorises, never generalises.
fn synthetic_no_decay() -> History {
    let mut h = synthetic_history();
    for p in &mut h.points {
        let t = p.step as f64;
        p.test_acc = 0.004 + 0.002 * (t / 4000.0);
        p.test_loss = 4.6 + 9.0 * (1.0 - (-t / 200.0).exp());
        p.weight_norm = 60.0 + 60.0 * (1.0 - (-t / 300.0).exp());
    }
    h.events.clear();
    h
}

/// An embedding that is exactly a circle at frequency k.
fn circle_embedding(p: usize, d: usize, k: usize) -> Array2<f32> {
    Array2::from_shape_fn((p, d), |(a, j)| {
        let w = TAU * (k * a) as f64 / p as f64;
        (match j {
            0 => 3.0 * w.cos(),
            1 => 3.0 * w.sin(),
            // A weaker second frequency, so the spectrum has more than one bar.
            2 => 0.4 * (TAU * (3 * a) as f64 / p as f64).cos(),
            _ => 0.0,
        }) as f32
    })
}

/// A genuine run: the default model at p = 23 for 60 steps.
fn real_run() -> Trainer {
    let mut trainer = Trainer::new(Config {
        p: 23,
        ..Config::default()
    })
    .expect("valid config");
    trainer.run(60).expect("training does not diverge");
    trainer
}

// ---------------------------------------------------------------------------------------
// Empty and degenerate input

#[test]
fn empty_input_draws_empty_axes() {
    let theme = Theme::default();
    let empty_history = History::default();
    let no_points = [RunCurves::from_history("empty", &empty_history)];
    for (name, runs) in [("none", &[][..]), ("no_points", &no_points[..])] {
        let acc = render(&format!("empty_accuracy_{name}"), SIZE, |a| {
            draw_accuracy(a, runs, &theme)
        });
        check_common(&acc, &theme);
        assert!(count_text(&acc, "training step") == 1, "x axis described");
        assert!(count_text(&acc, "accuracy (%)") == 1, "y axis described");
        // Default range 1..100 with decade ticks, 0..100 % on y.
        for tick in ["1", "10", "100", "0", "20", "80"] {
            assert!(
                texts(&acc).iter().any(|t| t == tick),
                "tick {tick} missing: {:?}",
                texts(&acc)
            );
        }
        assert_eq!(count_text(&acc, "memorised"), 0);
        assert_eq!(count_text(&acc, "grokked"), 0);
        let loss = render(&format!("empty_loss_{name}"), SIZE, |a| {
            draw_loss(a, runs, &theme)
        });
        check_common(&loss, &theme);
        assert_eq!(count_text(&loss, "loss"), 1);
        let norm = render(&format!("empty_norm_{name}"), SIZE, |a| {
            draw_weight_norm(a, runs, &theme)
        });
        check_common(&norm, &theme);
        assert_eq!(count_text(&norm, "weight norm"), 1);
    }

    let circle = render("empty_circle", (360, 360), |a| {
        draw_circle(a, &[], 5, &theme)
    });
    check_common(&circle, &theme);
    assert_eq!(elements(&circle, "circle").count(), 0);
    assert_eq!(count_text(&circle, "k = 5"), 1);

    let empty = Spectrum {
        energy: vec![],
        keys: vec![],
        gini: 0.0,
        key_share: 0.0,
    };
    let spec = render("empty_spectrum", SIZE, |a| draw_spectrum(a, &empty, &theme));
    check_common(&spec, &theme);
    assert_eq!(count_text(&spec, "frequency k"), 1);
    assert_eq!(count_text(&spec, "share of energy (%)"), 1);
}

#[test]
fn log_axes_survive_zeros_nan_infinity_and_single_points() {
    let theme = Theme::default();
    let bad = |step, v: f64| Point {
        step,
        train_loss: v,
        train_acc: v,
        test_loss: v,
        test_acc: v,
        weight_norm: v,
    };
    let cases: Vec<(&str, Vec<Point>)> = vec![
        ("single", vec![bad(0, 4.5)]),
        ("zeros", vec![bad(0, 0.0), bad(1, 0.0), bad(2, 0.0)]),
        (
            "nonfinite",
            vec![
                bad(0, f64::NAN),
                bad(1, 1.0),
                bad(2, f64::INFINITY),
                bad(3, 0.5),
                bad(4, f64::NEG_INFINITY),
                bad(5, 0.25),
            ],
        ),
        ("all_nan", vec![bad(0, f64::NAN), bad(7, f64::NAN)]),
        ("huge_step", vec![bad(0, 1.0), bad(u64::MAX / 2, 0.5)]),
    ];
    for (name, points) in cases {
        let run = [RunCurves {
            label: "run",
            points: &points,
            events: &[],
            memorised_at: None,
            grokked_at: None,
        }];
        for (kind, svg) in [
            (
                "accuracy",
                render(&format!("degenerate_acc_{name}"), SIZE, |a| {
                    draw_accuracy(a, &run, &theme)
                }),
            ),
            (
                "loss",
                render(&format!("degenerate_loss_{name}"), SIZE, |a| {
                    draw_loss(a, &run, &theme)
                }),
            ),
            (
                "norm",
                render(&format!("degenerate_norm_{name}"), SIZE, |a| {
                    draw_weight_norm(a, &run, &theme)
                }),
            ),
        ] {
            check_common(&svg, &theme);
            assert!(!svg.contains("NaN"), "{kind}/{name}");
        }
    }
    // A single point is visible as a dot, not lost as a one-vertex line.
    let single = [bad(0, 0.5)];
    let run = [RunCurves {
        label: "run",
        points: &single,
        events: &[],
        memorised_at: None,
        grokked_at: None,
    }];
    let svg = render("single_point_accuracy", SIZE, |a| {
        draw_accuracy(a, &run, &theme)
    });
    let dots = |c: RGBColor| {
        elements(&svg, "circle")
            .filter(|e| e.contains(&format!("fill=\"{}\"", css_hex(c))))
            .count()
    };
    assert_eq!((dots(TRAIN_COLOR), dots(TEST_COLOR)), (1, 1));
}

#[test]
fn tiny_or_odd_areas_and_scales_do_not_panic() {
    let h = synthetic_history();
    let runs = [RunCurves::from_history("run", &h)];
    let s = analysis::spectrum(&circle_embedding(31, 4, 7));
    let coords = analysis::circle(&circle_embedding(31, 4, 7), 7);
    for size in [(0, 0), (1, 1), (30, 20), (130, 95), (2000, 120)] {
        for scale in [0.0, f64::NAN, -1.0, 0.3, 1.0, 3.0, 100.0] {
            let theme = Theme { scale, dark: false };
            let name = format!("tiny_{}x{}", size.0, size.1);
            for svg in [
                render(&name, size, |a| draw_accuracy(a, &runs, &theme)),
                render(&name, size, |a| draw_loss(a, &runs, &theme)),
                render(&name, size, |a| draw_weight_norm(a, &runs, &theme)),
                render(&name, size, |a| draw_circle(a, &coords, 7, &theme)),
                render(&name, size, |a| draw_spectrum(a, &s, &theme)),
            ] {
                assert!(!svg.contains("NaN"), "NaN at {size:?} scale {scale}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The step charts

#[test]
fn accuracy_shows_curves_markers_events_and_legend() {
    let theme = Theme::default();
    let h = synthetic_history();
    let run = RunCurves::from_history("decay on", &h);
    assert_eq!(run.memorised_at, Some(75));
    assert!(run.grokked_at.is_some_and(|s| (1100..1300).contains(&s)));
    let svg = render("accuracy", SIZE, |a| draw_accuracy(a, &[run], &theme));
    check_common(&svg, &theme);

    // One solid train curve and one solid test curve, in the palette's colours.
    assert_eq!(curves_in(&svg, TRAIN_COLOR, 100), 1);
    assert_eq!(curves_in(&svg, TEST_COLOR, 100), 1);
    // One run: the legend says just "train" and "test".
    let t = texts(&svg);
    assert!(
        t.iter().any(|s| s == "train") && t.iter().any(|s| s == "test"),
        "{t:?}"
    );
    assert_eq!(count_text(&svg, "·"), 0, "no run names with one run");
    // Each marker labelled once, the event labelled with its new weight decay.
    assert_eq!(count_text(&svg, "memorised"), 1);
    assert_eq!(count_text(&svg, "grokked"), 1);
    assert_eq!(count_text(&svg, "wd 0.3"), 1);
    // Log step axis with readable ticks.
    for tick in ["1", "10", "100", "1k"] {
        assert!(t.iter().any(|s| s == tick), "tick {tick}: {t:?}");
    }
    // Marker lines are dashed grey (many short pieces), the event line lighter grey.
    let stroked = |c: RGBColor| {
        let s = format!("stroke=\"{}\"", css_hex(c));
        elements(&svg, "polyline")
            .filter(|e| e.contains(&s))
            .count()
    };
    assert!(stroked(MARKER_COLOR) >= 2 * 10, "two dashed markers");
    assert_eq!(stroked(LIGHT.event), 1, "one event line");

    // The same run without its markers: no marker labels.
    let bare = RunCurves {
        memorised_at: None,
        grokked_at: None,
        ..run
    };
    let svg = render("accuracy_no_markers", SIZE, |a| {
        draw_accuracy(a, &[bare], &theme)
    });
    assert_eq!(count_text(&svg, "memorised"), 0);
    assert_eq!(count_text(&svg, "grokked"), 0);
    let only_memorised = RunCurves {
        grokked_at: None,
        ..run
    };
    let svg = render("accuracy_memorised_only", SIZE, |a| {
        draw_accuracy(a, &[only_memorised], &theme)
    });
    assert_eq!(count_text(&svg, "memorised"), 1);
    assert_eq!(count_text(&svg, "grokked"), 0);
}

#[test]
fn many_events_keep_their_lines_but_not_all_labels() {
    let theme = Theme::default();
    let mut h = synthetic_history();
    // A slider dragged through a run: a change every 25 steps.
    h.events = (1..150u64)
        .map(|i| Event {
            step: i * 25,
            lr: 0.01,
            wd: 0.01 * i as f64,
            shrink: None,
        })
        .collect();
    let runs = [RunCurves::from_history("run", &h)];
    let svg = render("accuracy_many_events", SIZE, |a| {
        draw_accuracy(a, &runs, &theme)
    });
    check_common(&svg, &theme);
    // Event lines closer than 4 px are drawn once: a hatch, not a wall.
    let grey = format!("stroke=\"{}\"", css_hex(LIGHT.event));
    let lines = elements(&svg, "polyline")
        .filter(|e| e.contains(&grey))
        .count();
    assert!((20..149).contains(&lines), "event lines thinned: {lines}");
    let labels = count_text(&svg, "wd ");
    assert!(
        (1..40).contains(&labels),
        "labels thinned to what fits: {labels}"
    );
    // The markers win the band over the events.
    assert_eq!(count_text(&svg, "memorised"), 1);
    assert_eq!(count_text(&svg, "grokked"), 1);
}

#[test]
fn two_runs_share_axes_and_are_told_apart() {
    let theme = Theme::default();
    let (off, on) = (synthetic_no_decay(), synthetic_history());
    let runs = [
        RunCurves::from_history("decay off", &off),
        RunCurves::from_history("decay on", &on),
    ];
    assert!(runs[0].grokked_at.is_none() && runs[1].grokked_at.is_some());
    let svg = render("accuracy_two_runs", SIZE, |a| {
        draw_accuracy(a, &runs, &theme)
    });
    check_common(&svg, &theme);
    for entry in [
        "decay off · train",
        "decay off · test",
        "decay on · train",
        "decay on · test",
    ] {
        assert_eq!(count_text(&svg, entry), 1, "legend entry {entry}");
    }
    // Both runs memorise at step 75: one shared label. Only "decay on" groks: its label
    // names the run.
    assert_eq!(count_text(&svg, "memorised"), 1);
    assert_eq!(count_text(&svg, "grokked · decay on"), 1);
    // Run 0 solid (one long polyline per colour); run 1 dashed (many short pieces).
    assert_eq!(curves_in(&svg, TRAIN_COLOR, 100), 1);
    assert_eq!(curves_in(&svg, TEST_COLOR, 100), 1);
    let pieces = |c: RGBColor| {
        elements(&svg, "polyline")
            .filter(|e| e.contains(&format!("stroke=\"{}\"", css_hex(c))))
            .count()
    };
    assert!(
        pieces(TRAIN_COLOR) > 20 && pieces(TEST_COLOR) > 20,
        "dashes"
    );

    let loss = render("loss_two_runs", SIZE, |a| draw_loss(a, &runs, &theme));
    check_common(&loss, &theme);
    assert_eq!(count_text(&loss, "decay on · test"), 1);
    let norm = render("norm_two_runs", SIZE, |a| {
        draw_weight_norm(a, &runs, &theme)
    });
    check_common(&norm, &theme);
    let t = texts(&norm);
    assert!(t.iter().any(|s| s == "decay off") && t.iter().any(|s| s == "decay on"));
    assert_eq!(curves_in(&norm, NORM_COLOR, 100), 1);
}

#[test]
fn loss_is_log_log_and_covers_the_data() {
    let theme = Theme::default();
    let h = synthetic_history();
    let runs = [RunCurves::from_history("run", &h)];
    let svg = render("loss", SIZE, |a| draw_loss(a, &runs, &theme));
    check_common(&svg, &theme);
    assert_eq!(curves_in(&svg, TRAIN_COLOR, 100), 1);
    assert_eq!(curves_in(&svg, TEST_COLOR, 100), 1);
    let t = texts(&svg);
    // Train loss reaches 0 (clamped to 1e-9), test loss peaks above 10: the axis spans
    // 1e-9..100, labelled in decades (every other one when space is short).
    assert!(t.iter().any(|s| s == "100"), "top decade: {t:?}");
    assert!(t.iter().any(|s| s == "10⁻⁸"), "near the floor: {t:?}");
    assert!(t.iter().any(|s| s == "0.01"), "{t:?}");
    assert_eq!(count_text(&svg, "loss"), 1);

    let norm = render("weight_norm", SIZE, |a| draw_weight_norm(a, &runs, &theme));
    check_common(&norm, &theme);
    assert_eq!(curves_in(&norm, NORM_COLOR, 100), 1);
    assert_eq!(
        count_text(&norm, "grokked"),
        1,
        "markers on the norm chart too"
    );
}

#[test]
fn real_run_renders_every_figure() {
    let mut trainer = real_run();
    let theme = Theme::default();
    let history = trainer.history().clone();
    assert_eq!(history.points.len(), 60);
    let run = RunCurves {
        label: "p = 23",
        points: &history.points,
        events: &history.events,
        memorised_at: trainer.memorised_at(),
        grokked_at: trainer.grokked_at(),
    };
    for (name, svg) in [
        (
            "real_accuracy",
            render("real_accuracy", SIZE, |a| draw_accuracy(a, &[run], &theme)),
        ),
        (
            "real_loss",
            render("real_loss", SIZE, |a| draw_loss(a, &[run], &theme)),
        ),
        (
            "real_norm",
            render("real_norm", SIZE, |a| draw_weight_norm(a, &[run], &theme)),
        ),
    ] {
        check_common(&svg, &theme);
        assert_eq!(
            count_text(&svg, "memorised"),
            usize::from(run.memorised_at.is_some()),
            "{name}"
        );
        assert_eq!(
            count_text(&svg, "grokked"),
            usize::from(run.grokked_at.is_some()),
            "{name}"
        );
    }

    let embed = trainer.embedding().to_owned();
    let spectrum = analysis::spectrum(&embed);
    let k = spectrum.keys[0];
    let coords = analysis::circle(&embed, k);
    let svg = render("real_circle", (420, 420), |a| {
        draw_circle(a, &coords, k, &theme)
    });
    check_common(&svg, &theme);
    assert_eq!(elements(&svg, "circle").count(), 23, "one dot per token");
    let svg = render("real_spectrum", SIZE, |a| {
        draw_spectrum(a, &spectrum, &theme)
    });
    check_common(&svg, &theme);
    assert_eq!(key_bars(&svg), spectrum.keys.len());
    assert_eq!(plain_bars(&svg, &theme), 11 - spectrum.keys.len());
    let _ = trainer.evaluate();
}

// ---------------------------------------------------------------------------------------
// Circle and spectrum

#[test]
fn circle_has_one_coloured_numbered_dot_per_token() {
    let theme = Theme::default();
    let (p, k) = (31, 7);
    let coords = analysis::circle(&circle_embedding(p, 4, k), k);
    let svg = render("circle", (420, 420), |a| draw_circle(a, &coords, k, &theme));
    check_common(&svg, &theme);
    let dots: Vec<&str> = elements(&svg, "circle").collect();
    assert_eq!(dots.len(), p);
    // Hues cycle with (a·k) mod p: token 0 and the token at the same position differ
    // from the token half-way round.
    let fill = |e: &str| e.split("fill=\"").nth(1).unwrap()[..7].to_string();
    let colours: std::collections::HashSet<String> = dots.iter().map(|e| fill(e)).collect();
    assert!(colours.len() > p / 2, "cyclic colours: {}", colours.len());
    let t = texts(&svg);
    for a in 0..p {
        assert!(t.iter().any(|s| *s == a.to_string()), "label {a}");
    }
    assert_eq!(count_text(&svg, "k = 7"), 1);

    // Equal aspect: the ring is a circle in pixels, not an ellipse.
    let centres: Vec<(f64, f64)> = dots
        .iter()
        .map(|e| {
            let attr = |n: &str| -> f64 {
                e.split(&format!(" {n}=\""))
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            };
            (attr("cx"), attr("cy"))
        })
        .collect();
    let (xs, ys): (Vec<f64>, Vec<f64>) = centres.iter().copied().unzip();
    let span = |v: &[f64]| {
        v.iter().copied().fold(f64::MIN, f64::max) - v.iter().copied().fold(f64::MAX, f64::min)
    };
    assert!(
        (span(&xs) - span(&ys)).abs() <= 3.0,
        "aspect {} vs {}",
        span(&xs),
        span(&ys)
    );

    // On a wide canvas too.
    let svg = render("circle_wide", (700, 300), |a| {
        draw_circle(a, &coords, k, &theme)
    });
    assert_eq!(elements(&svg, "circle").count(), p);
}

#[test]
fn large_circles_skip_labels_and_degenerate_ones_draw() {
    let theme = Theme::default();
    let p = 211;
    let coords = analysis::circle(&circle_embedding(p, 4, 5), 5);
    let svg = render("circle_large", (420, 420), |a| {
        draw_circle(a, &coords, 5, &theme)
    });
    check_common(&svg, &theme);
    assert_eq!(elements(&svg, "circle").count(), p);
    assert_eq!(
        count_text(&svg, "150"),
        0,
        "no token labels above {}",
        plots::MAX_CIRCLE_LABELS
    );

    // p = 97 (the default) is numbered where the canvas leaves room round the ring, and
    // not on a thumbnail where the numbers would smear.
    let coords = analysis::circle(&circle_embedding(97, 4, 5), 5);
    let svg = render("circle_97", (480, 480), |a| {
        draw_circle(a, &coords, 5, &theme)
    });
    assert_eq!(elements(&svg, "circle").count(), 97);
    assert!(
        texts(&svg).iter().any(|t| t == "96"),
        "numbers on a big canvas"
    );
    let svg = render("circle_97_small", (300, 300), |a| {
        draw_circle(a, &coords, 5, &theme)
    });
    check_common(&svg, &theme);
    assert_eq!(elements(&svg, "circle").count(), 97);
    assert!(
        !texts(&svg).iter().any(|t| t == "96"),
        "no numbers on a thumbnail"
    );

    let zeros = vec![[0.0, 0.0]; 13];
    for k in [0, 3, 1000] {
        let svg = render("circle_zeros", (300, 300), |a| {
            draw_circle(a, &zeros, k, &theme)
        });
        check_common(&svg, &theme);
        assert_eq!(elements(&svg, "circle").count(), 13);
    }
    let mut with_nan = coords[..20].to_vec();
    with_nan[3] = [f64::NAN, 1.0];
    with_nan[4] = [f64::INFINITY, 0.0];
    let svg = render("circle_nan", (300, 300), |a| {
        draw_circle(a, &with_nan, 5, &theme)
    });
    check_common(&svg, &theme);
    assert_eq!(
        elements(&svg, "circle").count(),
        18,
        "non-finite points skipped"
    );
}

/// Spectrum bars: rects filled in the highlight colour (minus the legend swatch).
fn key_bars(svg: &str) -> usize {
    let fill = format!("fill=\"{}\"", css_hex(TEST_COLOR));
    let rects = elements(svg, "rect").filter(|e| e.contains(&fill)).count();
    // The strip above the plot shows one swatch of the colour when there are keys.
    rects.saturating_sub(1)
}

fn plain_bars(svg: &str, theme: &Theme) -> usize {
    let fill = format!("fill=\"{}\"", css_hex(theme.palette().bar));
    elements(svg, "rect").filter(|e| e.contains(&fill)).count()
}

#[test]
fn spectrum_highlights_key_frequencies() {
    let theme = Theme::default();
    let embed = circle_embedding(31, 4, 7);
    let spectrum = analysis::spectrum(&embed);
    assert_eq!(spectrum.keys, vec![7]);
    let svg = render("spectrum", SIZE, |a| draw_spectrum(a, &spectrum, &theme));
    check_common(&svg, &theme);
    assert_eq!(key_bars(&svg), 1);
    assert_eq!(
        plain_bars(&svg, &theme),
        15 - 1,
        "k = 1..15, the constant left out"
    );
    assert_eq!(count_text(&svg, &format!("Gini {:.2}", spectrum.gini)), 1);
    assert!(
        texts(&svg).iter().any(|t| t == "7"),
        "key number above its bar"
    );
    let shares = plots::energy_shares(&spectrum);
    assert_eq!(shares.len(), 15);
    assert!((shares.iter().sum::<f64>() - 100.0).abs() < 1e-9);

    // A noisy spectrum with many keys, and one with NaN energy.
    let mut rng_like = 1u64;
    let noisy = Array2::from_shape_fn((97, 8), |_| {
        rng_like = rng_like
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((rng_like >> 33) as f64 / (1u64 << 31) as f64 - 0.5) as f32
    });
    let s = analysis::spectrum(&noisy);
    let svg = render("spectrum_noisy", SIZE, |a| draw_spectrum(a, &s, &theme));
    check_common(&svg, &theme);
    assert_eq!(key_bars(&svg), s.keys.len());
    assert_eq!(key_bars(&svg) + plain_bars(&svg, &theme), 48);
    let broken = Spectrum {
        energy: vec![1.0, f64::NAN, 2.0, f64::INFINITY, 0.0],
        keys: vec![2],
        gini: f64::NAN,
        key_share: 1.0,
    };
    let svg = render("spectrum_broken", SIZE, |a| {
        draw_spectrum(a, &broken, &theme)
    });
    check_common(&svg, &theme);
    assert_eq!(key_bars(&svg), 1);
}

// ---------------------------------------------------------------------------------------
// Theme

#[test]
fn dark_theme_and_scale() {
    let dark = Theme {
        scale: 1.0,
        dark: true,
    };
    let h = synthetic_history();
    let runs = [RunCurves::from_history("run", &h)];
    let svg = render("accuracy_dark", SIZE, |a| draw_accuracy(a, &runs, &dark));
    check_common(&svg, &dark);
    assert!(svg.contains(&format!("fill=\"{}\"", css_hex(DARK.background))));
    assert!(!svg.contains(&format!("fill=\"{}\"", css_hex(LIGHT.background))));
    assert!(
        svg.contains(&format!("fill=\"{}\"", css_hex(DARK.text))),
        "light text"
    );
    assert_eq!(css_hex(DARK.background), "#111111");
    let coords = analysis::circle(&circle_embedding(31, 4, 7), 7);
    let svg = render("circle_dark", (420, 420), |a| {
        draw_circle(a, &coords, 7, &dark)
    });
    check_common(&svg, &dark);
    let spectrum = analysis::spectrum(&circle_embedding(31, 4, 7));
    let svg = render("spectrum_dark", SIZE, |a| {
        draw_spectrum(a, &spectrum, &dark)
    });
    check_common(&svg, &dark);
    assert_eq!(plain_bars(&svg, &dark), 14);

    // Scale 2 (a retina canvas at twice the size): same picture, doubled strokes and text.
    let widths = |svg: &str, c: RGBColor| -> Vec<String> {
        elements(svg, "polyline")
            .filter(|e| e.contains(&format!("stroke=\"{}\"", css_hex(c))))
            .map(|e| {
                e.split("stroke-width=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let one = render("accuracy_scale1", SIZE, |a| {
        draw_accuracy(a, &runs, &Theme::default())
    });
    let two = render("accuracy_scale2", (SIZE.0 * 2, SIZE.1 * 2), |a| {
        draw_accuracy(
            a,
            &runs,
            &Theme {
                scale: 2.0,
                dark: false,
            },
        )
    });
    assert!(widths(&one, TRAIN_COLOR).iter().all(|w| w == "2"));
    assert!(widths(&two, TRAIN_COLOR).iter().all(|w| w == "4"));
    assert_eq!(texts(&one), texts(&two), "same labels at both scales");
    let font = |svg: &str| -> f64 {
        let e = svg.split("<text ").nth(1).unwrap();
        e.split("font-size=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!((font(&two) / font(&one) - 2.0).abs() < 1e-9);
}

#[test]
fn palette_matches_okabe_ito() {
    assert_eq!(css_hex(TRAIN_COLOR), "#0072B2");
    assert_eq!(css_hex(TEST_COLOR), "#D55E00");
    assert_eq!(css_hex(NORM_COLOR), "#009E73");
    assert_eq!(plots::format_step(1000.0), "1k");
    assert_eq!(plots::format_step(10_000.0), "10k");
    assert_eq!(plots::format_step(2500.0), "2.5k");
    assert_eq!(plots::format_number(0.3), "0.3");
    assert_eq!(plots::format_number(1e-4), "1e-4");
    assert_eq!(plots::format_number(0.001), "0.001");
}

// ---------------------------------------------------------------------------------------
// Hidden progress and the phase diagram

/// A real run with progress tracking: p = 23, 90% of pairs, grokks within 400 steps.
fn progress_run(op: grokking::Op) -> Trainer {
    let mut trainer = Trainer::new(Config {
        p: 23,
        frac: 0.9,
        op,
        ..Config::default()
    })
    .expect("valid config");
    trainer.set_track_progress(true);
    trainer.run(400).expect("training does not diverge");
    trainer
}

/// Polylines stroked in `color` (dashed curves are many short ones).
fn strokes_in(svg: &str, color: RGBColor) -> usize {
    let stroke = format!("stroke=\"{}\"", css_hex(color));
    elements(svg, "polyline")
        .filter(|e| e.contains(&stroke))
        .count()
}

#[test]
fn progress_figure_draws_measures_markers_and_concentration() {
    let trainer = progress_run(grokking::Op::Add);
    let history = trainer.history();
    assert!(
        history.progress.len() >= 10,
        "progress measured on its schedule"
    );
    assert!(trainer.grokked_at().is_some(), "the run groks");
    let run = RunCurves::from_history("", history);
    let theme = Theme::default();
    let svg = render("progress_add", (640, 480), |a| {
        draw_progress(a, &run, &history.progress, true, &theme)
    });
    check_common(&svg, &theme);
    for legend in [
        "restricted loss (all pairs)",
        "excluded loss (train pairs)",
        "Gini coefficient",
        "key share",
    ] {
        assert_eq!(count_text(&svg, legend), 1, "legend entry {legend}");
    }
    // Both panels share the step axis and carry the markers.
    assert_eq!(count_text(&svg, "memorised"), 2);
    assert_eq!(count_text(&svg, "grokked"), 2);
    assert_eq!(count_text(&svg, "training step"), 2);
    assert_eq!(
        count_text(&svg, "loss"),
        1 + 2,
        "y axis and two legend entries"
    );
    assert!(
        curves_in(&svg, RESTRICTED_COLOR, 8) >= 1,
        "restricted loss curve"
    );
    assert!(curves_in(&svg, GINI_COLOR, 8) >= 1, "Gini curve");
    // Dashed curves: many short strokes (and one legend swatch).
    assert!(strokes_in(&svg, EXCLUDED_COLOR) > 5, "excluded loss curve");
    assert!(strokes_in(&svg, KEY_SHARE_COLOR) > 5, "key share curve");
    // A log loss axis with superscript or plain decade ticks, never NaN (checked above).

    // Operations without the measures: the concentration chart alone.
    let trainer = progress_run(grokking::Op::Mul);
    let history = trainer.history();
    assert!(history.progress.iter().all(|p| p.measures.is_none()));
    let run = RunCurves::from_history("", history);
    let svg = render("progress_mul", (640, 480), |a| {
        draw_progress(a, &run, &history.progress, false, &theme)
    });
    check_common(&svg, &theme);
    assert_eq!(count_text(&svg, "restricted loss"), 0);
    assert_eq!(count_text(&svg, "Gini coefficient"), 1);
    assert_eq!(count_text(&svg, "training step"), 1);
    assert!(curves_in(&svg, GINI_COLOR, 8) >= 1);

    // No data yet, and tiny areas: empty axes or just the background, no panic.
    let empty = History::default();
    let run = RunCurves::from_history("", &empty);
    let svg = render("progress_empty", (640, 480), |a| {
        draw_progress(a, &run, &[], true, &theme)
    });
    check_common(&svg, &theme);
    assert_eq!(count_text(&svg, "training step"), 2);
    for size in [(1, 1), (60, 40), (200, 120)] {
        let svg = render("progress_tiny", size, |a| {
            draw_progress(a, &run, &[], true, &theme)
        });
        check_common(&svg, &theme);
    }
}

/// Filled rects in `color`.
fn fills(svg: &str, color: RGBColor) -> usize {
    let fill = format!("fill=\"{}\"", css_hex(color));
    elements(svg, "rect").filter(|e| e.contains(&fill)).count()
}

#[test]
fn phase_diagram_colours_labels_and_hit_tests_cells() {
    let wds = [0.0, 1.0, 10.0];
    let fracs = [0.3, 0.5, 0.7];
    let done = |phase, gen| PhaseCell::Done { phase, gen };
    // Row-major, weight decay outer (sweep::grid order).
    let cells = [
        done(Phase::Memorisation, None),
        done(Phase::Memorisation, None),
        done(Phase::Memorisation, None),
        done(Phase::Grokking, Some(1250)),
        done(Phase::Grokking, Some(300)),
        done(Phase::Comprehension, Some(90)),
        done(Phase::Confusion, None),
        PhaseCell::Running,
        PhaseCell::Pending,
    ];
    let grid = PhaseGrid {
        rows: &wds,
        cols: &fracs,
        row_label: "weight decay",
        col_label: "training fraction",
        cells: &cells,
    };
    for (name, theme) in [
        ("phase", Theme::default()),
        (
            "phase_dark",
            Theme {
                scale: 1.0,
                dark: true,
            },
        ),
    ] {
        let svg = render(name, (640, 480), |a| draw_phase_diagram(a, &grid, &theme));
        check_common(&svg, &theme);
        // Each phase: its cells plus one legend swatch.
        assert_eq!(fills(&svg, MEMORISATION_COLOR), 3 + 1);
        assert_eq!(fills(&svg, GROKKING_COLOR), 2 + 1);
        assert_eq!(fills(&svg, COMPREHENSION_COLOR), 1 + 1);
        assert_eq!(fills(&svg, CONFUSION_COLOR), 1 + 1);
        let t = texts(&svg);
        let n = |s: &str| t.iter().filter(|x| x.as_str() == s).count();
        // Text labels, so colour is not the only cue.
        assert_eq!(n("mem"), 3);
        assert_eq!(n("grok"), 2);
        assert_eq!(n("comp"), 1);
        assert_eq!(n("conf"), 1);
        assert_eq!(n("…"), 1, "the running cell");
        assert_eq!(n("@1.25k"), 1, "the step at which it generalised");
        for legend in ["confusion", "memorisation", "grokking", "comprehension"] {
            assert_eq!(n(legend), 1, "legend {legend}");
        }
        for tick in ["0", "1", "10", "0.3", "0.5", "0.7"] {
            assert_eq!(n(tick), 1, "tick {tick}");
        }
        assert_eq!(n("weight decay"), 1);
        assert_eq!(n("training fraction"), 1);
    }

    // On a phone-sized figure the legend wraps to two rows rather than losing entries.
    let theme = Theme::default();
    let svg = render("phase_narrow", (340, 300), |a| {
        draw_phase_diagram(a, &grid, &theme)
    });
    check_common(&svg, &theme);
    let t = texts(&svg);
    for legend in ["confusion", "memorisation", "grokking", "comprehension"] {
        assert!(t.iter().any(|x| x == legend), "narrow legend {legend}");
    }

    // Hit-testing: the centre of each cell maps back to its index; weight decay 0 is the
    // bottom row; outside the grid is nothing.
    let layout = PhaseLayout::new(640, 480, 3, 3, &Theme::default()).expect("room");
    for row in 0..3 {
        for col in 0..3 {
            let x = layout.left + (col as f64 + 0.5) * layout.cell_w;
            let y = layout.top + ((2 - row) as f64 + 0.5) * layout.cell_h;
            assert_eq!(layout.cell_at(x, y), Some(row * 3 + col));
        }
    }
    assert_eq!(layout.cell_at(layout.left + 1.0, layout.top + 1.0), Some(6));
    assert_eq!(layout.cell_at(layout.left - 1.0, layout.top + 1.0), None);
    assert_eq!(layout.cell_at(639.0, 479.0), None);
    assert!(PhaseLayout::new(50, 40, 3, 3, &Theme::default()).is_none());

    // The full default grid, empty, and degenerate areas draw without panicking.
    let wds = [0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0];
    let fracs: Vec<f64> = (1..10).map(|i| i as f64 / 10.0).collect();
    let cells = vec![PhaseCell::Pending; 72];
    let grid = PhaseGrid {
        rows: &wds,
        cols: &fracs,
        row_label: "weight decay",
        col_label: "training fraction",
        cells: &cells,
    };
    let theme = Theme::default();
    let svg = render("phase_empty", (640, 480), |a| {
        draw_phase_diagram(a, &grid, &theme)
    });
    check_common(&svg, &theme);
    for size in [(1, 1), (100, 80), (300, 200)] {
        let svg = render("phase_tiny", size, |a| draw_phase_diagram(a, &grid, &theme));
        check_common(&svg, &theme);
    }
    let short = PhaseGrid {
        rows: &wds,
        cols: &fracs,
        row_label: "weight decay",
        col_label: "training fraction",
        cells: &cells[..5],
    };
    let svg = render("phase_short", (640, 480), |a| {
        draw_phase_diagram(a, &short, &theme)
    });
    check_common(&svg, &theme);
}

// ---------------------------------------------------------------------------------------
// The article's figures: the task clock, the pairs table, runs side by side, the spectrum
// with marked frequencies

use grokking::plots::{
    draw_comparison, draw_spectrum_marked, draw_task_clock, draw_task_pairs, Metric, PairKind,
    PairTable, PairsLayout, TaskExample, ANSWER_COLOR, A_COLOR, B_COLOR, PAIR_TEST_COLOR,
    PAIR_TRAIN_COLOR, RUN_COLORS,
};
use grokking::task::Dataset;
use grokking::Op;

#[test]
fn task_example_works_the_sum_and_rejects_bad_input() {
    let ex = TaskExample::parse(97, "add", 45, 60).unwrap();
    assert_eq!(ex.answer, 8);
    assert_eq!(ex.caption(), "a + b = 45 + 60 = 105 ≡ 8 (mod 97)");
    assert_eq!(ex.note(), None);
    let small = TaskExample::new(97, Op::Add, 3, 4).unwrap();
    assert_eq!(small.caption(), "a + b = 3 + 4 = 7 (mod 97)");
    assert_eq!(
        TaskExample::new(97, Op::Sub, 3, 10).unwrap().caption(),
        "a − b = 3 − 10 = −7 ≡ 90 (mod 97)"
    );
    assert_eq!(
        TaskExample::new(97, Op::Mul, 50, 2).unwrap().caption(),
        "a · b = 50 · 2 = 100 ≡ 3 (mod 97)"
    );
    let div = TaskExample::new(97, Op::Div, 5, 3).unwrap();
    assert_eq!(div.answer, 34);
    assert_eq!(div.caption(), "a ÷ b = 5 ÷ 3 ≡ 5 · 65 = 325 ≡ 34 (mod 97)");
    assert_eq!(div.note().unwrap(), "65 is the inverse of 3: 3 · 65 ≡ 1");
    assert_eq!(
        TaskExample::new(97, Op::X2y2, 10, 5).unwrap().caption(),
        "a² + b² = 10² + 5² = 125 ≡ 28 (mod 97)"
    );
    assert_eq!(
        TaskExample::new(97, Op::X2xyy2, 10, 5).unwrap().caption(),
        "a² + ab + b² = 10² + 10·5 + 5² = 175 ≡ 78 (mod 97)"
    );

    let err = |r: Result<TaskExample, String>| r.expect_err("rejected");
    assert!(err(TaskExample::parse(97, "pow", 1, 2)).contains("unknown operation 'pow'"));
    let e = err(TaskExample::parse(91, "div", 1, 2));
    assert!(e.contains("prime") && e.contains("91 = 7 × 13"), "{e}");
    assert!(err(TaskExample::parse(97, "div", 4, 0)).contains("b = 0"));
    assert!(err(TaskExample::parse(97, "add", 97, 0)).contains("0 to 96"));
    assert!(err(TaskExample::parse(2, "add", 1, 1)).contains("3 to 257"));
    // A composite modulus is fine where no inverse is needed.
    assert!(TaskExample::parse(91, "add", 90, 5).is_ok());
}

#[test]
fn clock_marks_a_b_and_the_answer_and_works_the_example() {
    let theme = Theme::default();
    let ex = TaskExample::parse(97, "add", 45, 60).unwrap();
    let svg = render("task_clock", (480, 480), |a| {
        draw_task_clock(a, &ex, &theme)
    });
    check_common(&svg, &theme);
    let t = texts(&svg);
    let n = |s: &str| t.iter().filter(|x| x.as_str() == s).count();
    assert_eq!(n("a + b = 45 + 60 = 105 ≡ 8 (mod 97)"), 1, "caption");
    assert_eq!(n("a = 45") + n("b = 60"), 2, "legend");
    assert_eq!(n("a + b (answer) = 8"), 1);
    // The marked numbers once each; 0 labelled; p = 97 does not get all 97 numbers.
    for s in ["45", "60", "8", "0"] {
        assert_eq!(n(s), 1, "number {s}");
    }
    let numbers = t.iter().filter(|s| s.parse::<u32>().is_ok()).count();
    assert!(
        (6..60).contains(&numbers),
        "{numbers} numbers round the ring"
    );
    // a, b and the answer in their colours (legend swatch + mark).
    let attr = |name: &str, c: RGBColor| svg.matches(&format!("{name}=\"{}\"", css_hex(c))).count();
    assert!(attr("fill", A_COLOR) >= 2 && attr("fill", B_COLOR) >= 2);
    assert!(
        attr("stroke", ANSWER_COLOR) >= 3,
        "answer ring, hand, legend"
    );

    // Small p: every number; division with its note; the dark theme; a phone; tiny areas.
    let ex = TaskExample::parse(13, "div", 7, 5).unwrap();
    let dark = Theme {
        scale: 1.0,
        dark: true,
    };
    let svg = render("task_clock_div", (400, 420), |a| {
        draw_task_clock(a, &ex, &dark)
    });
    check_common(&svg, &dark);
    let t = texts(&svg);
    let numbers = t.iter().filter(|s| s.parse::<u32>().is_ok()).count();
    assert_eq!(numbers, 13, "every number, once");
    assert!(t.iter().any(|s| s.contains("is the inverse of 5")));
    // A phone: the legend wraps and a long worked example splits before its value.
    let ex = TaskExample::parse(257, "x2xyy2", 256, 1).unwrap();
    let svg = render("task_clock_phone", (320, 400), |a| {
        draw_task_clock(a, &ex, &theme)
    });
    check_common(&svg, &theme);
    let t = texts(&svg);
    assert!(
        t.contains(&"a² + ab + b² = 256² + 256·1 + 1²".to_string()),
        "{t:?}"
    );
    assert!(t.contains(&"= 65793 ≡ 1 (mod 257)".to_string()), "{t:?}");
    assert!(
        t.contains(&"a² + ab + b² (answer) = 1".to_string()),
        "{t:?}"
    );
    for (size, scale) in [
        ((320, 360), 1.0),
        ((1, 1), 1.0),
        ((90, 90), 1.0),
        ((800, 800), 2.0),
    ] {
        let th = Theme { scale, dark: false };
        for op in Op::ALL {
            let ex = TaskExample::new(257, op, 256, 1).unwrap();
            let svg = render("task_clock_sizes", size, |a| draw_task_clock(a, &ex, &th));
            check_common(&svg, &th);
        }
    }
}

#[test]
fn pairs_table_colours_the_split_with_counts_and_hit_tests() {
    let theme = Theme::default();
    let config = Config {
        p: 23,
        frac: 0.3,
        ..Config::default()
    };
    let table = PairTable::from_config(&config);
    let data = Dataset::new(23, Op::Add, 0.3, 0);
    assert_eq!(table.count(PairKind::Train), data.train.len());
    assert_eq!(table.count(PairKind::Test), data.test.len());
    for pair in &data.train {
        assert_eq!(table.kind(pair.a, pair.b), Some(PairKind::Train));
    }
    let svg = render("task_pairs", (640, 640), |a| {
        draw_task_pairs(a, &table, Some((3, 7)), &theme)
    });
    check_common(&svg, &theme);
    let t = texts(&svg);
    let train_label = format!("training pairs ({})", data.train.len());
    let test_label = format!("test pairs ({})", data.test.len());
    assert!(t.contains(&train_label), "{t:?}");
    assert!(t.contains(&test_label), "{t:?}");
    assert!(!t.iter().any(|s| s.starts_with("excluded")));
    // Big cells: one rectangle per pair (+ one legend swatch per kind).
    assert_eq!(fills(&svg, PAIR_TRAIN_COLOR), data.train.len() + 1);
    assert_eq!(fills(&svg, PAIR_TEST_COLOR), data.test.len() + 1);
    assert!(t.iter().any(|s| s == "a \\ b"));
    assert!(t.iter().any(|s| s == "3") && t.iter().any(|s| s == "7"));

    // Hit-testing: every cell centre maps back to its pair; outside is nothing.
    let layout = PairsLayout::new(640, 640, 23, &theme).expect("room");
    for a in 0..23 {
        for b in 0..23 {
            let (x, y) = layout.center(a, b);
            assert_eq!(layout.pair_at(x, y), Some((a, b)));
        }
    }
    assert_eq!(layout.pair_at(layout.left - 1.0, layout.top + 1.0), None);
    assert_eq!(layout.pair_at(layout.left + 1.0, layout.top - 1.0), None);
    let end = layout.left + 23.0 * layout.cell;
    assert_eq!(layout.pair_at(end + 1.0, layout.top + 1.0), None);
    assert_eq!(
        layout.pair_at(layout.left + 0.5, layout.top + 0.5),
        Some((0, 0))
    );
    // At scale 2 the layout scales with the canvas: the same CSS point, the same pair.
    let th2 = Theme {
        scale: 2.0,
        dark: false,
    };
    let l2 = PairsLayout::new(1280, 1280, 23, &th2).unwrap();
    let (x, y) = layout.center(5, 17);
    assert_eq!(l2.pair_at(2.0 * x, 2.0 * y), Some((5, 17)));
    assert!(PairsLayout::new(60, 60, 23, &theme).is_none());

    // Division: b = 0 excluded and counted; p = 97 on a phone draws runs of cells; dark.
    let div = PairTable::from_config(&Config {
        p: 97,
        op: Op::Div,
        ..Config::default()
    });
    assert_eq!(div.count(PairKind::Excluded), 97);
    let dark = Theme {
        scale: 1.0,
        dark: true,
    };
    let svg = render("task_pairs_div", (390, 520), |a| {
        draw_task_pairs(a, &div, None, &dark)
    });
    check_common(&svg, &dark);
    let t = texts(&svg);
    assert!(t.contains(&"excluded, b = 0 (97)".to_string()), "{t:?}");
    assert!(t.iter().any(|s| s.starts_with("training pairs (")));
    assert!(
        fills(&svg, PAIR_TRAIN_COLOR) < div.count(PairKind::Train),
        "small cells are merged into runs"
    );
    // Highlight out of range, tiny areas, the largest p: no panic.
    for size in [(1, 1), (100, 100), (700, 500)] {
        let big = PairTable::from_config(&Config {
            p: 257,
            ..Config::default()
        });
        let svg = render("task_pairs_sizes", size, |a| {
            draw_task_pairs(a, &big, Some((300, 2)), &theme)
        });
        check_common(&svg, &theme);
    }
}

#[test]
fn comparison_draws_both_runs_in_their_colours_on_shared_axes() {
    let theme = Theme::default();
    let (off, on) = (synthetic_no_decay(), synthetic_history());
    let mut short = synthetic_history();
    short.points.retain(|p| p.step <= 500);
    let runs = [
        RunCurves::from_history("decay off", &off),
        RunCurves::from_history("decay on", &short),
    ];
    let svg = render("comparison_accuracy", SIZE, |a| {
        draw_comparison(a, &runs, Metric::Accuracy, &theme)
    });
    check_common(&svg, &theme);
    for entry in [
        "decay off · train",
        "decay off · test",
        "decay on · train",
        "decay on · test",
    ] {
        assert_eq!(count_text(&svg, entry), 1, "legend entry {entry}");
    }
    // Each run in its own colour: test solid (one long polyline), train dashed (pieces).
    for color in [RUN_COLORS[0], RUN_COLORS[1]] {
        assert_eq!(curves_in(&svg, color, 50), 1, "{}", css_hex(color));
        assert!(strokes_in(&svg, color) > 10, "dashes in {}", css_hex(color));
    }
    assert_eq!(
        curves_in(&svg, TRAIN_COLOR, 50),
        1,
        "run 0 is blue, not more"
    );
    assert_eq!(curves_in(&svg, TEST_COLOR, 50), 0, "no metric colours");
    // The step axis covers the longer run (4000 steps): the 1k tick is there.
    assert!(texts(&svg).iter().any(|s| s == "1k"));

    let svg = render("comparison_loss", SIZE, |a| {
        draw_comparison(a, &runs, Metric::Loss, &theme)
    });
    check_common(&svg, &theme);
    assert_eq!(count_text(&svg, "decay on · test"), 1);
    assert_eq!(count_text(&svg, "decay off · train"), 1);
    let full = [
        RunCurves::from_history("off", &off),
        RunCurves::from_history("on", &on),
    ];
    let svg = render("comparison_markers", SIZE, |a| {
        draw_comparison(a, &full, Metric::Accuracy, &theme)
    });
    assert_eq!(count_text(&svg, "grokked · on"), 1);

    assert_eq!("accuracy".parse::<Metric>(), Ok(Metric::Accuracy));
    assert_eq!("loss".parse::<Metric>(), Ok(Metric::Loss));
    assert!("norm".parse::<Metric>().unwrap_err().contains("norm"));
    // Empty runs draw empty axes.
    let empty = History::default();
    let runs = [
        RunCurves::from_history("a", &empty),
        RunCurves::from_history("b", &empty),
    ];
    for metric in [Metric::Accuracy, Metric::Loss] {
        let svg = render("comparison_empty", SIZE, |a| {
            draw_comparison(a, &runs, metric, &theme)
        });
        check_common(&svg, &theme);
    }
}

#[test]
fn spectrum_marks_the_given_frequencies() {
    let theme = Theme::default();
    let spectrum = analysis::spectrum(&circle_embedding(31, 8, 7));
    assert_eq!(spectrum.keys, vec![7]);
    let svg = render("spectrum_marked", SIZE, |a| {
        draw_spectrum_marked(a, &spectrum, &[3, 7, 99, 0, 3], "final key", &theme)
    });
    check_common(&svg, &theme);
    assert_eq!(
        key_bars(&svg),
        2,
        "3 and 7; out-of-range and repeated ones ignored"
    );
    assert_eq!(count_text(&svg, "final key frequencies (2)"), 1);
    let svg = render("spectrum_marked_none", SIZE, |a| {
        draw_spectrum_marked(a, &spectrum, &[], "final key", &theme)
    });
    assert_eq!(key_bars(&svg), 0);
    assert_eq!(count_text(&svg, "final key"), 0);
    // draw_spectrum is the same with the spectrum's own keys.
    let svg = render("spectrum_own", SIZE, |a| {
        draw_spectrum(a, &spectrum, &theme)
    });
    assert_eq!(count_text(&svg, "key frequency"), 1);
}

#[test]
fn task_summary_says_whether_the_pair_is_trained_on_and_the_split_sizes() {
    let config = Config::default();
    let table = PairTable::from_config(&config);
    let data = Dataset::new(97, Op::Add, 0.3, 0);
    let (seen, unseen) = (data.train[0], data.test[0]);
    let s = table.summary(seen.a, seen.b).unwrap();
    assert!(s.contains("The network trains on this pair"), "{s}");
    assert!(
        s.contains("2,823 training pairs (30% of 9,409); the other 6,586 are the test set."),
        "{s}"
    );
    assert!(s.contains("(mod 97)"), "{s}");
    let s = table.summary(unseen.a, unseen.b).unwrap();
    assert!(s.contains("never sees this pair"), "{s}");
    assert!(table.summary(97, 0).is_err(), "a out of range is refused");
    let div = PairTable::from_config(&Config {
        p: 7,
        op: Op::Div,
        ..Config::default()
    });
    assert!(div.summary(3, 0).is_err(), "b = 0 has no quotient");
}
