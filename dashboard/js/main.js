// Serverlessnet dashboard: wires the model (store, press log, latency stats), the live
// connection and the views together. Messages update the model at once; views render at most
// once per animation frame (frame.js). Message formats: docs/api.md.
import { ControlPanel } from "./control.js";
import { DeviceGrid } from "./device_grid.js";
import { EventLog } from "./event_log.js";
import { FrameScheduler } from "./frame.js";
import { HealthView } from "./health.js";
import { LatencyChart, LatencyStats } from "./latency.js";
import { LinkModel } from "./links.js";
import { LiveConnection } from "./live.js";
import { PressLog } from "./press_log.js";
import { PressTracker } from "./presses.js";
import { loadSession } from "./session.js";
import { ScenarioPanel, faultWindows } from "./scenario.js";
import { SiteView } from "./site_view.js";
import { DeviceStore } from "./store.js";
import { TopologyView } from "./topology_view.js";

const $ = (id) => document.getElementById(id);
const HISTORY_LIMIT = 500;
const LINKS_REFETCH_MS = 300;
const MAX_LINK_CHOICES = 2000;  // link faults come in bursts: one GET /api/links per burst

loadSession();  // the token presses and control need on a server reachable from elsewhere
const frame = new FrameScheduler();
const store = new DeviceStore();
const log = new PressLog(store);
const stats = new LatencyStats();
const network = new LinkModel();

const views = {};
const presses = new PressTracker(store, () => {
  views.grid.invalidate();
  views.wiring.invalidate();
});
const actions = {
  press: (id) => presses.press(id),
  inspect: (id) => {
    views.log.setFilter(id, true);
    loadHistory(id);
  },
  faultMenu: (id, anchor) => views.control.openMenu(id, anchor),
};

views.grid = new DeviceGrid(
  { viewport: $("devices"), search: $("device-search"), kind: $("device-kind"), count: $("device-count"), empty: $("devices-empty") },
  store, presses, frame, actions);
views.wiring = new TopologyView(
  { box: $("wiring"), summary: $("wiring-summary"), meta: $("wiring-meta") },
  store, presses, frame, actions, () => views.grid.query);
views.log = new EventLog(
  { viewport: $("log"), filter: $("log-filter"), clear: $("log-clear"), count: $("log-count"), empty: $("log-empty") },
  log, frame, (device) => loadHistory(device));
views.chart = new LatencyChart(
  { canvas: $("latency-chart"), metric: $("latency-metric"), summary: $("latency-summary") }, stats, frame);
views.health = new HealthView({
  chips: $("health"),
  counters: { presses: $("count-presses"), applied: $("count-applied"), errors: $("count-errors"), rejected: $("count-rejected") },
  rates: { presses: $("rate-presses"), applied: $("rate-applied"), errors: $("rate-errors"), rejected: $("rate-rejected") },
}, store, frame);

views.control = new ControlPanel(
  { services: $("supervised"), status: $("control-status"), storm: $("storm"), kind: $("device-kind"), menu: $("device-menu") },
  frame);

views.scenario = new ScenarioPanel({
  card: $("scenario"), name: $("scenario-name"), state: $("scenario-state"), description: $("scenario-description"),
  bar: $("scenario-bar"), time: $("scenario-time"), phase: $("scenario-phase"), timeline: $("scenario-timeline"),
  counts: $("scenario-counts"),
}, frame);

/** A scenario's status (snapshot or `scenario` message): the panel and the chart's windows. */
function showScenario(status) {
  views.scenario.update(status);
  views.chart.setWindows(faultWindows(status));
}

views.sites = new SiteView(
  { box: $("network"), meta: $("network-meta"), form: $("link-form"), status: $("network-status"), refresh: $("network-refresh") },
  network, frame);

