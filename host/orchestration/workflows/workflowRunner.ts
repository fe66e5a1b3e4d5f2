import * as l10n from '@vscode/l10n';
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { ApprovalBroker } from '../../governance/approvals';
import { redacted } from '../../observability/redaction';
import type { Span } from '../../observability/tracer';
import { Sandbox, type ExecutionResult } from '../../sandbox';
import { AGENT_NAME, runAgent } from '../agentLoop';
import type { AgentRunInput, AgentRunOutput } from '../agentRun';
import type { AgentDefinition } from '../agents/agentDefinitions';
import type { WorkflowStart } from '../durable/journalRecords';
import type { RunJournal } from '../durable/runJournal';
import { unrecorded } from '../durable/stepRecorder';
import type { Team } from '../subagents';
import { workflowCode, type GuestSetup } from './guestApi';
import { WorkflowSteps, type StepReply } from './workflowSteps';
import { readWorkflow } from './workflowSource';

/** The name a workflow run goes by where an agent's name would be (logs, hooks, the Runs list). */
export const WORKFLOW_AGENT = 'workflow';

/** A workflow waits on agents and people, so its wall clock is long; its own running time is what is held short. */
const WALL_MS = 24 * 60 * 60_000;
export const DEFAULT_COMPUTE_MS = 10_000;
const MEMORY_BYTES = 64 * 1024 * 1024;
/** Workflows get sandbox workers of their own: one holds its worker for as long as it runs, and must never starve run_js or hooks. */
const POOL_SIZE = 2;
const MAX_GOAL_CHARS = 20_000;
const MAX_QUESTION_CHARS = 4_000;

const agentSpec = z.strictObject({ agent: z.string().min(1).max(64).optional(), goal: z.string().max(MAX_GOAL_CHARS).optional() });

/**
 * Runs workflows: `.keel/workflows/*.js` scripts in the QuickJS sandbox whose only powers are `agent()` (a run of an
 * agent definition or of Keel's agent, under the run's team: its caps, slots, file locks, router and journal) and
 * `ask()` (a question to the user through the run's approval broker). Every answer is journaled, so a resumed
 * workflow replays its script and gets each finished call's answer back instead of running it again.
 */
export class WorkflowRunner {
  private sandbox: Sandbox | undefined;

  constructor(private readonly root: () => string | undefined) {}

  /** A new workflow run: its file read and hashed, its title, and the seed and clock its script starts from. */
  async prepare(path: string, input: unknown, computeMs?: number): Promise<{ goal: string; start: WorkflowStart }> {
    const source = await readWorkflow(this.root(), path);
    const start: WorkflowStart = { path: source.path, sha256: source.sha256, input: input ?? null, seed: randomInt(2 ** 31), clock: Date.now(), ...(computeMs ? { computeMs } : {}) };
    return { goal: titleOf(source.path, input), start };
  }

  /** Runs (or, resumed, replays then goes on with) the workflow; `base` is what its agents share with the run. */
  async run(start: WorkflowStart, base: AgentRunInput & { readonly team: Team }, journal: RunJournal | undefined): Promise<AgentRunOutput> {
    const source = await readWorkflow(this.root(), start.path);
    const outputs: AgentRunOutput[] = [];
    const end = (outcome: AgentRunOutput['outcome'], message: string): AgentRunOutput => ({
      outcome, message,
      toolsUsed: [...new Set(outputs.flatMap((o) => o.toolsUsed))],
      filesTouched: [...new Set(outputs.flatMap((o) => o.filesTouched))],
      tokens: { input: outputs.reduce((n, o) => n + o.tokens.input, 0), output: outputs.reduce((n, o) => n + o.tokens.output, 0) },
    });
    // Agents the script started but did not wait for stop with it.
    const own = new AbortController();
    const signal = AbortSignal.any([base.signal, own.signal]);
    const steps = new WorkflowSteps(journal);
    const approvals = new ApprovalBroker(base.consent, base.limits.approvalTimeoutMs, base.audit, WORKFLOW_AGENT);
    const { team, span } = base;
    const setup: GuestSetup = { seed: start.seed, clock: start.clock, maxAgents: team.maxSubagents, maxParallel: team.maxParallel };
    // A script changed since the run started (fixed after a failure, say) is safe to replay: its calls are matched by
    // what they ask, so a call it now makes differently runs afresh instead of getting another call's answer.
    span.setAttributes({ 'keel.workflow.path': start.path, 'keel.workflow.sha256': start.sha256, 'keel.workflow.changed': source.sha256 !== start.sha256 || undefined });
    let result: ExecutionResult;
    let stopped: string | undefined;
    try {
      result = await this.workflowSandbox().execute(
        {
          code: workflowCode(source.text),
          input: { input: start.input, setup },
          capabilities: {
            agent: (spec, input) => this.agent({ ...base, signal }, steps, spec, input, outputs, journal),
            ask: (question) => ask(approvals, steps, question, start.path, { runId: base.runId, parent: span, signal }, (why) => {
              stopped = why;
              own.abort();
            }),
          },
          limits: { timeoutMs: WALL_MS, computeMs: start.computeMs ?? DEFAULT_COMPUTE_MS, memoryBytes: MEMORY_BYTES },
        },
        signal,
      );
    } finally {
      own.abort();
    }
    if (result.logs.length > 0) span.setContent({ 'keel.workflow.console': result.logs.map((log) => `${log.level}: ${log.text}`).join('\n') });
    span.setAttributes({ 'keel.workflow.agent_calls': steps.agentCalls, 'keel.workflow.replayed_calls': steps.replayed || undefined });
    if (base.signal.aborted) return end('cancelled', l10n.t('The run was cancelled.'));
    if (stopped) return end('cancelled', stopped);
    if (result.outcome === 'ok') return end('succeeded', resultText(result.value));
    // Errors name the sandbox's file for the script; the user knows it by its path.
    const error = (result.error ?? result.outcome).replaceAll('agent.js', start.path);
    return end('failed', l10n.t('The workflow {0} failed: {1}', start.path, error));
  }

