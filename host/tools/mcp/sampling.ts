import type { CreateMessageRequest, CreateMessageResult } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import * as l10n from '@vscode/l10n';
import type { ApprovalBroker } from '../../governance/approvals';
import type { BudgetEscalation, ChatMessage, ModelRouter } from '../../models';
import { chatInputContent, chatOutputContent } from '../../observability/genAiMessages';
import { startTrace, type SpanSink } from '../../observability/tracer';

/**
 * A server's sampling request: the user approves it (they see the prompt), then Keel's model answers it.
 * Each request is its own trace, since it happens outside any agent run.
 */
export async function sample(
  server: string,
  request: CreateMessageRequest['params'],
  deps: { model: SamplingModel | undefined; approvals: ApprovalBroker; spans: SpanSink },
): Promise<CreateMessageResult> {
  if (!deps.model) throw new Error(l10n.t('Keel has no model configured for sampling yet.'));
  const model = deps.model;
  const messages: ChatMessage[] = [
    ...(request.systemPrompt ? [{ role: 'system' as const, content: request.systemPrompt }] : []),
    ...request.messages.map((m) => ({ role: m.role, content: textOf(m.content) })),
  ];
  const span = startTrace(deps.spans, `sampling ${server}`, 'chat', { 'keel.mcp.server': server });
  span.setContent(chatInputContent(messages));
  const signal = new AbortController().signal;
  const runId = `sampling-${randomUUID()}`;
  try {
    const prompt = messages.map((m) => `${m.role}: ${m.content}`).join('\n');
    const decision = await deps.approvals.reviewToolCall(
      { tool: `sampling (${server})`, source: `mcp:${server}`, risk: 'network', title: l10n.t('MCP server "{0}" asks your model to answer a prompt. Allow?', server), detail: prompt, canAlwaysAllow: false },
      { runId: '', parent: span, signal },
    );
    if (decision.decision === 'denied') throw new Error(l10n.t('The user declined the sampling request: {0}', String(decision.reason)));
    // Billed to the server as its own agent, so a per-agent budget can cap what servers spend.
    const signalled = AbortSignal.timeout(SAMPLING_TIMEOUT_MS);
    const escalate = (escalation: BudgetEscalation) => deps.approvals.approveBudget(escalation, { runId, parent: span, signal: signalled });
    const response = await model.chat({ messages, tools: [], taskClass: 'act', agent: `mcp:${server}`, runId, escalate }, signalled, span);
    span.setContent(chatOutputContent(response));
    span.end('ok');
    return { role: 'assistant', content: { type: 'text', text: response.content }, model: response.responseModel, stopReason: 'endTurn' };
  } catch (error) {
    span.end('error', (error as Error).message);
    throw error;
  } finally {
    model.endRun(runId);
  }
}

/** The router, as sampling uses it. */
export type SamplingModel = Pick<ModelRouter, 'chat' | 'endRun'>;

/** Retries and fallbacks included; the user has already waited for the approval. */
const SAMPLING_TIMEOUT_MS = 5 * 60_000;

function textOf(content: CreateMessageRequest['params']['messages'][number]['content']): string {
  const blocks = Array.isArray(content) ? content : [content];
  return blocks.map((b) => (b.type === 'text' ? b.text : `[${b.type}]`)).join('\n');
}
