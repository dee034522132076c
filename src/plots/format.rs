//! Numbers as the figures write them: tick labels, step counts, decade ticks of a log axis.
//!
//! Short on purpose — a label is read from the back of a classroom: three significant
//! digits, no trailing zeros, "2.5k" rather than 2500, "10⁻⁴" rather than 0.0001.

/// A number with up to three significant digits and no trailing zeros: 0.3, 0.001, 12.5,
/// 1e-4 (scientific outside 0.001..100 000).
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
        trim_zeros(format!("{v:.decimals$}"))
    } else {
        let s = format!("{v:.2e}");
        match s.split_once('e') {
            Some((mantissa, exp)) => format!("{}e{exp}", trim_zeros(mantissa.to_string())),
            None => s,
        }
    }
}

/// `s` without the trailing zeros of its fraction (and without the point if nothing is
/// left after it).
fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A training step for a tick label: 1, 10, 100, 1k, 10k, 2.5k, 1M.
pub fn format_step(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", format_number(v / 1e6))
    } else if a >= 1e3 {
        format!("{}k", format_number(v / 1e3))
    } else {
        format_number(v)
    }
}

/// The superscript digits 0–9, for the exponents of decade ticks.
pub(super) const SUPERSCRIPT: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];

/// A tick of a log axis of small values: 10, 1, 0.1, 0.01, then 10⁻³, 10⁻⁴, … (powers of
/// ten with a superscript exponent stay short and readable from the back of a classroom).
pub(super) fn format_log_tick(v: f64) -> String {
    if !(v.is_finite() && v > 0.0) {
        return format_number(v);
    }
    let e = v.log10().round();
    let is_decade = (v / 10f64.powf(e) - 1.0).abs() < 1e-6;
    if !is_decade || e >= -2.0 {
        return if v >= 1.0 {
            format_step(v)
        } else {
            format_number(v)
        };
    }
    let digits: String = (-e as i64)
        .to_string()
        .chars()
        .map(|c| SUPERSCRIPT[c.to_digit(10).unwrap_or(0) as usize])
        .collect();
    format!("10⁻{digits}")
}
