import { mkdir, open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { create, insert, search, type Orama } from '@orama/orama';
import { z } from 'zod';
import type { RunOutcome } from '../../protocol/run';
import { BM25_RELEVANCE } from './chunkDb';
import { createCodeTokenizer } from './codeTokenizer';
import { wholeTokenIndex } from './wholeTokenIndex';

const EpisodeSchema = z.object({
  runId: z.string().min(1),
  goal: z.string(),
  /** The agent that ran it; absent in episodes recorded before agents were named. */
  agent: z.string().optional(),
  outcome: z.enum(['succeeded', 'failed', 'cancelled', 'interrupted'] as const satisfies readonly RunOutcome[]),
  /** The final answer or failure message, shortened. */
  summary: z.string(),
  filesTouched: z.array(z.string()),
  toolsUsed: z.array(z.string()),
  tokens: z.object({ input: z.number().int().nonnegative(), output: z.number().int().nonnegative() }),
  /** What the run's model calls cost, in USD; absent in episodes recorded before costs were kept. */
  costUsd: z.number().nonnegative().optional(),
  /** ISO 8601. */
  finishedAt: z.string(),
});

/** One finished agent run, as episodic memory keeps it. */
export type Episode = z.infer<typeof EpisodeSchema>;

const FILE = 'episodes.jsonl';
/** Kept episodes; older ones are dropped when the file holds twice as many. */
const MAX_EPISODES = 2000;
const MAX_SUMMARY_CHARS = 2000;

const SCHEMA = { goal: 'string', summary: 'string' } as const;

/**
 * Episodic memory: finished runs as JSON lines, searchable by goal with BM25 (goal weighted above summary), so an
 * agent can recall how a similar task went.
 */
export class EpisodeStore {
  private readonly episodes: Episode[] = [];

  private constructor(
    private readonly file: string,
    private readonly handle: FileHandle,
    private readonly db: Orama<typeof SCHEMA>,
  ) {}

  /** Loads `episodes.jsonl` from `storageDir` (created if missing); lines that do not parse are skipped. */
  static async open(storageDir: string): Promise<EpisodeStore> {
    await mkdir(storageDir, { recursive: true });
    const file = join(storageDir, FILE);
    const text = await readFile(file, 'utf8').catch(() => '');
    let episodes = parseEpisodes(text);
    const compact = episodes.length > 2 * MAX_EPISODES;
    if (compact) {
      episodes = episodes.slice(-MAX_EPISODES);
      await writeFile(`${file}.tmp`, episodes.map((e) => `${JSON.stringify(e)}\n`).join(''));
      await rename(`${file}.tmp`, file);
    }
    const handle = await open(file, 'a');
    // A line torn by a crash must not swallow the next episode.
    if (!compact && text && !text.endsWith('\n')) await handle.write('\n');
    const store = new EpisodeStore(file, handle, create({ schema: SCHEMA, components: { tokenizer: createCodeTokenizer(), index: wholeTokenIndex } }));
    for (const episode of episodes) await store.add(episode);
    return store;
  }

  /** Appends a finished run. Throws, saying which field is wrong, when the episode is malformed. */
  async record(episode: Episode): Promise<void> {
    const parsed = EpisodeSchema.safeParse({ ...episode, summary: episode.summary.slice(0, MAX_SUMMARY_CHARS) });
    if (!parsed.success) throw new Error(`Not a valid episode for ${this.file}: ${z.prettifyError(parsed.error)}`);
    await this.handle.write(`${JSON.stringify(parsed.data)}\n`);
    await this.add(parsed.data);
  }

  /** Past runs whose goal (and summary) best match `goal`, best first. */
  async search(goal: string, limit = 5): Promise<(Episode & { score: number })[]> {
    if (this.episodes.length === 0) return [];
    const result = await search(this.db, { term: goal, properties: ['goal', 'summary'], boost: { goal: 2 }, limit, relevance: BM25_RELEVANCE });
    return result.hits.map((hit) => ({ ...this.episodes[Number(hit.id)]!, score: hit.score }));
  }

  get size(): number {
    return this.episodes.length;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async add(episode: Episode): Promise<void> {
    await insert(this.db, { id: String(this.episodes.length), goal: episode.goal, summary: episode.summary });
    this.episodes.push(episode);
  }
}

function parseEpisodes(text: string): Episode[] {
  const episodes: Episode[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = EpisodeSchema.safeParse(JSON.parse(line));
      if (parsed.success) episodes.push(parsed.data);
    } catch {
      // A line torn by a crash mid-write: the other episodes still count.
    }
  }
  return episodes;
}
