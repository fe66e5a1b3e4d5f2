import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdir, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ApprovalBroker } from '../../host/governance/approvals';
import { redacted } from '../../host/observability/redaction';
import { ToolRegistry } from '../../host/tools';
import { FileCredentialStore, McpManager, MemoryCredentialStore, PinStore, type AuthorizationOpener, type McpCredentialStore } from '../../host/tools/mcp';
import { parseCredentials } from '../../host/tools/mcp/auth/credentialStore';
import { LoopbackRedirect } from '../../host/tools/mcp/auth/loopbackRedirect';
import { startOAuthMcpServer, type OAuthMcpServer, type OAuthMcpServerOptions } from '../fixtures/oauthMcpServer';
import { consent, recordingTrace, tempDir } from '../unit/helpers';

/** A browser whose user approves at once: it follows the authorization server's redirect to Keel's listener. */
const approvingBrowser = (opened: string[]): AuthorizationOpener => async (_server, url) => {
  opened.push(url.href);
  const approval = await fetch(url, { redirect: 'manual' });
  await fetch(approval.headers.get('location')!);
};

describe('MCP OAuth sign-in against a local authorization server', function () {
  this.timeout(20_000);
  let server: OAuthMcpServer;
  let store: McpCredentialStore;
  let opened: string[];
  let logs: string[];
  const managers: McpManager[] = [];

  const start = async (options: OAuthMcpServerOptions = {}) => {
    server = await startOAuthMcpServer(options);
  };
  /** A manager as the host builds it; `signInOnConnect` is the CLI at a terminal, off is VS Code. */
  const manager = async (signInOnConnect = false) => {
    const m = new McpManager({ roots: () => [], log: (message) => logs.push(message), auth: { store, open: approvingBrowser(opened), signInOnConnect } }, new PinStore(undefined));
    managers.push(m);
    await m.setServers([{ name: 'remote', source: 'test', type: 'http', url: server.mcpUrl, headers: {} }]);
    return m;
  };
  const whoami = (m: McpManager) => {
    const approvals = new ApprovalBroker(consent({ reviewToolCall: async () => ({ decision: 'approved' }) }), 5000);
    return new ToolRegistry(m.registryTools()).call({ id: 'c1', name: 'mcp__remote__whoami', arguments: {} },
      { runId: 'run', policy: { allowHosts: [] }, workspace: undefined as never, approvals, span: recordingTrace().root, signal: new AbortController().signal });
  };

  beforeEach(() => {
    store = new MemoryCredentialStore();
    opened = [];
    logs = [];
  });
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.stopAll()));
    await server.close();
  });

  it('waits for sign-in instead of failing, signs in through the browser, and keeps the sign-in across a restart', async () => {
    await start();
    const first = await manager();
    assert.deepEqual(first.status().map((s) => [s.state, s.error]), [['needs-sign-in', 'MCP server "remote" needs you to sign in.']]);
    assert.equal(opened.length, 0, 'a background connect opens no browser');
    assert.equal(await store.load('remote'), undefined, 'nothing is registered or stored before the user signs in');

    const status = await first.signIn('remote');
    assert.equal(status.state, 'connected');
    assert.equal(opened.length, 1);
    const page = new URL(opened[0]!);
    assert.equal(page.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(page.searchParams.get('resource'), server.mcpUrl, 'the token is asked for this server (RFC 8707)');
    assert.match(page.searchParams.get('redirect_uri')!, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    assert.match((await whoami(first)).content, /^signed in as client-/);

    const stored = parseCredentials(await store.load('remote'), server.mcpUrl);
    assert.equal(stored?.tokens?.access_token, server.issued[0]);
    assert.equal(redacted(`token ${server.issued[0]}`).includes(server.issued[0]!), false, 'the token is a known secret from then on');
    await first.stopAll();

    const restarted = await manager();
    assert.equal(restarted.status()[0]!.state, 'connected', 'a new host signs in with the stored token');
    assert.equal(opened.length, 1, 'without opening the browser again');
    assert.match((await whoami(restarted)).content, /^signed in as client-/);

    await restarted.signOut('remote');
    assert.equal(await store.load('remote'), undefined, 'signing out deletes the stored credentials');
    assert.equal(restarted.status()[0]!.state, 'needs-sign-in');
    assert.deepEqual(restarted.registryTools(), []);
  });

  it('refreshes an expired token without the browser, and keeps the new one', async () => {
    await start();
    const m = await manager(true);
    server.expireAccessTokens();
    assert.match((await whoami(m)).content, /^signed in as client-/);
    assert.equal(opened.length, 1, 'only the first sign-in opened the browser');
    assert.equal(server.issued.length, 2);
    assert.equal(parseCredentials(await store.load('remote'), server.mcpUrl)?.tokens?.access_token, server.issued[1]);
  });

  it('ends a sign-in waiting for the browser when the server is stopped, freeing its port', async () => {
    await start();
    let pageOpened: () => void = () => undefined;
    const shown = new Promise<void>((resolve) => (pageOpened = resolve));
    const m = new McpManager({ roots: () => [], log: (message) => logs.push(message), auth: { store, open: async (_server, url) => {
      opened.push(url.href);
      pageOpened();
    }, signInOnConnect: false } }, new PinStore(undefined));
    managers.push(m);
    await m.setServers([{ name: 'remote', source: 'test', type: 'http', url: server.mcpUrl, headers: {} }]);
    const signIn = m.signIn('remote');
    await shown;
    await m.stopAll();
    await assert.rejects(signIn, /No MCP server named "remote"/, 'the stopped server is gone');
    assert.ok(logs.some((l) => /needs you to sign in \(the sign-in was abandoned: the server was stopped\)/.test(l)), logs.join('\n'));
    assert.equal(await store.load('remote'), undefined);
    const redirect = new URL(new URL(opened[0]!).searchParams.get('redirect_uri')!);
    await assert.rejects(fetch(redirect), 'nothing listens on the redirect port any more');
  });

  it('says so when another program holds the registered redirect port, and the server keeps waiting for sign-in', async () => {
    await start();
    const squatter = createServer().listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    const port = (squatter.address() as AddressInfo).port;
    await store.save('remote', JSON.stringify({ serverUrl: server.mcpUrl, client: { client_id: 'registered-before', redirect_uris: [`http://127.0.0.1:${port}/callback`] } }));
    try {
      const status = await (await manager()).signIn('remote');
      assert.equal(status.state, 'needs-sign-in');
      assert.match(status.error!, new RegExp(`port ${port} of the sign-in redirect .* is taken by another program`));
      assert.equal(opened.length, 0, 'the browser is not sent to a redirect nobody will take');
    } finally {
      squatter.close();
    }
  });

  it('signs in on connect where the user is at a terminal (the CLI), with no Sign In step', async () => {
    await start();
    const m = await manager(true);
    assert.equal(m.status()[0]!.state, 'connected');
    assert.equal(opened.length, 1);
  });

  it('does not send a stored token to a server whose URL changed', async () => {
    await start();
    await store.save('remote', JSON.stringify({ serverUrl: 'https://elsewhere.example/mcp', tokens: { access_token: 'for-elsewhere', token_type: 'Bearer' } }));
    const m = await manager();
    assert.equal(m.status()[0]!.state, 'needs-sign-in');
    assert.equal(server.issued.length, 0);
  });

  it('refuses metadata for another resource, naming it, and stores nothing', async () => {
    await start({ prmResource: 'https://evil.example/mcp' });
    const m = await manager(true);
    const [status] = m.status();
    assert.equal(status!.state, 'failed');
    assert.match(status!.error!, /another resource \(https:\/\/evil\.example\/mcp, not http:\/\/127\.0\.0\.1:\d+\/mcp\)/);
    assert.equal(server.authorizations(), 0);
    assert.equal(opened.length, 0);
    assert.equal(await store.load('remote'), undefined);
  });

  it('refuses malformed authorization-server metadata, naming the field, and stores nothing', async () => {
    await start({ malformedMetadata: true });
    const [status] = (await manager(true)).status();
    assert.equal(status!.state, 'failed');
    assert.match(status!.error!, /malformed OAuth metadata \(authorization_endpoint: /);
    assert.equal(await store.load('remote'), undefined);
  });

  it('refuses a flood of metadata without reading it all, and the host keeps going', async () => {
    await start({ metadataBytes: 50 * 1024 * 1024 });
    const [status] = (await manager(true)).status();
    assert.equal(server.floodsReadWhole(), 0, 'the client stopped reading past 1 MiB');
    assert.equal(status!.state, 'failed');
    // The SDK tries the next discovery address after the refused one, and finds no usable metadata there either.
    assert.match(status!.error!, /sent more than 1 MiB for one OAuth answer|malformed OAuth metadata/);
    assert.equal(await store.load('remote'), undefined);
    assert.equal(opened.length, 0);
  });

  it('refuses to send the browser to a plain-HTTP authorization page that is not loopback, and stores nothing', async () => {
    await start({ authorizationEndpoint: 'http://auth.example.test/authorize' });
    const [status] = (await manager(true)).status();
    assert.equal(status!.state, 'failed');
    assert.match(status!.error!, /sends the browser to http:\/\/auth\.example\.test, which is not HTTPS/);
    assert.equal(opened.length, 0);
    assert.equal(await store.load('remote'), undefined, 'the registration made before the refusal is not kept');
  });

  it('does not retry a refused server in a loop', async () => {
    await start({ prmResource: 'https://evil.example/mcp' });
    await manager(true);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(logs.filter((l) => /another resource/.test(l)).length, 1, logs.join('\n'));
  });
});

describe('OAuth loopback redirect', () => {
  it('takes only the sign-in it started: a wrong state is turned away and the wait goes on', async () => {
    const redirect = await LoopbackRedirect.open(0, 'expected-state');
    const url = new URL(redirect.url);
    url.search = new URLSearchParams({ code: 'stolen', state: 'forged' }).toString();
    assert.equal((await fetch(url)).status, 400);
    url.search = new URLSearchParams({ code: 'x'.repeat(100_000), state: 'expected-state' }).toString();
    const huge = await fetch(url).then((r) => r.status, () => 'refused');
    assert.notEqual(huge, 200, 'a request line past Node\'s header limit is not a sign-in');
    url.search = new URLSearchParams({ code: 'the-code', state: 'expected-state' }).toString();
    assert.equal((await fetch(url)).status, 200);
    assert.equal(await redirect.code, 'the-code');
  });

  it('reports the authorization server\'s error, cut short and escaped on the page', async () => {
    const redirect = await LoopbackRedirect.open(0, 's');
    const url = new URL(redirect.url);
    url.search = new URLSearchParams({ error: 'access_denied', error_description: `<script>alert(1)</script>${'y'.repeat(1000)}`, state: 's' }).toString();
    const page = await (await fetch(url)).text();
    assert.ok(!page.includes('<script>'));
    await assert.rejects(redirect.code, (error: Error) => /access_denied: <script>/.test(error.message) && error.message.length < 400);
  });
});

describe('CLI credential store', () => {
  it('keeps credentials in files only the user can read, named by a hash, and deletes them', async () => {
    const dir = join(await tempDir(), 'mcp-credentials');
    const store = new FileCredentialStore(dir);
    await store.save('../../etc/passwd', '{"serverUrl":"x"}');
    assert.equal(await store.load('../../etc/passwd'), '{"serverUrl":"x"}');
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const [file] = await readdir(dir);
    assert.match(file!, /^[0-9a-f]{32}\.json$/);
    assert.equal((await stat(join(dir, file!))).mode & 0o777, 0o600);
    await store.save('../../etc/passwd', undefined);
    assert.equal(await store.load('../../etc/passwd'), undefined);
  });

  it('reads garbage or another server\'s credentials as nothing stored', () => {
    assert.equal(parseCredentials('{not json', 'https://a.example/mcp'), undefined);
    assert.equal(parseCredentials(JSON.stringify({ serverUrl: 'https://a.example/mcp', tokens: { access_token: 5 } }), 'https://a.example/mcp'), undefined);
    assert.equal(parseCredentials(JSON.stringify({ serverUrl: 'https://b.example/mcp' }), 'https://a.example/mcp'), undefined);
  });
});
