import * as l10n from '@vscode/l10n';
import { posix } from 'node:path';
import type { RunMessage } from '../../../protocol/rpc';
import type { ChatMessage } from '../../models';
import { redacted } from '../../observability/redaction';
import { guidanceMessage } from '../recovery/recovery';
import type { JournalRecord, StepEffect } from './journalRecords';

/*
 * What a run's journal says beyond replaying steps: whether the run has ended, its conversation for a continuation,
 * its transcript for the panel, and the files it changed for an undo. A run has parts: the first from its start, and
 * one more from each `continue` record; the run has ended when its last part has an `end` record.
 */

type Recorded<T extends JournalRecord['type']> = Extract<JournalRecord, { type: T }>;

/** The end record of the run's last part, when that part has ended. */
export function endOf(records: readonly JournalRecord[]): Recorded<'end'> | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i]!;
    if (record.type === 'end') return record;
    if (record.type === 'continue') return undefined;
  }
  return undefined;
}

/** For a run whose last part is a continuation: the conversation before it (ending with the follow-up) and its first step. */
export function continuationOf(records: readonly JournalRecord[]): { history: ChatMessage[]; firstStep: number } | undefined {
  const at = lastIndexOf(records, 'continue');
  if (at < 0) return undefined;
  const before = records.slice(0, at + 1);
  const steps = before.filter((record) => record.type === 'model' && record.scope === undefined).map((record) => (record as Recorded<'model'>).step);
  return { history: conversationOf(before), firstStep: Math.max(0, ...steps) + 1 };
}

/**
 * The run's own agent's conversation after its goal, as the model saw it: its answers and tool calls, the calls'
 * results (a call without one is said not to have finished, since providers refuse a call left unanswered), the
 * steering messages where it read them, the user's guidance for it when it was stuck, and each follow-up with how the
 * part before it ended.
 */
