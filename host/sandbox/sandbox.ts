import * as l10n from '@vscode/l10n';
import { CapabilityHost } from './capabilityHost';
import { limitMessage, resolveLimits } from './limits';
import type { WorkerResult } from './messages';
import { WorkerPool } from './pool';
import type { ExecutionRequest, ExecutionResult, SandboxLimits } from './types';

const DEFAULT_POOL_SIZE = 2;
const MAX_POOL_SIZE = 16;

/**
 * Runs agent-written JavaScript in QuickJS (WebAssembly) on worker threads, never in the host's V8. Each
 * execution gets a fresh QuickJS runtime with every limit set, and sees only `input`, `console` and the
 * capabilities it was granted.
 */
export class Sandbox {
  private readonly pool: WorkerPool;

  constructor(options: { poolSize?: number } = {}) {
    const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
    if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > MAX_POOL_SIZE) {
      throw new RangeError(l10n.t('{0} must be an integer from 1 to {1}; got {2}.', 'poolSize', MAX_POOL_SIZE, String(poolSize)));
    }
    this.pool = new WorkerPool(poolSize);
  }

  /**
   * Runs `request.code` as the body of an async function. Resolves with the outcome whatever the code does;
   * rejects only for an invalid request (bad limits, input that is not JSON) or a sandbox that cannot run.
   */
  async execute(request: ExecutionRequest, signal?: AbortSignal): Promise<ExecutionResult> {
    const started = performance.now();
    const limits = resolveLimits(request.limits);
    if (typeof request.code !== 'string') throw new TypeError(l10n.t('{0} must be a string: the body of an async function.', 'request.code'));
    const inputJson = encodeInput(request.input);
    const capabilities = new CapabilityHost(request.capabilities ?? {});
    let result: WorkerResult | undefined;
    try {
      if (!signal?.aborted) {
        result = await this.pool.run({
          run: { code: request.code, inputJson, limits, capabilities: capabilities.names },
          hostCall: (name, argsJson) => capabilities.call(name, argsJson),
          signal,
        });
      }
    } finally {
      capabilities.close();
    }
    return toExecutionResult(result ?? cancelledBeforeStart(limits), limits, performance.now() - started);
  }

  /** Terminates the workers; executions still running end as cancelled. */
  dispose(): Promise<void> {
    return this.pool.dispose();
  }
}

function encodeInput(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(input);
  } catch (error) {
    throw new TypeError(l10n.t('{0} must be JSON-serializable: {1}', 'request.input', error instanceof Error ? error.message : String(error)), { cause: error });
  }
  if (json === undefined) throw new TypeError(l10n.t('{0} must be JSON-serializable; functions and symbols are not.', 'request.input'));
  return json;
}

function cancelledBeforeStart(limits: SandboxLimits): WorkerResult {
  return { outcome: 'cancelled', error: limitMessage('cancelled', limits, 'not_started'), logs: [], memoryUsedBytes: 0 };
}

function toExecutionResult(result: WorkerResult, limits: SandboxLimits, durationMs: number): ExecutionResult {
  const { outcome, error, logs, memoryUsedBytes } = result;
  const base = { logs, durationMs, memoryUsedBytes, limits };
  if (outcome !== 'ok') return { outcome, error, ...base };
  // The worker made this text with JSON.stringify inside QuickJS; parsing it here yields plain host data.
  return result.valueJson === undefined ? { outcome, ...base } : { outcome, value: JSON.parse(result.valueJson), ...base };
}
