// The event log's view: presses newest first (press id, button → targets, action, per-hop
// timings, result), windowed like the device grid. While the reader has scrolled down, new
// presses arriving above do not move what they are reading.
import { formatClock, formatCount, formatMicros, hop } from "./format.js";
import { logRedrawWait } from "./log_pace.js";
import { VirtualGrid } from "./virtual_grid.js";

export class EventLog {
  #seenRev = -1;
  #drawnAt = 0;
  #timer = 0;
  #asked = false;  // the reader scrolled, resized or filtered: draw at once, flood or not
  #rendering = false;

  /** els: {viewport, filter, clear, count} */
  constructor(els, log, frame, history) {
    this.els = els;
    this.log = log;
    this.frame = frame;
    this.history = history;  // (device) => loads that device's history into the log
    this.list = new VirtualGrid(els.viewport, {
      cellHeight: 46, gap: 2, columns: 1,
      create: () => this.#createRow(),
      update: (el, entry) => this.#updateRow(el, entry),
      requestRender: () => {
        this.#asked ||= !this.#rendering;  // not the list's own request while it is drawn
        frame.request(this);
      },
    });
    this.#bindSource();
    let timer = 0;
    els.filter.addEventListener("input", () => {
      this.setFilter(els.filter.value, false);
      clearTimeout(timer);
      timer = setTimeout(() => this.history(this.log.filter), 300);
    });
    els.clear.addEventListener("click", () => this.setFilter("", true));
    // Tooltips are written when the pointer arrives, not on every render of a busy log.
    els.viewport.addEventListener("pointerover", (event) => {
      const row = event.target.closest(".log-row");
      if (row?._item) row.title = this.#describe(row._item);
    });
  }

  #describe(e) {
    if (e.fault) return `fault ${e.press_id}: ${e.fault.action} ${e.fault.target_kind} ${e.button}` + (e.fault.detail ? `\n${e.fault.detail}` : "");
    const lines = [`press ${e.press_id} from ${e.button}`, `targets: ${e.targets.join(", ")}`];
    if (e.action) lines.push(`action: ${e.action} (${e.backend})`);
    if (e.error) lines.push(`error: ${e.error}`);
    for (const [id, r] of e.results) lines.push(`${id}: ${r.on ? "on" : "off"}`);
    lines.push("relay: press → relayer published the command; apply: → the actuator applied it;",
               "store: → the state service stored it; total: press → stored");
    return lines.join("\n");
  }

  setFilter(text, updateInput) {
    if (updateInput) this.els.filter.value = text;
    this.els.clear.hidden = text.trim() === "";
    this.log.setFilter(text);
    this.#bindSource();
    this.list.viewport.scrollTop = 0;
    this.list.scrollTop = 0;
    this.frame.request(this);
  }

  invalidate() {
    this.frame.request(this);
  }

  #bindSource() {
    const view = this.log.view();
    this.list.setSource(view.length, (i) => {
      const v = this.log.view();
      return v[v.length - 1 - i];
    });
  }

  render() {
    if (!this.#asked && this.#busyWait()) return;
    this.#asked = false;
    this.#drawnAt = performance.now();
    this.#rendering = true;
    try {
      this.#draw();
    } finally {
      this.#rendering = false;
    }
  }

  #draw() {
    if (this.log.rev !== this.#seenRev) {
      this.#seenRev = this.log.rev;
      const count = this.log.view().length;
      // Reading further down: keep the same presses in view as new ones arrive on top.
      if (this.list.scrollTop > 0 && this.log.appended > 0) {
        const top = this.list.scrollTop + this.log.appended * this.list.rowHeight;
        this.list.scrollTop = top;
        this.list.viewport.scrollTop = top;
      }
      this.log.appended = 0;
      this.list.resize(count);
      const total = this.log.entries.length;
      this.els.count.textContent = this.log.filter
        ? `${formatCount(count)} of ${formatCount(total)} presses`
        : `${formatCount(total)} presses`;
      this.els.empty.hidden = count !== 0;
    }
    this.list.render();
  }

  // A flood of presses is drawn at a reading pace (log_pace.js): true when this frame skips.
  #busyWait() {
    const wait = logRedrawWait({
      appended: this.log.appended,
      rowsInView: Math.ceil(this.list.height / this.list.rowHeight),
      following: this.list.scrollTop === 0,
      drawnAt: this.#drawnAt,
      now: performance.now(),
    });
    if (wait === 0) return false;
    if (this.#timer === 0) {
      this.#timer = setTimeout(() => {
        this.#timer = 0;
        this.frame.request(this);
      }, wait);
    }
    return true;
  }

  #createRow() {
    const el = document.createElement("div");
    el.className = "log-row";
    const line1 = document.createElement("div");
    line1.className = "line";
    const line2 = document.createElement("div");
    line2.className = "line detail";
    const span = (cls, parent) => {
      const s = document.createElement("span");
      s.className = cls;
      parent.append(s);
      return s;
    };
    el._status = span("status", line1);
    el._time = span("time", line1);
    el._route = span("route", line1);
    el._result = span("result", line1);
    el._id = span("press-id", line1);
    el._action = span("action", line2);
    el._hops = span("hops", line2);
    el.append(line1, line2);
    return el;
  }

  #updateRow(el, e) {
    if (e.fault) {
      el.className = "log-row fault";
      el.dataset.pressId = e.press_id;
      el.dataset.button = e.button;
      el.dataset.faultAction = e.fault.action;
      el.dataset.storedTs = e.stored_ts || "";
      el._time.textContent = formatClock(e.press_ts || e.stored_ts);
      el._route.textContent = `⚡ ${e.fault.action} ${e.button}`;
      el._result.textContent = "fault";
      el._id.textContent = e.press_id;
      el._action.textContent = e.fault.target_kind;
      el._hops.textContent = e.fault.detail;
      return;
    }
    delete el.dataset.faultAction;
    const done = e.results.size;
    const want = Math.max(e.targets.length, done);
    const state = e.error ? "error" : done >= want && want > 0 ? "applied" : "pending";
    el.className = `log-row ${state}`;
    el.dataset.pressId = e.press_id;
    el.dataset.button = e.button;
    el.dataset.storedTs = e.stored_ts || "";
    el._time.textContent = formatClock(e.press_ts || e.error_ts || e.stored_ts);
    const targets = e.targets.length <= 3 ? e.targets.join(", ") : `${e.targets.slice(0, 2).join(", ")} +${e.targets.length - 2}`;
    el._route.textContent = `${e.button} → ${targets || "?"}`;
    el._id.textContent = e.press_id;
    el._action.textContent = e.action ? `${e.action}${e.backend ? ` (${e.backend})` : ""}` : "";
    if (e.error) {
      el._result.textContent = "error";
      el._hops.textContent = e.error + (hop(e.press_ts, e.error_ts) !== null ? ` · after ${formatMicros(hop(e.press_ts, e.error_ts))}` : "");
      return;
    }
    el._result.textContent = want > 1 ? `${done}/${want} applied` : state;
    const parts = [];
    const add = (label, value) => { if (value !== null) parts.push(`${label} ${formatMicros(value)}`); };
    add("relay", hop(e.press_ts, e.relay_ts));
    add("apply", hop(e.relay_ts, e.applied_ts));
    add("store", hop(e.applied_ts, e.stored_ts));
    add("total", hop(e.press_ts, e.stored_ts));
    el._hops.textContent = parts.join(" · ");
  }
}
