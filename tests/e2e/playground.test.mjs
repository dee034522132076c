// End-to-end tests of the playground page (index.html + www/) in headless Chromium.
//
// Run by scripts/test against the page it serves (BASE_URL), or by hand:
//   BASE_URL=http://127.0.0.1:8000/ node --test tests/e2e/
// The page reports the run on #metrics (data-state, data-step, data-train-acc,
// data-test-acc, …); the tests read those attributes, drive the controls the way a
// reader would (keyboard on the sliders, clicks on the buttons), and save screenshots
// under target/screenshots/. Every test also checks that the page logged no errors and
// requested nothing from another origin.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, readMetrics, waitForMetric, screenshot } from './run.mjs';

/** Tall enough that every figure is on screen (and so drawn) in the screenshots. */
const DESKTOP = { width: 1280, height: 2200 };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Opens the page at `query`; returns openPage's record. */
async function open(query, viewport = DESKTOP) {
  // The playground trains only while on screen: open the page at it.
  const opened = await openPage(browser, query.includes('#') ? query : `${query}#playground`);
  await opened.page.setViewportSize(viewport);
  return opened;
}

async function noticeText(page) {
  return page.evaluate(() => document.querySelector('#notice-text').textContent);
}

/** Closes the page after checking it stayed clean (no errors, nothing off-origin). */
async function finish(opened) {
  assert.deepEqual(opened.problems(), [], 'console errors, page errors or bad requests');
  await opened.page.close();
}

test('the default run memorises first and groks much later', { timeout: 240_000 }, async () => {
  const opened = await open('');
  const { page } = opened;
  await waitForMetric(page, (m) => m.state === 'running', 30_000);

  // Poll the live metrics; note when each threshold is first seen.
  let trainSeen = null;
  let testSeen = null;
  let midrun = false;
  const deadline = Date.now() + 200_000;
  while (testSeen === null) {
    const m = await readMetrics(page);
    assert.notEqual(m.state, 'diverged');
    if (trainSeen === null && m.trainAcc >= 0.99) trainSeen = m.step;
    if (m.testAcc >= 0.95) testSeen = m.step;
    if (!midrun && m.step >= 300 && testSeen === null) {
      // The plateau: training set learned, test set not.
      assert.ok(m.testAcc < 0.5, `test accuracy ${m.testAcc} at step ${m.step} is no plateau`);
      await sleep(300); // let the figures catch up with the numbers
      await screenshot(page, 'playground-midrun');
      midrun = true;
    }
    if (Date.now() > deadline) assert.fail(`no grokking within the time limit; last seen ${JSON.stringify(m)}`);
    await sleep(100);
  }
  assert.ok(trainSeen !== null, 'train accuracy ≥ 0.99 was seen');
  assert.ok(trainSeen < testSeen, `memorised (seen at ${trainSeen}) before grokking (seen at ${testSeen})`);

  // The page's own exact markers tell the same story, with a long plateau between.
  const m = await readMetrics(page);
  assert.ok(m.memorisedAt < 200, `memorised at step ${m.memorisedAt}`);
  assert.ok(m.grokkedAt > 5 * m.memorisedAt, `grokked at ${m.grokkedAt}, memorised at ${m.memorisedAt}`);
  const status = await page.textContent('#status');
  assert.equal(status, `memorised at step ${m.memorisedAt} · grokked at step ${m.grokkedAt}`);
  console.log(`# default run: train ≥ 0.99 first seen at step ${trainSeen}, test ≥ 0.95 at step ${testSeen}; page markers: memorised ${m.memorisedAt}, grokked ${m.grokkedAt}; speed ${await page.textContent('#sps')}`);

  await sleep(600);
  await screenshot(page, 'playground-grokked');
  await finish(opened);
});

