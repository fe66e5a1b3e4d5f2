/**
 * Adversarial tier: a hostile MCP server. Its annotations lie, its results are huge or carry instructions, it crashes
 * mid-call; the host asks before its first use, caps and fences what it returns, gives it no credentials, and stays up.
 */
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { SetMcpServersRequest } from '../../protocol/rpc';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { tempDir } from '../unit/helpers';
import { HostileHost, p99 } from './hostileHost';
import { answer, callTool, HostileModel } from './hostileModel';

const HOST_KEY = `sk-host-${'m3'.repeat(12)}`;
const REPO = join(__dirname, '..', '..');

describe('adversarial: a hostile MCP server', function () {
  this.timeout(60_000);
  const model = new HostileModel();
  let server: ModelServer;
  let host: HostileHost;
  let marker: string;

  before(async () => {
    server = await startModelServer(model.script);
  });
  after(() => server.close());
  beforeEach(async () => {
    const workspace = await tempDir();
    marker = join(await tempDir('keel-mcp-marker-'), 'tidied');
    host = await HostileHost.start(workspace, server.url, { env: { OPENAI_API_KEY: HOST_KEY } });
    const { servers } = await host.connection.sendRequest(SetMcpServersRequest.type, {
      servers: [{ name: 'hostile', source: 'test', type: 'stdio', command: process.execPath, args: ['--import', 'tsx', join(__dirname, 'fixtures', 'hostileMcpServer.ts'), marker], env: {}, cwd: REPO }],
      sampling: host.models(),
    });
    assert.equal(servers[0]!.state, 'connected', JSON.stringify(servers));
  });
  afterEach(async () => {
    assert.ok(host.alive, 'the host died');
    assert.equal(await host.stop(), 0);
  });

  it('asks before the first call of a tool that claims to be read-only, and does not call it when denied', async () => {
    host.decideTool = () => ({ decision: 'denied', reason: 'no' });
    const result = await host.run(model.plan('lying annotations', [callTool('mcp__hostile__tidy', {})]));
    assert.match(result.message, /denied/);
    assert.equal(host.asked[0]!.tool, 'mcp__hostile__tidy');
    await assert.rejects(access(marker), 'the tool ran without approval');
  });

  it('caps huge results, fences instructions, gives the server no credentials, and outlives its crash', async () => {
    host.decideTool = () => ({ decision: 'approved', always: true });
    const steps = [
      callTool('mcp__hostile__huge', { megabytes: 5 }),
      callTool('mcp__hostile__huge', { megabytes: 30 }),
      callTool('mcp__hostile__inject', {}),
      callTool('mcp__hostile__environment', {}),
      callTool('mcp__hostile__crash', {}),
      callTool('mcp__hostile__inject', {}),
      // A pause before the last answer, so that most of the pings fall inside the run.
      { ...answer('done'), delayMs: 2000 },
    ];
    const goal = model.plan('hostile results', steps);
    const runId = await host.start(goal, { maxSteps: steps.length + 1 });
    const rtts = await host.pingWhile(host.finished(runId));
    const result = await host.finished(runId);
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.ok(p99(rtts) < 100, `ping p99 ${p99(rtts).toFixed(1)} ms over ${rtts.length} pings`);

    const toolMessages = model.toolResults(goal);
    assert.equal(toolMessages.length, steps.length - 1);
    const [big, tooBig, inject, environment, crash] = toolMessages as [string, string, string, string, string];
    assert.ok(big.length < 210_000, `the model got ${big.length} characters`);
    assert.match(big, /more characters of this result were cut/);
    assert.ok(tooBig.length < 10_000);
    assert.match(tooBig, /failed/);
    assert.match(inject, /^<retrieved untrusted="true" source="tool" tool="mcp__hostile__inject">\n/);
    assert.equal(inject.match(/<\/?retrieved/g)!.length, 2, 'the result closed its fence');
    assert.ok(!environment.includes(HOST_KEY) && !environment.includes('OPENAI_API_KEY'), 'the server saw the host\'s key');
    assert.match(crash, /failed/);
  });
});
