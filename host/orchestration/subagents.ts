import * as l10n from '@vscode/l10n';
import { posix } from 'node:path';
import { z } from 'zod';
import type { RunLimits } from '../../protocol/run';
import type { RunPolicy } from '../governance/policy/runPolicy';
import type { ToolSpec } from '../models';
import type { AgentCatalog, AgentDefinition } from './agents/agentDefinitions';

/** The tool with which an agent hands a sub-goal to another agent. */
export const DELEGATE_TOOL = 'delegate';

/** The run's own agent is depth 0; its subagents 1; theirs 2, who may not delegate further. */
const MAX_DEPTH = 2;
export const DEFAULT_MAX_PARALLEL = 4;
export const DEFAULT_MAX_SUBAGENTS = 16;

const delegateArgs = z.strictObject({
  agent: z.string().min(1).max(64).optional(),
  goal: z.string().trim().min(1, 'must say what the subagent should do').max(20_000),
});
export type DelegateArgs = z.infer<typeof delegateArgs>;

/**
 * What one run's agents share: the run's agent definitions, a cap on subagents working at once and on subagents in
 * all, and the per-file locks that keep two agents from reviewing edits of one file at the same time.
 */
export class Team {
  /** One pool of slots per depth: a subagent waiting for its own subagents never holds the slot they need. */
  private readonly slots = new Map<number, Slots>();
  private started = 0;
  readonly files = new FileLocks();
  readonly maxParallel: number;
  readonly maxSubagents: number;

  /** `rulesFor` gives a subagent its own section of the policy; absent, subagents follow the run's rules. */
  constructor(readonly catalog: AgentCatalog, limits: Pick<RunLimits, 'maxParallel' | 'maxSubagents'>, readonly rulesFor?: (agent: string) => RunPolicy | undefined) {
    this.maxParallel = limits.maxParallel ?? DEFAULT_MAX_PARALLEL;
    this.maxSubagents = limits.maxSubagents ?? DEFAULT_MAX_SUBAGENTS;
  }

  /** The default agent delegates unless delegation is off; a defined agent only if its definition says so. */
  mayDelegate(agent: AgentDefinition | undefined, depth: number): boolean {
    if (this.maxParallel === 0 || this.maxSubagents === 0 || depth >= MAX_DEPTH) return false;
    return agent ? agent.delegate : depth === 0;
  }

  /** Counts a subagent against the run's total; false once the total is reached. */
  claim(): boolean {
    if (this.started >= this.maxSubagents) return false;
    this.started++;
    return true;
  }

  /** Waits for a free slot among subagents of `depth`; call the answer to give it back. */
  slot(depth: number, signal: AbortSignal): Promise<() => void> {
    let pool = this.slots.get(depth);
    if (!pool) this.slots.set(depth, (pool = new Slots(this.maxParallel)));
    return pool.take(signal);
  }

  /** The tool as the model sees it, listing the agents it may name. */
  delegateSpec(): ToolSpec {
    const agents = [...this.catalog.agents.values()].map((a) => `- ${a.name}: ${a.description || '(no description)'}`).join('\n');
    return {
      name: DELEGATE_TOOL,
      description:
        'Hand a self-contained sub-goal to another agent. It works with its own conversation and tools and returns its final answer. ' +
        `Several delegate calls in one answer run in parallel (at most ${this.maxParallel} at once, ${this.maxSubagents} in this run). ` +
        'Give each a goal that does not depend on the others, and do not let two of them edit the same file.' +
        (agents ? `\nAgents (omit "agent" for a general coding agent):\n${agents}` : ''),
      parameters: {
        type: 'object',
        properties: {
          ...(this.catalog.agents.size > 0 ? { agent: { type: 'string', enum: [...this.catalog.agents.keys()], description: 'Which agent; omit for a general coding agent' } } : {}),
          goal: { type: 'string', description: 'What the subagent should do and what it should answer with' },
        },
        required: ['goal'],
        additionalProperties: false,
      },
    };
  }

  /** The call's arguments and the agent they name, or what is wrong with them, for the model to correct. */
  parse(args: unknown): { ok: true; args: DelegateArgs; agent: AgentDefinition | undefined } | { ok: false; content: string } {
    const parsed = delegateArgs.safeParse(args);
    if (!parsed.success) return { ok: false, content: `Invalid arguments for delegate: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ')}. Send { "goal": "…" } and optionally "agent".` };
    const { agent } = parsed.data;
    const definition = agent === undefined ? undefined : this.catalog.agents.get(agent);
    if (agent !== undefined && !definition) {
      const names = [...this.catalog.agents.keys()];
      return { ok: false, content: `No agent is named "${agent}". ${names.length ? `The agents are: ${names.join(', ')}.` : 'This workspace defines no agents; omit "agent".'}` };
    }
    return { ok: true, args: parsed.data, agent: definition };
  }
}

/** A counting semaphore whose waiters leave when their run is cancelled. */
class Slots {
  private readonly waiting: (() => void)[] = [];

  constructor(private free: number) {}

  async take(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (this.free > 0) this.free--;
    else {
      await new Promise<void>((resolve, reject) => {
        const granted = () => {
          signal.removeEventListener('abort', aborted);
          resolve();
        };
        const aborted = () => {
          this.waiting.splice(this.waiting.indexOf(granted), 1);
          reject(signal.reason instanceof Error ? signal.reason : new Error(l10n.t('The run was cancelled.')));
        };
        this.waiting.push(granted);
        signal.addEventListener('abort', aborted, { once: true });
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // A waiter takes the slot over directly, so a newcomer cannot overtake it.
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/**
 * One file's edits go through one at a time across a run's agents: reading it, asking the user and applying the
 * change happen under the file's lock, so the second agent's edit is checked against the first one's result. Who
 * wrote each file last tells an agent whose edit no longer matches that it is a conflict, not a typo.
 */
export class FileLocks {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly writers = new Map<string, { readonly agent: string; readonly by: object }>();

  async exclusive<T>(path: string, work: () => Promise<T>): Promise<T> {
    const key = fileKey(path);
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  wrote(path: string, agent: string, by: object): void {
    this.writers.set(fileKey(path), { agent, by });
  }

  /** The agent that last changed `path`, if it was another than `by`. */
  changedByOther(path: string, by: object): string | undefined {
    const writer = this.writers.get(fileKey(path));
    return writer && writer.by !== by ? writer.agent : undefined;
  }
}

function fileKey(path: string): string {
  return posix.normalize(path.replace(/\\/g, '/')).replace(/^\.\//, '');
}
