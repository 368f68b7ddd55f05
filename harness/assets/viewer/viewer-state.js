/*
 * highwater trace viewer: the state of one step as the detail pane shows it (the log strips, the
 * brokers and controller, the consumers, the cluster and the ghost, with the changed fields
 * marked), the property table, the step's messages in full, and the replay pair view, which shows
 * the model and the implementation side by side with the same panels.
 */

const CELL = 26; // px per offset in the log strips

// How the step shortened a log: the previous records at or above the first offset where the
// logs part that are gone or replaced now.
function truncation(before, after) {
  if (!before || !after) return null;
  const bStart = before.log_start_offset || 0;
  const aStart = after.log_start_offset || 0;
  const bEnd = bStart + (before.log || []).length;
  const aEnd = aStart + (after.log || []).length;
  let d = Math.max(bStart, aStart);
  const common = Math.min(bEnd, aEnd);
  while (d < common) {
    const x = before.log[d - bStart];
    const y = after.log[d - aStart];
    if (x.epoch !== y.epoch || x.value !== y.value) break;
    d++;
  }
  if (d >= bEnd) return null;
  const removed = [];
  for (let o = Math.max(d, bStart); o < bEnd; o++) removed.push({ offset: o, record: before.log[o - bStart] });
  return { from: bEnd, to: d, removed, inline: aEnd <= d };
}

function recordCell(offset, record, extra) {
  return '<span class="cell rec' + (extra || '') + '" style="background:' + epochFill(record.epoch) +
    ';border-color:' + epochInk(record.epoch) + '" title="offset ' + offset + ': epoch ' + record.epoch +
    ', value ' + record.value + '">' + record.epoch + '</span>';
}

function mark(kind, label, offset, path) {
  return '<span class="mark ' + kind + '" style="left:' + offset * CELL + 'px"' +
    (path ? ' data-path="' + esc(path) + '"' : '') + ' title="' + esc(label) + ' = ' + offset + '">' +
    '<span class="mark-label">' + esc(label) + '</span></span>';
}

