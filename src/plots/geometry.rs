//! The figures of "What decides when it groks": where the run goes in weight space.
//!
//! - [`draw_weight_path`]: the run's path through weight space, projected on the top two
//!   principal components of the parameter samples ([`crate::geometry::Path`]), coloured
//!   by step along the sequential [`step_scale`], with the first and latest samples and
//!   the samples nearest "memorised" and "grokked" labelled;
//! - [`draw_effective_dim`]: the embedding's effective dimension (participation ratio)
//!   over the log step axis, through the chart engine's [`draw_step_chart`], so its
//!   markers and event lines are those of every step chart;
//! - [`draw_norm_loss`]: Omnigrok's picture (Liu, Michaud & Tegmark 2023): each run as a
//!   path through the plane of weight norm against test loss, so runs of different
//!   settings can be overlaid and compared where they go, not when.
//!
//! The two plane figures share a small frame ([`plane_chart`]) and a labeller that puts
//! each point's label on the side where it covers the least ([`place_tags`]): their labels
//! sit next to data, not in a band above it as on the step axis.

use super::chart::{
    clamp_loss, draw_step_chart, layout_legend, linear_range, measure, segments_by, step_x,
    stroke_path, text_width, tick_labels, too_small, Curve, Dash, DrawResult, LegendEntry,
    RunCurves, StepChart,
};
use super::format::{format_log_tick, format_number, format_step};
use super::theme::{step_scale, Theme, MARKER_COLOR, RUN_COLORS};
use crate::geometry::{Path, PathPoint};
use crate::prose::percent;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

// ---------------------------------------------------------------------------------------
// The path through weight space

/// Each segment between two samples is drawn as this many pieces, each in the colour of
/// its own step, so the colour changes smoothly along a long segment.
const PIECES: usize = 8;

