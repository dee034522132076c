//! The article's figures, drawn with [plotters].
//!
//! Where each figure lives — to change one, open its file:
//! - `curves.rs`, the step-axis charts: [`draw_accuracy`] (train and test accuracy over a
//!   log-step axis, with markers where the run memorised and where it grokked, and lines
//!   where the reader changed the learning rate or weight decay mid-run), [`draw_loss`]
//!   (log–log), [`draw_weight_norm`] (rises while the network memorises, falls as weight
//!   decay lets the general solution win) and [`draw_comparison`] (several runs on shared
//!   axes, one colour each);
//! - `embedding.rs`: [`draw_circle`] (the tokens projected onto one Fourier frequency of
//!   the embedding: a cloud before grokking, a numbered ring after), [`draw_spectrum`]
//!   (energy per frequency, key frequencies highlighted) and [`draw_spectrum_marked`]
//!   (given frequencies highlighted, e.g. the final keys while scrubbing through a run);
//! - `progress.rs`: [`draw_progress`], the hidden-progress measures (restricted and
//!   excluded loss, Gini coefficient, key share) with the same markers;
//! - `phase.rs`: [`draw_phase_diagram`], weight decay × training fraction coloured by
//!   phase, with a [`PhaseLayout`] for hit-testing;
//! - `task.rs`: [`draw_task_clock`] (arithmetic modulo p as a clock with a worked
//!   [`TaskExample`]) and [`draw_task_pairs`] (the p × p table of pairs coloured by the
//!   run's split, a [`PairTable`], with a [`PairsLayout`] for hit-testing).
//!
//! Under them: `theme.rs`, the one palette (every colour, defined once, with the page's
//! CSS copies listed in [`CSS_COLORS`]) and [`Theme`]; `chart.rs`, the small chart engine
//! (the log step axis, markers, legends, label placement, ranges, text measuring);
//! `format.rs`, numbers as tick labels. The sentences shown beside the figures are built
//! in [`crate::prose`].
//!
//! **Any backend.** Every figure is a function over plotters' [`DrawingBackend`]: the tests
//! draw into an SVG string natively, the page draws into a `<canvas>` through
//! `plotters-canvas` with the very same code. So nothing here may depend on exact font
//! metrics (natively plotters only *guesses* text sizes; the browser measures real fonts):
//! every layout decision leaves slack around text, and text is anchored (left/centre/right,
//! top/centre/bottom) rather than positioned by its measured size wherever possible.
//!
//! **One scale.** The figures carry no titles (the page supplies headings and captions).
//! All sizes — fonts, line widths, margins — are given in CSS pixels and multiplied by
//! [`Theme::scale`] (the theme's `px`, `stroke` and font-size helpers do it), so a canvas
//! drawn at `devicePixelRatio` 2 looks the same as at 1, only crisper, and a presenter can
//! zoom.
//!
//! **Any data.** Every function fills its area with the theme's background first and
//! copes with empty or partial input (no points yet, a single point, zeros on a log axis,
//! NaN or infinite values, all-zero embeddings) by drawing empty axes with sensible
//! default ranges; none of them panics on data.
//!
//! Colours are the colour-blind-safe Okabe–Ito palette; the constants are public so that
//! the page's CSS (legends in HTML, slider accents) can match them exactly.

mod chart;
mod curves;
mod embedding;
mod format;
mod phase;
mod progress;
mod task;
mod theme;

#[cfg(test)]
mod tests;

pub use chart::{DrawResult, RunCurves, MIN_LOSS};
pub use curves::{draw_accuracy, draw_comparison, draw_loss, draw_weight_norm, Metric};
pub use embedding::{
    draw_circle, draw_spectrum, draw_spectrum_marked, energy_shares, MAX_CIRCLE_LABELS,
    MAX_NUMBERED_KEYS,
};
pub use format::{format_number, format_step};
pub use phase::{draw_phase_diagram, phase_abbrev, PhaseCell, PhaseGrid, PhaseLayout};
pub use progress::draw_progress;
pub use task::{draw_task_clock, draw_task_pairs, PairKind, PairTable, PairsLayout, TaskExample};
pub use theme::{
    css_hex, okabe_ito, phase_color, CssColor, Palette, Theme, ANSWER_COLOR, A_COLOR, B_COLOR,
    COMPREHENSION_COLOR, CONFUSION_COLOR, CSS_COLORS, DARK, EXCLUDED_COLOR, GINI_COLOR,
    GROKKING_COLOR, KEY_FREQUENCY_COLOR, KEY_SHARE_COLOR, LIGHT, MARKER_COLOR, MEMORISATION_COLOR,
    NORM_COLOR, PAIR_TEST_COLOR, PAIR_TRAIN_COLOR, PHASE_INK, RESTRICTED_COLOR, RUN_COLORS,
    TEST_COLOR, TRAIN_COLOR,
};

#[cfg(doc)]
use plotters::prelude::DrawingBackend;
