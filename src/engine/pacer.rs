//! Time slicing for workers: how many steps to take before yielding, so that a worker's
//! messages (pause, a slider, cancel) are answered within one slice and a slice is long
//! enough that yielding costs nothing measurable.
//!
//! JavaScript owns the clock: it passes the measured milliseconds in; this keeps the
//! estimate.

/// Steps per slice from a running estimate of the time per step.
#[derive(Clone, Debug, PartialEq)]
pub struct Pacer {
    /// Target duration of one slice, in milliseconds.
    slice_ms: f64,
    /// Exponential moving average of milliseconds per step (None before the first).
    ms_per_step: Option<f64>,
}

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

    /// The current estimate of milliseconds per step.
    pub fn ms_per_step(&self) -> Option<f64> {
        self.ms_per_step
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
}
