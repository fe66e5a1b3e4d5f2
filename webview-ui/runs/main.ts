/**
 * The Runs list: one row per run, newest first, titled by its goal, with its state, time, steps and files changed.
 * Opening a run (one at a time) shows what it said and did and the actions its state offers. Rows are keyed by run
 * and updated in place, so a new list never loses a message being typed or the focus. Text from models and tools is
 * only ever set as textContent, never parsed as HTML.
 */
// First: the page's translations are loaded before anything below builds a label.
import '../l10n';
import * as l10n from '@vscode/l10n';
import type { RunListEntry, RunMessage, RunState } from '../../protocol/rpc/runs';
import { MAX_RUN_MESSAGE_CHARS, offers, RUN_ACTIONS, type FromRunsView, type RunAction, type ToRunsView } from '../../protocol/runsView';
import { formatDuration } from '../duration';
import { el, textButton } from '../view/dom';
import { buttonLabel, composeText, earlierMessages, facts, speaker, stateLabel, summary, type ButtonAction } from './labels';

interface VsCodeApi {
  postMessage(message: FromRunsView): void;
  getState(): ViewState | undefined;
  setState(state: ViewState): void;
}
interface ViewState {
  readonly selected?: string;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

const STATE_ICON: Record<RunState, string> = {
  running: 'codicon-sync codicon-modifier-spin',
  waiting: 'codicon-bell-dot',
  interrupted: 'codicon-debug-pause',
  failed: 'codicon-error',
  succeeded: 'codicon-pass',
  cancelled: 'codicon-circle-slash',
};
const BUTTON: Record<ButtonAction, { readonly icon: string; readonly primary?: boolean }> = {
  resume: { icon: 'codicon-debug-continue', primary: true },
  retry: { icon: 'codicon-debug-restart', primary: true },
  showApprovals: { icon: 'codicon-bell-dot', primary: true },
  cancel: { icon: 'codicon-debug-stop' },
  undo: { icon: 'codicon-discard' },
  dismiss: { icon: 'codicon-close' },
  openTrace: { icon: 'codicon-pulse' },
};

/** One run's row: its header is rebuilt when the run changes, its body's parts only when theirs do. */
interface Row {
  readonly item: HTMLLIElement;
  readonly head: HTMLButtonElement;
  readonly body: HTMLElement;
  readonly message: HTMLElement;
  readonly actions: HTMLElement;
  readonly compose: HTMLFormElement;
  readonly problem: HTMLElement;
  readonly transcript: HTMLOListElement;
  /** What the header and actions were drawn from, to skip a redraw when nothing changed. */
  drawn: string;
  run: RunListEntry;
  transcriptKeys: string[];
}

const app = document.getElementById('app')!;
const heading = el('h2', 'heading', l10n.t('Runs'));
heading.id = 'runs-heading';
const listProblem = el('p', 'list-problem');
listProblem.setAttribute('role', 'alert');
listProblem.hidden = true;
const list = el('ul', 'runs');
list.setAttribute('aria-labelledby', heading.id);
const empty = el('div', 'empty');
empty.append(
  el('p', '', l10n.t('No runs to show. A task you start shows here with its state, what the agent said and did, and what you can do next: steer, resume, retry, continue, undo.')),
  textButton(l10n.t('Run a Task…'), 'primary', () => vscode.postMessage({ type: 'runTask' })),
);
app.append(heading, listProblem, empty, list);

const rows = new Map<string, Row>();
let selected = vscode.getState()?.selected;

window.addEventListener('message', (event: MessageEvent<ToRunsView>) => {
  const message = event.data;
  if (message?.type === 'runs') showRuns(message.runs, message.problem);
  else if (message?.type === 'transcript') showTranscript(message.runId, message.messages, message.earlier, message.problem);
  else if (message?.type === 'actionDone') actionDone(message.runId, message.action, message.problem);
});
list.addEventListener('keydown', moveBetweenRuns);
vscode.postMessage({ type: 'ready' });
if (selected) vscode.postMessage({ type: 'select', runId: selected });

function showRuns(runs: readonly RunListEntry[], problem: string | undefined): void {
  listProblem.hidden = !problem;
  listProblem.textContent = problem ?? '';
  const live = new Set(runs.map((run) => run.runId));
  for (const [runId, row] of rows) {
    if (live.has(runId)) continue;
    const hadFocus = row.item.contains(document.activeElement);
    const next = (row.item.nextElementSibling ?? row.item.previousElementSibling) as HTMLElement | null;
    row.item.remove();
    rows.delete(runId);
    if (hadFocus) next?.querySelector<HTMLButtonElement>('.run-head')?.focus();
    if (selected === runId) select(undefined);
  }
  runs.forEach((run, index) => {
    let row = rows.get(run.runId);
    if (!row) {
      row = createRow(run);
      rows.set(run.runId, row);
    }
    update(row, run);
    if (list.children[index] !== row.item) list.insertBefore(row.item, list.children[index] ?? null);
  });
  heading.textContent = summary(runs);
  empty.hidden = runs.length > 0;
}

function createRow(run: RunListEntry): Row {
  const id = `run-${cssId(run.runId)}`;
  const item = el('li', 'run');
  item.dataset.runId = run.runId;
  const head = el('button', 'run-head');
  head.type = 'button';
  head.id = `${id}-head`;
  head.setAttribute('aria-controls', `${id}-body`);
  head.addEventListener('click', () => select(selected === run.runId ? undefined : run.runId));
  const body = el('div', 'run-body');
  body.id = `${id}-body`;
  body.setAttribute('role', 'region');
  body.setAttribute('aria-labelledby', head.id);
  const message = el('p', 'run-message');
  const actions = el('div', 'actions');
  const problem = el('p', 'action-problem');
  problem.setAttribute('role', 'alert');
  problem.hidden = true;
  const compose = composer(run.runId);
  const transcript = el('ol', 'transcript');
  transcript.setAttribute('aria-label', l10n.t('Conversation'));
  body.append(message, actions, problem, compose, transcript);
  item.append(head, body);
  const row: Row = { item, head, body, message, actions, compose, problem, transcript, drawn: '', run, transcriptKeys: [] };
  return row;
}

function update(row: Row, run: RunListEntry): void {
  row.run = run;
  const open = selected === run.runId;
  row.item.className = `run state-${run.state}${open ? ' open' : ''}`;
  row.head.setAttribute('aria-expanded', String(open));
  row.body.hidden = !open;
  const drawn = JSON.stringify(run);
  if (drawn === row.drawn) return;
  row.drawn = drawn;
  drawHead(row.head, run);
  row.message.textContent = run.message ?? '';
  row.message.hidden = !run.message;
  // A button the user was on may go with the state that offered it: the focus stays in the run.
  const focused = row.actions.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.action : undefined;
  row.actions.replaceChildren(...RUN_ACTIONS[run.state].filter((a): a is ButtonAction => a !== 'continue' && a !== 'steer' && offers(run, a)).map((a) => actionButton(run, a)));
  if (focused) (row.actions.querySelector<HTMLElement>(`[data-action="${focused}"]`) ?? row.actions.querySelector<HTMLElement>('button') ?? row.head).focus();
  const mode = offers(run, 'steer') ? 'steer' : offers(run, 'continue') ? 'continue' : undefined;
  setComposeMode(row.compose, mode);
}

function drawHead(head: HTMLButtonElement, run: RunListEntry): void {
  const badge = el('span', `badge state-${run.state}`);
  const icon = el('span', `codicon ${STATE_ICON[run.state]}`);
  icon.setAttribute('aria-hidden', 'true');
  badge.append(icon, document.createTextNode(stateLabel(run.state)));
  const title = el('span', 'goal', firstLine(run.goal) || run.runId);
  title.title = run.goal;
  const meta = el('span', 'meta', [time(run.startedAt, run.endedAt), ...facts(run)].join(' · '));
  // Its name is what it shows (state, goal, facts), so a voice user can say what they see.
  head.replaceChildren(badge, title, meta);
}

/** When it started, and for how long it ran once it ended; absolute, so that nothing redraws on a timer. */
function time(startedAt: string, endedAt: string | undefined): string {
  const start = new Date(startedAt);
  if (Number.isNaN(start.getTime())) return '';
  const sameDay = start.toDateString() === new Date().toDateString();
  const at = sameDay ? start.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : start.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  const end = endedAt ? new Date(endedAt).getTime() : NaN;
  return Number.isNaN(end) ? at : `${at}, ${formatDuration(end - start.getTime())}`;
}

function actionButton(run: RunListEntry, action: ButtonAction): HTMLButtonElement {
  const spec = BUTTON[action];
  const b = textButton(buttonLabel(action), spec.primary ? 'primary' : 'secondary', () => {
    b.disabled = true;
    b.setAttribute('aria-busy', 'true');
    vscode.postMessage({ type: 'action', runId: run.runId, action });
  });
  b.dataset.action = action;
  const icon = el('span', `codicon ${spec.icon}`);
  icon.setAttribute('aria-hidden', 'true');
  b.prepend(icon);
  return b;
}

/** The text box under a run: a follow-up for an ended run, steering for a running one. The typed text survives updates. */
function composer(runId: string): HTMLFormElement {
  const form = el('form', 'compose');
  form.hidden = true;
  const label = el('label', 'compose-label');
  const text = document.createElement('textarea');
  text.id = `compose-${cssId(runId)}`;
  text.rows = 2;
  text.maxLength = MAX_RUN_MESSAGE_CHARS;
  label.htmlFor = text.id;
  const submit = textButton('', 'primary', () => undefined);
  submit.type = 'submit';
  form.append(label, text, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const action = form.dataset.mode as 'continue' | 'steer' | undefined;
    if (!action || text.value.trim() === '') return text.focus();
    submit.disabled = true;
    submit.setAttribute('aria-busy', 'true');
    vscode.postMessage({ type: 'message', runId, action, text: text.value });
  });
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  return form;
}

