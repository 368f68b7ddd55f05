// Builds a viewer page the way `highwater view` does, from a hand-written data file, so the
// viewer can be worked on and tested without the Rust binary.
//
//   node assemble-sample.mjs [--long N] [DATA.json] OUT.html
//
// DATA.json defaults to fixtures/sample-data.json. With --long N the page holds a single trace
// of at least N steps, made by repeating the last steps of the sample's liveness trace (a
// stand-in for HIGHWATER_VIEW_LONG).

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const assets = join(here, '..', 'harness', 'assets', 'viewer');
// The viewer's script, in the order the Rust side puts its parts into the page's one script.
const SCRIPT_PARTS = ['viewer-data.js', 'viewer-diagram.js', 'viewer-state.js', 'viewer.js'];

const args = process.argv.slice(2);
let long = 0;
const longAt = args.indexOf('--long');
if (longAt >= 0) {
  long = Number(args[longAt + 1]);
  args.splice(longAt, 2);
}
if (args.length < 1 || args.length > 2 || (longAt >= 0 && !(long > 0))) {
  console.error('usage: node assemble-sample.mjs [--long N] [DATA.json] OUT.html');
  process.exit(2);
}
const out = args.pop();
const dataPath = args.pop() ?? join(here, 'fixtures', 'sample-data.json');
let doc = JSON.parse(readFileSync(dataPath, 'utf8'));

if (long) doc = longDocument(doc, long);

// One pass over the template: text put in is never searched again. (The Rust side replaces one
// placeholder after the other, the data last; the same page results because neither the
// stylesheet nor the script spells a placeholder.)
const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const pieces = {
  '/*{{style}}*/': readFileSync(join(assets, 'viewer.css'), 'utf8'),
  '/*{{script}}*/': SCRIPT_PARTS.map((name) => readFileSync(join(assets, name), 'utf8')).join(''),
  '{{data}}': JSON.stringify(doc).replace(/</g, '\\u003c'),
  '{{title}}': escapeHtml(doc.title || 'highwater'),
};
const template = readFileSync(join(assets, 'template.html'), 'utf8');
const html = template.replace(/\/\*\{\{style\}\}\*\/|\/\*\{\{script\}\}\*\/|\{\{data\}\}|\{\{title\}\}/g, (m) => pieces[m]);
writeFileSync(out, html);
console.log(`wrote ${out} (${html.length} bytes)`);

// A walk of many steps: the liveness trace's prefix, then its repeating tail until `steps`.
function longDocument(sample, steps) {
  const base = sample.traces.find((t) => t.continuation) ?? sample.traces[0];
  const states = base.states.map((s) => structuredClone(s));
  const tail = base.states.slice(-7);
  while (states.length <= steps) {
    for (const s of tail) {
      const copy = structuredClone(s);
      copy.index = states.length;
      states.push(copy);
    }
  }
  states.forEach((s, i) => (s.index = i));
  const trace = {
    ...structuredClone(base),
    name: `long-walk-${states.length - 1}.json`,
    source: 'assemble-sample.mjs --long',
    meta: { ...base.meta, property: '', verdict: '', checker: 'walk', description: `a walk of ${states.length - 1} steps` },
    states,
    violation: null,
    continuation: null,
  };
  return { generator: sample.generator, title: `highwater: a walk of ${states.length - 1} steps (sample)`, traces: [trace] };
}
