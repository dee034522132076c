//! Sentences for readers and screen readers.
//!
//! The words the page shows or announces beside a figure — the worked example of the task,
//! what the network does with a pair — are built here from the crate's values, in one
//! place, so they can be read and reworded without opening a drawing function. Labels
//! drawn *inside* a figure (tick labels, legends, "k = 7") stay with their figure in
//! [`crate::plots`].
//!
//! Still elsewhere, to join this module: the run outlines (`RunOutline` and
//! `comparison_summary` in [`crate::train`]) and the scrubber's frame summary
//! (`frame_summary` in [`crate::analysis`]).

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
