import * as l10n from '@vscode/l10n';
import { Cron } from 'croner';
import { minimatch } from 'minimatch';
import { kindOf, type Trigger, type TriggerKind } from './triggerFile';

/** What the engine needs from outside; VS Code in the product, a fake clock in tests. */
export interface TriggerHost {
  /** Starts a run for the trigger; resolves when the run ends. */
  start(trigger: Trigger, goal: string): Promise<void>;
  now(): number;
  setTimer(callback: () => void, ms: number): { dispose(): void };
  /** When each schedule trigger last ran, kept across windows, so a slot missed while VS Code was closed runs once. */
  lastScheduled(name: string): number | undefined;
  rememberScheduled(name: string, at: number): void;
  log(message: string): void;
}

/** How the view shows a trigger. */
export interface TriggerState {
  readonly trigger: Trigger;
  readonly paused: boolean;
  readonly running: boolean;
  readonly lastRun?: number;
  readonly nextRun?: number;
  /** Why the last event did not start a run (rate limit), until the next run. */
  readonly skipped?: string;
}

type FileEventKind = Extract<TriggerKind, 'fileSaved' | 'fileCreated' | 'fileDeleted'>;

const HOUR_MS = 60 * 60 * 1000;
/** The most files a goal names; a burst touching more says how many were left out. */
const MAX_FILES_IN_GOAL = 20;
/** Timers cannot wait longer than about 24.8 days; a later slot is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Slot {
  trigger: Trigger;
  paused: boolean;
  running: boolean;
  burst: Set<string>;
  debounce?: { dispose(): void };
  schedule?: { dispose(): void };
  started: number[];
  lastRun?: number;
  nextRun?: number;
  skipped?: string;
}

/**
 * Turns workspace events into runs: each trigger's events within its debounce window are one burst and start one run,
 * events while its run is going are ignored (they are most often the run's own edits), at most `maxRunsPerHour` runs
 * start, and a schedule slot missed while VS Code was closed runs once, not once per slot. It never decides what a run
 * may do: a triggered run asks for approval like any other.
 */
