/** MCP servers: which to run, their prompts, and their questions to the user (`mcp/…`). */
import { RequestType, RequestType0 } from 'vscode-jsonrpc';
import { z } from 'zod';
import { modelConfigSchema } from '../models';
import { list, noParams, stringMap, text } from '../params';
import { name } from './names';

/** One MCP server as the host starts it: a command it runs (stdio) or a URL it connects to (HTTP). */
export const mcpServerSpecSchema = z.discriminatedUnion('type', [
  z
    .object({
      name: name(),
      /** Where it was configured, e.g. `.vscode/mcp.json`. */
      source: text(1024),
      type: z.literal('stdio'),
      command: text(4096, 1),
      args: list(text(32_768), 1000),
      env: stringMap(1000, 256, 32_768),
      cwd: text(4096).optional(),
    })
    .readonly(),
  z
    .object({
      name: name(),
      source: text(1024),
      type: z.literal('http'),
      url: text(2048),
      headers: stringMap(100, 256, 8192),
    })
    .readonly(),
]);
export type McpServerSpec = z.infer<typeof mcpServerSpecSchema>;

export namespace SetMcpServersRequest {
  export const params = z
    .object({
      servers: list(mcpServerSpecSchema, 100),
      /** The models that answer servers' sampling requests (after the user approves each one). */
      sampling: modelConfigSchema,
    })
    .readonly();
  /** Extension → host: the MCP servers to run now (resolved configs); answers with each server's status. */
  export const type = new RequestType<SetMcpServersParams, { servers: McpServerInfo[] }, void>('mcp/setServers');
}
export type SetMcpServersParams = z.infer<typeof SetMcpServersRequest.params>;
export interface McpServerInfo {
  readonly name: string;
  readonly source: string;
  readonly state: 'connecting' | 'connected' | 'failed' | 'stopped';
  readonly tools: number;
  readonly error?: string;
}

export namespace ElicitRequest {
  /** Host → extension: an MCP server asks the user for input; answers with their values, a decline or a cancel. */
  export const type = new RequestType<ElicitParams, ElicitAnswer, void>('mcp/elicit');
}
export interface ElicitField {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly type: 'string' | 'number' | 'integer' | 'boolean';
  readonly enum?: readonly string[];
  readonly default?: string | number | boolean;
  readonly required: boolean;
}
export interface ElicitParams {
  readonly server: string;
  readonly message: string;
  readonly fields: readonly ElicitField[];
}
export type ElicitAnswer =
  | { readonly action: 'accept'; readonly content: Readonly<Record<string, string | number | boolean>> }
  | { readonly action: 'decline' | 'cancel' };

export namespace ListMcpPromptsRequest {
  export const params = noParams;
  /** Extension → host: the prompts connected MCP servers offer, for "Keel: Run MCP Prompt…". */
  export const type = new RequestType0<{ prompts: McpPromptInfo[] }, void>('mcp/listPrompts');
}
export interface McpPromptInfo {
  readonly server: string;
  readonly name: string;
  readonly description?: string;
  readonly arguments: readonly { readonly name: string; readonly description?: string; readonly required?: boolean }[];
}

export namespace GetMcpPromptRequest {
  export const params = z.object({ server: name(), name: name(), arguments: stringMap(100, 256, 20_000) }).readonly();
  /** Extension → host: a prompt filled in with the user's arguments, as the text of a goal. */
  export const type = new RequestType<z.infer<typeof params>, { text: string }, void>('mcp/getPrompt');
}
