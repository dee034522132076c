// One live run of the article: a training worker (worker.js, created lazily), the
// page's copy of its history (a wasm `Figures`), and the rules for when it trains.
//
// A run trains only while the reader wants it to (`wantPlay`: autoplay, or the Play
// button) AND its figure is on screen (`visible`, set by the section's
// IntersectionObserver). Everything else about training — slices, pacing, `until` —
// is the worker's (see the protocol at the top of worker.js); this class only sends
// 'init' / 'play' / 'pause' / 'step' and takes in the snapshots.
//
// A run stops by itself at `until` (its step budget, or the step a share link names),
// when it diverges, or — with `stopWhenGrokked` — right after the step at which test
// accuracy first reaches 95% (the worker stops there exactly). A stopped run keeps its
// figure.

import { Figures } from './pkg/grokking.js';

/**
 * Writes a run's state onto `el` as the data-* attributes the tests and benchmarks read
 * (data-state, -step, -train-acc, -test-acc, -train-loss, -test-loss, -weight-norm,
 * -memorised-at, -grokked-at). `run` has {state, step, metrics, memorisedAt, grokkedAt};
 * used by the article's runs and by the playground.
 */
export function writeRunData(el, run) {
  const m = run.metrics;
  el.dataset.state = run.state;
  el.dataset.step = String(run.step);
  el.dataset.trainAcc = m ? String(m.train_acc) : '0';
  el.dataset.testAcc = m ? String(m.test_acc) : '0';
  el.dataset.trainLoss = m ? String(m.train_loss) : '';
  el.dataset.testLoss = m ? String(m.test_loss) : '';
  el.dataset.weightNorm = m ? String(m.weight_norm) : '';
  el.dataset.memorisedAt = run.memorisedAt ?? '';
  el.dataset.grokkedAt = run.grokkedAt ?? '';
}

export class LiveRun {
  /**
   * @param {object} o
   *   id        short name, used in element ids and file names ("puzzle", "decay-on")
   *   label     the run's name for people ("weight decay 1")
   *   config    the run's Config (see DEFAULTS in params.js)
   *   until     step budget (the worker pauses exactly there), or null
   *   autoplay  start training as soon as the figure is on screen
   *   onChange  () => void, called after every message from the worker
   *   split     let the worker share each step with a second worker (worker.js "Two
   *             workers"); false where two runs train side by side, one core each
   */
  constructor({ id, label, config, until = null, autoplay = true, onChange = () => {}, split = true }) {
    this.split = split;
    this.id = id;
    this.label = label;
    this.config = { ...config };
    this.until = until;
    this.wantPlay = autoplay;
    this.onChange = onChange;
    this.visible = false;
    this.worker = null;
    this.stopAtGrok = false;
    this.figures = new Figures();
    this.runId = 0;
    this.asked = false; // whether the worker was last told to play
    this.requests = { csv: [], json: [] };
    this.clear();
  }

  clear() {
    this.state = 'idle'; // idle | running | paused | finished | diverged | error
    this.hasSession = false;
    this.step = 0;
    this.metrics = null;
    this.memorisedAt = null;
    this.grokkedAt = null;
    this.message = '';
    this.stoppedAtGrok = false;
  }

  /** Creates the worker (once) and starts the run. Cheap to call again. */
  ensure() {
    if (this.worker !== null) return;
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.worker.addEventListener('message', (event) => this.receive(event.data));
    this.worker.addEventListener('error', (event) => {
      this.state = 'error';
      this.message = `The training worker failed: ${event.message ?? 'unknown error'}.`;
      this.onChange();
    });
    this.start();
  }

  /** Whether the run pauses right after it groks (the worker stops at that step). */
  get stopWhenGrokked() {
    return this.stopAtGrok;
  }

  set stopWhenGrokked(on) {
    this.stopAtGrok = on;
    this.worker?.postMessage({ type: 'stop-when-grokked', on });
  }

  /** (Re)starts from step 0 with this.config and this.until. */
  start() {
    this.runId += 1;
    this.clear();
    this.figures.reset();
    this.asked = this.shouldPlay();
    this.worker.postMessage({
      type: 'init', run: this.runId, config: { ...this.config }, hyper: [],
      until: this.until, play: this.asked, progress: false, split: this.split,
      stopWhenGrokked: this.stopWhenGrokked,
    });
    this.onChange();
  }

  /** Replaces the settings and restarts (creating the worker if needed). */
  restart(config, until = this.until) {
    this.config = { ...config };
    this.until = until;
    if (this.worker === null) this.ensure();
    else this.start();
  }

