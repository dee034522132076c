//! The canvas adapter: plotters' canvas backend, measuring text with the canvas itself,
//! and [`draw_on`], which every `draw_*` binding goes through.

use crate::plots::{DrawResult, Theme};
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend, IntoDrawingArea};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

/// plotters' canvas backend, measuring text with the canvas's own `measureText`.
///
/// Without this, plotters sizes text on wasm by appending a `<span>` to the document and
/// reading its `offsetHeight`: a forced layout of the whole (long) article for every
/// label, dozens per redraw, ~1 ms each while a run is training. `measureText` needs no
/// layout, and it measures with the very font the canvas then draws with.
pub struct MeasuredCanvas {
    inner: CanvasBackend,
    context: web_sys::CanvasRenderingContext2d,
}

impl MeasuredCanvas {
    /// The backend for `canvas`, or None if it has no 2D context.
    pub fn new(canvas: HtmlCanvasElement) -> Option<MeasuredCanvas> {
        let context = canvas
            .get_context("2d")
            .ok()
            .flatten()?
            .dyn_into::<web_sys::CanvasRenderingContext2d>()
            .ok()?;
        Some(MeasuredCanvas {
            inner: CanvasBackend::with_canvas_object(canvas)?,
            context,
        })
    }
}

/// Everything but text measurement is the canvas backend's own.
impl DrawingBackend for MeasuredCanvas {
    type ErrorType = <CanvasBackend as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }
    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_text(text, style, pos)
    }

    /// The unrotated box of `text` (as plotters' own estimate gives it): the advance
    /// width, and the font's ascent plus descent (1.2 × the size where the browser does
    /// not report them). The font string is the one [`CanvasBackend`] draws with.
    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.context.set_font(&format!(
            "{} {}px {}",
            style.style().as_str(),
            style.size(),
            style.family().as_str(),
        ));
        let metrics = self.context.measure_text(text).map_err(|e| {
            DrawingErrorKind::FontError(format!("measureText failed: {e:?}").into())
        })?;
        let height = metrics.font_bounding_box_ascent() + metrics.font_bounding_box_descent();
        let height = if height.is_finite() && height > 0.0 {
            height
        } else {
            1.2 * style.size()
        };
        Ok((metrics.width().max(0.0).ceil() as u32, height.ceil() as u32))
    }
}

/// Draws onto `canvas` (at its current pixel size) with one of the plots functions, at
/// `scale` device pixels per CSS pixel (times the page's zoom) in the light or dark
/// palette.
pub fn draw_on(
    canvas: HtmlCanvasElement,
    scale: f64,
    dark: bool,
    draw: impl FnOnce(&DrawingArea<MeasuredCanvas, Shift>, &Theme) -> DrawResult<MeasuredCanvas>,
) -> Result<(), JsError> {
    let backend =
        MeasuredCanvas::new(canvas).ok_or_else(|| JsError::new("the canvas has no 2D context"))?;
    let area = backend.into_drawing_area();
    // Theme sanitises the scale (NaN or 0 from JS draws at scale 1).
    let theme = Theme { scale, dark };
    draw(&area, &theme).map_err(|e| JsError::new(&format!("drawing failed: {e}")))?;
    area.present()
        .map_err(|e| JsError::new(&format!("drawing failed: {e}")))
}
