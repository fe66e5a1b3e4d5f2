import * as vscode from 'vscode';
import type { McpServerSpec } from '../../protocol/rpc';
import { parseMcpConfig } from '../../protocol/mcpConfig';
import { openSetting, showError } from '../errors';

const inputSecret = (id: string) => `keel.mcp.input.${id}`;

/**
 * The MCP servers to run: `keel.mcp.servers` from settings (the common `mcpServers` shape) and the workspace's
 * `.vscode/mcp.json`. In Restricted Mode the workspace file is ignored, since starting its servers would run
 * the workspace's code. `${input:id}` values are asked for once and kept in SecretStorage.
 */
export async function collectMcpServers(secrets: vscode.SecretStorage, log: vscode.LogOutputChannel): Promise<McpServerSpec[]> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const workspaceFolder = folder?.uri.fsPath ?? '';
  const sources: { source: string; text: string }[] = [];
  const fromSettings = vscode.workspace.getConfiguration('keel').get<Record<string, unknown>>('mcp.servers', {});
  if (Object.keys(fromSettings).length > 0) sources.push({ source: 'settings (keel.mcp.servers)', text: JSON.stringify({ mcpServers: fromSettings }) });
  if (folder) {
    const file = vscode.Uri.joinPath(folder.uri, '.vscode', 'mcp.json');
    const text = await vscode.workspace.fs.readFile(file).then((bytes) => new TextDecoder().decode(bytes), () => undefined);
    if (text !== undefined && !vscode.workspace.isTrusted) {
      log.warn('.vscode/mcp.json is ignored in Restricted Mode; trust the workspace to start its MCP servers.');
    } else if (text !== undefined) {
      sources.push({ source: '.vscode/mcp.json', text });
    }
  }
  const servers: McpServerSpec[] = [];
  for (const { source, text } of sources) {
    try {
      const first = parseMcpConfig(text, { source, workspaceFolder, env: process.env, inputs: {} });
      const inputs = await askForInputs(first.inputs, secrets);
      if (inputs === undefined) {
        log.warn(`MCP servers from ${source} were not started: an input was not given.`);
        continue;
      }
      servers.push(...parseMcpConfig(text, { source, workspaceFolder, env: process.env, inputs }).servers);
    } catch (error) {
      const fix = source === '.vscode/mcp.json' && folder ? { label: vscode.l10n.t('Open mcp.json'), command: 'vscode.open', args: [vscode.Uri.joinPath(folder.uri, '.vscode', 'mcp.json')] } : openSetting('keel.mcp.servers');
      void showError((error as Error).message, log, fix);
    }
  }
  return servers;
}

/** Returns every input's value, asking for the ones not stored yet; undefined when the user cancels one. */
async function askForInputs(ids: readonly string[], secrets: vscode.SecretStorage): Promise<Record<string, string> | undefined> {
  const values: Record<string, string> = {};
  for (const id of ids) {
    let value = await secrets.get(inputSecret(id));
    if (value === undefined) {
      value = await vscode.window.showInputBox({ title: vscode.l10n.t('MCP server input "{0}"', id), prompt: vscode.l10n.t('Kept in VS Code\'s SecretStorage for next time.'), password: true, ignoreFocusOut: true });
      if (value === undefined) return undefined;
      await secrets.store(inputSecret(id), value);
    }
    values[id] = value;
  }
  return values;
}
