import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import type { CatalogEntry } from '../../protocol/models';

/** What a model call is for; each catalogue entry lists the classes it may serve. */
export const TASK_CLASSES = ['route', 'plan', 'act', 'summarize', 'embed'] as const;
export type TaskClass = (typeof TASK_CLASSES)[number];

// Said of a field, after its name ("keel.router.models[0].contextWindow must be …"); functions, so that they are
// translated when the settings are checked, not when this module loads.
const wholeTokens = () => l10n.t('must be a whole number of tokens above 0, e.g. 128000');
const price = (which: 'input' | 'output') => ({
  error: which === 'input'
    ? () => l10n.t('must be the USD price per million input tokens, e.g. 0.15, or 0 for local models')
    : () => l10n.t('must be the USD price per million output tokens, e.g. 0.15, or 0 for local models'),
});
const flag = (question: () => string) => ({ error: () => l10n.t('must be true or false: {0}', question()) });

/** Where `vscode` entries are served, for traces: VS Code's language-model API, reached through the extension. */
export const VSCODE_LM_ADDRESS = 'vscode://lm';

/**
 * One model the router may use. It comes from the user's settings, so every field is checked and each
 * message says what a valid value looks like.
 */
export const modelEntrySchema = z.strictObject({
  id: z.string({ error: () => l10n.t('must be a name for this entry, e.g. {0}', '"gpt-4o-mini"') }).trim().min(1, { error: () => l10n.t('must not be empty; fallbacks and traces refer to it') }),
  provider: z.enum(['ollama', 'openai', 'vscode'], { error: () => l10n.t('must be "ollama", "openai" (also for OpenAI-compatible servers) or "vscode" (models VS Code offers, e.g. Copilot\'s)') }),
  baseUrl: z.url({ protocol: /^https?$/, error: () => l10n.t('must be an http(s) URL, e.g. {0} or {1}', '"http://127.0.0.1:11434"', '"https://api.openai.com/v1"') }).optional(),
  model: z.string({ error: () => l10n.t('must name the model as the server knows it, e.g. {0}, or for "vscode" as vendor/family, e.g. {1}', '"qwen2.5-coder:7b"', '"copilot/gpt-4o"') }).min(1, { error: () => l10n.t('must not be empty; name the model as the server knows it') }),
  contextWindow: z.number({ error: wholeTokens }).int({ error: wholeTokens }).positive({ error: wholeTokens }),
  inputPricePerMTok: z.number(price('input')).min(0, price('input')).max(10_000, price('input')),
  outputPricePerMTok: z.number(price('output')).min(0, price('output')).max(10_000, price('output')),
  capabilities: z.strictObject(
    {
      tools: z.boolean(flag(() => l10n.t('can it call tools?'))),
      vision: z.boolean(flag(() => l10n.t('does it accept images?'))),
      embeddings: z.boolean(flag(() => l10n.t('does it produce embeddings?'))),
    },
    { error: () => l10n.t('must be an object: {0}', '{ "tools": true, "vision": false, "embeddings": false }') },
  ),
  roles: z.array(z.enum(TASK_CLASSES, { error: () => l10n.t('must be one of {0}', TASK_CLASSES.map((c) => `"${c}"`).join(', ')) }), {
    error: () => l10n.t('must be a list of task classes, e.g. {0}; an empty list makes the entry a fallback only', '["plan", "act"]'),
  }),
  local: z.boolean(flag(() => l10n.t('does it run on this machine or network, so private runs may use it?'))),
}, { error: () => l10n.t('must be an object describing one model') }).superRefine((entry, context) => {
  if (entry.provider !== 'vscode' && entry.baseUrl === undefined) {
    const example = entry.provider === 'ollama' ? 'http://127.0.0.1:11434' : 'https://api.openai.com/v1';
    context.addIssue({ code: 'custom', path: ['baseUrl'], message: l10n.t('is missing: {0} models need the server\'s URL, e.g. "{1}"', entry.provider, example) });
  }
}).transform((entry) => ({ ...entry, baseUrl: entry.baseUrl ?? VSCODE_LM_ADDRESS }));

export type ModelEntry = z.infer<typeof modelEntrySchema>;
// The extension shows and writes entries by the protocol's description; this keeps the two in step.
const entryFitsProtocol: (entry: z.input<typeof modelEntrySchema>) => CatalogEntry = (entry) => entry;
void entryFitsProtocol;

/** The whole catalogue: entries whose ids are unique, because fallbacks and traces name them. */
export const modelCatalogSchema = z
  .array(modelEntrySchema, { error: () => l10n.t('must be a list of model entries') })
  .superRefine((entries, context) => {
    const seen = new Set<string>();
    entries.forEach((entry, index) => {
      if (seen.has(entry.id)) context.addIssue({ code: 'custom', path: [index, 'id'], message: l10n.t('repeats "{0}"; give each entry its own id', entry.id) });
      seen.add(entry.id);
    });
  });

/** Price of a call in USD: tokens times the price per million. */
export function callCostUsd(entry: ModelEntry, inputTokens: number, outputTokens: number): number {
  return (inputTokens * entry.inputPricePerMTok + outputTokens * entry.outputPricePerMTok) / 1_000_000;
}
