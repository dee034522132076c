//! The task itself, before any training: arithmetic modulo p as a clock with a worked
//! example, and the p × p table of all pairs coloured by a run's train/test split.
//!
//! [`TaskExample`] is one checked example (a ∘ b) mod p and [`PairTable`] the split of
//! every pair; the sentences the page shows beside these figures are built in
//! [`crate::prose`]. [`PairsLayout`], like the phase diagram's layout, says where the cells
//! lie without measuring text, so hovering and drawing agree.

use super::chart::{layout_legend, measure, text_width, DrawResult};
use super::theme::{
    Theme, ANSWER_COLOR, A_COLOR, B_COLOR, FONT, PAIR_TEST_COLOR, PAIR_TRAIN_COLOR,
};
use crate::prose;
use crate::task::{is_prime, pow_mod, Dataset, Op};
use crate::train::{Config, ConfigError};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One worked example of the task, checked: (a ∘ b) mod p.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskExample {
    /// The modulus.
    pub p: u32,
    /// The operation.
    pub op: Op,
    /// Left operand, 0..p.
    pub a: u32,
    /// Right operand, 0..p.
    pub b: u32,
    /// (a ∘ b) mod p.
    pub answer: u32,
}

impl TaskExample {
    /// Checks the example with the messages the rest of the crate uses: p out of range
    /// and a composite modulus for division as [`ConfigError`] words them, a or b out of
    /// range, and b = 0 for division.
    pub fn new(p: u32, op: Op, a: u32, b: u32) -> Result<TaskExample, String> {
        if !(3..=257).contains(&p) {
            return Err(ConfigError::ModulusOutOfRange { p }.to_string());
        }
        if op.needs_prime() && !is_prime(p) {
            return Err(ConfigError::CompositeModulus { p, op }.to_string());
        }
        if a >= p || b >= p {
            return Err(format!("a and b must be whole numbers from 0 to {}", p - 1));
        }
        if !op.admits(a, b) {
            return Err(format!("{} is not defined for b = 0", op.formula()));
        }
        Ok(TaskExample {
            p,
            op,
            a,
            b,
            answer: op.apply(a, b, p),
        })
    }

    /// As [`TaskExample::new`], with the operation by name (`add`, `sub`, …); an unknown
    /// name gets [`Op`]'s parse error.
    pub fn parse(p: u32, op: &str, a: u32, b: u32) -> Result<TaskExample, String> {
        TaskExample::new(p, op.parse::<Op>()?, a, b)
    }

    /// The worked example, e.g. "a + b = 45 + 60 = 105 ≡ 8 (mod 97)" (see
    /// [`prose::worked_example`]).
    pub fn caption(&self) -> String {
        prose::worked_example(self)
    }

    /// A second line where the caption needs one: for division, where the inverse comes
    /// from (see [`prose::inverse_note`]).
    pub fn note(&self) -> Option<String> {
        prose::inverse_note(self)
    }

    /// b⁻¹ mod p (Fermat), for division.
    pub(crate) fn inverse_of_b(&self) -> u32 {
        pow_mod(self.b as u64, self.p as u64 - 2, self.p as u64) as u32
    }
}

/// A "nice" label spacing (1, 2, 5, 10, 20, 50, 100, …) of at least `min`.
fn nice_step(min: f64) -> usize {
    let mut base = 1usize;
    loop {
        for m in [1, 2, 5] {
            if (m * base) as f64 >= min {
                return m * base;
            }
        }
        base *= 10;
        if base > 1_000_000 {
            return base;
        }
    }
}

