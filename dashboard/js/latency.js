// Latency over time: per-second percentiles (p50, p90, p99) of a chosen hop for the last two
// minutes, with a histogram of the last 10 s on the same logarithmic axis, drawn on a canvas.
// Faults (control actions) are dashed vertical markers; a running scenario's fault windows
// (its timeline's at_s..until_s) are shaded.
// Samples come from fresh state deltas (their press/relay/applied/stored stamps).
import { formatCount, formatMicros, hop, nowMicros } from "./format.js";

const WINDOW_S = 120;
const RECENT_S = 10;
const MAX_PER_SECOND = 4000;  // beyond this a second keeps a uniform sample
const DRAW_EVERY_MS = 500;

export const METRICS = {
  applied: { label: "press → applied", of: (s) => hop(s.press_ts, s.applied_ts) },
  stored: { label: "press → stored", of: (s) => hop(s.press_ts, s.stored_ts) },
  relay: { label: "press → relayed", of: (s) => hop(s.press_ts, s.relay_ts) },
  store: { label: "applied → stored", of: (s) => hop(s.applied_ts, s.stored_ts) },
};

// 10^d microseconds as an axis label: "10 µs", "1 ms", "100 ms", "1 s".
function decadeLabel(d) {
  if (d < 3) return `${10 ** d} µs`;
  if (d < 6) return `${10 ** (d - 3)} ms`;
  return `${10 ** (d - 6)} s`;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export class LatencyStats {
  #seconds = new Map();  // epoch second -> {seen, samples: {metric: number[]}, sorted: {metric: bool}}
  total = 0;

  add(view) {
    if (!(view.press_ts > 0) || !(view.stored_ts > 0)) return;
    const second = Math.floor(view.stored_ts / 1e6);
    let bucket = this.#seconds.get(second);
    if (!bucket) {
      bucket = { seen: 0, samples: {}, sorted: {} };
      for (const key of Object.keys(METRICS)) bucket.samples[key] = [];
      this.#seconds.set(second, bucket);
      this.#expire(second);
    }
    bucket.seen++;
    this.total++;
    for (const [key, metric] of Object.entries(METRICS)) {
      const value = metric.of(view);
      if (value === null) continue;
      const list = bucket.samples[key];
      if (list.length < MAX_PER_SECOND) list.push(value);
      else {
        const slot = Math.floor(Math.random() * bucket.seen);
        if (slot < MAX_PER_SECOND) list[slot] = value;
      }
      bucket.sorted[key] = false;
    }
  }

  #expire(newest) {
    for (const second of this.#seconds.keys()) {
      if (second < newest - WINDOW_S - 5) this.#seconds.delete(second);
    }
  }

  /** Sorted samples of one metric in one second (or null). */
  sorted(second, key) {
    const bucket = this.#seconds.get(second);
    if (!bucket) return null;
    const list = bucket.samples[key];
    if (!bucket.sorted[key]) {
      list.sort((a, b) => a - b);
      bucket.sorted[key] = true;
    }
    return list;
  }

  /** Sorted samples of a metric over the seconds [from, to]. */
  range(from, to, key) {
    const out = [];
    for (let s = from; s <= to; s++) {
      const list = this.#seconds.get(s)?.samples[key];
      if (list) for (const v of list) out.push(v);
    }
    return out.sort((a, b) => a - b);
  }

  /** Presses per second stored during `second`. */
  rate(second) {
    return this.#seconds.get(second)?.seen ?? 0;
  }
}

export class LatencyChart {
  #timer = 0;
  #size = { width: 0, height: 0 };
  #faults = new Map();  // fault id -> {ts (µs), label}: vertical markers

