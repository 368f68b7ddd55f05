/*
 * highwater trace viewer.
 *
 * `highwater view` embeds one JSON document (traces, and optionally replay pairs) in
 * <script type="application/json" id="highwater-data"> and this script renders it. The page is
 * self-contained: no request leaves it, so it works from file:// and can be mailed around.
 *
 * Stable DOM hooks (the browser tests rely on them; keep them when changing the page):
 *   #index                         the index of several traces; tr[data-trace=N] / tr[data-pair=N],
 *                                  each with a link a.open
 *   #trace-view[data-trace=N]      the open trace
 *   #trace-header                  name, property, verdict, preset, bugs, semantics, config summary
 *   #violation                     the violation box (only when the trace has a violation);
 *                                  .sentence holds the sentence, a.goto[data-step=K] the link
 *   svg#lane-header                lane labels: g.lane-label[data-node][data-label="broker-1 · rack a"]
 *   svg#diagram                    the sequence diagram
 *   g.row[data-step=K]             one row per shown step; .selected on the selected step,
 *                                  .violating on the pinned violating step (with text.pin-tag)
 *   g.arrow[data-step=K]           one per message drawn; data-from, data-to, data-fate, and
 *                                  classes .lost, .outdated, .error
 *   g.event[data-step=K]           an environment step's badge; g.dot[data-step=K] a step that
 *                                  moved no message (a timer)
 *   g.faults-stop                  the "faults stop here" divider of a liveness trace
 *   g.continuation-collapsed       the collapsed fair continuation, data-count=N; a click expands
 *   #step-number                   the selected step's number (its text is only the number)
 *   #step-messages                 the selected step's messages in full
 *   #state-panel                   the selected state; [data-path] on every field, .changed on
 *                                  the fields named by the state's `changed`
 *   #properties                    the property table: tr[data-property][data-status], .violated,
 *                                  .status-changed when the status differs from the previous step
 *   #node-filter input[data-node], #hide-irrelevant, #search, #filter-count   the filters
 *   #pair-view[data-pair=N], #divergence, #pair-steps li[data-step=K] (.selected, .diverges),
 *   #pair-model / #pair-implementation (each with .state-panel and .properties)   replay pairs
 *   html[data-rendered="true"]     set once the first view is drawn; then window.highwaterRendered
 *                                  holds the milliseconds since navigation start, also recorded as
 *                                  the performance mark "highwater-rendered"
 * URL hash: #trace=N&step=K (N is the 0-based trace index), #pair=N&step=K, #index.
 */

// The other parts of the script come before this file (see viewer-data.js); this one builds the
// page: routing by the hash, the index, the trace view around its diagram, the filters, the
// keys, and the start.

// ---------------------------------------------------------------------------------------------
// Routing: the hash names the view, so a link or a reload lands on the same trace and step.

function parseHash() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const step = params.has('step') ? parseInt(params.get('step'), 10) : null;
  const at = Number.isFinite(step) ? step : null;
  if (params.has('trace')) {
    const n = parseInt(params.get('trace'), 10);
    if (n >= 0 && n < TRACES.length) return { view: 'trace', n, step: at };
  }
  if (params.has('pair')) {
    const n = parseInt(params.get('pair'), 10);
    if (n >= 0 && n < PAIRS.length) return { view: 'pair', n, step: at };
  }
  return { view: 'index', explicit: location.hash.length > 1 };
}

let current = null;

function route() {
  let r = parseHash();
  if (r.view === 'index' && !r.explicit) {
    // A page with a single trace (or a single pair) has nothing to choose between.
    if (TRACES.length === 1 && PAIRS.length === 0) r = { view: 'trace', n: 0, step: null };
    else if (TRACES.length === 0 && PAIRS.length === 1) r = { view: 'pair', n: 0, step: null };
  }
  if (r.view === 'trace') {
    if (!(current instanceof TraceView && current.n === r.n)) current = new TraceView(TRACES[r.n], r.n);
    current.select(r.step == null ? defaultStep(current.trace) : r.step, { scroll: 'center' });
  } else if (r.view === 'pair') {
    if (!(current instanceof PairView && current.n === r.n)) current = new PairView(PAIRS[r.n], r.n);
    const d = current.pair.divergence;
    current.select(r.step == null ? (d ? d.step : 0) : r.step, { scroll: 'center' });
  } else {
    current = null;
    renderIndex();
  }
}

