import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ReadFileRequest, ReviewEditRequest, RunFinishedNotification, SpanNotification, StartRunRequest } from '../../protocol/rpc';
import type { RunResult } from '../../protocol/run';
import type { SpanData } from '../../protocol/trace';
import { PROTOCOL_VERSION, type HostInitializationOptions } from '../../protocol/version';
import { RAW } from '../fixtures/leakySecrets';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { startOtlpReceiver, type OtlpReceiver, type ReceiverMode } from '../fixtures/otlpReceiver';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { headlessWorkspace, tempDir } from '../unit/helpers';
import { startHost } from './hostProcess';

const TOKEN = 'otlp-host-token-4c1d8e7b90';
const GOAL = 'replace "world" with "keel" in greeting.txt';
const SENT = /OTLP export: (\d+) span\(s\) sent, (\d+) dropped\./;

interface ExportingRun {
  readonly result: RunResult;
  /** How long the run took, from start request to its end. */
  readonly ms: number;
  readonly spans: SpanData[];
  readonly logs: string[];
  /** From the host's last log line: what it sent and dropped. */
  readonly sent: number;
  readonly dropped: number;
}

/** Runs one scripted task in the built host with export to `endpoint`, then stops the host (which flushes). */
async function runExporting(model: ModelServer, endpoint: string, options: { captureContent?: boolean; greeting?: string } = {}): Promise<ExportingRun> {
  const workspace = await tempDir();
  await writeFile(join(workspace, 'greeting.txt'), options.greeting ?? 'hello world\n');
  const host = startHost();
  const spans = new Map<string, SpanData>();
  const logs: string[] = [];
  let finish: (result: RunResult) => void = () => undefined;
  const finished = new Promise<RunResult>((resolve) => (finish = resolve));
  const files = headlessWorkspace(workspace, { edit: async () => ({ decision: 'approved' }), toolCall: async () => ({ decision: 'approved' }) });
  host.connection.onNotification(SpanNotification.type, (span) => void spans.set(span.spanId, span));
  host.connection.onNotification(RunFinishedNotification.type, (result) => finish(result));
  host.connection.onNotification('window/logMessage', (message: { message: string }) => void logs.push(message.message));
  host.connection.onRequest(ReadFileRequest.type, async ({ path }) => ({ text: await files.readFile(path) }));
  host.connection.onRequest(ReviewEditRequest.type, (review) => files.reviewEdit(review, new AbortController().signal));
  const initializationOptions: HostInitializationOptions = {
    protocolVersion: PROTOCOL_VERSION,
    storageDir: await tempDir(),
    telemetry: { otlpEndpoint: endpoint, otlpHeaders: `Authorization=Bearer%20${TOKEN},x-team=keel`, captureContent: options.captureContent ?? false },
  };
  await host.connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    workspaceFolders: [{ uri: pathToFileURL(workspace).href, name: 'workspace' }],
    capabilities: {},
    initializationOptions,
  });
  await host.connection.sendNotification('initialized', {});
  const began = performance.now();
  await host.connection.sendRequest(StartRunRequest.type, {
    goal: GOAL,
    models: { router: { retries: 0 }, defaultModel: { provider: 'ollama', baseUrl: model.url, model: 'test-model' }, apiKeys: {} },
    limits: { maxSteps: 8, approvalTimeoutMs: 10_000 },
  });
  const result = await finished;
  const ms = performance.now() - began;
  assert.equal(await host.stop(), 0, 'the host exits cleanly, and in time, after shutdown/exit');
  const counts = logs.map((line) => SENT.exec(line)).find(Boolean);
  assert.ok(counts, `the host logs what it sent and dropped:\n${logs.join('\n')}`);
  return { result, ms, spans: [...spans.values()], logs, sent: Number(counts[1]), dropped: Number(counts[2]) };
}

