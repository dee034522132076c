//! Splitting every step between workers that share memory: the protocol, written once for
//! any [`Shared`] memory — a `SharedArrayBuffer` with `Atomics` in the page
//! (`web/link.rs`), atomics and a condition variable natively ([`LocalShared`], which the
//! tests use to check that split runs are bit-identical to single ones).
//!
//! Every worker holds a copy of the same run. Each step, worker `w` of `W` computes the
//! partial gradients of its share of the [`SHARDS`] parts of the batch and adds them up
//! (a subtree of the fixed summation tree, see [`crate::train::tree_sum`]), publishes
//! the sum, waits for everyone else's and takes the same update — the tree completed in
//! the same order as one worker would, so the copies stay bit-identical to each other and
//! to a single worker. `W` is 1, 2, 4 or 8.
//! Worker 0, the leader, runs the [`Run`](super::Run): it applies the schedule, decides
//! each step, records the history and answers the page. The others only follow.
//!
//! On recorded steps the test set is measured in [`TEST_PARTS`] parts shared out among
//! the workers; on steps with hidden-progress measures (a pass over all p² pairs) the
//! followers measure the whole test set while the leader takes the measures.
//!
//! Memory layout (see [`SplitLayout`]): control words (i32), numbers (f64) and gradient
//! slots (f32), the last two twice, by step parity. Two slots per parity let a fast
//! worker start step s + 1 while a slow one still reads step s: nobody writes a slot of
//! parity s again before everyone has passed step s + 1's barrier, which each does only
//! after reading step s.

use crate::model::BatchStats;
use crate::train::{merge_all, Trainer, SHARDS, TEST_PARTS};

/// Most workers a step can be split between (one shard each).
pub const MAX_WORKERS: usize = SHARDS;

/// How long a worker waits for the others mid-step before giving up (a step takes
/// milliseconds; this only trips if a partner is gone).
pub const PARTNER_TIMEOUT_MS: f64 = 10_000.0;

/// Memory that several workers read and write at once.
///
/// Control words are i32 with sequentially consistent loads and stores; numbers and
/// gradient values are plain data, published by the store of a control word after them.
pub trait Shared {
    /// Control word `i`.
    fn load(&self, i: usize) -> i32;
    /// Sets control word `i` and wakes whoever waits on it.
    fn store(&self, i: usize, value: i32);
    /// Blocks while control word `i` equals `seen`, for at most `timeout_ms`.
    fn wait(&self, i: usize, seen: i32, timeout_ms: f64);
    /// A clock in milliseconds (for deadlines).
    fn now_ms(&self) -> f64;
    /// Number `i`.
    fn get(&self, i: usize) -> f64;
    /// Sets number `i`.
    fn set(&self, i: usize, value: f64);
    /// Copies floats from `at` into `dst`.
    fn read(&self, at: usize, dst: &mut [f32]);
    /// Copies `src` into the floats at `at`.
    fn write(&self, at: usize, src: &[f32]);
}

impl<T: Shared> Shared for &T {
    fn load(&self, i: usize) -> i32 {
        (**self).load(i)
    }
    fn store(&self, i: usize, value: i32) {
        (**self).store(i, value)
    }
    fn wait(&self, i: usize, seen: i32, timeout_ms: f64) {
        (**self).wait(i, seen, timeout_ms)
    }
    fn now_ms(&self) -> f64 {
        (**self).now_ms()
    }
    fn get(&self, i: usize) -> f64 {
        (**self).get(i)
    }
    fn set(&self, i: usize, value: f64) {
        (**self).set(i, value)
    }
    fn read(&self, at: usize, dst: &mut [f32]) {
        (**self).read(at, dst)
    }
    fn write(&self, at: usize, src: &[f32]) {
        (**self).write(at, src)
    }
}

/// Control words.
const CMD: usize = 0;
const KIND: usize = 1;
const STEP: usize = 2;
const MODE: usize = 3;
const DONE: usize = 4;
/// Number of control words.
pub const WORDS: usize = DONE + MAX_WORKERS;

/// Command kinds.
const KIND_STEP: i32 = 1;
const KIND_STOP: i32 = 2;

/// What the test set gets at a step: nothing, parts shared by all workers, or all
/// parts by the followers (while the leader takes the progress measures).
const MODE_NONE: i32 = 0;
const MODE_SPLIT: i32 = 1;
const MODE_FOLLOWERS: i32 = 2;

/// Numbers per step parity: lr, wd, training pairs, then three per shard's stats and
/// three per test part's stats (loss, correct, count).
const NUMBERS: usize = 3 + 3 * SHARDS + 3 * TEST_PARTS;

