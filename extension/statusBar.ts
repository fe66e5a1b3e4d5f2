import * as vscode from 'vscode';
import type { Approvals } from './approvals/approvalsFeature';
import type { AgentHost } from './host/agentHost';
import type { IndexProgress } from './memory/indexProgress';
import type { RunsList } from './runs/runsList';
import type { RunTracker } from './runs/runTracker';

/** One status bar item: host state, active runs, workspace indexing and the runs waiting on the user. */
export function createStatusBar(host: AgentHost, runs: RunTracker, approvals: Approvals, memory: IndexProgress, listed: RunsList): vscode.Disposable {
  const { reviews, toolApprovals, budgets, center } = approvals;
  const item = vscode.window.createStatusBarItem('keel.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Keel';
  const render = () => {
    const questions = center.questions();
    // A run waits on the user while one of its questions is open here, or while the host says so (a question this
    // window does not show, such as one asked before a reload and not yet asked again).
    const waiting = new Set([...questions.map((q) => q.runId), ...listed.waiting().map((run) => run.runId)]).size;
    const { activity, failure } = memory;
    item.command = waiting > 0 ? 'keel.showApprovals' : failure ? 'keel.reindex' : 'keel.showRuns';
    const runsText = runs.count === 0 ? undefined : runs.count === 1 ? vscode.l10n.t('1 run') : vscode.l10n.t('{0} runs', runs.count);
    const parts = [runsText || activity ? `$(sync~spin) Keel: ${runsText ?? activity}` : host.state === 'running' ? '$(check) Keel' : '$(circle-outline) Keel'];
    if (runsText && activity) parts.push(activity);
    if (failure) parts.push(vscode.l10n.t('$(warning) index failed'));
    if (waiting > 0) parts.push(vscode.l10n.t('$(bell-dot) {0} waiting on you', waiting));
    item.text = parts.join('  ');
    item.tooltip = [
      vscode.l10n.t('Agent host: {0}.', hostStateLabel(host.state)),
      waiting === 0 ? vscode.l10n.t('{0} active run(s), no run waiting on you.', runs.count)
        : vscode.l10n.t('{0} active run(s), {1} waiting on you ({2} question(s) to answer).', runs.count, waiting, questions.length),
      ...(activity ? [vscode.l10n.t('Workspace index: {0}.', activity)] : failure ? [vscode.l10n.t('The workspace index failed: {0}', failure)] : []),
      waiting > 0 ? vscode.l10n.t('Click to answer them.') : failure ? vscode.l10n.t('Click to reindex the workspace.') : vscode.l10n.t('Click to show the runs.'),
    ].join(' ');
    item.backgroundColor = waiting > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  };
  render();
  item.show();
  const events = [host.onDidChangeState, runs.onDidChange, reviews.onDidChangePending, toolApprovals.onDidChangePending, budgets.onDidChangePending, memory.onDidChange, listed.onDidChange];
  return vscode.Disposable.from(item, ...events.map((event) => event(render)));
}

/** The agent host process as the status bar's tooltip names it. */
function hostStateLabel(state: 'stopped' | 'starting' | 'running' | 'startFailed'): string {
  switch (state) {
    case 'stopped': return vscode.l10n.t('stopped');
    case 'starting': return vscode.l10n.t('starting');
    case 'running': return vscode.l10n.t('running');
    case 'startFailed': return vscode.l10n.t('failed to start');
  }
}
