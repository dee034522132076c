// End-to-end tests of the article (the seven sections above the playground) in headless
// Chromium: live figures train when scrolled into view and pause when scrolled away; the
// side-by-side figure shows decay 1 grokking while decay 0 does not; presets, share
// links, exports, keyboard shortcuts, presenter mode, reduced motion and the phone
// layout. Screenshots of every section at 1280 and 375 px go to target/screenshots/
// (article-<section>-desktop.png, article-<section>-phone.png).
//
// Each live run mirrors itself on a readout element #run-<id> (data-state, data-step,
// data-train-acc, data-test-acc, data-memorised-at, data-grokked-at, …), like #metrics
// for the playground; the tests read those.
//
//   BASE_URL=http://127.0.0.1:8000/ node --test tests/e2e/article.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, openPage, readMetrics, waitForMetric, screenshot, screenshotOf } from './run.mjs';

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 800 };
const SECTIONS = ['puzzle', 'task', 'decay', 'data', 'inside', 'levers-section', 'meaning'];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function open(query, viewport = DESKTOP) {
  const opened = await openPage(browser, query);
  await opened.page.setViewportSize(viewport);
  return opened;
}

async function finish(opened) {
  assert.deepEqual(opened.problems(), [], 'console errors, page errors or bad requests');
  await opened.page.close();
}

/** The data-* of a run's readout (#run-<id>), numbers as numbers. */
async function readRun(page, id) {
  return readMetrics(page, `#run-${id}`);
}

/** Polls #run-<id> until predicate holds; returns those values. */
async function waitForRun(page, id, predicate, timeoutMs = 60_000) {
  return waitForMetric(page, predicate, timeoutMs, `#run-${id}`);
}

/**
 * Exports run `id`'s history as CSV (from section `section`'s bar, without scrolling to
 * it) and returns the text. The worker answers requests in order, so once the file is
 * here every message it posted before — a 'running', a snapshot — has reached the page:
 * a positive signal after which "nothing happened" can be asserted.
 */
async function roundTrip(page, section, id) {
  const button = `#${section}-csv-${id}`;
  await page.waitForSelector(`${button}:not([disabled])`, { state: 'attached', timeout: 30_000 });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.$eval(button, (b) => b.click()),
  ]);
  return readFile(await download.path(), 'utf8');
}

async function scrollTo(page, selector) {
  await page.locator(selector).scrollIntoViewIfNeeded();
  await page.evaluate((s) => document.querySelector(s).scrollIntoView({ block: 'center' }), selector);
}

async function noOverflow(page, where) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${where}: page is ${scroll - client}px wider than the screen`);
}

test('the puzzle starts by itself; each live figure trains when scrolled into view, the others pause', { timeout: 150_000 }, async () => {
  const opened = await open('');
  const { page } = opened;
  await waitForRun(page, 'puzzle', (m) => m.state === 'running' && m.step >= 20, 30_000);
  // Nothing else trains: the other sections have no worker yet or are paused.
  for (const id of ['decay-on', 'decay-off', 'data', 'inside']) {
    assert.equal((await readRun(page, id)).step, 0, `${id} waits until it is seen`);
  }
  assert.equal((await readMetrics(page)).step, 0, 'the playground waits until it is seen');
  await sleep(400);
  await screenshot(page, 'article-puzzle-desktop');

  for (const [section, runs] of [['decay', ['decay-off', 'decay-on']], ['data', ['data']], ['inside', ['inside']]]) {
    await scrollTo(page, `#${section} .live`);
    for (const id of runs) await waitForRun(page, id, (m) => m.state === 'running' && m.step >= 10, 40_000);
    // The puzzle, off screen now, has paused, and stays paused.
    const held = await waitForRun(page, 'puzzle', (m) => m.state === 'paused' || m.state === 'finished', 10_000);
    await roundTrip(page, 'puzzle', 'puzzle');
    const after = await readRun(page, 'puzzle');
    assert.equal(after.state, held.state, 'the hidden puzzle does not train');
    assert.equal(after.step, held.step, 'the hidden puzzle does not train');
    await sleep(300);
    await screenshotOf(page, `#${section}`, `article-${section}-desktop`);
  }
  // Section 4: another training fraction restarts its run; the replaced run is listed.
  await scrollTo(page, '#data .live');
  await page.click('#data-frac-0_6');
  assert.equal(await page.getAttribute('#data-frac-0_6', 'aria-pressed'), 'true');
  assert.equal(await page.getAttribute('#data-frac-0_3', 'aria-pressed'), 'false');
  await waitForRun(page, 'data', (m) => m.state === 'running' && m.step > 0, 30_000);
  assert.equal(new URL(await page.getAttribute('#data-link', 'href')).searchParams.get('frac'), '0.6');
  assert.match(await page.textContent('#data-results tbody'), /30%/);

  // The task and the closing section have no run but are part of the set of screenshots.
  for (const section of ['task', 'meaning']) {
    await scrollTo(page, `#${section}`);
    await sleep(400);
    await screenshotOf(page, `#${section}`, `article-${section}-desktop`);
  }
  await finish(opened);
});

