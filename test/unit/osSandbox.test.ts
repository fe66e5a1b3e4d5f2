import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Bubblewrap } from '../../host/governance/bubblewrap';
import { commandLaunch, sandboxNote } from '../../host/governance/commandSandbox';
import type { Confinement } from '../../host/governance/confinement';
import { chooseSandbox, OsSandbox } from '../../host/governance/osSandbox';
import { sandboxExecArgs, seatbeltProfile } from '../../host/governance/seatbelt';
import { tempDir } from './helpers';

const HOSTILE_PATHS = [
  '/Users/me/work/"quoted"',
  '/Users/me/work/a) (allow default) (b',
  '/Users/me/work/line\n(allow network*)\n',
  '/Users/me/work/\\"; (allow file-write* (subpath "/")) ;',
  '/Users/me/work/#|comment|#',
];

/** Whether the profile's parentheses and string quotes balance, so no rule can be cut short by a value. */
function balanced(profile: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < profile.length; i++) {
    const c = profile[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0 && !inString;
}

describe('OS sandbox selection', () => {
  it('picks bubblewrap on Linux and sandbox-exec on macOS only where they work, and nothing elsewhere', () => {
    const probes = (bubblewrap: boolean, sandboxExec: boolean) => ({ bubblewrap: () => bubblewrap, sandboxExec: () => sandboxExec });
    assert.equal(chooseSandbox('linux', probes(true, true)), 'bubblewrap');
    assert.equal(chooseSandbox('linux', probes(false, true)), undefined);
    assert.equal(chooseSandbox('darwin', probes(true, true)), 'seatbelt');
    assert.equal(chooseSandbox('darwin', probes(true, false)), undefined);
    for (const platform of ['win32', 'freebsd', 'openbsd', 'aix'] as const) assert.equal(chooseSandbox(platform, probes(true, true)), undefined, platform);
  });

  it('on macOS with sandbox-exec, confines through it with a private temp folder that dispose removes', async () => {
    // Any existing file stands in for /usr/bin/sandbox-exec, which this machine does not have.
    const sandbox = new OsSandbox({ platform: 'darwin', sandboxExec: process.execPath });
    assert.equal(sandbox.kind, 'seatbelt');
    assert.equal(sandbox.cutsNetwork, true);
    const workspace = await tempDir();
    const launch = sandbox.confine({ writable: [workspace], home: 'hidden', readable: [], network: false, cwd: workspace }, 'node', ['server.js']);
    assert.equal(launch.file, process.execPath);
    assert.deepEqual(launch.args.slice(-3), ['--', 'node', 'server.js']);
    assert.ok(existsSync(launch.env.TMPDIR!));
    assert.ok(launch.args.includes(`WRITABLE_1=${launch.env.TMPDIR}`), 'the private temp folder is writable');
    launch.dispose();
    assert.equal(existsSync(launch.env.TMPDIR!), false);
  });

  it('without a sandbox, commands run as the user under auto and are refused under required, saying what to install', () => {
    const none = new OsSandbox({ platform: 'win32' });
    assert.equal(commandLaunch('ls', '/w', 'auto', {}, none).sandbox, undefined);
    assert.match(commandLaunch('ls', '/w', 'auto', {}, none).confinement, /not sandboxed here/);
    assert.throws(() => commandLaunch('ls', '/w', 'required', {}, none), /must run sandboxed.*bubblewrap on Linux.*sandbox-exec on macOS/);
    assert.match(sandboxNote('required', {}, none), /will be refused/);
    const mac = new OsSandbox({ platform: 'darwin', sandboxExec: process.execPath });
    const launch = commandLaunch('ls', '/w', 'required', {}, mac);
    assert.equal(launch.sandbox, 'seatbelt');
    assert.match(launch.confinement, /it has no network/);
    launch.dispose();
  });

  it('a missing bubblewrap is reported as no sandbox', () => {
    assert.equal(new OsSandbox({ platform: 'linux', bubblewrap: new Bubblewrap('/nonexistent/bwrap') }).kind, undefined);
  });
});

describe('macOS sandbox profile', () => {
  const confinement = (overrides: Partial<Confinement> = {}): Confinement => ({ writable: ['/Users/me/work'], home: 'hidden', readable: [], network: false, cwd: '/Users/me/work', homeDir: '/Users/me', ...overrides });

  it('denies by default, hides the home folder, lets it write only the workspace and its temp folder, and cuts the network', () => {
    const { profile, params } = seatbeltProfile(confinement({ readable: ['/Users/me/.nvm/versions/node/v20'] }), '/private/var/folders/x/T/keel-sandbox-1');
    assert.match(profile, /^\(version 1\)\n\(deny default\)\n/);
    assert.match(profile, /\(deny file-read-data file-write\* \(subpath \(param "HIDDEN_0"\)\)\)/);
    assert.match(profile, /\(allow file-read\* \(subpath \(param "READABLE_0"\)\) \(subpath \(param "READABLE_1"\)\)\)/);
    assert.match(profile, /\(allow file-read\* file-write\* \(subpath \(param "WRITABLE_0"\)\) \(subpath \(param "WRITABLE_1"\)\)\)\n/);
    assert.doesNotMatch(profile, /network/);
    // Later rules win in SBPL: the home is hidden after the system is made readable, and re-opened after that.
    assert.ok(profile.indexOf('(allow file-read*)') < profile.indexOf('HIDDEN_0') && profile.indexOf('HIDDEN_0') < profile.indexOf('READABLE_0') && profile.indexOf('READABLE_0') < profile.indexOf('WRITABLE_0'));
    assert.deepEqual(params, {
      HIDDEN_0: '/Users/me', READABLE_0: '/Users/me/.nvm/versions/node/v20', READABLE_1: '/Users/me/work', WRITABLE_0: '/Users/me/work', WRITABLE_1: '/private/var/folders/x/T/keel-sandbox-1',
    });
  });

  it('grants the network only when the confinement does, and hides only credential folders for commands', () => {
    assert.match(seatbeltProfile(confinement({ network: true }), '/t').profile, /\(allow network\*\)/);
    const { params } = seatbeltProfile(confinement({ home: 'credentials' }), '/t');
    assert.equal(params.HIDDEN_0, '/Users/me/.ssh');
    assert.ok(Object.values(params).includes('/Users/me/.aws'));
    assert.ok(!Object.values(params).includes('/Users/me'));
  });

  for (const path of HOSTILE_PATHS) {
    it(`keeps a hostile workspace path out of the profile's text: ${JSON.stringify(path)}`, () => {
      const { profile, params } = seatbeltProfile(confinement({ writable: [path], cwd: path, readable: [`${path}/node`] }), `${path}/tmp`);
      assert.ok(!profile.includes('work/'), 'no part of the path is in the profile');
      assert.ok(balanced(profile), profile);
      assert.equal(profile.match(/\(allow network/g), null);
      assert.equal(params.WRITABLE_0, path);
      const args = sandboxExecArgs({ profile, params }, 'node', ['x']);
      // Each value is one argument after its own -D, whole, newlines included.
      assert.equal(args[args.indexOf(`WRITABLE_0=${path}`) - 1], '-D');
      assert.deepEqual(args.slice(0, 2), ['-p', profile]);
    });
  }
});

describe('bubblewrap arguments', () => {
  it('hides the whole home folder, then re-opens what must stay readable, then binds the workspace writable', async () => {
    const home = await tempDir();
    const node = join(home, '.nvm', 'node');
    const workspace = join(home, 'projects', 'app');
    await mkdir(node, { recursive: true });
    await mkdir(workspace, { recursive: true });
    const args = new Bubblewrap().args({ writable: [workspace], home: 'hidden', readable: [node, join(home, 'missing')], network: true, cwd: workspace, homeDir: home }, 'node', ['s.js']);
    const at = (...sequence: string[]) => args.findIndex((_, i) => sequence.every((part, j) => args[i + j] === part));
    assert.ok(at('--tmpfs', home) >= 0 && at('--tmpfs', home) < at('--ro-bind', node, node) && at('--ro-bind', node, node) < at('--bind', workspace, workspace), args.join(' '));
    assert.equal(at('--ro-bind', join(home, 'missing')), -1, 'what does not exist is not bound');
    assert.equal(at('--ro-bind', workspace), -1, 'the writable workspace is not also bound read-only');
    assert.deepEqual(args.slice(-3), ['--', 'node', 's.js']);
  });
});
