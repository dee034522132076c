// The page's canvases: crisp sizing, visibility, and a redraw schedule that keeps up with
// the run without hogging the main thread. The drawing itself happens in Rust
// (Figures.draw_* in src/web.rs, plotters onto the canvas); this module decides when.
//
// - HiDPI: each canvas's pixel size follows its CSS size × devicePixelRatio (measured by
//   a ResizeObserver in device pixels where the browser supports it), and the ratio is
//   passed to Rust as the theme's scale so text and lines keep their CSS size.
// - Pace: new data marks every figure dirty; dirty, visible figures are redrawn in an
//   animation frame at most ~7 times a second, ~12 ms of drawing per frame (the rest in
//   the next frames), so no single task blocks the page for long. A resized canvas
//   (which the browser clears) is redrawn in the next frame.
// - Each figure shows how long its last render took.
// - Text size: the scale passed to Rust is the device-pixel ratio times the root font
//   size over 16 px, so the figures' text grows with the page's (presenter mode, or a
//   reader's larger default font). scaleOf(canvas) gives the same number for hit tests.

/** Minimum time between two data-driven redraws. */
const MIN_INTERVAL_MS = 140;
/** Drawing time per animation frame; figures left over are drawn in the next frame. */
const FRAME_BUDGET_MS = 12;

export class Board {
  /**
   * @param {() => boolean} isDark  whether to draw with the dark palette
   */
  constructor(isDark) {
    this.isDark = isDark;
    this.figures = [];
    this.lastDraw = -Infinity;
    this.frameQueued = false;
    this.timer = null;
    this.resizeObserver = new ResizeObserver((entries) => this.resized(entries));
    this.visibility = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const fig = this.figures.find((f) => f.canvas === entry.target);
        if (fig) fig.visible = entry.isIntersecting;
      }
      this.request(true);
    }, { rootMargin: '200px' });
    this.watchRatio();
  }

  /**
   * Registers a canvas. `draw(canvas, scale, dark)` draws it (returns false if there was
   * nothing to draw yet); `timeEl` shows the render time.
   */
  add(canvas, draw, timeEl) {
    const fig = { canvas, draw, timeEl, dirty: true, visible: false, cssWidth: 0 };
    this.figures.push(fig);
    try {
      this.resizeObserver.observe(canvas, { box: 'device-pixel-content-box' });
    } catch {
      this.resizeObserver.observe(canvas); // older browsers: CSS pixels × devicePixelRatio
    }
    this.visibility.observe(canvas);
    return fig;
  }

  resized(entries) {
    for (const entry of entries) {
      const fig = this.figures.find((f) => f.canvas === entry.target);
      if (!fig) continue;
      const css = entry.contentBoxSize?.[0];
      const cssWidth = css ? css.inlineSize : entry.contentRect.width;
      const cssHeight = css ? css.blockSize : entry.contentRect.height;
      this.setSize(fig, cssWidth, cssHeight, entry.devicePixelContentBoxSize?.[0]);
    }
    this.request(true);
  }

  /**
   * Gives the canvas one pixel per device pixel. The browser's device-pixel box is exact
   * (snapped to the pixel grid); it is used when it agrees with CSS size × ratio, which
   * it does on real screens (emulated ratios, as in headless tests, only change the
   * latter).
   */
  setSize(fig, cssWidth, cssHeight, device) {
    const ratio = window.devicePixelRatio || 1;
    let width = Math.round(cssWidth * ratio);
    let height = Math.round(cssHeight * ratio);
    if (device && Math.abs(device.inlineSize - width) <= 2 && Math.abs(device.blockSize - height) <= 2) {
      width = device.inlineSize;
      height = device.blockSize;
    }
    fig.cssWidth = cssWidth;
    if (width > 0 && height > 0 && (fig.canvas.width !== width || fig.canvas.height !== height)) {
      fig.canvas.width = width;
      fig.canvas.height = height;
      fig.dirty = true;
    }
  }

  /** The device-pixel ratio changed (zoom, another screen): size every canvas anew. */
  watchRatio() {
    const query = window.matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`);
    query.addEventListener('change', () => {
      for (const fig of this.figures) {
        const box = fig.canvas.getBoundingClientRect();
        this.setSize(fig, box.width, box.height, null);
      }
      this.request(true);
      this.watchRatio();
    }, { once: true });
  }

  /** New data arrived (or the palette changed): redraw everything soon. */
  invalidate() {
    for (const fig of this.figures) fig.dirty = true;
    this.request(false);
  }

  /** One figure's data changed (the phase diagram's cells): redraw only it, soon. */
  touch(fig) {
    fig.dirty = true;
    this.request(false);
  }

  /** Asks for a frame; `urgent` skips the rate limit (resized canvases are blank). */
  request(urgent) {
    if (this.frameQueued) return;
    const wait = urgent ? 0 : this.lastDraw + MIN_INTERVAL_MS - performance.now();
    if (wait > 0) {
      if (this.timer === null) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.request(false);
        }, wait);
      }
      return;
    }
    this.frameQueued = true;
    requestAnimationFrame(() => {
      this.frameQueued = false;
      this.drawDirty();
    });
  }

  /** Root font size relative to 16 px (1 unless presenter mode or the reader's font). */
  zoom() {
    const size = parseFloat(getComputedStyle(document.documentElement).fontSize);
    return Number.isFinite(size) && size > 0 ? size / 16 : 1;
  }

  /** The scale a canvas is drawn at (device pixels per CSS pixel, times zoom()). */
  scaleOf(canvas) {
    const fig = this.figures.find((f) => f.canvas === canvas);
    const css = fig?.cssWidth || canvas.getBoundingClientRect().width || 1;
    return (canvas.width / css) * this.zoom();
  }

  /**
   * Draws dirty, visible figures, most recently idle first, until FRAME_BUDGET_MS is
   * spent; the rest wait for the next animation frame. The page has many figures, and
   * drawing them all in one task would block input for well over 50 ms on a slow
   * machine. DOM writes (the render times) are batched after the drawing, since each
   * one would otherwise force a fresh layout when plotters next measures text.
   */
  drawDirty() {
    const dark = this.isDark();
    const zoom = this.zoom();
    const start = performance.now();
    const times = [];
    let more = false;
    for (const fig of this.figures) {
      if (!fig.dirty || !fig.visible || fig.canvas.width === 0 || fig.cssWidth === 0) continue;
      if (fig.canvas.closest('[hidden]')) continue;
      if (times.length > 0 && performance.now() - start >= FRAME_BUDGET_MS) {
        more = true;
        break;
      }
      const scale = (fig.canvas.width / fig.cssWidth) * zoom;
      const t0 = performance.now();
      let shown;
      try {
        shown = fig.draw(fig.canvas, scale, dark);
      } catch (err) {
        console.error(`drawing #${fig.canvas.id} failed:`, err);
        shown = false;
      }
      const ms = performance.now() - t0;
      fig.dirty = false;
      times.push([fig, shown === false ? '' : `drawn in ${ms.toFixed(1)} ms`]);
    }
    for (const [fig, text] of times) if (fig.timeEl && fig.timeEl.textContent !== text) fig.timeEl.textContent = text;
    if (times.length > 0) this.lastDraw = performance.now();
    // Figures left over go first next time (they were skipped this time).
    if (more) {
      const left = this.figures.filter((f) => f.dirty);
      this.figures = [...left, ...this.figures.filter((f) => !f.dirty)];
      this.frameQueued = true;
      requestAnimationFrame(() => {
        this.frameQueued = false;
        this.drawDirty();
      });
    }
  }
}
