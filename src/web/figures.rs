//! `Figures`: the page's copy of a run ([`RunView`]), fed with the snapshots its worker
//! posts and drawn onto canvases on demand; with the scrubber through the run's
//! embedding and the screen-reader summaries.
//!
//! Every `draw_*` takes the canvas (sized by the page in device pixels), the scale
//! (device pixels per CSS pixel, times the page's zoom) and whether to use the dark
//! palette; those that may have nothing to draw yet return false.

use super::canvas::draw_on;
use super::from_js;
use crate::analysis;
use crate::engine::RunView;
use crate::plots;
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

/// The page's copy of a run.
#[wasm_bindgen]
#[derive(Clone, Debug, Default)]
pub struct Figures {
    view: RunView,
}

impl Figures {
    /// The accumulated run.
    pub fn view(&self) -> &RunView {
        &self.view
    }

    /// Adds a snapshot (what [`Figures::ingest`] does with a JS object).
    pub fn add(&mut self, snapshot: crate::engine::Snapshot) {
        self.view.add(snapshot);
    }
}

#[wasm_bindgen]
impl Figures {
    /// An empty set of figures.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Figures {
        Figures::default()
    }

    /// Adds a snapshot posted by the worker.
    pub fn ingest(&mut self, snapshot: JsValue) -> Result<(), JsError> {
        self.view.add(from_js(snapshot)?);
        Ok(())
    }

    /// Forgets everything (a new run starts).
    pub fn reset(&mut self) {
        *self = Figures::default();
    }

    /// Number of history points held.
    #[wasm_bindgen(getter)]
    pub fn point_count(&self) -> usize {
        self.view.points().len()
    }

    /// Number of embedding circles available (fewer than 3 for tiny p).
    #[wasm_bindgen(getter)]
    pub fn circle_count(&self) -> usize {
        self.view.circles().len()
    }

    /// The frequency shown by circle `index`, if there is one.
    pub fn circle_k(&self, index: usize) -> Option<usize> {
        self.view.circles().get(index).map(|c| c.k)
    }

    /// Share of the non-constant energy at circle `index`'s frequency (0..1).
    pub fn circle_share(&self, index: usize) -> Option<f64> {
        self.view.circles().get(index).map(|c| c.share)
    }

    /// Gini coefficient of the latest spectrum, if any.
    pub fn gini(&self) -> Option<f64> {
        self.view.spectrum().map(|s| s.gini)
    }

    /// Number of key frequencies in the latest spectrum (0 before the first snapshot).
    #[wasm_bindgen(getter)]
    pub fn key_count(&self) -> usize {
        self.view.spectrum().map_or(0, |s| s.keys.len())
    }

    /// Share of the non-constant energy held by the key frequencies (0..1), if known.
    pub fn key_share(&self) -> Option<f64> {
        self.view.spectrum().map(|s| s.key_share)
    }

    /// Number of hidden-progress points held.
    #[wasm_bindgen(getter)]
    pub fn progress_count(&self) -> usize {
        self.view.progress().len()
    }

    /// Whether the run's operation has restricted/excluded losses (addition, subtraction).
    #[wasm_bindgen(getter)]
    pub fn has_measures(&self) -> bool {
        self.view.has_measures()
    }

    /// The hidden-progress measures against the step (see [`plots::draw_progress`]).
    pub fn draw_progress(
        &self,
        canvas: HtmlCanvasElement,
        scale: f64,
        dark: bool,
    ) -> Result<(), JsError> {
        let run = self.view.curves("");
        draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_progress(
                area,
                &run,
                self.view.progress(),
                self.view.has_measures(),
                theme,
            )
        })
    }

    /// Train and test accuracy against the step (log axis).
    pub fn draw_accuracy(
        &self,
        canvas: HtmlCanvasElement,
        scale: f64,
        dark: bool,
    ) -> Result<(), JsError> {
        let runs = [self.view.curves("")];
        draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_accuracy(area, &runs, theme)
        })
    }

    /// Train and test loss against the step (log-log).
    pub fn draw_loss(
        &self,
        canvas: HtmlCanvasElement,
        scale: f64,
        dark: bool,
    ) -> Result<(), JsError> {
        let runs = [self.view.curves("")];
        draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_loss(area, &runs, theme)
        })
    }

    /// The parameters' norm against the step.
    pub fn draw_norm(
        &self,
        canvas: HtmlCanvasElement,
        scale: f64,
        dark: bool,
    ) -> Result<(), JsError> {
        let runs = [self.view.curves("")];
        draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_weight_norm(area, &runs, theme)
        })
    }

    /// Embedding circle `index` (0 = strongest frequency). Draws nothing and returns
    /// false if there is no such circle (yet).
    pub fn draw_circle(
        &self,
        canvas: HtmlCanvasElement,
        index: usize,
        scale: f64,
        dark: bool,
    ) -> Result<bool, JsError> {
        let Some(circle) = self.view.circles().get(index) else {
            return Ok(false);
        };
        draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_circle(area, &circle.coords, circle.k, theme)
        })?;
        Ok(true)
    }

    /// The embedding's Fourier spectrum. Returns false if there is none yet.
    pub fn draw_spectrum(
        &self,
        canvas: HtmlCanvasElement,
        scale: f64,
        dark: bool,
    ) -> Result<bool, JsError> {
        let Some(spectrum) = self.view.spectrum() else {
            return Ok(false);
        };
        draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_spectrum(area, spectrum, theme)
        })?;
        Ok(true)
    }

    /// Number of embedding frames held (for the scrubber).
    pub fn frame_count(&self) -> usize {
        self.view.frames().len()
    }

    /// The step of frame `i`, if there is one.
    pub fn frame_step(&self, i: usize) -> Option<f64> {
        self.view.frames().get(i).map(|f| f.step as f64)
    }

    /// The index of the last frame at or before `step` (0 if none is).
    pub fn frame_index_at_or_before(&self, step: f64) -> usize {
        self.view.frames().index_at_or_before(step)
    }

    /// The key frequencies of the latest frame, strongest first (empty before the first).
    pub fn final_keys(&self) -> Vec<usize> {
        self.view.frames().final_keys()
    }

    /// The embedding circle of frequency `k` at frame `i`, drawn as
    /// [`Figures::draw_circle`] draws the live one. Returns false (drawing nothing) when
    /// there is no frame `i`.
    pub fn draw_circle_frame(
        &self,
        i: usize,
        k: usize,
        canvas: HtmlCanvasElement,
        scale: f64,
        dark: bool,
    ) -> Result<bool, JsError> {
        let Some(frame) = self.view.frames().get(i) else {
            return Ok(false);
        };
        let coords = analysis::circle(&frame.embedding, k);
        draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_circle(area, &coords, k, theme)
        })?;
        Ok(true)
    }

    /// The spectrum at frame `i` with the frequencies `highlight` marked (e.g.
    /// [`Figures::final_keys`]: the caption then reads "final key frequencies (n)",
    /// otherwise "marked frequencies (n)"). Returns false when there is no frame `i`.
    pub fn draw_spectrum_frame(
        &self,
        i: usize,
        canvas: HtmlCanvasElement,
        scale: f64,
        dark: bool,
        highlight: Vec<usize>,
    ) -> Result<bool, JsError> {
        let Some(frame) = self.view.frames().get(i) else {
            return Ok(false);
        };
        let name = if highlight == self.final_keys() {
            "final key"
        } else {
            "marked"
        };
        draw_on(canvas, scale, dark, |area, theme| {
            plots::draw_spectrum_marked(area, &frame.spectrum, &highlight, name, theme)
        })?;
        Ok(true)
    }

    /// One sentence on frame `i` for screen readers (see [`crate::prose::frame_summary`]).
    /// Empty when there is no frame `i`.
    pub fn frame_summary(&self, i: usize) -> String {
        self.view
            .frames()
            .get(i)
            .map(|f| crate::prose::frame_summary(f.step, &f.spectrum))
            .unwrap_or_default()
    }

    /// One sentence on the live run for screen readers (see
    /// [`crate::prose::RunOutline::summary`]).
    pub fn summary(&self) -> String {
        self.view.outline("").summary()
    }
}
