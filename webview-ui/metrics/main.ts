/**
 * The Metrics view: a window selector, tiles, small charts and tables per agent, model and tool, with the active
 * alerts above them. Built with DOM nodes and `textContent` only: agent, model and tool names come from settings,
 * models and MCP servers. It redraws when the extension sends a snapshot, never on a timer.
 */
import type { ActiveAlert, FromMetricsView, MetricsRow, MetricsSnapshot, MetricsWindow, ToMetricsView } from '../../protocol/metrics';
import { METRICS_WINDOWS } from '../../protocol/metrics';
import { COLORS, SmallChart, type ChartSpec } from './charts';
import { formatCount, formatMs, formatPercent, formatUsd, WINDOW_LABELS, WINDOW_NAMES } from './format';

interface VsCodeApi {
  postMessage(message: FromMetricsView): void;
  getState(): { window?: MetricsWindow } | undefined;
  setState(state: { window: MetricsWindow }): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('metrics')!;
let selected: MetricsWindow = vscode.getState()?.window ?? (app.dataset.window as MetricsWindow | undefined) ?? '24h';

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: { className?: string; text?: string; attrs?: Record<string, string> } = {}, children: Node[] = []): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

// --- The skeleton, built once; snapshots fill it in. ------------------------------------------------------------

const windowButtons = METRICS_WINDOWS.map((w) => {
  const button = element('button', { className: 'window', text: WINDOW_LABELS[w], attrs: { role: 'radio', 'data-window': w, title: `Metrics of ${WINDOW_NAMES[w]}` } });
  button.addEventListener('click', () => choose(w));
  return button;
});
const windowGroup = element('div', { className: 'windows', attrs: { role: 'radiogroup', 'aria-label': 'Time window' } }, windowButtons);
windowGroup.addEventListener('keydown', (event) => {
  const step = event.key === 'ArrowRight' || event.key === 'ArrowDown' ? 1 : event.key === 'ArrowLeft' || event.key === 'ArrowUp' ? -1 : 0;
  if (!step) return;
  event.preventDefault();
  const next = METRICS_WINDOWS[(METRICS_WINDOWS.indexOf(selected) + step + METRICS_WINDOWS.length) % METRICS_WINDOWS.length]!;
  choose(next);
  windowButtons[METRICS_WINDOWS.indexOf(next)]!.focus();
});
const refresh = element('button', { className: 'icon-button', attrs: { 'aria-label': 'Refresh metrics', title: 'Refresh' } }, [element('span', { className: 'codicon codicon-refresh' })]);
refresh.addEventListener('click', () => vscode.postMessage({ type: 'refresh' }));
const status = element('p', { className: 'status', attrs: { 'aria-live': 'polite' } });
const alertList = element('ul', { className: 'alerts', attrs: { role: 'alert', 'aria-label': 'Active alerts' } });
const tiles = element('section', { className: 'tiles', attrs: { 'aria-label': 'Summary' } });
const charts = element('section', { className: 'charts', attrs: { 'aria-label': 'Charts' } });
const tables = element('section', { className: 'tables' });
app.append(element('header', { className: 'metrics-toolbar' }, [windowGroup, refresh]), status, alertList, tiles, charts, tables);

const CHARTS: (ChartSpec & { summary: (s: MetricsSnapshot) => string })[] = [
  {
    title: 'Runs',
    series: [{ label: 'finished', color: COLORS.blue, bars: true, value: (b) => b.runs }, { label: 'failed', color: COLORS.red, bars: true, value: (b) => b.failedRuns }],
    format: (v) => formatCount(Math.round(v)),
    summary: (s) => `${s.tasks.finished} runs finished in ${WINDOW_NAMES[s.window]}, ${s.tasks.failed + s.tasks.interrupted} failed; busiest slice ${Math.max(0, ...s.buckets.map((b) => b.runs))} runs.`,
  },
  {
    title: 'Model call latency (p95)',
    series: [{ label: 'p95', color: COLORS.yellow, value: (b) => b.modelP95Ms }],
    format: (v) => formatMs(v),
    summary: (s) => `Model calls' p95 latency over ${WINDOW_NAMES[s.window]}: ${formatMs(s.latency.modelCall.p95Ms)}; highest slice ${formatMs(Math.max(0, ...s.buckets.map((b) => b.modelP95Ms ?? 0)))}.`,
  },
  {
    title: 'Cost',
    series: [{ label: 'USD', color: COLORS.green, bars: true, value: (b) => b.costUsd }],
    format: (v) => formatUsd(v),
    summary: (s) => `Models cost ${formatUsd(s.costUsd)} in ${WINDOW_NAMES[s.window]}, ${formatUsd(s.costPerTaskUsd)} per run.`,
  },
  {
    title: 'Tool calls',
    series: [{ label: 'calls', color: COLORS.purple, bars: true, value: (b) => b.toolCalls }],
    format: (v) => formatCount(Math.round(v)),
    summary: (s) => `Tools were called ${s.toolCalls.count} times in ${WINDOW_NAMES[s.window]}, ${s.toolCalls.errors} of them failed.`,
  },
];

