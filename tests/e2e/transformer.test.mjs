// End-to-end tests of the transformer in headless Chromium: the article's section 7 trains
// the transformer preset when scrolled into view, memorises, then groks (it stops once
// grokked), draws its attention and neuron figures, and shows the clock-or-pizza verdict
// for both networks; the playground's "The transformer" preset and its Network and heads
// menus start transformer runs, and a head count that does not divide the width is
// explained while the page keeps working.
//
//   BASE_URL=http://127.0.0.1:8000/ node --test tests/e2e/transformer.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, openPage, readMetrics, waitForMetric, screenshotOf } from './run.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function open(query) {
  const opened = await openPage(browser, query);
  await opened.page.setViewportSize({ width: 1280, height: 900 });
  return opened;
}

async function finish(opened) {
  assert.deepEqual(opened.problems(), [], 'console errors, page errors or bad requests');
  await opened.page.close();
}

/** Pixels of `selector`'s canvas that differ from its top-left pixel (the background). */
function ink(page, selector) {
  return page.evaluate((s) => {
    const canvas = document.querySelector(s);
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - data[0]) + Math.abs(data[i + 1] - data[1]) + Math.abs(data[i + 2] - data[2]) > 30) n += 1;
    }
    return { n, total: canvas.width * canvas.height };
  }, selector);
}

test('section 7: the transformer preset memorises, then groks; attention, neurons and both verdicts are shown', { timeout: 300_000 }, async () => {
  const facts = JSON.parse(await readFile(new URL('../../www/facts.json', import.meta.url), 'utf8'));
  const opened = await open('?autoplay=0');
  const { page } = opened;
  await page.waitForFunction(() => document.documentElement.dataset.facts === 'filled', null, { timeout: 30_000 });
  // Before any run here has grokked, the table shows what the command line measured.
  for (const [id, fact] of [['verdict-mlp', facts.default], ['verdict-transformer', facts.transformer]]) {
    const cells = await page.$$eval(`#${id} td`, (tds) => tds.map((td) => td.textContent));
    assert.deepEqual(cells, [
      fact.clock_pizza.gradient_symmetricity.toFixed(3),
      fact.clock_pizza.distance_irrelevance.toFixed(3),
      fact.clock_pizza.verdict,
    ], `${id} from facts.json`);
  }

  await page.locator('#transformer .live').scrollIntoViewIfNeeded();
  await page.click('#transformer-play');
  const memorised = await waitForMetric(page, (m) => m.memorisedAt > 0, 150_000, '#run-transformer');
  assert.ok(memorised.testAcc < 0.5, `memorised at ${memorised.memorisedAt} before generalising (test ${memorised.testAcc})`);
  const done = await waitForMetric(page, (m) => m.grokkedAt > 0 && m.state === 'paused', 240_000, '#run-transformer');
  // The same phenomenon and time scale as the command line's (the builds round differently).
  assert.ok(done.grokkedAt >= 2 * done.memorisedAt, `grokked at ${done.grokkedAt}, memorised at ${done.memorisedAt}`);
  assert.ok(Math.abs(done.grokkedAt - facts.transformer.grokked) <= 0.25 * facts.transformer.grokked,
    `grokked at ${done.grokkedAt} in the page, ${facts.transformer.grokked} on the command line`);

  // The figures: attention per head over the run, the neuron × frequency map once grokked.
  await page.waitForFunction(() => document.querySelector('#transformer-summary').textContent.includes('Clock or pizza'), null, { timeout: 30_000 });
  for (const fig of ['#fig-transformer-attention', '#fig-transformer-neurons', '#fig-transformer-acc']) {
    // Figures are drawn while on screen.
    await page.evaluate((s) => document.querySelector(s).scrollIntoView({ block: 'center' }), fig);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const { n, total } = await ink(page, fig);
    assert.ok(n > total / 100 && n < total / 1.5, `${fig}: ${n} of ${total} pixels drawn`);
  }
  // The transformer's verdict is now the page's own, from the grokked run.
  const row = await page.$eval('#verdict-transformer', (tr) => ({
    source: tr.dataset.source, verdict: tr.dataset.verdict, text: tr.querySelector('.verdict').textContent,
  }));
  assert.equal(row.source, 'live');
  assert.ok(['clock', 'pizza', 'unclear'].includes(row.verdict), row.verdict);
  assert.match(row.text, new RegExp(`^${row.verdict} \\(live, step`));
  await screenshotOf(page, '#transformer', 'article-transformer-desktop');
  await finish(opened);
});

test('the playground: the transformer preset, the Network and heads menus, and heads that do not divide d', { timeout: 120_000 }, async () => {
  const opened = await open('?autoplay=0#playground');
  const { page } = opened;
  await page.locator('#playground').scrollIntoViewIfNeeded();
  assert.equal(await page.inputValue('#model'), 'mlp');
  assert.equal(await page.isDisabled('#heads'), true, 'heads are not offered for the MLP');

  await page.click('[data-preset="transformer"]');
  await waitForMetric(page, (m) => m.state === 'running' && m.step >= 5, 60_000);
  assert.equal(await page.inputValue('#model'), 'transformer');
  assert.equal(await page.isDisabled('#heads'), false);
  const params = new URL(await page.inputValue('#share-url')).searchParams;
  // A link may leave out what is at the default run's value (heads 4, wd 1).
  const defaults = { heads: '4', wd: '1' };
  for (const [key, value] of Object.entries({ model: 'transformer', d: '32', heads: '4', hidden: '128', lr: '0.003', wd: '1', frac: '0.4' })) {
    assert.equal(params.get(key) ?? defaults[key], value, `the link says ${key}=${value}`);
  }

  // Another head count restarts the run; 8 heads cannot share d = 4: the page says why.
  await page.selectOption('#heads', '2');
  await waitForMetric(page, (m) => m.state === 'running' && m.step >= 3, 60_000);
  assert.equal(new URL(await page.inputValue('#share-url')).searchParams.get('heads'), '2');
  await page.selectOption('#d', '4');
  await waitForMetric(page, (m) => m.state === 'running' && m.step >= 3, 60_000);
  await page.selectOption('#heads', '8');
  await page.waitForFunction(() => /divide/.test(document.querySelector('#notice-text').textContent), null, { timeout: 20_000 });
  assert.ok(await page.isDisabled('#play'), 'nothing to play');
  // Back to the MLP: the notice goes, and it trains again (Play, if the error stopped it).
  await page.selectOption('#model', 'mlp');
  await page.waitForFunction(() => !/divide/.test(document.querySelector('#notice-text').textContent), null, { timeout: 20_000 });
  await page.waitForSelector('#play:not([disabled])', { timeout: 20_000 });
  assert.equal(await page.isDisabled('#heads'), true);
  await finish(opened);
});