// Moving through steps replaces the history entry rather than adding one: the back button
// should leave the trace, not replay every key press.
function reflectInHash(hash) {
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

// ---------------------------------------------------------------------------------------------
// Index

function verdictChip(verdict) {
  if (!verdict) return '<span class="chip verdict-none">walk</span>';
  return '<span class="chip verdict-' + esc(verdict.toLowerCase()) + '">' + esc(verdict) + '</span>';
}

function renderIndex() {
  const rows = TRACES.map((t, n) => {
    const meta = t.meta || {};
    const href = '#trace=' + n + '&step=' + defaultStep(t);
    return '<tr data-trace="' + n + '" data-href="' + esc(href) + '">' +
      '<td class="num">' + n + '</td>' +
      '<td><a class="open" href="' + esc(href) + '">' + esc(t.name) + '</a>' +
      (t.source ? '<div class="muted small">' + esc(t.source) + '</div>' : '') + '</td>' +
      '<td>' + (meta.property ? esc(meta.property) : '<span class="muted">none</span>') +
      (t.violation ? ' <span class="muted small">(' + esc(t.violation.kind) + ')</span>' : '') + '</td>' +
      '<td>' + verdictChip(meta.verdict) + '</td>' +
      '<td>' + (meta.bugs ? esc(meta.bugs.split(',').join(', ')) : '<span class="muted">none</span>') + '</td>' +
      '<td class="num">' + Math.max(0, (t.states || []).length - 1) + '</td></tr>';
  });
  const pairRows = PAIRS.map((p, n) => {
    const d = p.divergence;
    const href = '#pair=' + n + '&step=' + (d ? d.step : 0);
    return '<tr data-pair="' + n + '" data-href="' + esc(href) + '">' +
      '<td class="num">' + n + '</td>' +
      '<td><a class="open" href="' + esc(href) + '">' + esc(p.name) + '</a></td>' +
      '<td>' + (d ? '<span class="chip verdict-violated">diverges at step ' + d.step + '</span> ' +
        '<span class="small">' + esc(d.sentence) + '</span>' : '<span class="chip verdict-reached">agrees</span>') + '</td>' +
      '<td class="num">' + Math.max(0, ((p.model && p.model.states) || []).length - 1) + '</td></tr>';
  });
  let html = '<section id="index">';
  if (TRACES.length) {
    html += '<h2>' + plural(TRACES.length, 'trace') + '</h2>' +
      '<table class="index-table"><thead><tr><th class="num">#</th><th>trace</th><th>property</th>' +
      '<th>verdict</th><th>bugs</th><th class="num">steps</th></tr></thead><tbody>' + rows.join('') + '</tbody></table>';
  }
  if (PAIRS.length) {
    html += '<h2>' + plural(PAIRS.length, 'replay') + ': model against implementation</h2>' +
      '<table class="index-table"><thead><tr><th class="num">#</th><th>trace</th><th>outcome</th>' +
      '<th class="num">steps</th></tr></thead><tbody>' + pairRows.join('') + '</tbody></table>';
  }
  if (!TRACES.length && !PAIRS.length) html += '<p class="muted">This page holds no trace.</p>';
  app.innerHTML = html + '</section>';
  // The whole row opens the trace, not only its name: rows are the obvious click target.
  app.querySelector('#index').addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-href]');
    if (tr && !e.target.closest('a')) location.hash = tr.dataset.href;
  });
}

// ---------------------------------------------------------------------------------------------
// Trace view: header, filters, navigation and the detail of the selected step, around the
// diagram that TraceDiagram (viewer-diagram.js) draws

// Text a search matches: the action label and every message label of the step.
function searchText(state) {
  const parts = [state.action == null ? 'initial state' : state.action];
  for (const m of state.messages || []) parts.push(m.label || m.api || '');
  return parts.join('\n').toLowerCase();
}

