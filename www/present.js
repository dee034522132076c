// Presenter mode and the controls switch, for a teacher at a projector.
//
// Presenter mode (button #present-toggle, key P, URL present=1) puts the class `present`
// on <html>: large type and figures, one column (see style.css). "Controls shown/hidden"
// (button #controls-toggle, key C, URL controls=0) puts `hide-controls` on <html>, which
// hides the buttons and settings under the figures so only figures and text remain.
// Both states are kept in the URL (replaceState) so a prepared link opens the same way.

const root = document.documentElement;

function setParam(key, value) {
  const url = new URL(location.href);
  if (value === null) url.searchParams.delete(key);
  else url.searchParams.set(key, value);
  history.replaceState(history.state, '', url);
}

function show() {
  const present = root.classList.contains('present');
  const hidden = root.classList.contains('hide-controls');
  const p = document.getElementById('present-toggle');
  const c = document.getElementById('controls-toggle');
  p.setAttribute('aria-pressed', String(present));
  p.textContent = present ? 'Leave presenter mode' : 'Presenter mode';
  c.setAttribute('aria-pressed', String(!hidden));
  c.textContent = hidden ? 'Controls hidden' : 'Controls shown';
}

export function togglePresent(on = !root.classList.contains('present')) {
  root.classList.toggle('present', on);
  setParam('present', on ? '1' : null);
  show();
  // Figures redraw with the new text size (figures.js reads it from the root font).
  window.dispatchEvent(new Event('presentchange'));
}

export function toggleControls(hide = !root.classList.contains('hide-controls')) {
  root.classList.toggle('hide-controls', hide);
  setParam('controls', hide ? '0' : null);
  show();
  window.dispatchEvent(new Event('presentchange'));
}

/** Reads present= and controls= from the URL and wires the two buttons. */
export function setupPresent(search) {
  const params = new URLSearchParams(search);
  root.classList.toggle('present', params.get('present') === '1');
  root.classList.toggle('hide-controls', params.get('controls') === '0');
  document.getElementById('present-toggle').addEventListener('click', () => togglePresent());
  document.getElementById('controls-toggle').addEventListener('click', () => toggleControls());
  show();
}
