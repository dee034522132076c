//! The phase diagram's bindings: `CellRun`, one cell trained in time slices by a phase
//! worker (`www/phase-worker.js`), and `PhaseFigure`, the grid the page draws.

use super::canvas::draw_on;
use super::{from_js, parse_config, to_js};
use crate::config::Config;
use crate::engine::{Run, RunSpec};
use crate::plots::{self, PhaseCell, PhaseGrid, PhaseLayout, Theme};
use crate::sweep::{self, Axis, Cell, Grid};
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

/// One cell of a phase diagram: the run and stop rule of [`sweep::run_cell`] (stop at
/// the budget or once generalised), taken a slice at a time so that Cancel is prompt.
#[wasm_bindgen]
#[derive(Debug)]
pub struct CellRun {
    run: Run,
}

impl CellRun {
    /// The outcome so far (final once [`CellRun::done`]).
    pub fn outcome(&self) -> Cell {
        sweep::cell_of(self.run.trainer())
    }
}

#[wasm_bindgen]
impl CellRun {
    /// Validates `config` (a plain object, as for `check_config`) and starts the cell
    /// with a budget of `budget` steps.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, budget: u32) -> Result<CellRun, JsError> {
        let spec = sweep::cell_spec(parse_config(config)?, u64::from(budget));
        let run = Run::new(spec).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(CellRun { run })
    }

    /// Takes up to `max_steps` more steps (fewer if the run ends); returns whether it is
    /// over (budget spent, generalised, or diverged).
    pub fn run(&mut self, max_steps: u32) -> bool {
        self.run.advance(max_steps);
        self.done()
    }

    /// Steps taken so far.
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> f64 {
        self.run.step() as f64
    }

    /// Whether the run is over.
    #[wasm_bindgen(getter)]
    pub fn done(&self) -> bool {
        self.run.stop_due().is_some()
    }

    /// The classified outcome, as a plain object (see [`Cell`]).
    pub fn cell(&self) -> Result<JsValue, JsError> {
        to_js(&self.outcome())
    }
}

/// The page's phase diagram: the grid and the state of each cell, drawn on demand.
#[wasm_bindgen]
#[derive(Clone, Debug)]
pub struct PhaseFigure {
    grid: Grid,
    cells: Vec<PhaseCell>,
}

impl PhaseFigure {
    /// The cells' states, in grid order.
    pub fn cells(&self) -> &[PhaseCell] {
        &self.cells
    }

    /// Records a finished cell.
    pub fn set_outcome(&mut self, index: usize, cell: &Cell) {
        if let Some(slot) = self.cells.get_mut(index) {
            *slot = PhaseCell::Done {
                phase: cell.phase,
                gen: cell.steps_to_test_95,
            };
        }
    }

    fn with_grid(grid: Grid) -> PhaseFigure {
        let n = grid.len();
        PhaseFigure {
            grid,
            cells: vec![PhaseCell::Pending; n],
        }
    }
}

#[wasm_bindgen]
impl PhaseFigure {
    /// An empty grid of `wds` (rows, bottom to top) × `fracs` (columns), all cells pending.
    #[wasm_bindgen(constructor)]
    pub fn new(wds: Vec<f64>, fracs: Vec<f64>) -> PhaseFigure {
        PhaseFigure::with_grid(Grid::wd_frac(&wds, &fracs))
    }

    /// An empty grid of any two settings: `row_axis` and `col_axis` are names of
    /// [`Axis`] (`wd`, `frac`, `init_scale`, `fix_norm`, `lr`). Throws for an unknown name
    /// or the same axis twice.
    pub fn with_axes(
        row_axis: &str,
        rows: Vec<f64>,
        col_axis: &str,
        cols: Vec<f64>,
    ) -> Result<PhaseFigure, JsError> {
        let (r, c) = (parse_axis(row_axis)?, parse_axis(col_axis)?);
        if r == c {
            return Err(JsError::new("the two axes must be different settings"));
        }
        Ok(PhaseFigure::with_grid(Grid {
            rows: (r, rows),
            cols: (c, cols),
        }))
    }

