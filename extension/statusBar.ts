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
    const runsText = runs.count > 0 ? `${runs.count} run${runs.count > 1 ? 's' : ''}` : undefined;
    const parts = [runsText || activity ? `$(sync~spin) Keel: ${runsText ?? activity}` : host.state === 'running' ? '$(check) Keel' : '$(circle-outline) Keel'];
    if (runsText && activity) parts.push(activity);
    if (failure) parts.push('$(warning) index failed');
    if (waiting > 0) parts.push(`$(bell-dot) ${waiting} waiting on you`);
    item.text = parts.join('  ');
    const indexState = activity ? ` Workspace index: ${activity}.` : failure ? ` The workspace index failed: ${failure}` : '';
    const waitingText = waiting > 0 ? `${waiting} run${waiting > 1 ? 's' : ''} waiting on you (${questions.length} question${questions.length === 1 ? '' : 's'} to answer)` : 'no run waiting on you';
    item.tooltip = `Agent host: ${host.state}. ${runs.count} active run(s), ${waitingText}.${indexState} ` +
      `Click to ${waiting > 0 ? 'answer them' : failure ? 'reindex the workspace' : 'show the runs'}.`;
    item.backgroundColor = waiting > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  };
  render();
  item.show();
  const events = [host.onDidChangeState, runs.onDidChange, reviews.onDidChangePending, toolApprovals.onDidChangePending, budgets.onDidChangePending, memory.onDidChange, listed.onDidChange];
  return vscode.Disposable.from(item, ...events.map((event) => event(render)));
}
