// The wiring view: buttons (and rules, which fire as a button presses) → relayer/compute →
// actuators (grouped), as SVG, with the resolved targets of the current routing mode. Presses travel along the wires: pending (flowing), applied
// (green), error (red, the reason at the compute node). Large topologies are summarised; the
// device search picks which devices (up to MAX_NODES) are drawn.
import { formatMicros, hop } from "./format.js";
import { formatReading, primaryReading } from "./readings.js";
import { computeLabel, matches, routeDetails, routeFields, searchTerms } from "./store.js";

const MAX_NODES = 60;
const ROW = 34;
const NODE_H = 26;
const FLASH_MS = 1200;
const ERROR_MS = 6000;
const SVG_NS = "http://www.w3.org/2000/svg";
const GROUP_KEYS = ["group", "zone", "room", "floor", "area", "type"];

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A rule's "on" as {reading: "temperature", threshold: "> 24"}. */
export function ruleCondition(on) {
  const above = on?.above !== undefined;
  return { reading: on?.reading ?? "?", threshold: `${above ? ">" : "<"} ${above ? on.above : on?.below}` };
}

/** The topology's rules as the wiring view draws them: like buttons, kind "rule". */
function ruleRecords(topology) {
  return (topology?.rules ?? []).map((r) => ({
    id: r.id, kind: "rule", topo: { compute: r.compute }, rule: r,
    targets: r.targets ?? [], sources: r.sources ?? [],
  }));
}

/** Actuator groups: the topology's own `groups` if it has them, else the most telling attr. */
export function actuatorGroups(topology, actuators) {
  const ids = new Set(actuators.map((a) => a.id));
  const declared = topology.groups;
  if (declared && typeof declared === "object") {
    const list = Array.isArray(declared)
      ? declared.map((g) => [g.name ?? g.id ?? "group", g.members ?? g.devices ?? g.actuators ?? []])
      : Object.entries(declared).map(([name, g]) => [name, Array.isArray(g) ? g : g.members ?? g.devices ?? []]);
    const groups = [];
    const placed = new Set();
    for (const [name, members] of list) {
      const shown = members.filter((m) => ids.has(m) && !placed.has(m));
      shown.forEach((m) => placed.add(m));
      if (shown.length) groups.push({ label: `group ${name}`, members: shown });
    }
    const rest = actuators.map((a) => a.id).filter((id) => !placed.has(id));
    if (rest.length) groups.push({ label: groups.length ? "ungrouped" : "", members: rest });
    return groups;
  }
  const keys = new Set();
  for (const a of actuators) for (const k of Object.keys(a.topo.attrs ?? {})) keys.add(k);
  const ordered = [...GROUP_KEYS.filter((k) => keys.has(k)), ...[...keys].filter((k) => !GROUP_KEYS.includes(k)).sort()];
  for (const key of ordered) {
    const values = new Map();
    for (const a of actuators) {
      const v = a.topo.attrs?.[key];
      if (v === undefined) continue;
      if (!values.has(v)) values.set(v, []);
      values.get(v).push(a.id);
    }
    if (values.size < 2 || values.size >= actuators.length) continue;  // no grouping at all
    const groups = [...values].sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))
      .map(([v, members]) => ({ label: `${key}=${v}`, members }));
    const rest = actuators.filter((a) => a.topo.attrs?.[key] === undefined).map((a) => a.id);
    if (rest.length) groups.push({ label: `no ${key}`, members: rest });
    return groups;
  }
  return [{ label: "", members: actuators.map((a) => a.id) }];
}

export class TopologyView {
  #structureKey = "";
  #buttons = new Map();    // id -> {g, sub}
  #actuators = new Map();  // id -> {g, sub, rev}
  #computes = new Map();   // label -> {g, note}
  #wires = new Map();      // button id -> [{path, target}]
  #flashes = new Map();    // path -> {cls, until}
  #flashTimer = 0;
  #phases = new Map();     // button id -> phase shown
  #width = 0;