export class TriggerEngine {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly host: TriggerHost) {}

  /** Replaces the triggers (the file changed); pauses set in the view survive for triggers that keep their name. */
  setTriggers(triggers: readonly Trigger[]): void {
    const previous = new Map(this.slots);
    this.dispose();
    for (const trigger of triggers) {
      const before = previous.get(trigger.name);
      const slot: Slot = { trigger, paused: before?.paused ?? trigger.paused, running: before?.running ?? false, burst: new Set(), started: before?.started ?? [], ...(before?.lastRun ? { lastRun: before.lastRun } : {}) };
      this.slots.set(trigger.name, slot);
      if (kindOf(trigger) === 'schedule') this.schedule(slot, true);
    }
  }

  states(): TriggerState[] {
    return [...this.slots.values()].map((s) => ({
      trigger: s.trigger, paused: s.paused, running: s.running,
      ...(s.lastRun !== undefined ? { lastRun: s.lastRun } : {}), ...(s.nextRun !== undefined ? { nextRun: s.nextRun } : {}), ...(s.skipped ? { skipped: s.skipped } : {}),
    }));
  }

  fileEvent(kind: FileEventKind, path: string): void {
    for (const slot of this.slots.values()) {
      const on = slot.trigger.on as Partial<Record<FileEventKind, string[]>>;
      if (on[kind] && matches(on[kind]!, path)) this.collect(slot, path);
    }
  }

  /** A file has more problems of a trigger's severity than before. */
  newDiagnostics(path: string, severity: 'error' | 'warning'): void {
    for (const slot of this.slots.values()) {
      if (kindOf(slot.trigger) !== 'diagnostics') continue;
      const on = (slot.trigger.on as { diagnostics: { globs: string[]; severity: 'error' | 'warning' } }).diagnostics;
      // A trigger on warnings fires for errors too; one on errors, only for errors.
      if ((on.severity === 'warning' || severity === 'error') && matches(on.globs, path)) this.collect(slot, path);
    }
  }

  /** "Run now" from the view or the palette: any trigger, paused or not, still under its rate limit. */
  runNow(name: string): boolean {
    const slot = this.slots.get(name);
    if (!slot) return false;
    this.fire(slot, []);
    return true;
  }

  setPaused(name: string, paused: boolean): void {
    const slot = this.slots.get(name);
    if (!slot) return;
    slot.paused = paused;
    if (paused) {
      slot.burst.clear();
      slot.debounce?.dispose();
      slot.debounce = undefined;
    }
  }

  dispose(): void {
    for (const slot of this.slots.values()) {
      slot.debounce?.dispose();
      slot.schedule?.dispose();
    }
    this.slots.clear();
  }

  private collect(slot: Slot, path: string): void {
    if (slot.paused || slot.running) return;
    slot.burst.add(path);
    slot.debounce?.dispose();
    slot.debounce = this.host.setTimer(() => {
      slot.debounce = undefined;
      const files = [...slot.burst];
      slot.burst.clear();
      this.fire(slot, files);
    }, slot.trigger.debounceMs);
  }

  private fire(slot: Slot, files: readonly string[]): void {
    if (slot.running) return;
    const now = this.host.now();
    slot.started = slot.started.filter((t) => now - t < HOUR_MS);
    if (slot.started.length >= slot.trigger.maxRunsPerHour) {
      slot.skipped = l10n.t('skipped at {0}: {1} runs in the last hour ({2})', new Date(now).toLocaleTimeString(), slot.trigger.maxRunsPerHour, 'maxRunsPerHour');
      this.host.log(`trigger "${slot.trigger.name}" ${slot.skipped}`);
      return;
    }
    slot.started.push(now);
    slot.running = true;
    slot.lastRun = now;
    slot.skipped = undefined;
    const goal = goalFor(slot.trigger, files);
    this.host.log(`trigger "${slot.trigger.name}" starts a run: ${goal}`);
    void this.host
      .start(slot.trigger, goal)
      .catch((error: unknown) => this.host.log(`trigger "${slot.trigger.name}": the run did not start: ${(error as Error).message}`))
      .finally(() => (slot.running = false));
  }

  /** Arms the next slot; on first arming, a slot missed since the last run (VS Code was closed) runs once now. */
  private schedule(slot: Slot, arming: boolean): void {
    const cron = new Cron((slot.trigger.on as { schedule: string }).schedule, { paused: true });
    const now = this.host.now();
    if (arming) {
      const last = this.host.lastScheduled(slot.trigger.name);
      if (last === undefined) this.host.rememberScheduled(slot.trigger.name, now);
      else {
        const missed = cron.nextRun(new Date(last));
        if (missed && missed.getTime() <= now && !slot.paused) {
          this.host.rememberScheduled(slot.trigger.name, now);
          this.fire(slot, []);
        }
      }
    }
    const next = cron.nextRun(new Date(now));
    cron.stop();
    slot.nextRun = next?.getTime();
    if (slot.nextRun === undefined) return;
    slot.schedule = this.host.setTimer(() => {
      if (this.host.now() >= slot.nextRun!) {
        this.host.rememberScheduled(slot.trigger.name, this.host.now());
        if (!slot.paused) this.fire(slot, []);
      }
      this.schedule(slot, false);
    }, Math.min(MAX_TIMER_MS, Math.max(0, slot.nextRun - now)));
  }
}

function matches(patterns: readonly string[], path: string): boolean {
  return patterns.some((pattern) => minimatch(path, pattern, { dot: true }));
}

/** The goal with `${file}` (the first path) and `${files}` (every path, each quoted: a name is the workspace's words). */
export function goalFor(trigger: Trigger, files: readonly string[]): string {
  const shown = files.slice(0, MAX_FILES_IN_GOAL).map((f) => JSON.stringify(f));
  const more = files.length > MAX_FILES_IN_GOAL ? ` and ${files.length - MAX_FILES_IN_GOAL} more` : '';
  return trigger.goal.replaceAll('${files}', shown.join(', ') + more).replaceAll('${file}', files[0] ?? '');
}
