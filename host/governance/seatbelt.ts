import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { CREDENTIAL_PATHS, hiddenHome, type Confinement } from './confinement';

/** Where macOS keeps `sandbox-exec`; a fixed path, so a `PATH` entry cannot stand in for it. */
export const SANDBOX_EXEC = '/usr/bin/sandbox-exec';

/** A sandbox-exec profile and the values of the parameters it names. */
export interface SeatbeltProfile {
  readonly profile: string;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * The macOS sandbox profile (SBPL) for a confinement. Paths never enter the profile's text: each is a parameter
 * (`sandbox-exec -D NAME=path`) that the profile reads with `(param "NAME")`, so a workspace path with quotes,
 * parentheses or newlines is only ever a path and cannot add a rule. In SBPL a later rule takes precedence over an
 * earlier one, so the profile reads as: nothing by default; the system readable; the home folder's contents (or its
 * credential folders) not; what must stay readable; then the writable folders and the private temp folder.
 */
export function seatbeltProfile(confinement: Confinement, privateTemp: string): SeatbeltProfile {
  const params: Record<string, string> = {};
  const param = (prefix: string, paths: readonly string[]) =>
    paths.map((path, index) => {
      params[`${prefix}_${index}`] = canonical(path);
      return `(subpath (param "${prefix}_${index}"))`;
    });
  const home = hiddenHome(confinement);
  const hidden = home ? param('HIDDEN', confinement.home === 'hidden' ? [home] : CREDENTIAL_PATHS.map((path) => join(home, path))) : [];
  const readable = param('READABLE', [...confinement.readable, confinement.cwd]);
  const writable = param('WRITABLE', [...confinement.writable, privateTemp]);
  const rules = [
    '(version 1)',
    '(deny default)',
    // Processes it starts inherit the profile; it may signal and inspect only those.
    '(allow process-exec process-fork)',
    '(allow signal (target same-sandbox))',
    '(allow process-info* (target same-sandbox))',
    '(allow sysctl-read)',
    // Node asks the kernel for CPU facts (os.cpus) and the directory service for the user's name.
    '(allow mach-host*)',
    '(allow mach-lookup (global-name "com.apple.system.opendirectoryd.libinfo") (global-name "com.apple.system.notification_center") (global-name "com.apple.system.logger"))',
    '(allow ipc-posix-sem)',
    '(allow pseudo-tty)',
    '(allow file-read* file-write* file-ioctl (literal "/dev/ptmx") (literal "/dev/null") (literal "/dev/zero") (literal "/dev/tty"))',
    '(allow file-read*)',
    // Contents and listings are hidden; metadata is not, since resolving a path inside the home folder stats it.
    ...(hidden.length ? [`(deny file-read-data file-write* ${hidden.join(' ')})`] : []),
    ...(readable.length ? [`(allow file-read* ${readable.join(' ')})`] : []),
    `(allow file-read* file-write* ${writable.join(' ')})`,
    ...(confinement.network
      ? ['(allow network*)', '(allow mach-lookup (global-name "com.apple.SystemConfiguration.configd") (global-name "com.apple.dnssd.service"))']
      : []),
  ];
  return { profile: `${rules.join('\n')}\n`, params };
}

/** `sandbox-exec`'s arguments that run `file args` under the profile. */
export function sandboxExecArgs({ profile, params }: SeatbeltProfile, file: string, args: readonly string[]): string[] {
  return ['-p', profile, ...Object.entries(params).flatMap(([name, value]) => ['-D', `${name}=${value}`]), '--', file, ...args];
}

/** The sandbox matches real paths (`/var` is `/private/var` on macOS), so a path that exists is resolved first. */
function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
