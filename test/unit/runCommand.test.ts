import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ApprovalBroker } from '../../host/governance/approvals';
import { builtinTools, type ToolContext } from '../../host/tools';
import { childEnvironment, isSecretVariable } from '../../host/tools/childEnv';
import { bubblewrapWorks, sandboxNote } from '../../host/governance/commandSandbox';
import { headlessWorkspace, recordingTrace, tempDir } from './helpers';

describe('run_command', function () {
  this.timeout(20_000);
  let root: string;

  beforeEach(async () => {
    root = await tempDir();
  });

  function call(args: unknown, options: { signal?: AbortSignal; passEnv?: string[]; sandbox?: 'auto' | 'required' | 'off' } = {}) {
    const approve = async () => ({ decision: 'approved' as const });
    const workspace = headlessWorkspace(root, { edit: approve, toolCall: approve });
    const context: ToolContext = {
      runId: 'r',
      policy: { allowHosts: [], passEnv: options.passEnv ?? [], commandSandbox: options.sandbox ?? 'off' },
      workspace,
      approvals: new ApprovalBroker(workspace, 5000),
      span: recordingTrace().root,
      signal: options.signal ?? new AbortController().signal,
    };
    return builtinTools().call({ id: 'c', name: 'run_command', arguments: args }, context);
  }

  it('returns once its shell exits, although a detached child still holds the output pipe', async () => {
    const started = performance.now();
    const result = await call({ command: 'setsid sleep 7 & echo started', timeout_seconds: 2 });
    assert.equal(result.ok, true);
    assert.match(result.content, /^Exit code 0\.\nstarted/);
    assert.ok(performance.now() - started < 3000, 'the detached child was waited for');
  });

  it('times out a command whose group is already gone without throwing (kill ESRCH)', async () => {
    // The shell waits on a child in another session: the group holds only the shell, which the kill ends.
    const result = await call({ command: 'setsid sleep 7; echo never', timeout_seconds: 1 });
    assert.equal(result.ok, true);
    assert.match(result.content, /stopped: timed out after 1 s/);
    assert.doesNotMatch(result.content, /never/);
  });

  it('is cancelled through the same path without taking the process down', async () => {
    const controller = new AbortController();
    const pending = call({ command: 'setsid sleep 7 & sleep 5' }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('cancelled by test')), 300);
    await assert.rejects(pending, /cancelled by test/);
  });

  it('does not show the host\'s credentials to the command, unless passed on by name', async () => {
    process.env.KEEL_TEST_API_KEY = 'sk-host-key-1234567890';
    process.env.KEEL_TEST_PLAIN = 'visible';
    try {
      const hidden = await call({ command: 'echo "key=$KEEL_TEST_API_KEY plain=$KEEL_TEST_PLAIN"' });
      assert.match(hidden.content, /key= plain=visible/);
      const passed = await call({ command: 'echo "key=$KEEL_TEST_API_KEY"' }, { passEnv: ['KEEL_TEST_API_KEY'] });
      assert.match(passed.content, /key=sk-host-key-1234567890/);
    } finally {
      delete process.env.KEEL_TEST_API_KEY;
      delete process.env.KEEL_TEST_PLAIN;
    }
  });
});

describe('child process environment', () => {
  it('removes credential-like variables and keeps the rest', () => {
    const env = {
      PATH: '/usr/bin', HOME: '/home/u', PWD: '/w', LANG: 'C', TERM: 'xterm', NODE_EXTRA_CA_CERTS: '/etc/ca.pem', KEYBOARD_LAYOUT: 'us',
      OPENAI_API_KEY: 'x', ANTHROPIC_API_KEY: 'x', GITHUB_TOKEN: 'x', NPM_TOKEN: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_ACCESS_KEY_ID: 'x',
      AWS_SESSION_TOKEN: 'x', DB_PASSWORD: 'x', DATABASE_URL: 'x', PGPASSWORD: 'x', CLIENT_SECRET: 'x', SSH_AUTH_SOCK: 'x', my_private_key: 'x',
    };
    assert.deepEqual(Object.keys(childEnvironment([], env)).sort(), ['HOME', 'KEYBOARD_LAYOUT', 'LANG', 'NODE_EXTRA_CA_CERTS', 'PATH', 'PWD', 'TERM']);
    assert.equal(childEnvironment(['NPM_TOKEN'], env).NPM_TOKEN, 'x');
    assert.equal(isSecretVariable('MONKEY'), false);
    assert.equal(isSecretVariable('STRIPE_KEY'), true);
    for (const name of ['GITHUB_PAT', 'GH_PAT', 'AZURE_STORAGE_CONNECTION_STRING', 'SENTRY_DSN', 'POSTGRES_URL', 'AMQP_URL', 'CELERY_BROKER_URL', 'PGPASS', 'JWT', 'DB_PASS', 'SMTP_PASS', 'MY_SECRETKEY']) {
      assert.equal(isSecretVariable(name), true, name);
    }
    for (const name of ['HOMEPATH', 'PASSENGER_ROOT', 'DISPATCH_URL', 'PATH', 'PWD', 'OLDPWD']) assert.equal(isSecretVariable(name), false, name);
  });
});

