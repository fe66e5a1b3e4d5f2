/**
 * The viewer's spans, indexed for incremental updates: each span's children in start order, each trace's roots,
 * and per-node totals rolled up over the subtree. A span snapshot costs its own insert plus a walk up its ancestors;
 * nothing is rebuilt from scratch. Pure: no DOM, so it runs in mocha and in the benchmarks.
 */
import type { SpanData } from '../../protocol/trace';

/** Totals over a span and everything below it. */
export interface Rollup {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  spans: number;
  errors: number;
}

export interface SpanNode {
  span: SpanData;
  /** Bumped when the span or its rollup changes, so a view knows which rendered rows are stale. */
  rev: number;
  readonly own: Rollup;
  readonly total: Rollup;
}

const ZERO: Rollup = { inputTokens: 0, outputTokens: 0, costUsd: 0, spans: 0, errors: 0 };

export class TraceIndex {
  private readonly nodes = new Map<string, SpanNode>();
  /** Child span ids by parent span id, sorted by start time; kept for parents not (yet) seen too. */
  private readonly children = new Map<string, string[]>();
  private readonly byTrace = new Map<string, Set<string>>();
  private readonly rootsByTrace = new Map<string, string[]>();
  /** Traces whose shape (not only a span's values) changed since the last `takeChanges`. */
  private structureChanged = new Set<string>();
  private valuesChanged = new Set<string>();
  /** Per trace whose shape changed: the spans inserted, in order, or null when something else changed it too. */
  private inserted = new Map<string, string[] | null>();

  get size(): number {
    return this.nodes.size;
  }

  node(spanId: string): SpanNode | undefined {
    return this.nodes.get(spanId);
  }

  childrenOf(spanId: string): readonly string[] {
    return this.children.get(spanId) ?? [];
  }

  rootsOf(traceId: string): readonly string[] {
    return this.rootsByTrace.get(traceId) ?? [];
  }

  spanIdsOf(traceId: string): ReadonlySet<string> {
    return this.byTrace.get(traceId) ?? new Set();
  }

  /** Trace ids, newest run first. */
  traceIds(): string[] {
    const start = (traceId: string) => this.nodes.get(this.rootsOf(traceId)[0] ?? '')?.span.startTime ?? 0;
    return [...this.rootsByTrace.keys()].sort((a, b) => start(b) - start(a));
  }

  /** The root span of a trace: the one without a parent, or the earliest orphan while its parent is missing. */
  root(traceId: string): SpanNode | undefined {
    return this.nodes.get(this.rootsOf(traceId)[0] ?? '');
  }

  upsert(span: SpanData): void {
    const existing = this.nodes.get(span.spanId);
    if (existing) {
      const before = { ...existing.own };
      if (existing.span.startTime !== span.startTime || existing.span.parentSpanId !== span.parentSpanId) {
        // Rare (a span's snapshots keep their start and parent): treat it as a remove and an insert.
        this.remove(span.spanId);
        this.insert(span);
        return;
      }
      existing.span = span;
      setOwn(existing.own, span);
      existing.rev++;
      this.addToAncestors(span, diff(existing.own, before), true);
      this.valuesChanged.add(span.traceId);
      return;
    }
    this.insert(span);
  }

  forget(traceId: string): void {
    for (const spanId of this.byTrace.get(traceId) ?? []) {
      const node = this.nodes.get(spanId)!;
      this.nodes.delete(spanId);
      this.children.delete(spanId);
      const parent = node.span.parentSpanId;
      if (parent && !this.nodes.has(parent)) this.children.delete(parent);
    }
    this.byTrace.delete(traceId);
    this.rootsByTrace.delete(traceId);
    this.reshaped(traceId);
  }

  clear(): void {
    for (const traceId of this.byTrace.keys()) this.reshaped(traceId);
    this.nodes.clear();
    this.children.clear();
    this.byTrace.clear();
    this.rootsByTrace.clear();
  }

  /** Traces whose rows must be laid out again, and traces with changed values only, since the last call. */
  takeChanges(): { structure: Set<string>; values: Set<string>; inserted: Map<string, string[] | null> } {
    const changes = { structure: this.structureChanged, values: this.valuesChanged, inserted: this.inserted };
    this.structureChanged = new Set();
    this.valuesChanged = new Set();
    this.inserted = new Map();
    return changes;
  }

  /** The trace changed shape other than by spans inserted without children waiting for them. */
  private reshaped(traceId: string): void {
    this.structureChanged.add(traceId);
    this.inserted.set(traceId, null);
  }

  /** The span's ancestors present in the index, nearest first. */
  ancestors(spanId: string): SpanNode[] {
    const found: SpanNode[] = [];
    const seen = new Set<string>([spanId]);
    let parentId = this.nodes.get(spanId)?.span.parentSpanId;
    while (parentId && !seen.has(parentId)) {
      const parent = this.nodes.get(parentId);
      if (!parent) break;
      found.push(parent);
      seen.add(parentId);
      parentId = parent.span.parentSpanId;
    }
    return found;
  }

