//! Training: the run's configuration, the trainer that steps it, and its history.
//!
//! A [`Config`] holds every setting of a run with the defaults of the reference
//! experiment; [`Config::validate`] rejects a bad one with a typed [`ConfigError`] before
//! any work starts. A [`Trainer`] owns the data split, the parameters, AdamW and the
//! scratch buffers, and advances one full-batch step at a time. Its [`History`] records
//! train and test metrics on a log-spaced schedule, so a run of millions of steps keeps a
//! few thousand points. The same config and seed always give a bit-identical history.

use crate::analysis::{self, Progress, Spectrum};
use crate::model::{self, BatchStats, Params, Shape, Workspace};
use crate::optim::{AdamW, AdamWConfig};
use crate::task::{is_prime, Dataset, Op, Pair};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Train accuracy at which the run counts as having memorised its training set.
pub const MEMORISED: f64 = 0.99;
/// Test accuracy at which the run counts as having generalised ("grokked").
pub const GROKKED: f64 = 0.95;

/// Every setting of a run. Missing fields take their defaults when deserialised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Modulus p (default 97): tokens and classes are 0..p. Range 3..=257.
    pub p: u32,
    /// Operation (default `add`).
    pub op: Op,
    /// Fraction of all pairs used for training (default 0.3).
    pub frac: f64,
    /// Decoupled weight decay of AdamW (default 1.0). Range 0..=100.
    pub wd: f64,
    /// Learning rate (default 0.01). Range (0, 10].
    pub lr: f64,
    /// Embedding width d (default 32). Range 1..=512.
    pub d: u32,
    /// Hidden width H (default 128). Range 1..=2048.
    pub hidden: u32,
    /// Seed of the data split and the initialisation (default 0).
    pub seed: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            p: 97,
            op: Op::Add,
            frac: 0.3,
            wd: 1.0,
            lr: 0.01,
            d: 32,
            hidden: 128,
            seed: 0,
        }
    }
}

