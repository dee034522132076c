// The playground's levers of the research: initialisation scale, a fixed weight norm
// (Omnigrok), the optimiser (AdamW or Adam with coupled L2), the minibatch and Grokfast.
// Each is a setting of the run at step 0 (Config in src/config.rs), so changing one
// restarts the run, like the data and model settings.
//
// Nothing here knows a number of its own: the ranges are the page's link limits
// (LINK_LIMITS), the starting values of a lever switched on come from Rust
// (lever_defaults), the optimisers' names from `optimizers()`, and a value out of range
// (a radius ≤ 0, Grokfast's α outside (0, 1), a minibatch larger than the training set)
// is brought into range by Rust (fit_config), which says what it changed: the page shows
// those sentences and the controls the values the run really uses. The slider scale and
// the batch menu's entries are the page's own choices.
//
// main.js owns the run: it calls show(config) after every (re)start, and gets the new
// settings through apply(changes, label, notices).

import { lever_defaults, optimizers, fit_config } from './pkg/grokking.js';
import { DEFAULTS, LIMITS, formatNumber } from './params.js';

const $ = (id) => document.getElementById(id);

/** Mantissas of the initialisation-scale slider (roughly even steps on a log scale). */
const SCALE_MANTISSAS = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8];
/** Minibatch sizes in the menu: powers of two within the link's range. */
const powersOfTwo = ([lo, hi]) => {
  const out = [];
  for (let b = 1; b <= hi; b *= 2) if (b >= lo) out.push(b);
  return out;
};

/** The initialisation-scale slider: LIMITS.init_scale's ends and the mantissas between. */
function scaleSteps([lo, hi]) {
  const values = new Set([lo, hi]);
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of SCALE_MANTISSAS) {
      const v = Number((m * 10 ** e).toPrecision(2));
      if (v > lo && v < hi) values.add(v);
    }
  }
  return [...values].sort((a, b) => a - b);
}

/**
 * Wires the levers fieldset.
 *   apply(changes, label, notices)  restart the playground's run with `changes` to its
 *                                   config (null: nothing changed, do not restart);
 *                                   `label` says what changed, `notices` what Rust had
 *                                   to bring into range
 * Returns {show(config)}: puts a run's settings on the controls.
 */
