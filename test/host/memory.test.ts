import assert from 'node:assert/strict';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCodes, type ResponseError } from 'vscode-jsonrpc/node';
import {
  MemoryFilesChangedNotification, MemoryIndexProgressNotification, MemoryReindexRequest, MemorySearchRequest, MemorySettingsNotification, PingRequest, SetMcpServersRequest, type MemoryHit,
  type MemoryIndexProgress,
} from '../../protocol/rpc';
import { startModelServer } from '../fixtures/modelServer';
import { until } from '../until';
import { rejection, tempDir } from '../unit/helpers';
import { startHost, type HostProcess } from './hostProcess';

const RETRY = 'export function retryWithBackoff(attempts: number) {\n  return attempts * 2;\n}\n';
const PARSE = 'export function parseSettings(text: string) {\n  return JSON.parse(text);\n}\n';
// Split so that no scanner mistakes this test for a leaked key.
const SECRET_KEY = ['sk', 'proj', 'a1b2c3d4e5f6g7h8i9j0k1l2m3n4'].join('-');

describe('workspace memory over JSON-RPC', function () {
  this.timeout(30_000);
  let host: HostProcess;
  let workspace: string;
  let progress: MemoryIndexProgress[];

  const search = (query: string, limit?: number) => host.connection.sendRequest(MemorySearchRequest.type, { query, ...(limit ? { limit } : {}) }).then((r) => r.hits);
  const paths = (hits: readonly MemoryHit[]) => hits.map((h) => h.path);

  async function start(folder: string | undefined, filesExclude?: readonly string[]): Promise<void> {
    host = startHost();
    progress = [];
    host.connection.onNotification(MemoryIndexProgressNotification.type, (p) => void progress.push(p));
    await host.initialize(folder ? { workspace: folder, filesExclude } : {});
  }

  beforeEach(async () => {
    workspace = await tempDir('keel-host-memory-');
    await writeFile(join(workspace, 'retry.ts'), RETRY);
    await writeFile(join(workspace, 'parse.ts'), PARSE);
    await writeFile(join(workspace, 'config.ts'), `export const apiKey = "${SECRET_KEY}";\n`);
  });
  afterEach(async () => {
    assert.equal(await host.stop(), 0, 'the host exits cleanly after shutdown/exit');
  });

  it('reindexes with progress, then finds a symbol with its range and a redacted snippet', async () => {
    await start(workspace);
    const result = await host.connection.sendRequest(MemoryReindexRequest.type);
    assert.deepEqual([result.indexed, result.removed, result.unchanged, result.files], [3, 0, 0, 3]);
    assert.ok(result.chunks >= 3 && result.durationMs >= 0);
    assert.equal(progress[0]?.phase, 'scanning');
    assert.deepEqual(progress.at(-1), { phase: 'done', done: 3, total: 3 });
    assert.ok(progress.some((p) => p.phase === 'indexing'), `progress: ${JSON.stringify(progress)}`);

    const [hit] = await search('retryWithBackoff');
    assert.deepEqual({ ...hit, score: 0 }, { path: 'retry.ts', startLine: 1, endLine: 3, symbol: 'retryWithBackoff', language: 'typescript', score: 0, snippet: RETRY.trim() });
    assert.ok(hit!.score > 0);

    const [secret] = await search('apiKey');
    assert.equal(secret!.path, 'config.ts');
    assert.match(secret!.snippet, /\[REDACTED/);
    assert.ok(!secret!.snippet.includes(SECRET_KEY), secret!.snippet);

    const again = await host.connection.sendRequest(MemoryReindexRequest.type);
    assert.deepEqual([again.indexed, again.unchanged], [0, 3], 'a second reindex finds nothing changed');
  });

  it('leaves out what VS Code\'s files.exclude hides', async () => {
    await mkdir(join(workspace, 'generated', 'deep'), { recursive: true });
    await writeFile(join(workspace, 'generated', 'deep', 'retryAgain.ts'), RETRY.replace('retryWithBackoff', 'retryAgainLater'));
    await writeFile(join(workspace, 'parse.test.ts'), PARSE.replace('parseSettings', 'parseLater'));
    await start(workspace, ['**/generated', '**/*.test.ts']);
    const result = await host.connection.sendRequest(MemoryReindexRequest.type);
    assert.equal(result.files, 3);
    const found = paths(await search('retryAgainLater parseLater'));
    assert.ok(found.length > 0 && found.every((path) => path === 'retry.ts' || path === 'parse.ts'), `found ${found.join(', ')}`);
  });

  it('applies a change to files.exclude to the open index, and ignores a malformed one', async () => {
    await mkdir(join(workspace, 'generated'), { recursive: true });
    await writeFile(join(workspace, 'generated', 'retryAgain.ts'), RETRY.replace('retryWithBackoff', 'retryAgainLater'));
    await start(workspace);
    assert.equal(paths(await search('retryAgainLater'))[0], 'generated/retryAgain.ts');

    await host.connection.sendNotification(MemorySettingsNotification.type, { filesExclude: 'generated' as never });
    await host.connection.sendNotification(MemorySettingsNotification.type, { filesExclude: ['**/generated'] });
    await until('the hidden folder to leave the index', async () => ((await search('retryAgainLater retryWithBackoff')).every((h) => h.path === 'retry.ts') ? true : undefined));
    assert.equal((await host.connection.sendRequest(MemoryReindexRequest.type)).files, 3);

    await host.connection.sendNotification(MemorySettingsNotification.type, { filesExclude: [] });
    await until('the folder to come back', async () => (paths(await search('retryAgainLater'))[0] === 'generated/retryAgain.ts' ? true : undefined));
  });

  it('adds vectors from the embedding model the settings name, through the model layer', async () => {
    const embeddings = await startModelServer(() => ({ kind: 'message' }));
    try {
      await start(workspace);
      // Opened before any embedding model is configured: words only, until the settings name one.
      await host.connection.sendRequest(MemoryReindexRequest.type);
      assert.equal(embeddings.requests.length, 0);
      const entry = { id: 'embed', provider: 'ollama', baseUrl: embeddings.url, model: 'nomic-embed-text', contextWindow: 8192, inputPricePerMTok: 0, outputPricePerMTok: 0, capabilities: { tools: false, vision: false, embeddings: true }, roles: ['embed'], local: true };
      await host.connection.sendRequest(SetMcpServersRequest.type, { servers: [], sampling: { router: { models: [entry] }, defaultModel: { provider: 'ollama', baseUrl: embeddings.url, model: 'm' }, apiKeys: {} } });
      await host.connection.sendRequest(MemoryReindexRequest.type);
      const embedded = embeddings.requests.flatMap((r) => r.messages.map((m: { content: string }) => m.content));
      assert.ok(embedded.some((text) => text.includes('retryWithBackoff')), `embedded: ${embedded.join(' | ')}`);
      assert.equal(paths(await search('retry backoff'))[0], 'retry.ts');
    } finally {
      await embeddings.close();
    }
  });

  it('opens the index on the first search, and honours the limit', async () => {
    await start(workspace);
    assert.deepEqual(paths(await search('retryWithBackoff parseSettings')).sort(), ['parse.ts', 'retry.ts']);
    assert.equal((await search('retryWithBackoff parseSettings', 1)).length, 1);
    assert.equal(progress.at(-1)?.phase, 'done');
  });

  it('catches up with edits, new files and deletions it is told about', async () => {
    await start(workspace);
    await host.connection.sendRequest(MemoryReindexRequest.type);
    await writeFile(join(workspace, 'retry.ts'), RETRY.replace('retryWithBackoff', 'retryWithJitter'));
    await mkdir(join(workspace, 'src'));
    await writeFile(join(workspace, 'src', 'schedule.ts'), 'export function scheduleNightlyBuild() {\n  return "0 3 * * *";\n}\n');
    await rm(join(workspace, 'parse.ts'));
    assert.deepEqual(paths(await search('jitter')), [], 'the index does not watch the disk by itself');

    await host.connection.sendNotification(MemoryFilesChangedNotification.type, { paths: ['retry.ts', 'src/schedule.ts', 'parse.ts'] });
    await until('the edit to be indexed', async () => ((await search('jitter'))[0]?.path === 'retry.ts' ? true : undefined));
    assert.equal((await search('scheduleNightlyBuild'))[0]?.symbol, 'scheduleNightlyBuild');
    assert.ok(!paths(await search('parseSettings')).includes('parse.ts'), 'the deleted file is gone');
    assert.deepEqual(paths(await search('backoff')), [], 'the old name is gone');

    // A renamed folder arrives as its old and new paths, not as the files inside.
    await rename(join(workspace, 'src'), join(workspace, 'lib'));
    await host.connection.sendNotification(MemoryFilesChangedNotification.type, { paths: ['src', 'lib'] });
    await until('the renamed folder to be indexed', async () => ((await search('scheduleNightlyBuild'))[0]?.path === 'lib/schedule.ts' ? true : undefined));
    assert.deepEqual(paths(await search('scheduleNightlyBuild')), ['lib/schedule.ts']);
  });

  it('ignores changed files while the index was never opened, and paths outside the folder', async () => {
    await start(workspace);
    await host.connection.sendNotification(MemoryFilesChangedNotification.type, { paths: ['retry.ts', '../elsewhere.ts', '/etc/passwd'] });
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(progress, [], 'nothing was opened');
    await search('retryWithBackoff');
    await host.connection.sendNotification(MemoryFilesChangedNotification.type, { paths: ['../elsewhere.ts', '/etc/passwd'] });
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(paths(await search('retryWithBackoff')), ['retry.ts'], 'the index still works');
  });

  it('answers a malformed query with what to write instead', async () => {
    await start(workspace);
    const missing = (await rejection(search('retry path:'))) as ResponseError<void>;
    assert.equal(missing.code, ErrorCodes.InvalidParams);
    assert.equal(missing.message, '"path:" needs a value, e.g. path:src/**/*.ts, with no space after the colon.');
    assert.match((await rejection(search('retry lang:cobol'))).message, /^lang:cobol is not a language Keel indexes. Use one of: /);
  });

  it('says to open a folder when none is open', async () => {
    await start(undefined);
    const error = (await rejection(search('retry'))) as ResponseError<void>;
    assert.equal(error.code, ErrorCodes.InvalidRequest);
    assert.match(error.message, /^No folder is open, .*open a folder/);
    assert.match((await rejection(host.connection.sendRequest(MemoryReindexRequest.type))).message, /^No folder is open/);
  });

  it('says what to do when the folder has nothing to index', async () => {
    await start(await tempDir('keel-host-memory-empty-'));
    const error = (await rejection(search('retry'))) as ResponseError<void>;
    assert.equal(error.code, ErrorCodes.InvalidRequest);
    assert.match(error.message, /^Nothing to search: .* has no text files .* run "Keel: Reindex Workspace"\.$/);
  });

  it('keeps answering requests while it indexes', async () => {
    const body = (i: number) => Array.from({ length: 40 }, (_, j) => `export function handler${i}x${j}(input: number) {\n  return input * ${j} + ${i};\n}\n`).join('\n');
    await Promise.all(Array.from({ length: 300 }, (_, i) => writeFile(join(workspace, `handler${i}.ts`), body(i))));
    await start(workspace);
    let reindexed = false;
    const reindex = host.connection.sendRequest(MemoryReindexRequest.type).then((r) => ((reindexed = true), r));
    await until('indexing to start', async () => (progress.some((p) => p.phase === 'indexing') ? true : undefined));
    await host.connection.sendRequest(PingRequest.type, { sentAt: 0 });
    assert.ok(!reindexed, 'the ping was answered while the index was still being built');
    assert.equal((await reindex).indexed, 303);
  });
});
