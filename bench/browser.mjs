// Browser speed of the page's real training path (worker + wasm), in headless Chromium.
//
// For each of N runs: open the page with autoplay=0, install a PerformanceObserver for
// long tasks (> 50 ms) on the main thread, press Play, and poll #metrics until test
// accuracy reaches 95%. Prints one JSON line per run:
//   {"run", "seconds_to_test_95", "step_at_test_95", "steps_per_second", "long_tasks", "longest_task_ms"}
//
// usage: BASE_URL=http://127.0.0.1:PORT/ node bench/browser.mjs [runs]
// (scripts/bench serves the page and runs this for you.)

import { launch, openPage, readMetrics } from '../tests/e2e/run.mjs';

const runs = Number(process.argv[2] ?? 3);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const browser = await launch();
try {
  for (let run = 0; run < runs; run++) {
    const opened = await openPage(browser, '?autoplay=0');
    const { page } = opened;
    await page.setViewportSize({ width: 1280, height: 1600 });
    await page.waitForSelector('#metrics[data-state="idle"], #metrics[data-state="paused"]', { timeout: 30_000 });
    await page.evaluate(() => {
      window.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
      }).observe({ type: 'longtask', buffered: false });
    });
    await page.click('#play');
    const start = Date.now();
    let m;
    for (;;) {
      m = await readMetrics(page);
      if (m.testAcc >= 0.95) break;
      if (m.state === 'diverged' || Date.now() - start > 300_000) throw new Error(`no grokking: ${JSON.stringify(m)}`);
      await sleep(20);
    }
    const seconds = (Date.now() - start) / 1000;
    const longTasks = await page.evaluate(() => window.__longTasks);
    console.log(JSON.stringify({
      run,
      seconds_to_test_95: seconds,
      step_at_test_95: m.step,
      steps_per_second: m.step / seconds,
      long_tasks: longTasks.length,
      longest_task_ms: longTasks.length ? Math.max(...longTasks) : 0,
    }));
    await page.close();
  }
} finally {
  await browser.close();
}
