//! The step-axis figures: train and test accuracy, loss, the weight norm, and several runs
//! compared on shared axes.
//!
//! Each is a thin description — which curves, which legend, which y axis — handed to the
//! chart engine's [`draw_step_chart`], which draws the log step axis, the "memorised" and
//! "grokked" markers and the lines of mid-run changes the same way for all of them.

use super::chart::{
    clamp_loss, draw_step_chart, linear_range, log_range, segments, Curve, Dash, DrawResult,
    LegendEntry, RunCurves, StepChart, MIN_LOSS,
};
use super::format::{format_log_tick, format_number};
use super::theme::{Theme, NORM_COLOR, RUN_COLORS, TEST_COLOR, TRAIN_COLOR};
use crate::train::Point;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Train and test accuracy (percent, linear) of each run over a log step axis, with
/// dashed "memorised"/"grokked" markers and a thin line at each mid-run change of learning
/// rate or weight decay (labelled with the new value, e.g. "wd 0.3").
///
/// Several runs share the axes: each keeps the train/test colours and is drawn in its own
/// dash (solid, dashed, dotted), named in the legend as "label · train" / "label · test".
/// Step 0 is drawn at x = 1 (a log axis has no 0); every other step at its true position.
/// The y range is −2…102 % so that a curve at exactly 0 or 100 % stays visible above the
/// frame line.
pub fn draw_accuracy<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    runs: &[RunCurves],
    theme: &Theme,
) -> DrawResult<DB> {
    accuracy_chart(area, runs, theme, false)
}

/// Train and test loss of each run, log–log. The y range covers the data out to whole
/// decades; losses are clamped to ≥ [`MIN_LOSS`] (a loss of exactly 0 sits on the floor)
/// and NaN/∞ values are skipped. Markers, events, legend and runs as in [`draw_accuracy`].
pub fn draw_loss<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    runs: &[RunCurves],
    theme: &Theme,
) -> DrawResult<DB> {
    loss_chart(area, runs, theme, false)
}

/// The Euclidean norm of all parameters of each run over the log step axis (linear y,
/// range from the data). It rises while the network memorises and falls as weight decay
/// erodes the memorising solution. One run needs no legend (the axis says what it is);
/// several runs are told apart by dash and named in a legend. Markers and event lines as
/// in [`draw_accuracy`], so the fall can be read against the moment of grokking.
pub fn draw_weight_norm<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    runs: &[RunCurves],
    theme: &Theme,
) -> DrawResult<DB> {
    let mut curves = Vec::new();
    let mut legend = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let dash = Dash::of_run(i);
        curves.push(Curve {
            segments: segments(run.points, |p| p.weight_norm),
            color: NORM_COLOR,
            dash,
        });
        if runs.len() > 1 {
            legend.push(LegendEntry {
                text: run.label.to_string(),
                color: NORM_COLOR,
                dash,
                group: 0,
            });
        }
    }
    let values = runs
        .iter()
        .flat_map(|r| r.points.iter())
        .map(|p| p.weight_norm);
    let (lo, hi) = linear_range(values, (0.0, 10.0));
    let fmt = |v: &f64| format_number(*v);
    let spec = StepChart {
        y_desc: "weight norm",
        y_range: (lo, hi),
        y_fmt: &fmt,
        y_minor: false,
        curves,
        legend,
    };
    draw_step_chart(area, runs, theme, spec, lo..hi)
}

/// What a comparison figure shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Train and test accuracy (percent, linear).
    Accuracy,
    /// Train and test loss (log).
    Loss,
}

impl std::str::FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "accuracy" => Ok(Metric::Accuracy),
            "loss" => Ok(Metric::Loss),
            _ => Err(format!(
                "unknown metric '{s}' (expected \"accuracy\" or \"loss\")"
            )),
        }
    }
}

