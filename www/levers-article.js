// Section 6 of the article, "What decides when it groks": six live figures, one per
// lever of the research, each a block of its own (#lever-norm, #lever-init, #lever-optim,
// #lever-grokfast, #lever-ungrok, #lever-path) wired by article.js's liveSection, so each
// trains when scrolled into view, pauses when scrolled away and has its own share link
// (`sec=<block id>`).
//
//   lever-norm      weight decay 1 beside weight decay 0 with the norm held fixed
//                   (Omnigrok), their accuracy and their paths in the norm–test-loss plane
//   lever-init      initialisation scale 1 beside 3
//   lever-optim     Adam with coupled L2 beside minibatches
//   lever-grokfast  the default run beside the same run with Grokfast
//   lever-ungrok    the default run, cut at CUT_AT to a chosen share of its training pairs
//   lever-path      the run's path through weight space and the embedding's effective
//                   dimension
//
// The levers' starting values (the radius, Grokfast's α and λ, the minibatch) come from
// Rust (lever_defaults); the other numbers below are the article's choice of runs, the
// same runs scripts/facts measures for the prose.

import {
  draw_comparison, draw_norm_loss_comparison, comparison_summary, lever_defaults,
} from './pkg/grokking.js';
import { LiveRun } from './live-run.js';

const $ = (id) => document.getElementById(id);

/** The larger initialisation compared with the default (scripts/facts: SCALES). */
const LARGE_INIT = 3;
/** Adam with coupled L2: the decay coefficient (scripts/facts: adam_l2). */
const L2_DECAY = 1e-3;
/** Grokfast groks later here than the plain run: its runs get more steps. */
const GROKFAST_BUDGET = 4000;
/** Ungrokking: the step of the cut, the steps after it, the shares offered (SHRINK_AT,
 *  SHRINK_FOR, KEEPS in scripts/facts) and the one shown first. */
const CUT_AT = 1500;
const CUT_FOR = 1000;
const KEEPS = [0.8, 0.5, 0.3, 0.2];
const FIRST_KEEP = 0.2;

/**
 * Wires the section. From article.js:
 *   liveSection  its common wiring of a live block ({id, runs, figs, pngs, link, summary,
 *                afterChange})
 *   specFor      (id, config) => the block's run spec (a share link's, if it is for it)
 *   sec          the block a share link is for (or null)
 *   mayAutoplay  whether figures start by themselves when seen
 *   laterStop    (a, b) => the later of two pause steps
 *   sectionLink  (id, spec, extra) => a share link to a block's run
 */
