//! The phase diagram: weight decay × training fraction, each cell one run, coloured and
//! labelled by its phase (confusion, memorisation, grokking, comprehension; see
//! [`crate::sweep`]).
//!
//! The page fills the grid live from its workers, so a cell can also be pending or
//! running ([`PhaseCell`]). [`PhaseLayout`] says where the cells lie without measuring any
//! text, so the page's hit-testing of a click and the drawing agree exactly.

use super::chart::{measure, text_width, DrawResult};
use super::format::{format_number, format_step};
use super::theme::{phase_color, Theme, PHASE_INK};
use crate::sweep::Phase;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The short label written in a cell, so that colour is never the only cue.
pub fn phase_abbrev(phase: Phase) -> &'static str {
    match phase {
        Phase::Confusion => "conf",
        Phase::Memorisation => "mem",
        Phase::Grokking => "grok",
        Phase::Comprehension => "comp",
    }
}

/// The state of one cell of a phase diagram being computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PhaseCell {
    /// Not started.
    #[default]
    Pending,
    /// Being trained now.
    Running,
    /// Finished and classified.
    Done {
        /// The run's phase.
        phase: Phase,
        /// The step at which it generalised, if it did.
        gen: Option<u64>,
    },
}

/// A grid of two settings — by default weight decay (rows) × training fraction (columns),
/// or any two of [`crate::sweep::Axis`]; `cells` in the row-major order of
/// [`crate::sweep::grid`] (rows outer): cell `i_row * cols.len() + i_col`.
#[derive(Clone, Copy, Debug)]
pub struct PhaseGrid<'a> {
    /// The rows' values, increasing (drawn bottom to top), e.g. weight decays.
    pub rows: &'a [f64],
    /// The columns' values, increasing (drawn left to right), e.g. training fractions.
    pub cols: &'a [f64],
    /// What the rows vary, as the axis reads ("weight decay").
    pub row_label: &'a str,
    /// What the columns vary ("training fraction").
    pub col_label: &'a str,
    /// The cells.
    pub cells: &'a [PhaseCell],
}

/// Where the cells of a phase diagram lie in the figure (pixels from its top-left): so the
/// page can tell which cell was clicked. It depends only on the figure's size, the theme
/// and the grid's shape, never on measured text, so drawing and hit-testing agree exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhaseLayout {
    /// Left edge of the grid.
    pub left: f64,
    /// Top edge of the grid.
    pub top: f64,
    /// Width of one cell.
    pub cell_w: f64,
    /// Height of one cell.
    pub cell_h: f64,
    /// Number of rows: the weight decays.
    pub rows: usize,
    /// Number of columns: the training fractions.
    pub cols: usize,
}

impl PhaseLayout {
    /// Below this width (CSS pixels) the legend takes two rows.
    const NARROW: f64 = 520.0;

    /// The layout of a `rows × cols` grid in a `w × h` figure; `None` when it is too small.
    pub fn new(w: u32, h: u32, rows: usize, cols: usize, theme: &Theme) -> Option<PhaseLayout> {
        let s = theme.s();
        let left = 92.0 * s; // wd tick labels and the rotated description
                             // The legend strip: one row, or two on a narrow figure (a phone).
        let top = if (w as f64) < Self::NARROW * s {
            62.0 * s
        } else {
            40.0 * s
        };
        let bottom = 50.0 * s; // frac tick labels and the description
        let right = 12.0 * s;
        let gw = w as f64 - left - right;
        let gh = h as f64 - top - bottom;
        if rows == 0 || cols == 0 || gw < 40.0 * s || gh < 30.0 * s {
            return None;
        }
        Some(PhaseLayout {
            left,
            top,
            cell_w: gw / cols as f64,
            cell_h: gh / rows as f64,
            rows,
            cols,
        })
    }

