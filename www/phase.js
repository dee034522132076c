// The phase diagram: a grid of weight decay × training fraction, every cell a short run
// trained in parallel Web Workers (phase-worker.js, one per core), filling in as cells
// finish. Rust trains and classifies each cell (CellRun) and draws the grid
// (PhaseFigure → plots::draw_phase_diagram); this module hands out cells, keeps time,
// mirrors the cells into an accessible table and loads a clicked cell into the playground.
//
// #phase carries the state for tests: data-state (idle, running, done, cancelled, error),
// data-done, data-total, data-workers, and after a Cancel data-cancel-acks (workers that
// have dropped their cell) and data-cancelled-at (the steps the dropped cells stood at).
//
// URL parameters (for classrooms and the end-to-end test; all optional):
//   phase-wd=0,0.1,1      weight decays (default 0, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
//   phase-frac=0.3,0.7    training fractions (default 0.1, 0.2, …, 0.9)
//   phase-steps=800       step budget per cell (default 2000)
//   phase-p=23            modulus (default: the "quick" p = 31 or the playground's)
//   phase-workers=2       number of workers (default: the number of cores, at most 8)
//   phase-run=1           start at once

import { PhaseFigure, check_config } from './pkg/grokking.js';

const $ = (id) => document.getElementById(id);

