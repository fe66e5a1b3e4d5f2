import { randomBytes, randomUUID } from 'node:crypto';
import type { ModelConfig } from '../../protocol/models';
import type { StartRunParams, UnfinishedRun } from '../../protocol/rpc';
import type { RunResult } from '../../protocol/run';
import type { ModelRouter, RouterCache } from '../models';
import { withLogContext, type LogLevel } from '../observability/log';
import { redacted } from '../observability/redaction';
import { errorMessage, Span, type SpanSink } from '../observability/tracer';
import type { ToolRegistry } from '../tools';
import type { AuditSink } from '../governance/auditLog';
import type { ConsentPort } from '../governance/consent';
import type { RunPolicy } from '../governance/policy/runPolicy';
import type { WorkspacePort } from '../workspace/port';
import type { Episode } from '../memory';
import { AGENT_NAME, runAgent, type AgentRunOutput } from './agentLoop';
import type { AgentCatalog } from './agents/agentDefinitions';
import { RunGrants } from '../governance/policy/allowRules';
import { Team } from './subagents';
import { runWithFallback } from './recovery/fallback';
import type { WorkflowStart } from './durable/journalRecords';
import type { RunJournal } from './durable/runJournal';
import type { RunStore } from './durable/runStore';
import type { RunMemory } from './runContext';
import { WORKFLOW_AGENT, type WorkflowRunner } from './workflows/workflowRunner';

/** Memory as runs use it: recalled at the start, and each finished run kept as an episode. */
export interface EpisodicMemory extends RunMemory {
  remember(episode: Episode): Promise<void>;
}

/** A run as requested, and the policy in force for it (absent: none is written anywhere, Keel's defaults apply). */
export type RunRequest = StartRunParams & {
  readonly rules?: RunPolicy;
  /** The policy's rules for a subagent of the run, by its name (its `agents.<name>` section). */
  readonly rulesFor?: (agent: string) => RunPolicy | undefined;
};

/** The abort reason when the host stops: the run is left unfinished in its journal, to be resumed, not cancelled. */
const HOST_STOPPING = 'the agent host is stopping';

/** How a run's journal is opened: a new one for a new run, the old one reopened for a resumed run. */
interface Launch {
  readonly runId: string;
  readonly goal: string;
  readonly request: RunRequest;
  readonly router: ModelRouter;
  readonly controller: AbortController;
  /** The run's trace; a resumed run continues the one it started with. */
  readonly traceId: string;
  readonly journal: () => Promise<RunJournal | undefined>;
  /** Set when the run is resumed: what was found in its journal. */
  readonly resumed?: { readonly note?: string };
  /** A workflow run's script; absent for an agent run. */
  readonly workflow?: WorkflowStart;
}

/** Starts agent runs, keeps their cancellation handles, and reports each run's end exactly once. */
export class RunManager {
  private readonly active = new Map<string, AbortController>();
  /** Runs until they have reported their end, for the host to wait on as it stops. */
  private readonly ending = new Set<Promise<RunResult>>();

  constructor(
    private readonly deps: {
      readonly workspace: WorkspacePort;
      /** How runs ask the user; each run puts its questions through an ApprovalBroker of its own timeout. */
      readonly consent: ConsentPort;
      /** The audit log: each run's start and end, and through the run its decisions and side effects. */
      readonly audit?: AuditSink;
      /** The router for the model settings a run brings. */
      readonly models: RouterCache;
      /** Loaded when the first run starts; absent, runs recall nothing and leave no episodes. */
      readonly memory?: () => Promise<EpisodicMemory>;
      /** The tools a run starting now is offered (MCP servers come and go). */
      readonly tools: () => Promise<ToolRegistry>;
      /** The workspace's agent definitions, read afresh for each run; absent, only the default agent runs. */
      readonly agents?: () => Promise<AgentCatalog>;
      /** Where runs are journaled so they survive the host; absent, runs are not durable. */
      readonly journals?: RunStore;
      /** Runs workflow scripts; absent, only agent runs start. */
      readonly workflows?: WorkflowRunner;
      readonly spans: SpanSink;
      readonly finished: (result: RunResult) => void;
      readonly log?: (message: string, level?: LogLevel) => void;
    },
  ) {}

