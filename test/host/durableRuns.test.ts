import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DiscardRunRequest, ListUnfinishedRunsRequest, PingRequest, ReadFileRequest, ResumeRunRequest, ReviewEditRequest, RunFinishedNotification, SpanNotification, StartRunRequest } from '../../protocol/rpc';
import type { SpanData } from '../../protocol/trace';
import { applyEditToText } from '../../host/workspace/textRange';
import type { EditDecision, RunResult } from '../../protocol/run';
import { crashModel, crashModels, crashPoints, crashTrial, uninterruptedWorkspace } from '../fixtures/crashScenario';
import type { ModelServer } from '../fixtures/modelServer';
import { tempDir } from '../unit/helpers';
import { startHost, type HostProcess } from './hostProcess';

describe('durable runs: kill -9 and resume', function () {
  this.timeout(600_000);
  let server: ModelServer;
  let expected: Record<string, string>;

  before(async () => {
    server = await crashModel();
    expected = await uninterruptedWorkspace(server);
    // The workflow that splits the plan among four agents leaves the same workspace as the single agent.
    assert.deepEqual(await uninterruptedWorkspace(server, 50, 'workflow'), expected);
  });
  after(() => server.close());

  it('finishes 20 runs and workflows (edits, new files, commands, MCP calls) killed at random points with the uninterrupted workspace, nothing repeated, no approval lost', async () => {
    const trials = [];
    // Every other trial is the workflow of four agents (two of them in parallel) doing the same plan.
    for (const [i, killAtMs] of crashPoints(20).entries()) trials.push({ kind: i % 2 ? 'workflow' : 'agent', ...(await crashTrial(server, expected, killAtMs, 50, i % 2 ? 'workflow' : 'agent')) });
    const summary = trials.map((t) => `${t.kind} ${t.killedAtMs} ms: ${t.resumed ? 'resumed' : 'not resumed'}, ${t.outcome}${t.outcome === 'succeeded' ? '' : ` (${t.message})`}, same=${t.sameWorkspace}, repeated=${t.repeated}, pending=${t.pendingAtKill}, lost=${t.lostApprovals}`).join('\n');
    assert.ok(trials.every((t) => t.outcome === 'succeeded' && t.sameWorkspace), summary);
    assert.equal(trials.reduce((sum, t) => sum + t.repeated, 0), 0, summary);
    assert.equal(trials.reduce((sum, t) => sum + t.lostApprovals, 0), 0, summary);
    assert.ok(trials.filter((t) => t.resumed).length >= 15, `most kills land inside the run:\n${summary}`);
    assert.ok(trials.filter((t) => t.kind === 'workflow' && t.resumed).length >= 7, `most workflow kills land inside the workflow:\n${summary}`);
    assert.ok(trials.some((t) => t.pendingAtKill > 0), `some kills land while an approval is open:\n${summary}`);
  });
});

describe('durable runs: a graceful restart', function () {
  this.timeout(60_000);

  it('leaves a run waiting on an approval unfinished, and asks again after the restart without repeating the steps before', async () => {
    const server = await crashModel(0);
    const workspace = await tempDir();
    const storageDir = await tempDir('keel-durable-');
    await writeFile(join(workspace, 'greeting.txt'), 'hello world\n');
    const goal = `follow plan ${JSON.stringify([{ tool: 'read_file', args: { path: 'greeting.txt' } }, { tool: 'propose_edit', args: { path: 'greeting.txt', old_text: 'hello', new_text: 'hi' } }])}`;
    try {
      // The first window never answers the edit: it is reloaded while the question is open.
      const first = startHost();
      const asked = new Promise<void>((resolve) => first.connection.onRequest(ReviewEditRequest.type, () => {
        resolve();
        return new Promise<EditDecision>(() => undefined);
      }));
      first.connection.onRequest(ReadFileRequest.type, async ({ path }) => ({ text: await readFile(join(workspace, path), 'utf8') }));
      const interrupted = new Promise<RunResult>((resolve) => first.connection.onNotification(RunFinishedNotification.type, resolve));
      await first.initialize({ workspace, storageDir });
      const { runId } = await first.connection.sendRequest(StartRunRequest.type, { goal, models: crashModels(server), limits: { maxSteps: 8, approvalTimeoutMs: 60_000 } });
      await asked;
      const stopping = first.stop();
      assert.equal((await interrupted).outcome, 'interrupted');
      assert.equal(await stopping, 0);
      const requestsBefore = server.requests.length;

      const second = startHost();
      let reviews = 0;
      second.connection.onRequest(ReadFileRequest.type, async ({ path }) => ({ text: await readFile(join(workspace, path), 'utf8') }));
      second.connection.onRequest(ReviewEditRequest.type, async (review): Promise<EditDecision> => {
        reviews++;
        await writeFile(join(workspace, review.edit.path), applyEditToText(await readFile(join(workspace, review.edit.path), 'utf8'), review.edit));
        return { decision: 'approved' };
      });
      const spans: SpanData[] = [];
      second.connection.onNotification(SpanNotification.type, (span) => {
        spans.push(span);
      });
      const finished = new Promise<RunResult>((resolve) => second.connection.onNotification(RunFinishedNotification.type, resolve));
      await second.initialize({ workspace, storageDir });
      const { runs } = await second.connection.sendRequest(ListUnfinishedRunsRequest.type, {});
      assert.deepEqual(runs.map((r) => [r.runId, r.steps]), [[runId, 2]]);
      await second.connection.sendRequest(ResumeRunRequest.type, { runId, models: crashModels(server) });
      const result = await finished;
      assert.equal(result.outcome, 'succeeded', result.message);
      assert.equal(reviews, 1, 'the open edit was asked again, once');
      assert.equal(await readFile(join(workspace, 'greeting.txt'), 'utf8'), 'hi world\n');
      assert.equal(server.requests.length - requestsBefore, 1, 'only the step after the edit asked the model');
      const root = spans.filter((s) => s.operation === 'invoke_agent' && s.attributes['keel.run.resumed'] === true).at(-1);
      assert.equal(root?.attributes['keel.run.id'], runId);
      assert.equal(root?.attributes['keel.run.replayed_steps'], 2);
      assert.equal(await second.stop(), 0);
      assert.deepEqual((await readdir(join(storageDir, 'runs'), { recursive: true })).filter((name) => name.endsWith('.jsonl')).map((name) => name.split('/').at(-2)), ['finished']);
    } finally {
      await server.close();
    }
  });
});

