import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ListRunsRequest, RunsChangedNotification, type RunListEntry } from '../../protocol/rpc';
import { errorText } from '../errors';
import type { AgentHost } from '../host/agentHost';

/** How many runs the panel lists. */
const LISTED_RUNS = 100;
/** Notifications in a burst (subagents starting, steps of several runs) cost one `runs/list`. */
const COALESCE_MS = 150;

/**
 * The host's runs as the Runs list and the status bar show them: asked for again on each `runs/changed` and each
 * new host session, in one request per burst. It never starts the host: before it runs, the list is empty.
 */
export class RunsList implements vscode.Disposable {
  private entries: readonly RunListEntry[] = [];
  private failure: string | undefined;
  private session: LanguageClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;
  private again = false;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];
  readonly onDidChange = this.changed.event;

  constructor(host: AgentHost) {
    this.disposables.push(
      this.changed,
      host.onClient((client) => {
        this.session = client;
        client.onNotification(RunsChangedNotification.type, () => this.refresh());
        client.onDidChangeState(() => this.refresh());
      }),
    );
  }

  get runs(): readonly RunListEntry[] {
    return this.entries;
  }

  /** Why the list could not be loaded, for the panel to say. */
  get problem(): string | undefined {
    return this.failure;
  }

  get(runId: string): RunListEntry | undefined {
    return this.entries.find((run) => run.runId === runId);
  }

  /** Runs stopped on a question to the user. */
  waiting(): readonly RunListEntry[] {
    return this.entries.filter((run) => run.state === 'waiting');
  }

  /** Asks the host again soon; calls in a burst share one request, and one that comes during a request gets another. */
  refresh(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.loading) {
        this.again = true;
        return;
      }
      this.loading = this.load().finally(() => {
        this.loading = undefined;
        if (this.again) {
          this.again = false;
          this.refresh();
        }
      });
    }, COALESCE_MS);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }

  private async load(): Promise<void> {
    const client = this.session?.isRunning() ? this.session : undefined;
    if (!client) {
      this.update([], undefined);
      return;
    }
    try {
      const { runs } = await client.sendRequest(ListRunsRequest.type, { limit: LISTED_RUNS });
      this.update(runs, undefined);
    } catch (error) {
      // Keep what was listed: a host restarting mid-request answers again on its next session.
      this.update(this.entries, `Keel could not list the runs: ${errorText(error)}`);
    }
  }

  private update(runs: readonly RunListEntry[], problem: string | undefined): void {
    this.entries = runs;
    this.failure = problem;
    this.changed.fire();
  }
}
