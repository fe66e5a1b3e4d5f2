/** The layout the CLI's help texts share; their words are translated by the caller. */
import * as l10n from '@vscode/l10n';

/** `Usage: <first form>` with the other forms under it, aligned however long the translated heading is. */
export function synopsis(forms: readonly string[]): string {
  const heading = l10n.t('Usage:');
  return forms.map((form, index) => `${index === 0 ? heading : ' '.repeat(heading.length)} ${form}`).join('\n');
}

/**
 * Options as two columns, flags padded to `width`; a description's own line breaks go on under its first line. A
 * flag longer than `width` pushes its description along rather than wrapping.
 */
export function optionTable(rows: readonly (readonly [flags: string, description: string])[], width: number): string {
  const indent = ' '.repeat(2 + width + 2);
  return rows.map(([flags, description]) => `  ${flags.padEnd(width)}  ${description.split('\n').join(`\n${indent}`)}`).join('\n');
}
