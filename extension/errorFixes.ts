/**
 * The buttons an error notification offers, read off its text: Keel's messages name their fix (`run "Keel: Set
 * OpenAI API Key"`, `set "keel.ollama.baseUrl"`), so the notification offers that command or opens that setting.
 * No `vscode` here, so it is unit-tested.
 */

/** One button: a command and its arguments. */
export interface Fix {
  readonly label: string;
  readonly command: string;
  readonly args?: readonly unknown[];
}

export interface ContributedCommand {
  readonly command: string;
  /** As the user sees it, in VS Code's display language. */
  readonly title: string;
  readonly category?: string;
  /** In English, as the host's messages name it. */
  readonly englishTitle?: string;
}

/** Advice comes early in a message; a huge one (a model's garbage quoted back) is not scanned whole. */
const MAX_SCANNED = 10_000;
/** A notification shows about three buttons whole; past that their labels are cut. */
const MAX_BUTTONS = 3;

export const SHOW_LOG: Fix = { label: 'Show Log', command: 'keel.showLog' };
export const CONFIGURE_MODELS: Fix = { label: 'Configure Models…', command: 'keel.configureModels' };
export const SET_OPENAI_KEY: Fix = { label: 'Set OpenAI API Key', command: 'keel.setOpenAIKey' };
export function openSetting(id: string): Fix {
  return { label: 'Open Settings', command: 'workbench.action.openSettings', args: [id] };
}

/**
 * `extra` (the caller knows the likeliest fix), then the fixes `message` names in the order it names them, each
 * command once; Show Log when there is room, since the log rarely says more than a message that names its fix. A setting that no contributed property has is not offered.
 */
export function fixesFor(message: string, commands: readonly ContributedCommand[], settings: ReadonlySet<string>, extra: readonly Fix[] = []): Fix[] {
  const named: { at: number; fix: Fix }[] = [];
  const text = message.slice(0, MAX_SCANNED);
  for (const match of text.matchAll(/"Keel: ([^"]{1,80})"/g)) {
    const title = match[1]!.replace(/…$/, '');
    // The host speaks English: a message names the English title, whatever language the button then shows.
    const command = commands.find((c) => [c.title, c.englishTitle].some((t) => t?.replace(/…$/, '') === title) && (c.category ?? 'Keel') === 'Keel');
    if (command) named.push({ at: match.index, fix: { label: command.title, command: command.command } });
  }
  for (const match of text.matchAll(/["`#](keel\.[A-Za-z0-9.]{1,80})["`#]/g)) {
    if (settings.has(match[1]!)) named.push({ at: match.index, fix: openSetting(match[1]!) });
  }
  const fixes: Fix[] = [];
  const seen = new Set<string>();
  for (const fix of [...extra, ...named.sort((a, b) => a.at - b.at).map((n) => n.fix)]) {
    const key = fix.command === 'workbench.action.openSettings' ? fix.command : `${fix.command} ${JSON.stringify(fix.args ?? [])}`;
    if (seen.has(key) || fix.command === SHOW_LOG.command) continue;
    seen.add(key);
    fixes.push(fix);
  }
  return fixes.length >= MAX_BUTTONS ? fixes.slice(0, MAX_BUTTONS) : [...fixes, SHOW_LOG];
}

/**
 * `text` with its Markdown links taken apart: a notification turns `[label](https:…)`, `(command:…)` and `(file:…)`
 * into links, and a run's answer or error holds what a model wrote, which could dress a command as "Open the file".
 */
export function withoutLinks(text: string): string {
  return text.replace(/\]\(/g, '] (');
}

/**
 * The notification's text, without links (`withoutLinks`): "Keel: " once (a message that starts with "Keel" already says who speaks), and no
 * sentence twice (a wrapped error often quotes the advice its cause already gave).
 */
export function notificationText(message: string): string {
  const shown = withoutLinks(message.length > MAX_SHOWN ? `${message.slice(0, MAX_SHOWN - 1)}…` : message);
  const seen = new Set<string>();
  const text = shown
    .trim()
    .split(/(?<=[.!?])\s+/)
    .filter((sentence) => {
      if (sentence.length <= 20) return true;
      if (seen.has(sentence)) return false;
      seen.add(sentence);
      return true;
    })
    .join(' ');
  return /^Keel\b/.test(text) ? text : `Keel: ${text}`;
}

/** The host's own message: the language client wraps it in one that says nothing to the user. */
export function withoutClientWrapper(message: string): string {
  return message.replace(/^Request [\w/]+ failed with message: /, '');
}

/** A notification shows a few lines; the whole message is in the log. */
const MAX_SHOWN = 2000;
