// What the browser benchmarks share: the playground opened the same way, and a run from
// Play to test accuracy ≥ 95% timed the same way (bench/browser.mjs, bench/threads.mjs).

import { openPage, readMetrics } from '../tests/e2e/run.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens the playground of the served page (BASE_URL) with autoplay off plus `query`, in
 * a 1280 px wide viewport VIEW_H CSS pixels high (default 1600: the playground's figures
 * on screen and drawn; 300: only its controls), and waits until the run is ready and the
 * follower worker has had a second to load (as on a page a reader has been looking at).
 */
export async function openPlayground(browser, query = '') {
  const opened = await openPage(browser, `?autoplay=0${query}#playground`);
  await opened.page.setViewportSize({ width: 1280, height: Number(process.env.VIEW_H ?? 1600) });
  await opened.page.waitForSelector('#metrics[data-state="idle"], #metrics[data-state="paused"]', { timeout: 30_000 });
  await sleep(1000);
  return opened;
}

/**
 * Presses Play and polls #metrics (every 20 ms) until test accuracy reaches 95%; returns
 * the seconds that took and the metrics then. Throws if the run diverges or takes over
 * five minutes.
 */
export async function playToGrokking(page) {
  await page.click('#play');
  const start = Date.now();
  for (;;) {
    const metrics = await readMetrics(page);
    if (metrics.testAcc >= 0.95) return { seconds: (Date.now() - start) / 1000, metrics };
    if (metrics.state === 'diverged' || Date.now() - start > 300_000) {
      throw new Error(`no grokking: ${JSON.stringify(metrics)}`);
    }
    await sleep(20);
  }
}
