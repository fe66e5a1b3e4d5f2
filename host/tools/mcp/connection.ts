import * as l10n from '@vscode/l10n';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema, ToolListChangedNotificationSchema,
  type CallToolResult, type CreateMessageRequest, type GetPromptResult, type ListPromptsResult, type ListResourcesResult, type ReadResourceResult, type CreateMessageResult, type ElicitRequest, type ElicitResult, type Tool as McpTool,
} from '@modelcontextprotocol/sdk/types.js';
import { fileURLToPath } from 'node:url';
import type { McpServerConfig } from '../../../protocol/mcpConfig';
import { SandboxRequired, serverLaunch, type ServerSandboxSettings } from '../../governance/serverSandbox';
import { AuthRefused, authFailure, isAuthError, SignInRequired } from './auth/authErrors';
import type { SignInReason } from './auth/keelOAuthProvider';
import { oauthFetch, serverAuth, type McpAuthPorts, type ServerAuth } from './auth/serverAuth';

export type McpServerState = 'connecting' | 'connected' | 'needs-sign-in' | 'failed' | 'stopped';

/** What Keel offers a server: the workspace roots, and user-facing sampling and elicitation. */
export interface McpClientHandlers {
  roots(): { uri: string; name: string }[];
  /** Sampling goes through Keel's models and needs the user's approval; reject to refuse. */
  sample?(server: string, request: CreateMessageRequest['params']): Promise<CreateMessageResult>;
  /** Elicitation is shown to the user; resolve with their answer or a decline. */
  elicit?(server: string, request: ElicitRequest['params']): Promise<ElicitResult>;
  /** OAuth for HTTP servers that ask for it; without it such a server fails to connect. */
  auth?: McpAuthPorts;
  log(message: string): void;
}

const CALL_TIMEOUT_MS = 60_000;
const MAX_RECONNECT_DELAY_MS = 30_000;
/** How many sign-ins one request may need (a first one, then more scopes) before Keel calls the server broken. */
const MAX_SIGN_INS = 2;

type HttpTransport = StreamableHTTPClientTransport | SSEClientTransport;

/** A request that was not sent: the server is not connected (starting, reconnecting, failed or stopped). */
export class McpServerUnavailable extends Error {
  override readonly name = 'McpServerUnavailable';
}

/**
 * One MCP server: connects over stdio or Streamable HTTP (falling back to the older SSE transport), keeps its
 * tool list current, and reconnects with backoff when the connection drops. A server that crashes or hangs is
 * reported through `state` and never takes the host down.
 */
export class McpConnection {
  private client: Client | undefined;
  /** The HTTP transport last connected or tried; its `finishAuth` exchanges a code for the challenge it met. */
  private transport: HttpTransport | undefined;
  private auth: ServerAuth | undefined;
  private toolList: McpTool[] = [];
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  /** Cleans up after the stdio server's sandbox once its process is gone. */
  private disposeLaunch: (() => void) | undefined;
  private launchHint: string | undefined;
  state: McpServerState = 'connecting';
  lastError: string | undefined;
  /** A stdio server's confinement, for its status and its tools' first-use approval. */
  confinement: string | undefined;
  /** Whether the started stdio server runs in the OS sandbox; undefined until one starts. */
  sandboxed: boolean | undefined;

  constructor(
    readonly config: McpServerConfig,
    private readonly handlers: McpClientHandlers,
    private readonly onChange: () => void,
    private readonly sandbox: ServerSandboxSettings = { mode: 'auto' },
  ) {}

  get name(): string {
    return this.config.name;
  }

  get tools(): readonly McpTool[] {
    return this.state === 'connected' ? this.toolList : [];
  }

