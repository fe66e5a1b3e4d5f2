import assert from 'node:assert/strict';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { ContextSection } from '../../host/memory';
import { summaryRequest, type Summarizer } from '../../host/orchestration/compaction';
import { ContextBuilder, contextAttributes } from '../../host/orchestration/contextBuilder';
import type { ChatMessage } from '../../host/models/types';

const SYSTEM = 'You are Keel, a coding agent.';
const GOAL = 'Make retryWithBackoff retry on HTTP 503.';

/** An assistant message calling read_file, and its result of `lines` lines. */
function readTurn(i: number, lines = 40): ChatMessage[] {
  return [
    { role: 'assistant', content: `Reading file ${i}.`, toolCalls: [{ id: `call_${i}`, name: 'read_file', arguments: { path: `src/f${i}.ts` } }] },
    { role: 'tool', content: Array.from({ length: lines }, (_, n) => `export const value${i}_${n} = computeSomething(${n}, "${i}");`).join('\n'), toolCallId: `call_${i}`, toolName: 'read_file' },
  ];
}

function conversation(turns: number, lines = 40): ChatMessage[] {
  return Array.from({ length: turns }, (_, i) => readTurn(i, lines)).flat();
}

function section(name: string, priority: number, items: number, linesPerItem = 10): ContextSection {
  return {
    name,
    priority,
    header: `<retrieved untrusted="true" source="${name}">`,
    items: Array.from({ length: items }, (_, i) => [`--- ${name} item ${i}`, ...Array.from({ length: linesPerItem }, (_, n) => `${name} detail ${i}.${n} about retries and backoff`)].join('\n')),
    footer: '</retrieved>',
  };
}

/** Tokens of everything a provider is sent, counted independently of the builder; its framing only adds to this. */
function textTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, m) => {
    const calls = m.role === 'assistant' ? (m.toolCalls ?? []).reduce((s, c) => s + countTokens(c.id) + countTokens(c.name) + countTokens(JSON.stringify(c.arguments)), 0) : 0;
    return sum + countTokens(m.content) + calls;
  }, 0);
}

/** Every tool result follows the assistant message that called it, and every call has its result. */
function assertPairsIntact(messages: readonly ChatMessage[]) {
  const open = new Set<string>();
  for (const m of messages) {
    if (m.role === 'assistant') {
      assert.equal(open.size, 0, `tool calls ${[...open].join(', ')} have no results before the next assistant message`);
      for (const call of m.toolCalls ?? []) open.add(call.id);
    } else if (m.role === 'tool') {
      assert.ok(open.delete(m.toolCallId), `the result of ${m.toolCallId} is sent without its call`);
    }
  }
  assert.equal(open.size, 0, `tool calls ${[...open].join(', ')} have no results`);
}

function recordingSummarizer(answer = 'The agent read the retry helpers and found the status check.') {
  const calls: ChatMessage[][] = [];
  const summarize: Summarizer = async (messages) => {
    calls.push([...messages]);
    return answer;
  };
  return { calls, summarize };
}

