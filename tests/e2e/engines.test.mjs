// The page in three browser engines — Chromium, Firefox ESR and WebKitGTK — driven through
// W3C WebDriver (engines.mjs). A smoke suite: what a reader does first, in every engine,
// while the Chromium-only files (playground, article, phase, split, hosting) go deep.
//
//   - which wasm build loads (www/wasm.js picks the relaxed-SIMD one where the engine
//     validates relaxed-SIMD code), and on how many workers the playground trains;
//   - a run memorises, then groks ("Stop when grokked" pauses it there), and how many
//     steps a second the engine trains: p = 23 with 90% of the pairs to train on, which
//     memorises at ~30 and groks at ~250 (the default run, ~75 and ~1100, is
//     playground.test.mjs's in Chromium; in WebKitGTK here it takes over two minutes);
//   - a link with garbage parameters loads with a visible notice and trains;
//   - a 3 × 3 phase diagram fills in;
//   - after one visit the page loads and trains with its server gone (the service worker).
//
// scripts/test runs it against the page it serves (BASE_URL); by hand:
//   scripts/build && cargo build --release --bin serve && target/release/serve --root dist &
//   BASE_URL=http://127.0.0.1:8000/ ENGINES=webkit node --test tests/e2e/engines.test.mjs

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { By } from 'selenium-webdriver';
import { ENGINES, installed, startEngine } from './engines.mjs';
import { BASE_URL, startServer } from './run.mjs';

const DIST = fileURLToPath(new URL('../../dist', import.meta.url));

/**
 * What each engine does with this page here, as measured (README, "Browsers"):
 *   wasm     the build www/wasm.js loads: 'relaxed' (relaxed SIMD) or 'plain' (SIMD only)
 *   workers  how many workers split the playground's steps: more than one need
 *            SharedArrayBuffer, which WebKitGTK 2.50 does not expose even to a cross-origin
 *            isolated page (WebKit bug 317847), so it trains on one; 'split' is at least two
 *            (2 on this 2-core machine; params.js workerCount gives more on more cores)
 */
const EXPECTED = {
  chromium: { wasm: 'relaxed', workers: 'split', sharedArrayBuffer: true },
  firefox: { wasm: 'relaxed', workers: 'split', sharedArrayBuffer: true },
  webkit: { wasm: 'plain', workers: 1, sharedArrayBuffer: false },
};

/** Asserts a run's worker count against EXPECTED's `workers`. */
function assertWorkers(workers, expected) {
  if (expected === 'split') assert.ok(workers >= 2, `the steps split between workers: ${workers}`);
  else assert.equal(workers, expected, 'workers');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read()` until `predicate` holds; throws with the last value after timeoutMs. */
async function until(read, predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await read();
    if (predicate(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await sleep(200);
  }
}

/** The data-* of an element, numeric-looking values as numbers (null if it is missing). */
function dataOf(driver, selector) {
  return driver.executeScript(`
    const el = document.querySelector(arguments[0]);
    if (el === null) return null;
    const out = {};
    for (const [k, v] of Object.entries(el.dataset)) {
      out[k] = k !== 'state' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
    }
    return out;`, selector);
}

const metrics = (driver) => dataOf(driver, '#metrics');
const text = (driver, selector) => driver.executeScript('return document.querySelector(arguments[0]).textContent', selector);

/**
 * What went wrong on the page that classic WebDriver can show (it has no console log in
 * every engine): a notice that the page or its worker failed, and any resource fetched
 * from another origin.
 */
async function pageProblems(driver) {
  return driver.executeScript(`
    const problems = [];
    const notice = document.querySelector('#notice-text')?.textContent ?? '';
    if (/could not start|worker failed|could not load/.test(notice)) problems.push('notice: ' + notice);
    for (const e of performance.getEntriesByType('resource')) {
      if (new URL(e.name).origin !== location.origin) problems.push('off-origin: ' + e.name);
    }
    return problems;`);
}

/** Which wasm file the page fetched (the workers choose the same way). */
function wasmFetched(driver) {
  return driver.executeScript(`return performance.getEntriesByType('resource')
    .map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.wasm'))`);
}

