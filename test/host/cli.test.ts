import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LEAKY_ENV, RAW } from '../fixtures/leakySecrets';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { tempDir } from '../unit/helpers';
import { CLI, runCli } from './cliProcess';
import { until } from '../until';

describe('keel CLI (dist/cli.js)', function () {
  this.timeout(20_000);
  let server: ModelServer;
  let workspace: string;

  before(async () => {
    server = await startModelServer(scriptedAgent);
  });
  after(() => server.close());
  beforeEach(async () => {
    workspace = await tempDir();
    await writeFile(join(workspace, 'greeting.txt'), 'hello world\n');
  });

  it('runs a task headless, prints the trace tree, and applies the edit with --yes', async () => {
    const { code, stdout } = await runCli(['run', 'replace "world" with "keel" in greeting.txt', '--workspace', workspace, '--base-url', server.url, '--yes']);
    assert.equal(code, 0);
    assert.match(stdout, /^✓ invoke_agent keel \(\d+ ms\)\n( {2}✓ retrieval \w+ \(\d+ ms\)\n)+ {2}✓ chat ollama\/qwen2.5-coder:7b/m);
    assert.match(stdout, /^ {4}✓ approval propose_edit/m);
    assert.match(stdout, /succeeded: Done: The user approved the edit/);
    assert.equal(await readFile(join(workspace, 'greeting.txt'), 'utf8'), 'hello keel\n');
  });

  it('uses OpenAI with the key from OPENAI_API_KEY, and --no denies edits', async () => {
    const { code, stdout } = await runCli(['run', 'replace "world" with "keel" in greeting.txt', '--workspace', workspace, '--base-url', `${server.url}/v1`, '--no'], { OPENAI_API_KEY: 'sk-cli-test' });
    assert.equal(code, 0);
    assert.match(stdout, /denied the edit to greeting.txt: edits are denied by --no/);
    assert.equal(server.requests.at(-1)!.headers.authorization, 'Bearer sk-cli-test');
    assert.equal(await readFile(join(workspace, 'greeting.txt'), 'utf8'), 'hello world\n');
  });

  it('denies edits when there is no terminal to ask on', async () => {
    const { stdout } = await runCli(['run', 'replace "world" with "keel" in greeting.txt', '--workspace', workspace, '--base-url', server.url]);
    assert.match(stdout, /no terminal to ask on; pass --yes to approve edits/);
    assert.equal(await readFile(join(workspace, 'greeting.txt'), 'utf8'), 'hello world\n');
  });

  it('exits 1 with a clear message when no model is reachable, naming the flags to change', async () => {
    const { code, stdout } = await runCli(['run', 'summarize greeting.txt', '--workspace', workspace, '--base-url', 'http://127.0.0.1:9']);
    assert.equal(code, 1);
    assert.match(stdout, /failed: No model could answer .* Could not reach Ollama at http:\/\/127.0.0.1:9/);
    assert.match(stdout, /--base-url/);
    assert.match(stdout, /--provider openai and the key in OPENAI_API_KEY/);
    assert.doesNotMatch(stdout, /keel\.ollama\.baseUrl|Keel: Set OpenAI API Key/);
  });

  it('prints a hostile model\'s escape sequences, carriage returns and bidi overrides as visible escapes', async () => {
    const hostile = await startModelServer(() => ({ kind: 'message', content: 'Done.\x1b[2J\x1b]0;pwned\x07\rAll good \u202eevil' }));
    try {
      const { code, stdout, stderr } = await runCli(['run', 'say something', '--workspace', workspace, '--base-url', hostile.url]);
      assert.equal(code, 0, stderr);
      assert.match(stdout, /Done\.\\u001b\[2J\\u001b\]0;pwned\\u0007\\rAll good \\u202eevil/);
      // eslint-disable-next-line no-control-regex -- no raw control character may reach the terminal
      assert.doesNotMatch(stdout + stderr, /[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e]/);
    } finally {
      await hostile.close();
    }
  });

  it('prints the usage and exits 0 for --help, -h and run --help', async () => {
    for (const args of [['--help'], ['-h'], ['run', '--help']]) {
      const { code, stdout, stderr } = await runCli(args);
      assert.equal(code, 0, `${args.join(' ')}: ${stderr}`);
      assert.match(stdout, /^Usage: keel run "<goal>" \[options\]/, args.join(' '));
      assert.match(stdout, /--base-url <url>/);
      assert.equal(stderr, '');
    }
  });

  it('prints no secret: not from a file the agent read, nor the key it was given', async () => {
    const key = 'keel-cli-key-that-has-no-known-shape-7';
    await writeFile(join(workspace, '.env'), LEAKY_ENV);
    await writeFile(join(workspace, 'notes.txt'), `the staging key is ${key}\n`);
    for (const path of ['.env', 'notes.txt']) {
      const { code, stdout, stderr } = await runCli(['run', `call tool read_file with {"path": "${path}"}`, '--workspace', workspace, '--base-url', `${server.url}/v1`], { OPENAI_API_KEY: key });
      assert.equal(code, 0, stderr);
      assert.match(stdout, /succeeded: read_file said:/);
      for (const [name, value] of Object.entries({ ...RAW, key })) assert.ok(!stdout.includes(value) && !stderr.includes(value), `${name} printed`);
    }
    assert.equal(server.requests.at(-1)!.headers.authorization, `Bearer ${key}`, 'the key itself still reaches the model server');
  });

  it('exits 2 with usage on bad arguments and on an empty goal', async () => {
    const usage = await runCli([]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Usage: keel run "<goal>"/);
    const empty = await runCli(['run', '  ', '--workspace', workspace]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /goal is empty/);
  });

  it('verifies the audit log a headless run wrote, and names the line where it was changed', async () => {
    const home = await tempDir();
    const run = await runCli(['run', 'replace "world" with "keel" in greeting.txt', '--workspace', workspace, '--base-url', server.url, '--yes'], { HOME: home });
    assert.equal(run.code, 0, run.stderr);
    const intact = await runCli(['audit', 'verify'], { HOME: home });
    assert.equal(intact.code, 0, intact.stdout);
    assert.match(intact.stdout, /intact: \d+ records/);
    const file = join(home, '.cache', 'keel', 'audit', 'audit.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n');
    assert.ok(lines.some((l) => l.includes('"kind":"file_change"') && l.includes('greeting.txt')), 'the edit is recorded with its hashes');
    lines[1] = lines[1]!.replace('"seq":2', '"seq":20');
    await writeFile(file, lines.join('\n'));
    const broken = await runCli(['audit', 'verify', '--dir', join(home, '.cache', 'keel', 'audit')]);
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /broken at audit\.jsonl, line 2/);
    const empty = await runCli(['audit', 'verify', '--dir', workspace]);
    assert.equal(empty.code, 2);
    assert.match(empty.stdout, /no audit log in/);
    assert.equal((await runCli(['audit', 'check'])).code, 2);
  });

  it('lists a failed run with "keel runs" and runs it again from its last good step with "keel retry"', async () => {
    const home = await tempDir();
    let broken = true;
    const flaky = await startModelServer((request, index) => (broken && request.messages.some((m) => m.role === 'tool') ? { kind: 'error', status: 500, message: 'down' } : scriptedAgent(request, index)));
    try {
      const failed = await runCli(['run', 'summarize greeting.txt', '--workspace', workspace, '--base-url', flaky.url], { HOME: home });
      assert.equal(failed.code, 1, failed.stdout);
      const listed = await runCli(['runs', '--workspace', workspace], { HOME: home });
      assert.equal(listed.code, 0);
      const runId = /failed\s+([0-9a-f-]{36})\s+1 steps\s+summarize greeting\.txt/.exec(listed.stdout)?.[1];
      assert.ok(runId, listed.stdout);
      broken = false;
      const asked = flaky.requests.length;
      const retried = await runCli(['retry', runId!, '--workspace', workspace, '--base-url', flaky.url], { HOME: home });
      assert.equal(retried.code, 0, retried.stderr);
      assert.match(retried.stdout, /succeeded: greeting\.txt has \d+ lines?\./);
      assert.equal(flaky.requests.length, asked + 1, 'only the failed step is asked again');
      assert.match((await runCli(['runs', '--workspace', workspace], { HOME: home })).stdout, new RegExp(`^succeeded\\s+${runId}\\s+2 steps\\s+summarize greeting\\.txt$`, 'm'));
      const unknown = await runCli(['retry', runId!, '--workspace', workspace, '--base-url', flaky.url], { HOME: home });
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /not on the dead-letter queue/);
    } finally {
      await flaky.close();
    }
  });

  it('asks at the terminal whether to repeat a command a kill -9 cut short, and stops without a terminal', async function () {
    this.timeout(60_000);
    const home = await tempDir();
    const goal = 'call tool run_command with {"command": "echo ran >> ran.txt && sleep 60"}';
    const interrupted = async (ran: string): Promise<string> => {
      const child = spawn(process.execPath, [CLI, 'run', goal, '--workspace', workspace, '--base-url', server.url, '--yes'], { env: { PATH: process.env.PATH, HOME: home }, stdio: 'ignore', detached: true });
      await until('the command to start', () => readFile(join(workspace, 'ran.txt'), 'utf8').then((text) => text === ran, () => false));
      process.kill(-child.pid!, 'SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const listed = await runCli(['runs', '--workspace', workspace], { HOME: home });
      return /^interrupted\s+([0-9a-f-]{36})\s/m.exec(listed.stdout)?.[1] ?? assert.fail(listed.stdout);
    };

    const runId = await interrupted('ran\n');
    const headless = await runCli(['resume', runId, '--workspace', workspace, '--base-url', server.url, '--yes'], { HOME: home });
    assert.equal(headless.code, 1);
    assert.match(headless.stderr, new RegExp(`run_command may have run before Keel stopped.*\\n.*run "keel retry ${runId}" in a terminal to choose`));
    assert.match(headless.stdout, /failed: The run stopped on resuming it: run_command may have run before Keel stopped, and it is not run again or skipped without someone saying so\./);
    assert.equal(await readFile(join(workspace, 'ran.txt'), 'utf8'), 'ran\n', 'not run again');

    // In a terminal (a pseudo-terminal from util-linux's script) the same question is asked again, and skipped.
    const inTerminal = async (args: string[], answer: string): Promise<{ code: number | null; screen: string }> => {
      const child = spawn('script', ['-qfec', [process.execPath, CLI, ...args, '--workspace', workspace, '--base-url', server.url].join(' '), '/dev/null'], { env: { PATH: process.env.PATH, HOME: home } });
      let screen = '';
      child.stdout.on('data', (d: Buffer) => {
        const asked = !screen.includes('Enter: stop the run >');
        screen += d;
        if (asked && screen.includes('Enter: stop the run >')) child.stdin.write(`${answer}\n`);
      });
      return { code: await new Promise<number | null>((resolve) => child.once('exit', resolve)), screen };
    };
    const retried = await inTerminal(['retry', runId], 's');
    assert.equal(retried.code, 0, retried.screen);
    assert.match(retried.screen, /run_command may have run before Keel stopped\. Run it again\?\r?\n\{\r?\n {2}"command": "echo ran >> ran\.txt && sleep 60"/);
    assert.match(retried.screen, /succeeded: run_command said: run_command may have run before Keel stopped, and the user chose not to run it again/);
    assert.equal(await readFile(join(workspace, 'ran.txt'), 'utf8'), 'ran\n', 'skipped, not run again');

    // "keel resume" asks the same way; Enter stops the run.
    const stopped = await inTerminal(['resume', await interrupted('ran\nran\n')], '');
    assert.equal(stopped.code, 1, stopped.screen);
    assert.match(stopped.screen, /failed: The run stopped on resuming it/);
    assert.equal(await readFile(join(workspace, 'ran.txt'), 'utf8'), 'ran\nran\n', 'the second run ran it once, and resuming did not');
  });
});