  /** els: {box, summary, meta}; actions: {press(id), inspect(id)}; query() -> device search */
  constructor(els, store, presses, frame, actions, query) {
    this.els = els;
    this.store = store;
    this.presses = presses;
    this.frame = frame;
    this.query = query;
    els.box.addEventListener("click", (event) => {
      const node = event.target.closest("[data-node]");
      if (!node) return;
      if (node.dataset.kind === "button") actions.press(node.dataset.node);
      else if (node.dataset.kind === "actuator") actions.inspect(node.dataset.node);
    });
    els.box.addEventListener("pointerover", (event) => this.#hover(event.target.closest("[data-node]")));
    els.box.addEventListener("pointerleave", () => this.#hover(null));
    new ResizeObserver((entries) => {
      const width = entries[entries.length - 1].contentRect.width;
      if (width > 0 && Math.abs(width - this.#width) > 16) {
        this.#width = width;
        this.rebuild();
      }
    }).observe(els.box);
  }

  /** The topology or the search changed: rebuild on the next frame. */
  rebuild() {
    this.#structureKey = "";
    this.frame.request(this);
  }

  invalidate() {
    this.frame.request(this);
  }

  /** A fresh state from the feed: flash the wire it travelled along. */
  stateArrived(view) {
    const wires = this.#wires.get(view.button);
    const wire = wires?.find((w) => w.target === view.id);
    if (wire) this.#flash(wire.path, "applied", FLASH_MS);
    // A rule's firing shows on its node too (it has no press of its own to follow); counted once
    // per firing, however many actuators it commands.
    const rule = this.#buttons.get(view.button)?.g;
    if (rule?.dataset.kind === "rule" && rule.dataset.lastPress !== view.press_id) {
      rule.dataset.lastPress = view.press_id;
      rule.dataset.fired = String(Number(rule.dataset.fired ?? 0) + 1);
      this.#flash(rule, "fired", FLASH_MS);
    }
  }

  /** A press error from the feed: its button's wires go red, the reason shows at the compute. */
  errorArrived(record) {
    for (const wire of this.#wires.get(record.button) ?? []) this.#flash(wire.path, "error", FLASH_MS * 2);
    const b = this.store.byId.get(record.button);
    const compute = this.#computes.get(computeLabel(b?.topo?.compute));
    if (compute) {
      compute.note.textContent = `✗ ${clip(record.error ?? "error", compute.chars)}`;
      compute.g.classList.add("failed");
      compute.g.querySelector("title").textContent = `${record.button}: ${record.error}`;
      this.#flash(compute.g, "failed", ERROR_MS);
    }
  }

  render() {
    // The selection is recomputed only when asked (new topology, new search), not per frame.
    if (this.#structureKey === "") {
      const selection = this.#select();
      this.#structureKey = selection
        ? `${selection.buttons.map((b) => b.id).join(",")}|${selection.actuators.map((a) => a.id).join(",")}`
        : "summary";
      if (selection) this.#draw(selection);
      else this.#summarise();
    }
    this.#update();
  }

  // Which devices to draw: all of a small topology, else those the search finds plus what they
  // are wired to; null when that is still too many.
  #select() {
    const all = this.store.devices;
    const terms = searchTerms(this.query());
    let picked = all.length <= MAX_NODES && terms.length === 0 ? all : terms.length ? all.filter((r) => matches(r, terms)) : null;
    // "button-42" also matches button-420...: an exact id is what was meant.
    if (picked && picked.length > MAX_NODES) picked = picked.filter((r) => terms.includes(r.id.toLowerCase()));
    if (!picked || picked.length === 0 || picked.length > MAX_NODES) return null;
    const buttonIds = new Set();
    const actuatorIds = new Set();
    for (const r of picked) {
      if (r.kind === "button") {
        buttonIds.add(r.id);
        r.targets.forEach((t) => actuatorIds.add(t));
      } else {
        actuatorIds.add(r.id);
        r.sources.forEach((s) => buttonIds.add(s));
      }
    }
    // A rule is drawn with what it watches or commands.
    const rules = ruleRecords(this.store.topology).filter((r) => picked === all ||
      r.targets.some((t) => actuatorIds.has(t)) || r.sources.some((s) => actuatorIds.has(s)));
    for (const r of rules) r.targets.forEach((t) => actuatorIds.add(t));
    if (buttonIds.size + rules.length + actuatorIds.size > MAX_NODES * 2) return null;
    const byId = this.store.byId;
    return {
      buttons: [...all.filter((r) => buttonIds.has(r.id)), ...rules],
      // Sensors (and any other kind but buttons) are drawn with the actuators.
      actuators: all.filter((r) => actuatorIds.has(r.id) && byId.get(r.id)?.kind !== "button"),
      partial: picked.length !== all.length,
    };
  }

  #summarise() {
    const s = this.store;
    const computes = new Map();
    for (const r of s.devices) {
      if (r.kind !== "button") continue;
      const label = computeLabel(r.topo.compute);
      computes.set(label, (computes.get(label) ?? 0) + 1);
    }
    const topo = s.topology ?? {};
    this.els.meta.textContent = `routing ${topo.routing ?? "?"} · broker ${topo.broker ?? "?"}`;
    this.els.box.replaceChildren();
    this.#buttons.clear();
    this.#actuators.clear();
    this.#computes.clear();
    this.#wires.clear();
    const n = (v) => v.toLocaleString("en-US");
    const rules = topo.rules?.length ? ` · ${n(topo.rules.length)} rules` : "";
    const computeText = [...computes].map(([label, count]) => `<div class="summary-line">${esc(label)} <span class="muted">· ${n(count)} buttons</span></div>`).join("");
    const groups = actuatorGroups(topo, s.devices.filter((r) => r.kind === "actuator"));
    const groupText = groups.length > 1 ? `in ${n(groups.length)} groups (${esc(groups[0].label.split("=")[0])})` : "";
    this.els.summary.innerHTML = `
      <div class="summary-flow">
        <div class="summary-node button-node"><strong>${n(s.buttonCount)}</strong> buttons${rules}</div>
        <div class="summary-arrow">→</div>
        <div class="summary-node compute-node"><strong>relayer</strong>${computeText}</div>
        <div class="summary-arrow">→</div>
        <div class="summary-node actuator-node"><strong>${n(s.actuatorCount)}</strong> actuators ${groupText}</div>
      </div>
      <p class="muted">Too many devices to draw every wire. Search the devices (e.g. <code>button-42</code>,
      or an attr like <code>floor=1</code>) to draw the wiring of up to ${MAX_NODES} of them.</p>`;
    this.els.summary.hidden = false;
    this.els.box.hidden = true;
  }

  #draw({ buttons, actuators, partial }) {
    const topo = this.store.topology ?? {};
    this.els.summary.hidden = true;
    this.els.box.hidden = false;
    const groups = actuatorGroups(topo, actuators);
    const computes = [...new Set(buttons.map((b) => computeLabel(b.topo.compute)))];
    this.els.meta.textContent = `routing ${topo.routing ?? "?"}${topo.topic_key ? ` (key ${[].concat(topo.topic_key).join("/")})` : ""} · broker ${topo.broker ?? "?"}` +
      (partial ? ` · ${buttons.length + actuators.length} devices that match the search` : "");

    // Drawn at the box's own width, so text is never scaled.
    const width = Math.max(620, Math.round(this.#width || this.els.box.clientWidth || 900));
    const bx = 4;
    const bw = Math.min(250, Math.round(width * 0.27));
    const cw = Math.min(230, Math.round(width * 0.24));
    const cx = Math.round(width * 0.5 - cw / 2);
    const aw = Math.min(300, Math.round(width * 0.3));
    const ax = width - aw - 12;
    let y = 30;
    const bPos = new Map();
    for (const b of buttons) {
      bPos.set(b.id, y);
      y += ROW;
    }
    const buttonsHeight = y;
    y = 30;
    const aPos = new Map();
    const groupBoxes = [];
    for (const g of groups) {
      const top = y;
      if (g.label) y += 24;
      for (const id of g.members) {
        aPos.set(id, y);
        y += ROW;
      }
      groupBoxes.push({ label: g.label, top: top - 6, height: y - top + 4 });
      y += 14;
    }
    const actuatorsHeight = y;
    const height = Math.max(buttonsHeight, actuatorsHeight, computes.length * 70 + 40) + 4;
    const cPos = new Map();
    computes.forEach((label, i) => cPos.set(label, (height / (computes.length + 1)) * (i + 1) - 20));

    const parts = [];
    const firing = buttons.some((b) => b.kind === "rule") ? "BUTTONS · RULES" : "BUTTONS";
    parts.push(`<text class="col-title" x="${bx}" y="16">${firing}</text>`,
               `<text class="col-title" x="${cx}" y="16">RELAYER · COMPUTE</text>`,
               `<text class="col-title" x="${ax}" y="16">ACTUATORS</text>`);
    for (const g of groupBoxes) {
      if (!g.label) continue;
      parts.push(`<rect class="group" x="${ax - 8}" y="${g.top}" width="${aw + 16}" height="${g.height}" rx="10"/>`,
                 `<text class="group-label" x="${ax}" y="${g.top + 18}">${esc(g.label)}</text>`);
    }
    const mid = (y0) => y0 + NODE_H / 2;
    for (const b of buttons) {
      const by = mid(bPos.get(b.id));
      const cy = cPos.get(computeLabel(b.topo.compute)) + 22;
      for (const t of b.targets) {
        if (!aPos.has(t)) continue;
        const ay = mid(aPos.get(t));
        const d = `M${bx + bw},${by} C${bx + bw + 60},${by} ${cx - 60},${cy} ${cx},${cy} L${cx + cw},${cy} C${cx + cw + 60},${cy} ${ax - 60},${ay} ${ax},${ay}`;
        parts.push(`<path class="wire" data-button="${esc(b.id)}" data-target="${esc(t)}" d="${d}"/>`);
      }
    }
    for (const label of computes) {
      const top = cPos.get(label);
      parts.push(`<g class="compute" data-compute="${esc(label)}"><title>${esc(label)}</title>` +
                 `<rect x="${cx}" y="${top}" width="${cw}" height="44" rx="8"/>` +
                 `<text class="name" x="${cx + 12}" y="${top + 18}">relayer</text>` +
                 `<text class="sub" x="${cx + 12}" y="${top + 34}">${esc(clip(label, 30))}</text>` +
                 `<text class="note" x="${cx}" y="${top + 60}"></text></g>`);
    }
    for (const b of buttons) {
      const top = bPos.get(b.id);
      if (b.kind === "rule") {
        // Not pressable: it fires when a reading crosses its threshold.
        const { reading, threshold: short } = ruleCondition(b.rule.on);
        const when = `${reading} ${short}`;
        const of = b.rule.on?.device ?? "any sensor";
        parts.push(`<g class="node rule-node" data-node="${esc(b.id)}" data-kind="rule">` +
                   `<title>${esc(`rule ${b.id}: when ${when} (${of}; watches ${b.sources.join(", ") || "no sensor"})\ntargets: ${b.targets.join(", ")}\ncompute: ${computeLabel(b.topo.compute)}`)}</title>` +
                   `<rect x="${bx}" y="${top}" width="${bw}" height="${NODE_H}" rx="4"/>` +
                   `<circle class="led" cx="${bx + 14}" cy="${top + NODE_H / 2}" r="4"/>` +
                   `<text class="name" x="${bx + 26}" y="${top + 17}">${esc(clip(b.id, Math.max(6, Math.floor((bw - 40 - short.length * 6.5) / 7.4))))}</text>` +
                   `<text class="sub" x="${bx + bw - 10}" y="${top + 17}" text-anchor="end">${esc(short)}</text></g>`);
        continue;
      }
      const route = routeFields(b.topo).join(" · ");
      const sub = clip(route || `→ ${b.targets.length}`, 14);
      const details = routeDetails(b.topo);
      const nameChars = Math.max(6, Math.floor((bw - 40 - sub.length * 6.5) / 7.4));
      parts.push(`<g class="node button-node" data-node="${esc(b.id)}" data-kind="button" tabindex="0" role="button" aria-label="press ${esc(b.id)}">` +
                 `<title>${esc(`${b.id}: click to press\ntargets: ${b.targets.join(", ")}\ncompute: ${computeLabel(b.topo.compute)}${details.length ? `\nroutes:\n  ${details.join("\n  ")}` : ""}`)}</title>` +
                 `<rect x="${bx}" y="${top}" width="${bw}" height="${NODE_H}" rx="13"/>` +
                 `<circle class="led" cx="${bx + 14}" cy="${top + NODE_H / 2}" r="4"/>` +
                 `<text class="name" x="${bx + 26}" y="${top + 17}">${esc(clip(b.id, nameChars))}</text>` +
                 `<text class="sub" x="${bx + bw - 10}" y="${top + 17}" text-anchor="end">${esc(sub)}</text></g>`);
    }
    for (const a of actuators) {
      const top = aPos.get(a.id);
      const attrs = Object.entries(a.topo.attrs ?? {}).map(([k, v]) => `${k}=${v}`).join(" ");
      parts.push(`<g class="node actuator-node" data-node="${esc(a.id)}" data-kind="actuator">` +
                 `<title>${esc(`${a.id}${attrs ? `\n${attrs}` : ""}${a.topo.key ? `\nkey: ${a.topo.key}` : ""}\nfrom: ${a.sources.join(", ")}`)}</title>` +
                 `<rect x="${ax}" y="${top}" width="${aw}" height="${NODE_H}" rx="6"/>` +
                 `<circle class="bulb" cx="${ax + 14}" cy="${top + NODE_H / 2}" r="6"/>` +
                 `<text class="name" x="${ax + 28}" y="${top + 17}">${esc(clip(a.id, Math.max(8, Math.floor((aw - 110) / 7.4))))}</text>` +
                 `<text class="sub" x="${ax + aw - 10}" y="${top + 17}" text-anchor="end"></text></g>`);
    }
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String(height));
    svg.setAttribute("class", "wiring");
    svg.innerHTML = parts.join("");
    this.els.box.replaceChildren(svg);

    this.#buttons.clear();
    this.#actuators.clear();
    this.#computes.clear();
    this.#wires.clear();
    this.#flashes.clear();
    this.#phases.clear();
    for (const g of svg.querySelectorAll(".button-node, .rule-node")) this.#buttons.set(g.dataset.node, { g });
    for (const g of svg.querySelectorAll(".actuator-node")) this.#actuators.set(g.dataset.node, { g, sub: g.querySelector(".sub"), rev: -1 });
    const noteChars = Math.floor(cw / 6.2);
    for (const g of svg.querySelectorAll(".compute")) this.#computes.set(g.dataset.compute, { g, note: g.querySelector(".note"), chars: noteChars });
    for (const path of svg.querySelectorAll(".wire")) {
      const list = this.#wires.get(path.dataset.button) ?? [];
      list.push({ path, target: path.dataset.target });
      this.#wires.set(path.dataset.button, list);
    }
  }

  // Per frame: actuator colours, button phases, wire animations. Only what changed is touched.
  #update() {
    for (const [id, node] of this.#actuators) {
      const r = this.store.byId.get(id);
      if (!r || node.rev === r.rev) continue;
      node.rev = r.rev;
      const on = r.state?.on ?? null;
      node.g.classList.toggle("on", on === true);
      node.g.classList.toggle("off", on === false);
      const latency = r.state ? hop(r.state.press_ts, r.state.applied_ts) : null;
      // A device that also senses shows its latest value (the wiring view's node is small).
      const reading = primaryReading(r.readings);
      const value = reading ? formatReading(reading.value, reading.unit) : "";
      node.sub.textContent = on === null ? value || (r.kind === "sensor" ? "no readings" : "no state")
        : `${on ? "on" : "off"}${value ? ` · ${value}` : latency !== null ? ` · ${formatMicros(latency)}` : ""}`;
      if (reading) node.g.dataset.reading = String(reading.value);
    }
    for (const [id, node] of this.#buttons) {
      const press = this.presses.byButton.get(id);
      const phase = press?.phase ?? "idle";
      if (this.#phases.get(id) === phase) continue;
      this.#phases.set(id, phase);
      node.g.dataset.phase = phase;
      const travelling = phase === "sending" || phase === "pending";
      for (const wire of this.#wires.get(id) ?? []) wire.path.classList.toggle("travel", travelling);
      if (phase === "applied") for (const wire of this.#wires.get(id) ?? []) this.#flash(wire.path, "applied", FLASH_MS);
    }
    const now = performance.now();
    let next = Infinity;
    for (const [el, f] of this.#flashes) {
      if (f.until <= now) {
        el.classList.remove(f.cls);
        if (f.cls === "failed") el.querySelector(".note").textContent = "";
        this.#flashes.delete(el);
      } else {
        next = Math.min(next, f.until);
      }
    }
    clearTimeout(this.#flashTimer);
    if (next !== Infinity) this.#flashTimer = setTimeout(() => this.frame.request(this), next - now + 5);
  }

  #flash(el, cls, ms) {
    const old = this.#flashes.get(el);
    if (old && old.cls !== cls) el.classList.remove(old.cls);
    el.classList.add(cls);
    this.#flashes.set(el, { cls, until: performance.now() + ms });
    this.frame.request(this);
  }

  #hover(node) {
    const svg = this.els.box.querySelector("svg");
    if (!svg) return;
    svg.classList.toggle("focused", node !== null);
    for (const el of svg.querySelectorAll(".hot")) el.classList.remove("hot");
    if (!node) return;
    node.classList.add("hot");
    const id = node.dataset.node;
    const firing = node.dataset.kind === "button" || node.dataset.kind === "rule";
    const rules = ruleRecords(this.store.topology).filter((r) => r.targets.includes(id)).map((r) => r.id);
    const buttons = firing ? [id] : [...(this.store.byId.get(id)?.sources ?? []), ...rules];
    for (const b of buttons) {
      this.#buttons.get(b)?.g.classList.add("hot");
      for (const wire of this.#wires.get(b) ?? []) {
        if (node.dataset.kind === "actuator" && wire.target !== id) continue;
        wire.path.classList.add("hot");
        this.#actuators.get(wire.target)?.g.classList.add("hot");
      }
    }
  }
}
