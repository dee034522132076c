//! The one palette, and the sizes every figure scales by.
//!
//! Every colour a figure draws is defined here, once: the eight Okabe–Ito colours
//! ([`okabe_ito`], safe for the common kinds of colour blindness), the roles the figures
//! give them (train, test, weight norm, phases, operands, …) as aliases of those, the
//! greys of the light and dark [`Palette`], and the hues of the embedding circle's tokens.
//! The page's stylesheet repeats some of them as CSS custom properties (HTML legends, the
//! phase table, slider accents); [`CSS_COLORS`] says which property mirrors which
//! constant, and `tests/theme.rs` reads `www/style.css` and fails when one drifts.
//!
//! [`Theme`] is what a figure is drawn with: the scale (every font size, line width and
//! margin is multiplied by it, so a canvas at `devicePixelRatio` 2 or a presenter's zoom
//! looks the same, only larger or crisper) and light or dark.

use crate::sweep::Phase;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The Okabe–Ito palette (Okabe & Ito 2008): eight colours that stay distinct for readers
/// with the common colour-vision deficiencies. The figures name their roles as aliases of
/// these (e.g. [`TRAIN_COLOR`] is [`BLUE`]).
pub mod okabe_ito {
    use plotters::style::RGBColor;

    /// Black, `#000000`.
    pub const BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
    /// Orange, `#E69F00`.
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    /// Sky blue, `#56B4E9`.
    pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    /// Bluish green, `#009E73`.
    pub const BLUISH_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    /// Yellow, `#F0E442`.
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    /// Blue, `#0072B2`.
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    /// Vermillion, `#D55E00`.
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    /// Reddish purple, `#CC79A7`.
    pub const REDDISH_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);

    /// All eight, in Okabe and Ito's order.
    pub const ALL: [RGBColor; 8] = [
        BLACK,
        ORANGE,
        SKY_BLUE,
        BLUISH_GREEN,
        YELLOW,
        BLUE,
        VERMILLION,
        REDDISH_PURPLE,
    ];
}

use okabe_ito::{BLUE, BLUISH_GREEN, ORANGE, REDDISH_PURPLE, SKY_BLUE, VERMILLION};

// ---------------------------------------------------------------------------------------
// The roles. The data colours are the same in both themes, so a legend in the page's HTML
// needs no theme logic.

/// Train curves: Okabe–Ito blue, `#0072B2`.
pub const TRAIN_COLOR: RGBColor = BLUE;
/// Test curves: Okabe–Ito vermillion, `#D55E00`.
pub const TEST_COLOR: RGBColor = VERMILLION;
/// The weight-norm curve: Okabe–Ito bluish green, `#009E73`.
pub const NORM_COLOR: RGBColor = BLUISH_GREEN;
/// Vertical dashed markers ("memorised", "grokked"): mid grey, `#8C8C8C`, which reads on
/// both the light and the dark background. Event lines use the theme's lighter
/// [`Palette::event`] grey.
pub const MARKER_COLOR: RGBColor = RGBColor(0x8C, 0x8C, 0x8C);

/// Key frequencies in the spectrum (bars, numbers and the caption's swatch): the test
/// colour, Okabe–Ito vermillion `#D55E00`.
pub const KEY_FREQUENCY_COLOR: RGBColor = VERMILLION;

/// Restricted loss: Okabe–Ito bluish green (the [`NORM_COLOR`]), solid.
pub const RESTRICTED_COLOR: RGBColor = BLUISH_GREEN;
/// Excluded loss: Okabe–Ito reddish purple, `#CC79A7`, dashed.
pub const EXCLUDED_COLOR: RGBColor = REDDISH_PURPLE;
/// Gini coefficient: Okabe–Ito blue (the [`TRAIN_COLOR`]), solid.
pub const GINI_COLOR: RGBColor = BLUE;
/// Share of the embedding's energy on the key frequencies: Okabe–Ito orange, `#E69F00`,
/// dashed.
pub const KEY_SHARE_COLOR: RGBColor = ORANGE;

/// Cells of runs that never fit the training set: Okabe–Ito reddish purple, `#CC79A7`.
pub const CONFUSION_COLOR: RGBColor = REDDISH_PURPLE;
/// Memorisation (fits, never generalises): Okabe–Ito orange, `#E69F00`.
pub const MEMORISATION_COLOR: RGBColor = ORANGE;
/// Grokking (generalises long after fitting): Okabe–Ito sky blue, `#56B4E9`.
pub const GROKKING_COLOR: RGBColor = SKY_BLUE;
/// Comprehension (fits and generalises together): Okabe–Ito bluish green, `#009E73`.
pub const COMPREHENSION_COLOR: RGBColor = BLUISH_GREEN;
/// Text on the phase colours, in either theme: near-black `#111111`, which reads on all
/// four.
pub const PHASE_INK: RGBColor = RGBColor(0x11, 0x11, 0x11);

