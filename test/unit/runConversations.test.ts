import assert from 'node:assert/strict';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { FileBackups, sha256 } from '../../host/orchestration/durable/fileBackups';
import type { JournalRecord } from '../../host/orchestration/durable/journalRecords';
import { Replay } from '../../host/orchestration/durable/runJournal';
import { continuationOf, conversationOf, endOf, fileChangesOf, transcriptOf } from '../../host/orchestration/durable/runRecords';
import { RunStore } from '../../host/orchestration/durable/runStore';
import { undoChanges } from '../../host/orchestration/durable/undo';
import { FsWorkspace } from '../../host/workspace/fsWorkspace';
import type { WorkspacePort } from '../../host/workspace/port';
import { tempDir } from './helpers';

const RUN = '0b5f3f1e-8a57-4c4e-9d7e-5a8f2b6c1d00';
const T = '2026-01-01T00:00:00.000Z';
const start: JournalRecord = { type: 'start', runId: RUN, goal: 'fix it', request: { agent: 'lead' }, traceId: 'a'.repeat(32), time: T };
const usage = { inputTokens: 1, outputTokens: 1 };
const model = (step: number, content: string, calls: { name: string; arguments: unknown }[] = [], scope?: string): JournalRecord =>
  ({ type: 'model', step, ...(scope ? { scope } : {}), content, toolCalls: calls.map((c, i) => ({ id: `c${step}-${i}`, ...c })), usage, costUsd: 0, modelId: 'm' });
const result = (step: number, index: number, content: string, extra: { ok?: boolean; changed?: boolean; scope?: string } = {}): JournalRecord =>
  ({ type: 'result', step, index, ok: extra.ok ?? true, content, ...(extra.changed !== undefined ? { changed: extra.changed } : {}), ...(extra.scope ? { scope: extra.scope } : {}) });
const edit = (step: number, index: number, path: string, before: string, after: string, scope?: string): JournalRecord =>
  ({ type: 'intent', step, index, ...(scope ? { scope } : {}), tool: 'propose_edit', effect: { kind: 'edit', path, before, after } });
const create = (step: number, index: number, path: string, after: string): JournalRecord => ({ type: 'intent', step, index, tool: 'create_file', effect: { kind: 'create', path, after } });

