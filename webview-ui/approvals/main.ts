/**
 * The approval center: one card per question waiting for the user, oldest first, with its details and every answer.
 * Cards are keyed by question and built once, so a list update never loses a reason or corrected arguments being
 * typed. Text from models and tools is only ever set as textContent, never parsed as HTML.
 */
// First: the page's translations are loaded before anything below builds a label.
import '../l10n';
import * as l10n from '@vscode/l10n';
import { policyLevelLabel } from '../../protocol/stateLabels';
import type { FromApprovalCenter, PendingQuestion, ToApprovalCenter } from '../../protocol/approvalCenter';
import type { AllowScope, CommandReview } from '../../protocol/rpc/approvals';
import { el, textButton } from '../view/dom';

interface VsCodeApi {
  postMessage(message: FromApprovalCenter): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;
const heading = el('h2', 'heading');
heading.id = 'approvals-heading';
const list = el('ul', 'questions');
list.setAttribute('aria-labelledby', heading.id);
const empty = el('p', 'empty', l10n.t('Nothing is waiting for your answer. Questions from running agents appear here, oldest first.'));
app.append(heading, list, empty);
const cards = new Map<string, HTMLElement>();

const KIND_ICON: Record<PendingQuestion['kind'], string> = { edit: 'codicon-edit', tool: 'codicon-tools', budget: 'codicon-credit-card', question: 'codicon-comment-discussion', repeat: 'codicon-debug-restart' };
const KIND_LABEL: Record<PendingQuestion['kind'], string> = { edit: l10n.t('Edit'), tool: l10n.t('Tool call'), budget: l10n.t('Budget'), question: l10n.t('Question'), repeat: l10n.t('Resumed run') };

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
  heading.textContent = questions.length === 0 ? l10n.t('Approvals') : questions.length === 1 ? l10n.t('1 question waiting') : l10n.t('{0} questions waiting', questions.length);
  empty.hidden = questions.length > 0;
}

function renderCard(q: PendingQuestion): HTMLElement {
  const card = el('li', `question kind-${q.kind}`);
  card.setAttribute('aria-label', l10n.t('{0}: {1}', KIND_LABEL[q.kind], q.title));
  const head = el('div', 'head');
  const icon = el('span', `codicon ${KIND_ICON[q.kind]}`);
  icon.setAttribute('aria-hidden', 'true');
  const title = el('h3', 'title', q.title);
  head.append(icon, title);
  card.append(head);
  if (q.goal) card.append(labelled(l10n.t('Run'), q.goal, 'run'));
  card.append(labelled(l10n.t('Why'), q.why, 'why'));
  if (q.diff) card.append(renderDiff(q.diff));
  if (q.command) card.append(renderCommand(q.command, q.approvalId));
  if (q.detail) {
    const detail = el('pre', 'detail', q.detail);
    detail.tabIndex = 0;
    detail.setAttribute('aria-label', l10n.t('Details'));
    card.append(detail);
  }
  if (q.kind === 'question') {
    card.append(answerForm(q));
    return card;
  }
  if (q.kind === 'repeat') {
    const actions = el('div', 'actions');
    actions.append(
      textButton(l10n.t('Run Again'), 'primary', () => send({ type: 'approve', approvalId: q.approvalId })),
      textButton(l10n.t('Skip'), 'secondary', () => send({ type: 'deny', approvalId: q.approvalId }), l10n.t('Do not run it; the agent is told it was skipped')),
      textButton(l10n.t('Stop the Run'), 'secondary', () => send({ type: 'stop', approvalId: q.approvalId })),
    );
    card.append(actions);
    return card;
  }

  const actions = el('div', 'actions');
  const approve = textButton(q.kind === 'budget' ? l10n.t('Continue') : l10n.t('Approve'), 'primary', () => send({ type: 'approve', approvalId: q.approvalId }));
  actions.append(approve);
  if (q.canAlwaysAllow) actions.append(textButton(l10n.t('Always allow'), 'secondary', () => send({ type: 'approve', approvalId: q.approvalId, always: true }), l10n.t('Allow this tool without asking again')));
  actions.append(textButton(q.kind === 'budget' ? l10n.t('Stop') : l10n.t('Deny'), 'secondary', () => send({ type: 'deny', approvalId: q.approvalId })));
  const reasonForm = q.kind === 'budget' ? undefined : form(q, 'reason');
  const argumentsForm = q.canEditArguments ? form(q, 'arguments') : undefined;
  const allowForm = q.alwaysAllow && 'rules' in q.alwaysAllow ? alwaysAllowForm(q, q.alwaysAllow) : undefined;
  if (allowForm) actions.append(toggle(l10n.t('Always allow…'), allowForm));
  if (reasonForm) actions.append(toggle(l10n.t('Deny with reason…'), reasonForm));
  if (argumentsForm) actions.append(toggle(l10n.t('Edit arguments…'), argumentsForm));
  actions.append(textButton(q.kind === 'edit' ? l10n.t('Open diff') : l10n.t('Open details'), 'link', () => send({ type: 'open', approvalId: q.approvalId })));
  card.append(actions);
  if (q.alwaysAllow && 'refused' in q.alwaysAllow) card.append(labelled(l10n.t('No "Always allow"'), q.alwaysAllow.refused, 'refused'));
  if (allowForm) card.append(allowForm);
  if (reasonForm) card.append(reasonForm);
  if (argumentsForm) card.append(argumentsForm);
  return card;
}

