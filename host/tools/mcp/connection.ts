import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema, ToolListChangedNotificationSchema,
  type CallToolResult, type CreateMessageRequest, type GetPromptResult, type ListPromptsResult, type ListResourcesResult, type ReadResourceResult, type CreateMessageResult, type ElicitRequest, type ElicitResult, type Tool as McpTool,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from '../../../protocol/mcpConfig';

export type McpServerState = 'connecting' | 'connected' | 'failed' | 'stopped';

/** What Keel offers a server: the workspace roots, and user-facing sampling and elicitation. */
export interface McpClientHandlers {
  roots(): { uri: string; name: string }[];
  /** Sampling goes through Keel's models and needs the user's approval; reject to refuse. */
  sample?(server: string, request: CreateMessageRequest['params']): Promise<CreateMessageResult>;
  /** Elicitation is shown to the user; resolve with their answer or a decline. */
  elicit?(server: string, request: ElicitRequest['params']): Promise<ElicitResult>;
  log(message: string): void;
}

const CALL_TIMEOUT_MS = 60_000;
const MAX_RECONNECT_DELAY_MS = 30_000;

/**
 * One MCP server: connects over stdio or Streamable HTTP (falling back to the older SSE transport), keeps its
 * tool list current, and reconnects with backoff when the connection drops. A server that crashes or hangs is
 * reported through `state` and never takes the host down.
 */
export class McpConnection {
  private client: Client | undefined;
  private toolList: McpTool[] = [];
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  state: McpServerState = 'connecting';
  lastError: string | undefined;

  constructor(
    readonly config: McpServerConfig,
    private readonly handlers: McpClientHandlers,
    private readonly onChange: () => void,
  ) {}

  get name(): string {
    return this.config.name;
  }

  get tools(): readonly McpTool[] {
    return this.state === 'connected' ? this.toolList : [];
  }

  async connect(): Promise<void> {
    this.state = 'connecting';
    try {
      const client = this.newClient();
      await this.connectTransport(client);
      this.client = client;
      this.toolList = (await client.listTools()).tools;
      this.state = 'connected';
      this.failures = 0;
      this.lastError = undefined;
      this.handlers.log(`MCP server "${this.name}" connected with ${this.toolList.length} tools`);
    } catch (error) {
      this.fail(`could not connect: ${(error as Error).message}`);
    }
    this.onChange();
  }

  async callTool(name: string, args: Record<string, unknown>, options: { signal: AbortSignal; onProgress?: (message: string) => void }): Promise<CallToolResult> {
    return (await this.connected().callTool({ name, arguments: args }, undefined, {
      signal: options.signal,
      timeout: CALL_TIMEOUT_MS,
      resetTimeoutOnProgress: true,
      onprogress: (p) => options.onProgress?.(`${p.progress}${p.total ? `/${p.total}` : ''}${p.message ? ` ${p.message}` : ''}`),
    })) as CallToolResult;
  }

  /** Whether the server offers resources or prompts (from its initialize result). */
  offers(capability: 'resources' | 'prompts'): boolean {
    return this.state === 'connected' && this.client?.getServerCapabilities()?.[capability] !== undefined;
  }

  listResources(signal: AbortSignal): Promise<ListResourcesResult> {
    return this.connected().listResources(undefined, { signal, timeout: CALL_TIMEOUT_MS });
  }

  readResource(uri: string, signal: AbortSignal): Promise<ReadResourceResult> {
    return this.connected().readResource({ uri }, { signal, timeout: CALL_TIMEOUT_MS });
  }

  listPrompts(): Promise<ListPromptsResult> {
    return this.connected().listPrompts(undefined, { timeout: CALL_TIMEOUT_MS });
  }

  getPrompt(name: string, args: Record<string, string>): Promise<GetPromptResult> {
    return this.connected().getPrompt({ name, arguments: args }, { timeout: CALL_TIMEOUT_MS });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    this.state = 'stopped';
    await client?.close().catch(() => undefined);
  }

  private connected(): Client {
    if (!this.client || this.state !== 'connected') throw new Error(`MCP server "${this.name}" is ${this.state}${this.lastError ? ` (${this.lastError})` : ''}.`);
    return this.client;
  }

  private newClient(): Client {
    const client = new Client(
      { name: 'keel', version: '0.1.0' },
      { capabilities: { roots: { listChanged: true }, ...(this.handlers.sample ? { sampling: {} } : {}), ...(this.handlers.elicit ? { elicitation: {} } : {}) } },
    );
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: this.handlers.roots() }));
    const { sample, elicit } = this.handlers;
    if (sample) client.setRequestHandler(CreateMessageRequestSchema, (request) => sample(this.name, request.params));
    if (elicit) client.setRequestHandler(ElicitRequestSchema, (request) => elicit(this.name, request.params));
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      this.toolList = (await client.listTools()).tools;
      this.handlers.log(`MCP server "${this.name}" changed its tools (${this.toolList.length} now)`);
      this.onChange();
    });
    client.onclose = () => {
      if (this.client !== client || this.stopped) return;
      this.client = undefined;
      this.fail('the connection closed');
      this.onChange();
    };
    return client;
  }

  private async connectTransport(client: Client): Promise<void> {
    const config = this.config;
    if (config.type === 'stdio') {
      // No shell, and only a safe subset of the host's environment plus what the config names.
      const transport = new StdioClientTransport({
        command: config.command,
        args: [...config.args],
        env: { ...getDefaultEnvironment(), ...config.env },
        ...(config.cwd ? { cwd: config.cwd } : {}),
        stderr: 'pipe',
      });
      transport.stderr?.on('data', (chunk: Buffer) => this.handlers.log(`[${this.name}] ${chunk.toString().trimEnd()}`));
      await client.connect(transport);
      return;
    }
    const url = new URL(config.url);
    const requestInit = { headers: { ...config.headers } };
    try {
      await client.connect(new StreamableHTTPClientTransport(url, { requestInit }) as Transport);
    } catch (error) {
      // Servers from before the 2025-03-26 spec speak only HTTP+SSE.
      this.handlers.log(`MCP server "${this.name}": Streamable HTTP failed (${(error as Error).message}); trying SSE`);
      await client.connect(new SSEClientTransport(url, { requestInit }));
    }
  }

  private fail(reason: string): void {
    this.state = 'failed';
    this.lastError = reason;
    this.toolList = [];
    this.failures++;
    if (this.stopped) return;
    const delay = Math.min(MAX_RECONNECT_DELAY_MS, 500 * 2 ** (this.failures - 1));
    this.handlers.log(`MCP server "${this.name}" ${reason}; reconnecting in ${Math.round(delay / 1000)} s`);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    this.reconnectTimer.unref();
  }
}
