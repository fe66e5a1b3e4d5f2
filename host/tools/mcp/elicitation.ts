import type { ElicitRequest, ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import type { ElicitAnswer, ElicitField } from '../../../protocol/rpc';

type RequestedSchema = ElicitRequest['params'] extends infer P ? (P extends { requestedSchema: infer S } ? S : never) : never;

/** Elicitation schemas are flat objects of primitives (MCP spec); each property becomes one question. */
export function elicitationFields(schema: RequestedSchema): ElicitField[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, property]) => {
    const p = property as { type?: string; title?: string; description?: string; enum?: string[]; oneOf?: { const: string }[]; default?: string | number | boolean };
    const options = p.enum ?? p.oneOf?.map((o) => o.const);
    return {
      name,
      type: p.type === 'number' || p.type === 'integer' || p.type === 'boolean' ? p.type : 'string',
      required: required.has(name),
      ...(p.title ? { title: p.title } : {}),
      ...(p.description ? { description: p.description } : {}),
      ...(options ? { enum: options } : {}),
      ...(p.default !== undefined ? { default: p.default } : {}),
    };
  });
}

/** Fields the user left out take the schema's defaults (SEP-1034), so servers get complete answers. */
export function withDefaults(fields: readonly ElicitField[], answer: ElicitAnswer): ElicitResult {
  if (answer.action !== 'accept') return { action: answer.action };
  const content: Record<string, string | number | boolean> = { ...answer.content };
  for (const field of fields) {
    if (content[field.name] === undefined && field.default !== undefined) content[field.name] = field.default;
  }
  return { action: 'accept', content };
}
