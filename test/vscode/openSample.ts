/**
 * `npm start`: opens Keel on a sample workspace. With VS Code's `code` on PATH it starts VS Code desktop with
 * this repo as the extension under development; otherwise it serves VS Code as code-server with the packaged
 * .vsix installed and prints the address to open in a browser. Runs until Ctrl+C.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { installExtension, repoRoot, startCodeServer } from './codeServer';

const sampleDir = join(repoRoot, '.vscode-test', 'sample');
const workspace = join(sampleDir, 'workspace');

function prepareWorkspace(): void {
  if (existsSync(workspace)) return;
  mkdirSync(sampleDir, { recursive: true });
  cpSync(join(repoRoot, 'test', 'vscode', 'workspace'), workspace, { recursive: true });
}

function hasCode(): boolean {
  return spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function openInCodeServer(): Promise<void> {
  const dirs = { userDataDir: join(sampleDir, 'user-data'), extensionsDir: join(sampleDir, 'extensions') };
  await installExtension(join(repoRoot, 'dist', 'keel.vsix'), dirs);
  // The sample lives inside this repository; without this, VS Code offers to open the parent repository.
  const settings = { 'git.openRepositoryInParentFolders': 'never', 'workbench.secondarySideBar.defaultVisibility': 'hidden' };
  const server = await startCodeServer({ workspace, ...dirs, settings });
  const url = `${server.url}/?folder=${encodeURIComponent(workspace)}`;
  process.stdout.write(`\nKeel is running in VS Code (code-server): open ${url}\n` +
    'The Keel sidebar opens on first use; run "Keel: Run Agent Task…" from the Command Palette (F1).\n' +
    'Models: Ollama at http://127.0.0.1:11434 by default, or "Keel: Set OpenAI API Key". Ctrl+C stops.\n');
  spawn('xdg-open', [url], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

prepareWorkspace();
if (hasCode()) {
  process.stdout.write(`Opening ${workspace} in VS Code with Keel from ${repoRoot}\n`);
  spawn('code', ['--extensionDevelopmentPath', repoRoot, workspace], { stdio: 'inherit' });
} else {
  openInCodeServer().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : error}\n`);
    process.exit(1);
  });
}
