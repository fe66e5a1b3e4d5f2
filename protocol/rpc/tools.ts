/** The tools runs are offered, for "Keel: Show Tools" (`tools/…`). */
import { RequestType0 } from 'vscode-jsonrpc';
import { noParams } from '../params';
import type { RiskClass } from '../run';

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
