#![cfg(not(target_arch = "wasm32"))]
//! The weight-space figures (`plots::draw_weight_path`, `draw_effective_dim`,
//! `draw_norm_loss`) rendered to SVG and checked for what a reader must see: the axis
//! descriptions with the variance shares, "memorised" and "grokked" where they are due,
//! the step scale's declared colours at the ends, the legend when runs are compared, the
//! dark background — and that empty, one-point and NaN inputs draw without panicking.
//!
//! The data is real where it is cheap: two short runs of the engine at p = 23 (training
//! fraction 0.8, weight decay 1, which groks near step 500, and weight decay 0, which only
//! memorises), fed snapshot by snapshot into the page's `RunView`. Every rendering is
//! also written to `target/plots/<name>.svg` for a person to look at.

use grokking::engine::{Run, RunSpec, RunView};
use grokking::geometry::{Path, PathPoint};
use grokking::plots::{
    css_hex, draw_effective_dim, draw_norm_loss, draw_weight_path, lightness, okabe_ito,
    step_scale, RunCurves, Theme, DARK, MARKER_COLOR, RUN_COLORS, STEP_SCALE,
};
use grokking::prose::percent;
use grokking::train::Point;
use grokking::Config;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;

const SIZE: (u32, u32) = (640, 400);

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

/// A well-formed SVG with the theme's background first and no NaN or ∞ anywhere.
fn check_common(svg: &str, theme: &Theme) {
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(!svg.contains("NaN"), "NaN in the SVG");
    assert!(!svg.contains("inf"), "infinite value in the SVG");
    let bg = format!("fill=\"{}\"", css_hex(theme.palette().background));
    let first = elements(svg, "rect").next().expect("no background rect");
    assert!(first.contains(&bg), "first element is not the background");
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
            t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()]
                .trim()
                .to_string()
        })
        .collect()
}

fn count_text(svg: &str, needle: &str) -> usize {
    texts(svg).iter().filter(|t| t.contains(needle)).count()
}

fn has_text(svg: &str, exact: &str) -> bool {
    texts(svg).iter().any(|t| t == exact)
}

/// Filled circles in `color`.
fn dots(svg: &str, color: RGBColor) -> usize {
    let fill = format!("fill=\"{}\"", css_hex(color));
    elements(svg, "circle")
        .filter(|e| e.contains(&fill))
        .count()
}

/// Circle outlines (not filled) in `color`.
fn rings(svg: &str, color: RGBColor) -> usize {
    let stroke = format!("stroke=\"{}\"", css_hex(color));
    elements(svg, "circle")
        .filter(|e| e.contains(&stroke) && e.contains("fill=\"none\""))
        .count()
}

/// Polylines in `color` with more than `min_points` vertices.
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
// Real runs

/// A run at p = 23, training fraction 0.8, with weight decay `wd`, for 700 steps in
/// uneven batches, each followed by a snapshot into a `RunView` (as the page gets them).
fn real_view(wd: f64) -> RunView {
    let config = Config {
        p: 23,
        frac: 0.8,
        wd,
        ..Config::default()
    };
    let mut run = Run::new(RunSpec::new(config)).expect("valid spec");
    let mut view = RunView::default();
    for batch in [7, 40, 13, 90, 150, 200, 200] {
        run.advance(batch);
        view.add(run.snapshot(false));
    }
    view.add(run.snapshot(true));
    assert_eq!(run.step(), 700);
    view
}

/// The run that groks (weight decay 1): memorises near step 30, groks near 520.
fn grokking_view() -> &'static RunView {
    static VIEW: OnceLock<RunView> = OnceLock::new();
    VIEW.get_or_init(|| {
        let view = real_view(1.0);
        assert!(view.memorised_at().is_some(), "memorises");
        assert!(view.grokked_at().is_some(), "groks within 700 steps");
        view
    })
}

/// The run without weight decay: memorises, does not generalise.
fn no_decay_view() -> &'static RunView {
    static VIEW: OnceLock<RunView> = OnceLock::new();
    VIEW.get_or_init(|| {
        let view = real_view(0.0);
        assert!(view.memorised_at().is_some() && view.grokked_at().is_none());
        view
    })
}

