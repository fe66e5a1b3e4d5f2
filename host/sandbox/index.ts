/** The sandbox's public surface: run agent-written JavaScript in QuickJS with limits and granted capabilities. */
export { allowListedFetch } from './fetchCapability';
export { DEFAULT_LIMITS } from './limits';
export { Sandbox } from './sandbox';
export type {
  ExecutionOutcome,
  ExecutionRequest,
  ExecutionResult,
  FetchInit,
  FetchResponse,
  LogEntry,
  LogLevel,
  SandboxCapabilities,
  SandboxLimits,
} from './types';
export { workspaceCapabilities } from './workspaceCapabilities';
