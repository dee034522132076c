// The page's entry point, and the playground: loads the wasm module, reads the link,
// wires the playground's controls, readouts and figures to its LiveRun, then sets up the
// article's sections above it (article.js, task.js), the keyboard (keys.js), presenter
// mode (present.js) and the phase diagram below it (phase.js).
//
// The playground's run is a LiveRun (live-run.js), the same state machine as every
// article figure's: its worker owns the run — settings, the schedule of slider changes,
// the pause step, stop-when-grokked — and reports back snapshots and the spec a share
// link should carry. What lives here is page state only: which notices show, whether
// the URL mirrors the run, what the controls display.
//
// The playground trains only while it (or the hidden-progress section, which shows the
// same run) is on screen and the reader wants it to (autoplay or Play); it owns the URL
// only once the reader uses it or the page was opened with playground parameters.
//
// Below the playground, the same worker answers two probes on request, at exactly the
// step it has reached: the key-frequency ablations and "ask the network"; the phase
// diagram (phase.js) runs in workers of its own and can load one of its cells into the
// playground (loadRun).
//
// The URL mirrors the run (history.replaceState), so reloading or sharing it replays the
// same run: the core is deterministic, so the same settings and the same changes at the
// same steps give bit-identical numbers in the same build.

import init, { primes, fit_config, fit_shrink } from './pkg/grokking.js';
import { Board } from './figures.js';
import { LiveRun, StaleRequest, writeRunData } from './live-run.js';
import { loadWasm } from './wasm.js';
import { benchWanted, setupBenchPanel } from './bench-panel.js';
import { setupPhase } from './phase.js';
import { setupArticle } from './article.js';
import { setupTask } from './task.js';
import { setupKeys, register } from './keys.js';
import { setupPresent } from './present.js';
import { saveText, runName, wirePngButtons, addPngButtons } from './export.js';
import { fillFacts } from './facts.js';
import { setupLevers } from './levers.js';
import {
  initParams, DEFAULTS, LIMITS, OPS, MODELS, TRANSFORMER_PRESET, D_CHOICES, HIDDEN_CHOICES,
  HEAD_CHOICES, WD_SCALE, LR_SCALE,
  defaultSpec, describesRun, parseLink, linkQuery, formatNumber, viewSuffix, workerCount,
} from './params.js';

const $ = (id) => document.getElementById(id);

/**
 * Settings the presets change (everything else returns to the defaults). What each does
 * is said in the page's prose under the presets, measured with `grok train`, seed 0.
 */
const PRESETS = {
  'no-decay': { wd: 0 },
  'sweet-spot': { wd: 1, frac: 0.3 },
  'little-data': { frac: 0.2 },
  'lots-of-data': { frac: 0.6 },
  'heavy-decay': { wd: 10 },
  diverge: { lr: 3 },
  // The whole config of Config::transformer_preset, read from Rust once it is loaded.
  transformer: () => TRANSFORMER_PRESET,
};

const ui = {
  play: $('play'), step: $('step'), reset: $('reset'), sps: $('sps'),
  metrics: $('metrics'), status: $('status'),
  notice: $('notice'), noticeText: $('notice-text'), noticeDismiss: $('notice-dismiss'),
  wd: $('wd'), wdValue: $('wd-value'), lr: $('lr'), lrValue: $('lr-value'),
  frac: $('frac'), fracValue: $('frac-value'),
  p: $('p'), op: $('op'), d: $('d'), hidden: $('hidden'), seed: $('seed'),
  model: $('model'), heads: $('heads'),
  restartNote: $('restart-note'),
  shareUrl: $('share-url'), copyLink: $('copy-link'), downloadCsv: $('download-csv'),
  downloadJson: $('download-json'), stopGrokked: $('stop-grokked'),
  shrink: $('shrink'), shrinkKeep: $('shrink-keep'), trainPairs: $('train-pairs'),
  spectrumSummary: $('spectrum-summary'),
  progressKeys: $('progress-keys'), progressNote: $('progress-note'),
  ablate: $('ablate'), ablation: $('ablation'), ablationNote: $('ablation-note'),
  askForm: $('ask'), askA: $('ask-a'), askB: $('ask-b'), askError: $('ask-error'),
  askResult: $('ask-result'),
};

/** The playground's run (made in main(), once the wasm module is loaded). */
let live = null;

