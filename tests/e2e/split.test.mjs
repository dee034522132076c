// End-to-end test of the split training path (worker.js + follower.js): on the served
// page (cross-origin isolated, so SharedArrayBuffer is available) a run is split between
// the leader and its followers, and the numbers it reaches — and its whole recorded history: the
// test set measured half by each worker or whole by the follower, and the hidden-progress
// measures the leader takes meanwhile — are bit-identical to the same run trained by a
// single Session in one thread.
//
// Run by scripts/test against the page it serves (BASE_URL), or by hand:
//   BASE_URL=http://127.0.0.1:8000/ node --test tests/e2e/split.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, openPage, waitForMetric } from './run.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a run split between workers matches one worker bit for bit', { timeout: 120_000 }, async () => {
  const opened = await openPage(browser, '?p=47&seed=3&until=300#playground');
  const { page } = opened;
  const workerUrls = () => page.workers().map((w) => w.url());
  const isolated = await page.evaluate(() => self.crossOriginIsolated);
  assert.equal(isolated, true, 'the server sends the cross-origin isolation headers');

  const split = await waitForMetric(page, (m) => m.state === 'paused', 90_000);
  assert.equal(split.step, 300, 'paused exactly at until');
  // As many workers as help: here (two cores or more, two gradient shards) two.
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  assert.ok(cores >= 2, `this test needs two cores (has ${cores})`);
  assert.equal(split.workers, 2, 'the page says two workers shared the steps');
  const followers = workerUrls().filter((u) => u.endsWith('/follower.js'));
  assert.equal(followers.length, split.workers - 1, `one follower per worker but the leader: ${workerUrls()}`);

  // The same run, one Session on the page's main thread, one step at a time on one core.
  const alone = await page.evaluate(async () => {
    // scripts/site puts the modules under v-HASH/www/: import from beside main.js.
    const main = document.querySelector('script[type="module"][src$="/main.js"]').src;
    const { loadWasm } = await import(new URL('wasm.js', main).href);
    const wasm = await import(new URL('pkg/grokking.js', main).href);
    await loadWasm(wasm.default);
    const session = new wasm.Session({ config: { p: 47, seed: 3 } });
    session.set_track_progress(true); // as the page's worker does
    const { taken } = session.advance(300);
    const { metrics } = session.snapshot(true);
    const history = JSON.parse(session.history_json());
    session.free();
    return { taken, metrics, history };
  });
  assert.equal(alone.taken, 300);

  // The history as the page exports it, point by point and measure by measure.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-json')]);
  const history = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.ok(alone.history.progress.length >= 10, `progress measures taken: ${alone.history.progress.length}`);
  assert.ok(alone.history.progress.some((pt) => pt.measures !== null), 'with restricted and excluded loss');
  assert.deepEqual(history.points, alone.history.points, 'recorded points on two workers and on one');
  assert.deepEqual(history.progress, alone.history.progress, 'progress measures on two workers and on one');
  const pairs = [
    ['trainLoss', 'train_loss'],
    ['testLoss', 'test_loss'],
    ['trainAcc', 'train_acc'],
    ['testAcc', 'test_acc'],
    ['weightNorm', 'weight_norm'],
  ];
  for (const [shown, raw] of pairs) {
    assert.equal(split[shown], alone.metrics[raw], `${shown}: two workers ${split[shown]}, one ${alone.metrics[raw]}`);
  }
  console.log(`# p=47 seed 3 at step 300: train loss ${split.trainLoss} on two workers and on one`);
  assert.deepEqual(opened.problems(), []);
  await page.close();

  // workers=1 and workers=4 (more workers than this machine's two cores: they take turns,
  // and still every step is summed in the same order): the same run, to the same bits.
  for (const workers of [1, 4]) {
    const other = await openPage(browser, `?p=47&seed=3&until=300&workers=${workers}#playground`);
    const m = await waitForMetric(other.page, (x) => x.state === 'paused', 120_000);
    assert.equal(m.workers, workers, `workers=${workers} is what the page used`);
    const followers = other.page.workers().filter((w) => w.url().endsWith('/follower.js'));
    assert.equal(followers.length, workers - 1, `${workers - 1} followers`);
    for (const [shown] of pairs) assert.equal(m[shown], split[shown], `${shown} on ${workers} workers`);
    assert.deepEqual(other.problems(), []);
    await other.page.close();
  }
});