describe('durable runs: damaged journals', function () {
  this.timeout(30_000);
  const RUN = '0b5f3f1e-8a57-4c4e-9d7e-5a8f2b6c1d00';
  let host: HostProcess;
  let storageDir: string;
  let workspace: string;
  /** The host keeps a folder of journals per workspace folder. */
  let journals: string;

  beforeEach(async () => {
    storageDir = await tempDir('keel-durable-');
    workspace = await tempDir();
    journals = join(storageDir, 'runs', createHash('sha256').update(workspace).digest('hex').slice(0, 16));
    await mkdir(journals, { recursive: true });
  });
  afterEach(async () => {
    assert.equal(await host.stop(), 0, 'the host exits cleanly');
  });

  async function start(): Promise<void> {
    host = startHost();
    await host.initialize({ workspace, storageDir });
  }

  it('lists a damaged journal with the reason, fails it on resume without running anything, and stays up', async () => {
    const start0 = `{"type":"start","runId":"${RUN}","goal":"g","request":{},"traceId":"${'a'.repeat(32)}","time":"2026-01-01T00:00:00Z"}`;
    await writeFile(join(journals, `${RUN}.jsonl`), `0000000000000000 ${start0}\n0000000000000000 {"type":"resumed"}\n`);
    // Garbage, a torn-only file and a huge line beside it: each is reported or skipped, none stops the host.
    const other = (n: number) => `${RUN.slice(0, -1)}${n}`;
    await writeFile(join(journals, `${other(1)}.jsonl`), Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    await writeFile(join(journals, `${other(2)}.jsonl`), `${'x'.repeat(17 * 1024 * 1024)}\nmore\n`);
    await writeFile(join(journals, 'not-a-run.jsonl'), 'hello');
    await start();
    const { runs } = await host.connection.sendRequest(ListUnfinishedRunsRequest.type, {});
    assert.deepEqual(runs.map((r) => r.runId).sort(), [RUN, other(1), other(2)].sort());
    for (const run of runs) assert.match(run.problem ?? '', /cannot be resumed|Keel stopped while writing/, JSON.stringify(run));
    const finished = new Promise<RunResult>((resolve) => host.connection.onNotification(RunFinishedNotification.type, resolve));
    await host.connection.sendRequest(ResumeRunRequest.type, { runId: RUN });
    const result = await finished;
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /could not be resumed: record 1 .* is damaged/);
    await host.connection.sendRequest(PingRequest.type, { sentAt: 1 });
    const after = (await host.connection.sendRequest(ListUnfinishedRunsRequest.type, {})).runs.map((r) => r.runId);
    assert.ok(!after.includes(RUN), 'a failed resume closes the run');
    assert.deepEqual(await readdir(join(journals, 'finished')), [`${RUN}.jsonl`]);
  });

  it('refuses to resume a run id that is a path or unknown, and discards nothing it does not have', async () => {
    await start();
    await assert.rejects(host.connection.sendRequest(ResumeRunRequest.type, { runId: '../../etc/passwd' }), /not an unfinished run .*is not a run id/);
    await assert.rejects(host.connection.sendRequest(ResumeRunRequest.type, { runId: RUN }), /not an unfinished run/);
    assert.deepEqual(await host.connection.sendRequest(DiscardRunRequest.type, { runId: RUN }), { discarded: false });
    await assert.rejects(host.connection.sendRequest(DiscardRunRequest.type, { runId: 'x'.repeat(300) }), /runId/);
  });
});
