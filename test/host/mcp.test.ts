import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ApprovalBroker } from '../../host/governance/approvals';
import { McpManager, parseMcpConfig, PinStore, type McpServerConfig } from '../../host/tools/mcp';
import { hashDefinition } from '../../host/tools/mcp/pins';
import { ToolRegistry, type ToolContext } from '../../host/tools';
import type { ReviewToolCallParams } from '../../protocol/rpc';
import type { ToolCallDecision } from '../../protocol/run';
import { consent, recordingTrace, tempDir } from '../unit/helpers';

const BIN = join(__dirname, '..', '..', 'node_modules', '@modelcontextprotocol');
const stdioServer = (name: string, script: string, ...args: string[]): McpServerConfig => ({
  name, source: 'test', type: 'stdio', command: process.execPath, args: [join(BIN, script, 'dist', 'index.js'), ...args], env: {},
});

/** A registry over the manager's tools, with approvals answered by `decide`, recording what was asked. */
function harness(manager: McpManager, decide: (review: ReviewToolCallParams) => ToolCallDecision = () => ({ decision: 'approved' })) {
  const asked: ReviewToolCallParams[] = [];
  const approvals = new ApprovalBroker(consent({
    reviewToolCall: async (review) => {
      asked.push(review);
      return decide(review);
    },
  }), 5000);
  const { spans, root } = recordingTrace();
  const context = (): ToolContext => ({ runId: 'run', policy: { allowHosts: [] }, workspace: undefined as never, approvals, span: root, signal: new AbortController().signal });
  const call = (name: string, args: unknown) => new ToolRegistry(manager.registryTools()).call({ id: 'c1', name, arguments: args }, context());
  return { asked, spans, call };
}

