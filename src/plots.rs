//! The article's figures, drawn with [plotters].
//!
//! The figures, one function each:
//! - [`draw_accuracy`]: train and test accuracy over a log-step axis, with markers where
//!   the run memorised its training set and where it grokked, and lines where the reader
//!   changed the learning rate or weight decay mid-run;
//! - [`draw_loss`]: train and test loss, log–log;
//! - [`draw_weight_norm`]: the parameter norm, which rises while the network memorises and
//!   falls as weight decay lets the general solution win;
//! - [`draw_circle`]: the tokens projected onto one Fourier frequency of the embedding
//!   (see [`crate::analysis::circle`]): a cloud before grokking, a numbered ring after;
//! - [`draw_spectrum`]: the embedding's energy per frequency, key frequencies highlighted;
//! - [`draw_progress`]: the hidden-progress measures (restricted and excluded loss, Gini
//!   coefficient, key share) over the log-step axis, with the same markers;
//! - [`draw_phase_diagram`]: weight decay × training fraction, each cell coloured and
//!   labelled by its phase (see [`crate::sweep`]), with a [`PhaseLayout`] for hit-testing;
//! - [`draw_comparison`]: several runs on shared axes (accuracy or loss), one colour each;
//! - [`draw_spectrum_marked`]: the spectrum with given frequencies marked (e.g. the final
//!   key frequencies while scrubbing back through a run);
//! - [`draw_task_clock`]: the task itself — arithmetic modulo p as a clock, with a worked
//!   example ([`TaskExample`]);
//! - [`draw_task_pairs`]: the p × p table of pairs, coloured by the run's train/test split
//!   ([`PairTable`]), with a [`PairsLayout`] for hit-testing.
//!
//! Every function is generic over plotters' [`DrawingBackend`]: the tests draw into an SVG
//! string natively, the page draws into a `<canvas>` through `plotters-canvas` with the
//! very same code. So nothing here may depend on exact font metrics (natively plotters only
//! *guesses* text sizes; the browser measures real fonts): every layout decision leaves
//! slack around text, and text is anchored (left/centre/right, top/centre/bottom) rather
//! than positioned by its measured size wherever possible.
//!
//! The figures carry no titles (the page supplies headings and captions). All sizes — fonts,
//! line widths, margins — are multiplied by [`Theme::scale`], so a canvas drawn at
//! `devicePixelRatio` 2 looks the same as at 1, only crisper, and a presenter can zoom.
//! Every function fills its area with the theme's background first and copes with empty or
//! partial input (no points yet, a single point, zeros on a log axis, NaN or infinite
//! values, all-zero embeddings) by drawing empty axes with sensible default ranges; none of
//! them panics on data.
//!
//! Colours are the colour-blind-safe Okabe–Ito palette; the constants below are public so
//! that the page's CSS (legends in HTML, slider accents) can match them exactly.

use crate::analysis::{Progress, Spectrum};
use crate::sweep::Phase;
use crate::task::{is_prime, pow_mod, Dataset, Op};
use crate::train::{Config, ConfigError, Event, History, Point, ProgressPoint, GROKKED, MEMORISED};
use plotters::coord::ranged1d::{AsRangedCoord, BoldPoints, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Train curves: Okabe–Ito blue, `#0072B2`.
pub const TRAIN_COLOR: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Test curves and highlighted key frequencies: Okabe–Ito vermillion, `#D55E00`.
pub const TEST_COLOR: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// The weight-norm curve: Okabe–Ito bluish green, `#009E73`.
pub const NORM_COLOR: RGBColor = RGBColor(0x00, 0x9E, 0x73);
/// Vertical dashed markers ("memorised", "grokked"): mid grey, `#8C8C8C`, which reads on
/// both the light and the dark background. Event lines use the theme's lighter
/// [`Palette::event`] grey.
pub const MARKER_COLOR: RGBColor = RGBColor(0x8C, 0x8C, 0x8C);

/// The theme-dependent colours (background, text, grid). The data colours
/// ([`TRAIN_COLOR`], [`TEST_COLOR`], [`NORM_COLOR`], [`MARKER_COLOR`]) are the same in both
/// themes, so a legend in the page's HTML needs no theme logic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    /// Figure background.
    pub background: RGBColor,
    /// Axis descriptions, legend text, captions.
    pub text: RGBColor,
    /// Tick labels, axis lines and annotation text: quieter than `text`.
    pub muted: RGBColor,
    /// Major grid lines (and the axes through 0 of the circle figure).
    pub grid: RGBColor,
    /// Minor grid lines (the 2…9 subdivisions of a log decade).
    pub grid_minor: RGBColor,
    /// Spectrum bars of the frequencies that are not key.
    pub bar: RGBColor,
    /// Lines at mid-run changes of learning rate or weight decay: a lighter grey than the
    /// dashed [`MARKER_COLOR`] markers.
    pub event: RGBColor,
}

/// Light theme: white `#FFFFFF` background, text `#222222`, muted `#5C5C5C`, grid `#E2E2E2`,
/// minor grid `#F1F1F1`, plain bars `#B4B4B4`, event lines `#BDBDBD`.
pub const LIGHT: Palette = Palette {
    background: RGBColor(0xFF, 0xFF, 0xFF),
    text: RGBColor(0x22, 0x22, 0x22),
    muted: RGBColor(0x5C, 0x5C, 0x5C),
    grid: RGBColor(0xE2, 0xE2, 0xE2),
    grid_minor: RGBColor(0xF1, 0xF1, 0xF1),
    bar: RGBColor(0xB4, 0xB4, 0xB4),
    event: RGBColor(0xBD, 0xBD, 0xBD),
};

/// Dark theme: `#111111` background, text `#E8E8E8`, muted `#A6A6A6`, grid `#333333`,
/// minor grid `#1F1F1F`, plain bars `#5E5E5E`, event lines `#555555`.
pub const DARK: Palette = Palette {
    background: RGBColor(0x11, 0x11, 0x11),
    text: RGBColor(0xE8, 0xE8, 0xE8),
    muted: RGBColor(0xA6, 0xA6, 0xA6),
    grid: RGBColor(0x33, 0x33, 0x33),
    grid_minor: RGBColor(0x1F, 0x1F, 0x1F),
    bar: RGBColor(0x5E, 0x5E, 0x5E),
    event: RGBColor(0x55, 0x55, 0x55),
};

/// A colour as CSS hex, `#RRGGBB` (upper case, as plotters' SVG backend writes it).
pub fn css_hex(color: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", color.0, color.1, color.2)
}

/// The font family of every text. A generic family: the SVG needs no font files and the
/// canvas uses the browser's default sans-serif.
const FONT: FontFamily<'static> = FontFamily::SansSerif;

/// Visual settings shared by all figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Theme {
    /// Multiplies font sizes, line widths and margins: `devicePixelRatio` × presenter zoom;
    /// 1.0 is normal. Values that are not finite and positive are treated as 1.0, and the
    /// scale is clamped to 0.25..=8.
    pub scale: f64,
    /// Light text and grid on a dark background ([`DARK`]) instead of [`LIGHT`].
    pub dark: bool,
}

impl Default for Theme {
    /// Scale 1, light theme.
    fn default() -> Self {
        Theme {
            scale: 1.0,
            dark: false,
        }
    }
}

impl Theme {
    /// The colours of this theme.
    pub fn palette(&self) -> &'static Palette {
        if self.dark {
            &DARK
        } else {
            &LIGHT
        }
    }

    /// The scale actually used: a NaN or zero from JavaScript must not collapse the figure.
    fn s(&self) -> f64 {
        if self.scale.is_finite() && self.scale > 0.0 {
            self.scale.clamp(0.25, 8.0)
        } else {
            1.0
        }
    }

    /// The scale actually used (see [`Theme::scale`]): device pixels per CSS pixel.
    pub fn effective_scale(&self) -> f64 {
        self.s()
    }

    /// `v` CSS pixels at this scale, in device pixels.
    fn px(&self, v: f64) -> i32 {
        (v * self.s()).round() as i32
    }

    /// A stroke width of `v` CSS pixels, at least one device pixel.
    fn stroke(&self, v: f64) -> u32 {
        (v * self.s()).round().max(1.0) as u32
    }

    /// Axis descriptions and legend entries (13 px at scale 1).
    fn text_size(&self) -> f64 {
        13.0 * self.s()
    }

    /// Tick labels (12 px at scale 1).
    fn tick_size(&self) -> f64 {
        12.0 * self.s()
    }

    /// Annotations: marker and event labels, token numbers, captions (11.5 px at scale 1).
    fn note_size(&self) -> f64 {
        11.5 * self.s()
    }

    fn font(&self, size: f64, color: RGBColor) -> TextStyle<'static> {
        TextStyle {
            font: FontDesc::new(FONT, size, FontStyle::Normal),
            color: color.to_backend_color(),
            pos: Pos::new(HPos::Left, VPos::Top),
        }
    }
}

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
// Number formatting

