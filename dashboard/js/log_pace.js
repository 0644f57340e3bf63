// How often the event log redraws. At thousands of presses a second every row in view shows
// another press on each frame: nobody reads that at 60 frames a second, and it was the page's
// costliest work (every row laid out, painted and rastered again: ~35 % of a core of Chromium's
// ~80 % in the dashboard bench at 5,000 presses/s, beside the device tiles that must stay fresh;
// 2026-12-06). So while the log follows the newest presses (scrolled to the top) and more than
// a screenful arrived since it last drew, it redraws at most every BUSY_REDRAW_MS. At a reading
// pace, or while scrolled down, it draws on every frame. No DOM here.

export const BUSY_REDRAW_MS = 100;

/**
 * Milliseconds the log should wait before drawing again (0: draw now).
 * appended: presses added since the last draw; rowsInView: rows the viewport shows;
 * following: scrolled to the top; drawnAt, now: performance.now() of the last draw and of now.
 */
export function logRedrawWait({ appended, rowsInView, following, drawnAt, now }) {
  if (!following || appended <= rowsInView) return 0;
  return Math.max(0, drawnAt + BUSY_REDRAW_MS - now);
}
