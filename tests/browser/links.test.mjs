// The dashboard's site view in headless Chromium against the real stack (mosquitto, snet-state,
// snet-relayer, snet-agent) on a topology with sites (tests/topology/sites.json): the sites are
// nested boxes holding their devices, each link is an edge labelled with its spec; clicking an
// edge cuts the link (PUT /api/links/{id}: the edge is drawn cut, the fault is logged and in the
// history, the retained LinkUpdate is on the broker), clicking it again restores it; the form
// sets latency/loss/rate; a click survives a redraw between press and release; a device whose
// presence goes offline is drawn unreachable.
// Run: SNET_BUILD_DIR=build node --test tests/browser/links.test.mjs (ctest -L browser).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import mqtt from "mqtt";

import { launchBrowser } from "./browser.mjs";
import { BUILD_DIR, SOURCE_DIR, Stack, eventually } from "./stack.mjs";

const SCREENSHOTS = path.join(BUILD_DIR, "browser-screenshots");
const WAIT = { timeout: 10_000 };

let stack;
let browser;
let page;
const pageErrors = [];
const puts = [];  // PUT /api/links/... requests the page made

before(async () => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  stack = new Stack(path.join(SOURCE_DIR, "tests/topology/sites.json"), { label: "browser-links" });
  await stack.start({ deviceCount: 6 });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
  page.on("pageerror", (err) => pageErrors.push(err.message));
  page.on("console", (msg) => { if (msg.type() === "error") pageErrors.push(msg.text()); });
  page.on("request", (req) => { if (req.method() === "PUT") puts.push(`${req.url()} ${req.postData()}`); });
  await page.goto(stack.url);
  await page.waitForSelector('#connection[data-state="connected"]', WAIT);
});

after(async () => {
  if (page) await page.screenshot({ path: path.join(SCREENSHOTS, "links.png"), fullPage: true }).catch(() => {});
  await browser?.close();
  const statuses = await stack?.stop();
  if (statuses) {
    assert.deepEqual(Object.values(statuses).filter((s) => s !== "exited with 0"), [], JSON.stringify(statuses));
    stack.cleanUp();
  }
});

/** The retained LinkUpdate of `link` as a fresh MQTT client receives it. */
async function retainedUpdate(link) {
  const client = await mqtt.connectAsync(stack.brokerUrl, { clientId: `links-test-${Date.now()}`, reconnectPeriod: 0 });
  try {
    const topic = `snet/${stack.name}/control/links/${link}`;
    const message = new Promise((resolve) => client.on("message", (t, payload, packet) => {
      if (t === topic) resolve({ update: JSON.parse(payload.toString()), retained: packet.retain });
    }));
    await client.subscribeAsync(topic, { qos: 1 });
    return await Promise.race([message, new Promise((_, reject) => setTimeout(() => reject(new Error(`no retained update on ${topic}`)), 5000))]);
  } finally {
    await client.endAsync();
  }
}

test("sites are nested boxes holding their devices, each link an edge with its spec", async () => {
  const edge = (id) => `#network .net-edge[data-edge="${id}"]`;
  await page.waitForSelector(edge("building-a"), WAIT);
  // building-a sits inside campus, floor-1 inside building-a; the devices in their sites.
  assert.ok(await page.$('#network .net-branch[data-site="campus"] .net-branch[data-site="building-a"] .net-branch[data-site="floor-1"]'));
  assert.ok(await page.$('#network .net-branch[data-site="floor-1"] .net-device[data-device="button-1"]'));
  assert.ok(await page.$('#network .net-branch[data-site="field"] .net-device[data-device="actuator-2"]'));
  assert.ok(await page.$('#network .net-devices.on-core .net-device[data-device="actuator-3"]'));
  assert.equal(await page.textContent(edge("building-a")), "20 ms · 1024 kbit/s");
  assert.equal(await page.textContent(edge("field")), "80 ms ±10 · 1% loss · 256 kbit/s");
  assert.equal(await page.getAttribute(edge("building-a"), "data-up"), "true");
  assert.match(await page.textContent("#network-meta"), /4 sites · 6 devices/);
  // Engines and traffic (the agent's process engine reports them) are read on demand.
  await page.click("#network-refresh");
  await page.waitForFunction(() => /engines: .*process/.test(document.querySelector('#network .net-edge[data-edge="field"]')?.title ?? ""), null, WAIT);
});

