import * as l10n from '@vscode/l10n';
import { mkdir, open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { create, insert, search, type Orama } from '@orama/orama';
import { z } from 'zod';
import type { RunOutcome } from '../../../protocol/run';
import { redactSecrets } from '../../observability/redaction';
import { createCodeTokenizer } from '../ranking/codeTokenizer';
import { BM25_RELEVANCE, wholeTokenIndex } from '../ranking/wholeTokenIndex';

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

  /**
   * Loads `episodes.jsonl` from `storageDir` (created if missing); lines that do not parse are skipped. A file that
   * still holds a secret (written before Keel redacted it, or one the redactor has learned since) is rewritten without.
   */
  static async open(storageDir: string): Promise<EpisodeStore> {
    await mkdir(storageDir, { recursive: true });
    const file = join(storageDir, FILE);
    const text = await readFile(file, 'utf8').catch(() => '');
    const parsed = parseEpisodes(text);
    let episodes = parsed.map(redactEpisode);
    const compact = episodes.length > 2 * MAX_EPISODES || episodes.some((e, i) => e !== parsed[i]);
    if (compact) {
      if (episodes.length > 2 * MAX_EPISODES) episodes = episodes.slice(-MAX_EPISODES);
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

  /** Appends a finished run, secrets redacted. Throws, saying which field is wrong, when the episode is malformed. */
  async record(episode: Episode): Promise<void> {
    // Redacted before it is shortened, so that a secret cut in two cannot slip past the rules.
    const redacted = redactEpisode(episode);
    const parsed = EpisodeSchema.safeParse({ ...redacted, summary: redacted.summary.slice(0, MAX_SUMMARY_CHARS) });
    if (!parsed.success) throw new Error(l10n.t('Not a valid episode for {0}: {1}', this.file, z.prettifyError(parsed.error)));
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

/** The episode with secrets in its goal and summary redacted; the same object when it holds none. */
function redactEpisode(episode: Episode): Episode {
  const goal = redactSecrets(episode.goal);
  const summary = redactSecrets(episode.summary);
  return goal.redactions || summary.redactions ? { ...episode, goal: goal.text, summary: summary.text } : episode;
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