/// The run's path through weight space in the plane of the top two principal components
/// of its parameter samples (`path`, see [`crate::geometry::WeightPath::project`]).
///
/// The line runs through the samples in order and is coloured by step along
/// [`step_scale`] on a log-step scale (step 0 counted as 1, as on the step axes): blue at
/// the first sample, orange at the latest; a colour bar above the plot shows the mapping
/// with its decades. Each sample is a dot; the first is a ring and the latest a larger dot,
/// both labelled with their step ("step 0", "step 1.2k"); the samples nearest (in log
/// step) to `memorised_at` and `grokked_at` are ringed in the step charts' marker grey and
/// labelled "memorised" and "grokked" — once the path has reached that step. The axes say
/// how much of the samples' variance each component holds: "PC 1 (62% of variance)",
/// "PC 2 (21%)". The aspect is not equal (PC 2 is usually much flatter than PC 1).
///
/// With fewer than two finite samples the axes are drawn empty; a sample with a
/// non-finite coordinate is left out and breaks the line.
pub fn draw_weight_path<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    path: &Path,
    memorised_at: Option<u64>,
    grokked_at: Option<u64>,
    theme: &Theme,
) -> DrawResult<DB> {
    let pal = theme.palette();
    area.fill(&pal.background)?;
    if too_small(area, theme) {
        return Ok(());
    }
    let finite = |p: &PathPoint| p.x.is_finite() && p.y.is_finite();
    let samples: Vec<PathPoint> = path.points.iter().copied().filter(finite).collect();
    let drawn = samples.len() >= 2;
    let share = |k: usize| {
        let e = path.explained[k];
        (drawn && e.is_finite() && e > 0.0).then_some(e)
    };
    let x_desc = match share(0) {
        Some(e) => format!("PC 1 ({} of variance)", percent(e)),
        None => "PC 1".to_string(),
    };
    let y_desc = match share(1) {
        Some(e) => format!("PC 2 ({})", percent(e)),
        None => "PC 2".to_string(),
    };
    let (xs, ys): (Vec<f64>, Vec<f64>) = if drawn {
        samples.iter().map(|p| (p.x, p.y)).unzip()
    } else {
        (Vec::new(), Vec::new())
    };
    let x_range = padded_range(&xs);
    let y_range = padded_range(&ys);

    // The colour bar's strip above the plot is there even before there is a path, so the
    // plot does not jump when the second sample arrives.
    let tick = theme.font(theme.tick_size(), pal.muted);
    let (_, tick_h) = measure(area, "0", &tick)?;
    let bar_h = theme.px(8.0);
    let margin = theme.px(10.0);
    let strip_h = margin / 2 + bar_h + theme.px(3.0) + tick_h + theme.px(8.0);
    let fmt = |v: &f64| format_number(*v);
    let y_coord = RangedCoordf64::from(y_range.0..y_range.1);
    let y_area = y_label_area(area, &y_coord, &fmt, theme)?;
    let frame = PlaneFrame {
        top: strip_h,
        y_area,
        x_desc: &x_desc,
        y_desc: &y_desc,
        x_fmt: &fmt,
        y_fmt: &fmt,
        y_minor: false,
    };
    let Some(chart) = plane_chart(area, &frame, x_range, y_range.0..y_range.1, theme)? else {
        return Ok(());
    };
    if !drawn {
        return Ok(());
    }

    let first = samples[0].step;
    let last = samples[samples.len() - 1].step;
    let map = StepMap::new(first, last);
    let plot = chart.plotting_area();
    let line_w = theme.stroke(2.0);
    let mut obstacles: Vec<(i32, i32)> = Vec::new();
    for pair in path.points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if !(finite(&a) && finite(&b)) {
            continue;
        }
        let (la, lb) = (step_x(a.step).ln(), step_x(b.step).ln());
        for j in 0..PIECES {
            let (u0, u1) = (j as f64 / PIECES as f64, (j + 1) as f64 / PIECES as f64);
            let at = |u: f64| (a.x + (b.x - a.x) * u, a.y + (b.y - a.y) * u);
            let color = step_scale(map.t((la + (lb - la) * (u0 + u1) / 2.0).exp()));
            let style = ShapeStyle::from(color).stroke_width(line_w);
            plot.draw(&PathElement::new(vec![at(u0), at(u1)], style))?;
            obstacles.push(chart.backend_coord(&at(u0)));
        }
    }
    let color_of = |p: &PathPoint| step_scale(map.t(step_x(p.step)));
    let dot = theme.stroke(2.5);
    for p in &samples {
        let c = chart.backend_coord(&(p.x, p.y));
        obstacles.push(c);
        plot.draw(&Circle::new((p.x, p.y), dot, color_of(p).filled()))?;
    }

    // What each labelled sample says, and how far its label keeps from it.
    let ring = theme.stroke(5.0);
    let marker_ring = theme.stroke(8.5);
    let mut notes: Vec<(usize, Vec<String>, u32)> = Vec::new();
    let mut note = |i: usize, text: String, clear: u32| match notes.iter_mut().find(|n| n.0 == i) {
        Some(n) => {
            n.1.push(text);
            n.2 = n.2.max(clear);
        }
        None => notes.push((i, vec![text], clear)),
    };
    let steps: Vec<u64> = samples.iter().map(|p| p.step).collect();
    let mut ringed = Vec::new();
    for (name, at) in [("memorised", memorised_at), ("grokked", grokked_at)] {
        if let Some(i) = at.and_then(|s| nearest_step(&steps, s)) {
            note(i, name.to_string(), marker_ring);
            if !ringed.contains(&i) {
                ringed.push(i);
            }
        }
    }
    note(0, format!("step {}", format_step(first as f64)), ring);
    note(
        samples.len() - 1,
        format!("step {}", format_step(last as f64)),
        ring,
    );

    // The first sample a ring, the latest a larger dot (outlined in the background so it
    // stands out where the path crosses itself), then the markers' grey rings.
    let p0 = samples[0];
    plot.draw(&Circle::new((p0.x, p0.y), ring, pal.background.filled()))?;
    plot.draw(&Circle::new(
        (p0.x, p0.y),
        ring,
        ShapeStyle::from(color_of(&p0)).stroke_width(theme.stroke(2.0)),
    ))?;
    let pn = samples[samples.len() - 1];
    plot.draw(&Circle::new(
        (pn.x, pn.y),
        ring + theme.stroke(1.5),
        pal.background.filled(),
    ))?;
    plot.draw(&Circle::new((pn.x, pn.y), ring, color_of(&pn).filled()))?;
    let marker_style = ShapeStyle::from(MARKER_COLOR).stroke_width(theme.stroke(1.5));
    for &i in &ringed {
        let p = samples[i];
        plot.draw(&Circle::new((p.x, p.y), marker_ring, marker_style))?;
    }

    let note_font = theme.font(theme.note_size(), pal.muted);
    let tags = notes
        .iter()
        .map(|(i, parts, clear)| {
            let p = samples[*i];
            Tag::new(
                area,
                chart.backend_coord(&(p.x, p.y)),
                *clear as i32,
                parts.join(" · "),
                &note_font,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    draw_tags(
        area,
        &tags,
        &obstacles,
        plot_bounds(&chart),
        &note_font,
        theme,
    )?;

    let base = area.get_base_pixel();
    let plot_left = chart.backend_coord(&(x_range.0, y_range.1)).0 - base.0;
    let plot_right = chart.backend_coord(&(x_range.1, y_range.1)).0 - base.0;
    draw_step_bar(
        area,
        (plot_left, plot_right),
        margin / 2,
        bar_h,
        (first, last),
        theme,
    )
}

/// Where a step falls on the step scale: the log of the step (step 0 counted as 1, as on
/// the step axes) from the first sample's (t = 0) to the latest's (t = 1).
struct StepMap {
    lo: f64,
    hi: f64,
}

impl StepMap {
    fn new(first: u64, last: u64) -> StepMap {
        StepMap {
            lo: step_x(first).ln(),
            hi: step_x(last).ln(),
        }
    }

    /// The scale's t of a step given as a position on the log axis (≥ 1); all 1 when the
    /// samples span no width (steps 0 and 1 only).
    fn t(&self, x: f64) -> f64 {
        if self.hi - self.lo < 1e-12 {
            1.0
        } else {
            (x.ln() - self.lo) / (self.hi - self.lo)
        }
    }
}

/// The index of the step in `steps` (increasing) nearest to `target` in log step, if the
/// path has got that far (`target` ≤ the latest step); the earlier of two equally near.
fn nearest_step(steps: &[u64], target: u64) -> Option<usize> {
    if steps.last().is_none_or(|&s| s < target) {
        return None;
    }
    let lt = step_x(target).ln();
    let mut best: Option<(usize, f64)> = None;
    for (i, &s) in steps.iter().enumerate() {
        let d = (step_x(s).ln() - lt).abs();
        if best.is_none_or(|(_, bd)| d < bd) {
            best = Some((i, d));
        }
    }
    best.map(|(i, _)| i)
}

/// A range covering `values` (non-finite ones ignored) with a tenth of its width spare on
/// each side, so the dots and rings at the extremes stay inside the frame; −1…1 when
/// there is nothing to cover, and never degenerate.
fn padded_range(values: &[f64]) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in values.iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return (-1.0, 1.0);
    }
    let span = hi - lo;
    let pad = if span > 0.0 {
        0.1 * span
    } else {
        (0.1 * hi.abs()).max(1e-6)
    };
    (lo - pad, hi + pad)
}

