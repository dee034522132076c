// The training worker: owns a Session (a Trainer in wasm) and trains it in time slices,
// so the page never waits for training and training never waits for the page.
//
// Started by main.js as a module worker. Messages in ({type, ...}), replies out
// ({status, run, ...}); `run` echoes the id of the init/reset that created the session,
// so the page can drop replies from a run it has already replaced.
//
//   in  {type: 'init', run, config, hyper, until, play, progress, split}  new session
//                               ('reset': the same); progress: record the hidden-progress
//                               measures (default true); split: false to train on this
//                               worker alone (default: split each step with a second
//                               worker where the page is cross-origin isolated and the
//                               machine has two cores, see "Two workers" below)
//       {type: 'play'}          train until paused (or `until`, or divergence)
//       {type: 'pause'}
//       {type: 'step', n}       take n steps now, then stay paused
//       {type: 'hyper', lr, wd} change learning rate / weight decay from the next step
//       {type: 'until', step}   pause exactly at this step (null: never)
//       {type: 'stop-when-grokked', on}  pause right after the step at which test
//                               accuracy first reaches 95% (also an init field,
//                               stopWhenGrokked); pauses at once if already past it
//       {type: 'csv'}           the history as CSV
//       {type: 'json'}          the history as JSON
//       {type: 'ablate'}        the key-frequency ablations at exactly the current step
//       {type: 'predict', a, b} the network's answer to (a, b) at the current step
//   out {status: 'ready', config, snapshot}     session created (config normalised)
//       {status: 'workers', workers}            1 or 2: how many workers now train this run
//       {status: 'running'}
//       {status: 'snapshot', snapshot, sps}     at most ~7 per second while running
//                                               (metrics: the latest recorded point)
//       {status: 'paused', snapshot, reason}    reason: 'pause', 'step', 'until' or
//                                               'grokked'
//                                               (metrics: measured at exactly this step)
//       {status: 'hyper', step, lr, wd, snapshot, scheduled}  a change took effect
//       {status: 'diverged', message, snapshot}
//       {status: 'error', message, fatal}       bad config (fatal: wasm failed to load)
//       {status: 'csv', csv}
//       {status: 'json', json}
//       {status: 'ablation', ablation}          see Ablation in src/web.rs
//       {status: 'prediction', prediction}      see Prediction in src/web.rs
//       {status: 'prediction', error}           a or b refused (message for the reader)
//
// Pacing: each slice runs a batch of steps sized to take ~30 ms (measured, adaptive),
// then yields through a MessageChannel (no setTimeout clamping) so pause and slider
// messages are handled within one slice.
//
// Two workers: one wasm thread tops out well below what the machine's two cores can do,
// so where SharedArrayBuffer is available (the page is cross-origin isolated: our
// server sends COOP/COEP) this worker starts a follower (half-worker.js) holding a copy
// of the same run. Every step, each computes the gradient of one fixed half of the
// training batch, they swap halves through shared memory (Link in src/web.rs) and both
// take the same update, bit-identical to one worker doing both halves. The follower
// must be at the same step as this worker: a run that starts stepping before the
// follower is ready (it waits up to PARTNER_WAIT_MS) trains alone to its end. If the
// follower fails, training goes on here alone; nothing is lost.

import init, { Link, Session } from './pkg/grokking.js';
import { loadWasm } from './wasm.js';
import { scheduler } from './scheduler.js';

/** Target duration of one slice of training. */
const SLICE_MS = 30;
/**
 * Minimum interval between snapshots while running (~7 per second). A little longer than
 * the page's minimum interval between redraws (MIN_INTERVAL_MS in figures.js), so each
 * snapshot's text and its redraw land in the same rendered frame rather than two.
 */
const POST_MS = 150;
/** Window over which steps per second are measured. */
const SPS_WINDOW_MS = 1000;
/** How long a fresh run waits for its follower before it starts alone. */
const PARTNER_WAIT_MS = 3000;

/** Whether this browser and machine can split steps between two workers at all. */
const canSplit =
  self.crossOriginIsolated === true &&
  typeof SharedArrayBuffer === 'function' &&
  (navigator.hardwareConcurrency ?? 1) >= 2;

const loaded = loadWasm(init).then(
  () => true,
  (err) => {
    post('error', { message: `could not load the WebAssembly module: ${err?.message ?? err}`, fatal: true });
    return false;
  },
);

let session = null;
let run = 0;
let playing = false;
let until = null;
/** Scheduled hyperparameter changes (from a shared link), by increasing step. */
let pending = [];
/** Measured milliseconds per step (exponential moving average). */
let msPerStep = null;
let lastPost = 0;
/** Recent (time, step) samples for the steps/s readout. */
let samples = [];
/**
 * The follower: {worker, link, state} with state 'loading' (its session is being made),
 * 'ready' (in step with this run: steps are split) or 'idle' (not part of this run).
 * null before the first split run, or for good once it failed.
 */