test('side by side: with weight decay the network groks, without it only memorises', { timeout: 200_000 }, async () => {
  const opened = await open('?sec=decay#decay');
  const { page } = opened;
  await scrollTo(page, '#decay .live');
  const on = await waitForRun(page, 'decay-on', (m) => m.grokkedAt !== '', 180_000);
  // Compare at the same step: let the run without decay get there too.
  const off = await waitForRun(page, 'decay-off', (m) => m.step >= on.grokkedAt, 60_000);
  console.log(`# decay 1 grokked at step ${on.grokkedAt} (memorised at ${on.memorisedAt}); decay 0 at step ${off.step}: train ${off.trainAcc}, test ${off.testAcc}`);
  assert.ok(on.memorisedAt < on.grokkedAt / 5, `decay 1 memorised at ${on.memorisedAt}, grokked at ${on.grokkedAt}`);
  assert.ok(off.memorisedAt !== '' && off.memorisedAt < 300, `decay 0 memorised (at ${off.memorisedAt})`);
  assert.equal(off.grokkedAt, '', 'decay 0 has not grokked');
  assert.ok(off.testAcc < 0.05, `decay 0 test accuracy ${off.testAcc}`);
  const summary = await page.textContent('#decay-summary');
  assert.ok(summary.length > 20, `a summary in words: ${summary}`);
  await sleep(500);
  await screenshotOf(page, '#decay', 'article-decay-grokked-desktop');
  await finish(opened);
});

test('each preset sets the values it names', { timeout: 60_000 }, async () => {
  const opened = await open('?autoplay=0#playground');
  const { page } = opened;
  await waitForMetric(page, (m) => m.state === 'idle', 30_000);
  const presets = {
    'no-decay': { wd: '0', frac: '0.30' },
    'sweet-spot': { wd: '1', frac: '0.30' },
    'little-data': { wd: '1', frac: '0.20' },
    'lots-of-data': { wd: '1', frac: '0.60' },
  };
  for (const [name, want] of Object.entries(presets)) {
    const button = page.locator(`[data-preset="${name}"]`);
    const label = await button.textContent();
    await button.click();
    assert.equal(await page.textContent('#wd-value'), want.wd, `${name}: weight decay`);
    assert.equal(await page.textContent('#frac-value'), want.frac, `${name}: training fraction`);
    const params = new URL(page.url()).searchParams;
    assert.equal(Number(params.get('wd')), Number(want.wd), `${name}: wd in the URL`);
    assert.equal(Number(params.get('frac')), Number(want.frac), `${name}: frac in the URL`);
    // The button names what it sets.
    if (name !== 'sweet-spot') {
      const named = name === 'no-decay' ? `wd ${want.wd}` : `frac ${Number(want.frac)}`;
      assert.ok(label.includes(named), `"${label}" names ${named}`);
    }
  }
  await finish(opened);
});