/// A log range for losses (clamped to ≥ [`MIN_LOSS`](super::MIN_LOSS) as on the loss chart, non-finite
/// ones ignored), at least a decade wide, with a twelfth of its width spare at each end:
/// unlike the loss chart's whole decades, which put a path's start or latest point right
/// on the frame when it lies near a decade. A range a decade wide always holds a decade,
/// so the axis always has a label; 0.01…10 when there is nothing to cover.
fn padded_log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        let v = clamp_loss(v).log10();
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return (0.01, 10.0);
    }
    if hi - lo < 1.0 {
        let mid = (lo + hi) / 2.0;
        (lo, hi) = (mid - 0.5, mid + 0.5);
    }
    let pad = (hi - lo) / 12.0;
    (10f64.powf(lo - pad), 10f64.powf(hi + pad))
}

/// The labelled and the light ticks of a log axis from `lo` to `hi` (the norm–loss
/// plane's: [`padded_log_range`] rarely spans whole decades). Plotters' own log axis
/// puts its ticks from the first whole decade up, so a range like 1.3–20 was labelled
/// only at 10 and 20 while the losses of a young run (4–6) sat on an unlabelled half.
/// Here the labels are 1, 2 and 5 times the powers of ten when the range spans at most
/// a decade and a half, 1 and 3 times them up to three decades, the decades beyond
/// that (every other one past six); the light ticks are every whole multiple of a power
/// of ten in ranges up to three decades. Both ascending; empty for a range that is not
/// positive and finite.
pub(super) fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    if !(lo.is_finite() && hi.is_finite() && 0.0 < lo && lo < hi) {
        return (Vec::new(), Vec::new());
    }
    let span = (hi / lo).log10();
    let labelled: &[u32] = match span {
        s if s <= 1.5 => &[1, 2, 5],
        s if s <= 3.0 => &[1, 3],
        _ => &[1],
    };
    let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let (mut bold, mut light) = (Vec::new(), Vec::new());
    for e in first..=last {
        // m / 10^-e rather than m · 10^e: 2 / 10 is the double nearest 0.2, 2 · 0.1 need
        // not be.
        let at = |m: u32| {
            if e < 0 {
                f64::from(m) / 10f64.powi(-e)
            } else {
                f64::from(m) * 10f64.powi(e)
            }
        };
        for m in 1..=9 {
            let v = at(m);
            if v < lo || v > hi {
                continue;
            }
            if labelled.contains(&m) && (span <= 6.0 || e.rem_euclid(2) == 0) {
                bold.push(v);
            }
            if span <= 3.0 {
                light.push(v);
            }
        }
    }
    (bold, light)
}

