import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ElicitRequest, GetMcpPromptRequest, ListMcpPromptsRequest, SetMcpServersRequest, type McpServerInfo } from '../../protocol/rpc';
import { errorText, showError } from '../errors';
import type { AgentHost } from '../host/agentHost';
import { modelConfig } from '../settings';
import { askUserForElicitation } from './elicitation';
import { collectMcpServers } from './mcpServers';
import { registerMcpSignIn, type McpServerStates } from './mcpSignIn';

/** The MCP servers the host runs. */
export interface Mcp {
  /** Sends the current MCP configuration to the host, starting it if needed; resolves with each server's state. */
  sync(): Promise<McpServerInfo[]>;
  readonly states: McpServerStates;
}

/**
 * MCP servers from settings and `.vscode/mcp.json`, sent to the host whenever it starts or they change; servers'
 * questions to the user; OAuth sign-in (`mcpSignIn.ts`); and "Keel: Run MCP Prompt…".
 */
export function registerMcp(context: vscode.ExtensionContext, host: AgentHost, log: vscode.LogOutputChannel): Mcp {
  const states = registerMcpSignIn(context, host, log);
  const sync = async () => {
    const client = await host.ensureStarted();
    const { servers } = await client.sendRequest(SetMcpServersRequest.type, {
      servers: await collectMcpServers(context.secrets, log),
      sampling: await modelConfig(context.secrets),
      sandbox: vscode.workspace.getConfiguration('keel').get<'auto' | 'required' | 'off'>('commands.sandbox', 'auto'),
    });
    // A server waiting for sign-in is not an error: the status bar offers the Sign In.
    states.update(servers);
    for (const server of servers) if (server.sandbox) log.info(`MCP server "${server.name}": ${server.sandbox}`);
    for (const server of servers.filter((s) => s.state === 'failed')) {
      void showError(vscode.l10n.t('MCP server "{0}" ({1}) did not start: {2}. Keel keeps retrying.', server.name, server.source, server.error ?? 'unknown error'), log);
    }
    return servers;
  };
  // One at a time, so a slow sync (one asking for an input) cannot land after a newer one and undo it.
  let syncing = Promise.resolve();
  const resync = () => {
    syncing = syncing.then(async () => {
      if (host.state === 'running') await sync().catch((error) => log.error(`MCP configuration not applied: ${errorText(error)}`));
    });
  };
  const mcpFile = vscode.workspace.createFileSystemWatcher('**/.vscode/mcp.json');
  // The watcher can miss a file written into a folder it has not begun to watch, but not the folder's creation.
  const settingsFolder = vscode.workspace.createFileSystemWatcher('**/.vscode', false, true, false);
  context.subscriptions.push(
    host.onClient((client) => client.onRequest(ElicitRequest.type, (params, token) => askUserForElicitation(params, token))),
    mcpFile,
    mcpFile.onDidChange(resync),
    mcpFile.onDidCreate(resync),
    mcpFile.onDidDelete(resync),
    settingsFolder,
    settingsFolder.onDidCreate(resync),
    settingsFolder.onDidDelete(resync),
    // Model settings matter too: they answer servers' sampling requests.
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('keel') && resync()),
    vscode.workspace.onDidGrantWorkspaceTrust(resync),
    host.onDidChangeState((state) => state === 'running' && resync()),
    vscode.commands.registerCommand('keel.runMcpPrompt', async () => {
      try {
        const goal = await pickMcpPrompt(await host.ensureStarted());
        if (goal !== undefined) await vscode.commands.executeCommand('keel.runTask', goal);
      } catch (error) {
        void showError(errorText(error), log);
      }
    }),
  );
  return { sync, states };
}

/** Lets the user pick an MCP server's prompt and fill in its arguments; returns the goal text. */
async function pickMcpPrompt(client: LanguageClient): Promise<string | undefined> {
  const { prompts } = await client.sendRequest(ListMcpPromptsRequest.type);
  if (prompts.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Keel: no connected MCP server offers prompts. Configure servers in "keel.mcp.servers" or .vscode/mcp.json.'));
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(prompts.map((p) => ({ label: p.name, description: p.server, detail: p.description, prompt: p })), { title: vscode.l10n.t('Keel: Run MCP Prompt') });
  if (!pick) return undefined;
  const args: Record<string, string> = {};
  for (const arg of pick.prompt.arguments) {
    const value = await vscode.window.showInputBox({ title: arg.required ? `${pick.prompt.name}: ${arg.name}` : vscode.l10n.t('{0}: {1} (optional)', pick.prompt.name, arg.name), prompt: arg.description, ignoreFocusOut: true, validateInput: (v) => (arg.required && !v ? vscode.l10n.t('Required.') : undefined) });
    if (value === undefined) return undefined;
    if (value) args[arg.name] = value;
  }
  return (await client.sendRequest(GetMcpPromptRequest.type, { server: pick.prompt.server, name: pick.prompt.name, arguments: args })).text;
}
