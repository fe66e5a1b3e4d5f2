/**
 * Metrics and alerts as a user meets them: the packaged extension in code-server, a few scripted runs from the palette
 * (one of which fails), the error-rate alert's notification and status bar warning, and the Metrics view it opens.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { scriptedAgent } from '../fixtures/scriptedAgent';
import { until } from '../until';
import { openWorkbench, type CodeServer } from '../vscode/codeServer';
import { answerFromPalette, SHOTS, screenshotWhenFailed } from './workbench';


describe('Metrics and alerts in the browser workbench', function () {
  this.timeout(240_000);
  let models: ModelServer;
  let server: CodeServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    models = await startModelServer(scriptedAgent);
    ({ server, browser, page } = await openWorkbench({
      'keel.ollama.baseUrl': models.url,
      'keel.model.timeoutSeconds': 20,
      'keel.agent.maxSteps': 3,
      // One failed run in three is over a 30% error rate.
      'keel.alerts.errorRate': { threshold: 0.3, window: '1h', minRuns: 3 },
      // The failed run also lands on the dead-letter queue; that alert has its own tests.
      'keel.alerts.deadLetterQueue': false,
    }));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await models?.close();
  });

  screenshotWhenFailed('e2e-metrics', () => page);

  it('counts scripted runs, raises the error-rate alert once with a status bar warning, and shows the Metrics view', async () => {
    await runTaskFromPalette('summarize greeting.txt');
    await notification('greeting.txt has');
    await runTaskFromPalette('summarize greeting.txt');
    await notification('greeting.txt has');
    // Reads README.md over and over until the step limit fails the run.
    await runTaskFromPalette('loop forever');

    const alert = page.locator('.notification-toast', { hasText: 'Keel alert:' });
    await alert.waitFor({ timeout: 60_000 });
    assert.match(await alert.innerText(), /33\.3% of the runs that finished in the last hour failed \(1 of 3\), above the 30% alert threshold/);
    const status = page.locator('.statusbar-item', { hasText: 'Keel: 1 alert' });
    await status.waitFor();

    await alert.getByRole('button', { name: 'Show Metrics' }).click();
    const view = await metricsFrame();
    await view.locator('.tile').first().waitFor();
    const tiles = await view.locator('.tile').allInnerTexts();
    assert.ok(tiles.some((t) => /Completion rate\s+66\.7%\s+2 of 3 runs/.test(t)), tiles.join(' | '));
    assert.ok(tiles.some((t) => /Error rate\s+33\.3%/.test(t)), tiles.join(' | '));
    await view.locator('.alerts li', { hasText: 'above the 30% alert threshold' }).waitFor();
    assert.equal(await view.locator('.chart canvas').count(), 4, 'four charts drawn');
    const tools = await view.locator('table', { hasText: 'By tool' }).locator('tbody th').allInnerTexts();
    assert.deepEqual(tools, ['read_file']);
    const models = await view.locator('table', { hasText: 'By model' }).locator('tbody th').allInnerTexts();
    assert.deepEqual(models, ['qwen2.5-coder:7b']);

    // The window selector asks the host again.
    await view.getByRole('radio', { name: '1 h' }).click();
    await until('the 1 h window', async () => (await view.locator('.status').innerText()).includes('the last hour'));
    // Fired once: the notification that opened the view was the episode's only one.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(await page.locator('.notification-toast', { hasText: 'Keel alert:' }).count(), 0);
    await status.waitFor();

    // Room for the picture: the other Keel views folded, the sidebar wider.
    const others = page.locator('.part.sidebar .pane-header[aria-expanded="true"]').filter({ hasNotText: 'Metrics' });
    while (await others.count()) await others.first().click();
    // The sash is the sidebar's right edge.
    const sidebar = (await page.locator('.part.sidebar').boundingBox())!;
    const edge = { x: sidebar.x + sidebar.width + 1, y: sidebar.y + 40 };
    await page.mouse.move(edge.x, edge.y);
    await page.mouse.down();
    await page.mouse.move(edge.x + 260, edge.y, { steps: 8 });
    await page.mouse.up();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await page.screenshot({ path: join(SHOTS, 'metrics.png') });
  });

  function runTaskFromPalette(goal: string): Promise<void> {
    return answerFromPalette(page, 'Keel: Run Agent Task', 'What should the agent do?', goal);
  }

  /** Waits for a notification and closes it, so the next one is the one looked for. */
  async function notification(text: string): Promise<void> {
    const toast = page.locator('.notification-toast', { hasText: text }).first();
    await toast.waitFor({ timeout: 30_000 });
    await toast.hover();
    await toast.locator('.codicon-notifications-clear').click().catch(() => undefined);
    await toast.waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
  }

  async function metricsFrame(): Promise<Frame> {
    let found: Frame | undefined;
    await until('the Metrics view', async () => {
      for (const frame of page.frames()) {
        if (await frame.locator('#metrics .metrics-toolbar').count().catch(() => 0)) {
          found = frame;
          return true;
        }
      }
      return false;
    }, 30_000);
    return found!;
  }
});
