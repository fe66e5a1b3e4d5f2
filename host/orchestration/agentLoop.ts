import * as l10n from '@vscode/l10n';
import { setMaxListeners } from 'node:events';
import { minimatch } from 'minimatch';
import type { PrivacySettings } from '../../protocol/models';
import { ApprovalBroker } from '../governance/approvals';
import type { BudgetEscalation, ChatMessage, ToolCall, ToolSpec } from '../models';
import { selectTools } from '../tools/selection';
import { chatInputContent, chatOutputContent } from '../observability/genAiMessages';
import { errorMessage, type Span } from '../observability/tracer';
import type { Tool, ToolOutcome } from '../tools';
import { untrustedFence, untrustedText } from '../memory/recall/untrusted';
import { unrecorded, type StepResponse } from './durable/stepRecorder';
import { allowsTool, type AgentDefinition } from './agents/agentDefinitions';
import type { AgentRunInput, AgentRunOutput } from './agentRun';
import { RunContext } from './runContext';
import { DELEGATE_TOOL, type Team } from './subagents';
import { ASK_USER_TOOL, askUserSpec, StoppedByUser } from './recovery/askUser';
import { Recovery } from './recovery/recovery';
import { runWithFallback } from './recovery/fallback';

/** The agent's name in traces, accounting and per-agent budgets. */
export const AGENT_NAME = 'keel';

/** Tools whose `path` argument changes a file; the episode lists those files as touched. */
const WRITING_TOOLS: ReadonlySet<string> = new Set(['propose_edit', 'create_file']);

/** Past this many tools, models choose worse; the rest are ranked against the goal. */
const DEFAULT_MAX_TOOLS = 40;

const SYSTEM_PROMPT = [
  'You are Keel, a coding agent working inside the user\'s workspace.',
  'Read files with read_file before you change them. Change files only with propose_edit: copy old_text exactly from the file.',
  'The user approves or denies every edit; if an edit is denied, do not propose it again.',
  'When the task is done, answer with a short summary of what you did, without calling tools.',
].join('\n');

const DELEGATION_PROMPT = 'For independent parts of a large task, use the delegate tool; several delegate calls in one answer run in parallel.';

/** Task classes a definition's `model` may name; anything else is taken for a model id. */
const TASK_CLASSES: ReadonlySet<string> = new Set(['plan', 'act', 'summarize']);

function systemPrompt(agent: AgentDefinition | undefined, delegating: boolean): string {
  const parts = [SYSTEM_PROMPT];
  if (delegating) parts.push(DELEGATION_PROMPT);
  if (agent?.instructions) parts.push(`You are the agent "${agent.name}". Your instructions, from ${agent.path}:\n${agent.instructions}`);
  return parts.join('\n\n');
}