function logsHTML(view, prevView) {
  const brokers = view.brokers || [];
  const prevBrokers = new Map(((prevView && prevView.brokers) || []).map((b) => [b.id, b]));
  const ghost = view.ghost || {};
  const committed = ghost.committed || [];
  let width = Math.max(committed.length, ghost.true_hw || 0);
  for (const b of brokers) {
    width = Math.max(width, (b.log_start_offset || 0) + (b.log || []).length, b.log_end_offset || 0, b.high_watermark || 0);
    const p = prevBrokers.get(b.id);
    if (p) width = Math.max(width, (p.log_start_offset || 0) + (p.log || []).length);
  }
  // One spare slot so the marks at the log end have room.
  const slots = width + 1;
  const epochs = new Set();
  const stripStyle = ' style="width:' + slots * CELL + 'px"';
  const rows = [];

  let offsets = '';
  for (let i = 0; i < slots; i++) offsets += '<span class="cell off">' + (i < width ? i : '') + '</span>';
  rows.push('<div class="log-row offsets"><span class="log-label muted">offset</span><div class="strip"' + stripStyle + '>' + offsets + '</div></div>');

  for (const b of brokers) {
    const name = 'broker-' + b.id;
    const path = 'brokers.' + name;
    const lso = b.log_start_offset || 0;
    const log = b.log || [];
    const cut = truncation(prevBrokers.get(b.id), b);
    const removedAt = new Map(cut ? cut.removed.map((r) => [r.offset, r.record]) : []);
    let cells = '';
    for (let i = 0; i < slots; i++) {
      if (i < lso && i < width) {
        cells += '<span class="cell absent" title="offset ' + i + ': below the log start offset ' + lso + '"></span>';
      } else if (i - lso < log.length && i >= lso) {
        const r = log[i - lso];
        epochs.add(r.epoch);
        cells += recordCell(i, r, i >= b.high_watermark ? ' above-hw' : '');
      } else if (cut && cut.inline && removedAt.has(i)) {
        cells += recordCell(i, removedAt.get(i), ' removed');
      } else {
        cells += '<span class="cell empty"></span>';
      }
    }
    const marks = mark('leo', 'LEO', b.log_end_offset, path + '.log_end_offset') +
      mark('hw', 'HW', b.high_watermark, path + '.high_watermark') +
      (lso > 0 ? mark('lso', 'start', lso, path + '.log_start_offset') : '');
    const notes = [];
    if (!b.alive) notes.push('<span class="chip crashed">crashed</span>');
    if (cut) notes.push('<span class="trunc-note" title="records at offsets ' + cut.to + '..' + (cut.from - 1) + ' were removed">truncated from ' + cut.from + ' to ' + cut.to + '</span>');
    rows.push('<div class="log-row' + (b.alive ? '' : ' down') + '" data-path="' + esc(path + '.log') + '">' +
      '<span class="log-label">' + esc(name) + (b.rack ? ' <span class="muted">' + esc(b.rack) + '</span>' : '') + '</span>' +
      '<div class="strip"' + stripStyle + '>' + cells + marks + '</div>' +
      (notes.length ? '<span class="log-note">' + notes.join(' ') + '</span>' : '') + '</div>');
    if (cut && !cut.inline) {
      let gone = '';
      for (let i = 0; i < slots; i++) gone += removedAt.has(i) ? recordCell(i, removedAt.get(i), ' removed') : '<span class="cell empty"></span>';
      rows.push('<div class="log-row removed-row"><span class="log-label muted">removed</span><div class="strip"' + stripStyle + '>' + gone + '</div></div>');
    }
  }

  let cells = '';
  for (let i = 0; i < slots; i++) {
    if (i < committed.length) {
      epochs.add(committed[i].epoch);
      cells += recordCell(i, committed[i], '');
    } else cells += '<span class="cell empty"></span>';
  }
  rows.push('<div class="log-row committed" data-path="ghost.committed"><span class="log-label" title="the ghost: what is committed, and the true high watermark">committed</span>' +
    '<div class="strip"' + stripStyle + '>' + cells + mark('hw true-hw', 'true HW', ghost.true_hw || 0, 'ghost.true_hw') + '</div></div>');

  const legend = [...epochs].sort((a, b) => a - b).map((e) =>
    '<span class="legend-swatch" style="background:' + epochFill(e) + ';border-color:' + epochInk(e) + '">' + e + '</span>').join('');
  return '<section class="panel-section logs"><h3>Logs <span class="muted small">cells show the leader epoch of each record' +
    (legend ? ': ' + legend : '') + '</span></h3><div class="log-scroll"><div class="log-grid">' + rows.join('') + '</div></div></section>';
}

function td(path, content, cls) {
  return '<td data-path="' + esc(path) + '"' + (cls ? ' class="' + cls + '"' : '') + '>' + content + '</td>';
}

function brokersHTML(view) {
  const brokers = view.brokers || [];
  const ctl = view.controller || {};
  const cutRacks = new Set(view.cut_racks || []);
  const none = '<td class="muted">·</td>';
  const row = (label, cellFor, ctlCell) =>
    '<tr><th>' + label + '</th>' + brokers.map(cellFor).join('') + (ctlCell || none) + '</tr>';
  const p = (b, field) => 'brokers.broker-' + b.id + '.' + field;
  const head = brokers.map((b) => '<th data-path="brokers.broker-' + b.id + '">broker-' + b.id +
    '<div class="muted small">' + (b.rack ? 'rack ' + esc(b.rack) : 'no rack') + '</div></th>').join('');
  return '<section class="panel-section"><h3>Brokers and controller</h3><table class="kv grid">' +
    '<thead><tr><th></th>' + head + '<th data-path="controller">controller</th></tr></thead><tbody>' +
    row('state', (b) => td(p(b, 'alive'), (b.alive ? '<span class="chip alive">alive</span>' : '<span class="chip crashed">crashed</span>') +
      (b.rack && cutRacks.has(b.rack) ? ' <span class="chip cut">cut off</span>' : ''))) +
    row('role', (b) => td(p(b, 'role'), '<span class="role role-' + esc(b.role) + '">' + esc(b.role) + '</span>')) +
    row('leader epoch', (b) => td(p(b, 'leader_epoch'), epochBadge(b.leader_epoch)), td('controller.leader_epoch', epochBadge(ctl.leader_epoch))) +
    row('leader', (b) => td(p(b, 'leader'), esc(brokerName(b.leader))), td('controller.leader', esc(brokerName(ctl.leader)))) +
    row('partition epoch', () => none, td('controller.partition_epoch', esc(ctl.partition_epoch))) +
    row('high watermark', (b) => td(p(b, 'high_watermark'), esc(b.high_watermark), 'strong')) +
    row('log end offset', (b) => td(p(b, 'log_end_offset'), esc(b.log_end_offset))) +
    row('log start offset', (b) => td(p(b, 'log_start_offset'), esc(b.log_start_offset))) +
    row('epoch start offset', (b) => td(p(b, 'leader_epoch_start_offset'), b.leader_epoch_start_offset == null ? '<span class="muted">·</span>' : esc(b.leader_epoch_start_offset))) +
    row('ISR', (b) => td(p(b, 'isr'), esc(ids(b.isr))), td('controller.isr', esc(ids(ctl.isr)), 'strong')) +
    row('maximal ISR', (b) => td(p(b, 'maximal_isr'), esc(ids(b.maximal_isr)))) +
    row('fenced', () => none, td('controller.fenced', esc(ids(ctl.fenced)))) +
    '</tbody></table></section>';
}

