import * as vscode from 'vscode';
import { ResponseError, type LanguageClient } from 'vscode-languageclient/node';
import {
  BudgetEscalationRequest, CancelRunRequest, CreateFileRequest, ElicitRequest, EvalJsRequest, GetMcpPromptRequest, ListMcpPromptsRequest, ListToolsRequest, PingRequest, ReadFileRequest, ReviewEditRequest, ReviewToolCallRequest, RunFinishedNotification,
  SetMcpServersRequest, SpanNotification, StartRunRequest, VsCodeChatRequest, VsCodeChatTextNotification,
} from '../protocol/rpc';
import type { MemoryHit, MemoryReindexResult } from '../protocol/rpc';
import type { RunResult } from '../protocol/run';
import type { SpanData } from '../protocol/trace';
import { EditReviewController } from './approvals/editReview';
import { ToolApprovalController } from './approvals/toolApprovals';
import { askUserForElicitation } from './mcp/elicitation';
import { collectMcpServers } from './mcp/mcpServers';
import { registerMemory } from './memory/memory';
import { AgentHost, type HostState } from './host/agentHost';
import { RunTracker } from './runs/runTracker';
import { BudgetApprovalController } from './approvals/budgetApprovals';
import { configureModels } from './models/configureModels';
import { chatWithLanguageModel } from './models/languageModelChat';
import { modelConfig, OPENAI_KEY_SECRET, privacySettings, runLimits } from './settings';
import { createStatusBar } from './statusBar';
import { TraceStore } from './traces/traceStore';
import { TraceViewProvider } from './traces/traceViewProvider';
import { createWorkspaceFile, readWorkspaceFile } from './workspace/workspaceFiles';

/** What the extension exposes to other extensions and to its own tests. */
export interface KeelApi {
  runTask(goal: string): Promise<{ runId: string; done: Promise<RunResult> }>;
  hostStates(): readonly HostState[];
  hostPid(): Promise<number>;
  pendingEdits(): readonly { approvalId: string; path: string }[];
  pendingToolCalls(): readonly { approvalId: string; tool: string; canAlwaysAllow: boolean }[];
  /** Runs waiting for the user to let them go over a budget; answered with `keel.answerBudget`. */
  pendingBudgets(): readonly { approvalId: string; scope: string; spentUsd: number; limitUsd: number }[];
  /** Sends the current MCP configuration to the host; resolves with each server's state. */
  syncMcpServers(): Promise<readonly { name: string; state: string; error?: string }[]>;
  spans(): readonly SpanData[];
  /** Searches the workspace index, as "Keel: Search Memory…" does. */
  searchMemory(query: string): Promise<MemoryHit[]>;
  /** Brings the workspace index up to date, as "Keel: Reindex Workspace" does, but rejects instead of showing errors. */
  reindex(): Promise<MemoryReindexResult>;
  /** How long `activate` took, for the host benchmark. */
  readonly activationMs: number;
}

const WELCOMED_KEY = 'keel.welcomed';

const INTERRUPTED = 'The agent host stopped during this run and was restarted, so the run was interrupted. Start it again with "Keel: Run Agent Task…".';

