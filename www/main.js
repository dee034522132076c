// The page's entry point, and the playground: wires the playground's controls, the URL,
// its training worker and its figures, then sets up the article's sections above it
// (article.js, task.js), the keyboard (keys.js) and presenter mode (present.js).
//
// The playground trains only while it (or the hidden-progress section, which shows the
// same run) is on screen and the reader wants it to (autoplay or Play); it owns the URL
// only once the reader uses it or the page was opened with playground parameters.
//
// All computing and drawing happens in Rust (src/web.rs): the worker (worker.js) trains a
// Session and posts snapshots; this module feeds them to a Figures object, which draws
// the canvases (through figures.js, which decides when). What lives here is page state:
//
//   state.config  the run's base settings (what it started with at step 0)
//   state.hyper   learning-rate / weight-decay changes during the run [{step, lr, wd}]
//   state.until   pause exactly at this step (from a link), or null
//   run           what the worker last told us: state, step, metrics, …
//
// Below the playground, the same worker answers two probes on request, at exactly the
// step it has reached: the key-frequency ablations ({type: 'ablate'}) and "ask the
// network" ({type: 'predict', a, b}); the phase diagram (phase.js) runs in workers of its
// own and can load one of its cells into the playground (loadRun).
//
// The URL always mirrors state (history.replaceState), so reloading or sharing it replays
// the same run: the core is deterministic, so the same settings and the same changes at
// the same steps give bit-identical numbers.

import init, { Figures, primes, ops, check_config } from './pkg/grokking.js';
import { Board } from './figures.js';
import { writeRunData } from './live-run.js';
import { loadWasm } from './wasm.js';
import { setupPhase } from './phase.js';
import { setupArticle } from './article.js';
import { setupTask } from './task.js';
import { setupKeys, register } from './keys.js';
import { setupPresent } from './present.js';
import { saveText, runName, wirePngButtons, addPngButtons } from './export.js';
import {
  DEFAULTS, RANGES, RUN_KEYS, D_CHOICES, HIDDEN_CHOICES, WD_SCALE, LR_SCALE,
  parseQuery, buildQuery, formatNumber, viewSuffix,
} from './params.js';

const $ = (id) => document.getElementById(id);

/**
 * Settings the presets change (everything else returns to the defaults). Measured with
 * `grok train`, seed 0: no decay memorises and stays below 1% test accuracy for 3,000
 * steps; the sweet spot (the default) groks at step 1,100; little data memorises and
 * does not grok within 6,000 steps; lots of data groks within a few hundred steps.
 */
const PRESETS = {
  'no-decay': { wd: 0 },
  'sweet-spot': { wd: 1, frac: 0.3 },
  'little-data': { frac: 0.2 },
  'lots-of-data': { frac: 0.6 },
  'heavy-decay': { wd: 10 },
  diverge: { lr: 3 },
};

const ui = {
  play: $('play'), step: $('step'), reset: $('reset'), sps: $('sps'),
  metrics: $('metrics'), status: $('status'),
  notice: $('notice'), noticeText: $('notice-text'), noticeDismiss: $('notice-dismiss'),
  wd: $('wd'), wdValue: $('wd-value'), lr: $('lr'), lrValue: $('lr-value'),
  frac: $('frac'), fracValue: $('frac-value'),
  p: $('p'), op: $('op'), d: $('d'), hidden: $('hidden'), seed: $('seed'),
  restartNote: $('restart-note'),
  shareUrl: $('share-url'), copyLink: $('copy-link'), downloadCsv: $('download-csv'),
  downloadJson: $('download-json'), stopGrokked: $('stop-grokked'),
  spectrumSummary: $('spectrum-summary'),
  progressKeys: $('progress-keys'), progressNote: $('progress-note'),
  ablate: $('ablate'), ablation: $('ablation'), ablationNote: $('ablation-note'),
  askForm: $('ask'), askA: $('ask-a'), askB: $('ask-b'), askError: $('ask-error'),
  askResult: $('ask-result'),
};

const state = { config: { ...DEFAULTS }, hyper: [], until: null, workers: 2 };

