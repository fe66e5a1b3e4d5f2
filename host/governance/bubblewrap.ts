import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { CREDENTIAL_PATHS, hiddenHome, isWithin, type Confinement } from './confinement';

/** The private temp folder a sandboxed process gets: an empty tmpfs over the system's `/tmp`. */
const PRIVATE_TMP = '/tmp';

/**
 * Bubblewrap (Linux) at `path`. Whether it runs here is asked once per process, synchronously (about 10 ms), because
 * an approval question or a server's status must say whether the process will be sandboxed.
 */
export class Bubblewrap {
  private works: boolean | undefined;
  private isolatesNetwork: boolean | undefined;

  constructor(readonly path = 'bwrap') {}

  /** Installed, and allowed to make the namespaces it needs (some containers and kernels forbid unprivileged ones). */
  available(): boolean {
    return (this.works ??= this.runs([]));
  }

  /** Whether it can also give a process a network namespace of its own (loopback only). */
  networkIsolation(): boolean {
    return (this.isolatesNetwork ??= this.available() && this.runs(['--unshare-net']));
  }

  /**
   * The arguments that run `file args` confined: the root read-only, `/dev` and a `/proc` of its own, a private
   * `/tmp`, the home folder hidden by an empty tmpfs (or its credential folders), then what must stay readable, then
   * the writable folders; its own process table (it cannot read another process's environment through `/proc`, nor
   * outlive its first process: ending the namespace ends every process in it) and no network unless granted.
   */
  args(confinement: Confinement, file: string, args: readonly string[]): string[] {
    const home = hiddenHome(confinement);
    const hidden = home ? (confinement.home === 'hidden' ? hide(home) : CREDENTIAL_PATHS.flatMap((path) => hide(join(home, path)))) : [];
    const hiddenRoots = [PRIVATE_TMP, ...(home && confinement.home === 'hidden' ? [home] : [])];
    // Only what exists can be bound, and only what would be hidden needs to be.
    const readable = [...confinement.readable, confinement.cwd]
      .filter((path) => hiddenRoots.some((root) => isWithin(path, root)) && !confinement.writable.some((folder) => isWithin(path, folder)) && kindOf(path))
      .flatMap((path) => ['--ro-bind', path, path]);
    const writable = confinement.writable.filter((path) => kindOf(path) === 'directory').flatMap((path) => ['--bind', path, path]);
    const cutNetwork = !confinement.network && this.networkIsolation();
    return [
      '--ro-bind', '/', '/',
      '--dev', '/dev',
      '--proc', '/proc',
      '--tmpfs', PRIVATE_TMP,
      ...hidden,
      ...readable,
      ...writable,
      '--chdir', confinement.cwd,
      '--unshare-pid', '--unshare-ipc', '--unshare-uts',
      ...(cutNetwork ? ['--unshare-net'] : []),
      '--die-with-parent', '--new-session',
      '--', file, ...args,
    ];
  }

  private runs(extra: readonly string[]): boolean {
    try {
      execFileSync(this.path, ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', ...extra, '--die-with-parent', 'true'], { timeout: 5000, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Covers `path` with nothing: a folder with an empty tmpfs, a file with /dev/null. Only what exists can be covered,
 * since the root is read-only and bubblewrap cannot make mount points in it.
 */
function hide(path: string): string[] {
  const kind = kindOf(path);
  return kind === 'directory' ? ['--tmpfs', path] : kind === 'file' ? ['--ro-bind', '/dev/null', path] : [];
}

function kindOf(path: string): 'directory' | 'file' | undefined {
  try {
    const info = statSync(path);
    return info.isDirectory() ? 'directory' : info.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}