/// A number with up to three significant digits and no trailing zeros: 0.3, 0.001, 12.5,
/// 1e-4 (scientific outside 0.001..100 000).
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
        trim_zeros(format!("{v:.decimals$}"))
    } else {
        let s = format!("{v:.2e}");
        match s.split_once('e') {
            Some((mantissa, exp)) => format!("{}e{exp}", trim_zeros(mantissa.to_string())),
            None => s,
        }
    }
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A training step for a tick label: 1, 10, 100, 1k, 10k, 2.5k, 1M.
pub fn format_step(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", format_number(v / 1e6))
    } else if a >= 1e3 {
        format!("{}k", format_number(v / 1e3))
    } else {
        format_number(v)
    }
}

const SUPERSCRIPT: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];

/// A tick of a log axis of small values: 10, 1, 0.1, 0.01, then 10⁻³, 10⁻⁴, … (powers of
/// ten with a superscript exponent stay short and readable from the back of a classroom).
fn format_log_tick(v: f64) -> String {
    if !(v.is_finite() && v > 0.0) {
        return format_number(v);
    }
    let e = v.log10().round();
    let is_decade = (v / 10f64.powf(e) - 1.0).abs() < 1e-6;
    if !is_decade || e >= -2.0 {
        return if v >= 1.0 {
            format_step(v)
        } else {
            format_number(v)
        };
    }
    let digits: String = (-e as i64)
        .to_string()
        .chars()
        .map(|c| SUPERSCRIPT[c.to_digit(10).unwrap_or(0) as usize])
        .collect();
    format!("10⁻{digits}")
}

/// The label of an event: the settings that changed since the previous event (for the
/// first event: since the crate's defaults, which is what the page starts from); both when
/// that leaves nothing, e.g. "wd 0.3" or "lr 0.003 · wd 1".
fn event_label(event: &Event, previous: Option<&Event>) -> String {
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

// ---------------------------------------------------------------------------------------
// Shared pieces of the three step charts

/// How a run's curves are stroked, so that several runs on shared axes can be told apart
/// while keeping the train/test colours.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Dash {
    Solid,
    Dashed,
    Dotted,
}

impl Dash {
    fn of_run(index: usize) -> Dash {
        [Dash::Solid, Dash::Dashed, Dash::Dotted][index % 3]
    }
}

/// A polyline in data coordinates, in one colour and dash.
struct Curve {
    /// Runs of consecutive finite points; a non-finite value breaks the line.
    segments: Vec<Vec<(f64, f64)>>,
    color: RGBColor,
    dash: Dash,
}

/// One legend entry: a short stroke of the curve's style and its name.
struct LegendEntry {
    text: String,
    color: RGBColor,
    dash: Dash,
    /// The run it belongs to: when the legend needs more than one row, each run starts
    /// a new row, so the rows read "run A · train, run A · test" / "run B · …".
    group: usize,
}

/// The x coordinate of a step on the log axis. The first recorded step is 0, which a log
/// axis cannot show; rather than shifting every step by one (which would put the
/// "memorised" marker of step 75 at 76 and make every tick off by one), step 0 is drawn at
/// x = 1, on the axis's left edge, together with step 1. Every other step is exact.
fn step_x(step: u64) -> f64 {
    step.max(1) as f64
}

