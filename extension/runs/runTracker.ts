import * as vscode from 'vscode';
import type { RunResult } from '../../protocol/run';

interface ActiveRun {
  readonly goal: string;
  readonly done: Promise<RunResult>;
  readonly resolve: (result: RunResult) => void;
}

/**
 * The runs this window started and has not seen finish. When the host dies, every active run is reported
 * as interrupted, since its state died with the process.
 */
export class RunTracker implements vscode.Disposable {
  private readonly active = new Map<string, ActiveRun>();
  private readonly finishedEarly = new Map<string, RunResult>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly finishedEmitter = new vscode.EventEmitter<RunResult>();
  readonly onDidChange = this.changed.event;
  readonly onDidFinish = this.finishedEmitter.event;

  get count(): number {
    return this.active.size;
  }

  /** The most recently started active run. */
  latest(): { runId: string; goal: string } | undefined {
    const entries = [...this.active.entries()];
    const last = entries.at(-1);
    return last && { runId: last[0], goal: last[1].goal };
  }

  /** An active run's goal, to say which run asks a question. */
  goalOf(runId: string): string | undefined {
    return this.active.get(runId)?.goal;
  }

  track(runId: string, goal: string): Promise<RunResult> {
    // A fast run can finish before `startRun` has answered.
    const early = this.finishedEarly.get(runId);
    if (early) {
      this.finishedEarly.delete(runId);
      this.finishedEmitter.fire(early);
      return Promise.resolve(early);
    }
    let resolve!: (result: RunResult) => void;
    const done = new Promise<RunResult>((r) => (resolve = r));
    this.active.set(runId, { goal, done, resolve });
    this.changed.fire();
    return done;
  }

  finished(result: RunResult): void {
    const run = this.active.get(result.runId);
    if (!run) {
      this.finishedEarly.set(result.runId, result);
      return;
    }
    this.active.delete(result.runId);
    run.resolve(result);
    this.finishedEmitter.fire(result);
    this.changed.fire();
  }

  interruptAll(message: string): void {
    for (const runId of [...this.active.keys()]) this.finished({ runId, outcome: 'interrupted', message });
  }

  dispose(): void {
    this.changed.dispose();
    this.finishedEmitter.dispose();
  }
}
