// Live control (docs/api.md, "Control"): the supervised services with their state, restart
// count and kill / restart / pause|resume / stop|start buttons (GET /api/services, refreshed
// when a fault or health message arrives, else every few seconds), a fault menu per device
// (offline, online, crash, freeze) and the reconnect storm. The result of the last action (or
// the API's error text) is shown next to the services. Only a state service started by
// `snet up` has a supervisor (health.supervisor); without one there are no service controls.

import { PressGuard } from "./press_guard.js";
import { withToken } from "./session.js";

const FALLBACK_REFRESH_MS = 5000;
const EVENT_REFRESH_MS = 400;  // events come in bursts: one refresh per burst
export const DEVICE_VERBS = ["offline", "online", "crash", "freeze"];

/** POSTs to the control API; resolves to {ok, body} with the API's error text on failure. */
async function post(path, body) {
  try {
    const res = await fetch(path, {
      method: "POST",
      headers: withToken(body ? { "Content-Type": "application/json" } : {}),
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json().catch(() => ({}));
    return { ok: res.ok, body: json, error: json.error ?? `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, body: {}, error: String(err) };
  }
}

function verbsFor(service) {
  const verbs = ["kill", "restart"];
  verbs.push(service.state === "paused" ? "resume" : "pause");
  // The state service cannot stop itself (nothing would start it again): no stop button.
  if (service.name !== "state") verbs.push(service.state === "stopped" ? "start" : "stop");
  return verbs;
}

export class ControlPanel {
  #services = [];
  #available = false;
  unavailable = "";  // why there are no service controls (the API's words)
  #pending = 0;
  #menuFor = "";
  #said = false;  // an action's result is showing
  #supervised = null;  // health.supervisor is set: GET /api/services has something to say
  #press;

  /** els: {services (container), status (text), storm (button), kind (select), menu (element)} */
  constructor(els, frame) {
    this.els = els;
    this.frame = frame;
    this.#press = new PressGuard(els.services, () => this.frame.request(this));
    els.services.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-verb]");
      if (button) this.serviceAction(button.dataset.service, button.dataset.verb);
    });
    els.storm.addEventListener("click", () => this.storm());
    els.menu.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-verb]");
      if (!button) return;
      this.deviceAction(this.#menuFor, button.dataset.verb);
      this.closeMenu();
    });
    document.addEventListener("click", (event) => {
      if (!els.menu.hidden && !event.target.closest(".device-menu, .tile-menu")) this.closeMenu();
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.closeMenu();
    });
    setInterval(() => this.#supervised && this.refresh(), FALLBACK_REFRESH_MS);
  }

  /** The health object: whether there is a supervisor (else there are no services to show). */
  health(health) {
    const supervised = Boolean(health?.supervisor);
    if (supervised === this.#supervised) return;
    this.#supervised = supervised;
    if (supervised) this.refresh();
    else {
      this.#available = false;
      this.#services = [];
      this.frame.request(this);
    }
  }

  /** A fault or health message arrived: the services probably changed. */
  changed() {
    if (this.#pending || !this.#supervised) return;
    this.#pending = setTimeout(() => {
      this.#pending = 0;
      this.refresh();
    }, EVENT_REFRESH_MS);
  }

  async refresh() {
    try {
      const res = await fetch("/api/services");
      const body = await res.json().catch(() => ({}));
      this.#available = res.ok;
      this.#services = res.ok ? body.services ?? [] : [];
      this.unavailable = res.ok ? "" : body.error ?? `HTTP ${res.status}`;
    } catch {
      this.#available = false;
      this.#services = [];
    }
    this.frame.request(this);
  }

  async serviceAction(name, verb) {
    this.#say(`${verb} ${name}…`);
    const r = await post(`/api/services/${encodeURIComponent(name)}/${verb}`);
    this.#say(r.ok ? `${verb} ${name}: ${r.body.service?.state ?? "done"}` : `${verb} ${name}: ${r.error}`, !r.ok);
    this.refresh();
  }

  async deviceAction(id, verb) {
    this.#say(`${verb} ${id}…`);
    const r = await post(`/api/devices/${encodeURIComponent(id)}/${verb}`);
    this.#say(r.ok ? `${verb} sent to ${id}` : `${verb} ${id}: ${r.error}`, !r.ok);
  }

  async storm() {
    const kind = this.els.kind.value;
    const body = kind === "all" ? { devices: "*" } : { kind };
    this.#say("reconnect storm…");
    const r = await post("/api/faults/storm", body);
    this.#say(r.ok ? `reconnect storm: ${r.body.devices} devices` : `storm: ${r.error}`, !r.ok);
  }

  /** Opens the fault menu of a device next to `anchor`. */
  openMenu(id, anchor) {
    const menu = this.els.menu;
    this.#menuFor = id;
    menu.querySelector(".menu-title").textContent = id;
    const box = anchor.getBoundingClientRect();
    menu.style.left = `${Math.round(box.left + window.scrollX)}px`;
    menu.style.top = `${Math.round(box.bottom + window.scrollY + 4)}px`;
    menu.hidden = false;
    menu.dataset.device = id;
  }

  closeMenu() {
    this.els.menu.hidden = true;
    this.#menuFor = "";
  }

  #say(text, bad = false) {
    this.#said = true;
    this.els.status.title = "";
    this.els.status.textContent = text;
    this.els.status.classList.toggle("bad", bad);
  }

  render() {
    if (this.#press.held) return;  // redrawn once released
    const box = this.els.services;
    box.hidden = !this.#available;
    if (!this.#said) {
      this.els.status.textContent = this.#available ? ""
        : this.#supervised ? `services: ${this.unavailable}` : "no service controls: not started by `snet up`";
    }
    box.replaceChildren(...this.#services.map((s) => {
      const el = document.createElement("span");
      el.className = `chip supervised ${s.state === "running" ? "ok" : s.state === "paused" || s.state === "starting" ? "stale" : "down"}`;
      el.dataset.service = s.name;
      el.dataset.state = s.state;
      el.title = `${s.name}: ${s.state}, pid ${s.pid ?? "-"}, ${s.restarts} restarts` +
                 (s.last_exit ? `\nlast exit: ${s.last_exit}` : "");
      const dot = document.createElement("span");
      dot.className = "dot";
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = s.name;
      const detail = document.createElement("span");
      detail.className = "detail";
      detail.textContent = `${s.state}${s.restarts ? ` · ↻${s.restarts}` : ""}`;
      el.append(dot, name, detail);
      for (const verb of verbsFor(s)) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = `ctl ${verb}`;
        b.dataset.service = s.name;
        b.dataset.verb = verb;
        b.textContent = verb;
        b.setAttribute("aria-label", `${verb} ${s.name}`);
        el.append(b);
      }
      return el;
    }));
  }
}
