//! What a run hands to whoever shows it: [`Snapshot`]s (what is new since the previous
//! one, plus the current state), and [`RunView`], the accumulated copy a page keeps and
//! draws from.
//!
//! Snapshots are increments, so the page receives each history point once however long
//! the run; they are plain serde data, so a worker can post them as they are and a native
//! test can check that the increments add up to the history (`tests/engine.rs`).

use crate::analysis::{self, Frames, Progress, Spectrum};
use crate::geometry::Path;
use crate::history::{Event, Metrics, Point, ProgressPoint};
use crate::plots::RunCurves;
use crate::prose::RunOutline;
use serde::{Deserialize, Serialize};

/// How many embedding circles a snapshot carries (the strongest frequencies first).
pub const CIRCLES: usize = 3;

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

/// The embedding E at one step, row-major p × d (token a's vector at `a * d..`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingFrame {
    /// The step (updates taken) at which E was taken.
    pub step: u64,
    /// E, row-major.
    pub embedding: Vec<f32>,
    /// E's effective dimension (see [`crate::geometry::participation_ratio`]).
    #[serde(default)]
    pub effective_dim: f64,
}

/// What changed in a run since the previous snapshot, plus its current state.
///
/// `points`, `events` and `progress` are increments: the receiver keeps the first
/// `points_from` points it already has and appends `points` (likewise for the others; an
/// event can be replaced when two changes land on one step, which is why `events_from`
/// may point one before the end of what the receiver holds).
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
    /// New or replaced mid-run changes.
    pub events: Vec<Event>,
    /// Train and test metrics: measured at `metrics.step`, which is `step` for an exact
    /// snapshot and the latest recorded step otherwise.
    pub metrics: Metrics,
    /// Learning rate in force.
    pub lr: f64,
    /// Weight decay in force.
    pub wd: f64,
    /// Training pairs now (fewer than at the start after a cut).
    #[serde(default)]
    pub train_pairs: usize,
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
    /// New hidden-progress measures (only when tracked).
    pub progress: Vec<ProgressPoint>,
    /// Whether the operation has restricted/excluded losses at all (addition and
    /// subtraction; see [`analysis::answer_variable`]): otherwise only the Gini
    /// coefficient and the key share are measured.
    pub has_measures: bool,
    /// New frames of the embedding's history: the embedding at each step of
    /// [`History::records_progress`](crate::History::records_progress) passed since the
    /// previous snapshot, and at the current step when the snapshot is exact. Taken at
    /// fixed steps, so the frames of a run are the same however fast it went (a link to a
    /// frame finds it again).
    #[serde(default)]
    pub frames: Vec<EmbeddingFrame>,
    /// d, the embedding's width.
    #[serde(default)]
    pub embedding_d: usize,
    /// The run's path through weight space so far (see [`crate::geometry`]), when a new
    /// sample was taken since the previous snapshot.
    #[serde(default)]
    pub path: Option<Path>,
}

/// The network with its key frequencies kept only or removed, beside the real one, at
/// exactly one step.
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

/// The `n` strongest non-constant frequencies with their share of the non-constant
/// energy, strongest first (ties broken by the smaller k, so the choice is deterministic).
pub fn strongest(energy: &[f64], n: usize) -> Vec<(usize, f64)> {
    let total: f64 = energy.iter().skip(1).sum();
    analysis::ranked_frequencies(energy)
        .into_iter()
        .take(n)
        .map(|k| (k, if total > 0.0 { energy[k] / total } else { 0.0 }))
        .collect()
}

/// A page's copy of a run: the snapshots it received, accumulated, and everything the
/// figures and summaries read. Native, so the accumulation is tested without a browser;
/// the page's `Figures` wraps one.
#[derive(Clone, Debug, Default)]
pub struct RunView {
    points: Vec<Point>,
    events: Vec<Event>,
    memorised_at: Option<u64>,
    grokked_at: Option<u64>,
    spectrum: Option<Spectrum>,
    circles: Vec<Circle>,
    progress: Vec<ProgressPoint>,
    has_measures: bool,
    diverged_at: Option<u64>,
    /// The embedding over the run, for the scrubber.
    frames: Frames,
    /// The embedding's effective dimension at each frame step received (not thinned).
    dims: Vec<(u64, f64)>,
    /// The latest path through weight space.
    path: Path,
}

impl RunView {
    /// Adds a snapshot's increments and replaces the latest spectrum and circles.
    pub fn add(&mut self, mut snapshot: Snapshot) {
        for f in &snapshot.frames {
            if self.dims.last().is_some_and(|&(s, _)| s >= f.step) {
                self.dims.retain(|&(s, _)| s < f.step);
            }
            self.dims.push((f.step, f.effective_dim));
        }
        self.record_frames(snapshot.embedding_d, std::mem::take(&mut snapshot.frames));
        if let Some(path) = snapshot.path.take() {
            self.path = path;
        }
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

    /// The accumulated history points.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// The accumulated mid-run changes.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The accumulated hidden-progress measures.
    pub fn progress(&self) -> &[ProgressPoint] {
        &self.progress
    }

    /// Whether the run's operation has restricted/excluded losses.
    pub fn has_measures(&self) -> bool {
        self.has_measures
    }

    /// The latest spectrum, if any.
    pub fn spectrum(&self) -> Option<&Spectrum> {
        self.spectrum.as_ref()
    }

    /// The latest circles, strongest frequency first.
    pub fn circles(&self) -> &[Circle] {
        &self.circles
    }

    /// The embedding frames held.
    pub fn frames(&self) -> &Frames {
        &self.frames
    }

    /// The embedding's effective dimension over the run: (step, participation ratio).
    pub fn dims(&self) -> &[(u64, f64)] {
        &self.dims
    }

    /// The latest path through weight space.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// First step with train accuracy ≥ 99%.
    pub fn memorised_at(&self) -> Option<u64> {
        self.memorised_at
    }

    /// First recorded step with test accuracy ≥ 95%.
    pub fn grokked_at(&self) -> Option<u64> {
        self.grokked_at
    }

    /// The run as the curve plots take it, under a name (for comparisons; "" alone).
    pub fn curves<'a>(&'a self, label: &'a str) -> RunCurves<'a> {
        RunCurves {
            label,
            points: &self.points,
            events: &self.events,
            memorised_at: self.memorised_at,
            grokked_at: self.grokked_at,
        }
    }

    /// The run as the summaries take it.
    pub fn outline<'a>(&'a self, label: &'a str) -> RunOutline<'a> {
        RunOutline {
            label,
            points: &self.points,
            memorised_at: self.memorised_at,
            grokked_at: self.grokked_at,
            diverged_at: self.diverged_at,
        }
    }
}
