// One live run on the page — the article's figures and the playground alike: a
// training worker (worker.js, created lazily), the page's copy of its history (a wasm
// `Figures`), and the rules for when it trains. The one state machine of every live
// figure: sections and the playground only wire controls and readouts to it.
//
// A run trains only while the reader wants it to (`wantPlay`: autoplay, or the Play
// button) AND its figure is on screen (`visible`, set by the section's
// IntersectionObserver). Everything about the run itself — its spec, the schedule of
// changes, where it pauses, when it is grokked, the stop rule — lives in the worker's
// Session (src/engine); this class sends 'init' / 'play' / 'pause' / 'step' and the
// reader's changes, and takes in snapshots and the spec a link should carry
// (`linkSpec`). See the protocol at the top of worker.js.
//
// States: idle (step 0, or no run: a refused spec says why in `configError`), running,
// paused, finished (stopped at its `until`, where `until` is a step budget), diverged,
// error (the worker itself failed). A stopped run keeps its figure.

import { Figures, check_config } from './pkg/grokking.js';
import { copySpec } from './params.js';

/**
 * Writes a run's state onto `el` as the data-* attributes the tests and benchmarks read
 * (data-state, -step, -train-acc, -test-acc, -train-loss, -test-loss, -weight-norm,
 * -memorised-at, -grokked-at, -workers, -train-pairs).
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
  el.dataset.workers = String(run.workersInUse);
  el.dataset.trainPairs = run.trainPairs ?? '';
}

/** A request made before a run was replaced, answered after: its answer is not wanted. */
export class StaleRequest extends Error {}

export class LiveRun {
  /**
   * @param {object} o
   *   id        short name, used in element ids and file names ("puzzle", "decay-on")
   *   label     the run's name for people ("weight decay 1")
   *   spec      the run: {config, schedule, until, stop_when_grokked} (RunSpec)
   *   autoplay  start training as soon as the figure is on screen
   *   onChange  (what, msg) => void, called after every change: what is the worker's
   *             status ('ready', 'snapshot', 'paused', …, with its message msg) or a
   *             local action ('start' when a run (re)starts, 'play', 'pause', 'hyper')
   *   workers   how many workers split each step (params.js workerCount; 1 where runs
   *             train side by side, one core each)
   *   progress  record the hidden-progress measures (the playground's run)
   *   untilPauses  a run stopped at its `until` is 'paused' (a pause point from a link)
   *             rather than 'finished' (a step budget)
   */
  constructor({
    id, label, spec, autoplay = true, onChange = () => {}, workers = 1, progress = false, untilPauses = false,
  }) {
    this.id = id;
    this.label = label;
    this.spec = copySpec(spec);
    this.wantPlay = autoplay;
    this.onChange = onChange;
    this.workers = workers;
    this.progress = progress;
    this.untilPauses = untilPauses;
    this.visible = false;
    this.worker = null;
    this.figures = new Figures();
    this.runId = 0;
    this.asked = false; // whether the worker was last told to play
    this.resumeNext = false; // the next 'play' is the reader's Play (see worker.js)
    /** Requests in flight by kind, answered in order: [{resolve, reject, runId}]. */
    this.requests = { csv: [], json: [], ablate: [], predict: [] };
    this.clear();
  }

  clear() {
    this.state = 'idle';
    this.hasSession = false;
    this.step = 0;
    this.metrics = null;
    this.memorisedAt = null;
    this.grokkedAt = null;
    this.lr = this.spec.config.lr;
    this.wd = this.spec.config.wd;
    this.trainPairs = null;
    /** Changes by hand sent and not yet answered (the reader's values stand meanwhile). */
    this.pendingChanges = 0;
    this.sps = null;
    /** Milliseconds of compute per step in the leading worker (its Pacer), or null. */
    this.msPerStep = null;
    this.workersInUse = 1;
    this.message = '';
    this.configError = null;
    this.stoppedAtGrok = false;
    /** The spec a share link should carry now, as the worker last said (null: none yet). */
    this.mirror = null;
  }

  /** The run's settings at step 0 (as the worker holds them once it has the run). */
  get config() {
    return this.linkSpec.config;
  }

  /** The spec a share link should carry now: the worker's word, else what was asked. */
  get linkSpec() {
    return this.mirror ?? this.spec;
  }

