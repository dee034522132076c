// Accessibility audit of the article with axe-core (injected from node_modules, never a
// CDN) in headless Chromium: no violations at desktop (1280 px) and phone (375 px) widths,
// in normal and presenter mode (?present=1), and in the dark colour scheme, with the page
// as a reader sees it: runs training, every section's figure built, readouts filled.
//
//   BASE_URL=http://127.0.0.1:8000/ node --test tests/e2e/a11y.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { launch, openPage, waitForMetric } from './run.mjs';

const AXE = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 375, height: 800 } };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/**
 * Runs axe on the page (WCAG 2.0–2.2 A and AA rules plus axe's best practices); returns
 * its violations as readable lines, one per element.
 */
async function audit(page) {
  // Through the driver, not a <script>: the page's Content-Security-Policy allows no
  // inline script, and rightly.
  await page.evaluate(AXE);
  const result = await page.evaluate(() => axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    resultTypes: ['violations'],
  }));
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}) at ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`));
}

/**
 * Opens the article as a reader finds it after a look around: the puzzle's run has
 * started by itself, every section has been on screen (its figure built), and the
 * playground is training (its running state styled).
 */
async function openArticle(target, query, viewport) {
  const opened = await openPage(target, query);
  const { page } = opened;
  await page.setViewportSize(viewport);
  await waitForMetric(page, (m) => m.state === 'running' && m.step >= 20, 40_000, '#run-puzzle');
  for (const id of await page.evaluate(() => [...document.querySelectorAll('main > section[id]')].map((s) => s.id))) {
    await page.evaluate((sel) => document.getElementById(sel).scrollIntoView(), id);
    await sleep(100);
  }
  await page.evaluate(() => document.getElementById('playground').scrollIntoView());
  await waitForMetric(page, (m) => m.state === 'running' && m.step >= 20, 40_000);
  return opened;
}

for (const [name, viewport] of Object.entries(WIDTHS)) {
  for (const present of [false, true]) {
    test(`no axe violations: ${name} (${viewport.width} px), ${present ? 'presenter mode' : 'normal'}`, { timeout: 120_000 }, async () => {
      const opened = await openArticle(browser, present ? '?present=1' : '', viewport);
      const { page } = opened;
      assert.equal(await page.evaluate(() => document.documentElement.classList.contains('present')), present);
      const violations = await audit(page);
      assert.deepEqual(violations, [], `axe found:\n${violations.join('\n')}`);
      assert.deepEqual(opened.problems(), []);
      await page.close();
    });
  }
}

test('no axe violations: desktop, dark colour scheme', { timeout: 120_000 }, async () => {
  const context = await browser.newContext({ colorScheme: 'dark' });
  const opened = await openArticle(context, '', WIDTHS.desktop);
  assert.equal(await opened.page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), true);
  const violations = await audit(opened.page);
  assert.deepEqual(violations, [], `axe found:\n${violations.join('\n')}`);
  assert.deepEqual(opened.problems(), []);
  await context.close();
});
