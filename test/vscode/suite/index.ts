// The entry VS Code loads as extensionTestsPath. esbuild bundles it, with mocha, into
// dist/test/suite.js, so test files are imported by name rather than found with a glob.
import Mocha from 'mocha';

// One line per test file. They are imported lazily because a test file calls `describe` as it
// loads, and those globals exist only once mocha has emitted pre-require. esbuild still bundles
// every one of them, since each import names its file.
const testFiles: Array<() => Promise<unknown>> = [
  () => import('./smoke.test'),
  () => import('./extension.test'),
  () => import('./memory.test'),
  () => import('./models.test'),
  () => import('./mcpOAuth.test'),
  () => import('./triggers.test'),
  () => import('./metrics.test'),
  () => import('./jsonValidation.test'),
  () => import('./workflows.test'),
  () => import('./runUndo.test'),
  () => import('./firstRun.test'),
];

async function loadTests(mocha: Mocha): Promise<void> {
  for (const [index, load] of testFiles.entries()) {
    const file = `test file ${index + 1}`;
    // What `mocha.loadFiles()` does for each file on disk: pre-require defines the BDD globals.
    mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_PRE_REQUIRE, globalThis, file, mocha);
    mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_REQUIRE, await load(), file, mocha);
    mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_POST_REQUIRE, globalThis, file, mocha);
  }
}

/** VS Code's extensionTestsPath contract: resolve when the tests passed, reject when any failed. */
export async function run(): Promise<void> {
  // The spec reporter prints through console.log, which the extension host forwards to the
  // workbench, and from there the smoke test driver hands it to codeAutomationLog.
  // KEEL_SUITE_GREP narrows the run, e.g. to the smoke tests the host benchmark needs.
  const grep = process.env.KEEL_SUITE_GREP;
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec', ...(grep ? { grep } : {}) });
  await loadTests(mocha);
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} test${failures === 1 ? '' : 's'} failed.`);
}
