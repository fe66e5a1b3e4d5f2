import * as l10n from '@vscode/l10n';
import type { ModelResponse } from 'ollama';
import type { ModelEntry, TaskClass } from './catalog';
import { ModelError, toModelError } from './errors';
import { ollamaClient, ollamaStatus } from './ollamaClient';

/**
 * Ollama serves prompts in a window of `num_ctx` tokens (4096 unless the user raises it) and silently drops
 * the start of longer prompts, whatever the model could take. Suggesting the served window keeps the router
 * from sending more than Ollama will read.
 */
const OLLAMA_DEFAULT_CONTEXT = 4096;
const CHAT_ROLES: TaskClass[] = ['route', 'plan', 'act', 'summarize'];

/**
 * Lists the models an Ollama server has pulled (`GET /api/tags`) as suggested catalogue entries: local and
 * free. What a model can do comes from `/api/show` where the server says it, else is guessed from its name and
 * family, for the user to review before saving them.
 */
export async function discoverOllamaModels(baseUrl: string, signal?: AbortSignal): Promise<ModelEntry[]> {
  const { client } = ollamaClient(baseUrl, signal);
  let models: ModelResponse[];
  try {
    models = (await client.list()).models;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const failure = toModelError(error, { provider: 'ollama', baseUrl, model: '(listing models)' }, ollamaStatus(error));
    // The usual advice names a model to pull; listing needs only the server.
    if (failure instanceof ModelError && failure.kind === 'unreachable') throw new ModelError('unreachable', l10n.t('Could not reach Ollama at {0}. Start it ({1}), or set {2} to where it runs.', baseUrl, '`ollama serve`', '"keel.ollama.baseUrl"'));
    throw failure;
  }
  const capabilities = await Promise.all(models.slice(0, MAX_SHOWN).map((found) => declaredCapabilities(client, found.name)));
  return models.map((found, i) => suggestEntry(baseUrl, found, capabilities[i]));
}

/** Each model is asked about separately; past this many, the rest are guessed from their names. */
const MAX_SHOWN = 50;

/**
 * What the model says it can do (`POST /api/show`, `capabilities: ["completion", "tools", …]`, Ollama 0.6 and
 * later); undefined from an older server, which the guess then covers.
 */
async function declaredCapabilities(client: ReturnType<typeof ollamaClient>['client'], model: string): Promise<ReadonlySet<string> | undefined> {
  try {
    const shown = await client.show({ model });
    return Array.isArray(shown.capabilities) ? new Set(shown.capabilities.filter((c): c is string => typeof c === 'string')) : undefined;
  } catch {
    return undefined;
  }
}

function suggestEntry(baseUrl: string, found: ModelResponse, declared: ReadonlySet<string> | undefined): ModelEntry {
  const families = [found.details?.family, ...(found.details?.families ?? [])].filter(Boolean).join(' ').toLowerCase();
  const embeddings = /embed/i.test(found.name) || /\bbert\b|nomic-bert/.test(families);
  const vision = /\b(clip|mllama)\b/.test(families) || /llava|vision|-vl\b/i.test(found.name);
  return {
    id: `ollama/${found.name}`,
    provider: 'ollama',
    baseUrl,
    model: found.name,
    contextWindow: OLLAMA_DEFAULT_CONTEXT,
    inputPricePerMTok: 0,
    outputPricePerMTok: 0,
    // Without a declaration: most chat models Ollama ships today call tools; the user unticks the ones that do not.
    capabilities: declared ? { tools: declared.has('tools'), vision: declared.has('vision'), embeddings: declared.has('embedding') || embeddings } : { tools: !embeddings, vision, embeddings },
    roles: embeddings ? ['embed'] : CHAT_ROLES,
    local: true,
  };
}
