// The site view: the emulated network as nested boxes. The core (broker and services) is the
// root; each site is a box inside its parent, holding its devices; each link is drawn as the
// edge into its site or device, labelled with its effective spec (latency, loss, rate), drawn
// broken and red when cut. Clicking an edge cuts or restores that link (PUT /api/links/{id});
// clicking a site's or device's name picks it for the form below, which sets latency, jitter,
// loss and rate. Devices whose presence is offline are drawn unreachable; devices behind a cut
// link are drawn partitioned. Redrawn when the model's revision changes (feed items, fetches).
import { formatCount } from "./format.js";
import { isUp, linkLabel, putLink } from "./links.js";
import { PressGuard } from "./press_guard.js";

const MAX_DEVICES_PER_SITE = 24;
const FIELDS = ["latency_ms", "jitter_ms", "loss_pct", "rate_kbit"];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function bytes(n) {
  if (!(n > 0)) return "0 B";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${i ? n.toFixed(n < 10 ? 1 : 0) : n} ${units[i]}`;
}

/** The tooltip of a link's edge: spec, file spec, engines, traffic, what a click does. */
export function linkTitle(link) {
  const lines = [`${link.id}: ${linkLabel(link.spec)}`];
  if (link.changed) lines.push(`file: ${linkLabel(link.file)}`);
  const engines = Object.entries(link.engines ?? {}).map(([p, e]) => `${p} ${e}`);
  lines.push(`engines: ${engines.length ? engines.join(", ") : "none reported"}`);
  const t = link.traffic;
  if (t) {
    lines.push(`traffic: up ${bytes(t.bytes_up)} / ${formatCount(t.packets_up)} pkts, down ${bytes(t.bytes_down)} / ${formatCount(t.packets_down)} pkts` +
               (t.dropped ? `, ${formatCount(t.dropped)} dropped` : "") + (t.connections ? `, ${t.connections} conn` : ""));
  }
  lines.push(isUp(link.spec) ? "click: cut this link" : "click: restore this link");
  return lines.join("\n");
}

export class SiteView {
  #drawn = -1;
  #selected = "";
  #press;

  /** els: {box, meta, form, status, refresh}; model: LinkModel */
  constructor(els, model, frame) {
    this.els = els;
    this.model = model;
    this.frame = frame;
    this.#press = new PressGuard(els.box, () => this.invalidate());
    els.box.addEventListener("click", (event) => {
      const edge = event.target.closest("[data-edge]");
      if (edge) return this.toggle(edge.dataset.edge);
      const pick = event.target.closest("[data-select]");
      if (pick) this.select(pick.dataset.select);
    });
    els.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.applyForm();
    });
    els.form.elements.link.addEventListener("change", () => this.select(els.form.elements.link.value));
    els.form.querySelector("[data-toggle]").addEventListener("click", () => this.#selected && this.toggle(this.#selected));
  }

  invalidate() {
    this.frame.request(this);
  }

  /** Cuts a link that is up, restores one that is cut. */
  async toggle(id) {
    const link = this.model.links.get(id);
    if (!link) return;
    const up = !isUp(link.spec);
    this.#say(`${up ? "restoring" : "cutting"} ${id}…`);
    const r = await putLink(id, { up });
    this.#done(id, r);
  }

  select(id) {
    const link = this.model.links.get(id);
    if (!link) {
      this.#say(`no link '${id}'`, true);
      return;
    }
    this.#selected = id;
    this.els.form.elements.link.blur();
    this.#drawn = -1;  // the selection is drawn (and the form filled) in the next render
    this.invalidate();
  }

  /** PUTs the form's four numbers; an emptied field goes back to its ideal default (null). */
  async applyForm() {
    const id = this.#selected;
    if (!id) return;
    const patch = {};
    for (const field of FIELDS) {
      const text = this.els.form.elements[field].value.trim();
      patch[field] = text === "" ? null : Number(text);
    }
    this.#say(`setting ${id}…`);
    this.#done(id, await putLink(id, patch));
  }

  #done(id, r) {
    if (!r.ok) return this.#say(`${id}: ${r.error}`, true);
    // The drawing follows the feed's `links` item, pushed before this answer was sent.
    this.#say(`${id}: ${r.body.detail}`);
  }

  #say(text, bad = false) {
    this.els.status.textContent = text;
    this.els.status.classList.toggle("bad", bad);
  }

  render() {
    const model = this.model;
    if (this.#press.held || this.#drawn === model.rev) return;
    this.#drawn = model.rev;
    const box = this.els.box;
    if (!model.loaded) return;
    this.els.form.hidden = !model.emulated;
    this.els.refresh.hidden = !model.emulated;
    if (!model.emulated) {
      this.els.meta.textContent = "";
      const text = el("p", "net-hint");
      text.textContent = "This topology does not emulate a network: every device talks to the broker over an " +
                         "ideal loopback. Give the topology \"sites\" (or a device a \"link\") in its file " +
                         "(topology/README.md) and start it again to get sites, links and their controls here.";
      box.replaceChildren(text);
      return;
    }
    this.#refreshForm();
    const sites = model.sites();
    const links = [...model.links.values()];
    const cut = links.filter((l) => !isUp(l.spec)).length;
    const offline = links.filter((l) => l.online === false).length;
    this.els.meta.textContent = `${sites.length} sites · ${links.length - sites.length} devices` +
      (cut ? ` · ${cut} cut` : "") + (offline ? ` · ${offline} unreachable` : "");

    const core = el("div", "net-core");
    core.append(el("div", "net-core-head", "core · broker + services"));
    const children = el("div", "net-children");
    for (const site of sites.filter((s) => !s.parent)) children.append(this.#siteBranch(site));
    const onCore = links.filter((l) => l.kind === "device" && !l.parent);
    if (onCore.length) children.append(this.#devices(onCore, "net-devices on-core"));
    core.append(children);
    const notes = model.notes.map((n) => el("p", "net-note muted", `${n.reporter}: ${n.note}`));
    box.replaceChildren(core, ...notes);
  }

  // The picked link's numbers and state, unless someone is typing in the form.
  #refreshForm() {
    const link = this.model.links.get(this.#selected);
    const form = this.els.form;
    const typing = document.activeElement?.tagName === "INPUT" && form.contains(document.activeElement);
    if (!link || typing) return;
    form.elements.link.value = link.id;
    for (const field of FIELDS) form.elements[field].value = link.spec?.[field] ?? "";
    form.querySelector("[data-toggle]").textContent = isUp(link.spec) ? "cut" : "restore";
  }

  #edge(link, mini = false) {
    const up = isUp(link.spec);
    const edge = el("button", `net-edge${mini ? " mini" : ""}${up ? "" : " cut"}${link.changed ? " changed" : ""}`);
    edge.type = "button";
    edge.dataset.edge = link.id;
    edge.dataset.up = String(up);
    edge.title = linkTitle(link);
    edge.setAttribute("aria-label", `${up ? "cut" : "restore"} link ${link.id} (${linkLabel(link.spec)})`);
    const label = linkLabel(link.spec);
    if (!mini || label !== "ideal") edge.append(el("span", "net-edge-label", label));
    return edge;
  }

  #siteBranch(site) {
    const branch = el("div", "net-branch");
    branch.dataset.site = site.id;
    const box = el("div", `net-site${isUp(site.spec) ? "" : " cut"}${this.#selected === site.id ? " selected" : ""}`);
    const head = el("div", "net-site-head");
    const name = el("button", "net-name", site.id);
    name.type = "button";
    name.dataset.select = site.id;
    name.title = `set ${site.id}'s link`;
    head.append(name);
    if (site.description) head.append(el("span", "net-site-note muted", site.description));
    const devices = (site.devices ?? []).map((id) => this.model.links.get(id)).filter(Boolean);
    const unreachable = devices.filter((d) => d.online === false).length;
    if (devices.length > 0) {
      head.append(el("span", `net-site-note${unreachable ? " bad" : " muted"}`,
                     `${formatCount(devices.length)} device${devices.length === 1 ? "" : "s"}${unreachable ? ` · ${formatCount(unreachable)} unreachable` : ""}`));
    }
    box.append(head);
    if (devices.length) box.append(this.#devices(devices, "net-devices"));
    const kids = (site.sites ?? []).map((id) => this.model.links.get(id)).filter(Boolean);
    if (kids.length) {
      const nested = el("div", "net-children");
      for (const kid of kids) nested.append(this.#siteBranch(kid));
      box.append(nested);
    }
    branch.append(this.#edge(site), box);
    return branch;
  }

  #devices(devices, className) {
    const row = el("div", className);
    for (const d of devices.slice(0, MAX_DEVICES_PER_SITE)) {
      const unreachable = d.online === false;
      const partitioned = this.model.behindCut(d.id);
      const chip = el("span", `net-device ${d.device_kind ?? ""}${unreachable ? " unreachable" : ""}` +
                              `${partitioned ? " partitioned" : ""}${this.#selected === d.id ? " selected" : ""}`);
      chip.dataset.device = d.id;
      chip.dataset.online = String(d.online);
      chip.title = unreachable ? `${d.id}: unreachable (its presence is offline)`
        : partitioned ? `${d.id}: behind a cut link` : d.id;
      const name = el("button", "net-name", d.id);
      name.type = "button";
      name.dataset.select = d.id;
      chip.append(this.#edge(d, true), name);
      row.append(chip);
    }
    if (devices.length > MAX_DEVICES_PER_SITE) {
      row.append(el("span", "net-more muted", `+${formatCount(devices.length - MAX_DEVICES_PER_SITE)} more (pick by id below)`));
    }
    return row;
  }
}
