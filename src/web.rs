//! The WebAssembly face of the crate: the only module that knows about JavaScript.
//!
//! Four exported types, in the style of rustwasm's Game of Life (a plain `impl` for the
//! Rust side and the tests, a `#[wasm_bindgen] impl` for the surface JS sees):
//!
//! - [`Session`] lives in the training Web Worker (`www/worker.js`). It owns a
//!   [`Trainer`], takes steps when told to, and hands out [`Snapshot`]s: only what is new
//!   since the previous snapshot (history points, hyperparameter events), the current
//!   metrics, the embedding's Fourier spectrum and the circles of its three strongest
//!   frequencies. Snapshots are small plain JS objects, copied out of wasm memory, so the
//!   worker can post them to the page as they are.
//!   With progress tracking on, snapshots also carry the new hidden-progress points; on
//!   request it computes the key-frequency ablations ([`Session::ablate`]) and answers
//!   "what is a ∘ b?" ([`Session::predict`]) at exactly the current step.
//! - [`Figures`] lives on the page's main thread. It accumulates the snapshots the worker
//!   posts and draws the figures onto canvases with plotters-canvas, using the drawing
//!   functions of [`crate::plots`].
//! - [`CellRun`] lives in the phase-diagram workers (`www/phase-worker.js`): one cell of a
//!   weight decay × training fraction grid, trained in slices with the stop rule and
//!   classification of [`crate::sweep`]; [`PhaseFigure`] holds the grid on the page and
//!   draws it.
//!
//! JS owns the clock (it decides how many steps to take and when to draw); Rust owns the
//! state. Errors cross the boundary as `JsError`s carrying the readable `Display` message
//! of [`ConfigError`](crate::ConfigError) or [`TrainError`](crate::TrainError).

use crate::analysis::{self, Progress, Spectrum};
use crate::model::BatchStats;
use crate::plots::{self, PhaseCell, PhaseGrid, PhaseLayout, RunCurves, Theme};
use crate::sweep::{self, Cell};
use crate::task::{primes_between, Op};
use crate::train::{Config, Event, Metrics, Point, ProgressPoint, Trainer};
pub use crate::train::{Guess, Prediction, TOP_GUESSES};
use plotters::coord::Shift;
use plotters::prelude::DrawingBackend;
use plotters::prelude::{DrawingArea, IntoDrawingArea};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
use plotters_canvas::CanvasBackend;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

/// plotters' canvas backend, measuring text with the canvas's own `measureText`.
///
/// Without this, plotters sizes text on wasm by appending a `<span>` to the document and
/// reading its `offsetHeight`: a forced layout of the whole (long) article for every
/// label, dozens per redraw, ~1 ms each while a run is training. `measureText` needs no
/// layout, and it measures with the very font the canvas then draws with.
pub struct MeasuredCanvas {
    inner: CanvasBackend,
    context: web_sys::CanvasRenderingContext2d,
}

impl MeasuredCanvas {
    /// The backend for `canvas`, or None if it has no 2D context.
    fn new(canvas: HtmlCanvasElement) -> Option<MeasuredCanvas> {
        let context = canvas
            .get_context("2d")
            .ok()
            .flatten()?
            .dyn_into::<web_sys::CanvasRenderingContext2d>()
            .ok()?;
        Some(MeasuredCanvas {
            inner: CanvasBackend::with_canvas_object(canvas)?,
            context,
        })
    }
}

/// Everything but text measurement is the canvas backend's own.
impl DrawingBackend for MeasuredCanvas {
    type ErrorType = <CanvasBackend as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }
    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_text(text, style, pos)
    }

    /// The unrotated box of `text` (as plotters' own estimate gives it): the advance
    /// width, and the font's ascent plus descent (1.2 × the size where the browser does
    /// not report them). The font string is the one [`CanvasBackend`] draws with.
    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.context.set_font(&format!(
            "{} {}px {}",
            style.style().as_str(),
            style.size(),
            style.family().as_str(),
        ));
        let metrics = self.context.measure_text(text).map_err(|e| {
            DrawingErrorKind::FontError(format!("measureText failed: {e:?}").into())
        })?;
        let height = metrics.font_bounding_box_ascent() + metrics.font_bounding_box_descent();
        let height = if height.is_finite() && height > 0.0 {
            height
        } else {
            1.2 * style.size()
        };
        Ok((metrics.width().max(0.0).ceil() as u32, height.ceil() as u32))
    }
}

/// How many embedding circles a snapshot carries (the strongest frequencies first).
pub const CIRCLES: usize = 3;

/// Runs once when the module is instantiated (on the page and in the worker): panics
/// then reach the console with their message instead of an opaque "unreachable".
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Converts a Rust value into a plain JS value: structs become objects, `None` becomes
/// `null` (so the value survives `postMessage` and reads naturally in JS).
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// Reads a JS value into a Rust value; the error names the offending field.
fn from_js<T: for<'de> Deserialize<'de>>(value: JsValue) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&e.to_string()))
}

/// The default run's settings, as a plain object `{p, op, frac, wd, lr, d, hidden, seed}`.
#[wasm_bindgen]
pub fn default_config() -> Result<JsValue, JsError> {
    to_js(&Config::default())
}

/// Parses and validates a config object; returns it normalised (every field present,
/// missing ones at their defaults) or an error whose message names the problem, e.g.
/// "a ÷ b needs a prime modulus, and p = 91 is not prime (91 = 7 × 13)".
#[wasm_bindgen]
pub fn check_config(config: JsValue) -> Result<JsValue, JsError> {
    let config = parse_config(config)?;
    to_js(&config)
}

/// A config read from JS and validated.
fn parse_config(config: JsValue) -> Result<Config, JsError> {
    let config: Config = from_js(config)?;
    config.validate()?;
    Ok(config)
}

/// The primes in `lo..=hi` (for the modulus menu).
#[wasm_bindgen]
pub fn primes(lo: u32, hi: u32) -> Vec<u32> {
    primes_between(lo, hi)
}

/// One entry of the operation menu.
#[derive(Serialize)]
struct OpInfo {
    name: &'static str,
    formula: &'static str,
    needs_prime: bool,
}

/// The operations as `[{name, formula, needs_prime}]`, in menu order.
#[wasm_bindgen]
pub fn ops() -> Result<JsValue, JsError> {
    let list: Vec<OpInfo> = Op::ALL
        .iter()
        .map(|&op| OpInfo {
            name: op.name(),
            formula: op.formula(),
            needs_prime: op.needs_prime(),
        })
        .collect();
    to_js(&list)
}

/// One embedding circle: where each token sits for frequency `k`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Circle {
    /// The frequency.
    pub k: usize,
    /// Share of the embedding's non-constant energy at this frequency (0..1).
    pub share: f64,
    /// Token a at `coords[a]` (see [`analysis::circle`]).
    pub coords: Vec<[f64; 2]>,
}

