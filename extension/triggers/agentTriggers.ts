import * as l10n from '@vscode/l10n';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { FRONT_MATTER } from '../../protocol/agentFiles';
import { AGENT_NAME_PATTERN } from '../../protocol/rpc';
import { triggerSchema, type Trigger } from './triggerFile';

/** A trigger that could not be read: the file and line to go to, and what is wrong. */
export interface TriggerProblem {
  readonly path: string;
  readonly line: number;
  readonly message: string;
}

const MAX_TRIGGERS = 20;

/**
 * The triggers an agent definition declares in its front matter (`triggers:`, a list of entries shaped like those of
 * `.keel/triggers.json`), each starting a run of that agent. A definition without the field has none; a wrong entry is
 * a problem naming the file and its line, and the definition's other entries still load.
 */
export function parseAgentTriggers(path: string, text: string, suffix: string): { triggers: Trigger[]; problems: TriggerProblem[] } {
  const triggers: Trigger[] = [];
  const problems: TriggerProblem[] = [];
  const block = FRONT_MATTER.exec(text);
  // Only a definition that declares triggers is this reader's business; the host reports the rest when it runs one.
  if (!block || !/^triggers\s*:/m.test(block[1]!)) return { triggers, problems };
  const lines = new LineCounter();
  const lineOf = (offset: number | undefined) => lines.linePos(offset ?? 0).line + 1;
  const problem = (offset: number | undefined, message: string) => problems.push({ path, line: lineOf(offset), message: `${path}: ${message}` });
  const document = parseDocument(block[1]!, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const error = document.errors[0];
  if (error) {
    problem(error.pos[0], l10n.t('the front matter is not valid YAML ({0}), so its triggers are off.', error.message.split('\n')[0]!));
    return { triggers, problems };
  }
  if (!isMap(document.contents)) return { triggers, problems };
  const pairs = document.contents.items;
  const named = pairs.find((p) => isScalar(p.key) && p.key.value === 'name')?.value;
  const fileName = path.split('/').pop()!;
  const agent = isScalar(named) && typeof named.value === 'string' ? named.value : fileName.slice(0, fileName.length - suffix.length);
  const pair = pairs.find((p) => isScalar(p.key) && p.key.value === 'triggers')!;
  const keyOffset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
  if (!AGENT_NAME_PATTERN.test(agent)) {
    problem(keyOffset, l10n.t('"{0}" is not an agent name, so its triggers are off; add "name:" with letters, digits, "_", "." or "-".', agent));
    return { triggers, problems };
  }
  if (!isSeq(pair.value)) {
    problem(keyOffset, l10n.t('triggers: must be a list of triggers, each like an entry of {0} ({1}).', '.keel/triggers.json', '{ name, on, goal }'));
    return { triggers, problems };
  }
  let entries: unknown[];
  try {
    // Aliases that expand into millions of nodes are refused rather than built.
    entries = (document.toJS({ maxAliasCount: 10 }) as { triggers: unknown[] }).triggers;
  } catch (error) {
    problem(keyOffset, l10n.t('the front matter could not be read ({0}), so its triggers are off.', (error as Error).message));
    return { triggers, problems };
  }
  for (const [index, entry] of entries.slice(0, MAX_TRIGGERS).entries()) {
    const parsed = triggerSchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      problem(offsetOf(nodeAt(pair.value.items[index], issue.path as (string | number)[])), `triggers[${index}]${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}.`);
      continue;
    }
    triggers.push({ ...parsed.data, agent, source: path });
  }
  if (pair.value.items.length > MAX_TRIGGERS) problem(keyOffset, l10n.t('only the first {0} triggers are used.', MAX_TRIGGERS));
  return { triggers, problems };
}

/** The deepest node on `path` that exists: a missing field points at the entry that lacks it. */
function nodeAt(node: unknown, path: readonly (string | number)[]): unknown {
  for (const key of path) {
    const next: unknown = isMap(node) || isSeq(node) ? node.get(key, true) : undefined;
    if (!next) break;
    node = next;
  }
  return node;
}

function offsetOf(node: unknown): number | undefined {
  return (node as { range?: [number, number, number] } | null)?.range?.[0];
}
