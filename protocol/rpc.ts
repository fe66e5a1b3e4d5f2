/**
 * Every request and notification between the extension and the agent host, typed once.
 * Methods are prefixed by area. Both sides import these objects; neither spells a method string.
 * Each message the host handles carries its `params` schema, from which its params type is inferred; the host
 * checks every such message against it (`host/validatedHandlers.ts`).
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import { z } from 'zod';
import { modelConfigSchema, privacySettingsSchema, type BudgetEscalationParams, type CatalogEntry, type VsCodeChatParams, type VsCodeChatResult } from './models';
import { httpUrl, integer, list, noParams, stringMap, text } from './params';
import { runLimitsSchema, type EditDecision, type ProposedEdit, type RiskClass, type RunResult, type ToolCallDecision } from './run';
import type { SpanData } from './trace';

/** Run ids, request ids and similar handles. */
const id = () => text(200);
/** Names of servers, prompts and settings. */
const name = () => text(256);

export namespace StartRunRequest {
  export const params = z
    .object({
      /** What the agent should do; the host also refuses one that is only whitespace. */
      goal: text(20_000),
      models: modelConfigSchema,
      privacy: privacySettingsSchema.optional(),
      limits: runLimitsSchema,
      /** Restricted Mode (an untrusted workspace): only read-only tools are offered and allowed. */
      restricted: z.boolean().optional(),
      /** Hosts sandboxed code (run_js, user tools) may fetch from; none when absent. */
      allowHosts: list(text(500, 1), 1000).optional(),
      /** Credential-like environment variables commands may still see (`keel.tools.passEnv`); none when absent. */
      passEnv: list(z.string().max(256).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), 200).optional(),
    })
    .readonly()
    .describe('run request');
  /** Extension → host: start an agent run; answers at once with the run's id. */
  export const type = new RequestType<StartRunParams, { runId: string }, void>('keel/startRun');
}
export type StartRunParams = z.infer<typeof StartRunRequest.params>;

export namespace CancelRunRequest {
  export const params = z.object({ runId: id() }).readonly();
  /** Extension → host: cancel a run; answers whether a run with that id was active. */
  export const type = new RequestType<z.infer<typeof params>, { cancelled: boolean }, void>('keel/cancelRun');
}

export namespace RunFinishedNotification {
  /** Host → extension: a run ended, however it ended. */
  export const type = new NotificationType<RunResult>('run/finished');
}

export namespace SpanNotification {
  /** Host → extension: a span started or ended; the latest snapshot of a span replaces earlier ones. */
  export const type = new NotificationType<SpanData>('trace/span');
}

export namespace ReadFileRequest {
  /** Host → extension: the text of a workspace file, as the editor has it (unsaved changes included). */
  export const type = new RequestType<{ path: string }, { text: string }, void>('workspace/readFile');
}

export namespace CreateFileRequest {
  /** Host → extension: create a new workspace file (approved already), undoably. */
  export const type = new RequestType<{ path: string; content: string }, void, void>('workspace/createFile');
}

export namespace ReviewEditRequest {
  /** Host → extension: show a proposed edit inline, ask the user, and apply it if approved. */
  export const type = new RequestType<ReviewEditParams, EditDecision, void>('approval/reviewEdit');
}
export interface ReviewEditParams {
  readonly runId: string;
  readonly approvalId: string;
  readonly edit: ProposedEdit;
}

export namespace ReviewToolCallRequest {
  /** Host → extension: ask the user whether a tool may run (risky tools, first use or a changed MCP tool). */
  export const type = new RequestType<ReviewToolCallParams, ToolCallDecision, void>('approval/reviewToolCall');
}
export interface ReviewToolCallParams {
  readonly runId: string;
  readonly approvalId: string;
  readonly tool: string;
  /** `builtin`, or `mcp:<server>`. */
  readonly source: string;
  readonly risk: RiskClass;
  /** One line for the prompt, e.g. "Run tool echo from MCP server everything?". */
  readonly title: string;
  /** The arguments, and for a changed MCP tool what changed. */
  readonly detail: string;
  /** Whether "Always allow" may be offered (never for a changed definition). */
  readonly canAlwaysAllow: boolean;
}

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
export interface McpServerInfo {
  readonly name: string;
  readonly source: string;
  readonly state: 'connecting' | 'connected' | 'failed' | 'stopped';
  readonly tools: number;
  readonly error?: string;
}

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

export namespace ListToolsRequest {
  export const params = noParams;
  /** Extension → host: every tool a run would be offered now, with its risk and recent calls, and those that are not, with why. */
  export const type = new RequestType0<{ tools: ToolInfo[]; problems: string[] }, void>('tools/list');
}
export interface ToolInfo {
  readonly name: string;
  readonly description: string;
  readonly source: string;
  readonly risk: RiskClass;
  /** MCP tools only: whether the user approved this exact definition. */
  readonly pin?: string;
  readonly calls: number;
  readonly failures: number;
  readonly lastDurationMs?: number;
}