/** A hidden form under the buttons: a reason the model receives with the denial, or corrected arguments. */
function form(q: PendingQuestion, kind: 'reason' | 'arguments'): HTMLElement {
  const box = el('div', `form form-${kind}`);
  box.hidden = true;
  const id = `${kind}-${q.approvalId}`;
  const label = el('label', 'form-label', kind === 'reason' ? l10n.t('Tell the agent why, or what to do instead:') : l10n.t('Arguments (JSON), as they should run:'));
  label.setAttribute('for', id);
  const text = document.createElement('textarea');
  text.id = id;
  text.rows = kind === 'reason' ? 3 : Math.min(14, (q.detail ?? '').split('\n').length + 1);
  text.spellcheck = kind === 'reason';
  if (kind === 'arguments') text.value = q.detail ?? '';
  const submit =
    kind === 'reason'
      ? textButton(l10n.t('Deny and tell the agent'), 'primary', () => send({ type: 'deny', approvalId: q.approvalId, reason: text.value }))
      : textButton(l10n.t('Approve with these arguments'), 'primary', () => send({ type: 'approve', approvalId: q.approvalId, arguments: text.value }));
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) submit.click();
  });
  box.append(label, text, submit);
  return box;
}

type Proposal = Extract<NonNullable<PendingQuestion['alwaysAllow']>, { rules: unknown }>;

const PLACE_LABEL: Record<AllowScope, string> = {
  run: l10n.t('For the rest of this run'),
  workspace: l10n.t('As a rule in the workspace policy (.keel/policy.jsonc)'),
  user: l10n.t('As a rule in my user settings (keel.policy)'),
};

/**
 * "Always allow…": where the rule goes, and exactly what is written there, shown before anything is written. The
 * preview follows the chosen place; nothing is sent until the button under it is pressed.
 */
function alwaysAllowForm(q: PendingQuestion, proposal: Proposal): HTMLElement {
  const box = el('div', 'form form-always');
  box.hidden = true;
  const places = el('fieldset', 'places');
  places.append(el('legend', 'form-label', l10n.t('Allow calls like this one without asking:')));
  const preview = el('pre', 'rule-preview');
  preview.tabIndex = 0;
  preview.setAttribute('aria-label', l10n.t('The rule, exactly as it would be written'));
  preview.setAttribute('aria-live', 'polite');
  const submit = textButton('', 'primary', () => send({ type: 'approve', approvalId: q.approvalId, alwaysAllow: chosen }));
  let chosen: AllowScope = proposal.places[0] ?? 'run';
  const choose = (place: AllowScope) => {
    chosen = place;
    const rules = proposal.rules.map((rule) => `${rule.list}.allow ${JSON.stringify(rule.pattern)}`).join('\n');
    preview.textContent =
      place === 'run' ? `${rules}\n${l10n.t('(kept in memory until this run ends; nothing is written)')}` : place === 'workspace' ? `.keel/policy.jsonc:\n${proposal.preview.workspace}` : `${l10n.t('settings keel.policy:')}\n${proposal.preview.user}`;
    submit.textContent = place === 'run' ? l10n.t('Allow for this run') : l10n.t('Write the rule and allow');
  };
  for (const place of proposal.places) {
    const id = `place-${place}-${q.approvalId}`;
    const radio = document.createElement('input');
    radio.type = 'radio';
    radio.name = `place-${q.approvalId}`;
    radio.id = id;
    radio.value = place;
    radio.checked = place === chosen;
    radio.addEventListener('change', () => choose(place));
    const label = el('label', 'place', PLACE_LABEL[place]);
    label.setAttribute('for', id);
    const row = el('div', 'place-row');
    row.append(radio, label);
    places.append(row);
  }
  choose(chosen);
  box.append(places, preview);
  if (proposal.note) box.append(el('p', 'note', proposal.note));
  box.append(submit);
  return box;
}

