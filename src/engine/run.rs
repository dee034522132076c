//! [`Run`]: the one driver every run goes through — the page's workers, the phase
//! diagram's cells, `grok train`, `grok sweep` and the tests.
//!
//! A `Run` owns a [`Trainer`] and the [`RunSpec`] it was made from, and takes steps in
//! batches ([`Run::advance`]): before each step it applies the changes the schedule has
//! for that step; after it, it keeps the embedding frame the step is due, and it stops a
//! batch early for the reasons of [`Stop`] — decided here and nowhere else. Changes made
//! by hand while the run goes (a slider, the "shrink now" button) are applied at once
//! and written into the spec's schedule, so the spec always describes the run as it
//! happened: a share link made from it ([`Run::link_spec`]) replays it exactly.
//!
//! How a step is taken is the caller's choice: alone ([`Run::advance`]) or split between
//! workers ([`Run::advance_with`], given the step function of [`super::split`]).

use super::snapshot::{strongest, Ablation, Circle, EmbeddingFrame, Snapshot, CIRCLES};
use super::spec::{Change, ChangeKind, RunSpec, SpecError};
use crate::analysis;
use crate::config::ConfigError;
use crate::geometry::{participation_ratio, Path, WeightPath};
use crate::history::{History, Metrics};
use crate::train::{Prediction, ShrinkError, TrainError, Trainer};
use serde::{Deserialize, Serialize};

/// Why [`Run::advance`] stopped before taking all the steps it was allowed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "lowercase")]
pub enum Stop {
    /// The spec's `until` step is reached.
    Until,
    /// Stop-when-grokked: the run grokked during this batch (or the rule was switched on
    /// after it had); the run stands at the step after the one measured at ≥ 95%.
    Grokked,
    /// The loss stopped being finite; the run cannot go on.
    Diverged {
        /// The step whose loss was not finite.
        step: u64,
        /// The sentence to show.
        message: String,
    },
    /// The step function failed for another reason (a partner worker stopped answering);
    /// the parameters are untouched and the run may go on another way.
    Failed {
        /// The sentence to show.
        message: String,
    },
}

/// What a batch of steps did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Advance {
    /// Steps taken.
    pub taken: u32,
    /// Why the batch ended early, if it did.
    pub stop: Option<Stop>,
}

/// Why a step function could not take a step.
#[derive(Clone, Debug, PartialEq)]
pub enum StepError {
    /// The loss stopped being finite (the trainer recorded it).
    Diverged(TrainError),
    /// Something outside the run failed (see [`Stop::Failed`]).
    Failed(String),
}

impl From<TrainError> for StepError {
    fn from(e: TrainError) -> Self {
        StepError::Diverged(e)
    }
}

/// A run in progress: see the module documentation. Cloning it forks the run (the
/// tests branch one grokked run into several continuations).
#[derive(Clone, Debug)]
pub struct Run {
    spec: RunSpec,
    trainer: Trainer,
    /// Index in `spec.schedule` of the first change not yet applied.
    next_change: usize,
    /// Whether the reader went on after stop-when-grokked stopped the run (then it does
    /// not stop again; until then every advance stops at once, like a reached `until`).
    grok_stop_taken: bool,
    /// Metrics measured at the current step, kept until the next update.
    measured: Option<Metrics>,
    /// Increments already handed out (see [`Snapshot`]).
    points_sent: usize,
    events_sent: usize,
    last_event_sent: Option<crate::history::Event>,
    progress_sent: usize,
    /// Embedding frames taken since the last snapshot.
    frames: Vec<EmbeddingFrame>,
    /// The parameters sampled along the run (at the frames' steps).
    path: WeightPath,
    /// Whether a sample was added since the last snapshot.
    path_changed: bool,
}

impl Run {
    /// Validates `spec` and starts the run at step 0.
    pub fn new(spec: RunSpec) -> Result<Run, SpecError> {
        spec.validate()?;
        let trainer = Trainer::new(spec.config.clone())?;
        let mut run = Run {
            spec,
            trainer,
            next_change: 0,
            grok_stop_taken: false,
            measured: None,
            points_sent: 0,
            events_sent: 0,
            last_event_sent: None,
            progress_sent: 0,
            frames: Vec::new(),
            path: WeightPath::new(),
            path_changed: false,
        };
        run.take_frame();
        run.apply_due_changes()
            .map_err(|e| SpecError::Schedule(e.to_string()))?;
        Ok(run)
    }

    /// The description of the run as it stands (the schedule includes the changes made
    /// by hand so far).
    pub fn spec(&self) -> &RunSpec {
        &self.spec
    }

    /// The trainer, for inspection.
    pub fn trainer(&self) -> &Trainer {
        &self.trainer
    }

    /// The trainer, for the step functions and the probes that need it mutably.
    pub fn trainer_mut(&mut self) -> &mut Trainer {
        &mut self.trainer
    }

    /// Updates taken so far.
    pub fn step(&self) -> u64 {
        self.trainer.step_count()
    }

