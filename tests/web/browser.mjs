// SPDX-License-Identifier: MIT
// browser.mjs BASE_URL OUT_DIR - the web keypad in a real browser: Debian's
// chromium (CHROMIUM, default /usr/bin/chromium), headless, driven over the
// DevTools protocol by playwright-core. Run by tests/cli/keybusd_web_browser.sh
// against keybusd on the simulated panel; prints "ok NAME" / "FAIL NAME
// detail" per case and "bench NAME VALUE UNIT" figures, exits 0.
import { chromium } from 'playwright-core';

const base = process.argv[2];
const outDir = process.argv[3];
let failed = 0;
const ok = (n) => console.log('ok   ' + n);
const ko = (n, d) => { failed++; console.log('FAIL ' + n + (d ? '\n    ' + String(d).split('\n').slice(0, 8).join('\n    ') : '')); };
async function check(name, fn) {
  try { await fn(); ok(name); } catch (e) { ko(name, e && e.message ? e.message : e); }
}
function pct(a, p) { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; }

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions',
         '--disable-background-networking', '--disable-component-update', '--disable-sync']
});
const consoleErrors = [];
const external = [];
const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } }); // a phone
const page = await ctx.newPage();
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.type() + ': ' + m.text()); });
page.on('pageerror', (e) => consoleErrors.push('pageerror: ' + e.message));
page.on('request', (r) => { const u = r.url(); if (!u.startsWith(base) && !u.startsWith('data:')) external.push(u); });
page.setDefaultTimeout(10000);

// polls fn in the page (Runtime.callFunctionOn: no eval, so the page's
// Content-Security-Policy stays as strict as it is for users)
async function waitFor(fn, arg, timeout = 10000) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await page.evaluate(fn, arg)) return;
    if (Date.now() > end) throw new Error('timed out waiting for ' + String(fn).slice(0, 120));
    await new Promise((r) => setTimeout(r, 25));
  }
}
const line1 = () => page.textContent('#line1');
const line2 = () => page.textContent('#line2');
const finalResult = async () => {
  await waitFor(() => { const r = document.getElementById('result'); return r.dataset.word && !['accepted', 'queued'].includes(r.dataset.word); });
  return page.evaluate(() => ({ word: document.getElementById('result').dataset.word, text: document.getElementById('result').textContent }));
};
const typeCode = async (code) => { for (const k of code) await page.click(`button[data-key="${k}"]`); };

try {
  await page.goto(base + '/');
  await check('page_loads_partition_1_ready', async () => {
    await waitFor(() => /ready to arm/i.test(document.getElementById('line1').textContent));
    if (!(await page.isVisible('.light.l-ready.on'))) throw new Error('the Ready light is not on');
  });
  await check('zone_names_from_config', async () => {
    const names = await page.$$eval('.zone .zname', (e) => e.map((x) => x.textContent));
    for (const n of ['Front door', 'Back door', 'Living room window', 'Hallway motion'])
      if (!names.includes(n)) throw new Error('missing ' + n + ' in ' + JSON.stringify(names));
  });
  await check('simulation_labelled', async () => {
    if (!(await page.isVisible('#sim-badge'))) throw new Error('no SIMULATED badge');
    const h = await page.textContent('#sim h2');
    if (!/Simulation/.test(h)) throw new Error(h);
  });

  // open/close a zone from the simulation: the tile follows within a second
  const dom = [];
  // CLOCK_MONOTONIC (keybusd's t_frame, node's hrtime) minus the wall clock
  // (the page's performance.timeOrigin + now): the same machine's clocks
  const monoMinusWall = Number(process.hrtime.bigint()) / 1e6 - Date.now();
  const shownBefore = await page.evaluate(() => window.kbShown.length);
  await check('sim_zone_open_tile_within_1s', async () => {
    for (let i = 0; i < 10; i++) {
      const want = i % 2 === 0 ? '1' : '0';
      const t0 = Date.now();
      await page.click('button[data-sim-zone="3"]');
      await page.waitForSelector(`.zone[data-zone="3"][data-open="${want}"]`, { timeout: 1000 });
      dom.push(Date.now() - t0);
    }
  });
  if (dom.length) {
    console.log(`bench web_click_to_dom_p50_ms ${pct(dom, 0.5)} ms`);
    console.log(`bench web_click_to_dom_p99_ms ${pct(dom, 0.99)} ms`);
  }
  // the last bit of the frame that changed the zone -> the page's DOM showing it
  const shown = await page.evaluate((n) => window.kbShown.slice(n), shownBefore);
  const f2d = shown.map(([tf, wall]) => wall + monoMinusWall - tf / 1e6).filter((x) => x > -5 && x < 5000);
  if (f2d.length) {
    console.log(`bench web_frame_to_dom_p50_ms ${pct(f2d, 0.5).toFixed(1)} ms`);
    console.log(`bench web_frame_to_dom_p99_ms ${pct(f2d, 0.99).toFixed(1)} ms`);
    console.log(`bench web_frame_to_dom_samples ${f2d.length} states`);
  }
  const paint = await page.evaluate(() => window.kbLatency.slice());
  if (paint.length) console.log(`bench web_sse_to_dom_p50_ms ${pct(paint, 0.5).toFixed(2)} ms`);

  await check('wrong_code_shows_error', async () => {
    await typeCode('9999');
    await page.click('button[data-act="arm_away"]');
    const r = await finalResult();
    if (r.word === 'done') throw new Error('a wrong code was accepted');
    if (!/wrong code/i.test(r.text)) throw new Error('result shown: ' + r.text + ' (' + r.word + ')');
    // the panel says so on its display for a moment; it stays disarmed
    if (await page.isVisible('.light.l-armed.on')) throw new Error('armed after a wrong code');
    const st = await page.evaluate(() => fetch('/api/state').then((r) => r.json()));
    if (st.partitions[0].state !== 'disarmed') throw new Error('partition 1 is ' + st.partitions[0].state);
  });

  await check('code_away_exit_delay_then_armed', async () => {
    await typeCode('1234');
    const typed = await line2();
    if (/1234/.test(typed)) throw new Error('the code is shown on the display: ' + typed);
    await page.click('button[data-act="arm_away"]');
    await waitFor(() => /exit delay/i.test(document.getElementById('line2').textContent));
    const r = await finalResult();
    if (r.word !== 'done') throw new Error('result ' + r.word);
    await waitFor(() => /armed away/i.test(document.getElementById('line1').textContent), null, 20000);
    if (!(await page.isVisible('.light.l-armed.on'))) throw new Error('the Armed light is not on');
  });
  await page.screenshot({ path: outDir + '/armed.png', fullPage: true });
  await check('event_log_shows_arming', async () => {
    const log = await page.textContent('#log');
    if (!/exit delay/.test(log) || !/armed away/.test(log)) throw new Error(log.slice(0, 300));
  });
  await check('keyboard_usable', async () => {
    await page.keyboard.type('1234');
    const l2 = await line2();
    if (!/••••/.test(l2)) throw new Error('typed keys not shown masked: ' + l2);
    await page.keyboard.press('Escape');
  });
  await check('health_panel', async () => {
    const h = await page.textContent('#health');
    if (!/connected/.test(h) || !/Frames/.test(h)) throw new Error(h);
  });
  await check('no_external_requests', async () => { if (external.length) throw new Error(external.join('\n')); });
  await check('no_console_errors', async () => { if (consoleErrors.length) throw new Error(consoleErrors.join('\n')); });
} catch (e) {
  ko('browser_session', e && e.stack ? e.stack : e);
} finally {
  await browser.close();
}
process.exit(0);
