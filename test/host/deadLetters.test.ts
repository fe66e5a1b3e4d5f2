import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DismissFailedTaskRequest, FailedTasksChangedNotification, ListFailedTasksRequest, RetryFailedTaskRequest } from '../../protocol/rpc';
import { HostileHost } from '../adversarial/hostileHost';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { tempDir } from '../unit/helpers';

describe('the dead-letter queue', function () {
  this.timeout(60_000);
  let server: ModelServer;
  /** While set, the model server fails every call that follows a tool result (the run's second step). */
  let broken = true;
  let storageDir: string;
  let workspace: string;

  before(async () => {
    server = await startModelServer((request, index) => (broken && request.messages.some((m) => m.role === 'tool') ? { kind: 'error', status: 500, message: 'the model server fell over' } : scriptedAgent(request, index)));
  });
  after(() => server.close());
  beforeEach(async () => {
    broken = true;
    storageDir = await tempDir('keel-dlq-');
    workspace = await tempDir();
    await writeFile(join(workspace, 'notes.txt'), 'one\ntwo\nthree\n');
  });

  it('keeps a failed run across a restart, and retries it from its last good step without asking the model again', async () => {
    let host = await HostileHost.start(workspace, server.url, { storageDir });
    const counts: number[] = [];
    host.connection.onNotification(FailedTasksChangedNotification.type, ({ count }) => {
      counts.push(count);
    });
    const failed = await host.run('summarize notes.txt');
    assert.equal(failed.outcome, 'failed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(counts, [1]);
    assert.equal(await host.stop(), 0);

    host = await HostileHost.start(workspace, server.url, { storageDir });
    const { tasks } = await host.connection.sendRequest(ListFailedTasksRequest.type, {});
    assert.equal(tasks.length, 1);
    assert.deepEqual({ runId: tasks[0]!.runId, goal: tasks[0]!.goal, steps: tasks[0]!.steps }, { runId: failed.runId, goal: 'summarize notes.txt', steps: 1 });
    assert.match(tasks[0]!.message, /fell over|500/);

    broken = false;
    const firstStepAsks = () => server.requests.filter((r) => !r.messages.some((m) => m.role === 'tool')).length;
    const before = firstStepAsks();
    const { runId } = await host.connection.sendRequest(RetryFailedTaskRequest.type, { runId: failed.runId, models: host.models() });
    assert.equal(runId, failed.runId, 'a retry keeps the run id');
    const retried = await host.finished(runId);
    assert.equal(retried.outcome, 'succeeded', retried.message);
    assert.equal(retried.message, 'notes.txt has 3 lines.');
    assert.equal(firstStepAsks(), before, 'the recorded first step was replayed, not asked again');
    assert.deepEqual((await host.connection.sendRequest(ListFailedTasksRequest.type, {})).tasks, []);
    assert.equal(await host.stop(), 0);
  });

  it('dismisses a task, and refuses to retry what is not on the queue', async () => {
    const host = await HostileHost.start(workspace, server.url, { storageDir });
    const failed = await host.run('summarize notes.txt');
    assert.equal(failed.outcome, 'failed');
    await assert.rejects(host.connection.sendRequest(RetryFailedTaskRequest.type, { runId: '0b5f3f1e-8a57-4c4e-9d7e-5a8f2b6c1d00' }), /not on the dead-letter queue/);
    await assert.rejects(host.connection.sendRequest(RetryFailedTaskRequest.type, { runId: '../../etc/passwd' }), /not on the dead-letter queue/);
    assert.deepEqual(await host.connection.sendRequest(DismissFailedTaskRequest.type, { runId: failed.runId }), { dismissed: true });
    assert.deepEqual(await host.connection.sendRequest(DismissFailedTaskRequest.type, { runId: failed.runId }), { dismissed: false });
    assert.deepEqual((await host.connection.sendRequest(ListFailedTasksRequest.type, {})).tasks, []);
    assert.equal(await host.stop(), 0);
  });
});
