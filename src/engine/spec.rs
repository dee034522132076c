//! A run's description — [`RunSpec`] — and its form as a link's query string.
//!
//! A `RunSpec` is everything that fixes what a run does: its [`Config`], the schedule of
//! mid-run changes (new learning rate or weight decay, the training set cut down), the
//! step to pause at and whether to stop once grokked. The page's URL, its share links,
//! the messages to its workers, `grok train --link` and the tests all carry this one
//! value, so a run described once is the same run everywhere.
//!
//! The query string (`?p=97&op=add&frac=0.3&…&hyper=1500:0.01:0&until=2000`) is parsed
//! and written here, not in JavaScript. Parsing never fails: unknown keys are ignored,
//! garbage is replaced by the default and out-of-range values are clamped to the page's
//! ranges ([`LinkLimits`]), each such change reported as a sentence for the page's
//! notice (or the CLI's stderr). Writing uses JavaScript's shortest round-trip form of
//! each number (which Rust's `Display` for f64 also is), so a link parses back to the
//! identical bits.

use crate::config::{validate_hyper, Config, ConfigError, GrokfastConfig};
use crate::model::ModelKind;
use crate::optim::Decay;
use crate::task::Op;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What changes at a scheduled step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ChangeKind {
    /// New learning rate and weight decay (a slider moved).
    Hyper {
        /// Learning rate from this step on.
        lr: f64,
        /// Weight decay from this step on.
        wd: f64,
    },
    /// Keep only this fraction of the current training pairs (ungrokking).
    Shrink {
        /// The fraction kept, in (0, 1].
        keep: f64,
    },
}

/// A change that takes effect before the update of step `step`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The first step taken with the change in force (≥ 1: step 0's settings are the
    /// config's).
    pub step: u64,
    /// What changes.
    #[serde(flatten)]
    pub what: ChangeKind,
}

/// Everything that fixes a run: see the module documentation. Unknown fields are an error
/// (a config passed where a spec is expected must not silently become the default run).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunSpec {
    /// The settings at step 0.
    pub config: Config,
    /// Mid-run changes, by increasing step (at most one of each kind per step).
    pub schedule: Vec<Change>,
    /// Pause exactly when this many steps have been taken.
    pub until: Option<u64>,
    /// Pause right after the step at which test accuracy first reaches 95%.
    pub stop_when_grokked: bool,
}

/// Why a [`RunSpec`] was rejected.
#[derive(Clone, Debug, PartialEq)]
pub enum SpecError {
    /// The config is bad.
    Config(ConfigError),
    /// A scheduled change is bad (the message says which and why).
    Schedule(String),
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecError::Config(e) => e.fmt(f),
            SpecError::Schedule(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for SpecError {}

impl From<ConfigError> for SpecError {
    fn from(e: ConfigError) -> Self {
        SpecError::Config(e)
    }
}

impl RunSpec {
    /// A run of `config` with no schedule, no pause and no stop.
    pub fn new(config: Config) -> RunSpec {
        RunSpec {
            config,
            ..RunSpec::default()
        }
    }

    /// Checks the config and the schedule (steps ≥ 1 and increasing per kind, values in
    /// range). A shrink that would empty the training set is caught when it is applied.
    pub fn validate(&self) -> Result<(), SpecError> {
        self.config.validate()?;
        let mut last: [Option<u64>; 2] = [None; 2];
        for c in &self.schedule {
            let (slot, name, first) = match c.what {
                ChangeKind::Hyper { lr, wd } => {
                    validate_hyper(lr, wd).map_err(|e| {
                        SpecError::Schedule(format!("the change at step {}: {e}", c.step))
                    })?;
                    (0, "learning-rate/weight-decay", 1)
                }
                ChangeKind::Shrink { keep } => {
                    if !(keep.is_finite() && keep > 0.0 && keep <= 1.0) {
                        return Err(SpecError::Schedule(format!(
                            "the cut at step {}: the fraction kept ({keep}) must be more than 0 and at most 1",
                            c.step
                        )));
                    }
                    (1, "training-set", 0)
                }
            };
            if c.step < first || last[slot].is_some_and(|l| c.step <= l) {
                return Err(SpecError::Schedule(format!(
                    "{name} changes must come at step {first} or later, in increasing order (step {} after step {})",
                    c.step,
                    last[slot].unwrap_or(0)
                )));
            }
            last[slot] = Some(c.step);
        }
        Ok(())
    }

    /// The schedule's learning-rate / weight-decay changes as `(step, lr, wd)`.
    pub fn hyper_changes(&self) -> impl Iterator<Item = (u64, f64, f64)> + '_ {
        self.schedule.iter().filter_map(|c| match c.what {
            ChangeKind::Hyper { lr, wd } => Some((c.step, lr, wd)),
            _ => None,
        })
    }

    /// The schedule's training-set cuts as `(step, keep)`.
    pub fn shrinks(&self) -> impl Iterator<Item = (u64, f64)> + '_ {
        self.schedule.iter().filter_map(|c| match c.what {
            ChangeKind::Shrink { keep } => Some((c.step, keep)),
            _ => None,
        })
    }