/// Why a [`Config`] was rejected.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigError {
    /// p outside 3..=257.
    ModulusOutOfRange { p: u32 },
    /// The operation needs a prime modulus.
    CompositeModulus { p: u32, op: Op },
    /// A numeric setting is NaN or infinite.
    NotFinite { field: &'static str },
    /// The training fraction is not strictly between 0 and 1.
    FracOutOfRange { frac: f64 },
    /// The fraction leaves no training pair.
    EmptyTrainSet { frac: f64, pairs: usize },
    /// The fraction leaves no test pair.
    EmptyTestSet { frac: f64, pairs: usize },
    /// The learning rate is not in (0, 10].
    LearningRate { lr: f64 },
    /// The weight decay is not in [0, 100].
    WeightDecay { wd: f64 },
    /// A width is zero or too large.
    Width {
        field: &'static str,
        value: u32,
        max: u32,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::ModulusOutOfRange { p } => {
                write!(f, "modulus p = {p} is out of range: use 3 to 257")
            }
            ConfigError::CompositeModulus { p, op } => write!(
                f,
                "{} needs a prime modulus, and p = {p} is not prime ({p} = {})",
                op.formula(),
                factor(*p)
            ),
            ConfigError::NotFinite { field } => write!(f, "{field} must be a finite number"),
            ConfigError::FracOutOfRange { frac } => {
                write!(
                    f,
                    "training fraction {frac} is out of range: use a value between 0 and 1"
                )
            }
            ConfigError::EmptyTrainSet { frac, pairs } => {
                write!(
                    f,
                    "training fraction {frac} of {pairs} pairs leaves the training set empty"
                )
            }
            ConfigError::EmptyTestSet { frac, pairs } => {
                write!(
                    f,
                    "training fraction {frac} of {pairs} pairs leaves the test set empty"
                )
            }
            ConfigError::LearningRate { lr } => write!(
                f,
                "learning rate {lr} is out of range: use a value in (0, 10]"
            ),
            ConfigError::WeightDecay { wd } => {
                write!(f, "weight decay {wd} is out of range: use 0 to 100")
            }
            ConfigError::Width { field, value, max } => {
                write!(f, "{field} = {value} is out of range: use 1 to {max}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// "91 = 7 × 13"-style factorisation for error messages.
fn factor(mut n: u32) -> String {
    let mut parts = Vec::new();
    let mut q = 2;
    while q * q <= n {
        while n.is_multiple_of(q) {
            parts.push(q.to_string());
            n /= q;
        }
        q += 1;
    }
    if n > 1 {
        parts.push(n.to_string());
    }
    parts.join(" × ")
}

impl Config {
    /// Largest embedding width accepted.
    pub const MAX_D: u32 = 512;
    /// Largest hidden width accepted.
    pub const MAX_HIDDEN: u32 = 2048;

    /// Checks every setting; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [("frac", self.frac), ("wd", self.wd), ("lr", self.lr)] {
            if !value.is_finite() {
                return Err(ConfigError::NotFinite { field });
            }
        }
        if !(3..=257).contains(&self.p) {
            return Err(ConfigError::ModulusOutOfRange { p: self.p });
        }
        if self.op.needs_prime() && !is_prime(self.p) {
            return Err(ConfigError::CompositeModulus {
                p: self.p,
                op: self.op,
            });
        }
        if !(self.frac > 0.0 && self.frac < 1.0) {
            return Err(ConfigError::FracOutOfRange { frac: self.frac });
        }
        let pairs = Dataset::all_pairs(self.p, self.op).len();
        let n_train = Dataset::train_size(pairs, self.frac);
        if n_train == 0 {
            return Err(ConfigError::EmptyTrainSet {
                frac: self.frac,
                pairs,
            });
        }
        if n_train == pairs {
            return Err(ConfigError::EmptyTestSet {
                frac: self.frac,
                pairs,
            });
        }
        validate_hyper(self.lr, self.wd)?;
        for (field, value, max) in [
            ("d", self.d, Self::MAX_D),
            ("hidden", self.hidden, Self::MAX_HIDDEN),
        ] {
            if value == 0 || value > max {
                return Err(ConfigError::Width { field, value, max });
            }
        }
        Ok(())
    }

    /// The parameter shapes this config trains.
    pub fn shape(&self) -> Shape {
        Shape {
            p: self.p as usize,
            d: self.d as usize,
            hidden: self.hidden as usize,
        }
    }
}

/// The checks on the two settings that may change during a run.
fn validate_hyper(lr: f64, wd: f64) -> Result<(), ConfigError> {
    if !lr.is_finite() {
        return Err(ConfigError::NotFinite { field: "lr" });
    }
    if !wd.is_finite() {
        return Err(ConfigError::NotFinite { field: "wd" });
    }
    if !(lr > 0.0 && lr <= 10.0) {
        return Err(ConfigError::LearningRate { lr });
    }
    if !(0.0..=100.0).contains(&wd) {
        return Err(ConfigError::WeightDecay { wd });
    }
    Ok(())
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

/// Metrics of the model at one step (after `step` updates).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Updates taken before these metrics were measured.
    pub step: u64,
    /// Mean cross-entropy on the training pairs.
    pub train_loss: f64,
    /// Fraction of training pairs predicted correctly.
    pub train_acc: f64,
    /// Mean cross-entropy on the test pairs.
    pub test_loss: f64,
    /// Fraction of test pairs predicted correctly.
    pub test_acc: f64,
    /// Euclidean norm of all parameters.
    pub weight_norm: f64,
}

/// A change of learning rate or weight decay during a run (drawn on the curves).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The first step taken with the new values.
    pub step: u64,
    /// New learning rate.
    pub lr: f64,
    /// New weight decay.
    pub wd: f64,
}

/// The hidden-progress measures at one step (recorded when progress tracking is on).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgressPoint {
    /// Updates taken before the measurement.
    pub step: u64,
    /// Gini coefficient of the embedding's per-frequency norms.
    pub gini: f64,
    /// The key frequencies at this step, strongest first.
    pub keys: Vec<usize>,
    /// Share of the embedding's non-constant energy the keys hold.
    pub key_share: f64,
    /// Restricted and excluded losses and ablation accuracies; `None` for operations
    /// without a Fourier answer variable (see [`analysis::answer_variable`]).
    pub measures: Option<Progress>,
}

