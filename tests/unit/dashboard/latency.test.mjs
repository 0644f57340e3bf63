// dashboard/js/latency.js's statistics (LatencyStats, METRICS) and format.js in Node, without a
// DOM; the chart itself (canvas) is the browser tests' subject.
// Run: node --test tests/unit/dashboard/ (ctest -L unit does this).
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatClock, formatCount, formatMicros, hop } from "../../../dashboard/js/format.js";
import { LatencyStats, METRICS } from "../../../dashboard/js/latency.js";

const BASE = 1_700_000_000;  // an epoch second
// A state view pressed at `second` + `offsetUs`, with each hop's latency in µs.
function view(second, { relay = 100, applied = 300, stored = 1000, offsetUs = 0 } = {}) {
  const press = second * 1e6 + offsetUs;
  return { press_ts: press, relay_ts: relay && press + relay, applied_ts: applied && press + applied, stored_ts: press + stored };
}

test("hop is the difference of two stamps, null when either is missing or they run backwards", () => {
  assert.equal(hop(10, 25), 15);
  assert.equal(hop(10, 10), 0);
  assert.equal(hop(0, 25), null);
  assert.equal(hop(10, 0), null);
  assert.equal(hop(undefined, 25), null);
  assert.equal(hop(30, 25), null);
});

test("formatMicros picks the unit and the precision by magnitude", () => {
  assert.equal(formatMicros(420.4), "420 µs");
  assert.equal(formatMicros(1250), "1.25 ms");
  assert.equal(formatMicros(38_400), "38 ms");
  assert.equal(formatMicros(1_234_000), "1.23 s");
  assert.equal(formatMicros(12_340_000), "12.3 s");
  assert.equal(formatMicros(0), "0 µs");
  assert.equal(formatMicros(-1), "");
  assert.equal(formatMicros(null), "");
  assert.equal(formatMicros(Infinity), "");
});

test("formatCount groups thousands and shows unknowns as a dash", () => {
  assert.equal(formatCount(12345), "12,345");
  assert.equal(formatCount(1_234_567.6), "1,234,568");
  assert.equal(formatCount(999), "999");
  assert.equal(formatCount(0), "0");
  assert.equal(formatCount(null), "–");
  assert.equal(formatCount(undefined), "–");
  assert.equal(formatCount(NaN), "–");
});

test("formatClock shows local wall-clock time to the millisecond", () => {
  const d = new Date(2026, 0, 2, 3, 4, 5, 67);
  assert.equal(formatClock(d.getTime() * 1000 + 999), "03:04:05.067");
  assert.equal(formatClock(0), "");
});

test("METRICS measure each hop of a view", () => {
  const v = view(BASE, { relay: 100, applied: 300, stored: 1000 });
  assert.equal(METRICS.relay.of(v), 100);
  assert.equal(METRICS.applied.of(v), 300);
  assert.equal(METRICS.stored.of(v), 1000);
  assert.equal(METRICS.store.of(v), 700);
  assert.equal(METRICS.relay.of({ ...v, relay_ts: 0 }), null);
});

test("samples land in the second they were stored in, and come back sorted", () => {
  const stats = new LatencyStats();
  for (const applied of [500, 100, 300]) stats.add(view(BASE, { applied }));
  stats.add(view(BASE, { applied: 50, offsetUs: 999_000, stored: 2000 }));  // stored in BASE + 1
  assert.deepEqual(stats.sorted(BASE, "applied"), [100, 300, 500]);
  assert.deepEqual(stats.sorted(BASE + 1, "applied"), [50]);
  assert.equal(stats.sorted(BASE + 2, "applied"), null);
  assert.deepEqual(stats.range(BASE, BASE + 1, "applied"), [50, 100, 300, 500]);
  assert.deepEqual(stats.range(BASE + 5, BASE + 9, "applied"), []);
  assert.equal(stats.rate(BASE), 3);
  assert.equal(stats.rate(BASE + 1), 1);
  assert.equal(stats.rate(BASE + 2), 0);
  assert.equal(stats.total, 4);

  stats.add(view(BASE, { applied: 200 }));  // after a sort: sorted again when asked
  assert.deepEqual(stats.sorted(BASE, "applied"), [100, 200, 300, 500]);
});

test("views without press or stored stamps are not counted; a missing hop is skipped", () => {
  const stats = new LatencyStats();
  stats.add({ press_ts: 0, stored_ts: BASE * 1e6 });
  stats.add({ press_ts: BASE * 1e6 });
  stats.add({});
  assert.equal(stats.total, 0);
  assert.equal(stats.rate(BASE), 0);

  stats.add(view(BASE, { relay: 0 }));  // relayed stamp missing: the other hops still count
  assert.equal(stats.total, 1);
  assert.deepEqual(stats.sorted(BASE, "relay"), []);
  assert.deepEqual(stats.sorted(BASE, "applied"), [300]);
});

test("seconds older than the two-minute window (and a margin) are dropped", () => {
  const stats = new LatencyStats();
  stats.add(view(BASE));
  stats.add(view(BASE + 120));
  stats.add(view(BASE + 125));
  assert.equal(stats.rate(BASE), 1, "within 120 s + 5 s of the newest");
  stats.add(view(BASE + 126));
  assert.equal(stats.rate(BASE), 0);
  assert.equal(stats.sorted(BASE, "applied"), null);
  assert.equal(stats.rate(BASE + 120), 1);
  assert.equal(stats.total, 4, "the total counts everything ever added");
});

test("a busy second keeps a bounded sample but counts every state", () => {
  const stats = new LatencyStats();
  for (let i = 0; i < 5000; i++) stats.add(view(BASE, { applied: 100 + i, offsetUs: 0 }));
  assert.equal(stats.rate(BASE), 5000);
  const sample = stats.sorted(BASE, "applied");
  assert.equal(sample.length, 4000);
  for (const v of sample) assert.ok(v >= 100 && v < 5100);
  assert.equal(new Set(sample).size, 4000, "a sample of distinct states, not repeats");
});