/// The colour bar of [`step_scale`] in the strip above the plot: "step", the bar (log
/// step from `first` to `last`), and below it the first and latest steps at its ends and
/// the decades between where they fit.
fn draw_step_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (plot_left, plot_right): (i32, i32),
    top: i32,
    bar_h: i32,
    (first, last): (u64, u64),
    theme: &Theme,
) -> DrawResult<DB> {
    let pal = theme.palette();
    let text = theme.font(theme.text_size(), pal.text);
    let tick = theme.font(theme.tick_size(), pal.muted);
    let gap = theme.px(6.0);
    let caption = "step";
    let caption_w = text_width(area, caption, &text)?;
    let cy = top + bar_h / 2;
    area.draw_text(
        caption,
        &text.pos(Pos::new(HPos::Left, VPos::Center)),
        (plot_left, cy),
    )?;
    // Half of the widest end label beyond each end of the bar.
    let end_labels = [format_step(first as f64), format_step(last as f64)];
    let half = |s: &str| -> Drawn<DB, i32> { Ok(text_width(area, s, &tick)? / 2) };
    let left = plot_left + caption_w + gap + half(&end_labels[0])?;
    let right = (left + theme.px(220.0)).min(plot_right - half(&end_labels[1])? - gap);
    if right - left < theme.px(40.0) {
        return Ok(());
    }
    let map = StepMap::new(first, last);
    let slices = ((right - left) / theme.px(3.0).max(1)).clamp(8, 64);
    for i in 0..slices {
        let (a, b) = (
            left + (right - left) * i / slices,
            left + (right - left) * (i + 1) / slices,
        );
        let color = step_scale((i as f64 + 0.5) / slices as f64);
        area.draw(&Rectangle::new(
            [(a, top), (b, top + bar_h)],
            color.filled(),
        ))?;
    }
    // Ticks and labels: the ends first, then each decade that keeps clear of the others.
    let at = |x: f64| left + ((right - left) as f64 * map.t(x).clamp(0.0, 1.0)).round() as i32;
    let label_top = top + bar_h + theme.px(3.0);
    let mut taken: Vec<(i32, i32)> = Vec::new();
    let mut ticks = vec![
        (left, end_labels[0].clone()),
        (right, end_labels[1].clone()),
    ];
    let mut decade = 10.0;
    while decade < step_x(last) {
        if decade > step_x(first) {
            ticks.push((at(decade), format_step(decade)));
        }
        decade *= 10.0;
    }
    let tick_style = ShapeStyle::from(pal.muted).stroke_width(theme.stroke(1.0));
    for (x, label) in ticks {
        let w = text_width(area, &label, &tick)?;
        let (a, b) = (x - w / 2 - gap / 2, x + w / 2 + gap / 2);
        if taken.iter().any(|&(c, d)| a < d && c < b) {
            continue;
        }
        taken.push((a, b));
        area.draw(&PathElement::new(
            vec![(x, top + bar_h), (x, label_top)],
            tick_style,
        ))?;
        area.draw_text(
            &label,
            &tick.pos(Pos::new(HPos::Center, VPos::Top)),
            (x, label_top),
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Effective dimension over the run

/// The embedding's effective dimension (the participation ratio of its singular values,
/// see [`crate::geometry::participation_ratio`]) of each run over the log step axis:
/// `dims[i]` is run `i`'s (step, value) (extra entries of either slice are ignored). The
/// y axis starts at 0, so a change reads in proportion to the whole (the embedding has d
/// directions; a random one uses about d·p/(p + d) of them).
///
/// Each run is drawn in its colour from [`RUN_COLORS`] and, when there are several, named
/// in a legend; the memorised/grokked markers and the lines of mid-run changes are drawn by
/// [`draw_step_chart`] exactly as on the accuracy chart. Non-finite values break the line.
pub fn draw_effective_dim<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    runs: &[RunCurves],
    dims: &[&[(u64, f64)]],
    theme: &Theme,
) -> DrawResult<DB> {
    let mut curves = Vec::new();
    let mut legend = Vec::new();
    for (i, (run, dim)) in runs.iter().zip(dims).enumerate() {
        let color = RUN_COLORS[i % RUN_COLORS.len()];
        curves.push(Curve {
            segments: segments_by(dim, |d| d.0, |d| Some(d.1)),
            color,
            dash: Dash::Solid,
        });
        if runs.len() > 1 {
            legend.push(LegendEntry {
                text: run.label.to_string(),
                color,
                dash: Dash::Solid,
                group: 0,
            });
        }
    }
    let values = dims
        .iter()
        .take(runs.len())
        .flat_map(|d| d.iter().map(|&(_, v)| v));
    let (_, hi) = linear_range(values, (0.0, 10.0));
    let fmt = |v: &f64| format_number(*v);
    let spec = StepChart {
        y_desc: "effective dimension of the embedding",
        y_range: (0.0, hi),
        y_fmt: &fmt,
        y_minor: false,
        curves,
        legend,
    };
    draw_step_chart(area, runs, theme, spec, 0.0..hi)
}

// ---------------------------------------------------------------------------------------
// Weight norm against test loss (Omnigrok)

/// Omnigrok's picture (Liu, Michaud & Tegmark 2023): each run as a path through the
/// plane of weight norm (x, linear) against test loss (y, log, clamped to ≥ [`MIN_LOSS`](super::MIN_LOSS)
/// like the loss chart), point by recorded point, in its colour from [`RUN_COLORS`].
///
/// A run's start is a ring (labelled "start"; runs starting at the same place share the
/// label), its latest point a filled dot, and the points nearest its "memorised" and
/// "grokked" steps are ringed in the step charts' marker grey and labelled. Several runs
/// share the axes — that is the point: runs of different settings compared by where they
/// go (a run that groks comes down to a low test loss at some norm; one that only
/// memorises stays up) — and are named in a legend above the plot; a single run needs
/// none. Points with a non-finite norm or loss are skipped and break the line.
pub fn draw_norm_loss<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    runs: &[RunCurves],
    theme: &Theme,
) -> DrawResult<DB> {
    let pal = theme.palette();
    area.fill(&pal.background)?;
    if too_small(area, theme) {
        return Ok(());
    }
    let norms = runs
        .iter()
        .flat_map(|r| r.points.iter().map(|p| p.weight_norm));
    let (x_lo, x_hi) = linear_range(norms, (0.0, 100.0));
    let losses = runs
        .iter()
        .flat_map(|r| r.points.iter().map(|p| p.test_loss));
    let (y_lo, y_hi) = padded_log_range(losses);

    let text = theme.font(theme.text_size(), pal.text);
    let margin = theme.px(10.0);
    let gap = theme.px(6.0);
    let swatch = theme.px(26.0);
    let y_fmt = |v: &f64| format_log_tick(*v);
    let x_fmt = |v: &f64| format_number(*v);
    let (bold, light) = log_ticks(y_lo, y_hi);
    let y_axis = || {
        (y_lo..y_hi)
            .log_scale()
            .with_key_points(bold.clone())
            .with_light_points(light.clone())
    };
    let y_area = y_label_area(area, &y_axis(), &y_fmt, theme)?;

    // The legend strip (several runs only), left-aligned with the plot.
    let (w, _) = area.dim_in_pixel();
    let plot_left = margin + y_area;
    let named = runs.len() > 1;
    let widths = if named {
        runs.iter()
            .map(|r| Ok((text_width(area, r.label, &text)?, 0)))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
    };
    let legend_pos = layout_legend(&widths, plot_left, w as i32 - margin, swatch, gap);
    let (_, text_h) = measure(area, "Ag", &text)?;
    let row_h = text_h + gap;
    let rows = legend_pos.iter().map(|&(_, r)| r + 1).max().unwrap_or(0) as i32;
    let top = if rows > 0 {
        margin / 2 + rows * row_h + gap
    } else {
        margin / 2
    };
    let frame = PlaneFrame {
        top,
        y_area,
        x_desc: "weight norm",
        y_desc: "test loss",
        x_fmt: &x_fmt,
        y_fmt: &y_fmt,
        y_minor: true,
    };
    let Some(chart) = plane_chart(area, &frame, (x_lo, x_hi), y_axis(), theme)? else {
        return Ok(());
    };
    let plot = chart.plotting_area();

    let line_w = theme.stroke(2.0);
    let ring = theme.stroke(4.5);
    let marker_ring = theme.stroke(7.0);
    let mut obstacles = Vec::new();
    let mut tags_at: Vec<((i32, i32), i32, String)> = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let color = RUN_COLORS[i % RUN_COLORS.len()];
        let at = |p: &crate::history::Point| {
            let v = (p.weight_norm, clamp_loss(p.test_loss));
            (v.0.is_finite() && v.1.is_finite()).then_some(v)
        };
        let mut segment: Vec<(f64, f64)> = Vec::new();
        for p in run.points {
            match at(p) {
                Some(v) => {
                    segment.push(v);
                    obstacles.push(chart.backend_coord(&v));
                }
                None => {
                    let done = std::mem::take(&mut segment);
                    stroke_path(plot, done, color, line_w, Dash::Solid, theme)?;
                }
            }
        }
        stroke_path(plot, segment, color, line_w, Dash::Solid, theme)?;

        let kept: Vec<(u64, (f64, f64))> = run
            .points
            .iter()
            .filter_map(|p| at(p).map(|v| (p.step, v)))
            .collect();
        let (Some(&(_, start)), Some(&(_, end))) = (kept.first(), kept.last()) else {
            continue;
        };
        let steps: Vec<u64> = kept.iter().map(|k| k.0).collect();
        for (name, step) in [("memorised", run.memorised_at), ("grokked", run.grokked_at)] {
            if let Some(j) = step.and_then(|s| nearest_step(&steps, s)) {
                let v = kept[j].1;
                let style = ShapeStyle::from(MARKER_COLOR).stroke_width(theme.stroke(1.5));
                plot.draw(&Circle::new(v, marker_ring, style))?;
                tags_at.push((chart.backend_coord(&v), marker_ring as i32, name.into()));
            }
        }
        plot.draw(&Circle::new(start, ring, pal.background.filled()))?;
        plot.draw(&Circle::new(
            start,
            ring,
            ShapeStyle::from(color).stroke_width(theme.stroke(2.0)),
        ))?;
        let start_px = chart.backend_coord(&start);
        let near = |a: (i32, i32), b: (i32, i32)| {
            (a.0 - b.0).abs() <= theme.px(6.0) && (a.1 - b.1).abs() <= theme.px(6.0)
        };
        if !tags_at
            .iter()
            .any(|(at, _, t)| t == "start" && near(*at, start_px))
        {
            tags_at.push((start_px, ring as i32, "start".into()));
        }
        plot.draw(&Circle::new(
            end,
            ring + theme.stroke(1.5),
            pal.background.filled(),
        ))?;
        plot.draw(&Circle::new(end, ring, color.filled()))?;
    }

    let note_font = theme.font(theme.note_size(), pal.muted);
    let tags = tags_at
        .into_iter()
        .map(|(at, clear, label)| Tag::new(area, at, clear, label, &note_font))
        .collect::<Result<Vec<_>, _>>()?;
    draw_tags(
        area,
        &tags,
        &obstacles,
        plot_bounds(&chart),
        &note_font,
        theme,
    )?;

    // The legend.
    for ((run, &(x, row)), i) in runs.iter().zip(&legend_pos).zip(0..) {
        let cy = margin / 2 + row as i32 * row_h + row_h / 2;
        let color = RUN_COLORS[i % RUN_COLORS.len()];
        stroke_path(
            area,
            vec![(x, cy), (x + swatch, cy)],
            color,
            line_w,
            Dash::Solid,
            theme,
        )?;
        let style = text.pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text(run.label, &style, (x + swatch + gap, cy))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The frame of a plane figure

/// The width of the y label area: the widest tick label, the tick gap plotters leaves
/// (twice the tick length) and the rotated axis description.
fn y_label_area<DB: DrawingBackend, R: plotters::coord::ranged1d::Ranged<ValueType = f64>>(
    area: &DrawingArea<DB, Shift>,
    coord: &R,
    fmt: &dyn Fn(&f64) -> String,
    theme: &Theme,
) -> Drawn<DB, i32> {
    let pal = theme.palette();
    let tick = theme.font(theme.tick_size(), pal.muted);
    let text = theme.font(theme.text_size(), pal.text);
    let mut widest = 0;
    for label in tick_labels(coord, 10, fmt) {
        widest = widest.max(text_width(area, &label, &tick)?);
    }
    let (_, text_h) = measure(area, "Ag", &text)?;
    let gap = theme.px(6.0);
    Ok(widest + 2 * theme.px(4.0) + text_h + gap + gap / 2)
}

/// What differs between the plane figures' frames.
struct PlaneFrame<'a> {
    /// Pixels above the chart (legend or colour bar strip).
    top: i32,
    /// Width of the y label area (see [`y_label_area`]).
    y_area: i32,
    x_desc: &'a str,
    y_desc: &'a str,
    x_fmt: &'a dyn Fn(&f64) -> String,
    y_fmt: &'a dyn Fn(&f64) -> String,
    /// Minor grid lines on y (a log axis's 2…9).
    y_minor: bool,
}

/// A value computed while drawing on a backend `DB`, or plotters' error.
type Drawn<DB, T> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A plane figure's chart: linear x, y of coordinate type `Y`.
type PlaneChart<'a, DB, Y> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>;

/// The chart of a plane figure: linear x over `x`, y as `y` (linear or log), with axes,
/// ticks, grid and axis descriptions drawn in the theme; `None` when the area leaves no
/// room for a plot.
fn plane_chart<'a, DB, Y>(
    area: &'a DrawingArea<DB, Shift>,
    frame: &PlaneFrame,
    (x_lo, x_hi): (f64, f64),
    y: Y,
    theme: &Theme,
) -> Drawn<DB, Option<PlaneChart<'a, DB, Y::CoordDescType>>>
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let pal = theme.palette();
    let text = theme.font(theme.text_size(), pal.text);
    let tick = theme.font(theme.tick_size(), pal.muted);
    let margin = theme.px(10.0);
    let gap = theme.px(6.0);
    let tick_len = theme.px(4.0);
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let (_, text_h) = measure(area, "Ag", &text)?;
    let (_, tick_h) = measure(area, "0", &tick)?;
    let x_area = tick_h + 2 * tick_len + text_h + gap + gap / 2;
    // Room on the right for half of the last x tick label, and above for half of the top
    // y tick label.
    let right = margin + theme.px(14.0);
    let top = frame.top.max(margin / 2 + tick_h);
    if w - margin - frame.y_area - right < theme.px(40.0)
        || h - top - x_area - margin / 2 < theme.px(30.0)
    {
        return Ok(None);
    }
    let mut chart = ChartBuilder::on(area)
        .margin_top(top)
        .margin_left(margin)
        .margin_right(right)
        .margin_bottom(margin / 2)
        .x_label_area_size(x_area)
        .y_label_area_size(frame.y_area)
        .build_cartesian_2d(x_lo..x_hi, y)?;
    let (plot_w, plot_h) = chart.plotting_area().dim_in_pixel();
    let x_labels = ((plot_w as f64 / (theme.tick_size() * 6.0)) as usize).clamp(2, 8);
    let y_labels = ((plot_h as f64 / (theme.tick_size() * 2.6)) as usize).clamp(2, 10);
    chart
        .configure_mesh()
        .x_labels(x_labels)
        .y_labels(y_labels)
        .x_label_formatter(frame.x_fmt)
        .y_label_formatter(frame.y_fmt)
        .x_desc(frame.x_desc)
        .y_desc(frame.y_desc)
        .label_style(tick.clone())
        .axis_desc_style(text.clone())
        .axis_style(ShapeStyle::from(pal.muted).stroke_width(theme.stroke(1.0)))
        .bold_line_style(ShapeStyle::from(pal.grid).stroke_width(theme.stroke(1.0)))
        .light_line_style(ShapeStyle::from(pal.grid_minor).stroke_width(theme.stroke(1.0)))
        .set_all_tick_mark_size(tick_len)
        .x_max_light_lines(0)
        .y_max_light_lines(if frame.y_minor { 10 } else { 0 })
        .draw()?;
    Ok(Some(chart))
}

