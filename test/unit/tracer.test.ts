import assert from 'node:assert/strict';
import { LEAKY_ENV, RAW } from '../fixtures/leakySecrets';
import { recordingTrace } from './helpers';

describe('tracer', () => {
  it('builds a tree of spans that share the trace id and report every change', async () => {
    const { spans, root } = recordingTrace();
    const child = root.child('chat m', 'chat', { 'gen_ai.request.model': 'm' });
    child.setAttributes({ 'gen_ai.usage.input_tokens': 12, ignored: undefined });
    child.end('ok');
    const data = spans.get(child.spanId)!;
    assert.equal(data.parentSpanId, root.spanId);
    assert.equal(data.traceId, root.traceId);
    assert.equal(data.status, 'ok');
    assert.equal(data.attributes['gen_ai.operation.name'], 'chat');
    assert.equal(data.attributes['gen_ai.usage.input_tokens'], 12);
    assert.ok(!('ignored' in data.attributes));
    assert.ok(data.endTime! >= data.startTime);
  });

  it('ends a span once; later ends change nothing', () => {
    const { spans, root } = recordingTrace();
    root.end('error', 'first');
    root.end('ok');
    assert.equal(spans.get(root.spanId)!.status, 'error');
    assert.equal(spans.get(root.spanId)!.statusMessage, 'first');
  });

  it('within() marks errors and cancellations and rethrows', async () => {
    const { spans, root } = recordingTrace();
    await assert.rejects(root.within('execute_tool x', 'execute_tool', {}, async () => {
      throw new Error('broken');
    }), /broken/);
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(root.within('chat m', 'chat', {}, async () => {
      throw abort.signal.reason;
    }));
    const [failed, cancelled] = [...spans.values()].filter((s) => s.parentSpanId === root.spanId);
    assert.equal(failed!.status, 'error');
    assert.equal(failed!.statusMessage, 'broken');
    assert.equal(cancelled!.status, 'cancelled');
  });
});

describe('tracer redaction', () => {
  it('redacts span names, string attributes and status messages as they are set', () => {
    const { spans, root } = recordingTrace();
    const child = root.child(`execute_tool run_js DB_PASSWORD=${RAW.dbPassword}`, 'execute_tool', { 'keel.run.goal': `deploy with AWS_SECRET_ACCESS_KEY=${RAW.awsSecret}`, 'keel.steps': 3 });
    child.setAttributes({ 'keel.sandbox.console': LEAKY_ENV, 'keel.retrieval.hits': 2 });
    child.rename(`chat ${RAW.openaiKey}`);
    child.end('error', `The server said: invalid token ${RAW.jwt}`);
    const data = spans.get(child.spanId)!;
    for (const [name, value] of Object.entries(RAW)) assert.ok(!JSON.stringify(data).includes(value), `${name} reached the sink`);
    assert.equal(data.attributes['keel.run.goal'], 'deploy with AWS_SECRET_ACCESS_KEY=[REDACTED secret assignment]');
    assert.equal(data.attributes['keel.steps'], 3);
    assert.equal(data.name, 'chat [REDACTED openai key]');
    assert.equal(data.statusMessage, 'The server said: invalid token [REDACTED jwt]');
  });
});
