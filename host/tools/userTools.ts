import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import type { Sandbox } from '../sandbox';
import { jsonSchemaArgs } from './argsSchema';
import { describeExecution, evalInSandbox, grantCapabilities, type CapabilityName } from './sandboxedRun';
import type { Tool } from './tool';

export const USER_TOOLS_DIR = join('.keel', 'tools');

/**
 * A user tool file calls `tool({...})` once, in plain JavaScript:
 *
 *   tool({ name: 'word_count', description: '…', input: { type: 'object', … }, capabilities: ['readFile'],
 *          async run(input) { return (await readFile(input.path)).split(/\s+/).length; } });
 *
 * The file only ever runs in the sandbox: once to read its manifest, then once per call.
 */
const DEFINE = 'let __tool; function tool(definition) { __tool = definition; }\n';
/** Reads the manifest; its complaint is in the user's language, as a JSON string so that it stays data in the code. */
const readManifest = () =>
  `\n;if (!__tool) throw new Error(${JSON.stringify(l10n.t('the file never calls {0}', 'tool({...})'))});\nreturn { name: __tool.name, description: __tool.description, input: __tool.input, capabilities: __tool.capabilities ?? [] };`;
const CALL = '\n;return await __tool.run(input);';

const manifestSchema = z.object({
  name: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,63}$/, { error: () => l10n.t('name must be letters, digits, _ or -, starting with a letter') })
    // MCP tools are named mcp__<server>__<tool>; a workspace file must not pass for one of them.
    .refine((name) => !name.toLowerCase().startsWith('mcp__'), { error: () => l10n.t('names starting with {0} are reserved for MCP servers\' tools', 'mcp__') }),
  description: z.string().min(1, { error: () => l10n.t('description is empty') }),
  input: z.record(z.string(), z.unknown()).default({ type: 'object', properties: {} }),
  capabilities: z.array(z.enum(['readFile', 'listFiles', 'fetch'])).default([]),
});

export interface UserToolsResult {
  readonly tools: Tool<never>[];
  /** Files that could not be loaded, with why, for the log and "Keel: Show Tools". */
  readonly problems: string[];
}

/** Loads `.keel/tools/*.js`, caching each file's manifest until the file changes. */
export class UserTools {
  private readonly cache = new Map<string, { mtimeMs: number; tool?: Tool<never>; problem?: string }>();

  constructor(private readonly getSandbox: () => Sandbox, private readonly log: (message: string) => void = () => undefined) {}

  async load(root: string): Promise<UserToolsResult> {
    const dir = join(root, USER_TOOLS_DIR);
    const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.js')).sort();
    const tools: Tool<never>[] = [];
    const problems: string[] = [];
    for (const file of files) {
      const path = join(dir, file);
      const { mtimeMs } = await stat(path);
      let entry = this.cache.get(path);
      if (!entry || entry.mtimeMs !== mtimeMs) {
        entry = { mtimeMs, ...(await this.define(root, `${USER_TOOLS_DIR}/${file}`, await readFile(path, 'utf8'))) };
        this.cache.set(path, entry);
        this.log(entry.problem ? `user tool not loaded: ${entry.problem}` : `user tool ${entry.tool!.name} loaded from ${USER_TOOLS_DIR}/${file}`);
      }
      if (entry.tool) tools.push(entry.tool);
      if (entry.problem) problems.push(entry.problem);
    }
    return { tools, problems };
  }

  private async define(root: string, file: string, source: string): Promise<{ tool?: Tool<never>; problem?: string }> {
    const result = await this.getSandbox().execute({ code: DEFINE + source + readManifest() });
    if (result.outcome !== 'ok') return { problem: `${file}: ${result.error}` };
    const manifest = manifestSchema.safeParse(result.value);
    if (!manifest.success) return { problem: `${file}: ${z.prettifyError(manifest.error)}` };
    const { name, description, input, capabilities } = manifest.data;
    let args;
    try {
      args = jsonSchemaArgs(input);
    } catch (error) {
      return { problem: `${file}: ${(error as Error).message}` };
    }
    const getSandbox = this.getSandbox;
    const tool: Tool<Record<string, unknown>> = {
      name,
      description: `${description} (user tool ${file})`,
      // Sandboxed code can only read, unless its manifest asks for fetch: then it can send data out.
      risk: capabilities.includes('fetch') ? 'network' : 'read',
      source: `user:${file}`,
      describeCall: (_args, policy) => {
        const hosts = policy.allowHosts.join(', ') || l10n.t('no host (none is allow-listed)');
        const reach = capabilities.includes('readFile') ? l10n.t('It can read workspace files and send data to {0}.', hosts) : l10n.t('It can send data to {0}.', hosts);
        return `${l10n.t('Run {0} from {1}?', name, file)} ${reach}`;
      },
      args,
      async run(callInput, { policy, span, signal }) {
        const granted = grantCapabilities(capabilities as CapabilityName[], root, policy.allowHosts);
        const execution = await evalInSandbox(getSandbox(), { code: DEFINE + source + CALL, input: callInput, capabilities: granted }, span, signal);
        const text = describeExecution(execution);
        if (execution.outcome !== 'ok') throw new Error(text);
        return text;
      },
    };
    return { tool: tool as Tool<never> };
  }
}