export namespace EvalJsRequest {
  /** `input` is any JSON value, visible to the code as `input`. */
  export const params = z.object({ code: text(100_000), input: z.unknown().optional() }).readonly();
  /** Extension → host: run JavaScript in the sandbox, with workspace reads only (Keel: Run JavaScript in Sandbox). */
  export const type = new RequestType<z.infer<typeof params>, EvalJsResult, void>('sandbox/eval');
}
export interface EvalJsResult {
  readonly outcome: string;
  readonly value?: unknown;
  readonly error?: string;
  readonly logs: readonly { readonly level: string; readonly text: string }[];
  readonly durationMs: number;
}

export namespace MemorySearchRequest {
  export const params = z.object({ query: text(500, 1), limit: integer(1, 100).optional() }).readonly();
  /** Extension → host: search the workspace index, opening it first if needed (Keel: Search Memory…). */
  export const type = new RequestType<z.infer<typeof params>, { hits: MemoryHit[] }, void>('memory/search');
}
export interface MemoryHit {
  /** Workspace-relative, forward slashes. */
  readonly path: string;
  /** 1-based, inclusive. */
  readonly startLine: number;
  readonly endLine: number;
  readonly symbol?: string;
  readonly language: string;
  readonly score: number;
  /** The start of the chunk's text, secrets redacted. */
  readonly snippet: string;
}

export namespace MemoryReindexRequest {
  export const params = noParams;
  /** Extension → host: walk the whole workspace and index what changed (Keel: Reindex Workspace). */
  export const type = new RequestType0<MemoryReindexResult, void>('memory/reindex');
}
export interface MemoryReindexResult {
  readonly indexed: number;
  readonly removed: number;
  readonly unchanged: number;
  /** Files and chunks in the index afterwards. */
  readonly files: number;
  readonly chunks: number;
  readonly durationMs: number;
}

export namespace MemoryIndexProgressNotification {
  /** Host → extension: how far opening or updating the workspace index has got. */
  export const type = new NotificationType<MemoryIndexProgress>('memory/indexProgress');
}
export type MemoryIndexProgress =
  /** `scanning`: loading the stored index and looking for changed files; `indexing`: `done` of `total` changed files. */
  | { readonly phase: 'scanning' | 'indexing' | 'done'; readonly done: number; readonly total: number }
  | { readonly phase: 'failed'; readonly done: number; readonly total: number; readonly message: string };

export namespace MemoryFilesChangedNotification {
  /** A branch switch can touch tens of thousands of files in one batch. */
  export const params = z.object({ paths: list(text(4096), 100_000) }).readonly();
  /** Extension → host: these workspace-relative paths were changed, created or deleted; the index catches up. */
  export const type = new NotificationType<z.infer<typeof params>>('memory/filesChanged');
}

export namespace MemorySettingsNotification {
  export const params = z.object({ filesExclude: list(text(4096), 10_000) }).readonly();
  /** Extension → host: `files.exclude` changed; the index reopens without the files it now hides. */
  export const type = new NotificationType<z.infer<typeof params>>('memory/settings');
}

export namespace VsCodeChatRequest {
  /** Host → extension: one chat with one of VS Code's language models (`vscode.lm`); text streams as `model/chatText`. */
  export const type = new RequestType<VsCodeChatParams, VsCodeChatResult, void>('model/vscodeChat');
}

export namespace VsCodeChatTextNotification {
  export const params = z.object({ requestId: id(), delta: text(1_000_000) }).readonly();
  /** Extension → host: a piece of a `model/vscodeChat` answer as it streams. */
  export const type = new NotificationType<z.infer<typeof params>>('model/chatText');
}

export namespace DiscoverOllamaModelsRequest {
  export const params = z.object({ baseUrl: httpUrl() }).readonly();
  /** Extension → host: the models an Ollama server has pulled, as suggested catalogue entries. */
  export const type = new RequestType<z.infer<typeof params>, { entries: CatalogEntry[] }, void>('model/discoverOllama');
}

export namespace BudgetEscalationRequest {
  /** Host → extension: a run would go over a budget; answers whether the user lets it continue. */
  export const type = new RequestType<BudgetEscalationParams, { approved: boolean }, void>('approval/budget');
}

export namespace PingRequest {
  export const params = z.object({ sentAt: z.number() }).readonly();
  /**
   * Extension → host: a no-op round trip, for health checks and benchmarks. `hostTime` is when the host answered, in
   * epoch milliseconds, so a client on the same machine can tell the host's delay from its own.
   */
  export const type = new RequestType<z.infer<typeof params>, { sentAt: number; pid: number; hostTime: number }, void>('keel/ping');
}
