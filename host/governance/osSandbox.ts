import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { Bubblewrap } from './bubblewrap';
import type { Confinement } from './confinement';
import { SANDBOX_EXEC, sandboxExecArgs, seatbeltProfile } from './seatbelt';

/** The OS sandboxes Keel knows: bubblewrap on Linux, sandbox-exec (Seatbelt) on macOS. */
export type SandboxKind = 'bubblewrap' | 'seatbelt';

/** How to start a confined process, and how to clean up after it. */
export interface ConfinedLaunch {
  readonly file: string;
  readonly args: readonly string[];
  /** Variables to add to its environment (macOS: `TMPDIR`, its private temp folder). */
  readonly env: Readonly<Record<string, string>>;
  readonly kind: SandboxKind;
  /** Whether it can reach the network. */
  readonly network: boolean;
  /** Removes what the launch made (macOS: the private temp folder); call it once the process has ended. */
  dispose(): void;
}

/**
 * Which sandbox runs here: bubblewrap on Linux where it works, sandbox-exec on macOS where it is installed, and none
 * elsewhere (Windows, other systems, or either tool missing): there Keel runs commands and servers as the user.
 */
export function chooseSandbox(platform: NodeJS.Platform, probes: { bubblewrap: () => boolean; sandboxExec: () => boolean }): SandboxKind | undefined {
  if (platform === 'linux') return probes.bubblewrap() ? 'bubblewrap' : undefined;
  if (platform === 'darwin') return probes.sandboxExec() ? 'seatbelt' : undefined;
  return undefined;
}

/** The OS sandbox of this machine; probed once. */
export class OsSandbox {
  private chosen: { kind: SandboxKind | undefined } | undefined;
  private readonly bubblewrap: Bubblewrap;

  /** The platform, bubblewrap and sandbox-exec to use; this machine's unless a test says otherwise. */
  constructor(private readonly options: { platform?: NodeJS.Platform; bubblewrap?: Bubblewrap; sandboxExec?: string } = {}) {
    this.bubblewrap = options.bubblewrap ?? new Bubblewrap();
  }

  get kind(): SandboxKind | undefined {
    this.chosen ??= {
      kind: chooseSandbox(this.options.platform ?? process.platform, {
        bubblewrap: () => this.bubblewrap.available(),
        sandboxExec: () => existsSync(this.options.sandboxExec ?? SANDBOX_EXEC),
      }),
    };
    return this.chosen.kind;
  }

  /** Whether a confined process that is not granted the network really goes without it. */
  get cutsNetwork(): boolean {
    return this.kind === 'seatbelt' || (this.kind === 'bubblewrap' && this.bubblewrap.networkIsolation());
  }

  /** How to run `file args` confined; throws when there is no sandbox here (check `kind` first). */
  confine(confinement: Confinement, file: string, args: readonly string[]): ConfinedLaunch {
    const network = confinement.network || !this.cutsNetwork;
    if (this.kind === 'bubblewrap') {
      return { file: this.bubblewrap.path, args: this.bubblewrap.args(confinement, file, args), env: {}, kind: 'bubblewrap', network, dispose: () => undefined };
    }
    if (this.kind === 'seatbelt') {
      const temp = mkdtempSync(join(tmpdir(), 'keel-sandbox-'));
      return {
        file: this.options.sandboxExec ?? SANDBOX_EXEC,
        args: sandboxExecArgs(seatbeltProfile(confinement, temp), file, args),
        env: { TMPDIR: temp },
        kind: 'seatbelt',
        network,
        dispose: () => rmSync(temp, { recursive: true, force: true }),
      };
    }
    throw new Error(l10n.t('There is no OS sandbox on this machine.'));
  }
}

/** This process's sandbox, shared by commands and MCP servers so it is probed once. */
export const osSandbox = new OsSandbox();