export function setupLevers({ apply }) {
  const ui = {
    scale: $('init-scale'), scaleValue: $('init-scale-value'), scaleHelp: $('init-scale-help'),
    normOn: $('fix-norm-on'), norm: $('fix-norm'),
    optimizer: $('optimizer'), batch: $('batch'),
    gfOn: $('grokfast-on'), alpha: $('grokfast-alpha'), lambda: $('grokfast-lambda'),
  };
  const starts = lever_defaults();
  const steps = scaleSteps(LIMITS.init_scale);
  const batches = powersOfTwo(LIMITS.batch);
  /** The config the controls last showed (the run's). */
  let shown = { ...DEFAULTS };

  ui.scale.min = '0';
  ui.scale.max = String(steps.length - 1);
  ui.scaleHelp.textContent = `every weight matrix starts this many times its usual size: ${formatNumber(LIMITS.init_scale[0])} to ${formatNumber(LIMITS.init_scale[1])}, log scale`;
  const position = (x) => {
    let best = 0;
    steps.forEach((v, i) => { if (Math.abs(Math.log(v / x)) < Math.abs(Math.log(steps[best] / x))) best = i; });
    return best;
  };
  ui.norm.min = String(LIMITS.fix_norm[0]);
  ui.norm.max = String(LIMITS.fix_norm[1]);
  ui.alpha.min = String(LIMITS.grokfast_alpha[0]);
  ui.alpha.max = String(LIMITS.grokfast_alpha[1]);
  ui.lambda.min = String(LIMITS.grokfast_lambda[0]);
  ui.lambda.max = String(LIMITS.grokfast_lambda[1]);
  ui.optimizer.replaceChildren(...optimizers().map((o) => new Option(o.label, o.name)));

  /** The batch menu: full, the powers of two, and the run's own size if it is another. */
  function fillBatch(batch) {
    const values = [...new Set([...batches, ...(batch > 0 ? [batch] : [])])].sort((a, b) => a - b);
    ui.batch.replaceChildren(new Option('full', '0'), ...values.map((b) => new Option(String(b), String(b))));
    ui.batch.value = String(batch);
  }

  function show(config) {
    shown = { ...config };
    ui.scale.value = String(position(config.init_scale));
    ui.scaleValue.textContent = formatNumber(config.init_scale);
    const norm = config.fix_norm;
    ui.normOn.checked = norm !== null;
    ui.norm.disabled = norm === null;
    ui.norm.value = String(norm ?? starts.fix_norm);
    ui.optimizer.value = config.optimizer;
    fillBatch(config.batch);
    const gf = config.grokfast;
    ui.gfOn.checked = gf !== null;
    ui.alpha.disabled = gf === null;
    ui.lambda.disabled = gf === null;
    ui.alpha.value = String(gf?.alpha ?? starts.grokfast.alpha);
    ui.lambda.value = String(gf?.lambda ?? starts.grokfast.lambda);
  }

  /** A number field's value, or NaN (Rust's fit_config brings NaN to the range's end). */
  const read = (input) => (input.value.trim() === '' ? NaN : Number(input.value));

  /** The levers as the controls say, on top of the run's other settings. */
  function fromControls() {
    return {
      init_scale: steps[Number(ui.scale.value)] ?? shown.init_scale,
      fix_norm: ui.normOn.checked ? read(ui.norm) : null,
      optimizer: ui.optimizer.value,
      batch: Number(ui.batch.value),
      grokfast: ui.gfOn.checked ? { alpha: read(ui.alpha), lambda: read(ui.lambda) } : null,
    };
  }

  /** What changed, for the "Restarted with …" note. */
  function describe(c) {
    const parts = [];
    if (c.init_scale !== shown.init_scale) parts.push(`initialisation scale ${formatNumber(c.init_scale)}`);
    if (c.fix_norm !== shown.fix_norm) parts.push(c.fix_norm === null ? 'the weight norm free' : `the weight norm held at ${formatNumber(c.fix_norm)}`);
    if (c.optimizer !== shown.optimizer) parts.push(ui.optimizer.selectedOptions[0]?.textContent ?? c.optimizer);
    if (c.batch !== shown.batch) parts.push(c.batch === 0 ? 'the full batch' : `minibatches of ${c.batch}`);
    const gf = c.grokfast;
    const was = shown.grokfast;
    if (JSON.stringify(gf) !== JSON.stringify(was)) parts.push(gf === null ? 'Grokfast off' : `Grokfast α ${formatNumber(gf.alpha)}, λ ${formatNumber(gf.lambda)}`);
    return parts.join(', ') || 'the same levers';
  }

  function changed() {
    // JSON has no NaN: a field left empty or unreadable goes to Rust as a string it
    // cannot read, so send the range's end instead and say so.
    const wanted = fromControls();
    const notices = [];
    const finite = (x, fallback, what) => {
      if (Number.isFinite(x)) return x;
      notices.push(`${what} must be a number: using ${formatNumber(fallback)}`);
      return fallback;
    };
    if (wanted.fix_norm !== null) wanted.fix_norm = finite(wanted.fix_norm, starts.fix_norm, 'the radius');
    if (wanted.grokfast !== null) {
      wanted.grokfast = {
        alpha: finite(wanted.grokfast.alpha, starts.grokfast.alpha, 'Grokfast α'),
        lambda: finite(wanted.grokfast.lambda, starts.grokfast.lambda, 'Grokfast λ'),
      };
    }
    const fitted = fit_config({ ...shown, ...wanted });
    notices.push(...fitted.notices);
    const c = fitted.config;
    const changes = {
      init_scale: c.init_scale, fix_norm: c.fix_norm, optimizer: c.optimizer, batch: c.batch, grokfast: c.grokfast,
    };
    const same = JSON.stringify(Object.keys(changes).map((k) => shown[k])) === JSON.stringify(Object.values(changes));
    const label = describe(changes);
    show({ ...shown, ...changes });
    // Nothing to restart for (a field committed again, a value brought back to the one
    // in force): only say what was brought into range.
    apply(same ? null : changes, label, notices);
  }

  ui.scale.addEventListener('input', () => { ui.scaleValue.textContent = formatNumber(steps[Number(ui.scale.value)]); });
  ui.scale.addEventListener('change', changed);
  ui.normOn.addEventListener('change', () => { ui.norm.disabled = !ui.normOn.checked; changed(); });
  ui.gfOn.addEventListener('change', () => {
    ui.alpha.disabled = !ui.gfOn.checked;
    ui.lambda.disabled = !ui.gfOn.checked;
    changed();
  });
  for (const input of [ui.norm, ui.alpha, ui.lambda, ui.optimizer, ui.batch]) input.addEventListener('change', changed);
  show(DEFAULTS);
  return { show };
}