/** The agent loop: ask the model, run the tools it calls, feed the results back, until it answers in text. */
export async function runAgent(input: AgentRunInput): Promise<AgentRunOutput> {
  const { span, signal, limits } = input;
  const conversation: ChatMessage[] = [];
  const toolsUsed = new Set<string>();
  const filesTouched = new Set<string>();
  const record = input.record ?? unrecorded;
  const { agent, team } = input;
  const name = agent?.name ?? AGENT_NAME;
  const depth = input.depth ?? 0;
  const session = depth === 0 ? input.session : undefined;
  const tools = agent?.tools ? input.tools.limitedTo((tool) => allowsTool(agent.tools, tool)) : input.tools;
  for (const message of session?.history ?? []) conversation.push(message.role === 'tool' ? { ...message, content: fenceToolResult(tools.get(message.toolName), message.toolName, message.content) } : message);
  /** Puts the steering messages read after `step` in the conversation; whether there were any. */
  const steer = (step: number, last: boolean): boolean => {
    const messages = session ? record.steering(step, () => session.take(last)) : [];
    for (const text of messages) conversation.push({ role: 'user', content: `The user sent this while you were working; take it into account from here on:\n${text}` });
    return messages.length > 0;
  };
  const delegating = team?.mayDelegate(agent, depth) === true;
  // Every subagent working or waiting listens to the run's cancellation; that is many listeners, not a leak.
  if (delegating && depth === 0) setMaxListeners(0, signal);
  const approvals = new ApprovalBroker(record.consent(input.consent), limits.approvalTimeoutMs, input.audit, name);
  const core = new Set(tools.list().filter((t) => t.source === 'builtin').map((t) => t.name));
  const selected = await selectTools(tools.specs(), input.goal, { max: limits.maxTools ?? DEFAULT_MAX_TOOLS, core });
  // Keel's own delegate and ask_user stand in for any tool of those names, as built-ins do.
  const own = delegating && team ? [team.delegateSpec(), askUserSpec] : [askUserSpec];
  const offered = [...selected.offered.filter((t) => !own.some((o) => o.name === t.name)), ...own];
  span.setAttributes({ 'keel.tools.offered': offered.length, 'keel.tools.selection': selected.reason, 'keel.agent.delegates': delegating || undefined });
  // A definition's `model` is a task class, or else a catalogue id the router uses if its rules allow.
  const classed = agent?.model !== undefined && TASK_CLASSES.has(agent.model);
  const self = { name, taskClass: classed ? (agent!.model as 'plan' | 'act' | 'summarize') : ('act' as const), ...(agent?.model && !classed ? { model: agent.model } : {}) };
  /** This agent, as opposed to others of the run who may write the same files. */
  const identity = {};
  let inputTokens = 0;
  let outputTokens = 0;
  let costUsd = 0;
  const privacy = new PrivacyGuard(input.privacy, span);
  const recovery = new Recovery({ approvals, at: { runId: input.runId, parent: span, signal }, record, agentName: name, agent, detectLoops: limits.loopDetection !== false });
  const end = (outcome: AgentRunOutput['outcome'], message: string): AgentRunOutput => ({
    outcome, message, toolsUsed: [...toolsUsed], filesTouched: [...filesTouched], tokens: { input: inputTokens, output: outputTokens },
  });
  /** One call, recorded; an edit or a new file holds its path's lock across the run's agents while it is reviewed. */
  const callTool = (step: number, index: number, call: ToolCall): Promise<ToolOutcome> => {
    const tool = tools.get(call.name);
    const delegated = delegating && call.name === DELEGATE_TOOL;
    const asking = call.name === ASK_USER_TOOL;
    const confirmRepeat = () => approvals.confirmRepeat({ tool: call.name, title: l10n.t('{0} may have run before Keel stopped. Run it again?', call.name), detail: JSON.stringify(call.arguments, null, 2) ?? '' }, { runId: input.runId, parent: span, signal });
    // A delegate call has no effect of its own: resumed, it runs again and its subagent replays its own finished steps.
    const risk = delegated || asking ? 'read' : tool?.risk;
    const recorded = () => record.toolCall({ step, index, call, risk, delegated, repeatable: !delegated && !asking && tool?.risk === 'read', workspace: input.workspace, confirmRepeat }, () =>
      span.within(`execute_tool ${call.name}`, 'execute_tool', { 'gen_ai.tool.name': call.name, 'gen_ai.tool.call.id': call.id }, async (toolSpan) => {
        toolSpan.setContent({ 'gen_ai.tool.call.arguments': call.arguments });
        const outcome = delegated && team
          ? await delegate({ ...input, tools }, team, { step, index, depth, call }, toolSpan)
          : asking
            ? await recovery.questions.ask(call.arguments, { runId: input.runId, parent: toolSpan, signal })
            : await tools.call(call, { runId: input.runId, policy: input.policy, workspace: input.workspace, approvals, audit: input.audit, span: toolSpan, signal, attempts: record.attempts(step, index) });
        toolSpan.setContent({ 'gen_ai.tool.call.result': outcome.content });
        if (!outcome.ok) toolSpan.end('error', outcome.content);
        return outcome;
      }),
    );
    const path = pathArgument(call);
    if (!team || !path || !WRITING_TOOLS.has(call.name)) return recorded();
    return team.files.exclusive(path, async () => {
      const outcome = await recorded();
      if (outcome.ok) team.files.wrote(path, name, identity);
      const other = outcome.ok ? undefined : team.files.changedByOther(path, identity);
      return other ? { ok: false, content: `Conflict: the agent ${other} of this run changed ${path} since you read it, so your change was not applied. Read the file again and base your change on its current text.\n(${outcome.content})` } : outcome;
    });
  };
  try {
    const context = await RunContext.start({ system: systemPrompt(agent, delegating), goal: input.goal, tools: offered, model: input.model, memory: input.memory, who: { runId: input.runId, agent: name }, localOnly: () => privacy.localOnly, span, signal });
    const first = session?.firstStep ?? 1;
    for (let step = first; step < first + limits.maxSteps; step++) {
      const next = await recovery.beforeStep(step, costUsd);
      if ('end' in next) return end(next.end, next.message);
      if (next.guidance) conversation.push({ role: 'user', content: next.guidance });
      const response = await record.response(step, () => chat(input, self, context, conversation, offered, privacy.localOnly, approvals));
      inputTokens += response.usage.inputTokens;
      outputTokens += response.usage.outputTokens;
      costUsd += response.costUsd;
      span.setAttributes({ 'gen_ai.usage.input_tokens': inputTokens, 'gen_ai.usage.output_tokens': outputTokens, 'keel.cost.usd': costUsd, 'keel.run.steps': step, 'keel.run.replayed_steps': record.replayedSteps || undefined });
      span.update();
      const { toolCalls } = response;
      conversation.push({ role: 'assistant', content: response.content, toolCalls });
      if (toolCalls.length === 0) {
        // A message the user sent while the model answered is read before the run ends: the agent goes on with it.
        if (steer(step, true)) continue;
        return end('succeeded', finalAnswer(response.content));
      }
      // Calls run one after another as the model listed them; delegate calls run beside them, under the team's caps.
      let previous: Promise<unknown> = Promise.resolve();
      const inOrder = <T>(work: () => Promise<T>): Promise<T> => {
        const next = previous.then(work, work);
        previous = next;
        return next;
      };
      const results = await Promise.all(toolCalls.map((call, index) => {
        privacy.noteToolCall(call);
        toolsUsed.add(call.name);
        const path = pathArgument(call);
        if (path && WRITING_TOOLS.has(call.name)) filesTouched.add(path);
        if (delegating && call.name === DELEGATE_TOOL) return callTool(step, index, call);
        return inOrder(() => callTool(step, index, call));
      }));
      for (const [index, call] of toolCalls.entries()) {
        const tool = tools.get(call.name);
        // The user's own answer is not fenced as untrusted.
        const content = call.name === ASK_USER_TOOL ? results[index]!.content : fenceToolResult(tool, call.name, results[index]!.content);
        conversation.push({ role: 'tool', content, toolCallId: call.id, toolName: call.name });
      }
      recovery.afterStep(toolCalls, results);
      steer(step, false);
    }
    return end('failed', l10n.t('The agent stopped after {0} model calls without finishing. Narrow the goal or raise {1}.', limits.maxSteps, '"keel.agent.maxSteps"'));
  } catch (error) {
    if (signal.aborted) return end('cancelled', l10n.t('The run was cancelled.'));
    if (error instanceof StoppedByUser) return end('cancelled', error.message);
    return end('failed', errorMessage(error));
  }
}