/** The full command, then each part with the rule that decided it, and plainly whether it runs sandboxed. */
function renderCommand(command: CommandReview, approvalId: string): HTMLElement {
  const box = el('div', 'command');
  box.setAttribute('role', 'group');
  box.setAttribute('aria-label', l10n.t('Command'));
  const line = el('pre', 'command-line', command.line);
  line.tabIndex = 0;
  line.setAttribute('aria-label', l10n.t('Full command'));
  const confinement = el('p', command.sandboxed ? 'sandbox sandboxed' : 'sandbox unsandboxed');
  confinement.setAttribute('role', 'note');
  const icon = el('span', `codicon ${command.sandboxed ? 'codicon-shield' : 'codicon-warning'}`);
  icon.setAttribute('aria-hidden', 'true');
  confinement.append(icon, el('span', 'label', ` ${command.sandboxed ? l10n.t('Sandboxed:') : l10n.t('Runs unsandboxed:')} `), document.createTextNode(command.confinement));
  box.append(line, confinement);
  if (command.parts.length > 0) {
    const heading = el('p', 'label parts-heading', l10n.t('Parts ({0}):', command.parts.length));
    heading.id = `parts-${approvalId}`;
    const parts = el('ul', 'parts');
    parts.setAttribute('aria-labelledby', heading.id);
    for (const part of command.parts) {
      const item = el('li', `part verdict-${part.verdict ?? 'none'}`);
      item.append(el('code', 'part-source', part.source), el('span', 'part-rule', ` ${ruleWords(part)}`));
      parts.append(item);
    }
    box.append(heading, parts);
  }
  for (const why of command.unchecked) box.append(labelled(l10n.t('Cannot be checked'), why, 'unchecked'));
  return box;
}

function ruleWords(part: CommandReview['parts'][number]): string {
  if (!part.verdict) return l10n.t('— no rule matches it');
  const rule = part.rule ?? l10n.t('a rule');
  const decided = part.verdict === 'allow' ? l10n.t('— allowed by {0}', rule) : part.verdict === 'ask' ? l10n.t('— asks, by {0}', rule) : l10n.t('— denied by {0}', rule);
  return part.level ? l10n.t('{0} ({1} policy)', decided, policyLevelLabel(part.level)) : decided;
}

/** A question's text box, always open: the answer or guidance goes to the model as written. */
function answerForm(q: PendingQuestion): HTMLElement {
  const box = el('div', 'form form-answer');
  const id = `answer-${q.approvalId}`;
  const label = el('label', 'form-label', q.stuck ? l10n.t('Guidance for the agent:') : l10n.t('Your answer:'));
  label.setAttribute('for', id);
  const text = document.createElement('textarea');
  text.id = id;
  text.rows = 3;
  text.spellcheck = true;
  const actions = el('div', 'actions');
  const submit = textButton(q.stuck ? l10n.t('Send guidance') : l10n.t('Send answer'), 'primary', () => send({ type: 'answer', approvalId: q.approvalId, text: text.value }));
  actions.append(submit);
  if (!q.stuck) actions.append(textButton(l10n.t('Decline'), 'secondary', () => send({ type: 'deny', approvalId: q.approvalId }), l10n.t('The agent goes on without an answer')));
  actions.append(textButton(l10n.t('Stop the run'), 'secondary', () => send({ type: 'stop', approvalId: q.approvalId })));
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) submit.click();
  });
  box.append(label, text, actions);
  return box;
}

function toggle(text: string, target: HTMLElement): HTMLButtonElement {
  const control = textButton(text, 'secondary', () => {
    target.hidden = !target.hidden;
    control.setAttribute('aria-expanded', String(!target.hidden));
    if (!target.hidden) target.querySelector<HTMLElement>('textarea, input:checked')?.focus();
  });
  control.setAttribute('aria-expanded', 'false');
  return control;
}

function renderDiff(diff: NonNullable<PendingQuestion['diff']>): HTMLElement {
  const box = el('div', 'diff');
  box.setAttribute('role', 'group');
  box.setAttribute('aria-label', l10n.t('Proposed change to {0} at line {1}', diff.path, diff.line));
  box.append(el('div', 'diff-file', `${diff.path}:${diff.line}`));
  for (const line of diff.oldText.split('\n')) box.append(diffLine('removed', '-', line));
  for (const line of diff.newText.split('\n')) box.append(diffLine('added', '+', line));
  return box;
}

function diffLine(kind: 'added' | 'removed', sign: string, text: string): HTMLElement {
  const line = el('div', `diff-line ${kind}`);
  const mark = el('span', 'sign', sign);
  mark.setAttribute('aria-label', kind === 'added' ? l10n.t('added') : l10n.t('removed'));
  line.append(mark, document.createTextNode(text));
  return line;
}

function labelled(label: string, text: string, className: string): HTMLElement {
  const row = el('p', className);
  row.append(el('span', 'label', l10n.t('{0}: ', label)), document.createTextNode(text));
  return row;
}

function send(message: FromApprovalCenter): void {
  vscode.postMessage(message);
}
