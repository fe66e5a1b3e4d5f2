import * as l10n from '@vscode/l10n';
import type { ModelCheckResult } from '../../protocol/rpc';
import type { ModelEntry } from './catalog';
import { ModelError } from './errors';
import type { RouterSettings } from './routerSettings';
import type { ChatModel } from './types';

/** Long enough for a local model to load into memory on its first call; short enough for a sidebar to wait on. */
export const CHECK_TIMEOUT_MS = 60_000;

/** The model an agent's `act` step starts with: the first catalogue entry for that role, else the first entry. */
export function modelToCheck(settings: RouterSettings): ModelEntry {
  return settings.models.find((entry) => entry.roles.includes('act') && entry.capabilities.tools) ?? settings.models[0]!;
}

/**
 * Asks `model` one short question, once: no retries and no fallbacks, so a server that is down is reported at
 * once. Never throws; what went wrong is in the result's `error`, with the provider's advice.
 */
export async function checkModel(entry: ModelEntry, model: ChatModel, timeoutMs = CHECK_TIMEOUT_MS): Promise<ModelCheckResult> {
  const about = { modelId: entry.id, provider: entry.provider, model: entry.model, baseUrl: model.baseUrl };
  const started = performance.now();
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    await model.chat({ messages: [{ role: 'user', content: 'Reply with the single word: ready' }], tools: [], maxOutputTokens: 16 }, timeout);
    return { ...about, answers: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    const failure =
      error instanceof ModelError
        ? error
        : timeout.aborted
          ? new ModelError('timeout', l10n.t('{0} at {1} did not answer within {2} s. Check that the server is not stuck, or that the model fits this machine.', entry.model, model.baseUrl, Math.round(timeoutMs / 1000)))
          : new ModelError('bad_response', error instanceof Error ? error.message : String(error));
    return { ...about, answers: false, latencyMs: Math.round(performance.now() - started), error: { kind: failure.kind, message: failure.message } };
  }
}