test('without weight decay (set on its slider) the network only memorises', { timeout: 180_000 }, async () => {
  const opened = await open('?autoplay=0');
  const { page } = opened;
  await waitForMetric(page, (m) => m.state === 'idle' && m.step === 0, 30_000);
  assert.equal(await page.textContent('#wd-value'), '1');

  // The way a keyboard user does it: focus the slider, press Home.
  await page.focus('#wd');
  await page.keyboard.press('Home');
  assert.equal(await page.textContent('#wd-value'), '0');
  assert.equal(await page.inputValue('#wd'), '0');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('wd') === '0');

  await page.focus('#play');
  await page.keyboard.press('Enter');
  await waitForMetric(page, (m) => m.state === 'running', 30_000);
  assert.equal(await page.textContent('#play'), 'Pause');

  let last;
  const deadline = Date.now() + 150_000;
  do {
    last = await readMetrics(page);
    assert.ok(last.testAcc < 0.5, `test accuracy ${last.testAcc} at step ${last.step}`);
    assert.ok(Date.now() < deadline, `too slow: ${JSON.stringify(last)}`);
    await sleep(250);
    // Past step ~1100, where the same run with decay 1 groks (the test above); that it
    // never does, for 3000 steps, is tests/grokking.rs's.
  } while (last.step < 1300);
  assert.ok(last.trainAcc >= 0.99, `it still memorises: train accuracy ${last.trainAcc}`);
  console.log(`# wd = 0: step ${last.step}, train ${last.trainAcc}, test ${last.testAcc}`);

  // Pause stops it, and says so.
  await page.click('#play');
  await waitForMetric(page, (m) => m.state === 'paused', 10_000);
  assert.equal(await page.textContent('#play'), 'Play');
  await finish(opened);
});

test('a link with garbage parameters still loads, explains, and trains', { timeout: 60_000 }, async () => {
  const opened = await open('?p=banana&wd=-3&frac=7&lr=NaN&zzz=1&op=pow');
  const { page } = opened;
  const first = await waitForMetric(page, (m) => m.state === 'running' && m.step > 0, 30_000);
  await waitForMetric(page, (m) => m.step > first.step + 10, 30_000);

  const notice = await noticeText(page);
  for (const bit of ['p=banana', 'wd=-3', 'frac=7', 'lr=NaN', '"zzz"', 'op=pow']) {
    assert.ok(notice.includes(bit), `the notice mentions ${bit}: ${notice}`);
  }
  // What it runs instead: defaults for garbage, clamped values for out-of-range ones.
  const params = new URL(await page.inputValue('#share-url')).searchParams;
  assert.equal(params.get('p'), '97');
  assert.equal(params.get('op'), 'add');
  assert.equal(params.get('wd'), '0');
  assert.equal(params.get('frac'), '0.95');
  assert.equal(params.get('lr'), '0.01');
  assert.equal(params.get('zzz'), null);
  assert.equal(await page.inputValue('#p'), '97');
  assert.equal(await page.textContent('#wd-value'), '0');
  await finish(opened);
});

test('a copied link replays the run to the same numbers', { timeout: 120_000 }, async () => {
  const opened = await open('?seed=3&until=400');
  const { page } = opened;
  const here = await waitForMetric(page, (m) => m.state === 'paused', 90_000);
  assert.equal(here.step, 400, 'paused exactly at until');

  await page.click('#copy-link');
  const link = await page.inputValue('#share-url');
  assert.equal(link, page.url(), 'the link box shows the URL the page keeps in sync');
  const params = new URL(link).searchParams;
  assert.equal(params.get('seed'), '3');
  assert.equal(params.get('until'), '400');
  // The clipboard may be refused headless; either way the page says what happened.
  await page.waitForFunction(() => /copied|clipboard/.test(document.querySelector('#notice-text').textContent), null, { timeout: 10_000 });

  const again = await openPage(browser, link);
  const there = await waitForMetric(again.page, (m) => m.state === 'paused', 90_000);
  assert.equal(there.step, 400);
  for (const key of ['trainAcc', 'testAcc', 'trainLoss', 'testLoss', 'weightNorm']) {
    assert.equal(there[key], here[key], `${key} reproduced exactly`);
  }
  console.log(`# seed 3 at step 400: train ${here.trainAcc}, test ${here.testAcc}, loss ${here.trainLoss}`);
  await finish(again);
  await finish(opened);
});

