import { BroadcastChannel, getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads';
import { secretNameClass } from './secretRules';

/**
 * The secret values this process was given — API keys from SecretStorage or the environment, MCP servers'
 * credentials — which the redactor replaces wherever they appear, whatever their shape.
 *
 * The list is process-wide: worker threads started later get it with their environment data, and threads already
 * running hear of later additions on a broadcast channel.
 */

/** Shorter values would redact ordinary words and numbers; no key is this short. */
const MIN_SECRET_CHARS = 6;
const CHANNEL = 'keel.knownSecrets';

const known = new Set<string>((getEnvironmentData(CHANNEL) as string[] | undefined) ?? []);
let sorted: readonly string[] | undefined;
let channel: BroadcastChannel | undefined;

if (!isMainThread) {
  channel = new BroadcastChannel(CHANNEL);
  channel.unref();
  channel.onmessage = (event) => add((event as { data: string[] }).data);
}

/** Adds values to redact from now on, in every thread of the process. Empty and very short values are ignored. */
export function registerSecrets(values: Iterable<string | undefined>): void {
  const added = add(values);
  if (added.length === 0) return;
  setEnvironmentData(CHANNEL, [...known]);
  if (!channel) {
    channel = new BroadcastChannel(CHANNEL);
    channel.unref();
  }
  channel.postMessage(added);
}

/** The registered values, longest first, so that a value containing another is replaced whole. */
export function knownSecrets(): readonly string[] {
  return (sorted ??= [...known].sort((a, b) => b.length - a.length));
}

/** The API keys of a run's or a sampling request's model configuration (`ModelConfig`). */
export function registerModelKeys(models: { readonly apiKeys?: Readonly<Record<string, string>>; readonly defaultModel?: { readonly apiKey?: string } } | undefined): void {
  registerSecrets([...Object.values(models?.apiKeys ?? {}), models?.defaultModel?.apiKey]);
}

/**
 * The credentials in MCP server configurations, where the extension has put the `${input:…}` values the user gave:
 * environment variables whose names say they are secret, and headers that carry credentials (an `Authorization`
 * value and the token after its scheme).
 */
export function registerMcpServerSecrets(servers: readonly ({ readonly env?: Readonly<Record<string, string>>; readonly headers?: Readonly<Record<string, string>> })[]): void {
  for (const server of servers) {
    registerEnvSecrets(server.env ?? {});
    for (const [name, value] of Object.entries(server.headers ?? {})) {
      if (!CREDENTIAL_HEADER.test(name)) continue;
      registerSecrets([value, value.match(/^\S+\s+(\S+)$/)?.[1]]);
    }
  }
}

/** Values of environment variables whose names say they hold a secret: `OPENAI_API_KEY`, `GITHUB_TOKEN`, `DB_PASSWORD`. */
export function registerEnvSecrets(env: Readonly<Record<string, string | undefined>>): void {
  registerSecrets(Object.entries(env).filter(([name]) => !NOT_SECRET_ENV.has(name) && secretNameClass(name)).map(([, value]) => value));
}

/** The shell's working directories, not passwords. */
const NOT_SECRET_ENV = new Set(['PWD', 'OLDPWD']);
const CREDENTIAL_HEADER = /^(?:authorization|proxy-authorization|cookie|x-api-key|api-key|x-auth-token|x-access-token|.*(?:token|secret|key|password).*)$/i;

function add(values: Iterable<string | undefined>): string[] {
  const added: string[] = [];
  for (const value of values) {
    const trimmed = value?.trim();
    if (!trimmed || trimmed.length < MIN_SECRET_CHARS || known.has(trimmed)) continue;
    known.add(trimmed);
    added.push(trimmed);
  }
  if (added.length) sorted = undefined;
  return added;
}
