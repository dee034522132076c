//! Sentences for readers and screen readers.
//!
//! The words the page shows or announces beside a figure — the worked example of the task,
//! what the network does with a pair — are built here from the crate's values, in one
//! place, so they can be read and reworded without opening a drawing function. Labels
//! drawn *inside* a figure (tick labels, legends, "k = 7") stay with their figure in
//! [`crate::plots`].
//!
//! Here too: what a run is doing and how two runs compare ([`RunOutline`],
//! [`comparison_summary`]), and what the embedding looks like at one moment
//! ([`frame_summary`]).

use crate::analysis::{ranked_frequencies, Spectrum};
use crate::history::Point;
use crate::plots::{PairKind, PairTable, TaskExample};
use crate::task::Op;

/// The worked example, e.g. "a + b = 45 + 60 = 105 ≡ 8 (mod 97)",
/// "a − b = 3 − 10 = −7 ≡ 90 (mod 97)", "a ÷ b = 5 ÷ 3 ≡ 5 · 65 = 325 ≡ 34 (mod 97)"
/// (65 is the inverse of 3, see [`inverse_note`]). The plain value is left out when it is
/// already the answer: "a + b = 3 + 4 = 7 (mod 97)". The clock figure writes it under the
/// clock ([`TaskExample::caption`]).
pub fn worked_example(example: &TaskExample) -> String {
    let (a, b, p) = (example.a as i64, example.b as i64, example.p as i64);
    let (terms, value) = match example.op {
        Op::Add => (format!("{a} + {b}"), a + b),
        Op::Sub => (format!("{a} − {b}"), a - b),
        Op::Mul => (format!("{a} · {b}"), a * b),
        Op::Div => {
            let inv = example.inverse_of_b() as i64;
            (format!("{a} ÷ {b} ≡ {a} · {inv}"), a * inv)
        }
        Op::X2y2 => (format!("{a}² + {b}²"), a * a + b * b),
        Op::X2xyy2 => (format!("{a}² + {a}·{b} + {b}²"), a * a + a * b + b * b),
    };
    let value_text = if value < 0 {
        format!("−{}", -value)
    } else {
        value.to_string()
    };
    let formula = example.op.formula();
    if value == example.answer as i64 {
        format!("{formula} = {terms} = {value_text} (mod {p})")
    } else {
        format!(
            "{formula} = {terms} = {value_text} ≡ {} (mod {p})",
            example.answer
        )
    }
}

/// A second line where the worked example needs one: for division, where the inverse
/// comes from ("65 is the inverse of 3: 3 · 65 ≡ 1"); `None` for the other operations.
pub fn inverse_note(example: &TaskExample) -> Option<String> {
    (example.op == Op::Div).then(|| {
        let inv = example.inverse_of_b();
        format!(
            "{inv} is the inverse of {b}: {b} · {inv} ≡ 1",
            b = example.b
        )
    })
}

/// The sentence beside the task figures: the worked example for (a, b), whether the
/// network trains on that pair, and the size of the split, e.g. "a + b = 3 + 5 = 8
/// (mod 97). The network trains on this pair: it is one of the 2,823 training pairs
/// (30% of 9,409); the other 6,586 are the test set." Errors as [`TaskExample::new`].
pub fn pair_summary(table: &PairTable, a: u32, b: u32) -> Result<String, String> {
    let example = TaskExample::new(table.p, table.op, a, b)?;
    let (train, test) = (table.count(PairKind::Train), table.count(PairKind::Test));
    let total = train + test;
    let whose = match table.kind(a, b) {
        Some(PairKind::Train) => "The network trains on this pair: it is one of the",
        _ => "The network never sees this pair during training; it learns from the",
    };
    Ok(format!(
        "{}. {whose} {} training pairs ({}% of {}); the other {} are the test set.",
        worked_example(&example),
        format_count(train),
        (100.0 * train as f64 / total.max(1) as f64).round(),
        format_count(total),
        format_count(test),
    ))
}

/// An integer with thousands separators: 9409 → "9,409".
pub fn format_count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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

/// A share (0..1) as a percentage for a sentence (see [`percent`]).
fn pct(share: f64) -> String {
    percent(share)
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

/// A share (0..1) as a whole percentage ("22%"), with one decimal below 1 % and between
/// 99 and 100 % so that neither rounds to a misleading 0 or 100.
pub fn percent(share: f64) -> String {
    if !share.is_finite() {
        return "–".into();
    }
    let x = 100.0 * share;
    if (x > 0.0 && x < 1.0) || (x > 99.0 && x < 100.0) {
        let s = format!("{:.1}%", (x * 10.0).floor() / 10.0);
        if s == "0.0%" {
            "less than 0.1%".into()
        } else {
            s
        }
    } else {
        format!("{}%", x.round())
    }
}

/// One sentence describing the embedding at one moment, for screen readers: the step, the
/// three strongest frequencies with their shares of the non-constant energy, how many key
/// frequencies hold how much, and the Gini coefficient. E.g. "Step 1200: the strongest
/// frequencies are 14 (22% of the energy), 35 (18%) and 41 (12%); 9 key frequencies hold
/// 93%; Gini coefficient 0.62."
pub fn frame_summary(step: u64, spectrum: &Spectrum) -> String {
    let total: f64 = spectrum
        .energy
        .iter()
        .skip(1)
        .filter(|e| e.is_finite())
        .sum();
    if total.is_nan() || total <= 0.0 {
        return format!("Step {step}: the embedding has no non-constant energy yet.");
    }
    let top: Vec<(usize, f64)> = ranked_frequencies(&spectrum.energy)
        .into_iter()
        .take(3)
        .map(|k| (k, spectrum.energy[k] / total))
        .collect();
    let parts: Vec<String> = top
        .iter()
        .enumerate()
        .map(|(i, &(k, share))| {
            if i == 0 {
                format!("{k} ({} of the energy)", percent(share))
            } else {
                format!("{k} ({})", percent(share))
            }
        })
        .collect();
    let list = match parts.len() {
        1 => format!("the strongest frequency is {}", parts[0]),
        2 => format!(
            "the strongest frequencies are {} and {}",
            parts[0], parts[1]
        ),
        _ => format!(
            "the strongest frequencies are {}, {} and {}",
            parts[0], parts[1], parts[2]
        ),
    };
    let n = spectrum.keys.len();
    let keys = if n == 1 {
        format!("1 key frequency holds {}", percent(spectrum.key_share))
    } else {
        format!("{n} key frequencies hold {}", percent(spectrum.key_share))
    };
    format!(
        "Step {step}: {list}; {keys}; Gini coefficient {:.2}.",
        spectrum.gini
    )
}
