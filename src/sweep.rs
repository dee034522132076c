//! Phase diagrams: many short runs over a grid of two settings — weight decay × training
//! fraction by default, or any two of the [`Axis`] settings — each classified by what it
//! did within its step budget.
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

use crate::config::{Config, ConfigError};
use crate::engine::{Run, RunSpec, SpecError};
use crate::train::Trainer;
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

impl Phase {
    /// Compares by the order of the module documentation (confusion first).
    fn cmp_order(self, other: Phase) -> std::cmp::Ordering {
        (self as u8).cmp(&(other as u8))
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A setting a phase diagram can vary along one of its axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    /// Weight decay.
    Wd,
    /// Training fraction.
    Frac,
    /// Initialisation scale.
    InitScale,
    /// Fixed weight norm (Omnigrok's radius).
    FixNorm,
    /// Learning rate.
    Lr,
}

impl Axis {
    /// Every axis, in the order the CLI takes them (the first two given become the rows
    /// and the columns).
    pub const ALL: [Axis; 5] = [
        Axis::Wd,
        Axis::Frac,
        Axis::InitScale,
        Axis::FixNorm,
        Axis::Lr,
    ];

    /// The name in CSV headers, configs and links (`wd`, `frac`, `init_scale`, `fix_norm`,
    /// `lr`).
    pub fn name(self) -> &'static str {
        match self {
            Axis::Wd => "wd",
            Axis::Frac => "frac",
            Axis::InitScale => "init_scale",
            Axis::FixNorm => "fix_norm",
            Axis::Lr => "lr",
        }
    }

    /// What a reader reads on the axis.
    pub fn label(self) -> &'static str {
        match self {
            Axis::Wd => "weight decay",
            Axis::Frac => "training fraction",
            Axis::InitScale => "initialisation scale",
            Axis::FixNorm => "fixed weight norm",
            Axis::Lr => "learning rate",
        }
    }

    /// The CLI flag (`--wd`, `--frac`, `--init-scale`, `--fix-norm`, `--lr`).
    pub fn flag(self) -> String {
        format!("--{}", self.name().replace('_', "-"))
    }

    /// Sets this axis's setting of `config` to `value`.
    pub fn set(self, config: &mut Config, value: f64) {
        match self {
            Axis::Wd => config.wd = value,
            Axis::Frac => config.frac = value,
            Axis::InitScale => config.init_scale = value,
            Axis::FixNorm => config.fix_norm = Some(value),
            Axis::Lr => config.lr = value,
        }
    }

    /// This axis's setting in `config` (a fixed norm of none reads as 0).
    pub fn get(self, config: &Config) -> f64 {
        match self {
            Axis::Wd => config.wd,
            Axis::Frac => config.frac,
            Axis::InitScale => config.init_scale,
            Axis::FixNorm => config.fix_norm.unwrap_or(0.0),
            Axis::Lr => config.lr,
        }
    }
}

impl std::str::FromStr for Axis {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.replace('-', "_");
        Axis::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| format!("unknown axis '{s}' (use wd, frac, init_scale, fix_norm or lr)"))
    }
}

/// The two axes of a grid: rows (drawn bottom to top) and columns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// The setting along the rows, and its values.
    pub rows: (Axis, Vec<f64>),
    /// The setting along the columns, and its values.
    pub cols: (Axis, Vec<f64>),
}

impl Grid {
    /// Weight decay (rows) × training fraction (columns), the classic diagram.
    pub fn wd_frac(wds: &[f64], fracs: &[f64]) -> Grid {
        Grid {
            rows: (Axis::Wd, wds.to_vec()),
            cols: (Axis::Frac, fracs.to_vec()),
        }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.rows.1.len() * self.cols.1.len()
    }

    /// True for a grid without cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The outcome of one cell of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Weight decay of the run.
    pub wd: f64,
    /// Training fraction of the run.
    pub frac: f64,
    /// Learning rate of the run.
    #[serde(default)]
    pub lr: f64,
    /// Initialisation scale of the run.
    #[serde(default)]
    pub init_scale: f64,
    /// Fixed weight norm of the run, if any.
    #[serde(default)]
    pub fix_norm: Option<f64>,
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

impl Cell {
    /// The cell's value along `axis`.
    pub fn value(&self, axis: Axis) -> f64 {
        match axis {
            Axis::Wd => self.wd,
            Axis::Frac => self.frac,
            Axis::InitScale => self.init_scale,
            Axis::FixNorm => self.fix_norm.unwrap_or(0.0),
            Axis::Lr => self.lr,
        }
    }
}

/// A finished sweep as a file: the grid, the settings every cell shares, and every run's
/// outcome (rows outer, columns, seeds inner). `grok sweep --json` writes it; the page
/// shows the default model's (`www/phase-default.json`, made by `scripts/phase-data`)
/// until the reader computes a diagram live.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    /// The two axes.
    pub grid: Grid,
    /// The settings every cell shares (the axes' own values replaced per cell).
    pub base: Config,
    /// Runs per cell.
    pub seeds: u32,
    /// Step budget per run.
    pub steps: u64,
    /// Every run.
    pub cells: Vec<Cell>,
}