for (const name of ENGINES) {
  const missing = installed(name);
  describe(`${name}`, { skip: missing.length > 0 && `not installed: ${missing.join(', ')} (scripts/setup --browser)` }, () => {
    const expected = EXPECTED[name];
    let engine;
    let driver;
    before(async () => {
      engine = await startEngine(name);
      driver = engine.driver;
      await driver.manage().window().setRect({ width: 1280, height: 1000 });
    });
    after(async () => {
      await engine?.quit();
    });

    test('loads its wasm build, memorises, then groks', { timeout: 300_000 }, async () => {
      const requested = Date.now();
      await driver.get(new URL('?p=23&frac=0.9&stop=1#playground', BASE_URL).href);
      const features = await driver.executeScript(`return {
        isolated: self.crossOriginIsolated, sab: typeof SharedArrayBuffer === 'function',
        cores: navigator.hardwareConcurrency, ua: navigator.userAgent }`);
      console.log(`# ${name}: ${features.ua}; crossOriginIsolated ${features.isolated}, SharedArrayBuffer ${features.sab}, hardwareConcurrency ${features.cores}`);
      assert.equal(features.isolated, true, 'our server sends COOP/COEP');
      assert.equal(features.sab, expected.sharedArrayBuffer, 'SharedArrayBuffer');
      // Where it trains on one worker, the page says why (hosting.js, a module: WebKit's
      // driver returns from get() while the page is still 'interactive').
      await until(() => driver.executeScript('return document.readyState'), (v) => v === 'complete', 60_000, 'the page to load');
      const note = await driver.findElement(By.css('#isolation-note'));
      assert.equal(await note.isDisplayed(), expected.workers === 1, 'the one-worker note');
      if (expected.workers === 1) assert.match(await note.getText(), /one worker.*SharedArrayBuffer/s);

      // Polls the run; notes the time of its first and last step, and the page's own
      // steps/s readout while it trains. A fast engine can train p = 23 to its grokking
      // pause (a few hundred cheap steps) before the first poll sees it running: then the
      // run is timed from the request, and a run under a second is not timed at all.
      let first = null;
      const speeds = [];
      const last = await until(async () => {
        const m = await metrics(driver);
        if (m?.state === 'running' && m.step > 0) {
          first ??= { step: m.step, t: Date.now() };
          const sps = Number.parseFloat(await text(driver, '#sps'));
          if (Number.isFinite(sps) && m.step >= 100) speeds.push(sps);
        }
        assert.notEqual(m?.state, 'diverged');
        return m;
      }, (m) => m?.state === 'paused' && m.grokkedAt !== '', 240_000, 'the run to grok and pause');
      first ??= { step: 0, t: requested };
      const seconds = (Date.now() - first.t) / 1000;

      const build = await driver.executeScript('return document.documentElement.dataset.wasm');
      assert.equal(build, expected.wasm, 'the wasm build');
      const fetched = await wasmFetched(driver);
      const file = build === 'relaxed' ? 'grokking_relaxed_bg.wasm' : 'grokking_bg.wasm';
      assert.ok(fetched.length === 1 && fetched[0].endsWith(`/pkg/${file}`), `fetched ${fetched}`);
      assertWorkers(last.workers, expected.workers);

      assert.ok(last.memorisedAt > 0 && last.memorisedAt <= 200, `memorised at step ${last.memorisedAt}`);
      assert.ok(last.grokkedAt >= 5 * last.memorisedAt, `grokked at ${last.grokkedAt}, memorised at ${last.memorisedAt}`);
      assert.ok(last.grokkedAt <= 3000, `grokked at ${last.grokkedAt}`);
      assert.ok(last.trainAcc >= 0.99 && last.testAcc >= 0.95, JSON.stringify(last));
      assert.equal(last.step, last.grokkedAt + 1, 'paused right after the step it grokked at');
      assert.match(await text(driver, '#status'), new RegExp(`grokked at step ${last.grokkedAt}`));
      speeds.sort((a, b) => a - b);
      const median = speeds[Math.floor(speeds.length / 2)];
      const timed = seconds >= 1
        ? `${((last.step - first.step) / seconds).toFixed(1)} steps/s over ${seconds.toFixed(1)} s`
        : `too quick to time (${seconds.toFixed(1)} s)`;
      console.log(`# ${name}: ${build} build, ${last.workers} worker(s); memorised at ${last.memorisedAt}, grokked at ${last.grokkedAt}, paused at ${last.step}; ${timed}; median of #sps from step 100: ${median ?? 'none read'}`);
      assert.deepEqual(await pageProblems(driver), []);
    });

    test('a garbage link loads with a notice and trains', { timeout: 120_000 }, async () => {
      await driver.get(new URL('?p=abc&frac=9&zzz=1#playground', BASE_URL).href);
      const first = await until(() => metrics(driver), (m) => m?.state === 'running' && m.step > 0, 60_000, 'training');
      await until(() => metrics(driver), (m) => m.step >= first.step + 20, 60_000, 'more steps');
      const notice = await driver.findElement(By.css('#notice'));
      assert.equal(await notice.isDisplayed(), true, 'the notice is visible');
      const said = await notice.getText();
      for (const bit of ['p=abc', 'frac=9', 'zzz']) assert.ok(said.includes(bit), `the notice mentions ${bit}: ${said}`);
      const params = new URL(await driver.executeScript("return document.querySelector('#share-url').value")).searchParams;
      assert.equal(params.get('p'), '97', 'the default modulus');
      assert.equal(params.get('frac'), '0.95', 'the fraction clamped');
      assert.equal(params.get('zzz'), null);
      assert.deepEqual(await pageProblems(driver), []);
    });

    test('a 3 × 3 phase diagram fills in', { timeout: 240_000 }, async () => {
      await driver.get(new URL('?phase-wd=0,1,3&phase-frac=0.3,0.5,0.7&phase-steps=400&phase-p=23&phase-run=1#phase-diagram', BASE_URL).href);
      const t0 = Date.now();
      const done = await until(() => dataOf(driver, '#phase'), (s) => s?.state === 'done', 200_000, 'the grid');
      assert.equal(done.done, 9);
      assert.equal(done.total, 9);
      const cells = await driver.executeScript(`return [...document.querySelectorAll('#phase-table button.cell')]
        .map((b) => ({ wd: Number(b.dataset.wd), frac: Number(b.dataset.frac), phase: b.dataset.phase }))`);
      assert.equal(cells.length, 9);
      const phases = ['confusion', 'memorisation', 'grokking', 'comprehension'];
      for (const c of cells) assert.ok(phases.includes(c.phase), `cell ${c.wd}/${c.frac}: ${c.phase}`);
      // No weight decay: memorises, never generalises (DESIGN.md).
      for (const c of cells.filter((x) => x.wd === 0)) assert.equal(c.phase, 'memorisation', `wd 0, frac ${c.frac}`);
      assert.match(await text(driver, '#phase-eta'), /All 9 cells done/);
      console.log(`# ${name}: 3 × 3 phase grid at p = 23, 400 steps, ${done.workers} workers, in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${cells.map((c) => `${c.wd}/${c.frac}=${c.phase}`).join(' ')}`);
      assert.deepEqual(await pageProblems(driver), []);
    });

    test('after one visit it loads and trains with its server gone', { timeout: 180_000 }, async () => {
      // A server of our own, to stop: the page's origin then has no network at all.
      const server = await startServer(DIST);
      try {
        await driver.get(`${server.url}?autoplay=0#playground`);
        await until(() => driver.executeScript('return navigator.serviceWorker?.controller != null'),
          (v) => v === true, 60_000, 'a service worker to control the page');
        const before = await driver.executeScript("return document.querySelector('script[src$=\"/main.js\"]').getAttribute('src')");
        await server.stop();
        // A reader's reload. (Not WebDriver's refresh: geckodriver's bypasses the service
        // worker, like a forced reload, and meets the dead server.)
        await driver.executeScript('window.beforeReload = true; location.reload()');
        await until(() => driver.executeScript("return window.beforeReload === undefined && document.readyState === 'complete'"),
          (v) => v === true, 60_000, 'the reloaded page');
        const after = await driver.executeScript("return document.querySelector('script[src$=\"/main.js\"]')?.getAttribute('src') ?? null");
        assert.equal(after, before, 'the same build, from the cache');
        assert.equal(await driver.executeScript('return self.crossOriginIsolated'), true, 'the cached page kept COOP/COEP');
        // Ready: its run made ('idle' comes once the controls are wired; a weight norm
        // only with the worker's first snapshot).
        await until(() => metrics(driver), (m) => m?.state === 'idle' && typeof m.weightNorm === 'number', 60_000, 'the playground');
        await driver.findElement(By.css('#play')).click();
        const m = await until(() => metrics(driver), (x) => x.step >= 50, 60_000, '50 steps offline');
        assertWorkers(m.workers, expected.workers);
        assert.ok(m.trainAcc > 0.3, `it learns: ${JSON.stringify(m)}`);
        assert.equal(await driver.executeScript('return document.documentElement.dataset.wasm'), expected.wasm);
        assert.deepEqual(await pageProblems(driver), []);
      } finally {
        await server.stop();
      }
    });
  });
}

