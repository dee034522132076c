// The phase diagram: a grid of two settings — weight decay × training fraction by default,
// or any two of weight decay, training fraction, initialisation scale, fixed weight norm
// and learning rate (phase_axes()) — every cell a short run trained in parallel Web
// Workers (phase-worker.js, one per core), filling in as cells finish. Rust makes the
// cells' configs and validates them (PhaseFigure.configs), trains and classifies each cell
// (CellRun) and draws the grid (PhaseFigure → plots::draw_phase_diagram); this module
// hands out cells, keeps time, mirrors the cells into an accessible table and loads a
// clicked cell into the playground.
//
// Until the reader computes a diagram, the default one (the default model, p = 97, three
// seeds a cell) is shown from www/phase-default.json, made by scripts/phase-data with
// `grok sweep` — drawn the same way, and labelled as precomputed (#phase-source).
//
// #phase carries the state for tests: data-state (idle, running, done, cancelled, error),
// data-source (precomputed, live, empty), data-done, data-total, data-workers,
// data-rows / data-cols (the axes' names), and after a Cancel data-cancel-acks (workers
// that have dropped their cell) and data-cancelled-at (the steps the dropped cells stood at).
//
// URL parameters (for classrooms and the end-to-end test; all optional):
//   phase-y=wd  phase-x=frac   the axes: rows (drawn bottom to top) and columns
//   phase-ys=0,0.1,1  phase-xs=0.3,0.7   their values (default: each axis's list below)
//   phase-wd=…  phase-frac=…   older form of the two values lists, for wd × frac
//   phase-steps=800       step budget per cell (default 2000)
//   phase-p=23            modulus (default: the "quick" p = 31 or the playground's)
//   phase-workers=2       number of workers (default: the number of cores, at most 8)
//   phase-run=1           start at once

import { PhaseFigure, phase_axes } from './pkg/grokking.js';
import { LIMITS, formatNumber } from './params.js';

const $ = (id) => document.getElementById(id);

