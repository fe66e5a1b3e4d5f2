import type { ToolCall } from '../models/types';

/**
 * The most one tool call's arguments may take, as JSON. Larger ones are refused before anything parses, counts or
 * stores them: a model that sends megabytes (by mistake or on purpose) must not stall the host or fill every prompt
 * after it. 256 KiB is more than any model writes in one answer today.
 */
export const MAX_TOOL_ARGUMENT_CHARS = 256 * 1024;
/** Tool names are short identifiers; a longer one is garbage and is cut before it is echoed anywhere. */
const MAX_TOOL_NAME_CHARS = 128;

/** The call as it may go on: unchanged, or with its arguments dropped and a note that says why and what to do. */
export function limitToolCall(call: ToolCall): ToolCall {
  if (call.name.length > MAX_TOOL_NAME_CHARS) {
    return { id: call.id.slice(0, MAX_TOOL_NAME_CHARS), name: `${call.name.slice(0, MAX_TOOL_NAME_CHARS)}…`, arguments: {}, argumentsError: `the tool name is ${call.name.length} characters long; no tool has such a name` };
  }
  const size = typeof call.arguments === 'string' ? call.arguments.length : (JSON.stringify(call.arguments) ?? '').length;
  if (size <= MAX_TOOL_ARGUMENT_CHARS) return call;
  return {
    id: call.id,
    name: call.name,
    arguments: {},
    argumentsError: `the arguments are ${kib(size)} KiB; one call may send at most ${kib(MAX_TOOL_ARGUMENT_CHARS)} KiB. Split the work into smaller calls (e.g. create the file with part of its content, then add the rest with propose_edit)`,
  };
}

function kib(chars: number): string {
  return (chars / 1024).toFixed(chars < 10 * 1024 ? 1 : 0);
}
