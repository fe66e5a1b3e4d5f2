import * as vscode from 'vscode';
import type { Approvals } from './approvals/approvalsFeature';
import type { AgentHost } from './host/agentHost';
import type { IndexProgress } from './memory/indexProgress';
import type { RunTracker } from './runs/runTracker';

/** One status bar item: host state, active runs, workspace indexing and pending approvals. */
export function createStatusBar(host: AgentHost, runs: RunTracker, { reviews, toolApprovals }: Approvals, memory: IndexProgress): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('keel.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Keel';
  const render = () => {
    const approvals = reviews.list().length + toolApprovals.list().length;
    const { activity, failure } = memory;
    item.command = approvals > 0 ? 'keel.showApprovals' : failure ? 'keel.reindex' : 'workbench.view.extension.keel';
    const runsText = runs.count > 0 ? `${runs.count} run${runs.count > 1 ? 's' : ''}` : undefined;
    const parts = [runsText || activity ? `$(sync~spin) Keel: ${runsText ?? activity}` : host.state === 'running' ? '$(check) Keel' : '$(circle-outline) Keel'];
    if (runsText && activity) parts.push(activity);
    if (failure) parts.push('$(warning) index failed');
    if (approvals > 0) parts.push(`$(bell-dot) ${approvals} to approve`);
    item.text = parts.join('  ');
    const indexState = activity ? ` Workspace index: ${activity}.` : failure ? ` The workspace index failed: ${failure}` : '';
    item.tooltip = `Agent host: ${host.state}. ${runs.count} active run(s), ${approvals} pending approval(s).${indexState} ` +
      `Click to ${approvals > 0 ? 'answer approvals' : failure ? 'reindex the workspace' : 'open the trace viewer'}.`;
    item.backgroundColor = approvals > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  };
  render();
  item.show();
  return vscode.Disposable.from(item, host.onDidChangeState(render), runs.onDidChange(render), reviews.onDidChangePending(render), toolApprovals.onDidChangePending(render), memory.onDidChange(render));
}
