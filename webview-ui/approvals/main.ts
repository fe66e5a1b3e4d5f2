/**
 * The approval center: one card per question waiting for the user, oldest first, with its details and every answer.
 * Cards are keyed by question and built once, so a list update never loses a reason or corrected arguments being
 * typed. Text from models and tools is only ever set as textContent, never parsed as HTML.
 */
import type { FromApprovalCenter, PendingQuestion, ToApprovalCenter } from '../../protocol/approvalCenter';

interface VsCodeApi {
  postMessage(message: FromApprovalCenter): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;
const heading = element('h2', 'heading');
heading.id = 'approvals-heading';
const list = element('ul', 'questions');
list.setAttribute('aria-labelledby', heading.id);
const empty = element('p', 'empty', 'Nothing is waiting for your answer. Questions from running agents appear here, oldest first.');
app.append(heading, list, empty);
const cards = new Map<string, HTMLElement>();

const KIND_ICON: Record<PendingQuestion['kind'], string> = { edit: 'codicon-edit', tool: 'codicon-tools', budget: 'codicon-credit-card' };
const KIND_LABEL: Record<PendingQuestion['kind'], string> = { edit: 'Edit', tool: 'Tool call', budget: 'Budget' };

window.addEventListener('message', (event: MessageEvent<ToApprovalCenter>) => {
  if (event.data?.type === 'pending') show(event.data.questions);
});
vscode.postMessage({ type: 'ready' });

function show(questions: readonly PendingQuestion[]): void {
  const live = new Set(questions.map((q) => q.approvalId));
  for (const [id, card] of cards) {
    if (live.has(id)) continue;
    // Answered here or elsewhere (inline, the diff view, a notification): the card goes, focus moves to the next.
    const next = (card.nextElementSibling ?? card.previousElementSibling) as HTMLElement | null;
    const hadFocus = card.contains(document.activeElement);
    card.remove();
    cards.delete(id);
    if (hadFocus) next?.querySelector<HTMLButtonElement>('button.primary')?.focus();
  }
  questions.forEach((question, index) => {
    let card = cards.get(question.approvalId);
    if (!card) {
      card = renderCard(question);
      cards.set(question.approvalId, card);
    }
    if (list.children[index] !== card) list.insertBefore(card, list.children[index] ?? null);
  });
  heading.textContent = questions.length === 0 ? 'Approvals' : `${questions.length} question${questions.length === 1 ? '' : 's'} waiting`;
  empty.hidden = questions.length > 0;
}

function renderCard(q: PendingQuestion): HTMLElement {
  const card = element('li', `question kind-${q.kind}`);
  card.setAttribute('aria-label', `${KIND_LABEL[q.kind]}: ${q.title}`);
  const head = element('div', 'head');
  const icon = element('span', `codicon ${KIND_ICON[q.kind]}`);
  icon.setAttribute('aria-hidden', 'true');
  const title = element('h3', 'title', q.title);
  head.append(icon, title);
  card.append(head);
  if (q.goal) card.append(labelled('Run', q.goal, 'run'));
  card.append(labelled('Why', q.why, 'why'));
  if (q.diff) card.append(renderDiff(q.diff));
  if (q.detail) {
    const detail = element('pre', 'detail', q.detail);
    detail.tabIndex = 0;
    detail.setAttribute('aria-label', 'Details');
    card.append(detail);
  }

  const actions = element('div', 'actions');
  const approve = button(q.kind === 'budget' ? 'Continue' : 'Approve', 'primary', () => send({ type: 'approve', approvalId: q.approvalId }));
  actions.append(approve);
  if (q.canAlwaysAllow) actions.append(button('Always allow', 'secondary', () => send({ type: 'approve', approvalId: q.approvalId, always: true }), 'Allow this tool without asking again'));
  actions.append(button(q.kind === 'budget' ? 'Stop' : 'Deny', 'secondary', () => send({ type: 'deny', approvalId: q.approvalId })));
  const reasonForm = q.kind === 'budget' ? undefined : form(q, 'reason');
  const argumentsForm = q.canEditArguments ? form(q, 'arguments') : undefined;
  if (reasonForm) actions.append(toggle('Deny with reason…', reasonForm));
  if (argumentsForm) actions.append(toggle('Edit arguments…', argumentsForm));
  actions.append(button(q.kind === 'edit' ? 'Open diff' : 'Open details', 'link', () => send({ type: 'open', approvalId: q.approvalId })));
  card.append(actions);
  if (reasonForm) card.append(reasonForm);
  if (argumentsForm) card.append(argumentsForm);
  return card;
}

/** A hidden form under the buttons: a reason the model receives with the denial, or corrected arguments. */
function form(q: PendingQuestion, kind: 'reason' | 'arguments'): HTMLElement {
  const box = element('div', `form form-${kind}`);
  box.hidden = true;
  const id = `${kind}-${q.approvalId}`;
  const label = element('label', 'form-label', kind === 'reason' ? 'Tell the agent why, or what to do instead:' : 'Arguments (JSON), as they should run:');
  label.setAttribute('for', id);
  const text = document.createElement('textarea');
  text.id = id;
  text.rows = kind === 'reason' ? 3 : Math.min(14, (q.detail ?? '').split('\n').length + 1);
  text.spellcheck = kind === 'reason';
  if (kind === 'arguments') text.value = q.detail ?? '';
  const submit =
    kind === 'reason'
      ? button('Deny and tell the agent', 'primary', () => send({ type: 'deny', approvalId: q.approvalId, reason: text.value }))
      : button('Approve with these arguments', 'primary', () => send({ type: 'approve', approvalId: q.approvalId, arguments: text.value }));
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) submit.click();
  });
  box.append(label, text, submit);
  return box;
}

function toggle(text: string, target: HTMLElement): HTMLButtonElement {
  const control = button(text, 'secondary', () => {
    target.hidden = !target.hidden;
    control.setAttribute('aria-expanded', String(!target.hidden));
    if (!target.hidden) target.querySelector('textarea')?.focus();
  });
  control.setAttribute('aria-expanded', 'false');
  return control;
}

function renderDiff(diff: NonNullable<PendingQuestion['diff']>): HTMLElement {
  const box = element('div', 'diff');
  box.setAttribute('role', 'group');
  box.setAttribute('aria-label', `Proposed change to ${diff.path} at line ${diff.line}`);
  box.append(element('div', 'diff-file', `${diff.path}:${diff.line}`));
  for (const line of diff.oldText.split('\n')) box.append(diffLine('removed', '-', line));
  for (const line of diff.newText.split('\n')) box.append(diffLine('added', '+', line));
  return box;
}

function diffLine(kind: 'added' | 'removed', sign: string, text: string): HTMLElement {
  const line = element('div', `diff-line ${kind}`);
  const mark = element('span', 'sign', sign);
  mark.setAttribute('aria-label', kind);
  line.append(mark, document.createTextNode(text));
  return line;
}

function labelled(label: string, text: string, className: string): HTMLElement {
  const row = element('p', className);
  row.append(element('span', 'label', `${label}: `), document.createTextNode(text));
  return row;
}

function send(message: FromApprovalCenter): void {
  vscode.postMessage(message);
}

function button(text: string, className: string, onClick: () => void, title?: string): HTMLButtonElement {
  const b = element('button', className, text) as HTMLButtonElement;
  b.type = 'button';
  if (title) b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