let partner = null;
/** Stop when grokked: whether this run pauses right after the step it groks at. */
let stopWhenGrokked = false;
/** Set by advance when a batch stopped because the run grokked (Stop when grokked). */
let grokStop = false;
/** Set when the follower failed: this worker trains alone from then on. */
let partnerBroken = false;
/** Runs the next slice on a fresh task, so messages queued meanwhile are handled first. */
const queueSlice = scheduler(() => slice());

function post(status, extra = {}) {
  self.postMessage({ status, run, ...extra });
}

function errorMessage(err) {
  return err instanceof Error ? err.message : String(err);
}

/** Applies scheduled changes that are due at the current step. */
function applyDue() {
  while (pending.length > 0 && pending[0].step <= session.step) {
    const change = pending.shift();
    if (change.step === session.step) {
      session.set_hyper(change.lr, change.wd);
      post('hyper', { step: change.step, lr: change.lr, wd: change.wd, scheduled: true, snapshot: session.snapshot(!playing) });
    }
  }
}

/** How many steps may be taken before the next stop (until, or a scheduled change). */
function allowed(n) {
  let limit = n;
  if (until !== null) limit = Math.min(limit, until - session.step);
  if (pending.length > 0) limit = Math.min(limit, pending[0].step - session.step);
  return Math.max(0, limit);
}

/**
 * Takes up to n steps, honouring the schedule; returns false if training diverged, and
 * sets `grokStop` if it stopped early because the run grokked (Stop when grokked).
 */
function advance(n) {
  let left = n;
  while (left > 0) {
    applyDue();
    const k = pending.length > 0 ? Math.min(left, pending[0].step - session.step) : left;
    try {
      const grokkedBefore = session.grokked_at !== undefined;
      const taken = runSteps(k);
      left -= taken;
      // (Not `taken < k`: the batch also ends there when it groks at its last step.)
      if (stopWhenGrokked && !grokkedBefore && session.grokked_at !== undefined && !session.diverged) {
        grokStop = true;
        break;
      }
    } catch (err) {
      if (!session.diverged) {
        // The follower failed mid-step (the parameters are untouched): go on alone.
        dropPartner(errorMessage(err));
        continue;
      }
      playing = false;
      post('diverged', { message: errorMessage(err), snapshot: session.snapshot(true) });
      return false;
    }
  }
  applyDue();
  return true;
}

/** Takes up to k steps, split with the follower when it is in step with this run. */
function runSteps(k) {
  if (partner !== null && partner.state === 'ready') return session.run_lead(k, partner.link);
  if (partner !== null && partner.state === 'loading') partner.state = 'idle'; // too late now
  return session.run(k);
}

function workers() {
  return partner !== null && partner.state === 'ready' ? 2 : 1;
}

/** Stops using the follower for good (it failed) and says so. */
function dropPartner(reason) {
  if (partner === null) return;
  partner.worker.terminate();
  partner = null;
  partnerBroken = true;
  console.warn(`training on one worker from now on: ${reason}`);
  post('workers', { workers: 1 });
}

/** Releases the follower from the current run (it returns to its message loop). */
function releasePartner() {
  if (partner === null) return;
  if (partner.link !== null) {
    partner.link.stop();
    partner.link.free();
    partner.link = null;
  }
  partner.state = 'idle';
}

/** Hands the follower a copy of the new run (called right after the session is made). */
function attachPartner(config) {
  if (!canSplit || partnerBroken) return;
  if (partner === null) {
    const worker = new Worker(new URL('./half-worker.js', import.meta.url), { type: 'module' });
    partner = { worker, link: null, state: 'idle' };
    worker.onmessage = (event) => onPartnerMessage(event.data);
    worker.onerror = (event) => dropPartner(event.message ?? 'the second worker failed to start');
  }
  const n = session.param_count();
  const buffer = new SharedArrayBuffer(Link.byte_length(n));
  partner.link = new Link(buffer, n);
  partner.state = 'loading';
  partner.run = run;
  partner.worker.postMessage({ type: 'init', run, config, buffer, paramCount: n });
  const thisRun = run;
  setTimeout(() => {
    // Too slow: this run starts alone (the follower joins the next one).
    if (partner !== null && partner.run === thisRun && partner.state === 'loading') {
      partner.state = 'idle';
      queueSlice();
    }
  }, PARTNER_WAIT_MS);
}

function onPartnerMessage(msg) {
  if (partner === null) return;
  if (msg.status === 'ready') {
    if (msg.run !== run || partner.state !== 'loading' || session === null || session.step !== 0) {
      return; // a run that has moved on; the follower waits for the next one
    }
    partner.state = 'ready';
    post('workers', { workers: 2 });
    queueSlice();
  } else if (msg.status === 'error') {
    // A follower that diverged says so at the same step as this worker: nothing to do.
    if (!msg.diverged) dropPartner(msg.message);
  }
}

