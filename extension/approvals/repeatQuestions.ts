import * as vscode from 'vscode';
import type { RepeatChoice, RepeatStepParams } from '../../protocol/rpc';

interface Pending {
  readonly params: RepeatStepParams;
  readonly resolve: (choice: RepeatChoice) => void;
}

/**
 * A resumed run's "this may have run before Keel stopped" questions: run the call again, skip it (the agent is told),
 * or stop the run. A notification offers the three; the approval center lists them as cards. A question nobody
 * answers (the host withdrew it, or stopped) is a stop: repeating an effect is never the default.
 */
export class RepeatQuestionController implements vscode.Disposable {
  private readonly pending = new Map<string, Pending>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangePending = this.changed.event;

  list(): readonly RepeatStepParams[] {
    return [...this.pending.values()].map((p) => p.params);
  }

  ask(params: RepeatStepParams, token: vscode.CancellationToken): Promise<{ choice: RepeatChoice }> {
    const answer = new Promise<RepeatChoice>((resolve) => this.pending.set(params.approvalId, { params, resolve }));
    token.onCancellationRequested(() => this.settle(params.approvalId, 'stop'));
    this.changed.fire();
    void this.notify(params);
    return answer.then((choice) => ({ choice }));
  }

  settle(approvalId: string, choice: RepeatChoice): void {
    const pending = this.pending.get(approvalId);
    if (!pending) return;
    this.pending.delete(approvalId);
    pending.resolve(choice);
    this.changed.fire();
  }

  stopAll(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, 'stop');
  }

  dispose(): void {
    this.stopAll();
    this.changed.dispose();
  }

  private async notify(params: RepeatStepParams): Promise<void> {
    const detail = params.detail.replace(/\s+/g, ' ').trim();
    const shown = detail.length > 160 ? `${detail.slice(0, 157)}…` : detail;
    const [runAgain, skip, stop, show] = [vscode.l10n.t('Run Again'), vscode.l10n.t('Skip'), vscode.l10n.t('Stop the Run'), vscode.l10n.t('Show Approvals')];
    const choice = await vscode.window.showWarningMessage(vscode.l10n.t('Keel (resumed run): {0} {1}', params.title, shown), runAgain, skip, stop, show);
    if (!this.pending.has(params.approvalId)) return;
    if (choice === show) return void vscode.commands.executeCommand('keel.showApprovals');
    // Closing the notification leaves the question open in the approval center.
    if (choice === undefined) return;
    this.settle(params.approvalId, choice === runAgain ? 'run' : choice === skip ? 'skip' : 'stop');
  }
}
