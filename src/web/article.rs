//! The article's figures beyond a single run: the task (a clock and the table of pairs,
//! with the sentence beside them) and two runs compared on shared axes.

use super::canvas::draw_on;
use super::parse_config;
use super::Figures;
use crate::plots::{self, Theme};
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

/// Arithmetic modulo `p` as a clock (see [`plots::draw_task_clock`]): the p positions,
/// a, b and the answer (a `op` b) mod p marked, and the worked example as a caption, e.g.
/// "a + b = 45 + 60 = 105 ≡ 8 (mod 97)". `op` is an operation name (`add`, `sub`, `mul`,
/// `div`, `x2y2`, `x2xyy2`). Throws with a readable message for an unknown operation, p
/// out of 3..=257, a composite p for division, a or b out of 0..p, or b = 0 for division.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn draw_task_clock(
    canvas: HtmlCanvasElement,
    scale: f64,
    dark: bool,
    p: u32,
    op: &str,
    a: u32,
    b: u32,
) -> Result<(), JsError> {
    let example = plots::TaskExample::parse(p, op, a, b).map_err(|e| JsError::new(&e))?;
    draw_on(canvas, scale, dark, |area, theme| {
        plots::draw_task_clock(area, &example, theme)
    })
}

/// The p × p table of all pairs of a run's task (see [`plots::draw_task_pairs`]): row a,
/// column b; training pairs in blue, test pairs in vermillion, pairs outside the task
/// (b = 0 for division) grey, with the counts in the legend. `config` is a config object
/// as for [`Session::new`] (validated; the split is exactly the run's). Cell (a, b) is
/// outlined when both are ≥ 0 (pass −1 for none).
#[wasm_bindgen]
pub fn draw_task_pairs(
    canvas: HtmlCanvasElement,
    scale: f64,
    dark: bool,
    config: JsValue,
    a: i32,
    b: i32,
) -> Result<(), JsError> {
    let config = parse_config(config)?;
    let table = plots::PairTable::from_config(&config);
    let highlight = (a >= 0 && b >= 0).then_some((a as u32, b as u32));
    draw_on(canvas, scale, dark, |area, theme| {
        plots::draw_task_pairs(area, &table, highlight, theme)
    })
}

/// The sentence beside the task figures for pair (a, b) of `config`'s split: the worked
/// example, whether the pair is in the training set, and the split's sizes (see
/// [`plots::PairTable::summary`]). Throws for a bad config or pair.
#[wasm_bindgen]
pub fn task_summary(config: JsValue, a: u32, b: u32) -> Result<String, JsError> {
    let config = parse_config(config)?;
    plots::PairTable::from_config(&config)
        .summary(a, b)
        .map_err(|e| JsError::new(&e))
}

/// Which pair `[a, b]` of the pairs table is under the point (x, y), given in the
/// canvas's own (device) pixels from its top-left corner — the page converts a click's
/// CSS offset by the canvas's pixels per CSS pixel — for a canvas of `width × height`
/// pixels drawn at `scale` (see [`crate::plots::Theme::scale`]) with modulus `p`;
/// `undefined` outside the table. The layout is the drawing's own
/// ([`plots::PairsLayout`]).
#[wasm_bindgen]
pub fn task_pair_at(
    width: u32,
    height: u32,
    scale: f64,
    p: u32,
    x: f64,
    y: f64,
) -> Option<Vec<u32>> {
    let theme = Theme { scale, dark: false };
    let layout = plots::PairsLayout::new(width, height, p, &theme)?;
    layout.pair_at(x, y).map(|(a, b)| vec![a, b])
}

/// Two runs on shared axes (see [`plots::draw_comparison`]): `metric` is "accuracy"
/// (train dashed, test solid, one colour per run) or "loss"; the step axis covers the
/// longer run. Throws for another metric.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn draw_comparison(
    canvas: HtmlCanvasElement,
    scale: f64,
    dark: bool,
    metric: &str,
    a: &Figures,
    label_a: &str,
    b: &Figures,
    label_b: &str,
) -> Result<(), JsError> {
    let metric: plots::Metric = metric.parse().map_err(|e: String| JsError::new(&e))?;
    let runs = [a.view().curves(label_a), b.view().curves(label_b)];
    draw_on(canvas, scale, dark, |area, theme| {
        plots::draw_comparison(area, &runs, metric, theme)
    })
}

/// Sentences comparing two runs for screen readers (see
/// [`crate::prose::comparison_summary`]).
#[wasm_bindgen]
pub fn comparison_summary(a: &Figures, label_a: &str, b: &Figures, label_b: &str) -> String {
    crate::prose::comparison_summary(&a.view().outline(label_a), &b.view().outline(label_b))
}