/// Recorded metrics of a run: every step up to 100, then 90 to 180 points per decade
/// (see [`History::records`]); memory grows with the logarithm of the run's length.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// The recorded points, by increasing step.
    pub points: Vec<Point>,
    /// Mid-run changes of learning rate or weight decay, by increasing step.
    pub events: Vec<Event>,
    /// Hidden-progress measures, when tracked (see [`Trainer::set_track_progress`]).
    pub progress: Vec<ProgressPoint>,
}

impl History {
    /// At most this many events are kept (a slider dragged for an hour must not grow
    /// memory); later changes replace the last one.
    pub const MAX_EVENTS: usize = 256;

    /// Whether metrics are recorded at `step`: every step below 100, every 10th to 1000
    /// (the test set is evaluated at each recorded step, so this is the costly stretch),
    /// then 180 points a decade: every 50 to 10⁴, every 500 to 10⁵, and so on.
    pub fn records(step: u64) -> bool {
        match step {
            0..100 => true,
            100..1000 => step.is_multiple_of(10),
            _ => step.is_multiple_of(10u64.pow(step.ilog10()) / 20),
        }
    }

    /// Whether progress measures are taken at `step` (when tracked): about 30 a decade —
    /// every 10th step below 100, every 50th below 1000, then 10^⌊log₁₀ step⌋ / 5 —
    /// since each needs the logits of all p² pairs.
    pub fn records_progress(step: u64) -> bool {
        match step {
            0..100 => step.is_multiple_of(10),
            100..1000 => step.is_multiple_of(50),
            _ => step.is_multiple_of(10u64.pow(step.ilog10()) / 5),
        }
    }

    /// The first recorded step at which `metric` reaches `threshold`.
    pub fn first_reaching(&self, threshold: f64, metric: impl Fn(&Point) -> f64) -> Option<u64> {
        self.points
            .iter()
            .find(|pt| metric(pt) >= threshold)
            .map(|pt| pt.step)
    }

    /// The points as CSV with a header row
    /// (`step,train_loss,train_acc,test_loss,test_acc,weight_norm`). When progress was
    /// tracked, five more columns (`gini,keys,key_share,restricted_loss,excluded_loss`)
    /// are filled at the steps where it was measured and left empty elsewhere.
    pub fn to_csv(&self) -> String {
        let with_progress = !self.progress.is_empty();
        let mut out = String::from("step,train_loss,train_acc,test_loss,test_acc,weight_norm");
        if with_progress {
            out.push_str(",gini,keys,key_share,restricted_loss,excluded_loss");
        }
        out.push('\n');
        let mut progress = self.progress.iter().peekable();
        for pt in &self.points {
            out.push_str(&format!(
                "{},{:e},{},{:e},{},{}",
                pt.step, pt.train_loss, pt.train_acc, pt.test_loss, pt.test_acc, pt.weight_norm
            ));
            if with_progress {
                match progress.next_if(|pr| pr.step == pt.step) {
                    Some(pr) => {
                        let keys: Vec<String> = pr.keys.iter().map(|k| k.to_string()).collect();
                        out.push_str(&format!(",{},{},{}", pr.gini, keys.join(" "), pr.key_share));
                        match &pr.measures {
                            Some(m) => {
                                out.push_str(&format!(",{},{}", m.restricted_loss, m.excluded_loss))
                            }
                            None => out.push_str(",,"),
                        }
                    }
                    None => out.push_str(",,,,,"),
                }
            }
            out.push('\n');
        }
        out
    }

