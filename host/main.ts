/**
 * The agent host process. The extension starts it through vscode-languageclient over Node IPC; it speaks
 * only the Keel protocol and exits when its parent dies (vscode-languageserver watches the client's pid).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection, ResponseError, ErrorCodes } from 'vscode-languageserver/node';
import type { SpanData } from '../protocol/trace';
import { checkParams } from '../protocol/params';
import { hostInitializationOptionsSchema, protocolMismatch, PROTOCOL_VERSION, type HostInfo } from '../protocol/version';
import {
  BudgetEscalationRequest, CancelRunRequest, DiscoverOllamaModelsRequest, ElicitRequest, EvalJsRequest, GetMcpPromptRequest, ListMcpPromptsRequest, ListToolsRequest, PingRequest, RunFinishedNotification, SetMcpServersRequest, SpanNotification, StartRunRequest,
} from '../protocol/rpc';
import type { ModelConfig } from '../protocol/models';
import { ApprovalBroker } from './governance/approvals';
import { discoverOllamaModels, RouterCache } from './models';
import { rpcVsCodeChat } from './models/rpcVsCodeChat';
import { RunManager } from './orchestration/runs';
import { Toolbox } from './toolbox';
import { serveMemory } from './memory/workspaceIndex/serveMemory';
import { grantCapabilities } from './tools/sandboxedRun';
import type { McpClientHandlers, McpManager } from './tools/mcp';
import { RpcWorkspace } from './workspace/rpcWorkspace';
import { onValidatedRequest } from './validatedHandlers';
import { guardProcess } from './processGuard';
import { registerEnvSecrets, registerMcpServerSecrets, registerModelKeys } from './observability/knownSecrets';
import { redacted } from './observability/redaction';
import { loadTokenCounter } from './orchestration/tokens';

const HOST_VERSION = '0.1.0';
/** How long a server's sampling request may wait for the user's approval. */
const SERVER_REQUEST_TIMEOUT_MS = 5 * 60_000;
/** How long the embedding model may take to answer its first request before the index opens without vectors. */
const EMBEDDER_PROBE_MS = 10_000;

const connection = createConnection();
const log = (message: string) => connection.console.info(redacted(message));
// Keys in the host's own environment, and those the extension sends (runs, sampling, MCP servers), are redacted everywhere.
registerEnvSecrets(process.env);
guardProcess(log);
let roots: { uri: string; name: string }[] = [];
let folderPath: string | undefined;
let mcp: McpManager | undefined;
let samplingModels: ModelConfig | undefined;
let storageDir: string | undefined;
let filesExclude: readonly string[] = [];
const toolbox = new Toolbox({
  root: () => folderPath,
  storageDir: () => storageDir ?? join(tmpdir(), 'keel-host'),
  hidden: () => filesExclude,
  embedder: () => models.embedder(AbortSignal.timeout(EMBEDDER_PROBE_MS)),
  embedderId: () => models.embedderId(),
  log,
});
const tools = () => toolbox.registry(mcp?.registryTools());
const workspace = new RpcWorkspace(connection, () => folderPath);
const spans = (span: SpanData) => void connection.sendNotification(SpanNotification.type, span);
const models = new RouterCache({
  storageDir: () => storageDir,
  log,
  escalate: async (breach) => (await connection.sendRequest(BudgetEscalationRequest.type, breach)).approved,
  vscodeChat: rpcVsCodeChat(connection, log),
});

const runs = new RunManager({
  workspace,
  models,
  memory: () => toolbox.agentMemory(),
  tools,
  spans,
  finished: (result) => void connection.sendNotification(RunFinishedNotification.type, result),
  log,
});

connection.onInitialize(async (params) => {
  // Parsing the tokenizer's ranks blocks the thread for about 250 ms. Done here, before the client can send
  // anything, no run and no ping ever waits on it; the first task waits for initialize and needs it at once anyway.
  await loadTokenCounter();
  const mismatch = protocolMismatch((params.initializationOptions as { protocolVersion?: unknown } | null | undefined)?.protocolVersion);
  if (mismatch) throw new ResponseError(ErrorCodes.InvalidRequest, mismatch, { retry: false });
  const checked = checkParams(hostInitializationOptionsSchema, params.initializationOptions, 'initialize');
  if (!checked.ok) throw new ResponseError(ErrorCodes.InvalidParams, checked.message, { retry: false });
  const options = checked.params;
  roots = (params.workspaceFolders ?? []).map((f) => ({ uri: f.uri, name: f.name }));
  const first = roots[0]?.uri;
  folderPath = first?.startsWith('file:') ? fileURLToPath(first) : undefined;
  storageDir = options.storageDir;
  filesExclude = options.filesExclude ?? [];

  const keel: HostInfo = { protocolVersion: PROTOCOL_VERSION, hostVersion: HOST_VERSION };
  return { capabilities: {}, serverInfo: { name: 'keel-host', version: HOST_VERSION }, keel };
});

