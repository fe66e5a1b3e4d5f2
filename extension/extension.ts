import * as vscode from 'vscode';
import { useTranslations } from '../protocol/translations';
import { PingRequest, type MemoryHit, type MemoryReindexResult } from '../protocol/rpc';
import type { ActiveAlert, MetricsWindow, ToMetricsView } from '../protocol/metrics';
import type { RunResult } from '../protocol/run';
import type { SpanData } from '../protocol/trace';
import { registerApprovals, type Approvals } from './approvals/approvalsFeature';
import { AgentHost, type HostState } from './host/agentHost';
import { registerHostCommands } from './host/hostCommands';
import { registerTelemetry } from './host/telemetry';
import { registerMcp, type Mcp } from './mcp/mcpFeature';
import { registerMemory, type Memory } from './memory/memoryFeature';
import { registerMetrics, type Metrics } from './metrics/metricsFeature';
import { registerModels, type Models } from './models/modelsFeature';
import type { ModelState } from './models/modelStatus';
import { registerRuns, type Runs } from './runs/runsFeature';
import { registerFailedTasks } from './runs/failedTasks';
import { RunsList } from './runs/runsList';
import { registerRunsView } from './runs/runsView';
import { registerUnfinishedRuns } from './runs/unfinishedRuns';
import { registerWorkflows } from './runs/workflows';
import { registerSandbox } from './sandbox/sandboxFeature';
import { createStatusBar } from './statusBar';
import { registerTools } from './tools/toolsFeature';
import type { TraceStore } from './traces/traceStore';
import { registerTraces, showTracesOnFirstUse } from './traces/tracesFeature';
import { registerAudit } from './governance/auditFeature';
import { registerWorkspaceFiles } from './workspace/workspaceFeature';
import { registerTriggers, type TriggerRun } from './triggers/triggersFeature';
import { registerFirstRun } from './walkthrough/firstRun';

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
  /** The configured MCP servers and their states, as the host last reported them. */
  mcpServers(): readonly { name: string; source: string; state: string }[];
  /** The MCP servers the status bar's Sign In button is offered for. */
  mcpWaitingForSignIn(): readonly string[];
  spans(): readonly SpanData[];
  /** Empties the trace viewer, as its Clear button does. */
  clearTraces(): void;
  /** Searches the workspace index, as "Keel: Search Memory…" does. */
  searchMemory(query: string): Promise<MemoryHit[]>;
  /** Brings the workspace index up to date, as "Keel: Reindex Workspace" does, but rejects instead of showing errors. */
  reindex(): Promise<MemoryReindexResult>;
  /** Runs triggers started in this window, oldest first. */
  triggerRuns(): TriggerRun[];
  /** The names of the triggers in force, from `.keel/triggers.json` and the agent definitions. */
  triggers(): string[];
  /** One window's metrics as the Metrics view gets them (starting the host if needed). */
  metrics(window: MetricsWindow): Promise<ToMetricsView>;
  /** The alerts that fired and have not cleared. */
  alerts(): readonly ActiveAlert[];
  /** Whether the model runs would use answers, as the Model view and the walkthrough show it. */
  modelState(): ModelState;
  /** How long `activate` took, for the host benchmark. */
  readonly activationMs: number;
}

/**
 * Each area registers its own commands, views and handlers for the host's messages. They last as long as the
 * extension; the handlers are installed again on each new host session (`AgentHost.onClient`).
 */
export function activate(context: vscode.ExtensionContext): KeelApi {
  const activationStart = performance.now();
  // Modules without a `vscode` import (trigger files, shared protocol text) translate through @vscode/l10n.
  useTranslations(vscode.l10n.bundle);
  const log = vscode.window.createOutputChannel('Keel', { log: true });
  const host = new AgentHost(context, log);
  context.subscriptions.push(log, host);
  const traces = registerTraces(context, host);
  // Questions name the run that asks; the runs are registered after the approvals their tasks need.
  const approvals = registerApprovals(context, host, (runId) => runs.tracker.goalOf(runId));
  const models = registerModels(context, host, log);
  const runs = registerRuns(context, host, log, traces, models.readyToRun);
  registerWorkflows(context, host, runs, log, models.readyToRun);
  const unfinished = registerUnfinishedRuns(context, host, runs.tracker, log);
  const failed = registerFailedTasks(context, host, runs.tracker, log);
  const runsList = new RunsList(host);
  context.subscriptions.push(runsList);
  registerRunsView(context, { host, runs, unfinished, failed, traces }, runsList);
  const memory = registerMemory(context, host, log);
  context.subscriptions.push(createStatusBar(host, runs.tracker, approvals, memory.progress, runsList));
  const mcp = registerMcp(context, host, log);
  registerTools(context, host, log, mcp.states);
  registerSandbox(context, host, log);
  registerWorkspaceFiles(context, host);
  registerHostCommands(context, host, log, runs.interruptAll);
  registerAudit(context, host, log);
  const triggers = registerTriggers(context, runs, log);
  const metrics = registerMetrics(context, host, log);
  registerTelemetry(context);
  registerFirstRun(context, runs.tracker, approvals.reviews, memory.progress);
  showTracesOnFirstUse(context);

  return keelApi(performance.now() - activationStart, host, { traces, approvals, runs, memory, mcp, triggers, metrics, models });
}

export function deactivate(): void {
  // Disposables registered on the context stop the host.
}

/** What `keelApi` reads from the features. */
interface Features {
  readonly traces: TraceStore;
  readonly approvals: Approvals;
  readonly runs: Runs;
  readonly memory: Memory;
  readonly mcp: Mcp;
  readonly triggers: { readonly started: readonly TriggerRun[]; watching(): string[] };
  readonly metrics: Metrics;
  readonly models: Models;
}

function keelApi(activationMs: number, host: AgentHost, { traces, approvals, runs, memory, mcp, triggers, metrics, models }: Features): KeelApi {
  return {
    activationMs,
    runTask: runs.start,
    hostStates: () => [...host.stateHistory],
    hostPid: async () => (await (await host.ensureStarted()).sendRequest(PingRequest.type, { sentAt: Date.now() })).pid,
    pendingEdits: () => approvals.reviews.list().map((p) => ({ approvalId: p.approvalId, path: p.edit.path })),
    pendingToolCalls: () => approvals.toolApprovals.list().map((p) => ({ approvalId: p.approvalId, tool: p.tool, canAlwaysAllow: p.canAlwaysAllow })),
    pendingBudgets: () => approvals.budgets.list().map((p) => ({ approvalId: p.approvalId, scope: p.scope, spentUsd: p.spentUsd, limitUsd: p.limitUsd })),
    syncMcpServers: mcp.sync,
    mcpServers: () => mcp.states.all().map((s) => ({ name: s.name, source: s.source, state: s.state })),
    mcpWaitingForSignIn: () => mcp.states.waitingForSignIn().map((s) => s.name),
    metrics: metrics.load,
    alerts: metrics.alerts.active,
    spans: () => traces.all(),
    clearTraces: () => traces.clear(),
    searchMemory: memory.search,
    reindex: memory.reindex,
    triggerRuns: () => [...triggers.started],
    triggers: triggers.watching,
    modelState: () => models.status.state,
  };
}