  /** Creates the worker (once) and starts the run. Cheap to call again. */
  ensure() {
    if (this.worker !== null) return;
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.worker.addEventListener('message', (event) => this.receive(event.data));
    this.worker.addEventListener('error', (event) => {
      this.state = 'error';
      this.message = `The training worker failed: ${event.message ?? 'unknown error'}.`;
      this.onChange('error');
    });
    this.start();
  }

  /** Whether the run pauses right after it groks (the worker's Run stops at that step). */
  get stopWhenGrokked() {
    return this.spec.stop_when_grokked;
  }

  set stopWhenGrokked(on) {
    this.spec.stop_when_grokked = on;
    if (this.mirror) this.mirror = { ...this.mirror, stop_when_grokked: on };
    this.worker?.postMessage({ type: 'stop-when-grokked', on });
  }

  /** (Re)starts from step 0 with this.spec. */
  start() {
    this.runId += 1;
    this.clear();
    this.figures.reset();
    // The core's verdict on the settings, at once (the worker reports the same).
    try {
      check_config(this.spec.config);
    } catch (err) {
      this.configError = err.message;
    }
    this.asked = this.shouldPlay();
    this.resumeNext = false;
    this.worker.postMessage({
      type: 'init', run: this.runId, spec: copySpec(this.spec), play: this.asked,
      progress: this.progress, workers: this.workers,
    });
    this.onChange('start');
  }

  /**
   * Replaces the run (creating the worker if needed): `spec` from step 0, keeping the
   * stop-when-grokked setting.
   */
  restart(spec) {
    this.spec = { ...copySpec(spec), stop_when_grokked: this.spec.stop_when_grokked };
    if (this.worker === null) this.ensure();
    else this.start();
  }

  /** Whether a run with valid settings is being made (its worker has not answered). */
  get startingUp() {
    return this.worker !== null && !this.hasSession && this.configError === null && this.state !== 'error';
  }

  shouldPlay() {
    return this.wantPlay && this.visible && this.configError === null
      && this.state !== 'diverged' && this.state !== 'error';
  }

  /** Tells the worker to play or pause if that differs from what it was last told. */
  sync() {
    if (this.worker === null || !this.hasSession) return;
    const want = this.shouldPlay();
    if (want === this.asked) return;
    this.asked = want;
    this.worker.postMessage(want ? { type: 'play', resume: this.resumeNext } : { type: 'pause' });
    if (want) this.resumeNext = false;
  }

  setVisible(visible) {
    this.visible = visible;
    this.sync();
  }

  /** Whether the run is training or about to (what a Play/Pause button shows). */
  get playing() {
    return this.state === 'running' || this.asked || (this.startingUp && this.wantPlay);
  }

  togglePlay() {
    if (this.worker === null) this.ensure();
    if (this.state === 'diverged' || this.state === 'error' || this.configError !== null) return;
    // Before the run is ready, `asked` says what it was created with (see start()).
    this.wantPlay = !this.playing;
    if (this.wantPlay) {
      this.stoppedAtGrok = false;
      // The reader's Play: a run standing at its pause point goes on.
      this.resumeNext = true;
      this.visible = true; // asked for by hand: the reader is looking at it
    }
    this.sync();
    this.onChange('play');
  }

  play() {
    if (!this.playing) this.togglePlay();
  }

