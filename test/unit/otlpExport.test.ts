import assert from 'node:assert/strict';
import { startOtlpExport, type OtlpExporter } from '../../host/observability/otlp';
import { otlpSettingsFromEnv, parseOtlpHeaders } from '../../host/observability/otlpSettings';
import { tracesUrl } from '../../host/observability/otlpExport';
import { redacted } from '../../host/observability/redaction';
import { startTrace, type Span } from '../../host/observability/tracer';
import type { SpanData } from '../../protocol/trace';
import { startOtlpReceiver, type OtlpReceiver, type ReceiverMode } from '../fixtures/otlpReceiver';
import { LEAKY_ENV, RAW } from '../fixtures/leakySecrets';
import { until } from '../until';

const TOKEN = 'otlp-unit-token-7f3a9c2e51';

describe('OTLP export (OpenTelemetry SDK)', function () {
  this.timeout(10_000);
  let receiver: OtlpReceiver;
  let exporter: OtlpExporter | undefined;
  let logs: string[];

  function start(mode: ReceiverMode, options: { captureContent?: boolean; maxQueueSize?: number; endpoint?: string; exportTimeoutMs?: number } = {}): (span: SpanData) => void {
    receiver.mode = mode;
    exporter = startOtlpExport({
      endpoint: options.endpoint ?? receiver.url,
      headers: { Authorization: `Bearer ${TOKEN}`, 'x-team': 'keel' },
      captureContent: options.captureContent ?? false,
      serviceVersion: '9.8.7',
      log: (line) => logs.push(redacted(line)),
      scheduledDelayMs: 20,
      maxQueueSize: options.maxQueueSize,
      exportTimeoutMs: options.exportTimeoutMs ?? 2000,
    });
    return exporter.sink;
  }

  /** A run's shape: the agent, a model call, a tool call that fails, and a cancelled approval. */
  function runTrace(sink: (span: SpanData) => void): Span[] {
    const root = startTrace(sink, 'invoke_agent keel', 'invoke_agent', { 'gen_ai.agent.name': 'keel', 'keel.run.goal': 'fix the bug' });
    const chat = root.child('chat test-model', 'chat', { 'gen_ai.request.model': 'test-model', 'gen_ai.usage.input_tokens': 12 });
    chat.end('ok');
    const tool = root.child('execute_tool read_file', 'execute_tool', { 'gen_ai.tool.name': 'read_file' });
    tool.end('error', 'no such file');
    const approval = root.child('approval propose_edit', 'approval');
    approval.end('cancelled', 'the run was cancelled');
    root.end('ok');
    return [root, chat, tool, approval];
  }

  const traceRequests = () => receiver.requests.filter((r) => r.path === '/v1/traces');

  beforeEach(async () => {
    receiver = await startOtlpReceiver();
    logs = [];
  });
  afterEach(async () => {
    await exporter?.shutdown(200);
    exporter = undefined;
    await receiver.close();
  });

  it('exports each finished span once, with its ids, parent links, times, status, attributes, resource and scope', async () => {
    const sink = start('ok');
    const [root, chat, tool, approval] = runTrace(sink);
    const stats = await exporter!.shutdown(2000);
    assert.deepEqual(stats, { queued: 4, exported: 4, dropped: 0 });
    assert.equal(receiver.spans.length, 4, 'running snapshots are not exported');
    const byId = new Map(receiver.spans.map((s) => [s.spanId, s]));
    const got = (span: Span) => byId.get(span.spanId)!;
    assert.equal(got(root!).parentSpanId, undefined);
    for (const child of [chat!, tool!, approval!]) {
      assert.equal(got(child).traceId, root!.traceId);
      assert.equal(got(child).parentSpanId, root!.spanId);
    }
    assert.equal(got(chat!).name, 'chat test-model');
    assert.equal(got(chat!).kind, 3, 'a model call is a client span');
    assert.equal(got(root!).kind, 1);
    assert.equal(got(chat!).attributes['gen_ai.operation.name'], 'chat');
    assert.equal(got(chat!).attributes['gen_ai.request.model'], 'test-model');
    assert.equal(got(chat!).attributes['gen_ai.usage.input_tokens'], 12);
    assert.deepEqual(got(chat!).status, { code: 1, message: '' });
    assert.deepEqual(got(tool!).status, { code: 2, message: 'no such file' });
    assert.deepEqual(got(approval!).status, { code: 0, message: '' }, 'a cancellation is not an error');
    assert.equal(got(approval!).attributes['keel.status'], 'cancelled');
    assert.ok(got(root!).endTimeUnixNano >= got(root!).startTimeUnixNano);
    assert.ok(Math.abs(Number(got(root!).startTimeUnixNano / 1_000_000n) - Date.now()) < 5000, 'times are epoch nanoseconds');
    assert.deepEqual({ name: got(root!).resource['service.name'], version: got(root!).resource['service.version'] }, { name: 'keel', version: '9.8.7' });
    assert.deepEqual(got(root!).scope, { name: 'keel', version: '9.8.7' });
    assert.equal(got(root!).attributes['keel.run.goal'], undefined, 'content attributes stay home unless captureContent is on');
    // Metrics go to the same collector, at /v1/metrics, in their own time.
    const [request] = traceRequests();
    assert.ok(request, `no request to /v1/traces among ${receiver.requests.map((r) => r.path).join(', ')}`);
    assert.equal(request.contentType, 'application/x-protobuf');
    assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(request.headers['x-team'], 'keel');
    assert.deepEqual(logs, ['OTLP export: 4 span(s) sent, 0 dropped.']);
  });

  it('exports content attributes with captureContent, still redacted', async () => {
    const sink = start('ok', { captureContent: true });
    const root = startTrace(sink, 'invoke_agent keel', 'invoke_agent', { 'keel.run.goal': 'use key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD' });
    root.end('ok');
    await exporter!.shutdown(2000);
    const goal = String(receiver.spans[0]!.attributes['keel.run.goal']);
    assert.match(goal, /^use key \[REDACTED [^\]]+\]$/);
  });

  /** A model call and a tool call with content, secrets planted in the prompt, the answer, the arguments and the result. */
  function contentTrace(sink: (span: SpanData) => void): { root: Span; chat: Span; tool: Span } {
    const root = startTrace(sink, 'invoke_agent keel', 'invoke_agent');
    const chat = root.child('chat m', 'chat', { 'gen_ai.request.model': 'm' });
    chat.setContent({
      'gen_ai.system_instructions': [{ type: 'text', content: 'You are Keel.' }],
      'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: `deploy with DB_PASSWORD=${RAW.dbPassword}` }] }],
      'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'read_file', arguments: { path: '.env', token: RAW.openaiKey } }], finish_reason: 'tool_calls' }],
    });
    chat.end('ok');
    const tool = root.child('execute_tool read_file', 'execute_tool', { 'gen_ai.tool.name': 'read_file' });
    tool.setContent({ 'gen_ai.tool.call.arguments': { path: '.env' }, 'gen_ai.tool.call.result': LEAKY_ENV });
    tool.end('ok');
    root.end('ok');
    return { root, chat, tool };
  }

  for (const captureContent of [true, false]) {
    it(`exports span content as GenAI attributes only with captureContent ${captureContent ? 'on' : 'off'}, never a planted secret`, async () => {
      const sink = start('ok', { captureContent });
      const { root, chat, tool } = contentTrace(sink);
      assert.deepEqual(await exporter!.shutdown(2000), { queued: 3, exported: 3, dropped: 0 });
      const byId = new Map(receiver.spans.map((s) => [s.spanId, s]));
      const [gotChat, gotTool] = [byId.get(chat.spanId)!, byId.get(tool.spanId)!];
      assert.equal(gotChat.parentSpanId, root.spanId);
      assert.equal(gotTool.parentSpanId, root.spanId);
      const contentKeys = ['gen_ai.system_instructions', 'gen_ai.input.messages', 'gen_ai.output.messages'];
      if (captureContent) {
        const input = JSON.parse(String(gotChat.attributes['gen_ai.input.messages'])) as { role: string; parts: { content: string }[] }[];
        assert.equal(input[0]!.role, 'user');
        assert.equal(input[0]!.parts[0]!.content, 'deploy with DB_PASSWORD=[REDACTED secret assignment]');
        assert.match(String(gotChat.attributes['gen_ai.output.messages']), /"finish_reason":"tool_calls"/);
        assert.deepEqual(JSON.parse(String(gotChat.attributes['gen_ai.system_instructions'])), [{ type: 'text', content: 'You are Keel.' }]);
        assert.equal(gotTool.attributes['gen_ai.tool.call.arguments'], '{"path":".env"}');
        assert.match(String(gotTool.attributes['gen_ai.tool.call.result']), /AWS_SECRET_ACCESS_KEY=\[REDACTED secret assignment\]/);
      } else {
        for (const key of contentKeys) assert.equal(gotChat.attributes[key], undefined, `${key} left the machine`);
        assert.equal(gotTool.attributes['gen_ai.tool.call.result'], undefined);
      }
      assert.equal(gotChat.attributes['gen_ai.request.model'], 'm');
      const everything = JSON.stringify(receiver.spans, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      for (const [name, value] of Object.entries(RAW)) assert.ok(!everything.includes(value), `${name} was exported`);
    });
  }

  it('exports a span whose content is too big without it, saying so', async () => {
    const sink = start('ok', { captureContent: true });
    const root = startTrace(sink, 'execute_tool cat', 'execute_tool');
    root.setContent({ 'gen_ai.tool.call.result': 'x'.repeat(200_000), 'keel.more': 'y'.repeat(200_000) });
    root.end('ok');
    await exporter!.shutdown(2000);
    const [got] = receiver.spans;
    assert.equal(got!.attributes['gen_ai.tool.call.result'], undefined);
    assert.match(String(got!.attributes['keel.content.omitted']), /^400\d{3} characters of content are too many to export now; the local trace keeps them$/);
  });

  it('treats the export headers as secrets', () => {
    start('ok');
    assert.equal(redacted(`the token was ${TOKEN}.`), 'the token was [REDACTED known secret].');
  });

  for (const status of [500, 429]) {
    it(`counts the spans a collector answering ${status} refuses, without logging its answer`, async () => {
      const sink = start(status, { exportTimeoutMs: 500 });
      const began = performance.now();
      runTrace(sink);
      assert.ok(performance.now() - began < 50, 'recording never waits for the collector');
      const stats = await exporter!.shutdown(1500);
      assert.deepEqual(stats, { queued: 4, exported: 0, dropped: 4 });
      assert.ok(traceRequests().length >= 1);
      assert.ok(logs.some((l) => /4 span\(s\) dropped so far/.test(l) || /0 span\(s\) sent, 4 dropped/.test(l)), logs.join('\n'));
      assert.ok(logs.every((l) => !l.includes(TOKEN)), logs.join('\n'));
    });
  }

  it('never makes a run wait for a slow collector, and still delivers everything', async () => {
    const sink = start({ delayMs: 400 });
    const began = performance.now();
    for (let i = 0; i < 20; i++) runTrace(sink);
    assert.ok(performance.now() - began < 100, 'recording never waits for the collector');
    await until('the first export request', () => traceRequests().length > 0);
    assert.deepEqual(await exporter!.shutdown(3000), { queued: 80, exported: 80, dropped: 0 });
    assert.equal(receiver.spans.length, 80);
  });

  it('gives up on a collector that never answers within the shutdown bound, counting what was unsent', async () => {
    const sink = start('hang', { exportTimeoutMs: 5000 });
    runTrace(sink);
    await until('the first export request', () => traceRequests().length > 0);
    const began = performance.now();
    const stats = await exporter!.shutdown(300);
    assert.ok(performance.now() - began < 1000, `shutdown took ${Math.round(performance.now() - began)} ms`);
    assert.deepEqual(stats, { queued: 4, exported: 0, dropped: 4 });
  });

  it('drops and counts spans past its queue bound instead of holding them', async () => {
    const sink = start('hang', { maxQueueSize: 4, exportTimeoutMs: 5000 });
    for (let i = 0; i < 3; i++) runTrace(sink);
    await until('the first export request', () => traceRequests().length > 0);
    const stats = await exporter!.shutdown(100);
    assert.equal(stats.queued, 4);
    assert.equal(stats.dropped, 12, 'the 8 spans past the bound and the 4 never acknowledged');
  });

  it('counts spans as dropped when nothing listens', async () => {
    const closed = await startOtlpReceiver();
    const url = closed.url;
    await closed.close();
    const sink = start('ok', { endpoint: url, exportTimeoutMs: 500 });
    runTrace(sink);
    const stats = await exporter!.shutdown(1000);
    assert.deepEqual(stats, { queued: 4, exported: 0, dropped: 4 });
  });

  it('reads the OpenTelemetry environment variables and the headers format', () => {
    assert.equal(otlpSettingsFromEnv({}), undefined);
    assert.deepEqual(otlpSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318', OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Basic%20YWJj, x-a = b ,broken,=x' }), {
      endpoint: 'http://localhost:4318',
      headers: { Authorization: 'Basic YWJj', 'x-a': 'b' },
      captureContent: false,
    });
    assert.equal(otlpSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b/v1/traces', KEEL_OTLP_CAPTURE_CONTENT: 'true' })?.endpoint, 'http://b/v1/traces');
    assert.deepEqual(parseOtlpHeaders('a=%E0%A4%A'), {}, 'a bad escape is skipped');
    assert.equal(tracesUrl('http://localhost:4318/'), 'http://localhost:4318/v1/traces');
    assert.equal(tracesUrl('https://cloud.langfuse.com/api/public/otel/v1/traces'), 'https://cloud.langfuse.com/api/public/otel/v1/traces');
  });

});