/// What changed in a run since the previous snapshot, plus its current state.
///
/// `points` and `events` are increments: the receiver keeps the first `points_from`
/// points it already has and appends `points` (likewise for events; an event can be
/// replaced when the learning rate or weight decay changes twice at one step, which is
/// why `events_from` may point one before the end of what the receiver holds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Updates taken so far.
    pub step: u64,
    /// Index of `points[0]` in the run's history.
    pub points_from: usize,
    /// New history points.
    pub points: Vec<Point>,
    /// Index of `events[0]` in the run's list of events.
    pub events_from: usize,
    /// New or replaced learning-rate / weight-decay changes.
    pub events: Vec<Event>,
    /// Train and test metrics: measured at `metrics.step`, which is `step` for an exact
    /// snapshot and the latest recorded step otherwise.
    pub metrics: Metrics,
    /// Learning rate in force.
    pub lr: f64,
    /// Weight decay in force.
    pub wd: f64,
    /// First step with train accuracy ≥ 99%.
    pub memorised_at: Option<u64>,
    /// First recorded step with test accuracy ≥ 95%.
    pub grokked_at: Option<u64>,
    /// Step at which the loss stopped being finite.
    pub diverged_at: Option<u64>,
    /// The embedding's Fourier spectrum (absent once diverged: it would be all NaN).
    pub spectrum: Option<Spectrum>,
    /// Circles of the strongest frequencies, strongest first (empty once diverged).
    pub circles: Vec<Circle>,
    /// Index of `progress[0]` in the run's progress measures.
    pub progress_from: usize,
    /// New hidden-progress measures (only when tracked, see [`Session::set_track_progress`]).
    pub progress: Vec<ProgressPoint>,
    /// Whether the operation has restricted/excluded losses at all (addition and
    /// subtraction; see [`analysis::answer_variable`]): otherwise only the Gini
    /// coefficient and the key share are measured.
    pub has_measures: bool,
    /// New frames for the page's history of the embedding (see
    /// [`Figures::frame_count`]): the embedding at each step of
    /// [`History::records_progress`](crate::History::records_progress) passed since the
    /// previous snapshot, and at the current step when `exact`. Taken at fixed steps, so
    /// the frames of a run are the same however fast it went (a link to a frame finds it
    /// again).
    #[serde(default)]
    pub frames: Vec<EmbeddingFrame>,
    /// d, the embedding's width.
    #[serde(default)]
    pub embedding_d: usize,
}

/// The embedding E at one step, row-major p × d (token a's vector at `a * d..`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingFrame {
    /// The step (updates taken) at which E was taken.
    pub step: u64,
    /// E, row-major.
    pub embedding: Vec<f32>,
}

/// The network with its key frequencies kept only or removed, beside the real one, at
/// exactly one step (see [`Session::ablate`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ablation {
    /// The step measured.
    pub step: u64,
    /// The real network's train accuracy.
    pub train_acc: f64,
    /// The real network's test accuracy.
    pub test_acc: f64,
    /// The key frequencies used (the embedding's now), strongest first.
    pub keys: Vec<usize>,
    /// Their share of the embedding's non-constant energy.
    pub key_share: f64,
    /// The ablated networks' losses and accuracies; `None` for operations without a
    /// Fourier answer variable.
    pub measures: Option<Progress>,
}

/// A training run owned by the worker.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Session {
    trainer: Trainer,
    /// History points already handed out.
    points_sent: usize,
    /// Events already handed out, and the last of them as it was then.
    events_sent: usize,
    last_event_sent: Option<Event>,
    /// Metrics measured at the current step, kept until the next update (a pause right
    /// after a snapshot should not measure twice).
    measured: Option<Metrics>,
    /// Progress points already handed out.
    progress_sent: usize,
    /// Stop a batch of steps right after the step at which the run grokked.
    stop_when_grokked: bool,
    /// Embedding frames taken since the last snapshot (see [`Snapshot::frames`]).
    frames: Vec<EmbeddingFrame>,
}

/// The Rust-side surface (also what tests/web.rs exercises without JS values).
impl Session {
    /// A fresh run of `config` (validated).
    pub fn with_config(config: Config) -> Result<Session, crate::ConfigError> {
        Ok(Session {
            trainer: Trainer::new(config)?,
            points_sent: 0,
            events_sent: 0,
            last_event_sent: None,
            measured: None,
            progress_sent: 0,
            stop_when_grokked: false,
            frames: Vec::new(),
        }
        .with_first_frame())
    }

    /// The network with its key frequencies kept only and removed, at the current step:
    /// one forward pass over all p² pairs plus the real network's metrics (cached).
    pub fn ablation(&mut self) -> Ablation {
        let metrics = self.measure();
        let point = self.trainer.progress();
        Ablation {
            step: self.trainer.step_count(),
            train_acc: metrics.train_acc,
            test_acc: metrics.test_acc,
            keys: point.keys,
            key_share: point.key_share,
            measures: point.measures,
        }
    }

    /// The network's answer to (a, b) (see [`Trainer::predict`]).
    pub fn prediction(&mut self, a: u32, b: u32) -> Result<Prediction, String> {
        self.trainer.predict(a, b)
    }

    /// The trainer, for inspection.
    pub fn trainer(&self) -> &Trainer {
        &self.trainer
    }

    /// Up to `max_steps` updates; the number taken, or the divergence. With
    /// [`Session::set_stop_when_grokked`] on, stops early right after the step at which
    /// test accuracy first reached 95%.
    pub fn advance(&mut self, max_steps: u32) -> Result<u32, crate::TrainError> {
        self.drive(max_steps, |session| session.trainer.step())
    }

    /// Takes up to `max_steps` steps with `step` (one update each), keeping the frames
    /// and stopping early at an error or, with stop-when-grokked, right after grokking;
    /// the number taken, or the error.
    fn drive<E>(
        &mut self,
        max_steps: u32,
        mut step: impl FnMut(&mut Session) -> Result<(), E>,
    ) -> Result<u32, E> {
        let before = self.trainer.step_count();
        let grokked_before = self.trainer.grokked_at().is_some();
        let mut result = Ok(());
        for _ in 0..max_steps {
            result = step(self);
            if result.is_err() {
                break;
            }
            self.take_frame_if_due();
            if self.just_grokked(grokked_before) {
                break;
            }
        }
        if self.trainer.step_count() != before {
            self.measured = None;
        }
        result.map(|()| (self.trainer.step_count() - before) as u32)
    }

    /// The session with the frame of step 0.
    fn with_first_frame(mut self) -> Session {
        self.take_frame();
        self
    }

    /// Keeps the embedding as a frame if this step is on the frame schedule.
    fn take_frame_if_due(&mut self) {
        if crate::History::records_progress(self.trainer.step_count()) {
            self.take_frame();
        }
    }

    /// Keeps the current embedding as a frame (once per step; not after divergence).
    fn take_frame(&mut self) {
        let step = self.trainer.step_count();
        if self.trainer.diverged_at().is_some()
            || self.frames.last().is_some_and(|f| f.step == step)
        {
            return;
        }
        let embedding = self.trainer.params().embed.iter().copied().collect();
        self.frames.push(EmbeddingFrame { step, embedding });
    }

