import * as l10n from '@vscode/l10n';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { runJournalsDir } from '../protocol/node/runJournals';
import type { ModelConfig } from '../protocol/models';
import type { AddAllowRulesRequest, AddAllowRulesResult, AgentInfo, AlertsChanged, McpServerSpec, RunListEntry, RunState, StartRunParams, StartWorkflowParams, ToolInfo } from '../protocol/rpc';
import type { RunResult } from '../protocol/run';
import { ApprovalBroker } from './governance/approvals';
import { AuditLog } from './governance/auditLog';
import { managedPolicyPath } from './governance/policy/policyLevels';
import { PolicyLoader, withinPolicy } from './governance/policy/policyLoader';
import type { ConsentPort } from './governance/consent';
import { RouterCache, type VsCodeChat } from './models';
import { AlertMonitor } from './observability/alerts';
import { registerMcpServerSecrets, registerModelKeys } from './observability/knownSecrets';
import type { LogLevel } from './observability/log';
import { RunMetrics } from './observability/metrics';
import { traceStoreHistory } from './observability/metricsHistory';
import { startTrace, type SpanSink } from './observability/tracer';
import { DEFAULT_TRACE_RETENTION, TraceStore, type TraceRetention } from './observability/traceStore';
import { AGENT_NAME } from './orchestration/agentLoop';
import { DeadLetterQueue } from './orchestration/durable/deadLetters';
import { loadAgentDefinitions } from './orchestration/agents/agentDefinitions';
import { RunStore } from './orchestration/durable/runStore';
import { RunManager, type RunRequest } from './orchestration/runs';
import { WorkflowRunner } from './orchestration/workflows/workflowRunner';
import { planWorkflow } from './orchestration/workflows/workflowPlanner';
import { Toolbox } from './toolbox';
import type { McpAuthPorts, McpManager, McpServerStatus } from './tools/mcp';
import type { CommandSandboxMode } from './governance/commandSandbox';
import { grantCapabilities } from './tools/sandboxedRun';
import type { ExecutionResult } from './sandbox';
import type { WorkspacePort } from './workspace/port';

/** How long the embedding model may take to answer its first request before the index opens without vectors. */
const EMBEDDER_PROBE_MS = 10_000;
/** How long a server's sampling or elicitation request may wait for the user. */
const SERVER_REQUEST_TIMEOUT_MS = 5 * 60_000;

/** What the host reaches the world through: the files, the user, where spans and run ends go, the log. */
export interface HostPorts {
  readonly workspace: WorkspacePort;
  readonly consent: ConsentPort;
  readonly spans: SpanSink;
  readonly finished: (result: RunResult) => void;
  /** The host log; a line without a level is `info`. */
  readonly log: (message: string, level?: LogLevel) => void;
  /** VS Code's language models, through the extension; absent headless. */
  readonly vscodeChat?: VsCodeChat;
  /** OAuth sign-in to MCP servers: where credentials live and how the user sees the sign-in page. */
  readonly mcpAuth?: McpAuthPorts;
  /** Every MCP server's state whenever one changes on its own (a lost connection, a sign-in needed). */
  readonly mcpStatus?: (servers: McpServerStatus[]) => void;
  /** An alert fired or cleared; absent headless, where no rules are set. */
  readonly alertsChanged?: (change: AlertsChanged) => void;
  /** A run ended, so the metrics moved. */
  readonly metricsChanged?: () => void;
  /** The dead-letter queue changed; `count` failed tasks wait. */
  readonly failedTasksChanged?: (count: number) => void;
  /** A run started, ended, began or stopped waiting on the user, was undone or dismissed: the Runs list changed. */
  readonly runsChanged?: (change: { runId: string; state: RunState }) => void;
  /** Tells the user something that needs their hand now (a policy file Keel refused); absent, it is only logged. */
  readonly warn?: (message: string) => void;
}

/** Where the host runs: the workspace folder(s) and the folder for state that outlives it. */
export interface HostSettings {
  /** The workspace folder the agent works in, when one is open. */
  readonly root: string | undefined;
  /** Every workspace folder, for MCP servers' roots. */
  readonly roots: readonly { readonly uri: string; readonly name: string }[];
  readonly storageDir: string;
  /** Globs `files.exclude` hides, left out of the index. */
  readonly filesExclude: readonly string[];
  /** How much trace history to keep; the store's defaults when absent. */
  readonly traceRetention?: TraceRetention;
}

