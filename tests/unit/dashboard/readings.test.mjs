// dashboard/js/readings.js and DeviceStore.applyReadings in Node, without a DOM: the values a
// device's sparkline draws. Run: node --test tests/unit/dashboard/ (ctest -L unit does this).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  SPARK_POINTS, addReading, formatReading, primaryReading, readingsFromView, sparklinePath,
} from "../../../dashboard/js/readings.js";
import { DeviceStore } from "../../../dashboard/js/store.js";

const topology = {
  name: "t",
  devices: [
    { id: "thermo", kind: "actuator" },
    { id: "lamp", kind: "actuator" },
  ],
};

test("the snapshot's latest readings seed the series, the feed's items extend them", () => {
  const store = new DeviceStore();
  store.load(topology, [
    { id: "thermo", kind: "actuator", readings: { temperature: { value: 20, unit: "C", seq: 3, ts: 100 } } },
  ]);
  const thermo = store.byId.get("thermo");
  assert.deepEqual(thermo.readings.get("temperature").points, [{ v: 20, ts: 100 }]);
  assert.equal(store.byId.get("lamp").readings.size, 0);
  const rev = thermo.rev;
  const applied = store.applyReadings([
    ["thermo", "temperature", 21.5, "C", 4, 200],
    ["thermo", "humidity", 40, "%", 5, 150],
    ["ghost", "temperature", 1, "C", 1, 1],    // not in the topology
    ["thermo", "temperature", 19, "C", 2, 50],  // older than the last kept: dropped
    "not an item",
  ]);
  assert.equal(applied, 2);
  assert.ok(thermo.rev > rev);
  assert.deepEqual(thermo.readings.get("temperature").points.map((p) => p.v), [20, 21.5]);
  const primary = primaryReading(thermo.readings);
  assert.equal(primary.capability, "temperature");  // measured last
  assert.equal(primary.value, 21.5);
  assert.equal(primary.unit, "C");
});

test("a series keeps the last SPARK_POINTS values", () => {
  const readings = readingsFromView({});
  for (let i = 0; i < SPARK_POINTS + 15; i++) addReading(readings, "power", i, "W", i + 1, i);
  const points = readings.get("power").points;
  assert.equal(points.length, SPARK_POINTS);
  assert.equal(points[0].v, 15);
  assert.equal(points.at(-1).v, SPARK_POINTS + 14);
});

test("the sparkline spans the box, lowest value at the bottom, a flat series mid-height", () => {
  assert.equal(sparklinePath([], 40, 10), "");
  assert.equal(sparklinePath([{ v: 1 }, { v: 3 }, { v: 2 }], 40, 10), "0.0,9.0 20.0,1.0 40.0,5.0");
  assert.equal(sparklinePath([{ v: 7 }, { v: 7 }], 40, 10), "0.0,5.0 40.0,5.0");
  assert.equal(sparklinePath([{ v: 7 }], 40, 10), "20.0,5.0");
});

test("values are shown with at most 4 significant digits and their unit", () => {
  assert.equal(formatReading(21.2549, "C"), "21.25 C");
  assert.equal(formatReading(1234567, "W"), "1.23e+6 W");
  assert.equal(formatReading(0, ""), "0");
  assert.equal(formatReading(-3.5, "lux"), "-3.5 lux");
});