    /// Inserts `change`, keeping the schedule in step order; a change of the same kind
    /// at the same step is replaced.
    pub fn schedule_change(&mut self, change: Change) {
        let same = |c: &Change| {
            c.step == change.step
                && std::mem::discriminant(&c.what) == std::mem::discriminant(&change.what)
        };
        if let Some(slot) = self.schedule.iter_mut().find(|c| same(c)) {
            *slot = change;
            return;
        }
        let at = self.schedule.partition_point(|c| c.step <= change.step);
        self.schedule.insert(at, change);
    }
}

// ---------------------------------------------------------------------------------------
// Links

/// The ranges the page's controls and links accept (narrower than what [`Config`]
/// accepts: a slider needs ends a reader can use). Values out of these ranges in a link
/// are clamped, with a notice.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkLimits {
    /// Modulus.
    pub p: (f64, f64),
    /// Training fraction.
    pub frac: (f64, f64),
    /// Weight decay.
    pub wd: (f64, f64),
    /// Learning rate.
    pub lr: (f64, f64),
    /// Embedding width.
    pub d: (f64, f64),
    /// Hidden width.
    pub hidden: (f64, f64),
    /// Seed.
    pub seed: (f64, f64),
    /// Attention heads.
    pub heads: (f64, f64),
    /// Minibatch size (0, full batch, is also accepted).
    pub batch: (f64, f64),
    /// Initialisation scale.
    pub init_scale: (f64, f64),
    /// Fixed weight norm.
    pub fix_norm: (f64, f64),
    /// Grokfast's α (exclusive ends).
    pub grokfast_alpha: (f64, f64),
    /// Grokfast's λ.
    pub grokfast_lambda: (f64, f64),
    /// Fraction of the training pairs kept by a cut.
    pub shrink: (f64, f64),
}

/// The page's ranges.
pub const LINK_LIMITS: LinkLimits = LinkLimits {
    p: (3.0, 257.0),
    frac: (0.05, 0.95),
    wd: (0.0, 10.0),
    lr: (1e-4, 10.0),
    d: (1.0, 512.0),
    hidden: (1.0, 2048.0),
    seed: (0.0, 4_294_967_295.0),
    heads: (1.0, 16.0),
    batch: (32.0, 2048.0),
    init_scale: (0.25, 8.0),
    fix_norm: (1.0, 1000.0),
    grokfast_alpha: (0.5, 0.999),
    grokfast_lambda: (0.0, 10.0),
    shrink: (0.01, 1.0),
};

/// Keys that describe a run (their presence means "this link is about a run").
pub const RUN_KEYS: [&str; 17] = [
    "p",
    "op",
    "frac",
    "wd",
    "lr",
    "d",
    "hidden",
    "seed",
    "model",
    "heads",
    "optimizer",
    "batch",
    "init_scale",
    "fix_norm",
    "grokfast",
    "hyper",
    "shrink",
];

/// Keys of the page that do not describe a run: `until` and `stop` (pause points),
/// `autoplay`, `workers`, the article's (`sec`: the run keys describe that section's run;
/// `a`, `b`: the task's pair; `frame`: the step shown in "inside"; `present`, `controls`:
/// presenter mode) and the phase diagram's.
pub const PAGE_KEYS: [&str; 17] = [
    "until",
    "stop",
    "autoplay",
    "workers",
    "bench",
    "sec",
    "a",
    "b",
    "frame",
    "present",
    "controls",
    "phase-x",
    "phase-y",
    "phase-xs",
    "phase-ys",
    "phase-steps",
    "phase-run",
];