    /// Whether a batch of steps that started before grokking should stop now.
    fn just_grokked(&self, grokked_before: bool) -> bool {
        self.stop_when_grokked && !grokked_before && self.trainer.grokked_at().is_some()
    }

    /// Metrics at the current step: two forward passes (train and test set), done at
    /// most once per step.
    fn measure(&mut self) -> Metrics {
        match self.measured {
            Some(m) if m.step == self.trainer.step_count() => m,
            _ => {
                let m = self.trainer.evaluate();
                self.measured = Some(m);
                m
            }
        }
    }

    /// The freshest metrics available without extra work: those measured at the current
    /// step if any, else the last recorded history point (at most a few steps old, see
    /// [`crate::History::records`]), else a measurement.
    fn latest_metrics(&mut self) -> Metrics {
        let step = self.trainer.step_count();
        if let Some(m) = self.measured.filter(|m| m.step == step) {
            return m;
        }
        match self.trainer.history().points.last() {
            Some(&pt) => pt,
            None => self.measure(),
        }
    }

    /// Everything new since the previous call (see [`Snapshot`]). With `exact`, the
    /// metrics are measured at the current step (costs about one training step; for
    /// pauses, where the numbers must be those of exactly this step); without, they are
    /// the latest recorded ones (free; for snapshots taken while running).
    pub fn take_snapshot(&mut self, exact: bool) -> Snapshot {
        let metrics = if exact {
            self.measure()
        } else {
            self.latest_metrics()
        };
        let history = self.trainer.history();
        let points_from = self.points_sent.min(history.points.len());
        let points = history.points[points_from..].to_vec();

        let events = &history.events;
        let mut events_from = self.events_sent.min(events.len());
        if events_from > 0 && Some(events[events_from - 1]) != self.last_event_sent {
            // The last event handed out was replaced (a second change at the same step,
            // or the list is full): hand it out again.
            events_from -= 1;
        }
        let new_events = events[events_from..].to_vec();
        self.points_sent = history.points.len();
        self.events_sent = events.len();
        self.last_event_sent = events.last().copied();

        let progress_from = self.progress_sent.min(history.progress.len());
        let progress = history.progress[progress_from..].to_vec();
        self.progress_sent = history.progress.len();

        let diverged_at = self.trainer.diverged_at();
        let (spectrum, circles) = if diverged_at.is_some() {
            (None, Vec::new())
        } else {
            let embed = &self.trainer.params().embed;
            let spectrum = analysis::spectrum(embed);
            let circles = strongest(&spectrum.energy, CIRCLES)
                .into_iter()
                .map(|(k, share)| Circle {
                    k,
                    share,
                    coords: analysis::circle(embed, k),
                })
                .collect();
            (Some(spectrum), circles)
        };
        if exact {
            self.take_frame();
        }
        let frames = std::mem::take(&mut self.frames);
        let embedding_d = self.trainer.params().embed.ncols();
        let config = self.trainer.config();
        Snapshot {
            step: self.trainer.step_count(),
            points_from,
            points,
            events_from,
            events: new_events,
            metrics,
            lr: config.lr,
            wd: config.wd,
            memorised_at: self.trainer.memorised_at(),
            grokked_at: self.trainer.grokked_at(),
            diverged_at,
            spectrum,
            circles,
            progress_from,
            progress,
            has_measures: analysis::answer_variable(config.op).is_some(),
            frames,
            embedding_d,
        }
    }
}

/// The `n` strongest non-constant frequencies with their share of the non-constant
/// energy, strongest first (ties broken by the smaller k, so the choice is deterministic).
fn strongest(energy: &[f64], n: usize) -> Vec<(usize, f64)> {
    let total: f64 = energy.iter().skip(1).sum();
    analysis::ranked_frequencies(energy)
        .into_iter()
        .take(n)
        .map(|k| (k, if total > 0.0 { energy[k] / total } else { 0.0 }))
        .collect()
}

/// The surface the worker calls.
#[wasm_bindgen]
impl Session {
    /// Validates `config` (a plain object; missing fields take their defaults) and
    /// initialises the run. Throws with a readable message if the config is bad.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<Session, JsError> {
        Ok(Session::with_config(parse_config(config)?)?)
    }

    /// Takes up to `max_steps` updates and returns how many were taken. Throws
    /// "training diverged at step N: …" once the loss is no longer finite.
    pub fn run(&mut self, max_steps: u32) -> Result<u32, JsError> {
        Ok(self.advance(max_steps)?)
    }

    /// Updates taken so far.
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> f64 {
        // u64 → f64 is exact far beyond any run a browser will see (2⁵³ steps).
        self.trainer.step_count() as f64
    }

    /// Sets the learning rate and weight decay from the next update on; the change is
    /// recorded as an event (drawn on the curves). Throws if a value is out of range.
    pub fn set_hyper(&mut self, lr: f64, wd: f64) -> Result<(), JsError> {
        Ok(self.trainer.set_hyper(lr, wd)?)
    }

    /// Everything new since the previous snapshot, as a plain object (see [`Snapshot`]).
    /// `exact`: measure the metrics at the current step (about the cost of one step)
    /// instead of reporting the latest recorded ones.
    pub fn snapshot(&mut self, exact: bool) -> Result<JsValue, JsError> {
        let snapshot = self.take_snapshot(exact);
        to_js(&snapshot)
    }

    /// The run's config as currently in force (learning rate and weight decay included).
    pub fn config(&self) -> Result<JsValue, JsError> {
        to_js(self.trainer.config())
    }

    /// The recorded history as CSV (header `step,train_loss,train_acc,…`; with progress
    /// columns when tracked).
    pub fn history_csv(&self) -> String {
        self.trainer.history().to_csv()
    }

    /// The run as JSON (see [`crate::train::history_json`]): `{"config": {...},
    /// "points": [...], "events": [...], "progress": [...], "memorised_at",
    /// "grokked_at", "diverged_at"}`.
    pub fn history_json(&self) -> Result<String, JsError> {
        crate::train::history_json(&self.trainer).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Records the hidden-progress measures on the schedule of
    /// [`crate::History::records_progress`] (about 30 a decade), so snapshots carry them.
    pub fn set_track_progress(&mut self, on: bool) {
        self.trainer.set_track_progress(on);
    }

    /// The ablations at exactly the current step, as a plain object (see [`Ablation`]):
    /// `{step, train_acc, test_acc, keys, key_share, measures: {restricted_train_acc, …}}`.
    pub fn ablate(&mut self) -> Result<JsValue, JsError> {
        let ablation = self.ablation();
        to_js(&ablation)
    }

    /// The network's answer to (a, b) as a plain object (see [`Prediction`]):
    /// `{step, a, b, truth, in_train, top: [{answer, prob}], probs}`. Throws with a
    /// readable message if a or b is out of range (or b = 0 for division).
    pub fn predict(&mut self, a: u32, b: u32) -> Result<JsValue, JsError> {
        let prediction = self.prediction(a, b).map_err(|e| JsError::new(&e))?;
        to_js(&prediction)
    }
}

