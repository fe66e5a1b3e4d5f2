/**
 * The Metrics view: a window selector, tiles, small charts and tables per agent, model and tool, with the active
 * alerts above them. Built with DOM nodes and `textContent` only: agent, model and tool names come from settings,
 * models and MCP servers. It redraws when the extension sends a snapshot, never on a timer.
 */
// First: the page's translations are loaded before anything below builds a label.
import '../l10n';
import * as l10n from '@vscode/l10n';
import type { ActiveAlert, FromMetricsView, MetricsRow, MetricsSnapshot, MetricsWindow, ToMetricsView } from '../../protocol/metrics';
import { METRICS_WINDOWS } from '../../protocol/metrics';
import { COLORS, SmallChart, type ChartSpec } from './charts';
import { formatCount, formatMs, formatPercent, formatUsd, windowLabel, windowName } from './format';

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
  const button = element('button', { className: 'window', text: windowLabel(w), attrs: { role: 'radio', 'data-window': w, title: l10n.t('Metrics of {0}', windowName(w)) } });
  button.addEventListener('click', () => choose(w));
  return button;
});
const windowGroup = element('div', { className: 'windows', attrs: { role: 'radiogroup', 'aria-label': l10n.t('Time window') } }, windowButtons);
windowGroup.addEventListener('keydown', (event) => {
  const step = event.key === 'ArrowRight' || event.key === 'ArrowDown' ? 1 : event.key === 'ArrowLeft' || event.key === 'ArrowUp' ? -1 : 0;
  if (!step) return;
  event.preventDefault();
  const next = METRICS_WINDOWS[(METRICS_WINDOWS.indexOf(selected) + step + METRICS_WINDOWS.length) % METRICS_WINDOWS.length]!;
  choose(next);
  windowButtons[METRICS_WINDOWS.indexOf(next)]!.focus();
});
const refresh = element('button', { className: 'icon-button', attrs: { 'aria-label': l10n.t('Refresh metrics'), title: l10n.t('Refresh') } }, [element('span', { className: 'codicon codicon-refresh' })]);
refresh.addEventListener('click', () => vscode.postMessage({ type: 'refresh' }));
const status = element('p', { className: 'status', attrs: { 'aria-live': 'polite' } });
const alertList = element('ul', { className: 'alerts', attrs: { role: 'alert', 'aria-label': l10n.t('Active alerts') } });
const tiles = element('section', { className: 'tiles', attrs: { 'aria-label': l10n.t('Summary') } });
const charts = element('section', { className: 'charts', attrs: { 'aria-label': l10n.t('Charts') } });
const tables = element('section', { className: 'tables' });
app.append(element('header', { className: 'metrics-toolbar' }, [windowGroup, refresh]), status, alertList, tiles, charts, tables);

