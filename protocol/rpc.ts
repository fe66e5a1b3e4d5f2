/**
 * Every request and notification between the extension and the agent host, typed once.
 * Methods are prefixed by area. Both sides import these objects; neither spells a method string.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { BudgetEscalationParams, CatalogEntry, ModelConfig, PrivacySettings, VsCodeChatParams, VsCodeChatResult } from './models';
import type { EditDecision, ProposedEdit, RiskClass, RunLimits, RunResult, ToolCallDecision } from './run';
import type { SpanData } from './trace';

export namespace StartRunRequest {
  /** Extension → host: start an agent run; answers at once with the run's id. */
  export const type = new RequestType<StartRunParams, { runId: string }, void>('keel/startRun');
}
export interface StartRunParams {
  readonly goal: string;
  readonly models: ModelConfig;
  readonly privacy?: PrivacySettings;
  readonly limits: RunLimits;
  /** Restricted Mode (an untrusted workspace): only read-only tools are offered and allowed. */
  readonly restricted?: boolean;
  /** Hosts sandboxed code (run_js, user tools) may fetch from; none when absent. */
  readonly allowHosts?: readonly string[];
  /** Credential-like environment variables commands may still see (`keel.tools.passEnv`); none when absent. */
  readonly passEnv?: readonly string[];
}

export namespace CancelRunRequest {
  /** Extension → host: cancel a run; answers whether a run with that id was active. */
  export const type = new RequestType<{ runId: string }, { cancelled: boolean }, void>('keel/cancelRun');
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

export namespace SetMcpServersRequest {
  /** Extension → host: the MCP servers to run now (resolved configs); answers with each server's status. */
  export const type = new RequestType<SetMcpServersParams, { servers: McpServerInfo[] }, void>('mcp/setServers');
}
export interface SetMcpServersParams {
  readonly servers: McpServerSpec[];
  /** The models that answer servers' sampling requests (after the user approves each one). */
  readonly sampling: ModelConfig;
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
export type McpServerSpec = { readonly name: string; readonly source: string } & (
  | { readonly type: 'stdio'; readonly command: string; readonly args: readonly string[]; readonly env: Readonly<Record<string, string>>; readonly cwd?: string }
  | { readonly type: 'http'; readonly url: string; readonly headers: Readonly<Record<string, string>> }
);
export interface McpServerInfo {
  readonly name: string;
  readonly source: string;
  readonly state: 'connecting' | 'connected' | 'failed' | 'stopped';
  readonly tools: number;
  readonly error?: string;
}

export namespace ListMcpPromptsRequest {
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
  /** Extension → host: a prompt filled in with the user's arguments, as the text of a goal. */
  export const type = new RequestType<{ server: string; name: string; arguments: Record<string, string> }, { text: string }, void>('mcp/getPrompt');
}

export namespace ListToolsRequest {
  /** Extension → host: every tool a run would be offered now, with its risk and recent calls. */
  export const type = new RequestType0<{ tools: ToolInfo[] }, void>('tools/list');
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
  /** Extension → host: run JavaScript in the sandbox, with workspace reads only (Keel: Run JavaScript in Sandbox). */
  export const type = new RequestType<{ code: string; input?: unknown }, EvalJsResult, void>('sandbox/eval');
}
export interface EvalJsResult {
  readonly outcome: string;
  readonly value?: unknown;
  readonly error?: string;
  readonly logs: readonly { readonly level: string; readonly text: string }[];
  readonly durationMs: number;
}

export namespace MemorySearchRequest {
  /** Extension → host: search the workspace index, opening it first if needed (Keel: Search Memory…). */
  export const type = new RequestType<{ query: string; limit?: number }, { hits: MemoryHit[] }, void>('memory/search');
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
  /** Extension → host: these workspace-relative paths were changed, created or deleted; the index catches up. */
  export const type = new NotificationType<{ paths: string[] }>('memory/filesChanged');
}

export namespace MemorySettingsNotification {
  /** Extension → host: `files.exclude` changed; the index reopens without the files it now hides. */
  export const type = new NotificationType<{ filesExclude: string[] }>('memory/settings');
}

export namespace VsCodeChatRequest {
  /** Host → extension: one chat with one of VS Code's language models (`vscode.lm`); text streams as `model/chatText`. */
  export const type = new RequestType<VsCodeChatParams, VsCodeChatResult, void>('model/vscodeChat');
}

export namespace VsCodeChatTextNotification {
  /** Extension → host: a piece of a `model/vscodeChat` answer as it streams. */
  export const type = new NotificationType<{ requestId: string; delta: string }>('model/chatText');
}

export namespace DiscoverOllamaModelsRequest {
  /** Extension → host: the models an Ollama server has pulled, as suggested catalogue entries. */
  export const type = new RequestType<{ baseUrl: string }, { entries: CatalogEntry[] }, void>('model/discoverOllama');
}

export namespace BudgetEscalationRequest {
  /** Host → extension: a run would go over a budget; answers whether the user lets it continue. */
  export const type = new RequestType<BudgetEscalationParams, { approved: boolean }, void>('approval/budget');
}

export namespace PingRequest {
  /** Extension → host: a no-op round trip, for health checks and benchmarks. */
  export const type = new RequestType<{ sentAt: number }, { sentAt: number; pid: number }, void>('keel/ping');
}
