//! `Session`: a [`Run`] living in a training worker (`www/worker.js`), alone or leading
//! the workers that share its steps, or following a leader (`www/follower.js`).

use super::link::Link;
use super::{from_js, parse_spec, to_js};
use crate::engine::{Advance, Run, RunSpec, Stop};
use wasm_bindgen::prelude::*;

/// A training run owned by a worker (see [`Run`]).
#[wasm_bindgen]
#[derive(Debug)]
pub struct Session {
    run: Run,
}

/// The Rust-side surface (what tests/web.rs exercises without JS values).
impl Session {
    /// A fresh run of `spec` (validated).
    pub fn with_spec(spec: RunSpec) -> Result<Session, crate::engine::SpecError> {
        Ok(Session {
            run: Run::new(spec)?,
        })
    }

    /// The run.
    pub fn run_ref(&self) -> &Run {
        &self.run
    }

    /// The run, mutably.
    pub fn run_mut(&mut self) -> &mut Run {
        &mut self.run
    }
}

/// An [`Advance`] for JS: `{taken, stop}` with `stop` null or `{reason, step?, message?}`.
fn advance_js(a: &Advance) -> Result<JsValue, JsError> {
    to_js(a)
}

/// The surface the workers call.
#[wasm_bindgen]
impl Session {
    /// Validates `spec` (a plain object `{config, schedule, until, stop_when_grokked}`;
    /// missing fields take their defaults, so `{config}` alone is a plain run) and
    /// initialises the run. Throws with a readable message if it is bad.
    #[wasm_bindgen(constructor)]
    pub fn new(spec: JsValue) -> Result<Session, JsError> {
        Session::with_spec(parse_spec(spec)?).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Takes up to `max_steps` steps alone; returns `{taken, stop}` (see [`Stop`]: until,
    /// grokked, diverged with its message).
    pub fn advance(&mut self, max_steps: u32) -> Result<JsValue, JsError> {
        advance_js(&self.run.advance(max_steps))
    }

    /// Like [`Session::advance`], each step split with the followers on `link` (this
    /// worker leads). A `stop` of reason "failed" means a follower stopped answering: the
    /// parameters are untouched and the caller may go on alone.
    pub fn advance_lead(&mut self, max_steps: u32, link: &mut Link) -> Result<JsValue, JsError> {
        let worker = link.worker_mut();
        advance_js(&self.run.advance_with(max_steps, |t| worker.lead_step(t)))
    }

    /// The follower's loop: takes its share of every step the leader on `link` asks for,
    /// until the leader stops it; returns the number of steps taken. Blocks the worker
    /// meanwhile. Throws the divergence message (the leader diverges at the same step) or
    /// why following failed.
    pub fn follow(&mut self, link: &mut Link) -> Result<u32, JsError> {
        link.worker_mut()
            .follow(self.run.trainer_mut())
            .map_err(|e| JsError::new(&e))
    }

    /// Updates taken so far.
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> f64 {
        // u64 → f64 is exact far beyond any run a browser will see (2⁵³ steps).
        self.run.step() as f64
    }

    /// New learning rate and weight decay from the next step on, recorded in the run's
    /// schedule (a link made now replays it). Throws if a value is out of range.
    pub fn set_hyper(&mut self, lr: f64, wd: f64) -> Result<(), JsError> {
        self.run
            .set_hyper(lr, wd)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// Keeps only `keep` (0 < keep ≤ 1) of the current training pairs from the next step
    /// on (ungrokking), recorded in the schedule. Throws if no pair would be left.
    pub fn shrink(&mut self, keep: f64) -> Result<(), JsError> {
        self.run
            .shrink_now(keep)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// Pause when this many steps have been taken (undefined: never).
    pub fn set_until(&mut self, until: Option<f64>) {
        self.run.set_until(until.map(|u| u.max(0.0) as u64));
    }

    /// Pause right after the step at which the run grokks (at once if it already has).
    pub fn set_stop_when_grokked(&mut self, on: bool) {
        self.run.set_stop_when_grokked(on);
    }

    /// The reader pressed Play: a run paused at its `until` step or at its grokked step
    /// goes on.
    pub fn resume(&mut self) {
        self.run.resume();
    }

    /// Why the run should not take a step now, if it should not (`{reason, …}` or null).
    pub fn stop_due(&self) -> Result<JsValue, JsError> {
        to_js(&self.run.stop_due())
    }

    /// Everything new since the previous snapshot (see
    /// [`Snapshot`](crate::engine::Snapshot)). `exact`: measure the metrics at the
    /// current step (about the cost of one step) instead of reporting the latest
    /// recorded ones.
    pub fn snapshot(&mut self, exact: bool) -> Result<JsValue, JsError> {
        to_js(&self.run.snapshot(exact))
    }

    /// The run's description as it stands (config at step 0, schedule including changes
    /// made by hand, until, stop-when-grokked).
    pub fn spec(&self) -> Result<JsValue, JsError> {
        to_js(self.run.spec())
    }

    /// The spec a share link should carry now (see [`Run::link_spec`]).
    pub fn link_spec(&self, paused: bool) -> Result<JsValue, JsError> {
        to_js(&self.run.link_spec(paused))
    }

    /// The run's settings as currently in force (learning rate and weight decay
    /// included).
    pub fn config(&self) -> Result<JsValue, JsError> {
        to_js(self.run.trainer().config())
    }

    /// The recorded history as CSV (header `step,train_loss,train_acc,…`; with progress
    /// columns when tracked).
    pub fn history_csv(&self) -> String {
        self.run.trainer().history().to_csv()
    }

    /// The run as JSON (see [`crate::train::history_json`]).
    pub fn history_json(&self) -> Result<String, JsError> {
        crate::train::history_json(self.run.trainer()).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Records the hidden-progress measures (about 30 a decade), so snapshots carry them.
    pub fn set_track_progress(&mut self, on: bool) {
        self.run.set_track_progress(on);
    }

    /// The ablations at exactly the current step (see
    /// [`Ablation`](crate::engine::Ablation)).
    pub fn ablate(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.run.ablation())
    }

    /// The network's answer to (a, b) (see [`crate::train::Prediction`]). Throws with a
    /// readable message if a or b is out of range (or b = 0 for division).
    pub fn predict(&mut self, a: u32, b: u32) -> Result<JsValue, JsError> {
        let prediction = self.run.predict(a, b).map_err(|e| JsError::new(&e))?;
        to_js(&prediction)
    }

    /// Number of parameters.
    pub fn param_count(&self) -> usize {
        self.run.trainer().param_count()
    }

    /// Number of values workers exchange per step (what [`Link::byte_length`] needs).
    pub fn exchange_len(&self) -> usize {
        self.run.trainer().partial_len()
    }

    /// The step at which test accuracy first reached 95%, if it has.
    #[wasm_bindgen(getter)]
    pub fn grokked_at(&self) -> Option<f64> {
        self.run.trainer().grokked_at().map(|s| s as f64)
    }

    /// True once the run has diverged (its loss stopped being finite).
    #[wasm_bindgen(getter)]
    pub fn diverged(&self) -> bool {
        self.run.trainer().diverged_at().is_some()
    }
}

/// Reads an advance result back (for tests).
pub fn read_advance(value: JsValue) -> Result<Advance, JsError> {
    from_js(value)
}

/// Whether an advance stopped for `reason`.
pub fn stopped_for(a: &Advance, reason: &str) -> bool {
    matches!(
        (&a.stop, reason),
        (Some(Stop::Until), "until")
            | (Some(Stop::Grokked), "grokked")
            | (Some(Stop::Diverged { .. }), "diverged")
            | (Some(Stop::Failed { .. }), "failed")
    )
}