describe('runs as conversations: reading the journal', () => {
  it('rebuilds the conversation: answers, calls with their results, a call that never finished, steering where it was read, follow-ups with how the part before ended', () => {
    const records: JournalRecord[] = [
      start,
      model(1, 'Looking first.', [{ name: 'read_file', arguments: { path: 'a' } }, { name: 'run_command', arguments: { command: 'ls' } }]),
      { type: 'steer', text: 'use tabs', time: T },
      result(1, 0, 'text of a'),
      { type: 'steered', step: 1, count: 1 },
      { type: 'steer', text: 'never read', time: T },
      { type: 'escalation', step: 2, reason: 'it repeated itself', action: 'answer', text: 'read b instead' },
      { type: 'end', outcome: 'failed', message: 'the model fell over' },
      { type: 'continue', text: 'try again', time: T },
    ];
    assert.deepEqual(conversationOf(records), [
      { role: 'assistant', content: 'Looking first.', toolCalls: [{ id: 'c1-0', name: 'read_file', arguments: { path: 'a' } }, { id: 'c1-1', name: 'run_command', arguments: { command: 'ls' } }] },
      { role: 'tool', toolCallId: 'c1-0', toolName: 'read_file', content: 'text of a' },
      { role: 'tool', toolCallId: 'c1-1', toolName: 'run_command', content: 'run_command did not finish: the run stopped before its result was recorded. Check its effect before relying on it.' },
      { role: 'user', content: 'The user sent this while you were working; take it into account from here on:\nuse tabs' },
      { role: 'user', content: "Keel paused you because it repeated itself. The user's guidance:\nread b instead" },
      { role: 'user', content: '(The run failed before this message: the model fell over)\n\ntry again' },
    ]);
    assert.equal(endOf(records), undefined, 'a continued run has not ended');
    assert.equal(continuationOf(records)?.firstStep, 2);
    assert.equal(endOf([...records, model(2, 'Done.'), { type: 'end', outcome: 'succeeded', message: 'Done.' }])?.outcome, 'succeeded');
  });

  it('replays steering exactly once: read after the step that read it, unread ones handed over again, none after a continuation', () => {
    const records: JournalRecord[] = [
      start, model(1, '', [{ name: 'read_file', arguments: {} }]), { type: 'steer', text: 'first', time: T }, result(1, 0, 'x'), { type: 'steered', step: 1, count: 1 },
      model(2, '', [{ name: 'read_file', arguments: {} }]), { type: 'steer', text: 'second', time: T },
    ];
    const replay = new Replay(records);
    assert.deepEqual([...replay.steered], [[1, ['first']]]);
    assert.deepEqual(replay.unread, ['second'], 'sent before the crash, not yet read: the resumed agent reads it');
    assert.deepEqual(new Replay([...records, { type: 'end', outcome: 'failed', message: 'x' }, { type: 'continue', text: 'go', time: T }]).unread, []);
    // A subagent's replay sees no steering of its own.
    assert.deepEqual([...new Replay(records, '1:0').steered], []);
  });

  it('finds the files a run changed: first before and last after, created files, not denied edits, an edit undone by another, or changes before the last undo', () => {
    const records: JournalRecord[] = [
      start,
      create(1, 0, 'new.txt', 'h-new'), result(1, 0, 'Created new.txt.', { changed: true }),
      edit(2, 0, 'a.txt', 'h0', 'h1'), result(2, 0, 'applied', { changed: true }),
      edit(3, 0, './a.txt', 'h1', 'h2'), result(3, 0, 'applied', { changed: true }),
      edit(4, 0, 'b.txt', 'b0', 'b1'), result(4, 0, 'The user denied the edit', { changed: false }),
      edit(5, 0, 'c.txt', 'c0', 'c1'), result(5, 0, 'applied', { changed: true }),
      edit(6, 0, 'c.txt', 'c1', 'c0'), result(6, 0, 'applied', { changed: true }),
      edit(1, 0, 'sub.txt', 's0', 's1', '7:0'), result(1, 0, 'applied', { changed: true, scope: '7:0' }),
    ];
    assert.deepEqual(fileChangesOf(records), [
      { path: 'new.txt', before: null, after: 'h-new' },
      { path: 'a.txt', before: 'h0', after: 'h2' },
      { path: 'sub.txt', before: 's0', after: 's1' },
    ]);
    assert.deepEqual(fileChangesOf([...records, { type: 'undone', files: ['new.txt', 'a.txt', 'sub.txt'], time: T }]), []);
  });

  it('makes a transcript: the model\'s words between tool calls, calls summarised, subagents named, secrets redacted, long text cut', () => {
    const key = ['sk-proj-', 'Qw3rTy'.repeat(5)].join('');
    const messages = transcriptOf([
      start,
      model(1, `Reading it; the key is ${key}.`, [{ name: 'read_file', arguments: { path: 'src/a.ts' } }, { name: 'delegate', arguments: { goal: 'write tests' } }]),
      { type: 'subagent', scope: '1:1', agent: 'tester', goal: 'write tests' },
      model(1, 'x'.repeat(30_000), [], '1:1'),
      result(1, 0, 'text', { ok: false }),
      { type: 'steer', text: 'hurry', time: '2026-01-01T00:01:00.000Z' },
    ]);
    assert.deepEqual(messages.map((m) => (m.role === 'user' ? `user:${m.kind}` : m.role === 'tool' ? `tool:${m.tool}:${m.summary}:${m.ok}:${m.agent}` : `assistant:${m.agent}`)), [
      'user:goal', 'assistant:lead', 'assistant:tester', 'tool:read_file:src/a.ts:false:lead', 'user:steer',
    ]);
    assert.ok(!JSON.stringify(messages).includes(key));
    const long = messages[2];
    assert.ok(long?.role === 'assistant' && long.text.length < 20_100 && long.text.endsWith('[10000 more characters]'));
    assert.equal(messages[4]?.at, '2026-01-01T00:01:00.000Z');
  });
});

