/**
 * A model call's messages in the shapes the OpenTelemetry GenAI conventions record them: `gen_ai.system_instructions`,
 * `gen_ai.input.messages` and `gen_ai.output.messages`, each message a role and its parts (text, tool calls, tool
 * results). The span's content recorder redacts and bounds them.
 */
import type { ChatMessage, ToolCall } from '../../protocol/models';
import type { ChatContentMessage, ChatContentPart } from '../../protocol/trace';

/** The leading system messages as instructions, the rest of the conversation as input messages. */
export function chatInputContent(messages: readonly ChatMessage[]): Record<string, unknown> {
  let instructions = 0;
  while (instructions < messages.length && messages[instructions]!.role === 'system') instructions++;
  return {
    ...(instructions > 0 ? { 'gen_ai.system_instructions': messages.slice(0, instructions).map((m): ChatContentPart => ({ type: 'text', content: m.content })) } : {}),
    'gen_ai.input.messages': messages.slice(instructions).map(contentMessage),
  };
}

/** The model's answer: its text and tool calls, with why it stopped. */
export function chatOutputContent(answer: { content: string; toolCalls: readonly ToolCall[]; finishReason: string }): Record<string, unknown> {
  const message: ChatContentMessage = { role: 'assistant', parts: [...textPart(answer.content), ...answer.toolCalls.map(toolCallPart)], finish_reason: answer.finishReason };
  return { 'gen_ai.output.messages': [message] };
}

function contentMessage(message: ChatMessage): ChatContentMessage {
  switch (message.role) {
    case 'assistant':
      return { role: 'assistant', parts: [...textPart(message.content), ...(message.toolCalls ?? []).map(toolCallPart)] };
    case 'tool':
      return { role: 'tool', parts: [{ type: 'tool_call_response', id: message.toolCallId, response: message.content }] };
    default:
      return { role: message.role, parts: textPart(message.content) };
  }
}

function textPart(text: string): ChatContentPart[] {
  return text ? [{ type: 'text', content: text }] : [];
}

function toolCallPart(call: ToolCall): ChatContentPart {
  return { type: 'tool_call', id: call.id, name: call.name, arguments: call.arguments };
}