/// Where everything lives in the shared memory of `workers` workers exchanging partial
/// gradients of `params` values (see [`crate::model::Model::partial_len`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplitLayout {
    /// Workers sharing each step (a power of two dividing [`SHARDS`]).
    pub workers: usize,
    /// Values in one partial gradient.
    pub params: usize,
}

impl SplitLayout {
    /// The layout, or why `workers` cannot split a step.
    pub fn new(workers: usize, params: usize) -> Result<SplitLayout, String> {
        if !workers.is_power_of_two() || workers > MAX_WORKERS {
            return Err(format!(
                "a step has {SHARDS} parts, which {workers} workers cannot share evenly (use 1, 2, 4 or 8)"
            ));
        }
        Ok(SplitLayout { workers, params })
    }

    /// Number of f64 numbers.
    pub fn numbers(&self) -> usize {
        2 * NUMBERS
    }

    /// Number of f32 values (one partial-gradient slot per worker and step parity).
    pub fn floats(&self) -> usize {
        2 * self.workers * self.params
    }

    /// Bytes of a buffer holding the words, then the numbers, then the floats.
    pub fn byte_length(&self) -> usize {
        Self::numbers_offset() + 8 * self.numbers() + 4 * self.floats()
    }

    /// Byte offset of the numbers (8-aligned).
    pub fn numbers_offset() -> usize {
        (4 * WORDS).div_ceil(8) * 8
    }

    /// Byte offset of the floats.
    pub fn floats_offset(&self) -> usize {
        Self::numbers_offset() + 8 * self.numbers()
    }

    /// The layout of a buffer of `bytes` bytes for `params` values, or why it does not fit.
    pub fn check_bytes(&self, bytes: usize) -> Result<(), String> {
        if bytes == self.byte_length() {
            Ok(())
        } else {
            Err(format!(
                "shared buffer has {bytes} bytes, {} workers on {} parameters need {}",
                self.workers,
                self.params,
                self.byte_length()
            ))
        }
    }

    /// The shards worker `w` computes.
    pub fn shards_of(&self, w: usize) -> std::ops::Range<usize> {
        let per = SHARDS / self.workers;
        w * per..(w + 1) * per
    }

    /// The worker that measures test part `part` in `mode`, if anyone does.
    fn test_owner(&self, part: usize, mode: i32) -> Option<usize> {
        match mode {
            MODE_SPLIT => Some(part * self.workers / TEST_PARTS),
            MODE_FOLLOWERS if self.workers > 1 => Some(1 + part * (self.workers - 1) / TEST_PARTS),
            MODE_FOLLOWERS => Some(0),
            _ => None,
        }
    }

    fn number(step: u64, i: usize) -> usize {
        (step % 2) as usize * NUMBERS + i
    }

    fn slot(&self, step: u64, worker: usize) -> usize {
        ((step % 2) as usize * self.workers + worker) * self.params
    }
}

fn write_stats(mem: &impl Shared, at: usize, s: BatchStats) {
    mem.set(at, s.loss);
    mem.set(at + 1, s.correct as f64);
    mem.set(at + 2, s.count as f64);
}

fn read_stats(mem: &impl Shared, at: usize) -> BatchStats {
    BatchStats {
        loss: mem.get(at),
        correct: mem.get(at + 1) as usize,
        count: mem.get(at + 2) as usize,
    }
}

/// One worker's view of the shared memory and its scratch space for the subtrees.
pub struct Worker<M: Shared> {
    mem: M,
    layout: SplitLayout,
    /// This worker's index (0: the leader).
    index: usize,
    /// One partial gradient per worker (its subtree's sum).
    grads: Vec<Vec<f32>>,
    /// The last command seen (followers).
    seen: i32,
}

impl<M: Shared> Worker<M> {
    /// Worker `index` of `layout.workers` on `mem` (a fresh buffer, all zero).
    pub fn new(mem: M, layout: SplitLayout, index: usize) -> Self {
        assert!(
            index < layout.workers,
            "worker {index} of {}",
            layout.workers
        );
        // A fresh buffer's command counter is 0: a follower made after the leader's
        // first command must still see that command as new.
        Worker {
            mem,
            layout,
            index,
            grads: vec![vec![0.0; layout.params]; layout.workers],
            seen: 0,
        }
    }