test('a section share link reproduces the run; CSV, JSON and PNG exports match it', { timeout: 120_000 }, async () => {
  const opened = await open('?sec=puzzle&p=23&frac=0.5&seed=4&until=150#puzzle');
  const { page } = opened;
  const here = await waitForRun(page, 'puzzle', (m) => m.state === 'finished', 60_000);
  assert.equal(here.step, 150);

  const link = await page.getAttribute('#puzzle-link', 'href');
  const params = new URL(link).searchParams;
  assert.equal(params.get('sec'), 'puzzle');
  assert.equal(params.get('p'), '23');
  assert.equal(params.get('seed'), '4');
  assert.equal(params.get('until'), '150');
  assert.equal(new URL(link).hash, '#puzzle');

  const again = await open(link);
  const there = await waitForRun(again.page, 'puzzle', (m) => m.state === 'finished', 60_000);
  for (const key of ['step', 'trainAcc', 'testAcc', 'trainLoss', 'testLoss', 'weightNorm', 'memorisedAt']) {
    assert.equal(there[key], here[key], `${key} reproduced exactly`);
  }
  await finish(again);

  // CSV. A history point is measured on the way through the next step (the forward pass
  // before the update), so one more step puts the state shown at step 150 into it.
  await page.click('#puzzle-step');
  await waitForRun(page, 'puzzle', (m) => m.step === 151 && m.state === 'paused', 10_000);
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('#puzzle-csv-puzzle')]);
  assert.match(csvDownload.suggestedFilename(), /\.csv$/);
  const csv = await readFile(await csvDownload.path(), 'utf8');
  const lines = csv.trim().split('\n');
  const header = lines[0].split(',');
  assert.deepEqual(header.slice(0, 6), ['step', 'train_loss', 'train_acc', 'test_loss', 'test_acc', 'weight_norm']);
  const rows = lines.slice(1).map((line) => Object.fromEntries(line.split(',').map((v, i) => [header[i], Number(v)])));
  for (const row of rows) for (const key of header.slice(0, 6)) assert.ok(Number.isFinite(row[key]), `${key} in ${JSON.stringify(row)}`);
  const shown = rows.find((r) => r.step === here.step);
  assert.ok(shown, `the CSV has step ${here.step}`);
  const close = (a, b, tol) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
  for (const [col, key] of [['train_acc', 'trainAcc'], ['test_acc', 'testAcc'], ['train_loss', 'trainLoss'], ['test_loss', 'testLoss'], ['weight_norm', 'weightNorm']]) {
    assert.ok(close(shown[col], here[key], 1e-6), `${col} at step ${here.step}: CSV ${shown[col]}, shown ${here[key]}`);
  }
  // The markers shown are the CSV's first steps past the thresholds.
  assert.equal(rows.find((r) => r.train_acc >= 0.99)?.step ?? '', here.memorisedAt);

  // JSON: parses, holds the same points as the CSV, the run's settings and its markers.
  const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.click('#puzzle-json-puzzle')]);
  assert.match(jsonDownload.suggestedFilename(), /\.json$/);
  const json = JSON.parse(await readFile(await jsonDownload.path(), 'utf8'));
  assert.equal(json.config.p, 23);
  assert.equal(json.config.seed, 4);
  assert.equal(json.points.length, rows.length);
  const jsonShown = json.points.find((pt) => pt.step === here.step);
  assert.equal(jsonShown.train_acc, shown.train_acc);
  assert.equal(jsonShown.test_acc, shown.test_acc);
  assert.equal(json.memorised_at ?? '', here.memorisedAt);

  // PNG of the figure.
  const [png] = await Promise.all([page.waitForEvent('download'), page.click('#puzzle button[data-png="fig-puzzle"]')]);
  const bytes = await readFile(await png.path());
  assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG file');
  assert.ok(bytes.length > 5000, `PNG of ${bytes.length} bytes`);
  // Every figure on the page has a PNG button.
  const without = await page.evaluate(() => [...document.querySelectorAll('canvas.plot')]
    .filter((c) => !document.querySelector(`button[data-png="${c.id}"]`)).map((c) => c.id));
  assert.deepEqual(without, []);
  await finish(opened);
});

