// The article's live sections: (1) the puzzle, (3) weight decay side by side, (4) how much
// data, (5) what changes inside. Section (2), the task, is in task.js; the playground,
// hidden progress and phase diagram below them are main.js and phase.js.
//
// Each live section owns one or two LiveRuns (live-run.js: a worker each, created when
// the section first nears the viewport) and registers its canvases with the page's Board
// (figures.js), which redraws them throttled and only while on screen. An
// IntersectionObserver on the section's figure area tells its runs whether they may
// train: only what the reader can see trains, so the two cores go to the visible figure.
//
// Autoplay: the puzzle starts by itself when the page opens at the top, unless the URL
// describes a run (playground parameters), says autoplay=0, or the reader prefers reduced
// motion; the other sections start when scrolled into view (not with autoplay=0 or
// reduced motion — then the reader presses Play). A share link (`sec=<id>` plus the run
// keys, `#<id>`) reproduces one section's run: same settings, same seed, same stop step.
//
// Text: beside each figure, a readout (data-* for tests, numbers for people) and an
// aria-live summary from Rust (Figures.summary, comparison_summary, frame_summary),
// re-announced only when something notable changes (memorised, grokked, paused, done).

import { draw_comparison, comparison_summary } from './pkg/grokking.js';
import { LiveRun } from './live-run.js';
import { buildRunBar } from './run-bar.js';
import { register } from './keys.js';
import {
  DEFAULTS, copySpec, describesRun, parseLink, sectionLink, workerCount,
} from './params.js';

const $ = (id) => document.getElementById(id);

/** Steps each article run trains before it stops (a share link may say otherwise). */
const BUDGET = 3000;
/** The training fractions offered in section 4. */
const FRACS = [0.2, 0.25, 0.3, 0.4, 0.5, 0.6];

const percent = (x) => `${(100 * x).toFixed(1)}%`;

/** Rust's one-sentence summary of a run (Figures.summary), empty before it starts. */
const summaryOf = (run) => (run.metrics ? run.figures.summary() : '');

/** While a run trains, its aria-live summary is refreshed at most this often. */
const ANNOUNCE_MS = 4000;

/**
 * Sets an aria-live summary: at once when `key` (a coarse description of the state:
 * memorised, grokked, paused, done) changes or nothing is training, otherwise at most
 * every ANNOUNCE_MS, so a screen reader is not flooded while the runs train.
 */
function announce(el, text, key, running) {
  const now = performance.now();
  const last = Number(el.dataset.at ?? -Infinity);
  if (running && el.dataset.key === key && now - last < ANNOUNCE_MS) return;
  el.dataset.key = key;
  el.dataset.at = String(now);
  if (el.textContent !== text) el.textContent = text;
}

/** What must be announced at once: state, milestones, and each half-decade of steps. */
const coarse = (runs) => runs
  .map((r) => `${r.state}:${r.memorisedAt !== null}:${r.grokkedAt !== null}:${Math.floor(2 * Math.log10(r.step + 1))}`)
  .join('|');