test("clicking an edge cuts the link: drawn cut, PUT sent, fault logged, LinkUpdate retained", async () => {
  const edge = '#network .net-edge[data-edge="building-a"]';
  await page.click(edge);
  await page.waitForSelector(`${edge}.cut[data-up="false"]`, WAIT);
  assert.match(await page.textContent(edge), /cut · 20 ms/);
  assert.equal(puts.length, 1);
  assert.match(puts[0], /\/api\/links\/building-a \{"up":false\}$/);
  // Devices behind the cut are drawn partitioned.
  assert.ok(await page.$('#network .net-device.partitioned[data-device="button-1"]'));
  assert.ok(await page.$('#network .net-device.partitioned[data-device="actuator-1"]'));
  assert.equal(await page.$('#network .net-device.partitioned[data-device="actuator-3"]'), null);
  // The change is a fault: event log row, chart marker, history.
  await page.waitForSelector('#log .log-row.fault[data-fault-action="link"][data-button="building-a"]', WAIT);
  assert.match(await page.textContent('#log .log-row.fault[data-button="building-a"]'), /up true -> false/);
  await page.waitForFunction(() => window.snet.chart.markers.some((m) => m.label === "link building-a"), null, WAIT);
  const faults = await stack.api("/api/events?kind=fault&device=building-a");
  assert.equal(faults.events.length, 1);
  assert.equal(faults.events[0].detail, "up true -> false");
  const { update, retained } = await retainedUpdate("building-a");
  assert.equal(retained, true);
  assert.deepEqual(update.spec, { latency_ms: 20, rate_kbit: 1024, up: false });
  assert.equal(update.id, faults.events[0].fault_id);
  assert.match(await page.textContent("#network-status"), /building-a: up true -> false/);

  // Clicking again restores it.
  await page.click(edge);
  await page.waitForSelector(`${edge}:not(.cut)[data-up="true"]`, WAIT);
  assert.equal(await page.$('#network .net-device.partitioned'), null);
  assert.equal(puts.length, 2);
});

test("a click survives a redraw between press and release", async () => {
  // The feed redraws the view whenever a link changes (every status interval while traffic
  // flows): a redraw that replaced the pressed name made the browser drop the click.
  const name = await page.locator('#network .net-name[data-select="building-a"]').boundingBox();
  await page.mouse.move(name.x + name.width / 2, name.y + name.height / 2);
  await page.mouse.down();
  await page.evaluate(() => new Promise((resolve) => {
    window.snet.network.rev++;
    window.snet.sites.invalidate();
    requestAnimationFrame(() => requestAnimationFrame(resolve));
  }));
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelector('#link-form [name="link"]').value === "building-a", null, WAIT);
  assert.equal(await page.inputValue('#link-form [name="latency_ms"]'), "20");
});

test("the form sets a link's latency, loss and rate; an emptied field lifts it", async () => {
  await page.click('#network .net-name[data-select="field"]');
  await page.waitForFunction(() => document.querySelector('#link-form [name="latency_ms"]').value === "80", null, WAIT);
  await page.fill('#link-form [name="latency_ms"]', "150");
  await page.fill('#link-form [name="loss_pct"]', "5");
  await page.fill('#link-form [name="rate_kbit"]', "");
  await page.click('#link-form button[type="submit"]');
  const edge = '#network .net-edge[data-edge="field"]';
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "150 ms ±10 · 5% loss", edge, WAIT);
  const link = (await stack.api("/api/links")).links.find((l) => l.id === "field");
  assert.deepEqual(link.spec, { latency_ms: 150, jitter_ms: 10, loss_pct: 5, seed: 7 });
  assert.equal(link.changed, true);
  assert.match(await page.textContent("#network-status"), /latency_ms 80 -> 150, loss_pct 1 -> 5, rate_kbit 256 -> unlimited/);
  // A device's own link, picked by its name, cut with the form's button.
  await page.click('#network .net-name[data-select="actuator-3"]');
  await page.waitForFunction(() => document.querySelector('#link-form [name="link"]').value === "actuator-3", null, WAIT);
  assert.equal(await page.textContent("#link-form button[data-toggle]"), "cut");
  await page.click("#link-form button[data-toggle]");
  await page.waitForSelector('#network .net-device[data-device="actuator-3"] .net-edge.cut', WAIT);
  await page.waitForFunction(() => document.querySelector("#link-form button[data-toggle]").textContent === "restore", null, WAIT);
});

test("after a restart of the state service the view shows what changed meanwhile", async () => {
  await stack.stopState();
  await page.waitForSelector('#connection[data-state="disconnected"]', WAIT);
  // A script changes a link while the state service is away: the broker retains it.
  const client = await mqtt.connectAsync(stack.brokerUrl, { clientId: "links-test-script", reconnectPeriod: 0 });
  await client.publishAsync(`snet/${stack.name}/control/links/field`,
                            JSON.stringify({ link: "field", spec: { latency_ms: 10 }, id: "script-1" }), { qos: 1, retain: true });
  await client.endAsync();
  await stack.startState();
  await page.waitForFunction(() => document.querySelector('#network .net-edge[data-edge="field"]')?.textContent === "10 ms", null, WAIT);
  assert.ok(await page.$('#network .net-device[data-device="actuator-3"] .net-edge.cut'));
});

test("a device whose presence goes offline is drawn unreachable", async () => {
  const res = await fetch(new URL("/api/devices/actuator-2/crash", stack.url), { method: "POST" });
  assert.equal(res.status, 202);
  await page.waitForSelector('#network .net-device.unreachable[data-device="actuator-2"]', WAIT);
  await eventually("actuator-2 offline in GET /api/links", async () =>
    (await stack.api("/api/links")).links.find((l) => l.id === "actuator-2").online === false);
  await fetch(new URL("/api/devices/actuator-2/online", stack.url), { method: "POST" });
  await page.waitForSelector('#network .net-device[data-device="actuator-2"]:not(.unreachable)', WAIT);
  // The restart makes Chromium log the refused connections (the WebSocket, a GET /api/links
  // asked for by the last link fault); anything else is a bug.
  const unexpected = pageErrors.filter((e) => !/WebSocket connection to .* failed|net::ERR_CONNECTION_REFUSED/.test(e));
  assert.deepEqual(unexpected, []);
});
