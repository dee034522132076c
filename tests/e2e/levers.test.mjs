// End-to-end tests of the levers of the research (issue 14): the playground's controls
// (initialisation scale, fixed weight norm, optimiser, batch, Grokfast) move the run the
// way `grok train` says, bad values are brought into range with a notice, a share link
// with levers set replays on the command line; section 6 ("What decides when it groks")
// trains each figure when it is scrolled into view; the phase diagram greets the reader
// with the precomputed default diagram and takes any two axes.
//
// Screenshots (target/screenshots/): levers-playground-{desktop,phone}-{light,dark}.png,
// levers-section-{desktop,phone}-{light,dark}.png (the first block), levers-<block>.png
// (each block's figures, early in its run), levers-phase.png.
//
// Runtime on a busy two-core machine (2026-11-30): about 6 minutes, most of it the
// screenshots (four page loads training to step 300) and the replay on the CLI.
//
// Needs target/release/grok for the replay (scripts/test builds it); by hand:
//   BASE_URL=http://127.0.0.1:8000/ node --test tests/e2e/levers.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { launch, openPage, readMetrics, waitForMetric, screenshotOf } from './run.mjs';

const GROK = fileURLToPath(new URL('../../target/release/grok', import.meta.url));
/** How far the page's accuracies may be from the CLI's (builds differ in rounding). */
const TOLERANCE = 0.02;
const DESKTOP = { width: 1280, height: 1000 };
const PHONE = { width: 375, height: 800 };
const BLOCKS = {
  'lever-norm': ['norm-decay', 'norm-fixed'],
  'lever-init': ['init-1', 'init-3'],
  'lever-optim': ['optim-l2', 'optim-batch'],
  'lever-grokfast': ['gf-off', 'gf-on'],
  'lever-ungrok': ['ungrok'],
  'lever-path': ['path'],
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function open(query, viewport = DESKTOP, contextOptions = null) {
  const target = contextOptions ? await browser.newContext(contextOptions) : browser;
  const opened = await openPage(target, query);
  await opened.page.setViewportSize(viewport);
  return opened;
}

async function finish(opened) {
  assert.deepEqual(opened.problems(), [], 'console errors, page errors or bad requests');
  await opened.page.close();
}

const search = (page) => page.evaluate(() => location.search);
const param = (page, key) => page.evaluate((k) => new URLSearchParams(location.search).get(k), key);
const noticeText = (page) => page.textContent('#notice-text');

/** Moves the initialisation-scale slider to the position showing `value`, as a reader
 *  would (input while dragging, change on release). */
async function setInitScale(page, value) {
  const ok = await page.$eval('#init-scale', (el, want) => {
    for (let i = Number(el.min); i <= Number(el.max); i++) {
      el.value = String(i);
      el.dispatchEvent(new Event('input', { bubbles: true }));
      if (document.querySelector('#init-scale-value').textContent === want) {
        el.dispatchEvent(new Event('change', { bubbles: true }));
        return true;
      }
    }
    return false;
  }, String(value));
  assert.ok(ok, `the slider has a position for ${value}`);
}

/** Types into a number field and commits it (a change event). */
async function fill(page, selector, text) {
  await page.fill(selector, text);
  await page.$eval(selector, (el) => el.dispatchEvent(new Event('change', { bubbles: true })));
}

/** Waits for a fresh run (step 0 → training) after a restart. */
async function restarted(page, predicate = () => true, timeoutMs = 60_000) {
  await waitForMetric(page, (m) => m.step < 30, 10_000);
  return waitForMetric(page, (m) => m.state === 'running' && predicate(m), timeoutMs);
}

test('playground levers: a larger initialisation memorises later; a fixed norm with decay 0 groks', { timeout: 240_000 }, async () => {
  const t0 = Date.now();
  const opened = await open('?p=97#playground');
  const { page } = opened;
  // The controls start at Rust's defaults.
  assert.equal(await page.textContent('#init-scale-value'), '1');
  assert.equal(await page.isChecked('#fix-norm-on'), false);
  assert.equal(await page.inputValue('#optimizer'), 'adamw');
  assert.equal(await page.inputValue('#batch'), '0');
  assert.equal(await page.isChecked('#grokfast-on'), false);
  const one = await waitForMetric(page, (m) => m.memorisedAt !== '', 60_000);

  // Initialisation scale 3 (CLI, seed 0: memorised at 274 against 75).
  await setInitScale(page, 3);
  assert.match(await page.textContent('#levers-note'), /Restarted with initialisation scale 3/);
  const three = await restarted(page, (m) => m.memorisedAt !== '', 90_000);
  assert.equal(await param(page, 'init_scale'), '3');
  assert.ok(three.memorisedAt >= 2.5 * one.memorisedAt, `scale 3 memorised at ${three.memorisedAt}, scale 1 at ${one.memorisedAt}`);

  // Back to 1; weight decay 0 with the norm held at Rust's suggested radius: it groks
  // (CLI, seed 0: radius 50 groks at about 520 steps, without any decay).
  await setInitScale(page, 1);
  await page.$eval('#wd', (el) => { el.value = '0'; el.dispatchEvent(new Event('change', { bubbles: true })); });
  await page.check('#fix-norm-on');
  const radius = await page.inputValue('#fix-norm');
  const fixed = await restarted(page, (m) => m.grokkedAt !== '', 120_000);
  const params = await search(page);
  assert.equal(await param(page, 'wd'), '0');
  assert.equal(await param(page, 'fix_norm'), radius);
  assert.ok(fixed.memorisedAt < fixed.grokkedAt, `memorised ${fixed.memorisedAt}, grokked ${fixed.grokkedAt}`);
  // The matrices are held at the radius; the norm reported also counts the biases.
  assert.ok(fixed.weightNorm >= Number(radius) && fixed.weightNorm < 1.05 * Number(radius), `norm ${fixed.weightNorm} held at ${radius}`);
  console.log(`# page: scale 1 memorised ${one.memorisedAt}, scale 3 ${three.memorisedAt}; wd 0, norm ${radius}: memorised ${fixed.memorisedAt}, grokked ${fixed.grokkedAt} (${params})`);
  console.log(`# levers test 1 took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await finish(opened);
});

test('bad lever values are brought into range with a notice, and the page keeps working', { timeout: 120_000 }, async () => {
  const t0 = Date.now();
  const opened = await open('?p=97&frac=0.2#playground');
  const { page } = opened;
  await waitForMetric(page, (m) => m.state === 'running', 30_000);

  await page.check('#fix-norm-on');
  await fill(page, '#fix-norm', '-5');
  await waitForMetric(page, (m) => m.state === 'running' && m.step > 0, 30_000);
  assert.match(await noticeText(page), /fixed weight norm -5 is out of range \(1 to 1000\): using 1/);
  assert.equal(await page.inputValue('#fix-norm'), '1');
  assert.equal(await param(page, 'fix_norm'), '1');
  await page.uncheck('#fix-norm-on');

  await page.check('#grokfast-on');
  await fill(page, '#grokfast-alpha', '1.5');
  await waitForMetric(page, (m) => m.state === 'running' && m.step > 0, 30_000);
  assert.match(await noticeText(page), /Grokfast α 1\.5 is out of range \(0\.5 to 0\.999\): using 0\.999/);
  assert.equal(await page.inputValue('#grokfast-alpha'), '0.999');
  assert.equal(await param(page, 'grokfast'), '0.999,2');
  await page.uncheck('#grokfast-on');

  // 2048 pairs a step, with 1,882 training pairs: the whole training set instead.
  await page.selectOption('#batch', '2048');
  await waitForMetric(page, (m) => m.state === 'running' && m.step > 0, 30_000);
  assert.match(await noticeText(page), /larger than the training set \(1882 pairs\): using 1882/);
  assert.equal(await page.inputValue('#batch'), '1882');
  assert.equal(await param(page, 'batch'), '1882');
  const m = await waitForMetric(page, (x) => x.step >= 20, 30_000);
  assert.notEqual(m.state, 'error');
  await finish(opened);

  // A cut that would leave no pair: p = 3 has 9 pairs, a fraction 0.3 trains on 3; keep
  // 10% of them would be none, so one is kept.
  const tiny = await open('?p=3&frac=0.3#playground');
  await waitForMetric(tiny.page, (x) => x.state === 'running' && x.step > 5, 30_000);
  await tiny.page.selectOption('#shrink-keep', '0.1');
  await tiny.page.click('#shrink');
  await waitForMetric(tiny.page, (x) => x.trainPairs === 1, 10_000);
  assert.match(await noticeText(tiny.page), /would leave 0, fewer than one pair: keeping 1/);
  assert.match(await param(tiny.page, 'shrink'), /^\d+:0\.333/);
  console.log(`# levers test 2 took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await finish(tiny);
});

test('a share link with every lever set replays on the command line to the same numbers', { timeout: 240_000 }, async () => {
  const t0 = Date.now();
  const opened = await open('#playground');
  const { page } = opened;
  await waitForMetric(page, (m) => m.state === 'running', 30_000);
  await setInitScale(page, 2);
  await page.check('#fix-norm-on');
  await fill(page, '#fix-norm', '60');
  await page.selectOption('#optimizer', 'adam-l2');
  await page.selectOption('#batch', '512');
  await page.check('#grokfast-on');
  const here0 = await restarted(page, (m) => m.step >= 250, 120_000);
  await page.click('#play');
  const here = await waitForMetric(page, (m) => m.state === 'paused', 10_000);
  assert.ok(here.step >= here0.step);
  await page.click('#copy-link');
  const link = await page.inputValue('#share-url');
  const p = new URL(link).searchParams;
  assert.deepEqual(
    ['init_scale', 'fix_norm', 'optimizer', 'batch', 'grokfast', 'until'].map((k) => p.get(k)),
    ['2', '60', 'adam-l2', '512', '0.98,2', String(here.step)],
    link,
  );
  await finish(opened);

  const { stdout } = await promisify(execFile)(GROK, ['train', '--link', link, '--quiet'], { timeout: 120_000 });
  const cli = JSON.parse(stdout.trim().split('\n').pop());
  console.log(`# ${link}\n# page: step ${here.step}, train ${here.trainAcc}, test ${here.testAcc}, norm ${here.weightNorm}\n# CLI:  step ${cli.steps}, train ${cli.train_acc}, test ${cli.test_acc}, norm ${cli.weight_norm}`);
  assert.equal(cli.steps, here.step);
  assert.deepEqual(
    [cli.config.init_scale, cli.config.fix_norm, cli.config.optimizer, cli.config.batch, cli.config.grokfast],
    [2, 60, 'adam-l2', 512, { alpha: 0.98, lambda: 2 }],
  );
  assert.ok(Math.abs(cli.train_acc - here.trainAcc) <= TOLERANCE, `train: page ${here.trainAcc}, CLI ${cli.train_acc}`);
  assert.ok(Math.abs(cli.test_acc - here.testAcc) <= TOLERANCE, `test: page ${here.testAcc}, CLI ${cli.test_acc}`);
  assert.ok(Math.abs(cli.weight_norm - here.weightNorm) <= 0.01 * cli.weight_norm, `norm: page ${here.weightNorm}, CLI ${cli.weight_norm}`);
  console.log(`# levers test 3 took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test('section 6: each lever figure trains when scrolled into view, the others wait', { timeout: 240_000 }, async () => {
  const t0 = Date.now();
  const opened = await open('#levers-section');
  const { page } = opened;
  const names = Object.keys(BLOCKS);
  for (const [index, [block, runs]] of Object.entries(BLOCKS).entries()) {
    await page.evaluate((s) => document.querySelector(s).scrollIntoView({ block: 'center' }), `#${block} .live`);
    for (const id of runs) {
      await waitForMetric(page, (m) => m.state === 'running' && m.step >= 10, 60_000, `#run-${id}`);
    }
    await screenshotOf(page, `#${block} .live`, `levers-${block}`);
    // Blocks two or more away are off screen: those seen before have paused, those
    // not reached yet have not started.
    for (const id of names.slice(0, Math.max(0, index - 1)).flatMap((b) => BLOCKS[b])) {
      const m = await waitForMetric(page, (x) => x.state !== 'running', 10_000, `#run-${id}`);
      assert.ok(['paused', 'finished'].includes(m.state), `${id}: ${m.state}`);
    }
    for (const id of names.slice(index + 2).flatMap((b) => BLOCKS[b])) {
      assert.equal((await readMetrics(page, `#run-${id}`)).step, 0, `${id} waits until it is seen`);
    }
  }
  // The path figure: its note reports the plane's share of the movement and the
  // effective dimension once there are samples.
  await page.waitForFunction(() => document.querySelector('#lever-path-note').dataset.dim !== '', null, { timeout: 30_000 });
  assert.match(await page.textContent('#lever-path-note'), /The plane shows \d+% of the path's movement\. Effective dimension now [\d.]+\./);
  // Ungrokking: another share restarts the run with that cut, in its link.
  await page.evaluate(() => document.querySelector('#lever-ungrok .live').scrollIntoView({ block: 'center' }));
  await page.click('#ungrok-keep-0_5');
  await waitForMetric(page, (m) => m.state === 'running' && m.step > 0, 30_000, '#run-ungrok');
  const link = new URL(await page.getAttribute('#lever-ungrok-link', 'href'));
  assert.equal(link.searchParams.get('shrink'), '1500:0.5');
  assert.equal(link.searchParams.get('sec'), 'lever-ungrok');
  console.log(`# levers test 4 took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await finish(opened);
});

test('phase diagram: the precomputed default first, then any two axes live', { timeout: 120_000 }, async () => {
  const t0 = Date.now();
  const opened = await open('?autoplay=0#phase-diagram');
  const { page } = opened;
  // www/phase-default.json is `null` until scripts/phase-data has been run.
  const sweep = JSON.parse(await readFile(fileURLToPath(new URL('../../www/phase-default.json', import.meta.url)), 'utf8'));
  if (sweep !== null) {
    await page.waitForFunction(() => document.querySelector('#phase').dataset.source === 'precomputed', null, { timeout: 10_000 });
    assert.equal(await page.isVisible('#phase-source'), true);
    assert.match(await page.textContent('#phase-source'), new RegExp(`Precomputed, not live.*grok sweep --p 97 --wd 0,0\\.01.*--seeds ${sweep.seeds} --steps ${sweep.steps}`));
    const shown = await page.$$eval('#phase-table button.cell', (bs) => bs.map((b) => ({ ...b.dataset })));
    assert.equal(shown.filter((c) => c.phase !== 'pending').length, 72, 'every cell of the precomputed diagram');
    // Where the file's three seeds agree, the cell shows their phase.
    let agreed = 0;
    for (const cell of shown) {
      const seeds = sweep.cells.filter((c) => c.wd === Number(cell.row) && c.frac === Number(cell.col));
      assert.equal(seeds.length, sweep.seeds, `the file's runs of ${cell.row}/${cell.col}`);
      if (seeds.every((c) => c.phase === seeds[0].phase)) {
        assert.equal(cell.phase, seeds[0].phase, `wd ${cell.row}, frac ${cell.col}`);
        agreed += 1;
      }
    }
    assert.ok(agreed >= 60, `cells whose seeds agree: ${agreed} of 72`);
  } else {
    await sleep(1000);
    assert.equal(await page.getAttribute('#phase', 'data-source'), 'empty');
    assert.equal(await page.isHidden('#phase-source'), true);
  }
  await screenshotOf(page, '#phase-diagram', 'levers-phase');

  // Another pair of axes: an empty grid, labelled for them, then computed live (small).
  await page.selectOption('#phase-y', 'fix_norm');
  assert.equal(await page.getAttribute('#phase', 'data-source'), 'empty');
  assert.equal(await page.getAttribute('#phase', 'data-rows'), 'fix_norm');
  assert.equal(await page.textContent('#phase-fig-title'), 'Fixed weight norm × training fraction');
  await page.selectOption('#phase-x', 'init_scale');
  await fill(page, '#phase-ys', '5, 40');
  await fill(page, '#phase-xs', '1, 4');
  await page.selectOption('#phase-setting', 'quick');
  await page.selectOption('#phase-steps', '500');
  await page.click('#phase-start');
  await page.waitForFunction(() => document.querySelector('#phase').dataset.state === 'done', null, { timeout: 90_000 });
  const cells = await page.$$eval('#phase-table button.cell', (bs) => bs.map((b) => ({ ...b.dataset })));
  assert.equal(cells.length, 4);
  assert.deepEqual(cells.map((c) => `${c.row}/${c.col}`).sort(), ['40/1', '40/4', '5/1', '5/4']);
  assert.equal(await page.getAttribute('#phase', 'data-source'), 'live');
  assert.equal(await page.isHidden('#phase-source'), true);
  console.log(`# live grid fixed norm × init scale at p = 31: ${cells.map((c) => `${c.row}/${c.col}=${c.phase}`).join(' ')}`);
  console.log(`# levers test 5 took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await finish(opened);
});

test('screenshots: the playground levers and section 6 at 1280 and 375 px, light and dark', { timeout: 180_000 }, async () => {
  const t0 = Date.now();
  for (const scheme of ['light', 'dark']) {
    for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      const opened = await open('?autoplay=0#playground', viewport, { colorScheme: scheme });
      const { page } = opened;
      await page.waitForSelector('#optimizer option', { state: 'attached' });
      await page.check('#grokfast-on');
      await sleep(300);
      await page.locator('#levers').scrollIntoViewIfNeeded();
      await screenshotOf(page, '#levers', `levers-playground-${name}-${scheme}`);
      await page.evaluate(() => document.querySelector('#lever-norm .live').scrollIntoView({ block: 'center' }));
      await page.click('#lever-norm-play');
      await waitForMetric(page, (m) => m.step >= 300, 90_000, '#run-norm-fixed');
      await sleep(500);
      await screenshotOf(page, '#lever-norm', `levers-section-${name}-${scheme}`);
      const { scroll, client } = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
      }));
      assert.ok(scroll <= client, `${name} ${scheme}: page ${scroll - client}px wider than the screen`);
      await finish(opened);
    }
  }
  console.log(`# levers test 6 took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