export function activate(context: vscode.ExtensionContext): KeelApi {
  const activationStart = performance.now();
  const log = vscode.window.createOutputChannel('Keel', { log: true });
  const host = new AgentHost(context, log);
  const runs = new RunTracker();
  const traces = new TraceStore();
  const reviews = new EditReviewController();
  const toolApprovals = new ToolApprovalController();
  const budgets = new BudgetApprovalController();
  const traceView = new TraceViewProvider(context.extensionUri, traces);
  const memory = registerMemory(host, (message) => void showError(message, log));
  context.subscriptions.push(log, host, runs, traces, reviews, toolApprovals, budgets, traceView, memory, createStatusBar(host, runs, reviews, toolApprovals, memory.progress));

  host.onClient((client) => {
    client.onNotification(SpanNotification.type, (span) => traces.upsert(span));
    client.onNotification(RunFinishedNotification.type, (result) => runs.finished(result));
    client.onRequest(ReadFileRequest.type, async ({ path }) => ({ text: await readWorkspaceFile(path) }));
    client.onRequest(CreateFileRequest.type, ({ path, content }) => createWorkspaceFile(path, content));
    client.onRequest(ReviewEditRequest.type, (params, token) => reviews.review(params, token));
    client.onRequest(ReviewToolCallRequest.type, (params, token) => toolApprovals.review(params, token));
    client.onRequest(ElicitRequest.type, (params, token) => askUserForElicitation(params, token));
    client.onRequest(BudgetEscalationRequest.type, (params, token) => budgets.ask(params, token));
    client.onRequest(VsCodeChatRequest.type, (params, token) =>
      chatWithLanguageModel(params, (delta) => void client.sendNotification(VsCodeChatTextNotification.type, { requestId: params.requestId, delta }), token),
    );
  });
  const syncMcpServers = async () => {
    const client = await host.ensureStarted();
    const { servers } = await client.sendRequest(SetMcpServersRequest.type, {
      servers: await collectMcpServers(context.secrets, log),
      sampling: await modelConfig(context.secrets),
    });
    for (const server of servers.filter((s) => s.state === 'failed')) {
      void showError(`MCP server "${server.name}" (${server.source}) did not start: ${server.error ?? 'unknown error'}. Keel keeps retrying.`, log);
    }
    return servers;
  };
  const resyncMcp = () => {
    if (host.state === 'running') syncMcpServers().catch((error) => log.error(`MCP configuration not applied: ${errorText(error)}`));
  };
  const mcpFile = vscode.workspace.createFileSystemWatcher('**/.vscode/mcp.json');
  context.subscriptions.push(
    mcpFile,
    mcpFile.onDidChange(resyncMcp),
    mcpFile.onDidCreate(resyncMcp),
    mcpFile.onDidDelete(resyncMcp),
    // Model settings matter too: they answer servers' sampling requests.
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('keel') && resyncMcp()),
    vscode.workspace.onDidGrantWorkspaceTrust(resyncMcp),
    host.onDidChangeState((state) => state === 'running' && resyncMcp()),
  );
  host.onDidCrash(() => {
    reviews.denyAll('the agent host stopped');
    toolApprovals.denyAll('the agent host stopped');
    budgets.denyAll();
    runs.interruptAll(INTERRUPTED);
  });
  runs.onDidFinish((result) => {
    traces.finish(result);
    void showRunResult(result, log);
  });

  const startRun = async (goal: string) => {
    const client = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Starting Keel agent host…' },
      () => host.ensureStarted(),
    );
    const { runId } = await client.sendRequest(StartRunRequest.type, {
      goal,
      models: await modelConfig(context.secrets),
      privacy: privacySettings(),
      limits: runLimits(),
      restricted: !vscode.workspace.isTrusted,
      allowHosts: vscode.workspace.getConfiguration('keel').get<string[]>('network.allowHosts', []),
      passEnv: vscode.workspace.getConfiguration('keel').get<string[]>('tools.passEnv', []),
    });
    return { runId, done: runs.track(runId, goal) };
  };

  context.subscriptions.push(
    vscode.window.registerWebviewViewProvider(TraceViewProvider.viewId, traceView),
    vscode.commands.registerCommand('keel.runTask', async (goalArgument?: string) => {
      const goal = goalArgument ?? (await askForGoal());
      if (goal === undefined) return undefined;
      try {
        const { runId } = await startRun(goal);
        void vscode.commands.executeCommand('workbench.view.extension.keel');
        return runId;
      } catch (error) {
        void showError(errorText(error), log);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('keel.cancelRun', async (runId?: string) => {
      const target = runId ?? runs.latest()?.runId;
      if (!target || host.state !== 'running') return void vscode.window.showInformationMessage('Keel: no agent run is active.');
      const client = await host.ensureStarted();
      await client.sendRequest(CancelRunRequest.type, { runId: target });
    }),
    vscode.commands.registerCommand('keel.setOpenAIKey', async () => {
      const key = await vscode.window.showInputBox({
        title: 'OpenAI API key',
        prompt: 'Stored in VS Code\'s SecretStorage. Leave empty to remove the stored key.',
        password: true,
        ignoreFocusOut: true,
      });
      if (key === undefined) return;
      if (key.trim() === '') {
        await context.secrets.delete(OPENAI_KEY_SECRET);
        return void vscode.window.showInformationMessage('Keel: the OpenAI API key was removed; runs use Ollama unless "keel.model.provider" says otherwise.');
      }
      await context.secrets.store(OPENAI_KEY_SECRET, key.trim());
      void vscode.window.showInformationMessage('Keel: the OpenAI API key is stored; runs now use OpenAI.');
    }),
    vscode.commands.registerCommand('keel.restartHost', async () => {
      runs.interruptAll(INTERRUPTED);
      try {
        await host.restart();
        void vscode.window.showInformationMessage('Keel: the agent host was restarted.');
      } catch (error) {
        void showError(errorText(error), log);
      }
    }),
    vscode.commands.registerCommand('keel.showLog', () => log.show()),
    vscode.commands.registerCommand('keel.approveEdit', (approvalId?: string) => reviews.approve(approvalId)),
    vscode.commands.registerCommand('keel.denyEdit', (approvalId?: string) => reviews.deny(approvalId)),
    vscode.commands.registerCommand('keel.showEditDiff', (approvalId: string) => reviews.showDiff(approvalId)),
    vscode.commands.registerCommand('keel.allowToolCall', (approvalId: string, always?: boolean) => toolApprovals.allow(approvalId, always)),
    vscode.commands.registerCommand('keel.denyToolCall', (approvalId: string) => toolApprovals.deny(approvalId)),
    vscode.commands.registerCommand('keel.configureModels', () => configureModels(() => host.ensureStarted(), context.secrets).catch((error) => showError(errorText(error), log))),
    vscode.commands.registerCommand('keel.answerBudget', (approvalId: string, approved: boolean) => budgets.settle(approvalId, approved)),
    vscode.commands.registerCommand('keel.showApprovals', () => showApprovals(reviews, toolApprovals)),
    vscode.commands.registerCommand('keel.evalJs', async () => {
      const editor = vscode.window.activeTextEditor;
      const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : undefined;
      const code = selected ?? (await vscode.window.showInputBox({ title: 'Keel: Run JavaScript in Sandbox', prompt: 'The body of an async function; `return` the result. readFile and listFiles reach the workspace.', ignoreFocusOut: true }));
      if (!code) return;
      try {
        const result = await (await host.ensureStarted()).sendRequest(EvalJsRequest.type, { code });
        log.info(`sandbox (${result.outcome}, ${result.durationMs.toFixed(1)} ms): ${result.error ?? JSON.stringify(result.value)}\n${result.logs.map((l) => `[${l.level}] ${l.text}`).join('\n')}`);
        const summary = result.outcome === 'ok' ? JSON.stringify(result.value) : `${result.outcome}: ${result.error}`;
        const choice = await vscode.window.showInformationMessage(`Keel sandbox: ${summary.slice(0, 300)}`, 'Show Log');
        if (choice) log.show();
      } catch (error) {
        void showError(errorText(error), log);
      }
    }),
    vscode.commands.registerCommand('keel.runMcpPrompt', async () => {
      try {
        const goal = await pickMcpPrompt(await host.ensureStarted());
        if (goal !== undefined) await vscode.commands.executeCommand('keel.runTask', goal);
      } catch (error) {
        void showError(errorText(error), log);
      }
    }),
    vscode.commands.registerCommand('keel.showTools', async () => {
      try {
        await showTools(await host.ensureStarted());
      } catch (error) {
        void showError(errorText(error), log);
      }
    }),
  );

  // First use: show where runs appear. Activation stays cheap; the host starts on the first task.
  if (!context.globalState.get<boolean>(WELCOMED_KEY)) {
    void context.globalState.update(WELCOMED_KEY, true);
    void vscode.commands.executeCommand('workbench.view.extension.keel');
  }

  const activationMs = performance.now() - activationStart;
  return {
    activationMs,
    runTask: startRun,
    hostStates: () => [...host.stateHistory],
    hostPid: async () => (await (await host.ensureStarted()).sendRequest(PingRequest.type, { sentAt: Date.now() })).pid,
    pendingEdits: () => reviews.list().map((p) => ({ approvalId: p.approvalId, path: p.edit.path })),
    pendingToolCalls: () => toolApprovals.list().map((p) => ({ approvalId: p.approvalId, tool: p.tool, canAlwaysAllow: p.canAlwaysAllow })),
    pendingBudgets: () => budgets.list().map((p) => ({ approvalId: p.approvalId, scope: p.scope, spentUsd: p.spentUsd, limitUsd: p.limitUsd })),
    syncMcpServers,
    spans: () => traces.all(),
    searchMemory: memory.search,
    reindex: memory.reindex,
  };
}

export function deactivate(): void {
  // Disposables registered on the context stop the host.
}

async function showTools(client: LanguageClient): Promise<void> {
  const { tools, problems } = await client.sendRequest(ListToolsRequest.type);
  await vscode.window.showQuickPick(
    [
      ...problems.map((problem) => ({ label: '$(warning) Not offered', detail: problem })),
      ...tools.map((t) => ({
        label: t.name,
        description: `${t.source} · risk: ${t.risk}${t.pin ? ` · ${t.pin}` : ''} · ${t.calls} call${t.calls === 1 ? '' : 's'}${t.failures ? `, ${t.failures} failed` : ''}${t.lastDurationMs !== undefined ? ` · last ${t.lastDurationMs} ms` : ''}`,
        detail: t.description,
      })),
    ],
    { title: `Keel: ${tools.length} tools available to agents${problems.length ? `, ${problems.length} not offered` : ''}`, matchOnDescription: true, matchOnDetail: true },
  );
}

/** Lets the user pick an MCP server's prompt and fill in its arguments; returns the goal text. */
async function pickMcpPrompt(client: LanguageClient): Promise<string | undefined> {
  const { prompts } = await client.sendRequest(ListMcpPromptsRequest.type);
  if (prompts.length === 0) {
    void vscode.window.showInformationMessage('Keel: no connected MCP server offers prompts. Configure servers in "keel.mcp.servers" or .vscode/mcp.json.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(prompts.map((p) => ({ label: p.name, description: p.server, detail: p.description, prompt: p })), { title: 'Keel: Run MCP Prompt' });
  if (!pick) return undefined;
  const args: Record<string, string> = {};
  for (const arg of pick.prompt.arguments) {
    const value = await vscode.window.showInputBox({ title: `${pick.prompt.name}: ${arg.name}${arg.required ? '' : ' (optional)'}`, prompt: arg.description, ignoreFocusOut: true, validateInput: (v) => (arg.required && !v ? 'Required.' : undefined) });
    if (value === undefined) return undefined;
    if (value) args[arg.name] = value;
  }
  return (await client.sendRequest(GetMcpPromptRequest.type, { server: pick.prompt.server, name: pick.prompt.name, arguments: args })).text;
}

async function showApprovals(reviews: EditReviewController, toolApprovals: ToolApprovalController): Promise<void> {
  type Item = vscode.QuickPickItem & { run: () => unknown };
  const items: Item[] = [
    ...reviews.list().map((p) => ({ label: `$(edit) Edit ${p.edit.path}`, description: `line ${p.edit.range.start.line + 1}`, run: () => reviews.reveal(p.approvalId) })),
    ...toolApprovals.list().flatMap((p) => [
      { label: `$(check) Allow ${p.tool}`, description: p.risk, detail: p.title, run: () => toolApprovals.allow(p.approvalId) },
      { label: `$(close) Deny ${p.tool}`, description: p.risk, detail: p.title, run: () => toolApprovals.deny(p.approvalId) },
    ]),
  ];
  if (items.length === 0) return void vscode.window.showInformationMessage('Keel: nothing is waiting for approval.');
  const choice = await vscode.window.showQuickPick(items, { title: 'Keel: pending approvals' });
  await choice?.run();
}

async function askForGoal(): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: 'Keel: Run Agent Task',
    prompt: 'What should the agent do?',
    placeHolder: 'e.g. Add input validation to parseConfig in src/config.ts',
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === '' ? 'Describe the task for the agent.' : undefined),
  });
}

async function showRunResult(result: RunResult, log: vscode.LogOutputChannel): Promise<void> {
  log.info(`run ${result.runId} ${result.outcome}: ${result.message}`);
  if (result.outcome === 'succeeded') return void vscode.window.showInformationMessage(`Keel: ${result.message}`);
  if (result.outcome === 'cancelled') return void vscode.window.showInformationMessage('Keel: the run was cancelled.');
  if (result.outcome === 'interrupted') {
    const choice = await vscode.window.showWarningMessage(`Keel: ${result.message}`, 'Run a Task');
    if (choice) void vscode.commands.executeCommand('keel.runTask');
    return;
  }
  await showError(`The run failed: ${result.message}`, log);
}

async function showError(message: string, log: vscode.LogOutputChannel): Promise<void> {
  log.error(message);
  const choice = await vscode.window.showErrorMessage(`Keel: ${message}`, 'Show Log');
  if (choice) log.show();
}

function errorText(error: unknown): string {
  return error instanceof ResponseError || error instanceof Error ? error.message : String(error);
}
