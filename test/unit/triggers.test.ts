import assert from 'node:assert/strict';
import { parseTriggerFile, type Trigger } from '../../extension/triggers/triggerFile';
import { goalFor, TriggerEngine, type TriggerHost } from '../../extension/triggers/triggerEngine';

/** A clock the test moves by hand, with the timers the engine sets on it. */
class FakeHost implements TriggerHost {
  time = Date.parse('2026-12-06T10:00:00Z');
  private timers: { at: number; callback: () => void; live: boolean }[] = [];
  readonly runs: { trigger: string; goal: string }[] = [];
  readonly logs: string[] = [];
  readonly scheduled = new Map<string, number>();
  private finish: (() => void)[] = [];

  async start(trigger: Trigger, goal: string): Promise<void> {
    this.runs.push({ trigger: trigger.name, goal });
    await new Promise<void>((resolve) => this.finish.push(resolve));
  }
  /** Ends every run in progress. */
  async endRuns(): Promise<void> {
    for (const done of this.finish.splice(0)) done();
    await new Promise((resolve) => setImmediate(resolve));
  }
  now(): number {
    return this.time;
  }
  setTimer(callback: () => void, ms: number) {
    const timer = { at: this.time + ms, callback, live: true };
    this.timers.push(timer);
    return { dispose: () => void (timer.live = false) };
  }
  lastScheduled(name: string): number | undefined {
    return this.scheduled.get(name);
  }
  rememberScheduled(name: string, at: number): void {
    this.scheduled.set(name, at);
  }
  log(message: string): void {
    this.logs.push(message);
  }
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.time = due.at;
      due.callback();
    }
    this.time = until;
  }
}

function trigger(fields: Partial<Trigger> & Pick<Trigger, 'name' | 'on'>): Trigger {
  return { goal: 'summarize ${file}', debounceMs: 1000, maxRunsPerHour: 6, paused: false, ...fields };
}

