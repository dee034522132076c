// The training worker: wiring around a wasm `Session` (src/web/session.rs), which owns
// the run — its spec (config, schedule of mid-run changes, pause step, stop when
// grokked), the stepping, the stop rule and the snapshots (src/engine/run.rs). This file
// only keeps the clock: it trains in time slices so the page never waits for training
// and training never waits for the page, and it starts the followers that share each
// step where the page allows.
//
// Started by live-run.js as a module worker. Messages in ({type, ...}), replies out
// ({status, run, ...}); `run` echoes the id of the init that created the session, so the
// page can drop replies about a run it has already replaced.
//
//   in  {type: 'init', run, spec, play, progress, workers}  a new session of `spec`
//                               ({config, schedule, until, stop_when_grokked}; see
//                               RunSpec); play: start training at once; progress:
//                               record the hidden-progress measures (default true);
//                               workers: split each step between this many workers
//                               (default 1; see "Followers" below)
//       {type: 'play', resume}  train until paused or the run stops itself. resume: the
//                               reader pressed Play, so a run standing at its until
//                               step or at its grokked step goes on (Session.resume);
//                               without it (the figure came back on screen) a run that
//                               is due to stop stays stopped
//       {type: 'pause'}
//       {type: 'step', n}       take n steps now (going on past a stop), then stay paused
//       {type: 'hyper', lr, wd} learning rate / weight decay from the next step on,
//                               recorded in the spec's schedule (at step 0: the config)
//       {type: 'shrink', keep}  keep only this fraction of the training pairs from the
//                               next step on (ungrokking), recorded in the schedule
//       {type: 'stop-when-grokked', on}  pause right after the step at which test
//                               accuracy first reaches 95% (at once if it already has)
//       {type: 'csv'} {type: 'json'}    the history as CSV / JSON text
//       {type: 'ablate'}        the key-frequency ablations at exactly the current step
//       {type: 'predict', a, b} the network's answer to (a, b) at the current step
//   out {status: 'ready', snapshot, spec, workers}   session made; spec: normalised
//       {status: 'workers', workers, spec}  how many workers now train this run
//       {status: 'running', spec, workers}
//       {status: 'snapshot', snapshot, sps, msPerStep, workers}  at most ~7 a second
//                                           while running (metrics: the latest recorded
//                                           point; sps: steps per second over the last
//                                           second; msPerStep: compute per step, both
//                                           from the Rust Pacer)
//       {status: 'paused', snapshot, reason, message?, spec, workers}  reason: 'pause',
//                                           'step', or the run's own stop ('until',
//                                           'grokked', 'failed' with its message);
//                                           metrics measured at exactly this step
//       {status: 'changed', snapshot, spec, workers}  a hyper/shrink change took effect
//       {status: 'changed', error}          … or was refused (one reply per change)
//       {status: 'spec', spec}              the spec changed (stop when grokked)
//       {status: 'diverged', message, snapshot, spec, workers}
//       {status: 'error', message, fatal}   a refused spec or change (fatal: the wasm
//                                           module failed to load)
//       {status: 'csv', csv} {status: 'json', json} {status: 'ablate', ablation}
//       {status: 'predict', prediction}
//                               each request is answered, in order; with {error} instead
//                               when it cannot be (no run, or a or b refused)
// Every `spec` out is the one a share link should carry now (Session.link_spec: the
// run as it happened, pausing at the current step when it stands still), so the page
// builds links from it without knowing the rules.
//
// Pacing: each slice takes as many steps as the Rust Pacer says fit in ~30 ms, then
// yields through a MessageChannel (scheduler.js) so pause and slider messages are
// handled within one slice; a snapshot goes out at most every ~150 ms.
//
// Followers: one wasm thread tops out well below what a machine's cores can do, so
// where the page is cross-origin isolated (SharedArrayBuffer exists) and asks for N > 1
// workers, this worker starts N − 1 followers (follower.js), each with a copy of the
// same run, all on one SharedArrayBuffer (Link; the protocol is src/engine/split.rs):
// every step each computes its share of the gradient, they exchange shares and all take
// the same update, bit-identical to one worker. A run starts split only if every
// follower is ready at step 0 (they get FOLLOWER_WAIT_MS); otherwise it trains alone to
// its end and the followers join the next run. If a follower fails, training goes on
// here alone from then on; nothing is lost.

import init, { Link, Pacer, Session } from './pkg/grokking.js';
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
/** How long a fresh run waits for its followers before it starts alone. */
const FOLLOWER_WAIT_MS = 3000;

/** Whether this page can share memory between workers at all. */
const canSplit = self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';

