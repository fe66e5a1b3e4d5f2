import { create, insertMultiple, search } from '@orama/orama';
import type { ToolSpec } from '../models/types';

/**
 * When more tools are available than a model handles well, offer the core tools plus the ones whose name and
 * description best match the goal (BM25 over Orama), so a long MCP tool list does not crowd out the task.
 */
export async function selectTools(tools: readonly ToolSpec[], goal: string, options: { max: number; core: ReadonlySet<string> }): Promise<{ offered: ToolSpec[]; reason: string }> {
  if (tools.length <= options.max) return { offered: [...tools], reason: `all ${tools.length} tools` };
  const core = tools.filter((t) => options.core.has(t.name));
  const others = tools.filter((t) => !options.core.has(t.name));
  const room = Math.max(0, options.max - core.length);
  const index = create({ schema: { name: 'string', text: 'string' } as const });
  await insertMultiple(index, others.map((t, i) => ({ id: String(i), name: t.name, text: `${splitWords(t.name)} ${t.description}` })));
  const hits = await search(index, { term: goal, properties: ['name', 'text'], limit: room, boost: { name: 2 }, tolerance: 0 });
  const chosen = hits.hits.map((h) => others[Number(h.id)]!);
  // Too few lexical matches: fill with the rest in their listed order rather than offer less than allowed.
  for (const t of others) {
    if (chosen.length >= room) break;
    if (!chosen.includes(t)) chosen.push(t);
  }
  return {
    offered: [...core, ...chosen],
    reason: `${core.length} core + ${chosen.length} of ${others.length} other tools (${hits.count} matched the goal); limit ${options.max}`,
  };
}

/** `mcp__github__create_issue` and `getPullRequest` become words BM25 can match. */
function splitWords(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_\-.]+/g, ' ');
}
