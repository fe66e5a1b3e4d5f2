/** Agent definitions the user can run (`agents/…`): `.keel/agents/*.md` and `.github/agents/*.agent.md`. */
import * as l10n from '@vscode/l10n';
import { RequestType } from 'vscode-jsonrpc';
import { z } from 'zod';
import { noParams } from '../params';

/** What an agent's name may be: it names the agent in traces, policy sections (`agents.<name>`) and `delegate` calls. */
export const AGENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const agentName = () => z.string().regex(AGENT_NAME_PATTERN, { error: () => l10n.t('must be an agent name: letters, digits, {0}, {1} or {2}, at most {3}', '"_"', '"."', '"-"', 64) });

/** One runnable agent definition, as the quick pick and `keel agents` show it. */
export interface AgentInfo {
  readonly name: string;
  readonly description: string;
  /** Workspace-relative path of the definition. */
  readonly path: string;
  /** The tools it may use (names or globs); absent: every tool the run has. */
  readonly tools?: readonly string[];
  /** A router role or task class, or a model id. */
  readonly model?: string;
  readonly maxSteps?: number;
  readonly budgetUsd?: number;
  /** Whether it may hand sub-goals to other agents with the `delegate` tool. */
  readonly delegate: boolean;
  /** The agent that takes over when this one fails. */
  readonly fallback?: string;
}

export namespace ListAgentsRequest {
  export const params = noParams;
  /** Extension → host: the workspace's agent definitions, and each file that could not be read as one (file:line: why). */
  export const type = new RequestType<z.infer<typeof params>, { agents: AgentInfo[]; problems: string[] }, void>('agents/list');
}