/**
 * The agent host, put together once for the VS Code host process and the CLI alike: the toolbox (tools, sandbox,
 * the workspace index), the model router, the run manager and, once a server is configured, the MCP client.
 */
export class AgentHost {
  readonly toolbox: Toolbox;
  readonly models: RouterCache;
  readonly runs: RunManager;
  /** Every run's spans on disk, for the trace viewer's history and search. */
  readonly traces: TraceStore;
  /** The tamper-evident record of decisions, side effects, runs and alerts. */
  readonly audit: AuditLog;
  private readonly policies: PolicyLoader;
  /** Rates, latencies, cost and volume of the last seven days, from the spans as they end. */
  readonly metrics: RunMetrics;
  /** The alert rules of `keel.alerts.*`, checked against the metrics. */
  readonly alerts: AlertMonitor;
  /** Failed runs, kept until the user retries or dismisses them. */
  readonly deadLetters: DeadLetterQueue;
  private readonly journals: RunStore;
  private readonly workflows: WorkflowRunner;
  private mcp: Promise<McpManager> | undefined;
  private samplingModels: ModelConfig | undefined;
  private filesExclude: readonly string[];
  private readonly spans: SpanSink;

  constructor(private readonly ports: HostPorts, private readonly settings: HostSettings) {
    this.filesExclude = settings.filesExclude;
    this.traces = new TraceStore(join(settings.storageDir, 'traces'), settings.traceRetention ?? DEFAULT_TRACE_RETENTION, ports.log);
    this.audit = new AuditLog(join(settings.storageDir, 'audit'));
    this.policies = new PolicyLoader({ managedPath: managedPolicyPath(), managedRequired: Boolean(process.env.KEEL_MANAGED_POLICY), workspaceRoot: settings.root });
    this.metrics = new RunMetrics(traceStoreHistory(join(settings.storageDir, 'traces')));
    this.journals = new RunStore(runJournalsDir(settings.storageDir, settings.root));
    this.deadLetters = new DeadLetterQueue(runJournalsDir(settings.storageDir, settings.root), () => {
      ports.failedTasksChanged?.(this.deadLetters.count);
      this.alerts.checkSoon();
    });
    // The dead-letter alert reads the count synchronously: the queue is read once, so a restart sees what still waits.
    void this.deadLetters.list().catch(() => undefined);
    this.alerts = new AlertMonitor({
      metrics: this.metrics,
      changed: (change) => ports.alertsChanged?.(change),
      record: (state, alert) => {
        ports.log(`alert ${state}: ${alert.message}`, state === 'fired' ? 'warn' : 'info');
        this.audit.append({ kind: 'alert', state, alertId: alert.id, rule: alert.rule, message: alert.message, ...(alert.runId ? { runId: alert.runId } : {}) })
          .catch((error: unknown) => ports.log(`audit log: alert ${alert.id} ${state} not recorded: ${(error as Error).message}`, 'error'));
      },
      deadLetters: () => this.deadLetters.count,
    });
    // Every span goes to the store and the metrics as well as to the port, so runs outlive the window and the process.
    this.spans = (span, content) => {
      this.traces.record(span, content);
      this.metrics.record(span);
      ports.spans(span, content);
      if (span.endTime === undefined) return;
      this.alerts.checkSoon();
      if ((span.operation === 'invoke_agent' || span.operation === 'invoke_workflow') && span.parentSpanId === undefined) ports.metricsChanged?.();
    };
    this.models = new RouterCache({ storageDir: () => settings.storageDir, log: ports.log, vscodeChat: ports.vscodeChat });
    this.toolbox = new Toolbox({
      root: () => settings.root,
      storageDir: () => settings.storageDir,
      hidden: () => this.filesExclude,
      embedder: () => this.models.embedder(AbortSignal.timeout(EMBEDDER_PROBE_MS)),
      embedderId: () => this.models.embedderId(),
      log: ports.log,
      audit: this.audit,
    });
    this.workflows = new WorkflowRunner(() => settings.root);
    this.runs = new RunManager({
      workspace: ports.workspace,
      consent: ports.consent,
      audit: this.audit,
      models: this.models,
      memory: () => this.toolbox.agentMemory(),
      tools: () => this.tools(),
      agents: () => loadAgentDefinitions(settings.root),
      journals: this.journals,
      workflows: this.workflows,
      spans: this.spans,
      // A failed run is on the dead-letter queue before anyone hears it ended, so the two never disagree.
      finished: (result) => {
        const ended = () => {
          ports.finished(result);
          ports.runsChanged?.({ runId: result.runId, state: result.outcome });
        };
        if (result.outcome !== 'failed') return ended();
        void this.queueFailed(result).finally(ended);
      },
      changed: (runId, state) => ports.runsChanged?.({ runId, state }),
      log: ports.log,
    });
  }