async function chat(input: AgentRunInput, self: { name: string; taskClass: 'plan' | 'act' | 'summarize'; model?: string }, context: RunContext, conversation: readonly ChatMessage[], tools: readonly ToolSpec[], localOnly: boolean, approvals: ApprovalBroker): Promise<StepResponse> {
  // Named for the model once the router has chosen one (GenAI convention: `chat {model}`).
  return input.span.within('chat', 'chat', {}, async (chatSpan) => {
    const messages = await context.messages(conversation, chatSpan, input.signal);
    chatSpan.setContent(chatInputContent(messages));
    // A budget question is the run's like any other: under this call's span, ended by the run's cancellation.
    const escalate = (escalation: BudgetEscalation) => approvals.approveBudget(escalation, { runId: input.runId, parent: chatSpan, signal: input.signal });
    const request = { messages, tools, taskClass: self.taskClass, model: self.model, goal: input.goal, agent: self.name, runId: input.runId, localOnly, escalate };
    const response = await input.model.chat(request, input.signal, chatSpan);
    chatSpan.rename(`chat ${response.modelId}`);
    chatSpan.setContent(chatOutputContent(response));
    // Which model was paid for what, without a word of the conversation.
    await input.audit?.append({ kind: 'model_call', runId: input.runId, model: response.modelId, inputTokens: response.usage.inputTokens, outputTokens: response.usage.outputTokens, costUsd: response.costUsd });
    return response;
  });
}

/**
 * Runs a subagent for a `delegate` call: once the run's total allows it and a slot is free, a loop of its own with its
 * own conversation and at most its caller's tools, sharing the run's router (its rate limits, cooldowns and budgets), cancellation, journal and file
 * locks. Its answer goes back to the caller fenced like any tool result.
 */
