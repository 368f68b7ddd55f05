/*
 * highwater trace viewer: the swimlane diagram of a trace. One lane per node (the controller,
 * the brokers, the consumers, the producer), one row per shown step: an arrow per message moved,
 * a badge per environment event, a dot for a step that moved no message, the violating step
 * pinned, and for a liveness trace the "faults stop here" divider and the fair continuation,
 * collapsed into one row until it is expanded.
 *
 * TraceDiagram draws; TraceView (viewer.js) extends it with the page around the diagram, the
 * filters and the navigation, and provides what the drawing reads: the fields states, nodes,
 * cont, violation, expanded, selected, scroller, svg and header, and the methods
 * passesFilters(k), messageShown(m) and renderStepInfo().
 */

const L = {
  stepCol: 46, // step numbers
  laneStart: 112, // x of the first lane
  minGap: 104, // between lanes: enough for "consumer-0" and "client.rack b"
  maxGap: 170,
  rightPad: 150, // room for labels that run past the last lane
  headerH: 44,
  subH: 24, // one arrow, badge or dot
  pad: 4,
  bandH: 24, // the "faults stop here" divider
  charW: 6.65, // an 11px monospace character; labels are truncated by this estimate
};

// Arrowheads are shared markers: a per-arrow head would multiply the DOM of a long trace.
const DEFS = '<defs>' +
  '<marker id="ah" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="head"/></marker>' +
  '<marker id="ah-err" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="head-err"/></marker>' +
  '</defs>';

function truncate(text, maxChars) {
  const n = Math.max(4, Math.floor(maxChars));
  return text.length <= n ? text : text.slice(0, n - 1) + '…';
}

