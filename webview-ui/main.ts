/**
 * The trace viewer: one collapsible tree per run, newest first, with status, duration, tokens and a timing bar
 * per span, and the selected span's attributes below. Everything is built with DOM nodes and textContent:
 * span names and attributes come from models and tools and must never be parsed as HTML.
 */
import type { RunResult } from '../protocol/run';
import { spanDurationMs, type SpanData } from '../protocol/trace';
import type { FromWebview, ToWebview } from '../protocol/webview';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): ViewState | undefined;
  setState(state: ViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface ViewState {
  collapsed: string[];
  selected?: string;
}

const vscode = acquireVsCodeApi();
const spans = new Map<string, SpanData>();
const runs = new Map<string, RunResult>();
const state: ViewState = vscode.getState() ?? { collapsed: [] };
const app = document.getElementById('app')!;

const STATUS_ICON: Record<SpanData['status'], string> = {
  running: 'codicon-loading codicon-modifier-spin',
  ok: 'codicon-pass',
  error: 'codicon-error',
  cancelled: 'codicon-circle-slash',
};

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  switch (message.type) {
    case 'reset':
      spans.clear();
      runs.clear();
      for (const span of message.spans) spans.set(span.spanId, span);
      for (const run of message.runs) runs.set(run.runId, run);
      break;
    case 'span':
      spans.set(message.span.spanId, message.span);
      break;
    case 'runFinished':
      runs.set(message.result.runId, message.result);
      break;
  }
  render();
});

// Running spans show a growing duration.
setInterval(() => {
  if ([...spans.values()].some((s) => s.status === 'running')) render();
}, 500);

function render(): void {
  const now = Date.now();
  app.replaceChildren(toolbar());
  const all = [...spans.values()];
  const ids = new Set(all.map((s) => s.spanId));
  const roots = all.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId)).sort((a, b) => b.startTime - a.startTime);
  if (roots.length === 0) {
    app.append(emptyState());
    return;
  }
  const children = new Map<string, SpanData[]>();
  for (const span of all) {
    if (!span.parentSpanId || !ids.has(span.parentSpanId)) continue;
    const list = children.get(span.parentSpanId) ?? [];
    list.push(span);
    children.set(span.parentSpanId, list);
  }
  for (const list of children.values()) list.sort((a, b) => a.startTime - b.startTime);
  const tree = el('div', 'tree');
  tree.setAttribute('role', 'tree');
  for (const root of roots) {
    const run = runOf(root);
    const section = el('section', 'trace');
    section.dataset.traceId = root.traceId;
    appendRows(section, root, children, 0, { start: root.startTime, duration: Math.max(1, spanDurationMs(root, now)) }, now);
    if (run) section.append(runSummary(run));
    tree.append(section);
  }
  app.append(tree);
  const selected = state.selected ? spans.get(state.selected) : undefined;
  if (selected) app.append(details(selected, now));
}

function appendRows(parent: HTMLElement, span: SpanData, children: Map<string, SpanData[]>, depth: number, window: { start: number; duration: number }, now: number): void {
  const kids = children.get(span.spanId) ?? [];
  const collapsed = state.collapsed.includes(span.spanId);
  const row = el('div', `row status-${span.status}${state.selected === span.spanId ? ' selected' : ''}`);
  row.setAttribute('role', 'treeitem');
  row.setAttribute('aria-level', String(depth + 1));
  row.tabIndex = 0;
  row.dataset.spanId = span.spanId;
  row.dataset.status = span.status;
  row.dataset.operation = span.operation;
  if (kids.length > 0) row.setAttribute('aria-expanded', String(!collapsed));
  row.style.paddingLeft = `${depth * 14 + 4}px`;

  const twistie = el('span', `twistie codicon ${kids.length === 0 ? '' : collapsed ? 'codicon-chevron-right' : 'codicon-chevron-down'}`);
  twistie.addEventListener('click', (event) => {
    event.stopPropagation();
    toggle(span.spanId);
  });
  const icon = el('span', `status codicon ${STATUS_ICON[span.status]}`);
  icon.title = span.status;
  const name = el('span', 'name', span.name);
  name.title = span.statusMessage ? `${span.name}\n${span.statusMessage}` : span.name;
  const meta = el('span', 'meta', metaText(span, now));
  const bar = el('span', 'bar');
  const fill = el('span', 'fill');
  fill.style.marginLeft = `${Math.min(100, ((span.startTime - window.start) / window.duration) * 100)}%`;
  fill.style.width = `${Math.max(1, Math.min(100, (spanDurationMs(span, now) / window.duration) * 100))}%`;
  bar.append(fill);
  row.append(twistie, icon, name, meta, bar);
  row.addEventListener('click', () => select(span.spanId));
  row.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') select(span.spanId);
    if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') toggle(span.spanId);
  });
  parent.append(row);
  if (!collapsed) for (const kid of kids) appendRows(parent, kid, children, depth + 1, window, now);
}

