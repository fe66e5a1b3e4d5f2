import * as vscode from 'vscode';
import { formatUsd as usd, type BudgetEscalationParams } from '../../protocol/models';

interface Pending {
  readonly params: BudgetEscalationParams;
  readonly resolve: (approved: boolean) => void;
}

const CONTINUE = 'Continue This Run';
const STOP = 'Stop';
const SETTINGS = 'Open Settings';

/**
 * A run about to go over a budget waits for the user: a notification with Continue / Stop, also answerable by
 * command. Continuing lifts that one budget for that run only; dismissing the notification leaves it waiting.
 */
export class BudgetApprovalController implements vscode.Disposable {
  private readonly pending = new Map<string, Pending>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangePending = this.changed.event;

  list(): readonly (BudgetEscalationParams & { readonly approvalId: string })[] {
    return [...this.pending.entries()].map(([approvalId, p]) => ({ ...p.params, approvalId }));
  }

  ask(params: BudgetEscalationParams, token: vscode.CancellationToken): Promise<{ approved: boolean }> {
    const approvalId = `${params.runId}:${params.scope}`;
    const answer = new Promise<boolean>((resolve) => this.pending.set(approvalId, { params, resolve }));
    token.onCancellationRequested(() => this.settle(approvalId, false));
    this.changed.fire();
    void this.notify(approvalId, params);
    return answer.then((approved) => ({ approved }));
  }

  settle(approvalId: string, approved: boolean): void {
    const pending = this.pending.get(approvalId);
    if (!pending) return;
    this.pending.delete(approvalId);
    pending.resolve(approved);
    this.changed.fire();
  }

  denyAll(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, false);
  }

  dispose(): void {
    this.denyAll();
    this.changed.dispose();
  }

  private async notify(approvalId: string, params: BudgetEscalationParams): Promise<void> {
    for (;;) {
      const choice = await vscode.window.showWarningMessage(describe(params), CONTINUE, STOP, SETTINGS);
      if (!this.pending.has(approvalId)) return;
      if (choice === SETTINGS) {
        void vscode.commands.executeCommand('workbench.action.openSettings', params.setting);
        continue;
      }
      if (choice) this.settle(approvalId, choice === CONTINUE);
      return;
    }
  }
}

function describe(params: BudgetEscalationParams): string {
  const budget = { run: 'this run\'s budget', agent: `agent "${params.agent}"'s daily budget`, day: 'the daily budget' }[params.scope];
  return `Keel: the next model call (${params.modelId}, up to ${usd(params.nextCallUsd)}) could go over ${budget}: ${usd(params.spentUsd)} of ${usd(params.limitUsd)} spent. Continue this run anyway?`;
}
