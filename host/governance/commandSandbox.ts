import * as l10n from '@vscode/l10n';
import { osSandbox, type OsSandbox, type SandboxKind } from './osSandbox';

/** `auto`: sandbox where the OS sandbox works here; `required`: refuse otherwise; `off`: run as the user. */
export type CommandSandboxMode = 'auto' | 'required' | 'off';

/** How a command is started: the program and its arguments, and what the user is told about it. */
export interface CommandLaunch {
  readonly file: string;
  readonly args: readonly string[];
  /** Variables added to the command's environment by the sandbox. */
  readonly env: Readonly<Record<string, string>>;
  /** The sandbox it runs in; none when it runs as the user. */
  readonly sandbox?: SandboxKind;
  readonly network: boolean;
  /** For the approval question: what the command can and cannot do. */
  readonly confinement: string;
  /** Cleans up after the command once it has ended. */
  dispose(): void;
}

/** Whether bubblewrap runs here (Linux). */
export function bubblewrapWorks(): boolean {
  return osSandbox.kind === 'bubblewrap';
}

/** What a sandboxed command may reach besides the workspace: the network only when the policy grants it. */
export interface CommandGrants {
  /** A policy command rule with `network: true` matched every part of the command. */
  readonly network?: boolean;
}

/** The OS sandboxes Keel can use and how to install one, for the messages that say there is none. */
export function sandboxTools(): string {
  return l10n.t('bubblewrap on Linux (Debian/Ubuntu: {0}), {1} on macOS', 'sudo apt-get install bubblewrap', '/usr/bin/sandbox-exec');
}

/** Whether a command started now, under this mode, runs in the OS sandbox. */
export function commandSandboxed(mode: CommandSandboxMode, sandbox: OsSandbox = osSandbox): boolean {
  return mode !== 'off' && sandbox.kind !== undefined;
}

/** Whether a command will run in the sandbox; what the approval question says about it. */
export function sandboxNote(mode: CommandSandboxMode, grants: CommandGrants = {}, sandbox: OsSandbox = osSandbox): string {
  if (mode !== 'off' && sandbox.kind) {
    return grants.network || !sandbox.cutsNetwork
      ? l10n.t('It runs in the OS sandbox: it can write only in the workspace and a private temp folder, and it can use the network.')
      : l10n.t('It runs in the OS sandbox: it can write only in the workspace and a private temp folder, and it has no network.');
  }
  if (mode === 'required') return l10n.t('It will be refused: commands must run sandboxed, and there is no OS sandbox here ({0}).', sandboxTools());
  return l10n.t('Commands are not sandboxed: they run with your permissions.');
}

/**
 * How to run an approved shell command line. In the OS sandbox the command sees the file system read-only except the
 * workspace folder and a private temp folder, and empty folders where credentials usually are; under bubblewrap also
 * its own process table (so it cannot read the host's or VS Code's environment through /proc, nor outlive its shell).
 * It has no network unless the policy grants it: a command rule with `network: true`, for a package manager or a
 * build that downloads.
 */
export function commandLaunch(command: string, workspaceRoot: string, mode: CommandSandboxMode, grants: CommandGrants = {}, sandbox: OsSandbox = osSandbox): CommandLaunch {
  const unsandboxed = { file: '/bin/sh', args: ['-c', command], env: {}, network: true, dispose: () => undefined };
  if (mode === 'off') return { ...unsandboxed, confinement: l10n.t('Commands are not sandboxed: they run with your permissions.') };
  if (!sandbox.kind) {
    if (mode === 'required') throw new Error(l10n.t('Commands must run sandboxed ({0}), and there is no OS sandbox here. Install one ({1}) or change the setting.', '"keel.commands.sandbox": "required"', sandboxTools()));
    return { ...unsandboxed, confinement: l10n.t('Commands are not sandboxed here (no OS sandbox is available): they run with your permissions.') };
  }
  const launch = sandbox.confine({ writable: [workspaceRoot], home: 'credentials', readable: [], network: grants.network === true, cwd: workspaceRoot }, '/bin/sh', ['-c', command]);
  // Two whole clauses, so that a translation never has to fit one sentence around the other.
  const confined = launch.kind === 'bubblewrap'
    ? l10n.t('Sandboxed: it can write only in the workspace and a private temp folder, sees no other processes, and finds no credentials in your home folder;')
    : l10n.t('Sandboxed: it can write only in the workspace and a private temp folder, and finds no credentials in your home folder;');
  const network = !launch.network
    ? l10n.t('it has no network (a policy command rule with "network": true grants it).')
    : grants.network ? l10n.t('the policy lets it use the network.') : l10n.t('it can use the network (this system cannot give it a network of its own).');
  return {
    file: launch.file,
    args: launch.args,
    env: launch.env,
    sandbox: launch.kind,
    network: launch.network,
    confinement: `${confined} ${network}`,
    dispose: () => launch.dispose(),
  };
}
