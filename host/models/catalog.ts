import { z } from 'zod';
import type { CatalogEntry } from '../../protocol/models';

/** What a model call is for; each catalogue entry lists the classes it may serve. */
export const TASK_CLASSES = ['route', 'plan', 'act', 'summarize', 'embed'] as const;
export type TaskClass = (typeof TASK_CLASSES)[number];

const wholeTokens = 'must be a whole number of tokens above 0, e.g. 128000';
const price = (which: string) => `must be the USD price per million ${which} tokens, e.g. 0.15, or 0 for local models`;
const flag = (what: string) => ({ error: `must be true or false: ${what}` });

/** Where `vscode` entries are served, for traces: VS Code's language-model API, reached through the extension. */
export const VSCODE_LM_ADDRESS = 'vscode://lm';

/**
 * One model the router may use. It comes from the user's settings, so every field is checked and each
 * message says what a valid value looks like.
 */
export const modelEntrySchema = z.strictObject({
  id: z.string({ error: 'must be a name for this entry, e.g. "gpt-4o-mini"' }).trim().min(1, 'must not be empty; fallbacks and traces refer to it'),
  provider: z.enum(['ollama', 'openai', 'vscode'], { error: 'must be "ollama", "openai" (also for OpenAI-compatible servers) or "vscode" (models VS Code offers, e.g. Copilot\'s)' }),
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. "http://127.0.0.1:11434" or "https://api.openai.com/v1"' }).optional(),
  model: z.string({ error: 'must name the model as the server knows it, e.g. "qwen2.5-coder:7b", or for "vscode" as vendor/family, e.g. "copilot/gpt-4o"' }).min(1, 'must not be empty; name the model as the server knows it'),
  contextWindow: z.number({ error: wholeTokens }).int({ error: wholeTokens }).positive({ error: wholeTokens }),
  inputPricePerMTok: z.number({ error: price('input') }).min(0, { error: price('input') }).max(10_000, { error: price('input') }),
  outputPricePerMTok: z.number({ error: price('output') }).min(0, { error: price('output') }).max(10_000, { error: price('output') }),
  capabilities: z.strictObject(
    {
      tools: z.boolean(flag('can it call tools?')),
      vision: z.boolean(flag('does it accept images?')),
      embeddings: z.boolean(flag('does it produce embeddings?')),
    },
    { error: 'must be an object: { "tools": true, "vision": false, "embeddings": false }' },
  ),
  roles: z.array(z.enum(TASK_CLASSES, { error: `must be one of ${TASK_CLASSES.map((c) => `"${c}"`).join(', ')}` }), {
    error: 'must be a list of task classes, e.g. ["plan", "act"]; an empty list makes the entry a fallback only',
  }),
  local: z.boolean(flag('does it run on this machine or network, so private runs may use it?')),
}, { error: 'must be an object describing one model' }).superRefine((entry, context) => {
  if (entry.provider !== 'vscode' && entry.baseUrl === undefined) {
    context.addIssue({ code: 'custom', path: ['baseUrl'], message: `is missing: ${entry.provider} models need the server's URL, e.g. "${entry.provider === 'ollama' ? 'http://127.0.0.1:11434' : 'https://api.openai.com/v1'}"` });
  }
}).transform((entry) => ({ ...entry, baseUrl: entry.baseUrl ?? VSCODE_LM_ADDRESS }));

export type ModelEntry = z.infer<typeof modelEntrySchema>;
// The extension shows and writes entries by the protocol's description; this keeps the two in step.
const entryFitsProtocol: (entry: z.input<typeof modelEntrySchema>) => CatalogEntry = (entry) => entry;
void entryFitsProtocol;

/** The whole catalogue: entries whose ids are unique, because fallbacks and traces name them. */
export const modelCatalogSchema = z
  .array(modelEntrySchema, { error: 'must be a list of model entries' })
  .superRefine((entries, context) => {
    const seen = new Set<string>();
    entries.forEach((entry, index) => {
      if (seen.has(entry.id)) context.addIssue({ code: 'custom', path: [index, 'id'], message: `repeats "${entry.id}"; give each entry its own id` });
      seen.add(entry.id);
    });
  });

/** Price of a call in USD: tokens times the price per million. */
export function callCostUsd(entry: ModelEntry, inputTokens: number, outputTokens: number): number {
  return (inputTokens * entry.inputPricePerMTok + outputTokens * entry.outputPricePerMTok) / 1_000_000;
}
