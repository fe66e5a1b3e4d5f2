import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { CancelRunRequest, ContinueRunRequest, ListAgentsRequest, RunFinishedNotification, StartRunRequest, type AgentInfo } from '../../protocol/rpc';
import type { RunResult } from '../../protocol/run';
import { errorText, showError, showWarning, withoutLinks } from '../errors';
import type { AgentHost } from '../host/agentHost';
import { modelConfig, runSettings } from '../settings';
import type { TraceStore } from '../traces/traceStore';
import { RunTracker } from './runTracker';


/** The runs this window starts. */
export interface Runs {
  readonly tracker: RunTracker;
  /** Starts a run (of the agent definition `agent`, or Keel's default agent), and the host first if it is not running; `done` settles when the run ends. */
  start(goal: string, agent?: string): Promise<{ runId: string; done: Promise<RunResult> }>;
  /** Continues an ended run with a follow-up message, under its own id; `done` settles when it ends again. */
  continue(runId: string, goal: string, message: string): Promise<{ runId: string; done: Promise<RunResult> }>;
  /** Reports every active run as interrupted, before the host that runs them is stopped. */
  interruptAll(): void;
}

/**
 * "Keel: Run Agent Task…" and "Keel: Cancel Run". Each run's end closes its trace and is told to the user; a run
 * whose host crashed ends as interrupted.
 */
export function registerRuns(context: vscode.ExtensionContext, host: AgentHost, log: vscode.LogOutputChannel, traces: TraceStore, readyToRun: () => Promise<boolean> = async () => true): Runs {
  const tracker = new RunTracker();
  const start = async (goal: string, agent?: string) => {
    const client = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Starting Keel agent host…') },
      () => host.ensureStarted(),
    );
    const { runId } = await client.sendRequest(StartRunRequest.type, { goal, ...(await runSettings(context.secrets)), ...(agent ? { agent } : {}) });
    return { runId, done: tracker.track(runId, goal) };
  };
  const continueRun = async (runId: string, goal: string, message: string) => {
    const client = await host.ensureStarted();
    const continued = await client.sendRequest(ContinueRunRequest.type, { runId, message, models: await modelConfig(context.secrets), restricted: !vscode.workspace.isTrusted });
    return { runId: continued.runId, done: tracker.track(continued.runId, goal) };
  };

  context.subscriptions.push(
    tracker,
    host.onClient((client) => client.onNotification(RunFinishedNotification.type, (result) => tracker.finished(result))),
    host.onDidCrash(() => tracker.interruptAll(interrupted())),
    tracker.onDidFinish((result) => {
      traces.finish(result);
      void showRunResult(result, log);
    }),
    vscode.commands.registerCommand('keel.runTask', async (goalArgument?: string) => {
      const goal = goalArgument ?? (await askForGoal());
      if (goal === undefined) return undefined;
      try {
        // A task the user starts finds out at once when no model answers, with the fix, instead of after retries.
        if (!(await readyToRun())) return undefined;
        const { runId } = await start(goal);
        void vscode.commands.executeCommand('workbench.view.extension.keel');
        return runId;
      } catch (error) {
        void showError(errorText(error), log);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('keel.runAgent', async (agentArgument?: string, goalArgument?: string) => {
      try {
        const agent = agentArgument ?? (await pickAgent(await host.ensureStarted(), log));
        if (agent === undefined) return undefined;
        const goal = goalArgument ?? (await askForGoal(agent));
        if (goal === undefined) return undefined;
        if (!(await readyToRun())) return undefined;
        const { runId } = await start(goal, agent);
        void vscode.commands.executeCommand('workbench.view.extension.keel');
        return runId;
      } catch (error) {
        void showError(errorText(error), log);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('keel.cancelRun', async (runId?: string) => {
      const target = runId ?? tracker.latest()?.runId;
      if (!target || host.state !== 'running') return void vscode.window.showInformationMessage(vscode.l10n.t('Keel: no agent run is active.'));
      const client = await host.ensureStarted();
      await client.sendRequest(CancelRunRequest.type, { runId: target });
    }),
  );
  return { tracker, start, continue: continueRun, interruptAll: () => tracker.interruptAll(interrupted()) };
}

/** The agent definitions to choose from; definitions that did not load are shown too, each with its file and line. */
async function pickAgent(client: LanguageClient, log: vscode.LogOutputChannel): Promise<string | undefined> {
  const { agents, problems } = await client.sendRequest(ListAgentsRequest.type, {});
  for (const problem of problems) log.warn(`agent definition not loaded: ${problem}`);
  if (problems.length > 0) void showWarning(problems.length > 1 ? vscode.l10n.t('{0} agent definition(s) did not load: {1} (the others are in the Keel log)', problems.length, problems[0]) : vscode.l10n.t('{0} agent definition(s) did not load: {1}', problems.length, problems[0]));
  if (agents.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Keel: this workspace defines no agents. Add one in .keel/agents/<name>.md (front matter: description, tools, model, maxSteps, delegate) or .github/agents/<name>.agent.md.'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    agents.map((a) => ({ label: a.name, description: a.description, detail: agentDetail(a), name: a.name })),
    { title: vscode.l10n.t('Keel: Run Agent'), placeHolder: vscode.l10n.t('Which agent should work on the task?'), matchOnDescription: true },
  );
  return picked?.name;
}

function agentDetail(agent: AgentInfo): string {
  const parts = [agent.path];
  if (agent.tools) parts.push(vscode.l10n.t('tools: {0}', agent.tools.join(', ') || vscode.l10n.t('none')));
  if (agent.model) parts.push(vscode.l10n.t('model: {0}', agent.model));
  if (agent.maxSteps) parts.push(vscode.l10n.t('{0} steps', agent.maxSteps));
  if (agent.delegate) parts.push(vscode.l10n.t('may delegate'));
  return parts.join(' · ');
}

async function askForGoal(agent?: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: agent ? vscode.l10n.t('Keel: Run Agent {0}', agent) : vscode.l10n.t('Keel: Run Agent Task'),
    prompt: vscode.l10n.t('What should the agent do?'),
    placeHolder: vscode.l10n.t('e.g. Add input validation to parseConfig in src/config.ts'),
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === '' ? vscode.l10n.t('Describe the task for the agent.') : undefined),
  });
}

async function showRunResult(result: RunResult, log: vscode.LogOutputChannel): Promise<void> {
  log.info(`run ${result.runId} ${result.outcome}: ${result.message}`);
  // The message is the model's answer: shown as text, never as links.
  if (result.outcome === 'succeeded') return void vscode.window.showInformationMessage(vscode.l10n.t('Keel: {0}', withoutLinks(result.message)));
  if (result.outcome === 'cancelled') return void vscode.window.showInformationMessage(vscode.l10n.t('Keel: the run was cancelled.'));
  if (result.outcome === 'interrupted') {
    const choice = await vscode.window.showWarningMessage(vscode.l10n.t('Keel: {0}', withoutLinks(result.message)), vscode.l10n.t('Run a Task'));
    if (choice) void vscode.commands.executeCommand('keel.runTask');
    return;
  }
  await showError(vscode.l10n.t('The run failed: {0}', result.message), log, { label: vscode.l10n.t('Show Failed Tasks'), command: 'keel.showFailedTasks' });
}

function interrupted(): string {
  return vscode.l10n.t('The agent host stopped during this run, so the run was interrupted. Keel offers to resume it when the host runs again ("keel.runs.resume"); "Keel: Resume Unfinished Runs…" lists such runs.');
}
