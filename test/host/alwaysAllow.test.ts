import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AddAllowRulesRequest, ReviewToolCallRequest, RunFinishedNotification, StartRunRequest, type ReviewToolCallParams } from '../../protocol/rpc';
import type { RunResult, ToolCallDecision } from '../../protocol/run';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { tempDir } from '../unit/helpers';
import { startHost, type HostProcess } from './hostProcess';

describe('"Always allow" over JSON-RPC', () => {
  let server: ModelServer;
  let host: HostProcess;
  let workspace: string;
  let storage: string;
  const questions: ReviewToolCallParams[] = [];
  let answer: (review: ReviewToolCallParams) => Promise<ToolCallDecision>;
  const finished = new Map<string, (result: RunResult) => void>();

  before(async function () {
    this.timeout(30_000);
    server = await startModelServer(scriptedAgent);
    workspace = await tempDir();
    storage = await tempDir();
    host = startHost();
    host.connection.onRequest(ReviewToolCallRequest.type, (review) => {
      questions.push(review);
      return answer(review);
    });
    host.connection.onNotification(RunFinishedNotification.type, (result) => finished.get(result.runId)?.(result));
    await host.initialize({ workspace, storageDir: storage });
  });

  after(async () => {
    await host?.stop();
    await server?.close();
  });

  async function run(commands: string[], policy?: Record<string, unknown>, commandSandbox?: 'off'): Promise<RunResult> {
    const goal = `follow plan ${JSON.stringify(commands.map((command) => ({ tool: 'run_command', args: { command } })))}`;
    const models = { router: { retries: 0 }, defaultModel: { provider: 'ollama' as const, baseUrl: server.url, model: 'test-model' }, apiKeys: {} };
    const { runId } = await host.connection.sendRequest(StartRunRequest.type, { goal, models, limits: { maxSteps: 8, approvalTimeoutMs: 10_000 }, ...(policy ? { policy } : {}), ...(commandSandbox ? { commandSandbox } : {}) });
    return new Promise((resolve) => finished.set(runId, resolve));
  }

  it('shows the parts, writes the rule shown into .keel/policy.jsonc, and the next call and the next run do not ask', async function () {
    this.timeout(60_000);
    answer = async (review) => {
      if (review.command?.line !== 'echo one && echo two') return { decision: 'approved' };
      // The extension writes the rule the question proposed, then approves with it.
      const proposal = review.alwaysAllow;
      assert.ok(proposal && 'rules' in proposal);
      const written = await host.connection.sendRequest(AddAllowRulesRequest.type, { target: 'workspace', rules: proposal.rules });
      assert.equal(written.summary, `.keel/policy.jsonc: ${proposal.preview.workspace}`);
      return { decision: 'approved', alwaysAllow: 'workspace' };
    };
    const first = await run(['echo one && echo two', 'echo two && echo one', 'echo three']);
    assert.match(first.message, /Plan done/);
    // Asked about the first line and the third; the second is covered by the rules granted for the run.
    assert.deepEqual(questions.map((q) => q.command?.line), ['echo one && echo two', 'echo three']);
    const [asked] = questions;
    assert.deepEqual(asked!.command!.parts, [{ source: 'echo one' }, { source: 'echo two' }]);
    assert.deepEqual(asked!.command!.unchecked, []);
    assert.equal(typeof asked!.command!.sandboxed, 'boolean');
    assert.match(asked!.command!.confinement, asked!.command!.sandboxed ? /OS sandbox/ : /not sandboxed/);
    assert.deepEqual(asked!.alwaysAllow, {
      rules: [{ list: 'commands', pattern: 'echo one' }, { list: 'commands', pattern: 'echo two' }],
      preview: { workspace: 'default.commands.allow += "echo one", "echo two"', user: 'default.commands.allow += "echo one", "echo two"' },
      note: (asked!.alwaysAllow as { note: string }).note,
    });
    const file = await readFile(join(workspace, '.keel', 'policy.jsonc'), 'utf8');
    assert.match(file, /^\/\/ Keel policy/);
    assert.match(file, /"allow": \[\s*"echo one",\s*"echo two"\s*\]/);
    const audit = (await readFile(join(storage, 'audit', 'audit.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(audit.some((r) => r.kind === 'policy_change' && r.level === 'workspace' && r.source === '.keel/policy.jsonc'));
    const lifted = audit.find((r) => r.kind === 'approval' && r.decidedBy === 'policy' && r.level === 'run');
    assert.equal(lifted?.rule, 'commands.allow "echo two", commands.allow "echo one"');

    // The next run, on autopilot (granted by the user), reads the rule from the file: no question.
    questions.length = 0;
    answer = async () => ({ decision: 'denied', reason: 'should not be asked' });
    const second = await run(['echo two'], { default: { autonomy: 'autopilot' } });
    assert.match(second.message, /Plan done/);
    assert.deepEqual(questions, []);
  });

  it('answers the keel.policy value with the rule added for the extension to save, and refuses one a deny in it would catch', async function () {
    this.timeout(30_000);
    const userPolicy = { default: { autonomy: 'autopilot', commands: { deny: ['git push --force*'] } } };
    const result = await host.connection.sendRequest(AddAllowRulesRequest.type, { target: 'user', rules: [{ list: 'commands', pattern: 'git push origin main' }], userPolicy });
    assert.deepEqual(result, {
      summary: 'setting keel.policy: default.commands.allow += "git push origin main"',
      userPolicy: { default: { autonomy: 'autopilot', commands: { deny: ['git push --force*'], allow: ['git push origin main'] } } },
    });
    await assert.rejects(
      host.connection.sendRequest(AddAllowRulesRequest.type, { target: 'user', rules: [{ list: 'commands', pattern: 'git push --force-with-lease' }], userPolicy }),
      /matches commands\.deny "git push --force\*" of the user policy.*Nothing was written/,
    );
  });

  it('says plainly when a command will run unsandboxed, and offers no rule for a line it cannot see through', async function () {
    this.timeout(30_000);
    questions.length = 0;
    answer = async () => ({ decision: 'denied', reason: 'only looking' });
    await run(['$(which echo) hi'], undefined, 'off');
    const [asked] = questions;
    assert.equal(asked?.command?.sandboxed, false);
    assert.equal(asked?.command?.confinement, 'Commands are not sandboxed: they run with your permissions.');
    assert.deepEqual(asked?.command?.parts.map((p) => p.source), ['$(which echo) hi', 'which echo']);
    assert.match(asked?.command?.unchecked[0] ?? '', /the program `\$\(which echo\)` is known only when it runs/);
    assert.match((asked?.alwaysAllow as { refused: string }).refused, /runs a program known only when it runs, so no rule can allow it/);
  });

  it('refuses to write into a policy that does not parse, leaving it as it was', async function () {
    this.timeout(30_000);
    const broken = '{ "default": { "commands": { "allow": ["echo one" }\n';
    await writeFile(join(workspace, '.keel', 'policy.jsonc'), broken);
    await assert.rejects(host.connection.sendRequest(AddAllowRulesRequest.type, { target: 'workspace', rules: [{ list: 'commands', pattern: 'npm test' }] }), /\.keel\/policy\.jsonc line 1: .*Nothing was written/);
    assert.equal(await readFile(join(workspace, '.keel', 'policy.jsonc'), 'utf8'), broken);
    await assert.rejects(host.connection.sendRequest(AddAllowRulesRequest.type, { target: 'workspace', rules: [] } as never), /rules/);
  });
});
