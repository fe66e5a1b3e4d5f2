/** How one row of the trace list looks: a run header (titled by its goal) or a span with its timing bar. */
import * as l10n from '@vscode/l10n';
import type { RunResult } from '../../protocol/run';
import { spanDurationMs, type SpanData } from '../../protocol/trace';
import { formatDuration } from '../duration';
import { runTitle, statusLabel, usageText } from '../model/labels';
import type { SpanNode } from '../model/traceIndex';
import { el, iconButton } from './dom';

export const ROW_HEIGHT = 22;
export const RUN_HEIGHT = 42;
const INDENT_PX = 12;

const STATUS_ICON: Record<SpanData['status'], string> = {
  running: 'codicon-loading codicon-modifier-spin',
  ok: 'codicon-pass',
  error: 'codicon-error',
  cancelled: 'codicon-circle-slash',
};

export interface RowState {
  readonly expanded: boolean;
  readonly selected: boolean;
  readonly focused: boolean;
}

export function drawSpanRow(element: HTMLElement, node: SpanNode, depth: number, hasChildren: boolean, match: boolean, state: RowState, now: number, onToggle: () => void): void {
  const { span } = node;
  element.className = `row span status-${span.status}${state.selected ? ' selected' : ''}${state.focused ? ' focused' : ''}${match ? '' : ' context'}`;
  element.id = `row-span-${span.spanId}`;
  element.setAttribute('role', 'treeitem');
  element.setAttribute('aria-level', String(depth + 2));
  element.setAttribute('aria-selected', String(state.selected));
  if (hasChildren) element.setAttribute('aria-expanded', String(state.expanded));
  else element.removeAttribute('aria-expanded');
  element.setAttribute('aria-label', `${span.name}, ${statusLabel(span.status)}, ${formatDuration(spanDurationMs(span, now))}`);
  element.dataset.spanId = span.spanId;
  element.dataset.status = span.status;
  element.dataset.operation = span.operation;
  element.style.setProperty('--depth', `${depth * INDENT_PX}px`);

  const twistie = el('span', `twistie codicon ${hasChildren ? (state.expanded ? 'codicon-chevron-down' : 'codicon-chevron-right') : ''}`);
  if (hasChildren) {
    twistie.addEventListener('click', (event) => {
      event.stopPropagation();
      onToggle();
    });
  }
  const icon = el('span', `status codicon ${STATUS_ICON[span.status]}`);
  icon.title = statusLabel(span.status);
  const name = el('span', 'name', span.name);
  name.title = span.statusMessage ? `${span.name}\n${span.statusMessage}` : span.name;
  const meta = el('span', 'meta', spanMeta(node, now));
  const rolled = node.total.spans > 1 ? usageText(node.total) : '';
  if (rolled && rolled !== usageText(node.own)) meta.title = l10n.t('With everything below it: {0}', rolled);
  const bar = el('span', 'bar');
  bar.append(el('span', 'fill'));
  element.replaceChildren(twistie, icon, name, meta, bar);
}

/** Duration, then the span's usage, or its subtree's when it has none of its own (an agent, a run). */
function spanMeta(node: SpanNode, now: number): string {
  const usage = usageText(node.own) || (node.total.spans > 1 ? usageText(node.total) : '');
  return [formatDuration(spanDurationMs(node.span, now)), usage].filter(Boolean).join(' · ');
}

export interface RunActions {
  toggle(): void;
  openInPanel?(): void;
}

export function drawRunRow(element: HTMLElement, traceId: string, root: SpanNode | undefined, result: RunResult | undefined, state: RowState, now: number, actions: RunActions): void {
  const outcome = result?.outcome ?? (root?.span.status === 'running' ? 'running' : root?.span.status ?? 'running');
  element.className = `row run-header outcome-${outcome}${state.focused ? ' focused' : ''}`;
  element.id = `row-run-${traceId}`;
  element.setAttribute('role', 'treeitem');
  element.setAttribute('aria-level', '1');
  element.setAttribute('aria-expanded', String(state.expanded));
  element.dataset.traceId = traceId;
  const title = runTitle(root?.span);
  element.setAttribute('aria-label', l10n.t('Run: {0}, {1}', title, statusLabel(outcome)));

  const twistie = el('span', `twistie codicon ${state.expanded ? 'codicon-chevron-down' : 'codicon-chevron-right'}`);
  twistie.addEventListener('click', (event) => {
    event.stopPropagation();
    actions.toggle();
  });
  const name = el('span', 'name run-title', title);
  name.title = title;
  const line = el('div', 'run-line');
  line.append(twistie, name);
  if (actions.openInPanel) line.append(iconButton('codicon-link-external', l10n.t('Open this run in an editor tab'), actions.openInPanel));
  const figures = root ? [formatDuration(spanDurationMs(root.span, now)), usageText(root.total), l10n.t('{0} spans', root.total.spans)].filter(Boolean).join(' · ') : '';
  const summary = el('div', 'run-result');
  summary.dataset.outcome = outcome;
  const message = result?.message ?? root?.span.statusMessage ?? '';
  const text = el('span', 'message', message);
  text.title = message;
  summary.append(el('span', 'outcome', statusLabel(outcome)), el('span', 'figures', figures), text);
  element.replaceChildren(line, summary);
}

/** Places a span's bar within its run's time window; called for rows in view whenever the window moves. */
export function placeBar(element: HTMLElement, span: SpanData, windowStart: number, windowMs: number, now: number): void {
  const fill = element.querySelector<HTMLElement>('.fill');
  if (!fill) return;
  const left = `${Math.min(100, Math.max(0, ((span.startTime - windowStart) / windowMs) * 100)).toFixed(2)}%`;
  const width = `${Math.max(0.5, Math.min(100, (spanDurationMs(span, now) / windowMs) * 100)).toFixed(2)}%`;
  if (fill.style.marginLeft !== left) fill.style.marginLeft = left;
  if (fill.style.width !== width) fill.style.width = width;
}