    /// A finished diagram read from a sweep file (`grok sweep --json`, e.g. the page's
    /// precomputed `phase-default.json`): each cell shows the phase most of its seeds
    /// reached (see [`sweep::SweepResult::by_cell`]). Throws if the file is not a sweep.
    pub fn from_sweep(result: JsValue) -> Result<PhaseFigure, JsError> {
        let result: sweep::SweepResult = from_js(result)?;
        let mut figure = PhaseFigure::with_grid(result.grid.clone());
        for (slot, cell) in figure.cells.iter_mut().zip(result.by_cell()) {
            if let Some((phase, gen)) = cell {
                *slot = PhaseCell::Done { phase, gen };
            }
        }
        Ok(figure)
    }

    /// The configs of every cell (rows outer, columns, seeds inner), from `base` (a config
    /// object) with the two axes' values set; each validated. Throws with the first bad
    /// cell's message.
    pub fn configs(&self, base: JsValue, seeds: u32) -> Result<JsValue, JsError> {
        let base: Config = from_js(base)?;
        let configs = sweep::grid(&base, &self.grid, seeds.max(1));
        for c in &configs {
            c.validate().map_err(|e| {
                JsError::new(&format!(
                    "{} {}, {} {}: {e}",
                    self.grid.rows.0.label(),
                    self.grid.rows.0.get(c),
                    self.grid.cols.0.label(),
                    self.grid.cols.0.get(c)
                ))
            })?;
        }
        to_js(&configs)
    }

    /// Marks cell `index` (grid order: rows outer) as being trained.
    pub fn set_running(&mut self, index: usize) {
        if let Some(slot) = self.cells.get_mut(index) {
            *slot = PhaseCell::Running;
        }
    }

    /// Marks cell `index` as not started (after a Cancel).
    pub fn set_pending(&mut self, index: usize) {
        if let Some(slot) = self.cells.get_mut(index) {
            *slot = PhaseCell::Pending;
        }
    }

    /// Records cell `index`'s outcome, the object a phase worker got from
    /// [`CellRun::cell`].
    pub fn set_cell(&mut self, index: usize, cell: JsValue) -> Result<(), JsError> {
        let cell: Cell = from_js(cell)?;
        self.set_outcome(index, &cell);
        Ok(())
    }

    /// Draws the diagram (see [`plots::draw_phase_diagram`]).
    pub fn draw(&self, canvas: HtmlCanvasElement, scale: f64, dark: bool) -> Result<(), JsError> {
        let grid = PhaseGrid {
            rows: &self.grid.rows.1,
            cols: &self.grid.cols.1,
            row_label: self.grid.rows.0.label(),
            col_label: self.grid.cols.0.label(),
            cells: &self.cells,
        };
        draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_phase_diagram(area, &grid, theme)
        })
    }

    /// The cell under the canvas pixel (x, y) of a `width × height` canvas drawn at
    /// `scale`, if any: what the reader clicked.
    pub fn cell_at(&self, width: u32, height: u32, scale: f64, x: f64, y: f64) -> Option<usize> {
        let theme = Theme { scale, dark: false };
        PhaseLayout::new(
            width,
            height,
            self.grid.rows.1.len(),
            self.grid.cols.1.len(),
            &theme,
        )?
        .cell_at(x, y)
    }
}

fn parse_axis(name: &str) -> Result<Axis, JsError> {
    name.parse::<Axis>().map_err(|e| JsError::new(&e))
}

/// The settings a phase diagram can vary: `[{name, label}]`.
#[wasm_bindgen]
pub fn phase_axes() -> Result<JsValue, JsError> {
    #[derive(serde::Serialize)]
    struct AxisInfo {
        name: &'static str,
        label: &'static str,
    }
    to_js(
        &Axis::ALL
            .iter()
            .map(|a| AxisInfo {
                name: a.name(),
                label: a.label(),
            })
            .collect::<Vec<_>>(),
    )
}

/// The spec of a phase-diagram cell (see [`sweep::cell_spec`]), for JS that wants to
/// show it.
#[wasm_bindgen]
pub fn cell_spec(config: JsValue, budget: u32) -> Result<JsValue, JsError> {
    let spec: RunSpec = sweep::cell_spec(parse_config(config)?, u64::from(budget));
    to_js(&spec)
}
