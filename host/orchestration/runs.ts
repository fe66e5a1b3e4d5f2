import { randomUUID } from 'node:crypto';
import type { StartRunParams } from '../../protocol/rpc';
import type { RunResult } from '../../protocol/run';
import type { ModelRouter, RouterCache } from '../models';
import { withLogContext, type LogLevel } from '../observability/log';
import { redacted } from '../observability/redaction';
import { errorMessage, startTrace, type SpanSink } from '../observability/tracer';
import type { ToolRegistry } from '../tools';
import type { AuditSink } from '../governance/auditLog';
import type { ConsentPort } from '../governance/consent';
import type { RunPolicy } from '../governance/policy/runPolicy';
import type { WorkspacePort } from '../workspace/port';
import type { Episode } from '../memory';
import { AGENT_NAME, runAgent, type AgentRunOutput } from './agentLoop';
import type { RunMemory } from './runContext';

/** Memory as runs use it: recalled at the start, and each finished run kept as an episode. */
export interface EpisodicMemory extends RunMemory {
  remember(episode: Episode): Promise<void>;
}

/** A run as requested, and the policy in force for it (absent: none is written anywhere, Keel's defaults apply). */
export type RunRequest = StartRunParams & { readonly rules?: RunPolicy };

/** Starts agent runs, keeps their cancellation handles, and reports each run's end exactly once. */
export class RunManager {
  private readonly active = new Map<string, AbortController>();

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
      readonly spans: SpanSink;
      readonly finished: (result: RunResult) => void;
      readonly log?: (message: string, level?: LogLevel) => void;
    },
  ) {}

  /** Validates the request and starts the run; the returned promise settles when the run ends. */
  start(request: RunRequest): { runId: string; done: Promise<RunResult> } {
    const goal = validateGoal(request.goal);
    // Wrong model settings are refused here, so the user sees which one before a run starts.
    const router = this.deps.models.for(request.models);
    const runId = randomUUID();
    const controller = new AbortController();
    this.active.set(runId, controller);
    // Whatever the run logs, at any depth, says which run it was.
    const done = withLogContext({ runId, agent: AGENT_NAME }, () => this.execute(runId, goal, request, router, controller.signal)).finally(() => this.active.delete(runId));
    return { runId, done };
  }

  cancel(runId: string): boolean {
    const controller = this.active.get(runId);
    controller?.abort();
    return controller !== undefined;
  }

  cancelAll(): void {
    for (const controller of this.active.values()) controller.abort();
  }

  get activeRuns(): number {
    return this.active.size;
  }

  /**
   * Runs the agent and reports the end once. Whatever fails on the way (loading tools, a bug in a layer below) is
   * this run's failure, reported as such, never an unhandled rejection that would take the host down.
   */
  private async execute(runId: string, goal: string, request: RunRequest, router: ModelRouter, signal: AbortSignal): Promise<RunResult> {
    const span = startTrace(this.deps.spans, `invoke_agent ${AGENT_NAME}`, 'invoke_agent', {
      'gen_ai.agent.name': AGENT_NAME,
      'keel.run.id': runId,
      'keel.run.goal': goal,
      'keel.run.restricted': request.restricted === true,
      ...(request.rules ? { 'keel.policy.autonomy': request.rules.autonomy, 'keel.policy.problems': request.rules.problems.join('\n') } : {}),
    });
    let output: AgentRunOutput;
    let memory: EpisodicMemory | undefined;
    let hooks: ToolRegistry['hooks'];
    try {
      await this.deps.audit?.append({ kind: 'run_start', runId, goal });
      let registry: ToolRegistry;
      [registry, memory] = await Promise.all([this.deps.tools(), this.deps.memory?.().catch(() => undefined)]);
      hooks = registry.hooks;
      const gate = await hooks?.ask('runStart', { goal, agent: AGENT_NAME }, { runId, parent: span, signal, audit: this.deps.audit });
      if (gate?.decision === 'deny') throw new RunRefused(gate.reason ?? 'a hook refused the run');
      output = await runAgent({
        runId,
        goal,
        model: router,
        privacy: request.privacy ?? { localOnly: false, localOnlyGlobs: [] },
        limits: request.limits,
        tools: request.restricted ? registry.onlyRisk('read') : registry,
        // Restricted Mode sends nothing out: sandboxed code gets no fetch.
        policy: { allowHosts: request.restricted ? [] : (request.allowHosts ?? []), passEnv: request.passEnv ?? [], commandSandbox: request.commandSandbox ?? 'auto', rules: request.rules },
        workspace: this.deps.workspace,
        consent: this.deps.consent,
        audit: this.deps.audit,
        memory,
        span,
        signal,
      });
    } catch (error) {
      const message = signal.aborted ? 'The run was cancelled.' : error instanceof RunRefused ? `The run was refused: ${error.message}.` : `The run failed inside Keel: ${errorMessage(error)}`;
      output = { outcome: signal.aborted ? 'cancelled' : 'failed', message, toolsUsed: [], filesTouched: [], tokens: { input: 0, output: 0 } };
    }
    // runEnd hooks observe; what they answer is recorded, and a failing one does not change the outcome.
    await hooks?.ask('runEnd', { outcome: output.outcome, answer: output.message }, { runId, parent: span, signal: new AbortController().signal, audit: this.deps.audit }).catch((error: unknown) => this.deps.log?.(`runEnd hooks of run ${runId}: ${errorMessage(error)}`));
    // The router's totals include calls the loop never saw answered (a classifier call, failed attempts).
    const spent = router.endRun(runId);
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
        runId, goal, agent: AGENT_NAME, outcome: output.outcome, summary: output.message, filesTouched: [...output.filesTouched], toolsUsed: [...output.toolsUsed],
        tokens: { input: spent.inputTokens, output: spent.outputTokens }, costUsd: spent.costUsd, finishedAt: new Date().toISOString(),
      })
      .catch((error: unknown) => this.deps.log?.(`run ${runId} was not remembered: ${errorMessage(error)}`));
    return result;
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
