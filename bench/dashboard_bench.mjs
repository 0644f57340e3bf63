#!/usr/bin/env node
// Dashboard bench (run by hand; registered nowhere): a 10,000-device topology (5,000 button ->
// actuator pairs) under ~1,000 presses/s, the dashboard open in headless Chromium. Prints
//   - stored -> DOM: from a state's stored_ts (the state service committed it) to the moment the
//     page's DOM shows it (a MutationObserver on the device tiles in view and on the event log
//     rows), p50/p99/max; target p99 <= 250 ms;
//   - stored -> received: the same for the WebSocket message that carried it (the feed's share);
//   - the tab's CPU: main-thread busy time from CDP Performance metrics (script, layout, style)
//     and the renderer process's CPU time from /proc; long tasks over 50 ms.
// Presses are published straight to snet/<t>/press/<button> (QoS 1) by an MQTT client (mqtt.js,
// from tests/browser's node_modules), spread evenly over all buttons. With --source states the
// client publishes the actuators' state reports itself (snet/<t>/state/<actuator>, as the agent
// would after applying a press): the state service -> dashboard path alone, at rates the whole
// press path (relayer, agent) cannot reach beside Chromium on 2 cores. Issue 14's figure:
//   node bench/dashboard_bench.mjs --source states --rate 5000 --seconds 30   # p99 <= 50 ms
//
//   cd tests/browser && npm ci        # once: playwright-core and mqtt
//   SNET_BUILD_DIR=build node bench/dashboard_bench.mjs [--pairs 5000] [--rate 1000] [--seconds 60]
//                                                       [--source presses|states]
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

import { launchBrowser } from "../tests/browser/browser.mjs";
import { SOURCE_DIR, Stack } from "../tests/browser/stack.mjs";

const require = createRequire(path.join(SOURCE_DIR, "tests/browser/package.json"));
const mqtt = require("mqtt");

const { values: opts } = parseArgs({
  options: {
    pairs: { type: "string", default: "5000" },
    rate: { type: "string", default: "1000" },
    seconds: { type: "string", default: "60" },
    warmup: { type: "string", default: "5" },
    source: { type: "string", default: "presses" },
    screenshot: { type: "string", default: "" },
    profile: { type: "boolean", default: false },
  },
});
const pairs = Number(opts.pairs);
const rate = Number(opts.rate);
const seconds = Number(opts.seconds);
const warmup = Number(opts.warmup);
if (!["presses", "states"].includes(opts.source)) throw new Error(`--source: '${opts.source}' is not presses or states`);

function summary(samples) {
  if (samples.length === 0) return "no samples";
  const s = Float64Array.from(samples).sort();
  const at = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const ms = (us) => `${(us / 1000).toFixed(1)} ms`;
  return `p50 ${ms(at(0.5))}   p99 ${ms(at(0.99))}   max ${ms(s[s.length - 1])}   n=${s.length}`;
}

// CPU seconds (user + system) of the renderer processes of the Chromium this process started.
function rendererCpuSeconds(rootPid) {
  const tick = 100;  // USER_HZ on Linux
  const children = new Map();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      children.set(Number(entry), { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / tick });
    } catch {
      // gone meanwhile
    }
  }
  const descends = (pid) => {
    for (let p = pid, hops = 0; p > 1 && hops < 12; hops++) {
      p = children.get(p)?.ppid;
      if (p === rootPid) return true;
    }
    return false;
  };
  let total = 0;
  for (const [pid, info] of children) {
    if (!descends(pid)) continue;
    let cmdline = "";
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (cmdline.includes("--type=renderer")) total += info.cpu;
  }
  return total;
}

