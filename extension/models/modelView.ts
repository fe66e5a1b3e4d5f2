import * as vscode from 'vscode';
import type { ModelState } from './modelStatus';
import type { ModelStatus } from './modelStatus';

interface Action {
  readonly label: string;
  readonly icon: string;
  readonly command: string;
  readonly args?: unknown[];
  readonly tooltip: string;
}

const CONFIGURE: Action = { label: vscode.l10n.t('Configure Models…'), icon: 'settings-gear', command: 'keel.configureModels', tooltip: vscode.l10n.t('Add Ollama, OpenAI-compatible or VS Code models') };
const DETECT_OLLAMA: Action = { label: vscode.l10n.t('Use a Local Ollama Model…'), icon: 'server', command: 'keel.useOllama', tooltip: vscode.l10n.t('Finds the Ollama models on this machine that can call tools') };
const USE_OPENAI: Action = { label: vscode.l10n.t('Use an OpenAI-Compatible Server…'), icon: 'cloud', command: 'keel.useOpenAICompatible', tooltip: vscode.l10n.t('OpenAI, OpenRouter, LM Studio, vLLM, llama.cpp: a URL, a model and a key') };
const USE_VSCODE: Action = { label: vscode.l10n.t('Use a VS Code Model…'), icon: 'copilot', command: 'keel.useVsCodeModel', tooltip: vscode.l10n.t('Copilot\'s models, or any extension\'s; no key needed') };
const CHECK_AGAIN: Action = { label: vscode.l10n.t('Check Again'), icon: 'refresh', command: 'keel.checkModel', tooltip: vscode.l10n.t('Ask the model one short question again') };
const RUN_TASK: Action = { label: vscode.l10n.t('Run a Task…'), icon: 'play', command: 'keel.runTask', tooltip: vscode.l10n.t('Keel: Run Agent Task…') };
const SHOW_LOG: Action = { label: vscode.l10n.t('Show Log'), icon: 'output', command: 'keel.showLog', tooltip: vscode.l10n.t('The agent host\'s log') };
const OPEN_SETTINGS: Action = { label: vscode.l10n.t('Open Model Settings'), icon: 'gear', command: 'workbench.action.openSettings', args: ['@ext:keel-dev.keel keel.model'], tooltip: vscode.l10n.t('The provider, server and model settings') };

/**
 * The "Model" view: which model Keel will use and whether it answers (the view's message), with the actions
 * that fix it as rows, so a new user sees what is wrong before the first run instead of after it.
 */
export function createModelView(status: ModelStatus): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  const provider: vscode.TreeDataProvider<Action> = {
    onDidChangeTreeData: changed.event,
    getChildren: (parent) => (parent ? [] : actionsFor(status.state)),
    getTreeItem: (action) => {
      const item = new vscode.TreeItem(action.label);
      item.iconPath = new vscode.ThemeIcon(action.icon);
      item.command = { title: action.label, command: action.command, arguments: action.args };
      item.tooltip = action.tooltip;
      return item;
    },
  };
  const view = vscode.window.createTreeView('keel.model', { treeDataProvider: provider });
  let watching: vscode.Disposable | undefined;
  const render = () => {
    view.message = messageFor(status.state);
    view.description = badgeFor(status.state);
    changed.fire();
  };
  const follow = (visible: boolean) => {
    watching?.dispose();
    watching = visible ? status.watch() : undefined;
  };
  render();
  follow(view.visible);
  return vscode.Disposable.from(view, changed, status.onDidChange(render), view.onDidChangeVisibility((e) => follow(e.visible)), { dispose: () => watching?.dispose() });
}

/** What the view says above its actions. */
export function messageFor(state: ModelState): string {
  const uses = vscode.l10n.t('Keel will use {0}.', state.intended);
  switch (state.phase) {
    case 'unchecked':
      return uses;
    case 'checking':
      return vscode.l10n.t('{0} Checking whether it answers…', uses);
    case 'settings':
      return vscode.l10n.t('{0} The settings are not valid: {1}', uses, state.message);
    case 'checked': {
      const { result } = state;
      if (result.answers) return vscode.l10n.t('Keel will use {0} ({1}). It answered a short question in {2}.', result.model, providerName(result.provider), formatSeconds(result.latencyMs));
      // The diagnosis; the advice after it is what the actions below do.
      return vscode.l10n.t('Keel will use {0} ({1}), and it does not answer: {2}', result.model, providerName(result.provider), firstSentence(result.error?.message ?? vscode.l10n.t('no reason given.')));
    }
  }
}

function badgeFor(state: ModelState): string | undefined {
  if (state.phase === 'checking') return vscode.l10n.t('checking…');
  if (state.phase === 'checked') return state.result.answers ? vscode.l10n.t('answers') : vscode.l10n.t('not answering');
  return state.phase === 'settings' ? vscode.l10n.t('settings invalid') : undefined;
}

function actionsFor(state: ModelState): Action[] {
  if (state.phase === 'checked' && state.result.answers) return [RUN_TASK, CONFIGURE, CHECK_AGAIN];
  if (state.phase === 'checked' && state.result.error?.kind === 'auth') return [USE_OPENAI, CONFIGURE, CHECK_AGAIN, SHOW_LOG];
  if (state.phase === 'settings') return [OPEN_SETTINGS, CONFIGURE, CHECK_AGAIN, SHOW_LOG];
  return [DETECT_OLLAMA, USE_OPENAI, USE_VSCODE, CONFIGURE, CHECK_AGAIN];
}

function firstSentence(text: string): string {
  const end = text.search(/[.!?](\s|$)/);
  return end < 0 ? text : text.slice(0, end + 1);
}

function providerName(provider: string): string {
  return { ollama: 'Ollama', openai: vscode.l10n.t('OpenAI-compatible'), vscode: 'VS Code' }[provider] ?? provider;
}

function formatSeconds(ms: number): string {
  return vscode.l10n.t('{0} s', (ms / 1000).toFixed(1));
}
