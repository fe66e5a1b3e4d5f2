/** Run-level types shared by the host, the extension and the CLI. */
import { z } from 'zod';
import { integer } from './params';

export type ModelProvider = 'ollama' | 'openai' | 'vscode';

export interface ModelSettings {
  readonly provider: ModelProvider;
  readonly baseUrl: string;
  readonly model: string;
  /** Only for OpenAI and compatible servers; read from SecretStorage, never logged. */
  readonly apiKey?: string;
  readonly timeoutMs: number;
}

export const runLimitsSchema = z
  .object({
    maxSteps: integer(1, 200),
    /** Up to Node's longest timer, about 24.8 days. */
    approvalTimeoutMs: integer(1, 2_147_483_647),
    /** The most tools offered to the model; past it, the core tools plus the best matches for the goal. */
    maxTools: integer(1, 500).optional(),
    /** Subagents of one run working at once (`keel.orchestration.maxParallel`); 0 turns delegation off. Default 4. */
    maxParallel: integer(0, 64).optional(),
    /** Subagents one run may start in all (`keel.orchestration.maxSubagents`). Default 16. */
    maxSubagents: integer(0, 1000).optional(),
    /** Stop an agent that loops, keeps failing or makes no progress, and ask the user (`keel.agent.loopDetection`). Default on. */
    loopDetection: z.boolean().optional(),
  })
  .readonly();
export type RunLimits = z.infer<typeof runLimitsSchema>;

export type RunOutcome = 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface RunResult {
  readonly runId: string;
  readonly outcome: RunOutcome;
  /** The model's final answer, or what went wrong and what to do next. */
  readonly message: string;
}

/** A replacement of `oldText` by `newText` in one file, located by zero-based line/character positions. */
export interface ProposedEdit {
  /** Workspace-relative path with forward slashes. */
  readonly path: string;
  readonly range: {
    readonly start: { readonly line: number; readonly character: number };
    readonly end: { readonly line: number; readonly character: number };
  };
  readonly oldText: string;
  readonly newText: string;
}

/**
 * The edit as diff lines: `- ` before each line it replaces, `+ ` before each it writes. Split at every line ending
 * (`\r\n`, `\r`, `\n`), so that every line shown starts with its sign: a lone `\r` in the text cannot start a line of
 * its own (a Markdown fence that ends a hover's code block, or a terminal line printed over).
 */
export function editDiffLines(edit: Pick<ProposedEdit, 'oldText' | 'newText'>): string {
  const signed = (text: string, sign: string) => text.split(/\r\n|\r|\n/).map((line) => `${sign} ${line}`);
  return [...signed(edit.oldText, '-'), ...signed(edit.newText, '+')].join('\n');
}

/** How much harm a tool can do; decides whether a call needs the user's approval. */
export type RiskClass = 'read' | 'write' | 'execute' | 'network' | 'destructive';

export type ToolCallDecision =
  /**
   * `arguments`: the user corrected the call's arguments before approving; the host checks them against the schema.
   * `alwaysAllow`: the user chose "Always allow" with the rules the question proposed, kept for the rest of the run
   * (and, for `workspace` or `user`, already written into that policy).
   */
  | { readonly decision: 'approved'; readonly always?: boolean; readonly arguments?: Readonly<Record<string, unknown>>; readonly alwaysAllow?: 'run' | 'workspace' | 'user' }
  | { readonly decision: 'denied'; readonly reason: string };

export type EditDecision =
  | { readonly decision: 'approved' }
  | { readonly decision: 'denied'; readonly reason: string };
