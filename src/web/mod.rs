//! The WebAssembly face of the crate: bindings only.
//!
//! Everything a run does lives in native Rust ([`crate::engine`]); these files give it to
//! JavaScript, one small file per exported type, in the style of rustwasm's Game of Life
//! (state stays in Rust, JS gets small plain objects):
//!
//! - this file: the free functions the page reads its defaults, names and limits from
//!   (and the shard count its worker count must divide), and links parsed and written;
//! - [`canvas`]: plotters' canvas backend with real text measurement;
//! - [`session`]: `Session`, a [`Run`](crate::engine::Run) in a training worker;
//! - [`link`]: `Link`, the shared memory through which workers split each step;
//! - [`figures`]: `Figures`, the page's copy of a run, drawn onto canvases;
//! - [`article`]: the article's other figures (the task, comparisons);
//! - [`phase`]: `CellRun` and `PhaseFigure`, the phase diagram;
//! - [`pacer`]: `Pacer`, the workers' time slicing;
//! - [`kernel_bench`]: `KernelBench`, a step's matrix products for `bench/wasm-step.mjs`.
//!
//! Errors cross the boundary as `JsError`s carrying the readable `Display` message of the
//! Rust error. docs/ARCHITECTURE.md has the data flow.

pub mod article;
pub mod canvas;
pub mod figures;
pub mod kernel_bench;
pub mod link;
pub mod pacer;
pub mod phase;
pub mod session;

use crate::config::{Config, LeverDefaults};
use crate::engine::spec::{LinkLimits, LINK_LIMITS, PAGE_KEYS, RUN_KEYS};
use crate::engine::{to_query, Link, RunSpec};
use crate::model::ModelKind;
use crate::optim::Decay;
use crate::task::{primes_between, Op};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

pub use figures::Figures;
pub use session::Session;

/// Runs once when the module is instantiated (on the page and in the workers): panics
/// then reach the console with their message instead of an opaque "unreachable".
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Converts a Rust value into a plain JS value: structs become objects, `None` becomes
/// `null` (so the value survives `postMessage` and reads naturally in JS).
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// Reads a JS value into a Rust value; the error names the offending field.
pub(crate) fn from_js<T: for<'de> Deserialize<'de>>(value: JsValue) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&e.to_string()))
}

/// A config read from JS and validated.
pub(crate) fn parse_config(config: JsValue) -> Result<Config, JsError> {
    let config: Config = from_js(config)?;
    config.validate()?;
    Ok(config)
}

/// A run spec read from JS and validated.
pub(crate) fn parse_spec(spec: JsValue) -> Result<RunSpec, JsError> {
    let spec: RunSpec = from_js(spec)?;
    spec.validate().map_err(|e| JsError::new(&e.to_string()))?;
    Ok(spec)
}

/// The default run's settings, as a plain object (`{p, op, frac, wd, lr, d, hidden,
/// seed, model, heads, optimizer, batch, init_scale, fix_norm, grokfast}`).
#[wasm_bindgen]
pub fn default_config() -> Result<JsValue, JsError> {
    to_js(&Config::default())
}

/// The transformer preset's settings ([`Config::transformer_preset`]), as a plain object
/// like [`default_config`]'s.
#[wasm_bindgen]
pub fn transformer_preset() -> Result<JsValue, JsError> {
    to_js(&Config::transformer_preset())
}

/// Parses and validates a config object; returns it normalised (every field present,
/// missing ones at their defaults) or throws with a message naming the problem, e.g.
/// "a ÷ b needs a prime modulus, and p = 91 is not prime (91 = 7 × 13)".
#[wasm_bindgen]
pub fn check_config(config: JsValue) -> Result<JsValue, JsError> {
    to_js(&parse_config(config)?)
}

/// The primes in `lo..=hi` (for the modulus menu).
#[wasm_bindgen]
pub fn primes(lo: u32, hi: u32) -> Vec<u32> {
    primes_between(lo, hi)
}

/// One entry of a menu: the name used in configs and links, and what the reader sees.
#[derive(Serialize)]
struct MenuEntry {
    name: &'static str,
    label: String,
    needs_prime: bool,
}

/// The operations as `[{name, label, needs_prime}]`, in menu order (`label` is the
/// formula, e.g. "a + b").
#[wasm_bindgen]
pub fn ops() -> Result<JsValue, JsError> {
    let list: Vec<MenuEntry> = Op::ALL
        .iter()
        .map(|&op| MenuEntry {
            name: op.name(),
            label: op.formula().to_string(),
            needs_prime: op.needs_prime(),
        })
        .collect();
    to_js(&list)
}