// ---------------------------------------------------------------------------------------
// The step scale

#[test]
fn step_scale_runs_between_its_declared_colours_getting_lighter() {
    assert_eq!(STEP_SCALE[0], okabe_ito::BLUE);
    assert_eq!(STEP_SCALE[2], okabe_ito::ORANGE);
    assert_eq!(step_scale(0.0), STEP_SCALE[0]);
    assert_eq!(step_scale(1.0), STEP_SCALE[2]);
    assert_eq!(step_scale(-3.0), STEP_SCALE[0], "clamped");
    assert_eq!(step_scale(7.0), STEP_SCALE[2], "clamped");
    assert_eq!(step_scale(f64::NAN), STEP_SCALE[0]);
    // The middle colour is on the scale, and lightness rises all along it (so the order
    // reads without hue), each step a small one (no jumps).
    let colours: Vec<RGBColor> = (0..=200).map(|i| step_scale(i as f64 / 200.0)).collect();
    assert!(
        colours.contains(&STEP_SCALE[1]),
        "passes through the middle"
    );
    for pair in colours.windows(2) {
        let (a, b) = (lightness(pair[0]), lightness(pair[1]));
        assert!(b >= a - 1e-3, "lightness falls: {a} → {b}");
        assert!(b - a < 0.01, "a jump: {a} → {b}");
    }
    assert!(lightness(STEP_SCALE[2]) - lightness(STEP_SCALE[0]) > 0.2);
    // Neither end disappears into either background: both stay well clear of white and of
    // the dark theme's background in lightness.
    for c in STEP_SCALE {
        assert!(lightness(c) < 0.8 && lightness(c) > lightness(DARK.background) + 0.3);
    }
}

// ---------------------------------------------------------------------------------------
// The path through weight space

#[test]
fn weight_path_of_a_real_run_is_labelled_and_coloured_by_step() {
    let view = grokking_view();
    let path = view.path();
    let n = path.points.len();
    assert!(n > 10, "samples at the frame steps: {n}");
    let last = path.points[n - 1].step;
    assert_eq!(last, 700);
    for (name, theme) in [
        ("path_real", Theme::default()),
        (
            "path_real_dark",
            Theme {
                scale: 1.0,
                dark: true,
            },
        ),
    ] {
        let svg = render(name, SIZE, |a| {
            draw_weight_path(a, path, view.memorised_at(), view.grokked_at(), &theme)
        });
        check_common(&svg, &theme);
        let pc1 = format!("PC 1 ({} of variance)", percent(path.explained[0]));
        let pc2 = format!("PC 2 ({})", percent(path.explained[1]));
        assert!(has_text(&svg, &pc1), "{pc1}: {:?}", texts(&svg));
        assert!(has_text(&svg, &pc2), "{pc2}");
        assert!(path.explained[0] > path.explained[1] && path.explained[1] > 0.0);
        assert_eq!(count_text(&svg, "memorised"), 1);
        assert_eq!(count_text(&svg, "grokked"), 1);
        assert_eq!(count_text(&svg, "step 0"), 1, "the first sample's step");
        assert_eq!(count_text(&svg, "step 700"), 1, "the latest sample's step");
        // A dot per sample; the first in the scale's first colour, the latest (a larger
        // dot) in its last; the markers' grey rings round two samples.
        assert!(elements(&svg, "circle").count() >= n);
        assert!(dots(&svg, STEP_SCALE[0]) >= 1, "first sample");
        assert!(
            dots(&svg, STEP_SCALE[2]) >= 2,
            "latest sample, dot and big dot"
        );
        assert!(rings(&svg, STEP_SCALE[0]) >= 1, "the start is a ring");
        assert_eq!(rings(&svg, MARKER_COLOR), 2, "memorised and grokked ringed");
        // The colour bar: the ends and the decades between.
        for tick in ["step", "0", "10", "100", "700"] {
            assert!(has_text(&svg, tick), "colour bar label {tick}");
        }
        // Text in the theme's colours.
        let ink = format!("fill=\"{}\"", css_hex(theme.palette().text));
        assert!(elements(&svg, "text").any(|t| t.contains(&ink)));
    }
}

