import { lookup } from 'node:dns/promises';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowListedFetch, workspaceCapabilities, type FetchInit, type SandboxCapabilities } from '../../host/sandbox';
import { isPublicAddress } from '../../host/sandbox/addressPolicy';
import { localServer, type LocalServer } from './localServer';

/** What hostile cases can be granted: a real workspace with secrets around it, and fetch to local servers. */
export interface CorpusFixture {
  /** readFile and listFiles over a temporary workspace with ignored files and symlinks leading out. */
  readonly workspace: SandboxCapabilities;
  /** fetch allowed to 127.0.0.1:allowed.port (and the machine's own name on that port, which must still be refused). */
  readonly fetch: SandboxCapabilities;
  readonly allowed: LocalServer;
  readonly unlisted: LocalServer;
  /** A name that resolves to a loopback or private address on this machine, if it has one. */
  readonly loopbackName: string | undefined;
  /** The last `init` a recording fetch received, to inspect what crossed from the guest. */
  lastInit: FetchInit | undefined;
  readonly recordingFetch: SandboxCapabilities;
  dispose(): Promise<void>;
}

export async function createFixture(): Promise<CorpusFixture> {
  const base = await mkdtemp(join(tmpdir(), 'keel-corpus-'));
  const root = join(base, 'workspace');
  const outside = join(base, 'outside');
  const files: Record<string, string> = {
    'outside/secret.txt': 'outside secret',
    'workspace/.gitignore': '.env\n',
    'workspace/.keelignore': 'private/\n',
    'workspace/.env': 'TOKEN=hunter2',
    'workspace/private/notes.md': 'private notes',
    'workspace/src/app.ts': 'export const app = 1;',
    'workspace/.git/config': '[remote] url = https://token@example.com',
    'workspace/node_modules/dep/index.js': 'module.exports = 1;',
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(base, path, '..'), { recursive: true });
    await writeFile(join(base, path), text);
  }
  await symlink(join(outside, 'secret.txt'), join(root, 'secret-link.txt'));
  await symlink(outside, join(root, 'outside-dir'));
  await symlink(join(root, '.env'), join(root, 'env-link.txt'));

  const unlisted = await localServer((_request, response) => response.end('unlisted'));
  const allowed = await localServer((request, response) => {
    if (request.url === '/hello') response.end('hello from the allowed host');
    else if (request.url === '/to-unlisted') response.writeHead(302, { location: `http://127.0.0.1:${unlisted.port}/` }).end();
    else if (request.url === '/to-metadata') response.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    else if (request.url === '/to-localhost') response.writeHead(302, { location: `http://localhost:${allowed.port}/hello` }).end();
    else response.writeHead(404).end();
  });
  const own = hostname();
  const ownAddress = await lookup(own).catch(() => undefined);
  const loopbackName = ownAddress && !isPublicAddress(ownAddress.address) ? own : undefined;

  const fixture: CorpusFixture = {
    workspace: workspaceCapabilities(root),
    fetch: { fetch: allowListedFetch({ allowHosts: [`127.0.0.1:${allowed.port}`, ...(loopbackName ? [`${loopbackName}:${allowed.port}`] : [])], timeoutMs: 2000 }) },
    allowed,
    unlisted,
    loopbackName,
    lastInit: undefined,
    recordingFetch: {
      fetch: async (_url, init) => {
        fixture.lastInit = init;
        return { status: 200, headers: {}, body: 'recorded' };
      },
    },
    dispose: async () => {
      await allowed.close();
      await unlisted.close();
      await rm(base, { recursive: true, force: true });
    },
  };
  return fixture;
}
