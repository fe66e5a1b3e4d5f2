// Runs the real VS Code workbench as code-server from npm, because @vscode/test-electron
// downloads VS Code from update.code.visualstudio.com, which CI machines here cannot reach.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const CODE_SERVER_VERSION = '4.139.1';
// code-server 4.139 refuses any Node but 24; this npm package ships a Node 24 binary and headers.
const NODE_PACKAGE = `node-${process.platform}-${process.arch}`;
const NODE_MAJOR = '24';
const installDir = join(repoRoot, '.vscode-test', 'code-server');
const installMarker = join(installDir, 'installed.txt');
const installId = `code-server@${CODE_SERVER_VERSION} ${NODE_PACKAGE}@${NODE_MAJOR}`;

const nodePackageDir = join(installDir, 'node_modules', NODE_PACKAGE);
const nodeBinary = join(nodePackageDir, 'bin', 'node');
const codeServerDir = join(installDir, 'node_modules', 'code-server');
const entryScript = join(codeServerDir, 'out', 'node', 'entry.js');

function progress(message: string): void {
  process.stderr.write(`[code-server] ${message}\n`);
}

/** Runs a command to completion, streaming its output to stderr; rejects on a non-zero exit. */
function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`${command} ${args.join(' ')} (in ${options.cwd}) failed with ${signal ?? `exit code ${code}`}`));
    });
  });
}

function isInstalled(): boolean {
  return existsSync(installMarker) && readFileSync(installMarker, 'utf8').trim() === installId && existsSync(nodeBinary) && existsSync(entryScript);
}

/** Runs npm under Node 24 so that native modules are built for the Node that will load them. */
function npmWithNode24(args: string[], cwd: string): Promise<void> {
  const env = {
    ...process.env,
    // npm's `#!/usr/bin/env node` then resolves to Node 24, and node-gyp uses its headers.
    PATH: `${dirname(nodeBinary)}${delimiter}${process.env.PATH ?? ''}`,
    npm_config_nodedir: nodePackageDir,
  };
  return run('npm', [...args, '--no-audit', '--no-fund'], { cwd, env });
}

/**
 * Installs code-server and Node 24 into <repo>/.vscode-test/code-server once.
 * npm's install scripts are skipped for code-server (its postinstall insists that npm itself runs
 * on Node 24), so the steps of that postinstall that matter here are repeated by hand.
 */
export async function ensureCodeServer(): Promise<{ node: string; entry: string }> {
  if (isInstalled()) return { node: nodeBinary, entry: entryScript };
  const started = Date.now();
  mkdirSync(installDir, { recursive: true });
  // A package.json of its own stops npm from walking up and installing into the repo.
  writeFileSync(join(installDir, 'package.json'), JSON.stringify({ private: true, description: 'code-server for Keel tests' }, null, 2));
  progress(`installing ${installId} into ${installDir}`);
  await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`, `${NODE_PACKAGE}@${NODE_MAJOR}`], { cwd: installDir });
  progress('installing VS Code dependencies (builds native modules; needs libkrb5-dev on Debian)');
  await npmWithNode24(['install', '--omit=dev'], join(codeServerDir, 'lib', 'vscode'));
  progress('installing the dependencies of the built-in extensions');
  await npmWithNode24(['install', '--omit=dev'], join(codeServerDir, 'lib', 'vscode', 'extensions'));
  writeFileSync(installMarker, `${installId}\n`);
  progress(`installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { node: nodeBinary, entry: entryScript };
}

export interface CodeServer {
  url: string;
  port: number;
  /** Everything code-server has printed so far. */
  log(): string;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  workspace: string;
  userDataDir: string;
  extensionsDir: string;
  /** Added to code-server's environment; the extension host inherits it. */
  env?: Record<string, string>;
  /** Lets the page load an extension under development and its tests from the `payload` query. */
  smokeTestDriver?: boolean;
  /** User settings, applied over the quiet defaults below. */
  settings?: Record<string, unknown>;
  /** VS Code's display language (`--locale`), as a user picks it with "Configure Display Language". */
  locale?: string;
}

// Keeps the workbench from opening tabs, prompts and network traffic that tests never asked for.
const quietSettings: Record<string, unknown> = {
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  // Edits the tests make stay unsaved until a test saves them, as the memory suite's unsaved-edit check needs.
  'files.autoSave': 'off',
  'files.refactoring.autoSave': false,
  'chat.disableAIFeatures': true,
};

function writeUserSettings(userDataDir: string, settings: Record<string, unknown> | undefined): void {
  const userDir = join(userDataDir, 'User');
  mkdirSync(userDir, { recursive: true });
  writeFileSync(join(userDir, 'settings.json'), JSON.stringify({ ...quietSettings, ...settings }, null, 2));
}

// code-server reads these from the environment and they would override our flags: PORT moves the
// port, VSCODE_IPC_HOOK_CLI (set in VS Code terminals) makes it open the folder in the VS Code the
// command runs in instead of starting, a PASSWORD turns authentication back on.
const hijackingEnv = /^(PORT|PASSWORD|HASHED_PASSWORD|GITHUB_TOKEN|VSCODE_.*|CODE_SERVER_.*|CS_.*)$/;

function codeServerEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!hijackingEnv.test(name)) env[name] = value;
  // No extension gallery: tests install from .vsix files, and the workbench would otherwise query
  // open-vsx.org for every running extension (and log errors when offline).
  return { ...env, EXTENSIONS_GALLERY: '{}', ...extra };
}

