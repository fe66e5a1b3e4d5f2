import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { httpUrl, integer, list, text } from './params';

/**
 * The extension ⇄ host protocol version. Bump it on any incompatible change to `rpc.ts`;
 * the host refuses a client whose version it does not list in `SUPPORTED_PROTOCOL_VERSIONS`.
 */
export const PROTOCOL_VERSION = 1;
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [PROTOCOL_VERSION];

/** What the extension sends as `initializationOptions` when it starts the host; the version is checked first. */
export const hostInitializationOptionsSchema = z
  .object({
    protocolVersion: z.number(),
    /** The display language's translation (`vscode.l10n.uri`); absent: English. */
    l10nBundle: text(4096).optional(),
    /** Where the host keeps state that must survive restarts (MCP tool pins). */
    storageDir: text(4096).optional(),
    /** The globs VS Code's `files.exclude` turns on; the workspace index leaves out what they hide. */
    filesExclude: list(text(4096), 10_000).optional(),
    /** OTLP/HTTP export of every finished span (`keel.telemetry.*`); absent: no export. */
    telemetry: z
      .object({
        /** The collector's base URL (`http://localhost:4318`) or its full traces URL. */
        otlpEndpoint: httpUrl(),
        /** Headers for every export, from SecretStorage, as `OTEL_EXPORTER_OTLP_HEADERS` writes them: `key=value,…`. */
        otlpHeaders: text(16_384).optional(),
        /** Export attributes that hold prompts, goals and outputs. */
        captureContent: z.boolean().optional(),
      })
      .optional(),
    /** How much trace history the host keeps (`keel.traces.*`); absent: 200 MB and 30 days. */
    traces: z
      .object({
        maxSizeMb: integer(1, 100_000),
        maxAgeDays: integer(1, 3650),
      })
      .optional(),
  })
  .readonly()
  .describe('initialization options');
export type HostInitializationOptions = z.infer<typeof hostInitializationOptionsSchema>;

/** What the host adds to its `initialize` result so the extension can check it too. */
export interface HostInfo {
  readonly protocolVersion: number;
  readonly hostVersion: string;
}

export function protocolMismatch(theirs: unknown): string | undefined {
  if (typeof theirs === 'number' && SUPPORTED_PROTOCOL_VERSIONS.includes(theirs)) return undefined;
  const refused = l10n.t('Keel protocol version {0} is not supported (this side speaks {1}).', String(theirs), SUPPORTED_PROTOCOL_VERSIONS.join(', '));
  return `${refused} ${l10n.t('Reinstall Keel so the extension and its agent host come from the same build.')}`;
}
