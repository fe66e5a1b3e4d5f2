import * as vscode from 'vscode';
import { PlanWorkflowRequest, StartWorkflowRequest } from '../../protocol/rpc';
import { showReadOnly } from '../approvals/readOnlyDetails';
import { errorText, showError } from '../errors';
import type { AgentHost } from '../host/agentHost';
import { modelConfig, runSettings } from '../settings';
import type { Runs } from './runsFeature';

const WORKFLOWS_GLOB = '.keel/workflows/*.js';

/**
 * "Keel: Run Workflow…" (a quick pick of `.keel/workflows/*.js`, then the script's input) and "Keel: Plan Workflow…"
 * (the planning model writes a workflow for a hard goal; the user reads it, and it is saved and run only if they say
 * so). Workflow runs are tracked like any run: their end, their trace, resuming them after a crash.
 */
export function registerWorkflows(context: vscode.ExtensionContext, host: AgentHost, runs: Runs, log: vscode.LogOutputChannel, readyToRun: () => Promise<boolean> = async () => true): void {
  const run = async (path: string, input: unknown): Promise<string> => {
    const client = await host.ensureStarted();
    const { runId } = await client.sendRequest(StartWorkflowRequest.type, { path, ...(input !== undefined ? { input } : {}), ...(await runSettings(context.secrets)) });
    void runs.tracker.track(runId, vscode.l10n.t('Workflow {0}', path));
    void vscode.commands.executeCommand('workbench.view.extension.keel');
    return runId;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('keel.runWorkflow', async (pathArgument?: string, inputArgument?: unknown) => {
      if (!vscode.workspace.isTrusted) return void vscode.window.showWarningMessage(untrusted());
      try {
        const path = pathArgument ?? (await pickWorkflow());
        if (path === undefined) return undefined;
        const input = inputArgument !== undefined ? inputArgument : await askForInput(path);
        if (input === CANCELLED || !(await readyToRun())) return undefined;
        return await run(path, input);
      } catch (error) {
        void showError(errorText(error), log);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('keel.planWorkflow', async (goalArgument?: string) => {
      if (!vscode.workspace.isTrusted) return void vscode.window.showWarningMessage(untrusted());
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (!folder) return void vscode.window.showInformationMessage(vscode.l10n.t('Keel: open a folder first; a workflow is saved in its .keel/workflows.'));
      const goal = goalArgument ?? (await askForGoal());
      if (goal === undefined || !(await readyToRun())) return undefined;
      try {
        const planned = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Keel is planning a workflow…'), cancellable: true }, async (_progress, token) => {
          const client = await host.ensureStarted();
          return client.sendRequest(PlanWorkflowRequest.type, { goal, models: await modelConfig(context.secrets), restricted: !vscode.workspace.isTrusted }, token);
        });
        // Read-only: nothing of it runs or is saved until the user says so below.
        await showReadOnly(planned.path.split('/').at(-1)!, planned.script);
        const saveAndRun = vscode.l10n.t('Save and Run');
        const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Keel planned a workflow for "{0}"; read it beside this message. Save it to {1} and run it?', shorten(goal), planned.path), saveAndRun, vscode.l10n.t('Save Only'));
        if (!choice) return undefined;
        const saved = await saveNew(folder, planned.path, planned.script);
        await vscode.window.showTextDocument(saved.uri, { preview: false, preserveFocus: true });
        return choice === saveAndRun ? await run(saved.path, goal) : undefined;
      } catch (error) {
        void showError(errorText(error), log);
        return undefined;
      }
    }),
  );
}

const CANCELLED = Symbol('cancelled');

async function pickWorkflow(): Promise<string | undefined> {
  const files = await vscode.workspace.findFiles(WORKFLOWS_GLOB, undefined, 500);
  if (files.length === 0) {
    const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Keel: this workspace has no workflows. Write one in .keel/workflows/<name>.js, or let Keel plan one for a goal.'), vscode.l10n.t('Plan Workflow…'));
    if (choice) void vscode.commands.executeCommand('keel.planWorkflow');
    return undefined;
  }
  const items = files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri, false) })).sort((a, b) => a.label.localeCompare(b.label));
  return (await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Keel: Run Workflow'), placeHolder: vscode.l10n.t('Which workflow?') }))?.label;
}

/** The script's `input`: JSON when it parses as JSON, else the text; nothing when left empty. */
async function askForInput(path: string): Promise<unknown> {
  const text = await vscode.window.showInputBox({ title: vscode.l10n.t('Keel: Run Workflow {0}', path), prompt: vscode.l10n.t('Input for the workflow (its `input`): JSON, or plain text. Leave empty for none.'), ignoreFocusOut: true });
  if (text === undefined) return CANCELLED;
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function askForGoal(): Thenable<string | undefined> {
  return vscode.window.showInputBox({
    title: vscode.l10n.t('Keel: Plan Workflow'),
    prompt: vscode.l10n.t('What hard goal should Keel split into a workflow of agents? You read the workflow before it runs.'),
    placeHolder: vscode.l10n.t('e.g. Migrate every module under src/api from callbacks to async/await, with tests'),
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === '' ? vscode.l10n.t('Describe the goal.') : undefined),
  });
}

/** Saves the planned script under a name no file has yet (`-2`, `-3`… added), so nothing the user wrote is replaced. */
async function saveNew(folder: vscode.WorkspaceFolder, path: string, script: string): Promise<{ uri: vscode.Uri; path: string }> {
  for (let n = 1; n < 100; n++) {
    const candidate = n === 1 ? path : path.replace(/\.js$/, `-${n}.js`);
    const uri = vscode.Uri.joinPath(folder.uri, candidate);
    const exists = await vscode.workspace.fs.stat(uri).then(() => true, () => false);
    if (exists) continue;
    await vscode.workspace.fs.writeFile(uri, Buffer.from(script, 'utf8'));
    return { uri, path: candidate };
  }
  throw new Error(vscode.l10n.t('{0} and 98 numbered variants exist already; remove some planned workflows from .keel/workflows.', path));
}

function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

function untrusted(): string {
  return vscode.l10n.t('Keel: workflows do not run in Restricted Mode, since a workflow is the workspace\'s code starting agents. Trust the workspace first.');
}
