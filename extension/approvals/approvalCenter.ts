import * as vscode from 'vscode';
import { escapeHtml } from '../../protocol/html';
import { webviewPage, webviewRoot } from '../webviewPage';
import { parseFromApprovalCenter, shownAsWritten, type FromApprovalCenter, type PendingQuestion, type ToApprovalCenter } from '../../protocol/approvalCenter';
import { formatUsd as usd, type BudgetEscalationParams } from '../../protocol/models';
import type { AllowScope, ReviewToolCallParams } from '../../protocol/rpc';
import type { PolicyWriter } from './policyRules';
import type { BudgetApprovalController } from './budgetApprovals';
import type { EditReviewController } from './editReview';
import { showReadOnly } from './readOnlyDetails';
import type { RepeatQuestionController } from './repeatQuestions';
import type { ToolApprovalController } from './toolApprovals';
import type { UserQuestionController } from './userQuestions';
import { policyLevelLabel, riskLabel } from '../../protocol/stateLabels';

interface Controllers {
  readonly reviews: EditReviewController;
  readonly toolApprovals: ToolApprovalController;
  readonly budgets: BudgetApprovalController;
  readonly questions: UserQuestionController;
  readonly repeats: RepeatQuestionController;
}

/**
 * The approval center: every question waiting for the user, in the Keel panel, with its details and every answer the
 * user may give. It holds no state of its own: the controllers own the questions, so an answer given here, inline in
 * the editor, in the diff view or in a notification settles the same question, and the list follows their changes.
 */