/** Writes code-server's config file into the user data dir and returns the flags that isolate it. */
function isolate(options: { userDataDir: string; extensionsDir: string }): string[] {
  // An explicit config file, so that ~/.config/code-server/config.yaml neither applies nor gets created.
  const config = join(options.userDataDir, 'code-server.yaml');
  mkdirSync(options.userDataDir, { recursive: true });
  mkdirSync(options.extensionsDir, { recursive: true });
  if (!existsSync(config)) writeFileSync(config, 'auth: none\n');
  return ['--config', config, '--user-data-dir', options.userDataDir, '--extensions-dir', options.extensionsDir];
}

/** A port nothing listens on: for a server, or as an address where nothing answers. */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePromise(address.port) : reject(new Error('no port'))));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => child.once('exit', () => resolvePromise()));
}

/** Signals code-server's whole process group: the wrapper, the server, extension hosts, pty host. */
function signalTree(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Waits for the process to exit, for at most `ms`; resolves whether it did. */
function exitsWithin(child: ChildProcess, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolvePromise) => (timer = setTimeout(() => resolvePromise(false), ms)));
  return Promise.race([exited(child).then(() => true), timeout]).finally(() => clearTimeout(timer));
}

async function stopTree(child: ChildProcess): Promise<void> {
  signalTree(child, 'SIGTERM');
  const exitedGracefully = await exitsWithin(child, 5000);
  // Children may outlive the leader, so the group gets SIGKILL either way.
  signalTree(child, 'SIGKILL');
  if (!exitedGracefully) await exited(child);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}

async function waitForHttp(url: string, child: ChildProcess, log: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`code-server exited before it answered:\n${log()}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(`code-server did not answer on ${url} within ${timeoutMs / 1000} s:\n${log()}`);
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const { node, entry } = await ensureCodeServer();
  writeUserSettings(options.userDataDir, options.settings);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    entry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    ...isolate(options),
    // code-server has no flag of its own for this; it passes VS Code server options through.
    ...(options.smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    ...(options.locale ? ['--locale', options.locale] : []),
    options.workspace,
  ];
  // detached: code-server becomes a process group leader, so stop() can signal all its descendants.
  const child = spawn(node, args, { env: codeServerEnv(options.env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const log = () => output;
  // A detached group outlives its parent, so it dies with this process however that ends.
  const killOnExit = () => signalTree(child, 'SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    await stopTree(child);
    process.removeListener('exit', killOnExit);
  };
  try {
    await waitForHttp(url, child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, log, stop };
}

export async function installExtension(vsixPath: string, options: { userDataDir: string; extensionsDir: string }): Promise<void> {
  const { node, entry } = await ensureCodeServer();
  const args = [entry, ...isolate(options), '--force', '--install-extension', resolve(vsixPath)];
  await run(node, args, { cwd: repoRoot, env: codeServerEnv(undefined) });
}

/** A fresh temporary directory for one test run's workspace, user data and extensions. */
export function createRunDir(): string {
  return mkdtempSync(join(tmpdir(), 'keel-vscode-test-'));
}

/** A throwaway copy of test/vscode/workspace (or an empty folder) inside runDir. */
export function createTestWorkspace(runDir: string): string {
  const workspace = join(runDir, 'workspace');
  const template = join(repoRoot, 'test', 'vscode', 'workspace');
  if (existsSync(template)) cpSync(template, workspace, { recursive: true });
  else mkdirSync(workspace);
  return workspace;
}

const chromiumCandidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

function chromiumPath(): string {
  const fromEnv = process.env.KEEL_CHROMIUM;
  if (fromEnv) return fromEnv;
  const found = chromiumCandidates.find((path) => existsSync(path));
  if (!found) throw new Error(`No Chromium found at ${chromiumCandidates.join(', ')}; install Debian's chromium or set KEEL_CHROMIUM.`);
  return found;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** The packaged extension in a fresh code-server profile over a new test workspace, as a user first opens it. */
export interface Workbench {
  readonly runDir: string;
  readonly workspace: string;
  readonly server: CodeServer;
  readonly browser: Browser;
  readonly page: Page;
}

/** Installs dist/keel.vsix, starts code-server with `settings`, and waits until Chromium shows the workspace's files. */
export async function openWorkbench(settings: Record<string, unknown>, viewport = { width: 1400, height: 900 }, language?: DisplayLanguage): Promise<Workbench> {
  const runDir = createRunDir();
  const workspace = createTestWorkspace(runDir);
  const dirs = { userDataDir: join(runDir, 'user-data'), extensionsDir: join(runDir, 'extensions') };
  await installExtension(join(repoRoot, 'dist', 'keel.vsix'), dirs);
  language?.install({ ...dirs, extensionDir: installedExtensionDir(dirs.extensionsDir) });
  const server = await startCodeServer({ workspace, ...dirs, settings: { 'workbench.secondarySideBar.defaultVisibility': 'hidden', ...settings }, ...(language ? { locale: language.locale } : {}) });
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport });
  await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  // The explorer shows the workspace once the remote extension host is up.
  await page.getByRole('treeitem', { name: 'greeting.txt' }).waitFor({ timeout: 60_000 });
  return { runDir, workspace, server, browser, page };
}

/** A display language for the workbench: its locale, and what to write into the profile and the installed Keel first. */
export interface DisplayLanguage {
  readonly locale: string;
  install(paths: { userDataDir: string; extensionsDir: string; extensionDir: string }): void;
}

/** Where `--install-extension` unpacked Keel. */
function installedExtensionDir(extensionsDir: string): string {
  const name = readdirSync(extensionsDir).find((entry) => /^keel-dev\.keel-\d/.test(entry));
  if (!name) throw new Error(`Keel is not installed in ${extensionsDir}.`);
  return join(extensionsDir, name);
}
