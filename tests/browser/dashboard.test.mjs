// The dashboard in headless Chromium against the real stack (mosquitto, snet-state, snet-relayer,
// snet-agent from $SNET_BUILD_DIR, started here on free ports with a temp data folder):
// every device shown, a click switching actuators, a mosquitto_pub press appearing, an action
// error shown with its reason, and a state service restart the page recovers from.
// Run: SNET_BUILD_DIR=build node --test tests/browser/ (ctest -L browser does this).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import { launchBrowser } from "./browser.mjs";
import { BUILD_DIR, Stack, eventually } from "./stack.mjs";

const SCREENSHOTS = path.join(BUILD_DIR, "browser-screenshots");
const WAIT = { timeout: 10_000 };

// 1->N, N->1, pairs, and a button whose builtin action does not exist (each press: a PressError).
const topology = {
  name: "browsertest",
  description: "Dashboard test: a hall button for three lamps, two doors sharing a porch lamp, a broken button, three pairs.",
  compute: { backend: "builtin", action: "flip_switch" },
  devices: [
    { id: "hall-button", kind: "button", targets: ["lamp-1", "lamp-2", "lamp-3"] },
    { id: "door-a", kind: "button", targets: ["porch-lamp"] },
    { id: "door-b", kind: "button", targets: ["porch-lamp"] },
    { id: "broken-button", kind: "button", targets: ["lamp-3"], compute: { backend: "builtin", action: "dim" } },
    { id: "lamp-1", kind: "actuator", attrs: { floor: "1" } },
    { id: "lamp-2", kind: "actuator", attrs: { floor: "1" } },
    { id: "lamp-3", kind: "actuator", attrs: { floor: "2" } },
    { id: "porch-lamp", kind: "actuator", attrs: { floor: "0" } },
  ],
  pairs: { count: 3, button: "button-", actuator: "actuator-" },
};
const DEVICE_IDS = [...topology.devices.map((d) => d.id), "button-1", "actuator-1", "button-2", "actuator-2", "button-3", "actuator-3"];

let stack;
let browser;
let page;
const pageErrors = [];

const tile = (id) => `#devices .tile[data-device-id="${id}"]`;
const logRow = (pressId) => `#log .log-row[data-press-id="${pressId}"]`;

before(async () => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  stack = new Stack(topology, { label: "browser" });
  await stack.start({ deviceCount: DEVICE_IDS.length });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
  page.on("pageerror", (err) => pageErrors.push(err.message));
  page.on("console", (msg) => { if (msg.type() === "error") pageErrors.push(msg.text()); });
  await page.goto(stack.url);
});

after(async () => {
  await browser?.close();
  const statuses = await stack?.stop();
  if (statuses) {
    // Every service stops cleanly on SIGTERM (a kill would hide a hang on shutdown).
    assert.deepEqual(Object.values(statuses).filter((s) => s !== "exited with 0"), [], JSON.stringify(statuses));
    stack.cleanUp();
  }
});

/** The actuator tiles' states as the page shows them: {id: "true" | "false" | "null"}. */
function shownStates(ids) {
  return page.evaluate((list) => Object.fromEntries(list.map((id) => [id, document.querySelector(`#devices .tile[data-device-id="${id}"]`)?.dataset.on])), ids);
}