function stepsPerSecond(now) {
  samples.push([now, session.step]);
  while (samples.length > 2 && now - samples[1][0] >= SPS_WINDOW_MS) samples.shift();
  const [t0, s0] = samples[0];
  return now > t0 ? ((session.step - s0) * 1000) / (now - t0) : 0;
}

function slice() {
  if (!playing || session === null) return;
  // A fresh run waits (briefly) for its follower rather than start alone.
  if (partner !== null && partner.state === 'loading' && session.step === 0) return;
  applyDue();
  const wanted = msPerStep === null ? 1 : Math.max(1, Math.round(SLICE_MS / msPerStep));
  const n = allowed(wanted);
  const t0 = performance.now();
  if (n > 0 && !advance(n)) return;
  const now = performance.now();
  if (n > 0) {
    const per = (now - t0) / n;
    msPerStep = msPerStep === null ? per : 0.7 * msPerStep + 0.3 * per;
  }
  const sps = stepsPerSecond(now);
  if (grokStop) {
    grokStop = false;
    playing = false;
    post('paused', { reason: 'grokked', snapshot: session.snapshot(true), sps });
    return;
  }
  if (until !== null && session.step >= until) {
    playing = false;
    until = null;
    post('paused', { reason: 'until', snapshot: session.snapshot(true), sps });
    return;
  }
  if (now - lastPost >= POST_MS) {
    lastPost = now;
    post('snapshot', { snapshot: session.snapshot(false), sps, workers: workers() });
  }
  queueSlice();
}

function start(msg) {
  playing = false;
  releasePartner();
  grokStop = false;
  if (session !== null) session.free();
  session = null;
  run = msg.run;
  until = msg.until ?? null;
  pending = (msg.hyper ?? []).filter((c) => c.step >= 1);
  msPerStep = null;
  samples = [];
  try {
    session = new Session(msg.config);
    // The measures cost a pass over all p² pairs about 30 times a decade of steps (see
    // History::records_progress): a few percent of the training time.
    session.set_track_progress(msg.progress ?? true);
    stopWhenGrokked = msg.stopWhenGrokked === true;
    session.set_stop_when_grokked(stopWhenGrokked);
  } catch (err) {
    post('error', { message: errorMessage(err) });
    return;
  }
  const config = session.config();
  post('ready', { config, snapshot: session.snapshot(true) });
  if (msg.split !== false) attachPartner(config);
  if (msg.play) play();
}

function play() {
  if (session === null || playing) return;
  if (until !== null && session.step >= until) until = null;
  playing = true;
  samples = [];
  lastPost = performance.now();
  post('running');
  queueSlice();
}

function handle(msg) {
  if (msg.type === 'init' || msg.type === 'reset') {
    start(msg);
    return;
  }
  if (session === null) return; // nothing to act on until a valid config arrives
  switch (msg.type) {
    case 'play':
      play();
      break;
    case 'pause':
      if (playing) {
        playing = false;
        post('paused', { reason: 'pause', snapshot: session.snapshot(true) });
      }
      break;
    case 'step':
      playing = false;
      if (advance(Math.max(1, msg.n | 0))) {
        post('paused', { reason: grokStop ? 'grokked' : 'step', snapshot: session.snapshot(true) });
      }
      grokStop = false;
      break;
    case 'hyper':
      // A change by hand overrides whatever a shared link had scheduled after it.
      pending = [];
      session.set_hyper(msg.lr, msg.wd);
      post('hyper', { step: session.step, lr: msg.lr, wd: msg.wd, scheduled: false, snapshot: session.snapshot(!playing) });
      break;
    case 'until':
      until = msg.step ?? null;
      break;
    case 'stop-when-grokked':
      stopWhenGrokked = msg.on === true;
      session.set_stop_when_grokked(stopWhenGrokked);
      if (msg.on === true && playing && session.grokked_at !== undefined) {
        playing = false;
        post('paused', { reason: 'grokked', snapshot: session.snapshot(true) });
      }
      break;
    case 'csv':
      post('csv', { csv: session.history_csv() });
      break;
    case 'json':
      post('json', { json: session.history_json() });
      break;
    case 'ablate':
      // Between two slices: the numbers are those of exactly the step now reached.
      post('ablation', { ablation: session.ablate() });
      break;
    case 'predict':
      try {
        post('prediction', { prediction: session.predict(msg.a, msg.b) });
      } catch (err) {
        post('prediction', { error: errorMessage(err) });
      }
      break;
    default:
      post('error', { message: `unknown message type "${msg.type}"` });
  }
}

self.onmessage = async (event) => {
  // Messages that arrive while the module loads wait here, in order.
  if (!(await loaded)) return;
  try {
    handle(event.data);
  } catch (err) {
    post('error', { message: errorMessage(err) });
  }
};
