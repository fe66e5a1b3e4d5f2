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

const CONFIGURE: Action = { label: 'Configure Models…', icon: 'settings-gear', command: 'keel.configureModels', tooltip: 'Add Ollama, OpenAI-compatible or VS Code models' };
const DETECT_OLLAMA: Action = { label: 'Use a Local Ollama Model…', icon: 'server', command: 'keel.useOllama', tooltip: 'Finds the Ollama models on this machine that can call tools' };
const USE_OPENAI: Action = { label: 'Use an OpenAI-Compatible Server…', icon: 'cloud', command: 'keel.useOpenAICompatible', tooltip: 'OpenAI, OpenRouter, LM Studio, vLLM, llama.cpp: a URL, a model and a key' };
const USE_VSCODE: Action = { label: 'Use a VS Code Model…', icon: 'copilot', command: 'keel.useVsCodeModel', tooltip: 'Copilot\'s models, or any extension\'s; no key needed' };
const CHECK_AGAIN: Action = { label: 'Check Again', icon: 'refresh', command: 'keel.checkModel', tooltip: 'Ask the model one short question again' };
const RUN_TASK: Action = { label: 'Run a Task…', icon: 'play', command: 'keel.runTask', tooltip: 'Keel: Run Agent Task…' };
const SHOW_LOG: Action = { label: 'Show Log', icon: 'output', command: 'keel.showLog', tooltip: 'The agent host\'s log' };
const OPEN_SETTINGS: Action = { label: 'Open Model Settings', icon: 'gear', command: 'workbench.action.openSettings', args: ['@ext:keel-dev.keel keel.model'], tooltip: 'The provider, server and model settings' };

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
  const uses = `Keel will use ${state.intended}.`;
  switch (state.phase) {
    case 'unchecked':
      return uses;
    case 'checking':
      return `${uses} Checking whether it answers…`;
    case 'settings':
      return `${uses} The settings are not valid: ${state.message}`;
    case 'checked': {
      const { result } = state;
      if (result.answers) return `Keel will use ${result.model} (${providerName(result.provider)}). It answered a short question in ${formatSeconds(result.latencyMs)}.`;
      // The diagnosis; the advice after it is what the actions below do.
      return `Keel will use ${result.model} (${providerName(result.provider)}), and it does not answer: ${firstSentence(result.error?.message ?? 'no reason given.')}`;
    }
  }
}

function badgeFor(state: ModelState): string | undefined {
  if (state.phase === 'checking') return 'checking…';
  if (state.phase === 'checked') return state.result.answers ? 'answers' : 'not answering';
  return state.phase === 'settings' ? 'settings invalid' : undefined;
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
  return { ollama: 'Ollama', openai: 'OpenAI-compatible', vscode: 'VS Code' }[provider] ?? provider;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