const chartViews = CHARTS.map((spec) => {
  const canvas = element('div', { className: 'chart', attrs: { 'aria-hidden': 'true' } });
  const summary = element('p', { className: 'visually-hidden' });
  const figure = element('figure', { attrs: { role: 'group', 'aria-label': spec.title } }, [element('figcaption', { text: spec.title }), canvas, summary]);
  charts.append(figure);
  return { spec, chart: new SmallChart(canvas, spec), summary };
});
new ResizeObserver(() => chartViews.forEach((c) => c.chart.resize())).observe(charts);
// VS Code swaps the body's theme class; the charts read their colours again.
new MutationObserver(() => chartViews.forEach((c) => c.chart.rebuild())).observe(document.body, { attributes: true, attributeFilter: ['class'] });

// --- Rendering. ---------------------------------------------------------------------------------------------------

function choose(next: MetricsWindow): void {
  selected = next;
  vscode.setState({ window: selected });
  showWindow();
  vscode.postMessage({ type: 'window', window: selected });
}

function showWindow(): void {
  for (const button of windowButtons) {
    const checked = button.dataset.window === selected;
    button.setAttribute('aria-checked', String(checked));
    button.tabIndex = checked ? 0 : -1;
  }
}

function tile(label: string, value: string, detail: string, tone?: 'bad'): HTMLElement {
  return element('div', { className: `tile${tone ? ` ${tone}` : ''}`, attrs: { role: 'group', 'aria-label': `${label}: ${value}. ${detail}` } }, [
    element('span', { className: 'label', text: label }),
    element('span', { className: 'value', text: value }),
    element('span', { className: 'detail', text: detail }),
  ]);
}

function renderTiles(s: MetricsSnapshot): void {
  const failed = s.tasks.failed + s.tasks.interrupted;
  tiles.replaceChildren(
    tile('Completion rate', formatPercent(s.completionRate), `${s.tasks.succeeded} of ${s.tasks.finished} runs${s.tasks.running ? `, ${s.tasks.running} running` : ''}`),
    tile('Error rate', formatPercent(s.errorRate), `${failed} failed or interrupted`, failed > 0 ? 'bad' : undefined),
    tile('Run latency', `${formatMs(s.latency.run.p50Ms)} / ${formatMs(s.latency.run.p95Ms)}`, 'p50 / p95'),
    tile('Model calls', `${formatMs(s.latency.modelCall.p50Ms)} / ${formatMs(s.latency.modelCall.p95Ms)}`, `p50 / p95 of ${s.modelCalls.count} calls, ${s.modelCalls.errors} failed`),
    tile('Tool calls', formatCount(s.toolCalls.count), `${s.toolCalls.errors} failed; p95 ${formatMs(s.latency.toolCall.p95Ms)}`, s.toolCalls.errors > 0 ? 'bad' : undefined),
    tile('Cost per task', formatUsd(s.costPerTaskUsd), `${formatUsd(s.costUsd)} in all`),
    tile('Tokens', formatCount(s.tokens.input + s.tokens.output), `${formatCount(s.tokens.input)} in, ${formatCount(s.tokens.output)} out`),
  );
}

function renderTable(title: string, noun: string, rows: readonly MetricsRow[]): HTMLElement {
  const headers = [noun, 'Count', 'Errors', 'p50', 'p95', 'Cost', 'Tokens'];
  const head = element('thead', {}, [element('tr', {}, headers.map((h, i) => element('th', { text: h, attrs: { scope: 'col', ...(i > 0 ? { class: 'number' } : {}) } })))]);
  const body = element('tbody', {}, rows.map((row) => element('tr', {}, [
    element('th', { text: row.key, attrs: { scope: 'row', title: row.key } }),
    ...[formatCount(row.count), String(row.errors), formatMs(row.p50Ms), formatMs(row.p95Ms), formatUsd(row.costUsd), formatCount(row.inputTokens + row.outputTokens)]
      .map((text, i) => element('td', { text, className: i === 1 && row.errors > 0 ? 'number bad' : 'number' })),
  ])));
  if (rows.length === 0) body.append(element('tr', {}, [element('td', { text: `No ${noun.toLowerCase()} activity in this window.`, className: 'empty', attrs: { colspan: String(headers.length) } })]));
  return element('table', {}, [element('caption', { text: title }), head, body]);
}

function renderAlerts(alerts: readonly ActiveAlert[]): void {
  alertList.replaceChildren(...alerts.map((alert) => element('li', {}, [element('span', { className: 'codicon codicon-warning', attrs: { 'aria-hidden': 'true' } }), element('span', { text: alert.message })])));
  alertList.hidden = alerts.length === 0;
}

function render(message: ToMetricsView): void {
  if (message.type === 'unavailable') {
    status.textContent = message.message;
    app.dataset.state = 'unavailable';
    return;
  }
  const { snapshot, alerts } = message;
  // A snapshot for a window the user has since left is dropped; the next one is on its way.
  if (snapshot.window !== selected) return;
  app.dataset.state = 'ready';
  status.textContent = snapshot.loadingHistory ? 'Reading past runs from the trace store…' : `Metrics of ${WINDOW_NAMES[snapshot.window]}, as of ${new Date(snapshot.to).toLocaleTimeString()}.`;
  renderAlerts(alerts);
  renderTiles(snapshot);
  for (const view of chartViews) {
    view.chart.update(snapshot.buckets);
    view.summary.textContent = view.spec.summary(snapshot);
  }
  tables.replaceChildren(renderTable('By agent', 'Agent', snapshot.byAgent), renderTable('By model', 'Model', snapshot.byModel), renderTable('By tool', 'Tool', snapshot.byTool));
}

showWindow();
renderAlerts([]);
addEventListener('message', (event: MessageEvent<ToMetricsView>) => render(event.data));
vscode.postMessage({ type: 'ready', window: selected });