test('the numbers the text quotes are those of facts.json (scripts/facts runs the CLI)', { timeout: 60_000 }, async () => {
  const opened = await open('?autoplay=0');
  const { page } = opened;
  await page.waitForFunction(() => document.documentElement.dataset.facts === 'filled', null, { timeout: 30_000 });
  const facts = JSON.parse(await readFile(new URL('../../www/facts.json', import.meta.url), 'utf8'));
  const spans = await page.evaluate(() => [...document.querySelectorAll('[data-fact]')]
    .map((el) => ({ path: el.dataset.fact, format: el.dataset.format ?? 'int', none: el.dataset.none, text: el.textContent })));
  assert.ok(spans.length >= 15, `${spans.length} quoted numbers`);
  const int = (x) => Math.round(x).toLocaleString('en');
  for (const { path, format, none, text } of spans) {
    const value = path.split('/').reduce((node, key) => node?.[key], facts);
    assert.ok(value !== undefined, `facts.json has ${path}`);
    let want;
    if (value === null) {
      assert.ok(none !== undefined, `${path} is null in facts.json: the text needs a data-none`);
      want = none.replace(/\{([^}]+)\}/g, (_, p) => int(p.split('/').reduce((node, key) => node?.[key], facts)));
    } else {
      want = { int: int(value), step: `step ${int(value)}`, pct: `${(100 * value).toFixed(1)}%`, num3: value.toFixed(3) }[format];
    }
    assert.equal(text, want, `the text at ${path}`);
  }
  // The data section's list, as a reader sees it.
  assert.match(await page.textContent('#data .prose'), new RegExp(`25% — step ${int(facts.data['0.25'].grokked)};`));
  await finish(opened);
});

test('keyboard: shortcuts act on the figure in view, help opens and closes, focus is visible', { timeout: 60_000 }, async () => {
  const opened = await open('?autoplay=0');
  const { page } = opened;
  // Its worker has made the run (and answered since): it would be training by now.
  await roundTrip(page, 'puzzle', 'puzzle');
  assert.equal((await readRun(page, 'puzzle')).state, 'idle', 'autoplay=0: nothing starts');
  assert.equal((await readRun(page, 'puzzle')).step, 0, 'autoplay=0: nothing starts');

  await page.keyboard.press('?');
  await page.waitForSelector('#help[open]');
  await screenshot(page, 'article-help');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#help:not([open])', { state: 'attached' });
  // Focus went back to the help button; a reader then clicks the text and uses the keys.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'help-open');
  await page.locator('#puzzle-title').click();

  await page.keyboard.press('Space');
  await waitForRun(page, 'puzzle', (m) => m.state === 'running' && m.step > 5, 30_000);
  await page.keyboard.press('Space');
  const paused = await waitForRun(page, 'puzzle', (m) => m.state === 'paused', 10_000);
  await page.keyboard.press('ArrowRight');
  await waitForRun(page, 'puzzle', (m) => m.step === paused.step + 1, 10_000);
  await page.keyboard.press('r');
  await waitForRun(page, 'puzzle', (m) => m.step === 0, 10_000);

  // Not while typing: Space in a number field is the field's, not a shortcut.
  await page.focus('#task-a');
  await page.keyboard.press('Space');
  assert.equal(await page.textContent('#puzzle-play'), 'Play', 'the key did not press Play');
  await roundTrip(page, 'puzzle', 'puzzle');
  assert.equal((await readRun(page, 'puzzle')).step, 0);
  assert.equal((await readRun(page, 'puzzle')).state, 'idle');

  // Every control reachable by Tab shows a visible focus ring.
  await page.focus('#present-toggle');
  await page.keyboard.press('Tab');
  const ring = await page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return { id: el.id, outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
  });
  assert.equal(ring.id, 'controls-toggle');
  assert.ok(ring.outline !== 'none' && ring.width >= 2, `focus ring: ${JSON.stringify(ring)}`);

  // P toggles presenter mode (kept in the URL).
  await page.locator('#puzzle-title').click();
  await page.keyboard.press('p');
  assert.ok(await page.evaluate(() => document.documentElement.classList.contains('present')));
  assert.equal(new URL(page.url()).searchParams.get('present'), '1');
  await page.keyboard.press('p');
  assert.ok(!(await page.evaluate(() => document.documentElement.classList.contains('present'))));
  await finish(opened);
});

