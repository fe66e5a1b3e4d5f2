import * as l10n from '@vscode/l10n';
import OpenAI from 'openai';
import type { Embedder } from './embedder';
import type { ModelEntry } from './catalog';
import { toModelError } from './errors';
import { ollamaClient, ollamaStatus } from './ollamaClient';

/** Texts per request: servers cap a request's inputs (OpenAI at 2,048) and large batches stall progress. */
const BATCH = 64;
/** One batch's limit; a local model embedding 64 chunks on a CPU takes seconds, not minutes. */
const BATCH_TIMEOUT_MS = 120_000;

type Embed = (texts: string[], signal: AbortSignal) => Promise<number[][]>;

/**
 * An embedding model from the catalogue (`embed` role) as the workspace index uses it. The first call learns the
 * model's dimensions; `id` names the entry and model, so vectors from another model are never mixed in.
 */
export async function openEmbedder(entry: ModelEntry, apiKey: string | undefined, signal: AbortSignal = AbortSignal.timeout(BATCH_TIMEOUT_MS)): Promise<Embedder> {
  const embed = entry.provider === 'ollama' ? ollamaEmbed(entry) : entry.provider === 'openai' ? openAIEmbed(entry, apiKey) : undefined;
  if (!embed) throw new Error(l10n.t('"{0}" is one of VS Code\'s models, which offer no embeddings. Give the {1} role to an Ollama or OpenAI embedding model.', entry.id, '"embed"'));
  const [probe] = await embed(['dimensions'], signal);
  if (!probe?.length) throw new Error(l10n.t('{0} at {1} returned an empty embedding. Check that it is an embedding model.', entry.model, entry.baseUrl));
  return {
    id: `${entry.id}:${entry.model}:${probe.length}`,
    dimensions: probe.length,
    async embed(texts) {
      const vectors: number[][] = [];
      for (let start = 0; start < texts.length; start += BATCH) vectors.push(...(await embed(texts.slice(start, start + BATCH), AbortSignal.timeout(BATCH_TIMEOUT_MS))));
      return vectors;
    },
  };
}

function ollamaEmbed(entry: ModelEntry): Embed {
  return async (texts, signal) => {
    const { client, retryAfterMs } = ollamaClient(entry.baseUrl, signal);
    try {
      return (await client.embed({ model: entry.model, input: texts })).embeddings;
    } catch (error) {
      throw toModelError(error, entry, ollamaStatus(error), retryAfterMs());
    }
  };
}

function openAIEmbed(entry: ModelEntry, apiKey: string | undefined): Embed {
  const client = new OpenAI({ baseURL: entry.baseUrl, apiKey: apiKey || 'no-key', maxRetries: 0 });
  return async (texts, signal) => {
    try {
      const { data } = await client.embeddings.create({ model: entry.model, input: texts }, { signal });
      return [...data].sort((a, b) => a.index - b.index).map((item) => item.embedding);
    } catch (error) {
      throw toModelError(error, entry, (error as { status?: number }).status);
    }
  };
}
