/**
 * The runs as a virtualized tree or timeline (waterfall), with kind filters and a search box. Frames are drawn at
 * most once per animation frame: span messages only update the index and mark what changed; a frame lays out
 * again only the traces whose shape changed and redraws only the rows whose stamp changed.
 */
import * as l10n from '@vscode/l10n';
import type { RunResult } from '../../protocol/run';
import type { SpanContent } from '../../protocol/trace';
import { isFiltering, SPAN_KINDS, type SpanKind, type ViewFilter } from '../model/filters';
import { appendRows, runRowKey, spanRowKey, traceRows, type Row } from '../model/rows';
import type { TraceIndex } from '../model/traceIndex';
import { drawDetails, type ContentState } from './details';
import { el } from './dom';
import { drawRunRow, drawSpanRow, placeBar, ROW_HEIGHT, RUN_HEIGHT } from './rowView';
import { VirtualList } from './virtualList';

export interface TraceViewHost {
  requestContent(traceId: string, spanId: string): void;
  openFile(path: string): void;
  openInPanel?(traceId: string): void;
  /** The view's state changed in a way worth keeping across reloads. */
  saveState(): void;
}

export interface TraceViewState {
  collapsed: string[];
  selected?: string;
  timeline: boolean;
  kinds: SpanKind[];
}

/** How often running spans' durations tick. Only rows in view that are running are redrawn. */
const TICK_MS = 1000;
const CONTENT_CACHE = 50;
/** Past this many new spans in one frame, laying the trace out again is as cheap as appending them. */
const MAX_APPENDED = 200;

export class TraceView {
  readonly element = el('div', 'trace-view');
  private readonly list: VirtualList<Row>;
  private readonly search = el('input', 'search');
  private readonly matchCount = el('span', 'match-count');
  private readonly empty = el('div', 'empty');
  private readonly runs = new Map<string, RunResult>();
  private readonly contents = new Map<string, ContentState>();
  private readonly rowCache = new Map<string, Row[]>();
  private readonly collapsed: Set<string>;
  private readonly kinds: Set<SpanKind>;
  private filter: ViewFilter;
  private selected: string | undefined;
  private focusedKey: string | undefined;
  private timeline: boolean;
  private layoutDirty = true;
  /** The newest run shown: when a newer one starts, the list scrolls up to it. */
  private newestTrace: string | undefined;
  private frameRequested = false;
  private tick = 0;
  private detailsRev = 0;

  constructor(private readonly index: TraceIndex, private readonly host: TraceViewHost, state: TraceViewState, emptyContent: HTMLElement) {
    this.collapsed = new Set(state.collapsed);
    this.selected = state.selected;
    this.timeline = state.timeline;
    this.kinds = new Set(state.kinds);
    this.filter = { kinds: this.kinds, text: '' };
    const scroller = el('div', 'scroller');
    scroller.setAttribute('role', 'tree');
    scroller.setAttribute('aria-label', l10n.t('Trace spans'));
    scroller.tabIndex = 0;
    scroller.addEventListener('keydown', (event) => this.onKey(event));
    this.list = new VirtualList<Row>(scroller, {
      key: (row) => row.key,
      height: (row) => (row.kind === 'run' ? RUN_HEIGHT : row.kind === 'span' ? ROW_HEIGHT : undefined),
      stamp: (row) => this.stamp(row),
      draw: (row, element) => this.draw(row, element),
    });
    this.empty.append(emptyContent);
    this.element.append(this.filterBar(), this.empty, scroller);
    this.element.classList.toggle('timeline', this.timeline);
    setInterval(() => this.onTick(), TICK_MS);
  }

  state(): TraceViewState {
    return { collapsed: [...this.collapsed], selected: this.selected, timeline: this.timeline, kinds: [...this.kinds] };
  }