    fn push_event(&mut self, event: Event) {
        let full = self.events.len() >= Self::MAX_EVENTS;
        match self.events.last_mut() {
            Some(last) if last.step == event.step || full => *last = event,
            _ => self.events.push(event),
        }
    }
}

/// Train and test metrics at the current parameters: the same fields as a history
/// [`Point`], measured now rather than recorded.
pub type Metrics = Point;

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

/// Number of parts the training batch is split into for the gradient. Always two, on
/// every platform and whatever the number of threads: the gradient is the sum of the two
/// parts' gradients in a fixed order, so one thread computing both parts and two threads
/// (or two browser workers) computing one each give bit-identical runs.
pub const SHARDS: usize = 2;

/// One part of the training batch with its own gradient and scratch buffers.
#[derive(Clone, Debug)]
struct Shard {
    /// The part's range in the training pairs.
    range: std::ops::Range<usize>,
    grads: Params,
    /// Stats of the last gradient computed (or received from a partner).
    stats: BatchStats,
    ws: Workspace,
}

impl Shard {
    /// Gradient and stats of this part (of a batch of `total` pairs); an empty part has a
    /// zero gradient.
    fn compute(&mut self, params: &Params, train: &[Pair], total: usize) -> BatchStats {
        let pairs = &train[self.range.clone()];
        self.stats = if pairs.is_empty() {
            self.grads
                .blocks_mut()
                .into_iter()
                .for_each(|b| b.values.fill(0.0));
            BatchStats::default()
        } else {
            model::loss_and_grad(params, pairs, total, &mut self.grads, &mut self.ws)
        };
        self.stats
    }
}

/// Copies `params` flat into `out`, blocks in [`Params::blocks_mut`] order.
fn write_flat(params: &mut Params, out: &mut [f32]) {
    assert_eq!(
        out.len(),
        params.len(),
        "flat gradient has the wrong length"
    );
    let mut at = 0;
    for block in params.blocks_mut() {
        out[at..at + block.values.len()].copy_from_slice(block.values);
        at += block.values.len();
    }
}

/// The inverse of [`write_flat`].
fn read_flat(params: &mut Params, src: &[f32]) {
    assert_eq!(
        src.len(),
        params.len(),
        "flat gradient has the wrong length"
    );
    let mut at = 0;
    for block in params.blocks_mut() {
        let n = block.values.len();
        block.values.copy_from_slice(&src[at..at + n]);
        at += n;
    }
}

