import { posix } from 'node:path';
import * as vscode from 'vscode';
import type { Runs } from '../runs/runsFeature';
import { AGENT_FOLDERS, MAX_AGENT_FILE_BYTES, MAX_AGENT_FILES } from '../../protocol/agentFiles';
import { parseAgentTriggers } from './agentTriggers';
import { kindOf, parseTriggerFile, TRIGGERS_FILE, type Trigger } from './triggerFile';
import { TriggerEngine, type TriggerState } from './triggerEngine';

/** The most files of a new folder (a checkout, an unpacked archive) offered to fileCreated triggers. */
const MAX_FOLDER_FILES = 1000;
const LAST_SCHEDULED = 'keel.triggers.lastScheduled';
const PAUSED = 'keel.triggers.paused';

/** Runs a trigger started, for the API tests read. */
export interface TriggerRun {
  readonly trigger: string;
  readonly runId: string;
}

/**
 * Event triggers from `.keel/triggers.json` and from agent definitions' front matter (which run their agent): file saved, created or deleted, new error diagnostics, a schedule, a
 * command. Off in Restricted Mode (a workspace you do not trust must not start agents by itself); listed in the Keel
 * panel's Triggers view, where each can be paused, resumed or run now; a broken file is shown there with its line.
 */
export function registerTriggers(context: vscode.ExtensionContext, runs: Runs, log: vscode.LogOutputChannel): { readonly started: readonly TriggerRun[]; watching(): string[] } {
  const started: TriggerRun[] = [];
  const view = new TriggersView();
  const engine = new TriggerEngine({
    async start(trigger, goal) {
      const run = await runs.start(goal, trigger.agent);
      started.push({ trigger: trigger.name, runId: run.runId });
      view.refresh();
      await run.done;
      view.refresh();
    },
    now: () => Date.now(),
    setTimer(callback, ms) {
      const timer = setTimeout(callback, ms);
      return { dispose: () => clearTimeout(timer) };
    },
    lastScheduled: (name) => context.workspaceState.get<Record<string, number>>(LAST_SCHEDULED, {})[name],
    rememberScheduled: (name, at) => void context.workspaceState.update(LAST_SCHEDULED, { ...context.workspaceState.get<Record<string, number>>(LAST_SCHEDULED, {}), [name]: at }),
    log: (message) => log.info(message),
  });
  view.engine = engine;

  let loads = 0;
  const load = async () => {
    // Loads overlap when events come in a burst; only the newest, which read the files last, may set the triggers.
    const current = ++loads;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder || !vscode.workspace.isTrusted) {
      engine.setTriggers([]);
      view.show(folder ? [{ text: vscode.l10n.t('Triggers are off in Restricted Mode: trust this workspace to let its triggers start runs.') }] : []);
      return;
    }
    const notes: Note[] = [];
    const triggers: Trigger[] = [];
    const uri = vscode.Uri.joinPath(folder.uri, TRIGGERS_FILE);
    const text = await readText(uri);
    if (text !== undefined) {
      const result = parseTriggerFile(text);
      // Nothing half-loaded: a broken file stops all of its triggers until it is fixed.
      if (result.ok) triggers.push(...result.triggers);
      else notes.push({ text: result.message, uri, line: result.line });
    }
    // A broken definition loses only its own triggers.
    for (const { dir, suffix } of AGENT_FOLDERS) {
      const entries = await vscode.workspace.fs.readDirectory(vscode.Uri.joinPath(folder.uri, dir)).then((list) => list, () => []);
      const names = entries.filter(([name, type]) => type === vscode.FileType.File && name.endsWith(suffix)).map(([name]) => name).sort().slice(0, MAX_AGENT_FILES);
      for (const name of names) {
        const file = vscode.Uri.joinPath(folder.uri, dir, name);
        const definition = await readText(file, MAX_AGENT_FILE_BYTES);
        if (definition === undefined) continue;
        const declared = parseAgentTriggers(`${dir}/${name}`, definition, suffix);
        triggers.push(...declared.triggers);
        notes.push(...declared.problems.map((p) => ({ text: p.message, uri: file, line: p.line })));
      }
    }
    const kept = new Map<string, Trigger>();
    for (const trigger of triggers) {
      const taken = kept.get(trigger.name);
      if (!taken) kept.set(trigger.name, trigger);
      else notes.push({ text: vscode.l10n.t('{0}: the trigger name "{1}" is taken by {2}; rename one of them.', trigger.source ?? TRIGGERS_FILE, trigger.name, taken.source ?? TRIGGERS_FILE) });
    }
    if (current !== loads) return;
    for (const note of notes) log.warn(`${note.text}${note.line ? ` (line ${note.line})` : ''}`);
    const paused = new Set(context.workspaceState.get<string[]>(PAUSED, []));
    engine.setTriggers([...kept.values()].map((t) => (paused.has(t.name) ? { ...t, paused: true } : t)));
    view.show(notes);
  };

  const relative = (uri: vscode.Uri) => (uri.scheme === 'file' ? vscode.workspace.asRelativePath(uri, false) : undefined);
  const fileEvent = (kind: 'fileSaved' | 'fileCreated' | 'fileDeleted') => (uri: vscode.Uri) => {
    const path = relative(uri);
    if (path && !path.startsWith('.keel/')) engine.fileEvent(kind, path);
  };
  // A new folder's files may come without events of their own (see declaresTriggers); its creation stands for them.
  // Only asked while a fileCreated trigger is in force: a checkout or an install creates files by the thousand.
  const created = async (uri: vscode.Uri) => {
    const path = relative(uri);
    if (!path || path.startsWith('.keel/') || !engine.states().some((s) => kindOf(s.trigger) === 'fileCreated')) return;
    const type = await vscode.workspace.fs.stat(uri).then((stat) => stat.type, () => undefined);
    if (type === undefined || !(type & vscode.FileType.Directory)) return engine.fileEvent('fileCreated', path);
    for (const file of await vscode.workspace.findFiles(new vscode.RelativePattern(uri, '**/*'), undefined, MAX_FOLDER_FILES)) fileEvent('fileCreated')(file);
  };
  const watcher = vscode.workspace.createFileSystemWatcher('**/*');
  const counts = new Map<string, { error: number; warning: number }>();
  const setPaused = async (name: string | TriggerItem | undefined, paused: boolean) => {
    const trigger = typeof name === 'string' ? name : name?.state?.trigger.name;
    if (!trigger) return;
    engine.setPaused(trigger, paused);
    const stored = new Set(context.workspaceState.get<string[]>(PAUSED, []));
    if (paused) stored.add(trigger);
    else stored.delete(trigger);
    await context.workspaceState.update(PAUSED, [...stored]);
    view.refresh();
  };

  context.subscriptions.push(
    view,
    { dispose: () => engine.dispose() },
    vscode.window.createTreeView('keel.triggers', { treeDataProvider: view, showCollapseAll: false }),
    watcher,
    watcher.onDidCreate((uri) => void created(uri)),
    watcher.onDidDelete(fileEvent('fileDeleted')),
    watcher.onDidChange((uri) => declaresTriggers(relative(uri)) && void load()),
    watcher.onDidCreate((uri) => declaresTriggers(relative(uri)) && void load()),
    watcher.onDidDelete((uri) => declaresTriggers(relative(uri)) && void load()),
    vscode.workspace.onDidSaveTextDocument((document) => fileEvent('fileSaved')(document.uri)),
    vscode.languages.onDidChangeDiagnostics(({ uris }) => {
      for (const uri of uris) {
        const path = relative(uri);
        if (!path) continue;
        const now = { error: 0, warning: 0 };
        for (const d of vscode.languages.getDiagnostics(uri)) {
          if (d.severity === vscode.DiagnosticSeverity.Error) now.error++;
          else if (d.severity === vscode.DiagnosticSeverity.Warning) now.warning++;
        }
        const before = counts.get(path) ?? { error: 0, warning: 0 };
        counts.set(path, now);
        if (now.error > before.error) engine.newDiagnostics(path, 'error');
        else if (now.warning > before.warning) engine.newDiagnostics(path, 'warning');
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void load()),
    vscode.commands.registerCommand('keel.runTrigger', async (item?: string | TriggerItem) => {
      const name = typeof item === 'string' ? item : item?.state?.trigger.name ?? (await pickTrigger(engine.states()));
      if (name && !engine.runNow(name)) void vscode.window.showWarningMessage(vscode.l10n.t('Keel: there is no trigger "{0}" in {1}.', name, TRIGGERS_FILE), vscode.l10n.t('Open File')).then((c) => void (c && openTriggersFile()));
      view.refresh();
    }),
    vscode.commands.registerCommand('keel.pauseTrigger', (item?: string | TriggerItem) => setPaused(item, true)),
    vscode.commands.registerCommand('keel.resumeTrigger', (item?: string | TriggerItem) => setPaused(item, false)),
    vscode.commands.registerCommand('keel.openTriggers', () => openTriggersFile()),
  );
  void load();
  return { started, watching: () => engine.states().map((s) => s.trigger.name) };
}

/**
 * A path whose change changes the triggers: the trigger file, an agent definition, or a folder that holds them. The
 * file watcher can miss a file written into a folder it has not begun to watch, but not the folder's own creation
 * or deletion, so those reload too.
 */
function declaresTriggers(path: string | undefined): boolean {
  if (!path) return false;
  const holds = (folder: string) => folder === path || folder.startsWith(`${path}/`);
  return path === TRIGGERS_FILE || holds(posix.dirname(TRIGGERS_FILE)) || AGENT_FOLDERS.some(({ dir, suffix }) => holds(dir) || (path.startsWith(`${dir}/`) && path.endsWith(suffix) && !path.slice(dir.length + 1).includes('/')));
}

/** A file's text, or undefined when it is missing or larger than `maxBytes`. */
async function readText(uri: vscode.Uri, maxBytes?: number): Promise<string | undefined> {
  if (maxBytes !== undefined) {
    const size = await vscode.workspace.fs.stat(uri).then((s) => s.size, () => Infinity);
    if (size > maxBytes) return undefined;
  }
  return vscode.workspace.fs.readFile(uri).then((bytes) => new TextDecoder().decode(bytes), () => undefined);
}

async function pickTrigger(states: readonly TriggerState[]): Promise<string | undefined> {
  if (states.length === 0) {
    const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Keel: no triggers are defined. Add them in {0}.', TRIGGERS_FILE), vscode.l10n.t('Open File'));
    if (choice) await openTriggersFile();
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    states.map((s) => ({ label: s.trigger.name, description: describeOn(s.trigger), detail: s.trigger.goal })),
    { title: vscode.l10n.t('Keel: run a trigger now') },
  );
  return pick?.label;
}

async function openTriggersFile(line?: number): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return;
  const uri = vscode.Uri.joinPath(folder.uri, TRIGGERS_FILE);
  const exists = await vscode.workspace.fs.stat(uri).then(() => true, () => false);
  if (!exists) await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(EXAMPLE));
  const editor = await vscode.window.showTextDocument(uri);
  if (line) editor.selection = new vscode.Selection(line - 1, 0, line - 1, 0);
}

