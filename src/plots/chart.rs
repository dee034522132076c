//! The small chart engine under the figures: the log step axis and everything on it.
//!
//! A figure file says *what* to draw (curves, legend entries, a y axis); this file says
//! *how*: [`draw_step_chart`] lays out the legend strip, the band of marker labels, the
//! axes and the curves of a chart whose x axis is the training step on a log scale (the
//! accuracy, loss, weight-norm, comparison and progress charts all use it). Around it:
//! the inputs ([`RunCurves`]), the markers ("memorised", "grokked") and event lines of
//! mid-run changes ([`collect_marks`], placed without overlaps by [`place_labels`]),
//! legends ([`layout_legend`]), strokes and dashes, y ranges ([`log_range`],
//! [`linear_range`]) and text measuring, remembered per text so a live canvas does not
//! force a page layout for every label of every frame ([`measure`]).
//!
//! Nothing here may depend on exact font metrics: plotters only estimates text sizes
//! natively, the browser measures real fonts, so every decision leaves slack around text.

use super::format::{format_number, format_step, SUPERSCRIPT};
use super::theme::{Theme, MARKER_COLOR};
use crate::train::{Config, Event, History, Point, GROKKED, MEMORISED};
use plotters::coord::ranged1d::{AsRangedCoord, BoldPoints, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One run's curves.
#[derive(Clone, Copy, Debug)]
pub struct RunCurves<'a> {
    /// Name of the run in legends ("decay off"); unused when only one run is drawn.
    pub label: &'a str,
    /// The recorded points, by increasing step.
    pub points: &'a [Point],
    /// Mid-run changes of learning rate or weight decay.
    pub events: &'a [Event],
    /// First step with train accuracy ≥ 99%, if reached: a dashed "memorised" marker.
    pub memorised_at: Option<u64>,
    /// First step with test accuracy ≥ 95%, if reached: a dashed "grokked" marker.
    pub grokked_at: Option<u64>,
}

impl<'a> RunCurves<'a> {
    /// The curves of a recorded history, with the markers found in it (the first recorded
    /// points reaching [`MEMORISED`] and [`GROKKED`]).
    pub fn from_history(label: &'a str, history: &'a History) -> Self {
        RunCurves {
            label,
            points: &history.points,
            events: &history.events,
            memorised_at: history.first_reaching(MEMORISED, |p| p.train_acc),
            grokked_at: history.first_reaching(GROKKED, |p| p.test_acc),
        }
    }
}

/// What the drawing functions return: plotters' error type for the backend `DB`.
pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

// ---------------------------------------------------------------------------------------
// Curves, marks and their labels

/// How a run's curves are stroked, so that several runs on shared axes can be told apart
/// while keeping the train/test colours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Dash {
    /// An unbroken line.
    Solid,
    /// Long dashes.
    Dashed,
    /// Short dots.
    Dotted,
}

impl Dash {
    /// The dash of the `index`th run on shared axes: solid, dashed, dotted, solid, …
    pub(super) fn of_run(index: usize) -> Dash {
        [Dash::Solid, Dash::Dashed, Dash::Dotted][index % 3]
    }
}

/// A polyline in data coordinates, in one colour and dash.
pub(super) struct Curve {
    /// Runs of consecutive finite points; a non-finite value breaks the line.
    pub(super) segments: Vec<Vec<(f64, f64)>>,
    /// The stroke's colour.
    pub(super) color: RGBColor,
    /// The stroke's dash.
    pub(super) dash: Dash,
}

/// One legend entry: a short stroke of the curve's style and its name.
pub(super) struct LegendEntry {
    /// The name, e.g. "train" or "decay on · test".
    pub(super) text: String,
    /// The colour of its curve.
    pub(super) color: RGBColor,
    /// The dash of its curve.
    pub(super) dash: Dash,
    /// The run it belongs to: when the legend needs more than one row, each run starts
    /// a new row, so the rows read "run A · train, run A · test" / "run B · …".
    pub(super) group: usize,
}

/// The x coordinate of a step on the log axis. The first recorded step is 0, which a log
/// axis cannot show; rather than shifting every step by one (which would put the
/// "memorised" marker of step 75 at 76 and make every tick off by one), step 0 is drawn at
/// x = 1, on the axis's left edge, together with step 1. Every other step is exact.
pub(super) fn step_x(step: u64) -> f64 {
    step.max(1) as f64
}

