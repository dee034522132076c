// Settings of a run as the page sees them: ranges, slider scales, and the query string.
//
// Every setting lives in the URL so that a link reproduces a run exactly:
//   ?p=97&op=add&frac=0.3&wd=1&lr=0.01&d=32&hidden=128&seed=0
//    &hyper=1500:0.01:0,2000:0.01:1   mid-run changes: step:lr:wd, in step order
//    &until=400                        pause exactly at step 400
//    &autoplay=0                       do not start training on load
//    &workers=1                        train on one worker (default: two share each step
//                                      where the browser allows; same numbers either way)
// Parsing never fails: unknown keys are ignored, garbage is replaced by the default and
// out-of-range values are clamped, and each such change is reported as a sentence for
// the page's notice area. Pure functions only: nothing here touches the DOM.

/** The default run (matches Config::default in src/train.rs). */
export const DEFAULTS = Object.freeze({
  p: 97, op: 'add', frac: 0.3, wd: 1, lr: 0.01, d: 32, hidden: 128, seed: 0,
});

/** The ranges the page accepts (the Rust core accepts a little more). */
export const RANGES = Object.freeze({
  p: [3, 257],
  frac: [0.05, 0.95],
  wd: [0, 10],
  lr: [1e-4, 10],
  d: [1, 512],
  hidden: [1, 2048],
  seed: [0, 4294967295],
});

/** Menu entries for the widths (other values from a URL are added to the menus). */
export const D_CHOICES = [4, 8, 16, 32, 64, 128];
export const HIDDEN_CHOICES = [16, 32, 64, 128, 256, 512];

/** Operation names accepted in URLs (the menu's formulas come from the wasm module). */
export const OP_NAMES = ['add', 'sub', 'mul', 'div', 'x2y2', 'x2xyy2'];

/** Keys of the phase diagram (read by phase.js; see PHASE_KEYS there). */
export const PHASE_KEYS = ['phase-wd', 'phase-frac', 'phase-steps', 'phase-p', 'phase-workers', 'phase-run'];

/**
 * Keys of the article (read by article.js, task.js, present.js):
 *   sec=decay     the run keys describe that section's run, not the playground's
 *   a=3&b=5       the task section's highlighted pair      frame=1200  step shown in "inside"
 *   stop=1        stop when grokked                        present=1, controls=0  presenter mode
 */
export const ARTICLE_KEYS = ['sec', 'a', 'b', 'frame', 'stop', 'present', 'controls'];

/** Keys that describe a run (their presence means "this link is about a run"). */
export const RUN_KEYS = [...Object.keys(DEFAULTS), 'hyper', 'until'];

/** Keys the query string may contain. */
const KNOWN = new Set([...RUN_KEYS, 'autoplay', 'workers', ...PHASE_KEYS, ...ARTICLE_KEYS]);

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

/** Weight decay slider: 0, then 0.001 … 10 (41 log-spaced values). */
export const WD_SCALE = logScale(1e-3, 10, true);
/** Learning-rate slider: 0.0001 … 10 (51 log-spaced values; above ~1 runs diverge). */
export const LR_SCALE = logScale(1e-4, 10, false);

/** A number for display: short, no exponent for the ranges used here. */
export function formatNumber(x) {
  if (x === 0) return '0';
  if (Math.abs(x) >= 1e-4 && Math.abs(x) < 1e6) return String(Number(x.toPrecision(6)));
  return x.toExponential(2);
}

/** Parses a number field: returns [value, complaint | null]. */
function numberParam(raw, key, { integer = false }) {
  const def = DEFAULTS[key];
  const [lo, hi] = RANGES[key];
  const trimmed = raw.trim();
  const x = trimmed === '' ? NaN : Number(trimmed);
  if (!Number.isFinite(x)) {
    return [def, `${key}=${raw} is not a number: using the default ${formatNumber(def)}`];
  }
  let v = x;
  let why = null;
  if (integer && !Number.isInteger(v)) {
    v = Math.round(v);
    why = `${key}=${raw} is not a whole number: using ${v}`;
  }
  if (v < lo || v > hi) {
    v = Math.min(hi, Math.max(lo, v));
    why = `${key}=${raw} is out of range (${formatNumber(lo)} to ${formatNumber(hi)}): using ${formatNumber(v)}`;
  }
  return [v, why];
}