/// Several runs on shared axes, told apart by colour: each run in its own colour from
/// [`RUN_COLORS`], its train curve dashed and its test curve solid, named in the legend as
/// "label · train" / "label · test" (one legend row per run when they do not fit in one).
/// The step axis covers the longest run; the y axis is that of [`draw_accuracy`] or
/// [`draw_loss`] (the loss range covers every run). Markers name their run ("grokked ·
/// decay on") unless all runs share them, as in [`draw_accuracy`].
pub fn draw_comparison<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    runs: &[RunCurves],
    metric: Metric,
    theme: &Theme,
) -> DrawResult<DB> {
    match metric {
        Metric::Accuracy => accuracy_chart(area, runs, theme, true),
        Metric::Loss => loss_chart(area, runs, theme, true),
    }
}

// ---------------------------------------------------------------------------------------
// Shared by the accuracy, loss and comparison figures

/// The accuracy chart, coloured by metric (train/test) or by run (see
/// [`train_test_curves`]).
fn accuracy_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    runs: &[RunCurves],
    theme: &Theme,
    by_run: bool,
) -> DrawResult<DB> {
    let pct = |v: f64| (100.0 * v).clamp(0.0, 100.0);
    let (curves, legend) =
        train_test_curves(runs, |p| pct(p.train_acc), |p| pct(p.test_acc), by_run);
    let fmt = |v: &f64| format_number(*v);
    let spec = StepChart {
        y_desc: "accuracy (%)",
        y_range: (-2.0, 102.0),
        y_fmt: &fmt,
        y_minor: false,
        curves,
        legend,
    };
    draw_step_chart(area, runs, theme, spec, -2.0..102.0)
}

/// The loss chart, coloured by metric (train/test) or by run (see [`train_test_curves`]).
fn loss_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    runs: &[RunCurves],
    theme: &Theme,
    by_run: bool,
) -> DrawResult<DB> {
    let (curves, legend) = train_test_curves(
        runs,
        |p| clamp_loss(p.train_loss),
        |p| clamp_loss(p.test_loss),
        by_run,
    );
    let values = runs
        .iter()
        .flat_map(|r| r.points.iter())
        .flat_map(|p| [p.train_loss, p.test_loss]);
    let (lo, hi) = log_range(values, MIN_LOSS, (0.01, 10.0));
    let fmt = |v: &f64| format_log_tick(*v);
    let spec = StepChart {
        y_desc: "loss",
        y_range: (lo, hi),
        y_fmt: &fmt,
        y_minor: true,
        curves,
        legend,
    };
    draw_step_chart(area, runs, theme, spec, (lo..hi).log_scale())
}

/// Train and test curves of every run, and their legend entries: with one run "train" and
/// "test"; with several "label · train" and "label · test", runs told apart by dash.
///
/// With `by_run` (the comparison figure) each run has its own colour from [`RUN_COLORS`]
/// instead, train dashed and test solid, and the legend always names the runs.
fn train_test_curves(
    runs: &[RunCurves],
    train: impl Fn(&Point) -> f64,
    test: impl Fn(&Point) -> f64,
    by_run: bool,
) -> (Vec<Curve>, Vec<LegendEntry>) {
    let mut curves = Vec::new();
    let mut legend = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let styles = if by_run {
            let color = RUN_COLORS[i % RUN_COLORS.len()];
            [(color, Dash::Dashed), (color, Dash::Solid)]
        } else {
            [
                (TRAIN_COLOR, Dash::of_run(i)),
                (TEST_COLOR, Dash::of_run(i)),
            ]
        };
        for ((name, f), (color, dash)) in
            [("train", &train as &dyn Fn(&Point) -> f64), ("test", &test)]
                .into_iter()
                .zip(styles)
        {
            curves.push(Curve {
                segments: segments(run.points, f),
                color,
                dash,
            });
            let text = if runs.len() == 1 && !by_run {
                name.to_string()
            } else {
                format!("{} · {name}", run.label)
            };
            legend.push(LegendEntry {
                text,
                color,
                dash,
                group: i,
            });
        }
    }
    // With no run at all the legend still explains the colours the chart will use.
    if runs.is_empty() {
        for (text, color) in [("train", TRAIN_COLOR), ("test", TEST_COLOR)] {
            legend.push(LegendEntry {
                text: text.into(),
                color,
                dash: Dash::Solid,
                group: 0,
            });
        }
    }
    (curves, legend)
}