/** The speed readout of ?bench=1 (bench-panel.js), or null. */
let benchPanel = null;

/** Whether the URL mirrors the playground (once used, or opened with its parameters). */
let ownsUrl = false;

/** Notices shown in #notice, by kind; `url` and `info` can be dismissed. */
const notices = { url: [], run: null, info: null };

let board = null;
let restartNoteTimer = null;
/** The levers' controls (levers.js): show(config). */
let levers = null;

const capitalise = (s) => s.charAt(0).toUpperCase() + s.slice(1);

// ---------------------------------------------------------------------------------------
// Notices

function renderNotices() {
  const nodes = [];
  const para = (text) => {
    const p = document.createElement('p');
    p.textContent = text;
    nodes.push(p);
  };
  if (live?.configError) para(`This configuration cannot run: ${live.configError}.`);
  if (notices.run) para(notices.run);
  if (notices.url.length > 0) {
    para('Some settings in the link were changed:');
    const list = document.createElement('ul');
    for (const text of notices.url) {
      const item = document.createElement('li');
      item.textContent = text;
      list.append(item);
    }
    nodes.push(list);
  }
  if (notices.info) para(notices.info);
  // Only touch the live region when its text changes, so screen readers announce news.
  const text = nodes.map((n) => n.textContent).join('\n');
  if (ui.noticeText.dataset.text !== text) {
    ui.noticeText.dataset.text = text;
    ui.noticeText.replaceChildren(...nodes);
  }
  // The live region itself stays in place (so screen readers announce what appears in
  // it); when empty it only collapses.
  ui.notice.classList.toggle('empty', nodes.length === 0);
  ui.noticeDismiss.hidden = notices.url.length === 0 && notices.info === null;
}

function setInfo(text) {
  notices.info = text;
  renderNotices();
}

// ---------------------------------------------------------------------------------------
// Controls ↔ run

function option(value, text) {
  const el = document.createElement('option');
  el.value = String(value);
  el.textContent = text;
  return el;
}

/** Fills a numeric <select> with `choices` plus `extra` (a value from a link), sorted. */
function fillNumberSelect(select, choices, extra, describe = String) {
  const values = [...new Set([...choices, extra])].sort((a, b) => a - b);
  select.replaceChildren(...values.map((v) => option(v, describe(v))));
  select.value = String(extra);
}

/** Shows the run's data and model settings in their menus and fields. */
function showConfig() {
  const { p, d, hidden, op, frac, seed, model, heads } = live.config;
  const primeList = primes(LIMITS.p[0], LIMITS.p[1]);
  const isPrime = new Set(primeList);
  fillNumberSelect(ui.p, primeList, p, (v) => (isPrime.has(v) ? String(v) : `${v} (not prime)`));
  fillNumberSelect(ui.d, D_CHOICES, d);
  fillNumberSelect(ui.hidden, HIDDEN_CHOICES, hidden);
  fillNumberSelect(ui.heads, HEAD_CHOICES, heads, (v) => (d % v === 0 ? String(v) : `${v} (does not divide d = ${d})`));
  ui.model.value = model;
  // Heads mean nothing to the MLP: shown, but not offered.
  ui.heads.disabled = model !== 'transformer';
  ui.op.value = op;
  ui.frac.value = String(frac);
  ui.fracValue.textContent = frac.toFixed(frac * 100 === Math.round(frac * 100) ? 2 : 3);
  ui.seed.value = String(seed);
  levers?.show(live.config);
}

/**
 * Shows the hyperparameters in force on their sliders — unless a change the reader made
 * is still on its way to the worker (each key press on a slider is one), so a late reply
 * does not move the slider back under their hands.
 */
function showHyper() {
  if (live.pendingChanges > 0) return;
  ui.wd.value = String(WD_SCALE.position(live.wd));
  ui.wdValue.textContent = formatNumber(live.wd);
  ui.lr.value = String(LR_SCALE.position(live.lr));
  ui.lrValue.textContent = formatNumber(live.lr);
}

// ---------------------------------------------------------------------------------------
// URL

/** The query string that replays the run as it is now. */
function currentQuery() {
  const paused = live.state === 'paused' && live.step > 0;
  // A link to a diverged run replays it up to the divergence.
  const autoplay = live.state === 'running' || live.state === 'diverged' || paused || live.wantPlay;
  return linkQuery(live.linkSpec, autoplay);
}

