import assert from 'node:assert/strict';
import type { JournalRecord } from '../../host/orchestration/durable/journalRecords';
import type { RunJournal } from '../../host/orchestration/durable/runJournal';
import { workflowCode } from '../../host/orchestration/workflows/guestApi';
import { WorkflowSteps } from '../../host/orchestration/workflows/workflowSteps';
import { Sandbox, type SandboxCapabilities } from '../../host/sandbox';

/** A journal that keeps what is appended and replays `recorded`. */
function journal(recorded: JournalRecord[] = []): RunJournal & { appended: JournalRecord[] } {
  const appended: JournalRecord[] = [];
  return { recorded, appended, append: (record: JournalRecord) => void appended.push(record) } as unknown as RunJournal & { appended: JournalRecord[] };
}

describe('workflow steps: call keys and replay', () => {
  it('keys a call by what it asks and how many identical calls came before, whatever order calls start in', () => {
    const first = new WorkflowSteps(undefined);
    const a1 = first.key('agent', ['keel', 'do a']);
    const b = first.key('agent', ['keel', 'do b']);
    const a2 = first.key('agent', ['keel', 'do a']);
    assert.notEqual(a1, a2, 'the second identical call is another call');
    assert.notEqual(a1, b);
    assert.notEqual(first.key('ask', ['keel', 'do a']), a1, 'an ask is never an agent call');
    const reordered = new WorkflowSteps(undefined);
    assert.equal(reordered.key('agent', ['keel', 'do b']), b);
    assert.equal(reordered.key('agent', ['keel', 'do a']), a1);
    // Arguments that would join to the same text are still different calls.
    assert.notEqual(new WorkflowSteps(undefined).key('agent', ['a b', 'c']), new WorkflowSteps(undefined).key('agent', ['a', 'b c']));
  });

  it('journals an answer before handing it back, and a resumed run gets it back from the journal', () => {
    const live = journal();
    const steps = new WorkflowSteps(live);
    const key = steps.key('agent', ['keel', 'summarize a.txt']);
    assert.equal(steps.recorded(key), undefined);
    const reply = steps.record(key, 'agent', true, 'a.txt has 2 lines.', 0.25);
    assert.equal(live.appended.length, 1);
    const resumed = new WorkflowSteps(journal(live.appended));
    assert.deepEqual(resumed.recorded(resumed.key('agent', ['keel', 'summarize a.txt'])), reply);
    assert.equal(resumed.recorded(resumed.key('agent', ['keel', 'summarize b.txt'])), undefined, 'a call made differently runs');
    assert.equal(resumed.replayed, 1);
    const failed = new WorkflowSteps(journal([{ ...live.appended[0]!, ok: false, value: 'The agent keel failed: no model' } as JournalRecord]));
    assert.deepEqual(failed.recorded(failed.key('agent', ['keel', 'summarize a.txt'])), { ok: false, error: 'The agent keel failed: no model', at: reply.at, costUsd: 0.25 });
  });
});

describe('workflow guest API in the sandbox', function () {
  this.timeout(20_000);
  let sandbox: Sandbox;
  before(() => (sandbox = new Sandbox()));
  after(() => sandbox.dispose());

  const setup = { seed: 42, clock: 1_000, maxAgents: 3, maxParallel: 2 };
  const capabilities: SandboxCapabilities = {
    agent: async (spec, input) => ({ ok: spec !== 'broken', value: `did ${String(input)}`, error: 'it broke', at: 5_000, costUsd: 0.5 }),
    ask: async () => ({ ok: true, value: 'yes', at: 7_000, costUsd: 0 }),
  };
  const run = async (script: string, seed = setup.seed) => sandbox.execute({ code: workflowCode(script), input: { input: 'the input', setup: { ...setup, seed } }, capabilities });

  it('serves Date.now, new Date() and Math.random from the journal: the same seed draws the same numbers, the clock moves with answers', async () => {
    const script = 'const before = [Date.now(), new Date().getTime(), Math.random(), Math.random()]; await agent(null, "x"); return [...before, Date.now(), new Date(0).getTime(), input];';
    const one = await run(script);
    const two = await run(script);
    assert.equal(one.outcome, 'ok', one.error);
    assert.deepEqual(one.value, two.value);
    const [now, date, r1, r2, later, epoch, input] = one.value as number[];
    assert.deepEqual([now, date, later, epoch, input], [1_000, 1_000, 5_000, 0, 'the input']);
    assert.ok(r1! >= 0 && r1! < 1 && r2 !== r1);
    assert.notDeepEqual((await run(script, 43)).value, one.value, 'another seed draws other numbers');
  });

  it('gives parallel, pipeline and budget, throws a failed agent\'s message, and words misuse', async () => {
    const result = await run([
      'const both = await parallel([() => agent("a", 1), () => agent("b", 2)]);',
      'const piped = await pipeline("x", "c", (r) => r + "!");',
      'const left = budget.agentsLeft, spent = budget.spentUsd;',
      'const errors = [];',
      'try { await agent("broken", 1); } catch (e) { errors.push(e.message); }',
      'try { parallel("nope"); } catch (e) { errors.push(e.message); }',
      'try { await pipeline(1, 42); } catch (e) { errors.push(e.message); }',
      'return { both, piped, left, spent, errors, answer: await ask("ok?") };',
    ].join('\n'));
    assert.equal(result.outcome, 'ok', result.error);
    const value = result.value as { errors: string[] } & Record<string, unknown>;
    assert.deepEqual(value.both, ['did 1', 'did 2']);
    assert.equal(value.piped, 'did x!');
    assert.equal(value.left, 0);
    assert.equal(value.spent, 1.5);
    assert.equal(value.answer, 'yes');
    assert.equal(value.errors[0], 'it broke');
    assert.match(value.errors[1]!, /parallel\(\) takes an array of functions/);
    assert.match(value.errors[2]!, /each step is an agent name or a function/);
  });

  it('keeps the script\'s own line numbers in its errors', async () => {
    const result = await run('const a = 1;\n\nnull.field;');
    assert.equal(result.outcome, 'error');
    assert.match(result.error!, /agent\.js:3:/);
  });
});