// What made www/wasm.js fall back: WebKit with its relaxed SIMD switched on
// (JSC_useWasmRelaxedSIMD=1) validates the probe's instruction, then rejects the relaxed
// build ("invalid extended simd op"). The page and its worker must load the plain one.
const webkitMissing = installed('webkit');
describe('webkit with relaxed SIMD switched on', {
  skip: (!ENGINES.includes('webkit') && 'ENGINES has no webkit')
    || (webkitMissing.length > 0 && `not installed: ${webkitMissing.join(', ')}`),
}, () => {
  test('validates the probe, cannot compile the relaxed build, trains on the plain one', { timeout: 120_000 }, async () => {
    const engine = await startEngine('webkit', { env: { JSC_useWasmRelaxedSIMD: '1' } });
    try {
      const { driver } = engine;
      await driver.get(new URL('?p=23&frac=0.9#playground', BASE_URL).href);
      await until(() => driver.executeScript('return document.readyState'), (v) => v === 'complete', 60_000, 'the page to load');
      const probe = await driver.executeAsyncScript(`const done = arguments[arguments.length - 1];
        const main = document.querySelector('script[src$="/main.js"]').src;
        import(new URL('wasm.js', main).href).then(async (m) => {
          let compiled;
          try {
            await WebAssembly.compile(await (await fetch(new URL('pkg/grokking_relaxed_bg.wasm', main))).arrayBuffer());
            compiled = 'compiled';
          } catch (err) {
            compiled = err.name + ': ' + err.message;
          }
          done({ relaxedSimd: m.relaxedSimd, compiled });
        }, (err) => done({ error: String(err) }));`);
      console.log(`# webkit, JSC_useWasmRelaxedSIMD=1: probe validates ${probe.relaxedSimd}; the relaxed build: ${probe.compiled}`);
      assert.equal(probe.relaxedSimd, true, 'the probe validates');
      assert.match(probe.compiled, /^CompileError/, 'the relaxed build does not compile');
      const m = await until(() => metrics(driver), (x) => x?.state === 'running' && x.step >= 20, 60_000, '20 steps');
      assert.equal(m.workers, 1);
      assert.equal(await driver.executeScript('return document.documentElement.dataset.wasm'), 'plain');
      assert.deepEqual(await pageProblems(driver), []);
    } finally {
      await engine.quit();
    }
  });
});