/// Arithmetic modulo p drawn as a clock: p positions round a ring, 0 at the top, counting
/// clockwise, with the numbers written at a readable subset of them (every one for small
/// p; every 2nd, 5th, 10th, … when they would crowd). The example's a (blue dot), b
/// (orange square) and answer (vermillion ring, with a hand from the centre) are marked
/// and numbered in their colours; for addition an arc steps b places on from a (for
/// subtraction, back), so the wrap past 0 is visible. A legend strip on top names the
/// marks; the caption below works the example ([`TaskExample::caption`], and for division
/// [`TaskExample::note`]).
pub fn draw_task_clock<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    example: &TaskExample,
    theme: &Theme,
) -> DrawResult<DB> {
    let pal = theme.palette();
    area.fill(&pal.background)?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let text = theme.font(theme.text_size(), pal.text);
    let margin = theme.px(10.0);
    let gap = theme.px(6.0);
    let line_h = (theme.text_size() * 1.35).round() as i32;
    let p = example.p as usize;
    let (a, b, ans) = (
        example.a as usize,
        example.b as usize,
        example.answer as usize,
    );

    // The legend's entries, wrapped into rows when the figure is narrow.
    let answer_name = format!("{} (answer)", example.op.formula());
    let entries = [
        (format!("a = {a}"), A_COLOR),
        (format!("b = {b}"), B_COLOR),
        (format!("{answer_name} = {ans}"), ANSWER_COLOR),
    ];
    let sw = theme.px(11.0);
    let widths = entries
        .iter()
        .map(|(label, _)| Ok((text_width(area, label, &text)?, 0)))
        .collect::<Result<Vec<_>, _>>()?;
    let legend_pos = layout_legend(&widths, margin, w - margin, sw, gap);
    let legend_rows = legend_pos.iter().map(|&(_, r)| r + 1).max().unwrap_or(1) as i32;
    let legend_h = legend_rows * line_h + gap;

    // The caption: the worked example, split before its value when it is too wide, and
    // for division the note on the inverse.
    let caption = example.caption();
    let mut lines = vec![caption.clone()];
    if text_width(area, &caption, &text)? > w - 2 * margin {
        if let Some(i) = caption.rfind(" = ") {
            lines = vec![caption[..i].to_string(), caption[i + 1..].to_string()];
        }
    }
    let note = example.note();
    let caption_lines = lines.len() as i32 + i32::from(note.is_some());
    let caption_h = caption_lines * line_h + gap;

    // Numbers round the ring: room for the widest ("256") outside the ticks.
    let tick_font = theme.font(theme.tick_size(), pal.muted);
    let (num_w, num_h) = measure(area, &(p - 1).to_string(), &tick_font)?;
    let pad = num_w.max(num_h) + theme.px(10.0);
    let avail_w = w - 2 * margin;
    let avail_h = h - legend_h - caption_h - 2 * margin;
    let radius = (avail_w.min(avail_h) / 2 - pad) as f64;
    if radius < 30.0 * theme.s() {
        return Ok(());
    }
    let cx = w as f64 / 2.0;
    let cy = (margin + legend_h) as f64 + avail_h as f64 / 2.0 + margin as f64 / 2.0;
    let at = |n: f64, r: f64| {
        let t = std::f64::consts::TAU * n / p as f64;
        (cx + r * t.sin(), cy - r * t.cos())
    };
    let ipt = |(x, y): (f64, f64)| (x.round() as i32, y.round() as i32);

    // The ring and one tick per position.
    let ring_style = ShapeStyle::from(pal.muted).stroke_width(theme.stroke(1.0));
    let ring: Vec<(i32, i32)> = (0..=360)
        .map(|i| ipt(at(i as f64 * p as f64 / 360.0, radius)))
        .collect();
    area.draw(&PathElement::new(ring, ring_style))?;
    let circumference = std::f64::consts::TAU * radius;
    let spacing = circumference / p as f64;
    let every = nice_step((num_w.max(num_h) as f64 * 1.6) / spacing.max(1e-9));
    let tick_style = ShapeStyle::from(pal.muted).stroke_width(theme.stroke(1.0));
    if spacing >= 2.0 * theme.s() {
        for n in 0..p {
            let long = n % every == 0;
            let len = theme.s() * if long { 7.0 } else { 4.0 };
            area.draw(&PathElement::new(
                vec![ipt(at(n as f64, radius - len)), ipt(at(n as f64, radius))],
                tick_style,
            ))?;
        }
    }

    // Marks: the answer's hand first, then the arc, then the dots.
    let hand = ShapeStyle::from(ANSWER_COLOR).stroke_width(theme.stroke(2.0));
    area.draw(&PathElement::new(
        vec![ipt((cx, cy)), ipt(at(ans as f64, radius * 0.82))],
        hand,
    ))?;
    area.draw(&Circle::new(
        ipt((cx, cy)),
        theme.stroke(3.0),
        pal.text.filled(),
    ))?;
    let arc = match example.op {
        Op::Add if b > 0 => Some((a as f64, a as f64 + b as f64)),
        Op::Sub if b > 0 => Some((a as f64, a as f64 - b as f64)),
        _ => None,
    };
    if let Some((from, to)) = arc {
        let r = radius * 0.9;
        let n = ((to - from).abs() * 360.0 / p as f64).ceil().max(2.0) as usize;
        let pts: Vec<(i32, i32)> = (0..=n)
            .map(|i| ipt(at(from + (to - from) * i as f64 / n as f64, r)))
            .collect();
        let style = ShapeStyle::from(B_COLOR).stroke_width(theme.stroke(2.5));
        area.draw(&PathElement::new(pts, style))?;
        // An arrowhead at the end, along the arc.
        let dir = if to > from { 1.0 } else { -1.0 };
        let tip = at(to, r);
        let back = at(to - dir * 0.6 * (p as f64 / 60.0).max(0.5), r);
        let (dx, dy) = (tip.0 - back.0, tip.1 - back.1);
        let len = dx.hypot(dy).max(1e-9);
        let (ux, uy) = (dx / len, dy / len);
        let s = 6.0 * theme.s();
        let head = vec![
            ipt(tip),
            ipt((tip.0 - s * ux - s * 0.6 * uy, tip.1 - s * uy + s * 0.6 * ux)),
            ipt((tip.0 - s * ux + s * 0.6 * uy, tip.1 - s * uy - s * 0.6 * ux)),
        ];
        area.draw(&Polygon::new(head, B_COLOR.filled()))?;
    }
    let dot = theme.stroke(5.0) as i32;
    area.draw(&Circle::new(
        ipt(at(ans as f64, radius)),
        dot + theme.px(3.0),
        ShapeStyle::from(ANSWER_COLOR).stroke_width(theme.stroke(2.5)),
    ))?;
    area.draw(&Circle::new(
        ipt(at(a as f64, radius)),
        dot,
        A_COLOR.filled(),
    ))?;
    let (bx, by) = ipt(at(b as f64, radius));
    let sq = dot - theme.px(1.0);
    area.draw(&Rectangle::new(
        [(bx - sq, by - sq), (bx + sq, by + sq)],
        B_COLOR.filled(),
    ))?;

    // Numbers: the marked ones in their colours (one colour-neutral label when two marks
    // share a position), the regular subset where it does not crowd them.
    let marked: Vec<(usize, RGBColor)> = {
        let mut v: Vec<(usize, RGBColor)> = Vec::new();
        for (n, color) in [(a, A_COLOR), (b, B_COLOR), (ans, ANSWER_COLOR)] {
            match v.iter_mut().find(|(m, _)| *m == n) {
                Some(slot) => slot.1 = pal.text,
                None => v.push((n, color)),
            }
        }
        v
    };
    let near = |n: usize, m: usize| {
        let d = n.abs_diff(m);
        d.min(p - d) * 2 < every.max(2)
    };
    let label_r = radius + theme.px(8.0) as f64 + num_w.max(num_h) as f64 / 2.0;
    for n in (0..p).step_by(every) {
        if marked.iter().any(|&(m, _)| near(n, m)) {
            continue;
        }
        let style = tick_font.pos(Pos::new(HPos::Center, VPos::Center));
        area.draw_text(&n.to_string(), &style, ipt(at(n as f64, label_r)))?;
    }
    let bold = FontDesc::new(FONT, theme.text_size(), FontStyle::Bold);
    // Neighbouring marks (a = 96, b = 1 and answer 0 at p = 97) would print their numbers
    // over each other: a later one moves outward until it is clear of the earlier ones.
    let mut placed: Vec<((f64, f64), (f64, f64))> = Vec::new();
    for &(n, color) in &marked {
        let style = TextStyle::from(bold.clone())
            .color(&color)
            .pos(Pos::new(HPos::Center, VPos::Center));
        let label = n.to_string();
        let (tw, th) = measure(area, &label, &style)?;
        let size = (
            tw as f64 + theme.px(4.0) as f64,
            th as f64 + theme.px(2.0) as f64,
        );
        let mut r = label_r;
        let mut c = at(n as f64, r);
        for _ in 0..3 {
            let clash = placed.iter().any(|&((x, y), (pw, ph))| {
                (c.0 - x).abs() * 2.0 < size.0 + pw && (c.1 - y).abs() * 2.0 < size.1 + ph
            });
            if !clash {
                break;
            }
            r += size.1.max(size.0 * 0.6);
            c = at(n as f64, r);
        }
        placed.push((c, size));
        area.draw_text(&label, &style, ipt(c))?;
    }

    // Legend strip: what the marks are.
    for (i, ((label, color), &(x, row))) in entries.iter().zip(&legend_pos).enumerate() {
        let ly = margin / 2 + line_h / 2 + row as i32 * line_h;
        let c = (x + sw / 2, ly);
        match i {
            0 => area.draw(&Circle::new(c, (sw / 2) as u32, color.filled()))?,
            1 => area.draw(&Rectangle::new(
                [(x, ly - sw / 2), (x + sw, ly + sw / 2)],
                color.filled(),
            ))?,
            _ => area.draw(&Circle::new(
                c,
                (sw / 2) as u32,
                ShapeStyle::from(*color).stroke_width(theme.stroke(2.0)),
            ))?,
        }
        let style = text.pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text(label, &style, (x + sw + gap, ly))?;
    }

    // Caption: the worked example.
    let style = text.pos(Pos::new(HPos::Center, VPos::Center));
    let mut y = h - margin / 2 - caption_h + gap + line_h / 2;
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            y += line_h;
        }
        area.draw_text(line, &style, (w / 2, y))?;
    }
    if let Some(note) = note {
        y += line_h;
        let style = theme
            .font(theme.note_size(), pal.muted)
            .pos(Pos::new(HPos::Center, VPos::Center));
        area.draw_text(&note, &style, (w / 2, y))?;
    }
    Ok(())
}