/** The default grid: 8 log-spaced weight decays (with 0) × 9 training fractions. */
export const DEFAULT_WDS = [0, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
export const DEFAULT_FRACS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const DEFAULT_STEPS = 2000;
/** The classroom setting: a small modulus trains ~10× faster per step. */
const QUICK_P = 31;
const MAX_WORKERS = 8;

const NAMES = { confusion: 'confusion', memorisation: 'memorisation', grokking: 'grokking', comprehension: 'comprehension' };
const ABBREV = { confusion: 'conf', memorisation: 'mem', grokking: 'grok', comprehension: 'comp' };

/** A comma-separated list of numbers in [lo, hi], sorted and deduplicated; null if bad. */
function numberList(raw, lo, hi) {
  if (raw === null) return null;
  const values = raw.split(',').map(Number);
  if (values.length === 0 || values.some((v) => !Number.isFinite(v) || v < lo || v > hi)) return null;
  return [...new Set(values)].sort((a, b) => a - b);
}

function intParam(params, key, lo, hi) {
  const raw = params.get(key);
  const n = raw === null ? NaN : Number(raw);
  return Number.isInteger(n) ? Math.min(hi, Math.max(lo, n)) : null;
}

const seconds = (ms) => {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
};

/**
 * Wires the phase-diagram section.
 *   board      the figures.js Board that draws canvases
 *   getConfig  () => the playground's current config (op, p, model, lr, seed)
 *   loadRun    (config) => loads a run into the playground and starts it
 */
export function setupPhase({ board, getConfig, loadRun, search }) {
  const params = new URLSearchParams(search);
  const ui = {
    root: $('phase'), setting: $('phase-setting'), steps: $('phase-steps'),
    start: $('phase-start'), cancel: $('phase-cancel'), eta: $('phase-eta'),
    speed: $('phase-speed'), table: $('phase-table'), canvas: $('fig-phase'),
  };
  const wds = numberList(params.get('phase-wd'), 0, 10) ?? DEFAULT_WDS;
  const fracs = numberList(params.get('phase-frac'), 0.01, 0.99) ?? DEFAULT_FRACS;
  const linkP = intParam(params, 'phase-p', 3, 257);
  const linkSteps = intParam(params, 'phase-steps', 10, 1_000_000);
  const workerCount = intParam(params, 'phase-workers', 1, 16)
    ?? Math.min(MAX_WORKERS, Math.max(1, navigator.hardwareConcurrency || 1));

  if (linkP !== null) {
    const opt = document.createElement('option');
    opt.value = `p${linkP}`;
    opt.textContent = `p = ${linkP} (from the link)`;
    ui.setting.append(opt);
    ui.setting.value = opt.value;
  }
  if (linkSteps !== null) {
    if (![...ui.steps.options].some((o) => Number(o.value) === linkSteps)) {
      const opt = document.createElement('option');
      opt.value = String(linkSteps);
      opt.textContent = `${linkSteps.toLocaleString('en')} (from the link)`;
      ui.steps.append(opt);
    }
    ui.steps.value = String(linkSteps);
  } else {
    ui.steps.value = String(DEFAULT_STEPS);
  }

  let figure = new PhaseFigure(Float64Array.from(wds), Float64Array.from(fracs));
  const fig = board.add(ui.canvas, (c, s, d) => { figure.draw(c, s, d); return true; }, $('t-phase'));

  /** The current job: cells, queue, timing. `id` tags messages so stale ones are dropped. */
  let job = { id: 0, cells: [], queue: [], running: new Map(), done: 0, t0: 0, budget: DEFAULT_STEPS, active: false };
  const workers = [];

  function baseConfig() {
    const c = { ...getConfig() };
    const setting = ui.setting.value;
    if (setting === 'quick') c.p = QUICK_P;
    else if (setting.startsWith('p')) c.p = Number(setting.slice(1));
    return c;
  }

  // ---- The table (keyboard access, and what the tests read) ----

  function describe(i) {
    const cell = job.cells[i];
    const where = `weight decay ${cell.wd}, training fraction ${cell.frac}`;
    if (!cell.result) return `${where}: ${cell.running ? 'training' : 'not yet trained'}`;
    const r = cell.result;
    const fit = r.steps_to_train_99 === null ? 'never fit the training set' : `fit at step ${r.steps_to_train_99}`;
    const gen = r.steps_to_test_95 === null ? `did not generalise in ${r.steps} steps` : `generalised at step ${r.steps_to_test_95}`;
    return `${where}: ${NAMES[r.phase]} (${fit}, ${gen}). Load this run into the playground.`;
  }

  function buildTable() {
    const head = document.createElement('tr');
    const corner = document.createElement('th');
    corner.scope = 'col';
    corner.textContent = 'wd \\ frac';
    head.append(corner);
    for (const f of fracs) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = String(f);
      head.append(th);
    }
    const rows = [];
    for (let r = wds.length - 1; r >= 0; r--) {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = String(wds[r]);
      tr.append(th);
      for (let c = 0; c < fracs.length; c++) {
        const td = document.createElement('td');
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'cell';
        button.dataset.index = String(r * fracs.length + c);
        button.dataset.wd = String(wds[r]);
        button.dataset.frac = String(fracs[c]);
        button.addEventListener('click', () => load(Number(button.dataset.index)));
        td.append(button);
        tr.append(td);
      }
      rows.push(tr);
    }
    const thead = document.createElement('thead');
    thead.append(head);
    const tbody = document.createElement('tbody');
    tbody.append(...rows);
    ui.table.replaceChildren(thead, tbody);
  }

  function showCell(i) {
    const button = ui.table.querySelector(`button[data-index="${i}"]`);
    const cell = job.cells[i];
    if (!button || !cell) return;
    const r = cell.result;
    button.dataset.phase = r ? r.phase : cell.running ? 'running' : 'pending';
    button.dataset.fit = r?.steps_to_train_99 ?? '';
    button.dataset.gen = r?.steps_to_test_95 ?? '';
    button.textContent = r ? ABBREV[r.phase] : cell.running ? '…' : '–';
    button.disabled = !r;
    button.setAttribute('aria-label', describe(i));
    button.title = describe(i);
  }

  function showStatus() {
    const total = job.cells.length;
    ui.root.dataset.total = String(total);
    ui.root.dataset.done = String(job.done);
    ui.root.dataset.workers = String(workerCount);
    ui.start.disabled = job.active;
    ui.cancel.disabled = !job.active;
    if (!job.active) return;
    const elapsed = performance.now() - job.t0;
    // Steps trained so far (finished cells + the running ones), against the steps left:
    // at most every unfinished cell's remaining budget; expected, the finished cells'
    // mean length (cells that generalise stop early).
    let stepsDone = 0;
    let finishedSteps = 0;
    let runningLeft = 0;
    for (const cell of job.cells) {
      if (cell.result) { stepsDone += cell.result.steps; finishedSteps += cell.result.steps; }
      else if (cell.running) { stepsDone += cell.step; runningLeft += job.budget - cell.step; }
    }
    const waiting = job.queue.length;
    const rate = elapsed > 500 ? stepsDone / elapsed : 0; // steps per ms, all workers
    if (rate <= 0) {
      ui.eta.textContent = `${job.done} of ${total} cells done · measuring speed…`;
      return;
    }
    const mean = job.done > 0 ? finishedSteps / job.done : job.budget;
    const expected = (waiting * mean + runningLeft * Math.min(1, mean / job.budget)) / rate;
    const most = (waiting * job.budget + runningLeft) / rate;
    ui.eta.textContent = `${job.done} of ${total} cells done · about ${seconds(expected)} left (at most ${seconds(most)})`;
    ui.speed.dataset.stepsPerSecond = String(Math.round(rate * 1000));
    ui.speed.textContent = `${Math.round((rate * 1000) / Math.max(1, Math.min(workerCount, total)))} steps/s per worker, ${workerCount} worker${workerCount === 1 ? '' : 's'}`;
  }

  // ---- Workers ----

  function ensureWorkers() {
    while (workers.length < workerCount) {
      const w = new Worker(new URL('./phase-worker.js', import.meta.url), { type: 'module' });
      w.busy = false;
      w.addEventListener('message', (event) => onMessage(w, event.data));
      w.addEventListener('error', (event) => fail(`a phase worker failed: ${event.message ?? 'unknown error'}`));
      workers.push(w);
    }
  }

  function feed(w) {
    if (!job.active || job.queue.length === 0) { w.busy = false; return; }
    const i = job.queue.shift();
    const cell = job.cells[i];
    cell.running = true;
    cell.step = 0;
    w.busy = true;
    figure.set_running(i);
    showCell(i);
    board.touch(fig);
    w.postMessage({ type: 'cell', job: job.id, index: i, config: cell.config, budget: job.budget });
  }

  function onMessage(w, msg) {
    if (msg.status === 'ready') return;
    if (msg.status === 'cancelled') {
      // A worker has let go of its cell (the job is over for the page already).
      const acks = Number(ui.root.dataset.cancelAcks ?? 0) + 1;
      ui.root.dataset.cancelAcks = String(acks);
      if (msg.step !== null) {
        const at = ui.root.dataset.cancelledAt ? ui.root.dataset.cancelledAt.split(',') : [];
        ui.root.dataset.cancelledAt = [...at, msg.step].join(',');
      }
      return;
    }
    if (msg.status === 'error' && msg.job === undefined) {
      fail(msg.message); // the worker could not load the wasm module
      return;
    }
    if (msg.job !== job.id) return; // from a cancelled job
    const cell = job.cells[msg.index];
    switch (msg.status) {
      case 'step':
        cell.step = msg.step;
        break;
      case 'done':
        cell.running = false;
        cell.result = msg.cell;
        cell.ms = msg.ms;
        job.done += 1;
        figure.set_cell(msg.index, msg.cell);
        showCell(msg.index);
        board.touch(fig);
        feed(w);
        if (job.done === job.cells.length) finish();
        break;
      case 'error':
        fail(msg.message);
        return;
      default:
        break;
    }
    showStatus();
  }

  function finish() {
    job.active = false;
    ui.root.dataset.state = 'done';
    const ms = job.cells.reduce((sum, c) => sum + (c.ms ?? 0), 0);
    const elapsed = performance.now() - job.t0;
    ui.eta.textContent = `All ${job.cells.length} cells done in ${seconds(elapsed)} (a cell took ${(ms / job.cells.length / 1000).toFixed(1)} s on average). Click a cell to load its run into the playground.`;
    showStatus();
  }

  function fail(message) {
    cancel();
    ui.root.dataset.state = 'error';
    ui.eta.textContent = `The phase diagram stopped: ${message}.`;
  }

  // ---- Actions ----

  function start() {
    cancel();
    const base = baseConfig();
    try {
      check_config({ ...base, wd: wds[0], frac: fracs[0] });
      for (const frac of fracs) check_config({ ...base, frac });
    } catch (err) {
      ui.root.dataset.state = 'error';
      ui.eta.textContent = `This grid cannot run: ${err.message}.`;
      return;
    }
    job = {
      id: job.id + 1,
      // Row-major, weight decay outer: the order of sweep::grid and of PhaseFigure.
      cells: wds.flatMap((wd) => fracs.map((frac) => ({ wd, frac, config: { ...base, wd, frac }, running: false, step: 0, result: null }))),
      queue: [],
      running: new Map(),
      done: 0,
      t0: performance.now(),
      budget: Number(ui.steps.value) || DEFAULT_STEPS,
      active: true,
    };
    job.queue = job.cells.map((_, i) => i);
    figure.free();
    figure = new PhaseFigure(Float64Array.from(wds), Float64Array.from(fracs));
    ui.root.dataset.state = 'running';
    ui.root.dataset.p = String(base.p);
    ui.root.dataset.op = base.op;
    ui.root.dataset.budget = String(job.budget);
    job.cells.forEach((_, i) => showCell(i));
    ensureWorkers();
    for (const w of workers) feed(w);
    board.touch(fig);
    showStatus();
  }

  function cancel() {
    if (!job.active) return;
    job.active = false;
    const old = job.id;
    job.id += 1; // replies still in flight belong to the old job
    ui.root.dataset.cancelAcks = '0';
    ui.root.dataset.cancelledAt = '';
    for (const w of workers) {
      w.postMessage({ type: 'cancel', job: old });
      w.busy = false;
    }
    job.cells.forEach((cell, i) => {
      if (cell.running) {
        cell.running = false;
        figure.set_pending(i);
        showCell(i);
      }
    });
    ui.root.dataset.state = 'cancelled';
    ui.eta.textContent = `Cancelled: ${job.done} of ${job.cells.length} cells done.`;
    board.touch(fig);
    showStatus();
  }

  function load(i) {
    const cell = job.cells[i];
    if (!cell?.result) return;
    loadRun({ ...cell.config });
  }

  ui.canvas.addEventListener('click', (event) => {
    const box = ui.canvas.getBoundingClientRect();
    if (box.width === 0) return;
    const px = ui.canvas.width / box.width; // device pixels per CSS pixel
    const i = figure.cell_at(ui.canvas.width, ui.canvas.height, board.scaleOf(ui.canvas), (event.clientX - box.left) * px, (event.clientY - box.top) * px);
    if (i !== undefined) load(i);
  });
  ui.start.addEventListener('click', start);
  ui.cancel.addEventListener('click', cancel);

  // Before any run, the grid shows its empty cells.
  job.cells = wds.flatMap((wd) => fracs.map((frac) => ({ wd, frac, config: null, running: false, step: 0, result: null })));
  buildTable();
  job.cells.forEach((_, i) => showCell(i));
  ui.root.dataset.state = 'idle';
  showStatus();
  if (params.get('phase-run') === '1') start();
}
