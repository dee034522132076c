// The built site (dist/) as readers get it from a host: offline after one visit (the
// service worker, www/sw.js), a new build taking over at the next reload, from a
// sub-path, and on one worker, with a notice, where the server does not enable
// cross-origin isolation.
//
// Each test starts servers of its own (target/release/serve): it stops them to go
// offline, swaps builds behind one address, or leaves out the isolation headers.
// scripts/test builds dist/ and the server first; by hand:
//   scripts/build && cargo build --release --bin serve && node --test tests/e2e/hosting.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFile, cp, mkdir, readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { launch, openPage, readMetrics, startServer, waitForMetric } from './run.mjs';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DIST = `${REPO}dist`;
/** Scratch space for the copies of the site these tests serve. */
const WORK = `${REPO}target/e2e-hosting`;

/** Paths of every file under dir, relative to it. */
async function filesUnder(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => `${e.parentPath ?? e.path}/${e.name}`.slice(dir.length + 1));
}

/** The build the page was loaded from: the v-HASH directory its main.js is in. */
function version(page) {
  return page.evaluate(() => document.querySelector('script[type="module"][src$="/main.js"]').getAttribute('src').split('/')[0]);
}

/** The Cache Storage of the page's origin: {cache name: number of entries}. */
function caches(page) {
  return page.evaluate(async () => {
    const out = {};
    for (const name of await self.caches.keys()) out[name] = (await (await self.caches.open(name)).keys()).length;
    return out;
  });
}

/** Waits until a service worker controls the page (it has cached the site by then). */
async function waitForServiceWorker(page) {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
}

/** Presses Play on the playground once it is ready and waits for `steps` steps. */
async function train(page, steps) {
  await page.waitForSelector('#metrics[data-state="idle"], #metrics[data-state="paused"]', { timeout: 30_000 });
  await page.click('#play');
  return waitForMetric(page, (m) => m.step >= steps, 60_000);
}

test('after one visit the page loads and trains offline, from a sub-path, still cross-origin isolated', { timeout: 120_000 }, async () => {
  // The site two directories down, as on a host that serves many sites.
  const root = `${WORK}/subpath`;
  await rm(root, { recursive: true, force: true });
  await mkdir(`${root}/courses`, { recursive: true });
  await cp(DIST, `${root}/courses/grokking`, { recursive: true });
  const server = await startServer(root);
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const opened = await openPage(context, '?autoplay=0#playground', `${server.url}courses/grokking/`);
    const { page } = opened;
    await waitForServiceWorker(page);
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(scope, `${server.url}courses/grokking/`, 'the service worker covers the sub-path only');
    const built = await version(page);
    const files = await filesUnder(`${root}/courses/grokking`);
    // Every file of the site but sw.js itself, index.html as './'.
    assert.deepEqual(await caches(page), { [`grokking ${scope} ${built}`]: files.length - 1 });
    assert.deepEqual(opened.problems(), []);

    // No network at all: the server is gone and the browser is offline.
    await server.stop();
    await context.setOffline(true);
    await page.reload();
    assert.equal(await version(page), built);
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), true,
      'the cached page kept its COOP/COEP headers');
    const metrics = await train(page, 100);
    assert.equal(metrics.workers, 2, 'two workers, so their scripts kept COEP too');
    assert.ok(metrics.trainAcc > 0.5, `it learns: ${JSON.stringify(metrics)}`);
    assert.equal(await page.isVisible('#isolation-note'), false);
    assert.deepEqual([...opened.consoleErrors, ...opened.pageErrors], []);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('a new build replaces the old one at the next reload, and offline too', { timeout: 120_000 }, async () => {
  // Build A is dist/ as built; build B the same sources with one changed line, assembled
  // by the same scripts/site.
  const work = `${WORK}/versions`;
  await rm(work, { recursive: true, force: true });
  await mkdir(`${work}/src-b`, { recursive: true });
  await cp(`${REPO}index.html`, `${work}/src-b/index.html`);
  await cp(`${REPO}www`, `${work}/src-b/www`, { recursive: true });
  await appendFile(`${work}/src-b/www/style.css`, '\n/* build B */\n');
  execFileSync(`${REPO}scripts/site`, ['--out', `${work}/a`], { stdio: 'ignore' });
  execFileSync(`${REPO}scripts/site`, ['--src', `${work}/src-b`, '--out', `${work}/b`], { stdio: 'ignore' });

  let server = await startServer(`${work}/a`);
  const { port } = server;
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const opened = await openPage(context, '?autoplay=0#playground', server.url);
    const { page } = opened;
    await waitForServiceWorker(page);
    const a = await version(page);
    assert.deepEqual(Object.keys(await caches(page)), [`grokking ${server.url} ${a}`]);

    // The host now has build B at the same address.
    await server.stop();
    server = await startServer(`${work}/b`, { port });
    await page.reload();
    const b = await version(page);
    assert.notEqual(b, a, 'one reload shows the new build');
    // Its service worker installs and activates, and the old build's cache goes.
    const deadline = Date.now() + 30_000;
    let names;
    for (;;) {
      names = Object.keys(await caches(page));
      if (names.length === 1 && names[0] === `grokking ${server.url} ${b}`) break;
      assert.ok(Date.now() < deadline, `build B's cache should replace A's: ${names}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Offline, the reader gets build B, whole.
    await server.stop();
    await context.setOffline(true);
    await page.reload();
    assert.equal(await version(page), b);
    await train(page, 50);
    const wasm = await page.evaluate(() =>
      performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.wasm')));
    assert.ok(wasm.length > 0 && wasm.every((p) => p.startsWith(`/${b}/`)), `wasm from build B: ${wasm}`);
    assert.deepEqual([...opened.consoleErrors, ...opened.pageErrors], []);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('without cross-origin isolation the default run trains on one worker, and the page says so', { timeout: 120_000 }, async () => {
  const plain = await startServer(DIST, { args: ['--no-isolation'] });
  const browser = await launch();
  try {
    // Our own server, with the headers: isolated, and no notice.
    const isolated = await openPage(browser, '?autoplay=0');
    assert.equal(await isolated.page.evaluate(() => self.crossOriginIsolated), true);
    assert.equal(await isolated.page.isVisible('#isolation-note'), false);
    await isolated.page.close();

    // A plain static host: no COOP/COEP.
    const opened = await openPage(browser, '#playground', plain.url);
    const { page } = opened;
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), false);
    assert.equal(await page.isVisible('#isolation-note'), true, 'the notice is shown');
    assert.match(await page.innerText('#isolation-note'), /one worker.*cross-origin isolation/s);
    const box = await page.locator('#isolation-note').boundingBox();
    assert.ok(box.height > 0 && box.width > 0);

    // The default run starts by itself (autoplay) and trains, alone.
    const metrics = await waitForMetric(page, (m) => m.step >= 200, 90_000);
    assert.equal(metrics.workers, 1, `one worker: ${JSON.stringify(metrics)}`);
    assert.ok(metrics.trainAcc > 0.9, `it learns: ${JSON.stringify(metrics)}`);
    assert.equal(page.workers().some((w) => w.url().endsWith('/follower.js')), false, 'no follower worker');
    assert.equal((await readMetrics(page)).workers, 1);
    assert.deepEqual(opened.problems(), []);
  } finally {
    await browser.close();
    await plain.stop();
  }
});
