// The dashboard on a large topology (2,000 pairs: 4,000 devices) in headless Chromium against the
// real stack: only the tiles in view are in the DOM, search finds any device, scrolling reaches
// the last one, a device found by search can be pressed, and the wiring view draws what the
// search picked; a flood of presses is logged at a reading pace and the log ends on the newest.
// (Rendering speed under load is measured by bench/dashboard_bench.mjs.)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import mqtt from "mqtt";

import { launchBrowser } from "./browser.mjs";
import { BUSY_REDRAW_MS } from "../../dashboard/js/log_pace.js";
import { Stack } from "./stack.mjs";

const PAIRS = 2000;
const DEVICES = PAIRS * 2;
const WAIT = { timeout: 15_000 };
let stack;
let browser;
let page;

const tile = (id) => `#devices .tile[data-device-id="${id}"]`;
const domTiles = () => page.$$eval("#devices .tile[data-device-id]:not([hidden])", (els) => els.map((e) => e.dataset.deviceId));

before(async () => {
  stack = new Stack({ name: "browserlarge", pairs: { count: PAIRS } }, { label: "browser-large" });
  await stack.start({ deviceCount: DEVICES, timeoutMs: 120_000 });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(stack.url);
  await page.waitForSelector('#connection[data-state="connected"]', WAIT);
});

after(async () => {
  await browser?.close();
  const statuses = await stack?.stop();
  if (statuses) {
    assert.deepEqual(Object.values(statuses).filter((s) => s !== "exited with 0"), [], JSON.stringify(statuses));
    stack.cleanUp();
  }
});

test("only the tiles in view are in the DOM", async () => {
  await page.waitForFunction((n) => document.getElementById("device-count").textContent.startsWith(`${n.toLocaleString("en-US")} devices`), DEVICES, WAIT);
  const ids = await domTiles();
  assert.ok(ids.length > 10 && ids.length < 300, `${ids.length} tiles in the DOM for ${DEVICES} devices`);
  assert.ok(ids.includes("button-1") && ids.includes("actuator-1"));
  // Too many to draw every wire: the wiring view summarises.
  assert.match(await page.textContent("#wiring-summary"), /2,000\s+buttons/);
});

test("scrolling to the end shows the last devices", async () => {
  await page.evaluate(() => { document.getElementById("devices").scrollTop = 1e9; });
  await page.waitForSelector(tile(`actuator-${PAIRS}`), WAIT);
  assert.ok(!(await domTiles()).includes("button-1"), "the first tiles left the DOM");
  await page.evaluate(() => { document.getElementById("devices").scrollTop = 0; });
  await page.waitForSelector(tile("button-1"), WAIT);
});

test("search finds a device, which can be pressed, and draws its wiring", async () => {
  const button = `button-${PAIRS - 7}`;
  const actuator = `actuator-${PAIRS - 7}`;
  await page.fill("#device-search", button);
  await page.waitForFunction((id) => {
    const tiles = [...document.querySelectorAll("#devices .tile[data-device-id]:not([hidden])")];
    return tiles.length === 1 && tiles[0].dataset.deviceId === id;
  }, button, WAIT);
  // The wiring view draws the exact match and what it is wired to.
  await page.waitForSelector(`#wiring .wire[data-button="${button}"][data-target="${actuator}"]`, WAIT);
  await page.click(tile(button));
  await page.waitForSelector(`${tile(button)}[data-press-state="applied"]`, WAIT);
  const pressId = await page.getAttribute(tile(button), "data-press-id");
  await page.fill("#device-search", actuator);
  await page.waitForSelector(`${tile(actuator)}[data-press-id="${pressId}"]`, WAIT);
  const rest = await stack.api(`/api/devices/${actuator}`);
  assert.equal(await page.getAttribute(tile(actuator), "data-on"), String(rest.on));
  // The kind filter: buttons only.
  await page.fill("#device-search", "");
  await page.selectOption("#device-kind", "button");
  await page.waitForFunction((n) => document.getElementById("device-count").textContent.startsWith(`${n.toLocaleString("en-US")} of`), PAIRS, WAIT);
  assert.ok((await domTiles()).every((id) => id.startsWith("button-")));
});

test("a flood of presses is logged at a reading pace and the log ends on the newest", async () => {
  // Draws of the log's top row: one MutationObserver callback per frame that changed it.
  await page.evaluate(() => {
    window.__logDraws = [];
    new MutationObserver(() => window.__logDraws.push(performance.now()))
      .observe(document.getElementById("log"), { subtree: true, attributes: true, attributeFilter: ["data-press-id"] });
  });
  // The actuators' state reports for 2,400 presses over ~0.8 s (~3,000 a second: far more than
  // a screenful of rows a frame), as their agents would publish them.
  const client = await mqtt.connectAsync(stack.brokerUrl, { clientId: `large-test-${process.pid}`, reconnectPeriod: 0 });
  const FLOOD = 2400;
  const last = `flood-${FLOOD - 1}`;
  try {
    for (let n = 0; n < FLOOD; n += 30) {
      for (let i = n; i < n + 30; i++) {
        const pair = (i % PAIRS) + 1;
        // The last press a millisecond after the rest: the newest whatever order the feed sends.
        const ts = Date.now() * 1000 + (i === FLOOD - 1 ? 1000 : 0);
        const report = { device: `actuator-${pair}`, on: i % 2 === 0, press_id: `flood-${i}`, button: `button-${pair}`,
                         press_ts: ts, relay_ts: ts, applied_ts: ts };
        client.publish(`snet/browserlarge/state/actuator-${pair}`, JSON.stringify(report), { qos: 1, retain: true });
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await page.waitForSelector(`#log .log-row[data-press-id="${last}"]`, WAIT);
  } finally {
    await client.endAsync();
  }
  const draws = await page.evaluate(() => window.__logDraws);
  const span = draws[draws.length - 1] - draws[0];
  // Following the newest, a flood redraws at most every BUSY_REDRAW_MS; a frame that got at most
  // a screenful (the feed stalled) draws at once, so allow twice that and some: 60 frames a
  // second would still be ~3 times as many.
  assert.ok(draws.length <= 2 * Math.floor(span / BUSY_REDRAW_MS) + 5,
            `${draws.length} draws of the log in ${Math.round(span)} ms`);
  // The newest press is on top once the flood is over.
  const top = await page.$$eval("#log .log-row:not([hidden])", (rows) =>
    rows.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)[0]?.dataset.pressId);
  assert.equal(top, last);
});