const CHARTS: (ChartSpec & { summary: (s: MetricsSnapshot) => string })[] = [
  {
    title: l10n.t('Runs'),
    series: [{ label: l10n.t('finished'), color: COLORS.blue, bars: true, value: (b) => b.runs }, { label: l10n.t('failed'), color: COLORS.red, bars: true, value: (b) => b.failedRuns }],
    format: (v) => formatCount(Math.round(v)),
    summary: (s) => l10n.t('{0} runs finished in {1}, {2} failed; busiest slice {3} runs.', s.tasks.finished, windowName(s.window), s.tasks.failed + s.tasks.interrupted, Math.max(0, ...s.buckets.map((b) => b.runs))),
  },
  {
    title: l10n.t('Model call latency (p95)'),
    series: [{ label: 'p95', color: COLORS.yellow, value: (b) => b.modelP95Ms }],
    format: (v) => formatMs(v),
    summary: (s) => l10n.t('Model calls\' p95 latency over {0}: {1}; highest slice {2}.', windowName(s.window), formatMs(s.latency.modelCall.p95Ms), formatMs(Math.max(0, ...s.buckets.map((b) => b.modelP95Ms ?? 0)))),
  },
  {
    title: l10n.t('Cost'),
    series: [{ label: 'USD', color: COLORS.green, bars: true, value: (b) => b.costUsd }],
    format: (v) => formatUsd(v),
    summary: (s) => l10n.t('Models cost {0} in {1}, {2} per run.', formatUsd(s.costUsd), windowName(s.window), formatUsd(s.costPerTaskUsd)),
  },
  {
    title: l10n.t('Tool calls'),
    series: [{ label: l10n.t('calls'), color: COLORS.purple, bars: true, value: (b) => b.toolCalls }],
    format: (v) => formatCount(Math.round(v)),
    summary: (s) => l10n.t('Tools were called {0} times in {1}, {2} of them failed.', s.toolCalls.count, windowName(s.window), s.toolCalls.errors),
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
  return element('div', { className: `tile${tone ? ` ${tone}` : ''}`, attrs: { role: 'group', 'aria-label': l10n.t('{0}: {1}. {2}', label, value, detail) } }, [
    element('span', { className: 'label', text: label }),
    element('span', { className: 'value', text: value }),
    element('span', { className: 'detail', text: detail }),
  ]);
}

function renderTiles(s: MetricsSnapshot): void {
  const failed = s.tasks.failed + s.tasks.interrupted;
  tiles.replaceChildren(
    tile(l10n.t('Completion rate'), formatPercent(s.completionRate), s.tasks.running ? l10n.t('{0} of {1} runs, {2} running', s.tasks.succeeded, s.tasks.finished, s.tasks.running) : l10n.t('{0} of {1} runs', s.tasks.succeeded, s.tasks.finished)),
    tile(l10n.t('Error rate'), formatPercent(s.errorRate), l10n.t('{0} failed or interrupted', failed), failed > 0 ? 'bad' : undefined),
    tile(l10n.t('Run latency'), `${formatMs(s.latency.run.p50Ms)} / ${formatMs(s.latency.run.p95Ms)}`, 'p50 / p95'),
    tile(l10n.t('Model calls'), `${formatMs(s.latency.modelCall.p50Ms)} / ${formatMs(s.latency.modelCall.p95Ms)}`, l10n.t('p50 / p95 of {0} calls, {1} failed', s.modelCalls.count, s.modelCalls.errors)),
    tile(l10n.t('Tool calls'), formatCount(s.toolCalls.count), l10n.t('{0} failed; p95 {1}', s.toolCalls.errors, formatMs(s.latency.toolCall.p95Ms)), s.toolCalls.errors > 0 ? 'bad' : undefined),
    tile(l10n.t('Cost per task'), formatUsd(s.costPerTaskUsd), l10n.t('{0} in all', formatUsd(s.costUsd))),
    tile(l10n.t('Tokens'), formatCount(s.tokens.input + s.tokens.output), l10n.t('{0} in, {1} out', formatCount(s.tokens.input), formatCount(s.tokens.output))),
  );
}

function renderTable(title: string, noun: string, empty: string, rows: readonly MetricsRow[]): HTMLElement {
  const headers = [noun, l10n.t('Count'), l10n.t('Errors'), 'p50', 'p95', l10n.t('Cost'), l10n.t('Tokens')];
  const head = element('thead', {}, [element('tr', {}, headers.map((h, i) => element('th', { text: h, attrs: { scope: 'col', ...(i > 0 ? { class: 'number' } : {}) } })))]);
  const body = element('tbody', {}, rows.map((row) => element('tr', {}, [
    element('th', { text: row.key, attrs: { scope: 'row', title: row.key } }),
    ...[formatCount(row.count), String(row.errors), formatMs(row.p50Ms), formatMs(row.p95Ms), formatUsd(row.costUsd), formatCount(row.inputTokens + row.outputTokens)]
      .map((text, i) => element('td', { text, className: i === 1 && row.errors > 0 ? 'number bad' : 'number' })),
  ])));
  if (rows.length === 0) body.append(element('tr', {}, [element('td', { text: empty, className: 'empty', attrs: { colspan: String(headers.length) } })]));
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
  status.textContent = snapshot.loadingHistory ? l10n.t('Reading past runs from the trace store…') : l10n.t('Metrics of {0}, as of {1}.', windowName(snapshot.window), new Date(snapshot.to).toLocaleTimeString());
  renderAlerts(alerts);
  renderTiles(snapshot);
  for (const view of chartViews) {
    view.chart.update(snapshot.buckets);
    view.summary.textContent = view.spec.summary(snapshot);
  }
  tables.replaceChildren(
    renderTable(l10n.t('By agent'), l10n.t('Agent'), l10n.t('No agent activity in this window.'), snapshot.byAgent),
    renderTable(l10n.t('By model'), l10n.t('Model'), l10n.t('No model activity in this window.'), snapshot.byModel),
    renderTable(l10n.t('By tool'), l10n.t('Tool'), l10n.t('No tool activity in this window.'), snapshot.byTool),
  );
}

showWindow();
renderAlerts([]);
addEventListener('message', (event: MessageEvent<ToMetricsView>) => render(event.data));
vscode.postMessage({ type: 'ready', window: selected });
