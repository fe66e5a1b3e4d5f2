import assert from 'node:assert/strict';
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