  /** A fault (control action) to mark on the time axis. */
  addFault(f) {
    if (!(f.ts > 0) || this.#faults.has(f.fault_id)) return;
    this.#faults.set(f.fault_id, { ts: f.ts, label: `${f.action} ${f.target}` });
    const oldest = (nowMicros() / 1e6 - WINDOW_S) * 1e6;
    for (const [id, m] of this.#faults) if (m.ts < oldest) this.#faults.delete(id);
    this.frame.request(this);
  }

  /** The markers drawn in the last render (for tests and the curious): [{x, label}]. */
  markers = [];
  /** The windows shaded in the last render: [{x0, x1, label}]. */
  shaded = [];
  #windows = [];

  /** Fault windows to shade: [{label, from, to}] in wall-clock µs (scenario.js faultWindows). */
  setWindows(windows) {
    this.#windows = windows;
    this.frame.request(this);
  }

  /** els: {canvas, metric (select), summary} */
  constructor(els, stats, frame) {
    this.els = els;
    this.stats = stats;
    this.frame = frame;
    this.metric = els.metric.value || "applied";
    els.metric.addEventListener("change", () => {
      this.metric = els.metric.value;
      frame.request(this);
    });
    new ResizeObserver((entries) => {
      const box = entries[entries.length - 1].contentRect;
      this.#size = { width: box.width, height: box.height };
      frame.request(this);
    }).observe(els.canvas);
    // The time axis moves even when nothing arrives.
    setInterval(() => frame.request(this), 1000);
  }

  /** New samples: redraw soon, at most every DRAW_EVERY_MS. */
  invalidate() {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = 0;
      this.frame.request(this);
    }, DRAW_EVERY_MS);
  }

