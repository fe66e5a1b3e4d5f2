import { z } from 'zod';
import { zodArgs } from './argsSchema';
import { defineTool, type Tool } from './tool';
import type { Episode, SearchHit, WorkspaceIndex } from '../memory';
// Straight from its module: a value from '../memory' would load all of memory's code along with the tools.
import { untrustedFence, untrustedText } from '../memory/recall/untrusted';

const DEFAULT_LIMIT = 8;
/** Retrieved text goes into the model's context: bounded like read_file's output. */
const MAX_OUTPUT_CHARS = 40_000;

/** Finds past runs by goal, best first; undefined when there is no workspace to have runs of. */
export type PastRunSearch = (query: string, limit: number) => Promise<readonly Episode[] | undefined>;

/**
 * The `search_memory` tool: ranked workspace chunks, or past runs, fenced as untrusted content. `getIndex` opens or
 * awaits the index.
 */
export function searchMemoryTool(getIndex: () => Promise<WorkspaceIndex>, searchPastRuns?: PastRunSearch): Tool<{ query: string; limit?: number; scope?: 'workspace' | 'past_runs' }> {
  return defineTool({
    name: 'search_memory',
    description:
      'Search the indexed workspace for code and docs by topic or identifier (ranked chunks: functions, classes, sections). ' +
      'Use it to find where something is implemented or explained; use search_files for exact text. ' +
      'The query may include path:<glob> and lang:<language>, e.g. "retry backoff path:src/** lang:typescript". ' +
      'Returns path:start-end (symbol) and the chunk text. With scope "past_runs" it searches earlier agent runs in this ' +
      'workspace by goal instead: their outcome, summary, files changed and tools used.',
    risk: 'read',
    source: 'builtin',
    ownsResultText: true,
    args: zodArgs(
      z
        .object({
          query: z.string().min(1).max(500).describe('What to look for: words, identifiers, optional path:/lang: qualifiers'),
          limit: z.number().int().min(1).max(20).optional().describe(`How many chunks to return (default ${DEFAULT_LIMIT})`),
          scope: z.enum(['workspace', 'past_runs']).optional().describe('"workspace" (default): code and docs; "past_runs": earlier agent runs'),
        })
        .strict(),
    ),
    async run({ query, limit, scope }, { span }) {
      span.setAttributes({ 'keel.retrieval.query': query, 'keel.retrieval.scope': scope ?? 'workspace' });
      if (scope === 'past_runs') {
        const runs = (await searchPastRuns?.(query, limit ?? DEFAULT_LIMIT)) ?? [];
        span.setAttributes({ 'keel.retrieval.hits': runs.length });
        if (runs.length === 0) return `No earlier run in this workspace matches "${query}".`;
        return formatRuns(query, runs);
      }
      const index = await getIndex();
      const hits = await index.search(query, { limit: limit ?? DEFAULT_LIMIT });
      span.setAttributes({ 'keel.retrieval.hits': hits.length });
      if (hits.length === 0) return `No indexed workspace content matches "${query}". Try other words or identifiers, or search_files for exact text.`;
      return formatHits(query, hits);
    },
  });
}

/** Hits inside an untrusted fence (see `untrustedFence`), as many as fit in MAX_OUTPUT_CHARS. */
function formatHits(query: string, hits: readonly SearchHit[]): string {
  const parts: string[] = [];
  let chars = 0;
  let shown = 0;
  for (const hit of hits) {
    // Chunks were redacted when indexed; this catches the secret values the host has learned since.
    const part = `--- ${hit.path}:${hit.startLine}-${hit.endLine}${hit.symbol ? ` (${hit.symbol})` : ''}\n${untrustedText(hit.text)}`;
    if (shown > 0 && chars + part.length > MAX_OUTPUT_CHARS) break;
    parts.push(part);
    chars += part.length;
    shown++;
  }
  const omitted = hits.length - shown;
  const fence = untrustedFence({ query }, 'Workspace content retrieved for the query above.');
  return [
    fence.open,
    ...parts,
    ...(omitted > 0 ? [`[${omitted} more hits left out to stay within ${MAX_OUTPUT_CHARS} characters; narrow the query or lower limit]`] : []),
    fence.close,
  ].join('\n');
}

function formatRuns(query: string, runs: readonly Episode[]): string {
  const fence = untrustedFence({ query }, 'Earlier agent runs found for the query above.');
  const parts = runs.map((run) => [
    `--- run ${run.runId} (${run.finishedAt}): ${run.outcome}`,
    `Goal: ${untrustedText(run.goal)}`,
    `Summary: ${untrustedText(run.summary)}`,
    ...(run.filesTouched.length ? [`Files changed: ${run.filesTouched.join(', ')}`] : []),
    ...(run.toolsUsed.length ? [`Tools used: ${run.toolsUsed.join(', ')}`] : []),
  ].join('\n'));
  return [fence.open, ...parts, fence.close].join('\n');
}
