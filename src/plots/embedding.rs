//! The embedding's figures: the circle of one Fourier frequency, and the spectrum.
//!
//! [`draw_circle`] places each token by its projection onto one frequency's cosine and
//! sine directions (see [`crate::analysis::circle`]): a cloud before grokking, a ring of
//! numbers in order after. [`draw_spectrum`] shows how the embedding's energy spreads over
//! the frequencies, the key ones highlighted; [`draw_spectrum_marked`] highlights a given
//! set instead (the final key frequencies while scrubbing back through a run).

use super::chart::{measure, text_width, tick_labels, too_small, DrawResult};
use super::format::format_number;
use super::theme::{Theme, KEY_FREQUENCY_COLOR};
use crate::analysis::Spectrum;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Above this many tokens the circle figure shows the points without their numbers: the
/// labels of p > 130 tokens on one ring overlap into a grey smear at any sensible canvas
/// size (the cyclic colours still show the order). Smaller rings lose their numbers too
/// when the canvas leaves less than about 1 em of circumference per token (for p = 97 the
/// canvas must be about 420 CSS pixels square).
pub const MAX_CIRCLE_LABELS: usize = 130;

/// The tokens' positions on the circle of frequency `k` (`coords[a]` is token a, from
/// [`crate::analysis::circle`]), as a scatter with equal aspect: a square data range
/// centred on 0, its radius from the farthest point plus room for the labels.
///
/// Each token is a dot coloured cyclically by where it belongs on the ring,
/// hue = ((a·k) mod p)/p (p = `coords.len()`), so a ring shows a smooth rainbow and a cloud
/// shows confetti; next to each dot, outward from the centre, its number a (omitted when
/// p > [`MAX_CIRCLE_LABELS`] or the canvas is too small for p numbers round the ring).
/// Faint axes pass through 0; "k = {k}" sits in the top-left corner. Points with a non-finite coordinate are skipped; k = 0 and all-zero coordinates
/// draw without fuss (one hue; a default radius of 1).
pub fn draw_circle<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    coords: &[[f64; 2]],
    k: usize,
    theme: &Theme,
) -> DrawResult<DB> {
    let pal = theme.palette();
    area.fill(&pal.background)?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let text = theme.font(theme.text_size(), pal.text);
    let tick = theme.font(theme.tick_size(), pal.muted);
    let margin = theme.px(10.0);
    let gap = theme.px(6.0);
    let tick_len = theme.px(4.0);
    let (_, text_h) = measure(area, "Ag", &text)?;
    let (_, tick_h) = measure(area, "0", &tick)?;

    let p = coords.len();
    let finite = |c: &[f64; 2]| c[0].is_finite() && c[1].is_finite();
    let r_max = coords
        .iter()
        .filter(|c| finite(c))
        .map(|c| c[0].hypot(c[1]))
        .fold(0.0f64, f64::max);
    let r_max = if r_max > 0.0 && r_max.is_finite() {
        r_max
    } else {
        1.0
    };

    // A square plotting area: the same label-area size on both axes, centred in the area.
    let probe = [format_number(-r_max), format_number(r_max)];
    let mut widest = 0;
    for label in &probe {
        widest = widest.max(text_width(area, label, &tick)?);
    }
    let label_area = widest.max(tick_h) + 2 * tick_len + text_h + gap + gap / 2;
    let side = (w - label_area - 2 * margin).min(h - label_area - 2 * margin);
    if side < theme.px(60.0) {
        return Ok(());
    }
    let left = (w - side - label_area) / 2;
    let top = (h - side - label_area) / 2;
    let square = area.margin(
        top,
        h - top - side - label_area,
        left,
        w - left - side - label_area,
    );

    // Leave room outside the ring for the numbers: the ring's radius in pixels is the half
    // side minus the padding, so the data radius grows accordingly. Numbers need about
    // 1 em of ring each; on a canvas too small for that they would only smear.
    let half = side as f64 / 2.0;
    let ring_px = |pad: f64| (half - pad * theme.s()).max(half / 2.0);
    let label_size = theme.note_size() * if p > 60 { 0.85 } else { 1.0 };
    let room = std::f64::consts::TAU * ring_px(24.0) / p.max(1) as f64;
    let show_labels = p <= MAX_CIRCLE_LABELS && room >= label_size;
    let radius = r_max * half / ring_px(if show_labels { 24.0 } else { 10.0 });

    let mut chart = ChartBuilder::on(&square)
        .x_label_area_size(label_area)
        .y_label_area_size(label_area)
        .build_cartesian_2d(-radius..radius, -radius..radius)?;
    let fmt = |v: &f64| format_number(*v);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(5)
        .y_labels(5)
        .x_label_formatter(&fmt)
        .y_label_formatter(&fmt)
        .x_desc("cos component")
        .y_desc("sin component")
        .label_style(tick.clone())
        .axis_desc_style(text.clone())
        .axis_style(ShapeStyle::from(pal.muted).stroke_width(theme.stroke(1.0)))
        .set_all_tick_mark_size(tick_len)
        .draw()?;

    let plot = chart.plotting_area();
    let axis = ShapeStyle::from(pal.grid).stroke_width(theme.stroke(1.0));
    plot.draw(&PathElement::new(vec![(-radius, 0.0), (radius, 0.0)], axis))?;
    plot.draw(&PathElement::new(vec![(0.0, -radius), (0.0, radius)], axis))?;

    let hue = |a: usize| {
        let pp = p.max(1) as u64;
        ((a as u64 % pp) * (k as u64 % pp) % pp) as f64 / pp as f64
    };
    let dot = theme.s()
        * match p {
            0..=60 => 4.0,
            61..=130 => 3.5,
            _ => 2.5,
        };
    let dot = dot.round().max(1.0) as u32;
    for (a, c) in coords.iter().enumerate().filter(|(_, c)| finite(c)) {
        let color = theme.token_color(hue(a));
        plot.draw(&(EmptyElement::at((c[0], c[1])) + Circle::new((0, 0), dot, color.filled())))?;
    }
    if show_labels {
        let style = theme.font(label_size, pal.muted);
        let off = dot as f64 + theme.s() * 2.5;
        for (a, c) in coords.iter().enumerate().filter(|(_, c)| finite(c)) {
            // Outward from the centre; a point at the centre gets its label to the right.
            let r = c[0].hypot(c[1]);
            let (ux, uy) = if r > 1e-12 * r_max {
                (c[0] / r, c[1] / r)
            } else {
                (1.0, 0.0)
            };
            let hpos = if ux > 0.38 {
                HPos::Left
            } else if ux < -0.38 {
                HPos::Right
            } else {
                HPos::Center
            };
            let vpos = if uy > 0.38 {
                VPos::Bottom
            } else if uy < -0.38 {
                VPos::Top
            } else {
                VPos::Center
            };
            let delta = ((ux * off).round() as i32, (-uy * off).round() as i32);
            plot.draw(
                &(EmptyElement::at((c[0], c[1]))
                    + Text::new(a.to_string(), delta, style.pos(Pos::new(hpos, vpos)))),
            )?;
        }
    }

    let (px0, py0) = plot.get_base_pixel();
    let base = area.get_base_pixel();
    let caption = text.pos(Pos::new(HPos::Left, VPos::Top));
    area.draw_text(
        &format!("k = {k}"),
        &caption,
        (px0 - base.0 + gap, py0 - base.1 + gap),
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The spectrum

/// Each non-constant frequency's share of the non-constant energy, in percent (k = 1..):
/// index 0 of the result is k = 1. All zeros when there is no such energy.
pub fn energy_shares(spectrum: &Spectrum) -> Vec<f64> {
    let clean = |e: f64| if e.is_finite() && e > 0.0 { e } else { 0.0 };
    let energy: Vec<f64> = spectrum.energy.iter().skip(1).map(|&e| clean(e)).collect();
    let total: f64 = energy.iter().sum();
    energy
        .iter()
        .map(|e| if total > 0.0 { 100.0 * e / total } else { 0.0 })
        .collect()
}

/// At most this many key frequencies get their number above the bar.
pub const MAX_NUMBERED_KEYS: usize = 12;

/// The embedding's Fourier spectrum as bars: each frequency k = 1…p/2 with its share of
/// the non-constant energy in percent. k = 0 (the constant direction, the tokens' mean
/// embedding) is left out: it says nothing about circles and would dwarf the rest at
/// initialisation. Key frequencies ([`Spectrum::keys`]) are drawn in
/// [`KEY_FREQUENCY_COLOR`] (the test colour) and numbered above their bars (where the
/// numbers do not collide), the rest in the theme's grey; a strip above the plot explains
/// the colour and gives the Gini coefficient.
pub fn draw_spectrum<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    spectrum: &Spectrum,
    theme: &Theme,
) -> DrawResult<DB> {
    draw_spectrum_marked(area, spectrum, &spectrum.keys, "key", theme)
}

/// The spectrum as in [`draw_spectrum`], with the frequencies `marked` highlighted
/// instead of the spectrum's own key frequencies — e.g. the key frequencies at the end of
/// a run, while scrubbing through its earlier frames. `name` words the caption: "key"
/// gives "key frequency" / "key frequencies (9)", "final key" gives "final key
/// frequencies (9)".
pub fn draw_spectrum_marked<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    spectrum: &Spectrum,
    marked: &[usize],
    name: &str,
    theme: &Theme,
) -> DrawResult<DB> {
    let pal = theme.palette();
    area.fill(&pal.background)?;
    if too_small(area, theme) {
        return Ok(());
    }
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let text = theme.font(theme.text_size(), pal.text);
    let tick = theme.font(theme.tick_size(), pal.muted);
    let note = theme.font(theme.note_size(), KEY_FREQUENCY_COLOR);
    let margin = theme.px(10.0);
    let gap = theme.px(6.0);
    let tick_len = theme.px(4.0);
    let (_, text_h) = measure(area, "Ag", &text)?;
    let (_, tick_h) = measure(area, "0", &tick)?;
    let (_, note_h) = measure(area, "0", &note)?;

    let shares = energy_shares(spectrum);
    let n = shares.len();
    let mut keys: Vec<usize> = Vec::with_capacity(marked.len());
    for &k in marked {
        if k >= 1 && k <= n && !keys.contains(&k) {
            keys.push(k);
        }
    }
    let x_hi = n.max(10) as f64 + 0.5;
    let max_share = shares.iter().copied().fold(0.0, f64::max);
    // A little headroom, but no axis beyond 100 %; the key numbers sit in the margin
    // above the plot when a bar reaches the top.
    let y_hi = if max_share > 0.0 {
        (max_share * 1.12).min(100.0)
    } else {
        10.0
    };

    let y_coord = RangedCoordf64::from(0.0..y_hi);
    let pct = |v: &f64| format_number(*v);
    let mut widest = 0;
    for label in tick_labels(&y_coord, 8, &pct) {
        widest = widest.max(text_width(area, &label, &tick)?);
    }
    let y_area = widest + 2 * tick_len + text_h + gap + gap / 2;
    let x_area = tick_h + 2 * tick_len + text_h + gap + gap / 2;
    let strip_h = text_h + 2 * gap;
    if h - strip_h - x_area - margin < theme.px(30.0) || w - y_area - 2 * margin < theme.px(40.0) {
        return Ok(());
    }

    let chart_area = area.margin(strip_h, 0, 0, 0);
    let mut chart = ChartBuilder::on(&chart_area)
        .margin_left(margin)
        .margin_right(margin + theme.px(6.0))
        .margin_top(note_h + theme.px(4.0))
        .margin_bottom(margin / 2)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(0.5..x_hi, 0.0..y_hi)?;
    let plot_h = chart.plotting_area().dim_in_pixel().1 as f64;
    let y_labels = ((plot_h / (theme.tick_size() * 2.6)) as usize).clamp(2, 8);
    // Frequencies are whole numbers: ticks between them get no label.
    let int_fmt = |v: &f64| {
        if (v - v.round()).abs() < 1e-9 {
            format!("{}", v.round() as i64)
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(12)
        .y_labels(y_labels)
        .x_label_formatter(&int_fmt)
        .y_label_formatter(&pct)
        .x_desc("frequency k")
        .y_desc("share of energy (%)")
        .label_style(tick.clone())
        .axis_desc_style(text.clone())
        .axis_style(ShapeStyle::from(pal.muted).stroke_width(theme.stroke(1.0)))
        .bold_line_style(ShapeStyle::from(pal.grid).stroke_width(theme.stroke(1.0)))
        .light_line_style(TRANSPARENT)
        .set_all_tick_mark_size(tick_len)
        .draw()?;

    // Bars 0.8 wide; a share too small to see still gets a hairline so the bar exists.
    let plot = chart.plotting_area();
    for (i, &share) in shares.iter().enumerate() {
        let k = i + 1;
        let color = if keys.contains(&k) {
            KEY_FREQUENCY_COLOR
        } else {
            pal.bar
        };
        let x = k as f64;
        plot.draw(&Rectangle::new(
            [(x - 0.4, 0.0), (x + 0.4, share)],
            color.filled(),
        ))?;
    }

    // Key numbers above their bars, strongest first; one that would touch another is
    // skipped (adjacent keys such as 14 and 15 on a narrow canvas). Only when the keys are
    // few: before grokking nearly every frequency is "key" and numbers would be clutter.
    let mut taken: Vec<(i32, i32)> = Vec::new();
    let base = area.get_base_pixel();
    let numbered = if keys.len() <= MAX_NUMBERED_KEYS {
        &keys[..]
    } else {
        &[]
    };
    for &k in numbered {
        let label = k.to_string();
        let lw = text_width(area, &label, &note)?;
        let (x, y) = chart.backend_coord(&(k as f64, shares[k - 1]));
        let (a, b) = (x - lw / 2 - theme.px(2.0), x + lw / 2 + theme.px(2.0));
        if taken.iter().any(|&(c, d)| a < d && c < b) {
            continue;
        }
        taken.push((a, b));
        let style = note.pos(Pos::new(HPos::Center, VPos::Bottom));
        area.draw_text(&label, &style, (x - base.0, y - base.1 - theme.px(3.0)))?;
    }

    // The strip: what the colour means (left) and the concentration (right).
    let cy = strip_h / 2 + theme.px(2.0);
    let plot_left = chart.backend_coord(&(0.5, 0.0)).0 - base.0;
    if !keys.is_empty() {
        let sw = theme.px(11.0);
        area.draw(&Rectangle::new(
            [(plot_left, cy - sw / 2), (plot_left + sw, cy + sw / 2)],
            KEY_FREQUENCY_COLOR.filled(),
        ))?;
        let style = text.pos(Pos::new(HPos::Left, VPos::Center));
        let caption = if keys.len() == 1 {
            format!("{name} frequency")
        } else {
            format!("{name} frequencies ({})", keys.len())
        };
        area.draw_text(&caption, &style, (plot_left + sw + gap, cy))?;
    }
    if spectrum.gini.is_finite() {
        let style = text.pos(Pos::new(HPos::Right, VPos::Center));
        let right = chart.backend_coord(&(x_hi, 0.0)).0 - base.0;
        area.draw_text(&format!("Gini {:.2}", spectrum.gini), &style, (right, cy))?;
    }
    Ok(())
}
