//! The hidden-progress figure (Nanda et al. 2023): measures that move during the plateau,
//! before test accuracy does.
//!
//! Restricted and excluded loss (how much of the network's answer the key frequencies
//! carry) on a log axis, and below them the concentration of the embedding (Gini
//! coefficient, key share), both over the same log step axis as the accuracy chart, with
//! its markers — drawn by the chart engine's [`draw_step_chart`].

use super::chart::{
    clamp_loss, draw_step_chart, log_range, segments_by, Curve, Dash, DrawResult, LegendEntry,
    RunCurves, StepChart, MIN_LOSS,
};
use super::format::{format_log_tick, format_number};
use super::theme::{Theme, EXCLUDED_COLOR, GINI_COLOR, KEY_SHARE_COLOR, RESTRICTED_COLOR};
use crate::analysis::Progress;
use crate::train::ProgressPoint;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The hidden-progress measures of one run (Nanda et al. 2023) against the log step axis,
/// with the run's "memorised" and "grokked" markers and event lines as in
/// [`draw_accuracy`](super::draw_accuracy) (`run` supplies them and the extent of the
/// step axis).
///
/// With `with_losses` (operations that have the measures, see
/// [`crate::analysis::answer_variable`]) the area is split: on top, the restricted loss
/// (solid green: logits kept only along the key frequencies, on all pairs) and the
/// excluded loss (dashed purple: key frequencies removed, on the training pairs), log y;
/// below, a smaller chart of the Gini coefficient of the embedding's per-frequency norms
/// (solid blue) and the share of its energy on the key frequencies (dashed orange), both
/// 0…1. Without, the whole area is the Gini/key-share chart.
pub fn draw_progress<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    run: &RunCurves,
    progress: &[ProgressPoint],
    with_losses: bool,
    theme: &Theme,
) -> DrawResult<DB> {
    let runs = std::slice::from_ref(run);
    let concentration = |area: &DrawingArea<DB, Shift>| {
        let fmt = |v: &f64| format_number(*v);
        let curves = vec![
            Curve {
                segments: segments_by(progress, |p| p.step, |p| Some(p.gini)),
                color: GINI_COLOR,
                dash: Dash::Solid,
            },
            Curve {
                segments: segments_by(progress, |p| p.step, |p| Some(p.key_share)),
                color: KEY_SHARE_COLOR,
                dash: Dash::Dashed,
            },
        ];
        let legend = vec![
            LegendEntry {
                text: "Gini coefficient".into(),
                color: GINI_COLOR,
                dash: Dash::Solid,
                group: 0,
            },
            LegendEntry {
                text: "key share".into(),
                color: KEY_SHARE_COLOR,
                dash: Dash::Dashed,
                group: 0,
            },
        ];
        let spec = StepChart {
            y_desc: "Gini, share",
            y_range: (-0.02, 1.02),
            y_fmt: &fmt,
            y_minor: false,
            curves,
            legend,
        };
        draw_step_chart(area, runs, theme, spec, -0.02..1.02)
    };
    if !with_losses {
        return concentration(area);
    }
    let (_, h) = area.dim_in_pixel();
    let (top, bottom) = area.split_vertically((h as f64 * 0.58).round() as i32);

    let measured = |f: fn(&Progress) -> f64| move |p: &ProgressPoint| p.measures.as_ref().map(f);
    let restricted = measured(|m| m.restricted_loss);
    let excluded = measured(|m| m.excluded_loss);
    let values = progress
        .iter()
        .flat_map(|p| [restricted(p), excluded(p)])
        .flatten();
    let (lo, hi) = log_range(values, MIN_LOSS, (0.01, 10.0));
    let fmt = |v: &f64| format_log_tick(*v);
    let curves = vec![
        Curve {
            segments: segments_by(progress, |p| p.step, |p| restricted(p).map(clamp_loss)),
            color: RESTRICTED_COLOR,
            dash: Dash::Solid,
        },
        Curve {
            segments: segments_by(progress, |p| p.step, |p| excluded(p).map(clamp_loss)),
            color: EXCLUDED_COLOR,
            dash: Dash::Dashed,
        },
    ];
    let legend = vec![
        LegendEntry {
            text: "restricted loss (all pairs)".into(),
            color: RESTRICTED_COLOR,
            dash: Dash::Solid,
            group: 0,
        },
        LegendEntry {
            text: "excluded loss (train pairs)".into(),
            color: EXCLUDED_COLOR,
            dash: Dash::Dashed,
            group: 0,
        },
    ];
    let spec = StepChart {
        y_desc: "loss",
        y_range: (lo, hi),
        y_fmt: &fmt,
        y_minor: true,
        curves,
        legend,
    };
    draw_step_chart(&top, runs, theme, spec, (lo..hi).log_scale())?;
    concentration(&bottom)
}