/// The fill of a phase's cells (text on them is [`PHASE_INK`]).
pub fn phase_color(phase: Phase) -> RGBColor {
    match phase {
        Phase::Confusion => CONFUSION_COLOR,
        Phase::Memorisation => MEMORISATION_COLOR,
        Phase::Grokking => GROKKING_COLOR,
        Phase::Comprehension => COMPREHENSION_COLOR,
    }
}

/// The colours of runs compared on shared axes (`draw_comparison`), in order: Okabe–Ito
/// blue `#0072B2`, orange `#E69F00`, bluish green `#009E73`, reddish purple `#CC79A7`
/// (then again from the start).
pub const RUN_COLORS: [RGBColor; 4] = [BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE];

/// The operand a on the clock and in the pairs table: Okabe–Ito blue, `#0072B2`.
pub const A_COLOR: RGBColor = BLUE;
/// The operand b: Okabe–Ito orange, `#E69F00`.
pub const B_COLOR: RGBColor = ORANGE;
/// The answer: Okabe–Ito vermillion, `#D55E00`.
pub const ANSWER_COLOR: RGBColor = VERMILLION;

/// Training pairs in the table: the train colour, Okabe–Ito blue `#0072B2`.
pub const PAIR_TRAIN_COLOR: RGBColor = TRAIN_COLOR;
/// Test pairs: the test colour, Okabe–Ito vermillion `#D55E00`.
pub const PAIR_TEST_COLOR: RGBColor = TEST_COLOR;

// ---------------------------------------------------------------------------------------
// The greys of the two themes

/// The theme-dependent colours (background, text, grid). The data colours
/// ([`TRAIN_COLOR`], [`TEST_COLOR`], [`NORM_COLOR`], [`MARKER_COLOR`]) are the same in both
/// themes, so a legend in the page's HTML needs no theme logic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    /// Figure background.
    pub background: RGBColor,
    /// Axis descriptions, legend text, captions.
    pub text: RGBColor,
    /// Tick labels, axis lines and annotation text: quieter than `text`.
    pub muted: RGBColor,
    /// Major grid lines (and the axes through 0 of the circle figure).
    pub grid: RGBColor,
    /// Minor grid lines (the 2…9 subdivisions of a log decade).
    pub grid_minor: RGBColor,
    /// Spectrum bars of the frequencies that are not key.
    pub bar: RGBColor,
    /// Lines at mid-run changes of learning rate or weight decay: a lighter grey than the
    /// dashed [`MARKER_COLOR`] markers.
    pub event: RGBColor,
}

/// Light theme: white `#FFFFFF` background, text `#222222`, muted `#5C5C5C`, grid `#E2E2E2`,
/// minor grid `#F1F1F1`, plain bars `#B4B4B4`, event lines `#BDBDBD`.
pub const LIGHT: Palette = Palette {
    background: RGBColor(0xFF, 0xFF, 0xFF),
    text: RGBColor(0x22, 0x22, 0x22),
    muted: RGBColor(0x5C, 0x5C, 0x5C),
    grid: RGBColor(0xE2, 0xE2, 0xE2),
    grid_minor: RGBColor(0xF1, 0xF1, 0xF1),
    bar: RGBColor(0xB4, 0xB4, 0xB4),
    event: RGBColor(0xBD, 0xBD, 0xBD),
};

/// Dark theme: `#111111` background, text `#E8E8E8`, muted `#A6A6A6`, grid `#333333`,
/// minor grid `#1F1F1F`, plain bars `#5E5E5E`, event lines `#555555`.
pub const DARK: Palette = Palette {
    background: RGBColor(0x11, 0x11, 0x11),
    text: RGBColor(0xE8, 0xE8, 0xE8),
    muted: RGBColor(0xA6, 0xA6, 0xA6),
    grid: RGBColor(0x33, 0x33, 0x33),
    grid_minor: RGBColor(0x1F, 0x1F, 0x1F),
    bar: RGBColor(0x5E, 0x5E, 0x5E),
    event: RGBColor(0x55, 0x55, 0x55),
};

/// A colour as CSS hex, `#RRGGBB` (upper case, as plotters' SVG backend writes it).
pub fn css_hex(color: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", color.0, color.1, color.2)
}

// ---------------------------------------------------------------------------------------
// The page's copies

/// A colour the page's stylesheet (`www/style.css`) repeats as a CSS custom property, so
/// that HTML next to a figure (legends, the phase table, controls) matches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CssColor {
    /// The custom property, e.g. `--train`.
    pub name: &'static str,
    /// Its value in the light theme (the stylesheet's `:root` rule).
    pub light: RGBColor,
    /// Its value under `prefers-color-scheme: dark` (where the stylesheet does not set it
    /// again, the light value, which must then be the same).
    pub dark: RGBColor,
}

