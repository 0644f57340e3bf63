// Sensor readings on the page: the last values of each capability of a device, kept from the
// snapshot (the latest per capability) and the feed's `readings` messages (every stored reading,
// docs/api.md), and drawn as a sparkline: a plain SVG polyline, no chart library.

export const SPARK_POINTS = 60;  // values kept (and drawn) per capability
const SVG_NS = "http://www.w3.org/2000/svg";

/** A device view's `readings` ({capability: {value, unit, seq, ts}}) as the record keeps them. */
export function readingsFromView(view) {
  const out = new Map();
  for (const [capability, r] of Object.entries(view?.readings ?? {})) {
    out.set(capability, { unit: r.unit ?? "", points: [{ v: r.value, ts: r.ts }], seq: r.seq ?? 0 });
  }
  return out;
}

/** Appends one reading; an older measurement than the last one kept is dropped. */
export function addReading(readings, capability, value, unit, seq, ts) {
  let series = readings.get(capability);
  if (!series) {
    series = { unit, points: [], seq: 0 };
    readings.set(capability, series);
  }
  const last = series.points[series.points.length - 1];
  if (last && ts < last.ts) return false;
  series.unit = unit;
  series.seq = seq;
  series.points.push({ v: value, ts });
  if (series.points.length > SPARK_POINTS) series.points.splice(0, series.points.length - SPARK_POINTS);
  return true;
}

/** The capability to show on a card: the one measured last ({capability, unit, points, value}). */
export function primaryReading(readings) {
  let best = null;
  for (const [capability, series] of readings ?? []) {
    const last = series.points[series.points.length - 1];
    if (!last) continue;
    if (!best || last.ts > best.ts) best = { capability, unit: series.unit, points: series.points, value: last.v, ts: last.ts };
  }
  return best;
}

/** "21.3 °C"-style text: at most 4 significant digits, the unit as sent. */
export function formatReading(value, unit) {
  const abs = Math.abs(value);
  const text = abs !== 0 && (abs >= 1e5 || abs < 1e-3) ? value.toExponential(2)
    : String(Number(value.toPrecision(4)));
  return unit ? `${text} ${unit}` : text;
}

/** The polyline's points for values scaled into width × height (a flat series is drawn mid-height). */
export function sparklinePath(points, width, height) {
  if (points.length === 0) return "";
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    if (p.v < lo) lo = p.v;
    if (p.v > hi) hi = p.v;
  }
  const span = hi - lo;
  const step = points.length > 1 ? width / (points.length - 1) : 0;
  return points.map((p, i) => {
    const y = span > 0 ? height - 1 - ((p.v - lo) / span) * (height - 2) : height / 2;
    return `${(points.length > 1 ? i * step : width / 2).toFixed(1)},${y.toFixed(1)}`;
  }).join(" ");
}

/** An <svg class="sparkline"> of width × height with one polyline; update() redraws it. */
export function createSparkline(width, height) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", "sparkline");
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS(SVG_NS, "polyline");
  svg.append(line);
  svg._line = line;
  svg._size = [width, height];
  return svg;
}

export function updateSparkline(svg, points) {
  svg._line.setAttribute("points", sparklinePath(points, svg._size[0], svg._size[1]));
  svg.dataset.points = String(points.length);
}
