import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { ErrorCodes } from 'vscode-jsonrpc/node';
import { MAX_PARAMS_DEPTH } from '../../protocol/params';
import { PROTOCOL_VERSION } from '../../protocol/version';
import { until } from '../until';
import { HOST_BUNDLE } from './hostProcess';

/**
 * JSON text sent as it is. The deep params these tests send cannot go through `child.send` or vscode-jsonrpc's IPC
 * writer: the sender's own `JSON.stringify` overflows its stack first, and the library reports that as its own write
 * error (-32099) without the host ever seeing the request.
 */
class RawJson {
  constructor(readonly text: string) {}
}

/** `{"a":{"a":…1…}}` or `[[…1…]]`, `levels` deep. */
function nested(levels: number, kind: 'object' | 'list' = 'object'): RawJson {
  return kind === 'object' ? new RawJson(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`) : new RawJson(`${'['.repeat(levels)}1${']'.repeat(levels)}`);
}

function toJson(value: unknown): string {
  const raw: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof RawJson ? `\u0000raw${raw.push(v.text) - 1}\u0000` : v));
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_, i: string) => raw[Number(i)]!);
}

interface Answer {
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string };
}

/**
 * The built host, started as the extension starts it (`--node-ipc`), with this end of its IPC channel written by
 * hand: Node's IPC channel is newline-delimited JSON over a socket, which the host reads with `JSON.parse` as usual.
 */
class RawHost {
  readonly logs: string[] = [];
  private readonly child: ChildProcess;
  private readonly channel: Readable & Writable;
  private readonly pending = new Map<number, (answer: Answer) => void>();
  private nextId = 1;
  private buffered = '';
  stderr = '';

  constructor() {
    this.child = spawn(process.execPath, [HOST_BUNDLE, '--node-ipc'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_CHANNEL_FD: '3', NODE_CHANNEL_SERIALIZATION_MODE: 'json' },
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.channel = this.child.stdio[3] as Readable & Writable;
    this.channel.setEncoding('utf8');
    this.channel.on('data', (chunk: string) => this.read(chunk));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  request(method: string, params?: unknown): Promise<Answer> {
    const id = this.nextId++;
    const answered = new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method} was not answered within 10 s; host stderr: ${this.stderr.slice(-2000)}`)), 10_000);
      this.pending.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
    this.write({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
    return answered;
  }

  notify(method: string, params?: unknown): void {
    this.write({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) });
  }

  /** Sends a request that must be refused with InvalidParams; resolves with the message. */
  async refused(method: string, params?: unknown): Promise<string> {
    const { result, error } = await this.request(method, params);
    assert.ok(error, `${method} answered ${JSON.stringify(result)} instead of refusing`);
    assert.equal(error.code, ErrorCodes.InvalidParams, `${method}: ${error.code} ${error.message}`);
    return error.message;
  }

  async ping(): Promise<void> {
    const sentAt = Date.now();
    const pong = (await this.request('keel/ping', { sentAt })).result as { sentAt?: number; pid?: number } | undefined;
    assert.deepEqual([pong?.sentAt, pong?.pid], [sentAt, this.child.pid]);
  }

  async stop(): Promise<void> {
    const exited = once(this.child, 'exit');
    if (this.running) {
      await this.request('shutdown').catch(() => undefined);
      this.notify('exit');
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private write(message: unknown): void {
    this.channel.write(`${toJson(message)}\n`);
  }

  private read(chunk: string): void {
    this.buffered += chunk;
    for (let end = this.buffered.indexOf('\n'); end >= 0; end = this.buffered.indexOf('\n')) {
      const message = JSON.parse(this.buffered.slice(0, end)) as { id?: number; method?: string; params?: { message?: string } } & Answer;
      this.buffered = this.buffered.slice(end + 1);
      if (message.method === 'window/logMessage') this.logs.push(message.params?.message ?? '');
      else if (message.method !== undefined && message.id !== undefined) this.write({ jsonrpc: '2.0', id: message.id, error: { code: ErrorCodes.MethodNotFound, message: 'not in this test' } });
      else if (message.id !== undefined) this.pending.get(message.id)?.(message);
    }
  }
}

const models = { router: {}, defaultModel: { provider: 'ollama', baseUrl: 'http://127.0.0.1:9', model: 'm' }, apiKeys: {} };
const run = { goal: 'summarize greeting.txt', models, limits: { maxSteps: 3, approvalTimeoutMs: 1000 } };
const tooDeep = (field: string) => new RegExp(`params nest too deep: ${field.replace(/[[\]]/g, '\\$&')} nests more than ${MAX_PARAMS_DEPTH} levels`);
const DEEP = 100_000;

/** Each request with params it must refuse, and what the refusal must say. */
const refusals: readonly (readonly [method: string, what: string, params: unknown, says: RegExp])[] = [
  ['keel/startRun', 'null params', null, /^Invalid run request: params: must be an object$/],
  ['keel/startRun', 'no params', undefined, /^Invalid run request: params: is missing; it must be an object$/],
  ['keel/startRun', 'missing fields', {}, /^Invalid run request: goal: is missing; it must be a string; models: is missing; .*limits: is missing; it must be an object$/],
  ['keel/startRun', 'a number for the goal', { ...run, goal: 42 }, /^Invalid run request: goal: must be a string$/],
  ...[-5, 0, 1e9, 'NaN', 2.5].map((maxSteps) => ['keel/startRun', `maxSteps ${JSON.stringify(maxSteps)}`, { ...run, limits: { ...run.limits, maxSteps } }, /^Invalid run request: limits\.maxSteps: must be an integer from 1 to 200$/] as const),
  ['keel/startRun', 'approvalTimeoutMs past any timer', { ...run, limits: { ...run.limits, approvalTimeoutMs: 1e12 } }, /^Invalid run request: limits\.approvalTimeoutMs: must be an integer from 1 to 2,147,483,647$/],
  ['keel/startRun', 'an oversized goal', { ...run, goal: 'x'.repeat(20_001) }, /^Invalid run request: goal: must be at most 20,000 characters$/],
  ['keel/startRun', 'too many allowed hosts', { ...run, allowHosts: Array.from({ length: 1001 }, (_, i) => `h${i}.example.com`) }, /^Invalid run request: allowHosts: must have at most 1,000 items$/],
  ['keel/startRun', 'a non-http model URL', { ...run, models: { ...models, defaultModel: { ...models.defaultModel, baseUrl: 'file:///etc/passwd' } } }, /^Invalid run request: models\.defaultModel\.baseUrl: must be an http\(s\) URL$/],
  ['keel/startRun', 'deeply nested limits', { ...run, limits: nested(DEEP) }, tooDeep('limits')],
  ['keel/startRun', 'deeply nested router settings', { ...run, models: { ...models, router: { models: nested(DEEP, 'list') } } }, tooDeep('models')],
  ['keel/cancelRun', 'null params', null, /^Invalid keel\/cancelRun request: params: must be an object$/],
  ['keel/cancelRun', 'a missing run id', {}, /^Invalid keel\/cancelRun request: runId: is missing; it must be a string$/],
  ['keel/cancelRun', 'a numeric run id', { runId: 7 }, /^Invalid keel\/cancelRun request: runId: must be a string$/],
  ['keel/cancelRun', 'an oversized run id', { runId: 'r'.repeat(201) }, /^Invalid keel\/cancelRun request: runId: must be at most 200 characters$/],
  ['keel/cancelRun', 'a deeply nested run id', { runId: nested(DEEP, 'list') }, tooDeep('runId')],
  ['keel/ping', 'null params', null, /^Invalid keel\/ping request: params: must be an object$/],
  ['keel/ping', 'params as a list', [1, 2], /^Invalid keel\/ping request: params: must be an object$/],
  ['keel/ping', '"NaN" for a number', { sentAt: 'NaN' }, /^Invalid keel\/ping request: sentAt: must be a number$/],
  ['keel/ping', 'a deeply nested sentAt', { sentAt: nested(DEEP) }, tooDeep('sentAt')],
  ['keel/ping', 'deeply nested params', nested(DEEP), tooDeep('a')],
  ['mcp/setServers', 'null params', null, /^Invalid mcp\/setServers request: params: must be an object$/],
  ['mcp/setServers', 'an unknown server type', { servers: [{ name: 'a', source: 's', type: 'ws' }], sampling: models }, /^Invalid mcp\/setServers request: servers\[0\]\.type: must be one of "stdio", "http"$/],
  ['mcp/setServers', 'a numeric environment value', { servers: [{ name: 'a', source: 's', type: 'stdio', command: 'x', args: [], env: { PORT: 80 } }], sampling: models }, /^Invalid mcp\/setServers request: servers\[0\]\.env\.PORT: must be a string$/],
  ['mcp/setServers', 'no sampling models', { servers: [] }, /^Invalid mcp\/setServers request: sampling: is missing; it must be an object$/],
  ['mcp/setServers', 'too many servers', { servers: Array.from({ length: 101 }, (_, i) => ({ name: `s${i}`, source: 's', type: 'http', url: 'http://127.0.0.1:9', headers: {} })), sampling: models }, /^Invalid mcp\/setServers request: servers: must have at most 100 items$/],
  ['mcp/setServers', 'deeply nested servers', { servers: nested(DEEP, 'list'), sampling: models }, tooDeep('servers')],
  ['mcp/listPrompts', 'null params', null, /^Invalid mcp\/listPrompts request: params: must be absent or \{\}: this request takes no params$/],
  ['mcp/listPrompts', 'unexpected params', { server: 'a' }, /^Invalid mcp\/listPrompts request: params: must be absent or \{\}/],
  ['mcp/listPrompts', 'deeply nested params', { a: nested(DEEP) }, tooDeep('a')],
  ['mcp/getPrompt', 'null params', null, /^Invalid mcp\/getPrompt request: params: must be an object$/],
  ['mcp/getPrompt', 'a numeric argument', { server: 's', name: 'n', arguments: { count: 3 } }, /^Invalid mcp\/getPrompt request: arguments\.count: must be a string$/],
  ['mcp/getPrompt', 'a missing name', { server: 's', arguments: {} }, /^Invalid mcp\/getPrompt request: name: is missing; it must be a string$/],
  ['mcp/getPrompt', 'an oversized argument', { server: 's', name: 'n', arguments: { text: 'x'.repeat(20_001) } }, /^Invalid mcp\/getPrompt request: arguments\.text: must be at most 20,000 characters$/],
  ['mcp/getPrompt', 'deeply nested arguments', { server: 's', name: 'n', arguments: nested(DEEP) }, tooDeep('arguments')],
  ['runs/listFailed', 'unexpected params', { all: true }, /^Invalid runs\/listFailed request: params: must be absent or \{\}/],
  ['runs/retryFailed', 'no run id', {}, /^Invalid runs\/retryFailed request: runId: is missing/],
  ['runs/retryFailed', 'a numeric run id', { runId: 7 }, /^Invalid runs\/retryFailed request: runId: must be a string/],
  ['runs/dismissFailed', 'a deeply nested run id', { runId: nested(DEEP) }, tooDeep('runId')],
  ['runs/startWorkflow', 'no path', { models, limits: { maxSteps: 1, approvalTimeoutMs: 1 } }, /^Invalid workflow request: path: is missing/],
  ['runs/startWorkflow', 'a path that is not a .js file', { path: '.env', models, limits: { maxSteps: 1, approvalTimeoutMs: 1 } }, /^Invalid workflow request: path: must name a \.js file/],
  ['runs/startWorkflow', 'an oversized input', { path: 'a.js', input: 'x'.repeat(100_001), models, limits: { maxSteps: 1, approvalTimeoutMs: 1 } }, /^Invalid workflow request: input: must be at most 100000 characters as JSON/],
  ['runs/startWorkflow', 'a deeply nested input', { path: 'a.js', input: nested(DEEP), models, limits: { maxSteps: 1, approvalTimeoutMs: 1 } }, tooDeep('input')],
  ['runs/startWorkflow', 'a compute limit over ten minutes', { path: 'a.js', computeMs: 600_001, models, limits: { maxSteps: 1, approvalTimeoutMs: 1 } }, /^Invalid workflow request: computeMs: must be an integer from 1 to 600,000/],
  ['runs/planWorkflow', 'an empty goal', { goal: '', models }, /^Invalid runs\/planWorkflow request: goal: /],
  ['tools/list', 'null params', null, /^Invalid tools\/list request: params: must be absent or \{\}/],
  ['tools/list', 'deeply nested params', nested(DEEP, 'list'), tooDeep('params[0]')],
  ['sandbox/eval', 'null params', null, /^Invalid sandbox\/eval request: params: must be an object$/],
  ['sandbox/eval', 'no code', { input: 1 }, /^Invalid sandbox\/eval request: code: is missing; it must be a string$/],
  ['sandbox/eval', 'oversized code', { code: ' '.repeat(100_001) }, /^Invalid sandbox\/eval request: code: must be at most 100,000 characters$/],
  ['sandbox/eval', 'a deeply nested input', { code: 'return input', input: nested(DEEP) }, tooDeep('input')],
  ['memory/search', 'null params', null, /^Invalid memory\/search request: params: must be an object$/],
  ['memory/search', 'an empty query', { query: '' }, /^Invalid memory\/search request: query: must not be empty$/],
  ['memory/search', 'an oversized query', { query: 'q'.repeat(501) }, /^Invalid memory\/search request: query: must be at most 500 characters$/],
  ...[0, 101, 'NaN'].map((limit) => ['memory/search', `limit ${JSON.stringify(limit)}`, { query: 'retry', limit }, /^Invalid memory\/search request: limit: must be an integer from 1 to 100$/] as const),
  ['memory/search', 'a deeply nested query', { query: nested(DEEP) }, tooDeep('query')],
  ['memory/reindex', 'unexpected params', { force: true }, /^Invalid memory\/reindex request: params: must be absent or \{\}/],
  ['memory/reindex', 'deeply nested params', { force: nested(DEEP) }, tooDeep('force')],
  ['model/discoverOllama', 'null params', null, /^Invalid model\/discoverOllama request: params: must be an object$/],
  ['model/discoverOllama', 'not a URL', { baseUrl: 'localhost:11434' }, /^Invalid model\/discoverOllama request: baseUrl: must be an http\(s\) URL$/],
  ['model/discoverOllama', 'a file URL', { baseUrl: 'file:///etc/passwd' }, /^Invalid model\/discoverOllama request: baseUrl: must be an http\(s\) URL$/],
  ['model/discoverOllama', 'an oversized URL', { baseUrl: `http://127.0.0.1:9/${'a'.repeat(3000)}` }, /^Invalid model\/discoverOllama request: baseUrl: must be at most 2,048 characters$/],
  ['model/discoverOllama', 'a deeply nested URL', { baseUrl: nested(DEEP) }, tooDeep('baseUrl')],
  ['model/check', 'null params', null, /^Invalid model\/check request: params: must be an object$/],
  ['model/check', 'a file URL for the model', { models: { router: {}, defaultModel: { provider: 'ollama', baseUrl: 'file:///etc/passwd', model: 'm' }, apiKeys: {} } }, /^Invalid model\/check request: models\.defaultModel\.baseUrl: must be an http\(s\) URL$/],
  ['model/check', 'a deeply nested catalogue', { models: { router: { models: nested(DEEP) }, defaultModel: { provider: 'ollama', baseUrl: 'http://127.0.0.1:9', model: 'm' }, apiKeys: {} } }, tooDeep('models')],
];

/** Each notification with params it must drop, and what the host's log must say. */
const dropped: readonly (readonly [method: string, what: string, params: unknown, says: RegExp])[] = [
  ['memory/filesChanged', 'null params', null, /^Invalid memory\/filesChanged notification: params: must be an object\. It was ignored\.$/],
  ['memory/filesChanged', 'a path that is not a string', { paths: ['a.ts', 7] }, /^Invalid memory\/filesChanged notification: paths\[1\]: must be a string\. It was ignored\.$/],
  ['memory/filesChanged', 'deeply nested paths', { paths: nested(DEEP, 'list') }, tooDeep('paths')],
  ['memory/settings', 'a glob that is not a list', { filesExclude: '**/.git' }, /^Invalid memory\/settings notification: filesExclude: must be a list\. It was ignored\.$/],
  ['memory/settings', 'deeply nested globs', { filesExclude: nested(DEEP) }, tooDeep('filesExclude')],
  ['model/chatText', 'null params', null, /^Invalid model\/chatText notification: params: must be an object\. It was ignored\.$/],
  ['model/chatText', 'a missing delta', { requestId: 'r1' }, /^Invalid model\/chatText notification: delta: is missing; it must be a string\. It was ignored\.$/],
  ['model/chatText', 'a deeply nested delta', { requestId: 'r1', delta: nested(DEEP) }, tooDeep('delta')],
];

describe('protocol validation at the host', function () {
  this.timeout(30_000);
  let host: RawHost;

  before(async () => {
    host = new RawHost();
    const { result, error } = await host.request('initialize', { processId: process.pid, rootUri: null, workspaceFolders: null, capabilities: {}, initializationOptions: { protocolVersion: PROTOCOL_VERSION } });
    assert.ok(result, error?.message);
    host.notify('initialized', {});
  });
  after(() => host.stop());
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(`host log:\n${host.logs.join('\n')}\nhost stderr:\n${host.stderr.slice(-4000)}`);
  });

  for (const [method, what, params, says] of refusals) {
    it(`${method} refuses ${what} with InvalidParams naming the field, and the host still answers a ping`, async () => {
      assert.match(await host.refused(method, params), says);
      await host.ping();
    });
  }

  for (const [method, what, params, says] of dropped) {
    it(`${method} drops ${what}, logging the field, and the host still answers a ping`, async () => {
      const before = host.logs.length;
      host.notify(method, params);
      const logged = await until(`the ${method} notification to be logged`, () => host.logs.slice(before).find((line) => line.startsWith(`Invalid ${method} notification`)));
      assert.match(logged, says);
      await host.ping();
    });
  }

  it('is still running after every bad request', () => {
    assert.ok(host.running);
    assert.deepEqual(host.logs.filter((line) => /Maximum call stack|Cannot destructure|failed with message/.test(line)), []);
  });
});

describe('initialization options at the host', function () {
  this.timeout(30_000);

  it('refuses options that do not match the protocol with InvalidParams naming the field', async () => {
    const host = new RawHost();
    try {
      const initialize = (initializationOptions: unknown) => host.refused('initialize', { processId: process.pid, rootUri: null, workspaceFolders: null, capabilities: {}, initializationOptions });
      assert.equal(await initialize({ protocolVersion: PROTOCOL_VERSION, filesExclude: '**/.git' }), 'Invalid initialization options: filesExclude: must be a list');
      assert.match(await initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: nested(DEEP) }), tooDeep('storageDir'));
      assert.ok(host.running);
    } finally {
      await host.stop();
    }
  });
});
