import * as vscode from 'vscode';
import type { EditReviewController } from './approvals/editReview';
import type { ToolApprovalController } from './approvals/toolApprovals';
import type { AgentHost } from './host/agentHost';
import type { RunTracker } from './runs/runTracker';

/** One status bar item: host state, active runs and pending approvals. */
export function createStatusBar(host: AgentHost, runs: RunTracker, reviews: EditReviewController, toolApprovals: ToolApprovalController): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('keel.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Keel';
  const render = () => {
    const approvals = reviews.list().length + toolApprovals.list().length;
    item.command = approvals > 0 ? 'keel.showApprovals' : 'workbench.view.extension.keel';
    const parts = [runs.count > 0 ? `$(sync~spin) Keel: ${runs.count} run${runs.count > 1 ? 's' : ''}` : host.state === 'running' ? '$(check) Keel' : '$(circle-outline) Keel'];
    if (approvals > 0) parts.push(`$(bell-dot) ${approvals} to approve`);
    item.text = parts.join('  ');
    item.tooltip = `Agent host: ${host.state}. ${runs.count} active run(s), ${approvals} pending approval(s). Click to ${approvals > 0 ? 'answer approvals' : 'open the trace viewer'}.`;
    item.backgroundColor = approvals > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  };
  render();
  item.show();
  return vscode.Disposable.from(item, host.onDidChangeState(render), runs.onDidChange(render), reviews.onDidChangePending(render), toolApprovals.onDidChangePending(render));
}