// Runs in the page before its scripts: records stored -> received for every state the WebSocket
// brings, and stored -> DOM for every tile or log row that starts showing a new state.
function instrument() {
  const now = () => (performance.timeOrigin + performance.now()) * 1000;
  const bench = { received: [], tiles: [], rows: [], pageOnly: [], longTasks: 0, longest: 0, on: false };
  const arrivals = new Map();  // "device stored_ts" -> when its message arrived
  setInterval(() => arrivals.clear(), 20_000);  // bounded: what was never shown is dropped
  window.__bench = bench;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (!bench.on) return;
        const t = now();
        const msg = JSON.parse(event.data);
        if (msg.type !== "states") return;
        for (const item of msg.items) {
          if (!(item.stored_ts > 0)) continue;
          bench.received.push(t - item.stored_ts);
          arrivals.set(`${item.id} ${item.stored_ts}`, t);
        }
      });
    }
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (!bench.on) continue;
      bench.longTasks++;
      bench.longest = Math.max(bench.longest, e.duration);
    }
  }).observe({ type: "longtask", buffered: false });
  const observe = () => {
    const mo = new MutationObserver((records) => {
      if (!bench.on) return;
      const t = now();
      for (const r of records) {
        const stored = Number(r.target.dataset.storedTs);
        if (!(stored > 0) || r.oldValue === r.target.dataset.storedTs) continue;
        if (r.target.classList.contains("log-row")) {
          bench.rows.push(t - stored);
          continue;
        }
        bench.tiles.push(t - stored);
        const arrived = arrivals.get(`${r.target.dataset.deviceId} ${r.target.dataset.storedTs}`);
        if (arrived !== undefined) bench.pageOnly.push(t - arrived);
      }
    });
    mo.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-stored-ts"], attributeOldValue: true });
  };
  if (document.body) observe();
  else document.addEventListener("DOMContentLoaded", observe);
}

// The functions that took the most self time in a CDP CPU profile.
function printProfile(profile) {
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const interval = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    interval.set(profile.samples[i], (interval.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  for (const [id, us] of interval) {
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + us);
  }
  console.log("  profile, self time:");
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`    ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`);
  }
}

