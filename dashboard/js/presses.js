// Presses made from this page: POST /api/devices/{button}/press answers 202 {press_id}; the press
// is then pending until a state delta carrying that press id arrives for each target (applied),
// or an `errors` item names it (error, with the relayer's reason). A result can beat the POST's
// answer over the WebSocket, so recent results are remembered by press id for a while.

import { withToken } from "./session.js";

const RECENT_LIMIT = 4096;
const CONFIRM_AFTER_MS = 5000;

export class PressTracker {
  #store;
  #onChange;
  #byPressId = new Map();  // press id -> press made here and not settled
  #recent = new Map();     // press id -> {targets: Set, error} seen while a POST was in flight
  #sending = 0;            // POSTs not answered yet: only then can a result beat its answer
  byButton = new Map();    // button id -> its latest press

  /** onChange(press) runs whenever a press changes phase. */
  constructor(store, onChange) {
    this.#store = store;
    this.#onChange = onChange;
  }

  async press(buttonId) {
    const record = this.#store.byId.get(buttonId);
    if (!record || record.kind !== "button") return null;
    const press = {
      button: buttonId, id: null, phase: "sending", reason: "",
      targets: record.targets, applied: new Set(), clickedAt: performance.now(), settledAt: 0,
    };
    this.byButton.set(buttonId, press);
    this.#changed(press);
    let seen;
    this.#sending++;
    try {
      const res = await fetch(`/api/devices/${encodeURIComponent(buttonId)}/press`, {
        method: "POST",
        headers: withToken(),
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
      press.id = body.press_id;
      seen = this.#recent.get(press.id);
    } catch (err) {
      this.#settle(press, "failed", `press not sent: ${err.message}`);
      return press;
    } finally {
      if (--this.#sending === 0) this.#recent.clear();
    }
    press.phase = "pending";
    this.#byPressId.set(press.id, press);
    if (seen) {
      for (const target of seen.targets) press.applied.add(target);
      if (seen.error) this.#settle(press, "error", seen.error);
      else this.#progress(press);
    } else {
      this.#changed(press);
    }
    setTimeout(() => this.#confirm(press), CONFIRM_AFTER_MS);
    return press;
  }

  /** A state view from the feed (only fresh ones). */
  onState(view) {
    if (!view.press_id) return;
    if (this.#sending > 0) this.#remember(view.press_id).targets.add(view.id);
    const press = this.#byPressId.get(view.press_id);
    if (!press) return;
    press.applied.add(view.id);
    this.#progress(press);
  }

  /** An error record from the feed. */
  onError(record) {
    if (!record.press_id) return;
    if (this.#sending > 0) this.#remember(record.press_id).error = record.error;
    const press = this.#byPressId.get(record.press_id);
    if (press) this.#settle(press, "error", record.error);
  }

  #remember(pressId) {
    let entry = this.#recent.get(pressId);
    if (!entry) {
      entry = { targets: new Set(), error: "" };
      this.#recent.set(pressId, entry);
      if (this.#recent.size > RECENT_LIMIT) this.#recent.delete(this.#recent.keys().next().value);
    }
    return entry;
  }

  #progress(press) {
    if (press.targets.every((t) => press.applied.has(t))) this.#settle(press, "applied", "");
    else this.#changed(press);
  }

  #settle(press, phase, reason) {
    press.phase = phase;
    press.reason = reason;
    press.settledAt = performance.now();
    if (press.id) this.#byPressId.delete(press.id);
    this.#changed(press);
  }

  // Results can be missed while the socket was down, or coalesced away when another press of the
  // same actuator followed at once: ask the history before calling the press unconfirmed.
  async #confirm(press) {
    if (press.phase !== "pending") return;
    try {
      const res = await fetch(`/api/events?device=${encodeURIComponent(press.button)}&limit=200`);
      const body = await res.json();
      for (const e of body.events ?? []) {
        if (e.press_id !== press.id) continue;
        if (e.kind === "error") this.onError(e);
        else this.onState({ id: e.device, press_id: e.press_id });
      }
    } catch {
      // The service is away; the press stays unconfirmed below.
    }
    if (press.phase === "pending") {
      press.reason = `no result after ${CONFIRM_AFTER_MS / 1000} s (${press.applied.size}/${press.targets.length} targets)`;
      press.phase = "unconfirmed";
      this.#changed(press);
    }
  }

  #changed(press) {
    const record = this.#store.byId.get(press.button);
    if (record) this.#store.touch(record);
    this.#onChange(press);
  }
}
