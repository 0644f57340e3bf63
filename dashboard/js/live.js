// The WebSocket to the state service (/ws, docs/api.md): a snapshot on every connect, then
// `states`, `errors`, `faults`, `readings`, `links`, `scenario` and `health` messages. When the socket closes (the service restarted, the
// network dropped) it reconnects with capped exponential back-off and the next snapshot
// re-synchronises everything. Handlers run in the socket's message event; they only update the
// model and ask for a render.

const MAX_DELAY_MS = 4000;

export class LiveConnection {
  /** handlers: {snapshot(msg), states(items), errors(msg), faults(items), readings(msg), links(items), scenario(status), health(health), status(state, text)} */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.connects = 0;  // snapshots received: 2+ means it has re-synchronised after a drop
    this.#open(0);
  }

  #open(attempt) {
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this.#retry(attempt, String(err));
      return;
    }
    let synced = false;
    this.handlers.status("connecting", attempt === 0 ? "connecting…" : `reconnecting (attempt ${attempt + 1})…`);
    ws.onmessage = (event) => {
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        console.warn("ignoring a message that is not JSON", event.data);
        return;
      }
      switch (msg.type) {
        case "snapshot":
          synced = true;
          this.connects++;
          this.handlers.snapshot(msg);
          this.handlers.status("connected", "live");
          break;
        case "states": this.handlers.states(msg.items ?? []); break;
        case "errors": this.handlers.errors(msg); break;
        case "health": this.handlers.health(msg.health); break;
        case "faults": this.handlers.faults(msg.items ?? []); break;
        case "readings": this.handlers.readings?.(msg); break;
        case "links": this.handlers.links?.(msg.items ?? []); break;
        case "scenario": this.handlers.scenario?.(msg.scenario ?? null); break;
        default: break;  // later versions add more types
      }
    };
    ws.onclose = (event) => {
      const reason = event.code === 1001 ? "state service stopped" : "connection lost";
      this.#retry(synced ? 0 : attempt + 1, reason);
    };
  }

  #retry(attempt, reason) {
    const delay = Math.min(MAX_DELAY_MS, 200 * 2 ** Math.min(attempt, 5));
    this.handlers.status("disconnected", `${reason}; reconnecting in ${(delay / 1000).toFixed(1)} s`);
    setTimeout(() => this.#open(attempt), delay);
  }
}