  /**
   * Starts a run under the policy in force now (read afresh, so edits apply without a restart); its keys are redacted
   * wherever they turn up. Throws, naming the field, on a request it refuses.
   */
  startRun(params: StartRunParams): { runId: string; done: Promise<RunResult>; recorded: Promise<void> } {
    registerModelKeys(params.models);
    const started = this.runs.start(this.underPolicy(params));
    this.ports.log(`run ${started.runId} started`);
    return started;
  }

  /**
   * Starts a workflow run (`.keel/workflows/*.js`) under the policy in force now. Throws, naming the file or field, for a
   * workflow that cannot be read or a request it refuses; a script that fails runs and fails as the run's outcome.
   */
  async startWorkflow(params: StartWorkflowParams): Promise<{ runId: string; done: Promise<RunResult>; recorded: Promise<void> }> {
    // A workflow is the workspace's code starting agents: like triggers, not in a workspace the user has not trusted.
    if (params.restricted) throw new Error(workflowsRestricted());
    const { path, input, computeMs, ...run } = params;
    const { goal, start } = await this.workflows.prepare(path, input, computeMs);
    registerModelKeys(params.models);
    const started = this.runs.start(this.underPolicy({ ...run, goal }), start);
    this.ports.log(`workflow run ${started.runId} of ${start.path} started`);
    return started;
  }

  /** "Keel: Plan Workflow…": the planning model's script for a hard goal, traced as a `plan_workflow` span; nothing runs. */
  async planWorkflow(goal: string, models: ModelConfig, signal: AbortSignal): Promise<{ script: string; path: string }> {
    registerModelKeys(models);
    const router = this.models.for(models);
    const runId = randomUUID();
    const span = startTrace(this.spans, 'plan_workflow', 'invoke_agent', { 'gen_ai.agent.name': 'planner', 'keel.run.goal': goal });
    try {
      const planned = await planWorkflow({ goal, router, agents: await loadAgentDefinitions(this.settings.root), sandbox: this.toolbox.sandbox(), runId, span, signal });
      span.setContent({ 'keel.workflow.script': planned.script });
      span.end('ok');
      return planned;
    } catch (error) {
      span.end('error', (error as Error).message);
      throw error;
    } finally {
      router.endRun(runId);
    }
  }

  /** Runs a failed task again under its own id: its journal without its end, replayed to the last good step. */
  async retryFailed(runId: string, now: { models?: ModelConfig; restricted?: boolean }): Promise<{ runId: string; done: Promise<RunResult> }> {
    if (!(await this.deadLetters.get(runId))) throw new Error(l10n.t('Run {0} is not on the dead-letter queue; list it with runs/listFailed.', runId));
    await this.journals.revive(runId);
    await this.deadLetters.remove(runId, 'retried');
    return this.resumeRun(runId, now);
  }

  /** Takes a failed task off the queue without running it again; it leaves the Runs list too. */
  async dismissFailed(runId: string): Promise<boolean> {
    const dismissed = await this.deadLetters.remove(runId, 'dismissed');
    if (dismissed) this.ports.runsChanged?.({ runId, state: 'failed' });
    return dismissed;
  }