test("the page loads with every device of the topology", async () => {
  await page.waitForSelector('#connection[data-state="connected"]', WAIT);
  for (const id of DEVICE_IDS) await page.waitForSelector(tile(id), WAIT);
  const tiles = await page.$$eval("#devices .tile[data-device-id]:not([hidden])", (els) => els.map((e) => e.dataset.deviceId));
  assert.deepEqual([...tiles].sort(), [...DEVICE_IDS].sort());
  assert.match(await page.textContent("#device-count"), /14 devices · 7 buttons, 7 actuators/);
  assert.equal(await page.textContent("#topology-name"), "browsertest");
  // The wiring: every device is a node, the hall button has a wire to each of its three lamps.
  const nodes = await page.$$eval("#wiring [data-node]", (els) => els.map((e) => e.dataset.node));
  assert.deepEqual([...nodes].sort(), [...DEVICE_IDS].sort());
  const hallWires = await page.$$eval('#wiring .wire[data-button="hall-button"]', (els) => els.map((e) => e.dataset.target));
  assert.deepEqual(hallWires.sort(), ["lamp-1", "lamp-2", "lamp-3"]);
  const computes = await page.$$eval("#wiring .compute", (els) => els.map((e) => e.dataset.compute));
  assert.deepEqual(computes.sort(), ["builtin · dim", "builtin · flip_switch"]);
  // Every actuator shows what the state service has (its initial report: off).
  const rest = await stack.api("/api/devices");
  const actuators = rest.devices.filter((d) => d.kind === "actuator");
  const shown = await shownStates(actuators.map((d) => d.id));
  for (const d of actuators) assert.equal(shown[d.id], String(d.on), `${d.id} on the page vs REST`);
  // Health: broker, state, relayer, compute and agents all reported healthy.
  await page.waitForFunction(() => ["broker", "state", "relayer", "compute", "agents"].every(
    (s) => document.querySelector(`#health .chip[data-service="${s}"]`)?.dataset.state === "ok"), null, WAIT);
});

test("clicking a button changes its actuators within 500 ms", async (t) => {
  const targets = ["lamp-1", "lamp-2", "lamp-3"];
  const before = await shownStates(targets);
  // Measured in the page: from the click event to the last target tile's DOM change.
  await page.evaluate((ids) => {
    window.__clickToDom = new Promise((resolve) => {
      const read = (id) => document.querySelector(`#devices .tile[data-device-id="${id}"]`)?.dataset.on;
      const initial = Object.fromEntries(ids.map((id) => [id, read(id)]));
      let clickedAt = null;
      document.addEventListener("click", () => { clickedAt = performance.now(); }, { capture: true, once: true });
      const observer = new MutationObserver(() => {
        if (clickedAt !== null && ids.every((id) => read(id) !== initial[id])) {
          observer.disconnect();
          resolve(performance.now() - clickedAt);
        }
      });
      observer.observe(document.getElementById("devices"), { subtree: true, attributes: true, attributeFilter: ["data-on"] });
    });
  }, targets);
  await page.click(tile("hall-button"));
  const ms = await page.evaluate(() => Promise.race([
    window.__clickToDom,
    new Promise((resolve) => setTimeout(() => resolve(Infinity), 5000)),
  ]));
  assert.ok(ms <= 500, `click to DOM took ${ms} ms`);
  t.diagnostic(`click to the last actuator tile changing: ${ms.toFixed(1)} ms`);
  const afterClick = await shownStates(targets);
  for (const id of targets) assert.equal(afterClick[id], before[id] === "true" ? "false" : "true", id);
  // The press settles as applied, and its log row has the press id, targets and hop timings.
  await page.waitForSelector(`${tile("hall-button")}[data-press-state="applied"]`, WAIT);
  const pressId = await page.getAttribute(tile("hall-button"), "data-press-id");
  assert.ok(pressId);
  await page.waitForSelector(`${logRow(pressId)}.applied`, WAIT);
  const row = await page.textContent(logRow(pressId));
  assert.match(row, /hall-button → lamp-1, lamp-2, lamp-3/);
  assert.match(row, /3\/3 applied/);
  assert.match(row, /flip_switch \(builtin\)/);
  assert.match(row, /relay [\d.]+ (µs|ms) · apply [\d.]+ (µs|ms) · store [\d.]+ (µs|ms) · total/);
  // The page agrees with the state service.
  const rest = await stack.api("/api/devices/lamp-2");
  assert.equal(rest.press_id, pressId);
  assert.equal(afterClick["lamp-2"], String(rest.on));
});

