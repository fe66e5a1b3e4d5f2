/**
 * The trace viewer webview: the sidebar view (live runs and their history) and editor-area panels (one run, or
 * two compared) run this same script; `data-mode` on the body says which. Everything is built with DOM nodes and
 * textContent: span names and content come from models and tools and must never be parsed as HTML.
 */
// First: the page's translations are loaded before anything below builds a label.
import './l10n';
import * as l10n from '@vscode/l10n';
import type { FromWebview, ToWebview } from '../protocol/webview';
import { SPAN_KINDS, type SpanKind } from './model/filters';
import { TraceIndex } from './model/traceIndex';
import { drawCompare } from './view/compareView';
import { el, iconButton } from './view/dom';
import { HistoryView } from './view/historyView';
import { TraceView, type TraceViewState } from './view/traceView';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): SavedState | undefined;
  setState(state: SavedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface SavedState extends TraceViewState {
  tab: 'live' | 'history';
  /** A run panel's run, so that VS Code can restore the panel after a reload. */
  traceId?: string;
}

const vscode = acquireVsCodeApi();
const panel = document.body.dataset.mode === 'panel';
const saved = vscode.getState();
const state: SavedState = {
  tab: saved?.tab === 'history' ? 'history' : 'live',
  collapsed: Array.isArray(saved?.collapsed) ? saved.collapsed.filter((k) => typeof k === 'string') : [],
  selected: typeof saved?.selected === 'string' ? saved.selected : undefined,
  timeline: saved?.timeline === true,
  kinds: Array.isArray(saved?.kinds) ? saved.kinds.filter((k): k is SpanKind => SPAN_KINDS.some((known) => known.kind === k)) : [],
  ...(typeof saved?.traceId === 'string' ? { traceId: saved.traceId } : {}),
};
const app = document.getElementById('app')!;
const index = new TraceIndex();

const traces = new TraceView(
  index,
  {
    requestContent: (traceId, spanId) => vscode.postMessage({ type: 'spanContent', traceId, spanId }),
    openFile: (path) => vscode.postMessage({ type: 'openFile', path }),
    ...(panel ? {} : { openInPanel: (traceId: string) => vscode.postMessage({ type: 'openInPanel', traceId }) }),
    saveState: () => save(),
  },
  state,
  panel ? el('p', '', l10n.t('Loading the run…')) : emptyState(),
);
const history = new HistoryView({
  list: (outcome) => vscode.postMessage(outcome ? { type: 'listRuns', outcome: outcome as 'succeeded' } : { type: 'listRuns' }),
  search: (text) => vscode.postMessage({ type: 'search', text }),
  open: (traceId, spanId) => vscode.postMessage(spanId ? { type: 'openRun', traceId, spanId } : { type: 'openRun', traceId }),
  openInPanel: (traceId) => vscode.postMessage({ type: 'openInPanel', traceId }),
  compare: (left, right) => vscode.postMessage({ type: 'compare', traceIds: [left, right] }),
});
const compare = el('div', 'compare-view');
const tabs = new Map<SavedState['tab'], HTMLButtonElement>();
const timelineButton = iconButton('codicon-graph-left', l10n.t('Show as timeline'), () => {
  traces.setTimeline(!traces.isTimeline);
  updateTimelineButton();
});

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  if (typeof message !== 'object' || message === null) return;
  switch (message.type) {
    case 'reset':
      index.clear();
      for (const span of message.spans) index.upsert(span);
      traces.setRuns(message.runs);
      break;
    case 'spans':
      for (const span of message.spans) index.upsert(span);
      traces.changed();
      break;
    case 'runFinished':
      traces.runFinished(message.result);
      break;
    case 'forget':
      traces.forget(message.traceIds);
      for (const traceId of message.traceIds) index.forget(traceId);
      traces.changed();
      break;
    case 'spanContent':
      traces.contentArrived(message.spanId, message.content, message.error);
      break;
    case 'history':
      history.showRuns(message.runs, message.error);
      break;
    case 'searchResults':
      history.showHits(message.text, message.hits, message.error);
      break;
    case 'reveal':
      showTab('live');
      traces.reveal(message.traceId, message.spanId);
      if (panel) {
        state.traceId = message.traceId;
        save();
      }
      break;
    case 'compare':
      traces.element.hidden = true;
      timelineButton.hidden = true;
      drawCompare(compare, message.left, message.right);
      break;
  }
});

// Ctrl+F (Cmd+F) searches the trace shown. Caught before VS Code's own listener on this window, which would pass the
// key to the workbench and open the editor's find widget instead.
window.addEventListener('keydown', (event) => {
  if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'f' && !compare.hasChildNodes()) {
    event.preventDefault();
    event.stopImmediatePropagation();
    showTab('live');
    traces.focusSearch();
  }
}, { capture: true });

function toolbar(): HTMLElement {
  const bar = el('div', 'toolbar');
  if (!panel) {
    const list = el('div', 'tabs');
    list.setAttribute('role', 'tablist');
    for (const [tab, label] of [['live', l10n.t('Runs')], ['history', l10n.t('History')]] as const) {
      const button = el('button', 'tab', label);
      button.type = 'button';
      button.setAttribute('role', 'tab');
      button.addEventListener('click', () => showTab(tab));
      tabs.set(tab, button);
      list.append(button);
    }
    bar.append(list);
  }
  const actions = el('div', 'actions');
  actions.append(timelineButton);
  if (!panel) {
    actions.append(iconButton('codicon-play', l10n.t('Run agent task'), () => vscode.postMessage({ type: 'runTask' })), iconButton('codicon-clear-all', l10n.t('Clear traces'), () => vscode.postMessage({ type: 'clear' })));
  }
  bar.append(actions);
  return bar;
}

function showTab(tab: SavedState['tab']): void {
  if (panel) return;
  const changed = state.tab !== tab;
  state.tab = tab;
  for (const [name, button] of tabs) button.setAttribute('aria-selected', String(name === tab));
  traces.element.hidden = tab !== 'live';
  history.element.hidden = tab !== 'history';
  timelineButton.hidden = tab !== 'live';
  if (tab === 'history' && (changed || !history.element.dataset.loaded)) {
    history.element.dataset.loaded = 'yes';
    history.refresh();
  }
  if (changed) save();
}

function updateTimelineButton(): void {
  const label = traces.isTimeline ? l10n.t('Show as tree') : l10n.t('Show as timeline');
  timelineButton.title = label;
  timelineButton.setAttribute('aria-label', label);
  timelineButton.setAttribute('aria-pressed', String(traces.isTimeline));
}

function emptyState(): HTMLElement {
  const empty = el('div');
  empty.append(el('p', '', l10n.t('No runs yet. Start one with “Keel: Run Agent Task…” from the Command Palette, or here. Past runs are under History.')));
  const start = el('button', 'primary', l10n.t('Run Agent Task…'));
  start.type = 'button';
  start.addEventListener('click', () => vscode.postMessage({ type: 'runTask' }));
  empty.append(start);
  return empty;
}

function save(): void {
  vscode.setState({ ...traces.state(), tab: state.tab, ...(state.traceId ? { traceId: state.traceId } : {}) });
}

app.append(toolbar(), traces.element, history.element, compare);
history.element.hidden = true;
updateTimelineButton();
showTab(state.tab);
traces.changed();
vscode.postMessage({ type: 'ready' });
