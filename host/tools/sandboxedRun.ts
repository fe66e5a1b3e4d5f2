import * as l10n from '@vscode/l10n';
import type { ExecutionRequest, ExecutionResult, Sandbox, SandboxCapabilities } from '../sandbox';
import { allowListedFetch, workspaceCapabilities } from '../sandbox';
import type { Span } from '../observability/tracer';

/** What sandboxed code may be granted; the run's policy decides which of these it gets. */
export type CapabilityName = 'readFile' | 'listFiles' | 'fetch';

/** The capabilities a policy grants for a workspace: reads inside it, and fetch only to allow-listed hosts. */
export function grantCapabilities(requested: readonly CapabilityName[], root: string, allowHosts: readonly string[]): SandboxCapabilities {
  const workspace = workspaceCapabilities(root);
  const granted: SandboxCapabilities = {};
  if (requested.includes('readFile')) granted.readFile = workspace.readFile;
  if (requested.includes('listFiles')) granted.listFiles = workspace.listFiles;
  if (requested.includes('fetch') && allowHosts.length > 0) granted.fetch = allowListedFetch({ allowHosts: [...allowHosts] });
  return granted;
}

/** One sandbox execution as a `sandbox.eval` span: limits, memory, duration and outcome, with its code and console output as content. */
export async function evalInSandbox(sandbox: Sandbox, request: ExecutionRequest, parent: Span, signal: AbortSignal): Promise<ExecutionResult> {
  const granted = Object.keys(request.capabilities ?? {}).join(',') || 'none';
  return parent.within('sandbox.eval', 'sandbox.eval', { 'keel.sandbox.capabilities': granted, 'keel.sandbox.code_chars': request.code.length }, async (span) => {
    span.setContent({ 'keel.sandbox.code': request.code });
    const result = await sandbox.execute(request, signal);
    span.setContent({ 'keel.sandbox.console': result.logs.map((l) => `[${l.level}] ${l.text}`).join('\n') });
    span.setAttributes({
      'keel.sandbox.outcome': result.outcome,
      'keel.sandbox.duration_ms': Math.round(result.durationMs * 100) / 100,
      'keel.sandbox.memory_used_bytes': result.memoryUsedBytes,
      'keel.sandbox.limit.memory_bytes': result.limits.memoryBytes,
      'keel.sandbox.limit.stack_bytes': result.limits.stackBytes,
      'keel.sandbox.limit.timeout_ms': result.limits.timeoutMs,
      'keel.sandbox.console_lines': result.logs.length,
    });
    if (result.outcome !== 'ok') span.end(result.outcome === 'cancelled' ? 'cancelled' : 'error', result.error);
    return result;
  });
}

/** The model sees the value, the console output, how long it took and, on failure, what stopped the code. */
export function describeExecution(result: ExecutionResult): string {
  const logs = result.logs.length ? `\nconsole:\n${result.logs.map((l) => `[${l.level}] ${l.text}`).join('\n')}` : '';
  const took = `\n[ran in ${result.durationMs.toFixed(1)} ms]`;
  if (result.outcome === 'ok') return `${JSON.stringify(result.value ?? null, null, 2)}${logs}${took}`;
  return `${l10n.t('The code stopped ({0}): {1}', result.outcome, result.error ?? l10n.t('no message'))}${logs}${took}`;
}
