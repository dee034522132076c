//! Time slicing for workers: how many steps to take before yielding, so that a worker's
//! messages (pause, a slider, cancel) are answered within one slice and a slice is long
//! enough that yielding costs nothing measurable.
//!
//! JavaScript owns the clock: it passes the measured milliseconds in; this keeps the
//! estimate, and the run's speed as a reader sees it (steps per second of wall time over
//! the last second, [`Pacer::rate`]).

use std::collections::VecDeque;

/// Steps per slice from a running estimate of the time per step.
#[derive(Clone, Debug, PartialEq)]
pub struct Pacer {
    /// Target duration of one slice, in milliseconds.
    slice_ms: f64,
    /// Exponential moving average of milliseconds per step (None before the first).
    ms_per_step: Option<f64>,
    /// Recent (time in ms, step) samples for [`Pacer::rate`].
    samples: VecDeque<(f64, u64)>,
}

/// The window [`Pacer::rate`] measures steps per second over, in milliseconds.
pub const RATE_WINDOW_MS: f64 = 1000.0;

impl Pacer {
    /// Slices of about `slice_ms` milliseconds (the page uses 30).
    pub fn new(slice_ms: f64) -> Pacer {
        Pacer {
            slice_ms: if slice_ms.is_finite() && slice_ms > 0.0 {
                slice_ms
            } else {
                30.0
            },
            ms_per_step: None,
            samples: VecDeque::new(),
        }
    }

    /// How many steps the next slice should take (1 until a step has been timed).
    pub fn steps(&self) -> u32 {
        match self.ms_per_step {
            Some(ms) if ms > 0.0 => (self.slice_ms / ms).round().clamp(1.0, 100_000.0) as u32,
            Some(_) => 100_000,
            None => 1,
        }
    }

    /// Records that `steps` steps took `ms` milliseconds.
    pub fn record(&mut self, steps: u32, ms: f64) {
        if steps == 0 || !ms.is_finite() || ms < 0.0 {
            return;
        }
        let per = ms / steps as f64;
        self.ms_per_step = Some(match self.ms_per_step {
            None => per,
            Some(old) => 0.7 * old + 0.3 * per,
        });
    }

    /// The current estimate of milliseconds per step (of the worker's compute time).
    pub fn ms_per_step(&self) -> Option<f64> {
        self.ms_per_step
    }

    /// The run stands at `step` at time `now_ms` (wall clock): returns its steps per second
    /// over about the last [`RATE_WINDOW_MS`] (0 until two samples are apart in time).
    pub fn rate(&mut self, now_ms: f64, step: u64) -> f64 {
        if !now_ms.is_finite() {
            return 0.0;
        }
        if self
            .samples
            .back()
            .is_some_and(|&(t, s)| now_ms < t || step < s)
        {
            self.samples.clear(); // the clock or the run went back: start again
        }
        self.samples.push_back((now_ms, step));
        while self.samples.len() > 2 && now_ms - self.samples[1].0 >= RATE_WINDOW_MS {
            self.samples.pop_front();
        }
        let (t0, s0) = self.samples[0];
        if now_ms > t0 {
            (step - s0) as f64 * 1000.0 / (now_ms - t0)
        } else {
            0.0
        }
    }

    /// Forgets the samples of [`Pacer::rate`] (training paused: the pause is not slowness).
    pub fn reset_rate(&mut self) {
        self.samples.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_slices_from_the_measured_speed() {
        let mut p = Pacer::new(30.0);
        assert_eq!(p.steps(), 1);
        p.record(1, 6.0);
        assert_eq!(p.steps(), 5);
        p.record(10, 30.0); // 3 ms a step now: 0.7·6 + 0.3·3 = 5.1
        assert_eq!(p.steps(), 6);
        p.record(0, 100.0);
        assert_eq!(p.ms_per_step(), Some(0.7 * 6.0 + 0.3 * 3.0));
    }

    #[test]
    fn rate_is_steps_per_second_over_the_last_second() {
        let mut p = Pacer::new(30.0);
        assert_eq!(p.rate(0.0, 0), 0.0);
        assert_eq!(p.rate(500.0, 100), 200.0);
        assert_eq!(p.rate(1000.0, 300), 300.0);
        // Samples older than a second drop out: 1500 ms − 500 ms, steps 100 → 700.
        assert_eq!(p.rate(1500.0, 700), 600.0);
        p.reset_rate();
        assert_eq!(p.rate(2000.0, 700), 0.0);
        assert_eq!(p.rate(2100.0, 720), 200.0);
        // A new run (step back to 0) starts the window again.
        assert_eq!(p.rate(2200.0, 0), 0.0);
    }
}