/// What a pair of the task is for one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairKind {
    /// In the training set.
    Train,
    /// In the test set.
    Test,
    /// Not part of the task (b = 0 for division).
    Excluded,
}

/// Every pair (a, b) of a run's task: which are trained on, which tested, which excluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairTable {
    /// The modulus.
    pub p: u32,
    /// The operation.
    pub op: Op,
    /// Row-major p × p (row a, column b).
    pub kinds: Vec<PairKind>,
}

impl PairTable {
    /// The table of exactly this split (see [`Dataset::new`]).
    pub fn from_dataset(data: &Dataset) -> PairTable {
        let p = data.p as usize;
        let mask = data.train_mask();
        let kinds = (0..p * p)
            .map(|i| {
                let (a, b) = ((i / p) as u32, (i % p) as u32);
                if !data.op.admits(a, b) {
                    PairKind::Excluded
                } else if mask[i] {
                    PairKind::Train
                } else {
                    PairKind::Test
                }
            })
            .collect();
        PairTable {
            p: data.p,
            op: data.op,
            kinds,
        }
    }

    /// The table of a (valid) config's split.
    pub fn from_config(config: &Config) -> PairTable {
        Self::from_dataset(&Dataset::new(config.p, config.op, config.frac, config.seed))
    }

    /// How many pairs are of `kind`.
    pub fn count(&self, kind: PairKind) -> usize {
        self.kinds.iter().filter(|&&k| k == kind).count()
    }