/// Older phase-diagram keys, still accepted (`phase-wd`, `phase-frac`: the two axes'
/// values when the axes were fixed; `phase-p`, `phase-workers`).
pub const LEGACY_KEYS: [&str; 4] = ["phase-wd", "phase-frac", "phase-p", "phase-workers"];

/// What a link says: the run, and how the page should show it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Link {
    /// The run.
    pub spec: RunSpec,
    /// Start training on load (default true; `autoplay=0`).
    pub autoplay: bool,
    /// Workers to split each step between (`workers=N`; `None`: as many as the page
    /// judges useful).
    pub workers: Option<u32>,
    /// Whether any run key was present.
    pub has_run: bool,
    /// What was ignored or changed, one sentence each.
    pub notices: Vec<String>,
}

/// A number for a sentence: short, no exponent for the ranges used here.
pub fn format_number(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    if x.abs() >= 1e-4 && x.abs() < 1e6 {
        // Six significant digits, trailing zeros dropped (like JS's Number(x.toPrecision(6))).
        let digits = 5 - x.abs().log10().floor() as i32;
        let s = format!("{:.*}", digits.max(0) as usize, x);
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        return s;
    }
    format!("{x:.2e}")
}

/// Parses one number: the value, or None with a complaint when it is not a number.
fn number(key: &str, raw: &str, notices: &mut Vec<String>) -> Option<f64> {
    let t = raw.trim();
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() && !t.is_empty() => Some(x),
        _ => {
            notices.push(format!("{key}={raw} is not a number: using the default"));
            None
        }
    }
}

/// Clamps `x` into `[lo, hi]` (rounding first when `integer`), with a notice when changed.
fn clamp(
    key: &str,
    raw: &str,
    x: f64,
    (lo, hi): (f64, f64),
    integer: bool,
    notices: &mut Vec<String>,
) -> f64 {
    let mut v = x;
    if integer && v.fract() != 0.0 {
        v = v.round();
        notices.push(format!(
            "{key}={raw} is not a whole number: using {}",
            format_number(v)
        ));
    }
    if v < lo || v > hi {
        v = v.clamp(lo, hi);
        notices.push(format!(
            "{key}={raw} is out of range ({} to {}): using {}",
            format_number(lo),
            format_number(hi),
            format_number(v)
        ));
    }
    v
}

/// A whole-number setting from a link.
fn int_param(
    key: &str,
    raw: &str,
    range: (f64, f64),
    default: u32,
    notices: &mut Vec<String>,
) -> u32 {
    match number(key, raw, notices) {
        Some(x) => clamp(key, raw, x, range, true, notices) as u32,
        None => default,
    }
}

/// A real-valued setting from a link.
fn real_param(
    key: &str,
    raw: &str,
    range: (f64, f64),
    default: f64,
    notices: &mut Vec<String>,
) -> f64 {
    match number(key, raw, notices) {
        Some(x) => clamp(key, raw, x, range, false, notices),
        None => default,
    }
}

/// Percent-decodes a query component (`+` is a space); None if it is not UTF-8.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The query part of a URL or query string (`https://…/?p=97#x`, `?p=97`, `p=97`).
fn query_of(input: &str) -> &str {
    let s = input.trim();
    let s = s.split('#').next().unwrap_or("");
    match s.find('?') {
        Some(i) => &s[i + 1..],
        None if s.contains('=') => s,
        None => "",
    }
}

/// The key/value pairs of a query, decoded, in order.
pub fn query_pairs(input: &str) -> Vec<(String, String)> {
    query_of(input)
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (
                decode(k).unwrap_or_else(|| k.to_string()),
                decode(v).unwrap_or_else(|| v.to_string()),
            )
        })
        .collect()
}

/// Parses `hyper=step:lr:wd,…`: entries that do not parse, are out of the page's ranges
/// or do not increase in step are dropped with a notice.
fn parse_hyper(raw: &str, spec: &mut RunSpec, notices: &mut Vec<String>) {
    let mut last = 0;
    for entry in raw.split(',').filter(|e| !e.trim().is_empty()) {
        let parts: Vec<&str> = entry.split(':').collect();
        let nums: Vec<Option<f64>> = parts.iter().map(|s| s.trim().parse::<f64>().ok()).collect();
        let ok = match nums.as_slice() {
            [Some(step), Some(lr), Some(wd)] => {
                let (lo, hi) = LINK_LIMITS.lr;
                let good = step.fract() == 0.0
                    && *step >= 1.0
                    && (*step as u64) > last
                    && lr.is_finite()
                    && wd.is_finite()
                    && *lr >= lo
                    && *lr <= hi
                    && *wd >= LINK_LIMITS.wd.0
                    && *wd <= LINK_LIMITS.wd.1;
                if good {
                    last = *step as u64;
                    spec.schedule_change(Change {
                        step: last,
                        what: ChangeKind::Hyper { lr: *lr, wd: *wd },
                    });
                }
                good
            }
            _ => false,
        };
        if !ok {
            notices.push(format!(
                "ignored the change \"{entry}\" in hyper= (expected step:lr:wd, steps increasing, lr {} to {}, wd 0 to {})",
                format_number(LINK_LIMITS.lr.0),
                format_number(LINK_LIMITS.lr.1),
                format_number(LINK_LIMITS.wd.1)
            ));
        }
    }
}

