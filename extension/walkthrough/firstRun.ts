import * as vscode from 'vscode';
import type { EditReviewController } from '../approvals/editReview';
import type { IndexProgress } from '../memory/indexProgress';
import type { RunTracker } from '../runs/runTracker';

/** The walkthrough's id, as `workbench.action.openWalkthrough` names it. */
export const WALKTHROUGH = 'keel-dev.keel#keel.firstRun';

/** A task any folder can take: it reads, proposes one edit to approve, and says what it did. */
const sampleGoal = () => vscode.l10n.t('Read README.md (or the main source file if there is none) and propose one edit: add a one-sentence summary of what this project does at the top.');

/** Milestones a run or an approval reaches once; kept so the walkthrough stays done in later windows. */
const MILESTONES = { runSucceeded: 'keel.walkthrough.runSucceeded', editApproved: 'keel.walkthrough.editApproved' } as const;

/**
 * The walkthrough's steps are marked done from real state, through context keys its `completionEvents` name:
 * `keel.model.answers` (set by the model check), `keel.walkthrough.indexReady` (the host finished the index),
 * `keel.walkthrough.runSucceeded` and `keel.walkthrough.editApproved` (seen in this window or an earlier one).
 */
export function registerFirstRun(context: vscode.ExtensionContext, runs: RunTracker, reviews: EditReviewController, index: IndexProgress): void {
  const reach = (key: string) => {
    void context.globalState.update(key, true);
    void vscode.commands.executeCommand('setContext', key, true);
  };
  for (const key of Object.values(MILESTONES)) if (context.globalState.get<boolean>(key)) void vscode.commands.executeCommand('setContext', key, true);
  context.subscriptions.push(
    runs.onDidFinish((result) => result.outcome === 'succeeded' && reach(MILESTONES.runSucceeded)),
    reviews.onDidApprove(() => reach(MILESTONES.editApproved)),
    // The index lives with the workspace, so this one is not kept across windows: each folder builds its own.
    index.onDidChange(() => index.built && void vscode.commands.executeCommand('setContext', 'keel.walkthrough.indexReady', true)),
    vscode.commands.registerCommand('keel.runSampleTask', async () => {
      if (!vscode.workspace.workspaceFolders?.length) {
        const open = vscode.l10n.t('Open Folder…');
        const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Keel: the sample task works on a folder, and none is open.'), open);
        if (choice === open) void vscode.commands.executeCommand('workbench.action.files.openFolder');
        return undefined;
      }
      const goal = await vscode.window.showInputBox({
        title: vscode.l10n.t('Keel: Run a Sample Task'),
        prompt: vscode.l10n.t('A first task for the agent; change it if you like. Keel asks before it changes any file.'),
        value: sampleGoal(),
        ignoreFocusOut: true,
        validateInput: (value) => (value.trim() === '' ? vscode.l10n.t('Describe the task for the agent.') : undefined),
      });
      return goal === undefined ? undefined : vscode.commands.executeCommand<string | undefined>('keel.runTask', goal);
    }),
    vscode.commands.registerCommand('keel.openWalkthrough', () => vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH, false)),
  );
}