class TraceView extends TraceDiagram {
  constructor(trace, n) {
    super();
    this.trace = trace;
    this.n = n;
    this.states = trace.states || [];
    this.nodes = trace.nodes || [];
    this.cont = trace.continuation || null;
    this.violation = trace.violation || null;
    this.expanded = false;
    this.selected = -1;
    this.filterNodes = new Set(this.nodes.map((x) => x.id));
    this.hideIrrelevant = false;
    this.query = '';
    this.texts = this.states.map(searchText);
    this.touches = this.states.map((s) => this.touched(s));
    this.mount();
    this.fitLanes();
    this.renderDiagram();
  }

  hash(k) {
    return '#trace=' + this.n + '&step=' + k;
  }

  // Nodes a step involves: where it happens, both ends of every message, and for a rack cut
  // or heal every broker in the rack.
  touched(s) {
    const set = new Set();
    if (s.node) set.add(s.node);
    for (const m of s.messages || []) {
      set.add(m.from);
      set.add(m.to);
    }
    if (s.rack != null) for (const lane of this.rackLanes(s.rack)) set.add(lane.id);
    return set;
  }

  allNodesShown() {
    return this.filterNodes.size === this.nodes.length;
  }

  messageShown(m) {
    return this.allNodesShown() || this.filterNodes.has(m.from) || this.filterNodes.has(m.to);
  }

  passesFilters(k) {
    if (k === 0 || (this.violation && this.violation.step === k)) return true;
    const s = this.states[k];
    if (this.hideIrrelevant && s.relevant === false) return false;
    if (this.query && !this.texts[k].includes(this.query)) return false;
    if (!this.allNodesShown()) {
      let hit = false;
      for (const id of this.touches[k]) if (this.filterNodes.has(id)) hit = true;
      if (!hit) return false;
    }
    return true;
  }