test('a cut of the training set applies at once, is marked in the link, and replays', { timeout: 120_000 }, async () => {
  const opened = await open('?p=23&frac=0.5&until=100');
  const { page } = opened;
  const before = await waitForMetric(page, (m) => m.state === 'paused' && m.step === 100, 60_000);
  assert.ok(before.trainPairs > 200, `training pairs before the cut: ${before.trainPairs}`);

  await page.selectOption('#shrink-keep', '0.25');
  await page.click('#shrink');
  const cut = await waitForMetric(page, (m) => m.trainPairs < before.trainPairs, 10_000);
  assert.equal(cut.trainPairs, Math.round(before.trainPairs * 0.25), 'a quarter of the pairs kept');
  assert.equal(cut.step, 100, 'applied at once, before the next step');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('shrink') === '100:0.25');

  for (let i = 0; i < 5; i++) await page.click('#step');
  const here = await waitForMetric(page, (m) => m.step === 105 && m.state === 'paused', 10_000);
  const link = await page.inputValue('#share-url');
  assert.equal(new URL(link).searchParams.get('until'), '105');

  const again = await openPage(browser, link);
  const there = await waitForMetric(again.page, (m) => m.state === 'paused', 60_000);
  assert.equal(there.step, 105);
  for (const key of ['trainPairs', 'trainAcc', 'testAcc', 'trainLoss', 'testLoss', 'weightNorm']) {
    assert.equal(there[key], here[key], `${key} reproduced exactly`);
  }
  await finish(again);
  await finish(opened);
});

test('division by a composite modulus is explained and the page keeps working', { timeout: 60_000 }, async () => {
  const opened = await open('?op=div&p=91');
  const { page } = opened;
  await page.waitForFunction(() => document.querySelector('#notice-text').textContent !== '');
  const notice = await noticeText(page);
  assert.match(notice, /not prime/);
  assert.match(notice, /91 = 7 × 13/);
  assert.equal((await readMetrics(page)).state, 'idle');
  assert.ok(await page.isDisabled('#play'), 'nothing to play');

  // Choosing an operation that works with any modulus starts a run.
  await page.selectOption('#op', 'add');
  await waitForMetric(page, (m) => m.state === 'running' && m.step > 5, 30_000);
  assert.doesNotMatch(await noticeText(page), /not prime/);
  assert.equal(new URL(page.url()).searchParams.get('p'), '91');
  await finish(opened);
});

test('a diverging run stops with a message and Reset recovers', { timeout: 60_000 }, async () => {
  const opened = await open('?lr=10');
  const { page } = opened;
  const m = await waitForMetric(page, (x) => x.state === 'diverged', 30_000);
  assert.ok(m.step > 0 && m.step < 100, `diverged at step ${m.step}`);
  assert.match(await noticeText(page), /diverged at step \d+/);
  assert.ok(await page.isDisabled('#play'));

  await page.click('#reset');
  await waitForMetric(page, (x) => x.state === 'idle' && x.step === 0, 10_000);
  assert.doesNotMatch(await noticeText(page), /diverged/);

  // A sane learning rate, then Play: it trains again.
  await page.focus('#lr');
  for (let i = 0; i < 30; i++) await page.keyboard.press('ArrowLeft'); // 10 → 0.01
  assert.equal(await page.textContent('#lr-value'), '0.01');
  await page.click('#play');
  await waitForMetric(page, (x) => x.state === 'running' && x.step > 20, 30_000);
  await finish(opened);
});

