// Who may use the state service, tried from a real browser (headless Chromium) against the real
// stack with snet-state bound to 0.0.0.0 (so changes need the bearer token): the dashboard still
// presses (its token from GET /api/session or the address's #token=), a wrong token is refused,
// and a page of another origin can neither press (fetch or form) nor open the live feed.
// Run: SNET_BUILD_DIR=build node --test tests/browser/access.test.mjs (ctest -L browser).
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, test } from "node:test";

import { launchBrowser } from "./browser.mjs";
import { Stack, eventually, freePort } from "./stack.mjs";

const WAIT = { timeout: 10_000 };
const topology = {
  name: "accesstest",
  description: "Access test: three pairs.",
  compute: { backend: "builtin", action: "flip_switch" },
  devices: [],
  pairs: { count: 3, button: "button-", actuator: "actuator-" },
};

let stack;
let browser;
let evil;  // a page of another origin, served by the test
const tile = (id) => `#devices .tile[data-device-id="${id}"]`;

async function metric(series) {
  const text = await (await fetch(`${stack.url}metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : -1;
}

before(async () => {
  stack = new Stack(topology, { label: "access", stateArgs: ["--http-bind", "0.0.0.0"] });
  await stack.start({ deviceCount: 6 });
  browser = await launchBrowser();
  const port = await freePort();
  evil = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end("<!doctype html><title>another origin</title><p>hi</p>");
  });
  await new Promise((resolve) => evil.listen(port, "127.0.0.1", resolve));
  evil.url = `http://localhost:${port}/`;
});

after(async () => {
  await browser?.close();
  evil?.closeAllConnections();
  evil?.close();
  const statuses = await stack?.stop();
  if (statuses) stack.cleanUp();
});

test("bound to 0.0.0.0, the dashboard on this machine presses with the token of /api/session", async () => {
  const session = await stack.api("/api/session");
  assert.equal(session.token_required, true);
  assert.match(session.token, /^[0-9a-f]{64}$/);
  const page = await browser.newPage();
  await page.goto(stack.url);
  await page.waitForSelector('#connection[data-state="connected"]', WAIT);
  await page.click(tile("button-1"));
  await page.waitForSelector(`${tile("button-1")}[data-press-state="applied"]`, WAIT);
  await page.close();
});

test("a token in the address is used, then removed from it; a wrong one is refused", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${stack.url}#token=not-the-token`);
  assert.equal(new URL(page.url()).hash, "");
  await page.waitForSelector('#connection[data-state="connected"]', WAIT);
  const refused = await metric('snet_state_http_refused_total{reason="token_wrong"}');
  await page.click(tile("button-2"));
  await page.waitForSelector(`${tile("button-2")}[data-press-state="failed"]`, WAIT);
  assert.equal(await metric('snet_state_http_refused_total{reason="token_wrong"}'), refused + 1);
  await context.close();

  const token = (await stack.api("/api/session")).token;
  const fresh = await browser.newContext();
  const good = await fresh.newPage();
  await good.goto(`${stack.url}#token=${token}`);
  await good.waitForSelector('#connection[data-state="connected"]', WAIT);
  await good.click(tile("button-3"));
  await good.waitForSelector(`${tile("button-3")}[data-press-state="applied"]`, WAIT);
  await fresh.close();
});

test("a page of another origin can neither press (fetch, form) nor open the live feed", async () => {
  const token = (await stack.api("/api/session")).token;
  const presses = await metric("snet_state_presses_requested_total");
  const refused = await metric('snet_state_http_refused_total{reason="foreign_origin"}');
  const wsRefused = await metric('snet_state_http_refused_total{reason="websocket_foreign_origin"}');
  const page = await browser.newPage();
  await page.goto(evil.url);
  const outcome = await page.evaluate(async ({ target, token }) => {
    const press = `${target}api/devices/button-1/press`;
    // Even knowing the token: the Origin is foreign.
    const fetched = await fetch(press, { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" } })
      .then(() => "sent", (e) => String(e));
    const withToken = await fetch(press, { method: "POST", headers: { Authorization: `Bearer ${token}` } })
      .then((r) => `status ${r.status}`, (e) => `blocked: ${e}`);
    // A plain form post (url-encoded, no preflight) into a hidden frame.
    const frame = document.createElement("iframe");
    frame.name = "sink";
    document.body.append(frame);
    const form = Object.assign(document.createElement("form"), { method: "POST", action: press, target: "sink" });
    form.append(Object.assign(document.createElement("input"), { name: "x", value: "1" }));
    document.body.append(form);
    const posted = new Promise((resolve) => frame.addEventListener("load", resolve, { once: true }));
    form.submit();
    await posted;
    const ws = await new Promise((resolve) => {
      const socket = new WebSocket(`${target.replace("http", "ws")}ws`);
      socket.onmessage = () => resolve("got a message");
      socket.onerror = () => resolve("refused");
      setTimeout(() => resolve("timeout"), 5000);
    });
    return { fetched, withToken, ws };
  }, { target: stack.url, token });
  assert.equal(outcome.ws, "refused");
  // The preflighted fetch never left the browser (no CORS answer) or was refused: never a press.
  assert.ok(!outcome.withToken.startsWith("status 2"), outcome.withToken);
  await eventually("the two refused presses counted", async () => (await metric('snet_state_http_refused_total{reason="foreign_origin"}')) >= refused + 2);
  assert.equal(await metric('snet_state_http_refused_total{reason="websocket_foreign_origin"}'), wsRefused + 1);
  assert.equal(await metric("snet_state_presses_requested_total"), presses);
  await page.close();
});
