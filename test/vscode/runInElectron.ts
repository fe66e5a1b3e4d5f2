// Runs dist/test/suite.js in desktop VS Code, which @vscode/test-electron downloads into
// .vscode-test/: `node --import tsx test/vscode/runInElectron.ts`. For machines that can reach
// update.code.visualstudio.com; elsewhere runInCodeServer.ts runs the same suite. On a Linux
// machine without a display, run it under xvfb-run.
// KEEL_VSCODE_VERSION picks the VS Code version (default: the latest stable release).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { createRunDir, createTestWorkspace, repoRoot } from './codeServer.ts';

async function main(): Promise<number> {
  const runDir = createRunDir();
  const workspace = createTestWorkspace(runDir);
  try {
    // Resolves with exit code 0; any other exit rejects with a TestRunFailedError.
    await runTests({
      version: process.env.KEEL_VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: join(repoRoot, 'dist', 'test', 'suite.js'),
      // The extension under test runs alone: the developer's own extensions stay out of the way.
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    });
    return 0;
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    return 1;
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

void main().then((code) => {
  process.exitCode = code;
});
