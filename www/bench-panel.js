// The speed readout of `?bench=1`: a small panel in the playground with what a reader
// needs to check the page's speed on their own machine — the playground run's steps per
// second and compute per step (both kept by the Rust Pacer in its worker), how many
// workers share each step, the number of cores the browser reports, which wasm build
// loaded (html[data-wasm]), and the longest task the page's main thread ran while the
// run trained (a PerformanceObserver for 'longtask', where the browser has one: tasks
// over 50 ms, the ones that make a page stutter).
//
// Wiring only: the numbers come from the LiveRun (the worker's messages) and the
// browser. The panel mirrors them onto data-* attributes for tests and benchmarks:
//   data-sps, data-ms-per-step, data-workers, data-cores, data-wasm, data-state,
//   data-long-tasks (count while training), data-longest-task (ms; 0: none),
//   data-observer ('longtask' or 'none': the browser cannot tell)

/** Whether the page was opened with bench=1. */
export function benchWanted(search) {
  return new URLSearchParams(search).get('bench') === '1';
}

/**
 * Builds the panel after `anchor` (an element of the playground's run box) and starts
 * watching the main thread; returns {update}, to call whenever the run changes.
 */
export function setupBenchPanel(live, anchor) {
  const panel = document.createElement('section');
  panel.id = 'bench';
  panel.className = 'bench-panel';
  panel.setAttribute('aria-label', 'Speed readout (bench=1)');
  const rows = [
    ['sps', 'steps/s'],
    ['ms', 'compute per step'],
    ['workers', 'workers'],
    ['cores', 'cores (hardwareConcurrency)'],
    ['wasm', 'wasm build'],
    ['longest', 'longest main-thread task while training'],
  ];
  const list = document.createElement('dl');
  const cells = {};
  for (const [key, label] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.id = `bench-${key}`;
    cells[key] = dd;
    list.append(dt, dd);
  }
  panel.append(list);
  anchor.after(panel);

  let longTasks = 0;
  let longest = 0;
  let observing = false;
  if (typeof PerformanceObserver === 'function'
    && (PerformanceObserver.supportedEntryTypes ?? []).includes('longtask')) {
    observing = true;
    new PerformanceObserver((entries) => {
      // Entries arrive a moment after their task: count those seen while training.
      if (live.state !== 'running') return;
      for (const entry of entries.getEntries()) {
        longTasks += 1;
        longest = Math.max(longest, entry.duration);
      }
      update();
    }).observe({ type: 'longtask', buffered: false });
  }

  const wasm = () => document.documentElement.dataset.wasm ?? 'unknown';
  const cores = navigator.hardwareConcurrency || 0;

  function update() {
    const running = live.state === 'running';
    const sps = running && live.sps !== null ? live.sps : null;
    const ms = live.msPerStep;
    Object.assign(panel.dataset, {
      state: live.state,
      sps: sps === null ? '' : String(sps),
      msPerStep: ms === null ? '' : String(ms),
      workers: String(live.workersInUse),
      cores: String(cores),
      wasm: wasm(),
      longTasks: String(longTasks),
      longestTask: String(longest),
      observer: observing ? 'longtask' : 'none',
    });
    cells.sps.textContent = sps === null ? '—' : sps.toFixed(0);
    cells.ms.textContent = ms === null ? '—' : `${ms.toFixed(2)} ms`;
    cells.workers.textContent = String(live.workersInUse);
    cells.cores.textContent = cores ? String(cores) : 'not told';
    cells.wasm.textContent = wasm();
    cells.longest.textContent = !observing ? 'not measurable here'
      : longTasks === 0 ? 'none over 50 ms' : `${longest.toFixed(0)} ms (${longTasks} over 50 ms)`;
  }
  update();
  return { update };
}
