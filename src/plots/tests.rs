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

#[test]
fn log_ticks_label_every_part_of_a_log_axis() {
    use super::geometry::log_ticks;
    // Ranges from a tenth of a decade to twelve decades (a loss clamped at 1e-9 up to
    // ~30), at starts that fall on and between the powers of ten.
    for start in [-9.0, -2.3, -1.0, 0.0, 0.12, 0.65, 1.0, 1.9] {
        for span in [
            0.1, 0.5, 1.0, 1.17, 1.5, 1.6, 2.2, 3.0, 3.1, 4.5, 6.0, 6.5, 9.0, 12.0,
        ] {
            let (lo, hi) = (10f64.powf(start), 10f64.powf(start + span));
            let (bold, light) = log_ticks(lo, hi);
            let at = format!("{lo}..{hi}");
            assert!(bold.windows(2).all(|w| w[0] < w[1]), "{at}: {bold:?}");
            assert!(light.windows(2).all(|w| w[0] < w[1]), "{at}: {light:?}");
            assert!(
                bold.iter().chain(&light).all(|v| (lo..=hi).contains(v)),
                "{at}"
            );
            if span >= 1.0 {
                // The widest stretch of the axis without a label, ends included, in
                // decades: the most a reader has to guess across.
                let marks: Vec<f64> = std::iter::once(lo)
                    .chain(bold.iter().copied())
                    .chain(std::iter::once(hi))
                    .map(f64::log10)
                    .collect();
                let gap = marks.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max);
                let most = match (hi / lo).log10() {
                    s if s <= 1.5 => 0.4,  // 1, 2, 5
                    s if s <= 3.0 => 0.53, // 1, 3
                    s if s <= 6.0 => 1.0,  // decades
                    _ => 2.0,              // every other decade
                };
                assert!(
                    gap <= most + 1e-9,
                    "{at}: a gap of {gap} decades in {bold:?}"
                );
                assert!((2..=8).contains(&bold.len()), "{at}: {bold:?}");
            }
            // Light ticks at every whole multiple of a power of ten, up to three decades.
            if (hi / lo).log10() <= 3.0 {
                let whole = |v: f64| {
                    let m = v / 10f64.powf(v.log10().floor());
                    (m - m.round()).abs() < 1e-9
                };
                assert!(light.iter().all(|&v| whole(v)), "{at}: {light:?}");
                assert!(light.len() as f64 >= 8.0 * span - 1.0, "{at}: {light:?}");
                assert!(bold.iter().all(|b| light.contains(b)), "{at}");
            } else {
                assert!(light.is_empty(), "{at}");
            }
        }
    }
    // Labels are the numbers themselves, not their nearest doubles' long tails.
    assert_eq!(log_ticks(0.15, 0.6).0, vec![0.2, 0.5]);
    assert_eq!(log_ticks(1.3, 20.0).0, vec![2.0, 5.0, 10.0, 20.0]);
    for (lo, hi) in [
        (0.0, 1.0),
        (-1.0, 1.0),
        (2.0, 1.0),
        (1.0, f64::INFINITY),
        (f64::NAN, 1.0),
    ] {
        assert_eq!(log_ticks(lo, hi), (vec![], vec![]), "{lo}..{hi}");
    }
}