  /**
   * Validates the request and starts the run; `recorded` settles once the run's journal is on disk (so a caller that
   * waits for it before answering never hands out the id of a run a crash could lose), `done` when the run ends.
   */
  start(request: RunRequest, workflow?: WorkflowStart): { runId: string; done: Promise<RunResult>; recorded: Promise<void> } {
    const goal = validateGoal(request.goal);
    // Wrong model settings are refused here, so the user sees which one before a run starts.
    const router = this.deps.models.for(request.models);
    const runId = randomUUID();
    const controller = new AbortController();
    this.active.set(runId, controller);
    const traceId = randomBytes(16).toString('hex');
    // The rules are the policy's at the time; a resume applies the policy in force then.
    const { rules: _rules, rulesFor: _rulesFor, ...params } = request;
    const opened = this.deps.journals?.create({ runId, goal, request: params, traceId, workflow }) ?? Promise.resolve(undefined);
    // A journal that cannot be written fails the run, which reports why; `recorded` only says the wait is over.
    const recorded = opened.then(() => undefined, () => undefined);
    return { runId, done: this.launch({ runId, goal, request, router, controller, traceId, journal: () => opened, workflow }), recorded };
  }

  /** The runs whose journal has no end and that are not running here. */
  async unfinished(): Promise<UnfinishedRun[]> {
    return (await this.deps.journals?.unfinished(new Set(this.active.keys()))) ?? [];
  }

  /**
   * Resumes an unfinished run under its id and trace, with the model settings in force now when given (the journal
   * keeps no keys), restricted if either its start or now says so, and under the policy in force now (`prepare`). A
   * run whose journal is damaged ends as failed without running anything. Throws for a run that is running (here or
   * in another window) or not unfinished.
   */
  async resume(runId: string, now: { models?: ModelConfig; restricted?: boolean } = {}, prepare: (params: StartRunParams) => RunRequest = (params) => params): Promise<{ runId: string; done: Promise<RunResult> }> {
    const journals = this.deps.journals;
    if (!journals) throw new Error('This host keeps no run journals, so there is nothing to resume.');
    if (this.active.has(runId) || (await journals.runningElsewhere(runId))) throw new Error(`Run ${runId} is running already.`);
    const controller = new AbortController();
    this.active.set(runId, controller);
    try {
      const loaded = await journals.load(runId).catch((error: Error) => error);
      if (loaded instanceof Error || loaded === 'ended' || loaded === 'missing') throw new Error(`Run ${runId} is not an unfinished run${loaded instanceof Error ? ` (${loaded.message})` : ''}; list them with runs/listUnfinished.`);
      if (!loaded.ok) {
        await journals.close(runId, 'failed', loaded.problem);
        const result: RunResult = { runId, outcome: 'failed', message: `The run could not be resumed: ${loaded.problem}.` };
        this.active.delete(runId);
        this.deps.finished(result);
        return { runId, done: Promise.resolve(result) };
      }
      const request = prepare({ ...loaded.request, models: now.models ?? loaded.request.models, restricted: loaded.request.restricted === true || now.restricted === true });
      const router = this.deps.models.for(request.models);
      const resumed = loaded.note ? { note: loaded.note } : {};
      return { runId, done: this.launch({ runId, goal: loaded.goal, request, router, controller, traceId: loaded.traceId, journal: () => journals.reopen(loaded), resumed, workflow: loaded.workflow }) };
    } catch (error) {
      this.active.delete(runId);
      throw error;
    }
  }

  /** Closes an unfinished run the user does not want resumed; false when there is no such run. */
  async discard(runId: string): Promise<boolean> {
    if (this.active.has(runId) || !this.deps.journals || (await this.deps.journals.runningElsewhere(runId))) return false;
    const loaded = await this.deps.journals.load(runId).catch(() => 'missing' as const);
    if (loaded === 'missing' || loaded === 'ended') return false;
    await this.deps.journals.close(runId, 'cancelled', 'The user discarded the unfinished run.');
    return true;
  }

  cancel(runId: string): boolean {
    const controller = this.active.get(runId);
    controller?.abort();
    return controller !== undefined;
  }

  cancelAll(): void {
    for (const controller of this.active.values()) controller.abort();
  }