  dispose(): Promise<void> {
    return this.sandbox?.dispose() ?? Promise.resolve();
  }

  private workflowSandbox(): Sandbox {
    return (this.sandbox ??= new Sandbox({ poolSize: POOL_SIZE }));
  }

  /**
   * One `agent()` call: answered from the journal when a finished run of it is there; otherwise, once the run's total
   * allows it and a slot is free, an agent loop of its own under the workflow's span, journaled under the call's key
   * (so a resume replays its finished steps too).
   */
  private async agent(base: AgentRunInput & { readonly team: Team }, steps: WorkflowSteps, spec: unknown, input: unknown, outputs: AgentRunOutput[], journal: RunJournal | undefined): Promise<StepReply> {
    const { team, signal } = base;
    const parsed = parseAgentCall(spec, input, team);
    if ('error' in parsed) return refusal(parsed.error);
    if (team.maxParallel === 0) return refusal(l10n.t('Agents are off for this run ({0} is 0), so a workflow cannot start any.', 'keel.orchestration.maxParallel'));
    if (!team.claim()) return refusal(l10n.t('This run has started all {0} agents it may ({1}); raise that setting, or call agent() less often.', team.maxSubagents, 'keel.orchestration.maxSubagents'));
    const name = parsed.agent?.name ?? AGENT_NAME;
    const key = steps.key('agent', [name, parsed.goal]);
    const recorded = steps.recorded(key);
    if (recorded) return recorded;
    let costUsd = 0;
    const model = { chat: async (...args: Parameters<AgentRunInput['model']['chat']>) => {
      const response = await base.model.chat(...args);
      costUsd += response.costUsd;
      return response;
    }, room: base.model.room.bind(base.model) };
    const release = await team.slot(1, signal);
    let output: AgentRunOutput;
    try {
      output = await base.span.within(`invoke_agent ${name}`, 'invoke_agent', { 'gen_ai.agent.name': name, 'keel.run.id': base.runId, 'keel.run.goal': parsed.goal, 'keel.agent.depth': 1, 'keel.workflow.call': key }, async (span) => {
        const rules = base.policy.rules ? (team.rulesFor?.(name) ?? base.policy.rules) : undefined;
        const ran = await runAgent({
          ...base,
          model,
          goal: parsed.goal,
          agent: parsed.agent,
          depth: 1,
          policy: { ...base.policy, rules },
          limits: { ...base.limits, maxSteps: Math.min(parsed.agent?.maxSteps ?? base.limits.maxSteps, rules?.maxSteps ?? Infinity) },
          record: journal?.under(`wf:${key}`, name, parsed.goal) ?? unrecorded,
          span,
        });
        span.setAttributes({ 'keel.run.outcome': ran.outcome });
        if (ran.outcome !== 'succeeded') span.end(ran.outcome === 'cancelled' ? 'cancelled' : 'error', ran.message);
        return ran;
      });
    } finally {
      release();
    }
    // Stopped with the run: nothing is recorded, so a resume runs this call again and its agent replays its steps.
    signal.throwIfAborted();
    outputs.push(output);
    const ok = output.outcome === 'succeeded';
    const failed = output.outcome === 'cancelled' ? l10n.t('The agent {0} cancelled: {1}', name, output.message) : l10n.t('The agent {0} failed: {1}', name, output.message);
    return steps.record(key, 'agent', ok, redacted(ok ? output.message : failed), costUsd);
  }
}

