import * as vscode from 'vscode';
import type { RepeatChoice, RepeatStepParams } from '../../protocol/rpc';
import { PendingQuestions } from './pendingQuestions';

/**
 * A resumed run's "this may have run before Keel stopped" questions: run the call again, skip it (the agent is told),
 * or stop the run. A notification offers the three; the approval center lists them as cards. A question nobody
 * answers (the host withdrew it, or stopped) is a stop: repeating an effect is never the default.
 */
export class RepeatQuestionController implements vscode.Disposable {
  private readonly questions = new PendingQuestions<RepeatStepParams, RepeatChoice>();
  readonly onDidChangePending = this.questions.onDidChange;

  list(): readonly RepeatStepParams[] {
    return this.questions.entries().map(([, params]) => params);
  }

  async ask(params: RepeatStepParams, token: vscode.CancellationToken): Promise<{ choice: RepeatChoice }> {
    const answer = this.questions.wait(params.approvalId, params, token, 'stop');
    void this.notify(params);
    return { choice: await answer };
  }

  settle(approvalId: string, choice: RepeatChoice): void {
    this.questions.settle(approvalId, choice);
  }

  stopAll(): void {
    this.questions.settleAll('stop');
  }

  dispose(): void {
    this.stopAll();
    this.questions.dispose();
  }

  private async notify(params: RepeatStepParams): Promise<void> {
    const detail = params.detail.replace(/\s+/g, ' ').trim();
    const shown = detail.length > 160 ? `${detail.slice(0, 157)}…` : detail;
    const [runAgain, skip, stop, show] = [vscode.l10n.t('Run Again'), vscode.l10n.t('Skip'), vscode.l10n.t('Stop the Run'), vscode.l10n.t('Show Approvals')];
    const choice = await vscode.window.showWarningMessage(vscode.l10n.t('Keel (resumed run): {0} {1}', params.title, shown), runAgain, skip, stop, show);
    if (!this.questions.has(params.approvalId)) return;
    if (choice === show) return void vscode.commands.executeCommand('keel.showApprovals');
    // Closing the notification leaves the question open in the approval center.
    if (choice === undefined) return;
    this.settle(params.approvalId, choice === runAgain ? 'run' : choice === skip ? 'skip' : 'stop');
  }
}
