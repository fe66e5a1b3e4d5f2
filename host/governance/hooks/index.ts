/** Hooks' public surface: workspace hooks that gate tool calls, edits and runs from inside the sandbox. */
export { HOOK_EVENTS, HOOKS_DIR, type HookEvent } from './hookFile';
export { Hooks, type HookAt, type HookGate, type HookPayloads, type HookVerdict } from './hooks';
