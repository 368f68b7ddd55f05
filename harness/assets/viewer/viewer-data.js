/*
 * highwater trace viewer: the embedded document, and the helpers the other parts share.
 *
 * The viewer's script is four files, put one after the other into the page's single inline
 * <script> in this order: viewer-data.js, viewer-diagram.js, viewer-state.js, viewer.js. They
 * share one scope: plain top-level functions and constants, no modules. A function may call one
 * from a later file (declarations are hoisted), but a constant or class is only there once its
 * file has run; viewer.js runs last and starts the page. The directive below, being the first
 * statement of the script, makes all four files strict.
 */
'use strict';

const DATA = JSON.parse(document.getElementById('highwater-data').textContent);
const TRACES = Array.isArray(DATA.traces) ? DATA.traces : [];
const PAIRS = Array.isArray(DATA.pairs) ? DATA.pairs : [];
const app = document.getElementById('app');

// ---------------------------------------------------------------------------------------------
// Small helpers

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (value) => String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
const ids = (xs) => '[' + (xs || []).join(', ') + ']';
const brokerName = (id) => (id == null || id < 0 ? 'none' : 'broker-' + id);
const clamp = (x, lo, hi) => Math.max(lo, Math.min(hi, x));
const plural = (n, word) => n + ' ' + word + (n === 1 ? '' : 's');

// One colour per leader epoch, light enough to read a label on; the palette wraps, which is
// fine because neighbouring epochs are what a reader compares.
// No blue in it: blue marks the high watermark in the log strips.
const EPOCH_FILL = ['#fddcaa', '#cdebc8', '#e3d3f5', '#f8ee9c', '#c6eaea', '#f6cfe4', '#e8d5c2', '#d9dde3'];
const EPOCH_INK = ['#b36b00', '#2f7f2a', '#6f42b0', '#857400', '#1f7d7d', '#a33a78', '#7d5230', '#5b6472'];
const epochSlot = (e) => ((e % EPOCH_FILL.length) + EPOCH_FILL.length) % EPOCH_FILL.length;
const epochFill = (e) => (e == null || e < 0 ? '#e4e4e4' : EPOCH_FILL[epochSlot(e)]);
const epochInk = (e) => (e == null || e < 0 ? '#777' : EPOCH_INK[epochSlot(e)]);

const defaultStep = (trace) => (trace.violation ? trace.violation.step : 0);

// "go to step K" selects directly: when the address already names that step, following the
// link would change nothing, and the reader who scrolled away would not be brought back.
function handleGoto(view) {
  const link = app.querySelector('a.goto');
  if (!link) return;
  link.addEventListener('click', (e) => {
    e.preventDefault();
    view.select(Number(link.dataset.step), { scroll: 'center' });
  });
}