export class ApprovalCenter implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'keel.approvals';
  private view: vscode.WebviewView | undefined;
  private readonly askedAt = new Map<string, number>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly controllers: Controllers,
    private readonly goalOf: (runId: string) => string | undefined,
    private readonly policies: PolicyWriter,
  ) {
    const { reviews, toolApprovals, budgets, questions, repeats } = controllers;
    for (const event of [reviews.onDidChangePending, toolApprovals.onDidChangePending, budgets.onDidChangePending, questions.onDidChangePending, repeats.onDidChangePending]) {
      this.disposables.push(event(() => this.changed()));
    }
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = { enableScripts: true, localResourceRoots: [webviewRoot(this.extensionUri)] };
    view.webview.html = this.html(view.webview);
    view.webview.onDidReceiveMessage((raw: unknown) => void this.answer(raw), undefined, this.disposables);
    view.onDidDispose(() => (this.view = undefined), undefined, this.disposables);
  }

  /** The questions as they stand, oldest first. */
  questions(): PendingQuestion[] {
    const { reviews, toolApprovals, budgets } = this.controllers;
    const at = (id: string) => this.askedAt.get(id) ?? Date.now();
    const goal = (runId: string) => {
      const text = this.goalOf(runId);
      return text === undefined ? {} : { goal: text };
    };
    const edits = reviews.list().map((p): PendingQuestion => ({
      approvalId: p.approvalId, kind: 'edit', runId: p.runId, ...goal(p.runId), ...(p.agent ? { agent: p.agent } : {}), title: vscode.l10n.t('Edit {0}', p.edit.path),
      why: vscode.l10n.t('Every edit is reviewed before it is applied.'),
      diff: { path: p.edit.path, line: p.edit.range.start.line + 1, oldText: p.edit.oldText, newText: p.edit.newText },
      canAlwaysAllow: false, canEditArguments: false, askedAt: at(p.approvalId),
    }));
    const tools = toolApprovals.list().map((p): PendingQuestion => ({
      approvalId: p.approvalId, kind: 'tool', runId: p.runId, ...goal(p.runId), ...(p.agent ? { agent: p.agent } : {}), title: p.title,
      why: toolWhy(p),
      detail: p.detail, canAlwaysAllow: p.canAlwaysAllow, canEditArguments: isJsonObject(p.detail), askedAt: at(p.approvalId),
      ...(p.command ? { command: p.command } : {}), ...this.alwaysAllow(p),
    }));
    const money = budgets.list().map((p): PendingQuestion => ({
      approvalId: p.approvalId, kind: 'budget', runId: p.runId, ...goal(p.runId), agent: p.agent, title: budgetTitle(p.scope),
      why: budgetWhy(p),
      detail: vscode.l10n.t('Raise the limit for good with the setting {0}.', p.setting), canAlwaysAllow: false, canEditArguments: false, askedAt: at(p.approvalId),
    }));
    const asked = this.controllers.questions.list().map((p): PendingQuestion => ({
      approvalId: p.approvalId, kind: 'question', runId: p.runId, ...goal(p.runId), ...(p.agent ? { agent: p.agent } : {}),
      title: p.kind === 'stuck' ? p.question : p.agent ? vscode.l10n.t('The agent {0} asks: {1}', p.agent, p.question) : vscode.l10n.t('The agent asks: {0}', p.question),
      why: p.kind === 'stuck' ? vscode.l10n.t('Keel paused the agent. Your guidance goes to the model; stopping ends the run.') : vscode.l10n.t('The agent cannot go on without your answer; it goes to the model as you write it.'),
      ...(p.context ? { detail: p.context } : {}), canAlwaysAllow: false, canEditArguments: false, ...(p.kind === 'stuck' ? { stuck: true } : {}), askedAt: at(p.approvalId),
    }));
    const repeats = this.controllers.repeats.list().map((p): PendingQuestion => ({
      approvalId: p.approvalId, kind: 'repeat', runId: p.runId, ...goal(p.runId), title: p.title,
      why: vscode.l10n.t('Keel stopped while this call was running, so it may have taken effect already. Run it again, skip it (the agent is told), or stop the run.'),
      detail: p.detail, canAlwaysAllow: false, canEditArguments: false, askedAt: at(p.approvalId),
    }));
    return [...edits, ...tools, ...money, ...asked, ...repeats].sort((a, b) => a.askedAt - b.askedAt);
  }

  /** Shows the panel; for "Keel: Show Pending Approvals". */
  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${ApprovalCenter.viewId}.focus`);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private changed(): void {
    const live = new Set<string>();
    for (const q of this.questions()) {
      live.add(q.approvalId);
      if (!this.askedAt.has(q.approvalId)) this.askedAt.set(q.approvalId, Date.now());
    }
    for (const id of [...this.askedAt.keys()]) if (!live.has(id)) this.askedAt.delete(id);
    this.post();
  }

  private post(): void {
    const message: ToApprovalCenter = { type: 'pending', questions: this.questions().map(shownAsWritten) };
    void this.view?.webview.postMessage(message);
  }

  private async answer(raw: unknown): Promise<void> {
    const message = parseFromApprovalCenter(raw);
    if (!message) return;
    if (message.type === 'ready') return this.post();
    const { reviews, toolApprovals, budgets } = this.controllers;
    const question = this.questions().find((q) => q.approvalId === message.approvalId);
    // Answered elsewhere a moment ago: the list is already on its way.
    if (!question) return this.post();
    if (message.type === 'open') {
      if (question.kind === 'edit') await reviews.showDiff(question.approvalId);
      else await this.showDetails(question);
      return;
    }
    if (question.kind === 'question') return this.answerQuestion(question.approvalId, message);
    if (question.kind === 'repeat') {
      if (message.type === 'approve' && !message.arguments && !message.alwaysAllow) this.controllers.repeats.settle(question.approvalId, 'run');
      else if (message.type === 'deny') this.controllers.repeats.settle(question.approvalId, 'skip');
      else if (message.type === 'stop') this.controllers.repeats.settle(question.approvalId, 'stop');
      return;
    }
    // A written answer or a stop is only for questions.
    if (message.type === 'answer' || message.type === 'stop') return;
    if (message.type === 'approve' && message.alwaysAllow && question.kind === 'tool') return this.allowAlways(question, message.alwaysAllow);
    const reason = message.type === 'deny' ? (message.reason ? `the user denied it: ${message.reason}` : 'the user denied it') : undefined;
    switch (question.kind) {
      case 'edit':
        if (message.type === 'approve') await reviews.approve(question.approvalId);
        else reviews.deny(question.approvalId, reason);
        return;
      case 'tool':
        if (message.type === 'deny') return toolApprovals.deny(question.approvalId, reason);
        if (message.arguments === undefined) return toolApprovals.allow(question.approvalId, message.always === true && question.canAlwaysAllow);
        return this.allowEdited(question, message.arguments);
      case 'budget':
        return budgets.settle(question.approvalId, message.type === 'approve');
    }
  }

  /** What "Always allow…" offers for a tool call: the host's proposal and the places it may go from here. */
  private alwaysAllow(params: ReviewToolCallParams): Pick<PendingQuestion, 'alwaysAllow'> {
    const proposal = params.alwaysAllow;
    if (!proposal) return {};
    if ('refused' in proposal) return { alwaysAllow: proposal };
    return { alwaysAllow: { ...proposal, places: this.policies.places() } };
  }

  /**
   * "Always allow" with the rules the card showed: written into the chosen policy first (a refusal, e.g. a file that
   * does not parse, leaves the question open and says why), then the call is approved with the rules for the run.
   */
  private async allowAlways(question: PendingQuestion, scope: AllowScope): Promise<void> {
    const params = this.controllers.toolApprovals.list().find((p) => p.approvalId === question.approvalId);
    const proposal = params?.alwaysAllow;
    // The panel offers only the places `alwaysAllow` listed; a message naming another is not the user's choice.
    if (!params || !proposal || 'refused' in proposal || !this.policies.places().includes(scope)) return;
    if (scope !== 'run') {
      try {
        const summary = await this.policies.write(scope, proposal.rules, params.agent);
        void vscode.window.showInformationMessage(vscode.l10n.t('Keel: added {0}.', summary));
      } catch (error) {
        return void vscode.window.showErrorMessage(vscode.l10n.t('Keel: the rule was not written: {0} The call is still waiting for your answer.', (error as Error).message));
      }
    }
    this.controllers.toolApprovals.allow(question.approvalId, false, undefined, scope);
  }

  private answerQuestion(approvalId: string, message: Exclude<FromApprovalCenter, { type: 'ready' | 'open' }>): void {
    const { questions } = this.controllers;
    if (message.type === 'answer') questions.settle(approvalId, { action: 'answer', text: message.text });
    else if (message.type === 'stop') questions.settle(approvalId, { action: 'stop' });
    else if (message.type === 'deny') questions.settle(approvalId, { action: 'decline' });
  }

  /** Approves a tool call with the arguments the user corrected; they must still be a JSON object. */
  private allowEdited(question: PendingQuestion, text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return void vscode.window.showErrorMessage(vscode.l10n.t('Keel: the corrected arguments are not valid JSON ({0}). Fix them in the Approvals panel, or approve the call as the agent sent it.', (error as Error).message));
    }
    if (!isPlainObject(parsed)) return void vscode.window.showErrorMessage(vscode.l10n.t('Keel: the corrected arguments must be a JSON object, like the ones the agent sent.'));
    this.controllers.toolApprovals.allow(question.approvalId, false, parsed);
  }

  /** A question's details in a read-only document. */
  private async showDetails(question: PendingQuestion): Promise<void> {
    const command = question.command
      ? [
        '',
        vscode.l10n.t('Command: {0}', question.command.line),
        question.command.sandboxed ? vscode.l10n.t('Sandboxed: {0}', question.command.confinement) : vscode.l10n.t('Runs unsandboxed: {0}', question.command.confinement),
        ...question.command.parts.map((part) => `- ${part.source}: ${partVerdict(part)}`),
        ...question.command.unchecked.map((why) => `- ${vscode.l10n.t('cannot be checked: {0}', why)}`),
      ]
      : [];
    const text = [question.title, '', vscode.l10n.t('Why: {0}', question.why), vscode.l10n.t('Run: {0}', question.goal || question.runId), ...command, '', question.detail ?? ''].join('\n');
    await showReadOnly(`Keel question ${question.approvalId.slice(0, 8)}.md`, text);
  }

  private html(webview: vscode.Webview): string {
    return webviewPage(webview, this.extensionUri, { title: vscode.l10n.t('Keel approvals'), styles: ['approvals.css'], script: 'approvals.js', body: `<main id="app" aria-label="${escapeHtml(vscode.l10n.t('Questions waiting for your answer'))}"></main>` });
  }
}

/** What the policy said of one part of a command, for the details document. */
function partVerdict(part: NonNullable<PendingQuestion['command']>['parts'][number]): string {
  const rule = part.rule ?? vscode.l10n.t('a rule');
  const level = policyLevelLabel(String(part.level));
  switch (part.verdict) {
    case 'allow': return vscode.l10n.t('allow by {0} ({1} policy)', rule, level);
    case 'ask': return vscode.l10n.t('ask by {0} ({1} policy)', rule, level);
    case 'deny': return vscode.l10n.t('deny by {0} ({1} policy)', rule, level);
    default: return vscode.l10n.t('no rule matches it');
  }
}

function toolWhy(p: ReviewToolCallParams): string {
  if (p.policy) {
    const level = policyLevelLabel(p.policy.level);
    return p.policy.rule ? vscode.l10n.t('{0} ({1} policy, rule {2})', p.policy.reason, level, p.policy.rule) : vscode.l10n.t('{0} ({1} policy)', p.policy.reason, level);
  }
  const source = p.source === 'builtin' ? 'Keel' : p.source;
  // English picks its article by the English word; a translation of either sentence may ignore the choice.
  return /^[aeiou]/.test(p.risk) ? vscode.l10n.t('{0} is an {1} action from {2}.', p.tool, riskLabel(p.risk), source) : vscode.l10n.t('{0} is a {1} action from {2}.', p.tool, riskLabel(p.risk), source);
}

function budgetTitle(scope: BudgetEscalationParams['scope']): string {
  switch (scope) {
    case 'run': return vscode.l10n.t('Go over the run budget?');
    case 'agent': return vscode.l10n.t('Go over the agent budget?');
    case 'day': return vscode.l10n.t('Go over the day budget?');
  }
}

function budgetWhy(p: BudgetEscalationParams): string {
  const [spent, limit, next] = [usd(p.spentUsd), usd(p.limitUsd), usd(p.nextCallUsd)];
  switch (p.scope) {
    case 'run': return vscode.l10n.t('This run has spent {0} of {1}; the next call to {2} may cost {3}.', spent, limit, p.modelId, next);
    case 'agent': return vscode.l10n.t('This agent has spent {0} of {1}; the next call to {2} may cost {3}.', spent, limit, p.modelId, next);
    case 'day': return vscode.l10n.t('Today has spent {0} of {1}; the next call to {2} may cost {3}.', spent, limit, p.modelId, next);
  }
}

function isJsonObject(text: string): boolean {
  try {
    return isPlainObject(JSON.parse(text));
  } catch {
    return false;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
