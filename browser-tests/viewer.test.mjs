// What a person sees in the pages highwater writes, checked in headless Chromium.
//
// The pages come from the real binary, named by environment variables (see README.md):
//   HIGHWATER_VIEW_BUGS    an HTML page of several bug counterexamples (one safety, one liveness)
//   HIGHWATER_VIEW_LONG    an HTML page holding a trace of 500+ steps
//   HIGHWATER_EXPLORE_URL  the http://127.0.0.1:PORT/#/steps/... URL `highwater explore --trace` prints
// A variable left unset fails its test: a run that checks nothing must not pass.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const LAUNCH = {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};
const TIMEOUT = 120_000;

let browser;
before(async () => {
  browser = await chromium.launch(LAUNCH);
});
after(async () => {
  await browser?.close();
});

function pageFile(variable) {
  const path = process.env[variable];
  assert.ok(path, `${variable} is not set: point it at an HTML page written by \`highwater view\` (see browser-tests/README.md)`);
  assert.ok(existsSync(path), `${variable}=${path}: no such file`);
  return pathToFileURL(resolve(path)).href;
}

// Opens `url` in a fresh page and waits until the viewer says it has drawn. Every request the
// page makes is recorded, and so is every script error.
async function open(url, viewport = { width: 1400, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('html[data-rendered="true"]', { timeout: 30_000 });
  const close = async () => {
    assert.deepEqual(errors, [], 'the page threw');
    await context.close();
  };
  return { page, requests, errors, close };
}

// The page itself is the only thing it may load: no CDN, font, fetch or image.
function assertSelfContained(requests, url) {
  const self = url.split('#')[0];
  const foreign = requests.filter((r) => !(r.split('#')[0] === self || r.startsWith('data:') || r.startsWith('about:')));
  assert.deepEqual(foreign, [], `the page made requests other than itself: ${foreign.join(', ')}`);
}

const readData = (page) => page.evaluate(() => JSON.parse(document.getElementById('highwater-data').textContent));
const stepNumber = async (page) => (await page.textContent('#step-number')).trim();
const hashOf = (page) => page.evaluate(() => location.hash);

// Arrows drawn per step, read in one go: a long trace would take thousands of round trips.
const arrowCounts = (page) => page.evaluate(() => {
  const counts = {};
  for (const g of document.querySelectorAll('svg#diagram g.arrow[data-step]')) counts[g.dataset.step] = (counts[g.dataset.step] || 0) + 1;
  return counts;
});

function findTrace(data, predicate, what) {
  const n = data.traces.findIndex(predicate);
  assert.ok(n >= 0, `the page holds no ${what} (traces: ${data.traces.map((t) => t.name).join(', ')})`);
  return n;
}
const isSafety = (t) => t.violation && t.violation.kind === 'safety' && !t.continuation;
const isLiveness = (t) => t.continuation != null;

describe('bug counterexamples (HIGHWATER_VIEW_BUGS)', () => {
  test('the index lists every trace and opens one', { timeout: TIMEOUT }, async () => {
    const url = pageFile('HIGHWATER_VIEW_BUGS');
    const { page, requests, close } = await open(url);
    const data = await readData(page);
    assert.ok(data.traces.length > 1, `expected several traces, found ${data.traces.length}`);
    await page.waitForSelector('#index', { state: 'visible' });
    assert.equal(await page.locator('#index tr[data-trace]').count(), data.traces.length);
    for (const [n, t] of data.traces.entries()) {
      const row = page.locator(`#index tr[data-trace="${n}"]`);
      assert.ok((await row.textContent()).includes(t.name), `index row ${n} names ${t.name}`);
    }
    const n = findTrace(data, isSafety, 'safety counterexample');
    await page.click(`#index tr[data-trace="${n}"] a.open`);
    await page.waitForSelector(`#trace-view[data-trace="${n}"]`);
    const k = data.traces[n].violation.step;
    assert.equal(await stepNumber(page), String(k), 'a trace opens at its violating step');
    assert.equal(await hashOf(page), `#trace=${n}&step=${k}`);
    assertSelfContained(requests, url);
    await close();
  });

  test('safety: one arrow per message, the violating step pinned, the sentence shown', { timeout: TIMEOUT }, async () => {
    const base = pageFile('HIGHWATER_VIEW_BUGS');
    const probe = await open(base);
    const data = await readData(probe.page);
    await probe.close();
    const n = findTrace(data, isSafety, 'safety counterexample');
    const trace = data.traces[n];
    const v = trace.violation;
    const url = `${base}#trace=${n}`;
    const { page, requests, close } = await open(url);

    // Every step has its row, and every message its arrow.
    const rows = await page.locator('svg#diagram g.row[data-step]').count();
    assert.equal(rows, trace.states.length, 'one row per step');
    const total = trace.states.reduce((sum, s) => sum + (s.messages || []).length, 0);
    assert.ok(total > 0, `${trace.name} records no message in any step: counting arrows would check nothing`);
    const counts = await arrowCounts(page);
    trace.states.forEach((s, k) => {
      assert.equal(counts[k] || 0, (s.messages || []).length, `step ${k} (${s.action}): arrows drawn`);
    });

    // The violating step is pinned, selected, and explained.
    const pinned = page.locator('svg#diagram g.row.violating');
    assert.equal(await pinned.count(), 1, 'exactly one pinned row');
    assert.equal(await pinned.getAttribute('data-step'), String(v.step));
    assert.ok((await pinned.textContent()).includes(`violates ${v.property}`), 'the pinned row names the property');
    assert.ok(await pinned.isVisible(), 'the pinned row is on screen');
    assert.equal(await page.locator('svg#diagram g.row.selected').getAttribute('data-step'), String(v.step));
    assert.equal(await stepNumber(page), String(v.step));

    const box = page.locator('#violation');
    assert.ok(await box.isVisible(), '#violation is visible');
    assert.equal((await box.locator('.sentence').textContent()).trim(), v.sentence);
    assert.ok((await box.textContent()).includes(v.property));
    assert.equal(await box.locator('a.goto').getAttribute('href'), `#trace=${n}&step=${v.step}`);

    // The state and the properties of that step.
    assert.ok(await page.locator('#state-panel').isVisible());
    assert.equal(await page.locator('#state-panel [data-path$=".high_watermark"]').count() > 0, true, 'the state panel shows high watermarks');
    const violated = page.locator(`#properties tr.violated[data-property="${v.property}"]`);
    assert.equal(await violated.count(), 1, `${v.property} is shown violated`);
    assertSelfContained(requests, url);
    await close();
  });

  test('keys move the selected step and the hash follows', { timeout: TIMEOUT }, async () => {
    const base = pageFile('HIGHWATER_VIEW_BUGS');
    const probe = await open(base);
    const data = await readData(probe.page);
    await probe.close();
    const n = findTrace(data, isSafety, 'safety counterexample');
    const last = data.traces[n].states.length - 1;
    assert.ok(last >= 2, 'the trace has at least two steps');
    const url = `${base}#trace=${n}&step=0`;
    const { page, requests, close } = await open(url);

    const expectStep = async (k) => {
      assert.equal(await stepNumber(page), String(k));
      assert.equal(await hashOf(page), `#trace=${n}&step=${k}`);
      assert.equal(await page.locator('svg#diagram g.row.selected').getAttribute('data-step'), String(k));
    };
    await expectStep(0);
    await page.keyboard.press('ArrowDown');
    await expectStep(1);
    await page.keyboard.press('j');
    await expectStep(2);
    await page.keyboard.press('k');
    await expectStep(1);
    await page.keyboard.press('ArrowUp');
    await expectStep(0);
    await page.keyboard.press('End');
    await expectStep(last);
    await page.keyboard.press('Home');
    await expectStep(0);
    // A click on a row selects its step.
    await page.locator('svg#diagram g.row[data-step="2"] .row-bg').click({ position: { x: 20, y: 6 } });
    await expectStep(2);
    assertSelfContained(requests, url);
    await close();
  });

  test('a #trace=N&step=K address opens that trace at that step', { timeout: TIMEOUT }, async () => {
    const base = pageFile('HIGHWATER_VIEW_BUGS');
    const probe = await open(base);
    const data = await readData(probe.page);
    await probe.close();
    // The last trace, at a step that is neither its first nor its violating one.
    const n = data.traces.length - 1;
    const trace = data.traces[n];
    const v = trace.violation ? trace.violation.step : -1;
    const k = [1, 2, 3].find((x) => x !== v && x < trace.states.length) ?? 0;
    const url = `${base}#trace=${n}&step=${k}`;
    const { page, requests, close } = await open(url);
    await page.waitForSelector(`#trace-view[data-trace="${n}"]`);
    assert.equal(await stepNumber(page), String(k));
    assert.equal(await page.locator('svg#diagram g.row.selected').getAttribute('data-step'), String(k));

    // Editing the address moves there too.
    await page.evaluate(() => { location.hash = '#trace=0&step=0'; });
    await page.waitForSelector('#trace-view[data-trace="0"]');
    await page.waitForFunction(() => document.getElementById('step-number').textContent.trim() === '0');
    assertSelfContained(requests, url);
    await close();
  });

  test('the filters: unchanged steps, search and nodes', { timeout: TIMEOUT }, async () => {
    const base = pageFile('HIGHWATER_VIEW_BUGS');
    const probe = await open(base);
    const data = await readData(probe.page);
    await probe.close();
    const n = findTrace(data, isSafety, 'safety counterexample');
    const trace = data.traces[n];
    const pinned = trace.violation.step;
    const url = `${base}#trace=${n}&step=0`;
    const { page, requests, close } = await open(url);
    const shown = () => page.evaluate(() => [...document.querySelectorAll('svg#diagram g.row[data-step]')].map((g) => Number(g.dataset.step)));
    // The initial state and the violating step stay whatever the filters say.
    const always = (k) => k === 0 || k === pinned;
    const expect = (keep) => trace.states.map((_, k) => k).filter((k) => always(k) || keep(trace.states[k]));

    await page.check('#hide-irrelevant');
    assert.deepEqual(await shown(), expect((s) => s.relevant !== false), 'only steps that change what a property reads');
    await page.uncheck('#hide-irrelevant');
    assert.equal((await shown()).length, trace.states.length);

    // Search for the first message of the violating step, the way a reader would type it.
    const message = trace.states.find((s) => (s.messages || []).length)?.messages[0];
    assert.ok(message, `${trace.name} records no message in any step`);
    const needle = (message.label || message.api).split(' ')[0].toUpperCase();
    await page.fill('#search', needle);
    const matches = (s) => [s.action ?? 'initial state', ...(s.messages || []).map((m) => m.label || m.api || '')].some((x) => x.toLowerCase().includes(needle.toLowerCase()));
    await page.waitForFunction((want) => document.querySelectorAll('svg#diagram g.row[data-step]').length === want, expect(matches).length);
    assert.deepEqual(await shown(), expect(matches), `rows matching "${needle}"`);
    await page.fill('#search', '');
    await page.waitForFunction((want) => document.querySelectorAll('svg#diagram g.row[data-step]').length === want, trace.states.length);

    // One node only: every arrow drawn touches it.
    const only = trace.nodes.find((x) => x.kind === 'broker').id;
    for (const node of trace.nodes) if (node.id !== only) await page.uncheck(`#node-filter input[data-node="${node.id}"]`);
    const arrows = await page.evaluate(() => [...document.querySelectorAll('svg#diagram g.arrow')].map((g) => [g.dataset.from, g.dataset.to]));
    assert.ok(arrows.length > 0, `some arrow touches ${only}`);
    for (const [from, to] of arrows) assert.ok(from === only || to === only, `arrow ${from} -> ${to} touches ${only}`);
    const touches = (s) => s.node === only || (s.messages || []).some((m) => m.from === only || m.to === only) ||
      (s.rack != null && trace.nodes.some((x) => x.id === only && x.rack === s.rack));
    assert.deepEqual(await shown(), expect(touches), `rows touching ${only}`);
    await page.click('#all-nodes');
    assert.equal((await shown()).length, trace.states.length);
    assertSelfContained(requests, url);
    await close();
  });

  test('liveness: faults stop here, and the fair continuation is collapsed', { timeout: TIMEOUT }, async () => {
    const base = pageFile('HIGHWATER_VIEW_BUGS');
    const probe = await open(base);
    const data = await readData(probe.page);
    await probe.close();
    const n = findTrace(data, isLiveness, 'liveness counterexample (a trace with a continuation)');
    const trace = data.traces[n];
    const { from, summary } = trace.continuation;
    const count = trace.states.length - 1 - from;
    const url = `${base}#trace=${n}`;
    const { page, requests, close } = await open(url);

    const divider = page.locator('svg#diagram g.faults-stop');
    assert.ok(await divider.isVisible(), 'the divider is shown');
    assert.ok((await divider.textContent()).includes('faults stop here'));
    const collapsed = page.locator('svg#diagram g.continuation-collapsed');
    assert.ok(await collapsed.isVisible(), 'the continuation is collapsed into one row');
    const text = (await collapsed.textContent()).replace(/\s+/g, ' ');
    assert.ok(text.includes(`fair continuation: ${count} step${count === 1 ? '' : 's'}`), `collapsed row says the count: ${text}`);
    // The summary is wrapped over several lines of the SVG: join them back as a reader would.
    const lines = await collapsed.locator('.cont-summary').allTextContents();
    assert.equal(lines.join(' ').replace(/\s+/g, ' ').trim(), summary.replace(/\s+/g, ' ').trim(), 'the collapsed row shows the summary');
    const shownAfter = await page.evaluate((f) => [...document.querySelectorAll('svg#diagram g.row[data-step]')].filter((g) => Number(g.dataset.step) > f).length, from);
    assert.equal(shownAfter, 0, 'no continuation row is drawn while collapsed');
    assert.equal(await page.locator('#violation .sentence').textContent(), trace.violation.sentence);

    // Expanding shows every row of the continuation, still below the divider.
    await collapsed.click();
    await page.waitForSelector('svg#diagram g.continuation-collapsed', { state: 'detached' });
    const expanded = await page.evaluate((f) => [...document.querySelectorAll('svg#diagram g.row[data-step]')].filter((g) => Number(g.dataset.step) > f).length, from);
    assert.equal(expanded, count, 'every continuation step has its row once expanded');
    assert.ok(await page.locator('svg#diagram g.faults-stop').isVisible());
    assertSelfContained(requests, url);
    await close();
  });
});

describe('a long trace (HIGHWATER_VIEW_LONG)', () => {
  test('renders every step, quickly, with no request', { timeout: TIMEOUT }, async () => {
    const url = pageFile('HIGHWATER_VIEW_LONG');
    const { page, requests, close } = await open(url);
    const data = await readData(page);
    const n = data.traces.findIndex((t) => t.states.length > 500);
    assert.ok(n >= 0, `no trace of 500+ steps in ${url} (lengths: ${data.traces.map((t) => t.states.length - 1).join(', ')})`);
    const trace = data.traces[n];
    const steps = trace.states.length - 1;
    if (data.traces.length > 1 || !(await page.locator(`#trace-view[data-trace="${n}"]`).count())) {
      await page.evaluate((i) => { location.hash = `#trace=${i}&step=0`; }, n);
      await page.waitForSelector(`#trace-view[data-trace="${n}"]`);
    }
    const rendered = await page.evaluate(() => window.highwaterRendered);
    assert.equal(typeof rendered, 'number', 'the viewer records when it has rendered');
    console.log(`viewer: ${steps} steps rendered ${rendered.toFixed(0)} ms after navigation start`);

    // End reaches the last step, expanding a fair continuation if there is one.
    const took = await page.evaluate(() => new Promise((done) => {
      const t0 = performance.now();
      document.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true }));
      requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0));
    }));
    console.log(`viewer: End (to step ${steps}) took ${took.toFixed(0)} ms`);
    assert.equal(await stepNumber(page), String(steps));

    assert.equal(await page.locator('svg#diagram g.row[data-step]').count(), trace.states.length, 'one row per step');
    const counts = await arrowCounts(page);
    trace.states.forEach((s, k) => {
      assert.equal(counts[k] || 0, (s.messages || []).length, `step ${k}: arrows drawn`);
    });
    assertSelfContained(requests, url);
    await close();
  });
});