/// Shared memory through which two workers split every training step (see
/// [`Session::run_lead`] and [`Session::follow`]): the leader computes the gradient of
/// shard 0, the follower that of shard 1; each writes its half into the buffer, waits for
/// the other's and both take the same update, so they stay bit-identical to a single
/// [`Trainer`] (see [`Trainer::step_with_shards`]).
///
/// Layout of the `SharedArrayBuffer` (sized by [`Link::byte_length`]):
/// - 8 × i32 control words: the leader's command counter and kind, the step the command
///   is for, how much of the test set the follower measures at that step, and the steps
///   each side has published its half for;
/// - 2 × 12 × f64, one block per step parity: lr, wd, the leader's and the follower's
///   batch stats (loss, correct, count), and the follower's test-set stats on recorded
///   steps: half of the set (each side measures one, see
///   [`Trainer::evaluate_test_half`]), or all of it on steps where the leader takes the
///   hidden-progress measures meanwhile;
/// - 4 × n × f32 gradient slots: leader and follower, one per step parity.
///
/// Two slots per side (by step parity) let a fast side start step s + 1 while the slow
/// side still reads step s: nobody overwrites a slot until the other side has passed
/// the next barrier, which it only does after reading it.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Link {
    ctrl: js_sys::Int32Array,
    numbers: js_sys::Float64Array,
    grads: js_sys::Float32Array,
    n: usize,
    /// The follower's last command seen.
    seen: std::cell::Cell<i32>,
    /// Scratch for one flat gradient in wasm memory.
    scratch: std::cell::RefCell<Vec<f32>>,
}

/// Control word indices.
const CMD: u32 = 0;
const KIND: u32 = 1;
const STEP: u32 = 2;
const LEAD_DONE: u32 = 3;
const FOLLOW_DONE: u32 = 4;
const RECORD: u32 = 5;
/// What the follower measures of the test set at a step (control word `RECORD`):
/// nothing, half 1 (the leader measures half 0), or the whole set (while the leader
/// takes the hidden-progress measures).
const TEST_NONE: i32 = 0;
const TEST_HALF: i32 = 1;
const TEST_WHOLE: i32 = 2;
/// Command kinds.
const KIND_STEP: i32 = 1;
const KIND_STOP: i32 = 2;
/// Bytes before the f64 block and the f32 slots.
const CTRL_BYTES: usize = 8 * 4;
const NUMBER_BYTES: usize = 2 * NUMBERS_PER_STEP as usize * 8;
/// f64s per step parity: lr, wd, three stats of each half's batch, three of the
/// follower's test half, one spare.
const NUMBERS_PER_STEP: u32 = 12;
/// How long one side waits for the other mid-step before giving up (a step takes
/// milliseconds; this only trips if the partner is gone).
const PARTNER_TIMEOUT_MS: f64 = 10_000.0;

impl Link {
    fn atomic_load(&self, index: u32) -> i32 {
        js_sys::Atomics::load(&self.ctrl, index).unwrap_or(0)
    }

    fn atomic_store(&self, index: u32, value: i32) {
        let _ = js_sys::Atomics::store(&self.ctrl, index, value);
        let _ = js_sys::Atomics::notify(&self.ctrl, index);
    }

    /// Gives the follower a new command of `kind` (its details already written).
    fn issue(&self, kind: i32) {
        let _ = js_sys::Atomics::store(&self.ctrl, KIND, kind);
        let _ = js_sys::Atomics::add(&self.ctrl, CMD, 1);
        let _ = js_sys::Atomics::notify(&self.ctrl, CMD);
    }

    /// Blocks until control word `index` is at least `target`; false on timeout.
    fn wait_for(&self, index: u32, target: i32) -> bool {
        let deadline = js_sys::Date::now() + PARTNER_TIMEOUT_MS;
        loop {
            let now = self.atomic_load(index);
            if now >= target {
                return true;
            }
            let left = deadline - js_sys::Date::now();
            if left <= 0.0 {
                return false;
            }
            let _ = js_sys::Atomics::wait_with_timeout(&self.ctrl, index, now, left);
        }
    }

    /// The gradient slot of `side` (0 leader, 1 follower) for `step`.
    fn slot(&self, side: usize, step: u64) -> js_sys::Float32Array {
        let index = side * 2 + (step % 2) as usize;
        let at = (index * self.n) as u32;
        self.grads.subarray(at, at + self.n as u32)
    }

    fn numbers_at(&self, step: u64) -> u32 {
        (step % 2) as u32 * NUMBERS_PER_STEP
    }

    /// Stats slots: 0 leader's batch half, 1 follower's batch half, 2 follower's test
    /// half.
    fn write_stats(&self, side: usize, step: u64, stats: BatchStats) {
        let at = self.numbers_at(step) + 2 + 3 * side as u32;
        self.numbers.set_index(at, stats.loss);
        self.numbers.set_index(at + 1, stats.correct as f64);
        self.numbers.set_index(at + 2, stats.count as f64);
    }

    fn read_stats(&self, side: usize, step: u64) -> BatchStats {
        let at = self.numbers_at(step) + 2 + 3 * side as u32;
        BatchStats {
            loss: self.numbers.get_index(at),
            correct: self.numbers.get_index(at + 1) as usize,
            count: self.numbers.get_index(at + 2) as usize,
        }
    }
}

#[wasm_bindgen]
impl Link {
    /// Bytes of shared memory a link for `param_count` parameters needs.
    pub fn byte_length(param_count: usize) -> usize {
        CTRL_BYTES + NUMBER_BYTES + 4 * param_count * 4
    }

    /// Views `buffer` (a `SharedArrayBuffer` of [`Link::byte_length`] bytes, zeroed when
    /// created) as a link for `param_count` parameters. Both workers make one on the
    /// same buffer.
    #[wasm_bindgen(constructor)]
    pub fn new(buffer: &JsValue, param_count: usize) -> Result<Link, JsError> {
        if !buffer.is_instance_of::<js_sys::SharedArrayBuffer>() {
            return Err(JsError::new("a link needs a SharedArrayBuffer"));
        }
        let bytes = buffer
            .unchecked_ref::<js_sys::SharedArrayBuffer>()
            .byte_length() as usize;
        if bytes != Link::byte_length(param_count) {
            return Err(JsError::new(&format!(
                "shared buffer has {bytes} bytes, a link for {param_count} parameters needs {}",
                Link::byte_length(param_count)
            )));
        }
        let n = param_count;
        Ok(Link {
            ctrl: js_sys::Int32Array::new_with_byte_offset_and_length(buffer, 0, 8),
            numbers: js_sys::Float64Array::new_with_byte_offset_and_length(
                buffer,
                CTRL_BYTES as u32,
                2 * NUMBERS_PER_STEP,
            ),
            grads: js_sys::Float32Array::new_with_byte_offset_and_length(
                buffer,
                (CTRL_BYTES + NUMBER_BYTES) as u32,
                (4 * n) as u32,
            ),
            n,
            seen: std::cell::Cell::new(0),
            scratch: std::cell::RefCell::new(vec![0.0; n]),
        })
    }

