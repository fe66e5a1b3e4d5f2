import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { DismissFailedTaskRequest, FailedTasksChangedNotification, ListFailedTasksRequest, RetryFailedTaskRequest, type FailedTask } from '../../protocol/rpc';
import { errorText, showError } from '../errors';
import type { AgentHost } from '../host/agentHost';
import { modelConfig } from '../settings';
import type { RunTracker } from './runTracker';

/** Retrying and dismissing one failed task, for the Runs list's buttons. */
export interface FailedTasks {
  retry(task: Pick<FailedTask, 'runId' | 'goal'>): Promise<void>;
  dismiss(task: Pick<FailedTask, 'runId'>): Promise<void>;
}

/**
 * The dead-letter queue as the user meets it: the Keel panel's Failed Tasks view and "Keel: Show Failed Tasks", each
 * task with its goal and error, retryable from its last good step or dismissible. The host keeps the queue on disk, so
 * it is the same after a reload; the view asks the host only once it is running.
 */
export function registerFailedTasks(context: vscode.ExtensionContext, host: AgentHost, tracker: RunTracker, log: vscode.LogOutputChannel): FailedTasks {
  let session: LanguageClient | undefined;
  const view = new FailedTasksView(() => (session?.isRunning() ? session : undefined));
  const retry = async (task: Pick<FailedTask, 'runId' | 'goal'>) => {
    try {
      const client = await host.ensureStarted();
      const { runId } = await client.sendRequest(RetryFailedTaskRequest.type, { runId: task.runId, models: await modelConfig(context.secrets), restricted: !vscode.workspace.isTrusted });
      void tracker.track(runId, task.goal);
      void vscode.commands.executeCommand('workbench.view.extension.keel');
    } catch (error) {
      void showError(vscode.l10n.t('Keel could not retry "{0}": {1}', shortGoal(task.goal), errorText(error)), log);
    }
    view.refresh();
  };
  const dismiss = async (task: Pick<FailedTask, 'runId'>) => {
    const client = await host.ensureStarted();
    await client.sendRequest(DismissFailedTaskRequest.type, { runId: task.runId });
    view.refresh();
  };
  const taskOf = (item: FailedTask | FailedTaskItem | undefined) => (item instanceof FailedTaskItem ? item.task : item);

  context.subscriptions.push(
    view,
    vscode.window.createTreeView('keel.failedTasks', { treeDataProvider: view }),
    host.onClient((client) => {
      session = client;
      client.onNotification(FailedTasksChangedNotification.type, () => view.refresh());
      client.onDidChangeState(() => view.refresh());
    }),
    vscode.commands.registerCommand('keel.retryFailedTask', async (item?: FailedTask | FailedTaskItem) => {
      const task = taskOf(item);
      if (task) await retry(task);
    }),
    vscode.commands.registerCommand('keel.dismissFailedTask', async (item?: FailedTask | FailedTaskItem) => {
      const task = taskOf(item);
      if (task) await dismiss(task);
    }),
    vscode.commands.registerCommand('keel.showFailedTasks', async () => {
      const client = await host.ensureStarted();
      const { tasks } = await client.sendRequest(ListFailedTasksRequest.type, {});
      if (tasks.length === 0) return void vscode.window.showInformationMessage(vscode.l10n.t('Keel: no failed task is waiting.'));
      const picked = await vscode.window.showQuickPick(
        tasks.map((task) => ({ label: shortGoal(task.goal) || task.runId, description: task.steps === 1 ? vscode.l10n.t('1 good step · failed {0}', new Date(task.failedAt).toLocaleString()) : vscode.l10n.t('{0} good steps · failed {1}', task.steps, new Date(task.failedAt).toLocaleString()), detail: task.message, task })),
        { title: vscode.l10n.t('Keel: failed tasks'), matchOnDetail: true },
      );
      if (!picked) return;
      const dismissAction = vscode.l10n.t('Dismiss');
      const action = await vscode.window.showQuickPick([vscode.l10n.t('Retry from the last good step'), dismissAction], { title: shortGoal(picked.task.goal) });
      if (action === dismissAction) await dismiss(picked.task);
      else if (action) await retry(picked.task);
    }),
  );
  return { retry, dismiss };
}

function shortGoal(goal: string): string {
  const line = goal.split('\n')[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 77)}…` : line;
}

class FailedTaskItem extends vscode.TreeItem {
  constructor(readonly task: FailedTask) {
    super(shortGoal(task.goal) || task.runId, vscode.TreeItemCollapsibleState.None);
    this.description = task.message.split('\n')[0];
    this.tooltip = new vscode.MarkdownString().appendText(`${task.goal}\n\n${vscode.l10n.t('Failed {0} after {1} good step(s):', new Date(task.failedAt).toLocaleString(), task.steps)}\n${task.message}`);
    this.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    this.contextValue = 'keelFailedTask';
    this.accessibilityInformation = { label: vscode.l10n.t('Failed task: {0}. {1}', shortGoal(task.goal), this.description) };
  }
}

/** The Failed Tasks view; empty (with its welcome text) until the host has started. */
class FailedTasksView implements vscode.TreeDataProvider<FailedTaskItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly client: () => LanguageClient | undefined) {}

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(item: FailedTaskItem): FailedTaskItem {
    return item;
  }

  async getChildren(): Promise<FailedTaskItem[]> {
    const client = this.client();
    if (!client) return [];
    const { tasks } = await client.sendRequest(ListFailedTasksRequest.type, {}).catch(() => ({ tasks: [] as FailedTask[] }));
    return tasks.map((task) => new FailedTaskItem(task));
  }

  dispose(): void {
    this.changed.dispose();
  }
}
