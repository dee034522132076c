#![cfg(not(target_arch = "wasm32"))]
//! The page's stylesheet against the figures' palette: the palette is defined once, in
//! `src/plots/theme.rs`, and `www/style.css` may only repeat it — as the custom properties
//! listed in [`CSS_COLORS`], with the same values in the light and the dark theme. A colour
//! changed on one side only fails here, with the line to write on the other.

use grokking::plots::{css_hex, okabe_ito, CSS_COLORS};
use plotters::style::RGBColor;
use std::collections::BTreeMap;

/// Colour variables of the stylesheet that belong to the page alone (panels, form fields,
/// the warning box, and the shades of the curve colours that text in them uses, for a
/// contrast of 4.5:1): no figure draws them, so they have no constant in the theme.
const PAGE_ONLY: [&str; 7] = [
    "--panel",
    "--field",
    "--warn-bg",
    "--warn-fg",
    "--train-text",
    "--test-text",
    "--norm-text",
];

fn stylesheet() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/www/style.css");
    std::fs::read_to_string(path).expect("read www/style.css")
}

/// One declaration `name: value` of the stylesheet, with the rule it is in.
#[derive(Debug)]
struct Declaration {
    name: String,
    value: String,
    /// The selector of the innermost rule, e.g. ":root".
    selector: String,
    /// Inside an `@media (prefers-color-scheme: dark)` block.
    dark: bool,
}

/// The stylesheet without its comments.
fn strip_comments(css: &str) -> String {
    let mut out = String::new();
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = match rest[start + 2..].find("*/") {
            Some(end) => &rest[start + 2 + end + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// Every declaration of the stylesheet (enough of CSS for this file: rules and at-rules
/// nest by braces, declarations end at `;` or `}`).
fn declarations(css: &str) -> Vec<Declaration> {
    let css = strip_comments(css);
    let mut preludes: Vec<String> = Vec::new();
    let mut buf = String::new();
    let mut out = Vec::new();
    for c in css.chars() {
        match c {
            '{' => {
                preludes.push(buf.trim().to_string());
                buf.clear();
            }
            ';' | '}' => {
                if let (Some(selector), Some((name, value))) =
                    (preludes.last(), buf.split_once(':'))
                {
                    out.push(Declaration {
                        name: name.trim().to_string(),
                        value: value.trim().to_string(),
                        selector: selector.clone(),
                        dark: preludes.iter().any(|p| {
                            p.starts_with("@media") && p.contains("prefers-color-scheme: dark")
                        }),
                    });
                }
                buf.clear();
                if c == '}' {
                    preludes.pop();
                }
            }
            _ => buf.push(c),
        }
    }
    out
}

/// The custom properties set on `:root`, light (outside any dark block) or dark.
fn root_variables(decls: &[Declaration], dark: bool) -> BTreeMap<String, String> {
    decls
        .iter()
        .filter(|d| d.selector == ":root" && d.dark == dark && d.name.starts_with("--"))
        .map(|d| (d.name.clone(), d.value.to_ascii_uppercase()))
        .collect()
}

/// The `#rrggbb` colours in a value, upper case.
fn hex_colors(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in value.match_indices('#') {
        let hex: String = value[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect();
        if hex.len() == 6 {
            out.push(format!("#{}", hex.to_ascii_uppercase()));
        }
    }
    out
}

#[test]
fn stylesheet_repeats_the_palette_exactly_in_both_themes() {
    let decls = declarations(&stylesheet());
    let light = root_variables(&decls, false);
    let dark = root_variables(&decls, true);
    assert!(
        light.len() >= CSS_COLORS.len(),
        "the parser found the :root rule: {light:?}"
    );
    let mut wrong = Vec::new();
    for c in CSS_COLORS {
        let (want_light, want_dark) = (css_hex(c.light), css_hex(c.dark));
        let got_light = light.get(c.name).cloned().unwrap_or_default();
        // Not set again for the dark theme: the light value holds there too.
        let got_dark = dark.get(c.name).unwrap_or(&got_light).clone();
        if got_light != want_light {
            wrong.push(format!(
                ":root {{ {}: {} }} (found {:?})",
                c.name,
                want_light.to_lowercase(),
                got_light
            ));
        }
        if got_dark != want_dark {
            wrong.push(format!(
                "@media (prefers-color-scheme: dark) {{ :root {{ {}: {} }} }} (found {:?})",
                c.name,
                want_dark.to_lowercase(),
                got_dark
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "www/style.css differs from src/plots/theme.rs; it should say:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_colour_variable_is_either_the_palette_or_the_pages_own() {
    let decls = declarations(&stylesheet());
    for dark in [false, true] {
        for (name, value) in root_variables(&decls, dark) {
            if hex_colors(&value).is_empty() {
                continue;
            }
            assert!(
                CSS_COLORS.iter().any(|c| c.name == name) || PAGE_ONLY.contains(&name.as_str()),
                "{name}: {value} is new: if a figure draws it, define it in src/plots/theme.rs \
                 and list it in CSS_COLORS; if only the page uses it, add it to PAGE_ONLY here"
            );
        }
    }
}

#[test]
fn figure_colours_are_used_through_their_variables() {
    // A rule that writes an Okabe–Ito colour as a literal instead of var(--…) would escape
    // the checks above.
    let okabe: Vec<String> = okabe_ito::ALL.iter().map(|&c| css_hex(c)).collect();
    let decls = declarations(&stylesheet());
    assert!(decls.len() > 100, "the parser read the stylesheet");
    for d in decls.iter().filter(|d| !d.name.starts_with("--")) {
        for hex in hex_colors(&d.value) {
            assert!(
                !okabe.contains(&hex),
                "{} {{ {}: {} }} writes a palette colour as a literal: use its variable",
                d.selector,
                d.name,
                d.value
            );
        }
    }
}

#[test]
fn roles_are_okabe_ito_colours() {
    // The data colours the page repeats are Okabe–Ito colours (the greys of the themes
    // and the ink on phase cells are not).
    let greys = ["--bg", "--fg", "--muted", "--rule", "--phase-ink"];
    let is_okabe = |c: RGBColor| okabe_ito::ALL.contains(&c);
    for c in CSS_COLORS.iter().filter(|c| !greys.contains(&c.name)) {
        assert!(
            is_okabe(c.light) && is_okabe(c.dark),
            "{} is not Okabe–Ito",
            c.name
        );
    }
}
