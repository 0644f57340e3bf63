// Rules on the wiring view, in headless Chromium against the real stack: a rule is drawn beside
// the buttons (what it watches, its threshold) with a wire through the relayer to what it
// commands; a reading that crosses the threshold (published by an independent MQTT client, as the
// sensor would) fires it through the real relayer and agent, and the rule's node counts the
// firing while its actuator turns on. A reading that stays above does not fire again.
// Run: SNET_BUILD_DIR=build node --test tests/browser/rules.test.mjs (ctest -L browser).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import mqtt from "mqtt";

import { launchBrowser } from "./browser.mjs";
import { BUILD_DIR, Stack } from "./stack.mjs";

const SCREENSHOTS = path.join(BUILD_DIR, "browser-screenshots");
const WAIT = { timeout: 10_000 };

const topology = {
  name: "rulestest",
  description: "Dashboard test: a rule on the wiring view.",
  compute: { backend: "builtin", action: "flip_switch" },
  devices: [
    { id: "button-1", kind: "button", targets: ["lamp-1"] },
    { id: "lamp-1", kind: "actuator" },
    { id: "alarm-1", kind: "actuator" },
    // Its agent publishes rarely (20 C, below the threshold); the test publishes the crossings.
    { id: "thermo-1", kind: "sensor",
      sensor: { capability: "temperature", unit: "C", rate_hz: 0.001, model: { type: "constant", value: 20 } } },
  ],
  rules: [
    { id: "too-warm", on: { device: "thermo-1", reading: "temperature", above: 24 },
      compute: { action: "all_on" }, targets: ["alarm-1"] },
  ],
};

let stack;
let browser;
let page;
let client;
let seq = 1_000_000;  // after any the agent's sensor publishes: newer readings
const pageErrors = [];
const rule = '#wiring [data-node="too-warm"][data-kind="rule"]';

before(async () => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  stack = new Stack(topology, { label: "rules" });
  await stack.start({ deviceCount: topology.devices.length });
  client = await mqtt.connectAsync(stack.brokerUrl, { clientId: `rules-test-${process.pid}`, reconnectPeriod: 0 });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (err) => pageErrors.push(err.message));
  page.on("console", (msg) => { if (msg.type() === "error") pageErrors.push(msg.text()); });
  await page.goto(stack.url);
  await page.waitForSelector(rule, WAIT);
});

after(async () => {
  if (page) await page.screenshot({ path: path.join(SCREENSHOTS, "rules.png"), fullPage: true }).catch(() => {});
  await client?.endAsync();
  await browser?.close();
  const statuses = await stack?.stop();
  if (statuses) {
    assert.deepEqual(Object.values(statuses).filter((s) => s !== "exited with 0"), [], JSON.stringify(statuses));
    stack.cleanUp();
  }
});

/** Publishes one reading of thermo-1 at QoS 1; returns its seq. */
async function publish(value) {
  seq++;
  const reading = { device: "thermo-1", capability: "temperature", value, unit: "C", seq, ts: Date.now() * 1000 };
  await client.publishAsync(`snet/${topology.name}/reading/thermo-1`, JSON.stringify(reading), { qos: 1 });
  return seq;
}

/** Waits until the rule's node shows the firing of the reading numbered `readingSeq`. */
async function firedBy(readingSeq) {
  await page.waitForFunction(([selector, s]) => document.querySelector(selector)?.dataset.lastPress?.includes(`:${s}:`),
                             [rule, readingSeq], WAIT);
  return page.$eval(rule, (el) => Number(el.dataset.fired));
}

test("a rule is drawn beside the buttons, with its condition and a wire to what it commands", async () => {
  assert.match(await page.textContent(rule), /too-warm.*> 24/);
  const title = await page.$eval(`${rule} title`, (el) => el.textContent);
  assert.match(title, /when temperature > 24 \(thermo-1; watches thermo-1\)/);
  await page.waitForSelector('#wiring .wire[data-button="too-warm"][data-target="alarm-1"]', WAIT);
  assert.equal(await page.$$eval('#wiring .wire[data-button="too-warm"]', (els) => els.length), 1);
  // A rule is not a button: clicking it presses nothing.
  assert.equal(await page.$eval(rule, (el) => el.getAttribute("role")), null);
});

test("a reading crossing the threshold fires the rule: its node counts it, the alarm turns on", async () => {
  assert.equal(await page.$eval(rule, (el) => el.dataset.fired ?? "0"), "0");
  const crossing = await publish(30);
  assert.equal(await firedBy(crossing), 1);
  await page.waitForSelector('#wiring [data-node="alarm-1"].on', WAIT);
  assert.equal(await page.$eval('#wiring [data-node="lamp-1"]', (el) => el.classList.contains("on")), false);

  // The event log names the rule's own action, not the topology's.
  const row = '#log .log-row[data-button="too-warm"]';
  await page.waitForSelector(row, WAIT);
  assert.match(await page.$eval(`${row} .action`, (el) => el.textContent), /^all_on \(builtin\)/);

  // Still above: no firing; back below re-arms it; above again fires once more.
  await publish(31);
  await publish(20);
  assert.equal(await firedBy(await publish(29)), 2);
  assert.deepEqual(pageErrors, []);
});
