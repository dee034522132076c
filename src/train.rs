//! Training: the trainer that steps a run, with the levers that act on each step.
//!
//! A [`Trainer`] owns the data split, the model and its flat parameters, the optimiser
//! and the scratch buffers, and advances one step at a time: the gradient over the step's
//! batch (the training set, or a minibatch) as the sum of [`SHARDS`] parts in a fixed
//! order — so threads or browser workers can compute parts each and stay bit-identical —
//! then Grokfast's filter if on, the optimiser's update, and the fixed-norm projection if
//! on. Its [`History`] records metrics on a log-spaced schedule. The same config and seed
//! always give a bit-identical history.
//!
//! What a run *does* over time — its schedule of mid-run changes, when it pauses, when it
//! stops, what it hands the page — is the run engine's ([`crate::engine`]); the trainer only
//! takes steps and applies changes when told.

use crate::analysis::{self, Spectrum};
pub use crate::config::{validate_hyper, Config, ConfigError, GrokfastConfig};
pub use crate::history::{Event, History, Metrics, Point, ProgressPoint, GROKKED, MEMORISED};
use crate::model::{BatchStats, Model, Workspace};
use crate::optim::{AdamW, AdamWConfig, Grokfast};
use crate::params::{add_into, Params};
use crate::rng::Rng;
use crate::task::{Dataset, Pair};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The random stream of the minibatches (XORed with the step, so each step has its own).
const MINIBATCH_STREAM: u64 = 0x6d69_6e69_6261_7463 << 8;

/// Merges the stats of disjoint parts, in order.
pub fn merge_all(parts: &[BatchStats]) -> BatchStats {
    let mut total = BatchStats::default();
    for &part in parts {
        total.merge(part);
    }
    total
}

/// Why a training step could not be taken.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainError {
    /// The training loss became NaN or infinite at `step`; the run cannot continue.
    Diverged { step: u64 },
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Diverged { step } => write!(
                f,
                "training diverged at step {step}: the loss is no longer a finite number (try a smaller learning rate)"
            ),
        }
    }
}

impl std::error::Error for TrainError {}

/// Why the training set could not be cut (see [`Trainer::shrink_train`]).
#[derive(Clone, Debug, PartialEq)]
pub enum ShrinkError {
    /// The fraction to keep is not in (0, 1].
    Fraction { keep: f64 },
    /// The cut would leave no training pair.
    Empty { keep: f64, pairs: usize },
    /// The cut would leave fewer pairs than a minibatch.
    Batch { batch: u32, kept: usize },
}

impl fmt::Display for ShrinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShrinkError::Fraction { keep } => write!(
                f,
                "the fraction of training pairs to keep ({keep}) must be more than 0 and at most 1"
            ),
            ShrinkError::Empty { keep, pairs } => write!(
                f,
                "keeping {keep} of the {pairs} training pairs would leave none: keep a larger fraction"
            ),
            ShrinkError::Batch { batch, kept } => write!(
                f,
                "the cut would leave {kept} training pairs, fewer than a minibatch of {batch}"
            ),
        }
    }
}

impl std::error::Error for ShrinkError {}

/// One of the network's answers to "what is a ∘ b?".
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Guess {
    /// The answer class (0..p).
    pub answer: u32,
    /// Its softmax probability.
    pub prob: f64,
}

/// What the network says about one pair (see [`Trainer::predict`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The step of the network asked.
    pub step: u64,
    /// The pair.
    pub a: u32,
    /// The pair's second number.
    pub b: u32,
    /// The true answer (a ∘ b) mod p.
    pub truth: u32,
    /// Whether the pair is one of the training pairs (seen in training) or a test pair.
    pub in_train: bool,
    /// The most probable answers, most probable first.
    pub top: Vec<Guess>,
    /// The probability of every answer 0..p (sums to 1).
    pub probs: Vec<f64>,
}

/// How many answers [`Trainer::predict`] lists.
pub const TOP_GUESSES: usize = 5;

