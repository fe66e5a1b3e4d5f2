import * as vscode from 'vscode';

/**
 * Questions from the host waiting for the user, by approval id: each is answered once, from wherever the user answers
 * it (a notification, the approval center, a command), or with a stand-in answer when the host withdraws it or
 * nobody is left to answer. The controllers of each kind of question keep theirs here.
 */
export class PendingQuestions<P, A> implements vscode.Disposable {
  private readonly waiting = new Map<string, { readonly params: P; readonly resolve: (answer: A) => void }>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  /** Resolves with the user's answer, or with `withdrawn` once the host cancels the question. */
  wait(approvalId: string, params: P, token: vscode.CancellationToken, withdrawn: A): Promise<A> {
    const answer = new Promise<A>((resolve) => this.waiting.set(approvalId, { params, resolve }));
    token.onCancellationRequested(() => this.settle(approvalId, withdrawn));
    this.changed.fire();
    return answer;
  }

  has(approvalId: string): boolean {
    return this.waiting.has(approvalId);
  }

  /** The open questions, oldest first, by approval id. */
  entries(): [string, P][] {
    return [...this.waiting.entries()].map(([approvalId, { params }]) => [approvalId, params]);
  }

  /** Answers the question; one answered already (or never asked) is left alone. */
  settle(approvalId: string, answer: A): void {
    const waiting = this.waiting.get(approvalId);
    if (!waiting) return;
    this.waiting.delete(approvalId);
    waiting.resolve(answer);
    this.changed.fire();
  }

  settleAll(answer: A): void {
    for (const approvalId of [...this.waiting.keys()]) this.settle(approvalId, answer);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