    /// Tells the follower to return from [`Session::follow`] (to its event loop, where it
    /// can take a new run). The leader calls this before sending it anything else.
    pub fn stop(&self) {
        self.issue(KIND_STOP);
    }
}

/// One step split with the follower (see [`Session::run_lead`]).
impl Session {
    /// Asks the follower for this step, computes shard 0 (and half the test set on a
    /// recorded step), waits for the follower's half and takes the update.
    fn lead_step(&mut self, link: &Link, scratch: &mut [f32]) -> Result<(), JsError> {
        let step = self.trainer.step_count();
        if let Some(at) = self.trainer.diverged_at() {
            return Err(crate::TrainError::Diverged { step: at }.into());
        }
        let at = link.numbers_at(step);
        link.numbers.set_index(at, self.trainer.config().lr);
        link.numbers.set_index(at + 1, self.trainer.config().wd);
        // On a step with progress measures (a pass over all p² pairs) the follower
        // measures the whole test set while this side takes the measures; on other
        // recorded steps each side measures half the test set.
        let progress = self.trainer.progress_due();
        let test_share = match (self.trainer.records_now(), progress) {
            (false, _) => TEST_NONE,
            (true, false) => TEST_HALF,
            (true, true) => TEST_WHOLE,
        };
        let _ = js_sys::Atomics::store(&link.ctrl, STEP, step as i32);
        let _ = js_sys::Atomics::store(&link.ctrl, RECORD, test_share);
        link.issue(KIND_STEP);

        let stats = self.trainer.shard_gradient(0, scratch);
        link.slot(0, step).copy_from(scratch);
        link.write_stats(0, step, stats);
        link.atomic_store(LEAD_DONE, step as i32 + 1);
        let half = (test_share == TEST_HALF).then(|| self.trainer.evaluate_test_half(0));
        self.trainer.prepare_progress();
        if !link.wait_for(FOLLOW_DONE, step as i32 + 1) {
            return Err(JsError::new(
                "the second training worker stopped responding",
            ));
        }
        link.slot(1, step).copy_to(scratch);
        let theirs = link.read_stats(1, step);
        let test = match (test_share, half) {
            (TEST_WHOLE, _) => Some(link.read_stats(2, step)),
            (_, Some(mut half)) => {
                half.merge(link.read_stats(2, step));
                Some(half)
            }
            _ => None,
        };
        self.trainer
            .step_with_shards(0, scratch, theirs, test, true)
            .map_err(JsError::from)
    }
}

/// Splitting steps between two workers (see [`Link`]).
#[wasm_bindgen]
impl Session {
    /// Number of values in one flat gradient (what [`Link::byte_length`] needs).
    pub fn param_count(&self) -> usize {
        self.trainer.param_count()
    }

    /// The step at which test accuracy first reached 95%, if it has.
    #[wasm_bindgen(getter)]
    pub fn grokked_at(&self) -> Option<f64> {
        self.trainer.grokked_at().map(|s| s as f64)
    }

    /// Stop batches of steps right after the step at which the run grokked, so a
    /// classroom's "Stop when grokked" pauses exactly there.
    pub fn set_stop_when_grokked(&mut self, on: bool) {
        self.stop_when_grokked = on;
    }

    /// True once the run has diverged (its loss stopped being finite).
    #[wasm_bindgen(getter)]
    pub fn diverged(&self) -> bool {
        self.trainer.diverged_at().is_some()
    }

    /// Like [`Session::run`], but each step is split with the follower on `link`: this
    /// worker computes shard 0 and records the history, the follower computes shard 1.
    /// Both sessions must be at the same step with the same config (the page creates them
    /// together). Throws the divergence message, or, if the follower stops answering,
    /// "the second training worker stopped responding" (then [`Session::diverged`] is
    /// false and the caller can go on alone: the parameters are untouched).
    pub fn run_lead(&mut self, max_steps: u32, link: &Link) -> Result<u32, JsError> {
        let mut scratch = link.scratch.borrow_mut();
        self.drive(max_steps, |session| session.lead_step(link, &mut scratch))
    }
    /// The follower's loop: takes shard 1 of every step the leader on `link` asks for,
    /// until the leader calls [`Link::stop`]; returns the number of steps taken. Blocks
    /// the worker meanwhile (it has nothing else to do). Throws the divergence message
    /// (the leader diverges at the same step), or a message if the leader vanished
    /// mid-step or asked for a step this session is not at.
    pub fn follow(&mut self, link: &Link) -> Result<u32, JsError> {
        let mut scratch = link.scratch.borrow_mut();
        let mut taken = 0;
        loop {
            let cmd = loop {
                let cmd = link.atomic_load(CMD);
                if cmd != link.seen.get() {
                    break cmd;
                }
                let _ = js_sys::Atomics::wait(&link.ctrl, CMD, cmd);
            };
            link.seen.set(cmd);
            if link.atomic_load(KIND) != KIND_STEP {
                return Ok(taken);
            }
            let step = self.trainer.step_count();
            let asked = link.atomic_load(STEP);
            if asked != step as i32 {
                return Err(JsError::new(&format!(
                    "the leader asked for step {asked}, this worker is at step {step}"
                )));
            }
            let at = link.numbers_at(step);
            let (lr, wd) = (link.numbers.get_index(at), link.numbers.get_index(at + 1));
            let config = self.trainer.config();
            if lr != config.lr || wd != config.wd {
                self.trainer.set_hyper(lr, wd)?;
            }
            let stats = self.trainer.shard_gradient(1, &mut scratch);
            link.slot(1, step).copy_from(&scratch);
            link.write_stats(1, step, stats);
            let test = match link.atomic_load(RECORD) {
                TEST_HALF => Some(self.trainer.evaluate_test_half(1)),
                TEST_WHOLE => Some(self.trainer.evaluate_test()),
                _ => None,
            };
            if let Some(test) = test {
                link.write_stats(2, step, test);
            }
            link.atomic_store(FOLLOW_DONE, step as i32 + 1);
            if !link.wait_for(LEAD_DONE, step as i32 + 1) {
                return Err(JsError::new(
                    "the leading training worker stopped responding",
                ));
            }
            link.slot(0, step).copy_to(&mut scratch);
            let theirs = link.read_stats(0, step);
            self.trainer
                .step_with_shards(1, &scratch, theirs, None, false)?;
            self.measured = None;
            taken += 1;
        }
    }
}

/// One cell of a phase diagram, trained in time slices by a phase worker
/// (`www/phase-worker.js`): the same run and stop rule as [`sweep::run_cell`] (stop at the
/// budget or once generalised), classified by [`sweep::Phase::classify`], but taken a
/// slice at a time so that Cancel is prompt.
#[wasm_bindgen]
#[derive(Debug)]
pub struct CellRun {
    trainer: Trainer,
    budget: u64,
}

/// The Rust-side surface.
impl CellRun {
    /// A fresh run of `config` with a budget of `budget` steps.
    pub fn with_config(config: Config, budget: u64) -> Result<CellRun, crate::ConfigError> {
        Ok(CellRun {
            trainer: Trainer::new(config)?,
            budget,
        })
    }