  render() {
    const { width, height } = this.#size;
    if (width < 50 || height < 50) return;
    const canvas = this.els.canvas;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    if (!this.colors) {
      const css = getComputedStyle(canvas);
      this.colors = Object.fromEntries(["--grid", "--muted", "--p50", "--p90", "--p99", "--hist", "--fault", "--fault-window"]
        .map((name) => [name, css.getPropertyValue(name).trim()]));
    }
    const color = (name) => this.colors[name];

    const now = Math.floor(nowMicros() / 1e6);
    const key = this.metric;
    const series = [];  // [second, p50, p90, p99, max]
    let lo = Infinity;
    let hi = 0;
    for (let s = now - WINDOW_S; s <= now; s++) {
      const sorted = this.stats.sorted(s, key);
      if (!sorted || sorted.length === 0) continue;
      const row = [s, percentile(sorted, 50), percentile(sorted, 90), percentile(sorted, 99), sorted[sorted.length - 1]];
      series.push(row);
      lo = Math.min(lo, row[1]);
      hi = Math.max(hi, row[4]);
    }
    const recent = this.stats.range(now - RECENT_S + 1, now, key);

    // Layout: y axis labels | time chart | histogram of the last 10 s.
    const left = 52;
    const histWidth = Math.min(120, width * 0.22);
    const right = width - histWidth - 12;
    const top = 12;
    const bottom = height - 22;
    const decadeLo = series.length ? Math.floor(Math.log10(Math.max(1, lo))) : 2;
    const decadeHi = series.length ? Math.max(decadeLo + 1, Math.ceil(Math.log10(Math.max(1, hi)))) : 5;
    const y = (us) => {
      const f = (Math.log10(Math.max(us, 1)) - decadeLo) / (decadeHi - decadeLo);
      return bottom - Math.min(1, Math.max(0, f)) * (bottom - top);
    };
    const x = (second) => left + ((second - (now - WINDOW_S)) / WINDOW_S) * (right - left);

    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    ctx.lineWidth = 1;
    for (let d = decadeLo; d <= decadeHi; d++) {
      const yy = Math.round(y(10 ** d)) + 0.5;
      ctx.strokeStyle = color("--grid");
      ctx.beginPath();
      ctx.moveTo(left, yy);
      ctx.lineTo(width - 4, yy);
      ctx.stroke();
      ctx.fillStyle = color("--muted");
      ctx.textAlign = "right";
      ctx.fillText(decadeLabel(d), left - 6, yy);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "alphabetic";
    for (let ago = WINDOW_S; ago >= 0; ago -= 30) {
      ctx.textAlign = ago === 0 ? "right" : "center";
      ctx.fillText(ago === 0 ? "now" : `-${ago}s`, x(now - ago), height - 6);
    }

    const line = (index, stroke, widthPx) => {
      ctx.strokeStyle = stroke;
      ctx.lineWidth = widthPx;
      ctx.beginPath();
      let previous = null;
      for (const row of series) {
        const px = x(row[0]);
        const py = y(row[index]);
        if (previous !== null && row[0] === previous + 1) ctx.lineTo(px, py);
        else ctx.moveTo(px, py);
        previous = row[0];
      }
      ctx.stroke();
      for (const row of series) {  // a lone second is a dot, not an invisible zero-length line
        ctx.fillStyle = stroke;
        ctx.fillRect(x(row[0]) - 1.5, y(row[index]) - 1.5, 3, 3);
      }
    };
    // Fault windows: shaded from their start to their end (or now, while in force).
    this.shaded = [];
    ctx.save();
    ctx.fillStyle = color("--fault-window") || "rgba(248, 113, 113, 0.14)";
    ctx.textAlign = "left";
    ctx.textBaseline = "bottom";
    for (const w of this.#windows) {
      const from = Math.max(w.from / 1e6, now - WINDOW_S);
      const to = Math.min(w.to / 1e6, nowMicros() / 1e6);
      if (to <= from) continue;
      const x0 = x(from);
      const x1 = Math.max(x0 + 1, x(to));
      ctx.fillRect(x0, top, x1 - x0, bottom - top);
      this.shaded.push({ x0, x1, label: w.label });
    }
    ctx.restore();
    // Faults: a dashed vertical line each, labelled at the top.
    this.markers = [];
    ctx.save();
    ctx.setLineDash([3, 3]);
    ctx.strokeStyle = color("--fault") || "#f87171";
    ctx.fillStyle = ctx.strokeStyle;
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    for (const m of this.#faults.values()) {
      const second = m.ts / 1e6;
      if (second < now - WINDOW_S || second > now + 1) continue;
      const px = Math.round(x(second)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, bottom);
      ctx.stroke();
      // Staggered, so faults close in time keep readable labels.
      ctx.fillText(m.label, px + 3, top + (this.markers.length % 4) * 13);
      this.markers.push({ x: px, label: m.label });
    }
    ctx.restore();
    line(3, color("--p99"), 1.5);
    line(2, color("--p90"), 1.5);
    line(1, color("--p50"), 2);

    // Histogram of the last 10 s: 4 bins per decade, bars grow to the right.
    const hx = right + 12;
    ctx.fillStyle = color("--muted");
    ctx.textAlign = "left";
    ctx.textBaseline = "alphabetic";
    ctx.fillText(`last ${RECENT_S} s`, hx, height - 6);
    if (recent.length) {
      const binsPerDecade = 4;
      const bins = new Map();
      for (const v of recent) {
        const b = Math.floor(Math.log10(Math.max(v, 1)) * binsPerDecade);
        bins.set(b, (bins.get(b) ?? 0) + 1);
      }
      const most = Math.max(...bins.values());
      ctx.fillStyle = color("--hist");
      for (const [b, n] of bins) {
        const y0 = y(10 ** (b / binsPerDecade));
        const y1 = y(10 ** ((b + 1) / binsPerDecade));
        const w = (n / most) * (histWidth - 8);
        ctx.fillRect(hx, y1 + 1, Math.max(1, w), Math.max(1, y0 - y1 - 2));
      }
    }

    const p = (q) => percentile(recent, q);
    const rate = this.stats.rate(now - 1);
    this.els.summary.textContent = recent.length
      ? `${METRICS[key].label}, last ${RECENT_S} s: p50 ${formatMicros(p(50))} · p90 ${formatMicros(p(90))} · p99 ${formatMicros(p(99))} · max ${formatMicros(recent[recent.length - 1])} · ${formatCount(rate)} states/s`
      : `${METRICS[key].label}: no presses in the last ${RECENT_S} s`;
  }
}
