import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCliArgs } from '../../host/cli/args';
import { cliMcpAuth } from '../../host/cli/mcpServers';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { startOAuthMcpServer, type OAuthMcpServer } from '../fixtures/oauthMcpServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { tempDir } from '../unit/helpers';
import { CLI, runCli } from './cliProcess';

const SECRET = 'cc-secret-4f1d9a7e2b8c6d3e0a5f';

describe('keel CLI with an OAuth-protected MCP server (dist/cli.js)', function () {
  this.timeout(30_000);
  let model: ModelServer;
  let auth: OAuthMcpServer;
  let workspace: string;
  let home: string;
  let config: string;

  before(async () => {
    model = await startModelServer(scriptedAgent);
    auth = await startOAuthMcpServer({ clientCredentials: { clientId: 'keel-ci', clientSecret: SECRET } });
  });
  after(() => Promise.all([model.close(), auth.close()]));
  beforeEach(async () => {
    workspace = await tempDir();
    home = await tempDir();
    config = join(workspace, 'mcp.json');
    await writeFile(config, JSON.stringify({ servers: { remote: { url: auth.mcpUrl } } }));
  });
  const run = (env: NodeJS.ProcessEnv, ...flags: string[]) =>
    runCli(['run', 'call tool mcp__remote__whoami with {}', '--workspace', workspace, '--base-url', model.url, '--yes', '--mcp', config, ...flags], { HOME: home, ...env });

  it('signs in with client credentials from the environment and calls the protected tool, printing no secret', async () => {
    const { code, stdout, stderr } = await run({ KEEL_MCP_CLIENT_ID: 'keel-ci', KEEL_MCP_CLIENT_SECRET: SECRET, KEEL_MCP_ISSUER: auth.url });
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /expectedIssuer/, 'the credentials are bound to the issuer given');
    assert.match(stdout, /mcp__remote__whoami said: signed in as keel-ci/);
    assert.ok(!`${stdout}${stderr}`.includes(SECRET));
    assert.ok(!`${stdout}${stderr}`.includes(auth.issued.at(-1)!), 'nor the token it got');
  });

  it('without a terminal or credentials, says what to set and runs without the server', async () => {
    const { stderr, stdout } = await run({}, '--mcp-credentials', 'memory');
    assert.match(stderr, /MCP server "remote" needs a sign-in, but there is no terminal .* Set KEEL_MCP_CLIENT_ID and KEEL_MCP_CLIENT_SECRET/);
    assert.match(stdout, /unknown tool|not available|mcp__remote__whoami/);
    assert.equal(auth.authorizations(), 0);
    await assert.rejects(readdir(join(home, '.cache', 'keel', 'mcp-credentials')), 'nothing is stored');
  });

  it('at a terminal prints the sign-in address, waits for the browser, and keeps the tokens for the next run in a 0600 file', async function () {
    // `script` gives the CLI a terminal, as a user's shell would.
    if (!existsSync('/usr/bin/script')) this.skip();
    const command = ['node', CLI, 'run', "'call tool mcp__remote__whoami with {}'", '--workspace', workspace, '--base-url', model.url, '--yes', '--mcp', config].join(' ');
    const child = spawn('/usr/bin/script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH, HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const address = new Promise<string>((resolve) => child.stdout.on('data', (d: Buffer) => {
      output += d;
      const url = /(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/.exec(output.replace(/\r/g, ''))?.[1];
      if (url) resolve(url);
    }));
    const before = auth.authorizations();
    const url = await address;
    assert.match(output, /MCP server "remote" needs you to sign in\. Open this address in a browser on this machine/);
    const approval = await fetch(url, { redirect: 'manual' });
    await fetch(approval.headers.get('location')!);
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, output);
    assert.match(output, /mcp__remote__whoami said: signed in as client-/);
    assert.equal(auth.authorizations(), before + 1);
    const dir = join(home, '.cache', 'keel', 'mcp-credentials');
    const [file] = await readdir(dir);
    assert.equal((await stat(join(dir, file!))).mode & 0o777, 0o600);

    const again = await run({}, '--mcp-credentials', 'disk');
    assert.match(again.stdout, /mcp__remote__whoami said: signed in as client-/, 'the next run, without a terminal, uses the kept tokens');
    assert.equal(auth.authorizations(), before + 1);
  });

  it('refuses a wrong client secret with the authorization server\'s answer, and a secret without a client ID', async () => {
    const wrong = await run({ KEEL_MCP_CLIENT_ID: 'keel-ci', KEEL_MCP_CLIENT_SECRET: 'not-it', KEEL_MCP_ISSUER: auth.url });
    assert.match(wrong.stderr, /MCP server "remote": its authorization server refused the sign-in \(invalid_client/);
    assert.equal(wrong.stderr.match(/refused the sign-in/g)?.length, 2, 'logged, and reported once, not retried in a loop');
    const noId = await run({ KEEL_MCP_CLIENT_SECRET: SECRET });
    assert.equal(noId.code, 2);
    assert.match(noId.stderr, /needs its client ID: pass --mcp-client-id or set KEEL_MCP_CLIENT_ID/);
  });
});

describe('CLI sign-in prompt', () => {
  const options = { configFile: 'mcp.json', credentials: 'memory' as const };

  it('prints the sign-in address at a terminal, and signs in on connect', async () => {
    const printed: string[] = [];
    const auth = cliMcpAuth(options, (text) => printed.push(text), true);
    assert.equal(auth.signInOnConnect, true);
    await auth.open('remote', new URL('https://auth.example/authorize?client_id=k&state=s'), 'sign-in');
    assert.match(printed.join(''), /MCP server "remote" needs you to sign in\. Open this address in a browser on this machine.*\n\n {2}https:\/\/auth\.example\/authorize\?client_id=k&state=s\n/s);
  });

  it('without a terminal refuses to sign in, naming what to set', async () => {
    const auth = cliMcpAuth(options, () => assert.fail('nothing to print to'), false);
    assert.equal(auth.signInOnConnect, false);
    await assert.rejects(auth.open('remote', new URL('https://auth.example/authorize'), 'step-up'), /no terminal .* Set KEEL_MCP_CLIENT_ID and KEEL_MCP_CLIENT_SECRET \(or --mcp-private-key\)/);
  });

  it('reads the MCP flags, taking the secret from the environment only', () => {
    const parsed = parseCliArgs(['run', 'x', '--mcp', 'm.json', '--mcp-client-id', 'id', '--mcp-issuer', 'https://as.example'], { KEEL_MCP_CLIENT_SECRET: 's' });
    assert.deepEqual(parsed.mcp, { configFile: 'm.json', credentials: 'disk', clientId: 'id', clientSecret: 's', issuer: 'https://as.example' });
    assert.throws(() => parseCliArgs(['run', 'x', '--mcp', 'm.json', '--mcp-credentials', 'keychain'], {}), /disk or memory/);
    assert.throws(() => parseCliArgs(['run', 'x', '--mcp-client-secret', 's'], {}), /Unknown option/);
  });
});
