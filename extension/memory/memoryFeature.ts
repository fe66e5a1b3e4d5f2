import * as vscode from 'vscode';
import { MemoryFilesChangedNotification, MemoryIndexProgressNotification, MemoryReindexRequest, MemorySearchRequest, MemorySettingsNotification, type MemoryHit, type MemoryReindexResult } from '../../protocol/rpc';
import { errorText, showError } from '../errors';
import type { AgentHost } from '../host/agentHost';
import { watchWorkspaceFiles } from './fileWatcher';
import { hiddenFileGlobs } from './hiddenFiles';
import { IndexProgress } from './indexProgress';
import { showMemorySearch } from './searchMemory';


/** The workspace index, as the status bar and the test API see it. */
export interface Memory {
  readonly progress: IndexProgress;
  search(query: string): Promise<MemoryHit[]>;
  reindex(): Promise<MemoryReindexResult>;
}

/**
 * The workspace index as the user meets it: "Keel: Search Memory…", "Keel: Reindex Workspace", indexing progress,
 * and file changes passed on to the host while it runs (a host that starts later walks the folder itself).
 */
export function registerMemory(context: vscode.ExtensionContext, host: AgentHost, log: vscode.LogOutputChannel): Memory {
  const progress = new IndexProgress();
  const search = async (query: string) => (await (await host.ensureStarted()).sendRequest(MemorySearchRequest.type, { query })).hits;
  const reindex = async () => (await host.ensureStarted()).sendRequest(MemoryReindexRequest.type);
  const folder = () => vscode.workspace.workspaceFolders?.[0]?.uri;

  context.subscriptions.push(
    progress,
    host.onClient((client) => client.onNotification(MemoryIndexProgressNotification.type, (p) => progress.update(p))),
    // A host that stopped mid-update will not report its end.
    host.onDidChangeState((state) => state !== 'running' && progress.update(undefined)),
    watchWorkspaceFiles((paths) => {
      if (host.state !== 'running') return;
      void host.ensureStarted().then((client) => client.sendNotification(MemoryFilesChangedNotification.type, { paths }));
    }),
    // A host started later reads files.exclude as it starts.
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('files.exclude') || host.state !== 'running') return;
      void host.ensureStarted().then((client) => client.sendNotification(MemorySettingsNotification.type, { filesExclude: hiddenFileGlobs() }));
    }),
    vscode.commands.registerCommand('keel.searchMemory', async (query?: string) => {
      const root = folder();
      if (!root) return void vscode.window.showInformationMessage(noFolder());
      await showMemorySearch(root, search, query);
    }),
    vscode.commands.registerCommand('keel.reindex', async () => {
      if (!folder()) return void vscode.window.showInformationMessage(noFolder());
      try {
        const r = await reindex();
        void vscode.window.showInformationMessage(
          vscode.l10n.t('Keel: {0} files indexed, {1} removed, {2} unchanged in {3} s. Memory holds {4} files in {5} chunks.',
            r.indexed.toLocaleString(), r.removed.toLocaleString(), r.unchanged.toLocaleString(), (r.durationMs / 1000).toFixed(1), r.files.toLocaleString(), r.chunks.toLocaleString()),
        );
        return r;
      } catch (error) {
        void showError(errorText(error), log);
        return undefined;
      }
    }),
  );
  return { progress, search, reindex };
}

function noFolder(): string {
  return vscode.l10n.t('Keel: Keel\'s memory indexes a folder, and none is open. Open one with File > Open Folder…, then try again.');
}