    /// The outcome so far (final once [`CellRun::is_done`]).
    pub fn outcome(&self) -> Cell {
        sweep::cell_of(&self.trainer)
    }

    /// Whether the run is over (budget spent, generalised, or diverged).
    pub fn is_done(&self) -> bool {
        sweep::cell_finished(&self.trainer, self.budget)
    }
}

/// The surface the phase workers call.
#[wasm_bindgen]
impl CellRun {
    /// Validates `config` (a plain object, as for [`Session::new`]) and starts the cell.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, budget: u32) -> Result<CellRun, JsError> {
        Ok(CellRun::with_config(
            parse_config(config)?,
            u64::from(budget),
        )?)
    }

    /// Takes up to `max_steps` more steps (fewer if the run ends); returns whether it is
    /// over. A divergence ends the run (it is then classified like any other).
    pub fn run(&mut self, max_steps: u32) -> bool {
        for _ in 0..max_steps {
            if self.is_done() {
                break;
            }
            // A divergence is kept by the trainer and ends the run (see `is_done`).
            self.trainer.step().ok();
        }
        self.is_done()
    }

    /// Steps taken so far.
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> f64 {
        self.trainer.step_count() as f64
    }

    /// Whether the run is over.
    #[wasm_bindgen(getter)]
    pub fn done(&self) -> bool {
        self.is_done()
    }

    /// The classified outcome, as a plain object (see [`Cell`]): `{wd, frac, seed,
    /// steps_to_train_99, steps_to_test_95, steps, test_acc, phase, diverged}`, `phase`
    /// one of "confusion", "memorisation", "grokking", "comprehension".
    pub fn cell(&self) -> Result<JsValue, JsError> {
        to_js(&self.outcome())
    }
}

/// The page's phase diagram: the grid and the state of each cell, drawn on demand.
#[wasm_bindgen]
#[derive(Clone, Debug, Default)]
pub struct PhaseFigure {
    wds: Vec<f64>,
    fracs: Vec<f64>,
    cells: Vec<PhaseCell>,
}

/// The Rust-side surface.
impl PhaseFigure {
    /// The cells' states, in grid order.
    pub fn cells(&self) -> &[PhaseCell] {
        &self.cells
    }

    /// Records a finished cell.
    pub fn set_outcome(&mut self, index: usize, cell: &Cell) {
        if let Some(slot) = self.cells.get_mut(index) {
            *slot = PhaseCell::Done {
                phase: cell.phase,
                gen: cell.steps_to_test_95,
            };
        }
    }
}

/// The surface the page calls.
#[wasm_bindgen]
impl PhaseFigure {
    /// An empty grid of `wds` (rows, bottom to top) × `fracs` (columns), all cells pending.
    #[wasm_bindgen(constructor)]
    pub fn new(wds: Vec<f64>, fracs: Vec<f64>) -> PhaseFigure {
        let n = wds.len() * fracs.len();
        PhaseFigure {
            wds,
            fracs,
            cells: vec![PhaseCell::Pending; n],
        }
    }

    /// Marks cell `index` (grid order: weight decay outer) as being trained.
    pub fn set_running(&mut self, index: usize) {
        if let Some(slot) = self.cells.get_mut(index) {
            *slot = PhaseCell::Running;
        }
    }

    /// Marks cell `index` as not started (after a Cancel).
    pub fn set_pending(&mut self, index: usize) {
        if let Some(slot) = self.cells.get_mut(index) {
            *slot = PhaseCell::Pending;
        }
    }

    /// Records cell `index`'s outcome, the object a phase worker got from
    /// [`CellRun::cell`].
    pub fn set_cell(&mut self, index: usize, cell: JsValue) -> Result<(), JsError> {
        let cell: Cell = from_js(cell)?;
        self.set_outcome(index, &cell);
        Ok(())
    }

    /// Draws the diagram (see [`plots::draw_phase_diagram`]).
    pub fn draw(&self, canvas: HtmlCanvasElement, scale: f64, dark: bool) -> Result<(), JsError> {
        let grid = PhaseGrid {
            wds: &self.wds,
            fracs: &self.fracs,
            cells: &self.cells,
        };
        Figures::draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_phase_diagram(area, &grid, theme)
        })
    }

    /// The cell under the canvas pixel (x, y) of a `width × height` canvas drawn at
    /// `scale`, if any: what the reader clicked.
    pub fn cell_at(&self, width: u32, height: u32, scale: f64, x: f64, y: f64) -> Option<usize> {
        let theme = Theme { scale, dark: false };
        PhaseLayout::new(width, height, self.wds.len(), self.fracs.len(), &theme)?.cell_at(x, y)
    }
}

/// The page's copy of a run: accumulated snapshots, drawn on demand.
#[wasm_bindgen]
#[derive(Clone, Debug, Default)]
pub struct Figures {
    points: Vec<Point>,
    events: Vec<Event>,
    memorised_at: Option<u64>,
    grokked_at: Option<u64>,
    spectrum: Option<Spectrum>,
    circles: Vec<Circle>,
    progress: Vec<ProgressPoint>,
    has_measures: bool,
    /// Step at which the run diverged, if it did.
    diverged_at: Option<u64>,
    /// The embedding over the run, for the scrubber.
    frames: analysis::Frames,
}

/// The Rust-side surface.
impl Figures {
    /// Adds a snapshot's increments and replaces the latest spectrum and circles.
    pub fn add(&mut self, mut snapshot: Snapshot) {
        self.record_frames(snapshot.embedding_d, std::mem::take(&mut snapshot.frames));
        self.diverged_at = snapshot.diverged_at;
        self.points.truncate(snapshot.points_from);
        self.points.extend(snapshot.points);
        self.events.truncate(snapshot.events_from);
        self.events.extend(snapshot.events);
        self.memorised_at = snapshot.memorised_at;
        self.grokked_at = snapshot.grokked_at;
        self.progress.truncate(snapshot.progress_from);
        self.progress.extend(snapshot.progress);
        self.has_measures = snapshot.has_measures;
        // A diverged run carries no spectrum: keep showing the last finite one.
        if let Some(spectrum) = snapshot.spectrum {
            self.spectrum = Some(spectrum);
            self.circles = snapshot.circles;
        }
    }

    /// The accumulated history points.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// The accumulated hyperparameter events.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The accumulated hidden-progress measures.
    pub fn progress(&self) -> &[ProgressPoint] {
        &self.progress
    }