describe('runs as conversations: undo', () => {
  /** A workspace on a plain object, whose writes can be made to fail. */
  function workspace(files: Record<string, string>, failOn?: string): WorkspacePort & { files: Record<string, string> } {
    return {
      root: '/w',
      files,
      readFile: async (path) => files[path] ?? Promise.reject(new Error(`No such file: ${path}`)),
      createFile: async (path, content) => void (files[path] = content),
      writeFile: async (path, content) => {
        if (path === failOn) throw new Error('disk full');
        files[path] = content;
      },
      deleteFile: async (path) => void delete files[path],
    };
  }

  it('restores edited files from their copies and deletes created ones; refuses, naming them, when a file changed since or has no copy', async () => {
    const backups = new FileBackups(join(await tempDir(), 'b'));
    await backups.save('old a\n');
    const changes = [{ path: 'a.txt', before: sha256('old a\n'), after: sha256('new a\n') }, { path: 'made.txt', before: null, after: sha256('made\n') }];
    const ws = workspace({ 'a.txt': 'new a\n', 'made.txt': 'made\n' });
    const audited: unknown[] = [];
    const done = await undoChanges(changes, { runId: RUN, workspace: ws, backups, audit: { append: async (event) => void audited.push(event) } });
    assert.equal(done.undone, true, done.message);
    assert.deepEqual(ws.files, { 'a.txt': 'old a\n' });
    assert.deepEqual(audited, [
      { kind: 'file_change', runId: RUN, path: 'a.txt', before: sha256('new a\n'), after: sha256('old a\n') },
      { kind: 'file_change', runId: RUN, path: 'made.txt', before: sha256('made\n'), after: null },
    ]);

    const changedSince = workspace({ 'a.txt': 'new a\nmine\n', 'made.txt': 'made\n' });
    const refused = await undoChanges(changes, { runId: RUN, workspace: changedSince, backups });
    assert.deepEqual([refused.undone, refused.files], [false, ['a.txt']]);
    assert.deepEqual(changedSince.files, { 'a.txt': 'new a\nmine\n', 'made.txt': 'made\n' });

    const uncopied = await undoChanges([{ path: 'b.txt', before: sha256('gone'), after: sha256('b') }], { runId: RUN, workspace: workspace({ 'b.txt': 'b' }), backups });
    assert.deepEqual([uncopied.undone, uncopied.files], [false, ['b.txt']]);
    assert.match(uncopied.message, /no copy of b\.txt from before the run/);
  });

  it('puts back the files it already reverted when a write fails part way', async () => {
    const backups = new FileBackups(join(await tempDir(), 'b'));
    await backups.save('a0');
    await backups.save('b0');
    const ws = workspace({ 'made.txt': 'm', 'a.txt': 'a1', 'b.txt': 'b1' }, 'b.txt');
    const changes = [{ path: 'made.txt', before: null, after: sha256('m') }, { path: 'a.txt', before: sha256('a0'), after: sha256('a1') }, { path: 'b.txt', before: sha256('b0'), after: sha256('b1') }];
    const failed = await undoChanges(changes, { runId: RUN, workspace: ws, backups });
    assert.equal(failed.undone, false);
    assert.match(failed.message, /b\.txt could not be restored \(disk full\)/);
    assert.deepEqual(ws.files, { 'made.txt': 'm', 'a.txt': 'a1', 'b.txt': 'b1' });
  });

  it('touches nothing outside the workspace, whatever a planted journal names: a path leading out, a symlink out', async () => {
    const root = await tempDir();
    const outside = join(await tempDir(), 'victim.txt');
    await writeFile(outside, 'precious\n');
    await symlink(outside, join(root, 'link.txt'));
    const backups = new FileBackups(join(await tempDir(), 'b'));
    await backups.save('planted\n');
    const planted = [
      { path: relative(root, outside), before: sha256('planted\n'), after: sha256('precious\n') },
      { path: 'link.txt', before: null, after: sha256('precious\n') },
    ];
    const refused = await undoChanges(planted, { runId: RUN, workspace: new FsWorkspace(root), backups });
    assert.equal(refused.undone, false);
    assert.deepEqual(refused.files, planted.map((change) => change.path));
    assert.equal(await readFile(outside, 'utf8'), 'precious\n');
    // The port's own writes are confined as its reads are.
    const files = new FsWorkspace(root);
    await assert.rejects(files.deleteFile('link.txt'), /outside the workspace/);
    await assert.rejects(files.writeFile('link.txt', 'overwritten'), /outside the workspace/);
    await assert.rejects(files.deleteFile(relative(root, outside)), /outside the workspace|leaves the workspace/);
    assert.equal(await readFile(outside, 'utf8'), 'precious\n');
  });

  it('reads no copy whose content does not match its name, and keeps copies readable by the user only', async () => {
    const dir = join(await tempDir(), 'b');
    const backups = new FileBackups(dir);
    await backups.save('secret=1\n');
    assert.equal(await backups.read(sha256('secret=1\n')), 'secret=1\n');
    await writeFile(join(dir, sha256('secret=1\n')), 'tampered');
    assert.equal(await backups.read(sha256('secret=1\n')), undefined);
    assert.equal(await backups.read('../../etc/passwd'), undefined);
    await backups.save('x');
    const { mode } = await import('node:fs/promises').then((fs) => fs.stat(join(dir, sha256('x'))));
    assert.equal(mode & 0o777, 0o600);
  });
});

