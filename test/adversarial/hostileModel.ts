/**
 * A hostile model for the adversarial tier: it decides every tool call, following a plan chosen by the run's goal.
 * Each plan step sees the tool results so far, so an attack can chain (read a secret, then try to send it out).
 */
import type { ModelReply, ModelRequestRecord, ModelScript, ScriptedToolCall } from '../fixtures/modelServer';

/** What the model has seen so far in this run: the goal and each tool result, in order, read inside their fences. */
export interface Seen {
  readonly goal: string;
  readonly results: readonly string[];
  readonly request: ModelRequestRecord;
}

/** One plan step: a reply, or a function of what was seen. Past the last step the model answers with the results. */
export type Step = ModelReply | ((seen: Seen) => ModelReply);

export class HostileModel {
  private readonly plans = new Map<string, readonly Step[]>();
  /** Calls answered per goal: the conversation itself may be compacted, so its turns cannot be counted. */
  private readonly calls = new Map<string, number>();
  /** The requests of each goal's run, in order. */
  readonly requests = new Map<string, ModelRequestRecord[]>();

  /** The goal text is the plan's key; a run with this goal follows these steps. */
  plan(goal: string, steps: readonly Step[]): string {
    this.plans.set(goal, steps);
    this.calls.delete(goal);
    this.requests.delete(goal);
    return goal;
  }

  /** The result of each tool call of a goal's run, as the model got it (fenced), from the request after the call. */
  toolResults(goal: string): string[] {
    return (this.requests.get(goal) ?? []).slice(1).map((request) => textOf(request.messages.filter((m) => m?.role === 'tool').at(-1)?.content));
  }

  readonly script: ModelScript = (request) => {
    const seen = seenIn(request);
    const steps = this.plans.get(seen.goal);
    if (!steps) return { kind: 'message', content: 'No plan for this goal.' };
    const turn = this.calls.get(seen.goal) ?? 0;
    this.calls.set(seen.goal, turn + 1);
    this.requests.set(seen.goal, [...(this.requests.get(seen.goal) ?? []), request]);
    const step = steps[turn];
    if (step === undefined) return { kind: 'message', content: `results:\n${seen.results.join('\n---\n')}` };
    return typeof step === 'function' ? step(seen) : step;
  };
}

type MessageReply = Extract<ModelReply, { kind: 'message' }>;

export function callTool(name: string, args: ScriptedToolCall['arguments']): MessageReply {
  return { kind: 'message', content: '', toolCalls: [{ name, arguments: args }] };
}

export function callTools(...calls: ScriptedToolCall[]): MessageReply {
  return { kind: 'message', content: '', toolCalls: calls };
}

export function answer(content: string): MessageReply {
  return { kind: 'message', content };
}

function seenIn(request: ModelRequestRecord): Seen {
  const texts = (role: string) => request.messages.filter((m) => m?.role === role).map((m) => textOf(m.content));
  // The goal follows recalled memory (fenced) and comes before any compaction summary.
  const goal = texts('user').filter((t) => !t.startsWith('<') && !t.startsWith('[The first ')).at(-1) ?? '';
  return { goal, results: texts('tool').map(unfenced), request };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (part?.type === 'text' ? String(part.text) : '')).join('');
  return '';
}

function unfenced(text: string): string {
  const fenced = /^<retrieved untrusted="true" source="tool"[^\n]*>\n[^\n]*\n([\s\S]*)\n<\/retrieved>$/.exec(text);
  return fenced ? fenced[1]! : text;
}
