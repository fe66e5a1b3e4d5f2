import { z } from 'zod';
import type { StartRunParams } from '../protocol/rpc';
import { validateGoal } from './orchestration/runs';

/** The router settings inside are checked by the model layer, which names the setting at fault. */
export const modelConfigSchema = z.object({
  router: z.record(z.string(), z.unknown()),
  defaultModel: z.object({
    provider: z.enum(['ollama', 'openai']),
    baseUrl: z.url({ error: 'defaultModel.baseUrl must be an http(s) URL' }),
    model: z.string().min(1, 'defaultModel.model is empty; name the model to use'),
    apiKey: z.string().optional(),
  }),
  apiKeys: z.record(z.string(), z.string()),
  localOnly: z.boolean().optional(),
});

const schema = z.object({
  goal: z.string(),
  models: modelConfigSchema,
  privacy: z.object({ localOnly: z.boolean(), localOnlyGlobs: z.array(z.string().min(1)) }).optional(),
  limits: z.object({
    maxSteps: z.number().int().min(1).max(200),
    approvalTimeoutMs: z.number().int().positive(),
    maxTools: z.number().int().min(1).max(500).optional(),
  }),
  restricted: z.boolean().optional(),
  allowHosts: z.array(z.string().min(1)).optional(),
  passEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'passEnv entries are environment variable names')).max(200).optional(),
});

/** Checks a run request at the host's boundary; the message says which field is wrong. */
export function parseStartRunParams(params: unknown): StartRunParams {
  validateGoal((params as { goal?: unknown } | null)?.goal);
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw new Error(`Invalid run request: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