/// The plotting area's (left, top, right, bottom) in backend pixels.
fn plot_bounds<DB: DrawingBackend, CT: CoordTranslate>(
    chart: &ChartContext<DB, CT>,
) -> (i32, i32, i32, i32) {
    let plot = chart.plotting_area();
    let (x, y) = plot.get_base_pixel();
    let (w, h) = plot.dim_in_pixel();
    (x, y, x + w as i32, y + h as i32)
}

// ---------------------------------------------------------------------------------------
// Labels next to points

/// A label for the point at `at` (backend pixels), kept `clear` pixels from it.
struct Tag {
    at: (i32, i32),
    clear: i32,
    text: String,
    size: (i32, i32),
}

impl Tag {
    fn new<DB: DrawingBackend>(
        area: &DrawingArea<DB, Shift>,
        at: (i32, i32),
        clear: i32,
        text: String,
        style: &TextStyle,
    ) -> Drawn<DB, Tag> {
        let w = text_width(area, &text, style)?;
        let (_, h) = measure(area, "Ag", style)?;
        Ok(Tag {
            at,
            clear,
            text,
            size: (w, h),
        })
    }
}

/// The top-left corner of each tag's label (backend pixels): of the eight places round
/// its point, the first that stays inside `bounds`, overlaps no label placed before it and
/// covers the fewest `obstacles` (points of the data). A label is never dropped: with no
/// good place it takes the least bad one.
fn place_tags(
    tags: &[Tag],
    obstacles: &[(i32, i32)],
    (left, top, right, bottom): (i32, i32, i32, i32),
    gap: i32,
) -> Vec<(i32, i32)> {
    let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
    let mut out = Vec::with_capacity(tags.len());
    for tag in tags {
        let (x, y) = tag.at;
        let (w, h) = tag.size;
        let c = tag.clear + gap / 2;
        let d = (c as f64 * 0.75).round() as i32;
        let candidates = [
            (x + c, y - h / 2),
            (x - c - w, y - h / 2),
            (x + d, y - d - h),
            (x + d, y + d),
            (x - d - w, y - d - h),
            (x - d - w, y + d),
            (x - w / 2, y - c - h),
            (x - w / 2, y + c),
        ];
        let score = |&(l, t): &(i32, i32)| {
            let (r, b) = (l + w, t + h);
            let outside = l < left || t < top || r > right || b > bottom;
            let overlaps = placed
                .iter()
                .filter(|&&(pl, pt, pr, pb)| l < pr + gap && pl < r + gap && t < pb && pt < b)
                .count();
            let covered = obstacles
                .iter()
                .chain(tags.iter().map(|t| &t.at))
                .filter(|&&(ox, oy)| ox >= l - 2 && ox <= r + 2 && oy >= t - 2 && oy <= b + 2)
                .count();
            1000 * usize::from(outside) + 100 * overlaps + covered
        };
        let best = candidates
            .iter()
            .enumerate()
            .min_by_key(|&(i, c)| (score(c), i))
            .map(|(_, &c)| c)
            .unwrap_or((x + c, y - h / 2));
        placed.push((best.0, best.1, best.0 + w, best.1 + h));
        out.push(best);
    }
    out
}

/// Places ([`place_tags`]) and draws the labels.
fn draw_tags<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    tags: &[Tag],
    obstacles: &[(i32, i32)],
    bounds: (i32, i32, i32, i32),
    style: &TextStyle,
    theme: &Theme,
) -> DrawResult<DB> {
    let base = area.get_base_pixel();
    let style = style.pos(Pos::new(HPos::Left, VPos::Top));
    for (tag, (l, t)) in tags
        .iter()
        .zip(place_tags(tags, obstacles, bounds, theme.px(4.0)))
    {
        area.draw_text(&tag.text, &style, (l - base.0, t - base.1))?;
    }
    Ok(())
}
