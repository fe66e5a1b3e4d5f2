import * as l10n from '@vscode/l10n';
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { z } from 'zod';
import { ajvLinearRegExp } from './linearRegex';

export type ParsedArgs<Args> = { readonly ok: true; readonly value: Args } | { readonly ok: false; readonly error: string };

/** A tool's argument schema: what the model is shown, and the check every call must pass before the tool runs. */
export interface ArgsSchema<Args> {
  readonly jsonSchema: Record<string, unknown>;
  parse(value: unknown): ParsedArgs<Args>;
}

/** Built-in tools declare zod schemas; the JSON schema shown to the model is derived from them. */
export function zodArgs<Args>(schema: z.ZodType<Args>): ArgsSchema<Args> {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema) as Record<string, unknown>;
  return {
    jsonSchema,
    parse(value) {
      const parsed = schema.safeParse(value);
      return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: z.prettifyError(parsed.error) };
    },
  };
}

// Schemas from MCP servers and workspace tools choose their own `pattern`s: they are matched in linear time.
const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: ajvLinearRegExp } });
addFormats(ajv);

/** Tools from elsewhere (MCP servers, user tools) bring JSON schemas; Ajv checks calls against them. */
export function jsonSchemaArgs(jsonSchema: Record<string, unknown>): ArgsSchema<Record<string, unknown>> {
  let validate: ReturnType<typeof ajv.compile>;
  try {
    validate = ajv.compile(jsonSchema);
  } catch (error) {
    throw new Error(l10n.t('The tool\'s input schema is not a valid JSON schema: {0}', (error as Error).message), { cause: error });
  }
  return {
    jsonSchema,
    parse(value) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: l10n.t('Arguments must be a JSON object.') };
      return validate(value) ? { ok: true, value: value as Record<string, unknown> } : { ok: false, error: describe(validate.errors ?? []) };
    },
  };
}

function describe(errors: readonly ErrorObject[]): string {
  return errors.map((e) => `✖ ${e.message ?? l10n.t('is invalid')}${e.instancePath ? `\n  → ${l10n.t('at {0}', e.instancePath.slice(1).replaceAll('/', '.'))}` : ''}`).join('\n');
}