#[test]
fn weight_path_marks_only_what_the_path_has_reached() {
    let theme = Theme::default();
    let path = Path {
        points: (0..12)
            .map(|i| PathPoint {
                step: i * 10,
                x: i as f64,
                y: ((i as f64) * 0.7).sin(),
            })
            .collect(),
        explained: [0.625, 0.21],
    };
    // Memorised at 75 (between the samples at 70 and 80: the nearer in log step is 80),
    // grokked at 500, beyond the latest sample (110): not marked yet.
    let svg = render("path_synthetic", SIZE, |a| {
        draw_weight_path(a, &path, Some(75), Some(500), &theme)
    });
    check_common(&svg, &theme);
    assert!(
        has_text(&svg, "PC 1 (63% of variance)"),
        "{:?}",
        texts(&svg)
    );
    assert!(has_text(&svg, "PC 2 (21%)"));
    assert_eq!(count_text(&svg, "memorised"), 1);
    assert_eq!(count_text(&svg, "grokked"), 0);
    assert_eq!(rings(&svg, MARKER_COLOR), 1);
    // The latest sample marked "memorised" as well: one label says both.
    let svg = render("path_synthetic_merged", SIZE, |a| {
        draw_weight_path(a, &path, Some(110), None, &theme)
    });
    assert!(has_text(&svg, "memorised · step 110"), "{:?}", texts(&svg));
}

#[test]
fn weight_path_with_no_or_broken_data_draws_empty_axes() {
    let theme = Theme::default();
    let one = Path {
        points: vec![PathPoint {
            step: 0,
            x: 0.0,
            y: 0.0,
        }],
        explained: [0.0, 0.0],
    };
    for (name, path) in [("path_empty", Path::default()), ("path_one", one)] {
        let svg = render(name, SIZE, |a| {
            draw_weight_path(a, &path, Some(30), Some(500), &theme)
        });
        check_common(&svg, &theme);
        assert!(has_text(&svg, "PC 1") && has_text(&svg, "PC 2"));
        assert_eq!(elements(&svg, "circle").count(), 0, "{name}: no data drawn");
        assert_eq!(count_text(&svg, "memorised") + count_text(&svg, "step"), 0);
    }
    // Non-finite coordinates are left out; NaN shares draw the plain descriptions.
    let nan = |step| PathPoint {
        step,
        x: f64::NAN,
        y: 1.0,
    };
    let p = |step, x: f64, y: f64| PathPoint { step, x, y };
    let path = Path {
        points: vec![
            p(0, -2.0, -1.0),
            p(10, -1.0, 0.5),
            nan(20),
            p(30, 1.0, 0.0),
            PathPoint {
                step: 40,
                x: 2.0,
                y: f64::INFINITY,
            },
            p(50, 3.0, 1.0),
        ],
        explained: [f64::NAN, 0.3],
    };
    let svg = render("path_nan", SIZE, |a| {
        draw_weight_path(a, &path, Some(20), None, &theme)
    });
    check_common(&svg, &theme);
    assert!(has_text(&svg, "PC 1") && has_text(&svg, "PC 2 (30%)"));
    assert_eq!(count_text(&svg, "memorised"), 1);
    // Two sample points the same step apart, all at one place: still no panic.
    let flat = Path {
        points: vec![p(0, 1.0, 1.0), p(1, 1.0, 1.0)],
        explained: [1.0, 0.0],
    };
    let svg = render("path_flat", SIZE, |a| {
        draw_weight_path(a, &flat, None, None, &theme)
    });
    check_common(&svg, &theme);
}

// ---------------------------------------------------------------------------------------
// Effective dimension

