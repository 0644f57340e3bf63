// A windowed grid (or, with one column, a list) of fixed-size cells: only the cells in view, plus a
// few rows either side, exist in the DOM, so 10,000 devices cost as much as the ~100 on screen.
// Elements are bound to item indexes and reused when they scroll out. Layout is never read while
// rendering (sizes come from a ResizeObserver, the scroll offset from scroll events), so a render
// only writes and cannot force a synchronous layout.

const OVERSCAN_ROWS = 3;

export class VirtualGrid {
  /**
   * viewport: the scrolling element (empty; the grid owns its content).
   * options: {cellWidth (minimum), cellHeight, gap, columns (fixed count, e.g. 1 for a list),
   *           minHeight/maxHeight (the viewport follows a short content between them),
   *           create() -> element, update(element, item), requestRender()}
   */
  constructor(viewport, options) {
    this.viewport = viewport;
    this.o = { gap: 8, ...options };
    this.count = 0;
    this.at = () => undefined;
    this.scrollTop = 0;
    this.width = viewport.clientWidth;
    this.height = viewport.clientHeight;
    this.columns = 1;
    this.rowHeight = this.o.cellHeight + this.o.gap;
    this.content = document.createElement("div");
    this.content.className = "vgrid-content";
    viewport.append(this.content);
    this.#layoutKey = "";
    viewport.addEventListener("scroll", () => {
      this.scrollTop = viewport.scrollTop;
      this.o.requestRender();
    }, { passive: true });
    new ResizeObserver((entries) => {
      const box = entries[entries.length - 1].contentRect;
      this.width = box.width;
      this.height = box.height;
      this.o.requestRender();
    }).observe(viewport);
  }

  #active = new Map();  // item index -> element
  #free = [];
  #layoutKey;
  #rows = -1;

  /** New items (a new filter, a new snapshot): every cell is re-bound on the next render. */
  setItems(items) {
    this.setSource(items.length, (i) => items[i]);
  }

  /** Items given by count and accessor (e.g. a list shown newest first without copying it). */
  setSource(count, at) {
    this.count = count;
    this.at = at;
    for (const el of this.#active.values()) this.#free.push(el);
    this.#active.clear();
    this.o.requestRender();
  }

  /** The same source grew or shrank: cells re-render where their item changed. */
  resize(count) {
    this.count = count;
    this.o.requestRender();
  }

  render() {
    const { gap, cellWidth } = this.o;
    const width = Math.max(0, this.width);
    const columns = this.o.columns ?? Math.max(1, Math.floor((width + gap) / (cellWidth + gap)));
    const cell = columns === 1 ? width : (width - gap * (columns - 1)) / columns;
    const rows = Math.ceil(this.count / columns);
    const layoutKey = `${columns}:${cell}`;  // where cells go
    const relayout = layoutKey !== this.#layoutKey;
    this.#layoutKey = layoutKey;
    this.columns = columns;
    if (rows !== this.#rows) {
      this.#rows = rows;
      const contentHeight = Math.max(0, rows * this.rowHeight - gap);
      this.content.style.height = `${contentHeight}px`;
      // A short list does not leave an empty box: the viewport shrinks to it (down to minHeight).
      if (this.o.maxHeight) {
        const h = Math.max(this.o.minHeight ?? 0, Math.min(this.o.maxHeight, contentHeight + 2));
        this.viewport.style.height = `${h}px`;
      }
    }
    const firstRow = Math.max(0, Math.floor(this.scrollTop / this.rowHeight) - OVERSCAN_ROWS);
    const lastRow = Math.min(rows, Math.ceil((this.scrollTop + this.height) / this.rowHeight) + OVERSCAN_ROWS);
    const first = firstRow * columns;
    const last = Math.min(this.count, lastRow * columns);

    for (const [index, el] of this.#active) {
      if (index < first || index >= last) {
        this.#active.delete(index);
        this.#free.push(el);
      }
    }
    for (let index = first; index < last; index++) {
      const item = this.at(index);
      if (item === undefined) continue;
      let el = this.#active.get(index);
      const bound = el !== undefined;
      if (!bound) {
        el = this.#free.pop() ?? this.#create();
        this.#active.set(index, el);
        el.hidden = false;
      }
      if (!bound || relayout) {
        const x = (index % columns) * (cell + gap);
        const y = Math.floor(index / columns) * this.rowHeight;
        el.style.transform = `translate(${x}px, ${y}px)`;
        el.style.width = `${cell}px`;
      }
      if (el._item !== item || el._rev !== item.rev) {
        el._item = item;
        el._rev = item.rev;
        this.o.update(el, item);
      }
    }
    for (const el of this.#free) {
      if (!el.hidden) {
        el.hidden = true;
        el._item = null;
      }
    }
  }

  #create() {
    const el = this.o.create();
    el.style.position = "absolute";
    el.style.left = "0";
    el.style.top = "0";
    el.style.height = `${this.o.cellHeight}px`;
    this.content.append(el);
    return el;
  }
}
