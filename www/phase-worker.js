// A phase-diagram worker: trains one cell at a time (a CellRun in wasm) in time slices,
// so that Cancel takes effect within one slice. phase.js starts several of these (one per
// core) and hands each the next cell when it reports the previous one.
//
// The stop rule (budget spent, or generalised) and the classification into confusion /
// memorisation / grokking / comprehension live in Rust (sweep::cell_spec run by the
// engine's Run, and sweep::Phase::classify); this file only paces the work, with the
// same Rust Pacer as the training workers (worker.js).
//
//   in  {type: 'cell', job, index, config, budget}   train this cell
//       {type: 'cancel', job}                         drop the current cell
//   out {status: 'ready'}                             the wasm module is loaded
//       {status: 'step', job, index, step}            at most ~4 per second while training
//       {status: 'done', job, index, cell, ms}        classified (see Cell in src/sweep.rs)
//       {status: 'cancelled', job, step}              the cancel is done: the cell
//                                                     dropped stood at `step` (null:
//                                                     there was none)
//       {status: 'error', job, index, message}        bad config, or wasm failed to load

import init, { CellRun, Pacer } from './pkg/grokking.js';
import { loadWasm } from './wasm.js';
import { scheduler } from './scheduler.js';

/** Target duration of one slice. */
const SLICE_MS = 40;
/** Minimum interval between 'step' reports. */
const REPORT_MS = 250;

let current = null; // {job, index, cellRun, pacer, t0, lastReport}
/** Runs the next slice on a fresh task, so messages queued meanwhile are handled first. */
const queueSlice = scheduler(() => slice());

const loaded = loadWasm(init).then(
  () => {
    self.postMessage({ status: 'ready' });
    return true;
  },
  (err) => {
    self.postMessage({ status: 'error', message: `could not load the WebAssembly module: ${err?.message ?? err}` });
    return false;
  },
);

function drop() {
  if (current !== null) {
    current.cellRun.free();
    current.pacer.free();
  }
  current = null;
}

function slice() {
  if (current === null) return;
  const c = current;
  const t0 = performance.now();
  const before = c.cellRun.step;
  const done = c.cellRun.run(c.pacer.steps());
  const now = performance.now();
  c.pacer.record(c.cellRun.step - before, now - t0);
  if (done) {
    const cell = c.cellRun.cell();
    drop();
    self.postMessage({ status: 'done', job: c.job, index: c.index, cell, ms: now - c.t0 });
    return;
  }
  if (now - c.lastReport >= REPORT_MS) {
    c.lastReport = now;
    self.postMessage({ status: 'step', job: c.job, index: c.index, step: c.cellRun.step });
  }
  queueSlice();
}

self.onmessage = async (event) => {
  const msg = event.data;
  if (msg.type === 'cancel') {
    // Handled between slices, so at most one slice (~40 ms) late.
    const step = current?.cellRun.step ?? null;
    drop();
    self.postMessage({ status: 'cancelled', job: msg.job, step });
    return;
  }
  if (!(await loaded)) return;
  if (msg.type !== 'cell') return;
  drop();
  try {
    current = {
      job: msg.job,
      index: msg.index,
      cellRun: new CellRun(msg.config, msg.budget),
      pacer: new Pacer(SLICE_MS),
      t0: performance.now(),
      lastReport: performance.now(),
    };
  } catch (err) {
    self.postMessage({ status: 'error', job: msg.job, index: msg.index, message: err instanceof Error ? err.message : String(err) });
    return;
  }
  queueSlice();
};