/// The models as `[{name, label}]`, in menu order.
#[wasm_bindgen]
pub fn models() -> Result<JsValue, JsError> {
    let list: Vec<MenuEntry> = ModelKind::ALL
        .iter()
        .map(|&m| MenuEntry {
            name: m.name(),
            label: m.label().to_string(),
            needs_prime: false,
        })
        .collect();
    to_js(&list)
}

/// The optimisers as `[{name, label}]`, in menu order.
#[wasm_bindgen]
pub fn optimizers() -> Result<JsValue, JsError> {
    let list: Vec<MenuEntry> = Decay::ALL
        .iter()
        .map(|&d| MenuEntry {
            name: d.name(),
            label: match d {
                Decay::Decoupled => "AdamW (decoupled decay)".into(),
                Decay::Coupled => "Adam + L2 (decay in the gradient)".into(),
            },
            needs_prime: false,
        })
        .collect();
    to_js(&list)
}

/// Everything the page's controls need to know about ranges: `{link: LinkLimits (the
/// sliders' and links' ranges), core: Limits (what the core accepts)}`.
#[derive(Serialize)]
struct AllLimits {
    link: LinkLimits,
    core: crate::config::Limits,
}

/// The ranges of the page's controls and of what the core accepts (see [`LinkLimits`]
/// and [`crate::config::Limits`]).
#[wasm_bindgen]
pub fn limits() -> Result<JsValue, JsError> {
    to_js(&AllLimits {
        link: LINK_LIMITS,
        core: Config::limits(),
    })
}

/// Where each lever starts when the reader switches it on: `{fix_norm, batch, grokfast:
/// {alpha, lambda}}` (see [`LeverDefaults`]).
#[wasm_bindgen]
pub fn lever_defaults() -> Result<JsValue, JsError> {
    to_js(&LeverDefaults::get())
}

/// Brings a config's levers into the page's ranges and its minibatch within its training
/// set (see [`crate::engine::fit_config`]): `{config, notices}`, one sentence per value
/// changed.
#[wasm_bindgen]
pub fn fit_config(config: JsValue) -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    struct Fitted {
        config: Config,
        notices: Vec<String>,
    }
    let mut config: Config = from_js(config)?;
    let notices = crate::engine::fit_config(&mut config);
    to_js(&Fitted { config, notices })
}

/// The fraction a cut of `pairs` training pairs may keep with a minibatch of `batch`
/// (see [`crate::engine::fit_shrink`]): `{keep, notice}` (`notice` null when `keep` was
/// fine).
#[wasm_bindgen]
pub fn fit_shrink(pairs: u32, batch: u32, keep: f64) -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    struct Fitted {
        keep: f64,
        notice: Option<String>,
    }
    let (keep, notice) = crate::engine::fit_shrink(pairs as usize, batch, keep);
    to_js(&Fitted { keep, notice })
}

/// The query keys: `{run: [...], page: [...]}` (run keys describe a run; page keys the
/// page's view of it).
#[wasm_bindgen]
pub fn link_keys() -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    struct Keys {
        run: Vec<&'static str>,
        page: Vec<&'static str>,
    }
    to_js(&Keys {
        run: RUN_KEYS.to_vec(),
        page: PAGE_KEYS.to_vec(),
    })
}

/// Reads a URL or query string: `{spec: {config, schedule, until, stop_when_grokked},
/// autoplay, workers, has_run, notices}`. Never throws: bad values are replaced or
/// clamped, each with a sentence in `notices`.
#[wasm_bindgen]
pub fn parse_link(query: &str) -> Result<JsValue, JsError> {
    to_js(&Link::parse(query))
}

/// The query string (with `?`) that replays `spec` (a run spec object, see
/// [`parse_link`]); `autoplay` false adds `autoplay=0`.
#[wasm_bindgen]
pub fn link_query(spec: JsValue, autoplay: bool) -> Result<String, JsError> {
    let spec: RunSpec = from_js(spec)?;
    Ok(to_query(&spec, autoplay))
}

/// How many parts a training step's gradient is cut into ([`crate::train::SHARDS`]): the
/// number of workers that split a run must divide it (see [`link::Link::byte_length`]),
/// so the page picks its worker count from it.
#[wasm_bindgen]
pub fn shards() -> usize {
    crate::train::SHARDS
}

/// A number as the page shows it (six significant digits at most, no exponent in the
/// usual ranges).
#[wasm_bindgen]
pub fn format_number(x: f64) -> String {
    crate::engine::spec::format_number(x)
}
