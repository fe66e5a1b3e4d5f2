import * as vscode from 'vscode';
import { EvalJsRequest } from '../../protocol/rpc';
import { errorText, showError } from '../errors';
import type { AgentHost } from '../host/agentHost';

/** "Keel: Run JavaScript in Sandbox": the selection, or code the user types, run in the host's sandbox. */
export function registerSandbox(context: vscode.ExtensionContext, host: AgentHost, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('keel.evalJs', async () => {
      const editor = vscode.window.activeTextEditor;
      const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : undefined;
      const code = selected ?? (await vscode.window.showInputBox({ title: vscode.l10n.t('Keel: Run JavaScript in Sandbox'), prompt: vscode.l10n.t('The body of an async function; `return` the result. readFile and listFiles reach the workspace.'), ignoreFocusOut: true }));
      if (!code) return;
      try {
        const result = await (await host.ensureStarted()).sendRequest(EvalJsRequest.type, { code });
        log.info(`sandbox (${result.outcome}, ${result.durationMs.toFixed(1)} ms): ${result.error ?? JSON.stringify(result.value)}\n${result.logs.map((l) => `[${l.level}] ${l.text}`).join('\n')}`);
        const summary = result.outcome === 'ok' ? JSON.stringify(result.value) : `${result.outcome}: ${result.error}`;
        const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Keel sandbox: {0}', summary.slice(0, 300)), vscode.l10n.t('Show Log'));
        if (choice) log.show();
      } catch (error) {
        void showError(errorText(error), log);
      }
    }),
  );
}