    /// Record the hidden-progress measures (about 30 a decade of steps); snapshots then
    /// carry them. Not part of the spec: it changes what is measured, not the run.
    pub fn set_track_progress(&mut self, on: bool) {
        self.trainer.set_track_progress(on);
    }

    /// Pause when `until` steps have been taken (None: never).
    pub fn set_until(&mut self, until: Option<u64>) {
        self.spec.until = until;
    }

    /// Switches stop-when-grokked. Switched on after the run grokked, the next
    /// [`Run::advance`] stops at once (the reader asked to stop at the grokked step, and
    /// it has passed).
    pub fn set_stop_when_grokked(&mut self, on: bool) {
        self.spec.stop_when_grokked = on;
        if on {
            self.grok_stop_taken = false;
        }
    }

    /// Called when the reader presses Play: a run already at its `until` step goes on
    /// (the pause point is dropped), and one stopped at its grokked step goes on too.
    pub fn resume(&mut self) {
        if self.spec.until.is_some_and(|u| self.step() >= u) {
            self.spec.until = None;
        }
        if self.trainer.grokked_at().is_some() {
            self.grok_stop_taken = true;
        }
    }

    /// The stop rule: why the run should not take another step now, if it should not.
    pub fn stop_due(&self) -> Option<Stop> {
        if let Some(step) = self.trainer.diverged_at() {
            return Some(Stop::Diverged {
                step,
                message: TrainError::Diverged { step }.to_string(),
            });
        }
        if self.spec.stop_when_grokked
            && !self.grok_stop_taken
            && self.trainer.grokked_at().is_some()
        {
            return Some(Stop::Grokked);
        }
        if self.spec.until.is_some_and(|u| self.step() >= u) {
            return Some(Stop::Until);
        }
        None
    }

    /// Up to `max_steps` steps taken alone (see [`Run::advance_with`]).
    pub fn advance(&mut self, max_steps: u32) -> Advance {
        self.advance_with(max_steps, |trainer| trainer.step().map_err(StepError::from))
    }

    /// Up to `max_steps` steps, each taken by `step` (one update of the trainer), with
    /// the schedule applied before each and the frames kept after; stops early for the
    /// reasons of [`Stop`].
    pub fn advance_with(
        &mut self,
        max_steps: u32,
        mut step: impl FnMut(&mut Trainer) -> Result<(), StepError>,
    ) -> Advance {
        let mut taken = 0;
        let mut stop = None;
        while taken < max_steps {
            if let Some(why) = self.stop_due() {
                stop = Some(why);
                break;
            }
            match step(&mut self.trainer) {
                Ok(()) => {}
                Err(StepError::Diverged(_)) => {
                    stop = self.stop_due();
                    break;
                }
                Err(StepError::Failed(message)) => {
                    stop = Some(Stop::Failed { message });
                    break;
                }
            }
            taken += 1;
            if History::records_progress(self.step()) {
                self.take_frame();
            }
            if let Err(e) = self.apply_due_changes() {
                stop = Some(Stop::Failed {
                    message: e.to_string(),
                });
                break;
            }
        }
        if taken > 0 {
            self.measured = None;
        }
        // A batch that ends exactly on a stop reports it now, not on the next call.
        if stop.is_none() && taken == max_steps {
            stop = self.stop_due();
        }
        Advance { taken, stop }
    }

    /// Applies the scheduled changes due at the current step. Called whenever the run
    /// arrives at a step (at the start and after every update), so at any moment every
    /// change scheduled up to the current step is in force — what a follower worker is
    /// told, and what a change by hand overrides.
    fn apply_due_changes(&mut self) -> Result<(), RunChangeError> {
        let step = self.step();
        while let Some(change) = self.spec.schedule.get(self.next_change).copied() {
            if change.step > step {
                break;
            }
            self.next_change += 1;
            if change.step == step {
                self.apply(change.what)?;
            }
        }
        Ok(())
    }

    fn apply(&mut self, what: ChangeKind) -> Result<(), RunChangeError> {
        match what {
            ChangeKind::Hyper { lr, wd } => self.trainer.set_hyper(lr, wd)?,
            ChangeKind::Shrink { keep } => self.trainer.shrink_train(keep)?,
        }
        self.measured = None;
        Ok(())
    }

    /// A change by hand, in force from the next step: applied now and recorded in the
    /// schedule at this step (a learning-rate or weight-decay change at step 0 becomes
    /// the config instead). Changes of the same kind that a link had scheduled for now or
    /// later are dropped: from the moment the reader takes over, the rest is theirs.
    fn change_now(&mut self, what: ChangeKind) -> Result<(), RunChangeError> {
        let step = self.step();
        let kind = std::mem::discriminant(&what);
        self.spec
            .schedule
            .retain(|c| c.step < step || std::mem::discriminant(&c.what) != kind);
        self.apply(what)?;
        match what {
            ChangeKind::Hyper { lr, wd } if step == 0 => {
                self.spec.config.lr = lr;
                self.spec.config.wd = wd;
            }
            _ => self.spec.schedule_change(Change { step, what }),
        }
        // Everything scheduled up to now has been applied (see `apply_due_changes`).
        self.next_change = self.spec.schedule.partition_point(|c| c.step <= step);
        Ok(())
    }

