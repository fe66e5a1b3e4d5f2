// Runs dist/test/suite.js inside a real VS Code extension host, served by code-server and driven
// by headless Chromium: `node --import tsx test/vscode/runInCodeServer.ts`.
// Environment: KEEL_EXTENSION_PATH runs another build of the extension (default: this repo);
// KEEL_VSCODE_TIMEOUT_SECONDS bounds the whole run (default 300); KEEL_VSCODE_VERBOSE=1 also prints
// the workbench's startup log. Every other variable reaches the extension host, which inherits
// code-server's environment.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { format } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { createRunDir, createTestWorkspace, launchBrowser, repoRoot, startCodeServer, type CodeServer } from './codeServer.ts';

const extensionPath = resolve(process.env.KEEL_EXTENSION_PATH ?? repoRoot);
const suitePath = join(extensionPath, 'dist', 'test', 'suite.js');
const timeoutSeconds = Number(process.env.KEEL_VSCODE_TIMEOUT_SECONDS ?? 300);
const screenshotPath = join(repoRoot, 'test-results', 'vscode-suite.png');

/** The authority of vscode-remote: URIs, which code-server puts in the page's configuration. */
async function readRemoteAuthority(server: CodeServer): Promise<string> {
  const html = await (await fetch(`${server.url}/`)).text();
  // The configuration is HTML-escaped JSON in a data attribute: …remoteAuthority&quot;:&quot;remote&quot;…
  const match = /remoteAuthority&quot;:&quot;(.*?)&quot;/.exec(html);
  if (!match) throw new Error('The workbench page has no remoteAuthority in its configuration.');
  return match[1];
}

/**
 * The workbench reads extension development options from the `payload` query when the smoke test
 * driver is enabled. Their values are URIs on the remote (the code-server machine).
 */
function suiteUrl(server: CodeServer, authority: string, workspace: string): string {
  const remote = (path: string) => `vscode-remote://${authority}${path}`;
  const payload = [
    ['extensionDevelopmentPath', remote(extensionPath)],
    ['extensionTestsPath', remote(suitePath)],
    ['skipWelcome', 'true'],
    // Like --disable-extensions in runInElectron.ts: only the extension under test (and built-ins).
    ['disableExtensions', 'true'],
  ];
  const query = new URLSearchParams({ folder: workspace, payload: JSON.stringify(payload) });
  return `${server.url}/?${query}`;
}

/**
 * Extension host output arrives as the arguments of the console call that printed it, e.g.
 * ['  %d passing (%s)', 2, '121ms'], so it is formatted the way console.log would have.
 */
function formatLogMessage(message: unknown): string {
  return Array.isArray(message) ? format(...(message as unknown[])) : String(message);
}

// The workbench's own startup chatter, which shares codeAutomationLog with the extension host's
// console; hidden unless KEEL_VSCODE_VERBOSE is set. A line this misses is merely printed.
const workbenchChatter =
  /^(Resolving connection token|Resolved connection token|Creating a socket|Ignoring fetching additional builtin extensions|Updating additional builtin extensions cache|\[reconnection-grace-time\]|\[Service Worker\]|\[AgentHost:|\[AccountPolicyGate\]|Canceled: Canceled)/;
const verbose = Boolean(process.env.KEEL_VSCODE_VERBOSE);

// Mocha's report and the extension's console output come at level info; warnings and errors are
// marked so that they stand out from test output.
function printLogLine(level: string, message: unknown): void {
  const text = formatLogMessage(message);
  if (!verbose && workbenchChatter.test(text)) return;
  console.log(level === 'warn' || level === 'error' ? `[${level}] ${text}` : text);
}

/** Installs the smoke test driver's hooks; `exited` resolves when the extension host reports its exit code. */
async function exposeAutomationHooks(page: Page): Promise<{ exited: Promise<number> }> {
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolvePromise) => (resolveExit = resolvePromise));
  await page.exposeFunction('codeAutomationLog', printLogLine);
  await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
  return { exited };
}

async function withTimeout<T>(promise: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`The VS Code suite did not finish within ${seconds} s (KEEL_VSCODE_TIMEOUT_SECONDS).`)), seconds * 1000);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function saveScreenshot(page: Page | undefined): Promise<void> {
  if (!page || page.isClosed()) return;
  try {
    mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
    await page.screenshot({ path: screenshotPath });
    console.error(`Screenshot: ${screenshotPath}`);
  } catch (error) {
    console.error(`Could not save a screenshot: ${String(error)}`);
  }
}

interface Run {
  dir?: string;
  server?: CodeServer;
  browser?: Browser;
  page?: Page;
}

/** Starts everything, opens the workbench on the suite and waits for the extension host's exit code. */
async function driveSuite(run: Run): Promise<number> {
  run.dir = createRunDir();
  const workspace = createTestWorkspace(run.dir);
  run.server = await startCodeServer({
    workspace,
    userDataDir: join(run.dir, 'user-data'),
    extensionsDir: join(run.dir, 'extensions'),
    smokeTestDriver: true,
  });
  const url = suiteUrl(run.server, await readRemoteAuthority(run.server), workspace);
  run.browser = await launchBrowser();
  run.page = await run.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const { exited } = await exposeAutomationHooks(run.page);
  await run.page.goto(url);
  return exited;
}

async function tearDown(run: Run, passed: boolean): Promise<void> {
  await saveScreenshot(run.page);
  await run.browser?.close();
  await run.server?.stop();
  if (!run.dir) return;
  // The workspace and user data dir (with the workbench's logs) are kept when something failed.
  if (passed) rmSync(run.dir, { recursive: true, force: true });
  else console.error(`Workspace and VS Code user data kept in ${run.dir}`);
}

async function runSuite(): Promise<number> {
  if (!existsSync(suitePath)) {
    console.error(`${suitePath} does not exist; build it first (npm run build).`);
    return 1;
  }
  const started = Date.now();
  const run: Run = {};
  let code = 1;
  try {
    code = await withTimeout(driveSuite(run), timeoutSeconds);
    console.error(`VS Code suite finished with exit code ${code} in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
  } finally {
    if (code !== 0 && run.server) console.error(`code-server log:\n${run.server.log()}`);
    await tearDown(run, code === 0);
  }
  return code;
}

// Ctrl-C and CI cancellation end the process through process.exit, which lets codeServer.ts kill
// the code-server process group it started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(128 + constants.signals[signal]));

void runSuite().then((code) => {
  process.exitCode = code;
});
