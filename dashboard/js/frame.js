// Coalesced rendering: views ask for a render as often as they like; each view's render() runs at
// most once per animation frame, after all messages that arrived in between were applied to the
// model. This is what keeps thousands of state changes per second from touching the DOM
// thousands of times.

export class FrameScheduler {
  #dirty = new Set();
  #requested = false;

  /** Asks for view.render() in the next frame (once, however often it is asked). */
  request(view) {
    this.#dirty.add(view);
    if (this.#requested) return;
    this.#requested = true;
    requestAnimationFrame(() => this.#run());
  }

  #run() {
    this.#requested = false;
    const views = [...this.#dirty];
    this.#dirty.clear();
    for (const view of views) {
      try {
        view.render();
      } catch (err) {
        console.error("render failed", view, err);
      }
    }
  }
}