    /// The run as the curve plots take it.
    fn curves(&self) -> RunCurves<'_> {
        RunCurves {
            label: "",
            points: &self.points,
            events: &self.events,
            memorised_at: self.memorised_at,
            grokked_at: self.grokked_at,
        }
    }

    /// Draws onto `canvas` (at its current pixel size) with one of the plots functions.
    fn draw_on(
        canvas: HtmlCanvasElement,
        scale: f64,
        dark: bool,
        draw: impl FnOnce(
            &DrawingArea<MeasuredCanvas, Shift>,
            &Theme,
        ) -> plots::DrawResult<MeasuredCanvas>,
    ) -> Result<(), JsError> {
        let backend = MeasuredCanvas::new(canvas)
            .ok_or_else(|| JsError::new("the canvas has no 2D context"))?;
        let area = backend.into_drawing_area();
        // Theme sanitises the scale (NaN or 0 from JS draws at scale 1).
        let theme = Theme { scale, dark };
        draw(&area, &theme).map_err(|e| JsError::new(&format!("drawing failed: {e}")))?;
        area.present()
            .map_err(|e| JsError::new(&format!("drawing failed: {e}")))
    }
}

/// The surface the page calls. Every `draw_*` takes the canvas (sized by the page in
/// device pixels), the ratio of device pixels to CSS pixels (so text and lines keep their
/// CSS size) and whether to use the dark palette.
#[wasm_bindgen]
impl Figures {
    /// An empty set of figures.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Figures {
        Figures::default()
    }

    /// Adds a snapshot posted by the worker.
    pub fn ingest(&mut self, snapshot: JsValue) -> Result<(), JsError> {
        self.add(from_js(snapshot)?);
        Ok(())
    }

    /// Forgets everything (a new run starts).
    pub fn reset(&mut self) {
        *self = Figures::default();
    }

    /// Number of history points held.
    #[wasm_bindgen(getter)]
    pub fn point_count(&self) -> usize {
        self.points.len()
    }

    /// Number of embedding circles available (fewer than 3 for tiny p).
    #[wasm_bindgen(getter)]
    pub fn circle_count(&self) -> usize {
        self.circles.len()
    }

    /// The frequency shown by circle `index`, if there is one.
    pub fn circle_k(&self, index: usize) -> Option<usize> {
        self.circles.get(index).map(|c| c.k)
    }

    /// Share of the non-constant energy at circle `index`'s frequency (0..1).
    pub fn circle_share(&self, index: usize) -> Option<f64> {
        self.circles.get(index).map(|c| c.share)
    }

    /// Gini coefficient of the latest spectrum, if any.
    pub fn gini(&self) -> Option<f64> {
        self.spectrum.as_ref().map(|s| s.gini)
    }

    /// Number of key frequencies in the latest spectrum (0 before the first snapshot).
    #[wasm_bindgen(getter)]
    pub fn key_count(&self) -> usize {
        self.spectrum.as_ref().map_or(0, |s| s.keys.len())
    }

    /// Share of the non-constant energy held by the key frequencies (0..1), if known.
    pub fn key_share(&self) -> Option<f64> {
        self.spectrum.as_ref().map(|s| s.key_share)
    }

    /// Number of hidden-progress points held.
    #[wasm_bindgen(getter)]
    pub fn progress_count(&self) -> usize {
        self.progress.len()
    }

    /// Whether the run's operation has restricted/excluded losses (addition, subtraction).
    #[wasm_bindgen(getter)]
    pub fn has_measures(&self) -> bool {
        self.has_measures
    }

    /// The hidden-progress measures against the step (see [`plots::draw_progress`]).
    pub fn draw_progress(
        &self,
        canvas: HtmlCanvasElement,
        scale: f64,
        dark: bool,
    ) -> Result<(), JsError> {
        let run = self.curves();
        Self::draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_progress(area, &run, &self.progress, self.has_measures, theme)
        })
    }

    /// Train and test accuracy against the step (log axis).
    pub fn draw_accuracy(
        &self,
        canvas: HtmlCanvasElement,
        scale: f64,
        dark: bool,
    ) -> Result<(), JsError> {
        let runs = [self.curves()];
        Self::draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_accuracy(area, &runs, theme)
        })
    }

    /// Train and test loss against the step (log-log).
    pub fn draw_loss(
        &self,
        canvas: HtmlCanvasElement,
        scale: f64,
        dark: bool,
    ) -> Result<(), JsError> {
        let runs = [self.curves()];
        Self::draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_loss(area, &runs, theme)
        })
    }

    /// The parameters' norm against the step.
    pub fn draw_norm(
        &self,
        canvas: HtmlCanvasElement,
        scale: f64,
        dark: bool,
    ) -> Result<(), JsError> {
        let runs = [self.curves()];
        Self::draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_weight_norm(area, &runs, theme)
        })
    }

    /// Embedding circle `index` (0 = strongest frequency). Draws nothing and returns
    /// false if there is no such circle (yet).
    pub fn draw_circle(
        &self,
        canvas: HtmlCanvasElement,
        index: usize,
        scale: f64,
        dark: bool,
    ) -> Result<bool, JsError> {
        let Some(circle) = self.circles.get(index) else {
            return Ok(false);
        };
        Self::draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_circle(area, &circle.coords, circle.k, theme)
        })?;
        Ok(true)
    }

    /// The embedding's Fourier spectrum. Returns false if there is none yet.
    pub fn draw_spectrum(
        &self,
        canvas: HtmlCanvasElement,
        scale: f64,
        dark: bool,
    ) -> Result<bool, JsError> {
        let Some(spectrum) = &self.spectrum else {
            return Ok(false);
        };
        Self::draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_spectrum(area, spectrum, theme)
        })?;
        Ok(true)
    }
}

// ---------------------------------------------------------------------------------------
// The article's figures: the task, runs side by side, the scrubber, summaries, exports

/// Arithmetic modulo `p` as a clock (see [`plots::draw_task_clock`]): the p positions,
/// a, b and the answer (a `op` b) mod p marked, and the worked example as a caption, e.g.
/// "a + b = 45 + 60 = 105 ≡ 8 (mod 97)". `op` is an operation name (`add`, `sub`, `mul`,
/// `div`, `x2y2`, `x2xyy2`). Throws with a readable message for an unknown operation, p
/// out of 3..=257, a composite p for division, a or b out of 0..p, or b = 0 for division.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn draw_task_clock(
    canvas: HtmlCanvasElement,
    scale: f64,
    dark: bool,
    p: u32,
    op: &str,
    a: u32,
    b: u32,
) -> Result<(), JsError> {
    let example = plots::TaskExample::parse(p, op, a, b).map_err(|e| JsError::new(&e))?;
    Figures::draw_on(canvas, scale, dark, |area, theme| {
        plots::draw_task_clock(area, &example, theme)
    })
}

/// The p × p table of all pairs of a run's task (see [`plots::draw_task_pairs`]): row a,
/// column b; training pairs in blue, test pairs in vermillion, pairs outside the task
/// (b = 0 for division) grey, with the counts in the legend. `config` is a config object
/// as for [`Session::new`] (validated; the split is exactly the run's). Cell (a, b) is
/// outlined when both are ≥ 0 (pass −1 for none).
#[wasm_bindgen]
pub fn draw_task_pairs(
    canvas: HtmlCanvasElement,
    scale: f64,
    dark: bool,
    config: JsValue,
    a: i32,
    b: i32,
) -> Result<(), JsError> {
    let config = parse_config(config)?;
    let table = plots::PairTable::from_config(&config);
    let highlight = (a >= 0 && b >= 0).then_some((a as u32, b as u32));
    Figures::draw_on(canvas, scale, dark, |area, theme| {
        plots::draw_task_pairs(area, &table, highlight, theme)
    })
}

