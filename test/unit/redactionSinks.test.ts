import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EpisodeStore, recall, WorkspaceIndex, type Episode } from '../../host/memory';
import { untrustedText } from '../../host/memory/recall/untrusted';
import { LEAKY_ENV, NOT_SECRETS, RAW } from '../fixtures/leakySecrets';
import { putFile, recordingTrace, tempDir } from './helpers';

/** Every file under `dir`, recursively, as text. */
async function allText(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const texts = await Promise.all(entries.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name), 'utf8')));
  return texts.join('\n');
}

function assertNoSecret(text: string, where: string): void {
  for (const [name, value] of Object.entries(RAW)) assert.ok(!text.includes(value), `${name} is raw in ${where}`);
}

function episode(goal: string, summary: string): Episode {
  return { runId: 'r1', goal, outcome: 'succeeded', summary, filesTouched: ['.env'], toolsUsed: ['read_file'], tokens: { input: 1, output: 1 }, finishedAt: '2026-12-01T10:00:00.000Z' };
}

describe('secrets never reach a sink', function () {
  this.timeout(30_000);
  let root: string;
  let store: string;
  let index: WorkspaceIndex;

  before(async () => {
    root = await tempDir('keel-sinks-');
    store = await tempDir('keel-sinks-store-');
    await putFile(root, '.env', LEAKY_ENV);
    await putFile(root, 'config/database.yml', `production:\n  adapter: postgresql\n  password: ${RAW.dbPassword}\n  url: ${`postgres://app:${RAW.urlPassword}@db:5432/app`}\n`);
    await putFile(root, 'src/settings.ts', `${NOT_SECRETS.slice(0, 3).join('\n')}\nexport const session = { jwt: '${RAW.jwt}' };\n`);
    index = await WorkspaceIndex.open(root, join(store, 'index'));
    const result = await index.update();
    assert.equal(result.indexed, 3);
  });
  after(() => index.close());

  it('indexes no raw secret: not in the chunks, not in the record log on disk', async () => {
    assertNoSecret(await allText(join(store, 'index')), 'the index storage');
    const [hit] = await index.search('DB_PASSWORD AWS_SECRET_ACCESS_KEY');
    assert.equal(hit!.path, '.env');
    assert.match(hit!.text, /DB_PASSWORD=\[REDACTED secret assignment\]/);
    assert.equal(hit!.startLine, 1);
    const settings = await index.search('apiKey process env OPENAI_API_KEY');
    assert.ok(settings.some((h) => h.text.includes('const apiKey = process.env.OPENAI_API_KEY;')), 'a reference to a key is not a key');
  });

  it('recalls no raw secret into the prompt or onto the retrieval spans, even from a goal that holds one', async () => {
    const { root: span, spans } = recordingTrace();
    const goal = `Rotate the database password DB_PASSWORD=${RAW.dbPassword} and the AWS secret access key`;
    const { sections, hits } = await recall({ goal, span }, { index: async () => index });
    assert.ok(hits.length > 0, 'the .env and config were found');
    assertNoSecret(JSON.stringify(sections), 'the recalled prompt sections');
    assertNoSecret(JSON.stringify([...spans.values()]), 'the retrieval spans');
  });

  it('stores episodes without the secrets in their goal and answer, and cleans a file written before', async () => {
    const dir = await tempDir('keel-sinks-episodes-');
    const episodes = await EpisodeStore.open(dir);
    await episodes.record(episode(`Use AWS_SECRET_ACCESS_KEY=${RAW.awsSecret} to deploy`, `Deployed with the token ${RAW.jwt}.`));
    await episodes.close();
    const file = join(dir, 'episodes.jsonl');
    assertNoSecret(await readFile(file, 'utf8'), 'episodes.jsonl');
    assert.match(await readFile(file, 'utf8'), /Deployed with the token \[REDACTED jwt\]\./);

    // An older Keel stored goals raw: opening the store rewrites the file.
    await writeFile(file, `${JSON.stringify(episode(`connect with DB_PASSWORD=${RAW.dbPassword}`, 'Connected.'))}\n`);
    const reopened = await EpisodeStore.open(dir);
    assert.equal(reopened.size, 1);
    assert.match((await reopened.search('connect'))[0]!.goal, /DB_PASSWORD=\[REDACTED secret assignment\]/);
    await reopened.close();
    assertNoSecret(await readFile(file, 'utf8'), 'the rewritten episodes.jsonl');
  });

  it('fences retrieved text with secrets redacted', () => {
    assertNoSecret(untrustedText(LEAKY_ENV), 'fenced text');
  });
});
