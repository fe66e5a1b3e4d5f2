import { jsonSchemaArgs } from '../../host/tools/argsSchema';
import { BUILTIN_TOOLS, type Tool } from '../../host/tools';

/** Every built-in tool's schema, plus an MCP-style JSON schema, behind implementations that count calls. */
export function instrumentedTools(): { tools: Tool<never>[]; reached: () => number } {
  let reached = 0;
  const count = async () => {
    reached++;
    return 'reached';
  };
  const mcpLike = jsonSchemaArgs({
    type: 'object',
    properties: { a: { type: 'number' }, b: { type: 'number' }, mode: { type: 'string', enum: ['fast', 'slow'] }, tags: { type: 'array' } },
    required: ['a', 'b'],
    additionalProperties: false,
  });
  const tools = [
    ...BUILTIN_TOOLS.map((t) => ({ ...t, run: count, reviewsOwnCalls: true })),
    { name: 'mcp__fake__sum', description: 'sum', risk: 'read' as const, source: 'mcp:fake', args: mcpLike, run: count },
  ] as Tool<never>[];
  return { tools, reached: () => reached };
}