/// Every colour variable of `www/style.css` that stands for a colour defined here; the
/// stylesheet's other variables (panels, form fields, warnings) are the page's own.
/// `tests/theme.rs` checks the stylesheet against this list, in both themes.
pub const CSS_COLORS: [CssColor; 14] = [
    css("--bg", LIGHT.background, DARK.background),
    css("--fg", LIGHT.text, DARK.text),
    css("--muted", LIGHT.muted, DARK.muted),
    css("--rule", LIGHT.grid, DARK.grid),
    css("--train", TRAIN_COLOR, TRAIN_COLOR),
    css("--test", TEST_COLOR, TEST_COLOR),
    css("--norm", NORM_COLOR, NORM_COLOR),
    css("--confusion", CONFUSION_COLOR, CONFUSION_COLOR),
    css("--memorisation", MEMORISATION_COLOR, MEMORISATION_COLOR),
    css("--grokking", GROKKING_COLOR, GROKKING_COLOR),
    css("--comprehension", COMPREHENSION_COLOR, COMPREHENSION_COLOR),
    css("--phase-ink", PHASE_INK, PHASE_INK),
    // The page's accent (slider thumbs, links, pressed buttons): blue, sky blue on the
    // dark background, where blue is too dark to read.
    css("--accent", BLUE, SKY_BLUE),
    // The keyboard focus ring: orange, which reads on both backgrounds.
    css("--focus", ORANGE, ORANGE),
];

const fn css(name: &'static str, light: RGBColor, dark: RGBColor) -> CssColor {
    CssColor { name, light, dark }
}

// ---------------------------------------------------------------------------------------
// Fonts and scale

/// The font family of every text. A generic family: the SVG needs no font files and the
/// canvas uses the browser's default sans-serif.
pub(super) const FONT: FontFamily<'static> = FontFamily::SansSerif;

/// Visual settings shared by all figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Theme {
    /// Multiplies font sizes, line widths and margins: `devicePixelRatio` × presenter zoom;
    /// 1.0 is normal. Values that are not finite and positive are treated as 1.0, and the
    /// scale is clamped to 0.25..=8.
    pub scale: f64,
    /// Light text and grid on a dark background ([`DARK`]) instead of [`LIGHT`].
    pub dark: bool,
}

impl Default for Theme {
    /// Scale 1, light theme.
    fn default() -> Self {
        Theme {
            scale: 1.0,
            dark: false,
        }
    }
}

impl Theme {
    /// The colours of this theme.
    pub fn palette(&self) -> &'static Palette {
        if self.dark {
            &DARK
        } else {
            &LIGHT
        }
    }

    /// The colour of a token of the embedding circle at `hue` (0..1, its place round the
    /// ring): saturated enough to tell neighbours apart, lighter on the dark background.
    pub(super) fn token_color(&self, hue: f64) -> HSLColor {
        let (sat, light) = if self.dark { (0.75, 0.62) } else { (0.8, 0.45) };
        HSLColor(hue, sat, light)
    }

    /// The scale actually used: a NaN or zero from JavaScript must not collapse the figure.
    pub(super) fn s(&self) -> f64 {
        if self.scale.is_finite() && self.scale > 0.0 {
            self.scale.clamp(0.25, 8.0)
        } else {
            1.0
        }
    }

    /// The scale actually used (see [`Theme::scale`]): device pixels per CSS pixel.
    pub fn effective_scale(&self) -> f64 {
        self.s()
    }

    /// `v` CSS pixels at this scale, in device pixels.
    pub(super) fn px(&self, v: f64) -> i32 {
        (v * self.s()).round() as i32
    }

    /// A stroke width of `v` CSS pixels, at least one device pixel.
    pub(super) fn stroke(&self, v: f64) -> u32 {
        (v * self.s()).round().max(1.0) as u32
    }

    /// Axis descriptions and legend entries (13 px at scale 1).
    pub(super) fn text_size(&self) -> f64 {
        13.0 * self.s()
    }

    /// Tick labels (12 px at scale 1).
    pub(super) fn tick_size(&self) -> f64 {
        12.0 * self.s()
    }

    /// Annotations: marker and event labels, token numbers, captions (11.5 px at scale 1).
    pub(super) fn note_size(&self) -> f64 {
        11.5 * self.s()
    }

    /// Text in [`FONT`] at `size` device pixels, anchored at its top-left.
    pub(super) fn font(&self, size: f64, color: RGBColor) -> TextStyle<'static> {
        TextStyle {
            font: FontDesc::new(FONT, size, FontStyle::Normal),
            color: color.to_backend_color(),
            pos: Pos::new(HPos::Left, VPos::Top),
        }
    }
}
