/**
 * The Runs list as a user meets it: the packaged extension in code-server, scripted runs from the palette, and the
 * Keel panel's Runs view in Chromium. A window reload in the middle of a run with an edit pending, the run resumed
 * from the list with its inline prompt back; a finished run continued and undone; parallel subagents in the trace.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { until as poll } from '../until';
import { openWorkbench, repoRoot, type CodeServer } from '../vscode/codeServer';
import { answerFromPalette, runFromPalette, webviewFrame, SHOTS, screenshotWhenFailed } from './workbench';

const DOCS = join(repoRoot, 'docs', 'images');
const EDIT_GOAL = 'replace "world" with "keel" in greeting.txt';
const DELEGATE_GOAL = 'delegate in parallel [{"goal": "summarize notes.txt"}, {"goal": "summarize greeting.txt"}, {"goal": "summarize answer.ts"}]';

describe('the Runs list in the browser workbench', function () {
  this.timeout(240_000);
  let models: ModelServer;
  let server: CodeServer;
  let browser: Browser;
  let page: Page;
  let workspace: string;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    models = await startModelServer(scriptedAgent);
    ({ server, browser, page, workspace } = await openWorkbench({ 'keel.ollama.baseUrl': models.url, 'keel.model.timeoutSeconds': 60, 'keel.agent.maxSteps': 6, 'keel.router.retries': 0 }));
    // The Keel panel opens itself on first use; once it is up, it no longer takes the focus from the palette.
    await runsFrame();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await models?.close();
  });

  screenshotWhenFailed('e2e-runs', () => page);

  it('resumes a run after a window reload in the middle of it, with its inline prompt back, from the Runs list', async () => {
    await runTaskFromPalette(EDIT_GOAL);
    await page.locator('.codelens-decoration a', { hasText: 'Approve edit' }).waitFor({ timeout: 30_000 });
    let runs = await runsFrame();
    const waiting = runs.locator('li.run.state-waiting', { hasText: EDIT_GOAL });
    await waiting.waitFor({ timeout: 15_000 });
    assert.match(await waiting.locator('.badge').textContent() ?? '', /waiting on you/);
    // The status bar counts the run waiting on the user; clicking it goes to the approvals.
    await page.locator('.statusbar-item', { hasText: '1 waiting on you' }).waitFor({ timeout: 15_000 });

    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    runs = await runsFrame();
    const interrupted = runs.locator('li.run.state-interrupted', { hasText: EDIT_GOAL });
    await interrupted.waitFor({ timeout: 60_000 });
    await interrupted.locator('.run-head').click();
    await interrupted.getByRole('button', { name: 'Resume', exact: true }).click();

    const approve = page.locator('.codelens-decoration a', { hasText: 'Approve edit' });
    await approve.waitFor({ timeout: 30_000 });
    assert.equal(await readFile(join(workspace, 'greeting.txt'), 'utf8'), 'hello world\nsecond line\n', 'nothing is written before approval');
    await approve.click();
    await until('the file on disk to change', async () => (await readFile(join(workspace, 'greeting.txt'), 'utf8')) === 'hello keel\nsecond line\n');
    const succeeded = runs.locator('li.run.state-succeeded', { hasText: EDIT_GOAL });
    await succeeded.waitFor({ timeout: 30_000 });
    assert.equal(await runs.locator('li.run', { hasText: EDIT_GOAL }).count(), 1, 'one run, resumed under its own id');
    // Its conversation: the goal, the tool lines, the model's answer.
    const transcript = succeeded.locator('.transcript');
    await transcript.locator('.entry.role-tool', { hasText: 'propose_edit' }).waitFor({ timeout: 15_000 });
    await transcript.locator('.entry.role-user', { hasText: EDIT_GOAL }).waitFor();
    assert.match(await succeeded.locator('.meta').textContent() ?? '', /1 file changed/);
  });

  it('continues a finished run with a new message, and undoes its file changes after a confirmation naming them', async () => {
    const runs = await runsFrame();
    const run = runs.locator('li.run', { hasText: EDIT_GOAL });
    if ((await run.locator('.run-head').getAttribute('aria-expanded')) !== 'true') await run.locator('.run-head').click();
    await run.getByLabel('Continue the run with a new message:').fill('summarize notes.txt');
    await run.getByRole('button', { name: 'Continue', exact: true }).click();
    await run.locator('.transcript .entry.role-user.kind-continue', { hasText: 'summarize notes.txt' }).waitFor({ timeout: 30_000 });
    await runs.locator('li.run.state-succeeded', { hasText: EDIT_GOAL }).waitFor({ timeout: 30_000 });
    await until('the model\'s answer to the follow-up', async () => {
      const entries = await run.locator('.transcript .entry').evaluateAll((items) => items.map((item) => item.className));
      const followUp = entries.findIndex((c) => c.includes('kind-continue'));
      return followUp >= 0 && entries.slice(followUp + 1).some((c) => c.includes('role-assistant'));
    });
    await page.screenshot({ path: join(SHOTS, 'runs-continued.png') });

    await run.getByRole('button', { name: 'Undo…' }).click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 10_000 });
    assert.match(await dialog.innerText(), /^\s*greeting\.txt$/m, 'the confirmation names the file on a line of its own');
    assert.equal(await readFile(join(workspace, 'greeting.txt'), 'utf8'), 'hello keel\nsecond line\n', 'nothing is reverted before the user confirms');
    await dialog.getByRole('button', { name: 'Undo Run' }).click();
    await until('the file restored', async () => (await readFile(join(workspace, 'greeting.txt'), 'utf8')) === 'hello world\nsecond line\n');
  });

  it('cancels and steers runs from the list, goes to a stuck run\'s question, shows parallel subagents in the list and the trace, retries and dismisses a failed run', async () => {
    const runs = await runsFrame();
    await runTaskFromPalette('never answer (cancelled)');
    const hanging = runs.locator('li.run', { hasText: 'never answer (cancelled)' });
    await runs.locator('li.run.state-running', { hasText: 'never answer (cancelled)' }).waitFor({ timeout: 30_000 });
    await hanging.locator('.run-head').click();
    await hanging.getByRole('button', { name: 'Cancel', exact: true }).click();
    await runs.locator('li.run.state-cancelled', { hasText: 'never answer (cancelled)' }).waitFor({ timeout: 30_000 });

    // Reads README.md over and over until Keel stops it as stuck and asks the user: the run waits on them, and Answer
    // goes to the question.
    await runTaskFromPalette('loop forever');
    const stuck = runs.locator('li.run.state-waiting', { hasText: 'loop forever' });
    await stuck.waitFor({ timeout: 60_000 });
    await stuck.locator('.run-head').click();
    await stuck.getByRole('button', { name: 'Answer', exact: true }).click();
    await webviewFrame(page, 'li.question');
    // The model's server refuses (429, no retries): the run fails onto the dead-letter queue.
    await runTaskFromPalette('rate limited');
    await runs.locator('li.run.state-failed', { hasText: 'rate limited' }).waitFor({ timeout: 60_000 });
    // A running run is steered from the list: the message is part of its conversation at once.
    await runTaskFromPalette('never answer');
    const running = runs.locator('li.run.state-running', { hasText: 'never answer' }).first();
    await running.waitFor({ timeout: 30_000 });
    await running.locator('.run-head').click();
    await running.getByLabel('Steer the run: the agent reads this at its next step.').fill('leave the tests alone');
    await running.getByRole('button', { name: 'Steer', exact: true }).click();
    await running.locator('.transcript .entry.role-user.kind-steer', { hasText: 'leave the tests alone' }).waitFor({ timeout: 15_000 });

    await runTaskFromPalette(DELEGATE_GOAL);
    const run = runs.locator('li.run.state-succeeded', { hasText: 'delegate in parallel' });
    await run.waitFor({ timeout: 60_000 });
    await run.locator('.run-head').click();
    await run.locator('.transcript .entry.role-tool', { hasText: 'delegate' }).nth(2).waitFor({ timeout: 15_000 });
    // Room for the list in its picture: the other Keel views folded, notifications cleared.
    for (const title of ['Model', 'Traces', 'Approvals']) {
      const header = page.locator('.part.sidebar .pane-header[aria-expanded="true"]', { hasText: title });
      if (await header.count()) await header.first().click();
    }
    await runFromPalette(page, 'Notifications: Clear All Notifications');
    await page.setViewportSize({ width: 1400, height: 1250 });
    await runs.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(DOCS, 'runs-list.png'), clip: { x: 0, y: 0, width: 760, height: 1250 } });
    await page.setViewportSize({ width: 1400, height: 900 });

    await run.getByRole('button', { name: 'Open Trace', exact: true }).click();
    const trace = await webviewFrame(page, 'body[data-mode="panel"] .run-header');
    await trace.getByRole('button', { name: 'Show as timeline' }).click();
    const agents = trace.locator('.trace-view.timeline .row.span[data-operation="invoke_agent"]');
    await until('the parent and its three subagents', async () => (await agents.count()) >= 4);
    await runFromPalette(page, 'Notifications: Clear All Notifications');
    await page.screenshot({ path: join(DOCS, 'subagent-trace.png') });

    // A failed run is retried from the list (the model is asked again and refuses again), then dismissed from it.
    const failed = runs.locator('li.run', { hasText: 'rate limited' });
    await failed.locator('.run-head').click();
    const asked = models.requests.length;
    await failed.getByRole('button', { name: 'Retry', exact: true }).click();
    await until('the retried run to ask the model again', async () => models.requests.length > asked);
    await runs.locator('li.run.state-failed', { hasText: 'rate limited' }).waitFor({ timeout: 30_000 });
    await failed.getByRole('button', { name: 'Dismiss', exact: true }).click();
    await runs.locator('li.run.state-failed', { hasText: 'rate limited' }).waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('asks in the approval center whether to run again a command a window reload cut short, and goes on when it is skipped', async () => {
    const goal = 'call tool run_command with {"command": "sleep 30; echo ran >> repeat-marker.txt"}';
    let runs = await runsFrame();
    await runTaskFromPalette(goal);
    // Waiting on the user: the command's approval.
    await runs.locator('li.run.state-waiting', { hasText: 'sleep 30' }).waitFor({ timeout: 30_000 });
    await runFromPalette(page, 'Keel: Show Pending Approvals');
    const approvals = await webviewFrame(page, 'li.question.kind-tool');
    await approvals.locator('li.question.kind-tool').getByRole('button', { name: 'Approve', exact: true }).click();
    await runs.locator('li.run.state-running', { hasText: 'sleep 30' }).waitFor({ timeout: 30_000 });
    // The command has started (its intent is on disk before it starts); the reload stops the host in the middle of it.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    runs = await runsFrame();
    const interrupted = runs.locator('li.run.state-interrupted', { hasText: 'sleep 30' });
    await interrupted.waitFor({ timeout: 60_000 });
    await interrupted.locator('.run-head').click();
    await interrupted.getByRole('button', { name: 'Resume', exact: true }).click();

    await runFromPalette(page, 'Keel: Show Pending Approvals');
    const center = await webviewFrame(page, 'li.question.kind-repeat');
    const card = center.locator('li.question.kind-repeat');
    assert.match(await card.innerText(), /run_command may have run before Keel stopped/);
    assert.match(await card.innerText(), /sleep 30/);
    // The resumed run waits on this question, and the list says so.
    await runs.locator('li.run.state-waiting', { hasText: 'sleep 30' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(SHOTS, 'approval-center-repeat.png') });
    await card.getByRole('button', { name: 'Skip', exact: true }).click();
    await card.waitFor({ state: 'detached', timeout: 15_000 });
    await runs.locator('li.run.state-succeeded', { hasText: 'sleep 30' }).waitFor({ timeout: 30_000 });
    await assert.rejects(readFile(join(workspace, 'repeat-marker.txt'), 'utf8'), 'the command cut short by the reload was not run again');
  });

  it('plans a workflow for a goal, shows its script read-only, and saves and runs it only on "Save and Run"', async () => {
    await answerFromPalette(page, 'Keel: Plan Workflow…', 'What hard goal should Keel split', 'summarize greeting.txt and summarize notes.txt');
    const toast = page.locator('.notification-toast', { hasText: 'Keel planned a workflow' });
    await toast.waitFor({ timeout: 30_000 });
    // The script, read-only beside the question, and not saved yet.
    const tab = page.locator('.tabs-container .tab', { hasText: /\.js$/ }).first();
    await tab.waitFor({ timeout: 15_000 });
    const name = (await tab.getAttribute('aria-label'))!.split(',')[0]!.trim();
    await assert.rejects(readFile(join(workspace, '.keel', 'workflows', name), 'utf8'), 'nothing is saved before the user says so');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    assert.match(await editor.innerText(), /parallel\(/);
    await editor.locator('.view-lines').click();
    await page.keyboard.type('x');
    await page.locator('.monaco-editor-overlaymessage', { hasText: 'Cannot edit in read-only editor' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SHOTS, 'workflow-planned.png') });
    await toast.getByRole('button', { name: 'Save and Run' }).click();

    const saved = await until('the script to be saved', () => readFile(join(workspace, '.keel', 'workflows', name), 'utf8').then((text) => /parallel\(/.test(text), () => false));
    assert.ok(saved);
    const runs = await runsFrame();
    await runs.locator('li.run.state-succeeded', { hasText: 'summarize greeting.txt and summarize notes.txt' }).waitFor({ timeout: 30_000 });
  });

  function runTaskFromPalette(goal: string): Promise<void> {
    return answerFromPalette(page, 'Keel: Run Agent Task', 'What should the agent do?', goal);
  }

  /** The Runs list's webview frame; "Keel: Show Runs" brings the view up. */
  function runsFrame(): Promise<Frame> {
    return webviewFrame(page, 'ul.runs', 'Keel: Show Runs');
  }
});

/** The workbench in a browser can be slow on a loaded machine: its waits get longer than the default. */
function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<true> {
  return poll(what, probe, timeoutMs);
}
