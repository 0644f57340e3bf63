// Service health (broker, state service, relayer, compute, agents) and the counters (presses,
// applied, errors, rejected), both from the state service's health object: each service's
// retained status carries its own metrics (docs/api.md, "Health object").
import { formatCount } from "./format.js";

/** Sum of a service's metric over all its label sets ("name" and "name{...}" keys). */
export function metricSum(service, name) {
  if (!service?.metrics) return null;
  let sum = null;
  for (const [key, value] of Object.entries(service.metrics)) {
    if (typeof value !== "number") continue;
    if (key === name || key.startsWith(`${name}{`)) sum = (sum ?? 0) + value;
  }
  return sum;
}

/** Every `*_rejected_total` series of every service: [["relayer", 'reason="x"', n]...]. */
function rejectedSeries(services) {
  const out = [];
  for (const [service, s] of Object.entries(services ?? {})) {
    for (const [key, value] of Object.entries(s.metrics ?? {})) {
      const name = key.split("{")[0];
      if (name.endsWith("_rejected_total") && typeof value === "number" && value > 0) {
        out.push([service, key.slice(name.length), value]);
      }
    }
  }
  return out;
}

function serviceState(s) {
  if (!s) return "unknown";
  if (!s.online) return "down";
  return s.stale ? "stale" : "ok";
}

/** The instances of a role (`relayer`, `relayer-2`, `agent-x`...), which share one chip. */
function instancesOf(services, role) {
  const pattern = new RegExp(`^${role}([-_].*)?$`);
  return Object.entries(services).filter(([name]) => pattern.test(name)).map(([, s]) => s);
}

/** A metric summed over several services; null when none reports it. */
function sumOver(list, name) {
  return list.reduce((total, s) => {
    const v = metricSum(s, name);
    return v === null ? total : (total ?? 0) + v;
  }, null);
}

/** One state for a group of instances: down if any is down, else stale if any is. */
function groupState(list) {
  if (list.length === 0) return "unknown";
  const states = list.map(serviceState);
  return states.includes("down") ? "down" : states.includes("stale") ? "stale" : "ok";
}

export class HealthView {
  #health = null;
  #connected = false;
  #previous = new Map();  // counter -> {value, at}

  /** els: {chips, counters: {presses, applied, errors, rejected}, rates: {...}} */
  constructor(els, store, frame) {
    this.els = els;
    this.store = store;
    this.frame = frame;
  }

  update(health) {
    this.#health = health;
    this.frame.request(this);
  }

  setConnected(connected) {
    this.#connected = connected;
    this.frame.request(this);
  }

