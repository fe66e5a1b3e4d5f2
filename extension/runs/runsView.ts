import * as vscode from 'vscode';
import { CancelRunRequest, RunTranscriptRequest, SteerRunRequest, UndoRunRequest, type RunListEntry } from '../../protocol/rpc';
import { offers, parseFromRunsView, type FromRunsView, type RunAction, type ToRunsView } from '../../protocol/runsView';
import { errorText } from '../errors';
import type { AgentHost } from '../host/agentHost';
import type { TraceStore } from '../traces/traceStore';
import { escapeHtml } from '../../protocol/html';
import { webviewPage, webviewRoot } from '../webviewPage';
import type { FailedTasks } from './failedTasks';
import { panelTranscript } from './panelTranscript';
import type { Runs } from './runsFeature';
import type { RunsList } from './runsList';
import type { UnfinishedRuns } from './unfinishedRuns';
import { runStateLabel } from '../../protocol/stateLabels';

/** A running run's spans arrive in bursts: its conversation and step count are asked for once per pause. */
const LIVE_REFRESH_MS = 400;
/** How many files the undo confirmation names; the rest are counted. */
const NAMED_FILES = 15;

interface Services {
  readonly host: AgentHost;
  readonly list: RunsList;
  readonly runs: Runs;
  readonly unfinished: UnfinishedRuns;
  readonly failed: FailedTasks;
  readonly traces: TraceStore;
}

/**
 * The Runs list in the Keel panel: every run the host knows with its state, and the actions on it (resume, retry,
 * cancel, continue, steer, undo, dismiss, open its trace); the selected run shows its conversation, kept up to date
 * while it runs. The host and the features that start runs own the state; this view only shows it and asks them.
 */