function setComposeMode(form: HTMLFormElement, mode: 'continue' | 'steer' | undefined): void {
  form.hidden = !mode;
  if (!mode || form.dataset.mode === mode) return;
  form.dataset.mode = mode;
  const text = composeText(mode);
  form.querySelector('label')!.textContent = text.label;
  form.querySelector('textarea')!.placeholder = text.placeholder;
  form.querySelector('button')!.textContent = text.submit;
}

function actionDone(runId: string, action: RunAction, problem: string | undefined): void {
  const row = rows.get(runId);
  if (!row) return;
  row.problem.hidden = !problem;
  row.problem.textContent = problem ?? '';
  for (const b of row.body.querySelectorAll<HTMLButtonElement>('button[aria-busy="true"]')) {
    b.disabled = false;
    b.removeAttribute('aria-busy');
  }
  if ((action === 'continue' || action === 'steer') && !problem) row.compose.querySelector('textarea')!.value = '';
}

/** Opens one run (closing the one open before) and asks for its conversation; none closes them all. */
function select(runId: string | undefined): void {
  const previous = selected;
  selected = runId;
  vscode.setState({ ...(runId ? { selected: runId } : {}) });
  for (const id of [previous, runId]) {
    const row = id ? rows.get(id) : undefined;
    if (row) update(row, row.run);
  }
  vscode.postMessage({ type: 'select', ...(runId ? { runId } : {}) });
}

