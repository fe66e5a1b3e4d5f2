import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { hasRunJournals } from '../../protocol/node/runJournals';
import { DiscardRunRequest, ListUnfinishedRunsRequest, ResumeRunRequest, type UnfinishedRun } from '../../protocol/rpc';
import { errorText, showError } from '../errors';
import type { AgentHost } from '../host/agentHost';
import { modelConfig } from '../settings';
import type { RunTracker } from './runTracker';

type ResumeMode = 'auto' | 'ask' | 'never';

/** Resuming and discarding one unfinished run, for the Runs list's buttons. */
export interface UnfinishedRuns {
  resume(run: Pick<UnfinishedRun, 'runId' | 'goal'>): Promise<void>;
  discard(runId: string): Promise<void>;
}

/**
 * Runs the host stopped in the middle of (a crash, a restart, a window reload). Each time a host session starts, the
 * unfinished runs are resumed, or offered once per window in one notification, as `keel.runs.resume` says; a resumed
 * run's questions ("this may have run: run again?") are answered here too.
 */
export function registerUnfinishedRuns(context: vscode.ExtensionContext, host: AgentHost, tracker: RunTracker, log: vscode.LogOutputChannel): UnfinishedRuns {
  /** Runs already put to the user in this window, so a restart of the host does not ask about them again. */
  const offered = new Set<string>();

  const resume = async (client: LanguageClient, runs: readonly Pick<UnfinishedRun, 'runId' | 'goal'>[]) => {
    const models = await modelConfig(context.secrets);
    for (const run of runs) {
      try {
        await client.sendRequest(ResumeRunRequest.type, { runId: run.runId, models, restricted: !vscode.workspace.isTrusted });
        void tracker.track(run.runId, run.goal);
      } catch (error) {
        void showError(vscode.l10n.t('Keel could not resume the run "{0}": {1}', shortGoal(run.goal), errorText(error)), log);
      }
    }
  };

  const offer = async (client: LanguageClient) => {
    const mode = vscode.workspace.getConfiguration('keel').get<ResumeMode>('runs.resume', 'ask');
    if (mode === 'never') return;
    const { runs } = await client.sendRequest(ListUnfinishedRunsRequest.type, {});
    const fresh = runs.filter((run) => !offered.has(run.runId));
    if (fresh.length === 0) return;
    for (const run of fresh) offered.add(run.runId);
    if (mode === 'auto') return resume(client, fresh);
    const named = fresh.slice(0, 3).map((run) => `"${shortGoal(run.goal)}"`).join(', ');
    const listed = fresh.length > 3 ? vscode.l10n.t('{0} and {1} more', named, fresh.length - 3) : named;
    const message = fresh.length === 1 ? vscode.l10n.t('Keel: a run was interrupted before finishing: {0}.', listed) : vscode.l10n.t('Keel: {0} runs were interrupted before finishing: {1}.', fresh.length, listed);
    const [resumeAll, showRuns, discardAll] = [vscode.l10n.t('Resume All'), vscode.l10n.t('Show Runs'), vscode.l10n.t('Discard')];
    const choice = await vscode.window.showInformationMessage(message, resumeAll, showRuns, discardAll);
    if (choice === resumeAll) return resume(client, fresh);
    if (choice === discardAll) return discard(client, fresh);
    if (choice === showRuns) return pick(client, fresh);
  };

  const pick = async (client: LanguageClient, runs: readonly UnfinishedRun[]) => {
    const items = runs.map((run) => ({ label: shortGoal(run.goal), description: vscode.l10n.t('{0} steps, started {1}', run.steps, new Date(run.startedAt).toLocaleString()), detail: run.problem, picked: !run.problem, run }));
    const chosen = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Keel: resume which runs? (the others are discarded)'), canPickMany: true, ignoreFocusOut: true });
    if (!chosen) return;
    await resume(client, chosen.map((item) => item.run));
    await discard(client, runs.filter((run) => !chosen.some((item) => item.run === run)));
  };

  const discard = async (client: LanguageClient, runs: readonly UnfinishedRun[]) => {
    for (const run of runs) await client.sendRequest(DiscardRunRequest.type, { runId: run.runId });
  };

  context.subscriptions.push(
    host.onClient((client) => {
      // Running again after a crash restart too, when the runs that were in flight are unfinished.
      client.onDidChangeState(({ newState }) => {
        if (newState === State.Running) offer(client).catch((error: unknown) => log.warn(`unfinished runs were not listed: ${errorText(error)}`));
      });
    }),
    vscode.commands.registerCommand('keel.showUnfinishedRuns', async () => {
      const client = await host.ensureStarted();
      const { runs } = await client.sendRequest(ListUnfinishedRunsRequest.type, {});
      if (runs.length === 0) return void vscode.window.showInformationMessage(vscode.l10n.t('Keel: no run is waiting to be resumed.'));
      await pick(client, runs);
    }),
  );

  // The host starts on first use; with runs waiting from before a reload or a crash, start it now to offer them.
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  void hasRunJournals(context.globalStorageUri.fsPath, folder?.scheme === 'file' ? folder.fsPath : undefined).then((waiting) => {
    if (waiting && vscode.workspace.getConfiguration('keel').get<ResumeMode>('runs.resume', 'ask') !== 'never') return host.ensureStarted();
    return undefined;
  }).catch((error: unknown) => log.warn(`unfinished runs were not looked for: ${errorText(error)}`));

  return {
    resume: async (run) => {
      offered.add(run.runId);
      await resume(await host.ensureStarted(), [run]);
    },
    discard: async (runId) => {
      offered.add(runId);
      await (await host.ensureStarted()).sendRequest(DiscardRunRequest.type, { runId });
    },
  };
}

function shortGoal(goal: string): string {
  const line = goal.replace(/\s+/g, ' ').trim();
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}
