import * as l10n from '@vscode/l10n';
import { tooDeep } from '../../protocol/params';
import type { ToolCall } from './types';

/**
 * The most one tool call's arguments may take, as JSON. Larger ones are refused before anything parses, counts or
 * stores them: a model that sends megabytes (by mistake or on purpose) must not stall the host or fill every prompt
 * after it. 256 KiB is more than any model writes in one answer today.
 */
export const MAX_TOOL_ARGUMENT_CHARS = 256 * 1024;
/** No tool's schema nests anywhere near this deep. */
const MAX_ARGUMENT_DEPTH = 64;
/** Tool names are short identifiers; a longer one is garbage and is cut before it is echoed anywhere. */
const MAX_TOOL_NAME_CHARS = 128;

/** The call as it may go on: unchanged, or with its arguments dropped and a note that says why and what to do. */
export function limitToolCall(call: ToolCall): ToolCall {
  if (call.name.length > MAX_TOOL_NAME_CHARS) {
    return { id: call.id.slice(0, MAX_TOOL_NAME_CHARS), name: `${call.name.slice(0, MAX_TOOL_NAME_CHARS)}…`, arguments: {}, argumentsError: l10n.t('the tool name is {0} characters long; no tool has such a name', call.name.length) };
  }
  // JSON.stringify, schema checks and redaction recurse: 10,000 levels of nesting would overflow the stack.
  const deep = typeof call.arguments === 'object' ? tooDeep(call.arguments, MAX_ARGUMENT_DEPTH) : undefined;
  if (deep) return { id: call.id, name: call.name, arguments: {}, argumentsError: l10n.t('the arguments nest more than {0} levels deep (at {1}); no tool takes such arguments', MAX_ARGUMENT_DEPTH, deep) };
  const size = typeof call.arguments === 'string' ? call.arguments.length : (JSON.stringify(call.arguments) ?? '').length;
  if (size <= MAX_TOOL_ARGUMENT_CHARS) return call;
  return {
    id: call.id,
    name: call.name,
    arguments: {},
    argumentsError: l10n.t('the arguments are {0} KiB; one call may send at most {1} KiB. Split the work into smaller calls (e.g. create the file with part of its content, then add the rest with {2})', kib(size), kib(MAX_TOOL_ARGUMENT_CHARS), 'propose_edit'),
  };
}

function kib(chars: number): string {
  return (chars / 1024).toFixed(chars < 10 * 1024 ? 1 : 0);
}

/** More calls than this in one answer is a runaway model: each would be approved, run, traced and answered. */
export const MAX_TOOL_CALLS_PER_ANSWER = 64;

/**
 * A model's tool calls as the loop may take them: the first MAX_TOOL_CALLS_PER_ANSWER, each limited. The rest are
 * dropped from the answer itself, so the conversation stays consistent: every call kept gets its result.
 */
export function limitToolCalls(calls: readonly ToolCall[]): ToolCall[] {
  return calls.slice(0, MAX_TOOL_CALLS_PER_ANSWER).map(limitToolCall);
}
