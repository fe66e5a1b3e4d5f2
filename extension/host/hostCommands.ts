import * as vscode from 'vscode';
import { errorText, showError } from '../errors';
import type { AgentHost } from './agentHost';

/** "Keel: Restart Agent Host" and "Keel: Show Host Log". `beforeRestart` runs first, while the old host still runs. */
export function registerHostCommands(context: vscode.ExtensionContext, host: AgentHost, log: vscode.LogOutputChannel, beforeRestart: () => void): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('keel.restartHost', async () => {
      beforeRestart();
      try {
        await host.restart();
        void vscode.window.showInformationMessage(vscode.l10n.t('Keel: the agent host was restarted.'));
      } catch (error) {
        void showError(errorText(error), log);
      }
    }),
    vscode.commands.registerCommand('keel.showLog', () => log.show()),
  );
}
