import * as vscode from 'vscode';
import type { MemoryIndexProgress } from '../../protocol/rpc';

/** The latest progress the host reported for the workspace index, for the status bar. */
export class IndexProgress implements vscode.Disposable {
  private latest: MemoryIndexProgress | undefined;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  update(progress: MemoryIndexProgress | undefined): void {
    this.latest = progress;
    this.emitter.fire();
  }

  /** While the index is being built, e.g. `indexing 1,234/5,678`; undefined when idle. */
  get activity(): string | undefined {
    if (this.latest?.phase === 'scanning') return 'scanning workspace';
    if (this.latest?.phase === 'indexing') return `indexing ${this.latest.done.toLocaleString()}/${this.latest.total.toLocaleString()}`;
    return undefined;
  }

  /** The index finished building or updating (the walkthrough's "build the index" step). */
  get built(): boolean {
    return this.latest?.phase === 'done';
  }

  /** Why the last update failed, until the next one starts. */
  get failure(): string | undefined {
    return this.latest?.phase === 'failed' ? this.latest.message : undefined;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