test('presenter mode with controls hidden; reduced motion means no autoplay', { timeout: 60_000 }, async () => {
  const opened = await open('?present=1&controls=0');
  const { page } = opened;
  await waitForRun(page, 'puzzle', (m) => m.step > 10, 30_000);
  assert.ok(await page.evaluate(() => document.documentElement.classList.contains('present')));
  assert.ok(!(await page.isVisible('#puzzle-play')), 'controls hidden');
  const big = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  assert.ok(big >= 18, `presenter font size ${big}px`);
  await sleep(400);
  await screenshot(page, 'article-presenter');
  await page.close();

  const context = await browser.newContext({ reducedMotion: 'reduce', viewport: DESKTOP });
  const calm = await openPage(context, '');
  // Its worker has made the run (and answered since): it would be training by now.
  await roundTrip(calm.page, 'puzzle', 'puzzle');
  const m = await readRun(calm.page, 'puzzle');
  assert.equal(m.step, 0, 'no autoplay under reduced motion');
  assert.equal(m.state, 'idle', 'no autoplay under reduced motion');
  assert.ok(await calm.page.isVisible('#motion-note'));
  assert.match(await calm.page.textContent('#puzzle-summary'), /Press Play/);
  await calm.page.click('#puzzle-play');
  await waitForRun(calm.page, 'puzzle', (x) => x.step > 5, 30_000);
  await finish(calm);
  await context.close();
});

test('"Stop when grokked" pauses the run at the jump', { timeout: 90_000 }, async () => {
  const opened = await open('?p=23&frac=0.9&stop=1#playground');
  const { page } = opened;
  // The page reads its query once the wasm module has loaded, which can be after 'load'.
  await page.waitForFunction(() => document.querySelector('#stop-grokked').checked, null, { timeout: 20_000 });
  const m = await waitForMetric(page, (x) => x.state === 'paused', 80_000);
  assert.notEqual(m.grokkedAt, '', 'it grokked');
  // The worker stops right after the step at which test accuracy was measured ≥ 95%.
  assert.ok(m.testAcc >= 0.95, `test accuracy ${m.testAcc} when stopped`);
  assert.equal(m.step, m.grokkedAt + 1, `stopped at ${m.step}, grokked at ${m.grokkedAt}`);
  console.log(`# stop when grokked: grokked at step ${m.grokkedAt}, paused at ${m.step}`);
  await finish(opened);
});

test('the task section: a link opens on a pair; keys and clicks pick another', { timeout: 60_000 }, async () => {
  const opened = await open('?sec=task&p=13&frac=0.5&seed=2&a=3&b=11#task');
  const { page } = opened;
  await page.waitForFunction(() => document.querySelector('#task-summary').textContent.includes('a = 3, b = 11'));
  assert.equal(await page.inputValue('#task-p'), '13');
  // The sentence comes from Rust (task_summary): the worked sum and the pair's side of the split.
  assert.match(await page.textContent('#task-summary'), /a \+ b = 3 \+ 11 = 14 ≡ 1 \(mod 13\)/);
  assert.match(await page.textContent('#task-summary'), /(trains on this pair|never sees this pair).* training pairs \(50% of 169\)/);
  await page.focus('#fig-pairs');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => document.querySelector('#task-summary').textContent.includes('a = 4, b = 11'));
  // A click on the table picks the pair under the pointer (Rust knows the layout).
  const box = await page.locator('#fig-pairs').boundingBox();
  await page.mouse.click(box.x + box.width * 0.55, box.y + box.height * 0.55);
  await page.waitForFunction(() => !document.querySelector('#task-summary').textContent.includes('a = 4, b = 11'));
  const summary = await page.textContent('#task-summary');
  const [, a, b] = summary.match(/a = (\d+), b = (\d+)/).map(Number);
  assert.ok(a >= 3 && a <= 10 && b >= 3 && b <= 10, `picked a middle cell: ${summary}`);
  const link = new URL(await page.evaluate(() => document.querySelector('#task-link').dataset.href));
  assert.equal(link.searchParams.get('a'), String(a));
  assert.equal(link.searchParams.get('b'), String(b));
  assert.equal(link.hash, '#task');
  await finish(opened);
});

