// Shared helpers for the page end-to-end tests (node:test + playwright-core).
//
// Not a test file itself: `node --test tests/e2e/` only runs files named like
// `*.test.mjs`. Tests import from here:
//
//   import { launch, openPage, waitForMetric, screenshot } from './run.mjs';
//
// playwright-core drives Debian's /usr/bin/chromium; `npx playwright install`
// would download a browser from outside and cannot work here. scripts/test
// starts the server and passes its address in BASE_URL.

import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** The page under test; scripts/test sets it to the server it started. */
export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:8000/';

/** Headless Chromium as root needs these (see DESIGN.md "Architecture"). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Launches headless Chromium. Playwright gives every launch a fresh temporary
 * profile (user-data-dir), so runs never share state. Close it when done.
 */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/**
 * (`browser` may also be a BrowserContext, e.g. one emulating reduced motion.)
 * Opens BASE_URL (or `base`) + query (e.g. '?p=59&frac=0.4') in a new page and records
 * what went wrong while it runs:
 *   consoleErrors  console.error messages (page and its workers)
 *   pageErrors     uncaught exceptions
 *   badRequests    failed requests, HTTP errors (>= 400), and any request that
 *                  leaves the page's origin (the page must be self-contained)
 * `problems()` returns all of them as one array of strings, empty when clean:
 *   assert.deepEqual(opened.problems(), []);
 */
export async function openPage(browser, query = '', base = BASE_URL) {
  const url = new URL(query, base).href;
  const origin = new URL(url).origin;
  const page = await browser.newPage();
  const consoleErrors = [];
  const pageErrors = [];
  const badRequests = [];

  const onConsole = (where) => (msg) => {
    if (msg.type() === 'error') consoleErrors.push(`${where}${msg.text()}`);
  };
  page.on('console', onConsole(''));
  page.on('pageerror', (err) => pageErrors.push(String(err?.stack ?? err)));
  page.on('request', (req) => {
    const u = new URL(req.url());
    const local = u.origin === origin || u.protocol === 'data:' || u.protocol === 'blob:';
    if (!local) badRequests.push(`off-origin: ${req.method()} ${req.url()}`);
  });
  page.on('requestfailed', (req) => {
    badRequests.push(`failed: ${req.url()} (${req.failure()?.errorText ?? 'unknown'})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) badRequests.push(`HTTP ${res.status()}: ${res.url()}`);
  });

  await page.goto(url, { waitUntil: 'load' });
  return {
    page,
    url,
    consoleErrors,
    pageErrors,
    badRequests,
    problems: () => [...consoleErrors, ...pageErrors, ...badRequests],
  };
}

/**
 * Reads the data attributes of `#metrics` (or of `selector`, e.g. an article run's
 * readout '#run-puzzle'): data-step, data-train-acc,
 * data-test-acc (as numbers: step, trainAcc, testAcc), data-state (string:
 * state), and any other data-* attribute (numeric-looking values become
 * numbers). Null while the element does not exist.
 */
export async function readMetrics(page, selector = '#metrics') {
  const raw = await page.evaluate((sel) => {
    const el = document.querySelector(sel);
    return el ? { ...el.dataset } : null;
  }, selector);
  if (raw === null) return null;
  const metrics = {};
  for (const [key, value] of Object.entries(raw)) {
    const num = Number(value);
    metrics[key] = key !== 'state' && value.trim() !== '' && Number.isFinite(num) ? num : value;
  }
  return metrics;
}

/**
 * Polls `#metrics` until predicate(metrics) is truthy and returns those
 * metrics; throws after timeoutMs with the last metrics seen.
 *   await waitForMetric(page, (m) => m.step >= 500, 30_000);
 */
export async function waitForMetric(page, predicate, timeoutMs = 60_000, selector = '#metrics') {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  for (;;) {
    last = await readMetrics(page, selector);
    if (last !== null && predicate(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(
        `waitForMetric: timed out after ${timeoutMs} ms; last seen ${selector}: ${JSON.stringify(last)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Saves a PNG of the page to target/screenshots/NAME.png; returns its path. */
export async function screenshot(page, name, options = {}) {
  const dir = fileURLToPath(new URL('../../target/screenshots/', import.meta.url));
  await mkdir(dir, { recursive: true });
  const path = `${dir}${name}.png`;
  await page.screenshot({ path, ...options });
  return path;
}

/** Saves a PNG of one element (a section) to target/screenshots/NAME.png; returns its path. */
export async function screenshotOf(page, selector, name) {
  const dir = fileURLToPath(new URL('../../target/screenshots/', import.meta.url));
  await mkdir(dir, { recursive: true });
  const path = `${dir}${name}.png`;
  await page.locator(selector).screenshot({ path });
  return path;
}

/** The server scripts/test builds (cargo build --release --bin serve). */
const SERVE = fileURLToPath(new URL('../../target/release/serve', import.meta.url));

/**
 * Starts a server of our own (for tests that stop it, or need other flags than the
 * one scripts/test started): `serve --root ROOT --port PORT ...args`, port 0 for any
 * free one. Resolves once it listens, with {url, port, stop()}; stop() resolves
 * when the process has exited.
 */
export function startServer(root, { port = 0, args = [] } = {}) {
  const child = spawn(SERVE, ['--root', root, '--port', String(port), ...args], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    exited.then((code) => reject(new Error(`serve exited (${code}) before listening: ${out}`)));
    child.stdout.on('data', (data) => {
      out += data;
      const match = out.match(/^Serving (http:\/\/127\.0\.0\.1:(\d+)\/)$/m);
      if (match === null) return;
      resolve({
        url: match[1],
        port: Number(match[2]),
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill();
          return exited;
        },
      });
    });
  });
}
