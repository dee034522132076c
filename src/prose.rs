//! Sentences for readers and screen readers: what a run is doing, how two runs compare.
//!
//! Every sentence the page shows about a run is written here, in one voice, from the
//! numbers the engine recorded; the page only places them (an aria-live summary beside
//! each figure, captions).

use crate::history::Point;

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

/// A share (0..1) as a percentage for a sentence (see [`crate::analysis::percent`]).
fn pct(share: f64) -> String {
    crate::analysis::percent(share)
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
