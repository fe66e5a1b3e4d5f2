import * as l10n from '@vscode/l10n';
import type { Approvals } from '../governance/approvals';

/**
 * A tool call's timeout that stops while the call waits for the user: an edit left open for minutes is the
 * approval timeout's business (`keel.approval.timeoutSeconds`), not a sign that the tool hangs.
 */
export class PausableDeadline {
  private readonly controller = new AbortController();
  private remainingMs: number;
  private runningSince = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private pauses = 0;

  constructor(readonly timeoutMs: number) {
    this.remainingMs = timeoutMs;
    this.arm();
  }

  /** Aborts once the call has run for `timeoutMs`, not counting time paused. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The same questions, with the clock stopped while each one is open. */
  pausing(approvals: Approvals): Approvals {
    return {
      reviewEdit: (edit, at) => this.paused(() => approvals.reviewEdit(edit, at)),
      reviewToolCall: (review, at) => this.paused(() => approvals.reviewToolCall(review, at)),
      recordPolicyDecision: (subject, decision, at) => approvals.recordPolicyDecision(subject, decision, at),
    };
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  private async paused<T>(wait: () => Promise<T>): Promise<T> {
    if (this.pauses++ === 0 && !this.signal.aborted) {
      clearTimeout(this.timer);
      this.remainingMs -= performance.now() - this.runningSince;
    }
    try {
      return await wait();
    } finally {
      if (--this.pauses === 0 && !this.signal.aborted) {
        this.runningSince = performance.now();
        this.arm();
      }
    }
  }

  private arm(): void {
    this.timer = setTimeout(() => this.controller.abort(new Error(l10n.t('timeout'))), Math.max(0, this.remainingMs));
  }
}