#[test]
fn effective_dimension_falls_on_the_step_axis_with_the_markers() {
    let view = grokking_view();
    let dims = view.dims();
    assert!(dims.len() > 10 && dims.iter().all(|d| d.1 > 0.0 && d.1 <= 32.0));
    let theme = Theme::default();
    let runs = [view.curves("")];
    let svg = render("effective_dim_real", SIZE, |a| {
        draw_effective_dim(a, &runs, &[dims], &theme)
    });
    check_common(&svg, &theme);
    assert!(has_text(&svg, "effective dimension of the embedding"));
    assert!(has_text(&svg, "training step"));
    assert_eq!(count_text(&svg, "memorised"), 1);
    assert_eq!(count_text(&svg, "grokked"), 1);
    assert_eq!(curves_in(&svg, RUN_COLORS[0], dims.len() - 2), 1);
    assert!(has_text(&svg, "0"), "the y axis starts at 0");

    // Two runs: a colour and a legend entry each.
    let other = no_decay_view();
    let runs = [view.curves("decay 1"), other.curves("decay 0")];
    let dark = Theme {
        scale: 1.5,
        dark: true,
    };
    let svg = render("effective_dim_two", (960, 600), |a| {
        draw_effective_dim(a, &runs, &[dims, other.dims()], &dark)
    });
    check_common(&svg, &dark);
    assert!(has_text(&svg, "decay 1") && has_text(&svg, "decay 0"));
    assert_eq!(curves_in(&svg, RUN_COLORS[1], 10), 1);
    assert_eq!(count_text(&svg, "grokked"), 1, "only the run that grokked");
}

#[test]
fn effective_dimension_survives_empty_and_odd_input() {
    let theme = Theme::default();
    let empty: &[(u64, f64)] = &[];
    let odd: &[(u64, f64)] = &[(0, f64::NAN), (10, 3.0), (20, f64::INFINITY), (30, 0.0)];
    let one: &[(u64, f64)] = &[(0, 24.0)];
    let no_points = RunCurves {
        label: "",
        points: &[],
        events: &[],
        memorised_at: None,
        grokked_at: None,
    };
    for (name, dims) in [("empty", empty), ("odd", odd), ("one", one)] {
        let svg = render(&format!("effective_dim_{name}"), SIZE, |a| {
            draw_effective_dim(a, &[no_points], &[dims], &theme)
        });
        check_common(&svg, &theme);
        assert!(has_text(&svg, "effective dimension of the embedding"));
    }
    // No runs; more dims than runs; tiny areas.
    let svg = render("effective_dim_none", SIZE, |a| {
        draw_effective_dim(a, &[], &[odd], &theme)
    });
    check_common(&svg, &theme);
    for size in [(0, 0), (50, 40), (130, 100)] {
        render("effective_dim_tiny", size, |a| {
            draw_effective_dim(a, &[no_points], &[odd], &theme)
        });
    }
}

// ---------------------------------------------------------------------------------------
// Weight norm against test loss

#[test]
fn norm_loss_overlays_runs_with_their_markers_and_a_legend() {
    let (grok, mem) = (grokking_view(), no_decay_view());
    let theme = Theme::default();
    let runs = [grok.curves("weight decay 1"), mem.curves("weight decay 0")];
    let svg = render("norm_loss_two", SIZE, |a| draw_norm_loss(a, &runs, &theme));
    check_common(&svg, &theme);
    assert!(has_text(&svg, "weight norm") && has_text(&svg, "test loss"));
    assert!(has_text(&svg, "weight decay 1") && has_text(&svg, "weight decay 0"));
    assert_eq!(curves_in(&svg, RUN_COLORS[0], 50), 1, "first run's path");
    assert_eq!(curves_in(&svg, RUN_COLORS[1], 50), 1, "second run's path");
    assert_eq!(count_text(&svg, "memorised"), 2, "both memorised");
    assert_eq!(count_text(&svg, "grokked"), 1, "one grokked");
    assert_eq!(rings(&svg, MARKER_COLOR), 3);
    // Both start from the same initialisation: one "start" between them.
    assert_eq!(count_text(&svg, "start"), 1);
    assert_eq!(rings(&svg, RUN_COLORS[0]) + rings(&svg, RUN_COLORS[1]), 2);
    // The latest points: filled dots in the runs' colours.
    assert!(dots(&svg, RUN_COLORS[0]) >= 1 && dots(&svg, RUN_COLORS[1]) >= 1);
    // A log loss axis: decade ticks.
    assert!(texts(&svg)
        .iter()
        .any(|t| t == "1" || t == "10" || t == "0.1"));

    // One run: no legend.
    let single = [grok.curves("weight decay 1")];
    let dark = Theme {
        scale: 2.0,
        dark: true,
    };
    let svg = render("norm_loss_one_dark", (1280, 800), |a| {
        draw_norm_loss(a, &single, &dark)
    });
    check_common(&svg, &dark);
    assert!(
        !has_text(&svg, "weight decay 1"),
        "a single run needs no legend"
    );
    assert_eq!(count_text(&svg, "memorised"), 1);
    assert_eq!(count_text(&svg, "grokked"), 1);
    let ink = format!("fill=\"{}\"", css_hex(DARK.text));
    assert!(elements(&svg, "text").any(|t| t.contains(&ink)));
}