  render() {
    const h = this.#health;
    const live = this.#connected && h;
    const services = live ? h.services ?? {} : {};
    const chips = [];
    const chip = (name, state, detail, title) => chips.push({ name, state, detail, title });

    chip("broker", !live ? "unknown" : h.broker?.connected ? "ok" : "down",
         !live ? "" : h.broker?.connected ? "connected" : "unreachable",
         live ? `${h.broker?.url} (as seen by the state service)` : "not known while disconnected");
    const self = services.state;
    const stateOk = this.#connected && h?.store?.ok !== false;
    chip("state", !this.#connected ? "down" : stateOk ? (self?.stale ? "stale" : "ok") : "down",
         !this.#connected ? "disconnected" : h?.store?.ok === false ? "store error" : "SQLite ok",
         h?.store?.error || "state service: SQLite store, REST, WebSocket");
    // Several relayers (snet up --relayers N) share the presses: one chip for all of them.
    const relayers = instancesOf(services, "relayer");
    const relayersState = live ? groupState(relayers) : "unknown";
    chip(relayers.length > 1 ? "relayers" : "relayer", relayersState,
         relayers.length ? `${formatCount(sumOver(relayers, "snet_relayer_in_flight"))} in flight` +
                           (relayers.length > 1 ? ` in ${relayers.length}` : "") : "",
         relayers.length === 1 ? this.#seen(relayers[0]) : relayers.length ? `${relayers.length} relayers` : "no status yet");
    const backends = this.#backends();
    for (const backend of backends) {
      const name = backends.size > 1 ? `compute ${backend}` : "compute";
      if (backend === "builtin") {
        chip(name, relayersState, "builtin, in the relayer",
             "builtin actions run inside snet-relayer");
      } else {
        const whisk = services.whisk;
        const inFlight = sumOver(relayers, "snet_openwhisk_in_flight");
        chip(name, live ? (whisk ? serviceState(whisk) : relayers.length ? "ok" : "unknown") : "unknown",
             `${backend}${inFlight !== null ? `, ${formatCount(inFlight)} in flight` : ""}`,
             whisk ? `snet-whisk: ${this.#seen(whisk)}` : `${backend}: an external service (no status of its own)`);
      }
    }
    // One agent hosts many devices; compose can run several (SNET_AGENT_NAME agent-<x>): one chip.
    const agents = instancesOf(services, "agent");
    const sum = (name) => agents.reduce((total, a) => total + (metricSum(a, name) ?? 0), 0);
    const states = agents.map(serviceState);
    const agentsState = !live || agents.length === 0 ? "unknown"
      : states.includes("down") ? "down" : states.includes("stale") ? "stale" : "ok";
    const down = states.filter((st) => st === "down").length;
    chip("agents", agentsState,
         agents.length ? `${formatCount(sum("snet_agent_devices_connected"))}/${formatCount(sum("snet_agent_devices"))} devices` +
                         (agents.length > 1 ? ` in ${agents.length} agents` : "") + (down ? `, ${down} down` : "") : "",
         agents.length === 1 ? this.#seen(agents[0]) : agents.length ? `${agents.length} agents` : "no status yet");
    const shown = new Set(["state", "relayer"]);
    if (this.#backends().has("openwhisk")) shown.add("whisk");
    for (const [name, s] of Object.entries(services)) {
      if (!shown.has(name) && !/^(agent|relayer)([-_].*)?$/.test(name)) chip(name, serviceState(s), "", this.#seen(s));
    }
    this.#renderChips(chips);

    const counters = {
      presses: sumOver(relayers, "snet_relayer_presses_total"),
      applied: agents.length ? sum("snet_agent_commands_applied_total") : null,
      errors: sumOver(relayers, "snet_relayer_press_errors_total"),
      rejected: null,
    };
    const rejected = rejectedSeries(services);
    if (Object.keys(services).length) counters.rejected = rejected.reduce((total, [, , n]) => total + n, 0);
    for (const [name, value] of Object.entries(counters)) {
      this.els.counters[name].textContent = formatCount(value);
      this.els.rates[name].textContent = this.#rate(name, value);
    }
    this.els.counters.rejected.parentElement.title = rejected.length
      ? rejected.map(([service, labels, n]) => `${service} ${labels}: ${n}`).join("\n")
      : "messages rejected by any service (malformed, oversized, unknown device...)";
  }

  #backends() {
    const set = new Set();
    for (const d of this.store.topology?.devices ?? []) if (d.compute) set.add(d.compute.backend);
    if (set.size === 0 && this.store.topology?.compute) set.add(this.store.topology.compute.backend);
    if (set.size === 0) set.add("builtin");
    return set;
  }

  #seen(s) {
    const when = s.last_seen ? new Date(s.last_seen / 1000).toLocaleTimeString() : "never";
    return `${s.online ? "online" : "offline"}${s.stale ? " (stale)" : ""}, last status ${when}`;
  }

  #rate(name, value) {
    if (value === null) return "";
    const now = performance.now();
    const prev = this.#previous.get(name);
    if (!prev || value < prev.value) {
      this.#previous.set(name, { value, at: now, text: "" });
      return "";
    }
    if (now - prev.at < 1500) return prev.text;
    const perSecond = ((value - prev.value) * 1000) / (now - prev.at);
    const text = `${perSecond >= 10 ? formatCount(perSecond) : perSecond.toFixed(1)}/s`;
    this.#previous.set(name, { value, at: now, text });
    return text;
  }

  #renderChips(chips) {
    const box = this.els.chips;
    while (box.children.length > chips.length) box.lastElementChild.remove();
    chips.forEach((c, i) => {
      let el = box.children[i];
      if (!el) {
        el = document.createElement("span");
        el.innerHTML = '<span class="dot"></span><span class="name"></span><span class="detail"></span>';
        box.append(el);
      }
      el.className = `chip ${c.state}`;
      el.dataset.service = c.name;
      el.dataset.state = c.state;
      el.title = c.title;
      el.querySelector(".name").textContent = c.name;
      el.querySelector(".detail").textContent = c.detail;
    });
  }
}
