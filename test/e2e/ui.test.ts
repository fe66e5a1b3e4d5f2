/**
 * The packaged extension as a user meets it: installed from dist/keel.vsix into code-server, driven through
 * the command palette, the inline CodeLens prompt and the sidebar trace viewer in Chromium.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { until as poll } from '../until';
import { openWorkbench, repoRoot, type CodeServer } from '../vscode/codeServer';
import { answerFromPalette, runFromPalette, webviewFrame, SHOTS, screenshotWhenFailed } from './workbench';

/** A run header whose run has ended (a running run's header says `running`, or its root span's status). */
const FINISHED = ['succeeded', 'failed', 'cancelled', 'interrupted'].map((o) => `.run-result[data-outcome="${o}"]`).join(', ');
const EVERYTHING = join(repoRoot, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');

describe('Keel in the browser workbench', function () {
  this.timeout(180_000);
  let models: ModelServer;
  let server: CodeServer;
  let browser: Browser;
  let page: Page;
  let workspace: string;
  let runDir: string;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    models = await startModelServer(scriptedAgent);
    ({ runDir, server, browser, page, workspace } = await openWorkbench({ 'keel.ollama.baseUrl': models.url, 'keel.openai.baseUrl': `${models.url}/v1`, 'keel.mcp.servers': { everything: { command: process.execPath, args: [EVERYTHING, 'stdio'] } }, 'keel.model.timeoutSeconds': 20 }, { width: 1400, height: 850 }));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await models?.close();
  });

  screenshotWhenFailed('e2e', () => page);

  it('runs a task from the palette, shows the edit inline and live spans, and applies it on Approve', async () => {
    await runTaskFromPalette('replace "world" with "keel" in greeting.txt');

    const approve = page.locator('.codelens-decoration a', { hasText: 'Approve edit' });
    await approve.waitFor({ timeout: 30_000 });
    await page.locator('.codelens-decoration a', { hasText: 'Deny' }).waitFor();
    // The replaced text carries an inline decoration (struck through, with the replacement after it).
    const struck = page.locator('.view-lines .view-line span[class*="ced-"]').first();
    await struck.waitFor();
    // Hovering it shows the edit as a diff: a plain heading and a code block, whatever the model wrote into the edit.
    await struck.hover();
    const hover = page.locator('.monaco-hover', { hasText: 'Keel proposes (run ' });
    await hover.waitFor({ timeout: 10_000 });
    assert.match((await hover.innerText()).replace(/\s+/g, ' '), /^Keel proposes \(run [0-9a-f]{8}\): - world \+ keel ?$/);
    await page.mouse.move(0, 0);
    const trace = await traceFrame();
    await trace.locator('.row[data-operation="approval"][data-status="running"]').waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(SHOTS, 'inline-approval.png') });
    assert.equal(await readFile(join(workspace, 'greeting.txt'), 'utf8'), 'hello world\nsecond line\n');

    await approve.click();
    await until('the file on disk to change', async () => (await readFile(join(workspace, 'greeting.txt'), 'utf8')) === 'hello keel\nsecond line\n');
    await trace.locator('.run-result[data-outcome="succeeded"]').first().waitFor({ timeout: 15_000 });
    const names = await trace.locator('.row .name').allTextContents();
    for (const name of ['invoke_agent keel', 'chat ollama/qwen2.5-coder:7b', 'execute_tool read_file', 'execute_tool propose_edit', 'approval propose_edit']) {
      assert.ok(names.includes(name), `the trace viewer shows ${name}; it shows ${names.join(', ')}`);
    }
    // The inline prompt goes once the edit is applied.
    await approve.waitFor({ state: 'detached', timeout: 10_000 });
    // The second model call's details, right under its row: the conversation so far, loaded from the host's store.
    await trace.locator('.row.span', { hasText: 'chat ollama/qwen2.5-coder:7b' }).nth(1).click();
    await trace.locator('.details dt', { hasText: 'Usage' }).waitFor();
    const conversation = trace.locator('.details .conversation');
    await conversation.waitFor({ timeout: 15_000 });
    await conversation.locator('.chat-message.role-user', { hasText: 'replace "world" with "keel" in greeting.txt' }).waitFor();
    await conversation.locator('.tool-call', { hasText: 'Calls read_file' }).first().waitFor();
    await conversation.locator('.chat-message.role-tool', { hasText: 'hello world' }).waitFor();
    assert.equal(await trace.locator('.details dt[title="keel.route.reason"]').textContent(), 'Why this model', 'labels are readable, the raw key on hover');
    await page.screenshot({ path: join(SHOTS, 'trace-chat.png') });
  });

  it('leaves the file unchanged on Deny and shows the run in the trace viewer', async () => {
    await runTaskFromPalette('replace "alpha" with "omega" in notes.txt');
    const deny = page.locator('.codelens-decoration a', { hasText: 'Deny' });
    await deny.waitFor({ timeout: 30_000 });
    const trace = await traceFrame();
    await trace.locator('.row[data-operation="approval"][data-status="running"]').waitFor({ timeout: 15_000 });
    await deny.click();
    // Only rows in view are in the page, and the Keel sidebar holds other views too: look at the newest run only.
    await until('the run to finish', async () => (await trace.locator('.run-header').first().locator(FINISHED).count()) > 0);
    const newest = trace.locator('.run-header').first();
    assert.match(await newest.locator('.run-result .message').textContent() ?? '', /denied the edit to notes.txt/);
    assert.equal(await readFile(join(workspace, 'notes.txt'), 'utf8'), 'alpha\nbeta\ngamma\n');
    // The inline prompt goes once the edit is denied (VS Code redraws CodeLens after a short debounce).
    await deny.waitFor({ state: 'detached', timeout: 10_000 });
    await page.screenshot({ path: join(SHOTS, 'after-deny.png') });
  });

  it('asks before an MCP tool runs, with Allow in a notification', async () => {
    await runTaskFromPalette('call tool mcp__everything__get-sum with {"a": 20, "b": 22}');
    const toast = page.locator('.notification-toast', { hasText: 'Run get-sum from MCP server "everything"?' });
    await toast.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'mcp-approval.png') });
    await toast.getByRole('button', { name: 'Allow', exact: true }).click();
    const trace = await traceFrame();
    await until('the MCP run to finish', async () => ((await trace.locator('.run-header').first().locator('.run-result .message').textContent()) ?? '').includes('get-sum said'));
    assert.equal(await trace.locator('.run-header').first().locator('.run-result .message').textContent(), 'mcp__everything__get-sum said: The sum of 20 and 22 is 42.');
    assert.ok(await trace.locator('.row .name', { hasText: 'execute_tool mcp__everything__get-sum' }).count() > 0);
  });

  it('uses OpenAI with the key stored by "Keel: Set OpenAI API Key"', async () => {
    await answerFromPalette(page, 'Keel: Set OpenAI API Key', 'Leave empty to remove the stored key', 'sk-e2e-secret');
    await runTaskFromPalette('summarize notes.txt');
    const trace = await traceFrame();
    await trace.locator('.row .name', { hasText: 'chat openai/gpt-4o-mini' }).first().waitFor({ timeout: 15_000 });
    await until('the OpenAI run to finish', async () => (await trace.locator('.run-header').first().locator(FINISHED).count()) > 0);
    assert.match(await trace.locator('.run-header').first().locator('.run-result .message').textContent() ?? '', /notes.txt has 3 lines/);
    assert.equal(models.requests.at(-1)!.api, 'openai');
    assert.equal(models.requests.at(-1)!.headers.authorization, 'Bearer sk-e2e-secret');
  });

  it('adds a priced model with "Keel: Configure Models…" and shows each routed call\'s model, cost and reason', async () => {
    await answerFromPalette(page, 'Keel: Configure Models', 'Keel: Configure Models', 'OpenAI or compatible');
    const answers: [string, string][] = [['Server URL', `${models.url}/v1`], ['Model name', 'gpt-4o'], ['Context window', '128000'], ['Price per 1M tokens', '2.5 10'], ['API key', '']];
    for (const [title, answer] of answers) {
      await page.locator('.quick-input-widget', { hasText: title }).waitFor();
      await page.locator('.quick-input-widget input').fill(answer);
      await page.locator('.quick-input-widget input').press('Enter');
    }
    await page.locator('.notification-toast', { hasText: 'Added 127.0.0.1/gpt-4o' }).waitFor({ timeout: 15_000 });

    await runTaskFromPalette('summarize greeting.txt');
    const trace = await traceFrame();
    const chat = trace.locator('.row.span', { hasText: 'chat 127.0.0.1/gpt-4o' }).first();
    await chat.waitFor({ timeout: 30_000 });
    await until('the routed run to finish', async () => (await trace.locator('.run-header').first().locator(FINISHED).count()) > 0);
    assert.match(await chat.locator('.meta').textContent() ?? '', /\d+→\d+ tok · \$0\.\d{4}/);
    await chat.click();
    // The details are drawn again when the call's content arrives.
    await trace.locator('.details .conversation').waitFor({ timeout: 15_000 });
    const reason = trace.locator('.details dd', { hasText: 'the only eligible model' });
    await reason.waitFor();
    await reason.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'routed-chat.png') });
    assert.equal(models.requests.at(-1)!.model, 'gpt-4o');
  });

  describe('approval center', () => {
    it('lists an edit with its diff in the Keel panel; approving there applies it and clears the inline prompt', async () => {
      await runTaskFromPalette('replace "gamma" with "delta" in notes.txt');
      const inline = page.locator('.codelens-decoration a', { hasText: 'Approve edit' });
      await inline.waitFor({ timeout: 30_000 });
      const center = await approvalsFrame();
      const card = center.locator('li.question.kind-edit', { hasText: 'Edit notes.txt' });
      await card.waitFor({ timeout: 15_000 });
      assert.equal(await card.locator('.diff-line.removed').textContent(), '-gamma');
      assert.equal(await card.locator('.diff-line.added').textContent(), '+delta');
      assert.match((await card.locator('.run').textContent()) ?? '', /replace "gamma" with "delta" in notes\.txt/);
      assert.equal(await card.locator('.form-reason').isVisible(), false, 'the reason form opens only on "Deny with reason…"');
      await page.screenshot({ path: join(SHOTS, 'approval-center-edit.png') });
      await card.getByRole('button', { name: 'Approve', exact: true }).click();
      await until('the file on disk to change', async () => (await readFile(join(workspace, 'notes.txt'), 'utf8')) === 'alpha\nbeta\ndelta\n');
      await inline.waitFor({ state: 'detached', timeout: 10_000 });
      await card.waitFor({ state: 'detached', timeout: 10_000 });
    });

    it('shows an agent\'s ask_user question with a text box, and the answer reaches the model', async () => {
      await runTaskFromPalette('call tool ask_user with {"question": "Tabs or spaces?", "context": "The repo mixes both."}');
      const center = await approvalsFrame();
      const card = center.locator('li.question.kind-question', { hasText: 'Tabs or spaces?' });
      await card.waitFor({ timeout: 30_000 });
      assert.equal(await card.locator('.detail').textContent(), 'The repo mixes both.');
      await card.getByLabel('Your answer:').fill('Tabs, like the Makefile.');
      await page.screenshot({ path: join(SHOTS, 'approval-center-question.png') });
      await card.getByRole('button', { name: 'Send answer' }).click();
      const trace = await traceFrame();
      await until('the answer to reach the run', async () => ((await trace.locator('.run-header').first().locator('.run-result .message').textContent()) ?? '').includes('Tabs, like the Makefile.'));
      await card.waitFor({ state: 'detached', timeout: 10_000 });
    });

    it('takes a card down when the edit is answered inline in the editor', async () => {
      await runTaskFromPalette('replace "beta" with "zeta" in notes.txt');
      const center = await approvalsFrame();
      const card = center.locator('li.question.kind-edit', { hasText: 'Edit notes.txt' });
      await card.waitFor({ timeout: 30_000 });
      await page.locator('.codelens-decoration a', { hasText: 'Deny' }).click();
      await card.waitFor({ state: 'detached', timeout: 10_000 });
      assert.equal(await center.locator('.empty').isVisible(), true);
      assert.equal(await readFile(join(workspace, 'notes.txt'), 'utf8'), 'alpha\nbeta\ndelta\n');
    });

    it('runs a command with the arguments the user corrected, and sends a denial\'s reason to the model', async () => {
      await runTaskFromPalette('call tool run_command with {"command": "echo wrong-words"}');
      const center = await approvalsFrame();
      const card = center.locator('li.question.kind-tool');
      await card.waitFor({ timeout: 30_000 });
      await card.getByRole('button', { name: 'Edit arguments…' }).click();
      const editor = card.getByLabel('Arguments (JSON), as they should run:');
      await editor.fill('{ "command": "echo right-words" }');
      await page.screenshot({ path: join(SHOTS, 'approval-center-arguments.png') });
      await card.getByRole('button', { name: 'Approve with these arguments' }).click();
      const trace = await traceFrame();
      await until('the corrected command to run', async () => ((await trace.locator('.run-header').first().locator('.run-result .message').textContent()) ?? '').includes('right-words'));
      const message = (await trace.locator('.run-header').first().locator('.run-result .message').textContent()) ?? '';
      assert.match(message, /The user corrected the arguments/);
      assert.doesNotMatch(message, /\nwrong-words/);

      await runTaskFromPalette('call tool run_command with {"command": "rm -rf build"}');
      const second = center.locator('li.question.kind-tool');
      await second.waitFor({ timeout: 30_000 });
      await second.getByRole('button', { name: 'Deny with reason…' }).click();
      await second.getByLabel('Tell the agent why, or what to do instead:').fill('use git clean -fdX instead');
      await second.getByRole('button', { name: 'Deny and tell the agent' }).click();
      await until('the denial to reach the run', async () => ((await trace.locator('.run-header').first().locator('.run-result .message').textContent()) ?? '').includes('git clean -fdX'));
    });

    it('shows a command\'s parts and whether it is sandboxed, and writes the Always allow rule it showed into the workspace policy', async () => {
      await runTaskFromPalette('follow plan [{"tool": "run_command", "args": {"command": "echo one && echo two"}}, {"tool": "run_command", "args": {"command": "echo two"}}]');
      const center = await approvalsFrame();
      const card = center.locator('li.question.kind-tool', { hasText: 'echo one && echo two' });
      await card.waitFor({ timeout: 30_000 });
      assert.equal(await card.getByLabel('Full command').textContent(), 'echo one && echo two');
      const parts = card.getByRole('list', { name: 'Parts (2):' }).getByRole('listitem');
      assert.deepEqual(await parts.allTextContents(), ['echo one — no rule matches it', 'echo two — no rule matches it']);
      assert.match((await card.locator('.sandbox').textContent()) ?? '', /^ (Sandboxed: It runs in the OS sandbox|Runs unsandboxed: Commands are not sandboxed)/);
      await withApprovalsAlone(async () => {
        await card.getByLabel('Full command').scrollIntoViewIfNeeded();
        await page.screenshot({ path: join(SHOTS, 'approval-center-command-parts.png') });
      });
      await card.getByRole('button', { name: 'Always allow…' }).click();
      await card.getByLabel('As a rule in the workspace policy (.keel/policy.jsonc)').check();
      const preview = card.getByLabel('The rule, exactly as it would be written');
      assert.equal(await preview.textContent(), '.keel/policy.jsonc:\ndefault.commands.allow += "echo one", "echo two"');
      await withApprovalsAlone(() => page.screenshot({ path: join(SHOTS, 'approval-center-always-allow.png') }));
      await card.getByRole('button', { name: 'Write the rule and allow' }).click();
      await until('the rule in .keel/policy.jsonc', async () => /"allow": \[\s*"echo one",\s*"echo two"\s*\]/.test(await readFile(join(workspace, '.keel', 'policy.jsonc'), 'utf8').catch(() => '')));
      // The second call (`echo two`) is covered by the rule for the rest of the run: no second card.
      const trace = await traceFrame();
      await until('the run to finish', async () => ((await trace.locator('.run-header').first().locator('.run-result .message').textContent()) ?? '').includes('Plan done'));
      assert.equal(await center.locator('li.question.kind-tool').count(), 0);
    });

    it('approves an edit from its diff view, which takes down the card and the inline prompt', async () => {
      await runTaskFromPalette('replace "alpha" with "omega" in notes.txt');
      const center = await approvalsFrame();
      // By its run: an edit an earlier test left unanswered may be waiting on the same file.
      const card = center.locator('li.question.kind-edit', { hasText: 'replace "alpha" with "omega"' });
      await card.waitFor({ timeout: 30_000 });
      await card.getByRole('button', { name: 'Open diff' }).click();
      const approve = page.locator('.editor-actions .action-label[aria-label="Approve Edit"]');
      await approve.waitFor({ timeout: 15_000 });
      assert.equal(await page.locator('.editor-actions .action-label[aria-label="Deny Edit"]').count(), 1);
      await page.screenshot({ path: join(SHOTS, 'approval-diff-view.png') });
      await approve.click();
      await until('the file on disk to change', async () => (await readFile(join(workspace, 'notes.txt'), 'utf8')).startsWith('omega\nbeta\n'));
      await card.waitFor({ state: 'detached', timeout: 10_000 });
      await page.locator('.codelens-decoration a', { hasText: 'Approve edit' }).waitFor({ state: 'detached', timeout: 10_000 });
      await approve.waitFor({ state: 'detached', timeout: 10_000 });
    });
  });

  // Nested suites run after the outer tests: these come after the approval center's, and shutdown comes last.
  describe('trace viewer', () => {
    it('shows a run as a timeline, filters and searches it, keeps the runs across a reload, and compares two from the history', async () => {
      // Room for the viewer and its pictures: the other Keel views folded, earlier notifications cleared.
      for (const title of ['Runs', 'Approvals', 'Triggers', 'Metrics', 'Failed Tasks']) {
        const header = page.locator('.part.sidebar .pane-header[aria-expanded="true"]', { hasText: title });
        if (await header.count()) await header.first().click();
      }
      await runFromPalette(page, 'Notifications: Clear All Notifications');
      let trace = await traceFrame();
      await trace.getByRole('button', { name: 'Show as timeline' }).click();
      await trace.locator('.trace-view.timeline').waitFor();
      await trace.getByRole('button', { name: 'Show as tree' }).click();

      // A run from the history in an editor tab, for more room: its timeline, then a model call's conversation.
      await trace.getByRole('tab', { name: 'History' }).click();
      await trace.locator('.run-item', { hasText: 'replace "world" with "keel"' }).getByRole('button', { name: 'Open in an editor tab' }).click();
      const panel = await webviewFrame(page, 'body[data-mode="panel"] .run-header');
      assert.equal(await panel.locator('.run-header .run-title').textContent(), 'replace "world" with "keel" in greeting.txt', 'the run is titled by its goal');
      await panel.getByRole('button', { name: 'Show as timeline' }).click();
      await panel.locator('.trace-view.timeline .row.span[data-operation="approval"]').waitFor();
      await page.screenshot({ path: join(SHOTS, 'trace-timeline.png') });
      await panel.getByRole('button', { name: 'Show as tree' }).click();
      await panel.locator('.row.span[data-operation="chat"]').nth(1).click();
      const toolCall = panel.locator('.details .conversation .tool-call', { hasText: 'Calls read_file' });
      await toolCall.waitFor({ timeout: 15_000 });
      await toolCall.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, 'trace-chat-panel.png') });

      // The keyboard: arrows move through the tree (a screen reader hears each row's level), Enter opens the details.
      await panel.locator('.scroller').evaluate((scroller) => scroller.scrollTo({ top: 0 }));
      await panel.locator('.run-header .run-title').click();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      const focused = panel.locator('.row.span.focused');
      await until('the focus on the root agent\'s first child', async () => (await focused.getAttribute('aria-level').catch(() => null)) === '3');
      // The tree names the focused row for screen readers (read together, once the focus has settled).
      await until('the tree to name the focused row', () => panel.evaluate(() => {
        const row = document.querySelector('.row.span.focused');
        return row !== null && document.querySelector('[role="tree"]')?.getAttribute('aria-activedescendant') === row.id;
      }));
      await page.keyboard.press('Enter');
      await until('its details right under it', () => focused.evaluate((row) => row.nextElementSibling?.classList.contains('details') ?? false));

      // A tool call names its file: the details open it in the editor.
      await panel.locator('.row.span', { hasText: 'execute_tool read_file' }).click();
      await panel.getByRole('button', { name: 'Open greeting.txt' }).click();
      await page.locator('.tabs-container .tab.active', { hasText: 'greeting.txt' }).waitFor({ timeout: 10_000 });
      await trace.getByRole('tab', { name: 'Runs' }).click();

      // Only tool calls, with the spans above them shown as context.
      await trace.locator('.chip[data-kind="tools"]').click();
      await until('only tool calls to match', async () => {
        const operations = await trace.locator('.row.span:not(.context)').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.operation));
        return operations.length > 0 && operations.every((op) => op === 'execute_tool');
      });
      await trace.locator('.chip[data-kind="tools"]').click();

      // With the viewer focused, Ctrl+F searches the trace rather than the editor.
      await trace.locator('.run-header .run-title').first().click();
      await page.keyboard.press('Control+f');
      const search = trace.locator('.trace-view .search');
      await until('the search box to have focus', () => search.evaluate((input) => input === document.activeElement));
      await page.keyboard.type('notes.txt');
      await until('matches counted', async () => /^\d+ match/.test((await trace.locator('.match-count').textContent()) ?? ''));
      const matching = await trace.locator('.row.span:not(.context) .name').allTextContents();
      assert.ok(matching.includes('execute_tool read_file'), `spans that mention notes.txt: ${matching.join(', ')}`);
      await page.screenshot({ path: join(SHOTS, 'trace-search.png') });
      await page.keyboard.press('Escape');

      // After a window reload the history lists the runs from the host's trace store (opening it starts the host).
      await page.reload();
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      trace = await traceFrame();
      await trace.getByRole('tab', { name: 'History' }).click();
      const runs = trace.locator('.run-item');
      await until('the history of runs', async () => (await runs.count()) >= 5);
      await runs.filter({ hasText: 'summarize notes.txt' }).first().locator('input[type=checkbox]').check();
      await runs.filter({ hasText: 'summarize greeting.txt' }).first().locator('input[type=checkbox]').check();
      await page.screenshot({ path: join(SHOTS, 'trace-history.png') });
      await trace.getByRole('button', { name: 'Compare' }).click();
      const compare = await webviewFrame(page, 'table.compare');
      const model = compare.locator('table.compare tr', { has: compare.locator('th', { hasText: /^Model$/ }) });
      await until('both models side by side', async () => (await model.locator('td').allTextContents()).sort().join(' | ') === 'gpt-4o | gpt-4o-mini');
      assert.match(await model.getAttribute('class') ?? '', /differs/);
      await page.screenshot({ path: join(SHOTS, 'trace-compare.png') });

      // With the host up again, the recent runs are back in the live view too.
      await trace.getByRole('tab', { name: 'Runs' }).click();
      await until('the kept runs back in the viewer', async () => (await trace.locator(FINISHED).count()) > 0);
    });
  });

  describe('shutdown', () => {
    it('stops cleanly, leaving no agent host or code-server process behind', async () => {
      await server.stop();
      const leftovers = processesMentioning(runDir);
      assert.deepEqual(leftovers, [], `still running: ${leftovers.join('\n')}`);
    });
  });

  function runTaskFromPalette(goal: string): Promise<void> {
    return answerFromPalette(page, 'Keel: Run Agent Task', 'What should the agent do?', goal);
  }

  /** Runs `act` with the Runs and Traces views collapsed, so the Approvals view has the sidebar's height (for screenshots). */
  async function withApprovalsAlone<T>(act: () => Promise<T>): Promise<T> {
    const headers = ['Runs', 'Traces'].map((title) => page.locator('.pane-header').filter({ has: page.locator('h3.title', { hasText: new RegExp(`^${title}$`) }) }).first());
    const expanded = async (header: (typeof headers)[number]) => (await header.getAttribute('aria-expanded')) === 'true';
    const collapsed: typeof headers = [];
    for (const header of headers) {
      if (await expanded(header).catch(() => false)) {
        await header.click();
        collapsed.push(header);
      }
    }
    try {
      return await act();
    } finally {
      for (const header of collapsed) await header.click();
    }
  }

  /** The sidebar trace viewer's inner webview frame. */
  function traceFrame(): Promise<Frame> {
    return webviewFrame(page, 'body[data-mode="sidebar"] #app .toolbar');
  }

  /** The approval center's webview frame; "Keel: Show Pending Approvals" brings the view up. */
  function approvalsFrame(): Promise<Frame> {
    return webviewFrame(page, 'ul.questions', 'Keel: Show Pending Approvals');
  }
});

/** Command lines of live processes that mention `text`, e.g. a run directory holding the installed extension. */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (command.includes(text)) found.push(`${pid}: ${command}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** The workbench in a browser can be slow on a loaded machine: its waits get longer than the default. */
function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<true> {
  return poll(what, probe, timeoutMs);
}