/// Number of parts the training batch is split into for the gradient. Fixed, on every
/// platform and whatever the number of threads or workers: each part's partial gradient
/// is computed alone and the parts are added as a balanced binary tree in a fixed order,
/// ((0+1)+(2+3))+((4+5)+(6+7)), so one thread computing every part and 2, 4 or 8 threads
/// (or browser workers) computing a subtree each give bit-identical runs.
pub const SHARDS: usize = 8;

/// Number of parts the test set is measured in (merged in a fixed order), so that workers
/// can measure some each and still report the numbers one worker would.
pub const TEST_PARTS: usize = 8;

/// Where part `i` of `n` items split into `parts` starts (the parts differ in size by at
/// most one, larger ones first).
pub fn part_start(i: usize, n: usize, parts: usize) -> usize {
    (i * n).div_ceil(parts)
}

/// The range of part `i` of `n` items split into `parts`.
pub fn part_range(i: usize, n: usize, parts: usize) -> std::ops::Range<usize> {
    part_start(i, n, parts)..part_start(i + 1, n, parts)
}

/// Adds `count` (a power of two) vectors of `len` values, produced in order by `leaf`, as
/// a balanced binary tree: leaves 2k and 2k+1 first, then their sums pairwise, and so on.
/// Vectors come from and return to `pool`, so a step allocates nothing once warm. The
/// result is the same bits whether the leaves are single parts or subtrees' sums (the
/// grouping is the same), which is what lets workers share a step.
pub fn tree_sum(
    count: usize,
    len: usize,
    pool: &mut Vec<Vec<f32>>,
    mut leaf: impl FnMut(usize, &mut [f32]),
) -> Vec<f32> {
    assert!(count.is_power_of_two(), "a tree of {count} leaves");
    let mut stack: Vec<(u32, Vec<f32>)> = Vec::with_capacity(count.ilog2() as usize + 1);
    for i in 0..count {
        let mut current = pool.pop().unwrap_or_default();
        current.resize(len, 0.0);
        leaf(i, &mut current);
        let mut level = 0;
        while stack.last().is_some_and(|&(l, _)| l == level) {
            let (_, mut left) = stack.pop().expect("checked");
            add_into(&mut left, &current);
            pool.push(current);
            current = left;
            level += 1;
        }
        stack.push((level, current));
    }
    stack.pop().expect("one sum").1
}

/// A thread's scratch: the model's workspace and the pool of partial-gradient buffers.
#[derive(Clone, Debug)]
struct Part {
    ws: Workspace,
    pool: Vec<Vec<f32>>,
}

impl Part {
    /// The tree sum of the partial gradients of `shards` (a power-of-two range) of the
    /// batch `pairs`, at `params` (after [`Model::prepare`] on this part's workspace),
    /// with each shard's stats in `stats`.
    fn subtree(
        &mut self,
        model: &Model,
        params: &Params,
        pairs: &[Pair],
        shards: std::ops::Range<usize>,
        stats: &mut [BatchStats],
    ) -> Vec<f32> {
        let total = pairs.len();
        let first = shards.start;
        let ws = &mut self.ws;
        tree_sum(
            shards.len(),
            model.partial_len(),
            &mut self.pool,
            |i, out| {
                let part = &pairs[part_range(first + i, total, SHARDS)];
                stats[i] = if part.is_empty() {
                    out.fill(0.0);
                    BatchStats::default()
                } else {
                    model.partial(params, part, total, out, ws)
                };
            },
        )
    }
}

