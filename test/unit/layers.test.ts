import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const repo = join(__dirname, '..', '..');

/** The messages lint gives `code` as if it were the file at `path` (repository-relative). */
async function lint(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repo });
  const [result] = await eslint.lintText(code, { filePath: join(repo, path) });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layer order in lint', function () {
  this.timeout(60_000);

  for (const [path, code, layer] of [
    ['host/models/leak.ts', "import { recall } from '../memory/recall/recall';\nexport const r = recall;\n", 'models/ may not import sandbox, memory'],
    ['host/memory/leak.ts', "import { ToolRegistry } from '../tools/registry';\nexport const r = ToolRegistry;\n", 'memory/ may not import governance, tools or orchestration'],
    ['host/tools/leak.ts', "import { runAgent } from '../orchestration/agentLoop';\nexport const r = runAgent;\n", 'tools/ may not import orchestration'],
    ['host/observability/leak.ts', "import { resolveInside } from '../../protocol/node/paths';\nimport { ApprovalBroker } from '../governance/approvals';\nexport const r = [resolveInside, ApprovalBroker];\n", 'observability/ may not import another host layer'],
    ['host/sandbox/leak.ts', "import { connectModel } from '../models/connect';\nexport const r = connectModel;\n", 'sandbox/ may not import models'],
    ['host/governance/leak.ts', "import { runJsTool } from '../tools/runJs';\nexport const r = runJsTool;\n", 'governance/ may not import tools or orchestration'],
    ['host/orchestration/leak.ts', "import { Toolbox } from '../toolbox';\nexport const r = Toolbox;\n", 'no layer imports it'],
    ['extension/leak.ts', "import { ToolRegistry } from '../host/tools/registry';\nexport const r = ToolRegistry;\n", 'The extension talks to the host only through protocol/'],
    ['webview-ui/leak.ts', "import { resolveInside } from '../protocol/node/paths';\nexport const r = resolveInside;\n", 'The webview runs in a browser'],
    ['protocol/leak.ts', "import { redacted } from '../host/observability/redaction';\nexport const r = redacted;\n", 'protocol/ is the bottom layer'],
  ] as const) {
    it(`fails a backwards import: ${path}`, async () => {
      const messages = await lint(path, code);
      assert.ok(messages.some((m) => m.startsWith('import-x/no-restricted-paths') && m.includes(layer)), messages.join('\n') || 'no lint error');
    });
  }

  it('fails a file-level cycle', async () => {
    // agentLoop.ts imports runContext.ts; a runContext.ts that imports agentLoop.ts back closes a circle.
    const messages = await lint('host/orchestration/runContext.ts', "import { AGENT_NAME } from './agentLoop';\nexport const name = AGENT_NAME;\n");
    assert.ok(messages.some((m) => m.startsWith('import-x/no-cycle')), messages.join('\n') || 'no lint error');
  });

  it('lets each layer import the layers below it', async () => {
    const messages = await lint('host/tools/fine.ts', "import { redacted } from '../observability/redaction';\nimport { recall } from '../memory/recall/recall';\nimport { ApprovalBroker } from '../governance/approvals';\nimport { resolveInside } from '../../protocol/node/paths';\nexport const r = [redacted, recall, ApprovalBroker, resolveInside];\n");
    assert.deepEqual(messages.filter((m) => m.startsWith('import-x/')), []);
  });
});