  /**
   * Connects; `signIn` lets an OAuth server's sign-in open the browser. Without it (a background connect) a server
   * that wants a sign-in the host cannot do by itself (refresh) waits in `needs-sign-in` instead of failing.
   */
  async connect(signIn = false): Promise<void> {
    clearTimeout(this.reconnectTimer);
    this.state = 'connecting';
    try {
      await this.authFor()?.interactive?.load();
      const reason = signIn || this.handlers.auth?.signInOnConnect ? 'sign-in' : undefined;
      await this.authorized(reason, () => this.open());
      // Some servers let anyone initialize and ask for a sign-in at the first real request.
      this.toolList = (await this.authorized(reason, () => this.client!.listTools())).tools;
      this.state = 'connected';
      this.failures = 0;
      this.lastError = undefined;
      this.handlers.log(`MCP server "${this.name}" connected with ${this.toolList.length} tools`);
    } catch (error) {
      const hint = this.launchHint && !(error instanceof SandboxRequired) ? new Error(`${(error as Error).message} (${this.launchHint})`) : undefined;
      this.failed(this.auth ? authFailure(this.name, error) : (hint ?? (error as Error)));
    }
    this.onChange();
  }

  /** The user's "Sign In": drops the current connection and connects again with the browser allowed. */
  async signIn(): Promise<void> {
    if (this.config.type !== 'http') throw new Error(l10n.t('MCP server "{0}" runs locally (stdio) and has no sign-in.', this.name));
    await this.closeClient();
    await this.connect(true);
  }

  /** Forgets the server's tokens and client registration, then reconnects without them. */
  async signOut(): Promise<void> {
    const interactive = this.config.type === 'http' ? this.authFor()?.interactive : undefined;
    if (!interactive) throw new Error(l10n.t('MCP server "{0}" has no browser sign-in to sign out of.', this.name));
    await this.closeClient();
    await interactive.signOut();
    await this.connect();
  }

  async callTool(name: string, args: Record<string, unknown>, options: { signal: AbortSignal; onProgress?: (message: string) => void }): Promise<CallToolResult> {
    try {
      // A server may ask for more scopes for one tool (step-up), which sends the user back to the browser.
      return (await this.authorized('step-up', () => this.connected().callTool({ name, arguments: args }, undefined, {
        signal: options.signal,
        timeout: CALL_TIMEOUT_MS,
        resetTimeoutOnProgress: true,
        onprogress: (p) => options.onProgress?.(`${p.progress}${p.total ? `/${p.total}` : ''}${p.message ? ` ${p.message}` : ''}`),
      }))) as CallToolResult;
    } catch (error) {
      if (!this.auth) throw error;
      const failure = authFailure(this.name, error);
      if (failure instanceof SignInRequired) {
        this.failed(failure);
        this.onChange();
      }
      throw failure;
    }
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
    this.auth?.interactive?.cancelSignIn();
    await this.closeClient();
    this.state = 'stopped';
  }

