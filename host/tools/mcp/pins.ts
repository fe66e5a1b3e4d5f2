import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The parts of an MCP tool a server could change to make an approved tool do something else. */
export interface PinnedDefinition {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema: unknown;
  readonly annotations?: unknown;
}

interface Pin {
  readonly hash: string;
  readonly definition: PinnedDefinition;
  readonly alwaysAllow: boolean;
}

export type PinCheck =
  | { readonly state: 'unpinned' }
  | { readonly state: 'pinned'; readonly alwaysAllow: boolean }
  | { readonly state: 'changed'; readonly diff: string };

/**
 * Tool-definition pins against rug pulls: a definition is hashed when the user first approves the tool, and a
 * later change disables the tool until the user approves the new definition. Stored as JSON so pins survive.
 */
export class PinStore {
  private pins: Record<string, Pin> = {};
  private loaded: Promise<void> | undefined;

  constructor(private readonly file: string | undefined, private readonly log: (message: string) => void = () => undefined) {}

  async check(server: string, definition: PinnedDefinition): Promise<PinCheck> {
    await this.load();
    const pin = this.pins[key(server, definition.name)];
    if (!pin) return { state: 'unpinned' };
    if (pin.hash === hashDefinition(definition)) return { state: 'pinned', alwaysAllow: pin.alwaysAllow };
    return { state: 'changed', diff: describeChange(pin.definition, definition) };
  }

  async pin(server: string, definition: PinnedDefinition, alwaysAllow: boolean): Promise<void> {
    await this.load();
    this.pins[key(server, definition.name)] = { hash: hashDefinition(definition), definition, alwaysAllow };
    if (!this.file) return;
    await mkdir(dirname(this.file), { recursive: true });
    const temp = `${this.file}.tmp`;
    await writeFile(temp, JSON.stringify(this.pins, null, 2));
    await rename(temp, this.file);
  }

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      if (!this.file) return;
      let text: string;
      try {
        text = await readFile(this.file, 'utf8');
      } catch {
        return;
      }
      try {
        this.pins = JSON.parse(text) as Record<string, Pin>;
      } catch {
        // Unreadable pins must not silently approve anything: every tool starts unpinned again.
        this.log(`MCP tool pins in ${this.file} are not valid JSON; all MCP tools need approval again. The bad file is kept as ${this.file}.corrupt.`);
        await rename(this.file, `${this.file}.corrupt`).catch(() => undefined);
      }
    })();
    return this.loaded;
  }
}

export function hashDefinition(definition: PinnedDefinition): string {
  const canonical = canonicalJson({ name: definition.name, description: definition.description ?? '', inputSchema: definition.inputSchema, annotations: definition.annotations ?? null });
  return createHash('sha256').update(canonical).digest('hex');
}

function key(server: string, tool: string): string {
  return `${server}/${tool}`;
}

/** JSON with sorted keys, so the same definition always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function describeChange(before: PinnedDefinition, after: PinnedDefinition): string {
  const lines: string[] = [];
  if ((before.description ?? '') !== (after.description ?? '')) lines.push(`description:\n- ${before.description ?? ''}\n+ ${after.description ?? ''}`);
  if (canonicalJson(before.inputSchema) !== canonicalJson(after.inputSchema)) lines.push(`input schema:\n- ${canonicalJson(before.inputSchema)}\n+ ${canonicalJson(after.inputSchema)}`);
  if (canonicalJson(before.annotations ?? null) !== canonicalJson(after.annotations ?? null)) lines.push(`annotations:\n- ${canonicalJson(before.annotations ?? null)}\n+ ${canonicalJson(after.annotations ?? null)}`);
  return lines.join('\n');
}
