// Training-step speed of the wasm builds in node (V8, one thread), without a browser.
//
// For each build (the simd128 module `grokking_bg.wasm` and the relaxed-SIMD module
// `grokking_relaxed_bg.wasm`, which share one JS glue) this instantiates the module with
// `initSync`, builds a `Session` with the default config and times 5 windows of 100
// steps after a warm-up, printing the median steps/s (and every window). The windows of
// all builds are interleaved round-robin, so a noisy, shared machine slows them alike and
// the ratios stay meaningful; the best window is printed too (on a busy machine it is the
// steadier estimate of what the code can do), and the median steps per CPU-second of the
// process (node's own helper threads included, so slightly pessimistic), which other
// processes' load disturbs far less than wall-clock time.
//
// Then, for builds that have it (`KernelBench`, src/kernels/bench.rs), the GFLOP/s of
// each matrix product of a step in the step's own shapes and blocks, per CPU-second of
// the process and per second of wall time (medians of 9 interleaved rounds).
//
// usage: node bench/wasm-step.mjs [PKG_DIR ...]
//   PKG_DIR defaults to www/pkg (what ./scripts/build writes); give several directories
//   (e.g. a copy of an older build) to compare them side by side in one run.
// env: WINDOWS (default 5), STEPS (default 100 per window), WARMUP (default 30).

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

const dirs = process.argv.slice(2).length ? process.argv.slice(2) : ['www/pkg'];
const windows = Number(process.env.WINDOWS ?? 5);
const steps = Number(process.env.STEPS ?? 100);
const warmup = Number(process.env.WARMUP ?? 30);

// Node < 22 (V8 < 11.4) validates relaxed-SIMD code only behind a flag: rerun with it.
const FLAG = '--experimental-wasm-relaxed-simd';
const relaxed = dirs.map((d) => path.resolve(d, 'grokking_relaxed_bg.wasm')).find(fs.existsSync);
if (relaxed && !WebAssembly.validate(fs.readFileSync(relaxed)) && !process.execArgv.includes(FLAG)) {
  const child = spawnSync(process.execPath, [FLAG, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// One fresh instance of the glue per module: the glue keeps its instance in a
// module-level variable (a second initSync is a no-op), so each build imports its own
// copy of the glue, told apart by a query string.
let copies = 0;
async function load(dir, wasmFile) {
  const glue = path.resolve(dir, 'grokking.js');
  const bytes = fs.readFileSync(path.resolve(dir, wasmFile));
  const mod = await import(`${pathToFileURL(glue).href}?copy=${copies++}`);
  mod.initSync({ module: bytes });
  // Builds before the run engine (issue 13) took a config and had run(n); later ones
  // take a spec and have advance(n): an A/B against an older build needs both.
  const spec = mod.Session.prototype.advance ? { config: mod.default_config() } : mod.default_config();
  const session = new mod.Session(spec);
  const advance = (n) => (session.advance ? session.advance(n).taken : session.run(n));
  advance(warmup);
  const kernels = mod.KernelBench ? { bench: new mod.KernelBench(), api: mod.KernelBench } : null;
  return { name: `${dir}/${wasmFile}`, advance, rates: [], cpuRates: [], kernels };
}

const runs = [];
for (const dir of dirs) {
  for (const file of ['grokking_bg.wasm', 'grokking_relaxed_bg.wasm']) {
    if (fs.existsSync(path.resolve(dir, file))) runs.push(await load(dir, file));
    else console.error(`skipping ${dir}/${file}: not found`);
  }
}

for (let w = 0; w < windows; w++) {
  for (const run of runs) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const taken = run.advance(steps);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    run.rates.push(taken / seconds);
    run.cpuRates.push(taken / ((used.user + used.system) / 1e6));
  }
}

console.log(`node ${process.version}, default config (both gradient halves on one thread), ` +
  `median of ${windows} × ${steps} steps after ${warmup} warm-up steps:`);
const base = runs.length ? median(runs[0].rates) : 0;
for (const run of runs) {
  const m = median(run.rates);
  const best = Math.max(...run.rates);
  const cpu = median(run.cpuRates);
  console.log(`  ${run.name.padEnd(48)} ${m.toFixed(1).padStart(6)} steps/s` +
    `  (×${(m / base).toFixed(2)})  best ${best.toFixed(1)}  per CPU-second ${cpu.toFixed(1)}` +
    `  windows: ${run.rates.map((r) => r.toFixed(0)).join(' ')}`);
}

// The matrix products, interleaved the same way: each round runs every product of every
// build twice (as one step does).
const withKernels = runs.filter((run) => run.kernels);
if (withKernels.length) {
  const count = withKernels[0].kernels.api.count();
  for (const run of withKernels) run.gflops = [...Array(count)].map(() => ({ cpu: [], wall: [] }));
  for (let round = 0; round < 9; round++) {
    for (let i = 0; i < count; i++) {
      for (const run of withKernels) {
        const { bench } = run.kernels;
        const cpu = process.cpuUsage();
        const start = process.hrtime.bigint();
        bench.run(i, 2);
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const used = process.cpuUsage(cpu);
        const flop = 2 * bench.flop(i);
        run.gflops[i].cpu.push(flop / ((used.user + used.system) / 1e6) / 1e9);
        run.gflops[i].wall.push(flop / seconds / 1e9);
      }
    }
  }
  console.log('matrix products of one step, GFLOP/s per CPU-second (per wall second), median of 9:');
  for (let i = 0; i < count; i++) {
    const cells = withKernels.map((run) => {
      const g = run.gflops[i];
      return `${median(g.cpu).toFixed(1).padStart(5)} (${median(g.wall).toFixed(1)})`;
    });
    console.log(`  ${withKernels[0].kernels.api.name(i).padEnd(24)} ${cells.join('   ')}`);
  }
  console.log(`  columns: ${withKernels.map((run) => run.name).join(', ')}`);
}
