import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Accounting, BudgetExceededError } from '../../host/models';
import type { Reservation } from '../../host/models/accounting';
import { tempDir } from './helpers';

const noon = new Date(2026, 10, 24, 12, 0, 0).getTime();
const who = { runId: 'run-1', agent: 'keel' };

function spend(accounting: Accounting, costUsd: number, spender = who): void {
  const hold = accounting.reserve(spender, costUsd) as Reservation;
  assert.ok('settle' in hold, 'the test spends within its budgets');
  hold.settle({ modelId: 'gpt-4o', inputTokens: 1000, outputTokens: 100, costUsd });
}

describe('usage accounting', () => {
  it('keeps the day\'s spending across a host restart', async () => {
    const dir = await tempDir();
    const before = new Accounting({ budgets: {}, dir, now: () => noon });
    await before.ready();
    spend(before, 0.25);
    spend(before, 0.5, { runId: 'run-2', agent: 'planner' });
    await before.flush();

    const after = new Accounting({ budgets: { perDayUsd: 1 }, dir, now: () => noon + 60_000 });
    await after.ready();
    assert.deepEqual(after.dayTotals(), { calls: 2, inputTokens: 2000, outputTokens: 200, costUsd: 0.75 });
    assert.equal(after.dayTotals({ agent: 'planner' }).costUsd, 0.5);
    assert.equal(after.dayTotals({ modelId: 'gpt-4o' }).calls, 2);
    assert.equal(after.runTotals('run-1').calls, 0, 'run totals do not outlive the host');
    assert.equal(after.breach(who, 0.3)?.scope, 'day', 'the daily budget still counts what was spent before the restart');
    const file = JSON.parse(await readFile(join(dir, 'usage-2026-11-24.json'), 'utf8'));
    assert.equal(file.byAgent.keel.costUsd, 0.25);
  });

  it('starts fresh from a corrupt ledger, keeps the bad file and says so', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'usage-2026-11-24.json'), '{"version": 1, "day": "2026-11-24", "total": {');
    const logged: string[] = [];
    const accounting = new Accounting({ budgets: {}, dir, now: () => noon, log: (m) => logged.push(m) });
    await accounting.ready();
    assert.equal(accounting.dayTotals().calls, 0);
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /usage-2026-11-24\.json was unreadable \(it is not valid JSON: .*\)\. It was kept as .*usage-2026-11-24\.json\.corrupt-\d+, and today's spending starts from zero/);
    const files = await readdir(dir);
    assert.ok(files.some((f) => f.startsWith('usage-2026-11-24.json.corrupt-')));
    spend(accounting, 0.1);
    await accounting.flush();
    assert.equal(JSON.parse(await readFile(join(dir, 'usage-2026-11-24.json'), 'utf8')).total.costUsd, 0.1, 'a fresh ledger replaces it');
  });

  it('treats a ledger with the wrong shape as corrupt too', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'usage-2026-11-24.json'), JSON.stringify({ version: 1, day: '2026-11-24', total: { costUsd: 'lots' } }));
    const logged: string[] = [];
    const accounting = new Accounting({ budgets: {}, dir, now: () => noon, log: (m) => logged.push(m) });
    await accounting.ready();
    assert.match(logged[0]!, /its fields are not a usage ledger/);
  });

  it('starts each local day from zero', async () => {
    let now = noon;
    const accounting = new Accounting({ budgets: { perDayUsd: 1 }, now: () => now });
    await accounting.ready();
    spend(accounting, 0.9);
    assert.ok(accounting.breach(who, 0.2));
    now += 24 * 3600_000;
    assert.equal(accounting.dayTotals().costUsd, 0);
    assert.equal(accounting.breach(who, 0.2), undefined);
  });

  it('reports the tightest budget a call would break, and forgets a run\'s approval when it ends', async () => {
    const accounting = new Accounting({ budgets: { perRunUsd: 1, perDayUsd: 0.5 }, now: () => noon });
    spend(accounting, 0.4);
    const breach = accounting.breach(who, 0.2)!;
    assert.deepEqual(breach, { scope: 'day', limitUsd: 0.5, spentUsd: 0.4, nextCallUsd: 0.2, setting: 'keel.budget.perDayUsd' });
    assert.equal(new BudgetExceededError(breach, who).message, 'Stopped before going over the day budget. Keel has spent $0.4000 of its $0.5000 daily budget today, and the next model call could cost up to $0.2000. Raise "keel.budget.perDayUsd" (or clear it for no limit) to continue.');
    accounting.approveOverrun('run-1', 'day');
    assert.equal(accounting.breach(who, 0.2), undefined);
    assert.equal(accounting.breach({ runId: 'run-2', agent: 'keel' }, 0.2)?.scope, 'day', 'the approval is for run-1 only');
    assert.deepEqual(accounting.endRun('run-1'), { calls: 1, inputTokens: 1000, outputTokens: 100, costUsd: 0.4 });
    assert.equal(accounting.breach(who, 0.2)?.scope, 'day');
  });

  it('applies changed budget settings to the next check', () => {
    const accounting = new Accounting({ budgets: {}, now: () => noon });
    spend(accounting, 0.4);
    assert.equal(accounting.breach(who, 0.2), undefined);
    accounting.setBudgets({ perAgentUsd: 0.5 });
    assert.equal(accounting.breach(who, 0.2)?.setting, 'keel.budget.perAgentUsd');
  });

  it('counts calls in flight at their worst case until they settle or are released', () => {
    const accounting = new Accounting({ budgets: { perRunUsd: 1 }, now: () => noon });
    const first = accounting.reserve(who, 0.6) as Reservation;
    assert.equal((accounting.reserve(who, 0.6) as { scope: string }).scope, 'run');
    first.release();
    const second = accounting.reserve(who, 0.6) as Reservation;
    second.settle({ modelId: 'm', inputTokens: 10, outputTokens: 10, costUsd: 0.1 });
    assert.ok('settle' in accounting.reserve(who, 0.8), 'only the actual $0.10 counts once settled');
  });
});
