import assert from 'node:assert/strict';
import { ErrorCodes, type ResponseError } from 'vscode-jsonrpc';
import {
  McpCredentialsRequest, McpOpenAuthorizationRequest, McpSaveCredentialsRequest, McpServersChangedNotification, McpSignInRequest, McpSignOutRequest,
  PingRequest, SetMcpServersRequest, type McpServerInfo,
} from '../../protocol/rpc';
import { startOAuthMcpServer, type OAuthMcpServer } from '../fixtures/oauthMcpServer';
import { tempDir } from '../unit/helpers';
import { startHost, type HostProcess } from './hostProcess';

const sampling = { router: {}, defaultModel: { provider: 'ollama', baseUrl: 'http://127.0.0.1:9', model: 'none' }, apiKeys: {} } as const;

describe('MCP sign-in over JSON-RPC (dist/host.js)', function () {
  this.timeout(30_000);
  let host: HostProcess;
  let auth: OAuthMcpServer;
  /** The extension's SecretStorage, as the host sees it. */
  const secrets = new Map<string, string>();
  const changes: McpServerInfo[][] = [];
  let pingsDuringSignIn: number[] = [];

  before(async () => {
    auth = await startOAuthMcpServer();
    host = startHost();
    const { connection } = host;
    connection.onRequest(McpCredentialsRequest.type, ({ server }) => (secrets.has(server) ? { credentials: secrets.get(server)! } : {}));
    connection.onRequest(McpSaveCredentialsRequest.type, ({ server, credentials }) => {
      if (credentials === undefined) secrets.delete(server);
      else secrets.set(server, credentials);
    });
    connection.onRequest(McpOpenAuthorizationRequest.type, async ({ url, reason }) => {
      assert.equal(reason, 'sign-in');
      // The user takes a moment in the browser; the host keeps answering meanwhile.
      for (let i = 0; i < 5; i++) {
        const sentAt = performance.now();
        await connection.sendRequest(PingRequest.type, { sentAt: Date.now() });
        pingsDuringSignIn.push(performance.now() - sentAt);
      }
      const approval = await fetch(url, { redirect: 'manual' });
      await fetch(approval.headers.get('location')!);
      return { opened: true };
    });
    connection.onNotification(McpServersChangedNotification.type, ({ servers }) => {
      changes.push(servers);
    });
    await host.initialize({ workspace: await tempDir(), storageDir: await tempDir() });
  });
  after(async () => {
    await host.stop();
    await auth.close();
  });

  it('reports a server waiting for sign-in, signs in through the extension\'s browser and SecretStorage, and signs out', async () => {
    const { servers } = await host.connection.sendRequest(SetMcpServersRequest.type, { servers: [{ name: 'remote', source: 'test', type: 'http', url: auth.mcpUrl, headers: {} }], sampling });
    assert.deepEqual(servers.map((s) => s.state), ['needs-sign-in']);
    assert.equal(secrets.size, 0);

    pingsDuringSignIn = [];
    const status = await host.connection.sendRequest(McpSignInRequest.type, { server: 'remote' });
    assert.equal(status.state, 'connected', JSON.stringify(status));
    assert.ok(status.tools >= 1);
    assert.equal(pingsDuringSignIn.length, 5);
    assert.ok(Math.max(...pingsDuringSignIn) < 1000, `pings took ${pingsDuringSignIn.join(', ')} ms`);
    assert.equal(JSON.parse(secrets.get('remote')!).tokens.access_token, auth.issued[0], 'the token went to SecretStorage');
    assert.ok(changes.some((list) => list.some((s) => s.name === 'remote' && s.state === 'connected')), 'the extension was told');

    assert.deepEqual(await host.connection.sendRequest(McpSignOutRequest.type, { server: 'remote' }), { signedOut: true });
    assert.equal(secrets.has('remote'), false);
    assert.equal(changes.at(-1)!.find((s) => s.name === 'remote')!.state, 'needs-sign-in');
  });

  it('refuses bad sign-in requests naming the field, and one for a server it does not run', async () => {
    await assert.rejects(host.connection.sendRequest(McpSignInRequest.type, { server: 'x'.repeat(10_000) }), (error: ResponseError<unknown>) => error.code === ErrorCodes.InvalidParams && /server/.test(error.message));
    await assert.rejects(host.connection.sendRequest(McpSignOutRequest.type, { server: 42 } as never), (error: ResponseError<unknown>) => error.code === ErrorCodes.InvalidParams);
    await assert.rejects(host.connection.sendRequest(McpSignInRequest.type, { server: 'nobody' }), /No MCP server named "nobody" is configured/);
    await host.connection.sendRequest(PingRequest.type, { sentAt: Date.now() });
  });
});
