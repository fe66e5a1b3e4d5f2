import * as l10n from '@vscode/l10n';
import type { RunMessage } from '../../protocol/rpc';

/** The newest messages the panel shows of a run; the trace has all of them. */
export const PANEL_MESSAGES = 300;
/** The longest text one message shows in the panel. */
export const PANEL_MESSAGE_CHARS = 4_000;

/**
 * A run's conversation cut to what a sidebar can show and a webview can take several times a second while the run
 * goes on: the newest messages, each text cut short, and how many earlier ones were left to the trace.
 */
export function panelTranscript(messages: readonly RunMessage[]): { messages: RunMessage[]; earlier: number } {
  const newest = messages.slice(-PANEL_MESSAGES);
  return { messages: newest.map(shortened), earlier: messages.length - newest.length };
}

function shortened(message: RunMessage): RunMessage {
  if (message.role === 'tool' || message.text.length <= PANEL_MESSAGE_CHARS) return message;
  const rest = message.text.length - PANEL_MESSAGE_CHARS;
  return { ...message, text: `${message.text.slice(0, PANEL_MESSAGE_CHARS)}… [${l10n.t('{0} more characters; Open Trace shows them all', rest)}]` };
}