function syncUrl() {
  const query = currentQuery();
  const url = `${location.origin}${location.pathname}${query}#playground`;
  if (ownsUrl) {
    const full = `${query}${viewSuffix(location.search)}`;
    if (location.search !== full || location.hash !== '#playground') history.replaceState(null, '', `${full}#playground`);
  }
  if (ui.shareUrl.value !== url) ui.shareUrl.value = url;
}

/** The reader used the playground: from now on the URL describes its run. */
function takeUrl() {
  ownsUrl = true;
}

// ---------------------------------------------------------------------------------------
// Readouts

const percent = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—');
const loss = (x) => (Number.isFinite(x) ? (x < 1e-3 ? x.toExponential(1) : x.toPrecision(3)) : '—');

function showRun() {
  const m = live.metrics;
  writeRunData(ui.metrics, live);
  $('m-step').textContent = live.step.toLocaleString('en');
  $('m-state').textContent = live.state;
  $('m-train-acc').textContent = m ? percent(m.train_acc) : '—';
  $('m-test-acc').textContent = m ? percent(m.test_acc) : '—';
  $('m-train-loss').textContent = m ? loss(m.train_loss) : '—';
  $('m-test-loss').textContent = m ? loss(m.test_loss) : '—';
  $('m-norm').textContent = m && Number.isFinite(m.weight_norm) ? m.weight_norm.toFixed(1) : '—';
  ui.metrics.title = m && m.step !== live.step ? `metrics as of step ${m.step} (measured every few steps while running)` : '';
  ui.status.textContent = `memorised at step ${live.memorisedAt ?? '—'} · grokked at step ${live.grokkedAt ?? '—'}`;

  const playable = live.hasSession && live.state !== 'diverged';
  // Play stays pressable while a restarted run is being made (a few milliseconds after
  // a setting changed): the wish is kept and sent once the run is ready.
  ui.play.disabled = !(playable || live.startingUp);
  ui.play.textContent = live.playing ? 'Pause' : 'Play';
  ui.step.disabled = !playable;
  ui.shrink.disabled = !playable;
  ui.trainPairs.textContent = live.trainPairs === null ? '' : `(${live.trainPairs.toLocaleString('en')} now)`;
  ui.reset.disabled = !live.hasSession && live.configError !== null;
  ui.downloadCsv.disabled = !live.hasSession;
  ui.downloadJson.disabled = !live.hasSession;
  if (live.state === 'running' && live.sps !== null) {
    const n = live.workersInUse;
    ui.sps.textContent = `${Math.round(live.sps)} steps/s${n > 1 ? ` · ${n} workers` : ''}`;
  } else if (live.state !== 'running') {
    ui.sps.textContent = '— steps/s';
  }
  ui.stopGrokked.checked = live.stopWhenGrokked;
  benchPanel?.update();
}

function showFigureNotes() {
  const figures = live.figures;
  for (let i = 0; i < 3; i++) {
    const k = figures.circle_k(i);
    const share = figures.circle_share(i);
    const fig = $(`fig-circle-${i}`).closest('figure');
    fig.hidden = k === undefined && figures.circle_count > 0;
    if (k !== undefined) {
      $(`c-caption-${i}`).textContent = `k = ${k} · ${(100 * share).toFixed(1)}% of energy`;
    }
  }
  const share = figures.key_share();
  const keys = figures.key_count;
  ui.progressKeys.dataset.keys = String(keys);
  ui.progressKeys.dataset.points = String(figures.progress_count);
  ui.progressKeys.textContent = share === undefined ? ''
    : `Now: ${keys} key frequenc${keys === 1 ? 'y holds' : 'ies hold'} ${(100 * share).toFixed(1)}% of the embedding's energy (Gini ${figures.gini().toFixed(2)}).`;
  ui.progressNote.hidden = figures.has_measures || figures.point_count === 0;
  const gini = figures.gini();
  ui.spectrumSummary.textContent = gini === undefined ? ''
    : `Now: ${keys} key frequenc${keys === 1 ? 'y holds' : 'ies hold'} 90% of the energy; Gini coefficient ${gini.toFixed(2)} (0: spread evenly, 1: all on one).`;
}

