// The running scenario (`snet run`, docs/api.md "Scenario"): its name, progress, timeline strip
// (each action at its time, a window for those with an `until_s`), the current phase and the
// live counts. Fed by the snapshot and `scenario` messages (about once a second while a run
// goes on); hidden until a scenario has run on this stack. The chart's fault windows come from
// the same status (faultWindows()).
import { formatCount } from "./format.js";

const LABEL_ROOM = 0.18;  // a lane keeps this share of the strip free after a step for its label

/** The timeline's windows in wall-clock microseconds: [{label, from, to, state}] (until_s only). */
export function faultWindows(status) {
  if (!status || !(status.started > 0)) return [];
  return (status.timeline ?? [])
    .filter((step) => typeof step.until_s === "number")
    .map((step) => ({
      label: step.label,
      from: status.started + step.at_s * 1e6,
      to: status.started + step.until_s * 1e6,
      state: step.state,
    }));
}

/** The label of the step the phase names ("during cut b" -> "cut b"), or "". */
function phaseStep(phase) {
  const match = /^(before|during|after) (.*)$/.exec(phase ?? "");
  return match ? match[2] : "";
}

/** Lanes for the strip so that labels do not overlap: step index -> lane. */
function lanes(timeline, duration) {
  const ends = [];
  return timeline.map((step) => {
    const start = step.at_s / duration;
    const end = Math.max((step.until_s ?? step.at_s) / duration, start + LABEL_ROOM);
    let lane = ends.findIndex((e) => e <= start);
    if (lane < 0) lane = ends.length;
    ends[lane] = end;
    return lane;
  });
}

export class ScenarioPanel {
  status = null;

  /** els: {card, name, state, description, bar, time, phase, timeline, counts} */
  constructor(els, frame) {
    this.els = els;
    this.frame = frame;
  }

  /** A status from the snapshot or a `scenario` message (null: none). */
  update(status) {
    this.status = status ?? null;
    this.frame.request(this);
  }

  render() {
    const s = this.status;
    const els = this.els;
    els.card.hidden = !s;
    if (!s) return;
    const duration = s.duration_s > 0 ? s.duration_s : 1;
    const draining = s.state === "running" && s.elapsed_s > duration;
    els.card.dataset.state = s.state;
    els.name.textContent = s.name;
    els.state.textContent = draining ? "draining" : s.state;
    els.state.dataset.state = draining ? "draining" : s.state;
    els.description.textContent = s.description ?? "";
    els.description.title = s.description ?? "";
    const done = Math.min(1, Math.max(0, s.elapsed_s / duration));
    els.bar.style.width = `${(s.state === "finished" ? 1 : done) * 100}%`;
    els.bar.parentElement.setAttribute("aria-valuenow", String(Math.round(done * 100)));
    els.time.textContent = `${Math.floor(Math.min(s.elapsed_s, duration))} / ${Math.round(duration)} s` +
      (draining ? ` · draining ${Math.round(s.elapsed_s - duration)} s` : "");
    els.phase.textContent = s.phase ? s.phase : "no timeline";
    els.phase.dataset.during = String(s.phase?.startsWith("during ") ?? false);
    this.#renderTimeline(s, duration, done);
    const counts = [
      ["sent", `${formatCount(s.sent)} / ${formatCount(s.planned)}`, "presses published / planned"],
      ["acked", formatCount(s.acked), "presses the broker acknowledged"],
      ["applied", formatCount(s.applied), "press × target pairs applied"],
      s.lost === null || s.lost === undefined
        ? ["pending", formatCount(s.pending), "acknowledged pairs not applied yet"]
        : ["lost", formatCount(s.lost), "acknowledged pairs never applied"],
    ];
    if (s.action_errors > 0) counts.push(["action errors", formatCount(s.action_errors), "timeline actions the stack refused"]);
    els.counts.replaceChildren(...counts.map(([name, value, title]) => {
      const el = document.createElement("span");
      el.className = "scenario-count";
      el.dataset.count = name;
      el.dataset.bad = String(name === "lost" && s.lost > 0);
      el.title = title;
      el.innerHTML = '<span class="label"></span><span class="value"></span>';
      el.firstChild.textContent = name;
      el.lastChild.textContent = value;
      return el;
    }));
  }

  #renderTimeline(s, duration, done) {
    const box = this.els.timeline;
    const timeline = s.timeline ?? [];
    const lane = lanes(timeline, duration);
    const current = phaseStep(s.phase);
    const items = timeline.map((step, i) => {
      const el = document.createElement("div");
      const windowed = typeof step.until_s === "number";
      el.className = `step ${windowed ? "window" : "point"} ${step.state}` +
                     (s.phase?.startsWith("during ") && step.label === current ? " current" : "");
      el.dataset.label = step.label;
      el.dataset.state = step.state;
      el.dataset.kind = step.kind ?? "";
      el.style.left = `${(step.at_s / duration) * 100}%`;
      if (windowed) el.style.width = `${((step.until_s - step.at_s) / duration) * 100}%`;
      el.style.top = `${lane[i] * 22}px`;
      el.title = `${step.label}: at ${step.at_s} s${windowed ? ` until ${step.until_s} s` : ""} (${step.state})`;
      const label = document.createElement("span");
      label.className = "step-label";
      label.textContent = step.label;
      el.append(label);
      return el;
    });
    const cursor = document.createElement("div");
    cursor.className = "now";
    cursor.style.left = `${done * 100}%`;
    box.style.height = `${Math.max(1, Math.max(0, ...lane) + 1) * 22 + 4}px`;
    box.replaceChildren(...items, cursor);
    box.hidden = timeline.length === 0;
  }
}