/// A young run (its test loss 4.3–6, about ln 97, its norm falling from 58 to 52) gets a
/// loss axis labelled below, among and above its points: a range that holds one decade
/// once had a label only at 10 and 20.
#[test]
fn norm_loss_labels_the_losses_of_a_young_run() {
    let theme = Theme::default();
    let points: Vec<Point> = (0..30)
        .map(|i| {
            let t = f64::from(i) / 29.0;
            Point {
                step: i as u64,
                train_loss: 4.5 - t,
                train_acc: 0.1 * t,
                test_loss: 4.3 + 1.7 * t * t,
                test_acc: 0.001,
                weight_norm: 58.0 - 6.0 * t,
            }
        })
        .collect();
    let runs = [RunCurves {
        label: "young",
        points: &points,
        events: &[],
        memorised_at: None,
        grokked_at: None,
    }];
    let svg = render("norm_loss_young", SIZE, |a| {
        draw_norm_loss(a, &runs, &theme)
    });
    check_common(&svg, &theme);
    // The weight norm's labels are 52–58; "2" and "5" can only be the loss axis's.
    for label in ["2", "5", "10"] {
        assert!(
            has_text(&svg, label),
            "no loss label {label}: {:?}",
            texts(&svg)
        );
    }
}

#[test]
fn norm_loss_survives_empty_zero_nan_and_single_points() {
    let theme = Theme::default();
    let pt = |step, norm: f64, loss: f64| Point {
        step,
        train_loss: loss,
        train_acc: 0.5,
        test_loss: loss,
        test_acc: 0.1,
        weight_norm: norm,
    };
    let odd = [
        pt(0, 50.0, 4.0),
        pt(1, f64::NAN, 3.0),
        pt(2, 52.0, 0.0),
        pt(3, 53.0, f64::INFINITY),
        pt(4, 51.0, 1e-12),
    ];
    let one = [pt(0, 58.0, 4.5)];
    let run = |points| RunCurves {
        label: "run",
        points,
        events: &[],
        memorised_at: Some(2),
        grokked_at: Some(40),
    };
    for (name, runs) in [
        ("none", vec![]),
        ("no_points", vec![run(&[])]),
        ("odd", vec![run(&odd)]),
        ("one", vec![run(&one)]),
        ("one_and_odd", vec![run(&one), run(&odd)]),
    ] {
        let svg = render(&format!("norm_loss_{name}"), SIZE, |a| {
            draw_norm_loss(a, &runs, &theme)
        });
        check_common(&svg, &theme);
        assert!(has_text(&svg, "weight norm"), "{name}");
        assert_eq!(count_text(&svg, "grokked"), 0, "{name}: not reached");
    }
    let svg = render("norm_loss_odd_again", SIZE, |a| {
        draw_norm_loss(a, &[run(&odd)], &theme)
    });
    assert_eq!(count_text(&svg, "memorised"), 1);
    for size in [(0, 0), (50, 40), (130, 100)] {
        render("norm_loss_tiny", size, |a| {
            draw_norm_loss(a, &[run(&odd)], &theme)
        });
    }
}

#[test]
fn tiny_areas_and_odd_scales_do_not_panic() {
    let view = grokking_view();
    for scale in [0.0, f64::NAN, 0.3, 1.0, 3.0, 100.0] {
        let theme = Theme { scale, dark: false };
        for size in [(0, 0), (1, 1), (60, 40), (121, 91), (200, 150), (640, 400)] {
            render("path_tiny", size, |a| {
                draw_weight_path(a, view.path(), Some(30), Some(520), &theme)
            });
            render("norm_loss_tiny", size, |a| {
                draw_norm_loss(a, &[view.curves("")], &theme)
            });
        }
    }
}