/** After every change of the run: readouts, notices, figures, URL. */
function changed(what, msg) {
  switch (what) {
    case 'start':
      notices.run = null;
      clearProbes();
      showConfig();
      board.invalidate();
      break;
    case 'diverged':
      notices.run = `${capitalise(live.message)}. Press Reset to start again.`;
      break;
    case 'error':
      // The worker itself failed; a refused spec shows through live.configError, a
      // refused change as info.
      if (live.state === 'error') notices.run = live.message;
      else if (live.hasSession) setInfo(capitalise(live.message));
      break;
    case 'changed':
      if (msg?.error !== undefined) setInfo(`That change was not made: ${msg.error}.`);
      break;
    case 'paused':
      if (msg?.reason === 'failed') setInfo(capitalise(live.message));
      break;
    default:
      break;
  }
  if (msg?.snapshot) {
    showFigureNotes();
    board.invalidate();
  }
  showHyper();
  renderNotices();
  showRun();
  syncUrl();
}

// ---------------------------------------------------------------------------------------
// Probes: ablations and "ask the network" (computed in the worker, at the current step)

/** Forgets the readouts of the previous run. */
function clearProbes() {
  const { p, op } = live.config;
  ui.ablation.hidden = true;
  ui.ablation.dataset.step = '';
  ui.ablationNote.textContent = '';
  ui.askResult.replaceChildren();
  ui.askResult.dataset.step = '';
  ui.askError.textContent = '';
  const max = p - 1;
  for (const input of [ui.askA, ui.askB]) {
    input.max = String(max);
    // Keep the suggested pair valid for the new modulus (and b ≠ 0 for division).
    const n = Number(input.value);
    if (Number.isInteger(n) && n > max) input.value = String(n % p || 1);
  }
  $('ask-range').textContent = `0 to ${max}${op === 'div' ? '; b not 0' : ''}`;
}

/** A probe's answer about a run that has since been replaced is dropped. */
function unlessStale(show) {
  return (err) => {
    if (!(err instanceof StaleRequest)) show(err);
  };
}

function showAblation(a) {
  const el = ui.ablation;
  const cells = {
    'ab-real-train': a.train_acc, 'ab-real-test': a.test_acc,
    'ab-keep-train': a.measures?.restricted_train_acc, 'ab-keep-test': a.measures?.restricted_test_acc,
    'ab-drop-train': a.measures?.excluded_train_acc, 'ab-drop-test': a.measures?.excluded_test_acc,
  };
  for (const [id, value] of Object.entries(cells)) $(id).textContent = value === undefined ? 'n/a' : percent(value);
  el.dataset.step = String(a.step);
  el.dataset.realTest = String(a.test_acc);
  el.dataset.keepTest = a.measures ? String(a.measures.restricted_test_acc) : '';
  el.dataset.dropTest = a.measures ? String(a.measures.excluded_test_acc) : '';
  el.dataset.dropTrain = a.measures ? String(a.measures.excluded_train_acc) : '';
  $('ablation-step').textContent = a.step.toLocaleString('en');
  el.hidden = false;
  const keys = a.keys.length <= 12 ? a.keys.join(', ') : `${a.keys.slice(0, 12).join(', ')}, …`;
  ui.ablationNote.textContent = a.measures
    ? `Key frequencies used: ${a.keys.length} (${keys}), holding ${(100 * a.key_share).toFixed(1)}% of the embedding's energy.`
    : 'This operation has no single Fourier answer variable, so the logits cannot be split by frequency: only the real network is shown.';
}

function showPrediction(pr) {
  ui.askError.textContent = '';
  const el = ui.askResult;
  el.dataset.step = String(pr.step);
  el.dataset.a = String(pr.a);
  el.dataset.b = String(pr.b);
  el.dataset.truth = String(pr.truth);
  el.dataset.top = String(pr.top[0].answer);
  el.dataset.inTrain = String(pr.in_train);
  const head = document.createElement('p');
  const right = pr.top[0].answer === pr.truth;
  head.textContent = `At step ${pr.step.toLocaleString('en')}, for a = ${pr.a}, b = ${pr.b} the true answer is ${pr.truth}; the network ${right ? 'answers it correctly' : `answers ${pr.top[0].answer} — wrong`}. This pair is ${pr.in_train ? 'in the training set (seen in training)' : 'a test pair (never seen in training)'}.`;
  const list = document.createElement('ol');
  list.className = 'guesses';
  for (const g of pr.top) {
    const item = document.createElement('li');
    if (g.answer === pr.truth) item.className = 'truth';
    const label = document.createElement('span');
    label.className = 'guess';
    label.textContent = `${g.answer}${g.answer === pr.truth ? ' ✓' : ''}`;
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.setProperty('--p', String(g.prob));
    const prob = document.createElement('span');
    prob.className = 'prob';
    prob.textContent = g.prob < 1e-5 ? '< 0.001%' : `${(100 * g.prob).toFixed(g.prob < 0.001 ? 3 : 1)}%`;
    item.append(label, bar, prob);
    list.append(item);
  }
  el.replaceChildren(head, list);
}

