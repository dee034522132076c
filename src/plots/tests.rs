//! Unit tests of the chart engine's private pieces (the figures themselves are tested
//! through their SVG in `tests/plots.rs`).

use super::chart::measure_key;
use super::theme::{Theme, FONT};
use plotters::prelude::*;

#[test]
fn measured_sizes_are_remembered_per_font_style() {
    // A bold "45" is wider than a regular one in the browser: they must not share a
    // remembered size (the task clock measures its bold numbers).
    let theme = Theme::default();
    let regular = theme.font(13.0, BLACK);
    let bold = TextStyle::from(FontDesc::new(FONT, 13.0, FontStyle::Bold));
    let key = |style: &TextStyle| measure_key::<SVGBackend>("45", style);
    assert_ne!(key(&regular), key(&bold));
    assert_eq!(
        key(&regular),
        key(&theme.font(13.0, WHITE)),
        "colour is no part of it"
    );
    assert_ne!(key(&regular), key(&theme.font(12.0, BLACK)));
}