describe('memory context builder', () => {
  it('sends system prompt, recalled sections, goal and conversation in that order when all fit', async () => {
    const conv = conversation(2);
    const sections = [section('procedures', 30, 1), section('workspace', 10, 2)];
    const { messages, report } = await new ContextBuilder({ budget: 8000 }).build({ system: SYSTEM, goal: GOAL, sections, conversation: conv });
    assert.deepEqual(messages.slice(0, 3).map((m) => m.role), ['system', 'user', 'user']);
    assert.equal(messages[0]!.content, SYSTEM);
    assert.match(messages[1]!.content, /^<retrieved untrusted="true" source="procedures">[\s\S]*<\/retrieved>\n\n<retrieved untrusted="true" source="workspace">/);
    assert.equal(messages[2]!.content, GOAL);
    assert.deepEqual(messages.slice(3), conv, 'the conversation is sent verbatim');
    assert.deepEqual(report.parts.map((p) => [p.name, p.status]), [['system', 'kept'], ['procedures', 'kept'], ['workspace', 'kept'], ['goal', 'kept'], ['conversation', 'kept']]);
    assert.equal(report.compaction, undefined);
    assert.equal(report.overBudget, false);
    assert.ok(report.tokens >= textTokens(messages) && report.tokens <= textTokens(messages) + 10 * messages.length, 'the report counts text plus a little framing per message');
  });

  it('stays within the budget as the tokenizer counts it, whatever the budget', async () => {
    const sections = [section('procedures', 30, 2, 30), section('episodes', 20, 3, 20), section('workspace', 10, 4, 40)];
    const conv = conversation(8, 20);
    const seen = new Set<string>();
    for (const budget of [1200, 1800, 2500, 4000, 6000, 9000]) {
      const { messages, report } = await new ContextBuilder({ budget, summarize: recordingSummarizer().summarize }).build({ system: SYSTEM, goal: GOAL, sections, conversation: conv });
      assert.equal(report.overBudget, false, `budget ${budget}`);
      seen.add(report.compaction?.method ?? 'none');
      for (const part of report.parts) seen.add(part.status);
      assert.ok(report.tokens <= budget, `budget ${budget}: the report counts ${report.tokens}`);
      assert.ok(textTokens(messages) <= budget, `budget ${budget}: gpt-tokenizer counts ${textTokens(messages)}`);
      assert.equal(messages[0]!.content, SYSTEM);
      assert.ok(messages.some((m) => m.content === GOAL), `budget ${budget}: the goal is always sent`);
    }
    assert.deepEqual([...seen].sort(), ['dropped', 'kept', 'none', 'summary', 'trimmed'], 'the budgets exercise every way of fitting');
  });

  it('trims and drops recalled sections lowest priority first, keeping their fences whole', async () => {
    const sections = [section('workspace', 10, 6, 30), section('procedures', 30, 2, 20), section('episodes', 20, 6, 30)];
    const builder = new ContextBuilder({ budget: 1600 });
    const { messages, report } = await builder.build({ system: SYSTEM, goal: GOAL, sections, conversation: [] });
    const status = Object.fromEntries(report.parts.map((p) => [p.name, p.status]));
    assert.deepEqual([status.procedures, status.episodes, status.workspace], ['kept', 'trimmed', 'dropped']);
    const context = messages[1]!.content;
    assert.ok(context.startsWith('<retrieved untrusted="true" source="procedures">'), 'sections keep their given order, minus the dropped one');
    assert.equal(context.match(/<retrieved /g)!.length, 2);
    assert.equal(context.match(/<\/retrieved>/g)!.length, 2, 'a trimmed section keeps its closing fence');
    assert.match(context, /--- episodes item 0\n/);
    assert.match(context, /\[\d more entries left out to fit the context window\]\n<\/retrieved>$/);
    assert.doesNotMatch(context, /workspace item/);
    assert.ok(report.notes.some((n) => /Dropped the workspace section/.test(n)));
    assert.ok(report.notes.some((n) => /Trimmed the episodes section from \d+ to \d+ tokens/.test(n)));
    const episodes = report.parts.find((p) => p.name === 'episodes')!;
    assert.ok(episodes.tokens < episodes.fullTokens);
    assert.equal(report.parts.find((p) => p.name === 'workspace')!.tokens, 0);
  });

  it('cuts a single large item short rather than dropping the only section that applies', async () => {
    const big = section('procedures', 30, 1, 400);
    const { messages, report } = await new ContextBuilder({ budget: 900 }).build({ system: SYSTEM, goal: GOAL, sections: [big], conversation: [] });
    assert.equal(report.parts.find((p) => p.name === 'procedures')!.status, 'trimmed');
    assert.match(messages[1]!.content, /\[cut to fit the context window\]\n<\/retrieved>$/);
    assert.ok(report.tokens <= 900);
  });

  it('never sends a tool result without its call, nor a call without its results', async () => {
    const conv: ChatMessage[] = [];
    for (let i = 0; i < 6; i++) {
      const ids = [`call_${i}a`, `call_${i}b`, `call_${i}c`];
      conv.push({ role: 'assistant', content: '', toolCalls: ids.map((id) => ({ id, name: 'search_files', arguments: { pattern: `needle${i}` } })) });
      for (const id of ids) conv.push({ role: 'tool', content: `match for ${id}\n`.repeat(30), toolCallId: id, toolName: 'search_files' });
      if (i === 2) conv.push({ role: 'user', content: 'Also check the tests.' });
    }
    for (let budget = 600; budget <= 4000; budget += 200) {
      const { messages } = await new ContextBuilder({ budget, summarize: recordingSummarizer().summarize }).build({ system: SYSTEM, goal: GOAL, conversation: conv });
      assertPairsIntact(messages);
      assert.deepEqual(messages.at(-1), conv.at(-1), `budget ${budget}: the newest message is sent verbatim`);
    }
  });

  it('summarises older turns into one message that lists their tool results by call id', async () => {
    const conv = conversation(10);
    const { calls, summarize } = recordingSummarizer();
    const { messages, report } = await new ContextBuilder({ budget: 4000, summarize }).build({ system: SYSTEM, goal: GOAL, conversation: conv });
    assert.equal(calls.length, 1);
    assert.equal(report.compaction?.method, 'summary');
    assert.equal(report.compaction?.cached, false);
    const replaced = report.compaction!.messages;
    assert.ok(replaced > 0 && replaced < conv.length);
    assert.equal(replaced % 2, 0, 'compaction ends at a turn boundary');
    assert.deepEqual(calls[0], conv.slice(0, replaced), 'the summariser sees exactly the replaced messages');
    const summary = messages[2]!;
    assert.equal(summary.role, 'user');
    assert.match(summary.content, new RegExp(`^\\[The first ${replaced} messages of this conversation were summarised`));
    assert.match(summary.content, /The agent read the retry helpers/);
    for (let i = 0; i < replaced / 2; i++) assert.ok(summary.content.includes(`[tool result call_${i} (read_file src/f${i}.ts): 40 lines, elided]`), `call_${i} is referenced`);
    assert.deepEqual(messages.slice(3), conv.slice(replaced), 'the newest turns are sent verbatim');
    assert.ok(conv.length - replaced >= 4, 'at least the two newest turns are kept');
    assert.ok(report.tokens <= 4000);
    assert.deepEqual(
      report.parts.map((p) => p.name),
      ['system', 'goal', 'summary', 'conversation'],
    );
  });

  it('summarises a prefix once: later steps reuse it, and the next compaction builds on it', async () => {
    const { calls, summarize } = recordingSummarizer('First summary.');
    const builder = new ContextBuilder({ budget: 4000, summarize });
    const conv = conversation(10);
    const first = await builder.build({ system: SYSTEM, goal: GOAL, conversation: conv });
    const again = await builder.build({ system: SYSTEM, goal: GOAL, conversation: [...conv] });
    assert.equal(calls.length, 1);
    assert.deepEqual(again.report.compaction, { ...first.report.compaction, cached: true });
    assert.deepEqual(again.messages, first.messages);

    const grown = [...conv, ...readTurn(10, 2)];
    const next = await builder.build({ system: SYSTEM, goal: GOAL, conversation: grown });
    assert.equal(calls.length, 1, 'one more small turn fits without a new summary');
    assert.equal(next.report.compaction?.cached, true);
    assert.deepEqual(next.messages.at(-2), grown.at(-2));

    const longer = [...grown, ...conversation(20).slice(22)];
    const later = await builder.build({ system: SYSTEM, goal: GOAL, conversation: longer });
    assert.equal(calls.length, 2, 'a conversation that outgrows its share again is compacted again');
    assert.match(calls[1]![0]!.content, /^Summary of the conversation before these messages:\nFirst summary\./);
    assert.ok(later.report.compaction!.messages > first.report.compaction!.messages);
    assert.ok(later.messages[2]!.content.includes('[tool result call_0 (read_file src/f0.ts): 40 lines, elided]'), 'ids from the first compaction are still listed');

    const edited = [...conv.slice(0, 2), { role: 'user' as const, content: 'A different turn.' }, ...conv.slice(3)];
    await builder.build({ system: SYSTEM, goal: GOAL, conversation: edited });
    assert.equal(calls.length, 3, 'a different prefix is summarised anew');
  });

  it('falls back to a truncation that keeps the call ids when the summariser fails, and says so', async () => {
    const conv = conversation(10);
    const failing: Summarizer = async () => {
      throw new Error('model server unreachable');
    };
    const { messages, report } = await new ContextBuilder({ budget: 4000, summarize: failing }).build({ system: SYSTEM, goal: GOAL, conversation: conv });
    assert.equal(report.compaction?.method, 'truncation');
    assert.equal(report.compaction?.fallbackReason, 'model server unreachable');
    assert.ok(report.notes.some((n) => /shortened by truncation because the summariser failed: model server unreachable/.test(n)));
    const summary = messages[2]!.content;
    assert.match(summary, /the summariser was unavailable/);
    assert.match(summary, /assistant: Reading file 0\. — called read_file\(src\/f0\.ts\) \[call_0\]/);
    assert.match(summary, /\[tool result call_0 \(read_file src\/f0\.ts\): 40 lines, elided\]/);
    assertPairsIntact(messages);
    assert.ok(report.tokens <= 4000);
    assert.equal(contextAttributes(report)['keel.context.compaction.fallback_reason'], 'model server unreachable');
  });

  it('treats a summariser that does not answer in time as failed', async () => {
    const hanging: Summarizer = (_messages, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const { report } = await new ContextBuilder({ budget: 4000, summarize: hanging, summaryTimeoutMs: 50 }).build({ system: SYSTEM, goal: GOAL, conversation: conversation(10) });
    assert.equal(report.compaction?.method, 'truncation');
    assert.match(report.compaction!.fallbackReason!, /^the summariser did not answer within 50 ms$/);
  });

  it('compacts by truncation when no summariser is configured, and is cancelled with the run', async () => {
    const { report } = await new ContextBuilder({ budget: 4000 }).build({ system: SYSTEM, goal: GOAL, conversation: conversation(10) });
    assert.equal(report.compaction?.fallbackReason, 'no summariser is configured');

    const controller = new AbortController();
    const summarize: Summarizer = async () => {
      controller.abort();
      throw new DOMException('aborted', 'AbortError');
    };
    await assert.rejects(new ContextBuilder({ budget: 4000, summarize }).build({ system: SYSTEM, goal: GOAL, conversation: conversation(10) }, controller.signal), /aborted/);
  });

  it('keeps system prompt, goal and newest turn even when they alone exceed the budget, and reports it', async () => {
    const system = 'Follow the rules. '.repeat(400);
    const { messages, report } = await new ContextBuilder({ budget: 500 }).build({ system, goal: GOAL, sections: [section('procedures', 30, 1)], conversation: readTurn(0) });
    assert.equal(report.overBudget, true);
    assert.deepEqual(messages.map((m) => m.role), ['system', 'user', 'assistant', 'tool']);
    assert.equal(messages[0]!.content, system);
    assert.equal(report.parts.find((p) => p.name === 'procedures')!.status, 'dropped');
    assert.ok(report.notes.some((n) => /The system prompt and the goal alone take \d+ tokens, more than the budget of 500/.test(n)));
    assert.equal(contextAttributes(report)['keel.context.over_budget'], true);
  });

  it('counts text that looks like a special token as text', async () => {
    const { report } = await new ContextBuilder({ budget: 1000 }).build({ system: SYSTEM, goal: 'Explain <|endoftext|> and <|im_start|> in tokenizer.ts', conversation: [] });
    assert.ok(report.tokens > 10);
  });

  it('summarises the report as span attributes', async () => {
    const sections = [section('procedures', 30, 1), section('workspace', 10, 8, 60)];
    const { report } = await new ContextBuilder({ budget: 1500 }).build({ system: SYSTEM, goal: GOAL, sections, conversation: [] });
    const attributes = contextAttributes(report);
    assert.equal(attributes['keel.context.budget'], 1500);
    assert.equal(attributes['keel.context.tokens'], report.tokens);
    assert.equal(attributes['keel.context.trimmed'], 'workspace');
    const parts = JSON.parse(attributes['keel.context.parts'] as string) as Record<string, number>;
    assert.deepEqual(Object.keys(parts), ['system', 'procedures', 'workspace', 'goal', 'conversation']);
  });

  it('offers summarisers a request a chat model answers with a summary, not a next step', () => {
    const request = summaryRequest(readTurn(3, 2));
    assert.deepEqual(request.map((m) => m.role), ['system', 'user'], 'no tool message reaches the summarising model');
    assert.match(request[0]!.content, /You summarise a coding agent's work so far/);
    assert.equal(
      request[1]!.content,
      [
        "Summarise this part of the agent's conversation:",
        '',
        '[assistant]\nReading file 3.\n-> read_file({"path":"src/f3.ts"}) [call_3]',
        '',
        '[tool result call_3 (read_file)]\nexport const value3_0 = computeSomething(0, "3");\nexport const value3_1 = computeSomething(1, "3");',
      ].join('\n'),
    );
  });

  it('refuses a budget that is not a positive number, saying what to pass', () => {
    assert.throws(() => new ContextBuilder({ budget: 0 }), /The context budget must be a positive number of tokens, not 0: pass the model's context window less its answer/);
  });
});