/// The curve of one metric: consecutive finite values form a segment; NaN and ±∞ are
/// skipped (and break the line, so no segment pretends to know what happened there).
pub(super) fn segments(points: &[Point], value: impl Fn(&Point) -> f64) -> Vec<Vec<(f64, f64)>> {
    segments_by(points, |p| p.step, |p| Some(value(p)))
}

/// The curve of any recorded values over the step axis (e.g. progress measures): each
/// item's `step` and `value`; consecutive finite values form a segment, and a missing
/// (`None`) or non-finite value breaks the line.
pub(super) fn segments_by<T>(
    items: &[T],
    step: impl Fn(&T) -> u64,
    value: impl Fn(&T) -> Option<f64>,
) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for item in items {
        match value(item).filter(|y| y.is_finite()) {
            Some(y) => current.push((step_x(step(item)), y)),
            None => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The right end of the step axis: the largest step shown (points, markers, events) with
/// a little headroom (×1.25, a tenth of a decade), and at least 100 so that an empty or
/// young run still shows two decades with ticks 1, 10, 100.
fn step_axis_end(runs: &[RunCurves]) -> f64 {
    let mut max = 1.0f64;
    for run in runs {
        let steps = run
            .points
            .iter()
            .map(|p| p.step)
            .chain(run.events.iter().map(|e| e.step))
            .chain(run.memorised_at)
            .chain(run.grokked_at);
        for s in steps {
            max = max.max(step_x(s));
        }
    }
    (max * 1.25).max(100.0)
}

/// A vertical line with an optional label in the band above the plot.
struct Mark {
    x: f64,
    label: Option<String>,
    /// Markers (memorised/grokked) are dashed and labelled first; events are thin solid
    /// lines whose labels only go where there is room left.
    is_event: bool,
}

/// The markers and event lines of all runs. With several runs a marker's label names its
/// run ("grokked · decay on"), unless every run has that marker at (nearly) the same step,
/// when one plain label serves them all; identical labels at the same place are merged.
fn collect_marks(runs: &[RunCurves], to_px: &dyn Fn(f64) -> f64, merge_px: f64) -> Vec<Mark> {
    let mut marks = Vec::new();
    type Getter = fn(&RunCurves) -> Option<u64>;
    let kinds: [(&str, Getter); 2] = [
        ("memorised", |r| r.memorised_at),
        ("grokked", |r| r.grokked_at),
    ];
    for (name, get) in kinds {
        let xs: Vec<(usize, f64)> = runs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| get(r).map(|s| (i, step_x(s))))
            .collect();
        let all_together = xs.len() == runs.len()
            && xs
                .iter()
                .all(|&(_, x)| (to_px(x) - to_px(xs[0].1)).abs() <= merge_px);
        for (n, &(i, x)) in xs.iter().enumerate() {
            let label = if runs.len() == 1 || all_together {
                (n == 0).then(|| name.to_string())
            } else {
                Some(format!("{name} · {}", runs[i].label))
            };
            marks.push(Mark {
                x,
                label,
                is_event: false,
            });
        }
    }
    for run in runs {
        let mut previous = None;
        for event in run.events {
            let label = event_label(event, previous);
            previous = Some(event);
            let x = step_x(event.step);
            let duplicate = marks.iter().any(|m| {
                m.is_event
                    && m.label.as_deref() == Some(label.as_str())
                    && (to_px(m.x) - to_px(x)).abs() <= merge_px
            });
            marks.push(Mark {
                x,
                label: (!duplicate).then_some(label),
                is_event: true,
            });
        }
    }
    marks
}

/// The label of an event: the settings that changed since the previous event (for the
/// first event: since the crate's defaults, which is what the page starts from); both when
/// that leaves nothing, e.g. "wd 0.3" or "lr 0.003 · wd 1".
fn event_label(event: &Event, previous: Option<&Event>) -> String {
    if let Some(keep) = event.shrink {
        return format!("train set cut to {}", crate::prose::percent(keep));
    }
    let defaults = Config::default();
    let (lr0, wd0) = previous.map_or((defaults.lr, defaults.wd), |e| (e.lr, e.wd));
    let lr = format!("lr {}", format_number(event.lr));
    let wd = format!("wd {}", format_number(event.wd));
    match (event.lr != lr0, event.wd != wd0) {
        (true, false) => lr,
        (false, true) => wd,
        _ => format!("{lr} · {wd}"),
    }
}

/// Where a label goes in the band above the plot: its row (0 = nearest the plot) and the
/// left edge of its text in pixels relative to the figure.
#[derive(Clone, Copy, Debug)]
struct Slot {
    row: usize,
    left: i32,
}

/// Places labels left to right, each in the lowest row where it does not overlap another;
/// a label that would leave the figure on the right flips to the left of its line. Labels
/// that fit in no row are dropped (the line is still drawn). Markers are placed before
/// events, so a slider dragged for a minute cannot crowd out "grokked".
fn place_labels(
    marks: &[Mark],
    widths: &[i32],
    x_px: &dyn Fn(f64) -> i32,
    (fig_left, fig_right): (i32, i32),
    gap: i32,
    max_rows: usize,
) -> Vec<Option<Slot>> {
    let mut slots = vec![None; marks.len()];
    let mut rows: Vec<Vec<(i32, i32)>> = vec![Vec::new(); max_rows];
    let mut order: Vec<usize> = (0..marks.len())
        .filter(|&i| marks[i].label.is_some())
        .collect();
    order.sort_by(|&a, &b| {
        (marks[a].is_event, x_px(marks[a].x)).cmp(&(marks[b].is_event, x_px(marks[b].x)))
    });
    for i in order {
        let x = x_px(marks[i].x);
        let w = widths[i];
        let mut left = x + gap;
        if left + w > fig_right {
            left = x - gap - w;
        }
        left = left.max(fig_left);
        let (a, b) = (left - gap, left + w + gap);
        if let Some(row) = rows
            .iter()
            .position(|row| row.iter().all(|&(c, d)| b <= c || d <= a))
        {
            rows[row].push((a, b));
            slots[i] = Some(Slot { row, left });
        }
    }
    slots
}

/// Legend entries (text width, group) laid out in rows from `left`, wrapping before
/// `right`: (x, row) of each. All in one row if they fit; otherwise each group starts a
/// row (and wraps if it must).
pub(super) fn layout_legend(
    entries: &[(i32, usize)],
    left: i32,
    right: i32,
    swatch: i32,
    gap: i32,
) -> Vec<(i32, usize)> {
    let advance = |w: i32| swatch + gap + w + 3 * gap;
    let total: i32 = entries.iter().map(|&(w, _)| advance(w)).sum::<i32>() - 3 * gap;
    let one_row = left + total <= right;
    let mut out = Vec::with_capacity(entries.len());
    let (mut x, mut row) = (left, 0);
    for (i, &(w, group)) in entries.iter().enumerate() {
        let new_group = i > 0 && group != entries[i - 1].1 && !one_row;
        if x > left && (new_group || x + swatch + gap + w > right) {
            x = left;
            row += 1;
        }
        out.push((x, row));
        x += advance(w);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Drawing and measuring

/// Strokes a polyline (a single point becomes a dot, so the first snapshot is visible).
pub(super) fn stroke_path<DB, CT>(
    area: &DrawingArea<DB, CT>,
    points: Vec<CT::From>,
    color: RGBColor,
    width: u32,
    dash: Dash,
    theme: &Theme,
) -> DrawResult<DB>
where
    DB: DrawingBackend,
    CT: plotters::coord::CoordTranslate,
    CT::From: Clone + 'static,
{
    let style = ShapeStyle {
        color: color.to_rgba(),
        filled: false,
        stroke_width: width,
    };
    match points.len() {
        0 => Ok(()),
        1 => area.draw(
            &(EmptyElement::at(points[0].clone()) + Circle::new((0, 0), width + 1, color.filled())),
        ),
        _ => match dash {
            Dash::Solid => area.draw(&PathElement::new(points, style)),
            Dash::Dashed => area.draw(&DashedPathElement::new(
                points,
                theme.px(7.0),
                theme.px(4.5),
                style,
            )),
            Dash::Dotted => area.draw(&DashedPathElement::new(
                points,
                theme.px(2.0),
                theme.px(3.5),
                style,
            )),
        },
    }
}

/// The tick labels a coordinate will show, to size the label area before the chart exists.
pub(super) fn tick_labels<R: Ranged<ValueType = f64>>(
    coord: &R,
    n: usize,
    fmt: &dyn Fn(&f64) -> String,
) -> Vec<String> {
    coord.key_points(BoldPoints(n)).iter().map(fmt).collect()
}

/// The width of `text` as the backend estimates it. Superscript digits are measured as
/// plain digits: plotters' native estimate counts UTF-8 bytes, which would make "10⁻⁴"
/// look twice as wide as it is (the browser measures real glyphs either way).
pub(super) fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> Result<i32, DrawingAreaErrorKind<DB::ErrorType>> {
    let plain: String = text
        .chars()
        .map(|c| {
            if SUPERSCRIPT.contains(&c) || c == '⁻' {
                '0'
            } else {
                c
            }
        })
        .collect();
    Ok(measure(area, &plain, style)?.0)
}

/// Text sizes already measured, per backend type, font (family and style — a bold "45"
/// is wider than a regular one), text and font size. In the browser plotters measures
/// text by adding a `<span>` to the page and reading its size, which forces a layout; a
/// live chart redrawn every frame asks for the same few labels again and again, so they
/// are remembered (up to [`MEASURE_CACHE`] entries, then forgotten).
type MeasureKey = (&'static str, String, String, u64);

thread_local! {
    static MEASURED: std::cell::RefCell<std::collections::HashMap<MeasureKey, (i32, i32)>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Most text sizes remembered by [`measure`].
const MEASURE_CACHE: usize = 1024;

/// What [`measure`] remembers a size by.
pub(super) fn measure_key<DB: DrawingBackend>(text: &str, style: &TextStyle) -> MeasureKey {
    let font = &style.font;
    let face = format!(
        "{} {}",
        font.get_family().as_str(),
        font.get_style().as_str()
    );
    (
        std::any::type_name::<DB>(),
        face,
        text.to_string(),
        font.get_size().to_bits(),
    )
}

/// The (width, height) of `text` in `style` on this backend, measured once.
pub(super) fn measure<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> Result<(i32, i32), DrawingAreaErrorKind<DB::ErrorType>> {
    let key = measure_key::<DB>(text, style);
    if let Some(size) = MEASURED.with(|m| m.borrow().get(&key).copied()) {
        return Ok(size);
    }
    let (w, h) = area.estimate_text_size(text, style)?;
    let size = (w as i32, h as i32);
    MEASURED.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MEASURE_CACHE {
            m.clear();
        }
        m.insert(key, size);
    });
    Ok(size)
}

// ---------------------------------------------------------------------------------------
// The step chart

/// Everything that differs between the accuracy, loss and weight-norm charts.
pub(super) struct StepChart<'a> {
    /// The y axis's description, e.g. "accuracy (%)".
    pub(super) y_desc: &'a str,
    /// The y range (in the axis's own values: for a log axis, positive).
    pub(super) y_range: (f64, f64),
    /// The y tick labels.
    pub(super) y_fmt: &'a dyn Fn(&f64) -> String,
    /// Minor grid lines on y: the 2…9 subdivisions of a log axis help; on a linear axis
    /// they only add stripes.
    pub(super) y_minor: bool,
    /// The curves, drawn in order over the marker lines.
    pub(super) curves: Vec<Curve>,
    /// The legend strip's entries, in order.
    pub(super) legend: Vec<LegendEntry>,
}

/// Below this size (CSS pixels at scale 1) a chart only gets its background: there is no
/// room for axes, and a canvas that has not been laid out yet may be 0 × 0.
pub(super) const MIN_CHART: (f64, f64) = (120.0, 90.0);

/// Whether the area is too small for axes (a canvas not laid out yet may be 0 × 0).
pub(super) fn too_small<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, theme: &Theme) -> bool {
    let (w, h) = area.dim_in_pixel();
    (w as i32) < theme.px(MIN_CHART.0) || (h as i32) < theme.px(MIN_CHART.1)
}

/// Draws a chart with a log step axis: legend strip, label band, axes, event and marker
/// lines, curves. `y` is the y coordinate spec (linear or log) matching `spec.y_range`.
pub(super) fn draw_step_chart<DB, Y>(
    area: &DrawingArea<DB, Shift>,
    runs: &[RunCurves],
    theme: &Theme,
    spec: StepChart,
    y: Y,
) -> DrawResult<DB>
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64> + Clone,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let pal = theme.palette();
    area.fill(&pal.background)?;
    if too_small(area, theme) {
        return Ok(());
    }
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);

    let text = theme.font(theme.text_size(), pal.text);
    let tick = theme.font(theme.tick_size(), pal.muted);
    let note = theme.font(theme.note_size(), pal.muted);
    let margin = theme.px(10.0);
    let gap = theme.px(6.0);

    // Horizontal layout. The y label area holds the widest tick label, the tick gap that
    // plotters leaves (twice the tick length) and the rotated axis description.
    let x_end = step_axis_end(runs);
    let y_coord = Y::CoordDescType::from(y.clone());
    let tick_len = theme.px(4.0);
    let (_, text_h) = measure(area, "Ag", &text)?;
    let (_, tick_h) = measure(area, "0", &tick)?;
    let mut widest = 0;
    for label in tick_labels(&y_coord, 10, spec.y_fmt) {
        widest = widest.max(text_width(area, &label, &tick)?);
    }
    let y_area = widest + 2 * tick_len + text_h + gap + gap / 2;
    let x_area = tick_h + 2 * tick_len + text_h + gap + gap / 2;
    // Room on the right for half of the last tick label ("10k" centred on the axis end).
    let right = margin + theme.px(12.0);
    let plot_left = margin + y_area;
    let plot_right = w - right;
    if plot_right - plot_left < theme.px(40.0) {
        return Ok(());
    }
    let (ln_lo, ln_hi) = (0.0f64, x_end.ln());
    let to_px = |x: f64| {
        plot_left as f64
            + (x.max(1.0).ln() - ln_lo) / (ln_hi - ln_lo) * (plot_right - plot_left) as f64
    };

    // Legend strip at the top, left-aligned with the plot: outside the plot, because every
    // corner of an accuracy chart is crossed by some curve at some point of a run.
    let swatch = theme.px(26.0);
    let legend_widths = spec
        .legend
        .iter()
        .map(|e| Ok((text_width(area, &e.text, &text)?, e.group)))
        .collect::<Result<Vec<_>, _>>()?;
    let legend_pos = layout_legend(&legend_widths, plot_left, w - margin, swatch, gap);
    let legend_row_h = text_h + gap;
    let legend_rows = legend_pos.iter().map(|&(_, r)| r + 1).max().unwrap_or(0) as i32;
    let legend_h = if legend_rows > 0 {
        legend_rows * legend_row_h + gap
    } else {
        0
    };

    // The label band between legend and plot: one row always (so the plot does not jump
    // when the first marker appears), two when labels collide.
    let marks = collect_marks(runs, &to_px, theme.px(8.0) as f64);
    let widths = marks
        .iter()
        .map(|m| match &m.label {
            Some(l) => text_width(area, l, &note),
            None => Ok(0),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let x_px_est = |x: f64| to_px(x).round() as i32;
    let slots = place_labels(
        &marks,
        &widths,
        &x_px_est,
        (margin, w - margin),
        theme.px(3.0),
        2,
    );
    let band_rows = slots.iter().flatten().map(|s| s.row + 1).max().unwrap_or(1) as i32;
    let (_, note_h) = measure(area, "Ag", &note)?;
    let band_row_h = note_h + theme.px(4.0);
    let top = margin / 2 + legend_h + band_rows * band_row_h + theme.px(2.0);
    if h - top - x_area - margin < theme.px(30.0) {
        return Ok(());
    }

    let chart_area = area.margin(top, 0, 0, 0);
    let mut chart = ChartBuilder::on(&chart_area)
        .margin_left(margin)
        .margin_right(right)
        .margin_bottom(margin / 2)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d((1.0..x_end).log_scale(), y)?;
    let plot_h = chart.plotting_area().dim_in_pixel().1 as f64;
    let y_labels = ((plot_h / (theme.tick_size() * 2.6)) as usize).clamp(2, 10);
    let x_fmt = |v: &f64| format_step(*v);
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(y_labels)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(spec.y_fmt)
        .x_desc("training step")
        .y_desc(spec.y_desc)
        .label_style(tick.clone())
        .axis_desc_style(text.clone())
        .axis_style(ShapeStyle::from(pal.muted).stroke_width(theme.stroke(1.0)))
        .bold_line_style(ShapeStyle::from(pal.grid).stroke_width(theme.stroke(1.0)))
        .light_line_style(ShapeStyle::from(pal.grid_minor).stroke_width(theme.stroke(1.0)))
        .set_all_tick_mark_size(tick_len)
        .y_max_light_lines(if spec.y_minor { 10 } else { 0 })
        .draw()?;

    // Event and marker lines under the curves. Event lines are lighter than the markers,
    // and one within 4 px of another adds nothing: a slider dragged through a run leaves
    // a light hatch, not a grey wall hiding the markers.
    let (y_lo, y_hi) = spec.y_range;
    let plot = chart.plotting_area();
    let mut event_px: Vec<i32> = Vec::new();
    for m in &marks {
        let line = vec![(m.x, y_lo), (m.x, y_hi)];
        if m.is_event {
            let x = chart.backend_coord(&(m.x, y_hi)).0;
            if event_px.iter().any(|&e| (e - x).abs() < theme.px(4.0)) {
                continue;
            }
            event_px.push(x);
            stroke_path(plot, line, pal.event, theme.stroke(1.0), Dash::Solid, theme)?;
        } else {
            let style = ShapeStyle::from(MARKER_COLOR).stroke_width(theme.stroke(1.5));
            plot.draw(&DashedPathElement::new(
                line,
                theme.px(5.0),
                theme.px(4.0),
                style,
            ))?;
        }
    }

    let line_w = theme.stroke(2.0);
    for curve in spec.curves {
        for seg in curve.segments {
            stroke_path(plot, seg, curve.color, line_w, curve.dash, theme)?;
        }
    }

    // Labels in the band, aligned with their lines as plotters actually placed them.
    let base = area.get_base_pixel();
    let plot_top = chart.backend_coord(&(1.0, y_hi)).1 - base.1;
    for (m, slot) in marks.iter().zip(&slots) {
        let (Some(label), Some(slot)) = (&m.label, slot) else {
            continue;
        };
        let x_line = chart.backend_coord(&(m.x, y_hi)).0 - base.0;
        let left = slot.left + (x_line - x_px_est(m.x));
        let cy = plot_top - theme.px(2.0) - band_row_h * slot.row as i32 - band_row_h / 2;
        let style = note.pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text(label, &style, (left, cy))?;
    }

    // The legend.
    for (entry, &(x, row)) in spec.legend.iter().zip(&legend_pos) {
        let cy = margin / 2 + row as i32 * legend_row_h + legend_row_h / 2;
        let swatch_line = vec![(x, cy), (x + swatch, cy)];
        stroke_path(area, swatch_line, entry.color, line_w, entry.dash, theme)?;
        let style = text.pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text(&entry.text, &style, (x + swatch + gap, cy))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Y ranges

/// Smallest loss shown: a log axis cannot show 0, and a loss of 1e-9 is "zero" for the
/// article's purposes (float32 logits cannot resolve much below).
pub const MIN_LOSS: f64 = 1e-9;

/// A loss as a log axis shows it: at least [`MIN_LOSS`] (NaN and ±∞ are left for
/// [`segments`] to skip).
pub(super) fn clamp_loss(v: f64) -> f64 {
    if v.is_finite() {
        v.max(MIN_LOSS)
    } else {
        v
    }
}

/// A log range covering `values` (clamped to ≥ `floor`, non-finite ones ignored) out to
/// whole decades, at least one decade wide; `default` when there is nothing to cover.
pub(super) fn log_range(
    values: impl Iterator<Item = f64>,
    floor: f64,
    default: (f64, f64),
) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        let v = v.max(floor);
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return default;
    }
    let lo = 10f64.powf(lo.log10().floor()).max(floor);
    let mut hi = 10f64.powf(hi.log10().ceil());
    if hi < lo * 10.0 {
        hi = lo * 10.0;
    }
    (lo, hi)
}

/// A linear range covering `values` with 8 % padding (never below 0 for non-negative
/// data), never degenerate; `default` when there is nothing to cover.
pub(super) fn linear_range(values: impl Iterator<Item = f64>, default: (f64, f64)) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return default;
    }
    let pad = ((hi - lo) * 0.08)
        .max(hi.abs().max(lo.abs()) * 0.02)
        .max(1e-3);
    let new_lo = if lo >= 0.0 {
        (lo - pad).max(0.0)
    } else {
        lo - pad
    };
    (new_lo, hi + pad)
}
