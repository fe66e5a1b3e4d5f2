/**
 * A span's details, drawn right under its row: status, timing, usage (own and rolled up), attributes under readable
 * labels with the raw key on hover, and its recorded content loaded on demand: a model call as the conversation it
 * was, a tool call's arguments and result, a sandbox run's code and console.
 */
import * as l10n from '@vscode/l10n';
import type { ChatContentMessage, SpanContent, SpanData } from '../../protocol/trace';
import { spanDurationMs } from '../../protocol/trace';
import { formatDuration } from '../duration';
import { attributeLabel, attributeValue, filePathOf, usageText } from '../model/labels';
import type { SpanNode } from '../model/traceIndex';
import { el } from './dom';

/** What is known of a span's content: not asked yet / on its way, or the answer. */
export type ContentState = { readonly state: 'loading' } | { readonly state: 'loaded'; readonly content: SpanContent | null; readonly error?: string };

export interface DetailsActions {
  openFile(path: string): void;
  /** A block was expanded: the row's height changed. */
  resized(): void;
}

/**
 * Longer text is cut here until the user asks for all of it: a conversation holds system instructions, retrieved
 * context and whole files, and the turns are what a reader scans first.
 */
const SHOWN_CHARS = { text: 1_500, code: 6_000 };
const MAX_PATH_CHARS = 1024;
/** Attributes with their own place in the details, or of no use to a reader. */
const HIDDEN_ATTRIBUTES = new Set(['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'keel.cost.usd']);

export function drawDetails(target: HTMLElement, node: SpanNode, content: ContentState | undefined, now: number, actions: DetailsActions): void {
  const { span } = node;
  const facts = el('dl', 'facts');
  const fact = (label: string, value: string) => facts.append(el('dt', '', label), el('dd', '', value));
  fact(l10n.t('Status'), span.status + (span.statusMessage ? ` — ${span.statusMessage}` : ''));
  fact(l10n.t('Duration'), formatDuration(spanDurationMs(span, now)));
  fact(l10n.t('Started'), new Date(span.startTime).toLocaleTimeString());
  if (usageText(node.own)) fact(l10n.t('Usage'), usageText(node.own));
  if (node.total.spans > 1 && usageText(node.total)) fact(l10n.t('With children'), l10n.t('{0} · {1} spans', usageText(node.total), node.total.spans));
  target.append(facts);

  const path = filePathOf(span, content?.state === 'loaded' ? content.content : undefined);
  // Longer is no path a file system takes (and more than the extension accepts).
  if (path && path.length <= MAX_PATH_CHARS) {
    const open = el('button', 'link', `Open ${path}`);
    open.type = 'button';
    open.addEventListener('click', (event) => {
      event.stopPropagation();
      actions.openFile(path);
    });
    target.append(open);
  }

  // What was said comes before the attributes: for a model call it is what the user opened the span for.
  if (span.contentBytes) target.append(contentSection(span, content, actions));
  target.append(attributeList(span, actions));
}

function contentSection(span: SpanData, content: ContentState | undefined, actions: DetailsActions): HTMLElement {
  if (!content || content.state === 'loading') return el('p', 'note', l10n.t('Loading content…'));
  if (content.error) return el('p', 'note error', l10n.t('Could not load this span\'s content: {0}', content.error));
  if (!content.content) return el('p', 'note', l10n.t('No content is kept for this span any more (the trace store prunes old runs).'));
  return drawContent(span, content.content, actions);
}

function attributeList(span: SpanData, actions: DetailsActions): HTMLElement {
  const list = el('dl', 'attributes');
  for (const [key, value] of Object.entries(span.attributes)) {
    if (HIDDEN_ATTRIBUTES.has(key)) continue;
    const label = el('dt', '', attributeLabel(key));
    label.title = key;
    // A value can be as long as a tool made it: it is cut like content.
    const shown = el('dd');
    shown.append(text('text', attributeValue(key, value), actions));
    list.append(label, shown);
  }
  return list;
}

function drawContent(span: SpanData, content: SpanContent, actions: DetailsActions): HTMLElement {
  const section = el('div', 'content');
  const rest = new Map(Object.entries(content));
  const take = (key: string) => {
    const value = rest.get(key);
    rest.delete(key);
    return value;
  };
  const system = take('gen_ai.system_instructions');
  const input = take('gen_ai.input.messages');
  const output = take('gen_ai.output.messages');
  if (system !== undefined || input !== undefined || output !== undefined) {
    const conversation = el('div', 'conversation');
    conversation.setAttribute('aria-label', l10n.t('Conversation of {0}', span.name));
    if (system !== undefined) conversation.append(message('system', partsText(system), actions));
    for (const m of messages(input)) conversation.append(chatMessage(m, actions));
    for (const m of messages(output)) conversation.append(chatMessage(m, actions));
    section.append(conversation);
  }
  const blocks: [string, string][] = [
    ['gen_ai.tool.call.arguments', l10n.t('Arguments')],
    ['gen_ai.tool.call.result', l10n.t('Result')],
    ['keel.approval.question', l10n.t('Asked')],
    ['keel.approval.answer', l10n.t('Answered')],
    ['keel.sandbox.code', l10n.t('Code')],
    ['keel.sandbox.console', l10n.t('Console')],
    ['keel.retrieval.hits', l10n.t('Hits')],
  ];
  for (const [key, label] of blocks) {
    const value = take(key);
    if (value !== undefined) section.append(block(label, key, value, actions));
  }
  for (const [key, value] of rest) section.append(block(attributeLabel(key), key, value, actions));
  return section;
}

/** Messages that have the GenAI shape; anything else in the list is shown as JSON rather than trusted. */
function messages(value: unknown): (ChatContentMessage | { readonly raw: unknown })[] {
  if (!Array.isArray(value)) return value === undefined ? [] : [{ raw: value }];
  return value.map((m) => (isMessage(m) ? m : { raw: m }));
}

function isMessage(value: unknown): value is ChatContentMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as { role?: unknown; parts?: unknown };
  return typeof m.role === 'string' && ['system', 'user', 'assistant', 'tool'].includes(m.role) && Array.isArray(m.parts);
}

function chatMessage(m: ChatContentMessage | { readonly raw: unknown }, actions: DetailsActions): HTMLElement {
  if ('raw' in m) return message('unknown', json(m.raw), actions);
  const box = message(m.role, '', actions);
  const body = box.querySelector('.message-body')!;
  for (const part of m.parts) {
    const p = part as { type?: unknown; content?: unknown; name?: unknown; arguments?: unknown; response?: unknown; id?: unknown };
    if (p.type === 'text' && typeof p.content === 'string') body.append(text('text', p.content, actions));
    else if (p.type === 'tool_call') {
      const call = el('div', 'tool-call');
      call.append(el('div', 'part-label', `Calls ${String(p.name)}`), text('code', json(p.arguments), actions));
      body.append(call);
    } else if (p.type === 'tool_call_response') {
      const response = el('div', 'tool-response');
      response.append(el('div', 'part-label', l10n.t('Tool result')), text('code', typeof p.response === 'string' ? p.response : json(p.response), actions));
      body.append(response);
    } else body.append(text('code', json(part), actions));
  }
  if (m.finish_reason) body.append(el('div', 'finish', `Finished: ${m.finish_reason}`));
  return box;
}

function message(role: string, content: string, actions: DetailsActions): HTMLElement {
  const box = el('div', `chat-message role-${role.replace(/[^a-z]/g, '')}`);
  box.append(el('div', 'role', role));
  const body = el('div', 'message-body');
  if (content) body.append(text('text', content, actions));
  box.append(body);
  return box;
}

function block(label: string, key: string, value: unknown, actions: DetailsActions): HTMLElement {
  const box = el('div', 'block');
  const heading = el('div', 'part-label', label);
  heading.title = key;
  box.append(heading, text('code', typeof value === 'string' ? value : json(value), actions));
  return box;
}

/** Text cut at `SHOWN_CHARS`, with a button for the rest. */
function text(kind: 'text' | 'code', value: string, actions: DetailsActions): HTMLElement {
  const shown = SHOWN_CHARS[kind];
  const node = el(kind === 'code' ? 'pre' : 'div', kind === 'code' ? 'code' : 'text', value.length > shown ? `${value.slice(0, shown)}…` : value);
  if (value.length <= shown) return node;
  const wrap = el('div');
  const more = el('button', 'link', l10n.t('Show all {0} characters', value.length.toLocaleString()));
  more.type = 'button';
  more.addEventListener('click', (event) => {
    event.stopPropagation();
    node.textContent = value;
    more.remove();
    actions.resized();
  });
  wrap.append(node, more);
  return wrap;
}

function partsText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((p) => (typeof p === 'object' && p && typeof (p as { content?: unknown }).content === 'string' ? (p as { content: string }).content : json(p))).join('\n');
  return json(value);
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}