  /**
   * The host is stopping: every run ends as interrupted and stays unfinished in its journal, to be resumed. Resolves
   * once they have reported it, or after `graceMs`, so a run stuck below cannot hold the host's exit.
   */
  async interruptAll(graceMs = 2000): Promise<void> {
    for (const controller of this.active.values()) controller.abort(HOST_STOPPING);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.allSettled([...this.ending]), grace]);
    clearTimeout(timer);
  }

  get activeRuns(): number {
    return this.active.size;
  }

  /**
   * Runs the agent and reports the end once. Whatever fails on the way (loading tools, a bug in a layer below) is
   * this run's failure, reported as such, never an unhandled rejection that would take the host down.
   */
  private async launch(launch: Launch): Promise<RunResult> {
    // Whatever the run logs, at any depth, says which run it was.
    const done = withLogContext({ runId: launch.runId, agent: launch.request.agent ?? AGENT_NAME }, () => this.execute(launch));
    this.ending.add(done);
    try {
      return await done;
    } finally {
      this.active.delete(launch.runId);
      this.ending.delete(done);
    }
  }

  private async execute({ runId, goal, request, router, controller, traceId, journal: openJournal, resumed, workflow }: Launch): Promise<RunResult> {
    const { signal } = controller;
    const agentName = workflow ? WORKFLOW_AGENT : (request.agent ?? AGENT_NAME);
    // A workflow's root span has its agents beneath it.
    const name = workflow ? `invoke_workflow ${workflow.path}` : `invoke_agent ${agentName}`;
    const attributes = {
      'gen_ai.agent.name': agentName,
      'keel.run.id': runId,
      'keel.run.goal': goal,
      'keel.run.restricted': request.restricted === true,
      ...(request.rules ? { 'keel.policy.autonomy': request.rules.autonomy, 'keel.policy.problems': request.rules.problems.join('\n') } : {}),
      ...(resumed ? { 'keel.run.resumed': true, ...(resumed.note ? { 'keel.run.resume_note': resumed.note } : {}) } : {}),
    };
    // A resumed run's new root joins the trace it started with.
    const span = new Span(this.deps.spans, { traceId, name, operation: workflow ? 'invoke_workflow' : 'invoke_agent', attributes });
    let output: AgentRunOutput;
    let memory: EpisodicMemory | undefined;
    let hooks: ToolRegistry['hooks'];
    let journal: RunJournal | undefined;
    try {
      journal = await openJournal();
      if (!resumed) await this.deps.audit?.append({ kind: 'run_start', runId, goal });
      let registry: ToolRegistry;
      let catalog: AgentCatalog;
      [registry, memory, catalog] = await Promise.all([this.deps.tools(), this.deps.memory?.().catch(() => undefined), this.deps.agents?.() ?? { agents: new Map(), problems: [] }]);
      hooks = registry.hooks;
      const agent = request.agent === undefined ? undefined : catalog.agents.get(request.agent);
      if (request.agent !== undefined && !agent) throw new RunRefused(`no agent is named ${request.agent}${catalog.problems.length ? ` (definitions that did not load: ${catalog.problems.join('; ')})` : ''}; list them with "Keel: Run Agent…" or "keel agents"`);
      const gate = await hooks?.ask('runStart', { goal, agent: agentName }, { runId, parent: span, signal, audit: this.deps.audit });
      if (gate?.decision === 'deny') throw new RunRefused(gate.reason ?? 'a hook refused the run');
      const run = {
        runId,
        goal,
        model: router,
        privacy: request.privacy ?? { localOnly: false, localOnlyGlobs: [] },
        // A definition's own step limit, within the policy's.
        limits: agent?.maxSteps ? { ...request.limits, maxSteps: Math.min(agent.maxSteps, request.rules?.maxSteps ?? Infinity) } : request.limits,
        agent,
        // An untrusted workspace's run stays one agent: no subagents spending on its behalf.
        team: new Team(catalog, request.restricted ? { ...request.limits, maxParallel: 0 } : request.limits, request.rulesFor),
        tools: request.restricted ? registry.onlyRisk('read') : registry,
        // Restricted Mode sends nothing out: sandboxed code gets no fetch.
        policy: { allowHosts: request.restricted ? [] : (request.allowHosts ?? []), passEnv: request.passEnv ?? [], commandSandbox: request.commandSandbox ?? 'auto', rules: request.rules, grants: new RunGrants() },
        workspace: this.deps.workspace,
        consent: this.deps.consent,
        audit: this.deps.audit,
        memory,
        record: journal,
        span,
        signal,
      };
      output = workflow ? await this.runWorkflow(workflow, run, journal) : await runWithFallback(run, catalog, runAgent);
    } catch (error) {
      const message = signal.aborted ? 'The run was cancelled.' : error instanceof RunRefused ? `The run was refused: ${error.message}.` : `The run failed inside Keel: ${errorMessage(error)}`;
      output = { outcome: signal.aborted ? 'cancelled' : 'failed', message, toolsUsed: [], filesTouched: [], tokens: { input: 0, output: 0 } };
    }
    // runEnd hooks observe; what they answer is recorded, and a failing one does not change the outcome.
    await hooks?.ask('runEnd', { outcome: output.outcome, answer: output.message }, { runId, parent: span, signal: new AbortController().signal, audit: this.deps.audit }).catch((error: unknown) => this.deps.log?.(`runEnd hooks of run ${runId}: ${errorMessage(error)}`));
    // The router's totals include calls the loop never saw answered (a classifier call, failed attempts).
    const spent = router.endRun(runId);
    if (signal.reason === HOST_STOPPING) return this.interrupted(runId, span, journal);
    await this.closeJournal(runId, journal, output);
    await this.deps.audit?.append({ kind: 'run_end', runId, outcome: output.outcome, costUsd: spent.costUsd }).catch((error: unknown) => this.deps.log?.(`audit log: run ${runId}'s end not recorded: ${errorMessage(error)}`));
    span.setAttributes({ 'keel.run.outcome': output.outcome, 'keel.cost.usd': spent.costUsd, 'keel.model.calls': spent.calls });
    span.end(output.outcome === 'succeeded' ? 'ok' : output.outcome === 'cancelled' ? 'cancelled' : 'error', output.outcome === 'succeeded' ? undefined : output.message);
    this.deps.log?.(`run ${output.outcome} after ${spent.calls} model call(s), $${spent.costUsd.toFixed(4)}`, output.outcome === 'failed' ? 'warn' : 'info');
    // The final answer may quote what the model read; it reaches notifications and the extension's log.
    const result: RunResult = { runId, outcome: output.outcome, message: redacted(output.message) };
    // Over for the caller now: remembering it below must not keep it cancellable.
    this.active.delete(runId);
    this.deps.finished(result);
    await memory
      ?.remember({
        runId, goal, agent: agentName, outcome: output.outcome, summary: output.message, filesTouched: [...output.filesTouched], toolsUsed: [...output.toolsUsed],
        tokens: { input: spent.inputTokens, output: spent.outputTokens }, costUsd: spent.costUsd, finishedAt: new Date().toISOString(),
      })
      .catch((error: unknown) => this.deps.log?.(`run ${runId} was not remembered: ${errorMessage(error)}`));
    return result;
  }

  private runWorkflow(workflow: WorkflowStart, run: Parameters<WorkflowRunner['run']>[1], journal: RunJournal | undefined): Promise<AgentRunOutput> {
    if (!this.deps.workflows) throw new RunRefused('this host runs no workflows');
    return this.deps.workflows.run(workflow, run, journal);
  }

  /** Stopped with the host: the journal stays unfinished, so the run can resume when the host starts again. */
  private interrupted(runId: string, span: Span, journal: RunJournal | undefined): RunResult {
    journal?.close();
    span.end('cancelled', HOST_STOPPING);
    const result: RunResult = { runId, outcome: 'interrupted', message: 'The agent host stopped during the run; it can be resumed when the host starts again.' };
    this.active.delete(runId);
    this.deps.finished(result);
    return result;
  }

  private async closeJournal(runId: string, journal: RunJournal | undefined, output: AgentRunOutput): Promise<void> {
    try {
      journal?.end(output.outcome, output.message);
      if (journal) await this.deps.journals?.retire(runId);
    } catch (error) {
      this.deps.log?.(`run ${runId}: its journal was not closed: ${errorMessage(error)}`);
    }
  }
}

/** A runStart hook said no: the run ends before anything ran, with the hook's reason. */
class RunRefused extends Error {}

export function validateGoal(goal: unknown): string {
  if (typeof goal !== 'string' || goal.trim() === '') {
    throw new Error('The goal is empty. Describe what the agent should do, e.g. "Rename the function foo to bar in src/a.ts".');
  }
  if (goal.length > 20_000) throw new Error(`The goal is ${goal.length} characters long; keep it under 20,000 and put details in files the agent can read.`);
  return goal.trim();
}