impl SweepResult {
    /// One outcome per grid cell from its seeds' runs: the phase most of them reached
    /// (ties go to the earlier phase in the order confusion, memorisation, grokking,
    /// comprehension — the more cautious claim), and the median step at which those that
    /// generalised did. `None` for a cell with no runs.
    pub fn by_cell(&self) -> Vec<Option<(Phase, Option<u64>)>> {
        let per = self.seeds.max(1) as usize;
        (0..self.grid.len())
            .map(|i| {
                let runs = self.cells.get(i * per..(i + 1) * per)?;
                let order = [
                    Phase::Confusion,
                    Phase::Memorisation,
                    Phase::Grokking,
                    Phase::Comprehension,
                ];
                let count = |p: Phase| runs.iter().filter(|c| c.phase == p).count();
                let phase = order
                    .into_iter()
                    .max_by(|&a, &b| count(a).cmp(&count(b)).then(b.cmp_order(a)))?;
                let mut gens: Vec<u64> = runs
                    .iter()
                    .filter(|c| c.phase == phase)
                    .filter_map(|c| c.steps_to_test_95)
                    .collect();
                gens.sort_unstable();
                Some((phase, gens.get(gens.len() / 2).copied()))
            })
            .collect()
    }
}

/// The run of a cell: `config` for at most `budget` steps, stopping once it generalises
/// (the engine's stop-when-grokked; a divergence stops it too).
pub fn cell_spec(config: Config, budget: u64) -> RunSpec {
    RunSpec {
        config,
        until: Some(budget),
        stop_when_grokked: true,
        ..RunSpec::default()
    }
}

/// Train `config` for at most `budget` steps (stopping once generalised) and classify it.
pub fn run_cell(config: &Config, budget: u64) -> Result<Cell, ConfigError> {
    let mut run = Run::new(cell_spec(config.clone(), budget)).map_err(|e| match e {
        SpecError::Config(e) => e,
        SpecError::Schedule(_) => unreachable!("a cell has no schedule"),
    })?;
    while run.advance(1000).stop.is_none() {}
    Ok(cell_of(run.trainer()))
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
        lr: config.lr,
        init_scale: config.init_scale,
        fix_norm: config.fix_norm,
        seed: config.seed,
        steps_to_train_99: trainer.memorised_at(),
        steps_to_test_95: trainer.grokked_at(),
        steps: trainer.step_count(),
        test_acc,
        phase: Phase::classify(trainer.memorised_at(), trainer.grokked_at()),
        diverged: trainer.diverged_at().is_some(),
    }
}

/// The configs of a grid, in row-major order (rows outer, columns, seeds inner).
pub fn grid(base: &Config, grid: &Grid, seeds: u32) -> Vec<Config> {
    let mut out = Vec::with_capacity(grid.len() * seeds as usize);
    for &row in &grid.rows.1 {
        for &col in &grid.cols.1 {
            for s in 0..seeds {
                let mut config = Config {
                    seed: base.seed + s,
                    ..base.clone()
                };
                grid.rows.0.set(&mut config, row);
                grid.cols.0.set(&mut config, col);
                out.push(config);
            }
        }
    }
    out
}

/// CSV of cells: `<rows>,<cols>,seed,steps_to_train_99,steps_to_test_95,phase` with the
/// axes' names as the first two headers (empty where a step is none).
pub fn to_csv(grid: &Grid, cells: &[Cell]) -> String {
    let opt = |x: Option<u64>| x.map_or(String::new(), |s| s.to_string());
    let (rows, cols) = (grid.rows.0, grid.cols.0);
    let mut out = format!(
        "{},{},seed,steps_to_train_99,steps_to_test_95,phase\n",
        rows.name(),
        cols.name()
    );
    for c in cells {
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            c.value(rows),
            c.value(cols),
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
    fn seeds_vote_on_a_cell() {
        let cell = |phase, gen| Cell {
            wd: 1.0,
            frac: 0.3,
            lr: 0.01,
            init_scale: 1.0,
            fix_norm: None,
            seed: 0,
            steps_to_train_99: Some(70),
            steps_to_test_95: gen,
            steps: 2000,
            test_acc: 0.0,
            phase,
            diverged: false,
        };
        let result = SweepResult {
            grid: Grid::wd_frac(&[1.0], &[0.3, 0.5]),
            base: Config::default(),
            seeds: 3,
            steps: 2000,
            cells: vec![
                cell(Phase::Grokking, Some(1300)),
                cell(Phase::Grokking, Some(1100)),
                cell(Phase::Memorisation, None),
                cell(Phase::Memorisation, None),
                cell(Phase::Grokking, Some(900)),
                cell(Phase::Comprehension, Some(120)),
            ],
        };
        assert_eq!(
            result.by_cell(),
            vec![
                Some((Phase::Grokking, Some(1300))),
                Some((Phase::Memorisation, None)),
            ]
        );
    }

    #[test]
    fn grid_is_row_major_with_consecutive_seeds() {
        let base = Config {
            seed: 5,
            ..Config::default()
        };
        let g = grid(&base, &Grid::wd_frac(&[0.0, 1.0], &[0.3, 0.5, 0.7]), 2);
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
            lr: 0.01,
            init_scale: 2.0,
            fix_norm: None,
            seed: 1,
            steps_to_train_99: Some(80),
            steps_to_test_95: None,
            steps: 3000,
            test_acc: 0.01,
            phase: Phase::Memorisation,
            diverged: false,
        };
        assert_eq!(
            to_csv(&Grid::wd_frac(&[0.0], &[0.3]), std::slice::from_ref(&cell)),
            "wd,frac,seed,steps_to_train_99,steps_to_test_95,phase\n0,0.3,1,80,,memorisation\n"
        );
        let other = Grid {
            rows: (Axis::InitScale, vec![2.0]),
            cols: (Axis::Wd, vec![0.0]),
        };
        assert_eq!(
            to_csv(&other, &[cell]),
            "init_scale,wd,seed,steps_to_train_99,steps_to_test_95,phase\n2,0,1,80,,memorisation\n"
        );
    }
}