async function main() {
  const name = "dashbench";
  const devices = pairs * 2;
  console.log(`dashboard bench: ${devices.toLocaleString("en-US")} devices (${pairs} button -> actuator pairs), ` +
              `${rate} ${opts.source === "states" ? "state reports" : "presses"}/s for ${seconds} s after ${warmup} s warm-up; ${os.cpus().length} cores`);
  const stack = new Stack({ name, description: "dashboard bench", pairs: { count: pairs } }, { label: "dashbench" });
  let browser;
  let client;
  try {
    let t0 = Date.now();
    await stack.start({ deviceCount: devices, timeoutMs: 180_000 });
    console.log(`  stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s (logs in ${stack.dir})`);

    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on("pageerror", (e) => console.log("  page error:", e.message));
    await page.addInitScript(instrument);
    t0 = Date.now();
    await page.goto(stack.url);
    await page.waitForFunction((n) => window.snet?.store.devices.length === n &&
      document.querySelectorAll("#devices .tile[data-device-id]").length > 0, devices, { timeout: 60_000 });
    console.log(`  page shows ${devices.toLocaleString("en-US")} devices ${((Date.now() - t0) / 1000).toFixed(2)} s after navigation`);
    await page.selectOption("#device-kind", "actuator");
    const inDom = await page.evaluate(() => document.querySelectorAll("#devices .tile:not([hidden])").length);

    client = mqtt.connect(stack.brokerUrl, { clientId: `dashbench-${process.pid}`, reconnectPeriod: 0, connectTimeout: 10_000 });
    await new Promise((resolve, reject) => { client.once("connect", resolve); client.once("error", reject); });
    let sent = 0;
    let acked = 0;
    const stride = 7919;  // a prime: presses walk over every button evenly
    const start = Date.now();
    const total = (warmup + seconds) * rate;
    const publisher = setInterval(() => {
      const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * rate));
      for (; sent < due; sent++) {
        const pair = ((sent * stride) % pairs) + 1;
        const ts = Math.round((performance.timeOrigin + performance.now()) * 1000);
        if (opts.source === "states") {
          // What the agent publishes once actuator-<pair> applied press bench-<sent>.
          const device = `actuator-${pair}`;
          const payload = JSON.stringify({ device, on: sent % 2 === 0, press_id: `bench-${sent}`, button: `button-${pair}`,
                                           press_ts: ts, relay_ts: ts, applied_ts: ts });
          client.publish(`snet/${name}/state/${device}`, payload, { qos: 1, retain: true }, (err) => { if (!err) acked++; });
          continue;
        }
        const payload = JSON.stringify({ id: `bench-${sent}`, ts });
        client.publish(`snet/${name}/press/button-${pair}`, payload, { qos: 1 }, (err) => { if (!err) acked++; });
      }
    }, 5);

    await new Promise((r) => setTimeout(r, warmup * 1000));
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
    const metrics = async () => Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
    const pid = process.pid;  // Chromium is our child (playwright spawned it)
    const before = await metrics();
    const cpuBefore = pid ? rendererCpuSeconds(pid) : 0;
    const statesBefore = (await stack.api("/api/health")).services?.state?.metrics?.snet_state_states_stored_total ?? 0;
    const wallBefore = performance.now();
    if (opts.profile) {
      await cdp.send("Profiler.enable");
      await cdp.send("Profiler.start");
    }
    await page.evaluate(() => { window.__bench.on = true; });
    await new Promise((r) => setTimeout(r, seconds * 1000));
    await page.evaluate(() => { window.__bench.on = false; });
    const wall = (performance.now() - wallBefore) / 1000;
    const load = os.loadavg()[0];
    const after = await metrics();
    const cpuAfter = pid ? rendererCpuSeconds(pid) : 0;
    clearInterval(publisher);
    const statesAfter = (await stack.api("/api/health")).services?.state?.metrics?.snet_state_states_stored_total ?? 0;
    const bench = await page.evaluate(() => window.__bench);
    if (opts.profile) printProfile((await cdp.send("Profiler.stop")).profile);

    const busy = (key) => (((after[key] ?? 0) - (before[key] ?? 0)) / wall) * 100;
    console.log(`  ${opts.source} published ${sent.toLocaleString("en-US")} (${acked.toLocaleString("en-US")} acknowledged); ` +
                `state service stored ~${Math.round((statesAfter - statesBefore) / wall)} states/s during the run ` +
                `(its status refreshes every 2 s)`);
    console.log(`  stored -> received by the page (WebSocket)   ${summary(bench.received)}`);
    console.log(`  stored -> DOM, actuator tiles in the DOM     ${summary(bench.tiles)}   (${inDom} tiles windowed into the DOM)`);
    console.log(`  stored -> DOM, event log rows                ${summary(bench.rows)}`);
    console.log(`  received -> DOM, actuator tiles (the page)   ${summary(bench.pageOnly)}`);
    console.log(`  tab main thread busy ${busy("TaskDuration").toFixed(1)}% of one core ` +
                `(script ${busy("ScriptDuration").toFixed(1)}%, layout ${busy("LayoutDuration").toFixed(1)}%, ` +
                `style ${busy("RecalcStyleDuration").toFixed(1)}%); renderer processes ${(((cpuAfter - cpuBefore) / wall) * 100).toFixed(1)}% of one core`);
    console.log(`  layouts ${Math.round(((after.LayoutCount ?? 0) - (before.LayoutCount ?? 0)) / wall)}/s, ` +
                `style recalcs ${Math.round(((after.RecalcStyleCount ?? 0) - (before.RecalcStyleCount ?? 0)) / wall)}/s, ` +
                `DOM nodes ${after.Nodes}, JS heap ${((after.JSHeapUsedSize ?? 0) / 1e6).toFixed(1)} MB, ` +
                `long tasks (> 50 ms) ${bench.longTasks}${bench.longTasks ? `, longest ${Math.round(bench.longest)} ms` : ""}`);
    console.log(`  machine load average (1 min) at the end: ${load.toFixed(1)} on ${os.cpus().length} cores ` +
                "(the stack, Chromium and anything else running share them)");
    if (opts.screenshot) {
      await page.screenshot({ path: opts.screenshot });
      console.log(`  screenshot: ${opts.screenshot}`);
    }
  } finally {
    client?.end(true);
    await browser?.close();
    const statuses = await stack.stop();
    if (Object.values(statuses).every((s) => s === "exited with 0")) stack.cleanUp();
    else console.log(`  services ended: ${JSON.stringify(statuses)}; logs kept in ${stack.dir}`);
  }
}

main().catch((err) => {
  console.error(`dashboard bench failed: ${err.stack ?? err}`);
  process.exitCode = 1;
});
