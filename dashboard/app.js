// Serverlessnet dashboard: a snapshot of the topology and every device's state over the
// WebSocket /ws, then coalesced deltas; buttons press through POST /api/devices/{id}/press.
// No polling: when the socket drops it reconnects with back-off and starts from a new snapshot.
// Message formats: docs/api.md.
"use strict";

const el = (id) => document.getElementById(id);
const view = {
  buttons: new Map(),    // id -> button element
  actuators: new Map(),  // id -> tile element
  pending: new Map(),    // press id -> button id (pressed here, result not seen yet)
  filter: "",
};

function formatMicros(us) {
  if (!(us > 0)) return "";
  return us < 1000 ? `${us} µs` : `${(us / 1000).toFixed(us < 10000 ? 2 : 0)} ms`;
}

function setConnection(connected, text) {
  const box = el("connection");
  box.classList.toggle("connected", connected);
  box.classList.toggle("disconnected", !connected);
  el("connection-text").textContent = text;
}

function renderHealth(health) {
  const box = el("health");
  box.replaceChildren();
  const chip = (name, online, stale, title) => {
    const span = document.createElement("span");
    span.className = "service" + (online ? " online" : "") + (stale ? " stale" : "");
    span.textContent = name;
    span.title = title;
    box.append(span);
  };
  if (!health) return;
  chip("broker", health.broker && health.broker.connected, false, health.broker ? health.broker.url : "");
  chip("store", health.store && health.store.ok, false, health.store ? health.store.error : "");
  for (const [name, s] of Object.entries(health.services || {})) {
    const seen = s.last_seen ? new Date(s.last_seen / 1000).toLocaleTimeString() : "never";
    chip(name, s.online, s.stale, `${s.online ? "online" : "offline"}, last seen ${seen}`);
  }
}

function renderActuator(tile, d) {
  tile.classList.toggle("on", d.on === true);
  tile.classList.toggle("off", d.on === false);
  tile.classList.toggle("unknown", d.on === null || d.on === undefined);
  const detail = tile.querySelector("small");
  if (d.on === null || d.on === undefined) {
    detail.textContent = "no state yet";
  } else {
    const latency = d.press_ts > 0 && d.applied_ts > 0 ? formatMicros(d.applied_ts - d.press_ts) : "";
    detail.textContent = (d.on ? "on" : "off") + (latency ? ` · ${latency}` : "");
  }
  tile.title = d.press_id ? `press ${d.press_id} from ${d.button || "?"}` : d.id;
}

function makeButton(d) {
  const b = document.createElement("button");
  b.className = "press";
  b.dataset.id = d.id;
  const name = document.createElement("span");
  name.textContent = d.id;
  const small = document.createElement("small");
  small.textContent = "→ " + (d.targets || []).join(", ");
  b.append(name, small);
  b.addEventListener("click", () => press(d.id, b));
  return b;
}

function makeActuator(d) {
  const tile = document.createElement("div");
  tile.className = "actuator";
  tile.dataset.id = d.id;
  const name = document.createElement("div");
  name.className = "id";
  name.textContent = d.id;
  tile.append(name, document.createElement("small"));
  renderActuator(tile, d);
  return tile;
}

function applyFilter() {
  const f = view.filter;
  for (const map of [view.buttons, view.actuators]) {
    for (const [id, node] of map) node.classList.toggle("hidden", f !== "" && !id.includes(f));
  }
}

function renderSnapshot(msg) {
  el("topology-name").textContent = msg.topology ? `· ${msg.topology.name}` : "";
  const buttons = document.createDocumentFragment();
  const actuators = document.createDocumentFragment();
  view.buttons.clear();
  view.actuators.clear();
  for (const d of msg.devices) {
    if (d.kind === "button") {
      const b = makeButton(d);
      view.buttons.set(d.id, b);
      buttons.append(b);
    } else {
      const t = makeActuator(d);
      view.actuators.set(d.id, t);
      actuators.append(t);
    }
  }
  el("buttons").replaceChildren(buttons);
  el("actuators").replaceChildren(actuators);
  el("counts").textContent = `${view.buttons.size} buttons, ${view.actuators.size} actuators`;
  renderHealth(msg.health);
  applyFilter();
}

function settlePress(pressId, failed, reason) {
  const buttonId = view.pending.get(pressId);
  if (buttonId === undefined) return;
  view.pending.delete(pressId);
  const b = view.buttons.get(buttonId);
  if (!b) return;
  b.classList.remove("pending");
  b.classList.toggle("failed", failed);
  b.title = failed ? `last press failed: ${reason}` : "";
}

function renderStates(items) {
  for (const d of items) {
    const tile = view.actuators.get(d.id);
    if (tile) renderActuator(tile, d);
    if (d.press_id) settlePress(d.press_id, false, "");
  }
}

function renderErrors(items) {
  const list = el("errors");
  for (const e of items) {
    const li = document.createElement("li");
    const when = e.error_ts ? new Date(e.error_ts / 1000).toLocaleTimeString() : "";
    li.textContent = `${when} ${e.button}: ${e.error}` + (e.press_id ? ` (press ${e.press_id})` : "");
    list.prepend(li);
    if (e.press_id) settlePress(e.press_id, true, e.error);
  }
  while (list.childElementCount > 100) list.lastElementChild.remove();
}

async function press(id, button) {
  button.classList.add("pending");
  button.classList.remove("failed");
  try {
    const res = await fetch(`/api/devices/${encodeURIComponent(id)}/press`, { method: "POST" });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
    view.pending.set(body.press_id, id);
  } catch (err) {
    button.classList.remove("pending");
    button.classList.add("failed");
    button.title = `press failed: ${err.message}`;
  }
}

function connect(attempt = 0) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/ws`);
  let opened = false;
  ws.onopen = () => {
    opened = true;
    setConnection(true, "connected");
  };
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    switch (msg.type) {
      case "snapshot": renderSnapshot(msg); break;
      case "states": renderStates(msg.items); break;
      case "errors": renderErrors(msg.items); break;
      case "health": renderHealth(msg.health); break;
      default: break;  // newer servers may send more kinds
    }
  };
  ws.onclose = () => {
    const next = opened ? 0 : attempt + 1;
    const delay = Math.min(5000, 250 * 2 ** Math.min(next, 5));
    setConnection(false, `disconnected, reconnecting in ${(delay / 1000).toFixed(1)} s`);
    setTimeout(() => connect(next), delay);
  };
}

el("filter").addEventListener("input", (e) => {
  view.filter = e.target.value.trim();
  applyFilter();
});
connect();
