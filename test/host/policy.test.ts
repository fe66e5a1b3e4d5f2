import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PingRequest, ReviewToolCallRequest, RunFinishedNotification, SpanNotification, StartRunRequest, type ReviewToolCallParams } from '../../protocol/rpc';
import type { RunResult } from '../../protocol/run';
import type { SpanData } from '../../protocol/trace';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { tempDir } from '../unit/helpers';
import { startHost, type HostProcess } from './hostProcess';

const WORKSPACE_POLICY = `{
  // The team's rules: what runs on autopilot where the user grants it; deleting never.
  "default": {
    "autonomy": "autopilot",
    "commands": {
      "allow": ["touch *", "echo *", "curl *"],
      "deny": ["rm *"]
    }
  }
}
`;

describe('policy over JSON-RPC', () => {
  let server: ModelServer;
  let host: HostProcess;
  let workspace: string;
  let storage: string;
  const questions: ReviewToolCallParams[] = [];
  const spans = new Map<string, SpanData>();
  const finished = new Map<string, (result: RunResult) => void>();
  const warnings: string[] = [];

  before(async function () {
    this.timeout(30_000);
    server = await startModelServer(scriptedAgent);
    workspace = await tempDir();
    storage = await tempDir();
    const managed = join(await tempDir(), 'managed.jsonc');
    await writeFile(managed, '{ "default": { "commands": { "deny": ["curl *"] } } }');
    await mkdir(join(workspace, '.keel'));
    await writeFile(join(workspace, '.keel', 'policy.jsonc'), WORKSPACE_POLICY);
    host = startHost({ KEEL_MANAGED_POLICY: managed });
    host.connection.onRequest(ReviewToolCallRequest.type, (review) => {
      questions.push(review);
      return { decision: 'denied', reason: 'not in this test' };
    });
    host.connection.onNotification(SpanNotification.type, (span) => {
      spans.set(span.spanId, span);
    });
    host.connection.onNotification(RunFinishedNotification.type, (result) => finished.get(result.runId)?.(result));
    host.connection.onNotification('window/showMessage', (message: { message: string }) => {
      warnings.push(message.message);
    });
    await host.initialize({ workspace, storageDir: storage });
  });

  after(async () => {
    await host?.stop();
    await server?.close();
  });

  async function run(command: string): Promise<RunResult> {
    const goal = `call tool run_command with ${JSON.stringify({ command })}`;
    const models = { router: { retries: 0 }, defaultModel: { provider: 'ollama' as const, baseUrl: server.url, model: 'test-model' }, apiKeys: {} };
    // The user grants autopilot (keel.policy); the workspace's rules say what runs on it.
    const policy = { default: { autonomy: 'autopilot' } };
    const { runId } = await host.connection.sendRequest(StartRunRequest.type, { goal, models, limits: { maxSteps: 4, approvalTimeoutMs: 10_000 }, policy });
    return new Promise((resolve) => finished.set(runId, resolve));
  }

  it('runs an allowed command on autopilot without asking', async function () {
    this.timeout(30_000);
    const result = await run('touch made && echo ok');
    assert.match(result.message, /run_command said: Exit code 0\.\nok/);
    assert.ok(existsSync(join(workspace, 'made')));
    assert.deepEqual(questions, []);
    const decided = [...spans.values()].find((s) => s.operation === 'approval' && s.attributes['keel.run.id'] === result.runId);
    assert.equal(decided?.attributes['keel.approval.decided_by'], 'policy');
    assert.equal(decided?.attributes['keel.policy.rule'], 'commands.allow "touch *"');
  });

  it('refuses a denied command smuggled after an allowed one, naming the rule, without asking', async function () {
    this.timeout(30_000);
    const result = await run('touch other; rm -rf made');
    assert.match(result.message, /The policy denies run_command: `rm -rf made` matches commands\.deny "rm \*" of the workspace policy/);
    assert.ok(existsSync(join(workspace, 'made')));
    assert.ok(!existsSync(join(workspace, 'other')));
    assert.deepEqual(questions, []);
    assert.equal(await host.connection.sendRequest(PingRequest.type, { sentAt: Date.now() }).then((r) => typeof r.pid), 'number');
  });

  it('lets the managed policy deny what the workspace allows', async function () {
    this.timeout(30_000);
    const result = await run('curl https://example.com');
    assert.match(result.message, /matches commands\.deny "curl \*" of the managed policy/);
  });

  it('picks up an invalid edit at the next run: everything asks, with the line and field, and the change is audited', async function () {
    this.timeout(30_000);
    await writeFile(join(workspace, '.keel', 'policy.jsonc'), WORKSPACE_POLICY.replace('"autopilot"', '"yolo"'));
    const result = await run('touch asked');
    assert.match(result.message, /The user denied run_command: not in this test/);
    assert.ok(!existsSync(join(workspace, 'asked')));
    assert.equal(questions.length, 1);
    assert.match(questions[0]!.title, /Policy asks because the workspace policy is invalid, so Keel asks about everything until it is fixed: \.keel\/policy\.jsonc line 4: default\.autonomy must be one of "supervised", "autopilot"\./);
    assert.equal(questions[0]!.policy?.level, 'workspace');
    assert.deepEqual(warnings, ['Keel: .keel/policy.jsonc line 4: default.autonomy must be one of "supervised", "autopilot". Until it is fixed, Keel asks before every call and nothing runs on autopilot.']);
    const audit = (await readFile(join(storage, 'audit', 'audit.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const changes = audit.filter((r) => r.kind === 'policy_change');
    assert.deepEqual(changes.map((c) => [c.level, c.valid]), [['managed', true], ['user', true], ['workspace', true], ['workspace', false]]);
    assert.match(String(changes[3]!.sha256), /^[0-9a-f]{64}$/);
    const denial = audit.find((r) => r.kind === 'approval' && r.decidedBy === 'policy' && r.decision === 'denied');
    assert.deepEqual([denial?.rule, denial?.level], ['commands.deny "rm *"', 'workspace']);
  });

  it('refuses a huge policy file at the next run while the host keeps answering', async function () {
    this.timeout(30_000);
    await writeFile(join(workspace, '.keel', 'policy.jsonc'), `{"default": {"tools": {"deny": [${'"x",'.repeat(3_000_000)}"y"]}}}`);
    const asked = questions.length;
    const result = await run('touch huge');
    assert.match(result.message, /The user denied run_command/);
    assert.equal(questions.length, asked + 1);
    assert.match(questions.at(-1)!.title, /policy\.jsonc is \d+ bytes; a policy may have at most 262144/);
    assert.equal(typeof (await host.connection.sendRequest(PingRequest.type, { sentAt: Date.now() })).pid, 'number');
  });
});