/// The sentence beside the task figures for pair (a, b) of `config`'s split: the worked
/// example, whether the pair is in the training set, and the split's sizes (see
/// [`plots::PairTable::summary`]). Throws for a bad config or pair.
#[wasm_bindgen]
pub fn task_summary(config: JsValue, a: u32, b: u32) -> Result<String, JsError> {
    let config = parse_config(config)?;
    plots::PairTable::from_config(&config)
        .summary(a, b)
        .map_err(|e| JsError::new(&e))
}

/// Which pair `[a, b]` of the pairs table is under the point (x, y), given in CSS pixels
/// from the canvas's top-left corner (e.g. `event.offsetX`, `event.offsetY`), for a
/// canvas of `width × height` device pixels drawn at `scale` (device pixels per CSS
/// pixel) with modulus `p`; `undefined` outside the table. The layout is the drawing's
/// own ([`plots::PairsLayout`]).
#[wasm_bindgen]
pub fn task_pair_at(
    width: u32,
    height: u32,
    scale: f64,
    p: u32,
    x: f64,
    y: f64,
) -> Option<Vec<u32>> {
    let theme = Theme { scale, dark: false };
    let layout = plots::PairsLayout::new(width, height, p, &theme)?;
    // The layout is in device pixels, at the scale the drawing used.
    let s = theme.effective_scale();
    layout.pair_at(x * s, y * s).map(|(a, b)| vec![a, b])
}

/// Two runs on shared axes (see [`plots::draw_comparison`]): `metric` is "accuracy"
/// (train dashed, test solid, one colour per run) or "loss"; the step axis covers the
/// longer run. Throws for another metric.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn draw_comparison(
    canvas: HtmlCanvasElement,
    scale: f64,
    dark: bool,
    metric: &str,
    a: &Figures,
    label_a: &str,
    b: &Figures,
    label_b: &str,
) -> Result<(), JsError> {
    let metric: plots::Metric = metric.parse().map_err(|e: String| JsError::new(&e))?;
    let runs = [a.curves_named(label_a), b.curves_named(label_b)];
    Figures::draw_on(canvas, scale, dark, |area, theme| {
        plots::draw_comparison(area, &runs, metric, theme)
    })
}

/// Sentences comparing two runs for screen readers (see
/// [`crate::train::comparison_summary`]).
#[wasm_bindgen]
pub fn comparison_summary(a: &Figures, label_a: &str, b: &Figures, label_b: &str) -> String {
    crate::train::comparison_summary(&a.outline(label_a), &b.outline(label_b))
}

/// The Rust-side surface of the scrubber and summaries.
impl Figures {
    /// Keeps a snapshot's embedding frames (each p × `d`, row-major).
    fn record_frames(&mut self, d: usize, frames: Vec<EmbeddingFrame>) {
        for frame in frames {
            if d == 0 || frame.embedding.is_empty() || !frame.embedding.len().is_multiple_of(d) {
                continue;
            }
            let p = frame.embedding.len() / d;
            let Ok(embed) = ndarray::Array2::from_shape_vec((p, d), frame.embedding) else {
                continue;
            };
            self.frames.push(frame.step, embed, None);
        }
    }

    /// The embedding frames held.
    pub fn frames(&self) -> &analysis::Frames {
        &self.frames
    }

    /// The run's curves under a name (for comparisons).
    fn curves_named<'a>(&'a self, label: &'a str) -> RunCurves<'a> {
        RunCurves {
            label,
            ..self.curves()
        }
    }

    /// The run as the summaries take it.
    fn outline<'a>(&'a self, label: &'a str) -> crate::train::RunOutline<'a> {
        crate::train::RunOutline {
            label,
            points: &self.points,
            memorised_at: self.memorised_at,
            grokked_at: self.grokked_at,
            diverged_at: self.diverged_at,
        }
    }
}

/// The scrubber: the run's embedding at up to 240 moments (one per snapshot, thinned to
/// stay spread over the log-step axis; the first and the latest always kept), drawn on
/// demand; and summaries for screen readers.
#[wasm_bindgen]
impl Figures {
    /// Number of frames held.
    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// The step of frame `i`, if there is one.
    pub fn frame_step(&self, i: usize) -> Option<f64> {
        self.frames.get(i).map(|f| f.step as f64)
    }

    /// The index of the last frame at or before `step` (0 if none is).
    pub fn frame_index_at_or_before(&self, step: f64) -> usize {
        self.frames.index_at_or_before(step)
    }

    /// The key frequencies of the latest frame, strongest first (empty before the first).
    pub fn final_keys(&self) -> Vec<usize> {
        self.frames.final_keys()
    }

    /// The embedding circle of frequency `k` at frame `i`, drawn as
    /// [`Figures::draw_circle`] draws the live one. Returns false (drawing nothing) when
    /// there is no frame `i`.
    pub fn draw_circle_frame(
        &self,
        i: usize,
        k: usize,
        canvas: HtmlCanvasElement,
        scale: f64,
        dark: bool,
    ) -> Result<bool, JsError> {
        let Some(frame) = self.frames.get(i) else {
            return Ok(false);
        };
        let coords = analysis::circle(&frame.embedding, k);
        Self::draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_circle(area, &coords, k, theme)
        })?;
        Ok(true)
    }

    /// The spectrum at frame `i` with the frequencies `highlight` marked (e.g.
    /// [`Figures::final_keys`]: the caption then reads "final key frequencies (n)",
    /// otherwise "marked frequencies (n)"). Returns false when there is no frame `i`.
    pub fn draw_spectrum_frame(
        &self,
        i: usize,
        canvas: HtmlCanvasElement,
        scale: f64,
        dark: bool,
        highlight: Vec<usize>,
    ) -> Result<bool, JsError> {
        let Some(frame) = self.frames.get(i) else {
            return Ok(false);
        };
        let name = if highlight == self.final_keys() {
            "final key"
        } else {
            "marked"
        };
        Self::draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_spectrum_marked(area, &frame.spectrum, &highlight, name, theme)
        })?;
        Ok(true)
    }

    /// One sentence on frame `i` for screen readers (see [`analysis::frame_summary`]):
    /// the step, the strongest frequencies and their share of the energy, the Gini
    /// coefficient. Empty when there is no frame `i`.
    pub fn frame_summary(&self, i: usize) -> String {
        self.frames
            .get(i)
            .map(|f| analysis::frame_summary(f.step, &f.spectrum))
            .unwrap_or_default()
    }

    /// One sentence on the live run for screen readers (see
    /// [`crate::train::RunOutline::summary`]), e.g. "Step 600: train accuracy 100%, test
    /// accuracy 3%; memorised at step 75, test accuracy still 3% — on the plateau."
    pub fn summary(&self) -> String {
        self.outline("").summary()
    }
}