describe('runs as conversations: the store', () => {
  it('continues an ended journal once (moved back with the follow-up on disk), and refuses a run that has not ended or is a workflow', async () => {
    const dir = await tempDir('keel-runs-');
    const store = new RunStore(dir);
    const journal = await store.create({ runId: RUN, goal: 'fix it', request: { goal: 'fix it', models: { router: {}, defaultModel: { provider: 'ollama', baseUrl: 'http://127.0.0.1:1', model: 'm' }, apiKeys: {} }, limits: { maxSteps: 4, approvalTimeoutMs: 1000 } }, traceId: 'a'.repeat(32) });
    await assert.rejects(store.continueEnded(RUN, 'more'), /no ended journal to continue \(it has not ended\)/);
    journal.end('succeeded', 'Done.');
    await store.retire(RUN);
    const loaded = await store.continueEnded(RUN, 'more');
    assert.deepEqual(loaded.continued, { history: [{ role: 'user', content: 'more' }], firstStep: 1 });
    assert.match(await readFile(join(dir, `${RUN}.jsonl`), 'utf8'), /"type":"continue","text":"more"/);
    await assert.rejects(store.continueEnded(RUN, 'again'), /has not ended/);
    const listed = await store.list();
    assert.deepEqual(listed.map((r) => [r.runId, r.end]), [[RUN, undefined]]);

    const workflowRun = '1b5f3f1e-8a57-4c4e-9d7e-5a8f2b6c1d00';
    const workflow = await store.create({ runId: workflowRun, goal: 'review', request: { goal: 'review', models: { router: {}, defaultModel: { provider: 'ollama', baseUrl: 'http://127.0.0.1:1', model: 'm' }, apiKeys: {} }, limits: { maxSteps: 4, approvalTimeoutMs: 1000 } }, traceId: 'b'.repeat(32), workflow: { path: '.keel/workflows/r.js', sha256: 'c'.repeat(64), input: null, seed: 1, clock: 0 } });
    workflow.end('succeeded', 'Reviewed.');
    await store.retire(workflowRun);
    await assert.rejects(store.continueEnded(workflowRun, 'more'), /is a workflow run/);
    assert.equal((await store.list()).find((r) => r.runId === workflowRun)?.kind, 'workflow');
  });
});
