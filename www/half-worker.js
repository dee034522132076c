// The follower: the second half of every training step (see "Two workers" in worker.js).
//
// Started by a training worker (worker.js) as a nested module worker. It holds a copy of
// the leader's run and, while the leader trains, sits in Session.follow: for each step
// the leader asks for, it computes the gradient of the second half of the training
// batch, swaps halves with the leader through shared memory and takes the same update.
// It records nothing and posts nothing while following; the leader reports the run.
//
//   in  {type: 'init', run, config, buffer, paramCount}   a new run (buffer: the
//                                   SharedArrayBuffer of a Link); the leader releases
//                                   the previous run (Link.stop) before sending this
//   out {status: 'ready', run}      in step with the leader at step 0; following now
//       {status: 'error', run, message, diverged}  could not follow (diverged: the run's
//                                   loss stopped being finite, which the leader sees at
//                                   the same step)

import init, { Link, Session } from './pkg/grokking.js';
import { loadWasm } from './wasm.js';

const loaded = loadWasm(init).then(
  () => true,
  (err) => {
    self.postMessage({ status: 'error', run: null, message: `could not load the WebAssembly module: ${err?.message ?? err}` });
    return false;
  },
);

let session = null;
let link = null;

function errorMessage(err) {
  return err instanceof Error ? err.message : String(err);
}

function follow(msg) {
  if (session !== null) session.free();
  if (link !== null) link.free();
  session = null;
  link = null;
  try {
    session = new Session(msg.config);
    link = new Link(msg.buffer, msg.paramCount);
    if (session.param_count() !== msg.paramCount) throw new Error('the leader has a different model shape');
  } catch (err) {
    self.postMessage({ status: 'error', run: msg.run, message: errorMessage(err), diverged: false });
    return;
  }
  self.postMessage({ status: 'ready', run: msg.run });
  try {
    // Blocks until the leader calls Link.stop (a new run, or the page going away).
    session.follow(link);
  } catch (err) {
    self.postMessage({ status: 'error', run: msg.run, message: errorMessage(err), diverged: session.diverged });
  }
}

self.onmessage = async (event) => {
  if (!(await loaded)) return;
  if (event.data?.type === 'init') follow(event.data);
};
