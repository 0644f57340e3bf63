// Number and time formatting shared by the dashboard's views.

/** "420 µs", "1.25 ms", "38 ms", "1.2 s"; "" when unknown (0 or negative means "not stamped"). */
export function formatMicros(us) {
  if (!(us >= 0) || !Number.isFinite(us)) return "";
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 10_000) return `${(us / 1000).toFixed(2)} ms`;
  if (us < 1_000_000) return `${Math.round(us / 1000)} ms`;
  return `${(us / 1_000_000).toFixed(us < 10_000_000 ? 2 : 1)} s`;
}

/** The difference of two hop stamps, or null when either is missing. */
export function hop(from, to) {
  return from > 0 && to > 0 && to >= from ? to - from : null;
}

/** 12345 -> "12,345"; null/undefined -> "–". (toLocaleString is slow enough to show in profiles.) */
export function formatCount(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Wall-clock time of a microsecond stamp, "14:03:07.123". */
export function formatClock(us) {
  if (!(us > 0)) return "";
  const d = new Date(us / 1000);
  const pad = (v, n = 2) => String(v).padStart(n, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Microseconds since the epoch, with sub-millisecond resolution where the browser gives it. */
export function nowMicros() {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
