// The numbers the article quotes from the command-line version, filled in from
// www/facts.json (written by scripts/facts, which runs `grok train`), so the prose says
// what the engine does now rather than what it did when the text was written.
//
// An element <span data-fact="default/grokked">1,200</span> gets the value at that path
// of facts.json; the text in index.html is the same number as a fallback. Formats
// (data-format): "int" (default: 1,200), "step" (step 1,200), "pct" (a fraction as a
// percentage, 0.4%). A value that is null (it never happened within the budget) shows
// the element's data-none text instead, in which {path} stands for that fact (an int).

const int = (x) => Math.round(x).toLocaleString('en');
const FORMATS = {
  int,
  step: (x) => `step ${int(x)}`,
  pct: (x) => `${(100 * x).toFixed(1)}%`,
};

/** The value at `path` ("data/0.25/grokked") of `facts`, or undefined. */
function at(facts, path) {
  return path.split('/').reduce((node, key) => (node == null ? undefined : node[key]), facts);
}

/** Fills every [data-fact] element under `root`; resolves to the facts (null if none). */
export async function fillFacts(root = document) {
  let facts;
  try {
    const response = await fetch(new URL('./facts.json', import.meta.url));
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    facts = await response.json();
  } catch (err) {
    console.warn(`the article's quoted numbers stay as written: ${err?.message ?? err}`);
    return null;
  }
  for (const el of root.querySelectorAll('[data-fact]')) {
    const value = at(facts, el.dataset.fact);
    const format = FORMATS[el.dataset.format ?? 'int'] ?? FORMATS.int;
    if (typeof value === 'number' && Number.isFinite(value)) {
      el.textContent = format(value);
    } else if (value === null && el.dataset.none !== undefined) {
      el.textContent = el.dataset.none.replace(/\{([^}]+)\}/g, (_, path) => {
        const x = at(facts, path);
        return typeof x === 'number' ? int(x) : '?';
      });
    } else {
      console.warn(`facts.json has no number at ${el.dataset.fact}`);
    }
  }
  document.documentElement.dataset.facts = 'filled';
  return facts;
}
