import * as l10n from '@vscode/l10n';
import type { AgentRunInput, AgentRunOutput } from '../agentRun';
import type { AgentCatalog } from '../agents/agentDefinitions';
import { unrecorded } from '../durable/stepRecorder';

/** How much of the failed agent's message the fallback is told; the rest is in the trace. */
const MAX_FAILURE_CHARS = 2_000;

/**
 * Runs an agent (a run's own, or a subagent a `delegate` call started) and, when it fails (not when it is cancelled
 * or the user stopped it) and its definition names a `fallback`, lets that agent take over with the goal and what failed, under its own `invoke_agent` span beneath the
 * run's. The fallback's steps are journaled under their own scope: a resumed run whose fallback had started goes
 * straight back to it instead of running the failed agent again. A fallback's own fallback is not followed, so two
 * definitions naming each other cannot take turns forever.
 */
export async function runWithFallback(input: AgentRunInput, catalog: AgentCatalog, run: (input: AgentRunInput) => Promise<AgentRunOutput>): Promise<AgentRunOutput> {
  const record = input.record ?? unrecorded;
  const fallback = input.agent?.fallback === undefined ? undefined : catalog.agents.get(input.agent.fallback);
  if (!input.agent || !fallback) return run(input);
  const started = record.fallbackStarted;
  const first = started ? undefined : await run(input);
  if (first && (first.outcome !== 'failed' || input.signal.aborted)) return first;
  const goal = started?.goal ?? fallbackGoal(input.goal, input.agent.name, first!.message);
  input.span.setAttributes({ 'keel.recovery.fallback': fallback.name });
  // The fallback's own section of the policy, when the run has a policy, as for any agent the run starts.
  const rules = input.policy.rules ? (input.team?.rulesFor?.(fallback.name) ?? input.policy.rules) : undefined;
  const attributes = { 'gen_ai.agent.name': fallback.name, 'keel.run.id': input.runId, 'keel.run.goal': goal, 'keel.agent.fallback_for': input.agent.name };
  const second = await input.span.within(`invoke_agent ${fallback.name}`, 'invoke_agent', attributes, async (span) => {
    const output = await run({
      ...input,
      goal,
      agent: { ...fallback, fallback: undefined },
      policy: { ...input.policy, rules },
      limits: { ...input.limits, maxSteps: Math.min(fallback.maxSteps ?? input.limits.maxSteps, rules?.maxSteps ?? Infinity) },
      record: record.fallback(fallback.name, goal),
      span,
    });
    span.setAttributes({ 'keel.run.outcome': output.outcome });
    if (output.outcome !== 'succeeded') span.end(output.outcome === 'cancelled' ? 'cancelled' : 'error', output.message);
    return output;
  });
  if (!first) return second;
  return {
    outcome: second.outcome,
    message: l10n.t('{0} failed, so {1} took over: {2}', input.agent.name, fallback.name, second.message),
    toolsUsed: [...new Set([...first.toolsUsed, ...second.toolsUsed])],
    filesTouched: [...new Set([...first.filesTouched, ...second.filesTouched])],
    tokens: { input: first.tokens.input + second.tokens.input, output: first.tokens.output + second.tokens.output },
  };
}

function fallbackGoal(goal: string, failed: string, why: string): string {
  const reason = why.length > MAX_FAILURE_CHARS ? `${why.slice(0, MAX_FAILURE_CHARS)}…` : why;
  return `${goal}\n\nThe agent ${failed} worked on this first and failed: ${reason}\nIt may have changed files already: look before you act, and do not repeat what failed.`;
}
