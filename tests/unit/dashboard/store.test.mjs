// dashboard/js/store.js in Node, without a DOM: the page's model of devices and their views.
// Run: node --test tests/unit/dashboard/ (ctest -L unit does this).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DeviceStore, computeLabel, matches, resolvedTargets, routeDetails, routeFields, searchTerms,
} from "../../../dashboard/js/store.js";

const topology = {
  name: "t",
  devices: [
    { id: "hall-button", kind: "button", targets: ["lamp-1"], resolved_targets: ["lamp-1", "lamp-2"] },
    { id: "lamp-1", kind: "actuator", attrs: { floor: "1", type: "Lamp" } },
    { id: "door", kind: "button", targets: ["lamp-2"] },
    { id: "lamp-2", kind: "actuator", sources: ["hall-button", "door"] },
  ],
};

test("resolvedTargets prefers the routing's resolution, then the named targets, then none", () => {
  assert.deepEqual(resolvedTargets({ targets: ["a"], resolved_targets: ["a", "b"] }), ["a", "b"]);
  assert.deepEqual(resolvedTargets({ targets: ["a"] }), ["a"]);
  assert.deepEqual(resolvedTargets({}), []);
  assert.deepEqual(resolvedTargets({ resolved_targets: [] , targets: ["a"] }), []);  // [] is an answer
});

test("routeFields lists non-actuator routes and fields the dashboard does not know", () => {
  const device = {
    id: "b", kind: "button", targets: ["x"],
    routes: [{ kind: "actuator", id: "x" }, { kind: "pattern", id: "pattern:1/+/lamp" }, { kind: "group" }],
    future: "yes", weight: { a: 1 },
  };
  assert.deepEqual(routeFields(device), ["pattern:1/+/lamp", "group", "future: yes", 'weight: {"a":1}']);
  assert.deepEqual(routeFields({ id: "a", kind: "actuator", attrs: {} }), []);
});

test("routeDetails says what each route reaches and over which topic", () => {
  const device = {
    routes: [
      { id: "group:hall", kind: "group", actuators: ["l1", "l2"], topic: "snet/t/group/hall" },
      { kind: "match", actuators: [], exchange: "snet.t", topic: "press.b" },
      { id: "x", kind: "actuator", actuators: ["x"] },
    ],
  };
  assert.deepEqual(routeDetails(device), [
    "group:hall → l1, l2 via snet/t/group/hall",
    "match → nothing via snet.t press.b",
    "x → x",
  ]);
  assert.deepEqual(routeDetails({}), []);
});

test("computeLabel names the backend, a named compute and a trigger", () => {
  assert.equal(computeLabel(null), "");
  assert.equal(computeLabel({ backend: "builtin", action: "flip_switch" }), "builtin · flip_switch");
  assert.equal(computeLabel({ name: "default", backend: "builtin", action: "flip_switch" }), "builtin · flip_switch");
  assert.equal(computeLabel({ name: "cloud", backend: "openwhisk", action: "flip_switch" }),
               "cloud · openwhisk:flip_switch");
  assert.equal(computeLabel({ backend: "openwhisk", trigger: "snet-press", action: "flip_publish" }),
               "openwhisk · trigger snet-press → flip_publish");
});

test("load keeps the file order, counts kinds, and attaches views by id", () => {
  const store = new DeviceStore();
  const view = { id: "lamp-1", on: true, press_id: "p1", applied_ts: 5 };
  store.load(topology, [view, { id: "ghost", on: true }]);
  assert.deepEqual(store.devices.map((d) => d.id), ["hall-button", "lamp-1", "door", "lamp-2"]);
  assert.deepEqual(store.devices.map((d) => d.index), [0, 1, 2, 3]);
  assert.equal(store.buttonCount, 2);
  assert.equal(store.actuatorCount, 2);
  assert.equal(store.byId.get("lamp-1").state, view);
  assert.equal(store.byId.get("lamp-2").state, null);
  assert.equal(store.byId.has("ghost"), false);
  // Buttons carry their resolved targets; actuators none, but their sources.
  assert.deepEqual(store.byId.get("hall-button").targets, ["lamp-1", "lamp-2"]);
  assert.deepEqual(store.byId.get("lamp-1").targets, []);
  assert.deepEqual(store.byId.get("lamp-2").sources, ["hall-button", "door"]);
  assert.equal(store.byId.get("lamp-1").search, "lamp-1 floor=1 type=lamp");
  // Every record has its own rev.
  assert.equal(new Set(store.devices.map((d) => d.rev)).size, 4);
});

test("load replaces everything a previous load had", () => {
  const store = new DeviceStore();
  store.load(topology, []);
  store.load({ devices: [{ id: "only", kind: "actuator" }] }, []);
  assert.deepEqual(store.devices.map((d) => d.id), ["only"]);
  assert.equal(store.byId.has("lamp-1"), false);
  assert.equal(store.buttonCount, 0);
  assert.equal(store.actuatorCount, 1);
  store.load({}, []);
  assert.equal(store.devices.length, 0);
});

test("apply tells a fresh state from a repeated one and bumps rev only for fresh ones", () => {
  const store = new DeviceStore();
  store.load(topology, [{ id: "lamp-1", on: true, press_id: "p1", applied_ts: 5 }]);
  const record = store.byId.get("lamp-1");
  const rev = record.rev;

  const same = store.apply({ id: "lamp-1", on: true, press_id: "p1", applied_ts: 5, stored_ts: 9 });
  assert.equal(same.record, record);
  assert.equal(same.fresh, false);
  assert.equal(record.rev, rev);
  assert.equal(record.state.stored_ts, 9);  // the view is kept even when not fresh

  for (const change of [{ press_id: "p2" }, { applied_ts: 6 }, { on: false }]) {
    const before = record.rev;
    const view = { ...record.state, ...change };
    const result = store.apply(view);
    assert.equal(result.fresh, true, JSON.stringify(change));
    assert.ok(record.rev > before, JSON.stringify(change));
    assert.equal(record.state, view);
  }

  const first = store.apply({ id: "lamp-2", on: false });  // no view before: fresh
  assert.equal(first.fresh, true);
  assert.equal(store.apply({ id: "nobody", on: true }), null);
});

test("touch gives a record a rev newer than any other", () => {
  const store = new DeviceStore();
  store.load(topology, []);
  const record = store.byId.get("door");
  store.touch(record);
  assert.equal(record.rev, Math.max(...store.devices.map((d) => d.rev)));
  assert.ok(store.devices.filter((d) => d.rev === record.rev).length === 1);
});

test("search: every term must be part of the id or attrs, case-insensitively", () => {
  const store = new DeviceStore();
  store.load(topology, []);
  const find = (query) => store.devices.filter((r) => matches(r, searchTerms(query))).map((r) => r.id);
  assert.deepEqual(searchTerms("  Lamp   FLOOR=1 "), ["lamp", "floor=1"]);
  assert.deepEqual(searchTerms("   "), []);
  assert.deepEqual(find(""), ["hall-button", "lamp-1", "door", "lamp-2"]);
  assert.deepEqual(find("lamp"), ["lamp-1", "lamp-2"]);
  assert.deepEqual(find("LAMP floor=1"), ["lamp-1"]);
  assert.deepEqual(find("lamp floor=2"), []);
});