describe('OTLP export from the built host', function () {
  this.timeout(20_000);
  let model: ModelServer;
  let receiver: OtlpReceiver;

  before(async () => {
    model = await startModelServer(scriptedAgent);
  });
  after(() => model.close());
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(() => receiver.close());

  it('sends every finished span with its parent links, GenAI attributes and resource', async () => {
    const run = await runExporting(model, receiver.url);
    assert.equal(run.result.outcome, 'succeeded', run.result.message);
    const ended = run.spans.filter((s) => s.endTime !== undefined);
    assert.deepEqual({ sent: run.sent, dropped: run.dropped }, { sent: ended.length, dropped: 0 });
    assert.deepEqual(receiver.spans.map((s) => s.spanId).sort(), ended.map((s) => s.spanId).sort(), 'each span once, under its own id');

    const received = new Map(receiver.spans.map((s) => [s.spanId, s]));
    const root = receiver.spans.find((s) => s.name === 'invoke_agent keel')!;
    assert.equal(root.parentSpanId, undefined);
    for (const span of ended) {
      const got = received.get(span.spanId)!;
      assert.equal(got.traceId, span.traceId);
      assert.equal(got.parentSpanId, span.parentSpanId, `${span.name} keeps its parent`);
      if (got.parentSpanId) assert.ok(received.has(got.parentSpanId), `${span.name}'s parent was exported too`);
      assert.equal(got.startTimeUnixNano, BigInt(span.startTime) * 1_000_000n);
      assert.equal(got.endTimeUnixNano, BigInt(span.endTime!) * 1_000_000n);
      assert.deepEqual(got.resource, { 'service.name': 'keel', 'service.version': '0.1.0' });
    }
    const chats = receiver.spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat');
    assert.ok(chats.length >= 2);
    for (const chat of chats) {
      assert.equal(chat.parentSpanId, root.spanId);
      assert.equal(chat.kind, 3);
      assert.equal(chat.attributes['gen_ai.provider.name'], 'ollama');
      assert.equal(typeof chat.attributes['gen_ai.usage.input_tokens'], 'number');
      assert.equal(chat.status.code, 1);
    }
    const tools = receiver.spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'execute_tool');
    assert.deepEqual(tools.map((s) => s.attributes['gen_ai.tool.name']).sort(), ['propose_edit', 'read_file']);
    assert.equal(root.attributes['gen_ai.agent.name'], 'keel');
    assert.equal(root.attributes['keel.run.goal'], undefined, 'the goal is content: not sent without captureContent');
    for (const span of receiver.spans) assert.equal(span.attributes['gen_ai.input.messages'] ?? span.attributes['gen_ai.tool.call.result'], undefined, `${span.name} exported content`);

    assert.equal(receiver.requests.find((r) => r.path === '/v1/traces')!.headers.authorization, `Bearer ${TOKEN}`);
    const everything = JSON.stringify({ logs: run.logs, spans: run.spans, received: receiver.spans }, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    assert.ok(!everything.includes(TOKEN), 'the export headers appear in no log and no span');
  });

  it('with captureContent, sends each model call\'s messages and each tool call\'s arguments and result, redacted', async () => {
    const run = await runExporting(model, receiver.url, { captureContent: true, greeting: `hello world\nDB_PASSWORD=${RAW.dbPassword}\nOPENAI_API_KEY=${RAW.openaiKey}\n` });
    assert.equal(run.result.outcome, 'succeeded', run.result.message);
    const root = receiver.spans.find((s) => s.name === 'invoke_agent keel')!;
    const chats = receiver.spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat');
    assert.ok(chats.length >= 2);
    for (const chat of chats) {
      assert.equal(chat.parentSpanId, root.spanId);
      const input = JSON.parse(String(chat.attributes['gen_ai.input.messages'])) as { role: string }[];
      assert.equal(input[0]!.role, 'user');
      assert.match(String(chat.attributes['gen_ai.system_instructions']), /You are Keel/);
      assert.match(String(chat.attributes['gen_ai.output.messages']), /"finish_reason":/);
    }
    const read = receiver.spans.find((s) => s.attributes['gen_ai.tool.name'] === 'read_file')!;
    assert.equal(read.parentSpanId, root.spanId);
    assert.equal(read.attributes['gen_ai.tool.call.arguments'], '{"path":"greeting.txt"}');
    assert.match(String(read.attributes['gen_ai.tool.call.result']), /hello world\nDB_PASSWORD=\[REDACTED secret assignment\]/);
    const last = chats.at(-1)!;
    assert.match(String(last.attributes['gen_ai.input.messages']), /"role":"tool"/);
    const everything = JSON.stringify({ logs: run.logs, spans: run.spans, received: receiver.spans }, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    for (const [name, value] of Object.entries(RAW)) assert.ok(!everything.includes(value), `${name} left the host`);
    assert.ok(run.spans.every((s) => !('gen_ai.input.messages' in s.attributes)), 'content never rides on span notifications');
  });

  it('finishes the run promptly when the collector answers slowly, and still sends every span', async () => {
    receiver.mode = { delayMs: 300 };
    const run = await runExporting(model, receiver.url);
    assert.equal(run.result.outcome, 'succeeded', run.result.message);
    assert.ok(run.ms < 3000, `the run took ${Math.round(run.ms)} ms`);
    const ended = run.spans.filter((s) => s.endTime !== undefined).length;
    assert.deepEqual({ sent: run.sent, dropped: run.dropped }, { sent: ended, dropped: 0 });
    assert.equal(receiver.spans.length, ended);
  });

  const troubles: { what: string; mode: ReceiverMode | 'refused' }[] = [
    { what: 'refuses connections', mode: 'refused' },
    { what: 'never answers', mode: 'hang' },
    { what: 'answers 429', mode: 429 },
    { what: 'answers 500', mode: 500 },
  ];
  for (const { what, mode } of troubles) {
    it(`finishes the run promptly when the collector ${what}, and counts every span dropped`, async () => {
      let endpoint = receiver.url;
      if (mode === 'refused') {
        const closed = await startOtlpReceiver();
        endpoint = closed.url;
        await closed.close();
      } else {
        receiver.mode = mode;
      }
      const began = performance.now();
      const run = await runExporting(model, endpoint);
      assert.equal(run.result.outcome, 'succeeded', run.result.message);
      assert.ok(run.ms < 3000, `the run took ${Math.round(run.ms)} ms`);
      assert.ok(performance.now() - began < 8000, 'start, run and stop stay prompt');
      const ended = run.spans.filter((s) => s.endTime !== undefined).length;
      assert.deepEqual({ sent: run.sent, dropped: run.dropped }, { sent: 0, dropped: ended });
      assert.ok(run.logs.every((line) => !line.includes(TOKEN)), run.logs.join('\n'));
    });
  }
});

describe('OTLP export from the CLI (dist/cli.js)', function () {
  this.timeout(20_000);
  let model: ModelServer;
  let receiver: OtlpReceiver;

  before(async () => {
    model = await startModelServer(scriptedAgent);
    receiver = await startOtlpReceiver();
  });
  after(async () => {
    await model.close();
    await receiver.close();
  });

  it('honours OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS', async () => {
    const workspace = await tempDir();
    await writeFile(join(workspace, 'greeting.txt'), 'hello world\n');
    const env = { PATH: process.env.PATH, HOME: await tempDir(), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${TOKEN}` };
    const cli = join(__dirname, '..', '..', 'dist', 'cli.js');
    const child = spawn(process.execPath, [cli, 'run', GOAL, '--workspace', workspace, '--base-url', model.url, '--yes'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, stderr);
    assert.match(stdout, /succeeded/);
    const counts = SENT.exec(stderr);
    assert.ok(counts, stderr);
    assert.equal(Number(counts[1]), receiver.spans.length);
    assert.equal(Number(counts[2]), 0);
    const root = receiver.spans.find((s) => s.name === 'invoke_agent keel')!;
    assert.ok(root);
    assert.ok(receiver.spans.filter((s) => s !== root).every((s) => s.traceId === root.traceId && s.parentSpanId), 'one trace under the agent span');
    assert.equal(receiver.requests.find((r) => r.path === '/v1/traces')!.headers.authorization, `Bearer ${TOKEN}`);
    assert.ok(!stdout.includes(TOKEN) && !stderr.includes(TOKEN));
  });
});
