/**
 * The main thread's side of capability calls for one execution. Arguments arrive as JSON text from the guest
 * and are validated before any capability runs; results are validated and leave as JSON text; errors leave as
 * their message only.
 */
import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import type { HostReply } from './messages';
import type { SandboxCapabilities } from './types';

/** How many capability calls of one execution run at once; the rest wait their turn. */
const CONCURRENT_CALLS = 8;
const MAX_ERROR_CHARS = 2000;

const fetchInit = z.strictObject({
  method: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
});

const CAPABILITIES = {
  readFile: {
    usage: () => l10n.t('{0} takes one string: a path relative to the workspace root', 'readFile(path)'),
    args: z.tuple([z.string()]),
    result: z.string(),
  },
  listFiles: {
    usage: () => l10n.t('{0} takes one string: a glob relative to the workspace root, like {1}', 'listFiles(glob)', '"src/**/*.ts"'),
    args: z.tuple([z.string()]),
    result: z.array(z.string()),
  },
  fetch: {
    usage: () => l10n.t('{0} takes a URL string and optionally {1} with string values', 'fetch(url, init?)', '{ method, headers, body }'),
    args: z.tuple([z.string(), fetchInit.nullish()]),
    result: z.strictObject({ status: z.number().int(), headers: z.record(z.string(), z.string()), body: z.string() }),
  },
  // The orchestration capabilities of workflows take the guest's values as they are: the workflow runner checks them
  // and words its refusals for the workflow's author.
  agent: {
    usage: () => l10n.t('{0} takes an agent name or {1}, and optionally the input', 'agent(nameOrSpec, input?)', '{ agent?, goal }'),
    args: z.tuple([z.unknown(), z.unknown().optional()]),
    result: z.unknown(),
  },
  ask: {
    usage: () => l10n.t('{0} takes one string', 'ask(question)'),
    args: z.tuple([z.unknown()]),
    result: z.unknown(),
  },
} as const;

type CapabilityName = keyof typeof CAPABILITIES;
const ORCHESTRATION: ReadonlySet<string> = new Set<CapabilityName>(['agent', 'ask']);

export class CapabilityHost {
  /** The capabilities this execution was granted, which the guest sees as globals. */
  readonly names: readonly CapabilityName[];
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly capabilities: SandboxCapabilities) {
    this.names = (Object.keys(CAPABILITIES) as CapabilityName[]).filter((name) => typeof capabilities[name] === 'function');
  }

  async call(name: string, argsJson: string): Promise<HostReply> {
    try {
      if (!this.names.includes(name as CapabilityName)) throw new Error(l10n.t('{0} is not available in this sandbox.', name));
      const capability = CAPABILITIES[name as CapabilityName];
      const args = capability.args.safeParse(JSON.parse(argsJson));
      if (!args.success) throw new Error(l10n.t('Invalid arguments: {0} ({1}).', capability.usage(), z.prettifyError(args.error).replace(/\s*\n\s*/g, '; ')));
      // Orchestration calls wait on agents and people, under caps of their own (the run's parallel agents); they do
      // not take turns with file and network calls, or eight waiting agents would hold every other call back.
      const takesTurn = !ORCHESTRATION.has(name);
      if (takesTurn) await this.turn();
      try {
        const result = capability.result.safeParse(await this.invoke(name as CapabilityName, args.data));
        if (!result.success) throw new Error(l10n.t("{0} returned a value of the wrong shape; this is a bug in the host's {0} capability.", name));
        return { ok: true, json: JSON.stringify(result.data) };
      } finally {
        if (takesTurn) this.passTurn();
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, message: message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS)}…` : message };
    }
  }

  /** Drops calls still waiting for their turn: the execution is over and nobody will read their replies. */
  close(): void {
    this.queue.length = 0;
  }

  private async turn(): Promise<void> {
    if (this.running < CONCURRENT_CALLS) this.running++;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
  }

  /** Hands a finished call's turn straight to the next waiting call, so the count never overshoots. */
  private passTurn(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.running--;
  }

  private invoke(name: CapabilityName, args: readonly unknown[]): Promise<unknown> {
    const { readFile, listFiles, fetch, agent, ask } = this.capabilities;
    switch (name) {
      case 'readFile':
        return readFile!.call(this.capabilities, args[0] as string);
      case 'listFiles':
        return listFiles!.call(this.capabilities, args[0] as string);
      case 'fetch':
        return fetch!.call(this.capabilities, args[0] as string, (args[1] ?? {}) as z.infer<typeof fetchInit>);
      case 'agent':
        return agent!.call(this.capabilities, args[0], args[1]);
      case 'ask':
        return ask!.call(this.capabilities, args[0]);
    }
  }
}