describe('triggers', () => {
  describe('the engine', () => {
    it('starts one run per burst of saves, naming the files, and ignores events while that run goes on', async () => {
      const host = new FakeHost();
      const engine = new TriggerEngine(host);
      engine.setTriggers([trigger({ name: 'docs', on: { fileSaved: ['docs/**/*.md'] }, goal: 'review ${files}' })]);
      engine.fileEvent('fileSaved', 'docs/a.md');
      host.advance(500);
      engine.fileEvent('fileSaved', 'docs/b.md');
      engine.fileEvent('fileSaved', 'src/x.ts');
      engine.fileEvent('fileCreated', 'docs/c.md');
      host.advance(999);
      assert.equal(host.runs.length, 0, 'the burst is still going');
      host.advance(1);
      assert.deepEqual(host.runs, [{ trigger: 'docs', goal: 'review "docs/a.md", "docs/b.md"' }]);
      // The run's own saves do not start another run.
      engine.fileEvent('fileSaved', 'docs/a.md');
      host.advance(5000);
      assert.equal(host.runs.length, 1);
      await host.endRuns();
      engine.fileEvent('fileSaved', 'docs/a.md');
      host.advance(1000);
      assert.equal(host.runs.length, 2);
    });

    it('stops at maxRunsPerHour and says so, then runs again an hour later', async () => {
      const host = new FakeHost();
      const engine = new TriggerEngine(host);
      engine.setTriggers([trigger({ name: 'fix', on: { diagnostics: { globs: ['src/**'], severity: 'error' } }, maxRunsPerHour: 2 })]);
      for (let i = 0; i < 4; i++) {
        engine.newDiagnostics('src/a.ts', 'error');
        host.advance(1000);
        await host.endRuns();
      }
      assert.equal(host.runs.length, 2);
      assert.match(engine.states()[0]!.skipped!, /2 runs in the last hour/);
      engine.newDiagnostics('src/a.ts', 'warning');
      host.advance(1000);
      assert.equal(host.runs.length, 2, 'warnings do not fire a trigger on errors');
      host.advance(60 * 60 * 1000);
      engine.newDiagnostics('src/a.ts', 'error');
      host.advance(1000);
      assert.equal(host.runs.length, 3);
    });

    it('runs a schedule slot missed while VS Code was closed once, not once per slot, then keeps the schedule', async () => {
      const host = new FakeHost();
      // Last ran three days ago; a daily 03:00 schedule missed three slots.
      host.scheduled.set('nightly', host.time - 3 * 24 * 60 * 60 * 1000);
      const engine = new TriggerEngine(host);
      engine.setTriggers([trigger({ name: 'nightly', on: { schedule: '0 3 * * *' }, goal: 'tidy up' })]);
      assert.deepEqual(host.runs.map((r) => r.goal), ['tidy up']);
      await host.endRuns();
      host.advance(24 * 60 * 60 * 1000);
      assert.equal(host.runs.length, 2, 'the next 03:00 ran');
    });

    it('does not run a schedule the first time it is seen, and a paused trigger starts nothing', async () => {
      const host = new FakeHost();
      const engine = new TriggerEngine(host);
      engine.setTriggers([trigger({ name: 'hourly', on: { schedule: '0 * * * *' } }), trigger({ name: 'saves', on: { fileSaved: ['**/*'] } })]);
      assert.equal(host.runs.length, 0);
      engine.setPaused('hourly', true);
      engine.setPaused('saves', true);
      engine.fileEvent('fileSaved', 'a.txt');
      host.advance(2 * 60 * 60 * 1000);
      assert.equal(host.runs.length, 0);
      // Pauses survive the file being read again.
      engine.setTriggers([trigger({ name: 'saves', on: { fileSaved: ['**/*'] } })]);
      engine.fileEvent('fileSaved', 'a.txt');
      host.advance(2000);
      assert.equal(host.runs.length, 0);
      assert.equal(engine.runNow('saves'), true, 'run now works on a paused trigger');
      assert.equal(host.runs.length, 1);
    });

    it('quotes file names in ${files} and says how many were left out', () => {
      const files = Array.from({ length: 23 }, (_, i) => `f${i}.ts`);
      const goal = goalFor(trigger({ name: 'x', on: { command: true }, goal: 'look at ${files}' }), ['a "quoted" name.ts', ...files]);
      assert.match(goal, /^look at "a \\"quoted\\" name\.ts", "f0\.ts"/);
      assert.match(goal, /and 4 more$/);
    });
  });

  describe('the file', () => {
    it('reads a valid file with comments and fills in defaults', () => {
      const result = parseTriggerFile(`{
        // nightly
        "triggers": [{ "name": "nightly", "on": { "schedule": "0 3 * * *" }, "goal": "tidy up" },],
      }`);
      assert.ok(result.ok);
      assert.deepEqual(result.triggers[0], { name: 'nightly', on: { schedule: '0 3 * * *' }, goal: 'tidy up', debounceMs: 1500, maxRunsPerHour: 6, paused: false });
    });

    for (const [what, text, line, message] of [
      ['a syntax error', '{\n  "triggers": [\n    { "name": "a" "on": {} }\n  ]\n}', 3, /not valid JSON/],
      ['an unknown event', '{\n  "triggers": [\n    {\n      "name": "a",\n      "on": { "fileRenamed": ["x"] },\n      "goal": "g"\n    }\n  ]\n}', 5, /triggers\.0\.on/],
      ['a bad cron', '{\n  "triggers": [\n    {\n      "name": "a",\n      "on": { "schedule": "every day" },\n      "goal": "g"\n    }\n  ]\n}', 5, /cron expression/],
      ['a missing goal', '{\n  "triggers": [\n    {\n      "name": "a",\n      "on": { "command": true }\n    }\n  ]\n}', 3, /triggers\.0\.goal/],
      ['a duplicate name', '{ "triggers": [\n { "name": "a", "on": { "command": true }, "goal": "g" },\n { "name": "a", "on": { "command": true }, "goal": "g" } ] }', 3, /two triggers are named "a"/],
      ['an absurd rate', '{ "triggers": [\n { "name": "a", "on": { "command": true }, "goal": "g",\n "maxRunsPerHour": 100000 } ] }', 3, /maxRunsPerHour/],
    ] as const) {
      it(`refuses ${what}, naming the line and the field`, () => {
        const result = parseTriggerFile(text);
        assert.equal(result.ok, false);
        if (result.ok) return;
        assert.equal(result.line, line, result.message);
        assert.match(result.message, message);
      });
    }

    it('refuses a huge file and prototype keys without harm', () => {
      assert.equal(parseTriggerFile(`{"triggers": [], "x": "${'a'.repeat(300 * 1024)}"}`).ok, false);
      const polluted = parseTriggerFile('{"triggers": [], "__proto__": {"polluted": true}}');
      assert.equal(polluted.ok, false);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  });
});
