// The dashboard's live controls in headless Chromium against the real stack (mosquitto,
// snet-state, snet-relayer, snet-agent) and a STAND-IN supervisor (the real one, in `snet up`,
// is tested by its owner): a service's kill button and a device's "offline" menu item reach the
// control API, and each shows up as a fault in the event log and on the latency chart.
// Run: SNET_BUILD_DIR=build node --test tests/browser/control.test.mjs (ctest -L browser).
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before, test } from "node:test";

import { launchBrowser } from "./browser.mjs";
import { BUILD_DIR, SOURCE_DIR, Stack, eventually, freePort } from "./stack.mjs";

const SCREENSHOTS = path.join(BUILD_DIR, "browser-screenshots");
const WAIT = { timeout: 10_000 };

/** The supervisor contract (GET /services, POST /services/{name}/{verb}) in memory. */
class FakeSupervisor {
  calls = [];
  services = new Map(["broker", "state", "whisk", "relayer", "agent"].map((name) => [name,
    { name, kind: name, pid: 1000, state: "running", restarts: 0, last_exit: null, since_us: Date.now() * 1000 }]));

  async start() {
    this.port = await freePort();
    this.server = http.createServer((req, res) => {
      this.calls.push(`${req.method} ${req.url}`);
      const reply = (status, body) => {
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.method === "GET" && req.url === "/services") return reply(200, { services: [...this.services.values()] });
      const match = /^\/services\/([^/]+)\/([^/]+)$/.exec(req.url);
      const service = match && this.services.get(match[1]);
      if (req.method !== "POST" || !service) return reply(404, { error: `no such service or resource: ${req.url}` });
      const verb = match[2];
      if (verb === "kill" || verb === "restart") {
        service.restarts++;
        if (verb === "kill") service.last_exit = "killed by signal 9";
      } else if (verb === "pause") service.state = "paused";
      else if (verb === "resume" || verb === "start") service.state = "running";
      else if (verb === "stop") service.state = "stopped";
      else return reply(400, { error: `unknown verb '${verb}'` });
      return reply(200, { service });
    });
    await new Promise((resolve) => this.server.listen(this.port, "127.0.0.1", resolve));
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  stop() {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

let supervisor;
let stack;
let browser;
let page;
const pageErrors = [];

before(async () => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  supervisor = new FakeSupervisor();
  await supervisor.start();
  stack = new Stack(path.join(SOURCE_DIR, "tests/topology/single-builtin.json"),
                    { label: "browser-control", stateArgs: ["--supervisor-url", supervisor.url] });
  await stack.start({ deviceCount: 6 });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
  page.on("pageerror", (err) => pageErrors.push(err.message));
  page.on("console", (msg) => { if (msg.type() === "error") pageErrors.push(msg.text()); });
  await page.goto(stack.url);
  await page.waitForSelector('#connection[data-state="connected"]', WAIT);
});

after(async () => {
  if (page) await page.screenshot({ path: path.join(SCREENSHOTS, "control.png"), fullPage: true }).catch(() => {});
  await browser?.close();
  const statuses = await stack?.stop();
  await supervisor?.stop();
  if (statuses) {
    assert.deepEqual(Object.values(statuses).filter((s) => s !== "exited with 0"), [], JSON.stringify(statuses));
    stack.cleanUp();
  }
});

test("the health strip shows the supervised services; kill goes to the supervisor and is logged", async () => {
  const chip = '#supervised .chip[data-service="relayer"]';
  await page.waitForSelector(chip, WAIT);
  assert.equal(await page.getAttribute(chip, "data-state"), "running");
  // The state service has no stop button (it cannot stop itself), the others do.
  assert.equal(await page.$('#supervised button[aria-label="stop state"]'), null);
  assert.ok(await page.$('#supervised button[aria-label="stop relayer"]'));

  await page.click('#supervised button[aria-label="kill relayer"]');
  const row = '#log .log-row.fault[data-fault-action="kill"][data-button="relayer"]';
  await page.waitForSelector(row, WAIT);
  assert.ok(supervisor.calls.includes("POST /services/relayer/kill"), supervisor.calls.join(", "));
  assert.match(await page.textContent(row), /kill relayer/);
  // The restart count the supervisor reports is shown.
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes("↻1"),
                             '#supervised .chip[data-service="relayer"]', WAIT);
  await page.waitForFunction(() => window.snet.chart.markers.some((m) => m.label === "kill relayer"), null, WAIT);
});

test("a device's fault menu sends offline, logged as a fault and marked on the chart", async () => {
  const menuButton = '#devices .tile[data-device-id="actuator-1"] .tile-menu';
  await page.waitForSelector(menuButton, WAIT);
  await page.click(menuButton);
  await page.waitForSelector('#device-menu[data-device="actuator-1"]:not([hidden])', WAIT);
  await page.click('#device-menu button[data-verb="offline"]');
  const row = '#log .log-row.fault[data-fault-action="offline"][data-button="actuator-1"]';
  await page.waitForSelector(row, WAIT);
  assert.equal(await page.isHidden("#device-menu"), true);
  await page.waitForFunction(() => window.snet.chart.markers.some((m) => m.label === "offline actuator-1"), null, WAIT);
  // Opening the menu did not press or inspect anything else: the fault is in the history too.
  const faults = await eventually("the fault in GET /api/events?kind=fault", async () => {
    const body = await stack.api("/api/events?kind=fault");
    return body.events.some((e) => e.action === "offline" && e.target === "actuator-1") && body.events;
  });
  assert.ok(faults.length >= 2);
});

test("a topology without an emulated network explains the network card instead", async () => {
  await page.waitForSelector("#network .net-hint", WAIT);
  assert.match(await page.textContent("#network .net-hint"), /does not emulate a network.*"sites"/);
  assert.equal(await page.isHidden("#link-form"), true);
  assert.equal(await page.isHidden("#network-refresh"), true);
});

test("the reconnect storm button storms the devices of the chosen kind", async () => {
  await page.selectOption("#device-kind", "actuator");
  await page.click("#storm");
  await page.waitForSelector('#log .log-row.fault[data-fault-action="storm"][data-button="kind:actuator"]', WAIT);
  assert.match(await page.textContent("#control-status"), /reconnect storm: 3 devices/);
  await page.selectOption("#device-kind", "all");
  assert.deepEqual(pageErrors, []);
});