/// The curve of one metric: consecutive finite values form a segment; NaN and ±∞ are
/// skipped (and break the line, so no segment pretends to know what happened there).
fn segments(points: &[Point], value: impl Fn(&Point) -> f64) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for p in points {
        let y = value(p);
        if y.is_finite() {
            current.push((step_x(p.step), y));
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
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
fn layout_legend(
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

/// Strokes a polyline (a single point becomes a dot, so the first snapshot is visible).
fn stroke_path<DB, CT>(
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
fn tick_labels<R: Ranged<ValueType = f64>>(
    coord: &R,
    n: usize,
    fmt: &dyn Fn(&f64) -> String,
) -> Vec<String> {
    coord.key_points(BoldPoints(n)).iter().map(fmt).collect()
}

/// The width of `text` as the backend estimates it. Superscript digits are measured as
/// plain digits: plotters' native estimate counts UTF-8 bytes, which would make "10⁻⁴"
/// look twice as wide as it is (the browser measures real glyphs either way).
fn text_width<DB: DrawingBackend>(
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

/// Text sizes already measured, per backend type, text and font size. In the browser
/// plotters measures text by adding a `<span>` to the page and reading its size, which
/// forces a layout; a live chart redrawn every frame asks for the same few labels again
/// and again, so they are remembered (up to [`MEASURE_CACHE`] entries, then forgotten).
type MeasureKey = (&'static str, String, u64);

thread_local! {
    static MEASURED: std::cell::RefCell<std::collections::HashMap<MeasureKey, (i32, i32)>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Most text sizes remembered by [`measure`].
const MEASURE_CACHE: usize = 1024;

/// The (width, height) of `text` in `style` on this backend, measured once.
fn measure<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> Result<(i32, i32), DrawingAreaErrorKind<DB::ErrorType>> {
    let key = (
        std::any::type_name::<DB>(),
        text.to_string(),
        style.font.get_size().to_bits(),
    );
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

/// Everything that differs between the accuracy, loss and weight-norm charts.
struct StepChart<'a> {
    y_desc: &'a str,
    /// The y range (in the axis's own values: for a log axis, positive).
    y_range: (f64, f64),
    y_fmt: &'a dyn Fn(&f64) -> String,
    /// Minor grid lines on y: the 2…9 subdivisions of a log axis help; on a linear axis
    /// they only add stripes.
    y_minor: bool,
    curves: Vec<Curve>,
    legend: Vec<LegendEntry>,
}

/// Below this size (CSS pixels at scale 1) a chart only gets its background: there is no
/// room for axes, and a canvas that has not been laid out yet may be 0 × 0.
const MIN_CHART: (f64, f64) = (120.0, 90.0);

/// Draws a chart with a log step axis: legend strip, label band, axes, event and marker
/// lines, curves. `y` is the y coordinate spec (linear or log) matching `spec.y_range`.
fn draw_step_chart<DB, Y>(
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
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    if w < theme.px(MIN_CHART.0) || h < theme.px(MIN_CHART.1) {
        return Ok(());
    }

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

/// Smallest loss shown: a log axis cannot show 0, and a loss of 1e-9 is "zero" for the
/// article's purposes (float32 logits cannot resolve much below).
pub const MIN_LOSS: f64 = 1e-9;

/// A log range covering `values` (clamped to ≥ `floor`, non-finite ones ignored) out to
/// whole decades, at least one decade wide; `default` when there is nothing to cover.
fn log_range(values: impl Iterator<Item = f64>, floor: f64, default: (f64, f64)) -> (f64, f64) {
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

/// The loss chart, coloured by metric (train/test) or by run (see [`train_test_curves`]).
fn loss_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    runs: &[RunCurves],
    theme: &Theme,
    by_run: bool,
) -> DrawResult<DB> {
    let clamp = |v: f64| if v.is_finite() { v.max(MIN_LOSS) } else { v };
    let (curves, legend) = train_test_curves(
        runs,
        |p| clamp(p.train_loss),
        |p| clamp(p.test_loss),
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

/// A linear range covering `values` with 8 % padding (never below 0 for non-negative
/// data), never degenerate; `default` when there is nothing to cover.
fn linear_range(values: impl Iterator<Item = f64>, default: (f64, f64)) -> (f64, f64) {
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

// ---------------------------------------------------------------------------------------
// The embedding circle

/// Above this many tokens the circle figure shows the points without their numbers: the
/// labels of p > 130 tokens on one ring overlap into a grey smear at any sensible canvas
/// size (the cyclic colours still show the order). Smaller rings lose their numbers too
/// when the canvas leaves less than about 1 em of circumference per token (for p = 97 the
/// canvas must be about 420 CSS pixels square).
pub const MAX_CIRCLE_LABELS: usize = 130;

/// The tokens' positions on the circle of frequency `k` (`coords[a]` is token a, from
/// [`crate::analysis::circle`]), as a scatter with equal aspect: a square data range
/// centred on 0, its radius from the farthest point plus room for the labels.
///
/// Each token is a dot coloured cyclically by where it belongs on the ring,
/// hue = ((a·k) mod p)/p (p = `coords.len()`), so a ring shows a smooth rainbow and a cloud
/// shows confetti; next to each dot, outward from the centre, its number a (omitted when
/// p > [`MAX_CIRCLE_LABELS`] or the canvas is too small for p numbers round the ring). Faint axes pass through 0; "k = {k}" sits in the top-left
/// corner. Points with a non-finite coordinate are skipped; k = 0 and all-zero coordinates
/// draw without fuss (one hue; a default radius of 1).
pub fn draw_circle<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    coords: &[[f64; 2]],
    k: usize,
    theme: &Theme,
) -> DrawResult<DB> {
    let pal = theme.palette();
    area.fill(&pal.background)?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let text = theme.font(theme.text_size(), pal.text);
    let tick = theme.font(theme.tick_size(), pal.muted);
    let margin = theme.px(10.0);
    let gap = theme.px(6.0);
    let tick_len = theme.px(4.0);
    let (_, text_h) = measure(area, "Ag", &text)?;
    let (_, tick_h) = measure(area, "0", &tick)?;

    let p = coords.len();
    let finite = |c: &[f64; 2]| c[0].is_finite() && c[1].is_finite();
    let r_max = coords
        .iter()
        .filter(|c| finite(c))
        .map(|c| c[0].hypot(c[1]))
        .fold(0.0f64, f64::max);
    let r_max = if r_max > 0.0 && r_max.is_finite() {
        r_max
    } else {
        1.0
    };

    // A square plotting area: the same label-area size on both axes, centred in the area.
    let probe = [format_number(-r_max), format_number(r_max)];
    let mut widest = 0;
    for label in &probe {
        widest = widest.max(text_width(area, label, &tick)?);
    }
    let label_area = widest.max(tick_h) + 2 * tick_len + text_h + gap + gap / 2;
    let side = (w - label_area - 2 * margin).min(h - label_area - 2 * margin);
    if side < theme.px(60.0) {
        return Ok(());
    }
    let left = (w - side - label_area) / 2;
    let top = (h - side - label_area) / 2;
    let square = area.margin(
        top,
        h - top - side - label_area,
        left,
        w - left - side - label_area,
    );

    // Leave room outside the ring for the numbers: the ring's radius in pixels is the half
    // side minus the padding, so the data radius grows accordingly. Numbers need about
    // 1 em of ring each; on a canvas too small for that they would only smear.
    let half = side as f64 / 2.0;
    let ring_px = |pad: f64| (half - pad * theme.s()).max(half / 2.0);
    let label_size = theme.note_size() * if p > 60 { 0.85 } else { 1.0 };
    let room = std::f64::consts::TAU * ring_px(24.0) / p.max(1) as f64;
    let show_labels = p <= MAX_CIRCLE_LABELS && room >= label_size;
    let radius = r_max * half / ring_px(if show_labels { 24.0 } else { 10.0 });

    let mut chart = ChartBuilder::on(&square)
        .x_label_area_size(label_area)
        .y_label_area_size(label_area)
        .build_cartesian_2d(-radius..radius, -radius..radius)?;
    let fmt = |v: &f64| format_number(*v);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(5)
        .y_labels(5)
        .x_label_formatter(&fmt)
        .y_label_formatter(&fmt)
        .x_desc("cos component")
        .y_desc("sin component")
        .label_style(tick.clone())
        .axis_desc_style(text.clone())
        .axis_style(ShapeStyle::from(pal.muted).stroke_width(theme.stroke(1.0)))
        .set_all_tick_mark_size(tick_len)
        .draw()?;

    let plot = chart.plotting_area();
    let axis = ShapeStyle::from(pal.grid).stroke_width(theme.stroke(1.0));
    plot.draw(&PathElement::new(vec![(-radius, 0.0), (radius, 0.0)], axis))?;
    plot.draw(&PathElement::new(vec![(0.0, -radius), (0.0, radius)], axis))?;

    let (sat, light) = if theme.dark {
        (0.75, 0.62)
    } else {
        (0.8, 0.45)
    };
    let hue = |a: usize| {
        let pp = p.max(1) as u64;
        ((a as u64 % pp) * (k as u64 % pp) % pp) as f64 / pp as f64
    };
    let dot = theme.s()
        * match p {
            0..=60 => 4.0,
            61..=130 => 3.5,
            _ => 2.5,
        };
    let dot = dot.round().max(1.0) as u32;
    for (a, c) in coords.iter().enumerate().filter(|(_, c)| finite(c)) {
        let color = HSLColor(hue(a), sat, light);
        plot.draw(&(EmptyElement::at((c[0], c[1])) + Circle::new((0, 0), dot, color.filled())))?;
    }
    if show_labels {
        let style = theme.font(label_size, pal.muted);
        let off = dot as f64 + theme.s() * 2.5;
        for (a, c) in coords.iter().enumerate().filter(|(_, c)| finite(c)) {
            // Outward from the centre; a point at the centre gets its label to the right.
            let r = c[0].hypot(c[1]);
            let (ux, uy) = if r > 1e-12 * r_max {
                (c[0] / r, c[1] / r)
            } else {
                (1.0, 0.0)
            };
            let hpos = if ux > 0.38 {
                HPos::Left
            } else if ux < -0.38 {
                HPos::Right
            } else {
                HPos::Center
            };
            let vpos = if uy > 0.38 {
                VPos::Bottom
            } else if uy < -0.38 {
                VPos::Top
            } else {
                VPos::Center
            };
            let delta = ((ux * off).round() as i32, (-uy * off).round() as i32);
            plot.draw(
                &(EmptyElement::at((c[0], c[1]))
                    + Text::new(a.to_string(), delta, style.pos(Pos::new(hpos, vpos)))),
            )?;
        }
    }

    let (px0, py0) = plot.get_base_pixel();
    let base = area.get_base_pixel();
    let caption = text.pos(Pos::new(HPos::Left, VPos::Top));
    area.draw_text(
        &format!("k = {k}"),
        &caption,
        (px0 - base.0 + gap, py0 - base.1 + gap),
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The spectrum

/// Each non-constant frequency's share of the non-constant energy, in percent (k = 1..):
/// index 0 of the result is k = 1. All zeros when there is no such energy.
pub fn energy_shares(spectrum: &Spectrum) -> Vec<f64> {
    let clean = |e: f64| if e.is_finite() && e > 0.0 { e } else { 0.0 };
    let energy: Vec<f64> = spectrum.energy.iter().skip(1).map(|&e| clean(e)).collect();
    let total: f64 = energy.iter().sum();
    energy
        .iter()
        .map(|e| if total > 0.0 { 100.0 * e / total } else { 0.0 })
        .collect()
}

/// At most this many key frequencies get their number above the bar.
pub const MAX_NUMBERED_KEYS: usize = 12;

/// The embedding's Fourier spectrum as bars: each frequency k = 1…p/2 with its share of
/// the non-constant energy in percent. k = 0 (the constant direction, the tokens' mean
/// embedding) is left out: it says nothing about circles and would dwarf the rest at
/// initialisation. Key frequencies ([`Spectrum::keys`]) are drawn in [`TEST_COLOR`] and
/// numbered above their bars (where the numbers do not collide), the rest in the theme's
/// grey; a strip above the plot explains the colour and gives the Gini coefficient.
pub fn draw_spectrum<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    spectrum: &Spectrum,
    theme: &Theme,
) -> DrawResult<DB> {
    draw_spectrum_marked(area, spectrum, &spectrum.keys, "key", theme)
}

/// The spectrum as in [`draw_spectrum`], with the frequencies `marked` highlighted
/// instead of the spectrum's own key frequencies — e.g. the key frequencies at the end of
/// a run, while scrubbing through its earlier frames. `name` words the caption: "key"
/// gives "key frequency" / "key frequencies (9)", "final key" gives "final key
/// frequencies (9)".
pub fn draw_spectrum_marked<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    spectrum: &Spectrum,
    marked: &[usize],
    name: &str,
    theme: &Theme,
) -> DrawResult<DB> {
    let pal = theme.palette();
    area.fill(&pal.background)?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    if w < theme.px(MIN_CHART.0) || h < theme.px(MIN_CHART.1) {
        return Ok(());
    }
    let text = theme.font(theme.text_size(), pal.text);
    let tick = theme.font(theme.tick_size(), pal.muted);
    let note = theme.font(theme.note_size(), TEST_COLOR);
    let margin = theme.px(10.0);
    let gap = theme.px(6.0);
    let tick_len = theme.px(4.0);
    let (_, text_h) = measure(area, "Ag", &text)?;
    let (_, tick_h) = measure(area, "0", &tick)?;
    let (_, note_h) = measure(area, "0", &note)?;

    let shares = energy_shares(spectrum);
    let n = shares.len();
    let mut keys: Vec<usize> = Vec::with_capacity(marked.len());
    for &k in marked {
        if k >= 1 && k <= n && !keys.contains(&k) {
            keys.push(k);
        }
    }
    let x_hi = n.max(10) as f64 + 0.5;
    let max_share = shares.iter().copied().fold(0.0, f64::max);
    // A little headroom, but no axis beyond 100 %; the key numbers sit in the margin
    // above the plot when a bar reaches the top.
    let y_hi = if max_share > 0.0 {
        (max_share * 1.12).min(100.0)
    } else {
        10.0
    };

    let y_coord = RangedCoordf64::from(0.0..y_hi);
    let pct = |v: &f64| format_number(*v);
    let mut widest = 0;
    for label in tick_labels(&y_coord, 8, &pct) {
        widest = widest.max(text_width(area, &label, &tick)?);
    }
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
        .margin_top(note_h + theme.px(4.0))
        .margin_bottom(margin / 2)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(0.5..x_hi, 0.0..y_hi)?;
    let plot_h = chart.plotting_area().dim_in_pixel().1 as f64;
    let y_labels = ((plot_h / (theme.tick_size() * 2.6)) as usize).clamp(2, 8);
    // Frequencies are whole numbers: ticks between them get no label.
    let int_fmt = |v: &f64| {
        if (v - v.round()).abs() < 1e-9 {
            format!("{}", v.round() as i64)
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(12)
        .y_labels(y_labels)
        .x_label_formatter(&int_fmt)
        .y_label_formatter(&pct)
        .x_desc("frequency k")
        .y_desc("share of energy (%)")
        .label_style(tick.clone())
        .axis_desc_style(text.clone())
        .axis_style(ShapeStyle::from(pal.muted).stroke_width(theme.stroke(1.0)))
        .bold_line_style(ShapeStyle::from(pal.grid).stroke_width(theme.stroke(1.0)))
        .light_line_style(TRANSPARENT)
        .set_all_tick_mark_size(tick_len)
        .draw()?;

    // Bars 0.8 wide; a share too small to see still gets a hairline so the bar exists.
    let plot = chart.plotting_area();
    for (i, &share) in shares.iter().enumerate() {
        let k = i + 1;
        let color = if keys.contains(&k) {
            TEST_COLOR
        } else {
            pal.bar
        };
        let x = k as f64;
        plot.draw(&Rectangle::new(
            [(x - 0.4, 0.0), (x + 0.4, share)],
            color.filled(),
        ))?;
    }

    // Key numbers above their bars, strongest first; one that would touch another is
    // skipped (adjacent keys such as 14 and 15 on a narrow canvas). Only when the keys are
    // few: before grokking nearly every frequency is "key" and numbers would be clutter.
    let mut taken: Vec<(i32, i32)> = Vec::new();
    let base = area.get_base_pixel();
    let numbered = if keys.len() <= MAX_NUMBERED_KEYS {
        &keys[..]
    } else {
        &[]
    };
    for &k in numbered {
        let label = k.to_string();
        let lw = text_width(area, &label, &note)?;
        let (x, y) = chart.backend_coord(&(k as f64, shares[k - 1]));
        let (a, b) = (x - lw / 2 - theme.px(2.0), x + lw / 2 + theme.px(2.0));
        if taken.iter().any(|&(c, d)| a < d && c < b) {
            continue;
        }
        taken.push((a, b));
        let style = note.pos(Pos::new(HPos::Center, VPos::Bottom));
        area.draw_text(&label, &style, (x - base.0, y - base.1 - theme.px(3.0)))?;
    }

    // The strip: what the colour means (left) and the concentration (right).
    let cy = strip_h / 2 + theme.px(2.0);
    let plot_left = chart.backend_coord(&(0.5, 0.0)).0 - base.0;
    if !keys.is_empty() {
        let sw = theme.px(11.0);
        area.draw(&Rectangle::new(
            [(plot_left, cy - sw / 2), (plot_left + sw, cy + sw / 2)],
            TEST_COLOR.filled(),
        ))?;
        let style = text.pos(Pos::new(HPos::Left, VPos::Center));
        let caption = if keys.len() == 1 {
            format!("{name} frequency")
        } else {
            format!("{name} frequencies ({})", keys.len())
        };
        area.draw_text(&caption, &style, (plot_left + sw + gap, cy))?;
    }
    if spectrum.gini.is_finite() {
        let style = text.pos(Pos::new(HPos::Right, VPos::Center));
        let right = chart.backend_coord(&(x_hi, 0.0)).0 - base.0;
        area.draw_text(&format!("Gini {:.2}", spectrum.gini), &style, (right, cy))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Hidden progress

/// Restricted loss: Okabe–Ito bluish green (the [`NORM_COLOR`]), solid.
pub const RESTRICTED_COLOR: RGBColor = NORM_COLOR;
/// Excluded loss: Okabe–Ito reddish purple, `#CC79A7`, dashed.
pub const EXCLUDED_COLOR: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
/// Gini coefficient: Okabe–Ito blue (the [`TRAIN_COLOR`]), solid.
pub const GINI_COLOR: RGBColor = TRAIN_COLOR;
/// Share of the embedding's energy on the key frequencies: Okabe–Ito orange, `#E69F00`,
/// dashed.
pub const KEY_SHARE_COLOR: RGBColor = RGBColor(0xE6, 0x9F, 0x00);

/// A curve over progress points: consecutive finite values form a segment; a missing
/// (`None`) or non-finite value breaks the line.
fn progress_segments(
    progress: &[ProgressPoint],
    value: impl Fn(&ProgressPoint) -> Option<f64>,
) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for pt in progress {
        match value(pt).filter(|y| y.is_finite()) {
            Some(y) => current.push((step_x(pt.step), y)),
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

/// The hidden-progress measures of one run (Nanda et al. 2023) against the log step axis,
/// with the run's "memorised" and "grokked" markers and event lines as in
/// [`draw_accuracy`] (`run` supplies them and the extent of the step axis).
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
                segments: progress_segments(progress, |p| Some(p.gini)),
                color: GINI_COLOR,
                dash: Dash::Solid,
            },
            Curve {
                segments: progress_segments(progress, |p| Some(p.key_share)),
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

    let measure = |f: fn(&Progress) -> f64| move |p: &ProgressPoint| p.measures.as_ref().map(f);
    let clamp = |v: f64| if v.is_finite() { v.max(MIN_LOSS) } else { v };
    let restricted = measure(|m| m.restricted_loss);
    let excluded = measure(|m| m.excluded_loss);
    let values = progress
        .iter()
        .flat_map(|p| [restricted(p), excluded(p)])
        .flatten();
    let (lo, hi) = log_range(values, MIN_LOSS, (0.01, 10.0));
    let fmt = |v: &f64| format_log_tick(*v);
    let curves = vec![
        Curve {
            segments: progress_segments(progress, |p| restricted(p).map(clamp)),
            color: RESTRICTED_COLOR,
            dash: Dash::Solid,
        },
        Curve {
            segments: progress_segments(progress, |p| excluded(p).map(clamp)),
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

// ---------------------------------------------------------------------------------------
// The phase diagram

/// Cells of runs that never fit the training set: Okabe–Ito reddish purple, `#CC79A7`.
pub const CONFUSION_COLOR: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
/// Memorisation (fits, never generalises): Okabe–Ito orange, `#E69F00`.
pub const MEMORISATION_COLOR: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
/// Grokking (generalises long after fitting): Okabe–Ito sky blue, `#56B4E9`.
pub const GROKKING_COLOR: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
/// Comprehension (fits and generalises together): Okabe–Ito bluish green, `#009E73`.
pub const COMPREHENSION_COLOR: RGBColor = RGBColor(0x00, 0x9E, 0x73);

/// The fill of a phase's cells. Text on them is always near-black (`#111111`), which
/// reads on all four.
pub fn phase_color(phase: Phase) -> RGBColor {
    match phase {
        Phase::Confusion => CONFUSION_COLOR,
        Phase::Memorisation => MEMORISATION_COLOR,
        Phase::Grokking => GROKKING_COLOR,
        Phase::Comprehension => COMPREHENSION_COLOR,
    }
}

/// The short label written in a cell, so that colour is never the only cue.
pub fn phase_abbrev(phase: Phase) -> &'static str {
    match phase {
        Phase::Confusion => "conf",
        Phase::Memorisation => "mem",
        Phase::Grokking => "grok",
        Phase::Comprehension => "comp",
    }
}

/// The state of one cell of a phase diagram being computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PhaseCell {
    /// Not started.
    #[default]
    Pending,
    /// Being trained now.
    Running,
    /// Finished and classified; `gen` is the step at which it generalised, if it did.
    Done { phase: Phase, gen: Option<u64> },
}

/// A grid of weight decay (rows) × training fraction (columns); `cells` in the row-major
/// order of [`crate::sweep::grid`] (weight decay outer): cell `i_wd * fracs.len() + i_frac`.
#[derive(Clone, Copy, Debug)]
pub struct PhaseGrid<'a> {
    /// Weight decays, increasing (drawn bottom to top).
    pub wds: &'a [f64],
    /// Training fractions, increasing (drawn left to right).
    pub fracs: &'a [f64],
    /// The cells.
    pub cells: &'a [PhaseCell],
}

/// Where the cells of a phase diagram lie in the figure (pixels from its top-left): so the
/// page can tell which cell was clicked. It depends only on the figure's size, the theme
/// and the grid's shape, never on measured text, so drawing and hit-testing agree exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhaseLayout {
    /// Left edge of the grid.
    pub left: f64,
    /// Top edge of the grid.
    pub top: f64,
    /// Width of one cell.
    pub cell_w: f64,
    /// Height of one cell.
    pub cell_h: f64,
    /// Number of weight decays (rows) and fractions (columns).
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
}

impl PhaseLayout {
    /// Below this width (CSS pixels) the legend takes two rows.
    const NARROW: f64 = 520.0;

    /// The layout of a `rows × cols` grid in a `w × h` figure; `None` when it is too small.
    pub fn new(w: u32, h: u32, rows: usize, cols: usize, theme: &Theme) -> Option<PhaseLayout> {
        let s = theme.s();
        let left = 92.0 * s; // wd tick labels and the rotated description
                             // The legend strip: one row, or two on a narrow figure (a phone).
        let top = if (w as f64) < Self::NARROW * s {
            62.0 * s
        } else {
            40.0 * s
        };
        let bottom = 50.0 * s; // frac tick labels and the description
        let right = 12.0 * s;
        let gw = w as f64 - left - right;
        let gh = h as f64 - top - bottom;
        if rows == 0 || cols == 0 || gw < 40.0 * s || gh < 30.0 * s {
            return None;
        }
        Some(PhaseLayout {
            left,
            top,
            cell_w: gw / cols as f64,
            cell_h: gh / rows as f64,
            rows,
            cols,
        })
    }

    /// The index of the cell (in grid order) under the point (x, y), if any. Row 0 (the
    /// first weight decay) is at the bottom.
    pub fn cell_at(&self, x: f64, y: f64) -> Option<usize> {
        let c = ((x - self.left) / self.cell_w).floor();
        let r = ((y - self.top) / self.cell_h).floor();
        if !(c >= 0.0 && r >= 0.0 && (c as usize) < self.cols && (r as usize) < self.rows) {
            return None;
        }
        let row = self.rows - 1 - r as usize;
        Some(row * self.cols + c as usize)
    }

    /// The pixel rectangle of cell (row, col): (x0, y0, x1, y1).
    fn rect(&self, row: usize, col: usize) -> (i32, i32, i32, i32) {
        let r = (self.rows - 1 - row) as f64;
        let x0 = self.left + col as f64 * self.cell_w;
        let y0 = self.top + r * self.cell_h;
        (
            x0.round() as i32,
            y0.round() as i32,
            (x0 + self.cell_w).round() as i32,
            (y0 + self.cell_h).round() as i32,
        )
    }
}

/// A phase diagram: one square per (weight decay, training fraction), filled with its
/// phase's colour and labelled with its abbreviation ("conf", "mem", "grok", "comp") and,
/// where it generalised, the step (e.g. "@850"), so colour is never the only cue. Pending
/// cells are empty outlines; running cells are shaded with "…". A legend strip above names
/// the phases; weight decay runs up the left (0 at the bottom), training fraction along
/// the bottom. Cells sit where [`PhaseLayout::new`] puts them.
pub fn draw_phase_diagram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    grid: &PhaseGrid,
    theme: &Theme,
) -> DrawResult<DB> {
    let pal = theme.palette();
    area.fill(&pal.background)?;
    let (w, h) = area.dim_in_pixel();
    let (rows, cols) = (grid.wds.len(), grid.fracs.len());
    let Some(layout) = PhaseLayout::new(w, h, rows, cols, theme) else {
        return Ok(());
    };
    let text = theme.font(theme.text_size(), pal.text);
    let tick = theme.font(theme.tick_size(), pal.muted);
    let gap = theme.px(6.0);
    let ink = RGBColor(0x11, 0x11, 0x11);

    // Legend strip: one row, or two rows of two on a narrow figure.
    let sw = theme.px(12.0);
    let narrow = (w as f64) < PhaseLayout::NARROW * theme.s();
    let half = ((w as f64 - layout.left) / 2.0).max(0.0) as i32;
    let mut x = layout.left as i32;
    for (i, phase) in [
        Phase::Confusion,
        Phase::Memorisation,
        Phase::Grokking,
        Phase::Comprehension,
    ]
    .into_iter()
    .enumerate()
    {
        let name = phase.name();
        let tw = text_width(area, name, &text)?;
        let (lx, cy) = if narrow {
            (
                layout.left as i32 + (i as i32 % 2) * half,
                theme.px(18.0) + (i as i32 / 2) * theme.px(22.0),
            )
        } else {
            (x, theme.px(18.0))
        };
        area.draw(&Rectangle::new(
            [(lx, cy - sw / 2), (lx + sw, cy + sw / 2)],
            phase_color(phase).filled(),
        ))?;
        let style = text.pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text(name, &style, (lx + sw + gap, cy))?;
        x += sw + gap + tw + 3 * gap;
    }

    // Cells.
    let cells_len = grid.cells.len();
    let fits = |s: &str, style: &TextStyle, room: i32| -> Result<bool, _> {
        Ok::<bool, DrawingAreaErrorKind<DB::ErrorType>>(text_width(area, s, style)? + 4 <= room)
    };
    let label = theme.font(theme.note_size(), ink);
    // Line spacing from the font size, not a measured height (plotters' native estimate
    // of a text's height is too small, and the canvas and SVG should agree).
    let note_h = (theme.note_size() * 1.25).round() as i32;
    for row in 0..rows {
        for col in 0..cols {
            let i = row * cols + col;
            let cell = if i < cells_len {
                grid.cells[i]
            } else {
                PhaseCell::Pending
            };
            let (x0, y0, x1, y1) = layout.rect(row, col);
            let inner = [(x0 + 1, y0 + 1), (x1 - 1, y1 - 1)];
            let (cx, cy) = ((x0 + x1) / 2, (y0 + y1) / 2);
            let room = x1 - x0 - 2;
            match cell {
                PhaseCell::Pending => {
                    area.draw(&Rectangle::new(
                        inner,
                        ShapeStyle::from(pal.bar).stroke_width(theme.stroke(1.0)),
                    ))?;
                }
                PhaseCell::Running => {
                    area.draw(&Rectangle::new(inner, pal.grid.filled()))?;
                    let style = theme
                        .font(theme.note_size(), pal.text)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    area.draw_text("…", &style, (cx, cy))?;
                }
                PhaseCell::Done { phase, gen } => {
                    area.draw(&Rectangle::new(inner, phase_color(phase).filled()))?;
                    let name = phase_abbrev(phase);
                    let step = gen.map(|g| format!("@{}", format_step(g as f64)));
                    let two_lines = step.is_some() && (y1 - y0) >= 2 * note_h + theme.px(4.0);
                    if fits(name, &label, room)? {
                        let style = label.pos(Pos::new(HPos::Center, VPos::Center));
                        let y = if two_lines { cy - note_h / 2 } else { cy };
                        area.draw_text(name, &style, (cx, y))?;
                    }
                    if let (true, Some(step)) = (two_lines, step) {
                        if fits(&step, &label, room)? {
                            let style = label.pos(Pos::new(HPos::Center, VPos::Center));
                            area.draw_text(&step, &style, (cx, cy + note_h / 2 + 1))?;
                        }
                    }
                }
            }
        }
    }

    // Axes: tick labels at cell centres, descriptions.
    let grid_left = layout.left as i32;
    let grid_bottom = (layout.top + rows as f64 * layout.cell_h).round() as i32;
    let grid_right = (layout.left + cols as f64 * layout.cell_w).round() as i32;
    let (_, tick_h) = measure(area, "0", &tick)?;
    let every = |room: f64, need: f64| ((need / room.max(1.0)).ceil() as usize).max(1);
    let row_step = every(layout.cell_h, tick_h as f64 * 1.2);
    for (row, &wd) in grid.wds.iter().enumerate() {
        if row % row_step != 0 {
            continue;
        }
        let (_, y0, _, y1) = layout.rect(row, 0);
        let style = tick.pos(Pos::new(HPos::Right, VPos::Center));
        area.draw_text(&format_number(wd), &style, (grid_left - gap, (y0 + y1) / 2))?;
    }
    let widest = grid
        .fracs
        .iter()
        .map(|&f| text_width(area, &format_number(f), &tick))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .max()
        .unwrap_or(0);
    let col_step = every(layout.cell_w, widest as f64 + gap as f64);
    for (col, &frac) in grid.fracs.iter().enumerate() {
        if col % col_step != 0 {
            continue;
        }
        let (x0, _, x1, _) = layout.rect(0, col);
        let style = tick.pos(Pos::new(HPos::Center, VPos::Top));
        area.draw_text(
            &format_number(frac),
            &style,
            ((x0 + x1) / 2, grid_bottom + gap),
        )?;
    }
    let desc = text.pos(Pos::new(HPos::Center, VPos::Top));
    area.draw_text(
        "training fraction",
        &desc,
        (
            (grid_left + grid_right) / 2,
            grid_bottom + gap + tick_h + gap,
        ),
    )?;
    let rotated = text
        .transform(FontTransform::Rotate270)
        .pos(Pos::new(HPos::Center, VPos::Top));
    area.draw_text(
        "weight decay",
        &rotated,
        (theme.px(8.0), (layout.top as i32 + grid_bottom) / 2),
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Runs side by side

/// The colours of runs compared on shared axes ([`draw_comparison`]), in order:
/// Okabe–Ito blue `#0072B2`, orange `#E69F00`, bluish green `#009E73`, reddish purple
/// `#CC79A7` (then again from the start).
pub const RUN_COLORS: [RGBColor; 4] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
];

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
// The task: a clock and the table of pairs

/// One worked example of the task, checked: (a ∘ b) mod p.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskExample {
    /// The modulus.
    pub p: u32,
    /// The operation.
    pub op: Op,
    /// Left operand, 0..p.
    pub a: u32,
    /// Right operand, 0..p.
    pub b: u32,
    /// (a ∘ b) mod p.
    pub answer: u32,
}

impl TaskExample {
    /// Checks the example with the messages the rest of the crate uses: p out of range
    /// and a composite modulus for division as [`ConfigError`] words them, a or b out of
    /// range, and b = 0 for division.
    pub fn new(p: u32, op: Op, a: u32, b: u32) -> Result<TaskExample, String> {
        if !(3..=257).contains(&p) {
            return Err(ConfigError::ModulusOutOfRange { p }.to_string());
        }
        if op.needs_prime() && !is_prime(p) {
            return Err(ConfigError::CompositeModulus { p, op }.to_string());
        }
        if a >= p || b >= p {
            return Err(format!("a and b must be whole numbers from 0 to {}", p - 1));
        }
        if !op.admits(a, b) {
            return Err(format!("{} is not defined for b = 0", op.formula()));
        }
        Ok(TaskExample {
            p,
            op,
            a,
            b,
            answer: op.apply(a, b, p),
        })
    }

    /// As [`TaskExample::new`], with the operation by name (`add`, `sub`, …); an unknown
    /// name gets [`Op`]'s parse error.
    pub fn parse(p: u32, op: &str, a: u32, b: u32) -> Result<TaskExample, String> {
        TaskExample::new(p, op.parse::<Op>()?, a, b)
    }

    /// The worked example, e.g. "a + b = 45 + 60 = 105 ≡ 8 (mod 97)",
    /// "a − b = 3 − 10 = −7 ≡ 90 (mod 97)", "a ÷ b = 5 ÷ 3 ≡ 5 · 65 = 325 ≡ 34 (mod 97)"
    /// (65 is the inverse of 3, see [`TaskExample::note`]). The plain value is left out
    /// when it is already the answer: "a + b = 3 + 4 = 7 (mod 97)".
    pub fn caption(&self) -> String {
        let (a, b, p) = (self.a as i64, self.b as i64, self.p as i64);
        let (terms, value) = match self.op {
            Op::Add => (format!("{a} + {b}"), a + b),
            Op::Sub => (format!("{a} − {b}"), a - b),
            Op::Mul => (format!("{a} · {b}"), a * b),
            Op::Div => {
                let inv = self.inverse_of_b() as i64;
                (format!("{a} ÷ {b} ≡ {a} · {inv}"), a * inv)
            }
            Op::X2y2 => (format!("{a}² + {b}²"), a * a + b * b),
            Op::X2xyy2 => (format!("{a}² + {a}·{b} + {b}²"), a * a + a * b + b * b),
        };
        let value_text = if value < 0 {
            format!("−{}", -value)
        } else {
            value.to_string()
        };
        let formula = self.op.formula();
        if value == self.answer as i64 {
            format!("{formula} = {terms} = {value_text} (mod {p})")
        } else {
            format!(
                "{formula} = {terms} = {value_text} ≡ {} (mod {p})",
                self.answer
            )
        }
    }

    /// A second line where the caption needs one: for division, where the inverse comes
    /// from ("65 is the inverse of 3: 3 · 65 ≡ 1").
    pub fn note(&self) -> Option<String> {
        (self.op == Op::Div).then(|| {
            let inv = self.inverse_of_b();
            format!("{inv} is the inverse of {b}: {b} · {inv} ≡ 1", b = self.b)
        })
    }

    /// b⁻¹ mod p (Fermat), for division.
    fn inverse_of_b(&self) -> u32 {
        pow_mod(self.b as u64, self.p as u64 - 2, self.p as u64) as u32
    }
}

/// The operand a on the clock and in the pairs table: Okabe–Ito blue, `#0072B2`.
pub const A_COLOR: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// The operand b: Okabe–Ito orange, `#E69F00`.
pub const B_COLOR: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
/// The answer: Okabe–Ito vermillion, `#D55E00`.
pub const ANSWER_COLOR: RGBColor = RGBColor(0xD5, 0x5E, 0x00);

/// A "nice" label spacing (1, 2, 5, 10, 20, 25, 50, 100, …) of at least `min`.
fn nice_step(min: f64) -> usize {
    let mut base = 1usize;
    loop {
        for m in [1, 2, 5] {
            if (m * base) as f64 >= min {
                return m * base;
            }
        }
        base *= 10;
        if base > 1_000_000 {
            return base;
        }
    }
}

/// Arithmetic modulo p drawn as a clock: p positions round a ring, 0 at the top, counting
/// clockwise, with the numbers written at a readable subset of them (every one for small
/// p; every 2nd, 5th, 10th, … when they would crowd). The example's a (blue dot), b
/// (orange square) and answer (vermillion ring, with a hand from the centre) are marked
/// and numbered in their colours; for addition an arc steps b places on from a (for
/// subtraction, back), so the wrap past 0 is visible. A legend strip on top names the
/// marks; the caption below works the example ([`TaskExample::caption`], and for division
/// [`TaskExample::note`]).
pub fn draw_task_clock<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    example: &TaskExample,
    theme: &Theme,
) -> DrawResult<DB> {
    let pal = theme.palette();
    area.fill(&pal.background)?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let text = theme.font(theme.text_size(), pal.text);
    let margin = theme.px(10.0);
    let gap = theme.px(6.0);
    let line_h = (theme.text_size() * 1.35).round() as i32;
    let p = example.p as usize;
    let (a, b, ans) = (
        example.a as usize,
        example.b as usize,
        example.answer as usize,
    );

    // The legend's entries, wrapped into rows when the figure is narrow.
    let answer_name = format!("{} (answer)", example.op.formula());
    let entries = [
        (format!("a = {a}"), A_COLOR),
        (format!("b = {b}"), B_COLOR),
        (format!("{answer_name} = {ans}"), ANSWER_COLOR),
    ];
    let sw = theme.px(11.0);
    let widths = entries
        .iter()
        .map(|(label, _)| Ok((text_width(area, label, &text)?, 0)))
        .collect::<Result<Vec<_>, _>>()?;
    let legend_pos = layout_legend(&widths, margin, w - margin, sw, gap);
    let legend_rows = legend_pos.iter().map(|&(_, r)| r + 1).max().unwrap_or(1) as i32;
    let legend_h = legend_rows * line_h + gap;

    // The caption: the worked example, split before its value when it is too wide, and
    // for division the note on the inverse.
    let caption = example.caption();
    let mut lines = vec![caption.clone()];
    if text_width(area, &caption, &text)? > w - 2 * margin {
        if let Some(i) = caption.rfind(" = ") {
            lines = vec![caption[..i].to_string(), caption[i + 1..].to_string()];
        }
    }
    let note = example.note();
    let caption_lines = lines.len() as i32 + i32::from(note.is_some());
    let caption_h = caption_lines * line_h + gap;

    // Numbers round the ring: room for the widest ("256") outside the ticks.
    let tick_font = theme.font(theme.tick_size(), pal.muted);
    let (num_w, num_h) = measure(area, &(p - 1).to_string(), &tick_font)?;
    let pad = num_w.max(num_h) + theme.px(10.0);
    let avail_w = w - 2 * margin;
    let avail_h = h - legend_h - caption_h - 2 * margin;
    let radius = (avail_w.min(avail_h) / 2 - pad) as f64;
    if radius < 30.0 * theme.s() {
        return Ok(());
    }
    let cx = w as f64 / 2.0;
    let cy = (margin + legend_h) as f64 + avail_h as f64 / 2.0 + margin as f64 / 2.0;
    let at = |n: f64, r: f64| {
        let t = std::f64::consts::TAU * n / p as f64;
        (cx + r * t.sin(), cy - r * t.cos())
    };
    let ipt = |(x, y): (f64, f64)| (x.round() as i32, y.round() as i32);

    // The ring and one tick per position.
    let ring_style = ShapeStyle::from(pal.muted).stroke_width(theme.stroke(1.0));
    let ring: Vec<(i32, i32)> = (0..=360)
        .map(|i| ipt(at(i as f64 * p as f64 / 360.0, radius)))
        .collect();
    area.draw(&PathElement::new(ring, ring_style))?;
    let circumference = std::f64::consts::TAU * radius;
    let spacing = circumference / p as f64;
    let every = nice_step((num_w.max(num_h) as f64 * 1.6) / spacing.max(1e-9));
    let tick_style = ShapeStyle::from(pal.muted).stroke_width(theme.stroke(1.0));
    if spacing >= 2.0 * theme.s() {
        for n in 0..p {
            let long = n % every == 0;
            let len = theme.s() * if long { 7.0 } else { 4.0 };
            area.draw(&PathElement::new(
                vec![ipt(at(n as f64, radius - len)), ipt(at(n as f64, radius))],
                tick_style,
            ))?;
        }
    }

    // Marks: the answer's hand first, then the arc, then the dots.
    let hand = ShapeStyle::from(ANSWER_COLOR).stroke_width(theme.stroke(2.0));
    area.draw(&PathElement::new(
        vec![ipt((cx, cy)), ipt(at(ans as f64, radius * 0.82))],
        hand,
    ))?;
    area.draw(&Circle::new(
        ipt((cx, cy)),
        theme.stroke(3.0),
        pal.text.filled(),
    ))?;
    let arc = match example.op {
        Op::Add if b > 0 => Some((a as f64, a as f64 + b as f64)),
        Op::Sub if b > 0 => Some((a as f64, a as f64 - b as f64)),
        _ => None,
    };
    if let Some((from, to)) = arc {
        let r = radius * 0.9;
        let n = ((to - from).abs() * 360.0 / p as f64).ceil().max(2.0) as usize;
        let pts: Vec<(i32, i32)> = (0..=n)
            .map(|i| ipt(at(from + (to - from) * i as f64 / n as f64, r)))
            .collect();
        let style = ShapeStyle::from(B_COLOR).stroke_width(theme.stroke(2.5));
        area.draw(&PathElement::new(pts, style))?;
        // An arrowhead at the end, along the arc.
        let dir = if to > from { 1.0 } else { -1.0 };
        let tip = at(to, r);
        let back = at(to - dir * 0.6 * (p as f64 / 60.0).max(0.5), r);
        let (dx, dy) = (tip.0 - back.0, tip.1 - back.1);
        let len = dx.hypot(dy).max(1e-9);
        let (ux, uy) = (dx / len, dy / len);
        let s = 6.0 * theme.s();
        let head = vec![
            ipt(tip),
            ipt((tip.0 - s * ux - s * 0.6 * uy, tip.1 - s * uy + s * 0.6 * ux)),
            ipt((tip.0 - s * ux + s * 0.6 * uy, tip.1 - s * uy - s * 0.6 * ux)),
        ];
        area.draw(&Polygon::new(head, B_COLOR.filled()))?;
    }
    let dot = theme.stroke(5.0) as i32;
    area.draw(&Circle::new(
        ipt(at(ans as f64, radius)),
        dot + theme.px(3.0),
        ShapeStyle::from(ANSWER_COLOR).stroke_width(theme.stroke(2.5)),
    ))?;
    area.draw(&Circle::new(
        ipt(at(a as f64, radius)),
        dot,
        A_COLOR.filled(),
    ))?;
    let (bx, by) = ipt(at(b as f64, radius));
    let sq = dot - theme.px(1.0);
    area.draw(&Rectangle::new(
        [(bx - sq, by - sq), (bx + sq, by + sq)],
        B_COLOR.filled(),
    ))?;

    // Numbers: the marked ones in their colours (one colour-neutral label when two marks
    // share a position), the regular subset where it does not crowd them.
    let marked: Vec<(usize, RGBColor)> = {
        let mut v: Vec<(usize, RGBColor)> = Vec::new();
        for (n, color) in [(a, A_COLOR), (b, B_COLOR), (ans, ANSWER_COLOR)] {
            match v.iter_mut().find(|(m, _)| *m == n) {
                Some(slot) => slot.1 = pal.text,
                None => v.push((n, color)),
            }
        }
        v
    };
    let near = |n: usize, m: usize| {
        let d = n.abs_diff(m);
        d.min(p - d) * 2 < every.max(2)
    };
    let label_r = radius + theme.px(8.0) as f64 + num_w.max(num_h) as f64 / 2.0;
    for n in (0..p).step_by(every) {
        if marked.iter().any(|&(m, _)| near(n, m)) {
            continue;
        }
        let style = tick_font.pos(Pos::new(HPos::Center, VPos::Center));
        area.draw_text(&n.to_string(), &style, ipt(at(n as f64, label_r)))?;
    }
    let bold = FontDesc::new(FONT, theme.text_size(), FontStyle::Bold);
    // Neighbouring marks (a = 96, b = 1 and answer 0 at p = 97) would print their numbers
    // over each other: a later one moves outward until it is clear of the earlier ones.
    let mut placed: Vec<((f64, f64), (f64, f64))> = Vec::new();
    for &(n, color) in &marked {
        let style = TextStyle::from(bold.clone())
            .color(&color)
            .pos(Pos::new(HPos::Center, VPos::Center));
        let label = n.to_string();
        let (tw, th) = measure(area, &label, &style)?;
        let size = (
            tw as f64 + theme.px(4.0) as f64,
            th as f64 + theme.px(2.0) as f64,
        );
        let mut r = label_r;
        let mut c = at(n as f64, r);
        for _ in 0..3 {
            let clash = placed.iter().any(|&((x, y), (pw, ph))| {
                (c.0 - x).abs() * 2.0 < size.0 + pw && (c.1 - y).abs() * 2.0 < size.1 + ph
            });
            if !clash {
                break;
            }
            r += size.1.max(size.0 * 0.6);
            c = at(n as f64, r);
        }
        placed.push((c, size));
        area.draw_text(&label, &style, ipt(c))?;
    }

    // Legend strip: what the marks are.
    for (i, ((label, color), &(x, row))) in entries.iter().zip(&legend_pos).enumerate() {
        let ly = margin / 2 + line_h / 2 + row as i32 * line_h;
        let c = (x + sw / 2, ly);
        match i {
            0 => area.draw(&Circle::new(c, (sw / 2) as u32, color.filled()))?,
            1 => area.draw(&Rectangle::new(
                [(x, ly - sw / 2), (x + sw, ly + sw / 2)],
                color.filled(),
            ))?,
            _ => area.draw(&Circle::new(
                c,
                (sw / 2) as u32,
                ShapeStyle::from(*color).stroke_width(theme.stroke(2.0)),
            ))?,
        }
        let style = text.pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text(label, &style, (x + sw + gap, ly))?;
    }

    // Caption: the worked example.
    let style = text.pos(Pos::new(HPos::Center, VPos::Center));
    let mut y = h - margin / 2 - caption_h + gap + line_h / 2;
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            y += line_h;
        }
        area.draw_text(line, &style, (w / 2, y))?;
    }
    if let Some(note) = note {
        y += line_h;
        let style = theme
            .font(theme.note_size(), pal.muted)
            .pos(Pos::new(HPos::Center, VPos::Center));
        area.draw_text(&note, &style, (w / 2, y))?;
    }
    Ok(())
}

/// What a pair of the task is for one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairKind {
    /// In the training set.
    Train,
    /// In the test set.
    Test,
    /// Not part of the task (b = 0 for division).
    Excluded,
}

/// Training pairs in the table: the train colour, Okabe–Ito blue `#0072B2`.
pub const PAIR_TRAIN_COLOR: RGBColor = TRAIN_COLOR;
/// Test pairs: the test colour, Okabe–Ito vermillion `#D55E00`.
pub const PAIR_TEST_COLOR: RGBColor = TEST_COLOR;

/// Every pair (a, b) of a run's task: which are trained on, which tested, which excluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairTable {
    /// The modulus.
    pub p: u32,
    /// The operation.
    pub op: Op,
    /// Row-major p × p (row a, column b).
    pub kinds: Vec<PairKind>,
}

impl PairTable {
    /// The table of exactly this split (see [`Dataset::new`]).
    pub fn from_dataset(data: &Dataset) -> PairTable {
        let p = data.p as usize;
        let mask = data.train_mask();
        let kinds = (0..p * p)
            .map(|i| {
                let (a, b) = ((i / p) as u32, (i % p) as u32);
                if !data.op.admits(a, b) {
                    PairKind::Excluded
                } else if mask[i] {
                    PairKind::Train
                } else {
                    PairKind::Test
                }
            })
            .collect();
        PairTable {
            p: data.p,
            op: data.op,
            kinds,
        }
    }

    /// The table of a (valid) config's split.
    pub fn from_config(config: &Config) -> PairTable {
        Self::from_dataset(&Dataset::new(config.p, config.op, config.frac, config.seed))
    }

    /// How many pairs are of `kind`.
    pub fn count(&self, kind: PairKind) -> usize {
        self.kinds.iter().filter(|&&k| k == kind).count()
    }

    /// The kind of (a, b), if both are in 0..p.
    pub fn kind(&self, a: u32, b: u32) -> Option<PairKind> {
        (a < self.p && b < self.p).then(|| self.kinds[(a * self.p + b) as usize])
    }

    /// The sentence beside the task figures: the worked example for (a, b), whether the
    /// network trains on that pair, and the size of the split, e.g. "a + b = 3 + 5 = 8
    /// (mod 97). The network trains on this pair: it is one of the 2,823 training pairs
    /// (30% of 9,409); the other 6,586 are the test set." Errors as [`TaskExample::new`].
    pub fn summary(&self, a: u32, b: u32) -> Result<String, String> {
        let example = TaskExample::new(self.p, self.op, a, b)?;
        let (train, test) = (self.count(PairKind::Train), self.count(PairKind::Test));
        let total = train + test;
        let whose = match self.kind(a, b) {
            Some(PairKind::Train) => "The network trains on this pair: it is one of the",
            _ => "The network never sees this pair during training; it learns from the",
        };
        Ok(format!(
            "{}. {whose} {} training pairs ({}% of {}); the other {} are the test set.",
            example.caption(),
            format_count(train),
            (100.0 * train as f64 / total.max(1) as f64).round(),
            format_count(total),
            format_count(test),
        ))
    }
}

/// An integer with thousands separators: 9409 → "9,409".
fn format_count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Where the cells of the pairs table lie (pixels from the figure's top-left), so the page
/// can tell which pair is under the pointer. Like [`PhaseLayout`], it depends only on the
/// figure's size, the theme and p — never on measured text or the operation — so drawing
/// and hit-testing agree exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairsLayout {
    /// Left edge of the grid (column b = 0).
    pub left: f64,
    /// Top edge of the grid (row a = 0).
    pub top: f64,
    /// Side of one (square) cell.
    pub cell: f64,
    /// The modulus: p rows and p columns.
    pub p: u32,
    /// Whether the legend is stacked one entry per row (a narrow figure).
    pub narrow: bool,
}

impl PairsLayout {
    /// Below this width (CSS pixels) the legend is stacked.
    const NARROW: f64 = 520.0;
    /// Room left of the grid for the a numbers (CSS pixels).
    const LABELS_LEFT: f64 = 40.0;
    /// Room above the grid for the b numbers.
    const LABELS_TOP: f64 = 22.0;

    /// The layout of the p × p table in a `w × h` figure (device pixels at `theme`'s
    /// scale); `None` when it is too small or p is 0.
    pub fn new(w: u32, h: u32, p: u32, theme: &Theme) -> Option<PairsLayout> {
        let s = theme.s();
        let narrow = (w as f64) < Self::NARROW * s;
        let legend = if narrow { 3.0 * 20.0 + 8.0 } else { 30.0 } * s;
        let (margin, labels_left, labels_top) =
            (8.0 * s, Self::LABELS_LEFT * s, Self::LABELS_TOP * s);
        let gw = w as f64 - labels_left - 2.0 * margin;
        let gh = h as f64 - legend - labels_top - margin;
        if p == 0 || gw < 40.0 * s || gh < 40.0 * s {
            return None;
        }
        let cell = (gw / p as f64).min(gh / p as f64);
        // The grid and its labels, centred horizontally.
        let block = labels_left + cell * p as f64;
        let left = ((w as f64 - block) / 2.0).max(margin) + labels_left;
        Some(PairsLayout {
            left,
            top: legend + labels_top,
            cell,
            p,
            narrow,
        })
    }

    /// The pair (a, b) under the point (x, y), if any: row a, column b.
    pub fn pair_at(&self, x: f64, y: f64) -> Option<(u32, u32)> {
        let b = ((x - self.left) / self.cell).floor();
        let a = ((y - self.top) / self.cell).floor();
        let p = self.p as f64;
        (a >= 0.0 && b >= 0.0 && a < p && b < p).then_some((a as u32, b as u32))
    }

    /// The centre of cell (a, b).
    pub fn center(&self, a: u32, b: u32) -> (f64, f64) {
        (
            self.left + (b as f64 + 0.5) * self.cell,
            self.top + (a as f64 + 0.5) * self.cell,
        )
    }

    /// The pixel rectangle of cell (a, b) extended to column `b_end` (exclusive):
    /// (x0, y0, x1, y1).
    fn rect(&self, a: u32, b: u32, b_end: u32) -> (i32, i32, i32, i32) {
        let x0 = self.left + b as f64 * self.cell;
        let y0 = self.top + a as f64 * self.cell;
        (
            x0.round() as i32,
            y0.round() as i32,
            (self.left + b_end as f64 * self.cell).round() as i32,
            (y0 + self.cell).round() as i32,
        )
    }
}

/// Every pair (a, b) of the task as a p × p table — a down the left, b along the top —
/// each cell coloured by what the run does with it: training pairs in
/// [`PAIR_TRAIN_COLOR`], test pairs in [`PAIR_TEST_COLOR`], pairs outside the task (b = 0
/// for division) in the theme's bar grey ([`Palette::bar`]). The legend on top names them with their counts
/// ("training pairs (2823)"). `highlight` (a, b), if given and in range, is outlined and
/// its numbers on both axes are written out. Cells sit where [`PairsLayout::new`] puts
/// them; big cells get a hairline gap between them.
pub fn draw_task_pairs<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    table: &PairTable,
    highlight: Option<(u32, u32)>,
    theme: &Theme,
) -> DrawResult<DB> {
    let pal = theme.palette();
    area.fill(&pal.background)?;
    let (w, h) = area.dim_in_pixel();
    let p = table.p;
    let Some(layout) = PairsLayout::new(w, h, p, theme) else {
        return Ok(());
    };
    if table.kinds.len() != (p * p) as usize {
        return Ok(());
    }
    let text = theme.font(theme.text_size(), pal.text);
    let tick = theme.font(theme.tick_size(), pal.muted);
    let gap = theme.px(6.0);
    let color = |k: PairKind| match k {
        PairKind::Train => PAIR_TRAIN_COLOR,
        PairKind::Test => PAIR_TEST_COLOR,
        PairKind::Excluded => pal.bar,
    };

    // Cells: one rectangle each when they are big enough to show a gap; otherwise runs of
    // equal cells along a row as one rectangle (p = 257 would be 66 049 cells).
    let separate = layout.cell >= 6.0 * theme.s();
    for a in 0..p {
        let row = &table.kinds[(a * p) as usize..((a + 1) * p) as usize];
        let mut b = 0;
        while b < p {
            let kind = row[b as usize];
            let mut end = b + 1;
            while !separate && end < p && row[end as usize] == kind {
                end += 1;
            }
            let (x0, y0, x1, y1) = layout.rect(a, b, end);
            let shrink = i32::from(separate);
            area.draw(&Rectangle::new(
                [(x0, y0), (x1 - shrink, y1 - shrink)],
                color(kind).filled(),
            ))?;
            b = end;
        }
    }

    // Axis numbers: a readable subset, the highlighted pair's own numbers in full.
    let (num_w, num_h) = measure(area, &(p.saturating_sub(1)).to_string(), &tick)?;
    let row_every = nice_step(num_h as f64 * 1.3 / layout.cell);
    let col_every = nice_step((num_w + gap) as f64 / layout.cell);
    let hl = highlight.filter(|&(a, b)| a < p && b < p);
    let near = |n: u32, m: Option<u32>, every: usize| {
        m.is_some_and(|m| (n.abs_diff(m) as usize) * 2 < every.max(2))
    };
    let grid_left = layout.left.round() as i32;
    let grid_top = layout.top.round() as i32;
    for a in (0..p).step_by(row_every) {
        if near(a, hl.map(|h| h.0), row_every) {
            continue;
        }
        let (_, y) = layout.center(a, 0);
        let style = tick.pos(Pos::new(HPos::Right, VPos::Center));
        area.draw_text(&a.to_string(), &style, (grid_left - gap, y.round() as i32))?;
    }
    for b in (0..p).step_by(col_every) {
        if near(b, hl.map(|h| h.1), col_every) {
            continue;
        }
        let (x, _) = layout.center(0, b);
        let style = tick.pos(Pos::new(HPos::Center, VPos::Bottom));
        area.draw_text(
            &b.to_string(),
            &style,
            (x.round() as i32, grid_top - gap / 2),
        )?;
    }
    // The corner says which way is which.
    let corner = theme
        .font(theme.tick_size(), pal.text)
        .pos(Pos::new(HPos::Right, VPos::Bottom));
    area.draw_text("a \\ b", &corner, (grid_left - gap, grid_top - gap / 2))?;

    if let Some((a, b)) = hl {
        let (x0, y0, x1, y1) = layout.rect(a, b, b + 1);
        let o = theme.px(2.0);
        let outline = |c: RGBColor, extra: i32, width: f64| {
            Rectangle::new(
                [
                    (x0 - o - extra, y0 - o - extra),
                    (x1 + o + extra, y1 + o + extra),
                ],
                ShapeStyle::from(c).stroke_width(theme.stroke(width)),
            )
        };
        // A ring in the text colour with a halo of background, so it reads on either
        // colour of cell and on cells only a few pixels wide.
        area.draw(&outline(pal.background, theme.px(2.0), 2.0))?;
        area.draw(&outline(pal.text, 0, 2.5))?;
        let bold = FontDesc::new(FONT, theme.tick_size(), FontStyle::Bold);
        let strong = TextStyle::from(bold).color(&pal.text);
        let (cx, cy) = layout.center(a, b);
        area.draw_text(
            &a.to_string(),
            &strong.pos(Pos::new(HPos::Right, VPos::Center)),
            (grid_left - gap, cy.round() as i32),
        )?;
        area.draw_text(
            &b.to_string(),
            &strong.pos(Pos::new(HPos::Center, VPos::Bottom)),
            (cx.round() as i32, grid_top - gap / 2),
        )?;
    }

    // Legend: one row, or stacked on a narrow figure.
    let mut entries = vec![
        (
            format!("training pairs ({})", table.count(PairKind::Train)),
            PairKind::Train,
        ),
        (
            format!("test pairs ({})", table.count(PairKind::Test)),
            PairKind::Test,
        ),
    ];
    let excluded = table.count(PairKind::Excluded);
    if excluded > 0 {
        entries.push((format!("excluded, b = 0 ({excluded})"), PairKind::Excluded));
    }
    let sw = theme.px(12.0);
    let row_h = theme.px(20.0);
    let mut x = (layout.left - PairsLayout::LABELS_LEFT * theme.s()).round() as i32;
    let x_start = x;
    for (i, (label, kind)) in entries.iter().enumerate() {
        let (lx, cy) = if layout.narrow {
            (x_start, theme.px(4.0) + row_h * i as i32 + row_h / 2)
        } else {
            (x, theme.px(4.0) + row_h / 2 + theme.px(2.0))
        };
        area.draw(&Rectangle::new(
            [(lx, cy - sw / 2), (lx + sw, cy + sw / 2)],
            color(*kind).filled(),
        ))?;
        let style = text.pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text(label, &style, (lx + sw + gap, cy))?;
        x += sw + gap + text_width(area, label, &text)? + 3 * gap;
    }
    Ok(())
}