/** What the worker last reported. `wantPlay`: the reader wants it running. */
const run = {
  id: 0,
  state: 'idle', // running | paused | diverged | idle
  hasSession: false,
  wantPlay: true,
  step: 0,
  metrics: null,
  memorisedAt: null,
  grokkedAt: null,
  lr: DEFAULTS.lr,
  wd: DEFAULTS.wd,
  /** Whether the playground (or hidden progress) is on screen. */
  visible: false,
  /** Whether the worker was last told to play. */
  asked: false,
};

/** Whether the URL mirrors the playground (once used, or opened with its parameters). */
let ownsUrl = false;

/** Notices shown in #notice, by kind; `url` and `info` can be dismissed. */
const notices = { url: [], config: null, run: null, info: null };

let worker = null;
let figures = null;
let board = null;
let restartNoteTimer = null;

// ---------------------------------------------------------------------------------------
// Notices

function renderNotices() {
  const nodes = [];
  const para = (text) => {
    const p = document.createElement('p');
    p.textContent = text;
    nodes.push(p);
  };
  if (notices.config) para(`This configuration cannot run: ${notices.config}.`);
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
  ui.noticeText.replaceChildren(...nodes);
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
// Controls ↔ state

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

function fillMenus(primeList) {
  const { p, d, hidden, op } = state.config;
  const isPrime = new Set(primeList);
  fillNumberSelect(ui.p, primeList, p, (v) => (isPrime.has(v) ? String(v) : `${v} (not prime)`));
  fillNumberSelect(ui.d, D_CHOICES, d);
  fillNumberSelect(ui.hidden, HIDDEN_CHOICES, hidden);
  ui.op.value = op;
}

/** Shows the hyperparameters in force on their sliders. */
function showHyper(lr, wd) {
  ui.wd.value = String(WD_SCALE.position(wd));
  ui.wdValue.textContent = formatNumber(wd);
  ui.lr.value = String(LR_SCALE.position(lr));
  ui.lrValue.textContent = formatNumber(lr);
}

function showConfig() {
  const c = state.config;
  ui.frac.value = String(c.frac);
  ui.fracValue.textContent = c.frac.toFixed(c.frac * 100 === Math.round(c.frac * 100) ? 2 : 3);
  ui.seed.value = String(c.seed);
  showHyper(run.lr, run.wd);
}

// ---------------------------------------------------------------------------------------
// URL

/** The query string that replays the run as it is now. */
function currentQuery() {
  const paused = run.state === 'paused' && run.step > 0;
  let until = null;
  if (paused) until = run.step;
  else if (state.until !== null && state.until > run.step) until = state.until;
  // A link to a diverged run replays it up to the divergence.
  const autoplay = run.state === 'running' || run.state === 'diverged' || paused || run.wantPlay;
  return buildQuery({ config: state.config, hyper: state.hyper, until, autoplay });
}

function syncUrl() {
  let query = currentQuery();
  if (ui.stopGrokked.checked) query += '&stop=1';
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

/** Plays or pauses the worker as wantPlay and visibility say (only sends changes). */
function syncPlay() {
  if (!run.hasSession || run.state === 'diverged') return;
  const want = run.wantPlay && run.visible;
  if (want === run.asked) return;
  run.asked = want;
  worker.postMessage({ type: want ? 'play' : 'pause' });
}

// ---------------------------------------------------------------------------------------
// Readouts

const percent = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—');
const loss = (x) => (Number.isFinite(x) ? (x < 1e-3 ? x.toExponential(1) : x.toPrecision(3)) : '—');

function showRun() {
  const m = run.metrics;
  const el = ui.metrics;
  writeRunData(el, run);
  el.dataset.workers = String(run.workers ?? 1);
  $('m-step').textContent = run.step.toLocaleString('en');
  $('m-state').textContent = run.state;
  $('m-train-acc').textContent = m ? percent(m.train_acc) : '—';
  $('m-test-acc').textContent = m ? percent(m.test_acc) : '—';
  $('m-train-loss').textContent = m ? loss(m.train_loss) : '—';
  $('m-test-loss').textContent = m ? loss(m.test_loss) : '—';
  $('m-norm').textContent = m && Number.isFinite(m.weight_norm) ? m.weight_norm.toFixed(1) : '—';
  el.title = m && m.step !== run.step ? `metrics as of step ${m.step} (measured every few steps while running)` : '';
  ui.status.textContent = `memorised at step ${run.memorisedAt ?? '—'} · grokked at step ${run.grokkedAt ?? '—'}`;

  const playable = run.hasSession && run.state !== 'diverged';
  // Play stays pressable while a restarted run is being made (a few milliseconds after
  // a slider moved at step 0): the wish is kept and sent once the run is ready.
  ui.play.disabled = !(playable || startingUp());
  ui.play.textContent = run.state === 'running' || (startingUp() && run.wantPlay) ? 'Pause' : 'Play';
  ui.step.disabled = !playable;
  ui.reset.disabled = !run.hasSession && notices.config !== null;
  ui.downloadCsv.disabled = !run.hasSession;
  ui.downloadJson.disabled = !run.hasSession;
  if (run.state !== 'running') ui.sps.textContent = '— steps/s';
}

function showFigureNotes() {
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
    : `Now: ${figures.key_count} key frequenc${figures.key_count === 1 ? 'y holds' : 'ies hold'} 90% of the energy; Gini coefficient ${gini.toFixed(2)} (0: spread evenly, 1: all on one).`;
}

/** Takes in a snapshot from the worker. */
function ingest(snapshot) {
  figures.ingest(snapshot);
  run.step = snapshot.step;
  run.metrics = snapshot.metrics;
  run.memorisedAt = snapshot.memorised_at;
  run.grokkedAt = snapshot.grokked_at;
  if (ui.stopGrokked.checked && run.grokkedAt != null && run.wantPlay) {
    run.wantPlay = false;
    syncPlay();
  }
  run.lr = snapshot.lr;
  run.wd = snapshot.wd;
  showFigureNotes();
  board.invalidate();
}

// ---------------------------------------------------------------------------------------
// Talking to the worker

/** Starts a new run of state.config (+ schedule and until) from step 0. */
function startRun() {
  run.id += 1;
  run.state = 'idle';
  run.hasSession = false;
  run.step = 0;
  run.metrics = null;
  run.memorisedAt = null;
  run.grokkedAt = null;
  run.lr = state.config.lr;
  run.wd = state.config.wd;
  notices.run = null;
  // The core's verdict on the settings, at once (the worker reports the same).
  try {
    check_config(state.config);
    notices.config = null;
  } catch (err) {
    notices.config = err.message;
  }
  renderNotices();
  figures.reset();
  board.invalidate();
  clearProbes();
  worker.postMessage({
    type: 'init',
    run: run.id,
    config: { ...state.config },
    hyper: state.hyper.map((e) => ({ ...e })),
    until: state.until,
    play: run.wantPlay && run.visible,
    split: state.workers !== 1,
    stopWhenGrokked: ui.stopGrokked.checked,
  });
  run.asked = run.wantPlay && run.visible;
  showConfig();
  showRun();
  syncUrl();
}

/**
 * Restarts from step 0 after a change of data or model (or Reset): the hyperparameters
 * now in force become the run's base settings, and the schedule of changes is dropped.
 */
function restart(why) {
  state.config.lr = run.lr;
  state.config.wd = run.wd;
  state.hyper = [];
  state.until = null;
  startRun();
  if (why) {
    ui.restartNote.textContent = why;
    clearTimeout(restartNoteTimer);
    restartNoteTimer = setTimeout(() => { ui.restartNote.textContent = ''; }, 4000);
  }
}

function onWorkerMessage(event) {
  const msg = event.data;
  if (msg.status === 'error' && msg.fatal) {
    notices.run = msg.message;
    renderNotices();
    return;
  }
  if (msg.run !== run.id) return; // a reply about a run that has been replaced
  switch (msg.status) {
    case 'ready':
      run.hasSession = true;
      notices.config = null;
      renderNotices();
      ingest(msg.snapshot);
      run.state = 'idle';
      syncPlay();
      break;
    case 'running':
      run.state = 'running';
      break;
    case 'snapshot':
      run.workers = msg.workers ?? run.workers;
      ingest(msg.snapshot);
      ui.sps.textContent = `${Math.round(msg.sps)} steps/s${run.workers === 2 ? ' · 2 workers' : ''}`;
      break;
    case 'workers':
      run.workers = msg.workers;
      showRun();
      break;
    case 'paused':
      ingest(msg.snapshot);
      run.state = run.step === 0 ? 'idle' : 'paused';
      run.asked = false;
      if (msg.reason === 'until') {
        run.wantPlay = false;
        state.until = null;
      } else if (msg.reason === 'grokked') {
        run.wantPlay = false; // Stop when grokked: the worker paused at exactly that step
      }
      syncPlay();
      break;
    case 'hyper':
      ingest(msg.snapshot);
      if (msg.step === 0) {
        // Before the first step a change is simply the run's setting.
        state.config.lr = msg.lr;
        state.config.wd = msg.wd;
        state.hyper = [];
      } else if (!msg.scheduled) {
        state.hyper = state.hyper.filter((e) => e.step < msg.step);
        state.hyper.push({ step: msg.step, lr: msg.lr, wd: msg.wd });
      }
      showHyper(msg.lr, msg.wd);
      break;
    case 'diverged':
      ingest(msg.snapshot);
      run.state = 'diverged';
      run.wantPlay = false;
      run.asked = false;
      notices.run = `${capitalise(msg.message)}. Press Reset to start again.`;
      renderNotices();
      break;
    case 'error':
      if (!run.hasSession) {
        // The config was refused: no run, but every control keeps working.
        notices.config = msg.message;
        run.state = 'idle';
      } else {
        setInfo(capitalise(msg.message));
      }
      renderNotices();
      break;
    case 'csv':
      saveText(msg.csv, `${runName('playground', state.config)}.csv`, 'text/csv');
      break;
    case 'json':
      saveText(msg.json, `${runName('playground', state.config)}.json`, 'application/json');
      break;
    case 'ablation':
      showAblation(msg.ablation);
      break;
    case 'prediction':
      showPrediction(msg);
      break;
    default:
      break;
  }
  showRun();
  syncUrl();
}

const capitalise = (s) => s.charAt(0).toUpperCase() + s.slice(1);

// ---------------------------------------------------------------------------------------
// Probes: ablations and "ask the network" (computed in the worker, at the current step)

/** Forgets the readouts of the previous run. */
function clearProbes() {
  ui.ablation.hidden = true;
  ui.ablation.dataset.step = '';
  ui.ablationNote.textContent = '';
  ui.askResult.replaceChildren();
  ui.askResult.dataset.step = '';
  ui.askError.textContent = '';
  const max = state.config.p - 1;
  for (const input of [ui.askA, ui.askB]) {
    input.max = String(max);
    // Keep the suggested pair valid for the new modulus (and b ≠ 0 for division).
    const n = Number(input.value);
    if (Number.isInteger(n) && n > max) input.value = String(n % state.config.p || 1);
  }
  $('ask-range').textContent = `0 to ${max}${state.config.op === 'div' ? '; b not 0' : ''}`;
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

function showPrediction(msg) {
  if (msg.error) {
    ui.askError.textContent = `${msg.error}.`;
    return;
  }
  const pr = msg.prediction;
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
  if (!run.hasSession) return;
  const p = state.config.p;
  const read = (input, name) => {
    const text = input.value.trim();
    const n = Number(text);
    if (text === '' || !Number.isInteger(n) || n < 0 || n >= p) return [null, `${name} must be a whole number from 0 to ${p - 1}`];
    return [n, null];
  };
  const [a, errA] = read(ui.askA, 'a');
  const [b, errB] = read(ui.askB, 'b');
  let error = errA ?? errB;
  if (!error && state.config.op === 'div' && b === 0) error = 'b must not be 0 for division';
  if (error) {
    ui.askError.textContent = `${error}.`;
    return;
  }
  worker.postMessage({ type: 'predict', a, b });
}

/** Loads a run (a clicked phase-diagram cell) into the playground and starts it. */
function loadRun(config) {
  takeUrl();
  state.config = { ...DEFAULTS, ...config };
  state.hyper = [];
  state.until = null;
  run.wantPlay = true;
  fillMenus(primes(RANGES.p[0], RANGES.p[1]));
  startRun();
  const still = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  document.querySelector('.playground').scrollIntoView({ behavior: still ? 'auto' : 'smooth', block: 'start' });
  setInfo(`Loaded the phase-diagram run: weight decay ${config.wd}, training fraction ${config.frac}, p = ${config.p}, seed ${config.seed}.`);
}

// ---------------------------------------------------------------------------------------
// Actions

/** Whether a run with a valid config is being made (its worker has not answered yet). */
function startingUp() {
  return !run.hasSession && notices.config === null;
}

function togglePlay() {
  if (!(run.hasSession || startingUp()) || run.state === 'diverged') return;
  takeUrl();
  // Before the run is ready, `asked` says what the run was created with (see startRun).
  run.wantPlay = !(run.state === 'running' || run.asked || (startingUp() && run.wantPlay));
  // Asked for by hand: the reader is looking at it (or at its keyboard shortcut).
  if (run.wantPlay) run.visible = true;
  syncPlay();
  if (startingUp()) showRun(); // the label; the wish is sent when the run is ready
}

function stepOnce() {
  if (!run.hasSession || run.state === 'diverged') return;
  takeUrl();
  run.wantPlay = false;
  run.asked = false;
  worker.postMessage({ type: 'step', n: 1 });
}

function reset() {
  takeUrl();
  if (run.state === 'diverged') run.wantPlay = false;
  notices.run = null;
  renderNotices();
  restart(null);
}

/** A weight-decay or learning-rate slider moved to a new value. */
function changeHyper(lr, wd) {
  takeUrl();
  if (run.state !== 'running' && run.step === 0) {
    // Nothing trained yet: this is simply the run's setting.
    state.config.lr = lr;
    state.config.wd = wd;
    state.hyper = [];
    startRun();
    return;
  }
  if (!run.hasSession || run.state === 'diverged') {
    // No live run to change: remember the value for the next one.
    state.hyper = [];
    state.config.lr = lr;
    state.config.wd = wd;
    run.lr = lr;
    run.wd = wd;
    syncUrl();
    return;
  }
  // In force from the worker's next step; the reply confirms the step it applied at.
  run.lr = lr;
  run.wd = wd;
  worker.postMessage({ type: 'hyper', lr, wd });
}

/** A data or model setting changed: validate and restart. */
function changeConfig(key, value, label) {
  takeUrl();
  state.config[key] = value;
  restart(`Restarted with ${label}.`);
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

function applyPreset(name) {
  takeUrl();
  state.config = { ...DEFAULTS, ...PRESETS[name] };
  state.hyper = [];
  state.until = null;
  run.wantPlay = true;
  fillMenus(primes(RANGES.p[0], RANGES.p[1]));
  startRun();
}

// ---------------------------------------------------------------------------------------
// Wiring

function wireControls() {
  ui.play.addEventListener('click', togglePlay);
  ui.step.addEventListener('click', stepOnce);
  ui.reset.addEventListener('click', reset);
  ui.copyLink.addEventListener('click', copyLink);
  ui.downloadCsv.addEventListener('click', () => worker.postMessage({ type: 'csv' }));
  ui.downloadJson.addEventListener('click', () => worker.postMessage({ type: 'json' }));
  ui.stopGrokked.addEventListener('change', () => {
    worker?.postMessage({ type: 'stop-when-grokked', on: ui.stopGrokked.checked });
    takeUrl();
    if (ui.stopGrokked.checked && run.grokkedAt != null && (run.state === 'running' || run.asked)) {
      run.wantPlay = false;
      syncPlay();
    }
    syncUrl();
  });
  wirePngButtons($('playground'));
  ui.noticeDismiss.addEventListener('click', () => {
    notices.url = [];
    notices.info = null;
    renderNotices();
  });
  ui.shareUrl.addEventListener('focus', () => ui.shareUrl.select());
  ui.ablate.addEventListener('click', () => { if (run.hasSession) worker.postMessage({ type: 'ablate' }); });
  ui.askForm.addEventListener('submit', ask);

  // Sliders: the label follows while dragging; the value applies on release (and on
  // every key press), so a drag records one change on the curves, not dozens.
  ui.wd.addEventListener('input', () => { ui.wdValue.textContent = formatNumber(WD_SCALE.value(ui.wd.value)); });
  ui.lr.addEventListener('input', () => { ui.lrValue.textContent = formatNumber(LR_SCALE.value(ui.lr.value)); });
  ui.wd.addEventListener('change', () => changeHyper(run.lr, WD_SCALE.value(ui.wd.value)));
  ui.lr.addEventListener('change', () => changeHyper(LR_SCALE.value(ui.lr.value), run.wd));

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
  ui.seed.addEventListener('change', () => {
    const [lo, hi] = RANGES.seed;
    let seed = Math.round(Number(ui.seed.value));
    if (!Number.isFinite(seed)) seed = state.config.seed;
    seed = Math.min(hi, Math.max(lo, seed));
    ui.seed.value = String(seed);
    if (seed !== state.config.seed) changeConfig('seed', seed, `seed ${seed}`);
  });

  for (const button of document.querySelectorAll('[data-preset]')) {
    button.addEventListener('click', () => applyPreset(button.dataset.preset));
  }

  // Keyboard shortcuts (keys.js) act on the playground while it is the section in view.
  const actions = { togglePlay, step: stepOnce, reset };
  register($('playground'), actions);
  register($('hidden-progress'), actions);

  // Train only while the playground or the hidden-progress figures are on screen.
  const shown = new Map();
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) shown.set(entry.target, entry.isIntersecting);
    run.visible = [...shown.values()].some(Boolean);
    syncPlay();
  });
  observer.observe($('playground'));
  observer.observe($('hidden-progress'));
}

function setupFigures() {
  const dark = window.matchMedia('(prefers-color-scheme: dark)');
  board = new Board(() => dark.matches);
  dark.addEventListener('change', () => board.invalidate());
  window.addEventListener('presentchange', () => board.invalidate());
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
  // Which build runs here (the workers pick theirs the same way): for tests and bug reports.
  document.documentElement.dataset.wasm = await loadWasm(init);
  figures = new Figures();

  const primeList = primes(RANGES.p[0], RANGES.p[1]);
  ui.op.replaceChildren(...ops().map((o) => option(o.name, `(${o.formula}) mod p`)));

  const search = location.search;
  const params = new URLSearchParams(search);
  const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  $('motion-note').hidden = !reducedMotion;
  // A link to an article section (sec=…) describes that section's run, not this one.
  const forSection = params.has('sec');
  const parsed = parseQuery(search);
  const mine = forSection ? { ...parseQuery(''), notices: parsed.notices } : parsed;
  ownsUrl = !forSection && RUN_KEYS.some((k) => params.has(k));
  ui.stopGrokked.checked = !forSection && params.get('stop') === '1';
  state.config = mine.config;
  state.hyper = mine.hyper;
  state.until = mine.until;
  state.workers = parsed.workers;
  run.wantPlay = mine.autoplay && !reducedMotion;
  run.lr = state.config.lr;
  run.wd = state.config.wd;
  notices.url = parsed.notices;
  fillMenus(primeList);
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
    getConfig: () => ({ ...state.config, lr: run.lr }),
    loadRun,
    search,
  });

  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.addEventListener('message', onWorkerMessage);
  worker.addEventListener('error', (event) => {
    notices.run = `The training worker failed: ${event.message ?? 'unknown error'}.`;
    renderNotices();
  });
  startRun();
}

main().catch((err) => {
  console.error(err);
  notices.run = `The page could not start: ${err?.message ?? err}.`;
  renderNotices();
});