/** Validates the two numbers and asks the worker. */
function ask(event) {
  event.preventDefault();
  if (!live.hasSession) return;
  const { p, op } = live.config;
  const read = (input, name) => {
    const text = input.value.trim();
    const n = Number(text);
    if (text === '' || !Number.isInteger(n) || n < 0 || n >= p) return [null, `${name} must be a whole number from 0 to ${p - 1}`];
    return [n, null];
  };
  const [a, errA] = read(ui.askA, 'a');
  const [b, errB] = read(ui.askB, 'b');
  let error = errA ?? errB;
  if (!error && op === 'div' && b === 0) error = 'b must not be 0 for division';
  if (error) {
    ui.askError.textContent = `${error}.`;
    return;
  }
  live.request('predict', { a, b })
    .then(showPrediction, unlessStale((err) => { ui.askError.textContent = `${err.message}.`; }));
}

function ablate() {
  if (!live.hasSession) return;
  live.request('ablate').then(showAblation, unlessStale((err) => { ui.ablationNote.textContent = `${capitalise(err.message)}.`; }));
}

async function download(kind) {
  const name = `${runName('playground', live.config)}.${kind}`;
  try {
    const text = await live.request(kind);
    saveText(text, name, kind === 'csv' ? 'text/csv' : 'application/json');
  } catch (err) {
    if (!(err instanceof StaleRequest)) setInfo(`Could not export: ${err.message}.`);
  }
}

// ---------------------------------------------------------------------------------------
// Actions

/**
 * Restarts from step 0 with `changes` to the data or model settings (or none: Reset):
 * the hyperparameters now in force become the run's settings, and the schedule of
 * changes and the pause point are dropped.
 */
function restart(changes, why, noteEl = ui.restartNote) {
  // A minibatch larger than a smaller training set, say, is brought into range by Rust.
  const fitted = fit_config({ ...live.config, lr: live.lr, wd: live.wd, ...changes });
  if (fitted.notices.length > 0) setInfo(`Changed to run: ${fitted.notices.join('; ')}.`);
  live.restart({ config: fitted.config, schedule: [], until: null });
  if (why) {
    noteEl.textContent = why;
    clearTimeout(restartNoteTimer);
    restartNoteTimer = setTimeout(() => { noteEl.textContent = ''; }, 4000);
  }
}

/** Starts a new run of `config` (a preset, or a phase-diagram cell) and plays it. */
function startNew(config) {
  takeUrl();
  live.wantPlay = true;
  live.restart({ config: { ...DEFAULTS, ...config }, schedule: [], until: null });
}

/** Loads a run (a clicked phase-diagram cell) into the playground and starts it. */
function loadRun(config, what) {
  startNew(config);
  const still = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  document.querySelector('.playground').scrollIntoView({ behavior: still ? 'auto' : 'smooth', block: 'start' });
  setInfo(`Loaded the phase-diagram run: ${what}, p = ${config.p}, seed ${config.seed}.`);
}

function togglePlay() {
  takeUrl();
  live.togglePlay();
}

function stepOnce() {
  if (!live.hasSession || live.state === 'diverged') return;
  takeUrl();
  live.stepOnce();
}

function reset() {
  takeUrl();
  notices.run = null;
  restart({}, null);
}

/** A data or model setting changed: restart with it. */
function changeConfig(key, value, label) {
  takeUrl();
  restart({ [key]: value }, `Restarted with ${label}.`);
}

async function copyLink() {
  takeUrl();
  syncUrl();
  const url = ui.shareUrl.value;
  try {
    // Some browsers leave the promise pending while they ask for permission.
    const timeout = new Promise((_, reject) => { setTimeout(() => reject(new Error('timeout')), 3000); });
    await Promise.race([navigator.clipboard.writeText(url), timeout]);
    setInfo('Link copied to the clipboard.');
  } catch {
    ui.shareUrl.focus();
    ui.shareUrl.select();
    setInfo('Could not use the clipboard here; the link is selected in the box below — copy it from there.');
  }
}

