// The event log's model: one entry per press, merged from state deltas (one per target that
// applied it), press errors and the history (GET /api/events), plus one per fault (control
// action). Kept oldest first, bounded; the
// view shows it newest first. No DOM here.

const MAX_ENTRIES = 5000;
const TRIM_BATCH = 500;

export class PressLog {
  entries = [];       // oldest first
  byId = new Map();   // press id -> entry
  rev = 0;            // bumped on every change
  appended = 0;       // entries added since the view last looked (it keeps its scroll position)
  #filter = "";
  #exact = false;
  #view = null;       // entries matching the filter, oldest first (null: rebuild)
  #store;
  #clock = 0;

  constructor(store) {
    this.#store = store;
  }

  /** A fresh state view from the feed, or a state record from the history. */
  addState(s) {
    if (!s.press_id) return;  // an actuator's initial report: no press
    const device = s.device ?? s.id;
    const entry = this.#entry(s.press_id, s.button, s.press_ts || s.stored_ts);
    entry.results.set(device, { on: s.on, relay_ts: s.relay_ts, applied_ts: s.applied_ts, stored_ts: s.stored_ts });
    if (s.press_ts > 0) entry.press_ts = s.press_ts;
    if (s.relay_ts > 0 && !(entry.relay_ts > 0 && entry.relay_ts <= s.relay_ts)) entry.relay_ts = s.relay_ts;
    if (s.applied_ts > (entry.applied_ts ?? 0)) entry.applied_ts = s.applied_ts;
    if (s.stored_ts > (entry.stored_ts ?? 0)) entry.stored_ts = s.stored_ts;
    if (!entry.targets.includes(device)) entry.targets = [...entry.targets, device];
    this.#changed(entry);
  }

  /** A press error record (feed or history). */
  addError(e) {
    const entry = this.#entry(e.press_id || `error-${e.seq ?? e.stored_ts}`, e.button || e.device, e.press_ts || e.error_ts);
    entry.error = e.error;
    entry.error_ts = e.error_ts;
    if (e.action) entry.action = e.action;
    if (e.press_ts > 0) entry.press_ts = e.press_ts;
    entry.stored_ts = e.stored_ts;
    this.#changed(entry);
  }

  /** A fault record (a control action: feed or history); its entry is keyed by fault id. */
  addFault(f) {
    if (!f.fault_id || this.byId.has(f.fault_id)) return;
    const entry = this.#entry(f.fault_id, f.target, f.ts || f.stored_ts);
    entry.targets = [];
    entry.fault = { action: f.action, target_kind: f.target_kind, detail: f.detail ?? "" };
    entry.action = "";
    entry.press_ts = f.ts;
    entry.stored_ts = f.stored_ts;
    this.#changed(entry);
  }

  /** History records, newest first as GET /api/events gives them. */
  addHistory(events) {
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i];
      if (e.kind === "error") this.addError(e);
      else if (e.kind === "state") this.addState(e);
      else if (e.kind === "fault") this.addFault(e);
    }
  }

  /** Shows only presses involving this device (exact id, else part of an id); "" shows all. */
  setFilter(text) {
    this.#filter = text.trim();
    this.#exact = this.#store.byId.has(this.#filter);
    this.#view = null;
    this.rev++;
  }

  get filter() {
    return this.#filter;
  }

  /** The entries to show, oldest first. */
  view() {
    if (this.#filter === "") return this.entries;
    if (this.#view === null) this.#view = this.entries.filter((e) => this.#matches(e));
    return this.#view;
  }

  #matches(e) {
    const f = this.#filter;
    if (this.#exact) return e.button === f || e.targets.includes(f);
    return e.button.includes(f) || e.targets.some((t) => t.includes(f));
  }

  #entry(pressId, button, sortTs) {
    let entry = this.byId.get(pressId);
    if (entry) return entry;
    const record = this.#store.byId.get(button);
    // A rule fires as a button presses: its firings name the rule (few of them: a scan is fine).
    const rule = record ? null : this.#store.topology?.rules?.find((r) => r.id === button);
    const compute = record?.topo?.compute ?? rule?.compute ?? this.#store.topology?.compute;
    entry = {
      press_id: pressId, button: button ?? "?", targets: record?.targets ?? rule?.targets ?? [],
      action: compute?.action ?? "", backend: compute?.backend ?? "",
      results: new Map(), press_ts: 0, relay_ts: 0, applied_ts: 0, stored_ts: 0,
      error: "", error_ts: 0, sortTs: sortTs || 0, rev: 0,
    };
    this.byId.set(pressId, entry);
    const list = this.entries;
    if (list.length === 0 || entry.sortTs >= list[list.length - 1].sortTs) {
      list.push(entry);
      if (this.#view !== null && this.#matches(entry)) this.#view.push(entry);
    } else {
      // Older than the newest (history, or a press that took long): keep time order.
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid].sortTs <= entry.sortTs) lo = mid + 1;
        else hi = mid;
      }
      list.splice(lo, 0, entry);
      this.#view = null;
    }
    this.appended++;
    if (list.length > MAX_ENTRIES + TRIM_BATCH) {
      for (const old of list.splice(0, list.length - MAX_ENTRIES)) this.byId.delete(old.press_id);
      this.#view = null;
    }
    return entry;
  }

  #changed(entry) {
    entry.rev = ++this.#clock;
    this.rev++;
  }
}
