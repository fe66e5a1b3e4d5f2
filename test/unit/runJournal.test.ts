import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JournalFile, MAX_RECORD_BYTES, readJournal } from '../../host/orchestration/durable/journalFile';
import { RunJournal } from '../../host/orchestration/durable/runJournal';
import { RunStore } from '../../host/orchestration/durable/runStore';
import type { PlannedCall } from '../../host/orchestration/durable/stepRecorder';
import type { RepeatChoice, StartRunParams } from '../../protocol/rpc';
import { tempDir } from './helpers';

const RUN = '0b5f3f1e-8a57-4c4e-9d7e-5a8f2b6c1d00';
const REQUEST: StartRunParams = {
  goal: 'do it',
  models: { router: {}, defaultModel: { provider: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'm', apiKey: 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD' }, apiKeys: { cheap: 'sk-proj-0123456789abcdefghijklmnopqrstuvwxyzABCD' } },
  limits: { maxSteps: 8, approvalTimeoutMs: 1000 },
};

/** A workspace of files in memory, for the checks a resume makes. */
function planned(call: PlannedCall['call'], files: Record<string, string>, risk: PlannedCall['risk'] = 'write', repeat: RepeatChoice = 'stop'): PlannedCall & { asked: number } {
  const plan = {
    step: 1, index: 0, call, risk, asked: 0,
    workspace: { root: '/nowhere', readFile: async (path: string) => files[path] ?? Promise.reject(new Error('missing')), createFile: async () => undefined },
    confirmRepeat: async () => {
      plan.asked++;
      return repeat;
    },
  };
  return plan;
}

async function storeWithRun(): Promise<{ dir: string; store: RunStore; file: string }> {
  const dir = await tempDir('keel-runs-');
  const store = new RunStore(dir);
  const journal = await store.create({ runId: RUN, goal: 'do it', request: REQUEST, traceId: 'a'.repeat(32) });
  journal.close();
  return { dir, store, file: join(dir, `${RUN}.jsonl`) };
}

describe('run journal', () => {
  describe('file', () => {
    it('reads back what it appended, each line checked', async () => {
      const path = join(await tempDir(), 'j.jsonl');
      const file = JournalFile.open(path);
      file.append({ a: 1 });
      file.append({ b: 'two\nlines' });
      await file.sync();
      file.close();
      const contents = await readJournal(path);
      assert.deepEqual(contents.records, [{ a: 1 }, { b: 'two\nlines' }]);
      assert.equal(contents.tornTail, undefined);
      assert.equal(contents.corrupt, undefined);
      // The CRC-32 of the JSON, in 8 hex digits.
      assert.match(await readFile(path, 'utf8'), /^561bacaf \{"a":1\}\n/);
    });

    it('refuses a record over the size limit with a clear error, and goes on with the next', async () => {
      const path = join(await tempDir(), 'j.jsonl');
      const file = JournalFile.open(path);
      file.append({ a: 1 }, { withNext: true });
      assert.throws(() => file.append({ huge: '€'.repeat(MAX_RECORD_BYTES / 3) }), /A journal record of \d+ bytes is over the 16777216-byte limit/);
      file.append({ b: 2 });
      file.close();
      assert.deepEqual((await readJournal(path)).records, [{ a: 1 }, { b: 2 }]);
    });

    it('reads a journal from before the checksum became a CRC-32 (the first 16 hex digits of its SHA-256)', async () => {
      const path = join(await tempDir(), 'j.jsonl');
      const line = (json: string) => `${createHash('sha256').update(json).digest('hex').slice(0, 16)} ${json}\n`;
      await writeFile(path, line('{"a":1}') + line('{"b":2}'));
      const file = JournalFile.open(path);
      file.append({ c: 3 });
      file.close();
      assert.deepEqual((await readJournal(path)).records, [{ a: 1 }, { b: 2 }, { c: 3 }]);
      await writeFile(path, `${line('{"a":1}')}0123456789abcdef {"b":2}\n{"c":3}\n`);
      assert.match((await readJournal(path)).corrupt!, /record 2 .* checksum does not match/);
    });

    it('reports a torn last record and never uses it', async () => {
      const path = join(await tempDir(), 'j.jsonl');
      const file = JournalFile.open(path);
      file.append({ a: 1 });
      file.append({ b: 2 });
      file.close();
      const full = (await readFile(path)).length;
      await truncate(path, full - 4);
      const contents = await readJournal(path);
      assert.deepEqual(contents.records, [{ a: 1 }]);
      assert.match(contents.tornTail!, /record 2 .* Keel stopped while writing it/);
      assert.equal(contents.goodBytes, (await readFile(path, 'utf8')).indexOf('\n') + 1);
    });

    it('stops at a damaged record in the middle', async () => {
      const path = join(await tempDir(), 'j.jsonl');
      const file = JournalFile.open(path);
      for (const n of [1, 2, 3]) file.append({ n });
      file.close();
      await writeFile(path, (await readFile(path, 'utf8')).replace('{"n":2}', '{"n":7}'));
      const contents = await readJournal(path);
      assert.deepEqual(contents.records, [{ n: 1 }]);
      assert.match(contents.corrupt!, /record 2 .* checksum does not match/);
    });

    it('writes a record held for the next one with it, or at a sync or close, and never after a later one', async () => {
      const path = join(await tempDir(), 'j.jsonl');
      const file = JournalFile.open(path);
      file.append({ model: 1 }, { withNext: true });
      // A kill now loses the held record and nothing else: the file is still a prefix of what was appended.
      assert.deepEqual((await readJournal(path)).records, []);
      file.append({ result: 1 });
      assert.deepEqual((await readJournal(path)).records, [{ model: 1 }, { result: 1 }]);
      file.append({ model: 2 }, { withNext: true });
      await file.sync();
      assert.deepEqual((await readJournal(path)).records.at(-1), { model: 2 });
      file.append({ model: 3 }, { withNext: true });
      file.close();
      assert.deepEqual((await readJournal(path)).records.at(-1), { model: 3 });
    });

    it('writes a held record by itself when nothing follows it soon, so a live transcript is not left behind', async () => {
      const path = join(await tempDir(), 'j.jsonl');
      const file = JournalFile.open(path);
      file.append({ model: 1 }, { withNext: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual((await readJournal(path)).records, [{ model: 1 }]);
      file.append({ result: 1 });
      file.close();
      assert.deepEqual((await readJournal(path)).records, [{ model: 1 }, { result: 1 }]);
    });

    it('has a step\'s model response on disk, synced with the intent, before a side effect starts', async () => {
      const path = join(await tempDir(), 'j.jsonl');
      const journal = new RunJournal(JournalFile.open(path));
      const call = { id: 'c1', name: 'run_command', arguments: { command: 'make' } };
      await journal.response(1, async () => ({ content: 'building', toolCalls: [call], usage: { inputTokens: 1, outputTokens: 1 }, costUsd: 0, modelId: 'm' }));
      let seen: unknown[] = [];
      await journal.toolCall(planned(call, {}, 'execute'), async () => {
        seen = [...(await readJournal(path)).records];
        return { ok: true, content: 'built' };
      });
      journal.close();
      assert.deepEqual(seen.map((r) => (r as { type: string }).type), ['model', 'intent']);
    });

    it('treats garbage and over-long lines as damage, not as records', async () => {
      const dir = await tempDir();
      await writeFile(join(dir, 'garbage'), Buffer.from([0xff, 0x00, 0x0a, 0x41, 0x0a]));
      assert.match((await readJournal(join(dir, 'garbage'))).corrupt!, /record 1 .* does not start with a checksum/);
      await writeFile(join(dir, 'huge'), `${'x'.repeat(17 * 1024 * 1024)}\n{}\n`);
      assert.match((await readJournal(join(dir, 'huge'))).corrupt!, /bytes long, more than Keel writes/);
    });
  });

  describe('store', () => {
    it('lists a run without an end, and no longer once it ends', async () => {
      const { store, dir } = await storeWithRun();
      const [run] = await store.unfinished(new Set());
      assert.deepEqual({ ...run, startedAt: undefined }, { runId: RUN, goal: 'do it', startedAt: undefined, steps: 0 });
      assert.deepEqual(await store.unfinished(new Set([RUN])), [], 'a run going on in this host is not unfinished');
      await store.close(RUN, 'cancelled', 'discarded');
      assert.deepEqual(await store.unfinished(new Set()), []);
      assert.deepEqual(await readdir(join(dir, 'finished')), [`${RUN}.jsonl`]);
    });

    it('keeps no API key, and says which run request a resume gets', async () => {
      const { store, file } = await storeWithRun();
      const text = await readFile(file, 'utf8');
      assert.doesNotMatch(text, /sk-proj/);
      const loaded = await store.load(RUN);
      assert.ok(typeof loaded === 'object' && loaded.ok);
      assert.deepEqual(loaded.request.models.apiKeys, {});
      assert.equal(loaded.request.models.defaultModel.apiKey, undefined);
      assert.equal(loaded.request.limits.maxSteps, 8);
    });

    it('redacts secrets in what the model said and the arguments it sent, keeping ids and names as written', async () => {
      const { store, file } = await storeWithRun();
      const secret = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD';
      const journal = await store.reopen((await store.load(RUN)) as never);
      journal.append({ type: 'model', step: 1, content: `the key is ${secret}`, toolCalls: [{ id: 'call_1', name: 'create_file', arguments: { path: '.env', content: `OPENAI_API_KEY=${secret}` } }], usage: { inputTokens: 1, outputTokens: 1 }, costUsd: 0, modelId: 'm' });
      // Only deep in the arguments, and only in a tool's result: each is found.
      journal.append({ type: 'model', step: 2, content: 'Writing the file.', toolCalls: [{ id: 'call_2', name: 'write', arguments: { files: [{ lines: ['a', `token ${secret}`] }] } }], usage: { inputTokens: 1, outputTokens: 1 }, costUsd: 0, modelId: 'm' });
      journal.append({ type: 'result', step: 2, index: 0, ok: true, content: `read: ${secret}` });
      journal.close();
      const text = await readFile(file, 'utf8');
      assert.doesNotMatch(text, /sk-proj/);
      assert.match(text, /"id":"call_1","name":"create_file"/);
      assert.match(text, /"content":"Writing the file\."/, 'what holds no secret is kept as it was');
    });

    it('resumes after a torn last record from the last good one, with a note', async () => {
      const { store, file } = await storeWithRun();
      await appendFile(file, '0123456789abcdef {"type":"model","st');
      const loaded = await store.load(RUN);
      assert.ok(typeof loaded === 'object' && loaded.ok);
      assert.match(loaded.note!, /incomplete or damaged/);
      (await store.reopen(loaded)).close();
      const contents = await readJournal(file);
      assert.equal(contents.tornTail, undefined, 'the torn bytes were cut before appending');
      assert.deepEqual(contents.records.map((r) => (r as { type: string }).type), ['start', 'resumed']);
    });

    it('refuses to resume past a damaged record, naming it', async () => {
      const { store, file } = await storeWithRun();
      const journal = await store.reopen((await store.load(RUN)) as never);
      journal.append({ type: 'model', step: 1, content: 'hi', toolCalls: [], usage: { inputTokens: 1, outputTokens: 1 }, costUsd: 0, modelId: 'm' });
      journal.close();
      await writeFile(file, (await readFile(file, 'utf8')).replace('"resumed"', '"resumeD"'));
      const loaded = await store.load(RUN);
      assert.ok(typeof loaded === 'object' && !loaded.ok);
      assert.match(loaded.problem, /record 2 .* is damaged .* cannot be resumed/);
      const [listed] = await store.unfinished(new Set());
      assert.match(listed!.problem!, /cannot be resumed/);
    });

    it('leaves out a run another live host holds, and takes over one whose host died', async () => {
      const { store, dir } = await storeWithRun();
      await writeFile(join(dir, `${RUN}.owner`), String(process.ppid));
      assert.deepEqual(await store.unfinished(new Set()), [], 'the parent process is alive, so the run is someone else\'s');
      await assert.rejects(store.reopen((await store.load(RUN)) as never), /running in another Keel window/);
      await writeFile(join(dir, `${RUN}.owner`), '999999999');
      assert.equal((await store.unfinished(new Set())).length, 1);
    });

    it('ignores files that are not journals and refuses ids that are not run ids', async () => {
      const { store, dir } = await storeWithRun();
      await writeFile(join(dir, 'notes.txt'), 'hello');
      await writeFile(join(dir, '..jsonl'), 'hello');
      assert.equal((await store.unfinished(new Set())).length, 1);
      await assert.rejects(store.load('../../etc/passwd'), /is not a run id/);
    });
  });

  describe('resuming a call that was in flight', () => {
    async function pendingJournal(intent: object, approvals: object[] = []) {
      const { store } = await storeWithRun();
      const journal = await store.reopen((await store.load(RUN)) as never);
      journal.append({ type: 'intent', step: 1, index: 0, ...intent } as never);
      for (const approval of approvals) journal.append({ type: 'approval', step: 1, index: 0, subject: 's', ...approval } as never);
      journal.close();
      const loaded = await store.load(RUN);
      assert.ok(typeof loaded === 'object' && loaded.ok);
      return store.reopen(loaded);
    }
    const edit = { path: 'a.txt', old_text: 'world', new_text: 'keel' };
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    const editIntent = { tool: 'propose_edit', effect: { kind: 'edit', path: 'a.txt', before: sha('hello world'), after: sha('hello keel') } };
    const rerun = async () => ({ ok: true, content: 'ran again' });

    it('an edit found applied is not proposed again', async () => {
      const journal = await pendingJournal(editIntent);
      const outcome = await journal.toolCall(planned({ id: 'c', name: 'propose_edit', arguments: edit }, { 'a.txt': 'hello keel' }), rerun);
      assert.deepEqual(outcome, { ok: true, content: 'The edit to a.txt was approved and is applied.' });
    });

    it('an edit not yet applied is proposed again, which asks the user again', async () => {
      const journal = await pendingJournal(editIntent, [{ state: 'asked' }]);
      const outcome = await journal.toolCall(planned({ id: 'c', name: 'propose_edit', arguments: edit }, { 'a.txt': 'hello world' }), rerun);
      assert.deepEqual(outcome, { ok: true, content: 'ran again' });
    });

    it('a file changed since is reported to the agent, not overwritten', async () => {
      const journal = await pendingJournal(editIntent);
      const outcome = await journal.toolCall(planned({ id: 'c', name: 'propose_edit', arguments: edit }, { 'a.txt': 'someone else wrote this' }), rerun);
      assert.equal(outcome.ok, false);
      assert.match(outcome.content, /changed while Keel was stopped/);
    });

    it('a new file that exists with the content is done; a missing one is created', async () => {
      const intent = { tool: 'create_file', effect: { kind: 'create', path: 'b.txt', after: sha('new') } };
      const call = { id: 'c', name: 'create_file', arguments: { path: 'b.txt', content: 'new' } };
      assert.deepEqual(await (await pendingJournal(intent)).toolCall(planned(call, { 'b.txt': 'new' }), rerun), { ok: true, content: 'Created b.txt.' });
      assert.deepEqual(await (await pendingJournal(intent)).toolCall(planned(call, {}), rerun), { ok: true, content: 'ran again' });
    });

    it('a command whose approval was still open runs without asking whether to repeat it', async () => {
      const journal = await pendingJournal({ tool: 'run_command', effect: { kind: 'other' } }, [{ state: 'asked' }]);
      const plan = planned({ id: 'c', name: 'run_command', arguments: { command: 'echo x' } }, {}, 'execute');
      assert.deepEqual(await journal.toolCall(plan, rerun), { ok: true, content: 'ran again' });
      assert.equal(plan.asked, 0);
    });

    for (const [choice, expected] of [['run', /ran again/], ['skip', /chose not to run it again/], ['stop', /^The run stopped on resuming it: run_command may have run/]] as const) {
      it(`a command that may have run is put to the user: ${choice}`, async () => {
        const journal = await pendingJournal({ tool: 'run_command', effect: { kind: 'other' } }, [{ state: 'asked' }, { state: 'decided', decision: 'approved' }]);
        const plan = planned({ id: 'c', name: 'run_command', arguments: { command: 'echo x' } }, {}, 'execute', choice);
        const outcome = await journal.toolCall(plan, rerun).catch((error: Error) => ({ ok: false, content: error.message }));
        assert.match(outcome.content, expected);
        assert.equal(plan.asked, 1);
      });
    }

    it('a finished call is answered from the record without running', async () => {
      const { store } = await storeWithRun();
      const journal = await store.reopen((await store.load(RUN)) as never);
      journal.append({ type: 'result', step: 1, index: 0, ok: true, content: 'recorded' });
      journal.close();
      const loaded = await store.load(RUN);
      const outcome = await (await store.reopen(loaded as never)).toolCall(planned({ id: 'c', name: 'run_command', arguments: {} }, {}, 'execute'), () => assert.fail('ran again'));
      assert.deepEqual(outcome, { ok: true, content: 'recorded' });
    });
  });
});