// ---------------------------------------------------------------------------------------
// Wiring

function wireControls() {
  ui.play.addEventListener('click', togglePlay);
  ui.step.addEventListener('click', stepOnce);
  ui.reset.addEventListener('click', reset);
  ui.copyLink.addEventListener('click', copyLink);
  ui.downloadCsv.addEventListener('click', () => download('csv'));
  ui.downloadJson.addEventListener('click', () => download('json'));
  ui.stopGrokked.addEventListener('change', () => {
    takeUrl();
    // The worker's run stops at once if it has already grokked.
    live.stopWhenGrokked = ui.stopGrokked.checked;
    syncUrl();
  });
  wirePngButtons($('playground'));
  ui.noticeDismiss.addEventListener('click', () => {
    notices.url = [];
    notices.info = null;
    renderNotices();
  });
  ui.shareUrl.addEventListener('focus', () => ui.shareUrl.select());
  ui.ablate.addEventListener('click', ablate);
  ui.askForm.addEventListener('submit', ask);

  // Sliders: the label follows while dragging; the value applies on release (and on
  // every key press), so a drag records one change on the curves, not dozens.
  ui.wd.max = String(WD_SCALE.max);
  ui.lr.max = String(LR_SCALE.max);
  $('wd-help').textContent = `0, then ${formatNumber(WD_SCALE.value(1))} to ${formatNumber(LIMITS.wd[1])} on a log scale`;
  $('lr-help').textContent = `${formatNumber(LIMITS.lr[0])} to ${formatNumber(LIMITS.lr[1])}, log scale; far above 0.1 training blows up`;
  ui.wd.addEventListener('input', () => { ui.wdValue.textContent = formatNumber(WD_SCALE.value(ui.wd.value)); });
  ui.lr.addEventListener('input', () => { ui.lrValue.textContent = formatNumber(LR_SCALE.value(ui.lr.value)); });
  ui.shrink.addEventListener('click', () => {
    takeUrl();
    // A cut that would leave no pair (or less than a minibatch) keeps the least it may.
    const fitted = fit_shrink(live.trainPairs ?? 0, live.config.batch, Number(ui.shrinkKeep.value));
    if (fitted.notice !== null) setInfo(`${capitalise(fitted.notice)}.`);
    live.shrink(fitted.keep);
  });
  const changeHyper = (lr, wd) => {
    takeUrl();
    live.setHyper(lr, wd);
  };
  ui.wd.addEventListener('change', () => changeHyper(live.lr, WD_SCALE.value(ui.wd.value)));
  ui.lr.addEventListener('change', () => changeHyper(LR_SCALE.value(ui.lr.value), live.wd));

  ui.frac.min = String(LIMITS.frac[0]);
  ui.frac.max = String(LIMITS.frac[1]);
  ui.frac.addEventListener('input', () => { ui.fracValue.textContent = Number(ui.frac.value).toFixed(2); });
  ui.frac.addEventListener('change', () => {
    const frac = Number(ui.frac.value);
    changeConfig('frac', frac, `training fraction ${frac.toFixed(2)}`);
  });
  ui.op.addEventListener('change', () => {
    const text = ui.op.selectedOptions[0]?.textContent ?? ui.op.value;
    changeConfig('op', ui.op.value, text);
  });
  ui.p.addEventListener('change', () => changeConfig('p', Number(ui.p.value), `p = ${ui.p.value}`));
  ui.d.addEventListener('change', () => changeConfig('d', Number(ui.d.value), `embedding width ${ui.d.value}`));
  ui.hidden.addEventListener('change', () => changeConfig('hidden', Number(ui.hidden.value), `hidden width ${ui.hidden.value}`));
  ui.model.replaceChildren(...MODELS.map((m) => option(m.name, m.label)));
  ui.model.addEventListener('change', () => {
    const text = ui.model.selectedOptions[0]?.textContent ?? ui.model.value;
    changeConfig('model', ui.model.value, text);
  });
  ui.heads.addEventListener('change', () => changeConfig('heads', Number(ui.heads.value), `${ui.heads.value} heads`));
  ui.seed.min = String(LIMITS.seed[0]);
  ui.seed.max = String(LIMITS.seed[1]);
  ui.seed.addEventListener('change', () => {
    const [lo, hi] = LIMITS.seed;
    let seed = Math.round(Number(ui.seed.value));
    if (!Number.isFinite(seed)) seed = live.config.seed;
    seed = Math.min(hi, Math.max(lo, seed));
    ui.seed.value = String(seed);
    if (seed !== live.config.seed) changeConfig('seed', seed, `seed ${seed}`);
  });

  levers = setupLevers({
    apply(changes, label, fitNotices) {
      if (fitNotices.length > 0) setInfo(`Changed to run: ${fitNotices.join('; ')}.`);
      if (changes === null) return;
      takeUrl();
      restart(changes, `Restarted with ${label}.`, $('levers-note'));
    },
  });

  for (const button of document.querySelectorAll('[data-preset]')) {
    button.addEventListener('click', () => {
      const preset = PRESETS[button.dataset.preset];
      startNew(typeof preset === 'function' ? preset() : preset);
    });
  }

  // Keyboard shortcuts (keys.js) act on the playground while it is the section in view.
  const actions = { togglePlay, step: stepOnce, reset };
  register($('playground'), actions);
  register($('hidden-progress'), actions);

  // Train only while the playground or the hidden-progress figures are on screen.
  const shown = new Map();
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) shown.set(entry.target, entry.isIntersecting);
    live.setVisible([...shown.values()].some(Boolean));
  });
  observer.observe($('playground'));
  observer.observe($('hidden-progress'));
}