  /** The Runs list: a failed run is listed while it is on the dead-letter queue. */
  async listRuns(limit?: number): Promise<RunListEntry[]> {
    const failed = new Set((await this.deadLetters.list()).map((task) => task.runId));
    return this.runs.list(failed, limit);
  }

  /**
   * Continues an ended run with a follow-up, under the policy and model settings in force now; a failed one leaves
   * the dead-letter queue, since it runs again.
   */
  async continueRun(runId: string, message: string, now: { models?: ModelConfig; restricted?: boolean }): Promise<{ runId: string; done: Promise<RunResult> }> {
    if (now.models) registerModelKeys(now.models);
    const continued = await this.runs.continue(runId, message, now, (params) => this.underPolicy(params));
    await this.deadLetters.remove(runId, 'continued');
    this.ports.log(`run ${runId} continued`);
    return continued;
  }

  private async queueFailed(result: RunResult): Promise<void> {
    try {
      const ended = await this.journals.ended(result.runId);
      await this.deadLetters.add({ runId: result.runId, goal: ended?.goal ?? '', agent: ended?.agent ?? 'keel', message: result.message, failedAt: new Date().toISOString(), steps: ended?.steps ?? 0 });
    } catch (error) {
      this.ports.log(`dead-letter queue: run ${result.runId} not kept (${(error as Error).message})`, 'error');
    }
  }

  /**
   * Resumes an unfinished run with the model settings in force now, under the policy in force now; its keys are
   * redacted like a new run's.
   */
  async resumeRun(runId: string, now: { models?: ModelConfig; restricted?: boolean }): Promise<{ runId: string; done: Promise<RunResult> }> {
    if (now.models) registerModelKeys(now.models);
    const resumed = await this.runs.resume(runId, now, (params) => this.underPolicy(params));
    this.ports.log(`run ${runId} resumed`);
    return resumed;
  }

  /** The request limited by the policy in force now, with its rules for the run. */
  private underPolicy(params: StartRunParams): RunRequest {
    const { policy, forAgent, changes } = this.policies.forRun({ user: params.policy, restricted: params.restricted === true, agent: params.agent ?? AGENT_NAME });
    // Appended in order, ahead of the run's own start record.
    for (const change of changes) void this.audit.append(change).catch((error: unknown) => this.ports.log(`audit log: policy change not recorded: ${(error as Error).message}`));
    for (const problem of policy?.problems ?? []) this.ports.log(`policy refused, so that level asks for everything: ${problem}`, 'warn');
    // Said once per change, not at every run.
    for (const change of changes) if (change.error) this.ports.warn?.(l10n.t('Keel: {0} Until it is fixed, Keel asks before every call and nothing runs on autopilot.', change.error));
    return policy ? { ...withinPolicy(params, policy), rules: policy, rulesFor: forAgent } : params;
  }

  /** "Always allow" written as a rule: into `.keel/policy.jsonc`, or as the `keel.policy` value for the extension to save; audited first. */
  addAllowRules(request: AddAllowRulesRequest.Params): Promise<AddAllowRulesResult> {
    return this.policies.addAllowRules(request, request.agent ?? AGENT_NAME, (change) => this.audit.append(change));
  }

  /** The MCP servers to run, and the models that answer their sampling requests; answers each server's state. */
  async setMcpServers(servers: readonly McpServerSpec[], sampling: ModelConfig, sandbox: CommandSandboxMode = 'auto'): Promise<ReturnType<McpManager['status']>> {
    this.samplingModels = sampling;
    registerModelKeys(sampling);
    registerMcpServerSecrets(servers);
    // The settings in force, for the index's embedder too; a mistake in them is reported when a run starts.
    try {
      this.models.for(sampling);
      void this.toolbox.memory.refresh();
    } catch (error) {
      this.ports.log(`model settings not applied: ${(error as Error).message}`);
    }
    if (!this.mcp && servers.length === 0) return [];
    const manager = await (this.mcp ??= this.startMcp());
    await manager.setServers([...servers], sandbox);
    return manager.status();
  }

  /** Servers' prompts, for "Keel: Run MCP Prompt…". */
  async mcpPrompts(): Promise<Awaited<ReturnType<McpManager['prompts']>>> {
    return (await (await this.mcp)?.prompts()) ?? [];
  }

