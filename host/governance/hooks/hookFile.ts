import * as l10n from '@vscode/l10n';
import { z } from 'zod';

/** The points in a run where hooks are asked. */
export const HOOK_EVENTS = ['beforeToolCall', 'afterToolCall', 'beforeEdit', 'runStart', 'runEnd'] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

export const HOOKS_DIR = '.keel/hooks';

/** The longest a hook may be given; hooks sit on every call's path, so a slow one slows every run. */
export const MAX_HOOK_TIMEOUT_MS = 10_000;
const DEFAULT_HOOK_TIMEOUT_MS = 1000;
/** Hooks decide; they need far less than run_js, and a runaway one should fail fast. */
export const HOOK_MEMORY_BYTES = 16 * 1024 * 1024;

/**
 * A hook file calls `hook({...})` once, in plain JavaScript:
 *
 *   hook({ name: 'no-force-push', events: ['beforeToolCall'], tools: ['run_command'],
 *          run(event) { return /--force/.test(event.arguments.command) ? { decision: 'deny', reason: '…' } : undefined; } });
 *
 * The file only ever runs in the sandbox: once to read its manifest, then once per event it is asked about.
 */
export const DEFINE_HOOK = 'let __hook; function hook(definition) { __hook = definition; }\n';
/** Reads the manifest; its complaints are in the user's language, as JSON strings so that they stay data in the code. */
export function readManifest(): string {
  return (
    `\n;if (!__hook) throw new Error(${JSON.stringify(l10n.t('the file never calls {0}', 'hook({...})'))});\n` +
    `if (typeof __hook.run !== "function") throw new Error(${JSON.stringify(l10n.t('{0} needs a {1} function', 'hook({...})', 'run(event)'))});\n` +
    'return { name: __hook.name, events: __hook.events, tools: __hook.tools, capabilities: __hook.capabilities ?? [], timeoutMs: __hook.timeoutMs, onError: __hook.onError };'
  );
}
export const CALL_HOOK = '\n;return (await __hook.run(input)) ?? null;';

export const hookManifestSchema = z.object({
  name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_.-]{0,63}$/, { error: () => l10n.t('name must be letters, digits, _, . or -, starting with a letter') }),
  events: z.array(z.enum(HOOK_EVENTS)).min(1, { error: () => l10n.t('events must name at least one of {0}', HOOK_EVENTS.join(', ')) }),
  /** Globs over tool names (MCP tools are `mcp__<server>__<tool>`); every tool when absent. */
  tools: z.array(z.string().min(1).max(200)).max(100).optional(),
  capabilities: z.array(z.enum(['readFile', 'listFiles'])).default([]),
  timeoutMs: z.number().int().min(10).max(MAX_HOOK_TIMEOUT_MS).default(DEFAULT_HOOK_TIMEOUT_MS),
  /** A hook that throws, times out or answers nonsense denies (`deny`) unless it declares `allow`. */
  onError: z.enum(['deny', 'allow']).default('deny'),
});

export type HookManifest = z.infer<typeof hookManifestSchema>;

const MAX_REASON_CHARS = 2000;

/** What a hook's `run` may return; `null` (nothing returned) is `allow`. */
export const hookAnswerSchema = z
  .object({
    decision: z.enum(['allow', 'deny', 'ask']),
    reason: z.string().max(MAX_REASON_CHARS, { error: () => l10n.t('reason is longer than {0} characters', MAX_REASON_CHARS) }).optional(),
    /** beforeToolCall only: the arguments the call goes ahead with (validated against the tool's schema again). */
    arguments: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .nullable();

export type HookAnswer = NonNullable<z.infer<typeof hookAnswerSchema>>;