function setupFigures() {
  const dark = window.matchMedia('(prefers-color-scheme: dark)');
  board = new Board(() => dark.matches);
  dark.addEventListener('change', () => board.invalidate());
  window.addEventListener('presentchange', () => board.invalidate());
  const figures = live.figures;
  const add = (id, draw) => board.add($(`fig-${id}`), draw, $(`t-${id}`));
  add('accuracy', (c, s, d) => figures.draw_accuracy(c, s, d));
  add('loss', (c, s, d) => figures.draw_loss(c, s, d));
  add('norm', (c, s, d) => figures.draw_norm(c, s, d));
  for (let i = 0; i < 3; i++) add(`circle-${i}`, (c, s, d) => figures.draw_circle(c, i, s, d));
  add('spectrum', (c, s, d) => figures.draw_spectrum(c, s, d));
  add('progress', (c, s, d) => figures.draw_progress(c, s, d));
}

/** Whether the reader scrolled (wheel, touch, keys) while the page was starting. */
let readerScrolled = false;
for (const type of ['wheel', 'touchmove', 'keydown']) {
  window.addEventListener(type, () => { readerScrolled = true; }, { once: true, passive: true });
}

async function main() {
  fillFacts(); // the quoted numbers, meanwhile (no wasm needed)
  // Which build runs here (the workers pick theirs the same way): for tests and bug reports.
  document.documentElement.dataset.wasm = await loadWasm(init);
  initParams();
  ui.op.replaceChildren(...OPS.map((o) => option(o.name, `(${o.label}) mod p`)));

  const search = location.search;
  const params = new URLSearchParams(search);
  const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  $('motion-note').hidden = !reducedMotion;
  // A link to an article section (sec=…) describes that section's run, not this one.
  const forSection = params.has('sec');
  const link = parseLink(search);
  const spec = forSection ? defaultSpec() : link.spec;
  ownsUrl = !forSection && describesRun(link);
  notices.url = link.notices;
  live = new LiveRun({
    id: 'playground',
    label: '',
    spec,
    autoplay: (forSection || link.autoplay) && !reducedMotion,
    workers: workerCount(link.workers),
    progress: true,
    untilPauses: true,
    onChange: changed,
  });
  if (benchWanted(search)) benchPanel = setupBenchPanel(live, ui.sps.closest('.transport'));
  setupPresent(search);
  setupKeys();
  wireControls();
  setupFigures();
  setupTask({ board, search });
  setupArticle({ board, search, reducedMotion });
  addPngButtons();
  // The controls built above (and presenter mode) moved the sections: go back to the
  // section a link points at, unless the reader has already scrolled elsewhere.
  if (location.hash && !readerScrolled) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  setupPhase({
    board,
    getConfig: () => ({ ...live.config, lr: live.lr }),
    loadRun,
    search,
  });
  live.ensure();
}

main().catch((err) => {
  console.error(err);
  notices.run = `The page could not start: ${err?.message ?? err}.`;
  renderNotices();
});