    /// The kind of (a, b), if both are in 0..p.
    pub fn kind(&self, a: u32, b: u32) -> Option<PairKind> {
        (a < self.p && b < self.p).then(|| self.kinds[(a * self.p + b) as usize])
    }

    /// The sentence beside the task figures for the pair (a, b) (see
    /// [`prose::pair_summary`]). Errors as [`TaskExample::new`].
    pub fn summary(&self, a: u32, b: u32) -> Result<String, String> {
        prose::pair_summary(self, a, b)
    }
}

/// Where the cells of the pairs table lie (pixels from the figure's top-left), so the page
/// can tell which pair is under the pointer. Like [`PhaseLayout`](super::PhaseLayout), it depends only on the
/// figure's size, the theme and p — never on measured text or the operation — so drawing
/// and hit-testing agree exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairsLayout {
    /// Left edge of the grid (column b = 0).
    pub left: f64,
    /// Top edge of the grid (row a = 0).
    pub top: f64,
    /// Side of one (square) cell.
    pub cell: f64,
    /// The modulus: p rows and p columns.
    pub p: u32,
    /// Whether the legend is stacked one entry per row (a narrow figure).
    pub narrow: bool,
}

impl PairsLayout {
    /// Below this width (CSS pixels) the legend is stacked.
    const NARROW: f64 = 520.0;
    /// Room left of the grid for the a numbers (CSS pixels).
    const LABELS_LEFT: f64 = 40.0;
    /// Room above the grid for the b numbers.
    const LABELS_TOP: f64 = 22.0;

