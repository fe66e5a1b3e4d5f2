import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApprovalBroker } from '../../host/governance/approvals';
import { Bubblewrap } from '../../host/governance/bubblewrap';
import { OsSandbox } from '../../host/governance/osSandbox';
import { ToolRegistry, type ToolContext } from '../../host/tools';
import { McpManager, PinStore, type McpServerConfig } from '../../host/tools/mcp';
import { SetMcpServersRequest, type McpServerInfo, type ReviewToolCallParams } from '../../protocol/rpc';
import { consent, recordingTrace, tempDir } from '../unit/helpers';
import { startHost, type HostProcess } from './hostProcess';

const REPO = join(__dirname, '..', '..');
const PROBE = join(__dirname, '..', 'fixtures', 'probeMcpServer.mjs');
const EVERYTHING = join(__dirname, '..', '..', 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const SECRET = 'sk-host-only-secret-0123456789abcdef';
const sampling = { router: {}, defaultModel: { provider: 'ollama', baseUrl: 'http://127.0.0.1:9', model: 'none' }, apiKeys: {} } as const;

interface Attempt { ok: boolean; value: unknown }
interface ProbeReport {
  home: Attempt;
  parentEnvironment: Attempt;
  secretInParent: boolean;
  secretInAnyProcess: boolean;
  secretInOwnEnvironment: boolean;
  network: Attempt;
  outside: Attempt;
}

function requireBubblewrap(this: Mocha.Context): void {
  if (!new Bubblewrap().available()) {
    // .ci/run installs bubblewrap, so CI always runs these.
    if (process.env.CI) throw new Error('bubblewrap does not work on this CI machine; .ci/run installs it.');
    this.skip();
  }
}

describe('stdio MCP servers in the OS sandbox (dist/host.js)', function () {
  this.timeout(60_000);
  let host: HostProcess;
  let workspace: string;
  let home: string;
  let outside: string;
  let web: Server;
  let url: string;
  let servers: McpServerInfo[];

  const probe = (name: string, grants: Partial<Pick<McpServerConfig & { type: 'stdio' }, 'sandbox' | 'network'>> = {}) => ({
    name, source: 'test', type: 'stdio' as const, command: process.execPath,
    args: [PROBE, join(workspace, `${name}.json`), SECRET, url, join(outside, `${name}.txt`)], env: {}, ...grants,
  });
  const report = async (name: string) => JSON.parse(await readFile(join(workspace, `${name}.json`), 'utf8')) as ProbeReport;

  before(async function () {
    requireBubblewrap.call(this);
    workspace = await tempDir();
    // Outside /tmp, which the sandbox replaces with a private one anyway: these must be hidden by the rules themselves.
    home = await mkdtemp('/var/tmp/keel-home-');
    outside = await mkdtemp('/var/tmp/keel-outside-');
    await writeFile(join(home, 'planted.txt'), 'the user\'s private file');
    web = createServer((_request, response) => response.end('reached'));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(web.address() as AddressInfo).port}/`;
    // The host holds a secret in its own environment, as VS Code's would.
    host = startHost({ HOME: home, KEEL_PROBE_SECRET: SECRET });
    await host.initialize({ workspace, storageDir: await tempDir() });
    ({ servers } = await host.connection.sendRequest(SetMcpServersRequest.type, {
      servers: [probe('boxed'), probe('open', { sandbox: false }), probe('networked', { network: true })],
      sampling,
    }));
  });
  after(async () => {
    await host?.stop();
    web?.close();
    await Promise.all([home, outside].filter(Boolean).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('starts a server in the sandbox by default and says so in its status', () => {
    const boxed = servers.find((s) => s.name === 'boxed')!;
    assert.equal(boxed.state, 'connected', JSON.stringify(boxed));
    assert.match(boxed.sandbox!, /runs in the OS sandbox.*home folder hidden.*sees no other processes.*has no network/);
  });

  it('keeps the home folder, the host\'s environment, the network and the rest of the disk from a sandboxed server', async () => {
    const boxed = await report('boxed');
    assert.deepEqual(boxed.home, { ok: false, value: 'ENOENT' });
    assert.equal(boxed.secretInParent, false, JSON.stringify(boxed.parentEnvironment));
    assert.equal(boxed.secretInAnyProcess, false);
    assert.equal(boxed.secretInOwnEnvironment, false);
    assert.equal(boxed.network.ok, false, JSON.stringify(boxed.network));
    assert.deepEqual(boxed.outside, { ok: false, value: 'EROFS' });
    await assert.rejects(readFile(join(outside, 'boxed.txt')));
  });

  it('runs a server whose configuration opts out as the user, which the same probes detect', async () => {
    const open = await report('open');
    assert.deepEqual(open.home, { ok: true, value: 'the user\'s private file' });
    assert.equal(open.secretInParent, true, 'an unsandboxed server reads the host\'s environment through /proc');
    assert.equal(open.secretInOwnEnvironment, false, 'its own environment still holds only what the config names');
    assert.deepEqual(open.network, { ok: true, value: 200 });
    assert.equal(open.outside.ok, true);
    assert.match(servers.find((s) => s.name === 'open')!.sandbox!, /not sandboxed \(its configuration says "sandbox": false\)/);
    assert.equal(servers.find((s) => s.name === 'open')!.sandboxed, false);
    assert.equal(servers.find((s) => s.name === 'networked')!.sandboxed, true);
  });

  it('gives the network to a server whose configuration grants it, and nothing else', async () => {
    const networked = await report('networked');
    assert.deepEqual(networked.network, { ok: true, value: 200 });
    assert.deepEqual(networked.home, { ok: false, value: 'ENOENT' });
    assert.equal(networked.secretInParent, false);
    assert.match(servers.find((s) => s.name === 'networked')!.sandbox!, /may use the network \(its configuration grants it\)/);
  });
});

describe('stdio MCP server sandbox modes', function () {
  this.timeout(30_000);
  let dir: string;
  let manager: McpManager | undefined;
  const logs: string[] = [];
  const everything: McpServerConfig = { name: 'everything', source: 'test', type: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'], env: {} };
  /** An OS sandbox whose bubblewrap is not installed, as on a machine without it. */
  const missing = () => new OsSandbox({ platform: 'linux', bubblewrap: new Bubblewrap(join('/nonexistent', 'bwrap')) });
  const start = async (mode: 'auto' | 'required' | 'off', os?: OsSandbox, server = everything, npmCache?: string) => {
    manager = new McpManager({ roots: () => [{ uri: `file://${dir}`, name: 'workspace' }], log: (m) => logs.push(m) }, new PinStore(undefined), undefined, { mode, ...(os ? { os } : {}), ...(npmCache ? { npmCache } : {}) });
    await manager.setServers([server]);
    return manager.status()[0]!;
  };
  /** Calls the server's echo tool once, approving it, and returns what the first-use approval said. */
  const firstUse = async (): Promise<ReviewToolCallParams> => {
    const asked: ReviewToolCallParams[] = [];
    const approvals = new ApprovalBroker(consent({ reviewToolCall: async (review) => (asked.push(review), { decision: 'approved' }) }), 5000);
    const context: ToolContext = { runId: 'run', policy: { allowHosts: [] }, workspace: undefined as never, approvals, span: recordingTrace().root, signal: new AbortController().signal };
    const result = await new ToolRegistry(manager!.registryTools()).call({ id: 'c1', name: 'mcp__everything__echo', arguments: { message: 'hi' } }, context);
    assert.match(result.content, /Echo: hi/);
    return asked[0]!;
  };

  beforeEach(async () => {
    dir = await tempDir();
    logs.length = 0;
  });
  afterEach(async () => {
    await manager?.stopAll();
    manager = undefined;
  });

  it('auto without bubblewrap: runs the server as the user and says so in its status and first-use approval', async () => {
    const status = await start('auto', missing());
    assert.equal(status.state, 'connected');
    assert.match(status.sandbox!, /not sandboxed: there is no OS sandbox here \(bubblewrap/);
    assert.equal(status.sandboxed, false);
    assert.match((await firstUse()).detail, /The server: It is not sandboxed: there is no OS sandbox here/);
  });

  it('required without bubblewrap: refuses to start the server, says what to do, and does not retry', async () => {
    const status = await start('required', missing());
    assert.equal(status.state, 'failed');
    assert.match(status.error!, /must run sandboxed \("keel\.commands\.sandbox": "required"\), and there is no OS sandbox here\. Install one/);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.equal(manager!.status()[0]!.state, 'failed');
    assert.equal(status.sandboxed, undefined, 'a server that never started is neither');
    assert.ok(!logs.some((line) => /reconnecting/.test(line)), logs.join('\n'));
  });

  it('off: runs the server as the user, saying the setting is off', async () => {
    const status = await start('off');
    assert.equal(status.state, 'connected');
    assert.match(status.sandbox!, /not sandboxed \("keel\.commands\.sandbox" is "off"\)/);
  });

  it('with bubblewrap: npx runs an installed server in the sandbox without the network, on an npm cache of Keel\'s own', async function () {
    requireBubblewrap.call(this);
    const npmCache = join(dir, 'npm-cache');
    const npx: McpServerConfig = { name: 'everything', source: 'test', type: 'stdio', command: 'npx', args: ['mcp-server-everything', 'stdio'], env: {}, cwd: REPO };
    const status = await start('auto', undefined, npx, npmCache);
    assert.equal(status.state, 'connected', JSON.stringify(status));
    assert.match(status.sandbox!, /write only in the workspace, Keel's npm cache for servers and a private temp folder.*has no network/);
    assert.match((await firstUse()).detail, /The server: It runs in the OS sandbox/);
  });

  it('with bubblewrap: npx without the network says what to do when the package must be downloaded', async function () {
    requireBubblewrap.call(this);
    const npx: McpServerConfig = { name: 'fetched', source: 'test', type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything', 'stdio'], env: { npm_config_fetch_retries: '0' } };
    const status = await start('auto', undefined, npx, join(dir, 'npm-cache'));
    assert.equal(status.state, 'failed');
    assert.match(status.error!, /needs the network: add "network": true to the server's configuration, or install the package and start it with node/);
  });

  it('starts a server beside workspace folders that are not local paths (a remote folder, a UNC-style file URI)', async () => {
    manager = new McpManager({ roots: () => [{ uri: 'file://fileserver/share', name: 'unc' }, { uri: 'vscode-remote://ssh/x', name: 'remote' }, { uri: `file://${dir}`, name: 'workspace' }], log: (m) => logs.push(m) }, new PinStore(undefined));
    await manager.setServers([everything]);
    assert.equal(manager.status()[0]!.state, 'connected', JSON.stringify(manager.status()));
  });

  it('with bubblewrap: the first-use approval says the server is sandboxed, and a new mode restarts it under that mode', async function () {
    requireBubblewrap.call(this);
    const status = await start('auto');
    assert.match(status.sandbox!, /runs in the OS sandbox/);
    assert.match((await firstUse()).detail, /The server: It runs in the OS sandbox/);
    await manager!.setServers([everything], 'off');
    assert.match(manager!.status()[0]!.sandbox!, /"keel\.commands\.sandbox" is "off"/);
  });
});
