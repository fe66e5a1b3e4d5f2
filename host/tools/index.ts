/** The tools layer's public surface. */
import { proposeEditTool } from './proposeEdit';
import { createFileTool } from './createFile';
import { fetchUrlTool } from './fetchUrl';
import { listFilesTool } from './listFiles';
import { readFileTool } from './readFile';
import { runCommandTool } from './runCommand';
import { searchFilesTool } from './searchFiles';
import { ToolRegistry } from './registry';
import type { Tool } from './tool';

export type { AttemptLog, RiskClass, Tool, ToolContext, ToolPolicy } from './tool';
export { runJsTool } from './runJs';
export { searchMemoryTool } from './searchMemory';
export { UserTools } from './userTools';
export { ToolRegistry, type RefusedTool, type ToolOutcome } from './registry';

export { ToolStats } from './stats';

export const BUILTIN_TOOLS = [readFileTool, listFilesTool, searchFilesTool, proposeEditTool, createFileTool, runCommandTool, fetchUrlTool] as Tool<never>[];

export function builtinTools(): ToolRegistry {
  return new ToolRegistry(BUILTIN_TOOLS);
}
