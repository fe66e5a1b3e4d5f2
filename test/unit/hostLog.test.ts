import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HostLog, withLogContext, type LogLevel, type LogRecord } from '../../host/observability/log';
import { startTrace } from '../../host/observability/tracer';
import { tempDir } from './helpers';

const SECRET = 'sk-proj-' + 'Zq8vN2xK4mT7pL1wR9cY3bF6hJ0dS5aE2gU8iO4nV7kM1xQ3';

async function records(dir: string, file = 'host.jsonl'): Promise<LogRecord[]> {
  return (await readFile(join(dir, file), 'utf8')).trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogRecord);
}

describe('the host log', () => {
  let shown: [LogLevel, string][];
  let log: HostLog;
  let dir: string;

  beforeEach(async () => {
    shown = [];
    dir = join(await tempDir(), 'logs');
    log = new HostLog({ console: (level, text) => shown.push([level, text]) });
    log.writeTo(dir);
  });
  afterEach(() => log.close());

  it('shows each line at its level and writes it as a JSON line with its time and level', async () => {
    log.error('boom');
    log.warn('careful');
    log.info('hello');
    log.debug('details');
    assert.deepEqual(shown, [['error', 'boom'], ['warn', 'careful'], ['info', 'hello'], ['debug', 'details']]);
    const lines = await records(dir);
    assert.deepEqual(lines.map((r) => [r.level, r.message]), [['error', 'boom'], ['warn', 'careful'], ['info', 'hello'], ['debug', 'details']]);
    assert.ok(!Number.isNaN(Date.parse(lines[0]!.time)));
  });

  it('names the run, agent and span of a line logged anywhere inside them, across awaits', async () => {
    const sink = () => undefined;
    await withLogContext({ runId: 'run-7', agent: 'keel' }, async () => {
      log.info('run started');
      const root = startTrace(sink, 'invoke_agent keel', 'invoke_agent');
      await root.within('execute_tool read_file', 'execute_tool', {}, async (span) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.warn('tool trouble');
        assert.ok(span.spanId);
      });
      log.info('run ended');
    });
    log.info('outside');
    const [started, trouble, ended, outside] = await records(dir);
    assert.deepEqual([started!.runId, started!.agent, started!.spanId], ['run-7', 'keel', undefined]);
    assert.equal(trouble!.runId, 'run-7');
    assert.match(trouble!.spanId!, /^[0-9a-f]{16}$/);
    assert.match(trouble!.traceId!, /^[0-9a-f]{32}$/);
    assert.equal(ended!.spanId, undefined);
    assert.equal(outside!.runId, undefined);
    assert.match(shown[1]![1], /^\[run run-7 agent keel span [0-9a-f]{16}\] tool trouble$/);
  });

  it('redacts secrets and cuts huge messages in both the console and the file', async () => {
    log.info(`calling with OPENAI_API_KEY=${SECRET}`);
    log.info('x'.repeat(100_000));
    const text = await readFile(join(dir, 'host.jsonl'), 'utf8');
    assert.ok(!text.includes(SECRET));
    assert.ok(!shown.some(([, line]) => line.includes(SECRET)));
    assert.ok(text.length < 40_000);
    assert.match(shown[1]![1], /… \(100000 characters\)$/);
  });

  it('rotates by size, keeping three files', async () => {
    log.close();
    log = new HostLog({ console: () => undefined, rotateBytes: 1000 });
    log.writeTo(dir);
    for (let i = 0; i < 100; i++) log.info(`line ${i} ${'y'.repeat(80)}`);
    const files = (await readdir(dir)).sort();
    assert.deepEqual(files, ['host.1.jsonl', 'host.2.jsonl', 'host.jsonl']);
    const newest = await records(dir);
    assert.match(newest.at(-1)!.message, /^line 99 /);
    const previous = await records(dir, 'host.1.jsonl');
    assert.ok(Number(previous.at(-1)!.message.split(' ')[1]) < 99);
  });

  it('keeps every line logged before a kill -9', async () => {
    const script = `
      const { HostLog } = require(${JSON.stringify(join(process.cwd(), 'host/observability/log.ts'))});
      const log = new HostLog({ console: () => undefined });
      log.writeTo(${JSON.stringify(dir)});
      for (let i = 0; i < 50; i++) log.info('before the kill ' + i);
      process.kill(process.pid, 'SIGKILL');`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
    assert.equal(result.signal, 'SIGKILL', result.stderr);
    const lines = (await records(dir)).filter((r) => r.message.startsWith('before the kill'));
    assert.equal(lines.length, 50);
  });

  it('keeps logging to the console when the folder cannot be written', async () => {
    const file = join(await tempDir(), 'a-file');
    await writeFile(file, '');
    const broken = new HostLog({ console: (level, text) => shown.push([level, text]) });
    broken.writeTo(join(file, 'logs'));
    broken.info('still here');
    assert.equal(shown.at(-1)![1], 'still here');
    assert.match(shown.at(-2)![1], /The host log file is not written/);
  });
});
