// A running scenario on the live dashboard, in headless Chromium against the real stack
// (mosquitto, snet-state, snet-relayer, snet-agent, started by the test): `snet run --attach`
// runs a short scenario with an actuator offline for a window; the page shows the scenario
// panel (name, progress, the timeline strip with the current phase highlighted, live counts),
// shades the fault window on the latency chart, and shows the run finished at the end. A page
// opened mid-run gets the scenario from its snapshot.
// Run: SNET_BUILD_DIR=build node --test tests/browser/scenario.test.mjs (ctest -L browser).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import { launchBrowser } from "./browser.mjs";
import { BUILD_DIR, SOURCE_DIR, Stack, program } from "./stack.mjs";

const SCREENSHOTS = path.join(BUILD_DIR, "browser-screenshots");
const WAIT = { timeout: 15_000 };
const LABEL = "actuator-1 offline";

let stack;
let browser;
let page;
let run;  // the `snet run` child: {process, exited (promise of its exit code), output}
const pageErrors = [];

function watchErrors(p) {
  p.on("pageerror", (err) => pageErrors.push(err.message));
  p.on("console", (msg) => { if (msg.type() === "error") pageErrors.push(msg.text()); });
}

/** `snet run` of a short scenario against the test's stack. */
function startRun() {
  const scenario = path.join(stack.dir, "live.json");
  fs.writeFileSync(scenario, JSON.stringify({
    name: "live-demo",
    description: "a press stream with one actuator offline for 3 s (browser test)",
    topology: path.join(SOURCE_DIR, "tests/topology/single-builtin.json"),
    duration_s: 10,
    workload: [{ buttons: "*", pattern: "constant", rate: 15 }],
    timeline: [{ at_s: 3, until_s: 6, devices: ["actuator-1"], do: "offline", label: LABEL },
               { at_s: 8, devices: ["actuator-2"], do: "reconnect", label: "reconnect actuator-2" }],
  }));
  const child = spawn(program("snet"), ["run", scenario, "--attach", stack.url.replace(/\/$/, ""),
                                        "--broker-url", stack.brokerUrl, "--report", path.join(stack.dir, "report"),
                                        "--drain-s", "5", "--quiet"], { stdio: ["ignore", "pipe", "pipe"] });
  const result = { process: child, output: "" };
  child.stdout.on("data", (d) => { result.output += d; });
  child.stderr.on("data", (d) => { result.output += d; });
  result.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
  return result;
}

before(async () => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  stack = new Stack(path.join(SOURCE_DIR, "tests/topology/single-builtin.json"), { label: "browser-scenario" });
  await stack.start({ deviceCount: 6 });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
  watchErrors(page);
  await page.goto(stack.url);
  await page.waitForSelector('#connection[data-state="connected"]', WAIT);
});

after(async () => {
  if (run?.process.exitCode === null) run.process.kill("SIGKILL");
  await browser?.close();
  const statuses = await stack?.stop();
  if (statuses) {
    assert.deepEqual(Object.values(statuses).filter((s) => s !== "exited with 0"), [], JSON.stringify(statuses));
    stack.cleanUp();
  }
});

test("no scenario panel before a scenario ran; GET /api/scenario says none", async () => {
  assert.equal(await page.isHidden("#scenario"), true);
  const res = await fetch(new URL("/api/scenario", stack.url));
  assert.equal(res.status, 404);
  assert.match((await res.json()).error, /no scenario has run/);
});