describe('the Explorer (HIGHWATER_EXPLORE_URL)', () => {
  test('loads and lists the steps of the path in its address', { timeout: TIMEOUT }, async () => {
    const url = process.env.HIGHWATER_EXPLORE_URL;
    assert.ok(url, 'HIGHWATER_EXPLORE_URL is not set: start `highwater explore --trace FILE` and give the http://127.0.0.1:PORT/#/steps/... URL it prints');
    const match = /#\/steps((?:\/\d+)*)/.exec(url);
    assert.ok(url.startsWith('http://') && match, `HIGHWATER_EXPLORE_URL=${url}: expected http://HOST:PORT/#/steps/I/J/...`);
    const path = match[1].split('/').filter(Boolean);
    assert.ok(path.length > 0, 'the URL names at least one step');

    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const response = await page.goto(url);
    assert.ok(response && response.ok(), `the Explorer answered ${response && response.status()}`);
    assert.equal(await page.title(), 'Stateright Explorer');
    // Stateright's "Path of Actions" lists a "Pre-init" entry, then one per step of the path;
    // it fills in as the UI fetches each step's successors.
    await page.waitForFunction(
      (want) => [...document.querySelectorAll('ol.path-list > li')].filter((li) => li.textContent.trim() !== 'Pre-init').length === want,
      path.length,
      { timeout: 60_000 },
    );
    const items = await page.locator('ol.path-list > li').allTextContents();
    const steps = items.map((s) => s.trim()).filter((s) => s !== 'Pre-init');
    assert.equal(steps.length, path.length, `steps listed: ${steps.join(' | ')}`);
    assert.ok(steps.every((s) => s.length > 0), 'every step has a label');
    assert.deepEqual(errors, [], 'the Explorer threw');
    await context.close();
  });
});