const loaded = loadWasm(init).then(
  () => true,
  (err) => {
    post('error', { message: `could not load the WebAssembly module: ${err?.message ?? err}`, fatal: true });
    return false;
  },
);

let session = null;
let pacer = null;
let run = 0;
let playing = false;
let lastPost = 0;
/** The followers: nested workers, created for the first split run and kept. */
const followers = [];
/**
 * This run's split: {link, workers, state} with state 'loading' (followers are making
 * their sessions), 'ready' (all in step: steps are split) or 'alone' (too late for this
 * run); null when the run trains alone.
 */
let split = null;
/** Set when a follower failed: this worker trains alone from then on. */
let splitBroken = false;
/** Runs the next slice on a fresh task, so messages queued meanwhile are handled first. */
const queueSlice = scheduler(() => slice());

function post(status, extra = {}) {
  self.postMessage({ status, run, ...extra });
}

function errorMessage(err) {
  return err instanceof Error ? err.message : String(err);
}

/** Workers training this run now. */
function workers() {
  return split !== null && split.state === 'ready' ? split.workers : 1;
}

/** The spec a share link should carry now (see the protocol above). */
function linkSpec() {
  return session.link_spec(!playing && !session.diverged);
}

/** Posts a state change with what every such reply carries. */
function postState(status, extra = {}) {
  post(status, { spec: linkSpec(), workers: workers(), ...extra });
}

// ---------------------------------------------------------------------------------------
// Followers

/** Stops using followers for good (one failed) and says so. */
function dropFollowers(reason) {
  if (splitBroken) return;
  splitBroken = true;
  for (const f of followers.splice(0)) f.terminate();
  if (split !== null) {
    split.link.free();
    split = null;
  }
  console.warn(`training on one worker from now on: ${reason}`);
  if (session !== null) postState('workers');
}

/** Releases the followers from the current run (they return to their message loops). */
function releaseFollowers() {
  if (split === null) return;
  split.link.stop();
  split.link.free();
  split = null;
}

/** Hands each follower a copy of the new run (called right after the session is made). */
function attachFollowers(count) {
  if (!canSplit || splitBroken || count < 2) return;
  while (followers.length < count - 1) {
    const index = followers.length + 1;
    const worker = new Worker(new URL('./follower.js', import.meta.url), { type: 'module' });
    worker.onmessage = (event) => onFollowerMessage(event.data);
    worker.onerror = (event) => dropFollowers(event.message ?? `follower ${index} failed to start`);
    followers.push(worker);
  }
  // What each worker publishes per step: its share of the partial gradient.
  const params = session.exchange_len();
  let link;
  let buffer;
  try {
    buffer = new SharedArrayBuffer(Link.byte_length(count, params));
    link = new Link(buffer, count, 0, params);
  } catch (err) {
    dropFollowers(errorMessage(err));
    return;
  }
  split = { link, workers: count, state: 'loading', ready: 0 };
  // The spec as the session holds it at step 0 (normalised, step-0 changes applied in
  // both copies alike); the leader tells the followers every later change step by step.
  const spec = session.spec();
  for (let i = 0; i < count - 1; i++) {
    followers[i].postMessage({ type: 'init', run, spec, buffer, workers: count, index: i + 1, exchangeLen: params });
  }
  const thisRun = run;
  setTimeout(() => {
    // Too slow: this run trains alone (the followers join the next one).
    if (split !== null && run === thisRun && split.state === 'loading') {
      split.state = 'alone';
      queueSlice();
    }
  }, FOLLOWER_WAIT_MS);
}

function onFollowerMessage(msg) {
  if (msg.status === 'ready') {
    if (split === null || msg.run !== run || split.state !== 'loading') return; // a run that has moved on
    split.ready += 1;
    if (split.ready < split.workers - 1) return;
    if (session === null || session.step !== 0) {
      split.state = 'alone';
      return;
    }
    split.state = 'ready';
    postState('workers');
    queueSlice();
  } else if (msg.status === 'error') {
    // A follower that diverged says so at the same step as this worker: nothing to do.
    if (!msg.diverged) dropFollowers(msg.message);
  }
}

// ---------------------------------------------------------------------------------------
// Training

/**
 * Takes up to n steps, split with the followers when they are in step with this run;
 * returns Session.advance's {taken, stop}. A follower that stopped answering (stop
 * "failed" while split: the parameters are untouched) is dropped, and the run goes on
 * alone from the next slice.
 */
