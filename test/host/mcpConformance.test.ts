import assert from 'node:assert/strict';
import { CLIENT_SCENARIOS, runConformanceScenario } from '../mcp/conformance';

describe('MCP conformance suite (client scenarios)', function () {
  // The first run may install Node 24 with code-server into .vscode-test/.
  this.timeout(300_000);

  for (const scenario of CLIENT_SCENARIOS) {
    it(`passes ${scenario}`, async () => {
      const result = await runConformanceScenario(scenario);
      assert.ok(result.passed, `${scenario}: ${result.checks}\n${result.output.slice(-3000)}`);
    });
  }
});