    /// The layout of the p × p table in a `w × h` figure (device pixels at `theme`'s
    /// scale); `None` when it is too small or p is 0.
    pub fn new(w: u32, h: u32, p: u32, theme: &Theme) -> Option<PairsLayout> {
        let s = theme.s();
        let narrow = (w as f64) < Self::NARROW * s;
        let legend = if narrow { 3.0 * 20.0 + 8.0 } else { 30.0 } * s;
        let (margin, labels_left, labels_top) =
            (8.0 * s, Self::LABELS_LEFT * s, Self::LABELS_TOP * s);
        let gw = w as f64 - labels_left - 2.0 * margin;
        let gh = h as f64 - legend - labels_top - margin;
        if p == 0 || gw < 40.0 * s || gh < 40.0 * s {
            return None;
        }
        let cell = (gw / p as f64).min(gh / p as f64);
        // The grid and its labels, centred horizontally.
        let block = labels_left + cell * p as f64;
        let left = ((w as f64 - block) / 2.0).max(margin) + labels_left;
        Some(PairsLayout {
            left,
            top: legend + labels_top,
            cell,
            p,
            narrow,
        })
    }

    /// The pair (a, b) under the point (x, y), if any: row a, column b.
    pub fn pair_at(&self, x: f64, y: f64) -> Option<(u32, u32)> {
        let b = ((x - self.left) / self.cell).floor();
        let a = ((y - self.top) / self.cell).floor();
        let p = self.p as f64;
        (a >= 0.0 && b >= 0.0 && a < p && b < p).then_some((a as u32, b as u32))
    }

    /// The centre of cell (a, b).
    pub fn center(&self, a: u32, b: u32) -> (f64, f64) {
        (
            self.left + (b as f64 + 0.5) * self.cell,
            self.top + (a as f64 + 0.5) * self.cell,
        )
    }

    /// The pixel rectangle of cell (a, b) extended to column `b_end` (exclusive):
    /// (x0, y0, x1, y1).
    fn rect(&self, a: u32, b: u32, b_end: u32) -> (i32, i32, i32, i32) {
        let x0 = self.left + b as f64 * self.cell;
        let y0 = self.top + a as f64 * self.cell;
        (
            x0.round() as i32,
            y0.round() as i32,
            (self.left + b_end as f64 * self.cell).round() as i32,
            (y0 + self.cell).round() as i32,
        )
    }
}