test("a press published with mosquitto_pub appears on the page", async () => {
  const pressId = `cli-press-${Date.now()}`;
  const before = (await shownStates(["actuator-2"]))["actuator-2"];
  await stack.pressWithMosquittoPub("button-2", pressId);
  await page.waitForSelector(`${tile("actuator-2")}[data-press-id="${pressId}"]`, WAIT);
  assert.equal((await shownStates(["actuator-2"]))["actuator-2"], before === "true" ? "false" : "true");
  await page.waitForSelector(`${logRow(pressId)}.applied`, WAIT);
  assert.match(await page.textContent(logRow(pressId)), /button-2 → actuator-2/);
  // Filtering the log by device shows this press and hides the others.
  await page.fill("#log-filter", "actuator-2");
  await page.waitForFunction((id) => {
    const rows = [...document.querySelectorAll("#log .log-row[data-press-id]:not([hidden])")];
    return rows.length > 0 && rows.every((r) => r.textContent.includes("actuator-2")) && rows.some((r) => r.dataset.pressId === id);
  }, pressId, WAIT);
  await page.click("#log-clear");
  await page.waitForSelector(`#log .log-row[data-button="hall-button"]`, WAIT);
});

test("an action error is shown with its reason", async () => {
  await page.click(tile("broken-button"));
  await page.waitForSelector(`${tile("broken-button")}[data-press-state="error"]`, WAIT);
  const text = await page.textContent(tile("broken-button"));
  assert.match(text, /unknown builtin action 'dim'/);
  const pressId = await page.getAttribute(tile("broken-button"), "data-press-id");
  await page.waitForSelector(`${logRow(pressId)}.error`, WAIT);
  assert.match(await page.textContent(logRow(pressId)), /unknown builtin action 'dim' \(available: .*flip_switch/);
  // The wiring view shows it at the compute node that failed, and the error counter counts it.
  assert.match(await page.textContent('#wiring .compute[data-compute="builtin · dim"]'), /unknown builtin action/);
  await page.waitForFunction(() => Number(document.getElementById("count-errors").textContent.replace(/,/g, "")) >= 1, null, WAIT);
  await page.screenshot({ path: path.join(SCREENSHOTS, "dashboard.png"), fullPage: true });
});

test("after the state service restarts the page reconnects and shows the right state", async () => {
  const connects = Number(await page.getAttribute("#connection", "data-connects"));
  await stack.stopState();
  await page.waitForSelector('#connection[data-state="disconnected"]', WAIT);
  // While it is away, a press changes actuator-3 (the broker retains the new state).
  const pressId = `while-down-${Date.now()}`;
  await stack.pressWithMosquittoPub("button-3", pressId);
  await stack.startState();
  await page.waitForFunction((n) => {
    const c = document.getElementById("connection");
    return c.dataset.state === "connected" && Number(c.dataset.connects) > n;
  }, connects, { timeout: 15_000 });
  // The restarted service has the press; the page shows the same state for every actuator.
  await eventually("the state service to store the press made while it was down",
    async () => (await stack.api("/api/devices/actuator-3")).press_id === pressId);
  await page.waitForSelector(`${tile("actuator-3")}[data-press-id="${pressId}"]`, WAIT);
  const rest = (await stack.api("/api/devices")).devices.filter((d) => d.kind === "actuator");
  const shown = await shownStates(rest.map((d) => d.id));
  for (const d of rest) assert.equal(shown[d.id], String(d.on), `${d.id} after the restart`);
  // And it is live again: a click still works end to end.
  await page.click(tile("door-a"));
  await page.waitForSelector(`${tile("door-a")}[data-press-state="applied"]`, WAIT);
  await page.screenshot({ path: path.join(SCREENSHOTS, "dashboard-after-restart.png"), fullPage: true });
});

test("the page logged no errors", () => {
  // The restart makes Chromium log the refused WebSocket connections; anything else is a bug.
  const unexpected = pageErrors.filter((e) => !/WebSocket connection to .* failed/.test(e));
  assert.deepEqual(unexpected, []);
});
