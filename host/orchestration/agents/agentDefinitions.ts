import * as l10n from '@vscode/l10n';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { minimatch } from 'minimatch';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { AGENT_FOLDERS, FRONT_MATTER, MAX_AGENT_FILE_BYTES, MAX_AGENT_FILES } from '../../../protocol/agentFiles';
import { AGENT_NAME_PATTERN, type AgentInfo } from '../../../protocol/rpc';

/** A runnable agent: its definition's front matter, and its body as instructions for the system prompt. */
export interface AgentDefinition extends AgentInfo {
  readonly instructions: string;
}

const MAX_INSTRUCTIONS_CHARS = 20_000;

const toolPattern = z.string().min(1).max(256);
/** The fields the host reads; `triggers` is the extension's (extension/triggers/agentTriggers.ts), others (VS Code's `handoffs`, …) are left to their readers. */
const frontMatter = z.object({
  // Messages as functions: made when a definition is read, in the language loaded by then.
  name: z.string().regex(AGENT_NAME_PATTERN, { error: () => l10n.t('must be letters, digits, "_", "." or "-", at most 64') }).optional(),
  description: z.string().max(2_000).optional(),
  // A YAML list, or VS Code's comma-separated string.
  tools: z.union([z.array(toolPattern).max(500), z.string().max(10_000)]).optional(),
  model: z.string().min(1).max(256).optional(),
  maxSteps: z.number().int().min(1).max(200).optional(),
  budgetUsd: z.number().positive().max(100_000).optional(),
  delegate: z.boolean().optional(),
  fallback: z.string().regex(AGENT_NAME_PATTERN, { error: () => l10n.t('must name another agent') }).optional(),
});

export type Parsed = { readonly ok: true; readonly agent: AgentDefinition } | { readonly ok: false; readonly problem: string };

/**
 * Reads one definition. A problem names the file and the line of the field at fault, so the user can go to it; the
 * name defaults to the file's name without its suffix.
 */