async function delegate(input: AgentRunInput, team: Team, at: { step: number; index: number; depth: number; call: ToolCall }, toolSpan: Span): Promise<ToolOutcome> {
  const parsed = team.parse(at.call.arguments);
  if (!parsed.ok) return parsed;
  if (!team.claim()) return { ok: false, content: `This run has started all ${team.maxSubagents} subagents it may (keel.orchestration.maxSubagents); do the rest of the work yourself.` };
  const { agent, args } = parsed;
  const name = agent?.name ?? AGENT_NAME;
  const depth = at.depth + 1;
  const release = await team.slot(depth, input.signal);
  try {
    return await toolSpan.within(`invoke_agent ${name}`, 'invoke_agent', { 'gen_ai.agent.name': name, 'keel.run.id': input.runId, 'keel.run.goal': args.goal, 'keel.agent.depth': depth }, async (span) => {
      // The subagent's own section of the policy, when the run has a policy.
      const rules = input.policy.rules ? (team.rulesFor?.(name) ?? input.policy.rules) : undefined;
      const output = await runWithFallback({
        ...input,
        goal: args.goal,
        agent,
        depth,
        policy: { ...input.policy, rules },
        limits: { ...input.limits, maxSteps: Math.min(agent?.maxSteps ?? input.limits.maxSteps, rules?.maxSteps ?? Infinity) },
        record: (input.record ?? unrecorded).subagent(at, name, args.goal),
        span,
      }, team.catalog, runAgent);
      // Stopped with the run: no result is recorded, so a resumed run starts this subagent again and it replays its steps.
      input.signal.throwIfAborted();
      span.setAttributes({ 'keel.run.outcome': output.outcome });
      if (output.outcome !== 'succeeded') span.end(output.outcome === 'cancelled' ? 'cancelled' : 'error', output.message);
      return output.outcome === 'succeeded' ? { ok: true, content: output.message } : { ok: false, content: `The subagent ${name} ${output.outcome}: ${output.message}` };
    });
  } finally {
    release();
  }
}

/**
 * The run's privacy: local-only from the start when the workspace says so, and from the first tool call on a
 * file matching `keel.privacy.localOnlyGlobs`, since that file's text is in the conversation from then on.
 */
class PrivacyGuard {
  private local: boolean;

  constructor(private readonly settings: PrivacySettings, private readonly span: Span) {
    this.local = settings.localOnly;
    if (this.local) span.setAttributes({ 'keel.privacy.local_only': l10n.t('workspace setting {0}', 'keel.privacy.localOnly') });
  }

  get localOnly(): boolean {
    return this.local;
  }

  noteToolCall(call: ToolCall): void {
    if (this.local || this.settings.localOnlyGlobs.length === 0) return;
    const path = pathArgument(call);
    if (!path) return;
    const glob = this.settings.localOnlyGlobs.find((pattern) => minimatch(path.replace(/^\.\//, ''), pattern, { dot: true }));
    if (!glob) return;
    this.local = true;
    this.span.setAttributes({ 'keel.privacy.local_only': l10n.t('{0} touched {1}, which matches "{2}"', call.name, path, glob) });
  }
}

/** The longest final answer kept; it goes to a notification, the log and the run's episode. */
const MAX_ANSWER_CHARS = 100_000;

function finalAnswer(content: string): string {
  const answer = content.trim() || l10n.t('The model finished without a summary.');
  return answer.length <= MAX_ANSWER_CHARS ? answer : `${answer.slice(0, MAX_ANSWER_CHARS)}\n[${l10n.t('{0} more characters of the answer were cut', answer.length - MAX_ANSWER_CHARS)}]`;
}

/**
 * A tool's result as the model reads it. Files, command output, web pages and MCP results may carry text written
 * to steer the agent, so they go in the same untrusted fence as recalled memory; secrets in them are redacted, so a
 * model never holds a credential it could be steered into sending somewhere.
 */
function fenceToolResult(tool: Tool<never> | undefined, name: string, result: string): string {
  if (tool?.ownsResultText) return result;
  const fence = untrustedFence({ source: 'tool', tool: name }, `The result of ${name}.`);
  return `${fence.open}\n${untrustedText(result)}\n${fence.close}`;
}

function pathArgument(call: ToolCall): string | undefined {
  const path = (call.arguments as { path?: unknown } | null)?.path;
  return typeof path === 'string' ? path : undefined;
}
