import * as vscode from 'vscode';
import type { HostInitializationOptions } from '../../protocol/version';

/**
 * How much trace history the host keeps, from `keel.traces.*`. A value out of range falls back to its default: the
 * host refuses initialization options that do not parse, and a mistyped setting must not cost the host.
 */
export function traceRetentionOptions(): NonNullable<HostInitializationOptions['traces']> {
  const config = vscode.workspace.getConfiguration('keel.traces');
  return { maxSizeMb: wholeNumber(config.get('maxSizeMb'), 1, 100_000, 200), maxAgeDays: wholeNumber(config.get('maxAgeDays'), 1, 3650, 30) };
}

function wholeNumber(value: unknown, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? value : fallback;
}
