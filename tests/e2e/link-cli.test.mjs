// A share link is the run: the playground's link, made after a slider changed the run
// mid-way and the reader paused it, replays on the command line (`grok train --link`)
// to the same step and the same numbers. The page computes with the relaxed-SIMD wasm
// build and the CLI with AVX2: they differ only in where multiply-adds are fused, so the
// numbers agree to rounding, not to the bit.
//
// Needs target/release/grok (scripts/test builds it); by hand:
//   cargo build --release --bin grok && BASE_URL=http://127.0.0.1:8000/ node --test tests/e2e/link-cli.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { launch, openPage, readMetrics, waitForMetric } from './run.mjs';

const GROK = fileURLToPath(new URL('../../target/release/grok', import.meta.url));
/** How far the page's accuracies may be from the CLI's. */
const TOLERANCE = 0.02;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a link copied after a mid-run change replays on the command line to the same numbers', { timeout: 240_000 }, async () => {
  const opened = await openPage(browser, '#playground');
  const { page } = opened;
  await page.setViewportSize({ width: 1280, height: 1600 });

  // The default run, then weight decay 1 → 0.1 on its slider while it trains: ten key
  // presses, each a change the run records at the step it is at.
  await waitForMetric(page, (m) => m.state === 'running' && m.step >= 150, 60_000);
  await page.focus('#wd');
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowLeft');
  assert.equal(await page.textContent('#wd-value'), '0.1');
  const changedAt = (await readMetrics(page)).step;

  // Some steps later the reader pauses it.
  await waitForMetric(page, (m) => m.step >= changedAt + 200, 60_000);
  await page.click('#play');
  const here = await waitForMetric(page, (m) => m.state === 'paused', 10_000);
  assert.equal(await page.textContent('#wd-value'), '0.1', 'the slider shows the decay in force');

  await page.click('#copy-link');
  const link = await page.inputValue('#share-url');
  const params = new URL(link).searchParams;
  assert.equal(params.get('wd'), '1', 'the run started with decay 1');
  assert.equal(params.get('until'), String(here.step), 'the link pauses where the page did');
  const hyper = params.get('hyper')?.split(',') ?? [];
  assert.ok(hyper.length >= 1, `the change is in the link: ${link}`);
  assert.match(hyper[hyper.length - 1], /^\d+:0\.01:0\.1$/, `the last change sets decay 0.1: ${hyper}`);
  assert.deepEqual(opened.problems(), []);
  await page.close();

  const { stdout } = await promisify(execFile)(GROK, ['train', '--link', link, '--quiet'], { timeout: 120_000 });
  const cli = JSON.parse(stdout.trim().split('\n').pop());
  console.log(`# ${link}\n# page: step ${here.step}, train ${here.trainAcc}, test ${here.testAcc}, norm ${here.weightNorm}\n# CLI:  step ${cli.steps}, train ${cli.train_acc}, test ${cli.test_acc}, norm ${cli.weight_norm}`);
  assert.equal(cli.steps, here.step, 'the CLI stops at the page\'s step');
  assert.deepEqual(
    cli.spec.schedule.map((c) => `${c.step}:${c.lr}:${c.wd}`),
    hyper,
    'the CLI applies the changes the link carries',
  );
  assert.ok(Math.abs(cli.train_acc - here.trainAcc) <= TOLERANCE, `train accuracy: page ${here.trainAcc}, CLI ${cli.train_acc}`);
  assert.ok(Math.abs(cli.test_acc - here.testAcc) <= TOLERANCE, `test accuracy: page ${here.testAcc}, CLI ${cli.test_acc}`);
});