    /// New learning rate and weight decay from the next step on (see the module doc).
    pub fn set_hyper(&mut self, lr: f64, wd: f64) -> Result<(), ConfigError> {
        match self.change_now(ChangeKind::Hyper { lr, wd }) {
            Ok(()) => Ok(()),
            Err(RunChangeError::Config(e)) => Err(e),
            Err(RunChangeError::Shrink(_)) => unreachable!("a hyperparameter change is not a cut"),
        }
    }

    /// Keeps only `keep` of the current training pairs from the next step on.
    pub fn shrink_now(&mut self, keep: f64) -> Result<(), ShrinkError> {
        match self.change_now(ChangeKind::Shrink { keep }) {
            Ok(()) => Ok(()),
            Err(RunChangeError::Shrink(e)) => Err(e),
            Err(RunChangeError::Config(_)) => unreachable!("a cut is not a hyperparameter change"),
        }
    }

    /// The spec a share link should carry now: the run as it happened, pausing at the
    /// current step if `paused` (else at the spec's own `until`).
    pub fn link_spec(&self, paused: bool) -> RunSpec {
        let mut spec = self.spec.clone();
        if paused && self.step() > 0 {
            spec.until = Some(self.step());
        } else if spec.until.is_some_and(|u| u <= self.step()) {
            spec.until = None;
        }
        spec
    }

    /// Keeps the current embedding as a frame (once per step; not after divergence).
    fn take_frame(&mut self) {
        let step = self.step();
        if self.trainer.diverged_at().is_some()
            || self.frames.last().is_some_and(|f| f.step == step)
        {
            return;
        }
        let embed = self.trainer.embedding();
        let effective_dim = participation_ratio(embed);
        let embedding = embed.iter().copied().collect();
        self.frames.push(EmbeddingFrame {
            step,
            embedding,
            effective_dim,
        });
        self.path.push(step, self.trainer.params().as_slice());
        self.path_changed = true;
    }

    /// The path through weight space so far, projected (see [`crate::geometry`]).
    pub fn path(&self) -> Path {
        self.path.project()
    }

    /// Metrics at the current step: two forward passes, done at most once per step.
    pub fn measure(&mut self) -> Metrics {
        match self.measured {
            Some(m) if m.step == self.step() => m,
            _ => {
                let m = self.trainer.evaluate();
                self.measured = Some(m);
                m
            }
        }
    }

    /// The freshest metrics available without extra work: those measured at the current
    /// step if any, else the last recorded point, else a measurement.
    fn latest_metrics(&mut self) -> Metrics {
        let step = self.step();
        if let Some(m) = self.measured.filter(|m| m.step == step) {
            return m;
        }
        match self.trainer.history().points.last() {
            Some(&pt) => pt,
            None => self.measure(),
        }
    }

    /// Everything new since the previous call (see [`Snapshot`]). With `exact`, the
    /// metrics are measured at the current step (about the cost of one step; for pauses,
    /// where the numbers must be those of exactly this step); without, they are the
    /// latest recorded ones (free; for snapshots taken while running).
    pub fn snapshot(&mut self, exact: bool) -> Snapshot {
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
            let embed = self.trainer.embedding();
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
        let embedding_d = self.trainer.embedding().ncols();
        let path = std::mem::take(&mut self.path_changed).then(|| self.path.project());
        let config = self.trainer.config();
        Snapshot {
            step: self.step(),
            points_from,
            points,
            events_from,
            events: new_events,
            metrics,
            lr: config.lr,
            wd: config.wd,
            train_pairs: self.trainer.data().train.len(),
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
            path,
        }
    }

    /// The network with its key frequencies kept only and removed, at the current step:
    /// one forward pass over all p² pairs plus the real network's metrics (cached).
    pub fn ablation(&mut self) -> Ablation {
        let metrics = self.measure();
        let point = self.trainer.progress();
        Ablation {
            step: self.step(),
            train_acc: metrics.train_acc,
            test_acc: metrics.test_acc,
            keys: point.keys,
            key_share: point.key_share,
            measures: point.measures,
        }
    }

    /// The network's answer to (a, b) at the current step (see [`Trainer::predict`]).
    pub fn predict(&mut self, a: u32, b: u32) -> Result<Prediction, String> {
        self.trainer.predict(a, b)
    }
}

/// Why a change could not be applied.
#[derive(Clone, Debug, PartialEq)]
enum RunChangeError {
    Config(ConfigError),
    Shrink(ShrinkError),
}

impl std::fmt::Display for RunChangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunChangeError::Config(e) => e.fmt(f),
            RunChangeError::Shrink(e) => e.fmt(f),
        }
    }
}

impl From<ConfigError> for RunChangeError {
    fn from(e: ConfigError) -> Self {
        RunChangeError::Config(e)
    }
}

impl From<ShrinkError> for RunChangeError {
    fn from(e: ShrinkError) -> Self {
        RunChangeError::Shrink(e)
    }
}