function epochBadge(e) {
  if (e == null || e < 0) return '<span class="muted">none</span>';
  return '<span class="epoch" style="background:' + epochFill(e) + ';border-color:' + epochInk(e) + '">' + e + '</span>';
}

function consumersHTML(view) {
  const consumers = view.consumers || [];
  if (!consumers.length) return '';
  const p = (c, field) => 'consumers.consumer-' + c.id + '.' + field;
  const row = (label, cellFor) => '<tr><th>' + label + '</th>' + consumers.map(cellFor).join('') + '</tr>';
  const head = consumers.map((c) => '<th data-path="consumers.consumer-' + c.id + '">consumer-' + c.id +
    '<div class="muted small">' + (c.rack ? 'client.rack ' + esc(c.rack) : 'no client.rack') + '</div></th>').join('');
  const delivered = (c) => {
    const ds = c.delivered || [];
    if (!ds.length) return '<span class="muted">none</span>';
    return ds.map((d) => '<span class="delivery' + (d.offset >= d.served_hw ? ' above-hw' : '') + '" title="offset ' + d.offset +
      ' (epoch ' + d.record.epoch + ', value ' + d.record.value + ') served by broker-' + d.served_by + ' whose HW was ' + d.served_hw + '">' +
      d.offset + '@' + d.served_by + '</span>').join(' ');
  };
  const resets = (c) => (c.resets || []).length
    ? c.resets.map((r) => esc(r.from + ' → ' + r.to + ' (' + String(r.cause).replace(/_/g, ' ') + ')')).join('<br>')
    : '<span class="muted">none</span>';
  return '<section class="panel-section"><h3>Consumers</h3><table class="kv grid"><thead><tr><th></th>' + head + '</tr></thead><tbody>' +
    row('position', (c) => td(p(c, 'position'), esc(c.position), 'strong')) +
    row('position epoch', (c) => td(p(c, 'position_epoch'), epochBadge(c.position_epoch))) +
    row('current leader epoch', (c) => td(p(c, 'current_leader_epoch'), epochBadge(c.current_leader_epoch))) +
    row('preferred read replica', (c) => td(p(c, 'preferred_read_replica'),
      c.preferred_read_replica == null || c.preferred_read_replica < 0 ? '<span class="muted">none</span>' : esc(brokerName(c.preferred_read_replica)))) +
    row('delivered <span class="muted small">offset@broker</span>', (c) => td(p(c, 'delivered'), delivered(c))) +
    row('resets', (c) => td(p(c, 'resets'), resets(c))) +
    row('ListOffsets latest', (c) => td(p(c, 'list_offsets_latest'), (c.list_offsets_latest || []).length ? esc(ids(c.list_offsets_latest)) : '<span class="muted">none</span>')) +
    row('failed', (c) => td(p(c, 'failed'), c.failed ? '<span class="chip crashed">failed</span>' : 'no')) +
    '</tbody></table></section>';
}

// Ghost fields a correct run leaves empty: anything in them is a broken rule, shown in red.
const GHOST_ALARMS = ['redirects', 'offsets_above_hw', 'kept_failed_replicas', 'broken_request_rules'];
const GHOST_KNOWN = new Set(['true_hw', 'committed', 'acked', 'happened', 'epochs_seen', ...GHOST_ALARMS]);