  async mcpPromptText(server: string, name: string, args: Readonly<Record<string, string>>): Promise<string> {
    return (await this.configuredMcp(server)).promptText(server, name, { ...args });
  }

  /** The user's "Sign In" for an MCP server: the browser flow; answers the server's state when it ends. */
  async signInMcp(server: string): Promise<McpServerStatus> {
    return (await this.configuredMcp(server)).signIn(server);
  }

  /** Forgets an MCP server's OAuth tokens and registration. */
  async signOutMcp(server: string): Promise<void> {
    await (await this.configuredMcp(server)).signOut(server);
  }

  private async configuredMcp(server: string): Promise<McpManager> {
    const manager = await this.mcp;
    if (!manager) throw new Error(l10n.t('No MCP server named "{0}" is configured.', server));
    return manager;
  }

  /** JavaScript the user runs in the sandbox ("Keel: Run JavaScript in Sandbox"): workspace reads only. */
  evalJs(code: string, input: unknown): Promise<ExecutionResult> {
    const root = this.settings.root;
    const capabilities = root ? grantCapabilities(['readFile', 'listFiles'], root, []) : {};
    return this.toolbox.sandbox().execute({ code, input, capabilities });
  }

  /** `files.exclude` changed: the index takes the new globs when it reopens. */
  hideFiles(globs: readonly string[]): void {
    this.filesExclude = globs;
  }

  /** Every tool a run would be offered now, and those refused, for "Keel: Show Tools". */
  /** The workspace's agent definitions, for the quick pick and `keel agents`, and those that did not load. */
  async listAgents(): Promise<{ agents: AgentInfo[]; problems: string[] }> {
    const { agents, problems } = await loadAgentDefinitions(this.settings.root);
    return { agents: [...agents.values()].map(({ instructions: _instructions, ...info }) => info), problems: [...problems] };
  }

  async listTools(): Promise<{ tools: ToolInfo[]; problems: string[] }> {
    const registry = await this.tools();
    const tools = await Promise.all(registry.list().map(async (tool) => {
      const pin = await tool.pinState?.();
      return { name: tool.name, description: tool.description, source: tool.source, risk: tool.risk, ...(pin ? { pin } : {}), ...this.toolbox.stats.get(tool.name) };
    }));
    return { tools, problems: [...this.toolbox.problems] };
  }

  async shutdown(): Promise<void> {
    this.alerts.dispose();
    // Not cancelled: a run stopped with the host stays unfinished in its journal and resumes when the host starts again.
    await this.runs.interruptAll();
    await (await this.mcp)?.stopAll();
    await Promise.all([this.toolbox.dispose(), this.workflows.dispose(), this.models.flush(), this.traces.flush()]);
  }

  private async tools() {
    return this.toolbox.registry((await this.mcp)?.registryTools());
  }

  /** The MCP client (and its SDK) loads only once a server is configured. */
  private async startMcp(): Promise<McpManager> {
    const { McpManager, mcpUserHandlers, PinStore } = await import('./tools/mcp');
    const pins = new PinStore(join(this.settings.storageDir, 'mcp-pins.json'), this.ports.log);
    const handlers = mcpUserHandlers({
      roots: () => [...this.settings.roots],
      log: this.ports.log,
      approvals: new ApprovalBroker(this.ports.consent, SERVER_REQUEST_TIMEOUT_MS, this.audit),
      spans: this.spans,
      samplingModel: () => (this.samplingModels ? this.models.for(this.samplingModels) : undefined),
    });
    const sandbox = { mode: 'auto' as const, npmCache: join(this.settings.storageDir, 'sandbox', 'npm-cache') };
    return new McpManager({ ...handlers, ...(this.ports.mcpAuth ? { auth: this.ports.mcpAuth } : {}) }, pins, this.ports.mcpStatus, sandbox);
  }
}

/** Why a workflow is refused in an untrusted workspace, and how to trust it. */
export function workflowsRestricted(): string {
  return l10n.t('Workflows do not run in Restricted Mode: trust the workspace first ("{0}").', 'Workspaces: Manage Workspace Trust');
}
