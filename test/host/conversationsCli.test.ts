import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { tempDir } from '../unit/helpers';
import { runCli } from './cliProcess';

describe('keel CLI: runs, continue and undo (dist/cli.js)', function () {
  this.timeout(60_000);
  let server: ModelServer;

  before(async () => {
    server = await startModelServer(scriptedAgent);
  });
  after(() => server.close());

  it('lists an ended run, continues it with a follow-up, and undoes its edit only with --yes when there is no terminal', async () => {
    const home = await tempDir();
    const workspace = await tempDir();
    await writeFile(join(workspace, 'greeting.txt'), 'hello world\n');
    const env = { HOME: home };
    const ran = await runCli(['run', 'replace "world" with "keel" in greeting.txt', '--workspace', workspace, '--base-url', server.url, '--yes'], env);
    assert.equal(ran.code, 0, ran.stderr);
    const listed = await runCli(['runs', '--workspace', workspace], env);
    const runId = /^succeeded\s+([0-9a-f-]{36})\s+3 steps\s+1 file changed\s+replace "world" with "keel" in greeting\.txt$/m.exec(listed.stdout)?.[1];
    assert.ok(runId, listed.stdout);

    // The follow-up is the newest user message, which the scripted model takes for its task.
    const continued = await runCli(['continue', runId!, 'summarize greeting.txt', '--workspace', workspace, '--base-url', server.url], env);
    assert.equal(continued.code, 0, continued.stderr);
    assert.match(continued.stdout, /succeeded: greeting\.txt has 1 lines?\./);
    assert.match((await runCli(['runs', '--workspace', workspace], env)).stdout, new RegExp(`^succeeded\\s+${runId}\\s+4 steps\\s+1 file changed`, 'm'));

    const unasked = await runCli(['undo', runId!, '--workspace', workspace], env);
    assert.equal(unasked.code, 2);
    assert.match(unasked.stdout, /reverts 1 file \(greeting\.txt\)\. There is no terminal to ask on: pass --yes/);
    assert.equal(await readFile(join(workspace, 'greeting.txt'), 'utf8'), 'hello keel\n');
    const undone = await runCli(['undo', runId!, '--workspace', workspace, '--yes'], env);
    assert.equal(undone.code, 0, undone.stdout);
    assert.match(undone.stdout, /Undid the run's changes to 1 file: greeting\.txt\./);
    assert.equal(await readFile(join(workspace, 'greeting.txt'), 'utf8'), 'hello world\n');

    const bad = await runCli(['continue', '../../etc/passwd', 'go on', '--workspace', workspace, '--base-url', server.url], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is not a run id/);
    assert.equal((await runCli(['continue', runId!, '--workspace', workspace], env)).code, 2);
    assert.equal((await runCli(['undo', '--workspace', workspace], env)).code, 2);
  });
});