test("a running scenario: panel, timeline, current phase, counts, shaded window on the chart", async () => {
  run = startRun();
  await page.waitForSelector("#scenario:not([hidden])", WAIT);
  assert.equal(await page.textContent("#scenario-name"), "live-demo");
  assert.match(await page.textContent("#scenario-description"), /actuator offline for 3 s/);
  // Both actions on the strip: the window with a width, the single action as a point.
  const windowStep = `#scenario-timeline .step.window[data-label="${LABEL}"]`;
  await page.waitForSelector(windowStep, WAIT);
  assert.ok(await page.$('#scenario-timeline .step.point[data-label="reconnect actuator-2"]'));
  // Both measured in one go in the page: the strip is drawn again on each update, and a step
  // measured between two draws has no box (seen in CI: boundingBox() gave null).
  const measured = await page.waitForFunction((selector) => {
    const strip = document.querySelector("#scenario-timeline")?.getBoundingClientRect();
    const box = document.querySelector(selector)?.getBoundingClientRect();
    if (!strip || !box || strip.width === 0 || box.width === 0) return null;
    return { strip: { x: strip.x, width: strip.width }, box: { x: box.x, width: box.width } };
  }, windowStep, WAIT);
  const { strip, box } = await measured.jsonValue();
  // at 3 s of 10, 3 s wide: 30 % in, 30 % wide.
  assert.ok(Math.abs((box.x - strip.x) / strip.width - 0.3) < 0.02, JSON.stringify({ box, strip }));
  assert.ok(Math.abs(box.width / strip.width - 0.3) < 0.02, JSON.stringify({ box, strip }));

  // The phase while the actuator is offline: named and its step highlighted.
  await page.waitForSelector(`#scenario-timeline .step.current[data-label="${LABEL}"][data-state="active"]`, WAIT);
  assert.equal(await page.textContent("#scenario-phase"), `during ${LABEL}`);
  assert.equal(await page.getAttribute("#scenario-phase", "data-during"), "true");
  assert.equal(await page.textContent("#scenario-state"), "running");
  const sent = Number((await page.textContent('#scenario-counts [data-count="sent"] .value')).split(" / ")[0].replace(/,/g, ""));
  assert.ok(sent > 0, `sent ${sent}`);
  assert.ok(await page.$('#scenario-counts [data-count="pending"]'));
  // The window shaded on the latency chart, from its start to now.
  await page.waitForFunction((label) => window.snet.chart.shaded.some((w) => w.label === label && w.x1 - w.x0 >= 1),
                             LABEL, WAIT);

  // A page opened mid-run shows the scenario from its snapshot.
  const late = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  watchErrors(late);
  await late.goto(stack.url);
  await late.waitForSelector('#connection[data-state="connected"]', WAIT);
  await late.waitForSelector("#scenario:not([hidden])", WAIT);
  assert.equal(await late.textContent("#scenario-name"), "live-demo");
  await late.close();

  // After the window: the phase moves on.
  await page.waitForSelector(`#scenario-timeline .step[data-label="${LABEL}"][data-state="done"]`, WAIT);
  await page.waitForFunction(() => /^after /.test(document.querySelector("#scenario-phase").textContent), null, WAIT);
  await page.screenshot({ path: path.join(SCREENSHOTS, "scenario.png"), fullPage: true });
});

test("the end of the run: finished, lost counted, the window still shaded", async () => {
  let timer;
  const code = await Promise.race([run.exited, new Promise((r) => { timer = setTimeout(() => r("timeout"), 60_000); })]);
  clearTimeout(timer);
  assert.equal(code, 0, run.output);
  await page.waitForSelector('#scenario-state[data-state="finished"]', WAIT);
  assert.equal(await page.textContent("#scenario-phase"), "after reconnect actuator-2");
  assert.equal(await page.textContent('#scenario-counts [data-count="lost"] .value'), "0");
  const status = await stack.api("/api/scenario");
  assert.equal(status.state, "finished");
  assert.equal(status.sent, status.planned);
  assert.equal(status.lost, 0);
  assert.deepEqual(status.timeline.map((s) => s.state), ["done", "done"]);
  const shaded = await page.evaluate(() => window.snet.chart.shaded);
  const windowAt = shaded.find((w) => w.label === LABEL);
  assert.ok(windowAt && windowAt.x1 > windowAt.x0, JSON.stringify(shaded));
  await page.screenshot({ path: path.join(SCREENSHOTS, "scenario-finished.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
});
