// A scenario's report.html in headless Chromium: `snet run` runs a short scenario with a fault
// window on its own stack, and the page it writes renders its plots (the latency points, the
// shaded fault window, the throughput bars) and tables, offline, without a script error.
// Run: SNET_BUILD_DIR=build node --test tests/browser/report.test.mjs (ctest -L browser).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";

import { launchBrowser } from "./browser.mjs";
import { BUILD_DIR, SOURCE_DIR } from "./stack.mjs";

const run = promisify(execFile);
const SCREENSHOTS = path.join(BUILD_DIR, "browser-screenshots");

let dir;
let browser;

before(async () => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "snet-report-"));
  const scenario = path.join(dir, "short.json");
  fs.writeFileSync(scenario, JSON.stringify({
    name: "short",
    description: "a press stream with one actuator offline for 2 s (browser test)",
    topology: path.join(SOURCE_DIR, "tests/topology/single-builtin.json"),
    duration_s: 8,
    workload: [{ buttons: "*", pattern: "constant", rate: 30 }],
    timeline: [{ at_s: 3, until_s: 5, devices: ["actuator-2"], do: "offline" }],
    expect: { lost: 0 },
  }));
  await run(path.join(BUILD_DIR, "snet"), ["run", scenario, "--report", path.join(dir, "report"), "--quiet"],
            { timeout: 150_000 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test("report.html renders its plots and tables offline, without errors", async () => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
  const errors = [];
  const requests = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (msg) => { if (msg.type() === "error") errors.push(msg.text()); });
  page.on("request", (req) => { if (!req.url().startsWith("file:")) requests.push(req.url()); });
  await page.goto(pathToFileURL(path.join(dir, "report", "report.html")).href);

  assert.equal(await page.textContent("#verdict"), "every expectation held");
  const points = await page.locator("#latency circle").count();
  assert.ok(points >= 200, `only ${points} latency points`);
  const band = page.locator("#latency rect.fault").first();
  const box = await band.boundingBox();
  assert.ok(box && box.width > 20 && box.height > 50, `fault window drawn as ${JSON.stringify(box)}`);
  const bars = await page.locator("#throughput rect.bar").count();
  assert.ok(bars >= 8, `${bars} throughput bars`);
  const plot = await page.locator("#latency").boundingBox();
  assert.ok(plot && plot.width > 500 && plot.height > 100, "the latency plot has a size");
  assert.match(await page.textContent("#faults"), /offline actuator-2/);
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, [], "the page fetched something from the network");
  await page.screenshot({ path: path.join(SCREENSHOTS, "report.png"), fullPage: true });

  const report = JSON.parse(fs.readFileSync(path.join(dir, "report", "report.json"), "utf8"));
  assert.equal(report.pairs.lost, 0);
  assert.ok(report.presses.sent >= 230, `sent ${report.presses.sent}`);
  const csv = fs.readFileSync(path.join(dir, "report", "presses.csv"), "utf8").trim().split("\n");
  assert.equal(csv.length - 1, report.pairs.total + (report.presses.planned - report.presses.acked));
});
