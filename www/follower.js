// A follower: one share of every training step (see "Followers" in worker.js).
//
// Started by a training worker (worker.js, the leader) as a nested module worker; a run
// split between N workers has N − 1 of these, all on the leader's SharedArrayBuffer. A
// follower holds a copy of the leader's run and, while the leader trains, sits in
// Session.follow: for each step the leader asks for, it computes its share of the
// gradient, exchanges shares through the shared memory (the protocol is
// src/engine/split.rs) and takes the same update. The leader tells it every change of
// the run (learning rate, weight decay, training pairs) step by step. It records nothing
// and posts nothing while following; the leader reports the run.
//
//   in  {type: 'init', run, spec, buffer, workers, index, exchangeLen}  a new run: the
//                                   leader's spec at step 0, the SharedArrayBuffer of
//                                   its Link, how many workers share it and which one
//                                   this is (1..workers−1); the leader releases the
//                                   previous run (Link.stop) before sending this
//   out {status: 'ready', run}      in step with the leader at step 0; following now
//       {status: 'error', run, message, diverged}  could not follow (diverged: the run's
//                                   loss stopped being finite, which the leader sees at
//                                   the same step)

import init, { Link, Session } from './pkg/grokking.js';
import { loadWasm } from './wasm.js';

const loaded = loadWasm(init).then(
  () => true,
  (err) => {
    self.postMessage({ status: 'error', run: null, message: `could not load the WebAssembly module: ${err?.message ?? err}`, diverged: false });
    return false;
  },
);

let session = null;
let link = null;

function errorMessage(err) {
  return err instanceof Error ? err.message : String(err);
}

function follow(msg) {
  session?.free();
  link?.free();
  session = null;
  link = null;
  try {
    session = new Session(msg.spec);
    if (session.exchange_len() !== msg.exchangeLen) throw new Error('the leader has a different model shape');
    link = new Link(msg.buffer, msg.workers, msg.index, msg.exchangeLen);
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