describe('run_command in the OS sandbox (bubblewrap)', function () {
  this.timeout(20_000);
  let root: string;
  let outside: string;

  before(function () {
    if (!bubblewrapWorks()) {
      // .ci/run installs bubblewrap, so CI always runs these; a machine without it runs commands unsandboxed.
      if (process.env.CI) throw new Error('bubblewrap does not work on this CI machine; .ci/run installs it.');
      this.skip();
    }
  });
  beforeEach(async () => {
    root = await tempDir();
    // Not under /tmp, which the sandbox replaces with a private one.
    outside = await mkdtemp('/var/tmp/keel-outside-');
  });

  function call(command: string, sandbox: 'auto' | 'required' | 'off' = 'required', grants: { commandNetwork?: boolean } = {}) {
    const approve = async () => ({ decision: 'approved' as const });
    const workspace = headlessWorkspace(root, { edit: approve, toolCall: approve });
    const context: ToolContext = { runId: 'r', policy: { allowHosts: [], commandSandbox: sandbox, ...grants }, workspace, approvals: new ApprovalBroker(workspace, 5000), span: recordingTrace().root, signal: new AbortController().signal };
    return builtinTools().call({ id: 'c', name: 'run_command', arguments: { command, timeout_seconds: 10 } }, context);
  }

  it('writes in the workspace and /tmp only', async () => {
    const result = await call(`echo in > inside.txt && echo tmp > /tmp/t && cat /tmp/t; echo out > ${join(outside, 'planted.txt')}; echo "exit $?"`);
    assert.match(result.content, /^Exit code 0\.\ntmp\n/);
    assert.match(result.content, /Read-only file system/);
    assert.match(result.content, /^exit [12]$/m);
    assert.equal(await readFile(join(root, 'inside.txt'), 'utf8'), 'in\n');
    await assert.rejects(readFile(join(outside, 'planted.txt')));
  });

  it('sees no other process, so no other environment, and no child outlives it', async () => {
    // In the host's environment only: the command's own environment has no credentials to begin with.
    process.env.KEEL_SANDBOX_PROBE_TOKEN = 'sk-probe-should-not-leak-1234567890';
    try {
      const result = await call('cat /proc/[0-9]*/environ 2>/dev/null | tr "\\0" "\\n" | grep -c KEEL_SANDBOX_PROBE; ls /proc | grep -cE "^[0-9]+$"; setsid sleep 30 & echo started');
      const [count, processes] = result.content.split('\n').slice(1);
      assert.equal(count, '0', result.content);
      assert.ok(Number(processes) < 10, `the sandbox sees ${processes} processes`);
    } finally {
      delete process.env.KEEL_SANDBOX_PROBE_TOKEN;
    }
    // Exactly `sleep 30`, not a shell or bubblewrap whose command line holds those words; the kernel ends the
    // namespace's processes as its first one exits, which can take a moment after the command returns.
    const sleeping = () => new Promise<string>((resolve) => execFile('pgrep', ['-f', '^sleep 30$'], (_error, stdout) => resolve(stdout.trim())));
    let left = await sleeping();
    for (let i = 0; i < 20 && left; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = await sleeping();
    }
    assert.equal(left, '', 'a detached child outlived its sandbox');
  });

  it('shows credential folders of the home folder empty', async () => {
    const ssh = join(homedir(), '.ssh');
    const existed = await readdir(ssh).then(() => true, () => false);
    if (!existed) await mkdir(ssh);
    await writeFile(join(ssh, 'keel_probe_key'), 'PRIVATE');
    try {
      const result = await call(`ls -A ${ssh} | wc -l`);
      assert.match(result.content, /^Exit code 0\.\n0\n/);
    } finally {
      await rm(join(ssh, 'keel_probe_key'));
      if (!existed) await rm(ssh, { recursive: true });
    }
  });

  it('has no network unless the policy grants it, and cannot signal the host', async () => {
    const server = createServer((_request, response) => response.end('reached'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const probe = `${process.execPath} -e "require('http').get('http://127.0.0.1:${port}', (r) => console.log('status', r.statusCode)).on('error', (e) => console.log('error', e.code))"`;
    try {
      const cut = await call(`${probe}; kill -0 ${process.pid} 2>&1 || echo "no host"`);
      assert.match(cut.content, /error ECONNREFUSED/, cut.content);
      assert.match(cut.content, /no host/);
      const granted = await call(probe, 'required', { commandNetwork: true });
      assert.match(granted.content, /status 200/, granted.content);
      const unsandboxed = await call(`echo out > ${join(outside, 'allowed.txt')} && echo written`, 'off');
      assert.match(unsandboxed.content, /written/);
    } finally {
      server.close();
    }
  });

  it('says in the approval question whether the command has the network', () => {
    assert.match(sandboxNote('auto'), /has no network/);
    assert.match(sandboxNote('auto', { network: true }), /can use the network/);
  });
});