/** Parses `hyper=step:lr:wd,…`; entries that do not parse are dropped with a complaint. */
function parseHyper(raw, notices) {
  const out = [];
  for (const entry of raw.split(',')) {
    if (entry.trim() === '') continue;
    const parts = entry.split(':');
    const [step, lr, wd] = parts.map((s) => (s.trim() === '' ? NaN : Number(s)));
    const ok = parts.length === 3 && Number.isInteger(step) && step >= 1
      && Number.isFinite(lr) && Number.isFinite(wd)
      && lr >= RANGES.lr[0] && lr <= RANGES.lr[1] && wd >= RANGES.wd[0] && wd <= RANGES.wd[1]
      && (out.length === 0 || step > out[out.length - 1].step);
    if (ok) out.push({ step, lr, wd });
    else notices.push(`ignored the change "${entry}" in hyper= (expected step:lr:wd, steps increasing, lr ${RANGES.lr[0]} to ${RANGES.lr[1]}, wd 0 to ${RANGES.wd[1]})`);
  }
  return out;
}

/**
 * Reads a query string into {config, hyper, until, autoplay, workers, notices}. A composite p in
 * range is kept: it is fine for most operations, and for division the core's validation
 * explains why not.
 */
export function parseQuery(search) {
  const params = new URLSearchParams(search);
  const notices = [];
  const config = { ...DEFAULTS };
  let hyper = [];
  let until = null;
  let autoplay = true;
  let workers = 2;
  const seen = new Set();
  for (const [key, raw] of params) {
    if (!KNOWN.has(key)) {
      notices.push(`ignored the unknown parameter "${key}"`);
      continue;
    }
    if (seen.has(key)) {
      notices.push(`"${key}" is given more than once: using the first`);
      continue;
    }
    seen.add(key);
    let why = null;
    switch (key) {
      case 'op':
        if (OP_NAMES.includes(raw)) config.op = raw;
        else why = `op=${raw} is not an operation (${OP_NAMES.join(', ')}): using ${DEFAULTS.op}`;
        break;
      case 'p': case 'd': case 'hidden': case 'seed':
        [config[key], why] = numberParam(raw, key, { integer: true });
        break;
      case 'frac': case 'wd': case 'lr':
        [config[key], why] = numberParam(raw, key, {});
        break;
      case 'hyper':
        hyper = parseHyper(raw, notices);
        break;
      case 'until': {
        const n = Number(raw);
        if (raw.trim() !== '' && Number.isInteger(n) && n >= 1) until = n;
        else why = `until=${raw} is not a step number (1 or more): ignored`;
        break;
      }
      case 'autoplay':
        if (raw === '0' || raw === '1') autoplay = raw === '1';
        else why = `autoplay=${raw} should be 0 or 1: using 1`;
        break;
      case 'workers':
        if (raw === '1' || raw === '2') workers = Number(raw);
        else why = `workers=${raw} should be 1 or 2: using 2`;
        break;
      default:
        break;
    }
    if (why) notices.push(why);
  }
  return { config, hyper, until, autoplay, workers, notices };
}

/**
 * Writes the state back as a query string (fixed key order; numbers in JS's shortest
 * round-trip form, so parsing the result gives bit-identical values).
 */
export function buildQuery({ config, hyper = [], until = null, autoplay = true }) {
  const parts = [];
  for (const key of Object.keys(DEFAULTS)) parts.push(`${key}=${encodeURIComponent(String(config[key]))}`);
  if (hyper.length > 0) {
    parts.push(`hyper=${hyper.map((e) => `${e.step}:${e.lr}:${e.wd}`).join(',')}`);
  }
  if (until !== null) parts.push(`until=${until}`);
  if (!autoplay) parts.push('autoplay=0');
  return `?${parts.join('&')}`;
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
 * A share link to one article section's run: the run keys, `sec=<id>`, any `extra`
 * keys ({a: 3}), and `#<id>` so the link opens at that section.
 */
export function sectionLink(id, { config, until = null, extra = {} }) {
  let query = buildQuery({ config, until });
  query += `&sec=${id}`;
  for (const [k, v] of Object.entries(extra)) query += `&${k}=${encodeURIComponent(String(v))}`;
  return `${location.origin}${location.pathname}${query}#${id}`;
}
