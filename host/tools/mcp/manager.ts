import * as l10n from '@vscode/l10n';
import type { Tool } from '../tool';
import type { McpServerConfig } from '../../../protocol/mcpConfig';
import type { CommandSandboxMode } from '../../governance/commandSandbox';
import type { ServerSandboxSettings } from '../../governance/serverSandbox';
import { McpConnection, type McpClientHandlers, type McpServerState } from './connection';
import { mcpTool } from './mcpTools';
import { resourceTools } from './resourceTools';
import type { PinStore } from './pins';

export interface McpServerStatus {
  readonly name: string;
  readonly source: string;
  readonly state: McpServerState;
  readonly tools: number;
  readonly error?: string;
  /** A stdio server's confinement: whether it runs in the OS sandbox, and what it can reach. */
  readonly sandbox?: string;
  /** A started stdio server: whether it runs in the OS sandbox (`false`: with the user's permissions). */
  readonly sandboxed?: boolean;
}

/** All configured MCP servers: started, replaced when the configuration changes, and stopped with the host. */
export class McpManager {
  private readonly connections = new Map<string, McpConnection>();
  /** Each connection's first attempt, so concurrent callers all wait for it. */
  private readonly firstAttempts = new Map<string, Promise<void>>();
  private readonly tools = new Map<string, Tool<never>[]>();

  constructor(
    private readonly handlers: McpClientHandlers,
    private readonly pins: PinStore,
    /** Told of every server's state whenever one changes after `setServers` (a sign-in needed, a lost connection). */
    private readonly onStatus: (servers: McpServerStatus[]) => void = () => undefined,
    /** How stdio servers are sandboxed; `setServers` may change the mode. */
    private sandbox: ServerSandboxSettings = { mode: 'auto' },
  ) {}

  /**
   * Starts what is new or changed, stops what is gone; resolves when every server has tried once to connect. A new
   * sandbox `mode` (`keel.commands.sandbox`) restarts the stdio servers under it.
   */
  async setServers(configs: readonly McpServerConfig[], mode: CommandSandboxMode = this.sandbox.mode): Promise<void> {
    const remode = mode !== this.sandbox.mode;
    this.sandbox = { ...this.sandbox, mode };
    const wanted = new Map(configs.map((c) => [c.name, c]));
    for (const [name, connection] of this.connections) {
      if (JSON.stringify(wanted.get(name)) === JSON.stringify(connection.config) && !(remode && connection.config.type === 'stdio')) continue;
      await connection.stop();
      this.connections.delete(name);
      this.firstAttempts.delete(name);
      this.tools.delete(name);
    }
    for (const config of configs) {
      if (this.connections.has(config.name)) continue;
      const connection = new McpConnection(config, this.handlers, () => {
        this.refresh(connection);
        this.onStatus(this.status());
      }, this.sandbox);
      this.connections.set(config.name, connection);
      this.firstAttempts.set(config.name, connection.connect());
    }
    await Promise.all(configs.map((c) => this.firstAttempts.get(c.name)));
  }

  /** Signs in to a server through the browser; resolves with its state when the flow ends. */
  async signIn(server: string): Promise<McpServerStatus> {
    const connection = this.connection(server);
    await this.firstAttempts.get(server);
    await connection.signIn();
    const status = this.status().find((s) => s.name === server);
    if (!status) throw new Error(l10n.t('No MCP server named "{0}" is configured any more.', server));
    return status;
  }

  /** Forgets a server's OAuth credentials; it waits for sign-in again. */
  async signOut(server: string): Promise<void> {
    await this.connection(server).signOut();
  }

  registryTools(): Tool<never>[] {
    return [...this.tools.values()].flat();
  }

  status(): McpServerStatus[] {
    return [...this.connections.values()].map((c) => ({
      name: c.name,
      source: c.config.source,
      state: c.state,
      tools: c.tools.length,
      ...(c.lastError ? { error: c.lastError } : {}),
      ...(c.confinement ? { sandbox: c.confinement } : {}),
      ...(c.sandboxed !== undefined ? { sandboxed: c.sandboxed } : {}),
    }));
  }

  /** Every connected server's prompts, for the user to start a task from. */
  async prompts(): Promise<{ server: string; name: string; description?: string; arguments: { name: string; description?: string; required?: boolean }[] }[]> {
    const all = await Promise.all([...this.connections.values()].filter((c) => c.offers('prompts')).map(async (c) =>
      (await c.listPrompts()).prompts.map((p) => ({ server: c.name, name: p.name, ...(p.description ? { description: p.description } : {}), arguments: p.arguments ?? [] }))));
    return all.flat();
  }

  /** A prompt's messages as the text of a goal. */
  async promptText(server: string, name: string, args: Record<string, string>): Promise<string> {
    const { messages } = await this.connection(server).getPrompt(name, args);
    return messages.map((m) => (m.content.type === 'text' ? m.content.text : `[${m.content.type}]`)).join('\n\n');
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.stop()));
    this.connections.clear();
    this.firstAttempts.clear();
    this.tools.clear();
  }

  private connection(server: string): McpConnection {
    const connection = this.connections.get(server);
    if (!connection) throw new Error(l10n.t('No MCP server named "{0}" is configured.', server));
    return connection;
  }

  private refresh(connection: McpConnection): void {
    const tools: Tool<never>[] = [];
    for (const definition of connection.tools) {
      try {
        tools.push(mcpTool(connection, definition, this.pins) as Tool<never>);
      } catch (error) {
        this.handlers.log(`MCP server "${connection.name}": tool ${definition.name} is left out: ${(error as Error).message}`);
      }
    }
    if (connection.offers('resources')) tools.push(...resourceTools(connection));
    this.tools.set(connection.name, tools);
  }
}
