// dashboard/js/presses.js in Node, without a DOM or a server: fetch and setTimeout are replaced
// by fakes the test answers and fires itself, so each phase of a press is driven explicitly.
// Run: node --test tests/unit/dashboard/ (ctest -L unit does this).
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { PressTracker } from "../../../dashboard/js/presses.js";
import { DeviceStore } from "../../../dashboard/js/store.js";

const topology = {
  devices: [
    { id: "hall", kind: "button", targets: ["lamp-1", "lamp-2"] },
    { id: "door", kind: "button", targets: ["lamp-2"] },
    { id: "lamp-1", kind: "actuator" },
    { id: "lamp-2", kind: "actuator" },
  ],
};

// fetch: every call is queued with its URL and options; the test answers it.
let requests;
// setTimeout: callbacks are queued with their delay; the test fires them.
let timers;
const realFetch = globalThis.fetch;
const realSetTimeout = globalThis.setTimeout;

beforeEach(() => {
  requests = [];
  timers = [];
  globalThis.fetch = (url, options = {}) => new Promise((resolve, reject) => {
    requests.push({ url, method: options.method ?? "GET", resolve, reject });
  });
  globalThis.setTimeout = (fn, ms) => { timers.push({ fn, ms }); return timers.length; };
});

afterEach(() => {
  globalThis.fetch = realFetch;
  globalThis.setTimeout = realSetTimeout;
});

const respond = (status, body) => ({
  ok: status >= 200 && status < 300, status, json: async () => body,
});
// Lets the tracker's awaits (fetch, res.json) run to their next suspension.
const settle = () => new Promise((resolve) => setImmediate(resolve));

function tracker() {
  const store = new DeviceStore();
  store.load(topology, []);
  const phases = [];
  const presses = new PressTracker(store, (press) => phases.push(`${press.button}:${press.phase}`));
  return { store, presses, phases };
}

async function answered(presses, button, pressId) {
  const done = presses.press(button);
  assert.equal(requests.length, 1);
  assert.equal(requests[0].url, `/api/devices/${button}/press`);
  assert.equal(requests[0].method, "POST");
  requests.shift().resolve(respond(202, { press_id: pressId }));
  return done;
}

test("a press of an unknown device or an actuator sends nothing", async () => {
  const { presses, phases } = tracker();
  assert.equal(await presses.press("nobody"), null);
  assert.equal(await presses.press("lamp-1"), null);
  assert.equal(requests.length, 0);
  assert.deepEqual(phases, []);
});

test("a press is applied once every target reports its press id", async () => {
  const { store, presses, phases } = tracker();
  const rev = store.byId.get("hall").rev;
  const press = await answered(presses, "hall", "p1");
  assert.equal(press.id, "p1");
  assert.equal(press.phase, "pending");
  assert.equal(presses.byButton.get("hall"), press);
  assert.ok(store.byId.get("hall").rev > rev, "the button's tile is redrawn");

  presses.onState({ id: "lamp-1", press_id: "other" });  // someone else's press
  presses.onState({ id: "lamp-1" });                       // no press id at all
  assert.equal(press.applied.size, 0);
  presses.onState({ id: "lamp-1", press_id: "p1" });
  assert.equal(press.phase, "pending");
  assert.deepEqual([...press.applied], ["lamp-1"]);
  presses.onState({ id: "lamp-2", press_id: "p1" });
  assert.equal(press.phase, "applied");
  assert.ok(press.settledAt >= press.clickedAt);
  assert.deepEqual(phases, ["hall:sending", "hall:pending", "hall:pending", "hall:applied"]);

  // Settled presses are forgotten: a late repeat changes nothing.
  presses.onState({ id: "lamp-2", press_id: "p1" });
  assert.equal(phases.length, 4);
});

test("an error naming the press settles it with the relayer's reason", async () => {
  const { presses } = tracker();
  const press = await answered(presses, "door", "p2");
  presses.onError({ press_id: "p9", error: "not mine" });
  assert.equal(press.phase, "pending");
  presses.onError({ press_id: "p2", error: "action dim failed" });
  assert.equal(press.phase, "error");
  assert.equal(press.reason, "action dim failed");
});

