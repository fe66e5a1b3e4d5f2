/**
 * The rows the virtualized list shows for one trace: a run header, then its spans depth first. Iterative, so a
 * hostile trace nested ten thousand levels deep costs a loop rather than the stack.
 */
import { isFiltering, matches, type ViewFilter } from './filters';
import type { TraceIndex } from './traceIndex';

export type Row =
  | { readonly kind: 'run'; readonly key: string; readonly traceId: string }
  | {
      readonly kind: 'span';
      readonly key: string;
      readonly spanId: string;
      readonly traceId: string;
      readonly depth: number;
      readonly hasChildren: boolean;
      /** False for an ancestor shown only because something below it matches the filter. */
      readonly match: boolean;
    }
  | { readonly kind: 'details'; readonly key: string; readonly spanId: string };

export function runRowKey(traceId: string): string {
  return `run:${traceId}`;
}

export function spanRowKey(spanId: string): string {
  return `span:${spanId}`;
}

/**
 * `collapsed` holds span ids and run keys. While a filter is set every path to a match is shown open, as a search
 * result list would be; collapsing applies again once the filter is cleared.
 */
export function traceRows(index: TraceIndex, traceId: string, collapsed: ReadonlySet<string>, filter: ViewFilter): Row[] {
  const filtering = isFiltering(filter);
  const shown = filtering ? matchingPaths(index, traceId, filter) : undefined;
  const rows: Row[] = [{ kind: 'run', key: runRowKey(traceId), traceId }];
  if (collapsed.has(runRowKey(traceId)) && !filtering) return rows;
  if (shown && shown.size === 0) return rows;
  const stack: [string, number][] = [];
  const roots = index.rootsOf(traceId);
  for (let i = roots.length - 1; i >= 0; i--) stack.push([roots[i]!, 0]);
  while (stack.length > 0) {
    const [spanId, depth] = stack.pop()!;
    if (shown && !shown.has(spanId)) continue;
    const node = index.node(spanId);
    if (!node) continue;
    const kids = index.childrenOf(spanId);
    rows.push({ kind: 'span', key: spanRowKey(spanId), spanId, traceId, depth, hasChildren: kids.length > 0, match: shown ? matches(node.span, filter) : true });
    if (collapsed.has(spanId) && !filtering) continue;
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, depth + 1]);
  }
  return rows;
}

/**
 * Adds the rows of spans inserted since `rows` were laid out, when each lands at the very end of the trace in
 * depth-first order, as a streaming run's newest span does: a new span costs its own row, not a new layout.
 * Returns false when one does not (or a filter is set), and the trace must be laid out again.
 */
export function appendRows(index: TraceIndex, traceId: string, rows: Row[], inserted: readonly string[], collapsed: ReadonlySet<string>, filter: ViewFilter): boolean {
  if (isFiltering(filter) || collapsed.has(runRowKey(traceId))) return false;
  for (const spanId of inserted) {
    if (!index.node(spanId)) return false;
    const chain = index.ancestors(spanId);
    // The last child of the last child … of the last root, under open spans only.
    let child = spanId;
    for (const ancestor of chain) {
      const kids = index.childrenOf(ancestor.span.spanId);
      if (collapsed.has(ancestor.span.spanId) || kids[kids.length - 1] !== child) return false;
      child = ancestor.span.spanId;
    }
    const roots = index.rootsOf(traceId);
    if (roots[roots.length - 1] !== child) return false;
    const parentId = chain[0]?.span.spanId;
    if (parentId !== undefined && index.childrenOf(parentId).length === 1) {
      // Its parent had no children, so it was the last row; now it can open.
      const last = rows[rows.length - 1];
      if (last?.kind !== 'span' || last.spanId !== parentId) return false;
      rows[rows.length - 1] = { ...last, hasChildren: true };
    }
    rows.push({ kind: 'span', key: spanRowKey(spanId), spanId, traceId, depth: chain.length, hasChildren: false, match: true });
  }
  return true;
}

/** The spans that match and all their ancestors. */
function matchingPaths(index: TraceIndex, traceId: string, filter: ViewFilter): Set<string> {
  const shown = new Set<string>();
  for (const spanId of index.spanIdsOf(traceId)) {
    const node = index.node(spanId);
    if (!node || shown.has(spanId) || !matches(node.span, filter)) continue;
    shown.add(spanId);
    for (const ancestor of index.ancestors(spanId)) {
      if (shown.has(ancestor.span.spanId)) break;
      shown.add(ancestor.span.spanId);
    }
  }
  return shown;
}
