import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ListToolsRequest } from '../../protocol/rpc';
import { errorText, showError } from '../errors';
import type { AgentHost } from '../host/agentHost';
import type { McpServerStates } from '../mcp/mcpSignIn';
import { riskLabel } from '../../protocol/stateLabels';

/** "Keel: Show Tools": every tool agents are offered, and those that are not, with why; MCP servers waiting for sign-in first. */
export function registerTools(context: vscode.ExtensionContext, host: AgentHost, log: vscode.LogOutputChannel, mcp: McpServerStates): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('keel.showTools', async () => {
      try {
        await showTools(await host.ensureStarted(), mcp);
      } catch (error) {
        void showError(errorText(error), log);
      }
    }),
  );
}

async function showTools(client: LanguageClient, mcp: McpServerStates): Promise<void> {
  const { tools, problems } = await client.sendRequest(ListToolsRequest.type);
  const pick = await vscode.window.showQuickPick(
    [
      ...mcp.waitingForSignIn().map((s) => ({ label: vscode.l10n.t('$(sign-in) Sign in to {0}', s.name), detail: vscode.l10n.t('MCP server "{0}" ({1}) offers its tools once you sign in.', s.name, s.source), signIn: s.name })),
      ...problems.map((problem) => ({ label: vscode.l10n.t('$(warning) Not offered'), detail: problem })),
      ...tools.map((t) => ({
        label: t.name,
        description: [
          t.source,
          vscode.l10n.t('risk: {0}', riskLabel(t.risk)),
          ...(t.pin ? [t.pin] : []),
          callCount(t.calls, t.failures),
          ...(t.lastDurationMs !== undefined ? [vscode.l10n.t('last {0} ms', t.lastDurationMs)] : []),
        ].join(' · '),
        detail: t.description,
      })),
    ],
    { title: problems.length ? vscode.l10n.t('Keel: {0} tools available to agents, {1} not offered', tools.length, problems.length) : vscode.l10n.t('Keel: {0} tools available to agents', tools.length), matchOnDescription: true, matchOnDetail: true },
  );
  if (pick && 'signIn' in pick) await vscode.commands.executeCommand('keel.signInMcpServer', pick.signIn);
}

function callCount(calls: number, failures: number): string {
  const count = calls === 1 ? vscode.l10n.t('1 call') : vscode.l10n.t('{0} calls', calls);
  return failures ? vscode.l10n.t('{0}, {1} failed', count, failures) : count;
}
