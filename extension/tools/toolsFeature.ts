import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ListToolsRequest } from '../../protocol/rpc';
import { errorText, showError } from '../errors';
import type { AgentHost } from '../host/agentHost';

/** "Keel: Show Tools": every tool agents are offered, and those that are not, with why. */
export function registerTools(context: vscode.ExtensionContext, host: AgentHost, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('keel.showTools', async () => {
      try {
        await showTools(await host.ensureStarted());
      } catch (error) {
        void showError(errorText(error), log);
      }
    }),
  );
}

async function showTools(client: LanguageClient): Promise<void> {
  const { tools, problems } = await client.sendRequest(ListToolsRequest.type);
  await vscode.window.showQuickPick(
    [
      ...problems.map((problem) => ({ label: '$(warning) Not offered', detail: problem })),
      ...tools.map((t) => ({
        label: t.name,
        description: `${t.source} · risk: ${t.risk}${t.pin ? ` · ${t.pin}` : ''} · ${t.calls} call${t.calls === 1 ? '' : 's'}${t.failures ? `, ${t.failures} failed` : ''}${t.lastDurationMs !== undefined ? ` · last ${t.lastDurationMs} ms` : ''}`,
        detail: t.description,
      })),
    ],
    { title: `Keel: ${tools.length} tools available to agents${problems.length ? `, ${problems.length} not offered` : ''}`, matchOnDescription: true, matchOnDetail: true },
  );
}
