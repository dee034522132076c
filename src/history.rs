//! What a run records: metrics at log-spaced steps, mid-run changes, and the hidden
//! progress measures.
//!
//! A [`History`] grows with the logarithm of a run's length (every step to 100, then 180
//! points a decade), so a run of millions of steps keeps a few thousand points; the page
//! receives it in increments (see [`crate::engine::Snapshot`]) and exports it as CSV or
//! JSON.

use crate::analysis::Progress;
use serde::{Deserialize, Serialize};

/// Train accuracy at which the run counts as having memorised its training set.
pub const MEMORISED: f64 = 0.99;
/// Test accuracy at which the run counts as having generalised ("grokked").
pub const GROKKED: f64 = 0.95;

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

/// A change during a run, drawn on the curves: new learning rate or weight decay, or the
/// training set cut down (ungrokking).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The first step taken with the new values.
    pub step: u64,
    /// Learning rate from this step on.
    pub lr: f64,
    /// Weight decay from this step on.
    pub wd: f64,
    /// When the training set was cut at this step: the fraction of its pairs kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrink: Option<f64>,
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
    /// without a Fourier answer variable (see [`crate::analysis::answer_variable`]).
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

    /// Adds a mid-run change (a second change at the same step replaces the first).
    pub fn push_event(&mut self, event: Event) {
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
                shrink: None,
            });
        }
        assert_eq!(h.events.len(), History::MAX_EVENTS);
        assert_eq!(h.events.last().unwrap().wd, 9999.0);
    }
}
