// Where a browser run's time goes: the CPU time of every Chromium thread (Linux /proc)
// over one run of the default config to test accuracy ≥ 95%, through the served page
// and its worker(s), like bench/browser.mjs. With TRACE=1 it also records a Chrome trace
// of the run and counts the page's main-thread work: rendered frames, style/layout
// passes, paints, commits and their total durations (the trace itself slows the page,
// so compare these counts between versions, not the seconds).
//
// usage: BASE_URL=http://127.0.0.1:PORT/ node bench/threads.mjs [runs] [query]
//   query is added to the page's URL, e.g. '&workers=1' for one worker
// env: VIEW_H viewport height in CSS pixels (default 1600), TRACE=1 as above
// (build with scripts/build and serve the site with `target/release/serve --port 0 --root dist`,
// as scripts/bench does.)
//
// Prints, per run, the seconds to 95% and steps/s, then one line per kind of thread:
// CPU seconds and share of the run's wall time. Workers are listed one by one
// ("DedicatedWorker" threads: the leader and the follower when the steps are split).

import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch } from '../tests/e2e/run.mjs';
import { openPlayground, playToGrokking } from './page.mjs';

const runs = Number(process.argv[2] ?? 1);
const query = process.argv[3] ?? '';
const tracing = process.env.TRACE === '1';

/** CPU seconds of every thread of every Chromium process, keyed by pid/tid. */
function threadTimes() {
  const out = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    if (!cmd.includes('chromium')) continue;
    const type = (cmd.match(/--type=([a-z-]+)/) ?? [null, 'browser'])[1];
    let tids = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        // utime and stime, fields 14 and 15, in clock ticks (100 a second on Linux).
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const seconds = (Number(fields[11]) + Number(fields[12])) / 100;
        const kind = name.startsWith('DedicatedWorker') ? `${type}: worker ${tid}` : `${type}: ${name}`;
        out.set(`${pid}/${tid}`, { kind, seconds });
      } catch {
        // a thread that ended meanwhile
      }
    }
  }
  return out;
}

/** Main-thread counts and durations (ms) of the rendering work in a Chrome trace. */
function mainThreadWork(trace) {
  const events = Array.isArray(trace) ? trace : trace.traceEvents;
  const main = new Set();
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain') main.add(`${e.pid}/${e.tid}`);
  }
  const names = {
    'ProxyMain::BeginMainFrame': 'frames',
    FireAnimationFrame: 'animation-frame callbacks (our drawing)',
    HandlePostMessage: 'worker messages',
    'LocalFrameView::UpdateStyleAndLayout': 'style and layout passes',
    Paint: 'paints',
    Commit: 'commits',
  };
  const totals = Object.fromEntries(Object.values(names).map((n) => [n, { count: 0, ms: 0 }]));
  for (const e of events) {
    const name = names[e.name];
    if (name && e.ph === 'X' && main.has(`${e.pid}/${e.tid}`)) {
      totals[name].count += 1;
      totals[name].ms += (e.dur ?? 0) / 1000;
    }
  }
  return totals;
}

const browser = await launch();
try {
  for (let run = 0; run < runs; run++) {
    const { page } = await openPlayground(browser, query);
    const tracePath = path.join(await mkdtemp(path.join(tmpdir(), 'grok-trace-')), 'trace.json');
    if (tracing) {
      await browser.startTracing(page, {
        path: tracePath,
        categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'cc'],
      });
    }
    const before = threadTimes();
    const { seconds, metrics: m } = await playToGrokking(page);
    const after = threadTimes();
    const byKind = new Map();
    for (const [key, { kind, seconds: t }] of after) {
      const spent = t - (before.get(key)?.seconds ?? 0);
      if (spent > 0) byKind.set(kind, (byKind.get(kind) ?? 0) + spent);
    }
    console.log(`run ${run}${query}: ${seconds.toFixed(2)} s to test ≥ 95% (step ${m.step}, ${(m.step / seconds).toFixed(1)} steps/s, ${m.workers ?? 1} worker(s))`);
    for (const [kind, t] of [...byKind].sort((x, y) => y[1] - x[1])) {
      if (t >= 0.02) console.log(`  ${t.toFixed(2).padStart(6)} s CPU  ${((100 * t) / seconds).toFixed(0).padStart(3)}%  ${kind}`);
    }
    if (tracing) {
      await browser.stopTracing();
      const work = mainThreadWork(JSON.parse(await readFile(tracePath, 'utf8')));
      console.log('  main thread, from the trace:');
      for (const [name, { count, ms }] of Object.entries(work)) {
        console.log(`  ${String(count).padStart(6)} ${name} (${ms.toFixed(0)} ms)`);
      }
    }
    await page.close();
  }
} finally {
  await browser.close();
}