  private insert(span: SpanData): void {
    const own = { ...ZERO };
    setOwn(own, span);
    const total = { ...own };
    // Children that arrived before their parent already count towards it now.
    for (const childId of this.children.get(span.spanId) ?? []) {
      const child = this.nodes.get(childId);
      if (child) add(total, child.total, 1);
    }
    this.nodes.set(span.spanId, { span, rev: 0, own, total });
    let ids = this.byTrace.get(span.traceId);
    if (!ids) this.byTrace.set(span.traceId, (ids = new Set()));
    ids.add(span.spanId);
    // Its children were roots of the trace until now.
    if (this.children.has(span.spanId)) this.setRoots(span.traceId, this.rootsOf(span.traceId).filter((id) => this.nodes.get(id)?.span.parentSpanId !== span.spanId));
    if (span.parentSpanId && span.parentSpanId !== span.spanId) {
      let siblings = this.children.get(span.parentSpanId);
      if (!siblings) this.children.set(span.parentSpanId, (siblings = []));
      insertSorted(siblings, span.spanId, this.startOf);
    }
    if (!span.parentSpanId || !this.nodes.has(span.parentSpanId) || span.parentSpanId === span.spanId) {
      const roots = [...this.rootsOf(span.traceId)];
      insertSorted(roots, span.spanId, this.startOf);
      this.setRoots(span.traceId, roots);
    }
    this.addToAncestors(span, total, false);
    this.structureChanged.add(span.traceId);
    const list = this.inserted.get(span.traceId);
    if (this.children.get(span.spanId)?.length) this.inserted.set(span.traceId, null);
    else if (list === undefined) this.inserted.set(span.traceId, [span.spanId]);
    else list?.push(span.spanId);
  }

  private remove(spanId: string): void {
    const node = this.nodes.get(spanId);
    if (!node) return;
    const { span } = node;
    this.addToAncestors(span, scale(node.total, -1), true);
    this.nodes.delete(spanId);
    this.byTrace.get(span.traceId)?.delete(spanId);
    if (span.parentSpanId) {
      const siblings = this.children.get(span.parentSpanId);
      if (siblings) siblings.splice(siblings.indexOf(spanId), 1);
    }
    const roots = this.rootsOf(span.traceId).filter((id) => id !== spanId);
    // Its children become roots until it comes back.
    for (const childId of this.children.get(spanId) ?? []) if (this.nodes.has(childId)) insertSorted(roots, childId, this.startOf);
    this.setRoots(span.traceId, roots);
    this.reshaped(span.traceId);
  }

  private setRoots(traceId: string, roots: string[]): void {
    if (roots.length > 0 || this.byTrace.get(traceId)?.size) this.rootsByTrace.set(traceId, roots);
    else this.rootsByTrace.delete(traceId);
  }

  /** Walks up the parent links without allocating; the hop limit guards against a cycle of hostile parent ids. */
  private addToAncestors(span: SpanData, delta: Rollup, includeSelf: boolean): void {
    if (includeSelf) {
      const self = this.nodes.get(span.spanId);
      if (self) add(self.total, delta, 1);
    }
    let parentId = span.parentSpanId;
    for (let hops = 0; parentId && parentId !== span.spanId && hops < this.nodes.size; hops++) {
      const ancestor = this.nodes.get(parentId);
      if (!ancestor) break;
      add(ancestor.total, delta, 1);
      ancestor.rev++;
      parentId = ancestor.span.parentSpanId;
    }
  }

  private readonly startOf = (spanId: string): [number, string] => [this.nodes.get(spanId)?.span.startTime ?? 0, spanId];
}

function setOwn(own: Rollup, span: SpanData): void {
  const a = span.attributes;
  own.inputTokens = finite(a['gen_ai.usage.input_tokens']);
  own.outputTokens = finite(a['gen_ai.usage.output_tokens']);
  own.costUsd = finite(a['keel.cost.usd']);
  own.spans = 1;
  own.errors = span.status === 'error' ? 1 : 0;
}

function finite(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

function add(target: Rollup, delta: Rollup, sign: number): void {
  target.inputTokens += sign * delta.inputTokens;
  target.outputTokens += sign * delta.outputTokens;
  target.costUsd += sign * delta.costUsd;
  target.spans += sign * delta.spans;
  target.errors += sign * delta.errors;
}

function diff(after: Rollup, before: Rollup): Rollup {
  const d = { ...after };
  add(d, before, -1);
  return d;
}

function scale(r: Rollup, sign: number): Rollup {
  const d = { ...ZERO };
  add(d, r, sign);
  return d;
}

/** Inserts by (start time, id) with a binary search: a reset's spans may come in any order. */
function insertSorted(list: string[], id: string, key: (id: string) => [number, string]): void {
  const [start] = key(id);
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const [s, other] = key(list[mid]!);
    if (s < start || (s === start && other < id)) low = mid + 1;
    else high = mid;
  }
  list.splice(low, 0, id);
}
