/**
 * A virtualized list: only the rows in view (plus a few either side) are in the DOM, absolutely positioned over a
 * spacer as tall as all rows. Rows have fixed heights by kind except ones the renderer measures (span details).
 * A row element is rebuilt only when its stamp changes, so a span update touches only its own rows.
 */
export interface RowRenderer<R> {
  key(row: R): string;
  /** The row's height in pixels, or undefined to measure it once rendered. */
  height(row: R): number | undefined;
  /** Changes when the row must be drawn again. */
  stamp(row: R): string;
  draw(row: R, element: HTMLElement): void;
}

const OVERSCAN_PX = 200;
const UNMEASURED_PX = 120;

export class VirtualList<R> {
  private rows: readonly R[] = [];
  private offsets = new Float64Array(1);
  private readonly measured = new Map<string, number>();
  private readonly rendered = new Map<string, { element: HTMLElement; stamp: string; top: number }>();
  private shown: [number, number] = [0, 0];
  /** The scroll position and viewport height, kept from events: reading them after a DOM write forces a layout. */
  private scrollTop = 0;
  private viewportHeight = 0;
  private readonly spacer: HTMLElement;
  private readonly layer: HTMLElement;

  constructor(readonly scroller: HTMLElement, private readonly renderer: RowRenderer<R>) {
    this.spacer = document.createElement('div');
    this.spacer.className = 'virtual-spacer';
    this.layer = document.createElement('div');
    this.layer.className = 'virtual-layer';
    this.spacer.append(this.layer);
    scroller.append(this.spacer);
    scroller.addEventListener('scroll', () => {
      this.scrollTop = scroller.scrollTop;
      this.render();
    }, { passive: true });
    new ResizeObserver(([entry]) => {
      this.viewportHeight = entry?.contentRect.height ?? scroller.clientHeight;
      this.render();
    }).observe(scroller);
  }

  get length(): number {
    return this.rows.length;
  }

  row(index: number): R | undefined {
    return this.rows[index];
  }

  setRows(rows: readonly R[]): void {
    this.rows = rows;
    this.layout();
  }

  indexOfKey(key: string): number {
    for (let i = 0; i < this.rows.length; i++) if (this.renderer.key(this.rows[i]!) === key) return i;
    return -1;
  }

  /** Calls `visit` for each row in the DOM, in order. */
  forEachRendered(visit: (row: R, element: HTMLElement) => void): void {
    for (let i = this.shown[0]; i < Math.min(this.shown[1], this.rows.length); i++) {
      const row = this.rows[i]!;
      const element = this.rendered.get(this.renderer.key(row))?.element;
      if (element) visit(row, element);
    }
  }

  /** A measured row changed height on its own (e.g. text expanded): lay the rows out again. */
  remeasure(key: string): void {
    const element = this.rendered.get(key)?.element;
    if (!element) return;
    this.measured.set(key, element.offsetHeight);
    this.layout();
  }

  scrollToTop(): void {
    this.scrollTop = 0;
    this.scroller.scrollTop = 0;
  }

  scrollToIndex(index: number): void {
    if (index < 0 || index >= this.rows.length) return;
    const top = this.offsets[index]!;
    const bottom = this.offsets[index + 1]!;
    if (top < this.scrollTop) this.scrollTop = top;
    else if (bottom > this.scrollTop + this.viewportHeight) this.scrollTop = Math.max(top, bottom - this.viewportHeight);
    else return;
    this.scroller.scrollTop = this.scrollTop;
    this.render();
  }

  /** Draws the rows in view: new ones are built, stale ones redrawn, the rest only moved if they must be. */
  render(): void {
    const viewTop = this.scrollTop - OVERSCAN_PX;
    const viewBottom = this.scrollTop + this.viewportHeight + OVERSCAN_PX;
    const first = Math.max(0, this.indexAt(viewTop));
    const keep = new Set<string>();
    let remeasure = false;
    let i = first;
    // Elements follow the rows' order in the DOM too, so that screen readers and tests read them as shown.
    let previous: HTMLElement | null = null;
    for (; i < this.rows.length && this.offsets[i]! < viewBottom; i++) {
      const row = this.rows[i]!;
      const key = this.renderer.key(row);
      keep.add(key);
      const stamp = this.renderer.stamp(row);
      let entry = this.rendered.get(key);
      if (!entry) {
        entry = { element: document.createElement('div'), stamp: '', top: -1 };
        this.rendered.set(key, entry);
      }
      const next: Element | null = previous ? previous.nextElementSibling : this.layer.firstElementChild;
      if (next !== entry.element) this.layer.insertBefore(entry.element, next);
      previous = entry.element;
      if (entry.stamp !== stamp) {
        this.renderer.draw(row, entry.element);
        entry.stamp = stamp;
        if (this.renderer.height(row) === undefined) {
          const height = entry.element.offsetHeight;
          if (height !== this.measured.get(key)) {
            this.measured.set(key, height);
            remeasure = true;
          }
        }
      }
      const top = this.offsets[i]!;
      if (entry.top !== top) {
        entry.element.style.transform = `translateY(${top}px)`;
        entry.top = top;
      }
    }
    this.shown = [first, i];
    for (const [key, entry] of this.rendered) {
      if (keep.has(key)) continue;
      entry.element.remove();
      this.rendered.delete(key);
    }
    if (remeasure) {
      this.layout();
    }
  }

  private layout(): void {
    const n = this.rows.length;
    if (this.offsets.length < n + 1 || this.offsets.length > 4 * (n + 1) + 64) this.offsets = new Float64Array(n + 1);
    let y = 0;
    for (let i = 0; i < n; i++) {
      this.offsets[i] = y;
      const row = this.rows[i]!;
      y += this.renderer.height(row) ?? this.measured.get(this.renderer.key(row)) ?? UNMEASURED_PX;
    }
    this.offsets[n] = y;
    this.spacer.style.height = `${y}px`;
    this.render();
  }

  /** The index of the row at a vertical offset (binary search over the offsets). */
  private indexAt(y: number): number {
    let low = 0;
    let high = this.rows.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.offsets[mid + 1]! <= y) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
