import * as vscode from 'vscode';
import { AuditVerifyRequest, describeVerification } from '../../protocol/rpc';
import { errorText, showError } from '../errors';
import type { AgentHost } from '../host/agentHost';

/** "Keel: Verify Audit Log": checks the host's hash chain and says where it breaks, if it does. */
export function registerAudit(context: vscode.ExtensionContext, host: AgentHost, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('keel.verifyAuditLog', async () => {
      try {
        const result = await (await host.ensureStarted()).sendRequest(AuditVerifyRequest.type);
        const message = describeVerification(result);
        log.info(`audit log: ${message}`);
        if (result.ok) void vscode.window.showInformationMessage(vscode.l10n.t('Keel: {0}', message));
        else void showError(message, log);
      } catch (error) {
        void showError(errorText(error), log);
      }
    }),
  );
}