export function parseAgentDefinition(path: string, text: string, suffix = '.md'): Parsed {
  const fail = (line: number, why: string): Parsed => ({ ok: false, problem: `${path}:${line}: ${why}` });
  const block = FRONT_MATTER.exec(text);
  if (!block) return fail(1, l10n.t('an agent definition starts with front matter between two "---" lines (name, description, tools, …).'));
  const lines = new LineCounter();
  // The front matter starts on the file's second line.
  const lineOf = (offset: number) => lines.linePos(offset).line + 1;
  const document = parseDocument(block[1]!, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const error = document.errors[0];
  if (error) return fail(lineOf(error.pos[0]), l10n.t('the front matter is not valid YAML: {0}', error.message.split('\n')[0]!));
  if (document.contents !== null && !isMap(document.contents)) return fail(2, l10n.t('the front matter must be "key: value" lines.'));
  let value: unknown;
  try {
    // Aliases that expand into millions of nodes are refused rather than built.
    value = document.toJS({ maxAliasCount: 10 });
  } catch (error) {
    return fail(1, l10n.t('the front matter could not be read: {0}', (error as Error).message));
  }
  const fields = frontMatter.safeParse(value ?? {});
  if (!fields.success) {
    const issue = fields.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    const pair = isMap(document.contents) ? document.contents.items.find((item) => isScalar(item.key) && item.key.value === key) : undefined;
    const offset = (isScalar(pair?.key) ? pair.key.range?.[0] : undefined) ?? 0;
    return fail(lineOf(offset), `${key || l10n.t('front matter')}: ${issue.message}`);
  }
  const { name, description, tools, model, maxSteps, budgetUsd, delegate, fallback } = fields.data;
  const fileName = path.split('/').pop()!;
  const agentName = name ?? fileName.slice(0, fileName.length - suffix.length);
  if (!AGENT_NAME_PATTERN.test(agentName)) return fail(2, l10n.t('the file name "{0}" is not an agent name; add "name:" with letters, digits, "_", "." or "-".', fileName));
  if (fallback === agentName) return fail(2, l10n.t('fallback: {0} cannot be its own fallback.', agentName));
  const body = text.slice(block[0].length).trim();
  return {
    ok: true,
    agent: {
      name: agentName,
      description: description ?? (/^#\s+(.+)$/m.exec(body)?.[1]?.trim() ?? ''),
      path,
      ...(tools !== undefined ? { tools: typeof tools === 'string' ? tools.split(',').map((t) => t.trim()).filter(Boolean) : tools } : {}),
      ...(model ? { model } : {}),
      ...(maxSteps ? { maxSteps } : {}),
      ...(budgetUsd ? { budgetUsd } : {}),
      delegate: delegate ?? false,
      ...(fallback ? { fallback } : {}),
      instructions: body.length > MAX_INSTRUCTIONS_CHARS ? body.slice(0, MAX_INSTRUCTIONS_CHARS) : body,
    },
  };
}

/** The workspace's agent definitions, by name; a file that fails is a problem, and every other file still loads. */
export interface AgentCatalog {
  readonly agents: ReadonlyMap<string, AgentDefinition>;
  readonly problems: readonly string[];
}

export async function loadAgentDefinitions(root: string | undefined): Promise<AgentCatalog> {
  const agents = new Map<string, AgentDefinition>();
  const problems: string[] = [];
  if (!root) return { agents, problems };
  for (const { dir, suffix } of AGENT_FOLDERS) {
    const names = await readdir(join(root, dir)).catch(() => [] as string[]);
    for (const file of names.filter((n) => n.endsWith(suffix)).sort().slice(0, MAX_AGENT_FILES)) {
      const path = `${dir}/${file}`;
      const parsed = await readDefinition(root, path, suffix);
      if (!parsed.ok) {
        problems.push(parsed.problem);
        continue;
      }
      const { agent } = parsed;
      const taken = agents.get(agent.name);
      // The first folder wins, as with tools: Keel's own folder before VS Code's.
      if (taken) problems.push(`${path}:1: ${l10n.t('the agent name {0} is taken by {1}; give one of them another "name:".', agent.name, taken.path)}`);
      else agents.set(agent.name, agent);
    }
  }
  for (const agent of agents.values()) {
    if (agent.fallback && !agents.has(agent.fallback)) problems.push(`${agent.path}:1: ${l10n.t('fallback: no agent is named {0}.', agent.fallback)}`);
  }
  return { agents, problems };
}

async function readDefinition(root: string, path: string, suffix: string): Promise<Parsed> {
  try {
    const info = await stat(join(root, path));
    if (!info.isFile()) return { ok: false, problem: `${path}:1: ${l10n.t('not a file.')}` };
    if (info.size > MAX_AGENT_FILE_BYTES) {
      return { ok: false, problem: `${path}:1: ${l10n.t('{0} bytes is too long for an agent definition (at most {1}); move reference text into files the agent can read.', info.size, MAX_AGENT_FILE_BYTES)}` };
    }
    return parseAgentDefinition(path, await readFile(join(root, path), 'utf8'), suffix);
  } catch (error) {
    return { ok: false, problem: `${path}:1: ${l10n.t('could not be read ({0}).', (error as Error).message)}` };
  }
}

/**
 * Whether a definition's allow list lets a tool through: its name or a glob over names (`mcp_github_*`, `*`), or, for an
 * MCP tool, `<server>/<glob>` as VS Code's agent files write it (`github/*`).
 */
export function allowsTool(patterns: readonly string[] | undefined, tool: { readonly name: string; readonly source: string }): boolean {
  if (patterns === undefined) return true;
  const server = tool.source.startsWith('mcp:') ? tool.source.slice(4) : undefined;
  return patterns.some((pattern) => minimatch(tool.name, pattern, { nocase: true }) || (server !== undefined && minimatch(`${server}/${tool.name}`, pattern, { nocase: true })));
}