export class RunsView implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'keel.runs';
  private view: vscode.WebviewView | undefined;
  private selected: string | undefined;
  /** The selected run's trace, once known: span updates are matched against it. */
  private selectedTraceId: string | undefined;
  /** The selected run's state and steps as last listed: when they change, its conversation is asked for again. */
  private selectedSeen: string | undefined;
  private liveTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly extensionUri: vscode.Uri, private readonly services: Services) {
    this.disposables.push(
      services.list.onDidChange(() => {
        this.postRuns();
        // A run that changed state or took steps has more to say; its last words may come after its last span.
        const run = this.selected ? services.list.get(this.selected) : undefined;
        const seen = progressOf(run);
        if (run && seen !== this.selectedSeen) void this.postTranscript(run.runId);
        this.selectedSeen = seen;
      }),
      services.traces.onDidUpdateSpan((span) => {
        if (!this.selected) return;
        if (!this.selectedTraceId && span.parentSpanId === undefined && span.attributes['keel.run.id'] === this.selected) this.selectedTraceId = span.traceId;
        if (span.traceId === this.selectedTraceId) this.scheduleLive();
      }),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = { enableScripts: true, localResourceRoots: [webviewRoot(this.extensionUri)] };
    view.webview.html = webviewPage(view.webview, this.extensionUri, { title: vscode.l10n.t('Keel runs'), styles: ['runs.css'], script: 'runs.js', body: `<main id="app" aria-label="${escapeHtml(vscode.l10n.t('Agent runs'))}"></main>` });
    view.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw), undefined, this.disposables);
    view.onDidDispose(() => (this.view = undefined), undefined, this.disposables);
  }

  /** Shows the panel; for "Keel: Show Runs". */
  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${RunsView.viewId}.focus`);
  }

  dispose(): void {
    clearTimeout(this.liveTimer);
    for (const d of this.disposables) d.dispose();
  }

  private async receive(raw: unknown): Promise<void> {
    const message = parseFromRunsView(raw);
    if (!message) return;
    switch (message.type) {
      case 'ready':
        this.services.list.refresh();
        this.postRuns();
        if (this.selected) await this.postTranscript(this.selected);
        return;
      case 'runTask':
        return void vscode.commands.executeCommand('keel.runTask');
      case 'select':
        this.selected = message.runId;
        this.selectedTraceId = message.runId ? (this.services.list.get(message.runId)?.traceId ?? this.traceOf(message.runId)) : undefined;
        this.selectedSeen = progressOf(message.runId ? this.services.list.get(message.runId) : undefined);
        if (message.runId) await this.postTranscript(message.runId);
        return;
      default:
        return this.act(message);
    }
  }

  /** One action on a listed run, if its state (as last listed, not as the panel says) offers it. */
  private async act(message: Extract<FromRunsView, { type: 'action' | 'message' }>): Promise<void> {
    const { runId, action } = message;
    const run = this.services.list.get(runId);
    let problem: string | undefined;
    if (!run) problem = vscode.l10n.t('Keel no longer lists this run.');
    else if (!offers(run, action)) problem = notOffered(runStateLabel(run.state), action);
    else {
      try {
        problem = await this.perform(run, action, message.type === 'message' ? message.text : '');
      } catch (error) {
        problem = errorText(error);
      }
    }
    this.post({ type: 'actionDone', runId, action, ...(problem ? { problem } : {}) });
    this.services.list.refresh();
    // A message sent is part of the conversation at once, before the agent's next step shows anything.
    if (!problem && (action === 'steer' || action === 'continue') && this.selected === runId) await this.postTranscript(runId);
  }

  /** Does it; answers why it did not happen, when it did not. */
  private async perform(run: RunListEntry, action: RunAction, text: string): Promise<string | undefined> {
    const { host, runs, unfinished, failed } = this.services;
    switch (action) {
      case 'resume':
        return void (await unfinished.resume(run));
      case 'retry':
        return void (await failed.retry(run));
      case 'dismiss':
        return void (await (run.state === 'failed' ? failed.dismiss(run) : unfinished.discard(run.runId)));
      case 'cancel': {
        const { cancelled } = await (await host.ensureStarted()).sendRequest(CancelRunRequest.type, { runId: run.runId });
        return cancelled ? undefined : vscode.l10n.t('The run had already ended.');
      }
      case 'continue':
        await runs.continue(run.runId, run.goal, text);
        return undefined;
      case 'steer': {
        const { accepted } = await (await host.ensureStarted()).sendRequest(SteerRunRequest.type, { runId: run.runId, message: text });
        return accepted ? undefined : vscode.l10n.t('The run is no longer running, so it cannot be steered; continue it instead.');
      }
      case 'undo':
        return this.undo(run);
      case 'openTrace': {
        const traceId = run.traceId ?? this.traceOf(run.runId);
        if (!traceId) return vscode.l10n.t('Keel keeps no trace of this run.');
        return void (await vscode.commands.executeCommand('keel.openRunTrace', traceId));
      }
      case 'showApprovals':
        return void (await vscode.commands.executeCommand('keel.showApprovals'));
    }
  }

  /** Undo is a side effect on the user's files: the files are named and the user confirms before the host reverts them. */
  private async undo(run: RunListEntry): Promise<string | undefined> {
    const files = run.changedFiles ?? [];
    const named = files.slice(0, NAMED_FILES).map((file) => `  ${file}`);
    const more = run.filesChanged - named.length;
    const detail = [
      undoIntro(run.filesChanged, shortGoal(run.goal), named.length > 0),
      ...named,
      ...(more > 0 && named.length > 0 ? [`  ${vscode.l10n.t('and {0} more', more)}`] : []),
      '',
      vscode.l10n.t('Nothing is reverted if any of them changed since the run.'),
    ].join('\n');
    const undoButton = vscode.l10n.t('Undo Run');
    const choice = await vscode.window.showWarningMessage(vscode.l10n.t('Undo this run\'s file changes?'), { modal: true, detail }, undoButton);
    if (choice !== undoButton) return undefined;
    const result = await (await this.services.host.ensureStarted()).sendRequest(UndoRunRequest.type, { runId: run.runId });
    if (!result.undone) return result.message;
    void vscode.window.showInformationMessage(vscode.l10n.t('Keel: {0}', result.message || vscode.l10n.t('restored {0} file(s).', result.files.length)));
    return undefined;
  }

  private async postTranscript(runId: string): Promise<void> {
    const { host } = this.services;
    try {
      if (host.state !== 'running') throw new Error(vscode.l10n.t('The agent host is not running; its conversation shows once it runs again.'));
      const { messages } = await (await host.ensureStarted()).sendRequest(RunTranscriptRequest.type, { runId });
      if (this.selected === runId) this.post({ type: 'transcript', runId, ...panelTranscript(messages) });
    } catch (error) {
      if (this.selected === runId) this.post({ type: 'transcript', runId, messages: [], earlier: 0, problem: vscode.l10n.t('Keel could not load this run\'s conversation: {0}', errorText(error)) });
    }
  }

  /** While the selected run works, its new steps show in its conversation and its step count. */
  private scheduleLive(): void {
    if (this.liveTimer) return;
    this.liveTimer = setTimeout(() => {
      this.liveTimer = undefined;
      this.services.list.refresh();
      if (this.selected) void this.postTranscript(this.selected);
    }, LIVE_REFRESH_MS);
  }

  /** A run's trace from the spans this window holds, for a host that does not list it. */
  private traceOf(runId: string): string | undefined {
    return this.services.traces.all().find((span) => span.parentSpanId === undefined && span.attributes['keel.run.id'] === runId)?.traceId;
  }

  private postRuns(): void {
    const { runs, problem } = this.services.list;
    this.post({ type: 'runs', runs, ...(problem ? { problem } : {}) });
  }

  private post(message: ToRunsView): void {
    void this.view?.webview.postMessage(message);
  }
}

/** Why the panel's action did not happen: the run's state (a protocol value, as the host names it) does not offer it. */
function notOffered(state: string, action: RunAction): string {
  switch (action) {
    case 'resume': return vscode.l10n.t('This run is {0} now; it cannot be resumed.', state);
    case 'retry': return vscode.l10n.t('This run is {0} now; it cannot be retried.', state);
    case 'cancel': return vscode.l10n.t('This run is {0} now; it cannot be cancelled.', state);
    case 'dismiss': return vscode.l10n.t('This run is {0} now; it cannot be dismissed.', state);
    case 'undo': return vscode.l10n.t('This run is {0} now; it cannot be undone.', state);
    case 'openTrace': return vscode.l10n.t('This run is {0} now; it cannot show a trace.', state);
    case 'showApprovals': return vscode.l10n.t('This run is {0} now; it cannot have a question for you.', state);
    case 'continue': return vscode.l10n.t('This run is {0} now; it cannot be continued.', state);
    case 'steer': return vscode.l10n.t('This run is {0} now; it cannot be steered.', state);
  }
}

function undoIntro(files: number, goal: string, listed: boolean): string {
  if (files === 1) return listed ? vscode.l10n.t('Keel will put the file that "{0}" changed back as it was before the run:', goal) : vscode.l10n.t('Keel will put the file that "{0}" changed back as it was before the run.', goal);
  return listed ? vscode.l10n.t('Keel will put the {0} files that "{1}" changed back as they were before the run:', files, goal) : vscode.l10n.t('Keel will put the {0} files that "{1}" changed back as they were before the run.', files, goal);
}

/** What of a listed run says it has more to show: its state, steps and end. */
function progressOf(run: RunListEntry | undefined): string | undefined {
  return run && `${run.state} ${run.steps} ${run.endedAt ?? ''}`;
}

function shortGoal(goal: string): string {
  const line = goal.replace(/\s+/g, ' ').trim();
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}

/** The Runs list, its "Keel: Show Runs" command, and the list it shows (the status bar counts its waiting runs). */
export function registerRunsView(context: vscode.ExtensionContext, services: Omit<Services, 'list'>, list: RunsList): void {
  const view = new RunsView(context.extensionUri, { ...services, list });
  context.subscriptions.push(
    view,
    vscode.window.registerWebviewViewProvider(RunsView.viewId, view),
    vscode.commands.registerCommand('keel.showRuns', () => view.reveal()),
  );
}
