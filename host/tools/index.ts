/** The tools layer's public surface. */
import { proposeEditTool } from './proposeEdit';
import { readFileTool } from './readFile';
import { ToolRegistry } from './registry';
import type { Tool } from './tool';

export type { RiskClass, Tool, ToolContext } from './tool';
export { ToolRegistry, type ToolOutcome } from './registry';

export { ToolStats } from './stats';

export const BUILTIN_TOOLS = [readFileTool, proposeEditTool] as Tool<never>[];

export function builtinTools(): ToolRegistry {
  return new ToolRegistry(BUILTIN_TOOLS);
}
