// dashboard/js/log_pace.js: when the event log redraws (every frame at a reading pace, at most
// every BUSY_REDRAW_MS while a flood of presses turns it over faster than a screen a frame).
// Run: node --test tests/unit/dashboard/ (ctest -L unit does this).
import assert from "node:assert/strict";
import { test } from "node:test";

import { BUSY_REDRAW_MS, logRedrawWait } from "../../../dashboard/js/log_pace.js";

const at = (fields) => logRedrawWait({ appended: 50, rowsInView: 10, following: true, drawnAt: 1000, now: 1010, ...fields });

test("a flood while following the newest waits out the rest of the busy interval", () => {
  assert.equal(at({}), BUSY_REDRAW_MS - 10);
  assert.equal(at({ now: 1000 + BUSY_REDRAW_MS - 1 }), 1);
});

test("a flood draws once the busy interval has passed since the last draw", () => {
  assert.equal(at({ now: 1000 + BUSY_REDRAW_MS }), 0);
  assert.equal(at({ now: 5000 }), 0);
});

test("at most a screenful of new presses draws at once", () => {
  assert.equal(at({ appended: 10 }), 0);
  assert.equal(at({ appended: 1 }), 0);
  assert.equal(at({ appended: 0 }), 0);
});

test("a reader scrolled down sees every frame, flood or not", () => {
  assert.equal(at({ following: false }), 0);
});

test("a log not laid out yet (no rows in view) still draws at the busy pace, never starves", () => {
  assert.equal(at({ rowsInView: 0, appended: 1, now: 1000 + BUSY_REDRAW_MS }), 0);
  assert.ok(at({ rowsInView: 0, appended: 1 }) <= BUSY_REDRAW_MS);
});
