// Pictures of the two pages for the documentation:
//   viewer.png    the viewer on a safety counterexample, at its violating step (1400x900)
//   explorer.png  the Explorer on the path its address names (1400x900)
//
//   HIGHWATER_VIEW_BUGS=bugs.html HIGHWATER_EXPLORE_URL=http://127.0.0.1:PORT/#/steps/... \
//     node screenshots.mjs OUT_DIR

import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const outDir = process.argv[2];
const bugs = process.env.HIGHWATER_VIEW_BUGS;
const explore = process.env.HIGHWATER_EXPLORE_URL;
const problems = [];
if (!outDir) problems.push('usage: node screenshots.mjs OUT_DIR');
if (!bugs) problems.push('HIGHWATER_VIEW_BUGS is not set: an HTML page written by `highwater view` with a safety counterexample');
else if (!existsSync(bugs)) problems.push(`HIGHWATER_VIEW_BUGS=${bugs}: no such file`);
if (!explore) problems.push('HIGHWATER_EXPLORE_URL is not set: the URL `highwater explore --trace FILE` prints');
if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const viewport = { width: 1400, height: 900 };

  const page = await browser.newPage({ viewport });
  const base = pathToFileURL(resolve(bugs)).href;
  await page.goto(base);
  await page.waitForSelector('html[data-rendered="true"]');
  const data = await page.evaluate(() => JSON.parse(document.getElementById('highwater-data').textContent));
  const n = data.traces.findIndex((t) => t.violation && t.violation.kind === 'safety' && !t.continuation);
  if (n < 0) throw new Error(`${bugs} holds no safety counterexample`);
  const step = data.traces[n].violation.step;
  await page.evaluate((hash) => { location.hash = hash; }, `#trace=${n}&step=${step}`);
  await page.waitForFunction((k) => document.getElementById('step-number')?.textContent.trim() === String(k), step);
  await page.screenshot({ path: join(outDir, 'viewer.png') });
  console.log(`wrote ${join(outDir, 'viewer.png')}: ${data.traces[n].name} at step ${step}`);
  await page.close();

  const explorer = await browser.newPage({ viewport });
  await explorer.goto(explore);
  const want = (/#\/steps((?:\/\d+)*)/.exec(explore)?.[1] ?? '').split('/').filter(Boolean).length;
  // The path list fills in as the UI asks the server for each step's successors.
  await explorer.waitForFunction(
    (count) => [...document.querySelectorAll('ol.path-list > li')].filter((li) => li.textContent.trim() !== 'Pre-init').length >= count,
    want,
    { timeout: 60_000 },
  );
  await explorer.screenshot({ path: join(outDir, 'explorer.png') });
  console.log(`wrote ${join(outDir, 'explorer.png')}`);
} finally {
  await browser.close();
}