describe('MCP client against real servers', function () {
  this.timeout(30_000);
  let dir: string;
  let manager: McpManager;
  let pins: PinStore;
  const logs: string[] = [];

  beforeEach(async () => {
    dir = await tempDir();
    pins = new PinStore(join(dir, 'pins.json'));
    manager = new McpManager({ roots: () => [{ uri: `file://${dir}`, name: 'workspace' }], log: (m) => logs.push(m) }, pins);
  });
  afterEach(() => manager.stopAll());

  it('lists server-everything\'s tools over stdio and calls one after approval', async () => {
    await manager.setServers([stdioServer('everything', 'server-everything', 'stdio')]);
    assert.deepEqual(manager.status().map((s) => [s.name, s.state]), [['everything', 'connected']]);
    const names = manager.registryTools().map((t) => t.name);
    assert.ok(names.includes('mcp__everything__echo') && names.includes('mcp__everything__get-sum'), names.join(', '));
    const { asked, call } = harness(manager);
    assert.deepEqual(await call('mcp__everything__get-sum', { a: 2, b: 40 }), { ok: true, content: 'The sum of 2 and 40 is 42.' });
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.source, 'mcp:everything');
    assert.equal(asked[0]!.risk, 'write', 'a read-only hint does not lower the risk below write');
    assert.ok(asked[0]!.canAlwaysAllow);
  });

  it('validates arguments against the server\'s schema before anything is asked or sent', async () => {
    await manager.setServers([stdioServer('everything', 'server-everything', 'stdio')]);
    const { asked, call } = harness(manager);
    const result = await call('mcp__everything__get-sum', { a: 'two', b: 40 });
    assert.equal(result.ok, false);
    assert.match(result.content, /Invalid arguments for mcp__everything__get-sum:[\s\S]*must be number[\s\S]*a/);
    assert.equal(asked.length, 0);
  });

  it('does not call the server when the user denies, and remembers "always allow"', async () => {
    await manager.setServers([stdioServer('everything', 'server-everything', 'stdio')]);
    const denied = harness(manager, () => ({ decision: 'denied', reason: 'not now' }));
    const result = await denied.call('mcp__everything__echo', { message: 'hi' });
    assert.equal(result.ok, false);
    assert.match(result.content, /denied this call: not now/);
    const always = harness(manager, () => ({ decision: 'approved', always: true }));
    assert.match((await always.call('mcp__everything__echo', { message: 'hi' })).content, /Echo: hi/);
    assert.match((await always.call('mcp__everything__echo', { message: 'again' })).content, /Echo: again/);
    assert.equal(always.asked.length, 1, 'the second call is not asked about');
  });

  it('disables a tool whose definition changed after approval until the user approves the change', async () => {
    await manager.setServers([stdioServer('everything', 'server-everything', 'stdio')]);
    // The pinned definition differs from what the server now serves: a rug pull.
    const served = manager.registryTools().find((t) => t.name === 'mcp__everything__echo')!;
    await pins.pin('everything', { name: 'echo', description: 'Echoes back the input', inputSchema: served.args.jsonSchema, annotations: undefined }, true);
    const deny = harness(manager, () => ({ decision: 'denied', reason: 'suspicious' }));
    const result = await deny.call('mcp__everything__echo', { message: 'hi' });
    assert.match(result.content, /changed its definition since the user approved it, and stays disabled/);
    assert.equal(deny.asked[0]!.canAlwaysAllow, false);
    assert.match(deny.asked[0]!.detail, /description:\n- Echoes back the input\n\+ /);
    const approve = harness(manager);
    assert.match((await approve.call('mcp__everything__echo', { message: 'hi' })).content, /Echo: hi/);
    assert.match((await approve.call('mcp__everything__echo', { message: 'hi' })).content, /Echo: hi/);
    assert.equal(approve.asked.length, 2, 'a re-approved definition is pinned but not always allowed');
  });

  it('answers roots/list with the workspace folders', async () => {
    await manager.setServers([stdioServer('everything', 'server-everything', 'stdio')]);
    const { call } = harness(manager);
    const result = await call('mcp__everything__get-roots-list', {});
    assert.ok(result.content.includes(`file://${dir}`), result.content);
  });

  it('exposes resources as read tools and prompts as goals', async () => {
    await manager.setServers([stdioServer('everything', 'server-everything', 'stdio')]);
    const { asked, call } = harness(manager);
    const listed = await call('mcp__everything__list_resources', {});
    assert.equal(listed.ok, true, listed.content);
    const uri = /^(\S+) — /m.exec(listed.content)![1]!;
    const read = await call('mcp__everything__read_resource', { uri });
    assert.equal(read.ok, true, read.content);
    assert.ok(read.content.length > 0);
    assert.equal(asked.length, 0, 'reading resources needs no approval');
    const prompts = await manager.prompts();
    assert.ok(prompts.length > 0);
    const simple = prompts.find((p) => p.arguments.length === 0)!;
    assert.ok((await manager.promptText('everything', simple.name, {})).length > 0);
  });

  it('works with server-filesystem confined to a folder', async () => {
    await mkdir(join(dir, 'files'));
    await writeFile(join(dir, 'files', 'note.txt'), 'filesystem server works');
    await manager.setServers([stdioServer('fs', 'server-filesystem', join(dir, 'files'))]);
    const { call } = harness(manager);
    const result = await call('mcp__fs__read_text_file', { path: join(dir, 'files', 'note.txt') });
    assert.deepEqual(result, { ok: true, content: 'filesystem server works' });
    const outside = await call('mcp__fs__read_text_file', { path: '/etc/hostname' });
    assert.equal(outside.ok, false);
  });

  it('works with server-memory', async () => {
    const config = { ...stdioServer('memory', 'server-memory'), env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') } };
    await manager.setServers([config]);
    const { call } = harness(manager);
    await call('mcp__memory__create_entities', { entities: [{ name: 'Keel', entityType: 'project', observations: ['an agent stack in VS Code'] }] });
    const graph = await call('mcp__memory__read_graph', {});
    assert.match(graph.content, /an agent stack in VS Code/);
  });

  it('connects over Streamable HTTP', async () => {
    const port = await freePort();
    const server = spawn(process.execPath, [join(BIN, 'server-everything', 'dist', 'index.js'), 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      await waitForOutput(server, /listening on port/);
      await manager.setServers([{ name: 'remote', source: 'test', type: 'http', url: `http://127.0.0.1:${port}/mcp`, headers: {} }]);
      assert.equal(manager.status()[0]!.state, 'connected', manager.status()[0]!.error);
      const { call } = harness(manager);
      assert.match((await call('mcp__remote__echo', { message: 'over http' })).content, /Echo: over http/);
    } finally {
      server.kill();
    }
  });

  it('reports a server that crashes at start, and the rest keep working', async () => {
    await manager.setServers([
      { name: 'broken', source: 'test', type: 'stdio', command: process.execPath, args: ['-e', 'process.exit(3)'], env: {} },
      stdioServer('everything', 'server-everything', 'stdio'),
    ]);
    const broken = manager.status().find((s) => s.name === 'broken')!;
    assert.equal(broken.state, 'failed');
    assert.match(broken.error!, /could not connect/);
    assert.ok(logs.some((l) => /"broken" could not connect.*reconnecting in/.test(l)));
    assert.equal(manager.status().find((s) => s.name === 'everything')!.state, 'connected');
  });

  it('hashes definitions canonically: key order does not matter, content does', () => {
    const a = hashDefinition({ name: 't', description: 'd', inputSchema: { type: 'object', properties: { x: { type: 'string' } } } });
    const b = hashDefinition({ name: 't', description: 'd', inputSchema: { properties: { x: { type: 'string' } }, type: 'object' } });
    const c = hashDefinition({ name: 't', description: 'd!', inputSchema: { type: 'object', properties: { x: { type: 'string' } } } });
    assert.equal(a, b);
    assert.notEqual(a, c);
  });
});

describe('MCP configuration files', () => {
  const context = { source: '.vscode/mcp.json', workspaceFolder: '/ws', env: { TOKEN: 't0k' }, inputs: { key: 's3cret' } };

  it('reads VS Code\'s servers format, with comments, variables and HTTP servers', () => {
    const parsed = parseMcpConfig(`{
      // VS Code allows comments and trailing commas
      "servers": {
        "fs": { "type": "stdio", "command": "npx", "args": ["-y", "server-filesystem", "\${workspaceFolder}"], "env": { "T": "\${env:TOKEN}" } },
        "remote": { "type": "http", "url": "https://example.com/mcp", "headers": { "Authorization": "Bearer \${input:key}" } },
      },
    }`, context);
    assert.deepEqual(parsed.servers, [
      { name: 'fs', source: '.vscode/mcp.json', type: 'stdio', command: 'npx', args: ['-y', 'server-filesystem', '/ws'], env: { T: 't0k' } },
      { name: 'remote', source: '.vscode/mcp.json', type: 'http', url: 'https://example.com/mcp', headers: { Authorization: 'Bearer s3cret' } },
    ]);
    assert.deepEqual(parsed.inputs, []);
  });

  it('reads the mcpServers format and reports missing inputs', () => {
    const parsed = parseMcpConfig('{"mcpServers": {"a": {"command": "x", "env": {"K": "${input:missing}"}}, "b": {"command": "y", "disabled": true}}}', { ...context, inputs: {} });
    assert.deepEqual(parsed.servers.map((s) => s.name), ['a']);
    assert.deepEqual(parsed.inputs, ['missing']);
  });

  it('explains invalid files and starts nothing from them', () => {
    assert.throws(() => parseMcpConfig('{ "servers": ', context), /\.vscode\/mcp\.json is not valid JSON.*no MCP servers from it were started/);
    assert.throws(() => parseMcpConfig('{ "servers": { "x": { "args": [] } } }', context), /invalid MCP configuration[\s\S]*"command".*"url"/);
    assert.throws(() => parseMcpConfig('{ "servers": { "x": { "url": "not a url" } } }', context), /invalid MCP configuration/);
    assert.throws(() => parseMcpConfig('{ "servers": { "x": { "command": "s", "network": "yes" } } }', context), /invalid MCP configuration/);
  });

  it('carries a stdio server\'s sandbox opt-out and network grant, and adds neither when they are absent', () => {
    const { servers } = parseMcpConfig('{ "servers": { "open": { "command": "a", "sandbox": false }, "online": { "command": "b", "network": true }, "plain": { "command": "c" } } }', context);
    assert.deepEqual(servers.map(({ name, ...rest }) => [name, 'sandbox' in rest ? rest.sandbox : '-', 'network' in rest ? rest.network : '-']), [['open', false, '-'], ['online', '-', true], ['plain', '-', '-']]);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function waitForOutput(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (d: Buffer) => {
      seen += d;
      if (pattern.test(seen)) resolve();
    });
    child.once('exit', () => reject(new Error(`server exited: ${seen}`)));
  });
}