const EXAMPLE = `{
  "$schema": "https://keel.dev/schemas/triggers.schema.json",
  "triggers": [
    // { "name": "summarize notes", "on": { "fileSaved": ["notes/**/*.md"] }, "goal": "summarize \${file}" }
  ]
}
`;

function describeOn(trigger: Trigger): string {
  const on = trigger.on as Record<string, unknown>;
  const kind = kindOf(trigger);
  switch (kind) {
    case 'fileSaved':
    case 'fileCreated':
    case 'fileDeleted':
      return fileEvent(kind, (on[kind] as string[]).join(', '));
    case 'diagnostics': {
      const d = on.diagnostics as { globs: string[]; severity: 'error' | 'warning' };
      return d.severity === 'warning' ? vscode.l10n.t('new warnings in {0}', d.globs.join(', ')) : vscode.l10n.t('new errors in {0}', d.globs.join(', '));
    }
    case 'schedule':
      return vscode.l10n.t('schedule {0}', on.schedule as string);
    case 'command':
      return vscode.l10n.t('on command');
  }
}

function fileEvent(kind: 'fileSaved' | 'fileCreated' | 'fileDeleted', globs: string): string {
  switch (kind) {
    case 'fileSaved': return vscode.l10n.t('file saved: {0}', globs);
    case 'fileCreated': return vscode.l10n.t('file created: {0}', globs);
    case 'fileDeleted': return vscode.l10n.t('file deleted: {0}', globs);
  }
}