export function setupLeverSections({ liveSection, specFor, sec, mayAutoplay, laterStop, sectionLink }) {
  const starts = lever_defaults();

  /** A run of block `id`: `config` changes on the default run, unless the link is for the
   *  block and this is its subject (whose settings the link then carries as they are). */
  const make = (id, runId, label, config, { subject = false, until = null, schedule = null } = {}) => {
    const fromLink = sec === id;
    const spec = specFor(id, fromLink && subject ? {} : config);
    if (!fromLink) {
      if (until !== null) spec.until = until;
      if (schedule !== null) spec.schedule = schedule;
    }
    return new LiveRun({ id: runId, label, spec, autoplay: mayAutoplay });
  };

  /** Two runs on shared axes: accuracy, and optionally the norm–loss plane. */
  const pair = (id, a, b, { normLoss = false } = {}) => {
    const compare = (c, s, d) => draw_comparison(c, s, d, 'accuracy', a.figures, a.label, b.figures, b.label);
    const figs = normLoss
      ? [[`fig-${id}-acc`, compare], [`fig-${id}-path`, (c, s, d) => draw_norm_loss_comparison(c, s, d, a.figures, a.label, b.figures, b.label)]]
      : [[`fig-${id}`, compare]];
    liveSection({
      id,
      runs: [a, b],
      figs,
      pngs: normLoss ? [[`fig-${id}-acc`, 'Accuracy'], [`fig-${id}-path`, 'Norm–loss']] : [[`fig-${id}`, 'Figure as']],
      // One link for both: the second (the lever's) run, to where the later one stands.
      link: () => sectionLink(id, { ...b.linkSpec, until: laterStop(a.linkSpec.until, b.linkSpec.until) }),
      summary: () => comparison_summary(a.figures, a.label, b.figures, b.label),
    });
  };

  // (1) The weight norm, not the decay: decay 1 beside decay 0 at a fixed radius.
  {
    const r = starts.fix_norm;
    const decay = make('lever-norm', 'norm-decay', 'decay 1', { wd: 1, fix_norm: null });
    const fixed = make('lever-norm', 'norm-fixed', `decay 0, norm ${r}`, { wd: 0, fix_norm: r }, { subject: true });
    pair('lever-norm', decay, fixed, { normLoss: true });
  }

  // (2) Initialisation scale.
  {
    const small = make('lever-init', 'init-1', 'scale 1', { init_scale: 1 });
    const large = make('lever-init', 'init-3', `scale ${LARGE_INIT}`, { init_scale: LARGE_INIT }, { subject: true });
    pair('lever-init', small, large);
  }

  // (3) Optimiser and batch: Adam + coupled L2 beside minibatches (each otherwise default).
  {
    const l2 = make('lever-optim', 'optim-l2', `Adam + L2 ${L2_DECAY}`, { optimizer: 'adam-l2', wd: L2_DECAY, batch: 0 });
    const batch = make('lever-optim', 'optim-batch', `batch ${starts.batch}`, { optimizer: 'adamw', wd: 1, batch: starts.batch }, { subject: true });
    pair('lever-optim', l2, batch);
  }

  // (4) Grokfast against the same run without it.
  {
    const g = starts.grokfast;
    const off = make('lever-grokfast', 'gf-off', 'plain', { grokfast: null }, { until: GROKFAST_BUDGET });
    const on = make('lever-grokfast', 'gf-on', `Grokfast ${g.alpha}, ${g.lambda}`, { grokfast: { ...g } }, { subject: true, until: GROKFAST_BUDGET });
    pair('lever-grokfast', off, on);
  }

  // (5) Ungrokking: the default run, its training set cut at CUT_AT.
  {
    const cut = (keep) => [{ step: CUT_AT, kind: 'shrink', keep }];
    const run = make('lever-ungrok', 'ungrok', '', {}, { subject: true, until: CUT_AT + CUT_FOR, schedule: cut(FIRST_KEEP) });
    const keepOf = (r) => r.linkSpec.schedule.find((c) => c.kind === 'shrink')?.keep ?? null;
    const startKeep = keepOf(run);
    const choices = $('ungrok-keeps');
    const keeps = startKeep === null || KEEPS.includes(startKeep) ? KEEPS : [...KEEPS, startKeep].sort((a, b) => b - a);
    const buttons = keeps.map((k) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.id = `ungrok-keep-${String(k).replace('.', '_')}`;
      b.dataset.keep = String(k);
      b.textContent = `${Math.round(k * 100)}%`;
      b.setAttribute('aria-pressed', String(k === startKeep));
      choices.append(b);
      return b;
    });
    liveSection({
      id: 'lever-ungrok',
      runs: [run],
      figs: [['fig-lever-ungrok', (c, s, d) => run.figures.draw_accuracy(c, s, d)]],
      pngs: [['fig-lever-ungrok', 'Figure as']],
      link: () => sectionLink('lever-ungrok', run.linkSpec),
      summary: () => {
        const keep = keepOf(run);
        const head = keep === null ? '' : `Keeping ${Math.round(keep * 100)}% of the training pairs from step ${CUT_AT.toLocaleString('en')}. `;
        return run.metrics ? `${head}${run.figures.summary()}` : head;
      },
    });
    for (const b of buttons) {
      b.addEventListener('click', () => {
        for (const o of buttons) o.setAttribute('aria-pressed', String(o === b));
        run.wantPlay = true;
        run.visible = true;
        run.restart({ config: { ...run.config }, schedule: cut(Number(b.dataset.keep)), until: CUT_AT + CUT_FOR });
      });
    }
  }

  // (6) The path through weight space and the embedding's effective dimension.
  {
    const run = make('lever-path', 'path', '', {}, { subject: true });
    const note = $('lever-path-note');
    liveSection({
      id: 'lever-path',
      runs: [run],
      figs: [
        ['fig-lever-path', (c, s, d) => run.figures.draw_weight_path(c, s, d)],
        ['fig-lever-dim', (c, s, d) => run.figures.draw_effective_dim(c, s, d)],
      ],
      pngs: [['fig-lever-path', 'Path'], ['fig-lever-dim', 'Dimension']],
      link: () => sectionLink('lever-path', run.linkSpec),
      summary: () => (run.metrics ? run.figures.summary() : ''),
      afterChange: () => {
        const dim = run.figures.effective_dim();
        const explained = run.figures.path_explained();
        const parts = [];
        if (explained !== undefined) parts.push(`The plane shows ${(100 * (explained[0] + explained[1])).toFixed(0)}% of the path's movement.`);
        if (dim !== undefined) parts.push(`Effective dimension now ${dim.toFixed(1)}.`);
        note.textContent = parts.join(' ');
        note.dataset.dim = dim === undefined ? '' : String(dim);
      },
    });
  }
}