/** The conversation, appended to in place: entries already drawn stay, so reading one is not disturbed by the next. */
function showTranscript(runId: string, messages: readonly RunMessage[], earlier: number, problem: string | undefined): void {
  const row = rows.get(runId);
  if (!row) return;
  if (problem) {
    row.transcript.replaceChildren(el('li', 'transcript-problem', problem));
    row.transcriptKeys = [];
    return;
  }
  // The note on earlier messages is keyed like an entry, so it is redrawn only when their number changes.
  const items: readonly (RunMessage | number)[] = earlier > 0 ? [earlier, ...messages] : messages;
  const keys = items.map((m) => JSON.stringify(m));
  let same = 0;
  while (same < keys.length && same < row.transcriptKeys.length && keys[same] === row.transcriptKeys[same]) same++;
  while (row.transcript.children.length > same) row.transcript.lastElementChild!.remove();
  row.transcript.append(...items.slice(same).map((m) => (typeof m === 'number' ? el('li', 'transcript-earlier', earlierMessages(m)) : entry(m, row.run.agent))));
  row.transcriptKeys = keys;
}

function entry(message: RunMessage, mainAgent: string): HTMLLIElement {
  const item = el('li', `entry role-${message.role}`);
  item.title = new Date(message.at).toLocaleString();
  if (message.role === 'user') {
    item.classList.add(`kind-${message.kind}`);
    item.append(el('span', 'who', speaker(message, mainAgent)), el('div', 'text', message.text));
  } else if (message.role === 'assistant') {
    item.append(el('span', 'who', speaker(message, mainAgent)), el('div', 'text', message.text));
  } else {
    item.classList.add(message.ok ? 'ok' : 'error');
    const icon = el('span', `codicon ${message.ok ? 'codicon-check' : 'codicon-error'}`);
    icon.setAttribute('aria-label', message.ok ? l10n.t('done') : l10n.t('failed'));
    const line = el('div', 'tool-line');
    const summary = el('span', 'summary', message.summary);
    summary.title = message.summary;
    line.append(icon, el('span', 'tool', message.tool), summary);
    if (message.agent && message.agent !== mainAgent) line.append(el('span', 'tool-agent', message.agent));
    item.append(line);
  }
  return item;
}

/** Up and Down move between the runs' headers, Home and End to the first and last. */
function moveBetweenRuns(event: KeyboardEvent): void {
  const target = event.target as HTMLElement;
  if (!target.classList.contains('run-head')) return;
  const heads = [...list.querySelectorAll<HTMLButtonElement>('.run-head')];
  const at = heads.indexOf(target as HTMLButtonElement);
  const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: heads.length - 1 }[event.key];
  if (to === undefined || !heads[to]) return;
  event.preventDefault();
  heads[to].focus();
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/** Run ids are the host's; in an element id only safe characters are kept. */
function cssId(runId: string): string {
  return runId.replace(/[^A-Za-z0-9_-]/g, '_');
}
