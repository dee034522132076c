// End-to-end tests of the two sections below the playground: "Hidden progress" (the
// progress figure, the ablations, "ask the network") and "Phase diagram" (a grid of runs
// trained in parallel phase workers).
//
// Small tasks keep them quick on a two-core machine: p = 23 with 90% of pairs groks in
// ~250 steps, and a 3 × 3 grid at p = 23 with a 1000-step budget takes a few seconds.
// The page exposes what it shows as data attributes: #phase (data-state, data-done,
// data-total, data-workers), each cell button of #phase-table (data-wd, data-frac,
// data-phase, data-fit, data-gen), #ablation (data-step, data-real-test, data-keep-test,
// data-drop-test, data-drop-train), #ask-result (data-a, data-b, data-truth, data-top,
// data-in-train) and #progress-keys (data-keys, data-points).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { launch, openPage, readMetrics, waitForMetric } from './run.mjs';

const VIEWPORT = { width: 1280, height: 1000 };
/** Saves a PNG of one element to target/screenshots/NAME.png. */
async function shoot(page, selector, name) {
  const dir = fileURLToPath(new URL('../../target/screenshots/', import.meta.url));
  await mkdir(dir, { recursive: true });
  await page.locator(selector).screenshot({ path: `${dir}${name}.png` });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function open(query) {
  // The playground trains only while on screen: open the page at it.
  const opened = await openPage(browser, query.includes('#') ? query : `${query}#playground`);
  await opened.page.setViewportSize(VIEWPORT);
  return opened;
}

async function finish(opened) {
  assert.deepEqual(opened.problems(), [], 'console errors, page errors or bad requests');
  await opened.page.close();
}

/** Polls `read()` until `predicate` holds; throws with the last value after timeoutMs. */
async function until(read, predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await read();
    if (predicate(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await sleep(100);
  }
}

const phaseState = (page) => page.evaluate(() => ({ ...document.querySelector('#phase').dataset }));
const cells = (page) => page.evaluate(() => [...document.querySelectorAll('#phase-table button.cell')]
  .map((b) => ({ ...b.dataset, wd: Number(b.dataset.wd), frac: Number(b.dataset.frac) })));

test('a small phase diagram fills in from two workers and loads a cell', { timeout: 90_000 }, async () => {
  const t0 = Date.now();
  const opened = await open('?p=23&frac=0.9&autoplay=0&phase-p=23&phase-wd=0,1,3&phase-frac=0.5,0.7,0.9&phase-steps=1000&phase-workers=2&phase-run=1');
  const { page } = opened;
  await page.locator('#phase-diagram').scrollIntoViewIfNeeded();

  // Cells fill in progressively: at some point some but not all are done.
  const partial = await until(() => phaseState(page), (s) => Number(s.done) > 0, 30_000, 'a first cell');
  assert.equal(partial.total, '9');
  assert.equal(partial.workers, '2');
  const done = await until(() => phaseState(page), (s) => s.state === 'done', 60_000, 'the grid');
  assert.equal(done.done, '9');
  const list = await cells(page);
  assert.equal(list.length, 9);
  const phases = new Set(['confusion', 'memorisation', 'grokking', 'comprehension']);
  for (const c of list) assert.ok(phases.has(c.phase), `cell ${c.wd}/${c.frac}: ${c.phase}`);
  // No weight decay: memorises, never generalises (DESIGN.md).
  for (const c of list.filter((x) => x.wd === 0)) {
    assert.equal(c.phase, 'memorisation', `wd 0, frac ${c.frac}`);
    assert.equal(c.gen, '');
  }
  // Decay on, most of the data: generalises.
  const best = list.find((x) => x.wd === 1 && x.frac === 0.9);
  assert.ok(['grokking', 'comprehension'].includes(best.phase), `wd 1, frac 0.9: ${best.phase}`);
  assert.ok(Number(best.gen) > 0 && Number(best.gen) < 1000);
  assert.match(await page.textContent('#t-phase'), /drawn in/);
  assert.match(await page.textContent('#phase-eta'), /All 9 cells done/);
  console.log(`# phase grid 3×3 at p = 23, budget 1000, 2 workers: ${await page.textContent('#phase-eta')} (${await page.textContent('#phase-speed')})`);
  console.log(`# cells: ${list.map((c) => `${c.wd}/${c.frac}=${c.phase}${c.gen ? `@${c.gen}` : ''}`).join(' ')}`);
  await shoot(page, '#phase-diagram', 'phase-grid');

  // Clicking a finished cell on the canvas loads its run into the playground.
  const box = await page.locator('#fig-phase').boundingBox();
  // The top-right cell (wd 3, frac 0.9): inside the grid, away from the labels.
  await page.mouse.click(box.x + box.width - 40, box.y + 90);
  await waitForMetric(page, (m) => m.state === 'running', 10_000);
  const search = await page.evaluate(() => location.search);
  assert.match(search, /[?&]p=23&/);
  assert.match(search, /[?&]frac=0\.9&/);
  assert.match(search, /[?&]wd=3&/);

  // Keyboard: the same cells are buttons in the table.
  await page.click('.phase-details summary');
  const button = page.locator('#phase-table button[data-wd="0"][data-frac="0.5"]');
  await button.focus();
  await page.keyboard.press('Enter');
  await until(() => page.evaluate(() => location.search), (s) => /[?&]wd=0&/.test(s) && /[?&]frac=0\.5&/.test(s), 10_000, 'the wd 0 run');

  // Cancel is prompt: on a long grid, every worker lets go of its cell part-way through
  // its budget (between two slices, not at the end of the cell), no cell is left
  // running, and once the workers have said so the cells stop changing.
  await page.selectOption('#phase-steps', '10000');
  await page.click('#phase-start');
  await until(() => phaseState(page), (s) => s.state === 'running', 5_000, 'a new grid');
  // The time left is estimated once this grid's cells have trained some steps.
  await until(() => page.textContent('#phase-eta'), (t) => /left \(at most/.test(t), 30_000, 'the cells to train');
  await page.click('#phase-cancel');
  const cancelled = await phaseState(page);
  assert.equal(cancelled.state, 'cancelled');
  const atCancel = await cells(page);
  assert.equal(atCancel.filter((c) => c.phase === 'running').length, 0, 'no cell shown running');
  const acked = await until(() => phaseState(page), (s) => Number(s.cancelAcks) === Number(s.workers), 30_000, 'every worker to drop its cell');
  const stoppedAt = acked.cancelledAt.split(',').filter(Boolean).map(Number);
  assert.ok(stoppedAt.length > 0, 'a cell was being trained when Cancel came');
  for (const step of stoppedAt) assert.ok(step > 0 && step < 10_000, `a cell dropped at step ${step} of its 10,000`);
  assert.deepEqual(await cells(page), atCancel, 'the cells did not change after Cancel');
  assert.equal((await phaseState(page)).done, cancelled.done);
  console.log(`# phase test took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await finish(opened);
});

test('hidden progress: the figure, the ablations and "ask the network" after grokking', { timeout: 90_000 }, async () => {
  const t0 = Date.now();
  const opened = await open('?p=23&frac=0.9');
  const { page } = opened;
  const m = await waitForMetric(page, (x) => x.grokkedAt !== '' && x.step >= 600, 60_000);
  // Pause, so the ablation and the answers are of one step.
  await page.click('#play');
  await waitForMetric(page, (x) => x.state === 'paused', 10_000);
  await page.locator('#hidden-progress').scrollIntoViewIfNeeded();

  // The progress figure has points and draws.
  const keys = await until(() => page.evaluate(() => ({ ...document.querySelector('#progress-keys').dataset, text: document.querySelector('#progress-keys').textContent })),
    (k) => Number(k.points) >= 20, 10_000, 'progress points');
  assert.ok(Number(keys.keys) >= 1 && Number(keys.keys) <= 11, `key count ${keys.keys}`);
  assert.match(keys.text, /key frequenc(y holds|ies hold) [\d.]+% of the embedding's energy/);
  await until(() => page.textContent('#t-progress'), (t) => /drawn in/.test(t), 5_000, 'the progress figure');
  assert.equal(await page.isHidden('#progress-note'), true, 'addition has the measures');

  // Ablations: after grokking, the key frequencies alone answer; without them, nothing.
  await page.click('#ablate');
  const ab = await until(() => page.evaluate(() => ({ ...document.querySelector('#ablation').dataset })), (a) => a.step !== '', 10_000, 'the ablation');
  const paused = await readMetrics(page);
  assert.equal(Number(ab.step), paused.step, 'exact for the current step');
  assert.ok(Number(ab.realTest) >= 0.95, `real test ${ab.realTest}`);
  assert.ok(Number(ab.keepTest) >= 0.9, `keep-only test ${ab.keepTest}`);
  assert.ok(Number(ab.dropTest) <= 0.3, `removed test ${ab.dropTest}`);
  assert.match(await page.textContent('#ab-keep-test'), /^\d+\.\d%$/);

  // Ask the network: validation first, then pairs until a test pair is found.
  await page.fill('#ask-a', '23');
  await page.click('#ask-go');
  assert.match(await page.textContent('#ask-error'), /from 0 to 22/);
  let answer = null;
  for (let a = 1; a < 23 && answer === null; a++) {
    const b = (7 * a + 3) % 23;
    await page.fill('#ask-a', String(a));
    await page.fill('#ask-b', String(b));
    await page.click('#ask-go');
    const r = await until(() => page.evaluate(() => ({ ...document.querySelector('#ask-result').dataset })),
      (x) => x.a === String(a) && x.b === String(b), 5_000, 'an answer');
    assert.equal(Number(r.truth), (a + b) % 23);
    if (r.inTrain === 'false') answer = r;
  }
  assert.ok(answer !== null, 'found a test pair');
  assert.equal(answer.top, answer.truth, `a test pair (${answer.a}, ${answer.b}) answered correctly after grokking`);
  assert.equal(await page.locator('#ask-result .guesses li').count(), 5);
  assert.equal(await page.textContent('#ask-error'), '');
  await shoot(page, '#hidden-progress', 'hidden-progress');
  console.log(`# grokked at ${m.grokkedAt}; ${keys.text} Ablation at step ${ab.step}: real ${ab.realTest}, keep ${ab.keepTest}, drop ${ab.dropTest}`);
  await finish(opened);

  // An operation without the measures: the figure says why.
  const mul = await open('?p=23&op=mul&autoplay=0');
  await waitForMetric(mul.page, (x) => x.state === 'idle', 10_000);
  await mul.page.click('#step');
  await waitForMetric(mul.page, (x) => x.step === 1, 10_000);
  await until(() => mul.page.isVisible('#progress-note'), (v) => v, 5_000, 'the note');
  assert.match(await mul.page.textContent('#progress-note'), /not defined/);
  await mul.page.click('#ablate');
  await until(() => mul.page.textContent('#ablation-note'), (t) => /no single Fourier answer variable/.test(t), 5_000, 'the ablation note');
  assert.equal(await mul.page.textContent('#ab-keep-test'), 'n/a');
  console.log(`# hidden-progress test took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await finish(mul);
});