/**
 * One `ask()` call: answered from the journal, or put to the user like an agent's `ask_user` question (the approval
 * center's question card, a notification, the CLI's terminal). A decline is the script's to handle; a stop ends the run.
 */
async function ask(approvals: ApprovalBroker, steps: WorkflowSteps, question: unknown, path: string, at: { runId: string; parent: Span; signal: AbortSignal }, stop: (why: string) => void): Promise<StepReply> {
  if (typeof question !== 'string' || question.trim() === '' || question.length > MAX_QUESTION_CHARS) {
    return refusal(l10n.t('ask(question) takes a question of 1 to {0} characters; got {1}.', MAX_QUESTION_CHARS, describe(question)));
  }
  const key = steps.key('ask', [question]);
  const recorded = steps.recorded(key);
  if (recorded) return recorded;
  const answer = await approvals.askUser({ kind: 'question', question, context: l10n.t('The workflow {0} asks.', path) }, at);
  at.signal.throwIfAborted();
  if (answer.action === 'stop') {
    stop(l10n.t('The user stopped the run when the workflow asked: {0}', question.length > 200 ? `${question.slice(0, 200)}…` : question));
    return refusal(l10n.t('The user stopped the run.'));
  }
  if (answer.action === 'decline') return steps.record(key, 'ask', false, l10n.t('The user declined to answer the question.'), 0);
  return steps.record(key, 'ask', true, redacted(answer.text), 0);
}

type ParsedCall = { readonly agent: AgentDefinition | undefined; readonly goal: string } | { readonly error: string };

/** `agent(name, input)`, `agent({ agent?, goal }, input?)` or `agent(null, goal)`, checked for the script's author. */
function parseAgentCall(spec: unknown, input: unknown, team: Team): ParsedCall {
  const usage = l10n.t('Call agent(name, goal) with an agent definition\'s name (or null for Keel\'s own agent), or agent({ agent?, goal }, input?).');
  let name: string | undefined;
  let goal: string | undefined;
  if (typeof spec === 'string') name = spec;
  else if (spec !== null) {
    const parsed = agentSpec.safeParse(spec);
    if (!parsed.success) return { error: `${l10n.t('agent() was given {0} as its first argument ({1}).', describe(spec), z.prettifyError(parsed.error).replace(/\s*\n\s*/g, '; '))} ${usage}` };
    ({ agent: name, goal } = parsed.data);
  }
  const inputText = input === null ? undefined : typeof input === 'string' ? input : JSON.stringify(input, null, 2);
  const text = (goal && inputText ? `${goal}\n\nInput:\n${inputText}` : (goal ?? inputText ?? '')).trim();
  if (text === '') return { error: `${l10n.t('agent() was given no goal.')} ${usage}` };
  if (text.length > MAX_GOAL_CHARS) return { error: l10n.t('agent()\'s goal is {0} characters; keep it under {1} and pass file paths for the agent to read instead.', text.length, MAX_GOAL_CHARS) };
  if (name === undefined || name === AGENT_NAME) return { agent: undefined, goal: text };
  const agent = team.catalog.agents.get(name);
  if (agent) return { agent, goal: text };
  const names = [...team.catalog.agents.keys()];
  const shown = name.slice(0, 64);
  if (names.length === 0) return { error: l10n.t('No agent is named "{0}". This workspace defines none; use null or "{1}" for Keel\'s own agent.', shown, AGENT_NAME) };
  return { error: l10n.t('No agent is named "{0}". The agents are: {1}; use null or "{2}" for Keel\'s own agent.', shown, names.join(', '), AGENT_NAME) };
}

/** A call refused before it ran: it is not journaled (the same script refuses it again), and does not move the clock. */
function refusal(error: string): StepReply {
  return { ok: false, error, at: 0, costUsd: 0 };
}

function describe(value: unknown): string {
  const json = JSON.stringify(value);
  return json === undefined ? typeof value : json.length > 60 ? `${json.slice(0, 60)}…` : json;
}

function resultText(value: unknown): string {
  if (value === undefined) return l10n.t('The workflow finished without a result.');
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** The run's title: the workflow and, when it is short text, its input. */
function titleOf(path: string, input: unknown): string {
  const detail = typeof input === 'string' ? input : input === undefined || input === null ? '' : JSON.stringify(input);
  const title = detail ? l10n.t('Workflow {0}: {1}', path, detail) : l10n.t('Workflow {0}', path);
  return title.length > 200 ? `${title.slice(0, 199)}…` : title;
}
