// Downloads: a run's history (CSV, JSON, text from the worker) and any figure as a PNG.
//
// Files are made in the page (Blob + object URL + a temporary <a download>): nothing is
// sent anywhere, and nothing here needs more than the page's strict CSP allows.
// Any button with data-png="<canvas id>" saves that canvas (wired once by wirePngButtons).

/** Saves `blob` under `filename`. */
export function saveBlob(blob, filename) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** Saves text (CSV or JSON) under `filename`. */
export function saveText(text, filename, type) {
  saveBlob(new Blob([text], { type }), filename);
}

/** A file name describing a run: grokking-<what>-add-p97-frac0.3-wd1-seed0. */
export function runName(what, c) {
  return `grokking-${what}-${c.op}-p${c.p}-frac${c.frac}-wd${c.wd}-seed${c.seed}`;
}

/** Saves the canvas with id `id` as a PNG, exactly as drawn (device pixels). */
export function savePng(id) {
  const canvas = document.getElementById(id);
  if (!canvas) return;
  canvas.toBlob((blob) => {
    if (blob) saveBlob(blob, `grokking-${id.replace(/^fig-/, '')}.png`);
  }, 'image/png');
}

/** Wires every button with a data-png attribute (inside `root`). */
export function wirePngButtons(root = document) {
  for (const button of root.querySelectorAll('button[data-png]')) {
    if (button.dataset.wired) continue;
    button.dataset.wired = '1';
    button.addEventListener('click', () => savePng(button.dataset.png));
  }
}

/**
 * Gives every figure on the page a PNG button: each canvas.plot that no data-png button
 * names yet gets a small "PNG" button in its figure's heading (or caption).
 */
export function addPngButtons(root = document) {
  const named = new Set([...root.querySelectorAll('button[data-png]')].map((b) => b.dataset.png));
  for (const canvas of root.querySelectorAll('canvas.plot[id]')) {
    if (named.has(canvas.id)) continue;
    const figure = canvas.closest('figure');
    const place = figure?.querySelector('.fig-head') ?? figure?.querySelector('figcaption');
    if (!place) continue;
    const title = figure.querySelector('.fig-head h2, .fig-head h3')?.textContent
      ?? canvas.getAttribute('aria-label') ?? canvas.id;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'quiet png';
    button.dataset.png = canvas.id;
    button.textContent = 'PNG';
    button.setAttribute('aria-label', `Save "${title}" as a PNG image`);
    place.append(button);
  }
  wirePngButtons(root);
}
