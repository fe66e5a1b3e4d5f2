import assert from 'node:assert/strict';
import { MAX_TOOL_ARGUMENT_CHARS, MAX_TOOL_CALLS_PER_ANSWER, limitToolCall, limitToolCalls } from '../../host/models/toolCallLimits';
import { boundedCounter, loadTokenCounter } from '../../host/orchestration/tokens';

describe('bounded token counting', () => {
  it('never hands the encoder a long run without spaces, nor more than a sample of a huge text', () => {
    for (const megabytes of [0.1, 0.5, 2, 10]) {
      const seen: number[] = [];
      const count = boundedCounter((text) => {
        seen.push(text.length);
        return Math.ceil(text.length / 4);
      });
      const text = 'x'.repeat(megabytes * 1024 * 1024);
      assert.equal(count(text), Math.ceil(text.length / 4), `${megabytes} MB`);
      assert.ok(Math.max(...seen) <= 256, `${megabytes} MB: a piece of ${Math.max(...seen)} characters`);
      assert.ok(seen.reduce((a, b) => a + b, 0) <= 32 * 1024, `${megabytes} MB: counted more than the sample`);
    }
  });

  it('counts ordinary text exactly as the encoder does', async () => {
    const count = await loadTokenCounter();
    const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
    const text = 'export function parseConfig(path: string) {\n  return JSON.parse(readFileSync(path, "utf8"));\n}\n'.repeat(50);
    assert.equal(count(text), countTokens(text));
    // A long identifier is cut into pieces; the count stays close to the encoder's.
    const hash = 'a1b2c3d4e5'.repeat(100);
    assert.ok(Math.abs(count(`id = "${hash}"`) - countTokens(`id = "${hash}"`)) <= 4);
  });
});

describe('tool call argument limit', () => {
  it('drops arguments over the limit with a note the model can act on, and keeps the rest', () => {
    const small = { id: 'c1', name: 'create_file', arguments: { path: 'a.txt', content: 'x'.repeat(1000) } };
    assert.equal(limitToolCall(small), small);
    for (const megabytes of [0.5, 2, 10]) {
      const content = 'x'.repeat(megabytes * 1024 * 1024);
      for (const args of [{ path: 'a.txt', content }, JSON.stringify({ path: 'a.txt', content })]) {
        const limited = limitToolCall({ id: 'c2', name: 'create_file', arguments: args });
        assert.deepEqual(limited.arguments, {});
        assert.match(limited.argumentsError!, new RegExp(`one call may send at most ${MAX_TOOL_ARGUMENT_CHARS / 1024} KiB. Split the work`));
      }
    }
    const named = limitToolCall({ id: 'c3', name: 'n'.repeat(100_000), arguments: {} });
    assert.ok(named.name.length < 200);
    assert.match(named.argumentsError!, /no tool has such a name/);
  });

  it('refuses arguments nested past any tool\'s schema without recursing into them', () => {
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 100_000; i++) at = (at.a = {}) as Record<string, unknown>;
    const limited = limitToolCall({ id: 'c4', name: 'read_file', arguments: deep });
    assert.deepEqual(limited.arguments, {});
    assert.match(limited.argumentsError!, /nest more than 64 levels deep/);
  });

  it('runs at most a bounded number of calls from one answer', () => {
    const calls = Array.from({ length: 5000 }, (_, i) => ({ id: `c${i}`, name: 'read_file', arguments: { path: 'a.txt' } }));
    assert.equal(limitToolCalls(calls).length, MAX_TOOL_CALLS_PER_ANSWER);
  });
});
