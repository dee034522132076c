// The row of controls under a live figure: Play/Pause, Step, Reset, "Stop when grokked",
// a share link, and the exports (history as CSV and JSON per run, each figure as PNG).
//
// Built from the DOM API into an empty <div class="run-bar" data-bar="<section>">, so the
// eight live sections share one definition. Element ids follow the section:
//   #<sec>-play #<sec>-step #<sec>-reset #<sec>-stop #<sec>-copy #<sec>-link
//   #<sec>-csv-<run> #<sec>-json-<run>    (buttons; <run> is the LiveRun's id)
// and every PNG button carries data-png="<canvas id>" (wired by export.js).

import { saveText, runName, wirePngButtons } from './export.js';

function el(tag, attrs = {}, text = '') {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

/**
 * @param {HTMLElement} root     the empty .run-bar element
 * @param {object} o
 *   id       the section id
 *   runs     [LiveRun]: Play/Step/Reset and "Stop when grokked" act on all of them
 *   pngs     [[canvasId, label]]
 *   link     () => the share URL of the section's run as it is now
 * Returns {update()} to refresh button states and the link after a change.
 */
export function buildRunBar(root, { id, runs, pngs, link }) {
  const play = el('button', { id: `${id}-play`, type: 'button', class: 'primary' }, 'Play');
  const step = el('button', { id: `${id}-step`, type: 'button', title: 'One training step (key: →)' }, 'Step');
  const reset = el('button', { id: `${id}-reset`, type: 'button', title: 'Back to step 0 (key: R)' }, 'Reset');
  const transport = el('div', { class: 'transport' });
  transport.append(play, step, reset);

  const stopBox = el('input', { id: `${id}-stop`, type: 'checkbox' });
  const stopLabel = el('label', { class: 'check', for: `${id}-stop` });
  stopLabel.append(stopBox, ' Stop when grokked');

  const copy = el('button', { id: `${id}-copy`, type: 'button', class: 'quiet' }, 'Copy link');
  const anchor = el('a', { id: `${id}-link`, class: 'share-link', href: '#' }, 'link to this run');
  const note = el('span', { class: 'copy-note', 'aria-live': 'polite' });
  const share = el('div', { class: 'share-mini' });
  share.append(copy, anchor, note);

  const exports = el('div', { class: 'share-mini exports' });
  for (const run of runs) {
    const suffix = runs.length > 1 ? ` (${run.label})` : '';
    const csv = el('button', { id: `${id}-csv-${run.id}`, type: 'button', class: 'quiet' }, `CSV${suffix}`);
    const json = el('button', { id: `${id}-json-${run.id}`, type: 'button', class: 'quiet' }, `JSON${suffix}`);
    csv.addEventListener('click', () => download(run, 'csv'));
    json.addEventListener('click', () => download(run, 'json'));
    exports.append(csv, json);
  }
  for (const [canvasId, label] of pngs) {
    exports.append(el('button', { type: 'button', class: 'quiet', 'data-png': canvasId }, `${label} PNG`));
  }
  root.append(transport, stopLabel, share, exports);
  wirePngButtons(root);

  async function download(run, kind) {
    try {
      const text = await run.request(kind);
      const type = kind === 'csv' ? 'text/csv' : 'application/json';
      saveText(text, `${runName(run.id, run.config)}.${kind}`, type);
    } catch (err) {
      note.textContent = `Could not export: ${err.message}.`;
    }
  }

  const anyRunning = () => runs.some((r) => r.playing);
  play.addEventListener('click', () => {
    const running = anyRunning();
    for (const r of runs) {
      if (running) r.pause();
      else r.play();
    }
  });
  step.addEventListener('click', () => runs.forEach((r) => r.stepOnce()));
  reset.addEventListener('click', () => runs.forEach((r) => r.reset()));
  stopBox.addEventListener('change', () => {
    // A run that has already grokked stops at once (its worker's Run decides).
    for (const r of runs) r.stopWhenGrokked = stopBox.checked;
    update();
  });
  copy.addEventListener('click', async () => {
    const url = link();
    anchor.href = url;
    try {
      const timeout = new Promise((_, reject) => { setTimeout(() => reject(new Error('timeout')), 3000); });
      await Promise.race([navigator.clipboard.writeText(url), timeout]);
      note.textContent = 'Copied.';
    } catch {
      note.textContent = 'Clipboard unavailable: use the link beside the button.';
    }
  });

  function update() {
    const running = anyRunning();
    play.textContent = running ? 'Pause' : 'Play';
    const ready = runs.every((r) => r.hasSession);
    play.disabled = runs.every((r) => r.state === 'diverged');
    step.disabled = !ready;
    reset.disabled = runs.every((r) => r.worker === null);
    stopBox.checked = runs[0].stopWhenGrokked;
    for (const b of exports.querySelectorAll('button:not([data-png])')) b.disabled = !ready;
    anchor.href = link();
  }
  update();
  return {
    update,
    actions: {
      togglePlay: () => play.click(),
      step: () => step.click(),
      reset: () => reset.click(),
    },
  };
}