/// A training run in progress: the data, the model, its parameters and optimiser, the
/// levers in force, and what was recorded.
#[derive(Clone, Debug)]
pub struct Trainer {
    config: Config,
    data: Dataset,
    model: Model,
    params: Params,
    opt: AdamW,
    /// Grokfast's filter, when on.
    grokfast: Option<Grokfast>,
    /// Scratch for computing parts of the batch: one per thread (two when parallel).
    parts: Vec<Part>,
    /// The sum of the step's partial gradients, and the parameters' gradient from it.
    partial: Vec<f32>,
    grads: Params,
    /// Each shard's stats at the current step.
    shard_stats: Vec<BatchStats>,
    /// The pairs of this step's minibatch (empty for full-batch training).
    batch: Vec<Pair>,
    /// Whether to compute the parts on threads of their own (native only).
    parallel: bool,
    /// Scratch buffers for evaluation (test set, train set in chunks, all pairs).
    ws: Workspace,
    step: u64,
    history: History,
    /// Training-set stats of the last forward pass (at `step - 1`).
    last_train: Option<BatchStats>,
    memorised_at: Option<u64>,
    grokked_at: Option<u64>,
    diverged_at: Option<u64>,
    eval_every: Option<u64>,
    track_progress: bool,
    /// Progress measures taken ahead of their step's update (see
    /// [`Trainer::prepare_progress`]).
    early_progress: Option<ProgressPoint>,
    /// Every pair in `Dataset::all_pairs` order, and which are training pairs (for the
    /// progress measures, which need the whole input grid).
    all_pairs: Vec<Pair>,
    is_train: Vec<bool>,
}