function metaText(span: SpanData, now: number): string {
  const parts = [formatDuration(spanDurationMs(span, now))];
  const input = span.attributes['gen_ai.usage.input_tokens'];
  const output = span.attributes['gen_ai.usage.output_tokens'];
  if (typeof input === 'number' && typeof output === 'number') parts.push(`${input}→${output} tok`);
  const cost = span.attributes['keel.cost.usd'];
  if (typeof cost === 'number' && cost > 0) parts.push(`$${cost < 0.01 ? cost.toFixed(4) : cost.toFixed(2)}`);
  return parts.join(' · ');
}

function runSummary(run: RunResult): HTMLElement {
  const summary = el('div', `run-result outcome-${run.outcome}`);
  summary.dataset.outcome = run.outcome;
  summary.append(el('span', 'outcome', run.outcome), el('span', 'message', run.message));
  return summary;
}

function details(span: SpanData, now: number): HTMLElement {
  const panel = el('div', 'details');
  panel.append(el('h3', '', span.name));
  const table = el('dl', '');
  const rows: [string, string][] = [
    ['status', span.status + (span.statusMessage ? ` — ${span.statusMessage}` : '')],
    ['duration', formatDuration(spanDurationMs(span, now))],
    ['started', new Date(span.startTime).toLocaleTimeString()],
    ...Object.entries(span.attributes).map(([k, v]) => [k, String(v)] as [string, string]),
  ];
  for (const [key, value] of rows) table.append(el('dt', '', key), el('dd', '', value));
  panel.append(table);
  return panel;
}

function toolbar(): HTMLElement {
  const bar = el('div', 'toolbar');
  bar.append(button('codicon-play', 'Run agent task', { type: 'runTask' }), button('codicon-clear-all', 'Clear traces', { type: 'clear' }));
  return bar;
}

function emptyState(): HTMLElement {
  const empty = el('div', 'empty');
  empty.append(el('p', '', 'No runs yet. Start one with “Keel: Run Agent Task…” from the Command Palette, or here.'));
  const start = el('button', 'primary', 'Run Agent Task…');
  start.addEventListener('click', () => vscode.postMessage({ type: 'runTask' }));
  empty.append(start);
  return empty;
}

function button(iconClass: string, label: string, message: FromWebview): HTMLElement {
  const b = el('button', 'icon-button');
  b.title = label;
  b.setAttribute('aria-label', label);
  b.append(el('span', `codicon ${iconClass}`));
  b.addEventListener('click', () => vscode.postMessage(message));
  return b;
}

function runOf(root: SpanData): RunResult | undefined {
  const runId = root.attributes['keel.run.id'];
  return typeof runId === 'string' ? runs.get(runId) : undefined;
}

function toggle(spanId: string): void {
  state.collapsed = state.collapsed.includes(spanId) ? state.collapsed.filter((id) => id !== spanId) : [...state.collapsed, spanId];
  save();
}

function select(spanId: string): void {
  state.selected = state.selected === spanId ? undefined : spanId;
  save();
}

function save(): void {
  vscode.setState(state);
  render();
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

vscode.postMessage({ type: 'ready' });
render();