/** A line above the triggers: why they are off, or a declaration that did not load, with where to fix it. */
interface Note {
  readonly text: string;
  readonly uri?: vscode.Uri;
  readonly line?: number;
}

class TriggerItem extends vscode.TreeItem {
  constructor(readonly state: TriggerState | undefined, label: string) {
    super(label, vscode.TreeItemCollapsibleState.None);
  }
}

/** The Triggers view: each trigger with what it listens to, its state, its last and next run. */
class TriggersView implements vscode.TreeDataProvider<TriggerItem>, vscode.Disposable {
  engine: TriggerEngine | undefined;
  private notes: readonly Note[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  show(notes: readonly Note[] = []): void {
    this.notes = notes;
    this.refresh();
  }

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(item: TriggerItem): TriggerItem {
    return item;
  }

  getChildren(): TriggerItem[] {
    const notes = this.notes.map((note) => {
      const item = new TriggerItem(undefined, note.text);
      const problem = note.uri !== undefined;
      item.iconPath = new vscode.ThemeIcon(problem ? 'error' : 'info', problem ? new vscode.ThemeColor('errorForeground') : undefined);
      item.tooltip = note.text;
      if (note.uri) {
        const line = note.line ?? 1;
        item.description = vscode.l10n.t('line {0}', line);
        item.command = { title: vscode.l10n.t('Open'), command: 'vscode.open', arguments: [note.uri, { selection: new vscode.Range(line - 1, 0, line - 1, 0) }] };
      }
      return item;
    });
    return [...notes, ...(this.engine?.states() ?? []).map((state) => {
      const item = new TriggerItem(state, state.trigger.name);
      const status = state.running ? vscode.l10n.t('running') : state.paused ? vscode.l10n.t('paused') : state.skipped ? vscode.l10n.t('rate-limited') : vscode.l10n.t('active');
      item.description = [describeOn(state.trigger), ...(state.trigger.agent ? [vscode.l10n.t('agent {0}', state.trigger.agent)] : []), status].join(' · ');
      item.tooltip = new vscode.MarkdownString(
        [
          `**${state.trigger.name}**: ${describeOn(state.trigger)}`,
          vscode.l10n.t('Goal: {0}', state.trigger.goal),
          state.lastRun ? vscode.l10n.t('Last run: {0}', new Date(state.lastRun).toLocaleString()) : vscode.l10n.t('Not run yet'),
          state.nextRun ? vscode.l10n.t('Next: {0}', new Date(state.nextRun).toLocaleString()) : '',
          state.skipped ?? '',
        ].filter(Boolean).join('\n\n'),
      );
      item.iconPath = new vscode.ThemeIcon(state.running ? 'sync~spin' : state.paused ? 'debug-pause' : state.skipped ? 'warning' : 'zap');
      item.contextValue = state.paused ? 'keelTriggerPaused' : 'keelTrigger';
      item.accessibilityInformation = { label: vscode.l10n.t('Trigger {0}, {1}, {2}', state.trigger.name, describeOn(state.trigger), status) };
      return item;
    })];
  }

  dispose(): void {
    this.changed.dispose();
  }
}
