import * as vscode from 'vscode';
import type { AllowScope, ReviewToolCallParams } from '../../protocol/rpc';
import type { ToolCallDecision } from '../../protocol/run';
import { PendingQuestions } from './pendingQuestions';
import { showReadOnly } from './readOnlyDetails';
import { riskLabel } from '../../protocol/stateLabels';
import { visibleControls } from '../../protocol/displayText';
import { withoutLinks } from '../errorFixes';

/**
 * Tool-call approvals (risky tools, first use or a changed MCP tool): a notification with Allow / Always Allow /
 * Deny where the user works, also answerable by command. Unanswered ones are listed in the status bar.
 */
export class ToolApprovalController implements vscode.Disposable {
  private readonly questions = new PendingQuestions<ReviewToolCallParams, ToolCallDecision>();
  readonly onDidChangePending = this.questions.onDidChange;

  list(): readonly ReviewToolCallParams[] {
    return this.questions.entries().map(([, params]) => params);
  }

  review(params: ReviewToolCallParams, token: vscode.CancellationToken): Promise<ToolCallDecision> {
    const decision = this.questions.wait(params.approvalId, params, token, { decision: 'denied', reason: 'withdrawn by the agent host' });
    void this.notify(params);
    return decision;
  }

  /**
   * `args`: the arguments as the user corrected them, which the host checks against the tool's schema again.
   * `alwaysAllow`: the question's proposed rules hold for the rest of the run (and were written there, for a policy).
   */
  allow(approvalId: string, always = false, args?: Record<string, unknown>, alwaysAllow?: AllowScope): void {
    this.questions.settle(approvalId, { decision: 'approved', always, ...(args ? { arguments: args } : {}), ...(alwaysAllow ? { alwaysAllow } : {}) });
  }

  deny(approvalId: string, reason = 'the user denied it'): void {
    this.questions.settle(approvalId, { decision: 'denied', reason });
  }

  denyAll(reason: string): void {
    this.questions.settleAll({ decision: 'denied', reason });
  }

  dispose(): void {
    this.denyAll('VS Code is closing');
    this.questions.dispose();
  }

  private async notify(params: ReviewToolCallParams): Promise<void> {
    const allow = vscode.l10n.t('Allow');
    const alwaysAllow = vscode.l10n.t('Always Allow');
    const deny = vscode.l10n.t('Deny');
    const details = vscode.l10n.t('Details');
    const buttons = [allow, ...(params.canAlwaysAllow ? [alwaysAllow] : []), deny, details];
    // The title and arguments are what the model asked for: shown as written, never as links.
    const message = withoutLinks(visibleControls(vscode.l10n.t('Keel: {0} (risk: {1}) {2}', params.title, riskLabel(params.risk), oneLine(params.detail))));
    for (;;) {
      const choice = await vscode.window.showWarningMessage(message, ...buttons);
      if (!this.questions.has(params.approvalId)) return;
      if (choice === details) {
        await showReadOnly(`${params.tool} call.md`, `${params.title}\n\n${vscode.l10n.t('Tool: {0}', params.tool)}\n${vscode.l10n.t('Source: {0}', params.source)}\n${vscode.l10n.t('Risk: {0}', riskLabel(params.risk))}\n\n${params.detail}\n`);
        continue;
      }
      if (choice === allow || choice === alwaysAllow) this.allow(params.approvalId, choice === alwaysAllow);
      // A dismissed notification leaves the approval pending in the status bar rather than denying it.
      if (choice === deny) this.deny(params.approvalId);
      return;
    }
  }

}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}…` : flat;
}
