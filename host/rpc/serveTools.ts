import type { Connection } from 'vscode-languageserver/node';
import { CheckModelRequest, DiscoverOllamaModelsRequest, EvalJsRequest, GetMcpPromptRequest, ListMcpPromptsRequest, ListToolsRequest, McpSignInRequest, McpSignOutRequest, SetMcpServersRequest } from '../../protocol/rpc';
import type { AgentHost } from '../agentHost';
import { discoverOllamaModels } from '../models';
import { registerModelKeys } from '../observability/knownSecrets';
import { redacted } from '../observability/redaction';
import { onValidatedRequest } from '../validatedHandlers';

/** Tools, the sandbox, MCP servers and model discovery and checks, as "Keel: Show Tools", "Run JavaScript", "Configure Models…" ask. */
export function serveTools(connection: Connection, host: AgentHost): void {
  onValidatedRequest(connection, ListToolsRequest, () => host.listTools());
  onValidatedRequest(connection, EvalJsRequest, async ({ code, input }) => {
    const { outcome, value, error, logs, durationMs } = await host.evalJs(code, input);
    return { outcome, ...(value !== undefined ? { value } : {}), ...(error ? { error } : {}), logs, durationMs };
  });
  onValidatedRequest(connection, SetMcpServersRequest, async ({ servers, sampling, sandbox }) => ({ servers: await host.setMcpServers(servers, sampling, sandbox) }));
  onValidatedRequest(connection, McpSignInRequest, ({ server }) => host.signInMcp(server));
  onValidatedRequest(connection, McpSignOutRequest, async ({ server }) => {
    await host.signOutMcp(server);
    return { signedOut: true };
  });
  onValidatedRequest(connection, ListMcpPromptsRequest, async () => ({ prompts: await host.mcpPrompts() }));
  onValidatedRequest(connection, GetMcpPromptRequest, async ({ server, name, arguments: args }) => ({ text: await host.mcpPromptText(server, name, args) }));
  onValidatedRequest(connection, DiscoverOllamaModelsRequest, async ({ baseUrl }) => ({ entries: await discoverOllamaModels(baseUrl, AbortSignal.timeout(10_000)) }));
  onValidatedRequest(connection, CheckModelRequest, async ({ models }) => {
    // A server may quote the key back in its error; it is redacted before the sidebar shows it.
    registerModelKeys(models);
    const result = await host.models.check(models);
    return result.error ? { ...result, error: { ...result.error, message: redacted(result.error.message) } } : result;
  });
}
