//! The phase diagram's bindings: `CellRun`, one cell trained in time slices by a phase
//! worker (`www/phase-worker.js`), and `PhaseFigure`, the grid the page draws.

use super::canvas::draw_on;
use super::{from_js, parse_config, to_js};
use crate::engine::{Run, RunSpec};
use crate::plots::{self, PhaseCell, PhaseGrid, PhaseLayout, Theme};
use crate::sweep::{self, Cell};
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
#[derive(Clone, Debug, Default)]
pub struct PhaseFigure {
    wds: Vec<f64>,
    fracs: Vec<f64>,
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
}

#[wasm_bindgen]
impl PhaseFigure {
    /// An empty grid of `wds` (rows, bottom to top) × `fracs` (columns), all cells pending.
    #[wasm_bindgen(constructor)]
    pub fn new(wds: Vec<f64>, fracs: Vec<f64>) -> PhaseFigure {
        let n = wds.len() * fracs.len();
        PhaseFigure {
            wds,
            fracs,
            cells: vec![PhaseCell::Pending; n],
        }
    }

    /// Marks cell `index` (grid order: weight decay outer) as being trained.
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
            wds: &self.wds,
            fracs: &self.fracs,
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
        PhaseLayout::new(width, height, self.wds.len(), self.fracs.len(), &theme)?.cell_at(x, y)
    }
}

/// The spec of a phase-diagram cell (see [`sweep::cell_spec`]), for JS that wants to
/// show it.
#[wasm_bindgen]
pub fn cell_spec(config: JsValue, budget: u32) -> Result<JsValue, JsError> {
    let spec: RunSpec = sweep::cell_spec(parse_config(config)?, u64::from(budget));
    to_js(&spec)
}