/** Engines and traffic are not pushed: re-read them after a snapshot or a link fault. */
let linksRefetch = 0;
function refetchLinks(delay = 0) {
  if (linksRefetch) return;
  linksRefetch = setTimeout(async () => {
    linksRefetch = 0;
    if (await network.fetch()) {
      // The form's choices: every link up to a size a browser's datalist handles well.
      const ids = network.order.slice(0, MAX_LINK_CHOICES);
      $("link-ids").replaceChildren(...ids.map((id) => Object.assign(document.createElement("option"), { value: id })));
      views.sites.invalidate();
    }
  }, delay);
}

$("network-refresh").addEventListener("click", () => refetchLinks());
$("device-search").addEventListener("input", () => views.wiring.rebuild());
document.addEventListener("keydown", (event) => {
  if (event.key === "/" && !["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName)) {
    event.preventDefault();
    $("device-search").focus();
  }
});

/** Fills the log from the history: everything, or one device's records. */
async function loadHistory(device = "") {
  if (device && !store.byId.has(device)) return;  // a partial id: the log filters what it has
  const query = `limit=${HISTORY_LIMIT}${device ? `&device=${encodeURIComponent(device)}` : ""}`;
  try {
    const res = await fetch(`/api/events?${query}`);
    if (!res.ok) return;
    const body = await res.json();
    log.addHistory(body.events ?? []);
    for (const e of body.events ?? []) if (e.kind === "fault") views.chart.addFault(e);
    views.log.invalidate();
  } catch {
    // Disconnected: the next snapshot loads it again.
  }
}

function showTopology(topology) {
  $("topology-name").textContent = topology?.name ?? "";
  $("topology-description").textContent = topology?.description ?? "";
  document.title = topology?.name ? `${topology.name} · Serverlessnet` : "Serverlessnet";
}

const connection = $("connection");
const live = new LiveConnection(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`, {
  snapshot(msg) {
    store.load(msg.topology ?? { devices: [] }, msg.devices ?? []);
    showTopology(msg.topology);
    $("device-kind").querySelector('option[value="sensor"]').hidden = store.sensorCount === 0;
    views.grid.refilter();
    views.wiring.rebuild();
    views.health.update(msg.health);
    views.control.health(msg.health);
    views.log.invalidate();
    showScenario(msg.scenario ?? null);
    connection.dataset.connects = String(live.connects);
    loadHistory(log.filter);
    refetchLinks();
  },
  states(items) {
    for (const item of items) {
      const applied = store.apply(item);
      if (!applied?.fresh) continue;
      presses.onState(item);
      log.addState(item);
      stats.add(item);
      views.wiring.stateArrived(item);
    }
    views.grid.invalidate();
    views.wiring.invalidate();
    views.log.invalidate();
    views.chart.invalidate();
  },
  errors(msg) {
    for (const record of msg.items ?? []) {
      presses.onError(record);
      log.addError(record);
      views.wiring.errorArrived(record);
    }
    if (msg.omitted > 0) console.warn(`${msg.omitted} press errors not sent live; GET /api/events has them`);
    views.log.invalidate();
  },
  faults(items) {
    for (const fault of items) {
      log.addFault(fault);
      views.chart.addFault(fault);
      if (fault.target_kind === "link") refetchLinks(LINKS_REFETCH_MS);
    }
    views.log.invalidate();
    views.control.changed();
  },
  readings(msg) {
    if (store.applyReadings(msg.items ?? []) > 0) {
      views.grid.invalidate();
      views.wiring.invalidate();
    }
  },
  links(items) {
    if (network.apply(items)) views.sites.invalidate();
  },
  scenario(status) {
    showScenario(status);
  },
  health(health) {
    views.health.update(health);
    views.control.health(health);
    views.control.changed();
  },
  status(state, text) {
    connection.dataset.state = state;
    $("connection-text").textContent = text;
    views.health.setConnected(state === "connected");
  },
});

// For people poking at the page from the console (and the bench): the live model.
window.snet = { store, log, stats, presses, live, network, chart: views.chart, control: views.control, scenario: views.scenario, sites: views.sites };
