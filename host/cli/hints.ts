/**
 * The model layer's messages say what to do in VS Code: which setting to change, which command to run. On the
 * command line the same advice is a flag or an environment variable.
 *
 * PHRASES match the English messages only. A translated message still has its quoted setting ids (and command
 * titles, where the translation keeps them in English), so NAMES swaps each for its flag, but the advice around it
 * stays VS Code's; rewriting whole phrases in every language would need the model layer to say which advice it
 * gives (a code beside the text) instead of this module reading its words.
 */
const PHRASES: readonly (readonly [RegExp, string])[] = [
  [/set "keel\.ollama\.baseUrl" to where it runs, or store an OpenAI key with "Keel: Set OpenAI API Key"/g, 'pass --base-url <url> if it runs elsewhere, or use OpenAI with --provider openai and the key in OPENAI_API_KEY'],
  [/switch "keel\.model\.provider" to "ollama"/g, 'use --provider ollama'],
  [/Run "Keel: Set OpenAI API Key" with a valid key/g, 'Set OPENAI_API_KEY to a valid key'],
  [/Check "keel\.openai\.model" or choose another model in settings/g, 'Check the name given to --model'],
  [/choose another model in settings/g, 'choose another model with --model'],
];

/** Any setting or command the phrases above do not cover, by itself. */
const NAMES: readonly (readonly [RegExp, string])[] = [
  [/"keel\.(?:ollama|openai)\.baseUrl"/g, '--base-url'],
  [/"keel\.(?:ollama|openai)\.model"/g, '--model'],
  [/"keel\.model\.provider"/g, '--provider'],
  [/"keel\.model\.timeoutSeconds"/g, '--timeout'],
  [/"keel\.agent\.maxSteps"/g, '--max-steps'],
  [/"Keel: Set OpenAI API Key"/g, 'OPENAI_API_KEY'],
];

/** The text with VS Code settings and commands in its advice replaced by the CLI's flags and environment variables. */
export function terminalHints(text: string): string {
  for (const [pattern, replacement] of [...PHRASES, ...NAMES]) text = text.replace(pattern, replacement);
  return text;
}
