import assert from 'node:assert/strict';
import { startOtlpExport, type OtlpExporter } from '../../host/observability/otlp';
import { metricsUrl } from '../../host/observability/otlpMetrics';
import { redacted } from '../../host/observability/redaction';
import { startTrace } from '../../host/observability/tracer';
import type { SpanData } from '../../protocol/trace';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedMetric } from '../fixtures/otlpReceiver';
import { until } from '../until';

const TOKEN = 'otlp-metrics-token-5b7e1d9a33';

describe('OTLP metrics export (OpenTelemetry metrics SDK)', function () {
  this.timeout(10_000);
  let receiver: OtlpReceiver;
  let exporter: OtlpExporter | undefined;
  let logs: string[];

  beforeEach(async () => {
    receiver = await startOtlpReceiver();
    logs = [];
  });
  afterEach(async () => {
    await exporter?.shutdown(200);
    exporter = undefined;
    await receiver.close();
  });

  function start(): (span: SpanData) => void {
    exporter = startOtlpExport({
      endpoint: receiver.url,
      headers: { Authorization: `Bearer ${TOKEN}` },
      captureContent: false,
      serviceVersion: '9.8.7',
      log: (line) => logs.push(redacted(line)),
      scheduledDelayMs: 20,
      metricsIntervalMs: 100,
      exportTimeoutMs: 1000,
    });
    return exporter.sink;
  }

  /** A run: two model calls on one model (one failing), a tool call, a goal that must not become an attribute. */
  function run(sink: (span: SpanData) => void): void {
    const root = startTrace(sink, 'invoke_agent keel', 'invoke_agent', { 'gen_ai.agent.name': 'keel', 'keel.run.goal': 'secret plans' });
    const chat = root.child('chat gpt-4o-mini', 'chat', { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 30, 'keel.cost.usd': 0.002 });
    chat.end('ok');
    const failed = root.child('chat gpt-4o-mini', 'chat', { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' });
    failed.end('error', 'HTTP 500');
    const tool = root.child('execute_tool read_file', 'execute_tool', { 'gen_ai.tool.name': 'read_file' });
    tool.end('ok');
    root.setAttributes({ 'keel.run.outcome': 'succeeded' });
    root.end('ok');
  }

  /** The last export's data for a metric: cumulative, so it holds everything measured. */
  const latest = (name: string): ReceivedMetric | undefined => receiver.metrics.filter((m) => m.name === name).at(-1);

  it('exports GenAI client metrics and Keel\'s run, tool and cost metrics, decoded as metrics.proto defines them', async () => {
    const sink = start();
    run(sink);
    await until('the metrics to arrive', () => latest('keel.agent.run.duration') !== undefined);
    await exporter!.shutdown(2000);

    const duration = latest('gen_ai.client.operation.duration')!;
    assert.equal(duration.type, 'histogram');
    assert.equal(duration.unit, 's');
    assert.equal(duration.temporality, 2, 'cumulative');
    assert.deepEqual(duration.resource['service.name'], 'keel');
    assert.deepEqual(duration.scope, { name: 'keel', version: '9.8.7' });
    assert.equal(duration.points[0]!.explicitBounds![0], 0.01, 'the GenAI conventions\' advised buckets');
    const byError = new Map(duration.points.map((p) => [p.attributes['error.type'] ?? 'ok', p]));
    assert.equal(byError.get('ok')!.count, 1);
    assert.equal(byError.get('_OTHER')!.count, 1);
    assert.deepEqual({ ...byError.get('ok')!.attributes }, { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' });

    const tokens = latest('gen_ai.client.token.usage')!;
    assert.equal(tokens.unit, '{token}');
    const byType = new Map(tokens.points.map((p) => [p.attributes['gen_ai.token.type'], p]));
    assert.equal(byType.get('input')!.sum, 120);
    assert.equal(byType.get('output')!.sum, 30);

    const cost = latest('keel.model.cost')!;
    assert.equal(cost.type, 'sum');
    assert.equal(cost.monotonic, true);
    assert.equal(cost.points[0]!.value, 0.002);
    assert.equal(latest('keel.tool.call.duration')!.points[0]!.attributes['gen_ai.tool.name'], 'read_file');
    const runs = latest('keel.agent.run.duration')!;
    assert.deepEqual({ ...runs.points[0]!.attributes }, { 'gen_ai.agent.name': 'keel', 'keel.run.outcome': 'succeeded' });

    // Sent beside the traces, with the same headers; no goal reaches a metric.
    const request = receiver.requests.find((r) => r.path === '/v1/metrics')!;
    assert.equal(request.contentType, 'application/x-protobuf');
    assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
    assert.ok(!JSON.stringify(receiver.metrics, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).includes('secret plans'));
    assert.ok(receiver.spans.length >= 4, 'the spans went too');
  });

  it('costs a run nothing when the collector refuses metrics, and logs it without the credentials', async () => {
    receiver.mode = 500;
    const sink = start();
    const began = performance.now();
    run(sink);
    assert.ok(performance.now() - began < 50, 'recording never waits for the collector');
    await until('a refused export to be logged', () => logs.some((line) => line.includes('OTLP metrics export failed')));
    assert.ok(!logs.join('\n').includes(TOKEN));
  });

  it('finds the metrics URL beside a traces URL', () => {
    assert.equal(metricsUrl('http://localhost:4318'), 'http://localhost:4318/v1/metrics');
    assert.equal(metricsUrl('http://localhost:4318/'), 'http://localhost:4318/v1/metrics');
    assert.equal(metricsUrl('https://cloud.example/api/public/otel/v1/traces'), 'https://cloud.example/api/public/otel/v1/metrics');
    assert.equal(metricsUrl('https://x.example/v1/metrics'), 'https://x.example/v1/metrics');
  });
});
