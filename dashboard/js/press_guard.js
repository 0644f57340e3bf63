// Keeps a redraw from eating a click. A view that redraws by replacing its elements would, between
// a press and its release, replace the pressed element: the browser then fires no click, since
// the release lands on another element than the press. The view skips its redraws while `held`
// and redraws once the pointer is released (after the click, which the release's task fires).

export class PressGuard {
  held = false;

  /** box: the element whose children the view replaces; redraw: asks for the skipped redraw. */
  constructor(box, redraw) {
    box.addEventListener("pointerdown", () => { this.held = true; });
    for (const type of ["pointerup", "pointercancel", "blur"]) {
      window.addEventListener(type, () => {
        if (!this.held) return;
        this.held = false;
        redraw();
      });
    }
  }
}
