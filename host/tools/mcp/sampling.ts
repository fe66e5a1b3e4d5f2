import type { CreateMessageRequest, CreateMessageResult } from '@modelcontextprotocol/sdk/types.js';
import type { ModelSettings } from '../../../protocol/run';
import type { ApprovalBroker } from '../../governance/approvals';
import { createChatModel, type ChatMessage } from '../../models';
import { startTrace, type SpanSink } from '../../observability/tracer';

/**
 * A server's sampling request: the user approves it (they see the prompt), then Keel's model answers it.
 * Each request is its own trace, since it happens outside any agent run.
 */
export async function sample(
  server: string,
  request: CreateMessageRequest['params'],
  deps: { model: ModelSettings | undefined; approvals: ApprovalBroker; spans: SpanSink },
): Promise<CreateMessageResult> {
  if (!deps.model) throw new Error('Keel has no model configured for sampling yet.');
  const messages: ChatMessage[] = [
    ...(request.systemPrompt ? [{ role: 'system' as const, content: request.systemPrompt }] : []),
    ...request.messages.map((m) => ({ role: m.role, content: textOf(m.content) })),
  ];
  const span = startTrace(deps.spans, `sampling ${server}`, 'chat', { 'keel.mcp.server': server, 'gen_ai.request.model': deps.model.model, 'gen_ai.provider.name': deps.model.provider });
  const signal = new AbortController().signal;
  try {
    const prompt = messages.map((m) => `${m.role}: ${m.content}`).join('\n');
    const decision = await deps.approvals.reviewToolCall(
      { tool: `sampling (${server})`, source: `mcp:${server}`, risk: 'network', title: `MCP server "${server}" asks your model to answer a prompt. Allow?`, detail: prompt, canAlwaysAllow: false },
      { runId: '', parent: span, signal },
    );
    if (decision.decision === 'denied') throw new Error(`The user declined the sampling request: ${decision.reason}`);
    const model = createChatModel(deps.model);
    const response = await model.chat({ messages, tools: [] }, AbortSignal.timeout(deps.model.timeoutMs));
    span.setAttributes({ 'gen_ai.usage.input_tokens': response.usage.inputTokens, 'gen_ai.usage.output_tokens': response.usage.outputTokens });
    span.end('ok');
    return { role: 'assistant', content: { type: 'text', text: response.content }, model: response.responseModel, stopReason: 'endTurn' };
  } catch (error) {
    span.end('error', (error as Error).message);
    throw error;
  }
}

function textOf(content: CreateMessageRequest['params']['messages'][number]['content']): string {
  const blocks = Array.isArray(content) ? content : [content];
  return blocks.map((b) => (b.type === 'text' ? b.text : `[${b.type}]`)).join('\n');
}
