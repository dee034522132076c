// Training speed of the page in each browser engine (Chromium, Firefox ESR, WebKitGTK),
// driven through WebDriver as tests/e2e/engines.test.mjs drives them.
//
// Each measurement opens the playground paused at step 600 (the default run, `until=600`),
// presses Play and times steps 100 to 600 (past the wasm compilers' tier-up) on the page's
// #metrics. Modes:
//   page    the page as a reader gets it (two workers where the engine offers
//           SharedArrayBuffer, the relaxed-SIMD build where it has relaxed SIMD)
//   one     workers=1: one worker does every step
//   plain   workers=1 on a copy of the site whose relaxed build is the plain build's
//           bytes: every engine runs the same code (SIMD without relaxed SIMD)
//   sab     WebKit only: the page with JSC_useSharedArrayBuffer=1, the JavaScriptCore
//           switch that WebKitGTK 2.50 leaves off (so SharedArrayBuffer is missing even
//           on a cross-origin isolated page and the page trains on one worker)
//   flat    WebKit only: `one` with WEBKIT_DISABLE_COMPOSITING_MODE=1. Under Xvfb there is
//           no GPU, and WebKitGTK composites (and draws the canvases) with Mesa's software
//           OpenGL (llvmpipe): its main thread and llvmpipe's threads then take the CPU
//           the training worker needs
// Rounds alternate engines and modes, so load that drifts hits all alike; the summary
// gives each one's median and its ratio to Chromium's.
//
// usage: node bench/engines.mjs [rounds]     (default 3; ENGINES=chromium,webkit picks)
// needs: scripts/build, cargo build --release --bin serve, scripts/setup --browser

import { cp, rm } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENGINES, startEngine } from '../tests/e2e/engines.mjs';
import { startServer } from '../tests/e2e/run.mjs';

const ROUNDS = Number(process.argv[2] ?? 3);
const FROM = 100;
const TO = 600;
const REPO = fileURLToPath(new URL('../', import.meta.url));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** dist/ with the relaxed build replaced by the plain one (same glue, same exports). */
async function plainSite() {
  const out = `${REPO}target/bench-engines/plain`;
  await rm(out, { recursive: true, force: true });
  await cp(`${REPO}dist`, out, { recursive: true });
  const version = readdirSync(out).find((d) => d.startsWith('v-'));
  const pkg = `${out}/${version}/www/pkg`;
  await cp(`${pkg}/grokking_bg.wasm`, `${pkg}/grokking_relaxed_bg.wasm`);
  return out;
}

async function measure(driver, url) {
  await driver.get(url);
  const read = () => driver.executeScript(`const d = document.querySelector('#metrics')?.dataset;
    return d ? { state: d.state, step: Number(d.step), workers: Number(d.workers),
      ready: (d.weightNorm ?? '') !== '', wasm: document.documentElement.dataset.wasm ?? null } : null`);
  const deadline = Date.now() + 600_000;
  let m;
  // Ready once the run is made: the static page already says 'idle', but a weight norm
  // comes only with the worker's first snapshot.
  do {
    m = await read();
    if (Date.now() > deadline) throw new Error(`${url}: the page did not get ready: ${JSON.stringify(m)}`);
    await sleep(100);
  } while (!(m?.state === 'idle' && m.ready));
  await driver.executeScript("document.querySelector('#play').click()");
  let start = null;
  let workers = 0;
  for (;;) {
    m = await read();
    workers = Math.max(workers, m.workers);
    if (start === null && m.step >= FROM) start = { t: Date.now(), step: m.step };
    if (m.state === 'paused' && m.step >= TO) break;
    if (Date.now() > deadline) throw new Error(`${url}: too slow: ${JSON.stringify(m)}`);
    await sleep(50);
  }
  const seconds = (Date.now() - start.t) / 1000;
  return { steps_per_second: Number(((m.step - start.step) / seconds).toFixed(1)), workers, wasm: m.wasm };
}

const servers = { real: await startServer(`${REPO}dist`), plain: await startServer(await plainSite()) };
const MODES = {
  page: { site: 'real', query: '' },
  one: { site: 'real', query: '&workers=1' },
  plain: { site: 'plain', query: '&workers=1' },
  sab: { site: 'real', query: '', env: { JSC_useSharedArrayBuffer: '1' }, only: 'webkit' },
  flat: { site: 'real', query: '&workers=1', env: { WEBKIT_DISABLE_COMPOSITING_MODE: '1' }, only: 'webkit' },
};
const results = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const engine of ENGINES) {
      for (const [mode, spec] of Object.entries(MODES)) {
        if (spec.only && spec.only !== engine) continue;
        const e = await startEngine(engine, { env: spec.env ?? {} });
        try {
          await e.driver.manage().window().setRect({ width: 1280, height: 1000 });
          const url = `${servers[spec.site].url}?autoplay=0&until=${TO}${spec.query}#playground`;
          const r = { engine, mode, round, ...(await measure(e.driver, url)) };
          results.push(r);
          console.log(JSON.stringify(r));
        } finally {
          await e.quit();
        }
      }
    }
  }
} finally {
  await servers.real.stop();
  await servers.plain.stop();
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(`\nsteps/s, steps ${FROM}–${TO} of the default run, median of ${ROUNDS} (ratio to Chromium in the same mode):`);
for (const mode of Object.keys(MODES)) {
  const like = { sab: 'page', flat: 'one' }[mode] ?? mode;
  const base = median(results.filter((r) => r.engine === 'chromium' && r.mode === like).map((r) => r.steps_per_second));
  for (const engine of ENGINES) {
    const rs = results.filter((r) => r.engine === engine && r.mode === mode);
    if (rs.length === 0) continue;
    const med = median(rs.map((r) => r.steps_per_second));
    const ratio = Number.isFinite(base) && base > 0 ? ` (${(med / base).toFixed(2)}× Chromium)` : '';
    console.log(`  ${mode.padEnd(5)} ${engine.padEnd(8)} ${String(med).padStart(6)}${ratio}  ${rs[0].workers} worker(s), ${rs[0].wasm} build; runs: ${rs.map((r) => r.steps_per_second).join(', ')}`);
  }
}
