// The page's model of the emulated network (docs/api.md, "Links"): every link of GET /api/links
// (sites first, then devices) with its file spec, effective spec, engines, traffic and, for a
// device, its presence. The WebSocket's `links` items (a link's new spec or a device's presence)
// are applied by revision: of a fetched view and a pushed item, the one with the higher `rev`
// wins, so the order they arrive in does not matter. Nothing here touches the DOM.

import { withToken } from "./session.js";

/** "20 ms ±5 · 1% loss · 1 Mbit/s", "cut · 20 ms", "ideal". */
export function linkLabel(spec) {
  const parts = [];
  if (spec?.up === false) parts.push("cut");
  if (spec?.latency_ms > 0) parts.push(`${num(spec.latency_ms)} ms${spec.jitter_ms > 0 ? ` ±${num(spec.jitter_ms)}` : ""}`);
  else if (spec?.jitter_ms > 0) parts.push(`±${num(spec.jitter_ms)} ms`);
  if (spec?.loss_pct > 0) parts.push(`${num(spec.loss_pct)}% loss`);
  if (spec?.rate_kbit > 0) parts.push(rateLabel(spec.rate_kbit));
  return parts.length ? parts.join(" · ") : "ideal";
}

/** "256 kbit/s", "1.5 Mbit/s", "1024 kbit/s" (a larger unit only where it stays exact). */
export function rateLabel(kbit) {
  const exact = (v) => Number.isInteger(Math.round(v * 1e6) / 1e4);  // at most two decimals
  if (kbit >= 1_000_000 && exact(kbit / 1_000_000)) return `${num(kbit / 1_000_000)} Gbit/s`;
  if (kbit >= 1000 && exact(kbit / 1000)) return `${num(kbit / 1000)} Mbit/s`;
  return `${num(kbit)} kbit/s`;
}

function num(v) {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
}

export function isUp(spec) {
  return spec?.up !== false;
}

/** PUTs a partial link spec; resolves to {ok, body, error} with the API's error text on failure. */
export async function putLink(id, patch) {
  try {
    const res = await fetch(`/api/links/${encodeURIComponent(id)}`, {
      method: "PUT",
      headers: withToken({ "Content-Type": "application/json" }),
      body: JSON.stringify(patch),
    });
    const body = await res.json().catch(() => ({}));
    return { ok: res.ok, body, error: body.error ?? `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, body: {}, error: String(err) };
  }
}

export class LinkModel {
  loaded = false;
  emulated = false;
  hint = "";
  notes = [];
  links = new Map();  // id -> link of GET /api/links (kept up to date by the feed's items)
  order = [];         // ids: sites first, then devices
  rev = 0;            // bumped on every change: views compare it to know when to redraw

  /** Replaces everything from GET /api/links; a link the feed already has newer keeps that. */
  load(view) {
    const old = this.links;
    this.loaded = true;
    this.emulated = Boolean(view.emulated);
    this.hint = view.hint ?? "";
    this.notes = view.notes ?? [];
    this.links = new Map();
    this.order = [];
    for (const link of view.links ?? []) {
      const known = old.get(link.id);
      if (known && known.rev > link.rev) Object.assign(link, pick(known));
      this.links.set(link.id, link);
      this.order.push(link.id);
    }
    this.rev++;
  }

  /** Applies the feed's items ({id, spec, update, online, rev}); returns whether any changed. */
  apply(items) {
    let changed = false;
    for (const item of items) {
      const link = this.links.get(item.id);
      if (!link || item.rev < link.rev) continue;
      Object.assign(link, pick(item));
      changed = true;
    }
    if (changed) this.rev++;
    return changed;
  }

  /** Re-reads GET /api/links (engines and traffic are not pushed). Returns whether it worked. */
  async fetch() {
    try {
      const res = await fetch("/api/links");
      if (!res.ok) return false;
      this.load(await res.json());
      return true;
    } catch {
      return false;  // disconnected: the next snapshot fetches again
    }
  }

  sites() {
    return this.order.map((id) => this.links.get(id)).filter((l) => l.kind === "site");
  }

  /** Whether a cut link lies between this link and the core (itself included). */
  behindCut(id) {
    for (let link = this.links.get(id), hops = 0; link && hops < 64; link = this.links.get(link.parent), hops++) {
      if (!isUp(link.spec)) return true;
      if (!link.parent) break;
    }
    return false;
  }
}

function pick(item) {
  const out = { spec: item.spec, update: item.update, rev: item.rev };
  if ("online" in item) out.online = item.online;
  return out;
}
