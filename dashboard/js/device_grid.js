// The device grid: every device of the topology as a tile (buttons press on click, actuators show
// their state and last latency), windowed by VirtualGrid so 10,000 devices stay smooth. Search
// matches ids and attrs ("lamp", "floor=1"); the kind menu narrows to buttons or actuators.
// A device that sends readings shows its latest value and unit and a sparkline of the last ones.
import { formatCount, formatMicros, hop } from "./format.js";
import { createSparkline, formatReading, primaryReading, updateSparkline } from "./readings.js";
import { computeLabel, matches, routeDetails, routeFields, searchTerms } from "./store.js";
import { VirtualGrid } from "./virtual_grid.js";

const PHASE_TEXT = {
  sending: "sending…",
  pending: "pending…",
  applied: "applied",
  error: "error",
  failed: "not sent",
  unconfirmed: "no result yet",
};

export class DeviceGrid {
  #terms = [];
  #kind = "all";
  #filterDirty = true;

  /** els: {viewport, search, kind, count}; actions: {press(id), inspect(id), faultMenu(id, anchor)} */
  constructor(els, store, presses, frame, actions) {
    this.els = els;
    this.store = store;
    this.presses = presses;
    this.frame = frame;
    this.grid = new VirtualGrid(els.viewport, {
      cellWidth: 156, cellHeight: 58, gap: 8, minHeight: 60, maxHeight: 520,
      create: () => this.#createTile(),
      update: (el, record) => this.#updateTile(el, record),
      requestRender: () => frame.request(this),
    });
    els.search.addEventListener("input", () => {
      this.#terms = searchTerms(els.search.value);
      this.refilter();
    });
    els.kind.addEventListener("change", () => {
      this.#kind = els.kind.value;
      this.refilter();
    });
    const activate = (event) => {
      const tile = event.target.closest(".tile");
      if (!tile || !tile._item) return;
      const menu = event.target.closest(".tile-menu");
      if (menu) {
        event.stopPropagation();
        actions.faultMenu(tile._item.id, menu);
        return;
      }
      if (tile._item.kind === "button") actions.press(tile._item.id);
      else actions.inspect(tile._item.id);
    };
    els.viewport.addEventListener("click", activate);
    els.viewport.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        activate(event);
      }
    });
  }

  get query() {
    return this.els.search.value;
  }

  /** The records the current search shows. */
  filtered() {
    const terms = this.#terms;
    const kind = this.#kind;
    return this.store.devices.filter((r) => (kind === "all" || r.kind === kind) && matches(r, terms));
  }

  refilter() {
    this.#filterDirty = true;
    this.frame.request(this);
  }

  /** Something changed: re-render the tiles in view whose record changed. */
  invalidate() {
    this.frame.request(this);
  }

  render() {
    if (this.#filterDirty) {
      this.#filterDirty = false;
      const items = this.filtered();
      this.grid.setItems(items);
      const s = this.store;
      const all = s.devices.length;
      this.els.count.textContent = items.length === all
        ? `${formatCount(all)} devices · ${formatCount(s.buttonCount)} buttons, ${formatCount(s.actuatorCount)} actuators` +
          (s.sensorCount ? `, ${formatCount(s.sensorCount)} sensors` : "")
        : `${formatCount(items.length)} of ${formatCount(all)} devices`;
      this.els.empty.hidden = items.length !== 0 || all === 0;
    }
    this.grid.render();
  }

  #createTile() {
    const el = document.createElement("div");
    el.className = "tile";
    el.tabIndex = 0;
    const lamp = document.createElement("span");
    lamp.className = "lamp";
    const text = document.createElement("span");
    text.className = "text";
    el._name = document.createElement("span");
    el._name.className = "name";
    el._sub = document.createElement("span");
    el._sub.className = "sub";
    // Under the value, so a card with readings keeps the room for its name.
    el._spark = createSparkline(72, 12);
    el._spark.setAttribute("hidden", "");
    text.append(el._name, el._sub, el._spark);
    // The device's fault menu (offline, online, crash, freeze): control.js.
    el._menu = document.createElement("button");
    el._menu.type = "button";
    el._menu.className = "tile-menu";
    el._menu.textContent = "⋯";
    el.append(lamp, text, el._menu);
    return el;
  }

  #updateTile(el, r) {
    el.dataset.deviceId = r.id;
    el._menu.setAttribute("aria-label", `faults for ${r.id}`);
    el._menu.title = `${r.id}: offline, online, crash, freeze`;
    el._name.textContent = r.id;
    if (r.kind === "button") {
      const press = this.presses.byButton.get(r.id);
      const phase = press?.phase ?? "idle";
      el.className = `tile button phase-${phase}`;
      el.setAttribute("role", "button");
      el.dataset.pressState = phase;
      el.dataset.pressId = press?.id ?? "";
      delete el.dataset.on;
      delete el.dataset.storedTs;
      const targets = r.targets.length === 1 ? r.targets[0] : `${r.targets.length} actuators`;
      const routes = routeFields(r.topo);
      let sub = routes.length ? `${routes.join(", ")} → ${r.targets.length}` : `→ ${targets}`;
      if (press && phase !== "idle") {
        sub = PHASE_TEXT[phase] ?? phase;
        if (phase === "applied") sub += ` in ${Math.round(press.settledAt - press.clickedAt)} ms`;
        if (press.reason) sub += `: ${press.reason}`;
      }
      el._sub.textContent = sub;
      const compute = computeLabel(r.topo.compute);
      const details = routeDetails(r.topo);
      el.title = `${r.id}: press to send\ntargets: ${r.targets.join(", ")}\ncompute: ${compute}` +
                 (details.length ? `\nroutes:\n  ${details.join("\n  ")}` : "") +
                 (press?.reason ? `\nlast press: ${press.reason}` : "");
      el.setAttribute("aria-label", `press ${r.id}`);
      this.#showReading(el, null);
      return;
    }
    const s = r.state;
    const on = s?.on ?? null;
    const reading = primaryReading(r.readings);
    el.className = `tile actuator ${on === true ? "on" : on === false ? "off" : reading ? "sensing" : "unknown"}`;
    el.removeAttribute("role");
    el.dataset.on = String(on);
    el.dataset.pressId = s?.press_id ?? "";
    el.dataset.storedTs = s?.stored_ts ?? "";
    delete el.dataset.pressState;
    if (on === null) {
      // The value only: a card is narrow (the capability is in its title).
      el._sub.textContent = reading ? formatReading(reading.value, reading.unit) :
        r.kind === "sensor" ? "no readings yet" : "no state yet";
      el.title = r.id;
    } else {
      const latency = hop(s.press_ts, s.applied_ts);
      el._sub.textContent = (on ? "on" : "off") + (latency !== null ? ` · ${formatMicros(latency)}` : "");
      el.title = `${r.id}: ${on ? "on" : "off"}` +
                 (s.press_id ? `\nlast press ${s.press_id} from ${s.button || "?"}` : "") +
                 (latency !== null ? `\npress → applied ${formatMicros(latency)}` : "") +
                 "\nclick: show its events";
    }
    el.setAttribute("aria-label", `${r.id} ${on === null ? (reading ? "" : "no state") : on ? "on" : "off"}`);
    this.#showReading(el, reading);
    if (reading) {
      if (on !== null) el._sub.textContent += ` · ${formatReading(reading.value, reading.unit)}`;
      const all = [...r.readings].map(([c, series]) => {
        const last = series.points[series.points.length - 1];
        return `${c}: ${formatReading(last.v, series.unit)}`;
      });
      el.title += `\n${all.join("\n")}`;
      el.setAttribute("aria-label", `${el.getAttribute("aria-label")} ${reading.capability} ${formatReading(reading.value, reading.unit)}`.trim());
    }
  }

  /** The sparkline of the device's last-measured capability, or none. */
  #showReading(el, reading) {
    el._spark.toggleAttribute("hidden", !reading);  // an SVG element has no .hidden property
    if (!reading) {
      delete el.dataset.reading;
      delete el.dataset.capability;
      return;
    }
    el.dataset.reading = String(reading.value);
    el.dataset.capability = reading.capability;
    updateSparkline(el._spark, reading.points);
  }
}