/// Parses `shrink=step:keep,…` (the training set cut to `keep` of its pairs at `step`).
fn parse_shrink(raw: &str, spec: &mut RunSpec, notices: &mut Vec<String>) {
    let mut last = 0;
    for entry in raw.split(',').filter(|e| !e.trim().is_empty()) {
        let parts: Vec<&str> = entry.split(':').collect();
        let nums: Vec<Option<f64>> = parts.iter().map(|s| s.trim().parse::<f64>().ok()).collect();
        let (lo, hi) = LINK_LIMITS.shrink;
        match nums.as_slice() {
            [Some(step), Some(keep)]
                if step.fract() == 0.0
                    && *step >= 1.0
                    && (*step as u64) > last
                    && *keep >= lo
                    && *keep <= hi =>
            {
                last = *step as u64;
                spec.schedule_change(Change {
                    step: last,
                    what: ChangeKind::Shrink { keep: *keep },
                });
            }
            _ => notices.push(format!(
                "ignored the cut \"{entry}\" in shrink= (expected step:fraction kept, steps increasing, fraction {} to {})",
                format_number(lo),
                format_number(hi)
            )),
        }
    }
}

impl Link {
    /// Reads a URL or query string. Never fails; see the module documentation.
    pub fn parse(input: &str) -> Link {
        let mut notices = Vec::new();
        let mut spec = RunSpec::default();
        let mut autoplay = true;
        let mut workers = None;
        let mut has_run = false;
        let mut seen: Vec<String> = Vec::new();
        let defaults = Config::default();
        for (key, raw) in query_pairs(input) {
            let known = RUN_KEYS.contains(&key.as_str())
                || PAGE_KEYS.contains(&key.as_str())
                || LEGACY_KEYS.contains(&key.as_str());
            if !known {
                notices.push(format!("ignored the unknown parameter \"{key}\""));
                continue;
            }
            if seen.contains(&key) {
                notices.push(format!(
                    "\"{key}\" is given more than once: using the first"
                ));
                continue;
            }
            seen.push(key.clone());
            has_run |= RUN_KEYS.contains(&key.as_str());
            let n = &mut notices;
            let c = &mut spec.config;
            let l = &LINK_LIMITS;
            match key.as_str() {
                "p" => c.p = int_param("p", &raw, l.p, defaults.p, n),
                "d" => c.d = int_param("d", &raw, l.d, defaults.d, n),
                "hidden" => c.hidden = int_param("hidden", &raw, l.hidden, defaults.hidden, n),
                "seed" => c.seed = int_param("seed", &raw, l.seed, defaults.seed, n),
                "heads" => c.heads = int_param("heads", &raw, l.heads, defaults.heads, n),
                "frac" => c.frac = real_param("frac", &raw, l.frac, defaults.frac, n),
                "wd" => c.wd = real_param("wd", &raw, l.wd, defaults.wd, n),
                "lr" => c.lr = real_param("lr", &raw, l.lr, defaults.lr, n),
                "init_scale" => c.init_scale = real_param("init_scale", &raw, l.init_scale, 1.0, n),
                "batch" => {
                    c.batch = match number("batch", &raw, n) {
                        Some(0.0) => 0,
                        Some(x) => clamp("batch", &raw, x, l.batch, true, n) as u32,
                        None => 0,
                    }
                }
                "fix_norm" => {
                    c.fix_norm = match raw.trim() {
                        "" | "off" | "0" => None,
                        _ => number("fix_norm", &raw, n)
                            .map(|x| clamp("fix_norm", &raw, x, l.fix_norm, false, n)),
                    }
                }
                "grokfast" => {
                    c.grokfast = match raw.trim() {
                        "" | "off" | "0" => None,
                        text => {
                            let parts: Vec<Option<f64>> = text
                                .split([',', ':'])
                                .map(|s| s.trim().parse().ok())
                                .collect();
                            match parts.as_slice() {
                                [Some(a), Some(b)] if a.is_finite() && b.is_finite() => {
                                    let alpha =
                                        clamp("grokfast α", &raw, *a, l.grokfast_alpha, false, n);
                                    let lambda =
                                        clamp("grokfast λ", &raw, *b, l.grokfast_lambda, false, n);
                                    Some(GrokfastConfig { alpha, lambda })
                                }
                                _ => {
                                    n.push(format!(
                                        "grokfast={raw} should be ALPHA,LAMBDA (e.g. 0.98,2): Grokfast off"
                                    ));
                                    None
                                }
                            }
                        }
                    }
                }
                "op" => match raw.parse::<Op>() {
                    Ok(op) => c.op = op,
                    Err(_) => n.push(format!(
                        "op={raw} is not an operation ({}): using {}",
                        Op::ALL.map(|o| o.name()).join(", "),
                        defaults.op.name()
                    )),
                },
                "model" => match raw.parse::<ModelKind>() {
                    Ok(m) => c.model = m,
                    Err(e) => n.push(format!("model={raw}: {e}; using {}", defaults.model)),
                },
                "optimizer" => match raw.parse::<Decay>() {
                    Ok(d) => c.optimizer = d,
                    Err(e) => n.push(format!("optimizer={raw}: {e}; using adamw")),
                },
                "hyper" => parse_hyper(&raw, &mut spec, n),
                "shrink" => parse_shrink(&raw, &mut spec, n),
                "until" => match raw.trim().parse::<u64>() {
                    Ok(s) if s >= 1 => spec.until = Some(s),
                    _ => n.push(format!(
                        "until={raw} is not a step number (1 or more): ignored"
                    )),
                },
                "stop" => match raw.as_str() {
                    "1" => spec.stop_when_grokked = true,
                    "0" => {}
                    _ => n.push(format!("stop={raw} should be 0 or 1: ignored")),
                },
                "autoplay" => match raw.as_str() {
                    "0" => autoplay = false,
                    "1" => {}
                    _ => n.push(format!("autoplay={raw} should be 0 or 1: using 1")),
                },
                "workers" => match raw.trim().parse::<u32>() {
                    Ok(w) if [1, 2, 4, 8].contains(&w) => workers = Some(w),
                    _ => n.push(format!(
                        "workers={raw} should be 1, 2, 4 or 8: using as many as help"
                    )),
                },
                // The article's and the phase diagram's keys are read by their sections.
                _ => {}
            }
        }
        Link {
            spec,
            autoplay,
            workers,
            has_run,
            notices,
        }
    }
}

