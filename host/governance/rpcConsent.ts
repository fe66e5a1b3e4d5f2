import { CancellationTokenSource, type CancellationToken, type Connection } from 'vscode-languageserver/node';
import type { BudgetEscalationParams } from '../../protocol/models';
import { AskUserRequest, BudgetEscalationRequest, ElicitRequest, RepeatStepRequest, ReviewEditRequest, ReviewToolCallRequest, type AskUserAnswer, type AskUserParams, type ElicitAnswer, type ElicitParams, type RepeatChoice, type RepeatStepParams, type ReviewEditParams, type ReviewToolCallParams } from '../../protocol/rpc';
import type { EditDecision, ToolCallDecision } from '../../protocol/run';
import { abortable } from '../abortable';
import type { ConsentPort } from './consent';

/** The user, as the extension asks them: edits inline in the editor, everything else as a notification. */
export class RpcConsent implements ConsentPort {
  constructor(private readonly connection: Connection) {}

  reviewEdit(review: ReviewEditParams, signal: AbortSignal): Promise<EditDecision> {
    return this.ask(signal, (token) => this.connection.sendRequest(ReviewEditRequest.type, review, token));
  }

  reviewToolCall(review: ReviewToolCallParams, signal: AbortSignal): Promise<ToolCallDecision> {
    return this.ask(signal, (token) => this.connection.sendRequest(ReviewToolCallRequest.type, review, token));
  }

  async approveBudget(escalation: BudgetEscalationParams, signal: AbortSignal): Promise<boolean> {
    return (await this.ask(signal, (token) => this.connection.sendRequest(BudgetEscalationRequest.type, escalation, token))).approved;
  }

  elicit(request: ElicitParams, signal: AbortSignal): Promise<ElicitAnswer> {
    return this.ask(signal, (token) => this.connection.sendRequest(ElicitRequest.type, request, token));
  }

  async confirmRepeat(question: RepeatStepParams, signal: AbortSignal): Promise<RepeatChoice> {
    return (await this.ask(signal, (token) => this.connection.sendRequest(RepeatStepRequest.type, question, token))).choice;
  }

  askUser(question: AskUserParams, signal: AbortSignal): Promise<AskUserAnswer> {
    return this.ask(signal, (token) => this.connection.sendRequest(AskUserRequest.type, question, token));
  }

  /** Cancelling the request tells the extension to take its prompt down. */
  private async ask<R>(signal: AbortSignal, send: (token: CancellationToken) => Promise<R>): Promise<R> {
    const source = new CancellationTokenSource();
    const onAbort = () => source.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await abortable(send(source.token), signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
      source.dispose();
    }
  }
}
