import * as l10n from '@vscode/l10n';
import { ErrorCode, McpError, type CallToolResult, type Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import type { RiskClass } from '../../../protocol/run';
import { jsonSchemaArgs } from '../argsSchema';
import { TransientToolError } from '../transient';
import type { Tool, ToolContext } from '../tool';
import { McpServerUnavailable, type McpConnection } from './connection';
import type { PinStore } from './pins';

/** `mcp__<server>__<tool>`, within the 64 characters and the character set model APIs accept. */
export function mcpToolName(server: string, tool: string): string {
  return `mcp__${server}__${tool}`.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64);
}

/**
 * Annotations are the server's claims, so they can only raise the risk: a tool that says it is read-only still
 * counts as a write until the user's policy says otherwise.
 */
export function riskOf(annotations: McpTool['annotations']): RiskClass {
  if (annotations?.destructiveHint !== false && !annotations?.readOnlyHint) return 'destructive';
  if (annotations?.openWorldHint) return 'network';
  return 'write';
}

/** An MCP server's tool in Keel's registry: schema-checked, pinned, approved by the user, traced. */
export function mcpTool(connection: McpConnection, definition: McpTool, pins: PinStore): Tool<Record<string, unknown>> {
  const server = connection.name;
  const name = mcpToolName(server, definition.name);
  return {
    name,
    description: `${definition.description ?? definition.title ?? definition.name} (from MCP server "${server}")`,
    risk: riskOf(definition.annotations),
    source: `mcp:${server}`,
    reviewsOwnCalls: true,
    idempotent: definition.annotations?.idempotentHint === true,
    args: jsonSchemaArgs(definition.inputSchema as Record<string, unknown>),
    async pinState() {
      const pin = await pins.check(server, definition);
      if (pin.state === 'changed') return l10n.t('changed — disabled until approved');
      return pin.state === 'pinned' ? (pin.alwaysAllow ? l10n.t('always allowed') : l10n.t('pinned')) : l10n.t('not yet approved');
    },
    async run(args, context) {
      // A repeated attempt of an approved call is the same call: the user is not asked again.
      if ((context.attempt ?? 1) === 1) await approve(name, definition, args, pins, connection, context);
      context.span.setAttributes({ 'keel.mcp.server': server, 'keel.mcp.tool': definition.name });
      const result = await callMcp(connection, definition.name, args, {
        signal: context.signal,
        onProgress: (progress) => {
          context.span.setAttributes({ 'keel.mcp.progress': progress });
          context.span.update();
        },
      });
      const text = renderContent(result);
      if (result.isError) throw new Error(text || l10n.t('the tool reported an error without a message'));
      return text;
    },
  };
}

async function approve(name: string, definition: McpTool, args: Record<string, unknown>, pins: PinStore, connection: McpConnection, context: ToolContext): Promise<void> {
  const server = connection.name;
  const pin = await pins.check(server, definition);
  // The user's "always allow" stands unless the policy asks about this call.
  if (pin.state === 'pinned' && pin.alwaysAllow && !context.policyAsks) return;
  const at = { runId: context.runId, parent: context.span, signal: context.signal };
  const call = `${l10n.t('Arguments:')}\n${JSON.stringify(args, null, 2)}${connection.confinement ? `\n\n${l10n.t('The server: {0}', connection.confinement)}` : ''}`;
  const risk = riskOf(definition.annotations);
  if (pin.state === 'changed') {
    const decision = await context.approvals.reviewToolCall(
      { tool: name, source: `mcp:${server}`, risk, title: l10n.t('MCP server "{0}" changed tool {1} since you approved it. Approve the new definition?', server, definition.name), detail: `${pin.diff}\n\n${call}`, canAlwaysAllow: false },
      at,
    );
    if (decision.decision === 'denied') {
      throw new Error(l10n.t('{0} changed its definition since the user approved it, and stays disabled until the user approves the change.', definition.name));
    }
    await pins.pin(server, definition, false);
    return;
  }
  const decision = await context.approvals.reviewToolCall(
    { tool: name, source: `mcp:${server}`, risk, title: `${l10n.t('Run {0} from MCP server "{1}"?', definition.name, server)}${context.policyAsks ? ` ${l10n.t('Policy asks because {0}.', context.policyAsks.reason)}` : ''}`, detail: `${definition.description ?? ''}\n\n${call}`, canAlwaysAllow: !context.policyAsks, ...policyBasis(context) },
    at,
  );
  if (decision.decision === 'denied') throw new Error(l10n.t('The user denied this call: {0}. Do not call it again with the same arguments.', String(decision.reason)));
  if (pin.state === 'unpinned' || decision.always) await pins.pin(server, definition, decision.always === true);
}

function policyBasis({ policyAsks }: ToolContext): { policy?: { reason: string; level: string; rule?: string } } {
  return policyAsks ? { policy: { reason: policyAsks.reason, level: policyAsks.level, ...(policyAsks.rule ? { rule: policyAsks.rule } : {}) } } : {};
}

/** MCP results are content blocks; the model gets text, with a placeholder for what text cannot carry. */
function renderContent(result: CallToolResult): string {
  const parts = result.content.map((block) => {
    switch (block.type) {
      case 'text':
        return block.text;
      case 'resource':
        return 'text' in block.resource ? String(block.resource.text) : `[resource ${block.resource.uri} (${block.resource.mimeType ?? 'binary'})]`;
      case 'resource_link':
        return `[resource link ${block.uri}${block.name ? ` "${block.name}"` : ''}]`;
      default:
        return `[${block.type}${'mimeType' in block ? ` ${block.mimeType}` : ''}]`;
    }
  });
  if (result.structuredContent && parts.length === 0) parts.push(JSON.stringify(result.structuredContent));
  return parts.join('\n');
}

/**
 * Connection drops and request timeouts are worth a retry for idempotent tools (the call may have run); a server that is
 * not connected got nothing, so any call may be repeated once it is back. Tool errors are not retried.
 */
async function callMcp(connection: McpConnection, name: string, args: Record<string, unknown>, options: Parameters<McpConnection['callTool']>[2]): Promise<CallToolResult> {
  try {
    return await connection.callTool(name, args, options);
  } catch (error) {
    if (error instanceof McpServerUnavailable) throw new TransientToolError(error.message, { cause: error, sent: false });
    if (error instanceof McpError && (error.code === ErrorCode.RequestTimeout || error.code === ErrorCode.ConnectionClosed)) {
      throw new TransientToolError(l10n.t('MCP server "{0}": {1}', connection.name, error.message), { cause: error });
    }
    throw error;
  }
}