test('the page fits a phone screen, with crisp canvases', { timeout: 60_000 }, async () => {
  const opened = await open('', { width: 390, height: 844 });
  const { page } = opened;
  // A phone's screen has 2–3 device pixels per CSS pixel. Switching the ratio after load
  // also exercises the page's reaction to a change of zoom or screen.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setDeviceMetricsOverride', { width: 390, height: 844, deviceScaleFactor: 2, mobile: true });
  // The narrower page is longer: bring the playground back on screen (it trains only there).
  await page.evaluate(() => document.getElementById('playground').scrollIntoView());
  await waitForMetric(page, (m) => m.state === 'running' && m.step > 30, 30_000);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page wider than the screen by ${overflow}px`);

  // Every canvas has one pixel per device pixel.
  await sleep(500);
  const sizes = await page.evaluate(() => [...document.querySelectorAll('canvas.plot')]
    .map((c) => ({ id: c.id, css: c.getBoundingClientRect().width, px: c.width, dpr: devicePixelRatio })));
  assert.equal(sizes[0].dpr, 2);
  for (const s of sizes) assert.ok(Math.abs(s.px - s.css * s.dpr) <= 2, JSON.stringify(s));

  // Reading order on a narrow screen: the run, its main curve, then the settings.
  const top = (sel) => page.evaluate((s) => document.querySelector(s).getBoundingClientRect().top, sel);
  assert.ok(await top('#metrics') < await top('#fig-accuracy'));
  assert.ok(await top('#fig-accuracy') < await top('#wd'));
  await screenshot(page, 'playground-phone');
  await finish(opened);
});

test('the page loads the relaxed-SIMD build where the browser has relaxed SIMD', { timeout: 60_000 }, async () => {
  const opened = await open('?p=23&autoplay=0');
  const { page } = opened;
  await waitForMetric(page, (m) => m.state === 'idle' || m.state === 'paused', 30_000);
  await page.click('#step');
  await waitForMetric(page, (m) => m.step >= 1, 30_000);
  // scripts/site puts the modules under v-HASH/www/: import from beside main.js.
  const relaxed = await page.evaluate(async () => {
    const main = document.querySelector('script[type="module"][src$="/main.js"]').src;
    return (await import(new URL('wasm.js', main).href)).relaxedSimd;
  });
  assert.equal(relaxed, true, 'Chromium validates relaxed-SIMD code');
  // The page's own fetches (the worker picks its build with the same loadWasm()).
  const wasm = await page.evaluate(() =>
    performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.wasm')),
  );
  assert.equal(wasm.length, 1, `one wasm build fetched: ${wasm}`);
  assert.match(wasm[0], /^\/v-[0-9a-f]{12}\/www\/pkg\/grokking_relaxed_bg\.wasm$/);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.wasm), 'relaxed');
  await finish(opened);
});

test('where the relaxed build does not compile, the page and its workers load the plain one', { timeout: 60_000 }, async () => {
  // An engine that validates the probe's instruction but not every one the build uses
  // (WebKit with JSC_useWasmRelaxedSIMD=1): here, the relaxed build's bytes are garbage.
  // No service worker, whose cache would hold the real build.
  const context = await browser.newContext({ serviceWorkers: 'block' });
  await context.route('**/grokking_relaxed_bg.wasm', (route) =>
    route.fulfill({ status: 200, contentType: 'application/wasm', body: Buffer.from('\0asm\x01\0\0\0garbage') }));
  const warnings = [];
  context.on('console', (msg) => { if (msg.type() === 'warning') warnings.push(msg.text()); });
  const opened = await openPage(context, '?p=23#playground');
  const { page } = opened;
  await page.setViewportSize(DESKTOP);
  const m = await waitForMetric(page, (x) => x.state === 'running' && x.step >= 20, 30_000);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.wasm), 'plain');
  assert.ok(m.workers >= 2, `the training workers all loaded a build: ${m.workers}`);
  // The page, the training worker and each follower fell back once.
  const fellBack = warnings.filter((w) => w.startsWith('the relaxed-SIMD build does not compile here'));
  assert.equal(fellBack.length, 1 + m.workers, warnings.join('\n'));
  const wasm = await page.evaluate(() =>
    performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname.split('/').pop()).filter((f) => f.endsWith('.wasm')));
  assert.deepEqual(wasm, ['grokking_relaxed_bg.wasm', 'grokking_bg.wasm']);
  await finish(opened);
  await context.close();
});