/// Writes a run as a query string (with the leading `?`): the first eight settings
/// always, in a fixed order, then the others only where they differ from the defaults,
/// then the schedule, `until` and `stop`. Numbers are written in the shortest form that
/// reads back to the same bits.
pub fn to_query(spec: &RunSpec, autoplay: bool) -> String {
    let c = &spec.config;
    let d = Config::default();
    let mut parts = vec![
        format!("p={}", c.p),
        format!("op={}", c.op.name()),
        format!("frac={}", c.frac),
        format!("wd={}", c.wd),
        format!("lr={}", c.lr),
        format!("d={}", c.d),
        format!("hidden={}", c.hidden),
        format!("seed={}", c.seed),
    ];
    if c.model != d.model {
        parts.push(format!("model={}", c.model.name()));
    }
    if c.heads != d.heads {
        parts.push(format!("heads={}", c.heads));
    }
    if c.optimizer != d.optimizer {
        parts.push(format!("optimizer={}", c.optimizer.name()));
    }
    if c.batch != d.batch {
        parts.push(format!("batch={}", c.batch));
    }
    if c.init_scale != d.init_scale {
        parts.push(format!("init_scale={}", c.init_scale));
    }
    if let Some(r) = c.fix_norm {
        parts.push(format!("fix_norm={r}"));
    }
    if let Some(g) = c.grokfast {
        parts.push(format!("grokfast={},{}", g.alpha, g.lambda));
    }
    let hyper: Vec<String> = spec
        .hyper_changes()
        .map(|(s, lr, wd)| format!("{s}:{lr}:{wd}"))
        .collect();
    if !hyper.is_empty() {
        parts.push(format!("hyper={}", hyper.join(",")));
    }
    let shrink: Vec<String> = spec.shrinks().map(|(s, k)| format!("{s}:{k}")).collect();
    if !shrink.is_empty() {
        parts.push(format!("shrink={}", shrink.join(",")));
    }
    if let Some(u) = spec.until {
        parts.push(format!("until={u}"));
    }
    if spec.stop_when_grokked {
        parts.push("stop=1".into());
    }
    if !autoplay {
        parts.push("autoplay=0".into());
    }
    format!("?{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_link_reads_back_to_the_same_spec() {
        let mut spec = RunSpec::new(Config {
            p: 59,
            frac: 0.37,
            wd: 0.1,
            lr: 0.003,
            seed: 7,
            batch: 256,
            init_scale: 2.5,
            fix_norm: Some(42.5),
            grokfast: Some(GrokfastConfig {
                alpha: 0.98,
                lambda: 2.0,
            }),
            optimizer: Decay::Coupled,
            ..Config::default()
        });
        spec.schedule_change(Change {
            step: 300,
            what: ChangeKind::Hyper { lr: 0.01, wd: 0.0 },
        });
        spec.schedule_change(Change {
            step: 200,
            what: ChangeKind::Shrink { keep: 0.5 },
        });
        spec.until = Some(900);
        spec.stop_when_grokked = true;
        let query = to_query(&spec, false);
        let link = Link::parse(&format!("http://127.0.0.1:8000/{query}#playground"));
        assert_eq!(link.notices, Vec::<String>::new());
        assert_eq!(link.spec, spec);
        assert!(!link.autoplay && link.has_run);
        assert_eq!(spec.schedule[0].step, 200, "kept in step order");
    }

    #[test]
    fn garbage_is_replaced_clamped_or_ignored_with_a_notice() {
        let link = Link::parse("?p=abc&frac=2&wd=-1&lr=0.01&d=32.5&op=pow&zzz=1&seed=1&seed=2&hyper=10:0.01:1,5:0.01:0,x&until=-3&workers=3&model=rnn");
        let c = &link.spec.config;
        assert_eq!(c.p, 97);
        assert_eq!(c.frac, 0.95);
        assert_eq!(c.wd, 0.0);
        assert_eq!(c.d, 33, "rounded half away from zero");
        assert_eq!(c.seed, 1);
        assert_eq!(link.spec.schedule.len(), 1, "one good change kept");
        assert_eq!(link.spec.until, None);
        assert_eq!(link.workers, None);
        let all = link.notices.join("\n");
        for expect in [
            "p=abc is not a number",
            "frac=2 is out of range (0.05 to 0.95): using 0.95",
            "wd=-1 is out of range",
            "d=32.5 is not a whole number: using 33",
            "op=pow is not an operation",
            "unknown parameter \"zzz\"",
            "\"seed\" is given more than once",
            "ignored the change \"5:0.01:0\"",
            "ignored the change \"x\"",
            "until=-3",
            "workers=3",
            "model=rnn",
        ] {
            assert!(all.contains(expect), "missing notice {expect:?} in\n{all}");
        }
    }

    #[test]
    fn schedule_must_increase_and_stay_in_range() {
        let mut spec = RunSpec::default();
        spec.schedule.push(Change {
            step: 5,
            what: ChangeKind::Hyper { lr: 0.01, wd: 0.0 },
        });
        spec.schedule.push(Change {
            step: 5,
            what: ChangeKind::Shrink { keep: 0.5 },
        });
        assert_eq!(spec.validate(), Ok(()), "one change of each kind per step");
        spec.schedule.push(Change {
            step: 4,
            what: ChangeKind::Hyper { lr: 0.01, wd: 1.0 },
        });
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("increasing"));
        spec.schedule.pop();
        spec.schedule.push(Change {
            step: 9,
            what: ChangeKind::Shrink { keep: 0.0 },
        });
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("more than 0"));
    }

    #[test]
    fn numbers_are_formatted_like_the_page() {
        assert_eq!(format_number(0.95), "0.95");
        assert_eq!(format_number(1e-4), "0.0001");
        assert_eq!(format_number(4294967295.0), "4.29e9");
        assert_eq!(format_number(10.0), "10");
        assert_eq!(format_number(0.123456789), "0.123457");
    }
}
