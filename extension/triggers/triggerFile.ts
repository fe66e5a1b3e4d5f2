import * as l10n from '@vscode/l10n';
import { Cron } from 'croner';
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { z } from 'zod';

export const TRIGGERS_FILE = '.keel/triggers.json';
/** A trigger file past this size is refused; it lists rules, not data. */
const MAX_FILE_BYTES = 256 * 1024;

const globs = z.array(z.string().min(1).max(500)).min(1).max(50);

const onSchema = z.union([
  z.object({ fileSaved: globs }).strict(),
  z.object({ fileCreated: globs }).strict(),
  z.object({ fileDeleted: globs }).strict(),
  z.object({ diagnostics: z.object({ globs, severity: z.enum(['error', 'warning']).default('error') }).strict() }).strict(),
  z.object({ schedule: z.string().min(1).max(200).refine(validCron, { error: () => l10n.t('must be a cron expression, e.g. {0} (03:00 every day)', '"0 3 * * *"') }) }).strict(),
  z.object({ command: z.literal(true) }).strict(),
]);

export const triggerSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/, { error: () => l10n.t('must be 1-64 letters, digits, spaces, _, . or -') }),
    on: onSchema,
    /** The run's goal; `${file}` is the first file the event names, `${files}` all of them. */
    goal: z.string().min(1).max(4000),
    /** Events closer together than this are one burst, and start one run. */
    debounceMs: z.number().int().min(100).max(600_000).default(1500),
    maxRunsPerHour: z.number().int().min(1).max(60).default(6),
    paused: z.boolean().default(false),
  })
  .strict();

const fileSchema = z.object({ $schema: z.string().optional(), triggers: z.array(triggerSchema).max(100) }).strict();

/** A trigger as declared; one from an agent definition runs that agent and names its file (`source`). */
export type Trigger = z.infer<typeof triggerSchema> & { readonly agent?: string; readonly source?: string };
export type TriggerKind = 'fileSaved' | 'fileCreated' | 'fileDeleted' | 'diagnostics' | 'schedule' | 'command';

export function kindOf(trigger: Trigger): TriggerKind {
  return Object.keys(trigger.on)[0] as TriggerKind;
}

/** What the file says, or what is wrong with it: the line and the field, so the user can go straight there. */
export type TriggerFileResult = { readonly ok: true; readonly triggers: readonly Trigger[] } | { readonly ok: false; readonly line: number; readonly message: string };

export function parseTriggerFile(text: string): TriggerFileResult {
  if (text.length > MAX_FILE_BYTES) return { ok: false, line: 1, message: l10n.t('{0} is over {1} KiB; it should list triggers, not data.', TRIGGERS_FILE, MAX_FILE_BYTES / 1024) };
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0 || !tree) {
    const first = errors[0];
    const message = first ? l10n.t('{0} is not valid JSON: {1}.', TRIGGERS_FILE, printParseErrorCode(first.error)) : l10n.t('{0} is not valid JSON: empty file.', TRIGGERS_FILE);
    return { ok: false, line: first ? lineAt(text, first.offset) : 1, message };
  }
  const parsed = fileSchema.safeParse(nodeValue(tree));
  if (parsed.success) {
    const names = new Set<string>();
    for (const [index, trigger] of parsed.data.triggers.entries()) {
      if (names.has(trigger.name)) return problemAt(text, tree, ['triggers', index, 'name'], l10n.t('two triggers are named "{0}"; names must be unique', trigger.name));
      names.add(trigger.name);
    }
    return { ok: true, triggers: parsed.data.triggers };
  }
  const issue = parsed.error.issues[0]!;
  return problemAt(text, tree, issue.path as (string | number)[], issue.message);
}

function problemAt(text: string, tree: Node, path: (string | number)[], message: string): TriggerFileResult {
  // The deepest node that exists on the path: a missing field points at the object that lacks it.
  let node: Node | undefined;
  for (let depth = path.length; depth >= 0 && !node; depth--) node = findNodeAtLocation(tree, path.slice(0, depth));
  const problem = path.length ? `${TRIGGERS_FILE}, ${path.join('.')}: ${message}.` : l10n.t('{0}, the file: {1}.', TRIGGERS_FILE, message);
  return { ok: false, line: lineAt(text, node?.offset ?? 0), message: problem };
}

/** The plain value of a parse tree; the tree is what gives each problem its line. */
function nodeValue(node: Node): unknown {
  switch (node.type) {
    case 'object':
      return Object.fromEntries((node.children ?? []).map((p) => [p.children![0]!.value as string, p.children![1] ? nodeValue(p.children![1]) : undefined]));
    case 'array':
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function validCron(expression: string): boolean {
  try {
    new Cron(expression, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}
