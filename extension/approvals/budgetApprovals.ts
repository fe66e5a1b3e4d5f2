import * as vscode from 'vscode';
import { formatUsd as usd, type BudgetEscalationParams } from '../../protocol/models';
import { PendingQuestions } from './pendingQuestions';

/**
 * A run about to go over a budget waits for the user: a notification with Continue / Stop, also answerable by
 * command. Continuing lifts that one budget for that run only; dismissing the notification leaves it waiting.
 */
export class BudgetApprovalController implements vscode.Disposable {
  private readonly questions = new PendingQuestions<BudgetEscalationParams, boolean>();
  readonly onDidChangePending = this.questions.onDidChange;

  list(): readonly (BudgetEscalationParams & { readonly approvalId: string })[] {
    return this.questions.entries().map(([approvalId, params]) => ({ ...params, approvalId }));
  }

  async ask(params: BudgetEscalationParams, token: vscode.CancellationToken): Promise<{ approved: boolean }> {
    const approvalId = `${params.runId}:${params.scope}`;
    const answer = this.questions.wait(approvalId, params, token, false);
    void this.notify(approvalId, params);
    return { approved: await answer };
  }

  settle(approvalId: string, approved: boolean): void {
    this.questions.settle(approvalId, approved);
  }

  denyAll(): void {
    this.questions.settleAll(false);
  }

  dispose(): void {
    this.denyAll();
    this.questions.dispose();
  }

  private async notify(approvalId: string, params: BudgetEscalationParams): Promise<void> {
    const continueButton = vscode.l10n.t('Continue This Run');
    const stopButton = vscode.l10n.t('Stop');
    const settingsButton = vscode.l10n.t('Open Settings');
    for (;;) {
      const choice = await vscode.window.showWarningMessage(describe(params), continueButton, stopButton, settingsButton);
      if (!this.questions.has(approvalId)) return;
      if (choice === settingsButton) {
        void vscode.commands.executeCommand('workbench.action.openSettings', params.setting);
        continue;
      }
      if (choice) this.settle(approvalId, choice === continueButton);
      return;
    }
  }
}

function describe(params: BudgetEscalationParams): string {
  const [model, next, spent, limit] = [params.modelId, usd(params.nextCallUsd), usd(params.spentUsd), usd(params.limitUsd)];
  switch (params.scope) {
    case 'run': return vscode.l10n.t('Keel: the next model call ({0}, up to {1}) could go over this run\'s budget: {2} of {3} spent. Continue this run anyway?', model, next, spent, limit);
    case 'agent': return vscode.l10n.t('Keel: the next model call ({0}, up to {1}) could go over agent "{4}"\'s daily budget: {2} of {3} spent. Continue this run anyway?', model, next, spent, limit, params.agent);
    case 'day': return vscode.l10n.t('Keel: the next model call ({0}, up to {1}) could go over the daily budget: {2} of {3} spent. Continue this run anyway?', model, next, spent, limit);
  }
}