/// Every pair (a, b) of the task as a p × p table — a down the left, b along the top —
/// each cell coloured by what the run does with it: training pairs in
/// [`PAIR_TRAIN_COLOR`], test pairs in [`PAIR_TEST_COLOR`], pairs outside the task (b = 0
/// for division) in the theme's bar grey ([`Palette::bar`](super::Palette::bar)). The
/// legend on top names them with their counts ("training pairs (2823)"). `highlight` (a, b), if given and in range, is outlined and
/// its numbers on both axes are written out. Cells sit where [`PairsLayout::new`] puts
/// them; big cells get a hairline gap between them.
pub fn draw_task_pairs<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    table: &PairTable,
    highlight: Option<(u32, u32)>,
    theme: &Theme,
) -> DrawResult<DB> {
    let pal = theme.palette();
    area.fill(&pal.background)?;
    let (w, h) = area.dim_in_pixel();
    let p = table.p;
    let Some(layout) = PairsLayout::new(w, h, p, theme) else {
        return Ok(());
    };
    if table.kinds.len() != (p * p) as usize {
        return Ok(());
    }
    let text = theme.font(theme.text_size(), pal.text);
    let tick = theme.font(theme.tick_size(), pal.muted);
    let gap = theme.px(6.0);
    let color = |k: PairKind| match k {
        PairKind::Train => PAIR_TRAIN_COLOR,
        PairKind::Test => PAIR_TEST_COLOR,
        PairKind::Excluded => pal.bar,
    };

    // Cells: one rectangle each when they are big enough to show a gap; otherwise runs of
    // equal cells along a row as one rectangle (p = 257 would be 66 049 cells).
    let separate = layout.cell >= 6.0 * theme.s();
    for a in 0..p {
        let row = &table.kinds[(a * p) as usize..((a + 1) * p) as usize];
        let mut b = 0;
        while b < p {
            let kind = row[b as usize];
            let mut end = b + 1;
            while !separate && end < p && row[end as usize] == kind {
                end += 1;
            }
            let (x0, y0, x1, y1) = layout.rect(a, b, end);
            let shrink = i32::from(separate);
            area.draw(&Rectangle::new(
                [(x0, y0), (x1 - shrink, y1 - shrink)],
                color(kind).filled(),
            ))?;
            b = end;
        }
    }

    // Axis numbers: a readable subset, the highlighted pair's own numbers in full.
    let (num_w, num_h) = measure(area, &(p.saturating_sub(1)).to_string(), &tick)?;
    let row_every = nice_step(num_h as f64 * 1.3 / layout.cell);
    let col_every = nice_step((num_w + gap) as f64 / layout.cell);
    let hl = highlight.filter(|&(a, b)| a < p && b < p);
    let near = |n: u32, m: Option<u32>, every: usize| {
        m.is_some_and(|m| (n.abs_diff(m) as usize) * 2 < every.max(2))
    };
    let grid_left = layout.left.round() as i32;
    let grid_top = layout.top.round() as i32;
    for a in (0..p).step_by(row_every) {
        if near(a, hl.map(|h| h.0), row_every) {
            continue;
        }
        let (_, y) = layout.center(a, 0);
        let style = tick.pos(Pos::new(HPos::Right, VPos::Center));
        area.draw_text(&a.to_string(), &style, (grid_left - gap, y.round() as i32))?;
    }
    for b in (0..p).step_by(col_every) {
        if near(b, hl.map(|h| h.1), col_every) {
            continue;
        }
        let (x, _) = layout.center(0, b);
        let style = tick.pos(Pos::new(HPos::Center, VPos::Bottom));
        area.draw_text(
            &b.to_string(),
            &style,
            (x.round() as i32, grid_top - gap / 2),
        )?;
    }
    // The corner says which way is which.
    let corner = theme
        .font(theme.tick_size(), pal.text)
        .pos(Pos::new(HPos::Right, VPos::Bottom));
    area.draw_text("a \\ b", &corner, (grid_left - gap, grid_top - gap / 2))?;

    if let Some((a, b)) = hl {
        let (x0, y0, x1, y1) = layout.rect(a, b, b + 1);
        let o = theme.px(2.0);
        let outline = |c: RGBColor, extra: i32, width: f64| {
            Rectangle::new(
                [
                    (x0 - o - extra, y0 - o - extra),
                    (x1 + o + extra, y1 + o + extra),
                ],
                ShapeStyle::from(c).stroke_width(theme.stroke(width)),
            )
        };
        // A ring in the text colour with a halo of background, so it reads on either
        // colour of cell and on cells only a few pixels wide.
        area.draw(&outline(pal.background, theme.px(2.0), 2.0))?;
        area.draw(&outline(pal.text, 0, 2.5))?;
        let bold = FontDesc::new(FONT, theme.tick_size(), FontStyle::Bold);
        let strong = TextStyle::from(bold).color(&pal.text);
        let (cx, cy) = layout.center(a, b);
        area.draw_text(
            &a.to_string(),
            &strong.pos(Pos::new(HPos::Right, VPos::Center)),
            (grid_left - gap, cy.round() as i32),
        )?;
        area.draw_text(
            &b.to_string(),
            &strong.pos(Pos::new(HPos::Center, VPos::Bottom)),
            (cx.round() as i32, grid_top - gap / 2),
        )?;
    }

    // Legend: one row, or stacked on a narrow figure.
    let mut entries = vec![
        (
            format!("training pairs ({})", table.count(PairKind::Train)),
            PairKind::Train,
        ),
        (
            format!("test pairs ({})", table.count(PairKind::Test)),
            PairKind::Test,
        ),
    ];
    let excluded = table.count(PairKind::Excluded);
    if excluded > 0 {
        entries.push((format!("excluded, b = 0 ({excluded})"), PairKind::Excluded));
    }
    let sw = theme.px(12.0);
    let row_h = theme.px(20.0);
    let mut x = (layout.left - PairsLayout::LABELS_LEFT * theme.s()).round() as i32;
    let x_start = x;
    for (i, (label, kind)) in entries.iter().enumerate() {
        let (lx, cy) = if layout.narrow {
            (x_start, theme.px(4.0) + row_h * i as i32 + row_h / 2)
        } else {
            (x, theme.px(4.0) + row_h / 2 + theme.px(2.0))
        };
        area.draw(&Rectangle::new(
            [(lx, cy - sw / 2), (lx + sw, cy + sw / 2)],
            color(*kind).filled(),
        ))?;
        let style = text.pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text(label, &style, (lx + sw + gap, cy))?;
        x += sw + gap + text_width(area, label, &text)? + 3 * gap;
    }
    Ok(())
}
