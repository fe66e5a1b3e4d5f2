import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join, sep } from 'node:path';
import * as l10n from '@vscode/l10n';
import { sandboxTools, type CommandSandboxMode } from './commandSandbox';
import { osSandbox, type OsSandbox, type SandboxKind } from './osSandbox';

/** How stdio MCP servers are sandboxed on this host. */
export interface ServerSandboxSettings {
  /** `keel.commands.sandbox`, which governs stdio MCP servers too. */
  readonly mode: CommandSandboxMode;
  /**
   * Keel's npm cache for the servers npx starts in the sandbox. npm cannot run on a read-only cache, and the user's
   * own must not be writable from the sandbox: a server could plant packages there that run unsandboxed later.
   */
  readonly npmCache?: string;
  /** The OS sandbox; this machine's unless a test says otherwise. */
  readonly os?: OsSandbox;
}

/** A stdio server as configured: what it runs, and what its configuration grants. */
export interface StdioServer {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** `false`: run it as the user (unless `keel.commands.sandbox` is `required`). */
  readonly sandbox?: boolean;
  /** `true`: it may use the network in the sandbox. */
  readonly network?: boolean;
}

/** How to start a server, and what its status and first-use approval say about its confinement. */
export interface ServerLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd?: string;
  readonly sandbox?: SandboxKind;
  readonly note: string;
  /** Added to the error when the server does not start. */
  readonly hint?: string;
  dispose(): void;
}

/** The sandbox is required and there is none: the server is not started, and retrying will not change that. */
export class SandboxRequired extends Error {}

const PACKAGE_RUNNERS: ReadonlySet<string> = new Set(['npx', 'npm']);

/**
 * How to start a stdio MCP server. In the OS sandbox it reads the system, writes only in the workspace folders and a
 * private temp folder, finds the home folder empty (except the Node installation it runs from and the paths its
 * configuration names), sees no other processes (so not the host's environment through /proc), and has no network
 * unless its configuration says `"network": true`. Its environment is only the safe defaults and what its
 * configuration names, sandboxed or not.
 */
export function serverLaunch(server: StdioServer, baseEnv: Readonly<Record<string, string>>, workspaceFolders: readonly string[], settings: ServerSandboxSettings): ServerLaunch {
  const env = { ...baseEnv, ...server.env };
  const cwd = server.cwd ?? workspaceFolders[0];
  const plain = (note: string): ServerLaunch => ({ command: server.command, args: server.args, env, ...(cwd ? { cwd } : {}), note, dispose: () => undefined });
  const os = settings.os ?? osSandbox;
  const required = settings.mode === 'required';
  if (settings.mode === 'off') return plain(l10n.t('It is not sandboxed ({0}): it runs with your permissions.', '"keel.commands.sandbox" is "off"'));
  if (server.sandbox === false && !required) return plain(l10n.t('It is not sandboxed (its configuration says {0}): it runs with your permissions.', '"sandbox": false'));
  if (!os.kind) {
    if (required) throw new SandboxRequired(l10n.t('MCP server "{0}" was not started: servers must run sandboxed ({1}), and there is no OS sandbox here. Install one ({2}) or change the setting.', server.name, '"keel.commands.sandbox": "required"', sandboxTools()));
    return plain(l10n.t('It is not sandboxed: there is no OS sandbox here ({0}), so it runs with your permissions.', sandboxTools()));
  }
  const runner = PACKAGE_RUNNERS.has(basename(server.command));
  const npmCache = runner ? settings.npmCache : undefined;
  if (npmCache) {
    mkdirSync(npmCache, { recursive: true, mode: 0o700 });
    Object.assign(env, { npm_config_cache: npmCache, npm_config_update_notifier: 'false' });
  }
  const network = server.network === true;
  const launch = os.confine(
    {
      writable: [...workspaceFolders, ...(npmCache ? [npmCache] : [])],
      home: 'hidden',
      readable: neededPaths(server, env.PATH ?? '', runner),
      network,
      cwd: cwd ?? '/',
    },
    server.command,
    server.args,
  );
  // Whole clauses, so that a translation never has to fit one sentence around another.
  const confined = npmCache
    ? launch.kind === 'bubblewrap'
      ? l10n.t('It runs in the OS sandbox: it can write only in the workspace, Keel\'s npm cache for servers and a private temp folder, finds your home folder hidden, and sees no other processes;')
      : l10n.t('It runs in the OS sandbox: it can write only in the workspace, Keel\'s npm cache for servers and a private temp folder, and finds your home folder hidden;')
    : launch.kind === 'bubblewrap'
      ? l10n.t('It runs in the OS sandbox: it can write only in the workspace and a private temp folder, finds your home folder hidden, and sees no other processes;')
      : l10n.t('It runs in the OS sandbox: it can write only in the workspace and a private temp folder, and finds your home folder hidden;');
  const reach = launch.network
    ? network ? l10n.t('it may use the network (its configuration grants it).') : l10n.t('it can use the network (this system cannot give it a network of its own).')
    : l10n.t('it has no network.');
  const overridden = server.sandbox === false ? ` ${l10n.t('Its configuration\'s {0} is overridden by {1}.', '"sandbox": false', '"keel.commands.sandbox": "required"')}` : '';
  return {
    command: launch.file,
    args: launch.args,
    env: { ...env, ...launch.env },
    ...(cwd ? { cwd } : {}),
    sandbox: launch.kind,
    note: `${confined} ${reach}${overridden}`,
    ...(runner && !launch.network ? { hint: l10n.t('{0} fetches the server\'s package when it is not in Keel\'s npm cache yet, which needs the network: add {1} to the server\'s configuration, or install the package and start it with node.', basename(server.command), '"network": true') } : {}),
    dispose: () => launch.dispose(),
  };
}

/**
 * What a server needs to read that the sandbox would hide: the installation its command runs from (and, for npx, the
 * Node installation its script runs on), and the existing paths its configuration names, each with the package it
 * belongs to so that its imports resolve. The user named those; the rest of the home folder stays hidden.
 */
function neededPaths(server: StdioServer, path: string, runner: boolean): string[] {
  const commands = [server.command, ...(runner ? ['node'] : [])].map((command) => onPath(command, path)).filter((found): found is string => found !== undefined);
  const installations = commands.flatMap((command) => [installation(command), installation(realpathOr(command))]);
  const named = [...server.args, ...(server.cwd ? [server.cwd] : [])].filter((arg) => isAbsolute(arg) && existsSync(arg)).flatMap((arg) => [arg, ...packageRoot(arg)]);
  return [...new Set([...installations, ...named])];
}

/** `/opt/node/bin/node` is installed in `/opt/node`; a program outside a `bin` folder, in its own folder. */
function installation(program: string): string {
  const folder = dirname(program);
  return basename(folder) === 'bin' ? dirname(folder) : folder;
}

/**
 * The package whose code `path` is: the project that holds the first `node_modules` on its path (its dependencies may
 * be hoisted there), or else the nearest folder above it with a package.json.
 */
function packageRoot(path: string): string[] {
  const parts = path.split(sep);
  const modules = parts.indexOf('node_modules');
  if (modules > 1) return [parts.slice(0, modules).join(sep)];
  for (let folder = isDirectory(path) ? path : dirname(path); folder !== dirname(folder); folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return [folder];
  }
  return [];
}

function onPath(command: string, path: string): string | undefined {
  if (command.includes('/')) return isAbsolute(command) ? command : undefined;
  return path.split(delimiter).filter(isAbsolute).map((folder) => join(folder, command)).find((candidate) => existsSync(candidate));
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