/// A training run in progress.
#[derive(Clone, Debug)]
pub struct Trainer {
    config: Config,
    data: Dataset,
    params: Params,
    opt: AdamW,
    /// The two parts of the training batch (see [`SHARDS`]).
    shards: Vec<Shard>,
    /// Whether to compute the two parts on two threads (native only).
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
        let shape = config.shape();
        let n = data.train.len();
        let mid = n.div_ceil(SHARDS);
        let shards = [0..mid, mid..n]
            .into_iter()
            .map(|range| Shard {
                ws: Workspace::new(shape, range.len()),
                grads: Params::zeros(shape),
                stats: BatchStats::default(),
                range,
            })
            .collect();
        let rows = mid.max(data.test.len());
        let all_pairs = Dataset::all_pairs(config.p, config.op);
        let mask = data.train_mask();
        let p = config.p as usize;
        let is_train = all_pairs
            .iter()
            .map(|pr| mask[pr.a as usize * p + pr.b as usize])
            .collect();
        Ok(Trainer {
            params: Params::init(shape, config.seed),
            opt: AdamW::new(shape, AdamWConfig::default()),
            shards,
            parallel: false,
            ws: Workspace::new(shape, rows),
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
            is_train,
        })
    }

    /// The run's settings (learning rate and weight decay as currently in force).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The data split.
    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// The current parameters.
    pub fn params(&self) -> &Params {
        &self.params
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

    /// Compute the two halves of each step's gradient on two threads (native builds; on
    /// wasm32 there are no threads and this is ignored — the page uses two workers
    /// instead). The result is bit-identical either way.
    pub fn set_parallel(&mut self, on: bool) {
        self.parallel = on && cfg!(not(target_arch = "wasm32"));
    }

    /// The gradient of the mean training loss, as the sum of the shards' gradients (left
    /// in the first shard), and the training-set stats.
    fn gradient(&mut self) -> BatchStats {
        let (params, train) = (&self.params, &self.data.train[..]);
        let total = train.len();
        let (first, rest) = self.shards.split_at_mut(1);
        let (a, b) = (&mut first[0], &mut rest[0]);
        let (mut stats, other) = if self.parallel {
            std::thread::scope(|scope| {
                let second = scope.spawn(|| b.compute(params, train, total));
                let stats = a.compute(params, train, total);
                (stats, second.join().expect("gradient thread panicked"))
            })
        } else {
            (
                a.compute(params, train, total),
                b.compute(params, train, total),
            )
        };
        a.grads.add_assign(&b.grads);
        stats.merge(other);
        stats
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
            });
        }
        Ok(())
    }

    fn records(&self, step: u64) -> bool {
        History::records(step) || self.eval_every.is_some_and(|n| step.is_multiple_of(n))
    }

    /// One full-batch AdamW step. Measures the training set on the way (and, at recorded
    /// steps, the test set) before updating; stops for good if the loss is not finite.
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
    /// diverges — then, as with [`Trainer::step`], no point is recorded. A leader of two
    /// workers calls this while its partner measures the test set, so the two costly
    /// passes of such a step run side by side.
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

    /// Stats of half `half` (0 or 1) of the test set at the current parameters. The
    /// test set is always measured as these two halves merged in order, so two workers
    /// can measure one half each and get the same numbers as one worker.
    pub fn evaluate_test_half(&mut self, half: usize) -> BatchStats {
        let n = self.data.test.len();
        let mid = n.div_ceil(2);
        let range = if half == 0 { 0..mid } else { mid..n };
        model::evaluate(&self.params, &self.data.test[range], &mut self.ws)
    }

    /// Stats of the whole test set (its two halves merged, see
    /// [`Trainer::evaluate_test_half`]).
    pub fn evaluate_test(&mut self) -> BatchStats {
        let mut test = self.evaluate_test_half(0);
        test.merge(self.evaluate_test_half(1));
        test
    }

    /// Number of values in a flat gradient (all parameter blocks, see
    /// [`Trainer::shard_gradient`]).
    pub fn param_count(&self) -> usize {
        self.params.len()
    }

    /// The first half of a step split between two workers: computes the gradient of
    /// shard `shard` (0 or 1) only, at the current parameters, writes it flat (blocks in
    /// [`Params::blocks_mut`] order) into `out` (length [`Trainer::param_count`]) and
    /// returns the shard's stats. The partner computes the other shard; both then call
    /// [`Trainer::step_with_shards`] with each other's output. Panics on a bad shard
    /// index or length (a programming error, not an input error).
    pub fn shard_gradient(&mut self, shard: usize, out: &mut [f32]) -> BatchStats {
        let (params, train) = (&self.params, &self.data.train[..]);
        let s = &mut self.shards[shard];
        let stats = s.compute(params, train, train.len());
        write_flat(&mut s.grads, out);
        stats
    }

    /// The second half of a split step: takes the other shard's gradient and stats (from
    /// the partner's [`Trainer::shard_gradient`]), sums the two shards in the same fixed
    /// order as [`Trainer::step`] and updates. Two trainers of the same config that
    /// exchange their halves this way stay bit-identical to one trainer calling
    /// [`Trainer::step`]. With `lead` false the test set and progress measures are not
    /// evaluated (the partner that nobody reads skips that work); its parameters are the
    /// same either way. `test`: the test-set stats at this step if the two workers
    /// already computed them half each (see [`Trainer::evaluate_test_half`]); when this
    /// step is recorded and `test` is `None`, the leader evaluates the test set itself.
    pub fn step_with_shards(
        &mut self,
        mine: usize,
        other: &[f32],
        other_stats: BatchStats,
        test: Option<BatchStats>,
        lead: bool,
    ) -> Result<(), TrainError> {
        if let Some(step) = self.diverged_at {
            return Err(TrainError::Diverged { step });
        }
        let theirs = &mut self.shards[1 - mine];
        read_flat(&mut theirs.grads, other);
        theirs.stats = other_stats;
        let (first, rest) = self.shards.split_at_mut(1);
        first[0].grads.add_assign(&rest[0].grads);
        let mut stats = first[0].stats;
        stats.merge(rest[0].stats);
        self.finish_step(stats, lead, test)
    }

    /// Everything after the gradient: divergence check, memorisation, recording (when
    /// `lead`), the AdamW update.
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
        if self.memorised_at.is_none() && train.accuracy() >= MEMORISED {
            self.memorised_at = Some(self.step);
        }
        self.last_train = Some(train);
        if lead && self.records(self.step) {
            let test = match test {
                Some(test) => test,
                None => self.evaluate_test(),
            };
            self.record(train, test);
        }
        if lead {
            self.record_progress_if_due();
        }
        self.opt.step(
            &mut self.params,
            &mut self.shards[0].grads,
            self.config.lr,
            self.config.wd,
        );
        self.step += 1;
        Ok(())
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
        if self.grokked_at.is_none() && point.test_acc >= GROKKED {
            self.grokked_at = Some(point.step);
        }
        self.history.points.push(point);
    }

    /// Train and test metrics of the current parameters (two forward passes; no update).
    pub fn evaluate(&mut self) -> Metrics {
        let train = model::evaluate(&self.params, &self.data.train, &mut self.ws);
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
        model::logits(&self.params, pairs, &mut self.ws)
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
        analysis::spectrum(&self.params.embed)
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
            let logits = model::logits(&self.params, &self.all_pairs, &mut self.ws);
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

/// A run as the page knows it, for one-sentence summaries (screen readers, the
/// comparison's caption): its recorded points and the steps of its milestones.
#[derive(Clone, Copy, Debug)]
pub struct RunOutline<'a> {
    /// The run's name in a comparison ("decay off"); unused in a single summary.
    pub label: &'a str,
    /// The recorded points, by increasing step.
    pub points: &'a [Point],
    /// First step with train accuracy ≥ 99%.
    pub memorised_at: Option<u64>,
    /// First recorded step with test accuracy ≥ 95%.
    pub grokked_at: Option<u64>,
    /// Step at which the loss stopped being finite.
    pub diverged_at: Option<u64>,
}

