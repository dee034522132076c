// Browser speed of the page's real training path (worker(s) + wasm), in headless Chromium.
//
// For each run and each mode: open the page with autoplay=0 (plus the mode's query),
// install a PerformanceObserver for long tasks (> 50 ms) on the main thread, press Play,
// and poll #metrics until test accuracy reaches 95%. Modes alternate run by run (A B A B
// …) so a noisy, shared machine slows both alike. Prints one JSON line per run:
//   {"mode", "run", "seconds_to_test_95", "step_at_test_95", "steps_per_second",
//    "workers", "long_tasks", "longest_task_ms"}
// Modes: "page" (the page as a reader gets it: as many workers as help, workerCount() in
// www/params.js — on two cores, two) and "wN" (workers=N in the link: N workers share
// each step, N = 1, 2, 4 or 8, whatever the number of cores); "tf" and "tf-wN" the same
// for the transformer preset (p 97, d 32, 4 heads, MLP 128, lr 0.003, wd 1, 40%; seed 0).
//
// usage: BASE_URL=http://127.0.0.1:PORT/ node bench/browser.mjs [runs] [mode…]
//   e.g. node bench/browser.mjs 3 w1 w2 w4   (default: page w1)
// env: VIEW_H viewport height in CSS pixels (default 1600: the playground's figures on
//      screen and drawn; 300: only its controls, so the main thread draws nothing)
//      FIRST_RUN number of the first run in the output (scripts/bench calls this once a
//      round)
// (scripts/bench serves the page and runs this for you.)

import { launch } from '../tests/e2e/run.mjs';
import { openPlayground, playToGrokking } from './page.mjs';

/** The transformer preset (Config::transformer_preset) as link parameters, seed 0. */
const TRANSFORMER = '&model=transformer&d=32&heads=4&hidden=128&lr=0.003&wd=1&frac=0.4';
const runs = Number(process.argv[2] ?? 3);
const modes = process.argv.length > 3 ? process.argv.slice(3) : ['page', 'w1'];
/** The query a mode adds to the page's URL. */
function query(mode) {
  if (mode === 'page') return '';
  if (mode === 'tf') return TRANSFORMER;
  const m = /^(tf-)?w([1248])$/.exec(mode);
  if (!m) throw new Error(`unknown mode ${mode}; use page, w1, w2, w4, w8, tf or tf-w1 …`);
  return `${m[1] ? TRANSFORMER : ''}&workers=${m[2]}`;
}
for (const mode of modes) query(mode);

async function once(browser, mode, run) {
  const { page } = await openPlayground(browser, query(mode));
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
    }).observe({ type: 'longtask', buffered: false });
  });
  const { seconds, metrics: m } = await playToGrokking(page);
  const longTasks = await page.evaluate(() => window.__longTasks);
  console.log(JSON.stringify({
    mode,
    run,
    seconds_to_test_95: seconds,
    step_at_test_95: m.step,
    steps_per_second: m.step / seconds,
    workers: m.workers ?? null,
    long_tasks: longTasks.length,
    longest_task_ms: longTasks.length ? Math.max(...longTasks) : 0,
  }));
  await page.close();
}

const browser = await launch();
try {
  const first = Number(process.env.FIRST_RUN ?? 0);
  for (let run = first; run < first + runs; run++) {
    for (const mode of modes) await once(browser, mode, run);
  }
} finally {
  await browser.close();
}
