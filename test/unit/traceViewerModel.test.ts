import assert from 'node:assert/strict';
import type { SpanData } from '../../protocol/trace';
import { runFigures, compareLines } from '../../webview-ui/model/compare';
import { NO_FILTER, type ViewFilter } from '../../webview-ui/model/filters';
import { formatDuration } from '../../webview-ui/duration';
import { attributeLabel, attributeValue, filePathOf, runTitle } from '../../webview-ui/model/labels';
import { appendRows, traceRows, type Row } from '../../webview-ui/model/rows';
import { TraceIndex } from '../../webview-ui/model/traceIndex';

const TRACE = 'a'.repeat(32);

function span(id: string, parent: string | undefined, start: number, extra: Partial<SpanData> = {}): SpanData {
  return { traceId: TRACE, spanId: id, ...(parent ? { parentSpanId: parent } : {}), name: `op ${id}`, operation: 'chat', startTime: start, endTime: start + 10, status: 'ok', attributes: {}, ...extra };
}

const usage = (input: number, output: number, cost: number) => ({ 'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': output, 'keel.cost.usd': cost });

function spanIds(rows: Row[]): string[] {
  return rows.flatMap((row) => (row.kind === 'span' ? [row.spanId] : []));
}

describe('trace viewer model', () => {
  describe('TraceIndex', () => {
    it('keeps children in start order whatever order the spans arrive in', () => {
      const index = new TraceIndex();
      for (const s of [span('c', 'r', 30), span('r', undefined, 0), span('a', 'r', 10), span('b', 'r', 20)]) index.upsert(s);
      assert.deepEqual(index.childrenOf('r'), ['a', 'b', 'c']);
      assert.deepEqual(index.rootsOf(TRACE), ['r']);
    });

    it('shows a span that arrives before its parent as a root, then moves it under the parent', () => {
      const index = new TraceIndex();
      index.upsert(span('child', 'root', 5, { attributes: usage(100, 10, 0.5) }));
      assert.deepEqual(index.rootsOf(TRACE), ['child']);
      index.upsert(span('root', undefined, 0));
      assert.deepEqual(index.rootsOf(TRACE), ['root']);
      assert.deepEqual(index.childrenOf('root'), ['child']);
      assert.equal(index.node('root')!.total.inputTokens, 100, 'the early child counts towards the parent that came later');
      assert.equal(index.node('root')!.total.spans, 2);
    });

    it('rolls tokens, cost and errors up to every ancestor, and corrects them when a span is updated', () => {
      const index = new TraceIndex();
      index.upsert(span('r', undefined, 0));
      index.upsert(span('agent', 'r', 1));
      index.upsert(span('chat1', 'agent', 2, { status: 'running', attributes: {} }));
      index.upsert(span('chat2', 'r', 3, { attributes: usage(50, 5, 0.25) }));
      const rootRev = index.node('r')!.rev;
      index.upsert(span('chat1', 'agent', 2, { status: 'error', attributes: usage(200, 20, 1) }));
      assert.deepEqual(index.node('agent')!.total, { inputTokens: 200, outputTokens: 20, costUsd: 1, spans: 2, errors: 1 });
      assert.deepEqual(index.node('r')!.total, { inputTokens: 250, outputTokens: 25, costUsd: 1.25, spans: 4, errors: 1 });
      assert.ok(index.node('r')!.rev > rootRev, 'an ancestor whose totals changed is redrawn');
      // A second snapshot with the same values does not count twice.
      index.upsert(span('chat1', 'agent', 2, { status: 'error', attributes: usage(200, 20, 1) }));
      assert.equal(index.node('r')!.total.inputTokens, 250);
    });

    it('ignores usage that is not a finite positive number', () => {
      const index = new TraceIndex();
      index.upsert(span('r', undefined, 0, { attributes: { 'gen_ai.usage.input_tokens': Number.NaN, 'gen_ai.usage.output_tokens': -5, 'keel.cost.usd': 'lots' } }));
      assert.deepEqual(index.node('r')!.total, { inputTokens: 0, outputTokens: 0, costUsd: 0, spans: 1, errors: 0 });
    });

    it('tells a value-only update from a change of shape, so only the latter lays rows out again', () => {
      const index = new TraceIndex();
      index.upsert(span('r', undefined, 0, { status: 'running' }));
      assert.deepEqual([...index.takeChanges().structure], [TRACE]);
      index.upsert(span('r', undefined, 0, { status: 'ok' }));
      const changes = index.takeChanges();
      assert.equal(changes.structure.size, 0);
      assert.deepEqual([...changes.values], [TRACE]);
    });

    it('forgets a whole trace and leaves the others', () => {
      const index = new TraceIndex();
      index.upsert(span('r', undefined, 0));
      index.upsert(span('c', 'r', 1));
      index.upsert({ ...span('other', undefined, 5), traceId: 'b'.repeat(32) });
      index.forget(TRACE);
      assert.equal(index.size, 1);
      assert.deepEqual(index.traceIds(), ['b'.repeat(32)]);
      assert.deepEqual(index.childrenOf('r'), []);
    });

    it('survives hostile parent links: a cycle and a span that is its own parent', () => {
      const index = new TraceIndex();
      index.upsert(span('x', 'y', 0));
      index.upsert(span('y', 'x', 1));
      index.upsert(span('self', 'self', 2));
      assert.deepEqual(index.ancestors('x').map((n) => n.span.spanId), ['y']);
      assert.deepEqual(spanIds(traceRows(index, TRACE, new Set(), NO_FILTER)), ['self']);
    });
  });

  describe('traceRows', () => {
    function sample(): TraceIndex {
      const index = new TraceIndex();
      index.upsert(span('r', undefined, 0, { operation: 'invoke_agent', name: 'invoke_agent keel', attributes: { 'keel.run.goal': 'fix the bug' } }));
      index.upsert(span('chat', 'r', 1, { name: 'chat gpt-4o' }));
      index.upsert(span('tool', 'r', 2, { operation: 'execute_tool', name: 'execute_tool read_file', attributes: { 'keel.file.path': 'src/payment.ts' } }));
      index.upsert(span('sub', 'r', 3, { operation: 'invoke_agent', name: 'invoke_agent reviewer' }));
      index.upsert(span('deep', 'sub', 4, { operation: 'execute_tool', name: 'execute_tool run_js', status: 'error' }));
      return index;
    }

    it('lists a run header, then spans depth first with their depth', () => {
      const rows = traceRows(sample(), TRACE, new Set(), NO_FILTER);
      assert.equal(rows[0]!.kind, 'run');
      assert.deepEqual(rows.slice(1).map((r) => (r.kind === 'span' ? `${r.spanId}@${r.depth}` : r.kind)), ['r@0', 'chat@1', 'tool@1', 'sub@1', 'deep@2']);
    });

    it('hides what is below a collapsed span or run', () => {
      assert.deepEqual(spanIds(traceRows(sample(), TRACE, new Set(['sub']), NO_FILTER)), ['r', 'chat', 'tool', 'sub']);
      assert.deepEqual(spanIds(traceRows(sample(), TRACE, new Set([`run:${TRACE}`]), NO_FILTER)), []);
    });

    it('shows matching spans with their ancestors, which are marked as context', () => {
      const errors: ViewFilter = { kinds: new Set(['errors']), text: '' };
      const rows = traceRows(sample(), TRACE, new Set(['sub']), errors).filter((r) => r.kind === 'span');
      assert.deepEqual(rows.map((r) => r.kind === 'span' && [r.spanId, r.match]), [['r', false], ['sub', false], ['deep', true]], 'a filter opens collapsed paths to its matches');
      assert.deepEqual(spanIds(traceRows(sample(), TRACE, new Set(), { kinds: new Set(['tools', 'chat']), text: '' })), ['r', 'chat', 'tool', 'sub', 'deep']);
      assert.deepEqual(spanIds(traceRows(sample(), TRACE, new Set(), { kinds: new Set(['subagents']), text: '' })), ['r', 'sub'], 'the root agent is not a subagent');
    });

    it('searches names and attribute values case-insensitively, combined with the kinds', () => {
      assert.deepEqual(spanIds(traceRows(sample(), TRACE, new Set(), { kinds: new Set(), text: 'PAYMENT' })), ['r', 'tool']);
      assert.deepEqual(spanIds(traceRows(sample(), TRACE, new Set(), { kinds: new Set(['chat']), text: 'payment' })), []);
      assert.equal(traceRows(sample(), TRACE, new Set(), { kinds: new Set(), text: 'nothing like it' }).length, 1, 'only the run header is left');
    });

    it('appends a streaming run\'s new spans to its rows exactly as laying it out again would, or says it cannot', () => {
      // A seeded stream like an agent's: mostly a sibling of the last span, or its child, or the root's; one in ten
      // out of start order; some under a collapsed span.
      let seed = 7;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const index = new TraceIndex();
      const collapsed = new Set(['s5']);
      index.upsert(span('s0', undefined, 0));
      index.takeChanges();
      let rows = traceRows(index, TRACE, collapsed, NO_FILTER);
      let appended = 0;
      for (let i = 1; i < 400; i++) {
        const previous = index.node(`s${i - 1}`)!.span;
        const roll = random();
        const parent = roll < 0.6 ? (previous.parentSpanId ?? 's0') : roll < 0.85 ? previous.spanId : 's0';
        const start = random() < 0.1 ? Math.floor(random() * i) : i;
        index.upsert(span(`s${i}`, parent, start));
        const { inserted } = index.takeChanges();
        const added = inserted.get(TRACE);
        if (added && appendRows(index, TRACE, rows, added, collapsed, NO_FILTER)) appended++;
        else rows = traceRows(index, TRACE, collapsed, NO_FILTER);
        assert.deepEqual(rows, traceRows(index, TRACE, collapsed, NO_FILTER), `after s${i}`);
      }
      assert.ok(appended > 150, `most spans are appended (${appended} of 399)`);
      assert.equal(appendRows(index, TRACE, rows, ['s1'], collapsed, { kinds: new Set(['errors']), text: '' }), false, 'not while a filter is set');
    });

    it('lays out a chain nested 20,000 levels deep without exhausting the stack', () => {
      const index = new TraceIndex();
      // Deepest first: each span's parent is not there yet, so building the index is linear.
      for (let i = 19_999; i > 0; i--) index.upsert(span(`s${i}`, `s${i - 1}`, i));
      index.upsert(span('s0', undefined, 0));
      const rows = traceRows(index, TRACE, new Set(), NO_FILTER);
      assert.equal(rows.length, 20_001);
      const last = rows.at(-1)!;
      assert.equal(last.kind === 'span' && last.depth, 19_999);
    });
  });

  describe('labels', () => {
    it('names attributes readably, known ones by a table and others by their words', () => {
      assert.equal(attributeLabel('gen_ai.usage.input_tokens'), 'Input tokens');
      assert.equal(attributeLabel('keel.sandbox.memory_used_bytes'), 'Sandbox memory used bytes');
      assert.equal(attributeLabel('custom'), 'Custom');
      assert.equal(attributeValue('keel.cost.usd', 0.0012), '$0.0012');
      assert.equal(attributeValue('keel.sandbox.limit.timeout_ms', 5000), '5.00 s');
      assert.equal(attributeValue('keel.sandbox.memory_used_bytes', 2048), '2.0 KB');
    });

    it('words durations', () => {
      assert.equal(formatDuration(12.4), '12 ms');
      assert.equal(formatDuration(1234), '1.23 s');
      assert.equal(formatDuration(125_000), '2 min 5 s');
      assert.equal(formatDuration(3_725_000), '1 h 2 min');
      assert.equal(formatDuration(-1), '—');
    });

    it('titles a run by its goal, else by its root span', () => {
      assert.equal(runTitle(span('r', undefined, 0, { attributes: { 'keel.run.goal': '  fix the bug ' } })), 'fix the bug');
      assert.equal(runTitle(span('r', undefined, 0, { name: 'invoke_agent keel' })), 'invoke_agent keel');
    });

    it('finds the file a span names in its attributes or its tool arguments', () => {
      assert.equal(filePathOf(span('t', undefined, 0, { attributes: { 'keel.file.path': 'a.ts' } })), 'a.ts');
      assert.equal(filePathOf(span('t', undefined, 0), { 'gen_ai.tool.call.arguments': { path: 'b.ts' } }), 'b.ts');
      assert.equal(filePathOf(span('t', undefined, 0), { 'gen_ai.tool.call.arguments': { path: 42 } }), undefined);
    });
  });

  describe('compare', () => {
    it('aligns two runs figure by figure and tool by tool', () => {
      const run = (model: string, tools: string[], cost: number): SpanData[] => [
        span('r', undefined, 0, { operation: 'invoke_agent', endTime: 2000, attributes: { 'keel.run.goal': 'fix it', 'keel.run.outcome': 'succeeded' } }),
        span('c', 'r', 1, { operation: 'chat', attributes: { 'gen_ai.request.model': model, ...usage(100, 10, cost) } }),
        ...tools.map((tool, i) => span(`t${i}`, 'r', 2 + i, { operation: 'execute_tool', attributes: { 'gen_ai.tool.name': tool } })),
      ];
      const a = runFigures(run('gpt-4o', ['read_file', 'read_file'], 0.01));
      const b = runFigures(run('qwen', ['search'], 0));
      assert.equal(a.goal, 'fix it');
      assert.equal(a.durationMs, 2000);
      const lines = Object.fromEntries(compareLines(a, b).map((l) => [l.label, l]));
      assert.deepEqual([lines.Model!.left, lines.Model!.right, lines.Model!.differs], ['gpt-4o', 'qwen', true]);
      assert.equal(lines.Goal!.differs, false);
      assert.deepEqual([lines['Tool read_file']!.left, lines['Tool read_file']!.right], ['2', '0']);
      assert.deepEqual([lines['Tool search']!.left, lines['Tool search']!.right], ['0', '1']);
      assert.deepEqual([lines.Cost!.left, lines.Cost!.right], ['$0.01', '$0']);
    });
  });
});