/**
 * The pair drawn under the point (fx, fy) of the pairs table (fractions of the canvas),
 * read from the canvas's own pixels — independent of the page's hit-testing: the
 * cells are filled rectangles in the training or test colour with a hairline gap
 * between neighbours, so a cell's column is the number of cells to its left before the
 * gap widens into the row labels, and its row the number above it before the legend.
 * Returns {a, b, x, y}: the pair and its cell's centre in CSS pixels from the canvas's
 * corner, or null if (fx, fy) is not on a cell.
 */
function pairUnder(page, fx, fy) {
  return page.evaluate(([fx, fy]) => {
    const canvas = document.querySelector('#fig-pairs');
    const { width, height } = canvas;
    const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
    const colours = [[0x00, 0x72, 0xb2], [0xd5, 0x5e, 0x00]]; // PAIR_TRAIN_COLOR, PAIR_TEST_COLOR
    const cell = (x, y) => {
      if (x < 0 || y < 0 || x >= width || y >= height) return false;
      const i = 4 * (y * width + x);
      return colours.some((c) => Math.abs(data[i] - c[0]) + Math.abs(data[i + 1] - c[1]) + Math.abs(data[i + 2] - c[2]) < 24);
    };
    const x = Math.round(fx * width);
    const y = Math.round(fy * height);
    if (!cell(x, y)) return null;
    // This cell's extent, then the cells before it along the row and up the column.
    let [x0, x1, y0, y1] = [x, x, y, y];
    while (cell(x0 - 1, y)) x0 -= 1;
    while (cell(x1 + 1, y)) x1 += 1;
    while (cell(x, y0 - 1)) y0 -= 1;
    while (cell(x, y1 + 1)) y1 += 1;
    /** Cells passed walking from `from` down to 0 with `at(i)`, until a gap wider than a hairline. */
    const before = (from, at) => {
      let count = 0;
      let gap = 0;
      for (let i = from; i >= 0; i--) {
        if (at(i)) {
          if (gap > 0) count += 1;
          gap = 0;
        } else if (++gap > 3) {
          break; // the end of the table: the labels, the legend
        }
      }
      return count;
    };
    const b = before(x0 - 1, (i) => cell(i, y));
    const a = before(y0 - 1, (i) => cell(x, i));
    const box = canvas.getBoundingClientRect();
    return { a, b, x: ((x0 + x1 + 1) / 2) * (box.width / width), y: ((y0 + y1 + 1) / 2) * (box.height / height) };
  }, [fx, fy]);
}

test('the table of pairs picks the pair under the pointer at 150% zoom and in presenter mode', { timeout: 90_000 }, async () => {
  // Chromium's zoom changes the device-pixel ratio and narrows the CSS viewport: 150% of
  // a 1280 × 900 window is what this context shows the page.
  const context = await browser.newContext({ viewport: { width: 853, height: 600 }, deviceScaleFactor: 1.5 });
  for (const present of [false, true]) {
    const query = `?sec=task&p=13&frac=0.5&seed=2&a=0&b=0${present ? '&present=1' : ''}#task`;
    const opened = await openPage(context, query);
    const { page } = opened;
    assert.equal(await page.evaluate(() => devicePixelRatio), 1.5);
    if (present) {
      // Applied once the wasm module has loaded, like the rest of the page's setup.
      await page.waitForFunction(() => document.documentElement.classList.contains('present'));
      const font = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
      assert.ok(font > 16, `presenter mode enlarges the text (${font}px)`);
    }
    await page.locator('#fig-pairs').scrollIntoViewIfNeeded();
    await page.waitForFunction(() => document.querySelector('#task-summary').textContent.includes('a = 0, b = 0'));
    await page.waitForFunction(() => /drawn in/.test(document.querySelector('#t-pairs').textContent));
    // Cells in rows and columns apart from each other and from (0, 0), whose outline
    // would otherwise lie on the path the pixels are read along.
    for (const [fx, fy] of [[0.48, 0.52], [0.78, 0.83]]) {
      const want = await pairUnder(page, fx, fy);
      assert.ok(want !== null, `a cell under (${fx}, ${fy})`);
      assert.ok(want.a > 0 && want.b > 0, `away from (0, 0): ${JSON.stringify(want)}`);
      const box = await page.locator('#fig-pairs').boundingBox();
      await page.mouse.click(box.x + want.x, box.y + want.y);
      await page.waitForFunction(
        ([a, b]) => document.querySelector('#task-summary').textContent.includes(`a = ${a}, b = ${b}:`),
        [want.a, want.b], { timeout: 5_000 },
      ).catch(async () => assert.fail(`clicked the cell of (${want.a}, ${want.b})${present ? ' in presenter mode' : ''}; the page picked: ${await page.textContent('#task-summary')}`));
    }
    await screenshotOf(page, '#task', `article-task-zoom150${present ? '-present' : ''}`);
    assert.deepEqual(opened.problems(), []);
    await page.close();
  }
  await context.close();
});