impl Trainer {
    /// Validates `config`, splits the data and initialises the model.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        let data = Dataset::new(config.p, config.op, config.frac, config.seed);
        let model = config.model();
        let layout = model.layout().clone();
        let n = if config.batch > 0 {
            config.batch as usize
        } else {
            data.train.len()
        };
        let largest = part_range(0, n, SHARDS).len();
        let part = Part {
            ws: model.workspace(largest),
            pool: Vec::new(),
        };
        // Evaluation goes through the train set in chunks of this many pairs (and the
        // train loss is merged chunk by chunk), so the size is part of the arithmetic.
        let rows = part_range(0, data.train.len(), SHARDS)
            .len()
            .max(data.test.len());
        let all_pairs = Dataset::all_pairs(config.p, config.op);
        let mut trainer = Trainer {
            params: model.init(config.seed, config.init_scale),
            opt: AdamW::new(&layout, AdamWConfig::default()).with_decay(config.optimizer),
            grokfast: config.grokfast.map(|g| Grokfast::new(g.alpha, g.lambda)),
            parts: vec![part],
            partial: Vec::new(),
            grads: Params::zeros(&layout),
            shard_stats: vec![BatchStats::default(); SHARDS],
            batch: Vec::new(),
            parallel: false,
            ws: model.workspace(rows),
            model,
            config,
            data,
            step: 0,
            history: History::default(),
            last_train: None,
            memorised_at: None,
            grokked_at: None,
            diverged_at: None,
            eval_every: None,
            track_progress: false,
            early_progress: None,
            all_pairs,
            is_train: Vec::new(),
        };
        trainer.is_train = trainer.train_flags();
        if let Some(norm) = trainer.config.fix_norm {
            trainer.project_norm(norm);
        }
        Ok(trainer)
    }

    /// Which of `all_pairs` are training pairs now.
    fn train_flags(&self) -> Vec<bool> {
        let mask = self.data.train_mask();
        let p = self.config.p as usize;
        self.all_pairs
            .iter()
            .map(|pr| mask[pr.a as usize * p + pr.b as usize])
            .collect()
    }

    /// The run's settings (learning rate and weight decay as currently in force).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The data split (the training set as cut by [`Trainer::shrink_train`], if it was).
    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// The network.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The current parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The token embedding of the numbers 0..p (p × d), which the analysis reads.
    pub fn embedding(&self) -> ndarray::ArrayView2<'_, f32> {
        self.model.embedding(&self.params)
    }

    /// Updates taken so far.
    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// The recorded metrics.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// First step with train accuracy ≥ 99% (train accuracy is known at every step).
    pub fn memorised_at(&self) -> Option<u64> {
        self.memorised_at
    }

    /// First recorded step with test accuracy ≥ 95%.
    pub fn grokked_at(&self) -> Option<u64> {
        self.grokked_at
    }

    /// The step at which the loss stopped being finite, if it did.
    pub fn diverged_at(&self) -> Option<u64> {
        self.diverged_at
    }

    /// Also record (and so evaluate the test set) every `n` steps, on top of the log-spaced
    /// schedule; `None` restores the schedule alone. For researchers who want a fine grid.
    pub fn set_eval_every(&mut self, n: Option<u64>) {
        self.eval_every = n.filter(|&n| n > 0);
    }

    /// Record hidden-progress measures (spectrum, key frequencies, restricted and excluded
    /// loss) on the [`History::records_progress`] schedule. Off by default: each costs
    /// about one forward pass over all p² pairs.
    pub fn set_track_progress(&mut self, on: bool) {
        self.track_progress = on;
    }

    /// Whether progress measures are recorded.
    pub fn tracks_progress(&self) -> bool {
        self.track_progress
    }

    /// Compute the parts of each step's gradient on threads of their own (native builds;
    /// on wasm32 there are no threads and this is ignored — the page uses workers
    /// instead). The result is bit-identical either way.
    pub fn set_parallel(&mut self, on: bool) {
        self.parallel = on && cfg!(not(target_arch = "wasm32"));
        if self.parallel && self.parts.len() < 2 {
            self.parts.push(self.parts[0].clone());
        }
    }

    /// The pairs of the current step's batch: the training set, or the minibatch drawn
    /// for this step (with replacement, from the step's own stream of the run's seed, so
    /// any worker draws the same one without being told).
    fn prepare_batch(&mut self) {
        let b = self.config.batch as usize;
        if b == 0 {
            return;
        }
        let train = &self.data.train;
        let mut rng = Rng::new(self.config.seed as u64, MINIBATCH_STREAM ^ self.step);
        self.batch.clear();
        self.batch
            .extend((0..b).map(|_| train[rng.below(train.len() as u64) as usize]));
    }

    /// The gradient of the mean loss over the step's batch: the shards' partial
    /// gradients summed as a tree (half on each of two threads when parallel), then
    /// finished into `self.grads`; returns the batch's stats.
    fn gradient(&mut self) -> BatchStats {
        self.prepare_batch();
        let (model, params) = (&self.model, &self.params);
        let pairs = if self.config.batch > 0 {
            &self.batch[..]
        } else {
            &self.data.train[..]
        };
        let stats = &mut self.shard_stats;
        let subtrees: Vec<Vec<f32>> = if self.parallel {
            let (left, right) = stats.split_at_mut(SHARDS / 2);
            let (a, b) = self.parts.split_at_mut(1);
            let (a, b) = (&mut a[0], &mut b[0]);
            std::thread::scope(|scope| {
                let second = scope.spawn(move || {
                    model.prepare(params, &mut b.ws);
                    b.subtree(model, params, pairs, SHARDS / 2..SHARDS, right)
                });
                model.prepare(params, &mut a.ws);
                let first = a.subtree(model, params, pairs, 0..SHARDS / 2, left);
                vec![first, second.join().expect("gradient thread panicked")]
            })
        } else {
            let part = &mut self.parts[0];
            model.prepare(params, &mut part.ws);
            vec![part.subtree(model, params, pairs, 0..SHARDS, stats)]
        };
        self.finish_gradient(&subtrees);
        let stats = merge_all(&self.shard_stats);
        for buf in subtrees {
            self.parts[0].pool.push(buf);
        }
        stats
    }

    /// Sums the subtrees' partial gradients (in order, as the top of the tree) and turns
    /// the sum into the parameters' gradient.
    fn finish_gradient(&mut self, subtrees: &[impl AsRef<[f32]>]) {
        let len = self.model.partial_len();
        let part = &mut self.parts[0];
        let total = tree_sum(subtrees.len(), len, &mut part.pool, |i, out| {
            out.copy_from_slice(subtrees[i].as_ref())
        });
        let old = std::mem::replace(&mut self.partial, total);
        part.pool.push(old);
        self.model
            .finish(&self.params, &self.partial, &mut self.grads, &mut part.ws);
    }

    /// Changes learning rate and weight decay from the next step on (recorded as an event).
    pub fn set_hyper(&mut self, lr: f64, wd: f64) -> Result<(), ConfigError> {
        validate_hyper(lr, wd)?;
        if lr != self.config.lr || wd != self.config.wd {
            self.config.lr = lr;
            self.config.wd = wd;
            self.history.push_event(Event {
                step: self.step,
                lr,
                wd,
                shrink: None,
            });
        }
        Ok(())
    }

    /// Ungrokking (Varma et al. 2023): from the next step on, trains on only `keep` (a
    /// fraction, 0 < keep ≤ 1) of the current training pairs — a fixed subset, the first
    /// pairs of the seed's shuffle, so a replay cuts the same pairs. The pairs dropped are
    /// no longer training pairs and are not counted as test pairs either. Recorded as an
    /// event. Errors if the cut would leave no training pair, or a minibatch larger than
    /// the set.
    pub fn shrink_train(&mut self, keep: f64) -> Result<(), ShrinkError> {
        let n = self.data.train.len();
        if !(keep.is_finite() && keep > 0.0 && keep <= 1.0) {
            return Err(ShrinkError::Fraction { keep });
        }
        let kept = ((n as f64 * keep).round() as usize).min(n);
        if kept == 0 {
            return Err(ShrinkError::Empty { keep, pairs: n });
        }
        if (self.config.batch as usize) > kept {
            return Err(ShrinkError::Batch {
                batch: self.config.batch,
                kept,
            });
        }
        self.keep_train_pairs(kept);
        self.history.push_event(Event {
            step: self.step,
            lr: self.config.lr,
            wd: self.config.wd,
            shrink: Some(keep),
        });
        Ok(())
    }

    /// Keeps the first `kept` training pairs (see [`Trainer::shrink_train`]; no event is
    /// recorded: a follower worker copies its leader's cut this way).
    pub fn keep_train_pairs(&mut self, kept: usize) {
        self.data.shrink_train(kept);
        self.is_train = self.train_flags();
    }

    fn records(&self, step: u64) -> bool {
        History::records(step) || self.eval_every.is_some_and(|n| step.is_multiple_of(n))
    }

    /// One AdamW step on the step's batch. Measures the training batch on the way (and,
    /// at recorded steps, the test set) before updating; stops for good if the loss is not
    /// finite.
    pub fn step(&mut self) -> Result<(), TrainError> {
        if let Some(step) = self.diverged_at {
            return Err(TrainError::Diverged { step });
        }
        let train = self.gradient();
        self.finish_step(train, true, None)
    }

    /// Whether the current step is recorded (so its test set is evaluated).
    pub fn records_now(&self) -> bool {
        self.records(self.step)
    }

    /// Whether hidden-progress measures are due at the current step (tracked, and on the
    /// [`History::records_progress`] schedule).
    pub fn progress_due(&self) -> bool {
        self.track_progress && History::records_progress(self.step)
    }

    /// Takes the hidden-progress measures of the current step ahead of its update, if
    /// due (see [`Trainer::progress_due`]). The update records them, unless the step
    /// diverges — then, as with [`Trainer::step`], no point is recorded. A leader of
    /// several workers calls this while its partners measure the test set, so the two
    /// costly passes of such a step run side by side.
    pub fn prepare_progress(&mut self) {
        if self.progress_due() {
            self.early_progress = Some(self.progress());
        }
    }

    /// Records the hidden-progress measures of the current step if due: those taken
    /// ahead by [`Trainer::prepare_progress`], or now.
    fn record_progress_if_due(&mut self) {
        if self.progress_due() {
            let point = match self.early_progress.take() {
                Some(point) if point.step == self.step => point,
                _ => self.progress(),
            };
            self.history.progress.push(point);
        }
    }

    /// Stats of part `part` (of [`TEST_PARTS`]) of the test set at the current
    /// parameters. The test set is always measured as these parts merged in order, so
    /// workers can measure some each and get the same numbers as one worker.
    pub fn evaluate_test_part(&mut self, part: usize) -> BatchStats {
        let range = part_range(part, self.data.test.len(), TEST_PARTS);
        self.model
            .evaluate(&self.params, &self.data.test[range], &mut self.ws)
    }

    /// Stats of the whole test set (its parts merged in order, see
    /// [`Trainer::evaluate_test_part`]).
    pub fn evaluate_test(&mut self) -> BatchStats {
        let parts: Vec<BatchStats> = (0..TEST_PARTS)
            .map(|i| self.evaluate_test_part(i))
            .collect();
        merge_all(&parts)
    }

    /// Number of values in a partial gradient, what workers exchange (see
    /// [`Trainer::subtree`]).
    pub fn partial_len(&self) -> usize {
        self.model.partial_len()
    }

    /// Number of parameters.
    pub fn param_count(&self) -> usize {
        self.params.len()
    }

    /// Starts a step split between workers: draws the step's minibatch (every worker
    /// draws the same one) and prepares the workspace at the current parameters. Call
    /// before [`Trainer::subtree`].
    pub fn begin_split_step(&mut self) {
        self.prepare_batch();
        let part = &mut self.parts[0];
        self.model.prepare(&self.params, &mut part.ws);
    }

    /// A worker's share of a split step: the tree sum of the partial gradients of
    /// `shards` (a power-of-two-sized, aligned range of the [`SHARDS`] parts), written
    /// into `out` ([`Trainer::partial_len`] values); returns those shards' stats. The
    /// workers then exchange their subtrees and each calls
    /// [`Trainer::step_with_subtrees`].
    pub fn subtree(&mut self, shards: std::ops::Range<usize>, out: &mut [f32]) -> Vec<BatchStats> {
        assert!(
            shards.len().is_power_of_two()
                && shards.start.is_multiple_of(shards.len())
                && shards.end <= SHARDS,
            "shards {shards:?} are not a subtree of {SHARDS}"
        );
        let (model, params) = (&self.model, &self.params);
        let pairs = if self.config.batch > 0 {
            &self.batch[..]
        } else {
            &self.data.train[..]
        };
        let mut stats = vec![BatchStats::default(); shards.len()];
        let part = &mut self.parts[0];
        let sum = part.subtree(model, params, pairs, shards, &mut stats);
        out.copy_from_slice(&sum);
        part.pool.push(sum);
        stats
    }

    /// The end of a split step: takes every worker's subtree sum (in worker order, each
    /// covering an equal, aligned range of the shards) and every shard's stats (in shard
    /// order), completes the tree and updates. Workers of the same config that exchange
    /// their subtrees this way stay bit-identical to one trainer calling
    /// [`Trainer::step`]. With `lead` false the test set and progress measures are not
    /// evaluated (a worker that nobody reads skips that work); its parameters are the
    /// same either way. `test`: the test-set stats at this step if the workers already
    /// computed them (see [`Trainer::evaluate_test_part`]); when this step is recorded
    /// and `test` is `None`, the leader evaluates the test set itself.
    pub fn step_with_subtrees(
        &mut self,
        subtrees: &[&[f32]],
        stats: &[BatchStats],
        test: Option<BatchStats>,
        lead: bool,
    ) -> Result<(), TrainError> {
        if let Some(step) = self.diverged_at {
            return Err(TrainError::Diverged { step });
        }
        assert!(
            subtrees.len().is_power_of_two() && subtrees.len() <= SHARDS,
            "{} subtrees of {SHARDS} shards",
            subtrees.len()
        );
        assert_eq!(stats.len(), SHARDS, "one stats per shard");
        self.finish_gradient(subtrees);
        self.finish_step(merge_all(stats), lead, test)
    }

    /// Everything after the gradient: divergence check, memorisation, recording (when
    /// `lead`), the levers on the gradient, the update, and the levers on the weights.
    fn finish_step(
        &mut self,
        train: BatchStats,
        lead: bool,
        test: Option<BatchStats>,
    ) -> Result<(), TrainError> {
        if !train.loss.is_finite() {
            self.early_progress = None;
            self.diverged_at = Some(self.step);
            return Err(TrainError::Diverged { step: self.step });
        }
        // With minibatches the batch's accuracy is a noisy estimate, so memorisation is
        // judged on the recorded points (the whole training set) instead.
        if self.config.batch == 0 && self.memorised_at.is_none() && train.accuracy() >= MEMORISED {
            self.memorised_at = Some(self.step);
        }
        self.last_train = Some(train);
        if lead && self.records(self.step) {
            let test = match test {
                Some(test) => test,
                None => self.evaluate_test(),
            };
            let train = if self.config.batch > 0 {
                self.model
                    .evaluate(&self.params, &self.data.train, &mut self.ws)
            } else {
                train
            };
            self.record(train, test);
        }
        if lead {
            self.record_progress_if_due();
        }
        let grads = &mut self.grads;
        if let Some(filter) = &mut self.grokfast {
            filter.filter(grads.as_mut_slice());
        }
        self.opt
            .step(&mut self.params, grads, self.config.lr, self.config.wd);
        if let Some(norm) = self.config.fix_norm {
            self.project_norm(norm);
        }
        self.step += 1;
        Ok(())
    }

    /// Omnigrok's constraint: rescales the matrices together to Euclidean norm `norm`.
    fn project_norm(&mut self, norm: f64) {
        let now = self.params.matrix_norm();
        if now > 0.0 && now.is_finite() {
            self.params.scale_matrices((norm / now) as f32);
        }
    }

    /// Up to `n` steps; stops early at divergence.
    pub fn run(&mut self, n: u64) -> Result<(), TrainError> {
        for _ in 0..n {
            self.step()?;
        }
        Ok(())
    }

    fn record(&mut self, train: BatchStats, test: BatchStats) {
        let point = Point {
            step: self.step,
            train_loss: train.loss,
            train_acc: train.accuracy(),
            test_loss: test.loss,
            test_acc: test.accuracy(),
            weight_norm: self.params.norm(),
        };
        if self.memorised_at.is_none() && self.config.batch > 0 && point.train_acc >= MEMORISED {
            self.memorised_at = Some(point.step);
        }
        if self.grokked_at.is_none() && point.test_acc >= GROKKED {
            self.grokked_at = Some(point.step);
        }
        self.history.points.push(point);
    }

    /// Train and test metrics of the current parameters (two forward passes; no update).
    pub fn evaluate(&mut self) -> Metrics {
        let train = self
            .model
            .evaluate(&self.params, &self.data.train, &mut self.ws);
        let test = self.evaluate_test();
        Metrics {
            step: self.step,
            train_loss: train.loss,
            train_acc: train.accuracy(),
            test_loss: test.loss,
            test_acc: test.accuracy(),
            weight_norm: self.params.norm(),
        }
    }

    /// The most recent measurements without extra work: training-set stats from the last
    /// step's forward pass, test stats from the last recorded point.
    pub fn latest(&self) -> Option<Metrics> {
        let train = self.last_train?;
        let point = self.history.points.last()?;
        Some(Metrics {
            step: self.step.saturating_sub(1),
            train_loss: train.loss,
            train_acc: train.accuracy(),
            test_loss: point.test_loss,
            test_acc: point.test_acc,
            weight_norm: point.weight_norm,
        })
    }

    /// Logits of the current model for `pairs` (pairs × p).
    pub fn logits(&mut self, pairs: &[Pair]) -> ndarray::Array2<f32> {
        self.model.logits(&self.params, pairs, &mut self.ws)
    }

    /// The network's answer to (a, b): softmax probabilities of every class (computed in
    /// f64 from the logits, stably), the [`TOP_GUESSES`] most probable, the truth and
    /// whether the pair was trained on. Errors name the problem for the page to show.
    pub fn predict(&mut self, a: u32, b: u32) -> Result<Prediction, String> {
        let config = self.config.clone();
        let p = config.p;
        if a >= p || b >= p {
            return Err(format!("a and b must be whole numbers from 0 to {}", p - 1));
        }
        if !config.op.admits(a, b) {
            return Err(format!("{} is not defined for b = 0", config.op.formula()));
        }
        let truth = config.op.apply(a, b, p);
        let logits = self.logits(&[Pair { a, b, label: truth }]);
        let row: Vec<f64> = logits.row(0).iter().map(|&z| z as f64).collect();
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exps: Vec<f64> = row.iter().map(|&z| (z - max).exp()).collect();
        let total: f64 = exps.iter().sum();
        if !(total.is_finite() && total > 0.0) {
            return Err("the network's outputs are not finite numbers (training diverged)".into());
        }
        let probs: Vec<f64> = exps.iter().map(|e| e / total).collect();
        let mut order: Vec<usize> = (0..probs.len()).collect();
        order.sort_by(|&i, &j| probs[j].total_cmp(&probs[i]).then(i.cmp(&j)));
        let top = order
            .into_iter()
            .take(TOP_GUESSES)
            .map(|c| Guess {
                answer: c as u32,
                prob: probs[c],
            })
            .collect();
        let in_train = self.data.train_mask()[(a * p + b) as usize];
        Ok(Prediction {
            step: self.step,
            a,
            b,
            truth,
            in_train,
            top,
            probs,
        })
    }

    /// The embedding's Fourier spectrum now.
    pub fn spectrum(&self) -> Spectrum {
        analysis::spectrum(self.embedding())
    }

    /// The hidden-progress measures now, with the embedding's current key frequencies.
    pub fn progress(&mut self) -> ProgressPoint {
        self.progress_with_keys(None)
    }

    /// The hidden-progress measures now, against `keys` if given (Nanda et al. use the
    /// key frequencies of the finished model at every checkpoint; a run replayed with the
    /// same seed can do the same), else against the embedding's current key frequencies.
    pub fn progress_with_keys(&mut self, keys: Option<&[usize]>) -> ProgressPoint {
        let spectrum = self.spectrum();
        let keys = keys.map_or_else(|| spectrum.keys.clone(), <[usize]>::to_vec);
        let measures = analysis::answer_variable(self.config.op).and_then(|_| {
            let logits = self
                .model
                .logits(&self.params, &self.all_pairs, &mut self.ws);
            analysis::progress(
                &logits,
                &self.all_pairs,
                &self.is_train,
                self.config.p as usize,
                self.config.op,
                &keys,
            )
        });
        ProgressPoint {
            step: self.step,
            gini: spectrum.gini,
            keys: spectrum.keys,
            key_share: spectrum.key_share,
            measures,
        }
    }
}

/// Everything a run recorded, for export (see [`history_json`]).
#[derive(Serialize)]
struct RunRecord<'a> {
    config: &'a Config,
    points: &'a [Point],
    events: &'a [Event],
    progress: &'a [ProgressPoint],
    memorised_at: Option<u64>,
    grokked_at: Option<u64>,
    diverged_at: Option<u64>,
}

/// The run as JSON: `{"config": {p, op, frac, wd, lr, d, hidden, seed}, "points":
/// [{step, train_loss, train_acc, test_loss, test_acc, weight_norm}], "events": [{step,
/// lr, wd}], "progress": [{step, gini, keys, key_share, measures}], "memorised_at",
/// "grokked_at", "diverged_at"}` (milestones `null` when not reached; a non-finite number,
/// such as the loss of a diverged step, is `null`).
pub fn history_json(trainer: &Trainer) -> Result<String, serde_json::Error> {
    let history = trainer.history();
    serde_json::to_string(&RunRecord {
        config: trainer.config(),
        points: &history.points,
        events: &history.events,
        progress: &history.progress,
        memorised_at: trainer.memorised_at(),
        grokked_at: trainer.grokked_at(),
        diverged_at: trainer.diverged_at(),
    })
}