/// A share (0..1) as a percentage for a sentence (see [`analysis::percent`]).
fn pct(share: f64) -> String {
    analysis::percent(share)
}

impl RunOutline<'_> {
    /// Where the run stands, after the numbers: "memorised at step 75, test accuracy
    /// still 3% — on the plateau", "grokked at step 1100, 1025 steps after memorising at
    /// step 75", "still fitting the training set", "training diverged at step 40".
    pub fn phase(&self) -> String {
        let last = self.points.last();
        let test = last.map_or(0.0, |p| p.test_acc);
        if let Some(d) = self.diverged_at {
            return format!(
                "training diverged at step {d} (the loss is no longer a finite number)"
            );
        }
        match (self.memorised_at, self.grokked_at) {
            (Some(m), Some(g)) if g > m => format!(
                "grokked at step {g}, {} steps after memorising at step {m}",
                g - m
            ),
            (_, Some(g)) => format!("generalised at step {g}, together with memorising"),
            (Some(m), None) if test < 0.5 => format!(
                "memorised at step {m}, test accuracy still {} — on the plateau",
                pct(test)
            ),
            (Some(m), None) => format!(
                "memorised at step {m}, test accuracy rising ({}), not yet grokked",
                pct(test)
            ),
            (None, None) => "still fitting the training set".into(),
        }
    }

    /// One sentence on the run: "Step 600: train accuracy 100%, test accuracy 3%;
    /// memorised at step 75, test accuracy still 3% — on the plateau." ("No training
    /// steps recorded yet." before the first point.)
    pub fn summary(&self) -> String {
        match self.points.last() {
            None => "No training steps recorded yet.".into(),
            Some(p) => format!(
                "Step {}: train accuracy {}, test accuracy {}; {}.",
                p.step,
                pct(p.train_acc),
                pct(p.test_acc),
                self.phase()
            ),
        }
    }

    /// The step at which the run generalised, if it did (and did not diverge first).
    fn generalised(&self) -> Option<u64> {
        self.grokked_at
            .filter(|&g| self.diverged_at.is_none_or(|d| g < d))
    }
}

