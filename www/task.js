// Section 2, the task: modular arithmetic as a clock, and the table of all pairs with the
// training set marked. Nothing trains here; Rust draws both figures (draw_task_clock,
// draw_task_pairs), finds the pair under a click (task_pair_at) and writes the sentence
// beside them (task_summary). This module wires the settings, the a/b fields, clicks and
// arrow keys on the table, and the share link.
//
// URL (a share link): sec=task with p, op, frac, seed and a, b.

import { primes, draw_task_clock, draw_task_pairs, task_pair_at, task_summary } from './pkg/grokking.js';
import { DEFAULTS, LIMITS, OPS, defaultSpec, parseLink, sectionLink } from './params.js';
import { wirePngButtons } from './export.js';

const $ = (id) => document.getElementById(id);

/** The moduli offered: the primes up to 97 from 5 (a table of 3 × 3 shows too little). */
const P_MENU = [5, 97];

export function setupTask({ board, search }) {
  const params = new URLSearchParams(search);
  const linked = params.get('sec') === 'task';
  const config = { ...DEFAULTS, p: 23, ...(linked ? parseLink(search).spec.config : {}) };
  const ui = {
    p: $('task-p'), op: $('task-op'), frac: $('task-frac'), fracValue: $('task-frac-value'),
    a: $('task-a'), b: $('task-b'), seed: $('task-seed'), link: $('task-link'),
    summary: $('task-summary'), pairs: $('fig-pairs'),
  };
  const choices = [...new Set([...primes(...P_MENU), config.p])].sort((x, y) => x - y);
  for (const p of choices) ui.p.append(new Option(String(p), String(p)));
  for (const o of OPS) ui.op.append(new Option(`(${o.label}) mod p`, o.name));
  ui.frac.min = String(LIMITS.frac[0]);
  ui.frac.max = String(LIMITS.frac[1]);
  let a = linked && params.has('a') ? Number(params.get('a')) : 9;
  let b = linked && params.has('b') ? Number(params.get('b')) : 17;

  const clampPair = () => {
    const max = config.p - 1;
    a = Number.isInteger(a) ? Math.min(max, Math.max(0, a)) : 0;
    b = Number.isInteger(b) ? Math.min(max, Math.max(0, b)) : 0;
    if (config.op === 'div' && b === 0) b = 1;
  };

  const clock = board.add($('fig-clock'), (c, s, d) => {
    draw_task_clock(c, s, d, config.p, config.op, a, b);
  }, $('t-clock'));
  const pairs = board.add(ui.pairs, (c, s, d) => {
    draw_task_pairs(c, s, d, { ...config }, a, b);
  }, $('t-pairs'));

  function show() {
    clampPair();
    ui.p.value = String(config.p);
    ui.op.value = config.op;
    ui.frac.value = String(config.frac);
    ui.fracValue.textContent = config.frac.toFixed(2);
    ui.seed.value = String(config.seed);
    for (const input of [ui.a, ui.b]) input.max = String(config.p - 1);
    ui.a.value = String(a);
    ui.b.value = String(b);
    let sentence;
    try {
      sentence = task_summary({ ...config }, a, b);
    } catch (err) {
      sentence = err.message;
    }
    ui.summary.textContent = `With p = ${config.p}, a = ${a}, b = ${b}: ${sentence}`;
    ui.link.dataset.href = sectionLink('task', { ...defaultSpec(), config }, { a, b });
    board.touch(clock);
    board.touch(pairs);
  }

  ui.p.addEventListener('change', () => { config.p = Number(ui.p.value); show(); });
  ui.op.addEventListener('change', () => {
    config.op = ui.op.value;
    // Division needs a prime modulus; every menu entry here is prime.
    show();
  });
  ui.frac.addEventListener('input', () => { config.frac = Number(ui.frac.value); show(); });
  ui.seed.addEventListener('change', () => {
    const s = Math.round(Number(ui.seed.value));
    config.seed = Number.isFinite(s) && s >= 0 ? s : 0;
    show();
  });
  ui.a.addEventListener('change', () => { a = Math.round(Number(ui.a.value)); show(); });
  ui.b.addEventListener('change', () => { b = Math.round(Number(ui.b.value)); show(); });

  // Pick a pair by clicking the table, or with the arrow keys while it has the focus.
  ui.pairs.addEventListener('click', (event) => {
    // The layout is the drawing's own (Rust), in the canvas's pixels: convert the click
    // from CSS pixels by the canvas's pixels per CSS pixel (the device-pixel ratio,
    // which browser zoom changes too). The drawing scale is not that ratio: it also
    // holds the page's text zoom (presenter mode).
    const rect = ui.pairs.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return;
    const x = (event.clientX - rect.left) * (ui.pairs.width / rect.width);
    const y = (event.clientY - rect.top) * (ui.pairs.height / rect.height);
    const hit = task_pair_at(ui.pairs.width, ui.pairs.height, board.scaleOf(ui.pairs), config.p, x, y);
    if (hit) {
      [a, b] = [hit[0], hit[1]];
      show();
    }
  });
  ui.pairs.addEventListener('keydown', (event) => {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const move = moves[event.key];
    if (!move) return;
    a = (a + move[0] + config.p) % config.p;
    b = (b + move[1] + config.p) % config.p;
    show();
    event.preventDefault();
  });

  ui.link.addEventListener('click', async () => {
    const url = ui.link.dataset.href;
    try {
      await navigator.clipboard.writeText(url);
      ui.link.textContent = 'Link copied';
    } catch {
      history.replaceState(null, '', url);
      ui.link.textContent = 'Link is in the address bar';
    }
    setTimeout(() => { ui.link.textContent = 'Copy link to this'; }, 3000);
  });
  wirePngButtons($('task'));
  show();
}
