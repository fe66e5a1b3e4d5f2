import * as vscode from 'vscode';
import { AskUserRequest, BudgetEscalationRequest, RepeatStepRequest, ReviewEditRequest, ReviewToolCallRequest } from '../../protocol/rpc';
import type { AgentHost } from '../host/agentHost';
import { ApprovalCenter } from './approvalCenter';
import { BudgetApprovalController } from './budgetApprovals';
import { EditReviewController } from './editReview';
import { policyWriter } from './policyRules';
import { registerReadOnlyDetails } from './readOnlyDetails';
import { RepeatQuestionController } from './repeatQuestions';
import { ToolApprovalController } from './toolApprovals';
import { UserQuestionController } from './userQuestions';

/** What the host waits for the user to answer: proposed edits, tool calls and budgets. */
export interface Approvals {
  readonly reviews: EditReviewController;
  readonly toolApprovals: ToolApprovalController;
  readonly budgets: BudgetApprovalController;
  readonly questions: UserQuestionController;
  readonly repeats: RepeatQuestionController;
  readonly center: ApprovalCenter;
}

/**
 * The host's questions to the user, their commands, and the approval center ("Keel: Show Pending Approvals" opens it). When the host dies, every
 * open question is denied: no one is left to act on the answer.
 */
export function registerApprovals(context: vscode.ExtensionContext, host: AgentHost, goalOf: (runId: string) => string | undefined): Approvals {
  const reviews = new EditReviewController();
  const toolApprovals = new ToolApprovalController();
  const budgets = new BudgetApprovalController();
  const questions = new UserQuestionController();
  const repeats = new RepeatQuestionController();
  const center = new ApprovalCenter(context.extensionUri, { reviews, toolApprovals, budgets, questions, repeats }, goalOf, policyWriter(host));
  context.subscriptions.push(
    reviews,
    toolApprovals,
    budgets,
    questions,
    repeats,
    center,
    registerReadOnlyDetails(),
    vscode.window.registerWebviewViewProvider(ApprovalCenter.viewId, center),
    host.onClient((client) => {
      client.onRequest(ReviewEditRequest.type, (params, token) => reviews.review(params, token));
      client.onRequest(ReviewToolCallRequest.type, (params, token) => toolApprovals.review(params, token));
      client.onRequest(BudgetEscalationRequest.type, (params, token) => budgets.ask(params, token));
      client.onRequest(AskUserRequest.type, (params, token) => questions.ask(params, token));
      client.onRequest(RepeatStepRequest.type, (params, token) => repeats.ask(params, token));
    }),
    host.onDidCrash(() => {
      reviews.denyAll('the agent host stopped');
      toolApprovals.denyAll('the agent host stopped');
      budgets.denyAll();
      questions.declineAll();
      repeats.stopAll();
    }),
    vscode.commands.registerCommand('keel.approveEdit', (approvalId?: string) => reviews.approve(approvalId)),
    vscode.commands.registerCommand('keel.denyEdit', (approvalId?: string) => reviews.deny(approvalId)),
    vscode.commands.registerCommand('keel.showEditDiff', (approvalId: string) => reviews.showDiff(approvalId)),
    // From the diff's title bar, which passes the proposed side's URI.
    vscode.commands.registerCommand('keel.approveEditInDiff', (uri?: vscode.Uri) => inDiff(reviews, uri, (id) => reviews.approve(id))),
    vscode.commands.registerCommand('keel.denyEditInDiff', (uri?: vscode.Uri) => inDiff(reviews, uri, (id) => reviews.deny(id))),
    vscode.commands.registerCommand('keel.allowToolCall', (approvalId: string, always?: boolean) => toolApprovals.allow(approvalId, always)),
    vscode.commands.registerCommand('keel.denyToolCall', (approvalId: string) => toolApprovals.deny(approvalId)),
    vscode.commands.registerCommand('keel.answerBudget', (approvalId: string, approved: boolean) => budgets.settle(approvalId, approved)),
    vscode.commands.registerCommand('keel.showApprovals', () => center.reveal()),
  );
  return { reviews, toolApprovals, budgets, questions, repeats, center };
}

/** Answers the edit a diff shows, never another one: a diff left open after its answer says so. */
async function inDiff(reviews: EditReviewController, uri: vscode.Uri | undefined, answer: (approvalId: string) => unknown): Promise<void> {
  const approvalId = reviews.inDiff(uri);
  if (!approvalId) return void vscode.window.showInformationMessage(vscode.l10n.t('Keel: this diff has no proposed edit waiting; it was answered already.'));
  await answer(approvalId);
}
