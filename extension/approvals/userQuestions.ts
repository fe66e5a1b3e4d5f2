import * as vscode from 'vscode';
import { MAX_USER_ANSWER_CHARS, type AskUserAnswer, type AskUserParams } from '../../protocol/rpc';
import { PendingQuestions } from './pendingQuestions';

/**
 * Questions for the user that take a written answer: an agent's `ask_user`, and Keel's "the agent is stuck: guidance or
 * stop?". A notification offers Answer… (an input box) and Stop Run; the approval center shows them with a text box.
 */
export class UserQuestionController implements vscode.Disposable {
  private readonly questions = new PendingQuestions<AskUserParams, AskUserAnswer>();
  readonly onDidChangePending = this.questions.onDidChange;

  list(): readonly AskUserParams[] {
    return this.questions.entries().map(([, params]) => params);
  }

  ask(params: AskUserParams, token: vscode.CancellationToken): Promise<AskUserAnswer> {
    const answer = this.questions.wait(params.approvalId, params, token, { action: 'decline' });
    void this.notify(params);
    return answer;
  }

  settle(approvalId: string, answer: AskUserAnswer): void {
    this.questions.settle(approvalId, answer.action === 'answer' ? { action: 'answer', text: answer.text.slice(0, MAX_USER_ANSWER_CHARS) } : answer);
  }

  /** Nobody is left to act on an answer (the host stopped, VS Code closes). */
  declineAll(): void {
    this.questions.settleAll({ action: 'decline' });
  }

  dispose(): void {
    this.declineAll();
    this.questions.dispose();
  }

  private async notify(params: AskUserParams): Promise<void> {
    const answerButton = params.kind === 'stuck' ? vscode.l10n.t('Give Guidance…') : vscode.l10n.t('Answer…');
    const stopButton = vscode.l10n.t('Stop Run');
    const approvalsButton = vscode.l10n.t('Show Approvals');
    const message = params.kind === 'stuck' ? vscode.l10n.t('Keel: {0}', params.question)
      : params.agent ? vscode.l10n.t('Keel: the agent {0} asks: {1}', params.agent, params.question) : vscode.l10n.t('Keel: the agent asks: {0}', params.question);
    for (;;) {
      const choice = await vscode.window.showInformationMessage(message, answerButton, stopButton, approvalsButton);
      if (!this.questions.has(params.approvalId)) return;
      if (choice === approvalsButton) return void vscode.commands.executeCommand('keel.showApprovals');
      if (choice === stopButton) return this.settle(params.approvalId, { action: 'stop' });
      if (choice !== answerButton) return;
      const text = await vscode.window.showInputBox({
        title: params.kind === 'stuck' ? vscode.l10n.t('Guidance for the stuck agent')
          : params.agent ? vscode.l10n.t('Answer the agent {0}', params.agent) : vscode.l10n.t('Answer the agent'),
        prompt: params.question,
        placeHolder: params.kind === 'stuck' ? vscode.l10n.t('What should the agent do differently?') : vscode.l10n.t('Your answer'),
        ignoreFocusOut: true,
        validateInput: (value) => (value.length > MAX_USER_ANSWER_CHARS ? vscode.l10n.t('At most {0} characters.', MAX_USER_ANSWER_CHARS) : undefined),
      });
      if (!this.questions.has(params.approvalId)) return;
      if (text !== undefined) return this.settle(params.approvalId, { action: 'answer', text });
    }
  }
}