function compact(value) {
  return JSON.stringify(value).replace(/"/g, '').replace(/,/g, ', ').replace(/:/g, ': ');
}

function clusterHTML(view) {
  const ghost = view.ghost || {};
  const dl = (label, path, content, cls) =>
    '<div class="dl-item' + (cls ? ' ' + cls : '') + '" data-path="' + esc(path) + '"><dt>' + label + '</dt><dd>' + content + '</dd></div>';
  const cut = (view.cut_racks || []).length ? (view.cut_racks || []).map((r) => '<span class="chip cut">rack ' + esc(r) + '</span>').join(' ') : '<span class="muted">none</span>';
  // Outages between places: a rack isolated, a link cut both ways or one way.
  const outage = (o) => o.shape === 'rack' ? 'rack ' + o.rack + ' isolated' : o.shape === 'link' ? o.a + ' \u2194 ' + o.b : o.from + ' \u2192 ' + o.to;
  const outages = (view.outages || []).length ? view.outages.map((o) => '<span class="chip cut">' + esc(outage(o)) + '</span>').join(' ') : '<span class="muted">none</span>';
  let html = '<section class="panel-section"><h3>Cluster</h3><dl class="dl">' +
    dl('racks whose brokers are cut off', 'cut_racks', cut) +
    dl('outages', 'outages', outages) +
    dl('faults left', 'faults_left', esc(view.faults_left == null ? '?' : view.faults_left)) +
    dl('semantics', 'semantics', esc(view.semantics || 'apache')) +
    '</dl></section><section class="panel-section"><h3>Ghost <span class="muted small">what properties read beyond the nodes\' state</span></h3><dl class="dl">' +
    dl('true HW', 'ghost.true_hw', '<strong>' + esc(ghost.true_hw) + '</strong>') +
    dl('committed', 'ghost.committed', (ghost.committed || []).length
      ? (ghost.committed || []).map((r, i) => i + ':e' + r.epoch + '=' + r.value).map(esc).join(' ')
      : '<span class="muted">none</span>') +
    dl('acked <span class="muted small">value@offset</span>', 'ghost.acked', (ghost.acked || []).length
      ? (ghost.acked || []).map((a) => esc(a[0] + '@' + a[1])).join(' ') : '<span class="muted">none</span>') +
    dl('happened', 'ghost.happened', (ghost.happened || []).length ? esc((ghost.happened || []).join(', ')) : '<span class="muted">none</span>') +
    dl('epochs seen', 'ghost.epochs_seen', Object.entries(ghost.epochs_seen || {}).map(([k, e]) => esc(k) + ' ' + epochBadge(e)).join(' ') || '<span class="muted">none</span>');
  for (const key of GHOST_ALARMS) {
    const v = ghost[key];
    if (v && (Array.isArray(v) ? v.length : Object.keys(v).length)) html += dl(esc(key.replace(/_/g, ' ')), 'ghost.' + key, esc(compact(v)), 'alarm');
  }
  for (const [key, v] of Object.entries(ghost)) {
    if (!GHOST_KNOWN.has(key)) html += dl(esc(key.replace(/_/g, ' ')), 'ghost.' + key, esc(compact(v)));
  }
  return html + '</dl></section>';
}

function stateHTML(state, prev) {
  if (!state) return '<p class="muted">No state at this step.</p>';
  const view = state.view || {};
  return logsHTML(view, prev ? prev.view : null) + brokersHTML(view) + consumersHTML(view) + clusterHTML(view);
}

// Highlights the fields named by `paths` (`brokers.broker-2.high_watermark`, ...). A path
// deeper than any field shown (`ghost.epochs_seen.broker-1`) lights the field holding it; a
// path naming nothing shown is ignored.
function markPaths(root, paths, cls) {
  if (!paths || !paths.length) return;
  const byPath = new Map();
  for (const el of root.querySelectorAll('[data-path]')) {
    const key = el.dataset.path;
    if (!byPath.has(key)) byPath.set(key, []);
    byPath.get(key).push(el);
  }
  for (const path of paths) {
    const segs = String(path).split('.');
    // Never climb from a field to its whole node or section: that would light half the panel.
    const floor = segs[0] === 'brokers' || segs[0] === 'consumers' ? 3 : segs[0] === 'cut_racks' || segs[0] === 'outages' || segs[0] === 'faults_left' ? 1 : 2;
    for (let n = segs.length; n >= Math.min(floor, segs.length); n--) {
      const hit = byPath.get(segs.slice(0, n).join('.'));
      if (hit) {
        for (const el of hit) el.classList.add(cls);
        break;
      }
    }
  }
}

function propertiesHTML(trace, state, prev) {
  const props = trace.properties || [];
  const status = (state && state.status) || {};
  const before = (prev && prev.status) || {};
  const main = (trace.meta || {}).property;
  const rows = props.map((p) => {
    const s = status[p.name];
    const changed = prev && s !== before[p.name];
    const cls = ['st-' + (s || 'none')];
    if (s === 'violated') cls.push('violated');
    if (changed) cls.push('status-changed');
    if (p.name === main) cls.push('main');
    return '<tr class="' + cls.join(' ') + '" data-property="' + esc(p.name) + '" data-status="' + esc(s || '') + '">' +
      '<td><span class="pname">' + esc(p.name) + '</span>' + (p.name === main ? ' <span class="muted small">(this trace)</span>' : '') +
      '<div class="statement">' + esc(p.statement || '') + '</div></td>' +
      '<td class="pkind">' + esc(p.kind) + '</td>' +
      '<td><span class="status status-' + esc(s || 'none') + '"' + (s ? '' : ' title="not judged under this run\'s semantics"') + '>' + esc(s || '—') + '</span></td></tr>';
  });
  return '<h3>Properties at this step</h3><table class="props"><thead><tr><th>property</th><th>kind</th><th>status</th></tr></thead><tbody>' +
    rows.join('') + '</tbody></table>';
}

function messagesHTML(state) {
  const msgs = (state && state.messages) || [];
  if (!msgs.length) return '';
  return msgs.map((m) => {
    const fields = Object.entries(m.fields || {}).filter(([k]) => k !== 'api')
      .map(([k, v]) => '<div><dt>' + esc(k) + '</dt><dd>' + esc(typeof v === 'object' && v !== null ? compact(v) : v) + '</dd></div>').join('');
    return '<li class="msg fate-' + esc(m.fate) + (m.error ? ' error' : '') + '">' +
      '<span class="route">' + esc(m.from) + ' → ' + esc(m.to) + '</span>' +
      (m.fate !== 'delivered' ? ' <span class="chip fate">' + esc(m.fate) + '</span>' : '') +
      (m.error ? ' <span class="chip crashed">' + esc(m.error) + '</span>' : '') +
      '<details><summary><code>' + esc(m.label || m.api) + '</code></summary><dl class="fields">' + fields + '</dl></details></li>';
  }).join('');
}

// ---------------------------------------------------------------------------------------------
// Replay pairs: the model and the implementation side by side, step by step

class PairView {
  constructor(pair, n) {
    this.pair = pair;
    this.n = n;
    this.model = pair.model || { states: [] };
    this.impl = pair.implementation || { states: [] };
    this.count = Math.max((this.model.states || []).length, (this.impl.states || []).length);
    this.selected = -1;
    this.mount();
  }

  hash(k) {
    return '#pair=' + this.n + '&step=' + k;
  }

  mount() {
    const d = this.pair.divergence;
    const many = TRACES.length + PAIRS.length > 1;
    const ms = this.model.states || [];
    const is = this.impl.states || [];
    const steps = [];
    for (let k = 0; k < this.count; k++) {
      const a = ms[k] ? (ms[k].action == null ? 'initial state' : ms[k].action) : '·';
      const b = is[k] ? (is[k].action == null ? 'initial state' : is[k].action) : '·';
      steps.push('<li data-step="' + k + '" class="' + (d && d.step === k ? 'diverges' : '') + (d && k > d.step ? ' after' : '') + '">' +
        '<span class="step-no">' + k + '</span><span class="act">' + esc(a) + (a !== b ? '<br><span class="muted">impl: ' + esc(b) + '</span>' : '') + '</span></li>');
    }
    const meta = this.model.meta || {};
    app.innerHTML = '<section id="pair-view" data-pair="' + this.n + '">' +
      '<div id="trace-header"><div class="title-line">' + (many ? '<a id="to-index" href="#index">← all traces</a>' : '') +
      '<h2 class="trace-name">' + esc(this.pair.name) + '</h2><span class="muted">replay: the model against the implementation</span></div>' +
      '<dl class="meta">' + [['property', meta.property || 'none'], ['bugs', meta.bugs || 'none'], ['semantics', meta.semantics || 'apache'], ['preset', meta.preset || '·']]
        .map(([k, x]) => '<div><dt>' + esc(k) + '</dt><dd>' + esc(x) + '</dd></div>').join('') + '</dl>' +
      (this.model.config_summary ? '<p class="config">' + esc(this.model.config_summary) + '</p>' : '') + '</div>' +
      (d ? '<div id="divergence" class="violation" data-step="' + d.step + '"><span class="v-icon" aria-hidden="true">≠</span><div class="v-body"><div>' +
        '<strong>first divergence at step ' + d.step + '</strong> <span class="v-kind">' + esc((d.fields || []).join(', ')) + '</span> ' +
        '<a class="goto" data-step="' + d.step + '" href="' + this.hash(d.step) + '">go to step ' + d.step + '</a></div>' +
        '<p class="sentence">' + esc(d.sentence) + '</p></div></div>'
        : '<div id="divergence" class="agree">The implementation agrees with the model at every step.</div>') +
      '<div class="pair-workspace"><ol id="pair-steps">' + steps.join('') + '</ol>' +
      '<div class="pair-main"><div id="step-info"></div><div class="pair-cols">' +
      '<div id="pair-model" class="pair-col"><h3 class="col-title">model</h3><ol class="step-messages"></ol><div class="state-panel"></div><div class="properties"></div></div>' +
      '<div id="pair-implementation" class="pair-col"><h3 class="col-title">implementation</h3><ol class="step-messages"></ol><div class="state-panel"></div><div class="properties"></div></div>' +
      '</div></div></div></section>';
    this.list = app.querySelector('#pair-steps');
    this.items = [...this.list.querySelectorAll('li')];
    this.list.addEventListener('click', (e) => {
      const li = e.target.closest('li[data-step]');
      if (li) this.select(Number(li.dataset.step), { scroll: false });
    });
    app.querySelector('#step-info').addEventListener('click', (e) => {
      const b = e.target.closest('button[data-move]');
      if (b) this.move(b.dataset.move);
    });
    handleGoto(this);
  }

  move(how) {
    const last = this.count - 1;
    const k = how === 'first' ? 0 : how === 'last' ? last : how === 'next' ? this.selected + 1 : this.selected - 1;
    if (k >= 0 && k <= last && k !== this.selected) this.select(k, { scroll: 'nearest' });
  }

  select(k, opts = {}) {
    if (!this.count) return;
    k = clamp(Number.isFinite(k) ? k : 0, 0, this.count - 1);
    if (this.items[this.selected]) this.items[this.selected].classList.remove('selected');
    this.selected = k;
    const li = this.items[k];
    li.classList.add('selected');
    if (opts.scroll) li.scrollIntoView({ block: opts.scroll === 'center' ? 'center' : 'nearest' });
    const d = this.pair.divergence;
    app.querySelector('#step-info').innerHTML = '<div class="step-head">' +
      '<button type="button" data-move="prev" title="previous step (↑ or k)">↑</button>' +
      '<button type="button" data-move="next" title="next step (↓ or j)">↓</button>' +
      '<span class="step-label">Step <span id="step-number">' + k + '</span> <span class="muted">of ' + (this.count - 1) + '</span></span>' +
      (d && d.step === k ? '<span class="chip crashed">first divergence</span>' : '') + '</div>' +
      (d && d.step === k ? '<div class="step-violation">' + esc(d.sentence) + '</div>' : '');
    for (const [side, trace] of [['#pair-model', this.model], ['#pair-implementation', this.impl]]) {
      const col = app.querySelector(side);
      const states = trace.states || [];
      const s = states[k];
      const prev = k > 0 ? states[k - 1] : null;
      col.querySelector('.step-messages').innerHTML = s ? '<li class="msg-action">' + esc(s.action == null ? 'initial state' : s.action) + '</li>' + messagesHTML(s) : '';
      const panel = col.querySelector('.state-panel');
      panel.innerHTML = stateHTML(s, prev);
      if (s) markPaths(panel, s.changed, 'changed');
      if (d && d.step === k) markPaths(panel, d.fields, 'diverged');
      col.querySelector('.properties').innerHTML = s ? propertiesHTML(trace, s, prev) : '';
    }
    reflectInHash(this.hash(k));
  }
}
