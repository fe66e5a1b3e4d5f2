import type { QuickJSEngine } from './engine';
import { GuestRealm } from './guest';
import { DEFAULT_LIMITS } from './limits';

/** Enough for an execution to start at once even if the previous one finished a moment ago. */
const SPARE_REALMS = 2;
/** Used realms holding more than this together are freed before the next execution rather than when idle. */
const FREE_FIRST_ABOVE_BYTES = 1024 * 1024;

/**
 * Fresh guest realms for one worker. Building a realm (a QuickJS runtime and context with all its built-ins)
 * costs more than a small execution, so a couple are kept ready and each is used for exactly one execution.
 * Used realms are freed and spares rebuilt once the worker is idle, after a timer: that work then neither
 * delays the reply just sent nor competes with the main thread the moment it gets the reply.
 */
export class RealmSupply {
  private readonly spares: Promise<GuestRealm>[] = [];
  private readonly used: GuestRealm[] = [];
  private usedBytes = 0;
  private engineFailed = false;
  private idleWork: NodeJS.Timeout | undefined;

  constructor(private readonly engine: QuickJSEngine) {
    this.topUp();
  }

  /** Settles when the first realm is ready; rejects if QuickJS cannot load. */
  ready(): Promise<unknown> {
    return this.spares[0]!;
  }

  /** A fresh realm in an instance that leaves room for `memoryBytes`. */
  async take(memoryBytes: number): Promise<GuestRealm> {
    // What earlier executions still hold must not crowd this one; a little, in an instance that never grew, can wait.
    const crowded = this.usedBytes > FREE_FIRST_ABOVE_BYTES || this.used.some((realm) => this.engine.hasGrown(realm.module));
    if (crowded || this.engineFailed) this.freeUsed();
    const realm = await (this.spares.shift() ?? this.prepare());
    if (this.engine.fits(realm.module, memoryBytes)) return realm;
    // An earlier execution with a larger limit grew this instance past what this one may use.
    realm.dispose();
    this.renew();
    return this.prepare();
  }

  /** Takes back a used realm, to be freed when the worker is next idle. */
  giveBack(realm: GuestRealm, memoryUsedBytes: number, engineFailed: boolean): void {
    this.used.push(realm);
    this.usedBytes += memoryUsedBytes;
    this.engineFailed ||= engineFailed;
    this.idleWork ??= setTimeout(() => {
      this.idleWork = undefined;
      this.freeUsed();
      // WebAssembly memory never shrinks: an instance a large execution grew is replaced while the worker is idle.
      if (this.engine.outgrew(DEFAULT_LIMITS.memoryBytes)) this.renew();
      this.topUp();
    }, 0);
  }

  private freeUsed(): void {
    // QuickJS 0.32 can abort while freeing a runtime after some workloads (issues #257, #269); the results
    // are already out, and a new WebAssembly instance replaces the broken one.
    for (const realm of this.used.splice(0)) if (!realm.dispose()) this.engineFailed = true;
    this.usedBytes = 0;
    if (this.engineFailed) {
      this.engineFailed = false;
      this.renew();
    }
  }

  /** Moves to a new WebAssembly instance; spares built in the old one go with it. */
  private renew(): void {
    this.spares.length = 0;
    this.engine.renew();
  }

  private topUp(): void {
    while (this.spares.length < SPARE_REALMS) {
      const spare = this.prepare();
      // A spare that fails to build fails the execution that takes it; until then it is no unhandled rejection.
      spare.catch(() => undefined);
      this.spares.push(spare);
    }
  }

  private async prepare(): Promise<GuestRealm> {
    return new GuestRealm(await this.engine.module());
  }
}
