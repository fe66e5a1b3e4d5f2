import type { Connection } from 'vscode-languageserver/node';
import { CheckModelRequest, DiscoverOllamaModelsRequest, EvalJsRequest, GetMcpPromptRequest, ListMcpPromptsRequest, ListToolsRequest, McpSignInRequest, McpSignOutRequest, SetMcpServersRequest } from '../../protocol/rpc';
import type { AgentHost } from '../agentHost';
import { discoverOllamaModels } from '../models';
import { registerModelKeys } from '../observability/knownSecrets';
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
  onValidatedRequest(connection, CheckModelRequest, ({ models }) => {
    // The key may come back in a server's error text; the host's log and traces redact what it has seen.
    registerModelKeys(models);
    return host.models.check(models);
  });
}
