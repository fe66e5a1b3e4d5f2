import assert from 'node:assert/strict';
import { CLIENT_SCENARIOS, runConformanceScenario } from '../mcp/conformance';
import { ensureCodeServer } from '../vscode/codeServer';

describe('MCP conformance suite (client scenarios)', function () {
  this.timeout(120_000);

  before(async function () {
    // The suite needs Node >= 22; the first run on a machine installs Node 24 with code-server into .vscode-test/.
    this.timeout(20 * 60_000);
    await ensureCodeServer();
  });

  for (const scenario of CLIENT_SCENARIOS) {
    it(`passes ${scenario}`, async () => {
      const result = await runConformanceScenario(scenario);
      assert.ok(result.passed, `${scenario}: ${result.checks}\n${result.output.slice(-3000)}`);
    });
  }
});