/// Sentences comparing two runs (the side-by-side figure): each run's state, then which
/// generalised first, e.g. "decay off — step 3000: train accuracy 100%, test accuracy 2%;
/// memorised at step 74, test accuracy still 2% — on the plateau. decay on — step 3000:
/// …; grokked at step 1100, 1026 steps after memorising at step 74. Only decay on has
/// grokked."
pub fn comparison_summary(a: &RunOutline, b: &RunOutline) -> String {
    let one = |r: &RunOutline| match r.points.last() {
        None => format!("{}: no training steps recorded yet.", r.label),
        Some(p) => format!(
            "{} — step {}: train accuracy {}, test accuracy {}; {}.",
            r.label,
            p.step,
            pct(p.train_acc),
            pct(p.test_acc),
            r.phase()
        ),
    };
    let verdict = match (a.generalised(), b.generalised()) {
        (Some(x), Some(y)) if x == y => {
            format!("Both generalised at step {x}.")
        }
        (Some(x), Some(y)) => {
            let (first, later, s1, s2) = if x < y {
                (a.label, b.label, x, y)
            } else {
                (b.label, a.label, y, x)
            };
            let ratio = s2 as f64 / s1.max(1) as f64;
            format!(
                "{first} generalised first, at step {s1}; {later} at step {s2} ({ratio:.1}× later)."
            )
        }
        (Some(_), None) => format!("Only {} has generalised.", a.label),
        (None, Some(_)) => format!("Only {} has generalised.", b.label),
        (None, None) => "Neither has generalised yet.".into(),
    };
    format!("{} {} {}", one(a), one(b), verdict)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_is_dense_early_and_log_spaced_later() {
        let recorded = |lo: u64, hi: u64| (lo..hi).filter(|&s| History::records(s)).count();
        assert_eq!(recorded(0, 100), 100);
        assert_eq!(recorded(100, 1000), 90);
        assert_eq!(recorded(1000, 10_000), 180);
        assert_eq!(recorded(1_000_000, 10_000_000), 180);
        assert!(History::records(1250) && !History::records(1251));
        assert!(History::records(110) && !History::records(115));
    }

    #[test]
    fn events_are_bounded() {
        let mut h = History::default();
        for i in 0..10_000 {
            h.push_event(Event {
                step: i,
                lr: 0.01,
                wd: i as f64,
            });
        }
        assert_eq!(h.events.len(), History::MAX_EVENTS);
        assert_eq!(h.events.last().unwrap().wd, 9999.0);
    }

    #[test]
    fn factor_names_the_factors() {
        assert_eq!(factor(91), "7 × 13");
        assert_eq!(factor(96), "2 × 2 × 2 × 2 × 2 × 3");
    }
}
