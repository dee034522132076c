// What the page knows about a run's settings, all of it read from Rust: the defaults,
// the ranges, the menus, the query keys, and links parsed and written
// (src/engine/spec.rs: RunSpec, Link, to_query; src/web/mod.rs binds them). What stays
// here is the page's own: slider scales built from those ranges, the menu choices for
// the widths, how many workers a run gets, and where a section's share link points.
//
// A link is a run spec in a URL:
//   ?p=97&op=add&frac=0.3&wd=1&lr=0.01&d=32&hidden=128&seed=0
//    &hyper=1500:0.01:0,2000:0.01:1   mid-run changes: step:lr:wd, in step order
//    &shrink=2500:0.5                  the training set cut to half at step 2500
//    &until=400   &stop=1              pause exactly at step 400 / once grokked
//    &autoplay=0                       do not start training on load
//    &workers=2                        split each step between this many workers
// parse_link never fails: unknown keys are ignored, garbage is replaced by the default
// and out-of-range values are clamped, each change reported as a sentence for the
// page's notice; link_query writes numbers in their shortest round-trip form, so a link
// reads back to the identical bits.
//
// Everything below needs the wasm module, so nothing runs at import time: main.js calls
// initParams() once after init(). The exported `let`s are live bindings, filled then.

import {
  default_config, limits, ops, link_keys, parse_link, link_query, format_number, shards,
} from './pkg/grokking.js';

/** The default run's config (Config::default), frozen; copy it before changing it. */
export let DEFAULTS;
/** The page's ranges, {key: [lo, hi]} (LINK_LIMITS in src/engine/spec.rs). */
export let LIMITS;
/** The operations for the menus: [{name, label (the formula), needs_prime}]. */
export let OPS;
/** Keys that describe a run (p, op, frac, …, hyper, shrink). */
export let RUN_KEYS;
/** Weight-decay slider: 0, then 0.001 … the largest decay, ten log steps a decade. */
export let WD_SCALE;
/** Learning-rate slider: the smallest … the largest rate, ten log steps a decade. */
export let LR_SCALE;

/** Menu entries for the widths (other values from a link are added to the menus). */
export const D_CHOICES = [4, 8, 16, 32, 64, 128];
export const HIDDEN_CHOICES = [16, 32, 64, 128, 256, 512];
/** Where the weight-decay slider's log scale starts, after its 0 (a UI choice). */
const WD_SLIDER_LOW = 1e-3;

/** Reads the defaults, ranges, menus and keys from the (initialised) wasm module. */
export function initParams() {
  DEFAULTS = Object.freeze(default_config());
  LIMITS = Object.freeze(limits().link);
  OPS = ops();
  RUN_KEYS = link_keys().run;
  WD_SCALE = logScale(WD_SLIDER_LOW, LIMITS.wd[1], true);
  LR_SCALE = logScale(LIMITS.lr[0], LIMITS.lr[1], false);
}

/** A fresh spec of the default run: no schedule, no pause, no stop. */
export function defaultSpec() {
  return { config: { ...DEFAULTS }, schedule: [], until: null, stop_when_grokked: false };
}

/** A deep copy of a spec (specs are plain data; the copy can be changed freely). */
export function copySpec(spec) {
  return {
    config: { ...spec.config },
    schedule: spec.schedule.map((c) => ({ ...c })),
    until: spec.until ?? null,
    stop_when_grokked: spec.stop_when_grokked === true,
  };
}

/** Reads a URL or query string: {spec, autoplay, workers (null or N), has_run, notices}. */
export function parseLink(search) {
  return parse_link(search);
}

/**
 * Whether a parsed link is about a run: any run key, or a pause step (until=) — such a
 * link is for the playground (or, with sec=, for that section).
 */
export function describesRun(link) {
  return link.has_run || link.spec.until !== null;
}

/** The query string (with '?') that replays `spec`; autoplay false adds autoplay=0. */
export function linkQuery(spec, autoplay = true) {
  return link_query(spec, autoplay);
}

/** A number as the page shows it (six significant digits, no exponent in range). */
export function formatNumber(x) {
  return format_number(x);
}

/** Rounds to two significant digits, so slider values are short and exact in URLs. */
const nice = (x) => Number(x.toPrecision(2));

/**
 * A logarithmic slider scale: integer positions 0..max, ten per decade from `lo` to
 * `hi`, optionally with position 0 meaning exactly zero (weight decay).
 */
function logScale(lo, hi, zeroAtStart) {
  const decades = Math.round(Math.log10(hi / lo));
  const offset = zeroAtStart ? 1 : 0;
  const values = [];
  if (zeroAtStart) values.push(0);
  for (let i = 0; i <= decades * 10; i++) values.push(nice(lo * 10 ** (i / 10)));
  return {
    max: values.length - 1,
    /** The value at slider position `pos`. */
    value: (pos) => values[Math.min(values.length - 1, Math.max(0, Math.round(pos)))],
    /** The position nearest to `value` (in log terms). */
    position(value) {
      if (zeroAtStart && value <= 0) return 0;
      const pos = offset + Math.round(10 * Math.log10(value / lo));
      return Math.min(values.length - 1, Math.max(offset, pos));
    },
  };
}

/** Most workers one run is split between. */
const MAX_WORKERS = 8;

/**
 * How many workers a run is split between: `asked` (a link's workers=N) if given, else
 * as many as help — one per core but one, left for the page's own thread, up to
 * MAX_WORKERS — rounded down to a power of two that divides the number of gradient
 * shards (a Rust constant: each worker takes an equal share of them); at least 1, and 1
 * where the page cannot share memory between workers (not cross-origin isolated).
 *
 * Two cores are the exception: both train, since two workers there take 1.5 times as
 * many steps a second as one (README, "Figures") while the page's thread needs about a
 * tenth of a core.
 */
export function workerCount(asked = null) {
  if (!(self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function')) return 1;
  const cores = navigator.hardwareConcurrency || 1;
  const wanted = Math.min(asked ?? (cores <= 2 ? cores : cores - 1), MAX_WORKERS);
  const shardCount = shards();
  let n = 1;
  while (n * 2 <= wanted && shardCount % (n * 2) === 0) n *= 2;
  return n;
}

/** The view settings of the current URL (presenter mode, controls), to keep in links. */
export function viewSuffix(search) {
  const params = new URLSearchParams(search);
  let out = '';
  for (const key of ['present', 'controls']) {
    if (params.has(key)) out += `&${key}=${encodeURIComponent(params.get(key))}`;
  }
  return out;
}

/**
 * A share link to one article section's run: the spec's query, `sec=<id>`, any `extra`
 * keys ({a: 3}), and `#<id>` so the link opens at that section.
 */
export function sectionLink(id, spec, extra = {}) {
  let query = linkQuery(spec, true);
  query += `&sec=${id}`;
  for (const [k, v] of Object.entries(extra)) query += `&${k}=${encodeURIComponent(String(v))}`;
  return `${location.origin}${location.pathname}${query}#${id}`;
}
