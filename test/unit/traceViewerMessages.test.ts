import assert from 'node:assert/strict';
import type { SpanData } from '../../protocol/trace';
import { parseFromWebview } from '../../protocol/webview';
import { SpanBatcher } from '../../extension/traces/spanBatcher';

const TRACE = 'a'.repeat(32);

describe('trace viewer messages', () => {
  describe('parseFromWebview', () => {
    it('accepts what the viewer sends', () => {
      for (const message of [
        { type: 'ready' },
        { type: 'spanContent', traceId: TRACE, spanId: '0123456789abcdef' },
        { type: 'openFile', path: 'src/a.ts' },
        { type: 'listRuns', outcome: 'failed' },
        { type: 'search', text: 'timeout' },
        { type: 'openRun', traceId: TRACE, spanId: 'ab' },
        { type: 'compare', traceIds: [TRACE, 'b'.repeat(32)] },
      ]) {
        assert.deepEqual(parseFromWebview(message), message);
      }
    });

    it('ignores anything else: unknown types, extra keys, ids that are paths, oversized or wrong values', () => {
      for (const message of [
        null,
        'ready',
        { type: 'eval', code: 'x' },
        { type: 'ready', extra: true },
        { type: 'spanContent', traceId: '../../etc/passwd', spanId: 'ab' },
        { type: 'spanContent', traceId: TRACE },
        { type: 'openFile', path: '' },
        { type: 'openFile', path: 'x'.repeat(5000) },
        { type: 'listRuns', outcome: 'all' },
        { type: 'search', text: 'x'.repeat(501) },
        { type: 'compare', traceIds: [TRACE] },
        { type: 'compare', traceIds: [TRACE, TRACE, TRACE] },
        { type: 'openInPanel', traceId: { toString: () => TRACE } },
      ]) {
        assert.equal(parseFromWebview(message), undefined, JSON.stringify(message));
      }
    });
  });

  describe('SpanBatcher', () => {
    const span = (id: string, status: SpanData['status'], traceId = TRACE): SpanData => ({ traceId, spanId: id, name: id, operation: 'chat', startTime: 0, status, attributes: {} });

    it('delivers the spans of one interval in one batch, each span once in its latest state', async () => {
      const batches: SpanData[][] = [];
      const batcher = new SpanBatcher((spans) => batches.push(spans), 20);
      batcher.add(span('a', 'running'));
      batcher.add(span('b', 'running'));
      batcher.add(span('a', 'ok'));
      assert.equal(batches.length, 0, 'nothing is sent before the interval ends');
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.deepEqual(batches.map((b) => b.map((s) => `${s.spanId}:${s.status}`)), [['a:ok', 'b:running']]);
      batcher.dispose();
    });

    it('flushes at once when asked, and drops pending spans of forgotten traces', () => {
      const batches: SpanData[][] = [];
      const batcher = new SpanBatcher((spans) => batches.push(spans), 10_000);
      batcher.add(span('a', 'ok'));
      batcher.add(span('old', 'ok', 'b'.repeat(32)));
      batcher.forget(['b'.repeat(32)]);
      batcher.flush();
      assert.deepEqual(batches.map((b) => b.map((s) => s.spanId)), [['a']]);
      batcher.flush();
      assert.equal(batches.length, 1, 'an empty flush sends nothing');
      batcher.dispose();
    });
  });
});