  pause() {
    this.wantPlay = false;
    this.sync();
    this.onChange('pause');
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

  /**
   * New learning rate and weight decay from the next step on, recorded in the run's
   * spec (at step 0 they are simply its settings). Without a live run to change (none
   * yet, refused, or diverged) they become the settings of the next one.
   */
  setHyper(lr, wd) {
    this.lr = lr;
    this.wd = wd;
    if (this.worker === null || this.configError !== null || this.state === 'diverged') {
      this.spec.config = { ...this.spec.config, lr, wd };
      this.spec.schedule = this.spec.schedule.filter((c) => c.kind !== 'hyper');
      this.mirror = null;
      this.onChange('hyper');
      return;
    }
    // A run being made takes it too: the worker handles messages in order.
    this.pendingChanges += 1;
    this.worker.postMessage({ type: 'hyper', lr, wd });
  }

  /** Keeps only `keep` of the training pairs from the next step on (ungrokking). */
  shrink(keep) {
    if (this.worker === null || !this.hasSession || this.state === 'diverged') return;
    this.pendingChanges += 1;
    this.worker.postMessage({ type: 'shrink', keep });
  }

  /**
   * Asks the worker (a Promise): 'csv' and 'json' resolve to the history's text,
   * 'ablate' to the ablations, 'predict' ({a, b}) to the prediction. Rejects with the
   * worker's reason, or with a StaleRequest if the run was replaced meanwhile.
   */
  request(kind, extra = {}) {
    if (this.worker === null || !this.hasSession) return Promise.reject(new Error('no run yet'));
    return new Promise((resolve, reject) => {
      this.requests[kind].push({ resolve, reject, runId: this.runId });
      this.worker.postMessage({ type: kind, ...extra });
    });
  }

  answer(msg) {
    const pending = this.requests[msg.status].shift();
    if (!pending) return;
    if (pending.runId !== this.runId) pending.reject(new StaleRequest('the run was replaced'));
    else if (msg.error !== undefined) pending.reject(new Error(msg.error));
    else pending.resolve(msg[{ csv: 'csv', json: 'json', ablate: 'ablation', predict: 'prediction' }[msg.status]]);
  }

  ingest(snapshot) {
    this.figures.ingest(snapshot);
    this.step = snapshot.step;
    this.metrics = snapshot.metrics;
    this.memorisedAt = snapshot.memorised_at ?? null;
    this.grokkedAt = snapshot.grokked_at ?? null;
    if (this.pendingChanges === 0) {
      // Else the values the reader just chose stand until the worker has applied them.
      this.lr = snapshot.lr;
      this.wd = snapshot.wd;
    }
    this.trainPairs = snapshot.train_pairs;
  }

  receive(msg) {
    if (msg.status === 'error' && msg.fatal) {
      this.state = 'error';
      this.message = msg.message;
      this.onChange('error');
      return;
    }
    if (Object.hasOwn(this.requests, msg.status)) {
      this.answer(msg);
      return;
    }
    if (msg.run !== this.runId) return;
    if (msg.status === 'changed') {
      this.pendingChanges = Math.max(0, this.pendingChanges - 1);
      if (msg.error !== undefined) this.message = msg.error;
    }
    if (msg.spec) this.mirror = msg.spec;
    if (msg.workers !== undefined) this.workersInUse = msg.workers;
    if (msg.snapshot) this.ingest(msg.snapshot);
    switch (msg.status) {
      case 'ready':
        this.hasSession = true;
        this.configError = null;
        this.sync(); // visibility may have changed while the module loaded
        break;
      case 'running':
        this.state = 'running';
        break;
      case 'snapshot':
        this.sps = msg.sps;
        this.msPerStep = msg.msPerStep ?? null;
        break;
      case 'paused':
        this.asked = false;
        if (msg.reason === 'until') {
          this.wantPlay = false;
          this.state = this.untilPauses ? 'paused' : 'finished';
        } else if (msg.reason === 'grokked') {
          // Stop when grokked: the run paused right after the step it grokked at.
          this.wantPlay = false;
          this.stoppedAtGrok = true;
          this.state = 'paused';
        } else if (msg.reason === 'failed') {
          this.wantPlay = false;
          this.message = msg.message;
          this.state = 'paused';
        } else {
          this.state = this.step === 0 ? 'idle' : 'paused';
          this.sync(); // a play sent after this pause is already on its way; harmless
        }
        break;
      case 'diverged':
        this.state = 'diverged';
        this.wantPlay = false;
        this.asked = false;
        this.message = msg.message;
        break;
      case 'error':
        if (this.hasSession) {
          this.message = msg.message; // a change refused; the run goes on
        } else {
          this.configError = msg.message;
          this.state = 'idle';
        }
        break;
      default:
        break;
    }
    this.onChange(msg.status, msg);
  }

  /** Mirrors the run onto a readout element: data-* for tests, short text for people. */
  render(el) {
    const m = this.metrics;
    writeRunData(el, this);
    const pct = (x) => `${(100 * x).toFixed(1)}%`;
    const name = this.label ? `${this.label}: ` : '';
    let text;
    if (m) text = `${name}step ${this.step.toLocaleString('en')} · train ${pct(m.train_acc)} · test ${pct(m.test_acc)} · ${this.state}`;
    else if (this.state === 'error') text = `${name}${this.message}`;
    else if (this.configError !== null) text = `${name}cannot run: ${this.configError}`;
    else text = `${name}waiting to start`;
    el.textContent = text;
  }
}