function advance(n) {
  if (split !== null && split.state === 'loading') split.state = 'alone'; // too late now
  if (split === null || split.state !== 'ready') return session.advance(n);
  const result = session.advance_lead(n, split.link);
  if (result.stop?.reason === 'failed') {
    dropFollowers(result.stop.message);
    return { taken: result.taken, stop: null };
  }
  return result;
}

/** Reports a stop of the run's own (until, grokked, diverged, failed) and pauses. */
function stopped(stop, extra = {}) {
  playing = false;
  if (stop.reason === 'diverged') {
    postState('diverged', { message: stop.message, snapshot: session.snapshot(true), ...extra });
  } else {
    postState('paused', { reason: stop.reason, message: stop.message, snapshot: session.snapshot(true), ...extra });
  }
}

function slice() {
  if (!playing || session === null) return;
  // A fresh run waits (briefly) for its followers rather than start alone.
  if (split !== null && split.state === 'loading' && session.step === 0) return;
  const n = pacer.steps();
  const t0 = performance.now();
  const { taken, stop } = advance(n);
  const now = performance.now();
  pacer.record(taken, now - t0);
  // The speed readouts, kept by the Rust Pacer: steps per second of wall time over the
  // last second, and this worker's milliseconds of compute per step.
  const sps = pacer.rate(now, session.step);
  if (stop) {
    stopped(stop, { sps });
    return;
  }
  if (now - lastPost >= POST_MS) {
    lastPost = now;
    post('snapshot', { snapshot: session.snapshot(false), sps, msPerStep: pacer.ms_per_step(), workers: workers() });
  }
  queueSlice();
}

function start(msg) {
  playing = false;
  releaseFollowers();
  session?.free();
  pacer?.free();
  session = null;
  run = msg.run;
  try {
    session = new Session(msg.spec);
    // The measures cost a pass over all p² pairs about 30 times a decade of steps (see
    // History::records_progress): a few percent of the training time.
    session.set_track_progress(msg.progress ?? true);
  } catch (err) {
    session = null;
    post('error', { message: errorMessage(err) });
    return;
  }
  pacer = new Pacer(SLICE_MS);
  postState('ready', { snapshot: session.snapshot(true) });
  attachFollowers(msg.workers ?? 1);
  if (msg.play) play(false);
}

function play(resume) {
  if (playing) return;
  if (resume) session.resume();
  const due = session.stop_due();
  if (due) {
    // Nothing to train: say why at once rather than flash "running".
    stopped(due);
    return;
  }
  playing = true;
  pacer.reset_rate();
  lastPost = performance.now();
  postState('running');
  queueSlice();
}

/** A change by hand (hyper or shrink), applied by the session: one reply either way. */
function change(apply) {
  try {
    if (session === null) throw new Error('there is no run to change');
    apply();
  } catch (err) {
    post('changed', { error: errorMessage(err) });
    return;
  }
  postState('changed', { snapshot: session.snapshot(!playing) });
}

/** Requests are answered whatever happens, so the page can match replies in order. */
const REQUESTS = {
  csv: () => ({ csv: session.history_csv() }),
  json: () => ({ json: session.history_json() }),
  // Between two slices: the numbers are those of exactly the step now reached.
  ablate: () => ({ ablation: session.ablate() }),
  predict: (msg) => ({ prediction: session.predict(msg.a, msg.b) }),
};

function handle(msg) {
  if (msg.type === 'init') {
    start(msg);
    return;
  }
  if (Object.hasOwn(REQUESTS, msg.type)) {
    try {
      if (session === null) throw new Error('there is no run to ask');
      post(msg.type, REQUESTS[msg.type](msg));
    } catch (err) {
      post(msg.type, { error: errorMessage(err) });
    }
    return;
  }
  if (msg.type === 'hyper') {
    change(() => session.set_hyper(msg.lr, msg.wd));
    return;
  }
  if (msg.type === 'shrink') {
    change(() => session.shrink(msg.keep));
    return;
  }
  if (session === null) return; // nothing to act on until a valid spec arrives
  switch (msg.type) {
    case 'play':
      play(msg.resume === true);
      break;
    case 'pause':
      if (playing) {
        playing = false;
        postState('paused', { reason: 'pause', snapshot: session.snapshot(true) });
      }
      break;
    case 'step': {
      playing = false;
      session.resume(); // a step by hand goes on past a pause point
      const { stop } = advance(Math.max(1, msg.n | 0));
      if (stop) stopped(stop);
      else postState('paused', { reason: 'step', snapshot: session.snapshot(true) });
      break;
    }
    case 'stop-when-grokked':
      // Switched on after the run grokked, the next slice stops it (Run decides).
      session.set_stop_when_grokked(msg.on === true);
      post('spec', { spec: linkSpec() });
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