  private async closeClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.toolList = [];
    await client?.close().catch(() => undefined);
    this.releaseLaunch();
  }

  private releaseLaunch(): void {
    this.disposeLaunch?.();
    this.disposeLaunch = undefined;
  }

  /** The OAuth provider, made once per connection so tokens outlive reconnects; none for stdio or without auth ports. */
  private authFor(): ServerAuth | undefined {
    if (this.config.type !== 'http' || !this.handlers.auth) return undefined;
    return (this.auth ??= serverAuth(this.config, this.handlers.auth));
  }

  /** Connects a new client, over the transport its configuration names. */
  private async open(): Promise<void> {
    const client = this.newClient();
    await this.connectTransport(client);
    this.client = client;
  }

  /**
   * Runs `request` with the browser allowed for `reason` (none: a sign-in is `SignInRequired`). When the browser
   * brought a code back, the transport exchanges it and `request` runs again, a bounded number of times, so a
   * server that keeps asking for more scopes cannot hold the user in a loop.
   */
  private async authorized<T>(reason: SignInReason | undefined, request: () => Promise<T>): Promise<T> {
    const interactive = this.auth?.interactive;
    for (let attempt = 1; ; attempt++) {
      if (interactive) interactive.browser = reason;
      try {
        return await request();
      } catch (error) {
        const code = interactive?.takeCode();
        if (!(error instanceof UnauthorizedError) || !code || !this.transport || attempt > MAX_SIGN_INS) throw error;
        await this.transport.finishAuth(code);
      } finally {
        if (interactive) interactive.browser = undefined;
      }
    }
  }

  private connected(): Client {
    if (!this.client || this.state !== 'connected') throw new McpServerUnavailable(this.lastError ? l10n.t('{0} ({1})', this.unavailable(), this.lastError) : this.unavailable());
    return this.client;
  }

  private unavailable(): string {
    switch (this.state) {
      case 'connecting': return l10n.t('MCP server "{0}" is still connecting.', this.name);
      case 'needs-sign-in': return l10n.t('MCP server "{0}" needs a sign-in.', this.name);
      case 'failed': return l10n.t('MCP server "{0}" did not connect.', this.name);
      default: return l10n.t('MCP server "{0}" is stopped.', this.name);
    }
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
      this.releaseLaunch();
      this.client = undefined;
      this.fail(l10n.t('the connection closed'));
      this.onChange();
    };
    return client;
  }

  private async connectTransport(client: Client): Promise<void> {
    const config = this.config;
    if (config.type === 'stdio') {
      // No shell, only a safe subset of the host's environment plus what the config names, and the OS sandbox.
      const folders = this.handlers.roots().flatMap((root) => localPath(root.uri));
      this.releaseLaunch();
      const launch = serverLaunch(config, getDefaultEnvironment(), folders, this.sandbox);
      this.confinement = launch.note;
      this.sandboxed = launch.sandbox !== undefined;
      this.launchHint = launch.hint;
      this.disposeLaunch = () => launch.dispose();
      const transport = new StdioClientTransport({ command: launch.command, args: [...launch.args], env: launch.env, ...(launch.cwd ? { cwd: launch.cwd } : {}), stderr: 'pipe' });
      transport.stderr?.on('data', (chunk: Buffer) => this.handlers.log(`[${this.name}] ${chunk.toString().trimEnd()}`));
      await client.connect(transport);
      return;
    }
    const url = new URL(config.url);
    const requestInit = { headers: { ...config.headers } };
    const auth = this.auth ? { authProvider: this.auth.provider, fetch: oauthFetch(config) } : {};
    try {
      this.transport = new StreamableHTTPClientTransport(url, { requestInit, ...auth });
      await client.connect(this.transport as Transport);
    } catch (error) {
      // A server that asks for a sign-in speaks Streamable HTTP; the fallback is for the other failures.
      if ((this.auth && isAuthError(error)) || this.stopped) throw error;
      // Servers from before the 2025-03-26 spec speak only HTTP+SSE.
      this.handlers.log(`MCP server "${this.name}": Streamable HTTP failed (${(error as Error).message}); trying SSE`);
      this.transport = new SSEClientTransport(url, { requestInit, ...auth });
      await client.connect(this.transport);
    }
  }

  /** A sign-in to wait for is a state, not a failure; a refusal is not retried, since the server would do it again. */
  private failed(error: Error): void {
    if (error instanceof SandboxRequired) {
      this.state = 'failed';
      this.lastError = error.message;
      this.confinement = l10n.t('It is not started: servers must run sandboxed, and there is no OS sandbox here.');
      this.sandboxed = undefined;
      this.handlers.log(error.message);
      return;
    }
    if (error instanceof SignInRequired || error instanceof AuthRefused) {
      this.state = error instanceof SignInRequired ? 'needs-sign-in' : 'failed';
      this.lastError = error.message;
      this.toolList = [];
      this.handlers.log(error.message);
      return;
    }
    this.fail(l10n.t('could not connect: {0}', error.message));
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

/** A workspace folder's path on this machine; none for a remote folder or a URI that names no local path. */
function localPath(uri: string): string[] {
  try {
    return uri.startsWith('file:') ? [fileURLToPath(uri)] : [];
  } catch {
    return [];
  }
}
