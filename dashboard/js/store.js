// The page's model of the emulation: the topology and every device's latest view, as received
// from the state service (docs/api.md). Views read it; nothing here touches the DOM.
import { addReading, readingsFromView } from "./readings.js";

// Fields of a topology device that the dashboard knows; anything else a later version adds is
// shown with the button's routes, as given.
const KNOWN_FIELDS = new Set(["id", "kind", "protocol", "attrs", "targets", "resolved_targets",
                              "compute", "sources", "routes", "key"]);

/** The actuators a press of this topology button reaches in the current routing mode. */
export function resolvedTargets(device) {
  return device.resolved_targets ?? device.targets ?? [];
}

/**
 * How a button reaches its targets beyond naming them: its routes of the topology's routing mode
 * ("pattern:1/+/lamp", "group:hall", "match:all(floor=1,type=lamp)") and unknown fields.
 */
export function routeFields(device) {
  const out = [];
  for (const route of device.routes ?? []) {
    if (route.kind !== "actuator") out.push(route.id ?? `${route.kind}`);
  }
  for (const [key, value] of Object.entries(device)) {
    if (!KNOWN_FIELDS.has(key)) out.push(`${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
  return out;
}

/** One line per route: what it is, which actuators it reaches, the topic (and exchange) used. */
export function routeDetails(device) {
  return (device.routes ?? []).map((r) => {
    const via = r.exchange ? ` via ${r.exchange} ${r.topic ?? ""}` : r.topic ? ` via ${r.topic}` : "";
    return `${r.id ?? r.kind} → ${(r.actuators ?? []).join(", ") || "nothing"}${via}`;
  });
}

/**
 * "builtin · flip_switch"; a named compute's buttons: "cloud · openwhisk:flip_switch"; a trigger
 * compute: "openwhisk · trigger snet-press → flip_publish".
 */
export function computeLabel(compute) {
  if (!compute) return "";
  const what = compute.trigger ? `trigger ${compute.trigger} → ${compute.action}` : compute.action;
  if (compute.name && compute.name !== "default") {
    return `${compute.name} · ${compute.backend}:${what}`;
  }
  return `${compute.backend} · ${what}`;
}

export class DeviceStore {
  topology = null;
  devices = [];        // records, in the topology's file order
  byId = new Map();    // id -> record
  buttonCount = 0;
  actuatorCount = 0;
  sensorCount = 0;
  #clock = 0;          // rev source: a record's rev changes whenever what it shows changes

  /** Replaces everything from a snapshot (or a REST load): topology plus device views. */
  load(topology, views) {
    const viewById = new Map(views.map((v) => [v.id, v]));
    this.topology = topology;
    this.devices = [];
    this.byId = new Map();
    this.buttonCount = 0;
    this.actuatorCount = 0;
    this.sensorCount = 0;
    for (const [index, t] of (topology.devices ?? []).entries()) {
      const attrs = Object.entries(t.attrs ?? {}).map(([k, v]) => `${k}=${v}`);
      const record = {
        id: t.id,
        kind: t.kind,
        index,
        topo: t,
        targets: t.kind === "button" ? resolvedTargets(t) : [],
        sources: t.sources ?? [],
        state: viewById.get(t.id) ?? null,
        readings: readingsFromView(viewById.get(t.id)),  // capability -> {unit, points, seq}
        search: `${t.id} ${attrs.join(" ")}`.toLowerCase(),
        rev: ++this.#clock,
      };
      this.devices.push(record);
      this.byId.set(t.id, record);
      if (t.kind === "button") this.buttonCount++;
      else if (t.kind === "sensor") this.sensorCount++;
      else this.actuatorCount++;
    }
  }

  /**
   * Applies one device view from a `states` delta. Returns the record and whether the view is a
   * state not seen before (a delta may repeat what the snapshot had), or null for unknown ids.
   */
  apply(view) {
    const record = this.byId.get(view.id);
    if (!record) return null;
    const old = record.state;
    const fresh = !old || old.press_id !== view.press_id || old.applied_ts !== view.applied_ts ||
                  old.on !== view.on;
    record.state = view;
    if (fresh) record.rev = ++this.#clock;
    return { record, fresh };
  }

  /**
   * Applies the items of a `readings` message ([device, capability, value, unit, seq, ts]).
   * Returns how many were for devices of the topology.
   */
  applyReadings(items) {
    let applied = 0;
    for (const item of items) {
      if (!Array.isArray(item) || item.length < 6) continue;
      const [device, capability, value, unit, seq, ts] = item;
      const record = this.byId.get(device);
      if (!record || typeof value !== "number") continue;
      if (addReading(record.readings, capability, value, unit ?? "", seq, ts)) {
        record.rev = ++this.#clock;
        applied++;
      }
    }
    return applied;
  }

  /** Marks a record as changed for reasons outside its state (e.g. a press it started). */
  touch(record) {
    record.rev = ++this.#clock;
  }
}

/** Whether a record matches a search: every whitespace-separated term is part of its id or attrs. */
export function matches(record, terms) {
  for (const term of terms) if (!record.search.includes(term)) return false;
  return true;
}

export function searchTerms(query) {
  return query.toLowerCase().split(/\s+/).filter((t) => t !== "");
}