test('what changes inside: the scrubber replays the history, and its link keeps the step shown', { timeout: 90_000 }, async () => {
  const opened = await open('?sec=inside&p=31&frac=0.6&until=800#inside');
  const { page } = opened;
  await scrollTo(page, '#inside .live');
  await waitForRun(page, 'inside', (m) => m.state === 'finished', 60_000);
  const frames = Number(await page.getAttribute('#inside-scrub', 'max')) + 1;
  assert.ok(frames >= 5, `${frames} frames to scrub through`);
  assert.match(await page.textContent('#inside-scrub-value'), /step 800 \(latest\)/);
  const late = await page.textContent('#inside-summary');
  assert.match(late, /Step 800/);

  // Back to the start with the keyboard: the figures and the summary follow.
  await page.focus('#inside-scrub');
  await page.keyboard.press('Home');
  await page.waitForFunction(() => !/latest/.test(document.querySelector('#inside-scrub-value').textContent));
  const shown = await page.textContent('#inside-scrub-value');
  const step = Number(shown.replace(/[^0-9]/g, ''));
  assert.ok(step < 100, `the first frame is early: ${shown}`);
  await page.waitForFunction((s) => document.querySelector('#inside-summary').textContent.includes(`Step ${s}`), step);
  // One step right moves one frame.
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((s) => document.querySelector('#inside-scrub-value').textContent !== s, shown);
  const next = await page.textContent('#inside-scrub-value');
  await sleep(300);
  await screenshotOf(page, '#inside .live', 'article-inside-scrubbed-desktop');

  const link = await page.getAttribute('#inside-link', 'href');
  const frameStep = Number(next.replace(/[^0-9]/g, ''));
  assert.equal(new URL(link).searchParams.get('frame'), String(frameStep));
  const again = await open(link);
  await waitForRun(again.page, 'inside', (m) => m.state === 'finished', 60_000);
  await again.page.waitForFunction((s) => document.querySelector('#inside-scrub-value').textContent === s, next, { timeout: 5_000 });
  await finish(again);
  await finish(opened);
});

test('on a 375 px phone nothing overflows sideways, in any section', { timeout: 120_000 }, async () => {
  const opened = await open('', PHONE);
  const { page } = opened;
  await waitForRun(page, 'puzzle', (m) => m.step > 20, 30_000);
  await noOverflow(page, 'top');
  for (const section of [...SECTIONS, 'playground', 'hidden-progress', 'phase-diagram', 'references']) {
    await scrollTo(page, `#${section}`);
    await sleep(section === 'puzzle' || section === 'task' || section === 'meaning' ? 300 : 2500);
    await noOverflow(page, section);
    if (SECTIONS.includes(section)) {
      await screenshotOf(page, `#${section}`, `article-${section}-phone`);
    }
  }
  // Wide things stay inside their boxes: every element ends within the viewport, except
  // inside a box that scrolls sideways on its own (.scroll-x: the phase table).
  const wide = await page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1
      && !el.closest('.visually-hidden, .skip-link, .scroll-x'))
    .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`).slice(0, 5));
  assert.deepEqual(wide, []);
  await finish(opened);
});
