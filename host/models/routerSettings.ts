import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { modelCatalogSchema, type ModelEntry } from './catalog';

/** The VS Code settings the router reads; error messages name them so the user knows what to edit. */
export const SETTING = {
  models: 'keel.router.models',
  fallbacks: 'keel.router.fallbacks',
  difficulty: 'keel.router.difficulty',
  maxOutputTokens: 'keel.router.maxOutputTokens',
  retries: 'keel.router.retries',
  cooldown: 'keel.router.cooldown',
  attemptTimeoutSeconds: 'keel.model.timeoutSeconds',
  budgetPerRun: 'keel.budget.perRunUsd',
  budgetPerAgent: 'keel.budget.perAgentUsd',
  budgetPerDay: 'keel.budget.perDayUsd',
} as const;

// The problems below are said of a setting, after its name ("keel.router.retries must be …"). They are functions
// so that they are translated when a setting is checked, not when this module loads.
const positiveWhole = (example: number) => {
  const error = () => l10n.t('must be a whole number above 0, e.g. {0}', example);
  return z.number({ error }).int({ error }).positive({ error });
};
const usdError = () => l10n.t('must be an amount in USD above 0, e.g. 2.5, or null for no limit');
const usd = z
  .number({ error: usdError })
  .positive({ error: usdError })
  .nullish()
  .transform((value) => value ?? undefined);

const schema = z
  .object({
    models: modelCatalogSchema,
    fallbacks: z
      .record(z.string(), z.array(z.string(), { error: () => l10n.t('must be a list of model ids to try in order, e.g. {0}', '["gpt-4o-mini", "ollama/qwen2.5-coder:7b"]') }), {
        error: () => l10n.t('must map a model id to the ids to try when it fails, e.g. {0}', '{ "gpt-4o": ["gpt-4o-mini"] }'),
      })
      .default({}),
    difficulty: z.enum(['heuristic', 'model'], { error: () => l10n.t('must be "heuristic" (no extra call) or "model" (ask the model with the "route" role)') }).default('heuristic'),
    maxOutputTokens: positiveWhole(4096).default(4096),
    retries: z.number({ error: () => l10n.t('must be a whole number from 0 to 10, e.g. 2') }).int({ error: () => l10n.t('must be a whole number from 0 to 10, e.g. 2') }).min(0).max(10).default(2),
    cooldown: z
      .object(
        { failures: positiveWhole(3).default(3), windowSeconds: positiveWhole(60).default(60), seconds: positiveWhole(60).default(60) },
        { error: () => l10n.t('must be {0}', '{ "failures": 3, "windowSeconds": 60, "seconds": 60 }') },
      )
      .default({ failures: 3, windowSeconds: 60, seconds: 60 }),
    attemptTimeoutSeconds: positiveWhole(120).default(120),
    budget: z.object({ perRunUsd: usd, perAgentUsd: usd, perDayUsd: usd }, { error: () => l10n.t('must be an object of USD limits') }).default({ perRunUsd: undefined, perAgentUsd: undefined, perDayUsd: undefined }),
  })
  .superRefine((settings, context) => {
    const ids = new Set(settings.models.map((entry) => entry.id));
    const known = [...ids].map((id) => `"${id}"`).join(', ') || l10n.t('none yet');
    for (const [from, chain] of Object.entries(settings.fallbacks)) {
      if (!ids.has(from)) context.addIssue({ code: 'custom', path: ['fallbacks', from], message: l10n.t('names a model that is not in {0} (known: {1})', SETTING.models, known) });
      chain.forEach((to, index) => {
        if (!ids.has(to)) context.addIssue({ code: 'custom', path: ['fallbacks', from, index], message: l10n.t('"{0}" is not in {1} (known: {2})', to, SETTING.models, known) });
      });
    }
  });

export interface RouterSettings {
  readonly models: readonly ModelEntry[];
  /** Model id → the ids to try, in order, when it fails. */
  readonly fallbacks: Readonly<Record<string, readonly string[]>>;
  readonly difficulty: 'heuristic' | 'model';
  /** The output a call is assumed to need at most, for context and worst-case cost checks. */
  readonly maxOutputTokens: number;
  /** Retries on the same deployment after a transient failure, before falling back. */
  readonly retries: number;
  readonly cooldown: CooldownPolicy;
  readonly attemptTimeoutMs: number;
  readonly budgets: Budgets;
}

export interface CooldownPolicy {
  /** This many failures within `windowMs` put a deployment on cooldown. */
  readonly failures: number;
  readonly windowMs: number;
  readonly durationMs: number;
}

/** Limits in USD; an absent limit is no limit. The agent and day limits are per local calendar day. */
export interface Budgets {
  readonly perRunUsd?: number;
  readonly perAgentUsd?: number;
  readonly perDayUsd?: number;
}

export type RouterSettingsInput = z.input<typeof schema>;

/** Checks the router's settings; the error lists every wrong field by its setting name. */
export function parseRouterSettings(input: unknown): RouterSettings {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `- ${describeIssue(issue, input)}`);
    throw new Error(`${l10n.t("Keel's model settings need fixing:")}\n${problems.join('\n')}`);
  }
  const { attemptTimeoutSeconds, cooldown, budget, ...rest } = parsed.data;
  return {
    ...rest,
    attemptTimeoutMs: attemptTimeoutSeconds * 1000,
    cooldown: { failures: cooldown.failures, windowMs: cooldown.windowSeconds * 1000, durationMs: cooldown.seconds * 1000 },
    budgets: budget,
  };
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = settingPath(issue.path, input);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return issue.keys.length > 1
      ? l10n.t('{0} has unknown fields {1}; check the spelling (field names are case-sensitive).', where, keys)
      : l10n.t('{0} has unknown field {1}; check the spelling (field names are case-sensitive).', where, keys);
  }
  if (issue.code === 'custom') return l10n.t({ message: '{0} {1}.', args: [where, issue.message], comment: ['{0} is a setting, {1} what is wrong with it ("must be a whole number above 0").'] });
  const value = valueAt(input, issue.path);
  return value === undefined
    ? l10n.t({ message: '{0} {1} (missing).', args: [where, issue.message], comment: ['{0} is a setting, {1} what is wrong with it ("must be a whole number above 0").'] })
    : l10n.t({ message: '{0} {1} (got {2}).', args: [where, issue.message, JSON.stringify(value)], comment: ['{0} is a setting, {1} what is wrong with it ("must be a whole number above 0").'] });
}

/** `['models', 2, 'contextWindow']` → `keel.router.models[2] ("gpt-4o").contextWindow`. */
function settingPath(path: readonly PropertyKey[], input: unknown): string {
  const [head, ...rest] = path;
  let text: string;
  if (head === 'budget') {
    text = typeof rest[0] === 'string' ? `keel.budget.${rest.shift() as string}` : 'keel.budget';
  } else if (head === 'attemptTimeoutSeconds') {
    text = SETTING.attemptTimeoutSeconds;
  } else {
    text = head === undefined ? l10n.t('The router settings') : `keel.router.${String(head)}`;
  }
  if (head === 'models' && typeof rest[0] === 'number') {
    const index = rest.shift() as number;
    const id = valueAt(input, ['models', index, 'id']);
    text += `[${index}]${typeof id === 'string' && id ? ` ("${id}")` : ''}`;
  }
  for (const key of rest) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += /^[A-Za-z_]\w*$/.test(String(key)) ? `.${String(key)}` : `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
