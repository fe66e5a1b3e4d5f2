import * as vscode from 'vscode';
import { BudgetEscalationRequest, ReviewEditRequest, ReviewToolCallRequest } from '../../protocol/rpc';
import type { AgentHost } from '../host/agentHost';
import { BudgetApprovalController } from './budgetApprovals';
import { EditReviewController } from './editReview';
import { ToolApprovalController } from './toolApprovals';

/** What the host waits for the user to answer: proposed edits, tool calls and budgets. */
export interface Approvals {
  readonly reviews: EditReviewController;
  readonly toolApprovals: ToolApprovalController;
  readonly budgets: BudgetApprovalController;
}

/**
 * The host's questions to the user, their commands and "Keel: Show Pending Approvals". When the host dies, every
 * open question is denied: no one is left to act on the answer.
 */
export function registerApprovals(context: vscode.ExtensionContext, host: AgentHost): Approvals {
  const reviews = new EditReviewController();
  const toolApprovals = new ToolApprovalController();
  const budgets = new BudgetApprovalController();
  context.subscriptions.push(
    reviews,
    toolApprovals,
    budgets,
    host.onClient((client) => {
      client.onRequest(ReviewEditRequest.type, (params, token) => reviews.review(params, token));
      client.onRequest(ReviewToolCallRequest.type, (params, token) => toolApprovals.review(params, token));
      client.onRequest(BudgetEscalationRequest.type, (params, token) => budgets.ask(params, token));
    }),
    host.onDidCrash(() => {
      reviews.denyAll('the agent host stopped');
      toolApprovals.denyAll('the agent host stopped');
      budgets.denyAll();
    }),
    vscode.commands.registerCommand('keel.approveEdit', (approvalId?: string) => reviews.approve(approvalId)),
    vscode.commands.registerCommand('keel.denyEdit', (approvalId?: string) => reviews.deny(approvalId)),
    vscode.commands.registerCommand('keel.showEditDiff', (approvalId: string) => reviews.showDiff(approvalId)),
    vscode.commands.registerCommand('keel.allowToolCall', (approvalId: string, always?: boolean) => toolApprovals.allow(approvalId, always)),
    vscode.commands.registerCommand('keel.denyToolCall', (approvalId: string) => toolApprovals.deny(approvalId)),
    vscode.commands.registerCommand('keel.answerBudget', (approvalId: string, approved: boolean) => budgets.settle(approvalId, approved)),
    vscode.commands.registerCommand('keel.showApprovals', () => showApprovals(reviews, toolApprovals)),
  );
  return { reviews, toolApprovals, budgets };
}

/** "Keel: Show Pending Approvals": every edit to review and tool call to answer, in one pick. */
async function showApprovals(reviews: EditReviewController, toolApprovals: ToolApprovalController): Promise<void> {
  type Item = vscode.QuickPickItem & { run: () => unknown };
  const items: Item[] = [
    ...reviews.list().map((p) => ({ label: `$(edit) Edit ${p.edit.path}`, description: `line ${p.edit.range.start.line + 1}`, run: () => reviews.reveal(p.approvalId) })),
    ...toolApprovals.list().flatMap((p) => [
      { label: `$(check) Allow ${p.tool}`, description: p.risk, detail: p.title, run: () => toolApprovals.allow(p.approvalId) },
      { label: `$(close) Deny ${p.tool}`, description: p.risk, detail: p.title, run: () => toolApprovals.deny(p.approvalId) },
    ]),
  ];
  if (items.length === 0) return void vscode.window.showInformationMessage('Keel: nothing is waiting for approval.');
  const choice = await vscode.window.showQuickPick(items, { title: 'Keel: pending approvals' });
  await choice?.run();
}
