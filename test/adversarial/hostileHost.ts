/**
 * The built host (dist/host.js) under attack: a JSON-RPC client playing the extension, with a workspace on disk,
 * approvals decided by the test, and everything the host sends or writes kept so a test can search it for leaks.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { ModelConfig } from '../../protocol/models';
import {
  BudgetEscalationRequest, CancelRunRequest, CreateFileRequest, PingRequest, ReadFileRequest, ReviewEditRequest, ReviewToolCallRequest, RunFinishedNotification, SpanNotification, StartRunRequest,
  type ReviewToolCallParams, type StartRunParams,
} from '../../protocol/rpc';
import type { EditDecision, RunResult, ToolCallDecision } from '../../protocol/run';
import type { SpanData } from '../../protocol/trace';
import { PROTOCOL_VERSION } from '../../protocol/version';
import { headlessWorkspace, tempDir } from '../unit/helpers';

const HOST_BUNDLE = join(__dirname, '..', '..', 'dist', 'host.js');

export interface RunOptions {
  readonly maxSteps?: number;
  readonly allowHosts?: readonly string[];
  readonly apiKey?: string;
  readonly approvalTimeoutMs?: number;
  /** Off for a plan that must try every one of many failing calls, which loop detection would stop after five. */
  readonly loopDetection?: boolean;
}

export class HostileHost {
  readonly spans = new Map<string, SpanData>();
  /** What the host logged through the client (window/logMessage) and on stderr. */
  readonly logs: string[] = [];
  /** Tool calls the user was asked about. */
  readonly asked: ReviewToolCallParams[] = [];
  decideTool: (review: ReviewToolCallParams) => ToolCallDecision = () => ({ decision: 'denied', reason: 'denied by the test' });
  decideEdit: () => EditDecision = () => ({ decision: 'denied', reason: 'denied by the test' });
  private readonly results = new Map<string, RunResult>();
  private readonly waiting = new Map<string, (result: RunResult) => void>();
  private readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess, readonly connection: MessageConnection, readonly workspace: string, readonly storageDir: string, private readonly modelUrl: string) {
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
    child.stderr!.on('data', (chunk: Buffer) => this.logs.push(chunk.toString()));
    const files = headlessWorkspace(workspace, { edit: async () => this.decideEdit(), toolCall: async (review) => (this.asked.push(review), this.decideTool(review)) });
    connection.onNotification('window/logMessage', (message: { message: string }) => {
      this.logs.push(message.message);
    });
    connection.onNotification(SpanNotification.type, (span) => {
      this.spans.set(span.spanId, span);
    });
    connection.onNotification(RunFinishedNotification.type, (result) => {
      this.results.set(result.runId, result);
      this.waiting.get(result.runId)?.(result);
    });
    connection.onRequest(ReadFileRequest.type, async ({ path }) => ({ text: await files.readFile(path) }));
    connection.onRequest(CreateFileRequest.type, ({ path, content }) => files.createFile(path, content));
    connection.onRequest(ReviewEditRequest.type, (review) => files.reviewEdit(review, new AbortController().signal));
    connection.onRequest(ReviewToolCallRequest.type, (review) => files.reviewToolCall(review, new AbortController().signal));
    connection.onRequest(BudgetEscalationRequest.type, () => ({ approved: false }));
  }

  /** Forks the built host over IPC, as the extension does, on `workspace` with a fresh storage folder unless given one. */
  static async start(workspace: string, modelUrl: string, options: { storageDir?: string; env?: NodeJS.ProcessEnv; l10nBundle?: string } = {}): Promise<HostileHost> {
    const child = fork(HOST_BUNDLE, ['--node-ipc'], { execArgv: [], env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    connection.listen();
    const host = new HostileHost(child, connection, workspace, options.storageDir ?? (await tempDir('keel-adversarial-storage-')), modelUrl);
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      workspaceFolders: [{ uri: pathToFileURL(workspace).href, name: 'workspace' }],
      capabilities: {},
      initializationOptions: { protocolVersion: PROTOCOL_VERSION, storageDir: host.storageDir, ...(options.l10nBundle ? { l10nBundle: options.l10nBundle } : {}) },
    });
    await connection.sendNotification('initialized', {});
    return host;
  }

  models(options: RunOptions = {}): ModelConfig {
    return {
      router: { retries: 0 },
      defaultModel: { provider: 'openai', baseUrl: `${this.modelUrl}/v1`, model: 'hostile-model', ...(options.apiKey ? { apiKey: options.apiKey } : {}) },
      apiKeys: options.apiKey ? { openai: options.apiKey } : {},
    };
  }

  async start(goal: string, options: RunOptions = {}): Promise<string> {
    const params: StartRunParams = {
      goal,
      models: this.models(options),
      limits: { maxSteps: options.maxSteps ?? 8, approvalTimeoutMs: options.approvalTimeoutMs ?? 10_000, ...(options.loopDetection === undefined ? {} : { loopDetection: options.loopDetection }) },
      ...(options.allowHosts ? { allowHosts: options.allowHosts } : {}),
    };
    return (await this.connection.sendRequest(StartRunRequest.type, params)).runId;
  }

  finished(runId: string): Promise<RunResult> {
    const known = this.results.get(runId);
    return known ? Promise.resolve(known) : new Promise((resolve) => this.waiting.set(runId, resolve));
  }

  async run(goal: string, options: RunOptions = {}): Promise<RunResult> {
    return this.finished(await this.start(goal, options));
  }

  cancel(runId: string): Promise<{ cancelled: boolean }> {
    return this.connection.sendRequest(CancelRunRequest.type, { runId });
  }

  /**
   * How long the host took to answer keel/ping, in milliseconds: from sending to the host's answer by the clock both
   * processes share, so a busy test process (the model fixture writing megabytes) does not count against the host.
   */
  async ping(): Promise<number> {
    const sentAt = performance.timeOrigin + performance.now();
    const { hostTime } = await this.connection.sendRequest(PingRequest.type, { sentAt });
    return hostTime - sentAt;
  }

  /**
   * Pings every 10 ms until `until` settles and at least `minMs` have passed; resolves with each delay, in ms. A p99
   * of fewer than a hundred samples is only the slowest one, which a busy 2-core machine decides, not the host.
   */
  async pingWhile(until: Promise<unknown>, minMs = 2500): Promise<number[]> {
    const rtts: number[] = [];
    let done = false;
    const started = performance.now();
    void until.finally(() => (done = true));
    while (!done || performance.now() - started < minMs) {
      rtts.push(await this.ping());
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return rtts;
  }

  spansOf(runId: string): SpanData[] {
    const root = [...this.spans.values()].find((s) => s.attributes['keel.run.id'] === runId);
    return root ? [...this.spans.values()].filter((s) => s.traceId === root.traceId) : [];
  }

  /** Every text the host put anywhere a secret must not reach: files it stored, spans, its log. */
  async everythingItWrote(): Promise<string> {
    const stored = await readTree(this.storageDir);
    return [...stored, JSON.stringify([...this.spans.values()]), ...this.logs].join('\n');
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<number | null> {
    if (this.alive) {
      await this.connection.sendRequest('shutdown').catch(() => undefined);
      await this.connection.sendNotification('exit').catch(() => undefined);
    }
    const code = await Promise.race([this.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000))]);
    this.connection.dispose();
    if (code === 'timeout') this.child.kill('SIGKILL');
    return code === 'timeout' ? null : code;
  }
}

/** The contents of every file under `dir`, as text. */
export async function readTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return Promise.all(entries.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name), 'latin1')));
}

/** The 99th percentile of some samples. */
export function p99(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0;
}