// The shape was checked against the protocol; the run manager still refuses an empty goal and router settings that
// do not parse, naming the setting.
onValidatedRequest(connection, StartRunRequest, (params) => {
  try {
    registerModelKeys(params.models);
    const { runId } = runs.start(params);
    log(`run ${runId} started`);
    return { runId };
  } catch (error) {
    return new ResponseError(ErrorCodes.InvalidParams, (error as Error).message);
  }
});

onValidatedRequest(connection, CancelRunRequest, ({ runId }) => ({ cancelled: runs.cancel(runId) }));

onValidatedRequest(connection, SetMcpServersRequest, async ({ servers, sampling }) => {
  samplingModels = sampling;
  registerModelKeys(sampling);
  registerMcpServerSecrets(servers);
  // The settings in force, for the index's embedder too; a mistake in them is reported when a run starts.
  try {
    models.for(sampling);
    void toolbox.memory.refresh();
  } catch (error) {
    log(`model settings not applied: ${(error as Error).message}`);
  }
  if (!mcp && servers.length === 0) return { servers: [] };
  const manager = (mcp ??= await startMcp());
  await manager.setServers(servers);
  return { servers: manager.status() };
});

/** The MCP client (and its SDK) loads only once a server is configured. */
async function startMcp(): Promise<McpManager> {
  const { McpManager, mcpUserHandlers, PinStore } = await import('./tools/mcp');
  const pins = new PinStore(storageDir ? join(storageDir, 'mcp-pins.json') : undefined, log);
  const handlers: McpClientHandlers = mcpUserHandlers({
    roots: () => roots,
    log,
    askUser: (request) => connection.sendRequest(ElicitRequest.type, request),
    approvals: new ApprovalBroker(workspace, SERVER_REQUEST_TIMEOUT_MS),
    spans,
    samplingModel: () => (samplingModels ? models.for(samplingModels) : undefined),
  });
  return new McpManager(handlers, pins);
}

onValidatedRequest(connection, ListMcpPromptsRequest, async () => ({ prompts: (await mcp?.prompts()) ?? [] }));

onValidatedRequest(connection, GetMcpPromptRequest, async ({ server, name, arguments: args }) => {
  if (!mcp) throw new Error(`No MCP server named "${server}" is configured.`);
  return { text: await mcp.promptText(server, name, args) };
});

onValidatedRequest(connection, ListToolsRequest, async () => {
  const registry = await tools();
  return {
    tools: await Promise.all(registry.list().map(async (tool) => {
      const pin = await tool.pinState?.();
      return { name: tool.name, description: tool.description, source: tool.source, risk: tool.risk, ...(pin ? { pin } : {}), ...toolbox.stats.get(tool.name) };
    })),
    problems: [...toolbox.problems],
  };
});

onValidatedRequest(connection, EvalJsRequest, async ({ code, input }) => {
  const capabilities = folderPath ? grantCapabilities(['readFile', 'listFiles'], folderPath, []) : {};
  const { outcome, value, error, logs, durationMs } = await toolbox.sandbox().execute({ code, input, capabilities });
  return { outcome, ...(value !== undefined ? { value } : {}), ...(error ? { error } : {}), logs, durationMs };
});

serveMemory(connection, toolbox.memory, {
  hide: (globs) => {
    filesExclude = globs;
  },
  log,
});

onValidatedRequest(connection, DiscoverOllamaModelsRequest, async ({ baseUrl }) => ({ entries: await discoverOllamaModels(baseUrl, AbortSignal.timeout(10_000)) }));

onValidatedRequest(connection, PingRequest, ({ sentAt }) => ({ sentAt, pid: process.pid, hostTime: performance.timeOrigin + performance.now() }));

connection.onShutdown(async () => {
  runs.cancelAll();
  await mcp?.stopAll();
  await Promise.all([toolbox.dispose(), models.flush()]);
});

connection.listen();