test("results that beat the POST's answer over the WebSocket are not lost", async () => {
  const { presses } = tracker();
  const done = presses.press("hall");
  presses.onState({ id: "lamp-1", press_id: "p3" });
  presses.onState({ id: "lamp-2", press_id: "p3" });
  requests.shift().resolve(respond(202, { press_id: "p3" }));
  const press = await done;
  assert.equal(press.phase, "applied");

  const failing = presses.press("door");
  presses.onError({ press_id: "p4", error: "no route" });
  requests.shift().resolve(respond(202, { press_id: "p4" }));
  assert.equal((await failing).phase, "error");
  assert.equal((await failing).reason, "no route");
});

test("results seen while no POST was in flight are not remembered for later presses", async () => {
  const { presses } = tracker();
  presses.onState({ id: "lamp-2", press_id: "p5" });  // nothing sending: not remembered
  const press = await answered(presses, "door", "p5");
  assert.equal(press.phase, "pending");
});

test("a refused or failed POST settles the press as failed, with the reason", async () => {
  const { presses } = tracker();
  let done = presses.press("door");
  requests.shift().resolve(respond(404, { error: "unknown device" }));
  let press = await done;
  assert.equal(press.phase, "failed");
  assert.equal(press.reason, "press not sent: unknown device");
  assert.equal(press.id, null);

  done = presses.press("door");
  requests.shift().resolve({ ok: false, status: 503, json: async () => { throw new SyntaxError("not JSON"); } });
  assert.equal((await done).reason, "press not sent: HTTP 503");

  done = presses.press("door");
  requests.shift().reject(new TypeError("fetch failed"));
  assert.equal((await done).reason, "press not sent: fetch failed");
  assert.equal(timers.length, 0, "no confirmation is scheduled for a press never sent");
});

test("a press still pending after 5 s asks the history before it is called unconfirmed", async () => {
  const { presses } = tracker();
  const press = await answered(presses, "hall", "p6");
  presses.onState({ id: "lamp-1", press_id: "p6" });
  assert.equal(timers.length, 1);
  assert.equal(timers[0].ms, 5000);

  timers.shift().fn();
  assert.equal(requests.length, 1);
  assert.equal(requests[0].url, "/api/events?device=hall&limit=200");
  requests.shift().resolve(respond(200, {
    events: [
      { kind: "state", device: "lamp-2", press_id: "older" },
      { kind: "state", device: "lamp-2", press_id: "p6" },
    ],
  }));
  await settle();
  assert.equal(press.phase, "applied");
});

test("the history can also hold the press's error", async () => {
  const { presses } = tracker();
  const press = await answered(presses, "door", "p7");
  timers.shift().fn();
  requests.shift().resolve(respond(200, { events: [{ kind: "error", device: "door", press_id: "p7", error: "timeout" }] }));
  await settle();
  assert.equal(press.phase, "error");
  assert.equal(press.reason, "timeout");
});

test("without a result in the history (or without a history) the press is unconfirmed", async () => {
  const { presses, phases } = tracker();
  const press = await answered(presses, "hall", "p8");
  presses.onState({ id: "lamp-2", press_id: "p8" });
  timers.shift().fn();
  requests.shift().resolve(respond(200, { events: [] }));
  await settle();
  assert.equal(press.phase, "unconfirmed");
  assert.equal(press.reason, "no result after 5 s (1/2 targets)");
  assert.equal(phases.at(-1), "hall:unconfirmed");

  const other = await answered(presses, "door", "p9");
  timers.shift().fn();
  requests.shift().reject(new TypeError("fetch failed"));
  await settle();
  assert.equal(other.phase, "unconfirmed");
  assert.equal(other.reason, "no result after 5 s (0/1 targets)");
});

test("a press settled before its 5 s are up asks nothing", async () => {
  const { presses } = tracker();
  const press = await answered(presses, "door", "p10");
  presses.onState({ id: "lamp-2", press_id: "p10" });
  assert.equal(press.phase, "applied");
  timers.shift().fn();
  await settle();
  assert.equal(requests.length, 0);
  assert.equal(press.phase, "applied");
});

test("a button's latest press is the one shown", async () => {
  const { presses } = tracker();
  const first = await answered(presses, "door", "p11");
  const second = await answered(presses, "door", "p12");
  assert.equal(presses.byButton.get("door"), second);
  presses.onState({ id: "lamp-2", press_id: "p11" });
  assert.equal(first.phase, "applied");
  assert.equal(second.phase, "pending");
});
