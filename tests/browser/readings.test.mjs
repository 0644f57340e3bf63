// Sensor readings on the dashboard, in headless Chromium against the real stack: readings
// published by an independent MQTT client (as a sensor would) appear on the device's card as the
// latest value with its unit and a sparkline that grows with each reading, live over the
// WebSocket, and as the value on the wiring view; after a reload the snapshot's latest is shown.
// Run: SNET_BUILD_DIR=build node --test tests/browser/readings.test.mjs (ctest -L browser).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import mqtt from "mqtt";

import { launchBrowser } from "./browser.mjs";
import { BUILD_DIR, Stack } from "./stack.mjs";

const SCREENSHOTS = path.join(BUILD_DIR, "browser-screenshots");
const WAIT = { timeout: 10_000 };

// Readings are accepted from any device of the topology; a plain actuator stands in for a sensor.
const topology = {
  name: "readingstest",
  description: "Dashboard test: a thermometer's readings as a sparkline.",
  compute: { backend: "builtin", action: "flip_switch" },
  devices: [
    { id: "button-1", kind: "button", targets: ["lamp-1"] },
    { id: "lamp-1", kind: "actuator" },
    { id: "thermo-1", kind: "actuator" },
  ],
};

let stack;
let browser;
let page;
let client;
let seq = 0;
const pageErrors = [];
const tile = (id) => `#devices .tile[data-device-id="${id}"]`;

before(async () => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  stack = new Stack(topology, { label: "readings" });
  await stack.start({ deviceCount: topology.devices.length });
  client = await mqtt.connectAsync(stack.brokerUrl, { clientId: `readings-test-${process.pid}`, reconnectPeriod: 0 });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (err) => pageErrors.push(err.message));
  page.on("console", (msg) => { if (msg.type() === "error") pageErrors.push(msg.text()); });
  await page.goto(stack.url);
  await page.waitForSelector(tile("thermo-1"), WAIT);
});

after(async () => {
  if (page) await page.screenshot({ path: path.join(SCREENSHOTS, "readings.png"), fullPage: true }).catch(() => {});
  await client?.endAsync();
  await browser?.close();
  const statuses = await stack?.stop();
  if (statuses) {
    assert.deepEqual(Object.values(statuses).filter((s) => s !== "exited with 0"), [], JSON.stringify(statuses));
    stack.cleanUp();
  }
});

/** Publishes readings of thermo-1 at QoS 1 (acknowledged by the broker before it returns). */
async function publish(...values) {
  for (const value of values) {
    seq++;
    const reading = { device: "thermo-1", capability: "temperature", value, unit: "C", seq, ts: Date.now() * 1000 + seq };
    await client.publishAsync(`snet/${topology.name}/reading/thermo-1`, JSON.stringify(reading), { qos: 1 });
  }
}

/** What thermo-1's card shows: its sparkline's point count, latest value and text. */
function card() {
  return page.evaluate((selector) => {
    const el = document.querySelector(selector);
    const spark = el?.querySelector("svg.sparkline");
    return {
      // Shown: laid out with a size (not display: none).
      points: spark && spark.getBoundingClientRect().width > 0 ? Number(spark.dataset.points) : 0,
      polyline: spark?.querySelector("polyline")?.getAttribute("points") ?? "",
      reading: el?.dataset.reading ?? null,
      sub: el?.querySelector(".sub")?.textContent ?? "",
    };
  }, tile("thermo-1"));
}

test("a device without readings has no sparkline", async () => {
  const shown = await card();
  assert.equal(shown.points, 0);
  assert.equal(shown.reading, null);
  assert.doesNotMatch(shown.sub, / C\b/);
});

test("readings draw a sparkline with the latest value and unit, updated live", async () => {
  await publish(20, 21, 22.5);
  await page.waitForFunction((selector) => document.querySelector(selector)?.dataset.reading === "22.5",
                             tile("thermo-1"), WAIT);
  let shown = await card();
  assert.equal(shown.points, 3);
  assert.match(shown.sub, /22\.5 C/);  // after its on/off state (the agent plays it)
  assert.equal(shown.polyline.split(" ").length, 3);
  const before = shown.polyline;

  await publish(19, 25.25);
  await page.waitForFunction((selector) => document.querySelector(selector)?.dataset.reading === "25.25",
                             tile("thermo-1"), WAIT);
  shown = await card();
  assert.equal(shown.points, 5);
  assert.match(shown.sub, /25\.25 C/);
  assert.notEqual(shown.polyline, before);
  // Other cards are untouched.
  assert.equal(await page.$eval(tile("lamp-1"), (el) => el.dataset.reading ?? null), null);
});

test("the wiring view shows the device's latest value", async () => {
  await page.waitForFunction(() => document.querySelector('#wiring [data-node="thermo-1"]')?.dataset.reading === "25.25",
                             null, WAIT);
  const text = await page.$eval('#wiring [data-node="thermo-1"] .sub', (el) => el.textContent);
  assert.match(text, /25\.25 C/);
});

test("after a reload the snapshot's latest reading is shown, and new ones extend it", async () => {
  await page.reload();
  await page.waitForFunction((selector) => document.querySelector(selector)?.dataset.reading === "25.25",
                             tile("thermo-1"), WAIT);
  assert.equal((await card()).points, 1);
  await publish(24);
  await page.waitForFunction((selector) => document.querySelector(selector)?.dataset.reading === "24",
                             tile("thermo-1"), WAIT);
  assert.equal((await card()).points, 2);
});

test("the page logged no errors", () => {
  assert.deepEqual(pageErrors, []);
});