  shouldPlay() {
    return this.wantPlay && this.visible && this.state !== 'diverged' && this.state !== 'error';
  }

  /** Tells the worker to play or pause if that differs from what it was last told. */
  sync() {
    if (this.worker === null || !this.hasSession) return;
    const want = this.shouldPlay();
    if (want === this.asked) return;
    this.asked = want;
    this.worker.postMessage({ type: want ? 'play' : 'pause' });
  }

  setVisible(visible) {
    this.visible = visible;
    this.sync();
  }

  togglePlay() {
    if (this.worker === null) this.ensure();
    if (this.state === 'diverged') return;
    this.wantPlay = !(this.state === 'running' || this.asked);
    if (this.wantPlay) this.stoppedAtGrok = false;
    if (this.wantPlay && !this.visible) this.visible = true; // asked for by hand, on screen
    this.sync();
    this.onChange();
  }

  play() {
    if (this.state === 'running' || this.asked) return;
    this.togglePlay();
  }

  pause() {
    this.wantPlay = false;
    this.sync();
  }

  stepOnce() {
    if (this.worker === null || !this.hasSession || this.state === 'diverged') return;
    this.wantPlay = false;
    this.asked = false;
    this.worker.postMessage({ type: 'step', n: 1 });
  }

  reset() {
    if (this.worker === null) return;
    this.start();
  }

  /** The history as CSV or JSON text (a Promise), from the worker. */
  request(kind) {
    if (this.worker === null || !this.hasSession) return Promise.reject(new Error('no run yet'));
    return new Promise((resolve, reject) => {
      this.requests[kind].push({ resolve, reject });
      this.worker.postMessage({ type: kind });
    });
  }

  ingest(snapshot) {
    this.figures.ingest(snapshot);
    this.step = snapshot.step;
    this.metrics = snapshot.metrics;
    this.memorisedAt = snapshot.memorised_at ?? null;
    this.grokkedAt = snapshot.grokked_at ?? null;
    if (this.stopWhenGrokked && this.grokkedAt !== null && this.wantPlay && this.state !== 'paused') {
      this.wantPlay = false;
      this.stoppedAtGrok = true;
      this.sync();
    }
  }

  receive(msg) {
    if (msg.status === 'error' && msg.fatal) {
      this.state = 'error';
      this.message = msg.message;
      this.onChange();
      return;
    }
    if (msg.status === 'csv' || msg.status === 'json') {
      this.requests[msg.status].shift()?.resolve(msg[msg.status]);
      return;
    }
    if (msg.run !== this.runId) return;
    switch (msg.status) {
      case 'ready':
        this.hasSession = true;
        this.ingest(msg.snapshot);
        this.sync(); // visibility may have changed while the module loaded
        break;
      case 'running':
        this.state = 'running';
        break;
      case 'snapshot':
        this.ingest(msg.snapshot);
        break;
      case 'paused':
        this.ingest(msg.snapshot);
        this.asked = false;
        if (msg.reason === 'until') {
          this.wantPlay = false;
          this.state = 'finished';
        } else if (msg.reason === 'grokked') {
          // Stop when grokked: the worker paused right after the step it grokked at.
          this.wantPlay = false;
          this.stoppedAtGrok = true;
          this.state = 'paused';
        } else {
          this.state = this.step === 0 ? 'idle' : 'paused';
          this.sync(); // a play sent after this pause is already on its way; harmless
        }
        break;
      case 'diverged':
        this.ingest(msg.snapshot);
        this.state = 'diverged';
        this.wantPlay = false;
        this.asked = false;
        this.message = msg.message;
        break;
      case 'error':
        for (const kind of ['csv', 'json']) {
          for (const r of this.requests[kind].splice(0)) r.reject(new Error(msg.message));
        }
        this.message = msg.message;
        if (!this.hasSession) this.state = 'error';
        break;
      default:
        break;
    }
    this.onChange();
  }

  /** Mirrors the run onto a readout element: data-* for tests, short text for people. */
  render(el) {
    const m = this.metrics;
    writeRunData(el, this);
    const pct = (x) => `${(100 * x).toFixed(1)}%`;
    const name = this.label ? `${this.label}: ` : '';
    el.textContent = m
      ? `${name}step ${this.step.toLocaleString('en')} · train ${pct(m.train_acc)} · test ${pct(m.test_acc)} · ${this.state}`
      : `${name}${this.state === 'error' ? this.message : 'waiting to start'}`;
  }
}