export function conversationOf(records: readonly JournalRecord[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  let turn: { model: Recorded<'model'>; results: Map<number, string> } | undefined;
  const unread: string[] = [];
  let ended: Recorded<'end'> | undefined;
  const flush = () => {
    if (!turn) return;
    const { model, results } = turn;
    messages.push({ role: 'assistant', content: model.content, toolCalls: model.toolCalls });
    for (const [index, call] of model.toolCalls.entries()) {
      messages.push({ role: 'tool', toolCallId: call.id, toolName: call.name, content: results.get(index) ?? `${call.name} did not finish: the run stopped before its result was recorded. Check its effect before relying on it.` });
    }
    turn = undefined;
  };
  for (const record of records) {
    if (record.type === 'steer') unread.push(record.text);
    const read = record.type === 'steered' ? unread.splice(0, record.count) : [];
    if ('scope' in record && record.scope !== undefined) continue;
    if (record.type === 'model') {
      flush();
      turn = { model: record, results: new Map() };
    } else if (record.type === 'result' && turn?.model.step === record.step) {
      turn.results.set(record.index, record.content);
    } else if (record.type === 'steered') {
      flush();
      for (const text of read) messages.push({ role: 'user', content: `The user sent this while you were working; take it into account from here on:\n${text}` });
    } else if (record.type === 'escalation' && record.action === 'answer') {
      flush();
      messages.push({ role: 'user', content: guidanceMessage(record.reason, record.text ?? '') });
    } else if (record.type === 'end') {
      ended = record;
    } else if (record.type === 'continue') {
      flush();
      unread.length = 0;
      const how = ended && ended.outcome !== 'succeeded' ? `(The run ${ended.outcome} before this message: ${ended.message})\n\n` : '';
      messages.push({ role: 'user', content: `${how}${record.text}` });
      ended = undefined;
    }
  }
  flush();
  return messages;
}

/** A file a run changed: its content's SHA-256 before the run (null: the run created it) and after. */
export interface FileChange {
  readonly path: string;
  readonly before: string | null;
  readonly after: string;
}

/**
 * The files the run changed with its edits and new files, by any of its agents, since its last undo: each with its
 * content before the first change and after the last. A file edited back to what it was is not changed.
 */
export function fileChangesOf(records: readonly JournalRecord[]): FileChange[] {
  const intents = new Map<string, Extract<StepEffect, { path: string }>>();
  const changes = new Map<string, FileChange>();
  for (const record of records) {
    if (record.type === 'undone') changes.clear();
    if (record.type === 'intent' && record.effect.kind !== 'other') intents.set(callKey(record), record.effect);
    if (record.type !== 'result' || record.changed !== true) continue;
    const effect = intents.get(callKey(record));
    if (!effect) continue;
    const path = posix.normalize(effect.path.replace(/\\/g, '/')).replace(/^\.\//, '');
    const known = changes.get(path);
    changes.set(path, { path: known?.path ?? effect.path, before: known ? known.before : effect.kind === 'edit' ? effect.before : null, after: effect.after });
  }
  return [...changes.values()].filter((change) => change.before !== change.after);
}

/** The longest text one transcript message carries; the journal's own limit is far above what a panel shows. */
const MAX_MESSAGE_CHARS = 20_000;
/** The most messages a transcript holds: the newest. */
const MAX_MESSAGES = 2_000;

/** What the run said and did, in order, redacted: goal, follow-ups and steering, the model's words, tool calls. */
export function transcriptOf(records: readonly JournalRecord[]): RunMessage[] {
  const start = records[0]?.type === 'start' ? records[0] : undefined;
  const runAgent = agentOf(start);
  const agents = new Map<string | undefined, string>([[undefined, runAgent]]);
  const calls = new Map<string, { name: string; arguments: unknown }>();
  const messages: RunMessage[] = [];
  let at = start?.time ?? '';
  for (const record of records) {
    if ('time' in record && record.time) at = record.time;
    if (record.type === 'start') messages.push({ role: 'user', kind: 'goal', text: shown(record.goal), at });
    else if (record.type === 'subagent') agents.set(record.scope, record.agent);
    else if (record.type === 'steer') messages.push({ role: 'user', kind: 'steer', text: shown(record.text), at });
    else if (record.type === 'continue') messages.push({ role: 'user', kind: 'continue', text: shown(record.text), at });
    else if (record.type === 'model') {
      for (const [index, call] of record.toolCalls.entries()) calls.set(callKey({ ...record, index }), call);
      if (record.content.trim()) messages.push({ role: 'assistant', text: shown(record.content), agent: agents.get(record.scope) ?? runAgent, at });
    } else if (record.type === 'result') {
      const call = calls.get(callKey(record));
      messages.push({ role: 'tool', tool: call?.name ?? 'unknown', summary: call ? callSummary(call.arguments) : '', ok: record.ok, agent: agents.get(record.scope) ?? runAgent, at });
    }
  }
  return messages.slice(-MAX_MESSAGES);
}

/** Where the last record of `type` is; -1 when there is none. */
export function lastIndexOf(records: readonly JournalRecord[], type: JournalRecord['type']): number {
  for (let i = records.length - 1; i >= 0; i--) if (records[i]!.type === type) return i;
  return -1;
}

/** The agent a run was started with; `workflow` for a workflow run. */
export function agentOf(start: JournalRecord | undefined): string {
  if (start?.type === 'start' && start.kind === 'workflow') return 'workflow';
  const agent = start?.type === 'start' ? (start.request as { agent?: unknown } | undefined)?.agent : undefined;
  return typeof agent === 'string' ? agent : 'keel';
}

/** The argument that says most about a call, on one line: a path, a command, a goal or query, else the arguments. */
function callSummary(args: unknown): string {
  const fields = args && typeof args === 'object' ? (args as Record<string, unknown>) : {};
  const named = ['path', 'command', 'goal', 'query', 'url', 'pattern'].map((key) => fields[key]).find((value) => typeof value === 'string');
  const text = typeof named === 'string' ? named : (JSON.stringify(args) ?? '');
  const line = redacted(text).replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

function shown(text: string): string {
  const clean = redacted(text);
  return clean.length <= MAX_MESSAGE_CHARS ? clean : `${clean.slice(0, MAX_MESSAGE_CHARS)}\n[${l10n.t('{0} more characters', clean.length - MAX_MESSAGE_CHARS)}]`;
}

function callKey(at: { step: number; index: number; scope?: string }): string {
  return `${at.scope ?? ''}/${at.step}:${at.index}`;
}
