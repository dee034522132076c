//! Phase diagrams: many short runs over a grid of weight decay × training fraction, each
//! classified by what it did within its step budget.
//!
//! Liu et al. (2022, "Towards Understanding Grokking") and Liu, Michaud & Tegmark (2023,
//! "Omnigrok") sort runs into four phases. Our rule, on the first step with train accuracy
//! ≥ 99% (`fit`) and the first recorded step with test accuracy ≥ 95% (`gen`):
//! - **confusion**: never fits the training set (`fit` is none);
//! - **memorisation**: fits, never generalises (`gen` is none);
//! - **grokking**: generalises much later than it fits: `gen ≥ 2·fit` and `gen − fit ≥ 100`;
//! - **comprehension**: fits and generalises together (otherwise).
//!
//! A run stops as soon as it has generalised, so cells that grok early are cheap.

use crate::train::{Config, ConfigError, Trainer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a run did within its budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Never fit the training set.
    Confusion,
    /// Fit the training set, never generalised.
    Memorisation,
    /// Generalised long after fitting.
    Grokking,
    /// Fit and generalised at about the same time.
    Comprehension,
}

impl Phase {
    /// Lower-case name (`confusion`, `memorisation`, `grokking`, `comprehension`).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Confusion => "confusion",
            Phase::Memorisation => "memorisation",
            Phase::Grokking => "grokking",
            Phase::Comprehension => "comprehension",
        }
    }

    /// The rule of the module documentation.
    pub fn classify(fit: Option<u64>, gen: Option<u64>) -> Phase {
        match (fit, gen) {
            (None, _) => Phase::Confusion,
            (Some(_), None) => Phase::Memorisation,
            (Some(fit), Some(gen)) if gen >= 2 * fit && gen.saturating_sub(fit) >= 100 => {
                Phase::Grokking
            }
            _ => Phase::Comprehension,
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The outcome of one cell of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Weight decay of the run.
    pub wd: f64,
    /// Training fraction of the run.
    pub frac: f64,
    /// Seed of the run.
    pub seed: u32,
    /// First step with train accuracy ≥ 99%.
    pub steps_to_train_99: Option<u64>,
    /// First recorded step with test accuracy ≥ 95%.
    pub steps_to_test_95: Option<u64>,
    /// Steps actually taken.
    pub steps: u64,
    /// Final test accuracy.
    pub test_acc: f64,
    /// The phase by [`Phase::classify`].
    pub phase: Phase,
    /// Whether the run diverged (classified as confusion if it never fit).
    pub diverged: bool,
}

/// Train `config` for at most `budget` steps (stopping once generalised) and classify it.
pub fn run_cell(config: &Config, budget: u64) -> Result<Cell, ConfigError> {
    let mut trainer = Trainer::new(config.clone())?;
    while !cell_finished(&trainer, budget) {
        // A divergence is kept by the trainer and ends the cell through `cell_finished`.
        trainer.step().ok();
    }
    Ok(cell_of(&trainer))
}

/// Whether a cell's run is over: the budget is spent, the run has generalised, or it has
/// diverged (the stop rule of [`run_cell`], shared with the page's time-sliced runner in
/// `web`).
pub fn cell_finished(trainer: &Trainer, budget: u64) -> bool {
    trainer.step_count() >= budget
        || trainer.grokked_at().is_some()
        || trainer.diverged_at().is_some()
}

/// The outcome of a finished (or diverged) run as a classified [`Cell`].
pub fn cell_of(trainer: &Trainer) -> Cell {
    let config = trainer.config();
    let test_acc = trainer
        .history()
        .points
        .last()
        .map_or(0.0, |pt| pt.test_acc);
    Cell {
        wd: config.wd,
        frac: config.frac,
        seed: config.seed,
        steps_to_train_99: trainer.memorised_at(),
        steps_to_test_95: trainer.grokked_at(),
        steps: trainer.step_count(),
        test_acc,
        phase: Phase::classify(trainer.memorised_at(), trainer.grokked_at()),
        diverged: trainer.diverged_at().is_some(),
    }
}

/// The configs of a grid, in row-major order (weight decay outer, fraction, seed inner).
pub fn grid(base: &Config, wds: &[f64], fracs: &[f64], seeds: u32) -> Vec<Config> {
    let mut out = Vec::with_capacity(wds.len() * fracs.len() * seeds as usize);
    for &wd in wds {
        for &frac in fracs {
            for s in 0..seeds {
                out.push(Config {
                    wd,
                    frac,
                    seed: base.seed + s,
                    ..base.clone()
                });
            }
        }
    }
    out
}

/// CSV of cells: `wd,frac,seed,steps_to_train_99,steps_to_test_95,phase` (empty where a
/// step is none).
pub fn to_csv(cells: &[Cell]) -> String {
    let opt = |x: Option<u64>| x.map_or(String::new(), |s| s.to_string());
    let mut out = String::from("wd,frac,seed,steps_to_train_99,steps_to_test_95,phase\n");
    for c in cells {
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            c.wd,
            c.frac,
            c.seed,
            opt(c.steps_to_train_99),
            opt(c.steps_to_test_95),
            c.phase
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_rule_on_hand_made_outcomes() {
        assert_eq!(Phase::classify(None, None), Phase::Confusion);
        assert_eq!(
            Phase::classify(None, Some(500)),
            Phase::Confusion,
            "cannot generalise without fitting"
        );
        assert_eq!(Phase::classify(Some(75), None), Phase::Memorisation);
        assert_eq!(Phase::classify(Some(75), Some(1250)), Phase::Grokking);
        assert_eq!(Phase::classify(Some(60), Some(300)), Phase::Grokking);
        assert_eq!(
            Phase::classify(Some(60), Some(110)),
            Phase::Comprehension,
            "under 2×"
        );
        assert_eq!(
            Phase::classify(Some(30), Some(90)),
            Phase::Comprehension,
            "3× but only 60 steps later"
        );
        assert_eq!(
            Phase::classify(Some(200), Some(150)),
            Phase::Comprehension,
            "generalised first"
        );
    }

    #[test]
    fn grid_is_row_major_with_consecutive_seeds() {
        let base = Config {
            seed: 5,
            ..Config::default()
        };
        let g = grid(&base, &[0.0, 1.0], &[0.3, 0.5, 0.7], 2);
        assert_eq!(g.len(), 12);
        assert_eq!((g[0].wd, g[0].frac, g[0].seed), (0.0, 0.3, 5));
        assert_eq!((g[1].wd, g[1].frac, g[1].seed), (0.0, 0.3, 6));
        assert_eq!((g[2].wd, g[2].frac), (0.0, 0.5));
        assert_eq!((g[6].wd, g[6].frac), (1.0, 0.3));
    }

    #[test]
    fn csv_leaves_missing_steps_empty() {
        let cell = Cell {
            wd: 0.0,
            frac: 0.3,
            seed: 1,
            steps_to_train_99: Some(80),
            steps_to_test_95: None,
            steps: 3000,
            test_acc: 0.01,
            phase: Phase::Memorisation,
            diverged: false,
        };
        assert_eq!(
            to_csv(&[cell]),
            "wd,frac,seed,steps_to_train_99,steps_to_test_95,phase\n0,0.3,1,80,,memorisation\n"
        );
    }
}
