import type { ChatMessage } from './types';

/**
 * An id for a tool call whose provider sent none (Ollama always, some OpenAI-compatible servers sometimes):
 * `call_<turn>_<index>`, where the turn counts the assistant messages already in the conversation. The same
 * conversation always gets the same ids, so recorded runs replay exactly, and no two turns of a run collide.
 */
export function assignedToolCallId(messages: readonly ChatMessage[], index: number): string {
  const turn = messages.reduce((count, message) => count + (message.role === 'assistant' ? 1 : 0), 0);
  return `call_${turn}_${index}`;
}