  /** Marks the index changed; the next animation frame draws it. */
  changed(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.frame();
    });
  }

  runFinished(result: RunResult): void {
    this.runs.set(result.runId, result);
    this.changed();
  }

  setRuns(results: readonly RunResult[]): void {
    this.runs.clear();
    for (const result of results) this.runs.set(result.runId, result);
    this.layoutDirty = true;
    this.changed();
  }

  /** Before the index forgets the traces: drop what the view keeps about them. */
  forget(traceIds: readonly string[]): void {
    for (const traceId of traceIds) {
      const runId = this.index.root(traceId)?.span.attributes['keel.run.id'];
      if (typeof runId === 'string') this.runs.delete(runId);
      for (const spanId of this.index.spanIdsOf(traceId)) this.contents.delete(spanId);
      this.rowCache.delete(traceId);
      if (this.selected && this.index.node(this.selected)?.span.traceId === traceId) this.selected = undefined;
    }
    this.layoutDirty = true;
    this.changed();
  }

  contentArrived(spanId: string, content: SpanContent | null, error?: string): void {
    this.contents.set(spanId, { state: 'loaded', content, ...(error ? { error } : {}) });
    while (this.contents.size > CONTENT_CACHE) this.contents.delete(this.contents.keys().next().value!);
    if (spanId === this.selected) this.changed();
  }

  /** Shows a run (and a span in it): opens its rows, selects the span and scrolls to it. */
  reveal(traceId: string, spanId?: string): void {
    this.collapsed.delete(runRowKey(traceId));
    const target = spanId && this.index.node(spanId) ? spanId : undefined;
    if (target) {
      for (const ancestor of this.index.ancestors(target)) this.collapsed.delete(ancestor.span.spanId);
      this.select(target, true);
    }
    this.rowCache.delete(traceId);
    this.layoutDirty = true;
    this.frame();
    const key = target ? spanRowKey(target) : runRowKey(traceId);
    this.focusedKey = key;
    this.list.scrollToIndex(this.list.indexOfKey(key));
  }

  focusSearch(): void {
    this.search.focus();
    this.search.select();
  }

  setTimeline(on: boolean): void {
    this.timeline = on;
    this.element.classList.toggle('timeline', on);
    this.host.saveState();
    this.changed();
  }

  get isTimeline(): boolean {
    return this.timeline;
  }

  private frame(): void {
    const now = Date.now();
    const { structure, values, inserted } = this.index.takeChanges();
    for (const traceId of structure) {
      const rows = this.rowCache.get(traceId);
      const added = inserted.get(traceId);
      if (rows && added && added.length <= MAX_APPENDED && appendRows(this.index, traceId, rows, added, this.collapsed, this.filter)) continue;
      this.rowCache.delete(traceId);
    }
    // A span that ends while selected may now have content to load.
    if (values.size > 0 && this.selected) this.loadContent(this.selected);
    if (this.layoutDirty || structure.size > 0) this.layout();
    else this.list.render();
    this.placeBars(now);
    this.empty.hidden = this.index.size > 0;
  }

  private layout(): void {
    this.layoutDirty = false;
    const rows: Row[] = [];
    let matches = 0;
    const traceIds = this.index.traceIds();
    if (traceIds[0] !== this.newestTrace) {
      if (this.newestTrace !== undefined && traceIds[0] !== undefined) this.list.scrollToTop();
      this.newestTrace = traceIds[0];
    }
    for (const traceId of traceIds) {
      let cached = this.rowCache.get(traceId);
      if (!cached) this.rowCache.set(traceId, (cached = traceRows(this.index, traceId, this.collapsed, this.filter)));
      for (const row of cached) {
        rows.push(row);
        if (row.kind === 'span' && row.match) matches++;
        if (row.kind === 'span' && row.spanId === this.selected) rows.push({ kind: 'details', key: `details:${row.spanId}`, spanId: row.spanId });
      }
    }
    this.matchCount.textContent = isFiltering(this.filter) ? `${matches.toLocaleString('en-US')} match${matches === 1 ? '' : 'es'}` : '';
    this.list.setRows(rows);
  }

  private stamp(row: Row): string {
    const focused = row.key === this.focusedKey ? 'f' : '';
    if (row.kind === 'run') {
      const root = this.index.root(row.traceId);
      const running = root?.span.status === 'running' ? this.tick : '';
      return `${root?.span.spanId}|${root?.rev}|${this.collapsed.has(row.key)}|${this.resultOf(row.traceId) ? 1 : 0}|${focused}|${running}`;
    }
    const node = this.index.node(row.spanId);
    if (row.kind === 'details') {
      const content = this.contents.get(row.spanId);
      return `${node?.rev}|${content?.state}|${this.detailsRev}|${node?.span.status === 'running' ? this.tick : ''}`;
    }
    const running = node?.span.status === 'running' ? this.tick : '';
    return `${node?.rev}|${row.depth}|${row.hasChildren}|${row.match}|${this.collapsed.has(row.spanId)}|${this.selected === row.spanId}|${focused}|${running}`;
  }

  private draw(row: Row, element: HTMLElement): void {
    const now = Date.now();
    if (row.kind === 'run') {
      drawRunRow(element, row.traceId, this.index.root(row.traceId), this.resultOf(row.traceId), this.rowState(row.key, !this.collapsed.has(row.key), false), now, {
        toggle: () => this.toggle(row.key, row.traceId),
        ...(this.host.openInPanel ? { openInPanel: () => this.host.openInPanel!(row.traceId) } : {}),
      });
      element.onclick = () => this.focusRow(row.key);
      return;
    }
    const node = this.index.node(row.spanId);
    if (!node) return;
    if (row.kind === 'details') {
      element.className = 'details';
      element.id = `details-${row.spanId}`;
      element.setAttribute('role', 'group');
      element.setAttribute('aria-label', l10n.t('Details of {0}', node.span.name));
      element.replaceChildren();
      drawDetails(element, node, this.contents.get(row.spanId), now, {
        openFile: (path) => this.host.openFile(path),
        resized: () => this.list.remeasure(row.key),
      });
      element.onclick = (event) => event.stopPropagation();
      return;
    }
    const expanded = !this.collapsed.has(row.spanId);
    drawSpanRow(element, node, row.depth, row.hasChildren, row.match, this.rowState(row.key, expanded, this.selected === row.spanId), now, () => this.toggle(row.spanId, row.traceId));
    element.onclick = () => {
      this.focusRow(row.key);
      this.select(row.spanId);
    };
  }

  private rowState(key: string, expanded: boolean, selected: boolean) {
    return { expanded, selected, focused: key === this.focusedKey };
  }

  private resultOf(traceId: string): RunResult | undefined {
    const runId = this.index.root(traceId)?.span.attributes['keel.run.id'];
    return typeof runId === 'string' ? this.runs.get(runId) : undefined;
  }

  /** Bars are placed for rows in view only; a streaming run's window grows every frame. */
  private placeBars(now: number): void {
    const windows = new Map<string, [number, number]>();
    this.list.forEachRendered((row, element) => {
      if (row.kind !== 'span') return;
      let window = windows.get(row.traceId);
      if (!window) windows.set(row.traceId, (window = this.windowOf(row.traceId, now)));
      placeBar(element, this.index.node(row.spanId)!.span, window[0], window[1], now);
    });
  }

  private windowOf(traceId: string, now: number): [number, number] {
    const root = this.index.root(traceId);
    if (!root) return [now, 1];
    const end = root.span.endTime ?? now;
    return [root.span.startTime, Math.max(1, end - root.span.startTime)];
  }

  private toggle(key: string, traceId: string): void {
    if (this.collapsed.has(key)) this.collapsed.delete(key);
    else this.collapsed.add(key);
    this.rowCache.delete(traceId);
    this.layoutDirty = true;
    this.host.saveState();
    this.changed();
  }

  private select(spanId: string, keepOpen = false): void {
    this.selected = this.selected === spanId && !keepOpen ? undefined : spanId;
    if (this.selected) this.loadContent(this.selected);
    this.layoutDirty = true;
    this.host.saveState();
    this.changed();
  }

  private loadContent(spanId: string): void {
    const node = this.index.node(spanId);
    if (!node?.span.contentBytes || this.contents.has(spanId)) return;
    this.contents.set(spanId, { state: 'loading' });
    this.host.requestContent(node.span.traceId, spanId);
  }

  private focusRow(key: string): void {
    this.focusedKey = key;
    const scroller = this.list.scroller;
    scroller.setAttribute('aria-activedescendant', key.startsWith('run:') ? `row-run-${key.slice(4)}` : `row-span-${key.slice(5)}`);
    if (document.activeElement !== scroller) scroller.focus({ preventScroll: true });
    this.list.scrollToIndex(this.list.indexOfKey(key));
    this.changed();
  }

  /** Tree keys (WAI-ARIA tree pattern): arrows move and open/close, Enter opens the details, Home/End jump. */
  private onKey(event: KeyboardEvent): void {
    const index = this.focusedKey ? this.list.indexOfKey(this.focusedKey) : -1;
    const row = index >= 0 ? this.list.row(index) : undefined;
    const move = (from: number, step: number) => {
      for (let i = from + step; i >= 0 && i < this.list.length; i += step) {
        const next = this.list.row(i)!;
        if (next.kind !== 'details') return this.focusRow(next.key);
      }
    };
    switch (event.key) {
      case 'ArrowDown':
        move(index, 1);
        break;
      case 'ArrowUp':
        move(index < 0 ? this.list.length : index, -1);
        break;
      case 'Home':
        move(-1, 1);
        break;
      case 'End':
        move(this.list.length, -1);
        break;
      case 'ArrowRight':
        if (!row || row.kind === 'details') return;
        if (this.collapsed.has(row.kind === 'run' ? row.key : row.spanId)) this.toggle(row.kind === 'run' ? row.key : row.spanId, row.traceId);
        else move(index, 1);
        break;
      case 'ArrowLeft': {
        if (!row || row.kind === 'details') return;
        const key = row.kind === 'run' ? row.key : row.spanId;
        const open = row.kind === 'run' || row.hasChildren;
        if (open && !this.collapsed.has(key) && !isFiltering(this.filter)) this.toggle(key, row.traceId);
        else if (row.kind === 'span') {
          const parent = this.index.node(row.spanId)?.span.parentSpanId;
          this.focusRow(parent && this.index.node(parent) ? spanRowKey(parent) : runRowKey(row.traceId));
        }
        break;
      }
      case 'Enter':
      case ' ':
        if (row?.kind === 'span') this.select(row.spanId);
        else if (row?.kind === 'run') this.toggle(row.key, row.traceId);
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  private onTick(): void {
    this.tick++;
    // Only rows in view whose span runs have a stamp that holds the tick, so only they are redrawn.
    this.list.render();
    this.placeBars(Date.now());
  }

  private filterBar(): HTMLElement {
    const bar = el('div', 'filter-bar');
    this.search.type = 'search';
    this.search.placeholder = l10n.t('Search this trace (Ctrl+F)');
    this.search.setAttribute('aria-label', l10n.t('Search the spans shown'));
    this.search.addEventListener('input', () => this.setFilterText(this.search.value));
    this.search.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') this.nextMatch(event.shiftKey ? -1 : 1);
      if (event.key === 'Escape') this.setFilterText((this.search.value = ''));
    });
    const kinds = el('div', 'kinds');
    kinds.setAttribute('role', 'group');
    kinds.setAttribute('aria-label', l10n.t('Show only'));
    for (const { kind, label } of SPAN_KINDS) {
      const chip = el('button', 'chip', label);
      chip.type = 'button';
      chip.dataset.kind = kind;
      chip.setAttribute('aria-pressed', String(this.kinds.has(kind)));
      chip.addEventListener('click', () => {
        if (this.kinds.has(kind)) this.kinds.delete(kind);
        else this.kinds.add(kind);
        chip.setAttribute('aria-pressed', String(this.kinds.has(kind)));
        this.refilter();
      });
      kinds.append(chip);
    }
    bar.append(this.search, this.matchCount, kinds);
    return bar;
  }

  private setFilterText(text: string): void {
    this.filter = { kinds: this.kinds, text };
    this.refilter();
  }

  private refilter(): void {
    this.filter = { kinds: this.kinds, text: this.filter.text };
    this.rowCache.clear();
    this.layoutDirty = true;
    this.host.saveState();
    this.changed();
  }

  /** Enter in the search box: the next matching span gets focus and is scrolled into view. */
  private nextMatch(step: number): void {
    if (!isFiltering(this.filter)) return;
    this.frame();
    const from = this.focusedKey ? this.list.indexOfKey(this.focusedKey) : -1;
    const n = this.list.length;
    for (let k = 1; k <= n; k++) {
      const i = (((from + step * k) % n) + n) % n;
      const row = this.list.row(i)!;
      if (row.kind === 'span' && row.match) {
        this.focusedKey = row.key;
        this.list.scrollToIndex(i);
        this.changed();
        return;
      }
    }
  }
}
