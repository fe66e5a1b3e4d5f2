import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `auto`: sandbox when bubblewrap works here; `required`: refuse commands otherwise; `off`: run them as you. */
export type CommandSandboxMode = 'auto' | 'required' | 'off';

/** Where secrets usually live in a home folder; the sandbox shows them empty. */
const HIDDEN_HOME_PATHS = ['.ssh', '.aws', '.gnupg', '.config/gcloud', '.azure', '.kube', '.docker', '.netrc', '.npmrc', '.pypirc', '.git-credentials', '.config/gh'];

/** How a command is started: the program and its arguments, and what the user is told about it. */
export interface CommandLaunch {
  readonly file: string;
  readonly args: readonly string[];
  /** For the approval question: what the command can and cannot do. */
  readonly confinement: string;
}

let works: boolean | undefined;
let isolatesNetwork: boolean | undefined;

/**
 * Whether bubblewrap runs here: installed, and allowed to make the namespaces it needs (some containers and
 * kernels forbid unprivileged user namespaces). Asked once per process, synchronously (about 10 ms), because the
 * approval question about a command must say whether it will be sandboxed.
 */
export function bubblewrapWorks(): boolean {
  if (works === undefined) {
    try {
      execFileSync('bwrap', ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--die-with-parent', 'true'], { timeout: 5000, stdio: 'ignore' });
      works = true;
    } catch {
      works = false;
    }
  }
  return works;
}

/** Whether bubblewrap can also give a command a network namespace of its own (loopback only). Asked once. */
function networkIsolationWorks(): boolean {
  if (isolatesNetwork === undefined) {
    try {
      execFileSync('bwrap', ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--unshare-net', '--die-with-parent', 'true'], { timeout: 5000, stdio: 'ignore' });
      isolatesNetwork = true;
    } catch {
      isolatesNetwork = false;
    }
  }
  return isolatesNetwork;
}

/** What a sandboxed command may reach besides the workspace: the network only when the policy grants it. */
export interface CommandGrants {
  /** A policy command rule with `network: true` matched every part of the command. */
  readonly network?: boolean;
}

/** Whether a command started now, under this mode, runs in the OS sandbox. */
export function commandSandboxed(mode: CommandSandboxMode): boolean {
  return mode !== 'off' && process.platform === 'linux' && bubblewrapWorks();
}

/** Whether a command will run in the sandbox; what the approval question says about it. */
export function sandboxNote(mode: CommandSandboxMode, grants: CommandGrants = {}): string {
  if (mode !== 'off' && process.platform === 'linux' && bubblewrapWorks()) {
    const network = grants.network || !networkIsolationWorks() ? 'it can use the network' : 'it has no network';
    return `It runs in the OS sandbox: it can write only in the workspace and /tmp, and ${network}.`;
  }
  if (mode === 'required') return 'It will be refused: commands must run sandboxed, and bubblewrap is not available here.';
  return 'Commands are not sandboxed: they run with your permissions.';
}

/**
 * How to run an approved shell command line. In the sandbox (Linux, bubblewrap) the command sees the file system
 * read-only except the workspace folder and a private /tmp, its own process table (so it cannot read the host's or
 * VS Code's environment through /proc, nor outlive its shell: ending the namespace ends every process in it), and
 * empty folders where credentials usually are. It has no network (a namespace with loopback only) unless the policy
 * grants it: a command rule with `network: true`, for a package manager or a build that downloads.
 */
export function commandLaunch(command: string, workspaceRoot: string, mode: CommandSandboxMode, grants: CommandGrants = {}): CommandLaunch {
  const unsandboxed: CommandLaunch = { file: '/bin/sh', args: ['-c', command], confinement: 'Commands are not sandboxed: they run with your permissions.' };
  if (mode === 'off') return unsandboxed;
  if (process.platform !== 'linux' || !bubblewrapWorks()) {
    if (mode === 'required') {
      throw new Error('Commands must run sandboxed ("keel.commands.sandbox": "required"), and bubblewrap is not available here. Install it (Debian/Ubuntu: sudo apt-get install bubblewrap) or change the setting.');
    }
    return { ...unsandboxed, confinement: 'Commands are not sandboxed here (bubblewrap is not available): they run with your permissions.' };
  }
  const cutNetwork = !grants.network && networkIsolationWorks();
  const home = homedir();
  // Only what exists can be covered (the root is read-only, so bubblewrap cannot make mount points): folders by an
  // empty tmpfs, files by /dev/null.
  const hidden = HIDDEN_HOME_PATHS.flatMap((path) => {
    const full = join(home, path);
    const kind = existingKind(full);
    return kind === 'directory' ? ['--tmpfs', full] : kind === 'file' ? ['--ro-bind', '/dev/null', full] : [];
  });
  return {
    file: 'bwrap',
    args: [
      '--ro-bind', '/', '/',
      '--dev', '/dev',
      '--proc', '/proc',
      '--tmpfs', '/tmp',
      ...hidden,
      '--bind', workspaceRoot, workspaceRoot,
      '--chdir', workspaceRoot,
      '--unshare-pid', '--unshare-ipc', '--unshare-uts',
      ...(cutNetwork ? ['--unshare-net'] : []),
      '--die-with-parent', '--new-session',
      '--', '/bin/sh', '-c', command,
    ],
    confinement: `Sandboxed: it can write only in the workspace and a private /tmp, sees no other processes, and finds no credentials in your home folder; ${cutNetwork ? 'it has no network (a policy command rule with "network": true grants it)' : grants.network ? 'the policy lets it use the network' : 'it can use the network (this system cannot give it a network of its own)'}.`,
  };
}

function existingKind(path: string): 'directory' | 'file' | undefined {
  try {
    const info = statSync(path);
    return info.isDirectory() ? 'directory' : info.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}
