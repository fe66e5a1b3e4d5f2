import { z } from 'zod';

/**
 * Where a tool call sits in a run: the model response (step, from 1) and its place among that response's calls; a
 * subagent's records carry its `scope` (the `delegate` call that started it, `step:index`, nested with `/`).
 */
const at = { step: z.number().int().min(1), index: z.number().int().min(0), scope: z.string().max(200).optional() };

const time = z.string().max(40);

const toolCall = z.object({ id: z.string(), name: z.string(), arguments: z.unknown(), argumentsError: z.string().optional() });

/**
 * What a side effect was expected to do, recorded with its intent so a resume can tell by the file's content whether
 * it happened: an edit turns the file from `before` into `after` (SHA-256 of the text), a new file has `after`.
 */
const effect = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('edit'), path: z.string(), before: z.string(), after: z.string() }),
  z.object({ kind: z.literal('create'), path: z.string(), after: z.string() }),
  /** A command, an MCP call that is not read-only, sandboxed code: only the user can say whether to repeat it. */
  z.object({ kind: z.literal('other') }),
]);

/**
 * A workflow run's script (`host/orchestration/workflows/`): its file and the SHA-256 of its text (a resume refuses a
 * file changed since), its input, and the seed and start time its `Math.random` and `Date.now` are served from.
 */
const workflowStart = z.object({ path: z.string(), sha256: z.string(), input: z.unknown(), seed: z.number().int(), clock: z.number(), computeMs: z.number().int().optional() });
export type WorkflowStart = z.infer<typeof workflowStart>;

/** Every record a run's journal holds, in the order they are written. */
export const journalRecord = z.discriminatedUnion('type', [
  /** The run's goal and its request without keys, enough to resume it; the trace it belongs to; a workflow run's script. */
  z.object({
    type: z.literal('start'), runId: z.string(), goal: z.string(), request: z.unknown(), traceId: z.string().regex(/^[0-9a-f]{32}$/), time: z.string(),
    kind: z.enum(['agent', 'workflow']).optional(), workflow: workflowStart.optional(),
  }),
  /**
   * A workflow's `agent()` or `ask()` call answered: by the call's key (its arguments' hash and occurrence), the value
   * the script got, the time it got it (its clock) and what it cost. Its agent's own steps are scoped `wf:<key>`.
   */
  z.object({ type: z.literal('workflow_step'), key: z.string().max(200), call: z.enum(['agent', 'ask']), ok: z.boolean(), value: z.string(), at: z.number(), costUsd: z.number() }),
  z.object({
    type: z.literal('model'), step: at.step, scope: at.scope, content: z.string(), toolCalls: z.array(toolCall),
    usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }), costUsd: z.number(), modelId: z.string(), time: time.optional(),
  }),
  /** Written and synced before a side-effecting call starts. */
  z.object({ type: z.literal('intent'), ...at, tool: z.string(), effect }),
  /** A question the user was asked during a call, and later its answer. */
  z.object({ type: z.literal('approval'), ...at, subject: z.string(), state: z.enum(['asked', 'decided']), decision: z.string().optional() }),
  /** `changed`, for an edit or a new file: whether the file was left as the call meant (what an undo reverts). */
  z.object({ type: z.literal('result'), ...at, ok: z.boolean(), content: z.string(), changed: z.boolean().optional(), time: time.optional() }),
  /** An attempt of a call failed transiently and the call is tried again; a resume counts it against the call's attempts. */
  z.object({ type: z.literal('retry'), ...at, attempt: z.number().int().min(1), error: z.string() }),
  /**
   * A `delegate` call started a subagent under `scope` (its result is the call's `result` record), a workflow started an
   * agent, or a failed agent's fallback took over (scope `fallback`, its goal saying what failed).
   */
  z.object({ type: z.literal('subagent'), scope: z.string().max(200), agent: z.string(), goal: z.string() }),
  /** Keel stopped a stuck agent before `step` and asked the user how to go on; written before the answer takes effect. */
  z.object({ type: z.literal('escalation'), step: at.step, scope: at.scope, reason: z.string(), action: z.enum(['answer', 'decline', 'stop']), text: z.string().optional() }),
  /** The host started again and picked the run up; `note` says what it found (a torn last record). */
  z.object({ type: z.literal('resumed'), time: z.string(), note: z.string().optional() }),
  z.object({ type: z.literal('end'), outcome: z.string(), message: z.string(), time: time.optional() }),
  /** The user steered the running run; written when the message arrives, so a resumed run still reads it. */
  z.object({ type: z.literal('steer'), text: z.string(), time }),
  /** The agent read the oldest `count` unread steering messages after step `step` (its tool results, if any). */
  z.object({ type: z.literal('steered'), step: at.step, scope: at.scope, count: z.number().int().min(1) }),
  /** The ended run was continued with the user's follow-up; the records after it are the continuation's. */
  z.object({ type: z.literal('continue'), text: z.string(), time }),
  /** The run's file changes up to here were reverted (`runs/undo`); an undo later reverts only those after it. */
  z.object({ type: z.literal('undone'), files: z.array(z.string()), time }),
]);
export type JournalRecord = z.infer<typeof journalRecord>;
export type StepEffect = z.infer<typeof effect>;
export type RecordedCall = z.infer<typeof toolCall>;
