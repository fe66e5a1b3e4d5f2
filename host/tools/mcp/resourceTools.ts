import { z } from 'zod';
import { zodArgs } from '../argsSchema';
import type { Tool } from '../tool';
import type { McpConnection } from './connection';
import { mcpToolName } from './mcpTools';

const MAX_RESOURCES_LISTED = 200;

/**
 * A server's resources as two read tools: list them, read one by URI. Resources are data the server exposes,
 * not actions, so reading them needs no approval; their text still reaches the model as untrusted content.
 */
export function resourceTools(connection: McpConnection): Tool<never>[] {
  const server = connection.name;
  const list: Tool<Record<string, never>> = {
    name: mcpToolName(server, 'list_resources'),
    description: `List the resources (files, records, documents) MCP server "${server}" offers, with their URIs.`,
    risk: 'read',
    source: `mcp:${server}`,
    args: zodArgs(z.object({}).strict()),
    async run(_args, { signal }) {
      const { resources } = await connection.listResources(signal);
      if (resources.length === 0) return `MCP server "${server}" offers no resources.`;
      return resources.slice(0, MAX_RESOURCES_LISTED).map((r) => `${r.uri} — ${r.name}${r.mimeType ? ` (${r.mimeType})` : ''}${r.description ? `: ${r.description}` : ''}`).join('\n');
    },
  };
  const read: Tool<{ uri: string }> = {
    name: mcpToolName(server, 'read_resource'),
    description: `Read one resource of MCP server "${server}" by its URI (see ${mcpToolName(server, 'list_resources')}).`,
    risk: 'read',
    source: `mcp:${server}`,
    args: zodArgs(z.object({ uri: z.string().min(1) }).strict()),
    async run({ uri }, { signal }) {
      const { contents } = await connection.readResource(uri, signal);
      return contents.map((c) => ('text' in c ? c.text : `[binary ${c.mimeType ?? 'data'}, ${Math.round((c.blob.length * 3) / 4)} bytes]`)).join('\n');
    },
  };
  return [list, read] as Tool<never>[];
}