  mount() {
    const t = this.trace;
    const meta = t.meta || {};
    const v = this.violation;
    const many = TRACES.length + PAIRS.length > 1;
    const propKind = v ? v.kind : ((t.properties || []).find((p) => p.name === meta.property) || {}).kind;
    const metaItems = [
      ['preset', meta.preset || '·'],
      ['bugs', meta.bugs ? meta.bugs.split(',').join(', ') : 'none'],
      ['semantics', meta.semantics || 'apache'],
      ['found by', [meta.checker, meta.seed !== undefined && meta.seed !== '' ? 'seed ' + meta.seed : '', meta['steps-found'] ? meta['steps-found'] + ' steps before minimisation' : ''].filter(Boolean).join(', ') || '·'],
    ];
    if (meta['liveness-bound']) metaItems.push(['liveness bound', meta['liveness-bound'] + ' fair steps']);
    if (t.source) metaItems.push(['source', t.source]);
    const header = '<div id="trace-header">' +
      '<div class="title-line">' + (many ? '<a id="to-index" href="#index">← all traces</a>' : '') +
      '<h2 class="trace-name">' + esc(t.name) + '</h2>' + verdictChip(meta.verdict) +
      (meta.property ? '<span class="prop-name">' + esc(meta.property) + '</span>' + (propKind ? '<span class="muted">(' + esc(propKind) + ')</span>' : '') : '<span class="muted">no property</span>') +
      '</div><dl class="meta">' + metaItems.map(([k, x]) => '<div><dt>' + esc(k) + '</dt><dd>' + esc(x) + '</dd></div>').join('') + '</dl>' +
      (t.config_summary ? '<p class="config">' + esc(t.config_summary) + '</p>' : '') + '</div>';
    const violation = v ? '<div id="violation" class="violation" data-step="' + v.step + '">' +
      '<span class="v-icon" aria-hidden="true">✗</span><div class="v-body"><div><strong class="v-prop">' + esc(v.property) + '</strong> ' +
      '<span class="v-kind">' + esc(v.kind) + ' property violated' + (v.kind === 'liveness' ? ': faults stop at step ' + v.step + ' and the fair continuation never meets it' : ' at step ' + v.step) + '</span> ' +
      '<a class="goto" data-step="' + v.step + '" href="' + this.hash(v.step) + '">go to step ' + v.step + '</a></div>' +
      '<p class="sentence">' + esc(v.sentence) + '</p>' +
      (this.cont ? '<p class="cont-summary muted">' + esc(this.cont.summary) + '</p>' : '') + '</div></div>' : '';
    const nodeBoxes = this.nodes.map((node) => '<label class="node-box"><input type="checkbox" data-node="' + esc(node.id) + '" checked> ' + esc(node.id) + '</label>').join('');
    const toolbar = '<div id="toolbar"><fieldset id="node-filter"><legend>nodes</legend>' + nodeBoxes +
      '<button type="button" id="all-nodes" title="show every node">all</button></fieldset>' +
      '<label class="toggle"><input type="checkbox" id="hide-irrelevant"> hide steps that change nothing a property reads</label>' +
      '<input type="search" id="search" placeholder="search actions and messages" aria-label="search actions and messages">' +
      '<span id="filter-count" class="muted"></span></div>';
    app.innerHTML = '<section id="trace-view" data-trace="' + this.n + '">' + header + violation + toolbar +
      '<div class="workspace"><div id="diagram-scroll"><div class="lane-header-wrap"><svg id="lane-header" xmlns="http://www.w3.org/2000/svg"></svg></div>' +
      '<svg id="diagram" xmlns="http://www.w3.org/2000/svg"></svg></div>' +
      '<aside id="detail"><div id="step-info"></div><ol id="step-messages"></ol><div id="state-panel"></div><div id="properties"></div></aside></div></section>';

    this.scroller = app.querySelector('#diagram-scroll');
    this.svg = app.querySelector('#diagram');
    this.header = app.querySelector('#lane-header');
    this.detail = {
      info: app.querySelector('#step-info'),
      messages: app.querySelector('#step-messages'),
      state: app.querySelector('#state-panel'),
      props: app.querySelector('#properties'),
    };

    this.svg.addEventListener('click', (e) => {
      const toggle = e.target.closest('[data-action]');
      if (toggle) {
        this.expanded = toggle.dataset.action === 'expand';
        this.renderDiagram();
        return;
      }
      const row = e.target.closest('g.row');
      if (row) this.select(Number(row.dataset.step), { scroll: false });
    });
    const filter = app.querySelector('#node-filter');
    filter.addEventListener('change', () => {
      this.filterNodes = new Set([...filter.querySelectorAll('input[data-node]:checked')].map((x) => x.dataset.node));
      this.renderDiagram();
    });
    app.querySelector('#all-nodes').addEventListener('click', () => {
      for (const box of filter.querySelectorAll('input[data-node]')) box.checked = true;
      this.filterNodes = new Set(this.nodes.map((x) => x.id));
      this.renderDiagram();
    });
    app.querySelector('#hide-irrelevant').addEventListener('change', (e) => {
      this.hideIrrelevant = e.target.checked;
      this.renderDiagram();
    });
    // Typing re-filters at most once a frame: each keystroke would otherwise redraw a long trace.
    let pending = 0;
    app.querySelector('#search').addEventListener('input', (e) => {
      this.query = e.target.value.trim().toLowerCase();
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(() => this.renderDiagram());
    });
    this.detail.info.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-move]');
      if (b) this.move(b.dataset.move);
    });
    handleGoto(this);
  }

  move(how) {
    const list = this.navigable;
    if (!list || !list.length) return;
    let k;
    if (how === 'first') k = list[0];
    else if (how === 'last') k = list[list.length - 1];
    else if (how === 'next') k = list.find((x) => x > this.selected);
    else k = [...list].reverse().find((x) => x < this.selected);
    if (k !== undefined && k !== this.selected) this.select(k, { scroll: 'nearest' });
  }

  select(k, opts = {}) {
    if (!this.states.length) return;
    k = clamp(Number.isFinite(k) ? k : 0, 0, this.states.length - 1);
    if (this.inContinuation(k) && !this.expanded) {
      this.expanded = true;
      this.renderDiagram();
    }
    if (this.selected !== k) {
      const old = this.rows.get(this.selected);
      if (old) old.classList.remove('selected');
      this.selected = k;
      const row = this.rows.get(k);
      if (row) row.classList.add('selected');
      this.renderDetail();
    }
    reflectInHash(this.hash(k));
    if (opts.scroll) this.scrollTo(k, opts.scroll);
  }

  scrollTo(k, how) {
    const pos = this.rowPos.get(k);
    if (!pos) return;
    const sc = this.scroller;
    const top = L.headerH + pos.y;
    const bottom = top + pos.h;
    const viewTop = sc.scrollTop + L.headerH;
    const viewBottom = sc.scrollTop + sc.clientHeight;
    if (how === 'center') sc.scrollTop = Math.max(0, top - (sc.clientHeight + L.headerH) / 2 + pos.h / 2);
    else if (top < viewTop) sc.scrollTop = top - L.headerH - 24;
    else if (bottom > viewBottom) sc.scrollTop = bottom - sc.clientHeight + 24;
  }

  renderStepInfo() {
    const k = this.selected;
    const s = this.states[k];
    const last = this.states.length - 1;
    const hidden = this.rows && !this.rows.has(k);
    this.detail.info.innerHTML = '<div class="step-head">' +
      '<button type="button" data-move="prev" title="previous step (↑ or k)">↑</button>' +
      '<button type="button" data-move="next" title="next step (↓ or j)">↓</button>' +
      '<span class="step-label">Step <span id="step-number">' + k + '</span> <span class="muted">of ' + last + '</span></span>' +
      '<span class="chip kind kind-' + esc(s.kind) + '">' + esc(s.kind) + (s.environment ? ' · environment' : '') + '</span>' +
      (this.inContinuation(k) ? '<span class="chip cont">fair continuation</span>' : '') +
      (s.relevant === false ? '<span class="chip quiet" title="the view is the same as the previous step\'s">changes nothing a property reads</span>' : '') +
      (hidden ? '<span class="chip quiet">hidden by the filters</span>' : '') +
      '</div><div class="step-action">' + esc(s.action == null ? 'initial state' : s.action) + '</div>' +
      (this.violation && this.violation.step === k ? '<div class="step-violation">' + esc(this.violation.sentence) + '</div>' : '');
  }

  renderDetail() {
    const k = this.selected;
    const s = this.states[k];
    const prev = k > 0 ? this.states[k - 1] : null;
    this.renderStepInfo();
    this.detail.messages.innerHTML = messagesHTML(s);
    this.detail.state.innerHTML = stateHTML(s, prev);
    markPaths(this.detail.state, s.changed, 'changed');
    this.detail.props.innerHTML = propertiesHTML(this.trace, s, prev);
  }
}

