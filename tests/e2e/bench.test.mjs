// End-to-end test of the page's speed readout (?bench=1, www/bench-panel.js): opened
// with bench=1, the playground shows a small panel; after Play it reads a live steps/s
// and compute per step (from the worker's Rust Pacer), the workers in use (as the run
// says), the browser's core count, the wasm build that loaded (as html[data-wasm]
// says) and the longest main-thread task seen while training, which must agree with a
// 'longtask' PerformanceObserver of the test's own.
//
// "No main-thread task over 50 ms while training" is a speed goal, so like the others it
// is measured and printed (here, and per run by scripts/bench), not asserted: a long
// task is measured in wall time, and on this shared 2-core machine the same page shows
// none in most runs and a few of 50–90 ms in others — with one worker as with two
// (2026-11-30), so it is the machine's other processes stretching the page's tasks, not
// the page. LONG_TASKS=assert asserts it, for a quiet machine.
//
// Run by scripts/test against the page it serves (BASE_URL), or by hand:
//   BASE_URL=http://127.0.0.1:8000/ node --test tests/e2e/bench.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpus, loadavg } from 'node:os';
import { launch, openPage, readMetrics, waitForMetric } from './run.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('bench=1 shows the run\'s speed, workers, cores, wasm build and long tasks', { timeout: 120_000 }, async () => {
  const opened = await openPage(browser, '?autoplay=0&bench=1#playground');
  const { page } = opened;
  await page.waitForSelector('#bench', { timeout: 30_000 });
  await waitForMetric(page, (m) => m.state === 'idle', 30_000);
  const before = await readMetrics(page, '#bench');
  assert.equal(before.sps, '', 'no speed before the run trains');
  assert.ok(['plain', 'relaxed'].includes(before.wasm), `wasm build: ${before.wasm}`);
  const html = await page.evaluate(() => ({
    wasm: document.documentElement.dataset.wasm,
    cores: navigator.hardwareConcurrency,
    longtask: (PerformanceObserver.supportedEntryTypes ?? []).includes('longtask'),
  }));
  assert.equal(before.wasm, html.wasm, 'the panel names the build html[data-wasm] names');
  assert.equal(before.cores, html.cores, 'the panel shows navigator.hardwareConcurrency');
  assert.equal(html.longtask, true, 'Chromium reports long tasks');
  assert.equal(before.observer, 'longtask');

  // The test's own observer, from before Play to the end of the measured stretch.
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: false });
  });
  await page.click('#play');
  const started = await page.evaluate(() => performance.now());
  // Train for a while (past the first recorded points and figures' redraws).
  const reached = await waitForMetric(page, (m) => m.state === 'running' && m.step >= 400, 90_000);
  await sleep(1500);
  const panel = await readMetrics(page, '#bench');
  const ended = await page.evaluate(() => performance.now());
  const tasks = await page.evaluate(() => window.__longTasks);
  const metrics = await readMetrics(page);
  await page.click('#play'); // pause

  assert.equal(panel.state, 'running');
  assert.ok(panel.sps > 0 && panel.sps < 100_000, `steps/s: ${panel.sps}`);
  assert.ok(panel.msPerStep > 0 && panel.msPerStep < 1000, `ms per step: ${panel.msPerStep}`);
  assert.equal(panel.workers, metrics.workers, 'the panel shows the workers the run uses');
  assert.ok([1, 2, 4, 8].includes(panel.workers), `workers: ${panel.workers}`);
  const text = await page.textContent('#bench');
  assert.match(text, /steps\/s/);
  assert.match(text, new RegExp(`${html.wasm}`));
  // A rough check that the readout is the run's speed: the steps taken over the time
  // they took, within a factor of three (the readout is over the last second only).
  const average = (metrics.step * 1000) / (ended - started);
  assert.ok(panel.sps > average / 3 && panel.sps < average * 3,
    `readout ${panel.sps.toFixed(0)} steps/s against ${average.toFixed(0)} on average (step ${reached.step})`);

  const during = tasks.filter((t) => t.start >= started);
  console.log(`# ${metrics.step} steps in ${((ended - started) / 1000).toFixed(1)} s, readout ${panel.sps.toFixed(0)} steps/s, ` +
    `${panel.workers} worker(s), ${html.cores} cores, ${html.wasm}; long tasks while training: ` +
    `${during.length ? during.map((t) => `${t.ms.toFixed(0)} ms`).join(', ') : 'none'}; panel: ${panel.longTasks}, longest ${panel.longestTask} ms`);
  // The panel counts from Play; the test's observer from just before it, and it was read
  // last: it has seen every task the panel counts.
  assert.ok(panel.longTasks <= tasks.length, `the panel counts ${panel.longTasks} long tasks, the observer saw ${tasks.length}`);
  const load = loadavg()[0];
  console.log(`# load average ${load.toFixed(1)} on ${cpus().length} cores`);
  if (process.env.LONG_TASKS === 'assert') {
    assert.deepEqual(during, [], `no main-thread task over 50 ms while training (load average ${load.toFixed(1)})`);
  }
  assert.deepEqual(opened.problems(), []);
});