    /// Waits until every other worker has published step `step`.
    fn wait_for_others(&self, step: u64) -> Result<(), String> {
        let target = step as i32 + 1;
        let deadline = self.mem.now_ms() + PARTNER_TIMEOUT_MS;
        for w in (0..self.layout.workers).filter(|&w| w != self.index) {
            loop {
                let now = self.mem.load(DONE + w);
                if now >= target {
                    break;
                }
                let left = deadline - self.mem.now_ms();
                if left <= 0.0 {
                    return Err(if w == 0 {
                        "the leading training worker stopped responding".into()
                    } else {
                        "another training worker stopped responding".into()
                    });
                }
                self.mem.wait(DONE + w, now, left);
            }
        }
        Ok(())
    }

    /// Computes this worker's subtree and publishes it with its shards' stats.
    fn compute_mine(&mut self, trainer: &mut Trainer, step: u64) {
        let shards = self.layout.shards_of(self.index);
        let stats = trainer.subtree(shards.clone(), &mut self.grads[self.index]);
        self.mem
            .write(self.layout.slot(step, self.index), &self.grads[self.index]);
        for (shard, s) in shards.zip(stats) {
            write_stats(&self.mem, SplitLayout::number(step, 3 + 3 * shard), s);
        }
    }

    /// Measures this worker's test parts in `mode`, writing their stats.
    fn measure_mine(&self, trainer: &mut Trainer, step: u64, mode: i32) {
        for part in 0..TEST_PARTS {
            if self.layout.test_owner(part, mode) == Some(self.index) {
                let stats = trainer.evaluate_test_part(part);
                write_stats(
                    &self.mem,
                    SplitLayout::number(step, 3 + 3 * SHARDS + 3 * part),
                    stats,
                );
            }
        }
    }

    /// Reads the others' subtrees and takes the update (`lead`: record and measure).
    fn finish(
        &mut self,
        trainer: &mut Trainer,
        step: u64,
        mode: i32,
        lead: bool,
    ) -> Result<(), crate::TrainError> {
        for w in (0..self.layout.workers).filter(|&w| w != self.index) {
            self.mem.read(self.layout.slot(step, w), &mut self.grads[w]);
        }
        let stats: Vec<BatchStats> = (0..SHARDS)
            .map(|s| read_stats(&self.mem, SplitLayout::number(step, 3 + 3 * s)))
            .collect();
        let test = (lead && mode != MODE_NONE).then(|| {
            let parts: Vec<BatchStats> = (0..TEST_PARTS)
                .map(|part| {
                    read_stats(
                        &self.mem,
                        SplitLayout::number(step, 3 + 3 * SHARDS + 3 * part),
                    )
                })
                .collect();
            merge_all(&parts)
        });
        let grads: Vec<&[f32]> = self.grads.iter().map(|g| &g[..]).collect();
        trainer.step_with_subtrees(&grads, &stats, test, lead)
    }

    /// The leader's step: tells the followers what this step is, computes its share,
    /// waits for theirs and updates. An `Err` from a partner leaves the parameters
    /// untouched (the caller may go on alone); a divergence is the trainer's.
    pub fn lead_step(&mut self, trainer: &mut Trainer) -> Result<(), super::StepError> {
        assert_eq!(self.index, 0, "only worker 0 leads");
        if let Some(step) = trainer.diverged_at() {
            return Err(crate::TrainError::Diverged { step }.into());
        }
        let step = trainer.step_count();
        let config = trainer.config();
        self.mem.set(SplitLayout::number(step, 0), config.lr);
        self.mem.set(SplitLayout::number(step, 1), config.wd);
        self.mem.set(
            SplitLayout::number(step, 2),
            trainer.data().train.len() as f64,
        );
        let mode = match (trainer.records_now(), trainer.progress_due()) {
            (false, _) => MODE_NONE,
            (true, false) => MODE_SPLIT,
            (true, true) => MODE_FOLLOWERS,
        };
        self.mem.store(STEP, step as i32);
        self.mem.store(MODE, mode);
        self.issue(KIND_STEP);

        trainer.begin_split_step();
        self.compute_mine(trainer, step);
        self.mem.store(DONE, step as i32 + 1);
        self.measure_mine(trainer, step, mode);
        if mode == MODE_FOLLOWERS {
            trainer.prepare_progress();
        }
        self.wait_for_others(step)
            .map_err(super::StepError::Failed)?;
        self.finish(trainer, step, mode, true).map_err(Into::into)
    }

    fn issue(&mut self, kind: i32) {
        self.mem.store(KIND, kind);
        let cmd = self.mem.load(CMD).wrapping_add(1);
        self.mem.store(CMD, cmd);
    }

    /// Tells the followers to return from [`Worker::follow`] (before the leader hands
    /// them a new run, or goes away).
    pub fn stop(&mut self) {
        self.issue(KIND_STOP);
    }