export function setupArticle({ board, search, reducedMotion }) {
  const params = new URLSearchParams(search);
  const sec = params.get('sec');
  const link = parseLink(search);
  const runParams = !sec && describesRun(link);
  const stop = link.spec.stop_when_grokked;
  const mayAutoplay = !reducedMotion && link.autoplay;
  /** As many workers as help (one where two runs train side by side). */
  const workers = workerCount(link.workers);
  /**
   * The spec of section `id`'s run: the share link's if it is for this section, else
   * the default run with `config` changes; at most BUDGET steps unless the link says.
   */
  const specFor = (id, config = {}) => {
    const spec = sec === id ? copySpec(link.spec) : { config: { ...DEFAULTS }, schedule: [], until: null, stop_when_grokked: false };
    spec.config = { ...spec.config, ...config };
    spec.until ??= BUDGET;
    return spec;
  };

  const sections = [];

  /** Common wiring of one live section. */
  function liveSection({ id, runs, figs, pngs, link, summary, afterChange = () => {} }) {
    const root = $(id);
    const live = root.querySelector('.live');
    const registered = figs.map(([canvasId, draw]) => board.add($(canvasId), draw, $(`t-${canvasId.replace(/^fig-/, '')}`)));
    const summaryEl = $(`${id}-summary`);
    let bar = null;
    const changed = () => {
      for (const fig of registered) board.touch(fig);
      for (const run of runs) {
        const readout = $(`run-${run.id}`);
        if (readout) run.render(readout);
      }
      const running = runs.some((r) => r.state === 'running');
      const idle = runs.every((r) => r.step === 0 && r.state !== 'running' && r.state !== 'error');
      let text;
      if (!idle) text = summary();
      else if (runs[0].wantPlay) text = 'Starting: it trains while this figure is on screen.';
      else text = `Press Play to train ${runs.length > 1 ? 'these networks' : 'this network'}.`;
      announce(summaryEl, text, coarse(runs), running);
      bar?.update();
      afterChange();
    };
    for (const run of runs) {
      run.onChange = changed;
      run.stopWhenGrokked = stop;
    }
    bar = buildRunBar(root.querySelector('.run-bar'), { id, runs, pngs, link });
    register(live, bar.actions);
    changed();

    const near = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        for (const run of runs) run.ensure();
        near.disconnect();
      }
    }, { rootMargin: '400px 0px' });
    near.observe(live);
    const seen = new IntersectionObserver((entries) => {
      const visible = entries[entries.length - 1].isIntersecting;
      for (const run of runs) run.setVisible(visible);
    });
    seen.observe(live);
    const section = { id, runs, changed, bar };
    sections.push(section);
    return section;
  }

  // (1) The puzzle: the default run, on its own if the page opens plainly.
  {
    const run = new LiveRun({
      id: 'puzzle',
      label: '',
      spec: specFor('puzzle'),
      autoplay: mayAutoplay && !runParams && (sec === null || sec === 'puzzle'),
      workers,
    });
    liveSection({
      id: 'puzzle',
      runs: [run],
      figs: [['fig-puzzle', (c, s, d) => run.figures.draw_accuracy(c, s, d)]],
      pngs: [['fig-puzzle', 'Figure as']],
      link: () => sectionLink('puzzle', run.linkSpec),
      summary: () => summaryOf(run),
    });
  }

  // (3) Weight decay: two runs, same seed, decay 0 and decay 1, on shared axes.
  // Each trains on one worker: the two share the cores.
  {
    const off = new LiveRun({ id: 'decay-off', label: 'decay 0', spec: specFor('decay', { wd: 0 }), autoplay: mayAutoplay });
    const on = new LiveRun({ id: 'decay-on', label: 'decay 1', spec: specFor('decay', { wd: 1 }), autoplay: mayAutoplay });
    const compare = (metric) => (c, s, d) => draw_comparison(c, s, d, metric, off.figures, off.label, on.figures, on.label);
    liveSection({
      id: 'decay',
      runs: [off, on],
      figs: [['fig-decay-acc', compare('accuracy')], ['fig-decay-loss', compare('loss')]],
      pngs: [['fig-decay-acc', 'Accuracy'], ['fig-decay-loss', 'Loss']],
      // One link for both: the decay-1 run's, stopping where the later of the two stands.
      link: () => sectionLink('decay', { ...on.linkSpec, until: laterStop(on.linkSpec.until, off.linkSpec.until) }),
      summary: () => comparison_summary(off.figures, off.label, on.figures, on.label),
    });
  }

  // (4) How much data: one run at a chosen training fraction; finished runs are listed.
  {
    const spec = specFor('data');
    const startFrac = spec.config.frac;
    const run = new LiveRun({ id: 'data', label: '', spec, autoplay: mayAutoplay, workers });
    const choices = $('data-fracs');
    const fracs = FRACS.includes(startFrac) ? FRACS : [...FRACS, startFrac].sort((a, b) => a - b);
    const buttons = fracs.map((f) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.id = `data-frac-${String(f).replace('.', '_')}`;
      b.dataset.frac = String(f);
      b.textContent = `${Math.round(f * 100)}%`;
      b.setAttribute('aria-pressed', String(f === startFrac));
      choices.append(b);
      return b;
    });
    const results = $('data-results').querySelector('tbody');
    const rows = new Map();
    /** Lists the run in the table once it has stopped (or when it is replaced). */
    const record = (force = false) => {
      if (run.step === 0 || (!force && run.state === 'running')) return;
      let row = rows.get(run.runId);
      if (!row) {
        row = document.createElement('tr');
        rows.set(run.runId, row);
        results.prepend(row);
      }
      const cells = [percent(run.config.frac).replace('.0%', '%'), run.memorisedAt ?? '—', run.grokkedAt ?? 'not yet', run.step.toLocaleString('en')];
      row.replaceChildren(...cells.map((t) => {
        const td = document.createElement('td');
        td.textContent = String(t);
        return td;
      }));
    };
    liveSection({
      id: 'data',
      runs: [run],
      figs: [['fig-data', (c, s, d) => run.figures.draw_accuracy(c, s, d)]],
      pngs: [['fig-data', 'Figure as']],
      link: () => sectionLink('data', run.linkSpec),
      summary: () => `Training fraction ${Math.round(run.config.frac * 100)}%. ${summaryOf(run)}`,
      afterChange: () => record(),
    });
    for (const b of buttons) {
      b.addEventListener('click', () => {
        for (const o of buttons) o.setAttribute('aria-pressed', String(o === b));
        record(true);
        run.wantPlay = true;
        run.visible = true;
        run.restart({ config: { ...run.config, frac: Number(b.dataset.frac) }, schedule: [], until: BUDGET });
      });
    }
  }

  // (5) What changes inside: circles and spectrum of one run, with a history scrubber.
  {
    const run = new LiveRun({ id: 'inside', label: '', spec: specFor('inside'), autoplay: mayAutoplay, workers });
    const scrub = $('inside-scrub');
    const scrubValue = $('inside-scrub-value');
    let follow = true;
    let wantFrame = params.has('frame') && sec === 'inside' ? Number(params.get('frame')) : null;
    /** The frame shown: the scrubber's, or null for "the latest state". */
    const frame = () => {
      const n = run.figures.frame_count();
      if (n === 0) return null;
      return follow ? n - 1 : Math.min(Number(scrub.value), n - 1);
    };
    const key = () => {
      const keys = run.figures.final_keys();
      return keys.length > 0 ? keys[0] : 1;
    };
    const drawCircle = (c, s, d) => {
      const i = frame();
      if (i === null) return run.figures.draw_circle(c, 0, s, d);
      return run.figures.draw_circle_frame(i, key(), c, s, d);
    };
    const drawSpectrum = (c, s, d) => {
      const i = frame();
      if (i === null) return run.figures.draw_spectrum(c, s, d);
      return run.figures.draw_spectrum_frame(i, c, s, d, run.figures.final_keys());
    };
    const section = liveSection({
      id: 'inside',
      runs: [run],
      figs: [['fig-inside-circle', drawCircle], ['fig-inside-spectrum', drawSpectrum]],
      pngs: [['fig-inside-circle', 'Circle'], ['fig-inside-spectrum', 'Spectrum']],
      link: () => {
        const i = frame();
        const extra = i !== null && !follow ? { frame: run.figures.frame_step(i) } : {};
        return sectionLink('inside', run.linkSpec, extra);
      },
      summary: () => {
        const i = frame();
        if (i === null) return summaryOf(run);
        // Following the run: its accuracy, then what the embedding looks like now.
        return follow ? `${summaryOf(run)} ${run.figures.frame_summary(i)}` : run.figures.frame_summary(i);
      },
      afterChange: () => {
        const n = run.figures.frame_count();
        scrub.disabled = n < 2;
        scrub.max = String(Math.max(0, n - 1));
        if (wantFrame !== null && run.state === 'finished' && n > 0) {
          const i = run.figures.frame_index_at_or_before(wantFrame);
          follow = i === n - 1;
          scrub.value = String(i);
          wantFrame = null;
        }
        if (follow) scrub.value = String(Math.max(0, n - 1));
        const i = frame();
        scrubValue.textContent = i === null ? 'latest' : `step ${run.figures.frame_step(i).toLocaleString('en')}${follow ? ' (latest)' : ''}`;
        scrub.setAttribute('aria-valuetext', scrubValue.textContent);
      },
    });
    scrub.addEventListener('input', () => {
      follow = Number(scrub.value) >= Number(scrub.max);
      // A reader moving through the history wants to hear where they are, at once.
      $('inside-summary').dataset.key = '';
      section.changed();
    });
  }

  return sections;
}

/** The later of two runs' pause steps (null, no pause, if either has none). */
function laterStop(a, b) {
  return a === null || b === null ? null : Math.max(a, b);
}