/** The default grid: 8 log-spaced weight decays (with 0) × 9 training fractions. */
export const DEFAULT_WDS = [0, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
export const DEFAULT_FRACS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
/** Each axis's values when the reader picks it (the page's choices, within LIMITS). */
const AXIS_VALUES = {
  wd: DEFAULT_WDS,
  frac: DEFAULT_FRACS,
  init_scale: [0.25, 0.5, 1, 2, 3, 4, 6, 8],
  fix_norm: [20, 30, 40, 50, 60, 80, 100, 120],
  lr: [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3],
};
/** The command that made a sweep file (scripts/phase-data runs it for phase-default.json). */
const sweepCommand = (sweep) => {
  const flag = (axis) => `--${axis[0].replace('_', '-')} ${axis[1].join(',')}`;
  return `grok sweep --p ${sweep.base.p} ${flag(sweep.grid.rows)} ${flag(sweep.grid.cols)} --seeds ${sweep.seeds} --steps ${sweep.steps}`;
};
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

/** The range a value of `axis` may take on the page (LINK_LIMITS). */
function axisRange(axis) {
  return LIMITS[axis] ?? [0, Infinity];
}

/**
 * Wires the phase-diagram section.
 *   board      the figures.js Board that draws canvases
 *   getConfig  () => the playground's current config (op, p, model, lr, seed, levers)
 *   loadRun    (config, what) => loads a run into the playground and starts it; `what`
 *              names the cell ("weight decay 1, training fraction 0.3")
 */
export function setupPhase({ board, getConfig, loadRun, search }) {
  const params = new URLSearchParams(search);
  const ui = {
    root: $('phase'), setting: $('phase-setting'), steps: $('phase-steps'),
    start: $('phase-start'), cancel: $('phase-cancel'), eta: $('phase-eta'),
    speed: $('phase-speed'), table: $('phase-table'), canvas: $('fig-phase'),
    yAxis: $('phase-y'), xAxis: $('phase-x'), ys: $('phase-ys'), xs: $('phase-xs'),
    title: $('phase-fig-title'), source: $('phase-source'),
  };
  const AXES = phase_axes();
  const labelOf = (name) => AXES.find((a) => a.name === name)?.label ?? name;
  for (const select of [ui.yAxis, ui.xAxis]) select.replaceChildren(...AXES.map((a) => new Option(a.label, a.name)));

  const named = (raw, fallback) => (AXES.some((a) => a.name === raw) ? raw : fallback);
  let rowAxis = named(params.get('phase-y'), 'wd');
  let colAxis = named(params.get('phase-x'), 'frac');
  if (rowAxis === colAxis) [rowAxis, colAxis] = ['wd', 'frac'];
  const listFor = (axis, raw) => numberList(raw, ...axisRange(axis));
  let rows = listFor(rowAxis, params.get('phase-ys') ?? (rowAxis === 'wd' ? params.get('phase-wd') : null)) ?? AXIS_VALUES[rowAxis];
  let cols = listFor(colAxis, params.get('phase-xs') ?? (colAxis === 'frac' ? params.get('phase-frac') : null)) ?? AXIS_VALUES[colAxis];
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

  const newFigure = () => PhaseFigure.with_axes(rowAxis, Float64Array.from(rows), colAxis, Float64Array.from(cols));
  let figure = newFigure();
  const fig = board.add(ui.canvas, (c, s, d) => { figure.draw(c, s, d); return true; }, $('t-phase'));

  /** The current job: cells, queue, timing. `id` tags messages so stale ones are dropped. */
  let job = { id: 0, cells: [], queue: [], running: new Map(), done: 0, t0: 0, budget: DEFAULT_STEPS, active: false };
  const workers = [];
  /** The precomputed diagram (phase-default.json), once loaded: {sweep, figure}. */
  let precomputed = null;

  function baseConfig() {
    const c = { ...getConfig() };
    const setting = ui.setting.value;
    if (setting === 'quick') c.p = QUICK_P;
    else if (setting.startsWith('p')) c.p = Number(setting.slice(1));
    return c;
  }

  const isDefaultGrid = () => rowAxis === 'wd' && colAxis === 'frac'
    && String(rows) === String(DEFAULT_WDS) && String(cols) === String(DEFAULT_FRACS);

  // ---- The table (keyboard access, and what the tests read) ----

  const where = (cell) => `${labelOf(rowAxis)} ${formatNumber(cell.row)}, ${labelOf(colAxis)} ${formatNumber(cell.col)}`;

  function describe(i) {
    const cell = job.cells[i];
    if (!cell.result) return `${where(cell)}: ${cell.running ? 'training' : 'not yet trained'}`;
    const r = cell.result;
    const fit = r.steps_to_train_99 === null ? 'never fit the training set' : `fit at step ${r.steps_to_train_99}`;
    const gen = r.steps_to_test_95 === null ? `did not generalise in ${r.steps} steps` : `generalised at step ${r.steps_to_test_95}`;
    const how = r.seeds ? `most of ${r.seeds} seeds: ${NAMES[r.phase]}${r.steps_to_test_95 === null ? '' : `, generalising at step ${r.steps_to_test_95} (median)`}` : `${NAMES[r.phase]} (${fit}, ${gen})`;
    return `${where(cell)}: ${how}. Load this run into the playground.`;
  }

  function buildTable() {
    const head = document.createElement('tr');
    const corner = document.createElement('th');
    corner.scope = 'col';
    corner.textContent = `${rowAxis} \\ ${colAxis}`;
    head.append(corner);
    for (const f of cols) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = String(f);
      head.append(th);
    }
    const trs = [];
    for (let r = rows.length - 1; r >= 0; r--) {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = String(rows[r]);
      tr.append(th);
      for (let c = 0; c < cols.length; c++) {
        const i = r * cols.length + c;
        const config = job.cells[i].config;
        const td = document.createElement('td');
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'cell';
        button.dataset.index = String(i);
        button.dataset.row = String(rows[r]);
        button.dataset.col = String(cols[c]);
        if (config) {
          button.dataset.wd = String(config.wd);
          button.dataset.frac = String(config.frac);
        }
        button.addEventListener('click', () => load(Number(button.dataset.index)));
        td.append(button);
        tr.append(td);
      }
      trs.push(tr);
    }
    const thead = document.createElement('thead');
    thead.append(head);
    const tbody = document.createElement('tbody');
    tbody.append(...trs);
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

  /** The cells of the grid now chosen, each with its config (null if it cannot run). */
  function gridCells(base) {
    let configs = null;
    let error = null;
    try {
      configs = figure.configs(base, 1);
    } catch (err) {
      error = err.message;
    }
    const list = [];
    for (let r = 0; r < rows.length; r++) {
      for (let c = 0; c < cols.length; c++) {
        const i = r * cols.length + c;
        list.push({ row: rows[r], col: cols[c], config: configs ? configs[i] : null, running: false, step: 0, result: null });
      }
    }
    return { list, error };
  }

  /** Heading, table and status for a grid with no results (or the precomputed ones). */
  function showGrid() {
    ui.title.textContent = `${capitalise(labelOf(rowAxis))} × ${labelOf(colAxis)}`;
    ui.yAxis.value = rowAxis;
    ui.xAxis.value = colAxis;
    ui.ys.value = rows.join(', ');
    ui.xs.value = cols.join(', ');
    ui.root.dataset.rows = rowAxis;
    ui.root.dataset.cols = colAxis;
    buildTable();
    job.cells.forEach((_, i) => showCell(i));
    board.touch(fig);
  }

  /** Shows the precomputed diagram if the grid is its grid, else an empty grid. */
  function showIdle() {
    figure.free();
    if (precomputed && isDefaultGrid()) {
      const { sweep } = precomputed;
      figure = PhaseFigure.from_sweep(sweep);
      job.cells = gridCells(sweep.base).list;
      const per = Math.max(1, sweep.seeds);
      job.cells.forEach((cell, i) => {
        const shown = figure.outcome_at(i);
        if (shown === null) return;
        const runs = sweep.cells.slice(i * per, (i + 1) * per);
        const fits = runs.map((x) => x.steps_to_train_99).filter((x) => x !== null).sort((a, b) => a - b);
        cell.result = {
          phase: shown.phase,
          steps_to_test_95: shown.gen,
          steps_to_train_99: fits.length > 0 ? fits[Math.floor(fits.length / 2)] : null,
          steps: sweep.steps,
          seeds: per,
        };
      });
      ui.root.dataset.source = 'precomputed';
      ui.source.hidden = false;
      const code = document.createElement('code');
      code.textContent = sweepCommand(sweep);
      ui.source.replaceChildren(
        `Precomputed, not live: the default model (p = ${sweep.base.p}), ${per} seed${per === 1 ? '' : 's'} a cell, each cell the phase most of its seeds reached within ${sweep.steps.toLocaleString('en')} steps — made by scripts/phase-data, which runs `,
        code,
        '. Press "Compute the phase diagram" to make one live in your browser.',
      );
    } else {
      figure = newFigure();
      job.cells = gridCells(baseConfig()).list;
      ui.root.dataset.source = 'empty';
      ui.source.hidden = true;
      ui.source.textContent = '';
    }
    showGrid();
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
    figure.free();
    figure = newFigure();
    const { list, error } = gridCells(base);
    if (error !== null) {
      job.cells = list;
      showGrid();
      ui.root.dataset.state = 'error';
      ui.eta.textContent = `This grid cannot run: ${error}.`;
      return;
    }
    job = {
      id: job.id + 1,
      // Row-major, rows outer: the order of sweep::grid and of PhaseFigure.
      cells: list,
      queue: [],
      running: new Map(),
      done: 0,
      t0: performance.now(),
      budget: Number(ui.steps.value) || DEFAULT_STEPS,
      active: true,
    };
    job.queue = job.cells.map((_, i) => i);
    ui.root.dataset.state = 'running';
    ui.root.dataset.source = 'live';
    ui.source.hidden = true;
    ui.root.dataset.p = String(base.p);
    ui.root.dataset.op = base.op;
    ui.root.dataset.budget = String(job.budget);
    showGrid();
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
    if (!cell?.result || !cell.config) return;
    loadRun({ ...cell.config }, where(cell));
  }

  /** The reader chose other axes or values: a new, empty grid (or the precomputed one). */
  function regrid() {
    if (job.active) cancel();
    let y = ui.yAxis.value;
    let x = ui.xAxis.value;
    if (y === x) {
      // The two axes must differ: the other one moves out of the way.
      if (y === rowAxis) y = AXES.find((a) => a.name !== x).name;
      else x = AXES.find((a) => a.name !== y).name;
    }
    const ys = y === rowAxis ? listFor(y, ui.ys.value.replace(/\s/g, '')) : null;
    const xs = x === colAxis ? listFor(x, ui.xs.value.replace(/\s/g, '')) : null;
    const bad = [];
    if (y === rowAxis && ys === null) bad.push(`the ${labelOf(y)} values`);
    if (x === colAxis && xs === null) bad.push(`the ${labelOf(x)} values`);
    rows = ys ?? AXIS_VALUES[y];
    cols = xs ?? AXIS_VALUES[x];
    rowAxis = y;
    colAxis = x;
    job = { ...job, cells: [], done: 0 };
    ui.root.dataset.state = 'idle';
    ui.eta.textContent = bad.length > 0
      ? `Could not read ${bad.join(' and ')} (numbers separated by commas, in the setting's range): using the default values.`
      : `Not started. ${capitalise(labelOf(rowAxis))} ${formatNumber(rows[0])} to ${formatNumber(rows[rows.length - 1])} × ${labelOf(colAxis)} ${formatNumber(cols[0])} to ${formatNumber(cols[cols.length - 1])}.`;
    showIdle();
    showStatus();
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
  for (const input of [ui.yAxis, ui.xAxis, ui.ys, ui.xs]) input.addEventListener('change', regrid);

  // Before any run: the precomputed diagram if the grid is the default one, else the
  // grid's empty cells.
  ui.root.dataset.state = 'idle';
  showIdle();
  showStatus();
  fetch(new URL('./phase-default.json', import.meta.url))
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
    .then((sweep) => {
      // `null` until scripts/phase-data has been run: no precomputed diagram.
      if (sweep === null || typeof sweep !== 'object' || !sweep.grid) return;
      precomputed = { sweep };
      if (!job.active && job.done === 0 && ui.root.dataset.state === 'idle') showIdle();
    })
    .catch((err) => console.warn(`no precomputed phase diagram: ${err?.message ?? err}`));
  if (params.get('phase-run') === '1') start();
}

const capitalise = (s) => s.charAt(0).toUpperCase() + s.slice(1);