function wrap(text, width) {
  const words = String(text).split(/\s+/);
  const lines = [];
  let line = '';
  for (const w of words) {
    if (line && (line + ' ' + w).length > width) {
      lines.push(line);
      line = w;
    } else line = line ? line + ' ' + w : w;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

// A timer's label without the node it is drawn on: the lane already says where.
function shortAction(s) {
  const a = s.action || s.kind;
  return s.node ? a.replace(new RegExp(' at ' + s.node.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$'), '') : a;
}

function eventLabel(s) {
  switch (s.kind) {
    case 'crash': return 'crash';
    case 'restart': return 'restart';
    case 'drop': return 'drop';
    case 'cut_rack': return 'cut rack ' + (s.rack ?? '');
    case 'heal_rack': return 'heal rack ' + (s.rack ?? '');
    case 'cut': case 'heal': return s.action || s.kind;
    case 'seek': return (s.action || 'seek').replace(/^seek consumer-\d+ /, 'seek ');
    default: return s.action || s.kind;
  }
}

function nodeLabel(node) {
  if (node.rack == null || node.rack === '') return node.id;
  return node.id + ' · ' + (node.kind === 'consumer' ? 'client.rack ' : 'rack ') + node.rack;
}

function rackLabel(node) {
  if (node.rack == null || node.rack === '') return node.kind === 'broker' ? 'no rack' : '';
  return (node.kind === 'consumer' ? 'client.rack ' : 'rack ') + node.rack;
}

class TraceDiagram {
  // Spreads the lanes over the pane, so that a reader sees every lane and most of each label
  // without scrolling sideways; below the minimum gap the diagram scrolls instead. Returns
  // whether the layout changed.
  fitLanes() {
    const gaps = Math.max(1, this.nodes.length - 1);
    const pane = this.scroller.clientWidth || 900;
    const gap = clamp(Math.floor((pane - L.laneStart - L.rightPad) / gaps), L.minGap, L.maxGap);
    const width = Math.max(pane, L.laneStart + gaps * gap + L.rightPad);
    if (gap === this.gap && width === this.width) return false;
    this.gap = gap;
    this.width = width;
    this.laneX = new Map(this.nodes.map((node, i) => [node.id, L.laneStart + i * gap]));
    return true;
  }

  onResize() {
    if (this.fitLanes()) {
      const top = this.scroller.scrollTop;
      this.renderDiagram();
      this.scroller.scrollTop = top;
    }
  }

  rackLanes(rack) {
    const brokers = this.nodes.filter((x) => x.kind === 'broker' && x.rack === rack);
    return brokers.length ? brokers : this.nodes.filter((x) => x.rack === rack);
  }

  inContinuation(k) {
    return this.cont != null && k > this.cont.from;
  }

  // The steps the filters let through, in order; `shown` leaves out a collapsed continuation.
  computeRows() {
    this.navigable = [];
    for (let k = 0; k < this.states.length; k++) if (this.passesFilters(k)) this.navigable.push(k);
    this.shown = this.expanded || !this.cont ? this.navigable : this.navigable.filter((k) => !this.inContinuation(k));
  }

  rowItems(k) {
    const s = this.states[k];
    const items = [];
    if (this.violation && this.violation.step === k) items.push({ t: 'tag' });
    if (s.environment) items.push({ t: 'event' });
    let drawn = 0;
    (s.messages || []).forEach((m, i) => {
      if (this.messageShown(m)) {
        items.push({ t: 'msg', m, i });
        drawn++;
      }
    });
    if (!s.environment && drawn === 0) items.push({ t: k === 0 || s.kind === 'init' ? 'init' : 'dot' });
    return items;
  }

  renderDiagram() {
    this.computeRows();
    const W = this.width;
    const parts = [];
    const lanes = [];
    this.rowPos = new Map();
    let y = 0;
    let dividerDone = false;

    const divider = () => {
      dividerDone = true;
      const count = this.states.length - 1 - this.cont.from;
      let html = '<g class="faults-stop" data-after="' + this.cont.from + '"><rect class="band" x="0" y="' + y + '" width="' + W + '" height="' + L.bandH + '"/>' +
        '<line x1="0" x2="' + W + '" y1="' + (y + L.bandH / 2) + '" y2="' + (y + L.bandH / 2) + '"/>' +
        '<text class="faults-stop-label" x="' + (L.stepCol + 6) + '" y="' + (y + L.bandH / 2 + 4) + '">' + esc(this.cont.divider || 'faults stop here') + '</text>';
      if (this.expanded) {
        const label = this.cont.divider || 'faults stop here';
        html += '<text class="cont-toggle" data-action="collapse" x="' + (L.stepCol + 24 + 7 * label.length) + '" y="' + (y + L.bandH / 2 + 4) + '">fair continuation: ' + plural(count, 'step') + ' (collapse)</text>';
      }
      parts.push(html + '</g>');
      y += L.bandH;
      if (!this.expanded) {
        // Wrapped to what the pane shows, not to the diagram's full width: the summary is read
        // without scrolling sideways.
        const shownWidth = Math.min(W, this.scroller.clientWidth || W);
        const lines = wrap(this.cont.summary || '', Math.floor((shownWidth - L.stepCol - 30) / 6.4));
        const h = 30 + lines.length * 16 + 8;
        let g = '<g class="continuation-collapsed" data-action="expand" data-count="' + count + '">' +
          '<rect class="cont-box" x="' + (L.stepCol + 2) + '" y="' + (y + 4) + '" width="' + (shownWidth - L.stepCol - 10) + '" height="' + (h - 8) + '" rx="6"/>' +
          '<text class="cont-title" x="' + (L.stepCol + 14) + '" y="' + (y + 24) + '">fair continuation: ' + plural(count, 'step') + ' (expand)</text>';
        lines.forEach((line, i) => {
          g += '<text class="cont-summary" x="' + (L.stepCol + 14) + '" y="' + (y + 42 + i * 16) + '">' + esc(line) + '</text>';
        });
        parts.push(g + '<title>click to show the fair continuation, step by step</title></g>');
        y += h;
      }
    };

    for (const k of this.shown) {
      if (this.cont && !dividerDone && k > this.cont.from) divider();
      const s = this.states[k];
      const items = this.rowItems(k);
      const h = L.pad * 2 + items.length * L.subH;
      const violating = this.violation && this.violation.step === k;
      this.rowPos.set(k, { y, h });
      parts.push('<g class="row' + (violating ? ' violating' : '') + (s.environment ? ' env' : '') + (k === this.selected ? ' selected' : '') + '" data-step="' + k + '">' +
        '<rect class="row-bg" x="0" y="' + y + '" width="' + W + '" height="' + h + '"/>' +
        (violating ? '<rect class="pin-band" x="0" y="' + y + '" width="5" height="' + h + '"/>' : '') +
        '<text class="step-no" x="' + (L.stepCol - 8) + '" y="' + (y + L.pad + 16) + '">' + k + '</text>');
      parts.push(this.laneSegments(s, y, h));
      items.forEach((item, i) => parts.push(this.itemSVG(k, s, item, y + L.pad + i * L.subH)));
      parts.push('</g>');
      y += h;
    }
    if (this.cont && !dividerDone && this.cont.from < this.states.length) divider();
    const H = Math.max(y, 40);

    for (const node of this.nodes) {
      const x = this.laneX.get(node.id);
      lanes.push('<line class="lane lane-' + esc(node.kind) + '" x1="' + x + '" x2="' + x + '" y1="0" y2="' + H + '"/>');
    }
    this.svg.setAttribute('width', W);
    this.svg.setAttribute('height', H);
    this.svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    this.svg.innerHTML = DEFS + '<g class="lanes">' + lanes.join('') + '</g>' + parts.join('');

    this.header.setAttribute('width', W);
    this.header.setAttribute('height', L.headerH);
    this.header.innerHTML = '<text class="lane-step" x="' + (L.stepCol - 8) + '" y="26">step</text>' + this.nodes.map((node) => {
      const x = this.laneX.get(node.id);
      const full = nodeLabel(node);
      return '<g class="lane-label lane-' + esc(node.kind) + '" data-node="' + esc(node.id) + '" data-label="' + esc(full) + '"><title>' + esc(full) + '</title>' +
        '<text class="lane-id" x="' + x + '" y="17">' + esc(node.id) + '</text>' +
        '<text class="lane-rack" x="' + x + '" y="32">' + esc(rackLabel(node)) + '</text>' +
        '<line class="lane-tick" x1="' + x + '" x2="' + x + '" y1="36" y2="' + L.headerH + '"/></g>';
    }).join('');

    this.rows = new Map();
    for (const g of this.svg.querySelectorAll('g.row')) this.rows.set(Number(g.dataset.step), g);
    const total = this.states.length;
    const hidden = total - this.navigable.length;
    app.querySelector('#filter-count').textContent = hidden ? (this.navigable.length + ' of ' + total + ' steps shown') : (plural(total - 1, 'step'));
    if (this.selected >= 0) this.renderStepInfo();
  }

  // Lane state under a row: a thick segment in the epoch's colour while a broker leads, a
  // dashed grey one while it is down, a hatched band while its rack is cut.
  laneSegments(s, y, h) {
    const view = s.view || {};
    const cut = new Set(view.cut_racks || []);
    let out = '';
    for (const b of view.brokers || []) {
      const x = this.laneX.get('broker-' + b.id);
      if (x == null) continue;
      const y1 = y + 1;
      const y2 = y + h - 1;
      if (!b.alive) out += '<line class="lane-down" x1="' + x + '" x2="' + x + '" y1="' + y1 + '" y2="' + y2 + '"/>';
      else if (b.role === 'leader') out += '<line class="lane-leader" style="stroke:' + epochInk(b.leader_epoch) + '" x1="' + x + '" x2="' + x + '" y1="' + y1 + '" y2="' + y2 + '"/>';
      if (b.rack != null && cut.has(b.rack)) out += '<rect class="lane-cut" x="' + (x - 7) + '" width="14" y="' + y1 + '" height="' + (y2 - y1) + '"/>';
    }
    return out;
  }

  itemSVG(k, s, item, top) {
    const first = L.laneStart;
    if (item.t === 'tag') {
      const v = this.violation;
      const text = v.kind === 'liveness'
        ? '⚑ faults stop here; ' + v.property + ' is never met after this'
        : '⚑ violates ' + v.property;
      return '<text class="pin-tag" x="' + (L.stepCol + 6) + '" y="' + (top + 16) + '">' + esc(text) + '</text>';
    }
    if (item.t === 'init') {
      return '<text class="init-label" x="' + (L.stepCol + 6) + '" y="' + (top + 16) + '">initial state</text>';
    }
    if (item.t === 'dot') {
      const x = this.laneX.get(s.node) ?? first;
      const label = shortAction(s);
      return '<g class="dot kind-' + esc(s.kind) + '" data-step="' + k + '"><title>' + esc(s.action || '') + '</title>' +
        '<circle cx="' + x + '" cy="' + (top + 12) + '" r="4.5"/>' +
        '<text x="' + (x + 9) + '" y="' + (top + 16) + '">' + esc(truncate(label, (this.width - x - 16) / L.charW)) + '</text></g>';
    }
    if (item.t === 'event') {
      const label = eventLabel(s);
      const w = Math.max(44, label.length * L.charW + 16);
      let x1;
      let x2;
      if (['cut_rack', 'heal_rack', 'cut', 'heal'].includes(s.kind) && s.rack != null) {
        const xs = this.rackLanes(s.rack).map((node) => this.laneX.get(node.id));
        const lo = xs.length ? Math.min(...xs) : first;
        const hi = xs.length ? Math.max(...xs) : first;
        x1 = Math.min(lo - 40, (lo + hi) / 2 - w / 2);
        x2 = Math.max(hi + 40, (lo + hi) / 2 + w / 2);
      } else {
        const x = this.laneX.get(s.node) ?? first;
        x1 = x - w / 2;
        x2 = x + w / 2;
      }
      return '<g class="event kind-' + esc(s.kind) + '" data-step="' + k + '"><title>' + esc(s.action || s.kind) + '</title>' +
        '<rect x="' + x1 + '" y="' + (top + 3) + '" width="' + (x2 - x1) + '" height="18" rx="4"/>' +
        '<text x="' + (x1 + x2) / 2 + '" y="' + (top + 16) + '">' + esc(label) + '</text></g>';
    }
    return this.arrowSVG(k, item.m, top);
  }

  arrowSVG(k, m, top) {
    const fallback = L.laneStart;
    const x1 = this.laneX.get(m.from) ?? fallback;
    const x2 = this.laneX.get(m.to) ?? fallback;
    const ya = top + 18;
    const fate = m.fate || 'delivered';
    const cls = ['arrow', 'fate-' + fate];
    if (fate === 'lost') cls.push('lost');
    if (fate === 'outdated') cls.push('outdated');
    if (m.error) cls.push('error');
    let label = m.label || m.api || '';
    if (m.error && !label.includes(m.error)) label += ' ' + m.error;
    const title = m.from + ' → ' + m.to + (fate !== 'delivered' ? ' (' + fate + ')' : '') + ': ' + label;
    let shape;
    if (x1 === x2) {
      // A node sending to itself: a small loop, so the arrow still shows.
      shape = '<path class="shaft" d="M' + x1 + ' ' + (ya - 5) + ' h22 v9 h-18" marker-end="url(#' + (m.error ? 'ah-err' : 'ah') + ')"/>';
    } else {
      const dir = x2 > x1 ? 1 : -1;
      const sx = x1 + dir * 4;
      if (fate === 'lost') {
        // A lost message never arrives: it stops short of the receiver, under a cross.
        const ex = x1 + (x2 - x1) * 0.7;
        shape = '<line class="shaft" x1="' + sx + '" x2="' + ex + '" y1="' + ya + '" y2="' + ya + '"/>' +
          '<path class="cross" d="M' + (ex - 5) + ' ' + (ya - 5) + ' l10 10 M' + (ex - 5) + ' ' + (ya + 5) + ' l10 -10"/>';
      } else {
        const ex = x2 - dir * 3;
        shape = '<line class="shaft" x1="' + sx + '" x2="' + ex + '" y1="' + ya + '" y2="' + ya + '" marker-end="url(#' + (m.error ? 'ah-err' : 'ah') + ')"/>';
      }
    }
    const lo = Math.min(x1, x2);
    const span = Math.abs(x2 - x1) - 12;
    let text;
    if (label.length * L.charW <= span) {
      text = '<text class="msg-label" text-anchor="middle" x="' + (x1 + x2) / 2 + '" y="' + (top + 12) + '">' + esc(label) + '</text>';
    } else {
      const tx = lo + 6;
      text = '<text class="msg-label" x="' + tx + '" y="' + (top + 12) + '">' + esc(truncate(label, (this.width - tx - 8) / L.charW)) + '</text>';
    }
    return '<g class="' + cls.join(' ') + '" data-step="' + k + '" data-from="' + esc(m.from) + '" data-to="' + esc(m.to) + '" data-fate="' + esc(fate) + '">' +
      '<title>' + esc(title) + '</title>' + shape + text + '</g>';
  }
}