    /// The index of the cell (in grid order) under the point (x, y), if any. Row 0 (the
    /// first weight decay) is at the bottom.
    pub fn cell_at(&self, x: f64, y: f64) -> Option<usize> {
        let c = ((x - self.left) / self.cell_w).floor();
        let r = ((y - self.top) / self.cell_h).floor();
        if !(c >= 0.0 && r >= 0.0 && (c as usize) < self.cols && (r as usize) < self.rows) {
            return None;
        }
        let row = self.rows - 1 - r as usize;
        Some(row * self.cols + c as usize)
    }

    /// The pixel rectangle of cell (row, col): (x0, y0, x1, y1).
    fn rect(&self, row: usize, col: usize) -> (i32, i32, i32, i32) {
        let r = (self.rows - 1 - row) as f64;
        let x0 = self.left + col as f64 * self.cell_w;
        let y0 = self.top + r * self.cell_h;
        (
            x0.round() as i32,
            y0.round() as i32,
            (x0 + self.cell_w).round() as i32,
            (y0 + self.cell_h).round() as i32,
        )
    }
}

/// A phase diagram: one square per (weight decay, training fraction), filled with its
/// phase's colour and labelled with its abbreviation ("conf", "mem", "grok", "comp") and,
/// where it generalised, the step (e.g. "@850"), so colour is never the only cue. Pending
/// cells are empty outlines; running cells are shaded with "…". A legend strip above names
/// the phases; weight decay runs up the left (0 at the bottom), training fraction along
/// the bottom. Cells sit where [`PhaseLayout::new`] puts them.
pub fn draw_phase_diagram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    grid: &PhaseGrid,
    theme: &Theme,
) -> DrawResult<DB> {
    let pal = theme.palette();
    area.fill(&pal.background)?;
    let (w, h) = area.dim_in_pixel();
    let (rows, cols) = (grid.rows.len(), grid.cols.len());
    let Some(layout) = PhaseLayout::new(w, h, rows, cols, theme) else {
        return Ok(());
    };
    let text = theme.font(theme.text_size(), pal.text);
    let tick = theme.font(theme.tick_size(), pal.muted);
    let gap = theme.px(6.0);

    // Legend strip: one row, or two rows of two on a narrow figure.
    let sw = theme.px(12.0);
    let narrow = (w as f64) < PhaseLayout::NARROW * theme.s();
    let half = ((w as f64 - layout.left) / 2.0).max(0.0) as i32;
    let mut x = layout.left as i32;
    for (i, phase) in [
        Phase::Confusion,
        Phase::Memorisation,
        Phase::Grokking,
        Phase::Comprehension,
    ]
    .into_iter()
    .enumerate()
    {
        let name = phase.name();
        let tw = text_width(area, name, &text)?;
        let (lx, cy) = if narrow {
            (
                layout.left as i32 + (i as i32 % 2) * half,
                theme.px(18.0) + (i as i32 / 2) * theme.px(22.0),
            )
        } else {
            (x, theme.px(18.0))
        };
        area.draw(&Rectangle::new(
            [(lx, cy - sw / 2), (lx + sw, cy + sw / 2)],
            phase_color(phase).filled(),
        ))?;
        let style = text.pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text(name, &style, (lx + sw + gap, cy))?;
        x += sw + gap + tw + 3 * gap;
    }

    // Cells.
    let cells_len = grid.cells.len();
    let fits = |s: &str, style: &TextStyle, room: i32| -> Result<bool, _> {
        Ok::<bool, DrawingAreaErrorKind<DB::ErrorType>>(text_width(area, s, style)? + 4 <= room)
    };
    let label = theme.font(theme.note_size(), PHASE_INK);
    // Line spacing from the font size, not a measured height (plotters' native estimate
    // of a text's height is too small, and the canvas and SVG should agree).
    let note_h = (theme.note_size() * 1.25).round() as i32;
    for row in 0..rows {
        for col in 0..cols {
            let i = row * cols + col;
            let cell = if i < cells_len {
                grid.cells[i]
            } else {
                PhaseCell::Pending
            };
            let (x0, y0, x1, y1) = layout.rect(row, col);
            let inner = [(x0 + 1, y0 + 1), (x1 - 1, y1 - 1)];
            let (cx, cy) = ((x0 + x1) / 2, (y0 + y1) / 2);
            let room = x1 - x0 - 2;
            match cell {
                PhaseCell::Pending => {
                    area.draw(&Rectangle::new(
                        inner,
                        ShapeStyle::from(pal.bar).stroke_width(theme.stroke(1.0)),
                    ))?;
                }
                PhaseCell::Running => {
                    area.draw(&Rectangle::new(inner, pal.grid.filled()))?;
                    let style = theme
                        .font(theme.note_size(), pal.text)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    area.draw_text("…", &style, (cx, cy))?;
                }
                PhaseCell::Done { phase, gen } => {
                    area.draw(&Rectangle::new(inner, phase_color(phase).filled()))?;
                    let name = phase_abbrev(phase);
                    let step = gen.map(|g| format!("@{}", format_step(g as f64)));
                    let two_lines = step.is_some() && (y1 - y0) >= 2 * note_h + theme.px(4.0);
                    if fits(name, &label, room)? {
                        let style = label.pos(Pos::new(HPos::Center, VPos::Center));
                        let y = if two_lines { cy - note_h / 2 } else { cy };
                        area.draw_text(name, &style, (cx, y))?;
                    }
                    if let (true, Some(step)) = (two_lines, step) {
                        if fits(&step, &label, room)? {
                            let style = label.pos(Pos::new(HPos::Center, VPos::Center));
                            area.draw_text(&step, &style, (cx, cy + note_h / 2 + 1))?;
                        }
                    }
                }
            }
        }
    }

    // Axes: tick labels at cell centres, descriptions.
    let grid_left = layout.left as i32;
    let grid_bottom = (layout.top + rows as f64 * layout.cell_h).round() as i32;
    let grid_right = (layout.left + cols as f64 * layout.cell_w).round() as i32;
    let (_, tick_h) = measure(area, "0", &tick)?;
    let every = |room: f64, need: f64| ((need / room.max(1.0)).ceil() as usize).max(1);
    let row_step = every(layout.cell_h, tick_h as f64 * 1.2);
    for (row, &wd) in grid.rows.iter().enumerate() {
        if row % row_step != 0 {
            continue;
        }
        let (_, y0, _, y1) = layout.rect(row, 0);
        let style = tick.pos(Pos::new(HPos::Right, VPos::Center));
        area.draw_text(&format_number(wd), &style, (grid_left - gap, (y0 + y1) / 2))?;
    }
    let widest = grid
        .cols
        .iter()
        .map(|&f| text_width(area, &format_number(f), &tick))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .max()
        .unwrap_or(0);
    let col_step = every(layout.cell_w, widest as f64 + gap as f64);
    for (col, &frac) in grid.cols.iter().enumerate() {
        if col % col_step != 0 {
            continue;
        }
        let (x0, _, x1, _) = layout.rect(0, col);
        let style = tick.pos(Pos::new(HPos::Center, VPos::Top));
        area.draw_text(
            &format_number(frac),
            &style,
            ((x0 + x1) / 2, grid_bottom + gap),
        )?;
    }
    let desc = text.pos(Pos::new(HPos::Center, VPos::Top));
    area.draw_text(
        grid.col_label,
        &desc,
        (
            (grid_left + grid_right) / 2,
            grid_bottom + gap + tick_h + gap,
        ),
    )?;
    let rotated = text
        .transform(FontTransform::Rotate270)
        .pos(Pos::new(HPos::Center, VPos::Top));
    area.draw_text(
        grid.row_label,
        &rotated,
        (theme.px(8.0), (layout.top as i32 + grid_bottom) / 2),
    )?;
    Ok(())
}