    /// A follower's loop: takes its share of every step the leader asks for, until the
    /// leader calls [`Worker::stop`]; returns the number of steps taken. Errors: the
    /// divergence message (the leader diverges at the same step), or why following
    /// failed (the leader vanished mid-step, or asked for a step this copy is not at).
    pub fn follow(&mut self, trainer: &mut Trainer) -> Result<u32, String> {
        assert!(self.index > 0, "worker 0 leads");
        let mut taken = 0;
        loop {
            let cmd = loop {
                let cmd = self.mem.load(CMD);
                if cmd != self.seen {
                    break cmd;
                }
                self.mem.wait(CMD, cmd, f64::INFINITY);
            };
            self.seen = cmd;
            if self.mem.load(KIND) != KIND_STEP {
                return Ok(taken);
            }
            let step = trainer.step_count();
            let asked = self.mem.load(STEP);
            if asked != step as i32 {
                return Err(format!(
                    "the leader asked for step {asked}, this worker is at step {step}"
                ));
            }
            let lr = self.mem.get(SplitLayout::number(step, 0));
            let wd = self.mem.get(SplitLayout::number(step, 1));
            let pairs = self.mem.get(SplitLayout::number(step, 2)) as usize;
            if lr != trainer.config().lr || wd != trainer.config().wd {
                trainer.set_hyper(lr, wd).map_err(|e| e.to_string())?;
            }
            if pairs < trainer.data().train.len() {
                trainer.keep_train_pairs(pairs);
            }
            let mode = self.mem.load(MODE);
            trainer.begin_split_step();
            self.compute_mine(trainer, step);
            self.measure_mine(trainer, step, mode);
            self.mem.store(DONE + self.index, step as i32 + 1);
            self.wait_for_others(step)?;
            self.finish(trainer, step, mode, false)
                .map_err(|e| e.to_string())?;
            taken += 1;
        }
    }
}

/// [`Shared`] memory for native threads: atomics, and a condition variable for waits.
#[derive(Debug)]
pub struct LocalShared {
    words: Vec<std::sync::atomic::AtomicI32>,
    numbers: Vec<std::sync::atomic::AtomicU64>,
    floats: Vec<std::sync::atomic::AtomicU32>,
    lock: std::sync::Mutex<()>,
    changed: std::sync::Condvar,
    start: std::time::Instant,
}

impl LocalShared {
    /// Memory for `layout`, all zero.
    pub fn new(layout: SplitLayout) -> LocalShared {
        use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64};
        LocalShared {
            words: (0..WORDS).map(|_| AtomicI32::new(0)).collect(),
            numbers: (0..layout.numbers()).map(|_| AtomicU64::new(0)).collect(),
            floats: (0..layout.floats()).map(|_| AtomicU32::new(0)).collect(),
            lock: std::sync::Mutex::new(()),
            changed: std::sync::Condvar::new(),
            start: std::time::Instant::now(),
        }
    }
}

impl Shared for LocalShared {
    fn load(&self, i: usize) -> i32 {
        self.words[i].load(std::sync::atomic::Ordering::SeqCst)
    }

    fn store(&self, i: usize, value: i32) {
        self.words[i].store(value, std::sync::atomic::Ordering::SeqCst);
        // Taking the lock orders the store before any waiter's re-check.
        let _guard = self.lock.lock().expect("lock");
        self.changed.notify_all();
    }

    fn wait(&self, i: usize, seen: i32, timeout_ms: f64) {
        let guard = self.lock.lock().expect("lock");
        if self.load(i) != seen {
            return;
        }
        let timeout = std::time::Duration::from_secs_f64((timeout_ms / 1000.0).clamp(0.0, 3600.0));
        let _ = self.changed.wait_timeout(guard, timeout).expect("lock");
    }

    fn now_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1000.0
    }

    fn get(&self, i: usize) -> f64 {
        f64::from_bits(self.numbers[i].load(std::sync::atomic::Ordering::Relaxed))
    }

    fn set(&self, i: usize, value: f64) {
        self.numbers[i].store(value.to_bits(), std::sync::atomic::Ordering::Relaxed);
    }

    fn read(&self, at: usize, dst: &mut [f32]) {
        for (d, s) in dst.iter_mut().zip(&self.floats[at..]) {
            *d = f32::from_bits(s.load(std::sync::atomic::Ordering::Relaxed));
        }
    }

    fn write(&self, at: usize, src: &[f32]) {
        for (d, s) in self.floats[at..].iter().zip(src) {
            d.store(s.to_bits(), std::sync::atomic::Ordering::Relaxed);
        }
    }
}