// ---------------------------------------------------------------------------------------------
// Start

document.addEventListener('keydown', (e) => {
  if (!current || e.altKey || e.ctrlKey || e.metaKey) return;
  const t = e.target;
  const typing = t && (t.isContentEditable || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' ||
    (t.tagName === 'INPUT' && t.type !== 'checkbox'));
  if (typing) {
    // Escape hands the keys back to step navigation; every other key belongs to the field.
    if (e.key === 'Escape') t.blur();
    return;
  }
  const how = { ArrowDown: 'next', j: 'next', ArrowUp: 'prev', k: 'prev', Home: 'first', End: 'last' }[e.key];
  if (!how) return;
  e.preventDefault();
  current.move(how);
});
window.addEventListener('hashchange', route);
let resizing = 0;
window.addEventListener('resize', () => {
  cancelAnimationFrame(resizing);
  resizing = requestAnimationFrame(() => current && current.onResize && current.onResize());
});

document.getElementById('page-title').textContent = DATA.title || 'highwater';
document.getElementById('generator').textContent = DATA.generator || '';
document.getElementById('keys').textContent = 'keys: ↓ or j next step · ↑ or k previous · Home, End';
route();

// "Rendered" means painted, not only built: wait for the frame after the first layout.
requestAnimationFrame(() => setTimeout(() => {
  performance.mark('highwater-rendered');
  window.highwaterRendered = performance.now();
  document.documentElement.dataset.rendered = 'true';
}, 0));
