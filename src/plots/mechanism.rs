//! Figures of how the network computes: the transformer's attention over a run, and which
//! Fourier frequency each hidden neuron reads.
//!
//! [`draw_attention`] follows, per head, how much the "=" position attends to a and to b
//! (averaged over all p² pairs) on the same log step axis as the accuracy chart, with its
//! markers — drawn by the chart engine's `draw_step_chart`. [`draw_neuron_frequencies`]
//! is a neurons × frequencies heatmap of the Fourier energy of each neuron's input
//! weights (see [`crate::analysis::neuron_frequencies`]): after grokking each row is one
//! bright cell at a key frequency, and the rows, sorted by that frequency, form blocks.

use super::chart::{
    draw_step_chart, measure, segments_by, text_width, too_small, Curve, Dash, DrawResult,
    LegendEntry, RunCurves, StepChart,
};
use super::format::format_number;
use super::theme::{Theme, HEAD_COLORS, NEURON_HEAT_COLOR};
use crate::analysis::NeuronFrequencies;
use crate::engine::AttentionPoint;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The colour of head `h`.
pub fn head_color(h: usize) -> RGBColor {
    HEAD_COLORS[h % HEAD_COLORS.len()]
}

/// The "=" position's attention to a (solid) and to b (dashed) for each head, averaged
/// over all pairs, at each recorded step of `attention`, on `run`'s log step axis with
/// its "memorised" and "grokked" markers and event lines (as
/// [`draw_accuracy`](super::draw_accuracy)). y is 0…1; what a head gives neither goes to
/// "=" itself. Empty input (an MLP run, or no step yet) draws the empty axes.
pub fn draw_attention<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    run: &RunCurves,
    attention: &[AttentionPoint],
    theme: &Theme,
) -> DrawResult<DB> {
    let heads = attention.iter().map(|a| a.heads.len()).max().unwrap_or(0);
    let mut curves = Vec::with_capacity(2 * heads);
    let mut legend = Vec::with_capacity(heads + 2);
    for h in 0..heads {
        let color = head_color(h);
        for (slot, dash) in [(0, Dash::Solid), (1, Dash::Dashed)] {
            curves.push(Curve {
                segments: segments_by(attention, |a| a.step, |a| a.heads.get(h).map(|w| w[slot])),
                color,
                dash,
            });
        }
        legend.push(LegendEntry {
            text: format!("head {}", h + 1),
            color,
            dash: Dash::Solid,
            group: 0,
        });
    }
    if heads > 0 {
        let muted = theme.palette().muted;
        legend.push(LegendEntry {
            text: "to a".into(),
            color: muted,
            dash: Dash::Solid,
            group: 1,
        });
        legend.push(LegendEntry {
            text: "to b".into(),
            color: muted,
            dash: Dash::Dashed,
            group: 1,
        });
    }
    let fmt = |v: &f64| format_number(*v);
    let spec = StepChart {
        y_desc: "attention from \"=\"",
        y_range: (-0.02, 1.02),
        y_fmt: &fmt,
        y_minor: false,
        curves,
        legend,
    };
    draw_step_chart(area, std::slice::from_ref(run), theme, spec, -0.02..1.02)
}

/// The neurons × frequencies heatmap of `neurons`: one row per neuron, sorted by
/// dominant frequency (see [`NeuronFrequencies::display_order`]), one column per
/// frequency k = 1..=p/2; a cell's colour goes from the background (no energy) to
/// [`NEURON_HEAT_COLOR`] (all of the neuron's energy). A strip on top gives the mean
/// share at the dominant frequency. Empty input draws the empty frame.
pub fn draw_neuron_frequencies<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    neurons: &NeuronFrequencies,
    theme: &Theme,
) -> DrawResult<DB> {
    let pal = theme.palette();
    area.fill(&pal.background)?;
    if too_small(area, theme) {
        return Ok(());
    }
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let text = theme.font(theme.text_size(), pal.text);
    let tick = theme.font(theme.tick_size(), pal.muted);
    let margin = theme.px(10.0);
    let gap = theme.px(6.0);
    let tick_len = theme.px(4.0);
    let (_, text_h) = measure(area, "Ag", &text)?;
    let (_, tick_h) = measure(area, "0", &tick)?;

    let rows = neurons.shares.len();
    let freqs = neurons.shares.first().map_or(0, Vec::len);
    let x_hi = freqs.max(1) as f64 + 0.5;
    let y_hi = rows.max(1) as f64;
    let widest = text_width(area, &format!("{}", rows.max(10)), &tick)?;
    let y_area = widest + 2 * tick_len + text_h + gap + gap / 2;
    let x_area = tick_h + 2 * tick_len + text_h + gap + gap / 2;
    let strip_h = text_h + 2 * gap;
    if h - strip_h - x_area - margin < theme.px(30.0) || w - y_area - 2 * margin < theme.px(40.0) {
        return Ok(());
    }
    let chart_area = area.margin(strip_h, 0, 0, 0);
    let mut chart = ChartBuilder::on(&chart_area)
        .margin_left(margin)
        .margin_right(margin + theme.px(6.0))
        .margin_top(gap)
        .margin_bottom(margin / 2)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(0.5..x_hi, 0.0..y_hi)?;
    let int_fmt = |v: &f64| {
        if (v - v.round()).abs() < 1e-9 {
            format!("{}", v.round() as i64)
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(12)
        .y_labels(6)
        .x_label_formatter(&int_fmt)
        .y_label_formatter(&int_fmt)
        .x_desc("frequency k")
        .y_desc("neuron (by frequency)")
        .label_style(tick.clone())
        .axis_desc_style(text.clone())
        .axis_style(ShapeStyle::from(pal.muted).stroke_width(theme.stroke(1.0)))
        .set_all_tick_mark_size(tick_len)
        .draw()?;

    // Row 0 at the top: the lowest dominant frequency first.
    let plot = chart.plotting_area();
    let bg = pal.background;
    let mix = |t: f64| {
        let t = if t.is_finite() {
            t.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let c = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
        RGBColor(
            c(bg.0, NEURON_HEAT_COLOR.0),
            c(bg.1, NEURON_HEAT_COLOR.1),
            c(bg.2, NEURON_HEAT_COLOR.2),
        )
    };
    for (row, &j) in neurons.display_order().iter().enumerate() {
        let y = y_hi - row as f64;
        for (i, &share) in neurons.shares[j].iter().enumerate() {
            // A square root so the shares of a half-grokked neuron still show.
            let t = share.max(0.0).sqrt();
            if t < 0.02 {
                continue;
            }
            let x = (i + 1) as f64;
            plot.draw(&Rectangle::new(
                [(x - 0.5, y - 1.0), (x + 0.5, y)],
                mix(t).filled(),
            ))?;
        }
    }

    let cy = strip_h / 2 + theme.px(2.0);
    let base = area.get_base_pixel();
    let plot_left = chart.backend_coord(&(0.5, 0.0)).0 - base.0;
    if rows > 0 {
        let style = text.pos(Pos::new(HPos::Left, VPos::Center));
        let caption = format!(
            "{rows} neurons · {:.0}% of a neuron's energy at its main frequency (mean)",
            100.0 * neurons.mean_dominant_share()
        );
        area.draw_text(&caption, &style, (plot_left, cy))?;
    }
    Ok(())
}
