// Keyboard shortcuts and their help overlay.
//
//   Space / K  play or pause      → / S  one step      R  reset
//   P  presenter mode             C  show/hide controls
//   ?  this help (a modal <dialog>; Escape or Close shuts it)
//
// Play, step and reset act on the live figure most in view: each section registers its
// element and its actions (register()); on a key press the registered section with the
// most visible height wins. Shortcuts never fire while the reader types in a field or
// uses a menu or slider (those keys mean something there), nor with Ctrl/Alt/Meta held.
// On a button, Space keeps its usual meaning (it presses the button).

import { togglePresent, toggleControls } from './present.js';

const targets = [];

/** Registers a section: `el` its element, `actions` {togglePlay, step, reset}. */
export function register(el, actions) {
  targets.push({ el, actions });
}

/** The registered section with the most height on screen (null if none is visible). */
export function activeTarget() {
  let best = null;
  let bestHeight = 0;
  for (const t of targets) {
    const r = t.el.getBoundingClientRect();
    const h = Math.min(r.bottom, window.innerHeight) - Math.max(r.top, 0);
    if (h > bestHeight) {
      best = t;
      bestHeight = h;
    }
  }
  return best;
}

export function setupKeys() {
  const dialog = document.getElementById('help');
  const opener = document.getElementById('help-open');
  const open = () => { if (!dialog.open) dialog.showModal(); };
  opener.addEventListener('click', open);
  document.getElementById('help-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => opener.focus({ preventScroll: true }));

  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (dialog.open) return; // the dialog handles Escape itself
    const typing = event.target.closest?.('input, select, textarea, [contenteditable]');
    if (typing) return;
    const key = event.key;
    if (key === '?') {
      open();
      event.preventDefault();
      return;
    }
    const lower = key.length === 1 ? key.toLowerCase() : key;
    if (lower === ' ' && event.target.closest?.('button, a, summary')) return;
    if (lower === 'p') togglePresent();
    else if (lower === 'c') toggleControls();
    else if (lower === ' ' || lower === 'k' || lower === 'ArrowRight' || lower === 's' || lower === 'r') {
      const target = activeTarget();
      if (!target) return;
      if (lower === ' ' || lower === 'k') target.actions.togglePlay();
      else if (lower === 'r') target.actions.reset();
      else target.actions.step();
    } else return;
    event.preventDefault();
  });
}
