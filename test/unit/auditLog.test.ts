import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditLog, contentHash, verifyAuditLog, type AuditEvent } from '../../host/governance/auditLog';
import { ApprovalBroker } from '../../host/governance/approvals';
import { builtinTools, type ToolContext } from '../../host/tools';
import { consent, headlessWorkspace, recordingTrace, tempDir } from './helpers';

const events: AuditEvent[] = [
  { kind: 'run_start', runId: 'r1', goal: 'rename the parser' },
  { kind: 'approval', runId: 'r1', subject: 'run_command', decision: 'approved', decidedBy: 'user' },
  { kind: 'tool_call', runId: 'r1', tool: 'run_command', risk: 'execute', arguments: '{"command":"npm test"}' },
  { kind: 'tool_result', runId: 'r1', tool: 'run_command', ok: true },
  { kind: 'run_end', runId: 'r1', outcome: 'succeeded', costUsd: 0.01 },
];

async function written(): Promise<{ dir: string; lines: string[] }> {
  const dir = await tempDir();
  const log = new AuditLog(dir);
  await Promise.all(events.map((event) => log.append(event)));
  return { dir, lines: (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n') };
}

async function rewrite(dir: string, lines: string[], end = '\n'): Promise<void> {
  await writeFile(join(dir, 'audit.jsonl'), lines.join('\n') + end);
}

describe('audit log', () => {
  it('chains every record to the one before, in order, across a reopen', async () => {
    const { dir, lines } = await written();
    assert.deepEqual(lines.map((l) => JSON.parse(l).seq), [1, 2, 3, 4, 5]);
    assert.deepEqual(await verifyAuditLog(dir), { ok: true, records: 5 });
    await new AuditLog(dir).append({ kind: 'run_start', runId: 'r2', goal: 'again' });
    assert.deepEqual(await verifyAuditLog(dir), { ok: true, records: 6 });
  });

  it('continues the chain after a crash left its head file empty', async () => {
    const { dir } = await written();
    // What kill -9 between truncating and writing the head used to leave.
    await writeFile(join(dir, 'audit.head.json'), '');
    await new AuditLog(dir).append({ kind: 'run_start', runId: 'r2', goal: 'after the crash' });
    assert.deepEqual(await verifyAuditLog(dir), { ok: true, records: 6 });
  });

  it('finds each kind of tampering at the record where it happened', async () => {
    const cases: [string, (lines: string[]) => string[], number, RegExp][] = [
      ['a changed byte', (l) => l.map((line, i) => (i === 2 ? line.replace('npm test', 'npm tesT') : line)), 3, /does not match its hash/],
      ['a deleted record', (l) => l.filter((_, i) => i !== 1), 2, /does not follow record 1/],
      ['two records swapped', (l) => [l[0]!, l[2]!, l[1]!, l[3]!, l[4]!], 2, /does not follow record 1/],
      ['an inserted record', (l) => [l[0]!, l[0]!, ...l.slice(1)], 2, /does not follow record 1/],
      ['records cut from the end', (l) => l.slice(0, 3), 4, /records at the end were removed/],
    ];
    for (const [what, tamper, line, reason] of cases) {
      const { dir, lines } = await written();
      await rewrite(dir, tamper(lines));
      const result = await verifyAuditLog(dir);
      assert.equal(result.ok, false, what);
      assert.equal(result.broken!.line, line, what);
      assert.match(result.broken!.reason, reason, what);
    }
  });

  it('reports a record torn by a crash instead of dropping it, and carries on after it', async () => {
    const { dir, lines } = await written();
    await appendFile(join(dir, 'audit.jsonl'), '{"seq":6,"time":"2026-');
    const torn = await verifyAuditLog(dir);
    assert.equal(torn.ok, false);
    assert.equal(torn.broken!.line, 6);
    assert.match(torn.broken!.reason, /last record is incomplete/);
    assert.equal(lines.length, 5);
  });

  it('redacts what it records', async () => {
    const dir = await tempDir();
    const secret = ['hunter2', 'Xyz9Q'].join('');
    await new AuditLog(dir).append({ kind: 'tool_call', runId: 'r', tool: 'run_command', risk: 'execute', arguments: JSON.stringify({ command: `export DB_PASSWORD=${secret}` }) });
    assert.ok(!(await readFile(join(dir, 'audit.jsonl'), 'utf8')).includes(secret));
    assert.equal((await verifyAuditLog(dir)).ok, true);
  });

  it('records an approval and a side-effecting call before it runs, and not a read', async () => {
    const dir = await tempDir();
    const root = await tempDir();
    const log = new AuditLog(dir);
    const workspace = headlessWorkspace(root, { edit: async () => ({ decision: 'approved' }), toolCall: async () => ({ decision: 'approved' }) });
    const context: ToolContext = { runId: 'r9', policy: { allowHosts: [], commandSandbox: 'off' }, workspace, approvals: new ApprovalBroker(consent({ reviewToolCall: async () => ({ decision: 'approved' }) }), 1000, log), audit: log, span: recordingTrace().root, signal: new AbortController().signal };
    await builtinTools().call({ id: 'c1', name: 'list_files', arguments: {} }, context);
    await builtinTools().call({ id: 'c2', name: 'run_command', arguments: { command: 'cat audit-probe.txt 2>/dev/null; true' } }, context);
    const records = (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(records.map((r) => [r.kind, r.subject ?? r.tool, r.decision ?? r.ok ?? r.risk]), [
      ['approval', 'run_command', 'approved'],
      ['tool_call', 'run_command', 'execute'],
      ['tool_result', 'run_command', true],
    ]);
  });

  it('records the files a run changed with the SHA-256 of their content before and after', async () => {
    const dir = await tempDir();
    const root = await tempDir();
    await writeFile(join(root, 'a.ts'), 'const a = 1;\n');
    const log = new AuditLog(dir);
    const workspace = headlessWorkspace(root, { edit: async () => ({ decision: 'approved' }), toolCall: async () => ({ decision: 'approved' }) });
    const context: ToolContext = { runId: 'r3', policy: { allowHosts: [], commandSandbox: 'off' }, workspace, approvals: new ApprovalBroker(workspace, 1000, log), audit: log, span: recordingTrace().root, signal: new AbortController().signal };
    await builtinTools().call({ id: 'c1', name: 'propose_edit', arguments: { path: 'a.ts', old_text: 'const a = 1;', new_text: 'const a = 2;' } }, context);
    await builtinTools().call({ id: 'c2', name: 'create_file', arguments: { path: 'b.ts', content: 'export {};\n' } }, context);
    const changes = (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.kind === 'file_change');
    assert.deepEqual(changes.map((r) => [r.path, r.before, r.after]), [
      ['a.ts', contentHash('const a = 1;\n'), contentHash('const a = 2;\n')],
      ['b.ts', null, contentHash('export {};\n')],
    ]);
    assert.equal((await verifyAuditLog(dir)).ok, true);
  });
});
